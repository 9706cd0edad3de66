//! What a run does, worked out from the revision graph without a database:
//! the steps it takes in order, and the statements around and within each.
//! The executor runs such a plan against a database; `script` prints it.

use std::collections::BTreeSet;
use std::time::Duration;

use autogen_schema::{changed_table, DdlMode, Dialect, Op};

use crate::data::DataStep;
use crate::graph::{Graph, GraphError, Node};
use crate::render::{online, render, RenderError};
use crate::revision::Direction;

/// One revision run, reported as Alembic reports it:
/// `Running upgrade 1975ea83b712 -> ae1027a6acf5, add bio`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Up or down.
    pub direction: Direction,
    /// The revision run.
    pub revision: String,
    /// Its parents (the other end of the arrow).
    pub parents: Vec<String>,
    /// Its message.
    pub message: String,
}

impl Step {
    pub(crate) fn new(node: &Node, direction: Direction) -> Self {
        Self {
            direction,
            revision: node.id().to_owned(),
            parents: node.parents.clone(),
            message: node.message().to_owned(),
        }
    }

    /// The step after the word its report starts with:
    /// `upgrade 1975ea83b712 -> ae1027a6acf5, add bio`. A first revision's
    /// other end is `<base>`, as `history` names it, never an empty id.
    pub fn summary(&self) -> String {
        let parents = match self.parents.as_slice() {
            [] => "<base>".to_owned(),
            parents => parents.join(", "),
        };
        match self.direction {
            Direction::Up => format!("upgrade {parents} -> {}, {}", self.revision, self.message),
            Direction::Down => format!("downgrade {} -> {parents}, {}", self.revision, self.message),
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Running {}", self.summary())
    }
}

/// How a run uses transactions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// One transaction over the whole run instead of one per revision
    /// (PostgreSQL and SQLite; MySQL cannot roll back DDL).
    pub single_transaction: bool,
    /// A value revisions can read with `op.tag()` (Alembic's `--tag`).
    pub tag: Option<String>,
    /// How lock-safe revisions wait for their locks.
    pub lock_wait: LockWait,
}

/// The next revision to run from `applied` towards `goal`: the first pending
/// one going up, the last applied one going down.
pub(crate) fn next_step<'g>(
    graph: &'g Graph,
    direction: Direction,
    applied: &BTreeSet<String>,
    goal: &BTreeSet<String>,
) -> Option<&'g Node> {
    match direction {
        Direction::Up => {
            let pending: BTreeSet<String> = goal.difference(applied).cloned().collect();
            graph.topological(&pending).into_iter().next()
        }
        Direction::Down => {
            let undo: BTreeSet<String> = applied.difference(goal).cloned().collect();
            graph.topological(&undo).into_iter().last()
        }
    }
}

/// The heads the version table holds once `stamp <target>` is done.
pub(crate) fn stamp_heads(
    graph: &Graph,
    current: &[String],
    target: &str,
) -> Result<Vec<String>, GraphError> {
    let applied = match target {
        "heads" => graph.ancestors(graph.heads().into_iter().map(Node::id)),
        spec => match graph.resolve_target(current, spec)? {
            None => BTreeSet::new(),
            Some(node) => graph.ancestors([node.id()]),
        },
    };
    Ok(graph.heads_of(&applied))
}

/// Whether `op` drops a table: a drop, or a recreation, which drops the old
/// one. With foreign key enforcement on, SQLite's `DROP TABLE` first deletes
/// the table's rows, cascading into (or refused by) the rows that reference
/// them, and fails where such a cascade reaches a table whose parent is
/// already gone, as it is when tables that reference each other are dropped;
/// so on SQLite a run that drops tables has enforcement off and checks every
/// foreign key before it commits instead.
pub(crate) fn drops_a_table(op: &Op) -> bool {
    matches!(op, Op::DropTable { .. } | Op::RecreateTable { .. })
}

/// `BEGIN`, taking SQLite's write lock at once so concurrent runs wait
/// instead of failing on a stale read.
pub(crate) fn begin(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres | Dialect::MySql => "BEGIN",
    }
}

/// Whether a revision in `mode` runs in stages on `dialect`, each committed
/// on its own and the run's progress kept, rather than as one transaction.
pub(crate) fn is_staged(dialect: Dialect, mode: DdlMode) -> bool {
    dialect == Dialect::Postgres && mode == DdlMode::LockSafe
}

/// One thing a revision does when it runs: a statement, or a data step's code.
pub(crate) struct Action {
    /// The statement, or what names the data step (in errors and the journal).
    pub(crate) text: String,
    /// The data step's code; `None` for a statement.
    pub(crate) code: Option<DataStep>,
    /// The position of the op it comes from among the revision's ops.
    pub(crate) op: usize,
}

/// A part of a revision that runs as a unit: in a transaction of its own,
/// or, for a statement PostgreSQL cannot run in one (`CONCURRENTLY`), alone.
/// A plain revision is one transactional stage.
pub(crate) struct Stage {
    pub(crate) transactional: bool,
    pub(crate) actions: Vec<Action>,
    /// A `CONCURRENTLY` statement, which blocks no reads or writes while it
    /// waits for older transactions (only other schema changes): it waits
    /// as long as it must, since giving up would throw a build away.
    pub(crate) concurrent: bool,
    /// The index the stage builds concurrently: one a failed or killed build
    /// left INVALID goes first.
    pub(crate) builds_index: Option<String>,
}

impl Stage {
    fn transaction(actions: Vec<Action>) -> Self {
        Self {
            transactional: true,
            actions,
            concurrent: false,
            builds_index: None,
        }
    }

    /// Whether it runs code (a data step), which may not be safe to run twice.
    pub(crate) fn runs_code(&self) -> bool {
        self.actions.iter().any(|action| action.code.is_some())
    }

    /// What bounds its waits on PostgreSQL, set as it starts (`SET LOCAL`
    /// in its transaction; `SET`, and [`LockWait::reset`] after, outside one).
    pub(crate) fn postgres_timeouts(&self, wait: &LockWait) -> Vec<String> {
        let scope = if self.transactional { "SET LOCAL" } else { "SET" };
        let lock = if self.concurrent {
            Duration::ZERO
        } else {
            wait.timeout
        };
        let statement = wait.statement_timeout.unwrap_or_default();
        vec![
            format!("{scope} lock_timeout = '{}ms'", lock.as_millis()),
            format!("{scope} statement_timeout = '{}ms'", statement.as_millis()),
        ]
    }
}

/// The numbers (from 1) of the stages that run outside any transaction.
pub(crate) fn outside_a_transaction(stages: &[Stage]) -> Vec<String> {
    stages
        .iter()
        .enumerate()
        .filter(|(_, stage)| !stage.transactional)
        .map(|(at, _)| (at + 1).to_string())
        .collect()
}

/// How long a lock-safe revision's DDL waits for its lock, and how often it
/// tries again after giving up. A statement waiting for its lock blocks every
/// later query on the table behind it, so it waits briefly and gives way,
/// rather than queue the application behind a long transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockWait {
    /// How long one statement waits for its lock (PostgreSQL's
    /// `lock_timeout`; MariaDB's `lock_wait_timeout`, in whole seconds).
    pub timeout: Duration,
    /// How many times a step that timed out waiting is run again, after a
    /// growing pause, before the run fails.
    pub retries: u32,
    /// The longest one statement may run (PostgreSQL's `statement_timeout`);
    /// `None` lets it run as long as it takes, as an index build on a big
    /// table needs.
    pub statement_timeout: Option<Duration>,
}

impl Default for LockWait {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            retries: 10,
            statement_timeout: None,
        }
    }
}

impl LockWait {
    /// Whether a statement that failed with `error` on try `attempt` (from
    /// 0, counted up here) runs again: it gave up waiting for its lock, so it
    /// did nothing, and tries are left. If so, after the pause, doubling from
    /// a quarter of a second up to eight, so that a long transaction has time
    /// to end.
    pub(crate) async fn retry_after(&self, error: &sea_orm::DbErr, attempt: &mut u32) -> bool {
        if !crate::lock::is_lock_wait_timeout(error) || *attempt >= self.retries {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(250 * 2u64.pow((*attempt).min(5)))).await;
        *attempt += 1;
        true
    }

    /// What bounds a lock-safe revision's lock waits on MySQL, for its
    /// session ([`LockWait::reset`] after): whole seconds only there.
    pub(crate) fn mysql_set(&self) -> String {
        format!(
            "SET SESSION lock_wait_timeout = {}",
            self.timeout.as_secs_f64().ceil().max(1.0)
        )
    }

    /// What undoes [`Stage::postgres_timeouts`] outside a transaction, or
    /// [`LockWait::mysql_set`].
    pub(crate) fn reset(dialect: Dialect) -> Vec<String> {
        match dialect {
            Dialect::Postgres => vec!["RESET lock_timeout".into(), "RESET statement_timeout".into()],
            Dialect::MySql => vec!["SET SESSION lock_wait_timeout = DEFAULT".into()],
            Dialect::Sqlite => Vec::new(),
        }
    }
}

/// What running `ops` does in `dialect` and `mode`, in stages: each op's
/// statements, and for each [`Op::RunData`] its entry of `code` (one per
/// such op, in order). A data step with no code (an op pushed as data by a
/// tool) is what it declares for offline use, as in `--sql`.
///
/// A plain revision, and any on SQLite or MariaDB, is one stage (on MariaDB,
/// lock-safe, each `ALTER` names its algorithm). A lock-safe one on
/// PostgreSQL runs in order: transactions of the changes that take brief
/// locks, each concurrent index build and each data step alone between
/// them, then one transaction of every `VALIDATE CONSTRAINT`, then one of
/// what needed them (`SET NOT NULL`).
pub(crate) fn stages(
    ops: &[Op],
    code: Vec<Option<DataStep>>,
    dialect: Dialect,
    mode: DdlMode,
) -> Result<Vec<Stage>, RenderError> {
    let mut code = code.into_iter();
    let lock_safe = mode == DdlMode::LockSafe;
    if !(lock_safe && dialect == Dialect::Postgres) {
        let mut actions = Vec::new();
        for (at, op) in ops.iter().enumerate() {
            let mut op_actions = actions_of(at, op, &mut code, dialect)?;
            if lock_safe && dialect == Dialect::MySql && op_actions.iter().all(|a| a.code.is_none()) {
                let texts = op_actions.into_iter().map(|a| a.text).collect();
                op_actions = statements(at, online::mariadb(op, texts));
            }
            actions.extend(op_actions);
        }
        return Ok(vec![Stage::transaction(actions)]);
    }
    let mut stages = Vec::new();
    let mut current = Vec::new();
    let (mut validate, mut last) = (Vec::new(), Vec::new());
    let mut new_tables = BTreeSet::new();
    for (at, op) in ops.iter().enumerate() {
        let new_table = changed_table(op).is_some_and(|t| new_tables.contains(t));
        if let Op::CreateTable(table) = op {
            new_tables.insert(table.name.clone());
        }
        if renames_or_drops(op) && !(validate.is_empty() && last.is_empty()) {
            // What is deferred names tables, columns and constraints as they
            // are now: it runs before they change.
            for actions in [&mut current, &mut validate, &mut last] {
                close_transaction(&mut stages, actions);
            }
        }
        if let Op::RunData { .. } = op {
            let actions = actions_of(at, op, &mut code, dialect)?;
            if actions.iter().any(|action| action.code.is_some()) {
                // Alone, so that each statement it runs commits on its own: a
                // batched backfill holds each batch's rows only while it runs.
                close_transaction(&mut stages, &mut current);
                stages.push(Stage {
                    transactional: false,
                    actions,
                    concurrent: false,
                    builds_index: None,
                });
            } else {
                current.extend(actions);
            }
            continue;
        }
        let Some(form) = online::postgres(op, new_table)? else {
            current.extend(actions_of(at, op, &mut code, dialect)?);
            continue;
        };
        current.extend(statements(at, form.now));
        if !form.alone.is_empty() {
            close_transaction(&mut stages, &mut current);
            for alone in form.alone {
                stages.push(Stage {
                    transactional: false,
                    actions: statements(at, vec![alone.sql]),
                    concurrent: true,
                    builds_index: alone.builds,
                });
            }
        }
        current.extend(statements(at, form.then));
        validate.extend(statements(at, form.validate));
        last.extend(statements(at, form.last));
    }
    for actions in [&mut current, &mut validate, &mut last] {
        close_transaction(&mut stages, actions);
    }
    Ok(stages)
}

/// Ends the transaction `actions` were gathered for, as a stage, if they
/// hold any.
fn close_transaction(stages: &mut Vec<Stage>, actions: &mut Vec<Action>) {
    if !actions.is_empty() {
        stages.push(Stage::transaction(std::mem::take(actions)));
    }
}

/// What running `ops` lock-safe means on `dialect`, as lines for the
/// comment above a revision's `op.lock_safe()`: on PostgreSQL, the steps it
/// runs in and which of them run outside a transaction.
pub fn lock_safe_note(ops: &[Op], dialect: Dialect) -> Vec<String> {
    let steps = match dialect {
        Dialect::Postgres => stages(ops, Vec::new(), dialect, DdlMode::LockSafe).ok(),
        Dialect::MySql | Dialect::Sqlite => None,
    };
    match (dialect, steps) {
        (Dialect::Postgres, Some(stages)) => {
            let outside = match outside_a_transaction(&stages).as_slice() {
                [] => String::new(),
                [one] => format!("; step {one} runs outside any transaction"),
                many => format!("; steps {} run outside any transaction", many.join(", ")),
            };
            vec![
                format!(
                    "Lock-safe: on PostgreSQL this runs in {} step(s), each committed on its own{outside}.",
                    stages.len()
                ),
                "A run stopped between steps is completed by the next `autogen upgrade`.".to_owned(),
            ]
        }
        (Dialect::MySql, _) => vec![
            "Lock-safe: on MariaDB and MySQL each ALTER names ALGORITHM=INPLACE, LOCK=NONE, so the server"
                .to_owned(),
            "makes the change while writes go on, or refuses at once rather than copy the table.".to_owned(),
        ],
        _ => vec![
            "Lock-safe: changes how this runs on PostgreSQL and MariaDB; SQLite runs it as written."
                .to_owned(),
        ],
    }
}

/// Statements of op `at` as actions.
fn statements(at: usize, texts: Vec<String>) -> Vec<Action> {
    texts
        .into_iter()
        .map(|text| Action {
            text,
            code: None,
            op: at,
        })
        .collect()
}

/// Whether `op` renames or drops something, or may (raw SQL): statements
/// deferred until after the validations must run before it.
fn renames_or_drops(op: &Op) -> bool {
    matches!(
        op,
        Op::RenameColumn { .. }
            | Op::DropColumn { .. }
            | Op::DropTable { .. }
            | Op::DropConstraint { .. }
            | Op::RecreateTable { .. }
            | Op::Execute(_)
            | Op::InSchema { .. }
    )
}

/// What op `at` does when it runs: its statements, or its data step's code.
fn actions_of(
    at: usize,
    op: &Op,
    code: &mut impl Iterator<Item = Option<DataStep>>,
    dialect: Dialect,
) -> Result<Vec<Action>, RenderError> {
    match op {
        Op::RunData { name, .. } => {
            if let Some(step) = code.next().flatten() {
                return Ok(vec![Action {
                    text: format!("data step '{name}' (code run with the connection)"),
                    code: Some(step),
                    op: at,
                }]);
            }
        }
        Op::InSchema { ops, .. } => {
            if let Some(Op::RunData { name, .. }) = ops.iter().find(|op| matches!(op, Op::RunData { .. })) {
                return Err(RenderError::DataStepInSchema(name.clone()));
            }
        }
        _ => {}
    }
    Ok(statements(at, render(op, dialect)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use autogen_schema::{Column, ColumnType, PrimaryKey, StringLen};

    /// Each stage as `tx:` or `alone:` and its statements.
    fn shown(ops: &[Op], dialect: Dialect) -> Vec<String> {
        stages(ops, Vec::new(), dialect, DdlMode::LockSafe)
            .unwrap()
            .iter()
            .map(|stage| {
                let texts: Vec<&str> = stage.actions.iter().map(|a| a.text.as_str()).collect();
                let kind = if stage.transactional { "tx" } else { "alone" };
                format!("{kind}: {}", texts.join("; "))
            })
            .collect()
    }

    fn email(nullable: bool, length: u32) -> Column {
        Column {
            nullable,
            ..Column::new("email", ColumnType::String(StringLen::N(length)))
        }
    }

    /// A type change has no lock-safe form, but the NOT NULL beside it
    /// keeps its own; a primary key is taken over only once its columns are
    /// NOT NULL; and what is deferred runs before a later rename.
    #[test]
    fn each_part_of_a_change_takes_the_lock_safe_form_it_has() {
        let ops = vec![
            Op::AlterColumn {
                table: "t".into(),
                from: email(true, 20),
                to: email(false, 80),
            },
            Op::AddConstraint {
                table: "t".into(),
                constraint: PrimaryKey::new(["email"]).into(),
            },
            Op::RenameColumn {
                table: "t".into(),
                from: "email".into(),
                to: "mail".into(),
            },
        ];
        assert_eq!(
            shown(&ops, Dialect::Postgres),
            [
                "tx: ALTER TABLE \"t\" ALTER COLUMN \"email\" TYPE varchar(80) USING \"email\"::varchar(80); \
                 ALTER TABLE \"t\" ADD CONSTRAINT \"t_email_not_null\" CHECK (\"email\" IS NOT NULL) NOT VALID",
                "alone: CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"t_pkey\" ON \"t\" (\"email\")",
                "tx: ALTER TABLE \"t\" VALIDATE CONSTRAINT \"t_email_not_null\"",
                "tx: ALTER TABLE \"t\" ALTER COLUMN \"email\" SET NOT NULL; \
                 ALTER TABLE \"t\" DROP CONSTRAINT \"t_email_not_null\"; \
                 ALTER TABLE \"t\" ADD CONSTRAINT \"t_pkey\" PRIMARY KEY USING INDEX \"t_pkey\"",
                "tx: ALTER TABLE \"t\" RENAME COLUMN \"email\" TO \"mail\"",
            ]
        );
    }

    /// A UNIQUE column added is added plain, then made unique through an
    /// index built concurrently; on MariaDB, raw SQL is left as written.
    #[test]
    fn a_unique_column_added_and_raw_sql() {
        let add = Op::AddColumn {
            table: "t".into(),
            column: Column::new("code", ColumnType::Integer).nullable().unique(),
        };
        assert_eq!(
            shown(std::slice::from_ref(&add), Dialect::Postgres),
            [
                "tx: ALTER TABLE \"t\" ADD COLUMN \"code\" integer",
                "alone: CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"t_code_key\" ON \"t\" (\"code\")",
                "tx: ALTER TABLE \"t\" ADD CONSTRAINT \"t_code_key\" UNIQUE USING INDEX \"t_code_key\"",
            ]
        );
        let raw = Op::Execute("ALTER TABLE t ADD COLUMN x int, ALGORITHM=INSTANT".into());
        assert_eq!(
            shown(&[raw], Dialect::MySql),
            ["tx: ALTER TABLE t ADD COLUMN x int, ALGORITHM=INSTANT"]
        );
    }
}

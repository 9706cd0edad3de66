//! What a run does, worked out from the revision graph without a database:
//! the steps it takes in order, and the statements around and within each.
//! The executor runs such a plan against a database; `script` prints it.

use std::collections::BTreeSet;

use autogen_schema::{Dialect, Op};

use crate::data::DataStep;
use crate::graph::{Graph, GraphError, Node};
use crate::render::{render, RenderError};
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

/// The statements `ops` render to in `dialect`, in order.
pub(crate) fn render_all(ops: &[Op], dialect: Dialect) -> Result<Vec<String>, RenderError> {
    let mut statements = Vec::new();
    for op in ops {
        statements.extend(render(op, dialect)?);
    }
    Ok(statements)
}

/// One thing a revision does when it runs: a statement, or a data step's code.
pub(crate) struct Action {
    /// The statement, or what names the data step (in errors and MySQL's journal).
    pub(crate) text: String,
    /// The data step's code; `None` for a statement.
    pub(crate) code: Option<DataStep>,
}

/// What running `ops` does in `dialect`, in order: each op's statements,
/// and for each [`Op::RunData`] its entry of `code` (one per such op, in
/// order). A data step with no code (an op pushed as data by a tool) is
/// what it declares for offline use, as in `--sql`.
pub(crate) fn actions(
    ops: &[Op],
    code: Vec<Option<DataStep>>,
    dialect: Dialect,
) -> Result<Vec<Action>, RenderError> {
    let mut code = code.into_iter();
    let mut actions = Vec::new();
    for op in ops {
        match op {
            Op::RunData { name, .. } => {
                if let Some(step) = code.next().flatten() {
                    actions.push(Action {
                        text: format!("data step '{name}' (code run with the connection)"),
                        code: Some(step),
                    });
                    continue;
                }
            }
            Op::InSchema { ops, .. } => {
                if let Some(Op::RunData { name, .. }) = ops.iter().find(|op| matches!(op, Op::RunData { .. }))
                {
                    return Err(RenderError::DataStepInSchema(name.clone()));
                }
            }
            _ => {}
        }
        let statements = render(op, dialect)?;
        actions.extend(statements.into_iter().map(|text| Action { text, code: None }));
    }
    Ok(actions)
}

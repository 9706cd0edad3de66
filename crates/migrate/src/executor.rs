//! Running revisions against a database and keeping the version table.
//!
//! Each revision runs in its own transaction together with the version-table
//! update that records it, so on a backend with transactional DDL (SQLite,
//! PostgreSQL) a failing revision leaves nothing behind and is not recorded.

use autogen_schema::{Dialect, Op};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};
use thiserror::Error;

use crate::graph::{Graph, GraphError, Node};
use crate::render::{render, RenderError};
use crate::revision::Operations;

/// The table recording which revisions a database is at, one row per head,
/// as Alembic's `alembic_version`.
pub const VERSION_TABLE: &str = "autogen_version";

/// Running revisions failed.
#[derive(Debug, Error)]
pub enum MigrateError {
    /// The revision graph or the target is wrong.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// A revision's ops cannot be expressed in this dialect.
    #[error("revision {revision} cannot run on this database: {source}")]
    Render {
        /// The revision.
        revision: String,
        /// Why.
        source: RenderError,
    },
    /// A statement failed. The revision is not recorded; where the backend
    /// has transactional DDL it was rolled back whole.
    #[error("{}", describe_failure(revision, at, statement, source, committed))]
    Statement {
        /// The revision.
        revision: String,
        /// Where the version table says the database is: its heads, or `base`.
        at: String,
        /// The failing SQL.
        statement: String,
        /// The database's error.
        source: DbErr,
        /// Statements of this revision that took effect anyway, because the
        /// backend commits DDL as it runs (MySQL, MariaDB). Empty elsewhere.
        committed: Vec<String>,
    },
    /// The version table names a revision no file declares.
    #[error("the database is at revision '{0}', which no revision file declares; restore that file, or `autogen stamp` the database")]
    UnknownApplied(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// Which way a step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// An upgrade.
    Up,
    /// A downgrade.
    Down,
}

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

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parents = self.parents.join(", ");
        match self.direction {
            Direction::Up => write!(
                f,
                "Running upgrade {parents} -> {}, {}",
                self.revision, self.message
            ),
            Direction::Down => write!(
                f,
                "Running downgrade {} -> {parents}, {}",
                self.revision, self.message
            ),
        }
    }
}

/// Runs a revision graph against one database.
pub struct Migrator<'a> {
    graph: &'a Graph,
    db: &'a DatabaseConnection,
}

impl<'a> Migrator<'a> {
    /// A migrator for `graph` on `db`.
    pub fn new(graph: &'a Graph, db: &'a DatabaseConnection) -> Self {
        Self { graph, db }
    }

    /// The dialect of the connected database.
    pub fn dialect(&self) -> Dialect {
        dialect_of(self.db.get_database_backend())
    }

    /// The revisions the version table records (the applied heads), by id.
    /// A database that was never migrated has none.
    pub async fn current(&self) -> Result<Vec<String>, MigrateError> {
        let heads = read_version_table(self.db).await?;
        if let Some(unknown) = heads.iter().find(|id| self.graph.get(id).is_none()) {
            return Err(MigrateError::UnknownApplied(unknown.clone()));
        }
        Ok(heads)
    }

    /// Applies what `target` needs, reporting each step before it runs.
    pub async fn upgrade(&self, target: &str, report: impl FnMut(&Step)) -> Result<Vec<Step>, MigrateError> {
        self.migrate(Direction::Up, target, report).await
    }

    /// Undoes what `target` needs, reporting each step before it runs.
    pub async fn downgrade(
        &self,
        target: &str,
        report: impl FnMut(&Step),
    ) -> Result<Vec<Step>, MigrateError> {
        self.migrate(Direction::Down, target, report).await
    }

    /// Moves the database to `target` in `direction`, reporting each step before it runs.
    pub async fn migrate(
        &self,
        direction: Direction,
        target: &str,
        mut report: impl FnMut(&Step),
    ) -> Result<Vec<Step>, MigrateError> {
        let current = self.current().await?;
        let plan = match direction {
            Direction::Up => self.graph.upgrade_plan(&current, target)?,
            Direction::Down => self.graph.downgrade_plan(&current, target)?,
        };
        self.run(current, plan, direction, &mut report).await
    }

    async fn run(
        &self,
        current: Vec<String>,
        plan: Vec<&Node>,
        direction: Direction,
        report: &mut impl FnMut(&Step),
    ) -> Result<Vec<Step>, MigrateError> {
        let dialect = self.dialect();
        let mut applied = self.graph.ancestors(current.iter().map(String::as_str));
        let mut steps = Vec::with_capacity(plan.len());
        if !plan.is_empty() {
            self.db.execute_unprepared(&create_version_table(dialect)).await?;
        }
        for node in plan {
            let step = Step {
                direction,
                revision: node.id().to_owned(),
                parents: node.parents.clone(),
                message: node.message().to_owned(),
            };
            let ops = Operations::record(match direction {
                Direction::Up => node.module.upgrade,
                Direction::Down => node.module.downgrade,
            });
            let statements = render_all(&ops, dialect).map_err(|source| MigrateError::Render {
                revision: step.revision.clone(),
                source,
            })?;
            let mut after = applied.clone();
            match direction {
                Direction::Up => after.insert(step.revision.clone()),
                Direction::Down => after.remove(&step.revision),
            };
            report(&step);

            let txn = self.db.begin().await?;
            for (done, statement) in statements.iter().enumerate() {
                if let Err(source) = txn.execute_unprepared(statement).await {
                    drop(txn);
                    let committed = match dialect {
                        Dialect::MySql => statements[..done].to_vec(),
                        Dialect::Sqlite | Dialect::Postgres => Vec::new(),
                    };
                    return Err(MigrateError::Statement {
                        revision: step.revision,
                        at: describe_heads(&self.graph.heads_of(&applied)),
                        statement: statement.clone(),
                        source,
                        committed,
                    });
                }
            }
            write_version_table(&txn, &self.graph.heads_of(&after)).await?;
            txn.commit().await?;
            applied = after;
            steps.push(step);
        }
        Ok(steps)
    }
}

fn render_all(ops: &[Op], dialect: Dialect) -> Result<Vec<String>, RenderError> {
    let mut statements = Vec::new();
    for op in ops {
        statements.extend(render(op, dialect)?);
    }
    Ok(statements)
}

fn describe_failure(
    revision: &str,
    at: &str,
    statement: &str,
    source: &DbErr,
    committed: &[String],
) -> String {
    let mut text = if committed.is_empty() {
        format!("revision {revision} failed and was rolled back, so the database is still at {at}.")
    } else {
        format!(
            "revision {revision} failed; it is not recorded, so the version table still says {at}, but this \
             database commits DDL as it runs and these statements of the revision took effect:\n  {}\n\
             Undo them by hand before retrying.",
            committed.join(";\n  ")
        )
    };
    text.push_str(&format!("\n  failing statement: {statement}\n  error: {source}"));
    text
}

fn describe_heads(heads: &[String]) -> String {
    if heads.is_empty() {
        "base".to_owned()
    } else {
        heads.join(", ")
    }
}

/// The dialect a SeaORM backend speaks.
pub fn dialect_of(backend: DbBackend) -> Dialect {
    match backend {
        DbBackend::Sqlite => Dialect::Sqlite,
        DbBackend::Postgres => Dialect::Postgres,
        DbBackend::MySql => Dialect::MySql,
        other => unreachable!("SeaORM backend {other:?} has no autogen dialect"),
    }
}

fn create_version_table(dialect: Dialect) -> String {
    let q = |s: &str| match dialect {
        Dialect::MySql => format!("`{s}`"),
        _ => format!("\"{s}\""),
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({} varchar(32) NOT NULL, CONSTRAINT {} PRIMARY KEY ({}))",
        q(VERSION_TABLE),
        q("version_num"),
        q(&format!("{VERSION_TABLE}_pkc")),
        q("version_num"),
    )
}

/// The version table's rows, or none if it does not exist yet.
async fn read_version_table<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let exists = match backend {
        DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1".to_owned(),
        DbBackend::Postgres => {
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
                .to_owned()
        }
        _ => "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
            .to_owned(),
    };
    let found = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            exists,
            [VERSION_TABLE.into()],
        ))
        .await?;
    if found.is_none() {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT version_num FROM {VERSION_TABLE} ORDER BY version_num"),
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "version_num"))
        .collect()
}

async fn write_version_table<C: ConnectionTrait>(db: &C, heads: &[String]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_unprepared(&format!("DELETE FROM {VERSION_TABLE}"))
        .await?;
    let insert = match backend {
        DbBackend::MySql => format!("INSERT INTO {VERSION_TABLE} (version_num) VALUES (?)"),
        _ => format!("INSERT INTO {VERSION_TABLE} (version_num) VALUES ($1)"),
    };
    for head in heads {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            &insert,
            [head.clone().into()],
        ))
        .await?;
    }
    Ok(())
}

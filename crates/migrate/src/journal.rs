//! The statement journal: how far a revision got on MySQL and MariaDB,
//! which commit DDL as it runs, so that a run that stops half way (a
//! failing statement, a killed process, a lost connection) leaves part of a
//! revision in effect while the version table does not say so.
//!
//! Before a revision's first statement, the run writes every statement down
//! as pending; before each one runs, it marks it started. The statements run
//! outside a transaction there, so each write and each statement commits at
//! once, and after any stop the journal tells exactly which statements ran
//! (those before the last one started), which one was running (it may or may
//! not have taken effect), and which never ran. The transaction that records
//! the revision in the version table clears the journal; a journal with a
//! started statement is a run that stopped, and runs refuse to guess until
//! the database is repaired by hand and stamped.
//!
//! On PostgreSQL, a lock-safe revision runs in stages, each committed on its
//! own (`plan::stages`); there the journal holds one row per stage, marked
//! done as it commits (inside a transactional stage's own transaction), so a
//! run that stopped between stages is completed by the next one, which
//! skips the stages marked done.

use autogen_schema::{Dialect, JOURNAL_TABLE};
use sea_orm::{ConnectionTrait, DbErr, Statement};

use crate::render::ident;
use crate::revision::Direction;
use crate::version_table;

/// `CREATE TABLE IF NOT EXISTS` for the journal: on MySQL in utf8mb4
/// whatever the database's default, since statements name any identifier.
pub(crate) fn create_sql(dialect: Dialect) -> String {
    match dialect {
        Dialect::MySql => format!(
            "CREATE TABLE IF NOT EXISTS `{JOURNAL_TABLE}` (`statement_number` int NOT NULL, \
             `revision` varchar(32) NOT NULL, `direction` varchar(9) NOT NULL, `statement_sql` longtext NOT NULL, \
             `state` varchar(7) NOT NULL, PRIMARY KEY (`statement_number`)) DEFAULT CHARSET = utf8mb4"
        ),
        Dialect::Postgres | Dialect::Sqlite => format!(
            "CREATE TABLE IF NOT EXISTS \"{JOURNAL_TABLE}\" (\"statement_number\" integer NOT NULL PRIMARY KEY, \
             \"revision\" text NOT NULL, \"direction\" text NOT NULL, \"statement_sql\" text NOT NULL, \
             \"state\" text NOT NULL)"
        ),
    }
}

/// Empties the journal.
pub(crate) fn clear_sql(dialect: Dialect) -> String {
    format!("DELETE FROM {}", ident(dialect, JOURNAL_TABLE))
}

/// The `n`th (from 1) parameter of a statement.
fn parameter(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Postgres => format!("${n}"),
        Dialect::MySql | Dialect::Sqlite => "?".to_owned(),
    }
}

/// Where a journaled statement got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementState {
    /// It never started.
    Pending,
    /// It started; unless it is the last one started, it also finished.
    Started,
    /// It started and the database refused it.
    Failed,
    /// It ran and committed (a stage of a lock-safe revision on PostgreSQL).
    Done,
}

impl StatementState {
    fn as_str(self) -> &'static str {
        match self {
            StatementState::Pending => "pending",
            StatementState::Started => "started",
            StatementState::Failed => "failed",
            StatementState::Done => "done",
        }
    }
}

/// Writes down `statements` of `revision`, all pending, in place of
/// whatever the journal held.
pub(crate) async fn write<C: ConnectionTrait>(
    db: &C,
    dialect: Dialect,
    revision: &str,
    direction: Direction,
    statements: &[&str],
) -> Result<(), DbErr> {
    db.execute_unprepared(&clear_sql(dialect)).await?;
    if statements.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..statements.len())
        .map(|row| {
            let values: Vec<String> = (1..=5).map(|n| parameter(dialect, row * 5 + n)).collect();
            format!("({})", values.join(", "))
        })
        .collect();
    let q = |name: &str| ident(dialect, name);
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(statements.len() * 5);
    for (index, sql) in statements.iter().enumerate() {
        values.extend([
            (index as i32 + 1).into(),
            revision.into(),
            direction_name(direction).into(),
            (*sql).into(),
            StatementState::Pending.as_str().into(),
        ]);
    }
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        format!(
            "INSERT INTO {} ({}, {}, {}, {}, {}) VALUES {}",
            q(JOURNAL_TABLE),
            q("statement_number"),
            q("revision"),
            q("direction"),
            q("statement_sql"),
            q("state"),
            rows.join(", ")
        ),
        values,
    ))
    .await?;
    Ok(())
}

/// Marks statement `number` (from 1) as `state`.
pub(crate) async fn mark<C: ConnectionTrait>(
    db: &C,
    dialect: Dialect,
    number: usize,
    state: StatementState,
) -> Result<(), DbErr> {
    let q = |name: &str| ident(dialect, name);
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        format!(
            "UPDATE {} SET {} = {} WHERE {} = {}",
            q(JOURNAL_TABLE),
            q("state"),
            parameter(dialect, 1),
            q("statement_number"),
            parameter(dialect, 2)
        ),
        [state.as_str().into(), (number as i32).into()],
    ))
    .await?;
    Ok(())
}

/// A revision's run as the journal left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Journal {
    pub revision: String,
    pub direction: Direction,
    /// Every statement of the revision, in order, with where it got.
    pub statements: Vec<(String, StatementState)>,
}

/// The journal, if a run stopped inside a revision after one of its
/// statements started; `None` if it is empty, absent, or stopped before
/// anything ran.
pub(crate) async fn read<C: ConnectionTrait>(db: &C, dialect: Dialect) -> Result<Option<Journal>, DbErr> {
    if !version_table::exists(db, JOURNAL_TABLE).await? {
        return Ok(None);
    }
    let q = |name: &str| ident(dialect, name);
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT {}, {}, {}, {} FROM {} ORDER BY {}",
                q("revision"),
                q("direction"),
                q("statement_sql"),
                q("state"),
                q(JOURNAL_TABLE),
                q("statement_number")
            ),
        ))
        .await?;
    let mut journal: Option<Journal> = None;
    for row in rows {
        let state = match row.try_get::<String>("", "state")?.as_str() {
            "started" => StatementState::Started,
            "failed" => StatementState::Failed,
            "done" => StatementState::Done,
            _ => StatementState::Pending,
        };
        let entry = (row.try_get::<String>("", "statement_sql")?, state);
        match &mut journal {
            Some(journal) => journal.statements.push(entry),
            None => {
                journal = Some(Journal {
                    revision: row.try_get("", "revision")?,
                    direction: match row.try_get::<String>("", "direction")?.as_str() {
                        "downgrade" => Direction::Down,
                        _ => Direction::Up,
                    },
                    statements: vec![entry],
                })
            }
        }
    }
    Ok(journal.filter(|j| j.statements.iter().any(|(_, s)| *s != StatementState::Pending)))
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

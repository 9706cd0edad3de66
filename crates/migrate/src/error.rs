//! What can go wrong running revisions, worded for the person who must put
//! it right: [`MigrateError`], and [`Interrupted`], what a run that stopped
//! inside a revision on MySQL left behind.

use std::time::Duration;

use autogen_schema::Dialect;
use sea_orm::DbErr;
use thiserror::Error;

use crate::graph::GraphError;
use crate::journal::StatementState;
use crate::lock;
use crate::render::RenderError;
use crate::revision::Direction;
use crate::version_table;

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
        source: Box<DbErr>,
        /// Statements of this revision that took effect anyway, because the
        /// backend commits DDL as it runs (MySQL, MariaDB). Empty elsewhere.
        committed: Vec<String>,
    },
    /// A revision left rows whose foreign keys point nowhere (checked on
    /// SQLite, where a table drop or recreation runs with enforcement off).
    /// It was rolled back.
    #[error(
        "revision {revision} was rolled back: it leaves {count} row(s) whose foreign key points nowhere, \
         first in table '{table}' (referencing '{parent}'); fix the data or the revision and run it again"
    )]
    ForeignKeyViolation {
        /// The revision.
        revision: String,
        /// How many rows.
        count: usize,
        /// The first table with such a row.
        table: String,
        /// The table its foreign key references.
        parent: String,
    },
    /// The version table names a revision no file declares.
    #[error(
        "the database is at revision '{0}', which no revision file declares; restore that file, \
         or `autogen stamp --purge <revision>` to record where the database really is"
    )]
    UnknownApplied(String),
    /// A run stopped inside a revision on a backend that commits DDL as it
    /// runs, after some of its statements took effect.
    #[error("{0}")]
    Interrupted(Box<Interrupted>),
    /// A lock-safe revision's run stopped between its steps on PostgreSQL,
    /// each of which committed on its own.
    #[error("{0}")]
    Unfinished(Box<Unfinished>),
    /// A step of a lock-safe revision failed on PostgreSQL; the steps before
    /// it committed, and the next run in the same direction skips them.
    #[error(
        "{unfinished}\n  failing statement (in step {}): {statement}\n  error: {source}",
        unfinished.done + 1
    )]
    StepFailed {
        /// Where the revision got.
        unfinished: Box<Unfinished>,
        /// The failing SQL.
        statement: String,
        /// The database's error.
        source: Box<DbErr>,
    },
    /// A lock-safe revision was to run inside one transaction over the whole
    /// run, which its steps cannot share.
    #[error(
        "revision {0} runs lock-safe, in steps that each commit (and index builds outside any \
         transaction), so it cannot run inside one transaction; run without --single-transaction"
    )]
    LockSafeInOneTransaction(String),
    /// A checksum was to be accepted for a revision that is not applied.
    #[error("revision {0} is not applied to this database, so there is no checksum of it to accept")]
    NotApplied(String),
    /// The run was asked for something this backend cannot do.
    #[error("{0}")]
    Unsupported(String),
    /// Another run held the migration lock for longer than the lock timeout.
    #[error(
        "another run holds the migration lock ({}) and did not release it within {} s",
        lock::name(*dialect),
        waited.as_secs()
    )]
    Locked {
        /// The backend, whose lock it is.
        dialect: Dialect,
        /// How long this run waited.
        waited: Duration,
    },
    /// Reading the schema a revision's SQLite rebuild starts from failed.
    #[error("revision {revision} needs the current schema to rebuild tables on SQLite: {reason}")]
    ReadSchema {
        /// The revision.
        revision: String,
        /// Why.
        reason: String,
    },
    /// A baseline was to be recorded in a database whose version table
    /// already records revisions: autogen tracks it already.
    #[error(
        "the database is already stamped: {} records {}, so autogen tracks it already and \
         a baseline would hide that history; write changes with `autogen revision --autogenerate`, or, \
         to adopt it afresh, empty the version table with `autogen stamp --purge base` first",
        version_table::VERSION_TABLE,
        .0.join(", ")
    )]
    AlreadyStamped(Vec<String>),
    /// Any other database error.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// A revision a run stopped inside of, with its statements as the journal
/// left them: on MySQL and MariaDB, the only backends where that leaves the
/// database between two revisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interrupted {
    /// The revision.
    pub revision: String,
    /// Its message.
    pub message: String,
    /// Whether it was being applied or undone.
    pub direction: Direction,
    /// Its statements in order, with where each got.
    pub statements: Vec<(String, StatementState)>,
    /// The heads the version table holds, which is where the database is
    /// once the statements that ran are undone.
    pub recorded: Vec<String>,
    /// The heads once the revision's step is finished by hand.
    pub finished: Vec<String>,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = match self.direction {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        };
        // The last statement started is the one the run stopped in; the ones before it ran.
        let stopped = self
            .statements
            .iter()
            .rposition(|(_, state)| *state != StatementState::Pending)
            .unwrap_or(0);
        write!(
            f,
            "revision {} ({}) did not finish its {verb}: the run stopped at statement {} of {}, and this \
             database commits DDL as it runs, so it is partly changed while the version table still says {}.",
            self.revision,
            self.message,
            stopped + 1,
            self.statements.len(),
            describe_heads(&self.recorded),
        )?;
        let (ran, rest) = self.statements.split_at(stopped.min(self.statements.len()));
        let (stopped_in, not_run) = rest.split_at(rest.len().min(1));
        let list = |f: &mut std::fmt::Formatter<'_>,
                    heading: &str,
                    first: usize,
                    statements: &[(String, StatementState)]| {
            write!(f, "\n  {heading}:")?;
            if statements.is_empty() {
                return write!(f, "\n    none");
            }
            for (number, (sql, _)) in (first..).zip(statements) {
                write!(f, "\n    {number}. {sql}")?;
            }
            Ok(())
        };
        list(f, "ran", 1, ran)?;
        let heading = match stopped_in {
            [(_, StatementState::Failed)] => "failed (the database refused it; it did not take effect)",
            _ => "was running when the run stopped (it may or may not have taken effect)",
        };
        list(f, heading, stopped + 1, stopped_in)?;
        list(f, "did not run", stopped + 2, not_run)?;
        write!(
            f,
            "\nautogen will not guess which state to continue from; repair the database by hand, then record where it is:\n  \
             - to go back, undo the statements that ran, then {};\n  \
             - to go forward, run the statements that did not, then {}.",
            stamp_hint(&self.recorded),
            stamp_hint(&self.finished),
        )
    }
}

/// A lock-safe revision a run stopped inside of on PostgreSQL, between
/// steps that each committed: the next run in the same direction skips what
/// committed and completes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfinished {
    /// The revision.
    pub revision: String,
    /// Its message.
    pub message: String,
    /// Whether it was being applied or undone.
    pub direction: Direction,
    /// How many of its steps committed.
    pub done: usize,
    /// How many steps it has.
    pub steps: usize,
    /// The heads the version table holds.
    pub recorded: Vec<String>,
    /// Whether the revision's steps are still those the run began with; if
    /// not, its file was edited since, and it cannot be completed as it is.
    pub same_steps: bool,
}

impl std::fmt::Display for Unfinished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = match self.direction {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        };
        write!(
            f,
            "revision {} ({}) did not finish its lock-safe {verb}: {} of its {} steps committed, \
             while the version table still says {}.",
            self.revision,
            self.message,
            self.done,
            self.steps,
            describe_heads(&self.recorded),
        )?;
        if self.same_steps {
            write!(
                f,
                "\nRun `autogen {verb}` towards it again: it skips the steps that committed and runs the rest."
            )
        } else {
            write!(
                f,
                "\nIts file changed since the run began, so its steps are not the ones that ran: restore the \
                 file as it was and run `autogen {verb}` again, or finish the change by hand and record it \
                 with `autogen stamp`."
            )
        }
    }
}

/// How to make the version table hold `heads`.
fn stamp_hint(heads: &[String]) -> String {
    match heads {
        [] => "`autogen stamp base`".to_owned(),
        [head] => format!("`autogen stamp {head}`"),
        many => format!("record {} in the version table", many.join(", ")),
    }
}

/// The message of [`MigrateError::Statement`].
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
             autogen runs no revision on this database until it is repaired by hand and stamped; \
             `autogen current` shows how.",
            committed.join(";\n  ")
        )
    };
    text.push_str(&format!("\n  failing statement: {statement}\n  error: {source}"));
    text
}

/// Where the version table says the database is: its heads, or `base`.
pub(crate) fn describe_heads(heads: &[String]) -> String {
    if heads.is_empty() {
        "base".to_owned()
    } else {
        heads.join(", ")
    }
}

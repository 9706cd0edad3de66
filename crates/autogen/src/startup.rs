//! Migrating from the application itself, at start-up, with its own
//! connection: what the migration crate's `upgrade(&db)` and `status(&db)`
//! (written by `autogen init`) call. No `autogen.toml`, no [`Config`](crate::config::Config).
//!
//! ```no_run
//! # mod migration { pub const VERSIONS: autogen::Versions = autogen::Versions { dir: "", revisions: &[] }; }
//! # async fn start() -> Result<(), Box<dyn std::error::Error>> {
//! let db = autogen::sea_orm::Database::connect("postgres://app@localhost/app").await?;
//! for step in autogen::startup::upgrade(migration::VERSIONS, &db).await? {
//!     println!("{step}");
//! }
//! # Ok(()) }
//! ```

use std::fmt;

use autogen_migrate::{Direction, Graph, MigrateError, Migrator, Step, Versions};
use sea_orm::DatabaseConnection;

use crate::command::introspecting_reader;

/// Brings the database `db` reaches to every head of `versions`, as
/// `autogen upgrade heads` does, and returns the revisions it ran (none when
/// it was there already).
///
/// It runs over a connection of its own, opened with `db`'s settings and
/// closed after: a run needs one connection for its lock and transactions.
/// Replicas starting together are safe: each takes the migration lock in
/// turn, and each revision is applied once; the others find nothing left to do.
pub async fn upgrade(versions: Versions, db: &DatabaseConnection) -> Result<Vec<Step>, MigrateError> {
    let graph = Graph::new(versions.revisions)?;
    let migrator = Migrator::connect_like(&graph, db)
        .await?
        .with_schema_reader(introspecting_reader());
    let steps = migrator.upgrade("heads", |_| {}).await;
    let _ = migrator.connection().clone().close().await;
    steps
}

/// Where the database `db` reaches stands against `versions`: for a
/// readiness check. Runs nothing and takes no lock.
pub async fn status(versions: Versions, db: &DatabaseConnection) -> Result<Status, MigrateError> {
    let graph = Graph::new(versions.revisions)?;
    let migrator = Migrator::connect_like(&graph, db).await?;
    let status = read_status(&graph, &migrator).await;
    let _ = migrator.connection().clone().close().await;
    status
}

async fn read_status(graph: &Graph, migrator: &Migrator<'_>) -> Result<Status, MigrateError> {
    let recorded = migrator.recorded_versions().await?;
    let unknown: Vec<String> = recorded
        .iter()
        .filter(|id| graph.get(id).is_none())
        .cloned()
        .collect();
    if !unknown.is_empty() {
        // A later release migrated it (a rolling deploy): nothing is pending for this one.
        return Ok(Status {
            current: recorded,
            pending: Vec::new(),
            unknown,
        });
    }
    Ok(Status {
        current: migrator.current().await?,
        pending: migrator.plan(Direction::Up, "heads").await?,
        unknown,
    })
}

/// What [`status`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The revisions the version table records (its heads); empty for a
    /// database never migrated.
    pub current: Vec<String>,
    /// The revisions an upgrade would run, in order.
    pub pending: Vec<Step>,
    /// Recorded revisions this build does not have: the database was
    /// migrated by a later release.
    pub unknown: Vec<String>,
}

impl Status {
    /// Whether the database is exactly at this build's heads.
    pub fn is_at_head(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.unknown.is_empty() {
            return write!(
                f,
                "the database is at {}, which this build does not have: a later release migrated it",
                self.unknown.join(", ")
            );
        }
        match self.pending.as_slice() {
            [] => write!(f, "at head ({})", self.current.join(", ")),
            pending => {
                let ids: Vec<&str> = pending.iter().map(|step| step.revision.as_str()).collect();
                write!(f, "{} revision(s) pending: {}", pending.len(), ids.join(", "))
            }
        }
    }
}

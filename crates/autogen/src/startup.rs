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
///
/// A database a later release migrated (revisions this build lacks: a
/// rolling deploy, or the application rolled back alone) is left as it is,
/// and this returns no steps, so that the older release still starts;
/// [`status`] says so.
pub async fn upgrade(versions: Versions, db: &DatabaseConnection) -> Result<Vec<Step>, MigrateError> {
    let graph = Graph::new(versions.revisions)?;
    let migrator = Migrator::connect_like(&graph, db)
        .await?
        .with_schema_reader(introspecting_reader());
    let steps = match migrator.recorded_versions().await {
        Ok(recorded) if !lacked(&graph, &recorded).is_empty() => Ok(Vec::new()),
        Ok(_) => migrator.upgrade("heads", |_| {}).await,
        Err(error) => Err(error),
    };
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
    let unknown = lacked(graph, &recorded);
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

/// The recorded revisions `graph` does not have: a later release's.
fn lacked(graph: &Graph, recorded: &[String]) -> Vec<String> {
    recorded.iter().filter(|id| graph.get(id).is_none()).cloned().collect()
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

    /// Whether this build can serve: nothing it needs is pending. A
    /// database a later release migrated is ready too, as far as the
    /// history can tell: in a rolling deploy the older replicas serve on.
    pub fn is_ready(&self) -> bool {
        self.pending.is_empty()
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

#[cfg(test)]
mod tests {
    use autogen_migrate::{Operations, Revision, RevisionModule};
    use autogen_schema::{Column, ColumnType, Table};
    use autogen_testdb::Backend;

    use super::*;

    fn create(op: &mut Operations) {
        op.create_table(Table::new("t").column(Column::new("id", ColumnType::Integer)));
    }
    fn drop(op: &mut Operations) {
        op.drop_table("t");
    }
    fn nothing(_: &mut Operations) {}

    const fn module(id: &'static str, down_revision: &'static [&'static str]) -> RevisionModule {
        RevisionModule {
            revision: Revision {
                id,
                down_revision,
                branch_labels: &[],
                depends_on: &[],
                message: id,
            },
            upgrade: if down_revision.is_empty() { create } else { nothing },
            downgrade: if down_revision.is_empty() { drop } else { nothing },
            path: "x.rs",
        }
    }

    const OLD: Versions = Versions {
        dir: "src/versions",
        revisions: &[module("aaaa", &[])],
    };
    const NEW: Versions = Versions {
        dir: "src/versions",
        revisions: &[module("aaaa", &[]), module("bbbb", &["aaaa"])],
    };

    /// Over an application's pool: what is pending, then nothing once
    /// upgraded; and to a build older than the database, the revisions it
    /// lacks, never an error (a rolling deploy's old replicas ask too).
    #[tokio::test]
    async fn status_says_what_is_pending_and_what_this_build_lacks() {
        let db = Backend::Sqlite.fresh().await.unwrap();
        let pool = sea_orm::Database::connect(db.url.as_str()).await.unwrap();

        let before = status(NEW, &pool).await.unwrap();
        assert!(!before.is_at_head() && !before.is_ready());
        assert_eq!(before.to_string(), "2 revision(s) pending: aaaa, bbbb");

        let ran = upgrade(NEW, &pool).await.unwrap();
        assert_eq!(ran.len(), 2);
        assert!(upgrade(NEW, &pool).await.unwrap().is_empty(), "nothing is left to run");
        let after = status(NEW, &pool).await.unwrap();
        assert!(after.is_at_head() && after.is_ready());
        assert_eq!(after.to_string(), "at head (bbbb)");

        let old = status(OLD, &pool).await.unwrap();
        assert!(!old.is_at_head());
        assert_eq!(old.unknown, ["bbbb"]);
        assert_eq!(
            old.to_string(),
            "the database is at bbbb, which this build does not have: a later release migrated it"
        );
        assert!(old.is_ready(), "an older replica serves on");
        assert!(upgrade(OLD, &pool).await.unwrap().is_empty(), "and starts");
    }

    /// An application whose pool searches another schema migrates that
    /// schema, version table and all, as its own queries read it.
    #[tokio::test]
    async fn the_pools_search_path_is_where_revisions_run() {
        use sea_orm::{ConnectOptions, ConnectionTrait, Database, Statement};
        let Some(db) = Backend::Postgres.fresh().await else { return };
        let setup = Database::connect(db.url.as_str()).await.unwrap();
        setup.execute_unprepared("CREATE SCHEMA app").await.unwrap();
        let mut options = ConnectOptions::new(db.url.as_str());
        options.set_schema_search_path("app");
        let pool = Database::connect(options).await.unwrap();

        assert_eq!(upgrade(NEW, &pool).await.unwrap().len(), 2);
        let tables = setup
            .query_all_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables \
                 WHERE table_schema IN ('app', 'public') ORDER BY 1",
            ))
            .await
            .unwrap();
        let names: Vec<String> = tables.iter().map(|row| row.try_get("", "name").unwrap()).collect();
        assert_eq!(names, ["app.autogen_revisions", "app.autogen_version", "app.t"]);
        assert!(status(NEW, &pool).await.unwrap().is_at_head());
    }
}

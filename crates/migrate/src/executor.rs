//! Running revisions against a database and keeping the version table.
//!
//! Each revision runs in its own transaction together with the version-table
//! update that records it, so on a backend with transactional DDL (SQLite,
//! PostgreSQL) a failing or killed revision leaves nothing behind and is not
//! recorded; [`RunOptions::single_transaction`] puts the whole run in one
//! transaction instead. MySQL commits DDL as it runs, so there each statement
//! commits on its own, written down first in the journal (`journal.rs`), and
//! only the version-table update and each data step (`data.rs`) are
//! transactions. Concurrent runs are
//! serialized: PostgreSQL takes an advisory lock, MySQL `GET_LOCK`, SQLite a
//! write transaction (`BEGIN IMMEDIATE`) per revision; and since every step
//! re-reads the version table inside its transaction, a run that waited
//! applies only what is still missing. A run waits for the lock at most
//! [`Migrator::with_lock_timeout`] (on SQLite, the busy timeout is that
//! long), then fails with [`MigrateError::Locked`].

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use autogen_schema::{Dialect, Op, Schema, JOURNAL_TABLE};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

use crate::data::{DataConnection, DataStep};
use crate::error::{describe_heads, Interrupted, MigrateError, Unfinished};
use crate::graph::{is_revision_id, Graph, GraphError, Node};
use crate::journal::{self, StatementState};
use crate::lock::{self, DEFAULT_LOCK_TIMEOUT};
use crate::plan::{
    begin, drops_a_table, is_staged, next_step, stages, stamp_heads, Action, LockWait, RunOptions, Stage,
    Step,
};
use crate::portable;
use crate::revision::{Direction, Operations};
use crate::version_table;

/// Reads the connected database's schema. A revision written for another
/// backend needs it on SQLite, where each change it cannot make in place
/// becomes a rebuild of the table as it is; the migrate crate does not read
/// catalogs itself, so whoever builds the [`Migrator`] lends it a reader
/// (`autogen` lends `autogen-introspect`).
pub type SchemaReader = Arc<
    dyn for<'c> Fn(
            &'c DatabaseConnection,
        ) -> Pin<Box<dyn Future<Output = Result<Schema, String>> + Send + 'c>>
        + Send
        + Sync,
>;

/// Runs a revision graph against one database, over one connection (so the
/// lock and the transactions share it).
pub struct Migrator<'a> {
    graph: &'a Graph,
    db: DatabaseConnection,
    schema_reader: Option<SchemaReader>,
    lock_timeout: Duration,
    lock_wait: LockWait,
}

impl<'a> Migrator<'a> {
    /// Connects with `options` (a URL will do), over the single connection
    /// a migration run uses whatever they say.
    pub async fn connect(graph: &'a Graph, options: impl Into<ConnectOptions>) -> Result<Self, DbErr> {
        let mut options = options.into();
        options.max_connections(1).min_connections(1).sqlx_logging(false);
        Ok(Self::over(graph, Database::connect(options).await?))
    }

    /// Connects as `db` (an application's pool) does: to the same database,
    /// with the same settings (credentials, TLS, the SQLite file, and on
    /// PostgreSQL the schema search path), over one connection of its own,
    /// since a run's lock and transactions need one connection, which a pool
    /// does not promise. `db` itself is left alone. Hooks the application
    /// runs as its connections open (`after_connect`) are not run.
    pub async fn connect_like(graph: &'a Graph, db: &DatabaseConnection) -> Result<Self, DbErr> {
        use sea_orm::sqlx::pool::PoolOptions;
        use sea_orm::{DatabaseConnectionType as Pool, RuntimeErr};
        fn single<DB: sea_orm::sqlx::Database>() -> PoolOptions<DB> {
            PoolOptions::new().max_connections(1).min_connections(1)
        }
        let failed = |e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)));
        let own = match &db.inner {
            Pool::SqlxPostgresPoolConnection(_) => {
                let options = db.get_postgres_connection_pool().connect_options();
                let pool = single().connect_with((*options).clone()).await.map_err(failed)?;
                let own = sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
                // SeaORM sets a pool's schema search path as each connection opens,
                // which the options do not carry: the new connection takes the pool's.
                let path = sea_orm::Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT current_setting('search_path') AS search_path",
                );
                if let Some(row) = db.query_one_raw(path).await? {
                    let path: String = row.try_get("", "search_path")?;
                    own.execute_raw(sea_orm::Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT set_config('search_path', $1, false)",
                        [path.into()],
                    ))
                    .await?;
                }
                own
            }
            Pool::SqlxMySqlPoolConnection(_) => {
                let options = db.get_mysql_connection_pool().connect_options();
                let pool = single().connect_with((*options).clone()).await.map_err(failed)?;
                sea_orm::SqlxMySqlConnector::from_sqlx_mysql_pool(pool)
            }
            Pool::SqlxSqlitePoolConnection(_) => {
                let options = db.get_sqlite_connection_pool().connect_options();
                let pool = single().connect_with((*options).clone()).await.map_err(failed)?;
                sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
            }
            _ => {
                return Err(DbErr::Custom(
                    "autogen runs revisions over SeaORM's SQLite, PostgreSQL and MySQL connections; \
                     this one (a mock, a proxy or a closed connection) is none of them"
                        .into(),
                ))
            }
        };
        Ok(Self::over(graph, own))
    }

    fn over(graph: &'a Graph, db: DatabaseConnection) -> Self {
        Self {
            graph,
            db,
            schema_reader: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            lock_wait: LockWait::default(),
        }
    }

    /// How lock-safe revisions wait for their locks in [`Migrator::upgrade`]
    /// and [`Migrator::downgrade`] ([`LockWait::default`] unless set; a run
    /// through [`Migrator::migrate`] takes it from its [`RunOptions`]).
    pub fn with_lock_wait(mut self, lock_wait: LockWait) -> Self {
        self.lock_wait = lock_wait;
        self
    }

    /// How long a run waits for the lock another run holds
    /// ([`DEFAULT_LOCK_TIMEOUT`] unless set) before failing with [`MigrateError::Locked`].
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Lends the migrator a way to read the schema, so that on SQLite a
    /// revision's changes SQLite cannot make in place run as table rebuilds.
    /// Without one, such a revision is refused with the way out.
    pub fn with_schema_reader(mut self, reader: SchemaReader) -> Self {
        self.schema_reader = Some(reader);
        self
    }

    /// The connection, for callers that inspect the database after a run.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The dialect of the connected database.
    pub fn dialect(&self) -> Dialect {
        dialect_of(self.db.get_database_backend())
    }

    /// The revisions the version table records (the applied heads), by id.
    /// A database that was never migrated has none. On MySQL, a run that
    /// stopped inside a revision is [`MigrateError::Interrupted`]: the
    /// database is between the version table's revisions and the next.
    /// On PostgreSQL, a lock-safe revision a run stopped between steps of is
    /// [`MigrateError::Unfinished`]: the next run completes it.
    pub async fn current(&self) -> Result<Vec<String>, MigrateError> {
        let (heads, unfinished) = self.heads_and_unfinished(None).await?;
        if let Some(unfinished) = unfinished {
            // A run in progress keeps a journal too; it holds the lock.
            if !lock::held_elsewhere(&self.db, Dialect::Postgres).await? {
                return Err(MigrateError::Unfinished(Box::new(unfinished)));
            }
        }
        Ok(heads)
    }

    /// The recorded heads, and the lock-safe revision a stopped run left
    /// unfinished, if any, which a run holding the lock completes; its steps
    /// are compared with those the revision has when run with `tag`.
    async fn heads_and_unfinished(
        &self,
        tag: Option<&str>,
    ) -> Result<(Vec<String>, Option<Unfinished>), MigrateError> {
        let heads = self.uninterrupted_heads().await?;
        let unfinished = self.unfinished(&heads, tag).await?;
        Ok((heads, unfinished))
    }

    /// The recorded heads, unless a run stopped inside a revision on MySQL.
    async fn uninterrupted_heads(&self) -> Result<Vec<String>, MigrateError> {
        let heads = self.recorded().await?;
        if let Some(interrupted) = self.interrupted(&heads).await? {
            return Err(MigrateError::Interrupted(Box::new(interrupted)));
        }
        Ok(heads)
    }

    /// What the journal says of a lock-safe revision a run stopped between
    /// the steps of (PostgreSQL only; `None` when no step of it committed).
    async fn unfinished(
        &self,
        heads: &[String],
        tag: Option<&str>,
    ) -> Result<Option<Unfinished>, MigrateError> {
        if self.dialect() != Dialect::Postgres {
            return Ok(None);
        }
        let Some(journal) = journal::read(&self.db, Dialect::Postgres).await? else {
            return Ok(None);
        };
        let node = self
            .graph
            .get(&journal.revision)
            .ok_or_else(|| MigrateError::UnknownApplied(journal.revision.clone()))?;
        let recorded = Operations::record_runnable(node.module.function(journal.direction), tag);
        let now = stages(&recorded.ops, recorded.code, Dialect::Postgres, recorded.mode)
            .map(|stages| stages.iter().map(stage_text).collect::<Vec<_>>())
            .unwrap_or_default();
        let then: Vec<&String> = journal.statements.iter().map(|(text, _)| text).collect();
        Ok(Some(Unfinished {
            revision: journal.revision,
            message: node.message().to_owned(),
            direction: journal.direction,
            done: journal
                .statements
                .iter()
                .take_while(|(_, state)| *state == StatementState::Done)
                .count(),
            steps: journal.statements.len(),
            recorded: heads.to_vec(),
            same_steps: now.iter().eq(then),
        }))
    }

    /// The heads the version table records, each declared by a revision file.
    async fn recorded(&self) -> Result<Vec<String>, MigrateError> {
        let heads = version_table::read(&self.db).await?;
        if let Some(unknown) = heads.iter().find(|id| self.graph.get(id).is_none()) {
            return Err(MigrateError::UnknownApplied(unknown.clone()));
        }
        Ok(heads)
    }

    /// What the journal says of a run that stopped inside a revision (MySQL
    /// only: elsewhere a stopped revision was rolled back whole).
    async fn interrupted(&self, heads: &[String]) -> Result<Option<Interrupted>, MigrateError> {
        if self.dialect() != Dialect::MySql {
            return Ok(None);
        }
        let Some(journal) = journal::read(&self.db, Dialect::MySql).await? else {
            return Ok(None);
        };
        // A run in progress keeps a journal too; it holds the lock.
        if lock::held_elsewhere(&self.db, Dialect::MySql).await? {
            return Ok(None);
        }
        let node = self
            .graph
            .get(&journal.revision)
            .ok_or_else(|| MigrateError::UnknownApplied(journal.revision.clone()))?;
        let mut finished = self.graph.ancestors(heads.iter().map(String::as_str));
        match journal.direction {
            Direction::Up => finished.insert(journal.revision.clone()),
            Direction::Down => finished.remove(&journal.revision),
        };
        Ok(Some(Interrupted {
            revision: journal.revision,
            message: node.message().to_owned(),
            direction: journal.direction,
            statements: journal.statements,
            recorded: heads.to_vec(),
            finished: self.graph.heads_of(&finished),
        }))
    }

    /// The applied revisions whose ops are not the ones they had when they
    /// ran (their file was edited since), in the order they were applied.
    /// Revisions with no recorded checksum (applied before autogen kept
    /// them, or stamped) are taken as they are.
    pub async fn modified(&self) -> Result<Vec<&'a Node>, MigrateError> {
        let heads = self.recorded().await?;
        let recorded = version_table::read_checksums(&self.db).await?;
        let applied = self.graph.ancestors(heads.iter().map(String::as_str));
        Ok(self
            .graph
            .topological(&applied)
            .into_iter()
            .filter(|node| {
                recorded
                    .get(node.id())
                    .is_some_and(|row| row.checksum != node.module.checksum(row.tag.as_deref()))
            })
            .collect())
    }

    /// Records the checksum `revision`'s ops have now as the one it was
    /// applied with, running nothing: for an applied revision that was
    /// edited and whose edit the database already matches. Returns its id.
    pub async fn accept_checksum(&self, revision: &str) -> Result<String, MigrateError> {
        self.locked(self.accept_checksum_locked(revision)).await
    }

    async fn accept_checksum_locked(&self, revision: &str) -> Result<String, MigrateError> {
        let dialect = self.dialect();
        let heads = self.recorded().await?;
        let node = self
            .graph
            .resolve_target(&heads, revision)?
            .ok_or_else(|| MigrateError::NotApplied(revision.to_owned()))?;
        if !self
            .graph
            .ancestors(heads.iter().map(String::as_str))
            .contains(node.id())
        {
            return Err(MigrateError::NotApplied(node.id().to_owned()));
        }
        self.create_tables().await?;
        // The edit is accepted as run with the tag the revision ran with.
        let tag = version_table::read_checksums(&self.db)
            .await?
            .remove(node.id())
            .and_then(|row| row.tag);
        let checksum = node.module.checksum(tag.as_deref());
        self.db.execute_unprepared(begin(dialect)).await?;
        for statement in
            version_table::record_sql(dialect, Direction::Up, node.id(), &checksum, tag.as_deref())
        {
            self.db.execute_unprepared(&statement).await?;
        }
        self.db.execute_unprepared("COMMIT").await?;
        Ok(node.id().to_owned())
    }

    /// Creates the tables a run writes (the journal only on MySQL), where missing.
    async fn create_tables(&self) -> Result<(), MigrateError> {
        let dialect = self.dialect();
        for statement in version_table::create_sql(dialect) {
            self.db.execute_unprepared(&statement).await?;
        }
        if dialect == Dialect::MySql {
            self.db.execute_unprepared(&journal::create_sql(dialect)).await?;
        }
        Ok(())
    }

    /// Applies what `target` needs, one transaction per revision, reporting each step before it runs.
    pub async fn upgrade(&self, target: &str, report: impl FnMut(&Step)) -> Result<Vec<Step>, MigrateError> {
        self.migrate(Direction::Up, target, self.default_options(), report)
            .await
    }

    fn default_options(&self) -> RunOptions {
        RunOptions {
            lock_wait: self.lock_wait.clone(),
            ..RunOptions::default()
        }
    }

    /// Undoes what `target` needs, one transaction per revision, reporting each step before it runs.
    pub async fn downgrade(
        &self,
        target: &str,
        report: impl FnMut(&Step),
    ) -> Result<Vec<Step>, MigrateError> {
        self.migrate(Direction::Down, target, self.default_options(), report)
            .await
    }

    /// Moves the database to `target` in `direction`, reporting each step before it runs.
    pub async fn migrate(
        &self,
        direction: Direction,
        target: &str,
        options: RunOptions,
        report: impl FnMut(&Step),
    ) -> Result<Vec<Step>, MigrateError> {
        let goal = |current: &[String]| self.goal(direction, current, target);
        self.run(direction, goal, options, report).await
    }

    /// The steps [`Migrator::migrate`] would take from where the database
    /// is now, running nothing (another run may take some first).
    /// A lock-safe revision left unfinished is among them when the run would
    /// complete it; whether it may is the run's to say.
    pub async fn plan(&self, direction: Direction, target: &str) -> Result<Vec<Step>, MigrateError> {
        let (current, _) = self.heads_and_unfinished(None).await?;
        let goal = self.goal(direction, &current, target)?;
        let applied = self.graph.ancestors(current.iter().map(String::as_str));
        Ok(self
            .walk(direction, applied, &goal)
            .into_iter()
            .map(|node| Step::new(node, direction))
            .collect())
    }

    /// The revisions `target` names the run's end by, from `current`.
    fn goal(
        &self,
        direction: Direction,
        current: &[String],
        target: &str,
    ) -> Result<BTreeSet<String>, GraphError> {
        match direction {
            Direction::Up => self.graph.upgrade_goal(current, target),
            Direction::Down => self.graph.downgrade_goal(current, target),
        }
    }

    /// The revisions a run from `applied` to `goal` takes, in order.
    fn walk(
        &self,
        direction: Direction,
        mut applied: BTreeSet<String>,
        goal: &BTreeSet<String>,
    ) -> Vec<&'a Node> {
        let mut nodes = Vec::new();
        while let Some(node) = self.next(direction, &applied, goal) {
            nodes.push(node);
            match direction {
                Direction::Up => applied.insert(node.id().to_owned()),
                Direction::Down => applied.remove(node.id()),
            };
        }
        nodes
    }

    /// Undoes the revision `revision` (an id, a unique prefix or a label)
    /// and every applied revision that requires it, dependents first. Where
    /// nothing applied requires it, that is exactly one step, which no
    /// target can say once the history branches (`verify` takes them one
    /// at a time).
    pub async fn downgrade_revision(
        &self,
        revision: &str,
        options: RunOptions,
        report: impl FnMut(&Step),
    ) -> Result<Vec<Step>, MigrateError> {
        let undo = self
            .graph
            .dependents(&BTreeSet::from([self.graph.resolve(revision)?.id().to_owned()]));
        let goal = |current: &[String]| {
            let applied = self.graph.ancestors(current.iter().map(String::as_str));
            Ok(applied.difference(&undo).cloned().collect())
        };
        self.run(Direction::Down, goal, options, report).await
    }

    /// Runs revisions in `direction` until the applied ones are `goal`
    /// (computed from the heads the database is at when the run begins).
    async fn run(
        &self,
        direction: Direction,
        goal: impl FnOnce(&[String]) -> Result<BTreeSet<String>, GraphError>,
        options: RunOptions,
        mut report: impl FnMut(&Step),
    ) -> Result<Vec<Step>, MigrateError> {
        if options.single_transaction && self.dialect() == Dialect::MySql {
            return Err(MigrateError::Unsupported(
                "MySQL commits DDL as it runs, so one transaction over the whole run is not possible; \
                 leave out --single-transaction"
                    .into(),
            ));
        }
        self.notice_a_vanished_client().await?;
        let result = self
            .locked(self.migrate_locked(direction, goal, &options, &mut report))
            .await;
        // After the failure's ROLLBACK: the pragma is ignored inside a transaction.
        if self.dialect() == Dialect::Sqlite {
            self.db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
        }
        result
    }

    /// On PostgreSQL 14 and later, has the server check every second that
    /// this client is still there while a statement runs, so that a killed
    /// run's statement stops and its transaction rolls back at once, instead
    /// of running on (holding the migration lock) until it ends by itself.
    async fn notice_a_vanished_client(&self) -> Result<(), MigrateError> {
        if self.dialect() == Dialect::Postgres {
            self.db
                .execute_unprepared(
                    "SELECT set_config('client_connection_check_interval', '1s', false) \
                     WHERE current_setting('server_version_num')::int >= 140000",
                )
                .await?;
        }
        Ok(())
    }

    /// Whether any revision the run will take drops a table (a rebuild drops
    /// the old one), which on SQLite needs foreign key enforcement off: see
    /// [`drops_a_table`]. Whether a column drop rebuilds its table only the
    /// table says (SQLite cannot drop a UNIQUE column in place), so the run's
    /// ops are then replayed over the schema as it is; where that cannot be
    /// read or replayed, enforcement goes off, which is always safe.
    async fn drops_tables(
        &self,
        direction: Direction,
        applied: BTreeSet<String>,
        goal: &BTreeSet<String>,
        tag: Option<&str>,
    ) -> bool {
        let ops: Vec<Op> = self
            .walk(direction, applied, goal)
            .into_iter()
            .flat_map(|node| Operations::record(node.module.function(direction), tag))
            .collect();
        if ops.iter().any(drops_a_table) {
            return true;
        }
        let Some(reader) = &self.schema_reader else {
            return false;
        };
        if !ops.iter().any(portable::may_rebuild) {
            return false;
        }
        match reader(&self.db).await {
            Ok(before) => {
                portable::for_sqlite(&ops, &before).map_or(true, |ops| ops.iter().any(drops_a_table))
            }
            Err(_) => true,
        }
    }

    /// `ops` as this database can run them: on SQLite, with a schema reader,
    /// what it cannot do in place becomes table rebuilds of the tables as
    /// they are now (read inside the revision's transaction).
    async fn runnable(&self, ops: Vec<Op>, revision: &str) -> Result<Vec<Op>, MigrateError> {
        let Some(reader) = &self.schema_reader else {
            return Ok(ops);
        };
        if self.dialect() != Dialect::Sqlite || !ops.iter().any(portable::may_rebuild) {
            return Ok(ops);
        }
        let read_error = |reason: String| MigrateError::ReadSchema {
            revision: revision.to_owned(),
            reason,
        };
        let before = reader(&self.db).await.map_err(read_error)?;
        portable::for_sqlite(&ops, &before).map_err(|e| read_error(e.to_string()))
    }

    /// With enforcement off, what enforcement would have refused: checked
    /// inside the transaction, so a violation rolls the revision back.
    async fn check_foreign_keys(&self, revision: &str) -> Result<(), MigrateError> {
        let rows = self
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA foreign_key_check",
            ))
            .await?;
        let Some(first) = rows.first() else {
            return Ok(());
        };
        Err(MigrateError::ForeignKeyViolation {
            revision: revision.to_owned(),
            count: rows.len(),
            table: first.try_get("", "table")?,
            parent: first.try_get("", "parent")?,
        })
    }

    async fn migrate_locked(
        &self,
        direction: Direction,
        goal: impl FnOnce(&[String]) -> Result<BTreeSet<String>, GraphError>,
        options: &RunOptions,
        report: &mut impl FnMut(&Step),
    ) -> Result<Vec<Step>, MigrateError> {
        let dialect = self.dialect();
        let tag = options.tag.as_deref();
        // Read once: under the lock, only this run changes the journal after.
        let (current, mut unfinished) = self.heads_and_unfinished(tag).await?;
        // The target is resolved once, against where the database was when the
        // run began, so that `+1` means one step even if another run moved it.
        let goal = goal(&current)?;
        let applied = self.graph.ancestors(current.iter().map(String::as_str));
        if self.next(direction, &applied, &goal).is_none() {
            return match unfinished {
                Some(unfinished) => Err(MigrateError::Unfinished(Box::new(unfinished))),
                None => Ok(Vec::new()),
            };
        }
        if options.single_transaction {
            // Refused before anything runs, not when the revision is reached.
            if let Some(node) = self
                .walk(direction, applied.clone(), &goal)
                .into_iter()
                .find(|node| is_staged(dialect, node.module.ddl_mode(direction)))
            {
                return Err(MigrateError::LockSafeInOneTransaction(node.id().to_owned()));
            }
        }
        self.create_tables().await?;
        // The pragma is ignored inside a transaction, so it is set for the run.
        let foreign_keys_off = dialect == Dialect::Sqlite
            && self
                .drops_tables(direction, applied.clone(), &goal, options.tag.as_deref())
                .await;
        if foreign_keys_off {
            self.db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
        }
        let started_at = current;
        let mut steps: Vec<Step> = Vec::new();
        // MySQL commits DDL as it runs, so a revision's statements cannot
        // share a transaction there: each commits on its own, journaled first.
        let journaled = dialect == Dialect::MySql;
        if options.single_transaction {
            self.db.execute_unprepared(begin(dialect)).await?;
        }
        loop {
            if !options.single_transaction && !journaled {
                self.db.execute_unprepared(begin(dialect)).await?;
            }
            let heads = self.uninterrupted_heads().await?;
            let applied = self.graph.ancestors(heads.iter().map(String::as_str));
            let Some(node) = self.next(direction, &applied, &goal) else {
                if let (true, Some(last)) = (foreign_keys_off, steps.last()) {
                    // One transaction for the run: checked once, before it commits.
                    self.check_foreign_keys(&last.revision).await?;
                }
                if !journaled {
                    self.db.execute_unprepared("COMMIT").await?;
                }
                return Ok(steps);
            };
            // Only the revision a stopped run left unfinished can run next, the same way.
            let resumed = match unfinished.take() {
                Some(u) if u.revision == node.id() && u.direction == direction && u.same_steps => u.done,
                Some(u) => return Err(MigrateError::Unfinished(Box::new(u))),
                None => 0,
            };
            let step = Step::new(node, direction);
            let recorded = Operations::record_runnable(node.module.function(direction), tag);
            let mode = recorded.mode;
            let ops = self.runnable(recorded.ops, &step.revision).await?;
            let stages =
                stages(&ops, recorded.code, dialect, mode).map_err(|source| MigrateError::Render {
                    revision: step.revision.clone(),
                    source,
                })?;
            let mut after = applied.clone();
            match direction {
                Direction::Up => after.insert(step.revision.clone()),
                Direction::Down => after.remove(&step.revision),
            };
            report(&step);
            if is_staged(dialect, mode) {
                // Each stage has its own transaction; the one that read the heads ends.
                self.db.execute_unprepared("COMMIT").await?;
                self.run_stages(&step, &heads, &stages, resumed, &options.lock_wait)
                    .await?;
                self.db.execute_unprepared(begin(dialect)).await?;
            } else {
                let actions: Vec<&Action> = stages.iter().flat_map(|stage| &stage.actions).collect();
                // Lock-safe, unstaged: MariaDB's (SQLite has no lock waits to bound).
                let lock_wait =
                    (mode == autogen_schema::DdlMode::LockSafe && journaled).then_some(&options.lock_wait);
                if let Some(wait) = lock_wait {
                    self.db.execute_unprepared(&wait.mysql_set()).await?;
                }
                let result = self.run_actions(&step, &actions, journaled, lock_wait).await;
                if lock_wait.is_some() {
                    for sql in LockWait::reset(dialect) {
                        let reset = self.db.execute_unprepared(&sql).await;
                        // A failure is what to report, not the reset after it.
                        if result.is_ok() {
                            reset?;
                        }
                    }
                }
                if let Err((done, source)) = result {
                    let at = if options.single_transaction {
                        &started_at
                    } else {
                        &heads
                    };
                    return Err(MigrateError::Statement {
                        revision: step.revision,
                        at: describe_heads(at),
                        statement: actions[done].text.clone(),
                        source: Box::new(source),
                        committed: match dialect {
                            Dialect::MySql => actions[..done].iter().map(|a| a.text.clone()).collect(),
                            Dialect::Sqlite | Dialect::Postgres => Vec::new(),
                        },
                    });
                }
                if journaled {
                    self.db.execute_unprepared(begin(dialect)).await?;
                }
            }
            for statement in version_table::write_sql(dialect, &self.graph.heads_of(&after)) {
                self.db.execute_unprepared(&statement).await?;
            }
            let checksum = node.module.checksum(tag);
            for statement in version_table::record_sql(dialect, direction, &step.revision, &checksum, tag) {
                self.db.execute_unprepared(&statement).await?;
            }
            if journaled || is_staged(dialect, mode) {
                self.db.execute_unprepared(&journal::clear_sql(dialect)).await?;
            }
            if !options.single_transaction {
                if foreign_keys_off {
                    self.check_foreign_keys(&step.revision).await?;
                }
                self.db.execute_unprepared("COMMIT").await?;
            }
            steps.push(step);
        }
    }

    /// Runs a revision's actions in order, on MySQL each journaled first.
    /// With `lock_wait` (a lock-safe revision), a statement that gave up
    /// waiting for its lock did nothing, and runs again after a pause, as
    /// many times as it allows. The failure, with the index of the action
    /// that failed.
    async fn run_actions(
        &self,
        step: &Step,
        actions: &[&Action],
        journaled: bool,
        lock_wait: Option<&LockWait>,
    ) -> Result<(), (usize, DbErr)> {
        let dialect = self.dialect();
        if journaled {
            let texts: Vec<&str> = actions.iter().map(|action| action.text.as_str()).collect();
            journal::write(&self.db, dialect, &step.revision, step.direction, &texts)
                .await
                .map_err(|e| (0, e))?;
        }
        for (done, action) in actions.iter().enumerate() {
            if journaled {
                journal::mark(&self.db, dialect, done + 1, StatementState::Started)
                    .await
                    .map_err(|e| (done, e))?;
            }
            let mut attempt = 0;
            let result = loop {
                let result = match &action.code {
                    Some(code) => self.run_data_step(code, journaled).await,
                    None => self.db.execute_unprepared(&action.text).await.map(drop),
                };
                match (result, lock_wait) {
                    (Err(error), Some(wait)) if wait.retry_after(&error, &mut attempt).await => {}
                    (result, _) => break result,
                }
            };
            if let Err(source) = result {
                if journaled {
                    // Should the journal be out of reach too, it still says the
                    // statement started, which is true; the failure is what to report.
                    let _ = self.journal_failure(done).await;
                }
                return Err((done, source));
            }
        }
        Ok(())
    }

    /// Runs a lock-safe revision's stages on PostgreSQL from stage `from`
    /// (those before it committed in a run that stopped), each committed
    /// with its journal row, so that a run stopped between them is completed
    /// by the next. A stage that gave up waiting for a lock is rolled back
    /// and run again after a pause, as many times as `lock_wait` allows.
    async fn run_stages(
        &self,
        step: &Step,
        heads: &[String],
        stages: &[Stage],
        from: usize,
        lock_wait: &LockWait,
    ) -> Result<(), MigrateError> {
        let dialect = Dialect::Postgres;
        if from == 0 {
            self.db.execute_unprepared(&journal::create_sql(dialect)).await?;
            let texts: Vec<String> = stages.iter().map(stage_text).collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            journal::write(&self.db, dialect, &step.revision, step.direction, &texts).await?;
        }
        for (at, stage) in stages.iter().enumerate().skip(from) {
            let mut attempt = 0;
            loop {
                let Err((statement, error)) = self.run_stage(stage, at + 1, lock_wait).await else {
                    break;
                };
                let _ = self.db.execute_unprepared("ROLLBACK").await;
                if !stage.transactional {
                    for sql in LockWait::reset(dialect) {
                        let _ = self.db.execute_unprepared(&sql).await;
                    }
                }
                // A data step may have committed part of its work: it is not
                // run again unasked.
                if !stage.runs_code() && lock_wait.retry_after(&error, &mut attempt).await {
                    continue;
                }
                if let Some(index) = &stage.builds_index {
                    // A failed build leaves its index INVALID, yet kept up by
                    // every write (and a unique one refusing duplicates): it goes now.
                    let _ = self.drop_invalid_index(index).await;
                }
                return Err(MigrateError::StepFailed {
                    unfinished: Box::new(Unfinished {
                        revision: step.revision.clone(),
                        message: step.message.clone(),
                        direction: step.direction,
                        done: at,
                        steps: stages.len(),
                        recorded: heads.to_vec(),
                        same_steps: true,
                    }),
                    statement,
                    source: Box::new(error),
                });
            }
        }
        Ok(())
    }

    /// One stage, numbered `number` in the journal: in a transaction with
    /// its lock timeouts `SET LOCAL`, or alone with them set around it (a
    /// concurrent index build, after dropping one a failed build left
    /// INVALID). The failure, with the statement that failed.
    async fn run_stage(
        &self,
        stage: &Stage,
        number: usize,
        lock_wait: &LockWait,
    ) -> Result<(), (String, DbErr)> {
        let dialect = Dialect::Postgres;
        if stage.transactional {
            self.exec(begin(dialect)).await?;
        }
        for sql in stage.postgres_timeouts(lock_wait) {
            self.exec(&sql).await?;
        }
        if let Some(index) = &stage.builds_index {
            self.drop_invalid_index(index).await?;
        }
        for action in &stage.actions {
            match &action.code {
                Some(code) => code
                    .run(&DataConnection::new(self.db.clone()))
                    .await
                    .map_err(|e| (action.text.clone(), e))?,
                None => self.exec(&action.text).await?,
            }
        }
        if !stage.transactional {
            for sql in LockWait::reset(dialect) {
                self.exec(&sql).await?;
            }
        }
        journal::mark(&self.db, dialect, number, StatementState::Done)
            .await
            .map_err(|e| ("(the journal's record of the step)".to_owned(), e))?;
        if stage.transactional {
            self.exec("COMMIT").await?;
        }
        Ok(())
    }

    /// Drops `index` if a failed or killed concurrent build left it INVALID:
    /// useless to queries, it is still updated by every write, and `IF NOT
    /// EXISTS` would keep it.
    async fn drop_invalid_index(&self, index: &str) -> Result<(), (String, DbErr)> {
        let query = sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT i.indisvalid AND c.relname = $1 AND n.nspname = current_schema()",
            [index.into()],
        );
        let found = self
            .db
            .query_one_raw(query)
            .await
            .map_err(|e| (format!("(looking for an INVALID index '{index}')"), e))?;
        if let Some(row) = found {
            let name: String = row
                .try_get("", "name")
                .map_err(|e| (format!("(looking for an INVALID index '{index}')"), e))?;
            self.exec(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}"))
                .await?;
        }
        Ok(())
    }

    async fn exec(&self, sql: &str) -> Result<(), (String, DbErr)> {
        self.db
            .execute_unprepared(sql)
            .await
            .map(drop)
            .map_err(|e| (sql.to_owned(), e))
    }

    /// Runs a data step. Where the revision has no transaction (MySQL,
    /// journaled), the step gets one of its own, so that it takes effect
    /// whole or not at all: the journal then says truly whether it did.
    async fn run_data_step(&self, code: &DataStep, journaled: bool) -> Result<(), DbErr> {
        let connection = DataConnection::new(self.db.clone());
        if !journaled {
            return code.run(&connection).await;
        }
        self.db.execute_unprepared("BEGIN").await?;
        match code.run(&connection).await {
            Ok(()) => self.db.execute_unprepared("COMMIT").await.map(drop),
            Err(error) => {
                let _ = self.db.execute_unprepared("ROLLBACK").await;
                Err(error)
            }
        }
    }

    /// A journaled statement (statement `index + 1`) failed: if it was the
    /// first, nothing took effect and the journal is cleared, so the
    /// revision can simply run again; otherwise the journal keeps the failure.
    async fn journal_failure(&self, index: usize) -> Result<(), MigrateError> {
        if index == 0 {
            self.db
                .execute_unprepared(&journal::clear_sql(Dialect::MySql))
                .await?;
        } else {
            journal::mark(&self.db, Dialect::MySql, index + 1, StatementState::Failed).await?;
        }
        Ok(())
    }

    /// The version table's rows as they are, whether or not a revision file
    /// declares them (none if the table does not exist yet).
    pub async fn recorded_versions(&self) -> Result<Vec<String>, MigrateError> {
        Ok(version_table::read(&self.db).await?)
    }

    /// Records `revision`, a root revision just written for the schema the
    /// database already has (`autogen baseline`), running nothing. It may be
    /// missing from the graph, which was compiled before the file existed.
    /// Refused with [`MigrateError::AlreadyStamped`] unless the version
    /// table is empty, read inside the transaction that writes it.
    pub async fn stamp_baseline(&self, revision: &str) -> Result<(), MigrateError> {
        debug_assert!(is_revision_id(revision));
        self.locked(self.stamp_baseline_locked(revision)).await
    }

    async fn stamp_baseline_locked(&self, revision: &str) -> Result<(), MigrateError> {
        let dialect = self.dialect();
        self.create_tables().await?;
        self.db.execute_unprepared(begin(dialect)).await?;
        let recorded = version_table::read(&self.db).await?;
        if !recorded.is_empty() {
            return Err(MigrateError::AlreadyStamped(recorded));
        }
        for statement in version_table::write_sql(dialect, &[revision.to_owned()]) {
            self.db.execute_unprepared(&statement).await?;
        }
        self.db.execute_unprepared("COMMIT").await?;
        Ok(())
    }

    /// Records `target` in the version table without running any revision.
    /// Rows naming unknown revisions are an error unless `purge` clears them.
    /// A stamp is also how a database is declared repaired after a run that
    /// stopped inside a revision, so it clears the journal. Returns the heads
    /// recorded.
    pub async fn stamp(&self, target: &str, purge: bool) -> Result<Vec<String>, MigrateError> {
        self.locked(self.stamp_locked(target, purge)).await
    }

    async fn stamp_locked(&self, target: &str, purge: bool) -> Result<Vec<String>, MigrateError> {
        let dialect = self.dialect();
        let current = if purge { Vec::new() } else { self.recorded().await? };
        let heads = stamp_heads(self.graph, &current, target)?;
        self.create_tables().await?;
        self.db.execute_unprepared(begin(dialect)).await?;
        for statement in version_table::stamp_sql(self.graph, dialect, &heads) {
            self.db.execute_unprepared(&statement).await?;
        }
        if dialect != Dialect::Sqlite && version_table::exists(&self.db, JOURNAL_TABLE).await? {
            self.db.execute_unprepared(&journal::clear_sql(dialect)).await?;
        }
        self.db.execute_unprepared("COMMIT").await?;
        Ok(heads)
    }

    /// Runs `run`, one of the migrator's writes, holding the migration lock.
    /// Every locked path goes through here, so that each waits for the lock
    /// alike, reports a lock not had in time as [`MigrateError::Locked`],
    /// and leaves no transaction open behind a failure.
    async fn locked<T>(&self, run: impl Future<Output = Result<T, MigrateError>>) -> Result<T, MigrateError> {
        let dialect = self.dialect();
        let not_had = || MigrateError::Locked {
            dialect,
            waited: self.lock_timeout,
        };
        if !lock::take(&self.db, dialect, self.lock_timeout).await? {
            return Err(not_had());
        }
        let result = match run.await {
            // SQLite's lock is its write lock: a statement that found it
            // busy for longer than the busy timeout waited that long for it.
            Err(MigrateError::Db(error)) if dialect == Dialect::Sqlite && lock::is_busy(&error) => {
                Err(not_had())
            }
            result => result,
        };
        if result.is_err() {
            // Whatever transaction the failure left open must not stay open.
            let _ = self.db.execute_unprepared("ROLLBACK").await;
        }
        lock::release(&self.db, dialect).await?;
        result
    }

    fn next(
        &self,
        direction: Direction,
        applied: &BTreeSet<String>,
        goal: &BTreeSet<String>,
    ) -> Option<&'a Node> {
        next_step(self.graph, direction, applied, goal)
    }
}

/// A stage as the journal keeps it: its statements, so that the next run
/// knows whether the revision is still the one that ran.
fn stage_text(stage: &Stage) -> String {
    let texts: Vec<&str> = stage.actions.iter().map(|action| action.text.as_str()).collect();
    texts.join(";\n")
}

/// The dialect a SeaORM backend speaks.
fn dialect_of(backend: DbBackend) -> Dialect {
    match backend {
        DbBackend::Sqlite => Dialect::Sqlite,
        DbBackend::Postgres => Dialect::Postgres,
        DbBackend::MySql => Dialect::MySql,
        other => unreachable!("SeaORM backend {other:?} has no autogen dialect"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_history;
    use autogen_testdb::Backend;

    /// While another connection holds SQLite's write lock, every path that
    /// writes gives up after the lock timeout with the same error.
    #[tokio::test]
    async fn every_locked_path_waits_out_sqlites_write_lock_alike() {
        let graph = test_history::graph();
        let db = Backend::Sqlite.fresh().await.unwrap();
        let m = Migrator::connect(&graph, db.url.as_str())
            .await
            .unwrap()
            .with_lock_timeout(Duration::from_millis(200));
        m.upgrade("head", |_| {}).await.unwrap();

        let mut options = ConnectOptions::new(db.url.as_str());
        options.max_connections(1);
        let holder = Database::connect(options).await.unwrap();
        holder.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
        let failures = [
            ("accept_checksum", m.accept_checksum("aaaa").await.err()),
            ("stamp", m.stamp("base", false).await.err()),
            ("stamp_baseline", m.stamp_baseline("bbbb00000002").await.err()),
            ("downgrade", m.downgrade("base", |_| {}).await.err()),
        ];
        for (path, error) in failures {
            assert!(
                matches!(
                    error,
                    Some(MigrateError::Locked {
                        dialect: Dialect::Sqlite,
                        ..
                    })
                ),
                "{path}: {error:?}"
            );
        }
        holder.close().await.unwrap();

        assert_eq!(m.accept_checksum("aaaa").await.unwrap(), "aaaa");
        assert_eq!(m.current().await.unwrap(), ["bbbb"]);
    }
}

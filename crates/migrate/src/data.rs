//! Data steps: async code a revision runs with the connection (Alembic's
//! `op.get_bind()`, sea-orm-migration's `manager.get_connection()`).
//!
//! A revision's `upgrade(op)` only records; a data step is recorded as an
//! [`Op::RunData`](autogen_schema::Op::RunData) standing in its place among
//! the ops, with the code kept beside them, and runs when the migrator
//! reaches it: on the migrator's own connection, inside the revision's
//! transaction where the backend has transactional DDL; in a lock-safe
//! revision on PostgreSQL, outside any, each statement committing on its own.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement};

/// The connection a data step runs with: SeaORM's query builder, entities'
/// `find`/`insert`/`update`, and raw statements all take it. It is the
/// migrator's connection, inside the revision's transaction (PostgreSQL,
/// SQLite), so it offers no `begin`: committing there would commit the
/// revision half done. (In a lock-safe revision on PostgreSQL it runs
/// outside any transaction: each statement commits on its own.)
pub struct DataConnection {
    db: DatabaseConnection,
}

impl DataConnection {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for DataConnection {
    fn get_database_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.db.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.db.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.db.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.db.query_all_raw(stmt).await
    }
}

/// What a data step is: an `async fn step(db: &DataConnection) -> Result<(), DbErr>`.
///
/// Spelled as a trait with the future as an associated type because the
/// future borrows the connection for as long as it runs, which a plain
/// `Fn(&DataConnection) -> Fut` bound cannot say; any `async fn` of that
/// signature has it.
pub trait DataFn<'c>: Fn(&'c DataConnection) -> Self::Future {
    /// The step's future.
    type Future: Future<Output = Result<(), DbErr>> + Send + 'c;
}

impl<'c, F, Fut> DataFn<'c> for F
where
    F: Fn(&'c DataConnection) -> Fut,
    Fut: Future<Output = Result<(), DbErr>> + Send + 'c,
{
    type Future = Fut;
}

type BoxedStep = dyn for<'c> Fn(&'c DataConnection) -> Pin<Box<dyn Future<Output = Result<(), DbErr>> + Send + 'c>>
    + Send
    + Sync;

/// A recorded data step's code.
#[derive(Clone)]
pub struct DataStep {
    run: Arc<BoxedStep>,
}

impl DataStep {
    pub(crate) fn new<F>(f: F) -> Self
    where
        F: for<'c> DataFn<'c> + Send + Sync + 'static,
    {
        Self {
            run: Arc::new(move |db| Box::pin(f(db))),
        }
    }

    /// Runs the step.
    pub(crate) async fn run(&self, db: &DataConnection) -> Result<(), DbErr> {
        (self.run)(db).await
    }
}

impl fmt::Debug for DataStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataStep")
    }
}

/// Recorded steps are equal when they are the same recording (one
/// `run_data` call): code cannot be compared.
impl PartialEq for DataStep {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.run, &other.run)
    }
}

/// The name a data step is recorded under: its function's name, without
/// the module path, which moves with the crate.
pub(crate) fn step_name<F>() -> String {
    let path = std::any::type_name::<F>();
    // `a::fill::<b::Row>`: the generics are not part of its name.
    let path = path
        .split_once('<')
        .map_or(path, |(path, _)| path.trim_end_matches("::"));
    path.rsplit("::").next().unwrap_or(path).to_owned()
}

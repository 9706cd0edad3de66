//! Test support: a fresh, empty database per test, on each backend.
//!
//! SQLite needs nothing. PostgreSQL and MariaDB are the servers `cargo xtask
//! db up` (or `cargo xtask test`) started, named by `AUTOGEN_TEST_POSTGRES_URL`
//! and `AUTOGEN_TEST_MYSQL_URL`. Without them a server test is skipped with a
//! note on stderr, unless `AUTOGEN_REQUIRE_DBS=1` (CI sets it), where it fails.
//! [`test_each_backend!`] runs one test body on all three. [`quoting`] holds
//! names that need quoting and a history that takes them through every op.
#![deny(missing_docs)]

pub mod quoting;

use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::{ConnectionTrait, Database, DbBackend, DbErr, ExecResult, QueryResult, Statement};

/// A backend the tests run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A database on the test PostgreSQL server.
    Postgres,
    /// A database on the test MariaDB server.
    MySql,
}

/// A fresh database; a SQLite file lives as long as this value.
#[derive(Debug)]
pub struct TestDb {
    /// Its connection URL.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    /// The environment variable naming this backend's server, if it has one.
    pub fn server_env(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("AUTOGEN_TEST_POSTGRES_URL"),
            Backend::MySql => Some("AUTOGEN_TEST_MYSQL_URL"),
        }
    }

    /// The dialect autogen speaks to this backend.
    pub fn dialect(self) -> autogen_schema::Dialect {
        match self {
            Backend::Sqlite => autogen_schema::Dialect::Sqlite,
            Backend::Postgres => autogen_schema::Dialect::Postgres,
            Backend::MySql => autogen_schema::Dialect::MySql,
        }
    }

    /// A new empty database, or `None` when this backend's server is not
    /// configured and not required.
    pub async fn fresh(self) -> Option<TestDb> {
        let Some(env) = self.server_env() else {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            return Some(TestDb { url, _dir: Some(dir) });
        };
        let Ok(server) = std::env::var(env) else {
            if std::env::var("AUTOGEN_REQUIRE_DBS").is_ok_and(|v| v == "1") {
                panic!("AUTOGEN_REQUIRE_DBS=1 but {env} is not set; run the tests with `cargo xtask test`");
            }
            eprintln!("skipped: {env} is not set (`cargo xtask test` starts the servers)");
            return None;
        };
        let name = format!(
            "autogen_test_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let admin = Database::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test server {env}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create a test database on {env}: {e}"));
        admin.close().await.expect("closing the admin connection");
        let (base, _) = server.rsplit_once('/').expect("a server URL ends with /database");
        Some(TestDb {
            url: format!("{base}/{name}"),
            _dir: None,
        })
    }
}

/// A connection that counts the statements it is asked to run, to show that
/// a catalog read does not grow with the schema.
pub struct Counting<C> {
    inner: C,
    queries: AtomicUsize,
}

impl<C> Counting<C> {
    /// Wraps `inner`.
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            queries: AtomicUsize::new(0),
        }
    }

    /// Statements run so far.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }

    fn count(&self) {
        self.queries.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl<C: ConnectionTrait + Send> ConnectionTrait for Counting<C> {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.count();
        self.inner.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.count();
        self.inner.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.count();
        self.inner.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.count();
        self.inner.query_all_raw(stmt).await
    }
}

/// Defines a module `$name` with one `#[tokio::test]` per backend
/// (`sqlite`, `postgres`, `mysql`), each running the body on a fresh database:
/// `test_each_backend!(name, |db: TestDb, backend: Backend| { … db.url … });`
#[macro_export]
macro_rules! test_each_backend {
    ($name:ident, |$db:ident : TestDb, $backend:ident : Backend| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[allow(unused_variables)]
            async fn case($db: $crate::TestDb, $backend: $crate::Backend) $body

            #[tokio::test]
            async fn sqlite() {
                let db = $crate::Backend::Sqlite.fresh().await.expect("SQLite is always there");
                case(db, $crate::Backend::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::Backend::Postgres.fresh().await {
                    case(db, $crate::Backend::Postgres).await;
                }
            }

            #[tokio::test]
            async fn mysql() {
                if let Some(db) = $crate::Backend::MySql.fresh().await {
                    case(db, $crate::Backend::MySql).await;
                }
            }
        }
    };
}

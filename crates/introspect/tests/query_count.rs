//! Introspection sends a fixed number of queries, whatever the number of tables.

use autogen_introspect::{introspect, MYSQL_QUERIES, POSTGRES_QUERIES};
use autogen_testdb::{Backend, Counting};
use sea_orm::{ConnectionTrait, Database};

/// Queries sent to introspect 1 table, then 41: they must be the same.
async fn counts(backend: Backend, create: impl Fn(usize) -> String) -> Option<[usize; 2]> {
    let test_db = backend.fresh().await?;
    let db = Database::connect(&test_db.url).await.unwrap();
    let mut counts = [0; 2];
    let mut created = 0;
    for (round, tables) in [1, 40].into_iter().enumerate() {
        for i in created..created + tables {
            db.execute_unprepared(&create(i)).await.unwrap();
        }
        created += tables;
        let counting = Counting::new(db.clone());
        let schema = introspect(&counting).await.unwrap();
        assert_eq!(schema.tables.len(), created);
        counts[round] = counting.queries();
    }
    Some(counts)
}

#[tokio::test]
async fn postgres() {
    let create = |i| {
        format!("CREATE TABLE t{i} (id serial PRIMARY KEY, v text UNIQUE, w int CHECK (w > 0)); CREATE INDEX ix{i} ON t{i} (w)")
    };
    if let Some(counts) = counts(Backend::Postgres, create).await {
        // One more query finds current_schema().
        assert_eq!(counts, [POSTGRES_QUERIES + 1; 2]);
    }
}

#[tokio::test]
async fn mysql() {
    let create = |i| {
        format!("CREATE TABLE t{i} (id int PRIMARY KEY AUTO_INCREMENT, v varchar(20) UNIQUE, w int CHECK (w > 0), KEY ix{i} (w))")
    };
    if let Some(counts) = counts(Backend::MySql, create).await {
        assert_eq!(counts, [MYSQL_QUERIES; 2]);
    }
}

//! Autogenerate on a database a real project built with sea-orm-migration:
//! the registry fixture (`fixtures/registry`), whose migrations name foreign
//! keys and indexes their own way, put defaults in the migration and leave
//! `seaql_migrations` behind. After its own migrations ran, the comparison
//! with its entities must be exactly the drift the fixture's README lists.

use autogen::compare::{compare_database, compare_with_empty, CompareOptions};
use autogen::Entities;
use autogen_schema::Op;
use autogen_testdb::{test_each_backend, Backend};
use registry_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

fn entities() -> Entities {
    let mut entities = Entities::new();
    macro_rules! register {
        ($entity:path) => {
            entities = entities.entity($entity);
        };
    }
    registry_entity::for_each_entity!(register);
    entities
}

/// One connection, as the migrator uses: ops in another schema set the
/// search path for the statements after them.
async fn migrated(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url);
    options.max_connections(1);
    let db = Database::connect(options).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    db
}

fn lines(ops: &[Op]) -> Vec<String> {
    ops.iter().map(ToString::to_string).collect()
}

async fn run(db: &DatabaseConnection, ops: &[Op]) {
    let dialect = autogen_introspect::dialect(db);
    for op in ops {
        for sql in autogen_migrate::render(op, dialect).unwrap() {
            db.execute_unprepared(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}\n{e}"));
        }
    }
}

async fn compare(db: &DatabaseConnection, entities: &Entities) -> autogen::compare::Comparison {
    compare_database(db, entities, &CompareOptions::default())
        .await
        .unwrap()
}

test_each_backend!(only_the_real_drift_is_reported, |db: TestDb, backend: Backend| {
    let conn = migrated(&db.url).await;
    // A view has no entity and is no table: it is never proposed for dropping.
    conn.execute_unprepared("CREATE VIEW crate_names AS SELECT name FROM crates")
        .await
        .unwrap();
    let comparison = compare(&conn, &entities()).await;
    // No foreign key or index renamed, no `seaql_migrations` dropped, no
    // type, default or uniqueness spelled differently: the two real drifts.
    assert_eq!(
        lines(&comparison.upgrade),
        [
            "removed index 'idx_versions_created_at' on 'versions'",
            "added column 'users.bio'",
        ],
        "{backend:?}"
    );
    assert!(comparison.destructive.is_empty(), "{:?}", comparison.destructive);
    assert!(comparison.current.table("seaql_migrations").is_some());

    // Applied, the drift is gone; undone, it is back.
    run(&conn, &comparison.upgrade).await;
    assert_eq!(
        lines(&compare(&conn, &entities()).await.upgrade),
        Vec::<String>::new()
    );
    run(&conn, &comparison.downgrade).await;
    assert_eq!(
        lines(&compare(&conn, &entities()).await.upgrade),
        lines(&comparison.upgrade)
    );
});

test_each_backend!(
    a_view_in_the_way_of_a_new_table_is_named_before_anything_runs,
    |db: TestDb, backend: Backend| {
        let conn = migrated(&db.url).await;
        conn.execute_unprepared("DROP TABLE api_tokens").await.unwrap();
        conn.execute_unprepared("CREATE VIEW api_tokens AS SELECT id FROM users")
            .await
            .unwrap();
        let error = compare_database(&conn, &entities(), &CompareOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("'api_tokens' is a view") && error.contains("no file was written"),
            "{error}"
        );
    }
);

/// An entity that names the schema compared (`public`, PostgreSQL's current
/// schema when nothing is configured) is compared there like any other.
mod public_note {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(schema_name = "public", table_name = "public_note")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub body: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[tokio::test]
async fn an_entity_naming_the_compared_schema_is_compared() {
    let Some(db) = Backend::Postgres.fresh().await else {
        return;
    };
    let conn = migrated(&db.url).await;
    let entities = entities().entity(public_note::Entity);
    let comparison = compare(&conn, &entities).await;
    assert_eq!(comparison.schema, "public");
    assert!(comparison.set_aside.is_empty());
    assert!(
        lines(&comparison.upgrade).contains(&"added table 'public_note'".to_owned()),
        "{:?}",
        lines(&comparison.upgrade)
    );
    run(&conn, &comparison.upgrade).await;
    // Created, it is neither created again nor proposed for dropping.
    assert_eq!(
        lines(&compare(&conn, &entities).await.upgrade),
        Vec::<String>::new()
    );
}

/// An entity in a schema of its own (`schema_name = "audit"`), not the one
/// compared by default, shared with the end-to-end tests.
#[path = "../../../fixtures/entities/audit_entry.rs"]
mod audit_entry;

/// On PostgreSQL every schema the entities name is compared in its own
/// terms, and its ops carry the schema: they create it if missing and run there.
#[tokio::test]
async fn entities_in_another_schema_are_compared_there() {
    let Some(db) = Backend::Postgres.fresh().await else {
        return;
    };
    let conn = migrated(&db.url).await;
    let entities = entities().entity(audit_entry::Entity);
    let comparison = compare(&conn, &entities).await;
    assert!(comparison.set_aside.is_empty());
    let audit: Vec<&Op> = comparison
        .upgrade
        .iter()
        .filter(|op| matches!(op, Op::InSchema { schema, .. } if schema == "audit"))
        .collect();
    assert_eq!(
        lines(&audit.into_iter().cloned().collect::<Vec<_>>()),
        ["in schema 'audit': added table 'audit_entry'; added index 'idx-audit_entry-action' on 'audit_entry' (action)"]
    );
    run(&conn, &comparison.upgrade).await;
    let there = autogen_introspect::introspect_with(
        &conn,
        &autogen_introspect::Options {
            schema: Some("audit".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(there.tables.keys().collect::<Vec<_>>(), ["audit_entry"]);
    // Nothing of it landed in the default schema, and nothing is left to do.
    let public = autogen_introspect::introspect(&conn).await.unwrap();
    assert!(public.table("audit_entry").is_none());
    assert_eq!(
        lines(&compare(&conn, &entities).await.upgrade),
        Vec::<String>::new()
    );
    // The downgrade takes it away again, in its schema.
    run(&conn, &comparison.downgrade).await;
    let again = compare(&conn, &entities).await;
    assert_eq!(lines(&again.upgrade), lines(&comparison.upgrade));
}

// `autogen baseline`'s ops, taken from the database the migrations built,
// build the same schema on an empty database of the same backend: every
// type, default, name and constraint spelled as the backend gave it back.
// `seaql_migrations` is not part of them; the downgrade leaves nothing.
test_each_backend!(
    a_baseline_rebuilds_the_schema_it_was_taken_from,
    |db: TestDb, backend: Backend| {
        let conn = migrated(&db.url).await;
        let baseline = compare_with_empty(&conn, &CompareOptions::default())
            .await
            .unwrap();
        assert!(baseline.current.is_empty());
        assert!(baseline.target.table("seaql_migrations").is_none());
        assert!(
            !lines(&baseline.upgrade)
                .iter()
                .any(|op| op.contains("seaql_migrations")),
            "{:?}",
            lines(&baseline.upgrade)
        );

        let empty = backend.fresh().await.unwrap();
        let mut options = ConnectOptions::new(&empty.url);
        options.max_connections(1);
        let rebuilt = Database::connect(options).await.unwrap();
        run(&rebuilt, &baseline.upgrade).await;
        let mut original = autogen_introspect::introspect(&conn).await.unwrap();
        original.retain_tables(|t| t != "seaql_migrations");
        assert_eq!(
            autogen_introspect::introspect(&rebuilt).await.unwrap(),
            original,
            "{backend:?}"
        );
        // The entities see the same drift in both.
        assert_eq!(
            lines(&compare(&rebuilt, &entities()).await.upgrade),
            lines(&compare(&conn, &entities()).await.upgrade)
        );
        run(&rebuilt, &baseline.downgrade).await;
        assert!(autogen_introspect::introspect(&rebuilt).await.unwrap().is_empty());
    }
);

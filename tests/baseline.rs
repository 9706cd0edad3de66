use autogen_testdb::Backend;
use registry_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, Statement};

use crate::util::{assert_success, introspect, stderr, stdout, Scratch};

/// Builds the registry's database as the project itself did before autogen:
/// its sea-orm-migration migrations, recorded in `seaql_migrations`.
async fn migrate_with_sea_orm_migration(url: &str) {
    let mut options = ConnectOptions::new(url);
    options.max_connections(1);
    let db = Database::connect(options).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    db.close().await.unwrap();
}

/// The migrations `seaql_migrations` records.
async fn seaql_migrations(url: &str) -> Vec<String> {
    let db = Database::connect(url).await.unwrap();
    let sql = "SELECT version FROM seaql_migrations ORDER BY version";
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    db.close().await.unwrap();
    rows.iter().map(|r| r.try_get("", "version").unwrap()).collect()
}

/// Adopts a database sea-orm-migration built, then works on it as on any
/// autogen database; the baseline alone builds the same schema on an empty one.
async fn adopt_on(backend: Backend) {
    let Some(adopted) = backend.fresh().await else {
        return;
    };
    let Some(empty) = backend.fresh().await else {
        return;
    };
    migrate_with_sea_orm_migration(&adopted.url).await;
    let p = Scratch::with_registry_entities();
    let on = |url: &str, args: &[&str]| p.autogen_with_env(args, &[("DATABASE_URL", url)]);

    let baseline = on(&adopted.url, &["baseline", "--rev-id", "0000baseline"]);
    assert_success(&baseline);
    let file = p.path("migration/src/versions/0000baseline_baseline.rs");
    assert_eq!(
        stdout(&baseline),
        format!("Generating {} ... done\n", file.display())
    );
    let said = stderr(&baseline);
    assert!(
        said.contains("Detected added table 'users'\n") && said.ends_with("Stamped 0000baseline\n"),
        "{said}"
    );
    let source = std::fs::read_to_string(&file).unwrap();
    assert!(!source.contains("seaql_migrations"), "{source}");

    // The next command builds the migration crate, the baseline in it.
    let current = on(&adopted.url, &["current"]);
    assert_success(&current);
    assert_eq!(stdout(&current), "0000baseline (head)\n");
    assert_eq!(
        seaql_migrations(&adopted.url).await,
        ["m20240101_000001_baseline", "m20240315_000002_api_tokens"]
    );

    // Autogenerate sees what the entities and the database really disagree
    // on (the fixture's two deliberate drifts), not the baseline's spelling.
    let drift = on(
        &adopted.url,
        &["revision", "--autogenerate", "--dry-run", "-m", "drift"],
    );
    assert_success(&drift);
    // MariaDB drops an index in place; PostgreSQL's DROP INDEX holds the
    // table; SQLite has one writer at a time whatever the DDL.
    let no_timeout =
        "  WARNING AG210 alters 'versions', 'users' with no lock timeout: waiting behind a long \
                      transaction, it queues every later query on the table\n";
    let lock_risks = match backend {
        Backend::Postgres => format!(
            "  WARNING AG202 drops index 'idx_versions_created_at' on 'versions' while reads and writes wait\n\
             {no_timeout}"
        ),
        Backend::MySql => no_timeout.to_owned(),
        Backend::Sqlite => String::new(),
    };
    assert_eq!(
        stderr(&drift),
        format!(
            "Detected removed index 'idx_versions_created_at' on 'versions'\n{lock_risks}\
             Detected added column 'users.bio'\n"
        )
    );
    // Entities brought in line with the database: nothing at all.
    p.edit("entity/src/users.rs", |s| {
        s.replace(
            "    /// Deliberate drift: no migration adds this column.\n    #[sea_orm(column_type = \"Text\")]\n    pub bio: Option<String>,\n",
            "",
        )
    });
    p.edit("entity/src/versions.rs", |s| {
        s.replace(
            "    #[sea_orm(default_expr = \"Expr::current_timestamp()\")]\n    pub created_at",
            "    #[sea_orm(indexed, default_expr = \"Expr::current_timestamp()\")]\n    pub created_at",
        )
    });
    let none = on(&adopted.url, &["revision", "--autogenerate", "-m", "nothing"]);
    assert_success(&none);
    assert!(
        stdout(&none).starts_with("No changes in schema detected"),
        "{}",
        stdout(&none)
    );
    assert_eq!(p.revision_files(), [file]);

    // On an empty database the baseline builds the same schema, which the entities agree with.
    let up = on(&empty.url, &["upgrade", "head"]);
    assert_success(&up);
    assert_eq!(stderr(&up), "Running upgrade <base> -> 0000baseline, baseline\n");
    let check = on(&empty.url, &["check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
    let mut original = introspect(&adopted.url).await;
    original.retain_tables(|t| t != "seaql_migrations");
    assert_eq!(introspect(&empty.url).await, original);
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_database_built_by_sea_orm_migration_is_adopted() {
    adopt_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_database_built_by_sea_orm_migration_is_adopted() {
    adopt_on(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_database_built_by_sea_orm_migration_is_adopted() {
    adopt_on(Backend::MySql).await;
}

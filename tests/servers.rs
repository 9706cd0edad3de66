use std::time::{Duration, Instant};

use autogen::database::{DatabaseUrl, UrlOrigin};
use autogen_testdb::Backend;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::util::{assert_cannot_start, assert_hidden, assert_success, stderr, stdout, with_login, Scratch};

/// A URL as autogen prints it: its password hidden.
fn shown(url: &str) -> String {
    DatabaseUrl::new(url, UrlOrigin::Program).to_string()
}

/// A project whose history is the two fixture revisions: create user, add post.
fn project_with_two_revisions() -> Scratch {
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    for file in ["aaaaaaaaaaaa_create_user.rs", "bbbbbbbbbbbb_add_post.rs"] {
        let source =
            std::fs::read_to_string(crate::util::repo().join("fixtures/revisions").join(file)).unwrap();
        p.write(&format!("migration/src/versions/{file}"), &source);
    }
    p
}

/// upgrade, downgrade, stamp and current through the real binary, on a real server.
async fn run_on(backend: Backend) {
    let Some(db) = backend.fresh().await else { return };
    let p = project_with_two_revisions();
    let run = |args: &[&str]| {
        let out = p.autogen_with_env(args, &[("DATABASE_URL", &db.url)]);
        assert_success(&out);
        (stdout(&out), stderr(&out))
    };

    assert_eq!(run(&["current"]).0, "");
    assert_eq!(
        run(&["upgrade", "head"]).1,
        "Running upgrade <base> -> aaaaaaaaaaaa, create user\nRunning upgrade aaaaaaaaaaaa -> bbbbbbbbbbbb, add post\n"
    );
    assert_eq!(run(&["current"]).0, "bbbbbbbbbbbb (head)\n");
    assert_eq!(
        run(&["downgrade", "-1"]).1,
        "Running downgrade bbbbbbbbbbbb -> aaaaaaaaaaaa, add post\n"
    );
    assert_eq!(run(&["current"]).0, "aaaaaaaaaaaa\n");
    run(&["downgrade", "base"]);
    assert_eq!(run(&["current"]).0, "");
    assert_eq!(run(&["stamp", "head"]).1, "Stamped bbbbbbbbbbbb\n");
    assert_eq!(run(&["current"]).0, "bbbbbbbbbbbb (head)\n");
    run(&["stamp", "base"]);
    run(&["upgrade", "+1"]);
    assert_eq!(run(&["current"]).0, "aaaaaaaaaaaa\n");
    run(&["upgrade", "head"]);
    assert_eq!(run(&["current"]).0, "bbbbbbbbbbbb (head)\n");
    let mut inspect = vec!["inspect", "--table", "post"];
    if backend == Backend::Postgres {
        inspect.extend(["--schema", "public"]);
    }
    let (listing, _) = run(&inspect);
    assert!(listing.starts_with("table \"post\"\n"), "{listing}");
    assert!(
        listing.contains("foreign key \"fk-post-user_id\" (user_id) references \"user\" (id)"),
        "{listing}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_revisions() {
    run_on(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_revisions() {
    run_on(Backend::MySql).await;
}

/// A login the server refuses (both test servers make the user `autogen`
/// give its password) and a database it does not have: exit 2, one
/// message naming the URL without the password, and what to do.
async fn refusals_on(backend: Backend) {
    let Some(db) = backend.fresh().await else { return };
    let nowhere = Scratch::empty();

    let wrong = with_login(&db.url, "autogen", "wrong-password");
    let out = nowhere.autogen(&["inspect", "--url", &wrong]);
    let refused = format!(
        "cannot connect to {}: the server refused the login (",
        shown(&wrong)
    );
    assert_cannot_start(&out, &[&refused, "check the user name and password in the URL"]);
    assert_hidden(&out, "wrong-password");

    let (server, _) = db.url.rsplit_once('/').unwrap();
    let missing = format!("{server}/autogen_no_such_database");
    let out = nowhere.autogen(&["inspect", "--url", &missing]);
    let absent = format!(
        "cannot connect to {}: the server has no database 'autogen_no_such_database'; \
         create it (CREATE DATABASE autogen_no_such_database)",
        shown(&missing)
    );
    assert_cannot_start(&out, &[&absent]);
    assert_hidden(&out, "autogen-test");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_refuses_a_wrong_password_and_a_missing_database() {
    refusals_on(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_refuses_a_wrong_password_and_a_missing_database() {
    refusals_on(Backend::MySql).await;
}

/// Takes the lock a migration run takes, as another run would, and holds it
/// until the connection closes.
async fn hold_migration_lock(url: &str, backend: Backend) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url);
    options.max_connections(1);
    let db = Database::connect(options).await.unwrap();
    match backend {
        // Returns once the lock is held.
        Backend::Postgres => {
            let sql = format!("SELECT pg_advisory_lock({})", autogen_migrate::POSTGRES_LOCK_KEY);
            db.execute_unprepared(&sql).await.unwrap();
        }
        // One name for the whole server: wait out another test's run.
        Backend::MySql => {
            let sql = format!(
                "SELECT GET_LOCK('{}', 60) AS locked",
                autogen_migrate::MYSQL_LOCK_NAME
            );
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                row.try_get::<i64>("", "locked").unwrap(),
                1,
                "the lock was not taken"
            );
        }
        Backend::Sqlite => {
            db.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
        }
    }
    db
}

/// While another run holds the migration lock (PostgreSQL's advisory lock,
/// MySQL's named lock, SQLite's write lock), `upgrade --lock-timeout 1`
/// gives up after about a second: exit 2, one message naming the lock, the
/// database and what to do. Once the lock is free, the upgrade runs.
#[tokio::test(flavor = "multi_thread")]
async fn upgrade_waits_for_another_runs_lock_at_most_lock_timeout() {
    let p = project_with_two_revisions();
    // Built first, so that what is timed below is the wait.
    assert_success(&p.autogen(&["heads"]));
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        let Some(db) = backend.fresh().await else { continue };
        let vars = [("DATABASE_URL", db.url.as_str())];
        let holder = hold_migration_lock(&db.url, backend).await;
        let started = Instant::now();
        let out = p.autogen_with_env(&["upgrade", "head", "--lock-timeout", "1"], &vars);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(20), "{backend:?} took {took:?}");
        let lock = match backend {
            Backend::Postgres => format!("PostgreSQL advisory lock {}", autogen_migrate::POSTGRES_LOCK_KEY),
            Backend::MySql => "MySQL lock 'autogen_migrate'".to_owned(),
            Backend::Sqlite => "SQLite's write lock".to_owned(),
        };
        let locked = format!(
            "cannot migrate {}: another run holds the migration lock ({lock}) and did not release it within 1 s; ",
            shown(&db.url)
        );
        assert_cannot_start(&out, &[&locked, "--lock-timeout <SECONDS>"]);
        assert_hidden(&out, "autogen-test");
        holder.close().await.unwrap();

        assert_success(&p.autogen_with_env(&["upgrade", "head", "--lock-timeout", "1"], &vars));
        assert_eq!(
            stdout(&p.autogen_with_env(&["current"], &vars)),
            "bbbbbbbbbbbb (head)\n"
        );
    }
}

/// Entities (an enum column among them) → autogenerate → upgrade → nothing left to detect → downgrade.
async fn round_trip_on(backend: Backend) {
    let Some(db) = backend.fresh().await else { return };
    let p = Scratch::with_entities(&[("user", "user_v2.rs"), ("post", "post.rs"), ("tag", "tag.rs")]);
    let run = |args: &[&str]| p.autogen_with_env(args, &[("DATABASE_URL", &db.url)]);
    let first = run(&["revision", "--autogenerate", "-m", "initial"]);
    assert_success(&first);
    // Only PostgreSQL has enum types of their own.
    let enum_type = match backend {
        Backend::Postgres => "Detected added enum 'tag_kind' (topic, place)\n",
        Backend::Sqlite | Backend::MySql => "",
    };
    assert_eq!(
        stderr(&first),
        format!(
            "{enum_type}Detected added table 'tag'\nDetected added table 'user'\n\
             Detected added index 'idx-user-name' on 'user' (name)\nDetected added table 'post'\n"
        )
    );
    assert_success(&run(&["upgrade", "head"]));
    let check = p.check_both(&[("DATABASE_URL", &db.url)]);
    assert_success(&check);
    assert_eq!(stdout(&check), "No new upgrade operations detected.\n");
    let at_first = introspect(&db.url).await;

    // Change `post` in place: a rename, a column made nullable, a foreign key
    // action, a CHECK. The generated calls must compile and run.
    p.set_entities(&[("user", "user_v2.rs"), ("post", "post_v2.rs"), ("tag", "tag.rs")]);
    let second = run(&["revision", "--autogenerate", "-m", "change post"]);
    assert_success(&second);
    let report = stderr(&second);
    // SQLite can do only the rename in place; the rest is one table
    // recreation, whose report line lists the same changes.
    if backend == Backend::Sqlite {
        assert!(
            report.contains("Detected recreated table 'post' to change it in place: "),
            "{report}"
        );
    }
    for change in [
        "renamed column 'post.body' to 'content'",
        "altered column 'post.user_id': now nullable",
        // SQLite keeps no foreign key names to report.
        "removed foreign key ",
        "added check constraint (content <> '') on 'post'",
        // The entity chose no name, so none is given: the database names it.
        "added foreign key (user_id) -> user (id) on 'post'",
    ] {
        assert!(report.contains(change), "{change:?} not in:\n{report}");
    }
    if backend == Backend::Postgres {
        one_history_runs_on_sqlite_too(&p).await;
    }
    assert_success(&run(&["upgrade", "head"]));
    let check = p.check_both(&[("DATABASE_URL", &db.url)]);
    assert_eq!(
        stdout(&check),
        "No new upgrade operations detected.\n",
        "{}",
        stderr(&check)
    );
    // The generated downgrade restores the first schema exactly.
    assert_success(&run(&["downgrade", "-1"]));
    let dialect = backend.dialect();
    let left = autogen_diff::diff(
        &introspect(&db.url).await,
        &at_first,
        dialect,
        &Default::default(),
    );
    assert!(left.is_empty(), "{left:#?}");
    assert_success(&run(&["downgrade", "base"]));
    assert_eq!(stdout(&run(&["current"])), "");
}

/// The revisions just generated on PostgreSQL (a column altered, a foreign
/// key changed, a CHECK added) run on SQLite, which can do none of that in
/// place: each becomes a rebuild of its table that keeps its rows, and the
/// result is what the entities say on SQLite, both ways.
async fn one_history_runs_on_sqlite_too(p: &Scratch) {
    let sqlite = Backend::Sqlite.fresh().await.unwrap();
    let run = |args: &[&str]| p.autogen_with_env(args, &[("DATABASE_URL", &sqlite.url)]);
    assert_success(&run(&["upgrade", "+1"]));
    let db = sea_orm::Database::connect(&sqlite.url).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO \"user\" (email, name) VALUES ('ada@example.com', 'Ada'); \
         INSERT INTO post (user_id, body) VALUES (1, 'kept');",
    )
    .await
    .unwrap();
    let upgrade = run(&["upgrade", "head"]);
    assert_success(&upgrade);
    let kept = |column: &str| {
        let sql = format!("SELECT {column} AS text, user_id FROM post");
        let db = &db;
        async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, sql))
                .await
                .unwrap()
                .unwrap();
            (
                row.try_get::<String>("", "text").unwrap(),
                row.try_get::<Option<i32>>("", "user_id").unwrap(),
            )
        }
    };
    assert_eq!(kept("content").await, ("kept".to_owned(), Some(1)));
    let check = p.check_both(&[("DATABASE_URL", &sqlite.url)]);
    assert_eq!(
        stdout(&check),
        "No new upgrade operations detected.\n",
        "{}",
        stderr(&check)
    );
    assert_success(&run(&["downgrade", "-1"]));
    assert_eq!(kept("body").await, ("kept".to_owned(), Some(1)));
    db.close().await.unwrap();
}

async fn introspect(url: &str) -> autogen_schema::Schema {
    let db = sea_orm::Database::connect(url).await.unwrap();
    let schema = autogen_introspect::introspect(&db).await.unwrap();
    db.close().await.unwrap();
    schema
}

/// An entity in a PostgreSQL schema of its own: the revision carries the
/// schema (`op.in_schema`), compiles, creates the table there, and comes back out.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_schemas() {
    let Some(db) = Backend::Postgres.fresh().await else {
        return;
    };
    let p = Scratch::with_entities(&[("user", "user_v1.rs"), ("audit_entry", "audit_entry.rs")]);
    let run = |args: &[&str]| p.autogen_with_env(args, &[("DATABASE_URL", &db.url)]);
    let first = run(&["revision", "--autogenerate", "-m", "audit"]);
    assert_success(&first);
    assert!(
        stderr(&first).contains("Detected added table 'audit_entry' (in schema 'audit')\n"),
        "{}",
        stderr(&first)
    );
    let source = std::fs::read_to_string(&p.revision_files()[0]).unwrap();
    assert!(source.contains("op.in_schema(\"audit\", |op| {"), "{source}");
    assert_success(&run(&["upgrade", "head"]));
    let audit = sea_orm::Database::connect(&db.url).await.unwrap();
    let options = autogen_introspect::Options {
        schema: Some("audit".into()),
        ..Default::default()
    };
    let there = autogen_introspect::introspect_with(&audit, &options)
        .await
        .unwrap();
    assert_eq!(there.tables.keys().collect::<Vec<_>>(), ["audit_entry"]);
    let check = p.check_both(&[("DATABASE_URL", &db.url)]);
    assert_eq!(
        stdout(&check),
        "No new upgrade operations detected.\n",
        "{}",
        stderr(&check)
    );
    assert_success(&run(&["downgrade", "base"]));
    let there = autogen_introspect::introspect_with(&audit, &options)
        .await
        .unwrap();
    assert!(there.tables.is_empty());
    audit.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_round_trip() {
    round_trip_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_round_trip() {
    round_trip_on(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_round_trip() {
    round_trip_on(Backend::MySql).await;
}

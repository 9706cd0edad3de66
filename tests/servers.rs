use autogen_testdb::Backend;
use sea_orm::ConnectionTrait;

use crate::util::{assert_success, stderr, stdout, Scratch};

/// upgrade, downgrade, stamp and current through the real binary, on a real server.
async fn run_on(backend: Backend) {
    let Some(db) = backend.fresh().await else { return };
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    for file in ["aaaaaaaaaaaa_create_user.rs", "bbbbbbbbbbbb_add_post.rs"] {
        let source =
            std::fs::read_to_string(crate::util::repo().join("fixtures/revisions").join(file)).unwrap();
        p.write(&format!("migration/src/versions/{file}"), &source);
    }
    let run = |args: &[&str]| {
        let out = p.autogen_with_env(args, &[("DATABASE_URL", &db.url)]);
        assert_success(&out);
        (stdout(&out), stderr(&out))
    };

    assert_eq!(run(&["current"]).0, "");
    assert_eq!(
        run(&["upgrade", "head"]).1,
        "Running upgrade  -> aaaaaaaaaaaa, create user\nRunning upgrade aaaaaaaaaaaa -> bbbbbbbbbbbb, add post\n"
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

    // A refused login is reported without the password (the MariaDB server uses one).
    if db.url.contains(":autogen-test@") {
        let wrong = db.url.replace("autogen-test", "wrong-password");
        let out = p.autogen_with_env(&["current"], &[("DATABASE_URL", &wrong)]);
        assert_eq!(out.status.code(), Some(2));
        let message = stderr(&out);
        assert!(
            message.contains("cannot connect to mysql://autogen:***@127.0.0.1"),
            "{message}"
        );
        assert!(!message.contains("wrong-password"), "{message}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_revisions() {
    run_on(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_revisions() {
    run_on(Backend::MySql).await;
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

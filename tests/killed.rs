use std::time::Duration;

use autogen_testdb::Backend;
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::util::{assert_success, repo, stderr, stdout, Scratch};

/// What keeps the slow revision busy after its DDL, long past the test.
fn slow_statement(backend: Backend) -> &'static str {
    match backend {
        // A count with no end: SQLite has no sleep.
        Backend::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
        }
        Backend::Postgres => "SELECT pg_sleep(600)",
        Backend::MySql => "SELECT SLEEP(600)",
    }
}

/// Waits until the server runs the slow statement, so the kill lands inside the revision.
async fn wait_until_slow(backend: Backend, url: &str) {
    let sql = match backend {
        // SQLite lists no sessions; the DDL before the slow statement takes milliseconds.
        Backend::Sqlite => return tokio::time::sleep(Duration::from_secs(1)).await,
        Backend::Postgres => {
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%' AND state = 'active'"
        }
        Backend::MySql => {
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST \
             WHERE DB = DATABASE() AND INFO LIKE 'SELECT SLEEP%'"
        }
    };
    let db = Database::connect(url).await.unwrap();
    for _ in 0..600 {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<i64>("", "n").unwrap() > 0 {
            db.close().await.unwrap();
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the slow statement never started");
}

/// The fixture revisions that create `user` and `post`, then `last`.
fn with_fixture_revisions(p: &Scratch, last: &str) {
    for file in ["aaaaaaaaaaaa_create_user.rs", "bbbbbbbbbbbb_add_post.rs", last] {
        let source = std::fs::read_to_string(repo().join("fixtures/revisions").join(file)).unwrap();
        p.write(&format!("migration/src/versions/{file}"), &source);
    }
}

/// `upgrade head` is killed (`kill -9` of the launcher and the migration
/// crate's binary it runs) while revision cccccccccccc runs its slow statement,
/// after its DDL; then `upgrade head` runs again, without the slow statement.
/// Returns the second run's output.
async fn kill_inside_a_revision(backend: Backend, p: &Scratch, url: &str) -> std::process::Output {
    with_fixture_revisions(p, "cccccccccccc_slow.rs");
    let database = ("DATABASE_URL", url);
    assert_success(&p.autogen_with_env(&["upgrade", "bbbbbbbbbbbb"], &[database]));
    let mut slow = p.spawn_autogen(
        &["upgrade", "head"],
        &[database, ("SLOW_STATEMENT", slow_statement(backend))],
    );
    slow.wait_for_line("Running upgrade bbbbbbbbbbbb -> cccccccccccc, slow");
    wait_until_slow(backend, url).await;
    slow.kill_all();
    // The slow statement would keep the killed run's lock for ten minutes
    // if the server did not notice its client is gone.
    p.spawn_autogen(&["upgrade", "head"], &[database])
        .finish_within(Duration::from_secs(120))
}

/// PostgreSQL and SQLite roll the killed revision back; the next run applies it whole.
async fn rolled_back_on(backend: Backend) {
    let Some(db) = backend.fresh().await else { return };
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    let again = kill_inside_a_revision(backend, &p, &db.url).await;
    assert_success(&again);
    assert_eq!(
        stderr(&again),
        "Running upgrade bbbbbbbbbbbb -> cccccccccccc, slow\n"
    );
    let current = p.autogen_with_env(&["current"], &[("DATABASE_URL", &db.url)]);
    assert_eq!(stdout(&current), "cccccccccccc (head)\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_rolls_back_a_killed_revision() {
    rolled_back_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_rolls_back_a_killed_revision() {
    rolled_back_on(Backend::Postgres).await;
}

/// MariaDB commits DDL as it runs: the next run refuses to guess, names
/// the statements that ran and the one that was running, and a stamp
/// after the repair lets runs go on.
#[tokio::test(flavor = "multi_thread")]
async fn mariadb_names_the_statements_a_killed_revision_ran() {
    let Some(db) = Backend::MySql.fresh().await else {
        return;
    };
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    let again = kill_inside_a_revision(Backend::MySql, &p, &db.url).await;
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    let message = "error: revision cccccccccccc (slow) did not finish its upgrade: the run stopped at statement 3 of 3, \
         and this database commits DDL as it runs, so it is partly changed while the version table still says \
         bbbbbbbbbbbb.\n  \
         ran:\n    \
         1. CREATE TABLE `audit` ( `id` int NOT NULL PRIMARY KEY AUTO_INCREMENT, `note` text NOT NULL )\n    \
         2. ALTER TABLE `user` ADD COLUMN `nickname` varchar(40)\n  \
         was running when the run stopped (it may or may not have taken effect):\n    \
         3. SELECT SLEEP(600)\n  \
         did not run:\n    none\n\
         autogen will not guess which state to continue from; repair the database by hand, then record where it is:\n  \
         - to go back, undo the statements that ran, then `autogen stamp bbbbbbbbbbbb`;\n  \
         - to go forward, run the statements that did not, then `autogen stamp cccccccccccc`.\n";
    assert_eq!(stderr(&again), message);
    let run = |args: &[&str]| p.autogen_with_env(args, &[("DATABASE_URL", &db.url)]);
    let current = run(&["current"]);
    assert_eq!(current.status.code(), Some(1));
    assert_eq!(stderr(&current), message);

    // The sleep changed nothing, so the revision is done: record it.
    assert_success(&run(&["stamp", "cccccccccccc"]));
    assert_eq!(stdout(&run(&["current"])), "cccccccccccc (head)\n");
    let nothing_left = run(&["upgrade", "head"]);
    assert_success(&nothing_left);
    assert_eq!(stderr(&nothing_left), "");
    // And the history goes on from there: down and up again.
    assert_success(&run(&["downgrade", "-1"]));
    assert_success(&run(&["upgrade", "head"]));
}

/// A lock-safe revision runs on PostgreSQL in steps that each commit: the
/// concurrent index build alone, a transaction adding the CHECK `NOT VALID`,
/// its validation (before the raw SQL after it), then a transaction with a
/// statement kept busy while a table `stall_here` exists. `kill -9` during
/// that last step leaves the first three committed and the last rolled
/// back; `current` says so, and the next `upgrade head` skips the three and
/// completes the revision.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_completes_a_lock_safe_revision_killed_between_steps() {
    let Some(db) = Backend::Postgres.fresh().await else {
        return;
    };
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    with_fixture_revisions(&p, "dddddddddddd_lock_safe.rs");
    let database = ("DATABASE_URL", db.url.as_str());
    let run = |args: &[&str]| p.autogen_with_env(args, &[database]);
    assert_success(&run(&["upgrade", "bbbbbbbbbbbb"]));
    let server = Database::connect(&db.url).await.unwrap();
    server
        .execute_unprepared(
            "CREATE TABLE stall_here (); INSERT INTO \"user\" (email) VALUES ('a@example.com')",
        )
        .await
        .unwrap();

    let mut killed = p.spawn_autogen(&["upgrade", "head"], &[database]);
    killed.wait_for_line("Running upgrade bbbbbbbbbbbb -> dddddddddddd, index karma, check it");
    wait_until_slow(Backend::Postgres, &db.url).await;
    killed.kill_all();

    // Until the server notices the client is gone, the lock says a run is going.
    let mut current = run(&["current"]);
    for _ in 0..100 {
        if current.status.code() == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        current = run(&["current"]);
    }
    assert_eq!(
        stderr(&current),
        "error: revision dddddddddddd (index karma, check it) did not finish its lock-safe upgrade: 3 of its 4 \
         steps committed, while the version table still says bbbbbbbbbbbb.\n\
         Run `autogen upgrade` towards it again: it skips the steps that committed and runs the rest.\n"
    );
    let state = |sql: &'static str| {
        let server = &server;
        async move {
            let row = server
                .query_one_raw(Statement::from_string(sea_orm::DbBackend::Postgres, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0).unwrap()
        }
    };
    let index_and_check =
        "SELECT coalesce((SELECT string_agg(c.relname || ':' || i.indisvalid, ',') FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'idx-user-karma'), 'no index') || ' ' || \
         coalesce((SELECT string_agg(conname || ':' || convalidated, ',') FROM pg_constraint \
         WHERE conname = 'user_karma_check'), 'no check')";
    assert_eq!(
        state(index_and_check).await,
        "idx-user-karma:true user_karma_check:true"
    );
    assert_eq!(
        state("SELECT string_agg(state, ',' ORDER BY statement_number) FROM autogen_journal").await,
        "done,done,done,pending"
    );

    server.execute_unprepared("DROP TABLE stall_here").await.unwrap();
    let again = run(&["upgrade", "head"]);
    assert_success(&again);
    assert_eq!(
        stderr(&again),
        "Running upgrade bbbbbbbbbbbb -> dddddddddddd, index karma, check it\n"
    );
    assert_eq!(stdout(&run(&["current"])), "dddddddddddd (head)\n");
    assert_eq!(
        state(index_and_check).await,
        "idx-user-karma:true user_karma_check:true"
    );
    assert_eq!(state("SELECT count(*)::text FROM autogen_journal").await, "0");
    // And back, lock-safe too.
    assert_success(&run(&["downgrade", "-1"]));
    assert_eq!(state(index_and_check).await, "no index no check");
}

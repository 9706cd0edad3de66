use autogen_testdb::{test_each_backend, Backend};
use sea_orm::{ConnectionTrait, Database};

use crate::util::{assert_success, introspect, stderr, stdout, Scratch, CREATE_USER};

// sea-orm-cli's `migrate fresh` on a development database: a table no
// revision made and the rows of one that a revision did are gone, autogen's
// own tables too, and the history runs again from base.
test_each_backend!(
    fresh_rebuilds_the_database_from_the_history,
    |db: TestDb, backend: Backend| {
        let p = Scratch::reading_entities(&[("user", "user_v1.rs")]);
        let vars = [("DATABASE_URL", db.url.as_str())];
        let run = |args: &[&str]| p.autogen_with_env(args, &vars);
        assert_success(&run(CREATE_USER));
        assert_success(&run(&["upgrade", "head"]));
        let built = introspect(&db.url).await;
        let conn = Database::connect(db.url.as_str()).await.unwrap();
        conn.execute_unprepared("CREATE TABLE scratch_note (id integer PRIMARY KEY)")
            .await
            .unwrap();
        conn.execute_unprepared("INSERT INTO scratch_note (id) VALUES (1)")
            .await
            .unwrap();
        conn.close().await.unwrap();

        let fresh = run(&["fresh"]);
        assert_success(&fresh);
        let said = stderr(&fresh);
        let mut dropped: Vec<&str> = said
            .lines()
            .filter_map(|line| line.strip_prefix("Dropped table "))
            .collect();
        dropped.sort_unstable();
        let mut expected = vec![
            "'autogen_revisions'",
            "'autogen_version'",
            "'scratch_note'",
            "'user'",
        ];
        if backend == Backend::MySql {
            expected.insert(0, "'autogen_journal'");
        }
        assert_eq!(dropped, expected, "{}", stderr(&fresh));
        assert!(
            stderr(&fresh).ends_with("Running upgrade <base> -> aaaaaaaaaaaa, create user\n"),
            "{}",
            stderr(&fresh)
        );
        assert_eq!(
            introspect(&db.url).await,
            built,
            "only the history's tables, anew"
        );
        assert_eq!(stdout(&run(&["current"])), "aaaaaaaaaaaa (head)\n");
    }
);

/// A database on another host is refused before anything connects, named
/// without its password, with the way to insist.
#[test]
fn fresh_refuses_a_database_on_another_host() {
    let p = Scratch::reading_entities(&[("user", "user_v1.rs")]);
    let out = p.autogen_with_env(
        &["fresh"],
        &[("DATABASE_URL", "postgres://app:s3cret@db.example.com:5432/app")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "error: fresh drops every table of postgres://app:***@db.example.com:5432/app (database_url in \
             {}, with DATABASE_URL from the environment), which is on db.example.com, not this machine; \
             it is meant for a development database. If this one is, run `autogen fresh --allow-remote`\n",
            p.path("autogen.toml").display()
        )
    );
}

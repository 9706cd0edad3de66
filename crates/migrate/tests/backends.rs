//! Revisions run against real databases, on each backend: the version
//! table, the transaction around each revision, the steps reported, and
//! SQLite's table recreation.

use autogen_diff::Options;
use autogen_migrate::{render, Direction, Graph, MigrateError, Migrator, Operations, RunOptions};
use autogen_schema::{
    Column, ColumnType, Dialect, ForeignKey, ForeignKeyAction, Index, Op, StringLen, Table, AUTOGEN_TABLES,
};
use autogen_testdb::{test_each_backend, Backend};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

#[path = "support/revision.rs"]
mod revision;
mod support;
use revision::module;

fn create_user(op: &mut Operations) {
    op.create_table(
        Table::new("user")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("name", ColumnType::String(StringLen::N(100))))
            .primary_key(["id"]),
    );
    op.create_index(Index::new("idx-user-name", "user", ["name"]));
}
fn drop_user(op: &mut Operations) {
    op.drop_table("user");
}
fn add_bio(op: &mut Operations) {
    op.add_column("user", Column::new("bio", ColumnType::Text).nullable());
}
fn drop_bio(op: &mut Operations) {
    op.drop_column("user", "bio");
}
fn broken(op: &mut Operations) {
    op.create_table(Table::new("half").column(Column::new("id", ColumnType::Integer)));
    op.execute("INSERT INTO no_such_table VALUES (1)");
}

fn graph(with_broken: bool) -> Graph {
    let mut modules = vec![
        module("aaaa00000001", &[], "create user", create_user, drop_user),
        module("bbbb00000002", &["aaaa00000001"], "add bio", add_bio, drop_bio),
    ];
    if with_broken {
        modules.push(module(
            "cccc00000003",
            &["bbbb00000002"],
            "broken",
            broken,
            drop_bio,
        ));
    }
    Graph::new(&modules).unwrap()
}

/// The database's tables but autogen's own.
async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() ORDER BY 1"
        }
        _ => {
            "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables \
             WHERE table_schema = DATABASE() ORDER BY 1"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .filter(|name| !AUTOGEN_TABLES.contains(&name.as_str()))
        .collect()
}

test_each_backend!(
    upgrade_and_downgrade_keep_the_version_table,
    |test_db: TestDb, backend: Backend| {
        let g = graph(false);
        let m = Migrator::connect(&g, &test_db.url).await.unwrap();
        let db = m.connection();
        assert!(m.current().await.unwrap().is_empty());

        let mut reported = Vec::new();
        m.upgrade("head", |s| reported.push(s.to_string())).await.unwrap();
        assert_eq!(
            reported,
            [
                "Running upgrade <base> -> aaaa00000001, create user",
                "Running upgrade aaaa00000001 -> bbbb00000002, add bio",
            ]
        );
        assert_eq!(m.current().await.unwrap(), ["bbbb00000002"]);
        assert_eq!(tables(db).await, ["user"]);

        let steps = m.downgrade("-1", |_| {}).await.unwrap();
        assert_eq!(
            steps[0].to_string(),
            "Running downgrade bbbb00000002 -> aaaa00000001, add bio"
        );
        assert_eq!(m.current().await.unwrap(), ["aaaa00000001"]);

        m.downgrade("base", |_| {}).await.unwrap();
        assert!(m.current().await.unwrap().is_empty());
        assert!(tables(db).await.is_empty());

        assert_eq!(m.upgrade("head", |_| {}).await.unwrap().len(), 2);
        assert!(
            m.upgrade("head", |_| {}).await.unwrap().is_empty(),
            "nothing left to do"
        );
    }
);

test_each_backend!(
    a_failing_revision_is_not_recorded,
    |test_db: TestDb, backend: Backend| {
        let g = graph(true);
        let m = Migrator::connect(&g, &test_db.url).await.unwrap();
        let db = m.connection();
        let err = m.upgrade("head", |_| {}).await.unwrap_err();
        assert!(matches!(err, MigrateError::Statement { ref revision, .. } if revision == "cccc00000003"));
        let message = err.to_string();
        assert!(message.contains("INSERT INTO no_such_table"), "{message}");
        if backend == Backend::MySql {
            // MySQL commits DDL as it runs: the table stays, and the message says so.
            assert!(
                message.contains("these statements of the revision took effect"),
                "{message}"
            );
            assert!(message.contains("CREATE TABLE `half`"), "{message}");
            assert_eq!(tables(db).await, ["half", "user"]);
            // The database is between two revisions: nothing runs on it, and
            // `current` says what happened, until it is repaired and stamped.
            let Err(MigrateError::Interrupted(interrupted)) = m.current().await else {
                panic!("a revision that stopped half way is reported");
            };
            let create_half = &render(&Operations::record(broken, None)[0], backend.dialect()).unwrap()[0];
            assert_eq!(
                interrupted.to_string(),
                format!(
                    "revision cccc00000003 (broken) did not finish its upgrade: the run stopped at statement 2 of 2, \
                     and this database commits DDL as it runs, so it is partly changed while the version table \
                     still says bbbb00000002.\n  \
                     ran:\n    1. {create_half}\n  \
                     failed (the database refused it; it did not take effect):\n    \
                     2. INSERT INTO no_such_table VALUES (1)\n  \
                     did not run:\n    none\n\
                     autogen will not guess which state to continue from; repair the database by hand, then record \
                     where it is:\n  \
                     - to go back, undo the statements that ran, then `autogen stamp bbbb00000002`;\n  \
                     - to go forward, run the statements that did not, then `autogen stamp cccc00000003`."
                )
            );
            let refused = m.upgrade("head", |_| {}).await;
            assert!(
                matches!(refused, Err(MigrateError::Interrupted(_))),
                "{refused:?}"
            );
            db.execute_unprepared("DROP TABLE half").await.unwrap();
            assert_eq!(m.stamp("bbbb00000002", false).await.unwrap(), ["bbbb00000002"]);
            assert_eq!(m.current().await.unwrap(), ["bbbb00000002"]);
        } else {
            assert_eq!(m.current().await.unwrap(), ["bbbb00000002"]);
            assert!(
                message.contains("rolled back, so the database is still at bbbb00000002"),
                "{message}"
            );
            assert_eq!(tables(db).await, ["user"], "the half-created table is gone");
        }
    }
);

test_each_backend!(
    a_version_table_naming_an_unknown_revision_is_reported,
    |test_db: TestDb, backend: Backend| {
        let g = graph(false);
        let m = Migrator::connect(&g, &test_db.url).await.unwrap();
        let db = m.connection();
        m.upgrade("+1", |_| {}).await.unwrap();
        db.execute_unprepared("UPDATE autogen_version SET version_num = 'ffff00000000'")
            .await
            .unwrap();
        let err = m.upgrade("head", |_| {}).await.unwrap_err();
        assert!(matches!(err, MigrateError::UnknownApplied(ref id) if id == "ffff00000000"));
    }
);

test_each_backend!(
    one_transaction_for_the_whole_run,
    |test_db: TestDb, backend: Backend| {
        let g = graph(true);
        let m = Migrator::connect(&g, &test_db.url).await.unwrap();
        let single = RunOptions {
            single_transaction: true,
            ..RunOptions::default()
        };
        let result = m.migrate(Direction::Up, "head", single.clone(), |_| {}).await;
        if backend == Backend::MySql {
            let err = result.unwrap_err().to_string();
            assert!(err.contains("MySQL commits DDL as it runs"), "{err}");
            return;
        }
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("rolled back, so the database is still at base"),
            "{err}"
        );
        assert!(
            m.current().await.unwrap().is_empty(),
            "nothing of the run is recorded"
        );
        assert!(
            tables(m.connection()).await.is_empty(),
            "nothing of the run is left"
        );
        let steps = m.migrate(Direction::Up, "bbbb", single, |_| {}).await.unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(m.current().await.unwrap(), ["bbbb00000002"]);
    }
);

test_each_backend!(
    stamp_records_without_running,
    |test_db: TestDb, backend: Backend| {
        let g = graph(false);
        let m = Migrator::connect(&g, &test_db.url).await.unwrap();
        assert_eq!(m.stamp("head", false).await.unwrap(), ["bbbb00000002"]);
        assert_eq!(m.current().await.unwrap(), ["bbbb00000002"]);
        assert!(tables(m.connection()).await.is_empty(), "no revision ran");
        assert!(m.stamp("base", false).await.unwrap().is_empty());
        m.stamp("aaaa", false).await.unwrap();
        m.connection()
            .execute_unprepared("UPDATE autogen_version SET version_num = 'gone00000000'")
            .await
            .unwrap();
        assert!(matches!(
            m.stamp("head", false).await,
            Err(MigrateError::UnknownApplied(_))
        ));
        assert_eq!(m.stamp("aaaa", true).await.unwrap(), ["aaaa00000001"]);
        assert_eq!(m.current().await.unwrap(), ["aaaa00000001"]);
    }
);

test_each_backend!(
    concurrent_upgrades_apply_each_revision_once,
    |test_db: TestDb, backend: Backend| {
        let g = graph(false);
        let first = Migrator::connect(&g, &test_db.url).await.unwrap();
        let second = Migrator::connect(&g, &test_db.url).await.unwrap();
        let (a, b) = tokio::join!(first.upgrade("head", |_| {}), second.upgrade("head", |_| {}));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(
            a.len() + b.len(),
            2,
            "each revision ran exactly once: {a:?} {b:?}"
        );
        assert_eq!(first.current().await.unwrap(), ["bbbb00000002"]);
    }
);

fn add_longer_bio(op: &mut Operations) {
    op.add_column(
        "user",
        Column::new("bio", ColumnType::String(StringLen::N(2000))).nullable(),
    );
}

/// The checksums the revisions table holds, by revision.
async fn checksums(db: &DatabaseConnection) -> Vec<(String, String)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT revision, checksum FROM autogen_revisions ORDER BY revision",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "revision").unwrap(),
                r.try_get("", "checksum").unwrap(),
            )
        })
        .collect()
}

test_each_backend!(
    applied_revisions_keep_the_checksum_of_their_ops,
    |test_db: TestDb, backend: Backend| {
        let g = graph(false);
        let m = Migrator::connect(&g, &test_db.url).await.unwrap();
        m.upgrade("head", |_| {}).await.unwrap();
        let checksum = |graph: &Graph, id: &str| graph.get(id).unwrap().module.checksum(None);
        assert_eq!(
            checksums(m.connection()).await,
            [
                ("aaaa00000001".to_owned(), checksum(&g, "aaaa00000001")),
                ("bbbb00000002".to_owned(), checksum(&g, "bbbb00000002")),
            ]
        );
        assert!(m.modified().await.unwrap().is_empty());

        // The applied "add bio" is edited: the same revision, other ops.
        let edited = Graph::new(&[
            module("aaaa00000001", &[], "create user", create_user, drop_user),
            module(
                "bbbb00000002",
                &["aaaa00000001"],
                "add bio",
                add_longer_bio,
                drop_bio,
            ),
        ])
        .unwrap();
        let m = Migrator::connect(&edited, &test_db.url).await.unwrap();
        let modified: Vec<&str> = m.modified().await.unwrap().iter().map(|n| n.id()).collect();
        assert_eq!(modified, ["bbbb00000002"]);

        // Accepting the edit records its checksum and runs nothing.
        assert_eq!(m.accept_checksum("bbbb").await.unwrap(), "bbbb00000002");
        assert!(m.modified().await.unwrap().is_empty());
        assert_eq!(
            checksums(m.connection()).await[1].1,
            checksum(&edited, "bbbb00000002")
        );

        // Undoing a revision removes its row; then there is nothing of it to accept.
        m.downgrade("-1", |_| {}).await.unwrap();
        assert_eq!(
            checksums(m.connection()).await,
            [("aaaa00000001".to_owned(), checksum(&edited, "aaaa00000001"))]
        );
        assert!(matches!(
            m.accept_checksum("bbbb00000002").await,
            Err(MigrateError::NotApplied(ref id)) if id == "bbbb00000002"
        ));

        // A stamp moves the version table and forgets the revisions it un-applies.
        m.upgrade("head", |_| {}).await.unwrap();
        m.stamp("aaaa00000001", false).await.unwrap();
        assert_eq!(
            checksums(m.connection()).await,
            [("aaaa00000001".to_owned(), checksum(&edited, "aaaa00000001"))]
        );

        // A database migrated before checksums were kept has no rows, and no warnings.
        m.stamp("head", false).await.unwrap();
        m.connection()
            .execute_unprepared("DELETE FROM autogen_revisions")
            .await
            .unwrap();
        let original = Migrator::connect(&g, &test_db.url).await.unwrap();
        assert!(original.modified().await.unwrap().is_empty());
    }
);

/// A table named after the run's `--tag`, as a revision that reads it does.
fn create_tagged(op: &mut Operations) {
    let name = format!("note_{}", op.tag().expect("the run is tagged"));
    op.create_table(
        Table::new(&name)
            .column(Column::new("id", ColumnType::Integer))
            .primary_key(["id"]),
    );
}
fn drop_tagged(op: &mut Operations) {
    let name = format!("note_{}", op.tag().expect("the run is tagged"));
    op.drop_table(&name);
}

test_each_backend!(
    a_revision_that_reads_the_tag_keeps_the_checksum_of_the_run_it_had,
    |test_db: TestDb, _backend: Backend| {
        let g = Graph::new(&[module("aaaa00000001", &[], "tagged", create_tagged, drop_tagged)]).unwrap();
        let m = Migrator::connect(&g, &test_db.url).await.unwrap();
        // A quote, a backslash and a letter wider than a byte: the tag is stored as a literal.
        let tag = "it's\\é".to_owned();
        let options = RunOptions {
            tag: Some(tag.clone()),
            ..RunOptions::default()
        };
        m.migrate(Direction::Up, "head", options.clone(), |_| {})
            .await
            .unwrap();
        let checksum = g.get("aaaa00000001").unwrap().module.checksum(Some(&tag));
        assert_eq!(
            checksums(m.connection()).await,
            [("aaaa00000001".to_owned(), checksum)]
        );
        // Checked without the tag (as `current` and `check` are), it is not
        // edited, and it is not recorded without it.
        assert!(m.modified().await.unwrap().is_empty());
        assert_eq!(m.accept_checksum("aaaa").await.unwrap(), "aaaa00000001");
        assert!(m.modified().await.unwrap().is_empty());
        m.migrate(Direction::Down, "base", options, |_| {}).await.unwrap();
        assert!(tables(m.connection()).await.is_empty());
    }
);

fn create_note(op: &mut Operations) {
    op.create_table(
        Table::new("note")
            .column(Column::new("id", ColumnType::Integer))
            .primary_key(["id"]),
    );
}
fn drop_note(op: &mut Operations) {
    op.drop_table("note");
}

/// One revision undone, where the history branches and no target names
/// "just this one": the revisions that require it go first, the other branch stays.
#[tokio::test]
async fn one_revision_is_downgraded_with_what_requires_it() {
    let db = Backend::Sqlite.fresh().await.unwrap();
    // aaaa <- bbbb, aaaa <- dddd: two heads.
    let g = Graph::new(&[
        module("aaaa00000001", &[], "create user", create_user, drop_user),
        module("bbbb00000002", &["aaaa00000001"], "add bio", add_bio, drop_bio),
        module(
            "dddd00000004",
            &["aaaa00000001"],
            "create note",
            create_note,
            drop_note,
        ),
    ])
    .unwrap();
    let m = Migrator::connect(&g, &db.url).await.unwrap();
    assert_eq!(m.upgrade("heads", |_| {}).await.unwrap().len(), 3);

    let steps = m
        .downgrade_revision("bbbb", RunOptions::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(
        steps.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["Running downgrade bbbb00000002 -> aaaa00000001, add bio"]
    );
    assert_eq!(m.current().await.unwrap(), ["dddd00000004"]);

    let steps = m
        .downgrade_revision("aaaa00000001", RunOptions::default(), |_| {})
        .await
        .unwrap();
    let undone: Vec<&str> = steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(undone, ["dddd00000004", "aaaa00000001"]);
    assert!(m.current().await.unwrap().is_empty());
    assert!(tables(m.connection()).await.is_empty());
}

// SQLite table recreation through the executor: rows and indexes survive, the
// rows of tables that reference the recreated one are neither deleted nor
// cascaded into, and a recreation (or a drop) that would leave a foreign key
// pointing nowhere is rolled back.

fn team(with_label: bool) -> Table {
    let mut team = Table::new("team")
        .column(Column::new("id", ColumnType::Integer).auto_increment())
        .column(Column::new("name", ColumnType::String(StringLen::N(40))))
        .primary_key(["id"])
        .index(Index::new("idx-team-name", "team", ["name"]).unique());
    if with_label {
        // NOT NULL with a default, and the name may now be NULL: neither is an in-place ALTER on SQLite.
        team.columns[1].nullable = true;
        team = team.column(Column::new("label", ColumnType::Text).default("none"));
    }
    team
}

fn create_teams(op: &mut Operations) {
    op.create_table(team(false));
    op.create_table(
        Table::new("member")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("team_id", ColumnType::Integer))
            .primary_key(["id"])
            .foreign_key(ForeignKey::new(["team_id"], "team", ["id"]).on_delete(ForeignKeyAction::Cascade)),
    );
    op.execute("INSERT INTO team (id, name) VALUES (1, 'red'), (2, 'blue')");
    op.execute("INSERT INTO member (id, team_id) VALUES (10, 1), (11, 2)");
}
fn drop_all(op: &mut Operations) {
    op.drop_table("member");
    op.drop_table("team");
}
fn add_label(op: &mut Operations) {
    op.recreate_table(team(true), ["id", "name"]);
}
fn remove_label(op: &mut Operations) {
    op.recreate_table(team(false), ["id", "name"]);
}
/// Copies no rows: every member's team is gone.
fn lose_rows(op: &mut Operations) {
    op.recreate_table(team(true), Vec::<String>::new());
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "v").unwrap())
        .collect()
}

/// Teams and their members, then `upgrade` on the team table.
fn teams_then(message: &'static str, upgrade: fn(&mut Operations)) -> Graph {
    Graph::new(&[
        module("aaaa00000001", &[], "create teams", create_teams, drop_all),
        module("bbbb00000002", &["aaaa00000001"], message, upgrade, remove_label),
    ])
    .unwrap()
}

#[tokio::test]
async fn a_recreated_table_keeps_its_rows_indexes_and_children() {
    let db = Backend::Sqlite.fresh().await.unwrap();
    let g = teams_then("add label", add_label);
    let m = Migrator::connect(&g, &db.url).await.unwrap();
    m.upgrade("head", |_| {}).await.unwrap();
    let conn = m.connection();
    let teams = "SELECT id || ':' || coalesce(name, '') || ':' || label AS v FROM team ORDER BY id";
    assert_eq!(rows(conn, teams).await, ["1:red:none", "2:blue:none"]);
    let members = "SELECT id || ':' || team_id AS v FROM member ORDER BY id";
    assert_eq!(
        rows(conn, members).await,
        ["10:1", "11:2"],
        "no cascade into the children"
    );
    let schema = autogen_introspect::introspect(conn).await.unwrap();
    assert_eq!(
        schema.table("team"),
        Some(&team(true)),
        "indexes and keys are back"
    );
    let fk_on = "SELECT CAST(foreign_keys AS TEXT) AS v FROM pragma_foreign_keys";
    assert_eq!(
        rows(conn, fk_on).await,
        ["1"],
        "enforcement is on again after the run"
    );

    m.downgrade("-1", |_| {}).await.unwrap();
    assert_eq!(
        rows(conn, "SELECT id || ':' || name AS v FROM team ORDER BY id").await,
        ["1:red", "2:blue"]
    );
    let schema = autogen_introspect::introspect(conn).await.unwrap();
    assert_eq!(schema.table("team"), Some(&team(false)));
}

#[tokio::test]
async fn a_recreation_that_orphans_rows_is_rolled_back() {
    let db = Backend::Sqlite.fresh().await.unwrap();
    let g = teams_then("lose rows", lose_rows);
    let m = Migrator::connect(&g, &db.url).await.unwrap();
    let err = m.upgrade("head", |_| {}).await.unwrap_err();
    assert!(
        matches!(&err, MigrateError::ForeignKeyViolation { revision, count: 2, table, parent }
            if revision == "bbbb00000002" && table == "member" && parent == "team"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "revision bbbb00000002 was rolled back: it leaves 2 row(s) whose foreign key points nowhere, first in \
         table 'member' (referencing 'team'); fix the data or the revision and run it again"
    );
    assert_eq!(m.current().await.unwrap(), ["aaaa00000001"]);
    let conn = m.connection();
    assert_eq!(
        rows(conn, "SELECT id || ':' || name AS v FROM team ORDER BY id").await,
        ["1:red", "2:blue"]
    );
}

/// Drops the teams, whose members still reference them.
fn drop_teams_only(op: &mut Operations) {
    op.drop_table("team");
}

#[tokio::test]
async fn a_drop_that_orphans_rows_is_rolled_back_not_cascaded() {
    let db = Backend::Sqlite.fresh().await.unwrap();
    let g = teams_then("drop teams", drop_teams_only);
    let m = Migrator::connect(&g, &db.url).await.unwrap();
    let err = m.upgrade("head", |_| {}).await.unwrap_err();
    assert!(
        matches!(&err, MigrateError::ForeignKeyViolation { table, parent, .. } if table == "member" && parent == "team"),
        "{err}"
    );
    assert_eq!(m.current().await.unwrap(), ["aaaa00000001"]);
    let members = "SELECT id || ':' || team_id AS v FROM member ORDER BY id";
    assert_eq!(rows(m.connection(), members).await, ["10:1", "11:2"]);
}

/// Posts and authors referencing each other, posts also themselves with
/// ON DELETE CASCADE.
fn create_linked(op: &mut Operations) {
    let id = || Column::new("id", ColumnType::Integer);
    let reference = |name: &str| Column::new(name, ColumnType::Integer).nullable();
    op.create_table(
        Table::new("post")
            .column(id())
            .column(reference("author_id"))
            .column(reference("reply_to"))
            .primary_key(["id"])
            .foreign_key(ForeignKey::new(["author_id"], "author", ["id"]))
            .foreign_key(ForeignKey::new(["reply_to"], "post", ["id"]).on_delete(ForeignKeyAction::Cascade)),
    );
    op.create_table(
        Table::new("author")
            .column(id())
            .column(reference("pinned_post"))
            .primary_key(["id"])
            .foreign_key(ForeignKey::new(["pinned_post"], "post", ["id"])),
    );
}
fn drop_linked(op: &mut Operations) {
    op.drop_table("author");
    op.drop_table("post");
}

// Whichever goes first, dropping the other with enforcement on cascades
// into posts, whose author table is gone, which SQLite refuses.
#[tokio::test]
async fn tables_that_reference_each_other_are_dropped() {
    let db = Backend::Sqlite.fresh().await.unwrap();
    let g = Graph::new(&[module("aaaa00000001", &[], "linked", create_linked, drop_linked)]).unwrap();
    let m = Migrator::connect(&g, &db.url).await.unwrap();
    m.upgrade("head", |_| {}).await.unwrap();
    m.downgrade("base", |_| {}).await.unwrap();
    assert!(tables(m.connection()).await.is_empty(), "both tables dropped");
}

// A UNIQUE column dropped on SQLite, whose `DROP COLUMN` refuses it: the
// diff writes a rebuild, and a hand-written `drop_column` runs as one.

fn tag(with_slug: bool) -> Table {
    let mut tag = Table::new("tag")
        .column(Column::new("id", ColumnType::Integer).auto_increment())
        .primary_key(["id"]);
    if with_slug {
        tag = tag.column(Column::new("slug", ColumnType::Text).nullable().unique());
    }
    tag.column(Column::new("name", ColumnType::Text))
}
fn create_tags(op: &mut Operations) {
    op.create_table(tag(true));
    op.execute_data("INSERT INTO tag (id, slug, name) VALUES (1, 'r', 'red'), (2, 'b', 'blue')");
}
fn drop_tags(op: &mut Operations) {
    op.drop_table("tag");
}
fn drop_slug(op: &mut Operations) {
    op.drop_column("tag", "slug");
}
fn add_slug(op: &mut Operations) {
    op.add_column("tag", Column::new("slug", ColumnType::Text).nullable().unique());
}

/// The tags are all there, and the table is `tag(false)`.
async fn assert_slug_dropped(conn: &DatabaseConnection, path: &str) {
    let tags = "SELECT id || ':' || name AS v FROM tag ORDER BY id";
    assert_eq!(rows(conn, tags).await, ["1:red", "2:blue"], "{path}");
    let schema = autogen_introspect::introspect(conn).await.unwrap();
    assert_eq!(schema.table("tag"), Some(&tag(false)), "{path}");
}

#[tokio::test]
async fn a_unique_column_is_dropped_on_sqlite_by_a_rebuild() {
    let graph = Graph::new(&[
        module("aaaa00000001", &[], "create tags", create_tags, drop_tags),
        module(
            "bbbb00000002",
            &["aaaa00000001"],
            "drop slug",
            drop_slug,
            add_slug,
        ),
    ])
    .unwrap();

    // The diff's ops, rendered and run.
    let db = Backend::Sqlite.fresh().await.unwrap();
    let m = Migrator::connect(&graph, &db.url).await.unwrap();
    m.upgrade("aaaa", |_| {}).await.unwrap();
    let conn = m.connection();
    let current = autogen_introspect::introspect(conn).await.unwrap();
    let mut target = current.clone();
    target.insert(tag(false));
    let ops = autogen_diff::diff(&current, &target, Dialect::Sqlite, &Options::default());
    let [Op::RecreateTable { .. }] = ops.as_slice() else {
        panic!("{ops:#?}");
    };
    for sql in ops.iter().flat_map(|op| render(op, Dialect::Sqlite).unwrap()) {
        conn.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}\n{e}"));
    }
    assert_slug_dropped(conn, "diff").await;

    // The hand-written revision, through the migrator that reads the table;
    // the downgrade adds the UNIQUE column back, which is a rebuild too.
    let db = Backend::Sqlite.fresh().await.unwrap();
    let m = Migrator::connect(&graph, &db.url)
        .await
        .unwrap()
        .with_schema_reader(support::introspection());
    m.upgrade("head", |_| {}).await.unwrap();
    assert_slug_dropped(m.connection(), "drop_column").await;
    m.downgrade("-1", |_| {}).await.unwrap();
    let schema = autogen_introspect::introspect(m.connection()).await.unwrap();
    assert_eq!(
        schema.table("tag").unwrap().get_column("slug"),
        tag(true).get_column("slug")
    );

    // Without a reader the migrator cannot tell the column is UNIQUE, and
    // SQLite refuses the drop: the revision is rolled back.
    let db = Backend::Sqlite.fresh().await.unwrap();
    let m = Migrator::connect(&graph, &db.url).await.unwrap();
    let err = m.upgrade("head", |_| {}).await.unwrap_err().to_string();
    assert!(err.contains("cannot drop UNIQUE column"), "{err}");
    assert_eq!(m.current().await.unwrap(), ["aaaa00000001"]);
}

fn create_family(op: &mut Operations) {
    op.create_table(
        Table::new("parent")
            .column(Column::new("id", ColumnType::Integer))
            .column(Column::new("note", ColumnType::Text).nullable())
            .primary_key(["id"]),
    );
    op.create_table(
        Table::new("child")
            .column(Column::new("id", ColumnType::Integer))
            .column(Column::new("parent_id", ColumnType::Integer))
            .primary_key(["id"])
            .foreign_key(
                ForeignKey::new(["parent_id"], "parent", ["id"]).on_delete(ForeignKeyAction::Cascade),
            ),
    );
    op.execute_data("INSERT INTO parent (id) VALUES (1)");
    op.execute_data("INSERT INTO child (id, parent_id) VALUES (1, 1)");
}
fn drop_family(op: &mut Operations) {
    op.drop_table("child");
    op.drop_table("parent");
}
fn drop_note_and_parents(op: &mut Operations) {
    op.drop_column("parent", "note");
    op.execute_data("DELETE FROM parent");
}

/// A column drop SQLite runs in place leaves foreign keys enforced: the
/// cascade the revision relies on still fires. (Turned off, the deleted
/// parent would leave an orphan, and the run's key check would refuse it.)
#[tokio::test]
async fn a_plain_column_drop_on_sqlite_keeps_foreign_keys_enforced() {
    let family = module("aaaa00000001", &[], "family", create_family, drop_family);
    let drops = module(
        "bbbb00000002",
        &["aaaa00000001"],
        "drops",
        drop_note_and_parents,
        |_| {},
    );
    let graph = Graph::new(&[family, drops]).unwrap();
    let db = Backend::Sqlite.fresh().await.unwrap();
    let reader = support::introspection();
    let m = Migrator::connect(&graph, &db.url)
        .await
        .unwrap()
        .with_schema_reader(reader);
    m.upgrade("head", |_| {}).await.unwrap();
    let children = "SELECT CAST(COUNT(*) AS TEXT) AS v FROM child";
    assert_eq!(rows(m.connection(), children).await, ["0"], "the cascade fired");
}

fn create_account(op: &mut Operations) {
    op.create_table(
        Table::new("account")
            .column(Column::new("id", ColumnType::Integer))
            .column(Column::new("name", ColumnType::String(StringLen::N(40))).nullable())
            .primary_key(["id"]),
    );
    op.execute_data("INSERT INTO account (id, name) VALUES (1, 'ann'), (2, NULL)");
}
fn drop_account(op: &mut Operations) {
    op.drop_table("account");
}
fn name_column() -> Column {
    Column::new("name", ColumnType::String(StringLen::N(40))).nullable()
}
fn slug_column() -> Column {
    Column::new("slug", ColumnType::String(StringLen::N(40))).nullable()
}
/// What `revision --autogenerate --fill account.name='unnamed' --fill
/// account.slug='none'` writes for a NOT NULL `slug` added and `name` made
/// NOT NULL with a default.
fn tighten_account(op: &mut Operations) {
    op.add_column("account", slug_column());
    op.fill_nulls("account", "name", "unnamed");
    op.fill_nulls("account", "slug", "none");
    let mut name = name_column().default("anonymous");
    name.nullable = false;
    op.alter_column("account", name_column(), name);
    let mut slug = slug_column();
    slug.nullable = false;
    op.alter_column("account", slug_column(), slug);
}
fn loosen_account(op: &mut Operations) {
    let mut slug = slug_column();
    slug.nullable = false;
    op.alter_column("account", slug, slug_column());
    let mut name = name_column().default("anonymous");
    name.nullable = false;
    op.alter_column("account", name, name_column());
    op.drop_column("account", "slug");
}

test_each_backend!(
    a_one_off_value_fills_existing_rows_before_not_null,
    |test_db: TestDb, backend: Backend| {
        let g = Graph::new(&[
            module("aaaa00000001", &[], "accounts", create_account, drop_account),
            module(
                "bbbb00000002",
                &["aaaa00000001"],
                "tighten",
                tighten_account,
                loosen_account,
            ),
        ])
        .unwrap();
        let m = Migrator::connect(&g, &test_db.url)
            .await
            .unwrap()
            .with_schema_reader(support::introspection());
        m.upgrade("head", |_| {}).await.unwrap();
        let conn = m.connection();
        let accounts = |sql: &'static str| async move {
            conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    let name: String = r.try_get("", "name").unwrap();
                    let slug: String = r.try_get("", "slug").unwrap();
                    format!("{name}:{slug}")
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            accounts("SELECT name, slug FROM account ORDER BY id").await,
            ["ann:none", "unnamed:none"],
            "{backend:?}: the rows that were NULL have the one-off value"
        );
        // The value was for those rows only: the column's default is the declared one, or none.
        let schema = autogen_introspect::introspect(conn).await.unwrap();
        let table = schema.table("account").unwrap();
        let slug = table.get_column("slug").unwrap();
        assert!(!slug.nullable && slug.default.is_none(), "{slug:?}");
        let name = table.get_column("name").unwrap();
        assert!(!name.nullable, "{name:?}");
        assert_eq!(name.default, Some("anonymous".into()));

        m.downgrade("-1", |_| {}).await.unwrap();
        let schema = autogen_introspect::introspect(m.connection()).await.unwrap();
        let table = schema.table("account").unwrap();
        assert!(table.get_column("slug").is_none());
        assert!(table.get_column("name").unwrap().nullable);
    }
);

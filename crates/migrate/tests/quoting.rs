//! Names that need quoting, through every op the executor runs, on each
//! backend: the revisions of `autogen_testdb::quoting`'s history are
//! upgraded one at a time, then downgraded one at a time, on a database
//! holding rows. After each step introspection must find exactly the schema
//! the history replays to (compared as the diff compares, in the backend's
//! terms), and the rows must still be there.

mod support;

use autogen_diff::Options;
use autogen_migrate::{Direction, Graph, Migrator, Operations, Revision, RevisionModule, RunOptions};
use autogen_schema::{invert_all, replay, Dialect, Schema};
use autogen_testdb::quoting::{
    history, quote, DATE_JA, GROUP, LINE_NO, ORDER, ORDER_LINE, OTHER_SCHEMA, PRENOM, SAY_HI, SELECT, USER,
};
use autogen_testdb::{test_each_backend, Backend};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_query::{Alias, MysqlQueryBuilder, PostgresQueryBuilder, Query, SqliteQueryBuilder};

/// The backend a run is for, passed as its tag: revision functions are plain
/// `fn`s, and each backend's history differs (its CHECKs quote names its way).
fn tag(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
        Backend::MySql => "mysql",
    }
}

fn tagged_dialect(op: &Operations) -> Dialect {
    match op.tag() {
        Some("postgres") => Dialect::Postgres,
        Some("mysql") => Dialect::MySql,
        Some("sqlite") => Dialect::Sqlite,
        other => panic!("the run is tagged with its backend, not {other:?}"),
    }
}

/// Revision `N` of the tagged backend's history.
fn upgrade<const N: usize>(op: &mut Operations) {
    for o in history(tagged_dialect(op)).swap_remove(N).upgrade {
        op.push(o);
    }
}

/// The upgrade inverted against the schema the revisions before it leave.
fn downgrade<const N: usize>(op: &mut Operations) {
    let history = history(tagged_dialect(op));
    let before = replay(&Schema::new(), history[..N].iter().flat_map(|r| &r.upgrade)).unwrap();
    for o in invert_all(&history[N].upgrade, &before).unwrap() {
        op.push(o);
    }
}

/// One id and one pair of functions per revision of the longest history, PostgreSQL's.
static IDS: [&str; 13] = [
    "000000000001",
    "000000000002",
    "000000000003",
    "000000000004",
    "000000000005",
    "000000000006",
    "000000000007",
    "000000000008",
    "000000000009",
    "000000000010",
    "000000000011",
    "000000000012",
    "000000000013",
];

type Function = fn(&mut Operations);

static FUNCTIONS: [(Function, Function); 13] = [
    (upgrade::<0>, downgrade::<0>),
    (upgrade::<1>, downgrade::<1>),
    (upgrade::<2>, downgrade::<2>),
    (upgrade::<3>, downgrade::<3>),
    (upgrade::<4>, downgrade::<4>),
    (upgrade::<5>, downgrade::<5>),
    (upgrade::<6>, downgrade::<6>),
    (upgrade::<7>, downgrade::<7>),
    (upgrade::<8>, downgrade::<8>),
    (upgrade::<9>, downgrade::<9>),
    (upgrade::<10>, downgrade::<10>),
    (upgrade::<11>, downgrade::<11>),
    (upgrade::<12>, downgrade::<12>),
];

/// `dialect`'s history as a chain of revisions.
fn graph(dialect: Dialect) -> Graph {
    let history = history(dialect);
    assert!(
        history.len() <= IDS.len(),
        "give the longer history ids and functions"
    );
    let modules: Vec<RevisionModule> = history
        .iter()
        .enumerate()
        .map(|(at, revision)| RevisionModule {
            revision: Revision {
                id: IDS[at],
                down_revision: &IDS[at.saturating_sub(1)..at],
                branch_labels: &[],
                depends_on: &[],
                message: revision.message,
            },
            upgrade: FUNCTIONS[at].0,
            downgrade: FUNCTIONS[at].1,
            path: "src/versions/quoting.rs",
        })
        .collect();
    Graph::new(&modules).unwrap()
}

/// Introspection lent to the migrator, as `autogen` lends it: on SQLite,
/// what the revisions cannot change in place becomes table rebuilds.
/// The database holds `expected`, as far as `dialect` can tell.
async fn assert_holds(db: &DatabaseConnection, expected: &Schema, dialect: Dialect, when: &str) {
    let mut expected = expected.clone();
    // MySQL and SQLite keep an enum's labels in its column; named enum types are PostgreSQL's.
    if dialect != Dialect::Postgres {
        expected.enums.clear();
    }
    let found = autogen_introspect::introspect(db).await.unwrap();
    let mut left = autogen_diff::diff(&found, &expected, dialect, &Options::default());
    if dialect == Dialect::Postgres {
        let other = autogen_introspect::Options {
            schema: Some(OTHER_SCHEMA.to_owned()),
            ..autogen_introspect::Options::default()
        };
        let found = autogen_introspect::introspect_with(db, &other).await.unwrap();
        let expected = expected.schemas.get(OTHER_SCHEMA).cloned().unwrap_or_default();
        left.extend(autogen_diff::diff(
            &found,
            &expected,
            dialect,
            &Options::default(),
        ));
    }
    let described: Vec<String> = left.iter().map(ToString::to_string).collect();
    assert_eq!(described, Vec::<String>::new(), "{dialect} {when}");
}

fn sql(statement: &impl sea_query::QueryStatementWriter, dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite => statement.to_string(SqliteQueryBuilder),
        Dialect::Postgres => statement.to_string(PostgresQueryBuilder),
        Dialect::MySql => statement.to_string(MysqlQueryBuilder),
    }
}

/// Rows of `user` and `order line`, as the first revision leaves them:
/// values with quotes, backslashes and letters outside ASCII (inside
/// Latin-1, MariaDB's default character set for the tables it creates).
async fn insert_rows(db: &DatabaseConnection, dialect: Dialect) {
    let users = Query::insert()
        .into_table(Alias::new(USER))
        .columns([ORDER, PRENOM, SAY_HI, DATE_JA, SELECT].map(Alias::new))
        .values_panic([
            1.into(),
            "Zoë \"Z\" O'Neil \\ 1".into(),
            "a".into(),
            "2024-01".into(),
            "say \"hi\"".into(),
        ])
        .values_panic([
            2.into(),
            "Åsa".into(),
            "b".into(),
            "2024-02".into(),
            "it's".into(),
        ])
        .to_owned();
    let lines = Query::insert()
        .into_table(Alias::new(ORDER_LINE))
        .columns([ORDER, LINE_NO, GROUP].map(Alias::new))
        .values_panic([1.into(), 1.into(), "g'1".into()])
        .values_panic([2.into(), 1.into(), "g\"2".into()])
        .to_owned();
    for insert in [users, lines] {
        let insert = sql(&insert, dialect);
        db.execute_unprepared(&insert)
            .await
            .unwrap_or_else(|e| panic!("{insert}\n{e}"));
    }
}

/// The values of `column` in `table`, in key order, as text: cast, so that
/// the statement's result type (which PostgreSQL caches with the prepared
/// statement) stays the same while revisions change the column's type.
async fn values(db: &DatabaseConnection, dialect: Dialect, table: &str, column: &str) -> Vec<String> {
    let text = if dialect == Dialect::MySql { "CHAR" } else { "TEXT" };
    let select = format!(
        "SELECT CAST({} AS {text}) AS v FROM {} ORDER BY {}",
        quote(dialect, column),
        quote(dialect, table),
        quote(dialect, ORDER)
    );
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), select))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "v").unwrap())
        .collect()
}

/// The rows `insert_rows` wrote are all there.
async fn assert_rows_kept(db: &DatabaseConnection, dialect: Dialect, when: &str) {
    assert_eq!(
        values(db, dialect, USER, PRENOM).await,
        ["Zoë \"Z\" O'Neil \\ 1", "Åsa"],
        "{dialect} {when}"
    );
    assert_eq!(
        values(db, dialect, ORDER_LINE, GROUP).await,
        ["g'1", "g\"2"],
        "{dialect} {when}"
    );
}

test_each_backend!(
    names_that_need_quoting_round_trip_through_every_op,
    |db: TestDb, backend: Backend| {
        let dialect = backend.dialect();
        let graph = graph(dialect);
        let migrator = Migrator::connect(&graph, &db.url)
            .await
            .unwrap()
            .with_schema_reader(support::introspection());
        let conn = migrator.connection();
        let tagged = RunOptions {
            tag: Some(tag(backend).to_owned()),
            ..RunOptions::default()
        };
        let history = history(dialect);

        // The schema before each revision, and after the last.
        let mut schemas = vec![Schema::new()];
        for revision in &history {
            let when = format!("after upgrading '{}'", revision.message);
            migrator
                .migrate(Direction::Up, "+1", tagged.clone(), |_| {})
                .await
                .unwrap_or_else(|e| panic!("{dialect} {when}: {e}"));
            let after = replay(schemas.last().unwrap(), &revision.upgrade).unwrap();
            if schemas.len() == 1 {
                insert_rows(conn, dialect).await;
            }
            assert_holds(conn, &after, dialect, &when).await;
            assert_rows_kept(conn, dialect, &when).await;
            schemas.push(after);
        }
        for (revision, before) in history.iter().zip(&schemas).rev() {
            let when = format!("after downgrading '{}'", revision.message);
            migrator
                .migrate(Direction::Down, "-1", tagged.clone(), |_| {})
                .await
                .unwrap_or_else(|e| panic!("{dialect} {when}: {e}"));
            assert_holds(conn, before, dialect, &when).await;
            if before.table(USER).is_some() {
                assert_rows_kept(conn, dialect, &when).await;
            }
        }
        assert!(migrator.current().await.unwrap().is_empty());
    }
);

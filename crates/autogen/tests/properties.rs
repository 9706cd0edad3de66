//! Properties of autogenerate over random pairs of schemas (a, b), b a few
//! random changes of a (see `schemas`):
//!
//! - the diff from a to b, replayed onto a, gives b, and its inverse (the
//!   downgrade), replayed onto that, gives a again, in each dialect's terms;
//! - on a real SQLite database, the migrator running those ops as revisions
//!   leaves what creating b afresh leaves, and the downgrade what creating a
//!   left, as introspection reads them.
//!
//! The case counts keep a debug run short; `PROPTEST_CASES` raises them.

mod schemas;

use std::sync::Mutex;

use autogen::command;
use autogen::config::Config;
use autogen::database::{Access, DatabaseUrl, UrlOrigin};
use autogen_diff::{diff, Options};
use autogen_migrate::{render, Graph, Migrator, Operations, Revision, RevisionModule};
use autogen_schema::{invert_all, replay, Dialect, Op, Schema};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::contextualize_config;

/// A schema and a few random changes of it.
fn pair() -> impl Strategy<Value = (Schema, Schema)> {
    (schemas::schema(), vec(schemas::change(), 1..=4)).prop_map(|(a, changes)| {
        let b = schemas::apply(&a, &changes);
        (a, b)
    })
}

/// What `diff` finds between the two, one line per op.
fn differences(current: &Schema, target: &Schema, dialect: Dialect) -> Vec<String> {
    diff(current, target, dialect, &Options::default())
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// `schema` with each table's columns, indexes and constraints sorted: an
/// added column comes last and a re-created index after the others, an
/// order that no comparison counts.
fn sorted(mut schema: Schema) -> Schema {
    for table in schema.tables.values_mut() {
        table.columns.sort_by(|a, b| a.name.cmp(&b.name));
        table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        table
            .foreign_keys
            .sort_by(|a, b| (&a.columns, &a.ref_table).cmp(&(&b.columns, &b.ref_table)));
        table.unique_constraints.sort_by(|a, b| a.columns.cmp(&b.columns));
    }
    schema
}

proptest! {
    #![proptest_config(contextualize_config(ProptestConfig::with_cases(256)))]

    /// Replayed, the upgrade reaches b and the downgrade a, as each dialect
    /// compares; on PostgreSQL, which tells every generated change apart,
    /// they reach them exactly.
    #[test]
    fn a_diff_replays_to_its_target_and_its_inverse_back((a, b) in pair()) {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
            prop_assert!(differences(&a, &a, dialect).is_empty());
            // The ops speak of what the dialect stores (MySQL keeps a UNIQUE
            // constraint as an index), so they replay onto that.
            let mut before = a.clone();
            dialect.to_stored(&mut before);
            let upgrade = diff(&a, &b, dialect, &Options::default());
            let after = replay(&before, &upgrade)
                .map_err(|e| TestCaseError::fail(format!("{dialect} upgrade: {e}\n{upgrade:#?}")))?;
            prop_assert_eq!(differences(&after, &b, dialect), Vec::<String>::new(), "{} upgrade {:#?}", dialect, upgrade);
            let downgrade = invert_all(&upgrade, &before)
                .map_err(|e| TestCaseError::fail(format!("{dialect} inverting: {e}\n{upgrade:#?}")))?;
            let back = replay(&after, &downgrade)
                .map_err(|e| TestCaseError::fail(format!("{dialect} downgrade: {e}\n{downgrade:#?}")))?;
            prop_assert_eq!(differences(&back, &a, dialect), Vec::<String>::new(), "{} downgrade {:#?}", dialect, downgrade);
            if dialect == Dialect::Postgres {
                prop_assert_eq!(sorted(after), sorted(b.clone()));
                prop_assert_eq!(sorted(back), sorted(a.clone()));
            }
        }
    }
}

/// What the revisions of [`revision`] record, by slot, up and down. A
/// revision is a `fn`, which cannot capture the case at hand, so each case
/// puts its ops here before running them.
static REVISION_OPS: Mutex<Vec<[Vec<Op>; 2]>> = Mutex::new(Vec::new());

const UP: usize = 0;
const DOWN: usize = 1;

fn recorded<const SLOT: usize, const DIRECTION: usize>(op: &mut Operations) {
    for recorded in &REVISION_OPS.lock().unwrap()[SLOT][DIRECTION] {
        op.push(recorded.clone());
    }
}

/// A revision `id` whose upgrade and downgrade record the ops in slot `SLOT`.
fn revision<const SLOT: usize>(id: &'static str, down_revision: &'static [&'static str]) -> RevisionModule {
    RevisionModule {
        revision: Revision {
            id,
            down_revision,
            branch_labels: &[],
            depends_on: &[],
            message: id,
        },
        upgrade: recorded::<SLOT, UP>,
        downgrade: recorded::<SLOT, DOWN>,
        path: file!(),
    }
}

/// An in-memory database, connected as `autogen upgrade` connects: with
/// introspection lent, so that on SQLite an op that cannot run in place
/// (the downgrade's re-added NOT NULL column) runs as a table rebuild.
async fn connect(history: &Graph) -> Result<Migrator<'_>, TestCaseError> {
    let config = Config::new("", DatabaseUrl::new("sqlite::memory:", UrlOrigin::Program));
    command::connect(history, &config, Access::Write)
        .await
        .map_err(|e| TestCaseError::fail(format!("{e:#}")))
}

async fn introspect(migrator: &Migrator<'_>) -> Result<Schema, TestCaseError> {
    Ok(autogen_introspect::introspect(migrator.connection()).await?)
}

/// Runs a to b and back on one in-memory database and b alone on another,
/// through the migrator, and compares what introspection reads: the
/// downgrade must leave exactly what creating a left.
async fn upgrade_and_downgrade_on_sqlite(a: &Schema, b: &Schema) -> Result<(), TestCaseError> {
    let sqlite = Dialect::Sqlite;
    let none = Schema::new();
    let change = |from: &Schema, to: &Schema| -> Result<[Vec<Op>; 2], TestCaseError> {
        let upgrade = diff(from, to, sqlite, &Options::default());
        let downgrade = invert_all(&upgrade, from)?;
        Ok([upgrade, downgrade])
    };
    let a_to_b = change(a, b)?;
    // The upgrade the diff writes for SQLite needs no rebuild it did not write.
    for op in &a_to_b[0] {
        prop_assert!(render(op, sqlite).is_ok(), "{:#?}", op);
    }
    let described = format!("{:#?}", a_to_b);
    *REVISION_OPS.lock().unwrap() = vec![change(&none, a)?, a_to_b, change(&none, b)?];
    let history = Graph::new(&[revision::<0>("a", &[]), revision::<1>("b", &["a"])])?;
    let fresh = Graph::new(&[revision::<2>("fresh_b", &[])])?;

    let migrator = connect(&history).await?;
    migrator.upgrade("a", |_| {}).await?;
    let at_a = introspect(&migrator).await?;
    prop_assert_eq!(differences(&at_a, a, sqlite), Vec::<String>::new(), "creating a");
    migrator
        .upgrade("b", |_| {})
        .await
        .map_err(|e| TestCaseError::fail(format!("upgrade: {e}\n{described}")))?;
    let upgraded = introspect(&migrator).await?;

    let fresh_migrator = connect(&fresh).await?;
    fresh_migrator.upgrade("head", |_| {}).await?;
    let fresh_b = introspect(&fresh_migrator).await?;
    prop_assert_eq!(
        differences(&fresh_b, b, sqlite),
        Vec::<String>::new(),
        "creating b"
    );
    // What the diff cannot see (SQLite declares `Integer` and `BigInteger`
    // both `integer`) stays as a had it, so here the two compare as the diff compares.
    prop_assert_eq!(
        differences(&upgraded, &fresh_b, sqlite),
        Vec::<String>::new(),
        "upgrade {}",
        described
    );
    prop_assert_eq!(
        differences(&fresh_b, &upgraded, sqlite),
        Vec::<String>::new(),
        "upgrade {}",
        described
    );

    migrator
        .downgrade("a", |_| {})
        .await
        .map_err(|e| TestCaseError::fail(format!("downgrade: {e}\n{described}")))?;
    prop_assert_eq!(
        sorted(introspect(&migrator).await?),
        sorted(at_a),
        "downgrade {}",
        described
    );
    migrator.downgrade("base", |_| {}).await?;
    prop_assert_eq!(introspect(&migrator).await?, none, "dropping a");
    Ok(())
}

proptest! {
    #![proptest_config(contextualize_config(ProptestConfig::with_cases(64)))]

    /// The upgrade and downgrade the diff writes for SQLite run there and
    /// leave the database as creating b, or a, leaves it.
    #[test]
    fn on_sqlite_an_upgrade_leaves_what_creating_its_target_does((a, b) in pair()) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(upgrade_and_downgrade_on_sqlite(&a, &b))?;
    }
}

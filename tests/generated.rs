use autogen_codegen::{render_revision, RevisionHeader};
use autogen_diff::{diff, Options};
use autogen_schema::{invert_all, Dialect, Schema};
use proptest::collection::vec;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use crate::schemas;
use crate::util::{assert_success, introspect, stdout, Scratch};

/// Eight schemas, each some random changes of the one before (enough that
/// the revisions call most of the op vocabulary); the same every run.
fn random_history() -> Vec<Schema> {
    let draw = (schemas::schema(), vec(vec(schemas::change(), 4..=8), 7));
    let (first, changes) = draw.new_tree(&mut TestRunner::deterministic()).unwrap().current();
    let mut history = vec![first];
    for change in &changes {
        history.push(schemas::apply(history.last().unwrap(), change));
    }
    history
}

/// One revision per schema of [`random_history`], from the one before
/// (none for the first), rendered as `revision --autogenerate` renders it,
/// then compiled and run by the real binary: upgraded to head, verified one
/// revision at a time, downgraded to base.
#[tokio::test(flavor = "multi_thread")]
async fn revisions_rendered_from_random_changes_compile_and_run() {
    let p = Scratch::with_entities(&[]);
    let history = random_history();
    let mut before = Schema::new();
    let mut parent: Option<String> = None;
    for (n, after) in history.iter().enumerate() {
        // Every other one is written for PostgreSQL: its in-place alters run
        // on SQLite as table rebuilds, and the file calls more of the op
        // vocabulary.
        let dialect = if n % 2 == 0 {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        };
        let upgrade = diff(&before, after, dialect, &Options::default());
        let downgrade = invert_all(&upgrade, &before).unwrap();
        let id = format!("{:012x}", n + 1);
        let header = RevisionHeader {
            id: id.clone(),
            down_revisions: parent.into_iter().collect(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            message: format!("random change {n} for {dialect}"),
            create_date: "2024-01-02 03:04:05".into(),
        };
        let source = render_revision(
            &header,
            &upgrade,
            &downgrade,
            &[],
            dialect,
            &autogen_codegen::RunMode::Plain,
        );
        p.write(&format!("migration/src/versions/{id}_random.rs"), &source);
        parent = Some(id);
        before = after.clone();
    }

    assert_success(&p.autogen(&["upgrade", "head"]));
    let upgraded = introspect(&p.database_url()).await;
    let left: Vec<String> = diff(&upgraded, &before, Dialect::Sqlite, &Options::default())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(left.is_empty(), "{left:#?}");
    let verified = p.autogen(&["verify"]);
    assert_success(&verified);
    assert!(
        stdout(&verified).starts_with("Verified 8 revision(s)"),
        "{}",
        stdout(&verified)
    );
    assert_success(&p.autogen(&["downgrade", "base"]));
    assert_eq!(introspect(&p.database_url()).await, Schema::new());
}

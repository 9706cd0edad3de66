//! What the README tells users to put in their pre-commit configuration and
//! their CI, run on `examples/blog` as written there.

use std::fs;

use autogen_testdb::Backend;

use crate::util::{assert_success, autogen_in, repo, stdout};

/// The `autogen …` argument lists of `lines`, in order.
fn autogen_commands(lines: impl Iterator<Item = String>) -> Vec<Vec<String>> {
    lines
        .filter_map(|line| line.strip_prefix("autogen ").map(str::to_owned))
        .map(|args| args.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// The pre-commit hook's entry needs no database and passes on the example.
#[test]
fn the_pre_commit_hook_passes_on_the_example() {
    let hooks = fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let entries = autogen_commands(
        hooks
            .lines()
            .filter_map(|l| l.trim().strip_prefix("entry: ").map(str::to_owned)),
    );
    assert_eq!(entries, [["check", "--offline"]]);
    let blog = repo().join("examples/blog");
    let args: Vec<&str> = entries[0].iter().map(String::as_str).collect();
    // A database URL nothing listens on: the hook must not need one.
    let out = autogen_in(
        &blog,
        &args,
        &[("DATABASE_URL", "postgres://nobody@127.0.0.1:9/none")],
    );
    assert_success(&out);
    assert_eq!(stdout(&out), "No new upgrade operations detected.\n");
}

/// The README's CI job, its `autogen` steps run in order against a fresh
/// PostgreSQL database, as the job's service provides one.
#[tokio::test(flavor = "multi_thread")]
async fn the_documented_ci_job_passes_on_the_example() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let job = readme
        .split("<!-- ci-job -->")
        .nth(1)
        .and_then(|after| after.split("```yaml").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("the README shows the CI job after <!-- ci-job -->");
    let steps = autogen_commands(
        job.lines()
            .filter_map(|l| l.trim().strip_prefix("- run: ").map(str::to_owned)),
    );
    assert_eq!(
        steps,
        [vec!["upgrade", "head"], vec!["check"], vec!["check", "--offline"]]
    );
    let Some(db) = Backend::Postgres.fresh().await else {
        return;
    };
    let blog = repo().join("examples/blog");
    for step in &steps {
        let args: Vec<&str> = step.iter().map(String::as_str).collect();
        assert_success(&autogen_in(&blog, &args, &[("DATABASE_URL", &db.url)]));
    }
}

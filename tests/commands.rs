use std::fs;

use crate::util::{assert_success, stderr, stdout, Scratch};

/// Runs `autogen args…`, requires success, returns stdout.
fn ok(p: &Scratch, args: &[&str]) -> String {
    let out = p.autogen(args);
    assert_success(&out);
    stdout(&out)
}

/// Runs `autogen args…`, requires exit code 1, returns stderr.
fn fails(p: &Scratch, args: &[&str]) -> String {
    let out = p.autogen(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should fail\n{}",
        stdout(&out)
    );
    stderr(&out)
}

/// Branches, labels, dependencies, merges, stamps and offline SQL, through the
/// real binary on SQLite, with the output Alembic users know.
#[test]
fn the_command_surface_over_a_branched_history() {
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    let versions = p.path("migration/src/versions");

    ok(
        &p,
        &[
            "revision",
            "--autogenerate",
            "-m",
            "create user",
            "--rev-id",
            "aaaa1",
        ],
    );
    ok(&p, &["revision", "-m", "add x", "--rev-id", "bbbb2"]);
    // A second root, labelled, and a revision on it in a subdirectory that depends on the first branch.
    ok(
        &p,
        &[
            "revision",
            "-m",
            "shop",
            "--head",
            "base",
            "--branch-label",
            "shop",
            "--rev-id",
            "ssss1",
        ],
    );
    let cart = ok(
        &p,
        &[
            "revision",
            "-m",
            "cart",
            "--head",
            "shop@head",
            "--depends-on",
            "aaaa1",
            "--version-path",
            "shop",
            "--rev-id",
            "ssss2",
        ],
    );
    assert_eq!(
        cart,
        format!(
            "Generating {} ... done\n",
            versions.join("shop/ssss2_cart.rs").display()
        )
    );

    let err = fails(&p, &["revision", "-m", "which head?"]);
    assert!(err.contains("there are multiple heads (bbbb2, ssss2)"), "{err}");
    assert!(err.contains("pass --head <revision>"), "{err}");
    let err = fails(
        &p,
        &["revision", "-m", "fork", "--head", "aaaa1", "--rev-id", "cccc3"],
    );
    assert!(
        err.contains("revision aaaa1 is not a head (it is followed by bbbb2); pass --splice"),
        "{err}"
    );
    ok(
        &p,
        &[
            "revision", "-m", "fork", "--head", "aaaa1", "--splice", "--rev-id", "cccc3",
        ],
    );

    assert_eq!(ok(&p, &["heads"]), "bbbb2 (head)\ncccc3 (head)\nssss2 (head)\n");
    assert_eq!(
        ok(&p, &["branches"]),
        "<base> -> aaaa1 (branchpoint), create user\n      -> bbbb2 (head), add x\n      -> cccc3 (head), fork\n"
    );

    let err = fails(&p, &["upgrade", "head"]);
    assert!(
        err.contains("use `heads` or a specific target, or `autogen merge` them"),
        "{err}"
    );
    let err = fails(&p, &["upgrade", "ssss"]);
    assert!(
        err.contains("revision prefix 'ssss' is ambiguous; it could be any of: ssss1, ssss2"),
        "{err}"
    );
    let err = fails(&p, &["upgrade", "nope"]);
    assert!(err.contains("no revision 'nope'"), "{err}");

    // Offline: a script for the configured dialect, and no database is touched.
    let script = ok(&p, &["upgrade", "heads", "--sql"]);
    assert!(script.starts_with("-- autogen upgrade heads, rendered for SQLite without connecting\n"));
    assert!(script.contains("CREATE TABLE \"user\""), "{script}");
    assert!(
        script.contains("-- Running upgrade <base> -> ssss1, shop"),
        "{script}"
    );
    assert_eq!(ok(&p, &["current"]), "", "--sql ran nothing");

    // The shop branch brings its dependency along.
    let up = p.autogen(&["upgrade", "shop@head"]);
    assert_success(&up);
    assert_eq!(
        stderr(&up),
        "Running upgrade <base> -> aaaa1, create user\nRunning upgrade <base> -> ssss1, shop\nRunning upgrade ssss1 -> ssss2, cart\n"
    );
    assert_eq!(ok(&p, &["current"]), "aaaa1 (branchpoint)\nssss2 (head)\n");
    assert_eq!(
        ok(&p, &["history", "-r", "ssss1:"]),
        "ssss1 -> ssss2 (head), cart\n<base> -> ssss1 (shop), shop\n"
    );
    let marked = ok(&p, &["history", "--indicate-current"]);
    assert!(
        marked.contains("ssss1 -> ssss2 (head) (current), cart\n"),
        "{marked}"
    );
    assert!(
        marked.contains("<base> -> aaaa1 (branchpoint) (current), create user\n"),
        "{marked}"
    );

    let show = ok(&p, &["show", "ssss2"]);
    assert!(
        show.starts_with(&format!(
            "Rev: ssss2 (head)\nParent: ssss1\nAlso depends on: aaaa1\nPath: {}\n\n    cart\n\n    Revision ID: ssss2\n    Revises: ssss1\n",
            versions.join("shop/ssss2_cart.rs").display()
        )),
        "{show}"
    );
    let verbose = ok(&p, &["current", "--verbose"]);
    assert!(
        verbose.starts_with("Current revision(s) for sqlite://"),
        "{verbose}"
    );
    assert!(verbose.contains("Rev: ssss2 (head)"), "{verbose}");

    // Merge the three heads; then `head` is one revision again.
    let merged = ok(&p, &["merge", "-m", "merge all", "heads", "--rev-id", "mmmm9"]);
    assert_eq!(
        merged,
        format!(
            "Generating {} ... done\n",
            versions.join("mmmm9_merge_all.rs").display()
        )
    );
    assert_eq!(ok(&p, &["heads"]), "mmmm9 (head) (mergepoint)\n");
    assert!(ok(&p, &["show", "mmmm9"]).contains("Merges: bbbb2, cccc3, ssss2\n"));
    assert!(ok(&p, &["heads", "--verbose"])
        .starts_with("Rev: mmmm9 (head) (mergepoint)\nMerges: bbbb2, cccc3, ssss2\n"));
    let verbose_history = ok(&p, &["history", "--verbose", "-r", "ssss1:ssss2"]);
    assert_eq!(verbose_history.matches("Rev: ").count(), 2, "{verbose_history}");
    assert!(
        verbose_history.starts_with("Rev: ssss2\nParent: ssss1\n"),
        "{verbose_history}"
    );
    let up = p.autogen(&["upgrade", "head"]);
    assert_success(&up);
    assert_eq!(
        stderr(&up),
        "Running upgrade aaaa1 -> bbbb2, add x\nRunning upgrade aaaa1 -> cccc3, fork\n\
         Running upgrade bbbb2, cccc3, ssss2 -> mmmm9, merge all\n"
    );
    assert_eq!(ok(&p, &["current"]), "mmmm9 (head) (mergepoint)\n");

    let err = fails(&p, &["downgrade", "-1"]);
    assert!(err.contains("crosses the merge point mmmm9"), "{err}");
    let down = p.autogen(&["downgrade", "ssss1"]);
    assert_success(&down);
    assert_eq!(
        stderr(&down),
        "Running downgrade mmmm9 -> bbbb2, cccc3, ssss2, merge all\nRunning downgrade ssss2 -> ssss1, cart\n"
    );
    assert_eq!(ok(&p, &["current"]), "bbbb2\ncccc3\nssss1 (shop)\n");

    let script = ok(&p, &["downgrade", "mmmm9:base", "--sql"]);
    assert!(script.contains("DROP TABLE \"user\""), "{script}");
    let err = fails(&p, &["downgrade", "base", "--sql"]);
    assert!(err.contains("needs a starting point offline"), "{err}");

    // Stamp: the version table moves, nothing runs.
    let stamp = p.autogen(&["stamp", "base"]);
    assert_success(&stamp);
    assert_eq!(stderr(&stamp), "Stamped base\n");
    assert_eq!(ok(&p, &["current"]), "");
    assert!(ok(&p, &["stamp", "heads", "--sql"]).ends_with("VALUES ('mmmm9');\n"));
    ok(&p, &["stamp", "--purge", "mmmm9"]);
    assert_eq!(ok(&p, &["current"]), "mmmm9 (head) (mergepoint)\n");

    // Edit opens the file in $EDITOR.
    let file = versions.join("bbbb2_add_x.rs");
    let edited = p.autogen_with_env(
        &["edit", "bbbb2"],
        &[("EDITOR", "printf '// reviewed\\n' >>"), ("VISUAL", "")],
    );
    assert_success(&edited);
    assert!(fs::read_to_string(&file).unwrap().ends_with("// reviewed\n"));
    let no_editor = p.autogen_with_env(&["edit", "bbbb2"], &[("EDITOR", ""), ("VISUAL", "")]);
    assert_eq!(no_editor.status.code(), Some(1));
    assert!(stderr(&no_editor).contains("set $EDITOR"));
}

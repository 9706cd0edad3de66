use std::fs;
use std::process::{Command, Output};

use crate::util::{assert_hidden, assert_success, stderr, stdout, Scratch, CREATE_USER};

/// Panics if either stream holds an escape sequence (colour or style).
fn assert_plain(output: &Output, what: &str) {
    for (stream, text) in [("stdout", stdout(output)), ("stderr", stderr(output))] {
        assert!(
            !text.contains('\x1b'),
            "{what}: escape codes on {stream}:\n{text:?}"
        );
    }
}

#[test]
fn output_through_a_pipe_is_never_coloured() {
    let p = Scratch::empty();
    // CLICOLOR_FORCE asks for colour anyway; a pipe still gets none.
    let environments: [&[(&str, &str)]; 3] = [&[], &[("NO_COLOR", "1")], &[("CLICOLOR_FORCE", "1")]];
    for vars in environments {
        let help = p.autogen_with_env(&["revision", "--help"], vars);
        assert_success(&help);
        assert!(stdout(&help).contains("Examples:"), "{}", stdout(&help));
        assert_plain(&help, &format!("revision --help with {vars:?}"));

        let usage = p.autogen_with_env(&["upgrade", "--no-such-flag"], vars);
        assert_eq!(usage.status.code(), Some(2));
        assert!(stderr(&usage).starts_with("error: "), "{}", stderr(&usage));
        assert_plain(&usage, &format!("a usage error with {vars:?}"));

        // Our own `error:` prefix: no autogen.toml here.
        let failed = p.autogen_with_env(&["current"], vars);
        assert_eq!(failed.status.code(), Some(2));
        assert!(
            stderr(&failed).starts_with("error: no autogen.toml in "),
            "{}",
            stderr(&failed)
        );
        assert_plain(&failed, &format!("an error with {vars:?}"));
    }
}

#[test]
fn completions_need_no_project_and_name_the_commands() {
    let p = Scratch::empty();
    for shell in ["bash", "zsh", "fish"] {
        let script = p.autogen(&["completions", shell]);
        assert_success(&script);
        let text = stdout(&script);
        for command in [
            "revision",
            "upgrade",
            "downgrade",
            "history",
            "check",
            "completions",
        ] {
            assert!(
                text.contains(command),
                "the {shell} script does not mention {command}:\n{text}"
            );
        }
        if shell == "bash" {
            let path = p.path("autogen.bash");
            fs::write(&path, &text).unwrap();
            let syntax = Command::new("bash").arg("-n").arg(&path).output().unwrap();
            assert_success(&syntax);
        }
    }
    let unknown = p.autogen(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn quiet_prints_only_answers_and_verbose_says_what_was_used() {
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);

    let written = p.autogen(&[&["-q"], CREATE_USER].concat());
    assert_success(&written);
    assert_eq!((stdout(&written).as_str(), stderr(&written).as_str()), ("", ""));
    assert_eq!(p.revision_files().len(), 1);

    let script = p.autogen(&["upgrade", "head", "--sql", "--quiet"]);
    assert_success(&script);
    assert!(stdout(&script).contains("CREATE TABLE"), "{}", stdout(&script));

    let up = p.autogen(&["upgrade", "head", "-q"]);
    assert_success(&up);
    assert_eq!((stdout(&up).as_str(), stderr(&up).as_str()), ("", ""));

    // What `current` and `history` exist to print, and nothing else.
    for command in [["current", "-q"], ["--quiet", "history"]] {
        let quiet = p.autogen(&command);
        assert_success(&quiet);
        assert!(stdout(&quiet).contains("aaaaaaaaaaaa"), "{}", stdout(&quiet));
        let plain: Vec<&str> = command.into_iter().filter(|w| !w.starts_with('-')).collect();
        assert_eq!(stdout(&quiet), stdout(&p.autogen(&plain)));
        assert_eq!(stderr(&quiet), "");
    }

    // Verbose: which file and database (password hidden), and how long it took.
    let url = "postgres://app:s3cret-pass@127.0.0.1:1/app";
    let verbose = p.autogen_with_env(&["heads", "--verbose"], &[("DATABASE_URL", url)]);
    assert_success(&verbose);
    assert!(
        stdout(&verbose).contains("Revision ID: aaaaaaaaaaaa"),
        "{}",
        stdout(&verbose)
    );
    let said = stderr(&verbose);
    let config = p.path("autogen.toml");
    assert!(
        said.contains(&format!("Using configuration {}\n", config.display())),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "Using database postgres://app:***@127.0.0.1:1/app (from database_url in {}, with DATABASE_URL \
             from the environment)\n",
            config.display()
        )),
        "{said}"
    );
    assert!(said.lines().last().unwrap().starts_with("Finished in "), "{said}");
    assert_hidden(&verbose, "s3cret-pass");

    for both in [["current", "-q", "-v"], ["-q", "current", "-v"]] {
        let refused = p.autogen(&both);
        assert_eq!(refused.status.code(), Some(2));
        assert!(stderr(&refused).contains("--verbose"), "{}", stderr(&refused));
    }
}

/// The file `rustfmt --check` finds nothing to change in.
fn rustfmt_clean(path: &std::path::Path) -> bool {
    Command::new("rustfmt")
        .args(["--check", "--edition", "2021"])
        .arg(path)
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn post_write_hooks_format_new_revisions_and_a_failing_one_only_warns() {
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);

    // The default hook: rustfmt.
    let formatted = p.autogen(CREATE_USER);
    assert_success(&formatted);
    let first = p.path("migration/src/versions/aaaaaaaaaaaa_create_user.rs");
    assert!(rustfmt_clean(&first), "{}", fs::read_to_string(&first).unwrap());

    // No hooks: the file is as rendered, which rustfmt would still change.
    p.edit("autogen.toml", |s| format!("{s}post_write_hooks = []\n"));
    let unformatted = p.autogen(&["revision", "-m", "by hand", "--rev-id", "bbbbbbbbbbbb"]);
    assert_success(&unformatted);
    let second = p.path("migration/src/versions/bbbbbbbbbbbb_by_hand.rs");
    assert!(
        !rustfmt_clean(&second),
        "{}",
        fs::read_to_string(&second).unwrap()
    );

    // A hook that is missing and one that fails: warnings naming each and the file, which is kept.
    p.edit("autogen.toml", |s| {
        s.replace(
            "post_write_hooks = []",
            "post_write_hooks = [\"no-such-formatter {path}\", \"sh -c 'echo refused >&2; exit 3'\"]",
        )
    });
    let warned = p.autogen(&["revision", "-m", "hooks fail", "--rev-id", "cccccccccccc"]);
    assert_success(&warned);
    assert_plain(&warned, "hook warnings");
    let third = p.path("migration/src/versions/cccccccccccc_hooks_fail.rs");
    assert!(third.is_file());
    let said = stderr(&warned);
    assert!(
        said.contains(&format!(
            "warning: post-write hook `no-such-formatter {{path}}` failed on {}: cannot run `no-such-formatter`",
            third.display()
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "warning: post-write hook `sh -c 'echo refused >&2; exit 3'` failed on {}: it exited with exit \
             status: 3: refused; the revision is written as rendered",
            third.display()
        )),
        "{said}"
    );
    // The revisions written without formatting still build and run.
    assert_success(&p.autogen(&["upgrade", "head"]));
}

const TEMPLATE: &str = r#"//! {{message}} ({{revision}}, after {{down_revision}})
//!
//! Reviewed by: (fill in)

use autogen::prelude::*;

{{revision_constant}}

pub fn upgrade(op: &mut Operations) {
    {{upgrades}}
}

pub fn downgrade(op: &mut Operations) {
    {{downgrades}}
}
"#;

#[test]
fn a_project_template_shapes_revisions_and_a_broken_one_writes_none() {
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    p.write("templates/revision.rs", TEMPLATE);
    p.edit("autogen.toml", |s| {
        format!("{s}revision_template = \"templates/revision.rs\"\n")
    });

    let written = p.autogen(CREATE_USER);
    assert_success(&written);
    let source = fs::read_to_string(p.path("migration/src/versions/aaaaaaaaaaaa_create_user.rs")).unwrap();
    assert!(
        source.starts_with("//! create user (aaaaaaaaaaaa, after <base>)\n//!\n//! Reviewed by: (fill in)\n"),
        "{source}"
    );
    assert!(source.contains("op.create_table("), "{source}");
    // It is a revision like any other.
    assert_success(&p.autogen(&["upgrade", "head"]));
    assert_success(&p.autogen(&["downgrade", "base"]));

    // An unknown placeholder: an error naming the file and the placeholder, and no file.
    p.write(
        "templates/revision.rs",
        &TEMPLATE.replace("(fill in)", "{{author}}"),
    );
    let unknown = p.autogen(&["revision", "-m", "second"]);
    assert_eq!(unknown.status.code(), Some(1), "{}", stderr(&unknown));
    let said = stderr(&unknown);
    assert!(
        said.starts_with(&format!(
            "error: the revision template {} cannot be used; no revision was written: line 3: unknown \
             placeholder {{{{author}}}}; the placeholders are {{{{message}}}}",
            p.path("templates/revision.rs").display()
        )),
        "{said}"
    );
    assert_eq!(p.revision_files().len(), 1);

    // A template that is not there.
    p.edit("autogen.toml", |s| {
        s.replace("templates/revision.rs", "templates/missing.rs")
    });
    let missing = p.autogen(&["revision", "-m", "third"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).starts_with(&format!(
            "error: cannot read the revision template {} (revision_template in {}); create it",
            p.path("templates/missing.rs").display(),
            p.path("autogen.toml").display()
        )),
        "{}",
        stderr(&missing)
    );
    assert_eq!(p.revision_files().len(), 1);
}

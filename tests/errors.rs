use std::time::{Duration, Instant};

use crate::util::{assert_cannot_start, assert_hidden, assert_success, closed_port, stderr, Scratch, Silent};

#[test]
fn commands_outside_a_project_say_how_to_start_one() {
    let p = Scratch::empty();
    let out = p.autogen(&["upgrade", "head"]);
    // A configuration the command cannot use is exit 2, as a database it cannot reach.
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.starts_with("error: no autogen.toml in "), "{message}");
    assert!(
        message.trim_end().ends_with("run `autogen init` to create one"),
        "{message}"
    );
}

#[test]
fn init_never_overwrites() {
    let p = Scratch::empty();
    assert_success(&p.autogen(&["init", "migration"]));
    let config = std::fs::read_to_string(p.path("autogen.toml")).unwrap();
    let again = p.autogen(&["init", "other"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("autogen.toml already exists"));
    assert_eq!(std::fs::read_to_string(p.path("autogen.toml")).unwrap(), config);
    assert!(!p.path("other").exists());
}

#[test]
fn usage_errors_exit_with_2() {
    let p = Scratch::empty();
    let out = p.autogen(&["upgrade"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("<REVISION>"));
}

/// Runs `args` and requires it to end within a bound well past the connect
/// timeout, which an unbounded wait (sqlx's 30 s) would exceed.
fn within_bound(run: impl FnOnce() -> std::process::Output) -> std::process::Output {
    let started = Instant::now();
    let out = run();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "took {took:?}");
    out
}

/// A server that refuses connections, or takes them and never answers,
/// costs the connect timeout (5 s, `connect_timeout`, `--connect-timeout`)
/// and no more, on the launcher's own connection (`inspect --url`) and on the
/// migration crate's; exit 2, one message naming what was tried without
/// the password.
#[test]
fn an_unreachable_server_costs_the_connect_timeout_and_no_more() {
    let silent = Silent::new();
    let refused = format!("postgres://me:s3cret@127.0.0.1:{}/app", closed_port());
    let hung = format!("mysql://me:s3cret@127.0.0.1:{}/app", silent.port());
    let shown = |url: &str| {
        format!(
            "cannot connect to {}: no connection within ",
            url.replace("s3cret", "***")
        )
    };
    let nowhere = Scratch::empty();

    let out = within_bound(|| nowhere.autogen(&["inspect", "--url", &refused]));
    let message = assert_cannot_start(&out, &[&shown(&refused), " within 5 s "]);
    assert_hidden(&out, "s3cret");
    assert!(message.contains("--connect-timeout"), "{message}");
    let out = within_bound(|| nowhere.autogen(&["inspect", "--url", &hung, "--connect-timeout", "1"]));
    assert_cannot_start(&out, &[&shown(&hung), " within 1 s "]);
    assert_hidden(&out, "s3cret");

    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    p.edit("autogen.toml", |s| {
        s.replace("# connect_timeout = 5", "connect_timeout = 1")
    });
    // Built first, so that what is timed below is the connection.
    assert_success(&p.autogen(&["heads"]));
    let hung_project = [("DATABASE_URL", hung.as_str())];
    let out = within_bound(|| p.autogen_with_env(&["current"], &hung_project));
    assert_cannot_start(&out, &[&shown(&hung), " within 1 s "]);
    assert_hidden(&out, "s3cret");
    let out = within_bound(|| p.autogen_with_env(&["check", "--connect-timeout", "2"], &hung_project));
    assert_cannot_start(&out, &[&shown(&hung), " within 2 s "]);
    assert_hidden(&out, "s3cret");
}

/// `current`, `history`, `check` and `inspect` only read: with no database
/// file they create none, and say which file they looked for and where its
/// URL came from. `upgrade` writes, and creates it as SQLite does.
#[test]
fn read_only_commands_never_create_a_sqlite_database() {
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    let config = p.path("autogen.toml");
    let fallback = format!(
        "no SQLite database at {}; the URL comes from database_url in {}, falling back as DATABASE_URL is not set; ",
        p.path("app.db").display(),
        config.display()
    );
    for command in [
        &["current"][..],
        &["history", "--indicate-current"],
        &["check"],
        &["inspect"],
    ] {
        let out = p.autogen(command);
        assert_cannot_start(&out, &[&fallback, "`autogen upgrade head`"]);
        assert!(!p.path("app.db").exists(), "{command:?} created the database");
    }

    let other = p.path("data/other.db");
    let url = format!("sqlite://{}", other.display());
    let out = p.autogen_with_env(&["current"], &[("DATABASE_URL", &url)]);
    let from_environment = format!(
        "no SQLite database at {}; the URL comes from database_url in {}, with DATABASE_URL from the environment; ",
        other.display(),
        config.display()
    );
    assert_cannot_start(&out, &[&from_environment]);
    assert!(!other.exists());

    assert_success(&p.autogen(&["upgrade", "head"]));
    assert!(p.path("app.db").exists());
    assert_success(&p.autogen(&["current"]));
}

/// The launcher's own failures answer as the command would: exit 2 ("cannot
/// tell" for `check`) and, for `check --format json`, a JSON document.
#[test]
fn the_launchers_own_failures_exit_2_and_check_answers_in_json() {
    let p = Scratch::empty();
    let json = p.autogen(&["check", "--format", "json"]);
    assert_eq!(json.status.code(), Some(2));
    let answer: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(answer["status"], "unknown");
    assert!(
        answer["error"].as_str().unwrap().contains("no autogen.toml in "),
        "{answer}"
    );

    // A migration crate that does not compile.
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    p.edit("migration/src/main.rs", |s| {
        format!("{s}\nfn broken() -> u8 {{ \"not a number\" }}\n")
    });
    let upgrade = p.autogen(&["upgrade", "head"]);
    assert_eq!(upgrade.status.code(), Some(2), "not cargo's 101");
    let said = stderr(&upgrade);
    assert!(said.contains("error: the migration crate "), "{said}");
    assert!(said.contains("does not build (cargo says why above)"), "{said}");
    let json = p.autogen(&["check", "--format", "json"]);
    assert_eq!(json.status.code(), Some(2));
    let answer: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(answer["status"], "unknown", "{answer}");
    assert_eq!(answer["source"], "database");
    assert!(
        answer["error"].as_str().unwrap().contains("does not build"),
        "{answer}"
    );
}

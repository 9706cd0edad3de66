//! An outside judge of lock safety: squawk, the PostgreSQL migration
//! linter, reads the `upgrade --sql` script of revisions autogenerate wrote
//! for one of each everyday change to a live table. Written plain, every
//! finding squawk makes is one a code of ours already names at that op; run
//! lock-safe, squawk finds no lock risk at all.

use std::path::PathBuf;
use std::process::Command;

use autogen_testdb::Backend;
use serde_json::Value;

use crate::util::{assert_success, repo, stdout, Scratch};

/// Each squawk rule about a lock or a table rewrite, with the codes of ours
/// that say the same.
const LOCK_RULES: &[(&str, &[&str])] = &[
    ("require-concurrent-index-creation", &["AG201"]),
    ("require-concurrent-index-deletion", &["AG202"]),
    ("disallowed-unique-constraint", &["AG203"]),
    ("adding-serial-primary-key-field", &["AG203"]),
    (
        "constraint-missing-not-valid",
        &["AG203", "AG204", "AG205", "AG206"],
    ),
    ("adding-foreign-key-constraint", &["AG204"]),
    ("adding-not-nullable-field", &["AG206"]),
    ("changing-column-type", &["AG207", "AG208"]),
    ("adding-field-with-default", &["AG209"]),
    // A statement waiting for its lock queues the table's queries behind it:
    // said once per revision, since one timeout covers all its statements.
    ("require-lock-timeout", &["AG210"]),
    ("require-statement-timeout", &["AG210"]),
    // A concurrent build in a transaction fails outright: never written.
    ("ban-concurrent-index-creation-in-transaction", &[]),
];

/// Squawk rules about losing data, with the destructive codes that say the same.
const DATA_RULES: &[(&str, &[&str])] = &[
    ("ban-drop-table", &["AG101"]),
    ("ban-drop-column", &["AG102"]),
    ("adding-required-field", &["AG107"]),
];

/// Squawk rules about neither, which this test leaves alone, each with why.
const OTHER_RULES: &[(&str, &str)] = &[
    (
        "prefer-bigint-over-int",
        "the entity's choice of type, not how the change runs",
    ),
    ("prefer-bigint-over-smallint", "the entity's choice of type"),
    ("prefer-identity", "the entity's choice of type"),
    ("prefer-text-field", "the entity's choice of type"),
    ("prefer-timestamp-tz", "the entity's choice of type"),
    ("ban-char-field", "the entity's choice of type"),
    (
        "prefer-robust-stmts",
        "re-running a script by hand: autogen records each revision it ran, and journals lock-safe steps",
    ),
    (
        "renaming-column",
        "old application code during a rolling deploy, not a lock",
    ),
    (
        "renaming-table",
        "old application code during a rolling deploy, not a lock",
    ),
    (
        "ban-drop-not-null",
        "old application code during a rolling deploy, not a lock",
    ),
];

/// squawk, pinned (`.ci/run` installs squawk-cli 2.70.0 into
/// `target/squawk`): `AUTOGEN_SQUAWK`, that install, or one on PATH.
fn squawk() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("AUTOGEN_SQUAWK").map(PathBuf::from),
        Some(repo().join("target/squawk/bin/squawk")),
        Some(PathBuf::from("squawk")),
    ];
    let found = candidates.into_iter().flatten().find(|path| {
        Command::new(path)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    });
    if found.is_none() {
        assert!(
            std::env::var("AUTOGEN_REQUIRE_SQUAWK").as_deref() != Ok("1"),
            "AUTOGEN_REQUIRE_SQUAWK=1 but squawk is not installed; .ci/run installs it"
        );
        eprintln!("skipped: squawk is not installed (pip install squawk-cli==2.70.0, or AUTOGEN_SQUAWK)");
    }
    found
}

struct Finding {
    /// 0-based.
    line: usize,
    rule: String,
}

/// squawk's findings on `script`, for PostgreSQL 15 (the servers' version).
fn lint(squawk: &PathBuf, p: &Scratch, script: &str) -> Vec<Finding> {
    p.write("upgrade.sql", script);
    let out = Command::new(squawk)
        .args(["--reporter", "json", "--pg-version", "15"])
        .arg(p.path("upgrade.sql"))
        .output()
        .unwrap();
    let findings: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "squawk printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Finding {
            line: f["line"].as_u64().unwrap() as usize,
            rule: f["rule_name"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// The codes the script's `-- op N: AGxxx …` comments give the op whose
/// statements `line` is among (none before the first op).
fn codes_at(script: &str, line: usize) -> Vec<String> {
    let lines: Vec<&str> = script.lines().collect();
    let Some(op_line) = (0..=line.min(lines.len() - 1))
        .rev()
        .find(|at| lines[*at].starts_with("-- op "))
    else {
        return Vec::new();
    };
    let op = op_of(lines[op_line]);
    // The op's comment lines run up to it; its first is where they start.
    let first = (0..=op_line)
        .rev()
        .take_while(|at| lines[*at].starts_with("-- op ") && op_of(lines[*at]) == op)
        .last()
        .unwrap_or(op_line);
    lines[first..=op_line].iter().filter_map(|l| code_in(l)).collect()
}

fn op_of(comment: &str) -> &str {
    let rest = comment.trim_start_matches("-- op ");
    rest.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap_or_default()
}

fn code_in(comment: &str) -> Option<String> {
    let (_, after) = comment.split_once(": ")?;
    let code = after.split(' ').next()?;
    code.starts_with("AG").then(|| code.to_owned())
}

/// A PostgreSQL project at `account_v1.rs`, applied as revision aaaaaaaaaaaa.
fn project_at_v1(db_url: &str) -> Scratch {
    let p = Scratch::reading_entities(&[("user", "user_v1.rs"), ("account", "account_v1.rs")]);
    let run = |args: &[&str]| p.autogen_with_env(args, &[("DATABASE_URL", db_url)]);
    assert_success(&run(&[
        "revision",
        "--autogenerate",
        "-m",
        "init",
        "--rev-id",
        "aaaaaaaaaaaa",
    ]));
    assert_success(&run(&["upgrade", "head"]));
    p
}

/// The entities at `changed`, and a CHECK on `account` declared beside
/// them (entities cannot say one).
fn change_to(p: &Scratch, changed: &str) {
    p.set_entities(&[("user", "user_v1.rs"), ("account", changed)]);
    let config = std::fs::read_to_string(p.path("autogen.toml")).unwrap();
    let check = "\n[[declare.check]]\ntable = \"account\"\nname = \"account_visits_check\"\nexpression = \"(visits >= 0)\"\n";
    if !config.contains(check) {
        p.write("autogen.toml", &format!("{config}{check}"));
    }
}

/// The `upgrade --sql` script of revision bbbbbbbbbbbb, autogenerated with
/// `flags` for the entities `changed`.
fn script_for(p: &Scratch, db_url: &str, changed: &str, flags: &[&str]) -> String {
    let run = |args: &[&str]| p.autogen_with_env(args, &[("DATABASE_URL", db_url)]);
    change_to(p, changed);
    let mut args = vec![
        "revision",
        "--autogenerate",
        "-m",
        "changes",
        "--rev-id",
        "bbbbbbbbbbbb",
    ];
    args.extend(flags);
    assert_success(&run(&args));
    let script = run(&["upgrade", "aaaaaaaaaaaa:head", "--sql"]);
    assert_success(&script);
    stdout(&script)
}

/// Revision bbbbbbbbbbbb's file.
fn second_revision(p: &Scratch) -> String {
    let file = p
        .revision_files()
        .into_iter()
        .find(|f| f.to_string_lossy().contains("bbbbbbbbbbbb"))
        .unwrap();
    std::fs::read_to_string(file).unwrap()
}

#[test]
fn squawk_finds_nothing_our_codes_do_not_name_in_a_plain_revision() {
    let (Some(squawk), Some(db)) = (squawk(), tokio_fresh(Backend::Postgres)) else {
        return;
    };
    let p = project_at_v1(&db.url);
    let script = script_for(
        &p,
        &db.url,
        "account_v2.rs",
        &["--allow-destructive", "--fill", "account.nick='anon'"],
    );
    let file = second_revision(&p);
    assert!(
        file.contains(
            "    // WARNING: AG201 builds index 'idx-account-score' on 'account' while writes to it wait\n"
        ) && !file.contains("op.lock_safe()"),
        "{file}"
    );
    let findings = lint(&squawk, &p, &script);
    let revision_codes: Vec<String> = script.lines().filter_map(code_in).collect();
    let mut seen = Vec::new();
    for finding in &findings {
        let rule = finding.rule.as_str();
        let statement = script.lines().nth(finding.line).unwrap_or_default();
        if OTHER_RULES.iter().any(|(name, _)| *name == rule) {
            continue;
        }
        let Some((_, codes)) = LOCK_RULES
            .iter()
            .chain(DATA_RULES)
            .find(|(name, _)| *name == rule)
        else {
            panic!("squawk rule {rule} is new to this test (at `{statement}`): say which code names it, or why none should\n{script}");
        };
        let here = if codes.contains(&"AG210") {
            revision_codes.clone()
        } else {
            codes_at(&script, finding.line)
        };
        assert!(
            codes.iter().any(|code| here.iter().any(|h| h == code)),
            "squawk's {rule} at `{statement}` (line {}) has no code of ours there (found {here:?}); the script:\n{script}",
            finding.line + 1
        );
        seen.push(rule);
    }
    // The revision makes each kind of change, and squawk saw them.
    for rule in [
        "require-concurrent-index-creation",
        "require-concurrent-index-deletion",
        "disallowed-unique-constraint",
        "constraint-missing-not-valid",
        "adding-foreign-key-constraint",
        "adding-not-nullable-field",
        "changing-column-type",
        "require-lock-timeout",
        "require-statement-timeout",
    ] {
        assert!(
            seen.contains(&rule),
            "squawk did not report {rule}; the script:\n{script}"
        );
    }
}

#[test]
fn squawk_finds_no_lock_risk_in_a_lock_safe_revision() {
    let (Some(squawk), Some(db)) = (squawk(), tokio_fresh(Backend::Postgres)) else {
        return;
    };
    let p = project_at_v1(&db.url);
    let run = |args: &[&str]| p.autogen_with_env(args, &[("DATABASE_URL", &db.url)]);

    // `check` names each change's lock risk, less those allowed.
    change_to(&p, "account_v2.rs");
    let codes = |args: &[&str]| {
        let report: Value = serde_json::from_str(&stdout(&run(args))).unwrap();
        let mut codes: Vec<String> = report["locking"]
            .as_array()
            .unwrap()
            .iter()
            .map(|risk| risk["code"].as_str().unwrap().to_owned())
            .collect();
        codes.sort();
        codes.dedup();
        codes
    };
    let all = [
        "AG201", "AG202", "AG203", "AG204", "AG205", "AG206", "AG207", "AG208", "AG210",
    ];
    assert_eq!(codes(&["check", "--format", "json"]), all);
    assert_eq!(
        codes(&["check", "--format", "json", "--allow", "AG201", "--allow", "AG210"]),
        all[1..8]
    );

    // Lock-safe, the type changes have no safe form: refused, by code.
    let refused = run(&[
        "revision",
        "--autogenerate",
        "-m",
        "changes",
        "--lock-safe",
        "--fill",
        "account.nick='anon'",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let said = crate::util::stderr(&refused);
    assert!(
        said.contains("autogenerate found changes that hold their table even lock-safe:")
            && said.contains("pass --allow AG207 --allow AG208 --allow AG211")
            && said.ends_with("no file was written\n"),
        "{said}"
    );
    assert_eq!(p.revision_files().len(), 1);

    let script = script_for(
        &p,
        &db.url,
        "account_v2_safe.rs",
        &["--lock-safe", "--fill", "account.nick='anon'", "--allow", "AG211"],
    );
    assert!(script.contains("CREATE INDEX CONCURRENTLY"), "{script}");
    // The file says what the script does: as many steps, the same ones alone.
    let header = script.lines().find(|l| l.starts_with("-- Lock-safe: ")).unwrap();
    let (steps, rest) = header["-- Lock-safe: ".len()..]
        .split_once(" steps; steps ")
        .unwrap();
    let alone = rest.split(" run outside").next().unwrap();
    let file = second_revision(&p);
    assert!(
        file.contains(&format!(
            "    // Lock-safe: on PostgreSQL this runs in {steps} step(s), each committed on its own; \
             steps {alone} run outside any transaction.\n"
        )) && file.matches("    op.lock_safe();\n").count() == 2
            && !file.contains("WARNING"),
        "{file}\n{script}"
    );
    let risky: Vec<String> = lint(&squawk, &p, &script)
        .iter()
        .filter(|f| LOCK_RULES.iter().any(|(name, _)| *name == f.rule))
        .map(|f| {
            format!(
                "{} at line {}: {}",
                f.rule,
                f.line + 1,
                script.lines().nth(f.line).unwrap_or_default()
            )
        })
        .collect();
    assert!(risky.is_empty(), "{}\nthe script:\n{script}", risky.join("\n"));
}

/// A fresh database from a synchronous test.
fn tokio_fresh(backend: Backend) -> Option<autogen_testdb::TestDb> {
    tokio::runtime::Runtime::new().unwrap().block_on(backend.fresh())
}

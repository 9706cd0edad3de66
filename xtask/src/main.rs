//! `cargo xtask …`: the project's own chores.
//!
//! - `cargo xtask test`: every test of the workspace, with throwaway
//!   PostgreSQL and MariaDB servers started for it (what `.ci/run` runs),
//!   and the blog example run on each of them.
//! - `cargo xtask db up|down|url`: those servers, by hand; `up` prints an
//!   empty database's URL on each.
//! - `cargo xtask bench <name>`, each writing its section of BENCHMARKS.md
//!   and BENCHMARKS.json: `introspect` (PostgreSQL introspection beside
//!   SQLAlchemy's reflect and sea-schema's discovery), `autogenerate`
//!   (`check` on a database beside Alembic and migra, with and without
//!   drift), `offline` (`check --offline` on a 500-revision history beside
//!   Django's `makemigrations --check`), `rebuild` (the wait between an
//!   entity edit and the check's answer), `launcher` (what the launcher
//!   adds to a check once the migration crate is built, beside Alembic),
//!   `online` (writer stalls while a revision changes a big table, in
//!   default and lock-safe mode, on PostgreSQL and MariaDB).
//! - `cargo xtask demo [--url <URL>]`: the quick start: the blog example on a
//!   fresh SQLite database (or the database at URL), through the real
//!   `autogen` binary.

mod bench;
mod bench_autogenerate;
mod bench_launcher;
mod bench_offline;
mod bench_online;
mod bench_rebuild;
mod db;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

const USAGE: &str =
    "usage: cargo xtask <test [cargo test args…] | db <up|down|url> | demo [--url <URL>] | bench <introspect|offline|launcher|autogenerate|rebuild [--tables N,…]|online [--rows N,…] [--backend postgres|mysql] [--rate N] [--report-only]>>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["test", ..] => test(&root, &args[1..]),
        ["db", "up"] => db::up(&root).map(|servers| print!("{}", db::describe(&servers))),
        ["db", "down"] => db::down(&root),
        ["db", "url"] => db::urls(&root).map(|urls| print!("{urls}")),
        ["demo"] => demo(&root, None),
        ["demo", "--url", url] => demo(&root, Some(url)),
        ["bench", "introspect"] => bench::introspect(&root),
        ["bench", "offline"] => bench_offline::offline(&root),
        ["bench", "launcher"] => bench_launcher::launcher(&root),
        ["bench", "autogenerate", rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            bench_autogenerate::autogenerate(&root, &rest)
        }
        ["bench", "rebuild", rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            bench_rebuild::rebuild(&root, &rest)
        }
        ["bench", "online", rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            bench_online::online(&root, &rest)
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workspace")
        .to_owned()
}

pub(crate) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

pub(crate) fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

/// Every test in the workspace, examples included, with database servers
/// running. Servers named by the environment are used as they are; otherwise
/// they are started here and stopped afterwards. With AUTOGEN_REQUIRE_DBS=1 a
/// server that cannot be had is a failure, not a skip.
fn test(root: &Path, extra: &[String]) -> Result<()> {
    // The adoption test builds `fixtures/adopt` with the versions its own
    // Cargo.lock pins (an older sea-orm) and offline, as every scratch
    // project does: its sources are fetched here, once, while online. So are
    // those of the SeaORM 1.1 workspaces (`fixtures/seaorm1`,
    // `fixtures/seaorm1-app`), which no lock of the repository's can hold.
    for (manifest, users) in [
        ("fixtures/adopt/Cargo.toml", "the adoption tests (tests/adopt.rs)"),
        ("fixtures/seaorm1/Cargo.toml", "the SeaORM 1.1 fixtures"),
        (
            "fixtures/seaorm1-app/Cargo.toml",
            "the SeaORM 1.1 application fixture",
        ),
    ] {
        if let Err(e) = run(cargo()
            .current_dir(root)
            .args(["fetch", "--manifest-path", manifest]))
        {
            eprintln!("xtask: warning: {e:#}\nxtask: {users} will fail to build offline");
        }
    }
    let given = std::env::var_os(db::POSTGRES_ENV).is_some() && std::env::var_os(db::MYSQL_ENV).is_some();
    let required = std::env::var("AUTOGEN_REQUIRE_DBS").is_ok_and(|v| v == "1");
    let mut command = cargo();
    command
        .current_dir(root)
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(extra);
    let started = if given {
        None
    } else {
        match db::up(root) {
            Ok(servers) => {
                command.envs(servers.iter().map(|s| (s.env, &s.test_url)));
                Some(servers)
            }
            Err(e) if required => {
                return Err(e.context("AUTOGEN_REQUIRE_DBS=1 and a database server cannot start"))
            }
            Err(e) => {
                eprintln!("xtask: warning: {e:#}\nxtask: the PostgreSQL and MariaDB tests will be skipped");
                None
            }
        }
    };
    let example = match &started {
        Some(servers) => example_on(root, servers),
        None => Ok(()),
    };
    let result = run_tests(&mut command);
    if started.is_some() {
        db::down(root)?;
    }
    result.and(example)
}

/// What the README has a reader do with the servers `db up` started: the
/// blog example on each printed URL, then `downgrade base`. On the way, a
/// failing revision must show the database's error once.
fn example_on(root: &Path, servers: &[db::Server]) -> Result<()> {
    for server in servers {
        let (label, url) = (server.label, Some(server.url.as_str()));
        demo(root, url).with_context(|| format!("the blog example on {label}"))?;
        // The tables are there but the version table says base: upgrading
        // again fails on the database's "already exists".
        println!("\n$ autogen stamp base");
        run(autogen(root, url).args(["stamp", "base"]))?;
        println!("\n$ autogen upgrade head  # fails: the tables are there");
        let failed = autogen(root, url).args(["upgrade", "head"]).output()?;
        let stderr = String::from_utf8_lossy(&failed.stderr);
        eprint!("{stderr}");
        if failed.status.success() || stderr.matches("already exists").count() != 1 {
            bail!("on {label}, upgrading over existing tables should fail with the database's error, once");
        }
        for args in [&["stamp", "head"][..], &["downgrade", "base"]] {
            println!("\n$ autogen {}", args.join(" "));
            run(autogen(root, url).args(args))?;
        }
        let current = autogen(root, url).arg("current").output()?;
        if !current.status.success() || !current.stdout.is_empty() {
            bail!("on {label}, the blog example did not go back to base");
        }
    }
    Ok(())
}

/// Runs `cargo test`, echoing its output, and closes with one line adding up
/// every test binary's result, so a reader (or CI) sees the whole count.
fn run_tests(command: &mut Command) -> Result<()> {
    use std::io::{BufRead, BufReader};
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {command:?}"))?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    for line in BufReader::new(child.stdout.take().expect("stdout is piped")).lines() {
        let line = line?;
        println!("{line}");
        if let Some(counts) = line.strip_prefix("test result: ") {
            for part in counts.split(['.', ';']) {
                let mut words = part.split_whitespace();
                let (Some(n), Some(what)) = (words.next(), words.next()) else {
                    continue;
                };
                let Ok(n) = n.parse::<u64>() else { continue };
                match what {
                    "passed" => passed += n,
                    "failed" => failed += n,
                    "ignored" => ignored += n,
                    _ => {}
                }
            }
        }
    }
    let status = child.wait()?;
    println!("summary: {passed} passed, {failed} failed, {ignored} skipped");
    if !status.success() {
        bail!("cargo test failed: {status}");
    }
    Ok(())
}

/// The blog example from an empty database (a fresh SQLite file, or the
/// database at `url`): upgrade, inspect, autogenerate (nothing to detect),
/// downgrade one step and upgrade again.
fn demo(root: &Path, url: Option<&str>) -> Result<()> {
    match url {
        Some(url) => println!("The blog example on {url}"),
        None => {
            let database = root.join("examples/blog/blog.db");
            if database.exists() {
                std::fs::remove_file(&database)
                    .with_context(|| format!("cannot remove {}", database.display()))?;
            }
        }
    }
    run(cargo()
        .current_dir(root)
        .args(["build", "--quiet", "-p", "autogen", "-p", "blog-migration"]))?;
    let steps: [&[&str]; 7] = [
        &["upgrade", "head"],
        &["current"],
        &["history"],
        &["revision", "--autogenerate", "-m", "anything new?"],
        &["downgrade", "-1"],
        &["current"],
        &["upgrade", "head"],
    ];
    for args in steps {
        println!("\n$ autogen {}", args.join(" "));
        run(autogen(root, url).args(args))?;
    }
    Ok(())
}

/// The `autogen` binary in the blog example, on the database at `url` (which
/// its autogen.toml reads from DATABASE_URL) or else its SQLite file.
fn autogen(root: &Path, url: Option<&str>) -> Command {
    let binary = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("debug/autogen");
    let mut command = Command::new(binary);
    command.current_dir(root.join("examples/blog"));
    match url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    command
}

//! `cargo xtask …`: the project's own chores.
//!
//! - `cargo xtask test`: every test of the workspace (what `.ci/run` runs).
//! - `cargo xtask demo`: the quick start: the blog example on a fresh SQLite
//!   database, through the real `autogen` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("demo") => demo(),
        _ => {
            eprintln!("usage: cargo xtask <test [cargo test args…] | demo>");
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

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn run(mut command: Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

/// Every test in the workspace, examples included.
fn test(extra: &[String]) -> Result<()> {
    let mut command = cargo();
    command
        .current_dir(root())
        .args(["test", "--workspace"])
        .args(extra);
    run(command)
}

/// The blog example from an empty database: upgrade, inspect, autogenerate
/// (nothing to detect), downgrade one step and upgrade again.
fn demo() -> Result<()> {
    let blog = root().join("examples/blog");
    let database = blog.join("blog.db");
    if database.exists() {
        std::fs::remove_file(&database).with_context(|| format!("cannot remove {}", database.display()))?;
    }
    let mut build = cargo();
    build
        .current_dir(root())
        .args(["build", "--quiet", "-p", "autogen", "-p", "blog-migration"]);
    run(build)?;
    let steps: [&[&str]; 7] = [
        &["upgrade", "head"],
        &["current"],
        &["history"],
        &["revision", "--autogenerate", "-m", "anything new?"],
        &["downgrade", "-1"],
        &["current"],
        &["upgrade", "head"],
    ];
    let autogen = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("debug/autogen");
    for args in steps {
        println!("\n$ autogen {}", args.join(" "));
        let mut command = Command::new(&autogen);
        command.current_dir(&blog).args(args);
        run(command)?;
    }
    Ok(())
}

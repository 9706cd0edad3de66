//! The `autogen` binary: `init`, `completions` and `inspect --url` need no
//! project and run here; every other command runs in the migration crate,
//! which the launcher finds through the nearest autogen.toml, builds with
//! cargo (skipped when [`cache`] shows nothing changed since the last build)
//! and runs with the same arguments, exiting with its exit code.

mod cache;

use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context as _, Result};

use crate::cli::handlers::{completions, init};
use crate::cli::{check_error_in_json, parse, report, usage_error, Command, Console, InspectArgs};
use crate::command;
use crate::config::{Config, ConfigError, CONFIG_ENV, DEFAULT_CONNECT_TIMEOUT};
use cache::LaunchCache;

/// The `autogen` binary's entry point.
pub fn launch() -> ExitCode {
    let started = Instant::now();
    let cli = match parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let console = Console::new(&cli);
    let connect_timeout = cli
        .connect_timeout
        .map_or(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs);
    let result = match &cli.command {
        Command::Init(args) => init(args, &console),
        Command::Completions(args) => completions(args),
        // With a URL, inspecting needs no project: the launcher does it itself.
        Command::Inspect(args) if args.url.is_some() => inspect(args, connect_timeout, &console),
        // The migration crate says what it used and how long it took. When
        // the launcher cannot start it, the command cannot start: exit 2.
        command => {
            let forwarded = forward(cli.config.as_deref(), &console)
                .or_else(|e| check_error_in_json(command, &console, &e).ok_or(e));
            return report(forwarded, ExitCode::from(2));
        }
    };
    let code = report(result, ExitCode::FAILURE);
    console.detail(format_args!("Finished in {:.2?}", started.elapsed()));
    code
}

/// `inspect --url`, which needs no project.
fn inspect(args: &InspectArgs, connect_timeout: Duration, console: &Console) -> Result<ExitCode> {
    let url = args.database_url().expect("--url is given");
    console.detail(format_args!("Using database {url} (from {})", url.origin()));
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    print!(
        "{}",
        runtime.block_on(command::inspect(
            &url,
            connect_timeout,
            args.schema.as_deref(),
            &args.table,
            args.format
        ))?
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs the migration crate named by the nearest autogen.toml with this
/// process's own arguments.
fn forward(explicit: Option<&Path>, console: &Console) -> Result<ExitCode> {
    let config = Config::discover(explicit, None)?;
    let manifest = config.script_location.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(ConfigError::NoMigrationCrate {
            path: config.path,
            script_location: config.script_location,
        }
        .into());
    }
    let executable = migration_executable(&manifest, console)?;
    let status = Process::new(&executable)
        .args(std::env::args_os().skip(1))
        .env(CONFIG_ENV, &config.path)
        .status()
        .with_context(|| format!("cannot run {}", executable.display()))?;
    Ok(exit_code(status))
}

/// The migration crate's executable: cargo builds it, unless the launch
/// cache shows that nothing it is built from has changed since it was built.
fn migration_executable(manifest: &Path, console: &Console) -> Result<PathBuf> {
    let cache = LaunchCache::open(manifest);
    if let Some(executable) = cache.as_ref().and_then(LaunchCache::fresh_executable) {
        console.detail(format_args!(
            "Skipped cargo: nothing {} is built from has changed",
            executable.display()
        ));
        return Ok(executable);
    }
    let build_started = SystemTime::now();
    let executable = build_migration_crate(manifest, console)?;
    if let Some(cache) = cache {
        if let Err(e) = cache.remember(&executable, build_started) {
            console.detail(format_args!("Cargo will check the migration crate again next time: {e:#}"));
        }
    }
    Ok(executable)
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}

/// The launcher could not build the migration crate: the command cannot
/// start, so it exits 2 ("cannot tell", for `check`), not with cargo's 101.
#[derive(Debug, thiserror::Error)]
#[error("the migration crate {} does not build (cargo says why above); fix it, then run the command again", .manifest.display())]
pub(crate) struct BuildFailed {
    /// The crate's manifest.
    pub(crate) manifest: PathBuf,
}

/// Builds the migration crate at `manifest` and returns its executable, or
/// [`BuildFailed`] (cargo has said why).
///
/// A first build compiles SeaORM and autogen, which takes minutes, so the
/// wait is never silent: on a terminal cargo shows its own progress; else
/// one line says what is being built, once something is, and one how long
/// it took ([`BUILDING`], [`BUILT`]).
fn build_migration_crate(manifest: &Path, console: &Console) -> Result<PathBuf> {
    use std::io::{BufRead as _, IsTerminal as _};
    let interactive = std::io::stderr().is_terminal();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Process::new(cargo);
    // Compiler messages are rendered to stderr as usual; stdout carries the
    // JSON that says whether anything compiled and where the binary is.
    build
        .args([
            "build",
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(manifest)
        .stdout(std::process::Stdio::piped());
    if !interactive {
        build.arg("--quiet");
    }
    let started = std::time::Instant::now();
    let mut child = build.spawn().context("cannot run cargo; is Rust installed?")?;
    let ours =
        std::fs::canonicalize(manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let mut compiling = false;
    let mut executable = None;
    let messages = std::io::BufReader::new(child.stdout.take().expect("stdout is piped"));
    for line in messages.lines() {
        let line = line.context("cannot read cargo's output")?;
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        if message["fresh"] == false && !compiling {
            compiling = true;
            if !interactive {
                console.progress(format_args!("{BUILDING} {} ...", manifest.display()));
            }
        }
        let kinds = message["target"]["kind"].as_array();
        let is_bin = kinds.is_some_and(|kinds| kinds.iter().any(|k| k == "bin"));
        if is_bin && message["manifest_path"].as_str().map(Path::new) == Some(ours.as_path()) {
            executable = message["executable"].as_str().map(PathBuf::from);
        }
    }
    let status = child.wait().context("cannot wait for cargo")?;
    if !status.success() {
        return Err(BuildFailed {
            manifest: manifest.to_owned(),
        }
        .into());
    }
    if compiling && !interactive {
        console.progress(format_args!(
            "{BUILT} in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
    }
    match executable {
        Some(executable) => Ok(executable),
        None => bail!(
            "{} has no binary; a migration crate's src/main.rs calls autogen::cli::run (see `autogen init`)",
            manifest.display()
        ),
    }
}

/// How the launcher's lines about building the migration crate begin.
pub(crate) const BUILDING: &str = "Building the migration crate";
/// See [`BUILDING`].
pub(crate) const BUILT: &str = "Built the migration crate";

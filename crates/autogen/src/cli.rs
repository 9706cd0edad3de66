//! The command line: one clap definition shared by the `autogen` launcher
//! and every migration crate, so both accept exactly the same arguments.
//!
//! The launcher ([`launch`]) handles `init` itself and runs the migration
//! crate (`cargo run --manifest-path …`) for everything else; the migration
//! crate's `main` calls [`run`]. Errors are printed once, as `error: …` with
//! their causes, and turn into exit code 1; usage errors exit with 2.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode};

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};

use crate::command::{self, RevisionOptions};
use crate::config::{Config, CONFIG_ENV};
use crate::init::{self, AutogenSource};
use crate::Project;

/// Alembic's migration workflow for SeaORM projects.
#[derive(Debug, Parser)]
#[command(name = "autogen", version, about, long_about = None)]
pub struct Cli {
    /// The configuration file to use instead of the nearest autogen.toml.
    #[arg(short, long, global = true, env = CONFIG_ENV, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create autogen.toml here and a migration crate in DIR.
    Init {
        /// Directory of the new migration crate, e.g. `migration`.
        dir: PathBuf,
        /// Depend on a local checkout of autogen instead of crates.io.
        #[arg(long, value_name = "REPO")]
        autogen_path: Option<PathBuf>,
    },
    /// Write a new revision file.
    Revision {
        /// The revision's message.
        #[arg(short, long, default_value = "")]
        message: String,
        /// Fill in the ops by comparing the entities with the database.
        #[arg(long)]
        autogenerate: bool,
        /// Write a file even when autogenerate detects no changes.
        #[arg(long, requires = "autogenerate")]
        allow_empty: bool,
        /// Use this revision id instead of a random one.
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
    },
    /// Apply revisions up to a target: head, +N, or a revision (a unique prefix will do).
    Upgrade {
        /// Where to stop.
        #[arg(value_name = "REVISION")]
        target: String,
    },
    /// Undo revisions down to a target: -N, base, or a revision (a unique prefix will do).
    #[command(allow_hyphen_values = true)]
    Downgrade {
        /// Where to stop.
        #[arg(value_name = "REVISION")]
        target: String,
    },
    /// Show the revision(s) the database is at.
    Current,
    /// List revisions, newest first.
    History,
    /// Exit 1 if autogenerate would write any op (the database must be at head), 0 if not.
    Check,
}

/// The migration crate's entry point: runs the command line against `project`.
pub fn run(project: Project) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    report(execute(&project, cli))
}

/// The `autogen` launcher: `init` here, everything else in the migration crate.
pub fn launch() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    report(match cli.command {
        Command::Init { dir, autogen_path } => run_init(&dir, autogen_path),
        _ => forward(cli.config.as_deref()),
    })
}

fn usage_error(e: clap::Error) -> ExitCode {
    // Help and --version are printed by clap and are not failures.
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn report(result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_init(dir: &Path, autogen_path: Option<PathBuf>) -> Result<ExitCode> {
    let base = std::env::current_dir().context("cannot read the working directory")?;
    let source = match autogen_path {
        Some(repo) => AutogenSource::Path(
            std::fs::canonicalize(&repo)
                .with_context(|| format!("no autogen checkout at {}", repo.display()))?,
        ),
        None => AutogenSource::Registry,
    };
    for path in init::init(&base, dir, &source)? {
        println!("Creating {} ... done", path.display());
    }
    println!(
        "Please edit {0}/Cargo.toml and {0}/src/main.rs to register your entities, \
         and autogen.toml to set the database.",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs the migration crate named by the nearest autogen.toml with this
/// process's own arguments.
fn forward(explicit: Option<&Path>) -> Result<ExitCode> {
    let config = Config::discover(explicit, None)?;
    let manifest = config.script_location.join("Cargo.toml");
    if !manifest.is_file() {
        bail!(
            "{} names script_location {}, which has no Cargo.toml; fix script_location or run `autogen init`",
            config.path.display(),
            config.script_location.display()
        );
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Process::new(cargo)
        .args(["run", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .arg("--")
        .args(std::env::args_os().skip(1))
        .env(CONFIG_ENV, &config.path)
        .status()
        .context("cannot run cargo; is Rust installed?")?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

fn execute(project: &Project, cli: Cli) -> Result<ExitCode> {
    if let Command::Init { dir, autogen_path } = cli.command {
        return run_init(&dir, autogen_path);
    }
    // Without a launcher, the autogen.toml beside the migration crate is the one meant.
    let crate_dir = Path::new(project.versions.dir).ancestors().nth(2);
    let config = Config::discover(cli.config.as_deref(), crate_dir)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut out = std::io::stdout().lock();
        match cli.command {
            Command::Init { .. } => unreachable!("handled above"),
            Command::Revision {
                message,
                autogenerate,
                allow_empty,
                rev_id,
            } => {
                let options = RevisionOptions {
                    message,
                    autogenerate,
                    allow_empty,
                    rev_id,
                };
                let outcome = command::revision(project, &config, &options).await?;
                for line in autogen_codegen::report(&outcome.ops) {
                    eprintln!("{line}");
                }
                match outcome.path {
                    Some(path) => {
                        if let Some(warning) = outcome.format_warning {
                            eprintln!("warning: the file is not formatted: {warning}");
                        }
                        writeln!(out, "Generating {} ... done", path.display())?;
                    }
                    None => writeln!(
                        out,
                        "No changes in schema detected; no revision written (--allow-empty writes one anyway)."
                    )?,
                }
            }
            Command::Upgrade { target } => {
                command::upgrade(project, &config, &target, |step| eprintln!("{step}")).await?;
            }
            Command::Downgrade { target } => {
                command::downgrade(project, &config, &target, |step| eprintln!("{step}")).await?;
            }
            Command::Current => {
                for (id, is_head) in command::current(project, &config).await? {
                    writeln!(out, "{id}{}", if is_head { " (head)" } else { "" })?;
                }
            }
            Command::History => {
                for line in command::history(project)? {
                    writeln!(out, "{line}")?;
                }
            }
            Command::Check => {
                let ops = command::compare(project, &config).await?;
                if ops.is_empty() {
                    writeln!(out, "No new upgrade operations detected.")?;
                } else {
                    writeln!(out, "New upgrade operations detected:")?;
                    for op in &ops {
                        writeln!(out, "  {op}")?;
                    }
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

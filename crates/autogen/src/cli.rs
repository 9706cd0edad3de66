//! The command line: one clap definition shared by the `autogen` launcher
//! and every migration crate, so both accept exactly the same arguments.
//!
//! The launcher ([`launch`]) handles `init` and `inspect --url` itself (they
//! need no project) and runs the migration crate (`cargo run --manifest-path …`)
//! for everything else; the migration crate's `main` calls [`run`]. Errors are printed once, as `error: …` with
//! their causes, and turn into exit code 1; usage errors, and a configuration
//! or database the command cannot use, exit with 2.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};

use autogen_migrate::{Direction, RunOptions};

use crate::check;
use crate::command::{self, BaselineOptions, HistoryOptions, InspectFormat, RevisionOptions};
use crate::config::{Config, ConfigError, CONFIG_ENV, DEFAULT_CONNECT_TIMEOUT};
use crate::database::{DatabaseUrl, Unavailable, UrlOrigin};
use crate::init::{self, AutogenSource};
use crate::Project;

/// Alembic's migration workflow for SeaORM projects.
#[derive(Debug, Parser)]
#[command(name = "autogen", version, about, long_about = None)]
pub struct Cli {
    /// The configuration file to use instead of the nearest autogen.toml.
    #[arg(short, long, global = true, env = CONFIG_ENV, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Give up connecting to the database after this long [default: autogen.toml's
    /// connect_timeout, else 5].
    #[arg(long, global = true, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: Option<u64>,
    /// How long upgrade, downgrade and stamp wait for another run to release
    /// the migration lock [default: autogen.toml's lock_timeout, else 300].
    #[arg(long, global = true, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
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
        /// Let autogenerate drop the table of an entity module that exists but is not registered.
        #[arg(long, requires = "autogenerate")]
        allow_unregistered_drops: bool,
        /// Let autogenerate write ops that can lose data (dropped tables or
        /// columns, narrowed types, NOT NULL without a default, removed enum
        /// labels, dropped unique keys); without it such a revision is refused.
        #[arg(long, requires = "autogenerate")]
        allow_destructive: bool,
        /// Print the revision instead of writing it.
        #[arg(long)]
        dry_run: bool,
        /// Use this revision id instead of a random one.
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
        /// The revision to build on (`base` starts a new root); needed when there are several heads.
        #[arg(long, value_name = "REVISION")]
        head: Option<String>,
        /// Allow --head to be a revision that is not a head, starting a branch there.
        #[arg(long, requires = "head")]
        splice: bool,
        /// A label for the branch this revision starts (repeatable).
        #[arg(long, value_name = "LABEL")]
        branch_label: Vec<String>,
        /// A revision or branch label this one depends on (repeatable).
        #[arg(long, value_name = "REVISION")]
        depends_on: Vec<String>,
        /// A directory under src/versions to write the file to.
        #[arg(long, value_name = "DIR")]
        version_path: Option<PathBuf>,
    },
    /// Apply revisions up to a target: head, heads, +N, <rev>+N, <label>@head, <label>@+N, or a revision.
    Upgrade {
        /// Where to stop; with --sql, a range `<from>:<to>` is allowed.
        #[arg(value_name = "REVISION")]
        target: String,
        /// How to run.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Undo revisions down to a target: -N, base, <label>@base, <label>@-N, or a revision.
    #[command(allow_hyphen_values = true)]
    Downgrade {
        /// Where to stop; with --sql, give a range `<from>:<to>`.
        #[arg(value_name = "REVISION")]
        target: String,
        /// How to run.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Show the revision(s) the database is at.
    Current {
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
    },
    /// List revisions, newest first.
    History {
        /// Only this range, `<from>:<to>` (either end may be empty or `current`).
        #[arg(short, long, value_name = "RANGE", allow_hyphen_values = true)]
        rev_range: Option<String>,
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
        /// Mark the revisions the database is at.
        #[arg(short, long)]
        indicate_current: bool,
    },
    /// Show the heads of the revision graph.
    Heads {
        /// Show each head in full.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Show the branch points of the revision graph.
    Branches,
    /// Show one revision.
    Show {
        /// The revision (an id, a unique prefix, a label, head…).
        #[arg(value_name = "REVISION")]
        rev: String,
    },
    /// Write a revision that merges several heads into one.
    Merge {
        /// The revisions to merge, or `heads` for all of them.
        #[arg(value_name = "REVISIONS", required = true)]
        revisions: Vec<String>,
        /// The merge's message.
        #[arg(short, long, default_value = "")]
        message: String,
        /// Use this revision id instead of a random one.
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
        /// A label for the branch the merge starts (repeatable).
        #[arg(long, value_name = "LABEL")]
        branch_label: Vec<String>,
    },
    /// Record a revision in the version table without running anything.
    Stamp {
        /// The revision to record (head, heads, base, an id…).
        #[arg(value_name = "REVISION")]
        target: String,
        /// Clear the version table first, even of revisions no file declares.
        #[arg(long)]
        purge: bool,
        /// Print the SQL instead of running it.
        #[arg(long)]
        sql: bool,
        /// Leave the version table as it is and record REVISION's ops as they
        /// are now as the ones it was applied with: for an applied revision
        /// edited since, once the database matches the edit.
        #[arg(long, conflicts_with_all = ["purge", "sql"])]
        accept_checksum: bool,
    },
    /// Open a revision file in $VISUAL or $EDITOR.
    Edit {
        /// The revision (an id, a unique prefix, a label, head…).
        #[arg(value_name = "REVISION")]
        rev: String,
    },
    /// Exit 0 if the entities and the database (at head) agree, 1 with the differences if not, 2 if it cannot tell.
    Check {
        /// Compare with the revision history replayed into the schema model
        /// instead of a database: nothing to connect to (pre-commit hooks).
        #[arg(long)]
        offline: bool,
        /// How to print the result.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Print nothing; only the exit code answers.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Run each revision up to REVISION on a scratch database, up from base and back down, one at a time;
    /// exit 0 if each does what its ops say, 1 naming the first that does not, 2 if it cannot tell.
    Verify {
        /// The last revision to verify (an id, a unique prefix, a label, head…).
        #[arg(value_name = "REVISION", default_value = "head")]
        target: String,
    },
    /// Adopt a database autogen does not track yet: write a first revision that creates its
    /// schema as it is (other tools' tables, such as seaql_migrations, left out) and stamp it there.
    Baseline {
        /// The revision's message.
        #[arg(short, long, default_value = "baseline")]
        message: String,
        /// Use this revision id instead of a random one.
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
        /// Print the revision instead of writing it; nothing is stamped.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the live database schema.
    Inspect {
        /// The database to read instead of autogen.toml's (no project needed).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// The PostgreSQL schema to read (default: autogen.toml's `schema`, else current_schema()).
        #[arg(long, value_name = "SCHEMA")]
        schema: Option<String>,
        /// Only this table (repeatable).
        #[arg(long, value_name = "TABLE")]
        table: Vec<String>,
        /// Text, or JSON for tools.
        #[arg(long, value_enum, default_value_t)]
        format: InspectFormat,
    },
}

/// Options shared by `upgrade` and `downgrade`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Print the SQL script for the configured database instead of running it (no connection).
    #[arg(long)]
    pub sql: bool,
    /// Run everything in one transaction instead of one per revision (PostgreSQL, SQLite).
    #[arg(long)]
    pub single_transaction: bool,
    /// A value revisions can read with `op.tag()`.
    #[arg(long)]
    pub tag: Option<String>,
}

impl RunArgs {
    fn options(&self) -> RunOptions {
        RunOptions {
            single_transaction: self.single_transaction,
            tag: self.tag.clone(),
        }
    }
}

/// The migration crate's entry point: runs the command line against `project`.
pub fn run(project: Project) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // `check` answers a question in CI: 1 means "they differ", so failing to
    // find out is 2, as usage errors are.
    let failure = match cli.command {
        Command::Check { .. } | Command::Verify { .. } => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    };
    report(execute(&project, cli), failure)
}

/// The `autogen` launcher: `init` here, everything else in the migration crate.
pub fn launch() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let failure = ExitCode::FAILURE;
    let connect_timeout = cli
        .connect_timeout
        .map_or(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs);
    report(
        match cli.command {
            Command::Init { dir, autogen_path } => run_init(&dir, autogen_path),
            // With a URL, inspecting needs no project: the launcher does it itself.
            Command::Inspect {
                url: Some(url),
                schema,
                table,
                format,
            } => inspect(
                &DatabaseUrl::new(url, UrlOrigin::Option("--url")),
                connect_timeout,
                schema.as_deref(),
                &table,
                format,
            ),
            _ => forward(cli.config.as_deref()),
        },
        failure,
    )
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

fn report(result: Result<ExitCode>, failure: ExitCode) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", describe_error(&e));
            if cannot_start(&e) {
                ExitCode::from(2)
            } else {
                failure
            }
        }
    }
}

/// Whether the command failed before its work began: the configuration or
/// the database cannot be used. Scripts can tell that from the work failing.
fn cannot_start(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.is::<ConfigError>() || cause.is::<Unavailable>())
}

/// The error and its causes, as `{:#}` joins them, leaving out a cause whose
/// text is already there: sea-orm's `DbErr` shows its source in its own
/// message, and so do autogen's errors wrapping it, so the database's words
/// would otherwise be printed up to three times.
fn describe_error(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
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

fn inspect(
    url: &DatabaseUrl,
    connect_timeout: Duration,
    schema: Option<&str>,
    tables: &[String],
    format: InspectFormat,
) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    print!(
        "{}",
        runtime.block_on(command::inspect(url, connect_timeout, schema, tables, format))?
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs the migration crate named by the nearest autogen.toml with this
/// process's own arguments.
fn forward(explicit: Option<&Path>) -> Result<ExitCode> {
    let config = Config::discover(explicit, None)?;
    let manifest = config.script_location.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(ConfigError::NoMigrationCrate {
            path: config.path,
            script_location: config.script_location,
        }
        .into());
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
    let mut config = Config::discover(cli.config.as_deref(), crate_dir)?;
    if let Some(seconds) = cli.connect_timeout {
        config.connect_timeout = Duration::from_secs(seconds);
    }
    if let Some(seconds) = cli.lock_timeout {
        config.lock_timeout = Duration::from_secs(seconds);
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let mut out = std::io::stdout().lock();
    let lines = |out: &mut dyn std::io::Write, lines: Vec<String>| -> Result<()> {
        for line in lines {
            writeln!(out, "{line}")?;
        }
        Ok(())
    };
    match cli.command {
        Command::Init { .. } => unreachable!("handled above"),
        Command::Revision {
            message,
            autogenerate,
            allow_empty,
            allow_unregistered_drops,
            allow_destructive,
            dry_run,
            rev_id,
            head,
            splice,
            branch_label,
            depends_on,
            version_path,
        } => {
            if autogenerate {
                warn_about_unregistered(project, &config);
            }
            let options = RevisionOptions {
                message,
                autogenerate,
                allow_empty,
                allow_unregistered_drops,
                allow_destructive,
                dry_run,
                rev_id,
                head,
                splice,
                branch_labels: branch_label,
                depends_on,
                version_path,
            };
            let outcome = runtime.block_on(command::revision(project, &config, &options))?;
            if let Some(comparison) = &outcome.comparison {
                warn_about_set_aside(comparison);
                for line in autogen_codegen::report(&comparison.upgrade, &comparison.destructive) {
                    eprintln!("{line}");
                }
            }
            if let Some(warning) = &outcome.format_warning {
                eprintln!("warning: the file is not formatted: {warning}");
            }
            let refused = outcome
                .comparison
                .as_ref()
                .is_some_and(|c| !c.destructive.is_empty())
                && !(options.allow_destructive || config.allow_destructive);
            match (outcome.path, outcome.preview) {
                (Some(path), _) => writeln!(out, "Generating {} ... done", path.display())?,
                (None, Some(preview)) => {
                    write!(out, "{preview}")?;
                    if refused {
                        eprintln!(
                            "note: without --dry-run this revision would be refused until \
                             --allow-destructive is given"
                        );
                    }
                }
                (None, None) => writeln!(
                    out,
                    "No changes in schema detected; no revision written (--allow-empty writes one anyway)."
                )?,
            }
        }
        Command::Upgrade { target, run } => {
            migrate(project, &config, &runtime, Direction::Up, &target, &run)?
        }
        Command::Downgrade { target, run } => {
            migrate(project, &config, &runtime, Direction::Down, &target, &run)?
        }
        Command::Current { verbose } => {
            lines(
                &mut out,
                runtime.block_on(command::current(project, &config, verbose))?,
            )?;
            warn_about_modified(project, &config, &runtime);
        }
        Command::History {
            rev_range,
            verbose,
            indicate_current,
        } => {
            let options = HistoryOptions {
                range: rev_range,
                verbose,
                indicate_current,
            };
            lines(
                &mut out,
                runtime.block_on(command::history(project, &config, &options))?,
            )?;
        }
        Command::Heads { verbose } => lines(&mut out, command::heads(project, verbose)?)?,
        Command::Branches => lines(&mut out, command::branches(project)?)?,
        Command::Show { rev } => write!(out, "{}", command::show(project, &rev)?)?,
        Command::Merge {
            revisions,
            message,
            rev_id,
            branch_label,
        } => {
            let options = RevisionOptions {
                message,
                rev_id,
                branch_labels: branch_label,
                ..RevisionOptions::default()
            };
            let path = command::merge(project, &revisions, &options)?;
            writeln!(out, "Generating {} ... done", path.display())?;
        }
        Command::Stamp {
            target,
            accept_checksum: true,
            ..
        } => {
            let id = runtime.block_on(command::accept_checksum(project, &config, &target))?;
            eprintln!("Recorded the ops of revision {id} as they are now as the ones it was applied with");
        }
        Command::Stamp {
            target, purge, sql, ..
        } => {
            if sql {
                write!(out, "{}", command::stamp_sql(project, &config, &target)?)?;
            } else {
                let heads = runtime.block_on(command::stamp(project, &config, &target, purge))?;
                let at = if heads.is_empty() {
                    "base".to_owned()
                } else {
                    heads.join(", ")
                };
                eprintln!("Stamped {at}");
            }
        }
        Command::Edit { rev } => edit(&command::revision_path(project, &rev)?)?,
        Command::Baseline {
            message,
            rev_id,
            dry_run,
        } => {
            let options = BaselineOptions {
                message,
                rev_id,
                dry_run,
            };
            baseline(project, &config, &runtime, &options, &mut out)?
        }
        Command::Inspect {
            url,
            schema,
            table,
            format,
        } => {
            let url = match url {
                Some(url) => DatabaseUrl::new(url, UrlOrigin::Option("--url")),
                None => config.database_url.clone(),
            };
            let schema = schema.or_else(|| config.schema.clone());
            let text = runtime.block_on(command::inspect(
                &url,
                config.connect_timeout,
                schema.as_deref(),
                &table,
                format,
            ))?;
            write!(out, "{text}")?;
        }
        Command::Check {
            offline,
            format,
            quiet,
        } => {
            if !quiet {
                warn_about_unregistered(project, &config);
            }
            let source = if offline {
                check::Source::Revisions
            } else {
                check::Source::Database
            };
            let compared = if offline {
                check::compare_offline(project, &config)
            } else {
                runtime.block_on(command::compare(project, &config))
            };
            let comparison = match (compared, format) {
                (Ok(comparison), _) => comparison,
                // The JSON answer is JSON even when it cannot tell.
                (Err(e), CheckFormat::Json) if !quiet => {
                    writeln!(out, "{:#}", check::json_error(source, &e))?;
                    return Ok(ExitCode::from(2));
                }
                (Err(_), _) if quiet => return Ok(ExitCode::from(2)),
                (Err(e), _) => return Err(e),
            };
            let code = if comparison.upgrade.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
            if quiet {
                return Ok(code);
            }
            warn_about_set_aside(&comparison);
            if !offline {
                warn_about_modified(project, &config, &runtime);
            }
            match format {
                CheckFormat::Text => {
                    write!(out, "{}", check::text_report(&comparison, source, color_stdout()))?
                }
                CheckFormat::Json => writeln!(out, "{:#}", check::json_report(&comparison, source))?,
            }
            return Ok(code);
        }
        Command::Verify { target } => {
            let report = |step: &crate::verify::VerifyStep| eprintln!("{step}");
            let outcome = runtime.block_on(crate::verify::verify(project, &config, &target, report))?;
            write!(out, "{outcome}")?;
            return Ok(match outcome {
                crate::verify::VerifyOutcome::Verified { .. } => ExitCode::SUCCESS,
                crate::verify::VerifyOutcome::Differs(_) => ExitCode::FAILURE,
                crate::verify::VerifyOutcome::CannotTell { .. } => ExitCode::from(2),
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Before comparing: the entity modules that exist but were not registered
/// (their tables would read as "drop this").
fn warn_about_unregistered(project: &Project, config: &Config) {
    // A URL autogen cannot use fails the command right after, with the reason.
    let Ok(dialect) = config.database_url.dialect() else {
        return;
    };
    for entity in project.entities.unregistered(dialect) {
        let table = entity.table.map_or(String::new(), |t| format!(" (table '{t}')"));
        eprintln!(
            "warning: entity module `{}`{table} is not registered; autogenerate compares only registered \
             entities, so register it with `.entity({}::Entity)` in the migration crate's main.rs",
            entity.module, entity.module
        );
    }
}

/// After `current`, `check`, `upgrade` and `downgrade` reached the
/// database: the applied revisions whose files were edited since they ran,
/// so the database does not hold what they now say. (After, so that a
/// database that cannot be reached is waited for once, by the command.)
fn warn_about_modified(project: &Project, config: &Config, runtime: &tokio::runtime::Runtime) {
    // A warning that cannot be worked out is no reason to fail a command that worked.
    let Ok(modified) = runtime.block_on(command::modified_revisions(project, config)) else {
        return;
    };
    for node in modified {
        eprintln!(
            "warning: revision {id} ({message}, {path}) was modified after it was applied: its ops are not \
             the ones this database ran. Revert the edit and put the change in a new revision, or, if the \
             database already matches the edited revision, run `autogen stamp {id} --accept-checksum`",
            id = node.id(),
            message = node.message(),
            path = node.module.path,
        );
    }
}

/// After comparing: the entities in another database schema than the one compared.
fn warn_about_set_aside(comparison: &crate::compare::Comparison) {
    for entity in &comparison.set_aside {
        eprintln!(
            "warning: table '{}' is in schema '{}', and autogen compares one schema ('{}'); \
             it is left out of this comparison",
            entity.table, entity.schema, comparison.schema
        );
    }
}

/// `upgrade` or `downgrade`: run it, or with `--sql` print it.
fn migrate(
    project: &Project,
    config: &Config,
    runtime: &tokio::runtime::Runtime,
    direction: Direction,
    target: &str,
    run: &RunArgs,
) -> Result<()> {
    if run.sql {
        print!(
            "{}",
            command::migrate_sql(project, config, direction, target, run.options())?
        );
    } else {
        let report = |step: &autogen_migrate::Step| eprintln!("{step}");
        runtime.block_on(async {
            match direction {
                Direction::Up => command::upgrade(project, config, target, run.options(), report).await,
                Direction::Down => command::downgrade(project, config, target, run.options(), report).await,
            }
        })?;
        warn_about_modified(project, config, runtime);
    }
    Ok(())
}

/// `baseline`: what it found, then the file written and the stamp, or with `--dry-run` the file.
fn baseline(
    project: &Project,
    config: &Config,
    runtime: &tokio::runtime::Runtime,
    options: &BaselineOptions,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let outcome = runtime.block_on(command::baseline(project, config, options))?;
    let revision = outcome.revision;
    if let Some(comparison) = &revision.comparison {
        for line in autogen_codegen::report(&comparison.upgrade, &comparison.destructive) {
            eprintln!("{line}");
        }
    }
    if let Some(warning) = &revision.format_warning {
        eprintln!("warning: the file is not formatted: {warning}");
    }
    match (revision.path, revision.preview) {
        (Some(path), _) => {
            writeln!(out, "Generating {} ... done", path.display())?;
            eprintln!("Stamped {}", outcome.id);
        }
        (None, preview) => write!(out, "{}", preview.unwrap_or_default())?,
    }
    Ok(())
}

/// How `check` prints its answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// The detected changes and a unified diff of the schema.
    #[default]
    Text,
    /// One JSON document (schema in `autogen::check::json_report`).
    Json,
}

/// Whether stdout takes colour: a terminal, and no `NO_COLOR` (no-color.org).
fn color_stdout() -> bool {
    use std::io::IsTerminal as _;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Opens `path` in the user's editor and waits for it.
fn edit(path: &Path) -> Result<()> {
    let editor = ["VISUAL", "EDITOR"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|e| !e.trim().is_empty())
        .context("set $EDITOR (or $VISUAL) to the editor to open revisions with, e.g. EDITOR=vim")?;
    // Through the shell, so an EDITOR such as `code --wait` keeps its arguments.
    let status = Process::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .with_context(|| format!("cannot run the editor {editor:?}"))?;
    if !status.success() {
        bail!("the editor {editor:?} exited with {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbErr, RuntimeErr};

    use super::describe_error;

    #[test]
    fn a_database_error_is_printed_once() {
        let database = "1050 (42S01): Table 'user' already exists";
        let failure = autogen_migrate::MigrateError::Statement {
            revision: "ffa946187c97".into(),
            at: "base".into(),
            statement: "CREATE TABLE `user` ()".into(),
            source: Box::new(DbErr::Exec(RuntimeErr::Internal(database.into()))),
            committed: Vec::new(),
        };
        let text = describe_error(&anyhow::Error::new(failure));
        assert_eq!(text.matches(database).count(), 1, "{text}");
        let wrapped = anyhow::Error::new(DbErr::Conn(RuntimeErr::Internal("refused".into())))
            .context("cannot connect to mysql://autogen:***@127.0.0.1:1/autogen");
        assert_eq!(
            describe_error(&wrapped),
            "cannot connect to mysql://autogen:***@127.0.0.1:1/autogen: Connection Error: refused"
        );
    }
}

//! The command line: one clap definition shared by the `autogen` launcher
//! ([`crate::launcher`]) and every migration crate, so both accept exactly
//! the same arguments. The migration crate's `main` calls [`run`]. Errors
//! are printed once, as `error: …` with their causes, and turn into exit
//! code 1; usage errors, and a configuration or database the command cannot
//! use, exit with 2.

mod console;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};

use autogen_migrate::{Direction, RunOptions};

use crate::check;
use crate::command::{self, BaselineOptions, HistoryOptions, InspectFormat, RevisionOptions};
use crate::config::{Config, ConfigError, CONFIG_ENV};
use crate::database::{DatabaseUrl, Unavailable, UrlOrigin};
use crate::init::{self, AutogenSource, Template, Workspace};
use crate::Project;
use console::{color_stdout, styled, ERROR_STYLE};
pub use console::wants_color;
pub(crate) use console::Console;

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
    /// Print only errors, warnings and what the command exists to print (ids, lists, SQL):
    /// no progress lines. `check` prints nothing; its exit code answers.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more: each revision in full (current, history, heads), the autogen.toml and
    /// database used, and how long the command took.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create autogen.toml here, naming the entity sources it finds, and a
    /// migration crate in DIR, joining the workspace around it (with a dev
    /// profile that shortens the rebuild after a new revision).
    #[command(after_help = examples(&[
        ("A migration crate in ./migration (else ./autogen-migration)", "autogen init"),
        ("The migration crate in a directory you choose", "autogen init db/migration"),
        ("A new project: entity and migration crates", "autogen init --template workspace"),
    ]))]
    Init {
        /// Directory of the new migration crate [default: `migration`, else
        /// `autogen-migration` when sea-orm-migration's crate is there].
        dir: Option<PathBuf>,
        /// Depend on a local checkout of autogen instead of crates.io.
        #[arg(long, value_name = "REPO")]
        autogen_path: Option<PathBuf>,
        /// The layout to write.
        #[arg(long, value_enum, default_value_t)]
        template: Template,
    },
    /// Write a new revision file.
    #[command(after_help = examples(&[
        ("Compare the entities with the database and write what changed", "autogen revision --autogenerate -m \"add user bio\""),
        ("Show that revision without writing it", "autogen revision --autogenerate --dry-run -m \"add user bio\""),
        ("Give existing rows a value for a new NOT NULL column", "autogen revision --autogenerate --fill \"post.slug='untitled'\" -m \"add slug\""),
        ("An empty revision to fill in by hand", "autogen revision -m \"backfill slugs\""),
        ("Start a labelled branch from base", "autogen revision -m \"audit tables\" --head base --branch-label audit"),
    ]))]
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
        /// Let autogenerate drop the table of an entity module that exists but is not registered
        /// (entities read compiled, with the `entity-registry` feature).
        #[arg(long, requires = "autogenerate")]
        allow_unregistered_drops: bool,
        /// Let autogenerate write ops that can lose data or fail on existing
        /// rows (dropped tables or columns, narrowed types, columns made or
        /// added NOT NULL with no value for the rows, removed enum labels,
        /// dropped unique keys); without it such a revision is refused.
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
        /// A one-off value for the rows a table already has, where autogenerate
        /// adds a NOT NULL column with no default (AG107) or makes one NOT NULL
        /// (AG104): rows holding NULL get it first; it is not kept as the
        /// column's default. VALUE is a SQL literal or expression ('text', 0,
        /// TRUE, CURRENT_TIMESTAMP). Repeatable.
        #[arg(long, value_name = "TABLE.COLUMN=VALUE", requires = "autogenerate")]
        fill: Vec<command::Fill>,
    },
    /// Apply revisions up to a target: head, heads, +N, <rev>+N, <label>@head, <label>@+N, or a revision.
    #[command(after_help = examples(&[
        ("Apply every revision", "autogen upgrade head"),
        ("Apply the next revision only", "autogen upgrade +1"),
        ("Apply every head of a branched history", "autogen upgrade heads"),
        ("Print the SQL from base to head instead of running it", "autogen upgrade base:head --sql"),
    ]))]
    Upgrade {
        /// Where to stop; with --sql, a range `<from>:<to>` is allowed.
        #[arg(value_name = "REVISION")]
        target: String,
        /// How to run.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Undo revisions down to a target: -N, base, <label>@base, <label>@-N, or a revision.
    #[command(allow_hyphen_values = true, after_help = examples(&[
        ("Undo the last revision", "autogen downgrade -1"),
        ("Undo every revision", "autogen downgrade base"),
        ("Undo the audit branch", "autogen downgrade audit@base"),
        ("Print the SQL from head to base instead of running it", "autogen downgrade head:base --sql"),
    ]))]
    Downgrade {
        /// Where to stop; with --sql, give a range `<from>:<to>`.
        #[arg(value_name = "REVISION")]
        target: String,
        /// How to run.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Show the revision(s) the database is at (--verbose: in full).
    #[command(after_help = examples(&[
        ("The revision ids the database is at", "autogen current"),
        ("The same revisions in full", "autogen current --verbose"),
    ]))]
    Current,
    /// List revisions, newest first (--verbose: in full).
    #[command(after_help = examples(&[
        ("Every revision, newest first", "autogen history"),
        ("Every revision in full", "autogen history --verbose"),
        ("What upgrade head would still apply, marking where the database is", "autogen history -r current:head --indicate-current"),
    ]))]
    History {
        /// Only this range, `<from>:<to>` (either end may be empty or `current`).
        #[arg(short, long, value_name = "RANGE", allow_hyphen_values = true)]
        rev_range: Option<String>,
        /// Mark the revisions the database is at.
        #[arg(short, long)]
        indicate_current: bool,
    },
    /// Show the heads of the revision graph (--verbose: in full).
    #[command(after_help = examples(&[
        ("The heads: more than one means a merge is due", "autogen heads"),
        ("The heads in full", "autogen heads --verbose"),
    ]))]
    Heads,
    /// Show the branch points of the revision graph.
    #[command(after_help = examples(&[("The revisions where the history branches", "autogen branches")]))]
    Branches,
    /// Show one revision.
    #[command(after_help = examples(&[
        ("The newest revision", "autogen show head"),
        ("A revision by a unique prefix of its id", "autogen show 3f2a"),
    ]))]
    Show {
        /// The revision (an id, a unique prefix, a label, head…).
        #[arg(value_name = "REVISION")]
        rev: String,
    },
    /// Write a revision that merges several heads into one.
    #[command(after_help = examples(&[
        ("Join every head into one", "autogen merge -m \"join audit branch\" heads"),
        ("Join two revisions", "autogen merge -m \"join\" 3f2a9c1b7d4e 1a2b3c4d5e6f"),
    ]))]
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
    #[command(after_help = examples(&[
        ("Mark a database built by other means as up to date", "autogen stamp head"),
        ("Forget every applied revision", "autogen stamp base --purge"),
        ("Accept an applied revision's edited ops the database already matches", "autogen stamp 3f2a9c1b7d4e --accept-checksum"),
    ]))]
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
    #[command(after_help = examples(&[("Open the newest revision", "autogen edit head")]))]
    Edit {
        /// The revision (an id, a unique prefix, a label, head…).
        #[arg(value_name = "REVISION")]
        rev: String,
    },
    /// Exit 0 if the entities and the database (at head) agree, 1 with the differences if not, 2 if it cannot tell.
    #[command(after_help = examples(&[
        ("Do the entities and the database agree?", "autogen check"),
        ("The same against the revision history, no database (pre-commit)", "autogen check --offline"),
        ("The answer as JSON, for tools", "autogen check --format json"),
        ("Only the exit code", "autogen check --quiet"),
    ]))]
    Check {
        /// Compare with the revision history replayed into the schema model
        /// instead of a database: nothing to connect to (pre-commit hooks).
        #[arg(long)]
        offline: bool,
        /// How to print the result.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Run each revision up to REVISION on a scratch database, up from base and back down, one at a time;
    /// exit 0 if each does what its ops say, 1 naming the first that does not, 2 if it cannot tell.
    #[command(after_help = examples(&[
        ("Every revision, up and back down", "autogen verify"),
        ("The revisions up to one", "autogen verify 3f2a9c1b7d4e"),
    ]))]
    Verify {
        /// The last revision to verify (an id, a unique prefix, a label, head…).
        #[arg(value_name = "REVISION", default_value = "head")]
        target: String,
    },
    /// Adopt a database autogen does not track yet: write a first revision that creates its
    /// schema as it is (other tools' tables, such as seaql_migrations, left out) and stamp it there.
    #[command(after_help = examples(&[
        ("Adopt the database autogen.toml names", "autogen baseline"),
        ("Review the revision first: print it, write and stamp nothing", "autogen baseline --dry-run"),
        ("With a message of your own", "autogen baseline -m \"schema as of v2.3\""),
    ]))]
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
    /// After a baseline, bring the entities level with the database: write what SeaORM can
    /// express (indexed, unique, unique_key, default_value, default_expr, column_type, comment)
    /// into the entity files, declare the rest in autogen.toml's [declare], and list what needs a hand.
    #[command(after_help = examples(&[
        ("Review every edit as a diff; write nothing", "autogen reconcile --dry-run"),
        ("Write the edits; `autogen check` confirms them", "autogen reconcile"),
    ]))]
    Reconcile {
        /// Print the edits as unified diffs instead of writing them.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the live database schema.
    #[command(after_help = examples(&[
        ("The configured database's schema", "autogen inspect"),
        ("One table, as JSON", "autogen inspect --table user --format json"),
        ("Any database, no project needed", "autogen inspect --url postgres://app@localhost/app --schema public"),
    ]))]
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
    /// Print a completion script for SHELL (no project needed).
    #[command(after_help = examples(&[
        ("bash: add `source <(autogen completions bash)` to ~/.bashrc", "autogen completions bash"),
        ("zsh: save the output as _autogen in a directory on $fpath", "autogen completions zsh"),
        ("fish: save the output as ~/.config/fish/completions/autogen.fish", "autogen completions fish"),
    ]))]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// A help "Examples:" section: what each example does, as a shell comment,
/// above the command line, so each can be pasted as it is.
fn examples(examples: &[(&str, &str)]) -> clap::builder::StyledStr {
    let header = clap::builder::Styles::styled().get_header().to_owned();
    let mut text = format!("{header}Examples:{header:#}");
    for (what, command) in examples {
        text.push_str(&format!("\n  # {what}\n  {command}"));
    }
    text.into()
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
    let started = Instant::now();
    let cli = match parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let console = Console::new(&cli);
    // `check` answers a question in CI: 1 means "they differ", so failing to
    // find out is 2, as usage errors are.
    let failure = match cli.command {
        Command::Check { .. } | Command::Verify { .. } => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    };
    let code = report(execute(&project, cli, &console), failure);
    console.detail(format_args!("Finished in {:.2?}", started.elapsed()));
    code
}

/// The command line, or clap's error (help and --version are errors to clap).
pub(crate) fn parse<T: Into<std::ffi::OsString> + Clone>(args: impl IntoIterator<Item = T>) -> Result<Cli, clap::Error> {
    let cli = Cli::try_parse_from(args)?;
    // clap checks conflicts within one level: `-q upgrade -v` gets here.
    if cli.quiet && cli.verbose {
        use clap::CommandFactory as _;
        return Err(Cli::command().error(
            clap::error::ErrorKind::ArgumentConflict,
            "--quiet and --verbose cannot be used together",
        ));
    }
    Ok(cli)
}

/// Prints clap's help, version or usage error, coloured as [`wants_color`] says for its stream.
pub(crate) fn usage_error(e: clap::Error) -> ExitCode {
    let text = e.render().ansi().to_string();
    // Help and --version are printed on stdout and are not failures.
    if e.use_stderr() {
        let _ = write!(styled(std::io::stderr()), "{text}");
        ExitCode::from(2)
    } else {
        let _ = write!(styled(std::io::stdout()), "{text}");
        ExitCode::SUCCESS
    }
}

pub(crate) fn report(result: Result<ExitCode>, failure: ExitCode) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            let style = ERROR_STYLE;
            let _ = writeln!(
                styled(std::io::stderr()),
                "{style}error:{style:#} {}",
                describe_error(&e)
            );
            if cannot_start(&e) {
                ExitCode::from(2)
            } else {
                failure
            }
        }
    }
}

/// `autogen completions <shell>`: the script, from the same clap definition.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    use clap::CommandFactory as _;
    clap_complete::generate(shell, &mut Cli::command(), "autogen", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// Whether the command failed before its work began: the configuration or
/// the database cannot be used. Scripts can tell that from the work failing.
fn cannot_start(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.is::<ConfigError>() || cause.is::<Unavailable>() || cause.is::<crate::launcher::BuildFailed>())
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

pub(crate) fn run_init(
    dir: Option<&Path>,
    autogen_path: Option<PathBuf>,
    template: Template,
    console: &Console,
) -> Result<ExitCode> {
    let base = std::env::current_dir().context("cannot read the working directory")?;
    let source = match autogen_path {
        Some(repo) => AutogenSource::Path(
            std::fs::canonicalize(&repo)
                .with_context(|| format!("no autogen checkout at {}", repo.display()))?,
        ),
        None => AutogenSource::Registry,
    };
    // What init did is progress: `--quiet` leaves it out.
    macro_rules! say {
        ($($arg:tt)*) => {
            if !console.quiet {
                println!($($arg)*);
            }
        };
    }
    let done = init::init(&base, dir, &source, template)?;
    for path in &done.written {
        say!("Creating {} ... done", path.display());
    }
    let dir = done.dir.display();
    match &done.workspace {
        Workspace::None | Workspace::Created(_) => {}
        Workspace::Covered { manifest, .. } => {
            say!("{dir} is a member of the workspace in {}", manifest.display())
        }
        Workspace::BesidePackage(manifest) => say!(
            "note: {} has no [workspace], so {dir} builds on its own (its own Cargo.lock and target/); \
             to share them, add `[workspace] members = [\".\", \"{dir}\"]` to it",
            manifest.display()
        ),
        Workspace::Joined {
            manifest, member, ..
        } => say!(
            "Adding {member} to the workspace members in {} ... done",
            manifest.display()
        ),
        Workspace::Separate {
            manifest,
            member,
            seaorm,
        } => say!(
            "The workspace in {} locks sea-orm {seaorm}, and autogen runs on SeaORM 2, whose SQLite \
             driver cannot share a Cargo.lock with it: {member} is a workspace of its own \
             (added to `exclude` there), with its own Cargo.lock and target/",
            manifest.display()
        ),
    }
    // A lock that cannot take the new crate is init's error, reported once
    // the rest of what it did is said.
    let mut lock_error = None;
    if let Workspace::Joined {
        manifest,
        lock_before: Some(before),
        ..
    }
    | Workspace::Covered {
        manifest,
        lock_before: Some(before),
    } = &done.workspace
    {
        match init::lock(manifest, before) {
            Ok(changes) if changes.is_empty() => say!("Cargo.lock keeps every version it had locked"),
            Ok(changes) => {
                for change in changes {
                    say!(
                        "Updated {} {} -> {} in Cargo.lock, to fit autogen's requirements",
                        change.name,
                        change.before.join(", "),
                        change.after.join(", ")
                    );
                }
            }
            Err(e) => lock_error = Some(e),
        }
    }
    if let Some(profile) = done.dev_profile.as_ref().filter(|p| !p.added.is_empty()) {
        say!(
            "Setting {} in {}, to shorten the rebuild after a new revision ... done",
            profile.added.join(", "),
            profile.manifest.display()
        );
    }
    if done.entities.is_empty() {
        say!(
            "Found no entity crate (a package that depends on sea-orm and defines entities); \
             set `entities` in autogen.toml to the directory of your entity sources."
        );
    }
    for found in &done.entities {
        say!(
            "Reading the entities of {} from {} (`entities` in autogen.toml), with no build: {}",
            found.package,
            init::path_from(&base, &found.src),
            found.modules.join(", ")
        );
    }
    if let Some(error) = lock_error {
        return Err(error);
    }
    // Looking into the database only serves this last line.
    if !console.quiet {
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        println!(
            "{}",
            runtime.block_on(init::next_step(&base.join(crate::config::FILE_NAME)))
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn execute(project: &Project, cli: Cli, console: &Console) -> Result<ExitCode> {
    match cli.command {
        Command::Init {
            dir,
            autogen_path,
            template,
        } => return run_init(dir.as_deref(), autogen_path, template, console),
        Command::Completions { shell } => return completions(shell),
        _ => {}
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
    console.detail(format_args!("Using configuration {}", config.path.display()));
    let database = match &cli.command {
        Command::Inspect { url: Some(url), .. } => DatabaseUrl::new(url, UrlOrigin::Option("--url")),
        _ => config.database_url.clone(),
    };
    console.detail(format_args!(
        "Using database {database} (from {})",
        database.origin()
    ));
    // Only the commands that compare with the entities read them: an entity
    // that cannot be read must not stop an upgrade.
    let compares_entities = matches!(
        cli.command,
        Command::Revision { autogenerate: true, .. } | Command::Check { .. } | Command::Reconcile { .. }
    );
    let resolved;
    let project = if compares_entities {
        let (with_entities, left_out) = match (crate::entities::resolve(project, &config), &cli.command) {
            (Ok(resolved), _) => resolved,
            // `check` cannot tell (exit 2), and says so in JSON when asked for JSON.
            (
                Err(e),
                Command::Check {
                    offline,
                    format: CheckFormat::Json,
                },
            ) if !console.quiet => {
                println!("{:#}", check::json_error(check::Source::of(*offline), &e));
                return Ok(ExitCode::from(2));
            }
            (Err(e), _) => return Err(e),
        };
        for file in left_out.undeclared {
            console.warn(format_args!(
                "{} declares an entity, but no `mod` of its crate declares the file, so the application \
                 does not have it: its table counts as one with no entity, which autogenerate would drop; \
                 declare the module, or delete the file",
                file.display()
            ));
        }
        for exclude in left_out.unmatched_excludes {
            console.warn(format_args!(
                "`entities_exclude` names {}, which is no file or directory of the entity sources",
                exclude.display()
            ));
        }
        resolved = with_entities;
        &resolved
    } else {
        project
    };
    let verbose = cli.verbose;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let mut out = std::io::stdout().lock();
    let lines = |out: &mut dyn std::io::Write, lines: Vec<String>| -> Result<()> {
        for line in lines {
            writeln!(out, "{line}")?;
        }
        Ok(())
    };
    match cli.command {
        Command::Init { .. } | Command::Completions { .. } => unreachable!("handled above"),
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
            fill,
        } => {
            if autogenerate {
                warn_about_unregistered(project, &config, console);
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
                fills: fill,
            };
            let outcome = runtime
                .block_on(command::revision(project, &config, &options))
                .inspect_err(|e| {
                    // What was refused goes above why.
                    if let Some(refused) = e.downcast_ref::<command::Refused>() {
                        found(&refused.comparison, console);
                    }
                })?;
            if let Some(comparison) = &outcome.comparison {
                found(comparison, console);
            }
            if let Some(warning) = &outcome.format_warning {
                console.warn(format_args!("the revision is shown unformatted: {warning}"));
            }
            let refused = outcome
                .comparison
                .as_ref()
                .is_some_and(|c| !c.destructive.is_empty())
                && !(options.allow_destructive || config.allow_destructive);
            match (&outcome.path, &outcome.preview) {
                (Some(_), _) => report_written(&outcome, console, &mut out)?,
                (None, Some(preview)) => {
                    write!(out, "{preview}")?;
                    if refused {
                        console.progress(
                            "note: without --dry-run this revision would be refused until \
                             --allow-destructive is given",
                        );
                    }
                }
                (None, None) if console.quiet => {}
                (None, None) => writeln!(
                    out,
                    "No changes in schema detected; no revision written (--allow-empty writes one anyway)."
                )?,
            }
        }
        Command::Upgrade { target, run } => {
            migrate(project, &config, &runtime, console, Direction::Up, &target, &run)?
        }
        Command::Downgrade { target, run } => migrate(
            project,
            &config,
            &runtime,
            console,
            Direction::Down,
            &target,
            &run,
        )?,
        Command::Current => {
            lines(
                &mut out,
                runtime.block_on(command::current(project, &config, verbose))?,
            )?;
            warn_about_modified(project, &config, &runtime, console);
        }
        Command::History {
            rev_range,
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
        Command::Heads => lines(&mut out, command::heads(project, verbose)?)?,
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
            let outcome = command::merge(project, &config, &revisions, &options)?;
            report_written(&outcome, console, &mut out)?;
        }
        Command::Stamp {
            target,
            accept_checksum: true,
            ..
        } => {
            let id = runtime.block_on(command::accept_checksum(project, &config, &target))?;
            console.progress(format_args!(
                "Recorded the ops of revision {id} as they are now as the ones it was applied with"
            ));
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
                console.progress(format_args!("Stamped {at}"));
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
            baseline(project, &config, &runtime, &options, console, &mut out)?
        }
        Command::Reconcile { dry_run } => reconcile(project, &config, &runtime, dry_run, console, &mut out)?,
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
        Command::Check { offline, format } => {
            let quiet = console.quiet;
            if !quiet {
                warn_about_unregistered(project, &config, console);
            }
            let source = check::Source::of(offline);
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
            warn_about_set_aside(&comparison, console);
            if !offline {
                warn_about_modified(project, &config, &runtime, console);
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
            let report = |step: &crate::verify::VerifyStep| console.progress(step);
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

/// After `revision` or `merge` wrote a file: where, and each post-write hook
/// that failed on it (`--verbose`: each that ran).
fn report_written(
    outcome: &command::RevisionOutcome,
    console: &Console,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let path = outcome.path.as_ref().expect("a revision was written").display();
    if !console.quiet {
        writeln!(out, "Generating {path} ... done")?;
    }
    for run in &outcome.hooks {
        match &run.failure {
            None => console.detail(format_args!("Ran post-write hook `{}` on {path}", run.hook)),
            Some(failure) => console.warn(format_args!(
                "post-write hook `{}` failed on {path}: {failure}; the revision is written as rendered. \
                 Fix the hook or change post_write_hooks in autogen.toml ([] runs none)",
                run.hook
            )),
        }
    }
    Ok(())
}

/// Before comparing: the entity modules that exist but were not registered
/// (their tables would read as "drop this").
fn warn_about_unregistered(project: &Project, config: &Config, console: &Console) {
    // A URL autogen cannot use fails the command right after, with the reason.
    let Ok(dialect) = config.database_url.dialect() else {
        return;
    };
    for entity in project.entities.unregistered(dialect) {
        let table = entity.table.map_or(String::new(), |t| format!(" (table '{t}')"));
        console.warn(format_args!(
            "entity module `{}`{table} is not registered; autogenerate compares only registered \
             entities, so register it with `.entity({}::Entity)` in the migration crate's main.rs",
            entity.module, entity.module
        ));
    }
}

/// After `current`, `check`, `upgrade` and `downgrade` reached the
/// database: the applied revisions whose files were edited since they ran,
/// so the database does not hold what they now say. (After, so that a
/// database that cannot be reached is waited for once, by the command.)
fn warn_about_modified(
    project: &Project,
    config: &Config,
    runtime: &tokio::runtime::Runtime,
    console: &Console,
) {
    // A warning that cannot be worked out is no reason to fail a command that worked.
    let Ok(modified) = runtime.block_on(command::modified_revisions(project, config)) else {
        return;
    };
    for node in modified {
        console.warn(format_args!(
            "revision {id} ({message}, {path}) was modified after it was applied: its ops are not \
             the ones this database ran. Revert the edit and put the change in a new revision, or, if the \
             database already matches the edited revision, run `autogen stamp {id} --accept-checksum`",
            id = node.id(),
            message = node.message(),
            path = node.module.path,
        ));
    }
}

/// What `revision --autogenerate` found, written or refused: the entities
/// it set aside, then the `Detected …` lines with their warnings.
fn found(comparison: &crate::compare::Comparison, console: &Console) {
    warn_about_set_aside(comparison, console);
    console.detected(comparison.report());
    for note in crate::compare::undeclarable_drops(comparison) {
        console.warn(note);
    }
}

/// After comparing: the entities in another database schema than the one compared.
fn warn_about_set_aside(comparison: &crate::compare::Comparison, console: &Console) {
    for entity in &comparison.set_aside {
        console.warn(format_args!(
            "table '{}' is in schema '{}', and autogen compares one schema ('{}'); \
             it is left out of this comparison",
            entity.table, entity.schema, comparison.schema
        ));
    }
}

/// From how many revisions a run numbers its steps and says how long it
/// took: a few lines need no counting.
const MANY_STEPS: usize = 10;

/// `upgrade` or `downgrade`: run it, or with `--sql` print it.
fn migrate(
    project: &Project,
    config: &Config,
    runtime: &tokio::runtime::Runtime,
    console: &Console,
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
        let started = std::time::Instant::now();
        let total = runtime
            .block_on(command::plan(project, config, direction, target))?
            .len();
        let many = total >= MANY_STEPS;
        let mut number = 0;
        let report = |step: &autogen_migrate::Step| {
            number += 1;
            if many {
                console.progress(format_args!("{step} ({number}/{total})"));
            } else {
                console.progress(step);
            }
        };
        let steps = runtime.block_on(async {
            match direction {
                Direction::Up => command::upgrade(project, config, target, run.options(), report).await,
                Direction::Down => command::downgrade(project, config, target, run.options(), report).await,
            }
        })?;
        if many {
            console.progress(format_args!(
                "Ran {} revisions in {:.1} s",
                steps.len(),
                started.elapsed().as_secs_f64()
            ));
        }
        warn_about_modified(project, config, runtime, console);
    }
    Ok(())
}

/// `baseline`: what it found, then the file written and the stamp, or with `--dry-run` the file.
fn baseline(
    project: &Project,
    config: &Config,
    runtime: &tokio::runtime::Runtime,
    options: &BaselineOptions,
    console: &Console,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let outcome = runtime.block_on(command::baseline(project, config, options))?;
    let revision = &outcome.revision;
    if let Some(comparison) = &revision.comparison {
        console.detected(comparison.report());
    }
    if let Some(warning) = &revision.format_warning {
        console.warn(format_args!("the revision is shown unformatted: {warning}"));
    }
    match (&revision.path, &revision.preview) {
        (Some(_), _) => {
            report_written(revision, console, out)?;
            console.progress(format_args!("Stamped {}", outcome.id));
        }
        (None, preview) => write!(out, "{}", preview.as_deref().unwrap_or_default())?,
    }
    Ok(())
}

fn reconcile(
    project: &Project,
    config: &Config,
    runtime: &tokio::runtime::Runtime,
    dry_run: bool,
    console: &Console,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let outcome = runtime.block_on(crate::reconcile::reconcile(project, config, !dry_run))?;
    for line in &outcome.resolved {
        writeln!(out, "Resolved {line}")?;
    }
    for line in &outcome.for_revision {
        console.progress(format_args!(
            "Left for `autogen revision --autogenerate`: {line} (the entities declare it, the database lacks it)"
        ));
    }
    if dry_run {
        for file in &outcome.files {
            write!(out, "{}", file.diff())?;
        }
    } else {
        for file in &outcome.files {
            console.progress(format_args!("Wrote {}", file.path.display()));
        }
    }
    if outcome.resolved.is_empty() && outcome.by_hand.is_empty() {
        console.progress("The entities already say what the database has; nothing to reconcile.");
    } else if dry_run {
        console.progress("Nothing was written (--dry-run).");
    } else if outcome.by_hand.is_empty() {
        console.progress("Run `autogen check` to confirm.");
    }
    if !outcome.by_hand.is_empty() {
        bail!(
            "{} difference{} need{} a hand:\n{}",
            outcome.by_hand.len(),
            if outcome.by_hand.len() == 1 { "" } else { "s" },
            if outcome.by_hand.len() == 1 { "s" } else { "" },
            outcome
                .by_hand
                .iter()
                .map(|line| format!("  {line}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
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
    use clap::{CommandFactory as _, Parser as _};
    use sea_orm::{DbErr, RuntimeErr};

    use super::{describe_error, Cli};

    #[test]
    fn every_subcommand_shows_examples_that_parse() {
        for subcommand in Cli::command().get_subcommands() {
            let name = subcommand.get_name();
            if name == "help" {
                continue;
            }
            let help = Cli::try_parse_from(["autogen", name, "--help"])
                .unwrap_err()
                .to_string();
            let examples = help
                .split_once("\nExamples:\n")
                .unwrap_or_else(|| panic!("`autogen {name} --help` has no Examples:\n{help}"))
                .1;
            let commands: Vec<&str> = examples
                .lines()
                .map(str::trim)
                .filter(|line| !line.starts_with('#'))
                .collect();
            assert!(!commands.is_empty(), "`autogen {name} --help` shows no example");
            for command in commands {
                assert!(
                    command.starts_with(&format!("autogen {name}")),
                    "{command:?} in `autogen {name} --help` is not an example of it"
                );
                let words = crate::hooks::split_words(command).unwrap();
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("the example {command:?} of `autogen {name}` does not parse:\n{e}");
                }
            }
        }
    }

    #[test]
    fn quiet_and_verbose_are_global_and_exclusive() {
        let cli = Cli::try_parse_from(["autogen", "history", "--verbose"]).unwrap();
        assert!(cli.verbose && !cli.quiet);
        let cli = Cli::try_parse_from(["autogen", "-q", "upgrade", "head"]).unwrap();
        assert!(cli.quiet);
        for args in [
            ["autogen", "-q", "current", "-v"],
            ["autogen", "current", "-q", "-v"],
        ] {
            let both = super::parse(args).unwrap_err();
            assert_eq!(both.kind(), clap::error::ErrorKind::ArgumentConflict);
        }
    }

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

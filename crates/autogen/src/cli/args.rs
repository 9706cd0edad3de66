//! The command line's definition: every command's arguments, from which
//! clap parses, writes `--help` and completes.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use autogen_migrate::RunOptions;

use crate::command::{BaselineOptions, HistoryOptions, InspectFormat, MergeOptions, RevisionOptions};
use crate::config::CONFIG_ENV;
use crate::database::{DatabaseUrl, UrlOrigin};
use crate::init::Template;

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
    Init(InitArgs),
    /// Write a new revision file.
    #[command(after_help = examples(&[
        ("Compare the entities with the database and write what changed", "autogen revision --autogenerate -m \"add user bio\""),
        ("Show that revision without writing it", "autogen revision --autogenerate --dry-run -m \"add user bio\""),
        ("Give existing rows a value for a new NOT NULL column", "autogen revision --autogenerate --fill \"post.slug='untitled'\" -m \"add slug\""),
        ("An empty revision to fill in by hand", "autogen revision -m \"backfill slugs\""),
        ("Start a labelled branch from base", "autogen revision -m \"audit tables\" --head base --branch-label audit"),
    ]))]
    Revision(RevisionOptions),
    /// Apply revisions up to a target: head, heads, +N, <rev>+N, <label>@head, <label>@+N, or a revision.
    #[command(after_help = examples(&[
        ("Apply every revision", "autogen upgrade head"),
        ("Apply the next revision only", "autogen upgrade +1"),
        ("Apply every head of a branched history", "autogen upgrade heads"),
        ("Print the SQL from base to head instead of running it", "autogen upgrade base:head --sql"),
    ]))]
    Upgrade(UpgradeArgs),
    /// Undo revisions down to a target: -N, base, <label>@base, <label>@-N, or a revision.
    #[command(allow_hyphen_values = true, after_help = examples(&[
        ("Undo the last revision", "autogen downgrade -1"),
        ("Undo every revision", "autogen downgrade base"),
        ("Undo the audit branch", "autogen downgrade audit@base"),
        ("Print the SQL from head to base instead of running it", "autogen downgrade head:base --sql"),
    ]))]
    Downgrade(DowngradeArgs),
    /// Drop every table of a development database, then apply every revision (sea-orm-cli's
    /// `migrate fresh`). Refuses a database that is not on this machine.
    #[command(after_help = examples(&[
        ("Rebuild the development database from the history", "autogen fresh"),
        ("The same on a server elsewhere that you know is disposable", "autogen fresh --allow-remote"),
    ]))]
    Fresh(FreshArgs),
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
    History(HistoryOptions),
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
    Show(RevisionArg),
    /// Write a revision that merges several heads into one.
    #[command(after_help = examples(&[
        ("Join every head into one", "autogen merge -m \"join audit branch\" heads"),
        ("Join two revisions", "autogen merge -m \"join\" 3f2a9c1b7d4e 1a2b3c4d5e6f"),
    ]))]
    Merge(MergeOptions),
    /// Record a revision in the version table without running anything.
    #[command(after_help = examples(&[
        ("Mark a database built by other means as up to date", "autogen stamp head"),
        ("Forget every applied revision", "autogen stamp base --purge"),
        ("Accept an applied revision's edited ops the database already matches", "autogen stamp 3f2a9c1b7d4e --accept-checksum"),
    ]))]
    Stamp(StampArgs),
    /// Open a revision file in $VISUAL or $EDITOR.
    #[command(after_help = examples(&[("Open the newest revision", "autogen edit head")]))]
    Edit(RevisionArg),
    /// Exit 0 if the entities and the database (at head) agree, 1 with the differences if not, 2 if it cannot tell.
    #[command(after_help = examples(&[
        ("Do the entities and the database agree?", "autogen check"),
        ("The same against the revision history, no database (pre-commit)", "autogen check --offline"),
        ("The answer as JSON, for tools", "autogen check --format json"),
        ("Only the exit code", "autogen check --quiet"),
    ]))]
    Check(CheckArgs),
    /// Run each revision up to REVISION on a scratch database, up from base and back down, one at a time;
    /// exit 0 if each does what its ops say, 1 naming the first that does not, 2 if it cannot tell.
    #[command(after_help = examples(&[
        ("Every revision, up and back down", "autogen verify"),
        ("The revisions up to one", "autogen verify 3f2a9c1b7d4e"),
    ]))]
    Verify(VerifyArgs),
    /// Adopt a database autogen does not track yet: write a first revision that creates its
    /// schema as it is (other tools' tables, such as seaql_migrations, left out) and stamp it there.
    #[command(after_help = examples(&[
        ("Adopt the database autogen.toml names", "autogen baseline"),
        ("Review the revision first: print it, write and stamp nothing", "autogen baseline --dry-run"),
        ("With a message of your own", "autogen baseline -m \"schema as of v2.3\""),
    ]))]
    Baseline(BaselineOptions),
    /// After a baseline, bring the entities level with the database: write what SeaORM can
    /// express (indexed, unique, unique_key, default_value, default_expr, column_type, comment)
    /// into the entity files, declare the rest in autogen.toml's [declare], and list what needs a hand.
    #[command(after_help = examples(&[
        ("Review every edit as a diff; write nothing", "autogen reconcile --dry-run"),
        ("Write the edits; `autogen check` confirms them", "autogen reconcile"),
    ]))]
    Reconcile(ReconcileArgs),
    /// Print the live database schema.
    #[command(after_help = examples(&[
        ("The configured database's schema", "autogen inspect"),
        ("One table, as JSON", "autogen inspect --table user --format json"),
        ("Any database, no project needed", "autogen inspect --url postgres://app@localhost/app --schema public"),
    ]))]
    Inspect(InspectArgs),
    /// Print a completion script for SHELL (no project needed).
    #[command(after_help = examples(&[
        ("bash: add `source <(autogen completions bash)` to ~/.bashrc", "autogen completions bash"),
        ("zsh: save the output as _autogen in a directory on $fpath", "autogen completions zsh"),
        ("fish: save the output as ~/.config/fish/completions/autogen.fish", "autogen completions fish"),
    ]))]
    Completions(CompletionsArgs),
}

/// `autogen init`'s arguments.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Directory of the new migration crate [default: `migration`, else
    /// `autogen-migration` when sea-orm-migration's crate is there].
    pub dir: Option<PathBuf>,
    /// Depend on a local checkout of autogen instead of crates.io.
    #[arg(long, value_name = "REPO")]
    pub autogen_path: Option<PathBuf>,
    /// The layout to write.
    #[arg(long, value_enum, default_value_t)]
    pub template: Template,
}

/// `autogen upgrade`'s arguments.
#[derive(Debug, clap::Args)]
pub struct UpgradeArgs {
    /// Where to stop; with --sql, a range `<from>:<to>` is allowed.
    #[arg(value_name = "REVISION")]
    pub target: String,
    /// How to run.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `autogen downgrade`'s arguments.
#[derive(Debug, clap::Args)]
pub struct DowngradeArgs {
    /// Where to stop; with --sql, give a range `<from>:<to>`.
    #[arg(value_name = "REVISION")]
    pub target: String,
    /// How to run.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `autogen fresh`'s arguments.
#[derive(Debug, clap::Args)]
pub struct FreshArgs {
    /// Drop the tables even though the database is not on this machine
    /// (its host is not localhost, a loopback address or a socket).
    #[arg(long)]
    pub allow_remote: bool,
}

/// The revision `show` and `edit` name.
#[derive(Debug, clap::Args)]
pub struct RevisionArg {
    /// The revision (an id, a unique prefix, a label, head…).
    #[arg(value_name = "REVISION")]
    pub rev: String,
}

/// `autogen stamp`'s arguments.
#[derive(Debug, clap::Args)]
pub struct StampArgs {
    /// The revision to record (head, heads, base, an id…).
    #[arg(value_name = "REVISION")]
    pub target: String,
    /// Clear the version table first, even of revisions no file declares.
    #[arg(long)]
    pub purge: bool,
    /// Print the SQL instead of running it.
    #[arg(long)]
    pub sql: bool,
    /// Leave the version table as it is and record REVISION's ops as they
    /// are now as the ones it was applied with: for an applied revision
    /// edited since, once the database matches the edit.
    #[arg(long, conflicts_with_all = ["purge", "sql"])]
    pub accept_checksum: bool,
}

/// `autogen check`'s arguments.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Compare with the revision history replayed into the schema model
    /// instead of a database: nothing to connect to (pre-commit hooks).
    #[arg(long)]
    pub offline: bool,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Leave this lock risk (AG201 to AG211) out of the report. Repeatable;
    /// adds to `[online] allow`.
    #[arg(long = "allow", value_name = "CODE", value_parser = crate::command::lock_code)]
    pub allow: Vec<autogen_schema::LockKind>,
}

/// `autogen verify`'s arguments.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The last revision to verify (an id, a unique prefix, a label, head…).
    #[arg(value_name = "REVISION", default_value = "head")]
    pub target: String,
}

/// `autogen reconcile`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// Print the edits as unified diffs instead of writing them.
    #[arg(long)]
    pub dry_run: bool,
}

/// `autogen inspect`'s arguments.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The database to read instead of autogen.toml's (no project needed).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The PostgreSQL schema to read (default: autogen.toml's `schema`, else current_schema()).
    #[arg(long, value_name = "SCHEMA")]
    pub schema: Option<String>,
    /// Only this table (repeatable).
    #[arg(long, value_name = "TABLE")]
    pub table: Vec<String>,
    /// Text, or JSON for tools.
    #[arg(long, value_enum, default_value_t)]
    pub format: InspectFormat,
}

impl InspectArgs {
    /// The database `--url` names, if it does.
    pub(crate) fn database_url(&self) -> Option<DatabaseUrl> {
        self.url.as_ref().map(|url| DatabaseUrl::new(url, UrlOrigin::Option("--url")))
    }
}

/// `autogen completions`'s arguments.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
#[derive(Debug, Default, clap::Args)]
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
    /// The run's options, lock-safe revisions waiting for locks as `config` says.
    pub(super) fn options(&self, config: &crate::config::Config) -> RunOptions {
        RunOptions {
            single_transaction: self.single_transaction,
            tag: self.tag.clone(),
            lock_wait: config.online.lock_wait.clone(),
        }
    }
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

//! Every command as a function, for the CLI and for applications that
//! migrate on start-up:
//!
//! ```no_run
//! # async fn start(project: autogen::Project) -> anyhow::Result<()> {
//! let config = autogen::config::Config::discover(None, None)?;
//! autogen::command::upgrade(&project, &config, "head", Default::default(), |step| eprintln!("{step}")).await?;
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context as _, Result};
use autogen_codegen::{RevisionHeader, RevisionTemplate, RunMode};
use autogen_migrate::{Direction, Graph, MigrateError, Migrator, Node, RunOptions, Step};
use autogen_schema::{DefaultValue, DestructiveKind, Dialect, Op};

use crate::compare::{compare_database, compare_with_empty, CompareOptions, Comparison, LockPolicy};
use crate::config::Config;
use crate::database::{self, Access, DatabaseUrl, Unavailable};
use crate::listing;
use crate::Project;

/// The project's revision graph, checked.
pub fn graph(project: &Project) -> Result<Graph> {
    Ok(Graph::new(project.versions.revisions)?)
}

/// Connects to the configured database for a migration run (or a look at
/// its version table, with [`Access::Read`]), within the configured connect
/// and lock timeouts. The migrator reads the schema with `autogen-introspect`
/// when a revision written for another backend needs a table rebuilt on SQLite.
pub async fn connect<'g>(
    graph: &'g Graph,
    config: &Config,
    access: Access,
) -> Result<Migrator<'g>, Unavailable> {
    let migrator = database::connect(&config.database_url, access, config.connect_timeout, |options| {
        Migrator::connect(graph, options)
    })
    .await?;
    Ok(migrator
        .with_schema_reader(introspecting_reader())
        .with_lock_timeout(config.lock_timeout)
        .with_lock_wait(config.online.lock_wait.clone()))
}

/// What the migrator reads the schema with: `autogen-introspect`.
pub(crate) fn introspecting_reader() -> autogen_migrate::SchemaReader {
    std::sync::Arc::new(|db| {
        Box::pin(async move {
            autogen_introspect::introspect(db)
                .await
                .map_err(|e| e.to_string())
        })
    })
}

/// A run that waited too long for another run's lock could not use the
/// database, as one that could not connect; other failures are its own.
fn unavailable_if_locked(config: &Config, error: MigrateError) -> anyhow::Error {
    match error {
        MigrateError::Locked { .. } => Unavailable::Locked {
            url: config.database_url.to_string(),
            reason: error.to_string(),
        }
        .into(),
        other => other.into(),
    }
}

/// Applies revisions up to `target`, calling `report` before each one runs.
pub async fn upgrade(
    project: &Project,
    config: &Config,
    target: &str,
    options: RunOptions,
    report: impl FnMut(&Step),
) -> Result<Vec<Step>> {
    migrate(project, config, Direction::Up, target, options, report).await
}

/// Undoes revisions down to `target`, calling `report` before each one runs.
pub async fn downgrade(
    project: &Project,
    config: &Config,
    target: &str,
    options: RunOptions,
    report: impl FnMut(&Step),
) -> Result<Vec<Step>> {
    migrate(project, config, Direction::Down, target, options, report).await
}

/// The revisions `upgrade`/`downgrade <target>` would run from where the
/// database is now, running nothing. It connects as the run it precedes
/// does: a missing SQLite file is created.
pub async fn plan(
    project: &Project,
    config: &Config,
    direction: Direction,
    target: &str,
) -> Result<Vec<Step>> {
    let graph = graph(project)?;
    let migrator = connect(&graph, config, Access::Write).await?;
    Ok(migrator.plan(direction, target).await?)
}

async fn migrate(
    project: &Project,
    config: &Config,
    direction: Direction,
    target: &str,
    options: RunOptions,
    report: impl FnMut(&Step),
) -> Result<Vec<Step>> {
    let graph = graph(project)?;
    let migrator = connect(&graph, config, Access::Write).await?;
    migrator
        .migrate(direction, target, options, report)
        .await
        .map_err(|e| unavailable_if_locked(config, e))
}

/// The SQL `upgrade`/`downgrade <range>` would run, for the configured
/// dialect, without connecting.
pub fn migrate_sql(
    project: &Project,
    config: &Config,
    direction: Direction,
    range: &str,
    options: RunOptions,
) -> Result<String> {
    let graph = graph(project)?;
    let dialect = config.database_url.dialect()?;
    Ok(autogen_migrate::script(
        &graph, dialect, direction, range, options,
    )?)
}

/// Records `target` in the version table without running revisions; returns the heads recorded.
pub async fn stamp(project: &Project, config: &Config, target: &str, purge: bool) -> Result<Vec<String>> {
    let graph = graph(project)?;
    let migrator = connect(&graph, config, Access::Write).await?;
    migrator
        .stamp(target, purge)
        .await
        .map_err(|e| unavailable_if_locked(config, e))
}

/// Records the checksum revision `rev`'s ops have now as the one it was
/// applied with, running nothing (`stamp <rev> --accept-checksum`); returns its id.
pub async fn accept_checksum(project: &Project, config: &Config, rev: &str) -> Result<String> {
    let graph = graph(project)?;
    let migrator = connect(&graph, config, Access::Write).await?;
    migrator
        .accept_checksum(rev)
        .await
        .map_err(|e| unavailable_if_locked(config, e))
}

/// The applied revisions whose ops changed since they were applied (their
/// files were edited), in the order they were applied.
pub async fn modified_revisions(project: &Project, config: &Config) -> Result<Vec<Node>> {
    let graph = graph(project)?;
    let migrator = connect(&graph, config, Access::Read).await?;
    Ok(migrator.modified().await?.into_iter().cloned().collect())
}

/// The SQL `stamp <target>` would run, without connecting.
pub fn stamp_sql(project: &Project, config: &Config, target: &str) -> Result<String> {
    let graph = graph(project)?;
    let dialect = config.database_url.dialect()?;
    Ok(autogen_migrate::stamp_script(&graph, dialect, target)?)
}

/// The revisions the database is at.
pub async fn current_heads(project: &Project, config: &Config) -> Result<Vec<String>> {
    let graph = graph(project)?;
    let migrator = connect(&graph, config, Access::Read).await?;
    Ok(migrator.current().await?)
}

/// `autogen current`: the revisions the database is at, as Alembic prints
/// them (`ae1027a6acf5 (head)`), or their verbose blocks.
pub async fn current(project: &Project, config: &Config, verbose: bool) -> Result<Vec<String>> {
    let graph = graph(project)?;
    let heads = current_heads(project, config).await?;
    let nodes = heads.iter().filter_map(|id| graph.get(id));
    Ok(if verbose {
        std::iter::once(format!("Current revision(s) for {}:", config.database_url))
            .chain(nodes.map(|n| listing::verbose(n, None)))
            .collect()
    } else {
        nodes.map(|n| listing::marked_id(n, None)).collect()
    })
}

/// What `history` lists: `autogen history`'s arguments.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct HistoryOptions {
    /// Only this range, `<from>:<to>` (either end may be empty or `current`).
    #[arg(short, long = "rev-range", value_name = "RANGE", allow_hyphen_values = true)]
    pub range: Option<String>,
    /// Full blocks instead of one line each (the command line's global `--verbose`).
    #[arg(skip)]
    pub verbose: bool,
    /// Mark the revisions the database is at.
    #[arg(short, long)]
    pub indicate_current: bool,
}

/// `autogen history`: revisions newest first, as Alembic lists them.
pub async fn history(project: &Project, config: &Config, options: &HistoryOptions) -> Result<Vec<String>> {
    let graph = graph(project)?;
    let needs_db =
        options.indicate_current || options.range.as_deref().is_some_and(|r| r.contains("current"));
    let current = if needs_db {
        current_heads(project, config).await?
    } else {
        Vec::new()
    };
    let shown = match &options.range {
        None => None,
        Some(range) => Some(history_range(&graph, &current, range)?),
    };
    let marked: BTreeSet<String> = current.iter().cloned().collect();
    let indicate = options.indicate_current.then_some(&marked);
    Ok(graph
        .newest_first()
        .into_iter()
        .filter(|n| shown.as_ref().is_none_or(|s| s.contains(n.id())))
        .map(|n| {
            if options.verbose {
                listing::verbose(n, indicate)
            } else {
                listing::line(n, indicate)
            }
        })
        .collect())
}

/// The revisions of `<from>:<to>`: `to` and what it requires, back to and including `from`.
fn history_range(graph: &Graph, current: &[String], range: &str) -> Result<BTreeSet<String>> {
    let (from, to) = range
        .split_once(':')
        .with_context(|| format!("history range {range:?} should be <from>:<to>, e.g. base:head or ae10:"))?;
    let end = |spec: &str| -> Result<BTreeSet<String>> {
        Ok(match spec {
            "" | "heads" => graph.ancestors(graph.heads().into_iter().map(Node::id)),
            "current" => graph.ancestors(current.iter().map(String::as_str)),
            spec => match graph.resolve_target(current, spec)? {
                None => BTreeSet::new(),
                Some(node) => graph.ancestors([node.id()]),
            },
        })
    };
    let upto = end(to)?;
    let (before, from_node) = match from {
        "" | "base" => (BTreeSet::new(), None),
        "current" => (end("current")?, None),
        spec => {
            let node = graph
                .resolve_target(current, spec)?
                .with_context(|| format!("history range {range:?} starts nowhere"))?;
            (graph.ancestors([node.id()]), Some(node.id().to_owned()))
        }
    };
    let mut shown: BTreeSet<String> = upto.difference(&before).cloned().collect();
    if let Some(from) = from_node {
        // From a revision: only what grows from it, not the other branches.
        shown = shown.intersection(&graph.descendants(&from)).cloned().collect();
        if upto.contains(&from) {
            shown.insert(from);
        }
    }
    Ok(shown)
}

/// `autogen heads`: the heads of the revision graph.
pub fn heads(project: &Project, verbose: bool) -> Result<Vec<String>> {
    let graph = graph(project)?;
    Ok(graph
        .heads()
        .into_iter()
        .map(|n| {
            if verbose {
                listing::verbose(n, None)
            } else {
                listing::marked_id(n, None)
            }
        })
        .collect())
}

/// `autogen branches`: every branch point and the branches it starts.
pub fn branches(project: &Project) -> Result<Vec<String>> {
    Ok(listing::branches(&graph(project)?))
}

/// `autogen show <rev>`: one revision's verbose block.
pub fn show(project: &Project, rev: &str) -> Result<String> {
    let graph = graph(project)?;
    let node = graph
        .resolve_target(&[], rev)?
        .with_context(|| format!("`{rev}` is base, which is not a revision"))?;
    Ok(listing::verbose(node, None))
}

/// The file of revision `rev`, for `autogen edit`.
pub fn revision_path(project: &Project, rev: &str) -> Result<PathBuf> {
    let graph = graph(project)?;
    let node = graph
        .resolve_target(&[], rev)?
        .with_context(|| format!("`{rev}` is base, which is not a revision"))?;
    Ok(PathBuf::from(node.module.path))
}

/// How `inspect` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum InspectFormat {
    /// One object per line.
    #[default]
    Text,
    /// The schema model as JSON.
    Json,
}

/// `autogen inspect`: the live schema at `url` (only `tables`, if any are named;
/// on PostgreSQL, of `schema` if named), connecting within `connect_timeout`.
pub async fn inspect(
    url: &DatabaseUrl,
    connect_timeout: std::time::Duration,
    schema: Option<&str>,
    tables: &[String],
    format: InspectFormat,
) -> Result<String> {
    // Two connections let the catalog queries run side by side; each more
    // costs a server process that warms its own catalog caches (measured in BENCHMARKS.md).
    let db = database::open(url, Access::Read, connect_timeout, 2).await?;
    let dialect = autogen_introspect::dialect(&db);
    let options = autogen_introspect::Options {
        schema: schema.map(str::to_owned),
        ..Default::default()
    };
    let mut schema = autogen_introspect::introspect_with(&db, &options).await?;
    if let Some(missing) = tables.iter().find(|t| schema.table(t).is_none()) {
        bail!("no table '{missing}' in {url}");
    }
    if !tables.is_empty() {
        schema.retain_tables(|t| tables.iter().any(|wanted| wanted == t));
        schema.enums.clear();
    }
    Ok(match format {
        InspectFormat::Text => crate::inspect::text(&schema, dialect),
        InspectFormat::Json => serde_json::to_string_pretty(&schema)? + "\n",
    })
}

/// What `revision` asks for: `autogen revision`'s arguments. autogen.toml's
/// `allow_destructive` and `allow_unregistered_drops` allow what the flags
/// of those names allow.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct RevisionOptions {
    /// The revision's message.
    #[arg(short, long, default_value = "")]
    pub message: String,
    /// Fill in the ops by comparing the entities with the database.
    #[arg(long)]
    pub autogenerate: bool,
    /// Write a file even when autogenerate detects no changes.
    #[arg(long, requires = "autogenerate")]
    pub allow_empty: bool,
    /// Let autogenerate drop the table of an entity module that exists but is not registered
    /// (entities read compiled, with the `entity-registry` feature).
    #[arg(long, requires = "autogenerate")]
    pub allow_unregistered_drops: bool,
    /// Let autogenerate write ops that can lose data or fail on existing
    /// rows (dropped tables or columns, narrowed types, columns made or
    /// added NOT NULL with no value for the rows, removed enum labels,
    /// dropped unique keys); without it such a revision is refused.
    #[arg(long, requires = "autogenerate")]
    pub allow_destructive: bool,
    /// Print the revision instead of writing it.
    #[arg(long)]
    pub dry_run: bool,
    /// Use this revision id instead of a random one.
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,
    /// The revision to build on (`base` starts a new root); needed when there are several heads.
    #[arg(long, value_name = "REVISION")]
    pub head: Option<String>,
    /// Allow --head to be a revision that is not a head, starting a branch there.
    #[arg(long, requires = "head")]
    pub splice: bool,
    /// A label for the branch this revision starts (repeatable).
    #[arg(long = "branch-label", value_name = "LABEL")]
    pub branch_labels: Vec<String>,
    /// A revision or branch label this one depends on (repeatable).
    #[arg(long, value_name = "REVISION")]
    pub depends_on: Vec<String>,
    /// A directory under src/versions to write the file to.
    #[arg(long, value_name = "DIR")]
    pub version_path: Option<PathBuf>,
    /// A one-off value for the rows a table already has, where autogenerate
    /// adds a NOT NULL column with no default (AG107) or makes one NOT NULL
    /// (AG104): rows holding NULL get it first; it is not kept as the
    /// column's default. VALUE is a SQL literal or expression ('text', 0,
    /// TRUE, CURRENT_TIMESTAMP). Repeatable.
    #[arg(long = "fill", value_name = "TABLE.COLUMN=VALUE", requires = "autogenerate")]
    pub fills: Vec<Fill>,
    /// Write a lock-safe revision (`op.lock_safe()`), whatever `[online]
    /// lock_safe` says: on PostgreSQL and MariaDB its changes keep writes
    /// going where they can, and autogenerate refuses those that cannot
    /// unless allowed.
    #[arg(long, conflicts_with = "no_lock_safe")]
    pub lock_safe: bool,
    /// Write a plain revision, whatever `[online] lock_safe` says.
    #[arg(long)]
    pub no_lock_safe: bool,
    /// Let autogenerate write a change carrying this lock risk (AG201 to
    /// AG211) without a warning, or in lock-safe mode without refusing.
    /// Repeatable; adds to `[online] allow`.
    #[arg(long = "allow", value_name = "CODE", value_parser = lock_code)]
    pub allow: Vec<autogen_schema::LockKind>,
}

/// A lock risk's code, as `--allow` takes it.
pub(crate) fn lock_code(code: &str) -> Result<autogen_schema::LockKind, String> {
    autogen_schema::LockKind::from_code(code)
        .ok_or_else(|| format!("{code:?} is not a lock risk code; they run from AG201 to AG211"))
}

impl RevisionOptions {
    /// How the revision runs and what it may carry: `[online]`, with this
    /// run's flags over it.
    pub fn lock_policy(&self, config: &Config) -> LockPolicy {
        let mut policy = LockPolicy::of(config);
        if self.lock_safe {
            policy.mode = autogen_schema::DdlMode::LockSafe;
        }
        if self.no_lock_safe {
            policy.mode = autogen_schema::DdlMode::Plain;
        }
        policy.allow.extend(self.allow.iter().copied());
        policy
    }
}

/// A one-off value for a column's existing rows, given as
/// `TABLE.COLUMN=VALUE` (Django's "provide a one-off default"): the revision
/// fills the rows holding NULL with it before the column becomes NOT NULL,
/// and it never becomes the column's default.
#[derive(Clone, Debug, PartialEq)]
pub struct Fill {
    /// Table name.
    pub table: String,
    /// Column name.
    pub column: String,
    /// The value, a SQL literal or expression.
    pub value: DefaultValue,
}

impl FromStr for Fill {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let example = "e.g. --fill post.slug='untitled' or --fill post.views=0";
        let (target, value) = text
            .split_once('=')
            .ok_or_else(|| format!("'{text}' is not TABLE.COLUMN=VALUE ({example})"))?;
        let (table, column) = target
            .trim()
            .rsplit_once('.')
            .filter(|(table, column)| !table.is_empty() && !column.is_empty())
            .ok_or_else(|| format!("'{target}' is not TABLE.COLUMN ({example})"))?;
        // Standard SQL literals, as SQLite reads them: no casts, no backslash escapes.
        let value = Dialect::Sqlite.parse_default(value);
        match &value {
            DefaultValue::Null => return Err(format!("NULL fills nothing; give '{target}' a value ({example})")),
            // A bare word would run as a column name.
            DefaultValue::Expr(sql) if !sql.contains('(') && !sql.to_ascii_uppercase().starts_with("CURRENT_") => {
                return Err(format!(
                    "{sql} is not a value: quote text ('{sql}'), or give a number, TRUE, FALSE or an \
                     expression such as CURRENT_TIMESTAMP"
                ))
            }
            _ => {}
        }
        Ok(Fill {
            table: table.to_owned(),
            column: column.to_owned(),
            value,
        })
    }
}

/// What `revision` did.
#[derive(Clone, Debug)]
pub struct RevisionOutcome {
    /// What autogenerate compared and found (`None` for a hand-written revision).
    pub comparison: Option<Comparison>,
    /// The file written, unless autogenerate found nothing or it was a dry run.
    pub path: Option<PathBuf>,
    /// With `dry_run`, the revision that would have been written.
    pub preview: Option<String>,
    /// Set if rustfmt could not format a dry run's preview (it is shown unformatted).
    pub format_warning: Option<String>,
    /// Each post-write hook run on the file written, and why it failed if it
    /// did (the file is kept either way).
    pub hooks: Vec<HookRun>,
}

/// One post-write hook run on a new revision file.
#[derive(Clone, Debug)]
pub struct HookRun {
    /// The hook's command line, as autogen.toml gives it.
    pub hook: String,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

/// Autogenerate found what it may not write unless allowed: changes that
/// can lose data, or drops of tables whose entity module is not registered.
/// The comparison comes with the reason, so the caller can show what was
/// found before why it was refused.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct Refused {
    /// What autogenerate compared and found.
    pub comparison: Comparison,
    /// Why it refused, and how to allow it.
    pub reason: String,
}

/// Writes a new revision; with `autogenerate`, its ops are what turns the
/// database into the entities. Fails with [`Refused`] when they include
/// changes not allowed.
pub async fn revision(
    project: &Project,
    config: &Config,
    options: &RevisionOptions,
) -> Result<RevisionOutcome> {
    let graph = graph(project)?;
    let parents = revision_parents(&graph, options)?;
    // Before autogenerate's comparison, so a broken template costs no wait.
    let template = revision_template(config)?;
    let comparison = if options.autogenerate {
        // The first revision of a new SQLite project is made before the file exists.
        let compare = options.fills.iter().fold(config.compare_options(project.compare.clone()), |compare, fill| {
            compare.fill(&fill.table, &fill.column, fill.value.clone())
        });
        let mut comparison = autogenerate(project, config, &graph, Access::Write, compare).await?;
        comparison.lock_policy = options.lock_policy(config);
        refuse_unused_fills(&options.fills, &comparison)?;
        if let Some(reason) = refusal(project, config, options, &comparison) {
            return Err(Refused { comparison, reason }.into());
        }
        Some(comparison)
    } else {
        None
    };
    let nothing_found = comparison.as_ref().is_some_and(|c| c.upgrade.is_empty());
    if nothing_found && !options.allow_empty {
        return Ok(RevisionOutcome {
            comparison,
            path: None,
            preview: None,
            format_warning: None,
            hooks: Vec::new(),
        });
    }
    let mut outcome = write_revision(
        project,
        config,
        &graph,
        &template,
        options,
        parents,
        comparison.as_ref(),
    )?;
    outcome.comparison = comparison;
    Ok(outcome)
}

/// What `baseline` asks for: `autogen baseline`'s arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct BaselineOptions {
    /// The revision's message.
    #[arg(short, long, default_value = BASELINE_MESSAGE)]
    pub message: String,
    /// Use this revision id instead of a random one.
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,
    /// Print the revision instead of writing it; nothing is stamped.
    #[arg(long)]
    pub dry_run: bool,
}

/// A baseline's message unless one is given.
const BASELINE_MESSAGE: &str = "baseline";

impl Default for BaselineOptions {
    fn default() -> Self {
        Self {
            message: BASELINE_MESSAGE.to_owned(),
            rev_id: None,
            dry_run: false,
        }
    }
}

/// What `baseline` did.
#[derive(Clone, Debug)]
pub struct BaselineOutcome {
    /// The baseline revision's id (with `dry_run`, the one it would have).
    pub id: String,
    /// What was compared, and the file written and stamped (or, with `dry_run`, the preview).
    pub revision: RevisionOutcome,
}

/// `autogen baseline`: adopts a database autogen does not track yet (one
/// sea-orm-migration or hand-written SQL built). Writes the project's first
/// revision, which creates the database's schema as it is (but for other
/// tools' tables, such as `seaql_migrations`), and stamps the database at
/// it without running anything. Refused when the project has revisions or
/// the version table has rows; with `dry_run`, only renders the revision.
/// The file is written before the stamp, and removed if the stamp fails,
/// so a database is never stamped at a revision that does not exist.
pub async fn baseline(
    project: &Project,
    config: &Config,
    options: &BaselineOptions,
) -> Result<BaselineOutcome> {
    let graph = graph(project)?;
    refuse_existing_revisions(&graph)?;
    let template = revision_template(config)?;
    // The database must exist: a missing SQLite file is an error, not created.
    let migrator = connect(&graph, config, Access::Read).await?;
    let recorded = migrator.recorded_versions().await?;
    if !recorded.is_empty() {
        return Err(MigrateError::AlreadyStamped(recorded).into());
    }
    let compare_options = CompareOptions {
        schema: config.schema.clone(),
        tables: config.compare_options(project.compare.clone()),
    };
    let comparison = compare_with_empty(migrator.connection(), &compare_options).await?;
    if comparison.upgrade.is_empty() {
        bail!(
            "the database at {} has no tables to adopt (other migration tools' tables and the ones \
             main.rs excludes are left out); there is nothing to baseline, so start the history with \
             `autogen revision --autogenerate -m \"...\"` instead",
            config.database_url
        );
    }
    // Chosen here, since the stamp names it after write_revision used it.
    let id = match &options.rev_id {
        Some(id) => checked_rev_id(id, &graph)?,
        None => new_rev_id(&graph),
    };
    let revision = RevisionOptions {
        message: options.message.clone(),
        rev_id: Some(id.clone()),
        dry_run: options.dry_run,
        ..RevisionOptions::default()
    };
    let mut outcome = write_revision(
        project,
        config,
        &graph,
        &template,
        &revision,
        Vec::new(),
        Some(&comparison),
    )?;
    outcome.comparison = Some(comparison);
    let Some(path) = &outcome.path else {
        return Ok(BaselineOutcome {
            id,
            revision: outcome,
        });
    };
    if let Err(error) = migrator.stamp_baseline(&id).await {
        let error = unavailable_if_locked(config, error);
        return Err(match std::fs::remove_file(path) {
            Ok(()) => error.context(format!(
                "cannot stamp the database at the baseline, so nothing was stamped and {} was removed",
                path.display()
            )),
            Err(removing) => error.context(format!(
                "cannot stamp the database at the baseline, so nothing was stamped; remove {} \
                 ({removing}) before running `autogen baseline` again",
                path.display()
            )),
        });
    }
    Ok(BaselineOutcome {
        id,
        revision: outcome,
    })
}

/// A baseline describes the whole database, so it must be the first revision.
fn refuse_existing_revisions(graph: &Graph) -> Result<()> {
    let existing: Vec<String> = graph
        .newest_first()
        .into_iter()
        .map(|n| format!("{} ({})", n.id(), n.module.path))
        .collect();
    if !existing.is_empty() {
        bail!(
            "the project already has revisions: {}; a baseline must be the first revision. \
             If they already build this database, record that with `autogen stamp head` instead; \
             otherwise remove them and run `autogen baseline` again",
            existing.join(", ")
        );
    }
    Ok(())
}

/// What `merge` asks for: `autogen merge`'s arguments.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct MergeOptions {
    /// The revisions to merge, or `heads` for all of them.
    #[arg(value_name = "REVISIONS", required = true)]
    pub revisions: Vec<String>,
    /// The merge's message.
    #[arg(short, long, default_value = "")]
    pub message: String,
    /// Use this revision id instead of a random one.
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,
    /// A label for the branch the merge starts (repeatable).
    #[arg(long = "branch-label", value_name = "LABEL")]
    pub branch_labels: Vec<String>,
}

/// `autogen merge`: a revision whose parents are `options.revisions` (or
/// every head), joining their branches. It has no ops of its own.
pub fn merge(project: &Project, config: &Config, options: &MergeOptions) -> Result<RevisionOutcome> {
    let graph = graph(project)?;
    let template = revision_template(config)?;
    let revisions = &options.revisions;
    let parents: Vec<String> = if revisions.iter().any(|r| r == "heads") {
        graph.heads().into_iter().map(|n| n.id().to_owned()).collect()
    } else {
        let mut ids = Vec::new();
        for rev in revisions {
            let node = graph
                .resolve_target(&[], rev)?
                .with_context(|| "base cannot be merged")?;
            ids.push(node.id().to_owned());
        }
        ids
    };
    let distinct: BTreeSet<&String> = parents.iter().collect();
    if distinct.len() < 2 {
        bail!(
            "nothing to merge: a merge needs two or more revisions, and {:?} names {}",
            revisions,
            distinct.len()
        );
    }
    let revision = RevisionOptions {
        message: options.message.clone(),
        rev_id: options.rev_id.clone(),
        branch_labels: options.branch_labels.clone(),
        ..RevisionOptions::default()
    };
    write_revision(project, config, &graph, &template, &revision, parents, None)
}

/// The project's revision template (`revision_template` in autogen.toml),
/// else codegen's default.
fn revision_template(config: &Config) -> Result<RevisionTemplate> {
    let Some(path) = &config.revision_template else {
        return Ok(RevisionTemplate::default());
    };
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the revision template {} (revision_template in {}); create it, or remove \
             revision_template to use the default; no revision was written",
            path.display(),
            config.path.display()
        )
    })?;
    RevisionTemplate::parse(&text).with_context(|| {
        format!(
            "the revision template {} cannot be used; no revision was written",
            path.display()
        )
    })
}

/// The parents of a new revision: `--head`, or the single head.
fn revision_parents(graph: &Graph, options: &RevisionOptions) -> Result<Vec<String>> {
    let Some(head) = &options.head else {
        return Ok(graph
            .head()
            .map_err(|e| {
                anyhow::anyhow!("{e}; or pass --head <revision> to say which one the new revision follows")
            })?
            .map(|n| vec![n.id().to_owned()])
            .unwrap_or_default());
    };
    let Some(node) = graph.resolve_target(&[], head)? else {
        return Ok(Vec::new());
    };
    if !node.children.is_empty() && !options.splice {
        bail!(
            "revision {} is not a head (it is followed by {}); pass --splice to start a branch there",
            node.id(),
            node.children.join(", ")
        );
    }
    Ok(vec![node.id().to_owned()])
}

fn write_revision(
    project: &Project,
    config: &Config,
    graph: &Graph,
    template: &RevisionTemplate,
    options: &RevisionOptions,
    parents: Vec<String>,
    comparison: Option<&Comparison>,
) -> Result<RevisionOutcome> {
    let id = match &options.rev_id {
        Some(id) => checked_rev_id(id, graph)?,
        None => new_rev_id(graph),
    };
    for label in &options.branch_labels {
        if let Some(owner) = graph.labelled(label) {
            bail!("branch label {label:?} is already on revision {}", owner.id());
        }
    }
    let mut depends_on = Vec::new();
    for dependency in &options.depends_on {
        let node = graph
            .resolve_target(&[], dependency)?
            .with_context(|| "a revision cannot depend on base")?;
        depends_on.push(node.id().to_owned());
    }
    let header = RevisionHeader {
        id: id.clone(),
        down_revisions: parents,
        branch_labels: options.branch_labels.clone(),
        depends_on,
        message: options.message.clone(),
        create_date: chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    };
    let lock_safe = options.lock_policy(config).mode == autogen_schema::DdlMode::LockSafe;
    let mode = match (lock_safe, comparison) {
        (false, _) => RunMode::Plain,
        // What running lock-safe means for these ops, above `op.lock_safe()`.
        (true, Some(c)) => RunMode::LockSafe(autogen_migrate::lock_safe_note(&c.upgrade, c.dialect)),
        (true, None) => RunMode::LockSafe(Vec::new()),
    };
    let source = match comparison {
        Some(c) => template.render(&header, &c.upgrade, &c.downgrade, &c.warnings(), c.dialect, &mode),
        None => template.render_empty(&header, &mode),
    };
    let versions = Path::new(project.versions.dir);
    let dir = match &options.version_path {
        None => versions.to_owned(),
        Some(path) => {
            let dir = if path.is_absolute() {
                path.clone()
            } else {
                versions.join(path)
            };
            if !dir.starts_with(versions) || path.components().any(|c| c == std::path::Component::ParentDir) {
                bail!(
                    "--version-path {} is outside {}; revisions are only found under src/versions",
                    path.display(),
                    versions.display()
                );
            }
            dir
        }
    };
    if options.dry_run {
        // Nothing is written for hooks to run on: shown as the default hook would leave it.
        let (preview, format_warning) =
            match autogen_codegen::rustfmt(&source, versions.parent().unwrap_or(versions)) {
                Ok(formatted) => (formatted, None),
                Err(e) => (source, Some(e.to_string())),
            };
        return Ok(RevisionOutcome {
            comparison: None,
            path: None,
            preview: Some(preview),
            format_warning,
            hooks: Vec::new(),
        });
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(autogen_codegen::file_name(&id, &options.message));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("cannot create {} (it is never overwritten)", path.display()))?;
    file.write_all(source.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    drop(file);
    // Hooks run beside autogen.toml, where relative paths in them are meant from.
    let hook_dir = config
        .path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let hooks = config
        .post_write_hooks
        .iter()
        .map(|hook| HookRun {
            hook: hook.to_string(),
            failure: hook.run(&path, hook_dir).err(),
        })
        .collect();
    Ok(RevisionOutcome {
        comparison: None,
        path: Some(path),
        preview: None,
        format_warning: None,
        hooks,
    })
}

/// What autogenerate would write now: what turns the database (which must
/// be at head) into the entities. No upgrade ops means they agree. Reads
/// only: a SQLite file that does not exist is an error.
pub async fn compare(project: &Project, config: &Config) -> Result<Comparison> {
    let graph = graph(project)?;
    autogenerate(project, config, &graph, Access::Read, config.compare_options(project.compare.clone())).await
}

/// Fails unless the database is at every head of `graph`: a comparison of
/// a database behind would report the pending revisions as changes.
pub(crate) async fn refuse_behind_heads(migrator: &Migrator<'_>, graph: &Graph) -> Result<()> {
    let mut at = migrator.current().await?;
    let mut expected: Vec<String> = graph.heads().into_iter().map(|n| n.id().to_owned()).collect();
    at.sort();
    expected.sort();
    if at != expected {
        bail!(
            "target database is not up to date: it is at {}, the revision files end at {}; \
             run `autogen upgrade heads` first",
            describe(&at),
            describe(&expected)
        );
    }
    Ok(())
}

/// The database (at every head) compared with the entities.
async fn autogenerate(
    project: &Project,
    config: &Config,
    graph: &Graph,
    access: Access,
    compare: autogen_diff::Options,
) -> Result<Comparison> {
    let migrator = connect(graph, config, access).await?;
    refuse_behind_heads(&migrator, graph).await?;
    let options = CompareOptions {
        schema: config.schema.clone(),
        tables: compare,
    };
    compare_database(migrator.connection(), &project.entities, &options).await
}

/// A `--fill` for a column this revision neither adds NOT NULL nor makes NOT
/// NULL is a mistyped name or a stale flag: saying so beats ignoring it.
fn refuse_unused_fills(fills: &[Fill], comparison: &Comparison) -> Result<()> {
    fn fills_in(ops: &[Op], fill: &Fill) -> bool {
        ops.iter().any(|op| match op {
            Op::FillNulls { table, column, .. } => *table == fill.table && *column == fill.column,
            Op::InSchema { ops, .. } => fills_in(ops, fill),
            _ => false,
        })
    }
    match fills.iter().find(|fill| !fills_in(&comparison.upgrade, fill)) {
        Some(fill) => bail!(
            "--fill {}.{}: this revision neither adds that column NOT NULL without a default nor makes \
             it NOT NULL (a UNIQUE column cannot take one value in every row), so no row takes the value; \
             check the name, or leave the flag out; no file was written",
            fill.table,
            fill.column
        ),
        None => Ok(()),
    }
}

/// Why `revision` may not write what autogenerate found, if it may not.
fn refusal(
    project: &Project,
    config: &Config,
    options: &RevisionOptions,
    comparison: &Comparison,
) -> Option<String> {
    if !(options.allow_unregistered_drops || config.allow_unregistered_drops) {
        if let Some(reason) = unregistered_drops(project, comparison) {
            return Some(reason);
        }
    }
    if options.dry_run {
        return None;
    }
    unallowed_changes(config, options, comparison)
}

/// Why the changes found may not be written until allowed, if they may not:
/// in lock-safe mode, lock risks with no lock-safe form; changes that can
/// lose data. (A `--dry-run` shows them all the same.)
pub(crate) fn unallowed_changes(
    config: &Config,
    options: &RevisionOptions,
    comparison: &Comparison,
) -> Option<String> {
    if let Some(reason) = lock_refusal(comparison) {
        return Some(reason);
    }
    let allowed = options.allow_destructive || config.allow_destructive;
    if allowed || comparison.destructive.is_empty() {
        return None;
    }
    let changes: Vec<String> = comparison
        .destructive
        .iter()
        .map(|change| format!("  {change}"))
        .collect();
    let needs_value = comparison.destructive.iter().any(|change| {
        matches!(
            change.kind,
            DestructiveKind::NotNullWithoutFill | DestructiveKind::AddNotNullWithoutDefault
        )
    });
    let fill = if needs_value {
        "; for AG104 and AG107, give the existing rows a value instead with --fill TABLE.COLUMN=VALUE"
    } else {
        ""
    };
    Some(format!(
        "autogenerate found changes that can lose data:\n{}\n\
         review them (--dry-run shows the revision), then pass --allow-destructive \
         (or set `allow_destructive = true` in autogen.toml) to write it{fill}; no file was written",
        changes.join("\n")
    ))
}

/// Why a lock-safe revision may not be written as found, if it may not: a
/// change with no lock-safe form would hold its table all the same, which
/// is what choosing lock-safe DDL says not to do unless told.
fn lock_refusal(comparison: &Comparison) -> Option<String> {
    if comparison.lock_policy.mode != autogen_schema::DdlMode::LockSafe {
        return None;
    }
    let risks = comparison.lock_risks();
    if risks.is_empty() {
        return None;
    }
    let lines: Vec<String> = risks.iter().map(|risk| format!("  {risk}")).collect();
    let mut codes: Vec<&str> = risks.iter().map(|risk| risk.kind.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    let flags: Vec<String> = codes.iter().map(|code| format!("--allow {code}")).collect();
    Some(format!(
        "autogenerate found changes that hold their table even lock-safe:\n{}\n\
         docs/online.md shows how to make such a change by hand without a long lock (a new column \
         and a backfill); to write it as it is, pass {} (or list the codes in `allow` under [online] \
         in autogen.toml), or write a plain revision with --no-lock-safe; no file was written",
        lines.join("\n"),
        flags.join(" ")
    ))
}

/// Why autogenerate refuses to drop tables, if it does: a table with no
/// registered entity reads as "drop it"; when SeaORM's registry shows an
/// entity module for it that was simply not registered, that is far more
/// likely a forgotten `.entity(...)` than a wish.
fn unregistered_drops(project: &Project, comparison: &Comparison) -> Option<String> {
    let unregistered = project.entities.unregistered(comparison.dialect);
    let forgotten: Vec<String> = comparison
        .upgrade
        .iter()
        .filter_map(|op| match op {
            Op::DropTable { name } => unregistered
                .iter()
                .find(|e| e.table.as_deref() == Some(name.as_str()))
                .map(|e| format!("'{name}' (entity module `{}`)", e.module)),
            _ => None,
        })
        .collect();
    (!forgotten.is_empty()).then(|| {
        format!(
            "autogenerate would drop {}, whose entity exists but is not registered; \
             register it with `.entity(<module>::Entity)` in the migration crate's main.rs, \
             or, if the table really should go, pass --allow-unregistered-drops \
             (or set `allow_unregistered_drops = true` in autogen.toml); no file was written",
            forgotten.join(", ")
        )
    })
}

fn describe(heads: &[String]) -> String {
    if heads.is_empty() {
        "base".to_owned()
    } else {
        heads.join(", ")
    }
}

/// Twelve hex digits, as Alembic's ids, unused in `graph`.
fn new_rev_id(graph: &Graph) -> String {
    loop {
        let hex = uuid::Uuid::new_v4().simple().to_string();
        let id = hex[hex.len() - 12..].to_owned();
        if graph.get(&id).is_none() {
            return id;
        }
    }
}

fn checked_rev_id(id: &str, graph: &Graph) -> Result<String> {
    if !autogen_migrate::is_revision_id(id) {
        bail!("revision id {id:?} must be letters, digits and underscores");
    }
    if graph.get(id).is_some() {
        bail!("revision id {id:?} is already used; choose another or leave --rev-id out");
    }
    Ok(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_is_a_column_and_a_sql_value() {
        let fill = |text: &str| text.parse::<Fill>();
        let value = |text: &str| fill(text).map(|f| f.value);
        assert_eq!(
            fill("post.slug='it''s'"),
            Ok(Fill {
                table: "post".into(),
                column: "slug".into(),
                value: DefaultValue::String("it's".into()),
            })
        );
        assert_eq!(value("post.views=0"), Ok(DefaultValue::Int(0)));
        assert_eq!(value("post.live=TRUE"), Ok(DefaultValue::Bool(true)));
        assert_eq!(
            value("post.at=CURRENT_TIMESTAMP"),
            Ok(DefaultValue::Expr("CURRENT_TIMESTAMP".into()))
        );
        assert_eq!(value("post.n=lower('A')"), Ok(DefaultValue::Expr("lower('A')".into())));
        for (text, says) in [
            ("post.slug", "is not TABLE.COLUMN=VALUE"),
            ("slug=1", "is not TABLE.COLUMN"),
            ("post.slug=NULL", "NULL fills nothing"),
            ("post.slug=untitled", "quote text ('untitled')"),
        ] {
            let error = fill(text).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    mod note {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "note")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    const NO_REVISIONS: crate::Versions = crate::Versions {
        dir: "/nonexistent/src/versions",
        revisions: &[],
    };

    /// A configuration for the SQLite file `app.db` in `dir`, and its URL.
    fn sqlite_config(dir: &Path) -> (Config, String) {
        let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());
        let config = Config::new(dir, DatabaseUrl::new(&url, crate::database::UrlOrigin::Program));
        (config, url)
    }

    /// Runs `statements` on the database at `url`, creating it.
    async fn execute(url: &str, statements: &[&str]) {
        let db = sea_orm::Database::connect(url).await.unwrap();
        for statement in statements {
            sea_orm::ConnectionTrait::execute_unprepared(&db, statement)
                .await
                .unwrap();
        }
        db.close().await.unwrap();
    }

    #[tokio::test]
    async fn excluded_tables_are_neither_created_nor_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (config, url) = sqlite_config(dir.path());
        execute(&url, &["CREATE TABLE legacy (id integer)"]).await;

        let project = Project::new(NO_REVISIONS).entity(note::Entity);
        let all: Vec<String> = compare(&project, &config)
            .await
            .unwrap()
            .upgrade
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(all, ["added table 'note'", "removed table 'legacy'"]);

        let filtered = Project::new(NO_REVISIONS)
            .entity(note::Entity)
            .exclude_table("legacy")
            .include_tables(|t| t != "note");
        assert!(compare(&filtered, &config).await.unwrap().upgrade.is_empty());
    }

    /// A database sea-orm-migration built: one table and its bookkeeping.
    const ADOPTED: &[&str] = &[
        "CREATE TABLE seaql_migrations (version varchar NOT NULL PRIMARY KEY, applied_at bigint NOT NULL)",
        "INSERT INTO seaql_migrations VALUES ('m20240101_000001_create_note', 1704067200)",
        "CREATE TABLE note (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, body text NOT NULL)",
    ];

    /// A project with no revisions yet, writing them under `dir/src/versions`.
    fn unversioned(dir: &Path) -> Project {
        let versions = dir.join("src/versions").display().to_string();
        Project::new(crate::Versions {
            dir: Box::leak(versions.into_boxed_str()),
            revisions: &[],
        })
    }

    /// What the version table of the database at `config` records.
    async fn stamped(project: &Project, config: &Config) -> Vec<String> {
        let graph = graph(project).unwrap();
        let migrator = connect(&graph, config, Access::Read).await.unwrap();
        migrator.recorded_versions().await.unwrap()
    }

    fn files_in(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|entries| entries.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn baseline_writes_the_first_revision_and_stamps_it() {
        let dir = tempfile::tempdir().unwrap();
        let (config, url) = sqlite_config(dir.path());
        execute(&url, ADOPTED).await;
        let project = unversioned(dir.path());
        let options = BaselineOptions {
            rev_id: Some("0000baseline".into()),
            ..BaselineOptions::default()
        };
        let outcome = baseline(&project, &config, &options).await.unwrap();
        let path = outcome.revision.path.unwrap();
        assert!(
            path.ends_with("src/versions/0000baseline_baseline.rs"),
            "{}",
            path.display()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("down_revision: &[]"), "{text}");
        assert!(
            text.contains("op.create_table(") && text.contains("op.drop_table(\"note\")"),
            "{text}"
        );
        assert!(!text.contains("seaql_migrations"), "{text}");
        assert_eq!(stamped(&project, &config).await, ["0000baseline"]);
    }

    #[tokio::test]
    async fn baseline_refuses_a_project_with_revisions() {
        fn nothing(_: &mut crate::Operations) {}
        const EXISTING: &[crate::RevisionModule] = &[crate::RevisionModule {
            revision: crate::Revision {
                id: "ae1027a6acf5",
                down_revision: &[],
                branch_labels: &[],
                depends_on: &[],
                message: "create note",
            },
            upgrade: nothing,
            downgrade: nothing,
            path: "src/versions/ae1027a6acf5_create_note.rs",
        }];
        let dir = tempfile::tempdir().unwrap();
        let (config, url) = sqlite_config(dir.path());
        execute(&url, ADOPTED).await;
        let mut project = unversioned(dir.path());
        project.versions.revisions = EXISTING;
        let error = baseline(&project, &config, &BaselineOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("already has revisions: ae1027a6acf5 (src/versions/ae1027a6acf5_create_note.rs)")
                && error.contains("`autogen stamp head`"),
            "{error}"
        );
        assert!(files_in(&dir.path().join("src/versions")).is_empty());
        assert!(stamped(&project, &config).await.is_empty());
    }

    #[tokio::test]
    async fn baseline_refuses_a_database_already_stamped() {
        let dir = tempfile::tempdir().unwrap();
        let (config, url) = sqlite_config(dir.path());
        execute(&url, ADOPTED).await;
        execute(
            &url,
            &[
                "CREATE TABLE autogen_version (version_num varchar(32) NOT NULL PRIMARY KEY)",
                "INSERT INTO autogen_version VALUES ('ae1027a6acf5')",
            ],
        )
        .await;
        let project = unversioned(dir.path());
        let error = baseline(&project, &config, &BaselineOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("already stamped: autogen_version records ae1027a6acf5")
                && error.contains("`autogen stamp --purge base`"),
            "{error}"
        );
        assert!(files_in(&dir.path().join("src/versions")).is_empty());

        // The stamp itself checks again, inside its transaction, for a run
        // that stamped the database after the first look.
        let graph = graph(&project).unwrap();
        let migrator = connect(&graph, &config, Access::Write).await.unwrap();
        let error = migrator.stamp_baseline("0000baseline").await.unwrap_err();
        assert!(
            matches!(error, MigrateError::AlreadyStamped(ref ids) if ids == &["ae1027a6acf5"]),
            "{error}"
        );
        assert_eq!(migrator.recorded_versions().await.unwrap(), ["ae1027a6acf5"]);
    }

    #[tokio::test]
    async fn baseline_refuses_a_database_with_nothing_to_adopt() {
        let dir = tempfile::tempdir().unwrap();
        let (config, url) = sqlite_config(dir.path());
        execute(&url, &ADOPTED[..2]).await;
        let project = unversioned(dir.path());
        let error = baseline(&project, &config, &BaselineOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("has no tables to adopt") && error.contains("autogen revision --autogenerate"),
            "{error}"
        );
        assert!(files_in(&dir.path().join("src/versions")).is_empty());
        assert!(stamped(&project, &config).await.is_empty());
    }

    #[tokio::test]
    async fn baseline_refuses_a_missing_sqlite_file_without_creating_it() {
        let dir = tempfile::tempdir().unwrap();
        let (config, _) = sqlite_config(dir.path());
        let error = baseline(&unversioned(dir.path()), &config, &BaselineOptions::default())
            .await
            .unwrap_err();
        assert!(error.is::<Unavailable>(), "{error}");
        assert!(!dir.path().join("app.db").exists());
    }

    #[tokio::test]
    async fn a_baseline_that_cannot_be_written_stamps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (config, url) = sqlite_config(dir.path());
        execute(&url, ADOPTED).await;
        // A file where the versions directory should be: nothing can be written under it.
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/versions"), "").unwrap();
        let project = unversioned(dir.path());
        let error = baseline(&project, &config, &BaselineOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("cannot create"), "{error}");
        assert!(stamped(&project, &config).await.is_empty());
    }

    #[tokio::test]
    async fn a_baseline_dry_run_writes_and_stamps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (config, url) = sqlite_config(dir.path());
        execute(&url, ADOPTED).await;
        let project = unversioned(dir.path());
        let options = BaselineOptions {
            dry_run: true,
            ..BaselineOptions::default()
        };
        let outcome = baseline(&project, &config, &options).await.unwrap();
        let preview = outcome.revision.preview.unwrap();
        assert!(
            preview.contains("//! baseline\n") && preview.contains("op.create_table("),
            "{preview}"
        );
        assert!(outcome.revision.path.is_none());
        assert!(files_in(&dir.path().join("src/versions")).is_empty());
        assert!(stamped(&project, &config).await.is_empty());
    }
}

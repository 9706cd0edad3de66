//! One handler per command: each runs its command and prints what it
//! found, did or answers, returning the exit code.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command as Process, ExitCode};

use anyhow::{bail, Context as _, Result};
use tokio::runtime::Runtime;

use autogen_migrate::Direction;

use super::args::{
    CheckArgs, CheckFormat, CompletionsArgs, DowngradeArgs, FreshArgs, InitArgs, InspectArgs, ReconcileArgs, RevisionArg,
    RunArgs, StampArgs, UpgradeArgs, VerifyArgs,
};
use super::console::{color_stdout, Console};
use super::Cli;
use crate::check;
use crate::command::{self, BaselineOptions, HistoryOptions, MergeOptions, RevisionOptions};
use crate::config::Config;
use crate::init::{self, AutogenSource, Workspace};
use crate::Project;

/// What a command that works on a project runs with.
pub(super) struct Context<'a> {
    /// The project, with the entities autogen.toml names for the commands that compare with them.
    pub(super) project: &'a Project,
    pub(super) config: Config,
    pub(super) console: &'a Console,
    pub(super) runtime: Runtime,
    /// Where the command's answer goes.
    pub(super) out: std::io::StdoutLock<'static>,
}

/// `init`: what it wrote and joined, then the next step.
pub(crate) fn init(args: &InitArgs, console: &Console) -> Result<ExitCode> {
    let base = std::env::current_dir().context("cannot read the working directory")?;
    let source = match &args.autogen_path {
        Some(repo) => AutogenSource::Path(
            std::fs::canonicalize(repo)
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
    let done = init::init(&base, args.dir.as_deref(), &source, args.template)?;
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

/// `completions`: the script, from the same clap definition.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<ExitCode> {
    use clap::CommandFactory as _;
    clap_complete::generate(args.shell, &mut Cli::command(), "autogen", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// `revision`: what autogenerate found, then the file written, the
/// revision (`--dry-run`), or that nothing changed.
pub(super) fn revision(cx: &mut Context, options: &RevisionOptions) -> Result<ExitCode> {
    let console = cx.console;
    if options.autogenerate {
        warn_about_unregistered(cx);
    }
    let outcome = cx
        .runtime
        .block_on(command::revision(cx.project, &cx.config, options))
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
        .is_some_and(|c| command::unallowed_changes(&cx.config, options, c).is_some());
    match (&outcome.path, &outcome.preview) {
        (Some(_), _) => report_written(&outcome, console, &mut cx.out)?,
        (None, Some(preview)) => {
            write!(cx.out, "{preview}")?;
            if refused {
                console.progress(
                    "note: without --dry-run this revision would be refused until the changes \
                     warned of are allowed (--allow-destructive, --allow CODE)",
                );
            }
        }
        (None, None) if console.quiet => {}
        (None, None) => writeln!(
            cx.out,
            "No changes in schema detected; no revision written (--allow-empty writes one anyway)."
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn upgrade(cx: &mut Context, args: &UpgradeArgs) -> Result<ExitCode> {
    migrate(cx, Direction::Up, &args.target, &args.run)
}

pub(super) fn downgrade(cx: &mut Context, args: &DowngradeArgs) -> Result<ExitCode> {
    migrate(cx, Direction::Down, &args.target, &args.run)
}

/// Every table dropped, named, then every revision applied as `upgrade heads` does.
pub(super) fn fresh(cx: &mut Context, args: &FreshArgs) -> Result<ExitCode> {
    let dropped = cx
        .runtime
        .block_on(crate::fresh::drop_everything(&cx.config, args.allow_remote))?;
    for table in &dropped.tables {
        cx.console.progress(format_args!("Dropped table '{table}'"));
    }
    for name in &dropped.enums {
        cx.console.progress(format_args!("Dropped enum type '{name}'"));
    }
    migrate(cx, Direction::Up, "heads", &RunArgs::default())
}

/// From how many revisions a run numbers its steps and says how long it
/// took: a few lines need no counting.
const MANY_STEPS: usize = 10;

/// `upgrade` or `downgrade`: run it, or with `--sql` print it.
fn migrate(cx: &Context, direction: Direction, target: &str, run: &RunArgs) -> Result<ExitCode> {
    let Context {
        project,
        config,
        console,
        runtime,
        ..
    } = cx;
    if run.sql {
        print!(
            "{}",
            command::migrate_sql(project, config, direction, target, run.options(config))?
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
                Direction::Up => command::upgrade(project, config, target, run.options(config), report).await,
                Direction::Down => command::downgrade(project, config, target, run.options(config), report).await,
            }
        })?;
        if many {
            console.progress(format_args!(
                "Ran {} revisions in {:.1} s",
                steps.len(),
                started.elapsed().as_secs_f64()
            ));
        }
        warn_about_modified(cx);
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn current(cx: &mut Context) -> Result<ExitCode> {
    let lines = cx
        .runtime
        .block_on(command::current(cx.project, &cx.config, cx.console.verbose))?;
    write_lines(&mut cx.out, lines)?;
    warn_about_modified(cx);
    Ok(ExitCode::SUCCESS)
}

pub(super) fn history(cx: &mut Context, options: &HistoryOptions) -> Result<ExitCode> {
    let options = HistoryOptions {
        verbose: cx.console.verbose,
        ..options.clone()
    };
    let lines = cx
        .runtime
        .block_on(command::history(cx.project, &cx.config, &options))?;
    write_lines(&mut cx.out, lines)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn heads(cx: &mut Context) -> Result<ExitCode> {
    write_lines(&mut cx.out, command::heads(cx.project, cx.console.verbose)?)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn branches(cx: &mut Context) -> Result<ExitCode> {
    write_lines(&mut cx.out, command::branches(cx.project)?)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn show(cx: &mut Context, arg: &RevisionArg) -> Result<ExitCode> {
    write!(cx.out, "{}", command::show(cx.project, &arg.rev)?)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn merge(cx: &mut Context, options: &MergeOptions) -> Result<ExitCode> {
    let outcome = command::merge(cx.project, &cx.config, options)?;
    report_written(&outcome, cx.console, &mut cx.out)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn stamp(cx: &mut Context, args: &StampArgs) -> Result<ExitCode> {
    if args.accept_checksum {
        let id = cx
            .runtime
            .block_on(command::accept_checksum(cx.project, &cx.config, &args.target))?;
        cx.console.progress(format_args!(
            "Recorded the ops of revision {id} as they are now as the ones it was applied with"
        ));
    } else if args.sql {
        write!(cx.out, "{}", command::stamp_sql(cx.project, &cx.config, &args.target)?)?;
    } else {
        let heads = cx
            .runtime
            .block_on(command::stamp(cx.project, &cx.config, &args.target, args.purge))?;
        let at = if heads.is_empty() {
            "base".to_owned()
        } else {
            heads.join(", ")
        };
        cx.console.progress(format_args!("Stamped {at}"));
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn edit(cx: &mut Context, arg: &RevisionArg) -> Result<ExitCode> {
    open_in_editor(&command::revision_path(cx.project, &arg.rev)?)?;
    Ok(ExitCode::SUCCESS)
}

/// `check`: 0 if the entities and the database agree, 1 with the
/// differences if not; 2, in JSON when asked for JSON, if it cannot tell.
pub(super) fn check(cx: &mut Context, args: &CheckArgs) -> Result<ExitCode> {
    let CheckArgs { offline, format, .. } = *args;
    let quiet = cx.console.quiet;
    if !quiet {
        warn_about_unregistered(cx);
    }
    let standalone = cx.config.standalone && cx.project.entities.is_empty();
    let source = check::Source::of(offline, standalone);
    if source == check::Source::DatabaseWithRevisions {
        cx.console.progress(
            "No autogen.toml and no entity sources: comparing the database with the schema the revisions build",
        );
    }
    let compared = match source {
        check::Source::Revisions => check::compare_offline(cx.project, &cx.config),
        check::Source::Database => cx.runtime.block_on(command::compare(cx.project, &cx.config)),
        check::Source::DatabaseWithRevisions => cx
            .runtime
            .block_on(check::compare_with_revisions(cx.project, &cx.config)),
    };
    let mut comparison = match compared {
        Ok(comparison) => comparison,
        Err(_) if quiet => return Ok(ExitCode::from(2)),
        // In JSON when asked for JSON: `cli::check_error_in_json`.
        Err(e) => return Err(e),
    };
    comparison.lock_policy = crate::compare::LockPolicy::of(&cx.config);
    comparison.lock_policy.allow.extend(args.allow.iter().copied());
    let code = if comparison.upgrade.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    if quiet {
        return Ok(code);
    }
    warn_about_set_aside(&comparison, cx.console);
    if !offline {
        warn_about_modified(cx);
    }
    match format {
        CheckFormat::Text => write!(cx.out, "{}", check::text_report(&comparison, source, color_stdout()))?,
        CheckFormat::Json => writeln!(cx.out, "{:#}", check::json_report(&comparison, source))?,
    }
    Ok(code)
}

/// `verify`: each step as it runs, then 0 if every revision does what its
/// ops say, 1 naming the first that does not, 2 if it cannot tell.
pub(super) fn verify(cx: &mut Context, args: &VerifyArgs) -> Result<ExitCode> {
    let console = cx.console;
    let report = |step: &crate::verify::VerifyStep| console.progress(step);
    let outcome = cx
        .runtime
        .block_on(crate::verify::verify(cx.project, &cx.config, &args.target, report))?;
    write!(cx.out, "{outcome}")?;
    Ok(match outcome {
        crate::verify::VerifyOutcome::Verified { .. } => ExitCode::SUCCESS,
        crate::verify::VerifyOutcome::Differs(_) => ExitCode::FAILURE,
        crate::verify::VerifyOutcome::CannotTell { .. } => ExitCode::from(2),
    })
}

/// `baseline`: what it found, then the file written and the stamp, or with `--dry-run` the file.
pub(super) fn baseline(cx: &mut Context, options: &BaselineOptions) -> Result<ExitCode> {
    let console = cx.console;
    let out = &mut cx.out;
    let outcome = cx.runtime.block_on(command::baseline(cx.project, &cx.config, options))?;
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
    Ok(ExitCode::SUCCESS)
}

/// `reconcile`: what it resolved and wrote (with `--dry-run`, the diffs), and what needs a hand.
pub(super) fn reconcile(cx: &mut Context, args: &ReconcileArgs) -> Result<ExitCode> {
    let dry_run = args.dry_run;
    let console = cx.console;
    let out = &mut cx.out;
    let outcome = cx
        .runtime
        .block_on(crate::reconcile::reconcile(cx.project, &cx.config, !dry_run))?;
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
    Ok(ExitCode::SUCCESS)
}

/// `inspect`: the database `--url` names, else autogen.toml's.
pub(super) fn inspect(cx: &mut Context, args: &InspectArgs) -> Result<ExitCode> {
    let url = args
        .database_url()
        .unwrap_or_else(|| cx.config.database_url.clone());
    let schema = args.schema.clone().or_else(|| cx.config.schema.clone());
    let text = cx.runtime.block_on(command::inspect(
        &url,
        cx.config.connect_timeout,
        schema.as_deref(),
        &args.table,
        args.format,
    ))?;
    write!(cx.out, "{text}")?;
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
fn warn_about_unregistered(cx: &Context) {
    // A URL autogen cannot use fails the command right after, with the reason.
    let Ok(dialect) = cx.config.database_url.dialect() else {
        return;
    };
    for entity in cx.project.entities.unregistered(dialect) {
        let table = entity.table.map_or(String::new(), |t| format!(" (table '{t}')"));
        cx.console.warn(format_args!(
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
fn warn_about_modified(cx: &Context) {
    // A warning that cannot be worked out is no reason to fail a command that worked.
    let Ok(modified) = cx.runtime.block_on(command::modified_revisions(cx.project, &cx.config)) else {
        return;
    };
    for node in modified {
        cx.console.warn(format_args!(
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

/// Writes `lines` to `out`, one a line.
fn write_lines(out: &mut dyn std::io::Write, lines: Vec<String>) -> Result<()> {
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Opens `path` in the user's editor and waits for it.
fn open_in_editor(path: &Path) -> Result<()> {
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

//! The command line: one clap definition shared by the `autogen` launcher
//! ([`crate::launcher`]) and every migration crate, so both accept exactly
//! the same arguments. The migration crate's `main` calls [`run`]. Errors
//! are printed once, as `error: …` with their causes, and turn into exit
//! code 1; usage errors, and a configuration or database the command cannot
//! use, exit with 2.

mod args;
mod console;
pub(crate) mod handlers;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use clap::Parser as _;

use crate::check;
use crate::command::RevisionOptions;
use crate::config::{Config, ConfigError};
use crate::database::Unavailable;
use crate::Project;
pub use args::{
    CheckArgs, CheckFormat, Cli, Command, CompletionsArgs, DowngradeArgs, InitArgs, InspectArgs, ReconcileArgs,
    FreshArgs, RevisionArg, RunArgs, StampArgs, UpgradeArgs, VerifyArgs,
};
use console::{styled, ERROR_STYLE};

pub(crate) use console::Console;
use handlers::Context;

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
        Command::Check(_) | Command::Verify(_) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    };
    let code = report(execute(&project, cli, &console), failure);
    console.detail(format_args!("Finished in {:.2?}", started.elapsed()));
    code
}

/// Runs `cli`'s command against `project`.
fn execute(project: &Project, cli: Cli, console: &Console) -> Result<ExitCode> {
    match &cli.command {
        Command::Init(args) => handlers::init(args, console),
        Command::Completions(args) => handlers::completions(args),
        command => {
            dispatch(project, &cli, console).or_else(|e| check_error_in_json(command, console, &e).ok_or(e))
        }
    }
}

/// `check --format json` answers in JSON even when it cannot tell (exit 2),
/// whatever stopped it: the launcher, the configuration, the entities or
/// the comparison. `None` for any other command.
pub(crate) fn check_error_in_json(command: &Command, console: &Console, error: &anyhow::Error) -> Option<ExitCode> {
    match command {
        Command::Check(CheckArgs {
            offline,
            format: CheckFormat::Json,
            ..
        }) if !console.quiet => {
            println!("{:#}", check::json_error(check::Source::of(*offline, false), error));
            Some(ExitCode::from(2))
        }
        _ => None,
    }
}

/// Runs a command that works on the project: one handler per command.
fn dispatch(project: &Project, cli: &Cli, console: &Console) -> Result<ExitCode> {
    let config = configure(project, cli, console)?;
    if config.standalone {
        refuse_without_sources(project, &cli.command)?;
    }
    let resolved = resolve_entities(project, &config, &cli.command, console)?;
    let mut cx = Context {
        project: resolved.as_ref().unwrap_or(project),
        config,
        console,
        runtime: tokio::runtime::Runtime::new().context("cannot start the async runtime")?,
        out: std::io::stdout().lock(),
    };
    let cx = &mut cx;
    match &cli.command {
        Command::Init(_) | Command::Completions(_) => unreachable!("handled above"),
        Command::Revision(options) => handlers::revision(cx, options),
        Command::Upgrade(args) => handlers::upgrade(cx, args),
        Command::Downgrade(args) => handlers::downgrade(cx, args),
        Command::Fresh(args) => handlers::fresh(cx, args),
        Command::Current => handlers::current(cx),
        Command::History(options) => handlers::history(cx, options),
        Command::Heads => handlers::heads(cx),
        Command::Branches => handlers::branches(cx),
        Command::Show(arg) => handlers::show(cx, arg),
        Command::Merge(options) => handlers::merge(cx, options),
        Command::Stamp(args) => handlers::stamp(cx, args),
        Command::Edit(arg) => handlers::edit(cx, arg),
        Command::Check(args) => handlers::check(cx, args),
        Command::Verify(args) => handlers::verify(cx, args),
        Command::Baseline(options) => handlers::baseline(cx, options),
        Command::Reconcile(args) => handlers::reconcile(cx, args),
        Command::Inspect(args) => handlers::inspect(cx, args),
    }
}

/// The configuration `cli` names, with its timeouts; `--verbose` says which
/// file and database are used.
fn configure(project: &Project, cli: &Cli, console: &Console) -> Result<Config> {
    // Without a launcher, the autogen.toml beside the migration crate is the one meant.
    let crate_dir = Path::new(project.versions.dir).ancestors().nth(2);
    let mut config = match Config::discover(cli.config.as_deref(), crate_dir) {
        // A binary shipped on its own (a release image): no project around it.
        Err(ConfigError::NotFound(searched)) => {
            Config::from_environment(crate_dir.unwrap_or(Path::new(".")), &searched)?
        }
        found => found?,
    };
    if let Some(seconds) = cli.connect_timeout {
        config.connect_timeout = Duration::from_secs(seconds);
    }
    if let Some(seconds) = cli.lock_timeout {
        config.lock_timeout = Duration::from_secs(seconds);
    }
    console.detail(format_args!("Using configuration {}", config.path.display()));
    let database = match &cli.command {
        Command::Inspect(args) => args.database_url(),
        _ => None,
    }
    .unwrap_or_else(|| config.database_url.clone());
    console.detail(format_args!(
        "Using database {database} (from {})",
        database.origin()
    ));
    Ok(config)
}

/// Where there is no autogen.toml, the commands that write the project's
/// files or read its entity sources cannot run: one line says so. `check`
/// then compares the database with the history (or with the entities the
/// binary registers), which needs no sources.
fn refuse_without_sources(project: &Project, command: &Command) -> Result<()> {
    let needs_sources = match command {
        Command::Revision(_) => "revision",
        Command::Merge(_) => "merge",
        Command::Baseline(_) => "baseline",
        Command::Reconcile(_) => "reconcile",
        Command::Edit(_) => "edit",
        Command::Check(CheckArgs { offline: true, .. }) if project.entities.is_empty() => "check --offline",
        // A release image's localhost may be a proxy to production.
        Command::Fresh(_) => bail!(
            "`fresh` drops every table, which is for a development database, in a project: this migration \
             binary runs on its own (no autogen.toml), so it does not run `fresh`"
        ),
        _ => return Ok(()),
    };
    bail!(
        "`{needs_sources}` needs the project's sources (autogen.toml, the revision files and the entities), and \
         this migration binary runs without them; run it in the project, with `autogen {needs_sources}`"
    )
}

/// The project with the entities autogen.toml names, for the commands that
/// compare with them; `None` for the others: an entity that cannot be read
/// must not stop an upgrade.
fn resolve_entities(
    project: &Project,
    config: &Config,
    command: &Command,
    console: &Console,
) -> Result<Option<Project>> {
    let compares_entities = matches!(
        command,
        Command::Revision(RevisionOptions { autogenerate: true, .. }) | Command::Check(_) | Command::Reconcile(_)
    );
    // On its own, a binary compares with the history or the entities it registers.
    if !compares_entities || config.standalone {
        return Ok(None);
    }
    let (resolved, left_out) = crate::entities::resolve(project, config)?;
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
    Ok(Some(resolved))
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

/// Prints `result`'s error, if it is one, and answers the exit code: the
/// command's own, `failure`, or 2 when the command could not start.
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

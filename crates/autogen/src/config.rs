//! `autogen.toml`: where the migration crate is and which database to use.
//!
//! ```toml
//! [autogen]
//! script_location = "migration"
//! database_url = "${DATABASE_URL:-sqlite://app.db}"
//! ```
//!
//! `${NAME}` reads an environment variable and `${NAME:-fallback}` gives it a
//! default. An optional `schema = "…"` names the PostgreSQL schema to compare. A relative SQLite path is relative to the file itself, so every
//! command means the same database wherever it is run from.
//! `connect_timeout` and `lock_timeout` (seconds) bound the waits for a
//! connection and for another run's migration lock.
//! `post_write_hooks` lists the commands run on each new revision file
//! (rustfmt unless set; `[]` for none), and `revision_template` names the
//! template revision files are written from (relative to the file).
//! `entities` names the directories of entity sources, read without a
//! build ([`crate::entities`]); `entities_exclude` leaves files or
//! directories out, and `entity_reading = "compiled"` compares the entities
//! the migration crate registers instead (the default when it registers any).
//! `[compare]` and `[declare]` say what autogenerate manages beyond the
//! entities ([`crate::scope`]). `[online]` says how revisions treat tables
//! that are live while they run ([`OnlineSettings`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::database::{sqlite_parts, DatabaseUrl, UrlOrigin, Variable};
use crate::hooks::{default_hooks, PostWriteHook};
use crate::scope::{Declarations, CompareSettings};

/// How long a run waits for another run's migration lock unless configured.
pub use autogen_migrate::DEFAULT_LOCK_TIMEOUT;

/// The file name looked for.
pub const FILE_NAME: &str = "autogen.toml";

/// The environment variable the launcher uses to tell a migration crate
/// which configuration file it found.
pub const CONFIG_ENV: &str = "AUTOGEN_CONFIG";

/// The variable the database URL is read from where there is no autogen.toml.
pub const URL_ENV: &str = "DATABASE_URL";

/// The variable the PostgreSQL schema compared is read from where there is
/// no autogen.toml (autogen.toml's `schema`).
pub const SCHEMA_ENV: &str = "AUTOGEN_SCHEMA";

/// How long a connection may take unless configured.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A loaded `autogen.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The migration crate's directory.
    pub script_location: PathBuf,
    /// The database URL, with variables substituted and SQLite paths made
    /// absolute, and where it came from. It prints with its password hidden.
    pub database_url: DatabaseUrl,
    /// The PostgreSQL schema autogenerate compares; the connection's
    /// `current_schema()` if unset.
    pub schema: Option<String>,
    /// Lets autogenerate drop the table of an entity module that exists but
    /// is not registered (`--allow-unregistered-drops` for one run).
    pub allow_unregistered_drops: bool,
    /// Lets autogenerate write revisions with ops that can lose data
    /// (`--allow-destructive` for one run).
    pub allow_destructive: bool,
    /// How long connecting may take before the command gives up
    /// (`connect_timeout`, `--connect-timeout`; [`DEFAULT_CONNECT_TIMEOUT`]).
    pub connect_timeout: Duration,
    /// How long upgrade, downgrade and stamp wait for the migration lock
    /// another run holds (`lock_timeout`, `--lock-timeout`;
    /// [`DEFAULT_LOCK_TIMEOUT`]).
    pub lock_timeout: Duration,
    /// Commands run on each new revision file (`post_write_hooks`;
    /// rustfmt unless set).
    pub post_write_hooks: Vec<PostWriteHook>,
    /// The template revision files are written from (`revision_template`,
    /// made absolute); codegen's default if unset.
    pub revision_template: Option<PathBuf>,
    /// The directories holding the entity sources (`entities`, made
    /// absolute); unset, the crates the migration crate depends on by path.
    pub entities: Vec<PathBuf>,
    /// Files or directories below `entities` whose entities are not
    /// compared (`entities_exclude`, made absolute).
    pub entities_exclude: Vec<PathBuf>,
    /// How the entities are read (`entity_reading`); unset, from source
    /// unless the migration crate registers entities.
    pub entity_reading: Option<EntityReading>,
    /// `[compare]`: what the project chooses not to compare.
    pub compare: CompareSettings,
    /// `[declare]`: indexes and CHECKs the entities cannot express.
    pub declare: Declarations,
    /// `[online]`: lock-safe DDL for tables that are live while revisions run.
    pub online: OnlineSettings,
    /// No autogen.toml was found: the settings come from the environment
    /// and the flags, and the project's sources are not at hand (a
    /// migration binary shipped on its own). [`Config::from_environment`].
    pub standalone: bool,
}

/// `[online]`: how revisions treat tables that are in use while they run.
///
/// ```toml
/// [online]
/// lock_safe = true          # revisions autogen writes call op.lock_safe()
/// lock_timeout_ms = 2000    # how long one DDL statement waits for its lock
/// retries = 10              # how often a step that gave up waiting runs again
/// statement_timeout_ms = 0  # the longest one statement may run (0: no limit)
/// allow = ["AG208"]         # lock risks autogenerate writes without stopping
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OnlineSettings {
    /// Revisions autogen writes run lock-safe: it writes `op.lock_safe()`
    /// first in each function (`--lock-safe`/`--no-lock-safe` for one revision).
    pub lock_safe: bool,
    /// How lock-safe revisions wait for their locks.
    pub lock_wait: autogen_migrate::LockWait,
    /// Lock risks (`AG2xx`) that neither stop autogenerate in lock-safe mode
    /// nor show in its report, `check`'s or the revision's `// WARNING:` lines.
    pub allow: Vec<autogen_schema::LockKind>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnlineSection {
    #[serde(default)]
    lock_safe: bool,
    #[serde(default)]
    lock_timeout_ms: Option<u64>,
    #[serde(default)]
    retries: Option<u32>,
    #[serde(default)]
    statement_timeout_ms: Option<u64>,
    #[serde(default)]
    allow: Vec<String>,
}

impl OnlineSection {
    fn settings(self, value_error: impl Fn(&'static str, String) -> ConfigError) -> Result<OnlineSettings, ConfigError> {
        let defaults = autogen_migrate::LockWait::default();
        if self.lock_timeout_ms == Some(0) {
            return Err(value_error(
                "lock_timeout_ms",
                "is 0, which PostgreSQL reads as no timeout; give the milliseconds a statement may wait, e.g. 2000"
                    .to_owned(),
            ));
        }
        let allow = self
            .allow
            .iter()
            .map(|code| {
                autogen_schema::LockKind::from_code(code).ok_or_else(|| {
                    value_error(
                        "allow",
                        format!("names {code:?}, which is not a lock risk code (AG201 to AG211)"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(OnlineSettings {
            lock_safe: self.lock_safe,
            lock_wait: autogen_migrate::LockWait {
                timeout: self.lock_timeout_ms.map_or(defaults.timeout, Duration::from_millis),
                retries: self.retries.unwrap_or(defaults.retries),
                statement_timeout: self
                    .statement_timeout_ms
                    .filter(|ms| *ms > 0)
                    .map(Duration::from_millis),
            },
            allow,
        })
    }
}

/// How autogen reads the entities it compares ([`crate::entities`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityReading {
    /// From their source files, with no build (`"source"`).
    Source,
    /// Through SeaORM's metadata of the entities the migration crate
    /// registers (`"compiled"`), for entities source cannot say everything about.
    Compiled,
}

/// `autogen.toml` cannot be found or used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// None in the directory or its parents.
    #[error("no {FILE_NAME} in {} or any parent directory; run `autogen init` to create one", .0.display())]
    NotFound(PathBuf),
    /// A migration binary with no autogen.toml around it, and no `DATABASE_URL`.
    #[error(
        "no {FILE_NAME} in {} or any parent directory, and {URL_ENV} is not set: a migration binary run on \
         its own takes the database from {URL_ENV}; in a project, run `autogen init` to create {FILE_NAME}",
        .0.display()
    )]
    NoUrl(PathBuf),
    /// The working directory to search from is unreadable.
    #[error("cannot read the working directory")]
    WorkingDirectory(#[source] std::io::Error),
    /// The file cannot be read.
    #[error("cannot read {}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not TOML of the expected shape.
    #[error("{} is not a valid autogen.toml", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        source: Box<toml::de::Error>,
    },
    /// One setting's value cannot be used.
    #[error("{}: {key} {reason}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// The setting.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The `.env` file cannot be read.
    #[error("{} cannot be read as a .env file; fix or remove it", path.display())]
    DotEnv {
        /// The file.
        path: PathBuf,
        /// Why.
        source: Box<dotenvy::Error>,
    },
    /// `script_location` names no migration crate.
    #[error(
        "{} names script_location {}, which has no Cargo.toml; fix script_location or run `autogen init`",
        path.display(),
        script_location.display()
    )]
    NoMigrationCrate {
        /// The file.
        path: PathBuf,
        /// Where it says the crate is.
        script_location: PathBuf,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    autogen: Section,
    #[serde(default)]
    compare: CompareSettings,
    #[serde(default)]
    declare: Declarations,
    #[serde(default)]
    online: OnlineSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    script_location: String,
    database_url: String,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    allow_unregistered_drops: bool,
    #[serde(default)]
    allow_destructive: bool,
    #[serde(default)]
    connect_timeout: Option<u64>,
    #[serde(default)]
    lock_timeout: Option<u64>,
    #[serde(default)]
    post_write_hooks: Option<Vec<String>>,
    #[serde(default)]
    revision_template: Option<PathBuf>,
    #[serde(default)]
    entities: Vec<PathBuf>,
    #[serde(default)]
    entities_exclude: Vec<PathBuf>,
    #[serde(default)]
    entity_reading: Option<EntityReading>,
}

impl Config {
    /// Every setting at its default, for a program that uses autogen as a
    /// library with its own database URL and no `autogen.toml`.
    pub fn new(script_location: impl Into<PathBuf>, database_url: DatabaseUrl) -> Self {
        let script_location = script_location.into();
        Self {
            path: script_location.join(FILE_NAME),
            script_location,
            database_url,
            schema: None,
            allow_unregistered_drops: false,
            allow_destructive: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            post_write_hooks: default_hooks(),
            revision_template: None,
            entities: Vec::new(),
            entities_exclude: Vec::new(),
            entity_reading: None,
            compare: CompareSettings::default(),
            declare: Declarations::default(),
            online: OnlineSettings::default(),
            standalone: false,
        }
    }

    /// The settings of a migration binary run where there is no autogen.toml
    /// (a release image, a Kubernetes Job): the database from `DATABASE_URL`,
    /// the PostgreSQL schema compared from `AUTOGEN_SCHEMA`, timeouts from
    /// the flags, everything else at its default. `searched` is where
    /// autogen.toml was looked for, for the error when `DATABASE_URL` is unset.
    pub fn from_environment(script_location: impl Into<PathBuf>, searched: &Path) -> Result<Self, ConfigError> {
        let variable = |name| std::env::var(name).ok().filter(|value: &String| !value.is_empty());
        let url = variable(URL_ENV).ok_or_else(|| ConfigError::NoUrl(searched.to_owned()))?;
        let mut config = Self::new(script_location, DatabaseUrl::new(url, UrlOrigin::Environment(URL_ENV)));
        config.schema = variable(SCHEMA_ENV);
        config.standalone = true;
        Ok(config)
    }

    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        let file: File = toml::from_str(&text).map_err(|source| ConfigError::Invalid {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        let value_error = |key, reason| ConfigError::Value {
            path: path.to_owned(),
            key,
            reason,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let dot_env = DotEnv::find(dir)?;
        let lookup = |name: &str| match std::env::var(name) {
            Ok(value) => Some((value, Variable::Set(name.to_owned()))),
            Err(_) => dot_env.as_ref().and_then(|file| file.lookup(name)),
        };
        let (url, variables) = interpolate(&file.autogen.database_url, lookup)
            .map_err(|reason| value_error("database_url", reason))?;
        if file.autogen.connect_timeout == Some(0) {
            return Err(value_error(
                "connect_timeout",
                "is 0; give the seconds a connection may take, e.g. 5".to_owned(),
            ));
        }
        let post_write_hooks = match &file.autogen.post_write_hooks {
            None => default_hooks(),
            Some(lines) => lines
                .iter()
                .enumerate()
                .map(|(at, line)| {
                    PostWriteHook::parse(line).map_err(|reason| {
                        value_error(
                            "post_write_hooks",
                            format!("entry {} ({line:?}) {reason}", at + 1),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let origin = UrlOrigin::Config {
            path: path.to_owned(),
            variables,
        };
        let online = file.online.settings(value_error)?;
        Ok(Self {
            path: path.to_owned(),
            script_location: dir.join(&file.autogen.script_location),
            database_url: DatabaseUrl::new(resolve_sqlite_path(&url, dir), origin),
            schema: file.autogen.schema,
            allow_unregistered_drops: file.autogen.allow_unregistered_drops,
            allow_destructive: file.autogen.allow_destructive,
            connect_timeout: file
                .autogen
                .connect_timeout
                .map_or(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs),
            lock_timeout: file
                .autogen
                .lock_timeout
                .map_or(DEFAULT_LOCK_TIMEOUT, Duration::from_secs),
            post_write_hooks,
            revision_template: file.autogen.revision_template.map(|t| dir.join(t)),
            entities: file.autogen.entities.iter().map(|d| dir.join(d)).collect(),
            entities_exclude: file.autogen.entities_exclude.iter().map(|d| dir.join(d)).collect(),
            entity_reading: file.autogen.entity_reading,
            compare: file.compare,
            declare: file.declare,
            online,
            standalone: false,
        })
    }

    /// What autogenerate and `check` compare: `options` (main.rs's tables)
    /// with the `[compare]` settings and the `[declare]`d objects.
    pub fn compare_options(&self, options: autogen_diff::Options) -> autogen_diff::Options {
        self.compare.apply(&self.declare, options)
    }

    /// The first `autogen.toml` in `start` or one of its parents.
    pub fn find(start: &Path) -> Option<PathBuf> {
        start.ancestors().map(|d| d.join(FILE_NAME)).find(|p| p.is_file())
    }

    /// The configuration a command should use: the file the launcher named,
    /// else the nearest one upward from the working directory, else the one
    /// beside the migration crate (`fallback_dir`).
    pub fn discover(explicit: Option<&Path>, fallback_dir: Option<&Path>) -> Result<Self, ConfigError> {
        if let Some(path) = explicit {
            return Self::load(path);
        }
        let cwd = std::env::current_dir().map_err(ConfigError::WorkingDirectory)?;
        let found = Self::find(&cwd).or_else(|| fallback_dir.and_then(Self::find));
        match found {
            Some(path) => Self::load(&path),
            None => Err(ConfigError::NotFound(cwd)),
        }
    }
}

/// The `.env` file SeaORM projects keep `DATABASE_URL` in, read as
/// sea-orm-cli reads it (dotenvy) but without changing the process's
/// environment, so the URL's origin can name the file. The environment wins
/// over it, as with dotenvy.
struct DotEnv {
    path: PathBuf,
    variables: std::collections::HashMap<String, String>,
}

impl DotEnv {
    /// The nearest `.env` in `dir` or above it, if any.
    fn find(dir: &Path) -> Result<Option<Self>, ConfigError> {
        let Some(path) = dir.ancestors().map(|d| d.join(".env")).find(|p| p.is_file()) else {
            return Ok(None);
        };
        let variables = dotenvy::from_path_iter(&path)
            .and_then(|pairs| pairs.collect::<Result<_, _>>())
            .map_err(|source| ConfigError::DotEnv {
                path: path.clone(),
                source: Box::new(source),
            })?;
        Ok(Some(Self { path, variables }))
    }

    fn lookup(&self, name: &str) -> Option<(String, Variable)> {
        let value = self.variables.get(name)?;
        let read = Variable::DotEnv {
            name: name.to_owned(),
            file: self.path.clone(),
        };
        Some((value.clone(), read))
    }
}

/// Substitutes `${NAME}` and `${NAME:-fallback}` from `lookup`, saying which
/// variables were read and which fell back. The error says what is wrong
/// with the text; the text itself is left out, as it may hold a password.
fn interpolate(
    text: &str,
    lookup: impl Fn(&str) -> Option<(String, Variable)>,
) -> Result<(String, Vec<Variable>), String> {
    let mut out = String::with_capacity(text.len());
    let mut variables = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err("has a `${` with no closing `}`".to_owned());
        };
        let (name, fallback) = match after[..end].split_once(":-") {
            Some((name, fallback)) => (name, Some(fallback)),
            None => (&after[..end], None),
        };
        match (lookup(name).filter(|(value, _)| !value.is_empty()), fallback) {
            (Some((value, read)), _) => {
                out.push_str(&value);
                variables.push(read);
            }
            (None, Some(fallback)) => {
                out.push_str(fallback);
                variables.push(Variable::Fallback(name.to_owned()));
            }
            (None, None) => {
                return Err(format!(
                    "reads ${{{name}}}, which is not set; set {name}, or give a fallback: ${{{name}:-sqlite://app.db}}"
                ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((out, variables))
}

/// `sqlite://app.db` → `sqlite:///abs/dir/app.db?mode=rwc`: relative to the
/// configuration file, and created on first use as SQLAlchemy does.
fn resolve_sqlite_path(url: &str, dir: &Path) -> String {
    let Some((path, query)) = sqlite_parts(url) else {
        return url.to_owned();
    };
    if path.is_empty() || path == ":memory:" {
        return url.to_owned();
    }
    let absolute = if Path::new(path).is_absolute() {
        PathBuf::from(path)
    } else {
        dir.join(path)
    };
    let query = if query.split('&').any(|kv| kv.starts_with("mode=")) {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    format!("sqlite://{}?{query}", absolute.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;
    use proptest::test_runner::contextualize_config;

    fn env(name: &str) -> Option<(String, Variable)> {
        (name == "SET").then(|| ("value".to_owned(), Variable::Set(name.to_owned())))
    }

    #[test]
    fn variables_are_substituted_with_fallbacks() {
        let substituted = |text| interpolate(text, env).unwrap().0;
        assert_eq!(substituted("a${SET}b"), "avalueb");
        assert_eq!(substituted("${UNSET:-sqlite://x.db}"), "sqlite://x.db");
        assert_eq!(substituted("${SET:-other}"), "value");
        assert_eq!(
            interpolate("${SET}/${UNSET:-x}", env).unwrap().1,
            [Variable::Set("SET".into()), Variable::Fallback("UNSET".into())]
        );
        assert_eq!(
            interpolate("${UNSET}", env).unwrap_err(),
            "reads ${UNSET}, which is not set; set UNSET, or give a fallback: ${UNSET:-sqlite://app.db}"
        );
        let unclosed = interpolate("postgres://me:s3cret@h/${OPEN", env).unwrap_err();
        assert_eq!(unclosed, "has a `${` with no closing `}`");
    }

    #[test]
    fn sqlite_paths_are_relative_to_the_file() {
        let dir = Path::new("/proj");
        assert_eq!(
            resolve_sqlite_path("sqlite://app.db", dir),
            "sqlite:///proj/app.db?mode=rwc"
        );
        assert_eq!(
            resolve_sqlite_path("sqlite:///abs/app.db?mode=ro", dir),
            "sqlite:///abs/app.db?mode=ro"
        );
        assert_eq!(resolve_sqlite_path("sqlite::memory:", dir), "sqlite::memory:");
        assert_eq!(resolve_sqlite_path("postgres://h/db", dir), "postgres://h/db");
    }

    #[test]
    fn a_file_is_loaded_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            "[autogen]\nscript_location = \"migration\"\ndatabase_url = \"sqlite://app.db\"\n",
        )
        .unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.script_location, dir.path().join("migration"));
        assert_eq!(
            config.database_url.expose(),
            format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display())
        );
        assert_eq!(
            config.database_url.origin(),
            &UrlOrigin::Config {
                path: path.clone(),
                variables: Vec::new()
            }
        );
        assert_eq!(config.schema, None);
        assert_eq!(config.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(config.lock_timeout, DEFAULT_LOCK_TIMEOUT);
        std::fs::write(
            &path,
            "[autogen]\nscript_location = \"m\"\ndatabase_url = \"postgres://h/db\"\nschema = \"shop\"\n\
             connect_timeout = 2\nlock_timeout = 0\n",
        )
        .unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.schema.as_deref(), Some("shop"));
        assert_eq!(config.connect_timeout, Duration::from_secs(2));
        assert_eq!(config.lock_timeout, Duration::ZERO);
        std::fs::write(&path, "[autogen]\nscript_location = \"m\"\ndatabse_url = \"x\"\n").unwrap();
        let err = format!("{:#}", anyhow::Error::from(Config::load(&path).unwrap_err()));
        assert!(err.contains("unknown field `databse_url`"), "{err}");
        std::fs::write(
            &path,
            "[autogen]\nscript_location = \"m\"\ndatabase_url = \"x\"\nconnect_timeout = 0\n",
        )
        .unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("connect_timeout is 0; give the seconds a connection may take, e.g. 5"),
            "{err}"
        );
    }

    #[test]
    fn post_write_hooks_and_the_revision_template_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let load = |extra: &str| {
            std::fs::write(
                &path,
                format!("[autogen]\nscript_location = \"m\"\ndatabase_url = \"sqlite://a.db\"\n{extra}"),
            )
            .unwrap();
            Config::load(&path)
        };
        let defaults = load("").unwrap();
        assert_eq!(defaults.post_write_hooks, default_hooks());
        assert_eq!(
            defaults.post_write_hooks[0].to_string(),
            "rustfmt --edition 2021 {path}"
        );
        assert_eq!(defaults.revision_template, None);

        let set = load(
            "post_write_hooks = [\"rustfmt --edition 2024 {path}\", \"git add '{path}'\"]\n\
             revision_template = \"templates/revision.rs\"\n",
        )
        .unwrap();
        let hooks: Vec<String> = set.post_write_hooks.iter().map(ToString::to_string).collect();
        assert_eq!(hooks, ["rustfmt --edition 2024 {path}", "git add '{path}'"]);
        assert_eq!(
            set.revision_template,
            Some(dir.path().join("templates/revision.rs"))
        );

        assert_eq!(load("post_write_hooks = []\n").unwrap().post_write_hooks, []);
        let unclosed = load("post_write_hooks = [\"rustfmt\", \"black '{path}\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            unclosed.ends_with("post_write_hooks entry 2 (\"black '{path}\") has a ' with no closing '"),
            "{unclosed}"
        );
        let not_a_list = format!(
            "{:#}",
            anyhow::Error::from(load("post_write_hooks = \"rustfmt\"\n").unwrap_err())
        );
        assert!(not_a_list.contains("post_write_hooks"), "{not_a_list}");
    }

    // Fuzzing: whatever an autogen.toml says, loading it gives a
    // configuration or an error naming the file, never a panic.

    /// Text with what interpolation and URLs give meaning to, often.
    fn config_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<char>().prop_map(String::from),
            select(vec![
                "${",
                "}",
                ":-",
                "$",
                "PATH",
                "sqlite://",
                "sqlite:",
                ":memory:",
                "?",
                "&",
                "mode=",
                "@",
                "/",
                ":",
                "=",
                "\"",
                "\n",
                "[autogen]",
                "\\",
            ])
            .prop_map(str::to_owned),
        ];
        vec(piece, 0..16).prop_map(|pieces| pieces.concat())
    }

    #[test]
    fn variables_come_from_the_environment_then_the_nearest_dot_env() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("app");
        std::fs::create_dir(&project).unwrap();
        std::fs::write(
            dir.path().join(".env"),
            "# as SeaORM projects keep it\nAUTOGEN_DOTENV_TEST_URL=\"postgres://me:s3cret@db/app\"\nPATH=not-this\n",
        )
        .unwrap();
        let path = project.join(FILE_NAME);
        let write = |url: &str| {
            let text = format!("[autogen]\nscript_location = \"m\"\ndatabase_url = \"{url}\"\n");
            std::fs::write(&path, text).unwrap();
        };
        write("${AUTOGEN_DOTENV_TEST_URL}");
        let config = Config::load(&path).unwrap();
        assert_eq!(config.database_url.expose(), "postgres://me:s3cret@db/app");
        let origin = config.database_url.origin().to_string();
        let dot_env = dir.path().join(".env");
        assert!(
            origin.ends_with(&format!(
                "with AUTOGEN_DOTENV_TEST_URL from {}",
                dot_env.display()
            )),
            "{origin}"
        );
        // The environment wins over the file, as with dotenvy.
        write("sqlite://${PATH}");
        let config = Config::load(&path).unwrap();
        assert!(!config.database_url.expose().contains("not-this"));
        std::fs::write(dir.path().join(".env"), "NOT A LINE\n").unwrap();
        let broken = Config::load(&path).unwrap_err();
        assert!(
            broken.to_string().contains("cannot be read as a .env file"),
            "{broken}"
        );
    }

    #[test]
    fn online_says_how_revisions_treat_live_tables() {
        let head = "[autogen]\nscript_location = \"migration\"\ndatabase_url = \"sqlite://app.db\"\n";
        let (_dir, config) = load_text(&format!(
            "{head}\n[online]\nlock_safe = true\nlock_timeout_ms = 500\nretries = 3\nstatement_timeout_ms = 60000\nallow = [\"AG208\", \"ag207\"]\n"
        ));
        let online = config.unwrap().online;
        assert!(online.lock_safe);
        assert_eq!(
            online.lock_wait,
            autogen_migrate::LockWait {
                timeout: Duration::from_millis(500),
                retries: 3,
                statement_timeout: Some(Duration::from_secs(60)),
            }
        );
        assert_eq!(
            online.allow,
            [autogen_schema::LockKind::TypeChangeLock, autogen_schema::LockKind::TypeRewrite]
        );
        let (_dir, plain) = load_text(head);
        assert_eq!(plain.unwrap().online, OnlineSettings::default());
        for (section, says) in [
            ("allow = [\"AG101\"]", "allow names \"AG101\", which is not a lock risk code (AG201 to AG211)"),
            ("lock_timeout_ms = 0", "lock_timeout_ms is 0, which PostgreSQL reads as no timeout"),
        ] {
            let (_dir, refused) = load_text(&format!("{head}\n[online]\n{section}\n"));
            let message = refused.unwrap_err().to_string();
            assert!(message.contains(says), "{message}");
        }
    }

    #[test]
    fn compare_and_declare_say_what_is_managed_beyond_the_entities() {
        let (_dir, config) = load_text(
            r#"
[autogen]
script_location = "migration"
database_url = "sqlite://app.db"

[compare]
server_default = false
ignore = [{ kind = "index", name = "ix_legacy_*" }, { kind = "foreign_key", name = "*" }]

[[declare.index]]
table = "post"
name = "idx_post_author_created"
columns = ["author_id", { expression = "lower(title)" }]
where = "deleted_at IS NULL"

[[declare.check]]
table = "post"
name = "post_rating_range"
expression = "rating BETWEEN 1 AND 5"
"#,
        );
        let config = config.unwrap();
        assert!(!config.compare.server_default);
        assert_eq!(config.compare.ignore[1].kind, autogen_diff::ObjectKind::ForeignKey);
        let index = config.declare.index[0].to_index();
        assert_eq!(
            index.parts,
            [
                autogen_schema::IndexPart::Column("author_id".into()),
                autogen_schema::IndexPart::Expression("lower(title)".into()),
            ]
        );
        assert_eq!(index.where_clause.as_deref(), Some("deleted_at IS NULL"));
        assert!(!index.unique);
        assert_eq!(config.declare.check[0].name.as_deref(), Some("post_rating_range"));
        // Without the sections, everything is compared and nothing declared.
        let (_dir, plain) = load_text("[autogen]\nscript_location = \"m\"\ndatabase_url = \"sqlite://a.db\"\n");
        let plain = plain.unwrap();
        assert_eq!(plain.compare, crate::scope::CompareSettings::default());
        assert!(plain.compare.server_default);
        assert_eq!(plain.declare, crate::scope::Declarations::default());
        // A kind autogen does not know is named.
        let (_dir, wrong) = load_text(
            "[autogen]\nscript_location = \"m\"\ndatabase_url = \"sqlite://a.db\"\n\
             [compare]\nignore = [{ kind = \"view\", name = \"v\" }]\n",
        );
        let error = format!("{:#}", anyhow::Error::from(wrong.unwrap_err()));
        assert!(error.contains("unknown variant `view`"), "{error}");
    }

    /// `text` as `Config::load` reads it from a file.
    fn load_text(text: &str) -> (tempfile::TempDir, Result<Config, ConfigError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        let loaded = Config::load(&path);
        (dir, loaded)
    }

    /// One piece of a `database_url` value.
    #[derive(Clone, Debug)]
    enum UrlPart {
        /// Text with no `$`, as it is.
        Text(String),
        /// `${PATH}`, which is set wherever tests run.
        Set,
        /// `${…:-fallback}` of an unset variable: the fallback (without `}`).
        Fallback(String),
        /// `${…}` of an unset variable, with no fallback: an error.
        Unset,
    }

    fn url_part() -> impl Strategy<Value = UrlPart> {
        let text = || config_text().prop_map(|t| t.replace(['$', '}'], ""));
        prop_oneof![
            text().prop_map(UrlPart::Text),
            Just(UrlPart::Set),
            text().prop_map(UrlPart::Fallback),
            Just(UrlPart::Unset),
        ]
    }

    /// Something that makes a file no valid autogen.toml.
    #[derive(Clone, Debug)]
    enum Flaw {
        UnknownKey,
        NoDatabaseUrl,
        FlagNotABool,
        NoSection,
        Unclosed,
    }

    const UNSET: &str = "AUTOGEN_FUZZ_SURELY_UNSET";

    proptest! {
        #![proptest_config(contextualize_config(ProptestConfig::with_cases(1000)))]

        #[test]
        fn interpolation_substitutes_or_says_why(text in config_text()) {
            match interpolate(&text, env) {
                Ok((out, variables)) if !text.contains("${") => {
                    prop_assert_eq!(out, text);
                    prop_assert!(variables.is_empty());
                }
                Ok(_) => {}
                Err(e) => {
                    let says_why = text.contains("${") && !e.to_string().is_empty();
                    prop_assert!(says_why, "{}", e);
                }
            }
        }

        #[test]
        fn any_file_loads_or_is_refused_by_name(text in config_text()) {
            let (dir, loaded) = load_text(&text);
            if let Err(e) = loaded {
                let message = format!("{e:#}");
                prop_assert!(message.contains(&dir.path().display().to_string()), "{}", message);
            }
        }

        #[test]
        fn a_well_formed_file_loads_as_written_and_a_flawed_one_is_refused(
            script_location in config_text(),
            scheme in select(vec!["postgres://h/", "mysql://u:p@h/", "sqlite://", "sqlite::memory:", ""]),
            parts in vec(url_part(), 0..5),
            schema in proptest::option::of(config_text()),
            allow_destructive in proptest::option::of(any::<bool>()),
            flaw in proptest::option::of(prop_oneof![
                Just(Flaw::UnknownKey),
                Just(Flaw::NoDatabaseUrl),
                Just(Flaw::FlagNotABool),
                Just(Flaw::NoSection),
                Just(Flaw::Unclosed),
            ]),
        ) {
            let path = std::env::var("PATH").unwrap_or_default();
            let mut url = scheme.to_owned();
            let mut expected = Some(scheme.to_owned());
            for part in &parts {
                let (written, value) = match part {
                    UrlPart::Text(text) => (text.clone(), Some(text.clone())),
                    UrlPart::Set => ("${PATH}".to_owned(), (!path.is_empty()).then(|| path.clone())),
                    UrlPart::Fallback(text) => (format!("${{{UNSET}:-{text}}}"), Some(text.clone())),
                    UrlPart::Unset => (format!("${{{UNSET}}}"), None),
                };
                url.push_str(&written);
                expected = expected.zip(value).map(|(url, value)| url + &value);
            }
            if matches!(flaw, Some(Flaw::Unclosed)) {
                url.push_str("${PATH");
            }
            let quoted = |text: &str| toml::Value::String(text.to_owned()).to_string();
            let mut file = String::new();
            if !matches!(flaw, Some(Flaw::NoSection)) {
                file.push_str("[autogen]\n");
            }
            file.push_str(&format!("script_location = {}\n", quoted(&script_location)));
            if !matches!(flaw, Some(Flaw::NoDatabaseUrl)) {
                file.push_str(&format!("database_url = {}\n", quoted(&url)));
            }
            if let Some(schema) = &schema {
                file.push_str(&format!("schema = {}\n", quoted(schema)));
            }
            if let Some(allow) = allow_destructive {
                file.push_str(&format!("allow_destructive = {allow}\n"));
            }
            match flaw {
                Some(Flaw::UnknownKey) => file.push_str("databse_url = \"x\"\n"),
                Some(Flaw::FlagNotABool) => file.push_str("allow_unregistered_drops = \"yes\"\n"),
                _ => {}
            }

            let (dir, loaded) = load_text(&file);
            match (loaded, flaw, expected) {
                (Ok(config), None, Some(expected)) => {
                    prop_assert_eq!(config.script_location, dir.path().join(&script_location));
                    prop_assert_eq!(config.schema, schema);
                    prop_assert_eq!(config.allow_destructive, allow_destructive.unwrap_or(false));
                    // SQLite paths are made absolute; any other URL is kept as substituted.
                    if !expected.starts_with("sqlite:") {
                        prop_assert_eq!(config.database_url.expose(), expected);
                    }
                }
                (Err(e), flaw, expected) => {
                    let message = format!("{e:#}");
                    prop_assert!(flaw.is_some() || expected.is_none(), "{}\n{}", message, file);
                    prop_assert!(message.contains(&dir.path().display().to_string()), "{}", message);
                }
                (Ok(config), flaw, expected) => {
                    prop_assert!(false, "loaded {:?} despite {:?} (expected URL {:?})\n{}", config, flaw, expected, file);
                }
            }
        }

        #[test]
        fn any_url_is_redacted_and_resolved(url in config_text()) {
            let redacted = crate::database::redact(&url);
            if !url.contains("://") {
                prop_assert_eq!(&redacted, &url);
            }
            let resolved = resolve_sqlite_path(&url, Path::new("/proj"));
            if !url.starts_with("sqlite:") {
                prop_assert_eq!(resolved, url);
            }
        }
    }
}

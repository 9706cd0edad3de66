//! Opening the database: every command connects through [`connect`], which
//! bounds the wait, never creates a SQLite file for a command that only
//! reads, and turns each way it can fail into one [`Unavailable`] that says
//! what was tried and what to do.
//!
//! A [`DatabaseUrl`] remembers where it came from (`--url`, autogen.toml,
//! an environment variable or a fallback), so a missing database can be
//! traced to its cause, and prints with its password hidden, so no message
//! shows it.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use autogen_schema::Dialect;
use sea_orm::sqlx;
use sea_orm::{ConnAcquireErr, ConnectOptions, Database, DatabaseConnection, DbErr, RuntimeErr};

/// A database URL and where it came from. `Display` and `Debug` hide its
/// password; [`DatabaseUrl::expose`] gives the URL itself, to connect with.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    origin: UrlOrigin,
}

/// Where a database URL came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlOrigin {
    /// A command-line option, such as `--url`.
    Option(&'static str),
    /// `database_url` in this autogen.toml, with the `${NAME}`s it read.
    Config {
        /// The file.
        path: PathBuf,
        /// Each variable substituted, in order.
        variables: Vec<Variable>,
    },
    /// The program that uses autogen as a library built it.
    Program,
    /// An environment variable, read with no autogen.toml (a migration
    /// binary run on its own).
    Environment(&'static str),
}

/// How one `${NAME}` in autogen.toml's `database_url` was substituted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Variable {
    /// From the environment variable `NAME`.
    Set(String),
    /// `NAME` is not set, so the `:-fallback` was used.
    Fallback(String),
    /// `NAME` is not set in the environment but in this `.env` file.
    DotEnv {
        /// The variable.
        name: String,
        /// The file.
        file: PathBuf,
    },
}

impl DatabaseUrl {
    /// `url`, which came from `origin`.
    pub fn new(url: impl Into<String>, origin: UrlOrigin) -> Self {
        Self {
            url: url.into(),
            origin,
        }
    }

    /// The URL itself, password and all: to connect with, never to print.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// Where it came from.
    pub fn origin(&self) -> &UrlOrigin {
        &self.origin
    }

    /// Another URL made from this one (a scratch database on the same
    /// server), traced to the same origin.
    pub fn derived(&self, url: impl Into<String>) -> Self {
        Self::new(url, self.origin.clone())
    }

    /// The backend the URL names, without connecting.
    pub fn dialect(&self) -> Result<Dialect, Unavailable> {
        let scheme = self.url.split(':').next().unwrap_or_default();
        Ok(match scheme {
            "sqlite" => Dialect::Sqlite,
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" | "mariadb" => Dialect::MySql,
            _ => {
                return Err(Unavailable::UnknownBackend {
                    url: self.to_string(),
                })
            }
        })
    }

    /// The database a server URL names (`mysql://h/app` → `app`), if it names one.
    pub fn database_name(&self) -> Option<&str> {
        let (_, rest) = self.url.split_once("://")?;
        let address = rest.split_once('?').map_or(rest, |(address, _)| address);
        let host_and_path = address.rsplit_once('@').map_or(address, |(_, host)| host);
        let (_, name) = host_and_path.split_once('/')?;
        (!name.is_empty()).then_some(name)
    }

    /// The host of a server URL that is not this machine, read as the
    /// driver reads it (`?host=` included): `None` for SQLite, a Unix
    /// socket, `localhost` or a loopback address, and for a URL the driver
    /// cannot read, which connecting then refuses, saying why.
    pub fn remote_host(&self) -> Option<String> {
        let host = match self.dialect().ok()? {
            Dialect::Sqlite => return None,
            Dialect::Postgres => {
                let options: sqlx::postgres::PgConnectOptions = self.url.parse().ok()?;
                if options.get_socket().is_some() {
                    return None;
                }
                options.get_host().to_owned()
            }
            // sqlx reads mysql:// only; mariadb:// is the same URL to it.
            Dialect::MySql => {
                let url = self.url.replacen("mariadb://", "mysql://", 1);
                let options: sqlx::mysql::MySqlConnectOptions = url.parse().ok()?;
                if options.get_socket().is_some() {
                    return None;
                }
                options.get_host().to_owned()
            }
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        // A path is a Unix socket (PostgreSQL's `host=/run/postgresql`).
        let local = host.starts_with('/')
            || host.eq_ignore_ascii_case("localhost")
            || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| match ip {
                std::net::IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
                ip => ip.is_loopback(),
            });
        (!local).then_some(host)
    }

    /// The file a SQLite URL opens; `None` for a database in memory or on a server.
    fn sqlite_file(&self) -> Option<PathBuf> {
        let (path, query) = sqlite_parts(&self.url)?;
        let in_memory =
            path.is_empty() || path == ":memory:" || query.split('&').any(|kv| kv == "mode=memory");
        if in_memory {
            return None;
        }
        // sqlx reads the path (percent-decoded) as this does.
        let options: sqlx::sqlite::SqliteConnectOptions = self.url.parse().ok()?;
        Some(options.get_filename().to_owned())
    }

    /// `text` with this URL and its password hidden, for a message that
    /// comes from elsewhere and might quote them.
    fn scrub(&self, text: &str) -> String {
        let text = text.replace(&self.url, &redact(&self.url));
        match password(&self.url) {
            Some(password) if !password.is_empty() => text.replace(password, "***"),
            _ => text,
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.url))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("url", &redact(&self.url))
            .field("origin", &self.origin)
            .finish()
    }
}

impl fmt::Display for UrlOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlOrigin::Option(name) => write!(f, "the {name} option"),
            UrlOrigin::Program => f.write_str("the program"),
            UrlOrigin::Environment(name) => write!(f, "the environment variable {name}"),
            UrlOrigin::Config { path, variables } => {
                write!(f, "database_url in {}", path.display())?;
                let read: Vec<String> = variables
                    .iter()
                    .map(|v| match v {
                        Variable::Set(name) => format!("with {name} from the environment"),
                        Variable::Fallback(name) => format!("falling back as {name} is not set"),
                        Variable::DotEnv { name, file } => format!("with {name} from {}", file.display()),
                    })
                    .collect();
                if !read.is_empty() {
                    write!(f, ", {}", read.join(" and "))?;
                }
                Ok(())
            }
        }
    }
}

/// What a command does with the database, which decides whether a missing
/// SQLite file may be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads only (`current`, `check`, `inspect`…): a missing file is an error.
    Read,
    /// Writes (`upgrade`, `stamp`…): a missing file is created, as SQLite
    /// does on first use.
    Write,
}

/// Why a command cannot use its database. Each says what was tried, with
/// the password hidden, and what to do; the CLI exits with 2.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// The URL names no backend autogen knows.
    #[error(
        "cannot tell the database from the URL {url}; it should start with sqlite:, postgres:// or mysql://"
    )]
    UnknownBackend {
        /// The URL, password hidden.
        url: String,
    },
    /// A command that only reads was pointed at a SQLite file that does not exist.
    #[error("{}", no_file(path, origin))]
    NoFile {
        /// The file, absolute.
        path: PathBuf,
        /// Where its URL came from.
        origin: UrlOrigin,
    },
    /// No connection was made in time: the server refused it (sqlx tries
    /// again until the time is up, in case it is starting) or did not answer.
    #[error(
        "cannot connect to {url}: no connection within {} s (refused, or no answer); check that the \
         server is running and reachable at that host and port, or give it longer with \
         --connect-timeout <SECONDS> (connect_timeout in autogen.toml)",
        timeout.as_secs()
    )]
    TimedOut {
        /// The URL, password hidden.
        url: String,
        /// How long it was given.
        timeout: Duration,
    },
    /// The host cannot be found or reached at all.
    #[error("cannot connect to {url}: {reason}; check the host and port in the URL")]
    Unreachable {
        /// The URL, password hidden.
        url: String,
        /// The system's words.
        reason: String,
    },
    /// The server turned the user away.
    #[error("cannot connect to {url}: the server refused the login ({reason}); check the user name and password in the URL")]
    LoginRefused {
        /// The URL, password hidden.
        url: String,
        /// The server's words.
        reason: String,
    },
    /// The server has no database of that name.
    #[error("{}", no_database(url, name.as_deref(), reason))]
    NoDatabase {
        /// The URL, password hidden.
        url: String,
        /// The database, if the URL names it (PostgreSQL's default is the user's name).
        name: Option<String>,
        /// The server's words.
        reason: String,
    },
    /// Another run held the migration lock for longer than the lock timeout.
    #[error(
        "cannot migrate {url}: {reason}; wait for that run to finish and try again, or wait longer with \
         --lock-timeout <SECONDS> (lock_timeout in autogen.toml)"
    )]
    Locked {
        /// The URL, password hidden.
        url: String,
        /// Whose lock, and how long this run waited.
        reason: String,
    },
    /// Anything else the driver reported while connecting.
    #[error("cannot connect to {url}: {reason}")]
    Other {
        /// The URL, password hidden.
        url: String,
        /// The driver's words, any password in them hidden.
        reason: String,
    },
}

fn no_file(path: &std::path::Path, origin: &UrlOrigin) -> String {
    let fix = match origin {
        UrlOrigin::Option(_) | UrlOrigin::Program | UrlOrigin::Environment(_) => "check the path",
        UrlOrigin::Config { .. } => {
            "point the URL at an existing database, or run `autogen upgrade head` to create one there"
        }
    };
    format!(
        "no SQLite database at {}; the URL comes from {origin}; {fix}",
        path.display()
    )
}

fn no_database(url: &str, name: Option<&str>, reason: &str) -> String {
    match name {
        Some(name) => format!(
            "cannot connect to {url}: the server has no database '{name}'; create it \
             (CREATE DATABASE {name}), or fix the database name in the URL"
        ),
        None => {
            format!("cannot connect to {url}: {reason}; create that database, or name another in the URL")
        }
    }
}

/// Opens `url` with `open`, which is given the options to connect with (no
/// statement logging; for [`Access::Read`], a SQLite file is not created),
/// and gives up after `timeout`. This is the one way autogen connects, so
/// every command waits as long and fails alike.
pub async fn connect<T, F>(
    url: &DatabaseUrl,
    access: Access,
    timeout: Duration,
    open: impl FnOnce(ConnectOptions) -> F,
) -> Result<T, Unavailable>
where
    F: Future<Output = Result<T, DbErr>>,
{
    // Checked first: sea-orm's error for an unknown scheme quotes the URL whole.
    url.dialect()?;
    let mut options = ConnectOptions::new(url.expose());
    // Waiting for a pooled connection another query holds is not
    // connecting, so it keeps sqlx's usual 30 s if that is longer.
    options
        .acquire_timeout(timeout.max(Duration::from_secs(30)))
        .sqlx_logging(false);
    if access == Access::Read {
        if let Some(path) = url.sqlite_file() {
            if !path.exists() {
                return Err(Unavailable::NoFile {
                    path: std::path::absolute(&path).unwrap_or(path),
                    origin: url.origin().clone(),
                });
            }
        }
        // Over `mode=rwc` too; only a SQLite URL reads these.
        options.map_sqlx_sqlite_opts(|sqlite| sqlite.create_if_missing(false));
    }
    match tokio::time::timeout(timeout, open(options)).await {
        Ok(Ok(opened)) => Ok(opened),
        Ok(Err(error)) => Err(classify(url, timeout, &error)),
        Err(_elapsed) => Err(Unavailable::TimedOut {
            url: url.to_string(),
            timeout,
        }),
    }
}

/// A pool of up to `connections` connections to `url`, opened as [`connect`] does.
pub async fn open(
    url: &DatabaseUrl,
    access: Access,
    timeout: Duration,
    connections: u32,
) -> Result<DatabaseConnection, Unavailable> {
    connect(url, access, timeout, |mut options| async move {
        options.max_connections(connections);
        Database::connect(options).await
    })
    .await
}

/// What went wrong connecting to `url`, in the user's terms.
fn classify(url: &DatabaseUrl, timeout: Duration, error: &DbErr) -> Unavailable {
    let shown = url.to_string();
    let driver = match error {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => {
            return Unavailable::TimedOut { url: shown, timeout };
        }
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e.as_ref(),
        other => {
            return Unavailable::Other {
                url: shown,
                reason: url.scrub(&other.to_string()),
            }
        }
    };
    match driver {
        sqlx::Error::PoolTimedOut => Unavailable::TimedOut { url: shown, timeout },
        sqlx::Error::Io(e) => Unavailable::Unreachable {
            url: shown,
            reason: url.scrub(&e.to_string()),
        },
        sqlx::Error::Database(e) => {
            let reason = url.scrub(e.message());
            match refusal(e.as_ref()) {
                Some(Refusal::Login) => Unavailable::LoginRefused { url: shown, reason },
                Some(Refusal::NoDatabase) => Unavailable::NoDatabase {
                    url: shown,
                    name: url.database_name().map(str::to_owned),
                    reason,
                },
                None => Unavailable::Other { url: shown, reason },
            }
        }
        other => Unavailable::Other {
            url: shown,
            reason: url.scrub(&other.to_string()),
        },
    }
}

enum Refusal {
    Login,
    NoDatabase,
}

/// The server's refusal to connect, by its error code.
fn refusal(error: &dyn sqlx::error::DatabaseError) -> Option<Refusal> {
    if let Some(mysql) = error.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        // ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_ERROR, ER_BAD_DB_ERROR
        return match mysql.number() {
            1044 | 1045 => Some(Refusal::Login),
            1049 => Some(Refusal::NoDatabase),
            _ => None,
        };
    }
    // PostgreSQL's invalid_authorization_specification (no such role, no
    // pg_hba.conf entry), invalid_password and invalid_catalog_name.
    match error.code().as_deref() {
        Some("28000" | "28P01") => Some(Refusal::Login),
        Some("3D000") => Some(Refusal::NoDatabase),
        _ => None,
    }
}

/// A SQLite URL's path and query (`sqlite://app.db?mode=rwc` → `app.db`,
/// `mode=rwc`); `None` for another backend's.
pub(crate) fn sqlite_parts(url: &str) -> Option<(&str, &str)> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split_once('?').unwrap_or((rest, "")))
}

/// `scheme://user:secret@host/db?password=secret` →
/// `scheme://user:***@host/db?password=***`, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (address, query) = match rest.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (rest, None),
    };
    // The last `@` ends the user's part, even if an unescaped `@` or `/` is in the password.
    let address = match address.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => format!("{user}@{host}"),
        },
        None => address.to_owned(),
    };
    let Some(query) = query else {
        return format!("{scheme}://{address}");
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.to_ascii_lowercase().ends_with("password") => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{scheme}://{address}?{}", query.join("&"))
}

/// The password in the URL's user part, as written.
fn password(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let address = rest.split_once('?').map_or(rest, |(address, _)| address);
    let (user, _) = address.rsplit_once('@')?;
    Some(user.split_once(':')?.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `fresh` takes for this machine: SQLite, sockets and loopback
    /// addresses; anything else is named, password never.
    #[test]
    fn remote_hosts_are_told_from_this_machine() {
        for (url, remote) in [
            ("sqlite://app.db?mode=rwc", None),
            ("sqlite::memory:", None),
            ("postgres://me:s3cret@localhost:5432/app", None),
            ("postgres://me@127.0.0.1/app", None),
            ("postgres://me@127.1.2.3/app", None),
            ("postgres://me@[::1]:5432/app", None),
            ("postgres://me@[::ffff:127.0.0.1]:5432/app", None),
            ("postgres:///app?host=/run/postgresql", None),
            ("postgres://me@%2Frun%2Fpostgresql/app", None),
            ("mysql://me:pw@LOCALHOST/app", None),
            ("mariadb://me:pw@localhost/app?socket=/run/mysqld/mysqld.sock", None),
            ("postgres://me:s3cret@db.example.com:5432/app", Some("db.example.com")),
            ("postgres:///app?host=db.prod.internal", Some("db.prod.internal")),
            ("mysql://me:p%40ss@10.0.0.7/app", Some("10.0.0.7")),
            ("postgres://me@[2001:db8::1]:5432/app", Some("[2001:db8::1]")),
        ] {
            let url = DatabaseUrl::new(url, UrlOrigin::Program);
            assert_eq!(url.remote_host().as_deref(), remote, "{url}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        for (url, shown) in [
            (
                "postgres://me:s3cret@db:5432/app",
                "postgres://me:***@db:5432/app",
            ),
            ("postgres://me@db/app", "postgres://me@db/app"),
            ("sqlite:///tmp/a.db?mode=rwc", "sqlite:///tmp/a.db?mode=rwc"),
            ("sqlite::memory:", "sqlite::memory:"),
            ("mysql://me:p@ss/word@db/app", "mysql://me:***@db/app"),
            (
                "postgres://db/app?user=me&password=s3cret&sslmode=require",
                "postgres://db/app?user=me&password=***&sslmode=require",
            ),
        ] {
            assert_eq!(redact(url), shown);
        }
    }

    #[test]
    fn a_url_prints_and_debugs_without_its_password() {
        let url = DatabaseUrl::new("postgres://me:s3cret@db/app", UrlOrigin::Program);
        assert_eq!(url.to_string(), "postgres://me:***@db/app");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(
            url.scrub("The connection string 'postgres://me:s3cret@db/app' cannot be parsed; s3cret"),
            "The connection string 'postgres://me:***@db/app' cannot be parsed; ***"
        );
    }

    #[test]
    fn the_origin_names_the_file_and_each_variable() {
        let origin = UrlOrigin::Config {
            path: "/p/autogen.toml".into(),
            variables: vec![
                Variable::Fallback("DATABASE_URL".into()),
                Variable::Set("PGHOST".into()),
            ],
        };
        assert_eq!(
            origin.to_string(),
            "database_url in /p/autogen.toml, falling back as DATABASE_URL is not set and with PGHOST from the environment"
        );
        assert_eq!(UrlOrigin::Option("--url").to_string(), "the --url option");
    }

    #[test]
    fn a_server_url_names_its_database() {
        let name = |url: &str| {
            DatabaseUrl::new(url, UrlOrigin::Program)
                .database_name()
                .map(str::to_owned)
        };
        assert_eq!(
            name("mysql://me:pw@db:3306/app?ssl-mode=required"),
            Some("app".into())
        );
        assert_eq!(name("mysql://me:pw@db:3306"), None);
        assert_eq!(name("mysql://me:pw@db:3306/"), None);
    }

    #[test]
    fn only_sqlite_files_are_files() {
        let file = |url: &str| DatabaseUrl::new(url, UrlOrigin::Program).sqlite_file();
        assert_eq!(
            file("sqlite:///tmp/a%20b.db?mode=rwc"),
            Some("/tmp/a b.db".into())
        );
        assert_eq!(file("sqlite://app.db"), Some("app.db".into()));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://shared?mode=memory"), None);
        assert_eq!(file("postgres://db/app"), None);
    }
}

//! Throwaway PostgreSQL and MariaDB servers for the tests, on loopback.
//!
//! `cargo xtask db up` starts both from the system's server binaries with
//! data directories under `target/autogen-dbs/` (not the system temp dir,
//! where PostgreSQL was seen to shut itself down when its `postmaster.pid`
//! vanished), on random free ports. Each gets an empty database `autogen` for
//! people to try things on; the tests are given the servers' own maintenance
//! databases instead, where they only create a database per test. What `up`
//! printed is kept in `target/autogen-dbs/urls.txt`; run as root from a checkout the `postgres`
//! user cannot reach, PostgreSQL's data goes under that user's home instead (see
//! `postgres_dir`). `db url` prints them; `db down` stops the servers and
//! removes their data. Both servers have a user [`PASSWORD_USER`] that must
//! log in with its password, so tests can show a refused login.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::run;

/// The environment variable naming the PostgreSQL server the tests use.
pub const POSTGRES_ENV: &str = "AUTOGEN_TEST_POSTGRES_URL";
/// The environment variable naming the MariaDB/MySQL server the tests use.
pub const MYSQL_ENV: &str = "AUTOGEN_TEST_MYSQL_URL";

const POSTGRES_BIN_DIRS: &[&str] = &[
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
];

/// Where the servers keep their data, logs and sockets.
pub fn state_dir(root: &Path) -> PathBuf {
    root.join("target/autogen-dbs")
}

/// The empty database `up` makes on each server for people to use.
pub const APP_DATABASE: &str = "autogen";

/// A server `up` started.
pub struct Server {
    /// Its name for people.
    pub label: &'static str,
    /// The environment variable the tests read `test_url` from.
    pub env: &'static str,
    /// The server's maintenance database (`postgres`, `mysql`): the tests
    /// connect there only to create a database of their own.
    pub test_url: String,
    /// The empty database [`APP_DATABASE`].
    pub url: String,
}

fn urls_file(root: &Path) -> PathBuf {
    state_dir(root).join("urls.txt")
}

/// Starts both servers (stopping any left from before), each with an empty
/// database [`APP_DATABASE`].
pub fn up(root: &Path) -> Result<Vec<Server>> {
    down(root)?;
    let state = state_dir(root);
    fs::create_dir_all(&state)?;
    let servers = vec![postgres_up(root)?, mariadb_up(&state)?];
    fs::write(urls_file(root), describe(&servers))?;
    Ok(servers)
}

/// What `db up` prints: the databases to use, then the tests' variables.
pub fn describe(servers: &[Server]) -> String {
    let width = servers.iter().map(|s| s.label.len()).max().unwrap_or(0);
    let mut text = format!("Servers on loopback, each with an empty database `{APP_DATABASE}`:\n");
    for server in servers {
        text += &format!("  {:width$}  {}\n", server.label, server.url);
    }
    text += "Run the blog example on one with `cargo xtask demo --url <URL>`, \
             or give one to autogen as DATABASE_URL.\n\n\
             For `cargo test` by hand (each test creates its own database on the server):\n";
    for server in servers {
        text += &format!("  export {}={}\n", server.env, server.test_url);
    }
    text += "\n`cargo xtask db url` prints this again; `cargo xtask db down` stops the servers.\n";
    text
}

/// What `up` printed, while the servers run.
pub fn urls(root: &Path) -> Result<String> {
    fs::read_to_string(urls_file(root)).context("no servers are running; start them with `cargo xtask db up`")
}

/// Stops the servers and removes their data. Stopping nothing is not an error.
pub fn down(root: &Path) -> Result<()> {
    let state = state_dir(root);
    let outside = outside_postgres_dir(root, postgres_home().as_deref()).filter(|_| running_as_root());
    for dir in std::iter::once(state.join("postgres")).chain(outside.clone()) {
        let pg_data = dir.join("data");
        if pg_data.join("postmaster.pid").exists() {
            let pg_ctl = postgres_tool("pg_ctl")?;
            let _ = as_postgres_user(&pg_ctl, &dir)
                .args(["stop", "-m", "immediate", "-w", "-D"])
                .arg(&pg_data)
                .stdout(Stdio::null())
                .status();
        }
    }
    let maria_pid = state.join("mariadb/mariadbd.pid");
    if let Ok(pid) = fs::read_to_string(&maria_pid) {
        let _ = Command::new("kill").arg(pid.trim()).status();
        wait_for(Duration::from_secs(30), || !maria_pid.exists());
    }
    for dir in outside.iter().chain([&state]) {
        if dir.exists() {
            fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
        }
    }
    Ok(())
}

/// Where PostgreSQL keeps its data directory, log and socket for the
/// checkout at `root`, made ready for the user the server runs as.
///
/// That is `target/autogen-dbs/postgres`, beside everything else the checkout
/// builds, unless xtask runs as root: then the server runs as the `postgres`
/// user (initdb and postgres refuse root), which may not be able to reach a
/// checkout under a closed directory such as `/root`. Rather than open up the
/// checkout's parents, the data then goes in a directory of that user's own,
/// `<its home>/autogen-dbs/<checkout>`, 0700: its home, not the system temp
/// dir, because a tmp cleaner there once removed a running server's
/// `postmaster.pid` and PostgreSQL shut itself down. `home` is that user's
/// home directory, if it has one.
fn postgres_dir(root: &Path, home: Option<&Path>) -> Result<PathBuf> {
    let dir = state_dir(root).join("postgres");
    fs::create_dir_all(&dir)?;
    if !running_as_root() {
        return Ok(dir);
    }
    run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir))?;
    if postgres_can_use(&dir) {
        return Ok(dir);
    }
    fs::remove_dir_all(&dir)?;
    let problem = format!(
        "PostgreSQL runs as the postgres user when xtask runs as root, and that user cannot reach {}",
        dir.display()
    );
    let remedy = "move the checkout where the postgres user can reach it (not under a closed \
                  directory such as /root), or run xtask as another user than root";
    let Some(outside) = outside_postgres_dir(root, home) else {
        bail!("{problem} and has no home directory to keep the data in instead; {remedy}");
    };
    if make_postgres_dir(&outside).is_ok() && postgres_can_use(&outside) {
        return Ok(outside);
    }
    // Only an empty directory, one this call made, goes.
    let _ = fs::remove_dir(&outside);
    bail!("{problem}, nor {}; {remedy}", outside.display())
}

/// The directory under the postgres user's home for this checkout's
/// PostgreSQL, named by a hash of the checkout's path.
fn outside_postgres_dir(root: &Path, home: Option<&Path>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    // FNV-1a: the same name for the same checkout from any build of xtask.
    let hash = root
        .as_os_str()
        .as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    Some(home?.join("autogen-dbs").join(format!("{hash:016x}")))
}

/// Makes `dir` and its parent, each 0700 and owned by the postgres user,
/// where they do not exist yet.
fn make_postgres_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    for each in [dir.parent().context("a directory has a parent")?, dir] {
        match fs::DirBuilder::new().mode(0o700).create(each) {
            Ok(()) => run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(each)
                .stderr(Stdio::null()))?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Whether the postgres user can make files in `dir`: it must be able to
/// search every directory above it, too.
fn postgres_can_use(dir: &Path) -> bool {
    Command::new("runuser")
        .args([
            "-u",
            "postgres",
            "--",
            "sh",
            "-c",
            r#"test -w "$1" && test -x "$1""#,
            "sh",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The postgres user's home directory, if it has one.
fn postgres_home() -> Option<PathBuf> {
    let entry = Command::new("getent")
        .args(["passwd", "postgres"])
        .output()
        .ok()?;
    let home = PathBuf::from(String::from_utf8_lossy(&entry.stdout).trim().split(':').nth(5)?);
    (home.is_absolute() && home.is_dir()).then_some(home)
}

fn postgres_up(root: &Path) -> Result<Server> {
    let dir = postgres_dir(root, postgres_home().as_deref())?;
    let data = dir.join("data");
    let initdb = postgres_tool("initdb")?;
    run(as_postgres_user(&initdb, &dir)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "-D"])
        .arg(&data)
        .stdout(Stdio::null()))?;
    require_password(&data)?;
    let port = free_port()?;
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c full_page_writes=off",
        dir.display()
    );
    let pg_ctl = postgres_tool("pg_ctl")?;
    run(as_postgres_user(&pg_ctl, &dir)
        .args(["start", "-w", "-t", "60", "-D"])
        .arg(&data)
        .args(["-l"])
        .arg(dir.join("postgres.log"))
        .args(["-o", &options])
        .stdout(Stdio::null()))
    .with_context(|| {
        format!(
            "PostgreSQL did not start; see {}",
            dir.join("postgres.log").display()
        )
    })?;
    // A client tool of the server's version, as the trusted superuser.
    let as_postgres = |tool: &str| -> Result<Command> {
        let mut command = Command::new(postgres_tool(tool)?);
        command
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
            .stdout(Stdio::null());
        Ok(command)
    };
    run(as_postgres("createdb")?.arg(APP_DATABASE))?;
    run(as_postgres("psql")?
        .args(["-q", "-c"])
        .arg(format!("CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{PASSWORD}'")))?;
    let server = format!("postgres://postgres@127.0.0.1:{port}");
    Ok(Server {
        label: "PostgreSQL",
        env: POSTGRES_ENV,
        test_url: format!("{server}/postgres"),
        url: format!("{server}/{APP_DATABASE}"),
    })
}

/// The user both servers make to show a refused login: unlike PostgreSQL's
/// `postgres`, which is trusted, it must give its password over TCP.
pub const PASSWORD_USER: &str = "autogen";
/// [`PASSWORD_USER`]'s password.
pub const PASSWORD: &str = "autogen-test";

/// Makes PostgreSQL ask [`PASSWORD_USER`] for its password; everyone else
/// stays trusted, as `initdb --auth=trust` made them.
fn require_password(data: &Path) -> Result<()> {
    let hba = data.join("pg_hba.conf");
    let trusted = fs::read_to_string(&hba).with_context(|| format!("cannot read {}", hba.display()))?;
    // The first line that matches a connection decides how it logs in.
    let text = format!("host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n{trusted}");
    fs::write(&hba, text).with_context(|| format!("cannot write {}", hba.display()))
}

fn mariadb_up(state: &Path) -> Result<Server> {
    let dir = state.join("mariadb");
    let data = dir.join("data");
    fs::create_dir_all(&data)?;
    let install = which(&["mariadb-install-db", "mysql_install_db"])
        .context("MariaDB is not installed (Debian: apt-get install mariadb-server)")?;
    run(Command::new(install)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args([
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null()))?;
    let port = free_port()?;
    let socket = dir.join("mariadbd.sock");
    let server = which(&["mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld"])
        .context("MariaDB's server (mariadbd) is not installed (Debian: apt-get install mariadb-server)")?;
    Command::new(server)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--port={port}"))
        .arg("--bind-address=127.0.0.1")
        .arg(format!("--socket={}", socket.display()))
        .arg(format!("--pid-file={}", dir.join("mariadbd.pid").display()))
        .arg(format!("--log-error={}", dir.join("mariadbd.log").display()))
        .args([
            "--user=root",
            "--skip-name-resolve",
            "--innodb-flush-log-at-trx-commit=0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start mariadbd")?;
    let ready = wait_for(Duration::from_secs(60), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok() && dir.join("mariadbd.pid").exists()
    });
    if !ready {
        bail!(
            "MariaDB did not start; see {}",
            dir.join("mariadbd.log").display()
        );
    }
    // A password-protected user reached over TCP, as an application would connect.
    let client = which(&["mariadb", "mysql"]).context("the MariaDB client is not installed")?;
    run(Command::new(client)
        .arg("--no-defaults")
        .arg(format!("--socket={}", socket.display()))
        .args(["-uroot", "-e"])
        .arg(format!(
            "CREATE USER '{PASSWORD_USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'; \
             GRANT ALL PRIVILEGES ON *.* TO '{PASSWORD_USER}'@'127.0.0.1' WITH GRANT OPTION; \
             CREATE DATABASE {APP_DATABASE};",
        )))?;
    let server = format!("mysql://{PASSWORD_USER}:{PASSWORD}@127.0.0.1:{port}");
    Ok(Server {
        label: "MariaDB",
        env: MYSQL_ENV,
        test_url: format!("{server}/mysql"),
        url: format!("{server}/{APP_DATABASE}"),
    })
}

fn postgres_tool(name: &str) -> Result<PathBuf> {
    if let Some(found) = which(&[name]) {
        return Ok(found);
    }
    POSTGRES_BIN_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .with_context(|| format!("PostgreSQL's {name} is not installed (Debian: apt-get install postgresql)"))
}

/// `program` as the user PostgreSQL runs as, working in `dir` (which that
/// user can reach, unlike perhaps the checkout).
fn as_postgres_user(program: &Path, dir: &Path) -> Command {
    let mut command = if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    command.current_dir(dir);
    command
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn which(candidates: &[&str]) -> Option<PathBuf> {
    for candidate in candidates {
        let path = Path::new(candidate);
        if path.is_absolute() {
            if path.is_file() {
                return Some(path.to_owned());
            }
            continue;
        }
        let found = std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .map(|dir| dir.join(candidate))
            .find(|p| p.is_file());
        if found.is_some() {
            return found;
        }
    }
    None
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};

    use super::*;

    /// A 0700 directory of root's under the system temp dir, as `/root` is:
    /// the postgres user cannot search it. Removed, servers and all, on drop.
    struct Closed(PathBuf);

    impl Closed {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("autogen-xtask-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
            Closed(dir)
        }

        fn checkout(&self) -> PathBuf {
            self.0.join("checkout")
        }
    }

    impl Drop for Closed {
        fn drop(&mut self) {
            let _ = down(&self.checkout());
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// Whether this test can run here: only root runs PostgreSQL as another user.
    fn as_root(servers: bool) -> bool {
        if !running_as_root() {
            eprintln!("skipped: only as root does PostgreSQL run as the postgres user");
            return false;
        }
        let installed = postgres_tool("initdb").is_ok()
            && which(&["mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld"]).is_some();
        if servers && !installed {
            assert!(
                !std::env::var("AUTOGEN_REQUIRE_DBS").is_ok_and(|v| v == "1"),
                "AUTOGEN_REQUIRE_DBS=1 but PostgreSQL or MariaDB is not installed"
            );
            eprintln!("skipped: PostgreSQL or MariaDB is not installed");
            return false;
        }
        true
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().mode() & 0o777
    }

    fn listening(url: &str) -> bool {
        let port: u16 = url
            .rsplit_once(':')
            .unwrap()
            .1
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    }

    #[test]
    fn servers_run_from_a_checkout_the_postgres_user_cannot_reach() {
        if !as_root(true) {
            return;
        }
        let closed = Closed::new("closed");
        let checkout = closed.checkout();
        fs::create_dir(&checkout).unwrap();
        assert!(!postgres_can_use(&checkout));

        let servers = up(&checkout).unwrap();
        let urls: Vec<&str> = servers.iter().flat_map(|s| [&*s.url, &*s.test_url]).collect();
        let outside = outside_postgres_dir(&checkout, postgres_home().as_deref()).unwrap();
        assert!(outside.join("data/PG_VERSION").is_file());
        assert!(!state_dir(&checkout).join("postgres").exists());
        let id = Command::new("id").args(["-u", "postgres"]).output().unwrap();
        let postgres_uid: u32 = String::from_utf8_lossy(&id.stdout).trim().parse().unwrap();
        for dir in [outside.parent().unwrap(), &outside] {
            assert_eq!(mode(dir), 0o700, "{}", dir.display());
            assert_eq!(
                fs::metadata(dir).unwrap().uid(),
                postgres_uid,
                "{}",
                dir.display()
            );
        }
        assert_eq!(mode(&closed.0), 0o700);
        assert!(urls.iter().all(|url| listening(url)), "{urls:?}");

        down(&checkout).unwrap();
        assert!(!outside.exists());
        assert!(!state_dir(&checkout).exists());
        assert!(!urls.iter().any(|url| listening(url)), "{urls:?}");
    }

    #[test]
    fn no_place_for_postgres_data_is_one_line_saying_what_to_do() {
        if !as_root(false) {
            return;
        }
        let closed = Closed::new("nowhere");
        let checkout = closed.checkout();
        let home = closed.0.join("home");
        fs::create_dir(&home).unwrap();
        for home in [None, Some(home.as_path())] {
            let message = format!("{:#}", postgres_dir(&checkout, home).unwrap_err());
            assert!(!message.contains('\n'), "{message}");
            assert!(
                message.starts_with(
                    "PostgreSQL runs as the postgres user when xtask runs as root, and that user cannot reach "
                ),
                "{message}"
            );
            assert!(
                message.ends_with("or run xtask as another user than root"),
                "{message}"
            );
        }
        assert!(!state_dir(&checkout).join("postgres").exists());
        let left = outside_postgres_dir(&checkout, Some(&home)).unwrap();
        assert!(!left.exists());
    }
}

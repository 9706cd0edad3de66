//! Throwaway PostgreSQL and MariaDB servers for the tests, on loopback.
//!
//! `cargo xtask db up` starts both from the system's server binaries with
//! data directories under `target/autogen-dbs/` (not the system temp dir,
//! where PostgreSQL was seen to shut itself down when its `postmaster.pid`
//! vanished), on random free ports, and records their URLs in
//! `target/autogen-dbs/urls.env`. `db url` prints them; `db down` stops the
//! servers and removes their data.

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

fn urls_file(root: &Path) -> PathBuf {
    state_dir(root).join("urls.env")
}

/// Starts both servers (stopping any left from before) and returns
/// `(variable, url)` pairs for the tests' environment.
pub fn up(root: &Path) -> Result<Vec<(&'static str, String)>> {
    down(root)?;
    let state = state_dir(root);
    fs::create_dir_all(&state)?;
    let urls = vec![
        (POSTGRES_ENV, postgres_up(&state)?),
        (MYSQL_ENV, mariadb_up(&state)?),
    ];
    let text: String = urls.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    fs::write(urls_file(root), text)?;
    Ok(urls)
}

/// The URLs of running servers, as `up` recorded them.
pub fn urls(root: &Path) -> Result<String> {
    fs::read_to_string(urls_file(root)).context("no servers are running; start them with `cargo xtask db up`")
}

/// Stops the servers and removes their data. Stopping nothing is not an error.
pub fn down(root: &Path) -> Result<()> {
    let state = state_dir(root);
    let pg_data = state.join("postgres/data");
    if pg_data.join("postmaster.pid").exists() {
        let pg_ctl = postgres_tool("pg_ctl")?;
        let _ = as_postgres_user(&pg_ctl)
            .args(["stop", "-m", "immediate", "-w", "-D"])
            .arg(&pg_data)
            .stdout(Stdio::null())
            .status();
    }
    let maria_pid = state.join("mariadb/mariadbd.pid");
    if let Ok(pid) = fs::read_to_string(&maria_pid) {
        let _ = Command::new("kill").arg(pid.trim()).status();
        wait_for(Duration::from_secs(30), || !maria_pid.exists());
    }
    if state.exists() {
        fs::remove_dir_all(&state).with_context(|| format!("cannot remove {}", state.display()))?;
    }
    Ok(())
}

fn postgres_up(state: &Path) -> Result<String> {
    let dir = state.join("postgres");
    let data = dir.join("data");
    fs::create_dir_all(&dir)?;
    if running_as_root() {
        // initdb and postgres refuse to run as root.
        run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir))?;
    }
    let initdb = postgres_tool("initdb")?;
    run(as_postgres_user(&initdb)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "-D"])
        .arg(&data)
        .stdout(Stdio::null()))?;
    let port = free_port()?;
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c full_page_writes=off",
        dir.display()
    );
    let pg_ctl = postgres_tool("pg_ctl")?;
    run(as_postgres_user(&pg_ctl)
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
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

fn mariadb_up(state: &Path) -> Result<String> {
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
        .arg(
            "CREATE USER 'autogen'@'127.0.0.1' IDENTIFIED BY 'autogen-test'; \
             GRANT ALL PRIVILEGES ON *.* TO 'autogen'@'127.0.0.1' WITH GRANT OPTION;",
        ))?;
    Ok(format!("mysql://autogen:autogen-test@127.0.0.1:{port}/mysql"))
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

fn as_postgres_user(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
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

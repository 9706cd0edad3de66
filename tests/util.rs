use std::fs;
use std::io::{BufRead as _, BufReader, Read as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Output, Stdio};
use std::time::{Duration, Instant};

use autogen_schema::Schema;
use sea_orm::Database;

/// The autogen repository this test binary was built from.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A scratch project in a temporary directory.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// An empty directory.
    pub fn empty() -> Self {
        Self {
            dir: tempfile::Builder::new().prefix("autogen-e2e-").tempdir().unwrap(),
        }
    }

    /// A Cargo workspace holding `entity` (the given entity modules) and
    /// `migration` (scaffolded by `autogen init`), whose autogen.toml names
    /// the entity sources, pinned to this repository's Cargo.lock so it
    /// builds offline with the dependencies already compiled for the tests.
    pub fn reading_entities(entities: &[(&str, &str)]) -> Self {
        let scratch = Self::workspace(entities);
        scratch.edit("autogen.toml", |s| {
            s.replace("# entities = [\"entity/src\"]", "entities = [\"entity/src\"]")
        });
        scratch
    }

    /// [`Scratch::reading_entities`]'s project with the compiled reading
    /// instead: `migration` depends on `entity`, registers each entity, and
    /// reads SeaORM's entity registry for those it does not.
    pub fn with_entities(entities: &[(&str, &str)]) -> Self {
        let scratch = Self::workspace(entities);
        let suffix = scratch.package().trim_start_matches("migration_").to_owned();
        scratch.edit("migration/Cargo.toml", |s| {
            s.replacen(
                "autogen = { path",
                &format!(
                    "entity = {{ path = \"../entity\", package = \"entity_{suffix}\" }}\n\
                     autogen = {{ features = [\"entity-registry\"], path"
                ),
                1,
            )
        });
        let registrations: String = entities
            .iter()
            .map(|(module, _)| format!(".entity(entity::{module}::Entity)"))
            .collect();
        if !registrations.is_empty() {
            scratch.edit("migration/src/main.rs", |s| {
                s.replace(
                    "autogen::Project::new(VERSIONS)",
                    &format!("autogen::Project::new(VERSIONS){registrations}"),
                )
            });
        }
        scratch
    }

    /// The workspace both kinds of project share.
    fn workspace(entities: &[(&str, &str)]) -> Self {
        let scratch = Self::empty();
        let repo = repo();
        let init = scratch.autogen(&["init", "migration", "--autogen-path", repo.to_str().unwrap()]);
        assert_success(&init);
        // Scratch projects share a target directory, where cargo names a path
        // package's artifacts by its name and workspace-relative path: packages
        // named after the scratch directory keep concurrent tests apart.
        let package = scratch.package();
        let suffix = package.trim_start_matches("migration_");
        scratch.edit("migration/Cargo.toml", |s| {
            s.replacen("name = \"migration\"", &format!("name = \"{package}\""), 1)
        });
        scratch.write(
            "Cargo.toml",
            "[workspace]\nresolver = \"2\"\nmembers = [\"entity\", \"migration\"]\n",
        );
        fs::copy(repo.join("Cargo.lock"), scratch.path("Cargo.lock")).unwrap();
        scratch.write(
            "entity/Cargo.toml",
            &format!(
                "[package]\nname = \"entity_{suffix}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nsea-orm = {{ version = \"2.0.4\", default-features = false, features = [\"macros\"] }}\n"
            ),
        );
        scratch.set_entities(entities);
        scratch
    }

    /// A project whose entity crate holds the registry fixture's entities
    /// (`fixtures/registry/entity`), every one registered: the entities of
    /// the database the fixture's sea-orm-migration migrations build.
    pub fn with_registry_entities() -> Self {
        const ENTITIES: [&str; 11] = [
            "users",
            "crates",
            "keywords",
            "categories",
            "versions",
            "dependencies",
            "crates_keywords",
            "crates_categories",
            "crate_owners",
            "version_downloads",
            "api_tokens",
        ];
        let files: Vec<(&str, String)> = ENTITIES
            .iter()
            .map(|module| (*module, format!("../registry/entity/src/{module}.rs")))
            .collect();
        let entities: Vec<(&str, &str)> = files.iter().map(|(m, f)| (*m, f.as_str())).collect();
        let scratch = Self::with_entities(&entities);
        // Their enum has a module of its own, with no entity to register.
        let enums =
            fs::read_to_string(repo().join("fixtures/registry/entity/src/sea_orm_active_enums.rs")).unwrap();
        scratch.write("entity/src/sea_orm_active_enums.rs", &enums);
        scratch.edit("entity/src/lib.rs", |s| {
            format!("{s}pub mod sea_orm_active_enums;\n")
        });
        scratch
    }

    /// Replaces the entity crate's modules.
    pub fn set_entities(&self, entities: &[(&str, &str)]) {
        let mut lib = String::new();
        for (module, fixture) in entities {
            let source = fs::read_to_string(repo().join("fixtures/entities").join(fixture)).unwrap();
            self.write(&format!("entity/src/{module}.rs"), &source);
            lib.push_str(&format!("pub mod {module};\n"));
        }
        self.write("entity/src/lib.rs", &lib);
    }

    /// A path inside the project.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file, creating its directory.
    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        write_newer(&path, text);
    }

    /// Rewrites a file; the edit must change it.
    pub fn edit(&self, relative: &str, f: impl FnOnce(&str) -> String) {
        let before = fs::read_to_string(self.path(relative)).unwrap();
        let after = f(&before);
        assert_ne!(before, after, "editing {relative} changed nothing");
        write_newer(&self.path(relative), &after);
    }

    /// The revision files, sorted by name.
    pub fn revision_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(self.path("migration/src/versions"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        files.sort();
        files
    }

    /// The project's SQLite database URL, as autogen.toml's default resolves it.
    pub fn database_url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.path("app.db").display())
    }

    /// Runs the `autogen` launcher in the project.
    pub fn autogen(&self, args: &[&str]) -> Output {
        self.autogen_with_env(args, &[])
    }

    /// Runs the `autogen` launcher in the project with extra environment variables.
    pub fn autogen_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_autogen"));
        command.args(args);
        self.run_prepared(command, vars)
    }

    /// Starts the `autogen` launcher in the project, with extra environment
    /// variables, in a process group of its own: it builds the migration
    /// crate with cargo and runs its binary, and killing the run means
    /// killing every one of them.
    pub fn spawn_autogen(&self, args: &[&str], vars: &[(&str, &str)]) -> Spawned {
        let mut command = Command::new(env!("CARGO_BIN_EXE_autogen"));
        command.args(args);
        prepare(self.dir.path(), &mut command, vars);
        let mut child = command
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        Spawned {
            child,
            stderr,
            read: String::new(),
        }
    }

    /// Runs `check` against the database and `check --offline` against the
    /// revision history, requires the two to give the same answer and the
    /// same report (but for the diff's header, which names what was
    /// compared), and returns the online run.
    pub fn check_both(&self, vars: &[(&str, &str)]) -> Output {
        let online = self.autogen_with_env(&["check"], vars);
        let offline = self.autogen_with_env(&["check", "--offline"], vars);
        assert_eq!(
            online.status.code(),
            offline.status.code(),
            "online and offline check disagree\n--- online\n{}{}\n--- offline\n{}{}",
            stdout(&online),
            stderr(&online),
            stdout(&offline),
            stderr(&offline)
        );
        assert_eq!(
            stdout(&online).replacen("--- database (", "--- (", 1),
            stdout(&offline).replacen("--- revisions (", "--- (", 1)
        );
        online
    }

    /// The migration crate's package name: `migration_` and the scratch directory's suffix.
    pub fn package(&self) -> String {
        let dir = self.dir.path().file_name().unwrap().to_string_lossy();
        let suffix: String = dir
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("migration_{suffix}")
    }

    /// Runs the migration crate directly, as `cargo run -p migration -- <args>` would.
    pub fn cargo_run_migration(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO"));
        command
            .args(["run", "--quiet", "-p", &self.package(), "--"])
            .args(args);
        self.run(command)
    }

    fn run(&self, command: Command) -> Output {
        self.run_prepared(command, &[])
    }

    /// Runs `command` in the project as the launcher runs, with extra environment variables.
    pub fn run_prepared(&self, command: Command, vars: &[(&str, &str)]) -> Output {
        run_in(self.dir.path(), command, vars)
    }
}

/// Runs the `autogen` launcher in `dir` (a project of the repository's own,
/// such as `examples/blog`) with extra environment variables.
pub fn autogen_in(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_autogen"));
    command.args(args);
    run_in(dir, command, vars)
}

fn run_in(dir: &Path, mut command: Command, vars: &[(&str, &str)]) -> Output {
    prepare(dir, &mut command, vars);
    command.output().unwrap()
}

fn prepare(dir: &Path, command: &mut Command, vars: &[(&str, &str)]) {
    command
        .current_dir(dir)
        // One target directory for every project the tests build, so dependencies compile once.
        .env("CARGO_TARGET_DIR", repo().join("target/e2e"))
        // The launcher's records of what it built, beside what it built rather than in the user's cache.
        .env("AUTOGEN_CACHE_DIR", repo().join("target/e2e/launch-cache"))
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("AUTOGEN_CONFIG")
        .env_remove("DATABASE_URL")
        .env_remove("NO_COLOR")
        .envs(vars.iter().copied());
}

/// A command running in the background in its own process group.
pub struct Spawned {
    child: Child,
    stderr: BufReader<ChildStderr>,
    /// What has been read of stderr so far.
    read: String,
}

impl Spawned {
    /// Reads stderr up to and including `line`; panics if the command ends first.
    pub fn wait_for_line(&mut self, line: &str) {
        let mut next = String::new();
        while self.stderr.read_line(&mut next).unwrap() > 0 {
            self.read.push_str(&next);
            if next.trim_end_matches('\n') == line {
                return;
            }
            next.clear();
        }
        panic!(
            "the command ended without printing {line:?}; it printed:\n{}",
            self.read
        );
    }

    /// `kill -9` of every process in the group, as a crash or an OOM kill would.
    pub fn kill_all(mut self) {
        let group = format!("-{}", self.child.id());
        let killed = Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .unwrap();
        assert!(killed.success(), "kill -KILL -- {group} failed");
        self.child.wait().unwrap();
    }

    /// Waits for the command to end, for at most `limit`; past it, kills it and panics.
    pub fn finish_within(mut self, limit: Duration) -> Output {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > limit {
                let read = std::mem::take(&mut self.read);
                self.kill_all();
                panic!("the command did not finish within {limit:?}; it printed:\n{read}");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut stdout = Vec::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut stdout)
            .unwrap();
        let mut stderr = self.read.into_bytes();
        self.stderr.read_to_end(&mut stderr).unwrap();
        Output {
            status,
            stdout,
            stderr,
        }
    }
}

/// Writes `path` and dates it a little ahead: cargo decides what to rebuild
/// by modification times, and an edit made within the same clock tick as the
/// previous build would otherwise look already built.
pub fn write_newer(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(later)
        .unwrap();
}

/// Panics unless the command could not start (exit code 2) and printed one
/// error, once, that contains each of `says` once; returns that message.
pub fn assert_cannot_start(output: &Output, says: &[&str]) -> String {
    let (out, err) = (stdout(output), stderr(output));
    assert_eq!(
        output.status.code(),
        Some(2),
        "--- stdout\n{out}\n--- stderr\n{err}"
    );
    assert_eq!(err.matches("error: ").count(), 1, "{err}");
    for part in says {
        assert_eq!(err.matches(part).count(), 1, "{part:?} once in:\n{err}");
    }
    err
}

/// Panics if either stream shows `secret`.
pub fn assert_hidden(output: &Output, secret: &str) {
    let shown = format!("{}{}", stdout(output), stderr(output));
    assert!(!shown.contains(secret), "{secret:?} shown:\n{shown}");
}

/// `url` with its user part replaced: `postgres://user:password@host/db`.
pub fn with_login(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}:{password}@{host}")
}

/// A loopback port nothing listens on: connecting is refused.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A loopback port that takes connections and never answers, as a hung
/// server or a host that drops packets; open while this lives.
pub struct Silent(std::net::TcpListener);

impl Silent {
    pub fn new() -> Self {
        // The kernel completes each connection into the backlog; nothing reads or writes.
        Self(std::net::TcpListener::bind("127.0.0.1:0").unwrap())
    }

    pub fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }
}

/// The schema of the database at `url`, as autogen reads it.
pub async fn introspect(url: &str) -> Schema {
    let db = Database::connect(url).await.unwrap();
    let schema = autogen_introspect::introspect(&db).await.unwrap();
    db.close().await.unwrap();
    schema
}

/// Panics with both streams unless the command succeeded.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "command failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What a command printed on stderr, less the launcher's lines about
/// building the migration crate (`raw_stderr` keeps them).
pub fn stderr(output: &Output) -> String {
    without_build_lines(&raw_stderr(output))
}

/// `text` less the launcher's lines about building the migration crate,
/// which depend on what an earlier test left compiled.
pub fn without_build_lines(text: &str) -> String {
    text.lines()
        .filter(|line| {
            !line.starts_with("Building the migration crate")
                && !line.starts_with("Built the migration crate")
        })
        .flat_map(|line| [line, "\n"])
        .collect()
}

/// Everything a command printed on stderr.
pub fn raw_stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Copies the directory `from` into `to`, leaving out `target` directories.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

//! The launcher's way past cargo: after building the migration crate it
//! records what the executable was built from, and the next command runs the
//! executable straight away if none of that has changed, instead of paying
//! for cargo's own up-to-date check (hundreds of milliseconds) every time.
//! Anything changed, missing or unreadable sends the command through cargo,
//! as without a record.
//!
//! A record holds the time and size of:
//! - every path cargo's dep-info for the executable lists (`<bin>.d`: the
//!   sources of the crate and of its path dependencies, the build script's
//!   `rerun-if-changed` paths);
//! - each directory holding one of those sources, so that a file added to it
//!   (a new revision in `src/versions`) is seen;
//! - in those directories, the manifest's and the working directory's, and
//!   every directory above them: `Cargo.toml`, `Cargo.lock`,
//!   `.cargo/config.toml`, `.cargo/config`, `rust-toolchain.toml` and
//!   `rust-toolchain`, present or not (manifests, workspaces, the lock file,
//!   cargo's and rustup's configuration), and cargo's configuration in
//!   `CARGO_HOME`;
//! - the executable;
//!
//! and the values of the environment variables that change a build. Not
//! compared: the toolchain itself (an older rustc's binary built from the
//! same sources does the same) and the variables read by the build scripts
//! of dependencies.
//!
//! Records live in the user's cache directory, one per manifest and working
//! directory; nothing is written into the project.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::hash::{Hash as _, Hasher as _};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context as _, Result};
use serde::{Deserialize, Serialize};

/// Names the directory records are kept in, instead of the user's cache directory.
pub const CACHE_DIR_ENV: &str = "AUTOGEN_CACHE_DIR";

/// Environment variables that change what cargo builds, by name and by prefix.
const BUILD_VARIABLES: [&str; 7] = [
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTUP_TOOLCHAIN",
    "CARGO_HOME",
];
const BUILD_VARIABLE_PREFIXES: [&str; 3] = ["CARGO_BUILD_", "CARGO_PROFILE_", "CARGO_TARGET_"];

/// What cargo and rustup look for in a directory and every one above it.
const PROJECT_FILES: [&str; 6] = [
    "Cargo.toml",
    "Cargo.lock",
    ".cargo/config.toml",
    ".cargo/config",
    "rust-toolchain.toml",
    "rust-toolchain",
];

/// The record of one migration crate's build, and what it is compared with.
pub struct LaunchCache {
    /// Where the record is kept.
    file: PathBuf,
    /// The migration crate's manifest, canonical.
    manifest: PathBuf,
    /// Cargo reads its configuration, and rustup the toolchain file, from
    /// the directory it runs in.
    working_dir: PathBuf,
    /// The build variables that are set, sorted by name.
    environment: Vec<(String, String)>,
    /// Sources under its `registry` and `git` are downloads, which change
    /// only with Cargo.lock: their directories need no watching.
    cargo_home: Option<PathBuf>,
}

/// What is kept: the build's terms, the executable, and every input's stamp.
#[derive(Serialize, Deserialize)]
struct Record {
    manifest: PathBuf,
    working_dir: PathBuf,
    environment: Vec<(String, String)>,
    executable: PathBuf,
    inputs: Vec<Input>,
}

#[derive(Serialize, Deserialize)]
struct Input {
    path: PathBuf,
    /// `None`: the file was not there, and its appearing is a change.
    stamp: Option<Stamp>,
}

/// How far a file's time may lie behind its change: nothing on a filesystem
/// that keeps nanoseconds, two seconds on one that rounds to seconds or two
/// (FAT, HFS+, some network mounts), where a time of whole seconds says so. A
/// source saved in the second a build started might not be in it.
fn grain(modified: Duration) -> Duration {
    if modified.subsec_nanos() == 0 {
        Duration::from_secs(2)
    } else {
        Duration::ZERO
    }
}

#[derive(Serialize, Deserialize, PartialEq, Eq, Clone, Copy, Debug)]
struct Stamp {
    /// Since the Unix epoch.
    modified: Duration,
    len: u64,
}

impl LaunchCache {
    /// The record of building `manifest` from the working directory in this
    /// process's environment; `None` when there is nowhere to keep it (no
    /// cache directory), and then cargo always runs.
    pub fn open(manifest: &Path) -> Option<Self> {
        let working_dir = std::env::current_dir().ok()?;
        Self::new(manifest, &working_dir, std::env::vars_os())
    }

    fn new(
        manifest: &Path,
        working_dir: &Path,
        vars: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Option<Self> {
        let vars: BTreeMap<OsString, OsString> = vars.into_iter().collect();
        let path_var = |name: &str| {
            vars.get(OsStr::new(name))
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        let home = path_var("HOME");
        let dir = path_var(CACHE_DIR_ENV)
            .or_else(|| {
                // The XDG spec ignores a relative XDG_CACHE_HOME.
                path_var("XDG_CACHE_HOME")
                    .filter(|dir| dir.is_absolute())
                    .map(|dir| dir.join("autogen"))
            })
            .or_else(|| home.as_ref().map(|home| home.join(".cache/autogen")))?;
        let cargo_home = path_var("CARGO_HOME").or_else(|| home.map(|home| home.join(".cargo")));
        // A build variable that is not Unicode cannot be recorded: never fresh.
        let environment = vars
            .iter()
            .filter(|(name, _)| is_build_variable(name))
            .map(|(name, value)| Some((name.to_str()?.to_owned(), value.to_str()?.to_owned())))
            .collect::<Option<Vec<_>>>()?;
        let manifest = fs::canonicalize(manifest).ok()?;
        // The record names what it is for, so a collision is only a miss.
        let mut hasher = std::hash::DefaultHasher::new();
        (&manifest, working_dir).hash(&mut hasher);
        Some(Self {
            file: dir.join(format!("launch-{:016x}.json", hasher.finish())),
            manifest,
            working_dir: working_dir.to_owned(),
            environment,
            cargo_home,
        })
    }

    /// The executable last built for this manifest, if nothing it was built
    /// from has changed since.
    pub fn fresh_executable(&self) -> Option<PathBuf> {
        let record: Record = serde_json::from_slice(&fs::read(&self.file).ok()?).ok()?;
        let same_terms = record.manifest == self.manifest
            && record.working_dir == self.working_dir
            && record.environment == self.environment;
        let unchanged = || {
            record
                .inputs
                .iter()
                .all(|input| stamp(&input.path).ok() == Some(input.stamp))
        };
        (same_terms && unchanged()).then_some(record.executable)
    }

    /// Records what `executable`, built by a cargo started at
    /// `build_started`, was built from. Writes nothing when that cannot be
    /// told for sure: a source changed after the build started (it may not
    /// be in the executable), or cargo's dep-info cannot be read.
    pub fn remember(&self, executable: &Path, build_started: SystemTime) -> Result<()> {
        let record = Record {
            manifest: self.manifest.clone(),
            working_dir: self.working_dir.clone(),
            environment: self.environment.clone(),
            executable: executable.to_owned(),
            inputs: self.inputs(executable, build_started)?,
        };
        write_atomically(&self.file, &serde_json::to_vec(&record)?)
            .with_context(|| format!("cannot write {}", self.file.display()))
    }

    fn inputs(&self, executable: &Path, build_started: SystemTime) -> Result<Vec<Input>> {
        let dep_info = dep_info_path(executable);
        let listed = fs::read_to_string(&dep_info)
            .map_err(anyhow::Error::from)
            .and_then(|text| dep_info_paths(&text))
            .with_context(|| format!("cannot read {}", dep_info.display()))?;
        // What the build writes itself (build scripts' OUT_DIR) sits beside
        // the executable and changes only when cargo runs.
        let build_output = executable.parent().context("an executable is in a directory")?;
        let source_dirs: BTreeSet<&Path> = listed
            .iter()
            .filter(|path| !path.starts_with(build_output) && !self.is_download(path))
            .filter_map(|path| path.parent())
            .collect();
        let mut searched_dirs = BTreeSet::new();
        let manifest_dir = self.manifest.parent().context("a manifest is in a directory")?;
        for start in source_dirs.iter().copied().chain([manifest_dir, &self.working_dir]) {
            for dir in start.ancestors() {
                // Everything above a directory already searched is, too.
                if !searched_dirs.insert(dir) {
                    break;
                }
            }
        }

        // Each path, and whether it must exist.
        let mut watched: BTreeMap<PathBuf, bool> = searched_dirs
            .iter()
            .flat_map(|dir| PROJECT_FILES.map(|name| dir.join(name)))
            .chain(self.cargo_home.iter().flat_map(|home| ["config.toml", "config"].map(|name| home.join(name))))
            .map(|path| (path, false))
            .collect();
        watched.extend(source_dirs.iter().map(|dir| (dir.to_path_buf(), true)));
        watched.extend(listed.iter().map(|path| (path.clone(), true)));

        let started = since_epoch(build_started)?;
        let mut inputs = Vec::with_capacity(watched.len() + 1);
        for (path, required) in watched {
            let stamp = stamp(&path).with_context(|| format!("cannot read {}", path.display()))?;
            match stamp {
                None if required => bail!("{} is gone", path.display()),
                Some(stamp) if stamp.modified + grain(stamp.modified) >= started && !path.starts_with(build_output) => {
                    bail!("{} changed after the build started", path.display())
                }
                _ => {}
            }
            inputs.push(Input { path, stamp });
        }
        let built = stamp(executable)?.with_context(|| format!("{} is gone", executable.display()))?;
        inputs.push(Input {
            path: executable.to_owned(),
            stamp: Some(built),
        });
        Ok(inputs)
    }

    fn is_download(&self, path: &Path) -> bool {
        self.cargo_home
            .as_ref()
            .is_some_and(|home| path.starts_with(home.join("registry")) || path.starts_with(home.join("git")))
    }
}

fn is_build_variable(name: &OsStr) -> bool {
    name.to_str().is_some_and(|name| {
        BUILD_VARIABLES.contains(&name) || BUILD_VARIABLE_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
    })
}

/// Cargo's dep-info beside an executable: `<bin>.d`.
fn dep_info_path(executable: &Path) -> PathBuf {
    let name = executable.file_name().unwrap_or_default().to_string_lossy();
    let bin = name.strip_suffix(std::env::consts::EXE_SUFFIX).unwrap_or(&name);
    executable.with_file_name(format!("{bin}.d"))
}

/// The paths a dep-info file lists after each `target:`, in Make's syntax
/// as cargo writes it (a space in a path escaped as `\ `). Relative paths
/// (cargo's `build.dep-info-basedir`) are refused: relative to what is not
/// said.
fn dep_info_paths(text: &str) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for line in text.lines() {
        let Some((_, deps)) = line.split_once(": ") else {
            continue;
        };
        let mut path = String::new();
        // A space at the end ends the last path too.
        let mut chars = deps.chars().chain([' ']).peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.next_if_eq(&' ').is_some() => path.push(' '),
                ' ' if !path.is_empty() => paths.push(PathBuf::from(std::mem::take(&mut path))),
                ' ' => {}
                c => path.push(c),
            }
        }
    }
    if paths.is_empty() {
        bail!("it lists no sources");
    }
    if let Some(relative) = paths.iter().find(|path| path.is_relative()) {
        bail!("it lists a relative path, {}", relative.display());
    }
    Ok(paths)
}

/// A path's modification time and size; `None` if there is nothing there.
fn stamp(path: &Path) -> io::Result<Option<Stamp>> {
    match fs::metadata(path) {
        Ok(metadata) => Ok(Some(Stamp {
            modified: since_epoch(metadata.modified()?)?,
            len: metadata.len(),
        })),
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Ok(None),
        Err(e) => Err(e),
    }
}

fn since_epoch(time: SystemTime) -> io::Result<Duration> {
    time.duration_since(SystemTime::UNIX_EPOCH).map_err(io::Error::other)
}

/// Writes `path` whole or not at all: launchers running at once each write
/// a file of their own, then rename it over the record.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
    fs::write(&temporary, bytes)?;
    fs::rename(&temporary, path).inspect_err(|_| {
        let _ = fs::remove_file(&temporary);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A built migration crate, as cargo leaves one: sources, a manifest
    /// and lock file, and the executable with its dep-info; everything
    /// dated an hour ago, so an edit now is a change whatever the clock's
    /// resolution.
    struct Built {
        dir: tempfile::TempDir,
    }

    impl Built {
        fn new() -> Self {
            let built = Self {
                dir: tempfile::tempdir().unwrap(),
            };
            for (file, text) in [
                ("project/Cargo.toml", "[workspace]\nmembers = [\"migration\"]\n"),
                ("project/Cargo.lock", "version = 4\n"),
                ("project/migration/Cargo.toml", "[package]\nname = \"migration\"\n"),
                ("project/migration/build.rs", "fn main() {}\n"),
                ("project/migration/src/main.rs", "fn main() {}\n"),
                ("project/migration/src/versions/a_first.rs", "// a revision\n"),
                ("project/target/debug/build/migration-1/out/versions.rs", "// generated\n"),
                ("project/target/debug/migration", "an executable"),
            ] {
                built.write(file, text);
            }
            let sources: Vec<String> = [
                "migration/src/main.rs",
                "migration/src/versions",
                "migration/src/versions/a_first.rs",
                "migration/build.rs",
                "target/debug/build/migration-1/out/versions.rs",
            ]
            .iter()
            .map(|path| built.project(path).display().to_string())
            .collect();
            built.write(
                "project/target/debug/migration.d",
                &format!("{}: {}\n", built.executable().display(), sources.join(" ")),
            );
            backdate(built.dir.path());
            built
        }

        fn project(&self, path: &str) -> PathBuf {
            self.dir.path().join("project").join(path)
        }

        fn executable(&self) -> PathBuf {
            self.project("target/debug/migration")
        }

        fn write(&self, path: &str, text: &str) {
            let path = self.dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }

        /// The cache for this crate, run from the project's directory with
        /// `vars` set besides the cache directory.
        fn cache(&self, vars: &[(&str, &str)]) -> Option<LaunchCache> {
            self.cache_in(&self.project(""), vars)
        }

        fn cache_in(&self, working_dir: &Path, vars: &[(&str, &str)]) -> Option<LaunchCache> {
            let cache_dir = self.dir.path().join("cache");
            let vars = [(CACHE_DIR_ENV, cache_dir.to_str().unwrap())]
                .into_iter()
                .chain(vars.iter().copied())
                .map(|(name, value)| (name.into(), value.into()));
            LaunchCache::new(&self.project("migration/Cargo.toml"), working_dir, vars)
        }

        /// Records the build, as the launcher does after cargo.
        fn remember(&self) {
            let cache = self.cache(&[]).unwrap();
            cache.remember(&self.executable(), SystemTime::now()).unwrap();
            assert_eq!(cache.fresh_executable(), Some(self.executable()));
        }

        fn is_fresh(&self) -> bool {
            self.cache(&[]).unwrap().fresh_executable().is_some()
        }
    }

    /// Dates `path` and everything under it an hour ago.
    fn backdate(path: &Path) {
        if path.is_dir() {
            for entry in fs::read_dir(path).unwrap() {
                backdate(&entry.unwrap().path());
            }
        }
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        fs::File::open(path).unwrap().set_modified(hour_ago).unwrap();
    }

    #[test]
    fn an_untouched_build_is_fresh() {
        let built = Built::new();
        assert!(!built.is_fresh(), "nothing is remembered yet");
        built.remember();
        assert!(built.is_fresh());
        // What no build reads changes nothing.
        built.write("project/README.md", "# notes\n");
        assert!(built.cache(&[("DATABASE_URL", "sqlite://other.db")]).unwrap().fresh_executable().is_some());
    }

    #[test]
    fn a_touched_source_is_stale() {
        let built = Built::new();
        built.remember();
        let revision = fs::File::options()
            .write(true)
            .open(built.project("migration/src/versions/a_first.rs"))
            .unwrap();
        revision.set_modified(SystemTime::now()).unwrap();
        assert!(!built.is_fresh());
    }

    #[test]
    fn a_file_added_to_a_source_directory_is_stale() {
        let built = Built::new();
        built.remember();
        built.write("project/migration/src/versions/b_second.rs", "// another revision\n");
        assert!(!built.is_fresh());
    }

    #[test]
    fn a_changed_lock_file_or_new_cargo_configuration_is_stale() {
        let built = Built::new();
        built.remember();
        built.write("project/Cargo.lock", "version = 4\n\n[[package]]\n");
        assert!(!built.is_fresh());

        built.remember();
        built.write("project/.cargo/config.toml", "[build]\nrustflags = [\"-Copt-level=1\"]\n");
        assert!(!built.is_fresh());
    }

    #[test]
    fn a_changed_build_variable_is_stale() {
        let built = Built::new();
        built.remember();
        for var in [("RUSTFLAGS", "-Copt-level=1"), ("CARGO_PROFILE_DEV_DEBUG", "0")] {
            assert_eq!(built.cache(&[var]).unwrap().fresh_executable(), None, "{var:?}");
        }
    }

    #[test]
    fn a_rebuilt_executable_or_another_working_directory_is_stale() {
        let built = Built::new();
        built.remember();
        let elsewhere = built.cache_in(built.dir.path(), &[]).unwrap();
        assert_eq!(elsewhere.fresh_executable(), None, "cargo reads its configuration from there");

        built.write("project/target/debug/migration", "another executable");
        assert!(!built.is_fresh());
    }

    #[test]
    fn a_source_changed_during_the_build_is_not_remembered() {
        let built = Built::new();
        let cache = built.cache(&[]).unwrap();
        let build_started = SystemTime::now() - Duration::from_secs(1);
        built.write("project/migration/src/main.rs", "fn main() { edited() }\n");
        let refused = cache.remember(&built.executable(), build_started).unwrap_err();
        assert!(format!("{refused:#}").contains("main.rs changed after the build started"), "{refused:#}");
        assert!(!built.is_fresh());
    }

    #[test]
    fn on_a_filesystem_of_whole_seconds_a_source_saved_near_the_start_is_not_remembered() {
        let built = Built::new();
        let cache = built.cache(&[]).unwrap();
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap();
        let whole_second = SystemTime::UNIX_EPOCH + Duration::from_secs(now.as_secs());
        let source = built.project("migration/src/main.rs");
        fs::File::options().write(true).open(&source).unwrap().set_modified(whole_second).unwrap();
        // Saved "before" the build by the file's time, but within its rounding.
        let refused = cache.remember(&built.executable(), whole_second + Duration::from_secs(1));
        assert!(refused.is_err());
        cache.remember(&built.executable(), whole_second + Duration::from_secs(3)).unwrap();
        assert!(built.is_fresh());
    }

    #[test]
    fn without_a_cache_directory_nothing_is_remembered() {
        let built = Built::new();
        let manifest = built.project("migration/Cargo.toml");
        assert!(LaunchCache::new(&manifest, &built.project(""), []).is_none());
        let xdg = [("XDG_CACHE_HOME".into(), "/somewhere/cache".into())];
        let cache = LaunchCache::new(&manifest, &built.project(""), xdg).unwrap();
        assert!(cache.file.starts_with("/somewhere/cache/autogen"));
    }

    #[test]
    fn dep_info_paths_are_absolute_with_spaces_escaped() {
        let text = "/t/debug/m: /p/src/main.rs /p/my\\ dir/a.rs\n\n/t/debug/m.dSYM: /p/src/main.rs\n";
        let paths = dep_info_paths(text).unwrap();
        assert_eq!(
            paths,
            ["/p/src/main.rs", "/p/my dir/a.rs", "/p/src/main.rs"].map(PathBuf::from)
        );
        let relative = dep_info_paths("m: src/main.rs\n").unwrap_err();
        assert!(relative.to_string().contains("relative"), "{relative}");
        assert!(dep_info_paths("").is_err());
    }
}

//! `autogen init <dir>`: `autogen.toml` in the working directory and a
//! migration crate in `<dir>`, ready for `.entity(...)` registrations.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

use crate::config::FILE_NAME;

/// Where the scaffold's `autogen` dependencies come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AutogenSource {
    /// crates.io, at this version of autogen.
    Registry,
    /// A local checkout of the autogen repository.
    Path(PathBuf),
}

/// The files `init` wrote, in the order written.
pub fn init(base: &Path, dir: &Path, source: &AutogenSource) -> Result<Vec<PathBuf>> {
    let config_path = base.join(FILE_NAME);
    if config_path.exists() {
        bail!(
            "{} already exists; autogen is already set up here",
            config_path.display()
        );
    }
    let crate_dir = base.join(dir);
    if crate_dir.exists() && fs::read_dir(&crate_dir)?.next().is_some() {
        bail!(
            "{} already exists and is not empty; choose another directory",
            crate_dir.display()
        );
    }
    let name = crate_name(dir)?;
    let script_location = dir.to_string_lossy().replace('\\', "/");
    let files = [
        (config_path, config_file(&script_location)),
        (crate_dir.join("Cargo.toml"), cargo_toml(&name, source)),
        (crate_dir.join("build.rs"), BUILD_RS.to_owned()),
        (crate_dir.join("src").join("main.rs"), MAIN_RS.to_owned()),
        (
            crate_dir.join("src").join("versions").join("README.md"),
            VERSIONS_README.to_owned(),
        ),
    ];
    let mut written = Vec::with_capacity(files.len());
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// A Cargo package name from the directory's last component.
fn crate_name(dir: &Path) -> Result<String> {
    let last = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        bail!(
            "{:?} cannot name a Cargo package; use a directory name such as `migration`",
            dir.display().to_string()
        );
    }
    Ok(name)
}

fn config_file(script_location: &str) -> String {
    format!(
        r#"# autogen configuration: the alembic.ini of a SeaORM project.
[autogen]
# The migration crate, relative to this file. Its src/versions holds one revision per file.
script_location = "{script_location}"
# The database. ${{NAME}} reads an environment variable; ${{NAME:-fallback}} gives it a default.
# A relative SQLite path is relative to this file.
database_url = "${{DATABASE_URL:-sqlite://app.db}}"
# PostgreSQL: the schema autogenerate compares (default: the connection's current schema).
# schema = "public"
# Let autogenerate drop the table of an entity module that exists but is not registered.
# allow_unregistered_drops = false
# Let autogenerate write revisions with changes that can lose data (AG101…AG106);
# otherwise it refuses until given --allow-destructive.
# allow_destructive = false
# Seconds a connection may take before the command gives up (--connect-timeout).
# connect_timeout = 5
# Seconds upgrade, downgrade and stamp wait for another run's migration lock (--lock-timeout).
# lock_timeout = 300
# Commands run on each revision file `revision` and `merge` write, in order; {{path}} is the file.
# A hook that fails is a warning, and the file is kept. [] runs none.
# post_write_hooks = ["rustfmt --edition 2021 {{path}}"]
# The template revision files are written from, relative to this file: Rust with placeholders
# {{{{message}}}}, {{{{revision}}}}, {{{{down_revision}}}}, {{{{create_date}}}}, {{{{revision_constant}}}},
# {{{{upgrades}}}} and {{{{downgrades}}}} (the default template is in autogen's README).
# revision_template = "{script_location}/revision_template.rs"
"#
    )
}

fn cargo_toml(name: &str, source: &AutogenSource) -> String {
    let (autogen, autogen_build) = match source {
        AutogenSource::Registry => {
            let version = env!("CARGO_PKG_VERSION");
            (format!("\"{version}\""), format!("\"{version}\""))
        }
        AutogenSource::Path(repo) => (
            format!(
                "{{ path = {:?} }}",
                repo.join("crates/autogen").display().to_string()
            ),
            format!(
                "{{ path = {:?} }}",
                repo.join("crates/build").display().to_string()
            ),
        ),
    };
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
autogen = {autogen}
# The crate that defines your SeaORM entities, e.g.:
# entity = {{ path = "../entity" }}

[build-dependencies]
autogen-build = {autogen_build}
"#
    )
}

const BUILD_RS: &str = r#"// Lists src/versions/*.rs for autogen::include_versions!(), so new revisions need no registration.
fn main() {
    autogen_build::versions();
}
"#;

const MAIN_RS: &str = r#"//! The migration crate: autogen's env.py. It names the entities that
//! `autogen revision --autogenerate` compares with the database, then hands
//! the command line to autogen.

autogen::include_versions!();

fn main() -> std::process::ExitCode {
    let project = autogen::Project::new(VERSIONS);
    // Register every entity of your schema, e.g.:
    // let project = project.entity(entity::user::Entity).entity(entity::post::Entity);
    autogen::cli::run(project)
}
"#;

const VERSIONS_README: &str = "One revision per file, written by `autogen revision`. \
Review each generated file before you apply it.\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let files = init(dir.path(), Path::new("migration"), &AutogenSource::Registry).unwrap();
        assert_eq!(files.len(), 5);
        let again = init(dir.path(), Path::new("other"), &AutogenSource::Registry).unwrap_err();
        assert!(again
            .to_string()
            .ends_with("autogen.toml already exists; autogen is already set up here"));
        fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        let taken = init(dir.path(), Path::new("migration"), &AutogenSource::Registry).unwrap_err();
        assert!(taken.to_string().contains("already exists and is not empty"));
    }

    #[test]
    fn the_written_autogen_toml_documents_every_setting_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path(), Path::new("migration"), &AutogenSource::Registry).unwrap();
        let path = dir.path().join(FILE_NAME);
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("# post_write_hooks = [\"rustfmt --edition 2021 {path}\"]\n"),
            "{text}"
        );
        assert!(text.contains("{{upgrades}}"), "{text}");
        assert!(
            text.contains("# revision_template = \"migration/revision_template.rs\"\n"),
            "{text}"
        );
        // Every commented-out setting is one autogen.toml takes, as written.
        let uncommented: String = text
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(setting) if setting.contains(" = ") && !setting.contains(':') => setting,
                _ => line,
            })
            .map(|line| format!("{line}\n"))
            .collect();
        fs::write(&path, uncommented).unwrap();
        let config = crate::config::Config::load(&path).unwrap();
        assert_eq!(config.post_write_hooks, crate::hooks::default_hooks());
        assert_eq!(
            config.revision_template,
            Some(dir.path().join("migration/revision_template.rs"))
        );
    }

    #[test]
    fn package_names_come_from_the_directory() {
        assert_eq!(crate_name(Path::new("db/migration")).unwrap(), "migration");
        assert_eq!(crate_name(Path::new("my migrations")).unwrap(), "my-migrations");
        assert!(crate_name(Path::new("2024")).is_err());
    }
}

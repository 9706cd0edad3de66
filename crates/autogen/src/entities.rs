//! Where the target entities come from.
//!
//! By default they are read from their source files (`entities` in
//! `autogen.toml`, directories of `.rs` files), with no build: an entity
//! edit is seen the moment it is saved, and the migration crate depends on
//! neither the entity crate nor its SeaORM version. `entity_reading =
//! "compiled"` reads the entities the migration crate registers
//! (`Project::entity`) through SeaORM's runtime metadata instead, for
//! entities source cannot say everything about (the expanded format,
//! relations written by hand, types from other crates). A project that
//! registers entities and names no directory keeps the compiled reading.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use autogen_reflect::{Entities, SeaOrmMajor, SourceFile};

use crate::config::{Config, EntityReading};
use crate::Project;

/// Entities read from source, and the entity files left out of them.
#[derive(Debug)]
pub struct SourceReading {
    /// The entities.
    pub entities: Entities,
    /// What the reading left out.
    pub left_out: LeftOut,
}

/// What a source reading left out, for the caller to name.
#[derive(Debug, Default)]
pub struct LeftOut {
    /// Files that declare an entity no `mod` of their crate declares: the
    /// application does not compile them, so they are not read.
    pub undeclared: Vec<PathBuf>,
    /// `entities_exclude` entries that match no file: a typo, or a file gone.
    pub unmatched_excludes: Vec<PathBuf>,
}

/// The project with the entities `config` says to compare: read from
/// source, or the ones it registers; with what the reading has to say
/// (when read from source).
pub fn resolve(project: &Project, config: &Config) -> Result<(Project, LeftOut)> {
    // Registering entities chooses the compiled reading, unless autogen.toml
    // says otherwise: a project upgraded from it keeps what it had.
    let from_source = match config.entity_reading {
        Some(EntityReading::Compiled) => false,
        Some(EntityReading::Source) => true,
        None => project.entities.is_empty(),
    };
    if !from_source {
        return Ok((project.clone(), LeftOut::default()));
    }
    let reading = read_source(config)?;
    let mut resolved = project.clone();
    resolved.entities = reading.entities;
    Ok((resolved, reading.left_out))
}

/// Reads the entities of every directory `config` names, each as the crate
/// it belongs to declares them (its SeaORM version's attributes).
pub fn read_source(config: &Config) -> Result<SourceReading> {
    let base = config.path.parent().unwrap_or(Path::new("."));
    let mut entities = Entities::new();
    let mut undeclared = Vec::new();
    // Compared as reports name them, whichever way each was spelled.
    let excludes: Vec<PathBuf> = config.entities_exclude.iter().map(|e| shortest(e, base)).collect();
    let mut matched = vec![false; excludes.len()];
    for dir in source_dirs(config)? {
        let files: Vec<SourceFile> = rust_files(&dir)?
            .into_iter()
            .filter(|(path, _)| {
                let shown = shortest(path, base);
                let hits: Vec<usize> = (0..excludes.len()).filter(|&i| shown.starts_with(&excludes[i])).collect();
                for &i in &hits {
                    matched[i] = true;
                }
                hits.is_empty()
            })
            .map(|(path, text)| SourceFile {
                relative: path.strip_prefix(&dir).unwrap_or(&path).to_owned(),
                path: shortest(&path, base),
                text,
            })
            .collect();
        let (read, left_out) = Entities::from_source(&files, seaorm_major(&dir)?)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("cannot read the entities in {} from source", shortest(&dir, base).display()))?;
        if let Some(table) = read.table_names().find(|t| entities.table_names().any(|known| known == *t)) {
            anyhow::bail!(
                "table `{table}` has an entity in {} and in another of the `entities` directories; \
                 keep one entity per table",
                shortest(&dir, base).display()
            );
        }
        entities = entities.extend(read);
        undeclared.extend(left_out);
    }
    let unmatched_excludes = excludes
        .into_iter()
        .zip(matched)
        .filter_map(|(exclude, matched)| (!matched).then_some(exclude))
        .collect();
    Ok(SourceReading {
        entities,
        left_out: LeftOut {
            undeclared,
            unmatched_excludes,
        },
    })
}

/// Where the entity sources are: `entities` in autogen.toml, else the
/// `src` of each crate the migration crate depends on by path that depends
/// on sea-orm.
pub fn source_dirs(config: &Config) -> Result<Vec<PathBuf>> {
    if !config.entities.is_empty() {
        return Ok(config.entities.clone());
    }
    let manifest = config.script_location.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let parsed: toml::Table = toml::from_str(&text).with_context(|| format!("{} is not valid TOML", manifest.display()))?;
    let dirs: Vec<PathBuf> = parsed
        .get("dependencies")
        .and_then(|d| d.as_table())
        .into_iter()
        .flat_map(|deps| deps.values())
        .filter_map(|dep| dep.get("path").and_then(|p| p.as_str()))
        .filter_map(|path| entity_library_dir(&config.script_location.join(path)))
        .collect();
    if dirs.is_empty() {
        anyhow::bail!(
            "cannot tell where the entity sources are: set `entities = [\"<entity crate>/src\"]` in {}",
            config.path.display()
        );
    }
    Ok(dirs)
}

/// The directory of the library root of the crate in `dir`, if that crate
/// depends on sea-orm: where its entities are (`src`, or `[lib] path`'s).
/// Other path dependencies (autogen itself, in a checkout) are not read.
fn entity_library_dir(dir: &Path) -> Option<PathBuf> {
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(dir.join("Cargo.toml")).ok()?).ok()?;
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .is_some_and(|deps| deps.contains_key("sea-orm"))
        .then(|| {
            let root = manifest
                .get("lib")
                .and_then(|lib| lib.get("path"))
                .and_then(|p| p.as_str())
                .unwrap_or("src/lib.rs");
            dir.join(root).parent().map(Path::to_owned)
        })
        .flatten()
}

/// Every `.rs` file under `dir`, in path order, with its text.
pub fn rust_files(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut found = Vec::new();
    collect_rust_files(dir, &mut found)?;
    Ok(found)
}

fn collect_rust_files(dir: &Path, into: &mut Vec<(PathBuf, String)>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the entity directory {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for path in entries {
        // A build's output, or another crate nested inside, is not this crate's source.
        if path.is_dir() && (path.ends_with("target") || path.join("Cargo.toml").is_file()) {
            continue;
        }
        if path.is_dir() {
            collect_rust_files(&path, into)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            into.push((path, text));
        }
    }
    Ok(())
}

/// The SeaORM major version the crate holding `dir` is built with: its
/// manifest's `sea-orm` requirement (its workspace's, for `workspace =
/// true`), else the one `sea-orm` its lock file holds. A lock holding
/// both, or a crate that says nothing, is an error: 1.x and 2.x read the
/// same attributes differently.
fn seaorm_major(dir: &Path) -> Result<SeaOrmMajor> {
    let manifest_dir = dir
        .ancestors()
        .find(|d| d.join("Cargo.toml").is_file())
        .with_context(|| format!("{} is in no crate (no Cargo.toml above it)", dir.display()))?;
    let read = |path: PathBuf| -> Option<toml::Table> { toml::from_str(&std::fs::read_to_string(path).ok()?).ok() };
    let workspace_root = || {
        manifest_dir
            .ancestors()
            .skip(1)
            .find_map(|d| read(d.join("Cargo.toml")).filter(|m| m.contains_key("workspace")))
    };
    let requirement = |dependency: &toml::Value| -> Option<SeaOrmMajor> {
        let version = dependency.as_str().or_else(|| dependency.get("version")?.as_str());
        version.and_then(SeaOrmMajor::of_version)
    };
    let required = read(manifest_dir.join("Cargo.toml")).and_then(|manifest| {
        let dependencies = manifest.get("dependencies")?.as_table()?;
        // `sea-orm`, or any name for `package = "sea-orm"`.
        let (name, dependency) = dependencies.iter().find(|(name, dependency)| {
            dependency.get("package").and_then(|p| p.as_str()).unwrap_or(name) == "sea-orm"
        })?;
        if dependency.get("workspace").and_then(|w| w.as_bool()) == Some(true) {
            return requirement(workspace_root()?.get("workspace")?.get("dependencies")?.get(name)?);
        }
        requirement(dependency)
    });
    if let Some(major) = required {
        return Ok(major);
    }
    let lock = manifest_dir.ancestors().map(|d| d.join("Cargo.lock")).find(|p| p.is_file());
    let locked: Vec<SeaOrmMajor> = match &lock {
        Some(path) => crate::init::LockedVersions::read(path)?
            .map(|locked| {
                let majors: std::collections::BTreeSet<SeaOrmMajor> =
                    locked.versions("sea-orm").filter_map(SeaOrmMajor::of_version).collect();
                majors.into_iter().collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    match locked.as_slice() {
        [one] => Ok(*one),
        _ => anyhow::bail!(
            "cannot tell which SeaORM version the entities in {} are written for: {} names no sea-orm \
             version, and {}; give the crate a `sea-orm = \"1\"` or `\"2\"` requirement",
            dir.display(),
            manifest_dir.join("Cargo.toml").display(),
            match lock {
                Some(lock) if locked.is_empty() => format!("{} locks none", lock.display()),
                Some(lock) => format!("{} locks more than one", lock.display()),
                None => "there is no Cargo.lock".to_owned(),
            }
        ),
    }
}

/// `path` without `dir/..` steps, and relative to `base` when under it, so
/// reports name `crates/db/entity/src/post.rs:12` as a reviewer would.
pub(crate) fn shortest(path: &Path, base: &Path) -> PathBuf {
    let mut clean = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir if clean.file_name().is_some() => {
                clean.pop();
            }
            std::path::Component::CurDir => {}
            other => clean.push(other),
        }
    }
    match clean.strip_prefix(base) {
        Ok(relative) if !relative.as_os_str().is_empty() => relative.to_owned(),
        _ => clean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::{DatabaseUrl, UrlOrigin};
    use autogen_schema::{Dialect, Schema};

    const POST: &str = r#"use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "post")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique_key = "slug")]
    pub title: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
"#;

    /// An entity crate on `sea_orm` (a version requirement) with `files`
    /// below `src`, and a configuration reading it.
    fn project(sea_orm: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let entity = dir.path().join("entity");
        std::fs::create_dir_all(entity.join("src")).unwrap();
        std::fs::write(
            entity.join("Cargo.toml"),
            format!("[package]\nname = \"entity\"\n\n[dependencies]\nsea-orm = \"{sea_orm}\"\n"),
        )
        .unwrap();
        for (path, text) in files {
            std::fs::write(entity.join("src").join(path), text).unwrap();
        }
        let mut config = Config::new(dir.path(), DatabaseUrl::new("sqlite::memory:", UrlOrigin::Program));
        config.entities = vec![entity.join("src")];
        (dir, config)
    }

    #[test]
    fn each_change_names_the_entity_file_and_line_it_comes_from() {
        let (_dir, config) = project("2.0", &[("lib.rs", "pub mod post;\n"), ("post.rs", POST)]);
        let entities = read_source(&config).unwrap().entities;
        let comparison =
            crate::compare::compare_schemas(Schema::new(), &entities, Dialect::Sqlite, "main", &Default::default())
                .unwrap();
        assert_eq!(
            comparison.report().iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "Detected added table 'post' (entity/src/post.rs:5)",
                "Detected added unique index 'idx-post-slug' on 'post' (title) (entity/src/post.rs:9)",
            ]
        );
        let json = crate::check::json_report(&comparison, crate::check::Source::Revisions);
        assert_eq!(json["changes"][0]["source"]["path"], "entity/src/post.rs");
        assert_eq!(json["changes"][1]["source"]["line"], 9);
    }

    #[test]
    fn an_entity_crate_on_seaorm_1_is_read_with_its_attributes() {
        // 1.x's macros pass over `unique_key`: no index.
        let (_dir, config) = project("1.1", &[("lib.rs", "pub mod post;\n"), ("post.rs", POST)]);
        let schema = read_source(&config).unwrap().entities.schema(Dialect::Sqlite, None);
        assert!(schema.tables["post"].indexes.is_empty());
    }

    #[test]
    fn an_entity_file_no_module_declares_is_named_and_an_excluded_one_is_not() {
        let comment = POST.replace("\"post\"", "\"comment\"");
        let (dir, mut config) = project("2.0", &[("lib.rs", "pub mod post;\n"), ("post.rs", POST), ("comment.rs", &comment)]);
        let reading = read_source(&config).unwrap();
        assert_eq!(reading.entities.table_names().collect::<Vec<_>>(), ["post"]);
        assert_eq!(reading.left_out.undeclared, [PathBuf::from("entity/src/comment.rs")]);
        // Excluded however it is spelled; an exclusion that matches nothing is said.
        config.entities_exclude = vec![
            dir.path().join("entity/../entity/src/comment.rs"),
            dir.path().join("entity/src/gone.rs"),
        ];
        let left_out = read_source(&config).unwrap().left_out;
        assert!(left_out.undeclared.is_empty());
        assert_eq!(left_out.unmatched_excludes, [PathBuf::from("entity/src/gone.rs")]);
    }

    #[test]
    fn the_seaorm_version_is_the_workspace_requirement_the_crate_inherits() {
        let (dir, config) = project("1.1", &[("lib.rs", "pub mod post;\n"), ("post.rs", POST)]);
        std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\n[workspace.dependencies]\nsea-orm = \"1.1\"\n").unwrap();
        std::fs::write(
            dir.path().join("entity/Cargo.toml"),
            "[package]\nname = \"entity\"\n\n[dependencies]\nsea-orm.workspace = true\n",
        )
        .unwrap();
        // Read as 1.x: `unique_key` makes no index.
        let schema = read_source(&config).unwrap().entities.schema(Dialect::Sqlite, None);
        assert!(schema.tables["post"].indexes.is_empty());
    }

    #[test]
    fn an_entity_crate_that_names_no_seaorm_version_is_an_error() {
        let (dir, config) = project("2.0", &[("lib.rs", "pub mod post;\n"), ("post.rs", POST)]);
        std::fs::write(dir.path().join("entity/Cargo.toml"), "[package]\nname = \"entity\"\n").unwrap();
        let error = format!("{:#}", read_source(&config).unwrap_err());
        assert!(error.contains("cannot tell which SeaORM version"), "{error}");
        assert!(error.contains("there is no Cargo.lock"), "{error}");
    }

    #[test]
    fn a_table_two_entity_directories_declare_is_an_error() {
        let (dir, mut config) = project("2.0", &[("lib.rs", "pub mod post;\n"), ("post.rs", POST)]);
        let other = dir.path().join("other");
        std::fs::create_dir_all(other.join("src")).unwrap();
        std::fs::copy(dir.path().join("entity/Cargo.toml"), other.join("Cargo.toml")).unwrap();
        std::fs::write(other.join("src/post.rs"), POST).unwrap();
        config.entities.push(other.join("src"));
        let error = format!("{:#}", read_source(&config).unwrap_err());
        assert!(error.contains("table `post` has an entity in other/src and in another"), "{error}");
    }

    #[test]
    fn a_field_of_a_type_source_cannot_resolve_is_an_error_naming_it() {
        let post = POST.replace("pub title: String", "pub title: other_crate::Slug");
        let (_dir, config) = project("2.0", &[("lib.rs", "pub mod post;\n"), ("post.rs", &post)]);
        let error = format!("{:#}", read_source(&config).unwrap_err());
        assert!(error.contains("entity/src/post.rs:9: column `title`"), "{error}");
        assert!(error.contains("`other_crate::Slug`"), "{error}");
        assert!(error.contains("column_type"), "{error}");
        assert!(error.contains("entity_reading = \"compiled\""), "{error}");
    }
}

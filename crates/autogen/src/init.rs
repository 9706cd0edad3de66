//! `autogen init [DIR]`: `autogen.toml` in the working directory and a
//! migration crate in `DIR`, fitted into the project around it.
//!
//! Most SeaORM projects already have a workspace, an entity crate and a
//! sea-orm-migration crate in `migration/`. So `init` picks a free directory
//! when none is named, joins the enclosing workspace (editing its
//! `Cargo.toml` in place, comments kept) so cargo does not refuse the new
//! crate (or, on SeaORM 1.x, makes it a workspace of its own), names the
//! sources of the workspace's entity crates in `autogen.toml`, wherever they
//! are, and has cargo lock the new crate keeping every version the workspace
//! locked, updating only those autogen's requirements exclude: [`lock`]
//! says which.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::Command as Process;

use anyhow::{bail, Context as _, Result};

use crate::config::{Config, FILE_NAME};
use crate::database::{self, Access, Unavailable};

/// Where the scaffold's `autogen` dependency comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AutogenSource {
    /// crates.io, at this version of autogen.
    Registry,
    /// A local checkout of the autogen repository.
    Path(PathBuf),
}

/// The layout `init` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// A migration crate, joining the workspace around it if there is one.
    #[default]
    Default,
    /// A new workspace: an `entity` crate with an example entity, and the
    /// migration crate registering it. For a project that starts here.
    Workspace,
}

/// The directories `init` tries, in order, when none is named:
/// sea-orm-migration's conventional `migration`, then one beside it.
const DIR_CANDIDATES: [&str; 2] = ["migration", "autogen-migration"];

/// What `init` did.
#[derive(Debug)]
pub struct Initialized {
    /// The migration crate's directory, relative to the working directory.
    pub dir: PathBuf,
    /// The files written, in the order written.
    pub written: Vec<PathBuf>,
    /// How the crate relates to a workspace.
    pub workspace: Workspace,
    /// The entity crates the migration crate depends on, each with the
    /// entity modules it registers.
    pub entities: Vec<EntityCrate>,
    /// The [`DEV_PROFILE`] settings added to the workspace's manifest; none
    /// for a crate outside a workspace.
    pub dev_profile: Option<DevProfile>,
}

/// The [`DEV_PROFILE`] settings `init` added to a root manifest: those it
/// did not have already.
#[derive(Debug)]
pub struct DevProfile {
    /// The manifest cargo reads profiles from.
    pub manifest: PathBuf,
    /// The settings added, as dotted keys (`profile.dev.package.x.debug`).
    pub added: Vec<String>,
}

/// How the new crate relates to a Cargo workspace.
#[derive(Debug, PartialEq, Eq)]
pub enum Workspace {
    /// No `Cargo.toml` above it: it is a workspace of its own.
    None,
    /// The `Cargo.toml` here is a package with no `[workspace]`: the crate
    /// builds on its own, with its own `Cargo.lock` and `target/`.
    BesidePackage(PathBuf),
    /// The workspace's `members` already cover it (a glob).
    Covered {
        /// The workspace's `Cargo.toml`.
        manifest: PathBuf,
        /// The workspace's `Cargo.lock` before, to tell what cargo changed.
        lock_before: Option<LockedVersions>,
    },
    /// It was added to the `members` of this workspace manifest.
    Joined {
        /// The workspace's `Cargo.toml`.
        manifest: PathBuf,
        /// The member added, relative to the workspace root.
        member: String,
        /// The workspace's `Cargo.lock` before, to tell what cargo changed.
        lock_before: Option<LockedVersions>,
    },
    /// The workspace template wrote this workspace manifest.
    Created(PathBuf),
    /// The workspace locks SeaORM 1.x, whose sqlx links a SQLite that
    /// autogen's SeaORM 2 cannot share a lock with: the crate is a workspace
    /// of its own, left out of this one's `exclude`d members, with its own
    /// `Cargo.lock`. Entities are read from source, so nothing of the
    /// application's is compiled into it.
    Separate {
        /// The application workspace's `Cargo.toml`.
        manifest: PathBuf,
        /// The crate, relative to that workspace's root.
        member: String,
        /// The SeaORM version the workspace locks.
        seaorm: String,
    },
}

/// An entity crate the migration crate depends on: a package that depends
/// on sea-orm and whose library defines entities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityCrate {
    /// Its package name.
    pub package: String,
    /// Its library's name in code (`app_entity` for package `app-entity`).
    pub lib: String,
    /// Its directory.
    pub dir: PathBuf,
    /// The directory of its library root: where its entity sources are.
    pub src: PathBuf,
    /// The modules of its library root that define an entity ([`ENTITY_MARKS`]).
    pub modules: Vec<String>,
}

/// Writes the scaffold: `autogen.toml` in `base`, the migration crate in
/// `dir` (else the first free [`DIR_CANDIDATES`]), as `template` lays out.
pub fn init(
    base: &Path,
    dir: Option<&Path>,
    source: &AutogenSource,
    template: Template,
) -> Result<Initialized> {
    let config_path = base.join(FILE_NAME);
    if config_path.exists() {
        bail!(
            "{} already exists; autogen is already set up here",
            config_path.display()
        );
    }
    let packages = package_names_around(base);
    let dir = match dir {
        Some(dir) => {
            if is_taken(&base.join(dir)) {
                bail!(
                    "{} already exists and is not empty; choose another directory",
                    base.join(dir).display()
                );
            }
            dir.to_owned()
        }
        None => free_dir(base, &packages)?,
    };
    let name = crate_name(&dir)?;
    if packages.contains(&name) {
        bail!(
            "the workspace already has a package named `{name}`; a second would stop cargo, so choose \
             another directory: autogen init <DIR>"
        );
    }
    let crate_dir = base.join(&dir);
    let mut files = Vec::new();
    // The workspace manifest is read before anything is written: one that
    // cannot be read stops init with nothing half done.
    let workspace = match template {
        Template::Default => join_workspace(base, &crate_dir)?,
        Template::Workspace => {
            let manifest = base.join("Cargo.toml");
            if manifest.exists() {
                bail!(
                    "{} already exists; the workspace template starts a new project \
                     (leave out --template to add a migration crate to this one)",
                    manifest.display()
                );
            }
            if is_taken(&base.join("entity")) {
                bail!(
                    "{} already exists and is not empty; the workspace template writes an entity crate there",
                    base.join("entity").display()
                );
            }
            let member = slash_path(&dir);
            files.push((manifest.clone(), new_workspace_manifest(&member)));
            files.push((
                base.join("entity/Cargo.toml"),
                EXAMPLE_ENTITY_CARGO_TOML.to_owned(),
            ));
            files.push((base.join("entity/src/lib.rs"), EXAMPLE_ENTITY_LIB_RS.to_owned()));
            files.push((base.join("entity/src/post.rs"), EXAMPLE_ENTITY_POST_RS.to_owned()));
            Workspace::Created(manifest)
        }
    };
    let entities = match &workspace {
        Workspace::Created(_) => vec![EntityCrate {
            package: "entity".to_owned(),
            lib: "entity".to_owned(),
            dir: base.join("entity"),
            src: base.join("entity/src"),
            modules: vec!["post".to_owned()],
        }],
        Workspace::Joined { manifest, .. }
        | Workspace::Covered { manifest, .. }
        | Workspace::Separate { manifest, .. } => find_entity_crates(manifest)?,
        // Outside a workspace, an entity crate beside the new one is the
        // convention sea-orm-cli's examples follow.
        Workspace::None | Workspace::BesidePackage(_) => {
            let manifest = base.join("entity/Cargo.toml");
            if manifest.is_file() {
                find_entity_crates(&manifest)?
            } else {
                Vec::new()
            }
        }
    };
    let entity_dirs: Vec<String> = entities.iter().map(|e| path_from(base, &e.src)).collect();
    files.push((config_path, config_file(&slash_path(&dir), &entity_dirs)));
    let separate = matches!(workspace, Workspace::Separate { .. });
    files.push((crate_dir.join("Cargo.toml"), cargo_toml(&name, source, separate)));
    files.push((crate_dir.join("build.rs"), BUILD_RS.to_owned()));
    let lib = name.replace('-', "_");
    files.push((crate_dir.join("src/lib.rs"), lib_rs(&lib)));
    files.push((crate_dir.join("src/main.rs"), main_rs(&lib)));
    files.push((
        crate_dir.join("src/versions/README.md"),
        VERSIONS_README.to_owned(),
    ));
    // Cargo reads profiles from a workspace's root manifest alone. A crate
    // on its own gets none: in its manifest they would draw a warning on
    // every build once it joins a workspace.
    let (root_manifest, member) = match &workspace {
        Workspace::Joined {
            manifest, member, ..
        } => (Some(manifest.clone()), Some(member.as_str())),
        Workspace::Covered { manifest, .. } | Workspace::Created(manifest) => (Some(manifest.clone()), None),
        // A workspace of its own: its manifest is where cargo reads its profile.
        Workspace::Separate { .. } => (Some(crate_dir.join("Cargo.toml")), None),
        Workspace::None | Workspace::BesidePackage(_) => (None, None),
    };
    let mut dev_profile = None;
    // The application workspace's manifest, edited in place.
    let mut edited = None;
    if let Workspace::Separate { manifest, member, .. } = &workspace {
        let text = fs::read_to_string(manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
        let excluded = exclude_member(&text, member).with_context(|| format!("cannot edit {}", manifest.display()))?;
        edited = Some((manifest.clone(), excluded));
    }
    if let Some(root_manifest) = root_manifest {
        let new_text = files.iter_mut().find(|(path, _)| *path == root_manifest);
        let root_text = match &new_text {
            Some((_, text)) => text.clone(),
            None => fs::read_to_string(&root_manifest)
                .with_context(|| format!("cannot read {}", root_manifest.display()))?,
        };
        let fitted = fit_manifest(&root_text, member, &name)
        .with_context(|| format!("cannot edit {}", root_manifest.display()))?;
        match new_text {
            Some((_, text)) => *text = fitted.text,
            None => edited = Some((root_manifest.clone(), fitted.text)),
        }
        dev_profile = Some(DevProfile {
            manifest: root_manifest,
            added: fitted.added,
        });
    }
    let mut written = Vec::with_capacity(files.len());
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    if let Some((manifest, text)) = edited {
        fs::write(&manifest, text).with_context(|| format!("cannot write {}", manifest.display()))?;
    }
    Ok(Initialized {
        dir,
        written,
        workspace,
        entities,
        dev_profile,
    })
}

/// Whether `dir` exists with something in it.
fn is_taken(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

/// The first of [`DIR_CANDIDATES`] that is empty and whose crate name no
/// package of the workspace has: sea-orm-migration's crate is called
/// `migration` wherever it lives (`crates/db/migration`, say).
fn free_dir(base: &Path, packages: &BTreeSet<String>) -> Result<PathBuf> {
    let free = |d: &&&str| !is_taken(&base.join(d)) && !packages.contains(**d);
    match DIR_CANDIDATES.iter().find(free) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => bail!(
            "{} are both taken (as directories or package names); name the migration crate's directory: \
             autogen init <DIR>",
            DIR_CANDIDATES.map(|d| format!("{d}/")).join(" and ")
        ),
    }
}

/// The names of the packages of the workspace `base` is in, if any: a new
/// crate must not take one. Nothing when cargo cannot list them; joining
/// the workspace reports that later.
fn package_names_around(base: &Path) -> BTreeSet<String> {
    let Some(manifest) = base.ancestors().map(|d| d.join("Cargo.toml")).find(|p| p.is_file()) else {
        return BTreeSet::new();
    };
    workspace_metadata(&manifest)
        .map(|metadata| metadata.packages.into_iter().map(|p| p.name).collect())
        .unwrap_or_default()
}

/// `dir` with forward slashes, as TOML paths are written.
fn slash_path(dir: &Path) -> String {
    dir.to_string_lossy().replace('\\', "/")
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
    // The crate depends on `autogen`, and a package cannot depend on its own name.
    if name == "autogen" {
        bail!("a migration crate cannot be called `autogen`, the crate it depends on; use e.g. `migration`");
    }
    Ok(name)
}

/// What marks a module as defining an entity: the derives of SeaORM's
/// compact (`DeriveEntityModel`) and expanded (`DeriveEntity`) formats and
/// the attributes of its 2.0 formats.
const ENTITY_MARKS: [&str; 3] = ["DeriveEntity", "sea_orm::model", "sea_orm::compact_model"];

/// The entity crates among the packages of the workspace `manifest` heads,
/// as cargo lists them: those that depend on sea-orm and whose library root
/// declares modules that define entities.
fn find_entity_crates(manifest: &Path) -> Result<Vec<EntityCrate>> {
    let metadata = workspace_metadata(manifest)?;
    Ok(metadata
        .packages
        .into_iter()
        .filter(|package| {
            package
                .dependencies
                .iter()
                .any(|d| d.name == "sea-orm" && d.kind.is_none())
        })
        .filter_map(|package| {
            let lib = package
                .targets
                .into_iter()
                .find(|t| t.kind.iter().any(|k| k == "lib" || k == "rlib"))?;
            let modules = entity_modules(&lib.src_path);
            let dir = package.manifest_path.parent()?.to_owned();
            let src = lib.src_path.parent()?.to_owned();
            (!modules.is_empty()).then(|| EntityCrate {
                package: package.name,
                lib: lib.name.replace('-', "_"),
                dir,
                src,
                modules,
            })
        })
        .collect())
}

/// The packages of the workspace `manifest` heads, as `cargo metadata` lists them.
fn workspace_metadata(manifest: &Path) -> Result<Metadata> {
    let output = Process::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"])
        .arg(manifest)
        .output()
        .context("cannot run cargo; is Rust installed?")?;
    if !output.status.success() {
        bail!(
            "cargo cannot list the packages of the workspace in {}: {}",
            manifest.display(),
            cargo_error(&String::from_utf8_lossy(&output.stderr))
        );
    }
    serde_json::from_slice(&output.stdout).context("cannot read cargo metadata's answer")
}

/// The part of `cargo metadata`'s answer that says where entities may be.
#[derive(serde::Deserialize)]
struct Metadata {
    packages: Vec<MetadataPackage>,
}

#[derive(serde::Deserialize)]
struct MetadataPackage {
    name: String,
    manifest_path: PathBuf,
    dependencies: Vec<MetadataDependency>,
    targets: Vec<MetadataTarget>,
}

#[derive(serde::Deserialize)]
struct MetadataDependency {
    /// The package depended on, whatever it is renamed to.
    name: String,
    /// `dev` or `build`; none for a normal dependency.
    kind: Option<String>,
}

#[derive(serde::Deserialize)]
struct MetadataTarget {
    name: String,
    kind: Vec<String>,
    src_path: PathBuf,
}

/// The modules the library root `lib` declares (`pub mod user;`) whose
/// file defines an entity.
fn entity_modules(lib: &Path) -> Vec<String> {
    let src = lib.parent().unwrap_or(Path::new("."));
    let root = fs::read_to_string(lib).unwrap_or_default();
    root.lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod ")?.strip_suffix(';'))
        .filter(|module| {
            [src.join(format!("{module}.rs")), src.join(module).join("mod.rs")]
                .iter()
                .any(|file| {
                    fs::read_to_string(file)
                        .is_ok_and(|text| ENTITY_MARKS.iter().any(|mark| text.contains(mark)))
                })
        })
        .map(str::to_owned)
        .collect()
}

/// The workspace `crate_dir` falls in, as cargo finds it: the nearest
/// `Cargo.toml` above it with a `[workspace]` table. A package manifest in
/// `base` with no workspace is noted, as the crate then builds apart.
fn join_workspace(base: &Path, crate_dir: &Path) -> Result<Workspace> {
    for root in crate_dir.ancestors().skip(1) {
        let manifest = root.join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest) else {
            continue;
        };
        let parsed: toml::Table =
            toml::from_str(&text).with_context(|| format!("cannot read {}", manifest.display()))?;
        let Some(workspace) = parsed.get("workspace") else {
            if root == base {
                return Ok(Workspace::BesidePackage(manifest));
            }
            continue;
        };
        let member = path_from(root, crate_dir);
        let listed = |key: &str| -> Vec<String> {
            workspace
                .get(key)
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|m| m.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        if listed("exclude").iter().any(|e| member.starts_with(e.as_str())) {
            bail!(
                "{} excludes {member} from its workspace; remove it from `exclude` or choose another directory",
                manifest.display()
            );
        }
        let lock_before = LockedVersions::read(&root.join("Cargo.lock"))?;
        if let Some(seaorm) = lock_before.as_ref().and_then(LockedVersions::seaorm_before_2) {
            return Ok(Workspace::Separate {
                manifest,
                member,
                seaorm,
            });
        }
        if listed("members").iter().any(|pattern| {
            glob::Pattern::new(pattern.trim_end_matches('/')).is_ok_and(|p| p.matches(&member))
        }) {
            return Ok(Workspace::Covered {
                manifest,
                lock_before,
            });
        }
        return Ok(Workspace::Joined {
            manifest,
            member,
            lock_before,
        });
    }
    Ok(Workspace::None)
}

/// The path that leads from the directory `from` to `to` (both absolute),
/// with forward slashes, as a manifest writes it: `../entity` from
/// `/app/migration` to `/app/entity`, `.` to itself.
pub fn path_from(from: &Path, to: &Path) -> String {
    let parts = |path: &Path| {
        let mut parts = Vec::new();
        for component in path.components() {
            match component {
                Component::ParentDir => {
                    parts.pop();
                }
                Component::CurDir => {}
                other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
            }
        }
        parts
    };
    let (from, to) = (parts(from), parts(to));
    let shared = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = vec!["..".to_owned(); from.len() - shared];
    path.extend(to[shared..].iter().cloned());
    if path.is_empty() {
        return ".".to_owned();
    }
    path.join("/")
}

/// The dev-profile settings `init` adds where cargo reads profiles (the
/// workspace's root manifest), `{migration}` standing for the migration
/// crate. `cargo xtask bench rebuild`'s projects use the same file.
const DEV_PROFILE: &str = include_str!("dev_profile.toml");

/// What [`fit_manifest`] makes of a root manifest: the new text and the
/// settings it added, as dotted keys.
#[derive(Debug)]
struct FittedManifest {
    text: String,
    added: Vec<String>,
}

/// `text`, a root manifest, with `member` appended to `[workspace] members`
/// (when given) and the [`DEV_PROFILE`] settings for `migration` it lacks;
/// every setting it has and the rest of the file stay as they were.
fn fit_manifest(text: &str, member: Option<&str>, migration: &str) -> Result<FittedManifest> {
    let mut doc: toml_edit::DocumentMut = text.parse()?;
    if let Some(member) = member {
        add_member(&mut doc, member)?;
    }
    let template: toml_edit::DocumentMut = DEV_PROFILE
        .parse()
        .context("autogen's dev profile template is TOML")?;
    let wanted = template["profile"]["dev"]["package"]
        .as_table()
        .context("autogen's dev profile template sets [profile.dev.package.*]")?;
    let mut packages = doc.as_table_mut() as &mut dyn toml_edit::TableLike;
    for key in ["profile", "dev", "package"] {
        packages = packages
            .entry(key)
            .or_insert_with(|| {
                let mut table = toml_edit::Table::new();
                table.set_implicit(true);
                toml_edit::Item::Table(table)
            })
            .as_table_like_mut()
            .with_context(|| format!("`{key}` under [profile] is not a table"))?;
    }
    let mut added = Vec::new();
    for (placeholder, settings) in wanted.iter() {
        let for_packages = match placeholder {
            "{migration}" => std::slice::from_ref(&migration),
            other => bail!("autogen's dev profile template names {other}"),
        };
        let settings = settings
            .as_table()
            .context("autogen's dev profile template sets tables")?;
        for package in for_packages.iter().copied() {
        if !packages.contains_key(package) {
            // A new table, not the template's: that one's position is in
            // the template, and would place it among the manifest's.
            let mut table = toml_edit::Table::new();
            let comment = settings.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
            table
                .decor_mut()
                .set_prefix(format!("\n{}", comment.trim_start_matches('\n')));
            packages.insert(package, toml_edit::Item::Table(table));
        }
        let present = packages
            .get_mut(package)
            .and_then(|p| p.as_table_like_mut())
            .with_context(|| format!("profile.dev.package.{package} is not a table"))?;
        for (key, _) in settings.iter() {
            if !present.contains_key(key) {
                add_setting(present, settings, key)?;
                added.push(format!("profile.dev.package.{package}.{key}"));
            }
        }
        }
    }
    Ok(FittedManifest {
        text: doc.to_string(),
        added,
    })
}

/// Copies `from`'s setting `key` into `to`, with the comment above it.
fn add_setting(to: &mut dyn toml_edit::TableLike, from: &toml_edit::Table, key: &str) -> Result<()> {
    let (name, value) = from.get_key_value(key).context("a key the table lists")?;
    to.insert(key, value.clone());
    if let Some(mut added) = to.key_mut(key) {
        *added.leaf_decor_mut() = name.leaf_decor().clone();
    }
    Ok(())
}

/// The workspace manifest `text` with `member` in its `exclude`, so a glob
/// of its `members` cannot take in a crate that is a workspace of its own.
fn exclude_member(text: &str, member: &str) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = text.parse()?;
    let workspace = doc["workspace"]
        .as_table_like_mut()
        .context("[workspace] is not a table")?;
    let exclude = workspace
        .entry("exclude")
        .or_insert(toml_edit::value(toml_edit::Array::new()))
        .as_array_mut()
        .context("workspace.exclude is not a list")?;
    if !exclude.iter().any(|e| e.as_str() == Some(member)) {
        exclude.push(member);
    }
    Ok(doc.to_string())
}

/// Appends `member` to `[workspace] members` in the manifest `doc`.
fn add_member(doc: &mut toml_edit::DocumentMut, member: &str) -> Result<()> {
    let workspace = doc["workspace"]
        .as_table_like_mut()
        .context("[workspace] is not a table")?;
    let members = workspace
        .entry("members")
        .or_insert(toml_edit::value(toml_edit::Array::new()))
        .as_array_mut()
        .context("workspace.members is not a list")?;
    // Keep a list written one member per line that way.
    let multiline = members
        .iter()
        .next()
        .and_then(|m| m.decor().prefix())
        .and_then(|p| p.as_str())
        .is_some_and(|p| p.contains('\n'));
    members.push(member);
    if multiline {
        let last = members.len() - 1;
        if let Some(added) = members.get_mut(last) {
            added.decor_mut().set_prefix("\n    ");
        }
        members.set_trailing_comma(true);
        members.set_trailing("\n");
    }
    Ok(())
}

/// The packages a `Cargo.lock` locks, each with its versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockedVersions(BTreeMap<String, BTreeSet<String>>);

impl LockedVersions {
    /// The lock file at `path`; `None` if there is none.
    pub(crate) fn read(path: &Path) -> Result<Option<Self>> {
        let Ok(text) = fs::read_to_string(path) else {
            return Ok(None);
        };
        let lock: toml::Table =
            toml::from_str(&text).with_context(|| format!("cannot read {}", path.display()))?;
        let mut versions = Self::default();
        for package in lock
            .get("package")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
        {
            let field = |key| package.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            if let (Some(name), Some(version)) = (field("name"), field("version")) {
                versions.0.entry(name).or_default().insert(version);
            }
        }
        Ok(Some(versions))
    }

    /// The SeaORM version locked, if it is older than 2.0.
    fn seaorm_before_2(&self) -> Option<String> {
        self.0
            .get("sea-orm")?
            .iter()
            .find(|v| v.starts_with("0.") || v.starts_with("1."))
            .cloned()
    }

    /// The versions of `name` locked.
    pub(crate) fn versions(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.get(name).into_iter().flatten().map(String::as_str)
    }

    /// Whether `version` of `name` is locked.
    fn locks(&self, name: &str, version: &str) -> bool {
        self.0.get(name).is_some_and(|versions| versions.contains(version))
    }

    /// The packages locked in `self` some of whose versions `after` no
    /// longer locks; a package `after` adds a version of, or no longer
    /// locks at all (cargo prunes what nothing uses), did not change.
    fn changed_in(&self, after: &Self) -> Vec<LockChange> {
        self.0
            .iter()
            .filter_map(|(name, was)| {
                let now = after.0.get(name)?;
                (!was.is_subset(now)).then(|| LockChange {
                    name: name.clone(),
                    before: was.iter().cloned().collect(),
                    after: now.iter().cloned().collect(),
                })
            })
            .collect()
    }
}

/// A package locked before `init` whose locked versions cargo changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockChange {
    /// The package.
    pub name: String,
    /// Its versions before.
    pub before: Vec<String>,
    /// Its versions now.
    pub after: Vec<String>,
}

/// How many times [`lock`] runs cargo: a first `cargo update --workspace`,
/// then updates of the locked packages each conflict names, while a new
/// conflict names more. One update settles the conflicts seen in practice.
const LOCK_ATTEMPTS: usize = 4;

/// Has cargo lock the workspace `manifest` heads as the first build would,
/// and returns the packages locked in `before` whose versions it changed.
///
/// `cargo update --workspace` adds what is missing and keeps every locked
/// version. When a locked version is one autogen's requirements exclude
/// (sea-orm 2.0.1 where autogen needs 2.0.4), cargo refuses and names it;
/// then exactly the locked packages it names are updated (`cargo update -p
/// name@version`, which changes their dependencies only where it must), as
/// the first build would otherwise fail with the same refusal.
pub fn lock(manifest: &Path, before: &LockedVersions) -> Result<Vec<LockChange>> {
    let root = manifest.parent().unwrap_or(Path::new("."));
    let mut updated: Vec<LockedPackage> = Vec::new();
    for _ in 0..LOCK_ATTEMPTS {
        let mut update = Process::new(cargo());
        update.args(["update", "--quiet", "--manifest-path"]).arg(manifest);
        if updated.is_empty() {
            update.arg("--workspace");
        }
        for package in &updated {
            update.arg("-p").arg(package.spec());
        }
        let output = update.output().context("cannot run cargo; is Rust installed?")?;
        if output.status.success() {
            let after = LockedVersions::read(&manifest.with_file_name("Cargo.lock"))?.unwrap_or_default();
            return Ok(before.changed_in(&after));
        }
        let refusal = String::from_utf8_lossy(&output.stderr);
        let conflicting = conflicting_locks(&refusal);
        if conflicting.is_empty() {
            bail!(
                "cargo cannot lock the workspace with the migration crate in it: {}; \
                 fix that, then run `cargo update --workspace` in {}",
                cargo_error(&refusal),
                root.display()
            );
        }
        let more: Vec<LockedPackage> = conflicting
            .iter()
            .map(|held| &held.package)
            .filter(|p| before.locks(&p.name, &p.version) && !updated.contains(p))
            .cloned()
            .collect();
        if more.is_empty() {
            return Err(held_back(root, &conflicting));
        }
        updated.extend(more);
    }
    let unresolved: Vec<Held> = updated
        .into_iter()
        .map(|package| Held { package, by: None })
        .collect();
    Err(held_back(root, &unresolved))
}

/// A package at the version a lock file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LockedPackage {
    name: String,
    version: String,
}

impl LockedPackage {
    /// The package spec `cargo update -p` takes: the version too, as a lock
    /// may hold several.
    fn spec(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// A version cargo's resolver selected before the requirement that
/// conflicts with it, and the requirement that selected it, if it says.
#[derive(Debug, PartialEq, Eq)]
struct Held {
    package: LockedPackage,
    /// `entity v0.1.0 (/app/entity) requires sea-orm = "=2.0.1"`.
    by: Option<String>,
}

/// The versions cargo's resolver refused a new requirement for, from its
/// explanation: "previously selected package `sea-orm v2.0.1`", then
/// "... which satisfies dependency `sea-orm = \"=2.0.1\"` of package
/// `entity v0.1.0 (…)`" on the next line.
fn conflicting_locks(refusal: &str) -> Vec<Held> {
    let mut found: Vec<Held> = Vec::new();
    let mut lines = refusal.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        let Some(id) = line.strip_prefix("previously selected package `") else {
            continue;
        };
        let mut words = id.trim_end_matches('`').split(' ');
        let (Some(name), Some(version)) = (words.next(), words.next().and_then(|v| v.strip_prefix('v'))) else {
            continue;
        };
        let package = LockedPackage {
            name: name.to_owned(),
            version: version.to_owned(),
        };
        let by = lines.peek().and_then(|next| {
            let rest = next.strip_prefix("... which satisfies dependency `")?;
            let (requirement, rest) = rest.split_once('`')?;
            let (_, requirer) = rest.split_once("of package `")?;
            Some(format!("{} requires {requirement}", requirer.trim_end_matches('`')))
        });
        if found.iter().all(|held| held.package != package) {
            found.push(Held { package, by });
        }
    }
    found
}

/// The error for locked versions that autogen's requirements exclude and
/// updating does not move: a requirement in the workspace holds them.
fn held_back(root: &Path, held: &[Held]) -> anyhow::Error {
    let reasons: Vec<String> = held
        .iter()
        .map(|Held { package, by }| {
            let but = by.clone().unwrap_or_else(|| {
                format!(
                    "a requirement holds it there (`cargo update -p {}` says whose)",
                    package.spec()
                )
            });
            format!("{} other than {}, but {but}", package.name, package.version)
        })
        .collect();
    let specs: Vec<String> = held.iter().map(|h| format!("-p {}", h.package.spec())).collect();
    anyhow::anyhow!(
        "cannot lock the migration crate's dependencies: autogen needs {}; change {}, then run \
         `cargo update {}` in {}",
        reasons.join(", and "),
        if held.len() == 1 { "that requirement" } else { "those requirements" },
        specs.join(" "),
        root.display()
    )
}

/// Cargo's error in one line: its first and its innermost cause
/// (`failed to get `x` as a dependency…: --offline was specified`).
fn cargo_error(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let at = lines.iter().position(|l| l.starts_with("error: ")).unwrap_or(0);
    let Some(first) = lines.get(at) else {
        return "it failed and said nothing".to_owned();
    };
    let first = first.trim_start_matches("error: ");
    let rest = &lines[at + 1..];
    match rest.last() {
        Some(innermost) if rest.contains(&"Caused by:") => format!("{first}: {innermost}"),
        _ => first.to_owned(),
    }
}

/// The cargo that runs autogen (a build script's or test's `$CARGO`), else
/// the one on the path.
fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The step after `init`, for the database the configuration at `config`
/// names: a baseline for one that already has tables (other tools' history
/// tables aside), a first autogenerated revision for one that has none or
/// does not exist yet; both when it cannot be looked into.
pub async fn next_step(config: &Path) -> String {
    let config = match Config::load(config) {
        Ok(config) => config,
        Err(error) => return either_step(&anyhow::Error::new(error)),
    };
    let url = &config.database_url;
    match tables_to_adopt(&config).await {
        Ok(tables) if tables.is_empty() => format!(
            "The database {url} ({}) has no tables yet: start its history with \
             `autogen revision --autogenerate -m \"…\"`, then `autogen upgrade head`.",
            url.origin()
        ),
        Ok(tables) => format!(
            "The database {url} ({}) already has {} table{}: adopt it with \
             `autogen baseline --dry-run` to review the first revision, then `autogen baseline`.",
            url.origin(),
            tables.len(),
            if tables.len() == 1 { "" } else { "s" }
        ),
        Err(error) => either_step(&error),
    }
}

fn either_step(error: &anyhow::Error) -> String {
    format!(
        "Cannot look into the database ({error:#}). Then, for a new database: \
         `autogen revision --autogenerate -m \"…\"`; for one that has tables: \
         `autogen baseline --dry-run`, then `autogen baseline`."
    )
}

/// The tables of the database `config` names that a baseline would adopt:
/// all but other migration tools' history tables (introspection leaves
/// autogen's own out). A SQLite file that does not exist has none, and is
/// not created.
async fn tables_to_adopt(config: &Config) -> Result<Vec<String>> {
    let db = match database::open(&config.database_url, Access::Read, config.connect_timeout, 1).await {
        Ok(db) => db,
        Err(Unavailable::NoFile { .. }) => return Ok(Vec::new()),
        Err(unavailable) => return Err(unavailable.into()),
    };
    let options = autogen_introspect::Options {
        schema: config.schema.clone(),
        ..Default::default()
    };
    let schema = autogen_introspect::introspect_with(&db, &options).await?;
    Ok(schema
        .tables
        .into_keys()
        .filter(|table| !autogen_diff::is_tool_table(table))
        .collect())
}

fn config_file(script_location: &str, entity_dirs: &[String]) -> String {
    let entities = if entity_dirs.is_empty() {
        "# entities = [\"entity/src\"]".to_owned()
    } else {
        let quoted: Vec<String> = entity_dirs.iter().map(|d| format!("{d:?}")).collect();
        format!("entities = [{}]", quoted.join(", "))
    };
    format!(
        r#"# autogen configuration: the alembic.ini of a SeaORM project.
[autogen]
# The migration crate, relative to this file. Its src/versions holds one revision per file.
script_location = "{script_location}"
# The directories of your SeaORM entity sources, relative to this file: read as they are
# saved, with no build, and compared with the database. Files or directories to leave out:
# entities_exclude = ["entity/src/legacy.rs"]
{entities}
# The database. ${{NAME}} reads an environment variable, else the .env file beside
# this one (or above it); ${{NAME:-fallback}} gives it a default.
# A relative SQLite path is relative to this file.
database_url = "${{DATABASE_URL:-sqlite://app.db}}"
# PostgreSQL: the schema autogenerate compares (default: the connection's current schema).
# schema = "public"
# Let autogenerate drop the table of an entity module that exists but is not registered.
# allow_unregistered_drops = false
# Let autogenerate write revisions with changes that can lose data (AG101…AG107);
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

fn cargo_toml(name: &str, source: &AutogenSource, separate: bool) -> String {
    let autogen = match source {
        AutogenSource::Registry => format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
        AutogenSource::Path(repo) => {
            format!("path = {:?}", repo.join("crates/autogen").display().to_string())
        }
    };
    let lib = name.replace('-', "_");
    let workspace = if separate {
        "\n# A workspace of its own: autogen's SeaORM 2 and the application's SeaORM 1\n\
         # cannot share one Cargo.lock (their sqlx versions link different SQLites).\n[workspace]\n"
    } else {
        ""
    };
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

# The library an application calls at start-up (`{lib}::upgrade(&db)`) and
# src/main.rs builds on; named here so that renaming the package keeps it.
[lib]
name = "{lib}"

# No entity crate here: autogen reads the entities from their source
# (`entities` in autogen.toml), so they need not be compiled in.
[dependencies]
autogen = {{ {autogen} }}

# build.rs only lists the revision files: without its default features,
# autogen is that helper alone.
[build-dependencies]
autogen = {{ {autogen}, default-features = false }}
{workspace}"#
    )
}

const BUILD_RS: &str = r#"// Lists src/versions/*.rs for autogen::include_versions!(), so new revisions need no registration.
fn main() {
    autogen::build::versions();
}
"#;

/// src/lib.rs: the revisions, and what an application calls at start-up.
fn lib_rs(lib: &str) -> String {
    format!(
        r#"//! The migration crate: its revisions are in src/versions. An application
//! migrates at start-up with its own connection, `{lib}::upgrade(&db)`;
//! src/main.rs is the command line (`autogen <command>` builds and runs it).

autogen::include_versions!();

/// Brings the database `db` reaches to head and returns the revisions it
/// ran. Instances starting together apply each revision once.
pub async fn upgrade(
    db: &autogen::sea_orm::DatabaseConnection,
) -> Result<Vec<autogen::Step>, autogen::MigrateError> {{
    autogen::startup::upgrade(VERSIONS, db).await
}}

/// Whether the database is at head, and what is pending if not: for a
/// readiness check. Runs nothing.
pub async fn status(
    db: &autogen::sea_orm::DatabaseConnection,
) -> Result<autogen::startup::Status, autogen::MigrateError> {{
    autogen::startup::status(VERSIONS, db).await
}}
"#
    )
}

/// src/main.rs: autogen's env.py, the command line over the library `lib`'s revisions.
fn main_rs(lib: &str) -> String {
    format!(
        r#"//! autogen's env.py: the command line. The entities autogenerate compares
//! with the database are read from the directories `entities` in
//! autogen.toml names.

use {lib}::VERSIONS;

fn main() -> std::process::ExitCode {{
    autogen::cli::run(autogen::Project::new(VERSIONS))
}}
"#
    )
}

fn new_workspace_manifest(member: &str) -> String {
    format!("[workspace]\nresolver = \"2\"\nmembers = [\"entity\", \"{member}\"]\n")
}

const EXAMPLE_ENTITY_CARGO_TOML: &str = r#"[package]
name = "entity"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
sea-orm = { version = "2.0.4", default-features = false, features = ["macros"] }
"#;

const EXAMPLE_ENTITY_LIB_RS: &str =
    "//! The SeaORM entities: the schema autogenerate compares the database with.\n\npub mod post;\n";

const EXAMPLE_ENTITY_POST_RS: &str = r#"//! An example entity: edit it, or add your own beside it, then run
//! `autogen revision --autogenerate -m "…"`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "post")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub title: String,
    pub body: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
"#;

const VERSIONS_README: &str = "One revision per file, written by `autogen revision`. \
Review each generated file before you apply it.\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn init_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let source = AutogenSource::Registry;
        let done = init(
            dir.path(),
            Some(Path::new("migration")),
            &source,
            Template::Default,
        )
        .unwrap();
        assert_eq!(done.written.len(), 6);
        let again = init(dir.path(), Some(Path::new("other")), &source, Template::Default).unwrap_err();
        assert!(again
            .to_string()
            .ends_with("autogen.toml already exists; autogen is already set up here"));
        fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        let taken = init(
            dir.path(),
            Some(Path::new("migration")),
            &source,
            Template::Default,
        )
        .unwrap_err();
        assert!(taken.to_string().contains("already exists and is not empty"));
    }

    #[test]
    fn a_free_directory_is_picked_beside_sea_orm_migrations() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("migration/src/lib.rs"), "");
        let done = init(dir.path(), None, &AutogenSource::Registry, Template::Default).unwrap();
        assert_eq!(done.dir, Path::new("autogen-migration"));
        assert!(fs::read_to_string(dir.path().join(FILE_NAME))
            .unwrap()
            .contains("script_location = \"autogen-migration\""));
        fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        let neither = init(dir.path(), None, &AutogenSource::Registry, Template::Default).unwrap_err();
        assert!(neither.to_string().contains("autogen init <DIR>"), "{neither}");
    }

    #[test]
    fn the_written_autogen_toml_documents_every_setting_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        init(
            dir.path(),
            Some(Path::new("migration")),
            &AutogenSource::Registry,
            Template::Default,
        )
        .unwrap();
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
        assert!(crate_name(Path::new("autogen")).is_err());
    }

    #[test]
    fn members_are_added_keeping_the_manifest_as_written() {
        let fitted = fit_manifest(
            "# the app\n[workspace]\nmembers = [\n    \".\",\n    \"entity\", # tables\n    \"migration\",\n]\n\n[package]\nname = \"app\"\n",
            Some("autogen-migration"),
            "autogen-migration",
        )
        .unwrap();
        assert!(fitted.text.starts_with(
            "# the app\n[workspace]\nmembers = [\n    \".\",\n    \"entity\", # tables\n    \"migration\",\n    \"autogen-migration\",\n]\n\n[package]\nname = \"app\"\n"
        ), "{}", fitted.text);
        let fitted = fit_manifest("[workspace]\nmembers = [\"entity\"]\n", Some("migration"), "migration").unwrap();
        assert!(
            fitted.text.starts_with("[workspace]\nmembers = [\"entity\", \"migration\"]\n"),
            "{}",
            fitted.text
        );
    }

    #[test]
    fn the_dev_profile_is_added_without_changing_what_the_manifest_sets() {
        let manifest = "[workspace]\nmembers = [\"app\", \"entity\", \"migration\"]\n\n\
                        [profile.dev.package.app-entity]\ncodegen-units = 16 # ours\n\n\
                        [profile.release]\nlto = true\n";
        let fitted = fit_manifest(manifest, None, "migration").unwrap();
        assert_eq!(fitted.added, ["profile.dev.package.migration.debug"]);
        assert_eq!(
            fitted.text,
            "[workspace]\nmembers = [\"app\", \"entity\", \"migration\"]\n\n\
             [profile.dev.package.app-entity]\ncodegen-units = 16 # ours\n\n\
             # Added by `autogen init`: the migration crate is rebuilt after each new\n\
             # revision. This setting shortens that; see autogen's docs/init.md.\n\
             [profile.dev.package.migration]\n\
             # Line numbers in backtraces, without full debug info to generate and link.\n\
             debug = \"line-tables-only\"\n\n\
             [profile.release]\nlto = true\n"
        );
        // Cargo reads what was written.
        let parsed: toml::Table = toml::from_str(&fitted.text).unwrap();
        assert_eq!(
            parsed["profile"]["dev"]["package"]["migration"]["debug"].as_str(),
            Some("line-tables-only")
        );
        let again = fit_manifest(&fitted.text, None, "migration").unwrap();
        assert!(again.added.is_empty());
        assert_eq!(again.text, fitted.text);

        let fresh = fit_manifest("[workspace]\nmembers = []\n", None, "db").unwrap();
        assert_eq!(fresh.added, ["profile.dev.package.db.debug"]);
        let broken = fit_manifest("[workspace]\n[profile]\ndev = 1\n", None, "db").unwrap_err();
        assert!(broken.to_string().contains("`dev` under [profile] is not a table"), "{broken}");
    }

    #[test]
    fn the_workspace_is_found_as_cargo_finds_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            &root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/*\"]\n",
        );
        let covered = join_workspace(root, &root.join("crates/migration")).unwrap();
        assert_eq!(
            covered,
            Workspace::Covered {
                manifest: root.join("Cargo.toml"),
                lock_before: None
            }
        );
        match join_workspace(root, &root.join("db/migration")).unwrap() {
            Workspace::Joined { member, .. } => assert_eq!(member, "db/migration"),
            other => panic!("{other:?}"),
        }
        write(&root.join("Cargo.toml"), "[workspace]\nexclude = [\"db\"]\n");
        let excluded = join_workspace(root, &root.join("db/migration")).unwrap_err();
        assert!(
            excluded.to_string().contains("excludes db/migration"),
            "{excluded}"
        );
        write(&root.join("Cargo.toml"), "[package]\nname = \"app\"\n");
        assert_eq!(
            join_workspace(root, &root.join("migration")).unwrap(),
            Workspace::BesidePackage(root.join("Cargo.toml"))
        );
    }

    /// A package of the workspace at `root`: its manifest's `[package]`
    /// name, then `rest`, and its source files.
    fn package(root: &Path, dir: &str, name: &str, rest: &str, files: &[(&str, &str)]) {
        write(
            &root.join(dir).join("Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{rest}"),
        );
        for (file, text) in files {
            write(&root.join(dir).join(file), text);
        }
    }

    const SEA_ORM: &str = "[dependencies]\nsea-orm = \"2.0.4\"\n";

    /// The workspace's entity crates are found wherever they are, as cargo
    /// lists its packages: those that depend on sea-orm and whose library
    /// declares modules defining entities, in any of SeaORM's formats.
    #[test]
    fn the_entity_crates_and_their_entities_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            &root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/app\", \"crates/billing\", \"crates/db/entity\", \"crates/fixtures\"]\n",
        );
        package(
            root,
            "crates/db/entity",
            "app-entity",
            SEA_ORM,
            &[
                (
                    "src/lib.rs",
                    "pub mod prelude;\npub mod user;\npub mod post;\npub mod sea_orm_active_enums;\n",
                ),
                ("src/prelude.rs", "pub use super::user::Entity as User;\n"),
                ("src/user.rs", "#[derive(DeriveEntityModel)]\npub struct Model {}\n"),
                ("src/post/mod.rs", "#[derive(Clone, DeriveEntityModel)]\n"),
                ("src/sea_orm_active_enums.rs", "#[derive(DeriveActiveEnum)]\n"),
            ],
        );
        // SeaORM 2.0's dense format, in a library named apart from its package.
        package(
            root,
            "crates/billing",
            "billing",
            &format!("[lib]\nname = \"billing_models\"\npath = \"lib.rs\"\n\n{SEA_ORM}"),
            &[
                ("lib.rs", "pub mod invoice;\n"),
                ("invoice.rs", "#[sea_orm::model]\n#[derive(DeriveEntityModel)]\npub struct Model {}\n"),
            ],
        );
        // Not entity crates: an app that uses sea-orm and defines no entity,
        // and entities that only tests depend on sea-orm for.
        package(
            root,
            "crates/app",
            "app",
            SEA_ORM,
            &[("src/lib.rs", "pub mod routes;\n"), ("src/routes.rs", "")],
        );
        package(
            root,
            "crates/fixtures",
            "fixtures",
            "[dev-dependencies]\nsea-orm = \"2.0.4\"\n",
            &[("src/lib.rs", "pub mod user;\n"), ("src/user.rs", "#[derive(DeriveEntityModel)]\n")],
        );

        let done = init(root, Some(Path::new("db/migration")), &AutogenSource::Registry, Template::Default).unwrap();
        let found: Vec<(&str, &str, &[String])> = done
            .entities
            .iter()
            .map(|e| (e.package.as_str(), e.lib.as_str(), e.modules.as_slice()))
            .collect();
        assert_eq!(
            found,
            [
                ("billing", "billing_models", &["invoice".to_owned()][..]),
                ("app-entity", "app_entity", &["user".to_owned(), "post".to_owned()][..]),
            ]
        );
        assert_eq!(done.entities[1].dir, root.join("crates/db/entity"));
        assert_eq!(done.entities[1].src, root.join("crates/db/entity/src"));
        // autogen.toml names where they are; the migration crate depends on none of them.
        let config = fs::read_to_string(root.join(FILE_NAME)).unwrap();
        assert!(
            config.contains("\nentities = [\"crates/billing\", \"crates/db/entity/src\"]\n"),
            "{config}"
        );
        let manifest = fs::read_to_string(root.join("db/migration/Cargo.toml")).unwrap();
        assert!(!manifest.contains("billing") && !manifest.contains("entity ="), "{manifest}");
        assert_eq!(done.dev_profile.unwrap().added, ["profile.dev.package.migration.debug"]);
    }

    #[test]
    fn with_no_entity_crate_autogen_toml_shows_where_to_name_them() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("Cargo.toml"), "[workspace]\nmembers = [\"app\"]\n");
        package(dir.path(), "app", "app", SEA_ORM, &[("src/main.rs", "fn main() {}\n")]);
        let done = init(dir.path(), None, &AutogenSource::Registry, Template::Default).unwrap();
        assert!(done.entities.is_empty());
        let config = fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(config.contains("\n# entities = [\"entity/src\"]\n"), "{config}");
    }

    #[test]
    fn a_workspace_on_seaorm_1_gets_a_migration_crate_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("Cargo.toml"), "[workspace]\nmembers = [\"*\"]\n");
        write(
            &root.join("Cargo.lock"),
            "version = 4\n\n[[package]]\nname = \"sea-orm\"\nversion = \"1.1.20\"\n",
        );
        let done = init(root, None, &AutogenSource::Registry, Template::Default).unwrap();
        assert_eq!(
            done.workspace,
            Workspace::Separate {
                manifest: root.join("Cargo.toml"),
                member: "migration".to_owned(),
                seaorm: "1.1.20".to_owned(),
            }
        );
        let root_manifest: toml::Table = toml::from_str(&fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
        assert_eq!(root_manifest["workspace"]["exclude"].as_array().unwrap()[0].as_str(), Some("migration"));
        // Its own workspace root, where cargo reads its profile.
        let manifest: toml::Table =
            toml::from_str(&fs::read_to_string(root.join("migration/Cargo.toml")).unwrap()).unwrap();
        assert!(manifest.contains_key("workspace"));
        assert_eq!(manifest["profile"]["dev"]["package"]["migration"]["debug"].as_str(), Some("line-tables-only"));
    }

    #[test]
    fn paths_lead_from_one_directory_to_another() {
        assert_eq!(path_from(Path::new("/app/migration"), Path::new("/app/crates/db/entity")), "../crates/db/entity");
        assert_eq!(path_from(Path::new("/app/db/migration"), Path::new("/app/entity")), "../../entity");
        assert_eq!(path_from(Path::new("/app"), Path::new("/app/db/../migration")), "migration");
        assert_eq!(path_from(Path::new("/app"), Path::new("/app")), ".");
    }

    /// What cargo 1.95 prints when a workspace locks sea-orm 2.0.1 and the
    /// new migration crate's autogen needs 2.0.4.
    const LOCKED_TOO_OLD: &str = r#"    Updating crates.io index
error: failed to select a version for `sea-orm`.
    ... required by package `autogen v0.1.0 (/src/autogen/crates/autogen)`
    ... which satisfies path dependency `autogen` (locked to 0.1.0) of package `migration v0.1.0 (/app/migration)`
versions that meet the requirements `^2.0.4` are: 2.0.4

all possible versions conflict with previously selected packages.

  previously selected package `sea-orm v2.0.1`
    ... which satisfies dependency `sea-orm = "^2.0.1"` (locked to 2.0.1) of package `entity v0.1.0 (/app/crates/db/entity)`
    ... which satisfies path dependency `entity` of package `migration v0.1.0 (/app/migration)`

failed to select a version for `sea-orm` which could resolve this conflict
"#;

    fn locked(versions: &[(&str, &str)]) -> LockedVersions {
        let mut locked = LockedVersions::default();
        for (name, version) in versions {
            locked.0.entry((*name).to_owned()).or_default().insert((*version).to_owned());
        }
        locked
    }

    #[test]
    fn a_conflict_names_the_locked_versions_in_its_way() {
        let sea_orm = LockedPackage {
            name: "sea-orm".to_owned(),
            version: "2.0.1".to_owned(),
        };
        assert_eq!(
            conflicting_locks(LOCKED_TOO_OLD),
            [Held {
                package: sea_orm.clone(),
                by: Some(
                    "entity v0.1.0 (/app/crates/db/entity) requires sea-orm = \"^2.0.1\"".to_owned()
                ),
            }]
        );
        assert_eq!(sea_orm.spec(), "sea-orm@2.0.1");
        assert!(conflicting_locks("error: failed to get `autogen` as a dependency").is_empty());

        // What updating it cannot move, the error names with what holds it.
        let pinned = LOCKED_TOO_OLD.replace(
            "`sea-orm = \"^2.0.1\"` (locked to 2.0.1)",
            "`sea-orm = \"=2.0.1\"`",
        );
        assert_eq!(
            held_back(Path::new("/app"), &conflicting_locks(&pinned)).to_string(),
            "cannot lock the migration crate's dependencies: autogen needs sea-orm other than 2.0.1, \
             but entity v0.1.0 (/app/crates/db/entity) requires sea-orm = \"=2.0.1\"; change that \
             requirement, then run `cargo update -p sea-orm@2.0.1` in /app"
        );
        let unexplained = [
            Held {
                package: sea_orm,
                by: None,
            },
            Held {
                package: LockedPackage {
                    name: "sea-query".to_owned(),
                    version: "1.0.1".to_owned(),
                },
                by: None,
            },
        ];
        let error = held_back(Path::new("/app"), &unexplained).to_string();
        assert!(
            error.contains(
                "sea-query other than 1.0.1, but a requirement holds it there (`cargo update -p sea-query@1.0.1` says whose)"
            ) && error.ends_with("`cargo update -p sea-orm@2.0.1 -p sea-query@1.0.1` in /app"),
            "{error}"
        );
    }

    #[test]
    fn a_change_is_a_locked_version_gone() {
        let before = locked(&[("sea-orm", "2.0.1"), ("syn", "1.0.109"), ("unused", "0.1.0")]);
        let after = locked(&[("sea-orm", "2.0.4"), ("syn", "1.0.109"), ("syn", "2.0.119"), ("autogen", "0.1.0")]);
        // syn gained a version beside its own, `unused` was pruned, autogen is new.
        assert_eq!(
            before.changed_in(&after),
            [LockChange {
                name: "sea-orm".to_owned(),
                before: vec!["2.0.1".to_owned()],
                after: vec!["2.0.4".to_owned()],
            }]
        );
        assert!(before.locks("syn", "1.0.109") && !before.locks("syn", "2.0.119"));
    }

    #[test]
    fn cargo_errors_are_said_in_a_line() {
        assert_eq!(
            cargo_error(
                "error: failed to get `sea-orm` as a dependency of package `migration v0.1.0 (/app/migration)`\n\n\
                 Caused by:\n  failed to query replaced source registry `crates-io`\n\n\
                 Caused by:\n  attempting to make an HTTP request, but --offline was specified\n"
            ),
            "failed to get `sea-orm` as a dependency of package `migration v0.1.0 (/app/migration)`: \
             attempting to make an HTTP request, but --offline was specified"
        );
        assert_eq!(cargo_error("error: no such command\n"), "no such command");
    }

    /// Writes an autogen.toml in `dir` for the database at `url`.
    fn config_for(dir: &Path, url: &str) -> PathBuf {
        let path = dir.join(FILE_NAME);
        fs::write(
            &path,
            format!("[autogen]\nscript_location = \"migration\"\ndatabase_url = \"{url}\"\n"),
        )
        .unwrap();
        path
    }

    #[tokio::test]
    async fn the_next_step_adopts_a_database_with_tables_and_starts_one_without() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("app.db");
        let config = config_for(dir.path(), "sqlite://app.db");
        let none_yet = next_step(&config).await;
        assert!(
            none_yet.starts_with(&format!("The database sqlite://{}", file.display()))
                && none_yet.ends_with(
                    ") has no tables yet: start its history with `autogen revision --autogenerate -m \"…\"`, \
                     then `autogen upgrade head`."
                ),
            "{none_yet}"
        );
        assert!(!file.exists(), "looking created the SQLite file");

        // Another tool's history table is not a schema to adopt.
        let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", file.display()))
            .await
            .unwrap();
        let run = |sql: &'static str| sea_orm::ConnectionTrait::execute_unprepared(&db, sql);
        run("CREATE TABLE seaql_migrations (version TEXT PRIMARY KEY, applied_at INTEGER)")
            .await
            .unwrap();
        assert!(next_step(&config).await.contains("has no tables yet"));
        run("CREATE TABLE post (id INTEGER PRIMARY KEY)").await.unwrap();
        run("CREATE TABLE user (id INTEGER PRIMARY KEY)").await.unwrap();
        db.close().await.unwrap();
        let adopt = next_step(&config).await;
        assert!(
            adopt.ends_with(
                ") already has 2 tables: adopt it with `autogen baseline --dry-run` to review the \
                 first revision, then `autogen baseline`."
            ),
            "{adopt}"
        );
    }

    #[tokio::test]
    async fn a_database_that_cannot_be_looked_into_gets_both_next_steps() {
        let dir = tempfile::tempdir().unwrap();
        let config = config_for(dir.path(), "oracle://db/app");
        let either = next_step(&config).await;
        assert!(
            either.starts_with("Cannot look into the database (cannot tell the database from the URL oracle://db/app;")
                && either.contains("for a new database: `autogen revision --autogenerate -m \"…\"`;")
                && either.ends_with("for one that has tables: `autogen baseline --dry-run`, then `autogen baseline`."),
            "{either}"
        );
    }
}

//! Every command as a function, for the CLI and for applications that
//! migrate on start-up: `autogen::command::upgrade(&project, &config, "head", |_| {})`.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use autogen_codegen::{render_revision, RevisionHeader};
use autogen_migrate::{dialect_of, Direction, Graph, Migrator, Node, Step, VERSION_TABLE};
use autogen_schema::{invert_all, Op};
use sea_orm::{Database, DatabaseConnection};

use crate::config::{redact, Config};
use crate::Project;

/// Connects to the configured database.
pub async fn connect(config: &Config) -> Result<DatabaseConnection> {
    Database::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot connect to {}", redact(&config.database_url)))
}

/// The project's revision graph, checked.
pub fn graph(project: &Project) -> Result<Graph> {
    Ok(Graph::new(project.versions.revisions)?)
}

/// Applies revisions up to `target`, calling `report` before each one runs.
pub async fn upgrade(
    project: &Project,
    config: &Config,
    target: &str,
    report: impl FnMut(&Step),
) -> Result<Vec<Step>> {
    migrate(project, config, Direction::Up, target, report).await
}

/// Undoes revisions down to `target`, calling `report` before each one runs.
pub async fn downgrade(
    project: &Project,
    config: &Config,
    target: &str,
    report: impl FnMut(&Step),
) -> Result<Vec<Step>> {
    migrate(project, config, Direction::Down, target, report).await
}

async fn migrate(
    project: &Project,
    config: &Config,
    direction: Direction,
    target: &str,
    report: impl FnMut(&Step),
) -> Result<Vec<Step>> {
    let graph = graph(project)?;
    let db = connect(config).await?;
    Ok(Migrator::new(&graph, &db)
        .migrate(direction, target, report)
        .await?)
}

/// The revisions the database is at, each marked if it is a head of the graph.
pub async fn current(project: &Project, config: &Config) -> Result<Vec<(String, bool)>> {
    let graph = graph(project)?;
    let db = connect(config).await?;
    let heads = Migrator::new(&graph, &db).current().await?;
    let graph_heads: Vec<&str> = graph.heads().into_iter().map(Node::id).collect();
    Ok(heads
        .into_iter()
        .map(|id| {
            let is_head = graph_heads.contains(&id.as_str());
            (id, is_head)
        })
        .collect())
}

/// `autogen history`: every revision, newest first, as Alembic lists them:
/// `1975ea83b712 -> ae1027a6acf5 (head), add bio`.
pub fn history(project: &Project) -> Result<Vec<String>> {
    let graph = graph(project)?;
    Ok(graph
        .newest_first()
        .into_iter()
        .map(|node| {
            let parents = match node.parents.as_slice() {
                [] => "<base>".to_owned(),
                [one] => one.clone(),
                many => format!("({})", many.join(", ")),
            };
            let mut marks = String::new();
            if node.children.is_empty() {
                marks.push_str(" (head)");
            }
            if node.children.len() > 1 {
                marks.push_str(" (branchpoint)");
            }
            if node.parents.len() > 1 {
                marks.push_str(" (mergepoint)");
            }
            format!("{parents} -> {}{marks}, {}", node.id(), node.message())
        })
        .collect())
}

/// What `revision` asks for.
#[derive(Clone, Debug, Default)]
pub struct RevisionOptions {
    /// The message (`-m`).
    pub message: String,
    /// Compare the entities with the database and fill in the ops.
    pub autogenerate: bool,
    /// Write a file even when autogenerate detects nothing.
    pub allow_empty: bool,
    /// Use this id instead of a random one.
    pub rev_id: Option<String>,
}

/// What `revision` did.
#[derive(Clone, Debug)]
pub struct RevisionOutcome {
    /// The upgrade ops written (empty for a hand-written revision).
    pub ops: Vec<Op>,
    /// The file written, unless autogenerate found nothing.
    pub path: Option<PathBuf>,
    /// Set if rustfmt could not format the file (it is written unformatted).
    pub format_warning: Option<String>,
}

/// Writes a new revision on top of the current heads; with `autogenerate`,
/// its ops are what turns the database into the entities.
pub async fn revision(
    project: &Project,
    config: &Config,
    options: &RevisionOptions,
) -> Result<RevisionOutcome> {
    let graph = graph(project)?;
    let heads: Vec<String> = graph.heads().into_iter().map(|n| n.id().to_owned()).collect();
    let id = match &options.rev_id {
        Some(id) => checked_rev_id(id, &graph)?,
        None => new_rev_id(&graph),
    };
    let (upgrade, downgrade) = if options.autogenerate {
        autogenerate(project, config, &graph, &heads).await?
    } else {
        (Vec::new(), Vec::new())
    };
    if options.autogenerate && upgrade.is_empty() && !options.allow_empty {
        return Ok(RevisionOutcome {
            ops: upgrade,
            path: None,
            format_warning: None,
        });
    }
    let header = RevisionHeader {
        id: id.clone(),
        down_revisions: heads,
        branch_labels: Vec::new(),
        depends_on: Vec::new(),
        message: options.message.clone(),
        create_date: chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    };
    let source = render_revision(&header, &upgrade, &downgrade);
    let dir = Path::new(project.versions.dir);
    let (text, format_warning) = match autogen_codegen::rustfmt(&source, dir.parent().unwrap_or(dir)) {
        Ok(formatted) => (formatted, None),
        Err(e) => (source, Some(e.to_string())),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(autogen_codegen::file_name(&id, &options.message));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("cannot create {} (it is never overwritten)", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(RevisionOutcome {
        ops: upgrade,
        path: Some(path),
        format_warning,
    })
}

/// The ops autogenerate would write now: what turns the database (which
/// must be at head) into the entities. Empty means they agree.
pub async fn compare(project: &Project, config: &Config) -> Result<Vec<Op>> {
    let graph = graph(project)?;
    let heads: Vec<String> = graph.heads().into_iter().map(|n| n.id().to_owned()).collect();
    Ok(autogenerate(project, config, &graph, &heads).await?.0)
}

/// Upgrade and downgrade ops between the database (at head) and the entities.
async fn autogenerate(
    project: &Project,
    config: &Config,
    graph: &Graph,
    heads: &[String],
) -> Result<(Vec<Op>, Vec<Op>)> {
    if project.entities.is_empty() {
        bail!(
            "no entities are registered, so autogenerate would drop every table; \
             register them in the migration crate's main.rs with `.entity(your_crate::user::Entity)`"
        );
    }
    let db = connect(config).await?;
    let mut at = Migrator::new(graph, &db).current().await?;
    let mut expected = heads.to_vec();
    at.sort();
    expected.sort();
    if at != expected {
        bail!(
            "target database is not up to date: it is at {}, the revision files end at {}; \
             run `autogen upgrade head` first",
            describe(&at),
            describe(&expected)
        );
    }
    let mut current = autogen_introspect::introspect(&db).await?;
    current.retain_tables(|t| t != VERSION_TABLE);
    let target = project.entities.schema(dialect_of(db.get_database_backend()));
    let upgrade = autogen_diff::diff(&current, &target);
    let downgrade = invert_all(&upgrade, &current).context("cannot compute the downgrade")?;
    Ok((upgrade, downgrade))
}

fn describe(heads: &[String]) -> String {
    if heads.is_empty() {
        "base".to_owned()
    } else {
        heads.join(", ")
    }
}

/// Twelve hex digits, as Alembic's ids, unused in `graph`.
fn new_rev_id(graph: &Graph) -> String {
    loop {
        let hex = uuid::Uuid::new_v4().simple().to_string();
        let id = hex[hex.len() - 12..].to_owned();
        if graph.get(&id).is_none() {
            return id;
        }
    }
}

fn checked_rev_id(id: &str, graph: &Graph) -> Result<String> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("revision id {id:?} must be letters, digits and underscores");
    }
    if graph.get(id).is_some() {
        bail!("revision id {id:?} is already used; choose another or leave --rev-id out");
    }
    Ok(id.to_owned())
}

//! `autogen verify`: does every revision do what it says?
//!
//! On a scratch database on the configured server (SQLite in memory, a
//! temporary PostgreSQL schema, a temporary MySQL/MariaDB database), the
//! revisions up to the target run one at a time: each upgrade, base to the
//! target, must leave the database equal to the schema its ops replay to,
//! and each downgrade, back to base, must leave it equal to the schema
//! before that revision. Compared in the backend's terms, as `check`
//! compares. The scratch database is dropped at the end, also on failure;
//! the configured database's tables are never touched (but SQL a revision
//! runs with `op.execute_data` runs too, and reaches whatever it names).
//!
//! ```no_run
//! # async fn ci(project: autogen::Project) -> anyhow::Result<()> {
//! let config = autogen::config::Config::discover(None, None)?;
//! let outcome = autogen::verify::verify(&project, &config, "head", |step| eprintln!("{step}")).await?;
//! print!("{outcome}");
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;
use std::fmt;

use anyhow::{bail, Context as _, Result};
use autogen_migrate::{Direction, Graph, Migrator, Node, Operations, RunOptions, Step};
use autogen_schema::{Dialect, Op, Schema};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::command;
use crate::config::Config;
use crate::database::{self, Access, DatabaseUrl};
use crate::Project;

/// One revision's upgrade or downgrade that ran on the scratch database and
/// left it as the revisions say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyStep {
    /// The step that ran.
    pub step: Step,
}

impl fmt::Display for VerifyStep {
    /// `Verified upgrade 1975ea83b712 -> ae1027a6acf5, add bio`, as `upgrade` reports its steps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verified {}", self.step.summary())
    }
}

/// What `verify` found.
#[derive(Clone, Debug, PartialEq)]
pub enum VerifyOutcome {
    /// Every revision up to the target does what it says, up and down.
    Verified {
        /// The revisions, in the order they were upgraded.
        revisions: Vec<String>,
    },
    /// The first revision whose upgrade or downgrade does not.
    Differs(Mismatch),
    /// From `revision` on, verify cannot tell; the revisions before it were
    /// run and do what they say.
    CannotTell {
        /// The first revision verify could not follow.
        revision: String,
        /// Its message.
        message: String,
        /// Why.
        reason: String,
        /// The revisions before it, verified both ways.
        verified: Vec<String>,
    },
}

/// A revision whose upgrade or downgrade leaves the database other than the
/// revisions say.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// The revision.
    pub revision: String,
    /// Its message.
    pub message: String,
    /// Which of its functions: after its upgrade the database should be the
    /// schema the revisions up to it describe, after its downgrade the
    /// schema before it.
    pub direction: Direction,
    /// The ops that would turn the database into that schema.
    pub differences: Vec<Op>,
    /// The backend they were compared in.
    pub dialect: Dialect,
}

impl Mismatch {
    /// The differences, one line each: what is missing, what should not be
    /// there, and what differs (with the change that would make it match).
    pub fn lines(&self) -> Vec<String> {
        self.differences
            .iter()
            .map(|op| difference(op, self.dialect))
            .collect()
    }
}

/// One difference between the database (`diff`'s current side) and the
/// schema the revisions describe, in words, in `dialect`'s terms.
fn difference(op: &Op, dialect: Dialect) -> String {
    let text = op.describe(dialect).to_string();
    let object = |verb: &str| text.strip_prefix(verb).unwrap_or(&text).to_owned();
    match op {
        Op::CreateTable(_)
        | Op::AddColumn { .. }
        | Op::AddConstraint { .. }
        | Op::CreateIndex(_)
        | Op::CreateEnum { .. } => format!("expected but missing: {}", object("added ")),
        Op::DropTable { .. }
        | Op::DropColumn { .. }
        | Op::DropConstraint { .. }
        | Op::DropIndex { .. }
        | Op::DropEnum { .. } => format!("present but not expected: {}", object("removed ")),
        _ => format!("not as expected; to match it needs: {text}"),
    }
}

impl fmt::Display for VerifyOutcome {
    /// The verdict, as `verify` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyOutcome::Verified { revisions } => match revisions.last() {
                None => writeln!(f, "No revisions to verify."),
                Some(last) => writeln!(
                    f,
                    "Verified {} revision(s), base to {last}: each upgrade and downgrade does what it says.",
                    revisions.len()
                ),
            },
            VerifyOutcome::Differs(mismatch) => {
                let revision = named(&mismatch.revision, &mismatch.message);
                match mismatch.direction {
                    Direction::Up => writeln!(
                        f,
                        "The upgrade of {revision} does not do what its ops say; \
                         the database it leaves differs from the schema the revisions up to it describe:"
                    )?,
                    Direction::Down => writeln!(
                        f,
                        "The downgrade of {revision} does not undo its upgrade; \
                         the database it leaves differs from the schema before that revision:"
                    )?,
                }
                for line in mismatch.lines() {
                    writeln!(f, "  {line}")?;
                }
                Ok(())
            }
            VerifyOutcome::CannotTell {
                revision,
                message,
                reason,
                verified,
            } => {
                writeln!(
                    f,
                    "Cannot tell whether {} and the revisions after it do what they say: {reason}.",
                    named(revision, message)
                )?;
                if !verified.is_empty() {
                    writeln!(
                        f,
                        "The {} revision(s) before it do, upgrade and downgrade.",
                        verified.len()
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// `revision ae1027a6acf5 (add bio)`.
fn named(revision: &str, message: &str) -> String {
    if message.is_empty() {
        format!("revision {revision}")
    } else {
        format!("revision {revision} ({message})")
    }
}

/// Runs every revision up to `target` (`head`, `heads`, a revision, a label…)
/// on a scratch database, upgrade then downgrade, one at a time, and says
/// whether each does what it says; `report` sees each step that does.
/// An error (no connection, no scratch database, a revision that fails to
/// run) means it cannot tell.
pub async fn verify(
    project: &Project,
    config: &Config,
    target: &str,
    report: impl FnMut(&VerifyStep),
) -> Result<VerifyOutcome> {
    let graph = command::graph(project)?;
    let dialect = config.database_url.dialect()?;
    let (planned, stop) = plan(&graph, target, dialect)?;
    let verified: Vec<String> = planned.iter().map(|p| p.node.id().to_owned()).collect();
    if !planned.is_empty() {
        let scratch = ScratchDatabase::create(config, dialect).await?;
        let result = run_on(&scratch, project, config, &graph, &planned, dialect, report).await;
        let removed = scratch.remove().await;
        let mismatch = match (result, removed) {
            (Ok(mismatch), Ok(())) => mismatch,
            (Err(e), Ok(())) => return Err(e),
            (Ok(_), Err(e)) => return Err(e),
            (Err(e), Err(cleanup)) => return Err(e.context(format!("{cleanup:#}"))),
        };
        if let Some(mismatch) = mismatch {
            return Ok(VerifyOutcome::Differs(mismatch));
        }
    }
    Ok(match stop {
        None => VerifyOutcome::Verified { revisions: verified },
        Some(stop) => VerifyOutcome::CannotTell {
            revision: stop.node.id().to_owned(),
            message: stop.node.message().to_owned(),
            reason: stop.reason,
            verified,
        },
    })
}

/// A revision to run, with the schema before and after it.
struct Planned<'g> {
    node: &'g Node,
    before: Schema,
    after: Schema,
}

/// The first revision verify cannot follow, and why.
struct Stop<'g> {
    node: &'g Node,
    reason: String,
}

/// The revisions up to `target`, in the order `replay_history` applies
/// them, each with the schema the history describes before and after it,
/// up to the first one verify cannot follow. Touches no database.
fn plan<'g>(
    graph: &'g Graph,
    target: &str,
    dialect: Dialect,
) -> Result<(Vec<Planned<'g>>, Option<Stop<'g>>)> {
    let wanted: BTreeSet<String> = match target {
        "heads" => graph.ancestors(graph.heads().into_iter().map(Node::id)),
        spec => match graph.resolve_target(&[], spec)? {
            None => BTreeSet::new(),
            Some(node) => graph.ancestors([node.id()]),
        },
    };
    let mut planned = Vec::new();
    let mut schema = Schema::new();
    for node in graph.topological(&wanted) {
        if dialect.has_types_and_schemas() {
            if let Some(other) = other_schema(node) {
                let reason = format!(
                    "it changes the schema '{other}' (op.in_schema), which verify does not run: \
                     its scratch schema is one schema of the configured database, whose own '{other}' \
                     the revision would change"
                );
                return Ok((planned, Some(Stop { node, reason })));
            }
        }
        let mut after = schema.clone();
        let skipped = autogen_migrate::replay_revision(node, &mut after)?;
        if let Some(first) = skipped.first() {
            let reason = format!(
                "it runs raw SQL the schema model cannot follow ({:?}); \
                 if that SQL changes rows only, write it as op.execute_data",
                first.sql
            );
            return Ok((planned, Some(Stop { node, reason })));
        }
        planned.push(Planned {
            node,
            before: std::mem::replace(&mut schema, after.clone()),
            after,
        });
    }
    Ok((planned, None))
}

/// The first other PostgreSQL schema the revision's upgrade or downgrade changes.
fn other_schema(node: &Node) -> Option<String> {
    [node.module.upgrade, node.module.downgrade]
        .into_iter()
        .flat_map(|f| Operations::record(f, None))
        .find_map(|op| match op {
            Op::InSchema { schema, .. } => Some(schema),
            _ => None,
        })
}

/// Upgrades each planned revision, then downgrades each, comparing after
/// every step; the first that differs.
async fn run_on(
    scratch: &ScratchDatabase,
    project: &Project,
    config: &Config,
    graph: &Graph,
    planned: &[Planned<'_>],
    dialect: Dialect,
    mut report: impl FnMut(&VerifyStep),
) -> Result<Option<Mismatch>> {
    let scratch_config = Config {
        database_url: scratch.url.clone(),
        ..config.clone()
    };
    let migrator = command::connect(graph, &scratch_config, Access::Write).await?;
    let result = async {
        let directions = [Direction::Up, Direction::Down];
        for direction in directions {
            let order: Vec<&Planned> = match direction {
                Direction::Up => planned.iter().collect(),
                Direction::Down => planned.iter().rev().collect(),
            };
            for p in order {
                let step = run_one(&migrator, p.node, direction).await?;
                let expected = match direction {
                    Direction::Up => &p.after,
                    Direction::Down => &p.before,
                };
                let differences = differences(migrator.connection(), expected, dialect, project).await?;
                if !differences.is_empty() {
                    return Ok(Some(Mismatch {
                        revision: p.node.id().to_owned(),
                        message: p.node.message().to_owned(),
                        direction,
                        differences,
                        dialect,
                    }));
                }
                report(&VerifyStep { step });
            }
        }
        Ok(None)
    }
    .await;
    // Closed before the scratch database is dropped, which an open session could hold up.
    let _ = migrator.connection().close_by_ref().await;
    result
}

/// Runs exactly `node`'s upgrade or downgrade.
async fn run_one(migrator: &Migrator<'_>, node: &Node, direction: Direction) -> Result<Step> {
    let id = node.id();
    let what = match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    };
    let steps = match direction {
        Direction::Up => {
            migrator
                .migrate(direction, id, RunOptions::default(), |_| {})
                .await
        }
        Direction::Down => {
            migrator
                .downgrade_revision(id, RunOptions::default(), |_| {})
                .await
        }
    }
    .with_context(|| format!("the {what} of revision {id} did not run on the scratch database"))?;
    match <[Step; 1]>::try_from(steps) {
        Ok([step]) if step.revision == id => Ok(step),
        Ok(_) | Err(_) => {
            bail!("the {what} of revision {id} ran other revisions too; verify runs one at a time")
        }
    }
}

/// What would turn the scratch database into `expected`, compared in the
/// backend's terms over the tables the project compares.
async fn differences(
    db: &DatabaseConnection,
    expected: &Schema,
    dialect: Dialect,
    project: &Project,
) -> Result<Vec<Op>> {
    let found = autogen_introspect::introspect(db)
        .await
        .context("cannot read the scratch database's schema")?;
    let mut expected = expected.clone();
    dialect.retain_what_it_holds(&mut expected);
    // Other PostgreSQL schemas (`op.in_schema`) are not compared in this
    // first version; `plan` stops before any revision that changes one.
    expected.schemas.clear();
    Ok(autogen_diff::diff(&found, &expected, dialect, &project.compare))
}

/// Where the revisions run: never the configured database's tables, only its server.
struct ScratchDatabase {
    /// The URL the migrator connects to.
    url: DatabaseUrl,
    /// On a server: the connection that created it, the statement that
    /// drops it, and what it is, for messages.
    server: Option<(DatabaseConnection, String, String)>,
}

impl ScratchDatabase {
    /// SQLite in memory (the migrator's one connection keeps it alive), or
    /// a schema (PostgreSQL) or database (MySQL) with a random name on the
    /// configured database's server.
    async fn create(config: &Config, dialect: Dialect) -> Result<Self> {
        let configured = &config.database_url;
        if dialect == Dialect::Sqlite {
            return Ok(Self {
                url: configured.derived("sqlite::memory:"),
                server: None,
            });
        }
        let url = configured.expose();
        let name = format!(
            "autogen_verify_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let (create, drop, scratch_url, what) = match dialect {
            Dialect::Postgres => (
                format!("CREATE SCHEMA \"{name}\""),
                format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"),
                with_search_path(url, &name),
                format!("schema '{name}'"),
            ),
            Dialect::MySql | Dialect::Sqlite => (
                format!("CREATE DATABASE `{name}`"),
                format!("DROP DATABASE IF EXISTS `{name}`"),
                with_database(url, &name)?,
                format!("database '{name}'"),
            ),
        };
        let admin = database::open(configured, Access::Write, config.connect_timeout, 1).await?;
        if let Err(e) = admin.execute_unprepared(&create).await {
            let _ = admin.close().await;
            return Err(e).with_context(|| {
                format!(
                    "cannot create the scratch {what} on {configured}; verify runs the revisions there \
                     and needs a user that may create one"
                )
            });
        }
        Ok(Self {
            url: configured.derived(scratch_url),
            server: Some((admin, drop, what)),
        })
    }

    /// Drops it.
    async fn remove(self) -> Result<()> {
        let Some((admin, drop, what)) = self.server else {
            return Ok(());
        };
        let dropped = admin.execute_unprepared(&drop).await;
        let _ = admin.close().await;
        dropped.with_context(|| format!("cannot drop the scratch {what}; drop it by hand"))?;
        Ok(())
    }
}

/// A PostgreSQL URL whose connections use only `schema`.
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// A MySQL URL naming `database` instead of the configured one.
fn with_database(url: &str, database: &str) -> Result<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("cannot read the server from the URL {}", database::redact(url));
    };
    let (address, query) = match rest.split_once('?') {
        Some((address, query)) => (address, format!("?{query}")),
        None => (rest, String::new()),
    };
    let server = address.split('/').next().unwrap_or(address);
    Ok(format!("{scheme}://{server}/{database}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_urls_keep_the_server_and_its_options() {
        assert_eq!(
            with_search_path("postgres://me:pw@db:5432/app", "autogen_verify_1"),
            "postgres://me:pw@db:5432/app?options=-c%20search_path%3Dautogen_verify_1"
        );
        assert_eq!(
            with_search_path("postgres://db/app?sslmode=require", "s"),
            "postgres://db/app?sslmode=require&options=-c%20search_path%3Ds"
        );
        assert_eq!(
            with_database("mysql://me:pw@db:3306/app?ssl-mode=required", "scratch").unwrap(),
            "mysql://me:pw@db:3306/scratch?ssl-mode=required"
        );
        assert_eq!(
            with_database("mysql://db:3306", "scratch").unwrap(),
            "mysql://db:3306/scratch"
        );
    }

    #[test]
    fn differences_say_what_is_missing_and_what_should_not_be_there() {
        let column = autogen_schema::Column::new("bio", autogen_schema::ColumnType::Text).nullable();
        let mismatch = Mismatch {
            revision: "ae1027a6acf5".into(),
            message: "add bio".into(),
            direction: Direction::Down,
            differences: vec![
                Op::AddColumn {
                    table: "user".into(),
                    column: column.clone(),
                },
                Op::DropColumn {
                    table: "post".into(),
                    column: "bio".into(),
                },
                Op::AlterColumn {
                    table: "user".into(),
                    from: column.clone(),
                    to: autogen_schema::Column {
                        nullable: false,
                        ..column
                    },
                },
            ],
            dialect: Dialect::Sqlite,
        };
        assert_eq!(
            VerifyOutcome::Differs(mismatch).to_string(),
            "The downgrade of revision ae1027a6acf5 (add bio) does not undo its upgrade; \
             the database it leaves differs from the schema before that revision:\n  \
             expected but missing: column 'user.bio'\n  \
             present but not expected: column 'post.bio'\n  \
             not as expected; to match it needs: altered column 'user.bio': now NOT NULL\n"
        );
    }
}

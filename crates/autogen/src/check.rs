//! `autogen check`: do the entities and the migrations agree?
//!
//! Online, the database (at head) is compared with the entities, as
//! autogenerate would. Offline (`--offline`, for pre-commit hooks with no
//! database), every revision is replayed into the schema model for the
//! configured backend, base to heads, and that is compared instead; raw SQL
//! the model cannot follow makes the answer "cannot tell", naming the revision.
//!
//! The report is Alembic's "Detected …" lines, then a unified diff of the
//! schema (as `inspect` prints it) before and after the detected changes,
//! or the same as JSON (`--format json`, schema below).

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use anyhow::{bail, Result};
use autogen_schema::{replay, Dialect};
use serde_json::{json, Value};

use crate::compare::{compare_schemas, compare_with_schema, Comparison};
use crate::config::Config;
use crate::Project;

/// What was compared with what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The live database, at head, with the entities.
    Database,
    /// The revision history, replayed with no database, with the entities.
    Revisions,
    /// The live database, at head, with the revision history replayed: a
    /// migration binary on its own, with no entity sources at hand. CI's
    /// `check` holds the entities and the history equal, so this asks
    /// whether the database is what the release it ships with expects.
    DatabaseWithRevisions,
}

impl Source {
    /// What `check` compares: the revisions with the entities with
    /// `--offline`; else the database with the entities, or, with no
    /// entities at hand (`standalone`), with the revisions.
    pub fn of(offline: bool, standalone: bool) -> Self {
        match (offline, standalone) {
            (true, _) => Source::Revisions,
            (false, false) => Source::Database,
            (false, true) => Source::DatabaseWithRevisions,
        }
    }

    /// The side compared.
    fn label(self) -> &'static str {
        match self {
            Source::Database | Source::DatabaseWithRevisions => "database",
            Source::Revisions => "revisions",
        }
    }

    /// The side it is compared with.
    fn target_label(self) -> &'static str {
        match self {
            Source::Database | Source::Revisions => "entities",
            Source::DatabaseWithRevisions => "revisions",
        }
    }
}

/// The entities compared with the revision history replayed into the model
/// for the configured backend, with no database.
pub fn compare_offline(project: &Project, config: &Config) -> Result<Comparison> {
    let dialect = config.database_url.dialect()?;
    compare_schemas(
        replayed_history(&crate::command::graph(project)?)?,
        &project.entities,
        dialect,
        &offline_schema_name(config, dialect),
        &config.compare_options(project.compare.clone()),
    )
}

/// The database (at every head) compared with the revision history
/// replayed: `check` in a migration binary with no entity sources at hand
/// ([`Source::DatabaseWithRevisions`]).
pub async fn compare_with_revisions(project: &Project, config: &Config) -> Result<Comparison> {
    let graph = crate::command::graph(project)?;
    let mut history = replayed_history(&graph)?;
    let migrator = crate::command::connect(&graph, config, crate::database::Access::Read).await?;
    crate::command::refuse_behind_heads(&migrator, &graph).await?;
    let db = migrator.connection();
    let dialect = autogen_introspect::dialect(db);
    // A portable history keeps enum types and schemas a backend without them does not.
    dialect.retain_what_it_holds(&mut history);
    let schema = crate::compare::compared_schema(db, config.schema.as_deref()).await?;
    let current = autogen_introspect::introspect_schemas(db, &schema, history.schemas.keys().map(String::as_str)).await?;
    compare_with_schema(
        current,
        history,
        dialect,
        &schema,
        &config.compare_options(project.compare.clone()),
    )
}

/// The schema the revision history builds, base to heads; raw SQL the
/// model cannot follow makes it unknown, naming the revision.
fn replayed_history(graph: &autogen_migrate::Graph) -> Result<autogen_schema::Schema> {
    let replayed = autogen_migrate::replay_history(graph, |_, _| {})?;
    if !replayed.unreplayable.is_empty() {
        let revisions: Vec<String> = replayed
            .unreplayable
            .iter()
            .map(|u| format!("{} (`{}`)", u.revision, first_line(&u.sql)))
            .collect();
        bail!(
            "cannot tell offline: raw SQL in revision {} may change the schema, and the schema model \
             cannot follow it; mark SQL that only changes rows with `op.execute_data(...)`, or run \
             `autogen check` against a database at head",
            revisions.join(", ")
        );
    }
    Ok(replayed.schema)
}

/// The schema an offline comparison stands for, by the name an entity's
/// `schema_name` would give it: autogen.toml's `schema`, else PostgreSQL's
/// usual `public`, the database the MySQL URL names, SQLite's `main`.
fn offline_schema_name(config: &Config, dialect: Dialect) -> String {
    if let Some(schema) = &config.schema {
        return schema.clone();
    }
    match dialect {
        Dialect::Postgres => "public".to_owned(),
        Dialect::Sqlite => "main".to_owned(),
        Dialect::MySql => config.database_url.database_name().unwrap_or_default().to_owned(),
    }
}

fn first_line(sql: &str) -> &str {
    sql.lines().next().unwrap_or_default().trim()
}

/// The schema before and after the detected changes as a unified diff of
/// `inspect`'s text, one object per line. Both sides are the compared
/// schema, the second with the changes applied, so names the database chose
/// and spellings it stores alike never show as differences.
pub fn schema_diff(comparison: &Comparison, source: Source, color: bool) -> String {
    let before = crate::inspect::text(&comparison.current, comparison.dialect);
    // The changes apply to what they were computed from; a failure here would be a diff bug.
    let after = replay(&comparison.current, &comparison.upgrade)
        .map(|schema| crate::inspect::text(&schema, comparison.dialect))
        .unwrap_or_else(|e| format!("(the detected changes do not replay: {e})\n"));
    let diff = similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{} ({})", source.label(), comparison.dialect),
            source.target_label(),
        )
        .to_string();
    if !color {
        return diff;
    }
    let mut out = String::with_capacity(diff.len() + diff.len() / 8);
    for line in diff.split_inclusive('\n') {
        let style = match line.as_bytes().first() {
            _ if line.starts_with("---") || line.starts_with("+++") => Style::new().bold(),
            Some(b'-') => AnsiColor::Red.on_default(),
            Some(b'+') => AnsiColor::Green.on_default(),
            Some(b'@') => AnsiColor::Cyan.on_default(),
            _ => Style::new(),
        };
        if style == Style::new() {
            out.push_str(line);
        } else {
            let text = line.strip_suffix('\n').unwrap_or(line);
            let _ = writeln!(out, "{style}{text}{style:#}");
        }
    }
    out
}

/// The text report: "No new upgrade operations detected." or the detected
/// changes (with destructive ones marked) and the schema diff.
pub fn text_report(comparison: &Comparison, source: Source, color: bool) -> String {
    if comparison.upgrade.is_empty() {
        return "No new upgrade operations detected.\n".to_owned();
    }
    let mut out = String::from("New upgrade operations detected:\n");
    for line in comparison.report() {
        let _ = writeln!(out, "  {line}");
    }
    for note in crate::compare::undeclarable_drops(comparison) {
        let _ = writeln!(out, "  note: {note}");
    }
    out.push('\n');
    out.push_str(&schema_diff(comparison, source, color));
    out
}

fn source_json(at: Option<&autogen_reflect::SourceLocation>) -> Value {
    at.map_or(Value::Null, |at| json!({ "path": at.path, "line": at.line }))
}

/// The JSON report, schema version 1:
///
/// ```json
/// {
///   "version": 1,
///   "status": "clean" | "changes" | "unknown",
///   "source": "database" | "revisions",
///   "target": "entities" | "revisions",  // revisions: a migration binary with no entity sources
///   "dialect": "SQLite" | "PostgreSQL" | "MySQL",
///   "schema": "public",
///   "changes": [{"description": "added column 'user.bio'", "op": {…the op as data…},
///                "source": {"path": "entity/src/user.rs", "line": 12}}],  // entities read from source
///                // (an op in another schema: "sources", one per op it holds, null where none)
///   "destructive": [{"code": "AG102", "change": 0, "detail": "drops column 'user.bio' and its values"}],
///   "locking": [{"code": "AG201", "change": 1, "detail": "builds index 'ix' on 'post' while writes to it wait"}],
///   "schema_diff": "--- database (PostgreSQL)\n+++ entities\n…",
///   "error": "…"  // only with status "unknown"
/// }
/// ```
///
/// `destructive[].change` and `locking[].change` are indexes into `changes`.
/// `locking` lists the lock risks (`AG2xx`) of the changes run as `[online]`
/// says (plain or lock-safe), less those `[online] allow` and `--allow`
/// accept. Fields are only ever added within a version.
pub fn json_report(comparison: &Comparison, source: Source) -> Value {
    let changes: Vec<Value> = comparison
        .upgrade
        .iter()
        .map(|op| {
            let mut change = json!({ "description": op.describe(comparison.dialect).to_string(), "op": op });
            // An op in another schema is about that schema's entity; of
            // several, each names its own in `sources`, in order.
            let sources: Vec<Value> = match op {
                autogen_schema::Op::InSchema { schema, ops } => ops
                    .iter()
                    .map(|inner| source_json(comparison.source_of(inner, Some(schema))))
                    .collect(),
                op => vec![source_json(comparison.source_of(op, None))],
            };
            match sources.as_slice() {
                [Value::Null] => {}
                [one] => change["source"] = one.clone(),
                _ => change["sources"] = Value::Array(sources),
            }
            change
        })
        .collect();
    let destructive: Vec<Value> = comparison
        .destructive
        .iter()
        .map(|d| json!({ "code": d.kind.code(), "change": d.op, "detail": d.detail }))
        .collect();
    let locking: Vec<Value> = comparison
        .lock_risks()
        .iter()
        .map(|risk| json!({ "code": risk.kind.code(), "change": risk.op, "detail": risk.detail }))
        .collect();
    json!({
        "version": 1,
        "status": if comparison.upgrade.is_empty() { "clean" } else { "changes" },
        "source": source.label(),
        "target": source.target_label(),
        "dialect": comparison.dialect.to_string(),
        "schema": comparison.schema,
        "changes": changes,
        "destructive": destructive,
        "locking": locking,
        "schema_diff": schema_diff(comparison, source, false),
    })
}

/// The JSON report of a check that could not tell.
pub fn json_error(source: Source, error: &anyhow::Error) -> Value {
    json!({
        "version": 1,
        "status": "unknown",
        "source": source.label(),
        "error": format!("{error:#}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use autogen_schema::{Column, ColumnType, Op, Schema, Table};

    fn comparison() -> Comparison {
        let mut current = Schema::new();
        current.insert(
            Table::new("user")
                .column(Column::new("id", ColumnType::Integer).auto_increment())
                .column(Column::new("bio", ColumnType::Text).nullable())
                .primary_key(["id"]),
        );
        let upgrade = vec![
            Op::AddColumn {
                table: "user".into(),
                column: Column::new("karma", ColumnType::Integer).default(0),
            },
            Op::DropColumn {
                table: "user".into(),
                column: "bio".into(),
            },
        ];
        let destructive = autogen_schema::destructive_changes(&upgrade, &current, Dialect::Postgres);
        Comparison {
            dialect: Dialect::Postgres,
            schema: "public".into(),
            target: replay(&current, &upgrade).unwrap(),
            current,
            upgrade,
            downgrade: Vec::new(),
            destructive,
            set_aside: Vec::new(),
            locations: Default::default(),
            lock_policy: Default::default(),
        }
    }

    #[test]
    fn the_text_report_lists_the_changes_then_diffs_the_schema() {
        assert_eq!(
            text_report(&comparison(), Source::Revisions, false),
            "New upgrade operations detected:
  Detected added column 'user.karma'
    WARNING AG210 alters 'user' with no lock timeout: waiting behind a long transaction, it queues every later query on the table
  Detected removed column 'user.bio'
    WARNING AG102 drops column 'user.bio' and its values

--- revisions (PostgreSQL)
+++ entities
@@ -1,4 +1,4 @@
 table \"user\"
   column \"id\" integer NOT NULL AUTO INCREMENT
-  column \"bio\" text NULL
+  column \"karma\" integer NOT NULL DEFAULT 0
   primary key (id)
"
        );
        let colored = text_report(&comparison(), Source::Revisions, true);
        assert!(
            colored.contains("\x1b[31m-  column \"bio\" text NULL\x1b[0m\n"),
            "{colored}"
        );
        assert!(colored.contains("\x1b[32m+  column \"karma\""), "{colored}");
    }

    #[test]
    fn the_schema_diff_shows_other_schemas_under_their_names() {
        let upgrade = vec![Op::InSchema {
            schema: "audit".into(),
            ops: vec![Op::CreateTable(
                Table::new("entry")
                    .column(Column::new("id", ColumnType::Integer))
                    .primary_key(["id"]),
            )],
        }];
        let comparison = Comparison {
            upgrade,
            destructive: Vec::new(),
            ..comparison()
        };
        let diff = schema_diff(&comparison, Source::Database, false);
        assert!(
            diff.ends_with("+schema \"audit\"\n+  table \"entry\"\n+    column \"id\" integer NOT NULL\n+    primary key (id)\n"),
            "{diff}"
        );
    }

    #[test]
    fn the_json_report_carries_the_changes_as_data() {
        let report = json_report(&comparison(), Source::Database);
        assert_eq!(report["version"], 1);
        assert_eq!(report["status"], "changes");
        assert_eq!(report["source"], "database");
        assert_eq!(report["changes"][1]["description"], "removed column 'user.bio'");
        assert_eq!(report["changes"][1]["op"]["DropColumn"]["column"], "bio");
        assert_eq!(report["destructive"][0]["code"], "AG102");
        assert_eq!(report["destructive"][0]["change"], 1);
        assert_eq!(report["locking"][0]["code"], "AG210");
        assert_eq!(report["locking"][0]["change"], 0);
        let allowed = Comparison {
            lock_policy: crate::compare::LockPolicy {
                allow: vec![autogen_schema::LockKind::NoLockTimeout],
                ..Default::default()
            },
            ..comparison()
        };
        assert_eq!(json_report(&allowed, Source::Database)["locking"], json!([]));
        assert!(report["schema_diff"]
            .as_str()
            .unwrap()
            .starts_with("--- database (PostgreSQL)\n"));
        let clean = Comparison {
            upgrade: Vec::new(),
            destructive: Vec::new(),
            ..comparison()
        };
        assert_eq!(json_report(&clean, Source::Revisions)["status"], "clean");
        assert_eq!(
            text_report(&clean, Source::Revisions, false),
            "No new upgrade operations detected.\n"
        );
    }
}

//! `cargo xtask bench autogenerate [--tables N,…]`: `autogen check` on a
//! PostgreSQL database whose schema matches the entities, beside Alembic's
//! `alembic check` on the same database and equivalent SQLAlchemy models:
//! the whole command a user runs in CI, as whole processes.
//!
//! For each size (100, 500 and 2000 tables unless `--tables` says), a
//! database is loaded with the synthetic schema, and under
//! `target/bench-autogenerate/` a migration crate with generated SeaORM
//! entities (built in release; the build is reported apart) and an Alembic
//! environment with generated SQLAlchemy models in a venv from PyPI are
//! written. Each table: a bigint identity key, a varchar NOT NULL with a
//! unique index, text, numeric with a default, an enum with a default,
//! timestamptz default now(), boolean, jsonb, a foreign key to the table
//! before ON DELETE CASCADE, and a comment. Both tools must detect nothing.
//! Peak memory is read from each process's rusage.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::bench::{self, ms, psql, stats, table_name as name, write, Stats};
use crate::run;

const DEFAULT_SIZES: [usize; 3] = [100, 500, 2000];
const RUNS: usize = 5;

/// The tools compared, in the order they run and are reported.
#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Autogen,
    Alembic,
    Migra,
}

impl Tool {
    const ALL: [Tool; 3] = [Tool::Autogen, Tool::Alembic, Tool::Migra];

    /// What runs, as the report names it.
    fn label(self, drift: bool) -> &'static str {
        match (self, drift) {
            (Tool::Autogen, false) => "`autogen check`",
            (Tool::Autogen, true) => "`autogen check --format json`",
            (Tool::Alembic, false) => "`alembic check`",
            (Tool::Alembic, true) => "Alembic `compare_metadata`",
            (Tool::Migra, _) => "`migra --unsafe`",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Tool::Autogen => "autogen",
            Tool::Alembic => "alembic",
            Tool::Migra => "migra",
        }
    }
}

/// One tool's numbers at one size.
struct ToolRow {
    tool: Tool,
    /// (a): the database matches.
    no_changes: Stats,
    peak_kib: u64,
    /// (b): the database drifted in one table of ten.
    drift: Stats,
    /// Changes made that the tool did not report, and its reports of changes not made.
    misses: Vec<String>,
    extra: Vec<String>,
}

/// One measured size.
struct Row {
    tables: usize,
    build: Duration,
    expected: usize,
    tools: Vec<ToolRow>,
}

pub fn autogenerate(root: &Path, args: &[String]) -> Result<()> {
    let sizes = bench::table_counts(args, &DEFAULT_SIZES, "autogenerate")?;
    let rows = bench::on_postgres(root, &sizes, |server, n| measure(root, server, n))?;
    let section = report(&rows);
    print!("{section}");
    let data = rows
        .iter()
        .map(|row| {
            let tools: serde_json::Map<String, serde_json::Value> = row
                .tools
                .iter()
                .map(|t| {
                    let numbers = serde_json::json!({
                        "no_changes": t.no_changes.json(),
                        "peak_kib": t.peak_kib,
                        "drift": t.drift.json(),
                        "drift_misses": t.misses,
                        "drift_reports_beyond": t.extra,
                    });
                    (t.tool.key().to_owned(), numbers)
                })
                .collect();
            serde_json::json!({
                "tables": row.tables,
                "drift_changes": row.expected,
                "migration_crate_release_build_ms": bench::ms(row.build),
                "tools": tools,
            })
        })
        .collect();
    bench::write_section(root, "autogenerate", &section, data)
}

/// Everything the three tools need at one size.
struct Setup {
    /// The migration crate's binary, run in its project with the URL.
    migration: PathBuf,
    project: PathBuf,
    url: String,
    alembic_dir: PathBuf,
    /// The venv's `bin/`: python, alembic and migra.
    venv_bin: PathBuf,
    /// migra compares two databases: this one holds the schema the entities describe.
    target_url: String,
}

impl Setup {
    /// Runs `tool` once, timed as a whole process; what it found, as
    /// `kind table column` lines. Fails unless it answers as the state of
    /// the database (`drift` or not) says it must.
    fn run(&self, tool: Tool, drift: bool) -> Result<(Duration, u64, Vec<String>)> {
        let alchemy = |url: &str| url.replacen("postgres://", "postgresql+psycopg2://", 1);
        let mut command;
        match (tool, drift) {
            (Tool::Autogen, _) => {
                command = Command::new(&self.migration);
                command
                    .current_dir(&self.project)
                    .env("DATABASE_URL", &self.url)
                    .arg("check");
                if drift {
                    command.args(["--format", "json"]);
                }
            }
            (Tool::Alembic, false) => {
                command = Command::new(self.venv_bin.join("alembic"));
                command.current_dir(&self.alembic_dir).arg("check");
            }
            (Tool::Alembic, true) => {
                command = Command::new(self.venv_bin.join("python"));
                command
                    .current_dir(&self.alembic_dir)
                    .arg("compare.py")
                    .arg(&self.url);
            }
            (Tool::Migra, _) => {
                command = Command::new(self.venv_bin.join("migra"));
                command
                    .arg("--unsafe")
                    .arg(alchemy(&self.url))
                    .arg(alchemy(&self.target_url));
            }
        }
        // Exit codes: `check` says 1 for changes; migra says 2.
        let exit = match (tool, drift) {
            (_, false) | (Tool::Alembic, true) => 0,
            (Tool::Autogen, true) => 1,
            (Tool::Migra, true) => 2,
        };
        let (time, peak, out) = timed_with_peak(&mut command, exit)?;
        let found = match (tool, drift) {
            (Tool::Autogen, false) if out == "No new upgrade operations detected.\n" => Vec::new(),
            (Tool::Alembic, false) if out.contains("No new upgrade operations detected") => Vec::new(),
            (Tool::Migra, false) if out.trim().is_empty() => Vec::new(),
            (_, false) => bail!(
                "{} detected changes on a database that matches:\n{out}",
                tool.label(false)
            ),
            (Tool::Autogen, true) => autogen_changes(&out)?,
            (Tool::Alembic, true) => sorted_lines(&out),
            (Tool::Migra, true) => migra_changes(&out),
        };
        Ok((time, peak, found))
    }
}

fn measure(root: &Path, server: &str, tables: usize) -> Result<Row> {
    let dir = root.join(format!("target/bench-autogenerate/{tables}"));
    let database = format!("bench_autogenerate_{tables}");
    let url = load_schema(server, &dir, &database, tables)?;
    let target_url = load_schema(server, &dir, &format!("{database}_target"), tables)?;
    // `alembic check` leaves its version table behind; the intended schema
    // has it too, so that migra compares only the entities' tables.
    psql(
        &target_url,
        "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL, \
         CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
    )?;

    let project = dir.join("autogen");
    write_autogen_project(root, &project, tables)?;
    let (migration, build) = bench::build_migration(root, &project, &tables.to_string())?;

    let alembic_dir = dir.join("alembic");
    write_alembic_project(&alembic_dir, tables, &url)?;
    write(&alembic_dir.join("compare.py"), ALEMBIC_COMPARE)?;
    let setup = Setup {
        migration,
        project,
        url,
        alembic_dir,
        venv_bin: python_with_peers(root)?
            .parent()
            .context("a venv's python is in bin/")?
            .to_owned(),
        target_url,
    };

    // (a) then (b): one untimed run of each tool first, then the tools by
    // turns, so that a slow moment of the machine falls on all of them.
    let mut no_changes = vec![Vec::new(); Tool::ALL.len()];
    let mut peaks = vec![0; Tool::ALL.len()];
    for attempt in 0..=RUNS {
        for (i, &tool) in Tool::ALL.iter().enumerate() {
            let (time, peak, _) = setup.run(tool, false)?;
            if attempt > 0 {
                no_changes[i].push(time);
                peaks[i] = peaks[i].max(peak);
            }
        }
    }
    let drift = dir.join("drift.sql");
    let expected = drift_sql(tables, &drift)?;
    run(Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&drift)
        .arg(&setup.url))?;
    psql(&setup.url, "VACUUM ANALYZE")?;
    let mut drifted = vec![Vec::new(); Tool::ALL.len()];
    let mut found = vec![Vec::new(); Tool::ALL.len()];
    for attempt in 0..=RUNS {
        for (i, &tool) in Tool::ALL.iter().enumerate() {
            let (time, _, changes) = setup.run(tool, true)?;
            found[i] = changes;
            if attempt > 0 {
                drifted[i].push(time);
            }
        }
    }
    psql(server, &format!("DROP DATABASE {database}"))?;
    psql(server, &format!("DROP DATABASE {database}_target"))?;
    let tools = Tool::ALL
        .iter()
        .zip(no_changes.into_iter().zip(peaks))
        .zip(drifted.into_iter().zip(found))
        .map(|((&tool, (times, peak_kib)), (drift, found))| ToolRow {
            tool,
            no_changes: stats(times),
            peak_kib,
            drift: stats(drift),
            misses: missing(&expected, &found),
            extra: missing(&found, &expected),
        })
        .collect();
    Ok(Row {
        tables,
        build,
        expected: expected.len(),
        tools,
    })
}

/// A fresh database `database` on `server` holding the synthetic schema of
/// `tables` tables (its SQL kept in `dir`), its catalogs settled; its URL.
pub fn load_schema(server: &str, dir: &Path, database: &str, tables: usize) -> Result<String> {
    let (base, _) = server
        .rsplit_once('/')
        .context("a server URL ends with /database")?;
    psql(server, &format!("DROP DATABASE IF EXISTS {database}"))?;
    psql(server, &format!("CREATE DATABASE {database}"))?;
    let url = format!("{base}/{database}");
    let schema = dir.join("schema.sql");
    write(&schema, &schema_sql(tables))?;
    run(Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&schema)
        .arg(&url))?;
    // Settle the catalogs after thousands of CREATEs, so no tool pays for autovacuum.
    psql(&url, "VACUUM ANALYZE")?;
    Ok(url)
}

/// What `of` has that `from` lacks.
fn missing(of: &[String], from: &[String]) -> Vec<String> {
    of.iter().filter(|c| !from.contains(c)).cloned().collect()
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort();
    lines
}

/// The drift: in one table of ten, by turns, a column the entities lack, a
/// column they have dropped, a retyped column, a column made NOT NULL, an
/// index they lack; and a label added to the enum. Writes the SQL to `path`
/// and returns what a tool should report, one `kind table column` line each.
fn drift_sql(tables: usize, path: &Path) -> Result<Vec<String>> {
    let mut sql = String::from("ALTER TYPE status ADD VALUE 'archived';\n");
    let mut expected = vec!["alter_enum status".to_owned()];
    for i in 2..=tables {
        let t = name(i);
        let (change, kind, object) = match i % 50 {
            1 => (format!("ALTER TABLE {t} ADD COLUMN extra integer;"), "remove_column", "extra".to_owned()),
            11 => (format!("ALTER TABLE {t} DROP COLUMN note;"), "add_column", "note".to_owned()),
            21 => (
                format!("ALTER TABLE {t} ALTER COLUMN amount TYPE numeric(12, 2);"),
                "modify_type",
                "amount".to_owned(),
            ),
            31 => (
                format!("UPDATE {t} SET note = '' WHERE note IS NULL; ALTER TABLE {t} ALTER COLUMN note SET NOT NULL;"),
                "modify_nullable",
                "note".to_owned(),
            ),
            41 => (
                format!("CREATE INDEX {t}_created ON {t} (created_at);"),
                "remove_index",
                format!("{t}_created"),
            ),
            _ => continue,
        };
        writeln!(sql, "{change}")?;
        expected.push(format!("{kind} {t} {object}"));
    }
    write(path, &sql)?;
    expected.sort();
    Ok(expected)
}

/// autogen's JSON changes as `kind table column` lines, in the drift's terms.
fn autogen_changes(json: &str) -> Result<Vec<String>> {
    let report: serde_json::Value = serde_json::from_str(json).context("autogen check --format json")?;
    let mut found = Vec::new();
    for change in report["changes"].as_array().context("no changes array")? {
        let op = &change["op"];
        let line = if let Some(add) = op.get("AddColumn") {
            format!(
                "add_column {} {}",
                add["table"].as_str().unwrap_or_default(),
                add["column"]["name"].as_str().unwrap_or_default()
            )
        } else if let Some(drop) = op.get("DropColumn") {
            format!(
                "remove_column {} {}",
                drop["table"].as_str().unwrap_or_default(),
                drop["column"].as_str().unwrap_or_default()
            )
        } else if let Some(alter) = op.get("AlterColumn") {
            let (from, to) = (&alter["from"], &alter["to"]);
            let kind = if from["nullable"] != to["nullable"] {
                "modify_nullable"
            } else {
                "modify_type"
            };
            format!(
                "{kind} {} {}",
                alter["table"].as_str().unwrap_or_default(),
                to["name"].as_str().unwrap_or_default()
            )
        } else if let Some(drop) = op.get("DropIndex") {
            format!(
                "remove_index {} {}",
                drop["table"].as_str().unwrap_or_default(),
                drop["name"].as_str().unwrap_or_default()
            )
        } else if let Some(alter) = op.get("AlterEnum") {
            format!("alter_enum {}", alter["name"].as_str().unwrap_or_default())
        } else {
            format!("other {}", change["description"].as_str().unwrap_or_default())
        };
        found.push(line);
    }
    found.sort();
    Ok(found)
}

/// migra's SQL as `kind table column` lines, in the drift's terms. To add
/// a label to an enum, migra re-creates the type and re-points every column
/// of it (the benchmark's `status`) at the new one: those statements are that
/// one change.
fn migra_changes(sql: &str) -> Vec<String> {
    let unquote = |name: &str| name.trim_matches('"').to_owned();
    let mut found = Vec::new();
    for statement in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        let words: Vec<&str> = statement.split_whitespace().collect();
        let table = words
            .get(2)
            .and_then(|qualified| qualified.rsplit_once('.'))
            .map(|(_, name)| unquote(name))
            .unwrap_or_default();
        let line = match words.as_slice() {
            ["alter", "type", name, "rename", "to", ..] => {
                format!(
                    "alter_enum {}",
                    unquote(name.rsplit_once('.').map_or(*name, |(_, n)| n))
                )
            }
            ["create" | "drop", "type", ..] => continue,
            ["alter", "table", _, "alter", "column", column, ..] if column.trim_matches('"') == "status" => {
                continue
            }
            ["alter", "table", _, "add", "column", column, ..] => {
                format!("add_column {table} {}", unquote(column))
            }
            ["alter", "table", _, "drop", "column", column, ..] => {
                format!("remove_column {table} {}", unquote(column))
            }
            ["alter", "table", _, "alter", "column", column, "set", "data", "type", ..] => {
                format!("modify_type {table} {}", unquote(column))
            }
            ["alter", "table", _, "alter", "column", column, "drop" | "set", "not", "null"] => {
                format!("modify_nullable {table} {}", unquote(column))
            }
            // migra names only the index; the drift's indexes are `<table>_created`.
            ["drop", "index", "if", "exists", qualified] => {
                let index = unquote(qualified.rsplit_once('.').map_or(*qualified, |(_, n)| n));
                let table = index.strip_suffix("_created").unwrap_or_default().to_owned();
                format!("remove_index {table} {index}")
            }
            _ => format!("other {statement}"),
        };
        found.push(line);
    }
    found.sort();
    found
}

/// Alembic's autogenerate comparison (`compare_metadata`, what `alembic
/// check` and `revision --autogenerate` run), its findings as `kind table
/// column` lines.
const ALEMBIC_COMPARE: &str = r#"
import sys
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
import models

engine = create_engine(sys.argv[1].replace("postgres://", "postgresql+psycopg2://", 1))
with engine.connect() as connection:
    diffs = compare_metadata(MigrationContext.configure(connection), models.Base.metadata)

def flatten(items):
    for item in items:
        if isinstance(item, list):
            yield from flatten(item)
        else:
            yield item

for diff in flatten(diffs):
    kind = diff[0]
    if kind in ("add_column", "remove_column"):
        print(kind, diff[2], diff[3].name)
    elif kind in ("modify_type", "modify_nullable", "modify_default", "modify_comment"):
        print(kind, diff[2], diff[3])
    elif kind in ("add_index", "remove_index"):
        print(kind, diff[1].table.name, diff[1].name)
    else:
        print("other", kind)
"#;

/// Runs a whole process, timing it from here; GNU time (`/usr/bin/time -f %M`)
/// reports its peak resident memory in KiB. Fails unless it exits with `exit`.
fn timed_with_peak(command: &mut Command, exit: i32) -> Result<(Duration, u64, String)> {
    let output_file = tempfile_path()?;
    let start = Instant::now();
    let status = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&output_file)
        .arg(command.get_program())
        .args(command.get_args())
        .envs(command.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .current_dir(command.get_current_dir().unwrap_or(Path::new(".")))
        .output()
        .with_context(|| {
            format!("cannot run {command:?} (GNU time measures its memory: apt-get install time)")
        })?;
    let elapsed = start.elapsed();
    if status.status.code() != Some(exit) {
        bail!(
            "{command:?} failed: {}\n{}{}",
            status.status,
            String::from_utf8_lossy(&status.stdout),
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let peak = std::fs::read_to_string(&output_file)?
        .lines()
        .last()
        .context("GNU time wrote no peak memory")?
        .trim()
        .parse()?;
    Ok((
        elapsed,
        peak,
        String::from_utf8_lossy(&status.stdout).into_owned(),
    ))
}

fn tempfile_path() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join("autogen-bench");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join(format!("peak-{}", std::process::id())))
}

fn schema_sql(tables: usize) -> String {
    let mut sql = String::from("CREATE TYPE status AS ENUM ('draft', 'live', 'gone');\n");
    for i in 1..=tables {
        let t = name(i);
        let reference = if i == 1 {
            String::new()
        } else {
            format!(" REFERENCES {} (id) ON DELETE CASCADE", name(i - 1))
        };
        writeln!(
            sql,
            "CREATE TABLE {t} (\n  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n  \
             name varchar(80) NOT NULL,\n  note text,\n  amount numeric(10, 2) NOT NULL DEFAULT 0,\n  \
             status status NOT NULL DEFAULT 'draft',\n  created_at timestamptz NOT NULL DEFAULT now(),\n  \
             active boolean NOT NULL DEFAULT true,\n  data jsonb,\n  prev_id bigint{reference}\n);\n\
             CREATE UNIQUE INDEX {t}_name_key ON {t} (name);\nCOMMENT ON TABLE {t} IS 'table {i}';"
        )
        .unwrap();
    }
    sql
}

pub fn write_autogen_project(root: &Path, project: &Path, tables: usize) -> Result<()> {
    let lib = "use sea_orm::entity::prelude::*;\n\n\
               #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]\n\
               #[sea_orm(rs_type = \"String\", db_type = \"Enum\", enum_name = \"status\")]\n\
               pub enum Status {\n    #[sea_orm(string_value = \"draft\")]\n    Draft,\n    \
               #[sea_orm(string_value = \"live\")]\n    Live,\n    #[sea_orm(string_value = \"gone\")]\n    Gone,\n}\n\n"
        .to_owned();
    let modules = (1..=tables)
        .map(|i| {
            let t = name(i);
            let source = format!(
                "use sea_orm::entity::prelude::*;\n\n\
                 #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]\n\
                 #[sea_orm(table_name = \"{t}\", comment = \"table {i}\")]\npub struct Model {{\n    \
                 #[sea_orm(primary_key)]\n    pub id: i64,\n    \
                 #[sea_orm(column_type = \"String(StringLen::N(80))\", unique)]\n    pub name: String,\n    \
                 #[sea_orm(column_type = \"Text\", nullable)]\n    pub note: Option<String>,\n    \
                 #[sea_orm(column_type = \"Decimal(Some((10, 2)))\", default_value = 0)]\n    pub amount: Decimal,\n    \
                 #[sea_orm(default_value = \"draft\")]\n    pub status: super::Status,\n    \
                 #[sea_orm(default_expr = \"Expr::current_timestamp()\")]\n    pub created_at: DateTimeWithTimeZone,\n    \
                 #[sea_orm(default_value = true)]\n    pub active: bool,\n    \
                 #[sea_orm(column_type = \"JsonBinary\", nullable)]\n    pub data: Option<Json>,\n    \
                 pub prev_id: Option<i64>,\n}}\n\n\
                 #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\n{relation}\n\n\
                 impl ActiveModelBehavior for ActiveModel {{}}\n",
                relation = bench::previous_table_relation(i)
            );
            (t, source)
        })
        .collect();
    bench::write_generated_project(
        root,
        project,
        &tables.to_string(),
        "\"macros\", \"with-chrono\", \"with-json\", \"with-rust_decimal\"",
        &bench::GeneratedEntities { lib, modules },
        "${DATABASE_URL}",
    )
}

/// An Alembic environment in `dir` comparing the database at `alchemy_url`
/// (SQLAlchemy's form) with the models of `dir/models.py`, which the caller
/// writes (`models.Base`), and no revisions.
pub fn write_alembic_env(dir: &Path, alchemy_url: &str) -> Result<()> {
    write(
        &dir.join("alembic.ini"),
        &format!("[alembic]\nscript_location = env\nsqlalchemy.url = {alchemy_url}\n"),
    )?;
    write(
        &dir.join("env/env.py"),
        "import os, sys\nsys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n\
         from alembic import context\nfrom sqlalchemy import engine_from_config, pool\nimport models\n\n\
         config = context.config\nengine = engine_from_config(config.get_section(config.config_ini_section), \
         prefix='sqlalchemy.', poolclass=pool.NullPool)\nwith engine.connect() as connection:\n    \
         context.configure(connection=connection, target_metadata=models.Base.metadata)\n    \
         with context.begin_transaction():\n        context.run_migrations()\n",
    )?;
    write(&dir.join("env/script.py.mako"), "# ${message}\n")?;
    write(&dir.join("env/versions/.keep"), "")
}

/// Alembic's environment in `dir` with the synthetic schema's `tables`
/// tables as SQLAlchemy models, comparing the database at `url`.
pub fn write_alembic_project(dir: &Path, tables: usize, url: &str) -> Result<()> {
    write_alembic_env(dir, &url.replacen("postgres://", "postgresql+psycopg2://", 1))?;
    let mut models = String::from(
        "from sqlalchemy import BigInteger, Boolean, DateTime, Enum, ForeignKey, Identity, Index, Numeric, String, Text, func, text\n\
         from sqlalchemy.dialects.postgresql import JSONB\n\
         from sqlalchemy.orm import DeclarativeBase, mapped_column\n\n\n\
         class Base(DeclarativeBase):\n    pass\n\n\n\
         STATUS = Enum('draft', 'live', 'gone', name='status')\n",
    );
    for i in 1..=tables {
        let t = name(i);
        let prev = if i == 1 {
            "    prev_id = mapped_column(BigInteger)\n".to_owned()
        } else {
            format!(
                "    prev_id = mapped_column(BigInteger, ForeignKey('{}.id', ondelete='CASCADE'))\n",
                name(i - 1)
            )
        };
        writeln!(
            models,
            "\nclass {class}(Base):\n    __tablename__ = '{t}'\n    \
             __table_args__ = (Index('{t}_name_key', 'name', unique=True), {{'comment': 'table {i}'}})\n    \
             id = mapped_column(BigInteger, Identity(), primary_key=True)\n    \
             name = mapped_column(String(80), nullable=False)\n    note = mapped_column(Text)\n    \
             amount = mapped_column(Numeric(10, 2), nullable=False, server_default=text('0'))\n    \
             status = mapped_column(STATUS, nullable=False, server_default=text(\"'draft'\"))\n    \
             created_at = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())\n    \
             active = mapped_column(Boolean, nullable=False, server_default=text('true'))\n    \
             data = mapped_column(JSONB)\n{prev}",
            class = t.to_uppercase()
        )?;
    }
    write(&dir.join("models.py"), &models)
}

/// The venv of the introspection benchmark, with Alembic and migra added;
/// its python.
pub fn python_with_peers(root: &Path) -> Result<PathBuf> {
    let python = bench::python_with_sqlalchemy(root)?;
    if !python.with_file_name("alembic").exists() || !python.with_file_name("migra").exists() {
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "alembic", "migra"]))?;
    }
    Ok(python)
}

fn report(rows: &[Row]) -> String {
    let mut out = String::from(
        "## Autogenerate against a database: autogen beside Alembic and migra\n\n\
         Produced by `cargo xtask bench autogenerate`. A PostgreSQL database loaded with the synthetic schema\n\
         (per table: bigint identity key, varchar with a unique index, text, numeric with a default, an enum with\n\
         a default, timestamptz default now(), boolean, jsonb, a foreign key to the table before ON DELETE\n\
         CASCADE, a comment), compared with generated SeaORM entities by autogen, with equivalent SQLAlchemy\n\
         models by Alembic, and with a second database holding the intended schema by migra (which compares two\n\
         databases). Whole processes as a user runs them in CI, median of 5 after an untimed run, the tools by\n\
         turns. Django's `makemigrations --check` never reads the database (it compares models with its migration\n\
         files), so it is measured in the offline check instead.\n\n\
         | tables | autogen, no changes | best peer | ratio | autogen, drift | best peer | ratio | build |\n\
         |---:|---:|---|---:|---:|---|---:|---:|\n",
    );
    let best = |row: &Row, time: fn(&ToolRow) -> Duration| {
        let autogen = time(&row.tools[0]);
        let peer = row.tools[1..]
            .iter()
            .min_by_key(|t| time(t))
            .expect("autogen has peers");
        (autogen, peer.tool.key(), time(peer))
    };
    for row in rows {
        let (a, a_peer, a_time) = best(row, |t| t.no_changes.median);
        let (b, b_peer, b_time) = best(row, |t| t.drift.median);
        writeln!(
            out,
            "| {} | {:.0} ms | {a_peer} {:.0} ms | **{:.1}×** | {:.0} ms | {b_peer} {:.0} ms | **{:.1}×** | {:.0} s |",
            row.tables,
            ms(a),
            ms(a_time),
            ms(a_time) / ms(a),
            ms(b),
            ms(b_time),
            ms(b_time) / ms(b),
            row.build.as_secs_f64()
        )
        .unwrap();
    }
    let median_at = |tables: usize| {
        rows.iter()
            .find(|row| row.tables == tables)
            .map(|row| ms(row.tools[0].no_changes.median))
    };
    if let (Some(at_500), Some(at_2000)) = (median_at(500), median_at(2000)) {
        writeln!(
            out,
            "\nScaling: autogen's no-change check at 2000 tables costs **{:.1}×** its time at 500.",
            at_2000 / at_500
        )
        .unwrap();
    }
    out.push_str(
        "\nRatios are the fastest peer's time over autogen's. `build` is the release build of the migration crate\n\
         the run needed first (what had changed since the previous run: 0 s when nothing had), apart from the check.\n\n\
         ### No changes\n\n\
         Every tool must detect nothing.\n\n\
         | tables | tool | median | spread | peak memory | time over autogen's |\n\
         |---:|---|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let autogen = ms(row.tools[0].no_changes.median);
        for t in &row.tools {
            writeln!(
                out,
                "| {} | {} | {:.0} ms | {:.0}–{:.0} ms | {} MiB | {:.1}× |",
                row.tables,
                t.tool.label(false),
                ms(t.no_changes.median),
                ms(t.no_changes.min),
                ms(t.no_changes.max),
                t.peak_kib / 1024,
                ms(t.no_changes.median) / autogen,
            )
            .unwrap();
        }
    }
    out.push_str(
        "\n### With drift: one table in ten changed\n\n\
         The same database after a column added, a column dropped, a column retyped, a column made NOT NULL or an\n\
         index added in one table of ten (by turns), and a label added to the enum. autogen runs `check --format\n\
         json`; Alembic runs `compare_metadata` (what `alembic check` runs) in a script that prints its findings;\n\
         migra prints the SQL that would bring the database to the intended one. Each tool's findings are checked\n\
         against the changes made.\n\n\
         | tables | changes | tool | median | time over autogen's | misses | reports beyond them |\n\
         |---:|---:|---|---:|---:|---|---|\n",
    );
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join("; ")
        }
    };
    for row in rows {
        let autogen = ms(row.tools[0].drift.median);
        for t in &row.tools {
            writeln!(
                out,
                "| {} | {} | {} | {:.0} ms | {:.1}× | {} | {} |",
                row.tables,
                row.expected,
                t.tool.label(true),
                ms(t.drift.median),
                ms(t.drift.median) / autogen,
                list(&t.misses),
                list(&t.extra),
            )
            .unwrap();
        }
    }
    out.push_str(
        "\nMachine: 2 cores, PostgreSQL 15 on loopback started by `cargo xtask db up`. Ratios, not absolute times,\n\
         are what carry over to other machines.\n",
    );
    out
}

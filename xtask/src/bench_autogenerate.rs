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

use crate::bench::{self, ms, stats, table_name as name, write, Stats};
use crate::{db, run};

const DEFAULT_SIZES: [usize; 3] = [100, 500, 2000];
const RUNS: usize = 5;

/// One measured size.
struct Row {
    tables: usize,
    build: Duration,
    autogen: Stats,
    autogen_peak_kib: u64,
    alembic: Stats,
    alembic_peak_kib: u64,
    /// (b): the same commands on a database that drifted.
    changed_autogen: Stats,
    changed_alembic: Stats,
    /// Changes made that each tool did not report, and reports of changes not made.
    autogen_misses: Vec<String>,
    autogen_extra: Vec<String>,
    alembic_misses: Vec<String>,
    alembic_extra: Vec<String>,
    expected: usize,
}

pub fn autogenerate(root: &Path, args: &[String]) -> Result<()> {
    let sizes: Vec<usize> = match args {
        [] => DEFAULT_SIZES.to_vec(),
        [flag, list] if flag == "--tables" => list
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .with_context(|| format!("--tables takes numbers, e.g. 100,500: {n:?}"))
            })
            .collect::<Result<_>>()?,
        _ => bail!("usage: cargo xtask bench autogenerate [--tables 100,500,2000]"),
    };
    let (server, started) = bench::postgres_server(root)?;
    let result = sizes
        .iter()
        .map(|&n| measure(root, &server, n))
        .collect::<Result<Vec<_>>>();
    if started {
        db::down(root)?;
    }
    let rows = result?;
    let section = report(&rows);
    print!("{section}");
    let data = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "tables": row.tables,
                "migration_crate_release_build_ms": bench::ms(row.build),
                "no_changes": {
                    "autogen_check": row.autogen.json(),
                    "autogen_peak_kib": row.autogen_peak_kib,
                    "alembic_check": row.alembic.json(),
                    "alembic_peak_kib": row.alembic_peak_kib,
                },
                "drift": {
                    "changes": row.expected,
                    "autogen_check": row.changed_autogen.json(),
                    "alembic_compare_metadata": row.changed_alembic.json(),
                    "autogen_misses": row.autogen_misses,
                    "autogen_extra": row.autogen_extra,
                    "alembic_misses": row.alembic_misses,
                    "alembic_extra": row.alembic_extra,
                },
            })
        })
        .collect();
    bench::write_section(root, "autogenerate", &section, data)
}

fn measure(root: &Path, server: &str, tables: usize) -> Result<Row> {
    let dir = root.join(format!("target/bench-autogenerate/{tables}"));
    let (base, _) = server
        .rsplit_once('/')
        .context("a server URL ends with /database")?;
    let database = format!("bench_autogenerate_{tables}");
    psql(server, &format!("DROP DATABASE IF EXISTS {database}"))?;
    psql(server, &format!("CREATE DATABASE {database}"))?;
    let url = format!("{base}/{database}");
    let schema = dir.join("schema.sql");
    write(&schema, &schema_sql(tables))?;
    run(Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&schema)
        .arg(&url))?;
    psql(&url, "VACUUM ANALYZE")?;

    let project = dir.join("autogen");
    write_autogen_project(root, &project, tables)?;
    let (migration, build) = bench::build_migration(root, &project, &tables.to_string())?;

    let alembic_dir = dir.join("alembic");
    write_alembic_project(&alembic_dir, tables, &url)?;
    let alembic = python_with_alembic(root)?.with_file_name("alembic");

    let mut autogen_times = Vec::new();
    let mut alembic_times = Vec::new();
    let (mut autogen_peak, mut alembic_peak) = (0, 0);
    for attempt in 0..=RUNS {
        let (time, peak, out) = timed_with_peak(
            Command::new(&migration)
                .current_dir(&project)
                .env("DATABASE_URL", &url)
                .arg("check"),
        )?;
        if out != "No new upgrade operations detected.\n" {
            bail!("autogen check detected changes on {database}:\n{out}");
        }
        let (alembic_time, alembic_peak_now, alembic_out) =
            timed_with_peak(Command::new(&alembic).current_dir(&alembic_dir).arg("check"))?;
        if !alembic_out.contains("No new upgrade operations detected") {
            bail!("alembic check detected changes on {database}:\n{alembic_out}");
        }
        if attempt > 0 {
            autogen_times.push(time);
            alembic_times.push(alembic_time);
            autogen_peak = autogen_peak.max(peak);
            alembic_peak = alembic_peak.max(alembic_peak_now);
        }
    }

    // (b) The database drifts from the entities in one table of ten; each
    // tool's answer is checked against what was changed, then timed.
    let drift = dir.join("drift.sql");
    let expected = drift_sql(tables, &drift)?;
    run(Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&drift)
        .arg(&url))?;
    psql(&url, "VACUUM ANALYZE")?;
    let compare = alembic_dir.join("compare.py");
    write(&compare, ALEMBIC_COMPARE)?;
    let python = alembic.with_file_name("python");
    let mut changed_autogen = Vec::new();
    let mut changed_alembic = Vec::new();
    let (mut autogen_found, mut alembic_found) = (Vec::new(), Vec::new());
    for attempt in 0..=RUNS {
        let start = Instant::now();
        let out = Command::new(&migration)
            .current_dir(&project)
            .env("DATABASE_URL", &url)
            .args(["check", "--format", "json"])
            .output()?;
        let elapsed = start.elapsed();
        if out.status.code() != Some(1) {
            bail!(
                "autogen check did not report the drift: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        autogen_found = autogen_changes(&String::from_utf8_lossy(&out.stdout))?;
        let start = Instant::now();
        let out = Command::new(&python)
            .current_dir(&alembic_dir)
            .arg(&compare)
            .arg(&url)
            .output()?;
        let alembic_elapsed = start.elapsed();
        if !out.status.success() {
            bail!(
                "Alembic's compare_metadata failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        alembic_found = sorted_lines(&String::from_utf8_lossy(&out.stdout));
        if attempt > 0 {
            changed_autogen.push(elapsed);
            changed_alembic.push(alembic_elapsed);
        }
    }
    psql(server, &format!("DROP DATABASE {database}"))?;
    Ok(Row {
        tables,
        build,
        autogen: stats(autogen_times),
        autogen_peak_kib: autogen_peak,
        alembic: stats(alembic_times),
        alembic_peak_kib: alembic_peak,
        changed_autogen: stats(changed_autogen),
        changed_alembic: stats(changed_alembic),
        autogen_misses: missing(&expected, &autogen_found),
        autogen_extra: missing(&autogen_found, &expected),
        alembic_misses: missing(&expected, &alembic_found),
        alembic_extra: missing(&alembic_found, &expected),
        expected: expected.len(),
    })
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
/// reports its peak resident memory in KiB. Fails unless it exits 0.
fn timed_with_peak(command: &mut Command) -> Result<(Duration, u64, String)> {
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
    if !status.status.success() {
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

fn psql(url: &str, sql: &str) -> Result<()> {
    run(Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-c", sql, url])
        .stdout(std::process::Stdio::null()))
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

fn write_autogen_project(root: &Path, project: &Path, tables: usize) -> Result<()> {
    let mut entities = String::from(
        "use sea_orm::entity::prelude::*;\n\n\
         #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]\n\
         #[sea_orm(rs_type = \"String\", db_type = \"Enum\", enum_name = \"status\")]\n\
         pub enum Status {\n    #[sea_orm(string_value = \"draft\")]\n    Draft,\n    \
         #[sea_orm(string_value = \"live\")]\n    Live,\n    #[sea_orm(string_value = \"gone\")]\n    Gone,\n}\n\n",
    );
    for i in 1..=tables {
        let relation = bench::previous_table_relation(i);
        writeln!(
            entities,
            "pub mod {t} {{\n    use sea_orm::entity::prelude::*;\n\n    \
             #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]\n    \
             #[sea_orm(table_name = \"{t}\", comment = \"table {i}\")]\n    pub struct Model {{\n        \
             #[sea_orm(primary_key)]\n        pub id: i64,\n        \
             #[sea_orm(column_type = \"String(StringLen::N(80))\", unique)]\n        pub name: String,\n        \
             #[sea_orm(column_type = \"Text\", nullable)]\n        pub note: Option<String>,\n        \
             #[sea_orm(column_type = \"Decimal(Some((10, 2)))\", default_value = 0)]\n        pub amount: Decimal,\n        \
             #[sea_orm(default_value = \"draft\")]\n        pub status: super::Status,\n        \
             #[sea_orm(default_expr = \"Expr::current_timestamp()\")]\n        pub created_at: DateTimeWithTimeZone,\n        \
             #[sea_orm(default_value = true)]\n        pub active: bool,\n        \
             #[sea_orm(column_type = \"JsonBinary\", nullable)]\n        pub data: Option<Json>,\n        \
             pub prev_id: Option<i64>,\n    }}\n\n    \
             #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\n    {relation}\n\n    \
             impl ActiveModelBehavior for ActiveModel {{}}\n}}\n",
            t = name(i)
        )?;
    }
    bench::write_generated_project(
        root,
        project,
        &tables.to_string(),
        "\"macros\", \"with-chrono\", \"with-json\", \"with-rust_decimal\"",
        &entities,
        tables,
        "${DATABASE_URL}",
    )
}

fn write_alembic_project(dir: &Path, tables: usize, url: &str) -> Result<()> {
    let alchemy_url = url.replacen("postgres://", "postgresql+psycopg2://", 1);
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
    write(&dir.join("env/versions/.keep"), "")?;
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

/// The venv of the introspection benchmark, with Alembic added.
fn python_with_alembic(root: &Path) -> Result<PathBuf> {
    let python = bench::python_with_sqlalchemy(root)?;
    if !python.with_file_name("alembic").exists() {
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "alembic"]))?;
    }
    Ok(python)
}

fn report(rows: &[Row]) -> String {
    let mut out = String::from(
        "## Autogenerate with no changes: `autogen check` beside `alembic check`\n\n\
         Produced by `cargo xtask bench autogenerate`. A PostgreSQL database loaded with the synthetic schema\n\
         (per table: bigint identity key, varchar with a unique index, text, numeric with a default, an enum with\n\
         a default, timestamptz default now(), boolean, jsonb, a foreign key to the table before ON DELETE\n\
         CASCADE, a comment), compared with generated SeaORM entities and with equivalent SQLAlchemy models.\n\
         Whole processes as a user runs them in CI, median of 5 after an untimed run, alternating; both must\n\
         detect nothing. `build` is the release build of the migration crate the run needed first (what had changed\n\
         since the previous run: 0 s when nothing had), apart from the check.\n\n\
         | tables | `autogen check` | spread | peak | `alembic check` | spread | peak | ratio | build |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        writeln!(
            out,
            "| {} | {:.0} ms | {:.0}–{:.0} ms | {} MiB | {:.0} ms | {:.0}–{:.0} ms | {} MiB | {:.1}× | {:.0} s |",
            row.tables,
            ms(row.autogen.median),
            ms(row.autogen.min),
            ms(row.autogen.max),
            row.autogen_peak_kib / 1024,
            ms(row.alembic.median),
            ms(row.alembic.min),
            ms(row.alembic.max),
            row.alembic_peak_kib / 1024,
            ms(row.alembic.median) / ms(row.autogen.median),
            row.build.as_secs_f64()
        )
        .unwrap();
    }
    out.push_str(
        "\n### With drift: one table in ten changed\n\n\
         The same database after a column added, a column dropped, a column retyped, a column made NOT NULL or an\n\
         index added in one table of ten (by turns), and a label added to the enum. autogen runs `check --format\n\
         json`; Alembic runs `compare_metadata` (what `alembic check` runs) in a script that prints its findings.\n\
         Each tool's findings are checked against the changes made.\n\n\
         | tables | changes | autogen | Alembic | ratio | autogen misses | autogen reports beyond them | Alembic misses | Alembic reports beyond them |\n\
         |---:|---:|---:|---:|---:|---|---|---|---|\n",
    );
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join("; ")
        }
    };
    for row in rows {
        writeln!(
            out,
            "| {} | {} | {:.0} ms | {:.0} ms | {:.1}× | {} | {} | {} | {} |",
            row.tables,
            row.expected,
            ms(row.changed_autogen.median),
            ms(row.changed_alembic.median),
            ms(row.changed_alembic.median) / ms(row.changed_autogen.median),
            list(&row.autogen_misses),
            list(&row.autogen_extra),
            list(&row.alembic_misses),
            list(&row.alembic_extra),
        )
        .unwrap();
    }
    out.push_str(
        "\nRatios are Alembic's time over autogen's. Machine: 2 cores, PostgreSQL 15 on loopback started by\n\
         `cargo xtask db up`.\n",
    );
    out
}

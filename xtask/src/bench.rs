//! `cargo xtask bench introspect`: reading a PostgreSQL schema of 500 and
//! 2000 tables, autogen beside SQLAlchemy's `MetaData.reflect` (what an
//! Alembic user's autogenerate runs) and sea-schema's discovery (what
//! SeaORM's own tools run), reported as ratios in BENCHMARKS.md.
//!
//! Each table has mixed column types, an enum, a unique and a non-unique and
//! a partial index, a CHECK, comments, and a foreign key to the table before
//! it. autogen's `introspect()` is timed as SQLAlchemy's `reflect()` is,
//! inside one process over an open connection; the whole `autogen inspect`
//! process is timed too. Every tool must find every table, or the run fails.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{cargo, db, run};

const SIZES: [usize; 2] = [500, 2000];
const RUNS: usize = 5;

const SQLALCHEMY: &str = r#"
import sys, time
from sqlalchemy import MetaData, create_engine
# Reflecting follows each foreign key to the table it names, recursively:
# a chain of 2000 tables needs more than Python's default stack of 1000.
sys.setrecursionlimit(100000)
engine = create_engine(sys.argv[1])
runs = []
for _ in range(int(sys.argv[2])):
    metadata = MetaData()
    start = time.perf_counter()
    metadata.reflect(engine)
    runs.append(time.perf_counter() - start)
print(len(metadata.tables), sorted(runs)[len(runs) // 2])
"#;

/// One measured size.
struct Row {
    tables: usize,
    /// `introspect()` inside one process, warm connection: SQLAlchemy's terms.
    autogen: Duration,
    /// The whole `autogen inspect` process.
    autogen_process: Duration,
    sqlalchemy: Duration,
    /// sea-schema's `SchemaDiscovery::discover`, in the same terms.
    sea_schema: Duration,
}

pub fn introspect(root: &Path) -> Result<()> {
    let (server, started) = postgres_server(root)?;
    let result = measure(root, &server);
    if started {
        db::down(root)?;
    }
    let rows = result?;
    let report = report(&rows);
    print!("{report}");
    let data = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "tables": row.tables,
                "autogen_introspect_ms": ms(row.autogen),
                "autogen_inspect_process_ms": ms(row.autogen_process),
                "sqlalchemy_reflect_ms": ms(row.sqlalchemy),
                "sea_schema_discover_ms": ms(row.sea_schema),
            })
        })
        .collect();
    write_section(root, "introspect", &report, data)
}

/// Where the generated benchmark projects build in release: one target
/// directory, so their dependencies compile once.
pub fn release_target(root: &Path) -> std::path::PathBuf {
    root.join("target/bench-release")
}

/// The PostgreSQL server to measure on: the tests' one if named, else one
/// started here (`true`: the caller stops it with `db::down`).
pub fn postgres_server(root: &Path) -> Result<(String, bool)> {
    if let Ok(url) = std::env::var(db::POSTGRES_ENV) {
        return Ok((url, false));
    }
    let url = db::up(root)?
        .into_iter()
        .find(|server| server.env == db::POSTGRES_ENV)
        .map(|server| server.test_url)
        .expect("db::up starts PostgreSQL");
    Ok((url, true))
}

/// `measure` at each size on a PostgreSQL server (the tests' one if named,
/// else one started for the run and stopped after it, whatever the outcome).
pub fn on_postgres<Row>(
    root: &Path,
    sizes: &[usize],
    measure: impl Fn(&str, usize) -> Result<Row>,
) -> Result<Vec<Row>> {
    let (server, started) = postgres_server(root)?;
    let result = sizes.iter().map(|&n| measure(&server, n)).collect();
    if started {
        db::down(root)?;
    }
    result
}

/// Replaces the section `name` of BENCHMARKS.md (between
/// `<!-- bench:name -->` and `<!-- /bench:name -->`) with `text`, or adds it
/// at the end, and the same numbers (`data`) under `name` in
/// BENCHMARKS.json (times in milliseconds, memory in KiB): each benchmark
/// refreshes its own numbers only.
pub fn write_section(root: &Path, name: &str, text: &str, data: serde_json::Value) -> Result<()> {
    let json_path = root.join("BENCHMARKS.json");
    let mut all: serde_json::Map<String, serde_json::Value> = fs::read_to_string(&json_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let date = Command::new("date").args(["-u", "+%Y-%m-%d"]).output()?;
    all.insert(
        name.to_owned(),
        serde_json::json!({
            "date": String::from_utf8_lossy(&date.stdout).trim(),
            "machine": "2 cores, PostgreSQL 15 on loopback (cargo xtask db up)",
            "results": data,
        }),
    );
    fs::write(&json_path, serde_json::to_string_pretty(&all)? + "\n")?;

    let path = root.join("BENCHMARKS.md");
    let file = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".to_owned());
    let (open, close) = (
        format!("<!-- bench:{name} -->"),
        format!("<!-- /bench:{name} -->"),
    );
    let section = format!("{open}\n{text}{close}\n");
    let updated = match (file.find(&open), file.find(&close)) {
        (Some(start), Some(end)) if start < end => {
            let after = file[end + close.len()..].trim_start_matches('\n');
            let gap = if after.is_empty() { "" } else { "\n" };
            format!("{}{section}{gap}{after}", &file[..start])
        }
        _ => format!("{}\n{section}", file.trim_end_matches('\n').to_owned() + "\n"),
    };
    std::fs::write(&path, updated).with_context(|| format!("cannot write {}", path.display()))
}

fn measure(root: &Path, server: &str) -> Result<Vec<Row>> {
    run(cargo()
        .current_dir(root)
        .args(["build", "--release", "--quiet", "-p", "autogen"]))?;
    run(cargo().current_dir(root).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "autogen-introspect",
        "--example",
        "time_introspection",
        "--example",
        "time_sea_schema",
    ]))?;
    let autogen = root.join("target/release/autogen");
    let in_process = root.join("target/release/examples/time_introspection");
    let sea_schema = root.join("target/release/examples/time_sea_schema");
    let python = python_with_sqlalchemy(root)?;
    let (base, _) = server
        .rsplit_once('/')
        .context("a server URL ends with /database")?;
    let mut rows = Vec::new();
    for tables in SIZES {
        let database = format!("bench_{tables}");
        psql(server, &format!("DROP DATABASE IF EXISTS {database}"))?;
        psql(server, &format!("CREATE DATABASE {database}"))?;
        let url = format!("{base}/{database}");
        let schema = root.join(format!("target/bench/schema_{tables}.sql"));
        std::fs::write(&schema, schema_sql(tables))?;
        run(Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(&schema)
            .arg(&url))?;
        // Settle the catalogs after thousands of CREATEs, so neither tool pays for autovacuum.
        psql(&url, "VACUUM ANALYZE")?;

        let mut times = Vec::new();
        // One untimed run warms the server's caches, as SQLAlchemy's first reflect in its loop does.
        for attempt in 0..=RUNS {
            let start = Instant::now();
            let output = Command::new(&autogen)
                .args(["inspect", "--format", "json", "--url", &url])
                .stderr(Stdio::inherit())
                .output()?;
            if attempt > 0 {
                times.push(start.elapsed());
            }
            if !output.status.success() {
                bail!("autogen inspect failed on {database}");
            }
            let found = String::from_utf8_lossy(&output.stdout)
                .matches("\"primary_key\"")
                .count();
            if found != tables {
                bail!("autogen found {found} tables in {database}, not {tables}");
            }
        }
        times.sort();
        let (found, seconds) = tables_and_seconds(Command::new(&in_process).args([&url, "5"]))?;
        if found != tables {
            bail!("autogen found {found} tables in {database}, not {tables}");
        }
        let autogen_in_process = Duration::from_secs_f64(seconds);

        // sea-schema takes minutes at these sizes: fewer runs.
        let sea_schema_runs = if tables <= 500 { "3" } else { "1" };
        let (found, sea_schema_seconds) =
            tables_and_seconds(Command::new(&sea_schema).args([&url, sea_schema_runs]))?;
        if found != tables {
            bail!("sea-schema found {found} tables in {database}, not {tables}");
        }

        let alchemy_url = url.replacen("postgres://", "postgresql+psycopg2://", 1);
        let (found, seconds) =
            tables_and_seconds(Command::new(&python).args(["-c", SQLALCHEMY, &alchemy_url, "3"]))?;
        if found != tables {
            bail!("SQLAlchemy found {found} tables in {database}, not {tables}");
        }
        rows.push(Row {
            tables,
            autogen: autogen_in_process,
            autogen_process: times[times.len() / 2],
            sqlalchemy: Duration::from_secs_f64(seconds),
            sea_schema: Duration::from_secs_f64(sea_schema_seconds),
        });
        psql(server, &format!("DROP DATABASE {database}"))?;
    }
    Ok(rows)
}

/// Runs a timing program that prints `<tables> <seconds>`.
fn tables_and_seconds(command: &mut Command) -> Result<(usize, f64)> {
    let output = command.stderr(Stdio::inherit()).output()?;
    if !output.status.success() {
        bail!("{command:?} failed");
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut words = text.split_whitespace();
    let tables = words.next().context("no table count printed")?.parse()?;
    let seconds = words.next().context("no time printed")?.parse()?;
    Ok((tables, seconds))
}

/// A venv under target/ with SQLAlchemy and psycopg2, made once.
pub fn python_with_sqlalchemy(root: &Path) -> Result<std::path::PathBuf> {
    let venv = root.join("target/bench/venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        std::fs::create_dir_all(root.join("target/bench"))?;
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "sqlalchemy",
            "psycopg2-binary",
        ]))?;
    }
    Ok(python)
}

/// Runs one SQL command with psql, quietly; fails on an error.
pub fn psql(url: &str, sql: &str) -> Result<()> {
    run(Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-c", sql, url])
        .stdout(Stdio::null()))
}

fn schema_sql(tables: usize) -> String {
    let mut sql = String::from("CREATE TYPE status AS ENUM ('draft', 'live', 'gone');\n");
    for i in 0..tables {
        let reference = if i == 0 {
            String::new()
        } else {
            format!(
                ",\n  prev_id integer REFERENCES t{} (id) ON DELETE SET NULL",
                i - 1
            )
        };
        writeln!(
            sql,
            "CREATE TABLE t{i} (\n  id serial PRIMARY KEY,\n  name varchar(80) NOT NULL UNIQUE,\n  \
             status status NOT NULL DEFAULT 'draft',\n  amount numeric(10, 2) NOT NULL DEFAULT 0 CHECK (amount >= 0),\n  \
             note text,\n  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP{reference}\n);\n\
             CREATE INDEX t{i}_created ON t{i} (created_at);\n\
             CREATE INDEX t{i}_live ON t{i} (amount) WHERE status = 'live';\n\
             COMMENT ON TABLE t{i} IS 'table {i}';\nCOMMENT ON COLUMN t{i}.note IS 'free text';"
        )
        .unwrap();
    }
    sql
}

fn report(rows: &[Row]) -> String {
    let mut out = String::from(
        "## Reading a PostgreSQL schema\n\n\
         Produced by `cargo xtask bench introspect`.\n\n\
         Each table: 7 columns of mixed types (serial key, varchar, an enum, numeric with a CHECK, text,\n\
         timestamp with a default, a foreign key to the table before), a unique, a non-unique and a\n\
         partial index, and table and column comments. The catalogs are vacuumed and analyzed after\n\
         loading; every tool must find every table.\n\n\
         - **autogen `introspect()`**: inside one process over an open connection, median of 5\n\
           (`crates/introspect/examples/time_introspection.rs`): the terms SQLAlchemy is timed in.\n\
         - **SQLAlchemy `MetaData.reflect()`**: inside Python over its pooled connection, median of 3.\n\
         - **sea-schema `SchemaDiscovery::discover()`**: what SeaORM's own tools read a database with, in\n\
           autogen's terms (`crates/introspect/examples/time_sea_schema.rs`), median of 3 (one run at 2000).\n\
         - **`autogen inspect` process**: the whole command a user runs (`--format json`), start-up,\n\
           connecting and printing included, median of 5 after a warm-up run.\n\n\
         | tables | autogen `introspect()` | SQLAlchemy `reflect()` | ratio | sea-schema `discover()` | ratio | `autogen inspect` process | ratio to SQLAlchemy |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        writeln!(
            out,
            "| {} | {:.0} ms | {:.0} ms | {:.1}× | {:.0} ms | {:.1}× | {:.0} ms | {:.1}× |",
            row.tables,
            ms(row.autogen),
            ms(row.sqlalchemy),
            ms(row.sqlalchemy) / ms(row.autogen),
            ms(row.sea_schema),
            ms(row.sea_schema) / ms(row.autogen),
            ms(row.autogen_process),
            ms(row.sqlalchemy) / ms(row.autogen_process),
        )
        .unwrap();
    }
    out.push_str(
        "\nRatios are the peer's time over autogen's. Machine: 2 cores, PostgreSQL 15 on loopback \
         started by `cargo xtask db up`. Ratios, not absolute times, are what carry over to other machines.\n",
    );
    out
}

/// The `--tables 100,500,…` of `cargo xtask bench <name>`, or `default`.
pub fn table_counts(args: &[String], default: &[usize], name: &str) -> Result<Vec<usize>> {
    match args {
        [] => Ok(default.to_vec()),
        [flag, list] if flag == "--tables" => numbers(list, "--tables 100,500"),
        _ => bail!("usage: cargo xtask bench {name} [--tables 100,500,2000]"),
    }
}

/// The numbers of a comma-separated list given to a flag, `example`
/// showing the flag with some, for the error when one is not a number.
pub fn numbers<T: std::str::FromStr>(list: &str, example: &str) -> Result<Vec<T>> {
    list.split(',')
        .map(|n| {
            n.trim()
                .parse()
                .ok()
                .with_context(|| format!("not a number: {n:?}; write e.g. {example}"))
        })
        .collect()
}

/// Median, fastest and slowest of a run.
pub struct Stats {
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
}

pub fn stats(mut times: Vec<Duration>) -> Stats {
    times.sort();
    Stats {
        median: times[times.len() / 2],
        min: times[0],
        max: times[times.len() - 1],
    }
}

/// Runs a whole process, timing it; fails unless it exits 0.
pub fn timed(command: &mut Command) -> Result<(Duration, String)> {
    let start = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    let elapsed = start.elapsed();
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok((elapsed, String::from_utf8_lossy(&output.stdout).into_owned()))
}

/// Writes `text` to `path`, creating its directory; an unchanged file keeps its time.
pub fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    // Unchanged files keep their times, so cargo does not rebuild them.
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// `t0042`: the name of the generated projects' table `i`.
pub fn table_name(i: usize) -> String {
    format!("t{i:04}")
}

/// A generated project: a workspace (with `autogen init`'s dev profile) of
/// an entity crate (`entities`, with sea-orm's `features`) and a migration
/// crate `bench-migration-{suffix}` registering each entity, pinned to the
/// repository's Cargo.lock so it builds offline; the revisions are the
/// caller's. `database_url` goes in autogen.toml.
pub fn write_generated_project(
    root: &Path,
    project: &Path,
    suffix: &str,
    features: &str,
    entities: &GeneratedEntities,
    database_url: &str,
) -> Result<()> {
    let repo = |path: &str| format!("{:?}", root.join(path).display().to_string());
    write(&project.join("Cargo.toml"), &workspace_manifest(suffix))?;
    fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock"))?;
    write(
        &project.join("autogen.toml"),
        &format!("[autogen]\nscript_location = \"migration\"\ndatabase_url = \"{database_url}\"\n"),
    )?;
    write(
        &project.join("entity/Cargo.toml"),
        &format!(
            "[package]\nname = \"bench-entity-{suffix}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
             sea-orm = {{ version = \"2.0.4\", default-features = false, features = [{features}] }}\n"
        ),
    )?;
    let mut lib = entities.lib.clone();
    for (module, source) in &entities.modules {
        writeln!(lib, "pub mod {module};")?;
        write(&project.join(format!("entity/src/{module}.rs")), source)?;
    }
    write(&project.join("entity/src/lib.rs"), &lib)?;
    write(
        &project.join("migration/Cargo.toml"),
        &format!(
            "[package]\nname = \"bench-migration-{suffix}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
             autogen = {{ path = {} }}\nentity = {{ path = \"../entity\", package = \"bench-entity-{suffix}\" }}\n\n\
             [build-dependencies]\nautogen = {{ path = {}, default-features = false }}\n",
            repo("crates/autogen"),
            repo("crates/autogen")
        ),
    )?;
    write(
        &project.join("migration/build.rs"),
        "fn main() {\n    autogen::build::versions();\n}\n",
    )?;
    write(
        &project.join("migration/src/versions/README.md"),
        "Revisions, one per file.\n",
    )?;
    let registrations: String = entities
        .modules
        .iter()
        .map(|(module, _)| format!("\n        .entity(entity::{module}::Entity)"))
        .collect();
    write(
        &project.join("migration/src/main.rs"),
        &format!(
            "autogen::include_versions!();\n\nfn main() -> std::process::ExitCode {{\n    \
             let project = autogen::Project::new(VERSIONS){registrations};\n    autogen::cli::run(project)\n}}\n"
        ),
    )
}

/// A generated entity crate laid out as `sea-orm-cli generate entity` lays
/// one out: a file per entity, declared in `lib.rs`.
pub struct GeneratedEntities {
    /// `lib.rs` before the module declarations.
    pub lib: String,
    /// Each entity's module name and source.
    pub modules: Vec<(String, String)>,
}

/// A generated project's workspace manifest, with the dev profile `autogen
/// init` adds to a workspace.
fn workspace_manifest(suffix: &str) -> String {
    format!(
        "[workspace]\nresolver = \"2\"\nmembers = [\"entity\", \"migration\"]\n\n{}",
        include_str!("../../crates/autogen/src/dev_profile.toml")
            .replace("\"{migration}\"", &format!("bench-migration-{suffix}"))
    )
}

/// The `Relation` enum of generated entity `i`: none for the first, else
/// `prev_id` belongs to the table before, ON DELETE CASCADE.
pub fn previous_table_relation(i: usize) -> String {
    if i == 1 {
        return "pub enum Relation {}".to_owned();
    }
    format!(
        "pub enum Relation {{\n    #[sea_orm(belongs_to = \"super::{prev}::Entity\", from = \"Column::PrevId\", \
         to = \"super::{prev}::Column::Id\", on_delete = \"Cascade\")]\n    Prev,\n}}",
        prev = table_name(i - 1)
    )
}

/// Builds a generated project's migration crate in release, returning its
/// binary and how long the build took.
pub fn build_migration(root: &Path, project: &Path, suffix: &str) -> Result<(std::path::PathBuf, Duration)> {
    let package = format!("bench-migration-{suffix}");
    let started = Instant::now();
    run(cargo()
        .current_dir(project)
        .env("CARGO_TARGET_DIR", release_target(root))
        .args(["build", "--release", "--quiet", "--offline", "-p", &package]))?;
    Ok((
        release_target(root).join("release").join(package),
        started.elapsed(),
    ))
}

/// A duration in milliseconds, for reports.
pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

impl Stats {
    /// The median and spread in milliseconds, for BENCHMARKS.json.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "median_ms": ms(self.median), "min_ms": ms(self.min), "max_ms": ms(self.max) })
    }
}

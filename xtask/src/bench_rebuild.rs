//! `cargo xtask bench rebuild [--tables N,…]`: what a user waits for between
//! editing an entity and `autogen check`'s answer, through the launcher as
//! users run it, on the autogenerate benchmark's generated project (28 and
//! 500 tables unless `--tables` says) against a PostgreSQL database holding
//! its schema, two ways:
//!
//! - **source** (the default reading): autogen.toml names `entity/src`, and
//!   the migration crate depends on no entity. After an edit nothing is
//!   built: the release `autogen` launcher finds the migration binary fresh
//!   and runs it, and it reads the entities from their files. Timed: the
//!   whole `autogen check` after each edit, and with nothing changed.
//! - **compiled**: the migration crate registers every entity, so after an
//!   edit cargo rebuilds the entity crate and then the migration crate
//!   before the check runs. That one build is timed as the launcher runs it
//!   (`cargo build --manifest-path`, dev profile), split where the entity
//!   crate's artifact arrives in cargo's JSON messages, and the check apart.
//!
//! Beside them, in the same run: `alembic check` with equivalent SQLAlchemy
//! models on the same database, and Django's `makemigrations --check
//! --dry-run` on as many models (which reads no database).

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::bench::{self, ms, psql, stats, table_name, timed, Stats};
use crate::bench_autogenerate::{
    load_schema, python_with_peers, write_alembic_project, write_autogen_project,
};
use crate::bench_offline::{python_with_django, write_django_project};
use crate::{cargo, run};

const DEFAULT_SIZES: [usize; 2] = [28, 500];
/// Edits timed: a column added to one entity, then removed, by turns.
const EDITS: usize = 6;
const RUNS: usize = 5;

/// One measured size.
struct Row {
    tables: usize,
    /// Source reading: the launcher's `check` after an entity edit, and
    /// with nothing changed.
    source_after_edit: Stats,
    source_unchanged: Stats,
    compiled: Compiled,
    alembic: Stats,
    django: Stats,
}

/// The compiled reading's waits at one size.
struct Compiled {
    /// Everything, from nothing (dependencies included): once per machine.
    first_build: Duration,
    /// After an edit, the launcher's build: until the entity crate is
    /// built, then the migration crate, and the two.
    entity_crate: Stats,
    migration_crate: Stats,
    wait: Stats,
    /// Everything up to date: cargo's check that nothing needs building,
    /// which `cargo run` pays on every command.
    up_to_date: Stats,
    /// The binary's `check` on the matching database.
    check: Stats,
}

pub fn rebuild(root: &Path, args: &[String]) -> Result<()> {
    let sizes = bench::table_counts(args, &DEFAULT_SIZES, "rebuild")?;
    run(cargo()
        .current_dir(root)
        .args(["build", "--release", "--quiet", "-p", "autogen"]))?;
    let rows: Vec<Row> = bench::on_postgres(root, &sizes, |server, n| measure(root, server, n))?;
    let section = report(&rows);
    print!("{section}");
    let data = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "tables": row.tables,
                "source": {
                    "launcher_check_after_entity_edit": row.source_after_edit.json(),
                    "launcher_check_unchanged": row.source_unchanged.json(),
                },
                "compiled": {
                    "first_dev_build_ms": ms(row.compiled.first_build),
                    "after_entity_edit": {
                        "entity_crate": row.compiled.entity_crate.json(),
                        "migration_crate": row.compiled.migration_crate.json(),
                        "launcher_build": row.compiled.wait.json(),
                    },
                    "cargo_up_to_date_check": row.compiled.up_to_date.json(),
                    "check_run": row.compiled.check.json(),
                },
                "alembic_check": row.alembic.json(),
                "django_makemigrations_check": row.django.json(),
            })
        })
        .collect();
    bench::write_section(root, "rebuild", &section, data)
}

/// One size: the project and its database made once, measured compiled,
/// then turned into a project reading its entities from source and measured
/// again; then Alembic and Django beside it.
fn measure(root: &Path, server: &str, tables: usize) -> Result<Row> {
    let dir = root.join(format!("target/bench-rebuild/{tables}"));
    let database = format!("bench_rebuild_{tables}");
    let url = load_schema(server, &dir, &database, tables)?;
    let project = dir.join("autogen");
    write_autogen_project(root, &project, tables)?;
    let compiled = measure_compiled(root, &project, &url, tables)?;
    let (source_after_edit, source_unchanged) = measure_source(root, &project, &url, tables)?;

    let python = python_with_peers(root)?;
    let alembic_dir = dir.join("alembic");
    write_alembic_project(&alembic_dir, tables, &url)?;
    let mut alembic = Command::new(python.with_file_name("alembic"));
    alembic.current_dir(&alembic_dir).arg("check");
    let django_dir = dir.join("django");
    write_django_project(&django_dir, tables)?;
    let django_python = python_with_django(&dir)?;
    let mut django = Command::new(&django_python);
    django
        .current_dir(&django_dir)
        .args(["manage.py", "makemigrations", "--check", "--dry-run"]);
    let (mut alembic_times, mut django_times) = (Vec::new(), Vec::new());
    for attempt in 0..=RUNS {
        let (alembic_time, out) = timed(&mut alembic)?;
        if !out.contains("No new upgrade operations detected") {
            bail!("alembic check found changes on the {tables}-table database:\n{out}");
        }
        let (django_time, out) = timed(&mut django)?;
        if !out.contains("No changes detected") {
            bail!("Django found changes in its {tables}-model project:\n{out}");
        }
        if attempt > 0 {
            alembic_times.push(alembic_time);
            django_times.push(django_time);
        }
    }
    psql(server, &format!("DROP DATABASE {database}"))?;
    Ok(Row {
        tables,
        source_after_edit,
        source_unchanged,
        compiled,
        alembic: stats(alembic_times),
        django: stats(django_times),
    })
}

/// The edit a user makes to `project`'s entities: a column added to an
/// entity in the middle. Its file, as it was and as edited.
fn entity_edit(project: &Path, tables: usize) -> Result<(std::path::PathBuf, String, String)> {
    let file = project.join(format!("entity/src/{}.rs", table_name(tables / 2 + 1)));
    let original = fs::read_to_string(&file)?;
    let field = original
        .find("pub prev_id")
        .context("each generated entity has prev_id")?;
    let edited = format!(
        "{}pub extra: Option<i32>,\n    {}",
        &original[..field],
        &original[field..]
    );
    Ok((file, original, edited))
}

/// The generated `project` turned into one that reads its entities from
/// source, then `autogen check` through the release launcher after each
/// edit (it finds the column, exit 1, or none, exit 0) and with nothing changed.
fn measure_source(root: &Path, project: &Path, url: &str, tables: usize) -> Result<(Stats, Stats)> {
    let manifest = project.join("migration/Cargo.toml");
    let text = fs::read_to_string(&manifest)?;
    let without_entity: String = text
        .lines()
        .filter(|line| !line.starts_with("entity = "))
        .map(|line| format!("{line}\n"))
        .collect();
    fs::write(&manifest, without_entity)?;
    fs::write(
        project.join("migration/src/main.rs"),
        "autogen::include_versions!();\n\nfn main() -> std::process::ExitCode {\n    \
         autogen::cli::run(autogen::Project::new(VERSIONS))\n}\n",
    )?;
    let config = project.join("autogen.toml");
    let config_text = fs::read_to_string(&config)?;
    fs::write(&config, format!("{config_text}entities = [\"entity/src\"]\n"))?;

    let launcher = root.join("target/release/autogen");
    let check = || -> Result<(Duration, i32, String)> {
        let start = Instant::now();
        let output = Command::new(&launcher)
            .current_dir(project)
            .env("DATABASE_URL", url)
            .env("CARGO_TARGET_DIR", root.join("target/bench-debug"))
            .env("CARGO_NET_OFFLINE", "true")
            .env("AUTOGEN_CACHE_DIR", project.join("../launch-cache"))
            .arg("check")
            .output()?;
        let elapsed = start.elapsed();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok((elapsed, output.status.code().unwrap_or(-1), said))
    };
    // The first run builds the migration crate, and remembers it.
    let (_, code, said) = check()?;
    if code != 0 {
        bail!("the source-reading project does not check clean ({code}):\n{said}");
    }
    let (file, original, edited) = entity_edit(project, tables)?;
    let mut after_edit = Vec::new();
    for edit in 0..EDITS {
        let is_edited = edit % 2 == 0;
        fs::write(&file, if is_edited { &edited } else { &original })?;
        let (time, code, said) = check()?;
        match (is_edited, code) {
            (true, 1) if said.contains("Detected added column") => {}
            (false, 0) => {}
            _ => bail!("autogen check after edit {edit} exited {code}:\n{said}"),
        }
        after_edit.push(time);
    }
    let mut unchanged = Vec::new();
    for _ in 0..RUNS {
        let (time, code, said) = check()?;
        if code != 0 {
            bail!("autogen check with nothing changed exited {code}:\n{said}");
        }
        unchanged.push(time);
    }
    Ok((stats(after_edit), stats(unchanged)))
}

/// The generated `project` of `tables` entities, registered in its
/// migration crate, checked against the database at `url`.
fn measure_compiled(root: &Path, project: &Path, url: &str, tables: usize) -> Result<Compiled> {
    let entity = format!("bench_entity_{tables}");
    let migration = format!("bench-migration-{tables}");
    // The launcher's build; returns when the entity crate was built (if it
    // was) and when everything was.
    let build = || -> Result<(Option<Duration>, Duration)> {
        let start = Instant::now();
        let mut child = cargo()
            .current_dir(project)
            .env("CARGO_TARGET_DIR", root.join("target/bench-debug"))
            .args([
                "build",
                "--quiet",
                "--offline",
                "--message-format=json",
                "--manifest-path",
            ])
            .arg(project.join("migration/Cargo.toml"))
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot run cargo")?;
        let mut entity_built = None;
        for line in BufReader::new(child.stdout.take().context("stdout is piped")?).lines() {
            let message: serde_json::Value = serde_json::from_str(&line?)?;
            if message["reason"] == "compiler-artifact"
                && message["target"]["name"] == entity.as_str()
                && message["fresh"] == false
            {
                entity_built = Some(start.elapsed());
            }
        }
        if !child.wait()?.success() {
            bail!("building {migration} failed");
        }
        Ok((entity_built, start.elapsed()))
    };
    let first_build = build()?.1;

    let (edited_file, original, edited) = entity_edit(project, tables)?;
    let (mut entity_times, mut migration_times, mut waits) = (Vec::new(), Vec::new(), Vec::new());
    for edit in 0..EDITS {
        fs::write(&edited_file, if edit % 2 == 0 { &edited } else { &original })?;
        let (entity_built, all_built) = build()?;
        let entity_built = entity_built.context("an edited entity crate is rebuilt")?;
        entity_times.push(entity_built);
        migration_times.push(all_built - entity_built);
        waits.push(all_built);
    }
    if fs::read_to_string(&edited_file)? != original {
        bail!("the entity edits must end where they began");
    }

    let mut up_to_date = Vec::new();
    let mut check = Vec::new();
    let binary = root.join("target/bench-debug/debug").join(&migration);
    for attempt in 0..=RUNS {
        let nothing_to_do = build()?.1;
        let (time, out) = timed(
            Command::new(&binary)
                .current_dir(project)
                .env("DATABASE_URL", url)
                .arg("check"),
        )?;
        if out != "No new upgrade operations detected.\n" {
            bail!("autogen check detected changes on the {tables}-table database:\n{out}");
        }
        if attempt > 0 {
            up_to_date.push(nothing_to_do);
            check.push(time);
        }
    }
    Ok(Compiled {
        first_build,
        entity_crate: stats(entity_times),
        migration_crate: stats(migration_times),
        wait: stats(waits),
        up_to_date: stats(up_to_date),
        check: stats(check),
    })
}

fn report(rows: &[Row]) -> String {
    let mut out = String::from(
        "## From an entity edit to `autogen check`'s answer\n\n\
         Produced by `cargo xtask bench rebuild`. The autogenerate benchmark's generated project (all entities in\n\
         one crate, a file each, as `sea-orm-cli generate entity` writes them) against a PostgreSQL database\n\
         holding its schema; one entity gains or loses a column by turns (6 edits). **Source**: entities read\n\
         from their files (`entities` in autogen.toml, the default): the whole `autogen check` through the\n\
         release launcher after each edit, which builds nothing. **Compiled**: the migration crate registers\n\
         the entities, so the launcher's cargo rebuilds the entity crate, then the migration crate, before the\n\
         check runs (the wait is that build; the check's own run is beside it). Beside them in the same run:\n\
         `alembic check` with equivalent SQLAlchemy models on the same database, and Django's `makemigrations\n\
         --check --dry-run` on as many models (it reads no database). Medians; ranges in brackets.\n\n\
         | tables | source: edit → answer | source: nothing changed | compiled: rebuild after an edit | compiled: `check` run | `alembic check` | Django `makemigrations --check` |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        writeln!(
            out,
            "| {} | **{:.0} ms** ({:.0}–{:.0}) | {:.0} ms | {:.1} s ({:.1}–{:.1}) | {:.0} ms | {:.0} ms | {:.0} ms |",
            row.tables,
            ms(row.source_after_edit.median),
            ms(row.source_after_edit.min),
            ms(row.source_after_edit.max),
            ms(row.source_unchanged.median),
            ms(row.compiled.wait.median) / 1000.0,
            ms(row.compiled.wait.min) / 1000.0,
            ms(row.compiled.wait.max) / 1000.0,
            ms(row.compiled.check.median),
            ms(row.alembic.median),
            ms(row.django.median),
        )
        .unwrap();
    }
    out.push('\n');
    for row in rows {
        let source = ms(row.source_after_edit.median);
        writeln!(
            out,
            "At {} tables, an entity edit is answered in {:.0} ms: {:.1}× sooner than the compiled reading's \
             rebuild and check ({:.1} s), {:.1}× sooner than `alembic check` and {:.1}× sooner than Django's \
             `makemigrations --check`.",
            row.tables,
            source,
            (ms(row.compiled.wait.median) + ms(row.compiled.check.median)) / source,
            (ms(row.compiled.wait.median) + ms(row.compiled.check.median)) / 1000.0,
            ms(row.alembic.median) / source,
            ms(row.django.median) / source,
        )
        .unwrap();
    }
    out.push_str(
        "\nMachine: 2 cores, PostgreSQL 15 on loopback started by `cargo xtask db up`. Ratios, not absolute\n\
         times, are what carry over to other machines. The compiled reading's first build (every dependency,\n\
         once per machine) is in BENCHMARKS.json.\n",
    );
    out
}

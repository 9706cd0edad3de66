//! `cargo xtask bench rebuild [--tables N,…]`: what a user waits for between
//! editing an entity and `autogen check`'s answer. The launcher builds the
//! migration crate (`cargo build --manifest-path migration/Cargo.toml`, dev
//! profile) and runs it, so after an edit cargo rebuilds the entity crate
//! and then the migration crate (compiling and linking it) incrementally,
//! and only then does the check run. That one build is timed, as the
//! launcher runs it, and split where the entity crate's artifact arrives in
//! cargo's JSON messages; building the entity crate on its own (`-p`) would
//! time another variant of it, with only its own SeaORM features, and the
//! launcher's build would then compile it again. On the autogenerate
//! benchmark's generated project (500 tables unless `--tables` says),
//! against a PostgreSQL database holding its schema, once with the dev
//! profile `autogen init` sets up and once with cargo's defaults.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::bench::{self, ms, psql, stats, table_name, timed, DevProfile, Stats};
use crate::bench_autogenerate::{load_schema, write_autogen_project};
use crate::cargo;

const DEFAULT_SIZES: [usize; 1] = [500];
/// Edits timed: a column added to one entity, then removed, by turns.
const EDITS: usize = 6;
const RUNS: usize = 5;

/// One measured size and dev profile.
struct Row {
    tables: usize,
    profile: DevProfile,
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
    let rows: Vec<Row> = bench::on_postgres(root, &sizes, |server, n| measure(root, server, n))?
        .into_iter()
        .flatten()
        .collect();
    let section = report(&rows);
    print!("{section}");
    let data = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "tables": row.tables,
                "dev_profile": match row.profile {
                    DevProfile::Init => "autogen init",
                    DevProfile::Defaults => "cargo defaults",
                },
                "first_dev_build_ms": ms(row.first_build),
                "after_entity_edit": {
                    "entity_crate": row.entity_crate.json(),
                    "migration_crate": row.migration_crate.json(),
                    "launcher_build": row.wait.json(),
                },
                "cargo_up_to_date_check": row.up_to_date.json(),
                "check_run": row.check.json(),
            })
        })
        .collect();
    bench::write_section(root, "rebuild", &section, data)
}

/// The rows of one size: the project and its database made once, then
/// measured with each dev profile.
fn measure(root: &Path, server: &str, tables: usize) -> Result<Vec<Row>> {
    let dir = root.join(format!("target/bench-rebuild/{tables}"));
    let database = format!("bench_rebuild_{tables}");
    let url = load_schema(server, &dir, &database, tables)?;
    let project = dir.join("autogen");
    write_autogen_project(root, &project, tables)?;
    let rows = [DevProfile::Init, DevProfile::Defaults]
        .into_iter()
        .map(|profile| measure_profile(root, &project, &url, tables, profile))
        .collect();
    psql(server, &format!("DROP DATABASE {database}"))?;
    rows
}

/// The generated `project` of `tables` entities, with `profile` in its
/// workspace manifest, checked against the database at `url`.
fn measure_profile(
    root: &Path,
    project: &Path,
    url: &str,
    tables: usize,
    profile: DevProfile,
) -> Result<Row> {
    fs::write(
        project.join("Cargo.toml"),
        bench::workspace_manifest(&tables.to_string(), profile),
    )?;
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

    // The edit a user makes: a column added to an entity in the middle.
    let edited_file = project.join(format!("entity/src/{}.rs", table_name(tables / 2 + 1)));
    let original = fs::read_to_string(&edited_file)?;
    let field = original
        .find("pub prev_id")
        .context("each generated entity has prev_id")?;
    let edited = format!(
        "{}pub extra: Option<i32>,\n    {}",
        &original[..field],
        &original[field..]
    );
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
    Ok(Row {
        tables,
        profile,
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
         Produced by `cargo xtask bench rebuild`. The launcher builds the migration crate (`cargo build\n\
         --manifest-path`, dev profile) and runs it: after an entity is edited, cargo rebuilds the entity crate,\n\
         then the migration crate (compiling and linking it), and then the check runs. That build is timed as the\n\
         launcher runs it and split where the entity crate is done. The autogenerate benchmark's generated\n\
         project (all entities in one crate, a file each, as `sea-orm-cli generate entity` writes them), one\n\
         entity gaining or losing a column by turns (6 edits), with the dev profile `autogen init` adds to a\n\
         workspace (`debug = \"line-tables-only\"` for the migration crate, `codegen-units = 8192` for the\n\
         entity crate) and with cargo's defaults; `up to date` is cargo's own check that nothing needs\n\
         building, which every command through the launcher pays; `check` is the debug binary on the matching\n\
         database (median of 5).\n\n\
         | tables | dev profile | entity crate | migration crate | wait after an edit | up to date | `check` run | first build |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        writeln!(
            out,
            "| {} | {} | {:.1} s ({:.1}–{:.1}) | {:.1} s ({:.1}–{:.1}) | **{:.1} s** | {:.0} ms | {:.0} ms | {:.0} s |",
            row.tables,
            match row.profile {
                DevProfile::Init => "`autogen init`'s",
                DevProfile::Defaults => "cargo's defaults",
            },
            ms(row.entity_crate.median) / 1000.0,
            ms(row.entity_crate.min) / 1000.0,
            ms(row.entity_crate.max) / 1000.0,
            ms(row.migration_crate.median) / 1000.0,
            ms(row.migration_crate.min) / 1000.0,
            ms(row.migration_crate.max) / 1000.0,
            ms(row.wait.median) / 1000.0,
            ms(row.up_to_date.median),
            ms(row.check.median),
            row.first_build.as_secs_f64(),
        )
        .unwrap();
    }
    out.push('\n');
    for tables in rows
        .iter()
        .map(|row| row.tables)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let wait = |profile| {
            rows.iter()
                .find(|row| row.tables == tables && row.profile == profile)
                .map(|row| ms(row.wait.median))
        };
        if let (Some(init), Some(defaults)) = (wait(DevProfile::Init), wait(DevProfile::Defaults)) {
            writeln!(
                out,
                "At {tables} tables, `autogen init`'s dev profile cuts the wait after an edit by **{:.0} %** \
                 ({:.1}× shorter than cargo's defaults).",
                100.0 * (1.0 - init / defaults),
                defaults / init
            )
            .unwrap();
        }
    }
    out.push_str(
        "\nMachine: 2 cores, PostgreSQL 15 on loopback started by `cargo xtask db up`. `first build` includes\n\
         every dependency for the first row of a size (once per machine); the second reuses them and builds the\n\
         two crates its profile changes. The entity crate is the project's own and its application rebuilds it\n\
         after the same edit; what autogen adds is the migration crate's share.\n",
    );
    out
}

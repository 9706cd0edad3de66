//! `cargo xtask bench launcher`: what the `autogen` launcher adds to a
//! command once the migration crate is built. On the blog example (SQLite,
//! its two tables at the head revision): `autogen check` through the
//! release-built launcher, as `cargo install` puts it on PATH, which finds
//! nothing changed since its last build and runs the migration crate's
//! dev-profile binary without cargo; the same with no record of the build,
//! through cargo's up-to-date check; that binary alone; the crate's release
//! binary; and `alembic check` on equivalent SQLAlchemy models, in the venv
//! of the other benchmarks. Every run must find no changes.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Result};

use crate::bench::{self, ms, stats, timed, write, Stats};
use crate::bench_autogenerate::{python_with_peers, write_alembic_env};
use crate::{cargo, run};

const RUNS: usize = 7;

/// The blog's entities (`examples/blog/entity/src`) as SQLAlchemy models.
const MODELS: &str = r#"from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import DeclarativeBase, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = 'user'
    id = mapped_column(Integer, primary_key=True)
    email = mapped_column(String, nullable=False, unique=True)
    name = mapped_column(String, nullable=False)
    bio = mapped_column(String)
    created_at = mapped_column(DateTime, nullable=False, server_default=func.current_timestamp())


class Post(Base):
    __tablename__ = 'post'
    __table_args__ = (Index('idx-post-title', 'title'),)
    id = mapped_column(Integer, primary_key=True)
    user_id = mapped_column(Integer, ForeignKey('user.id', ondelete='CASCADE', name='fk-post-user_id'), nullable=False)
    title = mapped_column(String, nullable=False)
    body = mapped_column(Text, nullable=False)
    published = mapped_column(Boolean, nullable=False, server_default=text('0'))
"#;

/// What is timed, in the order the runs take turns: its key in
/// BENCHMARKS.json and its row in BENCHMARKS.md.
const COMMANDS: [(&str, &str); 5] = [
    ("launcher", "`autogen check` through the launcher"),
    (
        "launcher_through_cargo",
        "the same with no record of the build: cargo checks it is up to date",
    ),
    (
        "dev_binary",
        "the migration crate's dev binary alone (what the launcher runs)",
    ),
    ("release_binary", "the migration crate's release binary alone"),
    ("alembic", "`alembic check`"),
];
/// Where in [`COMMANDS`] the summary's terms are.
const LAUNCHER: usize = 0;
const DEV_BINARY: usize = 2;
const ALEMBIC: usize = 4;

pub fn launcher(root: &Path) -> Result<()> {
    let dir = root.join("target/bench-launcher");
    let blog = root.join("examples/blog");
    run(cargo().current_dir(root).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "autogen",
        "-p",
        "blog-migration",
    ]))?;
    let dev_binary = root.join("target/debug/blog-migration");

    // The blog's database at its head, and Alembic's made from its models.
    fs::create_dir_all(&dir)?;
    let database = dir.join("blog.db");
    let url = format!("sqlite://{}?mode=rwc", database.display());
    let _ = fs::remove_file(&database);
    let blog_command = |program: &Path| {
        let mut command = Command::new(program);
        command
            .current_dir(&blog)
            .env("DATABASE_URL", &url)
            .env("AUTOGEN_CACHE_DIR", dir.join("launch-cache"));
        command
    };
    run(blog_command(&root.join("target/release/blog-migration")).args(["upgrade", "head", "-q"]))?;
    let alembic_dir = dir.join("alembic");
    let alembic_database = dir.join("alembic.db");
    let alchemy_url = format!("sqlite:///{}", alembic_database.display());
    write_alembic_env(&alembic_dir, &alchemy_url)?;
    write(&alembic_dir.join("models.py"), MODELS)?;
    let python = python_with_peers(root)?;
    let _ = fs::remove_file(&alembic_database);
    run(Command::new(&python).current_dir(&alembic_dir).args([
        "-c",
        "import sys, sqlalchemy, models; models.Base.metadata.create_all(sqlalchemy.create_engine(sys.argv[1]))",
        &alchemy_url,
    ]))?;

    let launcher = root.join("target/release/autogen");
    let mut through_cargo = blog_command(&launcher);
    // A cache directory that cannot be one: nothing is remembered.
    through_cargo.env("AUTOGEN_CACHE_DIR", "/dev/null");
    let mut alembic = Command::new(python.with_file_name("alembic"));
    alembic.current_dir(&alembic_dir);
    let mut commands = [
        blog_command(&launcher),
        through_cargo,
        blog_command(&dev_binary),
        blog_command(&root.join("target/release/blog-migration")),
        alembic,
    ];
    for command in &mut commands {
        command.arg("check");
    }
    let mut times = vec![Vec::new(); COMMANDS.len()];
    // One untimed run of each first (the launcher's builds the dev binary
    // if needed, Python writes its bytecode cache), then by turns.
    for attempt in 0..=RUNS {
        for (command, times) in commands.iter_mut().zip(&mut times) {
            let (time, out) = timed(command)?;
            if !out.contains("No new upgrade operations detected.") {
                bail!("{command:?} found changes:\n{out}");
            }
            if attempt > 0 {
                times.push(time);
            }
        }
        if attempt == 0 {
            // What is timed is the launcher's way past cargo.
            let verbose = blog_command(&launcher).args(["-v", "check"]).output()?;
            let said = String::from_utf8_lossy(&verbose.stderr);
            let skipped = format!("Skipped cargo: nothing {} is built from", dev_binary.display());
            if !said.contains(&skipped) {
                bail!("the warm launcher ran cargo or another binary:\n{said}");
            }
        }
    }
    let stats: Vec<Stats> = times.into_iter().map(stats).collect();
    let section = report(&stats);
    print!("{section}");
    let mut data = serde_json::Map::new();
    for ((key, _), stats) in COMMANDS.iter().zip(&stats) {
        data.insert((*key).to_owned(), stats.json());
    }
    data.insert(
        "launcher_overhead_ms".to_owned(),
        serde_json::json!(overhead(&stats)),
    );
    bench::write_section(root, "launcher", &section, data.into())
}

/// The launcher's median less the binary's it runs, in milliseconds.
fn overhead(stats: &[Stats]) -> f64 {
    ms(stats[LAUNCHER].median) - ms(stats[DEV_BINARY].median)
}

fn report(stats: &[Stats]) -> String {
    let alembic = ms(stats[ALEMBIC].median);
    let rows: String = COMMANDS
        .iter()
        .zip(stats)
        .map(|((_, label), s)| {
            format!(
                "| {label} | {:.1} ms | {:.1}–{:.1} ms | {:.1}× |\n",
                ms(s.median),
                ms(s.min),
                ms(s.max),
                alembic / ms(s.median)
            )
        })
        .collect();
    format!(
        "## The launcher: `autogen check` with the migration crate built\n\n\
         Produced by `cargo xtask bench launcher`. The blog example (`examples/blog`: SQLite, the user and\n\
         post tables at the head revision), everything built beforehand. The launcher (release, as `cargo\n\
         install` builds it) finds nothing changed since it last built the migration crate and runs the crate's\n\
         dev-profile binary without cargo; with no record of that build (a cache directory it cannot use) it\n\
         asks cargo, which finds nothing to do, as every command did before the record. The binaries also run\n\
         alone, and `alembic check` compares the blog's entities written as SQLAlchemy models with a database\n\
         their `create_all` made. Whole processes, {RUNS} runs each after an untimed one, by turns; every run\n\
         must find no changes.\n\n\
         | command | median | spread | Alembic's time over it |\n|---|---:|---:|---:|\n{rows}\n\
         The launcher adds **{:.1} ms** to the binary it runs (its medians' difference).\n",
        overhead(stats)
    )
}

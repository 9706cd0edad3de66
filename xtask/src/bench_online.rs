//! `cargo xtask bench online [--rows N,…] [--backend postgres|mysql] [--rate N]`:
//! schema changes on a big table while writers keep writing to it, each made
//! by autogen's executor in default mode (plain DDL) and in lock-safe mode
//! (`op.lock_safe()`), on PostgreSQL and MariaDB (1M rows unless `--rows`
//! says).
//!
//! The work is done by `crates/autogen/examples/online_load.rs`, built in
//! release and run once per backend and size: it builds the base table,
//! runs a control (writers only, no DDL) and each change on a fresh copy of
//! it, and prints one JSON object per run. This module starts the servers
//! (`db::up`, unless the tests' variables name them), runs it, and writes
//! the tables, keeping from BENCHMARKS.json the backends and sizes it did
//! not measure (`--report-only` writes them again and measures nothing).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::bench;
use crate::{cargo, db, run};

const DEFAULT_ROWS: [u64; 1] = [1_000_000];
const BACKENDS: [&str; 2] = ["postgres", "mysql"];
const USAGE: &str =
    "usage: cargo xtask bench online [--rows 1000000,10000000] [--backend postgres|mysql] [--rate N] | --report-only";
/// Statements per second each writer makes unless `--rate` says (0: as many
/// as it can). Paced, the writers leave the 2-core machine's CPU some
/// headroom, so that a stall shows a wait for a lock rather than for a core.
const DEFAULT_RATE: u32 = 250;

/// The changes in report order, as the example names them, and as the table does.
const CHANGES: [(&str, &str); 7] = [
    ("create_index", "CREATE INDEX (`amount`)"),
    ("unique", "UNIQUE (`email`)"),
    ("foreign_key", "FOREIGN KEY `account_id` → `account`"),
    ("check", "CHECK (`amount >= 0`)"),
    ("set_not_null", "SET NOT NULL (`tag`)"),
    ("int_to_bigint", "`amount` integer → bigint"),
    ("add_column_behind_reader", "ADD COLUMN behind a 10 s reader"),
];

pub fn online(root: &Path, args: &[String]) -> Result<()> {
    if args == ["--report-only"] {
        // The tables written again from BENCHMARKS.json's runs, measuring nothing.
        let runs = with_earlier_runs(root, Vec::new(), &[], &[]);
        let section = report(&runs);
        print!("{section}");
        return bench::write_section(root, "online", &section, Value::Array(runs));
    }
    let (sizes, backends, rate) = parse_args(args)?;
    run(cargo().current_dir(root).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "autogen",
        "--example",
        "online_load",
    ]))?;
    let binary = root.join("target/release/examples/online_load");

    let given = |env: &str| std::env::var(env).ok();
    let wanted = |backend: &str| backends.contains(&backend);
    let need_servers = (wanted("postgres") && given(db::POSTGRES_ENV).is_none())
        || (wanted("mysql") && given(db::MYSQL_ENV).is_none());
    let started = if need_servers { Some(db::up(root)?) } else { None };
    let url_of = |backend: &str| -> String {
        let env = if backend == "postgres" {
            db::POSTGRES_ENV
        } else {
            db::MYSQL_ENV
        };
        given(env).unwrap_or_else(|| {
            started
                .iter()
                .flatten()
                .find(|server| server.env == env)
                .map(|server| server.test_url.clone())
                .expect("db::up starts both servers")
        })
    };
    let mut result = Ok(Vec::new());
    'all: for backend in &backends {
        for &rows in &sizes {
            match measure(&binary, &url_of(backend), rows, rate) {
                Ok(lines) => {
                    if let Ok(all) = &mut result {
                        all.extend(lines);
                    }
                }
                Err(e) => {
                    result = Err(e);
                    break 'all;
                }
            }
        }
    }
    if started.is_some() {
        db::down(root)?;
    }
    let measured = result?;
    let runs = with_earlier_runs(root, measured, &sizes, &backends);
    let section = report(&runs);
    print!("{section}");
    bench::write_section(root, "online", &section, Value::Array(runs))
}

fn parse_args(args: &[String]) -> Result<(Vec<u64>, Vec<&'static str>, u32)> {
    let mut sizes = DEFAULT_ROWS.to_vec();
    let mut backends = BACKENDS.to_vec();
    let mut rate = DEFAULT_RATE;
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().context(USAGE)?;
        match flag.as_str() {
            "--rows" => sizes = bench::numbers(value, "--rows 1000000,10000000")?,
            "--backend" => {
                backends = vec![BACKENDS
                    .into_iter()
                    .find(|b| b == value)
                    .with_context(|| format!("--backend is postgres or mysql, not {value:?}"))?]
            }
            "--rate" => {
                rate = value
                    .parse()
                    .with_context(|| format!("--rate takes statements per second, e.g. 250: {value:?}"))?
            }
            _ => bail!(USAGE),
        }
    }
    Ok((sizes, backends, rate))
}

/// Runs the load generator on one server at one size: its JSON lines.
fn measure(binary: &Path, server: &str, rows: u64, rate: u32) -> Result<Vec<Value>> {
    let output = Command::new(binary)
        .args([server, &rows.to_string(), "--rate", &rate.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    if !output.status.success() {
        bail!("{} {rows} failed: {}", binary.display(), output.status);
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).with_context(|| format!("not JSON: {line}")))
        .collect()
}

/// `measured` with the runs BENCHMARKS.json holds from earlier for the
/// backends and sizes not measured now, so that one size can be refreshed
/// (or added, as a long 10M-row run) without running the rest again.
fn with_earlier_runs(root: &Path, measured: Vec<Value>, sizes: &[u64], backends: &[&str]) -> Vec<Value> {
    let remeasured = |run: &Value| {
        run["rows"].as_u64().is_some_and(|rows| sizes.contains(&rows))
            && run["backend"].as_str().is_some_and(|b| backends.contains(&b))
    };
    let earlier: Vec<Value> = std::fs::read_to_string(root.join("BENCHMARKS.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|all| all["online"]["results"].as_array().cloned())
        .unwrap_or_default();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut runs: Vec<Value> = earlier.into_iter().filter(|run| !remeasured(run)).collect();
    runs.extend(measured.into_iter().map(|mut run| {
        run["date"] = Value::String(date.clone());
        run
    }));
    // What a run did not have (no error, no lock timeout in default mode) is left out.
    for run in &mut runs {
        if let Some(fields) = run.as_object_mut() {
            fields.retain(|_, value| !value.is_null());
        }
    }
    runs
}

/// The median of the control runs' longest stalls, in milliseconds.
fn control_stall(runs: &[&Value]) -> Option<f64> {
    let mut stalls: Vec<f64> = runs
        .iter()
        .filter(|run| run["kind"] == "control")
        .filter_map(|run| run["stall_ms"].as_f64())
        .collect();
    stalls.sort_by(f64::total_cmp);
    stalls.get(stalls.len() / 2).copied()
}

fn report(runs: &[Value]) -> String {
    let mut out = String::from(
        "## Schema changes under write load\n\n\
         Produced by `cargo xtask bench online` (`crates/autogen/examples/online_load.rs`). A table `bench_t`\n\
         (integer identity key, `account_id`, `email` varchar(255), `nick`, `tag` varchar(64) holding no NULL,\n\
         `amount` integer, `created_at`) and an `account` table of 1000 rows. 8 writers, each on a connection of\n\
         its own, alternate an `INSERT` and an `UPDATE … SET amount = amount + 1` of a random row, each\n\
         statement its own transaction, each writer paced at the rate below (a statement that waited does not\n\
         make up the slots it missed; `--rate 0`: as fast as it can). After a 2 s warm-up (not measured) one revision runs through autogen's\n\
         executor (`Migrator::upgrade`), then 1.5 s of cool-down. Each run starts from a fresh copy of the table.\n\n\
         - **migration s**: the whole `upgrade` (lock, version table, every statement, retries).\n\
         - **longest writer stall**: the longest one statement took, or the longest gap between one writer's\n\
           successive statements, whichever is longer, over all writers.\n\
         - **p99**: of every writer statement in the measured window, in 1 ms buckets.\n\
         - **control**: the same run with a 2 s sleep instead of a revision, 3 times; the median of their\n\
           longest stalls.\n\
         - **default**: the revision as autogen writes it (plain DDL). **lock-safe**: the same revision with\n\
           `op.lock_safe()` first, run with `Migrator::with_lock_wait` (lock timeout and retries below).\n\
         - **ADD COLUMN behind a 10 s reader**: 0.5 s before the revision, another connection begins a\n\
           transaction, reads the table (`SELECT count(*)`) and sleeps 10 s before committing.\n\n",
    );
    // PostgreSQL first, then by size.
    let mut groups: BTreeMap<(usize, u64), Vec<&Value>> = BTreeMap::new();
    for run in runs {
        let backend = run["backend"].as_str().unwrap_or_default();
        let rank = BACKENDS
            .iter()
            .position(|b| *b == backend)
            .unwrap_or(BACKENDS.len());
        let rows = run["rows"].as_u64().unwrap_or_default();
        groups.entry((rank, rows)).or_default().push(run);
    }
    let mut missed = Vec::new();
    for ((rank, rows), runs) in &groups {
        let backend = BACKENDS.get(*rank).copied().unwrap_or_default();
        let label = if backend == "postgres" {
            "PostgreSQL 15"
        } else {
            "MariaDB 10.11"
        };
        let control = control_stall(runs);
        let control_text = control.map_or("?".to_owned(), |ms| format!("{ms:.0}"));
        let first = runs.iter().find(|run| run["writers"].is_u64());
        let pace = match first.and_then(|run| run["rate_per_writer"].as_u64()) {
            Some(rate) => format!(", each making {rate} statements/s"),
            None => ", each as fast as it can".to_owned(),
        };
        let lock_wait = runs
            .iter()
            .find(|run| run["mode"] == "lock-safe")
            .map(|run| {
                format!(
                    "; lock-safe: lock timeout {} ms, {} retries",
                    run["lock_timeout_ms"], run["lock_retries"]
                )
            })
            .unwrap_or_default();
        writeln!(
            out,
            "### {label}, {} rows\n\n{} writers{pace}{lock_wait}.\n\n\
             | change | mode | migration s | longest writer stall ms | p99 ms | control stall ms | lock-safe target |\n\
             |---|---|---:|---:|---:|---:|---|",
            thousands(*rows),
            first.map_or(Value::Null, |run| run["writers"].clone()),
        )
        .unwrap();
        for (change, title) in CHANGES {
            for mode in ["default", "lock-safe"] {
                let run = runs
                    .iter()
                    .find(|run| run["kind"] == "run" && run["change"] == change && run["mode"] == mode);
                let Some(run) = run else {
                    let skipped = runs.iter().find(|run| {
                        run["kind"] == "no_lock_safe_form" && run["change"] == change && run["mode"] == mode
                    });
                    if let Some(skipped) = skipped {
                        writeln!(
                            out,
                            "| {title} | {mode} | n/a | n/a | n/a | {control_text} | no lock-safe form: {} |",
                            skipped["reason"].as_str().unwrap_or_default()
                        )
                        .unwrap();
                    }
                    continue;
                };
                let stall = run["stall_ms"].as_f64().unwrap_or_default();
                let migration = match run["error"].as_str() {
                    Some(error) => format!("failed: {}", one_line(error)),
                    None if run["made"] == false => format!("{:.2} (change not found after)", seconds(run)),
                    None => format!("{:.2}", seconds(run)),
                };
                let verdict = if mode == "default" {
                    String::new()
                } else {
                    let (met, rule) = verdict(change, run, stall, control);
                    if !met {
                        missed.push(format!(
                            "{label} {} rows, {title}: {stall:.0} ms, ending {:.2} s into the {:.2} s migration",
                            thousands(*rows),
                            run["stall_end_s"].as_f64().unwrap_or_default(),
                            seconds(run),
                        ));
                    }
                    format!("{} ({rule})", if met { "met" } else { "**missed**" })
                };
                let writer_errors = match run["writer_errors"].as_u64() {
                    Some(0) | None => String::new(),
                    Some(n) => format!(" ({n} writer errors)"),
                };
                writeln!(
                    out,
                    "| {title} | {mode} | {migration} | {stall:.0}{writer_errors} | {} | {control_text} | {verdict} |",
                    run["p99_ms"]
                )
                .unwrap();
            }
        }
        let controls: Vec<String> = runs
            .iter()
            .filter(|run| run["kind"] == "control")
            .map(|run| format!("{:.0}", run["stall_ms"].as_f64().unwrap_or_default()))
            .collect();
        let rate: Vec<String> = runs
            .iter()
            .filter(|run| run["kind"] == "control")
            .map(|run| {
                let window = run["ddl_seconds"].as_f64().unwrap_or(2.0) + 1.5;
                format!("{:.0}", run["statements"].as_f64().unwrap_or_default() / window)
            })
            .collect();
        writeln!(
            out,
            "\nControl runs' longest stalls: {} ms; writer statements per second: {}.\n",
            controls.join(", "),
            rate.join(", ")
        )
        .unwrap();
    }
    out.push_str(
        "Target for lock-safe mode: a longest writer stall ≤ 3× the control's and < 100 ms; behind the long\n\
         reader, a stall ≤ the lock timeout plus 3× the control's, and the migration completes (retrying after\n\
         the reader ends). Default mode has no target: it is what lock-safe mode is measured against. Behind the\n\
         reader, lock-safe mode gives way after each lock timeout and tries again after a pause (250 ms, doubling),\n\
         so the migration ends some seconds after the reader does.\n",
    );
    if missed.is_empty() {
        out.push_str("\nEvery lock-safe run met its target.\n");
    } else {
        writeln!(out, "\nMissed:\n").unwrap();
        for line in &missed {
            writeln!(out, "- {line}").unwrap();
        }
        if missed.iter().any(|line| line.starts_with("MariaDB")) {
            out.push_str(
                "\nOn MariaDB lock-safe mode names the algorithm (`ALGORITHM=INPLACE, LOCK=NONE`); MariaDB picks an\n\
                 in-place one for these changes by default where it can, and default mode's stalls for them are of\n\
                 the same order. A stall that ends as the migration ends falls in the in-place ALTER's last phase,\n\
                 which holds the table's metadata lock exclusively while it applies the writes made meanwhile and\n\
                 commits.\n",
            );
        }
    }
    out.push_str(
        "\nEach change is one run: stalls of a few tens of milliseconds vary from run to run by about as much\n\
         (other work shared the machine during these runs).\n",
    );
    out.push_str(
        "\nMachine: 2 cores, the servers of `cargo xtask db up` on loopback (PostgreSQL with fsync off, MariaDB\n\
         with `innodb_flush_log_at_trx_commit=0`); writers, servers and the migration share the cores, so the\n\
         control is the baseline to read the stalls against, not the absolute numbers.\n",
    );
    out
}

/// Whether a lock-safe run met its target, and the rule it was held to.
fn verdict(change: &str, run: &Value, stall: f64, control: Option<f64>) -> (bool, String) {
    let control = control.unwrap_or(f64::INFINITY);
    let completed = run["error"].is_null() && run["made"] == true;
    if change == "add_column_behind_reader" {
        let timeout = run["lock_timeout_ms"].as_f64().unwrap_or_default();
        let limit = timeout + 3.0 * control;
        (
            completed && stall <= limit,
            format!("≤ {limit:.0} ms and completes"),
        )
    } else {
        let limit = (3.0 * control).min(100.0);
        let rule = if 3.0 * control < 100.0 {
            format!("≤ 3× control = {limit:.0} ms")
        } else {
            "< 100 ms".to_owned()
        };
        (completed && stall <= limit, rule)
    }
}

fn seconds(run: &Value) -> f64 {
    run["ddl_seconds"].as_f64().unwrap_or_default()
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().replace('|', "\\|");
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(120).collect::<String>())
    } else {
        line
    }
}

/// 1000000 → 1,000,000.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_with_separators() {
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }

    #[test]
    fn arguments_name_sizes_and_a_backend() {
        let args: Vec<String> = ["--rows", "1000,2000", "--backend", "mysql"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            parse_args(&args).unwrap(),
            (vec![1000, 2000], vec!["mysql"], DEFAULT_RATE)
        );
        assert_eq!(
            parse_args(&[]).unwrap(),
            (vec![1_000_000], BACKENDS.to_vec(), DEFAULT_RATE)
        );
        assert!(parse_args(&["--backend".to_owned(), "oracle".to_owned()]).is_err());
    }
}

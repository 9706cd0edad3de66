//! Schema changes on a big table under continuous write load, for `cargo
//! xtask bench online`: how long writers stall while autogen's executor
//! runs one revision, in default mode (plain DDL) and in lock-safe mode
//! (`op.lock_safe()`).
//!
//! Usage: `online_load <server URL> <rows> [--writers N] [--rate N] [--only change,…]`.
//! The URL names the server's maintenance database (`…/postgres`,
//! `…/mysql`). A base database of `rows` rows is built once; each run works
//! on a fresh copy of it (PostgreSQL: `CREATE DATABASE … TEMPLATE`; MariaDB:
//! `CREATE TABLE … LIKE` and `INSERT … SELECT`), dropped afterwards.
//!
//! Each run: W writers, each on a connection of its own, alternate an
//! `INSERT` and an `UPDATE` of a random row, each statement its own
//! transaction, `--rate` statements a second each (as fast as it can
//! without); after a 2 s warm-up (not measured) the revision runs through
//! `Migrator::upgrade`, then a cool-down, then the writers stop. The longest
//! stall is the longest statement or the longest gap between one writer's
//! successive statements, whichever is longer, over all writers. The
//! control runs the same with a 2 s sleep instead of a revision, 3 times.
//!
//! Prints one JSON object per line, one per run; progress goes to stderr.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use autogen::prelude::*;
use autogen::{Dialect, Graph, Migrator, RevisionModule, Schema};
use autogen_migrate::LockWait;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};
use serde_json::json;

const TABLE: &str = "bench_t";
const WARM_UP: Duration = Duration::from_secs(2);
const COOL_DOWN: Duration = Duration::from_millis(1500);
/// What the control sleeps instead of running a revision.
const CONTROL_PAUSE: Duration = Duration::from_secs(2);
const CONTROL_RUNS: usize = 3;
/// The long reader: started this long before the revision, it holds its
/// transaction (and its lock on the table) for `READER_SLEEP_S` seconds.
const READER_LEAD: Duration = Duration::from_millis(500);
const READER_SLEEP_S: u32 = 10;
/// Lock-safe runs wait this long for a lock before giving up and retrying
/// (after a pause that doubles from 250 ms), as many times as `LockWait`'s default.
const LOCK_TIMEOUT: Duration = Duration::from_secs(1);
/// Latency histogram: 1 ms buckets up to a minute, then one for the rest.
const BUCKETS: usize = 60_001;

/// The changes measured, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    CreateIndex,
    Unique,
    ForeignKey,
    Check,
    SetNotNull,
    IntToBigint,
    AddColumnBehindReader,
}

const CHANGES: [Change; 7] = [
    Change::CreateIndex,
    Change::Unique,
    Change::ForeignKey,
    Change::Check,
    Change::SetNotNull,
    Change::IntToBigint,
    Change::AddColumnBehindReader,
];

impl Change {
    fn name(self) -> &'static str {
        match self {
            Change::CreateIndex => "create_index",
            Change::Unique => "unique",
            Change::ForeignKey => "foreign_key",
            Change::Check => "check",
            Change::SetNotNull => "set_not_null",
            Change::IntToBigint => "int_to_bigint",
            Change::AddColumnBehindReader => "add_column_behind_reader",
        }
    }

    /// Why lock-safe mode has no form of the change on `backend`, and runs
    /// it as written: `None` when it has one (as `autogen_schema::runs_lock_safe` says).
    fn no_lock_safe_form(self, backend: Backend) -> Option<&'static str> {
        let ops = Operations::record(upgrade_fn(self, true), None);
        if ops
            .iter()
            .all(|op| autogen_schema::runs_lock_safe(op, backend.dialect()))
        {
            return None;
        }
        Some(match self {
            Change::IntToBigint => "the type change rewrites every row under an exclusive lock",
            Change::ForeignKey | Change::Check => "MariaDB copies the table to add it",
            _ => "no lock-safe form",
        })
    }

    /// The ops of the revision, on the base table as `base_sql` makes it.
    fn record(self, op: &mut Operations) {
        match self {
            Change::CreateIndex => op.create_index(Index::new("bench_t_amount_idx", TABLE, ["amount"])),
            Change::Unique => {
                op.add_constraint(TABLE, UniqueConstraint::new(["email"]).name("bench_t_email_key"))
            }
            Change::ForeignKey => op.add_constraint(
                TABLE,
                ForeignKey::new(["account_id"], "account", ["id"]).name("bench_t_account_id_fkey"),
            ),
            Change::Check => op.add_constraint(TABLE, Check::new("amount >= 0").name("bench_t_amount_check")),
            Change::SetNotNull => op.alter_column(TABLE, tag_column().nullable(), tag_column()),
            Change::IntToBigint => op.alter_column(
                TABLE,
                Column::new("amount", ColumnType::Integer),
                Column::new("amount", ColumnType::BigInteger),
            ),
            Change::AddColumnBehindReader => {
                op.add_column(TABLE, Column::new("note", ColumnType::Text).nullable())
            }
        }
    }

    /// Whether the database shows the change made, as autogen reads it.
    fn is_made(self, schema: &Schema) -> bool {
        let Some(table) = schema.tables.get(TABLE) else {
            return false;
        };
        let column = |name: &str| table.columns.iter().find(|c| c.name == name);
        match self {
            Change::CreateIndex => table.indexes.iter().any(|i| i.name == "bench_t_amount_idx"),
            Change::Unique => {
                column("email").is_some_and(|c| c.unique)
                    || table.unique_constraints.iter().any(|u| u.columns == ["email"])
                    || table
                        .indexes
                        .iter()
                        .any(|i| i.unique && i.column_names().eq(["email"]))
            }
            Change::ForeignKey => table
                .foreign_keys
                .iter()
                .any(|fk| fk.columns == ["account_id"] && fk.ref_table == "account"),
            Change::Check => table.checks.iter().any(|c| c.expression.contains("amount")),
            Change::SetNotNull => column("tag").is_some_and(|c| !c.nullable),
            Change::IntToBigint => column("amount").is_some_and(|c| c.column_type == ColumnType::BigInteger),
            Change::AddColumnBehindReader => column("note").is_some(),
        }
    }
}

/// `tag`: nullable in the base table, yet holding no NULL, so it can be made NOT NULL.
fn tag_column() -> Column {
    Column::new("tag", ColumnType::String(StringLen::N(64)))
}

fn upgrade<const CHANGE: usize, const LOCK_SAFE: bool>(op: &mut Operations) {
    if LOCK_SAFE {
        op.lock_safe();
    }
    CHANGES[CHANGE].record(op);
}

/// The upgrade function making `change`.
fn upgrade_fn(change: Change, lock_safe: bool) -> fn(&mut Operations) {
    let index = CHANGES
        .iter()
        .position(|c| *c == change)
        .expect("a listed change");
    macro_rules! pick {
        ($($n:literal)*) => {
            match (index, lock_safe) {
                $(($n, false) => upgrade::<$n, false> as fn(&mut Operations),
                  ($n, true) => upgrade::<$n, true> as fn(&mut Operations),)*
                _ => unreachable!("seven changes"),
            }
        };
    }
    pick!(0 1 2 3 4 5 6)
}

/// The one-revision graph making `change`.
fn graph(change: Change, lock_safe: bool) -> Graph {
    let module = RevisionModule {
        revision: Revision {
            id: "0e11e0ad0001",
            down_revision: &[],
            branch_labels: &[],
            depends_on: &[],
            message: "online change",
        },
        upgrade: upgrade_fn(change, lock_safe),
        downgrade: |_| {},
        path: "",
    };
    Graph::new(&[module]).expect("one revision is a graph")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Postgres,
    MySql,
}

impl Backend {
    fn of(url: &str) -> Self {
        if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::MySql
        }
    }

    fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    }

    fn dialect(self) -> Dialect {
        match self {
            Backend::Postgres => Dialect::Postgres,
            Backend::MySql => Dialect::MySql,
        }
    }

    fn db(self) -> DbBackend {
        match self {
            Backend::Postgres => DbBackend::Postgres,
            Backend::MySql => DbBackend::MySql,
        }
    }
}

/// The same server, another database.
fn database_url(server: &str, database: &str) -> String {
    let (base, _) = server.rsplit_once('/').expect("a server URL ends with /database");
    format!("{base}/{database}")
}

async fn connect(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(120));
    Database::connect(options)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

const RUN_DATABASE: &str = "online_run";

fn base_database(rows: u64) -> String {
    format!("online_base_{rows}")
}

/// Builds the base database of `rows` rows.
async fn build_base(backend: Backend, admin: &DatabaseConnection, server: &str, rows: u64) {
    let base = base_database(rows);
    let started = Instant::now();
    match backend {
        Backend::Postgres => {
            exec(admin, &format!("DROP DATABASE IF EXISTS {base} WITH (FORCE)")).await;
            exec(admin, &format!("CREATE DATABASE {base}")).await;
            let db = connect(&database_url(server, &base)).await;
            exec(
                &db,
                &format!(
                    "CREATE TABLE account (id integer PRIMARY KEY);
                     INSERT INTO account SELECT g FROM generate_series(1, 1000) g;
                     CREATE TABLE {TABLE} (
                       id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                       account_id integer NOT NULL,
                       email varchar(255) NOT NULL,
                       nick text,
                       tag varchar(64),
                       amount integer NOT NULL,
                       created_at timestamptz NOT NULL DEFAULT now());
                     INSERT INTO {TABLE} (account_id, email, nick, tag, amount)
                     SELECT g % 1000 + 1, 'user' || g || '@example.com',
                            CASE WHEN g % 10 = 0 THEN NULL ELSE 'n' || g END, 't' || g % 100,
                            ((g::bigint * 7919) % 100000)::int
                     FROM generate_series(1, {rows}) g;"
                ),
            )
            .await;
            exec(&db, &format!("VACUUM ANALYZE {TABLE}")).await;
            db.close().await.ok();
        }
        Backend::MySql => {
            exec(admin, &format!("DROP DATABASE IF EXISTS {base}")).await;
            exec(admin, &format!("CREATE DATABASE {base}")).await;
            exec(
                admin,
                &format!(
                    "CREATE TABLE {base}.account (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB;
                     INSERT INTO {base}.account SELECT seq FROM seq_1_to_1000;
                     CREATE TABLE {base}.{TABLE} (
                       id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
                       account_id int NOT NULL,
                       email varchar(255) NOT NULL,
                       nick text NULL,
                       tag varchar(64) NULL,
                       amount int NOT NULL,
                       created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB;
                     INSERT INTO {base}.{TABLE} (account_id, email, nick, tag, amount)
                     SELECT seq % 1000 + 1, CONCAT('user', seq, '@example.com'),
                            IF(seq % 10 = 0, NULL, CONCAT('n', seq)), CONCAT('t', seq % 100),
                            (seq * 7919) % 100000
                     FROM seq_1_to_{rows};"
                ),
            )
            .await;
        }
    }
    eprintln!(
        "online_load: {} base of {rows} rows built in {:.1} s",
        backend.name(),
        started.elapsed().as_secs_f64()
    );
}

/// A fresh copy of the base database, to run on.
async fn reset_run_database(backend: Backend, admin: &DatabaseConnection, rows: u64) {
    let base = base_database(rows);
    drop_run_database(backend, admin).await;
    match backend {
        Backend::Postgres => {
            exec(
                admin,
                &format!("CREATE DATABASE {RUN_DATABASE} TEMPLATE {base} STRATEGY FILE_COPY"),
            )
            .await
        }
        Backend::MySql => {
            let mut sql = format!("CREATE DATABASE {RUN_DATABASE};");
            for table in ["account", TABLE] {
                sql += &format!(
                    "CREATE TABLE {RUN_DATABASE}.{table} LIKE {base}.{table};
                     INSERT INTO {RUN_DATABASE}.{table} SELECT * FROM {base}.{table};"
                );
            }
            exec(admin, &sql).await;
            exec(admin, &format!("ANALYZE TABLE {RUN_DATABASE}.{TABLE}")).await;
        }
    }
}

async fn drop_run_database(backend: Backend, admin: &DatabaseConnection) {
    match backend {
        Backend::Postgres => {
            exec(
                admin,
                &format!("DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)"),
            )
            .await
        }
        Backend::MySql => exec(admin, &format!("DROP DATABASE IF EXISTS {RUN_DATABASE}")).await,
    }
}

/// What one writer saw while measured.
struct Seen {
    histogram: Vec<u64>,
    longest_statement: Duration,
    longest_gap: Duration,
    /// When the longest stall ended, from the start of the measured window.
    stall_end: Duration,
    statements: u64,
    errors: u64,
    first_error: Option<String>,
}

impl Seen {
    fn new() -> Self {
        Self {
            histogram: vec![0; BUCKETS],
            longest_statement: Duration::ZERO,
            longest_gap: Duration::ZERO,
            stall_end: Duration::ZERO,
            statements: 0,
            errors: 0,
            first_error: None,
        }
    }

    fn merge(&mut self, other: Seen) {
        if other.stall() > self.stall() {
            self.stall_end = other.stall_end;
        }
        for (a, b) in self.histogram.iter_mut().zip(other.histogram) {
            *a += b;
        }
        self.longest_statement = self.longest_statement.max(other.longest_statement);
        self.longest_gap = self.longest_gap.max(other.longest_gap);
        self.statements += other.statements;
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
    }

    /// The longest a writer waited: for one statement, or between two.
    fn stall(&self) -> Duration {
        self.longest_statement.max(self.longest_gap)
    }

    /// The 99th percentile latency, as its 1 ms bucket's upper bound.
    fn p99_ms(&self) -> u64 {
        let total: u64 = self.histogram.iter().sum();
        let wanted = (total * 99).div_ceil(100);
        let mut seen = 0;
        for (bucket, n) in self.histogram.iter().enumerate() {
            seen += n;
            if seen >= wanted && wanted > 0 {
                return bucket as u64 + 1;
            }
        }
        0
    }
}

/// A xorshift64 generator: the writers' random rows.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// One writer: an INSERT then an UPDATE of a random existing row, each in
/// autocommit, until `stop`; measured from `measure_from`.
async fn writer(
    backend: Backend,
    db: DatabaseConnection,
    number: usize,
    rows: u64,
    pace: Option<Duration>,
    measure_from: Instant,
    stop: Arc<AtomicBool>,
) -> Seen {
    let mut seen = Seen::new();
    let mut random =
        XorShift(0x9e37_79b9_7f4a_7c15 ^ (number as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9));
    let (insert, update) = match backend {
        Backend::Postgres => (
            format!("INSERT INTO {TABLE} (account_id, email, nick, tag, amount) VALUES ($1, $2, $3, $4, $5)"),
            format!("UPDATE {TABLE} SET amount = amount + 1 WHERE id = $1"),
        ),
        Backend::MySql => (
            format!("INSERT INTO {TABLE} (account_id, email, nick, tag, amount) VALUES (?, ?, ?, ?, ?)"),
            format!("UPDATE {TABLE} SET amount = amount + 1 WHERE id = ?"),
        ),
    };
    let mut last_done: Option<Instant> = None;
    let mut counter: u64 = 0;
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if let Some(pace) = pace {
            // The next slot; slots missed while a statement waited are skipped, not made up.
            next = (next + pace).max(Instant::now());
            tokio::time::sleep_until(next.into()).await;
        }
        counter += 1;
        let statement = if counter & 1 == 1 {
            let r = random.next();
            Statement::from_sql_and_values(
                backend.db(),
                &insert,
                [
                    ((r % 1000) as i32 + 1).into(),
                    format!("w{number}-{counter}@load.example").into(),
                    format!("w{number}").into(),
                    format!("t{}", r % 100).into(),
                    (((r >> 20) % 100_000) as i32).into(),
                ],
            )
        } else {
            let id = (random.next() % rows) as i32 + 1;
            Statement::from_sql_and_values(backend.db(), &update, [id.into()])
        };
        let start = Instant::now();
        let result = db.execute_raw(statement).await;
        let done = Instant::now();
        if done >= measure_from {
            let gap = done - last_done.map_or(measure_from, |last| last.max(measure_from));
            if gap > seen.stall() {
                seen.stall_end = done - measure_from;
            }
            seen.longest_gap = seen.longest_gap.max(gap);
        }
        last_done = Some(done);
        if start >= measure_from {
            let latency = done - start;
            seen.longest_statement = seen.longest_statement.max(latency);
            seen.histogram[(latency.as_millis() as usize).min(BUCKETS - 1)] += 1;
            seen.statements += 1;
            if let Err(e) = result {
                seen.errors += 1;
                seen.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    db.close().await.ok();
    seen
}

/// The long reader: a transaction that reads the table, then sleeps holding
/// its lock on it.
async fn long_reader(backend: Backend, db: DatabaseConnection) {
    let txn = db.begin().await.expect("the reader begins");
    txn.execute_unprepared(&format!("SELECT count(*) FROM {TABLE}"))
        .await
        .expect("the reader reads");
    let sleep = match backend {
        Backend::Postgres => format!("SELECT pg_sleep({READER_SLEEP_S})"),
        Backend::MySql => format!("DO SLEEP({READER_SLEEP_S})"),
    };
    txn.execute_unprepared(&sleep).await.expect("the reader sleeps");
    txn.commit().await.expect("the reader commits");
    db.close().await.ok();
}

/// What runs between warm-up and cool-down.
#[derive(Clone, Copy)]
enum Work {
    Control,
    Change { change: Change, lock_safe: bool },
}

struct Outcome {
    seen: Seen,
    /// How long the revision (or the control's pause) took.
    seconds: f64,
    /// Whether the change is there afterwards, as autogen reads the table.
    made: bool,
    error: Option<String>,
}

/// The writers: how many, and how often each writes (`None`: as fast as it can).
#[derive(Clone, Copy)]
struct Load {
    writers: usize,
    pace: Option<Duration>,
}

async fn one_run(
    backend: Backend,
    server: &str,
    admin: &DatabaseConnection,
    rows: u64,
    load: Load,
    work: Work,
) -> Outcome {
    reset_run_database(backend, admin, rows).await;
    let url = database_url(server, RUN_DATABASE);
    let mut connections = Vec::new();
    for _ in 0..load.writers {
        connections.push(connect(&url).await);
    }
    let graph = match work {
        Work::Change { change, lock_safe } => Some(graph(change, lock_safe)),
        Work::Control => None,
    };
    let migrator = match (&graph, work) {
        (Some(graph), Work::Change { lock_safe, .. }) => {
            let migrator = Migrator::connect(graph, url.as_str())
                .await
                .expect("the migrator connects");
            Some(if lock_safe {
                migrator.with_lock_wait(LockWait {
                    timeout: LOCK_TIMEOUT,
                    ..LockWait::default()
                })
            } else {
                migrator
            })
        }
        _ => None,
    };
    let reader = match work {
        Work::Change {
            change: Change::AddColumnBehindReader,
            ..
        } => Some(connect(&url).await),
        _ => None,
    };

    let stop = Arc::new(AtomicBool::new(false));
    let measure_from = Instant::now() + WARM_UP;
    let tasks: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(number, db)| {
            tokio::spawn(writer(
                backend,
                db,
                number,
                rows,
                load.pace,
                measure_from,
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep_until(measure_from.into()).await;

    let reader = reader.map(|db| tokio::spawn(long_reader(backend, db)));
    if reader.is_some() {
        tokio::time::sleep(READER_LEAD).await;
    }
    let started = Instant::now();
    let error = match &migrator {
        Some(migrator) => migrator
            .upgrade("head", |_| {})
            .await
            .err()
            .map(|e| e.to_string()),
        None => {
            tokio::time::sleep(CONTROL_PAUSE).await;
            None
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(COOL_DOWN).await;
    stop.store(true, Ordering::Relaxed);
    let mut seen = Seen::new();
    for task in tasks {
        seen.merge(task.await.expect("a writer ends"));
    }
    if let Some(reader) = reader {
        reader.await.expect("the reader ends");
    }
    let made = match (&migrator, work) {
        (Some(migrator), Work::Change { change, .. }) => {
            let schema = autogen_introspect::introspect(migrator.connection())
                .await
                .expect("introspecting the run database");
            change.is_made(&schema)
        }
        _ => true,
    };
    if let Some(migrator) = migrator {
        migrator.connection().clone().close().await.ok();
    }
    drop_run_database(backend, admin).await;
    Outcome {
        seen,
        seconds,
        made,
        error,
    }
}

#[tokio::main]
async fn main() {
    let usage = "usage: online_load <server URL> <rows> [--writers N] [--rate statements/s per writer] [--only change,…]";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [server, rows, options @ ..] = args.as_slice() else {
        panic!("{usage}");
    };
    let rows: u64 = rows.parse().expect("rows is a number");
    let mut writers = 8;
    let mut rate = 0u32;
    let mut only: Option<Vec<String>> = None;
    let mut options = options.iter();
    while let Some(option) = options.next() {
        let value = options.next().unwrap_or_else(|| panic!("{usage}"));
        match option.as_str() {
            "--writers" => writers = value.parse().expect("--writers is a number"),
            "--rate" => rate = value.parse().expect("--rate is a number"),
            "--only" => only = Some(value.split(',').map(str::to_owned).collect()),
            _ => panic!("{usage}"),
        }
    }
    let load = Load {
        writers,
        pace: (rate > 0).then(|| Duration::from_secs(1) / rate),
    };
    let backend = Backend::of(server);
    let admin = connect(server).await;
    build_base(backend, &admin, server, rows).await;

    let print = |kind: &str, change: Option<Change>, mode: &str, outcome: &Outcome| {
        let line = json!({
            "kind": kind,
            "backend": backend.name(),
            "rows": rows,
            "writers": writers,
            "rate_per_writer": (rate > 0).then_some(rate),
            "change": change.map(Change::name),
            "mode": mode,
            "ddl_seconds": outcome.seconds,
            "stall_ms": outcome.seen.stall().as_secs_f64() * 1000.0,
            "longest_statement_ms": outcome.seen.longest_statement.as_secs_f64() * 1000.0,
            "longest_gap_ms": outcome.seen.longest_gap.as_secs_f64() * 1000.0,
            "stall_end_s": outcome.seen.stall_end.as_secs_f64(),
            "p99_ms": outcome.seen.p99_ms(),
            "statements": outcome.seen.statements,
            "writer_errors": outcome.seen.errors,
            "first_writer_error": outcome.seen.first_error,
            "made": outcome.made,
            "error": outcome.error,
            "lock_timeout_ms": (mode == "lock-safe").then_some(LOCK_TIMEOUT.as_millis() as u64),
            "lock_retries": (mode == "lock-safe").then_some(LockWait::default().retries),
        });
        println!("{line}");
    };

    for _ in 0..CONTROL_RUNS {
        let outcome = one_run(backend, server, &admin, rows, load, Work::Control).await;
        eprintln!(
            "online_load: {} {rows} control: stall {:.0} ms",
            backend.name(),
            outcome.seen.stall().as_secs_f64() * 1000.0
        );
        print("control", None, "control", &outcome);
    }
    for change in CHANGES {
        if only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|o| o == change.name()))
        {
            continue;
        }
        for lock_safe in [false, true] {
            if let Some(reason) = lock_safe.then(|| change.no_lock_safe_form(backend)).flatten() {
                let line = json!({
                    "kind": "no_lock_safe_form",
                    "backend": backend.name(),
                    "rows": rows,
                    "change": change.name(),
                    "mode": "lock-safe",
                    "reason": reason,
                });
                println!("{line}");
                continue;
            }
            let mode = if lock_safe { "lock-safe" } else { "default" };
            let outcome = one_run(
                backend,
                server,
                &admin,
                rows,
                load,
                Work::Change { change, lock_safe },
            )
            .await;
            eprintln!(
                "online_load: {} {rows} {} {mode}: {:.2} s, stall {:.0} ms{}",
                backend.name(),
                change.name(),
                outcome.seconds,
                outcome.seen.stall().as_secs_f64() * 1000.0,
                outcome
                    .error
                    .as_deref()
                    .map_or(String::new(), |e| format!(", failed: {e}"))
            );
            print("run", Some(change), mode, &outcome);
        }
    }
    match backend {
        Backend::Postgres => {
            exec(
                &admin,
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", base_database(rows)),
            )
            .await
        }
        Backend::MySql => {
            exec(
                &admin,
                &format!("DROP DATABASE IF EXISTS {}", base_database(rows)),
            )
            .await
        }
    }
}

//! Lock-safe revisions (`op.lock_safe()`) against real PostgreSQL and
//! MariaDB servers: the change they make is the plain revision's, made in
//! steps that keep writes going; a step stopped half way is completed by
//! the next run; a step waiting behind a long transaction gives way and
//! tries again.

use std::time::Duration;

use autogen_migrate::{Direction, Graph, LockWait, MigrateError, Migrator, Operations, RunOptions};
use autogen_schema::Dialect;
use autogen_schema::{Check, Column, ColumnType, ForeignKey, Index, StringLen, Table};
use autogen_testdb::Backend;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

#[path = "support/revision.rs"]
mod revision;
use revision::module;

fn email(nullable: bool, unique: bool) -> Column {
    Column {
        nullable,
        unique,
        ..Column::new("email", ColumnType::String(StringLen::N(80)))
    }
}

fn create(op: &mut Operations) {
    op.create_table(
        Table::new("account")
            .column(Column::new("id", ColumnType::Integer))
            .primary_key(["id"]),
    );
    op.create_table(
        Table::new("t")
            .column(Column::new("id", ColumnType::Integer))
            .column(Column::new("account_id", ColumnType::Integer))
            .column(email(true, false))
            .column(Column::new("n", ColumnType::Integer))
            .primary_key(["id"]),
    );
}
fn drop(op: &mut Operations) {
    op.drop_table("t");
    op.drop_table("account");
}
fn change(op: &mut Operations) {
    op.lock_safe();
    op.create_index(Index::new("t_n_idx", "t", ["n"]));
    op.alter_column("t", email(true, false), email(false, true));
    op.add_constraint("t", ForeignKey::new(["account_id"], "account", ["id"]));
    op.add_constraint("t", Check::new("n >= 0"));
}
fn undo(op: &mut Operations) {
    op.lock_safe();
    op.drop_constraint("t", Check::new("n >= 0"));
    op.drop_constraint("t", ForeignKey::new(["account_id"], "account", ["id"]));
    op.alter_column("t", email(false, true), email(true, false));
    op.drop_index("t", "t_n_idx");
}

fn graph() -> Graph {
    Graph::new(&[
        module("aaaa00000001", &[], "live change", create, drop),
        module("cccc00000002", &["aaaa00000001"], "live change", change, undo),
    ])
    .unwrap()
}

/// The first revision applied and `t` holding rows, one with `n` as given.
async fn seeded(m: &Migrator<'_>, last_n: i32) {
    m.upgrade("aaaa00000001", |_| {}).await.unwrap();
    let db = m.connection();
    db.execute_unprepared("INSERT INTO account (id) VALUES (1), (2)")
        .await
        .unwrap();
    for id in 1..=200 {
        let n = if id == 200 { last_n } else { id };
        db.execute_unprepared(&format!(
            "INSERT INTO t (id, account_id, email, n) VALUES ({id}, {}, 'u{id}@example.com', {n})",
            id % 2 + 1
        ))
        .await
        .unwrap();
    }
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// Each constraint of `t` with whether it is validated, and each index with
/// whether it is valid.
async fn postgres_state(db: &DatabaseConnection) -> Vec<String> {
    let mut state = strings(
        db,
        "SELECT conname || ':' || contype::text || ':' || convalidated FROM pg_constraint \
         WHERE conrelid = 't'::regclass ORDER BY conname",
    )
    .await;
    state.extend(
        strings(
            db,
            "SELECT c.relname || ':' || i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = 't'::regclass ORDER BY c.relname",
        )
        .await,
    );
    state.extend(
        strings(
            db,
            "SELECT attname || ':' || attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'email'",
        )
        .await,
    );
    state
}

const CHANGED: [&str; 8] = [
    "t_account_id_fkey:f:true",
    "t_email_key:u:true",
    "t_n_check:c:true",
    "t_pkey:p:true",
    "t_email_key:true",
    "t_n_idx:true",
    "t_pkey:true",
    "email:true",
];

#[tokio::test]
async fn postgres_makes_the_change_in_steps_and_undoes_it() {
    let Some(test_db) = Backend::Postgres.fresh().await else {
        return;
    };
    let g = graph();
    let m = Migrator::connect(&g, &test_db.url).await.unwrap();
    seeded(&m, 7).await;
    m.upgrade("head", |_| {}).await.unwrap();
    let db = m.connection();
    assert_eq!(postgres_state(db).await, CHANGED);
    assert!(strings(db, "SELECT revision FROM autogen_journal")
        .await
        .is_empty());
    assert_eq!(m.current().await.unwrap(), ["cccc00000002"]);

    m.downgrade("-1", |_| {}).await.unwrap();
    assert_eq!(
        postgres_state(db).await,
        ["t_pkey:p:true", "t_pkey:true", "email:false"]
    );
    m.upgrade("head", |_| {}).await.unwrap();
    assert_eq!(postgres_state(db).await, CHANGED);
}

/// A VALIDATE that finds a bad row fails its step; the steps before it
/// committed and stay. The next run refuses to go the other way, and once
/// the row is fixed, completes the revision from that step.
#[tokio::test]
async fn postgres_completes_a_revision_stopped_between_steps() {
    let Some(test_db) = Backend::Postgres.fresh().await else {
        return;
    };
    let g = graph();
    let m = Migrator::connect(&g, &test_db.url).await.unwrap();
    seeded(&m, -1).await;
    let failed = m.upgrade("head", |_| {}).await.unwrap_err();
    let MigrateError::StepFailed {
        unfinished,
        statement,
        ..
    } = &failed
    else {
        panic!("{failed}");
    };
    assert_eq!((unfinished.done, unfinished.steps), (4, 6), "{failed}");
    assert!(statement.contains("VALIDATE CONSTRAINT"), "{failed}");
    let db = m.connection();
    assert!(
        postgres_state(db).await.contains(&"t_n_check:c:false".to_owned()),
        "the CHECK stays, not validated, guarding new rows"
    );

    let unfinished = m.current().await.unwrap_err();
    assert!(
        unfinished
            .to_string()
            .contains("4 of its 6 steps committed, while the version table still says aaaa00000001"),
        "{unfinished}"
    );
    let refused = m.downgrade("base", |_| {}).await.unwrap_err();
    assert!(matches!(refused, MigrateError::Unfinished(_)), "{refused}");

    db.execute_unprepared("UPDATE t SET n = 0 WHERE n < 0")
        .await
        .unwrap();
    let steps = m.upgrade("head", |_| {}).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(postgres_state(db).await, CHANGED);
    assert_eq!(m.current().await.unwrap(), ["cccc00000002"]);
}

fn constrain(op: &mut Operations) {
    op.lock_safe();
    op.add_constraint("t", ForeignKey::new(["account_id"], "account", ["id"]));
    op.add_constraint("t", Check::new("n >= 0"));
}
fn unconstrain(op: &mut Operations) {
    op.lock_safe();
    op.drop_constraint("t", Check::new("n >= 0"));
    op.drop_constraint("t", ForeignKey::new(["account_id"], "account", ["id"]));
}

/// A transaction that reads `t` makes each step that must lock it wait; a
/// step waits at most the lock timeout, gives way (so writes queued behind
/// it go on), and runs again once the transaction ends. With no retries
/// left, the run fails, naming the lock timeout, and records nothing.
async fn steps_give_way_to_a_long_transaction(backend: Backend) {
    let Some(test_db) = backend.fresh().await else {
        return;
    };
    let g = Graph::new(&[
        module("aaaa00000001", &[], "live change", create, drop),
        module(
            "dddd00000002",
            &["aaaa00000001"],
            "live change",
            constrain,
            unconstrain,
        ),
    ])
    .unwrap();
    let quick = LockWait {
        timeout: Duration::from_millis(200),
        retries: 0,
        statement_timeout: None,
    };
    let m = Migrator::connect(&g, &test_db.url)
        .await
        .unwrap()
        .with_lock_wait(quick.clone());
    seeded(&m, 7).await;
    // One connection, so that the transaction is the pool's only one.
    let mut options = sea_orm::ConnectOptions::new(test_db.url.as_str());
    options.max_connections(1);
    let reader = Database::connect(options).await.unwrap();
    reader.execute_unprepared("BEGIN").await.unwrap();
    reader.execute_unprepared("SELECT count(*) FROM t").await.unwrap();

    let failed = m.upgrade("head", |_| {}).await.unwrap_err().to_string();
    // PostgreSQL's words, then MariaDB's.
    assert!(
        failed.contains("canceling statement due to lock timeout")
            || failed.contains("1205 (HY000): Lock wait timeout"),
        "{failed}"
    );
    assert_eq!(m.recorded_versions().await.unwrap(), ["aaaa00000001"]);

    let patient = Migrator::connect(&g, &test_db.url)
        .await
        .unwrap()
        .with_lock_wait(LockWait { retries: 30, ..quick });
    let reader_ends = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        reader.execute_unprepared("COMMIT").await.unwrap();
    });
    let done = patient.upgrade("head", |_| {}).await;
    reader_ends.await.unwrap();
    done.unwrap();
    assert_eq!(patient.current().await.unwrap(), ["dddd00000002"]);
}

#[tokio::test]
async fn postgres_steps_give_way_to_a_long_transaction() {
    steps_give_way_to_a_long_transaction(Backend::Postgres).await;
}

#[tokio::test]
async fn mariadb_steps_give_way_to_a_long_transaction() {
    steps_give_way_to_a_long_transaction(Backend::MySql).await;
}

async fn build_concurrently(db: &autogen_migrate::DataConnection) -> Result<(), sea_orm::DbErr> {
    // Refused inside a transaction block: it runs only if the step has none.
    db.execute_unprepared("CREATE INDEX CONCURRENTLY t_account_idx ON t (account_id)")
        .await?;
    db.execute_unprepared("UPDATE t SET n = n + 1").await?;
    Ok(())
}
fn backfill(op: &mut Operations) {
    op.lock_safe();
    op.run_data(build_concurrently);
}
fn no_backfill(op: &mut Operations) {
    op.lock_safe();
    op.drop_index("t", "t_account_idx");
}

/// A lock-safe revision's data step runs on PostgreSQL outside any
/// transaction, so each statement it runs commits on its own (a batched
/// backfill holds each batch's rows only while it runs).
#[tokio::test]
async fn postgres_runs_a_lock_safe_data_step_outside_any_transaction() {
    let Some(test_db) = Backend::Postgres.fresh().await else {
        return;
    };
    let g = Graph::new(&[
        module("aaaa00000001", &[], "live change", create, drop),
        module(
            "eeee00000002",
            &["aaaa00000001"],
            "live change",
            backfill,
            no_backfill,
        ),
    ])
    .unwrap();
    let m = Migrator::connect(&g, &test_db.url).await.unwrap();
    seeded(&m, 7).await;
    m.upgrade("head", |_| {}).await.unwrap();
    let db = m.connection();
    assert!(postgres_state(db)
        .await
        .contains(&"t_account_idx:true".to_owned()));
    assert_eq!(strings(db, "SELECT n::text FROM t WHERE id = 200").await, ["8"]);
    m.downgrade("base", |_| {}).await.unwrap();
}

fn drop_key(op: &mut Operations) {
    op.lock_safe();
    op.drop_constraint("account", autogen_schema::PrimaryKey::new(["id"]));
}
fn add_key(op: &mut Operations) {
    op.lock_safe();
    op.add_constraint("account", autogen_schema::PrimaryKey::new(["id"]));
}

/// On MariaDB a lock-safe change the server could only make by copying the
/// table (here, dropping a primary key with none to replace it) fails at
/// once, before changing anything, instead of copying it while writes wait.
#[tokio::test]
async fn mariadb_refuses_at_once_what_only_a_table_copy_could_do() {
    let Some(test_db) = Backend::MySql.fresh().await else {
        return;
    };
    let g = Graph::new(&[
        module("aaaa00000001", &[], "live change", create, drop),
        module(
            "ffff00000002",
            &["aaaa00000001"],
            "live change",
            drop_key,
            add_key,
        ),
    ])
    .unwrap();
    let m = Migrator::connect(&g, &test_db.url).await.unwrap();
    seeded(&m, 7).await;
    let failed = m.upgrade("head", |_| {}).await.unwrap_err().to_string();
    assert!(
        failed.contains("ALTER TABLE `account` DROP PRIMARY KEY, ALGORITHM=INPLACE, LOCK=NONE")
            && failed.contains("Try ALGORITHM=COPY"),
        "{failed}"
    );
    assert_eq!(m.current().await.unwrap(), ["aaaa00000001"]);
    let keys = strings(
        m.connection(),
        "SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'account'",
    )
    .await;
    assert_eq!(keys, ["PRIMARY"]);
}

/// A concurrent UNIQUE build that finds duplicates fails its step; the
/// INVALID index it left (which would refuse duplicate writes while helping
/// no query) is dropped at once. Once the rows are fixed, the next run
/// builds it and completes the revision.
#[tokio::test]
async fn postgres_drops_the_invalid_index_a_failed_build_leaves() {
    let Some(test_db) = Backend::Postgres.fresh().await else {
        return;
    };
    let g = graph();
    let m = Migrator::connect(&g, &test_db.url).await.unwrap();
    seeded(&m, 7).await;
    let db = m.connection();
    db.execute_unprepared("UPDATE t SET email = 'u1@example.com' WHERE id = 2")
        .await
        .unwrap();
    let failed = m.upgrade("head", |_| {}).await.unwrap_err();
    let MigrateError::StepFailed { statement, .. } = &failed else {
        panic!("{failed}");
    };
    assert!(
        statement.starts_with("CREATE UNIQUE INDEX CONCURRENTLY"),
        "{failed}"
    );
    assert!(
        !postgres_state(db)
            .await
            .iter()
            .any(|entry| entry.starts_with("t_email_key")),
        "{:?}",
        postgres_state(db).await
    );
    db.execute_unprepared("UPDATE t SET email = 'u2@example.com' WHERE id = 2")
        .await
        .unwrap();
    m.upgrade("head", |_| {}).await.unwrap();
    assert_eq!(postgres_state(db).await, CHANGED);
}

/// The lock-safe revision's `upgrade --sql`: each step with what bounds its
/// waits, each op with its codes (read by a human: see `tests/snapshots`).
/// MariaDB names the algorithm on what has an online form. One transaction
/// over the run is refused.
#[test]
fn the_script_shows_each_step() {
    let g = graph();
    let script =
        |dialect, options| autogen_migrate::script(&g, dialect, Direction::Up, "aaaa00000001:head", options);
    snapshot(
        &script(Dialect::Postgres, RunOptions::default()).unwrap(),
        "lock_safe_postgres.sql",
    );
    snapshot(
        &script(Dialect::MySql, RunOptions::default()).unwrap(),
        "lock_safe_mariadb.sql",
    );
    let one = RunOptions {
        single_transaction: true,
        ..RunOptions::default()
    };
    let refused = script(Dialect::Postgres, one).unwrap_err();
    assert!(
        refused.to_string().contains("run without --single-transaction"),
        "{refused}"
    );
}

/// Compares `text` with the file `name` under `tests/snapshots`, or writes
/// it there when `AUTOGEN_BLESS` is set.
fn snapshot(text: &str, name: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("AUTOGEN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        text,
        expected,
        "{} differs; AUTOGEN_BLESS=1 rewrites it",
        path.display()
    );
}

//! The migration lock that serializes concurrent runs on one database:
//! PostgreSQL's advisory lock [`POSTGRES_LOCK_KEY`], MySQL's named lock
//! [`MYSQL_LOCK_NAME`] (`GET_LOCK`), and on SQLite the write lock each
//! step's `BEGIN IMMEDIATE` takes, waited for as the busy timeout.
//!
//! It speaks only in the database's errors: what a lock not had in time
//! means for a run is the executor's to say.

use std::time::{Duration, Instant};

use autogen_schema::Dialect;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, RuntimeErr};

/// How long a run waits for another one to finish unless told otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(300);
/// The PostgreSQL advisory lock a run holds: "autogen" in ASCII.
pub const POSTGRES_LOCK_KEY: i64 = 0x0061_7574_6f67_656e;
/// The MySQL named lock (`GET_LOCK`) a run holds.
pub const MYSQL_LOCK_NAME: &str = "autogen_migrate";
/// How often a waiting run asks for the lock again.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// Takes the server's migration lock, asking again until `timeout` has
/// passed; on SQLite, makes each `BEGIN IMMEDIATE` wait that long for the
/// write lock. Whether the lock was had in time.
pub(crate) async fn take(
    db: &DatabaseConnection,
    dialect: Dialect,
    timeout: Duration,
) -> Result<bool, DbErr> {
    let deadline = Instant::now() + timeout;
    loop {
        if try_take(db, dialect, timeout).await? {
            return Ok(true);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        tokio::time::sleep(left.min(LOCK_POLL)).await;
    }
}

async fn try_take(db: &DatabaseConnection, dialect: Dialect, timeout: Duration) -> Result<bool, DbErr> {
    Ok(match dialect {
        Dialect::Postgres => {
            let sql = format!("SELECT pg_try_advisory_lock({POSTGRES_LOCK_KEY}) AS locked");
            answer::<bool>(db, sql, "locked").await? == Some(true)
        }
        // NULL when the attempt was interrupted: not locked.
        Dialect::MySql => {
            let sql = format!("SELECT GET_LOCK('{MYSQL_LOCK_NAME}', 0) AS locked");
            answer::<i64>(db, sql, "locked").await? == Some(1)
        }
        Dialect::Sqlite => {
            let millis = timeout.as_millis();
            db.execute_unprepared(&format!("PRAGMA busy_timeout = {millis}"))
                .await?;
            true
        }
    })
}

/// Lets the lock go.
pub(crate) async fn release(db: &DatabaseConnection, dialect: Dialect) -> Result<(), DbErr> {
    match dialect {
        Dialect::Postgres => {
            db.execute_unprepared(&format!("SELECT pg_advisory_unlock({POSTGRES_LOCK_KEY})"))
                .await?;
        }
        Dialect::MySql => {
            db.execute_unprepared(&format!("SELECT RELEASE_LOCK('{MYSQL_LOCK_NAME}')"))
                .await?;
        }
        Dialect::Sqlite => {}
    }
    Ok(())
}

/// Whether another session holds the migration lock on this database: a
/// run is going there. (SQLite's lock is taken per transaction: never held
/// between them.)
pub(crate) async fn held_elsewhere(db: &DatabaseConnection, dialect: Dialect) -> Result<bool, DbErr> {
    Ok(match dialect {
        Dialect::MySql => {
            let sql = format!(
                "SELECT CAST(COALESCE(IS_USED_LOCK('{MYSQL_LOCK_NAME}') <> CONNECTION_ID(), 0) AS SIGNED) AS other"
            );
            answer::<i64>(db, sql, "other").await? == Some(1)
        }
        // A bigint advisory key shows in `pg_locks` as its high and low
        // halves, beside the database it is taken in (each has its own).
        Dialect::Postgres => {
            let (high, low) = (POSTGRES_LOCK_KEY >> 32, POSTGRES_LOCK_KEY & 0xffff_ffff);
            let sql = format!(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
                 AND pid <> pg_backend_pid() AND classid::bigint = {high} AND objid::bigint = {low} \
                 AND objsubid = 1 \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS other"
            );
            answer::<bool>(db, sql, "other").await? == Some(true)
        }
        Dialect::Sqlite => false,
    })
}

/// Whether a statement gave up waiting for a lock on what it changes
/// (PostgreSQL's `lock_timeout`, SQLSTATE 55P03; MySQL's `lock_wait_timeout`,
/// error 1205): it did nothing, and may be run again.
pub(crate) fn is_lock_wait_timeout(error: &DbErr) -> bool {
    const MYSQL_LOCK_WAIT_TIMEOUT: u16 = 1205;
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = error else {
        return false;
    };
    let Some(e) = e.as_database_error() else {
        return false;
    };
    if let Some(mysql) = e.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
        return mysql.number() == MYSQL_LOCK_WAIT_TIMEOUT;
    }
    e.code().as_deref() == Some("55P03")
}

/// The `column` of the one row `sql` returns.
async fn answer<T: sea_orm::TryGetable>(
    db: &DatabaseConnection,
    sql: String,
    column: &str,
) -> Result<Option<T>, DbErr> {
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
    let row = db.query_one_raw(statement).await?;
    Ok(row
        .map(|r| r.try_get::<Option<T>>("", column))
        .transpose()?
        .flatten())
}

/// The lock a run holds on `dialect`, for messages.
pub(crate) fn name(dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgres => format!("PostgreSQL advisory lock {POSTGRES_LOCK_KEY}"),
        Dialect::MySql => format!("MySQL lock '{MYSQL_LOCK_NAME}'"),
        Dialect::Sqlite => "SQLite's write lock".to_owned(),
    }
}

/// Whether SQLite said the database is busy: another connection held the
/// write lock for longer than the busy timeout.
pub(crate) fn is_busy(error: &DbErr) -> bool {
    const SQLITE_BUSY: i32 = 5;
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = error else {
        return false;
    };
    // The code is SQLite's extended result code, whose low byte is the primary one.
    e.as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == SQLITE_BUSY)
}

//! What a database records about its revisions, in two tables:
//!
//! - the version table (`autogen_version`): the revisions it is at, one row
//!   per applied head, as Alembic's `alembic_version`;
//! - the revisions table (`autogen_revisions`): one row per applied revision,
//!   with the checksum of its ops when it ran, the `--tag` it ran with (the
//!   ops may depend on it) and when that was, so that an applied revision
//!   edited since can be named. A row is written in the
//!   transaction that runs its revision and removed in the one that undoes
//!   it. Revisions applied before the table existed, or only stamped, have
//!   none and are taken as they are.

use std::collections::{BTreeMap, BTreeSet};

use autogen_schema::{Dialect, REVISIONS_TABLE};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::graph::{is_revision_id, Graph};
use crate::revision::Direction;

pub(crate) use autogen_schema::VERSION_TABLE;

fn quote(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::MySql => format!("`{name}`"),
        Dialect::Sqlite | Dialect::Postgres => format!("\"{name}\""),
    }
}

/// `CREATE TABLE IF NOT EXISTS` for the version table and the revisions table.
pub(crate) fn create_sql(dialect: Dialect) -> [String; 2] {
    let q = |name: &str| quote(dialect, name);
    let timestamp = match dialect {
        Dialect::Postgres => "timestamp with time zone",
        Dialect::MySql => "datetime",
        Dialect::Sqlite => "text",
    };
    // A tag is any text, whatever the database's default character set.
    let charset = match dialect {
        Dialect::MySql => " DEFAULT CHARSET = utf8mb4",
        Dialect::Sqlite | Dialect::Postgres => "",
    };
    [
        format!(
            "CREATE TABLE IF NOT EXISTS {} ({} varchar(32) NOT NULL, CONSTRAINT {} PRIMARY KEY ({}))",
            q(VERSION_TABLE),
            q("version_num"),
            q(&format!("{VERSION_TABLE}_pkc")),
            q("version_num"),
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {} ({} varchar(32) NOT NULL, {} char(64) NOT NULL, \
             {} text, {} {timestamp} NOT NULL, CONSTRAINT {} PRIMARY KEY ({})){charset}",
            q(REVISIONS_TABLE),
            q("revision"),
            q("checksum"),
            q("tag"),
            q("applied_at"),
            q(&format!("{REVISIONS_TABLE}_pkc")),
            q("revision"),
        ),
    ]
}

/// The statements that make the version table hold exactly `heads`.
/// Revision ids are letters, digits and underscores (`Graph::new` refuses
/// others), so inlining them is safe.
pub(crate) fn write_sql(dialect: Dialect, heads: &[String]) -> Vec<String> {
    let table = quote(dialect, VERSION_TABLE);
    std::iter::once(format!("DELETE FROM {table}"))
        .chain(heads.iter().map(|h| {
            debug_assert!(is_revision_id(h));
            format!(
                "INSERT INTO {table} ({}) VALUES ('{h}')",
                quote(dialect, "version_num")
            )
        }))
        .collect()
}

/// The statements that record `revision` as run in `direction`: going up,
/// its row with `checksum` and the `tag` it ran with (a revision run again
/// replaces the row it had); going down, no row.
pub(crate) fn record_sql(
    dialect: Dialect,
    direction: Direction,
    revision: &str,
    checksum: &str,
    tag: Option<&str>,
) -> Vec<String> {
    debug_assert!(is_revision_id(revision) && checksum.chars().all(|c| c.is_ascii_hexdigit()));
    let q = |name: &str| quote(dialect, name);
    let delete = format!(
        "DELETE FROM {} WHERE {} = '{revision}'",
        q(REVISIONS_TABLE),
        q("revision")
    );
    match direction {
        Direction::Down => vec![delete],
        Direction::Up => vec![
            delete,
            format!(
                "INSERT INTO {} ({}, {}, {}, {}) VALUES ('{revision}', '{checksum}', {}, CURRENT_TIMESTAMP)",
                q(REVISIONS_TABLE),
                q("revision"),
                q("checksum"),
                q("tag"),
                q("applied_at"),
                tag.map_or_else(|| "NULL".to_owned(), |tag| crate::render::literal(dialect, tag))
            ),
        ],
    }
}

/// The statement that removes the rows of revisions that are not in
/// `applied` (for `stamp`, which moves the version table without running
/// anything).
pub(crate) fn forget_sql(dialect: Dialect, applied: &BTreeSet<String>) -> String {
    let table = quote(dialect, REVISIONS_TABLE);
    if applied.is_empty() {
        return format!("DELETE FROM {table}");
    }
    debug_assert!(applied.iter().all(|id| is_revision_id(id)));
    let ids: Vec<String> = applied.iter().map(|id| format!("'{id}'")).collect();
    format!(
        "DELETE FROM {table} WHERE {} NOT IN ({})",
        quote(dialect, "revision"),
        ids.join(", ")
    )
}

/// Whether `table` exists in the connection's database (PostgreSQL: its current schema).
pub(crate) async fn exists<C: ConnectionTrait>(db: &C, table: &str) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1",
        DbBackend::Postgres => {
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
        _ => "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
    };
    let found = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [table.into()]))
        .await?;
    Ok(found.is_some())
}

/// The version table's rows, or none if it does not exist yet.
pub(crate) async fn read<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    if !exists(db, VERSION_TABLE).await? {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT version_num FROM {VERSION_TABLE} ORDER BY version_num"),
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "version_num"))
        .collect()
}

/// What a revisions-table row says of one applied revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Recorded {
    /// Its checksum when it ran.
    pub checksum: String,
    /// The `--tag` it ran with.
    pub tag: Option<String>,
}

/// What the revisions table says of each applied revision, by revision id;
/// nothing if the table does not exist yet.
pub(crate) async fn read_checksums<C: ConnectionTrait>(db: &C) -> Result<BTreeMap<String, Recorded>, DbErr> {
    if !exists(db, REVISIONS_TABLE).await? {
        return Ok(BTreeMap::new());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT revision, checksum, tag FROM {REVISIONS_TABLE}"),
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let recorded = Recorded {
                checksum: r.try_get("", "checksum")?,
                tag: r.try_get("", "tag")?,
            };
            Ok((r.try_get("", "revision")?, recorded))
        })
        .collect()
}

/// The statements that make the version table hold `heads` and the
/// revisions table forget the revisions that are no longer applied.
pub(crate) fn stamp_sql(graph: &Graph, dialect: Dialect, heads: &[String]) -> Vec<String> {
    let applied = graph.ancestors(heads.iter().map(String::as_str));
    std::iter::once(forget_sql(dialect, &applied))
        .chain(write_sql(dialect, heads))
        .collect()
}

//! The version table: which revisions a database is at, one row per applied
//! head, as Alembic's `alembic_version`.

use autogen_schema::Dialect;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

pub use autogen_schema::VERSION_TABLE;

fn quote(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::MySql => format!("`{name}`"),
        Dialect::Sqlite | Dialect::Postgres => format!("\"{name}\""),
    }
}

/// `CREATE TABLE IF NOT EXISTS` for the version table.
pub(crate) fn create_sql(dialect: Dialect) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({} varchar(32) NOT NULL, CONSTRAINT {} PRIMARY KEY ({}))",
        quote(dialect, VERSION_TABLE),
        quote(dialect, "version_num"),
        quote(dialect, &format!("{VERSION_TABLE}_pkc")),
        quote(dialect, "version_num"),
    )
}

/// The statements that make the version table hold exactly `heads`.
/// Revision ids are letters, digits and underscores (`Graph::new` refuses
/// others), so inlining them is safe.
pub(crate) fn write_sql(dialect: Dialect, heads: &[String]) -> Vec<String> {
    let table = quote(dialect, VERSION_TABLE);
    std::iter::once(format!("DELETE FROM {table}"))
        .chain(heads.iter().map(|h| {
            debug_assert!(crate::is_revision_id(h));
            format!(
                "INSERT INTO {table} ({}) VALUES ('{h}')",
                quote(dialect, "version_num")
            )
        }))
        .collect()
}

/// The version table's rows, or none if it does not exist yet.
pub(crate) async fn read<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let exists = match backend {
        DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1",
        DbBackend::Postgres => {
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
        _ => "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
    };
    let found = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            exists,
            [VERSION_TABLE.into()],
        ))
        .await?;
    if found.is_none() {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT version_num FROM {VERSION_TABLE} ORDER BY version_num"),
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "version_num"))
        .collect()
}

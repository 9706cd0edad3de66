//! Reads a live database into autogen's schema model: the *current* side of autogenerate.
//!
//! [`introspect`] takes any SeaORM connection (or transaction) and returns a
//! [`Schema`] normalized into the dialect's terms, so that it compares equal
//! to the reflected entities when nothing has changed.
//!
//! **This crate reads; it never decides what differs.**
#![deny(missing_docs)]

mod mysql;
mod postgres;
mod sql_text;
mod sqlite;

/// Fuzzing the readers of catalog text, as proptest tests.
#[cfg(test)]
mod fuzz {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// Any text, or text near what catalogs hold: DDL keywords, quotes,
    /// parentheses, characters wider than a byte, often.
    pub(crate) fn sql_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<char>().prop_map(String::from),
            select(vec![
                "CREATE TABLE ",
                "CREATE INDEX ",
                " ON ",
                " WHERE ",
                "CHECK",
                "CONSTRAINT ",
                " NOT VALID",
                "NULL",
                "json_valid(",
                "DEFAULT_GENERATED",
                "(",
                ")",
                ",",
                "'",
                "\"",
                "`",
                "[",
                "]",
                " ",
                "é",
                "\u{a0}",
            ])
            .prop_map(str::to_owned),
        ];
        prop_oneof![
            any::<String>(),
            vec(piece, 0..24).prop_map(|pieces| pieces.concat())
        ]
    }
}

use autogen_schema::{Dialect, Schema, AUTOGEN_TABLES};
use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement};
use thiserror::Error;

/// Introspection failed.
#[derive(Debug, Error)]
pub enum Error {
    /// A catalog query failed.
    #[error("reading the database schema failed: {0}")]
    Query(#[from] DbErr),
    /// The catalog said something this crate cannot read.
    #[error("unexpected catalog data for {object}: {detail}")]
    Catalog {
        /// The object being read, e.g. `table 'post'`.
        object: String,
        /// What was wrong.
        detail: String,
    },
}

/// What to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The PostgreSQL schema to read; the connection's `current_schema()` if unset.
    /// (MySQL reads the connected database; SQLite has one.)
    pub schema: Option<String>,
    /// Read autogen's own tables too (the version table and its companions;
    /// left out by default: they are never compared).
    pub include_autogen_tables: bool,
}

/// Every table of the connected database, with columns, primary key,
/// indexes and foreign keys.
pub async fn introspect<C: ConnectionTrait>(db: &C) -> Result<Schema, Error> {
    introspect_with(db, &Options::default()).await
}

/// [`introspect`], with options.
pub async fn introspect_with<C: ConnectionTrait>(db: &C, options: &Options) -> Result<Schema, Error> {
    let mut schema = read(db, options).await?;
    if !options.include_autogen_tables {
        schema.retain_tables(|t| !AUTOGEN_TABLES.contains(&t));
    }
    Ok(schema)
}

/// The dialect of the database `db` is connected to.
pub fn dialect<C: ConnectionTrait>(db: &C) -> Dialect {
    match db.get_database_backend() {
        DbBackend::Sqlite => Dialect::Sqlite,
        DbBackend::Postgres => Dialect::Postgres,
        DbBackend::MySql => Dialect::MySql,
        other => unreachable!("SeaORM backend {other:?} has no autogen dialect"),
    }
}

/// The database schema `schema`, and, where the dialect has schemas of its
/// own (PostgreSQL), each of `others` that holds anything, under
/// [`Schema::schemas`]: what entities naming those schemas are compared with.
pub async fn introspect_schemas<'a, C: ConnectionTrait>(
    db: &C,
    schema: &str,
    others: impl IntoIterator<Item = &'a str>,
) -> Result<Schema, Error> {
    let read = |schema: &str| Options {
        schema: Some(schema.to_owned()),
        ..Options::default()
    };
    let mut found = introspect_with(db, &read(schema)).await?;
    if dialect(db).has_types_and_schemas() {
        for other in others.into_iter().filter(|other| *other != schema) {
            let there = introspect_with(db, &read(other)).await?;
            if !there.is_empty() {
                found.schemas.insert(other.to_owned(), there);
            }
        }
    }
    Ok(found)
}

async fn read<C: ConnectionTrait>(db: &C, options: &Options) -> Result<Schema, Error> {
    match db.get_database_backend() {
        DbBackend::Sqlite => sqlite::introspect(db).await,
        DbBackend::Postgres => {
            let schema = postgres_schema(db, options).await?;
            postgres::introspect(db, &schema).await
        }
        _ => mysql::introspect(db).await,
    }
}

/// The PostgreSQL schema `options` name, else the connection's `current_schema()`.
async fn postgres_schema<C: ConnectionTrait>(db: &C, options: &Options) -> Result<String, Error> {
    match &options.schema {
        Some(schema) => Ok(schema.clone()),
        None => current_schema(db).await,
    }
}

/// The schema [`introspect`] reads when [`Options::schema`] is unset, by the
/// name an entity's `schema_name` would give it: PostgreSQL's
/// `current_schema()`, MySQL's `DATABASE()`, SQLite's `main`.
pub async fn default_schema<C: ConnectionTrait>(db: &C) -> Result<String, Error> {
    match db.get_database_backend() {
        DbBackend::Sqlite => Ok("main".to_owned()),
        DbBackend::Postgres => current_schema(db).await,
        _ => {
            let row = query(db, "SELECT DATABASE() AS name", vec![]).await?;
            let name: Option<String> = match row.first() {
                Some(row) => get(row, "name")?,
                None => None,
            };
            name.ok_or_else(|| Error::Catalog {
                object: "DATABASE()".into(),
                detail: "no database is selected; name one in the URL (mysql://…/<database>)".into(),
            })
        }
    }
}

/// Objects of the schema that are not tables but share their names'
/// namespace (views, materialized views, sequences, indexes), by name, with
/// what each is: a `CREATE TABLE` of one of these names would fail.
pub async fn other_objects<C: ConnectionTrait>(
    db: &C,
    options: &Options,
) -> Result<BTreeMap<String, String>, Error> {
    let (sql, values) = match db.get_database_backend() {
        DbBackend::Sqlite => (
            "SELECT name, type AS kind FROM sqlite_master \
             WHERE type IN ('view', 'index') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
            vec![],
        ),
        DbBackend::Postgres => {
            let schema = postgres_schema(db, options).await?;
            (
                "SELECT c.relname AS name, CASE c.relkind WHEN 'v' THEN 'view' \
                   WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' \
                   WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'composite type' ELSE 'index' END AS kind \
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relkind IN ('v', 'm', 'S', 'f', 'c', 'i', 'I')",
                vec![schema.into()],
            )
        }
        _ => (
            "SELECT TABLE_NAME AS name, LOWER(TABLE_TYPE) AS kind FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE <> 'BASE TABLE'",
            vec![],
        ),
    };
    let mut objects = BTreeMap::new();
    for row in query(db, sql, values).await? {
        objects.insert(get(&row, "name")?, get(&row, "kind")?);
    }
    Ok(objects)
}

/// How many queries introspecting a MySQL or MariaDB database sends, whatever its size.
pub const MYSQL_QUERIES: usize = mysql::QUERIES;

/// How many catalog queries introspecting a PostgreSQL schema sends,
/// whatever its size (one more finds `current_schema()` when no schema is named).
pub const POSTGRES_QUERIES: usize = postgres::QUERIES;

/// Runs one catalog query.
async fn query<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<QueryResult>, Error> {
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    Ok(db.query_all_raw(statement).await?)
}

/// One column of a catalog row.
fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> Result<T, Error> {
    Ok(row.try_get("", column)?)
}

/// The table a catalog row belongs to; `source` says which catalog listed the tables.
fn table_entry<'t, T>(
    tables: &'t mut BTreeMap<String, T>,
    name: &str,
    source: &str,
) -> Result<&'t mut T, Error> {
    tables.get_mut(name).ok_or_else(|| Error::Catalog {
        object: format!("table '{name}'"),
        detail: format!("described by the catalog, but not listed by {source}"),
    })
}

async fn current_schema<C: ConnectionTrait>(db: &C) -> Result<String, Error> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_schema() AS name",
        ))
        .await?
        .ok_or_else(|| Error::Catalog {
            object: "current_schema()".into(),
            detail: "returned no row".into(),
        })?;
    Ok(row.try_get("", "name")?)
}

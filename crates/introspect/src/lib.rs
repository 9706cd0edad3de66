//! Reads a live database into autogen's schema model: the *current* side of autogenerate.
//!
//! [`introspect`] takes any SeaORM connection (or transaction) and returns a
//! [`Schema`] normalized into the dialect's terms, so that it compares equal
//! to the reflected entities when nothing has changed.
//!
//! **This crate reads; it never decides what differs.**
#![deny(missing_docs)]

mod sql_text;
mod sqlite;

use autogen_schema::{Dialect, Schema};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
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
    /// This backend cannot be introspected by this version.
    #[error("introspecting {0} databases is not supported yet; use SQLite")]
    Unsupported(Dialect),
}

/// Every table of the connected database, with columns, primary key,
/// indexes and foreign keys.
pub async fn introspect<C: ConnectionTrait>(db: &C) -> Result<Schema, Error> {
    match db.get_database_backend() {
        DbBackend::Sqlite => sqlite::introspect(db).await,
        DbBackend::Postgres => Err(Error::Unsupported(Dialect::Postgres)),
        _ => Err(Error::Unsupported(Dialect::MySql)),
    }
}

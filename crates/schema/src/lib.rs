//! autogen's schema model and operation vocabulary: the one representation
//! every other crate speaks.
//!
//! - [`Schema`], [`Table`], [`Column`], [`ColumnType`], [`Index`], [`ForeignKey`]:
//!   what a database holds, filled from SeaORM entities (`autogen-reflect`) or a
//!   live database (`autogen-introspect`).
//! - [`Op`]: one schema change. Revision files build ops; [`Op::apply`] replays
//!   them into a schema with no database, and [`invert_all`] computes a
//!   downgrade from an upgrade plus the schema before it;
//!   [`destructive_changes`] says which ops can lose data, and [`lock_risks`]
//!   which take long locks on a live table, each with stable codes.
//! - [`Dialect`]: how a backend stores types and defaults, so that comparisons
//!   happen in the terms of one backend rather than of Rust enums, and what
//!   its `ALTER TABLE` changes in place ([`Dialect::in_place`]; the rest is
//!   an [`Op::rebuild`] of the table).
//!
//! **This crate does no I/O.** It never connects, reads files or prints; its
//! failures are typed values ([`ApplyError`], [`InvertError`], [`UnsupportedType`]).
#![deny(missing_docs)]

mod destructive;
mod dialect;
mod locking;
mod model;
mod op;
mod rebuild;
mod sea_query_types;
mod sql_words;
mod warning;

pub use destructive::{destructive_changes, DestructiveChange, DestructiveKind};
pub use dialect::{strip_parens, Dialect, UnsupportedType};
pub use locking::{changed_table, lock_risks, runs_lock_safe, DdlMode, LockKind, LockRisk};
pub use model::{
    split_rename_hint, Check, Column, ColumnType, Constraint, DefaultValue, ForeignKey, ForeignKeyAction,
    Index, IndexPart, IntervalFields, PrimaryKey, Schema, StringLen, Table, UniqueConstraint,
};
pub use op::{invert_all, replay, ApplyError, Description, InvertError, Op};
pub use rebuild::{InPlace, RebuildReason};
pub use sql_words::condition_columns;
pub use warning::Warning;

/// The table that records which revisions a database is at (Alembic's
/// `alembic_version`). It is autogen's own, never part of a compared schema.
pub const VERSION_TABLE: &str = "autogen_version";

/// The table beside [`VERSION_TABLE`] that keeps, per applied revision, the
/// checksum of its ops when it ran (the version table keeps only heads).
pub const REVISIONS_TABLE: &str = "autogen_revisions";

/// The table where, on MySQL and MariaDB, a run writes down each statement
/// of a revision before running it, so a run that stops half way leaves
/// word of which statements took effect.
pub const JOURNAL_TABLE: &str = "autogen_journal";

/// Every table autogen keeps for itself; none is part of a compared schema.
pub const AUTOGEN_TABLES: [&str; 3] = [VERSION_TABLE, REVISIONS_TABLE, JOURNAL_TABLE];

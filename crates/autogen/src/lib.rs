//! autogen: Alembic's migration workflow for SeaORM projects.
//!
//! Change an entity, run `autogen revision --autogenerate -m "add bio"`,
//! review the Rust revision file it writes, and apply it with
//! `autogen upgrade head`. This crate is what a project depends on:
//!
//! - [`prelude`]: everything a revision file uses (`use autogen::prelude::*;`).
//! - [`Project`] and [`cli::run`]: a migration crate's `main` registers its
//!   entities and hands over the command line.
//! - [`startup`]: an application's own connection brought to head at
//!   start-up, and where it stands, for readiness checks.
//! - [`command`]: every command as a function, for tools.
//! - [`entities`]: where the compared entities come from: their source,
//!   read without a build, or the ones the migration crate registers.
//! - [`compare`]: the autogenerate step alone (a connection and entities in,
//!   schemas and ops out), for tools.
//! - [`verify`]: every revision run up and down on a scratch database, each
//!   step held to what its ops say.
//! - [`database`]: the one way commands connect, bounded in time, and the
//!   errors that say what was tried.
//! - the `autogen` binary ([`launcher::launch`]): finds `autogen.toml` and runs the
//!   migration crate with the same arguments.
//!
//! The work is done by the `autogen-*` crates (schema model, reflection,
//! introspection, diff, codegen, migrate); this crate wires them together and
//! is the only one that prints or chooses exit codes.
#![deny(missing_docs)]

/// The build-script helper: a migration crate's `build.rs` calls
/// `autogen::build::versions()` (with `default-features = false`, which
/// leaves out everything else).
pub use autogen_build as build;

/// Items of the `runtime` feature: everything but [`build`].
macro_rules! runtime {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "runtime")]
            $item
        )*
    };
}

runtime! {
    pub mod check;
    pub mod cli;
    pub mod command;
    pub mod compare;
    pub mod config;
    pub mod database;
    pub mod entities;
    pub mod fresh;
    pub mod hooks;
    mod init;
    mod inspect;
    pub mod launcher;
    mod listing;
    pub mod reconcile;
    pub mod scope;
    pub mod startup;
    pub mod verify;
    // The types the public functions take and return, so that a program
    // needs only this crate.
    pub use autogen_codegen::ReportLine;
    pub use autogen_diff::{ObjectKind, Options as DiffOptions};
    pub use autogen_migrate::{
        DataConnection, DataFn, DataStepOptions, Direction, Graph, GraphError, Interrupted, LockWait,
        MigrateError, Migrator, Node, Operations, Revision, RevisionModule, RunOptions, SchemaReader,
        StatementState, Step, Unfinished, Versions,
    };
    pub use autogen_reflect::{ElsewhereEntity, Entities, SourceLocation, SourceLocations};
    pub use autogen_schema::{
        DdlMode, DestructiveChange, DestructiveKind, Dialect, LockKind, LockRisk, Op, Schema, Warning,
    };
    /// The SeaORM autogen connects with, for the connections
    /// [`compare::compare_database`] takes.
    pub use sea_orm;
}

/// docs/programmatic.md, whose every snippet compiles (see build.rs).
#[cfg(all(doctest, feature = "runtime"))]
#[doc = include_str!(concat!(env!("OUT_DIR"), "/programmatic.md"))]
mod programmatic_md {}

/// What a revision file needs: `use autogen::prelude::*;`.
#[cfg(feature = "runtime")]
pub mod prelude {
    pub use autogen_migrate::{DataConnection, Operations, Revision};
    pub use autogen_schema::{
        Check, Column, ColumnType, Constraint, DefaultValue, ForeignKey, ForeignKeyAction, Index,
        IntervalFields, PrimaryKey, StringLen, Table, UniqueConstraint,
    };
    pub use sea_orm::DbErr;
}

/// A migration crate's revisions and the entities they should produce.
#[cfg(feature = "runtime")]
#[derive(Clone, Debug)]
pub struct Project {
    /// The revision files, from `include_versions!()`.
    pub versions: Versions,
    /// The target entities.
    pub entities: Entities,
    /// What autogenerate compares (tables left out of it are never created or dropped).
    pub compare: autogen_diff::Options,
}

#[cfg(feature = "runtime")]
impl Project {
    /// A project with these revisions and no entities yet.
    pub fn new(versions: Versions) -> Self {
        Self {
            versions,
            entities: Entities::new(),
            compare: autogen_diff::Options::default(),
        }
    }

    /// Leaves a table out of autogenerate and `check`, e.g. one another tool owns.
    pub fn exclude_table(mut self, name: impl Into<String>) -> Self {
        self.compare = self.compare.exclude_table(name);
        self
    }

    /// Compares only the tables `keep` accepts (Alembic's `include_name`).
    pub fn include_tables(mut self, keep: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.compare = self.compare.include_tables(keep);
        self
    }

    /// Registers an entity as part of the target schema.
    pub fn entity<E: sea_orm::EntityTrait>(mut self, entity: E) -> Self {
        self.entities = self.entities.entity(entity);
        self
    }
}

/// Defines `VERSIONS` from the revision files `autogen::build::versions()`
/// found in `src/versions` when the migration crate was built.
#[macro_export]
macro_rules! include_versions {
    () => {
        include!(concat!(env!("OUT_DIR"), "/autogen_versions.rs"));
    };
}

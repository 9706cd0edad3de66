//! autogen's revision machinery: the revision graph, the version table, and
//! running revisions against a database.
//!
//! - [`Operations`] is the `op` a revision's `upgrade`/`downgrade` receives;
//!   it records [`autogen_schema::Op`]s and touches nothing.
//! - [`Graph`] links revisions by `down_revision` (a DAG: branches and merges
//!   allowed) and resolves targets (`head`, `+1`, `-1`, `base`, a prefix) into
//!   the revisions to run.
//! - [`Migrator`] runs them, each revision and its [`VERSION_TABLE`] update
//!   in one transaction; [`render`] turns ops into SQL per dialect.
//!
//! **This crate knows nothing about entities**: it runs what revision files
//! say and never decides what they should say.
#![deny(missing_docs)]

mod executor;
mod graph;
mod render;
mod revision;
mod target;

pub use executor::{dialect_of, Direction, MigrateError, Migrator, Step, VERSION_TABLE};
pub use graph::{Graph, GraphError, Node};
pub use render::{render, RenderError};
pub use revision::{Operations, Revision, RevisionModule, Versions};

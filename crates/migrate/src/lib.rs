//! autogen's revision machinery: the revision graph, the version table, and
//! running revisions against a database.
//!
//! - [`Operations`] is the `op` a revision's `upgrade`/`downgrade` receives;
//!   it records [`autogen_schema::Op`]s and touches nothing.
//! - [`Graph`] links revisions by `down_revision` (a DAG: branches and merges
//!   allowed) and resolves targets (`head`, `+1`, `-1`, `base`, a prefix) into
//!   the revisions to run.
//! - [`Migrator`] runs them, each revision and its
//!   [`VERSION_TABLE`](autogen_schema::VERSION_TABLE) update
//!   in one transaction, under a lock that serializes concurrent runs; it
//!   keeps a checksum of each applied revision's ops, to name revisions
//!   edited after they were applied ([`RevisionModule::checksum`]), and on
//!   MySQL a journal of each revision's statements, to say exactly what a
//!   run that stopped half way left behind ([`Interrupted`]); a lock-safe
//!   revision (`op.lock_safe()`) runs on PostgreSQL in steps that each
//!   commit, journaled so that the next run completes one that stopped
//!   between them ([`Unfinished`]);
//!   [`script`] prints the same run as SQL without connecting (`--sql`);
//!   [`render`] turns ops into SQL per dialect.
//!
//! **This crate knows nothing about entities**: it runs what revision files
//! say and never decides what they should say.
#![deny(missing_docs)]

mod data;
mod error;
mod executor;
mod graph;
mod journal;
mod lock;
mod plan;
mod portable;
mod render;
mod replay;
mod revision;
mod script;
mod target;
#[cfg(test)]
mod test_history;
mod version_table;

pub use data::{DataConnection, DataFn};
pub use error::{Interrupted, MigrateError, Unfinished};
pub use executor::{Migrator, SchemaReader};
pub use graph::{is_revision_id, Graph, GraphError, Node};
pub use journal::StatementState;
pub use lock::{DEFAULT_LOCK_TIMEOUT, MYSQL_LOCK_NAME, POSTGRES_LOCK_KEY};
pub use plan::{lock_safe_note, LockWait, RunOptions, Step};
pub use render::{render, RenderError};
pub use replay::{replay_history, replay_revision, ReplayError, Replayed, Unreplayable};
pub use revision::{DataStepOptions, Direction, Operations, Revision, RevisionModule, Versions};
pub use script::{script, stamp_script};

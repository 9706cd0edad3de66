//! End-to-end tests: the real `autogen` binary, driving scratch projects in
//! temporary directories against real databases.

/// `Scratch`: a temporary project and the `autogen` command run inside it.
mod util;

/// The walking skeleton on SQLite: init → autogenerate → upgrade → change → downgrade.
mod workflow;

/// `init` in projects shaped like real SeaORM apps.
mod init;

/// Mistakes a user makes, and the errors that name them.
mod errors;

/// Every command over a branched history, on SQLite.
mod commands;

/// A SeaORM 1.x application adopted, its lock untouched.
mod seaorm1;

/// The revision commands on PostgreSQL and MariaDB.
mod servers;

/// The README's pre-commit hook and CI job, on the example.
mod integration;

/// `verify`: each revision run up and down on a scratch database, on SQLite, PostgreSQL and MariaDB.
mod verify;

/// Random schemas and changes to them, shared with `crates/autogen/tests/properties.rs`.
#[path = "../crates/autogen/tests/schemas/mod.rs"]
mod schemas;

/// Revisions rendered from random schema changes compile, run, and verify.
mod generated;

/// A run killed inside a revision, and the run after it, on SQLite, PostgreSQL and MariaDB.
mod killed;

/// squawk, the PostgreSQL migration linter, on generated revisions, plain and lock-safe.
mod online;

/// Applied revisions whose files are edited since, on SQLite.
mod edited;

/// The launcher runs the migration crate's executable without cargo while nothing it is built from changed.
mod launcher;

/// The command line's conventions: help examples, colour, --quiet and --verbose,
/// completions, post-write hooks and revision templates.
mod cli;

/// `baseline`: adopting a database sea-orm-migration built, on SQLite, PostgreSQL and MariaDB.
mod baseline;

/// Adopting a project built as real ones are (`fixtures/adopt`): init, baseline, reconcile, a green
/// check, then one entity edit, on SQLite, PostgreSQL and MariaDB.
mod adopt;

/// The code blocks and console examples of a Markdown document, shared with `crates/autogen/tests/docs.rs`.
#[path = "../crates/autogen/tests/markdown/mod.rs"]
mod markdown;

/// The documentation's console examples, run, print what they show.
mod documented;

/// Migrating where production runs: the blog application's replicas migrating at start-up together,
/// and data steps (code run with the connection) on SQLite, PostgreSQL and MariaDB.
mod production;

/// `fresh`, sea-orm-cli's `migrate fresh`: a development database rebuilt from the history, a remote one refused.
mod fresh;

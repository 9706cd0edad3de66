//! The whole autogenerate step as one function, for tools: a database
//! connection and the entities in, both schemas and the upgrade and
//! downgrade ops out. No `autogen.toml`, revision history or file involved.
//!
//! ```no_run
//! # async fn plan(db: &sea_orm::DatabaseConnection, entities: &autogen::Entities) -> anyhow::Result<()> {
//! let comparison = autogen::compare::compare_database(db, entities, &Default::default()).await?;
//! for op in &comparison.upgrade {
//!     println!("{op}");
//! }
//! # Ok(()) }
//! ```

use anyhow::{bail, Context as _, Result};
use autogen_reflect::{ElsewhereEntity, Entities};
use autogen_schema::{destructive_changes, invert_all, DestructiveChange, Dialect, Op, Schema};
use sea_orm::ConnectionTrait;

/// What to compare.
#[derive(Clone, Debug, Default)]
pub struct CompareOptions {
    /// The database schema to compare (PostgreSQL); the connection's
    /// `current_schema()` if unset. MySQL compares the connected database,
    /// SQLite `main`.
    pub schema: Option<String>,
    /// Which tables take part (Alembic's `include_name`).
    pub tables: autogen_diff::Options,
}

/// What autogenerate compared and what it found.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The backend, whose terms everything was compared in.
    pub dialect: Dialect,
    /// The database schema compared, by the name an entity's `schema_name` would give it.
    pub schema: String,
    /// The database as it is (tables left out by the options are absent).
    pub current: Schema,
    /// The entities, as SeaORM would create them on this backend.
    pub target: Schema,
    /// The ops that turn `current` into `target`, in an order the database accepts.
    pub upgrade: Vec<Op>,
    /// The ops that undo `upgrade`.
    pub downgrade: Vec<Op>,
    /// The upgrade ops that can lose data or fail on existing rows.
    pub destructive: Vec<DestructiveChange>,
    /// Registered entities in another schema, which this comparison left out
    /// (on PostgreSQL none: each schema the entities name is compared, its
    /// ops wrapped in [`Op::InSchema`]).
    pub set_aside: Vec<ElsewhereEntity>,
}

/// Compares the database `db` is connected to with `entities`.
///
/// Fails, before anything could run, when no entity is registered (every
/// table would be dropped) or when a table to create has the name of a view
/// or other object the database already has.
pub async fn compare_database<C: ConnectionTrait>(
    db: &C,
    entities: &Entities,
    options: &CompareOptions,
) -> Result<Comparison> {
    if entities.is_empty() {
        bail!(
            "no entities are registered, so autogenerate would drop every table; \
             register them in the migration crate's main.rs with `.entity(your_crate::user::Entity)`"
        );
    }
    let dialect = autogen_migrate::dialect_of(db.get_database_backend());
    let schema = match &options.schema {
        Some(schema) => schema.clone(),
        None => autogen_introspect::default_schema(db).await?,
    };
    let read = autogen_introspect::Options {
        schema: Some(schema.clone()),
        ..Default::default()
    };
    let mut current = autogen_introspect::introspect_with(db, &read).await?;
    let mut target = entities.schema(dialect, Some(&schema));
    let mut upgrade = autogen_diff::diff(&current, &target, dialect, &options.tables);
    refuse_blocked_tables(db, &read, &upgrade).await?;
    // On PostgreSQL every schema the entities name is compared too, in its
    // own terms; its ops run there. Elsewhere such entities are set aside.
    let mut set_aside = entities.elsewhere(Some(&schema));
    if dialect == Dialect::Postgres {
        set_aside.clear();
        for other in entities.schema_names().into_iter().filter(|s| *s != schema) {
            let read = autogen_introspect::Options {
                schema: Some(other.to_owned()),
                ..Default::default()
            };
            let there = autogen_introspect::introspect_with(db, &read).await?;
            let wanted = entities.schema_named(dialect, other);
            let ops = autogen_diff::diff(&there, &wanted, dialect, &options.tables);
            refuse_blocked_tables(db, &read, &ops).await?;
            if !ops.is_empty() {
                upgrade.push(Op::InSchema {
                    schema: other.to_owned(),
                    ops,
                });
            }
            for (side, schema) in [(&mut current, there), (&mut target, wanted)] {
                if !schema.is_empty() {
                    side.schemas.insert(other.to_owned(), schema);
                }
            }
        }
    }
    let downgrade = invert_all(&upgrade, &current).context("cannot compute the downgrade")?;
    let destructive = destructive_changes(&upgrade, &current, dialect);
    current.retain_tables(|t| options.tables.includes(t));
    target.retain_tables(|t| options.tables.includes(t));
    Ok(Comparison {
        dialect,
        set_aside,
        schema,
        current,
        target,
        upgrade,
        downgrade,
        destructive,
    })
}

/// A table to create whose name a view (or sequence, index…) already has
/// would fail when the revision runs; say so now, naming the object.
async fn refuse_blocked_tables<C: ConnectionTrait>(
    db: &C,
    read: &autogen_introspect::Options,
    upgrade: &[Op],
) -> Result<()> {
    let created: Vec<&str> = upgrade
        .iter()
        .filter_map(|op| match op {
            Op::CreateTable(table) => Some(table.name.as_str()),
            _ => None,
        })
        .collect();
    if created.is_empty() {
        return Ok(());
    }
    let others = autogen_introspect::other_objects(db, read).await?;
    let blocked: Vec<String> = created
        .iter()
        .filter_map(|name| others.get(*name).map(|kind| format!("'{name}' is a {kind}")))
        .collect();
    if !blocked.is_empty() {
        bail!(
            "autogenerate would create a table named like an object the database already has \
             ({}); rename or drop that object, or leave the table out with `.exclude_table(...)` \
             in the migration crate's main.rs; no file was written",
            blocked.join(", ")
        );
    }
    Ok(())
}

//! The whole autogenerate step as one function, for tools: a database
//! connection and the entities in, both schemas and the upgrade and
//! downgrade ops out. No `autogen.toml`, revision history or file involved.
//!
//! Every type it takes and returns is re-exported by `autogen`:
//!
//! ```no_run
//! # async fn plan(entities: &autogen::Entities) -> anyhow::Result<()> {
//! use autogen::compare::{compare_database, CompareOptions};
//! use autogen::{DiffOptions, Op};
//!
//! let db = autogen::sea_orm::Database::connect("postgres://app@localhost/app").await?;
//! let options = CompareOptions {
//!     schema: None,
//!     tables: DiffOptions::default().exclude_table("audit_log"),
//! };
//! let comparison = compare_database(&db, entities, &options).await?;
//! for op in &comparison.upgrade {
//!     if matches!(op, Op::DropTable { .. }) {
//!         println!("{}", op.describe(comparison.dialect));
//!     }
//! }
//! # Ok(()) }
//! ```

use anyhow::{bail, Context as _, Result};
use autogen_reflect::{ElsewhereEntity, Entities, SourceLocation, SourceLocations};
use autogen_schema::{
    destructive_changes, invert_all, lock_risks, DdlMode, DestructiveChange, Dialect, LockKind, LockRisk, Op, Schema,
};
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

/// How the revision a comparison becomes runs its DDL, and which lock
/// risks (`AG2xx`) the project accepts without a word: `[online]` in
/// autogen.toml, and for one revision `--lock-safe`, `--no-lock-safe` and
/// `--allow`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockPolicy {
    /// Plain or lock-safe.
    pub mode: DdlMode,
    /// Lock risks neither reported nor refused.
    pub allow: Vec<LockKind>,
}

impl LockPolicy {
    /// The project's policy, from `[online]`.
    pub fn of(config: &crate::config::Config) -> Self {
        Self {
            mode: if config.online.lock_safe {
                DdlMode::LockSafe
            } else {
                DdlMode::Plain
            },
            allow: config.online.allow.clone(),
        }
    }
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
    /// Where the compared entities and their columns are declared (entities
    /// read from source only).
    pub locations: SourceLocations,
    /// How the upgrade would run, for the lock risks it carries
    /// ([`Comparison::lock_risks`]); plain, allowing nothing, unless set.
    pub lock_policy: LockPolicy,
}

impl Comparison {
    /// The entity field or struct `op` comes from, for an op about a table
    /// or column an entity declares (`schema`: the one of an
    /// [`Op::InSchema`] it is in). A dropped table has none.
    pub fn source_of(&self, op: &Op, schema: Option<&str>) -> Option<&SourceLocation> {
        let (table, column) = subject(op)?;
        match schema {
            Some(schema) => self.locations.get(Some(schema), table, column),
            None => self
                .locations
                .get(None, table, column)
                .or_else(|| self.locations.get(Some(&self.schema), table, column)),
        }
    }

    /// The lock risks the upgrade carries on a live database, run as
    /// [`Comparison::lock_policy`] says, less those it allows.
    pub fn lock_risks(&self) -> Vec<LockRisk> {
        let policy = &self.lock_policy;
        lock_risks(&self.upgrade, &self.current, self.dialect, policy.mode)
            .into_iter()
            .filter(|risk| !policy.allow.contains(&risk.kind))
            .collect()
    }

    /// What a reviewer is warned of, op by op: what can lose data, then
    /// what can hold a table.
    pub fn warnings(&self) -> Vec<autogen_schema::Warning> {
        autogen_schema::Warning::of(&self.destructive, self.lock_risks())
    }

    /// Each line of the "Detected …" report, naming the entity source of the
    /// changes that have one, with its warnings under it.
    pub fn report(&self) -> Vec<autogen_codegen::ReportLine> {
        autogen_codegen::report(&self.upgrade, &self.warnings(), self.dialect, &|op, schema| {
            self.source_of(op, schema).map(ToString::to_string)
        })
    }
}

/// The table an op is about, and its column when it is about one.
fn subject(op: &Op) -> Option<(&str, Option<&str>)> {
    Some(match op {
        Op::CreateTable(table) | Op::RecreateTable { table, .. } => (&table.name, None),
        Op::AddColumn { table, column } => (table, Some(&column.name)),
        Op::AlterColumn { table, to, .. } => (table, Some(&to.name)),
        Op::RenameColumn { table, to, .. } => (table, Some(to)),
        Op::FillNulls { table, column, .. } => (table, Some(column)),
        Op::DropColumn { table, .. }
        | Op::AddConstraint { table, .. }
        | Op::DropConstraint { table, .. }
        | Op::AlterTableComment { table, .. }
        | Op::DropIndex { table, .. } => (table, None),
        Op::CreateIndex(index) => match index.parts.as_slice() {
            [autogen_schema::IndexPart::Column(column)] => (&index.table, Some(column)),
            _ => (&index.table, None),
        },
        _ => return None,
    })
}

/// The schema a comparison reads: the one configured, else the
/// connection's default (PostgreSQL's `current_schema()`).
pub(crate) async fn compared_schema<C: ConnectionTrait>(db: &C, configured: Option<&str>) -> Result<String> {
    Ok(match configured {
        Some(schema) => schema.to_owned(),
        None => autogen_introspect::default_schema(db).await?,
    })
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
    refuse_no_entities(entities)?;
    let dialect = autogen_introspect::dialect(db);
    let schema = compared_schema(db, options.schema.as_deref()).await?;
    let current = autogen_introspect::introspect_schemas(db, &schema, entities.schema_names()).await?;
    let comparison = compare_schemas(current, entities, dialect, &schema, &options.tables)?;
    for (in_schema, ops) in created_tables(&comparison.upgrade, &schema) {
        let read = autogen_introspect::Options {
            schema: Some(in_schema.to_owned()),
            ..Default::default()
        };
        refuse_blocked_tables(db, &read, ops).await?;
    }
    Ok(comparison)
}

/// The database `db` is connected to compared with nothing: the ops that
/// create its schema from empty (`upgrade`) and drop it again (`downgrade`),
/// for `autogen baseline`. `current` is empty and `target` is the database.
/// Tables another migration tool keeps (`seaql_migrations`…) and those the
/// options leave out are not part of it: they belong to someone else.
pub async fn compare_with_empty<C: ConnectionTrait>(db: &C, options: &CompareOptions) -> Result<Comparison> {
    let dialect = autogen_introspect::dialect(db);
    let schema = compared_schema(db, options.schema.as_deref()).await?;
    let read = autogen_introspect::Options {
        schema: Some(schema.clone()),
        ..Default::default()
    };
    let mut target = autogen_introspect::introspect_with(db, &read).await?;
    let tables = options
        .tables
        .clone()
        .include_tables(|t| !autogen_diff::is_tool_table(t));
    target.retain_tables(|t| tables.includes(t));
    // Unnamed, such a key would be created as SeaORM names it, and the
    // baseline would not build the database it was taken from.
    dialect.name_generated_primary_keys(&mut target);
    let current = Schema::default();
    let upgrade = autogen_diff::diff(&current, &target, dialect, &tables);
    // Dropping the tables outright, rather than undoing each op: MySQL will
    // not drop an index a foreign key needs before the table that holds both.
    let downgrade = autogen_diff::diff(&target, &current, dialect, &tables);
    let destructive = destructive_changes(&upgrade, &current, dialect);
    Ok(Comparison {
        dialect,
        schema,
        current,
        target,
        upgrade,
        downgrade,
        destructive,
        set_aside: Vec::new(),
        locations: SourceLocations::default(),
        lock_policy: LockPolicy::default(),
    })
}

/// Compares a schema already in hand (`current`, e.g. a revision history
/// replayed) with `entities`, in `dialect`'s terms; `schema` is the name of
/// the database schema it stands for. On PostgreSQL, each schema the
/// entities name is compared with `current.schemas` (missing: empty), and its
/// ops are wrapped in [`Op::InSchema`]; elsewhere such entities are set aside.
pub fn compare_schemas(
    current: Schema,
    entities: &Entities,
    dialect: Dialect,
    schema: &str,
    tables: &autogen_diff::Options,
) -> Result<Comparison> {
    refuse_no_entities(entities)?;
    let (target, set_aside) = entities.schema_and_others(dialect, schema);
    Ok(Comparison {
        set_aside,
        locations: entities.locations(),
        ..compare_with_schema(current, target, dialect, schema, tables)?
    })
}

/// `current` compared with `target`, a schema in hand rather than entities
/// (the history replayed, for a migration binary with no entity sources).
pub fn compare_with_schema(
    mut current: Schema,
    mut target: Schema,
    dialect: Dialect,
    schema: &str,
    tables: &autogen_diff::Options,
) -> Result<Comparison> {
    dialect.retain_what_it_holds(&mut current);
    let upgrade = autogen_diff::diff_in_schemas(&current, &target, dialect, tables);
    let downgrade = invert_all(&upgrade, &current).context("cannot compute the downgrade")?;
    let destructive = destructive_changes(&upgrade, &current, dialect);
    current.retain_tables(|t| tables.includes(t));
    target.retain_tables(|t| tables.includes(t));
    Ok(Comparison {
        dialect,
        schema: schema.to_owned(),
        current,
        target,
        upgrade,
        downgrade,
        destructive,
        set_aside: Vec::new(),
        locations: Default::default(),
        lock_policy: LockPolicy::default(),
    })
}

/// The columns of `index` if entity attributes can say it (`indexed` or
/// `unique` on one column, `unique_key` on several); `None` for an index
/// over several columns that is not unique, a partial one, or one on an
/// expression, which only `[declare]` can keep.
pub(crate) fn attribute_columns(index: &autogen_schema::Index) -> Option<Vec<&str>> {
    let columns: Option<Vec<&str>> = index
        .parts
        .iter()
        .map(|part| match part {
            autogen_schema::IndexPart::Column(name) => Some(name.as_str()),
            autogen_schema::IndexPart::Expression(_) => None,
        })
        .collect();
    columns.filter(|c| index.where_clause.is_none() && (index.unique || c.len() == 1))
}

/// For each index the upgrade drops that no entity attribute can express
/// (over several columns and not unique, partial, on an expression), how to
/// keep it: a reviewer must not read its drop as the entities' wish.
pub fn undeclarable_drops(comparison: &Comparison) -> Vec<String> {
    fn walk(ops: &[Op], current: &Schema, notes: &mut Vec<String>) {
        for op in ops {
            match op {
                Op::DropIndex { table, name } => {
                    let Some(index) = current.table(table).and_then(|t| t.get_index(name)) else {
                        continue;
                    };
                    if attribute_columns(index).is_none() {
                        notes.push(format!(
                            "index '{name}' on '{table}' is dropped because no entity declares it, and no entity \
                             attribute can; to keep it, declare it under [declare] in autogen.toml, or run \
                             `autogen reconcile`, which does"
                        ));
                    }
                }
                Op::RecreateTable { changes, .. } => walk(changes, current, notes),
                Op::InSchema { schema, ops } => {
                    if let Some(inner) = current.schemas.get(schema) {
                        walk(ops, inner, notes);
                    }
                }
                _ => {}
            }
        }
    }
    let mut notes = Vec::new();
    walk(&comparison.upgrade, &comparison.current, &mut notes);
    notes
}

fn refuse_no_entities(entities: &Entities) -> Result<()> {
    if entities.is_empty() {
        bail!(
            "no entities were found, so autogenerate would drop every table; name the directories of \
             your entity sources with `entities = [\"entity/src\"]` in autogen.toml, or register the \
             entities in the migration crate's main.rs with `.entity(your_crate::user::Entity)`"
        );
    }
    Ok(())
}

/// `upgrade`'s ops by the database schema they run in.
fn created_tables<'a>(upgrade: &'a [Op], schema: &'a str) -> Vec<(&'a str, &'a [Op])> {
    let mut found = vec![(schema, upgrade)];
    for op in upgrade {
        if let Op::InSchema { schema, ops } = op {
            found.push((schema.as_str(), ops.as_slice()));
        }
    }
    found
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

/// `current` compared with `target` as autogenerate would, for tests of
/// what reads a comparison.
#[cfg(test)]
pub(crate) fn compared(current: &Schema, target: &Schema, dialect: Dialect) -> Comparison {
    Comparison {
        dialect,
        schema: "main".into(),
        current: current.clone(),
        target: target.clone(),
        upgrade: autogen_diff::diff(current, target, dialect, &Default::default()),
        downgrade: Vec::new(),
        destructive: Vec::new(),
        set_aside: Vec::new(),
        locations: SourceLocations::default(),
        lock_policy: LockPolicy::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autogen_schema::{Column, ColumnType, Index, Table};

    #[test]
    fn a_dropped_index_no_entity_can_declare_names_how_to_keep_it() {
        let mut partial = Index::new("idx_live", "post", ["a"]);
        partial.where_clause = Some("b IS NULL".into());
        let post = Table::new("post")
            .column(Column::new("a", ColumnType::Integer))
            .column(Column::new("b", ColumnType::Integer).nullable())
            .index(Index::new("idx_a", "post", ["a"]))
            .index(Index::new("uq_a_b", "post", ["a", "b"]).unique())
            .index(Index::new("idx_a_b", "post", ["a", "b"]))
            .index(partial);
        let mut current = Schema::new();
        current.insert(post.clone());
        let mut target = Schema::new();
        target.insert(Table { indexes: Vec::new(), ..post });
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            let notes = undeclarable_drops(&compared(&current, &target, dialect));
            let named: Vec<&str> = notes
                .iter()
                .map(|n| n.split('\'').nth(1).unwrap())
                .collect();
            assert_eq!(named, ["idx_a_b", "idx_live"], "{dialect}: {notes:#?}");
            assert!(notes[0].contains("[declare] in autogen.toml"), "{}", notes[0]);
        }
    }
}

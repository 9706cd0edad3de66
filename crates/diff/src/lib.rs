//! Compares two schemas and lists the [`Op`]s that turn one into the other.
//!
//! [`diff`] is the whole entry point: `current` is what the database (or the
//! replayed revision history) holds, `target` is what the entities declare,
//! and [`Options`] says which tables to compare.
//! The ops come out in an order a database accepts: tables are created before
//! the tables whose foreign keys point at them and dropped after them, indexes
//! are created after their table and dropped before their columns.
//!
//! **This crate decides what differs; it renders nothing and does no I/O.**
#![deny(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use autogen_schema::{Check, DefaultValue, Dialect, Index, Op, Schema, Table};

mod table;

/// What to compare: Alembic's `include_name` / `include_object`.
#[derive(Clone, Default)]
pub struct Options {
    table_filters: Vec<TableFilter>,
    fills: Fills,
    declared_indexes: Vec<Index>,
    declared_checks: Vec<(String, Check)>,
    ignored: Vec<(ObjectKind, String)>,
    ignore_server_defaults: bool,
}

/// The kinds of object [`Options::ignore`] leaves out by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// A table, with everything in it.
    Table,
    /// An index, unique or not.
    Index,
    /// A UNIQUE constraint.
    Unique,
    /// A foreign key.
    ForeignKey,
    /// A CHECK constraint.
    Check,
}

/// One-off values for existing rows, by table and column.
pub(crate) type Fills = BTreeMap<(String, String), DefaultValue>;

/// Says whether a table, by name, is compared.
type TableFilter = Arc<dyn Fn(&str) -> bool + Send + Sync>;

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("table_filters", &self.table_filters.len())
            .field("fills", &self.fills)
            .field("declared_indexes", &self.declared_indexes)
            .field("declared_checks", &self.declared_checks)
            .field("ignored", &self.ignored)
            .field("ignore_server_defaults", &self.ignore_server_defaults)
            .finish()
    }
}

impl Options {
    /// Compares only the tables `keep` accepts (on both sides); every filter must accept a table.
    pub fn include_tables(mut self, keep: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.table_filters.push(Arc::new(keep));
        self
    }

    /// Leaves the table `name` out of the comparison on both sides.
    pub fn exclude_table(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.include_tables(move |table| table != name)
    }

    /// Whether `table` is compared.
    pub fn includes(&self, table: &str) -> bool {
        self.table_filters.iter().all(|keep| keep(table))
    }

    /// Gives the rows `table` already has a one-off `value` in `column` where
    /// the diff adds it NOT NULL with no default, or makes it NOT NULL: the
    /// column is added nullable (or stays so), filled, then made NOT NULL,
    /// and the value is never its default.
    pub fn fill(mut self, table: impl Into<String>, column: impl Into<String>, value: DefaultValue) -> Self {
        self.fills.insert((table.into(), column.into()), value);
        self
    }

    /// Declares an index no entity attribute can express (composite and
    /// not unique, partial, on an expression) as part of the target beside
    /// the entities: it is kept, created where missing, and never dropped.
    /// It applies where its table is compared.
    pub fn declare_index(mut self, index: Index) -> Self {
        self.declared_indexes.push(index);
        self
    }

    /// Declares a CHECK on `table` that the entities cannot carry, as
    /// [`Options::declare_index`] does an index.
    pub fn declare_check(mut self, table: impl Into<String>, check: Check) -> Self {
        self.declared_checks.push((table.into(), check));
        self
    }

    /// Leaves out, on both sides, every object of `kind` whose name matches
    /// `pattern` (`*` matches any run of characters): Alembic's
    /// `include_object`, for what a team does not manage from the entities.
    /// An object the backend named itself has no name to match but `*`.
    pub fn ignore(mut self, kind: ObjectKind, pattern: impl Into<String>) -> Self {
        let pattern = pattern.into();
        if kind == ObjectKind::Table {
            let table_pattern = pattern.clone();
            self = self.include_tables(move |table| !glob_matches(&table_pattern, table));
        }
        self.ignored.push((kind, pattern));
        self
    }

    /// Whether server defaults are compared (Alembic's
    /// `compare_server_default`; on unless turned off). Off, a kept
    /// column's default is never changed; a new table or column still gets
    /// the entity's.
    pub fn compare_server_default(mut self, compare: bool) -> Self {
        self.ignore_server_defaults = !compare;
        self
    }

    /// Whether `kind` named `name` is left out ([`Options::ignore`]).
    fn ignores(&self, kind: ObjectKind, name: Option<&str>) -> bool {
        self.ignored.iter().any(|(k, pattern)| {
            *k == kind && (pattern == "*" || name.is_some_and(|n| glob_matches(pattern, n)))
        })
    }

    /// `target` with the declared objects added to the tables it has.
    fn declare_into(&self, target: &mut Schema) {
        for index in &self.declared_indexes {
            if let Some(table) = target.tables.get_mut(&index.table) {
                if !table.indexes.iter().any(|i| i.name == index.name) {
                    table.indexes.push(index.clone());
                }
            }
        }
        for (name, check) in &self.declared_checks {
            if let Some(table) = target.tables.get_mut(name) {
                if !table.checks.contains(check) {
                    table.checks.push(check.clone());
                }
            }
        }
    }

    /// `schema` without the objects [`Options::ignore`] leaves out.
    fn forget_ignored(&self, schema: &mut Schema) {
        if self.ignored.is_empty() {
            return;
        }
        for table in schema.tables.values_mut() {
            // MySQL reports a UNIQUE constraint as a unique index: either kind names it.
            table.indexes.retain(|i| {
                let ignored = self.ignores(ObjectKind::Index, Some(&i.name))
                    || (i.unique && self.ignores(ObjectKind::Unique, Some(&i.name)));
                !ignored
            });
            table
                .unique_constraints
                .retain(|u| !self.ignores(ObjectKind::Unique, u.name.as_deref()));
            table
                .foreign_keys
                .retain(|fk| !self.ignores(ObjectKind::ForeignKey, fk.name.as_deref()));
            table
                .checks
                .retain(|c| !self.ignores(ObjectKind::Check, c.name.as_deref()));
        }
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
fn glob_matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(mut tail) = text.strip_prefix(head) else {
                return false;
            };
            // Try each place the rest of the pattern could start.
            loop {
                if glob_matches(rest, tail) {
                    return true;
                }
                let mut chars = tail.chars();
                if chars.next().is_none() {
                    return false;
                }
                tail = chars.as_str();
            }
        }
    }
}

/// Gives each column `target` shares with `current` the default `current`
/// has, so defaults compare equal where they are not managed.
fn keep_current_defaults(current: &Schema, target: &mut Schema) {
    for table in target.tables.values_mut() {
        let Some(now) = current.table(&table.name) else {
            continue;
        };
        for column in &mut table.columns {
            if let Some(old) = now.get_column(&column.name) {
                column.default.clone_from(&old.default);
            }
        }
    }
}

/// The ops that turn `current` into `target`, in dependency order, over the
/// tables `options` includes, compared in the terms of `dialect`.
pub fn diff(current: &Schema, target: &Schema, dialect: Dialect, options: &Options) -> Vec<Op> {
    let mut current = current.clone();
    let mut target = target.clone();
    current.retain_tables(|t| options.includes(t));
    target.retain_tables(|t| options.includes(t));
    options.declare_into(&mut target);
    options.forget_ignored(&mut current);
    options.forget_ignored(&mut target);
    if options.ignore_server_defaults {
        keep_current_defaults(&current, &mut target);
    }
    dialect.to_stored(&mut current);
    dialect.to_stored(&mut target);
    diff_all(&current, &target, dialect, &options.fills)
}

/// [`diff`], then, for each other database schema `target` holds
/// ([`Schema::schemas`]), the ops that turn the schema of that name in
/// `current` (missing: empty) into it, wrapped in [`Op::InSchema`].
pub fn diff_in_schemas(current: &Schema, target: &Schema, dialect: Dialect, options: &Options) -> Vec<Op> {
    let mut ops = diff(current, target, dialect, options);
    for (name, wanted) in &target.schemas {
        let there = current.schemas.get(name).cloned().unwrap_or_default();
        let changes = diff(&there, wanted, dialect, options);
        if !changes.is_empty() {
            ops.push(Op::InSchema {
                schema: name.clone(),
                ops: changes,
            });
        }
    }
    ops
}

/// The ops that turn `current` into `target`, in dependency order.
///
/// Renames come first, so everything after compares columns by their new
/// names. Constraints and indexes that go are dropped before the columns they
/// cover change; tables and columns are added, columns altered, then indexes
/// and constraints created (foreign keys last); columns, tables and enum types
/// are removed at the end, once nothing that is kept still needs them.
fn diff_all(current: &Schema, target: &Schema, dialect: Dialect, fills: &Fills) -> Vec<Op> {
    let mut ops = Vec::new();
    // Enum types come before the tables that use them and go after them; a
    // changed label list changes before any column needs the new labels.
    for (name, variants) in &target.enums {
        match current.enums.get(name) {
            None => ops.push(Op::CreateEnum {
                name: name.clone(),
                variants: variants.clone(),
            }),
            Some(labels) if labels != variants => ops.push(Op::AlterEnum {
                name: name.clone(),
                from: labels.clone(),
                to: variants.clone(),
            }),
            Some(_) => {}
        }
    }
    let renames = renames(current, target);
    let current =
        &autogen_schema::replay(current, &renames).expect("a rename is only proposed where it applies");
    ops.extend(renames);

    let added: Vec<&Table> = target
        .tables
        .values()
        .filter(|t| current.table(&t.name).is_none())
        .collect();
    // A table another tool keeps (its migration history) has no entity
    // because it is not the application's; it is never proposed for dropping.
    let removed: Vec<&Table> = current
        .tables
        .values()
        .filter(|t| target.table(&t.name).is_none() && !is_tool_table(&t.name))
        .collect();
    let changes: Vec<table::TableChanges> = target
        .tables
        .values()
        .filter_map(|want| {
            current
                .table(&want.name)
                .map(|now| table::compare(now, want, dialect, fills))
        })
        .collect();

    for c in &changes {
        ops.extend(c.drop_constraints.iter().cloned());
    }
    for c in &changes {
        ops.extend(c.drop_indexes.iter().cloned());
    }
    for table in dependency_order(&added) {
        let mut bare = table.clone();
        let indexes = std::mem::take(&mut bare.indexes);
        for column in &mut bare.columns {
            column.renamed_from = None;
        }
        ops.push(Op::CreateTable(bare));
        ops.extend(indexes.into_iter().map(Op::CreateIndex));
    }
    for c in &changes {
        ops.extend(c.add_columns.iter().cloned());
    }
    for c in &changes {
        ops.extend(c.fills.iter().cloned());
    }
    for c in &changes {
        ops.extend(c.alter_columns.iter().cloned());
        ops.extend(c.recreate.clone());
    }
    for c in &changes {
        ops.extend(c.create_indexes.iter().cloned());
    }
    for c in &changes {
        ops.extend(c.add_constraints.iter().cloned());
    }
    ops.extend(changes.iter().filter_map(|c| c.comment.clone()));
    for c in &changes {
        ops.extend(c.drop_columns.iter().cloned());
    }
    let mut drop_order = dependency_order(&removed);
    drop_order.reverse();
    ops.extend(
        drop_order
            .into_iter()
            .map(|t| Op::DropTable { name: t.name.clone() }),
    );
    for name in current
        .enums
        .keys()
        .filter(|name| !target.enums.contains_key(*name))
    {
        ops.push(Op::DropEnum { name: name.clone() });
    }
    ops
}

/// Tables other migration tools keep their own history in. Alembic leaves its
/// `alembic_version` out of autogenerate the same way; autogen's own
/// version table is left out by introspection already.
const TOOL_TABLES: &[&str] = &[
    "seaql_migrations",
    "alembic_version",
    "__diesel_schema_migrations",
    "_sqlx_migrations",
    "refinery_schema_history",
    "django_migrations",
    "flyway_schema_history",
    "goose_db_version",
    "atlas_schema_revisions",
    "schema_migrations",
    "_prisma_migrations",
    "knex_migrations",
    "knex_migrations_lock",
    "databasechangelog",
    "databasechangeloglock",
    "__EFMigrationsHistory",
];

/// Whether `table` is one that another migration tool keeps its history in
/// (`seaql_migrations`, `alembic_version`, `_sqlx_migrations`…).
pub fn is_tool_table(table: &str) -> bool {
    TOOL_TABLES.contains(&table)
}

/// A column the entities say was `renamed_from` another is renamed when the
/// database still has the old name, lacks the new one, and the old name is
/// not wanted as a column of its own.
fn renames(current: &Schema, target: &Schema) -> Vec<Op> {
    let mut ops = Vec::new();
    for want in target.tables.values() {
        let Some(now) = current.table(&want.name) else {
            continue;
        };
        for column in &want.columns {
            let Some(old) = &column.renamed_from else {
                continue;
            };
            // Two columns naming the same old one: the first takes it, the
            // second is new (and shows as added in the file under review).
            let claimed = ops.iter().any(
                |op| matches!(op, Op::RenameColumn { table, from, .. } if *table == want.name && from == old),
            );
            let applies = now.get_column(old).is_some()
                && now.get_column(&column.name).is_none()
                && want.get_column(old).is_none()
                && !claimed;
            if applies {
                ops.push(Op::RenameColumn {
                    table: want.name.clone(),
                    from: old.clone(),
                    to: column.name.clone(),
                });
            }
        }
    }
    ops
}

/// `tables` ordered so that each comes after every table in the set it
/// references. Ties, and tables caught in a reference cycle, go in name order.
fn dependency_order<'a>(tables: &[&'a Table]) -> Vec<&'a Table> {
    let names: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut pending: BTreeMap<&str, BTreeSet<&str>> = tables
        .iter()
        .map(|t| {
            let deps = t.referenced_tables().filter(|r| names.contains(r)).collect();
            (t.name.as_str(), deps)
        })
        .collect();
    let by_name: BTreeMap<&str, &Table> = tables.iter().map(|t| (t.name.as_str(), *t)).collect();
    let mut ordered = Vec::with_capacity(tables.len());
    while !pending.is_empty() {
        let ready: Vec<&str> = pending
            .iter()
            .filter(|(_, deps)| deps.is_empty())
            .map(|(name, _)| *name)
            .collect();
        // In a cycle nothing is ready: break it at the first name.
        let batch = if ready.is_empty() {
            vec![*pending.keys().next().expect("pending is not empty")]
        } else {
            ready
        };
        for name in batch {
            pending.remove(name);
            for deps in pending.values_mut() {
                deps.remove(name);
            }
            ordered.push(by_name[name]);
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use autogen_schema::{Column, ColumnType, DefaultValue, ForeignKey, ForeignKeyAction, StringLen};

    fn table(name: &str) -> Table {
        Table::new(name)
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .primary_key(["id"])
    }

    fn schema(tables: impl IntoIterator<Item = Table>) -> Schema {
        let mut s = Schema::new();
        tables.into_iter().for_each(|t| s.insert(t));
        s
    }

    fn check(current: &Schema, target: &Schema, expected: &[&str]) {
        let ops = diff(current, target, Dialect::Postgres, &Options::default());
        let described: Vec<String> = ops.iter().map(ToString::to_string).collect();
        assert_eq!(described, expected);
        // The ops must take `current` exactly to `target`.
        let replayed = autogen_schema::replay(current, &ops).unwrap();
        assert!(
            diff(&replayed, target, Dialect::Postgres, &Options::default()).is_empty(),
            "{ops:#?}"
        );
    }

    #[test]
    fn each_other_schema_the_target_holds_is_compared_in_its_own_op() {
        let mut current = schema([table("a")]);
        current.schemas.insert("old".into(), schema([table("gone")]));
        current.schemas.insert("audit".into(), schema([table("entry")]));
        let mut target = schema([table("a")]);
        target
            .schemas
            .insert("audit".into(), schema([table("entry"), table("note")]));
        target.schemas.insert("fresh".into(), schema([table("b")]));
        let ops = diff_in_schemas(&current, &target, Dialect::Postgres, &Options::default());
        let described: Vec<String> = ops.iter().map(ToString::to_string).collect();
        // A schema only `current` holds is left alone: no entity names it.
        assert_eq!(
            described,
            [
                "in schema 'audit': added table 'note'",
                "in schema 'fresh': added table 'b'"
            ]
        );
    }

    #[test]
    fn identical_schemas_have_no_ops() {
        let s = schema([table("a"), table("b").index(Index::new("ix", "b", ["id"]))]);
        assert!(diff(&s, &s, Dialect::Postgres, &Options::default()).is_empty());
    }

    #[test]
    fn tables_are_created_referenced_first_and_dropped_referencing_first() {
        let comment = table("comment")
            .column(Column::new("post_id", ColumnType::Integer))
            .foreign_key(ForeignKey::new(["post_id"], "post", ["id"]));
        let post = table("post")
            .column(Column::new("user_id", ColumnType::Integer))
            .foreign_key(ForeignKey::new(["user_id"], "user", ["id"]))
            .index(Index::new("idx-post-user_id", "post", ["user_id"]));
        let full = schema([comment, post, table("user")]);
        check(
            &Schema::new(),
            &full,
            &[
                "added table 'user'",
                "added table 'post'",
                "added index 'idx-post-user_id' on 'post' (user_id)",
                "added table 'comment'",
            ],
        );
        check(
            &full,
            &Schema::new(),
            &[
                "removed table 'comment'",
                "removed table 'post'",
                "removed table 'user'",
            ],
        );
    }

    #[test]
    fn columns_and_indexes_added_and_removed() {
        let before = schema([table("user")
            .column(Column::new("name", ColumnType::Text))
            .index(Index::new("idx-user-name", "user", ["name"]))]);
        let after = schema([table("user")
            .column(Column::new("bio", ColumnType::Text).nullable())
            .index(Index::new("idx-user-bio", "user", ["bio"]).unique())]);
        check(
            &before,
            &after,
            &[
                "removed index 'idx-user-name' on 'user'",
                "added column 'user.bio'",
                "added unique index 'idx-user-bio' on 'user' (bio)",
                "removed column 'user.name'",
            ],
        );
    }

    #[test]
    fn a_changed_index_is_dropped_then_recreated() {
        let before = schema([table("t")
            .column(Column::new("a", ColumnType::Text))
            .index(Index::new("ix", "t", ["a"]))]);
        let after = schema([table("t")
            .column(Column::new("a", ColumnType::Text))
            .index(Index::new("ix", "t", ["a"]).unique())]);
        check(
            &before,
            &after,
            &["removed index 'ix' on 't'", "added unique index 'ix' on 't' (a)"],
        );
    }

    #[test]
    fn enum_types_are_created_first_and_dropped_last() {
        let mut with_enum =
            schema([table("user").column(Column::new("mood", ColumnType::enumeration("mood", ["ok"])))]);
        with_enum.enums.insert("mood".into(), vec!["ok".into()]);
        check(
            &Schema::new(),
            &with_enum,
            &["added enum 'mood' (ok)", "added table 'user'"],
        );
        check(
            &with_enum,
            &Schema::new(),
            &["removed table 'user'", "removed enum 'mood'"],
        );
        let mut more_labels = schema([table("user").column(Column::new(
            "mood",
            ColumnType::enumeration("mood", ["ok", "sad"]),
        ))]);
        more_labels
            .enums
            .insert("mood".into(), vec!["ok".into(), "sad".into()]);
        check(
            &with_enum,
            &more_labels,
            &["altered enum 'mood' (ok) -> (ok, sad)"],
        );
    }

    #[test]
    fn filtered_tables_are_not_compared() {
        let current = schema([table("legacy"), table("user")]);
        let target = schema([table("user"), table("audit")]);
        let options = Options::default()
            .exclude_table("legacy")
            .include_tables(|t| !t.starts_with("aud"));
        assert!(diff(&current, &target, Dialect::Postgres, &options).is_empty());
        assert_eq!(
            diff(&current, &target, Dialect::Postgres, &Options::default()).len(),
            2
        );
    }

    #[test]
    fn other_tools_history_tables_are_never_dropped() {
        let current = schema([table("seaql_migrations"), table("alembic_version"), table("user")]);
        let target = schema([table("user")]);
        assert!(diff(&current, &target, Dialect::Postgres, &Options::default()).is_empty());
        // An entity for one makes it the application's table, compared as any other.
        let owned = schema([
            table("user"),
            table("seaql_migrations").column(Column::new("note", ColumnType::Text)),
        ]);
        check(&current, &owned, &["added column 'seaql_migrations.note'"]);
    }

    #[test]
    fn indexes_pair_by_what_they_index_when_names_differ() {
        let by_hand = schema([table("post")
            .column(Column::new("user_id", ColumnType::Integer))
            .column(Column::new("slug", ColumnType::Text))
            .index(Index::new("idx_post_user_id", "post", ["user_id"]))
            .index(Index::new("post_slug_idx", "post", ["slug"]))]);
        let entities = schema([table("post")
            .column(Column::new("user_id", ColumnType::Integer))
            .column(Column::new("slug", ColumnType::Text))
            .index(Index::new("idx-post-user_id", "post", ["user_id"]))
            .index(Index::new("idx-post-slug", "post", ["slug"]).unique())]);
        // The user_id index is the same one; the slug one really changes.
        check(
            &by_hand,
            &entities,
            &[
                "removed index 'post_slug_idx' on 'post'",
                "added unique index 'idx-post-slug' on 'post' (slug)",
            ],
        );
    }

    #[test]
    fn a_foreign_key_name_counts_only_when_both_sides_chose_one() {
        let fk = || ForeignKey::new(["team_id"], "team", ["id"]);
        let with = |key: ForeignKey| {
            schema([
                table("team"),
                table("user")
                    .column(Column::new("team_id", ColumnType::Integer))
                    .foreign_key(key),
            ])
        };
        // The database's own name against an entity that chose none: the same key.
        assert!(diff(
            &with(fk().name("fk_user_team")),
            &with(fk()),
            Dialect::Postgres,
            &Options::default()
        )
        .is_empty());
        // A name the entity chose (`fk_name`) holds the database to it.
        check(
            &with(fk().name("fk_user_team")),
            &with(fk().name("user_team_fk")),
            &[
                "removed foreign key 'fk_user_team' (team_id) -> team (id) on 'user'",
                "added foreign key 'user_team_fk' (team_id) -> team (id) on 'user'",
            ],
        );
    }

    #[test]
    fn a_one_column_unique_index_is_the_columns_unique() {
        let by_hand = schema([table("user")
            .column(Column::new("email", ColumnType::Text))
            .index(Index::new("uq_user_email", "user", ["email"]).unique())]);
        let entities = schema([table("user").column(Column::new("email", ColumnType::Text).unique())]);
        for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
            assert!(diff(&by_hand, &entities, dialect, &Options::default()).is_empty());
            assert!(diff(&entities, &by_hand, dialect, &Options::default()).is_empty());
        }
        // A partial unique index is not the column's UNIQUE.
        let partial = schema([table("user")
            .column(Column::new("email", ColumnType::Text))
            .index(
                Index::new("uq_user_email", "user", ["email"])
                    .unique()
                    .where_clause("email <> ''"),
            )]);
        check(
            &partial,
            &entities,
            &[
                "removed index 'uq_user_email' on 'user'",
                "altered column 'user.email': now unique",
            ],
        );
    }

    #[test]
    fn reference_cycles_and_self_references_still_order() {
        let a = table("a")
            .column(Column::new("b_id", ColumnType::Integer))
            .foreign_key(ForeignKey::new(["b_id"], "b", ["id"]));
        let b = table("b")
            .column(Column::new("a_id", ColumnType::Integer))
            .column(Column::new("parent_id", ColumnType::Integer))
            .foreign_key(ForeignKey::new(["a_id"], "a", ["id"]))
            .foreign_key(ForeignKey::new(["parent_id"], "b", ["id"]));
        check(
            &Schema::new(),
            &schema([a, b]),
            &["added table 'a'", "added table 'b'"],
        );
    }

    #[test]
    fn columns_change_in_place_and_back() {
        let before = schema([table("user")
            .column(Column::new("age", ColumnType::Integer))
            .column(Column::new("bio", ColumnType::Text))
            .column(Column::new("name", ColumnType::String(StringLen::N(40))).default("x"))]);
        let after = schema([table("user")
            .column(Column::new("age", ColumnType::BigInteger))
            .column(Column::new("bio", ColumnType::Text).nullable().comment("about"))
            .column(Column::new("name", ColumnType::String(StringLen::N(40))))]);
        check(
            &before,
            &after,
            &[
                "altered column 'user.age': type Integer -> BigInteger",
                "altered column 'user.bio': now nullable; comment None -> Some(\"about\")",
                "altered column 'user.name': default String(\"x\") -> none",
            ],
        );
        check(
            &after,
            &before,
            &[
                "altered column 'user.age': type BigInteger -> Integer",
                "altered column 'user.bio': now NOT NULL; comment Some(\"about\") -> None",
                "altered column 'user.name': default none -> String(\"x\")",
            ],
        );
    }

    #[test]
    fn what_a_dialect_cannot_tell_apart_is_no_change() {
        let stored = schema([table("t")
            .column(
                Column::new("n", ColumnType::Integer)
                    .default(DefaultValue::Null)
                    .nullable(),
            )
            .column(Column::new("p_id", ColumnType::Integer))
            .foreign_key(ForeignKey::new(["p_id"], "t", ["id"]).on_delete(ForeignKeyAction::Restrict))
            .check_unnamed("`n` > (0)")]);
        let declared = schema([table("t")
            .column(
                Column::new("n", ColumnType::BigInteger)
                    .nullable()
                    .comment("count"),
            )
            .column(Column::new("p_id", ColumnType::Integer))
            .foreign_key(ForeignKey::new(["p_id"], "t", ["id"]).name("fk-t-p"))
            .check("n_positive", "n > 0")]);
        // SQLite stores both integers as `integer`, keeps no comment and no FK name.
        let sqlite = diff(&stored, &declared, Dialect::Sqlite, &Options::default());
        let described: Vec<String> = sqlite.iter().map(ToString::to_string).collect();
        // A check's name is left to the backend on one side, so only the
        // action differs, which SQLite changes by recreating the table.
        assert_eq!(
            described,
            [
                "recreated table 't' to change it in place: removed foreign key (p_id) -> t (id) on 't'; \
              added foreign key 'fk-t-p' (p_id) -> t (id) on 't'"
            ]
        );
        // MySQL reports an unspecified action as RESTRICT; the column comment does count there.
        let mysql = diff(&stored, &declared, Dialect::MySql, &Options::default());
        let described: Vec<String> = mysql.iter().map(ToString::to_string).collect();
        assert_eq!(
            described,
            ["altered column 't.n': type Integer -> BigInteger; comment None -> Some(\"count\")"]
        );
    }

    #[test]
    fn constraints_are_dropped_first_and_added_last_foreign_keys_outermost() {
        let before = schema([
            table("a"),
            table("b")
                .column(Column::new("a_id", ColumnType::Integer))
                .column(Column::new("code", ColumnType::Text))
                .foreign_key(ForeignKey::new(["a_id"], "a", ["id"]).name("fk-b-a"))
                .check("code_set", "code <> ''"),
        ]);
        let after = schema([
            table("a"),
            table("b")
                .column(Column::new("a_id", ColumnType::Integer))
                .column(Column::new("code", ColumnType::Text))
                .foreign_key(
                    ForeignKey::new(["a_id"], "a", ["id"])
                        .name("fk-b-a")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .unique("b_code", ["a_id", "code"])
                .comment("the b table"),
        ]);
        check(
            &before,
            &after,
            &[
                "removed foreign key 'fk-b-a' (a_id) -> a (id) on 'b'",
                "removed check constraint 'code_set' (code <> '') on 'b'",
                "added unique constraint 'b_code' (a_id, code) on 'b'",
                "added foreign key 'fk-b-a' (a_id) -> a (id) on 'b'",
                "set comment on table 'b' to \"the b table\"",
            ],
        );
    }

    #[test]
    fn sqlite_recreates_a_table_it_cannot_alter_in_place() {
        let before = schema([
            table("team"),
            table("user")
                .column(Column::new("name", ColumnType::Text))
                .column(Column::new("team_id", ColumnType::Integer))
                .column(Column::new("old", ColumnType::Text).nullable())
                .index(Index::new("idx-user-name", "user", ["name"])),
        ]);
        let after = schema([
            table("team"),
            table("user")
                .column(Column::new("name", ColumnType::Text).nullable())
                .column(Column::new("team_id", ColumnType::Integer))
                .column(Column::new("code", ColumnType::Text).unique())
                .foreign_key(ForeignKey::new(["team_id"], "team", ["id"]))
                .index(Index::new("idx-user-name", "user", ["name"])),
        ]);
        let ops = diff(&before, &after, Dialect::Sqlite, &Options::default());
        let [Op::RecreateTable {
            table: recreated,
            copy,
            changes,
        }] = ops.as_slice()
        else {
            panic!("one recreation: {ops:#?}");
        };
        assert_eq!(recreated, after.table("user").unwrap());
        assert_eq!(copy, &["id", "name", "team_id"]);
        let lines: Vec<String> = changes
            .iter()
            .map(|op| op.describe(Dialect::Sqlite).to_string())
            .collect();
        assert_eq!(
            lines,
            [
                "added column 'user.code'",
                "altered column 'user.name': now nullable",
                "added foreign key (team_id) -> team (id) on 'user'",
                "removed column 'user.old'",
            ]
        );
        let replayed = autogen_schema::replay(&before, &ops).unwrap();
        assert!(diff(&replayed, &after, Dialect::Sqlite, &Options::default()).is_empty());
        // Its inverse recreates the table as it was.
        let back = autogen_schema::invert_all(&ops, &before).unwrap();
        assert_eq!(autogen_schema::replay(&replayed, &back).unwrap(), before);
        // What SQLite can do in place stays in place.
        let plain = schema([
            table("team"),
            table("user").column(Column::new("bio", ColumnType::Text).nullable()),
        ]);
        let added = diff(
            &schema([table("team"), table("user")]),
            &plain,
            Dialect::Sqlite,
            &Options::default(),
        );
        assert!(matches!(added.as_slice(), [Op::AddColumn { .. }]), "{added:#?}");
    }

    /// The reviewer sees the column the entity added as an `add_column`, not
    /// hidden in a rebuild an unrelated change needs.
    #[test]
    fn an_added_nullable_column_stays_an_add_column_beside_a_sqlite_rebuild() {
        let before = schema([table("user")
            .column(Column::new("name", ColumnType::Text).default("x"))
            .index(Index::new("user_name_hand_named", "user", ["name"]))]);
        let after = schema([table("user")
            .column(Column::new("name", ColumnType::Text))
            .column(Column::new("bio", ColumnType::Text).nullable())
            .index(Index::new("idx-user-name", "user", ["name"]))]);
        let ops = diff(&before, &after, Dialect::Sqlite, &Options::default());
        let described: Vec<String> = ops
            .iter()
            .map(|op| op.describe(Dialect::Sqlite).to_string())
            .collect();
        assert_eq!(
            described,
            [
                "added column 'user.bio'",
                "recreated table 'user' to change it in place: altered column 'user.name': default String(\"x\") -> none",
            ]
        );
        let Op::RecreateTable { copy, table, .. } = &ops[1] else {
            panic!("{ops:#?}")
        };
        assert_eq!(
            copy,
            &["id", "name", "bio"],
            "the rebuild keeps the added column's rows"
        );
        assert_eq!(
            table.indexes[0].name, "user_name_hand_named",
            "the database's own name for the index survives the rebuild"
        );
        let replayed = autogen_schema::replay(&before, &ops).unwrap();
        assert!(diff(&replayed, &after, Dialect::Sqlite, &Options::default()).is_empty());
    }

    /// A value given for existing rows goes in before NOT NULL, on every
    /// backend, and is never the column's default.
    #[test]
    fn a_one_off_value_fills_existing_rows_before_a_column_becomes_not_null() {
        let before = schema([table("user").column(Column::new("bio", ColumnType::Text).nullable())]);
        let after = schema([table("user")
            .column(Column::new("bio", ColumnType::Text).default("none"))
            .column(Column::new("slug", ColumnType::Text))]);
        let options = Options::default()
            .fill("user", "bio", DefaultValue::String("".into()))
            .fill("user", "slug", DefaultValue::String("untitled".into()));
        for (dialect, expected) in [
            (
                Dialect::Postgres,
                &[
                    "added column 'user.slug'",
                    "filled NULLs of 'user.bio' with String(\"\") (existing rows only)",
                    "filled NULLs of 'user.slug' with String(\"untitled\") (existing rows only)",
                    "altered column 'user.bio': now NOT NULL; default none -> String(\"none\")",
                    "altered column 'user.slug': now NOT NULL",
                ][..],
            ),
            (
                Dialect::Sqlite,
                &[
                    "added column 'user.slug'",
                    "filled NULLs of 'user.bio' with String(\"\") (existing rows only)",
                    "filled NULLs of 'user.slug' with String(\"untitled\") (existing rows only)",
                    "recreated table 'user' to change it in place: altered column 'user.bio': now NOT NULL; \
                     default none -> String(\"none\"); altered column 'user.slug': now NOT NULL",
                ][..],
            ),
        ] {
            let ops = diff(&before, &after, dialect, &options);
            let described: Vec<String> = ops.iter().map(|op| op.describe(dialect).to_string()).collect();
            assert_eq!(described, expected, "{dialect}");
            let Op::AddColumn { column, .. } = &ops[0] else {
                panic!("{ops:#?}")
            };
            assert!(column.nullable && column.default.is_none(), "{column:?}");
            let replayed = autogen_schema::replay(&before, &ops).unwrap();
            assert!(diff(&replayed, &after, dialect, &Options::default()).is_empty());
            assert!(
                autogen_schema::destructive_changes(&ops, &before, dialect).is_empty(),
                "{dialect}"
            );
        }
        // Without the values, both are flagged.
        let ops = diff(&before, &after, Dialect::Postgres, &Options::default());
        let codes: Vec<&str> = autogen_schema::destructive_changes(&ops, &before, Dialect::Postgres)
            .iter()
            .map(|c| c.kind.code())
            .collect();
        assert_eq!(codes, ["AG107", "AG104"]);
    }

    /// What the entities cannot say, declared beside them, is part of the
    /// target: kept where it is, created where it is missing.
    #[test]
    fn declared_indexes_and_checks_are_kept_and_created_never_dropped() {
        let by_author = Index::new("idx_post_author_created", "post", ["author_id", "created_at"]);
        let mut live = Index::new("idx_post_live", "post", ["created_at"]);
        live.where_clause = Some("deleted_at IS NULL".into());
        let rating = Check::new("rating BETWEEN 1 AND 5").name("post_rating");
        let post = || {
            table("post")
                .column(Column::new("author_id", ColumnType::Integer))
                .column(Column::new("created_at", ColumnType::DateTime))
                .column(Column::new("deleted_at", ColumnType::DateTime).nullable())
                .column(Column::new("rating", ColumnType::Integer))
        };
        let database = schema([post()
            .index(by_author.clone())
            .check("post_rating", "rating BETWEEN 1 AND 5")]);
        let entities = schema([post()]);
        let options = Options::default()
            .declare_index(by_author.clone())
            .declare_index(live.clone())
            .declare_check("post", rating)
            .declare_index(Index::new("idx_gone", "gone", ["id"]));
        let ops = diff(&database, &entities, Dialect::Postgres, &options);
        assert_eq!(ops, [Op::CreateIndex(live)], "only the missing one, none dropped");
        // Without the declarations the database's objects read as drift.
        let undeclared: Vec<String> = diff(&database, &entities, Dialect::Postgres, &Options::default())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            undeclared,
            [
                "removed check constraint 'post_rating' (rating BETWEEN 1 AND 5) on 'post'",
                "removed index 'idx_post_author_created' on 'post'",
            ]
        );
    }

    #[test]
    fn ignored_objects_and_unmanaged_defaults_are_no_change() {
        let database = schema([
            table("post")
                .column(Column::new("title", ColumnType::Text).default("untitled"))
                .index(Index::new("ix_legacy_title", "post", ["title"]))
                .check("legacy_title", "title <> ''"),
            table("legacy_audit"),
        ]);
        let entities = schema([
            table("post").column(Column::new("title", ColumnType::Text)),
            table("user").column(Column::new("name", ColumnType::Text).default("anon")),
        ]);
        let options = Options::default()
            .ignore(ObjectKind::Index, "ix_legacy_*")
            .ignore(ObjectKind::Check, "legacy_*")
            .ignore(ObjectKind::Table, "legacy_*")
            .compare_server_default(false);
        let ops = diff(&database, &entities, Dialect::Postgres, &options);
        let [Op::CreateTable(user)] = ops.as_slice() else {
            panic!("{ops:#?}")
        };
        assert_eq!(
            user.get_column("name").unwrap().default,
            Some("anon".into()),
            "a new table still gets the entity's defaults"
        );
        // Today's defaults compare all of it.
        let all: Vec<String> = diff(&database, &entities, Dialect::Postgres, &Options::default())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            all,
            [
                "removed check constraint 'legacy_title' (title <> '') on 'post'",
                "removed index 'ix_legacy_title' on 'post'",
                "added table 'user'",
                "altered column 'post.title': default String(\"untitled\") -> none",
                "removed table 'legacy_audit'",
            ]
        );
        // MySQL keeps a UNIQUE constraint as a unique index; ignoring the constraint covers it.
        let mysql = schema([table("post")
            .column(Column::new("title", ColumnType::Text))
            .index(Index::new("uq_legacy", "post", ["title"]).unique())]);
        let bare = schema([table("post").column(Column::new("title", ColumnType::Text))]);
        let options = Options::default().ignore(ObjectKind::Unique, "uq_legacy");
        assert!(diff(&mysql, &bare, Dialect::MySql, &options).is_empty());
        assert!(glob_matches("ix_*_title", "ix_legacy_title"));
        assert!(!glob_matches("ix_*_title", "ix_legacy_name"));
        assert!(glob_matches("*", ""));
    }

    /// SQLite's `DROP COLUMN` refuses a UNIQUE column.
    #[test]
    fn dropping_a_unique_column_recreates_the_table_on_sqlite() {
        let before = schema([table("user")
            .column(Column::new("email", ColumnType::Text).unique())
            .column(Column::new("bio", ColumnType::Text).nullable())]);
        let after = schema([table("user").column(Column::new("bio", ColumnType::Text).nullable())]);
        let ops = diff(&before, &after, Dialect::Sqlite, &Options::default());
        let described: Vec<String> = ops.iter().map(ToString::to_string).collect();
        assert_eq!(
            described,
            ["recreated table 'user' to change it in place: removed column 'user.email'"]
        );
        let replayed = autogen_schema::replay(&before, &ops).unwrap();
        assert!(diff(&replayed, &after, Dialect::Sqlite, &Options::default()).is_empty());
        let plain = schema([table("user").column(Column::new("email", ColumnType::Text))]);
        let dropped = diff(
            &plain,
            &schema([table("user")]),
            Dialect::Sqlite,
            &Options::default(),
        );
        assert!(
            matches!(dropped.as_slice(), [Op::DropColumn { .. }]),
            "{dropped:#?}"
        );
    }

    #[test]
    fn a_renamed_column_is_renamed_in_its_checks_too() {
        let before = schema([table("t")
            .column(Column::new("a", ColumnType::Integer))
            .check("t_a_check", "a >= 0")]);
        let after = schema([table("t")
            .column(Column::new("b", ColumnType::Integer).renamed_from("a"))
            .check_unnamed("b >= 0")]);
        check(&before, &after, &["renamed column 't.a' to 'b'"]);
    }

    #[test]
    fn an_empty_comment_is_no_comment() {
        let stored = schema([table("t").column(Column::new("a", ColumnType::Integer))]);
        let declared = schema([table("t")
            .column(Column::new("a", ColumnType::Integer).comment(""))
            .comment("")]);
        assert!(diff(&stored, &declared, Dialect::Postgres, &Options::default()).is_empty());
    }

    #[test]
    fn renamed_from_renames_once_and_only_when_it_applies() {
        let before = schema([table("user")
            .column(Column::new("name", ColumnType::Text))
            .index(Index::new("idx-user-name", "user", ["name"]))]);
        let after = schema([table("user")
            .column(Column::new("full_name", ColumnType::Text).renamed_from("name"))
            .index(Index::new("idx-user-name", "user", ["full_name"]))]);
        check(
            &before,
            &after,
            // The index follows its column: renaming is all there is to do.
            &["renamed column 'user.name' to 'full_name'"],
        );
        // Once renamed, the hint stays in the entity but there is nothing left to do.
        let renamed = autogen_schema::replay(
            &before,
            &diff(&before, &after, Dialect::Sqlite, &Options::default()),
        )
        .unwrap();
        assert!(diff(&renamed, &after, Dialect::Sqlite, &Options::default()).is_empty());
        // Two hints naming one old column: one rename, and the other column is new.
        let twice = schema([table("user")
            .column(Column::new("a", ColumnType::Text).renamed_from("name"))
            .column(Column::new("b", ColumnType::Text).renamed_from("name"))
            .index(Index::new("idx-user-name", "user", ["a"]))]);
        check(
            &before,
            &twice,
            &["renamed column 'user.name' to 'a'", "added column 'user.b'"],
        );
        // A hint naming a column that is not there is no rename.
        let stray = schema([table("user")
            .column(Column::new("name", ColumnType::Text))
            .column(Column::new("nick", ColumnType::Text).renamed_from("handle"))
            .index(Index::new("idx-user-name", "user", ["name"]))]);
        check(&before, &stray, &["added column 'user.nick'"]);
    }
}

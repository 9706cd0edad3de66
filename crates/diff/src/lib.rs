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

use autogen_schema::{Op, Schema, Table};

/// What to compare: Alembic's `include_name` / `include_object`.
#[derive(Clone, Default)]
pub struct Options {
    table_filters: Vec<TableFilter>,
}

/// Says whether a table, by name, is compared.
type TableFilter = Arc<dyn Fn(&str) -> bool + Send + Sync>;

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("table_filters", &self.table_filters.len())
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
}

/// The ops that turn `current` into `target`, in dependency order, over the
/// tables `options` includes.
pub fn diff(current: &Schema, target: &Schema, options: &Options) -> Vec<Op> {
    let mut current = current.clone();
    let mut target = target.clone();
    current.retain_tables(|t| options.includes(t));
    target.retain_tables(|t| options.includes(t));
    diff_all(&current, &target)
}

/// The ops that turn `current` into `target`, in dependency order.
///
/// Tables and columns are added first, then indexes are replaced, then
/// columns and tables are removed, so that nothing is dropped while something
/// that is kept still needs it.
fn diff_all(current: &Schema, target: &Schema) -> Vec<Op> {
    let added: Vec<&Table> = target
        .tables
        .values()
        .filter(|t| current.table(&t.name).is_none())
        .collect();
    let removed: Vec<&Table> = current
        .tables
        .values()
        .filter(|t| target.table(&t.name).is_none())
        .collect();
    let kept: Vec<(&Table, &Table)> = target
        .tables
        .values()
        .filter_map(|t| current.table(&t.name).map(|c| (c, t)))
        .collect();

    let mut ops = Vec::new();
    // Enum types come before the tables that use them and go after them.
    // (A changed label list is not compared yet: that is ALTER TYPE … ADD VALUE.)
    for (name, variants) in &target.enums {
        if !current.enums.contains_key(name) {
            ops.push(Op::CreateEnum {
                name: name.clone(),
                variants: variants.clone(),
            });
        }
    }
    for table in dependency_order(&added) {
        let mut bare = table.clone();
        let indexes = std::mem::take(&mut bare.indexes);
        ops.push(Op::CreateTable(bare));
        ops.extend(indexes.into_iter().map(Op::CreateIndex));
    }
    for (now, want) in &kept {
        for column in want.columns.iter().filter(|c| now.get_column(&c.name).is_none()) {
            ops.push(Op::AddColumn {
                table: want.name.clone(),
                column: column.clone(),
            });
        }
    }
    // A changed index is dropped, then created again under the same name.
    for (now, want) in &kept {
        for index in &now.indexes {
            if want.get_index(&index.name) != Some(index) {
                ops.push(Op::DropIndex {
                    table: now.name.clone(),
                    name: index.name.clone(),
                });
            }
        }
    }
    for (now, want) in &kept {
        for index in &want.indexes {
            if now.get_index(&index.name) != Some(index) {
                ops.push(Op::CreateIndex(index.clone()));
            }
        }
    }
    for (now, want) in &kept {
        for column in now.columns.iter().filter(|c| want.get_column(&c.name).is_none()) {
            ops.push(Op::DropColumn {
                table: now.name.clone(),
                column: column.name.clone(),
            });
        }
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
    use autogen_schema::{Column, ColumnType, ForeignKey, Index};

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
        let ops = diff(current, target, &Options::default());
        let described: Vec<String> = ops.iter().map(ToString::to_string).collect();
        assert_eq!(described, expected);
        // The ops must take `current` exactly to `target`.
        let replayed = autogen_schema::replay(current, &ops).unwrap();
        assert!(
            diff(&replayed, target, &Options::default()).is_empty(),
            "{ops:#?}"
        );
    }

    #[test]
    fn identical_schemas_have_no_ops() {
        let s = schema([table("a"), table("b").index(Index::new("ix", "b", ["id"]))]);
        assert!(diff(&s, &s, &Options::default()).is_empty());
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
                "added column 'user.bio'",
                "removed index 'idx-user-name' on 'user'",
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
    }

    #[test]
    fn filtered_tables_are_not_compared() {
        let current = schema([table("legacy"), table("user")]);
        let target = schema([table("user"), table("audit")]);
        let options = Options::default()
            .exclude_table("legacy")
            .include_tables(|t| !t.starts_with("aud"));
        assert!(diff(&current, &target, &options).is_empty());
        assert_eq!(diff(&current, &target, &Options::default()).len(), 2);
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
}

//! A two-revision history the crate's unit tests run and print: `aaaa`
//! creates table `t`, `bbbb` adds its column `x` (seeding it under the tag
//! `seed`); and [`lock_safe_graph`], whose second revision makes, lock-safe,
//! changes that take long locks written plainly.

use autogen_schema::{Check, Column, ColumnType, ForeignKey, Index, StringLen, Table};

use crate::graph::Graph;
use crate::revision::{Operations, Revision, RevisionModule};

fn create(op: &mut Operations) {
    op.create_table(Table::new("t").column(Column::new("id", ColumnType::Integer)));
}
fn drop(op: &mut Operations) {
    op.drop_table("t");
}
fn add(op: &mut Operations) {
    op.add_column("t", Column::new("x", ColumnType::Text).nullable());
    if op.tag() == Some("seed") {
        op.execute("UPDATE t SET x = 'seeded'");
    }
}
fn remove(op: &mut Operations) {
    op.drop_column("t", "x");
}

fn email(nullable: bool, unique: bool) -> Column {
    Column {
        nullable,
        unique,
        ..Column::new("email", ColumnType::String(StringLen::N(80)))
    }
}
fn create_live(op: &mut Operations) {
    op.create_table(
        Table::new("account")
            .column(Column::new("id", ColumnType::Integer))
            .primary_key(["id"]),
    );
    op.create_table(
        Table::new("t")
            .column(Column::new("id", ColumnType::Integer))
            .column(Column::new("account_id", ColumnType::Integer))
            .column(email(true, false))
            .column(Column::new("n", ColumnType::Integer))
            .primary_key(["id"]),
    );
}
fn drop_live(op: &mut Operations) {
    op.drop_table("t");
    op.drop_table("account");
}
fn change_live(op: &mut Operations) {
    op.lock_safe();
    op.create_index(Index::new("t_n_idx", "t", ["n"]));
    op.alter_column("t", email(true, false), email(false, true));
    op.add_constraint("t", ForeignKey::new(["account_id"], "account", ["id"]));
    op.add_constraint("t", Check::new("n >= 0"));
}
fn undo_live(op: &mut Operations) {
    op.lock_safe();
    op.drop_constraint("t", Check::new("n >= 0"));
    op.drop_constraint("t", ForeignKey::new(["account_id"], "account", ["id"]));
    op.alter_column("t", email(false, true), email(true, false));
    op.drop_index("t", "t_n_idx");
}

/// `aaaa` creates tables `account` and `t`; `cccc`, lock-safe, indexes
/// `t.n`, makes `t.email` NOT NULL and UNIQUE, and adds a foreign key to
/// `account` and a CHECK.
pub(crate) fn lock_safe_graph() -> Graph {
    Graph::new(&[
        module("aaaa", &[], "create t", create_live, drop_live),
        module("cccc", &["aaaa"], "change t live", change_live, undo_live),
    ])
    .unwrap()
}

fn module(
    id: &'static str,
    down: &'static [&'static str],
    message: &'static str,
    upgrade: fn(&mut Operations),
    downgrade: fn(&mut Operations),
) -> RevisionModule {
    RevisionModule {
        revision: Revision {
            id,
            down_revision: down,
            branch_labels: &[],
            depends_on: &[],
            message,
        },
        upgrade,
        downgrade,
        path: "x.rs",
    }
}

pub(crate) fn graph() -> Graph {
    Graph::new(&[
        module("aaaa", &[], "create t", create, drop),
        module("bbbb", &["aaaa"], "add x", add, remove),
    ])
    .unwrap()
}

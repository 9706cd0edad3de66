//! A two-revision history the crate's unit tests run and print: `aaaa`
//! creates table `t`, `bbbb` adds its column `x` (seeding it under the tag
//! `seed`).

use autogen_schema::{Column, ColumnType, Table};

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

pub(crate) fn graph() -> Graph {
    let module = |id, down, message, upgrade, downgrade| RevisionModule {
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
    };
    Graph::new(&[
        module("aaaa", &[], "create t", create, drop),
        module("bbbb", &["aaaa"], "add x", add, remove),
    ])
    .unwrap()
}

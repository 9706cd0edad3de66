//! add user bio
//!
//! Revision ID: 67b6d261ac8f
//! Revises: ffa946187c97
//! Create Date: 2026-11-23 12:03:57 UTC

use autogen::prelude::*;

pub const REVISION: Revision = Revision {
    id: "67b6d261ac8f",
    down_revision: &["ffa946187c97"],
    branch_labels: &[],
    depends_on: &[],
    message: "add user bio",
};

pub fn upgrade(op: &mut Operations) {
    op.add_column(
        "user",
        Column::new("bio", ColumnType::String(StringLen::None)).nullable(),
    );
}

pub fn downgrade(op: &mut Operations) {
    op.drop_column("user", "bio");
}

//! create user and post
//!
//! Revision ID: ffa946187c97
//! Revises: <base>
//! Create Date: 2026-11-23 12:03:48 UTC

use autogen::prelude::*;

pub const REVISION: Revision = Revision {
    id: "ffa946187c97",
    down_revision: &[],
    branch_labels: &[],
    depends_on: &[],
    message: "create user and post",
};

pub fn upgrade(op: &mut Operations) {
    op.create_table(
        Table::new("user")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("email", ColumnType::String(StringLen::None)).unique())
            .column(Column::new("name", ColumnType::String(StringLen::None)))
            .column(Column::new("created_at", ColumnType::DateTime).default_expr("CURRENT_TIMESTAMP"))
            .primary_key(["id"]),
    );
    op.create_table(
        Table::new("post")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("user_id", ColumnType::Integer))
            .column(Column::new("title", ColumnType::String(StringLen::None)))
            .column(Column::new("body", ColumnType::Text))
            .column(Column::new("published", ColumnType::Boolean).default(false))
            .primary_key(["id"])
            .foreign_key(
                ForeignKey::new(["user_id"], "user", ["id"])
                    .name("fk-post-user_id")
                    .on_delete(ForeignKeyAction::Cascade),
            ),
    );
    op.create_index(Index::new("idx-post-title", "post", ["title"]));
}

pub fn downgrade(op: &mut Operations) {
    op.drop_index("post", "idx-post-title");
    op.drop_table("post");
    op.drop_table("user");
}

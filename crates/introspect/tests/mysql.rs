//! A MariaDB/MySQL schema created from `fixtures/sql/mysql.sql`, introspected
//! and compared to the expected model.

use autogen_introspect::introspect;
use autogen_schema::{
    Check, Column, ColumnType, DefaultValue, Dialect, ForeignKey, ForeignKeyAction, Index, Schema, StringLen,
    Table,
};
use autogen_testdb::Backend;
use sea_orm::{ConnectionTrait, Database};

fn expected() -> Schema {
    let mut s = Schema::new();
    s.insert(
        Table::new("user")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("email", ColumnType::String(StringLen::N(200))).unique())
            .column(Column::new("name", ColumnType::String(StringLen::N(255))))
            .column(
                Column::new("bio", ColumnType::Text)
                    .nullable()
                    .comment("about them"),
            )
            .column(Column::new("karma", ColumnType::BigInteger).default(0))
            .column(Column::new("ratio", ColumnType::Double).nullable().default(1.5))
            .column(Column::new("active", ColumnType::Boolean).default(1))
            .column(
                Column::new("motto", ColumnType::String(StringLen::N(255)))
                    .nullable()
                    .default(DefaultValue::String("it's me".into())),
            )
            .column(Column::new("balance", ColumnType::Decimal(Some((10, 2)))).default(0.0))
            .column(Column::new("created_at", ColumnType::DateTime).default_expr("CURRENT_TIMESTAMP"))
            .column(
                Column::new("mood", ColumnType::enumeration("mood", ["happy", "ok", "sad"])).default("ok"),
            )
            .column(Column::new("settings", ColumnType::Json).nullable())
            .column(Column::new("stars", ColumnType::Unsigned).default(0))
            .column(Column::new("token", ColumnType::Binary(16)).nullable())
            .primary_key(["id"])
            .check("karma_not_negative", "`karma` >= 0")
            .comment("people who write")
            .index(Index::new("idx-user-name", "user", ["name"])),
    );
    s.insert(
        Table::new("post")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("user_id", ColumnType::Integer))
            .column(Column::new("title", ColumnType::String(StringLen::N(80))))
            .column(Column::new("slug", ColumnType::String(StringLen::N(80))))
            .column(Column::new("views", ColumnType::Integer).default(0))
            .primary_key(["id"])
            .foreign_key(
                ForeignKey::new(["user_id"], "user", ["id"])
                    .name("fk-post-user_id")
                    .on_delete(ForeignKeyAction::Cascade)
                    .on_update(ForeignKeyAction::Restrict),
            )
            .index(Index::new("idx-post-title_slug", "post", ["title", "slug"]).unique()),
    );
    // A column-level CHECK: MariaDB names it after the column and keeps it in
    // the column's definition, and both are kept, since dropping it needs them.
    s.tables.get_mut("post").unwrap().checks.push(Check {
        column: Some("views".into()),
        ..Check::new("`views` >= 0").name("views")
    });
    s.insert(
        Table::new("post_tag")
            .column(Column::new("post_id", ColumnType::Integer))
            .column(Column::new("tag", ColumnType::String(StringLen::N(255))))
            .primary_key(["tag", "post_id"]),
    );
    s
}

#[tokio::test]
async fn the_fixture_reads_back_as_its_model() {
    let Some(test_db) = Backend::MySql.fresh().await else {
        return;
    };
    let db = Database::connect(&test_db.url).await.unwrap();
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/sql/mysql.sql"
    ))
    .unwrap();
    let without_comments: String = fixture
        .lines()
        .filter(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    for statement in without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        db.execute_unprepared(statement).await.unwrap();
    }
    let schema = introspect(&db).await.unwrap();
    for (name, table) in &expected().tables {
        assert_eq!(schema.table(name), Some(table), "table {name}");
    }
    assert_eq!(schema, expected());
    // SeaORM's `bool` default TRUE is what MySQL reports as 1.
    let active = schema.table("user").unwrap().get_column("active").unwrap();
    assert!(Dialect::MySql.same_default(active.default.as_ref(), Some(&DefaultValue::Bool(true))));
}

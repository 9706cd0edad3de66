//! A PostgreSQL schema created from `fixtures/sql/postgres.sql`, introspected
//! and compared to the expected model.

use autogen_introspect::introspect;
use autogen_schema::{
    Column, ColumnType, DefaultValue, Dialect, ForeignKey, ForeignKeyAction, Index, Schema, StringLen, Table,
};
use autogen_testdb::Backend;
use sea_orm::{ConnectionTrait, Database};

fn expected() -> Schema {
    let mut s = Schema::new();
    s.enums
        .insert("mood".into(), vec!["happy".into(), "ok".into(), "sad".into()]);
    s.insert(
        Table::new("user")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("email", ColumnType::String(StringLen::N(200))).unique())
            .column(Column::new("name", ColumnType::String(StringLen::None)))
            .column(
                Column::new("bio", ColumnType::Text)
                    .nullable()
                    .comment("about them"),
            )
            .column(Column::new("karma", ColumnType::BigInteger).default(0))
            .column(Column::new("ratio", ColumnType::Double).nullable().default(1.5))
            .column(Column::new("active", ColumnType::Boolean).default(true))
            .column(
                Column::new("motto", ColumnType::String(StringLen::None))
                    .nullable()
                    .default(DefaultValue::String("it's me".into())),
            )
            .column(Column::new("balance", ColumnType::Decimal(Some((10, 2)))).default(0))
            .column(Column::new("created_at", ColumnType::DateTime).default_expr("CURRENT_TIMESTAMP"))
            .column(Column::new("seen_at", ColumnType::TimestampWithTimeZone).nullable())
            .column(
                Column::new("mood", ColumnType::enumeration("mood", ["happy", "ok", "sad"])).default("ok"),
            )
            .column(Column::new("tags", ColumnType::Array(Box::new(ColumnType::Text))).nullable())
            .column(Column::new("settings", ColumnType::JsonBinary).default("{}"))
            .column(Column::new("token", ColumnType::Uuid).nullable())
            .primary_key(["id"])
            .check("karma_not_negative", "karma >= 0")
            .comment("people who write")
            .index(
                Index::new("idx-user-active_name", "user", ["name"])
                    .unique()
                    .where_clause("active"),
            )
            .index(
                Index::new("idx-user-lower_email", "user", Vec::<String>::new())
                    .expression("lower(email::text)"),
            )
            .index(Index::new("idx-user-name", "user", ["name"])),
    );
    s.insert(
        Table::new("post")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("user_id", ColumnType::Integer))
            .column(Column::new("title", ColumnType::String(StringLen::N(80))))
            .column(Column::new("slug", ColumnType::String(StringLen::N(80))))
            .primary_key(["id"])
            .foreign_key(
                ForeignKey::new(["user_id"], "user", ["id"])
                    .name("fk-post-user_id")
                    .on_delete(ForeignKeyAction::Cascade)
                    .on_update(ForeignKeyAction::SetNull),
            )
            // The name PostgreSQL would have generated is left out.
            .unique_unnamed(["title", "slug"]),
    );
    s.insert(
        Table::new("post_tag")
            .column(Column::new("post_id", ColumnType::Integer))
            .column(Column::new("tag", ColumnType::String(StringLen::None)))
            .primary_key_named("pk-post_tag", ["tag", "post_id"]),
    );
    s
}

fn fixture() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/sql/postgres.sql"
    ))
    .unwrap()
}

#[tokio::test]
async fn the_fixture_reads_back_as_its_model() {
    let Some(test_db) = Backend::Postgres.fresh().await else {
        return;
    };
    let db = Database::connect(&test_db.url).await.unwrap();
    db.execute_unprepared(&fixture()).await.unwrap();
    let schema = introspect(&db).await.unwrap();
    for (name, table) in &expected().tables {
        assert_eq!(schema.table(name), Some(table), "table {name}");
    }
    assert_eq!(schema, expected());
    // Every type read back compares equal to the one declared.
    let declared = expected();
    for table in schema.tables.values() {
        for column in &table.columns {
            let want = &declared
                .table(&table.name)
                .unwrap()
                .get_column(&column.name)
                .unwrap()
                .column_type;
            assert!(
                Dialect::Postgres.same_type(&column.column_type, want),
                "{}.{}",
                table.name,
                column.name
            );
        }
    }
}

#[tokio::test]
async fn another_schema_is_read_when_named_and_generated_key_names_are_left_out() {
    let Some(test_db) = Backend::Postgres.fresh().await else {
        return;
    };
    let db = Database::connect(&test_db.url).await.unwrap();
    db.execute_unprepared(
        "CREATE TABLE outside (id int PRIMARY KEY); CREATE SCHEMA shop; \
         CREATE TABLE shop.item (id int PRIMARY KEY, price int CHECK (price > 0), a int, b int, UNIQUE (a, b))",
    )
    .await
    .unwrap();
    let options = autogen_introspect::Options {
        schema: Some("shop".into()),
        ..Default::default()
    };
    let schema = autogen_introspect::introspect_with(&db, &options).await.unwrap();
    let expected = Table::new("item")
        .column(Column::new("id", ColumnType::Integer))
        .column(Column::new("price", ColumnType::Integer).nullable())
        .column(Column::new("a", ColumnType::Integer).nullable())
        .column(Column::new("b", ColumnType::Integer).nullable())
        .primary_key(["id"])
        .unique_unnamed(["a", "b"])
        // A check's made-up name is kept: PostgreSQL's rule for it depends
        // on the condition, so dropping it needs the name as it is.
        .check("item_price_check", "price > 0");
    assert_eq!(schema.tables.keys().collect::<Vec<_>>(), ["item"]);
    assert_eq!(schema.table("item"), Some(&expected));
}

//! A SQLite schema created from SQL, introspected and compared to the expected model.

use autogen_introspect::introspect;
use autogen_schema::{
    Column, ColumnType, DefaultValue, ForeignKey, ForeignKeyAction, Index, Schema, StringLen, Table,
};
use sea_orm::{ConnectionTrait, Database};

const FIXTURE: &str = r#"
CREATE TABLE "user" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" varchar NOT NULL UNIQUE,
    "name" varchar(80) NOT NULL,
    "bio" text,
    "karma" integer NOT NULL DEFAULT 0,
    "ratio" double DEFAULT 1.5,
    "active" boolean NOT NULL DEFAULT TRUE,
    "motto" varchar DEFAULT 'it''s me',
    "created_at" datetime_text NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "shape" geometry
);
CREATE INDEX "idx-user-name" ON "user" ("name");
CREATE TABLE "post" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "user_id" integer NOT NULL,
    "title" varchar NOT NULL,
    "slug" varchar NOT NULL,
    "views" integer NOT NULL DEFAULT 0 CHECK (views >= 0),
    FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE SET NULL,
    UNIQUE ("title", "slug"),
    CONSTRAINT "title_not_empty" CHECK (length(title) > 0)
);
CREATE UNIQUE INDEX "idx-post-user_slug" ON "post" ("user_id", "slug");
CREATE INDEX "idx-post-lower_title" ON "post" (lower("title"), "id") WHERE views > 10;
CREATE TABLE "post_tag" (
    "post_id" integer NOT NULL,
    "tag" varchar NOT NULL,
    CONSTRAINT "pk-post_tag" PRIMARY KEY ("tag", "post_id")
);
"#;

fn expected() -> Schema {
    let mut s = Schema::new();
    s.insert(
        Table::new("user")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("email", ColumnType::String(StringLen::None)).unique())
            .column(Column::new("name", ColumnType::String(StringLen::N(80))))
            .column(Column::new("bio", ColumnType::Text).nullable())
            .column(Column::new("karma", ColumnType::Integer).default(0))
            .column(Column::new("ratio", ColumnType::Double).nullable().default(1.5))
            .column(Column::new("active", ColumnType::Boolean).default(true))
            .column(
                Column::new("motto", ColumnType::String(StringLen::None))
                    .nullable()
                    .default(DefaultValue::String("it's me".into())),
            )
            .column(Column::new("created_at", ColumnType::DateTime).default_expr("CURRENT_TIMESTAMP"))
            .column(Column::new("shape", ColumnType::Custom("geometry".into())).nullable())
            .primary_key(["id"])
            .index(Index::new("idx-user-name", "user", ["name"])),
    );
    s.insert(
        Table::new("post")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("user_id", ColumnType::Integer))
            .column(Column::new("title", ColumnType::String(StringLen::None)))
            .column(Column::new("slug", ColumnType::String(StringLen::None)))
            .column(Column::new("views", ColumnType::Integer).default(0))
            .primary_key(["id"])
            .foreign_key(
                ForeignKey::new(["user_id"], "user", ["id"])
                    .on_delete(ForeignKeyAction::Cascade)
                    .on_update(ForeignKeyAction::SetNull),
            )
            .unique_unnamed(["title", "slug"])
            .check_unnamed("views >= 0")
            .check("title_not_empty", "length(title) > 0")
            .index(
                Index::new("idx-post-lower_title", "post", Vec::<String>::new())
                    .expression(r#"lower("title")"#)
                    .column("id")
                    .where_clause("views > 10"),
            )
            .index(Index::new("idx-post-user_slug", "post", ["user_id", "slug"]).unique()),
    );
    s.insert(
        Table::new("post_tag")
            .column(Column::new("post_id", ColumnType::Integer))
            .column(Column::new("tag", ColumnType::String(StringLen::None)))
            .primary_key(["tag", "post_id"]),
    );
    s
}

#[tokio::test]
async fn a_sqlite_fixture_reads_back_as_its_model() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    db.execute_unprepared(FIXTURE).await.unwrap();
    let schema = introspect(&db).await.unwrap();
    assert_eq!(schema, expected());
}

#[tokio::test]
async fn an_empty_database_has_no_tables() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    assert_eq!(introspect(&db).await.unwrap(), Schema::new());
}

#[tokio::test]
async fn autogen_tables_are_left_out_unless_asked_for() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    for table in autogen_schema::AUTOGEN_TABLES {
        db.execute_unprepared(&format!("CREATE TABLE {table} (id integer PRIMARY KEY)"))
            .await
            .unwrap();
    }
    assert_eq!(introspect(&db).await.unwrap(), Schema::new());
    let options = autogen_introspect::Options {
        include_autogen_tables: true,
        ..Default::default()
    };
    let with = autogen_introspect::introspect_with(&db, &options).await.unwrap();
    assert_eq!(
        with.tables.keys().collect::<Vec<_>>(),
        ["autogen_journal", "autogen_revisions", "autogen_version"]
    );
}

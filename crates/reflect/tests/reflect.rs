//! Entities in both SeaORM 2.0 formats, read back as the schema SeaORM would create.

use autogen_reflect::Entities;
use autogen_schema::{
    Column, ColumnType, DefaultValue, Dialect, ForeignKey, ForeignKeyAction, Index, StringLen, Table,
};

/// The classic format: `DeriveEntityModel` plus a `DeriveRelation` enum
/// (`compact_model` adds the `ModelEx` a dense entity's relation needs).
mod user {
    use sea_orm::entity::prelude::*;

    #[sea_orm::compact_model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub email: String,
        #[sea_orm(indexed)]
        pub name: String,
        pub bio: Option<String>,
        #[sea_orm(default_value = 0)]
        pub karma: i64,
        #[sea_orm(default_expr = "Expr::current_timestamp()")]
        pub created_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(has_many = "super::post::Entity")]
        Post,
    }

    impl Related<super::post::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Post.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// The 2.0 dense format: `#[sea_orm::model]` with relation fields.
mod post {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "post")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(200))", unique_key = "author_title")]
        pub title: String,
        #[sea_orm(unique_key = "author_title")]
        pub user_id: i32,
        #[sea_orm(default_value = "draft")]
        pub status: String,
        #[sea_orm(belongs_to, from = "user_id", to = "id", on_delete = "Cascade")]
        pub author: HasOne<super::user::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A composite key with no auto-increment.
mod post_tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "post_tag")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub post_id: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A string-backed enum stored as a database enum, shared with the end-to-end tests.
#[path = "../../../fixtures/entities/tag.rs"]
mod tag;

fn entities() -> Entities {
    Entities::new()
        .entity(post::Entity)
        .entity(user::Entity)
        .entity(post_tag::Entity)
}

#[test]
fn classic_entity_with_every_skeleton_attribute() {
    let schema = entities().schema(Dialect::Sqlite, None);
    let expected = Table::new("user")
        .column(Column::new("id", ColumnType::Integer).auto_increment())
        .column(Column::new("email", ColumnType::String(StringLen::None)).unique())
        .column(Column::new("name", ColumnType::String(StringLen::None)))
        .column(Column::new("bio", ColumnType::String(StringLen::None)).nullable())
        .column(Column::new("karma", ColumnType::BigInteger).default(0))
        .column(Column::new("created_at", ColumnType::DateTime).default_expr("CURRENT_TIMESTAMP"))
        .primary_key(["id"])
        .index(Index::new("idx-user-name", "user", ["name"]));
    assert_eq!(schema.table("user"), Some(&expected));
}

#[test]
fn only_names_the_entity_chose_are_kept() {
    use autogen_fixture_catalog::classic::{pair, pair_note};
    let schema = Entities::new()
        .entity(pair::Entity)
        .entity(pair_note::Entity)
        .schema(Dialect::Postgres, None);
    // `fk_name = "fk_note_pair"` is the entity's choice, so it is compared.
    let note = schema.table("cat_pair_note").unwrap();
    assert_eq!(note.foreign_keys[0].name.as_deref(), Some("fk_note_pair"));
    // SeaORM calls a composite primary key `pk-<table>` whatever the entity says.
    let key = schema.table("cat_pair").unwrap().primary_key.clone().unwrap();
    assert_eq!(
        (key.name, key.columns),
        (None, vec!["left_id".into(), "right_code".into()])
    );
}

#[test]
fn dense_entity_with_a_foreign_key_and_a_unique_key() {
    let schema = entities().schema(Dialect::Sqlite, None);
    let post = schema.table("post").unwrap();
    // The relation sets no `fk_name`, so the name SeaORM makes up is not
    // the entity's to compare: a database may call the key anything.
    assert_eq!(
        post.foreign_keys,
        [ForeignKey::new(["user_id"], "user", ["id"]).on_delete(ForeignKeyAction::Cascade)]
    );
    assert_eq!(
        post.indexes,
        [Index::new("idx-post-author_title", "post", ["title", "user_id"]).unique()]
    );
    assert_eq!(
        post.get_column("title").unwrap().column_type,
        ColumnType::String(StringLen::N(200))
    );
    assert_eq!(
        post.get_column("status").unwrap().default,
        Some(DefaultValue::String("draft".into()))
    );
}

#[test]
fn composite_primary_key_keeps_its_order_and_no_auto_increment() {
    let schema = entities().schema(Dialect::Postgres, None);
    let t = schema.table("post_tag").unwrap();
    assert_eq!(t.primary_key.as_ref().unwrap().columns, ["post_id", "tag"]);
    assert!(t.columns.iter().all(|c| !c.auto_increment));
}

#[test]
fn registration_is_by_type_and_deduplicated() {
    let e = entities().entity(user::Entity);
    assert_eq!(e.table_names().collect::<Vec<_>>(), ["post", "user", "post_tag"]);
}

#[test]
fn an_active_enum_is_a_postgres_type_and_inline_elsewhere() {
    let kind = ColumnType::enumeration("tag_kind", ["topic", "place"]);
    for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
        let schema = Entities::new().entity(tag::Entity).schema(dialect, None);
        assert_eq!(
            schema
                .table("tag")
                .unwrap()
                .get_column("kind")
                .unwrap()
                .column_type,
            kind
        );
        let types: Vec<&String> = schema.enums.keys().collect();
        let expected: &[&str] = if dialect == Dialect::Postgres {
            &["tag_kind"]
        } else {
            &[]
        };
        assert_eq!(types, expected, "{dialect}");
    }
}

/// `extra` that is a named CHECK, and `extra` that is not a CHECK at all.
mod memo {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "memo")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(extra = "CONSTRAINT body_set CHECK (length(body) > 0)")]
        pub body: String,
        #[sea_orm(extra = "COLLATE \"C\"")]
        pub code: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[test]
fn extra_is_a_check_when_it_is_one_and_kept_verbatim_otherwise() {
    let schema = Entities::new()
        .entity(memo::Entity)
        .schema(Dialect::Postgres, None);
    let memo = schema.table("memo").unwrap();
    assert_eq!(
        memo.checks,
        [autogen_schema::Check::new("length(body) > 0").name("body_set")]
    );
    assert_eq!(memo.get_column("body").unwrap().extra, None);
    assert_eq!(
        memo.get_column("code").unwrap().extra.as_deref(),
        Some("COLLATE \"C\"")
    );
}

#[test]
fn renamed_from_is_a_hint_and_stays_in_the_comment_only_where_seaorm_writes_it() {
    use autogen_fixture_catalog::classic::account;
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
        let schema = Entities::new().entity(account::Entity).schema(dialect, None);
        let t = schema.table("cat_account").unwrap();
        let legal_name = t.get_column("legal_name").unwrap();
        assert_eq!(legal_name.renamed_from.as_deref(), Some("old_name"), "{dialect}");
        let comment = (dialect == Dialect::MySql).then_some("renamed_from \"old_name\"");
        assert_eq!(legal_name.comment.as_deref(), comment, "{dialect}");
        assert!(t.get_column("cached_label").is_none(), "`ignore` is no column");
        assert_eq!(
            t.checks,
            [
                autogen_schema::Check::new("email LIKE '%@%'"),
                autogen_schema::Check::new("login_count BETWEEN 0 AND 1000000"),
                autogen_schema::Check::new("locale IN ('en', 'fr', 'de')"),
                autogen_schema::Check::new("balance >= 0"),
            ]
        );
    }
}

#[test]
fn a_table_in_another_schema_is_compared_only_in_that_schema() {
    use autogen_fixture_catalog::{classic::account, qualified::remote};
    let entities = Entities::new().entity(account::Entity).entity(remote::Entity);
    let default = entities.schema(Dialect::Postgres, None);
    assert_eq!(default.tables.keys().collect::<Vec<_>>(), ["cat_account"]);
    // Where the dialect has no schemas of its own, the entity is set aside.
    let (default, elsewhere) = entities.schema_and_others(Dialect::MySql, "app");
    assert_eq!(default.tables.keys().collect::<Vec<_>>(), ["cat_account"]);
    assert_eq!(
        elsewhere,
        [autogen_reflect::ElsewhereEntity {
            table: "cat_remote".into(),
            schema: "cat_remote_schema".into()
        }]
    );
    let own = entities.schema(Dialect::Postgres, Some("cat_remote_schema"));
    assert!(own.table("cat_remote").is_some());
    let (_, elsewhere) = entities.schema_and_others(Dialect::MySql, "cat_remote_schema");
    assert!(elsewhere.is_empty());
}

#[test]
#[cfg(feature = "entity-registry")]
fn entity_modules_left_unregistered_are_found_in_seaorms_registry() {
    use autogen_fixture_catalog::classic::{account, folder};
    let entities = Entities::new().entity(account::Entity).entity(folder::Entity);
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
        let unregistered = entities.unregistered(dialect);
        let found: Vec<(&str, Option<&str>)> = unregistered
            .iter()
            .map(|e| (e.module, e.table.as_deref()))
            .collect();
        // An entity whose types this backend lacks is named without its table.
        let on = |backend: Dialect, table: &'static str| (dialect == backend).then_some(table);
        // Only the crates registered entities come from are searched: this test
        // crate's own entity modules are not listed.
        assert_eq!(
            found,
            [
                (
                    "autogen_fixture_catalog::backend_specific::mysql_types",
                    on(Dialect::MySql, "cat_mysql_types")
                ),
                (
                    "autogen_fixture_catalog::backend_specific::postgres_types",
                    on(Dialect::Postgres, "cat_pg_types")
                ),
                ("autogen_fixture_catalog::classic::pair", Some("cat_pair")),
                (
                    "autogen_fixture_catalog::classic::pair_note",
                    Some("cat_pair_note")
                ),
                ("autogen_fixture_catalog::classic::type_zoo", Some("cat_type_zoo")),
                ("autogen_fixture_catalog::dense::author", Some("cat_author")),
                ("autogen_fixture_catalog::dense::book", Some("cat_book")),
                ("autogen_fixture_catalog::dense::node", Some("cat_node")),
                ("autogen_fixture_catalog::expanded::ledger", Some("cat_ledger")),
                ("autogen_fixture_catalog::qualified::remote", Some("cat_remote")),
            ],
            "{dialect}"
        );
    }
}

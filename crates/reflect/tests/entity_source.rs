//! Entity source read and edited as real entities are written: the catalog's
//! and the blog's files, and entities compiled here before and after an edit,
//! so SeaORM itself says what the edit changed.

use autogen_reflect::entity_source::{
    AttributeKey as Key, ColumnAttribute as Attr, ColumnEdit, DefaultLiteral, EntityFiles, EntityFormat,
    EntitySource, SourceProblem,
};
use autogen_reflect::Entities;
use autogen_schema::Dialect;
use sea_orm::{EntityName, EntityTrait, IdenStatic, Iterable};
use std::path::{Path, PathBuf};

#[path = "entity_source/naming.rs"]
mod naming;
#[path = "entity_source/post.rs"]
mod post;
#[path = "entity_source/post_edited.rs"]
mod post_edited;
#[path = "entity_source/renamed_all.rs"]
mod renamed_all;
#[path = "entity_source/tag.rs"]
mod tag;
#[path = "entity_source/tag_edited.rs"]
mod tag_edited;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`, as `(path relative to dir, text)`, as a
/// caller would pass a directory's files.
fn rust_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(current) = dirs.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((path.strip_prefix(dir).unwrap().to_owned(), text));
            }
        }
    }
    files
}

fn catalog() -> EntityFiles {
    EntityFiles::read(rust_files(&workspace().join("fixtures/catalog/src"))).unwrap()
}

fn parse(path: &str, text: &str) -> EntitySource {
    EntitySource::parse(path, text)
        .unwrap()
        .expect("declares an entity")
}

/// The columns SeaORM declares for `E`, in order.
fn seaorm_columns<E: EntityTrait>() -> Vec<&'static str> {
    E::Column::iter().map(|c| c.as_str()).collect()
}

fn source_columns(entity: &EntitySource) -> Vec<&str> {
    entity.columns.iter().map(|c| c.column.as_str()).collect()
}

/// `text` with each `(old, new)` replaced once: the bytes an edit must give.
fn with(text: &str, replacements: &[(&str, &str)]) -> String {
    replacements.iter().fold(text.to_owned(), |text, (old, new)| {
        assert!(text.contains(old), "{old:?}");
        text.replacen(old, new, 1)
    })
}

#[test]
fn every_catalog_and_blog_table_is_found_in_its_file() {
    let catalog = catalog();
    let tables: Vec<(String, &Path, EntityFormat)> = catalog
        .iter()
        .map(|e| (e.qualified_table(), e.path.as_path(), e.format))
        .collect();
    let expected = [
        ("cat_account", "classic/account.rs", EntityFormat::Classic),
        ("cat_author", "dense/author.rs", EntityFormat::Dense),
        ("cat_book", "dense/book.rs", EntityFormat::Dense),
        ("cat_folder", "classic/folder.rs", EntityFormat::Classic),
        ("cat_ledger", "expanded/ledger.rs", EntityFormat::Expanded),
        (
            "cat_mysql_types",
            "backend_specific/mysql_types.rs",
            EntityFormat::Classic,
        ),
        ("cat_node", "dense/node.rs", EntityFormat::Dense),
        ("cat_pair", "classic/pair.rs", EntityFormat::Classic),
        ("cat_pair_note", "classic/pair_note.rs", EntityFormat::Classic),
        (
            "cat_pg_types",
            "backend_specific/postgres_types.rs",
            EntityFormat::Classic,
        ),
        ("cat_type_zoo", "classic/type_zoo.rs", EntityFormat::Classic),
        (
            "cat_remote_schema.cat_remote",
            "qualified/remote.rs",
            EntityFormat::Classic,
        ),
    ];
    let expected: Vec<(String, &Path, EntityFormat)> = expected
        .iter()
        .map(|(table, path, format)| (table.to_string(), Path::new(path), *format))
        .collect();
    assert_eq!(tables, expected);
    assert_eq!(
        catalog
            .entity(Some("cat_remote_schema"), "cat_remote")
            .map(|e| e.path.as_path()),
        Some(Path::new("qualified/remote.rs"))
    );

    let blog = EntityFiles::read(rust_files(&workspace().join("examples/blog/entity/src"))).unwrap();
    let tables: Vec<(String, &Path)> = blog
        .iter()
        .map(|e| (e.qualified_table(), e.path.as_path()))
        .collect();
    assert_eq!(
        tables,
        [
            ("post".to_owned(), Path::new("post.rs")),
            ("user".to_owned(), Path::new("user.rs"))
        ]
    );
    assert_eq!(
        source_columns(blog.entity(None, "user").unwrap()),
        ["id", "email", "name", "bio", "created_at"]
    );
}

#[test]
fn the_columns_found_are_the_ones_seaorm_declares() {
    let catalog = catalog();
    macro_rules! same_columns {
        ($entity:path) => {
            let entity = catalog
                .entity($entity.schema_name(), $entity.table_name())
                .unwrap();
            // An expanded entity's columns are code, which is not read.
            if entity.format != EntityFormat::Expanded {
                assert_eq!(
                    source_columns(entity),
                    seaorm_columns::<$entity>(),
                    "{}",
                    entity.table
                );
            }
        };
    }
    autogen_fixture_catalog::for_each_entity!(same_columns);
    same_columns!(autogen_fixture_catalog::qualified::remote::Entity);
    same_columns!(autogen_fixture_catalog::backend_specific::postgres_types::Entity);

    let naming = parse("naming.rs", include_str!("entity_source/naming.rs"));
    assert_eq!(source_columns(&naming), seaorm_columns::<naming::Entity>());
    assert_eq!(
        source_columns(&naming),
        [
            "id",
            "type",
            "varchar_40",
            "leading",
            "trailing",
            "two_words",
            "http_status",
            "Given Name",
            "renamed"
        ]
    );
    let renamed = parse("renamed_all.rs", include_str!("entity_source/renamed_all.rs"));
    assert_eq!(source_columns(&renamed), seaorm_columns::<renamed_all::Entity>());
}

#[test]
fn edited_catalog_entities_keep_every_other_byte_and_read_back() {
    let catalog = catalog();
    let account = catalog.entity(None, "cat_account").unwrap();
    let edited = account
        .edit(&[
            ColumnEdit::add("nickname", Attr::Indexed),
            ColumnEdit::remove("email", Key::Unique),
            ColumnEdit::add("email", Attr::DefaultValue(DefaultLiteral::String(String::new()))),
            ColumnEdit::replace("login_count", Attr::DefaultValue(DefaultLiteral::Integer(1))),
            ColumnEdit::remove("created_at", Key::DefaultExpr),
            ColumnEdit::replace("note", Attr::Comment("Seen by \"staff\" only".into())),
        ])
        .unwrap();
    assert_eq!(
        edited,
        with(
            account.text(),
            &[
                (
                    "    /// Nullable through `Option<T>`.\n    pub nickname",
                    "    /// Nullable through `Option<T>`.\n    #[sea_orm(indexed)]\n    pub nickname"
                ),
                (
                    r#"#[sea_orm(unique, extra = "CHECK (email LIKE '%@%')")]"#,
                    r#"#[sea_orm(extra = "CHECK (email LIKE '%@%')", default_value = "")]"#
                ),
                (
                    "#[sea_orm(default_value = 0, extra",
                    "#[sea_orm(default_value = 1, extra"
                ),
                (
                    "    #[sea_orm(default_expr = \"Expr::current_timestamp()\")]\n",
                    ""
                ),
                (
                    r#"#[sea_orm(comment = "Free-form note about the account")]"#,
                    r#"#[sea_orm(comment = "Seen by \"staff\" only")]"#
                ),
            ]
        )
    );
    let account = parse("classic/account.rs", &edited);
    let items = |column: &str| -> Vec<String> {
        account
            .column(column)
            .unwrap()
            .items()
            .map(|i| i.text.clone())
            .collect()
    };
    assert_eq!(items("nickname"), ["indexed"]);
    assert_eq!(
        items("email"),
        [r#"extra = "CHECK (email LIKE '%@%')""#, r#"default_value = """#]
    );
    assert!(items("created_at").is_empty());
    // Its enums' column types are declared with them, in enums.rs.
    let error = account
        .edit(&[ColumnEdit::add(
            "tier",
            Attr::ColumnType("String(StringLen::N(2))".into()),
        )])
        .unwrap_err();
    assert!(
        matches!(error.problem, SourceProblem::TypeDeclaredElsewhere { .. }),
        "{error}"
    );
    assert_eq!(error.line, 59);

    let book = catalog.entity(None, "cat_book").unwrap();
    let edited = book
        .edit(&[
            ColumnEdit::remove("author_id", Key::Indexed),
            ColumnEdit::add("title", Attr::ColumnType("String(StringLen::N(300))".into())),
            ColumnEdit::add("isbn", Attr::Comment("ISBN-13".into())),
        ])
        .unwrap();
    assert_eq!(
        edited,
        with(
            book.text(),
            &[
                ("    #[sea_orm(indexed)]\n    pub author_id", "    pub author_id"),
                (
                    "    pub title",
                    "    #[sea_orm(column_type = \"String(StringLen::N(300))\")]\n    pub title"
                ),
                ("#[sea_orm(unique)]", "#[sea_orm(unique, comment = \"ISBN-13\")]"),
            ]
        )
    );
    let book = parse("dense/book.rs", &edited);
    assert_eq!(
        source_columns(&book),
        ["id", "author_id", "isbn", "title", "state"]
    );

    let ledger = catalog.entity(None, "cat_ledger").unwrap();
    assert_eq!(
        ledger
            .edit(&[ColumnEdit::add("memo", Attr::Indexed)])
            .unwrap_err()
            .to_string(),
        "expanded/ledger.rs:8: `cat_ledger` is written in the expanded format, where columns are declared \
         in `impl ColumnTrait for Column`; change column `memo` there by hand"
    );
}

#[test]
fn an_edited_entity_compiles_and_seaorm_reads_what_was_added() {
    let post = parse("post.rs", include_str!("entity_source/post.rs"));
    let edited = post
        .edit(&[
            ColumnEdit::add("user_id", Attr::Indexed),
            ColumnEdit::add("user_id", Attr::UniqueKey("user_title".into())),
            ColumnEdit::add("title", Attr::ColumnType("String(StringLen::N(200))".into())),
            ColumnEdit::add("title", Attr::UniqueKey("user_title".into())),
            ColumnEdit::add("body", Attr::Comment("Markdown".into())),
            ColumnEdit::add("published", Attr::DefaultValue(DefaultLiteral::Bool(false))),
            ColumnEdit::add(
                "created_at",
                Attr::DefaultExpr("Expr::current_timestamp()".into()),
            ),
        ])
        .unwrap();
    assert_eq!(edited, include_str!("entity_source/post_edited.rs"));
    assert_eq!(
        changes(
            Entities::new().entity(post::Entity),
            Entities::new().entity(post_edited::Entity)
        ),
        [
            "altered column 'post.title': type String(None) -> String(N(200))",
            "altered column 'post.body': comment None -> Some(\"Markdown\")",
            "altered column 'post.published': default none -> Bool(false)",
            "altered column 'post.created_at': default none -> Expr(\"CURRENT_TIMESTAMP\")",
            "added index 'idx-post-user_id' on 'post' (user_id)",
            "added unique index 'idx-post-user_title' on 'post' (user_id, title)",
        ]
    );

    let tag = parse("tag.rs", include_str!("entity_source/tag.rs"));
    let edited = tag
        .edit(&[
            ColumnEdit::remove("name", Key::Unique),
            ColumnEdit::add("name", Attr::Indexed),
            ColumnEdit::add("weight", Attr::DefaultValue(DefaultLiteral::Float(1.5))),
            ColumnEdit::add("weight", Attr::Comment("Sort \"weight\"".into())),
        ])
        .unwrap();
    assert_eq!(edited, include_str!("entity_source/tag_edited.rs"));
    assert_eq!(
        changes(Entities::new().entity(tag::Entity), Entities::new().entity(tag_edited::Entity)),
        [
            "altered column 'tag.name': no longer unique",
            "altered column 'tag.weight': default none -> Float(1.5); comment None -> Some(\"Sort \\\"weight\\\"\")",
            "added index 'idx-tag-name' on 'tag' (name)",
        ]
    );
}

/// What changes from the schema `before` declares to the one `after` does,
/// on PostgreSQL (which keeps comments).
fn changes(before: Entities, after: Entities) -> Vec<String> {
    let dialect = Dialect::Postgres;
    autogen_diff::diff(
        &before.schema(dialect, None),
        &after.schema(dialect, None),
        dialect,
        &Default::default(),
    )
    .iter()
    .map(|op| op.describe(dialect).to_string())
    .collect()
}

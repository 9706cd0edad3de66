//! Reading entities from source gives the schema compiling them gives: for
//! every entity crate of `fixtures/` and `examples/`, on each backend, the
//! source reading equals SeaORM's own metadata, table for table.

use std::path::{Path, PathBuf};

use autogen_reflect::entity_source::SourceProblem;
use autogen_reflect::{Entities, SeaOrmMajor, SourceFile};
use autogen_schema::Dialect;

const DIALECTS: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `.rs` files below `dir`, in path order, minus those below `skip`.
fn source_files(dir: &Path, skip: &[&str]) -> Vec<SourceFile> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| SourceFile {
            relative: path.strip_prefix(dir).unwrap().to_owned(),
            text: std::fs::read_to_string(&path).unwrap(),
            path,
        })
        .filter(|f| !skip.iter().any(|s| f.relative.starts_with(s)))
        .collect()
}

fn from_source(files: &[SourceFile]) -> Entities {
    let (entities, left_out) =
        Entities::from_source(files, SeaOrmMajor::Two).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(left_out, Vec::<PathBuf>::new());
    entities
}

/// Both readings, table by table, so a difference names its table.
fn assert_agree(compiled: &Entities, source: &Entities, db_schema: Option<&str>) {
    let mut compiled_tables: Vec<&str> = compiled.table_names().collect();
    let mut source_tables: Vec<&str> = source.table_names().collect();
    compiled_tables.sort_unstable();
    source_tables.sort_unstable();
    assert_eq!(source_tables, compiled_tables);
    for dialect in DIALECTS {
        let (expected, actual) = (
            compiled.schema(dialect, db_schema),
            source.schema(dialect, db_schema),
        );
        for table in expected.tables.values() {
            assert_eq!(
                actual.tables.get(&table.name),
                Some(table),
                "{dialect:?}: {}",
                table.name
            );
        }
        assert_eq!(actual, expected, "{dialect:?}");
    }
}

#[test]
fn the_catalog_read_from_source_is_what_seaorm_compiles() {
    let mut compiled = Entities::new();
    macro_rules! add {
        ($entity:path) => {
            compiled = compiled.entity($entity);
        };
    }
    autogen_fixture_catalog::for_each_entity!(add);
    use autogen_fixture_catalog::{backend_specific, qualified};
    compiled = compiled
        .entity(backend_specific::postgres_types::Entity)
        .entity(backend_specific::mysql_types::Entity)
        .entity(qualified::remote::Entity);
    // The expanded format's columns are code: that one entity is compiled only.
    let source = from_source(&source_files(&repo().join("fixtures/catalog/src"), &["expanded"]));
    let mut compiled_but_expanded = Entities::new();
    for_each_but_ledger(&mut compiled_but_expanded);
    compiled_but_expanded = compiled_but_expanded
        .entity(backend_specific::postgres_types::Entity)
        .entity(backend_specific::mysql_types::Entity)
        .entity(qualified::remote::Entity);
    assert_agree(&compiled_but_expanded, &source, None);
    assert_agree(&compiled_but_expanded, &source, Some("cat_remote_schema"));
    assert_eq!(
        compiled.table_names().count(),
        compiled_but_expanded.table_names().count() + 1
    );
}

fn for_each_but_ledger(entities: &mut Entities) {
    macro_rules! add {
        ($entity:path) => {
            if sea_orm::EntityName::table_name(&$entity) != "cat_ledger" {
                *entities = std::mem::take(entities).entity($entity);
            }
        };
    }
    autogen_fixture_catalog::for_each_entity!(add);
}

#[test]
fn an_expanded_entity_is_an_error_naming_its_file_and_line() {
    let files = source_files(&repo().join("fixtures/catalog/src"), &[]);
    let errors = Entities::from_source(&files, SeaOrmMajor::Two).unwrap_err();
    let [error] = errors.0.as_slice() else {
        panic!("{errors}")
    };
    assert!(error.path.ends_with("expanded/ledger.rs"), "{error}");
    assert!(matches!(&error.problem, SourceProblem::ExpandedEntity { table } if table == "cat_ledger"));
    let text = std::fs::read_to_string(&error.path).unwrap();
    let line = text.lines().nth(error.line - 1).unwrap();
    assert!(line.contains("impl EntityName for Entity"), "{line}");
    assert!(
        error.to_string().contains("entity_reading = \"compiled\""),
        "{error}"
    );
}

#[test]
fn the_registry_read_from_source_is_what_seaorm_compiles() {
    use registry_entity::*;
    let compiled = Entities::new()
        .entity(api_tokens::Entity)
        .entity(categories::Entity)
        .entity(crate_owners::Entity)
        .entity(crates::Entity)
        .entity(crates_categories::Entity)
        .entity(crates_keywords::Entity)
        .entity(dependencies::Entity)
        .entity(keywords::Entity)
        .entity(users::Entity)
        .entity(version_downloads::Entity)
        .entity(versions::Entity);
    let source = from_source(&source_files(&repo().join("fixtures/registry/entity/src"), &[]));
    assert_agree(&compiled, &source, None);
}

#[test]
fn the_adopted_projects_entities_read_from_source_are_what_seaorm_compiles() {
    let compiled = Entities::new()
        .entity(adopt_entity::author::Entity)
        .entity(adopt_entity::post::Entity);
    let source = from_source(&source_files(
        &repo().join("fixtures/adopt/crates/db/entity/src"),
        &[],
    ));
    assert_agree(&compiled, &source, None);
}

#[test]
fn the_blog_example_read_from_source_is_what_seaorm_compiles() {
    let compiled = Entities::new()
        .entity(blog_entity::user::Entity)
        .entity(blog_entity::post::Entity);
    let source = from_source(&source_files(&repo().join("examples/blog/entity/src"), &[]));
    assert_agree(&compiled, &source, None);
}

/// `fixtures/adopt`'s entity crate, as sea-orm-cli generated it (its prelude
/// is the application's, unused here).
#[allow(unused_imports)]
#[path = "../../../fixtures/adopt/crates/db/entity/src/lib.rs"]
mod adopt_entity;

// The entity files the end-to-end tests copy into projects. `user_v2.rs` and
// `post_v2.rs` name their relations `super::user` and `super::post`, so the
// second step's files are this crate's `user` and `post`.
#[path = "../../../fixtures/entities/audit_entry.rs"]
mod audit_entry;
#[path = "../../../fixtures/entities/post.rs"]
mod post;
#[path = "../../../fixtures/entities/post_v2.rs"]
mod post_v2;
#[path = "../../../fixtures/entities/tag.rs"]
mod tag;
#[path = "../../../fixtures/entities/user_v2.rs"]
mod user;
#[path = "../../../fixtures/entities/user_v1.rs"]
mod user_v1;

fn step_files(files: &[(&str, &str)]) -> Vec<SourceFile> {
    files
        .iter()
        .map(|(module, file)| {
            let path = repo().join("fixtures/entities").join(file);
            SourceFile {
                relative: PathBuf::from(format!("{module}.rs")),
                text: std::fs::read_to_string(&path).unwrap(),
                path,
            }
        })
        .collect()
}

#[test]
fn the_history_fixtures_read_from_source_are_what_seaorm_compiles() {
    assert_agree(
        &Entities::new().entity(user_v1::Entity),
        &from_source(&step_files(&[("user", "user_v1.rs")])),
        None,
    );
    assert_agree(
        &Entities::new()
            .entity(user::Entity)
            .entity(post::Entity)
            .entity(tag::Entity),
        &from_source(&step_files(&[
            ("user", "user_v2.rs"),
            ("post", "post.rs"),
            ("tag", "tag.rs"),
        ])),
        None,
    );
    let third = Entities::new()
        .entity(user::Entity)
        .entity(post_v2::Entity)
        .entity(audit_entry::Entity);
    let third_source = from_source(&step_files(&[
        ("user", "user_v2.rs"),
        ("post", "post_v2.rs"),
        ("audit_entry", "audit_entry.rs"),
    ]));
    assert_agree(&third, &third_source, None);
    assert_agree(&third, &third_source, Some("audit"));
}

/// `fixtures/seaorm1`: entities compiled against sea-orm 1.1, read as 1.1's
/// macros read them (its `ddl` binary prints what 1.1 creates from them).
#[test]
fn a_seaorm_1_entity_crate_is_read_as_seaorm_1_reads_it() {
    let files = source_files(&repo().join("fixtures/seaorm1/entity/src"), &[]);
    let (entities, left_out) =
        Entities::from_source(&files, SeaOrmMajor::One).unwrap_or_else(|e| panic!("{e}"));
    assert!(left_out.is_empty(), "{left_out:?}");
    let schema = entities.schema(Dialect::Sqlite, None);
    // 1.1 passes over `extra`, `unique_key` and `renamed_from`.
    let ignored = &schema.tables["ignored_attrs"];
    assert!(
        ignored.checks.is_empty() && ignored.indexes.is_empty(),
        "{ignored:?}"
    );
    assert!(ignored
        .columns
        .iter()
        .all(|c| c.renamed_from.is_none() && c.comment.is_none()));
    // `unique` and `indexed` on one column: 1.1 adds a plain index beside the UNIQUE.
    let post = &schema.tables["post"];
    let slug = post.columns.iter().find(|c| c.name == "slug").unwrap();
    assert!(slug.unique);
    assert!(
        post.indexes
            .iter()
            .any(|i| i.name == "idx-post-slug" && !i.unique),
        "{:?}",
        post.indexes
    );
    // The same sources read as 2.x sources do not.
    let (two, _) = Entities::from_source(&files, SeaOrmMajor::Two).unwrap();
    let two = two.schema(Dialect::Sqlite, None);
    assert_eq!(two.tables["ignored_attrs"].checks.len(), 1);
    assert!(!two.tables["post"]
        .indexes
        .iter()
        .any(|i| i.name == "idx-post-slug"));
}

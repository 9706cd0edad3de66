//! What the reflected model says each backend would create is what SeaORM
//! itself creates, and what autogen creates from the model is the same again.
//!
//! Every entity of the fixture catalog (`fixtures/catalog`: classic, dense and
//! expanded formats, every schema-shaping attribute) is created on a real
//! database, introspected, and compared with its reflection in that
//! backend's terms. The one difference allowed is one SeaORM leaves out and
//! autogen adds: comments on PostgreSQL (sea-query has no `COMMENT ON`).

use autogen_diff::Options;
use autogen_reflect::Entities;
use autogen_schema::{ColumnType, Dialect, ForeignKeyAction, Op, Schema};
use autogen_testdb::{test_each_backend, Backend};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};

/// Every catalog entity, and the SQL SeaORM's `Schema` helper writes for them
/// on `db`'s backend: enum types, tables, indexes, in dependency order.
fn catalog(db: &DatabaseConnection) -> (Entities, Vec<String>) {
    let backend = db.get_database_backend();
    let helper = sea_orm::Schema::new(backend);
    let mut entities = Entities::new();
    let mut sql = Vec::new();
    macro_rules! add {
        ($entity:path) => {
            for create in helper.create_enum_from_entity($entity) {
                sql.push(backend.build(&create).to_string());
            }
            sql.push(
                backend
                    .build(&helper.create_table_from_entity($entity))
                    .to_string(),
            );
            for index in helper.create_index_from_entity($entity) {
                sql.push(backend.build(&index).to_string());
            }
            entities = entities.entity($entity);
        };
    }
    autogen_fixture_catalog::for_each_entity!(add);
    if backend == DbBackend::Postgres {
        add!(autogen_fixture_catalog::backend_specific::postgres_types::Entity);
    }
    if backend == DbBackend::MySql {
        add!(autogen_fixture_catalog::backend_specific::mysql_types::Entity);
    }
    (entities, sql)
}

async fn run(db: &DatabaseConnection, statements: &[String]) {
    for sql in statements {
        db.execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}\n{e}"));
    }
}

/// Changes only to comments: what SeaORM does not create on PostgreSQL.
fn comment_only(op: &Op) -> bool {
    match op {
        Op::AlterTableComment { .. } => true,
        Op::AlterColumn { from, to, .. } => {
            autogen_schema::Column {
                comment: to.comment.clone(),
                ..from.clone()
            } == *to
        }
        _ => false,
    }
}

fn describe(ops: &[&Op]) -> String {
    ops.iter().map(|op| format!("\n  {op}")).collect()
}

/// The parts of the catalog a vacuous comparison would miss, checked on the
/// database itself: the test is only as good as what was really created.
fn assert_catalog_was_created(current: &Schema, dialect: Dialect) {
    // The portable nine, and one of types only this backend has.
    let tables = if dialect == Dialect::Sqlite { 9 } else { 10 };
    assert_eq!(current.tables.len(), tables, "{:?}", current.tables.keys());
    let account = current.table("cat_account").unwrap();
    assert_eq!(account.checks.len(), 4, "the `extra` CHECKs");
    assert!(account.get_column("name").is_some(), "`column_name`");
    assert!(account.get_column("cached_label").is_none(), "`ignore`");
    assert!(account.get_column("email").unwrap().unique);
    assert!(account.get_column("nickname").unwrap().nullable);
    assert!(account.get_column("legacy_code").unwrap().nullable);
    let index_names: Vec<&str> = account.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        index_names,
        ["idx-cat_account-region", "idx-cat_account-tenant_handle"]
    );
    let status = &account.get_column("status").unwrap().column_type;
    match dialect {
        Dialect::Postgres => {
            assert!(matches!(status, ColumnType::Enum { name, .. } if name == "cat_status"));
            assert_eq!(current.enums["cat_status"], ["active", "suspended", "closed"]);
        }
        Dialect::MySql => assert!(matches!(status, ColumnType::Enum { variants, .. } if variants.len() == 3)),
        Dialect::Sqlite => {}
    }
    let pair = current.table("cat_pair").unwrap();
    assert_eq!(
        pair.primary_key.as_ref().unwrap().columns,
        ["left_id", "right_code"]
    );
    let note = current.table("cat_pair_note").unwrap();
    let fk = &note.foreign_keys[0];
    assert_eq!(fk.columns, ["pair_left_id", "pair_right_code"]);
    assert_eq!(
        (fk.on_delete, fk.on_update),
        (ForeignKeyAction::Cascade, ForeignKeyAction::Restrict)
    );
    if dialect != Dialect::Sqlite {
        assert_eq!(fk.name.as_deref(), Some("fk_note_pair"));
    }
    let folder = current.table("cat_folder").unwrap();
    assert!(folder
        .foreign_keys
        .iter()
        .any(|fk| fk.ref_table == "cat_folder" && fk.on_delete == ForeignKeyAction::SetNull));
}

test_each_backend!(
    seaorm_creates_what_the_reflected_model_says,
    |db: TestDb, backend: Backend| {
        let dialect = backend.dialect();
        let conn = Database::connect(&db.url).await.unwrap();
        let (entities, sql) = catalog(&conn);
        run(&conn, &sql).await;

        let current = autogen_introspect::introspect(&conn).await.unwrap();
        assert_catalog_was_created(&current, dialect);
        let target = entities.schema(dialect, None);
        let ops = autogen_diff::diff(&current, &target, dialect, &Options::default());
        let (comments, unexplained): (Vec<&Op>, Vec<&Op>) = ops
            .iter()
            .partition(|op| dialect == Dialect::Postgres && comment_only(op));
        assert!(
            unexplained.is_empty(),
            "SeaORM created something else than the model says:{}",
            describe(&unexplained)
        );
        if dialect == Dialect::Postgres {
            // Two table comments (account, ledger) and two column comments (note, amount).
            assert_eq!(comments.len(), 4, "{}", describe(&comments));
        }

        assert_the_comparison_sees(&current, &target, dialect);
    }
);

test_each_backend!(
    autogen_creates_what_the_reflected_model_says,
    |db: TestDb, backend: Backend| {
        let dialect = backend.dialect();
        let conn = Database::connect(&db.url).await.unwrap();
        let target = catalog(&conn).0.schema(dialect, None);
        let create = autogen_diff::diff(&Schema::new(), &target, dialect, &Options::default());
        for op in &create {
            run(&conn, &autogen_migrate::render(op, dialect).unwrap()).await;
        }
        let current = autogen_introspect::introspect(&conn).await.unwrap();
        assert_catalog_was_created(&current, dialect);
        let left: Vec<Op> = autogen_diff::diff(&current, &target, dialect, &Options::default());
        assert!(
            left.is_empty(),
            "autogen created something else than the model says:{}",
            describe(&left.iter().collect::<Vec<_>>())
        );
    }
);

/// The empty diff above means something only if a change to any compared
/// attribute would show; each of these must.
fn assert_the_comparison_sees(current: &Schema, target: &Schema, dialect: Dialect) {
    type Change = fn(&mut autogen_schema::Table);
    let changes: [(&str, Change); 9] = [
        // Text to a number: a change on every backend, SQLite's affinities included.
        ("a column type", |t| {
            t.columns[1].column_type = ColumnType::BigInteger
        }),
        ("nullability", |t| t.columns[1].nullable = true),
        ("a default", |t| t.columns[9].default = Some(7.into())),
        ("uniqueness", |t| t.columns[4].unique = false),
        ("a CHECK condition", |t| {
            t.checks[3].expression = "balance >= 10".into()
        }),
        ("a CHECK's list", |t| {
            t.checks[2].expression = "locale IN ('en', 'fr')".into()
        }),
        ("an index", |t| t.indexes[0].unique = true),
        ("the primary key", |t| t.primary_key = None),
        ("a foreign key action", |t| {
            t.foreign_keys[0].on_delete = ForeignKeyAction::SetDefault
        }),
    ];
    for (what, change) in changes {
        let mut changed = target.clone();
        let table = if what == "a foreign key action" {
            "cat_folder"
        } else {
            "cat_account"
        };
        change(changed.tables.get_mut(table).unwrap());
        let ops = autogen_diff::diff(current, &changed, dialect, &Options::default());
        assert!(!ops.is_empty(), "{dialect}: a change to {what} went unseen");
    }
}

/// `schema_name`: compared against that schema, the entity is what SeaORM
/// creates there; compared against the default schema, it is left out.
#[tokio::test]
async fn an_entity_in_its_own_schema_is_compared_there() {
    use autogen_fixture_catalog::{classic::account, qualified::remote};
    let Some(db) = Backend::Postgres.fresh().await else {
        return;
    };
    let conn = Database::connect(&db.url).await.unwrap();
    let backend = conn.get_database_backend();
    let create = sea_orm::Schema::new(backend).create_table_from_entity(remote::Entity);
    run(
        &conn,
        &[
            "CREATE SCHEMA cat_remote_schema".to_owned(),
            backend.build(&create).to_string(),
        ],
    )
    .await;
    let entities = Entities::new().entity(account::Entity).entity(remote::Entity);
    let options = autogen_introspect::Options {
        schema: Some("cat_remote_schema".into()),
        ..Default::default()
    };
    let there = autogen_introspect::introspect_with(&conn, &options)
        .await
        .unwrap();
    assert_eq!(there.tables.keys().collect::<Vec<_>>(), ["cat_remote"]);
    let target = Entities::new()
        .entity(remote::Entity)
        .schema(Dialect::Postgres, Some("cat_remote_schema"));
    let ops = autogen_diff::diff(&there, &target, Dialect::Postgres, &Options::default());
    assert!(ops.is_empty(), "{ops:#?}");
    assert!(entities
        .schema(Dialect::Postgres, None)
        .table("cat_remote")
        .is_none());
}

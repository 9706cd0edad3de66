//! The round-trip matrix: every column type SeaORM supports on a backend ×
//! nullable × default × unique × indexed, on a real database holding rows.
//!
//! The types come from entities (the catalog's `type_zoo`, its enum column,
//! and the backend-only types), reflected as SeaORM would create them on the
//! backend at hand. For each type the matrix generates one table with a
//! column per variant, creates them all, fills each with a row, and
//! requires that autogenerate then finds nothing. It then changes every
//! variant at once (NOT NULL dropped, default removed, UNIQUE and index
//! dropped), runs the upgrade and the generated downgrade, and requires the
//! schema each says and every row's values unchanged after each.

use std::collections::BTreeMap;

use autogen::Entities;
use autogen_diff::Options;
use autogen_fixture_catalog::{backend_specific, classic};
use autogen_schema::{
    invert_all, Column, ColumnType, DefaultValue, Dialect, Index, Op, Schema, StringLen, Table,
};
use autogen_testdb::test_each_backend;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

/// Every column type the entities declare for `dialect`, by column name,
/// with the enum types they need.
fn declared_types(dialect: Dialect) -> (Vec<Column>, BTreeMap<String, Vec<String>>) {
    let mut entities = Entities::new()
        .entity(classic::type_zoo::Entity)
        .entity(classic::account::Entity);
    entities = match dialect {
        Dialect::Postgres => entities.entity(backend_specific::postgres_types::Entity),
        Dialect::MySql => entities.entity(backend_specific::mysql_types::Entity),
        Dialect::Sqlite => entities,
    };
    let schema = entities.schema(dialect, None);
    let mut columns: Vec<Column> = Vec::new();
    for table in schema.tables.values() {
        for column in &table.columns {
            let wanted = table.name != "cat_account" || column.name == "status";
            if column.name != "id" && wanted {
                columns.push(column.clone());
            }
        }
    }
    (columns, schema.enums)
}

/// A value of `column_type` as a SQL literal in `dialect`.
fn sample(column_type: &ColumnType, dialect: Dialect) -> String {
    use ColumnType as T;
    let text = |s: &str| format!("'{s}'");
    match column_type {
        T::TinyInteger | T::SmallInteger | T::Integer | T::BigInteger => "7".into(),
        T::TinyUnsigned | T::SmallUnsigned | T::Unsigned | T::BigUnsigned => "7".into(),
        T::Float | T::Double => "1.5".into(),
        T::Decimal(_) | T::Money(_) => "12.34".into(),
        T::Char(_) | T::String(_) | T::Text => text("abc"),
        T::Boolean if dialect == Dialect::Postgres => "TRUE".into(),
        T::Boolean => "1".into(),
        T::Date => text("2024-01-02"),
        T::Time => text("03:04:05"),
        T::DateTime | T::Timestamp => text("2024-01-02 03:04:05"),
        T::TimestampWithTimeZone if dialect == Dialect::MySql => text("2024-01-02 03:04:05"),
        T::TimestampWithTimeZone => text("2024-01-02 03:04:05+00:00"),
        T::Json | T::JsonBinary => text(r#"{"a": 1}"#),
        T::Uuid if dialect == Dialect::MySql => "UNHEX('6f1c0a9e1d5e4a3b9c8d0e1f2a3b4c5d')".into(),
        T::Uuid => text("6f1c0a9e-1d5e-4a3b-9c8d-0e1f2a3b4c5d"),
        T::Blob | T::Binary(_) | T::VarBinary(_) if dialect == Dialect::Postgres => text("\\x0102"),
        T::Blob | T::Binary(_) | T::VarBinary(_) => "X'0102'".into(),
        T::Enum { variants, .. } => text(&variants[0]),
        T::Year => "2024".into(),
        T::Bit(_) if dialect == Dialect::MySql => "b'1010'".into(),
        T::Bit(Some(n)) => format!("B'{}'", "1".repeat(*n as usize)),
        T::Bit(None) | T::VarBit(_) => "B'101'".into(),
        T::Interval(..) => text("1 day"),
        T::Inet => text("10.0.0.1"),
        T::Cidr => text("10.0.0.0/8"),
        T::MacAddr => text("08:00:2b:01:02:03"),
        T::Array(element) if matches!(**element, T::Integer) => text("{1,2}"),
        T::Array(_) => text("{a,b}"),
        other => panic!("no sample for {other:?}"),
    }
}

/// A default an entity could give `column_type`, where the backend takes one.
fn default_for(column_type: &ColumnType, dialect: Dialect) -> Option<DefaultValue> {
    use ColumnType as T;
    Some(match column_type {
        T::TinyInteger | T::SmallInteger | T::Integer | T::BigInteger => DefaultValue::Int(7),
        T::TinyUnsigned | T::SmallUnsigned | T::Unsigned | T::BigUnsigned => DefaultValue::Int(7),
        // MySQL reads a two-digit year as 20xx.
        T::Year => DefaultValue::Int(2024),
        T::Float | T::Double => DefaultValue::Float(1.5),
        T::Decimal(_) => DefaultValue::Float(12.34),
        T::Char(_) | T::String(_) | T::Text => DefaultValue::String("abc".into()),
        T::Boolean => DefaultValue::Bool(true),
        T::Date => DefaultValue::String("2024-01-02".into()),
        T::Time => DefaultValue::String("03:04:05".into()),
        T::DateTime | T::Timestamp => DefaultValue::String("2024-01-02 03:04:05".into()),
        T::Enum { variants, .. } => DefaultValue::String(variants[0].clone()),
        T::Json | T::JsonBinary if dialect != Dialect::MySql => DefaultValue::String("{}".into()),
        T::Inet => DefaultValue::String("10.0.0.1".into()),
        // Binary, UUID, arrays, bits, money, intervals: defaults no entity
        // writes portably; the other variants still cover the type.
        _ => return None,
    })
}

/// Whether `dialect` can put a plain UNIQUE or index on a column of `column_type`.
fn indexable(column_type: &ColumnType, dialect: Dialect) -> bool {
    use ColumnType as T;
    match dialect {
        // MySQL indexes TEXT, BLOB and JSON only by a prefix length SeaORM cannot declare.
        Dialect::MySql => !matches!(
            column_type,
            T::Text | T::Blob | T::Json | T::JsonBinary | T::VarBinary(StringLen::None)
        ),
        // `json` has no equality operator.
        Dialect::Postgres => !matches!(column_type, T::Json),
        Dialect::Sqlite => true,
    }
}

/// One table per declared type: `v` as declared, then nullable, defaulted,
/// unique and indexed variants of it.
fn matrix(dialect: Dialect) -> Schema {
    let (columns, enums) = declared_types(dialect);
    let mut schema = Schema::new();
    schema.enums = enums;
    for declared in columns {
        let name = format!("mx_{}", declared.name);
        let variant = |suffix: &str| Column {
            name: format!("v_{suffix}"),
            ..declared.clone()
        };
        let mut table = Table::new(&name)
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column {
                name: "v".into(),
                ..declared.clone()
            })
            .column(Column {
                nullable: true,
                ..variant("null")
            })
            .primary_key(["id"]);
        if let Some(default) = default_for(&declared.column_type, dialect) {
            table = table.column(Column {
                default: Some(default),
                ..variant("dflt")
            });
        }
        if indexable(&declared.column_type, dialect) {
            table = table
                .column(Column {
                    unique: true,
                    ..variant("uniq")
                })
                .column(variant("idx"))
                .index(Index::new(format!("idx-{name}-v_idx"), &name, ["v_idx"]));
        }
        schema.insert(table);
    }
    schema
}

/// Every variant changed at once: `v` nullable, the default, the UNIQUE and
/// the index gone.
fn loosened(schema: &Schema) -> Schema {
    let mut changed = schema.clone();
    for table in changed.tables.values_mut() {
        for column in &mut table.columns {
            match column.name.as_str() {
                "v" => column.nullable = true,
                "v_dflt" => column.default = None,
                "v_uniq" => column.unique = false,
                _ => {}
            }
        }
        table.indexes.clear();
    }
    changed
}

async fn run(db: &DatabaseConnection, ops: &[Op], dialect: Dialect) {
    for op in ops {
        for sql in autogen_migrate::render(op, dialect).unwrap() {
            db.execute_unprepared(&sql)
                .await
                .unwrap_or_else(|e| panic!("{op}: {sql}\n{e}"));
        }
    }
}

async fn assert_holds(db: &DatabaseConnection, expected: &Schema, dialect: Dialect, when: &str) {
    let current = autogen_introspect::introspect(db).await.unwrap();
    let left = autogen_diff::diff(&current, expected, dialect, &Options::default());
    let described: Vec<String> = left.iter().map(ToString::to_string).collect();
    assert_eq!(described, Vec::<String>::new(), "{dialect} {when}");
}

/// Every value of every row, as text the backend prints it in.
async fn rows(db: &DatabaseConnection, schema: &Schema, dialect: Dialect) -> Vec<String> {
    let mut values = Vec::new();
    for table in schema.tables.values() {
        for column in &table.columns {
            let quoted = match dialect {
                Dialect::MySql => format!("`{}`", column.name),
                _ => format!("\"{}\"", column.name),
            };
            let binary = matches!(
                column.column_type,
                ColumnType::Blob
                    | ColumnType::Binary(_)
                    | ColumnType::VarBinary(_)
                    | ColumnType::Uuid
                    | ColumnType::Bit(_)
            );
            let as_text = match dialect {
                Dialect::Postgres => format!("{quoted}::text"),
                Dialect::Sqlite => format!("quote({quoted})"),
                Dialect::MySql if binary => format!("HEX({quoted})"),
                Dialect::MySql => format!("CAST({quoted} AS CHAR)"),
            };
            let sql = format!("SELECT {as_text} AS value FROM {} ORDER BY 1", table.name);
            for row in db
                .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
            {
                let value: Option<String> = row.try_get("", "value").unwrap();
                values.push(format!("{}.{} = {value:?}", table.name, column.name));
            }
        }
    }
    values
}

test_each_backend!(
    every_type_and_attribute_round_trips,
    |db: TestDb, backend: Backend| {
        let dialect = backend.dialect();
        let mut options = ConnectOptions::new(&db.url);
        options.max_connections(1);
        let conn = Database::connect(options).await.unwrap();
        let target = matrix(dialect);
        assert!(target.tables.len() >= 25, "{:?}", target.tables.keys());

        let create = autogen_diff::diff(&Schema::new(), &target, dialect, &Options::default());
        run(&conn, &create, dialect).await;
        for table in target.tables.values() {
            let declared = &table.get_column("v").unwrap().column_type;
            let filled: Vec<&Column> = table
                .columns
                .iter()
                .filter(|c| c.name != "id" && c.name != "v_dflt")
                .collect();
            let names: Vec<&str> = filled.iter().map(|c| c.name.as_str()).collect();
            let values = vec![sample(declared, dialect); filled.len()];
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                table.name,
                names.join(", "),
                values.join(", ")
            );
            conn.execute_unprepared(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}\n{e}"));
        }
        // Created from the entities' types, the database is what they say.
        assert_holds(&conn, &target, dialect, "once created").await;
        let before = rows(&conn, &target, dialect).await;
        assert!(
            !before
                .iter()
                .any(|v| v.ends_with("None") && !v.contains(".v_null")),
            "{before:#?}"
        );

        let current = autogen_introspect::introspect(&conn).await.unwrap();
        let after = loosened(&target);
        let upgrade = autogen_diff::diff(&current, &after, dialect, &Options::default());
        assert!(!upgrade.is_empty());
        run(&conn, &upgrade, dialect).await;
        assert_holds(&conn, &after, dialect, "after the upgrade").await;
        assert_eq!(
            rows(&conn, &target, dialect).await,
            before,
            "{dialect}: rows after the upgrade"
        );

        let downgrade = invert_all(&upgrade, &current).unwrap();
        run(&conn, &downgrade, dialect).await;
        assert_holds(&conn, &target, dialect, "after the downgrade").await;
        assert_eq!(
            rows(&conn, &target, dialect).await,
            before,
            "{dialect}: rows after the downgrade"
        );
    }
);

//! PostgreSQL introspection through the system catalogs, six queries in all.
//!
//! sea-schema's PostgreSQL discovery is not used: it does not return
//! non-unique indexes, comments, or partial-index predicates, reports NOT NULL
//! pseudo-checks as CHECKs, and sends about six queries per table (41 s for
//! 500 tables through sea-orm-cli). These queries read each object kind for
//! the whole schema at once, so their number does not grow with the tables.
//! Lists inside a row are joined with the unit separator (`chr(31)`), which
//! no identifier or expression contains, because SeaORM's `postgres-array`
//! feature is not assumed.

use std::collections::BTreeMap;

use autogen_schema::{
    Check, Column, ColumnType, Dialect, ForeignKey, ForeignKeyAction, Index, IndexPart, PrimaryKey, Schema,
    Table, UniqueConstraint,
};
use sea_orm::ConnectionTrait;

use crate::{get, query, table_entry, Error};

const DIALECT: Dialect = Dialect::Postgres;
const SEPARATOR: char = '\u{1f}';

// Comments come from pg_description joined once, not from obj_description()
// and col_description() per row: at 500 tables that per-row form cost more
// than everything else together.
const TABLES: &str = "SELECT c.relname AS name, ds.description AS comment \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0 \
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname";

const COLUMNS: &str = "SELECT c.relname AS tbl, a.attnum::int4 AS num, a.attname AS name, \
       format_type(a.atttypid, a.atttypmod) AS type, t.typtype::text AS typtype, t.typname AS typname, \
       a.attnotnull AS not_null, a.attidentity::text AS identity, ds.description AS comment \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
     JOIN pg_type t ON t.oid = a.atttypid \
     LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum \
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname, a.attnum";

// Deparsing defaults is the costliest part of reading a schema; as a query
// of its own it runs beside the others instead of after them.
const DEFAULTS: &str =
    "SELECT c.relname AS tbl, d.adnum::int4 AS num, pg_get_expr(d.adbin, d.adrelid) AS dflt \
     FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')";

// Key columns come back as attribute numbers, named from the COLUMNS rows;
// only a foreign key into another schema needs its column names looked up here.
const CONSTRAINTS: &str = "SELECT c.relname AS tbl, con.conname AS name, con.contype::text AS kind, \
       CASE WHEN con.contype = 'c' THEN pg_get_constraintdef(con.oid, true) END AS definition, \
       array_to_string(con.conkey, ' ') AS conkey, rc.relname AS ref_table, \
       array_to_string(con.confkey, ' ') AS confkey, \
       CASE WHEN con.contype = 'f' AND rc.relnamespace <> c.relnamespace THEN \
         (SELECT string_agg(a.attname, chr(31) ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(num, ord) \
            JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num) END AS foreign_ref_columns, \
       con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update \
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class rc ON rc.oid = con.confrelid \
     WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'f', 'c') ORDER BY c.relname, con.conname";

/// Indexes that back a constraint are read as that constraint instead. Key
/// parts come back as attribute numbers (0 for an expression); only an index
/// with expressions has them printed.
const INDEXES: &str = "SELECT c.relname AS tbl, i.relname AS name, x.indisunique AS is_unique, \
       CASE WHEN x.indpred IS NOT NULL THEN pg_get_expr(x.indpred, x.indrelid, true) END AS predicate, \
       array_to_string((x.indkey::int2[])[0:x.indnkeyatts - 1], ' ') AS indkey, \
       CASE WHEN 0 = ANY (x.indkey::int2[]) THEN \
         (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), chr(31) ORDER BY k) \
            FROM generate_series(1, x.indnkeyatts::int) k) END AS texts \
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') \
       AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x')) \
     ORDER BY c.relname, i.relname";

const ENUMS: &str =
    "SELECT t.typname AS name, string_agg(e.enumlabel, chr(31) ORDER BY e.enumsortorder) AS labels \
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
     WHERE n.nspname = $1 GROUP BY t.typname ORDER BY t.typname";

/// How many catalog queries one introspection sends, whatever the schema's size.
pub(crate) const QUERIES: usize = 6;

pub(crate) async fn introspect<C: ConnectionTrait>(db: &C, schema_name: &str) -> Result<Schema, Error> {
    // Sent together: on a pooled connection they run side by side, and
    // deparsing every column default (pg_get_expr) no longer adds to the rest.
    let (enums, table_rows, columns, defaults, constraints, indexes) = tokio::try_join!(
        query(db, ENUMS, vec![schema_name.into()]),
        query(db, TABLES, vec![schema_name.into()]),
        query(db, COLUMNS, vec![schema_name.into()]),
        query(db, DEFAULTS, vec![schema_name.into()]),
        query(db, CONSTRAINTS, vec![schema_name.into()]),
        query(db, INDEXES, vec![schema_name.into()]),
    )?;
    let mut schema = Schema::new();
    for row in enums {
        let labels: String = get(&row, "labels")?;
        schema.enums.insert(get(&row, "name")?, split(&labels));
    }

    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for row in table_rows {
        let name: String = get(&row, "name")?;
        let mut table = Table::new(name.clone());
        table.comment = get(&row, "comment")?;
        tables.insert(name, table);
    }

    let mut column_defaults: BTreeMap<(String, i32), String> = BTreeMap::new();
    for row in defaults {
        column_defaults.insert((get(&row, "tbl")?, get(&row, "num")?), get(&row, "dflt")?);
    }
    // Table → attribute number → column name, for keys that come back as numbers.
    let mut attnames: BTreeMap<String, BTreeMap<i32, String>> = BTreeMap::new();
    for row in columns {
        let table: String = get(&row, "tbl")?;
        let name: String = get(&row, "name")?;
        let num: i32 = get(&row, "num")?;
        attnames
            .entry(table.clone())
            .or_default()
            .insert(num, name.clone());
        let declared: String = get(&row, "type")?;
        let typtype: String = get(&row, "typtype")?;
        let typname: String = get(&row, "typname")?;
        let not_null: bool = get(&row, "not_null")?;
        let default = column_defaults.remove(&(table.clone(), num));
        let identity: String = get(&row, "identity")?;
        let column_type = match schema.enums.get(&typname) {
            Some(labels) if typtype == "e" => ColumnType::Enum {
                name: typname.clone(),
                variants: labels.clone(),
            },
            _ => DIALECT.parse_column_type(&declared),
        };
        // A serial column is an integer whose default draws from its own sequence.
        let serial = default.as_deref().is_some_and(|d| d.starts_with("nextval("));
        table_entry(&mut tables, &table, "pg_class")?
            .columns
            .push(Column {
                name,
                column_type,
                nullable: !not_null,
                default: default.filter(|_| !serial).map(|d| DIALECT.parse_default(&d)),
                auto_increment: serial || !identity.is_empty(),
                unique: false,
                comment: get(&row, "comment")?,
                // Neither is anything a database reports.
                extra: None,
                renamed_from: None,
            });
    }

    for row in constraints {
        let table: String = get(&row, "tbl")?;
        let name: String = get(&row, "name")?;
        let kind: String = get(&row, "kind")?;
        let conkey: Option<String> = get(&row, "conkey")?;
        let columns = names(&attnames, &table, conkey.as_deref())?;
        let t = table_entry(&mut tables, &table, "pg_class")?;
        match kind.as_str() {
            "p" => {
                let generated = format!("{table}_pkey");
                t.primary_key = Some(PrimaryKey {
                    name: (name != generated).then_some(name),
                    columns,
                })
            }
            // A single-column UNIQUE is the column's property, as SeaORM declares it.
            "u" if columns.len() == 1 => {
                if let Some(c) = t.columns.iter_mut().find(|c| c.name == columns[0]) {
                    c.unique = true;
                }
            }
            "u" => {
                let generated = format!("{table}_{}_key", columns.join("_"));
                t.unique_constraints.push(UniqueConstraint {
                    name: (name != generated).then_some(name),
                    columns,
                })
            }
            "f" => {
                let ref_table: String = get(&row, "ref_table")?;
                let foreign: Option<String> = get(&row, "foreign_ref_columns")?;
                let ref_columns = match foreign {
                    Some(names) => split(&names),
                    None => names(
                        &attnames,
                        &ref_table,
                        get::<Option<String>>(&row, "confkey")?.as_deref(),
                    )?,
                };
                t.foreign_keys.push(ForeignKey {
                    name: Some(name),
                    columns,
                    ref_table,
                    ref_columns,
                    on_delete: action(&get::<String>(&row, "on_delete")?),
                    on_update: action(&get::<String>(&row, "on_update")?),
                });
            }
            _ => {
                let definition: String = get(&row, "definition")?;
                // Even a name PostgreSQL made up (`<table>_<column>_check`) is
                // kept: its rule needs the columns the condition mentions, so
                // dropping the check later needs the name as it is. The diff
                // ignores a name the entities leave to the backend.
                t.checks
                    .push(Check::new(check_expression(&definition)).name(name));
            }
        }
    }

    for row in indexes {
        let table: String = get(&row, "tbl")?;
        let indkey: String = get(&row, "indkey")?;
        let texts: Option<String> = get(&row, "texts")?;
        let texts = texts.as_deref().map(split).unwrap_or_default();
        let parts = indkey
            .split_whitespace()
            .enumerate()
            .map(|(i, num)| match num {
                "0" => Ok(IndexPart::Expression(texts.get(i).cloned().unwrap_or_default())),
                num => names(&attnames, &table, Some(num)).map(|mut n| IndexPart::Column(n.remove(0))),
            })
            .collect::<Result<_, _>>()?;
        let t = table_entry(&mut tables, &table, "pg_class")?;
        t.indexes.push(Index {
            name: get(&row, "name")?,
            table,
            parts,
            unique: get(&row, "is_unique")?,
            where_clause: get(&row, "predicate")?,
        });
    }

    for table in tables.into_values() {
        schema.insert(table);
    }
    Ok(schema)
}

/// `CHECK ((a > 0))` → `a > 0`.
fn check_expression(definition: &str) -> String {
    let body = definition
        .trim()
        .strip_prefix("CHECK")
        .unwrap_or(definition)
        .trim();
    let body = body.strip_suffix(" NOT VALID").unwrap_or(body);
    let mut text = body.trim();
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        if inner
            .chars()
            .scan(0i32, |depth, c| {
                *depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                Some(*depth)
            })
            .any(|d| d < 0)
        {
            break;
        }
        text = inner.trim();
    }
    text.to_owned()
}

/// `pg_constraint.confdeltype` letters.
fn action(code: &str) -> ForeignKeyAction {
    match code {
        "r" => ForeignKeyAction::Restrict,
        "c" => ForeignKeyAction::Cascade,
        "n" => ForeignKeyAction::SetNull,
        "d" => ForeignKeyAction::SetDefault,
        _ => ForeignKeyAction::NoAction,
    }
}

/// Attribute numbers (`"1 3"`) of `table` as column names.
fn names(
    attnames: &BTreeMap<String, BTreeMap<i32, String>>,
    table: &str,
    nums: Option<&str>,
) -> Result<Vec<String>, Error> {
    let Some(nums) = nums else { return Ok(Vec::new()) };
    nums.split_whitespace()
        .map(|num| {
            num.parse::<i32>()
                .ok()
                .and_then(|n| attnames.get(table)?.get(&n).cloned())
                .ok_or_else(|| Error::Catalog {
                    object: format!("table '{table}'"),
                    detail: format!("a key names column number {num}, which the table does not have"),
                })
        })
        .collect()
}

fn split(joined: &str) -> Vec<String> {
    joined.split(SEPARATOR).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::contextualize_config;

    #[test]
    fn check_definitions_lose_their_wrapping() {
        assert_eq!(check_expression("CHECK ((views >= 0))"), "views >= 0");
        assert_eq!(check_expression("CHECK (a > 0) NOT VALID"), "a > 0");
        assert_eq!(
            check_expression("CHECK ((a > 0) AND (b > 0))"),
            "(a > 0) AND (b > 0)"
        );
    }

    proptest! {
        #![proptest_config(contextualize_config(ProptestConfig::with_cases(2000)))]

        /// Fuzzing: whatever `pg_get_constraintdef` says, its condition is read from it.
        #[test]
        fn any_check_definition_reads_as_a_piece_of_itself(definition in crate::fuzz::sql_text()) {
            prop_assert!(definition.contains(check_expression(&definition).as_str()));
        }
    }
}

//! MySQL and MariaDB introspection through `information_schema`, six queries in all.
//!
//! sea-schema's MySQL discovery is not used: it misses CHECK constraints and
//! queries per table. The queries here read each object kind for the whole
//! database at once.
//!
//! What the two servers report differently is settled here: MariaDB quotes
//! string defaults (`'x'`) and spells `CURRENT_TIMESTAMP` as
//! `current_timestamp()`, reports `NULL` for "no default", and stores `JSON`
//! as `longtext` with a `json_valid()` CHECK; MySQL 8 reports string defaults
//! bare and keeps CHECK names unique per database.

use std::collections::BTreeMap;

use autogen_schema::{
    Check, Column, ColumnType, DefaultValue, Dialect, ForeignKey, ForeignKeyAction, Index, IndexPart,
    PrimaryKey, Schema, Table,
};
use sea_orm::ConnectionTrait;

use crate::{get, query, table_entry, Error};

const DIALECT: Dialect = Dialect::MySql;

const VERSION: &str = "SELECT VERSION() AS version";

const TABLES: &str = "SELECT TABLE_NAME AS name, TABLE_COMMENT AS comment FROM information_schema.TABLES \
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME";

/// Views have columns too; only base tables are schema.
const COLUMNS: &str = "SELECT c.TABLE_NAME AS tbl, c.COLUMN_NAME AS name, c.COLUMN_TYPE AS type, \
       c.IS_NULLABLE AS nullable, c.COLUMN_DEFAULT AS dflt, c.EXTRA AS extra, c.COLUMN_COMMENT AS comment \
     FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
       ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE' \
     WHERE c.TABLE_SCHEMA = DATABASE() ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION";

const INDEXES: &str =
    "SELECT TABLE_NAME AS tbl, INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS col \
     FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
     ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";

const FOREIGN_KEYS: &str = "SELECT k.TABLE_NAME AS tbl, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, \
       k.REFERENCED_TABLE_NAME AS ref_table, k.REFERENCED_COLUMN_NAME AS ref_col, \
       r.UPDATE_RULE AS on_update, r.DELETE_RULE AS on_delete \
     FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
       ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
     WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
     ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION";

/// MariaDB names column-level CHECKs after their column, so the same name can
/// appear in several tables: its CHECK_CONSTRAINTS has TABLE_NAME to join on.
const CHECKS_MARIADB: &str =
    "SELECT cc.TABLE_NAME AS tbl, cc.CONSTRAINT_NAME AS name, cc.CHECK_CLAUSE AS expr, cc.LEVEL AS level \
     FROM information_schema.CHECK_CONSTRAINTS cc WHERE cc.CONSTRAINT_SCHEMA = DATABASE() \
     ORDER BY cc.TABLE_NAME, cc.CONSTRAINT_NAME";

/// MySQL keeps CHECK names unique per database; TABLE_CONSTRAINTS says whose they are.
const CHECKS_MYSQL: &str = "SELECT tc.TABLE_NAME AS tbl, cc.CONSTRAINT_NAME AS name, cc.CHECK_CLAUSE AS expr, 'Table' AS level \
     FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc \
       ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
     WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK' ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME";

/// How many queries one introspection sends, whatever the database's size.
pub(crate) const QUERIES: usize = 6;

pub(crate) async fn introspect<C: ConnectionTrait>(db: &C) -> Result<Schema, Error> {
    let version: String = match query(db, VERSION, vec![]).await?.first() {
        Some(row) => get(row, "version")?,
        None => String::new(),
    };
    let mariadb = version.to_ascii_lowercase().contains("mariadb");

    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for row in query(db, TABLES, vec![]).await? {
        let name: String = get(&row, "name")?;
        let comment: String = get(&row, "comment")?;
        let mut table = Table::new(name.clone());
        table.comment = Some(comment).filter(|c| !c.is_empty());
        tables.insert(name, table);
    }

    for row in query(db, COLUMNS, vec![]).await? {
        let table: String = get(&row, "tbl")?;
        let name: String = get(&row, "name")?;
        let declared: String = get(&row, "type")?;
        let nullable: String = get(&row, "nullable")?;
        let default: Option<String> = get(&row, "dflt")?;
        let extra: String = get(&row, "extra")?;
        let comment: String = get(&row, "comment")?;
        let column_type = match DIALECT.parse_column_type(&declared) {
            // A MySQL ENUM belongs to its column, and is named after it.
            ColumnType::Enum { variants, .. } => ColumnType::Enum {
                name: name.clone(),
                variants,
            },
            other => other,
        };
        let is_text = matches!(
            column_type,
            ColumnType::String(_) | ColumnType::Char(_) | ColumnType::Text | ColumnType::Enum { .. }
        );
        let default = default.and_then(|d| read_default(&d, mariadb, is_text, &extra));
        table_entry(&mut tables, &table, "information_schema.TABLES")?
            .columns
            .push(Column {
                name,
                column_type,
                nullable: nullable == "YES",
                default,
                auto_increment: extra.to_ascii_lowercase().contains("auto_increment"),
                unique: false,
                comment: Some(comment).filter(|c| !c.is_empty()),
                // Neither is anything a database reports.
                extra: None,
                renamed_from: None,
            });
    }

    let mut foreign_keys: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for row in query(db, FOREIGN_KEYS, vec![]).await? {
        let table: String = get(&row, "tbl")?;
        let name: String = get(&row, "name")?;
        let on_update: String = get(&row, "on_update")?;
        let on_delete: String = get(&row, "on_delete")?;
        let ref_table: String = get(&row, "ref_table")?;
        let fk = foreign_keys
            .entry((table, name.clone()))
            .or_insert_with(|| ForeignKey {
                name: Some(name),
                columns: Vec::new(),
                ref_table,
                ref_columns: Vec::new(),
                on_delete: ForeignKeyAction::from_sql(&on_delete).unwrap_or_default(),
                on_update: ForeignKeyAction::from_sql(&on_update).unwrap_or_default(),
            });
        fk.columns.push(get(&row, "col")?);
        fk.ref_columns.push(get(&row, "ref_col")?);
    }

    let mut indexes: BTreeMap<(String, String), Index> = BTreeMap::new();
    for row in query(db, INDEXES, vec![]).await? {
        let table: String = get(&row, "tbl")?;
        let name: String = get(&row, "name")?;
        let non_unique: i64 = get(&row, "non_unique")?;
        let column: Option<String> = get(&row, "col")?;
        let index = indexes
            .entry((table.clone(), name.clone()))
            .or_insert_with(|| Index::new(name, table, Vec::<String>::new()));
        index.unique = non_unique == 0;
        // A functional key part has no column name (MySQL 8 only).
        index.parts.push(match column {
            Some(column) => IndexPart::Column(column),
            None => IndexPart::Expression(String::new()),
        });
    }
    for ((table, name), index) in indexes {
        let t = table_entry(&mut tables, &table, "information_schema.TABLES")?;
        let columns: Vec<String> = index.column_names().map(str::to_owned).collect();
        if name == "PRIMARY" {
            // MySQL calls every primary key PRIMARY.
            t.primary_key = Some(PrimaryKey { name: None, columns });
            continue;
        }
        // MySQL creates an index for a foreign key that has none, named after
        // the key, or after its first column when the key was left unnamed.
        let backs_foreign_key = !index.unique
            && foreign_keys.iter().any(|((fk_table, fk_name), fk)| {
                *fk_table == table
                    && fk.columns == columns
                    && (*fk_name == name || fk.columns.first() == Some(&name))
            });
        if backs_foreign_key {
            continue;
        }
        // An inline `UNIQUE` makes a unique index named after its column.
        if index.unique && columns.len() == 1 && columns[0] == name {
            if let Some(c) = t.columns.iter_mut().find(|c| c.name == name) {
                c.unique = true;
                continue;
            }
        }
        t.indexes.push(index);
    }
    for ((table, _), fk) in foreign_keys {
        table_entry(&mut tables, &table, "information_schema.TABLES")?
            .foreign_keys
            .push(fk);
    }

    for row in query(db, if mariadb { CHECKS_MARIADB } else { CHECKS_MYSQL }, vec![]).await? {
        let table: String = get(&row, "tbl")?;
        let name: String = get(&row, "name")?;
        let expression: String = get(&row, "expr")?;
        let level: String = get(&row, "level")?;
        let t = table_entry(&mut tables, &table, "information_schema.TABLES")?;
        // MariaDB's JSON is longtext with this CHECK; it is the type, not a constraint.
        if let Some(column) = json_valid_column(&expression) {
            if let Some(c) = t.columns.iter_mut().find(|c| c.name == column && c.name == name) {
                if c.column_type == ColumnType::Text || c.column_type == ColumnType::Custom("longtext".into())
                {
                    c.column_type = ColumnType::Json;
                    continue;
                }
            }
        }
        // Even a name the server made up (MariaDB: the column's; MySQL:
        // `<table>_chk_<n>`) is kept, since dropping the check needs it; the
        // diff ignores a name the entities leave to the backend.
        // A MariaDB column-level CHECK is named after its column, which holds it.
        let column = (level == "Column").then(|| name.clone());
        t.checks.push(Check {
            name: Some(name),
            expression,
            column,
        });
    }

    let mut schema = Schema::new();
    for table in tables.into_values() {
        schema.insert(table);
    }
    Ok(schema)
}

/// A reported default as a model default; `None` when there is none.
fn read_default(text: &str, mariadb: bool, is_text: bool, extra: &str) -> Option<DefaultValue> {
    if mariadb {
        // MariaDB says NULL both for DEFAULT NULL and for no default at all.
        return (text != "NULL").then(|| DIALECT.parse_default(text));
    }
    // MySQL 8 reports string literals without quotes; expressions are marked DEFAULT_GENERATED.
    if is_text && !extra.to_ascii_uppercase().contains("DEFAULT_GENERATED") {
        return Some(DefaultValue::String(text.to_owned()));
    }
    Some(DIALECT.parse_default(text))
}

/// `json_valid(`col`)` → `col` (`` `a``b` `` → `` a`b ``).
fn json_valid_column(expression: &str) -> Option<String> {
    let column = expression
        .trim()
        .strip_prefix("json_valid(")?
        .strip_suffix(')')?
        .trim();
    Some(match column.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
        Some(quoted) => quoted.replace("``", "`"),
        None => column.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::contextualize_config;

    #[test]
    fn defaults_as_each_server_reports_them() {
        assert_eq!(read_default("NULL", true, true, ""), None);
        assert_eq!(
            read_default("'x'", true, true, ""),
            Some(DefaultValue::String("x".into()))
        );
        assert_eq!(
            read_default("current_timestamp()", true, false, ""),
            Some(DefaultValue::Expr("CURRENT_TIMESTAMP".into()))
        );
        assert_eq!(
            read_default("x", false, true, ""),
            Some(DefaultValue::String("x".into()))
        );
        assert_eq!(read_default("0", false, false, ""), Some(DefaultValue::Int(0)));
    }

    #[test]
    fn json_valid_names_its_column() {
        assert_eq!(
            json_valid_column("json_valid(`settings`)").as_deref(),
            Some("settings")
        );
        assert_eq!(
            json_valid_column("json_valid(`say \"hi\" ``x`` it's`)").as_deref(),
            Some("say \"hi\" `x` it's")
        );
        assert_eq!(json_valid_column("`a` > 0"), None);
    }

    proptest! {
        #![proptest_config(contextualize_config(ProptestConfig::with_cases(2000)))]

        /// Fuzzing: whatever the server reports, a default is read (none
        /// only for MariaDB's `NULL`) and a JSON check names a piece of itself
        /// (its backticks doubled there).
        #[test]
        fn any_reported_default_and_check_reads(
            text in crate::fuzz::sql_text(),
            extra in crate::fuzz::sql_text(),
            mariadb in any::<bool>(),
            is_text in any::<bool>(),
        ) {
            let default = read_default(&text, mariadb, is_text, &extra);
            prop_assert_eq!(default.is_none(), mariadb && text == "NULL");
            if let Some(column) = json_valid_column(&text) {
                prop_assert!(text.contains(&column.replace('`', "``")));
            }
        }
    }
}

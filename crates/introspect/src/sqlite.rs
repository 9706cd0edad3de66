//! SQLite introspection through its catalog pragmas.
//!
//! sea-schema's SQLite discovery is not used: it maps the declared type to a
//! `ColumnType` lossily (`integer` becomes `BigInteger`, `enum_text` becomes
//! `Text`), misses CHECK constraints, foreign key names, index expressions and
//! partial-index predicates, and queries per table. CHECKs, index expressions
//! and predicates are read from the stored DDL text (`sql_text`). SQLite keeps each declared type verbatim, so reading
//! it directly and parsing it with [`Dialect::parse_column_type`] is both
//! exact and a fixed number of queries (one per object kind, joined over
//! `sqlite_master`).

use std::collections::btree_map::{BTreeMap, Entry};

use autogen_schema::{
    Column, ColumnType, Dialect, ForeignKey, ForeignKeyAction, Index, IndexPart, PrimaryKey, Schema, Table,
    UniqueConstraint,
};
use sea_orm::ConnectionTrait;

use crate::{get, query, sql_text, table_entry, Error};

const DIALECT: Dialect = Dialect::Sqlite;

/// User tables only: SQLite's own (`sqlite_sequence`, `sqlite_stat1`) are not schema.
const TABLES: &str = "SELECT name, sql FROM sqlite_master \
     WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

const COLUMNS: &str = "SELECT m.name AS tbl, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk \
     FROM sqlite_master m JOIN pragma_table_info(m.name) c \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name, c.cid";

const INDEXES: &str = "SELECT m.name AS tbl, l.name, l.\"unique\", l.origin, i.name AS col, s.sql \
     FROM sqlite_master m JOIN pragma_index_list(m.name) l JOIN pragma_index_info(l.name) i \
     LEFT JOIN sqlite_master s ON s.type = 'index' AND s.name = l.name \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name, l.name, i.seqno";

const FOREIGN_KEYS: &str = "SELECT m.name AS tbl, f.id, f.\"table\" AS ref_table, f.\"from\", f.\"to\", \
     f.on_update, f.on_delete \
     FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name, f.id, f.seq";

pub(crate) async fn introspect<C: ConnectionTrait>(db: &C) -> Result<Schema, Error> {
    let mut tables: BTreeMap<String, (Table, String)> = BTreeMap::new();
    for row in query(db, TABLES, vec![]).await? {
        let name: String = get(&row, "name")?;
        let sql: Option<String> = get(&row, "sql")?;
        tables.insert(name.clone(), (Table::new(name), sql.unwrap_or_default()));
    }

    let mut primary_keys: BTreeMap<String, Vec<(i32, String)>> = BTreeMap::new();
    for row in query(db, COLUMNS, vec![]).await? {
        let table: String = get(&row, "tbl")?;
        let name: String = get(&row, "name")?;
        let declared: String = get(&row, "type")?;
        let not_null: i32 = get(&row, "notnull")?;
        let default: Option<String> = get(&row, "dflt_value")?;
        let pk: i32 = get(&row, "pk")?;
        if pk > 0 {
            primary_keys
                .entry(table.clone())
                .or_default()
                .push((pk, name.clone()));
        }
        let (t, _) = table_entry(&mut tables, &table, "sqlite_master")?;
        t.columns.push(Column {
            name,
            column_type: DIALECT.parse_column_type(&declared),
            nullable: not_null == 0,
            default: default.map(|d| DIALECT.parse_default(&d)),
            auto_increment: false,
            unique: false,
            // SQLite has no comments.
            comment: None,
            // Neither is anything a database reports.
            extra: None,
            renamed_from: None,
        });
    }
    for (table, mut key) in primary_keys {
        key.sort();
        let (t, sql) = table_entry(&mut tables, &table, "sqlite_master")?;
        // AUTOINCREMENT is only legal on a lone INTEGER PRIMARY KEY, and
        // sqlite_master keeps the CREATE TABLE text as written.
        if key.len() == 1 && sql_text::autoincrements(sql) {
            if let Some(c) = t.columns.iter_mut().find(|c| c.name == key[0].1) {
                c.auto_increment = true;
            }
        }
        // A lone `INTEGER PRIMARY KEY` is the rowid: never NULL, and numbered
        // by SQLite when not given, whatever the pragma's notnull says.
        if key.len() == 1 && !sql_text::without_rowid(sql) {
            if let Some(c) = t
                .columns
                .iter_mut()
                .find(|c| c.name == key[0].1 && c.column_type == ColumnType::Integer)
            {
                c.nullable = false;
                c.auto_increment = true;
            }
        }
        // SQLite's pragmas do not name the key.
        t.primary_key = Some(PrimaryKey {
            name: None,
            columns: key.into_iter().map(|(_, c)| c).collect(),
        });
    }

    // (table, index) → (index, origin, the key parts as CREATE INDEX wrote them)
    let mut indexes: BTreeMap<(String, String), (Index, String, Vec<String>)> = BTreeMap::new();
    for row in query(db, INDEXES, vec![]).await? {
        let table: String = get(&row, "tbl")?;
        let name: String = get(&row, "name")?;
        let unique: i32 = get(&row, "unique")?;
        let origin: String = get(&row, "origin")?;
        let column: Option<String> = get(&row, "col")?;
        let sql: Option<String> = get(&row, "sql")?;
        let entry = indexes.entry((table.clone(), name.clone())).or_insert_with(|| {
            let mut index = Index::new(name, table, Vec::<String>::new());
            index.unique = unique != 0;
            // Only CREATE INDEX text says what an expression part or a predicate is.
            let (texts, predicate) = sql.as_deref().map(sql_text::index_parts).unwrap_or_default();
            index.where_clause = predicate;
            (index, origin, texts)
        });
        let (index, _, texts) = entry;
        let part = match column {
            Some(column) => IndexPart::Column(column),
            None => IndexPart::Expression(texts.get(index.parts.len()).cloned().unwrap_or_default()),
        };
        index.parts.push(part);
    }
    for ((table, _), (index, origin, _)) in indexes {
        let (t, _) = table_entry(&mut tables, &table, "sqlite_master")?;
        let columns: Vec<String> = index.column_names().map(str::to_owned).collect();
        match origin.as_str() {
            // The primary key's own index is the primary key.
            "pk" => {}
            // An inline `UNIQUE` on one column is that column's property, as SeaORM declares it.
            "u" if columns.len() == 1 => {
                if let Some(c) = t.columns.iter_mut().find(|c| c.name == columns[0]) {
                    c.unique = true;
                }
            }
            // SQLite names UNIQUE constraints itself (sqlite_autoindex_…); the name is not the user's.
            "u" => t
                .unique_constraints
                .push(UniqueConstraint { name: None, columns }),
            _ => t.indexes.push(index),
        }
    }
    for (t, sql) in tables.values_mut() {
        t.checks = sql_text::table_checks(sql);
    }

    let mut foreign_keys: BTreeMap<(String, i32), ForeignKey> = BTreeMap::new();
    for row in query(db, FOREIGN_KEYS, vec![]).await? {
        let table: String = get(&row, "tbl")?;
        let id: i32 = get(&row, "id")?;
        let ref_table: String = get(&row, "ref_table")?;
        let from: String = get(&row, "from")?;
        let to: Option<String> = get(&row, "to")?;
        let on_update: String = get(&row, "on_update")?;
        let on_delete: String = get(&row, "on_delete")?;
        let fk = match foreign_keys.entry((table.clone(), id)) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(ForeignKey {
                // SQLite does not keep the names of foreign key constraints.
                name: None,
                columns: Vec::new(),
                ref_table,
                ref_columns: Vec::new(),
                on_delete: action(&on_delete, &table)?,
                on_update: action(&on_update, &table)?,
            }),
        };
        fk.columns.push(from);
        // `to` is NULL when the key references the parent's primary key implicitly.
        fk.ref_columns.extend(to);
    }
    // SQLite numbers a table's foreign keys from the last declared; in
    // declaration order, a table created from this model reads back the same.
    for ((table, _), fk) in foreign_keys.into_iter().rev() {
        table_entry(&mut tables, &table, "sqlite_master")?
            .0
            .foreign_keys
            .push(fk);
    }

    let mut schema = Schema::new();
    for (_, (table, _)) in tables {
        schema.insert(table);
    }
    Ok(schema)
}

fn action(sql: &str, table: &str) -> Result<ForeignKeyAction, Error> {
    ForeignKeyAction::from_sql(sql).ok_or_else(|| Error::Catalog {
        object: format!("a foreign key of table '{table}'"),
        detail: format!("unknown action {sql:?}"),
    })
}

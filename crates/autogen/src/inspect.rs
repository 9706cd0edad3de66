//! `autogen inspect`: the live schema as readable text, or as JSON.
//!
//! Types are shown as the backend stores them (`character varying(200)` on
//! PostgreSQL), defaults as its SQL; tables, and their parts, keep the
//! model's stable order, so two runs on the same database print the same bytes.

use std::fmt::Write as _;

use autogen_schema::{Column, Dialect, Schema, Table};

/// The schema as indented text, one object per line.
pub fn text(schema: &Schema, dialect: Dialect) -> String {
    let mut out = String::new();
    for (name, labels) in &schema.enums {
        let labels: Vec<String> = labels
            .iter()
            .map(|l| format!("'{}'", l.replace('\'', "''")))
            .collect();
        writeln!(out, "enum \"{name}\" ({})", labels.join(", ")).unwrap();
    }
    for table in schema.tables.values() {
        table_text(&mut out, table, dialect);
    }
    // Other schemas compared beside this one (PostgreSQL), each under its name.
    for (name, other) in &schema.schemas {
        writeln!(out, "schema \"{name}\"").unwrap();
        for line in text(other, dialect).lines() {
            writeln!(out, "  {line}").unwrap();
        }
    }
    out
}

fn table_text(out: &mut String, table: &Table, dialect: Dialect) {
    write!(out, "table \"{}\"", table.name).unwrap();
    if let Some(comment) = &table.comment {
        write!(out, " -- {comment}").unwrap();
    }
    out.push('\n');
    for column in &table.columns {
        writeln!(out, "  column {}", column_text(column, dialect)).unwrap();
    }
    if let Some(pk) = &table.primary_key {
        writeln!(out, "  primary key ({})", pk.columns.join(", ")).unwrap();
    }
    for unique in &table.unique_constraints {
        let name = unique
            .name
            .as_deref()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default();
        writeln!(out, "  unique{name} ({})", unique.columns.join(", ")).unwrap();
    }
    for index in &table.indexes {
        let parts: Vec<String> = index.parts.iter().map(ToString::to_string).collect();
        write!(
            out,
            "  {}index \"{}\" ({})",
            if index.unique { "unique " } else { "" },
            index.name,
            parts.join(", ")
        )
        .unwrap();
        if let Some(predicate) = &index.where_clause {
            write!(out, " where {predicate}").unwrap();
        }
        out.push('\n');
    }
    for fk in &table.foreign_keys {
        let name = fk
            .name
            .as_deref()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default();
        writeln!(
            out,
            "  foreign key{name} ({}) references \"{}\" ({}) on delete {} on update {}",
            fk.columns.join(", "),
            fk.ref_table,
            fk.ref_columns.join(", "),
            fk.on_delete,
            fk.on_update
        )
        .unwrap();
    }
    for check in &table.checks {
        let name = check
            .name
            .as_deref()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default();
        writeln!(out, "  check{name} ({})", check.expression).unwrap();
    }
}

fn column_text(column: &Column, dialect: Dialect) -> String {
    let stored = dialect
        .stored_type(&column.column_type)
        .unwrap_or_else(|_| format!("{:?}", column.column_type));
    let mut out = format!("\"{}\" {stored}", column.name);
    out.push_str(if column.nullable { " NULL" } else { " NOT NULL" });
    if let Some(default) = &column.default {
        write!(out, " DEFAULT {}", dialect.default_sql(default)).unwrap();
    }
    if column.auto_increment {
        out.push_str(" AUTO INCREMENT");
    }
    if column.unique {
        out.push_str(" UNIQUE");
    }
    if let Some(comment) = &column.comment {
        write!(out, " -- {comment}").unwrap();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use autogen_schema::{ColumnType, ForeignKey, ForeignKeyAction, Index, StringLen};

    #[test]
    fn text_lists_every_part_in_order() {
        let mut schema = Schema::new();
        schema
            .enums
            .insert("mood".into(), vec!["ok".into(), "sad".into()]);
        schema.insert(
            Table::new("post")
                .column(Column::new("id", ColumnType::Integer).auto_increment())
                .column(
                    Column::new("title", ColumnType::String(StringLen::N(80)))
                        .default("x")
                        .comment("shown"),
                )
                .column(Column::new("user_id", ColumnType::Integer).nullable())
                .primary_key(["id"])
                .foreign_key(
                    ForeignKey::new(["user_id"], "user", ["id"])
                        .name("fk")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .check("c", "id > 0")
                .index(
                    Index::new("ix", "post", ["title"])
                        .expression("lower(title)")
                        .where_clause("id > 1"),
                ),
        );
        assert_eq!(
            text(&schema, Dialect::Postgres),
            r#"enum "mood" ('ok', 'sad')
table "post"
  column "id" integer NOT NULL AUTO INCREMENT
  column "title" character varying(80) NOT NULL DEFAULT 'x' -- shown
  column "user_id" integer NULL
  primary key (id)
  index "ix" (title, (lower(title))) where id > 1
  foreign key "fk" (user_id) references "user" (id) on delete CASCADE on update NO ACTION
  check "c" (id > 0)
"#
        );
    }
}

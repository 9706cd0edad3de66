//! Rust source for each op: the calls a revision author would write by hand.
//!
//! Output is one long line per call; [`crate::rustfmt`] lays it out.

use autogen_schema::{
    Column, ColumnType, Constraint, DefaultValue, Dialect, ForeignKey, ForeignKeyAction, Index, IndexPart,
    Op, StringLen, Table,
};

/// `op.create_table(...);` and friends. A rebuilt table's comment lists its
/// changes in the terms of `dialect`, the backend the ops were compared in.
pub(crate) fn op_call(op: &Op, dialect: Dialect) -> String {
    match op {
        Op::CreateTable(table) => format!("op.create_table({});", table_expr(table)),
        Op::DropTable { name } => format!("op.drop_table({name:?});"),
        Op::AddColumn { table, column } => format!("op.add_column({table:?}, {});", column_expr(column)),
        Op::DropColumn { table, column } => format!("op.drop_column({table:?}, {column:?});"),
        Op::AlterColumn { table, from, to } => format!(
            "op.alter_column({table:?}, {}, {});",
            column_expr(from),
            column_expr(to)
        ),
        Op::RenameColumn { table, from, to } => format!("op.rename_column({table:?}, {from:?}, {to:?});"),
        Op::AddConstraint { table, constraint } => {
            format!("op.add_constraint({table:?}, {});", constraint_expr(constraint))
        }
        Op::DropConstraint { table, constraint } => {
            format!("op.drop_constraint({table:?}, {});", constraint_expr(constraint))
        }
        Op::AlterTableComment { table, from, to } => {
            format!("op.alter_table_comment({table:?}, {from:?}, {to:?});")
        }
        Op::RecreateTable { table, copy, changes } => {
            // What SQLite could not do in place, for the reviewer.
            let mut notes = String::new();
            if !changes.is_empty() {
                notes.push_str("// Rebuilt, keeping the rows of the listed columns, for what SQLite cannot change in place:\n");
                notes.extend(changes.iter().map(|c| format!("// - {}\n", c.describe(dialect))));
            }
            format!(
                "{notes}op.recreate_table({}, {});",
                table_expr(table),
                str_array(copy)
            )
        }
        Op::CreateIndex(index) => format!("op.create_index({});", index_expr(index)),
        Op::DropIndex { table, name } => format!("op.drop_index({table:?}, {name:?});"),
        Op::CreateEnum { name, variants } => format!("op.create_enum({name:?}, {});", str_array(variants)),
        Op::AlterEnum { name, from, to } => {
            format!("op.alter_enum({name:?}, {}, {});", str_array(from), str_array(to))
        }
        Op::DropEnum { name } => format!("op.drop_enum({name:?});"),
        Op::FillNulls { table, column, value } => format!(
            "op.fill_nulls({table:?}, {column:?}, {});",
            default_literal(value)
        ),
        Op::Execute(sql) => format!("op.execute({sql:?});"),
        Op::ExecuteData(sql) => format!("op.execute_data({sql:?});"),
        Op::InsertRows { table, columns, rows } => {
            let rows: Vec<String> = rows
                .iter()
                .map(|row| {
                    let values: Vec<String> = row
                        .iter()
                        .map(|v| format!("{}.into()", default_literal(v)))
                        .collect();
                    format!("[{}]", values.join(", "))
                })
                .collect();
            format!(
                "op.bulk_insert({table:?}, {}, [{}]);",
                str_array(columns),
                rows.join(", ")
            )
        }
        // Code is not data: what the op keeps of a data step is its name.
        Op::RunData { name, .. } => format!("// The data step `{name}` ran here: write it back by hand."),
        Op::InSchema { schema, ops } => {
            let calls: String = ops
                .iter()
                .map(|op| format!("{}\n", op_call(op, dialect)))
                .collect();
            format!("op.in_schema({schema:?}, |op| {{\n{calls}}});")
        }
    }
}

fn table_expr(table: &Table) -> String {
    let mut out = format!("Table::new({:?})", table.name);
    for column in &table.columns {
        out.push_str(&format!(".column({})", column_expr(column)));
    }
    if let Some(pk) = &table.primary_key {
        match &pk.name {
            Some(name) => out.push_str(&format!(
                ".primary_key_named({name:?}, {})",
                str_array(&pk.columns)
            )),
            None => out.push_str(&format!(".primary_key({})", str_array(&pk.columns))),
        }
    }
    for fk in &table.foreign_keys {
        out.push_str(&format!(".foreign_key({})", foreign_key_expr(fk)));
    }
    for unique in &table.unique_constraints {
        match &unique.name {
            Some(name) => out.push_str(&format!(".unique({name:?}, {})", str_array(&unique.columns))),
            None => out.push_str(&format!(".unique_unnamed({})", str_array(&unique.columns))),
        }
    }
    for check in &table.checks {
        match &check.name {
            Some(name) => out.push_str(&format!(".check({name:?}, {:?})", check.expression)),
            None => out.push_str(&format!(".check_unnamed({:?})", check.expression)),
        }
    }
    if let Some(comment) = &table.comment {
        out.push_str(&format!(".comment({comment:?})"));
    }
    for index in &table.indexes {
        out.push_str(&format!(".index({})", index_expr(index)));
    }
    out
}

fn constraint_expr(constraint: &Constraint) -> String {
    let (mut out, name) = match constraint {
        Constraint::PrimaryKey(pk) => (format!("PrimaryKey::new({})", str_array(&pk.columns)), &pk.name),
        Constraint::ForeignKey(fk) => return foreign_key_expr(fk),
        Constraint::Unique(u) => (
            format!("UniqueConstraint::new({})", str_array(&u.columns)),
            &u.name,
        ),
        Constraint::Check(c) => (format!("Check::new({:?})", c.expression), &c.name),
    };
    if let Some(name) = name {
        out.push_str(&format!(".name({name:?})"));
    }
    out
}

fn column_expr(column: &Column) -> String {
    let mut out = format!(
        "Column::new({:?}, {})",
        column.name,
        column_type(&column.column_type)
    );
    if column.nullable {
        out.push_str(".nullable()");
    }
    match &column.default {
        None => {}
        Some(DefaultValue::Expr(sql)) => out.push_str(&format!(".default_expr({sql:?})")),
        Some(literal) => out.push_str(&format!(".default({})", default_literal(literal))),
    }
    if column.auto_increment {
        out.push_str(".auto_increment()");
    }
    if column.unique {
        out.push_str(".unique()");
    }
    if let Some(comment) = &column.comment {
        out.push_str(&format!(".comment({comment:?})"));
    }
    if let Some(sql) = &column.extra {
        out.push_str(&format!(".extra({sql:?})"));
    }
    out
}

fn default_literal(value: &DefaultValue) -> String {
    match value {
        DefaultValue::Null => "DefaultValue::Null".to_owned(),
        DefaultValue::Bool(b) => b.to_string(),
        DefaultValue::Int(i) if i32::try_from(*i).is_ok() => i.to_string(),
        DefaultValue::Int(i) => format!("{i}i64"),
        // `{:?}` keeps a decimal point (`1.0`), so the literal stays an f64.
        DefaultValue::Float(f) => format!("{f:?}"),
        DefaultValue::String(s) => format!("{s:?}"),
        DefaultValue::Expr(sql) => format!("DefaultValue::Expr({sql:?}.into())"),
    }
}

fn index_expr(index: &Index) -> String {
    // Leading columns go in `Index::new`; whatever follows an expression is appended in order.
    let leading: Vec<String> = index
        .parts
        .iter()
        .map_while(|p| match p {
            IndexPart::Column(c) => Some(c.clone()),
            IndexPart::Expression(_) => None,
        })
        .collect();
    let mut out = format!(
        "Index::new({:?}, {:?}, {})",
        index.name,
        index.table,
        str_array(&leading)
    );
    for part in &index.parts[leading.len()..] {
        match part {
            IndexPart::Column(c) => out.push_str(&format!(".column({c:?})")),
            IndexPart::Expression(e) => out.push_str(&format!(".expression({e:?})")),
        }
    }
    if index.unique {
        out.push_str(".unique()");
    }
    if let Some(predicate) = &index.where_clause {
        out.push_str(&format!(".where_clause({predicate:?})"));
    }
    out
}

fn foreign_key_expr(fk: &ForeignKey) -> String {
    let mut out = format!(
        "ForeignKey::new({}, {:?}, {})",
        str_array(&fk.columns),
        fk.ref_table,
        str_array(&fk.ref_columns)
    );
    if let Some(name) = &fk.name {
        out.push_str(&format!(".name({name:?})"));
    }
    if fk.on_delete != ForeignKeyAction::NoAction {
        out.push_str(&format!(".on_delete(ForeignKeyAction::{:?})", fk.on_delete));
    }
    if fk.on_update != ForeignKeyAction::NoAction {
        out.push_str(&format!(".on_update(ForeignKeyAction::{:?})", fk.on_update));
    }
    out
}

/// The Rust expression for a column type, e.g. `ColumnType::String(StringLen::N(255))`.
pub(crate) fn column_type(t: &ColumnType) -> String {
    let len = |l: &StringLen| match l {
        StringLen::N(n) => format!("StringLen::N({n})"),
        StringLen::Max => "StringLen::Max".to_owned(),
        StringLen::None => "StringLen::None".to_owned(),
    };
    let opt = |o: &Option<u32>| match o {
        Some(n) => format!("Some({n})"),
        None => "None".to_owned(),
    };
    let precision = |p: &Option<(u32, u32)>| match p {
        Some((p, s)) => format!("Some(({p}, {s}))"),
        None => "None".to_owned(),
    };
    match t {
        ColumnType::Char(n) => format!("ColumnType::Char({})", opt(n)),
        ColumnType::String(l) => format!("ColumnType::String({})", len(l)),
        ColumnType::VarBinary(l) => format!("ColumnType::VarBinary({})", len(l)),
        ColumnType::Decimal(p) => format!("ColumnType::Decimal({})", precision(p)),
        ColumnType::Money(p) => format!("ColumnType::Money({})", precision(p)),
        ColumnType::Interval(fields, p) => format!(
            "ColumnType::Interval({}, {})",
            match fields {
                Some(f) => format!("Some(IntervalFields::{f:?})"),
                None => "None".to_owned(),
            },
            opt(p)
        ),
        ColumnType::Binary(n) => format!("ColumnType::Binary({n})"),
        ColumnType::Bit(n) => format!("ColumnType::Bit({})", opt(n)),
        ColumnType::VarBit(n) => format!("ColumnType::VarBit({n})"),
        ColumnType::Vector(n) => format!("ColumnType::Vector({})", opt(n)),
        ColumnType::Custom(name) => format!("ColumnType::Custom({name:?}.into())"),
        ColumnType::Enum { name, variants } => {
            format!("ColumnType::enumeration({name:?}, {})", str_array(variants))
        }
        ColumnType::Array(inner) => format!("ColumnType::Array(Box::new({}))", column_type(inner)),
        // The remaining variants carry no payload, so their Debug form is their Rust name.
        unit => format!("ColumnType::{unit:?}"),
    }
}

/// `["a", "b"]`
fn str_array(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// `&["a", "b"]`, or `&[]`.
pub(crate) fn str_slice(items: &[String]) -> String {
    format!("&{}", str_array(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushed rows are written back as the call that records them; a data
    /// step, whose code is not data, as a note where it ran.
    #[test]
    fn rows_are_written_as_a_bulk_insert_and_a_data_step_as_a_note() {
        let rows = Op::InsertRows {
            table: "tier".into(),
            columns: vec!["name".into(), "max_posts".into()],
            rows: vec![
                vec!["free".into(), 10.into()],
                vec!["pro".into(), DefaultValue::Null],
            ],
        };
        assert_eq!(
            op_call(&rows, Dialect::Postgres),
            r#"op.bulk_insert("tier", ["name", "max_posts"], [["free".into(), 10.into()], ["pro".into(), DefaultValue::Null.into()]]);"#
        );
        let step = Op::RunData {
            name: "fill".into(),
            offline_sql: None,
        };
        assert_eq!(
            op_call(&step, Dialect::Postgres),
            "// The data step `fill` ran here: write it back by hand."
        );
    }
}

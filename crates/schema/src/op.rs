//! The operation vocabulary: what a revision does to a schema.
//!
//! Ops are plain data. Applying one to a [`Schema`] replays it with no
//! database; inverting one needs the schema as it was before, because the
//! inverse of a drop has to recreate what was dropped.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{Column, ColumnType, Constraint, DefaultValue, Index, IndexPart, Schema, Table};
use crate::Dialect;

/// One schema change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Create a table (and any indexes it carries).
    CreateTable(Table),
    /// Drop a table with its indexes.
    DropTable {
        /// Table name.
        name: String,
    },
    /// Add a column at the end of a table.
    AddColumn {
        /// Table name.
        table: String,
        /// The new column.
        column: Column,
    },
    /// Drop a column.
    DropColumn {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
    },
    /// Change a column in place: its type, nullability, default,
    /// auto-increment, single-column UNIQUE or comment. Both sides are kept,
    /// so the op inverts without looking anything up.
    AlterColumn {
        /// Table name.
        table: String,
        /// The column as it is.
        from: Column,
        /// The column as it becomes (same name).
        to: Column,
    },
    /// Rename a column, keeping its data (SeaORM's `renamed_from`).
    RenameColumn {
        /// Table name.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Add a constraint to an existing table.
    AddConstraint {
        /// Table name.
        table: String,
        /// The constraint.
        constraint: Constraint,
    },
    /// Drop a constraint from a table. The whole constraint is kept: an
    /// unnamed one is found by what it says, and the inverse re-adds it.
    DropConstraint {
        /// Table name.
        table: String,
        /// The constraint.
        constraint: Constraint,
    },
    /// Rebuild a table as `table` says, keeping the rows of the `copy`
    /// columns: what SQLite needs for any change it cannot make in place
    /// (create the new table, copy, drop the old one, rename, re-index).
    RecreateTable {
        /// The table as it becomes, with its indexes.
        table: Table,
        /// The columns whose values are carried over (they exist before and after).
        copy: Vec<String>,
        /// What the recreation changes, as the in-place ops autogenerate
        /// found and SQLite cannot run (each displays as one line of the
        /// report): for tools, the report and the reviewer, not for running.
        /// Empty when written by hand.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        changes: Vec<Op>,
    },
    /// Set, change or remove a table's comment.
    AlterTableComment {
        /// Table name.
        table: String,
        /// The comment as it is.
        from: Option<String>,
        /// The comment as it becomes.
        to: Option<String>,
    },
    /// Create an index.
    CreateIndex(Index),
    /// Drop an index.
    DropIndex {
        /// The indexed table (MySQL needs it to drop an index).
        table: String,
        /// Index name.
        name: String,
    },
    /// Create a named enumeration type (PostgreSQL `CREATE TYPE … AS ENUM`;
    /// nothing to run where enums are inline, as on MySQL and SQLite).
    CreateEnum {
        /// Type name.
        name: String,
        /// Labels, in order.
        variants: Vec<String>,
    },
    /// Change a named enumeration type's labels (PostgreSQL; nothing where
    /// enums are inline). Added labels go in place; removing or reordering
    /// rebuilds the type and converts every column of it, which fails if a
    /// row holds a removed label.
    AlterEnum {
        /// Type name.
        name: String,
        /// Labels as they are.
        from: Vec<String>,
        /// Labels as they become.
        to: Vec<String>,
    },
    /// Drop a named enumeration type.
    DropEnum {
        /// Type name.
        name: String,
    },
    /// Gives the rows where a column is NULL a one-off value, before the
    /// column becomes NOT NULL (Django's "provide a one-off default"): the
    /// value fills existing rows and is never the column's default. It
    /// changes rows only, so it replays as nothing and inverts to nothing.
    FillNulls {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
        /// The value existing rows get.
        value: DefaultValue,
    },
    /// Raw SQL. It runs, but it cannot be replayed into a schema or inverted.
    Execute(String),
    /// Raw SQL that changes rows only, never the schema (a data migration):
    /// it runs, replays as nothing, and cannot be inverted.
    ExecuteData(String),
    /// Inserts rows (Alembic's `bulk_insert`, for seed rows): rows only, so it
    /// replays as nothing but a check that the table and columns exist, and
    /// has no automatic inverse.
    InsertRows {
        /// Table name.
        table: String,
        /// The columns each row gives, in order.
        columns: Vec<String>,
        /// The rows, one value per column.
        rows: Vec<Vec<DefaultValue>>,
    },
    /// A data step: code the revision runs with the connection, inside the
    /// revision's transaction where the backend has transactional DDL. The
    /// code itself is not data; the op stands in for it, in its place among
    /// the revision's ops. It changes rows only, so it replays as nothing and
    /// has no automatic inverse; offline (`--sql`) it is `offline_sql` or
    /// cannot be written.
    RunData {
        /// The step's name: its function's.
        name: String,
        /// SQL the revision declares does the same, for `--sql`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offline_sql: Option<String>,
    },
    /// Ops on the tables of another database schema (a PostgreSQL schema an
    /// entity names with `schema_name`): they run with that schema first on
    /// the search path, and it is created if missing.
    InSchema {
        /// The schema.
        schema: String,
        /// The ops, their tables unqualified.
        ops: Vec<Op>,
    },
}

/// Why an op could not be replayed into a schema.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ApplyError {
    /// The table to create exists already.
    #[error("table '{0}' already exists")]
    TableExists(String),
    /// The table named by the op does not exist.
    #[error("no table '{0}'")]
    NoSuchTable(String),
    /// The column to add exists already.
    #[error("column '{table}.{column}' already exists")]
    ColumnExists {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
    },
    /// The column named by the op does not exist.
    #[error("no column '{table}.{column}'")]
    NoSuchColumn {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
    },
    /// A column cannot be dropped while a key or index uses it.
    #[error("column '{table}.{column}' is used by {user}; drop that first")]
    ColumnInUse {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
        /// What uses it, e.g. "index 'idx-post-title'".
        user: String,
    },
    /// `AlterColumn` must keep the column's name; renaming is `RenameColumn`.
    #[error("altering '{table}.{from}' cannot rename it to '{to}'; use rename_column")]
    AlterRenames {
        /// Table name.
        table: String,
        /// The name in `from`.
        from: String,
        /// The name in `to`.
        to: String,
    },
    /// The table has a primary key already, or the constraint exists already.
    #[error("table '{table}' already has {constraint}")]
    ConstraintExists {
        /// Table name.
        table: String,
        /// The constraint, described.
        constraint: String,
    },
    /// The constraint to drop is not on the table.
    #[error("table '{table}' has no {constraint}")]
    NoSuchConstraint {
        /// Table name.
        table: String,
        /// The constraint, described.
        constraint: String,
    },
    /// The index to create exists already.
    #[error("index '{0}' already exists")]
    IndexExists(String),
    /// The index named by the op does not exist.
    #[error("no index '{name}' on table '{table}'")]
    NoSuchIndex {
        /// Table name.
        table: String,
        /// Index name.
        name: String,
    },
    /// The enum type to create exists already.
    #[error("enum type '{0}' already exists")]
    EnumExists(String),
    /// The enum type named by the op does not exist.
    #[error("no enum type '{0}'")]
    NoSuchEnum(String),
    /// An enum type cannot be dropped while a column uses it.
    #[error("enum type '{name}' is used by column '{user}'; drop or change that first")]
    EnumInUse {
        /// Type name.
        name: String,
        /// The column, as `table.column`.
        user: String,
    },
    /// Raw SQL cannot be replayed.
    #[error("raw SQL cannot be replayed into a schema: {0}")]
    NotReplayable(String),
    /// A row to insert gives another number of values than there are columns.
    #[error("a row inserted into '{table}' gives {found} value(s) for {expected} column(s)")]
    RowLength {
        /// Table name.
        table: String,
        /// How many columns the insert names.
        expected: usize,
        /// How many values the row gives.
        found: usize,
    },
}

/// Why an op has no computable inverse.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InvertError {
    /// Raw SQL has no known inverse; the revision author must write one.
    #[error("raw SQL has no automatic inverse: {0}")]
    RawSql(String),
    /// A change of rows (inserted rows, a data step) has no known inverse.
    #[error("a change of rows has no automatic inverse: {0}")]
    Data(String),
    /// The op drops something the prior schema does not have.
    #[error("cannot invert: {0}")]
    Apply(#[from] ApplyError),
}

impl Op {
    /// Replays this op into `schema`. On error `schema` is unchanged.
    pub fn apply(&self, schema: &mut Schema) -> Result<(), ApplyError> {
        match self {
            Op::CreateTable(table) => {
                if schema.tables.contains_key(&table.name) {
                    return Err(ApplyError::TableExists(table.name.clone()));
                }
                for index in &table.indexes {
                    if schema.indexes().any(|i| i.name == index.name) {
                        return Err(ApplyError::IndexExists(index.name.clone()));
                    }
                }
                schema.insert(table.clone());
            }
            Op::DropTable { name } => {
                schema
                    .tables
                    .remove(name)
                    .ok_or_else(|| ApplyError::NoSuchTable(name.clone()))?;
            }
            Op::AddColumn { table, column } => {
                let t = table_mut(schema, table)?;
                if t.get_column(&column.name).is_some() {
                    return Err(ApplyError::ColumnExists {
                        table: table.clone(),
                        column: column.name.clone(),
                    });
                }
                t.columns.push(column.clone());
            }
            Op::DropColumn { table, column } => {
                let t = table_mut(schema, table)?;
                let position = t.columns.iter().position(|c| &c.name == column).ok_or_else(|| {
                    ApplyError::NoSuchColumn {
                        table: table.clone(),
                        column: column.clone(),
                    }
                })?;
                if let Some(user) = column_user(t, column) {
                    return Err(ApplyError::ColumnInUse {
                        table: table.clone(),
                        column: column.clone(),
                        user,
                    });
                }
                t.columns.remove(position);
            }
            Op::AlterColumn { table, from, to } => {
                if from.name != to.name {
                    return Err(ApplyError::AlterRenames {
                        table: table.clone(),
                        from: from.name.clone(),
                        to: to.name.clone(),
                    });
                }
                let t = table_mut(schema, table)?;
                let column = t.columns.iter_mut().find(|c| c.name == to.name).ok_or_else(|| {
                    ApplyError::NoSuchColumn {
                        table: table.clone(),
                        column: to.name.clone(),
                    }
                })?;
                *column = to.clone();
            }
            Op::RenameColumn { table, from, to } => {
                let t = table_mut(schema, table)?;
                if t.get_column(to).is_some() {
                    return Err(ApplyError::ColumnExists {
                        table: table.clone(),
                        column: to.clone(),
                    });
                }
                if t.get_column(from).is_none() {
                    return Err(ApplyError::NoSuchColumn {
                        table: table.clone(),
                        column: from.clone(),
                    });
                }
                rename_column(schema, table, from, to);
            }
            Op::AddConstraint { table, constraint } => {
                let t = table_mut(schema, table)?;
                if let Some(missing) = constraint.columns().iter().find(|c| t.get_column(c).is_none()) {
                    return Err(ApplyError::NoSuchColumn {
                        table: table.clone(),
                        column: missing.clone(),
                    });
                }
                let exists = match constraint {
                    Constraint::PrimaryKey(_) => t.primary_key.is_some(),
                    _ => t.constraints().any(|c| c.is_same(constraint)),
                };
                if exists {
                    return Err(ApplyError::ConstraintExists {
                        table: table.clone(),
                        constraint: constraint.to_string(),
                    });
                }
                t.add_constraint(constraint.clone());
            }
            Op::DropConstraint { table, constraint } => {
                let t = table_mut(schema, table)?;
                if !t.remove_constraint(constraint) {
                    return Err(ApplyError::NoSuchConstraint {
                        table: table.clone(),
                        constraint: constraint.to_string(),
                    });
                }
            }
            Op::RecreateTable { table, copy, .. } => {
                let old = schema
                    .table(&table.name)
                    .ok_or_else(|| ApplyError::NoSuchTable(table.name.clone()))?;
                let missing = copy
                    .iter()
                    .find(|c| old.get_column(c).is_none() || table.get_column(c).is_none());
                if let Some(missing) = missing {
                    return Err(ApplyError::NoSuchColumn {
                        table: table.name.clone(),
                        column: missing.clone(),
                    });
                }
                let elsewhere = schema.indexes().filter(|i| i.table != table.name);
                if let Some(taken) = elsewhere.map(|i| &i.name).find(|n| table.get_index(n).is_some()) {
                    return Err(ApplyError::IndexExists(taken.clone()));
                }
                schema.insert(table.clone());
            }
            Op::AlterTableComment { table, to, .. } => {
                table_mut(schema, table)?.comment = to.clone();
            }
            Op::CreateIndex(index) => {
                if schema.indexes().any(|i| i.name == index.name) {
                    return Err(ApplyError::IndexExists(index.name.clone()));
                }
                let t = table_mut(schema, &index.table)?;
                if let Some(missing) = index.column_names().find(|c| t.get_column(c).is_none()) {
                    return Err(ApplyError::NoSuchColumn {
                        table: index.table.clone(),
                        column: missing.to_owned(),
                    });
                }
                t.indexes.push(index.clone());
            }
            Op::DropIndex { table, name } => {
                let t = table_mut(schema, table)?;
                let position = t.indexes.iter().position(|i| &i.name == name).ok_or_else(|| {
                    ApplyError::NoSuchIndex {
                        table: table.clone(),
                        name: name.clone(),
                    }
                })?;
                t.indexes.remove(position);
            }
            Op::CreateEnum { name, variants } => {
                if schema.enums.contains_key(name) {
                    return Err(ApplyError::EnumExists(name.clone()));
                }
                schema.enums.insert(name.clone(), variants.clone());
            }
            Op::AlterEnum { name, to, .. } => {
                let labels = schema
                    .enums
                    .get_mut(name)
                    .ok_or_else(|| ApplyError::NoSuchEnum(name.clone()))?;
                labels.clone_from(to);
                for column in schema.tables.values_mut().flat_map(|t| t.columns.iter_mut()) {
                    if let ColumnType::Enum { name: n, variants } = &mut column.column_type {
                        if n == name {
                            variants.clone_from(to);
                        }
                    }
                }
            }
            Op::DropEnum { name } => {
                if !schema.enums.contains_key(name) {
                    return Err(ApplyError::NoSuchEnum(name.clone()));
                }
                let user = schema.tables.values().find_map(|t| {
                    t.columns
                        .iter()
                        .find(|c| matches!(&c.column_type, ColumnType::Enum { name: n, .. } if n == name))
                        .map(|c| format!("{}.{}", t.name, c.name))
                });
                if let Some(user) = user {
                    return Err(ApplyError::EnumInUse {
                        name: name.clone(),
                        user,
                    });
                }
                schema.enums.remove(name);
            }
            Op::FillNulls { table, column, .. } => {
                if table_mut(schema, table)?.get_column(column).is_none() {
                    return Err(ApplyError::NoSuchColumn {
                        table: table.clone(),
                        column: column.clone(),
                    });
                }
            }
            Op::Execute(sql) => return Err(ApplyError::NotReplayable(sql.clone())),
            Op::ExecuteData(_) | Op::RunData { .. } => {}
            Op::InsertRows { table, columns, rows } => {
                let found = table_mut(schema, table)?;
                if let Some(column) = columns.iter().find(|c| found.get_column(c).is_none()) {
                    return Err(ApplyError::NoSuchColumn {
                        table: table.clone(),
                        column: column.clone(),
                    });
                }
                if let Some(row) = rows.iter().find(|row| row.len() != columns.len()) {
                    return Err(ApplyError::RowLength {
                        table: table.clone(),
                        expected: columns.len(),
                        found: row.len(),
                    });
                }
            }
            Op::InSchema { schema: name, ops } => {
                let inner = replay(&schema.schemas.get(name).cloned().unwrap_or_default(), ops)?;
                if inner.is_empty() {
                    schema.schemas.remove(name);
                } else {
                    schema.schemas.insert(name.clone(), inner);
                }
            }
        }
        Ok(())
    }

    /// The ops that undo this one, given the schema just before it ran.
    ///
    /// Dropping a table inverts to creating it and then its indexes, the way a
    /// reviewer would write it by hand.
    pub(crate) fn invert(&self, before: &Schema) -> Result<Vec<Op>, InvertError> {
        Ok(match self {
            Op::CreateTable(table) => vec![Op::DropTable {
                name: table.name.clone(),
            }],
            Op::DropTable { name } => {
                let table = before
                    .table(name)
                    .ok_or_else(|| ApplyError::NoSuchTable(name.clone()))?;
                let mut bare = table.clone();
                let indexes = std::mem::take(&mut bare.indexes);
                std::iter::once(Op::CreateTable(bare))
                    .chain(indexes.into_iter().map(Op::CreateIndex))
                    .collect()
            }
            Op::AddColumn { table, column } => vec![Op::DropColumn {
                table: table.clone(),
                column: column.name.clone(),
            }],
            Op::DropColumn { table, column } => {
                let old = before
                    .table(table)
                    .ok_or_else(|| ApplyError::NoSuchTable(table.clone()))?
                    .get_column(column)
                    .ok_or_else(|| ApplyError::NoSuchColumn {
                        table: table.clone(),
                        column: column.clone(),
                    })?;
                vec![Op::AddColumn {
                    table: table.clone(),
                    column: old.clone(),
                }]
            }
            Op::AlterColumn { table, from, to } => vec![Op::AlterColumn {
                table: table.clone(),
                from: to.clone(),
                to: from.clone(),
            }],
            Op::RenameColumn { table, from, to } => vec![Op::RenameColumn {
                table: table.clone(),
                from: to.clone(),
                to: from.clone(),
            }],
            Op::AddConstraint { table, constraint } => vec![Op::DropConstraint {
                table: table.clone(),
                constraint: constraint.clone(),
            }],
            Op::DropConstraint { table, constraint } => vec![Op::AddConstraint {
                table: table.clone(),
                constraint: constraint.clone(),
            }],
            Op::RecreateTable { table, copy, .. } => vec![Op::RecreateTable {
                table: before
                    .table(&table.name)
                    .ok_or_else(|| ApplyError::NoSuchTable(table.name.clone()))?
                    .clone(),
                copy: copy.clone(),
                changes: Vec::new(),
            }],
            Op::AlterTableComment { table, from, to } => vec![Op::AlterTableComment {
                table: table.clone(),
                from: to.clone(),
                to: from.clone(),
            }],
            Op::CreateIndex(index) => vec![Op::DropIndex {
                table: index.table.clone(),
                name: index.name.clone(),
            }],
            Op::DropIndex { table, name } => {
                let index = before
                    .table(table)
                    .ok_or_else(|| ApplyError::NoSuchTable(table.clone()))?
                    .get_index(name)
                    .ok_or_else(|| ApplyError::NoSuchIndex {
                        table: table.clone(),
                        name: name.clone(),
                    })?;
                vec![Op::CreateIndex(index.clone())]
            }
            Op::CreateEnum { name, .. } => vec![Op::DropEnum { name: name.clone() }],
            Op::AlterEnum { name, from, to } => vec![Op::AlterEnum {
                name: name.clone(),
                from: to.clone(),
                to: from.clone(),
            }],
            Op::DropEnum { name } => {
                let variants = before
                    .enums
                    .get(name)
                    .ok_or_else(|| ApplyError::NoSuchEnum(name.clone()))?;
                vec![Op::CreateEnum {
                    name: name.clone(),
                    variants: variants.clone(),
                }]
            }
            // The rows keep the value: there was NULL, which nothing needs back.
            Op::FillNulls { .. } => Vec::new(),
            Op::Execute(sql) | Op::ExecuteData(sql) => return Err(InvertError::RawSql(sql.clone())),
            Op::InsertRows { .. } | Op::RunData { .. } => return Err(InvertError::Data(self.to_string())),
            Op::InSchema { schema, ops } => vec![Op::InSchema {
                schema: schema.clone(),
                ops: invert_all(ops, &before.schemas.get(schema).cloned().unwrap_or_default())?,
            }],
        })
    }
}

impl fmt::Display for Op {
    /// A short description in the words of Alembic's report ("added table
    /// 'post'"), an altered column naming every attribute that differs as
    /// written; [`Op::describe`] compares them as a backend stores them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Description {
            op: self,
            dialect: None,
        }
        .fmt(f)
    }
}

impl Op {
    /// The op in the words of Alembic's report, as it displays, but an
    /// altered column (alone or among a rebuild's changes) names only the
    /// attributes that differ in `dialect`'s terms, as the diff compares
    /// them: a type pair it stores alike ([`Dialect::same_type`]), defaults
    /// it reads alike ([`Dialect::same_default`]) and comments it keeps alike
    /// ([`Dialect::same_comment`]) are no change to show a reviewer.
    pub fn describe(&self, dialect: Dialect) -> Description<'_> {
        Description {
            op: self,
            dialect: Some(dialect),
        }
    }
}

/// An op's description: [`Op::describe`], or the op's own `Display`.
#[derive(Clone, Copy, Debug)]
pub struct Description<'a> {
    op: &'a Op,
    /// The terms an altered column's attributes are compared in; `None`: as written.
    dialect: Option<Dialect>,
}

impl Description<'_> {
    /// How `op`, one of the changes this op stands for, is described.
    fn of<'b>(&self, op: &'b Op) -> Description<'b> {
        Description {
            op,
            dialect: self.dialect,
        }
    }
}

impl fmt::Display for Description<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Op::CreateTable(t) => write!(f, "added table '{}'", t.name),
            Op::DropTable { name } => write!(f, "removed table '{name}'"),
            Op::AddColumn { table, column } => write!(f, "added column '{table}.{}'", column.name),
            Op::DropColumn { table, column } => write!(f, "removed column '{table}.{column}'"),
            Op::AlterColumn { table, from, to } => {
                let changes = column_changes(from, to, self.dialect);
                write!(f, "altered column '{table}.{}': {}", to.name, changes.join("; "))
            }
            Op::RenameColumn { table, from, to } => write!(f, "renamed column '{table}.{from}' to '{to}'"),
            Op::AddConstraint { table, constraint } => write!(f, "added {constraint} on '{table}'"),
            Op::DropConstraint { table, constraint } => write!(f, "removed {constraint} on '{table}'"),
            Op::RecreateTable { table, changes, .. } => {
                write!(f, "recreated table '{}'", table.name)?;
                let lines: Vec<String> = changes.iter().map(|op| self.of(op).to_string()).collect();
                if !lines.is_empty() {
                    write!(f, " to change it in place: {}", lines.join("; "))?;
                }
                Ok(())
            }
            Op::AlterTableComment { table, to, .. } => match to {
                Some(comment) => write!(f, "set comment on table '{table}' to {comment:?}"),
                None => write!(f, "removed comment on table '{table}'"),
            },
            Op::CreateIndex(i) => write!(
                f,
                "added {}index '{}' on '{}' ({})",
                if i.unique { "unique " } else { "" },
                i.name,
                i.table,
                i.parts
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Op::DropIndex { table, name } => write!(f, "removed index '{name}' on '{table}'"),
            Op::CreateEnum { name, variants } => write!(f, "added enum '{name}' ({})", variants.join(", ")),
            Op::AlterEnum { name, from, to } => {
                write!(
                    f,
                    "altered enum '{name}' ({}) -> ({})",
                    from.join(", "),
                    to.join(", ")
                )
            }
            Op::DropEnum { name } => write!(f, "removed enum '{name}'"),
            Op::FillNulls { table, column, value } => {
                write!(
                    f,
                    "filled NULLs of '{table}.{column}' with {value:?} (existing rows only)"
                )
            }
            Op::Execute(sql) => write!(f, "raw SQL: {sql}"),
            Op::ExecuteData(sql) => write!(f, "raw SQL on rows: {sql}"),
            Op::InsertRows { table, rows, .. } => write!(f, "inserted {} row(s) into '{table}'", rows.len()),
            Op::RunData { name, .. } => write!(f, "ran the data step '{name}'"),
            Op::InSchema { schema, ops } => {
                let lines: Vec<String> = ops.iter().map(|op| self.of(op).to_string()).collect();
                write!(f, "in schema '{schema}': {}", lines.join("; "))
            }
        }
    }
}

/// Replays `ops` into a copy of `before`, returning the schema after them.
pub fn replay<'a>(before: &Schema, ops: impl IntoIterator<Item = &'a Op>) -> Result<Schema, ApplyError> {
    let mut schema = before.clone();
    for op in ops {
        op.apply(&mut schema)?;
    }
    Ok(schema)
}

/// The downgrade of an upgrade: each op inverted against the schema just
/// before it, in reverse order.
pub fn invert_all(upgrade: &[Op], before: &Schema) -> Result<Vec<Op>, InvertError> {
    let mut schema = before.clone();
    let mut inverses = Vec::with_capacity(upgrade.len());
    for op in upgrade {
        inverses.push(op.invert(&schema)?);
        op.apply(&mut schema)?;
    }
    Ok(inverses.into_iter().rev().flatten().collect())
}

/// What differs between two versions of a column, one phrase per attribute
/// ("type Integer -> BigInteger", "now nullable"): in `dialect`'s terms when
/// given, else as written.
fn column_changes(from: &Column, to: &Column, dialect: Option<Dialect>) -> Vec<String> {
    let (type_differs, default_differs, comment_differs) = match dialect {
        Some(d) => (
            !d.same_type(&from.column_type, &to.column_type),
            !d.same_default(from.server_default(), to.server_default()),
            !d.same_comment(from.comment.as_deref(), to.comment.as_deref()),
        ),
        None => (
            from.column_type != to.column_type,
            from.server_default() != to.server_default(),
            from.comment != to.comment,
        ),
    };
    let mut changes = Vec::new();
    let mut flag = |was: bool, is: bool, now: &str, no_longer: &str| {
        if was != is {
            changes.push(if is { now } else { no_longer }.to_owned());
        }
    };
    flag(from.nullable, to.nullable, "now nullable", "now NOT NULL");
    flag(from.unique, to.unique, "now unique", "no longer unique");
    flag(
        from.auto_increment,
        to.auto_increment,
        "now auto-increment",
        "no longer auto-increment",
    );
    if type_differs {
        changes.insert(0, format!("type {:?} -> {:?}", from.column_type, to.column_type));
    }
    if default_differs {
        let show = |d: Option<&DefaultValue>| d.map_or("none".to_owned(), |d| format!("{d:?}"));
        changes.push(format!(
            "default {} -> {}",
            show(from.server_default()),
            show(to.server_default())
        ));
    }
    if comment_differs {
        changes.push(format!("comment {:?} -> {:?}", from.comment, to.comment));
    }
    changes
}

/// Renames a column everywhere it is named: the table's keys, indexes,
/// constraints and conditions, and the foreign keys of any table that point at it.
fn rename_column(schema: &mut Schema, table: &str, from: &str, to: &str) {
    let rename = |name: &mut String| {
        if name == from {
            *name = to.to_owned();
        }
    };
    for t in schema.tables.values_mut() {
        for fk in t.foreign_keys.iter_mut().filter(|fk| fk.ref_table == table) {
            fk.ref_columns.iter_mut().for_each(rename);
        }
        if t.name != table {
            continue;
        }
        t.columns.iter_mut().for_each(|c| rename(&mut c.name));
        if let Some(pk) = &mut t.primary_key {
            pk.columns.iter_mut().for_each(rename);
        }
        // Conditions and expressions name the column too; the database rewrites them.
        let rewrite = |sql: &mut String| *sql = crate::sql_words::rename_column(sql, from, to);
        for index in &mut t.indexes {
            for part in &mut index.parts {
                match part {
                    IndexPart::Column(c) => rename(c),
                    IndexPart::Expression(sql) => rewrite(sql),
                }
            }
            index.where_clause.iter_mut().for_each(rewrite);
        }
        for check in &mut t.checks {
            rewrite(&mut check.expression);
        }
        for fk in &mut t.foreign_keys {
            fk.columns.iter_mut().for_each(rename);
        }
        for unique in &mut t.unique_constraints {
            unique.columns.iter_mut().for_each(rename);
        }
    }
}

fn table_mut<'s>(schema: &'s mut Schema, name: &str) -> Result<&'s mut Table, ApplyError> {
    schema
        .tables
        .get_mut(name)
        .ok_or_else(|| ApplyError::NoSuchTable(name.to_owned()))
}

/// What in `table` still uses `column`, described for an error message.
fn column_user(table: &Table, column: &str) -> Option<String> {
    if table.is_primary_key_column(column) {
        return Some("the primary key".to_owned());
    }
    if let Some(index) = table
        .indexes
        .iter()
        .find(|i| i.column_names().any(|c| c == column))
    {
        return Some(format!("index '{}'", index.name));
    }
    if let Some(unique) = table
        .unique_constraints
        .iter()
        .find(|u| u.columns.iter().any(|c| c == column))
    {
        return Some(match &unique.name {
            Some(name) => format!("unique constraint '{name}'"),
            None => "a unique constraint".to_owned(),
        });
    }
    table
        .foreign_keys
        .iter()
        .find(|fk| fk.columns.iter().any(|c| c == column))
        .map(|fk| match &fk.name {
            Some(name) => format!("foreign key '{name}'"),
            None => format!("a foreign key to '{}'", fk.ref_table),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ColumnType, ForeignKey, ForeignKeyAction, StringLen};

    fn blog() -> Schema {
        let mut s = Schema::new();
        s.insert(
            Table::new("user")
                .column(Column::new("id", ColumnType::Integer).auto_increment())
                .column(Column::new("email", ColumnType::String(StringLen::None)).unique())
                .primary_key(["id"]),
        );
        s.insert(
            Table::new("post")
                .column(Column::new("id", ColumnType::Integer).auto_increment())
                .column(Column::new("title", ColumnType::Text))
                .column(Column::new("user_id", ColumnType::Integer))
                .primary_key(["id"])
                .foreign_key(
                    ForeignKey::new(["user_id"], "user", ["id"]).on_delete(ForeignKeyAction::Cascade),
                )
                .index(Index::new("idx-post-title", "post", ["title"])),
        );
        s
    }

    /// Riding along with a real change, a type pair the backend stores
    /// alike, a default it reads alike and a comment it keeps alike are no
    /// change to show a reviewer; as written, every difference shows.
    #[test]
    fn an_altered_column_is_described_in_the_dialects_terms() {
        let alter = Op::AlterColumn {
            table: "post".into(),
            from: Column::new("views", ColumnType::Integer).default("0").comment(""),
            to: Column::new("views", ColumnType::BigInteger).default(0).nullable(),
        };
        assert!(Dialect::Sqlite.same_type(&ColumnType::Integer, &ColumnType::BigInteger));
        assert_eq!(
            alter.describe(Dialect::Sqlite).to_string(),
            "altered column 'post.views': now nullable"
        );
        assert_eq!(
            alter.describe(Dialect::Postgres).to_string(),
            "altered column 'post.views': type Integer -> BigInteger; now nullable"
        );
        assert_eq!(
            alter.to_string(),
            "altered column 'post.views': type Integer -> BigInteger; now nullable; \
             default String(\"0\") -> Int(0); comment Some(\"\") -> None"
        );
        let rebuild = Op::RecreateTable {
            table: Table::new("post").column(Column::new("views", ColumnType::BigInteger).nullable()),
            copy: vec!["views".into()],
            changes: vec![alter],
        };
        assert_eq!(
            rebuild.describe(Dialect::Sqlite).to_string(),
            "recreated table 'post' to change it in place: altered column 'post.views': now nullable"
        );
    }

    #[test]
    fn every_op_round_trips_through_its_inverse() {
        let before = blog();
        let ops = [
            Op::AddColumn {
                table: "user".into(),
                column: Column::new("bio", ColumnType::Text).nullable(),
            },
            Op::DropIndex {
                table: "post".into(),
                name: "idx-post-title".into(),
            },
            Op::DropColumn {
                table: "post".into(),
                column: "title".into(),
            },
            Op::CreateTable(Table::new("tag").column(Column::new("id", ColumnType::Integer))),
            Op::CreateIndex(Index::new("idx-tag-id", "tag", ["id"]).unique()),
            Op::DropTable { name: "post".into() },
        ];
        let after = replay(&before, &ops).unwrap();
        assert!(after.table("post").is_none());
        assert!(after.table("user").unwrap().get_column("bio").is_some());

        let downgrade = invert_all(&ops, &before).unwrap();
        // A re-added column comes back last, as ALTER TABLE ADD COLUMN puts it.
        let by_column_name = |mut s: Schema| {
            for t in s.tables.values_mut() {
                t.columns.sort_by(|a, b| a.name.cmp(&b.name));
            }
            s
        };
        assert_eq!(
            by_column_name(replay(&after, &downgrade).unwrap()),
            by_column_name(before)
        );
    }

    #[test]
    fn dropping_a_table_inverts_to_create_then_indexes() {
        let before = blog();
        let inverse = Op::DropTable { name: "post".into() }.invert(&before).unwrap();
        assert!(matches!(&inverse[0], Op::CreateTable(t) if t.name == "post" && t.indexes.is_empty()));
        assert_eq!(
            inverse[1],
            Op::CreateIndex(Index::new("idx-post-title", "post", ["title"]))
        );
    }

    #[test]
    fn replay_refuses_what_the_database_would_refuse() {
        let mut s = blog();
        let dup = Op::CreateTable(Table::new("user"));
        assert_eq!(dup.apply(&mut s), Err(ApplyError::TableExists("user".into())));
        let indexed = Op::DropColumn {
            table: "post".into(),
            column: "title".into(),
        };
        assert!(
            matches!(indexed.apply(&mut s), Err(ApplyError::ColumnInUse { user, .. }) if user == "index 'idx-post-title'")
        );
        let bad_index = Op::CreateIndex(Index::new("ix", "post", ["nope"]));
        assert!(matches!(
            bad_index.apply(&mut s),
            Err(ApplyError::NoSuchColumn { .. })
        ));
        assert_eq!(s, blog(), "failed ops leave the schema unchanged");
    }

    #[test]
    fn enums_are_created_before_use_and_dropped_after() {
        let before = blog();
        let ops = [
            Op::CreateEnum {
                name: "mood".into(),
                variants: vec!["ok".into(), "sad".into()],
            },
            Op::AddColumn {
                table: "user".into(),
                column: Column::new("mood", ColumnType::enumeration("mood", ["ok", "sad"])).nullable(),
            },
        ];
        let after = replay(&before, &ops).unwrap();
        assert_eq!(after.enums["mood"], ["ok", "sad"]);
        let in_use = Op::DropEnum { name: "mood".into() }.apply(&mut after.clone());
        assert!(matches!(in_use, Err(ApplyError::EnumInUse { ref user, .. }) if user == "user.mood"));
        let downgrade = invert_all(&ops, &before).unwrap();
        assert_eq!(downgrade.last(), Some(&Op::DropEnum { name: "mood".into() }));
        assert_eq!(replay(&after, &downgrade).unwrap(), before);
    }

    #[test]
    fn raw_sql_is_neither_replayed_nor_inverted() {
        let op = Op::Execute("UPDATE t SET x = 1".into());
        assert!(matches!(
            op.apply(&mut Schema::new()),
            Err(ApplyError::NotReplayable(_))
        ));
        assert!(matches!(op.invert(&Schema::new()), Err(InvertError::RawSql(_))));
    }

    /// Rows and data steps change no schema: they replay as nothing, but
    /// for seed rows that name what is not there, and have no inverse.
    #[test]
    fn data_replays_as_nothing_and_has_no_inverse() {
        let mut schema = Schema::new();
        schema.insert(Table::new("tier").column(Column::new("name", ColumnType::Text)));
        let before = schema.clone();
        let rows = |columns: &[&str], row: Vec<DefaultValue>| Op::InsertRows {
            table: "tier".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: vec![row],
        };
        let step = Op::RunData {
            name: "fill".into(),
            offline_sql: None,
        };
        for op in [rows(&["name"], vec!["free".into()]), step] {
            op.apply(&mut schema).unwrap();
            assert_eq!(schema, before);
            assert!(matches!(op.invert(&before), Err(InvertError::Data(_))), "{op}");
        }
        assert_eq!(
            rows(&["nam"], vec!["free".into()]).apply(&mut schema),
            Err(ApplyError::NoSuchColumn {
                table: "tier".into(),
                column: "nam".into()
            })
        );
        assert_eq!(
            rows(&["name"], vec!["free".into(), 1.into()]).apply(&mut schema),
            Err(ApplyError::RowLength {
                table: "tier".into(),
                expected: 1,
                found: 2
            })
        );
    }
}

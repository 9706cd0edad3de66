//! What a backend's `ALTER TABLE` can change in place, and the rebuild of a
//! table for what it cannot.
//!
//! Only SQLite ever needs a rebuild: it adds columns and drops them, but
//! changes no column and adds or drops no constraint, and its `ADD COLUMN`
//! and `DROP COLUMN` refuse some columns. The diff, the renderer and the
//! runner of revisions written for another backend all ask
//! [`Dialect::in_place`]; the renderer, given no table, cannot see that a
//! dropped column is UNIQUE.

use std::fmt;

use crate::model::{Constraint, Table};
use crate::{Dialect, Op};

/// Whether `ALTER TABLE` can make a change in place: [`Dialect::in_place`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InPlace<'a> {
    /// It can.
    Yes,
    /// It cannot; only a rebuild of the table can.
    No(RebuildReason<'a>),
    /// Only the table can tell, and it was not given: whether the column a
    /// drop removes is UNIQUE.
    Unknown,
}

/// What SQLite's `ALTER TABLE` cannot do, so that only a rebuild of the
/// table can. Displays as what was asked, e.g. "alter the column 'user.age' in place".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RebuildReason<'a> {
    /// Add a NOT NULL column without a default: the rows there would have no value.
    AddNotNullWithoutDefault {
        /// The table.
        table: &'a str,
        /// The column.
        column: &'a str,
    },
    /// Add a UNIQUE column.
    AddUnique {
        /// The table.
        table: &'a str,
        /// The column.
        column: &'a str,
    },
    /// Add an auto-increment column.
    AddAutoIncrement {
        /// The table.
        table: &'a str,
        /// The column.
        column: &'a str,
    },
    /// Drop a UNIQUE column: SQLite cannot drop the index that keeps it unique.
    DropUnique {
        /// The table.
        table: &'a str,
        /// The column.
        column: &'a str,
    },
    /// Change a column.
    AlterColumn {
        /// The table.
        table: &'a str,
        /// The column.
        column: &'a str,
    },
    /// Add a constraint.
    AddConstraint {
        /// The table.
        table: &'a str,
        /// The constraint.
        constraint: &'a Constraint,
    },
    /// Drop a constraint.
    DropConstraint {
        /// The table.
        table: &'a str,
        /// The constraint.
        constraint: &'a Constraint,
    },
}

impl fmt::Display for RebuildReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RebuildReason::AddNotNullWithoutDefault { table, column } => {
                write!(f, "add the NOT NULL column '{table}.{column}' without a default")
            }
            RebuildReason::AddUnique { table, column } => {
                write!(f, "add the UNIQUE column '{table}.{column}' with ALTER TABLE")
            }
            RebuildReason::AddAutoIncrement { table, column } => {
                write!(
                    f,
                    "add the auto-increment column '{table}.{column}' to an existing table"
                )
            }
            RebuildReason::DropUnique { table, column } => {
                write!(f, "drop the UNIQUE column '{table}.{column}' in place")
            }
            RebuildReason::AlterColumn { table, column } => {
                write!(f, "alter the column '{table}.{column}' in place")
            }
            RebuildReason::AddConstraint { table, constraint } => {
                write!(f, "add the {constraint} to the existing table '{table}'")
            }
            RebuildReason::DropConstraint { table, constraint } => {
                write!(f, "drop the {constraint} from the table '{table}'")
            }
        }
    }
}

impl Dialect {
    /// Whether this dialect's `ALTER TABLE` makes `op` in place on a table
    /// that may have rows, or why only a rebuild of the table can (only
    /// SQLite ever needs one). `table` is the table as the op finds it, where
    /// the caller knows it; without it, a column drop is [`InPlace::Unknown`].
    ///
    /// A drop of a key, foreign key, CHECK or indexed column is refused too,
    /// but that drop changes the constraint or index as well, which the
    /// ops that do so answer for.
    pub fn in_place<'a>(self, op: &'a Op, table: Option<&Table>) -> InPlace<'a> {
        if self != Dialect::Sqlite {
            return InPlace::Yes;
        }
        let reason = match op {
            Op::AddColumn { table, column } => {
                let (table, name) = (table.as_str(), column.name.as_str());
                if !column.nullable && column.server_default().is_none() {
                    RebuildReason::AddNotNullWithoutDefault { table, column: name }
                } else if column.unique {
                    RebuildReason::AddUnique { table, column: name }
                } else if column.auto_increment {
                    RebuildReason::AddAutoIncrement { table, column: name }
                } else {
                    return InPlace::Yes;
                }
            }
            Op::DropColumn { table: name, column } => match table {
                None => return InPlace::Unknown,
                Some(t) if t.get_column(column).is_some_and(|c| c.unique) => {
                    RebuildReason::DropUnique { table: name, column }
                }
                Some(_) => return InPlace::Yes,
            },
            Op::AlterColumn { table, to, .. } => RebuildReason::AlterColumn {
                table,
                column: &to.name,
            },
            Op::AddConstraint { table, constraint } => RebuildReason::AddConstraint { table, constraint },
            Op::DropConstraint { table, constraint } => RebuildReason::DropConstraint { table, constraint },
            _ => return InPlace::Yes,
        };
        InPlace::No(reason)
    }
}

impl Op {
    /// The rebuild of `from` as `to`, standing for `changes`: the rows of
    /// every column `to` keeps from `from` are copied. A column that one
    /// change drops and a later one adds back is a new column, and starts empty.
    pub fn rebuild(from: &Table, to: Table, changes: Vec<Op>) -> Op {
        let dropped: Vec<&str> = changes
            .iter()
            .filter_map(|op| match op {
                Op::DropColumn { column, .. } => Some(column.as_str()),
                _ => None,
            })
            .collect();
        let copy = to
            .columns
            .iter()
            .filter(|c| from.get_column(&c.name).is_some() && !dropped.contains(&c.name.as_str()))
            .map(|c| c.name.clone())
            .collect();
        Op::RecreateTable {
            table: to,
            copy,
            changes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Check, Column, ColumnType};

    fn user() -> Table {
        Table::new("user")
            .column(Column::new("id", ColumnType::Integer))
            .column(Column::new("email", ColumnType::Text).unique())
            .column(Column::new("bio", ColumnType::Text).nullable())
    }

    fn add(column: Column) -> Op {
        Op::AddColumn {
            table: "user".into(),
            column,
        }
    }

    fn drop(column: &str) -> Op {
        Op::DropColumn {
            table: "user".into(),
            column: column.into(),
        }
    }

    fn sqlite(op: &Op, table: Option<&Table>) -> String {
        match Dialect::Sqlite.in_place(op, table) {
            InPlace::Yes => "in place".to_owned(),
            InPlace::No(reason) => format!("rebuild: {reason}"),
            InPlace::Unknown => "unknown".to_owned(),
        }
    }

    #[test]
    fn sqlite_adds_a_column_in_place_unless_rows_or_uniqueness_stop_it() {
        let text = |name: &str| Column::new(name, ColumnType::Text);
        assert_eq!(sqlite(&add(text("a").nullable()), None), "in place");
        assert_eq!(sqlite(&add(text("a").default("x")), None), "in place");
        assert_eq!(
            sqlite(&add(text("a")), None),
            "rebuild: add the NOT NULL column 'user.a' without a default"
        );
        assert_eq!(
            sqlite(&add(text("a").nullable().unique()), None),
            "rebuild: add the UNIQUE column 'user.a' with ALTER TABLE"
        );
        assert_eq!(
            sqlite(
                &add(Column::new("n", ColumnType::Integer).auto_increment().default(0)),
                None
            ),
            "rebuild: add the auto-increment column 'user.n' to an existing table"
        );
    }

    #[test]
    fn sqlite_drops_a_column_in_place_unless_it_is_unique() {
        assert_eq!(sqlite(&drop("bio"), Some(&user())), "in place");
        assert_eq!(
            sqlite(&drop("email"), Some(&user())),
            "rebuild: drop the UNIQUE column 'user.email' in place"
        );
        assert_eq!(sqlite(&drop("email"), None), "unknown");
    }

    #[test]
    fn sqlite_changes_no_column_or_constraint_in_place() {
        let email = user().get_column("email").unwrap().clone();
        let alter = Op::AlterColumn {
            table: "user".into(),
            from: email.clone(),
            to: Column {
                unique: false,
                ..email
            },
        };
        assert_eq!(
            sqlite(&alter, None),
            "rebuild: alter the column 'user.email' in place"
        );
        let check: Constraint = Check::new("id > 0").into();
        let add = Op::AddConstraint {
            table: "user".into(),
            constraint: check.clone(),
        };
        assert_eq!(
            sqlite(&add, None),
            "rebuild: add the check constraint (id > 0) to the existing table 'user'"
        );
        let drop = Op::DropConstraint {
            table: "user".into(),
            constraint: check,
        };
        assert_eq!(
            sqlite(&drop, None),
            "rebuild: drop the check constraint (id > 0) from the table 'user'"
        );
        for dialect in [Dialect::Postgres, Dialect::MySql] {
            assert_eq!(dialect.in_place(&alter, None), InPlace::Yes);
        }
    }

    #[test]
    fn a_rebuild_copies_the_columns_both_tables_have() {
        let to = Table::new("user")
            .column(Column::new("id", ColumnType::Integer))
            .column(Column::new("bio", ColumnType::Text))
            .column(Column::new("age", ColumnType::Integer).default(0));
        let Op::RecreateTable { copy, changes, .. } = Op::rebuild(&user(), to, vec![drop("email")]) else {
            unreachable!()
        };
        assert_eq!(copy, ["id", "bio"]);
        assert_eq!(changes, [drop("email")]);
    }

    #[test]
    fn a_column_dropped_and_added_back_in_one_rebuild_starts_empty() {
        let email = Column::new("email", ColumnType::Text).nullable();
        let to = Table::new("user")
            .column(Column::new("id", ColumnType::Integer))
            .column(Column::new("bio", ColumnType::Text).nullable())
            .column(email.clone());
        let changes = vec![drop("email"), add(email)];
        let Op::RecreateTable { copy, .. } = Op::rebuild(&user(), to, changes) else {
            unreachable!()
        };
        assert_eq!(copy, ["id", "bio"]);
    }
}

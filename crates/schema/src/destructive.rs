//! Which ops can lose data or fail on rows a database already holds.
//!
//! Autogenerate refuses to write such a revision unless the user allows it,
//! and the revision file marks each such op with a `// WARNING:` line. The
//! codes are stable, so CI and reviewers can refer to them.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::model::{ColumnType, Constraint, Schema, StringLen, Table};
use crate::{Column, Dialect, Op};

/// What kind of harm an op can do. Each has a stable code (`AG101`…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum DestructiveKind {
    /// `AG101`: a table and every row in it go.
    DropTable,
    /// `AG102`: a column and its values go.
    DropColumn,
    /// `AG103`: a column's new type cannot hold every value the old one could.
    NarrowType,
    /// `AG104`: a nullable column becomes NOT NULL with no value for the rows
    /// holding NULL; they make it fail. A default gained at the same time
    /// fills no existing row, so it does not help.
    NotNullWithoutFill,
    /// `AG105`: enum labels are removed; rows holding them make it fail.
    RemoveEnumLabel,
    /// `AG106`: a unique constraint or unique index goes, and with it the guarantee.
    DropUnique,
    /// `AG107`: a NOT NULL column with no default is added; a table with
    /// rows refuses it, since they would have no value.
    AddNotNullWithoutDefault,
}

impl DestructiveKind {
    /// The stable code, e.g. `AG102`.
    pub fn code(self) -> &'static str {
        match self {
            DestructiveKind::DropTable => "AG101",
            DestructiveKind::DropColumn => "AG102",
            DestructiveKind::NarrowType => "AG103",
            DestructiveKind::NotNullWithoutFill => "AG104",
            DestructiveKind::RemoveEnumLabel => "AG105",
            DestructiveKind::DropUnique => "AG106",
            DestructiveKind::AddNotNullWithoutDefault => "AG107",
        }
    }
}

/// One destructive change: its kind, the op making it, and what it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DestructiveChange {
    /// The kind, which carries the code.
    pub kind: DestructiveKind,
    /// The position of the op in the list given to [`destructive_changes`].
    pub op: usize,
    /// What it does, e.g. `drops column 'user.bio' and its values`.
    pub detail: String,
}

impl fmt::Display for DestructiveChange {
    /// `AG102 drops column 'user.bio' and its values`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.code(), self.detail)
    }
}

/// The destructive changes `ops` make to a database holding `before`, in op
/// order, as `dialect` stores types (what it cannot tell apart is no change).
pub fn destructive_changes(ops: &[Op], before: &Schema, dialect: Dialect) -> Vec<DestructiveChange> {
    let mut schema = before.clone();
    let mut filled = Filled::new();
    let mut found = Vec::new();
    for (at, op) in ops.iter().enumerate() {
        if let Op::FillNulls { table, column, .. } = op {
            filled.insert((table.clone(), column.clone()));
        }
        for (kind, detail) in op_changes(op, &schema, &filled, dialect) {
            found.push(DestructiveChange { kind, op: at, detail });
        }
        // An op that cannot be replayed (raw SQL) leaves the schema as it was.
        let _ = op.apply(&mut schema);
    }
    found
}

/// The columns an earlier `fill_nulls` gave existing rows a value in, by table.
type Filled = BTreeSet<(String, String)>;

fn op_changes(op: &Op, schema: &Schema, filled: &Filled, dialect: Dialect) -> Vec<(DestructiveKind, String)> {
    let is_filled = |table: &str, column: &str| filled.contains(&(table.to_owned(), column.to_owned()));
    match op {
        Op::AddColumn { table, column } if !column.fills_existing_rows() => {
            vec![added_without_value(table, &column.name, dialect)]
        }
        Op::DropTable { name } => vec![(
            DestructiveKind::DropTable,
            format!("drops table '{name}' and every row in it"),
        )],
        Op::DropColumn { table, column } => vec![dropped_column(table, column)],
        Op::AlterColumn { table, from, to } => {
            column_changes(table, from, to, is_filled(table, &to.name), dialect)
        }
        Op::AlterEnum { name, from, to } => removed_labels(from, to)
            .map(|labels| {
                vec![(
                    DestructiveKind::RemoveEnumLabel,
                    format!("removes {labels} from enum '{name}'; rows holding them make it fail"),
                )]
            })
            .unwrap_or_default(),
        Op::DropConstraint {
            table,
            constraint: Constraint::Unique(unique),
        } => vec![(
            DestructiveKind::DropUnique,
            format!(
                "drops the unique constraint on '{table}' ({}); duplicates become possible",
                unique.columns.join(", ")
            ),
        )],
        Op::DropIndex { table, name } => {
            let unique = schema
                .table(table)
                .and_then(|t| t.get_index(name))
                .is_some_and(|i| i.unique);
            if unique {
                vec![(
                    DestructiveKind::DropUnique,
                    format!("drops unique index '{name}' on '{table}'; duplicates become possible"),
                )]
            } else {
                Vec::new()
            }
        }
        Op::RecreateTable { table, copy, .. } => match schema.table(&table.name) {
            Some(old) => recreation_changes(old, table, copy, &is_filled, dialect),
            None => Vec::new(),
        },
        Op::InSchema { schema: name, ops } => {
            let inner = schema.schemas.get(name).cloned().unwrap_or_default();
            destructive_changes(ops, &inner, dialect)
                .into_iter()
                .map(|change| (change.kind, format!("{} (in schema '{name}')", change.detail)))
                .collect()
        }
        _ => Vec::new(),
    }
}

fn added_without_value(table: &str, column: &str, dialect: Dialect) -> (DestructiveKind, String) {
    let rows = match dialect {
        // MySQL takes it, giving each row the type's zero value ('', 0, a zero date).
        Dialect::MySql => "rows the table has get the type's zero value, not one you chose",
        Dialect::Sqlite | Dialect::Postgres => "a table with rows refuses it",
    };
    (
        DestructiveKind::AddNotNullWithoutDefault,
        format!("adds NOT NULL column '{table}.{column}' with no default; {rows}"),
    )
}

fn dropped_column(table: &str, column: &str) -> (DestructiveKind, String) {
    (
        DestructiveKind::DropColumn,
        format!("drops column '{table}.{column}' and its values"),
    )
}

/// What changing `from` into `to` in place can destroy.
fn column_changes(
    table: &str,
    from: &Column,
    to: &Column,
    filled: bool,
    dialect: Dialect,
) -> Vec<(DestructiveKind, String)> {
    let mut found = Vec::new();
    let column = format!("'{table}.{}'", to.name);
    if !dialect.same_type(&from.column_type, &to.column_type) {
        match (&from.column_type, &to.column_type) {
            (ColumnType::Enum { variants: old, .. }, ColumnType::Enum { variants: new, .. }) => {
                if let Some(labels) = removed_labels(old, new) {
                    found.push((
                        DestructiveKind::RemoveEnumLabel,
                        format!("removes {labels} from column {column}; rows holding them make it fail"),
                    ));
                }
            }
            (old, new) if !widens(old, new) => found.push((
                DestructiveKind::NarrowType,
                format!("changes column {column} from {old:?} to {new:?}, which may not hold every value"),
            )),
            _ => {}
        }
    }
    if from.nullable && !to.nullable && !filled {
        let default = if to.server_default().is_some() {
            " (its default fills no existing row)"
        } else {
            ""
        };
        found.push((
            DestructiveKind::NotNullWithoutFill,
            format!("makes column {column} NOT NULL; rows holding NULL make it fail{default}"),
        ));
    }
    if from.unique && !to.unique {
        found.push((
            DestructiveKind::DropUnique,
            format!("drops UNIQUE from column {column}; duplicates become possible"),
        ));
    }
    found
}

/// A table rebuild, compared column by column with the table it replaces:
/// a column not carried over loses its values.
fn recreation_changes(
    old: &Table,
    new: &Table,
    copy: &[String],
    is_filled: &dyn Fn(&str, &str) -> bool,
    dialect: Dialect,
) -> Vec<(DestructiveKind, String)> {
    let mut found = Vec::new();
    for column in &old.columns {
        let kept = copy.contains(&column.name);
        match new.get_column(&column.name) {
            Some(now) if kept => found.extend(column_changes(
                &new.name,
                column,
                now,
                is_filled(&new.name, &column.name),
                dialect,
            )),
            _ => found.push(dropped_column(&new.name, &column.name)),
        }
    }
    // A column the rebuild adds gets its default in the copied rows, or nothing.
    for column in new.columns.iter().filter(|c| old.get_column(&c.name).is_none()) {
        if !column.fills_existing_rows() {
            found.push(added_without_value(&new.name, &column.name, dialect));
        }
    }
    for index in old.indexes.iter().filter(|i| i.unique) {
        let still = new
            .indexes
            .iter()
            .any(|i| i.unique && i.parts == index.parts && i.where_clause == index.where_clause);
        if !still {
            found.push((
                DestructiveKind::DropUnique,
                format!(
                    "drops unique index '{}' on '{}'; duplicates become possible",
                    index.name, new.name
                ),
            ));
        }
    }
    for unique in &old.unique_constraints {
        if !new.unique_constraints.iter().any(|u| u.columns == unique.columns) {
            found.push((
                DestructiveKind::DropUnique,
                format!(
                    "drops the unique constraint on '{}' ({}); duplicates become possible",
                    new.name,
                    unique.columns.join(", ")
                ),
            ));
        }
    }
    found
}

/// `'a', 'b'` for the labels of `from` that `to` lacks, if any.
fn removed_labels(from: &[String], to: &[String]) -> Option<String> {
    let removed: Vec<String> = from
        .iter()
        .filter(|label| !to.contains(label))
        .map(|label| format!("'{label}'"))
        .collect();
    (!removed.is_empty()).then(|| {
        format!(
            "label{} {}",
            if removed.len() > 1 { "s" } else { "" },
            removed.join(", ")
        )
    })
}

/// Whether every value of type `from` fits in type `to` unchanged. Only the
/// widenings listed here count; any other change of type may lose values.
fn widens(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType as T;
    let signed = |t: &T| match t {
        T::TinyInteger => Some(1),
        T::SmallInteger => Some(2),
        T::Integer => Some(4),
        T::BigInteger => Some(8),
        _ => None,
    };
    let unsigned = |t: &T| match t {
        T::TinyUnsigned => Some(1),
        T::SmallUnsigned => Some(2),
        T::Unsigned => Some(4),
        T::BigUnsigned => Some(8),
        _ => None,
    };
    // Characters a string type holds at most; `None`: no limit.
    let chars = |t: &T| match t {
        T::Char(n) => Some(Some(n.unwrap_or(1))),
        T::String(StringLen::N(n)) => Some(Some(*n)),
        T::String(_) | T::Text => Some(None),
        _ => None,
    };
    match (from, to) {
        (a, b) if a == b => true,
        (a, b) if signed(a).is_some() && signed(b).is_some() => signed(a) <= signed(b),
        (a, b) if unsigned(a).is_some() && unsigned(b).is_some() => unsigned(a) <= unsigned(b),
        (a, b) if unsigned(a).is_some() && signed(b).is_some() => unsigned(a) < signed(b),
        (a, b) if chars(a).is_some() && chars(b).is_some() => {
            match (chars(a).flatten(), chars(b).flatten()) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(x), Some(y)) => x <= y,
            }
        }
        (T::Float, T::Double) => true,
        (T::Decimal(Some((p, s))), T::Decimal(Some((q, t)))) => t >= s && q - t >= p - s,
        (T::Decimal(_), T::Decimal(None)) => true,
        (T::VarBinary(StringLen::N(a)), T::VarBinary(StringLen::N(b))) => a <= b,
        (T::Binary(_) | T::VarBinary(_), T::Blob) => true,
        (T::Enum { variants: a, .. }, T::Enum { variants: b, .. }) => a.iter().all(|l| b.contains(l)),
        (T::Json, T::JsonBinary) | (T::JsonBinary, T::Json) => true,
        (T::Timestamp | T::DateTime, T::TimestampWithTimeZone) => true,
        // Two names of a date and time without a zone (SQLite declares them apart).
        (T::Timestamp, T::DateTime) | (T::DateTime, T::Timestamp) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Index, Table};

    fn before() -> Schema {
        let mut schema = Schema::new();
        schema.insert(
            Table::new("user")
                .column(Column::new("id", ColumnType::Integer).auto_increment())
                .column(Column::new("name", ColumnType::String(StringLen::N(100))))
                .column(Column::new("bio", ColumnType::Text).nullable())
                .column(Column::new("email", ColumnType::Text).unique())
                .primary_key(["id"])
                .index(Index::new("uq_user_name", "user", ["name"]).unique())
                .index(Index::new("idx_user_bio", "user", ["bio"])),
        );
        schema
    }

    fn codes(ops: &[Op], dialect: Dialect) -> Vec<String> {
        destructive_changes(ops, &before(), dialect)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn alter(from: Column, to: Column) -> Op {
        Op::AlterColumn {
            table: "user".into(),
            from,
            to,
        }
    }

    #[test]
    fn drops_are_destructive() {
        let ops = [
            Op::DropIndex {
                table: "user".into(),
                name: "idx_user_bio".into(),
            },
            Op::DropIndex {
                table: "user".into(),
                name: "uq_user_name".into(),
            },
            Op::DropColumn {
                table: "user".into(),
                column: "bio".into(),
            },
            Op::DropTable { name: "user".into() },
        ];
        assert_eq!(
            codes(&ops, Dialect::Postgres),
            [
                "AG106 drops unique index 'uq_user_name' on 'user'; duplicates become possible",
                "AG102 drops column 'user.bio' and its values",
                "AG101 drops table 'user' and every row in it",
            ]
        );
    }

    #[test]
    fn a_column_rows_cannot_fill_is_destructive_until_they_are_given_a_value() {
        let slug = Column::new("slug", ColumnType::Text);
        let add = Op::AddColumn {
            table: "user".into(),
            column: slug.clone(),
        };
        let fill = Op::FillNulls {
            table: "user".into(),
            column: "bio".into(),
            value: "".into(),
        };
        let tighten = alter(
            Column::new("bio", ColumnType::Text).nullable(),
            Column::new("bio", ColumnType::Text),
        );
        assert_eq!(
            codes(&[add.clone(), tighten.clone()], Dialect::Postgres),
            [
                "AG107 adds NOT NULL column 'user.slug' with no default; a table with rows refuses it",
                "AG104 makes column 'user.bio' NOT NULL; rows holding NULL make it fail",
            ]
        );
        assert!(codes(&[fill.clone(), tighten], Dialect::Postgres).is_empty());
        // MySQL takes the column, but not with a value anyone chose.
        assert_eq!(
            codes(std::slice::from_ref(&add), Dialect::MySql),
            ["AG107 adds NOT NULL column 'user.slug' with no default; rows the table has get the type's zero value, not one you chose"]
        );
        // A default or a counter gives existing rows a value.
        for column in [
            slug.clone().default("x"),
            slug.clone().nullable(),
            slug.auto_increment(),
        ] {
            let add = Op::AddColumn {
                table: "user".into(),
                column,
            };
            assert!(codes(&[add], Dialect::Postgres).is_empty());
        }
        // SQLite rebuilds to add it: the copied rows have no value for it either.
        let mut with_slug = before().table("user").unwrap().clone();
        with_slug.columns.push(Column::new("slug", ColumnType::Text));
        let copy: Vec<String> = before()
            .table("user")
            .unwrap()
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect();
        let rebuild = Op::RecreateTable {
            table: with_slug,
            copy,
            changes: Vec::new(),
        };
        assert_eq!(
            codes(&[rebuild], Dialect::Sqlite),
            ["AG107 adds NOT NULL column 'user.slug' with no default; a table with rows refuses it"]
        );
    }

    #[test]
    fn narrowing_and_tightening_columns_are_destructive_widening_is_not() {
        let name = |len| Column::new("name", ColumnType::String(StringLen::N(len)));
        let bio = Column::new("bio", ColumnType::Text).nullable();
        let ops = [
            alter(name(100), name(200)),
            alter(name(100), name(50)),
            alter(bio.clone(), Column::new("bio", ColumnType::Text).default("")),
            alter(bio.clone(), Column::new("bio", ColumnType::Text)),
            alter(
                Column::new("email", ColumnType::Text).unique(),
                Column::new("email", ColumnType::Text),
            ),
            alter(
                Column::new("id", ColumnType::Integer),
                Column::new("id", ColumnType::BigInteger),
            ),
        ];
        assert_eq!(
            codes(&ops, Dialect::Postgres),
            [
                "AG103 changes column 'user.name' from String(N(100)) to String(N(50)), which may not hold every value",
                "AG104 makes column 'user.bio' NOT NULL; rows holding NULL make it fail (its default fills no existing row)",
                "AG104 makes column 'user.bio' NOT NULL; rows holding NULL make it fail",
                "AG106 drops UNIQUE from column 'user.email'; duplicates become possible",
            ]
        );
        // What the backend stores alike is no narrowing: SQLite keeps both as integer.
        let back = [alter(
            Column::new("id", ColumnType::BigInteger),
            Column::new("id", ColumnType::Integer),
        )];
        assert!(codes(&back, Dialect::Sqlite).is_empty());
        assert_eq!(codes(&back, Dialect::Postgres).len(), 1);
    }

    #[test]
    fn removed_enum_labels_are_destructive_added_ones_are_not() {
        let ops = [
            Op::AlterEnum {
                name: "mood".into(),
                from: vec!["ok".into(), "sad".into()],
                to: vec!["ok".into(), "sad".into(), "glad".into()],
            },
            Op::AlterEnum {
                name: "mood".into(),
                from: vec!["ok".into(), "sad".into()],
                to: vec!["ok".into()],
            },
            alter(
                Column::new("bio", ColumnType::enumeration("mood", ["ok", "sad"])),
                Column::new("bio", ColumnType::enumeration("mood", ["ok"])),
            ),
        ];
        assert_eq!(
            codes(&ops, Dialect::MySql),
            [
                "AG105 removes label 'sad' from enum 'mood'; rows holding them make it fail",
                "AG105 removes label 'sad' from column 'user.bio'; rows holding them make it fail",
            ]
        );
    }

    #[test]
    fn a_recreation_is_destructive_for_what_it_leaves_behind() {
        let rebuilt = Table::new("user")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("name", ColumnType::String(StringLen::N(100))))
            .column(Column::new("email", ColumnType::Text).unique())
            .primary_key(["id"]);
        let ops = [Op::RecreateTable {
            table: rebuilt,
            copy: vec!["id".into(), "name".into(), "email".into()],
            changes: Vec::new(),
        }];
        assert_eq!(
            codes(&ops, Dialect::Sqlite),
            [
                "AG102 drops column 'user.bio' and its values",
                "AG106 drops unique index 'uq_user_name' on 'user'; duplicates become possible",
            ]
        );
    }
}

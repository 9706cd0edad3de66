//! Which ops take a long lock or rewrite a table on a live database.
//!
//! On a table with millions of rows and traffic, a plain `CREATE INDEX`
//! blocks writes for the whole build, `ADD FOREIGN KEY` checks every row
//! under a lock, and a DDL statement left waiting for its lock queues every
//! later query behind it. These codes (`AG2xx`, beside the destructive
//! `AG1xx`) say so, per op, for the way a revision runs: in
//! [`DdlMode::LockSafe`], the changes with a lock-safe form run that way and
//! drop out, and what is left has none autogen can write.
//!
//! A table created earlier in the same ops is empty, and nothing else holds
//! it yet: what happens to it risks nothing. SQLite has one writer at a
//! time whatever the DDL, so it has no such codes.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::model::{ColumnType, Constraint, DefaultValue, Schema, StringLen};
use crate::{Column, Dialect, Op};

/// How a revision runs its DDL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DdlMode {
    /// Each statement as written, in the revision's transaction, waiting for
    /// its lock as long as it takes.
    #[default]
    Plain,
    /// Each change in a form that keeps writes going where the backend has
    /// one (PostgreSQL: concurrent index builds, constraints added `NOT
    /// VALID` and validated later; MariaDB: `ALGORITHM=INPLACE, LOCK=NONE`),
    /// every statement under a lock timeout and retried.
    LockSafe,
}

/// What kind of lock risk an op carries. Each has a stable code (`AG201`…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum LockKind {
    /// `AG201`: an index is built while writes to its table wait.
    IndexBuild,
    /// `AG202`: an index is dropped under an exclusive lock on its table.
    IndexDrop,
    /// `AG203`: a UNIQUE constraint or primary key builds its index while
    /// reads and writes wait.
    UniqueUnderLock,
    /// `AG204`: a foreign key checks every row while writes to both tables wait.
    ForeignKeyCheck,
    /// `AG205`: a CHECK constraint checks every row while reads and writes wait.
    CheckConstraintCheck,
    /// `AG206`: NOT NULL is set by scanning every row while reads and writes wait.
    NotNullScan,
    /// `AG207`: a column's type change rewrites (or copies) the whole table
    /// while reads and writes wait.
    TypeRewrite,
    /// `AG208`: a column's type change rewrites nothing, but still takes an
    /// exclusive lock, briefly.
    TypeChangeLock,
    /// `AG209`: a column is added with a volatile default (or counts), so
    /// every row is written while reads and writes wait.
    VolatileDefault,
    /// `AG210`: DDL with no lock timeout: waiting for its lock behind a long
    /// transaction, it queues every later query on the table behind it.
    NoLockTimeout,
    /// `AG211`: NULLs are filled in one statement: one long transaction
    /// holding every row it changes.
    OneStatementBackfill,
}

impl LockKind {
    /// Every kind, in code order.
    pub const ALL: [LockKind; 11] = [
        LockKind::IndexBuild,
        LockKind::IndexDrop,
        LockKind::UniqueUnderLock,
        LockKind::ForeignKeyCheck,
        LockKind::CheckConstraintCheck,
        LockKind::NotNullScan,
        LockKind::TypeRewrite,
        LockKind::TypeChangeLock,
        LockKind::VolatileDefault,
        LockKind::NoLockTimeout,
        LockKind::OneStatementBackfill,
    ];

    /// The stable code, e.g. `AG201`.
    pub fn code(self) -> &'static str {
        match self {
            LockKind::IndexBuild => "AG201",
            LockKind::IndexDrop => "AG202",
            LockKind::UniqueUnderLock => "AG203",
            LockKind::ForeignKeyCheck => "AG204",
            LockKind::CheckConstraintCheck => "AG205",
            LockKind::NotNullScan => "AG206",
            LockKind::TypeRewrite => "AG207",
            LockKind::TypeChangeLock => "AG208",
            LockKind::VolatileDefault => "AG209",
            LockKind::NoLockTimeout => "AG210",
            LockKind::OneStatementBackfill => "AG211",
        }
    }

    /// The kind a code names, e.g. `AG207`.
    pub fn from_code(code: &str) -> Option<LockKind> {
        LockKind::ALL
            .into_iter()
            .find(|kind| kind.code().eq_ignore_ascii_case(code))
    }
}

/// One lock risk: its kind, the op carrying it, and what happens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockRisk {
    /// The kind, which carries the code.
    pub kind: LockKind,
    /// The position of the op in the list given to [`lock_risks`].
    pub op: usize,
    /// What happens, e.g. `builds index 'ix' on 'post' while writes to it wait`.
    pub detail: String,
}

impl fmt::Display for LockRisk {
    /// `AG201 builds index 'ix' on 'post' while writes to it wait`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.code(), self.detail)
    }
}

/// The lock risks `ops` carry on a database holding `before`, in op order,
/// when they run in `mode` on `dialect`.
pub fn lock_risks(ops: &[Op], before: &Schema, dialect: Dialect, mode: DdlMode) -> Vec<LockRisk> {
    if dialect == Dialect::Sqlite {
        return Vec::new();
    }
    let mut schema = before.clone();
    let mut created = BTreeSet::new();
    let mut found = Vec::new();
    let mut touched: Vec<String> = Vec::new();
    let mut first_touch = None;
    for (at, op) in ops.iter().enumerate() {
        if let Op::InSchema { schema: name, ops } = op {
            // Another schema's ops run as written even lock-safe (only the
            // compared schema's get lock-safe forms): what they risk stays.
            let inner = schema.schemas.get(name).cloned().unwrap_or_default();
            for risk in lock_risks(ops, &inner, dialect, DdlMode::Plain) {
                if mode == DdlMode::Plain || risk.kind != LockKind::NoLockTimeout {
                    let detail = format!("{} (in schema '{name}')", risk.detail);
                    found.push(LockRisk {
                        kind: risk.kind,
                        op: at,
                        detail,
                    });
                }
            }
        }
        let table = changed_table(op).filter(|t| schema.table(t).is_some() && !created.contains(*t));
        if let Some(table) = table {
            first_touch.get_or_insert(at);
            if !touched.iter().any(|t| t == table) {
                touched.push(table.to_owned());
            }
            // An op that cannot take its lock-safe form whole runs as written
            // (but a column change, whose NOT NULL and UNIQUE take theirs alone).
            let as_written = mode == DdlMode::Plain
                || (!matches!(op, Op::AlterColumn { .. }) && !runs_lock_safe(op, dialect));
            for (kind, detail) in op_risks(op, dialect) {
                if as_written || !has_lock_safe_form(kind, dialect) {
                    found.push(LockRisk { kind, op: at, detail });
                }
            }
        }
        if let Op::CreateTable(t) | Op::RecreateTable { table: t, .. } = op {
            created.insert(t.name.clone());
        }
        // An op that cannot be replayed (raw SQL) leaves the schema as it was.
        let _ = op.apply(&mut schema);
    }
    if let (DdlMode::Plain, Some(at)) = (mode, first_touch) {
        let quoted: Vec<String> = touched.iter().map(|t| format!("'{t}'")).collect();
        found.push(LockRisk {
            kind: LockKind::NoLockTimeout,
            op: at,
            detail: format!(
                "alters {} with no lock timeout: waiting behind a long transaction, \
                 it queues every later query on the table",
                quoted.join(", ")
            ),
        });
        found.sort_by_key(|risk| risk.op);
    }
    found
}

/// Whether lock-safe mode runs `op` on `dialect` free of every lock risk it
/// carries, so that the op takes its lock-safe form; one with a risk that
/// has none runs as written.
pub fn runs_lock_safe(op: &Op, dialect: Dialect) -> bool {
    op_risks(op, dialect)
        .iter()
        .all(|(kind, _)| has_lock_safe_form(*kind, dialect))
}

/// Whether lock-safe mode runs a change of `kind` on `dialect` without it.
fn has_lock_safe_form(kind: LockKind, dialect: Dialect) -> bool {
    match kind {
        LockKind::IndexBuild
        | LockKind::IndexDrop
        | LockKind::UniqueUnderLock
        | LockKind::NotNullScan
        | LockKind::NoLockTimeout => true,
        // MariaDB has no online form of either: the table is copied.
        LockKind::ForeignKeyCheck | LockKind::CheckConstraintCheck => dialect == Dialect::Postgres,
        LockKind::TypeRewrite
        | LockKind::TypeChangeLock
        | LockKind::VolatileDefault
        | LockKind::OneStatementBackfill => false,
    }
}

/// The table an op changes in place, if it changes one: a risk only if the
/// table existed before the ops began.
pub fn changed_table(op: &Op) -> Option<&str> {
    match op {
        Op::AddColumn { table, .. }
        | Op::DropColumn { table, .. }
        | Op::AlterColumn { table, .. }
        | Op::RenameColumn { table, .. }
        | Op::AddConstraint { table, .. }
        | Op::DropConstraint { table, .. }
        | Op::AlterTableComment { table, .. }
        | Op::DropIndex { table, .. }
        | Op::FillNulls { table, .. } => Some(table),
        Op::CreateIndex(index) => Some(&index.table),
        Op::DropTable { name } => Some(name),
        Op::RecreateTable { table, .. } => Some(&table.name),
        _ => None,
    }
}

fn op_risks(op: &Op, dialect: Dialect) -> Vec<(LockKind, String)> {
    let postgres = dialect == Dialect::Postgres;
    match op {
        Op::CreateIndex(index) if postgres => vec![(
            LockKind::IndexBuild,
            format!(
                "builds index '{}' on '{}' while writes to it wait",
                index.name, index.table
            ),
        )],
        Op::DropIndex { table, name } if postgres => vec![(
            LockKind::IndexDrop,
            format!("drops index '{name}' on '{table}' while reads and writes wait"),
        )],
        Op::AddConstraint { table, constraint } => constraint_risks(table, constraint, dialect),
        Op::AlterColumn { table, from, to } => column_risks(table, from, to, dialect),
        Op::AddColumn { table, column } => added_column_risks(table, column, dialect),
        Op::FillNulls { table, column, .. } => vec![(
            LockKind::OneStatementBackfill,
            format!(
                "fills NULLs in '{table}.{column}' in one statement, \
                 holding every row it changes until it ends"
            ),
        )],
        Op::RecreateTable { table, .. } => vec![(
            LockKind::TypeRewrite,
            format!("rebuilds table '{}', copying every row", table.name),
        )],
        _ => Vec::new(),
    }
}

fn constraint_risks(table: &str, constraint: &Constraint, dialect: Dialect) -> Vec<(LockKind, String)> {
    let postgres = dialect == Dialect::Postgres;
    match constraint {
        Constraint::Unique(unique) if postgres => vec![(
            LockKind::UniqueUnderLock,
            format!(
                "adds UNIQUE ({}) to '{table}', building its index while reads and writes wait",
                unique.columns.join(", ")
            ),
        )],
        Constraint::PrimaryKey(pk) if postgres => vec![(
            LockKind::UniqueUnderLock,
            format!(
                "adds a primary key ({}) to '{table}', building its index while reads and writes wait",
                pk.columns.join(", ")
            ),
        )],
        Constraint::ForeignKey(fk) => vec![(
            LockKind::ForeignKeyCheck,
            format!(
                "adds a foreign key from '{table}' ({}) to '{}', checking every row while writes wait",
                fk.columns.join(", "),
                fk.ref_table
            ),
        )],
        Constraint::Check(check) => vec![(
            LockKind::CheckConstraintCheck,
            format!(
                "adds CHECK ({}) to '{table}', checking every row while reads and writes wait",
                check.expression
            ),
        )],
        _ => Vec::new(),
    }
}

fn column_risks(table: &str, from: &Column, to: &Column, dialect: Dialect) -> Vec<(LockKind, String)> {
    let postgres = dialect == Dialect::Postgres;
    let column = format!("'{table}.{}'", to.name);
    let mut found = Vec::new();
    if !dialect.same_type(&from.column_type, &to.column_type) {
        if rewrites(&from.column_type, &to.column_type, dialect) {
            found.push((
                LockKind::TypeRewrite,
                format!("changes the type of {column}, rewriting every row while reads and writes wait"),
            ));
        } else if postgres {
            found.push((
                LockKind::TypeChangeLock,
                format!("changes the type of {column} without a rewrite, under an exclusive lock"),
            ));
        }
    }
    if from.nullable && !to.nullable && postgres {
        found.push((
            LockKind::NotNullScan,
            format!("makes {column} NOT NULL, scanning every row while reads and writes wait"),
        ));
    }
    if !from.unique && to.unique && postgres {
        found.push((
            LockKind::UniqueUnderLock,
            format!("makes {column} UNIQUE, building its index while reads and writes wait"),
        ));
    }
    found
}

fn added_column_risks(table: &str, column: &Column, dialect: Dialect) -> Vec<(LockKind, String)> {
    let postgres = dialect == Dialect::Postgres;
    let mut found = Vec::new();
    let volatile = match dialect {
        Dialect::Postgres => column.auto_increment || column.server_default().is_some_and(is_volatile),
        // MariaDB adds a column in place unless it counts.
        _ => column.auto_increment,
    };
    if volatile {
        found.push((
            LockKind::VolatileDefault,
            format!(
                "adds '{table}.{}' with a value computed per row, writing every row while reads and writes wait",
                column.name
            ),
        ));
    }
    if column.unique && postgres {
        found.push((
            LockKind::UniqueUnderLock,
            format!(
                "adds UNIQUE column '{table}.{}', building its index while reads and writes wait",
                column.name
            ),
        ));
    }
    found
}

/// Whether a default is computed per row, so adding a column with it writes
/// every row: it calls one of PostgreSQL's volatile functions that defaults
/// use. (A volatile function of the user's own is not known here.)
fn is_volatile(default: &DefaultValue) -> bool {
    const VOLATILE: [&str; 8] = [
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "random",
        "clock_timestamp",
        "timeofday",
        "nextval",
    ];
    let DefaultValue::Expr(expr) = default else {
        return false;
    };
    let lower = expr.to_ascii_lowercase();
    // Each name right before a `(` is a call.
    lower.match_indices('(').any(|(open, _)| {
        let before = lower[..open].trim_end();
        let name: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        VOLATILE.contains(&name.as_str())
    })
}

/// Whether changing a column from `from` to `to` rewrites every row: all
/// but a longer (or unbounded) string, a string to text, and a wider
/// decimal with the same scale, which PostgreSQL changes in the catalog
/// only, and MariaDB in place, so long as the length keeps its size there.
fn rewrites(from: &ColumnType, to: &ColumnType, dialect: Dialect) -> bool {
    use ColumnType as T;
    // MariaDB stores a VARCHAR's length in one byte up to 255 bytes, two
    // past it; in utf8mb4 (four bytes a character) that is past 63 characters.
    const MYSQL_ONE_BYTE_LENGTH: u32 = 63;
    let longer = |a: &StringLen, b: &StringLen| match (a, b) {
        (StringLen::N(a), StringLen::N(b)) => {
            b >= a
                && (dialect == Dialect::Postgres
                    || (*a > MYSQL_ONE_BYTE_LENGTH) == (*b > MYSQL_ONE_BYTE_LENGTH))
        }
        (_, StringLen::None | StringLen::Max) => dialect == Dialect::Postgres,
        _ => false,
    };
    let no_rewrite = match (from, to) {
        (T::String(a), T::String(b)) => longer(a, b),
        // A char's padding is trimmed on the way: rewritten.
        (T::String(_), T::Text) => dialect == Dialect::Postgres,
        (T::Decimal(Some((p1, s1))), T::Decimal(Some((p2, s2)))) => s1 == s2 && p2 >= p1,
        (T::Decimal(Some(_)), T::Decimal(None)) => dialect == Dialect::Postgres,
        _ => false,
    };
    !no_rewrite
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ForeignKey, Index, Table};

    fn user() -> Schema {
        let mut schema = Schema::default();
        schema.insert(
            Table::new("user")
                .column(Column::new("id", ColumnType::Integer))
                .column(Column::new("email", ColumnType::String(StringLen::N(20))).nullable())
                .column(Column::new("age", ColumnType::Integer))
                .primary_key(["id"]),
        );
        schema
    }

    fn codes(ops: &[Op], dialect: Dialect, mode: DdlMode) -> Vec<(&'static str, usize)> {
        lock_risks(ops, &user(), dialect, mode)
            .iter()
            .map(|risk| (risk.kind.code(), risk.op))
            .collect()
    }

    #[test]
    fn each_change_to_a_live_table_names_its_lock_and_lock_safe_mode_keeps_what_has_no_safe_form() {
        let email = Column::new("email", ColumnType::String(StringLen::N(20))).nullable();
        let age = Column::new("age", ColumnType::Integer);
        let ops = vec![
            Op::CreateIndex(Index::new("ix_age", "user", ["age"])),
            Op::AlterColumn {
                table: "user".into(),
                from: email.clone(),
                to: Column {
                    nullable: false,
                    ..email.clone().unique()
                },
            },
            Op::AlterColumn {
                table: "user".into(),
                from: age.clone(),
                to: Column::new("age", ColumnType::BigInteger),
            },
            Op::AlterColumn {
                table: "user".into(),
                from: email.clone(),
                to: Column::new("email", ColumnType::String(StringLen::N(80))).nullable(),
            },
            Op::AddConstraint {
                table: "user".into(),
                constraint: ForeignKey::new(["age"], "user", ["id"]).into(),
            },
            Op::AddColumn {
                table: "user".into(),
                column: Column::new("token", ColumnType::Uuid).default_expr("gen_random_uuid()"),
            },
            Op::AddColumn {
                table: "user".into(),
                column: Column::new("seen", ColumnType::DateTime).default_expr("now()"),
            },
            Op::DropIndex {
                table: "user".into(),
                name: "ix_age".into(),
            },
        ];
        assert_eq!(
            codes(&ops, Dialect::Postgres, DdlMode::Plain),
            [
                ("AG201", 0),
                ("AG210", 0),
                ("AG206", 1),
                ("AG203", 1),
                ("AG207", 2),
                ("AG208", 3),
                ("AG204", 4),
                ("AG209", 5),
                ("AG202", 7)
            ]
        );
        assert_eq!(
            codes(&ops, Dialect::Postgres, DdlMode::LockSafe),
            [("AG207", 2), ("AG208", 3), ("AG209", 5)]
        );
        // MariaDB builds and drops indexes and sets NOT NULL in place already;
        // it has no online way to add a foreign key.
        // varchar(20) to varchar(80) there needs a second length byte: a copy.
        assert_eq!(
            codes(&ops, Dialect::MySql, DdlMode::Plain),
            [("AG210", 0), ("AG207", 2), ("AG207", 3), ("AG204", 4)]
        );
        assert_eq!(
            codes(&ops, Dialect::MySql, DdlMode::LockSafe),
            [("AG207", 2), ("AG207", 3), ("AG204", 4)]
        );
        assert!(codes(&ops, Dialect::Sqlite, DdlMode::Plain).is_empty());
    }

    #[test]
    fn defaults_computed_per_row_and_lengths_that_change_size_are_told_apart() {
        let expr = |sql: &str| DefaultValue::Expr(sql.into());
        for volatile in [
            "gen_random_uuid()",
            "public.uuid_generate_v4()",
            "nextval('s'::regclass)",
            "(random() * 10)",
        ] {
            assert!(is_volatile(&expr(volatile)), "{volatile}");
        }
        for stable in [
            "now()",
            "(1 + 2)",
            "timezone('utc', now())",
            "CURRENT_TIMESTAMP",
            "'x'::text",
        ] {
            assert!(!is_volatile(&expr(stable)), "{stable}");
        }
        let varchar = |n| ColumnType::String(StringLen::N(n));
        assert!(!rewrites(&varchar(20), &varchar(60), Dialect::MySql));
        assert!(rewrites(&varchar(20), &varchar(80), Dialect::MySql));
        assert!(!rewrites(&varchar(20), &varchar(80), Dialect::Postgres));
        assert!(rewrites(
            &ColumnType::Char(Some(4)),
            &ColumnType::Text,
            Dialect::Postgres
        ));
    }

    #[test]
    fn another_schemas_ops_and_unique_columns_added_carry_their_risks() {
        let mut before = user();
        before.schemas.insert("audit".into(), user());
        let ops = vec![
            Op::InSchema {
                schema: "audit".into(),
                ops: vec![Op::CreateIndex(Index::new("ix", "user", ["age"]))],
            },
            Op::AddColumn {
                table: "user".into(),
                column: Column::new("handle", ColumnType::Text).nullable().unique(),
            },
        ];
        let found = |mode| -> Vec<String> {
            lock_risks(&ops, &before, Dialect::Postgres, mode)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            found(DdlMode::LockSafe),
            ["AG201 builds index 'ix' on 'user' while writes to it wait (in schema 'audit')"]
        );
        assert_eq!(found(DdlMode::Plain).len(), 4, "{:?}", found(DdlMode::Plain));
    }

    #[test]
    fn a_table_created_in_the_same_ops_risks_nothing() {
        let ops = vec![
            Op::CreateTable(Table::new("post").column(Column::new("id", ColumnType::Integer))),
            Op::CreateIndex(Index::new("ix_post", "post", ["id"])),
        ];
        assert!(codes(&ops, Dialect::Postgres, DdlMode::Plain).is_empty());
        let risk = &lock_risks(
            &[Op::CreateIndex(Index::new("ix", "user", ["age"]))],
            &user(),
            Dialect::Postgres,
            DdlMode::Plain,
        )[0];
        assert_eq!(
            risk.to_string(),
            "AG201 builds index 'ix' on 'user' while writes to it wait"
        );
    }

    #[test]
    fn codes_read_back() {
        for kind in LockKind::ALL {
            assert_eq!(LockKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(LockKind::from_code("ag207"), Some(LockKind::TypeRewrite));
        assert_eq!(LockKind::from_code("AG101"), None);
    }
}

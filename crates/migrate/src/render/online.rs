//! Lock-safe forms of the changes that, written plainly, hold a live table
//! for as long as they scan, build or check it (the `AG2xx` codes of
//! `autogen_schema::lock_risks`).
//!
//! PostgreSQL's forms split a change over steps of a run: an index built
//! `CONCURRENTLY` cannot run inside a transaction, and a constraint added
//! `NOT VALID` only stops holding writes if its `VALIDATE` commits
//! separately. [`postgres`] says which statement goes where; `plan` puts
//! them in order. MariaDB's are its own statements with the algorithm named
//! ([`mariadb`]), so that a change the server could only make by copying
//! the table fails at once instead.

use autogen_schema::{runs_lock_safe, Column, Constraint, Dialect, Index, Op};

use super::alter::{add_constraint, alter_postgres_column, constraint_name, ident};
use super::{build, create_index, RenderError};

/// A change on PostgreSQL as its lock-safe steps. Statements in each part
/// run in the order the parts are listed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct LockSafeForm {
    /// In the revision's current transaction, as a plain op would.
    pub(crate) now: Vec<String>,
    /// Each on its own, outside any transaction (`CONCURRENTLY`), with the
    /// index it builds, if it builds one.
    pub(crate) alone: Vec<Alone>,
    /// In a transaction after those.
    pub(crate) then: Vec<String>,
    /// Once everything above, for every op, has committed: `VALIDATE`, which
    /// reads every row while writes go on.
    pub(crate) validate: Vec<String>,
    /// Once the validations have committed.
    pub(crate) last: Vec<String>,
}

/// A statement that runs outside any transaction.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Alone {
    pub(crate) sql: String,
    /// The index it builds: one a killed or failed build left behind is
    /// INVALID (and still maintained by every write), so it is dropped first.
    pub(crate) builds: Option<String>,
}

/// `op`'s lock-safe form on PostgreSQL, or `None` where it runs as written
/// (under the step's lock timeout): no long lock, or no lock-safe form
/// (`AG207`–`AG209`, `AG211` stay). `new_table` says whether the op's table
/// was created earlier in the same revision: empty, and held by nobody else.
pub(crate) fn postgres(op: &Op, new_table: bool) -> Result<Option<LockSafeForm>, RenderError> {
    if new_table {
        return Ok(None);
    }
    let dialect = Dialect::Postgres;
    let form = match op {
        // A column change may carry a risk with no lock-safe form (a type
        // change) beside NOT NULL or UNIQUE: those still take theirs.
        Op::AlterColumn { table, from, to } => alter_column(table, from, to)?,
        _ if !runs_lock_safe(op, dialect) => return Ok(None),
        Op::AddColumn { table, column } if column.unique => {
            let plain = Op::AddColumn {
                table: table.clone(),
                column: Column {
                    unique: false,
                    ..column.clone()
                },
            };
            let unique = unique_column(table, &column.name)?;
            LockSafeForm {
                now: super::render(&plain, dialect)?,
                ..unique
            }
        }
        Op::CreateIndex(index) => LockSafeForm {
            alone: vec![build_concurrently(index)?],
            ..LockSafeForm::default()
        },
        Op::DropIndex { name, .. } => LockSafeForm {
            alone: vec![Alone {
                sql: format!("DROP INDEX CONCURRENTLY IF EXISTS {}", ident(dialect, name)),
                builds: None,
            }],
            ..LockSafeForm::default()
        },
        Op::AddConstraint { table, constraint } => match unique_through_index(table, constraint)? {
            Some(form) => form,
            // A foreign key or CHECK: added unchecked, checked later.
            None => {
                let name =
                    constraint_name(table, constraint, dialect).expect("PostgreSQL names every constraint");
                LockSafeForm {
                    now: add_constraint(table, constraint, dialect)
                        .into_iter()
                        .map(|sql| format!("{sql} NOT VALID"))
                        .collect(),
                    validate: vec![validate(table, &name)],
                    ..LockSafeForm::default()
                }
            }
        },
        _ => return Ok(None),
    };
    Ok(Some(form))
}

/// A column change with its NOT NULL set through a validated CHECK (which
/// lets `SET NOT NULL` skip its scan, PostgreSQL 12 and later) and its
/// UNIQUE added through a concurrently built index; anything else about it
/// changes as written.
fn alter_column(table: &str, from: &Column, to: &Column) -> Result<LockSafeForm, RenderError> {
    let dialect = Dialect::Postgres;
    let sets_not_null = from.nullable && !to.nullable;
    let adds_unique = !from.unique && to.unique;
    let rest = Column {
        nullable: to.nullable || sets_not_null,
        unique: to.unique && !adds_unique,
        ..to.clone()
    };
    let mut form = LockSafeForm {
        now: alter_postgres_column(table, from, &rest)?,
        ..LockSafeForm::default()
    };
    let quoted = ident(dialect, table);
    let column = ident(dialect, &to.name);
    if sets_not_null {
        let check = format!("{table}_{}_not_null", to.name);
        form.now.push(format!(
            "ALTER TABLE {quoted} ADD CONSTRAINT {} CHECK ({column} IS NOT NULL) NOT VALID",
            ident(dialect, &check)
        ));
        form.validate.push(validate(table, &check));
        form.last
            .push(format!("ALTER TABLE {quoted} ALTER COLUMN {column} SET NOT NULL"));
        form.last.push(format!(
            "ALTER TABLE {quoted} DROP CONSTRAINT {}",
            ident(dialect, &check)
        ));
    }
    if adds_unique {
        let through = unique_column(table, &to.name)?;
        form.alone = through.alone;
        form.then = through.then;
    }
    Ok(form)
}

/// UNIQUE on one column, named as PostgreSQL names a column's own.
fn unique_column(table: &str, column: &str) -> Result<LockSafeForm, RenderError> {
    let unique = autogen_schema::UniqueConstraint::new([column]).name(format!("{table}_{column}_key"));
    Ok(unique_through_index(table, &unique.into())?.expect("a UNIQUE constraint has an index"))
}

/// A UNIQUE constraint or primary key whose index is built concurrently
/// first, then taken over by the constraint, which is then a brief lock.
/// (Any other constraint has no index to build: `None`.)
fn unique_through_index(table: &str, constraint: &Constraint) -> Result<Option<LockSafeForm>, RenderError> {
    let (kind, columns) = match constraint {
        Constraint::Unique(unique) => ("UNIQUE", &unique.columns),
        Constraint::PrimaryKey(pk) => ("PRIMARY KEY", &pk.columns),
        Constraint::ForeignKey(_) | Constraint::Check(_) => return Ok(None),
    };
    let dialect = Dialect::Postgres;
    let name = constraint_name(table, constraint, dialect).expect("PostgreSQL names every constraint");
    let named = ident(dialect, &name);
    let attach = format!(
        "ALTER TABLE {} ADD CONSTRAINT {named} {kind} USING INDEX {named}",
        ident(dialect, table)
    );
    let index = Index::new(&name, table, columns.iter().map(String::as_str)).unique();
    let form = LockSafeForm {
        alone: vec![build_concurrently(&index)?],
        ..LockSafeForm::default()
    };
    Ok(Some(match constraint {
        // A primary key needs its columns NOT NULL, which lock-safe forms set
        // last; before that, it would set them itself, scanning under lock.
        Constraint::PrimaryKey(_) => LockSafeForm {
            last: vec![attach],
            ..form
        },
        _ => LockSafeForm {
            then: vec![attach],
            ..form
        },
    }))
}

/// `CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS`: a build a killed run
/// finished stands, and one it left INVALID is dropped before this runs.
fn build_concurrently(index: &Index) -> Result<Alone, RenderError> {
    let plain = build(&create_index(index, Dialect::Postgres)?, Dialect::Postgres);
    let sql = ["CREATE UNIQUE INDEX ", "CREATE INDEX "]
        .iter()
        .find_map(|start| {
            plain
                .strip_prefix(start)
                .map(|rest| format!("{start}CONCURRENTLY IF NOT EXISTS {rest}"))
        })
        .expect("sea-query writes CREATE [UNIQUE] INDEX");
    Ok(Alone {
        sql,
        builds: Some(index.name.clone()),
    })
}

fn validate(table: &str, constraint: &str) -> String {
    let dialect = Dialect::Postgres;
    format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
        ident(dialect, table),
        ident(dialect, constraint)
    )
}

/// `op`'s statements on MariaDB and MySQL with the algorithm named, so the
/// server makes the change in place with writes going on or refuses at once
/// (error 1846, "Try ALGORITHM=COPY"), rather than copying the table while
/// writes wait. An op with no online form (`AG204`, `AG205`, `AG207`,
/// `AG209`) keeps its statements: its code says what it costs.
pub(crate) fn mariadb(op: &Op, statements: Vec<String>) -> Vec<String> {
    // Only what autogen writes itself: raw SQL and data run as given.
    let rendered_alter = matches!(
        op,
        Op::AddColumn { .. }
            | Op::DropColumn { .. }
            | Op::AlterColumn { .. }
            | Op::RenameColumn { .. }
            | Op::AddConstraint { .. }
            | Op::DropConstraint { .. }
            | Op::AlterTableComment { .. }
            | Op::CreateIndex(_)
            | Op::DropIndex { .. }
    );
    if !rendered_alter || !runs_lock_safe(op, Dialect::MySql) {
        return statements;
    }
    if let Op::DropIndex { table, name } = op {
        // `DROP INDEX … ON …` takes no algorithm on MariaDB; `ALTER TABLE` does.
        let dialect = Dialect::MySql;
        return vec![format!(
            "ALTER TABLE {} DROP INDEX {}, ALGORITHM=INPLACE, LOCK=NONE",
            ident(dialect, table),
            ident(dialect, name)
        )];
    }
    statements
        .into_iter()
        .map(|sql| {
            if sql.starts_with("ALTER TABLE ") {
                format!("{sql}, ALGORITHM=INPLACE, LOCK=NONE")
            } else if sql.starts_with("CREATE INDEX ") || sql.starts_with("CREATE UNIQUE INDEX ") {
                format!("{sql} ALGORITHM=INPLACE LOCK=NONE")
            } else {
                sql
            }
        })
        .collect()
}

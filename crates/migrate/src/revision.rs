//! What a revision file declares, and what the build script collects.

use autogen_schema::{Column, Constraint, DdlMode, DefaultValue, Index, Op, Table};

use crate::data::{step_name, DataFn, DataStep};

/// The `REVISION` constant of a revision file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revision {
    /// Revision id, e.g. `"ae1027a6acf5"`.
    pub id: &'static str,
    /// The revisions this one follows: empty for a base, several for a merge.
    pub down_revision: &'static [&'static str],
    /// Names for the branch this revision starts.
    pub branch_labels: &'static [&'static str],
    /// Revisions that must be applied first without being parents.
    pub depends_on: &'static [&'static str],
    /// The message given with `-m`.
    pub message: &'static str,
}

/// One revision file as compiled into the migration crate.
#[derive(Clone, Copy, Debug)]
pub struct RevisionModule {
    /// Its `REVISION` constant.
    pub revision: Revision,
    /// Its `upgrade` function.
    pub upgrade: fn(&mut Operations),
    /// Its `downgrade` function.
    pub downgrade: fn(&mut Operations),
    /// Its source file.
    pub path: &'static str,
}

/// Which of a revision's two functions a step runs: which way it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// An upgrade.
    Up,
    /// A downgrade.
    Down,
}

impl RevisionModule {
    /// Its `upgrade` or its `downgrade`.
    pub(crate) fn function(&self, direction: Direction) -> fn(&mut Operations) {
        match direction {
            Direction::Up => self.upgrade,
            Direction::Down => self.downgrade,
        }
    }

    /// What the revision does when run with `tag` (`--tag`, which the
    /// revision may read), as SHA-256 in hex of its upgrade and downgrade
    /// ops written as JSON.
    ///
    /// It is taken of the ops, not of the file: reformatting an applied
    /// revision or editing its comments changes nothing it does, so it must
    /// not read as modified. JSON leaves out unset optional fields, so a
    /// later autogen that adds one to the model keeps old checksums.
    ///
    /// A function that runs lock-safe (`op.lock_safe()`) adds its mode, since
    /// it runs differently; one that does not keeps the checksum it had before
    /// modes existed.
    pub fn checksum(&self, tag: Option<&str>) -> String {
        use sha2::Digest as _;
        let recorded = |f| {
            let recorded = Operations::record_runnable(f, tag);
            let mode = (recorded.mode != DdlMode::Plain).then_some(recorded.mode);
            (recorded.ops, mode)
        };
        let ((up, up_mode), (down, down_mode)) = (recorded(self.upgrade), recorded(self.downgrade));
        let json = match (up_mode, down_mode) {
            (None, None) => serde_json::to_vec(&(up, down)),
            modes => serde_json::to_vec(&(up, down, modes)),
        };
        let json = json.expect("ops are plain data and always serialize");
        format!("{:x}", sha2::Sha256::digest(json))
    }

    /// How its `upgrade` or `downgrade` runs its DDL.
    pub(crate) fn ddl_mode(&self, direction: Direction) -> DdlMode {
        Operations::record_runnable(self.function(direction), None).mode
    }
}

/// The revisions of a migration crate: its `src/versions` directory and every
/// file in it, as discovered by `autogen-build` at compile time.
#[derive(Clone, Copy, Debug)]
pub struct Versions {
    /// The directory new revision files are written to.
    pub dir: &'static str,
    /// Every revision file in it.
    pub revisions: &'static [RevisionModule],
}

/// The `op` a revision's `upgrade` and `downgrade` receive.
///
/// Each call records an [`Op`]; nothing touches a database until the
/// recorded ops are executed, rendered as SQL, or replayed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Operations {
    ops: Vec<Op>,
    /// One entry per [`Op::RunData`] in `ops`, in the same order: its code,
    /// or `None` for one pushed as data ([`Operations::push`]), which has none.
    code: Vec<Option<DataStep>>,
    tag: Option<String>,
    mode: DdlMode,
}

/// What a revision function recorded, as a run needs it.
pub(crate) struct Recorded {
    pub(crate) ops: Vec<Op>,
    /// The code of each [`Op::RunData`] among `ops`, in order.
    pub(crate) code: Vec<Option<DataStep>>,
    pub(crate) mode: DdlMode,
}

impl Operations {
    /// No ops yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records what `f` (an `upgrade` or `downgrade`) does, run with `--tag tag`.
    pub fn record(f: fn(&mut Operations), tag: Option<&str>) -> Vec<Op> {
        Self::record_runnable(f, tag).ops
    }

    /// Records what `f` does, with the code of its data steps: the nth
    /// [`Op::RunData`] among the ops runs the nth step.
    pub(crate) fn record_runnable(f: fn(&mut Operations), tag: Option<&str>) -> Recorded {
        let mut op = Self {
            tag: tag.map(str::to_owned),
            ..Self::default()
        };
        f(&mut op);
        Recorded {
            ops: op.ops,
            code: op.code,
            mode: op.mode,
        }
    }

    /// Runs this function's DDL lock-safe: on PostgreSQL, indexes built and
    /// dropped `CONCURRENTLY` outside the transaction, foreign keys and
    /// CHECKs added `NOT VALID` and validated in a later step, UNIQUE through
    /// a concurrently built index, NOT NULL through a validated CHECK; on
    /// MariaDB, each `ALTER` with `ALGORITHM=INPLACE, LOCK=NONE`, failing
    /// rather than copying the table. Every step runs under a lock timeout
    /// and is retried when it runs out. Called first in the function, as
    /// `autogen revision` writes it when `[online] lock_safe` is set.
    pub fn lock_safe(&mut self) {
        self.mode = DdlMode::LockSafe;
    }

    /// Records an op as it is: for tools that compute ops (autogenerate's
    /// output, a plan read from JSON) rather than spell them out.
    pub fn push(&mut self, op: Op) {
        if matches!(op, Op::RunData { .. }) {
            self.code.push(None);
        }
        self.ops.push(op);
    }

    /// The ops recorded so far.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The `--tag` the run was given, for revisions that act on it
    /// (Alembic's `context.get_tag_argument()`).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// `CREATE TABLE`, with any indexes the table carries.
    pub fn create_table(&mut self, table: Table) {
        self.ops.push(Op::CreateTable(table));
    }

    /// `DROP TABLE`.
    pub fn drop_table(&mut self, name: &str) {
        self.ops.push(Op::DropTable {
            name: name.to_owned(),
        });
    }

    /// `ALTER TABLE … ADD COLUMN`.
    pub fn add_column(&mut self, table: &str, column: Column) {
        self.ops.push(Op::AddColumn {
            table: table.to_owned(),
            column,
        });
    }

    /// `ALTER TABLE … DROP COLUMN`.
    pub fn drop_column(&mut self, table: &str, column: &str) {
        self.ops.push(Op::DropColumn {
            table: table.to_owned(),
            column: column.to_owned(),
        });
    }

    /// Changes a column in place (`ALTER COLUMN` / `MODIFY COLUMN`). Both
    /// versions are given, so the downgrade is the same call reversed.
    pub fn alter_column(&mut self, table: &str, from: Column, to: Column) {
        self.ops.push(Op::AlterColumn {
            table: table.to_owned(),
            from,
            to,
        });
    }

    /// `ALTER TABLE … RENAME COLUMN`.
    pub fn rename_column(&mut self, table: &str, from: &str, to: &str) {
        self.ops.push(Op::RenameColumn {
            table: table.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
        });
    }

    /// `ALTER TABLE … ADD` a primary key, foreign key, UNIQUE or CHECK constraint.
    pub fn add_constraint(&mut self, table: &str, constraint: impl Into<Constraint>) {
        self.ops.push(Op::AddConstraint {
            table: table.to_owned(),
            constraint: constraint.into(),
        });
    }

    /// `ALTER TABLE … DROP` a constraint, given as it is (an unnamed one is
    /// found by the name its backend gives it).
    pub fn drop_constraint(&mut self, table: &str, constraint: impl Into<Constraint>) {
        self.ops.push(Op::DropConstraint {
            table: table.to_owned(),
            constraint: constraint.into(),
        });
    }

    /// Rebuilds `table` (create it anew, copy the `copy` columns' rows, drop
    /// the old one, rename, re-index): how SQLite changes what it cannot alter
    /// in place. Autogenerate writes it for SQLite.
    pub fn recreate_table<I, S>(&mut self, table: Table, copy: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ops.push(Op::RecreateTable {
            table,
            copy: copy.into_iter().map(Into::into).collect(),
            changes: Vec::new(),
        });
    }

    /// Sets (`Some`) or removes (`None`) a table comment; `from` is the comment it replaces.
    pub fn alter_table_comment(&mut self, table: &str, from: Option<&str>, to: Option<&str>) {
        self.ops.push(Op::AlterTableComment {
            table: table.to_owned(),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        });
    }

    /// `CREATE [UNIQUE] INDEX`.
    pub fn create_index(&mut self, index: Index) {
        self.ops.push(Op::CreateIndex(index));
    }

    /// `DROP INDEX`.
    pub fn drop_index(&mut self, table: &str, name: &str) {
        self.ops.push(Op::DropIndex {
            table: table.to_owned(),
            name: name.to_owned(),
        });
    }

    /// `CREATE TYPE … AS ENUM` on PostgreSQL; nothing where enums are inline (MySQL, SQLite).
    pub fn create_enum<I, S>(&mut self, name: &str, variants: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ops.push(Op::CreateEnum {
            name: name.to_owned(),
            variants: variants.into_iter().map(Into::into).collect(),
        });
    }

    /// Changes an enum type's labels from `from` to `to` on PostgreSQL
    /// (`ADD VALUE` for added ones; a rebuilt type for removed or reordered
    /// ones); nothing where enums are inline, whose columns change instead.
    pub fn alter_enum<F, T, S>(&mut self, name: &str, from: F, to: T)
    where
        F: IntoIterator<Item = S>,
        T: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ops.push(Op::AlterEnum {
            name: name.to_owned(),
            from: from.into_iter().map(Into::into).collect(),
            to: to.into_iter().map(Into::into).collect(),
        });
    }

    /// `DROP TYPE` on PostgreSQL; nothing where enums are inline.
    pub fn drop_enum(&mut self, name: &str) {
        self.ops.push(Op::DropEnum {
            name: name.to_owned(),
        });
    }

    /// `UPDATE table SET column = value WHERE column IS NULL`: a one-off value
    /// for the rows a table already has, before the column becomes NOT NULL
    /// (`revision --autogenerate --fill table.column=value` writes it). The
    /// value is never the column's default; the downgrade leaves it in place.
    pub fn fill_nulls(&mut self, table: &str, column: &str, value: impl Into<DefaultValue>) {
        self.ops.push(Op::FillNulls {
            table: table.to_owned(),
            column: column.to_owned(),
            value: value.into(),
        });
    }

    /// Raw SQL that changes rows only, never the schema (a data migration,
    /// e.g. a backfill): it runs as written, and `check --offline` and
    /// `verify`, which replay revisions into the schema model, step over it.
    /// Like `execute`, it has no automatic inverse.
    pub fn execute_data(&mut self, sql: &str) {
        self.ops.push(Op::ExecuteData(sql.to_owned()));
    }

    /// Inserts `rows` into `table`, one value per column of `columns`
    /// (Alembic's `bulk_insert`, for seed and lookup rows). Rendered by
    /// sea-query with the values inline, so `--sql` writes it too. It has no
    /// automatic inverse: the downgrade deletes the rows it wants gone.
    ///
    /// ```
    /// # let mut op = autogen_migrate::Operations::new();
    /// op.bulk_insert("tier", ["name", "max_posts"], [["free".into(), 10.into()], ["pro".into(), 1000.into()]]);
    /// ```
    pub fn bulk_insert<C, S, R>(&mut self, table: &str, columns: C, rows: impl IntoIterator<Item = R>)
    where
        C: IntoIterator<Item = S>,
        S: Into<String>,
        R: IntoIterator<Item = DefaultValue>,
    {
        self.ops.push(Op::InsertRows {
            table: table.to_owned(),
            columns: columns.into_iter().map(Into::into).collect(),
            rows: rows.into_iter().map(|row| row.into_iter().collect()).collect(),
        });
    }

    /// A data step: `step`, an `async fn step(db: &DataConnection) -> Result<(), DbErr>`,
    /// runs at this point of the revision with the migrator's connection,
    /// inside the revision's transaction where the backend has
    /// transactional DDL (PostgreSQL, SQLite), so a step that fails rolls the
    /// revision back whole; in a lock-safe revision on PostgreSQL, on its own
    /// outside any transaction, so that a batched backfill commits batch by
    /// batch (and is run again from its start if the run stops in it). With it, a backfill can use SeaORM's query
    /// builder or entities; entities the revision declares itself, since the
    /// application's move on after the revision is written.
    ///
    /// `check --offline` and replay step over it (it changes rows only);
    /// `verify` runs it; `--sql` cannot write code as SQL, so it refuses the
    /// step unless the revision declares what it stands for offline with
    /// [`DataStepOptions::offline_sql`]. A step recorded inside
    /// [`Operations::in_schema`] is refused when the revision runs: record it
    /// outside, and name the schema in its queries.
    pub fn run_data<F>(&mut self, step: F) -> DataStepOptions<'_>
    where
        F: for<'c> DataFn<'c> + Send + Sync + 'static,
    {
        self.ops.push(Op::RunData {
            name: step_name::<F>(),
            offline_sql: None,
        });
        self.code.push(Some(DataStep::new(step)));
        let Some(Op::RunData { offline_sql, .. }) = self.ops.last_mut() else {
            unreachable!("the data step was just recorded")
        };
        DataStepOptions { offline_sql }
    }

    /// Records what `f` does to the tables of another database schema
    /// (PostgreSQL): they run with that schema first on the search path.
    pub fn in_schema(&mut self, schema: &str, f: impl FnOnce(&mut Operations)) {
        let mut inner = Operations {
            tag: self.tag.clone(),
            ..Self::default()
        };
        // Inner data steps keep no code: running, they are refused (`plan::stages`).
        f(&mut inner);
        self.ops.push(Op::InSchema {
            schema: schema.to_owned(),
            ops: inner.ops,
        });
    }

    /// Raw SQL, run as written. It cannot be replayed or inverted, so a
    /// revision that uses it must write its own downgrade.
    pub fn execute(&mut self, sql: &str) {
        self.ops.push(Op::Execute(sql.to_owned()));
    }
}

/// What [`Operations::run_data`] may add to the step it recorded.
pub struct DataStepOptions<'a> {
    offline_sql: &'a mut Option<String>,
}

impl DataStepOptions<'_> {
    /// The SQL the step stands for when the revision is written as SQL
    /// (`--sql`) instead of run: what a DBA gets for it.
    pub fn offline_sql(self, sql: &str) {
        *self.offline_sql = Some(sql.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(upgrade: fn(&mut Operations)) -> RevisionModule {
        fn downgrade(op: &mut Operations) {
            op.drop_table("note");
        }
        RevisionModule {
            revision: Revision {
                id: "aaaa",
                down_revision: &[],
                branch_labels: &[],
                depends_on: &[],
                message: "note",
            },
            upgrade,
            downgrade,
            path: "aaaa_note.rs",
        }
    }

    /// The checksum follows the ops, and stays what it was: a change to how
    /// it is computed would make every applied revision read as modified.
    #[test]
    fn the_checksum_is_of_the_ops_and_stable() {
        fn create(op: &mut Operations) {
            op.create_table(
                Table::new("note").column(Column::new("id", autogen_schema::ColumnType::Integer)),
            );
        }
        fn create_with_text(op: &mut Operations) {
            op.create_table(Table::new("note").column(Column::new("id", autogen_schema::ColumnType::Text)));
        }
        assert_eq!(
            module(create).checksum(None),
            "752830277c1f4c51d2e0369778a0803f830967eeceec26c3d95738a75c323aa8"
        );
        assert_ne!(
            module(create_with_text).checksum(None),
            module(create).checksum(None)
        );
    }

    /// Each action's text, and whether it runs code.
    fn shown(stages: &[crate::plan::Stage]) -> Vec<(&str, bool)> {
        stages
            .iter()
            .flat_map(|stage| &stage.actions)
            .map(|a| (a.text.as_str(), a.code.is_some()))
            .collect()
    }

    async fn fill(db: &crate::DataConnection) -> Result<(), sea_orm::DbErr> {
        use sea_orm::ConnectionTrait as _;
        db.execute_unprepared("UPDATE person SET full_name = name")
            .await?;
        Ok(())
    }

    /// A data step is recorded in its place, by its function's name, with
    /// its code beside the ops; seed rows are recorded as data.
    #[test]
    fn data_steps_and_seed_rows_are_recorded_in_order() {
        fn upgrade(op: &mut Operations) {
            op.bulk_insert("person", ["name"], [["Ada".into()], ["Alan".into()]]);
            op.run_data(fill);
            op.run_data(fill)
                .offline_sql("UPDATE person SET full_name = name");
        }
        let Recorded { ops, code, .. } = Operations::record_runnable(upgrade, None);
        assert_eq!(
            ops,
            [
                Op::InsertRows {
                    table: "person".into(),
                    columns: vec!["name".into()],
                    rows: vec![vec!["Ada".into()], vec!["Alan".into()]],
                },
                Op::RunData {
                    name: "fill".into(),
                    offline_sql: None,
                },
                Op::RunData {
                    name: "fill".into(),
                    offline_sql: Some("UPDATE person SET full_name = name".into()),
                },
            ]
        );
        assert!(code.len() == 2 && code.iter().all(Option::is_some));
        let actions =
            crate::plan::stages(&ops, code, autogen_schema::Dialect::Sqlite, DdlMode::Plain).unwrap();
        let texts = shown(&actions);
        assert_eq!(
            texts,
            [
                (r#"INSERT INTO "person" ("name") VALUES ('Ada'), ('Alan')"#, false),
                ("data step 'fill' (code run with the connection)", true),
                ("data step 'fill' (code run with the connection)", true),
            ],
            "online, a step runs its code even where it declares SQL"
        );
    }

    /// A data step pushed as data has no code and takes none from the step
    /// recorded after it; one inside `in_schema` is refused when it runs.
    #[test]
    fn only_recorded_data_steps_run_code() {
        fn upgrade(op: &mut Operations) {
            op.push(Op::RunData {
                name: "pushed".into(),
                offline_sql: Some("UPDATE person SET x = 1".into()),
            });
            op.run_data(fill);
        }
        let Recorded { ops, code, .. } = Operations::record_runnable(upgrade, None);
        let actions =
            crate::plan::stages(&ops, code, autogen_schema::Dialect::Sqlite, DdlMode::Plain).unwrap();
        let texts = shown(&actions);
        assert_eq!(
            texts,
            [
                ("UPDATE person SET x = 1", false),
                ("data step 'fill' (code run with the connection)", true)
            ]
        );

        fn nested(op: &mut Operations) {
            op.in_schema("audit", |op| {
                op.run_data(fill);
            });
        }
        let Recorded { ops, code, .. } = Operations::record_runnable(nested, None);
        assert_eq!(
            crate::plan::stages(&ops, code, autogen_schema::Dialect::Postgres, DdlMode::Plain)
                .err()
                .map(|e| e.to_string()),
            Some(
                "the data step 'fill' is recorded inside `op.in_schema(…)`, where no code runs; record it \
                 outside, and name the schema in its queries"
                    .to_owned()
            )
        );
    }

    /// A tool's computed ops, pushed as they are, are what the revision records.
    #[test]
    fn pushed_ops_are_recorded_in_order() {
        fn upgrade(op: &mut Operations) {
            op.push(Op::DropTable {
                name: "legacy".into(),
            });
            op.execute_data("UPDATE account SET tier = 'free'");
            assert_eq!(op.ops().len(), 2);
        }
        assert_eq!(
            Operations::record(upgrade, None),
            [
                Op::DropTable {
                    name: "legacy".into()
                },
                Op::ExecuteData("UPDATE account SET tier = 'free'".into()),
            ]
        );
    }
}

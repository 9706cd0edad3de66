//! What differs inside one table that both schemas have, in one dialect's terms.

use std::borrow::Cow;

use autogen_schema::{Column, Constraint, Dialect, InPlace, Index, IndexPart, Op, Table};

use crate::Fills;

/// The changes to one kept table, grouped by when they must run.
#[derive(Default)]
pub(crate) struct TableChanges {
    /// Constraints to drop, foreign keys first: before anything they depend on changes.
    pub drop_constraints: Vec<Op>,
    /// Indexes removed or about to be recreated.
    pub drop_indexes: Vec<Op>,
    /// New columns.
    pub add_columns: Vec<Op>,
    /// One-off values for existing rows, before columns become NOT NULL.
    pub fills: Vec<Op>,
    /// Columns changed in place.
    pub alter_columns: Vec<Op>,
    /// Indexes new or recreated.
    pub create_indexes: Vec<Op>,
    /// Constraints to add, foreign keys last: after the keys they reference.
    pub add_constraints: Vec<Op>,
    /// A changed table comment.
    pub comment: Option<Op>,
    /// Columns removed.
    pub drop_columns: Vec<Op>,
    /// On SQLite, all of the above as one table recreation, when any of it
    /// is more than SQLite can alter in place.
    pub recreate: Option<Op>,
}

impl TableChanges {
    /// Every change but the comment and the rebuild, which come after asking
    /// whether SQLite can make the rest in place.
    fn ops(&self) -> impl Iterator<Item = &Op> {
        [
            &self.drop_constraints,
            &self.drop_indexes,
            &self.add_columns,
            &self.fills,
            &self.alter_columns,
            &self.create_indexes,
            &self.add_constraints,
            &self.drop_columns,
        ]
        .into_iter()
        .flatten()
    }
}

/// Compares `now` (as the database has it) with `want` (as the entities declare it).
pub(crate) fn compare(now: &Table, want: &Table, dialect: Dialect, fills: &Fills) -> TableChanges {
    let (now, want) = unique_as_declared(now, want);
    let (now, want) = (now.as_ref(), want.as_ref());
    let table = || want.name.clone();
    let fill = |column: &str| {
        fills
            .get(&(want.name.clone(), column.to_owned()))
            .map(|value| Op::FillNulls {
                table: table(),
                column: column.to_owned(),
                value: value.clone(),
            })
    };
    let mut changes = TableChanges::default();
    for column in &want.columns {
        match now.get_column(&column.name) {
            None => {
                let column = without_hint(column);
                // One value in every row cannot be unique: no fill for a UNIQUE column.
                let fillable = !column.fills_existing_rows() && !column.unique;
                match fill(&column.name).filter(|_| fillable) {
                    // Added nullable, filled, then made NOT NULL: how every
                    // backend takes such a column into a table with rows
                    // without keeping a default it was never given.
                    Some(fill) => {
                        let nullable = Column {
                            nullable: true,
                            ..column.clone()
                        };
                        changes.add_columns.push(Op::AddColumn {
                            table: table(),
                            column: nullable.clone(),
                        });
                        changes.fills.push(fill);
                        changes.alter_columns.push(Op::AlterColumn {
                            table: table(),
                            from: nullable,
                            to: column,
                        });
                    }
                    None => changes.add_columns.push(Op::AddColumn {
                        table: table(),
                        column,
                    }),
                }
            }
            Some(old) if !same_column(dialect, old, column, is_rowid(dialect, want, &column.name)) => {
                let mut to = without_hint(column);
                if !dialect.stores_comments() {
                    to.comment = old.comment.clone();
                }
                if old.nullable && !to.nullable && !to.unique {
                    changes.fills.extend(fill(&to.name));
                }
                changes.alter_columns.push(Op::AlterColumn {
                    table: table(),
                    from: old.clone(),
                    to,
                });
            }
            Some(_) => {}
        }
    }
    for column in now.columns.iter().filter(|c| want.get_column(&c.name).is_none()) {
        changes.drop_columns.push(Op::DropColumn {
            table: table(),
            column: column.name.clone(),
        });
    }

    // Indexes pair by name first, then by what they index: the entities never
    // choose an index name (SeaORM makes one up), so a database that names
    // the same index otherwise has no change to make.
    let (dropped_indexes, created_indexes) = unmatched_indexes(&now.indexes, &want.indexes);
    changes.drop_indexes = dropped_indexes
        .into_iter()
        .map(|index| Op::DropIndex {
            table: table(),
            name: index.name.clone(),
        })
        .collect();
    changes.create_indexes = created_indexes
        .into_iter()
        .map(|index| Op::CreateIndex(index.clone()))
        .collect();

    let (dropped, added) = unmatched(dialect, now.constraints().collect(), want.constraints().collect());
    let foreign_keys_first = |c: &Constraint| !matches!(c, Constraint::ForeignKey(_));
    let foreign_keys_last = |c: &Constraint| matches!(c, Constraint::ForeignKey(_));
    let mut dropped = dropped;
    dropped.sort_by_key(foreign_keys_first);
    let mut added = added;
    added.sort_by_key(foreign_keys_last);
    changes.drop_constraints = dropped
        .into_iter()
        .map(|constraint| Op::DropConstraint {
            table: table(),
            constraint,
        })
        .collect();
    changes.add_constraints = added
        .into_iter()
        .map(|constraint| Op::AddConstraint {
            table: table(),
            constraint,
        })
        .collect();

    let in_place = |op: &Op| dialect.in_place(op, Some(now)) == InPlace::Yes;
    if !changes.ops().all(in_place) {
        // A column SQLite can add is added in place (and filled) before the
        // rebuild, never folded into it: the reviewer sees an `add_column`
        // whatever else the table needs, and the rebuild copies its rows.
        let (add_columns, rebuilt_adds): (Vec<Op>, Vec<Op>) = std::mem::take(&mut changes.add_columns)
            .into_iter()
            .partition(in_place);
        // The table as the rebuild finds it: with the columns added in place.
        let mut found = now.clone();
        found.columns.extend(add_columns.iter().filter_map(|op| match op {
            Op::AddColumn { column, .. } => Some(column.clone()),
            _ => None,
        }));
        let mut table = want.clone();
        table.columns.iter_mut().for_each(|c| c.renamed_from = None);
        // An index the database has under a name of its own keeps that name
        // through the rebuild: the entities never chose one.
        for index in &mut table.indexes {
            if let Some(kept) = now.indexes.iter().find(|i| same_index(i, index)) {
                index.name.clone_from(&kept.name);
            }
        }
        let rebuilt = [
            &changes.drop_constraints,
            &changes.drop_indexes,
            &rebuilt_adds,
            &changes.alter_columns,
            &changes.create_indexes,
            &changes.add_constraints,
            &changes.drop_columns,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        return TableChanges {
            add_columns,
            fills: changes.fills,
            recreate: Some(Op::rebuild(&found, table, rebuilt)),
            ..TableChanges::default()
        };
    }
    if !dialect.same_comment(now.comment.as_deref(), want.comment.as_deref()) {
        changes.comment = Some(Op::AlterTableComment {
            table: table(),
            from: now.comment.clone(),
            to: want.comment.clone(),
        });
    }
    changes
}

/// Whether a database holding `a` already has `b`, as far as `dialect` can
/// tell. A `rowid` column is never NULL and always numbered, however declared.
fn same_column(dialect: Dialect, a: &Column, b: &Column, rowid: bool) -> bool {
    dialect.same_type(&a.column_type, &b.column_type)
        && (rowid || a.nullable == b.nullable)
        && dialect.same_default(a.server_default(), b.server_default())
        && (rowid || a.auto_increment == b.auto_increment)
        && a.unique == b.unique
        && dialect.same_comment(a.comment.as_deref(), b.comment.as_deref())
}

/// Whether `column` is `table`'s SQLite rowid: its lone integer primary key.
/// SQLite numbers it and keeps it NOT NULL whether or not the DDL says
/// `NOT NULL` or `AUTOINCREMENT`.
fn is_rowid(dialect: Dialect, table: &Table, column: &str) -> bool {
    dialect == Dialect::Sqlite
        && table
            .primary_key
            .as_ref()
            .is_some_and(|pk| pk.columns.len() == 1 && pk.columns[0] == column)
        && table
            .get_column(column)
            .is_some_and(|c| dialect.same_type(&c.column_type, &autogen_schema::ColumnType::Integer))
}

/// Whether two constraints are the same one in `dialect`: a name either side
/// left to the backend does not count, and actions and conditions are compared
/// as the dialect stores them.
fn same_constraint(dialect: Dialect, a: &Constraint, b: &Constraint) -> bool {
    let names_agree = match (a.name(), b.name()) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    names_agree
        && match (a, b) {
            (Constraint::PrimaryKey(x), Constraint::PrimaryKey(y)) => x.columns == y.columns,
            (Constraint::ForeignKey(x), Constraint::ForeignKey(y)) => {
                x.columns == y.columns
                    && x.ref_table == y.ref_table
                    && x.ref_columns == y.ref_columns
                    && dialect.same_action(x.on_delete, y.on_delete)
                    && dialect.same_action(x.on_update, y.on_update)
            }
            (Constraint::Unique(x), Constraint::Unique(y)) => x.columns == y.columns,
            (Constraint::Check(x), Constraint::Check(y)) => dialect.same_check(&x.expression, &y.expression),
            _ => false,
        }
}

/// Pairs each wanted constraint with one the table has; returns the ones
/// left over on each side (to drop, to add).
fn unmatched(
    dialect: Dialect,
    mut now: Vec<Constraint>,
    want: Vec<Constraint>,
) -> (Vec<Constraint>, Vec<Constraint>) {
    let mut added = Vec::new();
    for constraint in want {
        match now.iter().position(|c| same_constraint(dialect, c, &constraint)) {
            Some(at) => {
                now.remove(at);
            }
            None => added.push(constraint),
        }
    }
    (now, added)
}

/// Pairs the indexes a table has with the ones wanted: same name and same
/// definition first, then same definition under another name. Returns the
/// ones left over on each side (to drop, to create); an index whose
/// definition changed is dropped and created again.
fn unmatched_indexes<'a>(now: &'a [Index], want: &'a [Index]) -> (Vec<&'a Index>, Vec<&'a Index>) {
    let mut now: Vec<&Index> = now.iter().collect();
    let mut want: Vec<&Index> = want.iter().collect();
    for same_name in [true, false] {
        want.retain(|wanted| {
            let found = now
                .iter()
                .position(|have| same_index(have, wanted) && (!same_name || have.name == wanted.name));
            found.map(|at| now.remove(at)).is_none()
        });
    }
    (now, want)
}

/// Whether two indexes index the same thing the same way, whatever their names.
fn same_index(a: &Index, b: &Index) -> bool {
    a.parts == b.parts && a.unique == b.unique && a.where_clause == b.where_clause
}

/// `now` and `want` with a column's `unique` and a plain one-column unique
/// index on it read as the same thing when the other side says it the other
/// way: both refuse duplicates the same way, and MySQL keeps a UNIQUE
/// constraint as exactly such an index. Each side keeps its own spelling
/// where the other has none of either.
/// Tables are only copied when there is something to fold, which is rare:
/// this runs for every table both sides have.
fn unique_as_declared<'a>(now: &'a Table, want: &'a Table) -> (Cow<'a, Table>, Cow<'a, Table>) {
    let mut now = Cow::Borrowed(now);
    let mut want = Cow::Borrowed(want);
    if now.indexes.iter().any(|i| folds_into_column(i, &now, &want)) {
        fold_unique_indexes(now.to_mut(), &want);
    }
    if want.indexes.iter().any(|i| folds_into_column(i, &want, &now)) {
        fold_unique_indexes(want.to_mut(), &now);
    }
    (now, want)
}

/// Whether `index` of `table` is a plain one-column unique index that
/// `other` says as that column's `unique`, with no such index of its own.
fn folds_into_column(index: &Index, table: &Table, other: &Table) -> bool {
    let [IndexPart::Column(name)] = index.parts.as_slice() else {
        return false;
    };
    index.unique
        && index.where_clause.is_none()
        && table.get_column(name).is_some()
        && other.get_column(name).is_some_and(|c| c.unique)
        && !other.indexes.iter().any(|i| same_index(i, index))
}

/// Turns `table`'s indexes that [`folds_into_column`] into their column's `unique`.
fn fold_unique_indexes(table: &mut Table, other: &Table) {
    let (folded, kept): (Vec<Index>, Vec<Index>) = std::mem::take(&mut table.indexes)
        .into_iter()
        .partition(|i| folds_into_column(i, table, other));
    table.indexes = kept;
    for index in &folded {
        let name = index.column_names().next().expect("a one-column index");
        if let Some(column) = table.columns.iter_mut().find(|c| c.name == name) {
            column.unique = true;
        }
    }
}

/// The column as a database gets it: the rename hint has done its work.
fn without_hint(column: &Column) -> Column {
    Column {
        renamed_from: None,
        ..column.clone()
    }
}

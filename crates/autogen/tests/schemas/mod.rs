//! Random schemas, and random changes to them, over what SQLite keeps
//! faithfully: tables of a few columns of varied types, nullability and
//! defaults, with primary keys (composite ones too), UNIQUE columns and
//! constraints, indexes over one or two columns and foreign keys between the
//! generated tables. Shared by `properties.rs` and the end-to-end test that
//! compiles generated revisions.
//!
//! A schema is built by [`apply`]ing a list of [`Change`]s to an empty one,
//! and a second schema by applying more changes to the first, so a case
//! shrinks to the few changes that matter. A change that does not fit the
//! schema it meets (a column of a table that is not there) does nothing, and
//! every change keeps the schema one a database accepts: what a dropped
//! table or column leaves dangling (foreign keys, indexes) goes with it.
//!
//! Deliberately left out, because the model says them in a way that is the
//! same as another way by design and so is no difference a diff could see:
//! one-column unique indexes (the column's `unique`, see `diff`'s
//! `unique_as_declared`), and types or defaults PostgreSQL stores alike
//! (`DateTime` and `Timestamp`, `'1'` and `1`). Without them, every change
//! is a difference on PostgreSQL, so a diff replayed there gives the target
//! exactly.
//!
//! UNIQUE constraints are named (SQLite forgets the name, which the diff
//! allows for). MySQL keeps an unnamed one as an index named after its first
//! column, a name two tables can both have there, while the model holds
//! index names unique in the schema, as SQLite and PostgreSQL do: replaying
//! the second such index is refused, a limitation of the model these cases
//! leave aside.

use autogen_schema::{
    Column, ColumnType, DefaultValue, ForeignKey, ForeignKeyAction, Index, PrimaryKey, Schema, StringLen,
    Table, UniqueConstraint,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index as Pick};

/// Table names, some of which need quoting.
const TABLE_NAMES: &[&str] = &["user", "post", "order", "line item", "tag\"s"];

/// Column names, some of which need quoting.
const COLUMN_NAMES: &[&str] = &["id", "name", "group", "created at", "owner_id", "n2", "é", "q\"t"];

/// Types SQLite stores by the text it is given and PostgreSQL tells apart.
fn column_types() -> Vec<ColumnType> {
    use ColumnType::*;
    vec![
        SmallInteger,
        Integer,
        BigInteger,
        Boolean,
        Float,
        Double,
        Decimal(Some((10, 2))),
        Char(Some(3)),
        String(StringLen::N(40)),
        String(StringLen::None),
        Text,
        Date,
        Time,
        DateTime,
        Json,
        Uuid,
        Blob,
    ]
}

/// Defaults a column of `column_type` can have, none alike on PostgreSQL.
fn defaults(column_type: &ColumnType) -> Vec<DefaultValue> {
    use ColumnType::*;
    let text = |values: &[&str]| {
        values
            .iter()
            .map(|v| DefaultValue::String((*v).to_owned()))
            .collect()
    };
    match column_type {
        SmallInteger | Integer | BigInteger => {
            vec![DefaultValue::Int(0), DefaultValue::Int(-3), DefaultValue::Int(42)]
        }
        Boolean => vec![DefaultValue::Bool(true), DefaultValue::Bool(false)],
        Float | Double | Decimal(_) => vec![DefaultValue::Float(1.5), DefaultValue::Float(-0.25)],
        // Text that looks like SQL, to be kept as a literal.
        Char(_) | String(_) | Text => text(&["", "it's", "a, b", "CHECK (x > 0)", "(", "é"]),
        Date => text(&["2024-01-02"]),
        Time => text(&["03:04:05"]),
        DateTime => vec![
            DefaultValue::String("2024-01-02 03:04:05".into()),
            DefaultValue::Expr("CURRENT_TIMESTAMP".into()),
        ],
        Json => text(&["{}"]),
        _ => Vec::new(),
    }
}

/// One change to a schema. Tables, columns, indexes and foreign keys are
/// picked by position among those there are when the change is applied.
#[derive(Clone, Debug)]
pub enum Change {
    /// A table with `columns`, its key over the first `key_columns` of
    /// them (with `auto_increment`, a lone key is an integer counting
    /// itself), and maybe a UNIQUE over two.
    AddTable {
        name: Pick,
        columns: Vec<ColumnDraw>,
        key_columns: usize,
        auto_increment: bool,
        unique: Option<(Pick, Pick)>,
    },
    DropTable(Pick),
    AddColumn(Pick, ColumnDraw),
    DropColumn(Pick, Pick),
    SetType(Pick, Pick, ColumnDraw),
    ToggleNullable(Pick, Pick),
    SetDefault(Pick, Pick, Option<Pick>),
    ToggleUnique(Pick, Pick),
    AddIndex {
        table: Pick,
        columns: (Pick, Option<Pick>),
        unique: bool,
    },
    DropIndex(Pick, Pick),
    /// A foreign key from `table` to the primary key of `parent` (maybe
    /// itself), over as many consecutive columns from `first`.
    AddForeignKey {
        table: Pick,
        parent: Pick,
        first: Pick,
        on_delete: ForeignKeyAction,
    },
    DropForeignKey(Pick, Pick),
}

/// A column as drawn: its name and default are picked when it is placed.
#[derive(Clone, Debug)]
pub struct ColumnDraw {
    name: Pick,
    column_type: ColumnType,
    nullable: bool,
    default: Option<Pick>,
    unique: bool,
}

fn column_draw() -> impl Strategy<Value = ColumnDraw> {
    (
        any::<Pick>(),
        select(column_types()),
        any::<bool>(),
        proptest::option::of(any::<Pick>()),
        proptest::bool::weighted(0.15),
    )
        .prop_map(|(name, column_type, nullable, default, unique)| ColumnDraw {
            name,
            column_type,
            nullable,
            default,
            unique,
        })
}

fn add_table() -> impl Strategy<Value = Change> {
    (
        any::<Pick>(),
        vec(column_draw(), 1..=5),
        0usize..=2,
        any::<bool>(),
        proptest::option::of(any::<(Pick, Pick)>()),
    )
        .prop_map(
            |(name, columns, key_columns, auto_increment, unique)| Change::AddTable {
                name,
                columns,
                key_columns,
                auto_increment,
                unique,
            },
        )
}

fn action() -> impl Strategy<Value = ForeignKeyAction> {
    use ForeignKeyAction::*;
    select(vec![NoAction, Restrict, Cascade, SetNull, SetDefault])
}

fn add_index() -> impl Strategy<Value = Change> {
    (any::<Pick>(), any::<(Pick, Option<Pick>)>(), any::<bool>()).prop_map(|(table, columns, unique)| {
        Change::AddIndex {
            table,
            columns,
            unique,
        }
    })
}

fn add_foreign_key() -> impl Strategy<Value = Change> {
    (any::<Pick>(), any::<Pick>(), any::<Pick>(), action()).prop_map(|(table, parent, first, on_delete)| {
        Change::AddForeignKey {
            table,
            parent,
            first,
            on_delete,
        }
    })
}

/// Any one change.
pub fn change() -> impl Strategy<Value = Change> {
    let pick = || any::<Pick>();
    prop_oneof![
        add_table(),
        pick().prop_map(Change::DropTable),
        (pick(), column_draw()).prop_map(|(t, c)| Change::AddColumn(t, c)),
        (pick(), pick()).prop_map(|(t, c)| Change::DropColumn(t, c)),
        (pick(), pick(), column_draw()).prop_map(|(t, c, d)| Change::SetType(t, c, d)),
        (pick(), pick()).prop_map(|(t, c)| Change::ToggleNullable(t, c)),
        (pick(), pick(), proptest::option::of(pick())).prop_map(|(t, c, d)| Change::SetDefault(t, c, d)),
        (pick(), pick()).prop_map(|(t, c)| Change::ToggleUnique(t, c)),
        add_index(),
        (pick(), pick()).prop_map(|(t, i)| Change::DropIndex(t, i)),
        add_foreign_key(),
        (pick(), pick()).prop_map(|(t, f)| Change::DropForeignKey(t, f)),
    ]
}

/// A schema of one to four tables, with indexes, keys and foreign keys.
pub fn schema() -> impl Strategy<Value = Schema> {
    let tables = vec(add_table(), 1..=4);
    let links = vec(prop_oneof![add_index(), add_foreign_key()], 0..=6);
    (tables, links, vec(change(), 0..=4))
        .prop_map(|(tables, links, changes)| apply(&Schema::new(), &[tables, links, changes].concat()))
}

/// `schema` with `changes` made, in order.
pub fn apply(schema: &Schema, changes: &[Change]) -> Schema {
    let mut schema = schema.clone();
    for change in changes {
        apply_one(&mut schema, change);
    }
    schema
}

fn apply_one(schema: &mut Schema, change: &Change) {
    match change {
        Change::AddTable {
            name,
            columns,
            key_columns,
            auto_increment,
            unique,
        } => {
            let free: Vec<&str> = TABLE_NAMES
                .iter()
                .copied()
                .filter(|n| schema.table(n).is_none())
                .collect();
            if free.is_empty() {
                return;
            }
            let mut table = Table::new(*name.get(&free));
            for draw in columns {
                add_column(&mut table, draw);
            }
            let key: Vec<String> = table
                .columns
                .iter()
                .take(*key_columns)
                .map(|c| c.name.clone())
                .collect();
            set_primary_key(&mut table, key);
            if *auto_increment && *key_columns == 1 {
                let id = &mut table.columns[0];
                id.column_type = ColumnType::Integer;
                id.default = None;
                id.auto_increment = true;
            }
            if let Some((first, second)) = unique {
                let (first, second) = (column_at(&table, first), column_at(&table, second));
                // A UNIQUE over the key's columns in its order is the key: SQLite keeps no other.
                let is_key = table
                    .primary_key
                    .as_ref()
                    .is_some_and(|pk| pk.columns == [first.as_str(), second.as_str()]);
                if first != second && !is_key {
                    let name = format!("uq_{}_{first}_{second}", table.name);
                    table
                        .unique_constraints
                        .push(UniqueConstraint::new([first, second]).name(name));
                }
            }
            schema.insert(table);
        }
        Change::DropTable(at) => {
            let Some(name) = table_at(schema, at) else { return };
            schema.tables.remove(&name);
            for table in schema.tables.values_mut() {
                table.foreign_keys.retain(|fk| fk.ref_table != name);
            }
        }
        Change::AddColumn(at, draw) => {
            if let Some(table) = table_mut(schema, at) {
                add_column(table, draw);
            }
        }
        Change::DropColumn(at, column) => {
            let Some(table) = table_mut(schema, at) else {
                return;
            };
            let name = column_at(table, column);
            // A key column stays: the foreign keys of other tables use the key.
            if table.is_primary_key_column(&name) || table.columns.len() == 1 {
                return;
            }
            table.columns.retain(|c| c.name != name);
            table.indexes.retain(|i| i.column_names().all(|c| c != name));
            table.unique_constraints.retain(|u| !u.columns.contains(&name));
            table.foreign_keys.retain(|fk| !fk.columns.contains(&name));
        }
        Change::SetType(at, column, draw) => {
            let Some((table, name)) = column_mut(schema, at, column) else {
                return;
            };
            let column = table.columns.iter_mut().find(|c| c.name == name).expect("picked");
            if column.column_type == draw.column_type {
                return;
            }
            column.column_type = draw.column_type.clone();
            column.default = default_at(&column.column_type, draw.default.as_ref());
            column.auto_increment = false;
        }
        Change::ToggleNullable(at, column) => {
            let Some((table, name)) = column_mut(schema, at, column) else {
                return;
            };
            // Key columns are NOT NULL (PostgreSQL makes them so whatever is declared).
            if !table.is_primary_key_column(&name) {
                let column = table.columns.iter_mut().find(|c| c.name == name).expect("picked");
                column.nullable = !column.nullable;
            }
        }
        Change::SetDefault(at, column, default) => {
            let Some((table, name)) = column_mut(schema, at, column) else {
                return;
            };
            let column = table.columns.iter_mut().find(|c| c.name == name).expect("picked");
            column.default = default_at(&column.column_type, default.as_ref());
        }
        Change::ToggleUnique(at, column) => {
            let Some((table, name)) = column_mut(schema, at, column) else {
                return;
            };
            if !table.is_primary_key_column(&name) {
                let column = table.columns.iter_mut().find(|c| c.name == name).expect("picked");
                column.unique = !column.unique;
            }
        }
        Change::AddIndex {
            table,
            columns,
            unique,
        } => {
            let Some(table) = table_mut(schema, table) else {
                return;
            };
            let mut names = vec![column_at(table, &columns.0)];
            if let Some(second) = &columns.1 {
                let second = column_at(table, second);
                if !names.contains(&second) {
                    names.push(second);
                }
            }
            let name = format!("ix_{}_{}", table.name, names.join("_"));
            if table.indexes.iter().any(|i| i.name == name) {
                return;
            }
            let mut index = Index::new(name, table.name.clone(), names.clone());
            // A unique index over one column is that column's `unique`.
            index.unique = *unique && names.len() == 2;
            table.indexes.push(index);
        }
        Change::DropIndex(at, index) => {
            let Some(table) = table_mut(schema, at) else {
                return;
            };
            if !table.indexes.is_empty() {
                table.indexes.remove(index.index(table.indexes.len()));
            }
        }
        Change::AddForeignKey {
            table,
            parent,
            first,
            on_delete,
        } => {
            let (Some(child), Some(parent)) = (table_at(schema, table), table_at(schema, parent)) else {
                return;
            };
            let Some(key) = schema.tables[&parent].primary_key.clone() else {
                return;
            };
            let child = schema.tables.get_mut(&child).expect("picked");
            if child.columns.len() < key.columns.len() {
                return;
            }
            let start = first.index(child.columns.len());
            let columns: Vec<String> = (0..key.columns.len())
                .map(|i| child.columns[(start + i) % child.columns.len()].name.clone())
                .collect();
            if child
                .foreign_keys
                .iter()
                .any(|fk| fk.columns == columns && fk.ref_table == parent)
            {
                return;
            }
            child
                .foreign_keys
                .push(ForeignKey::new(columns, parent, key.columns).on_delete(*on_delete));
        }
        Change::DropForeignKey(at, fk) => {
            let Some(table) = table_mut(schema, at) else {
                return;
            };
            if !table.foreign_keys.is_empty() {
                table.foreign_keys.remove(fk.index(table.foreign_keys.len()));
            }
        }
    }
}

/// Adds the column `draw` describes, under the first name from its pick on
/// that the table does not have yet (none if it has them all).
fn add_column(table: &mut Table, draw: &ColumnDraw) {
    let start = draw.name.index(COLUMN_NAMES.len());
    let name = (0..COLUMN_NAMES.len())
        .map(|i| COLUMN_NAMES[(start + i) % COLUMN_NAMES.len()])
        .find(|n| table.get_column(n).is_none());
    let Some(name) = name else { return };
    let mut column = Column::new(name, draw.column_type.clone());
    column.nullable = draw.nullable;
    column.default = default_at(&draw.column_type, draw.default.as_ref());
    column.unique = draw.unique;
    table.columns.push(column);
}

/// Makes `key` the table's primary key: its columns NOT NULL and not
/// separately UNIQUE.
fn set_primary_key(table: &mut Table, key: Vec<String>) {
    if key.is_empty() {
        return;
    }
    for column in table.columns.iter_mut().filter(|c| key.contains(&c.name)) {
        column.nullable = false;
        column.unique = false;
    }
    table.primary_key = Some(PrimaryKey {
        name: None,
        columns: key,
    });
}

fn default_at(column_type: &ColumnType, pick: Option<&Pick>) -> Option<DefaultValue> {
    let choices = defaults(column_type);
    match pick {
        Some(pick) if !choices.is_empty() => Some(pick.get(&choices).clone()),
        _ => None,
    }
}

fn table_at(schema: &Schema, pick: &Pick) -> Option<String> {
    let names: Vec<&String> = schema.tables.keys().collect();
    (!names.is_empty()).then(|| pick.get(&names).to_string())
}

fn table_mut<'s>(schema: &'s mut Schema, pick: &Pick) -> Option<&'s mut Table> {
    let name = table_at(schema, pick)?;
    schema.tables.get_mut(&name)
}

fn column_at(table: &Table, pick: &Pick) -> String {
    pick.get(&table.columns).name.clone()
}

/// The table `table` picks and the name of the column `column` picks in it.
fn column_mut<'s>(schema: &'s mut Schema, table: &Pick, column: &Pick) -> Option<(&'s mut Table, String)> {
    let table = table_mut(schema, table)?;
    let name = column_at(table, column);
    Some((table, name))
}

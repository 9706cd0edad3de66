//! The schema model: what a database holds, independent of any backend.
//!
//! Builders (`Table::new(..).column(..)`) are the same calls a revision file
//! makes, so generated and hand-written revisions read alike.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A whole database schema: tables keyed by name, in name order so that
/// every listing and every generated file is deterministic.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// Tables by name.
    pub tables: BTreeMap<String, Table>,
    /// Named enumeration types (PostgreSQL `CREATE TYPE … AS ENUM`) and their
    /// labels in order. MySQL's inline `ENUM` lives in the column type instead.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enums: BTreeMap<String, Vec<String>>,
    /// Other database schemas compared beside this one, by name: the
    /// PostgreSQL schemas entities name with `schema_name`. Empty ones are left out.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub schemas: BTreeMap<String, Schema>,
}

impl Schema {
    /// An empty schema.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a table.
    pub fn insert(&mut self, table: Table) {
        self.tables.insert(table.name.clone(), table);
    }

    /// The table called `name`, if any.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// Every index of every table, in table then index order.
    pub fn indexes(&self) -> impl Iterator<Item = &Index> {
        self.tables.values().flat_map(|t| t.indexes.iter())
    }

    /// Removes the tables that `keep` rejects (filters such as "never the
    /// version table"), in the other schemas too.
    pub fn retain_tables(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.retain_tables_dyn(&mut keep);
    }

    fn retain_tables_dyn(&mut self, keep: &mut dyn FnMut(&str) -> bool) {
        self.tables.retain(|name, _| keep(name));
        for other in self.schemas.values_mut() {
            other.retain_tables_dyn(keep);
        }
    }

    /// Whether it holds nothing: no table, enum type or other schema.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.enums.is_empty() && self.schemas.is_empty()
    }
}

/// A table: columns in their declared order, its primary key, indexes and foreign keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Table name, unqualified.
    pub name: String,
    /// Columns in declared order.
    pub columns: Vec<Column>,
    /// Primary key, if the table has one.
    pub primary_key: Option<PrimaryKey>,
    /// Secondary indexes (unique or not), in name order once normalized.
    pub indexes: Vec<Index>,
    /// Foreign keys held by this table.
    pub foreign_keys: Vec<ForeignKey>,
    /// UNIQUE constraints over several columns (a single column's is [`Column::unique`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique_constraints: Vec<UniqueConstraint>,
    /// CHECK constraints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// Table comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A UNIQUE constraint over several columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniqueConstraint {
    /// Constraint name; SQLite does not keep one.
    pub name: Option<String>,
    /// Columns, in constraint order.
    pub columns: Vec<String>,
}

/// A CHECK constraint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Constraint name; SQLite does not keep one.
    pub name: Option<String>,
    /// The condition, as the backend prints it.
    pub expression: String,
    /// The column whose definition holds the check, where the backend keeps
    /// it there (MariaDB's column-level CHECK, which only restating the
    /// column removes); `None` for a table's own CHECK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

impl Table {
    /// An empty table called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            columns: Vec::new(),
            primary_key: None,
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            unique_constraints: Vec::new(),
            checks: Vec::new(),
            comment: None,
        }
    }

    /// Appends a column.
    pub fn column(mut self, column: Column) -> Self {
        self.columns.push(column);
        self
    }

    /// Sets the primary key to these columns, in this order.
    pub fn primary_key<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.primary_key = Some(PrimaryKey {
            name: None,
            columns: columns.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Sets the primary key to these columns, as a constraint called `name`.
    pub fn primary_key_named<I, S>(mut self, name: impl Into<String>, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.primary_key = Some(PrimaryKey {
            name: Some(name.into()),
            columns: columns.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Adds a foreign key.
    pub fn foreign_key(mut self, foreign_key: ForeignKey) -> Self {
        self.foreign_keys.push(foreign_key);
        self
    }

    /// Adds a UNIQUE constraint over these columns.
    pub fn unique<I, S>(mut self, name: impl Into<String>, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.unique_constraints.push(UniqueConstraint {
            name: Some(name.into()),
            columns: columns.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Adds an unnamed UNIQUE constraint over these columns (SQLite keeps no names).
    pub fn unique_unnamed<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.unique_constraints.push(UniqueConstraint {
            name: None,
            columns: columns.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Adds a CHECK constraint.
    pub fn check(mut self, name: impl Into<String>, expression: impl Into<String>) -> Self {
        self.checks.push(Check::new(expression).name(name));
        self
    }

    /// Adds an unnamed CHECK constraint (SQLite keeps no names).
    pub fn check_unnamed(mut self, expression: impl Into<String>) -> Self {
        self.checks.push(Check::new(expression));
        self
    }

    /// Sets the table comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Adds an index on this table; its `table` is set to this table's name.
    pub fn index(mut self, mut index: Index) -> Self {
        index.table = self.name.clone();
        self.indexes.push(index);
        self
    }

    /// The column called `name`, if any.
    pub fn get_column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The index called `name`, if any.
    pub fn get_index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// Whether `column` is part of the primary key.
    pub fn is_primary_key_column(&self, column: &str) -> bool {
        self.primary_key
            .as_ref()
            .is_some_and(|pk| pk.columns.iter().any(|c| c == column))
    }

    /// Its primary key, foreign keys, unique constraints and checks.
    pub fn constraints(&self) -> impl Iterator<Item = Constraint> + '_ {
        let primary_key = self.primary_key.iter().cloned().map(Constraint::PrimaryKey);
        let foreign_keys = self.foreign_keys.iter().cloned().map(Constraint::ForeignKey);
        let uniques = self.unique_constraints.iter().cloned().map(Constraint::Unique);
        let checks = self.checks.iter().cloned().map(Constraint::Check);
        primary_key.chain(foreign_keys).chain(uniques).chain(checks)
    }

    /// Adds a constraint (a primary key replaces the one there was).
    pub fn add_constraint(&mut self, constraint: Constraint) {
        match constraint {
            Constraint::PrimaryKey(pk) => self.primary_key = Some(pk),
            Constraint::ForeignKey(fk) => self.foreign_keys.push(fk),
            Constraint::Unique(u) => self.unique_constraints.push(u),
            Constraint::Check(c) => self.checks.push(c),
        }
    }

    /// Removes the constraint that [`Constraint::is_same`] as `constraint`;
    /// false if there is none.
    pub(crate) fn remove_constraint(&mut self, constraint: &Constraint) -> bool {
        fn remove<T: Clone>(items: &mut Vec<T>, wrap: fn(T) -> Constraint, target: &Constraint) -> bool {
            match items.iter().position(|item| wrap(item.clone()).is_same(target)) {
                Some(at) => {
                    items.remove(at);
                    true
                }
                None => false,
            }
        }
        match constraint {
            Constraint::PrimaryKey(_) => {
                let found = self
                    .primary_key
                    .clone()
                    .is_some_and(|pk| Constraint::PrimaryKey(pk).is_same(constraint));
                if found {
                    self.primary_key = None;
                }
                found
            }
            Constraint::ForeignKey(_) => remove(&mut self.foreign_keys, Constraint::ForeignKey, constraint),
            Constraint::Unique(_) => remove(&mut self.unique_constraints, Constraint::Unique, constraint),
            Constraint::Check(_) => remove(&mut self.checks, Constraint::Check, constraint),
        }
    }

    /// The tables this table's foreign keys point at, itself excluded.
    pub fn referenced_tables(&self) -> impl Iterator<Item = &str> {
        self.foreign_keys
            .iter()
            .map(|fk| fk.ref_table.as_str())
            .filter(move |t| *t != self.name)
    }
}

/// A table-level constraint, as an op adds it to or drops it from an existing table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Constraint {
    /// The primary key.
    PrimaryKey(PrimaryKey),
    /// A foreign key.
    ForeignKey(ForeignKey),
    /// A UNIQUE constraint over several columns.
    Unique(UniqueConstraint),
    /// A CHECK constraint.
    Check(Check),
}

impl Constraint {
    /// The constraint's name, when it has one of its own.
    pub fn name(&self) -> Option<&str> {
        match self {
            Constraint::PrimaryKey(pk) => pk.name.as_deref(),
            Constraint::ForeignKey(fk) => fk.name.as_deref(),
            Constraint::Unique(u) => u.name.as_deref(),
            Constraint::Check(c) => c.name.as_deref(),
        }
    }

    /// Whether `other` is this constraint: the same kind and name, or, when
    /// either has no name, the same kind saying the same thing.
    pub(crate) fn is_same(&self, other: &Constraint) -> bool {
        match (self.name(), other.name()) {
            (Some(a), Some(b)) => a == b && std::mem::discriminant(self) == std::mem::discriminant(other),
            _ => self.unnamed() == other.unnamed(),
        }
    }

    /// This constraint with its name left to the backend.
    fn unnamed(&self) -> Constraint {
        let mut c = self.clone();
        match &mut c {
            Constraint::PrimaryKey(pk) => pk.name = None,
            Constraint::ForeignKey(fk) => fk.name = None,
            Constraint::Unique(u) => u.name = None,
            Constraint::Check(check) => check.name = None,
        }
        c
    }

    /// The columns of this table it names (none for a CHECK: those are in its expression).
    pub fn columns(&self) -> &[String] {
        match self {
            Constraint::PrimaryKey(pk) => &pk.columns,
            Constraint::ForeignKey(fk) => &fk.columns,
            Constraint::Unique(u) => &u.columns,
            Constraint::Check(_) => &[],
        }
    }
}

impl From<PrimaryKey> for Constraint {
    fn from(pk: PrimaryKey) -> Self {
        Constraint::PrimaryKey(pk)
    }
}

impl From<ForeignKey> for Constraint {
    fn from(fk: ForeignKey) -> Self {
        Constraint::ForeignKey(fk)
    }
}

impl From<UniqueConstraint> for Constraint {
    fn from(unique: UniqueConstraint) -> Self {
        Constraint::Unique(unique)
    }
}

impl From<Check> for Constraint {
    fn from(check: Check) -> Self {
        Constraint::Check(check)
    }
}

/// `new(columns)` and `name(..)` for the constraints that are a name and a column list.
macro_rules! column_list_constraint {
    ($($constraint:ident: $what:literal),*) => {$(
        impl $constraint {
            #[doc = concat!("A ", $what, " over `columns`, its name left to the backend.")]
            pub fn new<I, S>(columns: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                Self {
                    name: None,
                    columns: columns.into_iter().map(Into::into).collect(),
                }
            }

            /// Names the constraint.
            pub fn name(mut self, name: impl Into<String>) -> Self {
                self.name = Some(name.into());
                self
            }
        }
    )*};
}

column_list_constraint!(PrimaryKey: "primary key", UniqueConstraint: "UNIQUE constraint");

impl Check {
    /// A CHECK of `expression`, its name left to the backend.
    pub fn new(expression: impl Into<String>) -> Self {
        Self {
            name: None,
            expression: expression.into(),
            column: None,
        }
    }

    /// Names the constraint.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

impl fmt::Display for Constraint {
    /// "foreign key 'fk-post-user' (user_id) -> user (id)", as a report line names it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Constraint::PrimaryKey(_) => "primary key",
            Constraint::ForeignKey(_) => "foreign key",
            Constraint::Unique(_) => "unique constraint",
            Constraint::Check(_) => "check constraint",
        };
        f.write_str(kind)?;
        if let Some(name) = self.name() {
            write!(f, " '{name}'")?;
        }
        match self {
            Constraint::Check(c) => write!(f, " ({})", c.expression),
            Constraint::ForeignKey(fk) => write!(
                f,
                " ({}) -> {} ({})",
                fk.columns.join(", "),
                fk.ref_table,
                fk.ref_columns.join(", ")
            ),
            other => write!(f, " ({})", other.columns().join(", ")),
        }
    }
}

/// A table's primary key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryKey {
    /// Constraint name, when one was chosen (a name the backend generated,
    /// such as PostgreSQL's `<table>_pkey` or MySQL's `PRIMARY`, is left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Key columns, in key order.
    pub columns: Vec<String>,
}

/// A column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Declared type.
    pub column_type: ColumnType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Server default, if any.
    pub default: Option<DefaultValue>,
    /// Whether the database generates values (identity, serial, AUTO_INCREMENT, AUTOINCREMENT).
    pub auto_increment: bool,
    /// An unnamed single-column UNIQUE constraint, as SeaORM's `unique` declares it.
    pub unique: bool,
    /// Column comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// SQL appended to the column definition as written (SeaORM's `extra`,
    /// e.g. `COLLATE "C"`). It is rendered but never compared: no backend
    /// reports it back in the words it was given. (An `extra` CHECK is
    /// reflected as a [`Check`] instead, which is compared.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
    /// The column's previous name (SeaORM's `renamed_from`): tells the diff to
    /// rename rather than drop and add. A hint for comparison, not part of any database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

impl Column {
    /// A NOT NULL column with no default, as SeaORM declares a non-`Option` field.
    pub fn new(name: impl Into<String>, column_type: ColumnType) -> Self {
        Self {
            name: name.into(),
            column_type,
            nullable: false,
            default: None,
            auto_increment: false,
            unique: false,
            comment: None,
            extra: None,
            renamed_from: None,
        }
    }

    /// The server default, if it is one: `DEFAULT NULL` is no default at all.
    pub fn server_default(&self) -> Option<&DefaultValue> {
        self.default.as_ref().filter(|d| **d != DefaultValue::Null)
    }

    /// Whether rows a table already has get a value when this column is
    /// added: it is nullable, has a default, or counts.
    pub fn fills_existing_rows(&self) -> bool {
        self.nullable || self.server_default().is_some() || self.auto_increment
    }

    /// Appends raw SQL to the column definition.
    pub fn extra(mut self, sql: impl Into<String>) -> Self {
        self.extra = Some(sql.into());
        self
    }

    /// Records the column's previous name, so the diff renames it.
    pub fn renamed_from(mut self, old: impl Into<String>) -> Self {
        self.renamed_from = Some(old.into());
        self
    }

    /// Sets the column comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Allows NULL.
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Sets the server default to a literal.
    pub fn default(mut self, value: impl Into<DefaultValue>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Sets the server default to a SQL expression, written as the backend expects it.
    pub fn default_expr(mut self, sql: impl Into<String>) -> Self {
        self.default = Some(DefaultValue::Expr(sql.into()));
        self
    }

    /// Marks the column as generated by the database.
    pub fn auto_increment(mut self) -> Self {
        self.auto_increment = true;
        self
    }

    /// Adds an unnamed UNIQUE constraint on this column alone.
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
}

/// A column type: every type `sea_query::ColumnType` (and so SeaORM) can declare.
///
/// This mirrors sea-query's enum rather than reusing it because sea-query's
/// `PartialEq` ignores payloads (`Vector(Some(3)) == Vector(Some(4))`) and its
/// names are opaque `DynIden`s; the model needs exact, serializable values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)] // The variants are sea-query's, one for one.
pub enum ColumnType {
    Char(Option<u32>),
    String(StringLen),
    Text,
    Blob,
    TinyInteger,
    SmallInteger,
    Integer,
    BigInteger,
    TinyUnsigned,
    SmallUnsigned,
    Unsigned,
    BigUnsigned,
    Float,
    Double,
    Decimal(Option<(u32, u32)>),
    DateTime,
    Timestamp,
    TimestampWithTimeZone,
    Time,
    Date,
    Year,
    Interval(Option<IntervalFields>, Option<u32>),
    Binary(u32),
    VarBinary(StringLen),
    Bit(Option<u32>),
    VarBit(u32),
    Boolean,
    Money(Option<(u32, u32)>),
    Json,
    JsonBinary,
    Uuid,
    /// A type written verbatim, such as a PostgreSQL domain or a type the model does not know.
    Custom(String),
    /// An enumeration: a PostgreSQL enum type, a MySQL inline ENUM, text on SQLite.
    Enum {
        name: String,
        variants: Vec<String>,
    },
    Array(Box<ColumnType>),
    Vector(Option<u32>),
    Cidr,
    Inet,
    MacAddr,
    LTree,
}

impl ColumnType {
    /// An enumeration type called `name` with these variants, in order.
    pub fn enumeration<I, S>(name: impl Into<String>, variants: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Enum {
            name: name.into(),
            variants: variants.into_iter().map(Into::into).collect(),
        }
    }
}

/// Length of a variable-length string or binary type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StringLen {
    /// An explicit length.
    N(u32),
    /// The backend's maximum.
    Max,
    /// No length given.
    #[default]
    None,
}

/// The field restriction of a PostgreSQL `interval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)] // The variants are PostgreSQL's interval fields.
pub enum IntervalFields {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    YearToMonth,
    DayToHour,
    DayToMinute,
    DayToSecond,
    HourToMinute,
    HourToSecond,
    MinuteToSecond,
}

/// A server default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DefaultValue {
    /// `DEFAULT NULL`.
    Null,
    /// A boolean literal.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// A string literal (unquoted here; quoted when rendered).
    String(String),
    /// A SQL expression such as `CURRENT_TIMESTAMP`, kept as written.
    Expr(String),
}

impl From<bool> for DefaultValue {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<i64> for DefaultValue {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<i32> for DefaultValue {
    fn from(v: i32) -> Self {
        Self::Int(v.into())
    }
}
impl From<f64> for DefaultValue {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}
impl From<&str> for DefaultValue {
    fn from(v: &str) -> Self {
        Self::String(v.to_owned())
    }
}
impl From<String> for DefaultValue {
    fn from(v: String) -> Self {
        Self::String(v)
    }
}

/// A secondary index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Index name.
    pub name: String,
    /// The indexed table.
    pub table: String,
    /// What is indexed, in index order.
    pub parts: Vec<IndexPart>,
    /// Whether the index enforces uniqueness.
    pub unique: bool,
    /// A partial index's predicate, as the backend prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub where_clause: Option<String>,
}

/// One indexed element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexPart {
    /// A column, by name.
    Column(String),
    /// An expression such as `lower(email)`, as the backend prints it.
    Expression(String),
}

impl Index {
    /// A non-unique index on `table(columns…)`.
    pub fn new<I, S>(name: impl Into<String>, table: impl Into<String>, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            table: table.into(),
            parts: columns.into_iter().map(|c| IndexPart::Column(c.into())).collect(),
            unique: false,
            where_clause: None,
        }
    }

    /// Makes the index unique.
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// Appends a column part.
    pub fn column(mut self, name: impl Into<String>) -> Self {
        self.parts.push(IndexPart::Column(name.into()));
        self
    }

    /// Appends an expression part, e.g. `lower(email)`.
    pub fn expression(mut self, sql: impl Into<String>) -> Self {
        self.parts.push(IndexPart::Expression(sql.into()));
        self
    }

    /// Makes the index partial: only rows where `predicate` holds.
    pub fn where_clause(mut self, predicate: impl Into<String>) -> Self {
        self.where_clause = Some(predicate.into());
        self
    }

    /// The indexed columns (expression parts left out).
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            IndexPart::Column(c) => Some(c.as_str()),
            IndexPart::Expression(_) => None,
        })
    }
}

impl fmt::Display for IndexPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexPart::Column(c) => f.write_str(c),
            IndexPart::Expression(e) => write!(f, "({e})"),
        }
    }
}

/// A foreign key held by a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// Constraint name. SQLite does not keep one for inline keys, so it may be absent.
    pub name: Option<String>,
    /// Referencing columns, in key order.
    pub columns: Vec<String>,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns, in key order.
    pub ref_columns: Vec<String>,
    /// Action on delete of the referenced row.
    pub on_delete: ForeignKeyAction,
    /// Action on update of the referenced key.
    pub on_update: ForeignKeyAction,
}

impl ForeignKey {
    /// An unnamed foreign key `(columns…) REFERENCES ref_table (ref_columns…)` with NO ACTION.
    pub fn new<C, S, R, T>(columns: C, ref_table: impl Into<String>, ref_columns: R) -> Self
    where
        C: IntoIterator<Item = S>,
        S: Into<String>,
        R: IntoIterator<Item = T>,
        T: Into<String>,
    {
        Self {
            name: None,
            columns: columns.into_iter().map(Into::into).collect(),
            ref_table: ref_table.into(),
            ref_columns: ref_columns.into_iter().map(Into::into).collect(),
            on_delete: ForeignKeyAction::NoAction,
            on_update: ForeignKeyAction::NoAction,
        }
    }

    /// Names the constraint.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets ON DELETE.
    pub fn on_delete(mut self, action: ForeignKeyAction) -> Self {
        self.on_delete = action;
        self
    }

    /// Sets ON UPDATE.
    pub fn on_update(mut self, action: ForeignKeyAction) -> Self {
        self.on_update = action;
        self
    }
}

/// What a foreign key does when the referenced row changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)] // SQL's own actions.
pub enum ForeignKeyAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl ForeignKeyAction {
    /// The SQL spelling, e.g. `SET NULL`.
    pub fn as_sql(self) -> &'static str {
        match self {
            Self::NoAction => "NO ACTION",
            Self::Restrict => "RESTRICT",
            Self::Cascade => "CASCADE",
            Self::SetNull => "SET NULL",
            Self::SetDefault => "SET DEFAULT",
        }
    }

    /// Parses the SQL spelling, case-insensitively.
    pub fn from_sql(sql: &str) -> Option<Self> {
        Some(match sql.trim().to_ascii_uppercase().as_str() {
            "NO ACTION" => Self::NoAction,
            "RESTRICT" => Self::Restrict,
            "CASCADE" => Self::Cascade,
            "SET NULL" => Self::SetNull,
            "SET DEFAULT" => Self::SetDefault,
            _ => return None,
        })
    }
}

impl fmt::Display for ForeignKeyAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_sql())
    }
}

/// SeaORM writes `renamed_from` into the column comment (`renamed_from "old"`,
/// or `text; renamed_from "old"`): the comment a database gets is the rest,
/// and the old name is the diff's rename hint.
pub fn split_rename_hint(comment: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(comment) = comment else {
        return (None, None);
    };
    let (text, old) = match comment.rfind("renamed_from \"") {
        Some(at) => {
            let old = comment[at + "renamed_from \"".len()..].trim_end_matches('"');
            (
                comment[..at].trim_end().trim_end_matches(';'),
                Some(old.to_owned()),
            )
        }
        None => (comment, None),
    };
    ((!text.is_empty()).then(|| text.to_owned()), old)
}

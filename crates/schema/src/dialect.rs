//! Per-dialect normalization: the terms in which two schemas are compared.
//!
//! A column type is compared as the SQL a backend stores for it, never as a
//! Rust enum: on SQLite `Integer` and `BigInteger` are both `integer`, so an
//! entity switching `i32` to `i64` changes nothing a database can see. The
//! SQL is sea-query's own rendering, the same text SeaORM and autogen
//! execute, so "what we compare" and "what we create" cannot drift apart.

mod normalize;

use std::fmt;

use sea_query::backend::{MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder, TableBuilder};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{split_rename_hint, ColumnType, DefaultValue, ForeignKeyAction, Index, Schema, StringLen};

/// A SQL dialect autogen can compare and render.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dialect {
    /// SQLite 3.35+.
    Sqlite,
    /// PostgreSQL 12+.
    Postgres,
    /// MySQL 8 and MariaDB 10.5+.
    MySql,
}

/// A type the dialect cannot store (sea-query would panic rendering it).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{dialect} has no column type for {column_type:?}")]
pub struct UnsupportedType {
    /// The dialect.
    pub dialect: Dialect,
    /// The type it cannot store.
    pub column_type: ColumnType,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL",
        })
    }
}

impl Dialect {
    /// Whether this dialect can store `column_type` at all.
    pub(crate) fn supports(self, column_type: &ColumnType) -> bool {
        use ColumnType::*;
        match column_type {
            Array(inner) => self == Dialect::Postgres && self.supports(inner),
            Vector(_) | Cidr | Inet | MacAddr | LTree => self == Dialect::Postgres,
            Interval(..) => self != Dialect::Sqlite,
            Bit(_) | VarBit(_) => self != Dialect::Sqlite,
            Year => self == Dialect::MySql,
            _ => true,
        }
    }

    /// The SQL type text this dialect's `CREATE TABLE` uses for `column_type`.
    pub fn column_type_sql(self, column_type: &ColumnType) -> Result<String, UnsupportedType> {
        if !self.supports(column_type) {
            return Err(UnsupportedType {
                dialect: self,
                column_type: column_type.clone(),
            });
        }
        let rendered = self.sea_query_type(column_type);
        let mut sql = String::new();
        match self {
            Dialect::Sqlite => SqliteQueryBuilder.prepare_column_type(&rendered, &mut sql),
            Dialect::Postgres => PostgresQueryBuilder.prepare_column_type(&rendered, &mut sql),
            Dialect::MySql => MysqlQueryBuilder.prepare_column_type(&rendered, &mut sql),
        }
        Ok(sql)
    }

    /// `column_type` as sea-query must be given it to write it in this
    /// dialect. sea-query writes a PostgreSQL enum type's name unquoted, so
    /// `Mood` would be read as `mood`, and `order status` not at all: it is
    /// quoted here. It writes MySQL's enum labels between quotes as they
    /// are, so `it's` would end the string: they are escaped here.
    pub fn sea_query_type(self, column_type: &ColumnType) -> sea_query::ColumnType {
        match (self, column_type) {
            (Dialect::Postgres, ColumnType::Enum { name, variants }) => sea_query::ColumnType::Enum {
                name: sea_query::Alias::new(format!("\"{}\"", name.replace('"', "\"\""))).into(),
                variants: variants.iter().map(|v| sea_query::Alias::new(v).into()).collect(),
            },
            (Dialect::MySql, ColumnType::Enum { name, variants }) => sea_query::ColumnType::Enum {
                name: sea_query::Alias::new(name).into(),
                variants: variants
                    .iter()
                    .map(|v| sea_query::Alias::new(v.replace('\\', "\\\\").replace('\'', "''")).into())
                    .collect(),
            },
            (_, ColumnType::Array(element)) => {
                sea_query::ColumnType::Array(sea_query::RcOrArc::new(self.sea_query_type(element)))
            }
            _ => column_type.to_sea_query(),
        }
    }

    /// The type as this dialect stores and reports it, in canonical spelling
    /// (`varchar(255)` on PostgreSQL is `character varying(255)`).
    pub fn stored_type(self, column_type: &ColumnType) -> Result<String, UnsupportedType> {
        Ok(normalize::canonical_type(
            self,
            &self.column_type_sql(column_type)?,
        ))
    }

    /// Whether two types are the same SeaORM type as this dialect keeps it.
    ///
    /// PostgreSQL and MySQL report the type they store, so two types are the
    /// same when they are stored the same (`integer` and `int4`). SQLite keeps
    /// the declared text and converts values by affinity alone, so storage
    /// would make `varchar(50)` and `varchar(100)`, or `text` and
    /// `varchar(255)`, one type, and a change a team develops on SQLite would
    /// never reach its PostgreSQL. There the declared text is read as SeaORM
    /// reads it (sea-schema's rules) and written back as SeaORM writes it:
    /// `INT` and `integer` are one type, as are `Integer` and `BigInteger`
    /// (sea-query writes both `integer`), but a length, precision or kind is not.
    pub fn same_type(self, a: &ColumnType, b: &ColumnType) -> bool {
        match (self.stored_type(a), self.stored_type(b)) {
            (Ok(a), Ok(b)) if self == Dialect::Sqlite => self.sqlite_declared(&a) == self.sqlite_declared(&b),
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        }
    }

    /// A SQLite declared type in the one spelling sea-query writes for the
    /// SeaORM type it reads as; text no SeaORM type reads stays as it is.
    fn sqlite_declared(self, declared: &str) -> String {
        let read = self.parse_column_type(declared);
        match read {
            ColumnType::Custom(_) => declared.to_owned(),
            known => self.stored_type(&known).unwrap_or_else(|_| declared.to_owned()),
        }
    }

    /// The SQL text of a default, as this dialect's `DEFAULT` clause writes it.
    pub fn default_sql(self, default: &DefaultValue) -> String {
        match default {
            DefaultValue::Null => "NULL".to_owned(),
            DefaultValue::Bool(true) => "TRUE".to_owned(),
            DefaultValue::Bool(false) => "FALSE".to_owned(),
            DefaultValue::Int(i) => i.to_string(),
            DefaultValue::Float(f) => f.to_string(),
            DefaultValue::String(s) => format!("'{}'", s.replace('\'', "''")),
            DefaultValue::Expr(e) => e.clone(),
        }
    }

    /// Whether two defaults are the same once written in this dialect.
    /// Enclosing parentheses and keyword case do not count; neither do quotes
    /// around a number (`'0'` is `0`: each backend converts it to the
    /// column's type), `TRUE` and `1` where booleans are integers (SQLite,
    /// MySQL), or `now()` and `CURRENT_TIMESTAMP` on PostgreSQL.
    pub fn same_default(self, a: Option<&DefaultValue>, b: Option<&DefaultValue>) -> bool {
        let normal = |d: Option<&DefaultValue>| {
            d.map(|d| match (self, d) {
                (_, DefaultValue::String(s)) => number(s).unwrap_or_else(|| self.default_sql(d)),
                (_, DefaultValue::Int(i)) => i.to_string(),
                (_, DefaultValue::Float(f)) => number(&f.to_string()).unwrap_or_else(|| f.to_string()),
                (Dialect::MySql | Dialect::Sqlite, DefaultValue::Bool(b)) => i32::from(*b).to_string(),
                (Dialect::Postgres, DefaultValue::Expr(e)) if e.trim().eq_ignore_ascii_case("now()") => {
                    "CURRENT_TIMESTAMP".to_owned()
                }
                _ => strip_parens(&self.default_sql(d)).to_ascii_uppercase(),
            })
        };
        normal(a) == normal(b)
    }

    /// Rewrites `schema` into the objects this dialect would hold for it.
    /// MySQL keeps a UNIQUE constraint as a unique index (named after its
    /// first column when the constraint has no name) and reports it as one,
    /// so in its terms the model's constraint is that index.
    pub fn to_stored(self, schema: &mut Schema) {
        if self != Dialect::MySql {
            return;
        }
        for table in schema.tables.values_mut() {
            for unique in std::mem::take(&mut table.unique_constraints) {
                let name = unique.name.unwrap_or_else(|| unique.columns[0].clone());
                let index = Index::new(name, table.name.clone(), unique.columns).unique();
                table.indexes.push(index);
            }
        }
    }

    /// Whether this dialect has named enum types and schemas of its own
    /// (PostgreSQL); MySQL and SQLite keep an enum's labels in its column,
    /// and have one schema per connection.
    pub fn has_types_and_schemas(self) -> bool {
        self == Dialect::Postgres
    }

    /// Leaves out of `schema` what this dialect has no place for: named enum
    /// types and other schemas, which a history replayed for PostgreSQL may hold.
    pub fn retain_what_it_holds(self, schema: &mut Schema) {
        if !self.has_types_and_schemas() {
            schema.enums.clear();
            schema.schemas.clear();
        }
    }

    /// Names each unnamed primary key over several columns as this dialect
    /// named it when it was created without a name: PostgreSQL's
    /// `<table>_pkey`. Introspection leaves that name out, as an entity gives
    /// none; a schema created from the model must keep it, or SeaORM's
    /// `pk-<table>` would take its place.
    pub fn name_generated_primary_keys(self, schema: &mut Schema) {
        if self != Dialect::Postgres {
            return;
        }
        for table in schema.tables.values_mut() {
            if let Some(key) = &mut table.primary_key {
                if key.name.is_none() && key.columns.len() > 1 {
                    key.name = Some(format!("{}_pkey", table.name));
                }
            }
        }
    }

    /// Whether this dialect keeps table and column comments (SQLite has nowhere to put them).
    pub fn stores_comments(self) -> bool {
        self != Dialect::Sqlite
    }

    /// Whether two foreign key actions behave the same here. MySQL has no
    /// deferred checks, so `NO ACTION` is `RESTRICT`, and it reports an
    /// unspecified action as `RESTRICT`.
    pub fn same_action(self, a: ForeignKeyAction, b: ForeignKeyAction) -> bool {
        let normal = |action| match (self, action) {
            (Dialect::MySql, ForeignKeyAction::NoAction) => ForeignKeyAction::Restrict,
            _ => action,
        };
        normal(a) == normal(b)
    }

    /// Whether two table or column comments are the same as this dialect
    /// keeps them: any two where it keeps none (SQLite); elsewhere an empty
    /// one is none (PostgreSQL's `COMMENT ON … IS ''` removes it; MySQL
    /// reports none as ''), and the `renamed_from "old"` hint SeaORM writes
    /// into a MySQL column comment is SeaORM's note to itself, not the user's comment.
    pub fn same_comment(self, a: Option<&str>, b: Option<&str>) -> bool {
        !self.stores_comments() || split_rename_hint(a).0 == split_rename_hint(b).0
    }

    /// Whether two CHECK conditions are the same once each is written in this
    /// dialect's canonical form: identifier quotes, enclosing parentheses,
    /// PostgreSQL's casts of literals, spacing and keyword case do not count.
    pub fn same_check(self, a: &str, b: &str) -> bool {
        normalize::check_expression(a) == normalize::check_expression(b)
    }

    /// Reads a type as the backend reports it back into the model.
    ///
    /// SQLite reports the declared text verbatim, so for it this is the
    /// inverse of [`Dialect::column_type_sql`]; PostgreSQL's `format_type` and
    /// MySQL's `COLUMN_TYPE` spellings are read through their canonical forms.
    /// Text that no SeaORM type renders to stays [`ColumnType::Custom`], which
    /// compares by its text and so never invents a difference.
    pub fn parse_column_type(self, sql: &str) -> ColumnType {
        if self != Dialect::Sqlite {
            return normalize::parse_type(self, sql)
                .unwrap_or_else(|| ColumnType::Custom(normalize::canonical_type(self, sql)));
        }
        let text = sql.trim();
        let lower = normalize::canonical_type(self, text);
        let (base, args) = split_type_args(&lower);
        let one = || args.first().copied();
        let two = || match args.as_slice() {
            [p, s] => Some((*p, *s)),
            _ => None,
        };
        use ColumnType::*;
        // sea-query's own spellings first, then the names sea-schema (and so
        // `sea-orm-cli generate entity`) reads as the same SeaORM type.
        let parsed = match (base, args.len()) {
            ("char" | "character" | "nchar", _) => Some(Char(one())),
            ("varchar" | "character varying" | "nvarchar" | "varying character", 0) => {
                Some(String(StringLen::None))
            }
            ("varchar" | "character varying" | "nvarchar" | "varying character", 1) => {
                Some(String(StringLen::N(args[0])))
            }
            ("text" | "clob", 0) => Some(Text),
            ("tinyint", 0) => Some(TinyInteger),
            ("smallint" | "int2", 0) => Some(SmallInteger),
            ("integer" | "int" | "int4" | "mediumint", 0) => Some(Integer),
            ("bigint" | "int8", 0) => Some(BigInteger),
            ("float", 0) => Some(Float),
            ("double" | "double precision" | "real", 0) => Some(Double),
            ("real" | "decimal" | "numeric", 2) => Some(Decimal(two())),
            ("real_decimal" | "decimal" | "numeric", 0) => Some(Decimal(None)),
            ("datetime_text" | "datetime", 0) => Some(DateTime),
            ("timestamp_text" | "timestamp", 0) => Some(Timestamp),
            ("timestamp_with_timezone_text" | "timestamptz" | "timestamp with time zone", 0) => {
                Some(TimestampWithTimeZone)
            }
            ("time_text" | "time", 0) => Some(Time),
            ("date_text" | "date", 0) => Some(Date),
            ("blob", 1) => Some(Binary(args[0])),
            ("blob", 0) => Some(Blob),
            ("varbinary_blob", 0) => Some(VarBinary(StringLen::None)),
            ("varbinary_blob", 1) => Some(VarBinary(StringLen::N(args[0]))),
            ("boolean" | "bool", 0) => Some(Boolean),
            ("real_money" | "money", 0) => Some(Money(None)),
            ("real_money" | "money", 2) => Some(Money(two())),
            ("json_text" | "json", 0) => Some(Json),
            ("jsonb_text" | "jsonb", 0) => Some(JsonBinary),
            ("uuid_text" | "uuid", 0) => Some(Uuid),
            // sea-schema's last resort, SQLite's affinity rules: what it
            // cannot name it reads by the words in it.
            _ if base.contains("int") => Some(BigInteger),
            _ if ["char", "clob", "text"].iter().any(|w| base.contains(w)) => Some(Text),
            _ if ["real", "floa", "doub"].iter().any(|w| base.contains(w)) => Some(Double),
            _ => None,
        };
        parsed.unwrap_or_else(|| Custom(text.to_owned()))
    }

    /// Reads a default as the backend reports it back into the model.
    pub fn parse_default(self, sql: &str) -> DefaultValue {
        let text = match self {
            Dialect::Postgres => normalize::strip_postgres_casts(strip_parens(sql.trim())),
            Dialect::Sqlite | Dialect::MySql => sql.trim(),
        };
        let text = strip_parens(text);
        // MariaDB spells the keyword as a function.
        if text.eq_ignore_ascii_case("current_timestamp()") {
            return DefaultValue::Expr("CURRENT_TIMESTAMP".to_owned());
        }
        if text.eq_ignore_ascii_case("null") {
            return DefaultValue::Null;
        }
        if text.eq_ignore_ascii_case("true") {
            return DefaultValue::Bool(true);
        }
        if text.eq_ignore_ascii_case("false") {
            return DefaultValue::Bool(false);
        }
        if let Ok(i) = text.parse::<i64>() {
            return DefaultValue::Int(i);
        }
        if text.contains(['.', 'e', 'E']) {
            if let Ok(f) = text.parse::<f64>() {
                return DefaultValue::Float(f);
            }
        }
        if let Some(value) = self.string_literal(text) {
            return DefaultValue::String(value);
        }
        DefaultValue::Expr(text.to_owned())
    }

    /// The value of a string literal as this dialect reads it: `'it''s'`
    /// everywhere; backslash escapes in PostgreSQL's `E'it\'s'` and in any
    /// MySQL string (how sea-query escapes quotes and backslashes there).
    /// `None` if `text` is not one literal.
    pub(crate) fn string_literal(self, text: &str) -> Option<String> {
        let (backslashes, body) = match (self, text.strip_prefix(['E', 'e'])) {
            (Dialect::Postgres, Some(rest)) if rest.starts_with('\'') => (true, rest),
            (Dialect::MySql, _) => (true, text),
            _ => (false, text),
        };
        let inner = body.strip_prefix('\'')?.strip_suffix('\'')?;
        let mut value = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' if backslashes => value.push(match chars.next()? {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    other => other,
                }),
                // Inside the literal a quote is only ever doubled.
                '\'' if chars.next()? == '\'' => value.push('\''),
                '\'' => return None,
                c => value.push(c),
            }
        }
        Some(value)
    }
}

/// A number written as text (`"-3"`, `"0.50"`), in one spelling (`-3`, `0.5`).
fn number(text: &str) -> Option<String> {
    let text = text.trim();
    let numeric = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
        && text.chars().any(|c| c.is_ascii_digit());
    if !numeric {
        return None;
    }
    match text.parse::<i64>() {
        Ok(i) => Some(i.to_string()),
        Err(_) => text.parse::<f64>().ok().map(|f| f.to_string()),
    }
}

/// `varchar(10)` → (`varchar`, [10]); `real(10, 2)` → (`real`, [10, 2]).
/// Arguments that are not numbers make the whole text unparsed (no arguments, full text as base).
fn split_type_args(text: &str) -> (&str, Vec<u32>) {
    let Some((base, rest)) = text.split_once('(') else {
        return (text, Vec::new());
    };
    let Some(inner) = rest.strip_suffix(')') else {
        return (text, Vec::new());
    };
    match inner
        .split(',')
        .map(|a| a.trim().parse::<u32>())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(args) => (base.trim(), args),
        Err(_) => (text, Vec::new()),
    }
}

/// Removes parentheses that enclose the whole of `text`: `((now()))` → `now()`.
pub fn strip_parens(mut text: &str) -> &str {
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        // `(a) + (b)` starts and ends with parentheses that do not enclose it all.
        let mut depth = 0i32;
        let encloses = inner.chars().all(|c| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            depth >= 0
        });
        if !encloses {
            break;
        }
        text = inner.trim();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IntervalFields;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;
    use proptest::test_runner::contextualize_config;

    #[test]
    fn only_postgres_keeps_enum_types_other_schemas_and_its_own_key_names() {
        let mut schema = Schema::new();
        schema.insert(
            crate::Table::new("tag_post")
                .column(crate::Column::new("tag", ColumnType::Integer))
                .column(crate::Column::new("post", ColumnType::Integer))
                .primary_key(["tag", "post"]),
        );
        schema.enums.insert("mood".into(), vec!["ok".into()]);
        schema.schemas.insert("audit".into(), schema.clone());
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
            let mut held = schema.clone();
            dialect.retain_what_it_holds(&mut held);
            dialect.name_generated_primary_keys(&mut held);
            let postgres = dialect == Dialect::Postgres;
            assert_eq!(held.enums.is_empty(), !postgres, "{dialect}");
            assert_eq!(held.schemas.is_empty(), !postgres, "{dialect}");
            let key = held.tables["tag_post"].primary_key.as_ref().unwrap();
            let expected = postgres.then(|| "tag_post_pkey".to_owned());
            assert_eq!(key.name, expected, "{dialect}");
        }
    }

    /// One of every type, with payloads.
    fn every_type() -> Vec<ColumnType> {
        use ColumnType::*;
        vec![
            Char(None),
            Char(Some(3)),
            String(StringLen::None),
            String(StringLen::N(40)),
            String(StringLen::Max),
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
            Decimal(None),
            Decimal(Some((10, 2))),
            DateTime,
            Timestamp,
            TimestampWithTimeZone,
            Time,
            Date,
            Year,
            Interval(None, None),
            Interval(Some(IntervalFields::DayToSecond), Some(3)),
            Binary(16),
            VarBinary(StringLen::None),
            VarBinary(StringLen::N(32)),
            Bit(None),
            Bit(Some(8)),
            VarBit(12),
            Boolean,
            Money(None),
            Money(Some((19, 4))),
            Json,
            JsonBinary,
            Uuid,
            Custom("citext".into()),
            Enum {
                name: "mood".into(),
                variants: vec!["happy".into(), "sad".into()],
            },
            Array(Box::new(Integer)),
            Vector(Some(3)),
            Cidr,
            Inet,
            MacAddr,
            LTree,
        ]
    }

    #[test]
    fn every_supported_type_renders_and_unsupported_ones_are_errors() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
            for t in every_type() {
                match dialect.column_type_sql(&t) {
                    Ok(sql) => assert!(!sql.is_empty(), "{dialect} {t:?}"),
                    Err(e) => assert!(!dialect.supports(&t), "{e}"),
                }
            }
        }
        assert_eq!(
            Dialect::Sqlite.column_type_sql(&ColumnType::Inet),
            Err(UnsupportedType {
                dialect: Dialect::Sqlite,
                column_type: ColumnType::Inet
            })
        );
    }

    #[test]
    fn a_postgres_enum_type_is_named_quoted() {
        let mood = |name: &str| ColumnType::enumeration(name, ["a"]);
        assert_eq!(
            Dialect::Postgres.column_type_sql(&mood("Mood \"état\"")).unwrap(),
            r#""Mood ""état""""#
        );
        assert_eq!(
            Dialect::Postgres
                .column_type_sql(&ColumnType::Array(Box::new(mood("order status"))))
                .unwrap(),
            r#""order status"[]"#
        );
        // Case tells two PostgreSQL types apart.
        assert!(!Dialect::Postgres.same_type(&mood("Mood"), &mood("mood")));
    }

    #[test]
    fn mysql_enum_labels_are_escaped_and_read_back() {
        let labels = ColumnType::enumeration("m", ["it's", "say \"hi\"", "back\\slash"]);
        let sql = Dialect::MySql.column_type_sql(&labels).unwrap();
        assert_eq!(sql, r#"ENUM('it''s', 'say "hi"', 'back\\slash')"#);
        // As MariaDB's COLUMN_TYPE reports it.
        let reported = Dialect::MySql.parse_column_type(r#"enum('it''s','say "hi"','back\\slash')"#);
        assert_eq!(
            reported,
            ColumnType::enumeration("", ["it's", "say \"hi\"", "back\\slash"])
        );
        assert!(Dialect::MySql.same_type(&labels, &reported));
    }

    #[test]
    fn sqlite_reads_back_what_it_renders() {
        for t in every_type() {
            let Ok(sql) = Dialect::Sqlite.column_type_sql(&t) else {
                continue;
            };
            let back = Dialect::Sqlite.parse_column_type(&sql);
            assert!(
                Dialect::Sqlite.same_type(&t, &back),
                "{t:?} rendered {sql:?} read back as {back:?}"
            );
        }
        assert_eq!(
            Dialect::Sqlite.parse_column_type("VARCHAR(12)"),
            ColumnType::String(StringLen::N(12))
        );
        assert_eq!(
            Dialect::Sqlite.parse_column_type("geometry"),
            ColumnType::Custom("geometry".into())
        );
    }

    #[test]
    fn every_dialect_reads_back_what_it_renders() {
        for dialect in [Dialect::Postgres, Dialect::MySql] {
            for t in every_type() {
                let Ok(sql) = dialect.column_type_sql(&t) else {
                    continue;
                };
                let back = dialect.parse_column_type(&sql);
                assert!(
                    dialect.same_type(&t, &back),
                    "{dialect}: {t:?} rendered {sql:?} read back as {back:?}"
                );
            }
        }
    }

    #[test]
    fn types_compare_as_the_backend_stores_them() {
        use ColumnType::*;
        assert!(Dialect::Sqlite.same_type(&Integer, &BigInteger));
        assert!(!Dialect::Postgres.same_type(&Integer, &BigInteger));
        assert!(Dialect::MySql.same_type(&String(StringLen::None), &String(StringLen::N(255))));
        assert!(!Dialect::Sqlite.same_type(&Text, &Integer));
        assert!(!Dialect::Sqlite.same_type(&Blob, &Text));
        assert!(!Dialect::Sqlite.same_type(&Double, &BigInteger));
    }

    /// SQLite stores by affinity and enforces no length, but a team that
    /// develops on SQLite ships the same history to PostgreSQL: a declared
    /// change must show here too. Only spellings of one SeaORM type are equal.
    #[test]
    fn sqlite_compares_the_seaorm_type_declared_not_its_storage() {
        use ColumnType::*;
        let declared = |text: &str| Custom(text.into());
        for (a, b) in [
            (String(StringLen::N(50)), String(StringLen::N(100))),
            (Decimal(Some((8, 2))), Decimal(Some((10, 2)))),
            (Char(Some(1)), String(StringLen::N(1))),
            (Text, String(StringLen::N(255))),
            (DateTime, Timestamp),
            (Boolean, Integer),
            (Integer, SmallInteger),
        ] {
            assert!(!Dialect::Sqlite.same_type(&a, &b), "{a:?} = {b:?}");
        }
        for (a, b) in [
            // sea-query writes both `integer`, so SeaORM cannot tell them apart here.
            (Integer, BigInteger),
            (Decimal(Some((10, 2))), declared("NUMERIC(10, 2)")),
            (String(StringLen::N(12)), declared("VARCHAR(12)")),
            (Integer, declared("INT")),
            (DateTime, declared("DATETIME")),
            (Text, declared("CLOB")),
            (Boolean, declared("bool")),
            (Double, declared("REAL")),
        ] {
            assert!(Dialect::Sqlite.same_type(&a, &b), "{a:?} != {b:?}");
        }
        assert!(!Dialect::Sqlite.same_type(&declared("geometry"), &Text));
        assert!(Dialect::Sqlite.same_type(&declared("geometry"), &declared("GEOMETRY")));
    }

    #[test]
    fn defaults_read_back_from_their_sql() {
        for d in [
            DefaultValue::Null,
            DefaultValue::Bool(true),
            DefaultValue::Int(-3),
            DefaultValue::Float(1.5),
            DefaultValue::String("it's".into()),
            DefaultValue::Expr("CURRENT_TIMESTAMP".into()),
        ] {
            let sql = Dialect::Sqlite.default_sql(&d);
            assert_eq!(Dialect::Sqlite.parse_default(&sql), d, "{sql}");
        }
        assert_eq!(
            Dialect::Sqlite.parse_default("(datetime('now'))"),
            DefaultValue::Expr("datetime('now')".into())
        );
        assert!(Dialect::Sqlite.same_default(
            Some(&DefaultValue::Expr("(current_timestamp)".into())),
            Some(&DefaultValue::Expr("CURRENT_TIMESTAMP".into()))
        ));
        assert!(!Dialect::Sqlite.same_default(Some(&DefaultValue::String("A".into())), Some(&"a".into())));
    }

    #[test]
    fn parentheses_are_stripped_only_when_they_enclose_everything() {
        assert_eq!(strip_parens("((now()))"), "now()");
        assert_eq!(strip_parens("(a) + (b)"), "(a) + (b)");
    }

    // Fuzzing: the text a catalog reports for a type, a default or a CHECK
    // is read whatever it is, never with a panic.

    /// Text near what catalogs report: quotes, casts, parentheses, numbers,
    /// keywords, and characters wider than a byte next to them.
    fn catalog_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<char>().prop_map(String::from),
            select(vec![
                "'",
                "''",
                "\"",
                "`",
                "(",
                ")",
                "::",
                "E'",
                "_utf8mb4'",
                "[]",
                ",",
                " ",
                "\u{a0}",
                "é",
                "0",
                "1.5",
                "-",
                ".",
                "\\\\",
                "BETWEEN",
                " AND ",
                "NOT",
                "= ANY (ARRAY[",
                "~~",
                "null",
                "true",
                "current_timestamp()",
                "character varying",
                "(10, 2)",
                "timestamp",
                " with time zone",
            ])
            .prop_map(str::to_owned),
            // Numbers with spaces, some of them wider than a byte, between their digits.
            "[0-9.\u{a0}\u{2009} ]{1,6}",
        ];
        prop_oneof![
            any::<String>(),
            vec(piece, 0..16).prop_map(|pieces| pieces.concat())
        ]
    }

    proptest! {
        #![proptest_config(contextualize_config(ProptestConfig::with_cases(2000)))]

        #[test]
        fn any_reported_text_reads_as_a_type_a_default_and_a_check(text in catalog_text()) {
            for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
                let column_type = dialect.parse_column_type(&text);
                prop_assert!(dialect.same_type(&column_type, &column_type));
                let default = dialect.parse_default(&text);
                prop_assert!(dialect.same_default(Some(&default), Some(&default)));
                prop_assert!(dialect.same_check(&text, &text));
            }
            prop_assert!(text.contains(strip_parens(&text)));
            // A quoted name is read with its doubled quotes undone.
            for column in crate::condition_columns(&text) {
                let written = [column.clone(), column.replace('"', "\"\""), column.replace('`', "``")];
                prop_assert!(written.iter().any(|w| text.contains(w.as_str())), "{:?}", column);
            }
            prop_assert_eq!(crate::sql_words::rename_column(&text, "a", "a"), text);
        }

        /// SQLite reports a default as it was written, and sea-query writes a
        /// string as `default_sql` does.
        #[test]
        fn a_string_default_reads_back_from_its_sql(value in catalog_text()) {
            let default = DefaultValue::String(value);
            let sql = Dialect::Sqlite.default_sql(&default);
            let read = Dialect::Sqlite.parse_default(&sql);
            prop_assert!(Dialect::Sqlite.same_default(Some(&read), Some(&default)), "{} read as {:?}", sql, read);
        }
    }
}

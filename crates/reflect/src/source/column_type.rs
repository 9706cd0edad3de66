//! A field's column type and default, as sea-orm-macros derives them.
//!
//! A field without `column_type` gets `<T as ValueType>::column_type()`:
//! sea-query's impls for the types it knows (`value.rs`, `with_chrono.rs`, …)
//! and sea-orm's prelude aliases, which are matched here by name, or the
//! `ActiveEnum` / `DeriveValueType` declaration of a type of the entity crate.

use std::collections::BTreeMap;

use heck::ToUpperCamelCase;
use sea_orm::sea_query::{self, Alias, ColumnType, IntoIden, StringLen};
use syn::{Expr, Lit, Type};

use super::{last_string, quote_type, sea_orm_items, SourceFile};
use crate::entity_source::{derives, meta_key, string_value, CaseStyle, EntitySourceError, SourceProblem};

/// The major version of SeaORM an entity crate is built with: what its
/// macros accept differs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum SeaOrmMajor {
    /// sea-orm 1.x.
    One,
    /// sea-orm 2.x.
    #[default]
    Two,
}

impl SeaOrmMajor {
    /// The major version of a `sea-orm` version string (`1.1.20`, `2.0.4`).
    pub fn of_version(version: &str) -> Option<Self> {
        match version
            .trim_start_matches(['^', '=', '~', ' '])
            .split('.')
            .next()?
        {
            "1" | "0" => Some(Self::One),
            "2" => Some(Self::Two),
            _ => None,
        }
    }

    /// `extra`, `unique_key` and `renamed_from` arrived in 2.0; 1.x's
    /// macros pass over them.
    pub(super) fn reads_extra_unique_key_and_renamed_from(self) -> bool {
        self == Self::Two
    }

    /// The type sea-query 1.0 (SeaORM 2) writes as sea-query 0.32 (SeaORM
    /// 1.x) writes `column_type` on `dialect`, so the model says what a 1.x
    /// application creates: on PostgreSQL 0.32 wrote `u16` as `smallint` and
    /// `u32` as `integer` (1.0: `integer`, `bigint`), on SQLite an unsized
    /// decimal as `real` (1.0: `real_decimal`).
    pub(super) fn as_written(self, column_type: ColumnType, dialect: autogen_schema::Dialect) -> ColumnType {
        use autogen_schema::Dialect;
        match (self, dialect, column_type) {
            (Self::One, Dialect::Postgres, ColumnType::SmallUnsigned) => ColumnType::SmallInteger,
            (Self::One, Dialect::Postgres, ColumnType::Unsigned) => ColumnType::Integer,
            (Self::One, Dialect::Sqlite, ColumnType::Decimal(None)) => ColumnType::Double,
            (_, _, column_type) => column_type,
        }
    }

    /// 2.0 gives a key whose type ends in `String` or `Uuid` no
    /// auto-increment; 1.x makes any lone key auto-increment unless told.
    pub(super) fn gives_string_and_uuid_keys_no_auto_increment(self) -> bool {
        self == Self::Two
    }
}

/// A type of the entity crate that declares its own column type.
#[derive(Clone, Debug)]
pub(super) enum TypeDecl {
    /// `DeriveActiveEnum`: its `db_type`, labels for `Enum`.
    ActiveEnum {
        db_type: String,
        name: String,
        values: Vec<String>,
    },
    /// `DeriveValueType`: its `column_type`, else its one field's type
    /// (`None` for `value_type = "String"`, which is a string).
    ValueType {
        column_type: Option<String>,
        inner: Option<String>,
    },
}

/// The types the entity crate declares, by name: each declaration of it
/// (two enums may share a name in two modules).
#[derive(Default)]
pub(super) struct CrateTypes {
    declared: BTreeMap<String, Vec<(std::path::PathBuf, TypeDecl)>>,
}

impl CrateTypes {
    /// Notes every `ActiveEnum` and value type `syntax` declares, at any depth of inline modules.
    pub(super) fn collect(
        &mut self,
        file: &SourceFile,
        syntax: &syn::File,
        errors: &mut Vec<EntitySourceError>,
    ) {
        self.collect_items(file, &syntax.items, errors);
    }

    fn collect_items(&mut self, file: &SourceFile, items: &[syn::Item], errors: &mut Vec<EntitySourceError>) {
        for item in items {
            let declared = match item {
                syn::Item::Enum(e) if derives(&e.attrs, "DeriveActiveEnum") => {
                    Some((e.ident.to_string(), active_enum(e), e.ident.span().start().line))
                }
                syn::Item::Enum(e) if derives(&e.attrs, "DeriveValueType") => Some((
                    e.ident.to_string(),
                    value_type(&e.attrs, None),
                    e.ident.span().start().line,
                )),
                syn::Item::Struct(s) if derives(&s.attrs, "DeriveValueType") => {
                    let inner = match &s.fields {
                        syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                            Some(quote_type(&fields.unnamed[0].ty))
                        }
                        _ => None,
                    };
                    Some((
                        s.ident.to_string(),
                        value_type(&s.attrs, inner),
                        s.ident.span().start().line,
                    ))
                }
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        self.collect_items(file, items, errors);
                    }
                    None
                }
                _ => None,
            };
            match declared {
                Some((name, Ok(decl), _)) => {
                    self.declared
                        .entry(name)
                        .or_default()
                        .push((file.path.clone(), decl));
                }
                Some((_, Err(reason), line)) => errors.push(EntitySourceError {
                    path: file.path.clone(),
                    line,
                    problem: SourceProblem::NotAnEntity(reason),
                }),
                None => {}
            }
        }
    }

    /// The column type of a field of type `written` (without `Option`).
    pub(super) fn resolve(&self, written: &str) -> Result<ColumnType, String> {
        self.resolve_depth(written, 0)
    }

    fn resolve_depth(&self, written: &str, depth: usize) -> Result<ColumnType, String> {
        let ty: Type = syn::parse_str(written).map_err(|_| format!("`{written}` is not a type"))?;
        // `other_crate::Status` is not the entity crate's own `Status`.
        let own = match &ty {
            Type::Path(p) => {
                p.path.segments.len() == 1
                    || ["crate", "self", "super"]
                        .iter()
                        .any(|k| p.path.segments[0].ident == k)
            }
            _ => false,
        };
        let declared = last_ident(&ty)
            .filter(|_| own)
            .and_then(|n| self.declared.get(&n));
        if let Some(declarations) = declared {
            let decl = match declarations.as_slice() {
                [(_, decl)] => decl,
                several => {
                    let files: Vec<String> = several.iter().map(|(p, _)| p.display().to_string()).collect();
                    return Err(format!(
                        "its type `{written}` is declared more than once in the entity sources ({}), and \
                         autogen does not follow `use` to tell which is meant; give the types distinct \
                         names, or give the field `#[sea_orm(column_type = \"...\")]`",
                        files.join(", ")
                    ));
                }
            };
            return match decl {
                TypeDecl::ActiveEnum {
                    db_type,
                    name,
                    values,
                } => {
                    if db_type == "Enum" {
                        Ok(ColumnType::Enum {
                            name: Alias::new(name).into_iden(),
                            variants: values.iter().map(|v| Alias::new(v).into_iden()).collect(),
                        })
                    } else {
                        parse_column_type(db_type)
                    }
                }
                TypeDecl::ValueType {
                    column_type: Some(column_type),
                    ..
                } => parse_column_type(column_type),
                TypeDecl::ValueType {
                    inner: Some(inner), ..
                } if depth < 8 => self.resolve_depth(inner, depth + 1),
                TypeDecl::ValueType { .. } => Ok(ColumnType::String(StringLen::None)),
            };
        }
        seaorm_type(&ty).ok_or_else(|| {
            format!(
                "its type `{written}` is not one SeaORM gives a column type by name, and no `DeriveActiveEnum` \
                 or `DeriveValueType` in the entity sources declares it; give the field \
                 `#[sea_orm(column_type = \"...\")]`"
            )
        })
    }
}

fn active_enum(e: &syn::ItemEnum) -> Result<TypeDecl, String> {
    let mut db_type = None;
    let mut name = e.ident.to_string().to_upper_camel_case();
    let mut rename_all = None;
    for meta in sea_orm_items(&e.attrs)? {
        match meta_key(&meta).as_str() {
            "db_type" => db_type = string_value(&meta),
            "enum_name" => name = string_value(&meta).unwrap_or(name),
            "rename_all" => rename_all = string_value(&meta).as_deref().and_then(CaseStyle::parse),
            _ => {}
        }
    }
    let db_type = db_type.ok_or("an `ActiveEnum` needs `db_type`")?;
    let mut values = Vec::new();
    for variant in &e.variants {
        let items = sea_orm_items(&variant.attrs)?;
        let explicit = last_string(&items, "string_value");
        let rename = last_string(&items, "rename").and_then(|s| CaseStyle::parse(&s));
        let value = explicit.or_else(|| {
            rename
                .or(rename_all)
                .map(|style| style.apply(&variant.ident.to_string()))
        });
        values.extend(value);
    }
    Ok(TypeDecl::ActiveEnum {
        db_type,
        name,
        values,
    })
}

fn value_type(attrs: &[syn::Attribute], inner: Option<String>) -> Result<TypeDecl, String> {
    let mut column_type = None;
    let mut string_like = false;
    for meta in sea_orm_items(attrs)? {
        match meta_key(&meta).as_str() {
            "column_type" => column_type = string_value(&meta),
            "value_type" => string_like = string_value(&meta).as_deref() == Some("String"),
            _ => {}
        }
    }
    if inner.is_none() && !string_like {
        return Err(
            "`DeriveValueType` needs a struct with one unnamed field, or `value_type = \"String\"`".into(),
        );
    }
    Ok(TypeDecl::ValueType {
        column_type,
        inner: if string_like { None } else { inner },
    })
}

fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `<T as ValueType>::column_type()` for the types SeaORM knows by name:
/// sea-query's own impls and sea-orm's prelude aliases.
fn seaorm_type(ty: &Type) -> Option<ColumnType> {
    let Type::Path(path) = ty else { return None };
    let segments: Vec<String> = path.path.segments.iter().map(|s| s.ident.to_string()).collect();
    // jiff's `DateTime`, `Date` and `Time` are not chrono's.
    if segments.first().is_some_and(|s| s == "jiff") {
        return None;
    }
    let last = path.path.segments.last()?;
    let generic = match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some(match last.ident.to_string().as_str() {
        "bool" => ColumnType::Boolean,
        "i8" => ColumnType::TinyInteger,
        "i16" => ColumnType::SmallInteger,
        "i32" => ColumnType::Integer,
        "i64" => ColumnType::BigInteger,
        "u8" => ColumnType::TinyUnsigned,
        "u16" => ColumnType::SmallUnsigned,
        "u32" => ColumnType::Unsigned,
        "u64" => ColumnType::BigUnsigned,
        "f32" => ColumnType::Float,
        "f64" => ColumnType::Double,
        "char" => ColumnType::Char(None),
        "String" | "TextUuid" => ColumnType::String(StringLen::None),
        "Vec" => {
            let inner = generic?;
            if quote_type(inner) == "u8" {
                ColumnType::VarBinary(StringLen::None)
            } else {
                // `Vec<Option<T>>` is an array of `T` too.
                let element = match last_ident(inner).as_deref() {
                    Some("Option") => match inner {
                        Type::Path(p) => match &p.path.segments.last()?.arguments {
                            syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
                                syn::GenericArgument::Type(t) => t,
                                _ => return None,
                            },
                            _ => return None,
                        },
                        _ => return None,
                    },
                    _ => inner,
                };
                ColumnType::Array(sea_query::RcOrArc::new(seaorm_type(element)?))
            }
        }
        "Json" => ColumnType::Json,
        "Value" if segments.len() == 2 && segments[0] == "serde_json" => ColumnType::Json,
        "Decimal" | "BigDecimal" => ColumnType::Decimal(None),
        "Uuid" => ColumnType::Uuid,
        "NaiveDate" | "Date" | "ChronoDate" | "TimeDate" => ColumnType::Date,
        "NaiveTime" | "Time" | "ChronoTime" | "TimeTime" => ColumnType::Time,
        "NaiveDateTime" | "ChronoDateTime" | "PrimitiveDateTime" | "TimeDateTime" => ColumnType::DateTime,
        // sea-orm's prelude `DateTime` is chrono's `NaiveDateTime`; chrono's
        // own `DateTime<Tz>` carries a zone.
        "DateTime" if generic.is_none() => ColumnType::DateTime,
        "DateTime"
        | "DateTimeUtc"
        | "DateTimeLocal"
        | "DateTimeWithTimeZone"
        | "ChronoDateTimeUtc"
        | "ChronoDateTimeLocal"
        | "ChronoDateTimeWithTimeZone"
        | "OffsetDateTime"
        | "TimeDateTimeWithTimeZone" => ColumnType::TimestampWithTimeZone,
        "ChronoUnixTimestamp"
        | "ChronoUnixTimestampMillis"
        | "TimeUnixTimestamp"
        | "TimeUnixTimestampMillis" => ColumnType::BigInteger,
        "IpNetwork" => ColumnType::Inet,
        "MacAddress" => ColumnType::MacAddr,
        "PgVector" | "Vector" => ColumnType::Vector(None),
        _ => return None,
    })
}

/// A `column_type = "..."` (or `db_type`) as the `ColumnType::…` expression
/// sea-orm-macros pastes it into.
pub(super) fn parse_column_type(text: &str) -> Result<ColumnType, String> {
    let expr: Expr = syn::parse_str(text).map_err(|_| format!("`{text}` is not a column type"))?;
    column_type_expr(&expr).ok_or_else(|| format!("`{text}` is not a `ColumnType` autogen can read"))
}

fn column_type_expr(expr: &Expr) -> Option<ColumnType> {
    let (name, args): (String, Vec<&Expr>) = match expr {
        Expr::Path(p) => (p.path.segments.last()?.ident.to_string(), Vec::new()),
        Expr::Call(call) => match &*call.func {
            Expr::Path(p) => (
                p.path.segments.last()?.ident.to_string(),
                call.args.iter().collect(),
            ),
            _ => return None,
        },
        _ => return None,
    };
    let arg = |i: usize| args.get(i).copied();
    Some(match (name.as_str(), args.len()) {
        ("Text", 0) => ColumnType::Text,
        ("Blob", 0) => ColumnType::Blob,
        ("TinyInteger", 0) => ColumnType::TinyInteger,
        ("SmallInteger", 0) => ColumnType::SmallInteger,
        ("Integer", 0) => ColumnType::Integer,
        ("BigInteger", 0) => ColumnType::BigInteger,
        ("TinyUnsigned", 0) => ColumnType::TinyUnsigned,
        ("SmallUnsigned", 0) => ColumnType::SmallUnsigned,
        ("Unsigned", 0) => ColumnType::Unsigned,
        ("BigUnsigned", 0) => ColumnType::BigUnsigned,
        ("Float", 0) => ColumnType::Float,
        ("Double", 0) => ColumnType::Double,
        ("DateTime", 0) => ColumnType::DateTime,
        ("Timestamp", 0) => ColumnType::Timestamp,
        ("TimestampWithTimeZone", 0) => ColumnType::TimestampWithTimeZone,
        ("Time", 0) => ColumnType::Time,
        ("Date", 0) => ColumnType::Date,
        ("Year", 0) => ColumnType::Year,
        ("Boolean", 0) => ColumnType::Boolean,
        ("Json", 0) => ColumnType::Json,
        ("JsonBinary", 0) => ColumnType::JsonBinary,
        ("Uuid", 0) => ColumnType::Uuid,
        ("Cidr", 0) => ColumnType::Cidr,
        ("Inet", 0) => ColumnType::Inet,
        ("MacAddr", 0) => ColumnType::MacAddr,
        ("LTree", 0) => ColumnType::LTree,
        ("Char", 1) => ColumnType::Char(option(arg(0)?, u32_of)?),
        ("String", 1) => ColumnType::String(string_len(arg(0)?)?),
        ("VarBinary", 1) => ColumnType::VarBinary(string_len(arg(0)?)?),
        ("Decimal", 1) => ColumnType::Decimal(option(arg(0)?, pair)?),
        ("Money", 1) => ColumnType::Money(option(arg(0)?, pair)?),
        ("Binary", 1) => ColumnType::Binary(u32_of(arg(0)?)?),
        ("Bit", 1) => ColumnType::Bit(option(arg(0)?, u32_of)?),
        ("VarBit", 1) => ColumnType::VarBit(u32_of(arg(0)?)?),
        ("Vector", 1) => ColumnType::Vector(option(arg(0)?, u32_of)?),
        ("Custom" | "custom", 1) => ColumnType::Custom(Alias::new(text_of(arg(0)?)?).into_iden()),
        ("Interval", 2) => ColumnType::Interval(option(arg(0)?, interval_fields)?, option(arg(1)?, u32_of)?),
        ("Array", 1) => ColumnType::Array(sea_query::RcOrArc::new(array_element(arg(0)?)?)),
        _ => return None,
    })
}

fn interval_fields(expr: &Expr) -> Option<sea_query::PgInterval> {
    use sea_query::PgInterval::*;
    let Expr::Path(p) = expr else { return None };
    Some(match p.path.segments.last()?.ident.to_string().as_str() {
        "Year" => Year,
        "Month" => Month,
        "Day" => Day,
        "Hour" => Hour,
        "Minute" => Minute,
        "Second" => Second,
        "YearToMonth" => YearToMonth,
        "DayToHour" => DayToHour,
        "DayToMinute" => DayToMinute,
        "DayToSecond" => DayToSecond,
        "HourToMinute" => HourToMinute,
        "HourToSecond" => HourToSecond,
        "MinuteToSecond" => MinuteToSecond,
        _ => return None,
    })
}

/// `RcOrArc::new(ColumnType::Integer)`, `Arc::new(…)`, or the type itself.
fn array_element(expr: &Expr) -> Option<ColumnType> {
    match expr {
        Expr::Call(call) if matches!(&*call.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "new")) => {
            column_type_expr(call.args.first()?)
        }
        other => column_type_expr(other),
    }
}

fn string_len(expr: &Expr) -> Option<StringLen> {
    match expr {
        Expr::Path(p) => match p.path.segments.last()?.ident.to_string().as_str() {
            "None" => Some(StringLen::None),
            "Max" => Some(StringLen::Max),
            _ => None,
        },
        Expr::Call(call) => {
            let Expr::Path(p) = &*call.func else { return None };
            (p.path.segments.last()?.ident == "N").then_some(())?;
            Some(StringLen::N(u32_of(call.args.first()?)?))
        }
        _ => None,
    }
}

/// `Some(x)` or `None`, with `x` read by `read`.
fn option<T>(expr: &Expr, read: impl Fn(&Expr) -> Option<T>) -> Option<Option<T>> {
    match expr {
        Expr::Path(p) if p.path.is_ident("None") => Some(None),
        Expr::Call(call) if matches!(&*call.func, Expr::Path(p) if p.path.is_ident("Some")) => {
            read(call.args.first()?).map(Some)
        }
        _ => None,
    }
}

fn pair(expr: &Expr) -> Option<(u32, u32)> {
    let Expr::Tuple(t) = strip_paren(expr) else {
        return None;
    };
    match t.elems.iter().collect::<Vec<_>>().as_slice() {
        [a, b] => Some((u32_of(a)?, u32_of(b)?)),
        _ => None,
    }
}

fn strip_paren(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => strip_paren(&p.expr),
        other => other,
    }
}

fn u32_of(expr: &Expr) -> Option<u32> {
    match strip_paren(expr) {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse().ok(),
        _ => None,
    }
}

/// `"x"`, `"x".into()`, `"x".to_owned()`, `String::from("x")`, `Alias::new("x")`.
fn text_of(expr: &Expr) -> Option<String> {
    match strip_paren(expr) {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
        Expr::MethodCall(m) if m.args.is_empty() => text_of(&m.receiver),
        Expr::Call(call) if call.args.len() == 1 => text_of(&call.args[0]),
        _ => None,
    }
}

/// `default_value = <literal>`: `ColumnDef::default_value(lit)`, the literal
/// typed as Rust types it (an unsuffixed integer is an `i32`).
pub(super) fn default_value(lit: &Lit) -> Result<sea_query::Expr, String> {
    value_of(lit).map(sea_query::Expr::val)
}

fn value_of(lit: &Lit) -> Result<sea_query::Value, String> {
    use sea_query::Value;
    let bad = || {
        format!(
            "`{}` is not a default SeaORM accepts",
            quote::ToTokens::to_token_stream(lit)
        )
    };
    Ok(match lit {
        Lit::Str(s) => Value::from(s.value()),
        Lit::Bool(b) => Value::from(b.value()),
        Lit::Char(c) => Value::from(c.value()),
        Lit::Float(f) => match f.suffix() {
            "f32" => Value::from(f.base10_parse::<f32>().map_err(|_| bad())?),
            _ => Value::from(f.base10_parse::<f64>().map_err(|_| bad())?),
        },
        Lit::Int(i) => {
            let parsed = match i.suffix() {
                "i8" => i.base10_parse::<i8>().map(Value::from),
                "i16" => i.base10_parse::<i16>().map(Value::from),
                "" | "i32" => i.base10_parse::<i32>().map(Value::from),
                "i64" => i.base10_parse::<i64>().map(Value::from),
                "u8" => i.base10_parse::<u8>().map(Value::from),
                "u16" => i.base10_parse::<u16>().map(Value::from),
                "u32" => i.base10_parse::<u32>().map(Value::from),
                "u64" => i.base10_parse::<u64>().map(Value::from),
                "f32" => i.base10_parse::<f32>().map(Value::from),
                "f64" => i.base10_parse::<f64>().map(Value::from),
                _ => return Err(bad()),
            };
            parsed.map_err(|_| bad())?
        }
        _ => return Err(bad()),
    })
}

/// `default_expr = "..."`: the Rust expression sea-orm-macros pastes into
/// `ColumnDef::default(…)`, for the forms that name SQL rather than run code.
pub(super) fn default_expr(text: &str) -> Result<Option<sea_query::Expr>, String> {
    let unreadable = || {
        format!(
            "its `default_expr = \"{text}\"` is code autogen does not run; write it as \
             `Expr::cust(\"<SQL>\")`, `Expr::current_timestamp()` or a literal"
        )
    };
    let expr: Expr = syn::parse_str(text).map_err(|_| unreadable())?;
    let expr = strip_paren(&expr);
    let function = |call: &syn::ExprCall| match &*call.func {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    Ok(Some(match expr {
        Expr::Lit(lit) => sea_query::Expr::val(value_of(&lit.lit)?),
        Expr::Call(call) => match (function(call).as_deref(), call.args.len()) {
            (Some("current_timestamp"), 0) => sea_query::Expr::current_timestamp(),
            (Some("current_date"), 0) => sea_query::Expr::current_date(),
            (Some("current_time"), 0) => sea_query::Expr::current_time(),
            (Some("cust" | "custom"), 1) => {
                sea_query::Expr::cust(text_of(&call.args[0]).ok_or_else(unreadable)?)
            }
            (Some("val" | "value"), 1) => match strip_paren(&call.args[0]) {
                Expr::Lit(lit) => sea_query::Expr::val(value_of(&lit.lit)?),
                _ => return Err(unreadable()),
            },
            _ => return Err(unreadable()),
        },
        Expr::Path(p) => match p.path.segments.last().map(|s| s.ident.to_string()).as_deref() {
            Some("CurrentTimestamp") => sea_query::Expr::current_timestamp(),
            Some("CurrentDate") => sea_query::Expr::current_date(),
            Some("CurrentTime") => sea_query::Expr::current_time(),
            Some("Null") => sea_query::Expr::Keyword(sea_query::Keyword::Null),
            _ => return Err(unreadable()),
        },
        _ => return Err(unreadable()),
    }))
}

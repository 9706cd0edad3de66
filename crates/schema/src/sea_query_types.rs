//! Conversions between the model's [`ColumnType`] and sea-query's, one for one.
//!
//! sea-query's type is what SeaORM entities declare and what SQL is rendered
//! from; the model keeps its own (see [`ColumnType`]) and converts at the edges.

use sea_query::{Alias, PgInterval};

use crate::model::{ColumnType, IntervalFields, StringLen};

impl ColumnType {
    /// The equivalent sea-query type.
    pub(crate) fn to_sea_query(&self) -> sea_query::ColumnType {
        use sea_query::ColumnType as Q;
        match self {
            ColumnType::Char(n) => Q::Char(*n),
            ColumnType::String(len) => Q::String(len.to_sea_query()),
            ColumnType::Text => Q::Text,
            ColumnType::Blob => Q::Blob,
            ColumnType::TinyInteger => Q::TinyInteger,
            ColumnType::SmallInteger => Q::SmallInteger,
            ColumnType::Integer => Q::Integer,
            ColumnType::BigInteger => Q::BigInteger,
            ColumnType::TinyUnsigned => Q::TinyUnsigned,
            ColumnType::SmallUnsigned => Q::SmallUnsigned,
            ColumnType::Unsigned => Q::Unsigned,
            ColumnType::BigUnsigned => Q::BigUnsigned,
            ColumnType::Float => Q::Float,
            ColumnType::Double => Q::Double,
            ColumnType::Decimal(p) => Q::Decimal(*p),
            ColumnType::DateTime => Q::DateTime,
            ColumnType::Timestamp => Q::Timestamp,
            ColumnType::TimestampWithTimeZone => Q::TimestampWithTimeZone,
            ColumnType::Time => Q::Time,
            ColumnType::Date => Q::Date,
            ColumnType::Year => Q::Year,
            ColumnType::Interval(fields, precision) => {
                Q::Interval(fields.map(IntervalFields::to_sea_query), *precision)
            }
            ColumnType::Binary(n) => Q::Binary(*n),
            ColumnType::VarBinary(len) => Q::VarBinary(len.to_sea_query()),
            ColumnType::Bit(n) => Q::Bit(*n),
            ColumnType::VarBit(n) => Q::VarBit(*n),
            ColumnType::Boolean => Q::Boolean,
            ColumnType::Money(p) => Q::Money(*p),
            ColumnType::Json => Q::Json,
            ColumnType::JsonBinary => Q::JsonBinary,
            ColumnType::Uuid => Q::Uuid,
            ColumnType::Custom(name) => Q::Custom(Alias::new(name).into()),
            ColumnType::Enum { name, variants } => Q::Enum {
                name: Alias::new(name).into(),
                variants: variants.iter().map(|v| Alias::new(v).into()).collect(),
            },
            ColumnType::Array(inner) => Q::Array(sea_query::RcOrArc::new(inner.to_sea_query())),
            ColumnType::Vector(n) => Q::Vector(*n),
            ColumnType::Cidr => Q::Cidr,
            ColumnType::Inet => Q::Inet,
            ColumnType::MacAddr => Q::MacAddr,
            ColumnType::LTree => Q::LTree,
        }
    }

    /// The model's equivalent of a sea-query type.
    pub fn from_sea_query(column_type: &sea_query::ColumnType) -> Self {
        use sea_query::ColumnType as Q;
        match column_type {
            Q::Char(n) => ColumnType::Char(*n),
            Q::String(len) => ColumnType::String(StringLen::from_sea_query(*len)),
            Q::Text => ColumnType::Text,
            Q::Blob => ColumnType::Blob,
            Q::TinyInteger => ColumnType::TinyInteger,
            Q::SmallInteger => ColumnType::SmallInteger,
            Q::Integer => ColumnType::Integer,
            Q::BigInteger => ColumnType::BigInteger,
            Q::TinyUnsigned => ColumnType::TinyUnsigned,
            Q::SmallUnsigned => ColumnType::SmallUnsigned,
            Q::Unsigned => ColumnType::Unsigned,
            Q::BigUnsigned => ColumnType::BigUnsigned,
            Q::Float => ColumnType::Float,
            Q::Double => ColumnType::Double,
            Q::Decimal(p) => ColumnType::Decimal(*p),
            Q::DateTime => ColumnType::DateTime,
            Q::Timestamp => ColumnType::Timestamp,
            Q::TimestampWithTimeZone => ColumnType::TimestampWithTimeZone,
            Q::Time => ColumnType::Time,
            Q::Date => ColumnType::Date,
            Q::Year => ColumnType::Year,
            Q::Interval(fields, precision) => ColumnType::Interval(
                fields.as_ref().and_then(IntervalFields::from_sea_query),
                *precision,
            ),
            Q::Binary(n) => ColumnType::Binary(*n),
            Q::VarBinary(len) => ColumnType::VarBinary(StringLen::from_sea_query(*len)),
            Q::Bit(n) => ColumnType::Bit(*n),
            Q::VarBit(n) => ColumnType::VarBit(*n),
            Q::Boolean => ColumnType::Boolean,
            Q::Money(p) => ColumnType::Money(*p),
            Q::Json => ColumnType::Json,
            Q::JsonBinary => ColumnType::JsonBinary,
            Q::Uuid => ColumnType::Uuid,
            Q::Custom(name) => ColumnType::Custom(name.to_string()),
            Q::Enum { name, variants } => ColumnType::Enum {
                name: name.to_string(),
                variants: variants.iter().map(ToString::to_string).collect(),
            },
            Q::Array(inner) => ColumnType::Array(Box::new(Self::from_sea_query(inner))),
            Q::Vector(n) => ColumnType::Vector(*n),
            Q::Cidr => ColumnType::Cidr,
            Q::Inet => ColumnType::Inet,
            Q::MacAddr => ColumnType::MacAddr,
            Q::LTree => ColumnType::LTree,
            // sea-query's enum is non-exhaustive; a type added upstream is kept by name
            // so that it still compares by its SQL text.
            other => ColumnType::Custom(format!("{other:?}")),
        }
    }
}

impl StringLen {
    fn to_sea_query(self) -> sea_query::StringLen {
        match self {
            StringLen::N(n) => sea_query::StringLen::N(n),
            StringLen::Max => sea_query::StringLen::Max,
            StringLen::None => sea_query::StringLen::None,
        }
    }

    fn from_sea_query(len: sea_query::StringLen) -> Self {
        match len {
            sea_query::StringLen::N(n) => StringLen::N(n),
            sea_query::StringLen::Max => StringLen::Max,
            sea_query::StringLen::None => StringLen::None,
        }
    }
}

macro_rules! interval_fields {
    ($($v:ident),* $(,)?) => {
        impl IntervalFields {
            fn to_sea_query(self) -> PgInterval {
                match self { $(IntervalFields::$v => PgInterval::$v,)* }
            }

            /// `None` for a field kind sea-query adds after this was written.
            fn from_sea_query(fields: &PgInterval) -> Option<Self> {
                match fields {
                    $(PgInterval::$v => Some(IntervalFields::$v),)*
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }
    };
}

interval_fields!(
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
);

//! PostgreSQL's and MySQL's own spellings of types and defaults, brought to
//! one canonical form so that equal things compare equal.
//!
//! PostgreSQL reports `character varying(255)` for what sea-query writes as
//! `varchar(255)`, `numeric` for `decimal`, `timestamp without time zone` for
//! `timestamp`; MariaDB reports `int(11)` for `int` and `tinyint(1)` for
//! `bool`. Both sides of a comparison go through [`canonical_type`].

use super::Dialect;
use crate::model::{ColumnType, IntervalFields, StringLen};
use crate::sql_words::{self, Word};

/// The canonical spelling of a type in `dialect`: lower case, single spaces,
/// no spaces inside the argument list, aliases resolved. Quoted text (a
/// PostgreSQL enum type's name, MySQL's enum labels) is kept as written:
/// case tells it apart.
pub(crate) fn canonical_type(dialect: Dialect, sql: &str) -> String {
    let mut lower = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    for c in sql.trim().chars() {
        match quote {
            // A doubled quote inside closes and reopens: the same text.
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c.is_whitespace() && lower.ends_with(' ') => continue,
            None if c.is_whitespace() => {
                lower.push(' ');
                continue;
            }
            None => {}
        }
        lower.push(if quote.is_some() {
            c
        } else {
            c.to_ascii_lowercase()
        });
    }
    let compact = compact_args(&lower);
    match dialect {
        Dialect::Sqlite => compact,
        Dialect::Postgres => match compact.strip_suffix("[]") {
            Some(element) => format!("{}[]", canonical_type(dialect, element)),
            None => postgres_alias(&compact),
        },
        Dialect::MySql => mysql_alias(&compact),
    }
}

/// `decimal( 10, 2 )` → `decimal(10,2)`, leaving quoted text alone.
fn compact_args(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == ' ' && out.ends_with(['(', ',']) => continue,
            None if matches!(c, '(' | ')') && out.ends_with(' ') => {
                out.pop();
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// `name(args) rest` → (`name`, `(args)`, ` rest`).
fn split_base(text: &str) -> (&str, &str, &str) {
    match text.find('(') {
        Some(open) => {
            let close = text[open..].find(')').map_or(text.len(), |c| open + c + 1);
            (&text[..open], &text[open..close], &text[close..])
        }
        None => match text.find(' ') {
            Some(space) => (&text[..space], "", &text[space..]),
            None => (text, "", ""),
        },
    }
}

fn postgres_alias(text: &str) -> String {
    // A quoted name is a type of the user's, such as an enum type.
    if text.starts_with('"') {
        return text.to_owned();
    }
    // Multi-word names first: their arguments sit in the middle.
    for (short, long) in [
        ("timestamptz", "timestamp with time zone"),
        ("timetz", "time with time zone"),
    ] {
        if let Some(args) = text.strip_prefix(short) {
            let (args, _) = args.split_once(' ').unwrap_or((args, ""));
            return long.replacen(" with", &format!("{args} with"), 1);
        }
    }
    if text.starts_with("timestamp") || text.starts_with("time") {
        let (base, args, rest) = split_base(text);
        let rest = if rest.trim().is_empty() {
            " without time zone"
        } else {
            rest
        };
        return format!("{base}{args}{rest}");
    }
    let (base, args, rest) = split_base(text);
    let base = match base {
        "varchar" => "character varying",
        "char" | "bpchar" => "character",
        "bool" => "boolean",
        "decimal" => "numeric",
        "int" | "int4" => "integer",
        "int8" => "bigint",
        "int2" => "smallint",
        "float8" => "double precision",
        "float4" => "real",
        "varbit" => "bit varying",
        other => other,
    };
    let args = match (base, args) {
        ("character" | "bit", "") if rest.is_empty() => "(1)",
        (_, args) => args,
    };
    format!("{base}{args}{rest}")
}

fn mysql_alias(text: &str) -> String {
    let (base, args, rest) = split_base(text);
    match (base, args) {
        ("bool" | "boolean", _) => return "tinyint(1)".to_owned(),
        ("tinyint", "(1)") => return format!("tinyint(1){rest}"),
        ("enum" | "set", _) => return text.to_owned(),
        _ => {}
    }
    let base = match base {
        "integer" => "int",
        "dec" | "numeric" => "decimal",
        other => other,
    };
    let args = match (base, args) {
        // Display widths are not part of the type.
        ("tinyint" | "smallint" | "mediumint" | "int" | "bigint" | "year", _) => "",
        ("decimal", "") => "(10,0)",
        ("char" | "binary" | "bit", "") => "(1)",
        (_, args) => args,
    };
    format!("{base}{args}{rest}")
}

/// A type as PostgreSQL's `format_type` or MySQL's `COLUMN_TYPE` prints it,
/// as a model type; `None` for what no sea-query type renders to.
pub(crate) fn parse_type(dialect: Dialect, sql: &str) -> Option<ColumnType> {
    let canonical = canonical_type(dialect, sql);
    match dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => parse_postgres(&canonical),
        Dialect::MySql => parse_mysql(&canonical),
    }
}

fn numbers(args: &str) -> Vec<u32> {
    args.trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .filter_map(|a| a.trim().parse().ok())
        .collect()
}

fn parse_postgres(text: &str) -> Option<ColumnType> {
    use ColumnType::*;
    if let Some(element) = text.strip_suffix("[]") {
        return parse_postgres(element).map(|t| Array(Box::new(t)));
    }
    let (base, args, rest) = split_base(text);
    let n = numbers(args);
    Some(match (base, n.as_slice(), rest) {
        ("smallint", [], "") => SmallInteger,
        ("integer", [], "") => Integer,
        ("bigint", [], "") => BigInteger,
        ("real", [], "") => Float,
        ("double", [], " precision") => Double,
        ("numeric", [], "") => Decimal(None),
        ("numeric", [p, s], "") => Decimal(Some((*p, *s))),
        ("character", [n], "") => Char(Some(*n)),
        ("character", [], " varying") => String(StringLen::None),
        ("character varying", [], "") => String(StringLen::None),
        ("character varying", [n], "") => String(StringLen::N(*n)),
        ("text", [], "") => Text,
        ("boolean", [], "") => Boolean,
        ("timestamp", [], " without time zone") => DateTime,
        ("timestamp", [], " with time zone") => TimestampWithTimeZone,
        ("time", [], " without time zone") => Time,
        ("date", [], "") => Date,
        ("interval", [], "") => Interval(None, None),
        ("interval", [p], "") => Interval(None, Some(*p)),
        ("interval", [], fields) => Interval(interval_fields(fields.trim()), None),
        ("bytea", [], "") => VarBinary(StringLen::None),
        ("bit", [n], "") => Bit(Some(*n)),
        ("bit varying", [n], "") => VarBit(*n),
        ("money", [], "") => Money(None),
        ("json", [], "") => Json,
        ("jsonb", [], "") => JsonBinary,
        ("uuid", [], "") => Uuid,
        ("vector", [], "") => Vector(None),
        ("vector", [n], "") => Vector(Some(*n)),
        ("cidr", [], "") => Cidr,
        ("inet", [], "") => Inet,
        ("macaddr", [], "") => MacAddr,
        ("ltree", [], "") => LTree,
        _ => return None,
    })
}

fn interval_fields(text: &str) -> Option<IntervalFields> {
    use IntervalFields::*;
    Some(match text {
        "year" => Year,
        "month" => Month,
        "day" => Day,
        "hour" => Hour,
        "minute" => Minute,
        "second" => Second,
        "year to month" => YearToMonth,
        "day to hour" => DayToHour,
        "day to minute" => DayToMinute,
        "day to second" => DayToSecond,
        "hour to minute" => HourToMinute,
        "hour to second" => HourToSecond,
        "minute to second" => MinuteToSecond,
        _ => return None,
    })
}

fn parse_mysql(text: &str) -> Option<ColumnType> {
    use ColumnType::*;
    if let Some(list) = text.strip_prefix("enum(").and_then(|l| l.strip_suffix(')')) {
        let variants = literals(list)
            .into_iter()
            .map(|label| Dialect::MySql.string_literal(label))
            .collect::<Option<_>>()?;
        // MySQL enums are per column; the caller names it after the column.
        return Some(Enum {
            name: std::string::String::new(),
            variants,
        });
    }
    let (base, args, rest) = split_base(text);
    let n = numbers(args);
    Some(match (base, n.as_slice(), rest) {
        ("tinyint", [1], "") => Boolean,
        ("tinyint", [], "") => TinyInteger,
        ("tinyint", [], " unsigned") => TinyUnsigned,
        ("smallint", [], "") => SmallInteger,
        ("smallint", [], " unsigned") => SmallUnsigned,
        ("int", [], "") => Integer,
        ("int", [], " unsigned") => Unsigned,
        ("bigint", [], "") => BigInteger,
        ("bigint", [], " unsigned") => BigUnsigned,
        ("float", [], "") => Float,
        ("double", [], "") => Double,
        ("decimal", [p, s], "") => Decimal(Some((*p, *s))),
        ("char", [n], "") => Char(Some(*n)),
        ("varchar", [n], "") => String(StringLen::N(*n)),
        ("text", [], "") => Text,
        ("datetime", [], "") => DateTime,
        ("timestamp", [], "") => Timestamp,
        ("time", [], "") => Time,
        ("date", [], "") => Date,
        ("year", [], "") => Year,
        ("binary", [n], "") => Binary(*n),
        ("varbinary", [n], "") => VarBinary(StringLen::N(*n)),
        ("blob", [], "") => Blob,
        ("bit", [n], "") => Bit(Some(*n)),
        ("json", [], "") => Json,
        _ => return None,
    })
}

/// The string literals of a comma-separated list (`'a','it''s','\\'`), as written.
fn literals(list: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut chars = list.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match (start, c) {
            (None, '\'') => start = Some(at),
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(_), '\'') if chars.peek().is_some_and(|(_, next)| *next == '\'') => {
                chars.next();
            }
            (Some(from), '\'') => {
                out.push(&list[from..=at]);
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// PostgreSQL writes a literal default with a cast: `'x'::character varying`,
/// `'{}'::jsonb`, `(-1)`. The value without its casts, if it is a literal.
pub(crate) fn strip_postgres_casts(text: &str) -> &str {
    let original = text.trim();
    let mut value = original;
    while let Some(at) = value.rfind("::") {
        if !is_type_name(&value[at + 2..]) {
            break;
        }
        value = value[..at].trim_end();
    }
    let literal = value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'');
    if literal {
        value
    } else {
        original
    }
}

/// Whether `text` is a type as PostgreSQL prints one after `::`: words,
/// arguments and brackets (`character varying(20)[]`), or quoted names
/// holding anything, qualified by their schema when it is not on the search
/// path (`"Other"."Mood ""état"""`).
fn is_type_name(text: &str) -> bool {
    let mut quoted = false;
    for c in text.chars() {
        match c {
            // A doubled quote inside closes and reopens.
            '"' => quoted = !quoted,
            _ if quoted => {}
            c if c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | '(' | ')' | ',' | '[' | ']') => {}
            _ => return false,
        }
    }
    !text.is_empty() && !quoted
}

/// A CHECK condition in a form two spellings of it share: PostgreSQL
/// prints `(price > (0)::numeric)` for `price > 0`, `s = ANY (ARRAY['a'])`
/// for `s IN ('a')` and `(n >= 0) AND (n <= 9)` for `n BETWEEN 0 AND 9`;
/// MySQL prints `` `price` > 0 ``, and MySQL 8 `_utf8mb4'a'` for `'a'`.
/// Outside string literals, identifier quotes, parentheses, brackets,
/// whitespace, casts and charset introducers are dropped, names lowered,
/// `BETWEEN` spelled out, and PostgreSQL's `= ANY (ARRAY[…])`, `<> ALL
/// (ARRAY[…])` and `~~` operators read as `IN`, `NOT IN` and `LIKE`.
/// Dropping every parenthesis can equate two conditions that group
/// differently; a missed regrouping is the lesser harm than a difference
/// that is not there.
pub(crate) fn check_expression(text: &str) -> String {
    let words = sql_words::words(text);
    // The condition's pieces without the parts that do not count; a
    // literal is kept whole and verbatim, a number as one piece.
    let mut pieces: Vec<Piece> = Vec::new();
    for (i, (range, word)) in words.iter().enumerate() {
        match word {
            Word::Literal => pieces.push(Piece::Literal(&text[range.clone()])),
            // `_utf8mb4'a'`: a charset introducer right before its literal.
            Word::Name { name, quote: None }
                if name.starts_with('_')
                    && words
                        .get(i + 1)
                        .is_some_and(|(next, w)| *w == Word::Literal && next.start == range.end) => {}
            Word::Name { name, .. } => pieces.push(Piece::Token(name.to_ascii_lowercase())),
            Word::CastType => {}
            Word::Other => {
                let piece = &text[range.clone()];
                let numeric = |s: &str| s.chars().all(|c| c.is_ascii_digit() || c == '.');
                match pieces.last_mut() {
                    Some(Piece::Token(number))
                        if numeric(piece)
                            && numeric(number)
                            && text[..range.start]
                                .chars()
                                .next_back()
                                .is_some_and(|c| c.is_ascii_digit() || c == '.') =>
                    {
                        number.push_str(piece)
                    }
                    _ if matches!(piece, "(" | ")" | "[" | "]" | ":") || piece.trim().is_empty() => {}
                    _ => pieces.push(Piece::Token(piece.to_owned())),
                }
            }
        }
    }
    let pieces = expand_between(pieces);
    // Runs of non-literal text, each followed by the literal that ends it.
    let mut runs: Vec<(String, Option<&str>)> = vec![(String::new(), None)];
    for piece in pieces {
        match piece {
            Piece::Literal(literal) => {
                runs.last_mut().expect("never empty").1 = Some(literal);
                runs.push((String::new(), None));
            }
            Piece::Token(token) => runs.last_mut().expect("never empty").0.push_str(&token),
        }
    }
    let mut out = String::with_capacity(text.len());
    for (run, literal) in runs {
        let run = run
            .replace("=anyarray", "in")
            .replace("<>allarray", "notin")
            .replace("!~~*", "notilike")
            .replace("~~*", "ilike")
            .replace("!~~", "notlike")
            .replace("~~", "like");
        out.push_str(&run);
        out.push_str(literal.unwrap_or_default());
    }
    out
}

/// One piece of a condition being normalized.
#[derive(Clone, Debug, PartialEq)]
enum Piece<'a> {
    Literal(&'a str),
    Token(String),
}

/// `x BETWEEN a AND b` as PostgreSQL prints it, `x >= a AND x <= b`
/// (`NOT BETWEEN`: `x < a OR x > b`).
fn expand_between(pieces: Vec<Piece<'_>>) -> Vec<Piece<'_>> {
    let token = |t: &str| Piece::Token(t.to_owned());
    let is = |p: &Piece, t: &str| *p == Piece::Token(t.to_owned());
    let Some(at) = pieces.iter().position(|p| is(p, "between")) else {
        return pieces;
    };
    let negated = at >= 2 && is(&pieces[at - 1], "not");
    let subject_at = if negated { at - 2 } else { at.wrapping_sub(1) };
    let Some(and_at) = pieces[at..].iter().position(|p| is(p, "and")).map(|i| at + i) else {
        return pieces;
    };
    let Some(subject) = pieces.get(subject_at).cloned() else {
        return pieces;
    };
    let end = pieces[and_at + 1..]
        .iter()
        .position(|p| is(p, "and") || is(p, "or"))
        .map_or(pieces.len(), |i| and_at + 1 + i);
    let (low_op, join, high_op) = if negated {
        ("<", "or", ">")
    } else {
        (">=", "and", "<=")
    };
    let mut out: Vec<Piece> = pieces[..subject_at].to_vec();
    out.push(subject.clone());
    out.push(token(low_op));
    out.extend(pieces[at + 1..and_at].iter().cloned());
    out.push(token(join));
    out.push(subject);
    out.push(token(high_op));
    out.extend(pieces[and_at + 1..end].iter().cloned());
    // A second BETWEEN further on.
    out.extend(expand_between(pieces[end..].to_vec()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_space_wider_than_a_byte_before_a_number_is_a_space() {
        assert_eq!(check_expression("n >\u{a0}1"), check_expression("n > 1"));
        assert_eq!(check_expression("1\u{a0}2"), check_expression("1 2"));
    }

    #[test]
    fn check_spellings_meet() {
        for (dialect, reported, written) in [
            (Dialect::Postgres, "(price > (0)::numeric)", "price > 0"),
            (
                Dialect::Postgres,
                "((status)::text = 'a b'::text)",
                "status = 'a b'",
            ),
            (
                Dialect::Postgres,
                "(name)::character varying(20) <> ''::character varying",
                "name <> ''",
            ),
            (Dialect::MySql, "`balance` >= 0", "balance >= 0"),
            (
                Dialect::MySql,
                "octet_length(`title`) > 0",
                "OCTET_LENGTH(title) > 0",
            ),
            (Dialect::Sqlite, "\"x\" IN ('A', 'b')", "x in ('A','b')"),
            (
                Dialect::Postgres,
                "((status)::text = ANY ((ARRAY['a'::character varying, 'b c'::character varying])::text[]))",
                "status IN ('a', 'b c')",
            ),
            (
                Dialect::Postgres,
                "((status)::text <> ALL (ARRAY['x'::text]))",
                "status NOT IN ('x')",
            ),
            (
                Dialect::Postgres,
                "((email)::text ~~ '%@%'::text)",
                "email LIKE '%@%'",
            ),
            (
                Dialect::MySql,
                "(`s` in (_utf8mb4'a',_utf8mb4'b'))",
                "s IN ('a', 'b')",
            ),
        ] {
            assert_eq!(
                check_expression(reported),
                check_expression(written),
                "{dialect}: {reported} vs {written}"
            );
        }
        // Literals keep their case and spacing; a changed bound is a change.
        assert_ne!(check_expression("x = 'A'"), check_expression("x = 'a'"));
        assert_ne!(check_expression("(price > 0)"), check_expression("price > 1"));
        assert_ne!(
            check_expression("((n >= 0) AND (n <= 100))"),
            check_expression("n BETWEEN 0 AND 99")
        );
    }

    #[test]
    fn postgres_spellings_meet() {
        for (reported, rendered) in [
            ("character varying(255)", "varchar(255)"),
            ("character varying", "varchar"),
            ("numeric(10,2)", "decimal(10, 2)"),
            ("timestamp without time zone", "timestamp"),
            ("timestamp(3) without time zone", "timestamp(3)"),
            ("boolean", "bool"),
            ("integer[]", "int4[]"),
            ("character(1)", "char"),
            ("timestamp with time zone", "timestamptz"),
        ] {
            assert_eq!(
                canonical_type(Dialect::Postgres, reported),
                canonical_type(Dialect::Postgres, rendered),
                "{reported} vs {rendered}"
            );
        }
    }

    #[test]
    fn quoted_names_and_labels_keep_their_case_and_spaces() {
        assert_ne!(
            canonical_type(Dialect::Postgres, r#""Mood""#),
            canonical_type(Dialect::Postgres, r#""mood""#)
        );
        assert_eq!(
            canonical_type(Dialect::Postgres, r#""Order  ( Status )"[]"#),
            r#""Order  ( Status )"[]"#
        );
        assert_eq!(
            canonical_type(Dialect::MySql, "ENUM('CamelCase', 'a ( b ''c'' )')"),
            "enum('CamelCase','a ( b ''c'' )')"
        );
    }

    #[test]
    fn mysql_spellings_meet() {
        for (reported, rendered) in [
            ("int(11)", "int"),
            ("tinyint(1)", "bool"),
            ("bigint(20) unsigned", "bigint UNSIGNED"),
            ("decimal(10,0)", "decimal"),
            ("enum('a','b')", "ENUM('a', 'b')"),
            ("year(4)", "year"),
        ] {
            assert_eq!(
                canonical_type(Dialect::MySql, reported),
                canonical_type(Dialect::MySql, rendered),
                "{reported} vs {rendered}"
            );
        }
        assert_ne!(
            canonical_type(Dialect::MySql, "tinyint(4)"),
            canonical_type(Dialect::MySql, "bool")
        );
    }

    #[test]
    fn reported_types_read_back() {
        assert_eq!(
            parse_type(Dialect::Postgres, "character varying(40)"),
            Some(ColumnType::String(StringLen::N(40)))
        );
        assert_eq!(
            parse_type(Dialect::Postgres, "interval day to second"),
            Some(ColumnType::Interval(Some(IntervalFields::DayToSecond), None))
        );
        assert_eq!(
            parse_type(Dialect::Postgres, "text[]"),
            Some(ColumnType::Array(Box::new(ColumnType::Text)))
        );
        assert_eq!(
            parse_type(Dialect::MySql, "int(10) unsigned"),
            Some(ColumnType::Unsigned)
        );
        assert_eq!(
            parse_type(Dialect::MySql, "enum('draft','it''s')"),
            Some(ColumnType::Enum {
                name: String::new(),
                variants: vec!["draft".into(), "it's".into()]
            })
        );
        assert_eq!(
            parse_type(Dialect::MySql, r"enum('a'',''b','back\\slash','CamelCase')"),
            Some(ColumnType::Enum {
                name: String::new(),
                variants: vec!["a','b".into(), "back\\slash".into(), "CamelCase".into()]
            })
        );
        assert_eq!(parse_type(Dialect::Postgres, "tsvector"), None);
    }

    #[test]
    fn postgres_casts_come_off_literals_only() {
        assert_eq!(strip_postgres_casts("'x'::character varying"), "'x'");
        assert_eq!(strip_postgres_casts("'{}'::jsonb"), "'{}'");
        assert_eq!(strip_postgres_casts("'a'::text::character varying(10)"), "'a'");
        assert_eq!(
            strip_postgres_casts("nextval('s'::regclass)"),
            "nextval('s'::regclass)"
        );
        assert_eq!(strip_postgres_casts("now()"), "now()");
        // An enum type of any name.
        assert_eq!(
            strip_postgres_casts(r#"'it''s'::"Mood ""état"" 100%""#),
            "'it''s'"
        );
        assert_eq!(strip_postgres_casts(r#"'{a}'::"Mood"[]"#), "'{a}'");
        // One in a schema not on the search path.
        assert_eq!(
            strip_postgres_casts(r#"'x'::"Other ""schéma"", it's"."Mood""#),
            "'x'"
        );
        assert_eq!(strip_postgres_casts("'x'::other.mood"), "'x'");
    }
}

//! The words of a SQL condition (a CHECK, an index expression or predicate):
//! which are column names, and how to rename one. Quote-aware, so a literal
//! `'a b'` or a quoted `"Name"` is never taken apart, and a function name,
//! a keyword or a cast's type is never taken for a column.

use std::ops::Range;

/// One piece of condition text, with where it is.
#[derive(Debug, PartialEq)]
pub(crate) enum Word {
    /// `'…'`, `''` escapes included.
    Literal,
    /// A name, bare or quoted (`"x"`, `` `x` ``), without its quotes.
    Name { name: String, quote: Option<char> },
    /// The type after `::`, multi-word names and arguments included.
    CastType,
    /// Anything else: operators, parentheses, numbers, spaces.
    Other,
}

const KEYWORDS: [&str; 24] = [
    "and", "or", "not", "in", "is", "null", "true", "false", "like", "ilike", "between", "case", "when",
    "then", "else", "end", "any", "all", "some", "exists", "similar", "escape", "array", "collate",
];

/// The second words of PostgreSQL's multi-word type names.
const TYPE_TAILS: [&str; 4] = ["varying", "precision", "without time zone", "with time zone"];

pub(crate) fn words(sql: &str) -> Vec<(Range<usize>, Word)> {
    let mut out = Vec::new();
    let bytes = sql.as_bytes();
    let mut at = 0;
    let mut after_cast = false;
    while at < sql.len() {
        let start = at;
        let c = sql[at..].chars().next().expect("inside the text");
        let word = match c {
            '\'' => {
                at += 1;
                loop {
                    match sql[at..].find('\'') {
                        Some(i) if sql[at + i + 1..].starts_with('\'') => at += i + 2,
                        Some(i) => break at += i + 1,
                        None => break at = sql.len(),
                    }
                }
                Word::Literal
            }
            '"' | '`' => {
                // The name ends at a quote that is not doubled; a doubled one is a quote inside it.
                let mut name = String::new();
                at += 1;
                loop {
                    match sql[at..].find(c) {
                        Some(i) if sql[at + i + 1..].starts_with(c) => {
                            name.push_str(&sql[at..=at + i]);
                            at += i + 2;
                        }
                        Some(i) => {
                            name.push_str(&sql[at..at + i]);
                            break at += i + 1;
                        }
                        None => {
                            name.push_str(&sql[at..]);
                            break at = sql.len();
                        }
                    }
                }
                Word::Name { name, quote: Some(c) }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while at < sql.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
                    at += 1;
                }
                if after_cast {
                    // `character varying`, `timestamp with time zone`, `text[]`.
                    loop {
                        let rest = sql[at..].to_ascii_lowercase();
                        if let Some(tail) = TYPE_TAILS.iter().find(|t| rest.starts_with(&format!(" {t}"))) {
                            at += tail.len() + 1;
                        } else if rest.starts_with("[]") {
                            at += 2;
                        } else if let Some(args) = rest
                            .strip_prefix('(')
                            .and_then(|r| r.split_once(')'))
                            .map(|(args, _)| args)
                            .filter(|args| args.chars().all(|c| c.is_ascii_digit() || c == ',' || c == ' '))
                        {
                            // `varchar(20)`, `numeric(10, 2)`.
                            at += args.len() + 2;
                        } else {
                            break;
                        }
                    }
                    Word::CastType
                } else {
                    Word::Name {
                        name: sql[start..at].to_owned(),
                        quote: None,
                    }
                }
            }
            _ => {
                at += c.len_utf8();
                Word::Other
            }
        };
        let is_cast_operator = &sql[start..at] == ":" && sql[..start].ends_with(':');
        after_cast = word == Word::Other && (is_cast_operator || after_cast && c == ' ');
        out.push((start..at, word));
    }
    out
}

/// The distinct column names a condition mentions, in order of first
/// mention; what PostgreSQL counts to name an unnamed CHECK.
pub fn condition_columns(condition: &str) -> Vec<String> {
    let words = words(condition);
    let mut columns: Vec<String> = Vec::new();
    for (i, (_, word)) in words.iter().enumerate() {
        let Word::Name { name, quote } = word else {
            continue;
        };
        let next = words[i + 1..]
            .iter()
            .find(|(r, w)| !(*w == Word::Other && condition[r.clone()].trim().is_empty()));
        let is_call = next.is_some_and(|(r, _)| &condition[r.clone()] == "(");
        // `date '2020-01-01'`: a typed literal, not a column.
        let types_a_literal = next.is_some_and(|(_, w)| *w == Word::Literal);
        let is_keyword = quote.is_none() && KEYWORDS.contains(&name.to_ascii_lowercase().as_str());
        if !is_call && !types_a_literal && !is_keyword && !columns.contains(name) {
            columns.push(name.clone());
        }
    }
    columns
}

/// `sql` with every mention of the column `from` renamed `to`, quoted as it was.
pub(crate) fn rename_column(sql: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    for (range, word) in words(sql) {
        match word {
            Word::Name { name, quote } if name == from => match quote {
                Some(q) => {
                    // The closing quote only if it was there: an unclosed one stays unclosed.
                    let text = &sql[range.clone()];
                    let closed = text.len() > 1 && text.ends_with(q) && text.matches(q).count() % 2 == 0;
                    let escaped = to.replace(q, &format!("{q}{q}"));
                    out.push_str(&format!(
                        "{q}{escaped}{}",
                        if closed { q.to_string() } else { String::new() }
                    ));
                }
                None => out.push_str(to),
            },
            _ => out.push_str(&sql[range]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_names_that_are_not_keywords_calls_types_or_literals() {
        assert_eq!(condition_columns("user_id > 0"), ["user_id"]);
        assert_eq!(
            condition_columns("char_length(\"name\") > 0 AND name <> 'x y'"),
            ["name"]
        );
        assert_eq!(
            condition_columns("status IN ('a', 'b') OR status IS NULL"),
            ["status"]
        );
        assert_eq!(condition_columns("(price)::numeric > 0"), ["price"]);
        assert_eq!(
            condition_columns("(name)::character varying <> ''::character varying"),
            ["name"]
        );
        assert_eq!(condition_columns("d > date '2020-01-01'"), ["d"]);
        assert_eq!(condition_columns("`a` < b"), ["a", "b"]);
        assert_eq!(
            condition_columns(r#""say ""hi""" <> '' AND `back``tick` > 0"#),
            [r#"say "hi""#, "back`tick"]
        );
    }

    #[test]
    fn a_rename_reaches_every_mention_and_nothing_else() {
        assert_eq!(
            rename_column(
                "a >= 0 AND \"a\" <> 'a' AND aa > a_b AND lower(a) = `a`",
                "a",
                "b"
            ),
            "b >= 0 AND \"b\" <> 'a' AND aa > a_b AND lower(b) = `b`"
        );
        assert_eq!(rename_column("\"a", "a", "b"), "\"b");
        // Quotes inside a name are doubled, read and written.
        assert_eq!(
            rename_column(r#""it's" <> '' AND `it's` <> ''"#, "it's", "a \"b\" `c`"),
            r#""a ""b"" `c`" <> '' AND `a "b" ``c``` <> ''"#
        );
        assert_eq!(rename_column(r#""a ""b""" > 0"#, "a \"b\"", "c"), r#""c" > 0"#);
    }
}

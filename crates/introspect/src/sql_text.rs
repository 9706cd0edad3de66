//! Reading the pieces of stored DDL text that SQLite's pragmas do not report:
//! CHECK constraints, index expressions and partial-index predicates.
//!
//! This is a scanner, not a parser: it tracks parentheses and quotes so that
//! commas, keywords and parentheses inside strings or sub-expressions are not
//! mistaken for structure.

use autogen_schema::Check;

/// Byte offsets in `text` of characters outside quotes, with their
/// parenthesis depth (an opening parenthesis counts as inside).
fn scan(text: &str) -> Vec<(usize, char, i32)> {
    let mut out = Vec::with_capacity(text.len());
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '[' => quote = Some(']'),
            '(' => {
                depth += 1;
                out.push((i, c, depth));
            }
            ')' => {
                out.push((i, c, depth));
                depth -= 1;
            }
            _ => out.push((i, c, depth)),
        }
    }
    out
}

/// The text inside the parentheses that open at byte `open`.
fn enclosed(text: &str, open: usize) -> Option<(&str, usize)> {
    let chars = scan(text);
    let start = chars.iter().position(|(i, _, _)| *i == open)?;
    let depth = chars[start].2;
    let close = chars[start + 1..]
        .iter()
        .find(|(_, c, d)| *c == ')' && *d == depth)?
        .0;
    Some((text[open + 1..close].trim(), close))
}

/// Where `keyword` occurs as a word, outside quotes, at parenthesis `depth`.
fn keyword_positions(text: &str, keyword: &str, depth: i32) -> Vec<usize> {
    let upper = text.to_ascii_uppercase();
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    scan(text)
        .into_iter()
        .filter(|(i, _, d)| {
            *d == depth
                && upper[*i..].starts_with(keyword)
                && !is_word(upper[..*i].chars().next_back())
                && !is_word(upper[*i + keyword.len()..].chars().next())
        })
        .map(|(i, _, _)| i)
        .collect()
}

/// Splits at commas outside quotes at parenthesis depth 0.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c, d) in scan(text) {
        if c == ',' && d == 0 {
            parts.push(text[start..i].trim());
            start = i + 1;
        }
    }
    parts.push(text[start..].trim());
    parts
}

/// `"name"`, `` `name` ``, `[name]` or `name` → `name`.
fn unquote(ident: &str) -> String {
    let ident = ident.trim();
    for (open, close) in [('"', '"'), ('`', '`'), ('[', ']')] {
        if let Some(inner) = ident.strip_prefix(open).and_then(|i| i.strip_suffix(close)) {
            return inner.replace(&format!("{close}{close}"), &close.to_string());
        }
    }
    ident.to_owned()
}

/// Whether a `CREATE TABLE` statement says AUTOINCREMENT (which only a lone
/// INTEGER PRIMARY KEY may), not inside a name or a string.
pub(crate) fn autoincrements(create_table: &str) -> bool {
    !keyword_positions(create_table, "AUTOINCREMENT", 1).is_empty()
}

/// Whether a `CREATE TABLE` statement makes a table WITHOUT ROWID.
pub(crate) fn without_rowid(create_table: &str) -> bool {
    keyword_positions(create_table, "WITHOUT", 0)
        .into_iter()
        .any(|at| {
            create_table[at + "WITHOUT".len()..]
                .trim_start()
                .to_ascii_uppercase()
                .starts_with("ROWID")
        })
}

/// The CHECK constraints of a `CREATE TABLE` statement, column-level and
/// table-level, with their names where `CONSTRAINT <name>` gives one.
pub(crate) fn table_checks(create_table: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    for at in keyword_positions(create_table, "CHECK", 1) {
        let Some(open) = create_table[at..].find('(').map(|o| o + at) else {
            continue;
        };
        let Some((expression, _)) = enclosed(create_table, open) else {
            continue;
        };
        checks.push(Check {
            name: constraint_name(&create_table[..at]),
            expression: expression.to_owned(),
            column: None,
        });
    }
    checks
}

/// The name in `CONSTRAINT <name>`, if that is what `before` ends with; a
/// quoted name may hold spaces.
fn constraint_name(before: &str) -> Option<String> {
    let before = before.trim_end();
    let name_start = match before.chars().next_back()? {
        quote @ ('"' | '`') => quoted_start(before, quote)?,
        ']' => before.rfind('[')?,
        _ => before.trim_end_matches(|c: char| !c.is_whitespace()).len(),
    };
    let (rest, name) = before.split_at(name_start);
    let rest = rest.trim_end();
    let word_start = rest
        .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
        .len();
    rest[word_start..]
        .eq_ignore_ascii_case("CONSTRAINT")
        .then(|| unquote(name))
}

/// Where the identifier that `text` ends with, quoted with `quote`, opens;
/// a doubled quote is part of the name.
fn quoted_start(text: &str, quote: char) -> Option<usize> {
    let mut end = text.len() - quote.len_utf8();
    loop {
        let at = text[..end].rfind(quote)?;
        if !text[..at].ends_with(quote) {
            return Some(at);
        }
        end = at - quote.len_utf8();
    }
}

/// The key parts and the `WHERE` predicate of a `CREATE INDEX` statement.
pub(crate) fn index_parts(create_index: &str) -> (Vec<String>, Option<String>) {
    let on = keyword_positions(create_index, "ON", 0);
    let Some(open) = on
        .first()
        .and_then(|at| create_index[*at..].find('(').map(|o| o + at))
    else {
        return (Vec::new(), None);
    };
    let Some((list, close)) = enclosed(create_index, open) else {
        return (Vec::new(), None);
    };
    let parts = split_top_level(list).into_iter().map(str::to_owned).collect();
    let rest = &create_index[close + 1..];
    let predicate = keyword_positions(rest, "WHERE", 0).first().map(|at| {
        rest[at + "WHERE".len()..]
            .trim()
            .trim_end_matches(';')
            .trim()
            .to_owned()
    });
    (parts, predicate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;
    use proptest::test_runner::contextualize_config;

    #[test]
    fn checks_are_found_with_and_without_names() {
        let sql = r#"CREATE TABLE "t" ( "a" integer NOT NULL CHECK (a > 0), "b" text DEFAULT 'CHECK (x)',
            CONSTRAINT "b_short" CHECK (length(b) < 10), CHECK ((a) <> 3) )"#;
        assert_eq!(
            table_checks(sql),
            [
                Check::new("a > 0"),
                Check::new("length(b) < 10").name("b_short"),
                Check::new("(a) <> 3"),
            ]
        );
    }

    #[test]
    fn a_quoted_check_name_keeps_its_spaces_and_quotes() {
        let sql = r#"CREATE TABLE "t" ( "a" integer, CONSTRAINT "not negative" CHECK (a >= 0),
            CONSTRAINT [x y] CHECK (a < 9), CONSTRAINT "say ""hi""" CHECK (a <> 3), CONSTRAINT plain CHECK (a <> 4) )"#;
        let names: Vec<Option<String>> = table_checks(sql).into_iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                Some("not negative".to_owned()),
                Some("x y".to_owned()),
                Some(r#"say "hi""#.to_owned()),
                Some("plain".to_owned()),
            ]
        );
    }

    #[test]
    fn check_names_are_read_whole_however_quoted() {
        let sql = r#"CREATE TABLE "t" ( "a" integer CONSTRAINT "it's ""not"" negative" CHECK ("a" >= 0),
            CONSTRAINT `back``tick name` CHECK (a < 9), CONSTRAINT [x y] CHECK (a <> 3),
            CONSTRAINT "pk" PRIMARY KEY ("a"), CHECK (a <> 4) )"#;
        let names: Vec<Option<String>> = table_checks(sql).into_iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                Some(r#"it's "not" negative"#.to_owned()),
                Some("back`tick name".to_owned()),
                Some("x y".to_owned()),
                None
            ]
        );
    }

    #[test]
    fn keywords_inside_names_and_strings_do_not_count() {
        let plain = r#"CREATE TABLE "AUTOINCREMENT" ( "k" text NOT NULL PRIMARY KEY,
            "WITHOUT ROWID" text DEFAULT 'AUTOINCREMENT, WITHOUT ROWID' )"#;
        assert!(!autoincrements(plain) && !without_rowid(plain));
        let both = r#"CREATE TABLE "t" ( "id" integer NOT NULL PRIMARY KEY autoincrement ) without  rowid"#;
        assert!(autoincrements(both) && without_rowid(both));
    }

    #[test]
    fn index_expressions_and_predicates() {
        let sql =
            r#"CREATE UNIQUE INDEX "ix" ON "t" ("a", lower("b"), substr(c, 1, 2)) WHERE a > 0 AND b <> 'x'"#;
        assert_eq!(
            index_parts(sql),
            (
                vec![
                    r#""a""#.to_owned(),
                    r#"lower("b")"#.to_owned(),
                    "substr(c, 1, 2)".to_owned()
                ],
                Some("a > 0 AND b <> 'x'".to_owned())
            )
        );
        assert_eq!(index_parts(r#"CREATE INDEX "i" ON "t" ("a")"#).1, None);
    }

    // Fuzzing: whatever SQL text the catalog holds, the scanners read it or
    // find nothing, never panic; and what they read from the DDL autogen
    // writes is exactly what was written.

    /// A SQL condition: names bare and quoted, literals holding quotes,
    /// parentheses, commas and keywords, operators, calls.
    fn condition() -> impl Strategy<Value = String> {
        let literal = "[a-z ,()'\"CHECKWHERE]{0,8}".prop_map(|s| format!("'{}'", s.replace('\'', "''")));
        let quoted = "[a-z ()',]{1,6}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\"")));
        let leaf = prop_oneof![
            "[a-z_][a-z0-9_]{0,5}".prop_filter("a keyword the scanners look for", |w| {
                !["check", "on", "where"].contains(&w.as_str())
            }),
            literal,
            quoted,
            "[a-z]{1,4}".prop_map(|s| format!("`{s}`")),
            "[a-z]{1,4}".prop_map(|s| format!("[{s}]")),
            (0u32..1000).prop_map(|n| n.to_string()),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                (
                    inner.clone(),
                    select(vec!["=", "<>", ">=", "AND", "OR", "||", "IN"]),
                    inner.clone()
                )
                    .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
                inner.clone().prop_map(|e| format!("({e})")),
                vec(inner, 1..=3).prop_map(|args| format!("f({})", args.join(", "))),
            ]
        })
    }

    proptest! {
        #![proptest_config(contextualize_config(ProptestConfig::with_cases(2000)))]

        #[test]
        fn any_text_scans_to_pieces_of_itself(text in crate::fuzz::sql_text()) {
            for check in table_checks(&text) {
                prop_assert!(text.contains(&check.expression), "{:?}", check);
            }
            let (parts, predicate) = index_parts(&text);
            for piece in parts.iter().chain(&predicate) {
                prop_assert!(text.contains(piece.as_str()), "{:?}", piece);
            }
        }

        #[test]
        fn checks_are_read_as_written(
            checks in vec((proptest::option::of("[a-z_ ]{1,8}"), condition()), 0..=3),
            inline in condition(),
        ) {
            let mut sql = format!(r#"CREATE TABLE "t" ( "a" integer NOT NULL CHECK ({inline}), "b" text DEFAULT 'CHECK (b)'"#);
            for (name, condition) in &checks {
                match name {
                    Some(name) => sql.push_str(&format!(r#", CONSTRAINT "{name}" CHECK ({condition})"#)),
                    None => sql.push_str(&format!(", CHECK ({condition})")),
                }
            }
            sql.push_str(" )");
            let mut expected = vec![Check::new(inline.trim())];
            expected.extend(checks.iter().map(|(name, condition)| Check {
                name: name.clone(),
                ..Check::new(condition.trim())
            }));
            prop_assert_eq!(table_checks(&sql), expected, "{}", sql);
        }

        #[test]
        fn index_parts_are_read_as_written(
            parts in vec(prop_oneof![condition(), "[a-z]{1,5}".prop_map(|c| format!("\"{c}\""))], 1..=3),
            predicate in proptest::option::of(condition()),
        ) {
            let mut sql = format!(r#"CREATE UNIQUE INDEX "ix" ON "t" ({})"#, parts.join(", "));
            if let Some(predicate) = &predicate {
                sql.push_str(&format!(" WHERE {predicate}"));
            }
            prop_assert_eq!(index_parts(&sql), (parts, predicate), "{}", sql);
        }
    }
}

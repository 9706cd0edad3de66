//! Edits of a field's `#[sea_orm(...)]` items, as byte splices of the file.

use super::{EntityField, EntityFormat, EntitySource, EntitySourceError, SeaOrmAttribute, SourceProblem};
use std::fmt;
use std::ops::Range;

/// One change to one column's attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnEdit {
    /// The column, by its name in the database.
    pub column: String,
    /// What changes.
    pub change: AttributeChange,
}

/// A change to one item of a field's `#[sea_orm(...)]`.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeChange {
    /// Adds the item; the field must not have one of its kind.
    Add(ColumnAttribute),
    /// Replaces the field's item of this kind.
    Replace(ColumnAttribute),
    /// Removes the field's items of this kind.
    Remove(AttributeKey),
}

/// A column attribute SeaORM reads, with its value.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnAttribute {
    /// `indexed`: a non-unique index on the column.
    Indexed,
    /// `unique`: a single-column UNIQUE constraint.
    Unique,
    /// `unique_key = "name"`: the column is part of the unique index `name`.
    UniqueKey(String),
    /// `default_value = <literal>`.
    DefaultValue(DefaultLiteral),
    /// `default_expr = "<Rust expression>"`, e.g. `Expr::current_timestamp()`,
    /// evaluated where the entity is declared.
    DefaultExpr(String),
    /// `column_type = "<ColumnType variant>"`, as sea-orm-macros reads it after
    /// `ColumnType::`: `Text`, `String(StringLen::N(50))`, `Decimal(Some((10, 2)))`.
    ColumnType(String),
    /// `comment = "..."`.
    Comment(String),
}

/// A literal `default_value`.
#[derive(Clone, Debug, PartialEq)]
pub enum DefaultLiteral {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A finite float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

/// The kind of a [`ColumnAttribute`]: the item's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)] // Each is the attribute of the same name.
pub enum AttributeKey {
    Indexed,
    Unique,
    UniqueKey,
    DefaultValue,
    DefaultExpr,
    ColumnType,
    Comment,
}

impl ColumnEdit {
    /// Adds `attribute` to `column`.
    pub fn add(column: impl Into<String>, attribute: ColumnAttribute) -> Self {
        Self {
            column: column.into(),
            change: AttributeChange::Add(attribute),
        }
    }

    /// Replaces `column`'s item of `attribute`'s kind with it.
    pub fn replace(column: impl Into<String>, attribute: ColumnAttribute) -> Self {
        Self {
            column: column.into(),
            change: AttributeChange::Replace(attribute),
        }
    }

    /// Removes `column`'s `key` items.
    pub fn remove(column: impl Into<String>, key: AttributeKey) -> Self {
        Self {
            column: column.into(),
            change: AttributeChange::Remove(key),
        }
    }
}

impl AttributeChange {
    /// The kind of item it changes.
    pub fn key(&self) -> AttributeKey {
        match self {
            Self::Add(attribute) | Self::Replace(attribute) => attribute.key(),
            Self::Remove(key) => *key,
        }
    }
}

impl ColumnAttribute {
    /// Its kind.
    pub fn key(&self) -> AttributeKey {
        match self {
            Self::Indexed => AttributeKey::Indexed,
            Self::Unique => AttributeKey::Unique,
            Self::UniqueKey(_) => AttributeKey::UniqueKey,
            Self::DefaultValue(_) => AttributeKey::DefaultValue,
            Self::DefaultExpr(_) => AttributeKey::DefaultExpr,
            Self::ColumnType(_) => AttributeKey::ColumnType,
            Self::Comment(_) => AttributeKey::Comment,
        }
    }

    /// The item as it is written: `unique`, `default_value = "draft"`.
    fn item(&self) -> Result<String, SourceProblem> {
        let key = self.key();
        let value = match self {
            Self::Indexed | Self::Unique => return Ok(key.to_string()),
            Self::UniqueKey(name) | Self::Comment(name) => string_literal(name),
            Self::DefaultValue(literal) => literal.to_literal()?,
            // sea-orm-macros parses both strings as Rust: `default_expr` into
            // `.default(<expr>)`, `column_type` after `ColumnType::`.
            Self::DefaultExpr(expr) => {
                syn::parse_str::<syn::Expr>(expr).map_err(|e| invalid(key, expr, e))?;
                string_literal(expr)
            }
            Self::ColumnType(variant) => {
                let expr = syn::parse_str::<syn::Expr>(&format!("ColumnType::{variant}"))
                    .map_err(|e| invalid(key, variant, e))?;
                let is_variant = match &expr {
                    syn::Expr::Path(_) => true,
                    syn::Expr::Call(call) => matches!(*call.func, syn::Expr::Path(_)),
                    _ => false,
                };
                if !is_variant {
                    return Err(invalid(
                        key,
                        variant,
                        "a `ColumnType` variant, e.g. `Text` or `String(StringLen::N(50))`",
                    ));
                }
                string_literal(variant)
            }
        };
        Ok(format!("{key} = {value}"))
    }
}

impl DefaultLiteral {
    fn to_literal(&self) -> Result<String, SourceProblem> {
        Ok(match self {
            Self::String(s) => string_literal(s),
            Self::Integer(i) => proc_macro2::Literal::i64_unsuffixed(*i).to_string(),
            Self::Float(f) if f.is_finite() => proc_macro2::Literal::f64_unsuffixed(*f).to_string(),
            Self::Float(f) => return Err(invalid(AttributeKey::DefaultValue, f, "a finite number")),
            Self::Bool(b) => b.to_string(),
        })
    }
}

impl AttributeKey {
    /// The item's name, as SeaORM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Indexed => "indexed",
            Self::Unique => "unique",
            Self::UniqueKey => "unique_key",
            Self::DefaultValue => "default_value",
            Self::DefaultExpr => "default_expr",
            Self::ColumnType => "column_type",
            Self::Comment => "comment",
        }
    }
}

impl fmt::Display for AttributeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn string_literal(value: &str) -> String {
    proc_macro2::Literal::string(value).to_string()
}

fn invalid(key: AttributeKey, value: impl fmt::Display, reason: impl fmt::Display) -> SourceProblem {
    SourceProblem::InvalidValue {
        key,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// Replace `range` of the text with `text`.
#[derive(Debug)]
struct Splice {
    range: Range<usize>,
    text: String,
}

impl EntitySource {
    /// The file's text with `edits` made, every other byte as it was.
    ///
    /// An item added to a field that has a `#[sea_orm(...)]` goes into its
    /// last one, after its last item (on a line of its own where the items
    /// are); a field without one gets a `#[sea_orm(...)]` line directly
    /// above it, indented as it is. A replaced or removed item changes only its
    /// own bytes (and a comma); an attribute left empty goes, with its line.
    /// All edits are made at once, or none: the first one that cannot be made
    /// is the error.
    pub fn edit(&self, edits: &[ColumnEdit]) -> Result<String, EntitySourceError> {
        let mut columns: Vec<&str> = Vec::new();
        for edit in edits {
            if !columns.contains(&edit.column.as_str()) {
                columns.push(&edit.column);
            }
        }
        if let (EntityFormat::Expanded, Some(column)) = (self.format, columns.first()) {
            return Err(self.error(
                self.line,
                SourceProblem::ExpandedFormat {
                    table: self.qualified_table(),
                    column: (*column).to_owned(),
                },
            ));
        }
        let mut splices = Vec::new();
        for column in columns {
            let field = self.column(column).ok_or_else(|| {
                self.error(
                    self.line,
                    SourceProblem::NoSuchColumn {
                        table: self.qualified_table(),
                        column: column.to_owned(),
                    },
                )
            })?;
            let changes: Vec<&AttributeChange> = edits
                .iter()
                .filter(|e| e.column == column)
                .map(|e| &e.change)
                .collect();
            splices.extend(
                self.field_splices(field, &changes)
                    .map_err(|p| self.error(field.line, p))?,
            );
        }
        // Back to front, so each splice's offsets still hold when it is made.
        splices.sort_by_key(|s| std::cmp::Reverse((s.range.start, s.range.end)));
        let mut text = self.text.clone();
        for splice in splices {
            text.replace_range(splice.range, &splice.text);
        }
        Ok(text)
    }

    fn field_splices(
        &self,
        field: &EntityField,
        changes: &[&AttributeChange],
    ) -> Result<Vec<Splice>, SourceProblem> {
        let column = || field.column.clone();
        let mut splices = Vec::new();
        let mut added = Vec::new();
        // Per attribute, per item: whether it stays.
        let mut kept: Vec<Vec<bool>> = field
            .attributes
            .iter()
            .map(|a| vec![true; a.items.len()])
            .collect();
        for (i, change) in changes.iter().enumerate() {
            let key = change.key();
            if changes[..i].iter().any(|earlier| earlier.key() == key) {
                return Err(SourceProblem::ConflictingEdits {
                    column: column(),
                    key,
                });
            }
            match change {
                AttributeChange::Add(attribute) => {
                    if field.item(key.as_str()).is_some() {
                        return Err(SourceProblem::AlreadySet {
                            column: column(),
                            key,
                        });
                    }
                    if key == AttributeKey::ColumnType && field.custom_type {
                        return Err(SourceProblem::TypeDeclaredElsewhere {
                            column: column(),
                            rust_type: field.rust_type.clone(),
                        });
                    }
                    added.push(attribute.item()?);
                }
                AttributeChange::Replace(attribute) => {
                    let item = field.item(key.as_str()).ok_or(SourceProblem::NothingToReplace {
                        column: column(),
                        key,
                    })?;
                    splices.push(Splice {
                        range: item.range.clone(),
                        text: attribute.item()?,
                    });
                }
                AttributeChange::Remove(_) => {
                    let mut found = false;
                    for (attribute, kept) in field.attributes.iter().zip(&mut kept) {
                        for (item, kept) in attribute.items.iter().zip(kept) {
                            if item.key == key.as_str() {
                                *kept = false;
                                found = true;
                            }
                        }
                    }
                    if !found {
                        return Err(SourceProblem::NothingToRemove {
                            column: column(),
                            key,
                        });
                    }
                }
            }
        }
        let Some(last) = field.attributes.len().checked_sub(1) else {
            if !added.is_empty() {
                splices.push(self.new_attribute(field, &added));
            }
            return Ok(splices);
        };
        for (index, (attribute, kept)) in field.attributes.iter().zip(&kept).enumerate() {
            let adds: &[String] = if index == last { &added } else { &[] };
            splices.extend(self.attribute_splices(attribute, kept, adds));
        }
        Ok(splices)
    }

    /// The splices that remove `attribute`'s items not `kept` and add `added`
    /// after its last.
    fn attribute_splices(&self, attribute: &SeaOrmAttribute, kept: &[bool], added: &[String]) -> Vec<Splice> {
        let items = &attribute.items;
        if !items.is_empty() && kept.iter().all(|k| !k) {
            return vec![if added.is_empty() {
                self.remove_attribute(attribute)
            } else {
                Splice {
                    range: items[0].range.start..items[items.len() - 1].range.end,
                    text: added.join(", "),
                }
            }];
        }
        let mut splices = Vec::new();
        // Each run of removed items goes with the comma before it, or, at
        // the start of the list, with the comma after it.
        let mut index = 0;
        while index < items.len() {
            if kept[index] {
                index += 1;
                continue;
            }
            let run_start = index;
            while index < items.len() && !kept[index] {
                index += 1;
            }
            let range = match run_start.checked_sub(1) {
                Some(before) => items[before].range.end..items[index - 1].range.end,
                None => items[run_start].range.start..items[index].range.start,
            };
            splices.push(Splice {
                range,
                text: String::new(),
            });
        }
        if !added.is_empty() {
            splices.push(self.insertion(attribute, added));
        }
        splices
    }

    /// `added` after `attribute`'s last item: `, item` on its line, or
    /// `,\n    item` where the items are each on a line.
    fn insertion(&self, attribute: &SeaOrmAttribute, added: &[String]) -> Splice {
        let Some(last) = attribute.items.last() else {
            return Splice {
                range: attribute.open..attribute.open,
                text: added.join(", "),
            };
        };
        let text = &self.text;
        let last_line_start = line_start(text, last.range.start);
        let own_line = line_start(text, attribute.open) != last_line_start
            && text[last_line_start..last.range.start].trim().is_empty();
        let before_item = if own_line {
            format!(
                "{}{}",
                line_ending(text, attribute.open),
                &text[last_line_start..last.range.start]
            )
        } else {
            " ".to_owned()
        };
        let (at, text) = match attribute.trailing_comma {
            Some(after_comma) => (
                after_comma,
                added.iter().map(|item| format!("{before_item}{item},")).collect(),
            ),
            None => (
                last.range.end,
                added.iter().map(|item| format!(",{before_item}{item}")).collect(),
            ),
        };
        Splice { range: at..at, text }
    }

    /// `#[sea_orm(added)]` above the field, indented as it is; before it on its
    /// line if something else (an attribute) precedes it there.
    fn new_attribute(&self, field: &EntityField, added: &[String]) -> Splice {
        let text = &self.text;
        let at = field.declaration_start;
        let start = line_start(text, at);
        let indent = &text[start..at];
        let attribute = format!("#[sea_orm({})]", added.join(", "));
        if indent.trim().is_empty() {
            Splice {
                range: start..start,
                text: format!("{indent}{attribute}{}", line_ending(text, at)),
            }
        } else {
            Splice {
                range: at..at,
                text: format!("{attribute} "),
            }
        }
    }

    /// `attribute` gone: its line, if it is alone there, else it and the
    /// spaces after it.
    fn remove_attribute(&self, attribute: &SeaOrmAttribute) -> Splice {
        let text = &self.text;
        let Range { start, end } = attribute.range;
        let line_start = line_start(text, start);
        let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
        let range = if text[line_start..start].trim().is_empty() && text[end..line_end].trim().is_empty() {
            line_start..line_end
        } else {
            start..end + (text[end..].len() - text[end..].trim_start_matches([' ', '\t']).len())
        };
        Splice {
            range,
            text: String::new(),
        }
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The line ending of the line `at` is on: `\r\n` or `\n`.
fn line_ending(text: &str, at: usize) -> &'static str {
    match text[at..].find('\n') {
        Some(i) if text[..at + i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttributeKey as Key;
    use ColumnAttribute as Attr;

    const CLASSIC: &str = r#"use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "post")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Who wrote it.
    #[serde(skip)]
    pub user_id: i32,
    #[sea_orm(unique, default_value = "x")]
    pub title: String,
    #[sea_orm(
        column_type = "Text",
        comment = "The body"
    )]
    pub body: String,
    pub state: Status,
}
"#;

    const DENSE: &str = r#"#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "book")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub author_id: i32,
    #[sea_orm(unique)]
    pub isbn: String,
    #[sea_orm(belongs_to, from = "author_id", to = "id")]
    pub author: BelongsTo<super::author::Entity>,
}
"#;

    fn edit(text: &str, edits: &[ColumnEdit]) -> Result<String, EntitySourceError> {
        EntitySource::parse("src/entity.rs", text)
            .unwrap()
            .unwrap()
            .edit(edits)
    }

    fn problem(text: &str, edits: &[ColumnEdit]) -> String {
        edit(text, edits).unwrap_err().to_string()
    }

    /// `text` with each `(old, new)` replaced once: the expected bytes.
    fn with(text: &str, replacements: &[(&str, &str)]) -> String {
        replacements.iter().fold(text.to_owned(), |text, (old, new)| {
            assert!(text.contains(old), "{old:?}");
            text.replacen(old, new, 1)
        })
    }

    #[test]
    fn each_attribute_is_written_as_seaorm_reads_it() {
        let cases = [
            (Attr::Indexed, "indexed"),
            (Attr::Unique, "unique"),
            (Attr::UniqueKey("by_author".into()), r#"unique_key = "by_author""#),
            (
                Attr::DefaultValue(DefaultLiteral::String("a \"b\" \\ c".into())),
                r#"default_value = "a \"b\" \\ c""#,
            ),
            (
                Attr::DefaultValue(DefaultLiteral::Integer(-3)),
                "default_value = -3",
            ),
            (
                Attr::DefaultValue(DefaultLiteral::Float(2.0)),
                "default_value = 2.0",
            ),
            (
                Attr::DefaultValue(DefaultLiteral::Float(0.25)),
                "default_value = 0.25",
            ),
            (
                Attr::DefaultValue(DefaultLiteral::Bool(false)),
                "default_value = false",
            ),
            (
                Attr::DefaultExpr("Expr::current_timestamp()".into()),
                r#"default_expr = "Expr::current_timestamp()""#,
            ),
            (
                Attr::DefaultExpr(r#"Expr::cust("'a'")"#.into()),
                r#"default_expr = "Expr::cust(\"'a'\")""#,
            ),
            (
                Attr::ColumnType("String(StringLen::N(50))".into()),
                r#"column_type = "String(StringLen::N(50))""#,
            ),
            (
                Attr::ColumnType("Decimal(Some((10, 2)))".into()),
                r#"column_type = "Decimal(Some((10, 2)))""#,
            ),
            (
                Attr::ColumnType("Timestamp".into()),
                r#"column_type = "Timestamp""#,
            ),
            (
                Attr::Comment("line one\nline two".into()),
                r#"comment = "line one\nline two""#,
            ),
        ];
        for (attribute, item) in cases {
            assert_eq!(
                edit(CLASSIC, &[ColumnEdit::add("id", attribute)]).unwrap(),
                with(
                    CLASSIC,
                    &[(
                        "#[sea_orm(primary_key)]",
                        &format!("#[sea_orm(primary_key, {item})]")
                    )]
                )
            );
        }
    }

    #[test]
    fn a_field_without_sea_orm_gets_a_line_above_it_after_its_docs_and_attributes() {
        assert_eq!(
            edit(
                CLASSIC,
                &[
                    ColumnEdit::add("user_id", Attr::Indexed),
                    ColumnEdit::add("user_id", Attr::DefaultValue(DefaultLiteral::Integer(0))),
                ]
            )
            .unwrap(),
            with(
                CLASSIC,
                &[(
                    "    #[serde(skip)]\n    pub user_id",
                    "    #[serde(skip)]\n    #[sea_orm(indexed, default_value = 0)]\n    pub user_id"
                )]
            )
        );
    }

    #[test]
    fn an_item_joins_a_multi_line_attribute_on_a_line_of_its_own() {
        assert_eq!(
            edit(CLASSIC, &[ColumnEdit::add("body", Attr::Indexed)]).unwrap(),
            with(
                CLASSIC,
                &[(
                    "        comment = \"The body\"\n",
                    "        comment = \"The body\",\n        indexed\n"
                )]
            )
        );
    }

    #[test]
    fn a_trailing_comma_stays_last() {
        let text = CLASSIC.replace("default_value = \"x\")]", "default_value = \"x\",)]");
        assert_eq!(
            edit(&text, &[ColumnEdit::add("title", Attr::Indexed)]).unwrap(),
            with(
                &text,
                &[("default_value = \"x\",)]", "default_value = \"x\", indexed,)]")]
            )
        );
        let text = CLASSIC.replace("comment = \"The body\"\n", "comment = \"The body\",\n");
        assert_eq!(
            edit(&text, &[ColumnEdit::add("body", Attr::Indexed)]).unwrap(),
            with(
                &text,
                &[(
                    "        comment = \"The body\",\n",
                    "        comment = \"The body\",\n        indexed,\n"
                )]
            )
        );
    }

    #[test]
    fn replacing_or_removing_touches_that_item_and_one_comma() {
        let cases: [(ColumnEdit, &str, &str); 5] = [
            (
                ColumnEdit::replace(
                    "title",
                    Attr::DefaultValue(DefaultLiteral::String("draft".into())),
                ),
                "#[sea_orm(unique, default_value = \"x\")]",
                "#[sea_orm(unique, default_value = \"draft\")]",
            ),
            (
                ColumnEdit::remove("title", Key::Unique),
                "#[sea_orm(unique, default_value = \"x\")]",
                "#[sea_orm(default_value = \"x\")]",
            ),
            (
                ColumnEdit::remove("title", Key::DefaultValue),
                "#[sea_orm(unique, default_value = \"x\")]",
                "#[sea_orm(unique)]",
            ),
            (
                ColumnEdit::remove("body", Key::Comment),
                "        column_type = \"Text\",\n        comment = \"The body\"\n",
                "        column_type = \"Text\"\n",
            ),
            (
                ColumnEdit::remove("body", Key::ColumnType),
                "        column_type = \"Text\",\n        comment = \"The body\"\n",
                "        comment = \"The body\"\n",
            ),
        ];
        for (change, old, new) in cases {
            assert_eq!(edit(CLASSIC, &[change]).unwrap(), with(CLASSIC, &[(old, new)]));
        }
    }

    #[test]
    fn an_attribute_left_empty_goes_with_its_line_unless_an_item_takes_its_place() {
        assert_eq!(
            edit(DENSE, &[ColumnEdit::remove("isbn", Key::Unique)]).unwrap(),
            with(DENSE, &[("    #[sea_orm(unique)]\n", "")])
        );
        assert_eq!(
            edit(
                CLASSIC,
                &[
                    ColumnEdit::remove("title", Key::Unique),
                    ColumnEdit::remove("title", Key::DefaultValue),
                    ColumnEdit::add("title", Attr::DefaultExpr("Expr::value(\"y\")".into())),
                ]
            )
            .unwrap(),
            with(
                CLASSIC,
                &[(
                    "#[sea_orm(unique, default_value = \"x\")]",
                    r#"#[sea_orm(default_expr = "Expr::value(\"y\")")]"#
                )]
            )
        );
        let inline = DENSE.replace(
            "    #[sea_orm(unique)]\n    pub isbn",
            "    #[sea_orm(unique)] pub isbn",
        );
        assert_eq!(
            edit(&inline, &[ColumnEdit::remove("isbn", Key::Unique)]).unwrap(),
            with(&inline, &[("#[sea_orm(unique)] pub isbn", "pub isbn")])
        );
    }

    #[test]
    fn a_dense_entity_is_edited_across_fields_at_once() {
        assert_eq!(
            edit(
                DENSE,
                &[
                    ColumnEdit::add("author_id", Attr::Indexed),
                    ColumnEdit::remove("isbn", Key::Unique),
                    ColumnEdit::add("isbn", Attr::UniqueKey("isbn_key".into())),
                    ColumnEdit::add("id", Attr::Comment("Key".into())),
                ]
            )
            .unwrap(),
            with(
                DENSE,
                &[
                    (
                        "#[sea_orm(primary_key)]",
                        "#[sea_orm(primary_key, comment = \"Key\")]"
                    ),
                    ("    pub author_id", "    #[sea_orm(indexed)]\n    pub author_id"),
                    ("#[sea_orm(unique)]", "#[sea_orm(unique_key = \"isbn_key\")]"),
                ]
            )
        );
    }

    #[test]
    fn crlf_line_endings_are_kept() {
        let text = CLASSIC.replace('\n', "\r\n");
        let edited = edit(
            &text,
            &[
                ColumnEdit::add("user_id", Attr::Indexed),
                ColumnEdit::add("body", Attr::Unique),
                ColumnEdit::remove("title", Key::Unique),
            ],
        )
        .unwrap();
        let expected = with(
            CLASSIC,
            &[
                ("    pub user_id", "    #[sea_orm(indexed)]\n    pub user_id"),
                (
                    "comment = \"The body\"\n",
                    "comment = \"The body\",\n        unique\n",
                ),
                ("#[sea_orm(unique, default_value", "#[sea_orm(default_value"),
            ],
        )
        .replace('\n', "\r\n");
        assert_eq!(edited, expected);
    }

    #[test]
    fn a_field_whose_line_holds_more_gets_the_attribute_before_it_on_that_line() {
        let text = "#[derive(DeriveEntityModel)]\n#[sea_orm(table_name = \"t\")]\npub struct Model { #[serde(skip)] pub a: i32, b: i32 }\n";
        assert_eq!(
            edit(text, &[ColumnEdit::add("a", Attr::Indexed), ColumnEdit::add("b", Attr::Unique)]).unwrap(),
            "#[derive(DeriveEntityModel)]\n#[sea_orm(table_name = \"t\")]\npub struct Model { #[serde(skip)] #[sea_orm(indexed)] pub a: i32, #[sea_orm(unique)] b: i32 }\n"
        );
    }

    #[test]
    fn what_cannot_be_written_is_an_error_naming_the_file_the_line_and_what_to_do() {
        let cases: [(&str, Vec<ColumnEdit>, &str); 9] = [
            (
                CLASSIC,
                vec![ColumnEdit::add("missing", Attr::Indexed)],
                "src/entity.rs:5: `post` has no field for column `missing`; add the field to its `Model` first",
            ),
            (
                CLASSIC,
                vec![ColumnEdit::add("title", Attr::Unique)],
                "src/entity.rs:12: column `title` already has `unique`; replace it rather than add another",
            ),
            (
                CLASSIC,
                vec![ColumnEdit::replace("user_id", Attr::Unique)],
                "src/entity.rs:10: column `user_id` has no `unique` to replace; add it instead",
            ),
            (
                CLASSIC,
                vec![ColumnEdit::remove("user_id", Key::Indexed)],
                "src/entity.rs:10: column `user_id` has no `indexed` to remove",
            ),
            (
                CLASSIC,
                vec![ColumnEdit::add("id", Attr::Indexed), ColumnEdit::remove("id", Key::Indexed)],
                "src/entity.rs:7: column `id` has two edits of `indexed`; give each item one edit",
            ),
            (
                CLASSIC,
                vec![ColumnEdit::add("state", Attr::ColumnType("Text".into()))],
                "src/entity.rs:18: column `state` is a `Status`, whose column type is declared with that type \
                 (an ActiveEnum's `db_type`, a value type's `column_type`), not in this file; change it there",
            ),
            (
                CLASSIC,
                vec![ColumnEdit::add("id", Attr::ColumnType("Text.len()".into()))],
                "src/entity.rs:7: `column_type` cannot be Text.len(): a `ColumnType` variant, e.g. `Text` or `String(StringLen::N(50))`",
            ),
            (
                CLASSIC,
                vec![ColumnEdit::add("id", Attr::DefaultValue(DefaultLiteral::Float(f64::NAN)))],
                "src/entity.rs:7: `default_value` cannot be NaN: a finite number",
            ),
            (
                "impl EntityName for Entity {\n    fn table_name(&self) -> &'static str {\n        \"ledger\"\n    }\n}\n",
                vec![ColumnEdit::add("memo", Attr::Indexed)],
                "src/entity.rs:1: `ledger` is written in the expanded format, where columns are declared in \
                 `impl ColumnTrait for Column`; change column `memo` there by hand",
            ),
        ];
        for (text, edits, message) in cases {
            assert_eq!(problem(text, &edits), message);
        }
        assert!(problem(
            CLASSIC,
            &[ColumnEdit::add("id", Attr::DefaultExpr("now(".into()))]
        )
        .starts_with("src/entity.rs:7: `default_expr` cannot be now(: "));
        // A type that declares its own column type may still have other items.
        assert!(edit(CLASSIC, &[ColumnEdit::add("state", Attr::Indexed)]).is_ok());
    }
}

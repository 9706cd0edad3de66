//! Entities as their source files declare them, for editing their column attributes.
//!
//! After a database is adopted, its entities (as `sea-orm-cli generate entity`
//! writes them) lag it: they declare no indexes and no defaults. What SeaORM
//! can say about a column is written back into the entity's file as the
//! smallest edit that keeps every other byte (see [`EntitySource::edit`]).
//!
//! Files are read with syn, the parser sea-orm-macros itself uses, and every
//! name is found as sea-orm-macros 2.0 finds it, so a column here is the column
//! SeaORM declares. Text in, text out: the caller reads and writes the files.

mod edit;

pub use edit::{AttributeChange, AttributeKey, ColumnAttribute, ColumnEdit, DefaultLiteral};

use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToTitleCase, ToUpperCamelCase};
use proc_macro2::Span;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Fields, Item, Lit, Meta, Token, Type};

/// How a file declares its entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityFormat {
    /// `#[derive(DeriveEntityModel)]` on `Model`, relations in a `Relation`
    /// enum (`#[sea_orm::compact_model]` or not).
    Classic,
    /// SeaORM 2.0's `#[sea_orm::model]` on a `DeriveEntityModel`: relations
    /// are `HasOne`, `HasMany` and `BelongsTo` fields of `Model`, which are
    /// not columns.
    Dense,
    /// Hand-written `EntityName`, `Column` and `ColumnTrait` impls: columns
    /// are declared in code, not in attributes, so they cannot be edited here.
    Expanded,
}

/// The entity a source file declares.
#[derive(Clone, Debug)]
pub struct EntitySource {
    /// The file, as the caller named it (for messages).
    pub path: PathBuf,
    /// `table_name`.
    pub table: String,
    /// `schema_name`, if it has one.
    pub schema: Option<String>,
    /// How the entity is written.
    pub format: EntityFormat,
    /// The line that declares it: the `Model` struct, or the `EntityName` impl
    /// of an expanded entity.
    pub line: usize,
    /// Its columns, in field order. Empty for [`EntityFormat::Expanded`].
    pub columns: Vec<EntityField>,
    text: String,
}

/// A field of `Model` that is a column.
#[derive(Clone, Debug)]
pub struct EntityField {
    /// The field's name, without `r#`.
    pub ident: String,
    /// The column's name, as SeaORM derives it.
    pub column: String,
    /// The field's type, as written (`Option<String>`).
    pub rust_type: String,
    /// The line of the field's name.
    pub line: usize,
    /// Its `#[sea_orm(...)]` attributes, in order.
    attributes: Vec<SeaOrmAttribute>,
    /// Where the field's declaration starts, after its attributes: its
    /// visibility, else its name.
    declaration_start: usize,
    /// Whether its column type comes from the declaration of a type of its own
    /// (an `ActiveEnum`'s `db_type`, a value type's `column_type`) rather than
    /// from SeaORM.
    custom_type: bool,
}

/// One item of a `#[sea_orm(...)]` attribute: `unique`, `default_value = 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeItem {
    /// Its name: `unique`, `default_value`.
    pub key: String,
    /// The item as written.
    pub text: String,
    range: Range<usize>,
}

/// A `#[sea_orm(...)]` attribute of a field.
#[derive(Clone, Debug)]
struct SeaOrmAttribute {
    /// From `#` to `]`.
    range: Range<usize>,
    /// Just inside its `(`.
    open: usize,
    items: Vec<AttributeItem>,
    /// Just after the comma that ends the list, if one does.
    trailing_comma: Option<usize>,
}

/// Something in an entity file that stops it from being read or edited, and where.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}:{line}: {problem}", path.display())]
pub struct EntitySourceError {
    /// The file, as the caller named it.
    pub path: PathBuf,
    /// The line the problem is at.
    pub line: usize,
    /// What is wrong, and what to do about it.
    pub problem: SourceProblem,
}

/// What stops an entity file from being read or edited.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SourceProblem {
    /// The file is not valid Rust.
    #[error("this is not valid Rust ({0}); fix the file first")]
    Syntax(String),
    /// sea-orm-macros would refuse the entity.
    #[error("SeaORM cannot read this entity: {0}")]
    NotAnEntity(String),
    /// No field of the entity is the column.
    #[error("`{table}` has no field for column `{column}`; add the field to its `Model` first")]
    NoSuchColumn {
        /// The entity's table.
        table: String,
        /// The column asked for.
        column: String,
    },
    /// The entity declares its columns in code.
    #[error(
        "`{table}` is written in the expanded format, where columns are declared in \
         `impl ColumnTrait for Column`; change column `{column}` there by hand"
    )]
    ExpandedFormat {
        /// The entity's table.
        table: String,
        /// The column asked for.
        column: String,
    },
    /// An item is added that the field already has.
    #[error("column `{column}` already has `{key}`; replace it rather than add another")]
    AlreadySet {
        /// The column.
        column: String,
        /// The item's name.
        key: AttributeKey,
    },
    /// An item is replaced that the field does not have.
    #[error("column `{column}` has no `{key}` to replace; add it instead")]
    NothingToReplace {
        /// The column.
        column: String,
        /// The item's name.
        key: AttributeKey,
    },
    /// An item is removed that the field does not have.
    #[error("column `{column}` has no `{key}` to remove")]
    NothingToRemove {
        /// The column.
        column: String,
        /// The item's name.
        key: AttributeKey,
    },
    /// Two edits change the same item of a field.
    #[error("column `{column}` has two edits of `{key}`; give each item one edit")]
    ConflictingEdits {
        /// The column.
        column: String,
        /// The item's name.
        key: AttributeKey,
    },
    /// A `column_type` would override the type the field's own type declares.
    #[error(
        "column `{column}` is a `{rust_type}`, whose column type is declared with that type \
         (an ActiveEnum's `db_type`, a value type's `column_type`), not in this file; change it there"
    )]
    TypeDeclaredElsewhere {
        /// The column.
        column: String,
        /// The field's type, as written.
        rust_type: String,
    },
    /// A value SeaORM would not accept in the item.
    #[error("`{key}` cannot be {value}: {reason}")]
    InvalidValue {
        /// The item's name.
        key: AttributeKey,
        /// The value given.
        value: String,
        /// What SeaORM accepts.
        reason: String,
    },
    /// A field whose column autogen cannot read without building the crate.
    #[error(
        "column `{column}`: {reason} (or set `entity_reading = \"compiled\"` in autogen.toml to read \
         entities by building them)"
    )]
    UnreadableColumn {
        /// The field's name.
        column: String,
        /// What cannot be read.
        reason: String,
    },
    /// An entity whose columns are declared in code.
    #[error(
        "`{table}` is written in the expanded format (hand-written `EntityName` and `ColumnTrait` impls), \
         which only building the crate reads; set `entity_reading = \"compiled\"` in autogen.toml"
    )]
    ExpandedEntity {
        /// The entity's table.
        table: String,
    },
    /// Relations written as an `impl RelationTrait` rather than derived.
    #[error(
        "`{table}`'s relations are written by hand (`impl RelationTrait`), which only building the crate \
         reads; derive them (`#[derive(DeriveRelation)]`) or set `entity_reading = \"compiled\"` in autogen.toml"
    )]
    HandWrittenRelations {
        /// The entity's table.
        table: String,
    },
    /// A `belongs_to` whose entity is not among the entity sources.
    #[error("`{table}` belongs to `{target}`, which autogen cannot find: {reason}")]
    UnresolvedRelation {
        /// The entity's table.
        table: String,
        /// The relation's entity path, as written.
        target: String,
        /// What was looked for.
        reason: String,
    },
    /// Two files declare one table.
    #[error(
        "table `{table}` is also declared in {}:{first_line}; keep one entity per table",
        first_path.display()
    )]
    DuplicateTable {
        /// The table, with its schema if it has one.
        table: String,
        /// The file that declared it first.
        first_path: PathBuf,
        /// The line it is declared at there.
        first_line: usize,
    },
}

impl EntitySource {
    /// The entity `text` declares, or `None` if it declares none. `path`
    /// names the file in messages only; nothing is read from it.
    pub fn parse(
        path: impl Into<PathBuf>,
        text: impl Into<String>,
    ) -> Result<Option<Self>, EntitySourceError> {
        let path = path.into();
        let text = text.into();
        // syn reads the text after a byte order mark; offsets count it back.
        let (base, body) = match text.strip_prefix('\u{feff}') {
            Some(rest) => ('\u{feff}'.len_utf8(), rest),
            None => (0, text.as_str()),
        };
        let fail = |line: usize, problem: SourceProblem| EntitySourceError {
            path: path.clone(),
            line,
            problem,
        };
        let file: syn::File = syn::parse_str(body)
            .map_err(|e| fail(e.span().start().line, SourceProblem::Syntax(e.to_string())))?;
        let reader = Reader { text: &text, base };
        let named_in_impl = entity_name_impl(&file);
        let Some(model) = entity_model(&file) else {
            // Without `DeriveEntityModel`, an entity is the expanded format or none.
            return Ok(named_in_impl.map(|(table, schema, line)| EntitySource {
                path,
                table,
                schema,
                format: EntityFormat::Expanded,
                line,
                columns: Vec::new(),
                text,
            }));
        };
        let line = model.ident.span().start().line;
        let options = ModelAttributes::read(&model.attrs)
            .map_err(|reason| fail(line, SourceProblem::NotAnEntity(reason)))?;
        // Without `table_name` the derive declares no `Entity`; the file's own
        // `EntityName` impl names the table then.
        let (table, schema) = match (options.table, named_in_impl) {
            (Some(table), _) => (table, options.schema),
            (None, Some((table, schema, _))) => (table, schema),
            (None, None) => {
                return Err(fail(
                    line,
                    SourceProblem::NotAnEntity("`Model` has no `#[sea_orm(table_name = \"...\")]`".into()),
                ))
            }
        };
        let format = if model.attrs.iter().any(|a| is_dense_marker(a.path())) {
            EntityFormat::Dense
        } else {
            EntityFormat::Classic
        };
        let columns = match &model.fields {
            Fields::Named(fields) => fields
                .named
                .iter()
                .filter_map(|field| reader.column(field, options.rename_all).transpose())
                .collect::<Result<_, _>>()
                .map_err(|(line, reason)| fail(line, SourceProblem::NotAnEntity(reason)))?,
            _ => Vec::new(),
        };
        Ok(Some(EntitySource {
            path,
            table,
            schema,
            format,
            line,
            columns,
            text,
        }))
    }

    /// The file's text, as given to [`EntitySource::parse`].
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The field of column `name`.
    pub fn column(&self, name: &str) -> Option<&EntityField> {
        self.columns.iter().find(|c| c.column == name)
    }

    /// The table's name with its schema, as `schema.table`, if it has one.
    pub fn qualified_table(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.table),
            None => self.table.clone(),
        }
    }

    fn error(&self, line: usize, problem: SourceProblem) -> EntitySourceError {
        EntitySourceError {
            path: self.path.clone(),
            line,
            problem,
        }
    }
}

impl EntityField {
    /// Every item of its `#[sea_orm(...)]` attributes, in order.
    pub fn items(&self) -> impl Iterator<Item = &AttributeItem> {
        self.attributes.iter().flat_map(|a| &a.items)
    }

    /// Its last item called `key` (SeaORM reads the last one).
    pub fn item(&self, key: &str) -> Option<&AttributeItem> {
        self.items().filter(|item| item.key == key).last()
    }
}

/// The entities of a directory's files, by table: which file to edit for a table.
#[derive(Clone, Debug, Default)]
pub struct EntityFiles {
    entities: BTreeMap<(Option<String>, String), EntitySource>,
}

impl EntityFiles {
    /// Reads each `(path, text)`: every file that declares an entity, by its
    /// table. A file that declares none is passed over; a table declared by
    /// two files is an error naming both.
    pub fn read<P, T>(files: impl IntoIterator<Item = (P, T)>) -> Result<Self, EntitySourceError>
    where
        P: Into<PathBuf>,
        T: Into<String>,
    {
        let mut found = Self::default();
        for (path, text) in files {
            let Some(entity) = EntitySource::parse(path, text)? else {
                continue;
            };
            let key = (entity.schema.clone(), entity.table.clone());
            if let Some(first) = found.entities.get(&key) {
                return Err(entity.error(
                    entity.line,
                    SourceProblem::DuplicateTable {
                        table: entity.qualified_table(),
                        first_path: first.path.clone(),
                        first_line: first.line,
                    },
                ));
            }
            found.entities.insert(key, entity);
        }
        Ok(found)
    }

    /// The entity of `table` in `schema` (`None`: an entity without `schema_name`).
    pub fn entity(&self, schema: Option<&str>, table: &str) -> Option<&EntitySource> {
        self.entities.get(&(schema.map(str::to_owned), table.to_owned()))
    }

    /// Every entity, by schema then table.
    pub fn iter(&self) -> impl Iterator<Item = &EntitySource> {
        self.entities.values()
    }
}

/// Turns the spans of one parsed text into its lines and byte offsets.
struct Reader<'a> {
    text: &'a str,
    /// Bytes before what syn read (a byte order mark).
    base: usize,
}

impl Reader<'_> {
    fn bytes(&self, span: Span) -> Range<usize> {
        let range = span.byte_range();
        range.start + self.base..range.end + self.base
    }

    /// The field as a column, `None` if it is not one, or why SeaORM would
    /// refuse it (with its line).
    fn column(
        &self,
        field: &syn::Field,
        rename_all: Option<CaseStyle>,
    ) -> Result<Option<EntityField>, (usize, String)> {
        let ident = field.ident.as_ref().expect("named fields have names");
        let line = ident.span().start().line;
        // `sea_orm::model` and `compact_model` move relation fields to
        // `ModelEx`; without them such a field would not compile.
        if relation_type(&field.ty) {
            return Ok(None);
        }
        let mut attributes = Vec::new();
        let (mut column_name, mut enum_name, mut ignore) = (None, None, false);
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("sea_orm")) {
            let Meta::List(syn::MetaList {
                delimiter: syn::MacroDelimiter::Paren(paren),
                ..
            }) = &attr.meta
            else {
                continue;
            };
            let metas = attr
                .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                .map_err(|e| (e.span().start().line, e.to_string()))?;
            for meta in &metas {
                match meta_key(meta).as_str() {
                    "column_name" => column_name = string_value(meta),
                    "enum_name" => enum_name = string_value(meta),
                    "ignore" => ignore = true,
                    _ => {}
                }
            }
            attributes.push(SeaOrmAttribute {
                range: self.bytes(attr.span()),
                open: self.bytes(paren.span.open()).end,
                items: metas
                    .iter()
                    .map(|meta| {
                        let range = self.bytes(meta.span());
                        AttributeItem {
                            key: meta_key(meta),
                            text: self.text[range.clone()].to_owned(),
                            range,
                        }
                    })
                    .collect(),
                trailing_comma: metas
                    .pairs()
                    .next_back()
                    .and_then(|pair| pair.punct().map(|comma| self.bytes(comma.span).end)),
            });
        }
        if ignore {
            return Ok(None);
        }
        let name = ident.unraw().to_string();
        let declaration_start = match &field.vis {
            syn::Visibility::Inherited => self.bytes(ident.span()).start,
            vis => self.bytes(vis.span()).start,
        };
        Ok(Some(EntityField {
            column: column_name.unwrap_or_else(|| derived_column_name(&name, enum_name, rename_all)),
            ident: name,
            rust_type: self.text[self.bytes(field.ty.span())].to_owned(),
            line,
            attributes,
            declaration_start,
            custom_type: !sea_orm_value_type(&field.ty),
        }))
    }
}

/// The column sea-orm-macros names after a field without `column_name`
/// (`DeriveEntityModel`, then `DeriveColumn` on the `Column` variant it makes).
pub(crate) fn derived_column_name(
    ident: &str,
    enum_name: Option<String>,
    rename_all: Option<CaseStyle>,
) -> String {
    let variant = ident.to_upper_camel_case();
    if let Some(style) = rename_all {
        return style.apply(&variant);
    }
    // A name the round trip changes (a leading or trailing `_`, a digit after
    // a letter) is given in snake case; any other is the variant's.
    if ident != variant.to_snake_case() {
        return ident.to_snake_case();
    }
    enum_name.unwrap_or(variant).to_snake_case()
}

/// `#[sea_orm(rename_all = "...")]`, as sea-orm-macros spells and applies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CaseStyle {
    Camel,
    Kebab,
    Mixed,
    ShoutySnake,
    Snake,
    Title,
    Upper,
    Lower,
    ScreamingKebab,
    Pascal,
}

impl CaseStyle {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "camel_case" | "PascalCase" => Self::Pascal,
            "camelCase" => Self::Camel,
            "snake_case" | "snek_case" => Self::Snake,
            "kebab_case" | "kebab-case" => Self::Kebab,
            "SCREAMING-KEBAB-CASE" => Self::ScreamingKebab,
            "shouty_snake_case" | "shouty_snek_case" | "SCREAMING_SNAKE_CASE" => Self::ShoutySnake,
            "title_case" => Self::Title,
            "mixed_case" => Self::Mixed,
            "lowercase" => Self::Lower,
            "UPPERCASE" => Self::Upper,
            _ => return None,
        })
    }

    pub(crate) fn apply(self, name: &str) -> String {
        match self {
            Self::Pascal => name.to_upper_camel_case(),
            Self::Kebab => name.to_kebab_case(),
            Self::Mixed => name.to_lower_camel_case(),
            Self::ShoutySnake => name.to_shouty_snake_case(),
            Self::Snake => name.to_snake_case(),
            Self::Title => name.to_title_case(),
            Self::Upper => name.to_uppercase(),
            Self::Lower => name.to_lowercase(),
            Self::ScreamingKebab => name.to_kebab_case().to_uppercase(),
            Self::Camel => {
                let pascal = name.to_upper_camel_case();
                let mut chars = pascal.chars();
                chars
                    .next()
                    .map(|first| first.to_lowercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        }
    }
}

/// The table and schema an `impl EntityName for …` returns as literals, and its line.
pub(crate) fn entity_name_impl(file: &syn::File) -> Option<(String, Option<String>, usize)> {
    file.items.iter().find_map(|item| {
        let Item::Impl(imp) = item else { return None };
        let (_, trait_path, _) = imp.trait_.as_ref()?;
        if trait_path.segments.last()?.ident != "EntityName" {
            return None;
        }
        let returned = |name: &str| {
            imp.items.iter().find_map(|item| match item {
                syn::ImplItem::Fn(f) if f.sig.ident == name => match f.block.stmts.as_slice() {
                    [syn::Stmt::Expr(expr, None)] => Some(expr),
                    _ => None,
                },
                _ => None,
            })
        };
        let table = returned("table_name").and_then(expr_string)?;
        let schema = returned("schema_name").and_then(|expr| match expr {
            Expr::Call(call) if matches!(&*call.func, Expr::Path(p) if p.path.is_ident("Some")) => {
                call.args.first().and_then(expr_string)
            }
            _ => None,
        });
        Some((table, schema, imp.impl_token.span.start().line))
    })
}

fn expr_string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
        _ => None,
    }
}

/// An item's name: `unique` of `unique`, `default_value` of `default_value = 0`.
pub(crate) fn meta_key(meta: &Meta) -> String {
    meta.path()
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The string of `key = "value"`.
pub(crate) fn string_value(meta: &Meta) -> Option<String> {
    match meta {
        Meta::NameValue(nv) => expr_string(&nv.value),
        _ => None,
    }
}

/// Whether `#[derive(...)]` names `derive` (by its last path segment).
pub(crate) fn derives(attrs: &[Attribute], derive: &str) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("derive")).any(|attr| {
        attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
            .is_ok_and(|paths| {
                paths
                    .iter()
                    .any(|p| p.segments.last().is_some_and(|s| s.ident == derive))
            })
    })
}

/// The `DeriveEntityModel` struct a file declares, if any.
pub(crate) fn entity_model(syntax: &syn::File) -> Option<&syn::ItemStruct> {
    syntax.items.iter().find_map(|item| match item {
        Item::Struct(s) if derives(&s.attrs, "DeriveEntityModel") => Some(s),
        _ => None,
    })
}

/// `Model`'s own `#[sea_orm(...)]`, for reading and for editing entities.
#[derive(Default)]
pub(crate) struct ModelAttributes {
    pub(crate) table: Option<String>,
    pub(crate) schema: Option<String>,
    pub(crate) comment: Option<String>,
    pub(crate) rename_all: Option<CaseStyle>,
}

impl ModelAttributes {
    pub(crate) fn read(attrs: &[Attribute]) -> Result<Self, String> {
        let mut read = Self::default();
        for meta in sea_orm_items(attrs)? {
            match meta_key(&meta).as_str() {
                "table_name" => read.table = string_value(&meta),
                "schema_name" => read.schema = literal_text(&meta),
                "comment" => read.comment = literal_text(&meta),
                "rename_all" => {
                    let style = string_value(&meta).unwrap_or_default();
                    read.rename_all = Some(
                        CaseStyle::parse(&style)
                            .ok_or_else(|| format!("unknown `rename_all = {style:?}`"))?,
                    );
                }
                _ => {}
            }
        }
        Ok(read)
    }
}

/// Every item of the `#[sea_orm(...)]` attributes among `attrs`, in order.
pub(crate) fn sea_orm_items(attrs: &[Attribute]) -> Result<Vec<Meta>, String> {
    let mut items = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("sea_orm")) {
        if matches!(attr.meta, Meta::Path(_)) {
            continue;
        }
        let metas = attr
            .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            .map_err(|e| e.to_string())?;
        items.extend(metas);
    }
    Ok(items)
}

/// A literal item's value: `0`, `"x"`, and `-1`.
pub(crate) fn literal(meta: &Meta) -> Option<Lit> {
    let Meta::NameValue(nv) = meta else { return None };
    match &nv.value {
        syn::Expr::Lit(lit) => Some(lit.lit.clone()),
        // `-1`: sea-orm-macros parses the value as a `Lit`, which takes a sign.
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            syn::Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => {
                Some(Lit::Int(syn::LitInt::new(&format!("-{}", i.token()), i.span())))
            }
            syn::Expr::Lit(syn::ExprLit {
                lit: Lit::Float(f), ..
            }) => Some(Lit::Float(syn::LitFloat::new(
                &format!("-{}", f.token()),
                f.span(),
            ))),
            _ => None,
        },
        _ => None,
    }
}

/// A literal item's value as text: a string's contents, else the literal as written.
pub(crate) fn literal_text(meta: &Meta) -> Option<String> {
    literal(meta).map(|lit| match lit {
        Lit::Str(s) => s.value(),
        other => quote::ToTokens::to_token_stream(&other).to_string(),
    })
}

/// `#[sea_orm::model]`, or `#[model]` imported.
fn is_dense_marker(path: &syn::Path) -> bool {
    let segments = &path.segments;
    segments.last().is_some_and(|last| last.ident == "model")
        && (segments.len() == 1 || segments.len() == 2 && segments[0].ident == "sea_orm")
}

/// The last segment of a type's path: `Option<T>` of `std::option::Option<T>`.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// A `HasOne`, `HasMany` or `BelongsTo` field: a relation, as sea-orm-macros
/// tells them apart (by the type's last path segment).
pub(crate) fn relation_type(ty: &Type) -> bool {
    last_segment(ty)
        .is_some_and(|s| matches!(s.ident.to_string().as_str(), "HasOne" | "HasMany" | "BelongsTo"))
}

/// The types SeaORM itself gives a column type (by their last path segment):
/// sea-query's `ValueType` impls and the aliases of sea-orm's prelude.
const SEA_ORM_VALUE_TYPES: &str = "bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char String Vec Json \
    Decimal BigDecimal Uuid TextUuid Date Time DateTime DateTimeUtc DateTimeLocal DateTimeWithTimeZone \
    NaiveDate NaiveTime NaiveDateTime ChronoDate ChronoTime ChronoDateTime ChronoDateTimeUtc \
    ChronoDateTimeLocal ChronoDateTimeWithTimeZone TimeDate TimeTime TimeDateTime TimeDateTimeWithTimeZone \
    PrimitiveDateTime OffsetDateTime IpNetwork MacAddress PgVector";

/// Whether SeaORM itself gives the type (inside `Option`) its column type;
/// any other type declares its own, where it is declared.
fn sea_orm_value_type(ty: &Type) -> bool {
    let Some(segment) = last_segment(ty) else {
        return false;
    };
    if segment.ident == "Option" {
        return match &segment.arguments {
            syn::PathArguments::AngleBracketed(args) => match args.args.first() {
                Some(syn::GenericArgument::Type(inner)) => sea_orm_value_type(inner),
                _ => false,
            },
            _ => false,
        };
    }
    SEA_ORM_VALUE_TYPES
        .split_whitespace()
        .any(|name| segment.ident == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;
    use proptest::test_runner::contextualize_config;
    use std::path::Path;

    const CLASSIC: &str = r#"use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(schema_name = "app", table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Shown to others.
    #[sea_orm(column_name = "name", unique)]
    pub display_name: String,
    pub r#type: String,
    pub varchar_40: String,
    #[sea_orm(ignore)]
    pub cached: String,
    pub status: Option<Status>,
}
"#;

    fn parse(text: &str) -> EntitySource {
        EntitySource::parse("src/entity.rs", text)
            .expect("parses")
            .expect("declares an entity")
    }

    fn columns(entity: &EntitySource) -> Vec<(&str, &str, usize)> {
        entity
            .columns
            .iter()
            .map(|c| (c.ident.as_str(), c.column.as_str(), c.line))
            .collect()
    }

    #[test]
    fn a_classic_entity_names_its_table_and_columns_as_seaorm_does() {
        let entity = parse(CLASSIC);
        assert_eq!(entity.format, EntityFormat::Classic);
        assert_eq!(
            (entity.table.as_str(), entity.schema.as_deref()),
            ("account", Some("app"))
        );
        assert_eq!(entity.qualified_table(), "app.account");
        assert_eq!(entity.line, 5);
        // `ignore` is no column; `r#` is no part of a name.
        assert_eq!(
            columns(&entity),
            [
                ("id", "id", 7),
                ("display_name", "name", 10),
                ("type", "type", 11),
                ("varchar_40", "varchar_40", 12),
                ("status", "status", 15),
            ]
        );
        let name = entity.column("name").unwrap();
        let items: Vec<(&str, &str)> = name.items().map(|i| (i.key.as_str(), i.text.as_str())).collect();
        assert_eq!(
            items,
            [("column_name", "column_name = \"name\""), ("unique", "unique")]
        );
        assert_eq!(name.item("unique").map(|i| i.text.as_str()), Some("unique"));
        assert_eq!(entity.column("status").unwrap().rust_type, "Option<Status>");
        assert_eq!(entity.text(), CLASSIC);
    }

    #[test]
    fn a_dense_entity_leaves_its_relation_fields_out() {
        let entity = parse(
            r#"#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "book")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub author_id: i32,
    #[sea_orm(belongs_to, from = "author_id", to = "id")]
    pub author: BelongsTo<super::author::Entity>,
    #[sea_orm(has_many)]
    pub chapters: HasMany<super::chapter::Entity>,
    #[sea_orm(has_one)]
    pub cover: HasOne<super::cover::Entity>,
}
"#,
        );
        assert_eq!(entity.format, EntityFormat::Dense);
        assert_eq!((entity.table.as_str(), entity.schema.as_deref()), ("book", None));
        assert_eq!(columns(&entity), [("id", "id", 6), ("author_id", "author_id", 7)]);
    }

    #[test]
    fn an_expanded_entity_is_found_by_its_entity_name_impl_without_columns() {
        let entity = parse(
            r#"#[derive(Copy, Clone, Default, Debug, DeriveEntity)]
pub struct Entity;

impl EntityName for Entity {
    fn schema_name(&self) -> Option<&str> {
        Some("books")
    }

    fn table_name(&self) -> &'static str {
        "ledger"
    }
}
"#,
        );
        assert_eq!(entity.format, EntityFormat::Expanded);
        assert_eq!(
            (entity.table.as_str(), entity.schema.as_deref()),
            ("ledger", Some("books"))
        );
        assert_eq!(entity.line, 4);
        assert!(entity.columns.is_empty());
    }

    #[test]
    fn rename_all_names_every_column_but_one_named_by_column_name() {
        let entity = parse(
            r#"#[derive(DeriveEntityModel)]
#[sea_orm(table_name = "t", rename_all = "camelCase")]
pub struct Model {
    pub user_id: i32,
    #[sea_orm(column_name = "Kept")]
    pub kept_as_is: i32,
}
"#,
        );
        let names: Vec<&str> = entity.columns.iter().map(|c| c.column.as_str()).collect();
        assert_eq!(names, ["userId", "Kept"]);
    }

    #[test]
    fn a_file_without_an_entity_is_none_and_broken_rust_an_error() {
        assert!(
            EntitySource::parse("src/lib.rs", "pub mod post;\npub mod user;\n")
                .unwrap()
                .is_none()
        );
        let error = EntitySource::parse("src/post.rs", "pub struct Model {\n    pub id: i32\n").unwrap_err();
        assert_eq!(error.path, Path::new("src/post.rs"));
        assert!(matches!(error.problem, SourceProblem::Syntax(_)), "{error}");
        let unknown_style = "#[derive(DeriveEntityModel)]\n#[sea_orm(table_name = \"t\", rename_all = \"Shouting\")]\npub struct Model {}\n";
        let error = EntitySource::parse("src/t.rs", unknown_style).unwrap_err();
        assert_eq!(
            error.to_string(),
            "src/t.rs:3: SeaORM cannot read this entity: unknown `rename_all = \"Shouting\"`"
        );
    }

    #[test]
    fn a_byte_order_mark_is_kept_and_offsets_count_it() {
        let text = format!("\u{feff}{CLASSIC}");
        let entity = parse(&text);
        assert_eq!(entity.text(), text);
        assert_eq!(entity.column("varchar_40").unwrap().line, 12);
    }

    #[test]
    fn entity_files_map_tables_to_files_and_refuse_a_table_declared_twice() {
        let files = EntityFiles::read([
            ("src/lib.rs", "pub mod account;\n"),
            ("src/account.rs", CLASSIC),
            (
                "src/plain.rs",
                "#[derive(DeriveEntityModel)]\n#[sea_orm(table_name = \"account\")]\npub struct Model {}\n",
            ),
        ])
        .unwrap();
        let file_of = |schema, table| files.entity(schema, table).map(|e| e.path.as_path());
        assert_eq!(file_of(Some("app"), "account"), Some(Path::new("src/account.rs")));
        assert_eq!(file_of(None, "account"), Some(Path::new("src/plain.rs")));
        assert_eq!(file_of(None, "missing"), None);
        let tables: Vec<String> = files.iter().map(EntitySource::qualified_table).collect();
        assert_eq!(tables, ["account", "app.account"]);

        let error = EntityFiles::read([("src/a.rs", CLASSIC), ("src/b.rs", CLASSIC)]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "src/b.rs:5: table `app.account` is also declared in src/a.rs:5; keep one entity per table"
        );
    }

    /// [`CLASSIC`] with pieces of entity syntax put in and taken out at random.
    fn damaged_entity() -> impl Strategy<Value = String> {
        let piece = select(vec![
            "",
            "#[sea_orm(",
            ")]",
            "#[sea_orm()]",
            "#[sea_orm(unique)] ",
            ",",
            " ",
            "\n",
            "\r\n",
            "pub ",
            "unique",
            "indexed, ",
            "= 1",
            "\"",
            "/// doc\n",
            "// note\n",
            "/*",
            "*/",
            "r#",
            "{",
            "}",
            "<",
            ">",
            "é",
            "\u{feff}",
        ]);
        vec((0..=CLASSIC.len(), 0..8usize, piece), 1..4).prop_map(|changes| {
            let mut text = CLASSIC.to_owned();
            for (at, taken, piece) in changes {
                let mut start = at.min(text.len());
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (start + taken).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(start..end, piece);
            }
            text
        })
    }

    proptest! {
        #![proptest_config(contextualize_config(ProptestConfig::with_cases(500)))]

        /// Any text reads as an entity or fails with an error, and an edit
        /// either fails or gives an entity that reads back with it made.
        #[test]
        fn any_text_reads_and_edits_read_back(text in damaged_entity()) {
            let Ok(Some(entity)) = EntitySource::parse("src/entity.rs", text) else {
                return Ok(());
            };
            for column in entity.columns.iter().map(|c| c.column.as_str()) {
                let edits = [
                    (ColumnEdit::add(column, ColumnAttribute::Indexed), Some("indexed")),
                    (ColumnEdit::add(column, ColumnAttribute::Comment("a \"b\"".into())), Some("comment")),
                    (ColumnEdit::remove(column, AttributeKey::Unique), None),
                ];
                for (edit, present) in edits {
                    let key = edit.change.key();
                    let Ok(edited) = entity.edit(&[edit]) else {
                        continue;
                    };
                    let again = EntitySource::parse("src/entity.rs", edited);
                    let again = again.as_ref().map(|e| e.as_ref().and_then(|e| e.column(column)));
                    let Ok(Some(field)) = again else {
                        return Err(TestCaseError::fail(format!("{column} lost: {again:?}")));
                    };
                    prop_assert_eq!(field.item(key.as_str()).map(|_| key.as_str()), present);
                }
            }
        }
    }
}

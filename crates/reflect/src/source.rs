//! Entities read from their source, without building them.
//!
//! sea-orm-macros decides what an entity declares from syntax alone: a
//! column's type from the field type's *name* and its `#[sea_orm(...)]`
//! items, a foreign key from a relation's attribute. This module reads the
//! same syntax with syn and rebuilds what `Schema::create_table_from_entity`
//! and `create_index_from_entity` would produce, statement for statement, so
//! [`crate::table_from_statements`] turns both readings into the model alike
//! (`tests/source_agrees.rs` holds every fixture entity to that).
//!
//! Only a type SeaORM does not know by name needs more: an `ActiveEnum` or a
//! `DeriveValueType` declared in the same crate is read where it is declared.
//! Anything else (a type from another crate without `column_type`, a
//! `default_expr` that is code, relations written by hand) is a
//! [`SourceProblem`] naming the file, line and field, never a guess.

mod column_type;
mod modules;

use std::collections::BTreeMap;
use std::path::PathBuf;

use autogen_schema::Dialect;
use heck::ToUpperCamelCase;
use sea_orm::sea_query::{
    self, Alias, ColumnDef, ForeignKey, ForeignKeyAction, Index, IndexCreateStatement, Table,
};
use syn::ext::IdentExt;
use syn::{Attribute, Fields, Item, Lit, Meta};

use crate::entity_source::{
    derived_column_name, derives, entity_model, literal, literal_text, meta_key, relation_type,
    sea_orm_items, string_value, EntitySourceError, ModelAttributes, SourceProblem,
};
use crate::EntityStatements;
use column_type::CrateTypes;
pub use column_type::SeaOrmMajor;
use modules::ModuleTree;

/// One file of an entity crate: where it is and what it says.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The file, as messages name it.
    pub path: PathBuf,
    /// Its path below the entities' root directory (`post.rs`,
    /// `blog/mod.rs`), which says its module.
    pub relative: PathBuf,
    /// Its text.
    pub text: String,
}

/// Where an entity or a column is declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLocation {
    /// The file, as [`SourceFile::path`] names it.
    pub path: PathBuf,
    /// The line of the struct or field.
    pub line: usize,
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// Every problem that stops entities from being read from source.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct SourceErrors(pub Vec<EntitySourceError>);

/// An entity as its source declares it, ready to become statements.
#[derive(Clone, Debug)]
pub(crate) struct SourceEntity {
    pub(crate) location: SourceLocation,
    pub(crate) module: Vec<String>,
    pub(crate) table: String,
    pub(crate) schema: Option<String>,
    comment: Option<String>,
    pub(crate) columns: Vec<SourceColumn>,
    auto_increment: bool,
    foreign_keys: Vec<SourceForeignKey>,
    major: SeaOrmMajor,
}

/// A column as its field declares it, in SeaORM's terms (`ColumnDef`).
#[derive(Clone, Debug)]
pub(crate) struct SourceColumn {
    pub(crate) name: String,
    pub(crate) line: usize,
    column_type: sea_query::ColumnType,
    nullable: bool,
    primary_key: bool,
    unique: bool,
    indexed: bool,
    unique_key: Option<String>,
    default: Option<sea_query::Expr>,
    comment: Option<String>,
    extra: Option<String>,
    renamed_from: Option<String>,
}

#[derive(Clone, Debug)]
struct SourceForeignKey {
    columns: Vec<String>,
    ref_table: String,
    ref_columns: Vec<String>,
    on_delete: Option<ForeignKeyAction>,
    on_update: Option<ForeignKeyAction>,
    name: Option<String>,
}

/// The entities of a set of files, and the entity files no module declares.
pub(crate) struct ReadEntities {
    pub(crate) entities: Vec<SourceEntity>,
    pub(crate) left_out: Vec<PathBuf>,
}

impl SourceEntity {
    /// What SeaORM's `create_table_from_entity`, `create_index_from_entity`
    /// and the entity's metadata would give on `dialect`
    /// (sea-orm 2.0.4 `schema/entity.rs`).
    pub(crate) fn statements(&self, dialect: Dialect) -> EntityStatements {
        let mut create = Table::create();
        let table_ref = match &self.schema {
            Some(schema) => (Alias::new(schema), Alias::new(&self.table)).into(),
            None => sea_query::TableRef::from(Alias::new(&self.table)),
        };
        if let Some(comment) = &self.comment {
            create.comment(comment);
        }
        let key_arity = self.columns.iter().filter(|c| c.primary_key).count();
        let column_types: Vec<sea_query::ColumnType> = self
            .columns
            .iter()
            .map(|c| self.major.as_written(c.column_type.clone(), dialect))
            .collect();
        for (column, entity_type) in self.columns.iter().zip(&column_types) {
            let column_type = match entity_type {
                sea_query::ColumnType::Enum { name, variants } => match dialect {
                    Dialect::MySql => {
                        let variants: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
                        sea_query::ColumnType::custom(format!("ENUM('{}')", variants.join("', '")))
                    }
                    Dialect::Postgres => sea_query::ColumnType::Custom(name.clone()),
                    Dialect::Sqlite => entity_type.clone(),
                },
                other => other.clone(),
            };
            let mut def = ColumnDef::new_with_type(Alias::new(&column.name), column_type);
            if !column.nullable {
                def.not_null();
            }
            if column.unique {
                def.unique_key();
            }
            if let Some(default) = &column.default {
                def.default(default.clone());
            }
            if let Some(comment) = &column.comment {
                def.comment(comment);
            }
            if let Some(extra) = &column.extra {
                def.extra(extra);
            }
            match (&column.renamed_from, &column.comment) {
                (Some(renamed_from), Some(comment)) => {
                    def.comment(format!("{comment}; renamed_from \"{renamed_from}\""));
                }
                (Some(renamed_from), None) => {
                    def.comment(format!("renamed_from \"{renamed_from}\""));
                }
                (None, _) => {}
            }
            if column.primary_key {
                if self.auto_increment {
                    def.auto_increment();
                }
                if key_arity == 1 {
                    def.primary_key();
                }
            }
            create.col(&mut def);
        }
        let primary_key: Vec<String> = self
            .columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name.clone())
            .collect();
        if key_arity > 1 {
            let mut index = Index::create();
            for column in &primary_key {
                index.col(Alias::new(column));
            }
            create.primary_key(index.name(format!("pk-{}", self.table)).primary());
        }
        for fk in &self.foreign_keys {
            let mut statement = ForeignKey::create();
            statement
                .from_tbl(table_ref.clone())
                .to_tbl(Alias::new(&fk.ref_table));
            for column in &fk.columns {
                statement.from_col(Alias::new(column));
            }
            for column in &fk.ref_columns {
                statement.to_col(Alias::new(column));
            }
            if let Some(action) = fk.on_delete {
                statement.on_delete(action);
            }
            if let Some(action) = fk.on_update {
                statement.on_update(action);
            }
            create.foreign_key(&mut statement);
        }
        create.table(table_ref.clone());
        EntityStatements {
            table: self.table.clone(),
            comment: self.comment.clone(),
            create,
            indexes: self.indexes(dialect, table_ref),
            column_types,
            primary_key,
            fk_names: self.foreign_keys.iter().map(|fk| fk.name.clone()).collect(),
        }
    }

    /// `create_index_from_entity`: `indexed` columns (2.x: that are not
    /// `unique`), then each `unique_key` group, in name order.
    fn indexes(&self, dialect: Dialect, table_ref: sea_query::TableRef) -> Vec<IndexCreateStatement> {
        // MySQL's and SQLite's index builders take a bare table name.
        let table_ref = match (dialect, table_ref) {
            (Dialect::Postgres, table_ref) => table_ref,
            (_, _) => Alias::new(&self.table).into(),
        };
        let mut indexes = Vec::new();
        let mut unique_keys: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for column in &self.columns {
            if column.indexed && (!column.unique || self.major == SeaOrmMajor::One) {
                indexes.push(
                    Index::create()
                        .name(format!("idx-{}-{}", self.table, column.name))
                        .table(table_ref.clone())
                        .col(Alias::new(&column.name))
                        .take(),
                );
            }
            if let Some(key) = &column.unique_key {
                unique_keys.entry(key).or_default().push(&column.name);
            }
        }
        for (key, columns) in unique_keys {
            let mut index = Index::create()
                .name(format!("idx-{}-{key}", self.table))
                .table(table_ref.clone())
                .unique()
                .take();
            for column in columns {
                index.col(Alias::new(column));
            }
            indexes.push(index);
        }
        indexes
    }
}

/// Reads the entities `files` declare, as an entity crate on `major`
/// declares them. Files no module declares are passed over and listed.
pub(crate) fn read(files: &[SourceFile], major: SeaOrmMajor) -> Result<ReadEntities, SourceErrors> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    let mut unparsed = Vec::new();
    for file in files {
        match syn::parse_file(file.text.trim_start_matches('\u{feff}')) {
            Ok(syntax) => parsed.push((file, syntax)),
            Err(e) => unparsed.push((file, e)),
        }
    }
    let tree = ModuleTree::new(
        parsed
            .iter()
            .map(|(file, syntax)| (file.relative.as_path(), syntax)),
    );
    // What the crate does not compile (a test fixture, a template) is not
    // read: neither its errors nor its types are the crate's.
    for (file, e) in unparsed {
        if tree.is_declared(&file.relative) {
            errors.push(EntitySourceError {
                path: file.path.clone(),
                line: e.span().start().line,
                problem: SourceProblem::Syntax(e.to_string()),
            });
        }
    }
    let (declared, undeclared): (Vec<_>, Vec<_>) = parsed
        .iter()
        .partition(|(file, _)| tree.is_declared(&file.relative));
    let mut types = CrateTypes::default();
    for (file, syntax) in &declared {
        types.collect(file, syntax, &mut errors);
    }
    let mut drafts = Vec::new();
    for (file, syntax) in &declared {
        match Draft::read(file, syntax, &tree, &types, major) {
            Ok(None) => {}
            Ok(Some(draft)) => drafts.push(draft),
            Err(mut problems) => errors.append(&mut problems),
        }
    }
    let left_out = undeclared
        .iter()
        .filter(|(_, syntax)| entity_model(syntax).is_some())
        .map(|(file, _)| file.path.clone())
        .collect();
    let entities = resolve_relations(drafts, &tree, &mut errors);
    if errors.is_empty() {
        Ok(ReadEntities { entities, left_out })
    } else {
        Err(SourceErrors(errors))
    }
}

/// An entity whose relations still name entities by path.
struct Draft {
    entity: SourceEntity,
    /// The `Column` variant each column is, in column order.
    variants: Vec<String>,
    relations: Vec<DraftRelation>,
}

/// A `belongs_to` relation as written.
struct DraftRelation {
    line: usize,
    /// The related entity's path, `super::cake::Entity`.
    target: Vec<String>,
    /// `Column` variants of this entity, then of the related one.
    from: Vec<String>,
    to: Vec<String>,
    on_delete: Option<ForeignKeyAction>,
    on_update: Option<ForeignKeyAction>,
    fk_name: Option<String>,
}

impl Draft {
    fn read(
        file: &SourceFile,
        syntax: &syn::File,
        tree: &ModuleTree,
        types: &CrateTypes,
        major: SeaOrmMajor,
    ) -> Result<Option<Self>, Vec<EntitySourceError>> {
        let fail = |line: usize, problem| EntitySourceError {
            path: file.path.clone(),
            line,
            problem,
        };
        let Some(model) = entity_model(syntax) else {
            // Hand-written `EntityName` and `ColumnTrait` impls (with or
            // without `DeriveEntity`) declare their columns in code, which
            // only compiling reads.
            let derived = syntax.items.iter().find_map(|item| match item {
                Item::Struct(s) if derives(&s.attrs, "DeriveEntity") => Some(s),
                _ => None,
            });
            return match (crate::entity_source::entity_name_impl(syntax), derived) {
                (Some((table, _, line)), _) => Err(vec![fail(line, SourceProblem::ExpandedEntity { table })]),
                (None, Some(entity)) => {
                    let table = ModelAttributes::read(&entity.attrs)
                        .ok()
                        .and_then(|a| a.table)
                        .unwrap_or_else(|| entity.ident.to_string());
                    Err(vec![fail(
                        entity.ident.span().start().line,
                        SourceProblem::ExpandedEntity { table },
                    )])
                }
                (None, None) => Ok(None),
            };
        };
        let line = model.ident.span().start().line;
        let options = ModelAttributes::read(&model.attrs)
            .map_err(|reason| vec![fail(line, SourceProblem::NotAnEntity(reason))])?;
        let Some(table) = options.table.clone() else {
            return Err(vec![fail(
                line,
                SourceProblem::NotAnEntity("`Model` has no `#[sea_orm(table_name = \"...\")]`".into()),
            )]);
        };
        let module = tree.module_of(&file.relative);
        let mut problems = Vec::new();
        let mut columns = Vec::new();
        let mut variants = Vec::new();
        let mut relations = Vec::new();
        let mut auto_increment: Option<bool> = None;
        let mut key_count = 0;
        let Fields::Named(fields) = &model.fields else {
            return Err(vec![fail(
                line,
                SourceProblem::NotAnEntity("`Model` must have named fields".into()),
            )]);
        };
        for field in &fields.named {
            let ident = field.ident.as_ref().expect("named fields have names");
            let field_line = ident.span().start().line;
            if relation_type(&field.ty) {
                match dense_relation(field) {
                    Ok(Some(relation)) => relations.push(relation),
                    Ok(None) => {}
                    Err(reason) => problems.push(fail(field_line, SourceProblem::NotAnEntity(reason))),
                }
                continue;
            }
            let items = match FieldAttributes::read(&field.attrs) {
                Ok(items) => items,
                Err(reason) => {
                    problems.push(fail(field_line, SourceProblem::NotAnEntity(reason)));
                    continue;
                }
            };
            if items.ignore {
                continue;
            }
            let name = ident.unraw().to_string();
            // sea-orm-macros compares the type's tokens without spaces.
            let written: String = quote_type(&field.ty);
            let (nullable_type, inner) = match written.strip_prefix("Option<") {
                Some(rest) => (true, rest.strip_suffix('>').unwrap_or(rest).to_owned()),
                None => (false, written.clone()),
            };
            if items.primary_key {
                key_count += 1;
                if let Some(value) = items.auto_increment {
                    auto_increment = Some(value);
                } else if auto_increment.is_none()
                    && major.gives_string_and_uuid_keys_no_auto_increment()
                    && ["String", "Uuid"].iter().any(|s| inner.ends_with(s))
                {
                    auto_increment = Some(false);
                }
            } else if items.auto_increment.is_some() && major == SeaOrmMajor::One {
                // 1.x takes it from any field, for the whole key.
                auto_increment = items.auto_increment;
            } else if items.auto_increment.is_some() {
                problems.push(fail(
                    field_line,
                    SourceProblem::NotAnEntity("auto_increment can only be used on primary_key".into()),
                ));
                continue;
            }
            let type_and_default = match &items.column_type {
                Some(expr) => column_type::parse_column_type(expr),
                None => types.resolve(&inner),
            }
            .and_then(|column_type| {
                let default = match (&items.default_value, &items.default_expr) {
                    (_, Some(expr)) => column_type::default_expr(expr)?,
                    (Some(lit), None) => Some(column_type::default_value(lit)?),
                    (None, None) => None,
                };
                Ok((column_type, default))
            });
            let (column_type, default) = match type_and_default {
                Ok(read) => read,
                Err(reason) => {
                    problems.push(fail(
                        field_line,
                        SourceProblem::UnreadableColumn {
                            column: name.clone(),
                            reason,
                        },
                    ));
                    continue;
                }
            };
            let variant = items
                .enum_name
                .clone()
                .unwrap_or_else(|| name.to_upper_camel_case());
            columns.push(SourceColumn {
                name: items.column_name.clone().unwrap_or_else(|| {
                    derived_column_name(&name, items.enum_name.clone(), options.rename_all)
                }),
                line: field_line,
                column_type,
                nullable: nullable_type || items.nullable,
                primary_key: items.primary_key,
                unique: items.unique,
                indexed: items.indexed,
                unique_key: items
                    .unique_key
                    .clone()
                    .filter(|_| major.reads_extra_unique_key_and_renamed_from()),
                default,
                comment: items.comment.clone(),
                extra: items
                    .extra
                    .clone()
                    .filter(|_| major.reads_extra_unique_key_and_renamed_from()),
                renamed_from: items
                    .renamed_from
                    .clone()
                    .filter(|_| major.reads_extra_unique_key_and_renamed_from()),
            });
            variants.push(variant);
        }
        let auto_increment = match auto_increment {
            Some(value) => value && key_count == 1,
            None => key_count == 1,
        };
        for item in &syntax.items {
            match item {
                Item::Enum(relation) if derives(&relation.attrs, "DeriveRelation") => {
                    for variant in &relation.variants {
                        match classic_relation(variant) {
                            Ok(Some(found)) => relations.push(found),
                            Ok(None) => {}
                            Err(reason) => problems.push(fail(
                                variant.ident.span().start().line,
                                SourceProblem::NotAnEntity(reason),
                            )),
                        }
                    }
                }
                Item::Impl(imp) if implements(imp, "RelationTrait") && mentions(imp, "belongs_to") => {
                    problems.push(fail(
                        imp.impl_token.span.start().line,
                        SourceProblem::HandWrittenRelations { table: table.clone() },
                    ));
                }
                _ => {}
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Some(Self {
            entity: SourceEntity {
                location: SourceLocation {
                    path: file.path.clone(),
                    line,
                },
                module,
                table,
                schema: options.schema,
                comment: options.comment,
                columns,
                auto_increment,
                foreign_keys: Vec::new(),
                major,
            },
            variants,
            relations,
        }))
    }
}

/// Each draft's relations become foreign keys to the entities they name.
fn resolve_relations(
    drafts: Vec<Draft>,
    tree: &ModuleTree,
    errors: &mut Vec<EntitySourceError>,
) -> Vec<SourceEntity> {
    let modules: Vec<Vec<String>> = drafts.iter().map(|d| d.entity.module.clone()).collect();
    let mut foreign_keys: Vec<Vec<SourceForeignKey>> = Vec::new();
    for draft in &drafts {
        let mut found = Vec::new();
        for relation in &draft.relations {
            let fail = |problem| EntitySourceError {
                path: draft.entity.location.path.clone(),
                line: relation.line,
                problem,
            };
            let target = match tree.resolve_entity(&draft.entity.module, &relation.target, &modules) {
                Ok(index) => &drafts[index],
                Err(reason) => {
                    errors.push(fail(SourceProblem::UnresolvedRelation {
                        table: draft.entity.table.clone(),
                        target: relation.target.join("::"),
                        reason,
                    }));
                    continue;
                }
            };
            let columns = variant_columns(draft, &relation.from);
            let ref_columns = variant_columns(target, &relation.to);
            match (columns, ref_columns) {
                (Ok(columns), Ok(ref_columns)) => found.push(SourceForeignKey {
                    columns,
                    ref_table: target.entity.table.clone(),
                    ref_columns,
                    on_delete: relation.on_delete,
                    on_update: relation.on_update,
                    name: relation.fk_name.clone(),
                }),
                (Err(variant), _) | (_, Err(variant)) => {
                    errors.push(fail(SourceProblem::UnresolvedRelation {
                        table: draft.entity.table.clone(),
                        target: relation.target.join("::"),
                        reason: format!("no column is the `Column::{variant}` it names"),
                    }))
                }
            }
        }
        foreign_keys.push(found);
    }
    drafts
        .into_iter()
        .zip(foreign_keys)
        .map(|(draft, foreign_keys)| SourceEntity {
            foreign_keys,
            ..draft.entity
        })
        .collect()
}

/// The columns `variants` name in `draft`'s `Column` enum.
fn variant_columns(draft: &Draft, variants: &[String]) -> Result<Vec<String>, String> {
    variants
        .iter()
        .map(|variant| {
            draft
                .variants
                .iter()
                .position(|v| v == variant)
                .map(|i| draft.entity.columns[i].name.clone())
                .ok_or_else(|| variant.clone())
        })
        .collect()
}

/// A column field's `#[sea_orm(...)]` items, as `DeriveEntityModel` reads them
/// (the last of a repeated item wins).
#[derive(Default)]
struct FieldAttributes {
    column_type: Option<String>,
    auto_increment: Option<bool>,
    comment: Option<String>,
    default_value: Option<Lit>,
    default_expr: Option<String>,
    column_name: Option<String>,
    enum_name: Option<String>,
    ignore: bool,
    primary_key: bool,
    nullable: bool,
    indexed: bool,
    unique: bool,
    unique_key: Option<String>,
    renamed_from: Option<String>,
    extra: Option<String>,
}

impl FieldAttributes {
    fn read(attrs: &[Attribute]) -> Result<Self, String> {
        let mut read = Self::default();
        for meta in sea_orm_items(attrs)? {
            let key = meta_key(&meta);
            let text = || string_value(&meta).ok_or_else(|| format!("`{key}` takes a string"));
            match key.as_str() {
                "column_type" => read.column_type = Some(text()?),
                "auto_increment" => match literal(&meta) {
                    Some(Lit::Bool(b)) => read.auto_increment = Some(b.value()),
                    _ => return Err("`auto_increment` takes `true` or `false`".into()),
                },
                "comment" => read.comment = literal_text(&meta),
                "default_value" => {
                    read.default_value = Some(
                        literal(&meta).ok_or("`default_value` takes a literal: a string, number or bool")?,
                    )
                }
                "default_expr" => read.default_expr = Some(text()?),
                "column_name" => read.column_name = Some(text()?),
                "enum_name" => read.enum_name = Some(text()?),
                "unique_key" => read.unique_key = Some(text()?),
                "renamed_from" => read.renamed_from = Some(text()?),
                "extra" => read.extra = Some(text()?),
                "ignore" => read.ignore = true,
                "primary_key" => read.primary_key = true,
                "nullable" => read.nullable = true,
                "indexed" => read.indexed = true,
                "unique" => read.unique = true,
                _ => {}
            }
        }
        Ok(read)
    }
}

/// The string of the last `key = "..."` among `items`: the one SeaORM's macros keep.
fn last_string(items: &[Meta], key: &str) -> Option<String> {
    items.iter().rfind(|m| meta_key(m) == key).and_then(string_value)
}

/// A type's tokens without whitespace, as sea-orm-macros matches them.
fn quote_type(ty: &syn::Type) -> String {
    quote::ToTokens::to_token_stream(ty)
        .to_string()
        .split_whitespace()
        .collect()
}

/// A classic `Relation` variant's `belongs_to`, if it has one.
fn classic_relation(variant: &syn::Variant) -> Result<Option<DraftRelation>, String> {
    let items = sea_orm_items(&variant.attrs)?;
    let value = |key: &str| last_string(&items, key);
    let Some(target) = value("belongs_to") else {
        return Ok(None);
    };
    if items.iter().any(|m| meta_key(m) == "skip_fk") {
        return Ok(None);
    }
    let line = variant.ident.span().start().line;
    relation(
        line,
        &target,
        value("from"),
        value("to"),
        value("on_delete"),
        value("on_update"),
        value("fk_name"),
    )
    .map(Some)
}

/// A dense-format relation field's foreign key, if it makes one: a
/// `belongs_to`, or a `self_ref` with `from` and `to` and no `via` (what
/// sea-orm-macros' `RelationAttr` turns into a `belongs_to` variant).
fn dense_relation(field: &syn::Field) -> Result<Option<DraftRelation>, String> {
    let items = sea_orm_items(&field.attrs)?;
    let has = |key: &str| items.iter().any(|m| meta_key(m) == key);
    let value = |key: &str| last_string(&items, key);
    let self_ref = has("self_ref") && has("from") && has("to") && !has("via");
    if !(has("belongs_to") || self_ref) || has("skip_fk") {
        return Ok(None);
    }
    let target = if has("self_ref") {
        "Entity".to_owned()
    } else {
        related_entity(&field.ty)
            .ok_or("a relation field names its entity: `BelongsTo<super::cake::Entity>`")?
    };
    let line = field.ident.as_ref().map_or(0, |i| i.span().start().line);
    relation(
        line,
        &target,
        value("from"),
        value("to"),
        value("on_delete"),
        value("on_update"),
        None,
    )
    .map(Some)
}

/// The entity of `BelongsTo<E>`, `HasOne<E>` or `BelongsTo<Option<E>>`
/// (what sea-orm-cli writes for a nullable foreign key).
fn related_entity(ty: &syn::Type) -> Option<String> {
    let inner = |ty: &syn::Type| -> Option<syn::Type> {
        let syn::Type::Path(path) = ty else { return None };
        let syn::PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
            return None;
        };
        match args.args.first()? {
            syn::GenericArgument::Type(inner) => Some(inner.clone()),
            _ => None,
        }
    };
    let entity = inner(ty)?;
    let is_option =
        matches!(&entity, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"));
    Some(quote_type(&if is_option { inner(&entity)? } else { entity }))
}

fn relation(
    line: usize,
    target: &str,
    from: Option<String>,
    to: Option<String>,
    on_delete: Option<String>,
    on_update: Option<String>,
    fk_name: Option<String>,
) -> Result<DraftRelation, String> {
    let path: syn::Path = syn::parse_str(target).map_err(|_| format!("`{target}` is not an entity path"))?;
    let from = from.ok_or("`belongs_to` needs `from = \"...\"`")?;
    let to = to.ok_or("`belongs_to` needs `to = \"...\"`")?;
    let (from, to) = (relation_columns(&from)?, relation_columns(&to)?);
    if from.is_empty() || from.len() != to.len() {
        return Err(format!(
            "`from` names {} columns and `to` {}: a foreign key needs as many on each side, at least one",
            from.len(),
            to.len()
        ));
    }
    Ok(DraftRelation {
        line,
        target: path.segments.iter().map(|s| s.ident.to_string()).collect(),
        from,
        to,
        on_delete: on_delete.as_deref().map(foreign_key_action).transpose()?,
        on_update: on_update.as_deref().map(foreign_key_action).transpose()?,
        fk_name,
    })
}

/// `Column::CakeId`, `cake_id` or `(Column::A, Column::B)` as `Column`
/// variants (sea-orm-macros `RelationColumns::from_lit`).
fn relation_columns(text: &str) -> Result<Vec<String>, String> {
    let inner = text.trim();
    let inner = inner
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or(inner);
    inner
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let path: syn::Path = syn::parse_str(part).map_err(|_| format!("`{part}` is not a column"))?;
            let last = path.segments.last().expect("a parsed path has a segment");
            Ok(last.ident.unraw().to_string().to_upper_camel_case())
        })
        .collect()
}

fn foreign_key_action(text: &str) -> Result<ForeignKeyAction, String> {
    Ok(match text {
        "Cascade" => ForeignKeyAction::Cascade,
        "SetNull" => ForeignKeyAction::SetNull,
        "SetDefault" => ForeignKeyAction::SetDefault,
        "Restrict" => ForeignKeyAction::Restrict,
        "NoAction" => ForeignKeyAction::NoAction,
        other => {
            return Err(format!(
                "`{other}` is not a foreign key action (Cascade, SetNull, SetDefault, Restrict, NoAction)"
            ))
        }
    })
}

fn implements(imp: &syn::ItemImpl, trait_name: &str) -> bool {
    imp.trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .is_some_and(|s| s.ident == trait_name)
}

/// Whether the identifier `word` occurs anywhere in the impl.
fn mentions(imp: &syn::ItemImpl, word: &str) -> bool {
    fn walk(tokens: proc_macro2::TokenStream, word: &str) -> bool {
        tokens.into_iter().any(|token| match token {
            proc_macro2::TokenTree::Ident(ident) => ident == word,
            proc_macro2::TokenTree::Group(group) => walk(group.stream(), word),
            _ => false,
        })
    }
    walk(quote::ToTokens::to_token_stream(imp), word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(relative: &str, text: &str) -> SourceFile {
        SourceFile {
            path: PathBuf::from("src").join(relative),
            relative: PathBuf::from(relative),
            text: text.to_owned(),
        }
    }

    fn entity(table: &str, fields: &str) -> String {
        format!(
            "use sea_orm::entity::prelude::*;\n\n#[derive(Clone, Debug, DeriveEntityModel)]\n\
             #[sea_orm(table_name = \"{table}\")]\npub struct Model {{\n    #[sea_orm(primary_key)]\n    \
             pub id: i32,\n{fields}}}\n"
        )
    }

    fn problems(files: &[SourceFile]) -> Vec<String> {
        match read(files, SeaOrmMajor::Two) {
            Ok(_) => Vec::new(),
            Err(SourceErrors(errors)) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_negative_default_is_read_with_its_sign() {
        let files = [file(
            "a.rs",
            &entity("a", "    #[sea_orm(default_value = -5)]\n    pub depth: i32,\n"),
        )];
        let read = read(&files, SeaOrmMajor::Two).unwrap();
        let default = read.entities[0].columns[1].default.clone().unwrap();
        assert_eq!(default, sea_query::Expr::val(-5));
    }

    #[test]
    fn a_relation_with_unequal_sides_is_refused() {
        let files = [file(
            "a.rs",
            &format!(
                "{}\n#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\npub enum Relation {{\n    \
                 #[sea_orm(belongs_to = \"Entity\", from = \"(Column::Id, Column::Id)\", to = \"Column::Id\")]\n    \
                 Parent,\n}}\n",
                entity("a", "")
            ),
        )];
        let said = problems(&files);
        assert!(said[0].contains("`from` names 2 columns and `to` 1"), "{said:?}");
    }

    #[test]
    fn a_type_two_modules_declare_is_not_guessed() {
        let status = "#[derive(DeriveActiveEnum)]\n#[sea_orm(rs_type = \"String\", db_type = \"Enum\")]\n\
                      pub enum Status {\n    #[sea_orm(string_value = \"a\")]\n    A,\n}\n";
        let files = [
            file("lib.rs", "pub mod a;\npub mod b;\n"),
            file(
                "a.rs",
                &format!("{}{status}", entity("a", "    pub status: Status,\n")),
            ),
            file("b.rs", status),
        ];
        let said = problems(&files);
        assert!(said[0].contains("declared more than once"), "{said:?}");
    }

    #[test]
    fn an_entity_derived_with_its_columns_written_by_hand_is_refused() {
        let files = [file(
            "a.rs",
            "#[derive(Copy, Clone, Default, Debug, DeriveEntity)]\n#[sea_orm(table_name = \"a\")]\npub struct Entity;\n",
        )];
        let said = problems(&files);
        assert!(
            said[0].contains("`a` is written in the expanded format"),
            "{said:?}"
        );
    }

    #[test]
    fn a_file_the_crate_does_not_compile_is_not_read() {
        let files = [
            file("lib.rs", "pub mod a;\n"),
            file("a.rs", &entity("a", "")),
            file("ui/broken.rs", "fn ("),
            file("b.rs", &entity("b", "")),
        ];
        let read = read(&files, SeaOrmMajor::Two).unwrap();
        assert_eq!(read.entities.len(), 1);
        assert_eq!(read.left_out, [PathBuf::from("src/b.rs")]);
    }
}

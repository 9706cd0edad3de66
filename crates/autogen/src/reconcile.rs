//! `autogen reconcile`: brings the entities level with the database after a
//! baseline. Entities as `sea-orm-cli generate entity` writes them declare
//! none of the database's indexes and defaults, so `check` would fail on a
//! database nobody changed. What SeaORM can say is written into the entity
//! files as the smallest edit (an item in the field's `#[sea_orm(...)]`);
//! what it cannot (an index over several columns that is not unique, a
//! partial or expression index, a CHECK) is declared in `autogen.toml`'s
//! `[declare]`, which autogenerate keeps; what needs a person (a field's
//! Rust type, a relation, a table with no entity) is listed, never guessed.
//!
//! The differences are the upgrade ops autogenerate finds: each op that
//! would change the database towards the entities says, read the other way,
//! what the entities lack. Ops that add what the entities declare and the
//! database lacks are the user's next revision, and are left alone.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use autogen_reflect::entity_source::{
    AttributeKey, ColumnAttribute, ColumnEdit, DefaultLiteral, EntityField, EntityFiles, EntitySource,
};
use autogen_schema::{ColumnType, Constraint, DefaultValue, Dialect, Index, IndexPart, Op, Schema, StringLen};

use crate::command;
use crate::compare::Comparison;
use crate::config::Config;
use crate::entities::{rust_files, shortest, source_dirs};
use crate::scope::{DeclaredCheck, DeclaredExpression, DeclaredIndex, DeclaredPart, Declarations};
use crate::Project;

/// What `reconcile` found and would write, or wrote.
#[derive(Clone, Debug, Default)]
pub struct Reconciliation {
    /// Each difference written into an entity file or declared, as one line
    /// (`entity/src/post.rs:12: 'post.views' default_value = 0`).
    pub resolved: Vec<String>,
    /// What needs a person: the difference and what to do.
    pub by_hand: Vec<String>,
    /// What the entities declare and the database lacks: the next revision's.
    pub for_revision: Vec<String>,
    /// The files changed: the entity files and `autogen.toml`.
    pub files: Vec<FileChange>,
}

/// One file's text before and after.
#[derive(Clone, Debug)]
pub struct FileChange {
    /// The file.
    pub path: PathBuf,
    /// Its text as it is.
    pub before: String,
    /// Its text as `reconcile` leaves it.
    pub after: String,
}

impl FileChange {
    /// A unified diff of the change, for review.
    pub fn diff(&self) -> String {
        let path = self.path.display().to_string();
        similar::TextDiff::from_lines(&self.before, &self.after)
            .unified_diff()
            .header(&path, &path)
            .to_string()
    }
}

/// Compares the database with the entities and works out how to resolve
/// each difference; with `write`, writes the entity files and `autogen.toml`.
/// Nothing is written when any file cannot be read or edited.
pub async fn reconcile(project: &Project, config: &Config, write: bool) -> Result<Reconciliation> {
    let comparison = command::compare(project, config).await?;
    let dirs = source_dirs(config)?;
    let base = config.path.parent().unwrap_or(Path::new("."));
    let files = read_entity_files(&dirs, base)?;
    let mut plan = Plan::new(&comparison, &files, &config.declare);
    plan.ops(&comparison.upgrade, None);
    let reconciliation = plan.finish(config)?;
    if write {
        write_all(base, &reconciliation.files)?;
    }
    Ok(reconciliation)
}

/// Writes every file beside itself first, then moves each into place, so a
/// full disk or a read-only file stops the run before any file changed.
fn write_all(base: &Path, files: &[FileChange]) -> Result<()> {
    let staging = |path: &Path| {
        let mut staging = path.as_os_str().to_owned();
        staging.push(".reconciling");
        PathBuf::from(staging)
    };
    let staged: Vec<(PathBuf, PathBuf)> = files
        .iter()
        .map(|file| {
            let path = base.join(&file.path);
            let staged = staging(&path);
            std::fs::write(&staged, &file.after).with_context(|| format!("cannot write {}", staged.display()))?;
            Ok((staged, path))
        })
        .collect::<Result<_>>()
        .inspect_err(|_| {
            for file in files {
                let _ = std::fs::remove_file(staging(&base.join(&file.path)));
            }
        })?;
    for (staging, path) in staged {
        std::fs::rename(&staging, &path).with_context(|| format!("cannot replace {}", path.display()))?;
    }
    Ok(())
}

/// Every `.rs` file under `dirs`, read as entity sources.
fn read_entity_files(dirs: &[PathBuf], base: &Path) -> Result<EntityFiles> {
    let mut texts = Vec::new();
    for dir in dirs {
        texts.extend(rust_files(dir)?);
    }
    let texts = texts.into_iter().map(|(path, text)| (shortest(&path, base), text));
    EntityFiles::read(texts).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The resolutions being gathered.
struct Plan<'a> {
    comparison: &'a Comparison,
    files: &'a EntityFiles,
    /// What `autogen.toml` declares already.
    declared: &'a Declarations,
    /// Edits by entity file, in the order found.
    edits: Vec<(&'a EntitySource, Vec<ColumnEdit>)>,
    /// (file, column, attribute) already edited: one item per key and field.
    touched: BTreeSet<(PathBuf, String, AttributeKey)>,
    declared_indexes: Vec<DeclaredIndex>,
    declared_checks: Vec<DeclaredCheck>,
    resolved: Vec<String>,
    by_hand: Vec<String>,
    for_revision: Vec<String>,
}

impl<'a> Plan<'a> {
    fn new(comparison: &'a Comparison, files: &'a EntityFiles, declared: &'a Declarations) -> Self {
        Self {
            comparison,
            files,
            declared,
            edits: Vec::new(),
            touched: BTreeSet::new(),
            declared_indexes: Vec::new(),
            declared_checks: Vec::new(),
            resolved: Vec::new(),
            by_hand: Vec::new(),
            for_revision: Vec::new(),
        }
    }

    fn dialect(&self) -> Dialect {
        self.comparison.dialect
    }

    /// The database as it is, in `schema` (`None`: the compared one).
    fn current(&self, schema: Option<&str>) -> Option<&'a Schema> {
        match schema {
            None => Some(&self.comparison.current),
            Some(name) => self.comparison.current.schemas.get(name),
        }
    }

    /// The entity source declaring `table`.
    fn entity(&self, schema: Option<&str>, table: &str) -> Option<&'a EntitySource> {
        let files = self.files;
        match schema {
            Some(schema) => files.entity(Some(schema), table),
            None => files
                .entity(None, table)
                .or_else(|| files.entity(Some(&self.comparison.schema), table)),
        }
    }

    fn ops(&mut self, ops: &'a [Op], schema: Option<&'a str>) {
        for op in ops {
            self.op(op, schema);
        }
    }

    fn op(&mut self, op: &'a Op, schema: Option<&'a str>) {
        match op {
            Op::DropIndex { table, name } => {
                match self.current(schema).and_then(|s| s.table(table)).and_then(|t| t.get_index(name)) {
                    Some(index) => self.index(schema, index),
                    None => self.by_hand.push(format!("index '{name}' on '{table}' is not in the database as read")),
                }
            }
            Op::AlterColumn { table, from, to } => self.column(schema, table, from, to),
            Op::RecreateTable { changes, .. } => self.ops(changes, schema),
            Op::DropConstraint { table, constraint } => self.constraint(schema, table, constraint),
            Op::InSchema { schema, ops } => self.ops(ops, Some(schema)),
            Op::DropTable { name } => self.by_hand.push(format!(
                "table '{name}' has no entity: generate one (sea-orm-cli generate entity), or leave the table \
                 out of the comparison with `ignore = [{{ kind = \"table\", name = \"{name}\" }}]` under [compare] \
                 in autogen.toml"
            )),
            Op::DropColumn { table, column } => self.by_hand.push(format!(
                "column '{table}.{column}' has no field in its entity: add one{}",
                self.located(schema, table)
            )),
            Op::DropEnum { name } => self.by_hand.push(format!(
                "enum type '{name}' is used by no entity: declare its ActiveEnum, or drop it with a revision"
            )),
            Op::AlterEnum { name, from, .. } => self.by_hand.push(format!(
                "enum '{name}' has the labels ({}) in the database: give its ActiveEnum those variants",
                from.join(", ")
            )),
            Op::AlterTableComment { table, from, .. } => self.by_hand.push(format!(
                "table '{table}' has the comment {from:?} in the database: set `comment` on its entity{}",
                self.located(schema, table)
            )),
            Op::RenameColumn { table, from, to } => self.by_hand.push(format!(
                "column '{table}.{from}' is '{to}' in the entity, which says it was renamed: run the next \
                 revision, or remove `renamed_from`"
            )),
            Op::CreateTable(_)
            | Op::AddColumn { .. }
            | Op::CreateIndex(_)
            | Op::AddConstraint { .. }
            | Op::CreateEnum { .. } => self.for_revision.push(op.describe(self.dialect()).to_string()),
            Op::FillNulls { .. }
            | Op::Execute(_)
            | Op::ExecuteData(_)
            | Op::InsertRows { .. }
            | Op::RunData { .. } => {}
        }
    }

    /// ` (path:line)` of `table`'s entity, if it has one.
    fn located(&self, schema: Option<&str>, table: &str) -> String {
        self.entity(schema, table)
            .map(|e| format!(" ({}:{})", e.path.display(), e.line))
            .unwrap_or_default()
    }

    /// The database has `index`; the entities do not.
    fn index(&mut self, schema: Option<&'a str>, index: &Index) {
        let what = format!("index '{}' on '{}'", index.name, index.table);
        match crate::compare::attribute_columns(index) {
            Some(columns) => {
                let attribute = match (columns.as_slice(), index.unique) {
                    ([_], false) => Some(ColumnAttribute::Indexed),
                    ([_], true) => Some(ColumnAttribute::Unique),
                    _ if self.declared_in_order(schema, &index.table, &columns) => {
                        Some(ColumnAttribute::UniqueKey(index.name.clone()))
                    }
                    // SeaORM orders a unique_key's columns as the fields are.
                    _ => None,
                };
                let written = attribute.is_some_and(|attribute| {
                    columns
                        .iter()
                        .all(|column| self.can_add(schema, &index.table, column, &attribute))
                        && columns
                            .iter()
                            .all(|column| self.add(schema, &index.table, column, attribute.clone(), &what))
                });
                if !written {
                    self.declare_index(index);
                }
            }
            None => self.declare_index(index),
        }
    }

    /// Whether `columns` are fields of `table`'s entity in that order, as
    /// SeaORM orders a `unique_key`'s columns.
    fn declared_in_order(&self, schema: Option<&str>, table: &str, columns: &[&str]) -> bool {
        let Some(entity) = self.entity(schema, table) else {
            return false;
        };
        let positions: Option<Vec<usize>> = columns
            .iter()
            .map(|c| entity.columns.iter().position(|f| f.column == *c))
            .collect();
        positions.is_some_and(|p| p.windows(2).all(|w| w[0] < w[1]))
    }

    fn declare_index(&mut self, index: &Index) {
        if self.declared.index.iter().any(|d| d.table == index.table && d.name == index.name) {
            self.by_hand.push(format!(
                "index '{}' on '{}' is declared in autogen.toml, but not as the database has it ({}{}): \
                 correct its [[declare.index]]",
                index.name,
                index.table,
                index.parts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                index.where_clause.as_deref().map(|w| format!(" where {w}")).unwrap_or_default()
            ));
            return;
        }
        let declared = DeclaredIndex {
            table: index.table.clone(),
            name: index.name.clone(),
            columns: index
                .parts
                .iter()
                .map(|part| match part {
                    IndexPart::Column(name) => DeclaredPart::Column(name.clone()),
                    IndexPart::Expression(sql) => DeclaredPart::Expression(DeclaredExpression {
                        expression: sql.clone(),
                    }),
                })
                .collect(),
            unique: index.unique,
            where_clause: index.where_clause.clone(),
        };
        self.resolved.push(format!(
            "autogen.toml: [[declare.index]] '{}' on '{}' ({}), which no entity attribute can express",
            index.name,
            index.table,
            index.parts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ));
        self.declared_indexes.push(declared);
    }

    fn constraint(&mut self, schema: Option<&'a str>, table: &str, constraint: &Constraint) {
        match constraint {
            Constraint::Unique(unique) => {
                let columns: Vec<&str> = unique.columns.iter().map(String::as_str).collect();
                let name = unique.name.clone().unwrap_or_else(|| format!("{table}_{}_key", columns.join("_")));
                let as_index = Index {
                    name,
                    table: table.to_owned(),
                    parts: unique.columns.iter().cloned().map(IndexPart::Column).collect(),
                    unique: true,
                    where_clause: None,
                };
                self.index(schema, &as_index);
            }
            Constraint::Check(check) => {
                self.resolved.push(format!(
                    "autogen.toml: [[declare.check]] on '{table}' ({}), which SeaORM cannot carry",
                    check.expression
                ));
                self.declared_checks.push(DeclaredCheck {
                    table: table.to_owned(),
                    name: check.name.clone(),
                    expression: check.expression.clone(),
                });
            }
            Constraint::ForeignKey(fk) => self.by_hand.push(format!(
                "foreign key ({}) -> {} ({}) on '{table}' has no relation in the entity: declare it with \
                 `#[sea_orm(belongs_to = ...)]` on the Relation enum{}",
                fk.columns.join(", "),
                fk.ref_table,
                fk.ref_columns.join(", "),
                self.located(schema, table)
            )),
            Constraint::PrimaryKey(pk) => self.by_hand.push(format!(
                "the primary key of '{table}' is ({}) in the database: mark those fields `primary_key`{}",
                pk.columns.join(", "),
                self.located(schema, table)
            )),
        }
    }

    /// The database has `from`; the entity says `to`.
    fn column(&mut self, schema: Option<&'a str>, table: &str, from: &autogen_schema::Column, to: &autogen_schema::Column) {
        let dialect = self.dialect();
        let what = format!("'{table}.{}'", to.name);
        if !dialect.same_type(&from.column_type, &to.column_type) {
            match column_type_attribute(&from.column_type).filter(|_| same_rust_value(&from.column_type, &to.column_type)) {
                Some(text) => {
                    self.set(schema, table, &to.name, ColumnAttribute::ColumnType(text), &what);
                }
                // Another Rust type: `column_type` alone would pass `check`
                // and fail when a row is read.
                None => self.by_hand.push(format!(
                    "{what} is {:?} in the database and {:?} in the entity: give the field the Rust type \
                     SeaORM reads that column as{}",
                    from.column_type,
                    to.column_type,
                    self.located(schema, table)
                )),
            }
        }
        if !dialect.same_default(from.server_default(), to.server_default()) {
            self.default(schema, table, &to.name, from.server_default(), &what);
        }
        if from.unique != to.unique {
            if from.unique {
                self.add(schema, table, &to.name, ColumnAttribute::Unique, &what);
            } else {
                self.remove(schema, table, &to.name, AttributeKey::Unique, &what);
            }
        }
        if dialect.stores_comments() && !dialect.same_comment(from.comment.as_deref(), to.comment.as_deref()) {
            match &from.comment {
                Some(comment) => {
                    self.set(schema, table, &to.name, ColumnAttribute::Comment(comment.clone()), &what);
                }
                None => self.remove(schema, table, &to.name, AttributeKey::Comment, &what),
            }
        }
        // SQLite's rowid is NOT NULL and numbered however it is declared.
        let rowid = dialect == Dialect::Sqlite
            && self
                .current(schema)
                .and_then(|s| s.table(table))
                .and_then(|t| t.primary_key.as_ref())
                .is_some_and(|pk| pk.columns == [to.name.clone()]);
        if from.nullable != to.nullable && !rowid {
            self.by_hand.push(format!(
                "{what} is {} in the database: make the field's type {}{}",
                if from.nullable { "nullable" } else { "NOT NULL" },
                if from.nullable { "an Option" } else { "not an Option" },
                self.located(schema, table)
            ));
        }
        if from.auto_increment != to.auto_increment && !rowid {
            self.by_hand.push(format!(
                "{what} is {}auto-increment in the database: set `auto_increment = {}` on the field{}",
                if from.auto_increment { "" } else { "not " },
                from.auto_increment,
                self.located(schema, table)
            ));
        }
    }

    /// The field gets the database's default, or loses its own.
    fn default(&mut self, schema: Option<&'a str>, table: &str, column: &str, default: Option<&DefaultValue>, what: &str) {
        let Some((_, field)) = self.field(schema, table, column, what) else {
            return;
        };
        let has_value = field.item(AttributeKey::DefaultValue.as_str()).is_some();
        let has_expr = field.item(AttributeKey::DefaultExpr.as_str()).is_some();
        let attribute = default.and_then(|d| default_attribute(d, &field.rust_type));
        match (default, attribute) {
            (Some(d), None) => self.by_hand.push(format!(
                "{what} defaults to {d:?} in the database, which a default attribute cannot say{}",
                self.located(schema, table)
            )),
            (_, Some(attribute)) => {
                // One default attribute: the other kind goes.
                let (other, other_present) = match attribute {
                    ColumnAttribute::DefaultExpr(_) => (AttributeKey::DefaultValue, has_value),
                    _ => (AttributeKey::DefaultExpr, has_expr),
                };
                if other_present {
                    self.remove(schema, table, column, other, what);
                }
                self.set(schema, table, column, attribute, what);
            }
            (None, _) => {
                if has_value {
                    self.remove(schema, table, column, AttributeKey::DefaultValue, what);
                }
                if has_expr {
                    self.remove(schema, table, column, AttributeKey::DefaultExpr, what);
                }
            }
        }
    }

    /// The entity source of `table` and the field of `column` in it, or a
    /// note saying why there is none.
    fn field(
        &mut self,
        schema: Option<&str>,
        table: &str,
        column: &str,
        what: &str,
    ) -> Option<(&'a EntitySource, &'a EntityField)> {
        let Some(entity) = self.entity(schema, table) else {
            self.by_hand.push(format!("{what}: no entity source declares table '{table}'"));
            return None;
        };
        let field = entity.column(column);
        if field.is_none() {
            self.by_hand.push(format!(
                "{what}: {}:{} has no field for column '{column}'",
                entity.path.display(),
                entity.line
            ));
        }
        field.map(|field| (entity, field))
    }

    /// Whether the field of `table.column` has an item of kind `key`;
    /// `None` when there is no such field.
    fn has_item(&self, schema: Option<&str>, table: &str, column: &str, key: AttributeKey) -> Option<bool> {
        let field = self.entity(schema, table)?.column(column)?;
        Some(field.item(key.as_str()).is_some())
    }

    /// Whether `attribute` can be added to the field: it has no such item yet and none was planned.
    fn can_add(&self, schema: Option<&str>, table: &str, column: &str, attribute: &ColumnAttribute) -> bool {
        let key = attribute.key();
        self.has_item(schema, table, column, key) == Some(false)
            && self.entity(schema, table).is_some_and(|entity| {
                !self.touched.contains(&(entity.path.clone(), column.to_owned(), key))
            })
    }

    fn add(&mut self, schema: Option<&str>, table: &str, column: &str, attribute: ColumnAttribute, what: &str) -> bool {
        self.edit(schema, table, column, ColumnEdit::add(column, attribute), what)
    }

    /// Adds `attribute`, or replaces the field's item of that kind.
    fn set(&mut self, schema: Option<&str>, table: &str, column: &str, attribute: ColumnAttribute, what: &str) -> bool {
        let edit = if self.has_item(schema, table, column, attribute.key()) == Some(true) {
            ColumnEdit::replace(column, attribute)
        } else {
            ColumnEdit::add(column, attribute)
        };
        self.edit(schema, table, column, edit, what)
    }

    fn remove(&mut self, schema: Option<&str>, table: &str, column: &str, key: AttributeKey, what: &str) {
        if self.has_item(schema, table, column, key) == Some(true) {
            self.edit(schema, table, column, ColumnEdit::remove(column, key), what);
        } else {
            self.by_hand.push(format!(
                "{what}: the database has no {key}, but the field has none to remove{}",
                self.located(schema, table)
            ));
        }
    }

    /// Plans `edit` on the field; false (and a note) when there is no field
    /// to edit or the edit cannot be made there (a field whose type the file
    /// does not define takes no `column_type`, say).
    fn edit(&mut self, schema: Option<&str>, table: &str, column: &str, edit: ColumnEdit, what: &str) -> bool {
        let Some((entity, field)) = self.field(schema, table, column, what) else {
            return false;
        };
        let key = (entity.path.clone(), column.to_owned(), edit.change.key());
        if !self.touched.insert(key) {
            return false;
        }
        if let Err(error) = entity.edit(std::slice::from_ref(&edit)) {
            self.by_hand.push(format!("{what}: {error}"));
            return false;
        }
        self.resolved.push(format!(
            "{}:{}: {what} {}",
            entity.path.display(),
            field.line,
            describe(&edit)
        ));
        match self.edits.iter_mut().find(|(e, _)| e.path == entity.path) {
            Some((_, edits)) => edits.push(edit),
            None => self.edits.push((entity, vec![edit])),
        }
        true
    }

    /// The files to change, with their new text.
    fn finish(self, config: &Config) -> Result<Reconciliation> {
        let mut files = Vec::new();
        for (entity, edits) in &self.edits {
            let after = entity.edit(edits).map_err(|e| anyhow::anyhow!("{e}"))?;
            files.push(FileChange {
                path: entity.path.clone(),
                before: entity.text().to_owned(),
                after,
            });
        }
        if !self.declared_indexes.is_empty() || !self.declared_checks.is_empty() {
            let before = std::fs::read_to_string(&config.path)
                .with_context(|| format!("cannot read {}", config.path.display()))?;
            let after = declare(&before, &self.declared_indexes, &self.declared_checks)
                .with_context(|| format!("cannot edit {}", config.path.display()))?;
            files.push(FileChange {
                path: shortest(&config.path, config.path.parent().unwrap_or(Path::new("."))),
                before,
                after,
            });
        }
        Ok(Reconciliation {
            resolved: self.resolved,
            by_hand: self.by_hand,
            for_revision: self.for_revision,
            files,
        })
    }
}

/// An edit as the report shows it: `add indexed`, `set default_value = 0`.
fn describe(edit: &ColumnEdit) -> String {
    use autogen_reflect::entity_source::AttributeChange;
    match &edit.change {
        AttributeChange::Add(attribute) => format!("add {}", attribute_text(attribute)),
        AttributeChange::Replace(attribute) => format!("set {}", attribute_text(attribute)),
        AttributeChange::Remove(key) => format!("remove {key}"),
    }
}

fn attribute_text(attribute: &ColumnAttribute) -> String {
    match attribute {
        ColumnAttribute::Indexed => "indexed".to_owned(),
        ColumnAttribute::Unique => "unique".to_owned(),
        ColumnAttribute::UniqueKey(key) => format!("unique_key = {key:?}"),
        ColumnAttribute::DefaultValue(value) => format!(
            "default_value = {}",
            match value {
                DefaultLiteral::String(s) => format!("{s:?}"),
                DefaultLiteral::Integer(i) => i.to_string(),
                DefaultLiteral::Float(f) => format!("{f:?}"),
                DefaultLiteral::Bool(b) => b.to_string(),
            }
        ),
        ColumnAttribute::DefaultExpr(expr) => format!("default_expr = {expr:?}"),
        ColumnAttribute::ColumnType(text) => format!("column_type = {text:?}"),
        ColumnAttribute::Comment(text) => format!("comment = {text:?}"),
    }
}

/// The default as SeaORM's attribute says it, for a field of `rust_type`:
/// a literal as `default_value`, an expression as `default_expr`. A boolean
/// field's `0`/`1` (as SQLite and MySQL report it) is `false`/`true`.
fn default_attribute(default: &DefaultValue, rust_type: &str) -> Option<ColumnAttribute> {
    let is_bool = rust_type.trim_start_matches("Option<").trim_end_matches('>').trim() == "bool";
    Some(match default {
        DefaultValue::Null => return None,
        DefaultValue::Int(i @ (0 | 1)) if is_bool => ColumnAttribute::DefaultValue(DefaultLiteral::Bool(*i == 1)),
        DefaultValue::Bool(b) => ColumnAttribute::DefaultValue(DefaultLiteral::Bool(*b)),
        DefaultValue::Int(i) => ColumnAttribute::DefaultValue(DefaultLiteral::Integer(*i)),
        DefaultValue::Float(f) => ColumnAttribute::DefaultValue(DefaultLiteral::Float(*f)),
        DefaultValue::String(s) => ColumnAttribute::DefaultValue(DefaultLiteral::String(s.clone())),
        DefaultValue::Expr(sql) if sql.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
            ColumnAttribute::DefaultExpr("Expr::current_timestamp()".to_owned())
        }
        DefaultValue::Expr(sql) => ColumnAttribute::DefaultExpr(format!("Expr::cust({sql:?})")),
    })
}

/// Whether a field SeaORM reads as `a` is read the same way as `b`: only a
/// length, precision or spelling differs, so `column_type` alone is the fix.
/// Between `i32` and `i64`, or text and a number, the field's type must
/// change, which is a person's call.
fn same_rust_value(a: &ColumnType, b: &ColumnType) -> bool {
    use ColumnType as T;
    let family = |t: &ColumnType| match t {
        T::Char(_) | T::String(_) | T::Text => 1,
        T::Decimal(_) | T::Money(_) => 2,
        T::DateTime | T::Timestamp => 3,
        T::Binary(_) | T::VarBinary(_) | T::Blob => 4,
        T::Json | T::JsonBinary => 5,
        _ => 0,
    };
    family(a) != 0 && family(a) == family(b)
}

/// `column_type` as sea-orm-macros reads it (the text after `ColumnType::`),
/// or `None` for a type that attribute cannot name (an enum, an array).
fn column_type_attribute(column_type: &ColumnType) -> Option<String> {
    let len = |l: &StringLen| match l {
        StringLen::N(n) => format!("StringLen::N({n})"),
        StringLen::Max => "StringLen::Max".to_owned(),
        StringLen::None => "StringLen::None".to_owned(),
    };
    let precision = |p: &Option<(u32, u32)>| match p {
        Some((p, s)) => format!("Some(({p}, {s}))"),
        None => "None".to_owned(),
    };
    Some(match column_type {
        ColumnType::Char(n) => format!("Char({n:?})"),
        ColumnType::String(l) => format!("String({})", len(l)),
        ColumnType::VarBinary(l) => format!("VarBinary({})", len(l)),
        ColumnType::Decimal(p) => format!("Decimal({})", precision(p)),
        ColumnType::Money(p) => format!("Money({})", precision(p)),
        ColumnType::Binary(n) => format!("Binary({n})"),
        ColumnType::Bit(n) => format!("Bit({n:?})"),
        ColumnType::VarBit(n) => format!("VarBit({n})"),
        ColumnType::Vector(n) => format!("Vector({n:?})"),
        ColumnType::Custom(name) => format!("custom({name:?})"),
        ColumnType::Enum { .. } | ColumnType::Array(_) | ColumnType::Interval(..) => return None,
        // The remaining variants carry no payload: their Debug form is their name.
        unit => format!("{unit:?}"),
    })
}

/// `text` (an autogen.toml) with the declarations appended at its end,
/// every other byte kept: inserted among the keys, they would sit above the
/// commented-out settings of the section before them.
fn declare(text: &str, indexes: &[DeclaredIndex], checks: &[DeclaredCheck]) -> Result<String> {
    let mut added = toml_edit::DocumentMut::new();
    let mut declare = toml_edit::Table::new();
    declare.set_implicit(true);
    let mut index_tables = toml_edit::ArrayOfTables::new();
    for index in indexes {
        let mut table = toml_edit::Table::new();
        table.insert("table", toml_edit::value(&index.table));
        table.insert("name", toml_edit::value(&index.name));
        let mut columns = toml_edit::Array::new();
        for part in &index.columns {
            match part {
                DeclaredPart::Column(name) => columns.push(name.as_str()),
                DeclaredPart::Expression(e) => {
                    let mut inline = toml_edit::InlineTable::new();
                    inline.insert("expression", e.expression.as_str().into());
                    columns.push(inline);
                }
            }
        }
        table.insert("columns", toml_edit::value(columns));
        if index.unique {
            table.insert("unique", toml_edit::value(true));
        }
        if let Some(condition) = &index.where_clause {
            table.insert("where", toml_edit::value(condition));
        }
        index_tables.push(table);
    }
    let mut check_tables = toml_edit::ArrayOfTables::new();
    for check in checks {
        let mut table = toml_edit::Table::new();
        table.insert("table", toml_edit::value(&check.table));
        if let Some(name) = &check.name {
            table.insert("name", toml_edit::value(name));
        }
        table.insert("expression", toml_edit::value(&check.expression));
        check_tables.push(table);
    }
    if !index_tables.is_empty() {
        declare.insert("index", toml_edit::Item::ArrayOfTables(index_tables));
    }
    if !check_tables.is_empty() {
        declare.insert("check", toml_edit::Item::ArrayOfTables(check_tables));
    }
    added.insert("declare", toml_edit::Item::Table(declare));
    let separator = if text.is_empty() || text.ends_with("\n\n") {
        ""
    } else if text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    let joined = format!(
        "{text}{separator}# What no entity attribute can express, declared by `autogen reconcile`.\n{added}"
    );
    // The file may already declare some in a way appending cannot extend.
    joined.parse::<toml_edit::DocumentMut>()?;
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use autogen_schema::{Column, Table};

    /// `post` as `sea-orm-cli generate entity` writes it: no index, no default.
    const POST: &str = r#"//! `SeaORM` Entity, @generated by sea-orm-codegen 2.0.4

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Eq)]
#[sea_orm(table_name = "post")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub author_id: i32,
    pub title: String,
    pub slug: String,
    pub views: i32,
    pub published: bool,
    pub created_at: DateTime,
    pub deleted_at: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
"#;

    fn entity_post() -> Table {
        Table::new("post")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("author_id", ColumnType::Integer))
            .column(Column::new("title", ColumnType::String(StringLen::None)))
            .column(Column::new("slug", ColumnType::String(StringLen::None)))
            .column(Column::new("views", ColumnType::Integer))
            .column(Column::new("published", ColumnType::Boolean))
            .column(Column::new("created_at", ColumnType::DateTime))
            .column(Column::new("deleted_at", ColumnType::DateTime).nullable())
            .primary_key(["id"])
    }

    /// The database sea-orm-migration built, with what the entity lacks.
    fn database_post() -> Table {
        let mut live = Index::new("idx_post_live", "post", ["created_at"]);
        live.where_clause = Some("deleted_at IS NULL".into());
        let mut post = entity_post();
        post.columns[2].column_type = ColumnType::String(StringLen::N(200));
        post.columns[4].default = Some(DefaultValue::Int(0));
        post.columns[5].default = Some(DefaultValue::Int(1));
        post.columns[6].default = Some(DefaultValue::Expr("CURRENT_TIMESTAMP".into()));
        post.index(Index::new("idx_post_author", "post", ["author_id"]))
            .index(Index::new("idx_post_slug", "post", ["slug"]).unique())
            .index(Index::new("uq_post_author_title", "post", ["author_id", "title"]).unique())
            .index(Index::new("idx_post_author_created", "post", ["author_id", "created_at"]))
            .index(live)
            .check("post_views_positive", "views >= 0")
    }

    #[test]
    fn a_baseline_drift_is_written_into_the_entity_and_declared_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("autogen.toml");
        let toml_text = "# the project's settings\n[autogen]\nscript_location = \"migration\"  # kept\ndatabase_url = \"sqlite://app.db\"\n";
        std::fs::write(&toml_path, toml_text).unwrap();
        let mut config = Config::new(dir.path(), crate::database::DatabaseUrl::new("sqlite://app.db", crate::database::UrlOrigin::Program));
        config.path = toml_path.clone();

        let mut current = Schema::new();
        current.insert(database_post());
        let mut target = Schema::new();
        target.insert(entity_post());
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let comparison = crate::compare::compared(&current, &target, dialect);
            let files = EntityFiles::read([("entity/src/post.rs", POST)]).unwrap();
            let mut plan = Plan::new(&comparison, &files, &config.declare);
            plan.ops(&comparison.upgrade, None);
            let reconciliation = plan.finish(&config).unwrap();
            assert!(reconciliation.by_hand.is_empty(), "{dialect}: {:#?}", reconciliation.by_hand);
            assert!(reconciliation.for_revision.is_empty(), "{dialect}");
            let entity = &reconciliation.files[0];
            let expected_fields = r#"pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(indexed, unique_key = "uq_post_author_title")]
    pub author_id: i32,
    #[sea_orm(unique_key = "uq_post_author_title", column_type = "String(StringLen::N(200))")]
    pub title: String,
    #[sea_orm(unique)]
    pub slug: String,
    #[sea_orm(default_value = 0)]
    pub views: i32,
    #[sea_orm(default_value = true)]
    pub published: bool,
    #[sea_orm(default_expr = "Expr::current_timestamp()")]
    pub created_at: DateTime,
    pub deleted_at: Option<DateTime>,
}"#;
            let start = entity.after.find("pub struct Model").unwrap();
            let end = entity.after[start..].find("}\n").unwrap() + start + 1;
            assert_eq!(&entity.after[start..end], expected_fields, "{dialect}");
            // Every other byte is kept.
            assert_eq!(entity.after[..start], POST[..POST.find("pub struct Model").unwrap()]);
            assert!(entity.after.ends_with(&POST[POST.find("\n#[derive(Copy").unwrap()..]));

            let declared = &reconciliation.files[1];
            assert_eq!(declared.path, Path::new("autogen.toml"));
            assert!(declared.after.starts_with(toml_text), "{}", declared.after);
            let config_after: crate::scope::Declarations = toml::from_str::<toml::Table>(&declared.after)
                .unwrap()
                .get("declare")
                .unwrap()
                .clone()
                .try_into()
                .unwrap();
            let names: Vec<&str> = config_after.index.iter().map(|i| i.name.as_str()).collect();
            assert_eq!(names, ["idx_post_author_created", "idx_post_live"], "{dialect}");
            assert_eq!(config_after.index[1].where_clause.as_deref(), Some("deleted_at IS NULL"));
            assert_eq!(config_after.check[0].expression, "views >= 0");
        }
    }

    /// `column_type` alone would make `check` pass and reading a row fail.
    #[test]
    fn a_field_of_another_rust_type_and_a_stale_declaration_are_left_to_a_person() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::new(dir.path(), crate::database::DatabaseUrl::new("sqlite://app.db", crate::database::UrlOrigin::Program));
        let mut database = entity_post();
        database.columns[4].column_type = ColumnType::BigInteger;
        let mut gone = Index::new("idx_post_author_created", "post", ["author_id", "created_at"]);
        gone.where_clause = Some("views > 0".into());
        database.indexes.push(gone);
        let mut current = Schema::new();
        current.insert(database);
        let mut target = Schema::new();
        target.insert(entity_post());
        let comparison = crate::compare::compared(&current, &target, Dialect::Postgres);
        let files = EntityFiles::read([("entity/src/post.rs", POST)]).unwrap();
        let declared: crate::scope::Declarations = toml::from_str(
            "[[index]]\ntable = \"post\"\nname = \"idx_post_author_created\"\ncolumns = [\"author_id\", \"created_at\"]\n",
        )
        .unwrap();
        let mut plan = Plan::new(&comparison, &files, &declared);
        plan.ops(&comparison.upgrade, None);
        let reconciliation = plan.finish(&config).unwrap();
        assert!(reconciliation.files.is_empty(), "nothing to write");
        assert_eq!(reconciliation.by_hand.len(), 2, "{:#?}", reconciliation.by_hand);
        assert!(reconciliation.by_hand[0].contains("declared in autogen.toml, but not as the database has it"));
        assert!(reconciliation.by_hand[1].starts_with(
            "'post.views' is BigInteger in the database and Integer in the entity: give the field the Rust type"
        ));
    }

    #[test]
    fn defaults_and_types_are_written_as_seaorm_reads_them() {
        let literal = |d: DefaultValue, ty: &str| default_attribute(&d, ty).map(|a| attribute_text(&a));
        assert_eq!(literal(DefaultValue::Int(1), "bool"), Some("default_value = true".into()));
        assert_eq!(literal(DefaultValue::Int(1), "i32"), Some("default_value = 1".into()));
        assert_eq!(literal(DefaultValue::Int(0), "Option<bool>"), Some("default_value = false".into()));
        assert_eq!(literal("it's".into(), "String"), Some(r#"default_value = "it's""#.into()));
        assert_eq!(
            literal(DefaultValue::Expr("gen_random_uuid()".into()), "Uuid"),
            Some(r#"default_expr = "Expr::cust(\"gen_random_uuid()\")""#.into())
        );
        assert_eq!(literal(DefaultValue::Null, "String"), None);
        assert_eq!(column_type_attribute(&ColumnType::Decimal(Some((10, 2)))).as_deref(), Some("Decimal(Some((10, 2)))"));
        assert_eq!(column_type_attribute(&ColumnType::Char(Some(1))).as_deref(), Some("Char(Some(1))"));
        assert_eq!(column_type_attribute(&ColumnType::Timestamp).as_deref(), Some("Timestamp"));
        assert_eq!(column_type_attribute(&ColumnType::Custom("citext".into())).as_deref(), Some(r#"custom("citext")"#));
        assert_eq!(column_type_attribute(&ColumnType::enumeration("mood", ["a"])), None);
    }
}

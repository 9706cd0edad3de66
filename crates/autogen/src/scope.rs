//! What autogenerate manages beyond the entities, from `autogen.toml`:
//! objects the project declares because no entity attribute can express
//! them, and what it chooses not to compare.
//!
//! ```toml
//! [compare]
//! server_default = false                                   # Alembic's compare_server_default
//! ignore = [{ kind = "index", name = "ix_legacy_*" }]      # Alembic's include_object
//!
//! [[declare.index]]
//! table = "post"
//! name = "idx_post_author_created"
//! columns = ["author_id", "created_at"]
//!
//! [[declare.index]]
//! table = "user"
//! name = "idx_user_email_lower"
//! columns = [{ expression = "lower(email)" }]
//! unique = true
//! where = "deleted_at IS NULL"
//!
//! [[declare.check]]
//! table = "post"
//! name = "post_rating_range"
//! expression = "rating BETWEEN 1 AND 5"
//! ```

use autogen_diff::ObjectKind;
use autogen_schema::{Check, Index, IndexPart};
use serde::Deserialize;

/// The `[compare]` and `[declare]` sections, as read.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareSettings {
    /// Whether server defaults are compared (on unless turned off).
    #[serde(default = "compared")]
    pub server_default: bool,
    /// Objects left out of the comparison by kind and name.
    #[serde(default)]
    pub ignore: Vec<Ignore>,
}

impl Default for CompareSettings {
    fn default() -> Self {
        Self {
            server_default: true,
            ignore: Vec::new(),
        }
    }
}

fn compared() -> bool {
    true
}

/// One `ignore` entry: every object of `kind` whose name matches `name` (`*` for any run of characters).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    /// What kind of object: `table`, `index`, `unique`, `foreign_key` or `check`.
    #[serde(with = "ObjectKindName")]
    pub kind: ObjectKind,
    /// Its name, or a pattern.
    pub name: String,
}

/// How `autogen.toml` spells an [`ObjectKind`] (serde's mirror of a type
/// from another crate, which does not depend on serde).
#[derive(Deserialize)]
#[serde(remote = "ObjectKind", rename_all = "snake_case")]
enum ObjectKindName {
    Table,
    Index,
    Unique,
    ForeignKey,
    Check,
}

/// The `[declare]` section: indexes and CHECKs the entities cannot express.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declarations {
    /// `[[declare.index]]`
    #[serde(default)]
    pub index: Vec<DeclaredIndex>,
    /// `[[declare.check]]`
    #[serde(default)]
    pub check: Vec<DeclaredCheck>,
}

/// One `[[declare.index]]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredIndex {
    /// The indexed table.
    pub table: String,
    /// The index's name, as the database has it.
    pub name: String,
    /// What is indexed, in order: a column's name, or `{ expression = "…" }`.
    pub columns: Vec<DeclaredPart>,
    /// Whether it enforces uniqueness.
    #[serde(default)]
    pub unique: bool,
    /// A partial index's predicate.
    #[serde(default, rename = "where")]
    pub where_clause: Option<String>,
}

/// One indexed element of a [`DeclaredIndex`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum DeclaredPart {
    /// A column, by name.
    Column(String),
    /// `{ expression = "…" }`.
    Expression(DeclaredExpression),
}

/// An indexed expression, `{ expression = "lower(email)" }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredExpression {
    /// As the database prints it.
    pub expression: String,
}

/// One `[[declare.check]]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredCheck {
    /// The table.
    pub table: String,
    /// The constraint's name, where the backend keeps one.
    #[serde(default)]
    pub name: Option<String>,
    /// The condition.
    pub expression: String,
}

impl DeclaredIndex {
    /// The index in the schema model.
    pub fn to_index(&self) -> Index {
        Index {
            name: self.name.clone(),
            table: self.table.clone(),
            parts: self
                .columns
                .iter()
                .map(|part| match part {
                    DeclaredPart::Column(name) => IndexPart::Column(name.clone()),
                    DeclaredPart::Expression(e) => IndexPart::Expression(e.expression.clone()),
                })
                .collect(),
            unique: self.unique,
            where_clause: self.where_clause.clone(),
        }
    }
}

impl CompareSettings {
    /// `options` (what main.rs set) with these settings and `declared` added.
    pub fn apply(&self, declared: &Declarations, options: autogen_diff::Options) -> autogen_diff::Options {
        let mut options = options.compare_server_default(self.server_default);
        for rule in &self.ignore {
            options = options.ignore(rule.kind, rule.name.clone());
        }
        for index in &declared.index {
            options = options.declare_index(index.to_index());
        }
        for check in &declared.check {
            let mut declared = Check::new(check.expression.clone());
            declared.name.clone_from(&check.name);
            options = options.declare_check(check.table.clone(), declared);
        }
        options
    }
}

//! Reads SeaORM entities into autogen's schema model: the *target* of autogenerate.
//!
//! Entities are read two ways that end alike. From their source
//! ([`Entities::from_source`]): syn reads what sea-orm-macros reads, and the
//! statements `Schema::create_table_from_entity` and
//! `Schema::create_index_from_entity` would build are rebuilt from it, with
//! no build of the entity crate, for SeaORM 1.x and 2.x. Compiled
//! ([`Entities::entity`]): SeaORM's own runtime metadata builds those
//! statements. Either way the model says what SeaORM itself would create on
//! the backend at hand, which is what makes the comparison with a live
//! database honest: SeaORM renders an enum as a PostgreSQL type, a MySQL
//! inline `ENUM`, or text on SQLite, and so does the reflected model. The
//! tests hold the two readings equal on every fixture entity.
//!
//! [`entity_source`] locates entity declarations in source files and edits
//! their attributes.
//!
//! **This crate never touches a database.**
#![deny(missing_docs)]

pub mod entity_source;
#[cfg(feature = "entity-registry")]
mod registry;
mod source;

pub use source::{SeaOrmMajor, SourceErrors, SourceFile, SourceLocation};

use std::path::PathBuf;

use autogen_schema::{
    Check, Column, ColumnType, Dialect, ForeignKey, ForeignKeyAction, Index, IndexPart, PrimaryKey, Schema,
    Table,
};
use sea_orm::sea_query::{self, ForeignKeyAction as SeaAction};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn, RelationTrait};

/// The entities that make up the target schema, registered by type:
/// `Entities::new().entity(user::Entity).entity(post::Entity)`.
#[derive(Clone, Default)]
pub struct Entities {
    registered: Vec<Registered>,
}

#[derive(Clone)]
struct Registered {
    table: String,
    /// `#[sea_orm(schema_name = "...")]`.
    schema: Option<String>,
    reading: Reading,
}

/// How an entity's statements are learnt.
#[derive(Clone)]
enum Reading {
    /// From SeaORM's runtime metadata of an entity type compiled in.
    Compiled {
        statements: fn(Dialect) -> EntityStatements,
        /// The module the entity is defined in, as SeaORM's registry names it.
        #[cfg_attr(not(feature = "entity-registry"), allow(dead_code))]
        module: &'static str,
    },
    /// From the entity's source, read without building it.
    Source(std::sync::Arc<source::SourceEntity>),
}

impl Registered {
    fn statements(&self, dialect: Dialect) -> EntityStatements {
        match &self.reading {
            Reading::Compiled { statements, .. } => statements(dialect),
            Reading::Source(entity) => entity.statements(dialect),
        }
    }
}

impl std::fmt::Debug for Entities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.table_names()).finish()
    }
}

/// Where entities and their columns are declared, by (schema, table, column).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceLocations(
    std::collections::BTreeMap<(Option<String>, String, Option<String>), SourceLocation>,
);

impl SourceLocations {
    /// Where `column` of `table` is declared, else the table's entity
    /// (`schema`: the entity's `schema_name`, `None` without one).
    pub fn get(&self, schema: Option<&str>, table: &str, column: Option<&str>) -> Option<&SourceLocation> {
        let key = |column: Option<&str>| {
            (
                schema.map(str::to_owned),
                table.to_owned(),
                column.map(str::to_owned),
            )
        };
        column
            .and_then(|c| self.0.get(&key(Some(c))))
            .or_else(|| self.0.get(&key(None)))
    }
}

/// An entity registered in another database schema than the one compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElsewhereEntity {
    /// Its table.
    pub table: String,
    /// Its `schema_name`.
    pub schema: String,
}

impl Entities {
    /// No entities.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an entity. Registering the same table twice keeps one.
    pub fn entity<E: EntityTrait>(mut self, entity: E) -> Self {
        let table = entity.table_name();
        if !self.registered.iter().any(|r| r.table == table) {
            let type_name = std::any::type_name::<E>();
            self.registered.push(Registered {
                table: table.to_owned(),
                schema: entity.schema_name().map(str::to_owned),
                reading: Reading::Compiled {
                    statements: compiled_statements::<E>,
                    module: type_name
                        .rsplit_once("::")
                        .map_or(type_name, |(module, _)| module),
                },
            });
        }
        self
    }

    /// The entities `files` declare, read from their source as an entity
    /// crate on SeaORM `major` declares them, and the entity files no
    /// module of theirs declares (the crate does not compile them, so
    /// neither are they read). `files` are the `.rs` files below one
    /// directory, the crate's `src` or a module's.
    pub fn from_source(
        files: &[SourceFile],
        major: SeaOrmMajor,
    ) -> Result<(Self, Vec<PathBuf>), SourceErrors> {
        let read = source::read(files, major)?;
        let mut entities = Self::new();
        let mut duplicates = Vec::new();
        for entity in read.entities {
            if let Some(first) = entities
                .registered
                .iter()
                .find(|r| r.table == entity.table && r.schema == entity.schema)
            {
                let Reading::Source(first) = &first.reading else {
                    unreachable!("all read from source")
                };
                duplicates.push(entity_source::EntitySourceError {
                    path: entity.location.path.clone(),
                    line: entity.location.line,
                    problem: entity_source::SourceProblem::DuplicateTable {
                        table: entity.table.clone(),
                        first_path: first.location.path.clone(),
                        first_line: first.location.line,
                    },
                });
                continue;
            }
            entities.registered.push(Registered {
                table: entity.table.clone(),
                schema: entity.schema.clone(),
                reading: Reading::Source(std::sync::Arc::new(entity)),
            });
        }
        if !duplicates.is_empty() {
            return Err(SourceErrors(duplicates));
        }
        Ok((entities, read.left_out))
    }

    /// These entities and `other`'s; a table registered in both keeps the first.
    pub fn extend(mut self, other: Entities) -> Self {
        for entity in other.registered {
            if !self
                .registered
                .iter()
                .any(|r| r.table == entity.table && r.schema == entity.schema)
            {
                self.registered.push(entity);
            }
        }
        self
    }

    /// Where each entity read from source, and each of its columns, is
    /// declared; empty for compiled entities, whose source is not read.
    pub fn locations(&self) -> SourceLocations {
        let mut locations = SourceLocations::default();
        for registered in &self.registered {
            let Reading::Source(entity) = &registered.reading else {
                continue;
            };
            let table = (registered.schema.clone(), registered.table.clone());
            locations
                .0
                .insert((table.0.clone(), table.1.clone(), None), entity.location.clone());
            for column in &entity.columns {
                let location = SourceLocation {
                    path: entity.location.path.clone(),
                    line: column.line,
                };
                locations.0.insert(
                    (table.0.clone(), table.1.clone(), Some(column.name.clone())),
                    location,
                );
            }
        }
        locations
    }

    /// The registered table names, in registration order.
    pub fn table_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.registered.iter().map(|r| r.table.as_str())
    }

    /// Whether no entity is registered.
    pub fn is_empty(&self) -> bool {
        self.registered.is_empty()
    }

    /// The schema these entities declare, as SeaORM would create it on
    /// `dialect`, for the database schema `db_schema` (`None`: the
    /// connection's default). Entities whose `schema_name` names another
    /// schema are left out; [`Entities::schema_and_others`] sets them aside.
    pub fn schema(&self, dialect: Dialect, db_schema: Option<&str>) -> Schema {
        self.reflect_where(dialect, |r| r.is_in(db_schema))
    }

    /// The schema of the entities whose `schema_name` is `db_schema`, as
    /// SeaORM would create them there on `dialect`: one of the other schemas
    /// compared beside the default one.
    fn schema_named(&self, dialect: Dialect, db_schema: &str) -> Schema {
        self.reflect_where(dialect, |r| r.schema.as_deref() == Some(db_schema))
    }

    /// The registered entities `keep` accepts, as SeaORM would create them on `dialect`.
    fn reflect_where(&self, dialect: Dialect, keep: impl Fn(&Registered) -> bool) -> Schema {
        let mut schema = Schema::new();
        for registered in self.registered.iter().filter(|r| keep(r)) {
            let (table, enums) = table_from_statements(registered.statements(dialect), dialect);
            schema.insert(table);
            schema.enums.extend(enums);
        }
        schema
    }

    /// Every `schema_name` the registered entities give, in name order.
    pub fn schema_names(&self) -> std::collections::BTreeSet<&str> {
        self.registered
            .iter()
            .filter_map(|r| r.schema.as_deref())
            .collect()
    }

    /// The schema these entities declare for the database schema
    /// `db_schema`, as SeaORM would create it on `dialect`, and the entities
    /// set aside. Where the dialect has schemas of its own (PostgreSQL),
    /// each other schema the entities name is under [`Schema::schemas`] and
    /// none is set aside; elsewhere the entities naming another schema are.
    pub fn schema_and_others(&self, dialect: Dialect, db_schema: &str) -> (Schema, Vec<ElsewhereEntity>) {
        let mut schema = self.schema(dialect, Some(db_schema));
        if !dialect.has_types_and_schemas() {
            return (schema, self.elsewhere(Some(db_schema)));
        }
        for other in self.schema_names().into_iter().filter(|s| *s != db_schema) {
            let wanted = self.schema_named(dialect, other);
            if !wanted.is_empty() {
                schema.schemas.insert(other.to_owned(), wanted);
            }
        }
        (schema, Vec::new())
    }

    /// The entities [`Entities::schema`] leaves out for `db_schema`:
    /// autogen compares one database schema at a time.
    fn elsewhere(&self, db_schema: Option<&str>) -> Vec<ElsewhereEntity> {
        self.registered
            .iter()
            .filter(|r| !r.is_in(db_schema))
            .map(|r| ElsewhereEntity {
                table: r.table.clone(),
                schema: r.schema.clone().unwrap_or_default(),
            })
            .collect()
    }

    /// Entity modules SeaORM's entity registry knows, in the crates the
    /// registered entities come from, that were not registered here, with
    /// their tables as SeaORM would create them on `dialect`.
    ///
    /// Autogenerate treats a table without an entity as one to drop, so a
    /// forgotten `.entity(...)` would read as "drop this table"; this is how
    /// commands warn instead. Each entity derive submits its module to the
    /// registry when SeaORM's `entity-registry` feature is on, which this
    /// crate's feature of that name turns on; without it there is no
    /// registry to read, and none is found.
    pub fn unregistered(&self, dialect: Dialect) -> Vec<UnregisteredEntity> {
        #[cfg(feature = "entity-registry")]
        return registry::unregistered(
            self.registered.iter().filter_map(|r| match r.reading {
                Reading::Compiled { module, .. } => Some(module),
                Reading::Source(_) => None,
            }),
            dialect,
        );
        #[cfg(not(feature = "entity-registry"))]
        {
            let _ = dialect;
            Vec::new()
        }
    }
}

/// An entity module that exists but was not registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnregisteredEntity {
    /// Its module path, e.g. `entity::comment`.
    pub module: &'static str,
    /// Its table, when the registry's description names one.
    pub table: Option<String>,
}

impl Registered {
    fn is_in(&self, db_schema: Option<&str>) -> bool {
        match &self.schema {
            None => true,
            Some(own) => Some(own.as_str()) == db_schema,
        }
    }
}

/// SeaORM's name for a dialect.
pub(crate) fn backend(dialect: Dialect) -> DbBackend {
    match dialect {
        Dialect::Sqlite => DbBackend::Sqlite,
        Dialect::Postgres => DbBackend::Postgres,
        Dialect::MySql => DbBackend::MySql,
    }
}

/// What SeaORM would run to create one entity on a backend, with what its
/// statements leave out: the entity's own column types (an enum's labels),
/// its primary key and the foreign key names it chose. Both readings produce
/// this, and [`table_from_statements`] turns it into the model, so the two
/// can differ only in how they learn what the entity declares.
pub(crate) struct EntityStatements {
    pub(crate) table: String,
    pub(crate) comment: Option<String>,
    pub(crate) create: sea_query::TableCreateStatement,
    pub(crate) indexes: Vec<sea_query::IndexCreateStatement>,
    /// Each column's type as the entity declares it, in column order.
    pub(crate) column_types: Vec<sea_query::ColumnType>,
    pub(crate) primary_key: Vec<String>,
    /// The name each foreign key's relation sets (`fk_name`), in order.
    pub(crate) fk_names: Vec<Option<String>>,
}

/// One compiled entity's statements, from SeaORM's own
/// `Schema::create_table_from_entity` and `create_index_from_entity`.
fn compiled_statements<E: EntityTrait>(dialect: Dialect) -> EntityStatements {
    let entity = E::default();
    let helper = sea_orm::Schema::new(backend(dialect));
    EntityStatements {
        table: entity.table_name().to_owned(),
        comment: entity.comment().map(str::to_owned),
        create: helper.create_table_from_entity(entity),
        indexes: helper.create_index_from_entity(entity),
        column_types: E::Column::iter()
            .map(|c| c.def().get_column_type().clone())
            .collect(),
        primary_key: E::PrimaryKey::iter()
            .map(|pk| pk.into_column().as_str().to_owned())
            .collect(),
        // SeaORM makes up `fk-<table>-<columns>` for a relation without
        // `fk_name`; only a name the entity chose is one to compare. Its
        // foreign keys come from the same relations, in the same order.
        fk_names: E::Relation::iter()
            .map(|relation| relation.def())
            .filter(|relation| !relation.is_owner && !relation.skip_fk)
            .map(|relation| relation.fk_name)
            .collect(),
    }
}

/// One entity as SeaORM would create it on `dialect`, with the enum types
/// SeaORM would create first (`Schema::create_enum_from_entity`: PostgreSQL only).
pub(crate) fn table_from_statements(
    statements: EntityStatements,
    dialect: Dialect,
) -> (Table, Vec<(String, Vec<String>)>) {
    let backend = backend(dialect);
    let create = &statements.create;
    let mut table = Table::new(&statements.table);
    let mut enums = Vec::new();
    // `create_table_from_entity` keeps the entity's column order, so the two zip.
    for (def, entity_type) in create.get_columns().iter().zip(&statements.column_types) {
        let spec = def.get_column_spec();
        // SeaORM writes an enum column as its PostgreSQL type name or as MySQL's
        // inline ENUM text; the entity's own type keeps the labels, which the
        // model needs to create the type and to compare.
        let column_type = match ColumnType::from_sea_query(entity_type) {
            ColumnType::Enum { name, variants } => {
                if dialect == Dialect::Postgres {
                    enums.push((name.clone(), variants.clone()));
                }
                ColumnType::Enum { name, variants }
            }
            _ => def
                .get_column_type()
                .map(ColumnType::from_sea_query)
                .expect("SeaORM always declares a column type"),
        };
        let (mut comment, renamed_from) = autogen_schema::split_rename_hint(spec.comment.as_deref());
        // On MySQL, SeaORM writes the hint into the real column comment; the
        // model says what SeaORM creates, so there it stays.
        if dialect == Dialect::MySql {
            comment.clone_from(&spec.comment);
        }
        table.columns.push(Column {
            name: def.get_column_name(),
            column_type,
            // SeaORM only ever says NOT NULL; a nullable column has no null spec at all.
            nullable: spec.nullable != Some(false),
            default: spec
                .default
                .as_ref()
                .map(|e| dialect.parse_default(&expr_sql(e, backend))),
            auto_increment: spec.auto_increment,
            unique: spec.unique,
            comment,
            extra: None,
            renamed_from,
        });
        // SeaORM has no CHECK attribute; `extra = "CHECK (…)"` is how entities
        // write one, and a database reports it as a constraint, so it is one here.
        match spec.extra.as_deref().map(str::trim) {
            None | Some("") => {}
            Some(extra) => match check_constraint(extra) {
                Some(check) => table.checks.push(check),
                None => table.columns.last_mut().expect("just pushed").extra = Some(extra.to_owned()),
            },
        }
    }
    table.comment = statements.comment;
    if !statements.primary_key.is_empty() {
        // SeaORM names a composite key `pk-<table>` itself; an entity cannot
        // choose the name, so it is left to the database and never compared.
        table.primary_key = Some(PrimaryKey {
            name: None,
            columns: statements.primary_key,
        });
    }
    for (fk, chosen_name) in create
        .get_foreign_key_create_stmts()
        .iter()
        .zip(statements.fk_names)
    {
        let fk = fk.get_foreign_key();
        table.foreign_keys.push(ForeignKey {
            name: chosen_name,
            columns: fk.get_columns(),
            ref_table: fk
                .get_ref_table()
                .map(|t| t.sea_orm_table().to_string())
                .expect("a SeaORM relation always names its table"),
            ref_columns: fk.get_ref_columns(),
            on_delete: action(fk.get_on_delete()),
            on_update: action(fk.get_on_update()),
        });
    }
    for index in &statements.indexes {
        let spec = index.get_index_spec();
        table.indexes.push(Index {
            name: spec.get_name().expect("SeaORM names every index").to_owned(),
            table: table.name.clone(),
            parts: spec
                .get_column_names()
                .into_iter()
                .map(IndexPart::Column)
                .collect(),
            unique: index.is_unique_key(),
            where_clause: None,
        });
    }
    (table, enums)
}

/// `CHECK (cond)` or `CONSTRAINT name CHECK (cond)`, as a [`Check`]; anything
/// else (a collation, a generated column) is not one.
fn check_constraint(extra: &str) -> Option<Check> {
    let upper = extra.to_ascii_uppercase();
    let (name, rest) = if upper.starts_with("CONSTRAINT ") {
        let after = extra["CONSTRAINT ".len()..].trim_start();
        let (name, rest) = after.split_once(char::is_whitespace)?;
        (Some(name.trim_matches(['"', '`']).to_owned()), rest.trim_start())
    } else {
        (None, extra)
    };
    let condition = rest
        .get(..5)
        .filter(|keyword| keyword.eq_ignore_ascii_case("CHECK"))
        .map(|_| rest[5..].trim())?;
    // `CHECK (a) COLLATE x` is not one condition: the parentheses must enclose it all.
    let inner = autogen_schema::strip_parens(condition);
    let encloses = inner.len() < condition.len();
    encloses.then(|| Check {
        name,
        expression: inner.trim().to_owned(),
        column: None,
    })
}

fn action(action: Option<SeaAction>) -> ForeignKeyAction {
    match action {
        None | Some(SeaAction::NoAction) => ForeignKeyAction::NoAction,
        Some(SeaAction::Restrict) => ForeignKeyAction::Restrict,
        Some(SeaAction::Cascade) => ForeignKeyAction::Cascade,
        Some(SeaAction::SetNull) => ForeignKeyAction::SetNull,
        Some(SeaAction::SetDefault) => ForeignKeyAction::SetDefault,
        Some(other) => unreachable!("unknown foreign key action {other:?}"),
    }
}

/// The SQL a backend writes for a default expression, e.g. `'draft'` or `CURRENT_TIMESTAMP`.
fn expr_sql(expr: &sea_query::Expr, backend: DbBackend) -> String {
    let select = sea_query::Query::select().expr(expr.clone()).to_owned();
    let sql = backend.build(&select).to_string();
    sql.strip_prefix("SELECT ").unwrap_or(&sql).to_owned()
}

//! Reads SeaORM entities into autogen's schema model: the *target* of autogenerate.
//!
//! Entities are registered by type ([`Entities::entity`]), and each is read
//! through SeaORM's own runtime metadata — `Schema::create_table_from_entity`
//! for columns, keys and foreign keys, `Schema::create_index_from_entity` for
//! `indexed` and `unique_key` — never by parsing Rust source. Reading what
//! SeaORM itself would create, for the backend at hand, is what makes the
//! comparison with a live database honest: SeaORM renders an enum as a
//! PostgreSQL type, a MySQL inline `ENUM`, or text on SQLite, and so does the
//! reflected model.
//!
//! **This crate never touches a database.**
#![deny(missing_docs)]

use autogen_schema::{
    Column, ColumnType, Dialect, ForeignKey, ForeignKeyAction, Index, IndexPart, PrimaryKey, Schema, Table,
};
use sea_orm::sea_query::{self, ForeignKeyAction as SeaAction};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn};

/// The entities that make up the target schema, registered by type:
/// `Entities::new().entity(user::Entity).entity(post::Entity)`.
#[derive(Clone, Default)]
pub struct Entities {
    tables: Vec<(&'static str, ReflectFn)>,
}

/// Reads one registered entity as SeaORM would create it on a dialect: the
/// table and the named enum types it needs.
type ReflectFn = fn(Dialect) -> (Table, Vec<(String, Vec<String>)>);

impl std::fmt::Debug for Entities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.table_names()).finish()
    }
}

impl Entities {
    /// No entities.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an entity. Registering the same table twice keeps one.
    pub fn entity<E: EntityTrait>(mut self, entity: E) -> Self {
        let name = entity.table_name();
        if !self.tables.iter().any(|(t, _)| *t == name) {
            self.tables.push((name, reflect_entity::<E>));
        }
        self
    }

    /// The registered table names, in registration order.
    pub fn table_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.tables.iter().map(|(name, _)| *name)
    }

    /// Whether no entity is registered.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The schema these entities declare, as SeaORM would create it on `dialect`.
    pub fn schema(&self, dialect: Dialect) -> Schema {
        let mut schema = Schema::new();
        for (_, reflect) in &self.tables {
            let (table, enums) = reflect(dialect);
            schema.insert(table);
            schema.enums.extend(enums);
        }
        schema
    }
}

/// SeaORM's name for a dialect.
pub fn backend(dialect: Dialect) -> DbBackend {
    match dialect {
        Dialect::Sqlite => DbBackend::Sqlite,
        Dialect::Postgres => DbBackend::Postgres,
        Dialect::MySql => DbBackend::MySql,
    }
}

/// One entity as SeaORM would create it on `dialect`, with the enum types
/// SeaORM would create first (`Schema::create_enum_from_entity`: PostgreSQL only).
fn reflect_entity<E: EntityTrait>(dialect: Dialect) -> (Table, Vec<(String, Vec<String>)>) {
    let entity = E::default();
    let backend = backend(dialect);
    let helper = sea_orm::Schema::new(backend);
    let create = helper.create_table_from_entity(entity);

    let mut table = Table::new(entity.table_name());
    let mut enums = Vec::new();
    // `create_table_from_entity` keeps `E::Column::iter()` order, so the two zip.
    for (def, entity_column) in create.get_columns().iter().zip(E::Column::iter()) {
        let spec = def.get_column_spec();
        // SeaORM writes an enum column as its PostgreSQL type name or as MySQL's
        // inline ENUM text; the entity's own type keeps the labels, which the
        // model needs to create the type and to compare.
        let column_type = match ColumnType::from_sea_query(entity_column.def().get_column_type()) {
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
            comment: spec.comment.as_deref().and_then(without_rename_hint),
        });
    }
    table.comment = entity.comment().map(str::to_owned);
    let key: Vec<String> = E::PrimaryKey::iter()
        .map(|pk| pk.into_column().as_str().to_owned())
        .collect();
    if !key.is_empty() {
        // SeaORM names a composite key `pk-<table>` and leaves a single one inline, unnamed.
        let name = (key.len() > 1).then(|| format!("pk-{}", table.name));
        table.primary_key = Some(PrimaryKey { name, columns: key });
    }
    for fk in create.get_foreign_key_create_stmts() {
        let fk = fk.get_foreign_key();
        table.foreign_keys.push(ForeignKey {
            name: fk.get_name().map(str::to_owned),
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
    for index in helper.create_index_from_entity(entity) {
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

/// SeaORM writes `renamed_from` into the column comment (`renamed_from "old"`,
/// or `text; renamed_from "old"`); the comment a database gets is the rest.
fn without_rename_hint(comment: &str) -> Option<String> {
    let text = match comment.rfind("renamed_from \"") {
        Some(at) => comment[..at].trim_end().trim_end_matches(';'),
        None => comment,
    };
    (!text.is_empty()).then(|| text.to_owned())
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

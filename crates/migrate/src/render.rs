//! Ops rendered as SQL for one dialect, through sea-query.
//!
//! Tables are built the way SeaORM's `Schema::create_table_from_entity`
//! builds them (inline single-column primary key, `pk-<table>` for a
//! composite one, inline foreign keys), so a table autogen creates and the
//! table SeaORM would create introspect identically. What sea-query would
//! panic on (a type the backend lacks, an ALTER SQLite cannot do) is checked
//! first and returned as a [`RenderError`].

use autogen_schema::{
    Column, DefaultValue, Dialect, ForeignKeyAction, InPlace, Index, IndexPart, Op, RebuildReason, Table,
    UnsupportedType,
};
use sea_query::{
    Alias, ColumnDef, ConditionalStatement, Expr, ExprTrait, ForeignKey, ForeignKeyAction as SeaAction,
    MysqlQueryBuilder, PostgresQueryBuilder, QueryStatementWriter, SchemaStatementBuilder,
    SqliteQueryBuilder, Table as SeaTable,
};
use thiserror::Error;

mod alter;
pub(crate) use alter::ident;
pub(crate) mod online;

pub(crate) use alter::literal;

/// An op this dialect cannot express.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RenderError {
    /// A column type the backend lacks.
    #[error(transparent)]
    Type(#[from] UnsupportedType),
    /// A data step, which is code, asked for as SQL (`--sql`) with none declared.
    #[error(
        "the data step '{0}' is code run with the connection and cannot be written as SQL; run it online \
         (`upgrade` without --sql), or have the revision declare the SQL it stands for offline: \
         `op.run_data({0}).offline_sql(\"…\")`"
    )]
    Offline(String),
    /// A data step recorded inside `op.in_schema(…)`, which runs no code.
    #[error(
        "the data step '{0}' is recorded inside `op.in_schema(…)`, where no code runs; record it outside, \
         and name the schema in its queries"
    )]
    DataStepInSchema(String),
    /// Rows to insert that give another number of values than there are columns.
    #[error(
        "a row inserted into '{table}' gives another number of values than the {columns} column(s) named"
    )]
    RowLength {
        /// Table name.
        table: String,
        /// How many columns the insert names.
        columns: usize,
    },
    /// An ALTER the backend cannot perform in place.
    #[error("{dialect} cannot {what}; {fix}")]
    Unsupported {
        /// The dialect.
        dialect: Dialect,
        /// What was asked, e.g. "add the NOT NULL column 'user.bio' without a default".
        what: String,
        /// The way out.
        fix: String,
    },
}

impl RenderError {
    /// What only a rebuild of the table can do, with the way out for a revision's author.
    fn needs_rebuild(dialect: Dialect, reason: RebuildReason) -> Self {
        let fix = match reason {
            RebuildReason::AddNotNullWithoutDefault { .. } => {
                "give it a default (`.default(...)`) or make it nullable, then backfill in a later revision"
            }
            RebuildReason::AddUnique { .. } => {
                "add it without `.unique()` and create a unique index on it with `op.create_index(...)`"
            }
            RebuildReason::AddAutoIncrement { .. } => "create the table with it instead",
            RebuildReason::DropUnique { .. }
            | RebuildReason::AlterColumn { .. }
            | RebuildReason::AddConstraint { .. }
            | RebuildReason::DropConstraint { .. } => {
                "SQLite can only do this by recreating the table: write \
                 `op.recreate_table(<the table as it becomes>, [<the columns whose rows to keep>])` instead, \
                 as autogenerate does for SQLite"
            }
        };
        RenderError::Unsupported {
            dialect,
            what: reason.to_string(),
            fix: fix.to_owned(),
        }
    }
}

/// The SQL statements that perform `op`, in order.
///
/// What the dialect can only do by rebuilding the table is refused with the
/// way out. A column drop is rendered in place, as the op alone cannot say
/// whether the column is UNIQUE: SQLite refuses such a drop, and the
/// migrator, which reads the table, rebuilds it instead.
pub fn render(op: &Op, dialect: Dialect) -> Result<Vec<String>, RenderError> {
    if let InPlace::No(reason) = dialect.in_place(op, None) {
        return Err(RenderError::needs_rebuild(dialect, reason));
    }
    Ok(match op {
        Op::CreateTable(table) => {
            let mut sql = vec![build(&create_table(table, dialect)?, dialect)];
            if dialect == Dialect::Postgres {
                sql.extend(alter::postgres_comments(table));
            }
            for index in &table.indexes {
                sql.push(build(&create_index(index, dialect)?, dialect));
            }
            sql
        }
        Op::DropTable { name } => vec![build(
            &SeaTable::drop().table(Alias::new(name)).to_owned(),
            dialect,
        )],
        Op::AddColumn { table, column } => {
            let alter = SeaTable::alter()
                .table(Alias::new(table))
                .add_column(&mut column_def(column, false, dialect)?)
                .to_owned();
            let mut sql = vec![build(&alter, dialect)];
            if let (Dialect::Postgres, Some(comment)) = (dialect, &column.comment) {
                sql.push(alter::postgres_column_comment(table, &column.name, Some(comment)));
            }
            sql
        }
        Op::DropColumn { table, column } => {
            let alter = SeaTable::alter()
                .table(Alias::new(table))
                .drop_column(Alias::new(column))
                .to_owned();
            vec![build(&alter, dialect)]
        }
        Op::AlterColumn { table, from, to } => alter::alter_column(table, from, to, dialect)?,
        Op::RenameColumn { table, from, to } => alter::rename_column(table, from, to, dialect),
        Op::AddConstraint { table, constraint } => alter::add_constraint(table, constraint, dialect),
        Op::DropConstraint { table, constraint } => alter::drop_constraint(table, constraint, dialect),
        Op::AlterTableComment { table, to, .. } => alter::alter_table_comment(table, to.as_deref(), dialect),
        Op::RecreateTable { table, copy, .. } => recreate_table(table, copy, dialect)?,
        Op::CreateIndex(index) => vec![build(&create_index(index, dialect)?, dialect)],
        Op::DropIndex { table, name } => {
            let drop = sea_query::Index::drop()
                .name(escaped_name(name, dialect))
                .table(Alias::new(table))
                .to_owned();
            vec![build(&drop, dialect)]
        }
        Op::CreateEnum { name, variants } => match dialect {
            Dialect::Postgres => {
                let create = sea_query::extension::postgres::Type::create()
                    .as_enum(Alias::new(name))
                    .values(variants.iter().map(Alias::new))
                    .to_owned();
                vec![create.to_string(PostgresQueryBuilder)]
            }
            // MySQL and SQLite keep an enum's labels in the column itself.
            Dialect::Sqlite | Dialect::MySql => Vec::new(),
        },
        Op::AlterEnum { name, from, to } => match dialect {
            Dialect::Postgres => alter::alter_postgres_enum(name, from, to),
            Dialect::Sqlite | Dialect::MySql => Vec::new(),
        },
        Op::DropEnum { name } => match dialect {
            Dialect::Postgres => {
                let drop = sea_query::extension::postgres::Type::drop()
                    .name(Alias::new(name))
                    .to_owned();
                vec![drop.to_string(PostgresQueryBuilder)]
            }
            Dialect::Sqlite | Dialect::MySql => Vec::new(),
        },
        Op::FillNulls { table, column, value } => vec![fill_nulls(table, column, value, dialect)],
        Op::Execute(sql) | Op::ExecuteData(sql) => vec![sql.clone()],
        Op::InsertRows { table, columns, rows } => insert_rows(table, columns, rows, dialect)?,
        Op::RunData { name, offline_sql } => match offline_sql {
            Some(sql) => vec![sql.clone()],
            None => return Err(RenderError::Offline(name.clone())),
        },
        Op::InSchema { schema, ops } => alter::in_schema(schema, ops, dialect)?,
    })
}

/// SQLite's way to change a table it cannot alter in place: the new table
/// under a temporary name, the kept columns' rows copied, the old table
/// dropped, the new one renamed and re-indexed. The executor turns foreign
/// key enforcement off around it (dropping a parent table would otherwise
/// delete, or cascade into, its children's rows) and checks every foreign key
/// before committing.
fn recreate_table(table: &Table, copy: &[String], dialect: Dialect) -> Result<Vec<String>, RenderError> {
    let temporary = format!("_autogen_new_{}", table.name);
    let new = Table {
        name: temporary.clone(),
        indexes: Vec::new(),
        ..table.clone()
    };
    let columns = copy.iter().map(Alias::new).collect::<Vec<_>>();
    let select = sea_query::Query::select()
        .columns(columns.clone())
        .from(Alias::new(&table.name))
        .to_owned();
    let insert = sea_query::Query::insert()
        .into_table(Alias::new(&temporary))
        .columns(columns)
        .select_from(select)
        .expect("the same columns are selected as inserted")
        .to_owned();
    let insert = build_query(&insert, dialect);
    let mut sql = vec![build(&create_table(&new, dialect)?, dialect)];
    if !copy.is_empty() {
        sql.push(insert);
    }
    sql.push(build(
        &SeaTable::drop().table(Alias::new(&table.name)).to_owned(),
        dialect,
    ));
    sql.push(build(
        &SeaTable::rename()
            .table(Alias::new(&temporary), Alias::new(&table.name))
            .to_owned(),
        dialect,
    ));
    if dialect == Dialect::Postgres {
        sql.extend(alter::postgres_comments(table));
    }
    for index in &table.indexes {
        sql.push(build(&create_index(index, dialect)?, dialect));
    }
    Ok(sql)
}

fn build(statement: &impl SchemaStatementBuilder, dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite => statement.to_string(SqliteQueryBuilder),
        Dialect::Postgres => statement.to_string(PostgresQueryBuilder),
        Dialect::MySql => statement.to_string(MysqlQueryBuilder),
    }
}

/// [`build`] for a query (INSERT, UPDATE), its values inline.
fn build_query(statement: &impl QueryStatementWriter, dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite => statement.to_string(SqliteQueryBuilder),
        Dialect::Postgres => statement.to_string(PostgresQueryBuilder),
        Dialect::MySql => statement.to_string(MysqlQueryBuilder),
    }
}

/// `name` with the dialect's identifier quote doubled. sea-query escapes
/// table and column names but writes the names of indexes and of primary
/// key, unique and foreign key constraints verbatim between quotes, so those
/// are handed to it escaped.
fn escaped_name(name: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::MySql => name.replace('`', "``"),
        Dialect::Sqlite | Dialect::Postgres => name.replace('"', "\"\""),
    }
}

fn create_table(table: &Table, dialect: Dialect) -> Result<sea_query::TableCreateStatement, RenderError> {
    let mut create = SeaTable::create().table(Alias::new(&table.name)).to_owned();
    let key = table
        .primary_key
        .as_ref()
        .map(|pk| pk.columns.as_slice())
        .unwrap_or_default();
    let key_name = table.primary_key.as_ref().and_then(|pk| pk.name.clone());
    // As SeaORM does: a lone unnamed key inline, anything else as a named table constraint.
    let inline = key.len() == 1 && key_name.is_none();
    for column in &table.columns {
        let inline_key = inline && key[0] == column.name;
        create.col(&mut column_def(column, inline_key, dialect)?);
    }
    if !key.is_empty() && !inline {
        let key_name = key_name.unwrap_or_else(|| format!("pk-{}", table.name));
        let mut pk = sea_query::Index::create()
            .name(escaped_name(&key_name, dialect))
            .primary()
            .to_owned();
        for column in key {
            pk.col(Alias::new(column));
        }
        create.primary_key(&mut pk);
    }
    for fk in &table.foreign_keys {
        let mut def = ForeignKey::create();
        if let Some(name) = &fk.name {
            def.name(escaped_name(name, dialect));
        }
        for column in &fk.columns {
            def.from_col(Alias::new(column));
        }
        def.to_tbl(Alias::new(&fk.ref_table));
        for column in &fk.ref_columns {
            def.to_col(Alias::new(column));
        }
        def.on_delete(action(fk.on_delete))
            .on_update(action(fk.on_update));
        create.foreign_key(&mut def);
    }
    for unique in &table.unique_constraints {
        let mut index = sea_query::Index::create().unique().to_owned();
        if let Some(name) = &unique.name {
            index.name(escaped_name(name, dialect));
        }
        for column in &unique.columns {
            index.col(Alias::new(column));
        }
        create.index(&mut index);
    }
    for check in &table.checks {
        let expr = Expr::cust(check.expression.clone());
        match &check.name {
            Some(name) => create.check((Alias::new(name), expr)),
            None => create.check(expr),
        };
    }
    if dialect == Dialect::MySql {
        if let Some(comment) = &table.comment {
            create.comment(comment);
        }
    }
    Ok(create)
}

fn column_def(column: &Column, primary_key: bool, dialect: Dialect) -> Result<ColumnDef, RenderError> {
    dialect.column_type_sql(&column.column_type)?;
    let mut def = ColumnDef::new_with_type(
        Alias::new(&column.name),
        dialect.sea_query_type(&column.column_type),
    );
    if !column.nullable {
        def.not_null();
    }
    if let Some(default) = &column.default {
        def.default(default_expr(default));
    }
    if primary_key {
        def.primary_key();
    }
    if column.auto_increment {
        def.auto_increment();
    }
    if column.unique {
        def.unique_key();
    }
    if let (Dialect::MySql, Some(comment)) = (dialect, &column.comment) {
        def.comment(comment);
    }
    if let Some(sql) = &column.extra {
        def.extra(sql);
    }
    Ok(def)
}

/// Literals go through sea-query's value rendering, as SeaORM's
/// `default_value` does; expressions are written as given.
fn default_expr(default: &DefaultValue) -> Expr {
    match default {
        DefaultValue::Null => Expr::cust("NULL".to_owned()),
        DefaultValue::Bool(b) => Expr::val(*b),
        DefaultValue::Int(i) => Expr::val(*i),
        DefaultValue::Float(f) => Expr::val(*f),
        DefaultValue::String(s) => Expr::val(s.clone()),
        DefaultValue::Expr(sql) => Expr::cust(sql.clone()),
    }
}

/// `UPDATE … SET column = value WHERE column IS NULL`, with the value
/// written as a column default would be, inline so `--sql` shows it.
fn fill_nulls(table: &str, column: &str, value: &DefaultValue, dialect: Dialect) -> String {
    let update = sea_query::Query::update()
        .table(Alias::new(table))
        .value(Alias::new(column), default_expr(value))
        .and_where(Expr::col(Alias::new(column)).is_null())
        .to_owned();
    build_query(&update, dialect)
}

/// `INSERT INTO … VALUES …`, one statement for all the rows, the values
/// inline (escaped by sea-query) so `--sql` shows them; nothing for no rows.
fn insert_rows(
    table: &str,
    columns: &[String],
    rows: &[Vec<DefaultValue>],
    dialect: Dialect,
) -> Result<Vec<String>, RenderError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut insert = sea_query::Query::insert()
        .into_table(Alias::new(table))
        .columns(columns.iter().map(Alias::new))
        .to_owned();
    for row in rows {
        insert
            .values(row.iter().map(default_expr))
            .map_err(|_| RenderError::RowLength {
                table: table.to_owned(),
                columns: columns.len(),
            })?;
    }
    Ok(vec![build_query(&insert, dialect)])
}

fn create_index(index: &Index, dialect: Dialect) -> Result<sea_query::IndexCreateStatement, RenderError> {
    let mut create = sea_query::Index::create()
        .name(escaped_name(&index.name, dialect))
        .table(Alias::new(&index.table))
        .to_owned();
    for part in &index.parts {
        match part {
            IndexPart::Column(column) => create.col(Alias::new(column)),
            IndexPart::Expression(sql) => create.col(Expr::cust(sql.clone())),
        };
    }
    if index.unique {
        create.unique();
    }
    if let Some(predicate) = &index.where_clause {
        if dialect == Dialect::MySql {
            return Err(RenderError::Unsupported {
                dialect,
                what: format!("create the partial index '{}'", index.name),
                fix: "drop `.where_clause(...)`, or index a generated column instead".into(),
            });
        }
        create.and_where(Expr::cust(predicate.clone()));
    }
    Ok(create)
}

fn action(action: ForeignKeyAction) -> SeaAction {
    match action {
        ForeignKeyAction::NoAction => SeaAction::NoAction,
        ForeignKeyAction::Restrict => SeaAction::Restrict,
        ForeignKeyAction::Cascade => SeaAction::Cascade,
        ForeignKeyAction::SetNull => SeaAction::SetNull,
        ForeignKeyAction::SetDefault => SeaAction::SetDefault,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autogen_schema::{
        Check, ColumnType, Constraint, ForeignKey as Fk, PrimaryKey, StringLen, UniqueConstraint,
    };

    /// Renders `op` for `dialect` and compares the result with `expected`:
    /// one statement a line (indentation and blank lines aside), or `error: `
    /// and the message.
    #[track_caller]
    pub(super) fn check(op: Op, dialect: Dialect, expected: &str) {
        let rendered = match render(&op, dialect) {
            Ok(statements) => statements.join("\n"),
            Err(e) => format!("error: {e}"),
        };
        let expected: Vec<&str> = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let expected = expected.join("\n");
        assert!(
            rendered == expected,
            "{op} in {dialect}\n--- expected\n{expected}\n--- rendered\n{rendered}\n"
        );
    }

    fn post() -> Table {
        Table::new("post")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("title", ColumnType::String(StringLen::None)).unique())
            .column(Column::new("views", ColumnType::BigInteger).default(0))
            .column(Column::new("user_id", ColumnType::Integer))
            .primary_key(["id"])
            .foreign_key(
                Fk::new(["user_id"], "user", ["id"])
                    .name("fk-post-user_id")
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .index(Index::new("idx-post-views", "post", ["views"]))
    }

    /// Seed rows are one INSERT with the values inline, quoted as each
    /// backend quotes a string; no rows, no statement.
    #[test]
    fn inserted_rows_are_one_statement_with_their_values_escaped() {
        let insert = |rows: Vec<Vec<DefaultValue>>| Op::InsertRows {
            table: "person".into(),
            columns: vec!["name".into(), "age".into(), "note".into()],
            rows,
        };
        let rows = vec![
            vec!["O'Brien".into(), 42.into(), DefaultValue::Null],
            vec!["back\\slash".into(), 7.into(), true.into()],
        ];
        check(
            insert(rows.clone()),
            Dialect::Postgres,
            r#"INSERT INTO "person" ("name", "age", "note") VALUES (E'O\'Brien', 42, NULL), (E'back\\slash', 7, TRUE)"#,
        );
        check(
            insert(rows.clone()),
            Dialect::Sqlite,
            r#"INSERT INTO "person" ("name", "age", "note") VALUES ('O''Brien', 42, NULL), ('back\slash', 7, TRUE)"#,
        );
        check(
            insert(rows),
            Dialect::MySql,
            r#"INSERT INTO `person` (`name`, `age`, `note`) VALUES ('O\'Brien', 42, NULL), ('back\\slash', 7, TRUE)"#,
        );
        check(insert(Vec::new()), Dialect::Sqlite, "");
        check(
            insert(vec![vec!["x".into()]]),
            Dialect::Sqlite,
            "error: a row inserted into 'person' gives another number of values than the 3 column(s) named",
        );
    }

    /// A data step is code: offline it is the SQL it declares, or an error naming it.
    #[test]
    fn a_data_step_is_written_as_its_offline_sql_or_refused() {
        let step = |offline_sql: Option<&str>| Op::RunData {
            name: "fill_full_name".into(),
            offline_sql: offline_sql.map(str::to_owned),
        };
        check(
            step(Some("UPDATE person SET full_name = name")),
            Dialect::Postgres,
            "UPDATE person SET full_name = name",
        );
        check(
            step(None),
            Dialect::MySql,
            "error: the data step 'fill_full_name' is code run with the connection and cannot be written as SQL; \
             run it online (`upgrade` without --sql), or have the revision declare the SQL it stands for offline: \
             `op.run_data(fill_full_name).offline_sql(\"…\")`",
        );
    }

    #[test]
    fn create_table_renders_per_dialect() {
        check(
            Op::CreateTable(post()),
            Dialect::Sqlite,
            r#"
            CREATE TABLE "post" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" varchar NOT NULL UNIQUE, "views" integer NOT NULL DEFAULT 0, "user_id" integer NOT NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE NO ACTION )
            CREATE INDEX "idx-post-views" ON "post" ("views")
            "#,
        );
        check(
            Op::CreateTable(post()),
            Dialect::Postgres,
            r#"
            CREATE TABLE "post" ( "id" integer GENERATED BY DEFAULT AS IDENTITY NOT NULL PRIMARY KEY, "title" varchar NOT NULL UNIQUE, "views" bigint NOT NULL DEFAULT 0, "user_id" integer NOT NULL, CONSTRAINT "fk-post-user_id" FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE NO ACTION )
            CREATE INDEX "idx-post-views" ON "post" ("views")
            "#,
        );
        check(
            Op::CreateTable(post()),
            Dialect::MySql,
            "
            CREATE TABLE `post` ( `id` int NOT NULL PRIMARY KEY AUTO_INCREMENT, `title` varchar(255) NOT NULL UNIQUE, `views` bigint NOT NULL DEFAULT 0, `user_id` int NOT NULL, CONSTRAINT `fk-post-user_id` FOREIGN KEY (`user_id`) REFERENCES `user` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION )
            CREATE INDEX `idx-post-views` ON `post` (`views`)
            ",
        );
    }

    /// sea-query writes these names between quotes as they are given.
    #[test]
    fn quotes_in_index_and_key_names_are_doubled() {
        let index = Index::new("ix_tag\"s_a", "tag\"s", ["a"]);
        check(
            Op::CreateIndex(index.clone()),
            Dialect::Sqlite,
            r#"CREATE INDEX "ix_tag""s_a" ON "tag""s" ("a")"#,
        );
        let drop = Op::DropIndex {
            table: index.table.clone(),
            name: index.name.clone(),
        };
        check(drop, Dialect::Postgres, r#"DROP INDEX "ix_tag""s_a""#);
        let backtick = Index::new("ix`a", "t", ["a"]);
        check(
            Op::CreateIndex(backtick),
            Dialect::MySql,
            "CREATE INDEX `ix``a` ON `t` (`a`)",
        );
        let keyed = Table::new("tag\"s")
            .column(Column::new("a", ColumnType::Integer))
            .column(Column::new("b", ColumnType::Integer))
            .primary_key(["a", "b"]);
        check(
            Op::CreateTable(keyed),
            Dialect::Sqlite,
            r#"CREATE TABLE "tag""s" ( "a" integer NOT NULL, "b" integer NOT NULL, CONSTRAINT "pk-tag""s" PRIMARY KEY ("a", "b") )"#,
        );
    }

    #[test]
    fn index_and_constraint_names_are_escaped_like_table_names() {
        let quoted = Table::new("a \"b\" `c`")
            .column(Column::new("x", ColumnType::Integer))
            .column(Column::new("y", ColumnType::Integer))
            .primary_key_named("pk \"x\" `y`", ["x", "y"])
            .foreign_key(Fk::new(["y"], "t", ["id"]).name("fk \"y\" `t`"))
            .unique("uq \"x\" `y`", ["y", "x"])
            .index(Index::new("ix \"x\" `y`", "a \"b\" `c`", ["x"]));
        check(
            Op::CreateTable(quoted.clone()),
            Dialect::Postgres,
            r#"
            CREATE TABLE "a ""b"" `c`" ( "x" integer NOT NULL, "y" integer NOT NULL, CONSTRAINT "pk ""x"" `y`" PRIMARY KEY ("x", "y"), CONSTRAINT "uq ""x"" `y`" UNIQUE ("y", "x"), CONSTRAINT "fk ""y"" `t`" FOREIGN KEY ("y") REFERENCES "t" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION )
            CREATE INDEX "ix ""x"" `y`" ON "a ""b"" `c`" ("x")
            "#,
        );
        check(
            Op::CreateTable(quoted),
            Dialect::MySql,
            r#"
            CREATE TABLE `a "b" ``c``` ( `x` int NOT NULL, `y` int NOT NULL, PRIMARY KEY `pk "x" ``y``` (`x`, `y`), UNIQUE KEY `uq "x" ``y``` (`y`, `x`), CONSTRAINT `fk "y" ``t``` FOREIGN KEY (`y`) REFERENCES `t` (`id`) ON DELETE NO ACTION ON UPDATE NO ACTION )
            CREATE INDEX `ix "x" ``y``` ON `a "b" ``c``` (`x`)
            "#,
        );
        let drop = Op::DropIndex {
            table: "t".into(),
            name: "ix \"x\"".into(),
        };
        check(drop, Dialect::Sqlite, r#"DROP INDEX "ix ""x""""#);
    }

    #[test]
    fn a_composite_key_is_named_as_seaorm_names_it() {
        let t = Table::new("post_tag")
            .column(Column::new("post_id", ColumnType::Integer))
            .column(Column::new("tag", ColumnType::Text))
            .primary_key(["post_id", "tag"]);
        check(
            Op::CreateTable(t),
            Dialect::Sqlite,
            r#"CREATE TABLE "post_tag" ( "post_id" integer NOT NULL, "tag" text NOT NULL, CONSTRAINT "pk-post_tag" PRIMARY KEY ("post_id", "tag") )"#,
        );
    }

    #[test]
    fn alters_and_drops() {
        let add = Op::AddColumn {
            table: "user".into(),
            column: Column::new("bio", ColumnType::Text).nullable().default("none"),
        };
        check(
            add,
            Dialect::Sqlite,
            r#"ALTER TABLE "user" ADD COLUMN "bio" text DEFAULT 'none'"#,
        );
        // PostgreSQL has no COMMENT clause in a column definition.
        let commented = Op::AddColumn {
            table: "user".into(),
            column: Column::new("bio", ColumnType::Text).nullable().comment("it's"),
        };
        check(
            commented,
            Dialect::Postgres,
            r#"
            ALTER TABLE "user" ADD COLUMN "bio" text
            COMMENT ON COLUMN "user"."bio" IS 'it''s'
            "#,
        );
        let drop = Op::DropColumn {
            table: "user".into(),
            column: "bio".into(),
        };
        check(drop, Dialect::Sqlite, r#"ALTER TABLE "user" DROP COLUMN "bio""#);
        let drop_index = Op::DropIndex {
            table: "post".into(),
            name: "ix".into(),
        };
        check(drop_index, Dialect::MySql, "DROP INDEX `ix` ON `post`");
        check(
            Op::DropTable { name: "post".into() },
            Dialect::Postgres,
            r#"DROP TABLE "post""#,
        );
    }

    #[test]
    fn enum_types_exist_only_on_postgres() {
        let create = Op::CreateEnum {
            name: "mood".into(),
            variants: vec!["ok".into(), "it's".into()],
        };
        // sea-query escapes with PostgreSQL's E'' strings.
        check(
            create.clone(),
            Dialect::Postgres,
            r#"CREATE TYPE "mood" AS ENUM ('ok', E'it\'s')"#,
        );
        check(create, Dialect::MySql, "");
        // A column of it names it quoted, as `CREATE TYPE` did.
        let person = Op::CreateTable(
            Table::new("person").column(Column::new("mood", ColumnType::enumeration("Mood", ["ok"]))),
        );
        check(
            person,
            Dialect::Postgres,
            r#"CREATE TABLE "person" ( "mood" "Mood" NOT NULL )"#,
        );
        let drop = Op::DropEnum { name: "mood".into() };
        check(drop.clone(), Dialect::Postgres, r#"DROP TYPE "mood""#);
        check(drop, Dialect::Sqlite, "");
    }

    #[test]
    fn what_a_dialect_cannot_do_is_an_error_not_a_panic() {
        let inet = Op::CreateTable(Table::new("t").column(Column::new("ip", ColumnType::Inet)));
        check(inet, Dialect::Sqlite, "error: SQLite has no column type for Inet");
        let not_null = Op::AddColumn {
            table: "user".into(),
            column: Column::new("bio", ColumnType::Text),
        };
        check(
            not_null.clone(),
            Dialect::Sqlite,
            "error: SQLite cannot add the NOT NULL column 'user.bio' without a default; give it a default \
             (`.default(...)`) or make it nullable, then backfill in a later revision",
        );
        check(
            not_null,
            Dialect::Postgres,
            r#"ALTER TABLE "user" ADD COLUMN "bio" text NOT NULL"#,
        );
    }

    #[test]
    fn a_column_alters_attribute_by_attribute_on_postgres_and_whole_on_mysql() {
        let from = Column::new("age", ColumnType::Integer).default(0);
        let to = Column::new("age", ColumnType::BigInteger)
            .nullable()
            .unique()
            .comment("in years");
        let op = Op::AlterColumn {
            table: "user".into(),
            from,
            to,
        };
        // The old default goes before the type changes: it might not cast.
        check(
            op.clone(),
            Dialect::Postgres,
            r#"
            ALTER TABLE "user" ALTER COLUMN "age" DROP DEFAULT
            ALTER TABLE "user" ALTER COLUMN "age" TYPE bigint USING "age"::bigint
            ALTER TABLE "user" ALTER COLUMN "age" DROP NOT NULL
            ALTER TABLE "user" ADD CONSTRAINT "user_age_key" UNIQUE ("age")
            COMMENT ON COLUMN "user"."age" IS 'in years'
            "#,
        );
        check(
            op.clone(),
            Dialect::MySql,
            "
            ALTER TABLE `user` MODIFY COLUMN `age` bigint COMMENT 'in years'
            ALTER TABLE `user` ADD UNIQUE (`age`)
            ",
        );
        check(
            op,
            Dialect::Sqlite,
            "error: SQLite cannot alter the column 'user.age' in place; SQLite can only do this by recreating the \
             table: write `op.recreate_table(<the table as it becomes>, [<the columns whose rows to keep>])` \
             instead, as autogenerate does for SQLite",
        );
    }

    #[test]
    fn identity_and_uniqueness_change_safely_on_postgres() {
        let id = Column::new("id", ColumnType::Integer).default(1);
        let counted = Op::AlterColumn {
            table: "t".into(),
            from: id.clone(),
            to: Column {
                default: None,
                ..id.clone().auto_increment()
            },
        };
        check(
            counted,
            Dialect::Postgres,
            r#"
            ALTER TABLE "t" ALTER COLUMN "id" DROP DEFAULT
            ALTER TABLE "t" ALTER COLUMN "id" ADD GENERATED BY DEFAULT AS IDENTITY
            SELECT setval(pg_get_serial_sequence('"t"', 'id'), coalesce(max("id"), 0) + 1, false) FROM "t"
            "#,
        );
        let serial = Column::new("id", ColumnType::Integer).auto_increment().unique();
        let plain = Op::AlterColumn {
            table: "t".into(),
            from: serial,
            to: Column::new("id", ColumnType::Integer),
        };
        // The UNIQUE constraint is found by its column, whatever its name.
        check(
            plain,
            Dialect::Postgres,
            r#"
            ALTER TABLE "t" ALTER COLUMN "id" DROP IDENTITY IF EXISTS
            ALTER TABLE "t" ALTER COLUMN "id" DROP DEFAULT
            DO $$ DECLARE constraint_name name; BEGIN SELECT conname INTO STRICT constraint_name FROM pg_constraint WHERE conrelid = '"t"'::regclass AND contype = 'u' AND conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = '"t"'::regclass AND attname = 'id')]; EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', '"t"', constraint_name); END $$
            "#,
        );
    }

    #[test]
    fn constraints_are_added_and_dropped_by_name() {
        let fk = Fk::new(["team_id"], "team", ["id"]).on_delete(ForeignKeyAction::Cascade);
        let add = Op::AddConstraint {
            table: "user".into(),
            constraint: fk.clone().name("fk-user-team").into(),
        };
        check(
            add,
            Dialect::Postgres,
            r#"ALTER TABLE "user" ADD CONSTRAINT "fk-user-team" FOREIGN KEY ("team_id") REFERENCES "team" ("id") ON DELETE CASCADE ON UPDATE NO ACTION"#,
        );
        let drop = |constraint: Constraint| Op::DropConstraint {
            table: "user".into(),
            constraint,
        };
        // An unnamed one is dropped by the name its backend gave it.
        check(
            drop(fk.clone().into()),
            Dialect::Postgres,
            r#"ALTER TABLE "user" DROP CONSTRAINT "user_team_id_fkey""#,
        );
        let unique = UniqueConstraint::new(["a", "b"]);
        check(
            drop(unique.clone().into()),
            Dialect::Postgres,
            r#"ALTER TABLE "user" DROP CONSTRAINT "user_a_b_key""#,
        );
        check(
            drop(unique.into()),
            Dialect::MySql,
            "ALTER TABLE `user` DROP INDEX `a`",
        );
        // Added unnamed, a constraint gets that name explicitly, so its
        // inverse finds it on MySQL too.
        let add_check = Op::AddConstraint {
            table: "user".into(),
            constraint: Check::new("age > 0").into(),
        };
        check(
            add_check,
            Dialect::MySql,
            "ALTER TABLE `user` ADD CONSTRAINT `user_age_check` CHECK (age > 0)",
        );
        check(
            drop(Check::new("age > 0").into()),
            Dialect::MySql,
            "ALTER TABLE `user` DROP CONSTRAINT `user_age_check`",
        );
        // The index MySQL gave the key goes with it, if it is there.
        check(
            drop(fk.into()),
            Dialect::MySql,
            "
            ALTER TABLE `user` DROP FOREIGN KEY `user_team_id_fkey`
            SET @autogen_drop_index = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE `user` DROP INDEX `user_team_id_fkey`', 'DO 0') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'user' AND INDEX_NAME = 'user_team_id_fkey')
            PREPARE autogen_drop_index FROM @autogen_drop_index
            EXECUTE autogen_drop_index
            DEALLOCATE PREPARE autogen_drop_index
            ",
        );
        check(
            drop(PrimaryKey::new(["id"]).into()),
            Dialect::MySql,
            "ALTER TABLE `user` DROP PRIMARY KEY",
        );
    }

    #[test]
    fn a_recreation_copies_the_kept_columns_then_swaps_the_tables() {
        let op = Op::RecreateTable {
            table: post(),
            copy: vec!["id".into(), "title".into()],
            changes: vec![],
        };
        check(
            op,
            Dialect::Sqlite,
            r#"
            CREATE TABLE "_autogen_new_post" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" varchar NOT NULL UNIQUE, "views" integer NOT NULL DEFAULT 0, "user_id" integer NOT NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE NO ACTION )
            INSERT INTO "_autogen_new_post" ("id", "title") SELECT "id", "title" FROM "post"
            DROP TABLE "post"
            ALTER TABLE "_autogen_new_post" RENAME TO "post"
            CREATE INDEX "idx-post-views" ON "post" ("views")
            "#,
        );
    }

    #[test]
    fn renames_and_table_comments() {
        let rename = Op::RenameColumn {
            table: "user".into(),
            from: "name".into(),
            to: "full_name".into(),
        };
        check(
            rename,
            Dialect::Sqlite,
            r#"ALTER TABLE "user" RENAME COLUMN "name" TO "full_name""#,
        );
        let comment = Op::AlterTableComment {
            table: "user".into(),
            from: None,
            to: Some("it's a \\ user".into()),
        };
        check(
            comment.clone(),
            Dialect::Postgres,
            r#"COMMENT ON TABLE "user" IS 'it''s a \ user'"#,
        );
        check(
            comment.clone(),
            Dialect::MySql,
            r#"ALTER TABLE `user` COMMENT = 'it''s a \\ user'"#,
        );
        check(comment, Dialect::Sqlite, "");
    }
}

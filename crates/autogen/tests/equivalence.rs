//! Spellings a backend treats as equal are no change. Each test builds a
//! table by hand, the way a project's own SQL or another tool would write it,
//! on a real database, and compares it with an entity that says the same
//! thing in SeaORM's terms: autogenerate must find nothing. Each column is
//! one case; a failure names it.

use autogen::compare::{compare_database, CompareOptions};
use autogen::Entities;
use autogen_testdb::Backend;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

async fn database(backend: Backend, ddl: &[&str]) -> Option<(autogen_testdb::TestDb, DatabaseConnection)> {
    let db = backend.fresh().await?;
    let conn = Database::connect(&db.url).await.unwrap();
    for sql in ddl {
        conn.execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}\n{e}"));
    }
    Some((db, conn))
}

async fn assert_no_change(conn: &DatabaseConnection, entities: Entities) {
    let comparison = compare_database(conn, &entities, &CompareOptions::default())
        .await
        .unwrap();
    let found: Vec<String> = comparison.upgrade.iter().map(ToString::to_string).collect();
    assert_eq!(found, Vec::<String>::new());
}

mod sqlite_spelling {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "spelling")]
    pub struct Model {
        /// `INTEGER PRIMARY KEY`, the rowid: NOT NULL and numbered without saying so.
        #[sea_orm(primary_key)]
        pub id: i32,
        /// `NUMERIC(10, 2)`; SeaORM writes `real(10, 2)`.
        #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
        pub price: Decimal,
        /// `DATETIME`; SeaORM writes `datetime_text`.
        #[sea_orm(default_expr = "Expr::current_timestamp()")]
        pub created: DateTime,
        /// `DATE`; SeaORM writes `date_text`.
        pub day: Option<Date>,
        /// `FLOAT`; `REAL` and `DOUBLE`, which SeaORM reads as `f64`.
        pub ratio: Option<f32>,
        pub share: Option<f64>,
        pub weight: Option<f64>,
        /// `JSON`; SeaORM writes `json_text`.
        pub doc: Option<Json>,
        /// `TEXT`; SeaORM writes `text`.
        #[sea_orm(column_type = "Text")]
        pub title: String,
        /// `BIGINT … DEFAULT '0'`; SeaORM writes `integer … DEFAULT 0`.
        #[sea_orm(default_value = 0)]
        pub counter: i64,
        /// `timestamp_text`, a timestamp as SeaORM writes it.
        #[sea_orm(column_type = "Timestamp")]
        pub stamp: Option<DateTime>,
        /// `DEFAULT 1`, `DEFAULT 0`; SeaORM writes TRUE and FALSE.
        #[sea_orm(default_value = true)]
        pub active: bool,
        #[sea_orm(default_value = false)]
        pub archived: bool,
        /// `varchar(40)`, in capitals.
        #[sea_orm(column_type = "String(StringLen::N(40))")]
        pub code: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[tokio::test]
async fn sqlite_compares_spellings_of_one_seaorm_type_as_equal() {
    let (_db, conn) = database(
        Backend::Sqlite,
        &["CREATE TABLE spelling (
            id INTEGER PRIMARY KEY,
            price NUMERIC(10, 2) NOT NULL,
            created DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
            day DATE,
            ratio FLOAT,
            share REAL,
            weight DOUBLE,
            doc JSON,
            title TEXT NOT NULL,
            counter BIGINT NOT NULL DEFAULT '0',
            stamp timestamp_text,
            active BOOLEAN NOT NULL DEFAULT 1,
            archived BOOLEAN NOT NULL DEFAULT 0,
            code VARCHAR(40) NOT NULL
        )"],
    )
    .await
    .unwrap();
    assert_no_change(&conn, Entities::new().entity(sqlite_spelling::Entity)).await;
}

mod sqlite_declared {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(2))")]
    pub enum Size {
        #[sea_orm(string_value = "S")]
        Small,
        #[sea_orm(string_value = "XL")]
        ExtraLarge,
    }

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "declared")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))")]
        pub name: String,
        #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
        pub price: Decimal,
        #[sea_orm(column_type = "String(StringLen::N(1))")]
        pub grade: String,
        #[sea_orm(column_type = "String(StringLen::N(255))")]
        pub note: String,
        pub size: Size,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// SQLite stores all of these alike, but each is a change the entity
/// declares, and the same history builds the team's PostgreSQL.
#[tokio::test]
async fn sqlite_reports_a_declared_change_its_storage_hides() {
    let (_db, conn) = database(
        Backend::Sqlite,
        &["CREATE TABLE declared (
            id INTEGER PRIMARY KEY,
            name varchar(50) NOT NULL,
            price real(8, 2) NOT NULL,
            grade char(1) NOT NULL,
            note text NOT NULL,
            size varchar(1) NOT NULL
        )"],
    )
    .await
    .unwrap();
    let comparison = compare_database(
        &conn,
        &Entities::new().entity(sqlite_declared::Entity),
        &CompareOptions::default(),
    )
    .await
    .unwrap();
    let [autogen_schema::Op::RecreateTable { changes, .. }] = comparison.upgrade.as_slice() else {
        panic!("one rebuild of 'declared', found {:?}", comparison.upgrade);
    };
    let changes: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        changes,
        [
            "altered column 'declared.name': type String(N(50)) -> String(N(100))",
            "altered column 'declared.price': type Decimal(Some((8, 2))) -> Decimal(Some((10, 2)))",
            "altered column 'declared.grade': type Char(Some(1)) -> String(N(1))",
            "altered column 'declared.note': type Text -> String(N(255))",
            "altered column 'declared.size': type String(N(1)) -> String(N(2))",
        ]
    );
}

mod pg_spelling {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "spelling")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// `DEFAULT now()`; SeaORM writes `CURRENT_TIMESTAMP`.
        #[sea_orm(default_expr = "Expr::current_timestamp()")]
        pub created: DateTimeWithTimeZone,
        /// `DEFAULT -3`, which PostgreSQL prints as `'-3'::bigint`.
        #[sea_orm(default_value = -3)]
        pub delta: i64,
        /// A quote, which sea-query escapes as `E'has \' quote'`.
        #[sea_orm(default_value = "has ' quote")]
        pub note: String,
        /// A backslash, which sea-query escapes as `E'C:\\dir'`.
        #[sea_orm(default_value = "C:\\dir")]
        pub path: String,
        /// `DEFAULT 0.50`, printed as `0.50`.
        #[sea_orm(column_type = "Decimal(Some((6, 2)))", default_value = 0.5)]
        pub fee: Decimal,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[tokio::test]
async fn postgres_compares_defaults_as_it_prints_them() {
    let Some((_db, conn)) = database(
        Backend::Postgres,
        &["CREATE TABLE spelling (
            id serial PRIMARY KEY,
            created timestamptz NOT NULL DEFAULT now(),
            delta bigint NOT NULL DEFAULT -3,
            note varchar NOT NULL DEFAULT 'has '' quote',
            path varchar NOT NULL DEFAULT 'C:\\dir',
            fee numeric(6, 2) NOT NULL DEFAULT 0.50
        )"],
    )
    .await
    else {
        return;
    };
    assert_no_change(&conn, Entities::new().entity(pg_spelling::Entity)).await;
}

mod mysql_spelling {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "spelling")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        /// `tinyint(1) DEFAULT 1`; SeaORM writes `bool DEFAULT TRUE`.
        #[sea_orm(default_value = true)]
        pub active: bool,
        /// `bool DEFAULT '0'`.
        #[sea_orm(default_value = false)]
        pub archived: bool,
        /// `bigint DEFAULT '0'`.
        #[sea_orm(default_value = 0)]
        pub counter: i64,
        /// A quote, which sea-query escapes with a backslash.
        #[sea_orm(default_value = "has ' quote")]
        pub note: String,
        /// Renamed in the database already, by hand: SeaORM's hint, which it
        /// writes into the MySQL column comment, is no comment to compare.
        #[sea_orm(renamed_from = "nick")]
        pub handle: String,
        /// `CONSTRAINT uq_spelling_email UNIQUE (email)`: MariaDB keeps it as
        /// a unique index of that name, which is the column's `unique`.
        #[sea_orm(unique)]
        pub email: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[tokio::test]
async fn mariadb_compares_booleans_numbers_and_comments_as_it_stores_them() {
    let Some((_db, conn)) = database(
        Backend::MySql,
        &["CREATE TABLE spelling (
            id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
            active tinyint(1) NOT NULL DEFAULT 1,
            archived bool NOT NULL DEFAULT '0',
            counter bigint NOT NULL DEFAULT '0',
            note varchar(255) NOT NULL DEFAULT 'has '' quote',
            handle varchar(255) NOT NULL,
            email varchar(255) NOT NULL,
            CONSTRAINT uq_spelling_email UNIQUE (email)
        )"],
    )
    .await
    else {
        return;
    };
    assert_no_change(&conn, Entities::new().entity(mysql_spelling::Entity)).await;
}

/// After upgrading a database built from these entities, a second
/// autogenerate finds nothing: the spellings autogen writes itself read back
/// as the same thing on every backend.
#[tokio::test]
async fn what_autogen_creates_reads_back_unchanged() {
    for (backend, entities) in [
        (Backend::Sqlite, Entities::new().entity(sqlite_spelling::Entity)),
        (Backend::Postgres, Entities::new().entity(pg_spelling::Entity)),
        (Backend::MySql, Entities::new().entity(mysql_spelling::Entity)),
    ] {
        let Some((_db, conn)) = database(backend, &[]).await else {
            continue;
        };
        let created = compare_database(&conn, &entities, &CompareOptions::default())
            .await
            .unwrap();
        let dialect = created.dialect;
        for op in &created.upgrade {
            for sql in autogen_migrate::render(op, dialect).unwrap() {
                conn.execute_unprepared(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}\n{e}"));
            }
        }
        assert_no_change(&conn, entities).await;
    }
}

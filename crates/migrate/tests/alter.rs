//! Changes to existing tables, run on real databases: what each op renders
//! must leave the database as the op's replay says, and the inverse ops must
//! bring it back exactly, as introspection and the diff see it.

use autogen_diff::Options;
use autogen_migrate::render;
use autogen_schema::{
    invert_all, replay, Check, Column, ColumnType, Constraint, Dialect, ForeignKey, ForeignKeyAction, Op,
    Schema, StringLen, Table, UniqueConstraint,
};
use autogen_testdb::test_each_backend;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// One connection, as the executor uses: some renderings (MySQL's
/// conditional index drop) carry state from one statement to the next.
async fn connect(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url);
    options.max_connections(1);
    Database::connect(options).await.unwrap()
}

fn before() -> Schema {
    let mut schema = Schema::new();
    schema.insert(
        Table::new("team")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .primary_key(["id"]),
    );
    schema.insert(
        Table::new("account")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("name", ColumnType::String(StringLen::N(40))))
            .column(Column::new("age", ColumnType::Integer).default(0))
            .column(Column::new("code", ColumnType::Text).nullable())
            .column(Column::new("team_id", ColumnType::Integer).nullable())
            .column(Column::new("level", ColumnType::String(StringLen::N(10))).default("1"))
            .primary_key(["id"]),
    );
    schema
}

/// One of every change to an existing table.
fn changes(before: &Schema) -> Vec<Op> {
    let account = before.table("account").unwrap();
    let age = account.get_column("age").unwrap().clone();
    let name = account.get_column("name").unwrap().clone();
    let level = account.get_column("level").unwrap().clone();
    vec![
        Op::RenameColumn {
            table: "account".into(),
            from: "code".into(),
            to: "label".into(),
        },
        Op::AlterColumn {
            table: "account".into(),
            from: age.clone(),
            to: Column {
                column_type: ColumnType::BigInteger,
                nullable: true,
                default: None,
                comment: Some("in years".into()),
                ..age
            },
        },
        Op::AlterColumn {
            table: "account".into(),
            from: name.clone(),
            to: Column { unique: true, ..name },
        },
        // A type its old default does not cast to.
        Op::AlterColumn {
            table: "account".into(),
            from: level.clone(),
            to: Column::new("level", ColumnType::Integer).default(2),
        },
        Op::AddConstraint {
            table: "account".into(),
            constraint: Check::new("age >= 0").name("age_not_negative").into(),
        },
        Op::AddConstraint {
            table: "account".into(),
            constraint: UniqueConstraint::new(["name", "label"])
                .name("account_name_label")
                .into(),
        },
        Op::AddConstraint {
            table: "account".into(),
            constraint: ForeignKey::new(["team_id"], "team", ["id"])
                .name("fk-account-team")
                .on_delete(ForeignKeyAction::SetNull)
                .into(),
        },
        Op::AlterTableComment {
            table: "account".into(),
            from: None,
            to: Some("people's accounts".into()),
        },
    ]
}

async fn run(db: &DatabaseConnection, ops: &[Op], dialect: Dialect) {
    for op in ops {
        for sql in render(op, dialect).unwrap() {
            db.execute_unprepared(&sql)
                .await
                .unwrap_or_else(|e| panic!("{op}: {sql}\n{e}"));
        }
    }
}

/// The database holds `expected`, as far as `dialect` can tell.
async fn assert_holds(db: &DatabaseConnection, expected: &Schema, dialect: Dialect, when: &str) {
    let current = autogen_introspect::introspect(db).await.unwrap();
    let left = autogen_diff::diff(&current, expected, dialect, &Options::default());
    let described: Vec<String> = left.iter().map(ToString::to_string).collect();
    assert!(described.is_empty(), "{dialect} {when}: {described:#?}");
}

test_each_backend!(
    changes_apply_and_invert_exactly,
    |db: TestDb, backend: Backend| {
        let dialect = backend.dialect();
        let conn = connect(&db.url).await;
        let before = before();
        let create = autogen_diff::diff(&Schema::new(), &before, dialect, &Options::default());
        run(&conn, &create, dialect).await;

        let upgrade = changes(&before);
        let downgrade = invert_all(&upgrade, &before).unwrap();
        let after = replay(&before, &upgrade).unwrap();
        if dialect == Dialect::Sqlite {
            // Only a rename happens in place on SQLite; written by hand, the
            // rest is refused with the way out before anything runs ...
            let refused = render(&upgrade[1], dialect).unwrap_err().to_string();
            assert!(refused.contains("op.recreate_table("), "{refused}");
            for op in &upgrade[4..7] {
                assert!(render(op, dialect).is_err(), "{op}");
            }
            // ... and what autogenerate writes for the same change (with no rename
            // hint, the column is dropped and added) recreates the table, the
            // column SQLite can add in place added before it.
            let recreate = autogen_diff::diff(&before, &after, dialect, &Options::default());
            assert!(
                matches!(
                    recreate.as_slice(),
                    [Op::AddColumn { .. }, Op::RecreateTable { .. }]
                ),
                "{recreate:#?}"
            );
            run(&conn, &recreate, dialect).await;
            assert_holds(&conn, &after, dialect, "after the recreation").await;
            run(&conn, &invert_all(&recreate, &before).unwrap(), dialect).await;
            assert_holds(&conn, &before, dialect, "after recreating it back").await;
            return;
        }
        run(&conn, &upgrade, dialect).await;
        assert_holds(&conn, &after, dialect, "after the upgrade").await;
        // And the diff between the two states is these changes, seen from the database.
        let current = autogen_introspect::introspect(&conn).await.unwrap();
        assert!(!autogen_diff::diff(&current, &before, dialect, &Options::default()).is_empty());

        run(&conn, &downgrade, dialect).await;
        assert_holds(&conn, &before, dialect, "after the downgrade").await;
    }
);

test_each_backend!(
    unnamed_constraints_are_dropped_by_the_name_their_backend_gave,
    |db: TestDb, backend: Backend| {
        let dialect = backend.dialect();
        if dialect == Dialect::Sqlite {
            return;
        }
        let conn = connect(&db.url).await;
        let mut before = before();
        let account = before.tables.get_mut("account").unwrap();
        account
            .unique_constraints
            .push(UniqueConstraint::new(["name", "code"]));
        account
            .foreign_keys
            .push(ForeignKey::new(["team_id"], "team", ["id"]).name("fk-account-team"));
        let create = autogen_diff::diff(&Schema::new(), &before, dialect, &Options::default());
        run(&conn, &create, dialect).await;

        let drops: Vec<Op> = [
            Constraint::from(UniqueConstraint::new(["name", "code"])),
            ForeignKey::new(["team_id"], "team", ["id"])
                .name("fk-account-team")
                .into(),
        ]
        .into_iter()
        .map(|constraint| Op::DropConstraint {
            table: "account".into(),
            constraint,
        })
        .collect();
        run(&conn, &drops, dialect).await;
        // MySQL's own index for the foreign key goes with it.
        assert_holds(
            &conn,
            &replay(&before, &drops).unwrap(),
            dialect,
            "after the drops",
        )
        .await;
        run(&conn, &invert_all(&drops, &before).unwrap(), dialect).await;
        assert_holds(&conn, &before, dialect, "after re-adding them").await;
    }
);

test_each_backend!(
    a_column_gains_a_counter_that_starts_after_its_rows,
    |db: TestDb, backend: Backend| {
        let dialect = backend.dialect();
        if dialect == Dialect::Sqlite {
            return;
        }
        let conn = connect(&db.url).await;
        let mut before = Schema::new();
        before.insert(
            Table::new("ticket")
                .column(Column::new("id", ColumnType::Integer))
                .column(Column::new("title", ColumnType::Text))
                .primary_key(["id"]),
        );
        run(
            &conn,
            &autogen_diff::diff(&Schema::new(), &before, dialect, &Options::default()),
            dialect,
        )
        .await;
        conn.execute_unprepared("INSERT INTO ticket (id, title) VALUES (1, 'a'), (2, 'b')")
            .await
            .unwrap();
        let id = before.table("ticket").unwrap().columns[0].clone();
        let counted = [Op::AlterColumn {
            table: "ticket".into(),
            from: id.clone(),
            to: id.auto_increment(),
        }];
        run(&conn, &counted, dialect).await;
        assert_holds(
            &conn,
            &replay(&before, &counted).unwrap(),
            dialect,
            "with the counter",
        )
        .await;
        conn.execute_unprepared("INSERT INTO ticket (title) VALUES ('c')")
            .await
            .unwrap();
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                "SELECT max(id) AS id FROM ticket",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i32>("", "id").unwrap(), 3);
        run(&conn, &invert_all(&counted, &before).unwrap(), dialect).await;
        assert_holds(&conn, &before, dialect, "without it again").await;
    }
);

test_each_backend!(
    enum_labels_change_in_place_or_by_rebuilding_the_type,
    |db: TestDb, backend: Backend| {
        let dialect = backend.dialect();
        let conn = connect(&db.url).await;
        let mood = |labels: &[&str]| ColumnType::enumeration("mood", labels.iter().copied());
        let schema_with = |labels: &[&str]| {
            let mut schema = Schema::new();
            if dialect == Dialect::Postgres {
                schema
                    .enums
                    .insert("mood".into(), labels.iter().map(|l| l.to_string()).collect());
            }
            schema.insert(
                Table::new("person")
                    .column(Column::new("id", ColumnType::Integer))
                    .column(Column::new("mood", mood(labels)).default("ok"))
                    .primary_key(["id"]),
            );
            schema
        };
        let before = schema_with(&["ok", "sad"]);
        run(
            &conn,
            &autogen_diff::diff(&Schema::new(), &before, dialect, &Options::default()),
            dialect,
        )
        .await;
        conn.execute_unprepared("INSERT INTO person (id, mood) VALUES (1, 'ok'), (2, 'sad')")
            .await
            .unwrap();

        // Labels added, one between the old ones and one after them.
        let added = schema_with(&["ok", "meh", "sad", "glad"]);
        let grow = autogen_diff::diff(&before, &added, dialect, &Options::default());
        if dialect == Dialect::Postgres {
            assert_eq!(
                render(&grow[0], dialect).unwrap(),
                [
                    r#"ALTER TYPE "mood" ADD VALUE 'meh' BEFORE 'sad'"#,
                    r#"ALTER TYPE "mood" ADD VALUE 'glad' AFTER 'sad'"#,
                ]
            );
        }
        // SQLite stores an enum as text: there is nothing to change.
        if dialect == Dialect::Sqlite {
            assert!(
                grow.iter().all(|op| render(op, dialect).unwrap().is_empty()),
                "{grow:#?}"
            );
            return;
        }
        run(&conn, &grow, dialect).await;
        assert_holds(&conn, &added, dialect, "with labels added").await;

        // A label removed (no row holds it): the type is rebuilt, rows and default kept.
        conn.execute_unprepared("UPDATE person SET mood = 'meh' WHERE id = 2")
            .await
            .unwrap();
        let removed = schema_with(&["ok", "meh", "glad"]);
        let shrink = autogen_diff::diff(&added, &removed, dialect, &Options::default());
        run(&conn, &shrink, dialect).await;
        assert_holds(&conn, &removed, dialect, "with a label removed").await;
        let moods = conn
            .query_all_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                "SELECT CAST(mood AS CHAR(10)) AS mood FROM person ORDER BY id",
            ))
            .await
            .unwrap();
        let moods: Vec<String> = moods
            .iter()
            .map(|r| r.try_get::<String>("", "mood").unwrap().trim().to_owned())
            .collect();
        assert_eq!(moods, ["ok", "meh"]);

        // A row holding a label that goes: the change fails and leaves the type as it was.
        let without_meh = schema_with(&["ok", "glad"]);
        let refused = autogen_diff::diff(&removed, &without_meh, dialect, &Options::default());
        if dialect == Dialect::Postgres {
            conn.execute_unprepared("BEGIN").await.unwrap();
            let mut failed = false;
            for sql in refused.iter().flat_map(|op| render(op, dialect).unwrap()) {
                if conn.execute_unprepared(&sql).await.is_err() {
                    failed = true;
                    break;
                }
            }
            conn.execute_unprepared("ROLLBACK").await.unwrap();
            assert!(failed, "converting a row with a removed label must fail");
            assert_holds(&conn, &removed, dialect, "after the refused change").await;
        }
    }
);

/// A column switched from one PostgreSQL enum type to another: there is no
/// cast between them, so the values convert through text, and back.
#[tokio::test]
async fn a_column_moves_from_one_enum_type_to_another() {
    let Some(db) = autogen_testdb::Backend::Postgres.fresh().await else {
        return;
    };
    let dialect = Dialect::Postgres;
    let conn = connect(&db.url).await;
    let with = |type_name: &str| {
        let mut schema = Schema::new();
        for name in ["mood", "feeling"] {
            schema.enums.insert(name.into(), vec!["ok".into(), "sad".into()]);
        }
        schema.insert(
            Table::new("person")
                .column(Column::new("id", ColumnType::Integer))
                .column(Column::new(
                    "mood",
                    ColumnType::enumeration(type_name, ["ok", "sad"]),
                ))
                .primary_key(["id"]),
        );
        schema
    };
    let before = with("mood");
    run(
        &conn,
        &autogen_diff::diff(&Schema::new(), &before, dialect, &Options::default()),
        dialect,
    )
    .await;
    conn.execute_unprepared("INSERT INTO person (id, mood) VALUES (1, 'sad')")
        .await
        .unwrap();
    let after = with("feeling");
    let upgrade = autogen_diff::diff(&before, &after, dialect, &Options::default());
    let sql: Vec<String> = upgrade
        .iter()
        .flat_map(|op| render(op, dialect).unwrap())
        .collect();
    assert!(
        sql.iter()
            .any(|s| s.ends_with(r#"TYPE "feeling" USING "mood"::text::"feeling""#)),
        "{sql:#?}"
    );
    run(&conn, &upgrade, dialect).await;
    assert_holds(&conn, &after, dialect, "after the switch").await;
    run(&conn, &invert_all(&upgrade, &before).unwrap(), dialect).await;
    assert_holds(&conn, &before, dialect, "after switching back").await;
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT mood::text AS mood FROM person",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "mood").unwrap(), "sad");
}

/// MariaDB keeps a CHECK written on a column inside that column, where
/// `DROP CONSTRAINT` cannot reach it: dropping it restates the column.
#[tokio::test]
async fn a_mariadb_column_check_is_dropped() {
    let Some(db) = autogen_testdb::Backend::MySql.fresh().await else {
        return;
    };
    let dialect = Dialect::MySql;
    let conn = connect(&db.url).await;
    conn.execute_unprepared(
        "CREATE TABLE gauge (id int NOT NULL PRIMARY KEY, \
         level int NOT NULL DEFAULT 3 COMMENT 'how full' CHECK (level > 0), \
         label varchar(20) CHECK (label <> ''))",
    )
    .await
    .unwrap();
    let before = autogen_introspect::introspect(&conn).await.unwrap();
    let gauge = before.table("gauge").unwrap();
    assert_eq!(
        gauge
            .checks
            .iter()
            .map(|c| c.column.as_deref())
            .collect::<Vec<_>>(),
        [Some("label"), Some("level")],
        "{:?}",
        gauge.checks
    );
    let mut after = before.clone();
    after.tables.get_mut("gauge").unwrap().checks.clear();
    let upgrade = autogen_diff::diff(&before, &after, dialect, &Options::default());
    assert_eq!(upgrade.len(), 2, "{upgrade:#?}");
    run(&conn, &upgrade, dialect).await;
    // The checks are gone; the rest of each column (default, comment) is as it was.
    let now = autogen_introspect::introspect(&conn).await.unwrap();
    assert_eq!(now, after);
    run(&conn, &invert_all(&upgrade, &before).unwrap(), dialect).await;
    assert_holds(&conn, &before, dialect, "with the checks back").await;
}

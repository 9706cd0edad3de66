//! SeaORM 1.x entities read from source are what SeaORM 1.1 itself creates.
//!
//! `fixtures/seaorm1` holds entities compiled against sea-orm 1.1 and a
//! binary, `ddl`, printing the statements SeaORM 1.1's own `Schema` builds
//! for them on each backend. They run on a real database, which is
//! introspected and compared with the same entities read from source as a
//! 1.x crate's: no difference, but the one SeaORM leaves out (comments on
//! PostgreSQL, which sea-query cannot write there). The entity in schema
//! `audit` is left out: SeaORM 1.1 drops the schema from its references.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use autogen_diff::Options;
use autogen_reflect::{Entities, SeaOrmMajor, SourceFile};
use autogen_schema::{Column, Dialect, Op};
use autogen_testdb::test_each_backend;
use sea_orm::{ConnectionTrait, Database};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What `ddl` prints, built and run once from the fixture's own lock.
fn seaorm_1_statements() -> &'static serde_json::Value {
    static PRINTED: OnceLock<serde_json::Value> = OnceLock::new();
    PRINTED.get_or_init(|| {
        let output = std::process::Command::new(env!("CARGO"))
            .args([
                "run",
                "--offline",
                "--locked",
                "--quiet",
                "-p",
                "ddl",
                "--manifest-path",
            ])
            .arg(repo().join("fixtures/seaorm1/Cargo.toml"))
            .env("CARGO_TARGET_DIR", repo().join("target/seaorm1"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "fixtures/seaorm1's ddl did not run: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    })
}

fn entities_from_source() -> Entities {
    let dir = repo().join("fixtures/seaorm1/entity/src");
    let files: Vec<SourceFile> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .map(|path| SourceFile {
            relative: path.strip_prefix(&dir).unwrap().to_owned(),
            text: std::fs::read_to_string(&path).unwrap(),
            path,
        })
        .collect();
    Entities::from_source(&files, SeaOrmMajor::One)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

/// A change to a column's comment and nothing else.
fn comment_only(op: &Op) -> bool {
    match op {
        Op::AlterTableComment { .. } => true,
        Op::AlterColumn { from, to, .. } => {
            Column {
                comment: to.comment.clone(),
                ..from.clone()
            } == *to
        }
        _ => false,
    }
}

test_each_backend!(
    seaorm_1_creates_what_its_entities_read_from_source_say,
    |db: TestDb, backend: Backend| {
        let dialect = backend.dialect();
        let key = match dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
        };
        let conn = Database::connect(&db.url).await.unwrap();
        let statements = seaorm_1_statements()[key].as_array().unwrap();
        let mut created = 0;
        for sql in statements.iter().map(|s| s.as_str().unwrap()) {
            if sql.contains("\"audit\".") || sql.contains("`audit`.") {
                continue;
            }
            conn.execute_unprepared(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}\n{e}"));
            created += sql.starts_with("CREATE TABLE") as usize;
        }
        let current = autogen_introspect::introspect(&conn).await.unwrap();
        assert_eq!(current.tables.len(), created, "{:?}", current.tables.keys());
        let target = entities_from_source().schema(dialect, None);
        assert_eq!(target.tables.len(), created, "{:?}", target.tables.keys());
        let ops = autogen_diff::diff(&current, &target, dialect, &Options::default());
        let unexplained: Vec<String> = ops
            .iter()
            .filter(|op| !(dialect == Dialect::Postgres && comment_only(op)))
            .map(|op| format!("\n  {op}"))
            .collect();
        assert!(
            unexplained.is_empty(),
            "SeaORM 1.1 created what its entities, read from source, do not say:{}",
            unexplained.concat()
        );
    }
);

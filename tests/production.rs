use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use autogen_testdb::{test_each_backend, Backend};

use crate::util::repo;

/// The blog application (`examples/blog/app`), built where the tests build projects.
fn blog_app() -> PathBuf {
    let built = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "blog-app"])
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", repo().join("target/e2e"))
        .env("CARGO_NET_OFFLINE", "true")
        .status()
        .unwrap();
    assert!(built.success(), "cargo build -p blog-app failed");
    repo().join("target/e2e/debug/blog-app")
}

/// One copy of the application, started, and what it printed before serving.
struct Replica {
    child: Child,
    printed: Vec<String>,
    address: String,
}

impl Replica {
    /// Reads what `child` prints until it serves; panics with its errors if it stops first.
    fn serving(mut child: Child) -> Self {
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut printed = Vec::new();
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                let mut errors = String::new();
                child.stderr.take().unwrap().read_to_string(&mut errors).unwrap();
                panic!(
                    "the application stopped before serving:\n{}\n{errors}",
                    printed.join("\n")
                );
            }
            let line = line.trim_end().to_owned();
            if let Some(address) = line.strip_prefix("serving on ") {
                return Self {
                    address: address.to_owned(),
                    child,
                    printed,
                };
            }
            printed.push(line);
        }
    }

    /// The body of `GET path`, which must answer 200.
    fn get(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        response.split("\r\n\r\n").nth(1).unwrap().trim_end().to_owned()
    }
}

/// Three copies of the blog application started at once against one empty
/// database: each revision is applied once, by whichever copy got the lock
/// first, and every copy serves afterwards, ready.
async fn replicas_migrate_at_start_up_once(backend: Backend) {
    let Some(db) = backend.fresh().await else { return };
    let app = blog_app();
    let children: Vec<Child> = (0..3)
        .map(|_| {
            Command::new(&app)
                .env("DATABASE_URL", &db.url)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let replicas: Vec<Replica> = children.into_iter().map(Replica::serving).collect();

    let mut ran: Vec<&str> = replicas
        .iter()
        .flat_map(|r| &r.printed)
        .map(|line| {
            line.strip_prefix("Running upgrade ")
                .unwrap_or_else(|| panic!("unexpected output: {line}"))
        })
        .collect();
    ran.sort_unstable();
    assert_eq!(
        ran,
        [
            "<base> -> ffa946187c97, create user and post",
            "ffa946187c97 -> 67b6d261ac8f, add user bio",
        ],
        "each revision is applied once in all"
    );
    for replica in &replicas {
        assert_eq!(replica.get("/"), "0 post(s)");
        assert_eq!(replica.get("/ready"), "at head (67b6d261ac8f)");
    }
    for mut replica in replicas {
        replica.child.kill().unwrap();
        replica.child.wait().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_replicas_migrate_at_start_up_once() {
    replicas_migrate_at_start_up_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_replicas_migrate_at_start_up_once() {
    replicas_migrate_at_start_up_once(Backend::MySql).await;
}

/// The revision that adds `person.full_name`: a nullable column, filled from
/// the other two through SeaORM by an entity the revision declares itself,
/// then made NOT NULL. With `FAIL_FILL` set, the fill fails after its first row.
const FILL_FULL_NAME: &str = r#"use autogen::prelude::*;

pub const REVISION: Revision = Revision {
    id: "bbbbbbbbbbbb",
    down_revision: &["aaaaaaaaaaaa"],
    branch_labels: &[],
    depends_on: &[],
    message: "fill full name",
};

/// `person` as this revision finds it: the application's entity moves on, this does not.
mod person {
    use autogen::sea_orm;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "person")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub first_name: String,
        pub last_name: String,
        pub full_name: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

async fn fill_full_name(db: &DataConnection) -> Result<(), DbErr> {
    use autogen::sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, QueryOrder, Set};
    let people = person::Entity::find().order_by_asc(person::Column::Id).all(db).await?;
    for (filled, row) in people.into_iter().enumerate() {
        if filled == 1 && std::env::var_os("FAIL_FILL").is_some() {
            return Err(DbErr::Custom("the fill failed half way".into()));
        }
        let full_name = format!("{} {}", row.first_name, row.last_name);
        let mut row = row.into_active_model();
        row.full_name = Set(Some(full_name));
        row.update(db).await?;
    }
    Ok(())
}

fn full_name() -> Column {
    Column::new("full_name", ColumnType::String(StringLen::None))
}

pub fn upgrade(op: &mut Operations) {
    op.add_column("person", full_name().nullable());
    op.run_data(fill_full_name);
    op.alter_column("person", full_name().nullable(), full_name());
}

pub fn downgrade(op: &mut Operations) {
    op.drop_column("person", "full_name");
}
"#;

/// The rows of `person`, `first_name`, `full_name` (or `-` where NULL), by id.
async fn people(url: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let has_full_name = crate::util::introspect(url)
        .await
        .table("person")
        .is_some_and(|t| t.get_column("full_name").is_some());
    let sql = if has_full_name {
        "SELECT first_name, full_name FROM person ORDER BY id"
    } else {
        "SELECT first_name, NULL AS full_name FROM person ORDER BY id"
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    db.close().await.unwrap();
    rows.iter()
        .map(|row| {
            let first: String = row.try_get("", "first_name").unwrap();
            let full: Option<String> = row.try_get("", "full_name").unwrap();
            format!("{first}: {}", full.as_deref().unwrap_or("-"))
        })
        .collect()
}

// A revision that adds a nullable column, fills it through SeaORM from
// the rows seed rows put there (`op.bulk_insert`), and makes it NOT NULL:
// it runs, `check` online and offline agree with the entities, `verify`
// runs it, `--sql` writes the seed rows and refuses the data step by name.
// A fill that fails half way rolls the whole revision back where DDL is
// transactional, and on MariaDB leaves the journal's account, the fill's
// own rows undone.
test_each_backend!(data_steps, |db: TestDb, backend: Backend| {
    use crate::util::{assert_success, introspect, stderr, stdout, Scratch};
    let p = Scratch::reading_entities(&[("person", "person_v1.rs")]);
    let vars = [("DATABASE_URL", db.url.as_str())];
    let run = |args: &[&str]| p.autogen_with_env(args, &vars);
    assert_success(&run(&[
        "revision",
        "--autogenerate",
        "-m",
        "create person",
        "--rev-id",
        "aaaaaaaaaaaa",
    ]));
    p.edit("migration/src/versions/aaaaaaaaaaaa_create_person.rs", |s| {
        s.replacen(
            "\n}\n\npub fn downgrade",
            "\n    op.bulk_insert(\"person\", [\"first_name\", \"last_name\"], \
             [[\"Ada\".into(), \"Lovelace\".into()], [\"Alan\".into(), \"Turing\".into()], \
             [\"Flann\".into(), \"O'Brien\".into()]]);\n}\n\npub fn downgrade",
            1,
        )
    });
    let seeds = run(&["upgrade", "base:aaaaaaaaaaaa", "--sql"]);
    assert_success(&seeds);
    assert!(stdout(&seeds).contains("INSERT INTO"), "{}", stdout(&seeds));
    assert_success(&run(&["upgrade", "head"]));
    assert_eq!(people(&db.url).await, ["Ada: -", "Alan: -", "Flann: -"]);

    p.set_entities(&[("person", "person_v2.rs")]);
    p.write(
        "migration/src/versions/bbbbbbbbbbbb_fill_full_name.rs",
        FILL_FULL_NAME,
    );
    let before = introspect(&db.url).await;
    let failed = p.autogen_with_env(&["upgrade", "head"], &[vars[0], ("FAIL_FILL", "1")]);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    let message = stderr(&failed);
    assert!(message.contains("data step 'fill_full_name'"), "{message}");
    assert!(message.contains("the fill failed half way"), "{message}");
    if backend == Backend::MySql {
        // The ADD COLUMN committed; the fill, in a transaction of its own, did not.
        assert!(
            message.contains("these statements of the revision took effect"),
            "{message}"
        );
        assert_eq!(people(&db.url).await, ["Ada: -", "Alan: -", "Flann: -"]);
        let current = run(&["current"]);
        assert_eq!(current.status.code(), Some(1));
        let account = stderr(&current);
        assert!(
            account.contains("2. data step 'fill_full_name' (code run with the connection)"),
            "{account}"
        );
        assert!(
            account.contains("did not run:\n    3. ALTER TABLE `person` MODIFY"),
            "{account}"
        );
        // Repaired by going back: the column dropped by hand, the revision before recorded.
        use sea_orm::ConnectionTrait as _;
        let conn = sea_orm::Database::connect(db.url.as_str()).await.unwrap();
        conn.execute_unprepared("ALTER TABLE person DROP COLUMN full_name")
            .await
            .unwrap();
        conn.close().await.unwrap();
        assert_success(&run(&["stamp", "aaaaaaaaaaaa"]));
    } else {
        assert!(
            message.contains("failed and was rolled back, so the database is still at aaaaaaaaaaaa"),
            "{message}"
        );
        assert_eq!(
            introspect(&db.url).await,
            before,
            "nothing of the revision is left"
        );
        assert_eq!(stdout(&run(&["current"])), "aaaaaaaaaaaa\n");
    }

    let upgraded = run(&["upgrade", "head"]);
    assert_success(&upgraded);
    assert_eq!(
        people(&db.url).await,
        ["Ada: Ada Lovelace", "Alan: Alan Turing", "Flann: Flann O'Brien"]
    );
    assert_success(&p.check_both(&vars));
    let verified = run(&["verify"]);
    assert_success(&verified);
    assert!(stderr(&verified).contains("Verified upgrade aaaaaaaaaaaa -> bbbbbbbbbbbb, fill full name"));

    let offline = run(&["upgrade", "base:head", "--sql"]);
    assert_eq!(offline.status.code(), Some(1), "{}", stdout(&offline));
    let message = stderr(&offline);
    assert!(
        message.contains(
            "the data step 'fill_full_name' is code run with the connection and cannot be written as SQL"
        ),
        "{message}"
    );
    assert!(message.contains(".offline_sql("), "{message}");
});

/// Runs the migration binary `binary` alone in `dir`, with no environment
/// but `vars`: no autogen.toml, no sources, no cargo on a PATH.
fn run_alone(
    binary: &std::path::Path,
    dir: &std::path::Path,
    args: &[&str],
    vars: &[(&str, &str)],
) -> std::process::Output {
    Command::new(binary)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

// A project's migration binary, copied alone into an empty directory with
// the project gone, runs the production commands with only DATABASE_URL:
// it applies the history, reports where the database is, checks it
// against the history it carries (and names drift), prints the SQL; what
// needs the project's sources says so in one line.
test_each_backend!(
    a_shipped_migration_binary_runs_with_only_database_url,
    |db: TestDb, backend: Backend| {
        use crate::util::{assert_success, stderr, stdout, Scratch, CREATE_USER};
        let (quote, dialect) = match backend {
            Backend::Sqlite => ('"', "SQLite"),
            Backend::Postgres => ('"', "PostgreSQL"),
            Backend::MySql => ('`', "MySQL"),
        };
        let p = Scratch::reading_entities(&[("user", "user_v1.rs")]);
        assert_success(&p.autogen(CREATE_USER));
        // The launcher built the binary; build it again for the revision just written.
        assert_success(&p.autogen(&["history"]));
        let built = repo().join("target/e2e/debug").join(p.package());
        let shipped = tempfile::tempdir().unwrap();
        let binary = shipped.path().join("migrate");
        std::fs::copy(&built, &binary).unwrap();
        std::fs::remove_dir_all(p.path("")).unwrap();

        let vars = [("DATABASE_URL", db.url.as_str())];
        let run = |args: &[&str]| run_alone(&binary, shipped.path(), args, &vars);
        let upgraded = run(&["upgrade", "head"]);
        assert_success(&upgraded);
        assert_eq!(
            stderr(&upgraded),
            "Running upgrade <base> -> aaaaaaaaaaaa, create user\n"
        );
        assert_eq!(stdout(&run(&["current"])), "aaaaaaaaaaaa (head)\n");
        assert_eq!(
            stdout(&run(&["history"])),
            "<base> -> aaaaaaaaaaaa (head), create user\n"
        );
        let clean = run(&["check"]);
        assert_success(&clean);
        assert_eq!(stdout(&clean), "No new upgrade operations detected.\n");
        let sql = run(&["upgrade", "base:head", "--sql"]);
        assert_success(&sql);
        assert!(
            stdout(&sql).contains(&format!("CREATE TABLE {quote}user{quote}")),
            "{}",
            stdout(&sql)
        );

        // A column added by hand is drift: the history does not have it.
        use sea_orm::ConnectionTrait as _;
        let conn = sea_orm::Database::connect(db.url.as_str()).await.unwrap();
        conn.execute_unprepared(&format!(
            "ALTER TABLE {quote}user{quote} ADD COLUMN nickname text"
        ))
        .await
        .unwrap();
        conn.close().await.unwrap();
        let drift = run(&["check"]);
        assert_eq!(drift.status.code(), Some(1), "{}", stderr(&drift));
        assert!(
            stdout(&drift)
                .starts_with("New upgrade operations detected:\n  Detected removed column 'user.nickname'\n"),
            "{}",
            stdout(&drift)
        );
        assert!(
            stdout(&drift).contains(&format!("--- database ({dialect})\n+++ revisions\n")),
            "{}",
            stdout(&drift)
        );

        // What deploy.md says it runs besides: verify, downgrade and stamp.
        let verified = run(&["verify"]);
        assert_success(&verified);
        assert!(stderr(&verified).contains("Verified downgrade aaaaaaaaaaaa -> <base>, create user"));
        assert_success(&run(&["downgrade", "base"]));
        assert_eq!(stdout(&run(&["current"])), "");
        assert_success(&run(&["stamp", "head"]));
        assert_eq!(stdout(&run(&["current"])), "aaaaaaaaaaaa (head)\n");

        let refused = run(&["revision", "--autogenerate", "-m", "x"]);
        assert_eq!(refused.status.code(), Some(1));
        assert_eq!(
        stderr(&refused),
        "error: `revision` needs the project's sources (autogen.toml, the revision files and the entities), \
         and this migration binary runs without them; run it in the project, with `autogen revision`\n"
    );
        let fresh = run(&["fresh"]);
        assert_eq!(fresh.status.code(), Some(1));
        assert!(
            stderr(&fresh).contains("so it does not run `fresh`"),
            "{}",
            stderr(&fresh)
        );
        let unset = run_alone(&binary, shipped.path(), &["current"], &[]);
        assert_eq!(unset.status.code(), Some(2), "{}", stderr(&unset));
        assert!(
            stderr(&unset).contains("takes the database from DATABASE_URL"),
            "{}",
            stderr(&unset)
        );
        assert_eq!(
            std::fs::read_dir(shipped.path()).unwrap().count(),
            1,
            "it wrote nothing beside itself"
        );
    }
);

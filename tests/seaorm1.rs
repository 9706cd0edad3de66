//! A SeaORM 1.x application adopted (`fixtures/seaorm1-app`): its app and
//! entity crates stay on sea-orm 1.1 as their Cargo.lock holds it, its
//! database is the one the app creates at start-up with SeaORM 1.1's own
//! statements, and its entities are sea-orm-cli 1.1's. init (a migration
//! crate of its own: SeaORM 2 cannot share that lock) → baseline → an
//! entity edit → revision --autogenerate → upgrade → check and check
//! --offline, through the installed binary, on SQLite and PostgreSQL.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use autogen_testdb::Backend;

use crate::util::{assert_success, copy_dir, repo, stderr, stdout, Scratch};

/// The fixture's app, built once from the fixture itself on its own lock.
fn app_binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let target = repo().join("target/seaorm1-app");
        let build = Command::new(env!("CARGO"))
            .args([
                "build",
                "--offline",
                "--locked",
                "--quiet",
                "-p",
                "app",
                "--manifest-path",
            ])
            .arg(repo().join("fixtures/seaorm1-app/Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap();
        assert_success(&build);
        target.join("debug/app")
    })
}

/// `cargo install` of the launcher, once, as a user installs it.
fn installed_launcher() -> &'static Path {
    static INSTALLED: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &INSTALLED
        .get_or_init(|| {
            let root = tempfile::tempdir().unwrap();
            let install = Command::new(env!("CARGO"))
                .args(["install", "--debug", "--locked", "--offline", "--path"])
                .arg(repo().join("crates/autogen"))
                .arg("--root")
                .arg(root.path())
                .env("CARGO_TARGET_DIR", repo().join("target/e2e"))
                .output()
                .unwrap();
            assert_success(&install);
            let launcher = root.path().join("bin/autogen");
            (root, launcher)
        })
        .1
}

async fn adopt_seaorm_1_on(backend: Backend) {
    let Some(db) = backend.fresh().await else {
        return;
    };
    let url = db.url.clone();
    let p = Scratch::empty();
    copy_dir(&repo().join("fixtures/seaorm1-app"), &p.path(""));
    let lock_before = fs::read(p.path("Cargo.lock")).unwrap();
    let env = [("DATABASE_URL", url.as_str())];
    let autogen = |args: &[&str]| -> Output {
        let mut command = Command::new(installed_launcher());
        command.args(args);
        p.run_prepared(command, &env)
    };

    // The application creates its tables, as its users' databases were.
    let mut app = Command::new(app_binary());
    app.env("DATABASE_URL", &url);
    let started = p.run_prepared(app, &env);
    assert_success(&started);
    assert_eq!(stdout(&started), "0 users\n");

    let init = autogen(&["init", "--autogen-path", repo().to_str().unwrap()]);
    assert_success(&init);
    let said = stdout(&init);
    assert!(said.contains("locks sea-orm 1.1."), "{said}");
    assert!(said.contains("migration is a workspace of its own"), "{said}");
    assert!(
        said.contains("Reading the entities of entity from entity/src (`entities` in autogen.toml)"),
        "{said}"
    );
    // Named apart from other tests' crates in the shared target directory,
    // and built offline from the versions the tests compiled.
    let package = p.package();
    p.edit("migration/Cargo.toml", |s| {
        s.replacen("name = \"migration\"", &format!("name = \"{package}\""), 1)
    });
    fs::copy(repo().join("Cargo.lock"), p.path("migration/Cargo.lock")).unwrap();

    assert_success(&autogen(&["baseline"]));
    let clean = autogen(&["check"]);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}{}",
        stdout(&clean),
        stderr(&clean)
    );

    // The user's change, in their SeaORM 1.1 entity.
    p.edit("entity/src/user.rs", |s| {
        s.replacen(
            "    pub display_name: Option<String>,",
            "    pub display_name: Option<String>,\n    pub bio: Option<String>,",
            1,
        )
    });
    let revision = autogen(&["revision", "--autogenerate", "-m", "user bio"]);
    assert_success(&revision);
    // SQLite has one writer at a time whatever the DDL: no lock risk there.
    let lock_risk = match backend {
        Backend::Sqlite => "",
        _ => {
            "  WARNING AG210 alters 'user' with no lock timeout: waiting behind a long transaction, \
              it queues every later query on the table\n"
        }
    };
    assert_eq!(
        stderr(&revision),
        format!("Detected added column 'user.bio' (entity/src/user.rs:15)\n{lock_risk}")
    );
    assert_success(&autogen(&["upgrade", "head"]));
    for check in [&["check"][..], &["check", "--offline"][..]] {
        let answer = autogen(check);
        assert_eq!(
            answer.status.code(),
            Some(0),
            "{check:?}: {}{}",
            stdout(&answer),
            stderr(&answer)
        );
    }

    // The application runs on, on SeaORM 1.1, with the lock it had.
    let mut app = Command::new(app_binary());
    app.env("DATABASE_URL", &url);
    assert_success(&p.run_prepared(app, &env));
    assert_eq!(
        fs::read(p.path("Cargo.lock")).unwrap(),
        lock_before,
        "the app's Cargo.lock is untouched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seaorm_1_application_is_adopted_on_sqlite() {
    adopt_seaorm_1_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seaorm_1_application_is_adopted_on_postgres() {
    adopt_seaorm_1_on(Backend::Postgres).await;
}

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use autogen_testdb::Backend;

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

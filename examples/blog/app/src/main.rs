//! The blog application, as small as one can be: it brings its database to
//! head at start-up with its own connection, then serves. `GET /ready`
//! answers whether a revision is pending (a readiness probe); any other
//! path, how many posts there are.
//!
//! ```sh
//! DATABASE_URL=postgres://app@localhost/blog cargo run -p blog-app
//! ```

use std::error::Error;

use blog_entity::post;
use sea_orm::{Database, DatabaseConnection, EntityTrait, PaginatorTrait};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL to the blog's database")?;
    let db = Database::connect(url.as_str()).await?;
    // The one line that migrates: every replica may run it; each revision is applied once.
    for step in blog_migration::upgrade(&db).await? {
        println!("{step}");
    }
    let address = std::env::var("BLOG_ADDRESS").unwrap_or_else(|_| "127.0.0.1:0".to_owned());
    let listener = TcpListener::bind(&address).await?;
    println!("serving on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let db = db.clone();
        tokio::spawn(async move {
            if let Err(error) = serve(stream, &db).await {
                eprintln!("request failed: {error}");
            }
        });
    }
}

/// Answers one request.
async fn serve(stream: TcpStream, db: &DatabaseConnection) -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut stream = BufReader::new(stream);
    let mut request_line = String::new();
    stream.read_line(&mut request_line).await?;
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (code, body) = if path == "/ready" {
        let status = blog_migration::status(db).await?;
        // Ready unless a revision is pending; a database a later release migrated
        // suits this one too (a rolling deploy): `is_ready`, not `is_at_head`.
        let code = if status.is_ready() {
            "200 OK"
        } else {
            "503 Service Unavailable"
        };
        (code, status.to_string())
    } else {
        let posts = post::Entity::find().count(db).await?;
        ("200 OK", format!("{posts} post(s)"))
    };
    let response = format!(
        "HTTP/1.1 {code}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}\n",
        body.len() + 1
    );
    stream.get_mut().write_all(response.as_bytes()).await?;
    Ok(())
}

//! Times sea-schema's PostgreSQL discovery (what SeaORM's own `generate
//! entity` and schema sync read a database with) the way
//! `time_introspection` times autogen's: inside one process, over a
//! connection already open, median of several runs. `cargo xtask bench
//! introspect` runs both on the same database.
//!
//! Usage: `time_sea_schema <database URL> <runs>`; prints `<tables> <seconds>`.

use std::time::Instant;

use sea_orm::{ConnectOptions, Database};
use sea_schema::postgres::discovery::SchemaDiscovery;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: time_sea_schema <database URL> <runs>");
    let runs: usize = args.next().map_or(1, |r| r.parse().expect("runs is a number"));
    let mut options = ConnectOptions::new(url);
    options.max_connections(2).min_connections(2).sqlx_logging(false);
    let db = Database::connect(options).await.expect("connecting");
    let discovery = SchemaDiscovery::new(db.get_postgres_connection_pool().clone(), "public");
    let mut times = Vec::new();
    let mut tables = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let schema = discovery.discover().await.expect("discovering");
        times.push(start.elapsed().as_secs_f64());
        tables = schema.tables.len();
    }
    times.sort_by(f64::total_cmp);
    println!("{tables} {}", times[times.len() / 2]);
}

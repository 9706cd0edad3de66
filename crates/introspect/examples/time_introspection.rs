//! Times `introspect()` the way SQLAlchemy's `MetaData.reflect()` is timed in
//! `cargo xtask bench introspect`: inside one process, over a connection
//! already open, median of several runs.
//!
//! Usage: `time_introspection <database URL> <runs>`; prints `<tables> <seconds>`.

use std::time::Instant;

use sea_orm::{ConnectOptions, Database};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .expect("usage: time_introspection <database URL> <runs>");
    let runs: usize = args.next().map_or(3, |r| r.parse().expect("runs is a number"));
    let mut options = ConnectOptions::new(url);
    options.max_connections(2).min_connections(2).sqlx_logging(false);
    let db = Database::connect(options).await.expect("connecting");
    let mut times = Vec::new();
    let mut tables = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let schema = autogen_introspect::introspect(&db).await.expect("introspecting");
        times.push(start.elapsed().as_secs_f64());
        tables = schema.tables.len();
    }
    times.sort_by(f64::total_cmp);
    println!("{tables} {}", times[times.len() / 2]);
}

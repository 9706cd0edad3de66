//! `autogen fresh`: sea-orm-cli's `migrate fresh` for a development
//! database: every table dropped (autogen's own among them) and, on
//! PostgreSQL, every enum type, so that `upgrade` then builds it anew from
//! the history. It refuses a database that is not on this machine unless told.

use anyhow::{bail, Context as _, Result};
use autogen_schema::Dialect;
use sea_orm::sea_query::extension::postgres::Type;
use sea_orm::sea_query::{Alias, MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder, Table};
use sea_orm::ConnectionTrait;

use crate::config::Config;
use crate::database::{self, Access};

/// What `fresh` dropped: tables, then enum types.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// The tables, by name.
    pub tables: Vec<String>,
    /// The enum types (PostgreSQL), by name.
    pub enums: Vec<String>,
}

/// Drops every table of the configured database (its default schema on
/// PostgreSQL) and every enum type there. A server that is not this machine
/// is refused before connecting, unless `allow_remote`.
pub async fn drop_everything(config: &Config, allow_remote: bool) -> Result<Dropped> {
    let url = &config.database_url;
    if let (Some(host), false) = (url.remote_host(), allow_remote) {
        bail!(
            "fresh drops every table of {url} ({}), which is on {host}, not this machine; it is meant for a \
             development database. If this one is, run `autogen fresh --allow-remote`",
            url.origin()
        );
    }
    let db = database::open(url, Access::Write, config.connect_timeout, 1).await?;
    let options = autogen_introspect::Options {
        include_autogen_tables: true,
        ..Default::default()
    };
    let schema = autogen_introspect::introspect_with(&db, &options)
        .await
        .with_context(|| format!("cannot read the tables of {url}"))?;
    let dropped = Dropped {
        tables: schema.tables.keys().cloned().collect(),
        enums: schema.enums.keys().cloned().collect(),
    };
    for statement in drop_statements(autogen_introspect::dialect(&db), &dropped) {
        db.execute_unprepared(&statement)
            .await
            .with_context(|| format!("cannot drop what {url} holds: {statement}"))?;
    }
    db.close().await?;
    Ok(dropped)
}

/// One `DROP TABLE` of them all, which the backend orders itself, with
/// foreign keys out of the way: CASCADE on PostgreSQL, which also takes the
/// views over them; checks off for the session elsewhere.
fn drop_statements(dialect: Dialect, dropped: &Dropped) -> Vec<String> {
    let mut drop = Table::drop();
    for table in &dropped.tables {
        drop.table(Alias::new(table));
    }
    let mut statements = Vec::new();
    match dialect {
        Dialect::Postgres => {
            if !dropped.tables.is_empty() {
                statements.push(drop.cascade().to_string(PostgresQueryBuilder));
            }
            statements.extend(dropped.enums.iter().map(|name| {
                Type::drop()
                    .name(Alias::new(name))
                    .cascade()
                    .to_string(PostgresQueryBuilder)
            }));
        }
        Dialect::MySql if !dropped.tables.is_empty() => {
            statements.push("SET FOREIGN_KEY_CHECKS = 0".to_owned());
            statements.push(drop.to_string(MysqlQueryBuilder));
            statements.push("SET FOREIGN_KEY_CHECKS = 1".to_owned());
        }
        Dialect::Sqlite if !dropped.tables.is_empty() => {
            statements.push("PRAGMA foreign_keys = OFF".to_owned());
            // SQLite drops one table per statement.
            statements.extend(dropped.tables.iter().map(|table| {
                Table::drop()
                    .table(Alias::new(table))
                    .to_string(SqliteQueryBuilder)
            }));
            statements.push("PRAGMA foreign_keys = ON".to_owned());
        }
        Dialect::MySql | Dialect::Sqlite => {}
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_dropped_in_one_go_with_foreign_keys_out_of_the_way() {
        let dropped = Dropped {
            tables: vec!["post".into(), "user".into()],
            enums: vec!["mood".into()],
        };
        assert_eq!(
            drop_statements(Dialect::Postgres, &dropped),
            [r#"DROP TABLE "post", "user" CASCADE"#, r#"DROP TYPE "mood" CASCADE"#]
        );
        assert_eq!(
            drop_statements(Dialect::MySql, &dropped),
            [
                "SET FOREIGN_KEY_CHECKS = 0",
                "DROP TABLE `post`, `user`",
                "SET FOREIGN_KEY_CHECKS = 1"
            ]
        );
        assert_eq!(
            drop_statements(Dialect::Sqlite, &dropped),
            [
                "PRAGMA foreign_keys = OFF",
                r#"DROP TABLE "post""#,
                r#"DROP TABLE "user""#,
                "PRAGMA foreign_keys = ON"
            ]
        );
        assert!(drop_statements(Dialect::MySql, &Dropped::default()).is_empty());
    }
}

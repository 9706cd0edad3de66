//! Offline mode (`--sql`): the SQL a run would execute, printed as a script
//! for a DBA to review or apply, without connecting to any database.

use autogen_schema::{destructive_changes, lock_risks, DdlMode, Dialect, Schema, Warning};

use crate::error::MigrateError;
use crate::graph::{Graph, GraphError};
use crate::plan::{
    begin, drops_a_table, is_staged, next_step, outside_a_transaction, stages, stamp_heads, Action, LockWait,
    RunOptions, Stage, Step,
};
use crate::render::ident;
use crate::replay::replay_revision;
use crate::revision::{Direction, Operations};
use crate::version_table;

/// The script for `upgrade|downgrade <range> --sql`. `range` is
/// `<from>:<to>`; an upgrade may give `<to>` alone, starting from base.
pub fn script(
    graph: &Graph,
    dialect: Dialect,
    direction: Direction,
    range: &str,
    options: RunOptions,
) -> Result<String, MigrateError> {
    let (from, to) = match (range.split_once(':'), direction) {
        (Some((from, to)), _) => (from, to),
        (None, Direction::Up) => ("base", range),
        (None, Direction::Down) => {
            return Err(GraphError::Relative {
                target: range.to_owned(),
                reason: "needs a starting point offline, as `<from>:<to>` (e.g. `head:base`), \
                         since no database says where it is"
                    .into(),
            }
            .into())
        }
    };
    let from = if from.is_empty() { "base" } else { from };
    let start = stamp_heads(graph, &[], from)?;
    let goal = match direction {
        Direction::Up => graph.upgrade_goal(&start, if to.is_empty() { "heads" } else { to })?,
        Direction::Down => graph.downgrade_goal(&start, if to.is_empty() { "base" } else { to })?,
    };
    let verb = match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    };
    let mut out = format!("-- autogen {verb} {range}, rendered for {dialect} without connecting\n\n");
    let header_end = out.len();
    let mut drops_tables = false;
    for sql in version_table::create_sql(dialect) {
        out.push_str(&statement(&sql));
    }
    out.push('\n');
    if options.single_transaction {
        out.push_str(&statement(begin(dialect)));
        out.push('\n');
    }
    let mut applied = graph.ancestors(start.iter().map(String::as_str));
    // The schema each revision runs on, for the lock risks its ops carry.
    let mut schema = Schema::default();
    for node in graph.topological(&applied) {
        let _ = replay_revision(node, &mut schema);
    }
    while let Some(node) = next_step(graph, direction, &applied, &goal) {
        let step = Step::new(node, direction);
        out.push_str(&format!("-- {step}\n\n"));
        let recorded = Operations::record_runnable(node.module.function(direction), options.tag.as_deref());
        let ops = recorded.ops;
        let rendered =
            stages(&ops, Vec::new(), dialect, recorded.mode).map_err(|source| MigrateError::Render {
                revision: step.revision.clone(),
                source,
            })?;
        let warnings = Warning::of(
            &destructive_changes(&ops, &schema, dialect),
            lock_risks(&ops, &schema, dialect, recorded.mode),
        );
        for op in &ops {
            let _ = op.apply(&mut schema);
        }
        drops_tables |= ops.iter().any(drops_a_table);
        let staged = is_staged(dialect, recorded.mode);
        if staged && options.single_transaction {
            return Err(MigrateError::LockSafeInOneTransaction(step.revision));
        }
        let lock_safe = recorded.mode == DdlMode::LockSafe;
        let write_actions = |out: &mut String, actions: &[Action]| {
            let mut last_op = None;
            for action in actions {
                if last_op != Some(action.op) {
                    last_op = Some(action.op);
                    out.push_str(&op_comment(action.op, &warnings));
                }
                out.push_str(&statement(&action.text));
                out.push('\n');
            }
        };
        if staged {
            out.push_str(&stages_comment(&rendered));
            let count = rendered.len();
            for (number, stage) in rendered.iter().enumerate() {
                let number = number + 1;
                if stage.transactional {
                    out.push_str(&format!("-- step {number} of {count}\n"));
                    out.push_str(&statement(begin(dialect)));
                    for sql in stage.postgres_timeouts(&options.lock_wait) {
                        out.push_str(&statement(&sql));
                    }
                    out.push('\n');
                    write_actions(&mut out, &stage.actions);
                    out.push_str(&statement("COMMIT"));
                } else {
                    out.push_str(&format!("-- step {number} of {count}, outside a transaction\n"));
                    if stage.concurrent {
                        out.push_str(
                            "-- No lock timeout: waiting for older transactions, it blocks no reads or writes.\n",
                        );
                    }
                    if let Some(index) = &stage.builds_index {
                        out.push_str(&format!(
                            "-- Run again after a failed or killed build, drop the INVALID index it left first:\n\
                             -- DROP INDEX CONCURRENTLY IF EXISTS {};\n",
                            ident(dialect, index)
                        ));
                    }
                    for sql in stage.postgres_timeouts(&options.lock_wait) {
                        out.push_str(&statement(&sql));
                    }
                    write_actions(&mut out, &stage.actions);
                    for sql in LockWait::reset(dialect) {
                        out.push_str(&statement(&sql));
                    }
                }
                out.push('\n');
            }
            out.push_str("-- the revision is recorded once every step has run\n");
            out.push_str(&statement(begin(dialect)));
        } else {
            if !options.single_transaction {
                out.push_str(&statement(begin(dialect)));
                out.push('\n');
            }
            // Lock-safe, unstaged: MariaDB's (SQLite has no lock waits to bound).
            let bounded = lock_safe && dialect == Dialect::MySql;
            if bounded {
                out.push_str(&statement(&options.lock_wait.mysql_set()));
                out.push('\n');
            }
            for stage in &rendered {
                write_actions(&mut out, &stage.actions);
            }
            if bounded {
                for sql in LockWait::reset(dialect) {
                    out.push_str(&statement(&sql));
                }
            }
        }
        match direction {
            Direction::Up => applied.insert(step.revision.clone()),
            Direction::Down => applied.remove(&step.revision),
        };
        let recorded = version_table::write_sql(dialect, &graph.heads_of(&applied))
            .into_iter()
            .chain(version_table::record_sql(
                dialect,
                direction,
                &step.revision,
                &node.module.checksum(options.tag.as_deref()),
                options.tag.as_deref(),
            ));
        for sql in recorded {
            out.push_str(&statement(&sql));
        }
        out.push('\n');
        if staged || !options.single_transaction {
            out.push_str(&statement("COMMIT"));
            out.push('\n');
        }
    }
    if options.single_transaction {
        out.push_str(&statement("COMMIT"));
        out.push('\n');
    }
    if drops_tables && dialect == Dialect::Sqlite {
        // As the executor runs it: a dropped table's rows must not cascade
        // into their children's.
        let body = out.split_off(header_end);
        out.push_str("PRAGMA foreign_keys = OFF;\n\n");
        out.push_str(&body);
        out.push_str("-- Any row listed here has a foreign key that points nowhere.\nPRAGMA foreign_key_check;\nPRAGMA foreign_keys = ON;\n");
    }
    Ok(out)
}

/// The script for `stamp <target> --sql`.
pub fn stamp_script(graph: &Graph, dialect: Dialect, target: &str) -> Result<String, MigrateError> {
    let heads = stamp_heads(graph, &[], target)?;
    let mut out = format!("-- autogen stamp {target}, rendered for {dialect} without connecting\n\n");
    for sql in version_table::create_sql(dialect) {
        out.push_str(&statement(&sql));
    }
    out.push('\n');
    for sql in version_table::stamp_sql(graph, dialect, &heads) {
        out.push_str(&statement(&sql));
    }
    Ok(out)
}

fn statement(sql: &str) -> String {
    format!("{};\n", sql.trim_end_matches(';'))
}

/// `-- op 2`, with a line per code the op carries (`AG1xx`, `AG2xx`), so
/// that a reader (or a linter's finding, by line) knows which op a
/// statement makes and what it risks.
fn op_comment(op: usize, warnings: &[Warning]) -> String {
    let mut comment = String::new();
    let number = op + 1;
    let mut any = false;
    for warning in warnings.iter().filter(|warning| warning.op() == op) {
        comment.push_str(&format!("-- op {number}: {warning}\n"));
        any = true;
    }
    if !any {
        comment.push_str(&format!("-- op {number}\n"));
    }
    comment
}

/// What a staged revision's reader must know before running it.
fn stages_comment(stages: &[Stage]) -> String {
    let outside = match outside_a_transaction(stages).as_slice() {
        [] => String::new(),
        [one] => format!("; step {one} runs outside a transaction"),
        many => format!("; steps {} run outside a transaction", many.join(", ")),
    };
    format!(
        "-- Lock-safe: {} steps{outside}. Each commits on its own: run this script in \
         autocommit mode (not as one transaction). A run of it that stops between steps \
         goes on from the step that failed, by hand.\n\n",
        stages.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_history::graph;

    #[test]
    fn an_upgrade_script_per_revision_transaction() {
        let sql = script(
            &graph(),
            Dialect::Sqlite,
            Direction::Up,
            "head",
            RunOptions::default(),
        )
        .unwrap();
        assert_eq!(
            sql,
            r#"-- autogen upgrade head, rendered for SQLite without connecting

CREATE TABLE IF NOT EXISTS "autogen_version" ("version_num" varchar(32) NOT NULL, CONSTRAINT "autogen_version_pkc" PRIMARY KEY ("version_num"));
CREATE TABLE IF NOT EXISTS "autogen_revisions" ("revision" varchar(32) NOT NULL, "checksum" char(64) NOT NULL, "tag" text, "applied_at" text NOT NULL, CONSTRAINT "autogen_revisions_pkc" PRIMARY KEY ("revision"));

-- Running upgrade <base> -> aaaa, create t

BEGIN IMMEDIATE;

-- op 1
CREATE TABLE "t" ( "id" integer NOT NULL );

DELETE FROM "autogen_version";
INSERT INTO "autogen_version" ("version_num") VALUES ('aaaa');
DELETE FROM "autogen_revisions" WHERE "revision" = 'aaaa';
INSERT INTO "autogen_revisions" ("revision", "checksum", "tag", "applied_at") VALUES ('aaaa', '104b769a1112e9cda45f20470873bf9fc101373582809a786cc95cfb54f11341', NULL, CURRENT_TIMESTAMP);

COMMIT;

-- Running upgrade aaaa -> bbbb, add x

BEGIN IMMEDIATE;

-- op 1
ALTER TABLE "t" ADD COLUMN "x" text;

DELETE FROM "autogen_version";
INSERT INTO "autogen_version" ("version_num") VALUES ('bbbb');
DELETE FROM "autogen_revisions" WHERE "revision" = 'bbbb';
INSERT INTO "autogen_revisions" ("revision", "checksum", "tag", "applied_at") VALUES ('bbbb', '28688653f46b6c8df94b26ab1af96282aa1e5db27f461ead5d1abbdf36f9be65', NULL, CURRENT_TIMESTAMP);

COMMIT;

"#
        );
    }

    #[test]
    fn ranges_and_single_transaction() {
        let options = RunOptions {
            single_transaction: true,
            ..RunOptions::default()
        };
        let sql = script(&graph(), Dialect::Postgres, Direction::Down, "bbbb:base", options).unwrap();
        assert_eq!(sql.matches("BEGIN;").count(), 1);
        assert_eq!(sql.matches("COMMIT;").count(), 1);
        let drop_x = sql.find(r#"ALTER TABLE "t" DROP COLUMN "x""#).unwrap();
        let drop_t = sql.find(r#"DROP TABLE "t""#).unwrap();
        assert!(drop_x < drop_t);
        // Undone revisions lose their checksum rows and gain none.
        assert!(sql.contains(r#"DELETE FROM "autogen_revisions" WHERE "revision" = 'bbbb';"#));
        assert!(!sql.contains(r#"INSERT INTO "autogen_revisions""#));
        let partial = script(
            &graph(),
            Dialect::MySql,
            Direction::Up,
            "aaaa:bbbb",
            RunOptions::default(),
        )
        .unwrap();
        assert!(!partial.contains("CREATE TABLE `t`"));
        assert!(partial.contains("ALTER TABLE `t` ADD COLUMN `x` text"));
        let err = script(
            &graph(),
            Dialect::Sqlite,
            Direction::Down,
            "base",
            RunOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("needs a starting point offline"),
            "{err}"
        );
    }

    #[test]
    fn revisions_see_the_tag() {
        let plain = script(
            &graph(),
            Dialect::Sqlite,
            Direction::Up,
            "head",
            RunOptions::default(),
        )
        .unwrap();
        assert!(!plain.contains("seeded"));
        let tagged = RunOptions {
            tag: Some("seed".into()),
            ..RunOptions::default()
        };
        let seeded = script(&graph(), Dialect::Sqlite, Direction::Up, "head", tagged).unwrap();
        assert!(seeded.contains("UPDATE t SET x = 'seeded';"), "{seeded}");
    }

    #[test]
    fn a_stamp_script_writes_only_autogen_tables() {
        let sql = stamp_script(&graph(), Dialect::Sqlite, "head").unwrap();
        assert!(sql.ends_with(
            "DELETE FROM \"autogen_revisions\" WHERE \"revision\" NOT IN ('aaaa', 'bbbb');\n\
             DELETE FROM \"autogen_version\";\n\
             INSERT INTO \"autogen_version\" (\"version_num\") VALUES ('bbbb');\n"
        ));
        assert!(!sql.contains("CREATE TABLE \"t\""));
    }
}

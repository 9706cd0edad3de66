//! The schema a revision history describes, with no database: each
//! revision's upgrade ops replayed into the model, base to heads. This is
//! what `check --offline` compares with the entities and what `verify`
//! holds each real upgrade to.

use autogen_schema::{ApplyError, Schema};
use thiserror::Error;

use crate::graph::{Graph, Node};
use crate::revision::Operations;

/// A revision's ops that replay cannot follow: raw SQL not marked as
/// changing data only (`op.execute_data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreplayable {
    /// The revision.
    pub revision: String,
    /// The SQL, as written.
    pub sql: String,
}

/// A whole history replayed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replayed {
    /// The schema at the heads.
    pub schema: Schema,
    /// Raw SQL replay stepped over; where there is any, the schema is only
    /// what the other ops say.
    pub unreplayable: Vec<Unreplayable>,
}

/// A revision's ops do not fit the schema the revisions before it describe.
#[derive(Debug, Error)]
#[error("revision {revision} does not replay onto the revisions before it: {source}")]
pub struct ReplayError {
    /// The revision.
    pub revision: String,
    /// What did not fit.
    pub source: ApplyError,
}

/// Replays every revision's upgrade, base to heads, in the order an upgrade
/// to every head applies them; `after_each` sees each revision with the
/// schema once it is applied.
pub fn replay_history<'g>(
    graph: &'g Graph,
    mut after_each: impl FnMut(&'g Node, &Schema),
) -> Result<Replayed, ReplayError> {
    let all = graph.ancestors(graph.heads().into_iter().map(Node::id));
    let mut replayed = Replayed::default();
    for node in graph.topological(&all) {
        let skipped = replay_revision(node, &mut replayed.schema)?;
        replayed.unreplayable.extend(skipped);
        after_each(node, &replayed.schema);
    }
    Ok(replayed)
}

/// Replays one revision's upgrade onto `schema`, the schema the revisions
/// it requires describe; returns the raw SQL it stepped over.
pub fn replay_revision(node: &Node, schema: &mut Schema) -> Result<Vec<Unreplayable>, ReplayError> {
    let mut skipped = Vec::new();
    for op in Operations::record(node.module.upgrade, None) {
        match op.apply(schema) {
            Ok(()) => {}
            Err(ApplyError::NotReplayable(sql)) => skipped.push(Unreplayable {
                revision: node.id().to_owned(),
                sql,
            }),
            Err(source) => {
                return Err(ReplayError {
                    revision: node.id().to_owned(),
                    source,
                })
            }
        }
    }
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::{Revision, RevisionModule};
    use autogen_schema::{Column, ColumnType, Table};

    fn module(
        id: &'static str,
        down: &'static [&'static str],
        upgrade: fn(&mut Operations),
    ) -> RevisionModule {
        RevisionModule {
            revision: Revision {
                id,
                down_revision: down,
                branch_labels: &[],
                depends_on: &[],
                message: "",
            },
            upgrade,
            downgrade: |_| {},
            path: "",
        }
    }

    fn create(op: &mut Operations) {
        op.create_table(
            Table::new("user")
                .column(Column::new("id", ColumnType::Integer))
                .primary_key(["id"]),
        );
    }

    fn backfill(op: &mut Operations) {
        op.add_column("user", Column::new("bio", ColumnType::Text).nullable());
        op.execute_data("UPDATE \"user\" SET bio = ''");
    }

    fn raw(op: &mut Operations) {
        op.execute("CREATE VIEW v AS SELECT 1");
    }

    fn broken(op: &mut Operations) {
        op.drop_column("user", "nickname");
    }

    #[test]
    fn a_history_replays_in_order_and_names_what_it_cannot_follow() {
        let modules = [
            module("a", &[], create),
            module("b", &["a"], backfill),
            module("c", &["b"], raw),
        ];
        let graph = Graph::new(&modules).unwrap();
        let mut seen = Vec::new();
        let replayed = replay_history(&graph, |node, schema| {
            seen.push((node.id(), schema.table("user").map(|t| t.columns.len())));
        })
        .unwrap();
        assert_eq!(seen, [("a", Some(1)), ("b", Some(2)), ("c", Some(2))]);
        // Data-only SQL replays as nothing; other raw SQL is named.
        assert_eq!(
            replayed.unreplayable,
            [Unreplayable {
                revision: "c".into(),
                sql: "CREATE VIEW v AS SELECT 1".into()
            }]
        );
        assert!(replayed.schema.table("user").unwrap().get_column("bio").is_some());

        let modules = [module("a", &[], create), module("b", &["a"], broken)];
        let graph = Graph::new(&modules).unwrap();
        let error = replay_history(&graph, |_, _| {}).unwrap_err();
        assert_eq!(error.revision, "b");
    }
}

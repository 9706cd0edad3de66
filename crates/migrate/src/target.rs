//! Upgrade and downgrade targets (`head`, `heads`, `+N`, `-N`, `base`, a
//! revision or a unique prefix of one) resolved into the revisions to run.

use std::collections::BTreeSet;

use crate::graph::{Graph, GraphError, Node};

impl Graph {
    /// The revisions `upgrade <target>` applies, parents first, given the
    /// heads the database is at.
    pub fn upgrade_plan(&self, current: &[String], target: &str) -> Result<Vec<&Node>, GraphError> {
        let applied = self.ancestors(current.iter().map(String::as_str));
        let wanted: BTreeSet<String> = match target {
            "head" => self.ancestors(self.head()?.map(Node::id)),
            "heads" => self.ancestors(self.heads().into_iter().map(Node::id)),
            relative if relative.starts_with('+') => {
                let steps = parse_steps(relative)?;
                self.ancestors(self.walk_up(current, relative, steps)?)
            }
            rev => self.ancestors([self.resolve(rev)?.id()]),
        };
        let pending: BTreeSet<String> = wanted.difference(&applied).cloned().collect();
        Ok(self.topological(&pending))
    }

    /// The revisions `downgrade <target>` undoes, children first, given the
    /// heads the database is at.
    pub fn downgrade_plan(&self, current: &[String], target: &str) -> Result<Vec<&Node>, GraphError> {
        let applied = self.ancestors(current.iter().map(String::as_str));
        let keep: BTreeSet<String> = match target {
            "base" => BTreeSet::new(),
            relative if relative.starts_with('-') => {
                let steps = parse_steps(relative)?;
                self.ancestors(self.walk_down(current, relative, steps)?)
            }
            rev => {
                let node = self.resolve(rev)?;
                if !applied.contains(node.id()) {
                    return Err(GraphError::Relative {
                        target: rev.to_owned(),
                        reason: format!(
                            "is not applied, so there is nothing to downgrade to; `autogen upgrade {}` applies it",
                            node.id()
                        ),
                    });
                }
                self.ancestors([node.id()])
            }
        };
        let undo: BTreeSet<String> = applied.difference(&keep).cloned().collect();
        let mut order = self.topological(&undo);
        order.reverse();
        Ok(order)
    }

    /// `+N`: N single steps forward from the one head the database is at.
    fn walk_up(&self, current: &[String], target: &str, steps: usize) -> Result<Option<&str>, GraphError> {
        let relative = |reason: String| GraphError::Relative {
            target: target.to_owned(),
            reason,
        };
        let mut at: Option<&Node> = match current {
            [] => None,
            [one] => Some(self.get(one).ok_or_else(|| GraphError::Unknown(one.clone()))?),
            many => return Err(relative(at_several_heads(many))),
        };
        for _ in 0..steps {
            let next: Vec<&Node> = match at {
                None => self.nodes_without_parents(),
                Some(node) => node.children.iter().filter_map(|c| self.get(c)).collect(),
            };
            at = match next.as_slice() {
                [one] => Some(one),
                [] => {
                    return Err(relative(
                        "goes past the head; `autogen upgrade head` is as far as it goes".into(),
                    ))
                }
                many => {
                    let ids: Vec<&str> = many.iter().map(|n| n.id()).collect();
                    return Err(relative(format!(
                        "crosses a branch point ({}); name the revision to upgrade to",
                        ids.join(", ")
                    )));
                }
            };
        }
        Ok(at.map(Node::id))
    }

    /// `-N`: N single steps back from the one head the database is at.
    /// `None` is base.
    fn walk_down(&self, current: &[String], target: &str, steps: usize) -> Result<Option<&str>, GraphError> {
        let relative = |reason: String| GraphError::Relative {
            target: target.to_owned(),
            reason,
        };
        let mut at: Option<&Node> = match current {
            [] => return Err(relative("goes below base: nothing is applied".into())),
            [one] => Some(self.get(one).ok_or_else(|| GraphError::Unknown(one.clone()))?),
            many => return Err(relative(at_several_heads(many))),
        };
        for taken in 0..steps {
            let node = at.ok_or_else(|| {
                relative(format!(
                    "goes below base: only {taken} revision(s) are applied; `autogen downgrade base` undoes them all"
                ))
            })?;
            at = match node.parents.as_slice() {
                [] => None,
                [one] => self.get(one),
                many => {
                    return Err(relative(format!(
                        "crosses the merge point {} (parents {}); name the revision to downgrade to",
                        node.id(),
                        many.join(", ")
                    )))
                }
            };
        }
        Ok(at.map(Node::id))
    }

    fn nodes_without_parents(&self) -> Vec<&Node> {
        self.newest_first()
            .into_iter()
            .rev()
            .filter(|n| n.parents.is_empty())
            .collect()
    }
}

fn at_several_heads(heads: &[String]) -> String {
    format!(
        "is ambiguous: the database is at several heads ({}); name a revision instead",
        heads.join(", ")
    )
}

fn parse_steps(target: &str) -> Result<usize, GraphError> {
    target[1..]
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| GraphError::Relative {
            target: target.to_owned(),
            reason: "needs a positive number of steps, e.g. +1 or -2".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::{Operations, Revision, RevisionModule};

    fn noop(_: &mut Operations) {}

    fn module(id: &'static str, down: &'static [&'static str]) -> RevisionModule {
        RevisionModule {
            revision: Revision {
                id,
                down_revision: down,
                branch_labels: &[],
                depends_on: &[],
                message: "m",
            },
            upgrade: noop,
            downgrade: noop,
            path: "src/versions/x.rs",
        }
    }

    /// a1 <- b2 <- c3 <- d4
    fn chain() -> Graph {
        Graph::new(&[
            module("c3cc", &["b2bb"]),
            module("a1aa", &[]),
            module("d4dd", &["c3cc"]),
            module("b2bb", &["a1aa"]),
        ])
        .unwrap()
    }

    fn ids(nodes: Vec<&Node>) -> Vec<&str> {
        nodes.into_iter().map(Node::id).collect()
    }

    fn at(id: &str) -> Vec<String> {
        vec![id.to_owned()]
    }

    #[test]
    fn upgrade_targets() {
        let g = chain();
        assert_eq!(
            ids(g.upgrade_plan(&[], "head").unwrap()),
            ["a1aa", "b2bb", "c3cc", "d4dd"]
        );
        assert_eq!(
            ids(g.upgrade_plan(&at("b2bb"), "head").unwrap()),
            ["c3cc", "d4dd"]
        );
        assert_eq!(ids(g.upgrade_plan(&[], "+1").unwrap()), ["a1aa"]);
        assert_eq!(ids(g.upgrade_plan(&at("a1aa"), "+2").unwrap()), ["b2bb", "c3cc"]);
        assert_eq!(ids(g.upgrade_plan(&at("a1aa"), "c3").unwrap()), ["b2bb", "c3cc"]);
        assert!(g.upgrade_plan(&at("d4dd"), "head").unwrap().is_empty());
        assert!(g.upgrade_plan(&at("d4dd"), "b2bb").unwrap().is_empty());
    }

    #[test]
    fn downgrade_targets() {
        let g = chain();
        assert_eq!(ids(g.downgrade_plan(&at("d4dd"), "-1").unwrap()), ["d4dd"]);
        assert_eq!(
            ids(g.downgrade_plan(&at("d4dd"), "-2").unwrap()),
            ["d4dd", "c3cc"]
        );
        assert_eq!(
            ids(g.downgrade_plan(&at("c3cc"), "a1").unwrap()),
            ["c3cc", "b2bb"]
        );
        assert_eq!(
            ids(g.downgrade_plan(&at("b2bb"), "base").unwrap()),
            ["b2bb", "a1aa"]
        );
        assert_eq!(
            ids(g.downgrade_plan(&at("b2bb"), "-2").unwrap()),
            ["b2bb", "a1aa"]
        );
    }

    #[test]
    fn relative_targets_that_lead_nowhere_are_errors() {
        let g = chain();
        let err = g.downgrade_plan(&at("b2bb"), "-3").unwrap_err().to_string();
        assert_eq!(
            err,
            "relative target '-3' goes below base: only 2 revision(s) are applied; `autogen downgrade base` undoes them all"
        );
        assert!(g
            .upgrade_plan(&at("c3cc"), "+2")
            .unwrap_err()
            .to_string()
            .contains("goes past the head"));
        assert!(g.upgrade_plan(&[], "+0").is_err());
        assert!(g.upgrade_plan(&[], "+x").is_err());
        assert!(g
            .downgrade_plan(&at("b2bb"), "d4dd")
            .unwrap_err()
            .to_string()
            .contains("is not applied"));
    }

    #[test]
    fn prefixes_resolve_when_unique_and_list_candidates_when_not() {
        let g = Graph::new(&[module("abc1", &[]), module("abc2", &["abc1"])]).unwrap();
        assert_eq!(g.resolve("abc2").unwrap().id(), "abc2");
        assert_eq!(
            g.resolve("ab").unwrap_err().to_string(),
            "revision prefix 'ab' is ambiguous; it could be any of: abc1, abc2"
        );
        assert_eq!(
            g.resolve("zz").unwrap_err().to_string(),
            "no revision 'zz'; `autogen history` lists them"
        );
    }

    #[test]
    fn broken_graphs_are_named() {
        let dup = Graph::new(&[module("a", &[]), module("a", &[])]).unwrap_err();
        assert!(matches!(dup, GraphError::Duplicate { .. }));
        let missing = Graph::new(&[module("b", &["a"])]).unwrap_err();
        assert!(matches!(missing, GraphError::MissingParent { ref parent, .. } if parent == "a"));
        let cycle = Graph::new(&[module("r", &[]), module("a", &["b"]), module("b", &["a"])]).unwrap_err();
        assert_eq!(cycle, GraphError::Cycle(vec!["a".into(), "b".into(), "a".into()]));
    }

    #[test]
    fn branches_need_heads_or_a_name() {
        // a <- b, a <- c: two heads.
        let g = Graph::new(&[module("a", &[]), module("b", &["a"]), module("c", &["a"])]).unwrap();
        assert_eq!(
            g.upgrade_plan(&[], "head").unwrap_err().to_string(),
            "there are multiple heads (b, c); use `heads` or a specific target, or `autogen merge` them"
        );
        assert_eq!(ids(g.upgrade_plan(&[], "heads").unwrap()), ["a", "b", "c"]);
        assert!(g
            .upgrade_plan(&at("a"), "+1")
            .unwrap_err()
            .to_string()
            .contains("branch point"));
        let both = vec!["b".to_owned(), "c".to_owned()];
        assert_eq!(g.heads_of(&g.ancestors(both.iter().map(String::as_str))), both);
        assert_eq!(ids(g.downgrade_plan(&both, "a").unwrap()), ["c", "b"]);
    }
}

//! Targets resolved into the revisions to run.
//!
//! The grammar is Alembic's: `head`, `heads`, `base`, a revision id, a unique
//! prefix of one or a branch label; `+N` / `-N` relative to where the
//! database is; `<rev>+N` / `<rev>-N` relative to a revision; and
//! `<label>@head`, `<label>@base`, `<label>@+N`, `<label>@-N`, `<label>@<rev>`
//! within one branch.

use std::collections::BTreeSet;

use crate::graph::{Graph, GraphError, Node};

impl Graph {
    /// The revisions `upgrade <target>` applies, requirements first, given
    /// the heads the database is at.
    #[cfg(test)]
    fn upgrade_plan(&self, current: &[String], target: &str) -> Result<Vec<&Node>, GraphError> {
        let applied = self.ancestors(current.iter().map(String::as_str));
        let goal = self.upgrade_goal(current, target)?;
        Ok(self.topological(&goal.difference(&applied).cloned().collect()))
    }

    /// The revisions `downgrade <target>` undoes, dependents first, given
    /// the heads the database is at.
    #[cfg(test)]
    fn downgrade_plan(&self, current: &[String], target: &str) -> Result<Vec<&Node>, GraphError> {
        let applied = self.ancestors(current.iter().map(String::as_str));
        let keep = self.downgrade_goal(current, target)?;
        let mut order = self.topological(&applied.difference(&keep).cloned().collect());
        order.reverse();
        Ok(order)
    }

    /// Every revision that is applied once `upgrade <target>` is done.
    pub(crate) fn upgrade_goal(
        &self,
        current: &[String],
        target: &str,
    ) -> Result<BTreeSet<String>, GraphError> {
        let mut goal = self.ancestors(current.iter().map(String::as_str));
        match target {
            "heads" => goal.extend(self.ancestors(self.heads().into_iter().map(Node::id))),
            spec => {
                if let Some(node) = self.resolve_target(current, spec)? {
                    goal.extend(self.ancestors([node.id()]));
                }
            }
        }
        Ok(goal)
    }

    /// Every revision still applied once `downgrade <target>` is done: what
    /// is applied, less the revisions after the target (and what depends on them).
    pub(crate) fn downgrade_goal(
        &self,
        current: &[String],
        target: &str,
    ) -> Result<BTreeSet<String>, GraphError> {
        let applied = self.ancestors(current.iter().map(String::as_str));
        let undo = match target.strip_suffix("@base") {
            // One branch down to nothing, the others untouched.
            Some(label) => {
                let root = self
                    .labelled(label)
                    .ok_or_else(|| GraphError::Unknown(target.to_owned()))?;
                self.dependents(&BTreeSet::from([root.id().to_owned()]))
            }
            None => match self.resolve_target(current, target)? {
                None => applied.clone(),
                Some(node) => {
                    if !applied.contains(node.id()) {
                        return Err(GraphError::Relative {
                            target: target.to_owned(),
                            reason: format!(
                                "is not applied, so there is nothing to downgrade to; `autogen upgrade {}` applies it",
                                node.id()
                            ),
                        });
                    }
                    let mut after = self.dependents(&BTreeSet::from([node.id().to_owned()]));
                    after.remove(node.id());
                    after
                }
            },
        };
        Ok(applied.difference(&undo).cloned().collect())
    }

    /// The revision a target names (`None` is base), resolving relative
    /// forms against the heads the database is at.
    pub fn resolve_target(&self, current: &[String], target: &str) -> Result<Option<&Node>, GraphError> {
        match target {
            "base" => return Ok(None),
            "head" => return self.head(),
            _ => {}
        }
        if let Some((label, rest)) = target.split_once('@') {
            let branch = self.branch(label)?;
            return match rest {
                "head" => {
                    let heads: Vec<&Node> = self
                        .heads()
                        .into_iter()
                        .filter(|n| branch.contains(n.id()))
                        .collect();
                    match heads.as_slice() {
                        [one] => Ok(Some(one)),
                        many => Err(GraphError::BranchHeads {
                            label: label.to_owned(),
                            heads: many.iter().map(|n| n.id().to_owned()).collect(),
                        }),
                    }
                }
                relative if relative.starts_with(['+', '-']) => {
                    let steps = parse_steps(target, relative)?;
                    let on_branch: Vec<String> = current
                        .iter()
                        .filter(|id| branch.contains(id.as_str()))
                        .cloned()
                        .collect();
                    let start = match on_branch.as_slice() {
                        [] => None,
                        [one] => self.get(one),
                        many => return Err(several_heads(target, many)),
                    };
                    let first = self
                        .labelled(label)
                        .map(|n| n.parents.as_slice())
                        .unwrap_or_default();
                    // Nothing of the branch applied: its first step is the labelled revision,
                    // taken from the revision it grows from.
                    let start = match (start, first) {
                        (Some(node), _) => Some(node),
                        (None, [parent]) => self.get(parent),
                        (None, _) => None,
                    };
                    self.walk(target, start, steps, Some(&branch))
                }
                rev => Ok(Some(self.resolve(rev)?)),
            };
        }
        if target.starts_with(['+', '-']) {
            let steps = parse_steps(target, target)?;
            let start = match current {
                [] => None,
                [one] => Some(self.get(one).ok_or_else(|| GraphError::Unknown(one.clone()))?),
                many => return Err(several_heads(target, many)),
            };
            return self.walk(target, start, steps, None);
        }
        match self.resolve(target) {
            Ok(node) => Ok(Some(node)),
            Err(unknown) => {
                // `<rev>+N` / `<rev>-N`, unless the whole text was a name.
                let Some(at) = target.rfind(['+', '-']).filter(|at| *at > 0) else {
                    return Err(unknown);
                };
                let (base, relative) = target.split_at(at);
                if !relative[1..].chars().all(|c| c.is_ascii_digit()) {
                    return Err(unknown);
                }
                let steps = parse_steps(target, relative)?;
                let start = self.resolve_target(current, base)?;
                self.walk(target, start, steps, None)
            }
        }
    }

    /// `steps` single steps from `start` (`None` is base): forward through
    /// children when positive, back through parents when negative, staying
    /// within `branch` if given.
    fn walk<'g>(
        &'g self,
        target: &str,
        start: Option<&'g Node>,
        steps: i64,
        branch: Option<&BTreeSet<String>>,
    ) -> Result<Option<&'g Node>, GraphError> {
        let relative = |reason: String| GraphError::Relative {
            target: target.to_owned(),
            reason,
        };
        let in_branch = |id: &str| branch.is_none_or(|b| b.contains(id));
        let mut at = start;
        for taken in 0..steps.unsigned_abs() {
            if steps > 0 {
                let next: Vec<&Node> = match at {
                    None => self.roots(),
                    Some(node) => node.children.iter().filter_map(|c| self.get(c)).collect(),
                }
                .into_iter()
                .filter(|n| in_branch(n.id()))
                .collect();
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
                            "crosses a branch point ({}); name the revision or the branch (`<label>@+1`)",
                            ids.join(", ")
                        )));
                    }
                };
            } else {
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
        }
        Ok(at)
    }

    /// Revisions with no parent, in id order.
    fn roots(&self) -> Vec<&Node> {
        self.newest_first()
            .into_iter()
            .rev()
            .filter(|n| n.parents.is_empty())
            .collect()
    }
}

fn several_heads(target: &str, heads: &[String]) -> GraphError {
    GraphError::Relative {
        target: target.to_owned(),
        reason: format!(
            "is ambiguous: the database is at several heads ({}); name a revision or a branch (`<label>@+1`) instead",
            heads.join(", ")
        ),
    }
}

/// `+2` → 2, `-1` → -1. `target` is the whole text, for the message.
fn parse_steps(target: &str, relative: &str) -> Result<i64, GraphError> {
    relative
        .parse::<i64>()
        .ok()
        .filter(|n| *n != 0)
        .ok_or_else(|| GraphError::Relative {
            target: target.to_owned(),
            reason: "needs a non-zero number of steps, e.g. +1 or -2".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::RunOptions;
    use crate::revision::{Direction, Operations, Revision, RevisionModule};
    use autogen_schema::Dialect;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::{select, Index};
    use proptest::test_runner::contextualize_config;

    fn noop(_: &mut Operations) {}

    fn module(id: &'static str, down: &'static [&'static str]) -> RevisionModule {
        labelled(id, down, &[], &[])
    }

    fn labelled(
        id: &'static str,
        down: &'static [&'static str],
        branch_labels: &'static [&'static str],
        depends_on: &'static [&'static str],
    ) -> RevisionModule {
        RevisionModule {
            revision: Revision {
                id,
                down_revision: down,
                branch_labels,
                depends_on,
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
        // The version table stores ids as they are; a quote would break its SQL.
        for id in ["x'y", "x@y", "", "a-1"] {
            let invalid = Graph::new(&[module(id, &[])]).unwrap_err();
            assert!(
                matches!(invalid, GraphError::InvalidId { .. }),
                "{id:?}: {invalid}"
            );
        }
        assert_eq!(
            Graph::new(&[module("x'y", &[])]).unwrap_err().to_string(),
            "revision id \"x'y\" (src/versions/x.rs) must be letters, digits and underscores; fix id in its REVISION"
        );
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

    /// base <- a1 <- a2 (branch "app"), base <- s1 <- s2 (branch "shop", s2 depends on a1)
    fn branches() -> Graph {
        Graph::new(&[
            labelled("a1", &[], &["app"], &[]),
            module("a2", &["a1"]),
            labelled("s1", &[], &["shop"], &[]),
            labelled("s2", &["s1"], &[], &["app"]),
        ])
        .unwrap()
    }

    #[test]
    fn revisions_relative_to_a_revision() {
        let g = chain();
        assert_eq!(g.resolve_target(&[], "a1aa+2").unwrap().unwrap().id(), "c3cc");
        assert_eq!(g.resolve_target(&[], "d4-1").unwrap().unwrap().id(), "c3cc");
        assert_eq!(
            ids(g.upgrade_plan(&at("a1aa"), "b2+1").unwrap()),
            ["b2bb", "c3cc"]
        );
        assert!(g
            .resolve_target(&[], "head+1")
            .unwrap_err()
            .to_string()
            .contains("past the head"));
    }

    #[test]
    fn branch_labels_name_a_branch() {
        let g = branches();
        assert_eq!(ids(g.upgrade_plan(&[], "app@head").unwrap()), ["a1", "a2"]);
        assert_eq!(ids(g.upgrade_plan(&[], "shop").unwrap()), ["s1"]);
        assert_eq!(ids(g.upgrade_plan(&[], "shop@+1").unwrap()), ["s1"]);
        assert_eq!(ids(g.upgrade_plan(&at("a1"), "app@+1").unwrap()), ["a2"]);
        assert_eq!(
            g.resolve_target(&[], "nope@head").unwrap_err().to_string(),
            "no revision 'nope@'; `autogen history` lists them"
        );
    }

    #[test]
    fn dependencies_are_applied_first_and_undone_after() {
        let g = branches();
        // s2 depends on a1: upgrading the shop branch brings a1 along.
        assert_eq!(ids(g.upgrade_plan(&[], "shop@head").unwrap()), ["a1", "s1", "s2"]);
        let all = vec!["a2".to_owned(), "s2".to_owned()];
        assert_eq!(
            ids(g.upgrade_plan(&[], "heads").unwrap()),
            ["a1", "a2", "s1", "s2"]
        );
        // Undoing the app branch undoes s2, which depends on it; s1 stays.
        assert_eq!(
            ids(g.downgrade_plan(&all, "app@base").unwrap()),
            ["s2", "a2", "a1"]
        );
        // Downgrading one branch leaves the other alone.
        assert_eq!(ids(g.downgrade_plan(&all, "s1").unwrap()), ["s2"]);
        assert_eq!(ids(g.downgrade_plan(&all, "shop@-1").unwrap()), ["s2"]);
    }

    #[test]
    fn labels_and_dependencies_must_exist_once() {
        let dup = Graph::new(&[labelled("a", &[], &["x"], &[]), labelled("b", &[], &["x"], &[])]);
        assert!(matches!(dup, Err(GraphError::DuplicateLabel { .. })));
        let missing = Graph::new(&[labelled("a", &[], &[], &["zzz"])]).unwrap_err();
        assert!(missing.to_string().contains("depends on 'zzz'"), "{missing}");
    }

    // Fuzzing: whatever revision files declare and whatever target is
    // asked for, the answer is a plan or an error, never a panic, and a
    // plan runs each revision after what it requires.

    /// Revision ids, among them prefixes of one another and words the
    /// target grammar reads itself.
    const IDS: [&str; 8] = ["a1", "a1b2", "ab", "b", "c_3", "d4", "head", "base"];
    /// Branch labels, one of them also an id.
    const LABELS: [&str; 3] = ["app", "shop", "b"];
    /// What no id may be: the grammar's operators, nothing, not ASCII.
    const ODD: [&str; 6] = ["x@y", "1+2", "c-1", "+1", "", "é"];

    fn word() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            4 => select(IDS.to_vec()),
            2 => select(LABELS.to_vec()),
            1 => select(ODD.to_vec()),
            1 => select(vec!["a", "a1b", "heads"]),
        ]
    }

    /// Revision files declare `'static` slices; each case leaks its few.
    fn leaked(words: Vec<&'static str>) -> &'static [&'static str] {
        Box::leak(words.into_boxed_slice())
    }

    /// What up to six revision files declare: an id (the first one not
    /// taken from its pick on; rarely any word, even a taken one), parents
    /// among the revisions before it (rarely any word), now and then a
    /// branch label or a dependency on an earlier revision.
    fn declared() -> impl Strategy<Value = Vec<RevisionModule>> {
        let revision = (
            any::<Index>(),
            proptest::option::weighted(0.1, word()),
            vec(any::<Index>(), 0..=2),
            proptest::option::weighted(0.05, word()),
            proptest::option::weighted(0.15, select(LABELS.to_vec())),
            proptest::option::weighted(0.15, any::<Index>()),
        );
        vec(revision, 0..=6).prop_map(|revisions| {
            let mut ids: Vec<&'static str> = Vec::new();
            let mut modules = Vec::new();
            for (pick, odd, parents, stray, label, dependency) in revisions {
                let start = pick.index(IDS.len());
                let free = (0..IDS.len())
                    .map(|i| IDS[(start + i) % IDS.len()])
                    .find(|id| !ids.contains(id));
                let Some(id) = odd.or(free) else { break };
                let earlier = |pick: &Index| (!ids.is_empty()).then(|| *pick.get(&ids));
                let mut down: Vec<&'static str> = parents.iter().filter_map(earlier).collect();
                down.extend(stray);
                let depends_on = dependency.as_ref().and_then(earlier);
                let labels = leaked(label.into_iter().collect());
                modules.push(labelled(
                    id,
                    leaked(down),
                    labels,
                    leaked(depends_on.into_iter().collect()),
                ));
                ids.push(id);
            }
            modules
        })
    }

    /// A target as a user types it: free text, or built from the grammar.
    fn target() -> impl Strategy<Value = String> {
        let word = || word().prop_map(str::to_owned);
        let steps = || prop_oneof![4 => -3i64..=3, 1 => any::<i64>()].prop_map(|n| format!("{n:+}"));
        let end = || prop_oneof![word(), steps()];
        prop_oneof![
            1 => any::<String>(),
            4 => end(),
            2 => (word(), end()).prop_map(|(label, end)| format!("{label}@{end}")),
            2 => (word(), steps()).prop_map(|(revision, steps)| format!("{revision}{steps}")),
            1 => (end(), end()).prop_map(|(from, to)| format!("{from}:{to}")),
        ]
    }

    proptest! {
        #![proptest_config(contextualize_config(ProptestConfig::with_cases(4000)))]

        #[test]
        fn any_history_and_target_plans_in_order_or_says_why(
            modules in declared(),
            applied in vec(any::<Index>(), 0..=2),
            targets in vec(target(), 1..=4),
        ) {
            let graph = match Graph::new(&modules) {
                Ok(graph) => graph,
                Err(e) => {
                    prop_assert!(!e.to_string().is_empty());
                    return Ok(());
                }
            };
            let ids: Vec<&str> = modules.iter().map(|m| m.revision.id).collect();
            let picked = match ids.as_slice() {
                [] => Vec::new(),
                ids => applied.iter().map(|i| *i.get(ids)).collect(),
            };
            let current = graph.heads_of(&graph.ancestors(picked));
            let applied = graph.ancestors(current.iter().map(String::as_str));
            for target in &targets {
                if let Ok(plan) = graph.upgrade_plan(&current, target) {
                    let mut done = applied.clone();
                    for node in plan {
                        let ready = node.parents.iter().chain(&node.depends_on).all(|r| done.contains(r));
                        prop_assert!(ready, "{} before what it requires", node.id());
                        prop_assert!(done.insert(node.id().to_owned()), "{} twice", node.id());
                    }
                }
                if let Ok(plan) = graph.downgrade_plan(&current, target) {
                    let mut left = applied.clone();
                    for node in plan {
                        prop_assert!(left.remove(node.id()), "{} is not applied", node.id());
                        let needed = left.iter().filter_map(|id| graph.get(id)).any(|n| {
                            n.parents.iter().chain(&n.depends_on).any(|r| r == node.id())
                        });
                        prop_assert!(!needed, "{} undone before what requires it", node.id());
                    }
                }
                // An answer or an error: a panic fails the case.
                let _ = graph.resolve_target(&current, target);
                for direction in [Direction::Up, Direction::Down] {
                    let _ = crate::script::script(&graph, Dialect::Sqlite, direction, target, RunOptions::default());
                }
            }
        }
    }
}

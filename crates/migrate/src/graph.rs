//! The revision graph: revisions linked by `down_revision`, with heads,
//! bases, and the upgrade and downgrade paths between states.
//!
//! The graph is a DAG, not a list: a revision may have several parents (a
//! merge) and several children (a branch point). A database's state is the
//! set of revisions applied, recorded as that set's heads.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::revision::RevisionModule;

/// A revision-graph problem, named the way Alembic names it, with the way out.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum GraphError {
    /// A revision id that is not letters, digits and underscores: the
    /// version table stores ids as they are, and targets give `@`, `+`,
    /// `-` and `:` a meaning of their own.
    #[error("revision id {id:?} ({path}) must be letters, digits and underscores; fix id in its REVISION")]
    InvalidId {
        /// The id.
        id: String,
        /// Its file.
        path: String,
    },
    /// Two files declare the same revision id.
    #[error("revision '{id}' is declared twice: in {first} and in {second}; give one of them a new id")]
    Duplicate {
        /// The id.
        id: String,
        /// The first file.
        first: String,
        /// The second file.
        second: String,
    },
    /// A revision names a parent that no file declares.
    #[error("revision '{id}' ({path}) revises '{parent}', which no revision file declares; restore that file or fix down_revision")]
    MissingParent {
        /// The revision.
        id: String,
        /// Its file.
        path: String,
        /// The missing parent.
        parent: String,
    },
    /// A revision depends on one that no file declares.
    #[error("revision '{id}' ({path}) depends on '{dependency}', which no revision or branch label names; fix depends_on")]
    MissingDependency {
        /// The revision.
        id: String,
        /// Its file.
        path: String,
        /// The missing dependency.
        dependency: String,
    },
    /// Two revisions carry the same branch label.
    #[error("branch label '{label}' is on both {first} and {second}; a label names one branch")]
    DuplicateLabel {
        /// The label.
        label: String,
        /// One revision.
        first: String,
        /// The other.
        second: String,
    },
    /// Following `down_revision` comes back to where it started.
    #[error("revisions form a cycle: {}; fix down_revision in one of them", .0.join(" -> "))]
    Cycle(Vec<String>),
    /// No revision matches.
    #[error("no revision '{0}'; `autogen history` lists them")]
    Unknown(String),
    /// A prefix matches several revisions.
    #[error("revision prefix '{prefix}' is ambiguous; it could be any of: {}", .candidates.join(", "))]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// Every match.
        candidates: Vec<String>,
    },
    /// `head` was asked for, but the graph has several.
    #[error("there are multiple heads ({}); use `heads` or a specific target, or `autogen merge` them", .0.join(", "))]
    MultipleHeads(Vec<String>),
    /// A branch has several heads where one was asked for.
    #[error("branch '{label}' has multiple heads ({}); name one of them", .heads.join(", "))]
    BranchHeads {
        /// The label.
        label: String,
        /// Its heads.
        heads: Vec<String>,
    },
    /// A relative target does not lead anywhere unique.
    #[error("relative target '{target}' {reason}")]
    Relative {
        /// The target given, e.g. `+2`.
        target: String,
        /// Why it cannot be followed.
        reason: String,
    },
}

/// One revision in the graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// The compiled revision.
    pub module: RevisionModule,
    /// Parents: `down_revision`.
    pub parents: Vec<String>,
    /// Revisions that must be applied first without being parents (`depends_on`, labels resolved).
    pub depends_on: Vec<String>,
    /// Children: revisions whose `down_revision` names this one.
    pub children: Vec<String>,
}

impl Node {
    /// Revision id.
    pub fn id(&self) -> &'static str {
        self.module.revision.id
    }

    /// Revision message.
    pub fn message(&self) -> &'static str {
        self.module.revision.message
    }

    /// Branch labels declared on this revision.
    pub fn branch_labels(&self) -> &'static [&'static str] {
        self.module.revision.branch_labels
    }

    /// What must be applied before this revision: parents and dependencies.
    fn requires(&self) -> impl Iterator<Item = &String> {
        self.parents.iter().chain(&self.depends_on)
    }
}

/// Every revision of a migration crate, linked.
#[derive(Clone, Debug)]
pub struct Graph {
    nodes: BTreeMap<String, Node>,
    /// Branch label → the revision that declares it.
    labels: BTreeMap<String, String>,
}

impl Graph {
    /// Links `modules` by `down_revision` and checks that they form a DAG.
    pub fn new(modules: &[RevisionModule]) -> Result<Self, GraphError> {
        let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
        for module in modules {
            let id = module.revision.id.to_owned();
            if !is_revision_id(&id) {
                return Err(GraphError::InvalidId {
                    id,
                    path: module.path.to_owned(),
                });
            }
            if let Some(existing) = nodes.get(&id) {
                let (first, second) = sorted_pair(existing.module.path, module.path);
                return Err(GraphError::Duplicate { id, first, second });
            }
            let parents = module
                .revision
                .down_revision
                .iter()
                .map(|p| p.to_string())
                .collect();
            nodes.insert(
                id,
                Node {
                    module: *module,
                    parents,
                    depends_on: Vec::new(),
                    children: Vec::new(),
                },
            );
        }
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        for node in nodes.values() {
            for label in node.branch_labels() {
                if let Some(first) = labels.insert(label.to_string(), node.id().to_owned()) {
                    return Err(GraphError::DuplicateLabel {
                        label: label.to_string(),
                        first,
                        second: node.id().to_owned(),
                    });
                }
            }
        }
        let ids: Vec<String> = nodes.keys().cloned().collect();
        for id in ids {
            let node = &nodes[&id];
            let mut resolved = Vec::new();
            for dependency in node.module.revision.depends_on {
                let target = if nodes.contains_key(*dependency) {
                    dependency.to_string()
                } else if let Some(labelled) = labels.get(*dependency) {
                    labelled.clone()
                } else {
                    return Err(GraphError::MissingDependency {
                        path: node.module.path.to_owned(),
                        id,
                        dependency: dependency.to_string(),
                    });
                };
                resolved.push(target);
            }
            nodes.get_mut(&id).expect("id is a key").depends_on = resolved;
        }
        let links: Vec<(String, String)> = nodes
            .values()
            .flat_map(|n| n.parents.iter().map(|p| (p.clone(), n.id().to_owned())))
            .collect();
        for (parent, child) in links {
            match nodes.get_mut(&parent) {
                Some(p) => p.children.push(child),
                None => {
                    return Err(GraphError::MissingParent {
                        path: nodes[&child].module.path.to_owned(),
                        id: child,
                        parent,
                    })
                }
            }
        }
        let graph = Self { nodes, labels };
        graph.check_acyclic()?;
        Ok(graph)
    }

    /// The revision `id`, exactly.
    pub fn get(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// Revisions nothing revises, by id.
    pub fn heads(&self) -> Vec<&Node> {
        self.nodes.values().filter(|n| n.children.is_empty()).collect()
    }

    /// The single head, or the multiple-heads error.
    pub fn head(&self) -> Result<Option<&Node>, GraphError> {
        match self.heads().as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            many => Err(GraphError::MultipleHeads(
                many.iter().map(|n| n.id().to_owned()).collect(),
            )),
        }
    }

    /// The revision that declares a branch label.
    pub fn labelled(&self, label: &str) -> Option<&Node> {
        self.labels.get(label).and_then(|id| self.nodes.get(id))
    }

    /// Every revision of the branch a label names: the labelled revision and its descendants.
    pub(crate) fn branch(&self, label: &str) -> Result<BTreeSet<String>, GraphError> {
        let start = self
            .labelled(label)
            .ok_or_else(|| GraphError::Unknown(format!("{label}@")))?;
        Ok(self.descendants(start.id()))
    }

    /// `id` and every revision that follows it through children, transitively.
    pub fn descendants(&self, id: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![id.to_owned()];
        while let Some(id) = stack.pop() {
            if let Some(node) = self.nodes.get(&id) {
                if seen.insert(id) {
                    stack.extend(node.children.iter().cloned());
                }
            }
        }
        seen
    }

    /// The revision a full id, a branch label or a unique id prefix names.
    pub(crate) fn resolve(&self, rev: &str) -> Result<&Node, GraphError> {
        if let Some(node) = self.nodes.get(rev).or_else(|| self.labelled(rev)) {
            return Ok(node);
        }
        let candidates: Vec<&Node> = self.nodes.values().filter(|n| n.id().starts_with(rev)).collect();
        match candidates.as_slice() {
            [] => Err(GraphError::Unknown(rev.to_owned())),
            [one] => Ok(one),
            many => Err(GraphError::Ambiguous {
                prefix: rev.to_owned(),
                candidates: many.iter().map(|n| n.id().to_owned()).collect(),
            }),
        }
    }

    /// `ids` and everything they require (parents and dependencies), transitively.
    pub fn ancestors<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<String> = ids.into_iter().map(str::to_owned).collect();
        while let Some(id) = stack.pop() {
            if let Some(node) = self.nodes.get(&id) {
                if seen.insert(id) {
                    stack.extend(node.requires().cloned());
                }
            }
        }
        seen
    }

    /// Every revision that requires one of `ids` (through children or
    /// dependencies), transitively, `ids` included.
    pub(crate) fn dependents(&self, ids: &BTreeSet<String>) -> BTreeSet<String> {
        let mut seen = ids.clone();
        loop {
            let more: Vec<String> = self
                .nodes
                .values()
                .filter(|n| !seen.contains(n.id()) && n.requires().any(|r| seen.contains(r)))
                .map(|n| n.id().to_owned())
                .collect();
            if more.is_empty() {
                return seen;
            }
            seen.extend(more);
        }
    }

    /// The revisions of `set` with parents before children; ties go by id so
    /// every run applies them in the same order.
    pub fn topological(&self, set: &BTreeSet<String>) -> Vec<&Node> {
        let mut remaining: BTreeMap<&str, usize> = set
            .iter()
            .map(|id| {
                let in_set = self.nodes[id].requires().filter(|p| set.contains(*p)).count();
                (id.as_str(), in_set)
            })
            .collect();
        let mut ordered = Vec::with_capacity(set.len());
        while let Some(id) = remaining.iter().find(|(_, n)| **n == 0).map(|(id, _)| *id) {
            remaining.remove(id);
            let node = &self.nodes[id];
            for (other, n) in remaining.iter_mut() {
                *n -= self.nodes[*other].requires().filter(|r| *r == id).count();
            }
            ordered.push(node);
        }
        ordered
    }

    /// Every revision, newest first: the order of `autogen history`.
    pub fn newest_first(&self) -> Vec<&Node> {
        let all: BTreeSet<String> = self.nodes.keys().cloned().collect();
        let mut order = self.topological(&all);
        order.reverse();
        order
    }

    /// The heads of `applied`: its revisions that no other applied revision revises.
    pub(crate) fn heads_of(&self, applied: &BTreeSet<String>) -> Vec<String> {
        applied
            .iter()
            .filter(|id| !self.nodes[*id].children.iter().any(|c| applied.contains(c)))
            .cloned()
            .collect()
    }

    fn check_acyclic(&self) -> Result<(), GraphError> {
        let all: BTreeSet<String> = self.nodes.keys().cloned().collect();
        if self.topological(&all).len() == all.len() {
            return Ok(());
        }
        // Walk parents from any node left over until one repeats: that loop is the cycle.
        let ordered: BTreeSet<&str> = self.topological(&all).iter().map(|n| n.id()).collect();
        let start = self
            .nodes
            .keys()
            .find(|id| !ordered.contains(id.as_str()))
            .expect("a node is left");
        let mut path = vec![start.clone()];
        loop {
            let current = &self.nodes[path.last().expect("path is not empty")];
            let next = current
                .requires()
                .find(|p| !ordered.contains(p.as_str()))
                .expect("a node in a cycle has a parent in it");
            if let Some(at) = path.iter().position(|id| id == next) {
                let mut cycle = path[at..].to_vec();
                cycle.push(next.clone());
                return Err(GraphError::Cycle(cycle));
            }
            path.push(next.clone());
        }
    }
}

/// Whether `id` can be a revision id: letters, digits and underscores, at least one.
pub fn is_revision_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn sorted_pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

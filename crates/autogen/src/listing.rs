//! How revisions are listed (`history`, `heads`, `branches`, `show`,
//! `current --verbose`), in Alembic's formats:
//!
//! ```text
//! 1975ea83b712 -> ae1027a6acf5 (shop) (head), add a column
//! ```

use std::collections::BTreeSet;

use autogen_migrate::{Graph, Node};

/// Which revisions to mark ` (current)`, for `history --indicate-current`.
pub type Current<'a> = Option<&'a BTreeSet<String>>;

/// One line: `<parents> -> <id> (<labels>) (head) (branchpoint) (mergepoint) (current), <message>`.
pub fn line(node: &Node, current: Current) -> String {
    format!(
        "{} -> {}, {}",
        parents(node),
        marked_id(node, current),
        node.message()
    )
}

/// `<id> (<labels>) (head) …`: the id with its labels and marks.
pub fn marked_id(node: &Node, current: Current) -> String {
    let mut out = node.id().to_owned();
    for label in node.branch_labels() {
        out.push_str(&format!(" ({label})"));
    }
    if node.children.is_empty() {
        out.push_str(" (head)");
    }
    if node.children.len() > 1 {
        out.push_str(" (branchpoint)");
    }
    if node.parents.len() > 1 {
        out.push_str(" (mergepoint)");
    }
    if current.is_some_and(|c| c.contains(node.id())) {
        out.push_str(" (current)");
    }
    out
}

fn parents(node: &Node) -> String {
    match node.parents.as_slice() {
        [] => "<base>".to_owned(),
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    }
}

/// The verbose block of `show`, `history --verbose` and friends: the
/// revision's links, its file, and its file's header comment, indented.
pub fn verbose(node: &Node, current: Current) -> String {
    let mut out = format!("Rev: {}\n", marked_id(node, current));
    match node.parents.as_slice() {
        [] => out.push_str("Parent: <base>\n"),
        [one] => out.push_str(&format!("Parent: {one}\n")),
        many => out.push_str(&format!("Merges: {}\n", many.join(", "))),
    }
    if !node.depends_on.is_empty() {
        out.push_str(&format!("Also depends on: {}\n", node.depends_on.join(", ")));
    }
    if node.children.len() > 1 {
        out.push_str(&format!("Branches into: {}\n", node.children.join(", ")));
    }
    let labels = node.branch_labels();
    if !labels.is_empty() {
        out.push_str(&format!("Branch names: {}\n", labels.join(", ")));
    }
    out.push_str(&format!("Path: {}\n\n", node.module.path));
    for line in header_comment(node) {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}

/// The `//!` lines that open the revision's file; if the file cannot be read
/// (a binary run away from its sources), what the `REVISION` constant says.
fn header_comment(node: &Node) -> Vec<String> {
    match std::fs::read_to_string(node.module.path) {
        Ok(text) => text
            .lines()
            .map_while(|l| l.strip_prefix("//!"))
            .map(|l| l.strip_prefix(' ').unwrap_or(l).to_owned())
            .collect(),
        Err(_) => vec![
            node.message().to_owned(),
            String::new(),
            format!("Revision ID: {}", node.id()),
            format!("Revises: {}", parents(node)),
        ],
    }
}

/// `branches`: each branch point, then one line per branch it starts.
pub fn branches(graph: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for node in graph
        .newest_first()
        .into_iter()
        .rev()
        .filter(|n| n.children.len() > 1)
    {
        out.push(line(node, None));
        let indent = " ".repeat(node.id().len());
        for child in node.children.iter().filter_map(|c| graph.get(c)) {
            out.push(format!(
                "{indent} -> {}, {}",
                marked_id(child, None),
                child.message()
            ));
        }
    }
    out
}

//! Prepares docs/programmatic.md for `cargo test` to compile its Rust
//! snippets as doctests (`src/lib.rs` includes the result under
//! `cfg(doctest)`), so the page cannot drift from the API.
//!
//! A snippet shows only what a reader needs. The code around it that makes
//! it compile sits in an HTML comment just before it, which the page does not
//! render: `<!-- doctest` … `-->`, with the line `SNIPPET` where the snippet
//! goes. Here that code becomes rustdoc's hidden (`# `) lines. Every snippet
//! is compiled and none is run (`no_run`): they connect to databases.

use std::path::Path;

fn main() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/programmatic.md");
    println!("cargo:rerun-if-changed={}", page.display());
    // A packaged crate has no docs/ beside it, and nothing to test.
    let text = std::fs::read_to_string(&page).unwrap_or_default();
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("programmatic.md");
    std::fs::write(out, doctests(&text)).expect("OUT_DIR is writable");
}

/// `text` with each ```rust block marked `no_run` and wrapped in the
/// hidden code of the `<!-- doctest` comment before it.
fn doctests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    let mut around: Vec<&str> = Vec::new();
    while let Some(line) = lines.next() {
        if line.trim() == "<!-- doctest" {
            around = lines.by_ref().take_while(|l| l.trim() != "-->").collect();
            continue;
        }
        if line.trim() != "```rust" {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let snippet: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        out.push_str("```rust,no_run\n");
        let hidden = std::mem::take(&mut around);
        for line in if hidden.is_empty() {
            vec!["SNIPPET"]
        } else {
            hidden
        } {
            if line.trim() == "SNIPPET" {
                snippet.iter().for_each(|l| out.push_str(&format!("{l}\n")));
            } else {
                out.push_str(&format!("# {line}\n"));
            }
        }
        out.push_str("```\n");
    }
    out
}

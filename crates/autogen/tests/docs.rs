//! The user documentation in `docs/` shows only commands the CLI accepts:
//! every `autogen …` line in a ```sh or ```console block (in a console
//! block, the `$ autogen …` lines) parses, every subcommand is shown at
//! least once, and every relative link between the documents resolves.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use autogen::cli::Cli;
use clap::{CommandFactory as _, Parser as _};
use markdown::{code_blocks, console_examples};

/// Code blocks and console examples.
mod markdown;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `docs/*.md` file, by name.
fn documents() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(repo().join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "docs/ has no .md file");
    files
}

/// The command lines of `text`'s ```sh and ```console blocks, with their
/// line numbers: in a console block only the `$ ` lines, without the `$ `.
fn shell_lines(text: &str) -> Vec<(usize, String)> {
    let sh = code_blocks(text)
        .into_iter()
        .filter(|block| block.info == "sh")
        .flat_map(|block| block.lines)
        .map(|(number, line)| (number, line.trim().to_owned()));
    let console = console_examples(text)
        .into_iter()
        .map(|example| (example.line, example.command));
    sh.chain(console).collect()
}

/// The words of an `autogen …` command line, leading `NAME=value`
/// environment assignments left out; `None` for any other command.
fn autogen_words(line: &str) -> Option<Vec<String>> {
    let words = shlex::split(line).unwrap_or_else(|| panic!("{line:?} does not split into shell words"));
    let start = words.iter().position(|w| !is_assignment(w))?;
    (words[start] == "autogen").then(|| words[start..].to_vec())
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

#[test]
fn every_documented_command_parses_and_every_subcommand_is_documented() {
    let mut shown = BTreeSet::new();
    let mut count = 0;
    for file in documents() {
        let text = fs::read_to_string(&file).unwrap();
        for (number, line) in shell_lines(&text) {
            let Some(words) = autogen_words(&line) else {
                continue;
            };
            count += 1;
            let place = format!("{}:{number}", file.display());
            if let Err(e) = Cli::try_parse_from(&words) {
                use clap::error::ErrorKind;
                if !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                    panic!("{place}: `{line}` does not parse:\n{e}");
                }
            }
            if let Ok(matches) = Cli::command().try_get_matches_from(&words) {
                shown.extend(matches.subcommand_name().map(str::to_owned));
            } else if let Some(name) = words.get(1).filter(|w| !w.starts_with('-')) {
                // `autogen <command> --help`
                shown.insert(name.clone());
            }
        }
    }
    assert!(count > 0, "no `autogen` command in docs/");
    let missing: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .filter(|name| name != "help" && !shown.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "no ```sh or ```console example in docs/ runs these subcommands: {missing:?}"
    );
}

/// The targets of `text`'s Markdown links, `[text](target)`.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        targets.push(after[..end].trim().to_owned());
        rest = &after[end..];
    }
    targets
}

/// The anchors a Markdown file's headings get, as GitHub renders them:
/// lower case, punctuation but `-` and `_` dropped, spaces as `-`.
fn heading_anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    text.lines()
        .filter(|line| {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            !in_code
        })
        .filter_map(|line| {
            line.trim_start_matches('#')
                .strip_prefix(' ')
                .filter(|_| line.starts_with('#'))
        })
        .map(|heading| {
            heading
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut files = documents();
    files.push(repo().join("README.md"));
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let dir = file.parent().unwrap();
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let linked = if path.is_empty() {
                file.clone()
            } else {
                dir.join(path)
            };
            assert!(
                linked.exists(),
                "{} links to {target}, which does not exist",
                file.display()
            );
            if !anchor.is_empty() && linked.extension().is_some_and(|e| e == "md") {
                let anchors = heading_anchors(&fs::read_to_string(&linked).unwrap());
                assert!(
                    anchors.iter().any(|a| a == anchor),
                    "{} links to {target}, but no heading there makes #{anchor}: {anchors:?}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn the_readme_links_to_the_docs() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    for file in documents() {
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(
            readme.contains(&format!("(docs/{name})")),
            "README.md does not link to docs/{name}"
        );
    }
}

//! Post-write hooks (Alembic's `[post_write_hooks]`): commands run on each
//! revision file `revision` and `merge` write, rustfmt unless `autogen.toml`
//! says otherwise (`post_write_hooks = [...]`, `[]` for none).
//!
//! A hook is one command line, split into words as a shell would split its
//! quotes but run without a shell, so a path with spaces stays one argument
//! and the same line works on every platform. `{path}` is the new file.

use std::fmt;
use std::path::Path;
use std::process::Command;

/// The hook run when autogen.toml names none: what `cargo fmt` would do to the file.
pub const DEFAULT_POST_WRITE_HOOK: &str = "rustfmt --edition 2021 {path}";

/// What stands for the new file in a hook's command line.
const PATH_PLACEHOLDER: &str = "{path}";

/// One command run on a new revision file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostWriteHook {
    /// As written in autogen.toml, to name it in messages.
    line: String,
    /// The program and its arguments.
    words: Vec<String>,
}

impl PostWriteHook {
    /// Reads a hook's command line; the error says what is wrong with it.
    pub fn parse(line: &str) -> Result<Self, String> {
        let words = split_words(line)?;
        if words.is_empty() {
            return Err("is empty; give a command such as \"rustfmt --edition 2021 {path}\"".to_owned());
        }
        Ok(Self {
            line: line.to_owned(),
            words,
        })
    }

    /// Runs the hook on `file` from `dir`; the error says why it failed.
    pub fn run(&self, file: &Path, dir: &Path) -> Result<(), String> {
        let file = file.to_string_lossy();
        let mut words = self.words.iter().map(|w| w.replace(PATH_PLACEHOLDER, &file));
        let program = words.next().expect("a hook has a program");
        let output = Command::new(&program)
            .args(words)
            .current_dir(dir)
            .output()
            .map_err(|e| format!("cannot run `{program}`: {e}"))?;
        if output.status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&output.stderr);
        let said = said.trim();
        Err(if said.is_empty() {
            format!("it exited with {}", output.status)
        } else {
            format!("it exited with {}: {said}", output.status)
        })
    }
}

impl fmt::Display for PostWriteHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

/// The default hooks: [`DEFAULT_POST_WRITE_HOOK`].
pub fn default_hooks() -> Vec<PostWriteHook> {
    vec![PostWriteHook::parse(DEFAULT_POST_WRITE_HOOK).expect("the default hook parses")]
}

/// Splits a command line into words as a POSIX shell splits quotes and
/// backslashes (no variables, globs or redirections): `-m "add user bio"` is
/// two words.
pub(crate) fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let quoted = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => quoted.push(c),
                        None => return Err("has a ' with no closing '".to_owned()),
                    }
                }
            }
            '"' => {
                let quoted = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => quoted.push(c),
                            Some(c) => quoted.extend(['\\', c]),
                            None => return Err("has a \" with no closing \"".to_owned()),
                        },
                        Some(c) => quoted.push(c),
                        None => return Err("has a \" with no closing \"".to_owned()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err("ends with a lone \\".to_owned()),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_as_a_shell_splits_quotes() {
        let split = |line| split_words(line).unwrap();
        assert_eq!(
            split(r#"autogen revision -m "add user bio" --autogenerate"#),
            ["autogen", "revision", "-m", "add user bio", "--autogenerate"]
        );
        assert_eq!(
            split("a  'b c'd \"e\\\"f\" g\\ h ''"),
            ["a", "b cd", "e\"f", "g h", ""]
        );
        assert_eq!(split("  "), Vec::<String>::new());
        assert_eq!(split_words("say 'hi").unwrap_err(), "has a ' with no closing '");
        assert_eq!(
            split_words("say \"hi").unwrap_err(),
            "has a \" with no closing \""
        );
    }

    #[test]
    fn a_hook_runs_on_the_file_and_says_why_it_failed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new revision.rs");
        std::fs::write(&file, "").unwrap();
        let touch = PostWriteHook::parse("sh -c 'echo hooked > \"$1.done\"' sh {path}").unwrap();
        touch.run(&file, dir.path()).unwrap();
        assert!(dir.path().join("new revision.rs.done").is_file());

        let failing = PostWriteHook::parse("sh -c 'echo no good >&2; exit 3'").unwrap();
        assert_eq!(
            failing.run(&file, dir.path()).unwrap_err(),
            "it exited with exit status: 3: no good"
        );
        let missing = PostWriteHook::parse("no-such-formatter-here {path}").unwrap();
        let error = missing.run(&file, dir.path()).unwrap_err();
        assert!(
            error.starts_with("cannot run `no-such-formatter-here`: "),
            "{error}"
        );
        assert_eq!(
            PostWriteHook::parse(" ").unwrap_err(),
            "is empty; give a command such as \"rustfmt --edition 2021 {path}\""
        );
    }
}

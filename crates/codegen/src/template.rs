//! Revision templates: the text of a revision file with `{{placeholder}}`s
//! where the revision's parts go, as Alembic's `script.py.mako`.
//!
//! A placeholder whose value has several lines repeats what comes before it
//! on its line at the start of each of them, so `//! {{message}}` keeps a
//! long message in the doc comment and `    {{upgrades}}` indents every op.
//! A line that holds only placeholders with nothing in them (an empty
//! `downgrade`) is left out.

use std::fmt;

use thiserror::Error;

/// The template `autogen revision` uses unless `revision_template` names another.
pub(crate) const DEFAULT_TEMPLATE: &str = r#"//! {{message}}
//!
//! Revision ID: {{revision}}
//! Revises: {{down_revision}}
//! Create Date: {{create_date}}

use autogen::prelude::*;

{{revision_constant}}

pub fn upgrade(op: &mut Operations) {
    {{upgrades}}
}

pub fn downgrade(op: &mut Operations) {
    {{downgrades}}
}
"#;

/// What a placeholder stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholder {
    /// The message given with `-m`, or `(no message)`.
    Message,
    /// The revision id.
    Revision,
    /// The revisions it follows, comma-separated, or `<base>`.
    DownRevision,
    /// When it was written.
    CreateDate,
    /// The `pub const REVISION: Revision = …;` item the migrator reads.
    RevisionConstant,
    /// The upgrade ops, one call per line.
    Upgrades,
    /// The downgrade ops, one call per line.
    Downgrades,
}

impl Placeholder {
    /// Every placeholder, in the order the default template uses them.
    pub(crate) const ALL: [Placeholder; 7] = [
        Self::Message,
        Self::Revision,
        Self::DownRevision,
        Self::CreateDate,
        Self::RevisionConstant,
        Self::Upgrades,
        Self::Downgrades,
    ];

    /// The name written between the braces.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Revision => "revision",
            Self::DownRevision => "down_revision",
            Self::CreateDate => "create_date",
            Self::RevisionConstant => "revision_constant",
            Self::Upgrades => "upgrades",
            Self::Downgrades => "downgrades",
        }
    }

    /// Without these the file is no revision: the migrator would not find
    /// it, or its ops would be lost.
    const REQUIRED: [Placeholder; 3] = [Self::RevisionConstant, Self::Upgrades, Self::Downgrades];
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{{}}}}}", self.name())
    }
}

/// A template that cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TemplateError {
    /// A `{{name}}` that is not one of the [`Placeholder`]s.
    #[error(
        "line {line}: unknown placeholder {{{{{name}}}}}; the placeholders are {}",
        placeholder_list()
    )]
    UnknownPlaceholder {
        /// What was between the braces.
        name: String,
        /// The line, from 1.
        line: usize,
    },
    /// A `{{` with no `}}` after it on its line.
    #[error("line {line}: `{{{{` is not closed by `}}}}` on the same line")]
    Unclosed {
        /// The line, from 1.
        line: usize,
    },
    /// A placeholder every revision needs is not in the template.
    #[error(
        "has no {placeholder}, which every revision needs; add it (see the default template in the README)"
    )]
    Missing {
        /// The placeholder left out.
        placeholder: Placeholder,
    },
}

fn placeholder_list() -> String {
    Placeholder::ALL.map(|p| p.to_string()).join(", ")
}

/// One piece of a template line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Placeholder(Placeholder),
}

/// A parsed revision template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisionTemplate {
    lines: Vec<Vec<Piece>>,
}

impl Default for RevisionTemplate {
    fn default() -> Self {
        Self::parse(DEFAULT_TEMPLATE).expect("the default template is valid")
    }
}

impl RevisionTemplate {
    /// Reads a template, refusing unknown placeholders and templates
    /// without the ones every revision needs.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut lines = Vec::new();
        for (index, mut rest) in text.split('\n').enumerate() {
            let line = index + 1;
            let mut pieces = Vec::new();
            while let Some(start) = rest.find("{{") {
                if start > 0 {
                    pieces.push(Piece::Text(rest[..start].to_owned()));
                }
                let after = &rest[start + 2..];
                let end = after.find("}}").ok_or(TemplateError::Unclosed { line })?;
                let name = after[..end].trim();
                let placeholder = Placeholder::ALL
                    .into_iter()
                    .find(|p| p.name() == name)
                    .ok_or_else(|| TemplateError::UnknownPlaceholder {
                        name: name.to_owned(),
                        line,
                    })?;
                pieces.push(Piece::Placeholder(placeholder));
                rest = &after[end + 2..];
            }
            if !rest.is_empty() {
                pieces.push(Piece::Text(rest.to_owned()));
            }
            lines.push(pieces);
        }
        let template = Self { lines };
        for placeholder in Placeholder::REQUIRED {
            if !template.uses(placeholder) {
                return Err(TemplateError::Missing { placeholder });
            }
        }
        Ok(template)
    }

    fn uses(&self, placeholder: Placeholder) -> bool {
        self.lines
            .iter()
            .flatten()
            .any(|piece| *piece == Piece::Placeholder(placeholder))
    }

    /// The template with each placeholder replaced by `value(placeholder)`.
    pub(crate) fn fill(&self, value: impl Fn(Placeholder) -> String) -> String {
        let mut out = Vec::new();
        for pieces in &self.lines {
            let mut line = String::new();
            let mut substituted = false;
            let mut filled = false;
            for piece in pieces {
                match piece {
                    Piece::Text(text) => line.push_str(text),
                    Piece::Placeholder(placeholder) => {
                        substituted = true;
                        let value = value(*placeholder);
                        filled |= !value.is_empty();
                        // Later lines of the value continue after what led up to it.
                        let lead = line[line.rfind('\n').map_or(0, |at| at + 1)..].to_owned();
                        for (i, value_line) in value.split('\n').enumerate() {
                            if i > 0 {
                                line.push('\n');
                                line.push_str(&lead);
                            }
                            line.push_str(value_line);
                        }
                    }
                }
            }
            if !substituted {
                out.push(line);
            } else if filled || !line.trim().is_empty() {
                out.extend(line.split('\n').map(|l| l.trim_end().to_owned()));
            }
        }
        out.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_checked() {
        assert_eq!(
            RevisionTemplate::parse("{{revision_constant}} {{upgrades}} {{downgrades}}\n{{ revison }}")
                .unwrap_err(),
            TemplateError::UnknownPlaceholder {
                name: "revison".into(),
                line: 2
            }
        );
        assert_eq!(
            RevisionTemplate::parse("//! {{message\n").unwrap_err(),
            TemplateError::Unclosed { line: 1 }
        );
        let missing = RevisionTemplate::parse("{{revision_constant}}\n{{upgrades}}\n").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "has no {{downgrades}}, which every revision needs; add it (see the default template in the README)"
        );
        let unknown = RevisionTemplate::parse("{{author}}").unwrap_err().to_string();
        assert_eq!(
            unknown,
            "line 1: unknown placeholder {{author}}; the placeholders are {{message}}, {{revision}}, \
             {{down_revision}}, {{create_date}}, {{revision_constant}}, {{upgrades}}, {{downgrades}}"
        );
    }

    #[test]
    fn values_of_several_lines_continue_their_line() {
        let template = RevisionTemplate::parse(
            "//! {{message}}\n{{revision_constant}}\nfn f() {\n    {{upgrades}}\n}\n{{downgrades}}",
        )
        .unwrap();
        let text = template.fill(|p| match p {
            Placeholder::Message => "first\n\nthird".into(),
            Placeholder::Upgrades => "a();\nb();".into(),
            Placeholder::RevisionConstant => "const R: u8 = 1;".into(),
            _ => String::new(),
        });
        assert_eq!(
            text,
            "//! first\n//!\n//! third\nconst R: u8 = 1;\nfn f() {\n    a();\n    b();\n}"
        );
    }
}

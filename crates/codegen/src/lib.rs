//! Writes revision files from [`Op`]s, and the "Detected …" report.
//!
//! A revision file is Rust a reviewer reads in a pull request: a header doc
//! comment (message, Revision ID, Revises, Create Date), a `REVISION`
//! constant, and `upgrade(op)` / `downgrade(op)` calling the op vocabulary.
//! [`render_revision`] is pure and deterministic: the same input gives the
//! same bytes. The file's shape is a [`RevisionTemplate`]: the default one
//! unless a project brings its own. [`rustfmt`] then formats it with the toolchain's rustfmt, so
//! the file is exactly what `cargo fmt` would leave.
//!
//! **This crate writes text; it never parses or runs revisions.**
#![deny(missing_docs)]

mod rust;
mod template;

pub use template::{Placeholder, RevisionTemplate, TemplateError};

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use autogen_schema::{Dialect, Op, Warning};
use thiserror::Error;

/// What the header and the `REVISION` constant of a revision say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisionHeader {
    /// The revision id: 12 lowercase hex digits unless the user chose one.
    pub id: String,
    /// The revisions this one follows: none for a base, several for a merge.
    pub down_revisions: Vec<String>,
    /// Branch labels.
    pub branch_labels: Vec<String>,
    /// Revisions this one depends on without following them.
    pub depends_on: Vec<String>,
    /// The message given with `-m`.
    pub message: String,
    /// When the revision was written, already formatted.
    pub create_date: String,
}

/// How a revision file's functions run their DDL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RunMode {
    /// As written.
    #[default]
    Plain,
    /// Lock-safe: each function starts with `op.lock_safe();`, the upgrade's
    /// under these comment lines (what that means for this revision).
    LockSafe(Vec<String>),
}

/// The source text of a revision file, from the default [`RevisionTemplate`]. Each
/// upgrade op that `warnings` names (by position) gets a `// WARNING: <code> …`
/// line above it, so the reviewer sees what can lose data or hold a table
/// where it happens. `dialect` is the backend the ops were compared in: a
/// SQLite rebuild's comment lists only the changes that are real in its terms.
pub fn render_revision(
    header: &RevisionHeader,
    upgrade: &[Op],
    downgrade: &[Op],
    warnings: &[Warning],
    dialect: Dialect,
    mode: &RunMode,
) -> String {
    RevisionTemplate::default().render(header, upgrade, downgrade, warnings, dialect, mode)
}

impl RevisionTemplate {
    /// The source text of a revision file from this template, as
    /// [`render_revision`] writes it from the default one.
    pub fn render(
        &self,
        header: &RevisionHeader,
        upgrade: &[Op],
        downgrade: &[Op],
        warnings: &[Warning],
        dialect: Dialect,
        mode: &RunMode,
    ) -> String {
        let (up, down) = preambles(mode);
        self.render_calls(
            header,
            up + &op_calls(upgrade, warnings, dialect),
            down + &op_calls(downgrade, &[], dialect),
        )
    }

    /// A revision with no ops, for its author to fill in by hand.
    pub fn render_empty(&self, header: &RevisionHeader, mode: &RunMode) -> String {
        let (up, down) = preambles(mode);
        self.render_calls(header, up.trim_end().to_owned(), down.trim_end().to_owned())
    }

    /// The file, given its upgrade and downgrade op calls.
    fn render_calls(&self, header: &RevisionHeader, upgrades: String, downgrades: String) -> String {
        self.fill(|placeholder| match placeholder {
            Placeholder::Message if header.message.is_empty() => "(no message)".to_owned(),
            Placeholder::Message => header.message.clone(),
            Placeholder::Revision => header.id.clone(),
            Placeholder::DownRevision if header.down_revisions.is_empty() => "<base>".to_owned(),
            Placeholder::DownRevision => header.down_revisions.join(", "),
            Placeholder::CreateDate => header.create_date.clone(),
            Placeholder::RevisionConstant => revision_constant(header),
            Placeholder::Upgrades => upgrades.clone(),
            Placeholder::Downgrades => downgrades.clone(),
        })
    }
}

/// The `REVISION` constant: what the migrator reads of the file.
fn revision_constant(header: &RevisionHeader) -> String {
    format!(
        "pub const REVISION: Revision = Revision {{\n    id: {:?},\n    down_revision: {},\n    \
         branch_labels: {},\n    depends_on: {},\n    message: {:?},\n}};",
        header.id,
        rust::str_slice(&header.down_revisions),
        rust::str_slice(&header.branch_labels),
        rust::str_slice(&header.depends_on),
        header.message,
    )
}

/// What the upgrade and the downgrade start with in `mode`.
fn preambles(mode: &RunMode) -> (String, String) {
    match mode {
        RunMode::Plain => (String::new(), String::new()),
        RunMode::LockSafe(note) => {
            let mut up: String = note.iter().map(|line| format!("// {line}\n")).collect();
            up.push_str("op.lock_safe();\n");
            (up, "op.lock_safe();\n".to_owned())
        }
    }
}

/// One op call per line, each one that can lose data or hold a table after
/// its warnings.
fn op_calls(ops: &[Op], warnings: &[Warning], dialect: Dialect) -> String {
    let mut lines = Vec::new();
    for (at, op) in ops.iter().enumerate() {
        lines.extend(
            warnings
                .iter()
                .filter(|w| w.op() == at)
                .map(|w| format!("// WARNING: {w}")),
        );
        lines.push(rust::op_call(op, dialect));
    }
    lines.join("\n")
}

/// One line of [`report`]; its `Display` is the text a terminal shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportLine {
    /// What autogenerate found: `Detected added table 'post' (src/post.rs:3)`.
    Detected(String),
    /// A change that can lose data or hold a table, under the op it is
    /// about: `  WARNING AG102 drops column 'user.bio' and its values`.
    Warning(Warning),
}

impl std::fmt::Display for ReportLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportLine::Detected(line) => f.write_str(line),
            ReportLine::Warning(change) => write!(f, "  WARNING {change}"),
        }
    }
}

/// Alembic's report of what autogenerate found, one line per op
/// (`Detected added table 'post'`) described in the terms of `dialect`, the
/// backend compared, each warning on a line under its op. `locate`
/// names where an op's table or column is declared, given the schema of the
/// `Op::InSchema` it is in, for the line to end with (`(src/user.rs:12)`).
pub fn report(
    ops: &[Op],
    warnings: &[Warning],
    dialect: Dialect,
    locate: &dyn Fn(&Op, Option<&str>) -> Option<String>,
) -> Vec<ReportLine> {
    let line = |op: &Op, schema: Option<&str>| {
        let mut line = format!("Detected {}", op.describe(dialect));
        if let Some(schema) = schema {
            line.push_str(&format!(" (in schema '{schema}')"));
        }
        if let Some(place) = locate(op, schema) {
            line.push_str(&format!(" ({place})"));
        }
        ReportLine::Detected(line)
    };
    let mut lines = Vec::new();
    for (at, op) in ops.iter().enumerate() {
        match op {
            Op::InSchema { schema, ops } => lines.extend(ops.iter().map(|op| line(op, Some(schema)))),
            op => lines.push(line(op, None)),
        }
        lines.extend(
            warnings
                .iter()
                .filter(|w| w.op() == at)
                .map(|w| ReportLine::Warning(w.clone())),
        );
    }
    lines
}

/// The file name of a revision: `<id>_<slug>.rs`, the slug made of the
/// message's words in snake case and cut at a word boundary.
pub fn file_name(id: &str, message: &str) -> String {
    const MAX_SLUG: usize = 40;
    let mut slug = String::new();
    for word in message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !slug.is_empty() && slug.len() + 1 + word.len() > MAX_SLUG {
            break;
        }
        if !slug.is_empty() {
            slug.push('_');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    slug.truncate(MAX_SLUG);
    if slug.is_empty() {
        format!("{id}.rs")
    } else {
        format!("{id}_{slug}.rs")
    }
}

/// rustfmt could not format the source.
#[derive(Debug, Error)]
pub enum FormatError {
    /// rustfmt is not installed (`rustup component add rustfmt`).
    #[error("could not run rustfmt (install it with `rustup component add rustfmt`): {0}")]
    Spawn(#[source] std::io::Error),
    /// rustfmt rejected the source.
    #[error("rustfmt failed: {0}")]
    Rejected(String),
}

/// Formats Rust source with the toolchain's rustfmt, reading the
/// `rustfmt.toml` that applies to `dir`, so a generated file is what
/// `cargo fmt` would leave in that project.
pub fn rustfmt(source: &str, dir: &Path) -> Result<String, FormatError> {
    let mut child = Command::new(std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into()))
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(FormatError::Spawn)?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // rustfmt reads all of stdin before writing, so writing first cannot deadlock.
    stdin.write_all(source.as_bytes()).map_err(FormatError::Spawn)?;
    drop(stdin);
    let output = child.wait_with_output().map_err(FormatError::Spawn)?;
    if !output.status.success() {
        return Err(FormatError::Rejected(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| FormatError::Rejected(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::DEFAULT_TEMPLATE;
    use autogen_schema::{
        Check, Column, ColumnType, DefaultValue, ForeignKey, ForeignKeyAction, Index, StringLen, Table,
        UniqueConstraint,
    };

    /// The report as a terminal shows it, a line each.
    fn shown(lines: Vec<ReportLine>) -> Vec<String> {
        lines.iter().map(ToString::to_string).collect()
    }

    /// A plain revision with the test header.
    fn plain(upgrade: &[Op], downgrade: &[Op], warnings: &[Warning], dialect: Dialect) -> String {
        render_revision(&header(), upgrade, downgrade, warnings, dialect, &RunMode::Plain)
    }

    fn header() -> RevisionHeader {
        RevisionHeader {
            id: "3f2a9c1b7d4e".into(),
            down_revisions: vec!["1a2b3c4d5e6f".into()],
            branch_labels: vec![],
            depends_on: vec![],
            message: "add post".into(),
            create_date: "2026-11-23 12:00:00 UTC".into(),
        }
    }

    fn upgrade() -> Vec<Op> {
        vec![
            Op::CreateTable(
                Table::new("post")
                    .column(Column::new("id", ColumnType::Integer).auto_increment())
                    .column(Column::new("title", ColumnType::String(StringLen::N(200))))
                    .column(Column::new("views", ColumnType::BigInteger).default(0))
                    .column(Column::new("published", ColumnType::Boolean).default(false))
                    .column(Column::new("created_at", ColumnType::DateTime).default_expr("CURRENT_TIMESTAMP"))
                    .column(Column::new("user_id", ColumnType::Integer))
                    .primary_key(["id"])
                    .foreign_key(
                        ForeignKey::new(["user_id"], "user", ["id"])
                            .name("fk-post-user_id")
                            .on_delete(ForeignKeyAction::Cascade),
                    ),
            ),
            Op::CreateIndex(Index::new("idx-post-title", "post", ["title"]).unique()),
            Op::AddColumn {
                table: "user".into(),
                column: Column::new("bio", ColumnType::Text)
                    .nullable()
                    .default(DefaultValue::String("it's \"me\"".into())),
            },
        ]
    }

    fn downgrade() -> Vec<Op> {
        vec![
            Op::DropColumn {
                table: "user".into(),
                column: "bio".into(),
            },
            Op::DropIndex {
                table: "post".into(),
                name: "idx-post-title".into(),
            },
            Op::DropTable { name: "post".into() },
        ]
    }

    /// Read by a human: this is what a reviewer sees in a pull request.
    const EXPECTED: &str = r#"//! add post
//!
//! Revision ID: 3f2a9c1b7d4e
//! Revises: 1a2b3c4d5e6f
//! Create Date: 2026-11-23 12:00:00 UTC

use autogen::prelude::*;

pub const REVISION: Revision = Revision {
    id: "3f2a9c1b7d4e",
    down_revision: &["1a2b3c4d5e6f"],
    branch_labels: &[],
    depends_on: &[],
    message: "add post",
};

pub fn upgrade(op: &mut Operations) {
    op.create_table(
        Table::new("post")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("title", ColumnType::String(StringLen::N(200))))
            .column(Column::new("views", ColumnType::BigInteger).default(0))
            .column(Column::new("published", ColumnType::Boolean).default(false))
            .column(
                Column::new("created_at", ColumnType::DateTime).default_expr("CURRENT_TIMESTAMP"),
            )
            .column(Column::new("user_id", ColumnType::Integer))
            .primary_key(["id"])
            .foreign_key(
                ForeignKey::new(["user_id"], "user", ["id"])
                    .name("fk-post-user_id")
                    .on_delete(ForeignKeyAction::Cascade),
            ),
    );
    op.create_index(Index::new("idx-post-title", "post", ["title"]).unique());
    op.add_column(
        "user",
        Column::new("bio", ColumnType::Text)
            .nullable()
            .default("it's \"me\""),
    );
}

pub fn downgrade(op: &mut Operations) {
    op.drop_column("user", "bio");
    op.drop_index("post", "idx-post-title");
    op.drop_table("post");
}
"#;

    fn tmp_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        // Format with rustfmt's defaults, not this workspace's rustfmt.toml.
        std::fs::write(dir.path().join("rustfmt.toml"), "").unwrap();
        dir
    }

    #[test]
    fn a_revision_reads_as_a_reviewer_expects() {
        let dir = tmp_dir();
        let text = rustfmt(
            &plain(&upgrade(), &downgrade(), &[], Dialect::Postgres),
            dir.path(),
        )
        .unwrap();
        assert_eq!(text, EXPECTED);
    }

    #[test]
    fn a_project_template_shapes_the_file() {
        let template = RevisionTemplate::parse(
            "// {{message}} ({{revision}} after {{down_revision}}, {{create_date}})\n\
             #![allow(unused_imports)]\n\
             use autogen::prelude::*;\n\n\
             {{revision_constant}}\n\n\
             /// Reviewed by:\n\
             pub fn upgrade(op: &mut Operations) {\n    {{upgrades}}\n}\n\n\
             pub fn downgrade(op: &mut Operations) {\n    {{downgrades}}\n}\n",
        )
        .unwrap();
        let upgrade = [Op::DropColumn {
            table: "user".into(),
            column: "bio".into(),
        }];
        let mut before = autogen_schema::Schema::new();
        before.insert(Table::new("user").column(Column::new("bio", ColumnType::Text).nullable()));
        let warnings =
            autogen_schema::destructive_changes(&upgrade, &before, autogen_schema::Dialect::Postgres)
                .into_iter()
                .map(Warning::Destructive)
                .collect::<Vec<_>>();
        let text = template.render(
            &header(),
            &upgrade,
            &[],
            &warnings,
            Dialect::Postgres,
            &RunMode::Plain,
        );
        assert_eq!(
            text,
            r#"// add post (3f2a9c1b7d4e after 1a2b3c4d5e6f, 2026-11-23 12:00:00 UTC)
#![allow(unused_imports)]
use autogen::prelude::*;

pub const REVISION: Revision = Revision {
    id: "3f2a9c1b7d4e",
    down_revision: &["1a2b3c4d5e6f"],
    branch_labels: &[],
    depends_on: &[],
    message: "add post",
};

/// Reviewed by:
pub fn upgrade(op: &mut Operations) {
    // WARNING: AG102 drops column 'user.bio' and its values
    op.drop_column("user", "bio");
}

pub fn downgrade(op: &mut Operations) {
}
"#
        );
    }

    #[test]
    fn the_readme_shows_the_default_template() {
        let readme =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
        let shown = readme
            .split_once("<!-- revision-template -->\n```rust\n")
            .and_then(|(_, rest)| rest.split_once("```"))
            .expect("the README shows the default template after <!-- revision-template -->")
            .0;
        assert_eq!(shown, DEFAULT_TEMPLATE);
    }

    /// Changes in place: a rename, a column altered (both versions shown, so
    /// the reviewer sees what changes), constraints and a table comment.
    fn alterations() -> Vec<Op> {
        let user_id = Column::new("user_id", ColumnType::Integer);
        vec![
            Op::RenameColumn {
                table: "post".into(),
                from: "body".into(),
                to: "content".into(),
            },
            Op::DropConstraint {
                table: "post".into(),
                constraint: ForeignKey::new(["user_id"], "user", ["id"])
                    .name("fk-post-user_id")
                    .into(),
            },
            Op::AlterColumn {
                table: "post".into(),
                from: user_id.clone(),
                to: user_id.nullable(),
            },
            Op::AddConstraint {
                table: "post".into(),
                constraint: Check::new("content <> ''").into(),
            },
            Op::AddConstraint {
                table: "post".into(),
                constraint: UniqueConstraint::new(["user_id", "content"])
                    .name("post_user_content")
                    .into(),
            },
            Op::AddConstraint {
                table: "post".into(),
                constraint: ForeignKey::new(["user_id"], "user", ["id"])
                    .name("fk-post-user_id")
                    .on_delete(ForeignKeyAction::SetNull)
                    .into(),
            },
            Op::AlterTableComment {
                table: "post".into(),
                from: None,
                to: Some("blog posts".into()),
            },
        ]
    }

    #[test]
    fn alterations_read_as_a_reviewer_expects() {
        let dir = tmp_dir();
        let text = rustfmt(&plain(&alterations(), &[], &[], Dialect::Postgres), dir.path()).unwrap();
        let upgrade = &text[text.find("pub fn upgrade").unwrap()..text.find("pub fn downgrade").unwrap()];
        assert_eq!(
            upgrade,
            r#"pub fn upgrade(op: &mut Operations) {
    op.rename_column("post", "body", "content");
    op.drop_constraint(
        "post",
        ForeignKey::new(["user_id"], "user", ["id"]).name("fk-post-user_id"),
    );
    op.alter_column(
        "post",
        Column::new("user_id", ColumnType::Integer),
        Column::new("user_id", ColumnType::Integer).nullable(),
    );
    op.add_constraint("post", Check::new("content <> ''"));
    op.add_constraint(
        "post",
        UniqueConstraint::new(["user_id", "content"]).name("post_user_content"),
    );
    op.add_constraint(
        "post",
        ForeignKey::new(["user_id"], "user", ["id"])
            .name("fk-post-user_id")
            .on_delete(ForeignKeyAction::SetNull),
    );
    op.alter_table_comment("post", None, Some("blog posts"));
}

"#
        );
    }

    #[test]
    fn a_sqlite_recreation_says_what_it_changes() {
        let dir = tmp_dir();
        let recreate = Op::RecreateTable {
            table: Table::new("post")
                .column(Column::new("id", ColumnType::Integer).auto_increment())
                .column(Column::new("user_id", ColumnType::Integer).nullable())
                .primary_key(["id"]),
            copy: vec!["id".into(), "user_id".into()],
            changes: vec![Op::AlterColumn {
                table: "post".into(),
                from: Column::new("user_id", ColumnType::Integer),
                to: Column::new("user_id", ColumnType::Integer).nullable(),
            }],
        };
        let text = rustfmt(&plain(&[recreate], &[], &[], Dialect::Sqlite), dir.path()).unwrap();
        let upgrade = &text[text.find("pub fn upgrade").unwrap()..text.find("pub fn downgrade").unwrap()];
        assert_eq!(
            upgrade,
            r#"pub fn upgrade(op: &mut Operations) {
    // Rebuilt, keeping the rows of the listed columns, for what SQLite cannot change in place:
    // - altered column 'post.user_id': now nullable
    op.recreate_table(
        Table::new("post")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("user_id", ColumnType::Integer).nullable())
            .primary_key(["id"]),
        ["id", "user_id"],
    );
}

"#
        );
    }

    /// A rebuild for a changed default, whose column the entity also
    /// declares `i64` where the database says `integer`: SQLite stores both
    /// alike, so neither the report nor the file's comment names the type.
    #[test]
    fn a_sqlite_rebuild_names_only_the_changes_sqlite_tells_apart() {
        let dir = tmp_dir();
        assert!(Dialect::Sqlite.same_type(&ColumnType::Integer, &ColumnType::BigInteger));
        let rebuild = Op::RecreateTable {
            table: Table::new("post").column(Column::new("views", ColumnType::BigInteger).default(1)),
            copy: vec!["views".into()],
            changes: vec![Op::AlterColumn {
                table: "post".into(),
                from: Column::new("views", ColumnType::Integer).default(0),
                to: Column::new("views", ColumnType::BigInteger).default(1),
            }],
        };
        assert_eq!(
            shown(report(
                std::slice::from_ref(&rebuild),
                &[],
                Dialect::Sqlite,
                &|_, _| None
            )),
            ["Detected recreated table 'post' to change it in place: \
              altered column 'post.views': default Int(0) -> Int(1)"]
        );
        let text = rustfmt(&plain(&[rebuild], &[], &[], Dialect::Sqlite), dir.path()).unwrap();
        assert!(
            text.contains(
                "cannot change in place:\n    // - altered column 'post.views': default Int(0) -> Int(1)\n    op.recreate_table("
            ),
            "{text}"
        );
    }

    /// MySQL stores a `Uuid` as `binary(16)`: a column whose only real
    /// change is UNIQUE says so alone there, and its type too on PostgreSQL,
    /// where the two differ.
    #[test]
    fn an_altered_column_names_only_the_changes_its_backend_tells_apart() {
        let alter = [Op::AlterColumn {
            table: "session".into(),
            from: Column::new("token", ColumnType::Binary(16)),
            to: Column::new("token", ColumnType::Uuid).unique(),
        }];
        assert!(Dialect::MySql.same_type(&ColumnType::Binary(16), &ColumnType::Uuid));
        assert_eq!(
            shown(report(&alter, &[], Dialect::MySql, &|_, _| None)),
            ["Detected altered column 'session.token': now unique"]
        );
        assert_eq!(
            shown(report(&alter, &[], Dialect::Postgres, &|_, _| None)),
            ["Detected altered column 'session.token': type Binary(16) -> Uuid; now unique"]
        );
    }

    #[test]
    fn destructive_ops_carry_a_warning_above_them() {
        let dir = tmp_dir();
        let before = {
            let mut schema = autogen_schema::Schema::new();
            schema.insert(Table::new("user").column(Column::new("bio", ColumnType::Text).nullable()));
            schema
        };
        let upgrade = [
            Op::AddColumn {
                table: "user".into(),
                column: Column::new("about", ColumnType::Text).nullable(),
            },
            Op::DropColumn {
                table: "user".into(),
                column: "bio".into(),
            },
        ];
        let warnings =
            autogen_schema::destructive_changes(&upgrade, &before, autogen_schema::Dialect::Postgres)
                .into_iter()
                .map(Warning::Destructive)
                .collect::<Vec<_>>();
        let text = rustfmt(&plain(&upgrade, &[], &warnings, Dialect::Postgres), dir.path()).unwrap();
        let upgrade = &text[text.find("pub fn upgrade").unwrap()..text.find("pub fn downgrade").unwrap()];
        assert_eq!(
            upgrade,
            r#"pub fn upgrade(op: &mut Operations) {
    op.add_column("user", Column::new("about", ColumnType::Text).nullable());
    // WARNING: AG102 drops column 'user.bio' and its values
    op.drop_column("user", "bio");
}

"#
        );
    }

    #[test]
    fn ops_in_another_schema_say_so() {
        let dir = tmp_dir();
        let upgrade = [Op::InSchema {
            schema: "audit".into(),
            ops: vec![Op::DropColumn {
                table: "entry".into(),
                column: "note".into(),
            }],
        }];
        let text = rustfmt(&plain(&upgrade, &[], &[], Dialect::Postgres), dir.path()).unwrap();
        let upgrade_text =
            &text[text.find("pub fn upgrade").unwrap()..text.find("pub fn downgrade").unwrap()];
        assert_eq!(
            upgrade_text,
            r#"pub fn upgrade(op: &mut Operations) {
    op.in_schema("audit", |op| {
        op.drop_column("entry", "note");
    });
}

"#
        );
        assert_eq!(
            shown(report(&upgrade, &[], Dialect::Postgres, &|_, _| None)),
            ["Detected removed column 'entry.note' (in schema 'audit')"]
        );
    }

    #[test]
    fn rendering_is_deterministic_and_rustfmt_clean() {
        let dir = tmp_dir();
        let a = rustfmt(
            &plain(&upgrade(), &downgrade(), &[], Dialect::Postgres),
            dir.path(),
        )
        .unwrap();
        let b = rustfmt(
            &plain(&upgrade(), &downgrade(), &[], Dialect::Postgres),
            dir.path(),
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(
            rustfmt(&a, dir.path()).unwrap(),
            a,
            "formatting again changes nothing"
        );
    }

    #[test]
    fn every_column_type_renders_to_rust_that_names_it() {
        use autogen_schema::IntervalFields;
        let types = [
            (ColumnType::Char(None), "ColumnType::Char(None)"),
            (ColumnType::Char(Some(2)), "ColumnType::Char(Some(2))"),
            (
                ColumnType::String(StringLen::Max),
                "ColumnType::String(StringLen::Max)",
            ),
            (
                ColumnType::Decimal(Some((10, 2))),
                "ColumnType::Decimal(Some((10, 2)))",
            ),
            (
                ColumnType::Interval(Some(IntervalFields::DayToSecond), Some(3)),
                "ColumnType::Interval(Some(IntervalFields::DayToSecond), Some(3))",
            ),
            (
                ColumnType::Custom("citext".into()),
                "ColumnType::Custom(\"citext\".into())",
            ),
            (
                ColumnType::Enum {
                    name: "mood".into(),
                    variants: vec!["happy".into(), "sad".into()],
                },
                "ColumnType::enumeration(\"mood\", [\"happy\", \"sad\"])",
            ),
            (
                ColumnType::Array(Box::new(ColumnType::Text)),
                "ColumnType::Array(Box::new(ColumnType::Text))",
            ),
            (
                ColumnType::VarBinary(StringLen::None),
                "ColumnType::VarBinary(StringLen::None)",
            ),
        ];
        for (t, rust) in types {
            assert_eq!(rust::column_type(&t), rust);
        }
    }

    /// A lock-safe revision says so first in each function, the upgrade
    /// under what that means for it; what stays risky even so is warned of
    /// like a loss.
    #[test]
    fn a_lock_safe_revision_starts_each_function_with_op_lock_safe() {
        let karma = |column_type| Column::new("karma", column_type);
        let widen = Op::AlterColumn {
            table: "user".into(),
            from: karma(ColumnType::Integer),
            to: karma(ColumnType::BigInteger),
        };
        let narrow = Op::AlterColumn {
            table: "user".into(),
            from: karma(ColumnType::BigInteger),
            to: karma(ColumnType::Integer),
        };
        let mut before = autogen_schema::Schema::new();
        before.insert(Table::new("user").column(karma(ColumnType::Integer)));
        let risks = autogen_schema::lock_risks(
            std::slice::from_ref(&widen),
            &before,
            Dialect::Postgres,
            autogen_schema::DdlMode::LockSafe,
        );
        let warnings: Vec<Warning> = risks.into_iter().map(Warning::Lock).collect();
        let mode = RunMode::LockSafe(vec!["Runs lock-safe.".into()]);
        let text = render_revision(
            &header(),
            &[widen],
            &[narrow],
            &warnings,
            Dialect::Postgres,
            &mode,
        );
        let body = &text[text.find("pub fn upgrade").unwrap()..];
        assert_eq!(
            body,
            r#"pub fn upgrade(op: &mut Operations) {
    // Runs lock-safe.
    op.lock_safe();
    // WARNING: AG207 changes the type of 'user.karma', rewriting every row while reads and writes wait
    op.alter_column("user", Column::new("karma", ColumnType::Integer), Column::new("karma", ColumnType::BigInteger));
}

pub fn downgrade(op: &mut Operations) {
    op.lock_safe();
    op.alter_column("user", Column::new("karma", ColumnType::BigInteger), Column::new("karma", ColumnType::Integer));
}
"#
        );
        let empty = RevisionTemplate::default().render_empty(&header(), &RunMode::LockSafe(Vec::new()));
        assert!(
            empty.contains("pub fn upgrade(op: &mut Operations) {\n    op.lock_safe();\n}"),
            "{empty}"
        );
    }

    #[test]
    fn report_and_file_name() {
        assert_eq!(
            shown(report(&upgrade(), &[], Dialect::Postgres, &|op, _| {
                matches!(op, Op::AddColumn { .. }).then(|| "src/user.rs:7".to_owned())
            })),
            [
                "Detected added table 'post'",
                "Detected added unique index 'idx-post-title' on 'post' (title)",
                "Detected added column 'user.bio' (src/user.rs:7)"
            ]
        );
        let dropped = [Op::DropTable { name: "post".into() }];
        let warnings: Vec<Warning> = autogen_schema::destructive_changes(
            &dropped,
            &autogen_schema::Schema::new(),
            autogen_schema::Dialect::Sqlite,
        )
        .into_iter()
        .map(Warning::Destructive)
        .collect();
        let lines = report(&dropped, &warnings, Dialect::Sqlite, &|_, _| None);
        assert_eq!(lines[1], ReportLine::Warning(warnings[0].clone()));
        assert_eq!(
            shown(lines),
            [
                "Detected removed table 'post'",
                "  WARNING AG101 drops table 'post' and every row in it"
            ]
        );
        assert_eq!(file_name("ab12", "Add user bio!"), "ab12_add_user_bio.rs");
        assert_eq!(file_name("ab12", ""), "ab12.rs");
        let long = file_name("ab12", "one two three four five six seven eight nine ten eleven");
        assert_eq!(long, "ab12_one_two_three_four_five_six_seven_eight.rs");
    }
}

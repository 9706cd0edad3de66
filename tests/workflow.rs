use std::fs;

use autogen_schema::Schema;

use crate::util::{assert_success, introspect, stderr, stdout, Scratch, CREATE_USER};

/// The upgrade body of a revision file.
fn upgrade_body(source: &str) -> &str {
    let start = source.find("pub fn upgrade").unwrap();
    let end = source.find("pub fn downgrade").unwrap();
    source[start..end].trim_end()
}

#[tokio::test(flavor = "multi_thread")]
async fn init_autogenerate_upgrade_change_downgrade_on_sqlite() {
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);

    // First revision: everything the entities declare.
    let first = p.autogen(CREATE_USER);
    assert_success(&first);
    assert_eq!(
        stderr(&first),
        "Detected added table 'user'\nDetected added index 'idx-user-name' on 'user' (name)\n"
    );
    let first_file = p.path("migration/src/versions/aaaaaaaaaaaa_create_user.rs");
    assert_eq!(
        stdout(&first),
        format!("Generating {} ... done\n", first_file.display())
    );
    let source = fs::read_to_string(&first_file).unwrap();
    assert!(source.starts_with("//! create user\n//!\n//! Revision ID: aaaaaaaaaaaa\n//! Revises: <base>\n"));

    // Before the upgrade the database is behind: `check` cannot tell, which is exit 2.
    let behind = p.autogen(&["check"]);
    assert_eq!(behind.status.code(), Some(2));
    assert!(
        stderr(&behind).starts_with("error: target database is not up to date"),
        "{}",
        stderr(&behind)
    );

    let up = p.autogen(&["upgrade", "head"]);
    assert_success(&up);
    assert_eq!(
        stderr(&up),
        "Running upgrade <base> -> aaaaaaaaaaaa, create user\n"
    );
    let at_first = introspect(&p.database_url()).await;
    assert_eq!(at_first.tables.keys().collect::<Vec<_>>(), ["user"]);

    // Nothing changed: nothing detected, no file.
    let none = p.autogen(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_success(&none);
    assert!(stdout(&none).starts_with("No changes in schema detected"));
    assert_eq!(p.revision_files().len(), 1);

    // Change the entities: a new column on user, a new table.
    p.set_entities(&[("user", "user_v2.rs"), ("post", "post.rs")]);
    p.edit("migration/src/main.rs", |s| {
        s.replace(
            ".entity(entity::user::Entity)",
            ".entity(entity::user::Entity).entity(entity::post::Entity)",
        )
    });
    let second = p.autogen(&[
        "revision",
        "--autogenerate",
        "-m",
        "add bio and post",
        "--rev-id",
        "bbbbbbbbbbbb",
    ]);
    assert_success(&second);
    assert_eq!(
        stderr(&second),
        "Detected added table 'post'\nDetected added column 'user.bio'\n"
    );
    let second_source =
        fs::read_to_string(p.path("migration/src/versions/bbbbbbbbbbbb_add_bio_and_post.rs")).unwrap();
    assert_eq!(
        upgrade_body(&second_source),
        r#"pub fn upgrade(op: &mut Operations) {
    op.create_table(
        Table::new("post")
            .column(Column::new("id", ColumnType::Integer).auto_increment())
            .column(Column::new("user_id", ColumnType::Integer))
            .column(Column::new("body", ColumnType::Text))
            .primary_key(["id"])
            .foreign_key(
                ForeignKey::new(["user_id"], "user", ["id"]).on_delete(ForeignKeyAction::Cascade),
            ),
    );
    op.add_column(
        "user",
        Column::new("bio", ColumnType::String(StringLen::None)).nullable(),
    );
}"#
    );
    assert!(second_source.contains("down_revision: &[\"aaaaaaaaaaaa\"],"));

    let up = p.autogen(&["upgrade", "head"]);
    assert_success(&up);
    assert_eq!(
        stderr(&up),
        "Running upgrade aaaaaaaaaaaa -> bbbbbbbbbbbb, add bio and post\n"
    );
    let at_second = introspect(&p.database_url()).await;
    assert!(at_second.table("post").is_some());
    assert!(at_second.table("user").unwrap().get_column("bio").is_some());

    // The round trip: the database now matches the entities exactly.
    let none = p.autogen(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_success(&none);
    assert!(
        stdout(&none).starts_with("No changes in schema detected"),
        "{}",
        stderr(&none)
    );

    let check = p.check_both(&[]);
    assert_success(&check);
    assert_eq!(stdout(&check), "No new upgrade operations detected.\n");

    let current = p.autogen(&["current"]);
    assert_success(&current);
    assert_eq!(stdout(&current), "bbbbbbbbbbbb (head)\n");

    // `inspect` prints the live schema; the version table is autogen's and not shown.
    let inspect = p.autogen(&["inspect", "--table", "post"]);
    assert_success(&inspect);
    assert_eq!(
        stdout(&inspect),
        "table \"post\"\n  column \"id\" integer NOT NULL AUTO INCREMENT\n  column \"user_id\" integer NOT NULL\n  \
         column \"body\" text NOT NULL\n  primary key (id)\n  \
         foreign key (user_id) references \"user\" (id) on delete CASCADE on update NO ACTION\n"
    );
    let json = p.autogen(&["inspect", "--format", "json"]);
    assert_success(&json);
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let tables: Vec<&String> = parsed["tables"].as_object().unwrap().keys().collect();
    assert_eq!(tables, ["post", "user"]);
    let missing = p.autogen(&["inspect", "--table", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no table 'nope'"));

    // autogen.toml reads DATABASE_URL when it is set: another database,
    // which a command that reads does not create, even with `mode=rwc`.
    let other = format!("sqlite://{}?mode=rwc", p.path("other.db").display());
    let elsewhere = p.autogen_with_env(&["current"], &[("DATABASE_URL", &other)]);
    assert_eq!(elsewhere.status.code(), Some(2));
    let missing = format!("no SQLite database at {};", p.path("other.db").display());
    assert!(stderr(&elsewhere).contains(&missing), "{}", stderr(&elsewhere));
    assert!(!p.path("other.db").exists());

    // Undo the second revision: the schema is the first one again.
    let down = p.autogen(&["downgrade", "-1"]);
    assert_success(&down);
    assert_eq!(
        stderr(&down),
        "Running downgrade bbbbbbbbbbbb -> aaaaaaaaaaaa, add bio and post\n"
    );
    assert_eq!(introspect(&p.database_url()).await, at_first);

    let current = p.autogen(&["current"]);
    assert_success(&current);
    assert_eq!(stdout(&current), "aaaaaaaaaaaa\n");
    let history = p.autogen(&["history"]);
    assert_success(&history);
    assert_eq!(
        stdout(&history),
        "aaaaaaaaaaaa -> bbbbbbbbbbbb (head), add bio and post\n<base> -> aaaaaaaaaaaa, create user\n"
    );

    // `cargo run -p migration -- …` is the same program with the same answers.
    let direct = p.cargo_run_migration(&["history"]);
    assert_success(&direct);
    assert_eq!(stdout(&direct), stdout(&history));
    let direct = p.cargo_run_migration(&["upgrade", "head"]);
    assert_success(&direct);
    assert_eq!(introspect(&p.database_url()).await, at_second);

    let base = p.autogen(&["downgrade", "base"]);
    assert_success(&base);
    assert_eq!(introspect(&p.database_url()).await, Schema::new());
    let current = p.autogen(&["current"]);
    assert_eq!(stdout(&current), "");
}

/// An entity module that exists but is not registered is never silently
/// read as "drop this table".
#[tokio::test(flavor = "multi_thread")]
async fn an_unregistered_entity_is_named_and_its_table_not_dropped_unless_asked() {
    let p = Scratch::with_entities(&[("user", "user_v2.rs"), ("post", "post.rs")]);
    assert_success(&p.autogen(&["revision", "--autogenerate", "-m", "create"]));
    assert_success(&p.autogen(&["upgrade", "head"]));

    // `post` stays in the entity crate, but main.rs no longer registers it.
    p.edit("migration/src/main.rs", |s| {
        s.replace(".entity(entity::post::Entity)", "")
    });
    let warning = format!(
        "warning: entity module `entity_{}::post` (table 'post') is not registered",
        p.package().trim_start_matches("migration_")
    );

    let check = p.check_both(&[]);
    assert_eq!(check.status.code(), Some(1));
    assert!(stderr(&check).contains(&warning), "{}", stderr(&check));
    assert!(
        stdout(&check).contains("removed table 'post'"),
        "{}",
        stdout(&check)
    );

    // The warning first, then what was found, then the refusal; a dry run
    // refuses the same way.
    for dry_run in [&[][..], &["--dry-run"]] {
        let refused = p.autogen(&[&["revision", "--autogenerate", "-m", "drop post"], dry_run].concat());
        assert_eq!(refused.status.code(), Some(1));
        let message = stderr(&refused);
        let found = "Detected removed table 'post'\n  \
                     WARNING AG101 drops table 'post' and every row in it\n\
                     error: autogenerate would drop 'post' (entity module `entity_";
        assert!(
            message.starts_with(&format!(
                "{warning}; autogenerate compares only registered entities"
            )) && message.contains(&format!(" main.rs\n{found}"))
                && message.contains("--allow-unregistered-drops")
                && message.ends_with("no file was written\n"),
            "{message}"
        );
        assert_eq!(p.revision_files().len(), 1, "no file was written");
    }

    // Allowed as an unregistered drop, it is still a destructive one.
    let destructive = p.autogen(&[
        "revision",
        "--autogenerate",
        "-m",
        "drop post",
        "--allow-unregistered-drops",
    ]);
    assert_eq!(destructive.status.code(), Some(1));
    assert!(
        stderr(&destructive).contains("AG101 drops table 'post' and every row in it"),
        "{}",
        stderr(&destructive)
    );
    assert_eq!(p.revision_files().len(), 1, "no file was written");

    // The settings in autogen.toml allow it as the flags do.
    p.edit("autogen.toml", |s| {
        format!("{s}allow_unregistered_drops = true\nallow_destructive = true\n")
    });
    let by_config = p.autogen(&["revision", "--autogenerate", "-m", "drop post by config"]);
    assert_success(&by_config);
    assert_eq!(p.revision_files().len(), 2);
    for file in p.revision_files() {
        if file.to_string_lossy().ends_with("_drop_post_by_config.rs") {
            fs::remove_file(file).unwrap();
        }
    }
    p.edit("autogen.toml", |s| {
        s.replace("allow_unregistered_drops = true\nallow_destructive = true\n", "")
    });

    let allowed = p.autogen(&[
        "revision",
        "--autogenerate",
        "-m",
        "drop post",
        "--allow-unregistered-drops",
        "--allow-destructive",
    ]);
    assert_success(&allowed);
    let files = p.revision_files();
    assert_eq!(files.len(), 2);
    let written = files
        .iter()
        .find(|f| f.to_string_lossy().ends_with("_drop_post.rs"))
        .unwrap();
    let source = fs::read_to_string(written).unwrap();
    assert!(
        upgrade_body(&source).contains(
            "// WARNING: AG101 drops table 'post' and every row in it\n    op.drop_table(\"post\");"
        ),
        "{source}"
    );
}

/// A change that can lose data is named with its code and refused until the
/// user allows it, what was found shown above the refusal as the docs show
/// it; `--dry-run` shows the revision and writes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn destructive_changes_are_refused_unless_allowed() {
    let p = Scratch::with_entities(&[("user", "user_v2.rs"), ("post", "post.rs")]);
    assert_success(&p.autogen(&["revision", "--autogenerate", "-m", "create"]));
    assert_success(&p.autogen(&["upgrade", "head"]));

    // user_v1 has no `bio`: dropping it drops its values.
    p.set_entities(&[("user", "user_v1.rs"), ("post", "post.rs")]);
    let refused = p.autogen(&["revision", "--autogenerate", "-m", "drop bio"]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        stderr(&refused),
        "Detected removed column 'user.bio'\n\
         \x20 WARNING AG102 drops column 'user.bio' and its values\n\
         error: autogenerate found changes that can lose data:\n\
         \x20 AG102 drops column 'user.bio' and its values\n\
         review them (--dry-run shows the revision), then pass --allow-destructive \
         (or set `allow_destructive = true` in autogen.toml) to write it; no file was written\n"
    );
    assert_eq!(p.revision_files().len(), 1);

    // A dry run prints the file, marks the op, and writes nothing; two runs
    // differ only in the revision id and date.
    let dry = |id: &str| {
        let out = p.autogen(&[
            "revision",
            "--autogenerate",
            "-m",
            "drop bio",
            "--dry-run",
            "--rev-id",
            id,
        ]);
        assert_success(&out);
        assert!(
            stderr(&out)
                .contains("Detected removed column 'user.bio'\n  WARNING AG102 drops column 'user.bio'"),
            "{}",
            stderr(&out)
        );
        stdout(&out)
    };
    let (a, b) = (dry("aaaaaaaaaaaa"), dry("bbbbbbbbbbbb"));
    assert!(
        upgrade_body(&a).contains("// WARNING: AG102 drops column 'user.bio' and its values\n    op.drop_column(\"user\", \"bio\");"),
        "{a}"
    );
    let without_date = |text: &str, id: &str| {
        text.lines()
            .filter(|l| !l.starts_with("//! Create Date: "))
            .collect::<Vec<_>>()
            .join("\n")
            .replace(id, "<id>")
    };
    assert_eq!(without_date(&a, "aaaaaaaaaaaa"), without_date(&b, "bbbbbbbbbbbb"));
    assert_eq!(p.revision_files().len(), 1, "a dry run writes nothing");

    let allowed = p.autogen(&[
        "revision",
        "--autogenerate",
        "-m",
        "drop bio",
        "--allow-destructive",
    ]);
    assert_success(&allowed);
    let written = p
        .revision_files()
        .into_iter()
        .find(|f| f.to_string_lossy().ends_with("_drop_bio.rs"))
        .unwrap();
    let source = fs::read_to_string(written).unwrap();
    assert!(
        source.contains("// WARNING: AG102 drops column 'user.bio'"),
        "{source}"
    );
    assert_success(&p.autogen(&["upgrade", "head"]));
    assert_success(&p.check_both(&[]));
}

/// `check --offline` replays the revisions instead of reading a database:
/// it needs none, reports as the online check does (text, JSON, or only an
/// exit code), and says it cannot tell when raw SQL may change the schema.
#[tokio::test(flavor = "multi_thread")]
async fn check_offline_needs_no_database_and_says_when_it_cannot_tell() {
    let p = Scratch::with_entities(&[("user", "user_v2.rs"), ("post", "post.rs")]);
    let create = [
        "revision",
        "--autogenerate",
        "-m",
        "create",
        "--rev-id",
        "aaaaaaaaaaaa",
    ];
    assert_success(&p.autogen(&create));
    fs::remove_file(p.path("app.db")).unwrap();
    let clean = p.autogen(&["check", "--offline"]);
    assert_success(&clean);
    assert_eq!(stdout(&clean), "No new upgrade operations detected.\n");
    assert!(!p.path("app.db").exists(), "no database was needed, or made");

    p.set_entities(&[("user", "user_v1.rs"), ("post", "post.rs")]);
    let changed = p.autogen(&["check", "--offline"]);
    assert_eq!(changed.status.code(), Some(1));
    let report = stdout(&changed);
    assert!(
        report.starts_with(
            "New upgrade operations detected:\n  Detected removed column 'user.bio'\n    WARNING AG102"
        ) && report.contains("\n--- revisions (SQLite)\n+++ entities\n")
            && report.contains("\n-  column \"bio\" varchar NULL\n")
            && !report.contains('\x1b'),
        "{report}"
    );
    let quiet = p.autogen(&["check", "--offline", "--quiet"]);
    assert_eq!(quiet.status.code(), Some(1));
    assert_eq!((stdout(&quiet), stderr(&quiet)), (String::new(), String::new()));
    let json = p.autogen(&["check", "--offline", "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(
        (&json["status"], &json["source"]),
        (&"changes".into(), &"revisions".into())
    );
    assert_eq!(json["changes"][0]["description"], "removed column 'user.bio'");

    // Raw SQL the model cannot follow: offline, it cannot tell.
    assert_success(&p.autogen(&["revision", "-m", "raw", "--rev-id", "bbbbbbbbbbbb"]));
    let raw = p.path("migration/src/versions/bbbbbbbbbbbb_raw.rs");
    p.edit(raw.strip_prefix(p.path("")).unwrap().to_str().unwrap(), |s| {
        s.replace(
            "pub fn upgrade(op: &mut Operations) {}",
            "pub fn upgrade(op: &mut Operations) {\n    op.execute(\"CREATE VIEW karma AS SELECT karma FROM \\\"user\\\"\");\n}",
        )
    });
    let unknown = p.autogen(&["check", "--offline"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("raw SQL in revision bbbbbbbbbbbb (`CREATE VIEW karma")
            && stderr(&unknown).contains("op.execute_data"),
        "{}",
        stderr(&unknown)
    );
    let json = p.autogen(&["check", "--offline", "--format", "json"]);
    assert_eq!(json.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(json["status"], "unknown");
    // Marked as changing rows only, it replays as nothing.
    p.edit(raw.strip_prefix(p.path("")).unwrap().to_str().unwrap(), |s| {
        s.replace(
            "op.execute(\"CREATE VIEW karma AS SELECT karma FROM \\\"user\\\"\");",
            "op.execute_data(\"UPDATE \\\"user\\\" SET karma = 0\");",
        )
    });
    assert_eq!(p.autogen(&["check", "--offline"]).status.code(), Some(1));
}

/// A run of many revisions numbers its steps and says how long it took; a
/// run of a few prints Alembic's lines alone.
#[test]
fn many_revisions_are_counted_as_they_run() {
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    let mut down = String::new();
    for n in 1..=12 {
        let id = format!("{n:012}");
        let parents = if down.is_empty() {
            String::new()
        } else {
            format!("\"{down}\"")
        };
        p.write(
            &format!("migration/src/versions/{id}_note_{n}.rs"),
            &format!(
                "use autogen::prelude::*;\n\n\
                 pub const REVISION: Revision = Revision {{\n    id: \"{id}\",\n    down_revision: &[{parents}],\n    \
                 branch_labels: &[],\n    depends_on: &[],\n    message: \"note {n}\",\n}};\n\n\
                 pub fn upgrade(op: &mut Operations) {{\n    \
                 op.create_table(Table::new(\"note_{n}\").column(Column::new(\"id\", ColumnType::Integer)));\n}}\n\n\
                 pub fn downgrade(op: &mut Operations) {{\n    op.drop_table(\"note_{n}\");\n}}\n"
            ),
        );
        down = id;
    }
    let few = p.autogen(&["upgrade", "+2"]);
    assert_success(&few);
    assert_eq!(
        stderr(&few),
        "Running upgrade <base> -> 000000000001, note 1\nRunning upgrade 000000000001 -> 000000000002, note 2\n"
    );
    let many = p.autogen(&["upgrade", "head"]);
    assert_success(&many);
    let said = stderr(&many);
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 11, "{said}");
    assert_eq!(
        lines[0],
        "Running upgrade 000000000002 -> 000000000003, note 3 (1/10)"
    );
    assert_eq!(
        lines[9],
        "Running upgrade 000000000011 -> 000000000012, note 12 (10/10)"
    );
    assert!(lines[10].starts_with("Ran 10 revisions in "), "{said}");
}

/// Entities read from source (`entities` in autogen.toml): the migration
/// crate does not depend on them, each change names the field it comes
/// from, and an entity edit is answered with no build.
#[tokio::test(flavor = "multi_thread")]
async fn entities_read_from_source_need_no_build_after_an_edit() {
    use crate::util::raw_stderr;
    let p = Scratch::reading_entities(&[("user", "user_v1.rs")]);
    let manifest: toml::Table =
        toml::from_str(&fs::read_to_string(p.path("migration/Cargo.toml")).unwrap()).unwrap();
    assert_eq!(
        manifest["dependencies"]
            .as_table()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["autogen"]
    );

    let first = p.autogen(&["revision", "--autogenerate", "-m", "create user"]);
    assert_success(&first);
    assert_eq!(
        stderr(&first),
        "Detected added table 'user' (entity/src/user.rs:5)\n\
         Detected added index 'idx-user-name' on 'user' (name) (entity/src/user.rs:11)\n"
    );
    assert_success(&p.autogen(&["upgrade", "head"]));
    assert_success(&p.autogen(&["check"]));

    // The edit: the next check and revision build nothing.
    p.edit("entity/src/user.rs", |s| {
        s.replace(
            "    pub name: String,",
            "    pub name: String,\n    pub bio: Option<String>,",
        )
    });
    let check = p.autogen(&["check"]);
    assert_eq!(check.status.code(), Some(1), "{}", stdout(&check));
    assert!(
        stdout(&check).contains("  Detected added column 'user.bio' (entity/src/user.rs:12)\n"),
        "{}",
        stdout(&check)
    );
    assert_eq!(raw_stderr(&check), stderr(&check), "nothing was built");
    let json = p.autogen(&["check", "--format", "json"]);
    let answer: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(answer["changes"][0]["source"]["path"], "entity/src/user.rs");
    assert_eq!(answer["changes"][0]["source"]["line"], 12);

    // An entity that cannot be read stops autogenerate, naming where and
    // why, and never an upgrade.
    p.edit("entity/src/user.rs", |s| {
        s.replace("pub bio: Option<String>", "pub bio: Option<other::Bio>")
    });
    let unreadable = p.autogen(&["revision", "--autogenerate", "-m", "bio"]);
    assert_eq!(unreadable.status.code(), Some(1));
    let said = stderr(&unreadable);
    assert!(said.contains("entity/src/user.rs:12: column `bio`"), "{said}");
    assert!(said.contains("`other::Bio`"), "{said}");
    let json = p.autogen(&["check", "--format", "json"]);
    assert_eq!(json.status.code(), Some(2), "cannot tell");
    let answer: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(answer["status"], "unknown");
    assert!(
        answer["error"].as_str().unwrap().contains("`other::Bio`"),
        "{answer}"
    );
    assert_success(&p.autogen(&["upgrade", "head"]));
}

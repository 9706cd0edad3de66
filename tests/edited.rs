use sea_orm::{ConnectionTrait, Database, Statement};

use crate::util::{assert_success, repo, stderr, stdout, Scratch};

/// The revisions the revisions table keeps a checksum for.
async fn checksummed(url: &str) -> Vec<String> {
    let db = Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT revision FROM autogen_revisions ORDER BY revision",
        ))
        .await
        .unwrap();
    db.close().await.unwrap();
    rows.iter().map(|r| r.try_get("", "revision").unwrap()).collect()
}

/// An applied revision whose ops are edited is named by `current`, `check`
/// and `upgrade` until the edit is reverted or accepted; an edit of its
/// layout and comments is no change; an undone revision keeps no checksum.
#[tokio::test(flavor = "multi_thread")]
async fn an_applied_revision_edited_since_is_named_until_accepted() {
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    let create_user = "migration/src/versions/aaaaaaaaaaaa_create_user.rs";
    let add_post = "migration/src/versions/bbbbbbbbbbbb_add_post.rs";
    for file in [create_user, add_post] {
        let name = file.rsplit('/').next().unwrap();
        let source = std::fs::read_to_string(repo().join("fixtures/revisions").join(name)).unwrap();
        p.write(file, &source);
    }
    assert_success(&p.autogen(&["upgrade", "head"]));
    assert_eq!(
        checksummed(&p.database_url()).await,
        ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
    );

    // Layout and comments: the same ops.
    p.edit(create_user, |s| {
        s.replace(
            "    op.create_index(Index::new(\"idx-user-karma\", \"user\", [\"karma\"]));\n",
            "    // Leaderboards sort by karma.\n    op.create_index(Index::new(\n        \"idx-user-karma\",\n        \"user\",\n        [\"karma\"],\n    ));\n",
        )
    });
    let current = p.autogen(&["current"]);
    assert_success(&current);
    assert_eq!(stderr(&current), "");
    assert_eq!(stdout(&current), "bbbbbbbbbbbb (head)\n");

    // The ops: karma's default changes in a revision the database already ran.
    p.edit(create_user, |s| s.replace(".default(0)", ".default(1)"));
    let warning = format!(
        "warning: revision aaaaaaaaaaaa (create user, {}) was modified after it was applied: its ops are not \
         the ones this database ran. Revert the edit and put the change in a new revision, or, if the \
         database already matches the edited revision, run `autogen stamp aaaaaaaaaaaa --accept-checksum`\n",
        p.path(create_user).display()
    );
    let current = p.autogen(&["current"]);
    assert_success(&current);
    assert_eq!(stderr(&current), warning);
    assert_eq!(stdout(&current), "bbbbbbbbbbbb (head)\n");
    let check = p.autogen(&["check"]);
    assert!(stderr(&check).ends_with(&warning), "{}", stderr(&check));
    let upgrade = p.autogen(&["upgrade", "head"]);
    assert_success(&upgrade);
    assert_eq!(stderr(&upgrade), warning);

    let accept = p.autogen(&["stamp", "aaaaaaaaaaaa", "--accept-checksum"]);
    assert_success(&accept);
    assert_eq!(
        stderr(&accept),
        "Recorded the ops of revision aaaaaaaaaaaa as they are now as the ones it was applied with\n"
    );
    let current = p.autogen(&["current"]);
    assert_eq!(stderr(&current), "");
    assert_eq!(
        stdout(&current),
        "bbbbbbbbbbbb (head)\n",
        "the version table did not move"
    );

    // Undone, a revision has no checksum; editing it then is what revisions are for.
    let down = p.autogen(&["downgrade", "-1"]);
    assert_success(&down);
    assert_eq!(checksummed(&p.database_url()).await, ["aaaaaaaaaaaa"]);
    p.edit(add_post, |s| {
        s.replace(
            "\"bio\", ColumnType::Text",
            "\"bio\", ColumnType::String(StringLen::N(500))",
        )
    });
    let current = p.autogen(&["current"]);
    assert_eq!(stderr(&current), "");
    let up = p.autogen(&["upgrade", "head"]);
    assert_success(&up);
    assert_eq!(
        stderr(&up),
        "Running upgrade aaaaaaaaaaaa -> bbbbbbbbbbbb, add post\n"
    );
    let check = p.autogen(&["check"]);
    assert!(
        !stderr(&check).contains("warning: revision"),
        "{}",
        stderr(&check)
    );
}

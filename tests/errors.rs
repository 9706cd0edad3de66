use crate::util::{assert_success, stderr, Scratch};

#[test]
fn commands_outside_a_project_say_how_to_start_one() {
    let p = Scratch::empty();
    let out = p.autogen(&["upgrade", "head"]);
    // A configuration the command cannot use is exit 2, as a database it cannot reach.
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.starts_with("error: no autogen.toml in "), "{message}");
    assert!(
        message
            .trim_end()
            .ends_with("run `autogen init migration` to create one"),
        "{message}"
    );
}

#[test]
fn init_never_overwrites() {
    let p = Scratch::empty();
    assert_success(&p.autogen(&["init", "migration"]));
    let config = std::fs::read_to_string(p.path("autogen.toml")).unwrap();
    let again = p.autogen(&["init", "other"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("autogen.toml already exists"));
    assert_eq!(std::fs::read_to_string(p.path("autogen.toml")).unwrap(), config);
    assert!(!p.path("other").exists());
}

#[test]
fn usage_errors_exit_with_2() {
    let p = Scratch::empty();
    let out = p.autogen(&["upgrade"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("<REVISION>"));
}

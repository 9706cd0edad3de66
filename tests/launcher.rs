use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use crate::util::{assert_success, raw_stderr, stdout, Scratch};

#[test]
fn cargo_runs_only_when_something_the_migration_crate_is_built_from_changed() {
    let p = Scratch::with_entities(&[("user", "user_v1.rs")]);
    // A cargo that notes each call, then is cargo.
    let calls = p.path("cargo-calls");
    let cargo = p.path("cargo");
    fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexec '{}' \"$@\"\n",
            calls.display(),
            env!("CARGO")
        ),
    )
    .unwrap();
    fs::set_permissions(&cargo, fs::Permissions::from_mode(0o755)).unwrap();
    let vars = [("CARGO", cargo.to_str().unwrap())];
    let autogen = |args: &[&str]| {
        let output = p.autogen_with_env(args, &vars);
        assert_success(&output);
        output
    };
    let cargo_calls = || fs::read_to_string(&calls).map_or(0, |text| text.lines().count());

    // The scratch files are dated ahead (`write_newer`); the launcher
    // remembers no build that started before a source's time.
    std::thread::sleep(Duration::from_secs(2));
    autogen(&["revision", "-m", "first", "--rev-id", "aaaaaaaaaaaa"]);
    assert_eq!(cargo_calls(), 1);
    // A new revision file: built in.
    assert!(stdout(&autogen(&["history"])).contains("first"));
    assert_eq!(cargo_calls(), 2);

    let fresh = autogen(&["history", "-v"]);
    assert_eq!(cargo_calls(), 2, "nothing changed, so no cargo");
    assert!(
        raw_stderr(&fresh).starts_with("Skipped cargo: nothing "),
        "{}",
        raw_stderr(&fresh)
    );
    assert!(stdout(&fresh).contains("first"));

    p.edit("migration/src/versions/aaaaaaaaaaaa_first.rs", |s| {
        s.replace("message: \"first\"", "message: \"edited\"")
    });
    assert!(
        stdout(&autogen(&["history"])).contains("edited"),
        "rebuilt after the edit"
    );
    assert_eq!(cargo_calls(), 3);
}

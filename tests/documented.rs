use std::fs;
use std::path::Path;
use std::process::Command;

use crate::markdown::{console_examples, ConsoleExample};
use crate::util::{assert_success, repo, stdout, without_build_lines, Scratch};

/// A document's console examples, run one at a time in a project whose
/// state the test sets up before each.
struct Examples<'p> {
    document: &'static str,
    project: &'p Scratch,
    /// The examples not run yet.
    left: Vec<ConsoleExample>,
    /// Revision ids the examples wrote at random, and the placeholder the
    /// document shows for each.
    ids: Vec<(String, &'static str)>,
}

impl<'p> Examples<'p> {
    fn of(document: &'static str, project: &'p Scratch) -> Self {
        let text = fs::read_to_string(repo().join(document)).unwrap();
        Self {
            document,
            project,
            left: console_examples(&text),
            ids: Vec::new(),
        }
    }

    /// Runs the example whose command is `command` and compares what it printed with what the document shows.
    fn run(&mut self, command: &str) {
        self.run_example(command, None);
    }

    /// [`Examples::run`] for an example that writes a revision with a
    /// random id, which the document shows as `placeholder`.
    fn run_naming(&mut self, command: &str, placeholder: &'static str) {
        self.run_example(command, Some(placeholder));
    }

    fn run_example(&mut self, command: &str, placeholder: Option<&'static str>) {
        let document = self.document;
        let at = self
            .left
            .iter()
            .position(|example| example.command == command)
            .unwrap_or_else(|| panic!("{document} has no console example `$ {command}` left to run"));
        let example = self.left.remove(at);
        let before = self.project.revision_files();
        let output = run_line(self.project, command);
        if let Some(placeholder) = placeholder {
            let written: Vec<_> = self
                .project
                .revision_files()
                .into_iter()
                .filter(|file| !before.contains(file))
                .collect();
            let [file] = written.as_slice() else {
                panic!("`{command}` wrote {written:?}, not one revision");
            };
            let name = file.file_name().unwrap().to_str().unwrap();
            let id = name.split_once('_').unwrap().0.to_owned();
            self.ids.push((id, placeholder));
        }
        let printed = self.normalized(&without_build_lines(&stdout(&output)));
        assert_eq!(
            printed, example.output,
            "{document}:{}: `$ {command}` printed otherwise ({})",
            example.line, output.status
        );
    }

    /// `text` with the project's directory as `/path/to/` and the random
    /// revision ids as their placeholders, as the documents show them.
    fn normalized(&self, text: &str) -> String {
        let root = self.project.path("");
        let mut text = text.replace(root.to_str().unwrap(), "/path/to/");
        for (id, placeholder) in &self.ids {
            text = text.replace(id, placeholder);
        }
        text
    }

    /// Requires every example to have run but those in `excluded`.
    fn finish(self, excluded: &[&str]) {
        let missed: Vec<String> = self
            .left
            .iter()
            .filter(|example| !excluded.contains(&example.command.as_str()))
            .map(|example| format!("{}:{}: $ {}", self.document, example.line, example.command))
            .collect();
        assert!(missed.is_empty(), "console examples not run: {missed:#?}");
    }
}

/// Runs a documented command line as a shell in the project would, with
/// `autogen` the binary under test and stderr in stdout's place, as a
/// terminal shows both.
fn run_line(project: &Scratch, line: &str) -> std::process::Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_autogen")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut command = Command::new("sh");
    command.arg("-c").arg(format!("{line} 2>&1"));
    project.run_prepared(command, &[("PATH", &path)])
}

/// Runs `autogen args…` to set up the next example; it must succeed.
fn set_up(project: &Scratch, args: &[&str]) {
    assert_success(&project.autogen(args));
}

/// docs/commands.md's story: `user` with an indexed `name`, a revision
/// "create user", then `user.bio` and `post` in "add bio and post"; its
/// heads and branches come from a branched history of their own.
#[test]
fn the_commands_reference_prints_what_its_console_examples_show() {
    let p = Scratch::reading_entities(&[("user", "user_v1.rs")]);
    let mut docs = Examples::of("docs/commands.md", &p);

    docs.run_naming(
        "autogen revision --autogenerate -m \"create user\"",
        "aaaaaaaaaaaa",
    );
    set_up(&p, &["upgrade", "head"]);
    p.set_entities(&[("user", "user_v2.rs"), ("post", "post.rs")]);
    set_up(
        &p,
        &[
            "revision",
            "--autogenerate",
            "-m",
            "add bio and post",
            "--rev-id",
            "bbbbbbbbbbbb",
        ],
    );
    set_up(&p, &["downgrade", "base"]);
    docs.run("autogen upgrade head");
    docs.run("autogen downgrade -1");
    set_up(&p, &["upgrade", "head"]);
    docs.run("autogen current");
    docs.run("autogen history");
    docs.run("autogen check");
    docs.run("autogen verify");
    docs.run("autogen inspect --table post");

    // The branched history: two roots, one of them forked.
    for file in p.revision_files() {
        fs::remove_file(file).unwrap();
    }
    set_up(&p, &["revision", "-m", "create user", "--rev-id", "aaaa1"]);
    set_up(&p, &["revision", "-m", "add x", "--rev-id", "bbbb2"]);
    set_up(
        &p,
        &["revision", "-m", "shop", "--head", "base", "--rev-id", "ssss1"],
    );
    set_up(
        &p,
        &["revision", "-m", "cart", "--head", "ssss1", "--rev-id", "ssss2"],
    );
    set_up(
        &p,
        &[
            "revision", "-m", "fork", "--head", "aaaa1", "--splice", "--rev-id", "cccc3",
        ],
    );
    docs.run("autogen heads");
    docs.run("autogen branches");
    docs.finish(&[]);
}

/// The README's story: `user` gains `bio` in "add user bio" on top of
/// "create user", which is applied and undone; then `bio` goes again.
#[test]
fn the_readme_prints_what_its_console_examples_show() {
    let p = Scratch::reading_entities(&[("user", "user_v1.rs")]);
    let mut readme = Examples::of("README.md", &p);

    set_up(
        &p,
        &[
            "revision",
            "--autogenerate",
            "-m",
            "create user",
            "--rev-id",
            "ffa946187c97",
        ],
    );
    set_up(&p, &["upgrade", "head"]);
    let with_bio = |s: &str| {
        s.replace(
            "pub karma: i32,\n",
            "pub karma: i32,\n    pub bio: Option<String>,\n",
        )
    };
    p.edit("entity/src/user.rs", with_bio);
    readme.run_naming(
        "autogen revision --autogenerate -m \"add user bio\"",
        "67b6d261ac8f",
    );
    readme.run("autogen upgrade head");
    readme.run("autogen downgrade -1");

    set_up(&p, &["upgrade", "head"]);
    p.set_entities(&[("user", "user_v1.rs")]);
    readme.run("autogen revision --autogenerate -m \"drop bio\"");
    readme.finish(&[
        // It elides the tables of the database it adopts.
        "autogen baseline",
    ]);
}

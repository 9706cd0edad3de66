//! The `autogen` launcher: `init` here, every other command in the project's
//! migration crate, found through the nearest autogen.toml.

fn main() -> std::process::ExitCode {
    autogen::launcher::launch()
}

//! How a command prints besides its answer: progress, warnings and
//! `--verbose` details, styled only where the stream takes colour.

use std::io::{IsTerminal as _, Write as _};

use anstyle::{AnsiColor, Color, Style};
use autogen_codegen::ReportLine;

use super::Cli;

/// How `error:` looks on a terminal, as clap shows its own errors.
pub(super) const ERROR_STYLE: Style = Style::new().bold().fg_color(Some(Color::Ansi(AnsiColor::Red)));
/// How `warning:` and `WARNING` look on a terminal.
const WARNING_STYLE: Style = Style::new().bold().fg_color(Some(Color::Ansi(AnsiColor::Yellow)));

/// Whether to colour a stream: only a terminal, and never when `NO_COLOR`
/// is set to anything but nothing (no-color.org). Unlike clap's own choice,
/// `CLICOLOR_FORCE` does not colour a pipe: captured output stays plain.
pub(crate) fn wants_color(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && no_color.is_none_or(|value| value.is_empty())
}

/// `stream`, keeping the styles written to it only where [`wants_color`] says so.
pub(super) fn styled<S: anstream::stream::RawStream>(stream: S) -> anstream::AutoStream<S> {
    let is_terminal = anstream::stream::IsTerminal::is_terminal(&stream);
    let color = wants_color(is_terminal, std::env::var_os("NO_COLOR").as_deref());
    let choice = if color {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    };
    anstream::AutoStream::new(stream, choice)
}

/// What a command prints besides its answer, as `--quiet` and `--verbose` ask.
pub(crate) struct Console {
    pub(crate) quiet: bool,
    pub(crate) verbose: bool,
}

impl Console {
    pub(crate) fn new(cli: &Cli) -> Self {
        Self {
            quiet: cli.quiet,
            verbose: cli.verbose,
        }
    }

    /// A line about the work going on (`Running upgrade …`), left out by `--quiet`.
    pub(crate) fn progress(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            let _ = writeln!(styled(std::io::stderr()), "{line}");
        }
    }

    /// A line only `--verbose` asks for.
    pub(crate) fn detail(&self, line: impl std::fmt::Display) {
        if self.verbose {
            let _ = writeln!(styled(std::io::stderr()), "{line}");
        }
    }

    /// Something the user should act on; printed even with `--quiet`.
    pub(crate) fn warn(&self, message: impl std::fmt::Display) {
        let style = WARNING_STYLE;
        let _ = writeln!(styled(std::io::stderr()), "{style}warning:{style:#} {message}");
    }

    /// Autogenerate's `Detected …` lines, each `WARNING` line under its op
    /// (they say what can lose data) printed even with `--quiet`.
    pub(crate) fn detected(&self, lines: Vec<ReportLine>) {
        for line in lines {
            match line {
                ReportLine::Warning(change) => {
                    let style = WARNING_STYLE;
                    let _ = writeln!(styled(std::io::stderr()), "  {style}WARNING{style:#} {change}");
                }
                detected @ ReportLine::Detected(_) => self.progress(detected),
            }
        }
    }
}

/// Whether stdout takes colour ([`wants_color`]).
pub(super) fn color_stdout() -> bool {
    wants_color(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::wants_color;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(wants_color(true, None));
        assert!(
            wants_color(true, empty),
            "NO_COLOR set to nothing is unset (no-color.org)"
        );
        assert!(!wants_color(true, set));
        assert!(!wants_color(false, None));
        assert!(!wants_color(false, set));
    }
}

//! The only place that writes to the terminal. stdout carries reports; everything
//! else (warnings, errors, progress) goes to stderr.
#![expect(clippy::print_stderr, reason = "the binary's stderr printer")]

use std::io::IsTerminal;
use std::sync::OnceLock;

use crate::cli::{ColorChoice, GlobalArgs};

static QUIET: OnceLock<bool> = OnceLock::new();
static STDOUT_COLOR: OnceLock<bool> = OnceLock::new();

/// Configures colour (honouring `NO_COLOR` and `FORCE_COLOR`) and quietness once.
pub(crate) fn init(global: &GlobalArgs) {
    let _ = QUIET.set(global.quiet);
    let color = match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else if std::env::var_os("FORCE_COLOR").is_some_and(|v| !v.is_empty()) {
                true
            } else {
                std::io::stderr().is_terminal()
            }
        }
    };
    let _ = STDOUT_COLOR.set(match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            color
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    });
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .width(100)
                .build(),
        )
    }));
}

/// Whether reports on stdout may use colour.
pub(crate) fn stdout_color() -> bool {
    STDOUT_COLOR.get().copied().unwrap_or(false)
}

fn quiet() -> bool {
    QUIET.get().copied().unwrap_or(false)
}

/// An error that ends the command or marks one input as failed.
pub(crate) fn error(report: &miette::Report) {
    eprintln!("{report:?}");
}

/// A warning about the input (shown unless `--quiet`).
pub(crate) fn warning(message: &str) {
    if !quiet() {
        eprintln!("warning: {message}");
    }
}

/// A short status line on stderr (shown unless `--quiet`).
pub(crate) fn status(message: &str) {
    if !quiet() {
        eprintln!("{message}");
    }
}

/// A line that is part of a command's contract (the proxy's listening line): printed
/// even with `--quiet`.
pub(crate) fn always(message: &str) {
    eprintln!("{message}");
}

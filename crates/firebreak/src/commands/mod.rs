mod advisories;
mod init;
mod inventory;
mod sbom;
mod scan;

use std::io::Write;

use camino::Utf8Path;
use miette::{IntoDiagnostic, WrapErr};

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;
use crate::load::Loaded;
use crate::printer;

pub(crate) fn run(cli: Cli) -> miette::Result<ExitStatus> {
    match cli.command {
        Command::Inventory(args) => inventory::run(&args, !cli.global.quiet),
        Command::Sbom(args) => sbom::run(&args, !cli.global.quiet),
        Command::Scan(args) => scan::run(&args, !cli.global.quiet),
        Command::Init(args) => init::run(&args),
    }
}

/// Prints every warning and input error of the input stage and returns the exit status
/// it implies: an unreadable input makes the whole run exit 2, after the rest was processed.
fn report_inputs(loaded: &Loaded) -> ExitStatus {
    for warning in &loaded.warnings {
        printer::warning(warning);
    }
    for error in &loaded.errors {
        printer::error(&error.report);
    }
    if loaded.errors.is_empty() { ExitStatus::Success } else { ExitStatus::Error }
}

/// Writes `bytes` to `output` or stdout. A closed stdout pipe (`| head`) is not an error.
fn write_output(output: Option<&Utf8Path>, bytes: &[u8]) -> miette::Result<()> {
    match output {
        Some(path) => {
            fs_err::write(path, bytes).into_diagnostic().wrap_err_with(|| format!("cannot write `{path}`"))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.into_diagnostic().wrap_err("cannot write to stdout"),
            }
        }
    }
}

mod advisories;
mod check;
mod db;
mod explain;
mod init;
mod inspect;
mod inventory;
mod proxy;
mod registry;
mod sbom;
mod scan;
mod spec;

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
        Command::Check(args) => check::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Db(command) => db::run(&command),
        Command::Inspect(args) => inspect::run(&args),
        Command::Diff(args) => inspect::run_diff(&args),
        Command::Proxy(args) => proxy::run(&args),
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Every signal an analyzer can raise has a page, ids are unique and kebab-case, and
    /// no page is left over from a removed signal.
    #[test]
    fn every_signal_is_documented() {
        let pages: BTreeSet<&str> = super::explain::PAGES.iter().map(|(id, _)| *id).collect();
        assert_eq!(pages.len(), super::explain::PAGES.len(), "duplicate page");
        let mut signals: BTreeSet<&str> = firebreak_analysis::all_signals().iter().map(|s| s.id).collect();
        signals.extend(super::advisories::SIGNAL_IDS);
        assert_eq!(pages, signals);
        for id in &signals {
            assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{id} is not kebab-case");
            let page =
                super::explain::PAGES.iter().find(|(p, _)| p == id).map(|(_, t)| *t).unwrap_or_default();
            assert!(page.starts_with(&format!("# {id}\n")), "{id}: page starts with its id");
            let index = include_str!("../../../../docs/signals/README.md");
            assert!(index.contains(&format!("[{id}]({id}.md)")), "{id} missing from docs/signals/README.md");
        }
    }
}

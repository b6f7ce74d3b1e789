//! The `firebreak` command line: wires discovery, extraction and output together.
//! Libraries below it never print; this binary owns stdout (reports) and stderr
//! (progress, warnings, errors).

mod cli;
mod commands;
mod content;
mod exit;
mod load;
mod printer;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    printer::init(&cli.global);
    let code = match commands::run(cli) {
        Ok(code) => code,
        Err(report) => {
            printer::error(&report);
            exit::ExitStatus::Error
        }
    };
    code.into()
}

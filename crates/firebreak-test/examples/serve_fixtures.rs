//! Serves a registry fixture tree on 127.0.0.1 for scripts (benchmarks, manual runs).
//!
//! `serve_fixtures ROOT` prints the npm registry URL on the first line of stdout, then
//! serves until stdin closes or the process is killed. `ROOT` defaults to the repository's
//! `fixtures/registry`.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use firebreak_test::FixtureRegistry;

fn main() {
    let root = std::env::args_os().nth(1).map_or_else(firebreak_test::registry_fixtures, PathBuf::from);
    if !root.is_dir() {
        let _ = writeln!(std::io::stderr(), "serve_fixtures: `{}` is not a directory", root.display());
        std::process::exit(2);
    }
    let registry = FixtureRegistry::start(root);
    let mut stdout = std::io::stdout().lock();
    // The script reads this line to learn the port; flush so it does not wait for more.
    if writeln!(stdout, "{}", registry.npm_url()).and_then(|()| stdout.flush()).is_err() {
        std::process::exit(1);
    }
    drop(stdout);
    // Reading to end of input blocks until the writer closes stdin; a script that wants the
    // server for longer keeps stdin open (or kills the process).
    let stdin = std::io::stdin().lock();
    for line in stdin.lines() {
        if line.is_err() {
            break;
        }
    }
    drop(registry);
}

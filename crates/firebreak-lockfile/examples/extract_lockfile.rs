//! Extracts one lockfile and reports its size and the time taken, for whole-process
//! measurements (peak memory with `/usr/bin/time -v`):
//! `cargo run --release -p firebreak-lockfile --example extract_lockfile -- package-lock.json`.
#![expect(clippy::print_stdout, reason = "a measuring tool whose output is stdout")]

use std::time::Instant;

use camino::Utf8PathBuf;

fn main() -> Result<(), firebreak_lockfile::ExtractError> {
    let path = Utf8PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "package-lock.json".to_owned()));
    let start = Instant::now();
    let inventory = firebreak_lockfile::read_lockfile(&path)?;
    let elapsed = start.elapsed();
    println!(
        "{path}: {} packages, {} edges, {} roots in {:.1} ms",
        inventory.packages.len(),
        inventory.edges.len(),
        inventory.roots.len(),
        elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}

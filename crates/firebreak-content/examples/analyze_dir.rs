//! Analyses unpacked package directories and prints each verdict with its reasons:
//! `cargo run --release -p firebreak-content --example analyze_dir -- DIR...`
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::path::Path;
use std::time::Instant;

use firebreak_content::{PackageFile, analyze, score};

fn read(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file()
                && let Ok(data) = fs_err::read(&path)
            {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, data));
            }
        }
    }
    out.sort();
    out
}

fn main() {
    let verbose = std::env::var_os("VERBOSE").is_some();
    for dir in std::env::args().skip(1) {
        let files = read(Path::new(&dir));
        let package: Vec<PackageFile<'_>> =
            files.iter().map(|(p, d)| PackageFile { path: p, data: d, executable: false }).collect();
        let started = Instant::now();
        let analysis = analyze(&package);
        let elapsed = started.elapsed();
        let verdict = score(&analysis, &[]);
        println!(
            "{dir}: {} score {} ({} code files, {:.1} MB, {:.0} ms, {:.1} MB/s)",
            verdict.verdict.as_str(),
            verdict.score,
            analysis.code_files,
            analysis.code_bytes as f64 / 1e6,
            elapsed.as_secs_f64() * 1e3,
            analysis.code_bytes as f64 / 1e6 / elapsed.as_secs_f64()
        );
        for reason in &verdict.reasons {
            println!("    {reason}");
        }
        if verbose {
            for hit in &analysis.hits {
                println!("      {} {:?} {}:{} {}", hit.signal.id, hit.phase, hit.path, hit.line, hit.message);
            }
        }
    }
}

//! Reads package archives N times each and reports files, skipped entries and time per
//! read, for throughput and whole-process measurements (peak memory with
//! `/usr/bin/time -v`):
//! `cargo run --release -p firebreak-archive --example read_archive -- 100 is-number-7.0.0.tgz`.
//! Archives named `.tgz`, `.tar.gz`, `.crate`, `.whl` or `.zip`; the ratio limit is lifted
//! so that any real package can be timed.
#![expect(clippy::print_stdout, reason = "a measuring tool whose output is stdout")]

use std::error::Error;
use std::time::Instant;

use firebreak_archive::{Limits, detect_kind, read_archive, verify_integrity};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let iterations: u32 = args.next().ok_or("usage: read_archive ITERATIONS FILE...")?.parse()?;
    let limits = Limits { max_ratio: u64::MAX, ..Limits::default() };
    for path in args {
        let bytes = fs_err::read(&path)?;
        let kind =
            detect_kind(&path, &bytes).ok_or_else(|| format!("`{path}`: not a package archive name"))?;
        let first = read_archive(&path, &bytes, kind, &limits)?;
        let start = Instant::now();
        for _ in 0..iterations {
            read_archive(&path, &bytes, kind, &limits)?;
        }
        let read = start.elapsed().as_secs_f64() / f64::from(iterations.max(1));
        let start = Instant::now();
        for _ in 0..iterations {
            let _ = verify_integrity(&bytes, "sha512-AAAA");
        }
        let sha512 = start.elapsed().as_secs_f64() / f64::from(iterations.max(1));
        println!(
            "{path}: {} B -> {} B, {} files, {} skipped; read {:.3} ms ({:.0} MB/s uncompressed), sha512 {:.3} ms",
            bytes.len(),
            first.uncompressed_size,
            first.files.len(),
            first.skipped.len(),
            read * 1e3,
            first.uncompressed_size as f64 / read / 1e6,
            sha512 * 1e3,
        );
    }
    Ok(())
}

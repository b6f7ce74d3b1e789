//! Parse time of synthetic package-lock.json files (lockfileVersion 3) of 10,000 and
//! 100,000 packages: the targets are < 100 ms and < 1 s on a 2-core machine.
//! The generator (`benches/support/synthetic.rs`, also run by `examples/gen_package_lock.rs` for
//! whole-process runs) writes entries that each have
//! `version`, `resolved`, `integrity` and a few dependencies; one in ten is dev, one in
//! twenty is nested under another package.

use camino::Utf8Path;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use firebreak_lockfile::{NoFileSystem, Source, extractor_by_hint};

#[path = "support/synthetic.rs"]
mod synthetic;

use synthetic::synthetic_package_lock;

fn parse(c: &mut Criterion) {
    let Some(extractor) = extractor_by_hint("package-lock.json") else { return };
    let mut group = c.benchmark_group("package-lock");
    group.sample_size(10);
    for size in [10_000usize, 100_000] {
        let text = synthetic_package_lock(size);
        group.throughput(Throughput::Elements(size as u64));
        group.bench_function(format!("{size}-packages"), |b| {
            b.iter(|| {
                let source = Source {
                    path: Utf8Path::new("package-lock.json"),
                    bytes: text.as_bytes(),
                    files: &NoFileSystem,
                };
                extractor.extract(&source).map(|inv| inv.packages.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);

//! Shared entry points for the fuzz targets: each target feeds arbitrary bytes to one
//! parser of hostile input. A panic, a hang or an out-of-memory is a bug; an error is not.

use camino::Utf8Path;
use firebreak_lockfile::{NoFileSystem, Source, extractor_by_hint};

/// Runs the extractor that reads `file_name` on `data`.
pub fn extract(file_name: &str, data: &[u8]) {
    let Some(extractor) = extractor_by_hint(file_name) else {
        panic!("no extractor for `{file_name}`");
    };
    let source = Source { path: Utf8Path::new(file_name), bytes: data, files: &NoFileSystem };
    if let Ok(inventory) = extractor.extract(&source) {
        // Walk the graph too: a dangling id would panic here.
        let graph = inventory.graph();
        let parents = graph.parents();
        for i in 0..inventory.packages.len() {
            let _ = firebreak_core::Graph::chain(&parents, firebreak_core::PackageId(i as u32));
        }
    }
}

/// Runs the SBOM reader on `data`.
pub fn sbom(data: &[u8]) {
    let _ = firebreak_sbom::read(data, "fuzz.json");
}

/// Parses `data` as one OSV record and, when it parses, matches it against a few versions
/// in every ecosystem (the range evaluation sees hostile events and versions).
pub fn osv(data: &[u8]) {
    if let Ok(record) = firebreak_advisory::Record::from_slice("fuzz.json", data) {
        let _ = record.kind();
        let _ = record.severity();
        for eco in firebreak_core::Ecosystem::ALL {
            for version in ["0", "1.0.0", "v1.2.3", "2.0.0-rc.1", "1.0a1"] {
                let _ = firebreak_advisory::affects(&record, eco, "x", version);
            }
        }
    }
}

/// Parses `data` as a policy file.
pub fn policy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = firebreak_policy::parse("firebreak.toml", text);
    }
}

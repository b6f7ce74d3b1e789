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

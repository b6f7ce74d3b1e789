//! Helpers shared by the integration tests: the real records under `data/osv/`.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::PathBuf;

use firebreak_advisory::Record;

/// `data/osv/` of this crate.
pub fn osv_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data").join("osv")
}

/// The bytes of `data/osv/<rel>`.
pub fn raw(rel: &str) -> Vec<u8> {
    fs_err::read(osv_dir().join(rel)).unwrap()
}

/// The parsed record `data/osv/<rel>`.
pub fn record(rel: &str) -> Record {
    Record::from_slice(rel, &raw(rel)).unwrap()
}

/// Every file under `data/osv/`, relative, `/`-separated, sorted.
pub fn all_files() -> Vec<String> {
    let mut out = Vec::new();
    let root = osv_dir();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs_err::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(&root).unwrap();
                out.push(
                    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
                );
            }
        }
    }
    out.sort();
    out
}

//! What the extractor tests share: fixture paths relative to the repository root, so
//! inventories carry repo-relative paths, and a file system rooted there.
// Each test binary uses a different subset.
#![allow(dead_code, unreachable_pub)]

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_lockfile::FileSystem;

/// The repository root.
pub fn repo_root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Reads files relative to the repository root.
pub struct RepoFs;

impl FileSystem for RepoFs {
    fn read(&self, path: &Utf8Path) -> std::io::Result<Vec<u8>> {
        fs_err::read(repo_root().join(path))
    }
}

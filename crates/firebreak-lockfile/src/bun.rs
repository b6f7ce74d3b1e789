use camino::Utf8Path;
use firebreak_core::Inventory;

use crate::{ExtractError, Extractor, Source};

/// Reads `bun.lock`.
pub(crate) struct BunLock;

impl Extractor for BunLock {
    fn id(&self) -> &'static str {
        "bun/lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "bun.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        Err(ExtractError::UnknownFormat { path: source.path.to_owned() })
    }
}

/// Recognises `bun.lockb` to explain how to produce the text lockfile.
pub(crate) struct BunLockb;

impl Extractor for BunLockb {
    fn id(&self) -> &'static str {
        "bun/lockb"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "bun.lockb"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        Err(ExtractError::BunBinary { path: source.path.to_owned() })
    }
}

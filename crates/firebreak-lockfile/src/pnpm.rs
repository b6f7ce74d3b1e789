use camino::Utf8Path;
use firebreak_core::Inventory;

use crate::{ExtractError, Extractor, Source};

/// Reads `pnpm-lock.yaml`.
pub(crate) struct PnpmLock;

impl Extractor for PnpmLock {
    fn id(&self) -> &'static str {
        "pnpm/lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "pnpm-lock.yaml"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        Err(ExtractError::UnknownFormat { path: source.path.to_owned() })
    }
}

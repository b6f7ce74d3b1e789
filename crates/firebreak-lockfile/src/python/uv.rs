use camino::Utf8Path;
use firebreak_core::Inventory;

use crate::{ExtractError, Extractor, Source};

/// Reads `uv.lock`.
pub(crate) struct UvLock;

impl Extractor for UvLock {
    fn id(&self) -> &'static str {
        "pypi/uv-lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "uv.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        Err(ExtractError::UnknownFormat { path: source.path.to_owned() })
    }
}

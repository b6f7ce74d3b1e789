use camino::Utf8Path;
use firebreak_core::Inventory;

use crate::{ExtractError, Extractor, Source};

/// Reads `pylock.toml`.
pub(crate) struct PyLock;

impl Extractor for PyLock {
    fn id(&self) -> &'static str {
        "pypi/pylock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "pylock.toml"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        Err(ExtractError::UnknownFormat { path: source.path.to_owned() })
    }
}

use camino::Utf8Path;
use firebreak_core::Inventory;

use crate::{ExtractError, Extractor, Source};

/// Reads `pdm.lock`.
pub(crate) struct PdmLock;

impl Extractor for PdmLock {
    fn id(&self) -> &'static str {
        "pypi/pdm-lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "pdm.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        Err(ExtractError::UnknownFormat { path: source.path.to_owned() })
    }
}

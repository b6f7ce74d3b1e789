use camino::Utf8Path;
use firebreak_core::Inventory;

use crate::{ExtractError, Extractor, Source};

/// Reads `requirements.txt`.
pub(crate) struct Requirements;

impl Extractor for Requirements {
    fn id(&self) -> &'static str {
        "pypi/requirements"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "requirements.txt"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        Err(ExtractError::UnknownFormat { path: source.path.to_owned() })
    }
}

use camino::Utf8Path;
use firebreak_core::Inventory;

use crate::{ExtractError, Extractor, Source};

/// Reads `go.mod`.
pub(crate) struct GoMod;

impl Extractor for GoMod {
    fn id(&self) -> &'static str {
        "go/mod"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "go.mod"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        Err(ExtractError::UnknownFormat { path: source.path.to_owned() })
    }
}

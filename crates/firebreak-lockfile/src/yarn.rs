use camino::Utf8Path;
use firebreak_core::Inventory;

use crate::{ExtractError, Extractor, Source};

/// Reads `yarn.lock`.
pub(crate) struct YarnLock;

impl Extractor for YarnLock {
    fn id(&self) -> &'static str {
        "yarn/lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "yarn.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        Err(ExtractError::UnknownFormat { path: source.path.to_owned() })
    }
}

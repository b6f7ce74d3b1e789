//! The default advisory snapshot embedded in the binary: a small set of real OSV records
//! (see `data/README.md` for their sources, licences and provenance), so that a first
//! `scan` works before any `db update`.

use std::sync::OnceLock;

use crate::Timestamp;
use crate::error::StoreError;
use crate::osv::Record;
use crate::snapshot_files::FILES;
use crate::store::{Database, ImportReport, SourceInfo};

/// The source name the snapshot is recorded under.
pub const SNAPSHOT_SOURCE: &str = "default-snapshot";

/// The embedded snapshot's files: path under `data/osv/` (`npm/MAL-2025-46969.json`) and the
/// file's bytes, unchanged from upstream.
pub fn default_snapshot_files() -> &'static [(&'static str, &'static [u8])] {
    FILES
}

/// How current the embedded snapshot is: the newest `modified` among its records, so that
/// reports can say how old the default data is. `None` only if no record parses, which
/// the crate's tests rule out.
pub fn default_snapshot_date() -> Option<Timestamp> {
    static DATE: OnceLock<Option<Timestamp>> = OnceLock::new();
    *DATE.get_or_init(|| {
        FILES
            .iter()
            .filter_map(|(name, bytes)| Record::from_slice(name, bytes).ok())
            .map(|r| r.modified)
            .max()
    })
}

impl Database {
    /// Imports the embedded snapshot into this database, under the source
    /// [`SNAPSHOT_SOURCE`] with `fetched_at` set to the snapshot's date.
    pub fn load_default_snapshot(&mut self) -> Result<ImportReport, StoreError> {
        let source = SourceInfo {
            fetched_at: default_snapshot_date(),
            ..SourceInfo::new(SNAPSHOT_SOURCE, "embedded")
        };
        self.import_files(&source, FILES.iter().copied())
    }

    /// An in-memory database holding only the embedded snapshot.
    pub fn from_default_snapshot() -> Result<Database, StoreError> {
        let mut db = Database::open_in_memory()?;
        db.load_default_snapshot()?;
        Ok(db)
    }
}

//! OSV advisories for firebreak: the schema model, matching of package versions against
//! records, CVSS scoring, and a SQLite store with an embedded default snapshot.
//!
//! - [`Record`] parses one OSV (schema 1.7) record, leniently about unknown fields and
//!   strictly about what matching needs; errors name the file and the JSON path.
//! - [`affects`] and [`match_records`] decide whether records affect `name@version` in an
//!   [`Ecosystem`](firebreak_core::Ecosystem), using that ecosystem's version order
//!   (node-semver, PEP 440, Cargo semver, Go) and the OSV evaluation algorithm, and merge
//!   records that share an alias into one [`Match`].
//! - [`Database`] stores raw records with an index by (ecosystem, normalised name) that
//!   carries each record's versions and ranges, so that matching reads only the records that
//!   affect a version; it imports directories and osv.dev `all.zip` archives (with size and
//!   ratio limits) and answers [`Database::query`] and [`Database::match_inventory`].
//!
//! ```
//! use firebreak_advisory::{Database, Kind};
//! use firebreak_core::Ecosystem;
//!
//! # fn main() -> Result<(), firebreak_advisory::StoreError> {
//! // The embedded snapshot; `Database::open(path)` + `import_zip`/`import_dir` for real data.
//! let db = Database::from_default_snapshot()?;
//! let matches = db.query(Ecosystem::Npm, "chalk", "5.6.1")?;
//! assert_eq!(matches[0].id, "MAL-2025-46969");
//! assert_eq!(matches[0].kind, Kind::Malicious);
//! let fixed = db.query(Ecosystem::PyPI, "Django", "4.2.2")?;
//! assert_eq!(fixed[0].fixed.as_deref(), Some("4.2.3"));
//! # Ok(())
//! # }
//! ```
//!
//! Pure and synchronous: no network and no clock (callers pass times in). The only I/O is
//! the SQLite file and reading the directory given to [`Database::import_dir`].
#![warn(missing_docs)]

mod error;
mod index;
mod matching;
mod osv;
mod severity;
mod snapshot;
mod snapshot_files;
mod store;

pub use error::{ImportError, RecordError, StoreError, ZipError};
pub use firebreak_core::Timestamp;
pub use matching::{Hit, Match, Reason, affects, match_records, names_package, osv_ecosystem, parse_version};
pub use osv::{
    Affected, Credit, Event, Kind, Package, Range, RangeType, Record, Reference, SeverityEntry, SeverityType,
};
pub use severity::{CvssScore, CvssVersion, Rating, Severity, score_vector};
pub use snapshot::{SNAPSHOT_SOURCE, default_snapshot_date, default_snapshot_files};
pub use store::{Database, ImportReport, KindCount, PackageMatch, SourceInfo, Status, ZipLimits};

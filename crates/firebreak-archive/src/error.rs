//! Errors that stop the reading of an archive. Problems with single entries are not
//! errors: they land in [`crate::Archive::skipped`].

use std::io;

use thiserror::Error;

use crate::{ArchiveKind, LimitKind};

/// Why an archive could not be read. Every variant names the archive as the caller gave it.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The bytes do not start like the expected format.
    #[error("`{archive}` is not a {expected}: {found}")]
    Format {
        /// The archive.
        archive: String,
        /// The kind the caller asked for.
        expected: ArchiveKind,
        /// What the bytes look like instead.
        found: String,
    },
    /// The gzip stream is corrupt or truncated.
    #[error(
        "failed to decompress `{archive}`: invalid gzip stream after {uncompressed} uncompressed bytes: {message}"
    )]
    Gzip {
        /// The archive.
        archive: String,
        /// Uncompressed bytes produced before the failure.
        uncompressed: u64,
        /// What the decompressor reported.
        message: String,
        /// The error kind (`UnexpectedEof` for a truncated stream).
        kind: io::ErrorKind,
    },
    /// The tar stream inside is corrupt or truncated.
    #[error("failed to read tar archive `{archive}` at byte {offset} of the uncompressed stream{}: {message}", after(.entry))]
    Tar {
        /// The archive.
        archive: String,
        /// Offset in the uncompressed tar stream where reading stopped.
        offset: u64,
        /// The last entry read, if any.
        entry: Option<String>,
        /// What was expected.
        message: String,
    },
    /// The zip structure is corrupt or one entry cannot be decompressed.
    #[error("failed to read zip archive `{archive}`{}: {source}", at(.entry))]
    Zip {
        /// The archive.
        archive: String,
        /// The entry being read, if the problem is in one.
        entry: Option<String>,
        /// What the zip reader reported.
        source: zip::result::ZipError,
    },
    /// A fatal limit was crossed: the archive is treated as a bomb.
    #[error("`{archive}` crosses the {limit} of {max}{}", at(.entry))]
    Limit {
        /// The archive.
        archive: String,
        /// The limit.
        limit: LimitKind,
        /// The limit's value (bytes, entries, or uncompressed bytes allowed by the ratio).
        max: u64,
        /// The entry being read when it was crossed.
        entry: Option<String>,
    },
    /// The archive holds no entries at all.
    #[error("`{archive}` contains no entries: expected at least one file")]
    Empty {
        /// The archive.
        archive: String,
    },
}

fn after(entry: &Option<String>) -> String {
    entry.as_ref().map(|e| format!(" (after entry `{e}`)")).unwrap_or_default()
}

fn at(entry: &Option<String>) -> String {
    entry.as_ref().map(|e| format!(" at entry `{e}`")).unwrap_or_default()
}

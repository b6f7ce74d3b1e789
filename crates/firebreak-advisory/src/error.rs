//! Errors of the advisory crate: per-record parse errors, per-file import errors, and
//! store failures.

use std::fmt;

use thiserror::Error;

/// An OSV record that could not be read: the file it came from, where in the JSON, and why.
#[derive(Debug, Clone, Error, PartialEq, Eq, miette::Diagnostic)]
#[diagnostic(help("OSV records are described at https://ossf.github.io/osv-schema/"))]
#[error("failed to parse OSV record `{file}` at `{json_path}`{}: {message}", position(*.line, *.column))]
pub struct RecordError {
    /// The file (or zip entry) name as given by the caller.
    pub file: String,
    /// JSONPath-like location of the problem (`$` is the whole document).
    pub json_path: String,
    /// 1-based line of the problem, when the JSON reader knows it.
    pub line: Option<u32>,
    /// 1-based column of the problem, when the JSON reader knows it.
    pub column: Option<u32>,
    /// What was expected.
    pub message: String,
}

fn position(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) if l > 0 => format!(" ({l}:{c})"),
        _ => String::new(),
    }
}

/// One input that an import skipped; the import goes on with the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file or zip entry.
    pub file: String,
    /// JSONPath-like location inside the file, when the problem is in its content.
    pub json_path: Option<String>,
    /// What went wrong, with the expected form.
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.json_path {
            Some(path) => write!(f, "`{}` at `{path}`: {}", self.file, self.message),
            None => write!(f, "`{}`: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ImportError {}

impl From<RecordError> for ImportError {
    fn from(e: RecordError) -> Self {
        let message = match (e.line, e.column) {
            (Some(l), Some(c)) if l > 0 => format!("{} (line {l}, column {c})", e.message),
            _ => e.message,
        };
        ImportError { file: e.file, json_path: Some(e.json_path), message }
    }
}

/// Why a zip archive was refused as a whole. Nothing from a refused archive is stored.
#[derive(Debug, Clone, Error, PartialEq, Eq, miette::Diagnostic)]
#[diagnostic(help(
    "an osv.dev export is a zip of small JSON files; check that this is the archive you meant"
))]
#[non_exhaustive]
pub enum ZipError {
    /// The bytes are not a zip archive the reader understands.
    #[error("not a readable zip archive: {0}")]
    Unreadable(String),
    /// More entries than [`ZipLimits::max_entries`](crate::ZipLimits::max_entries).
    #[error("zip archive has {found} entries, more than the limit of {limit}")]
    TooManyEntries {
        /// Entries in the archive.
        found: usize,
        /// The configured limit.
        limit: usize,
    },
    /// One entry unpacks to more than the per-entry limit.
    #[error("zip entry `{entry}` unpacks to more than {limit} bytes (the per-entry limit)")]
    EntryTooLarge {
        /// Entry name (only shown, never used as a path).
        entry: String,
        /// The configured limit in bytes.
        limit: u64,
    },
    /// The entries together unpack to more than the total limit.
    #[error("zip archive unpacks to more than {limit} bytes in total (the archive limit)")]
    TotalTooLarge {
        /// The configured limit in bytes.
        limit: u64,
    },
    /// An entry's compression ratio is that of a zip bomb, not of JSON text.
    #[error(
        "zip entry `{entry}` expands {ratio}x ({uncompressed} bytes from {compressed}), more than the limit of {limit}x"
    )]
    RatioTooHigh {
        /// Entry name (only shown, never used as a path).
        entry: String,
        /// Bytes after decompression (as far as they were read).
        uncompressed: u64,
        /// Bytes in the archive.
        compressed: u64,
        /// The observed ratio, rounded down.
        ratio: u64,
        /// The configured limit.
        limit: u64,
    },
    /// An entry could not be decompressed.
    #[error("zip entry `{entry}` could not be read: {message}")]
    Entry {
        /// Entry name.
        entry: String,
        /// The reader's message.
        message: String,
    },
}

/// A failure of the advisory store as a whole (per-record problems are [`ImportError`]s).
#[derive(Debug, Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("advisory database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file or directory could not be read.
    #[error("failed to read `{path}`: {source}")]
    Io {
        /// The path.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The database file was written by a newer firebreak.
    #[diagnostic(help("upgrade firebreak, or use another database file"))]
    #[error("advisory database has schema version {found}, this build understands up to {supported}")]
    SchemaVersion {
        /// Version found in the file.
        found: i64,
        /// Highest version this build reads.
        supported: i64,
    },
    /// The database file was written by an older firebreak in a layout this build cannot
    /// convert (records stored uncompressed).
    #[diagnostic(help("delete the database file and run `firebreak db update`"))]
    #[error("advisory database was written by an older firebreak in a layout this build no longer reads")]
    Outdated,
    /// A zip archive was refused.
    #[error("refused zip archive: {0}")]
    #[diagnostic(transparent)]
    Zip(#[from] ZipError),
    /// A stored record no longer parses (the file was edited or corrupted).
    #[error("stored advisory is damaged: {0}")]
    #[diagnostic(help("delete the database file and import the advisories again"))]
    Corrupt(#[from] RecordError),
}

use std::path::PathBuf;

use thiserror::Error;

/// Why a registry could not answer. URLs in messages never carry credentials: they live in
/// [`crate::Credentials`], never in a URL this crate keeps.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry has no such package (or version): HTTP 404 or 410. For a lockfile entry
    /// this means unpublished or removed, which is a finding of its own.
    #[error("`{url}` was not found (HTTP {status})")]
    NotFound {
        /// The URL asked for.
        url: String,
        /// 404 or 410.
        status: u16,
    },
    /// Offline mode and the document is not in the cache: the caller could not check it.
    #[error("offline: `{url}` is not in the cache")]
    NotCached {
        /// The URL that would have been fetched.
        url: String,
    },
    /// The per-run request budget is spent.
    #[error("the request budget of {limit} requests is spent; `{url}` was not fetched")]
    BudgetExhausted {
        /// The budget.
        limit: u32,
        /// The URL that was not fetched.
        url: String,
    },
    /// The document is larger than the configured maximum.
    #[error("`{url}` is larger than the {limit}-byte limit for registry documents{}", size.map(|s| format!(" ({s} bytes)")).unwrap_or_default())]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
        /// The size announced by the server, when it announced one.
        size: Option<u64>,
    },
    /// The connection failed (DNS, refused, reset, timeout) after every retry.
    #[error("cannot reach `{host}` after {retries} retries: {message}")]
    Network {
        /// The host.
        host: String,
        /// How many retries were made after the first attempt.
        retries: u32,
        /// The transport error.
        message: String,
    },
    /// The server answered with an error status (after retries for 429 and 5xx).
    #[error("`{url}` answered HTTP {status} after {retries} retries")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// How many retries were made.
        retries: u32,
    },
    /// The document as a whole could not be read (not JSON, or not the expected shape at its
    /// root). Single malformed fields are warnings in the history instead.
    #[error("malformed document from `{url}` at `{path}`: {message}")]
    Malformed {
        /// The URL.
        url: String,
        /// The JSON path (`$` for the root, `$.versions` …) or `line:column` for syntax errors.
        path: String,
        /// What was expected.
        message: String,
    },
    /// A package name the registry's URL scheme cannot carry.
    #[error("invalid package name `{name}`: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// The cache directory could not be read or written.
    #[error("cache error at `{}`: {source}", path.display())]
    Cache {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A configuration file (.npmrc, pip.conf, cargo config) or an override is invalid.
    #[error("invalid registry configuration in `{origin}`: {message}")]
    Config {
        /// The file, environment variable or override.
        origin: String,
        /// What was wrong.
        message: String,
    },
    /// The release has no archive firebreak can fetch and verify (no download URL, no
    /// digest, no file that fits the choice rule).
    #[error("no archive to analyse for `{package}`: {reason}")]
    NoArtifact {
        /// `name@version`.
        package: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built (TLS backend missing, bad option).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl RegistryError {
    /// Whether the caller should report the package as "could not check" rather than as a
    /// finding: offline without a cached copy, or the request budget spent.
    pub fn is_unchecked(&self) -> bool {
        matches!(self, RegistryError::NotCached { .. } | RegistryError::BudgetExhausted { .. })
    }
}

use camino::Utf8PathBuf;
use thiserror::Error;

/// Why a lockfile could not be read. Every variant names the file; those about content
/// name the place (line and column, or a key path) and what was expected.
#[derive(Debug, Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ExtractError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: Utf8PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Over the size limit.
    #[error("`{path}` is {size} bytes, over the {limit}-byte limit for lockfiles")]
    #[diagnostic(help(
        "a real lockfile of 100,000 packages is under 100 MB; check that this is the file you meant"
    ))]
    TooLarge {
        /// The file.
        path: Utf8PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Not UTF-8 text.
    #[error("`{path}` is not valid UTF-8 at {line}:{column} (byte {offset})")]
    InvalidUtf8 {
        /// The file.
        path: Utf8PathBuf,
        /// Byte offset of the first bad byte.
        offset: usize,
        /// Its line.
        line: u32,
        /// Its column.
        column: u32,
    },
    /// The text does not parse in the format's syntax (JSON, YAML, TOML, the yarn grammar…).
    #[error("failed to parse `{path}` at {line}:{column}: {message}")]
    Syntax {
        /// The file.
        path: Utf8PathBuf,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What the parser expected or found.
        message: String,
    },
    /// The text parses, but a value is not what the format requires.
    #[error("failed to read `{path}` at `{key_path}`{}: expected {expected}, found {found}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Schema {
        /// The file.
        path: Utf8PathBuf,
        /// Key path to the value (`packages."node_modules/a".version`).
        key_path: String,
        /// Line, when known.
        line: Option<u32>,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A lockfile version this release does not read.
    #[error("`{path}` is {format} version `{found}`, which firebreak does not read (it reads {supported})")]
    #[diagnostic(help(
        "upgrade firebreak, or regenerate the lockfile with a supported version of the package manager"
    ))]
    UnsupportedVersion {
        /// The file.
        path: Utf8PathBuf,
        /// The format (`package-lock.json`).
        format: &'static str,
        /// The version found.
        found: String,
        /// The versions supported.
        supported: &'static str,
    },
    /// No extractor claims this file name.
    #[error("`{path}` is not a lockfile format firebreak reads")]
    #[diagnostic(help(
        "supported: package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, bun.lock, Cargo.lock, requirements*.txt, poetry.lock, uv.lock, Pipfile.lock, pdm.lock, pylock.toml, go.mod, and CycloneDX/SPDX JSON; for stdin pass `--format-hint`"
    ))]
    UnknownFormat {
        /// The file.
        path: Utf8PathBuf,
    },
    /// bun's binary lockfile.
    #[error("`{path}` is bun's binary lockfile, which firebreak does not read")]
    #[diagnostic(help(
        "write the text lockfile with `bun install --save-text-lockfile --frozen-lockfile --lockfile-only` (bun 1.1.39 or later; the default since bun 1.2) and scan `bun.lock`"
    ))]
    BunBinary {
        /// The file.
        path: Utf8PathBuf,
    },
    /// A file the lockfile refers to (a `-r` include) could not be read.
    #[error("`{path}` line {line}: cannot read included `{include}`: {source}")]
    Include {
        /// The including file.
        path: Utf8PathBuf,
        /// The line of the include.
        line: u32,
        /// The include as written.
        include: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl ExtractError {
    /// The file the error is about.
    pub fn path(&self) -> &camino::Utf8Path {
        match self {
            ExtractError::Io { path, .. }
            | ExtractError::TooLarge { path, .. }
            | ExtractError::InvalidUtf8 { path, .. }
            | ExtractError::Syntax { path, .. }
            | ExtractError::Schema { path, .. }
            | ExtractError::UnsupportedVersion { path, .. }
            | ExtractError::UnknownFormat { path }
            | ExtractError::BunBinary { path }
            | ExtractError::Include { path, .. } => path,
        }
    }
}

use camino::Utf8PathBuf;

/// Why an SBOM could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum SbomError {
    /// Larger than [`MAX_SBOM_BYTES`](crate::MAX_SBOM_BYTES).
    #[error("`{path}` is {size} bytes, more than the {limit}-byte limit for an SBOM")]
    TooLarge {
        /// The file.
        path: Utf8PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Not valid JSON.
    #[error("failed to parse `{path}` at {line}:{column}: {message}")]
    Syntax {
        /// The file.
        path: Utf8PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// JSON, but neither a CycloneDX nor an SPDX document.
    #[error("`{path}` is not an SBOM: expected a JSON object with `bomFormat` or `spdxVersion`")]
    #[diagnostic(help("firebreak reads CycloneDX 1.4-1.6 and SPDX 2.2/2.3 JSON"))]
    NotAnSbom {
        /// The file.
        path: Utf8PathBuf,
    },
    /// A version of the standard this reader does not know.
    #[error("`{path}` is {format} `{version}`, which is not supported: expected {expected}")]
    UnsupportedVersion {
        /// The file.
        path: Utf8PathBuf,
        /// `CycloneDX` or `SPDX`.
        format: &'static str,
        /// The version the document declares.
        version: String,
        /// The versions that are read.
        expected: &'static str,
    },
    /// A value of the wrong shape.
    #[error("invalid SBOM `{path}` at `{pointer}`: expected {expected}, found {found}")]
    Schema {
        /// The file.
        path: Utf8PathBuf,
        /// Where in the document, as a key path (`components[3].purl`).
        pointer: String,
        /// What was expected there.
        expected: &'static str,
        /// What was there.
        found: String,
    },
}

use thiserror::Error;

/// Why an attestation document could not be read at all.
///
/// These are about the *shape* of the input (size, JSON syntax, a missing key, bad base64 or
/// DER). A document that reads but does not verify is not an error: it yields a
/// [`Verdict::Failed`](crate::Verdict::Failed) with the reason.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProvenanceError {
    /// The document is larger than this crate accepts.
    #[error("the {document} is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Which document (`npm attestations response`, `sigstore bundle`…).
        document: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The document is not valid JSON.
    #[error("failed to parse the {document} at {line}:{column}: {message}")]
    Syntax {
        /// Which document.
        document: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser found.
        message: String,
    },
    /// A value is missing or is not what the format requires (including base64 that does not
    /// decode and certificates that are not DER).
    #[error("failed to read the {document} at `{path}`: expected {expected}, found {found}")]
    Schema {
        /// Which document.
        document: &'static str,
        /// JSON key path to the value (`attestations[1].bundle.dsseEnvelope.payload`).
        path: String,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A format version or kind this crate does not read.
    #[error("the {document} has `{found}` at `{path}`, which firebreak does not read (it reads {supported})")]
    Unsupported {
        /// Which document.
        document: &'static str,
        /// JSON key path to the value.
        path: String,
        /// The value found.
        found: String,
        /// What is supported.
        supported: &'static str,
    },
}

impl ProvenanceError {
    pub(crate) fn schema(
        document: &'static str,
        path: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        ProvenanceError::Schema {
            document,
            path: path.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

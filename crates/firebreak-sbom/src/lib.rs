//! CycloneDX 1.6 and SPDX 2.3 JSON: written from an [`Inventory`], read back as one.
//!
//! Writing is pure: the caller passes the timestamp in [`Options`] (this crate reads no
//! clock), and every list is sorted on the packages' own data, so one inventory always
//! gives one document. With [`Options::reproducible`] the serial number (CycloneDX) and
//! document namespace (SPDX) are derived from a SHA-256 of the document itself, which
//! makes the output byte-identical for the same input.
//!
//! Reading ([`read`]) turns an SBOM written by any tool into an [`Inventory`]: packages
//! from purls of the supported types (`npm`, `pypi`, `cargo`, `golang`), edges from
//! `dependencies` or relationships, roots from `metadata.component` or `DESCRIBES`.
//!
//! # Properties
//! Facts that neither standard has a field for are written as CycloneDX `properties` in
//! the `firebreak:` namespace (and read back from it):
//!
//! | name | value | meaning |
//! | --- | --- | --- |
//! | `firebreak:direct` | `true` | a root depends on the package directly |
//! | `firebreak:dev` | `true` | only needed for development (also `scope: excluded`) |
//! | `firebreak:optional` | `true` | installation may skip it (also `scope: optional`) |
//! | `firebreak:peer` | `true` | present because of a peer dependency |
//! | `firebreak:bundled` | `true` | shipped inside its parent's tarball |
//! | `firebreak:lockfile` | path | the lockfile that listed it |
//! | `firebreak:alias` | name | the name it is installed under (npm aliases) |
//! | `firebreak:go-h1` | base64 | Go's `h1:` module hash, which is no plain file digest |
//! | `firebreak:source-path` | path | a local path dependency |
//! | `firebreak:root` | `true` | a workspace member (a root of the graph) |
//! | `firebreak:root-path` | path | the member's directory, relative to its lockfile |
//! | `firebreak:project` | `true` | the made-up project over several roots (not itself a root) |
//!
//! This crate performs no I/O.

mod cyclonedx_read;
mod error;
mod order;
mod reader;
mod spdx_read;
mod time;

pub mod cyclonedx;
pub mod spdx;

use camino::Utf8Path;
use firebreak_core::Inventory;
use sha2::{Digest, Sha256};

pub use error::SbomError;
pub use time::Timestamp;

/// The largest SBOM [`read`] accepts.
pub const MAX_SBOM_BYTES: u64 = 256 * 1024 * 1024;

/// How a document is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    tool_version: String,
    timestamp: Timestamp,
    reproducible: bool,
    name: Option<String>,
}

impl Options {
    /// Options for a document made by firebreak `tool_version` at `timestamp`.
    pub fn new(tool_version: &str, timestamp: Timestamp) -> Self {
        Options { tool_version: tool_version.to_owned(), timestamp, reproducible: false, name: None }
    }

    /// Byte-identical output for the same input: the serial number and document
    /// namespace are derived from the content instead of drawn at random. The caller
    /// picks the timestamp (`SOURCE_DATE_EPOCH` when set, else [`Timestamp::EPOCH`]).
    pub fn reproducible(mut self) -> Self {
        self.reproducible = true;
        self
    }

    /// Names the scanned project (used when the inventory has several roots or none).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    fn project_name(&self) -> &str {
        self.name.as_deref().unwrap_or("project")
    }

    /// A UUID for the document: from the content when reproducible, random otherwise.
    fn document_uuid(&self, content: &str) -> uuid::Uuid {
        if self.reproducible {
            let digest = Sha256::digest(content.as_bytes());
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            // NOTE: a random-format (v4) UUID filled from a digest: CycloneDX's
            // serialNumber pattern only admits versions 1-5, and this avoids a SHA-1 crate.
            uuid::Builder::from_random_bytes(bytes).into_uuid()
        } else {
            uuid::Uuid::new_v4()
        }
    }
}

/// The SBOM standard of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// CycloneDX JSON.
    CycloneDx,
    /// SPDX JSON.
    Spdx,
}

impl Kind {
    /// The extractor id recorded for inventories read from this kind.
    pub fn id(self) -> &'static str {
        match self {
            Kind::CycloneDx => "sbom/cyclonedx",
            Kind::Spdx => "sbom/spdx",
        }
    }
}

/// An inventory read from an SBOM.
#[derive(Debug, Clone)]
pub struct SbomInventory {
    /// The standard the document follows.
    pub kind: Kind,
    /// Packages, roots and edges.
    pub inventory: Inventory,
    /// Components or packages left out because they have no purl of a supported type.
    pub skipped: usize,
    /// One line per thing left out or not understood.
    pub warnings: Vec<String>,
}

/// A cheap look at the bytes: is this a JSON CycloneDX or SPDX document?
///
/// Looks for the top-level marker keys anywhere in the text (generators do not agree on
/// key order), without parsing; [`read`] does the real work.
pub fn looks_like_sbom(bytes: &[u8]) -> Option<Kind> {
    let start = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first = start.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    if contains(start, b"\"bomFormat\"") && contains(start, b"\"CycloneDX\"") {
        Some(Kind::CycloneDx)
    } else if contains(start, b"\"spdxVersion\"") && contains(start, b"\"SPDXID\"") {
        Some(Kind::Spdx)
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Reads a CycloneDX (1.4–1.6) or SPDX (2.2, 2.3) JSON document into an inventory.
///
/// `path` names the document in errors and in the inventory's lockfile list.
pub fn read(bytes: &[u8], path: impl AsRef<Utf8Path>) -> Result<SbomInventory, SbomError> {
    let path = path.as_ref();
    if bytes.len() as u64 > MAX_SBOM_BYTES {
        return Err(SbomError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit: MAX_SBOM_BYTES,
        });
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    // serde_json stops at 128 levels of nesting with an error, so hostile depth cannot
    // overflow the stack here or in the walks below, which follow the parsed tree.
    let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| SbomError::Syntax {
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Some(object) = value.as_object() else {
        return Err(SbomError::NotAnSbom { path: path.to_owned() });
    };
    if object.contains_key("bomFormat") {
        cyclonedx_read::read(&value, path)
    } else if object.contains_key("spdxVersion") {
        spdx_read::read(&value, path)
    } else {
        Err(SbomError::NotAnSbom { path: path.to_owned() })
    }
}

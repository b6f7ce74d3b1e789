//! SBOM placeholder: replaced by the CycloneDX/SPDX implementation.
#![allow(missing_docs, unreachable_pub)]

use firebreak_core::Inventory;

pub struct Options {
    pub tool_name: String,
    pub tool_version: String,
    pub timestamp: String,
    pub reproducible: bool,
}

pub struct Read {
    pub inventory: Inventory,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("SBOM reading is not built yet")]
pub struct SbomError;

impl miette::Diagnostic for SbomError {}

pub enum Kind {
    CycloneDx,
    Spdx,
}

pub fn looks_like_sbom(_bytes: &[u8]) -> Option<Kind> {
    None
}

pub fn read(_bytes: &[u8], _path: &str) -> Result<Read, SbomError> {
    Err(SbomError)
}

pub mod cyclonedx {
    pub fn write(_inv: &firebreak_core::Inventory, _o: &super::Options) -> String {
        String::new()
    }
}
pub mod spdx {
    pub fn write(_inv: &firebreak_core::Inventory, _o: &super::Options) -> String {
        String::new()
    }
}

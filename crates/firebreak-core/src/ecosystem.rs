use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A package ecosystem, named as OSV names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ecosystem {
    /// The npm registry (npm, yarn, pnpm, bun lockfiles).
    #[serde(rename = "npm")]
    Npm,
    /// The Python Package Index.
    #[serde(rename = "PyPI")]
    PyPI,
    /// crates.io and Cargo.
    #[serde(rename = "crates.io")]
    CratesIo,
    /// Go modules.
    #[serde(rename = "Go")]
    Go,
}

impl Ecosystem {
    /// Every ecosystem, in display order.
    pub const ALL: [Ecosystem; 4] = [Ecosystem::Npm, Ecosystem::PyPI, Ecosystem::CratesIo, Ecosystem::Go];

    /// The OSV ecosystem name (`npm`, `PyPI`, `crates.io`, `Go`).
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "Go",
        }
    }

    /// The purl type (`npm`, `pypi`, `cargo`, `golang`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::CratesIo => "cargo",
            Ecosystem::Go => "golang",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Ecosystem {
    type Err = String;

    /// Accepts OSV names, purl types and common aliases, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "npm" | "node" | "javascript" => Ok(Ecosystem::Npm),
            "pypi" | "python" | "pip" => Ok(Ecosystem::PyPI),
            "crates.io" | "cargo" | "crates" | "rust" => Ok(Ecosystem::CratesIo),
            "go" | "golang" => Ok(Ecosystem::Go),
            _ => Err(format!("unknown ecosystem `{s}`: expected one of `npm`, `PyPI`, `crates.io`, `Go`")),
        }
    }
}

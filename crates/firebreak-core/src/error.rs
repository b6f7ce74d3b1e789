use thiserror::Error;

use crate::Ecosystem;

/// A version string that the ecosystem's own grammar rejects.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("invalid {ecosystem} version `{input}`: {reason}")]
pub struct VersionError {
    /// The ecosystem whose grammar was applied.
    pub ecosystem: Ecosystem,
    /// The rejected text.
    pub input: String,
    /// What the parser expected.
    pub reason: String,
}

/// A package that cannot be expressed as a purl.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("cannot build a purl for {ecosystem} package `{name}`: {reason}")]
pub struct PurlError {
    /// The package's ecosystem.
    pub ecosystem: Ecosystem,
    /// The package name.
    pub name: String,
    /// Why it failed.
    pub reason: String,
}

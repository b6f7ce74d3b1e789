//! firebreak's shared data model.
//!
//! Owns the vocabulary every other crate speaks: [`Ecosystem`], normalised package
//! names, per-ecosystem [`Version`]s, purls, and the [`Inventory`] dependency graph.
//! This crate performs no I/O and reads no clock: bytes and values in, data out.
#![warn(missing_docs)]

pub mod calendar;
mod ecosystem;
mod error;
mod finding;
mod hash;
mod inventory;
mod name;
mod purl;
mod timestamp;
mod version;

pub use ecosystem::Ecosystem;
pub use error::{PurlError, VersionError};
pub use finding::{AdvisoryRef, Category, Evidence, FileLocation, Finding, Severity, Signal};
pub use hash::{Hash, HashAlgorithm};
pub use inventory::{
    DepKind, Edge, Graph, Inventory, InventoryBuilder, Location, LockfileRef, NodeRef, Package, PackageFlags,
    PackageId, PackageSource, Root, RootId, SourceId,
};
pub use name::normalize_name;
pub use purl::{Purl, purl_for};
pub use timestamp::Timestamp;
pub use version::{GoVersion, Version};

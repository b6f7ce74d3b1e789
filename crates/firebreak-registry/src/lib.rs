//! Registry clients for npm, PyPI and crates.io, and the registry-neutral model they fill.
//!
//! Every registry document is reduced to one [`PackageHistory`]: the releases of a package
//! with who published each, how (trusted publisher, provenance, signature), when, and what
//! it declared (install scripts, dependencies, repository). Analyzers compare releases on
//! this model only, so a signal is written once for all three registries.
#![warn(missing_docs)]

pub mod model;

pub use model::{
    Account, BuildIdentity, PackageHistory, PackageRef, Release, Trust, TrustLevel, TrustedPublisher,
};

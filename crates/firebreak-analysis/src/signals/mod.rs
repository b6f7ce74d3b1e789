//! Registry signals: publishing-trust and anomaly checks that compare one release with
//! the package's history (the facts that were public before the axios 1.14.1 payload ran).
//!
//! Every analyzer reads a [`ReleaseContext`] built from registry documents and appends
//! [`Finding`]s; none of them fetches anything, so they run the same in `check`, `scan`,
//! the proxy and `watch`, and in tests on recorded documents.

use std::collections::BTreeMap;

use firebreak_core::{Finding, Hash, Signal, Timestamp};
use firebreak_registry::{PackageHistory, Release};

/// Tunables of the signals (the policy file sets them; defaults are documented per signal).
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSettings {
    /// A dependency first published less than this many hours before the release that
    /// added it is `young-dependency`.
    pub young_dependency_hours: i64,
    /// A release after at least this many days without one is `dormant-revival`.
    pub dormant_days: i64,
}

impl Default for SignalSettings {
    fn default() -> SignalSettings {
        SignalSettings { young_dependency_hours: 72, dormant_days: 730 }
    }
}

/// What an analyzer may look at for one release.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseContext<'a> {
    /// The package's whole history, as the registry gave it.
    pub history: &'a PackageHistory,
    /// The release under analysis (one of `history.releases`).
    pub release: &'a Release,
    /// Histories of the release's dependencies that the runner fetched, by name (those
    /// added since the previous release at least); a missing name was not fetched.
    pub dependencies: &'a BTreeMap<String, PackageHistory>,
    /// The digests the lockfile records for this release, when it came from a lockfile.
    pub lockfile_hashes: &'a [Hash],
    /// The current time (analyzers read no clock).
    pub now: Timestamp,
    /// Tunables.
    pub settings: &'a SignalSettings,
}

/// One registry signal (or a family of closely related ones).
pub trait ReleaseAnalyzer: Send + Sync {
    /// The signals it can raise.
    fn signals(&self) -> &'static [&'static Signal];
    /// Appends its findings about `cx.release` to `out`. Findings carry no package id; the
    /// runner attaches it.
    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>);
}

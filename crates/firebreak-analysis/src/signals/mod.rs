//! Registry signals: publishing-trust and anomaly checks that compare one release with
//! the package's history (the facts that were public before the axios 1.14.1 payload ran).
//!
//! Every analyzer reads a [`ReleaseContext`] built from registry documents and appends
//! [`Finding`]s; none of them fetches anything, so they run the same in `check`, `scan`,
//! the proxy and `watch`, and in tests on recorded documents.
//!
//! # Which releases a release is compared with
//! - **Its release line** ([`line_of`]): the same major version for `>= 1`, the same
//!   `major.minor` for `0.x` (where semver lets a minor break compatibility). `axios@0.30.4`,
//!   published after `1.14.0`, is compared with `0.30.3`, not with the 1.x line: comparing
//!   across lines in publish-date order is the false positive pnpm users reported for
//!   `trustPolicy`.
//! - **Version order, then time**: a release is compared with releases lower in version
//!   order on its line that were not published after it (an unknown time counts as
//!   earlier). A backport published later never makes an older release look downgraded.
//! - **Pre-releases**: a stable release is compared with earlier *stable* releases of its
//!   line only (canary and beta builds often come from another pipeline); a pre-release is
//!   compared with everything before it on its line, pre-releases included.
//!
//! A field the registry did not expose (`None`, an empty list) never counts as a change.

use std::collections::BTreeMap;

use firebreak_core::{Finding, Hash, Signal, Timestamp, Version};
use firebreak_registry::{PackageHistory, Release};

pub mod dependency;
pub mod dormant_revival;
pub mod install_script;
pub mod lockfile_integrity;
pub mod out_of_band_release;
pub mod package_not_found;
pub mod provenance;
pub mod publisher;
pub mod registry_status;
pub mod release_too_young;
pub mod repository;
pub mod trust_downgrade;
pub mod typosquat;
pub mod version_jump;

pub use package_not_found::PACKAGE_NOT_FOUND;
pub use release_too_young::{ReleaseAge, release_too_young};
pub use typosquat::{
    PopularNames, TyposquatKind, TyposquatMatch, dependency_typosquat, package_typosquat, popular_names,
    typosquat_target,
};

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

/// Every release analyzer, in the order their findings are reported. `release-too-young`
/// is not here: the minimum age is the policy's decision (see [`release_too_young()`]).
pub static ANALYZERS: &[&dyn ReleaseAnalyzer] = &[
    &trust_downgrade::TrustDowngrade,
    &provenance::Provenance,
    &publisher::Publisher,
    &install_script::InstallScript,
    &dependency::DependencyAdded,
    &typosquat::PackageTyposquat,
    &dormant_revival::DormantRevival,
    &out_of_band_release::OutOfBandRelease,
    &version_jump::VersionJump,
    &repository::Repository,
    &registry_status::RegistryStatus,
    &lockfile_integrity::LockfileIntegrity,
];

/// Every signal this module can raise, [`ANALYZERS`]' and the policy-driven ones.
pub fn signals() -> Vec<&'static Signal> {
    let mut out: Vec<&'static Signal> = ANALYZERS.iter().flat_map(|a| a.signals().iter().copied()).collect();
    out.extend(release_too_young::SIGNALS);
    out.extend(package_not_found::SIGNALS);
    out
}

/// Runs every analyzer of [`ANALYZERS`] on one release.
pub fn analyze(cx: &ReleaseContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for analyzer in ANALYZERS {
        analyzer.analyze(cx, &mut out);
    }
    out
}

/// A release line: the major version, and the minor too while the major is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    /// The major version (PEP 440: the first release segment).
    pub major: u64,
    /// The minor version when `major` is 0, else `None`.
    pub minor: Option<u64>,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.minor {
            Some(minor) => write!(f, "{}.{minor}.x", self.major),
            None => write!(f, "{}.x", self.major),
        }
    }
}

/// The first three numeric components of a version (missing ones are 0).
pub fn numbers(version: &Version) -> [u64; 3] {
    match version {
        Version::Npm(v) => [v.major, v.minor, v.patch],
        Version::PyPI(v) => {
            let r = v.release();
            [r.first().copied().unwrap_or(0), r.get(1).copied().unwrap_or(0), r.get(2).copied().unwrap_or(0)]
        }
        Version::CratesIo(v) => [v.major, v.minor, v.patch],
        Version::Go(v) => [v.semver.major, v.semver.minor, v.semver.patch],
    }
}

/// The release line a version belongs to.
pub fn line_of(version: &Version) -> Line {
    let [major, minor, _] = numbers(version);
    Line { major, minor: (major == 0).then_some(minor) }
}

fn lower(a: &Version, b: &Version) -> bool {
    a.partial_cmp(b) == Some(std::cmp::Ordering::Less)
}

/// Whether `other` was not published after `release` (an unknown time on either side
/// counts as not after).
fn not_after(other: &Release, release: &Release) -> bool {
    match (other.published, release.published) {
        (Some(o), Some(r)) => o <= r,
        _ => true,
    }
}

/// The releases before `cx.release` on its line (see the module docs), lowest first.
pub fn prior_on_line<'a>(cx: &ReleaseContext<'a>) -> Vec<&'a Release> {
    let Some(version) = &cx.release.parsed else { return Vec::new() };
    let line = line_of(version);
    let stable = !version.is_prerelease();
    cx.history
        .sorted()
        .into_iter()
        .filter(|r| {
            r.parsed
                .as_ref()
                .is_some_and(|v| lower(v, version) && line_of(v) == line && !(stable && v.is_prerelease()))
                && not_after(r, cx.release)
        })
        .collect()
}

/// The release just before `cx.release` on its line.
pub fn previous_on_line<'a>(cx: &ReleaseContext<'a>) -> Option<&'a Release> {
    prior_on_line(cx).pop()
}

/// The highest release lower than `cx.release` in version order, on any line (pre-releases
/// are skipped for a stable release, as on a line).
pub fn previous_in_version_order<'a>(cx: &ReleaseContext<'a>) -> Option<&'a Release> {
    let version = cx.release.parsed.as_ref()?;
    let stable = !version.is_prerelease();
    cx.history
        .sorted()
        .into_iter()
        .rfind(|r| r.parsed.as_ref().is_some_and(|v| lower(v, version) && !(stable && v.is_prerelease())))
}

/// The releases published before `cx.release`, in publish order (earliest first). Without
/// a publish time on `cx.release`, the releases lower in version order stand in.
pub fn earlier_in_time<'a>(cx: &ReleaseContext<'a>) -> Vec<&'a Release> {
    let release = cx.release;
    match release.published {
        Some(at) => {
            let mut out: Vec<&Release> = cx
                .history
                .releases
                .iter()
                .filter(|r| r.version != release.version && r.published.is_some_and(|p| p < at))
                .collect();
            out.sort_by_key(|r| r.published);
            out
        }
        None => {
            let Some(version) = &release.parsed else { return Vec::new() };
            cx.history
                .sorted()
                .into_iter()
                .filter(|r| r.parsed.as_ref().is_some_and(|v| lower(v, version)))
                .collect()
        }
    }
}

/// The release published just before `cx.release`.
pub fn previous_in_time<'a>(cx: &ReleaseContext<'a>) -> Option<&'a Release> {
    earlier_in_time(cx).pop()
}

/// `1.14.0 (2026-03-27T19:01:40Z)`, the way evidence names a release.
pub(crate) fn describe(release: &Release) -> String {
    match release.published {
        Some(at) => format!("{} ({at})", release.version),
        None => format!("{} (publish time unknown)", release.version),
    }
}

/// The publish time for evidence.
pub(crate) fn time_of(release: &Release) -> String {
    release.published.map_or_else(|| "unknown".to_owned(), |t| t.to_string())
}

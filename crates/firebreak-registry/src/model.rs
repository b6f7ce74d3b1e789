//! The registry-neutral view of a package's release history.
//!
//! Fields are `Option` or empty where a registry does not expose the fact (PyPI has no
//! per-release uploader in its JSON API; the npm registry as mirrored may lack `_npmUser`).
//! Analyzers must treat "unknown" as unknown, never as a change.

use std::collections::BTreeMap;
use std::fmt;

use firebreak_core::{Ecosystem, Hash, Timestamp, Version};
use serde::Serialize;

/// A package version as asked for (`check axios@1.14.1`, a lockfile entry).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PackageRef {
    /// The registry's ecosystem.
    pub ecosystem: Ecosystem,
    /// The name as the registry spells it.
    pub name: String,
    /// The exact version.
    pub version: String,
}

impl fmt::Display for PackageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

/// Everything a registry says about one package, every release included.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PackageHistory {
    /// The ecosystem (`None` only in `Default`).
    pub ecosystem: Option<Ecosystem>,
    /// The name as the registry spells it.
    pub name: String,
    /// Every release the registry lists, in no particular order; use
    /// [`PackageHistory::sorted`] for version order.
    pub releases: Vec<Release>,
    /// The package's current maintainers or owners.
    pub maintainers: Vec<Account>,
    /// The package-level repository URL, when declared.
    pub repository: Option<String>,
    /// When the package was first published.
    pub created: Option<Timestamp>,
    /// When the registry document last changed.
    pub modified: Option<Timestamp>,
    /// Whether the whole package was unpublished (npm `time.unpublished`).
    pub unpublished: bool,
    /// Facts that could not be read from the document (a malformed field, a version that
    /// does not parse); the rest of the history is still usable.
    pub warnings: Vec<String>,
}

impl PackageHistory {
    /// The release with exactly this version string.
    pub fn release(&self, version: &str) -> Option<&Release> {
        self.releases.iter().find(|r| r.version == version)
    }

    /// Releases whose version parses, in the ecosystem's version order (lowest first).
    pub fn sorted(&self) -> Vec<&Release> {
        let mut out: Vec<&Release> = self.releases.iter().filter(|r| r.parsed.is_some()).collect();
        out.sort_by(|a, b| match (&a.parsed, &b.parsed) {
            (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal),
            _ => std::cmp::Ordering::Equal,
        });
        out
    }

    /// The earliest publish time of any release (the package's age), falling back to
    /// `created`.
    pub fn first_published(&self) -> Option<Timestamp> {
        self.releases.iter().filter_map(|r| r.published).min().or(self.created)
    }
}

/// One version as the registry describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Release {
    /// The version as the registry spells it.
    pub version: String,
    /// The version parsed with the ecosystem's grammar; `None` when it does not parse
    /// (such a release takes no part in version-order comparisons).
    #[serde(skip)]
    pub parsed: Option<Version>,
    /// When it was published (npm `time[version]`, PyPI the first file's upload time,
    /// crates.io `created_at`); `None` when the registry does not say.
    pub published: Option<Timestamp>,
    /// The account that published it (npm `_npmUser`, crates.io `published_by`).
    pub publisher: Option<Account>,
    /// The maintainers listed on this version (npm `maintainers`).
    pub maintainers: Vec<Account>,
    /// How it was published.
    pub trust: Trust,
    /// Install-time hooks: hook name (`preinstall`, `install`, `postinstall`, `prepare`)
    /// to command. npm's implied `install: node-gyp rebuild` for a `binding.gyp` (the
    /// `gypfile` flag) is recorded as `install`.
    pub install_scripts: BTreeMap<String, String>,
    /// Runtime dependencies (npm `dependencies` and `optionalDependencies`, PyPI
    /// `requires_dist` without extras, crates.io normal and build dependencies): name to
    /// requirement.
    pub dependencies: BTreeMap<String, String>,
    /// Whether `dependencies` was read for this release. npm and crates.io list every
    /// release's dependencies in one document; PyPI only in the per-release document, which
    /// is fetched for the releases analysed ([`crate::Registry::complete`]). An empty map
    /// with this `false` means unknown, not "no dependencies".
    pub dependencies_known: bool,
    /// The repository URL this version declares.
    pub repository: Option<String>,
    /// The registry's digests of the artifact (npm `dist.integrity`/`shasum`, crates.io
    /// `cksum`, PyPI the files' sha256).
    pub hashes: Vec<Hash>,
    /// Where the artifact is downloaded from (npm `dist.tarball`, crate download URL).
    pub artifact_url: Option<String>,
    /// The deprecation message, when deprecated.
    pub deprecated: Option<String>,
    /// Whether the registry marks it yanked, and why when it says.
    pub yanked: Option<YankedReason>,
}

/// A yanked release's reason (empty when none was given).
pub type YankedReason = String;

/// A registry account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Account {
    /// The account name (login).
    pub name: String,
    /// The email, where the registry exposes it.
    pub email: Option<String>,
}

/// Publishing trust, strongest last so that `Ord` compares strength.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustLevel {
    /// Nothing but the upload itself.
    #[default]
    None,
    /// The registry signed it (npm `dist.signatures`).
    Signature,
    /// A provenance attestation ties it to a build (npm `dist.attestations`, PEP 740
    /// attestations).
    Provenance,
    /// Published by a trusted publisher through OIDC (npm `_npmUser.trustedPublisher`,
    /// crates.io `trustpub_data`, PyPI attestations from a Trusted Publisher).
    TrustedPublisher,
}

impl TrustLevel {
    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            TrustLevel::None => "none",
            TrustLevel::Signature => "signature",
            TrustLevel::Provenance => "provenance",
            TrustLevel::TrustedPublisher => "trusted-publisher",
        }
    }
}

/// How one release was published.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trust {
    /// The strongest trust the release carries.
    pub level: TrustLevel,
    /// The trusted publisher, when OIDC publishing was used.
    pub publisher: Option<TrustedPublisher>,
    /// The attestation's URL (npm `dist.attestations.url`, PyPI provenance URL), when one
    /// exists.
    pub attestation_url: Option<String>,
    /// The build the provenance names, once the attestation was read.
    pub identity: Option<BuildIdentity>,
}

/// A trusted publisher configuration (who may publish through OIDC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrustedPublisher {
    /// The provider (`github`, `gitlab`, …).
    pub provider: String,
    /// The registry's id of the configuration, when exposed.
    pub id: Option<String>,
    /// `owner/repo`, when exposed.
    pub repository: Option<String>,
    /// The workflow file, when exposed.
    pub workflow: Option<String>,
}

/// The build a provenance attestation names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BuildIdentity {
    /// The source repository URL.
    pub repository: Option<String>,
    /// The workflow file path (`.github/workflows/release.yml`).
    pub workflow: Option<String>,
    /// What triggered the build (`push`, `release`, `workflow_dispatch`).
    pub trigger: Option<String>,
    /// The git ref built (`refs/tags/v1.2.3`).
    pub git_ref: Option<String>,
    /// Whether the attestation verified cryptographically: `Some(true)` verified,
    /// `Some(false)` failed, `None` not checked.
    pub verified: Option<bool>,
}

//! The `[registry]` and `[signals]` tables: how registry signals are weighed, and the
//! release-age rule (cooldown) that depends on them.

use std::collections::BTreeMap;

use firebreak_core::{Ecosystem, Severity};

use crate::model::{Action, PackageSpec};

/// What to do with a release whose registry document gives no publish time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingTime {
    /// Treat it as too young: fail.
    Block,
    /// Report it without failing.
    Warn,
}

/// A per-signal setting from `[signals]`: an action or a severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalSetting {
    /// Always this action, whatever the severity.
    Action(Action),
    /// This severity, then the `fail_on` threshold decides.
    Severity(Severity),
}

/// Signals that make a release wait the longer `min_release_age_suspicious`: the facts
/// of a hijacked account or a new payload.
pub const SUSPICIOUS_SIGNALS: &[&str] = &[
    "trust-downgrade",
    "new-publisher",
    "maintainer-email-changed",
    "provenance-identity-changed",
    "provenance-invalid",
    "install-script-added",
    "install-script-changed",
];

/// Signals that `[registry.install_scripts] allow` silences for the listed packages.
pub const INSTALL_SCRIPT_SIGNALS: &[&str] = &["install-script-added", "install-script-changed"];

/// The `[registry]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryPolicy {
    /// Whether `scan` reads registry documents at all.
    pub enabled: bool,
    /// The cooldown in seconds for an ordinary release; 0 turns it off.
    pub min_release_age: u64,
    /// The cooldown for a release from the same trusted publisher (and build identity) as
    /// the release before it.
    pub min_release_age_trusted: u64,
    /// The cooldown for a release with a suspicious signal ([`SUSPICIOUS_SIGNALS`]).
    pub min_release_age_suspicious: u64,
    /// Packages the cooldown does not apply to.
    pub exempt: Vec<PackageSpec>,
    /// A release that fixes an advisory affecting the project is let through at once.
    pub security_fast_path: bool,
    /// Releases without a publish time.
    pub missing_time: MissingTime,
    /// A dependency first published less than this many hours before the release that
    /// added it is young.
    pub young_dependency_hours: u64,
    /// Packages whose install scripts are expected (esbuild, sharp …).
    pub install_scripts_allow: Vec<PackageSpec>,
}

const DAY: u64 = 86_400;

impl Default for RegistryPolicy {
    fn default() -> Self {
        RegistryPolicy {
            enabled: true,
            min_release_age: 3 * DAY,
            min_release_age_trusted: DAY,
            min_release_age_suspicious: 7 * DAY,
            exempt: Vec::new(),
            security_fast_path: true,
            missing_time: MissingTime::Warn,
            young_dependency_hours: 72,
            install_scripts_allow: Vec::new(),
        }
    }
}

/// What the runner knows about a release when it asks for the cooldown that applies.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseFacts<'a> {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The package name.
    pub name: &'a str,
    /// The version.
    pub version: &'a str,
    /// Ids of the other signals raised on this release.
    pub signals: &'a [&'a str],
    /// Published by the same trusted publisher, with the same build identity, as the
    /// release before it on its line.
    pub same_trusted_publisher: bool,
    /// It fixes an advisory that affects the version the project had (or the previous
    /// release of its line).
    pub fixes_advisory: bool,
}

/// The cooldown a release must satisfy, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeRule {
    /// No waiting: `min_release_age` is 0, the package is exempt, or it is a security fix.
    Exempt(Exemption),
    /// The release must be at least this many seconds old.
    Required {
        /// Seconds.
        seconds: u64,
        /// Which key set it (`min_release_age`, `min_release_age_trusted`,
        /// `min_release_age_suspicious`).
        basis: &'static str,
    },
}

/// Why a release does not wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exemption {
    /// The cooldown is off (or registry signals are).
    Off,
    /// Listed in `min_release_age_exempt`.
    Listed,
    /// It fixes an advisory affecting the project (`security_fast_path`).
    SecurityFix,
}

impl RegistryPolicy {
    /// The cooldown for one release. A suspicious signal wins over a trusted publisher;
    /// a security fix wins over both, because a cooldown that holds back the fix for an
    /// exploited vulnerability is the one users switch off.
    pub fn release_age_rule(&self, facts: &ReleaseFacts<'_>) -> AgeRule {
        if !self.enabled || self.min_release_age == 0 {
            return AgeRule::Exempt(Exemption::Off);
        }
        if self.exempt.iter().any(|s| s.matches(facts.ecosystem, facts.name, facts.version)) {
            return AgeRule::Exempt(Exemption::Listed);
        }
        if self.security_fast_path && facts.fixes_advisory {
            return AgeRule::Exempt(Exemption::SecurityFix);
        }
        let (seconds, basis) = if facts.signals.iter().any(|s| SUSPICIOUS_SIGNALS.contains(s)) {
            (self.min_release_age_suspicious.max(self.min_release_age), "min_release_age_suspicious")
        } else if facts.same_trusted_publisher {
            (self.min_release_age_trusted.min(self.min_release_age), "min_release_age_trusted")
        } else {
            (self.min_release_age, "min_release_age")
        };
        if seconds == 0 {
            return AgeRule::Exempt(Exemption::Off);
        }
        AgeRule::Required { seconds, basis }
    }

    /// Whether `[registry.install_scripts] allow` lists this package.
    pub fn install_scripts_allowed(&self, ecosystem: Ecosystem, name: &str, version: &str) -> bool {
        self.install_scripts_allow.iter().any(|s| s.matches(ecosystem, name, version))
    }
}

/// Per-signal settings by id.
pub type SignalSettings = BTreeMap<String, SignalSetting>;

/// Parses a duration such as `3d`, `72h`, `1w`, `90m`, `1d 12h` or `0` into seconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(0);
    }
    humantime::parse_duration(t)
        .map(|d| d.as_secs())
        .map_err(|_| format!("expected a duration such as `3d`, `72h`, `1w` or `0`, found `{text}`"))
}

/// Writes seconds the way the policy file does (`3d`, `36h`, `90m`).
pub fn format_duration(seconds: u64) -> String {
    match seconds {
        0 => "0".to_owned(),
        s if s % DAY == 0 => format!("{}d", s / DAY),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(signals: &'a [&'a str], trusted: bool, fix: bool) -> ReleaseFacts<'a> {
        ReleaseFacts {
            ecosystem: Ecosystem::Npm,
            name: "axios",
            version: "1.14.1",
            signals,
            same_trusted_publisher: trusted,
            fixes_advisory: fix,
        }
    }

    #[test]
    fn the_cooldown_depends_on_the_signals() {
        let p = RegistryPolicy::default();
        assert_eq!(
            p.release_age_rule(&facts(&[], false, false)),
            AgeRule::Required { seconds: 3 * DAY, basis: "min_release_age" }
        );
        assert_eq!(
            p.release_age_rule(&facts(&[], true, false)),
            AgeRule::Required { seconds: DAY, basis: "min_release_age_trusted" }
        );
        assert_eq!(
            p.release_age_rule(&facts(&["trust-downgrade"], true, false)),
            AgeRule::Required { seconds: 7 * DAY, basis: "min_release_age_suspicious" }
        );
        assert_eq!(
            p.release_age_rule(&facts(&["trust-downgrade"], false, true)),
            AgeRule::Exempt(Exemption::SecurityFix)
        );
        let off = RegistryPolicy { min_release_age: 0, ..RegistryPolicy::default() };
        assert_eq!(
            off.release_age_rule(&facts(&["new-publisher"], false, false)),
            AgeRule::Exempt(Exemption::Off)
        );
        let exempt = RegistryPolicy {
            exempt: vec![PackageSpec::parse("axios@>=1").expect("spec")],
            ..RegistryPolicy::default()
        };
        assert_eq!(exempt.release_age_rule(&facts(&[], false, false)), AgeRule::Exempt(Exemption::Listed));
        let no_fast = RegistryPolicy { security_fast_path: false, ..RegistryPolicy::default() };
        assert!(matches!(no_fast.release_age_rule(&facts(&[], false, true)), AgeRule::Required { .. }));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3d"), Ok(3 * DAY));
        assert_eq!(parse_duration("72h"), Ok(3 * DAY));
        assert_eq!(parse_duration("1d 12h"), Ok(36 * 3600));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("three days").unwrap_err().contains("`3d`"));
        assert_eq!(format_duration(36 * 3600), "36h");
        assert_eq!(format_duration(7 * DAY), "7d");
    }
}

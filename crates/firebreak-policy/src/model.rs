//! The policy as validated data.

use std::collections::BTreeMap;
use std::fmt;

use firebreak_core::{Ecosystem, Severity, Version, normalize_name};

use crate::proxy::ProxyPolicy;
use crate::registry::{RegistryPolicy, SignalSettings};

/// What to do with a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Report nothing.
    Ignore,
    /// Report, but do not fail the run.
    Warn,
    /// Report and fail the run (exit 1).
    Fail,
}

impl Action {
    /// The name used in `firebreak.toml` (`off`, `warn`, `fail`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Ignore => "off",
            Action::Warn => "warn",
            Action::Fail => "fail",
        }
    }
}

/// How findings on development-only packages are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevMode {
    /// Like every other package.
    Fail,
    /// Reported, never failing the run.
    Warn,
    /// Not reported.
    Ignore,
}

/// A calendar date (`expires`), compared as written; the caller passes today's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking the day exists in that month.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: u16 = s.get(0..4)?.parse().ok()?;
        let month: u8 = s.get(5..7)?.parse().ok()?;
        let day: u8 = s.get(8..10)?.parse().ok()?;
        let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days).contains(&day).then_some(Date { year, month, day })
    }

    /// The UTC date of a Unix timestamp (seconds).
    pub fn from_unix_seconds(secs: i64) -> Date {
        let (year, month, day) = firebreak_core::calendar::civil_from_days(secs.div_euclid(86_400));
        Date { year: year as u16, month: month as u8, day: day as u8 }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One comparator of a version range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=` / `==` / a bare version
    Eq,
}

/// The versions an ignore covers: `*`, a bare version, or comparators joined by commas
/// (`>=1.0, <1.4.2`). The same syntax in every ecosystem; the comparison uses each
/// ecosystem's own version order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange {
    /// All comparators must hold; empty means every version.
    pub comparators: Vec<(Op, String)>,
}

impl VersionRange {
    /// Parses the range syntax; `Err` says what was wrong.
    pub fn parse(s: &str) -> Result<VersionRange, String> {
        let s = s.trim();
        if s == "*" || s.is_empty() {
            return Ok(VersionRange { comparators: Vec::new() });
        }
        let mut comparators = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            let (op, rest) =
                [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("<", Op::Lt), (">", Op::Gt), ("=", Op::Eq)]
                    .into_iter()
                    .find_map(|(p, op)| part.strip_prefix(p).map(|r| (op, r.trim())))
                    .unwrap_or((Op::Eq, part));
            if rest.is_empty() || rest.contains(char::is_whitespace) {
                return Err(format!(
                    "expected a version after the comparator in `{part}` (ranges look like `>=1.0, <1.4.2`)"
                ));
            }
            comparators.push((op, rest.to_owned()));
        }
        Ok(VersionRange { comparators })
    }

    /// Whether `version` of `ecosystem` is in the range. A version that does not parse
    /// in the ecosystem's syntax matches only an exact `=` comparator with the same text.
    pub fn contains(&self, ecosystem: Ecosystem, version: &str) -> bool {
        let parsed = Version::parse(ecosystem, version).ok();
        self.comparators.iter().all(|(op, bound)| {
            let ordering = match (&parsed, parse_bound(ecosystem, bound)) {
                (Some(v), Some(b)) => v.partial_cmp(&b),
                _ => (version == bound).then_some(std::cmp::Ordering::Equal),
            };
            let Some(o) = ordering else { return false };
            match op {
                Op::Lt => o.is_lt(),
                Op::Le => o.is_le(),
                Op::Gt => o.is_gt(),
                Op::Ge => o.is_ge(),
                Op::Eq => o.is_eq(),
            }
        })
    }
}

/// A range bound: people write `<2` or `<1.4` for semver ecosystems, so missing minor and
/// patch components count as zero.
fn parse_bound(ecosystem: Ecosystem, bound: &str) -> Option<Version> {
    Version::parse(ecosystem, bound).ok().or_else(|| {
        if ecosystem == Ecosystem::PyPI {
            return None;
        }
        let (prefix, rest) = bound.strip_prefix('v').map_or(("", bound), |r| ("v", r));
        let dots = rest.split(['-', '+']).next().unwrap_or(rest).matches('.').count();
        let core_end = rest.find(['-', '+']).unwrap_or(rest.len());
        let padded = format!(
            "{prefix}{}{}{}",
            &rest[..core_end],
            ".0".repeat(2usize.saturating_sub(dots)),
            &rest[core_end..]
        );
        Version::parse(ecosystem, &padded).ok()
    })
}

/// `name@range`, optionally limited to one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSpec {
    /// The name as written.
    pub name: String,
    /// The range.
    pub range: VersionRange,
}

impl PackageSpec {
    /// Parses `name`, `name@range` or `@scope/name@range`.
    pub fn parse(s: &str) -> Result<PackageSpec, String> {
        let s = s.trim();
        // The first `@` of an npm scope is part of the name.
        let split = s.char_indices().skip(1).find(|&(_, c)| c == '@').map(|(i, _)| i);
        let (name, range) = match split {
            Some(i) => (&s[..i], &s[i + 1..]),
            None => (s, "*"),
        };
        if name.is_empty() || (name.starts_with('@') && !name.contains('/')) {
            return Err(format!(
                "expected `name@range` or `@scope/name@range` (`lodash@<4.17.21`), found `{s}`"
            ));
        }
        Ok(PackageSpec { name: name.to_owned(), range: VersionRange::parse(range)? })
    }

    /// Whether the spec names this package.
    pub fn matches(&self, ecosystem: Ecosystem, name: &str, version: &str) -> bool {
        normalize_name(ecosystem, &self.name) == normalize_name(ecosystem, name)
            && self.range.contains(ecosystem, version)
    }
}

/// One `[[ignore]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// Advisory id or alias, or signal id, the ignore is about.
    pub id: Option<String>,
    /// The package versions it covers.
    pub package: Option<PackageSpec>,
    /// Limits `package` to one ecosystem.
    pub ecosystem: Option<Ecosystem>,
    /// Why the finding is accepted (mandatory).
    pub reason: String,
    /// The last day the ignore applies.
    pub expires: Option<Date>,
    /// 1-based line of the entry in the policy file, for messages.
    pub line: u32,
}

impl Ignore {
    /// Whether the ignore is past its expiry on `today`.
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| today > e)
    }
}

/// The lockfile-hygiene checks and the hosts they accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hygiene {
    /// Hosts a resolved URL may point at (exact host names).
    pub allowed_hosts: Vec<String>,
    /// Action per hygiene signal id.
    pub levels: BTreeMap<&'static str, Action>,
}

/// Keys of `[hygiene]` that switch a check, and the signal id each one sets.
pub const HYGIENE_CHECKS: &[(&str, &str, Action)] = &[
    ("insecure_scheme", "lockfile-insecure-scheme", Action::Fail),
    ("untrusted_host", "lockfile-untrusted-host", Action::Fail),
    ("name_mismatch", "lockfile-name-mismatch", Action::Fail),
    ("integrity_missing", "lockfile-integrity-missing", Action::Warn),
    ("integrity_weak", "lockfile-integrity-weak", Action::Warn),
    ("nonregistry_source", "lockfile-nonregistry-source", Action::Warn),
];

/// The public registries' download hosts, allowed unless the policy lists its own.
pub const DEFAULT_HOSTS: &[&str] = &[
    "registry.npmjs.org",
    "registry.yarnpkg.com",
    "npm.pkg.github.com",
    "files.pythonhosted.org",
    "pypi.org",
    "static.crates.io",
    "index.crates.io",
    "github.com",
    "proxy.golang.org",
];

impl Default for Hygiene {
    fn default() -> Self {
        Hygiene {
            allowed_hosts: DEFAULT_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
            levels: HYGIENE_CHECKS.iter().map(|&(_, id, action)| (id, action)).collect(),
        }
    }
}

impl Hygiene {
    /// The action for a hygiene signal (`Fail` for unknown ids, so nothing slips through).
    pub fn level(&self, signal_id: &str) -> Action {
        self.levels.get(signal_id).copied().unwrap_or(Action::Fail)
    }
}

/// A validated `firebreak.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Vulnerabilities at or above this severity fail the run; `None` never fails on them.
    /// Malicious packages fail whatever this says.
    pub fail_on: Option<Severity>,
    /// Treatment of development-only packages.
    pub dev: DevMode,
    /// Ecosystems scanned.
    pub ecosystems: BTreeMap<Ecosystem, bool>,
    /// Lockfile hygiene.
    pub hygiene: Hygiene,
    /// Accepted findings.
    pub ignores: Vec<Ignore>,
    /// Registry signals and the release-age rule.
    pub registry: RegistryPolicy,
    /// Per-signal actions or severities (`[signals]`).
    pub signals: SignalSettings,
    /// What `firebreak proxy` lets through, and its fail mode (`[proxy]`).
    pub proxy: ProxyPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            fail_on: Some(Severity::High),
            dev: DevMode::Fail,
            ecosystems: Ecosystem::ALL.iter().map(|&e| (e, true)).collect(),
            hygiene: Hygiene::default(),
            ignores: Vec::new(),
            registry: RegistryPolicy::default(),
            signals: SignalSettings::new(),
            proxy: ProxyPolicy::default(),
        }
    }
}

impl Policy {
    /// Whether findings for packages of `ecosystem` are wanted.
    pub fn scans(&self, ecosystem: Ecosystem) -> bool {
        self.ecosystems.get(&ecosystem).copied().unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(Date::parse("2027-02-29"), None);
        assert_eq!(Date::parse("2028-02-29"), Some(Date { year: 2028, month: 2, day: 29 }));
        assert_eq!(Date::parse("2027-13-01"), None);
        assert_eq!(Date::parse("27-01-01"), None);
        assert_eq!(Date::from_unix_seconds(0).to_string(), "1970-01-01");
        // 2026-03-31T12:00:00Z, the day of the axios releases.
        assert_eq!(Date::from_unix_seconds(1_774_958_400).to_string(), "2026-03-31");
        assert_eq!(Date::from_unix_seconds(951_782_400).to_string(), "2000-02-29");
    }

    #[test]
    fn ranges_use_the_ecosystem_order() {
        let r = VersionRange::parse(">=1.0, <1.10").unwrap();
        assert!(r.contains(Ecosystem::Npm, "1.9.0"));
        assert!(!r.contains(Ecosystem::Npm, "1.10.0"));
        assert!(VersionRange::parse("<2.0").unwrap().contains(Ecosystem::PyPI, "2.0rc1"));
        assert!(
            VersionRange::parse("*").unwrap().contains(Ecosystem::Go, "v0.0.0-20200101000000-abcdefabcdef")
        );
        assert!(VersionRange::parse(">= ").is_err());
    }

    #[test]
    fn package_specs() {
        let s = PackageSpec::parse("@types/node@<20").unwrap();
        assert_eq!(s.name, "@types/node");
        assert!(s.matches(Ecosystem::Npm, "@types/node", "18.0.0"));
        let s = PackageSpec::parse("Django_Rest").unwrap();
        assert!(s.matches(Ecosystem::PyPI, "django-rest", "3.0"));
        assert!(PackageSpec::parse("@1.0").is_err());
    }
}

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{Ecosystem, VersionError};

/// A version parsed with its ecosystem's own grammar and order.
///
/// Versions of different ecosystems do not compare: [`PartialOrd`] answers `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    /// node-semver (accepts the loose forms npm accepts, such as a leading `v`).
    Npm(nodejs_semver::Version),
    /// PEP 440.
    PyPI(Box<pep440_rs::Version>),
    /// Cargo's semver.
    CratesIo(semver::Version),
    /// Go module versions.
    Go(GoVersion),
}

impl Version {
    /// Parses `input` with the grammar of `ecosystem`.
    pub fn parse(ecosystem: Ecosystem, input: &str) -> Result<Version, VersionError> {
        let err = |reason: String| VersionError { ecosystem, input: input.to_owned(), reason };
        let text = input.trim();
        match ecosystem {
            Ecosystem::Npm => {
                nodejs_semver::Version::parse(text).map(Version::Npm).map_err(|e| err(e.to_string()))
            }
            Ecosystem::PyPI => pep440_rs::Version::from_str(text)
                .map(|v| Version::PyPI(Box::new(v)))
                .map_err(|e| err(e.to_string())),
            Ecosystem::CratesIo => {
                semver::Version::parse(text).map(Version::CratesIo).map_err(|e| err(e.to_string()))
            }
            Ecosystem::Go => GoVersion::parse(text).map(Version::Go).map_err(err),
        }
    }

    /// The ecosystem this version belongs to.
    pub fn ecosystem(&self) -> Ecosystem {
        match self {
            Version::Npm(_) => Ecosystem::Npm,
            Version::PyPI(_) => Ecosystem::PyPI,
            Version::CratesIo(_) => Ecosystem::CratesIo,
            Version::Go(_) => Ecosystem::Go,
        }
    }

    /// Whether this is a pre-release (npm/Cargo/Go pre-release tag, PEP 440 a/b/rc/dev).
    pub fn is_prerelease(&self) -> bool {
        match self {
            Version::Npm(v) => v.is_prerelease(),
            Version::PyPI(v) => v.any_prerelease(),
            Version::CratesIo(v) => !v.pre.is_empty(),
            Version::Go(v) => !v.semver.pre.is_empty() && !v.is_pseudo(),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Version::Npm(a), Version::Npm(b)) => Some(a.cmp(b)),
            (Version::PyPI(a), Version::PyPI(b)) => Some(a.cmp(b)),
            (Version::CratesIo(a), Version::CratesIo(b)) => Some(a.cmp_precedence(b)),
            (Version::Go(a), Version::Go(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Npm(v) => write!(f, "{v}"),
            Version::PyPI(v) => write!(f, "{v}"),
            Version::CratesIo(v) => write!(f, "{v}"),
            Version::Go(v) => write!(f, "{v}"),
        }
    }
}

/// A Go module version: `v` + semver, with `+incompatible` for pre-module v2+ majors
/// and pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`) for untagged commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoVersion {
    /// The semver core (the `v` stripped).
    pub semver: semver::Version,
    /// Whether the version carried `+incompatible`.
    pub incompatible: bool,
}

impl GoVersion {
    /// Parses a canonical Go module version. Go requires the leading `v`.
    pub fn parse(input: &str) -> Result<GoVersion, String> {
        let Some(rest) = input.strip_prefix('v') else {
            return Err("expected a leading `v` (Go module versions look like `v1.2.3`)".into());
        };
        let (core, incompatible) = match rest.strip_suffix("+incompatible") {
            Some(core) => (core, true),
            None => (rest, false),
        };
        let semver = semver::Version::parse(core).map_err(|e| e.to_string())?;
        if !semver.build.is_empty() {
            return Err("build metadata other than `+incompatible` is not allowed".into());
        }
        if incompatible && semver.major < 2 {
            return Err("`+incompatible` only applies to major versions 2 and above".into());
        }
        Ok(GoVersion { semver, incompatible })
    }

    /// Whether this is a pseudo-version: a pre-release ending in a 14-digit UTC
    /// timestamp and a 12-hex-digit commit prefix (the three forms of the Go reference).
    pub fn is_pseudo(&self) -> bool {
        self.pseudo_parts().is_some()
    }

    /// The timestamp (`yyyymmddhhmmss`) and revision of a pseudo-version.
    pub fn pseudo_parts(&self) -> Option<(&str, &str)> {
        let pre = self.semver.pre.as_str();
        let mut parts = pre.rsplitn(3, ['-', '.']);
        let revision = parts.next()?;
        let timestamp = parts.next()?;
        let ok = revision.len() == 12
            && revision.bytes().all(|b| b.is_ascii_hexdigit())
            && timestamp.len() == 14
            && timestamp.bytes().all(|b| b.is_ascii_digit());
        ok.then_some((timestamp, revision))
    }
}

impl Ord for GoVersion {
    /// Go orders by semver precedence; `+incompatible` does not take part.
    fn cmp(&self, other: &Self) -> Ordering {
        self.semver.cmp_precedence(&other.semver)
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.semver)?;
        if self.incompatible {
            f.write_str("+incompatible")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(e: Ecosystem, s: &str) -> Version {
        Version::parse(e, s).unwrap()
    }

    #[test]
    fn npm_order_and_loose() {
        assert!(v(Ecosystem::Npm, "1.14.0") < v(Ecosystem::Npm, "1.14.1"));
        assert!(v(Ecosystem::Npm, "1.0.0-rc.1") < v(Ecosystem::Npm, "1.0.0"));
        assert_eq!(v(Ecosystem::Npm, "v1.2.3").to_string(), "1.2.3");
    }

    #[test]
    fn pep440_order() {
        assert!(v(Ecosystem::PyPI, "1.0rc1") < v(Ecosystem::PyPI, "1.0"));
        assert!(v(Ecosystem::PyPI, "1.0") < v(Ecosystem::PyPI, "1.0.post1"));
        assert!(v(Ecosystem::PyPI, "1.0.dev0") < v(Ecosystem::PyPI, "1.0a1"));
        assert_eq!(
            v(Ecosystem::PyPI, "1.0").partial_cmp(&v(Ecosystem::PyPI, "1.0.0")),
            Some(Ordering::Equal)
        );
        assert!(v(Ecosystem::PyPI, "2!0.1") > v(Ecosystem::PyPI, "99"));
    }

    #[test]
    fn cargo_ignores_build_metadata_in_order() {
        assert_eq!(
            v(Ecosystem::CratesIo, "1.0.0+a").partial_cmp(&v(Ecosystem::CratesIo, "1.0.0+b")),
            Some(Ordering::Equal)
        );
        assert!(Version::parse(Ecosystem::CratesIo, "1.0").is_err());
    }

    #[test]
    fn go_versions() {
        let pseudo = GoVersion::parse("v0.0.0-20191109021931-daa7c04131f5").unwrap();
        assert!(pseudo.is_pseudo());
        assert_eq!(pseudo.pseudo_parts(), Some(("20191109021931", "daa7c04131f5")));
        let pre_pseudo = GoVersion::parse("v1.2.4-0.20191109021931-daa7c04131f5").unwrap();
        assert!(pre_pseudo.is_pseudo());
        assert!(pre_pseudo > GoVersion::parse("v1.2.3").unwrap());
        assert!(pre_pseudo < GoVersion::parse("v1.2.4").unwrap());
        let inc = GoVersion::parse("v2.0.0+incompatible").unwrap();
        assert!(inc.incompatible);
        assert_eq!(inc.to_string(), "v2.0.0+incompatible");
        assert!(GoVersion::parse("v1.0.0+incompatible").is_err());
        assert!(GoVersion::parse("1.0.0").is_err());
        assert!(
            !Version::parse(Ecosystem::Go, "v0.0.0-20191109021931-daa7c04131f5").unwrap().is_prerelease()
        );
    }

    #[test]
    fn cross_ecosystem_is_unordered() {
        assert_eq!(v(Ecosystem::Npm, "1.0.0").partial_cmp(&v(Ecosystem::CratesIo, "1.0.0")), None);
    }
}

//! What analyzers report: one [`Finding`] type for advisories, lockfile hygiene and
//! registry signals alike, so that policy and reporters handle them the same way.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::PackageId;

/// How bad a finding is, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context for a person; never fails a build on its own.
    Info,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0, and every known-malicious package.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// The lowercase name used in configuration and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The qualitative rating of a CVSS base score (the CVSS v3.1 and v4.0 table).
    pub fn from_cvss_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Info,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            format!("expected one of `info`, `low`, `medium`, `high`, `critical`, found `{s}`")
        })
    }
}

/// What kind of problem a finding is; policy treats the kinds differently (a malicious
/// package fails whatever the threshold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A package reported as malware.
    Malicious,
    /// A package with a known vulnerability.
    Vulnerability,
    /// A lockfile that points at unexpected places or lacks integrity.
    Hygiene,
    /// A publishing or content anomaly read from the registry or the package.
    Signal,
}

impl Category {
    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Malicious => "malicious",
            Category::Vulnerability => "vulnerability",
            Category::Hygiene => "hygiene",
            Category::Signal => "signal",
        }
    }
}

/// Static metadata of one kind of finding. Ids are kebab-case, name what was found, and
/// never change once released.
#[derive(Debug, PartialEq, Eq)]
pub struct Signal {
    /// Stable id (`known-malicious`).
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// Default severity when the instance has none of its own.
    pub severity: Severity,
    /// The kind.
    pub category: Category,
    /// A paragraph a person understands: what it means and what to do.
    pub help: &'static str,
}

/// A place in an input file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileLocation {
    /// The file, as the inventory names it.
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
}

impl fmt::Display for FileLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// A named fact supporting a finding (`resolved` = `http://…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// What the value is.
    pub label: String,
    /// The value as found.
    pub value: String,
}

/// The advisory behind a finding of the malicious or vulnerability kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AdvisoryRef {
    /// Ids of the records that matched (deduplicated by alias), primary first.
    pub ids: Vec<String>,
    /// Their aliases (CVE, GHSA …) not already in `ids`.
    pub aliases: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// The CVSS vector the severity was computed from.
    pub cvss_vector: Option<String>,
    /// Its base score.
    pub cvss_score: Option<f64>,
    /// The lowest version that fixes it, when one exists.
    pub fixed: Option<String>,
    /// Reference URLs, advisory first.
    pub links: Vec<String>,
}

/// One problem found about one package (or one input).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The kind of finding.
    #[serde(serialize_with = "signal_id")]
    pub signal: &'static Signal,
    /// This instance's severity.
    pub severity: Severity,
    /// The package it is about, when it is about one.
    pub package: Option<PackageId>,
    /// One line that says what was found.
    pub message: String,
    /// Where in the input it shows.
    pub location: Option<FileLocation>,
    /// Supporting facts.
    pub evidence: Vec<Evidence>,
    /// The advisory, for advisory findings.
    pub advisory: Option<AdvisoryRef>,
}

fn signal_id<S: serde::Serializer>(signal: &&'static Signal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(signal.id)
}

impl Finding {
    /// A finding of `signal` with its default severity.
    pub fn new(signal: &'static Signal, message: impl Into<String>) -> Finding {
        Finding {
            signal,
            severity: signal.severity,
            package: None,
            message: message.into(),
            location: None,
            evidence: Vec::new(),
            advisory: None,
        }
    }

    /// Sets the severity.
    #[must_use]
    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    /// Sets the package.
    #[must_use]
    pub fn package(mut self, package: PackageId) -> Finding {
        self.package = Some(package);
        self
    }

    /// Sets the location.
    #[must_use]
    pub fn at(mut self, location: FileLocation) -> Finding {
        self.location = Some(location);
        self
    }

    /// Adds one piece of evidence.
    #[must_use]
    pub fn evidence(mut self, label: impl Into<String>, value: impl Into<String>) -> Finding {
        self.evidence.push(Evidence { label: label.into(), value: value.into() });
        self
    }

    /// Attaches the advisory.
    #[must_use]
    pub fn advisory(mut self, advisory: AdvisoryRef) -> Finding {
        self.advisory = Some(advisory);
        self
    }

    /// The finding's category (its signal's).
    pub fn category(&self) -> Category {
        self.signal.category
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static S: Signal = Signal {
        id: "test-signal",
        title: "a test",
        severity: Severity::Medium,
        category: Category::Hygiene,
        help: "nothing",
    };

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().unwrap_err().contains("`critical`"));
        assert_eq!(Severity::from_cvss_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
        assert_eq!(Severity::from_cvss_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss_score(0.0), Severity::Info);
    }

    #[test]
    fn builder_and_location_display() {
        let f = Finding::new(&S, "m").severity(Severity::High).evidence("a", "b").at(FileLocation {
            path: "package-lock.json".into(),
            line: Some(12),
            column: Some(5),
        });
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.category(), Category::Hygiene);
        assert_eq!(f.location.as_ref().map(ToString::to_string).as_deref(), Some("package-lock.json:12:5"));
    }
}

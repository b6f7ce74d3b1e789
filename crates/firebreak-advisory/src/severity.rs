//! Severity from CVSS vectors, scored here (through the RustSec `cvss` crate) rather than
//! taken from a database's label.

use std::fmt;
use std::str::FromStr;

use crate::osv::{SeverityEntry, SeverityType};

/// Qualitative rating (CVSS v3/v4 bands: 0 none, 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high,
/// 9.0-10.0 critical; CVSS v2 has no none/critical bands, NVD's low/medium/high are used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rating {
    /// Score 0.0.
    None,
    /// Low.
    Low,
    /// Medium (GitHub calls it "moderate").
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Rating {
    /// `none`, `low`, `medium`, `high`, `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::None => "none",
            Rating::Low => "low",
            Rating::Medium => "medium",
            Rating::High => "high",
            Rating::Critical => "critical",
        }
    }

    fn from_cvss(s: cvss::Severity) -> Rating {
        match s {
            cvss::Severity::None => Rating::None,
            cvss::Severity::Low => Rating::Low,
            cvss::Severity::Medium => Rating::Medium,
            cvss::Severity::High => Rating::High,
            cvss::Severity::Critical => Rating::Critical,
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CVSS version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CvssVersion {
    /// 2.0 (vectors without a `CVSS:` prefix).
    V2,
    /// 3.0.
    V3_0,
    /// 3.1.
    V3_1,
    /// 4.0.
    V4_0,
}

impl CvssVersion {
    /// `2.0`, `3.0`, `3.1`, `4.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }
}

/// A scored CVSS vector.
#[derive(Debug, Clone, PartialEq)]
pub struct CvssScore {
    /// The CVSS version of the vector.
    pub version: CvssVersion,
    /// The vector as the record wrote it.
    pub vector: String,
    /// The score: the base score for base-only vectors (v4 vectors with threat or
    /// environmental metrics score as CVSS-BT/BE/BTE, as the v4 specification defines).
    pub score: f64,
    /// The rating of that score.
    pub rating: Rating,
}

/// Scores a CVSS vector (`CVSS:3.1/AV:N/…`, `CVSS:4.0/AV:N/…`, or a bare v2 vector).
pub fn score_vector(vector: &str) -> Result<CvssScore, String> {
    let parsed =
        cvss::Cvss::from_str(vector.trim()).map_err(|e| format!("invalid CVSS vector `{vector}`: {e}"))?;
    let version = match parsed {
        cvss::Cvss::CvssV20(_) => CvssVersion::V2,
        cvss::Cvss::CvssV30(_) => CvssVersion::V3_0,
        cvss::Cvss::CvssV31(_) => CvssVersion::V3_1,
        cvss::Cvss::CvssV40(_) => CvssVersion::V4_0,
        _ => return Err(format!("unsupported CVSS version in `{vector}`")),
    };
    let score = parsed.score();
    Ok(CvssScore {
        version,
        vector: vector.trim().to_owned(),
        score,
        rating: Rating::from_cvss(parsed.severity()),
    })
}

/// How severe a record is, and where that judgement came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Severity {
    /// The rating.
    pub rating: Rating,
    /// The scored vector; `None` when the rating comes from a database label.
    pub cvss: Option<CvssScore>,
    /// The database label used when there was no vector (`HIGH`, `MODERATE`, `medium`, …).
    pub label: Option<String>,
}

impl Severity {
    /// From a label such as GitHub's `LOW`/`MODERATE`/`HIGH`/`CRITICAL` or an Ubuntu priority.
    pub fn from_label(label: &str) -> Option<Severity> {
        let rating = match label.trim().to_ascii_lowercase().as_str() {
            "none" | "negligible" | "unimportant" => Rating::None,
            "low" => Rating::Low,
            "moderate" | "medium" => Rating::Medium,
            "high" => Rating::High,
            "critical" => Rating::Critical,
            _ => return None,
        };
        Some(Severity { rating, cvss: None, label: Some(label.trim().to_owned()) })
    }

    /// The numeric score, when a vector was scored.
    pub fn score(&self) -> Option<f64> {
        self.cvss.as_ref().map(|c| c.score)
    }

    /// Prefer scored vectors, then newer CVSS versions, then higher ratings and scores.
    pub(crate) fn rank_key(&self) -> (bool, Option<CvssVersion>, Rating, i64) {
        let tenths = self.score().map_or(0, |s| (s * 10.0).round() as i64);
        (self.cvss.is_some(), self.cvss.as_ref().map(|c| c.version), self.rating, tenths)
    }

    /// Order by how bad it is: rating, then score.
    pub(crate) fn badness(&self) -> (Rating, i64) {
        (self.rating, self.score().map_or(0, |s| (s * 10.0).round() as i64))
    }
}

/// Scores one `severity[]` entry; unscorable vectors are skipped (`None`).
pub(crate) fn score_entry(entry: &SeverityEntry) -> Option<Severity> {
    match entry.kind {
        SeverityType::CvssV2 | SeverityType::CvssV3 | SeverityType::CvssV4 => {
            let cvss = score_vector(&entry.score).ok()?;
            Some(Severity { rating: cvss.rating, cvss: Some(cvss), label: None })
        }
        SeverityType::Ubuntu => Severity::from_label(&entry.score),
        SeverityType::Other => None,
    }
}

//! The OSV schema (1.7) as serde types.
//!
//! Lenient where the schema leaves room (unknown fields are ignored, `null` counts as absent,
//! unknown range and severity types are kept as `Other`), strict about what matching needs:
//! `id`, `modified`, and in every `affected[].package` the `ecosystem` and `name`; in every
//! range its `type` and `events`. <https://ossf.github.io/osv-schema/>

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::Timestamp;
use crate::error::RecordError;
use crate::severity::{Severity, score_entry};

/// One OSV record.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Record {
    /// `schema_version`, when given.
    #[serde(default)]
    pub schema_version: Option<String>,
    /// The record's id (`GHSA-…`, `MAL-…`, `RUSTSEC-…`).
    pub id: String,
    /// When the record last changed.
    pub modified: Timestamp,
    /// When it was first published.
    #[serde(default)]
    pub published: Option<Timestamp>,
    /// When it was withdrawn; a withdrawn record is stored but never matched.
    #[serde(default)]
    pub withdrawn: Option<Timestamp>,
    /// Other ids of the same issue.
    #[serde(default, deserialize_with = "nullable")]
    pub aliases: Vec<String>,
    /// Ids of related but different issues.
    #[serde(default, deserialize_with = "nullable")]
    pub related: Vec<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Markdown details.
    #[serde(default)]
    pub details: Option<String>,
    /// Severity vectors of the whole record.
    #[serde(default, deserialize_with = "nullable")]
    pub severity: Vec<SeverityEntry>,
    /// Affected packages.
    #[serde(default, deserialize_with = "nullable")]
    pub affected: Vec<Affected>,
    /// Links.
    #[serde(default, deserialize_with = "nullable")]
    pub references: Vec<Reference>,
    /// People and organisations credited.
    #[serde(default, deserialize_with = "nullable")]
    pub credits: Vec<Credit>,
    /// Database-specific data (GHSA `cwe_ids`, `severity`; malicious-packages origins).
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// A `severity[]` entry: a scoring system and its vector or label.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SeverityEntry {
    /// The scoring system.
    #[serde(rename = "type")]
    pub kind: SeverityType,
    /// The vector (CVSS) or label (Ubuntu).
    pub score: String,
}

/// The scoring systems OSV names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub enum SeverityType {
    /// CVSS v2 vector.
    #[serde(rename = "CVSS_V2")]
    CvssV2,
    /// CVSS v3.0 or v3.1 vector.
    #[serde(rename = "CVSS_V3")]
    CvssV3,
    /// CVSS v4.0 vector.
    #[serde(rename = "CVSS_V4")]
    CvssV4,
    /// Ubuntu priority label.
    Ubuntu,
    /// A type this build does not know.
    #[serde(other)]
    Other,
}

/// An `affected[]` entry: one package and the versions of it the record covers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Affected {
    /// The package; records about a repository may omit it.
    #[serde(default)]
    pub package: Option<Package>,
    /// Per-package severity (schema 1.7).
    #[serde(default, deserialize_with = "nullable")]
    pub severity: Vec<SeverityEntry>,
    /// Version ranges.
    #[serde(default, deserialize_with = "nullable")]
    pub ranges: Vec<Range>,
    /// Explicitly enumerated versions.
    #[serde(default, deserialize_with = "nullable")]
    pub versions: Vec<String>,
    /// Ecosystem-specific data.
    #[serde(default)]
    pub ecosystem_specific: Option<Value>,
    /// Database-specific data (malicious-packages puts `cwes` here).
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// `affected[].package`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Package {
    /// OSV ecosystem string (`npm`, `PyPI`, `crates.io`, `Go`, `Debian:12`, …).
    pub ecosystem: String,
    /// The package name as the ecosystem writes it.
    pub name: String,
    /// Package URL, when given.
    #[serde(default)]
    pub purl: Option<String>,
}

impl Package {
    /// The ecosystem without its release suffix (`Debian:12` -> `Debian`).
    pub fn base_ecosystem(&self) -> &str {
        self.ecosystem.split(':').next().unwrap_or_default()
    }
}

/// A version range: ordered events in one versioning scheme.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Range {
    /// How the versions are ordered.
    #[serde(rename = "type")]
    pub kind: RangeType,
    /// Repository of a `GIT` range.
    #[serde(default)]
    pub repo: Option<String>,
    /// The events.
    pub events: Vec<Event>,
    /// Database-specific data.
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// `ranges[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub enum RangeType {
    /// SemVer 2.0 order. Evaluated with the ecosystem's own order, which is SemVer for npm,
    /// crates.io and Go; the few PyPI records with SEMVER ranges are read as PEP 440.
    #[serde(rename = "SEMVER")]
    Semver,
    /// The ecosystem's own order.
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    /// Git commits; never used for package-version matching.
    #[serde(rename = "GIT")]
    Git,
    /// A type this build does not know; skipped when matching.
    #[serde(other)]
    Other,
}

/// One range event. Each OSV event object carries exactly one of these keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// Versions from here on are affected (`"0"` means from the beginning).
    Introduced(String),
    /// This version and later are not affected.
    Fixed(String),
    /// Versions after this one are not affected.
    LastAffected(String),
    /// Versions from here on are outside the range whatever the other events say.
    Limit(String),
}

impl Event {
    /// The version the event names.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// `references[]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Reference {
    /// `ADVISORY`, `WEB`, `PACKAGE`, `REPORT`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The link.
    pub url: String,
}

/// `credits[]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Credit {
    /// Who.
    pub name: String,
    /// How to reach them.
    #[serde(default, deserialize_with = "nullable")]
    pub contact: Vec<String>,
    /// `FINDER`, `REPORTER`, …
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// What a record reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The package (version) is malware: installing it is the incident.
    Malicious,
    /// An ordinary vulnerability.
    Vulnerability,
}

impl Kind {
    /// `malicious` or `vulnerability`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Malicious => "malicious",
            Kind::Vulnerability => "vulnerability",
        }
    }

    /// Inverse of [`Kind::as_str`].
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "malicious" => Some(Kind::Malicious),
            "vulnerability" => Some(Kind::Vulnerability),
            _ => None,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The CWE for "Embedded Malicious Code", which GitHub puts on its malware advisories.
const CWE_MALICIOUS: &str = "CWE-506";

impl Record {
    /// Parses one record. `file` is only used in the error, which also gives the JSON path.
    pub fn from_slice(file: &str, bytes: &[u8]) -> Result<Record, RecordError> {
        // Path tracking costs about as much as the parse itself and only matters for the
        // message: parse plainly, and parse again with tracking only when that fails.
        // `from_slice` also refuses trailing garbage, as the tracked path below does.
        if let Ok(record) = serde_json::from_slice::<Record>(bytes) {
            record.validate(file)?;
            return Ok(record);
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let result: Result<Record, _> = serde_path_to_error::deserialize(&mut de);
        let record = result.map_err(|e| {
            let json_path = json_path(&e.path().to_string());
            let inner = e.into_inner();
            let (line, column) = (u32::try_from(inner.line()).ok(), u32::try_from(inner.column()).ok());
            RecordError { file: file.to_owned(), json_path, line, column, message: strip_position(&inner) }
        })?;
        // Trailing garbage after the object is a broken file, not a record.
        de.end().map_err(|e| RecordError {
            file: file.to_owned(),
            json_path: "$".into(),
            line: u32::try_from(e.line()).ok(),
            column: u32::try_from(e.column()).ok(),
            message: strip_position(&e),
        })?;
        record.validate(file)?;
        Ok(record)
    }

    fn validate(&self, file: &str) -> Result<(), RecordError> {
        let fail = |json_path: String, message: &str| {
            Err(RecordError {
                file: file.to_owned(),
                json_path,
                line: None,
                column: None,
                message: message.into(),
            })
        };
        if self.id.trim().is_empty() {
            return fail("$.id".into(), "expected a non-empty string");
        }
        for (a, affected) in self.affected.iter().enumerate() {
            if let Some(package) = &affected.package {
                if package.name.trim().is_empty() {
                    return fail(format!("$.affected[{a}].package.name"), "expected a non-empty string");
                }
                if package.base_ecosystem().trim().is_empty() {
                    return fail(format!("$.affected[{a}].package.ecosystem"), "expected a non-empty string");
                }
            }
            for (r, range) in affected.ranges.iter().enumerate() {
                if range.events.is_empty() {
                    return fail(
                        format!("$.affected[{a}].ranges[{r}].events"),
                        "expected at least one event",
                    );
                }
            }
        }
        Ok(())
    }

    /// Whether the record was withdrawn.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }

    /// The id followed by the aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// Whether the record reports malware or an ordinary vulnerability.
    ///
    /// Malicious: `MAL-` ids (OpenSSF malicious-packages), records marked with CWE-506 in
    /// `database_specific.cwe_ids` (GitHub) or `affected[].database_specific.cwes[].cweId`
    /// (malicious-packages), and records whose summary calls the package malware or says
    /// "Malicious code in" / "malicious package". The bare word "malicious" is not enough:
    /// vulnerability summaries say "malicious input" all the time.
    pub fn kind(&self) -> Kind {
        if self.id.starts_with("MAL-")
            || self.has_malicious_cwe()
            || summary_says_malware(self.summary.as_deref())
        {
            Kind::Malicious
        } else {
            Kind::Vulnerability
        }
    }

    fn has_malicious_cwe(&self) -> bool {
        let top = self
            .database_specific
            .as_ref()
            .and_then(|d| d.get("cwe_ids"))
            .and_then(Value::as_array)
            .is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(CWE_MALICIOUS)));
        top || self.affected.iter().any(|a| {
            a.database_specific.as_ref().and_then(|d| d.get("cwes")).and_then(Value::as_array).is_some_and(
                |cwes| cwes.iter().any(|c| c.get("cweId").and_then(Value::as_str) == Some(CWE_MALICIOUS)),
            )
        })
    }

    /// The record's severity: the newest CVSS version among its vectors (record-level, then
    /// per-package), scored here; else the database's own label (GitHub's
    /// `database_specific.severity`, or an Ubuntu priority). `None` when there is neither.
    pub fn severity(&self) -> Option<Severity> {
        let label = self.database_specific.as_ref().and_then(|d| d.get("severity")).and_then(Value::as_str);
        severity_of(self.severity.iter().chain(self.affected.iter().flat_map(|a| a.severity.iter())), label)
    }
}

/// [`Record::severity`] from the record's severity entries, in order, and its label.
fn severity_of<'a>(
    entries: impl Iterator<Item = &'a SeverityEntry>,
    label: Option<&str>,
) -> Option<Severity> {
    let mut best: Option<Severity> = None;
    for entry in entries {
        if let Some(sev) = score_entry(entry) {
            let better = match &best {
                None => true,
                Some(b) => sev.rank_key() > b.rank_key(),
            };
            if better {
                best = Some(sev);
            }
        }
    }
    if best.as_ref().is_some_and(|b| b.cvss.is_some()) {
        return best;
    }
    label.and_then(Severity::from_label).or(best)
}

/// What a finding shows of a record, apart from the version data (which the store's index
/// carries): merging and reporting read only this.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Brief {
    pub(crate) id: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) kind: Kind,
    pub(crate) summary: Option<String>,
    /// Scored once per record, however many packages it affects.
    pub(crate) severity: Option<Severity>,
    pub(crate) modified: Timestamp,
    pub(crate) published: Option<Timestamp>,
    pub(crate) references: Vec<Reference>,
}

impl Brief {
    /// The brief of a parsed record.
    pub(crate) fn of(record: &Record) -> Brief {
        Brief {
            id: record.id.clone(),
            aliases: record.aliases.clone(),
            kind: record.kind(),
            summary: record.summary.clone(),
            severity: record.severity(),
            modified: record.modified,
            published: record.published,
            references: record.references.clone(),
        }
    }

    /// Reads the brief straight from a record's JSON, skipping what it does not need
    /// (details, credits, ranges, versions): a scan reads thousands of records for this.
    /// `kind` is the record's [`Record::kind`] as the store computed it on import. The
    /// bytes are those of a record that [`Record::from_slice`] accepted, and every field
    /// read here is read the same way there.
    pub(crate) fn from_slice(file: &str, bytes: &[u8], kind: Kind) -> Result<Brief, RecordError> {
        let lean: LeanRecord = serde_json::from_slice(bytes).map_err(|e| RecordError {
            file: file.to_owned(),
            json_path: "$".into(),
            line: u32::try_from(e.line()).ok(),
            column: u32::try_from(e.column()).ok(),
            message: strip_position(&e),
        })?;
        let severity = severity_of(
            lean.severity.iter().chain(lean.affected.iter().flat_map(|a| a.severity.iter())),
            lean.database_specific.and_then(|d| d.0).as_deref(),
        );
        Ok(Brief {
            id: lean.id,
            aliases: lean.aliases,
            kind,
            summary: lean.summary,
            severity,
            modified: lean.modified,
            published: lean.published,
            references: lean.references,
        })
    }

    /// The id followed by the aliases.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// The fields of [`Record`] that [`Brief`] needs; serde skips the others without
/// allocating.
#[derive(Deserialize)]
struct LeanRecord {
    id: String,
    modified: Timestamp,
    #[serde(default)]
    published: Option<Timestamp>,
    #[serde(default, deserialize_with = "nullable")]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    severity: Vec<SeverityEntry>,
    #[serde(default, deserialize_with = "nullable")]
    affected: Vec<LeanAffected>,
    #[serde(default, deserialize_with = "nullable")]
    references: Vec<Reference>,
    #[serde(default)]
    database_specific: Option<SeverityLabel>,
}

#[derive(Deserialize)]
struct LeanAffected {
    #[serde(default, deserialize_with = "nullable")]
    severity: Vec<SeverityEntry>,
}

/// `database_specific.severity` when it is a string, from any JSON value (a non-object
/// `database_specific`, or a non-string `severity`, gives `None`, as in [`Record::severity`]).
struct SeverityLabel(Option<String>);

impl<'de> Deserialize<'de> for SeverityLabel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SeverityLabel, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

        struct LabelVisitor;

        /// A string, or `None` for any other JSON value.
        struct MaybeString(Option<String>);

        impl<'de> Deserialize<'de> for MaybeString {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MaybeString, D::Error> {
                struct StringVisitor;
                impl<'de> Visitor<'de> for StringVisitor {
                    type Value = MaybeString;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("any JSON value")
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MaybeString, E> {
                        Ok(MaybeString(Some(v.to_owned())))
                    }
                    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<MaybeString, E> {
                        Ok(MaybeString(Some(v)))
                    }
                    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<MaybeString, E> {
                        Ok(MaybeString(None))
                    }
                    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<MaybeString, E> {
                        Ok(MaybeString(None))
                    }
                    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<MaybeString, E> {
                        Ok(MaybeString(None))
                    }
                    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<MaybeString, E> {
                        Ok(MaybeString(None))
                    }
                    fn visit_unit<E: serde::de::Error>(self) -> Result<MaybeString, E> {
                        Ok(MaybeString(None))
                    }
                    fn visit_none<E: serde::de::Error>(self) -> Result<MaybeString, E> {
                        Ok(MaybeString(None))
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MaybeString, A::Error> {
                        while seq.next_element::<IgnoredAny>()?.is_some() {}
                        Ok(MaybeString(None))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MaybeString, A::Error> {
                        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        Ok(MaybeString(None))
                    }
                }
                deserializer.deserialize_any(StringVisitor)
            }
        }

        impl<'de> Visitor<'de> for LabelVisitor {
            type Value = SeverityLabel;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SeverityLabel, A::Error> {
                // A repeated key: serde_json's `Value` keeps the last one.
                let mut label = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "severity" {
                        label = map.next_value::<MaybeString>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(SeverityLabel(label))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SeverityLabel, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(SeverityLabel(None))
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<SeverityLabel, E> {
                Ok(SeverityLabel(None))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<SeverityLabel, E> {
                Ok(SeverityLabel(None))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<SeverityLabel, E> {
                Ok(SeverityLabel(None))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<SeverityLabel, E> {
                Ok(SeverityLabel(None))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<SeverityLabel, E> {
                Ok(SeverityLabel(None))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<SeverityLabel, E> {
                Ok(SeverityLabel(None))
            }
        }
        deserializer.deserialize_any(LabelVisitor)
    }
}

fn summary_says_malware(summary: Option<&str>) -> bool {
    let Some(summary) = summary else { return false };
    let s = summary.to_ascii_lowercase();
    s.contains("malware") || s.starts_with("malicious code in") || s.contains("malicious package")
}

/// `serde_path_to_error` writes `affected[0].package`; make it read as a JSONPath.
fn json_path(path: &str) -> String {
    match path {
        "" | "." => "$".into(),
        p if p.starts_with('[') => format!("${p}"),
        p => format!("$.{p}"),
    }
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

fn nullable<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_file_and_path() {
        let text = br#"{"id": "X-1", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "npm"}, "ranges": []}]}"#;
        let err = Record::from_slice("osv/X-1.json", text).unwrap_err();
        assert_eq!(err.file, "osv/X-1.json");
        assert_eq!(err.json_path, "$.affected[0].package");
        assert!(err.message.contains("missing field `name`"), "{}", err.message);
        assert!(
            err.to_string()
                .starts_with("failed to parse OSV record `osv/X-1.json` at `$.affected[0].package`")
        );
    }

    #[test]
    fn bad_timestamp_and_event() {
        let err = Record::from_slice("a.json", br#"{"id": "X", "modified": "yesterday"}"#).unwrap_err();
        assert_eq!(err.json_path, "$.modified");
        let text = br#"{"id": "X", "modified": "2024-01-01T00:00:00Z", "affected": [{"package":
            {"ecosystem": "npm", "name": "a"}, "ranges": [{"type": "SEMVER", "events": [{"broken": "1"}]}]}]}"#;
        let err = Record::from_slice("a.json", text).unwrap_err();
        assert_eq!(err.json_path, "$.affected[0].ranges[0].events[0]");
        let err = Record::from_slice("a.json", br#"{"modified": "2024-01-01T00:00:00Z"}"#).unwrap_err();
        assert_eq!(err.json_path, "$");
        assert!(err.message.contains("`id`"));
    }

    #[test]
    fn lenient_about_unknown_and_null() {
        let text = br#"{"id": "X", "modified": "2024-01-01T00:00:00Z", "aliases": null, "future_field": 1,
            "affected": [{"package": {"ecosystem": "Debian:12", "name": "a"},
            "ranges": [{"type": "NEW_KIND", "events": [{"introduced": "0"}]}]}]}"#;
        let r = Record::from_slice("a.json", text).unwrap();
        assert!(r.aliases.is_empty());
        assert_eq!(r.affected[0].ranges[0].kind, RangeType::Other);
        assert_eq!(r.affected[0].package.as_ref().unwrap().base_ecosystem(), "Debian");
    }

    #[test]
    fn brief_reads_what_the_record_says() {
        let head = r#""id": "GHSA-x", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-1"], "summary": "s",
            "details": "long", "credits": [{"name": "n"}],
            "references": [{"type": "WEB", "url": "https://a"}, {"type": "ADVISORY", "url": "https://b"}]"#;
        let affected = r#""affected": [{"package": {"ecosystem": "npm", "name": "a"},
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
            "database_specific": {"cwes": [{"cweId": "CWE-506"}]}}]"#;
        let tails = [
            String::new(),
            format!(", {affected}"),
            r#", "database_specific": {"severity": "HIGH", "cwe_ids": ["CWE-1"]}"#.to_owned(),
            r#", "database_specific": {"severity": "LOW", "severity": 3}"#.to_owned(),
            r#", "database_specific": {"severity": {"x": [1]}}"#.to_owned(),
            r#", "database_specific": ["severity"]"#.to_owned(),
            r#", "database_specific": "HIGH""#.to_owned(),
            r#", "database_specific": null, "severity": null, "published": "2023-01-01T00:00:00Z""#.to_owned(),
            r#", "severity": [{"type": "UBUNTU", "score": "medium"}], "database_specific": {"severity": "CRITICAL"}"#
                .to_owned(),
        ];
        for tail in tails {
            let text = format!("{{{head}{tail}}}");
            let record = Record::from_slice("a.json", text.as_bytes()).unwrap();
            let brief = Brief::from_slice("a.json", text.as_bytes(), record.kind()).unwrap();
            assert_eq!(brief, Brief::of(&record), "{text}");
        }
        let label = |tail: &str| {
            let text = format!("{{{head}{tail}}}");
            Brief::from_slice("a.json", text.as_bytes(), Kind::Vulnerability)
                .unwrap()
                .severity
                .and_then(|s| s.label)
        };
        assert_eq!(label(r#", "database_specific": {"severity": "HIGH"}"#).as_deref(), Some("HIGH"));
        assert_eq!(label(r#", "database_specific": {"severity": 3}"#), None);
        let err = Brief::from_slice("b.json", br#"{"id": 1}"#, Kind::Malicious).unwrap_err();
        assert_eq!(err.file, "b.json");
    }

    #[test]
    fn malicious_wording() {
        assert!(summary_says_malware(Some("Embedded malware in rc")));
        assert!(summary_says_malware(Some("Malicious code in nx (npm)")));
        assert!(!summary_says_malware(Some("Denial of service from malicious input")));
        assert!(!summary_says_malware(None));
    }
}

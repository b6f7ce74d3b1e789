//! Matching real records against the versions they name (and their fixed versions), one
//! ecosystem at a time, plus alias de-duplication.

#![allow(clippy::unwrap_used)]

mod common;

use firebreak_advisory::{Kind, Match, RangeType, Rating, Reason, Record, affects, match_records};
use firebreak_core::Ecosystem;

fn hit(rel: &str, ecosystem: Ecosystem, name: &str, version: &str) -> Option<firebreak_advisory::Hit> {
    affects(&common::record(rel), ecosystem, name, version)
}

fn affected(rel: &str, ecosystem: Ecosystem, name: &str, version: &str) -> bool {
    hit(rel, ecosystem, name, version).is_some()
}

#[test]
fn npm_malicious_versions_list() {
    // MAL-2026-2307: axios 0.30.4 and 1.14.1 were the compromised releases.
    let rel = "npm/MAL-2026-2307.json";
    let h = hit(rel, Ecosystem::Npm, "axios", "1.14.1").unwrap();
    assert_eq!(h.reason, Reason::Listed);
    assert_eq!(h.fixed, None);
    assert!(affected(rel, Ecosystem::Npm, "axios", "0.30.4"));
    assert!(!affected(rel, Ecosystem::Npm, "axios", "1.14.0"));
    assert!(!affected(rel, Ecosystem::Npm, "axios", "1.14.2"));
    // npm names are case-sensitive: `Axios` is another package.
    assert!(!affected(rel, Ecosystem::Npm, "Axios", "1.14.1"));
    // The right name in the wrong ecosystem is not a match.
    assert!(!affected(rel, Ecosystem::PyPI, "axios", "1.14.1"));
    // MAL-2025-46969: chalk 5.6.1 only.
    assert!(affected("npm/MAL-2025-46969.json", Ecosystem::Npm, "chalk", "5.6.1"));
    assert!(!affected("npm/MAL-2025-46969.json", Ecosystem::Npm, "chalk", "5.6.0"));
    assert!(!affected("npm/MAL-2025-46969.json", Ecosystem::Npm, "chalk", "5.6.2"));
}

#[test]
fn npm_semver_last_affected_with_unsorted_events() {
    // MAL-2025-47197 (ngx-bootstrap): one SEMVER range whose events are written 20.0.3,
    // 20.0.6 (last_affected), 19.0.3, 19.0.4 (last_affected), plus a versions list that
    // also names 18.1.4.
    let rel = "npm/MAL-2025-47197.json";
    let r = common::record(rel);
    assert_eq!(r.affected[0].ranges[0].kind, RangeType::Semver);
    for v in ["19.0.3", "19.0.4", "20.0.3", "20.0.5", "20.0.6"] {
        assert!(affected(rel, Ecosystem::Npm, "ngx-bootstrap", v), "{v}");
    }
    let h = hit(rel, Ecosystem::Npm, "ngx-bootstrap", "18.1.4").unwrap();
    assert_eq!(h.reason, Reason::Listed);
    for v in ["19.0.2", "19.0.5", "20.0.2", "20.0.7", "18.1.3"] {
        assert!(!affected(rel, Ecosystem::Npm, "ngx-bootstrap", v), "{v}");
    }
    // MAL-2025-47141 (@ctrl/tinycolor) also has `introduced: "0"`: every version.
    assert!(affected("npm/MAL-2025-47141.json", Ecosystem::Npm, "@ctrl/tinycolor", "1.0.0"));
    assert!(affected("npm/MAL-2025-47141.json", Ecosystem::Npm, "@ctrl/tinycolor", "4.1.2"));
}

#[test]
fn npm_vulnerability_ranges_and_remediation() {
    // GHSA-c2qf-rxjj-qqgw (semver ReDoS): <5.7.2, >=6.0.0 <6.3.1, >=7.0.0 <7.5.2.
    let rel = "npm/GHSA-c2qf-rxjj-qqgw.json";
    for (v, fix) in
        [("7.5.1", "7.5.2"), ("7.0.0", "7.5.2"), ("6.3.0", "6.3.1"), ("5.7.1", "5.7.2"), ("2.0.0", "5.7.2")]
    {
        let h = hit(rel, Ecosystem::Npm, "semver", v).unwrap_or_else(|| panic!("{v}"));
        assert_eq!(h.fixed.as_deref(), Some(fix), "{v}");
        assert_eq!(h.reason, Reason::Range(RangeType::Ecosystem));
    }
    for v in ["7.5.2", "7.6.0", "6.3.1", "5.7.2", "6.0.0-rc.1"] {
        assert!(!affected(rel, Ecosystem::Npm, "semver", v), "{v}");
    }
    // GHSA-r683-j2x4-v87g writes a shortened `introduced: "1.0"`, and its two ranges overlap:
    // `>=1.0 <3.1.1` and `<2.6.7`. 2.6.7 leaves the second but not the first, so the first
    // version outside the record is 3.1.1, and 2.6.7 is itself affected.
    let rel = "npm/GHSA-r683-j2x4-v87g.json";
    assert_eq!(hit(rel, Ecosystem::Npm, "node-fetch", "2.6.6").unwrap().fixed.as_deref(), Some("3.1.1"));
    assert!(affected(rel, Ecosystem::Npm, "node-fetch", "2.6.7"));
    // Even from 0.9.0, which only `<2.6.7` covers, the way out is 3.1.1.
    assert_eq!(hit(rel, Ecosystem::Npm, "node-fetch", "0.9.0").unwrap().fixed.as_deref(), Some("3.1.1"));
    assert_eq!(hit(rel, Ecosystem::Npm, "node-fetch", "3.0.0").unwrap().fixed.as_deref(), Some("3.1.1"));
    assert!(!affected(rel, Ecosystem::Npm, "node-fetch", "3.1.1"));
    // GHSA-pjwm-rvh2-c87w: both a versions list and a range per entry.
    let h = hit("npm/GHSA-pjwm-rvh2-c87w.json", Ecosystem::Npm, "ua-parser-js", "0.7.29").unwrap();
    assert_eq!(h.fixed.as_deref(), Some("0.7.30"));
    assert!(!affected("npm/GHSA-pjwm-rvh2-c87w.json", Ecosystem::Npm, "ua-parser-js", "0.7.28"));
}

#[test]
fn pypi_pep440_and_pep503_names() {
    // GHSA-jh3w-4vvf-mjgr writes the package as `Django`; lockfiles write `django`.
    let rel = "PyPI/GHSA-jh3w-4vvf-mjgr.json";
    for name in ["django", "Django", "DJANGO"] {
        assert_eq!(
            hit(rel, Ecosystem::PyPI, name, "4.2.2").unwrap().fixed.as_deref(),
            Some("4.2.3"),
            "{name}"
        );
    }
    assert_eq!(hit(rel, Ecosystem::PyPI, "django", "3.2.19").unwrap().fixed.as_deref(), Some("3.2.20"));
    // PEP 440 order: 4.2.3 is fixed, and so is its post-release; the 4.2.3 release candidate is not.
    assert!(!affected(rel, Ecosystem::PyPI, "django", "4.2.3"));
    assert!(!affected(rel, Ecosystem::PyPI, "django", "4.2.3.post1"));
    assert!(affected(rel, Ecosystem::PyPI, "django", "4.2.3rc1"));
    assert!(!affected(rel, Ecosystem::PyPI, "django", "4.1.10"));
    // GHSA-vm8q-m57g-pff3 writes `introduced: "3.2"`; PEP 440 treats 3.2 and 3.2.0 as equal.
    assert!(affected("PyPI/GHSA-vm8q-m57g-pff3.json", Ecosystem::PyPI, "Django", "3.2.0"));
    assert!(!affected("PyPI/GHSA-vm8q-m57g-pff3.json", Ecosystem::PyPI, "Django", "3.2.25"));
    // MAL-2024-4721 lists the single version `4.96`; `4.96.0` is the same PEP 440 version.
    assert!(affected("PyPI/MAL-2024-4721.json", Ecosystem::PyPI, "18923aa", "4.96"));
    assert!(affected("PyPI/MAL-2024-4721.json", Ecosystem::PyPI, "18923aa", "4.96.0"));
    assert!(!affected("PyPI/MAL-2024-4721.json", Ecosystem::PyPI, "18923aa", "4.97"));
    // MAL-2024-9934 `3web-py`: PEP 503 folds `3web_py` and `3Web.Py` onto it.
    assert!(affected("PyPI/MAL-2024-9934.json", Ecosystem::PyPI, "3Web.Py", "1.0.0"));
    assert!(affected("PyPI/MAL-2024-9934.json", Ecosystem::PyPI, "3web_py", "1.0"));
    // MAL-2026-2144: litellm 1.82.7 and 1.82.8.
    assert!(affected("PyPI/MAL-2026-2144.json", Ecosystem::PyPI, "litellm", "1.82.8"));
    assert!(!affected("PyPI/MAL-2026-2144.json", Ecosystem::PyPI, "litellm", "1.82.9"));
}

#[test]
fn crates_io_last_affected_and_open_ranges() {
    // GHSA-f8vr-r385-rh5r: hyper <=0.14.25 and h2 <=0.3.16 (`last_affected`, no fix known).
    let rel = "crates.io/GHSA-f8vr-r385-rh5r.json";
    let h = hit(rel, Ecosystem::CratesIo, "hyper", "0.14.25").unwrap();
    assert_eq!(h.fixed, None);
    assert!(!affected(rel, Ecosystem::CratesIo, "hyper", "0.14.26"));
    assert!(affected(rel, Ecosystem::CratesIo, "h2", "0.3.16"));
    assert!(!affected(rel, Ecosystem::CratesIo, "h2", "0.3.17"));
    // GHSA-m5pq-gvj9-9vr8: regex <1.5.5.
    let rel = "crates.io/GHSA-m5pq-gvj9-9vr8.json";
    assert_eq!(hit(rel, Ecosystem::CratesIo, "regex", "1.5.4").unwrap().fixed.as_deref(), Some("1.5.5"));
    assert!(!affected(rel, Ecosystem::CratesIo, "regex", "1.5.5"));
    // GHSA-wcg3-cvx6-7396: `introduced: "0.1"` with no fix, and >=0.2.7 <0.2.23.
    let rel = "crates.io/GHSA-wcg3-cvx6-7396.json";
    assert_eq!(hit(rel, Ecosystem::CratesIo, "time", "0.1.45").unwrap().fixed, None);
    // 0.2.22 is in both ranges; 0.2.23 leaves the second but the first never ends: no fix.
    assert_eq!(hit(rel, Ecosystem::CratesIo, "time", "0.2.22").unwrap().fixed, None);
    assert!(
        affected(rel, Ecosystem::CratesIo, "time", "0.3.36"),
        "the open range covers every later version"
    );
    assert!(!affected(rel, Ecosystem::CratesIo, "time", "0.0.9"));
    // crates.io treats `-` and `_` alike: MAL-2026-14338 is proc-macro1.
    assert!(affected("crates.io/MAL-2026-14338.json", Ecosystem::CratesIo, "proc_macro1", "0.1.0"));
    assert!(affected("crates.io/MAL-2026-14336.json", Ecosystem::CratesIo, "arrayref", "0.3.10"));
    assert!(!affected("crates.io/MAL-2026-14336.json", Ecosystem::CratesIo, "arrayref", "0.3.9"));
}

#[test]
fn go_versions_with_and_without_v() {
    // GHSA-2wrh-6pvc-2jm9: golang.org/x/net <0.13.0; OSV writes `0.13.0`, go.mod `v0.13.0`.
    let rel = "Go/GHSA-2wrh-6pvc-2jm9.json";
    let h = hit(rel, Ecosystem::Go, "golang.org/x/net", "v0.12.0").unwrap();
    assert_eq!(h.fixed.as_deref(), Some("v0.13.0"));
    assert!(!affected(rel, Ecosystem::Go, "golang.org/x/net", "v0.13.0"));
    // A pseudo-version before v0.13.0 is affected.
    assert!(affected(rel, Ecosystem::Go, "golang.org/x/net", "v0.0.0-20230301000000-abcdefabcdef"));
    // GHSA-m425-mq94-257g: grpc <1.56.3, >=1.57.0 <1.57.1, >=1.58.0 <1.58.3.
    let rel = "Go/GHSA-m425-mq94-257g.json";
    assert_eq!(
        hit(rel, Ecosystem::Go, "google.golang.org/grpc", "v1.57.0").unwrap().fixed.as_deref(),
        Some("v1.57.1")
    );
    assert_eq!(
        hit(rel, Ecosystem::Go, "google.golang.org/grpc", "v1.56.2").unwrap().fixed.as_deref(),
        Some("v1.56.3")
    );
    for v in ["v1.56.3", "v1.57.1", "v1.58.3", "v1.59.0"] {
        assert!(!affected(rel, Ecosystem::Go, "google.golang.org/grpc", v), "{v}");
    }
    // Go module paths are case-sensitive.
    assert!(affected("Go/MAL-2025-2545.json", Ecosystem::Go, "github.com/boltdb-go/bolt", "v1.3.1"));
    assert!(!affected("Go/MAL-2025-2545.json", Ecosystem::Go, "github.com/BoltDB-go/bolt", "v1.3.1"));
}

#[test]
fn git_ranges_are_ignored() {
    let text = br#"{"id": "TEST-GIT", "modified": "2024-01-01T00:00:00Z", "affected": [{
        "package": {"ecosystem": "npm", "name": "left-pad"},
        "ranges": [{"type": "GIT", "repo": "https://example.invalid/x.git",
                    "events": [{"introduced": "0"}, {"fixed": "abcdef0"}]}]}]}"#;
    let r = Record::from_slice("git.json", text).unwrap();
    assert_eq!(affects(&r, Ecosystem::Npm, "left-pad", "1.0.0"), None);
}

#[test]
fn unparsable_versions_do_not_match_ranges() {
    // A version the ecosystem cannot parse matches nothing through ranges, only by exact listing.
    let r = common::record("crates.io/GHSA-m5pq-gvj9-9vr8.json");
    assert_eq!(affects(&r, Ecosystem::CratesIo, "regex", "not-a-version"), None);
}

fn records(rels: &[&str]) -> Vec<Record> {
    rels.iter().map(|r| common::record(r)).collect()
}

#[test]
fn separate_issues_stay_separate() {
    // lodash 4.17.11 has two different issues (CVE-2019-10744, CVE-2020-8203).
    let rs = records(&["npm/GHSA-jf85-cpcp-j695.json", "npm/GHSA-p6mc-m468-83gw.json"]);
    let m = match_records(&rs, Ecosystem::Npm, "lodash", "4.17.11");
    assert_eq!(m.len(), 2);
    // Worst first: 9.1 critical before 7.4 high.
    assert_eq!(m[0].id, "GHSA-jf85-cpcp-j695");
    assert_eq!(m[0].severity.as_ref().unwrap().rating, Rating::Critical);
    assert_eq!(m[1].id, "GHSA-p6mc-m468-83gw");
    assert_eq!(m[0].aliases, ["CVE-2019-10744"]);
    assert_eq!(m[0].url.as_deref(), Some("https://nvd.nist.gov/vuln/detail/CVE-2019-10744"));
    // flatmap-stream is reported by MAL-2025-20690 and GHSA-mh6f-8j2x-4483 with no alias
    // between them: nothing says they are the same record, so they are not merged.
    let rs = records(&["npm/MAL-2025-20690.json", "npm/GHSA-mh6f-8j2x-4483.json"]);
    let m = match_records(&rs, Ecosystem::Npm, "flatmap-stream", "0.1.1");
    assert_eq!(m.iter().map(|m| m.kind).collect::<Vec<_>>(), [Kind::Malicious, Kind::Malicious]);
}

/// A GitHub malware advisory as GitHub publishes it alongside the OpenSSF record (trimmed to
/// what matching reads), and an NVD-style CVE record for the same issue.
const GHSA_NX: &[u8] = br#"{"schema_version": "1.4.0", "id": "GHSA-cxm3-wv7p-598c",
    "modified": "2025-09-01T00:00:00Z", "aliases": ["CVE-2025-10894"],
    "summary": "Malicious versions of Nx", "severity": [{"type": "CVSS_V3",
    "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [{"package": {"ecosystem": "npm", "name": "nx"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "21.5.0"}, {"fixed": "21.9.0"}]}]}],
    "database_specific": {"cwe_ids": ["CWE-506"], "severity": "CRITICAL"}}"#;
const CVE_NX: &[u8] = br#"{"id": "CVE-2025-10894", "modified": "2025-10-01T00:00:00Z",
    "summary": "nx: supply-chain compromise",
    "affected": [{"package": {"ecosystem": "npm", "name": "nx"}, "versions": ["21.5.0", "21.6.0"]}]}"#;

#[test]
fn records_sharing_an_alias_collapse_into_one_match() {
    let mut rs = records(&["npm/MAL-2025-41443.json"]);
    rs.push(Record::from_slice("GHSA-cxm3-wv7p-598c.json", GHSA_NX).unwrap());
    rs.push(Record::from_slice("CVE-2025-10894.json", CVE_NX).unwrap());
    let m: Vec<Match> = match_records(&rs, Ecosystem::Npm, "nx", "21.5.0");
    assert_eq!(m.len(), 1, "{m:#?}");
    let m = &m[0];
    assert_eq!(m.id, "MAL-2025-41443");
    assert_eq!(m.record_ids, ["MAL-2025-41443", "GHSA-cxm3-wv7p-598c", "CVE-2025-10894"]);
    assert!(m.aliases.is_empty(), "every alias is itself a merged record: {:?}", m.aliases);
    assert_eq!(m.kind, Kind::Malicious);
    assert_eq!(m.summary.as_deref(), Some("Malicious code in nx (npm)"));
    // The MAL record knows no fix, so the merged match does not claim one.
    assert_eq!(m.fixed, None);
    // Severity comes from the one record with a vector (9.8).
    assert_eq!(m.severity.as_ref().unwrap().score(), Some(9.8));
    // The newest `modified` of the three: the MAL record's (2026-07-28).
    assert_eq!(m.modified, rs[0].modified);
    assert!(m.modified > rs[2].modified);
    // 20.9.0 is only in the MAL record: one match, with the aliases the MAL record names.
    let m = match_records(&rs, Ecosystem::Npm, "nx", "20.9.0");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].record_ids, ["MAL-2025-41443"]);
    assert_eq!(m[0].aliases, ["CVE-2025-10894", "GHSA-cxm3-wv7p-598c"]);
    // A version none of them name.
    assert!(match_records(&rs, Ecosystem::Npm, "nx", "21.4.0").is_empty());
}

#[test]
fn merged_remediation_needs_every_record_to_know_a_fix() {
    let mut rs = vec![Record::from_slice("GHSA-cxm3-wv7p-598c.json", GHSA_NX).unwrap()];
    let m = match_records(&rs, Ecosystem::Npm, "nx", "21.6.0");
    assert_eq!(m[0].fixed.as_deref(), Some("21.9.0"));
    rs.push(Record::from_slice("CVE-2025-10894.json", CVE_NX).unwrap());
    let m = match_records(&rs, Ecosystem::Npm, "nx", "21.6.0");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].id, "GHSA-cxm3-wv7p-598c");
    assert_eq!(m[0].fixed, None);
}

#[test]
fn withdrawn_records_never_match() {
    let raw = String::from_utf8(common::raw("npm/MAL-2025-46969.json")).unwrap();
    let withdrawn = raw.replacen("{", "{\n  \"withdrawn\": \"2025-09-20T00:00:00Z\",", 1);
    let r = Record::from_slice("withdrawn.json", withdrawn.as_bytes()).unwrap();
    assert!(r.is_withdrawn());
    assert_eq!(affects(&r, Ecosystem::Npm, "chalk", "5.6.1"), None);
    assert!(match_records([&r], Ecosystem::Npm, "chalk", "5.6.1").is_empty());
}

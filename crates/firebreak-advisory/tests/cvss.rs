//! CVSS scoring. Expected base scores are those of FIRST's calculators
//! (v3.1: https://www.first.org/cvss/calculator/3.1, v4.0: https://www.first.org/cvss/calculator/4.0,
//! v2: https://nvd.nist.gov/vuln-metrics/cvss/v2-calculator), cross-checked with Red Hat's
//! `cvss` Python package (3.6), a port of FIRST's reference calculator code.

#![allow(clippy::unwrap_used)]

mod common;

use firebreak_advisory::{CvssVersion, Rating, Record, score_vector};

fn check(vector: &str, version: CvssVersion, score: f64, rating: Rating) {
    let s = score_vector(vector).unwrap_or_else(|e| panic!("{vector}: {e}"));
    assert_eq!(s.version, version, "{vector}");
    assert!((s.score - score).abs() < 1e-9, "{vector}: {} != {score}", s.score);
    assert_eq!(s.rating, rating, "{vector}");
}

#[test]
fn cvss_v3_base_scores() {
    // All from records in the snapshot.
    // GHSA-xvch-5gv4-984h (minimist): 9.8 critical.
    check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", CvssVersion::V3_1, 9.8, Rating::Critical);
    // GHSA-m5pq-gvj9-9vr8 (regex): 7.5 high.
    check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", CvssVersion::V3_1, 7.5, Rating::High);
    // GHSA-2wrh-6pvc-2jm9 (x/net): scope changed, 6.1 medium.
    check("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", CvssVersion::V3_1, 6.1, Rating::Medium);
    // GHSA-r683-j2x4-v87g (node-fetch), a v3.0 vector: 8.8 high.
    check("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", CvssVersion::V3_0, 8.8, Rating::High);
    // GHSA-9wx4-h78v-vm56 (requests): 5.6 medium.
    check("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N", CvssVersion::V3_1, 5.6, Rating::Medium);
    // GHSA-g4mx-q9vg-27p4 (urllib3): 4.2 medium.
    check("CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N", CvssVersion::V3_1, 4.2, Rating::Medium);
    // GHSA-27h2-hvpr-p74q (jsonwebtoken): 7.6 high.
    check("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:H/A:L", CvssVersion::V3_1, 7.6, Rating::High);
}

#[test]
fn cvss_v4_base_scores() {
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        CvssVersion::V4_0,
        9.3,
        Rating::Critical,
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
        CvssVersion::V4_0,
        8.7,
        Rating::High,
    );
    check(
        "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        CvssVersion::V4_0,
        8.5,
        Rating::High,
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
        CvssVersion::V4_0,
        5.3,
        Rating::Medium,
    );
    check(
        "CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
        CvssVersion::V4_0,
        1.8,
        Rating::Low,
    );
    check(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
        CvssVersion::V4_0,
        0.0,
        Rating::None,
    );
}

#[test]
fn cvss_v2_and_invalid() {
    check("AV:N/AC:L/Au:N/C:P/I:P/A:P", CvssVersion::V2, 7.5, Rating::High);
    assert!(score_vector("CVSS:3.1/AV:X").is_err());
    assert!(score_vector("CVSS:9.9/AV:N").is_err());
    assert!(score_vector("").is_err());
}

#[test]
fn record_severity_prefers_the_vector_over_the_label() {
    // GHSA-m5pq-gvj9-9vr8 says HIGH and carries a 7.5 vector.
    let r = common::record("crates.io/GHSA-m5pq-gvj9-9vr8.json");
    let s = r.severity().unwrap();
    assert_eq!((s.rating, s.score()), (Rating::High, Some(7.5)));
    // Relabelled LOW, the vector still decides.
    let raw = String::from_utf8(common::raw("crates.io/GHSA-m5pq-gvj9-9vr8.json")).unwrap();
    let relabelled = raw.replace("\"severity\": \"HIGH\"", "\"severity\": \"LOW\"");
    assert_ne!(raw, relabelled);
    let s = Record::from_slice("x.json", relabelled.as_bytes()).unwrap().severity().unwrap();
    assert_eq!(s.rating, Rating::High);
    assert!(s.label.is_none());
    // GHSA-f8vr-r385-rh5r has no vector: the label is all there is.
    let s = common::record("crates.io/GHSA-f8vr-r385-rh5r.json").severity().unwrap();
    assert_eq!((s.rating, s.cvss.is_none(), s.label.as_deref()), (Rating::High, true, Some("HIGH")));
    // GitHub's MODERATE is medium; GHSA-vm8q-m57g-pff3 says LOW with no vector.
    assert_eq!(common::record("PyPI/GHSA-vm8q-m57g-pff3.json").severity().unwrap().rating, Rating::Low);
    // MAL records carry neither.
    assert!(common::record("npm/MAL-2025-46969.json").severity().is_none());
}

#[test]
fn every_snapshot_vector_scores() {
    for rel in common::all_files() {
        let r = common::record(&rel);
        for entry in &r.severity {
            assert!(score_vector(&entry.score).is_ok(), "{rel}: {}", entry.score);
        }
        if !r.severity.is_empty() {
            assert!(r.severity().unwrap().cvss.is_some(), "{rel}");
        }
    }
}

//! Hostile and damaged input never panics: every prefix of a real record, and byte flips
//! through another, either parse or fail with an error that names the file.

#![allow(clippy::unwrap_used)]

mod common;

use firebreak_advisory::{Record, affects};
use firebreak_core::Ecosystem;

#[test]
fn every_truncation_fails_cleanly() {
    let raw = common::raw("npm/GHSA-pjwm-rvh2-c87w.json");
    for end in 0..raw.len() {
        match Record::from_slice("cut.json", &raw[..end]) {
            Ok(_) => panic!("a truncated record parsed at {end}"),
            Err(e) => assert_eq!(e.file, "cut.json"),
        }
    }
    assert!(Record::from_slice("whole.json", &raw).is_ok());
}

#[test]
fn byte_flips_never_panic() {
    let raw = common::raw("npm/MAL-2025-47197.json");
    // Deterministic positions and replacement bytes that matter to JSON and to versions.
    let replacements = [b'"', b'{', b']', b'9', b'.', b'-', b'v', 0xff, b'\\'];
    for (step, at) in (0..raw.len()).step_by(7).enumerate() {
        let mut bytes = raw.clone();
        bytes[at] = replacements[step % replacements.len()];
        if let Ok(record) = Record::from_slice("flip.json", &bytes) {
            // Whatever parsed must also evaluate without panicking.
            let _ = affects(&record, Ecosystem::Npm, "ngx-bootstrap", "19.0.3");
            let _ = record.severity();
            let _ = record.kind();
        }
    }
}

#[test]
fn odd_versions_in_events_are_skipped_not_fatal() {
    let text = br#"{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [{
        "package": {"ecosystem": "crates.io", "name": "a"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "not a version"}, {"fixed": "1.0.0"}]},
                   {"type": "ECOSYSTEM", "events": [{"introduced": "2.0.0"}, {"limit": "*"}]}]}]}"#;
    let r = Record::from_slice("odd.json", text).unwrap();
    // The first range cannot be evaluated; the second (limit `*` = no limit) still works.
    assert!(affects(&r, Ecosystem::CratesIo, "a", "0.5.0").is_none());
    assert!(affects(&r, Ecosystem::CratesIo, "a", "2.1.0").is_some());
}

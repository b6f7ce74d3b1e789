//! The ranges of the vulnerability records, checked against each ecosystem's own range
//! implementation: `data/README.md` summarises every record's affected versions in the usual
//! range notation (written from the upstream records, independently of this code). Each
//! summary is parsed by node-semver, PEP 440 specifiers or Cargo's semver, and for versions
//! around every event of the record the matcher must agree with it.

#![allow(clippy::unwrap_used)]

mod common;

use std::str::FromStr;

use firebreak_advisory::{Event, affects};
use firebreak_core::Ecosystem;

/// `(id, ecosystem, package, affected summary)` of the single-package vulnerability rows.
fn rows() -> Vec<(String, String, String, String)> {
    let data = common::osv_dir().parent().unwrap().to_path_buf();
    let readme = fs_err::read_to_string(data.join("README.md")).unwrap();
    let section =
        readme.split("## Records").nth(1).unwrap().split("Notes on individual records").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| GHSA-") && l.ends_with("| vulnerability |"))
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().to_owned()).collect::<Vec<_>>())
        .filter(|cells| !cells[2].contains(','))
        .map(|cells| (cells[0].clone(), cells[1].clone(), cells[2].clone(), cells[3].clone()))
        .collect()
}

/// Versions around each event version: the version, the next patch, minor and major, and
/// the previous patch. Release versions only (range libraries exclude pre-releases by rule).
fn probes(ecosystem: &str, id: &str) -> Vec<(u64, u64, u64)> {
    let record = common::record(&format!("{ecosystem}/{id}.json"));
    let mut out = vec![(0, 0, 1), (0, 1, 0), (1, 0, 0), (99, 0, 0)];
    for event in record.affected.iter().flat_map(|a| a.ranges.iter()).flat_map(|r| r.events.iter()) {
        let text = match event {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
            _ => continue,
        };
        let parts: Vec<u64> = text.split('.').map(|p| p.parse().unwrap()).collect();
        let (major, minor, patch) =
            (parts[0], parts.get(1).copied().unwrap_or(0), parts.get(2).copied().unwrap_or(0));
        out.extend([
            (major, minor, patch),
            (major, minor, patch + 1),
            (major, minor + 1, 0),
            (major + 1, 0, 0),
        ]);
        if patch > 0 {
            out.push((major, minor, patch - 1));
        }
        if minor > 0 {
            out.push((major, minor - 1, 99));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// "`>=2.0.0 <2.0.7; <1.26.18`" as alternatives of conjunctions.
fn alternatives(summary: &str) -> Vec<String> {
    summary.split(';').map(|alt| alt.replace("(no fix)", "").trim().to_owned()).collect()
}

#[test]
fn readme_ranges_agree_with_the_ecosystem_range_libraries() {
    let rows = rows();
    assert!(rows.len() >= 12, "{}", rows.len());
    let mut checked = 0;
    for (id, ecosystem, package, summary) in rows {
        let alts = alternatives(&summary);
        for (major, minor, patch) in probes(&ecosystem, &id) {
            let plain = format!("{major}.{minor}.{patch}");
            let (eco, version, expected) = match ecosystem.as_str() {
                "npm" => {
                    let range = nodejs_semver::Range::parse(alts.join(" || ")).unwrap();
                    let v = nodejs_semver::Version::parse(&plain).unwrap();
                    (Ecosystem::Npm, plain.clone(), range.satisfies(&v))
                }
                "PyPI" => {
                    let v = pep440_rs::Version::from_str(&plain).unwrap();
                    let any = alts.iter().any(|alt| {
                        let spec = alt.split_whitespace().collect::<Vec<_>>().join(", ");
                        pep440_rs::VersionSpecifiers::from_str(&spec).unwrap().contains(&v)
                    });
                    (Ecosystem::PyPI, plain.clone(), any)
                }
                "crates.io" | "Go" => {
                    let v = semver::Version::parse(&plain).unwrap();
                    let any = alts.iter().any(|alt| {
                        let req = alt.split_whitespace().collect::<Vec<_>>().join(", ");
                        semver::VersionReq::parse(&req).unwrap().matches(&v)
                    });
                    if ecosystem == "Go" {
                        (Ecosystem::Go, format!("v{plain}"), any)
                    } else {
                        (Ecosystem::CratesIo, plain.clone(), any)
                    }
                }
                other => panic!("unexpected ecosystem {other}"),
            };
            let record = common::record(&format!("{ecosystem}/{id}.json"));
            let got = affects(&record, eco, &package, &version).is_some();
            assert_eq!(got, expected, "{id} {package}@{version} (README: {summary})");
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");
}

//! The embedded snapshot: every real record parses, the embedded list is exactly the
//! directory, and the classification agrees with the table in `data/README.md`, which was
//! written from the upstream sources independently of this code.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use firebreak_advisory::{
    Database, Kind, SNAPSHOT_SOURCE, Timestamp, default_snapshot_date, default_snapshot_files, osv_ecosystem,
};

#[test]
fn every_record_parses_and_is_named_after_its_id() {
    let files = common::all_files();
    assert_eq!(files.len(), 59);
    for rel in &files {
        let record = common::record(rel);
        let stem = rel.rsplit('/').next().unwrap().trim_end_matches(".json");
        assert_eq!(record.id, stem, "{rel}");
        let dir = rel.split('/').next().unwrap();
        assert!(
            record.affected.iter().any(|a| a.package.as_ref().is_some_and(|p| p.ecosystem == dir)),
            "{rel} names no {dir} package"
        );
        assert!(osv_ecosystem(dir).is_some());
    }
}

#[test]
fn embedded_files_are_the_directory_byte_for_byte() {
    let embedded: Vec<&str> = default_snapshot_files().iter().map(|(p, _)| *p).collect();
    let on_disk = common::all_files();
    assert_eq!(embedded, on_disk, "run data/generate-snapshot-index.sh");
    for (path, bytes) in default_snapshot_files() {
        assert_eq!(*bytes, common::raw(path).as_slice(), "{path}");
    }
}

#[test]
fn data_is_a_verbatim_copy_with_licence_and_provenance() {
    let data = common::osv_dir().parent().unwrap().to_path_buf();
    let readme = fs_err::read_to_string(data.join("README.md")).unwrap();
    assert!(readme.contains("## Provenance"));
    let licence = fs_err::read_to_string(data.join("LICENSE-Apache-2.0.txt")).unwrap();
    assert!(licence.contains("Apache License"));
    // Every record has a provenance row.
    for rel in common::all_files() {
        let id = rel.rsplit('/').next().unwrap().trim_end_matches(".json");
        assert!(readme.contains(&format!("| {id} | ")), "{id} has no row in data/README.md");
    }
}

/// `(id, ecosystem, kind)` rows of the README's "Records" table.
fn readme_rows() -> Vec<(String, String, String)> {
    let data = common::osv_dir().parent().unwrap().to_path_buf();
    let readme = fs_err::read_to_string(data.join("README.md")).unwrap();
    let section =
        readme.split("## Records").nth(1).unwrap().split("Notes on individual records").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| MAL-") || l.starts_with("| GHSA-"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            (cells[0].to_owned(), cells[1].to_owned(), cells[4].to_owned())
        })
        .collect()
}

#[test]
fn classification_matches_the_readme() {
    let rows = readme_rows();
    assert_eq!(rows.len(), 59);
    for (id, ecosystem, kind) in rows {
        let record = common::record(&format!("{ecosystem}/{id}.json"));
        assert_eq!(record.kind().as_str(), kind, "{id}");
    }
}

#[test]
fn status_counts_match_the_readme_table() {
    let db = Database::from_default_snapshot().unwrap();
    let status = db.status().unwrap();
    assert_eq!(status.advisories, 59);
    assert_eq!(status.withdrawn, 0);
    let counts: BTreeMap<(String, Kind), u64> =
        status.counts.iter().map(|c| ((c.ecosystem.clone(), c.kind), c.count)).collect();
    // data/README.md "Counts".
    let expected = [
        ("npm", Kind::Malicious, 25),
        ("npm", Kind::Vulnerability, 8),
        ("PyPI", Kind::Malicious, 11),
        ("PyPI", Kind::Vulnerability, 5),
        ("crates.io", Kind::Malicious, 3),
        ("crates.io", Kind::Vulnerability, 3),
        ("Go", Kind::Malicious, 2),
        ("Go", Kind::Vulnerability, 2),
    ];
    for (eco, kind, n) in expected {
        assert_eq!(counts.get(&(eco.to_owned(), kind)), Some(&n), "{eco} {kind:?}");
    }
    assert_eq!(counts.len(), expected.len());
    let source = status.sources.iter().find(|s| s.name == SNAPSHOT_SOURCE).unwrap();
    assert_eq!(source.record_count, 59);
    assert_eq!(source.fetched_at, default_snapshot_date());
}

#[test]
fn snapshot_date_is_the_newest_modified() {
    // MAL-2026-15859 carries the newest `modified`, with nanoseconds.
    let date = default_snapshot_date().unwrap();
    assert_eq!(date, Timestamp::parse("2026-09-04T00:47:46.156672516Z").unwrap());
    assert_eq!(date, common::record("PyPI/MAL-2026-15859.json").modified);
    let db = Database::from_default_snapshot().unwrap();
    assert_eq!(db.status().unwrap().newest_modified, Some(date));
    let later = Timestamp::parse("2026-10-04T23:00:00Z").unwrap();
    assert_eq!(date.days_until(later), 30);
}

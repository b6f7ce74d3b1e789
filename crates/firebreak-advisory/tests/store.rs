//! The SQLite store: directory and zip import (with their errors and limits), upserts,
//! withdrawn records, persistence, and batch inventory matching, on the real records.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Cursor, Write};
use std::path::Path;

use firebreak_advisory::{
    Database, Kind, SourceInfo, StoreError, Timestamp, ZipError, ZipLimits, default_snapshot_files,
};
use firebreak_core::{Ecosystem, InventoryBuilder, PackageSource};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, bytes).unwrap();
}

/// A tree in the two upstream layouts, with one broken record, one non-JSON file and one
/// file that is not JSON at all.
fn upstream_tree(root: &Path) {
    put(root, "osv/malicious/npm/chalk/MAL-2025-46969.json", &common::raw("npm/MAL-2025-46969.json"));
    put(root, "osv/malicious/npm/axios/MAL-2026-2307.json", &common::raw("npm/MAL-2026-2307.json"));
    put(root, "osv/malicious/pypi/litellm/MAL-2026-2144.json", &common::raw("PyPI/MAL-2026-2144.json"));
    put(
        root,
        "advisories/github-reviewed/2023/04/GHSA-f8vr-r385-rh5r/GHSA-f8vr-r385-rh5r.json",
        &common::raw("crates.io/GHSA-f8vr-r385-rh5r.json"),
    );
    put(
        root,
        "advisories/github-reviewed/2023/07/GHSA-jh3w-4vvf-mjgr/GHSA-jh3w-4vvf-mjgr.json",
        &common::raw("PyPI/GHSA-jh3w-4vvf-mjgr.json"),
    );
    // A record whose package has no name.
    put(
        root,
        "osv/malicious/npm/broken/MAL-0000-1.json",
        br#"{"id": "MAL-0000-1", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "npm"}, "versions": ["1.0.0"]}]}"#,
    );
    // Truncated JSON.
    put(root, "osv/malicious/npm/cut/MAL-0000-2.json", br#"{"id": "MAL-0000-2", "modified": "#);
    put(root, "README.md", b"# not a record\n");
}

#[test]
fn directory_import_collects_errors_and_imports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    upstream_tree(dir.path());
    let mut db = Database::open_in_memory().unwrap();
    let report = db.import_dir(dir.path()).unwrap();
    assert_eq!(report.files, 7, "README.md is not read");
    assert_eq!(report.inserted, 5);
    assert_eq!(report.errors.len(), 2, "{:#?}", report.errors);
    let broken = report.errors.iter().find(|e| e.file.contains("MAL-0000-1")).unwrap();
    assert_eq!(broken.file, Path::new("osv/malicious/npm/broken/MAL-0000-1.json").display().to_string());
    assert_eq!(broken.json_path.as_deref(), Some("$.affected[0].package"));
    assert!(broken.message.contains("missing field `name`"), "{}", broken.message);
    assert!(broken.to_string().contains("MAL-0000-1.json` at `$.affected[0].package`"), "{broken}");
    let cut = report.errors.iter().find(|e| e.file.contains("MAL-0000-2")).unwrap();
    assert!(cut.message.contains("EOF"), "{}", cut.message);
    // What was imported is queryable.
    let m = db.query(Ecosystem::Npm, "chalk", "5.6.1").unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].id, "MAL-2025-46969");
    assert_eq!(m[0].kind, Kind::Malicious);
    assert_eq!(m[0].aliases, ["GHSA-2v46-p5h4-248w"]);
    assert!(db.query(Ecosystem::Npm, "chalk", "5.6.2").unwrap().is_empty());
    let m = db.query(Ecosystem::PyPI, "django", "4.2.2").unwrap();
    assert_eq!(m[0].fixed.as_deref(), Some("4.2.3"));
    let m = db.query(Ecosystem::CratesIo, "h2", "0.3.16").unwrap();
    assert_eq!(m[0].id, "GHSA-f8vr-r385-rh5r");
    let status = db.status().unwrap();
    assert_eq!(status.advisories, 5);
    assert_eq!(status.sources.len(), 1);
    assert_eq!(status.sources[0].record_count, 5);
}

#[test]
fn missing_directory_is_an_error_naming_it() {
    let mut db = Database::open_in_memory().unwrap();
    let err = db.import_dir(Path::new("does/not/exist")).unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }));
    assert!(err.to_string().contains("does/not/exist"), "{err}");
}

#[test]
fn store_round_trip_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("advisories.db");
    {
        let mut db = Database::open(&path).unwrap();
        let report = db.load_default_snapshot().unwrap();
        assert_eq!((report.inserted, report.errors.len()), (59, 0));
        let source = SourceInfo {
            fetched_at: Some(Timestamp::parse("2026-11-01T10:00:00Z").unwrap()),
            etag: Some("\"abc\"".into()),
            ..SourceInfo::new("osv-npm", "https://example.invalid/npm/all.zip")
        };
        db.record_source(&source).unwrap();
    }
    let db = Database::open(&path).unwrap();
    let status = db.status().unwrap();
    assert_eq!(status.advisories, 59);
    assert_eq!(status.last_fetched, Some(Timestamp::parse("2026-11-01T10:00:00Z").unwrap()));
    let npm = status.sources.iter().find(|s| s.name == "osv-npm").unwrap();
    assert_eq!((npm.etag.as_deref(), npm.record_count), (Some("\"abc\""), 0));
    // The stored bytes are the file's bytes, and the record reads back identical.
    assert_eq!(db.raw("GHSA-m425-mq94-257g").unwrap().unwrap(), common::raw("Go/GHSA-m425-mq94-257g.json"));
    let stored = db.get("GHSA-m425-mq94-257g").unwrap().unwrap();
    assert_eq!(stored, common::record("Go/GHSA-m425-mq94-257g.json"));
    let m = db.query(Ecosystem::Go, "google.golang.org/grpc", "v1.58.2").unwrap();
    assert_eq!(m[0].fixed.as_deref(), Some("v1.58.3"));
    assert!(db.get("GHSA-0000-0000-0000").unwrap().is_none());
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA user_version = 99;").unwrap();
    drop(conn);
    let err = Database::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::SchemaVersion { found: 99, .. }), "{err}");
}

/// `MAL-2025-46969` with its `modified` and summary replaced.
fn chalk_variant(modified: &str, summary: &str, name: &str) -> Vec<u8> {
    let raw = String::from_utf8(common::raw("npm/MAL-2025-46969.json")).unwrap();
    let original = common::record("npm/MAL-2025-46969.json");
    let text = raw
        .replace(
            &format!("\"modified\": \"{}\"", modified_text(&raw)),
            &format!("\"modified\": \"{modified}\""),
        )
        .replace(original.summary.as_deref().unwrap(), summary)
        .replace("\"name\": \"chalk\"", &format!("\"name\": \"{name}\""));
    text.into_bytes()
}

fn modified_text(raw: &str) -> String {
    let start = raw.find("\"modified\": \"").unwrap() + "\"modified\": \"".len();
    raw[start..].split('"').next().unwrap().to_owned()
}

#[test]
fn upsert_keeps_the_newest_modified() {
    let mut db = Database::open_in_memory().unwrap();
    let src = SourceInfo::new("test", "memory");
    let original = common::raw("npm/MAL-2025-46969.json");
    assert_eq!(modified_text(std::str::from_utf8(&original).unwrap()), "2025-09-12T01:13:34Z");
    db.import_files(&src, [("a.json", original.as_slice())]).unwrap();

    // Older: ignored.
    let older = chalk_variant("2025-09-01T00:00:00Z", "older text", "chalk");
    let r = db.import_files(&src, [("older.json", older.as_slice())]).unwrap();
    assert_eq!((r.inserted, r.updated, r.unchanged), (0, 0, 1));
    assert_eq!(
        db.get("MAL-2025-46969").unwrap().unwrap().summary.as_deref(),
        Some("Malicious code in chalk (npm)")
    );
    // Same instant written differently (an offset): still not newer.
    let same = chalk_variant("2025-09-12T03:13:34+02:00", "same instant", "chalk");
    let r = db.import_files(&src, [("same.json", same.as_slice())]).unwrap();
    assert_eq!(r.unchanged, 1);

    // Newer by a fraction of a second: replaces the record and its index entries.
    let newer = chalk_variant("2025-09-12T01:13:34.5Z", "newer text", "chalk-renamed");
    let r = db.import_files(&src, [("newer.json", newer.as_slice())]).unwrap();
    assert_eq!((r.inserted, r.updated, r.unchanged), (0, 1, 0));
    let stored = db.get("MAL-2025-46969").unwrap().unwrap();
    assert_eq!(stored.summary.as_deref(), Some("newer text"));
    assert_eq!(stored.modified.to_string(), "2025-09-12T01:13:34.5Z");
    assert!(db.query(Ecosystem::Npm, "chalk", "5.6.1").unwrap().is_empty(), "old index entry removed");
    assert_eq!(db.query(Ecosystem::Npm, "chalk-renamed", "5.6.1").unwrap().len(), 1);

    // Re-importing the original (older) does not roll it back.
    let r = db.import_files(&src, [("a.json", original.as_slice())]).unwrap();
    assert_eq!(r.unchanged, 1);
    assert_eq!(db.status().unwrap().advisories, 1);
}

#[test]
fn withdrawn_records_are_kept_but_never_matched() {
    let mut db = Database::from_default_snapshot().unwrap();
    assert_eq!(db.query(Ecosystem::Npm, "debug", "4.4.2").unwrap().len(), 1);
    let raw = String::from_utf8(common::raw("npm/MAL-2025-46974.json")).unwrap();
    let modified = modified_text(&raw);
    let withdrawn = raw
        .replace(&format!("\"modified\": \"{modified}\""), "\"modified\": \"2026-10-01T00:00:00Z\"")
        .replacen('{', "{\n  \"withdrawn\": \"2026-10-01T00:00:00Z\",", 1);
    let r = db.import_files(&SourceInfo::new("test", "memory"), [("w.json", withdrawn.as_bytes())]).unwrap();
    assert_eq!((r.updated, r.withdrawn), (1, 1));
    assert!(db.query(Ecosystem::Npm, "debug", "4.4.2").unwrap().is_empty());
    let status = db.status().unwrap();
    assert_eq!((status.advisories, status.withdrawn), (59, 1));
    let npm_malicious =
        status.counts.iter().find(|c| c.ecosystem == "npm" && c.kind == Kind::Malicious).unwrap();
    assert_eq!(npm_malicious.count, 24);
    assert!(db.get("MAL-2025-46974").unwrap().unwrap().is_withdrawn());
}

fn zip_of(entries: &[(&str, &[u8], CompressionMethod)]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes, method) in entries {
        writer.start_file(*name, SimpleFileOptions::default().compression_method(*method)).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The snapshot as osv.dev lays out `all.zip`: `<ID>.json` at the top.
fn snapshot_zip(extra: &[(&str, &[u8], CompressionMethod)]) -> Vec<u8> {
    let mut entries: Vec<(String, &[u8], CompressionMethod)> = default_snapshot_files()
        .iter()
        .map(|(path, bytes)| {
            (path.rsplit('/').next().unwrap().to_owned(), *bytes, CompressionMethod::Deflated)
        })
        .collect();
    entries.extend(extra.iter().map(|(n, b, m)| ((*n).to_owned(), *b, *m)));
    let borrowed: Vec<(&str, &[u8], CompressionMethod)> =
        entries.iter().map(|(n, b, m)| (n.as_str(), *b, *m)).collect();
    zip_of(&borrowed)
}

#[test]
fn zip_import_of_an_osv_export() {
    let zip = snapshot_zip(&[
        ("notes.txt", b"not json", CompressionMethod::Stored),
        ("BROKEN-1.json", br#"{"id": "BROKEN-1"}"#, CompressionMethod::Deflated),
    ]);
    let mut db = Database::open_in_memory().unwrap();
    let report = db.import_zip(&zip).unwrap();
    assert_eq!((report.files, report.inserted), (60, 59));
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].file, "BROKEN-1.json");
    assert_eq!(report.errors[0].json_path.as_deref(), Some("$"));
    assert!(report.errors[0].message.contains("missing field `modified`"));
    assert_eq!(db.query(Ecosystem::PyPI, "litellm", "1.82.7").unwrap()[0].id, "MAL-2026-2144");
    // The entries' deflate streams are kept as they are and read back as the files.
    for (path, bytes) in default_snapshot_files() {
        let record = firebreak_advisory::Record::from_slice(path, bytes).unwrap();
        assert_eq!(db.raw(&record.id).unwrap().unwrap(), *bytes, "{path}");
    }
    // The same archive again changes nothing.
    let again = db.import_zip(&zip).unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 59));
}

#[test]
fn zip_bomb_is_refused_whole() {
    // 8 MiB of zeros deflate to about 8 KiB: a ratio near 1000, where OSV JSON gives 5-15.
    let zeros = vec![b'0'; 8 * 1024 * 1024];
    let zip = snapshot_zip(&[("BOMB-1.json", &zeros, CompressionMethod::Deflated)]);
    let mut db = Database::open_in_memory().unwrap();
    let err = db.import_zip(&zip).unwrap_err();
    match &err {
        StoreError::Zip(ZipError::RatioTooHigh { entry, ratio, limit, .. }) => {
            assert_eq!(entry, "BOMB-1.json");
            assert!(*ratio > 500, "{ratio}");
            assert_eq!(*limit, 100);
        }
        other => panic!("expected a ratio error, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.starts_with("refused zip archive: zip entry `BOMB-1.json` expands"), "{text}");
    // Nothing from the refused archive was kept, not even the records before the bomb.
    assert_eq!(db.status().unwrap().advisories, 0);
}

#[test]
fn zip_size_limits() {
    let big = common::raw("npm/MAL-2025-41443.json"); // about 25 kB
    assert!(big.len() > 20_000);
    let zip = zip_of(&[
        ("MAL-2025-46969.json", &common::raw("npm/MAL-2025-46969.json"), CompressionMethod::Stored),
        ("MAL-2025-41443.json", &big, CompressionMethod::Stored),
    ]);
    let mut db = Database::open_in_memory().unwrap();
    let src = SourceInfo::new("t", "t.zip");

    let limits = ZipLimits { max_entry_size: 10_000, ..ZipLimits::default() };
    let err = db.import_zip_from(&src, &zip, &limits).unwrap_err();
    assert!(
        matches!(&err, StoreError::Zip(ZipError::EntryTooLarge { entry, limit: 10_000 }) if entry == "MAL-2025-41443.json"),
        "{err:?}"
    );
    assert!(err.to_string().contains("`MAL-2025-41443.json` unpacks to more than 10000 bytes"), "{err}");

    let limits = ZipLimits { max_total_size: 20_000, ..ZipLimits::default() };
    let err = db.import_zip_from(&src, &zip, &limits).unwrap_err();
    assert!(matches!(err, StoreError::Zip(ZipError::TotalTooLarge { limit: 20_000 })), "{err:?}");

    let limits = ZipLimits { max_entries: 1, ..ZipLimits::default() };
    let err = db.import_zip_from(&src, &zip, &limits).unwrap_err();
    assert!(matches!(err, StoreError::Zip(ZipError::TooManyEntries { found: 2, limit: 1 })), "{err:?}");
    assert_eq!(db.status().unwrap().advisories, 0);

    // Within the limits the same archive imports.
    let r = db.import_zip_from(&src, &zip, &ZipLimits::default()).unwrap();
    assert_eq!(r.inserted, 2);
}

#[test]
fn not_a_zip() {
    let mut db = Database::open_in_memory().unwrap();
    let err = db.import_zip(b"{\"id\": \"x\"}").unwrap_err();
    assert!(matches!(err, StoreError::Zip(ZipError::Unreadable(_))), "{err:?}");
    assert!(err.to_string().starts_with("refused zip archive: not a readable zip archive"), "{err}");
}

#[test]
fn inventory_matching() {
    let db = Database::from_default_snapshot().unwrap();
    let mut b = InventoryBuilder::new("package-lock.json", "npm/package-lock");
    let chalk = b.package(Ecosystem::Npm, "chalk", "5.6.1");
    b.package(Ecosystem::Npm, "chalk", "5.6.0");
    let lodash = b.package(Ecosystem::Npm, "lodash", "4.17.11");
    let lodash_again = b.distinct_package(Ecosystem::Npm, "lodash", "4.17.11");
    b.package(Ecosystem::Npm, "left-pad", "1.3.0");
    // A local package that shares a malicious release's name and version is not reported.
    let local = b.distinct_package(Ecosystem::Npm, "debug", "4.4.2");
    b.get_mut(local).source = PackageSource::Path { path: "packages/debug".into() };
    let django = b.package(Ecosystem::PyPI, "django", "4.2.2");
    let hyper = b.package(Ecosystem::CratesIo, "hyper", "0.14.25");
    let net = b.package(Ecosystem::Go, "golang.org/x/net", "v0.12.0");
    let inventory = b.finish();

    let found = db.match_inventory(&inventory).unwrap();
    let summary: Vec<(u32, Vec<&str>)> =
        found.iter().map(|p| (p.package.0, p.matches.iter().map(|m| m.id.as_str()).collect())).collect();
    assert_eq!(
        summary,
        vec![
            (chalk.0, vec!["MAL-2025-46969"]),
            (lodash.0, vec!["GHSA-jf85-cpcp-j695", "GHSA-p6mc-m468-83gw"]),
            (lodash_again.0, vec!["GHSA-jf85-cpcp-j695", "GHSA-p6mc-m468-83gw"]),
            // Two different Django issues: CVE-2023-36053 (fixed 4.2.3), CVE-2024-27351 (4.2.11).
            (django.0, vec!["GHSA-jh3w-4vvf-mjgr", "GHSA-vm8q-m57g-pff3"]),
            (hyper.0, vec!["GHSA-f8vr-r385-rh5r"]),
            (net.0, vec!["GHSA-2wrh-6pvc-2jm9"]),
        ]
    );
    assert_eq!(db.query(Ecosystem::Npm, "debug", "4.4.2").unwrap()[0].id, "MAL-2025-46974");
    let lodash_match = &found[1];
    assert_eq!((lodash_match.name.as_str(), lodash_match.version.as_str()), ("lodash", "4.17.11"));
    assert_eq!(lodash_match.matches[0].fixed.as_deref(), Some("4.17.12"));
    // The batch answers what single queries answer.
    for p in &found {
        assert_eq!(db.query(p.ecosystem, &p.name, &p.version).unwrap(), p.matches);
    }
}

/// Versions worth asking about for one package of a record: every version the records
/// name, each nudged down and up, and the ends of the line.
fn probe_versions(ecosystem: Ecosystem, named: &[String]) -> Vec<String> {
    let mut out =
        vec!["0.0.0".to_owned(), "0.0.1".to_owned(), "999.0.0".to_owned(), "not a version".to_owned()];
    for v in named {
        let bare = v.trim_start_matches('v');
        out.push(v.clone());
        out.push(format!("{bare}.1"));
        out.push(format!("{bare}-rc.1"));
        if let Some((head, last)) = bare.rsplit_once('.')
            && let Ok(n) = last.parse::<u64>()
        {
            out.push(format!("{head}.{}", n + 1));
            if n > 0 {
                out.push(format!("{head}.{}", n - 1));
            }
        }
    }
    if ecosystem == Ecosystem::Go {
        out = out.into_iter().map(|v| if v.starts_with('v') { v } else { format!("v{v}") }).collect();
    }
    out.sort();
    out.dedup();
    out
}

/// The index rows decide which records to read; the answer must be exactly what matching
/// every record naming the package gives, for every version the real records name and
/// their neighbours, one package at a time and for a whole inventory.
#[test]
fn index_decides_as_the_records_do() {
    let db = Database::from_default_snapshot().unwrap();
    let mut packages: std::collections::BTreeMap<(Ecosystem, String), Vec<String>> = Default::default();
    for (name, bytes) in default_snapshot_files() {
        let record = firebreak_advisory::Record::from_slice(name, bytes).unwrap();
        for affected in &record.affected {
            let Some(package) = &affected.package else { continue };
            let Some(ecosystem) = firebreak_advisory::osv_ecosystem(&package.ecosystem) else { continue };
            let named = packages.entry((ecosystem, package.name.clone())).or_default();
            named.extend(affected.versions.iter().cloned());
            for range in &affected.ranges {
                named.extend(range.events.iter().map(|e| e.version().to_owned()));
            }
        }
    }
    let mut b = InventoryBuilder::new("mixed.lock", "test/mixed");
    let mut expected = Vec::new();
    let (mut asked, mut affected) = (0, 0);
    for ((ecosystem, name), named) in &packages {
        let records = db.records_for(*ecosystem, name).unwrap();
        assert!(!records.is_empty(), "{name}");
        for version in probe_versions(*ecosystem, named) {
            let full = firebreak_advisory::match_records(&records, *ecosystem, name, &version);
            assert_eq!(db.query(*ecosystem, name, &version).unwrap(), full, "{name}@{version}");
            let id = b.distinct_package(*ecosystem, name, &version);
            asked += 1;
            if !full.is_empty() {
                affected += 1;
                expected.push((id.0, full));
            }
        }
    }
    // The probes reach both sides of the ranges.
    assert!(asked > 500 && affected > 100 && asked - affected > 100, "{asked} asked, {affected} affected");
    let found = db.match_inventory(&b.finish()).unwrap();
    let found: Vec<_> = found.into_iter().map(|p| (p.package.0, p.matches)).collect();
    assert_eq!(found, expected);
}

/// The version 1 layout, before the name index carried the matching data.
const SCHEMA_V1: &str = "
CREATE TABLE sources (name TEXT PRIMARY KEY, location TEXT NOT NULL, fetched_at TEXT, etag TEXT,
    last_modified TEXT, record_count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE affected_packages (ecosystem TEXT NOT NULL, name TEXT NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    PRIMARY KEY (ecosystem, name, advisory_id)) WITHOUT ROWID;
CREATE INDEX affected_packages_by_advisory ON affected_packages(advisory_id);
PRAGMA user_version = 1;
";

#[test]
fn version_1_file_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE advisories (id TEXT PRIMARY KEY, modified TEXT NOT NULL, modified_seconds INTEGER NOT NULL,
            modified_nanos INTEGER NOT NULL, withdrawn INTEGER NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL,
            raw_deflate BLOB NOT NULL);",
    )
    .unwrap();
    conn.execute_batch(SCHEMA_V1).unwrap();
    let raw = common::raw("npm/MAL-2025-46969.json");
    let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    deflated.write_all(&raw).unwrap();
    conn.execute(
        "INSERT INTO advisories VALUES ('MAL-2025-46969', '2025-09-08T00:00:00Z', 1757289600, 0, 0, 'malicious',
            'old', ?1)",
        [deflated.finish().unwrap()],
    )
    .unwrap();
    conn.execute("INSERT INTO affected_packages VALUES ('npm', 'chalk', 'MAL-2025-46969')", []).unwrap();
    drop(conn);

    let db = Database::open(&path).unwrap();
    let m = db.query(Ecosystem::Npm, "chalk", "5.6.1").unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].id, "MAL-2025-46969");
    assert!(db.query(Ecosystem::Npm, "chalk", "5.6.2").unwrap().is_empty());
    assert_eq!(db.raw("MAL-2025-46969").unwrap().unwrap(), raw);
    drop(db);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
    assert_eq!(version, 2);
}

#[test]
fn uncompressed_version_1_file_is_refused_with_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE advisories (id TEXT PRIMARY KEY, modified TEXT NOT NULL, modified_seconds INTEGER NOT NULL,
            modified_nanos INTEGER NOT NULL, withdrawn INTEGER NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL,
            raw TEXT NOT NULL);",
    )
    .unwrap();
    conn.execute_batch(SCHEMA_V1).unwrap();
    drop(conn);
    let err = Database::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Outdated), "{err}");
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(help.contains("firebreak db update"), "{help}");
}

/// A damaged index row is an error naming the record, not a silent miss.
#[test]
fn damaged_index_row_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let mut db = Database::open(&path).unwrap();
    db.load_default_snapshot().unwrap();
    drop(db);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE affected_packages SET matching = x'05ff' WHERE name = 'chalk'", []).unwrap();
    drop(conn);
    let db = Database::open(&path).unwrap();
    let err = db.query(Ecosystem::Npm, "chalk", "5.6.1").unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("MAL-2025-46969"), "{err}");
}

/// A stored record cut short or replaced by bytes that are not deflate is an error naming
/// the record.
#[test]
fn damaged_stored_record_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let mut db = Database::open(&path).unwrap();
    db.load_default_snapshot().unwrap();
    drop(db);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE advisories SET raw_deflate = substr(raw_deflate, 1, 40) WHERE id = 'MAL-2025-46969'",
        [],
    )
    .unwrap();
    conn.execute("UPDATE advisories SET raw_deflate = x'ffffffff' WHERE id = 'GHSA-f8vr-r385-rh5r'", [])
        .unwrap();
    drop(conn);
    let db = Database::open(&path).unwrap();
    for (ecosystem, name, version, id) in [
        (Ecosystem::Npm, "chalk", "5.6.1", "MAL-2025-46969"),
        (Ecosystem::CratesIo, "h2", "0.3.16", "GHSA-f8vr-r385-rh5r"),
    ] {
        let err = db.query(ecosystem, name, version).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
        assert!(err.to_string().contains(id), "{err}");
    }
}

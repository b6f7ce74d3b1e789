//! Real archives from npm, PyPI and crates.io (made by `fixtures/generate.sh`), read and
//! checked against the digests their registries publish.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{self, Read};
use std::path::PathBuf;

use firebreak_archive::{
    ArchiveError, ArchiveKind, Integrity, Limits, detect_kind, read_archive, verify_hashes, verify_integrity,
};
use firebreak_core::Hash;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    fs_err::read(path).unwrap()
}

fn read(name: &str) -> firebreak_archive::Archive {
    let bytes = fixture(name);
    let kind = detect_kind(name, &bytes).unwrap_or_else(|| panic!("kind of {name}"));
    read_archive(name, &bytes, kind, &Limits::default()).unwrap()
}

/// The regular files of a gzip'd tar as the `tar` crate lists them, without our reader:
/// an independent account to compare with.
fn tar_listing(name: &str) -> BTreeSet<String> {
    let bytes = fixture(name);
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.header().entry_type().is_file())
        .map(|e| String::from_utf8(e.path_bytes().into_owned()).unwrap())
        .collect()
}

fn paths(archive: &firebreak_archive::Archive) -> BTreeSet<String> {
    archive.files.iter().map(|f| f.path.clone()).collect()
}

#[test]
fn npm_tarball() {
    let archive = read("is-number-7.0.0.tgz");
    assert_eq!(archive.kind, ArchiveKind::NpmTarball);
    assert_eq!(archive.root.as_deref(), Some("package"));
    assert!(archive.skipped.is_empty(), "{:?}", archive.skipped);
    let expected: BTreeSet<String> = tar_listing("is-number-7.0.0.tgz")
        .iter()
        .map(|p| p.strip_prefix("package/").unwrap().to_owned())
        .collect();
    assert_eq!(paths(&archive), expected);
    let manifest = String::from_utf8(archive.file("package.json").unwrap().data.clone()).unwrap();
    assert!(manifest.contains(r#""name": "is-number""#), "{manifest}");
    assert!(manifest.contains(r#""version": "7.0.0""#), "{manifest}");
    assert!(archive.uncompressed_size > archive.compressed_size);
    assert_eq!(archive.compressed_size, fixture("is-number-7.0.0.tgz").len() as u64);
}

#[test]
fn crate_archive() {
    let archive = read("itoa-1.0.11.crate");
    assert_eq!(archive.kind, ArchiveKind::Crate);
    assert_eq!(archive.root.as_deref(), Some("itoa-1.0.11"));
    assert!(archive.skipped.is_empty(), "{:?}", archive.skipped);
    let expected: BTreeSet<String> = tar_listing("itoa-1.0.11.crate")
        .iter()
        .map(|p| p.strip_prefix("itoa-1.0.11/").unwrap().to_owned())
        .collect();
    assert_eq!(paths(&archive), expected);
    let manifest = String::from_utf8(archive.file("Cargo.toml").unwrap().data.clone()).unwrap();
    assert!(manifest.contains("name = \"itoa\""), "{manifest}");
    assert!(archive.file("src/lib.rs").is_some());
}

#[test]
fn sdist_and_wheel_agree() {
    let sdist = read("six-1.16.0.tar.gz");
    assert_eq!(sdist.kind, ArchiveKind::SdistTarGz);
    assert_eq!(sdist.root.as_deref(), Some("six-1.16.0"));
    assert!(sdist.skipped.is_empty(), "{:?}", sdist.skipped);
    let expected: BTreeSet<String> = tar_listing("six-1.16.0.tar.gz")
        .iter()
        .map(|p| p.strip_prefix("six-1.16.0/").unwrap().to_owned())
        .collect();
    assert_eq!(paths(&sdist), expected);
    assert!(sdist.file("PKG-INFO").is_some() && sdist.file("setup.py").is_some());

    let wheel = read("six-1.16.0-py2.py3-none-any.whl");
    assert_eq!(wheel.kind, ArchiveKind::Wheel);
    assert_eq!(wheel.root, None);
    assert!(wheel.skipped.is_empty(), "{:?}", wheel.skipped);
    // The same module, one built from the other.
    assert_eq!(sdist.file("six.py").unwrap().data, wheel.file("six.py").unwrap().data);
}

/// A wheel's RECORD lists the sha256 of every other file: each must match what we read.
#[test]
fn wheel_record_digests_match() {
    let wheel = read("six-1.16.0-py2.py3-none-any.whl");
    let record = String::from_utf8(wheel.file("six-1.16.0.dist-info/RECORD").unwrap().data.clone()).unwrap();
    let mut checked = 0;
    for line in record.lines().filter(|l| !l.is_empty()) {
        let mut fields = line.split(',');
        let (path, digest) = (fields.next().unwrap(), fields.next().unwrap());
        let Some(b64) = digest.strip_prefix("sha256=") else { continue };
        let hashes = Hash::parse_sri(&format!("sha256-{b64}"));
        let file = wheel.file(path).unwrap_or_else(|| panic!("{path} is in RECORD"));
        assert!(verify_hashes(&file.data, &hashes).is_match(), "{path}");
        checked += 1;
    }
    assert_eq!(checked, wheel.files.len() - 1, "every file but RECORD itself");
}

/// `digests.txt`: the digests npm, PyPI and crates.io publish for the fixtures.
fn published() -> Vec<(String, String)> {
    let text = String::from_utf8(fixture("digests.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            (parts[0].to_owned(), parts[2].to_owned())
        })
        .collect()
}

#[test]
fn registry_digests_match_and_a_flipped_byte_does_not() {
    let digests = published();
    assert_eq!(digests.len(), 5);
    for (file, expected) in digests {
        let mut bytes = fixture(&file);
        let result = verify_integrity(&bytes, &expected);
        assert!(result.is_match(), "{file}: {result}");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        match verify_integrity(&bytes, &expected) {
            Integrity::Mismatch { expected: e, actual } => {
                assert_eq!(e.algorithm, actual.algorithm);
                assert_ne!(e.value, actual.value);
            }
            other => panic!("{file}: {other:?}"),
        }
    }
}

#[test]
fn truncated_real_archives_fail_with_the_archive_name() {
    for name in
        ["is-number-7.0.0.tgz", "six-1.16.0.tar.gz", "itoa-1.0.11.crate", "six-1.16.0-py2.py3-none-any.whl"]
    {
        let bytes = fixture(name);
        let kind = detect_kind(name, &bytes).unwrap();
        for cut in [bytes.len() / 3, bytes.len() - 9, bytes.len() - 1] {
            let err = read_archive(name, &bytes[..cut], kind, &Limits::default()).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(name), "{name} cut at {cut}: {text}");
            match (&err, kind) {
                (
                    ArchiveError::Gzip { kind: io::ErrorKind::UnexpectedEof, .. },
                    ArchiveKind::NpmTarball | ArchiveKind::SdistTarGz | ArchiveKind::Crate,
                ) => {}
                (ArchiveError::Zip { .. }, ArchiveKind::Wheel) => {}
                _ => panic!("{name} cut at {cut}: {err:?}"),
            }
        }
    }
}

/// Decompressing by hand gives the same bytes for every file (the reader adds or loses
/// nothing, whatever the read sizes).
#[test]
fn contents_equal_an_independent_read() {
    let bytes = fixture("six-1.16.0.tar.gz");
    let archive = read("six-1.16.0.tar.gz");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        let ours = archive.file(path.strip_prefix("six-1.16.0/").unwrap()).unwrap();
        assert_eq!(ours.data, data, "{path}");
    }
}

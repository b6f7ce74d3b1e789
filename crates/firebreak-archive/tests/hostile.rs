//! Crafted archives: bombs, lying sizes, traversal, links, devices, broken streams. Each
//! must end in a clear error or a skipped entry, never a panic or an unbounded read.

#![allow(clippy::unwrap_used)]

mod support;

use std::io;
use std::time::Instant;

use firebreak_archive::{
    Archive, ArchiveError, ArchiveKind, LimitKind, Limits, PathIssue, SkipReason, read_archive,
};
use support::{MIB, Tar, ZipEntry, deflate_zeros, gzip, gzip_member, tar_header, zip};

fn npm(bytes: &[u8]) -> Result<Archive, ArchiveError> {
    read_archive("evil-1.0.0.tgz", bytes, ArchiveKind::NpmTarball, &Limits::default())
}

fn reasons(archive: &Archive) -> Vec<(String, SkipReason)> {
    archive.skipped.iter().map(|s| (s.path.clone(), s.reason.clone())).collect()
}

fn paths(archive: &Archive) -> Vec<&str> {
    archive.files.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn traversal_and_odd_names_are_skipped_not_normalised_away() {
    let tar = Tar::default()
        .file("package/index.js", b"ok")
        .file("package/../../../etc/cron.d/x", b"escape")
        .file("/etc/passwd", b"absolute")
        .file("C:/Windows/evil.dll", b"drive")
        .file("package\\..\\..\\evil.js", b"backslash")
        .raw_file(b"package/\xff\xfe.js", b"latin-1")
        .pax_file(b"package/nul\0.js", b"nul")
        .pax_file(b"package/lib/../../../../pax-escape", b"pax")
        .gnu_long_file(format!("package/{}/deep.js", "d".repeat(150)).as_bytes(), b"long")
        .finish();
    let archive = npm(&gzip(&tar)).unwrap();
    let long = format!("{}/deep.js", "d".repeat(150));
    assert_eq!(paths(&archive), ["index.js", long.as_str()]);
    let issue = |p: &str, i| (p.to_owned(), SkipReason::UnsafePath(i));
    assert_eq!(
        reasons(&archive),
        [
            issue("package/../../../etc/cron.d/x", PathIssue::ParentDir),
            issue("/etc/passwd", PathIssue::Absolute),
            issue("C:/Windows/evil.dll", PathIssue::DriveLetter),
            issue("package\\..\\..\\evil.js", PathIssue::Backslash),
            issue("package/\u{fffd}\u{fffd}.js", PathIssue::NonUtf8),
            issue("package/nul\\0.js", PathIssue::Nul),
            issue("package/lib/../../../../pax-escape", PathIssue::ParentDir),
        ]
    );
}

#[test]
fn links_devices_and_fifos_are_listed_never_followed() {
    let tar = Tar::default()
        .entry(b"package/a", b'2', 0o777, b"b", b"")
        .entry(b"package/b", b'2', 0o777, b"a", b"")
        .entry(b"package/etc", b'2', 0o777, b"/etc", b"")
        // The classic: a symlink, then a file "inside" it. Never followed: just a path.
        .file("package/etc/passwd", b"root::0:0")
        .entry(b"package/hard", b'1', 0o644, b"package/../../../etc/shadow", b"")
        .entry(b"package/tty", b'3', 0o644, b"", b"")
        .entry(b"package/sda", b'4', 0o644, b"", b"")
        .entry(b"package/pipe", b'6', 0o644, b"", b"")
        .entry(b"package/volume", b'V', 0o644, b"", b"")
        .entry(b"package/bin/cli.js", b'0', 0o755, b"", b"#!/usr/bin/env node")
        .finish();
    let archive = npm(&gzip(&tar)).unwrap();
    assert_eq!(paths(&archive), ["etc/passwd", "bin/cli.js"]);
    assert!(!archive.files[0].executable);
    assert!(archive.files[1].executable);
    let ids: Vec<(String, &str)> = archive.skipped.iter().map(|s| (s.path.clone(), s.reason.id())).collect();
    let expected = [
        ("package/a", "symlink"),
        ("package/b", "symlink"),
        ("package/etc", "symlink"),
        ("package/hard", "hardlink"),
        ("package/tty", "char-device"),
        ("package/sda", "block-device"),
        ("package/pipe", "fifo"),
        ("package/volume", "other-type"),
    ];
    assert_eq!(ids, expected.map(|(p, r)| (p.to_owned(), r)));
    assert_eq!(archive.skipped[2].reason, SkipReason::Symlink { target: "/etc".into() });
    assert_eq!(
        archive.skipped[3].reason,
        SkipReason::Hardlink { target: "package/../../../etc/shadow".into() }
    );
    assert_eq!(archive.skipped[2].reason.to_string(), "symbolic link to `/etc`");
}

#[test]
fn npm_strips_any_top_level_dir_and_reports_files_at_the_root() {
    let tar = Tar::default()
        .entry(b"node/", b'5', 0o755, b"", b"")
        .file("node/index.js", b"1")
        .file("evil.js", b"2")
        .finish();
    let archive = npm(&gzip(&tar)).unwrap();
    assert_eq!(paths(&archive), ["index.js"]);
    assert_eq!(reasons(&archive), [("evil.js".to_owned(), SkipReason::OutsideRoot)]);
    // A single-root archive reports its root; a mixed one has none.
    let single = npm(&gzip(&Tar::default().file("node/index.js", b"1").finish())).unwrap();
    assert_eq!(single.root.as_deref(), Some("node"));
    assert_eq!(archive.root, None);
}

#[test]
fn duplicate_paths_keep_the_last_and_report_the_earlier() {
    let tar =
        Tar::default().file("package/index.js", b"benign").file("package/./index.js", b"malicious").finish();
    let archive = npm(&gzip(&tar)).unwrap();
    assert_eq!(archive.files.len(), 1);
    assert_eq!(archive.files[0].data, b"malicious");
    assert_eq!(reasons(&archive), [("package/index.js".to_owned(), SkipReason::Duplicate)]);
}

#[test]
fn crate_entries_outside_its_directory_are_skipped() {
    let tar = Tar::default()
        .file("itoa-1.0.11/Cargo.toml", b"[package]")
        .file("other-0.1.0/build.rs", b"fn main() {}")
        .finish();
    let archive =
        read_archive("itoa-1.0.11.crate", &gzip(&tar), ArchiveKind::Crate, &Limits::default()).unwrap();
    assert_eq!(archive.root.as_deref(), Some("itoa-1.0.11"));
    assert_eq!(paths(&archive), ["Cargo.toml"]);
    assert_eq!(reasons(&archive), [("other-0.1.0/build.rs".to_owned(), SkipReason::OutsideRoot)]);
}

#[test]
fn sdist_keeps_paths_without_a_common_root() {
    let tar = Tar::default().file("pkg-1.0/setup.py", b"a").file("setup.py", b"b").finish();
    let archive =
        read_archive("pkg-1.0.tar.gz", &gzip(&tar), ArchiveKind::SdistTarGz, &Limits::default()).unwrap();
    assert_eq!(archive.root, None);
    assert_eq!(paths(&archive), ["pkg-1.0/setup.py", "setup.py"]);
}

#[test]
fn many_entries_is_a_bomb() {
    let mut tar = Tar::default();
    for i in 0..20_001 {
        tar = tar.file(&format!("package/f{i}"), b"");
    }
    // Uncompressed: the limit must hold on plain tar too.
    let err = npm(&tar.finish()).unwrap_err();
    assert!(
        matches!(err, ArchiveError::Limit { limit: LimitKind::Entries, max: 20_000, ref entry, .. } if entry.as_deref() == Some("package/f20000")),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "`evil-1.0.0.tgz` crosses the entry count limit of 20000 at entry `package/f20000`"
    );
}

#[test]
fn a_huge_declared_size_is_refused_before_reading() {
    // 1 TB declared (11 octal digits hold up to 8 GiB; use the 12-byte field's full width).
    let mut tar = tar_header(b"package/big", b'0', 0, 0o644, b"").to_vec();
    tar[124..136].copy_from_slice(b"17777777777\0"); // 8 GiB - 1
    let sum: u32 =
        tar.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u32::from(b) }).sum();
    tar[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let start = Instant::now();
    let err = npm(&gzip(&tar)).unwrap_err();
    assert!(matches!(err, ArchiveError::Limit { limit: LimitKind::TotalSize, .. }), "{err:?}");
    assert!(start.elapsed().as_secs() < 5);
}

/// A tar.gz holding a 1 GiB file of zeros (the stream is 1 MiB, built from one
/// compressed MiB repeated). With the defaults, the header alone refuses it; with the
/// total limit raised past it, the file is skipped as oversize and the total limit still
/// stops the read of its data.
#[test]
fn one_gigabyte_file_in_a_tarball() {
    let header = tar_header(b"package/zeros", b'0', 1 << 30, 0o644, b"");
    let member = gzip_member(&deflate_zeros(&header, 1024, &[0u8; 1024]));
    assert!(member.len() < 2 * MIB, "{}", member.len());

    let err = npm(&member).unwrap_err();
    assert!(
        matches!(err, ArchiveError::Limit { limit: LimitKind::TotalSize, max, .. } if max == 256 << 20),
        "{err:?}"
    );

    // Data that can be skipped within the total: skipped as oversize, read and discarded.
    let small = tar_header(b"package/zeros", b'0', 8 << 20, 0o644, b"");
    let mut member = gzip_member(&deflate_zeros(&small, 8, &[0u8; 1024]));
    let limits = Limits { max_file_size: 1 << 20, max_ratio: u64::MAX, ..Limits::default() };
    let archive = read_archive("zeros.tgz", &member, ArchiveKind::NpmTarball, &limits);
    let archive = archive.unwrap();
    assert!(archive.files.is_empty());
    assert_eq!(
        reasons(&archive),
        [("package/zeros".to_owned(), SkipReason::Oversize { size: 8 << 20, limit: 1 << 20 })]
    );
    assert!(archive.uncompressed_size >= 8 << 20);
    // The same with a broken gzip trailer: read to the end, so the checksum is checked.
    let len = member.len();
    member[len - 8] ^= 0xff;
    let err = read_archive("zeros.tgz", &member, ArchiveKind::NpmTarball, &limits).unwrap_err();
    assert!(matches!(err, ArchiveError::Gzip { .. }), "{err:?}");
}

#[test]
fn zip_bomb_by_ratio() {
    // 60 MiB of zeros in a zip of about 60 KiB: under the file and total limits, 1000x
    // the ratio.
    let zeros = deflate_zeros(b"", 60, b"");
    let bytes = zip(&[ZipEntry::deflated("bomb/zeros.bin", &zeros)]);
    let err = read_archive("bomb-1.0-py3-none-any.whl", &bytes, ArchiveKind::Wheel, &Limits::default())
        .unwrap_err();
    assert!(matches!(err, ArchiveError::Limit { limit: LimitKind::Ratio, .. }), "{err:?}");

    // The same stream declaring 10 bytes: caught while reading, not from the header.
    let mut lying = ZipEntry::deflated("bomb/zeros.bin", &zeros);
    lying.size = 10;
    let bytes = zip(&[lying]);
    let start = Instant::now();
    let err = read_archive("bomb-1.0-py3-none-any.whl", &bytes, ArchiveKind::Wheel, &Limits::default())
        .unwrap_err();
    assert!(matches!(err, ArchiveError::Limit { limit: LimitKind::Ratio, .. }), "{err:?}");
    assert!(err.to_string().contains("compression ratio limit"), "{err}");
    assert!(start.elapsed().as_secs() < 30);
}

/// Overlapping entries (many central records pointing at one compressed stream) multiply
/// the output without growing the archive: the total limit counts every read.
#[test]
fn zip_overlapping_entries_bomb() {
    let zeros = deflate_zeros(b"", 50, b"");
    let mut entries = vec![ZipEntry::deflated("z0", &zeros)];
    for i in 1..10 {
        let mut e = ZipEntry::deflated(&format!("z{i}"), &zeros);
        e.same_data_as = Some(0);
        entries.push(e);
    }
    let bytes = zip(&entries);
    let limits = Limits { max_ratio: u64::MAX, ..Limits::default() };
    let err = read_archive("overlap.whl", &bytes, ArchiveKind::Wheel, &limits).unwrap_err();
    assert!(matches!(err, ArchiveError::Limit { limit: LimitKind::TotalSize, .. }), "{err:?}");
    // Five entries fit in 256 MiB, the sixth crosses it.
    assert!(err.to_string().ends_with("at entry `z5`"), "{err}");
}

/// A zip entry declaring 10 bytes whose stream inflates to 1 GiB: read stops one byte past
/// the file limit, the entry is skipped, and no more than that was decompressed.
#[test]
fn one_gigabyte_stream_behind_a_small_declared_size() {
    let zeros = deflate_zeros(b"", 1024, b"");
    let mut entry = ZipEntry::deflated("pkg/zeros.bin", &zeros);
    entry.size = 10;
    let bytes = zip(&[entry, ZipEntry::stored("pkg/__init__.py", b"")]);
    let limits = Limits { max_file_size: 4 << 20, max_ratio: u64::MAX, ..Limits::default() };
    let archive = read_archive("lie.whl", &bytes, ArchiveKind::Wheel, &limits).unwrap();
    assert_eq!(paths(&archive), ["pkg/__init__.py"]);
    assert_eq!(
        reasons(&archive),
        [("pkg/zeros.bin".to_owned(), SkipReason::Oversize { size: (4 << 20) + 1, limit: 4 << 20 })]
    );
    assert_eq!(archive.uncompressed_size, (4 << 20) + 1);
}

#[test]
fn zip_names_links_and_entries_that_cannot_be_read() {
    let mut link = ZipEntry::stored("pkg/link", b"../../../../etc/passwd");
    link.mode = Some(0o120_777);
    let mut fifo = ZipEntry::stored("pkg/fifo", b"");
    fifo.mode = Some(0o010_644);
    let mut script = ZipEntry::stored("pkg/run.sh", b"#!/bin/sh");
    script.mode = Some(0o100_755);
    let mut encrypted = ZipEntry::stored("pkg/secret.py", b"xxxxxxxxxxxxxxxx");
    encrypted.flags = 1;
    let mut bzip2 = ZipEntry::stored("pkg/data.bz2", b"BZh9");
    bzip2.method = 12;
    let mut bad_name = ZipEntry::stored("", b"x");
    bad_name.name = b"pkg/\xff.py".to_vec();
    let bytes = zip(&[
        ZipEntry::stored("pkg/__init__.py", b"import os"),
        ZipEntry::stored("../evil.pth", b"import os"),
        ZipEntry::stored("/abs.py", b""),
        ZipEntry::stored("pkg\\..\\..\\win.py", b""),
        ZipEntry::stored("pkg/", b""),
        link,
        fifo,
        script,
        encrypted,
        bzip2,
        bad_name,
    ]);
    let archive =
        read_archive("pkg-1.0-py3-none-any.whl", &bytes, ArchiveKind::Wheel, &Limits::default()).unwrap();
    assert_eq!(paths(&archive), ["pkg/__init__.py", "pkg/run.sh"]);
    assert!(archive.files[1].executable && !archive.files[0].executable);
    let ids: Vec<(&str, &str)> = archive.skipped.iter().map(|s| (s.path.as_str(), s.reason.id())).collect();
    assert_eq!(
        ids,
        [
            ("../evil.pth", "unsafe-path"),
            ("/abs.py", "unsafe-path"),
            ("pkg\\..\\..\\win.py", "unsafe-path"),
            ("pkg/link", "symlink"),
            ("pkg/fifo", "fifo"),
            ("pkg/secret.py", "encrypted"),
            ("pkg/data.bz2", "unsupported-compression"),
            ("pkg/\u{fffd}.py", "unsafe-path"),
        ]
    );
    assert_eq!(archive.skipped[3].reason, SkipReason::Symlink { target: "../../../../etc/passwd".into() });
    assert_eq!(archive.entries, 11);
}

#[test]
fn zip_duplicate_names_keep_the_last_and_report_the_earlier() {
    let bytes = zip(&[
        ZipEntry::stored("pkg/__init__.py", b"benign"),
        ZipEntry::stored("pkg/other.py", b""),
        ZipEntry::stored("pkg/__init__.py", b"malicious"),
    ]);
    let archive = read_archive("dup.whl", &bytes, ArchiveKind::Wheel, &Limits::default()).unwrap();
    assert_eq!(archive.file("pkg/__init__.py").unwrap().data, b"malicious");
    assert_eq!(archive.files.len(), 2);
    assert_eq!(reasons(&archive), [("pkg/__init__.py".to_owned(), SkipReason::Duplicate)]);
    assert_eq!(archive.entries, 3);
}

#[test]
fn sdist_zip_strips_its_root() {
    let bytes =
        zip(&[ZipEntry::stored("pkg-1.0/PKG-INFO", b"Name: pkg"), ZipEntry::stored("pkg-1.0/setup.py", b"")]);
    let archive = read_archive("pkg-1.0.zip", &bytes, ArchiveKind::SdistZip, &Limits::default()).unwrap();
    assert_eq!(archive.root.as_deref(), Some("pkg-1.0"));
    assert_eq!(paths(&archive), ["PKG-INFO", "setup.py"]);
}

#[test]
fn garbage_empty_and_truncated_inputs() {
    let limits = Limits::default();
    let kinds = [
        ArchiveKind::NpmTarball,
        ArchiveKind::SdistTarGz,
        ArchiveKind::Crate,
        ArchiveKind::Wheel,
        ArchiveKind::SdistZip,
    ];
    for kind in kinds {
        let err = read_archive("x", b"", kind, &limits).unwrap_err();
        assert!(matches!(err, ArchiveError::Format { .. }), "{kind:?}: {err:?}");
        assert!(err.to_string().contains("the file is empty"), "{err}");
        let err = read_archive("x", b"<html>Not Found</html>", kind, &limits).unwrap_err();
        assert!(err.to_string().starts_with("`x` is not a "), "{err}");
    }
    // Gzip magic, then garbage.
    let err = npm(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255, 1, 2, 3, 4, 5, 6, 7]).unwrap_err();
    assert!(matches!(err, ArchiveError::Gzip { .. }), "{err:?}");
    // A valid gzip of something that is not a tar.
    let err = npm(&gzip(&[b'x'; 2048])).unwrap_err();
    assert!(matches!(err, ArchiveError::Tar { .. }), "{err:?}");
    assert!(err.to_string().contains("evil-1.0.0.tgz"), "{err}");
    // An empty tar (only the end blocks) and an empty zip.
    let err = npm(&gzip(&Tar::default().finish())).unwrap_err();
    assert!(matches!(err, ArchiveError::Empty { .. }), "{err:?}");
    let err = read_archive("e.whl", &zip(&[]), ArchiveKind::Wheel, &limits).unwrap_err();
    assert!(matches!(err, ArchiveError::Empty { .. }), "{err:?}");
    // Zip magic, then garbage.
    let err = read_archive("g.whl", b"PK\x03\x04garbagegarbage", ArchiveKind::Wheel, &limits).unwrap_err();
    assert!(matches!(err, ArchiveError::Zip { .. }), "{err:?}");
    // A tar entry whose data stops early, inside a gzip stream that ends cleanly.
    let mut tar = Tar::default().file("package/a.js", &[b'a'; 4096]).0;
    tar.truncate(512 + 1000);
    let err = npm(&gzip(&tar)).unwrap_err();
    assert!(matches!(err, ArchiveError::Tar { .. }), "{err:?}");
    assert!(err.to_string().contains("package/a.js"), "{err}");
    // A truncated gzip stream.
    let whole = gzip(&Tar::default().file("package/a.js", &[7u8; 100_000]).finish());
    let err = npm(&whole[..whole.len() / 2]).unwrap_err();
    assert!(matches!(err, ArchiveError::Gzip { kind: io::ErrorKind::UnexpectedEof, .. }), "{err:?}");
}

#[test]
fn corrupt_tar_header_checksum() {
    let mut tar = Tar::default().file("package/a.js", b"a").finish();
    tar[0] = b'q';
    let err = npm(&gzip(&tar)).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
}

#[test]
fn a_second_gzip_member_is_read() {
    // Installers decompress every member; content hidden in the second must be seen.
    let tar = Tar::default().file("package/index.js", b"ok").file("package/hidden.js", b"payload").finish();
    let (first, second) = tar.split_at(1024);
    let mut bytes = gzip(first);
    bytes.extend(gzip(second));
    let archive = npm(&bytes).unwrap();
    assert_eq!(paths(&archive), ["index.js", "hidden.js"]);
}

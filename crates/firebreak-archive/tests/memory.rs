//! Peak memory of reading the largest archives the default limits allow, and bombs that
//! try to go past them, measured as the process's peak resident set (its own test binary,
//! so that no other test shares the process).

#![allow(clippy::unwrap_used)]

mod support;

use firebreak_archive::{ArchiveError, ArchiveKind, LimitKind, Limits, SkipReason, read_archive};
use support::{MIB, Tar, ZipEntry, deflate_piece, deflate_zeros, gzip_member, tar_header, zip};

/// Peak resident set of this process so far, from `/proc/self/status` (`VmHWM`).
fn peak_rss() -> u64 {
    let status = fs_err::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
#[cfg(target_os = "linux")]
fn reading_stays_under_512_mb() {
    let before = peak_rss();

    // Four files of 63 MiB (252 MiB, just under the total limit): all kept. The ratio
    // limit is lifted because zeros compress 1000x; size is what this test is about.
    let limits = Limits { max_ratio: u64::MAX, ..Limits::default() };
    let mut deflate = Vec::new();
    let mut crc = flate2::Crc::new();
    let mut len = 0u64;
    let zeros = vec![0u8; MIB];
    let piece = deflate_piece(&zeros);
    for i in 0..4 {
        let header = tar_header(format!("package/f{i}").as_bytes(), b'0', 63 * MIB as u64, 0o644, b"");
        deflate.extend(deflate_piece(&header));
        crc.update(&header);
        len += 512;
        for _ in 0..63 {
            deflate.extend_from_slice(&piece);
            crc.update(&zeros);
            len += MIB as u64;
        }
    }
    let end = Tar::default().finish();
    deflate.extend(deflate_piece(&end));
    deflate.extend(support::deflate_end());
    crc.update(&end);
    len += end.len() as u64;
    let member = gzip_member(&support::Zeros { deflate, len, crc: crc.sum() });
    let archive = read_archive("big-1.0.0.tgz", &member, ArchiveKind::NpmTarball, &limits).unwrap();
    assert_eq!(archive.files.len(), 4);
    assert_eq!(archive.files_size(), 252 * MIB as u64);
    drop(archive);
    let after_big = peak_rss();

    // A 1 GiB stream behind a 10-byte declared size, and a 1 GiB tar entry.
    let zeros = deflate_zeros(b"", 1024, b"");
    let mut entry = ZipEntry::deflated("pkg/zeros.bin", &zeros);
    entry.size = 10;
    let archive = read_archive(
        "lie.whl",
        &zip(&[entry]),
        ArchiveKind::Wheel,
        &Limits { max_ratio: u64::MAX, ..Limits::default() },
    )
    .unwrap();
    assert!(matches!(archive.skipped[0].reason, SkipReason::Oversize { .. }), "{:?}", archive.skipped);
    let header = tar_header(b"package/zeros", b'0', 1 << 30, 0o644, b"");
    let member = gzip_member(&deflate_zeros(&header, 1024, &[0u8; 1024]));
    let unlimited = Limits { max_total_size: u64::MAX, max_ratio: u64::MAX, ..Limits::default() };
    let archive = read_archive("zeros.tgz", &member, ArchiveKind::NpmTarball, &unlimited).unwrap();
    assert!(matches!(archive.skipped[0].reason, SkipReason::Oversize { .. }), "{:?}", archive.skipped);
    let err = read_archive("zeros.tgz", &member, ArchiveKind::NpmTarball, &Limits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::Limit { limit: LimitKind::TotalSize, .. }), "{err:?}");
    let after_bombs = peak_rss();

    eprintln!(
        "peak RSS: {} MiB before, {} MiB after 252 MiB kept, {} MiB after the 1 GiB streams",
        before / MIB as u64,
        after_big / MIB as u64,
        after_bombs / MIB as u64
    );
    assert!(after_bombs < 512 * MIB as u64, "peak RSS {after_bombs}");
}

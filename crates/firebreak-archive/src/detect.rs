//! Which kind of archive a file is, from its name and its first bytes.

use crate::ArchiveKind;

/// The archive kind for a file name (`is-number-7.0.0.tgz`, `six-1.16.0.tar.gz`,
/// `six-1.16.0-py2.py3-none-any.whl`, `itoa-1.0.11.crate`), confirmed by the magic bytes:
/// `None` when the extension is unknown or the content is not that format.
///
/// `.tgz` is taken as npm and `.tar.gz` as an sdist, the names each registry serves.
pub fn detect_kind(file_name: &str, bytes: &[u8]) -> Option<ArchiveKind> {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name).to_ascii_lowercase();
    let kind = if name.ends_with(".tgz") {
        ArchiveKind::NpmTarball
    } else if name.ends_with(".tar.gz") {
        ArchiveKind::SdistTarGz
    } else if name.ends_with(".crate") {
        ArchiveKind::Crate
    } else if name.ends_with(".whl") {
        ArchiveKind::Wheel
    } else if name.ends_with(".zip") {
        ArchiveKind::SdistZip
    } else {
        return None;
    };
    let confirmed = match kind {
        ArchiveKind::Wheel | ArchiveKind::SdistZip => {
            bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
        }
        ArchiveKind::NpmTarball | ArchiveKind::SdistTarGz | ArchiveKind::Crate => {
            bytes.starts_with(&[0x1f, 0x8b]) || bytes.get(257..262) == Some(b"ustar")
        }
    };
    confirmed.then_some(kind)
}

/// What some bytes look like, for an error that says what was found instead.
pub(crate) fn describe(bytes: &[u8]) -> String {
    let what = if bytes.is_empty() {
        return "the file is empty (0 bytes)".to_owned();
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        "gzip data"
    } else if bytes.starts_with(b"PK") {
        "zip data"
    } else if bytes.starts_with(b"BZh") {
        "bzip2 data"
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        "xz data"
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "zstd data"
    } else if bytes.get(257..262) == Some(b"ustar") {
        "an uncompressed tar"
    } else if bytes.first().is_some_and(|&b| b == b'<' || b == b'{') {
        "text (an HTML or JSON error page?)"
    } else {
        "unrecognised data"
    };
    let head: String = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("found {what} starting with bytes {head}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_magic() {
        let gz = [0x1f, 0x8b, 8, 0];
        assert_eq!(detect_kind("is-number-7.0.0.tgz", &gz), Some(ArchiveKind::NpmTarball));
        assert_eq!(detect_kind("dist/six-1.16.0.TAR.GZ", &gz), Some(ArchiveKind::SdistTarGz));
        assert_eq!(detect_kind("itoa-1.0.11.crate", &gz), Some(ArchiveKind::Crate));
        assert_eq!(detect_kind("six-1.16.0-py2.py3-none-any.whl", b"PK\x03\x04"), Some(ArchiveKind::Wheel));
        assert_eq!(detect_kind("pkg-1.0.zip", b"PK\x03\x04"), Some(ArchiveKind::SdistZip));
        assert_eq!(detect_kind("six-1.16.0-py2.py3-none-any.whl", &gz), None, "a gzip named .whl");
        assert_eq!(detect_kind("x.tgz", b"<html>"), None);
        assert_eq!(detect_kind("x.tar.bz2", b"BZh9"), None);
        assert_eq!(detect_kind("x.tgz", &[]), None);
        assert!(describe(b"<html>").contains("HTML"), "{}", describe(b"<html>"));
    }
}

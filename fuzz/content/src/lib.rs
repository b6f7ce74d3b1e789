//! Entry points for the archive and content-analysis fuzz targets: arbitrary bytes as a
//! package archive, or as one install-time source file. A panic, a hang or an out-of-memory
//! is a bug; an error is not.

/// Reads `data` as every kind of package archive, with limits small enough for fuzzing
/// speed, and checks what the reader promises about what it returns.
pub fn archive(data: &[u8]) {
    use firebreak_archive::{ArchiveKind, Limits, read_archive};
    let limits = Limits {
        max_total_size: 8 << 20,
        max_entries: 2_000,
        max_file_size: 1 << 20,
        max_ratio: 200,
        ratio_grace: 1 << 20,
    };
    for kind in
        [ArchiveKind::NpmTarball, ArchiveKind::SdistTarGz, ArchiveKind::SdistZip, ArchiveKind::Wheel, ArchiveKind::Crate]
    {
        let Ok(archive) = read_archive("fuzz", data, kind, &limits) else { continue };
        assert!(archive.entries <= limits.max_entries);
        assert!(archive.uncompressed_size <= limits.max_total_size);
        assert!(archive.files_size() <= archive.uncompressed_size);
        let mut seen = std::collections::HashSet::new();
        for file in &archive.files {
            let path = &file.path;
            assert!(file.data.len() as u64 <= limits.max_file_size, "{path}");
            assert!(!path.is_empty() && !path.starts_with('/') && !path.contains('\\') && !path.contains('\0'), "{path}");
            assert!(path.split('/').all(|c| !c.is_empty() && c != "." && c != ".."), "{path}");
            assert!(seen.insert(path.as_str()), "duplicate {path}");
        }
    }
    for name in ["x.tgz", "x.tar.gz", "x.crate", "x.whl", "x.zip"] {
        let _ = firebreak_archive::detect_kind(name, data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = firebreak_archive::verify_integrity(b"fuzz", text);
    }
}

/// Analyses `data` as one JavaScript file run from an install hook (so the manifest,
/// install-time closure and every JS analyzer path run), and scores it.
pub fn content_js(data: &[u8]) {
    let manifest = br#"{"name":"fuzz","version":"1.0.0","scripts":{"postinstall":"node index.js"}}"#;
    content(("package.json", manifest), "index.js", data);
}

/// The same for Python: `setup.py` is install-time code.
pub fn content_python(data: &[u8]) {
    content(("PKG-INFO", b"Metadata-Version: 2.1\nName: fuzz\nVersion: 1.0\n"), "setup.py", data);
}

fn content(manifest: (&str, &[u8]), file: &str, data: &[u8]) {
    use firebreak_content::{PackageFile, analyze, score};
    let files = [
        PackageFile { path: manifest.0, data: manifest.1, executable: false },
        PackageFile { path: file, data, executable: false },
    ];
    let analysis = analyze(&files);
    let _ = score(&analysis, &[]);
}

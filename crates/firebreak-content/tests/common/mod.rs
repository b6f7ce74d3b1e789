//! Reads an unpacked package directory the way the archive reader hands files over.

use std::path::Path;

pub(crate) struct Files(pub(crate) Vec<(String, Vec<u8>)>);

impl Files {
    pub(crate) fn read(root: &Path) -> Files {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let mut entries: Vec<_> =
                fs_err::read_dir(&dir).expect("fixture dir").map(|e| e.expect("entry").path()).collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(root).expect("prefix").to_string_lossy().replace('\\', "/");
                    out.push((rel, fs_err::read(&path).expect("read fixture")));
                }
            }
        }
        out.sort();
        Files(out)
    }

    pub(crate) fn package_files(&self) -> Vec<firebreak_content::PackageFile<'_>> {
        self.0
            .iter()
            .map(|(p, d)| firebreak_content::PackageFile { path: p, data: d, executable: false })
            .collect()
    }
}

pub(crate) fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

//! Real benign packages with install hooks, downloaded binaries, bundles and generated
//! code (fixtures/negatives, made by generate.sh): none may be called malicious, and the
//! verdict of each is recorded so a change in scoring shows in review.

use std::fmt::Write as _;

use firebreak_archive::{Limits, detect_kind, read_archive};
use firebreak_content::{PackageFile, VerdictKind, analyze, score};

#[test]
fn no_hard_negative_is_malicious() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/negatives");
    let mut names: Vec<String> = fs_err::read_dir(&dir)
        .expect("negatives dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".tgz") || n.ends_with(".tar.gz") || n.ends_with(".whl"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "only {} negatives", names.len());
    let mut table = String::new();
    let mut malicious = Vec::new();
    for name in &names {
        let bytes = fs_err::read(dir.join(name)).expect("read");
        let kind = detect_kind(name, &bytes).expect("a package archive");
        let archive = read_archive(name, &bytes, kind, &Limits::default()).expect("readable");
        let files: Vec<PackageFile<'_>> = archive
            .files
            .iter()
            .map(|f| PackageFile { path: &f.path, data: &f.data, executable: f.executable })
            .collect();
        let analysis = analyze(&files);
        let verdict = score(&analysis, &[]);
        writeln!(table, "{name}: {} {}", verdict.verdict.as_str(), verdict.score).expect("write");
        if verdict.verdict == VerdictKind::Malicious {
            malicious.push(format!("{name}: {:#?}", verdict.reasons));
        }
    }
    assert!(malicious.is_empty(), "{}", malicious.join("\n"));
    insta::assert_snapshot!("negatives", table);
}

//! Every inert reconstruction of a real attack reaches its expected verdict and raises
//! its expected signals; every diff pair raises what its incident showed.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::collections::BTreeSet;

use common::{Files, fixtures};
use firebreak_content::{VerdictKind, analyze, diff, score};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    verdict: String,
    signals: Vec<String>,
}

#[derive(Deserialize)]
struct Pairs {
    pair: Vec<Pair>,
}

#[derive(Deserialize)]
struct Pair {
    old: String,
    new: String,
    phantom_dependencies: Vec<String>,
    signals: Vec<String>,
}

#[test]
fn every_reconstruction_is_flagged_with_its_signals() {
    let root = fixtures().join("reconstructions");
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in fs_err::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let expected_path = dir.join("expected.toml");
        if !expected_path.exists() || dir.ends_with("diff") {
            continue;
        }
        let expected: Expected = toml::from_str(&fs_err::read_to_string(&expected_path).unwrap()).unwrap();
        let files = Files::read(&dir.join("package"));
        let analysis = analyze(&files.package_files());
        let verdict = score(&analysis, &[]);
        let raised: BTreeSet<&str> = analysis.hits.iter().map(|h| h.signal.id).collect();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if verdict.verdict.as_str() != expected.verdict {
            failures.push(format!(
                "{name}: verdict {} (score {}), expected {}; reasons {:#?}; hits {:#?}",
                verdict.verdict.as_str(),
                verdict.score,
                expected.verdict,
                verdict.reasons,
                analysis
                    .hits
                    .iter()
                    .map(|h| format!("{} {:?} {}:{} {}", h.signal.id, h.phase, h.path, h.line, h.message))
                    .collect::<Vec<_>>()
            ));
        }
        // A build without YARA cannot raise `yara-match`; the other expectations still hold.
        let missing: Vec<&String> = expected
            .signals
            .iter()
            .filter(|s| firebreak_content::yara::available() || s.as_str() != "yara-match")
            .filter(|s| !raised.contains(s.as_str()))
            .collect();
        if !missing.is_empty() {
            failures.push(format!("{name}: missing {missing:?}; raised {raised:?}"));
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} reconstructions found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn diff_pairs_raise_the_incident_signals() {
    let root = fixtures().join("reconstructions").join("diff");
    let pairs: Pairs = toml::from_str(&fs_err::read_to_string(root.join("expected.toml")).unwrap()).unwrap();
    for pair in pairs.pair {
        let old_files = Files::read(&root.join(&pair.old).join("package"));
        let new_files = Files::read(&root.join(&pair.new).join("package"));
        let (old_pf, new_pf) = (old_files.package_files(), new_files.package_files());
        let (old, new) = (analyze(&old_pf), analyze(&new_pf));
        let d = diff(&old_pf, &old, &new_pf, &new);
        assert_eq!(d.phantom_dependencies, pair.phantom_dependencies, "{}", pair.new);
        let raised: BTreeSet<&str> = d.hits.iter().map(|h| h.signal.id).collect();
        for s in &pair.signals {
            assert!(raised.contains(s.as_str()), "{}: {s} not raised; got {raised:?}", pair.new);
        }
        assert_eq!(d.files.len(), 1, "only package.json differs: {:?}", d.files);
        assert_ne!(
            score(&new, &d.hits).verdict,
            VerdictKind::Clean,
            "the phantom dependency makes {} suspicious",
            pair.new
        );
        assert_eq!(score(&old, &[]).verdict, VerdictKind::Clean, "{} is clean", pair.old);
    }
}

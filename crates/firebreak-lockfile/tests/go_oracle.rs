//! `go.mod` + `go.sum` against the go command: the fixtures under `fixtures/lockfiles/go`
//! were written by `go mod tidy`, and each `oracle.json` is `go list -m -json all` for
//! them (`graph.txt` is `go mod graph`).

mod common;

use common::{RepoFs, repo_root};

use std::collections::BTreeSet;

use camino::Utf8PathBuf;
use firebreak_core::{HashAlgorithm, Inventory, NodeRef, PackageSource};
use firebreak_lockfile::{FileSystem, NoFileSystem, Source, extractor_by_hint};
use serde::Deserialize;

fn extract_with(case: &str, files: &dyn FileSystem) -> Inventory {
    let path = Utf8PathBuf::from(format!("fixtures/lockfiles/go/{case}/go.mod"));
    let bytes = fs_err::read(repo_root().join(&path)).expect("fixture");
    let extractor = extractor_by_hint("go/mod").expect("registered");
    extractor.extract(&Source { path: &path, bytes: &bytes, files }).expect("extracts")
}

fn extract(case: &str) -> Inventory {
    extract_with(case, &RepoFs)
}

#[derive(Deserialize)]
struct Oracle {
    modules: Vec<Module>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Module {
    path: String,
    version: Option<String>,
    #[serde(default)]
    main: bool,
    #[serde(default)]
    indirect: bool,
    replace: Option<Replacement>,
    go_version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Replacement {
    path: String,
    version: Option<String>,
}

fn oracle(case: &str) -> Oracle {
    let text = fs_err::read_to_string(repo_root().join(format!("fixtures/lockfiles/go/{case}/oracle.json")))
        .expect("oracle");
    serde_json::from_str(&text).expect("oracle json")
}

/// (name, version, source, direct, alias) as the oracle implies them.
type Row = (String, String, String, bool, Option<String>);

fn compare(case: &str) {
    let inv = extract(case);
    let o = oracle(case);
    let main = o.modules.iter().find(|m| m.main).expect("main module");
    assert_eq!(inv.roots.len(), 1);
    assert_eq!(inv.roots[0].name, main.path, "root is the main module");
    assert_eq!(inv.lockfiles[0].format_version, main.go_version, "go directive");

    let expected: BTreeSet<Row> = o
        .modules
        .iter()
        .filter(|m| !m.main)
        .map(|m| {
            let version = m.version.clone().expect("version");
            match &m.replace {
                Some(Replacement { path, version: Some(v) }) => {
                    (path.clone(), v.clone(), "registry".to_owned(), !m.indirect, Some(m.path.clone()))
                }
                Some(Replacement { path, version: None }) => {
                    (m.path.clone(), version, format!("path:{path}"), !m.indirect, None)
                }
                None => (m.path.clone(), version, "registry".to_owned(), !m.indirect, None),
            }
        })
        .collect();
    let got: BTreeSet<Row> = inv
        .packages
        .iter()
        .map(|p| {
            let source = match &p.source {
                PackageSource::Registry { url: None } => "registry".to_owned(),
                PackageSource::Path { path } => format!("path:{path}"),
                other => panic!("unexpected source {other:?}"),
            };
            (p.name.clone(), p.version.clone(), source, p.direct, p.alias.clone())
        })
        .collect();
    assert_eq!(got, expected, "{case}: modules, replacements and direct flags");
    assert_eq!(inv.packages.len(), expected.len(), "{case}: no module twice");

    // The main module's edges in `go mod graph` are the requirements as written.
    let graph = fs_err::read_to_string(repo_root().join(format!("fixtures/lockfiles/go/{case}/graph.txt")))
        .expect("graph");
    let expected_edges: BTreeSet<String> = graph
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(from, _)| *from == main.path)
        .map(|(_, to)| to.to_owned())
        .collect();
    let got_edges: BTreeSet<String> = inv
        .edges
        .iter()
        .filter(|e| e.from == NodeRef::Root(firebreak_core::RootId(0)))
        .map(|e| {
            let p = &inv.packages[e.to.index()];
            format!("{}@{}", p.alias.as_deref().unwrap_or(&p.name), e.requested.as_deref().unwrap_or(""))
        })
        .collect();
    assert_eq!(got_edges, expected_edges, "{case}: requirements of the main module");

    // Every module fetched from the proxy has its go.sum h1: hash; local ones none.
    for p in &inv.packages {
        let local = matches!(p.source, PackageSource::Path { .. });
        assert_eq!(p.hashes.len(), usize::from(!local), "{case}: hashes of {}", p.name);
        assert!(p.hashes.iter().all(|h| h.algorithm == HashAlgorithm::GoH1 && h.value.ends_with('=')));
        assert_eq!(p.members, vec![firebreak_core::RootId(0)]);
    }
}

#[test]
fn basic_matches_go_list() {
    compare("basic");
    let inv = extract("basic");
    let alpha = inv.packages.iter().find(|p| p.name == "example.com/alpha").expect("alpha");
    assert_eq!(alpha.hashes[0].value, "pA3Li1ExCZ2LC7ue+OePgdkNaAXi77aTOATxW1vNBxs=");
    assert_eq!(alpha.purl.as_deref(), Some("pkg:golang/example.com/alpha@v1.2.0"));
    assert_eq!(alpha.location.map(|l| (l.line, l.column)), Some((6, 2)));
}

#[test]
fn replace_matches_go_list() {
    compare("replace");
}

#[test]
fn exclude_matches_go_list() {
    compare("exclude");
}

#[test]
fn pseudo_versions_match_go_list() {
    compare("pseudo");
}

#[test]
fn without_go_sum_there_are_no_hashes() {
    let inv = extract_with("basic", &NoFileSystem);
    assert_eq!(inv.packages.len(), 4);
    assert!(inv.packages.iter().all(|p| p.hashes.is_empty()));
}

#[test]
fn hand_written_syntax_case() {
    let inv = extract("syntax");
    assert_eq!(inv.roots[0].name, "example.com/app");
    assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some("1.22.1"));
    let rows: Vec<(String, String, bool, Option<&str>, usize)> = inv
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.direct, p.alias.as_deref(), p.hashes.len()))
        .collect();
    let row =
        |n: &str, v: &str, d: bool, a: Option<&'static str>, h: usize| (n.to_owned(), v.to_owned(), d, a, h);
    assert_eq!(
        rows,
        [
            row("example.net/alpha-fork", "v1.2.1", true, Some("example.com/alpha"), 1),
            row("example.com/delta/v2", "v2.1.0", true, None, 1),
            row("example.com/beta", "v0.3.1", false, None, 1),
            row("example.org/gamma", "v1.0.0", false, None, 1),
            row("example.com/legacy", "v2.3.0+incompatible", false, None, 1),
            row("example.com/pseudo", "v0.0.0-20230405123456-abcdef012345", true, None, 0),
        ]
    );
    assert_eq!(inv.packages[5].source, PackageSource::Path { path: "../vendored/pseudo".into() });
}

#[test]
fn snapshots() {
    insta::assert_yaml_snapshot!("go_replace", extract("replace"));
    insta::assert_yaml_snapshot!("go_pseudo", extract("pseudo"));
}

//! `Cargo.lock` against `cargo metadata`: the fixtures under `fixtures/lockfiles/cargo` were
//! written by cargo, and each `oracle.json` is cargo's own resolve graph for them.

mod common;

use common::{RepoFs, repo_root};

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8PathBuf;
use firebreak_core::{DepKind, HashAlgorithm, Inventory, NodeRef, PackageSource};
use firebreak_lockfile::{ExtractError, FileSystem, NoFileSystem, Source, extractor_by_hint};
use serde::Deserialize;

fn fixture(case: &str) -> Utf8PathBuf {
    Utf8PathBuf::from(format!("fixtures/lockfiles/cargo/{case}/Cargo.lock"))
}

fn extract_with(case: &str, files: &dyn FileSystem) -> Result<Inventory, ExtractError> {
    let path = fixture(case);
    let bytes = fs_err::read(repo_root().join(&path)).expect("fixture");
    let extractor = extractor_by_hint("cargo/lock").expect("registered");
    extractor.extract(&Source { path: &path, bytes: &bytes, files })
}

fn extract(case: &str) -> Inventory {
    extract_with(case, &RepoFs).expect("extracts")
}

#[derive(Deserialize)]
struct Oracle {
    workspace_members: Vec<String>,
    packages: Vec<OraclePackage>,
    nodes: Vec<OracleNode>,
}

#[derive(Deserialize)]
struct OraclePackage {
    id: String,
    name: String,
    version: String,
    source: Option<String>,
    manifest_path: Option<String>,
}

#[derive(Deserialize)]
struct OracleNode {
    id: String,
    deps: Vec<OracleDep>,
}

#[derive(Deserialize)]
struct OracleDep {
    pkg: String,
    dep_kinds: Vec<Option<String>>,
}

fn oracle(case: &str) -> Oracle {
    let text =
        fs_err::read_to_string(repo_root().join(format!("fixtures/lockfiles/cargo/{case}/oracle.json")))
            .expect("oracle");
    serde_json::from_str(&text).expect("oracle json")
}

/// `name@version from source`, comparable between the oracle and an inventory.
type Key = (String, String, String);

fn oracle_source(p: &OraclePackage) -> String {
    match &p.source {
        None => {
            let manifest = p.manifest_path.as_deref().expect("path package has a manifest");
            let dir = manifest.trim_start_matches("$ROOT").trim_start_matches('/');
            format!("path:{}", dir.trim_end_matches("Cargo.toml").trim_end_matches('/'))
        }
        Some(s) if s.starts_with("registry+") => format!("registry:{}", &s["registry+".len()..]),
        Some(s) if s.starts_with("git+") => {
            let (url, commit) = s["git+".len()..].split_once('#').expect("precise");
            format!("git:{}@{commit}", url.split('?').next().unwrap_or(url))
        }
        Some(s) => panic!("unexpected source {s}"),
    }
}

fn our_source(s: &PackageSource) -> String {
    match s {
        PackageSource::Registry { url } => format!("registry:{}", url.as_deref().unwrap_or("")),
        PackageSource::Git { url, rev } => format!("git:{url}@{}", rev.as_deref().unwrap_or("")),
        PackageSource::Path { path } => format!("path:{path}"),
        other => panic!("unexpected source {other:?}"),
    }
}

fn kind(k: &Option<String>) -> DepKind {
    match k.as_deref() {
        None => DepKind::Normal,
        Some("dev") => DepKind::Dev,
        Some("build") => DepKind::Build,
        Some(other) => panic!("unknown kind {other}"),
    }
}

/// Checks an inventory against cargo's graph: members, package set, sources, the
/// members' direct dependencies with their kinds, every package's dependencies, and the
/// dev flags that follow.
fn compare(inv: &Inventory, o: &Oracle) {
    let keys: BTreeMap<&str, Key> = o
        .packages
        .iter()
        .map(|p| (p.id.as_str(), (p.name.clone(), p.version.clone(), oracle_source(p))))
        .collect();
    let members: BTreeSet<&str> = o.workspace_members.iter().map(String::as_str).collect();
    let depended: BTreeSet<&str> =
        o.nodes.iter().flat_map(|n| n.deps.iter().map(|d| d.pkg.as_str())).collect();

    // Roots are the workspace members, at their directories.
    let expected_roots: BTreeSet<(String, String)> = members
        .iter()
        .map(|m| {
            let (name, _, src) = &keys[m];
            (name.clone(), src.trim_start_matches("path:").to_owned())
        })
        .collect();
    let roots: BTreeSet<(String, String)> =
        inv.roots.iter().map(|r| (r.name.clone(), r.path.clone())).collect();
    assert_eq!(roots, expected_roots, "workspace members");

    // Packages: everything but members, plus members another package depends on.
    let expected_packages: BTreeSet<Key> = o
        .packages
        .iter()
        .filter(|p| !members.contains(p.id.as_str()) || depended.contains(p.id.as_str()))
        .map(|p| keys[p.id.as_str()].clone())
        .collect();
    let ours: Vec<Key> =
        inv.packages.iter().map(|p| (p.name.clone(), p.version.clone(), our_source(&p.source))).collect();
    assert_eq!(ours.iter().cloned().collect::<BTreeSet<_>>(), expected_packages, "package set");
    assert_eq!(ours.len(), expected_packages.len(), "no package listed twice");

    let key_of = |id: firebreak_core::PackageId| ours[id.index()].clone();
    let keys = &keys;
    for node in &o.nodes {
        let from = &keys[node.id.as_str()];
        let expected: BTreeSet<(Key, DepKind)> = node
            .deps
            .iter()
            .flat_map(|d| d.dep_kinds.iter().map(move |k| (keys[d.pkg.as_str()].clone(), kind(k))))
            .collect();
        if members.contains(node.id.as_str()) {
            let root = inv.roots.iter().position(|r| r.name == from.0).expect("member root");
            let got: BTreeSet<(Key, DepKind)> = inv
                .edges
                .iter()
                .filter(|e| e.from == NodeRef::Root(firebreak_core::RootId(root as u32)))
                .map(|e| (key_of(e.to), e.kind))
                .collect();
            assert_eq!(got, expected, "direct dependencies and kinds of member {}", from.0);
        }
        if let Some(pos) = ours.iter().position(|k| k == from) {
            // Lockfile edges carry no kinds; compare targets (dev-only ones of a member
            // are not part of what depends on it).
            let expected: BTreeSet<Key> =
                expected.into_iter().filter(|(_, k)| *k != DepKind::Dev).map(|(k, _)| k).collect();
            let got: BTreeSet<Key> = inv
                .edges
                .iter()
                .filter(|e| e.from == NodeRef::Package(firebreak_core::PackageId(pos as u32)))
                .map(|e| key_of(e.to))
                .collect();
            assert_eq!(got, expected, "dependencies of {from:?}");
        }
    }

    // Dev: reachable from the members only through a dev-dependency.
    let mut prod: BTreeSet<&str> = BTreeSet::new();
    let mut stack: Vec<&str> = o
        .nodes
        .iter()
        .filter(|n| members.contains(n.id.as_str()))
        .flat_map(|n| n.deps.iter().filter(|d| d.dep_kinds.iter().any(|k| kind(k) != DepKind::Dev)))
        .map(|d| d.pkg.as_str())
        .collect();
    while let Some(id) = stack.pop() {
        if prod.insert(id) {
            let node = o.nodes.iter().find(|n| n.id == id).expect("node");
            stack.extend(
                node.deps
                    .iter()
                    .filter(|d| d.dep_kinds.iter().any(|k| kind(k) != DepKind::Dev))
                    .map(|d| d.pkg.as_str()),
            );
        }
    }
    for p in &o.packages {
        let key = &keys[p.id.as_str()];
        if let Some(pos) = ours.iter().position(|k| k == key) {
            assert_eq!(inv.packages[pos].flags.dev, !prod.contains(p.id.as_str()), "dev flag of {key:?}");
        }
    }
}

#[test]
fn basic_matches_cargo_metadata() {
    let inv = extract("basic");
    compare(&inv, &oracle("basic"));
    assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some("4"));
    let bitflags: Vec<&str> =
        inv.packages.iter().filter(|p| p.name == "bitflags").map(|p| p.version.as_str()).collect();
    assert_eq!(bitflags, ["1.3.2", "2.13.2"]);
    let itoa = inv.packages.iter().find(|p| p.name == "itoa").expect("itoa");
    assert_eq!(itoa.hashes.len(), 1);
    assert_eq!(itoa.hashes[0].algorithm, HashAlgorithm::Sha256);
    assert_eq!(itoa.hashes[0].value, "3bd1574e617a9a6c1f8f8181bd7e841e1f20e4277607ef28945765188d6284d4");
    assert_eq!(itoa.purl.as_deref(), Some("pkg:cargo/itoa@1.0.19"));
    assert_eq!(itoa.location.map(|l| l.line), Some(59));
    let scopeguard = inv.packages.iter().find(|p| p.name == "scopeguard").expect("scopeguard");
    assert!(scopeguard.flags.dev && !scopeguard.direct, "only reached through the dev-dependency lock_api");
    let autocfg = inv.packages.iter().find(|p| p.name == "autocfg").expect("autocfg");
    assert!(autocfg.direct && !autocfg.flags.dev, "a build-dependency is not dev");
}

#[test]
fn workspace_matches_cargo_metadata() {
    let inv = extract("workspace");
    compare(&inv, &oracle("workspace"));
    let helper = inv.packages.iter().find(|p| p.name == "helper").expect("helper");
    assert_eq!(helper.source, PackageSource::Path { path: "vendor/helper".into() });
    assert!(helper.hashes.is_empty());
}

#[test]
fn workspace_with_git_matches_oracle() {
    let inv = extract("workspace-git");
    compare(&inv, &oracle("workspace-git"));
    let itoas: Vec<&PackageSource> =
        inv.packages.iter().filter(|p| p.name == "itoa").map(|p| &p.source).collect();
    assert_eq!(itoas.len(), 2, "same name and version from two sources stay two packages");
    assert!(itoas.contains(&&PackageSource::Git {
        url: "https://github.com/dtolnay/itoa".into(),
        rev: Some("f1a7cd3a6b0e5c2d4e8f9a1b3c5d7e9f0a2b4c6d".into()),
    }));
}

/// Everything but where entries sit and which format said so.
fn graph_view(inv: &Inventory) -> Inventory {
    let mut inv = inv.clone();
    for p in &mut inv.packages {
        p.location = None;
    }
    inv.lockfiles[0].format_version = None;
    inv
}

#[test]
fn every_format_reads_to_the_same_graph() {
    for base in ["basic", "workspace-git"] {
        let expected = graph_view(&extract(base));
        for v in ["1", "2", "3"] {
            let case = format!("formats/{base}-v{v}");
            let inv = extract(&case);
            assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some(v), "{case}");
            let mut got = graph_view(&inv);
            got.lockfiles[0].path = expected.lockfiles[0].path.clone();
            assert_eq!(got, expected, "{case}");
        }
    }
}

#[test]
fn without_manifests_every_local_package_is_a_root() {
    let inv = extract_with("workspace", &NoFileSystem).expect("extracts");
    let roots: BTreeSet<&str> = inv.roots.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(roots, BTreeSet::from(["app", "helper", "lib-core"]));
    assert!(inv.edges.iter().all(|e| e.kind == DepKind::Normal));
    assert!(inv.packages.iter().all(|p| !p.flags.dev));
    // Members that others depend on are packages too.
    let locals: BTreeSet<&str> = inv
        .packages
        .iter()
        .filter(|p| matches!(p.source, PackageSource::Path { .. }))
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(locals, BTreeSet::from(["helper", "lib-core"]));
}

#[test]
fn snapshots() {
    insta::assert_yaml_snapshot!("cargo_basic", extract("basic"));
    insta::assert_yaml_snapshot!("cargo_workspace_git", extract("workspace-git"));
}

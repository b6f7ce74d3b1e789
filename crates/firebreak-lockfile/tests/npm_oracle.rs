//! `package-lock.json` and `npm-shrinkwrap.json` against `npm ls`: the fixtures under
//! `fixtures/lockfiles/npm` were written by npm 6, 8 and 11, and each
//! `npm-ls.oracle.json` is the tree npm itself reports after `npm ci` of that lockfile.

mod common;

use common::{RepoFs, repo_root};

use std::collections::{BTreeMap, BTreeSet};

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_core::{DepKind, HashAlgorithm, Inventory, NodeRef, PackageSource};
use firebreak_lockfile::{Source, extractor_for};
use serde::Deserialize;

fn extract_path(path: &Utf8Path) -> Inventory {
    let bytes = fs_err::read(repo_root().join(path)).expect("fixture");
    let extractor = extractor_for(path).expect("registered");
    assert_eq!(extractor.id(), "npm/package-lock");
    extractor.extract(&Source { path, bytes: &bytes, files: &RepoFs }).expect("extracts")
}

fn lockfile(case: &str) -> Utf8PathBuf {
    let dir = Utf8PathBuf::from(format!("fixtures/lockfiles/npm/{case}"));
    if case == "shrinkwrap" { dir.join("npm-shrinkwrap.json") } else { dir.join("package-lock.json") }
}

fn extract(case: &str) -> Inventory {
    extract_path(&lockfile(case))
}

#[derive(Deserialize)]
struct LsNode {
    version: Option<String>,
    #[serde(default)]
    missing: bool,
    #[serde(default)]
    dependencies: BTreeMap<String, LsNode>,
}

fn oracle(case: &str) -> LsNode {
    let text =
        fs_err::read_to_string(repo_root().join(format!("fixtures/lockfiles/npm/{case}/npm-ls.oracle.json")))
            .expect("oracle");
    serde_json::from_str(&text).expect("oracle json")
}

/// `name@version`. `npm ls` names a package by the key it is installed under, so the
/// alias in the fixtures maps back to its real package here; the lockfile, not `npm ls`,
/// is what records it (checked in `aliases_name_the_real_package`). A v1 lockfile writes
/// the spec (`file:…`, a URL) where the version goes for packages not from the registry,
/// so those compare by name (`external` lists them).
fn key(installed_as: &str, version: &str, external: &BTreeSet<String>) -> String {
    let name = if installed_as == "debug3" { "debug" } else { installed_as };
    if external.contains(name) {
        return format!("{name}@external");
    }
    format!("{name}@{version}")
}

fn external(inv: &Inventory) -> BTreeSet<String> {
    inv.packages.iter().filter(|p| p.version.contains(':')).map(|p| p.name.clone()).collect()
}

/// What `npm ls` says: packages, edges between them (by `name@version`), and the
/// project's direct dependencies. Workspace members are children of the project in the
/// listing, but edges of their own in the inventory (they are roots).
struct Expected {
    packages: BTreeSet<String>,
    edges: BTreeSet<(String, String)>,
    direct: BTreeSet<String>,
    members: BTreeSet<String>,
}

fn expected(case: &str, members: &BTreeSet<String>, ext: &BTreeSet<String>) -> Expected {
    let tree = oracle(case);
    let mut out = Expected {
        packages: BTreeSet::new(),
        edges: BTreeSet::new(),
        direct: BTreeSet::new(),
        members: BTreeSet::new(),
    };
    fn walk(node: &LsNode, from: &str, out: &mut Expected, ext: &BTreeSet<String>) {
        for (name, child) in &node.dependencies {
            let Some(version) = child.version.as_deref().filter(|_| !child.missing) else { continue };
            let to = key(name, version, ext);
            out.packages.insert(to.clone());
            out.edges.insert((from.to_owned(), to.clone()));
            walk(child, &to, out, ext);
        }
    }
    for (name, child) in &tree.dependencies {
        let Some(version) = child.version.as_deref().filter(|_| !child.missing) else { continue };
        let to = key(name, version, ext);
        if members.contains(name) {
            out.members.insert(to.clone());
        } else {
            out.packages.insert(to.clone());
            out.direct.insert(to.clone());
        }
        walk(child, &to, &mut out, ext);
    }
    // A member is a package only when something depends on it.
    let depended: BTreeSet<String> = out.edges.iter().map(|(_, to)| to.clone()).collect();
    out.packages.retain(|p| !out.members.contains(p) || depended.contains(p));
    out
}

fn ours_key(inv: &Inventory, id: firebreak_core::PackageId, ext: &BTreeSet<String>) -> String {
    let p = inv.package(id);
    key(&p.name, &p.version, ext)
}

fn compare(case: &str) -> Inventory {
    let inv = extract(case);
    let members: BTreeSet<String> = inv.roots.iter().skip(1).map(|r| r.name.clone()).collect();
    let ext = external(&inv);
    let exp = expected(case, &members, &ext);

    let ours: BTreeSet<String> =
        (0..inv.packages.len()).map(|i| ours_key(&inv, firebreak_core::PackageId(i as u32), &ext)).collect();
    assert_eq!(ours, exp.packages, "{case}: package set");
    assert_eq!(ours.len(), inv.packages.len(), "{case}: no package listed twice");

    let node_key = |n: NodeRef| match n {
        NodeRef::Root(r) => {
            let root = &inv.roots[r.index()];
            key(&root.name, root.version.as_deref().unwrap_or(""), &ext)
        }
        NodeRef::Package(p) => ours_key(&inv, p, &ext),
    };
    let edges: BTreeSet<(String, String)> = inv
        .edges
        .iter()
        .filter(|e| e.from != NodeRef::Root(firebreak_core::RootId(0)))
        .map(|e| (node_key(e.from), ours_key(&inv, e.to, &ext)))
        .collect();
    assert_eq!(edges, exp.edges, "{case}: dependency edges");

    let direct: BTreeSet<String> = inv
        .edges
        .iter()
        .filter(|e| e.from == NodeRef::Root(firebreak_core::RootId(0)))
        .map(|e| ours_key(&inv, e.to, &ext))
        .collect();
    assert_eq!(direct, exp.direct, "{case}: the project's direct dependencies");
    let roots: BTreeSet<String> =
        inv.roots.iter().skip(1).map(|r| key(&r.name, r.version.as_deref().unwrap_or(""), &ext)).collect();
    assert_eq!(roots, exp.members, "{case}: workspace members");
    inv
}

fn find<'a>(inv: &'a Inventory, name: &str, version: &str) -> &'a firebreak_core::Package {
    inv.packages
        .iter()
        .find(|p| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("{name}@{version}"))
}

fn kinds_from_project(inv: &Inventory) -> BTreeMap<String, DepKind> {
    inv.edges
        .iter()
        .filter(|e| e.from == NodeRef::Root(firebreak_core::RootId(0)))
        .map(|e| (inv.package(e.to).alias.clone().unwrap_or_else(|| inv.package(e.to).name.clone()), e.kind))
        .collect()
}

/// Flags, kinds and sources of the app fixture, the same whichever npm wrote it.
fn check_app(inv: &Inventory, version: &str) {
    assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some(version));
    let kinds = kinds_from_project(inv);
    assert_eq!(kinds.get("is-odd"), Some(&DepKind::Dev));
    assert_eq!(kinds.get("is-number"), Some(&DepKind::Optional));
    assert_eq!(kinds.get("debug"), Some(&DepKind::Normal));
    assert!(find(inv, "is-odd", "3.0.1").flags.dev);
    assert!(find(inv, "is-number", "6.0.0").flags.dev, "only under the dev dependency");
    assert!(!find(inv, "is-number", "7.0.0").flags.optional, "`local-dir` requires it");
    assert!(!find(inv, "debug", "4.4.3").flags.dev);

    let ms = find(inv, "ms", "2.1.3");
    let mut paths = ms.paths.clone();
    paths.sort();
    assert!(
        paths.starts_with(&[
            "node_modules/debug/node_modules/ms".to_owned(),
            "node_modules/debug3/node_modules/ms".to_owned()
        ]),
        "one package at several install paths: {paths:?}"
    );
    assert_eq!(find(inv, "ms", "2.0.0").paths, ["node_modules/ms"]);
    assert!(ms.location.is_some());
    assert_eq!(ms.hashes.first().map(|h| h.algorithm), Some(HashAlgorithm::Sha512));

    // A URL dependency: npm 6 writes the URL as its version, so it reads as a remote
    // archive; npm 7+ records the version, and the URL has the registry's tarball shape.
    let kind_of = inv.packages.iter().find(|p| p.name == "kind-of").expect("kind-of");
    let url = "https://registry.npmjs.org/kind-of/-/kind-of-6.0.3.tgz";
    let expected = if version == "1" {
        PackageSource::Url { url: url.into() }
    } else {
        PackageSource::Registry { url: Some(url.into()) }
    };
    assert_eq!(kind_of.source, expected);
    let bundler = inv.packages.iter().find(|p| p.name == "local-bundler").expect("local-bundler");
    assert!(
        matches!(&bundler.source, PackageSource::Path { path } if path.ends_with("vendor/local-bundler-1.0.0.tgz"))
    );
    let bundled: Vec<&str> =
        inv.packages.iter().filter(|p| p.flags.bundled).map(|p| p.name.as_str()).collect();
    assert!(bundled.is_empty() || bundled == ["ms"], "{bundled:?}");
}

#[test]
fn v1_matches_npm_ls() {
    let inv = compare("v1");
    check_app(&inv, "1");
    // npm 6 did not install the peer dependency.
    assert!(!inv.packages.iter().any(|p| p.name == "react"));
}

#[test]
fn v2_matches_npm_ls() {
    let inv = compare("v2");
    check_app(&inv, "2");
}

#[test]
fn v3_matches_npm_ls() {
    let inv = compare("v3");
    check_app(&inv, "3");
    let react = find(&inv, "react", "18.3.1");
    assert!(react.flags.peer && !react.direct);
    let peer_edge = inv
        .edges
        .iter()
        .find(|e| {
            e.to == inv
                .packages
                .iter()
                .position(|p| p.name == "react")
                .map(|i| firebreak_core::PackageId(i as u32))
                .expect("react")
        })
        .expect("edge");
    assert_eq!(peer_edge.kind, DepKind::Peer);
    assert_eq!(
        inv.package(match peer_edge.from {
            NodeRef::Package(p) => p,
            NodeRef::Root(_) => panic!("root"),
        })
        .name,
        "use-sync-external-store"
    );
    let bundled = inv
        .packages
        .iter()
        .find(|p| p.paths.iter().any(|x| x == "node_modules/local-bundler/node_modules/ms"))
        .expect("bundled ms");
    assert!(bundled.flags.bundled);
    let local = inv.packages.iter().find(|p| p.name == "local-dir").expect("local-dir");
    assert_eq!(local.source, PackageSource::Path { path: "vendor/local-dir".into() });
    assert!(local.paths.contains(&"node_modules/local-dir".to_owned()), "{:?}", local.paths);
}

#[test]
fn aliases_name_the_real_package() {
    for case in ["v1", "v2", "v3"] {
        let inv = extract(case);
        let aliased: Vec<(&str, &str, Option<&str>)> = inv
            .packages
            .iter()
            .filter(|p| p.alias.is_some())
            .map(|p| (p.name.as_str(), p.version.as_str(), p.alias.as_deref()))
            .collect();
        assert_eq!(aliased, [("debug", "3.2.7", Some("debug3"))], "{case}");
        assert_eq!(find(&inv, "debug", "3.2.7").purl.as_deref(), Some("pkg:npm/debug@3.2.7"));
    }
}

#[test]
fn shrinkwrap_matches_npm_ls() {
    let inv = compare("shrinkwrap");
    assert!(inv.lockfiles[0].path.ends_with("npm-shrinkwrap.json"));
    assert!(find(&inv, "ms", "2.1.3").flags.dev);
    assert!(!find(&inv, "ms", "2.0.0").flags.dev);
}

#[test]
fn workspace_matches_npm_ls() {
    let inv = compare("workspace");
    let roots: Vec<(&str, &str)> = inv.roots.iter().map(|r| (r.name.as_str(), r.path.as_str())).collect();
    assert_eq!(roots, [("monorepo", ""), ("@demo/a", "packages/a"), ("@demo/b", "packages/b")]);
    let b = find(&inv, "@demo/b", "1.0.0");
    assert_eq!(b.source, PackageSource::Path { path: "packages/b".into() });
    let from_b: BTreeMap<String, (DepKind, Option<String>)> = inv
        .edges
        .iter()
        .filter(|e| e.from == NodeRef::Root(firebreak_core::RootId(2)))
        .map(|e| (inv.package(e.to).name.clone(), (e.kind, e.requested.clone())))
        .collect();
    assert_eq!(from_b["debug"], (DepKind::Normal, Some("^4.3.4".into())));
    assert_eq!(from_b["kind-of"].0, DepKind::Dev);
    assert_eq!(from_b["ms"].0, DepKind::Peer);
    assert!(find(&inv, "is-number", "7.0.0").members.contains(&firebreak_core::RootId(1)));
}

#[test]
fn demo_lockfile_extracts() {
    let inv = extract_path(Utf8Path::new("examples/demo/package-lock.json"));
    let axios = inv.packages.iter().find(|p| p.name == "axios").expect("axios");
    assert!(axios.direct && !axios.flags.dev);
    let mocha = inv.packages.iter().find(|p| p.name == "mocha").expect("mocha");
    assert!(mocha.direct && mocha.flags.dev);
    assert_eq!(axios.location.map(|l| l.line), Some(141));
}

/// One line per package and edge, for the snapshot.
fn render(inv: &Inventory) -> String {
    let mut out = String::new();
    for r in &inv.roots {
        out.push_str(&format!("root {} {} at {:?}\n", r.name, r.version.as_deref().unwrap_or("-"), r.path));
    }
    for p in &inv.packages {
        let f = p.flags;
        let flags: Vec<&str> = [
            (f.dev, "dev"),
            (f.optional, "optional"),
            (f.peer, "peer"),
            (f.bundled, "bundled"),
            (p.direct, "direct"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect();
        out.push_str(&format!(
            "{}@{} line {} [{}] {} paths={:?}{}\n",
            p.name,
            p.version,
            p.location.map_or(0, |l| l.line),
            flags.join(","),
            p.source.location().unwrap_or("-"),
            p.paths,
            p.alias.as_deref().map(|a| format!(" alias={a}")).unwrap_or_default()
        ));
    }
    let name = |n: NodeRef| match n {
        NodeRef::Root(r) => format!("<{}>", inv.roots[r.index()].name),
        NodeRef::Package(p) => format!("{}@{}", inv.package(p).name, inv.package(p).version),
    };
    for e in &inv.edges {
        out.push_str(&format!(
            "{} -> {} {:?} {}\n",
            name(e.from),
            name(NodeRef::Package(e.to)),
            e.kind,
            e.requested.as_deref().unwrap_or("-")
        ));
    }
    out
}

#[test]
fn snapshots() {
    insta::assert_snapshot!("npm_v3", render(&extract("v3")));
    insta::assert_snapshot!("npm_workspace", render(&extract("workspace")));
}

//! `bun.lock` against bun itself: the fixtures `bun/` and `bun-workspace/` under
//! `fixtures/lockfiles/npm` were written by bun 1.2.23 (`yarn-bun-generate.sh`), and
//! `bun-ls.oracle.txt` is `bun pm ls --all` after installing them. `bun pm ls` shows no
//! edges, so edges are checked against yarn 4's `yarn info` for the same package.json.

mod common;

use common::{RepoFs, repo_root};

use std::collections::BTreeSet;

use camino::Utf8PathBuf;
use firebreak_core::{DepKind, Inventory, NodeRef, Package, PackageSource};
use firebreak_lockfile::{FileSystem, NoFileSystem, Source, extractor_by_hint};
use serde_json::Value;

fn fixture(case: &str, file: &str) -> String {
    fs_err::read_to_string(repo_root().join(format!("fixtures/lockfiles/npm/{case}/{file}")))
        .expect("fixture")
}

fn extract_with(case: &str, file: &str, hint: &str, files: &dyn FileSystem) -> Inventory {
    let path = Utf8PathBuf::from(format!("fixtures/lockfiles/npm/{case}/{file}"));
    let bytes = fs_err::read(repo_root().join(&path)).expect("fixture");
    let extractor = extractor_by_hint(hint).expect("registered");
    extractor.extract(&Source { path: &path, bytes: &bytes, files }).expect("extracts")
}

fn extract(case: &str) -> Inventory {
    // bun.lock needs no neighbouring file: the workspaces are in the lockfile.
    extract_with(case, "bun.lock", "bun/lock", &NoFileSystem)
}

fn real(p: &Package) -> String {
    format!("{}@{}", p.name, p.version)
}

/// Sets of (name or path, version or directory).
type Pairs = BTreeSet<(String, String)>;

/// `bun pm ls --all` as install paths (`is-odd/is-number`) with versions; workspace lines apart.
fn listed(case: &str) -> (Pairs, Pairs) {
    let mut packages = BTreeSet::new();
    let mut workspaces = BTreeSet::new();
    let mut stack: Vec<String> = Vec::new();
    for line in fixture(case, "bun-ls.oracle.txt").lines() {
        let Some((prefix, item)) = line.split_once("── ") else { continue };
        let depth = (prefix.chars().count() - 1) / 4;
        let at = item[1..].find('@').expect("test data") + 1;
        let (name, version) = (&item[..at], &item[at + 1..]);
        stack.truncate(depth);
        stack.push(name.to_owned());
        if let Some(dir) = version.strip_prefix("workspace:") {
            workspaces.insert((name.to_owned(), dir.to_owned()));
        } else {
            packages.insert((stack.join("/"), version.to_owned()));
        }
    }
    (packages, workspaces)
}

/// yarn 4's resolved edges for the same manifests, as (from, to) with workspaces by name.
fn yarn_edges(case: &str) -> BTreeSet<(String, String)> {
    let mut edges = BTreeSet::new();
    for line in fixture(case, "yarn-info.oracle.json").lines() {
        let v: Value = serde_json::from_str(line).expect("test data");
        let value = v["value"].as_str().expect("test data");
        let at = value[1..].find('@').expect("test data") + 1;
        let from = if value[at + 1..].starts_with("workspace:") {
            value[..at].to_owned()
        } else {
            format!("{}@{}", &value[..at], v["children"]["Version"].as_str().expect("test data"))
        };
        for dep in v["children"]["Dependencies"].as_array().into_iter().flatten() {
            let locator = dep["locator"].as_str().expect("test data");
            if let Some((name, version)) = locator[1..].split_once("@npm:") {
                edges.insert((from.clone(), format!("{}{name}@{version}", &locator[..1])));
            }
        }
    }
    edges
}

fn edges(inv: &Inventory) -> BTreeSet<(String, String)> {
    inv.edges
        .iter()
        .map(|e| {
            let from = match e.from {
                NodeRef::Root(r) => inv.roots[r.index()].name.clone(),
                NodeRef::Package(p) => real(inv.package(p)),
            };
            (from, real(inv.package(e.to)))
        })
        .collect()
}

fn flagged(inv: &Inventory, flag: impl Fn(&Package) -> bool) -> BTreeSet<String> {
    inv.packages.iter().filter(|p| flag(p)).map(real).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn check(case: &str, yarn_case: &str, version: &str) -> Inventory {
    let inv = extract(case);
    let (packages, workspaces) = listed(case);
    let paths: BTreeSet<(String, String)> =
        inv.packages.iter().flat_map(|p| p.paths.iter().map(|k| (k.clone(), p.version.clone()))).collect();
    assert_eq!(paths, packages);
    let members: BTreeSet<(String, String)> =
        inv.roots.iter().filter(|r| !r.path.is_empty()).map(|r| (r.name.clone(), r.path.clone())).collect();
    assert_eq!(members, workspaces);
    assert_eq!(edges(&inv), yarn_edges(yarn_case));
    assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some(version));
    let lock = fixture(case, "bun.lock");
    for p in &inv.packages {
        assert_eq!(p.hashes.len(), 1, "{}", real(p));
        assert_eq!(p.source, PackageSource::Registry { url: None });
        let line = p.location.expect("location").line as usize;
        let text = lock.lines().nth(line - 1).expect("test data");
        assert!(text.contains(&format!("[\"{}@{}\"", p.name, p.version)), "{text}");
    }
    inv
}

#[test]
fn single_project_matches_bun_pm_ls() {
    // bun 1.2.23 writes lockfileVersion 1, bun 1.4.5 lockfileVersion 2 with `configVersion`.
    for (case, version) in [("bun", "1"), ("bun-v2", "2")] {
        check_single(case, version);
    }
}

fn check_single(case: &str, version: &str) {
    let inv = check(case, "yarn-berry", version);
    assert_eq!(inv.roots.len(), 1);
    assert_eq!(
        flagged(&inv, |p| p.direct),
        set(&["is-odd@3.0.1", "is-number@7.0.0", "is-number@6.0.0", "once@1.4.0", "ms@2.1.3"])
    );
    assert_eq!(flagged(&inv, |p| p.flags.dev), set(&["once@1.4.0", "wrappy@1.0.2"]));
    assert_eq!(flagged(&inv, |p| p.flags.optional), set(&["ms@2.1.3"]));
    let root_kinds: BTreeSet<(String, DepKind, String)> = inv
        .edges
        .iter()
        .filter(|e| matches!(e.from, NodeRef::Root(_)))
        .map(|e| (real(inv.package(e.to)), e.kind, e.requested.clone().unwrap_or_default()))
        .collect();
    assert!(root_kinds.contains(&("is-number@6.0.0".into(), DepKind::Normal, "npm:is-number@^6.0.0".into())));
    assert!(root_kinds.contains(&("once@1.4.0".into(), DepKind::Dev, "^1.4.0".into())));
    let alias = inv.packages.iter().find(|p| p.alias.is_some()).expect("alias");
    assert_eq!((real(alias).as_str(), alias.alias.as_deref()), ("is-number@6.0.0", Some("isnum-old")));
    assert_eq!(alias.paths, ["isnum-old"]);
    assert!(alias.direct);
}

#[test]
fn workspace_matches_bun_pm_ls() {
    let inv = check("bun-workspace", "yarn-berry-workspace", "1");
    assert_eq!(inv.roots.len(), 3);
    assert_eq!(flagged(&inv, |p| p.flags.dev), set(&["ms@2.1.3", "once@1.4.0", "wrappy@1.0.2"]));
    assert_eq!(
        flagged(&inv, |p| p.direct),
        set(&["ms@2.1.3", "is-odd@3.0.1", "is-number@7.0.0", "once@1.4.0"])
    );
}

#[test]
fn lockb_is_refused_with_advice() {
    let path = Utf8PathBuf::from("bun.lockb");
    let e = extractor_by_hint("bun.lockb").expect("test data");
    let err = e.extract(&Source { path: &path, bytes: b"#!/usr/bin/env bun\n", files: &RepoFs }).unwrap_err();
    assert!(matches!(err, firebreak_lockfile::ExtractError::BunBinary { .. }), "{err}");
}

#[test]
fn snapshots() {
    insta::assert_yaml_snapshot!("bun_workspace", extract("bun-workspace"));
}

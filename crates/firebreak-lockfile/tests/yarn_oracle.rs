//! `yarn.lock` against yarn itself. The fixtures under `fixtures/lockfiles/npm` were written
//! by `yarn-bun-generate.sh`: yarn 1.22.22 (`yarn-v1*`, oracle `yarn list --json`), yarn 4
//! (`yarn-berry*`, oracle `yarn info --all --json --recursive --dependents`) and bun 1.2's
//! `--yarn` output (`yarn-bun`, oracle `bun pm ls --all`).

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

fn extract_with(case: &str, files: &dyn FileSystem) -> Inventory {
    let path = Utf8PathBuf::from(format!("fixtures/lockfiles/npm/{case}/yarn.lock"));
    let bytes = fs_err::read(repo_root().join(&path)).expect("fixture");
    let extractor = extractor_by_hint("npm/yarn-lock").expect("registered");
    assert_eq!(extractor_by_hint("yarn.lock").map(|e| e.id()), Some("npm/yarn-lock"));
    extractor.extract(&Source { path: &path, bytes: &bytes, files }).expect("extracts")
}

fn extract(case: &str) -> Inventory {
    extract_with(case, &RepoFs)
}

/// `name@version` under the name it is installed as.
fn installed(p: &Package) -> String {
    format!("{}@{}", p.alias.as_deref().unwrap_or(&p.name), p.version)
}

fn real(p: &Package) -> String {
    format!("{}@{}", p.name, p.version)
}

fn node_name(inv: &Inventory, n: NodeRef) -> String {
    match n {
        NodeRef::Root(r) => inv.roots[r.index()].name.clone(),
        NodeRef::Package(p) => installed(inv.package(p)),
    }
}

/// Package-to-package edges as (from, dependency name, requested range).
fn package_edges(inv: &Inventory) -> BTreeSet<(String, String, String)> {
    inv.edges
        .iter()
        .filter(|e| matches!(e.from, NodeRef::Package(_)))
        .map(|e| {
            let to = inv.package(e.to);
            (
                node_name(inv, e.from),
                to.alias.clone().unwrap_or(to.name.clone()),
                e.requested.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn split(s: &str) -> (String, String) {
    let at = s[1..].find('@').expect("name@x") + 1;
    (s[..at].to_owned(), s[at + 1..].to_owned())
}

/// From `yarn list --json`: installed packages and package edges (shadow children are the
/// dependencies, as `name@range`). Top-level trees named like a workspace member are members.
fn v1_oracle(case: &str, members: &[&str]) -> (BTreeSet<String>, BTreeSet<(String, String, String)>) {
    let list: Value = serde_json::from_str(&fixture(case, "yarn-list.oracle.json")).expect("json");
    let mut packages = BTreeSet::new();
    let mut edges = BTreeSet::new();
    fn walk(
        node: &Value,
        members: &[&str],
        packages: &mut BTreeSet<String>,
        edges: &mut BTreeSet<(String, String, String)>,
    ) {
        let name = node["name"].as_str().expect("name").to_owned();
        let is_member = members.contains(&split(&name).0.as_str());
        if !is_member {
            packages.insert(name.clone());
        }
        for child in node["children"].as_array().into_iter().flatten() {
            if child["shadow"] == Value::Bool(true) {
                let (dep, range) = split(child["name"].as_str().expect("name"));
                if !is_member && !members.contains(&dep.as_str()) {
                    edges.insert((name.clone(), dep, range));
                }
            } else {
                walk(child, members, packages, edges);
            }
        }
    }
    for tree in list["data"]["trees"].as_array().expect("trees") {
        walk(tree, members, &mut packages, &mut edges);
    }
    (packages, edges)
}

fn flagged(inv: &Inventory, flag: impl Fn(&Package) -> bool) -> BTreeSet<String> {
    inv.packages.iter().filter(|p| flag(p)).map(installed).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn classic_matches_yarn_list() {
    let inv = extract("yarn-v1");
    let (packages, edges) = v1_oracle("yarn-v1", &[]);
    assert_eq!(inv.packages.iter().map(installed).collect::<BTreeSet<_>>(), packages);
    assert_eq!(package_edges(&inv), edges);
    assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some("1"));

    // package.json: dependencies is-odd, is-number, the alias isnum-old; devDependencies
    // once (which alone brings wrappy); optionalDependencies ms.
    assert_eq!(inv.roots.len(), 1);
    assert_eq!(inv.roots[0].name, "fixture-app");
    assert_eq!(
        flagged(&inv, |p| p.direct),
        set(&["is-odd@3.0.1", "is-number@7.0.0", "isnum-old@6.0.0", "once@1.4.0", "ms@2.1.3"])
    );
    assert_eq!(flagged(&inv, |p| p.flags.dev), set(&["once@1.4.0", "wrappy@1.0.2"]));
    assert_eq!(flagged(&inv, |p| p.flags.optional), set(&["ms@2.1.3"]));
    let alias = inv.packages.iter().find(|p| p.alias.is_some()).expect("alias");
    assert_eq!((alias.name.as_str(), alias.alias.as_deref()), ("is-number", Some("isnum-old")));
    let root_kinds: BTreeSet<(String, DepKind)> = inv
        .edges
        .iter()
        .filter(|e| matches!(e.from, NodeRef::Root(_)))
        .map(|e| (installed(inv.package(e.to)), e.kind))
        .collect();
    assert!(root_kinds.contains(&("once@1.4.0".to_owned(), DepKind::Dev)));
    assert!(root_kinds.contains(&("ms@2.1.3".to_owned(), DepKind::Optional)));
}

#[test]
fn classic_hashes_sources_and_lines() {
    let inv = extract("yarn-v1");
    let lock = fixture("yarn-v1", "yarn.lock");
    for p in &inv.packages {
        assert_eq!(p.hashes.len(), 1, "{} has its sha512", real(p));
        assert_eq!(p.hashes[0].value.len(), 128);
        let PackageSource::Registry { url: Some(url) } = &p.source else { panic!("{:?}", p.source) };
        assert!(url.ends_with(&format!("-{}.tgz", p.version)) && !url.contains('#'), "{url}");
        let line = p.location.expect("location").line as usize;
        let text = lock.lines().nth(line - 1).expect("line");
        let key = p.alias.as_deref().unwrap_or(&p.name);
        assert!(text.trim_start_matches('"').starts_with(&format!("{key}@")), "line {line}: {text}");
    }
}

#[test]
fn classic_workspace_members_from_package_json() {
    let inv = extract("yarn-v1-workspace");
    let (packages, edges) = v1_oracle("yarn-v1-workspace", &["@fixture/a", "@fixture/b"]);
    assert_eq!(inv.packages.iter().map(installed).collect::<BTreeSet<_>>(), packages);
    assert_eq!(package_edges(&inv), edges);
    let roots: BTreeSet<(String, String)> =
        inv.roots.iter().map(|r| (r.name.clone(), r.path.clone())).collect();
    let expected: BTreeSet<(String, String)> =
        [("fixture-monorepo", ""), ("@fixture/a", "packages/a"), ("@fixture/b", "packages/b")]
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
    assert_eq!(roots, expected);
    // yarn list shows each member's own dependencies as shadow children.
    let list: Value =
        serde_json::from_str(&fixture("yarn-v1-workspace", "yarn-list.oracle.json")).expect("test data");
    for tree in list["data"]["trees"].as_array().expect("test data") {
        let (name, _) = split(tree["name"].as_str().expect("test data"));
        let Some(root) = inv.roots.iter().position(|r| r.name == name) else { continue };
        let want: BTreeSet<String> = tree["children"]
            .as_array()
            .expect("test data")
            .iter()
            .map(|c| split(c["name"].as_str().expect("test data")).0)
            .filter(|n| !n.starts_with("@fixture/"))
            .collect();
        let got: BTreeSet<String> = inv
            .edges
            .iter()
            .filter(|e| e.from == NodeRef::Root(firebreak_core::RootId(root as u32)))
            .map(|e| inv.package(e.to).name.clone())
            .collect();
        assert_eq!(got, want, "{name}");
    }
    assert_eq!(flagged(&inv, |p| p.flags.dev), set(&["ms@2.1.3", "once@1.4.0", "wrappy@1.0.2"]));
    assert_eq!(
        flagged(&inv, |p| p.direct),
        set(&["ms@2.1.3", "is-odd@3.0.1", "is-number@7.0.0", "once@1.4.0"])
    );
}

#[test]
fn classic_without_package_json_has_no_roots() {
    let inv = extract_with("yarn-v1", &NoFileSystem);
    assert!(inv.roots.is_empty());
    assert_eq!(inv.packages.len(), extract("yarn-v1").packages.len());
    assert!(inv.packages.iter().all(|p| !p.direct && !p.flags.dev));
    assert_eq!(package_edges(&inv), v1_oracle("yarn-v1", &[]).1);
}

/// From `yarn info --all --json --recursive`: locators, and (from, to) edges by locator.
struct Berry {
    packages: BTreeSet<String>,
    edges: BTreeSet<(String, String)>,
    roots: BTreeSet<(String, String, String)>,
}

fn berry_oracle(case: &str) -> Berry {
    let text = fixture(case, "yarn-info.oracle.json");
    let mut out = Berry { packages: BTreeSet::new(), edges: BTreeSet::new(), roots: BTreeSet::new() };
    let locator = |l: &str| {
        let (name, reference) = split(l);
        (name, reference)
    };
    let mut workspaces = BTreeSet::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("json line");
        let (name, reference) = locator(v["value"].as_str().expect("test data"));
        if reference.starts_with("workspace:") {
            workspaces.insert(name);
        }
    }
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("json line");
        let (name, reference) = locator(v["value"].as_str().expect("test data"));
        let version = v["children"]["Version"].as_str().expect("test data").to_owned();
        let from = if let Some(dir) = reference.strip_prefix("workspace:") {
            let dir = if dir == "." { "" } else { dir };
            out.roots.insert((name.clone(), dir.to_owned(), version));
            name
        } else {
            let id = format!("{name}@{version}");
            out.packages.insert(id.clone());
            id
        };
        for dep in v["children"]["Dependencies"].as_array().into_iter().flatten() {
            let (to, to_ref) = locator(dep["locator"].as_str().expect("test data"));
            if workspaces.contains(&to) {
                continue;
            }
            let to_version = to_ref.strip_prefix("npm:").expect("npm locator");
            out.edges.insert((from.clone(), format!("{to}@{to_version}")));
        }
    }
    out
}

fn berry_edges(inv: &Inventory) -> BTreeSet<(String, String)> {
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

fn check_berry(case: &str, format_version: &str) -> Inventory {
    let inv = extract(case);
    let o = berry_oracle(case);
    assert_eq!(inv.packages.iter().map(real).collect::<BTreeSet<_>>(), o.packages);
    assert_eq!(berry_edges(&inv), o.edges);
    // yarn 2 reports a workspace's version as `0.0.0-use.local`; the manifest has the real one.
    let roots: BTreeSet<(String, String)> =
        inv.roots.iter().map(|r| (r.name.clone(), r.path.clone())).collect();
    assert_eq!(roots, o.roots.iter().map(|(n, p, _)| (n.clone(), p.clone())).collect());
    for (name, _, version) in o.roots.iter().filter(|r| r.2 != "0.0.0-use.local") {
        let root = inv.roots.iter().find(|r| &r.name == name).expect("root");
        assert_eq!(root.version.as_deref(), Some(version.as_str()), "{name}");
    }
    assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some(format_version));
    // `checksum` is yarn's cache-zip digest, not a tarball hash.
    assert!(inv.packages.iter().all(|p| p.hashes.is_empty()));
    assert!(inv.packages.iter().all(|p| p.source == PackageSource::Registry { url: None }));
    inv
}

#[test]
fn berry_matches_yarn_info() {
    for (case, version) in [("yarn-berry", "10"), ("yarn-berry-v6", "6"), ("yarn-berry-v4", "4")] {
        check_single_berry(case, version);
    }
}

/// yarn 4 (format 10), 3 (format 6, dependency ranges without `npm:`) and 2 (format 4).
fn check_single_berry(case: &str, version: &str) {
    let inv = check_berry(case, version);
    assert_eq!(
        flagged(&inv, |p| p.direct),
        set(&["is-odd@3.0.1", "is-number@7.0.0", "is-number@6.0.0", "once@1.4.0", "ms@2.1.3"])
    );
    assert_eq!(flagged(&inv, |p| p.flags.dev), set(&["once@1.4.0", "wrappy@1.0.2"]));
    assert_eq!(flagged(&inv, |p| p.flags.optional), set(&["ms@2.1.3"]));
    let lock = fixture(case, "yarn.lock");
    for p in &inv.packages {
        let line = p.location.expect("location").line as usize;
        assert!(
            lock.lines().nth(line - 1).expect("test data").starts_with(&format!("\"{}@", p.name)),
            "{}",
            real(p)
        );
    }
}

#[test]
fn berry_workspace_matches_yarn_info() {
    let inv = check_berry("yarn-berry-workspace", "10");
    assert_eq!(flagged(&inv, |p| p.flags.dev), set(&["ms@2.1.3", "once@1.4.0", "wrappy@1.0.2"]));
    assert_eq!(
        flagged(&inv, |p| p.direct),
        set(&["ms@2.1.3", "is-odd@3.0.1", "is-number@7.0.0", "once@1.4.0"])
    );
}

#[test]
fn berry_without_package_json_keeps_workspace_roots() {
    let inv = extract_with("yarn-berry-workspace", &NoFileSystem);
    assert_eq!(inv.roots.len(), 3);
    assert!(inv.roots.iter().all(|r| r.version.is_none()));
    // Without manifests the merged dependency lists cannot say which edge is dev.
    assert!(inv.edges.iter().all(|e| e.kind == DepKind::Normal));
    assert_eq!(berry_edges(&inv), berry_oracle("yarn-berry-workspace").edges);
}

#[test]
fn bun_written_yarn_lock() {
    let inv = extract("yarn-bun");
    // `bun pm ls --all`: top-level lines are installed packages, deeper ones nested copies.
    let listed: BTreeSet<String> = fixture("yarn-bun", "bun-ls.oracle.txt")
        .lines()
        .filter_map(|l| l.split_once("── ").map(|(_, p)| p.to_owned()))
        .collect();
    // bun's yarn.lock drops the alias entry `isnum-old@npm:is-number@^6.0.0`; the alias still
    // resolves through the real descriptor, so it is the same package as is-odd's is-number 6.
    let mut expected = listed.clone();
    assert!(expected.remove("isnum-old@6.0.0"));
    assert_eq!(inv.packages.iter().map(real).collect::<BTreeSet<_>>(), expected);
    let alias_edge = inv
        .edges
        .iter()
        .find(|e| e.requested.as_deref() == Some("npm:is-number@^6.0.0"))
        .expect("alias edge");
    assert_eq!(real(inv.package(alias_edge.to)), "is-number@6.0.0");
    assert_eq!(flagged(&inv, |p| p.flags.dev), set(&["once@1.4.0", "wrappy@1.0.2"]));
    // Same resolution as yarn 1 wrote for the same package.json.
    let classic = extract("yarn-v1");
    let strip = |inv: &Inventory| -> BTreeSet<(String, String)> {
        inv.edges
            .iter()
            .filter_map(|e| match e.from {
                NodeRef::Package(p) => Some((real(inv.package(p)), real(inv.package(e.to)))),
                NodeRef::Root(_) => None,
            })
            .collect()
    };
    assert_eq!(strip(&inv), strip(&classic));
}

#[test]
fn snapshots() {
    insta::assert_yaml_snapshot!("yarn_v1", extract("yarn-v1"));
    insta::assert_yaml_snapshot!("yarn_berry_workspace", extract("yarn-berry-workspace"));
}

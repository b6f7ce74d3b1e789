//! `pnpm-lock.yaml` against `pnpm list`: the fixtures under `fixtures/lockfiles/npm/pnpm-v*`
//! were written by pnpm 7, 8 and 9 (`pnpm-generate.sh`), and each `pnpm-list.oracle.json` is
//! `pnpm list --depth Infinity --json -r` over an installed copy of the same lockfile.

mod common;

use common::{RepoFs, repo_root};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_core::{DepKind, HashAlgorithm, Inventory, NodeRef, PackageSource, RootId};
use firebreak_lockfile::{ExtractError, FileSystem, NoFileSystem, Source, extractor_by_hint, extractor_for};
use serde::Deserialize;

const FORMATS: [&str; 3] = ["pnpm-v5.4", "pnpm-v6", "pnpm-v9"];
const CASES: [&str; 2] = ["basic", "workspace"];

fn case_dir(format: &str, case: &str) -> Utf8PathBuf {
    Utf8PathBuf::from(format!("fixtures/lockfiles/npm/{format}/{case}"))
}

fn extract_with(format: &str, case: &str, files: &dyn FileSystem) -> Result<Inventory, ExtractError> {
    let path = case_dir(format, case).join("pnpm-lock.yaml");
    let bytes = fs_err::read(repo_root().join(&path)).expect("fixture");
    let extractor = extractor_by_hint("npm/pnpm-lock").expect("registered");
    extractor.extract(&Source { path: &path, bytes: &bytes, files })
}

fn extract(format: &str, case: &str) -> Inventory {
    extract_with(format, case, &RepoFs).expect("extracts")
}

/// One project or package in `pnpm list` output.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    name: Option<String>,
    from: Option<String>,
    version: Option<String>,
    path: String,
    #[serde(default)]
    dependencies: BTreeMap<String, Node>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Node>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Node>,
}

fn oracle(format: &str, case: &str) -> Vec<Node> {
    let text = fs_err::read_to_string(repo_root().join(case_dir(format, case)).join("pnpm-list.oracle.json"))
        .expect("oracle");
    serde_json::from_str(&text).expect("oracle json")
}

/// `(name, version)`, where a workspace link's version is `link:<dir from the lockfile>`.
type Key = (String, String);

fn oracle_key(n: &Node) -> Key {
    let name = n.from.clone().or_else(|| n.name.clone()).expect("name");
    let version = n.version.clone().expect("version");
    if version.starts_with("link:") {
        (name, format!("link:{}", n.path.trim_start_matches("./")))
    } else {
        (name, version)
    }
}

fn our_key(inv: &Inventory, id: firebreak_core::PackageId) -> Key {
    let p = inv.package(id);
    match &p.source {
        PackageSource::Path { path } => (p.name.clone(), format!("link:{path}")),
        _ => (p.name.clone(), p.version.clone()),
    }
}

/// What the oracle says, flattened.
#[derive(Default)]
struct Expected {
    roots: BTreeSet<(String, String)>,
    /// Per root path: (dependency, kind, installed-as name).
    direct: BTreeMap<String, BTreeSet<(Key, DepKind)>>,
    aliases: BTreeSet<(Key, String)>,
    edges: BTreeMap<Key, BTreeSet<Key>>,
    /// Reached from some root through non-dev edges only.
    prod: BTreeSet<Key>,
    /// Reached through non-optional edges only.
    required: BTreeSet<Key>,
    all: BTreeSet<Key>,
}

fn walk(n: &Node, dev: bool, optional: bool, out: &mut Expected) {
    let key = oracle_key(n);
    out.all.insert(key.clone());
    if !dev {
        out.prod.insert(key.clone());
    }
    if !optional {
        out.required.insert(key.clone());
    }
    let children = out.edges.entry(key).or_default();
    for c in n.dependencies.values().chain(n.optional_dependencies.values()) {
        children.insert(oracle_key(c));
    }
    for c in n.dependencies.values() {
        walk(c, dev, optional, out);
    }
    for c in n.optional_dependencies.values() {
        walk(c, dev, true, out);
    }
}

fn expected(projects: &[Node]) -> Expected {
    let mut out = Expected::default();
    for project in projects {
        let dir = project.path.trim_start_matches('.').trim_start_matches('/').to_owned();
        out.roots.insert((project.name.clone().expect("project name"), dir.clone()));
        let direct = out.direct.entry(dir).or_default();
        let groups = [
            (DepKind::Normal, &project.dependencies),
            (DepKind::Dev, &project.dev_dependencies),
            (DepKind::Optional, &project.optional_dependencies),
        ];
        for (kind, deps) in groups {
            for (installed_as, n) in deps {
                direct.insert((oracle_key(n), kind));
                if Some(installed_as) != n.from.as_ref() {
                    out.aliases.insert((oracle_key(n), installed_as.clone()));
                }
            }
        }
        for (kind, deps) in groups {
            for n in deps.values() {
                walk(n, kind == DepKind::Dev, kind == DepKind::Optional, &mut out);
            }
        }
    }
    out
}

/// Checks an inventory against pnpm's tree: projects, package set, each project's direct
/// dependencies with their kinds, each package's dependencies, aliases, dev and optional.
fn compare(inv: &Inventory, o: &Expected, label: &str) {
    let roots: BTreeSet<(String, String)> =
        inv.roots.iter().map(|r| (r.name.clone(), r.path.clone())).collect();
    assert_eq!(roots, o.roots, "{label}: projects");

    let ours: Vec<Key> =
        (0..inv.packages.len()).map(|i| our_key(inv, firebreak_core::PackageId(i as u32))).collect();
    assert_eq!(ours.iter().cloned().collect::<BTreeSet<_>>(), o.all, "{label}: package set");
    assert_eq!(ours.len(), o.all.len(), "{label}: each name@version once (peer copies merged)");

    for (r, root) in inv.roots.iter().enumerate() {
        let got: BTreeSet<(Key, DepKind)> = inv
            .edges
            .iter()
            .filter(|e| e.from == NodeRef::Root(RootId(r as u32)))
            .map(|e| (ours[e.to.index()].clone(), e.kind))
            .collect();
        assert_eq!(&got, &o.direct[&root.path], "{label}: direct dependencies of `{}`", root.name);
    }

    for (i, key) in ours.iter().enumerate() {
        let got: BTreeSet<Key> = inv
            .edges
            .iter()
            .filter(|e| e.from == NodeRef::Package(firebreak_core::PackageId(i as u32)))
            .map(|e| ours[e.to.index()].clone())
            .collect();
        assert_eq!(got, o.edges[key], "{label}: dependencies of {key:?}");
        let p = &inv.packages[i];
        assert_eq!(p.flags.dev, !o.prod.contains(key), "{label}: dev flag of {key:?}");
        assert_eq!(p.flags.optional, !o.required.contains(key), "{label}: optional flag of {key:?}");
    }

    for (key, alias) in &o.aliases {
        let i = ours.iter().position(|k| k == key).expect("aliased package");
        assert_eq!(inv.packages[i].alias.as_deref(), Some(alias.as_str()), "{label}: alias of {key:?}");
    }
}

#[test]
fn every_fixture_matches_pnpm_list() {
    for format in FORMATS {
        for case in CASES {
            let inv = extract(format, case);
            compare(&inv, &expected(&oracle(format, case)), &format!("{format}/{case}"));
        }
    }
}

#[test]
fn format_versions_and_ids() {
    for (format, declared) in FORMATS.iter().zip(["5.4", "6.0", "9.0"]) {
        let inv = extract(format, "basic");
        assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some(declared));
        assert_eq!(inv.lockfiles[0].extractor, "npm/pnpm-lock");
    }
    assert!(extractor_for(Utf8Path::new("a/b/pnpm-lock.yaml")).is_some_and(|e| e.id() == "npm/pnpm-lock"));
}

#[test]
fn peer_copies_merge_with_every_key_kept() {
    let expected_paths = [
        ["/use-sync-external-store/1.2.0_react@17.0.2", "/use-sync-external-store/1.2.0_react@18.3.1"],
        ["/use-sync-external-store@1.2.0(react@17.0.2)", "/use-sync-external-store@1.2.0(react@18.3.1)"],
        ["use-sync-external-store@1.2.0(react@17.0.2)", "use-sync-external-store@1.2.0(react@18.3.1)"],
    ];
    for (format, paths) in FORMATS.iter().zip(expected_paths) {
        let inv = extract(format, "workspace");
        let uses: Vec<_> = inv.packages.iter().filter(|p| p.name == "use-sync-external-store").collect();
        assert_eq!(uses.len(), 1, "{format}");
        assert_eq!(uses[0].paths, paths, "{format}");
        let id = inv.packages.iter().position(|p| p.name == "use-sync-external-store").expect("present");
        let peers: BTreeSet<(String, Option<String>)> = inv
            .edges
            .iter()
            .filter(|e| e.from == NodeRef::Package(firebreak_core::PackageId(id as u32)))
            .map(|e| {
                assert_eq!(e.kind, DepKind::Peer, "{format}");
                (inv.package(e.to).version.clone(), e.requested.clone())
            })
            .collect();
        let range = Some("^16.8.0 || ^17.0.0 || ^18.0.0".to_owned());
        assert_eq!(
            peers,
            BTreeSet::from([("17.0.2".to_owned(), range.clone()), ("18.3.1".to_owned(), range)]),
            "{format}"
        );
    }
}

#[test]
fn details_of_the_basic_project() {
    for format in FORMATS {
        let inv = extract(format, "basic");
        let find = |name: &str, version: &str| {
            inv.packages.iter().find(|p| p.name == name && p.version == version).expect("package")
        };
        let ms = find("ms", "2.1.3");
        assert_eq!(ms.hashes.len(), 1, "{format}");
        assert_eq!(ms.hashes[0].algorithm, HashAlgorithm::Sha512);
        assert!(ms.hashes[0].value.starts_with("e85973"), "{format}: {}", ms.hashes[0].value);
        assert_eq!(ms.source, PackageSource::Registry { url: None });
        assert_eq!(ms.purl.as_deref(), Some("pkg:npm/ms@2.1.3"));
        let odd = find("is-odd", "3.0.1");
        assert_eq!(
            odd.source,
            PackageSource::Url { url: "https://registry.yarnpkg.com/is-odd/-/is-odd-3.0.1.tgz".into() },
            "{format}"
        );
        assert!(odd.direct && odd.hashes.is_empty(), "{format}");
        // Lines point at the package's key.
        let text = fs_err::read_to_string(repo_root().join(case_dir(format, "basic")).join("pnpm-lock.yaml"))
            .expect("fixture");
        for p in &inv.packages {
            let line = p.location.expect("every package has a line").line as usize;
            let at = text.lines().nth(line - 1).expect("line exists");
            assert!(at.starts_with("  ") && at.contains(&p.version) || at.contains("is-odd-3.0.1"), "{at}");
            assert!(at.contains(&p.name), "{format}: {} at line {line}: {at}", p.name);
        }
        let once = find("once", "1.4.0");
        let edge = inv.edges.iter().find(|e| inv.package(e.to).name == "once").expect("edge to once");
        assert_eq!((edge.kind, edge.requested.as_deref()), (DepKind::Dev, Some("^1.4.0")), "{format}");
        assert!(once.flags.dev);
    }
}

#[test]
fn without_manifests_members_are_named_by_path() {
    let inv = extract_with("pnpm-v9", "workspace", &NoFileSystem).expect("extracts");
    let roots: Vec<(&str, &str)> = inv.roots.iter().map(|r| (r.name.as_str(), r.path.as_str())).collect();
    assert_eq!(roots, [(".", ""), ("packages/a", "packages/a"), ("packages/b", "packages/b")]);
    let link = inv.packages.iter().find(|p| matches!(p.source, PackageSource::Path { .. })).expect("link");
    assert_eq!((link.name.as_str(), link.version.as_str()), ("@ws/a", "link:packages/a"));
}

#[test]
fn crlf_line_endings_read_the_same() {
    for format in FORMATS {
        let path = case_dir(format, "workspace").join("pnpm-lock.yaml");
        let text = fs_err::read_to_string(repo_root().join(&path)).expect("fixture");
        let crlf = text.replace('\n', "\r\n");
        let extractor = extractor_by_hint("npm/pnpm-lock").expect("registered");
        let inv =
            extractor.extract(&Source { path: &path, bytes: crlf.as_bytes(), files: &RepoFs }).expect("crlf");
        assert_eq!(inv, extract(format, "workspace"), "{format}");
    }
}

/// A compact, reviewable rendering of an inventory.
fn render(inv: &Inventory) -> String {
    let mut out = String::new();
    for r in &inv.roots {
        let _ = writeln!(out, "root {} {} at {:?}", r.name, r.version.as_deref().unwrap_or("-"), r.path);
    }
    for p in &inv.packages {
        let flags: Vec<&str> = [(p.direct, "direct"), (p.flags.dev, "dev"), (p.flags.optional, "optional")]
            .iter()
            .filter(|f| f.0)
            .map(|f| f.1)
            .collect();
        let _ = writeln!(
            out,
            "package {}@{} line {} [{}] {:?} alias={} keys={:?}",
            p.name,
            p.version,
            p.location.map_or(0, |l| l.line),
            flags.join(","),
            p.source,
            p.alias.as_deref().unwrap_or("-"),
            p.paths
        );
    }
    let node = |n: NodeRef| match n {
        NodeRef::Root(r) => format!("root {}", inv.roots[r.index()].name),
        NodeRef::Package(p) => format!("{}@{}", inv.package(p).name, inv.package(p).version),
    };
    for e in &inv.edges {
        let to = inv.package(e.to);
        let _ = writeln!(
            out,
            "edge {} -> {}@{} {:?} {}",
            node(e.from),
            to.name,
            to.version,
            e.kind,
            e.requested.as_deref().unwrap_or("-")
        );
    }
    out
}

#[test]
fn snapshots() {
    for format in FORMATS {
        for case in CASES {
            insta::assert_snapshot!(format!("{format}_{case}"), render(&extract(format, case)));
        }
    }
}

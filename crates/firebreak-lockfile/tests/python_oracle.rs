//! PyPI lockfiles against their tools' own listings: every fixture under
//! `fixtures/lockfiles/pypi` was written by the tool (see `generate.sh` there), and next to
//! it is what that tool lists for it (`uv export`, `uv tree`, `poetry show`, `pipenv
//! requirements`, `pdm export`, a `pip install --dry-run --report`).

mod common;

use common::{RepoFs, repo_root};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use camino::Utf8Path;
use firebreak_core::{DepKind, Ecosystem, HashAlgorithm, Inventory, NodeRef, PackageSource, normalize_name};
use firebreak_lockfile::{FileSystem, NoFileSystem, Source, extractor_by_hint, extractor_for};

fn read_text(path: &str) -> String {
    fs_err::read_to_string(repo_root().join(path)).expect("fixture")
}

fn extract_with(path: &str, files: &dyn FileSystem) -> Inventory {
    let path = Utf8Path::new(path);
    let extractor = extractor_for(path).expect("a registered extractor claims the file");
    let bytes = fs_err::read(repo_root().join(path)).expect("fixture");
    extractor.extract(&Source { path, bytes: &bytes, files }).expect("extracts")
}

fn extract(path: &str) -> Inventory {
    extract_with(path, &RepoFs)
}

fn norm(name: &str) -> String {
    normalize_name(Ecosystem::PyPI, name)
}

/// `name==version` lines of a requirements-format listing (markers and comments dropped).
fn pins(listing: &str) -> BTreeSet<(String, String)> {
    listing
        .lines()
        .filter(|l| !l.starts_with([' ', '#', '-']) && !l.trim().is_empty())
        .map(|l| {
            let spec = l.split(';').next().unwrap_or(l).trim().trim_end_matches('\\').trim();
            let (name, version) = spec.split_once("==").expect("a pinned line");
            (norm(name), version.trim().to_owned())
        })
        .collect()
}

/// Registry packages as `(name, version)`.
fn registry(inv: &Inventory, only: impl Fn(&firebreak_core::Package) -> bool) -> BTreeSet<(String, String)> {
    inv.packages
        .iter()
        .filter(|p| matches!(p.source, PackageSource::Registry { .. }) && only(p))
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn node_name(inv: &Inventory, node: NodeRef) -> String {
    match node {
        NodeRef::Root(r) => format!("root:{}", inv.roots[r.0 as usize].name),
        NodeRef::Package(p) => {
            let p = inv.package(p);
            format!("{}@{}", p.name, p.version)
        }
    }
}

/// `name@version` edges, with kinds.
fn edges(inv: &Inventory) -> BTreeSet<(String, String, DepKind)> {
    inv.edges
        .iter()
        .map(|e| (node_name(inv, e.from), node_name(inv, NodeRef::Package(e.to)), e.kind))
        .collect()
}

/// A compact, reviewable rendering of an inventory for snapshots.
fn render(inv: &Inventory) -> String {
    let mut out = String::new();
    for l in &inv.lockfiles {
        let _ = writeln!(out, "lockfile {} ({}) version {:?}", l.path, l.extractor, l.format_version);
    }
    for r in &inv.roots {
        let _ = writeln!(out, "root {} {:?} at {}", r.name, r.version, r.path);
    }
    let mut packages: Vec<String> = inv
        .packages
        .iter()
        .map(|p| {
            let mut flags = Vec::new();
            if p.direct {
                flags.push("direct");
            }
            if p.flags.dev {
                flags.push("dev");
            }
            if p.flags.optional {
                flags.push("optional");
            }
            let source = match &p.source {
                PackageSource::Registry { url } => format!("registry {}", url.as_deref().unwrap_or("-")),
                PackageSource::Git { url, rev } => format!("git {url} {}", rev.as_deref().unwrap_or("-")),
                PackageSource::Path { path } => format!("path {path}"),
                PackageSource::Url { url } => format!("url {url}"),
                PackageSource::Unknown => "unknown".to_owned(),
            };
            let line = p.location.map_or(0, |l| l.line);
            format!(
                "package {}@{} [{}] {} hashes={} file={} line={}",
                p.name,
                p.version,
                flags.join(","),
                source,
                p.hashes.len(),
                p.lockfile.0,
                line
            )
        })
        .collect();
    packages.sort();
    for p in packages {
        let _ = writeln!(out, "{p}");
    }
    let mut rendered: Vec<String> = inv
        .edges
        .iter()
        .map(|e| {
            format!(
                "edge {} -> {} {:?} {}",
                node_name(inv, e.from),
                node_name(inv, NodeRef::Package(e.to)),
                e.kind,
                e.requested.as_deref().unwrap_or("-")
            )
        })
        .collect();
    rendered.sort();
    for e in rendered {
        let _ = writeln!(out, "{e}");
    }
    out
}

fn hash_count(inv: &Inventory) -> usize {
    inv.packages.iter().map(|p| p.hashes.len()).sum()
}

#[test]
fn pip_compile_matches_pip_report() {
    let path = "fixtures/lockfiles/pypi/requirements/pip-compile/requirements.txt";
    let inv = extract(path);
    let oracle: Vec<(String, String)> =
        serde_json::from_str(&read_text("fixtures/lockfiles/pypi/requirements/pip-compile/oracle.json"))
            .expect("oracle");
    let oracle: BTreeSet<_> = oracle.into_iter().map(|(n, v)| (norm(&n), v)).collect();
    assert_eq!(registry(&inv, |_| true), oracle);
    assert!(inv.packages.iter().all(|p| p.direct && !p.hashes.is_empty()));
    assert_eq!(hash_count(&inv), read_text(path).matches("--hash=sha256:").count());
    assert!(inv.packages.iter().all(|p| p.hashes.iter().all(|h| h.algorithm == HashAlgorithm::Sha256)));
    insta::assert_snapshot!("pip_compile", render(&inv));
}

#[test]
fn uv_pip_compile_lists_every_pin() {
    let path = "fixtures/lockfiles/pypi/requirements/uv-compile/requirements.txt";
    let inv = extract(path);
    let text = read_text(path);
    assert_eq!(registry(&inv, |_| true), pins(&text));
    assert_eq!(hash_count(&inv), text.matches("--hash=sha256:").count());
    // Marker-split pins of one name are two packages, each with its marker on the edge.
    let markers =
        inv.edges.iter().filter(|e| e.requested.as_deref().is_some_and(|r| r.contains("; "))).count();
    assert!(markers > 0);
    insta::assert_snapshot!("uv_compile", render(&inv));
}

#[test]
fn handwritten_requirements_cover_includes_urls_and_editables() {
    let inv = extract("fixtures/lockfiles/pypi/requirements/handwritten/requirements.txt");
    let find = |name: &str| inv.packages.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("{name}"));
    assert_eq!(find("jinja2").version, "3.1.4");
    assert_eq!(find("jinja2").hashes.len(), 2);
    assert_eq!(find("requests").version, "2.31.0");
    // Unpinned, then pinned by the constraints file; `click` has no pin anywhere.
    assert_eq!(find("urllib3").version, "2.2.1");
    assert_eq!(find("click").version, "");
    // Constraints install nothing.
    assert!(inv.packages.iter().all(|p| p.name != "six"));
    // Read through two includes, listed once.
    assert_eq!(inv.packages.iter().filter(|p| p.name == "charset-normalizer").count(), 1);
    assert_eq!(find("zope-interface").version, "6.2");
    assert_eq!(find("certifi").hashes.len(), 1);
    assert_eq!(find("pip").version, "24.0");
    assert!(matches!(&find("pip").source, PackageSource::Url { url } if url.ends_with("pip-24.0.tar.gz")));
    assert_eq!(find("idna").version, "3.7");
    assert!(matches!(&find("local-pkg").source, PackageSource::Path { path } if path == "./local-pkg"));
    assert!(matches!(&find("markupsafe").source,
        PackageSource::Git { url, rev: Some(rev) } if url == "https://github.com/pallets/markupsafe.git" && rev == "2.1.5"));
    assert!(matches!(&find("black").source, PackageSource::Git { rev: Some(rev), .. } if rev == "24.3.0"));
    // Packages from included files point into them.
    let certifi = find("certifi");
    assert!(inv.lockfiles[certifi.lockfile.0 as usize].path.ends_with("handwritten/base.txt"));
    assert_eq!(certifi.location.map(|l| l.line), Some(2));
    assert_eq!(find("django").location.map(|l| l.line), Some(13));
    insta::assert_snapshot!("handwritten", render(&inv));
}

#[test]
fn demo_worker_requirements() {
    let inv = extract("examples/demo/python-worker/requirements.txt");
    let requests = inv.packages.iter().find(|p| p.name == "requests").expect("requests");
    assert_eq!(requests.version, "2.31.0");
    assert_eq!(requests.hashes.len(), 1);
    assert_eq!(requests.hashes[0].value, "58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f");
    let django = inv.packages.iter().position(|p| p.name == "django").expect("django");
    assert_eq!(inv.packages[django].version, "4.2.1");
    let edge = inv.edges.iter().find(|e| e.to.0 as usize == django).expect("edge");
    assert_eq!(edge.requested.as_deref(), Some("==4.2.1; python_version >= \"3.8\""));
    assert_eq!(inv.packages.len(), 5);
}

/// `uv tree` output: `(parent, child)` as `name@version`, the roots' children under `root:`.
fn tree_edges(text: &str, roots: &BTreeSet<String>) -> BTreeSet<(String, String)> {
    let mut stack: Vec<String> = Vec::new();
    let mut out = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let start = line.find(|c: char| c.is_ascii_alphanumeric()).expect("a name");
        let depth = line[..start].chars().count() / 4;
        let mut words = line[start..].split_whitespace();
        let name = words.next().expect("name");
        let version = words.next().expect("version").trim_start_matches('v');
        let name = norm(name.split('[').next().unwrap_or(name));
        let node = if roots.contains(&name) && depth == 0 {
            format!("root:{name}")
        } else {
            format!("{name}@{version}")
        };
        stack.truncate(depth);
        if let Some(parent) = stack.last() {
            // A workspace member appears as a package when another member depends on it.
            let child = if roots.contains(&name) { format!("{name}@{version}") } else { node.clone() };
            out.insert((parent.clone(), child));
        }
        stack.push(node);
    }
    out
}

#[test]
fn uv_workspace_matches_uv_export_and_tree() {
    let dir = "fixtures/lockfiles/pypi/uv/workspace";
    let inv = extract(&format!("{dir}/uv.lock"));
    assert_eq!(registry(&inv, |_| true), pins(&read_text(&format!("{dir}/export-all.txt"))));
    // Without `--all-extras`, so the extra's packages are out too.
    let prod = |p: &firebreak_core::Package| !p.flags.dev && !p.flags.optional;
    assert_eq!(registry(&inv, prod), pins(&read_text(&format!("{dir}/export-prod.txt"))));
    let roots: BTreeSet<String> = inv.roots.iter().map(|r| r.name.clone()).collect();
    assert_eq!(roots, BTreeSet::from(["fixture-app".to_owned(), "helper".to_owned()]));
    let have: BTreeSet<(String, String)> = edges(&inv).into_iter().map(|(a, b, _)| (a, b)).collect();
    let want = tree_edges(&read_text(&format!("{dir}/uv-tree.txt")), &roots);
    let missing: Vec<_> = want.difference(&have).collect();
    assert!(missing.is_empty(), "edges in `uv tree` but not extracted: {missing:?}");
    let kinds = edges(&inv);
    assert!(kinds.contains(&("root:fixture-app".into(), "pytest@9.2.0".into(), DepKind::Dev)));
    assert!(kinds.contains(&("root:fixture-app".into(), "requests@2.34.2".into(), DepKind::Optional)));
    assert!(kinds.contains(&("requests@2.34.2".into(), "pysocks@1.7.1".into(), DepKind::Optional)));
    let pysocks = inv.packages.iter().find(|p| p.name == "pysocks").expect("pysocks");
    assert!(pysocks.flags.optional && !pysocks.direct);
    let helper = inv.packages.iter().find(|p| p.name == "helper").expect("helper is depended on");
    assert!(matches!(&helper.source, PackageSource::Path { path } if path == "packages/helper"));
    let lock = read_text(&format!("{dir}/uv.lock"));
    assert_eq!(hash_count(&inv), lock.matches("hash = \"sha256:").count());
    insta::assert_snapshot!("uv_workspace", render(&inv));
}

#[test]
fn pylock_matches_uv_export() {
    let dir = "fixtures/lockfiles/pypi/pylock/uv-export";
    let inv = extract(&format!("{dir}/pylock.toml"));
    assert_eq!(registry(&inv, |_| true), pins(&read_text(&format!("{dir}/oracle.txt"))));
    let text = read_text(&format!("{dir}/pylock.toml"));
    assert_eq!(hash_count(&inv), text.matches("hashes = { sha256 = ").count());
    assert!(inv.roots.is_empty());
    insta::assert_snapshot!("pylock_uv", render(&inv));
}

/// `poetry show` lines: `name (!) version description`.
fn poetry_show(text: &str) -> BTreeSet<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with("Skipping") && !l.trim().is_empty())
        .map(|l| {
            let mut words = l.split_whitespace().filter(|w| *w != "(!)");
            (norm(words.next().expect("name")), words.next().expect("version").to_owned())
        })
        .collect()
}

fn poetry_case(dir: &str, version: &str) {
    let base = format!("fixtures/lockfiles/pypi/poetry/{dir}");
    let inv = extract(&format!("{base}/poetry.lock"));
    assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some(version));
    // `poetry show` lists what the current interpreter would install (Linux, Python 3.11);
    // the lock has more, and everything more is only reached through marker-gated edges.
    let gated = |inv: &Inventory, set: &BTreeSet<(String, String)>| {
        for (i, p) in inv.packages.iter().enumerate() {
            if set.contains(&(p.name.clone(), p.version.clone())) {
                continue;
            }
            let incoming: Vec<_> = inv.edges.iter().filter(|e| e.to.0 as usize == i).collect();
            assert!(!incoming.is_empty(), "{} is not reached", p.name);
            assert!(
                incoming.iter().all(|e| e.requested.as_deref().is_some_and(|r| r.contains("; "))),
                "{} is missing from `poetry show` but reached without a marker",
                p.name
            );
        }
    };
    let all = poetry_show(&read_text(&format!("{base}/show.txt")));
    assert!(registry(&inv, |_| true).is_superset(&all));
    gated(&inv, &all);
    let main = poetry_show(&read_text(&format!("{base}/show-main.txt")));
    let prod = registry(&inv, |p| !p.flags.dev);
    assert!(prod.is_superset(&main));
    assert!(prod.iter().all(|p| main.contains(p) || !all.contains(p)), "dev flags differ from `--only main`");
    // `poetry show --tree`: top-level lines are the project's direct dependencies, and
    // each `├── name spec` line an edge from the package above.
    let tree = read_text(&format!("{base}/show-tree.txt"));
    let have: BTreeSet<(String, String)> = edges(&inv)
        .into_iter()
        .map(|(a, b, _)| {
            (a.split('@').next().unwrap_or(&a).to_owned(), b.split('@').next().unwrap_or(&b).to_owned())
        })
        .collect();
    let mut stack: Vec<String> = Vec::new();
    for line in tree.lines().filter(|l| !l.starts_with("Skipping") && !l.trim().is_empty()) {
        let start = line.find(|c: char| c.is_ascii_alphanumeric()).expect("name");
        let depth = line[..start].chars().count() / 4;
        let name = norm(line[start..].split_whitespace().next().expect("name"));
        if depth == 0 {
            assert!(have.contains(&("root:fixture-app".to_owned(), name.clone())), "direct {name}");
        }
        stack.truncate(depth);
        if let Some(parent) = stack.last() {
            assert!(have.contains(&(parent.clone(), name.clone())), "{parent} -> {name}");
        }
        stack.push(name);
    }
    let lock = read_text(&format!("{base}/poetry.lock"));
    assert_eq!(hash_count(&inv), lock.matches("hash = \"sha256:").count());
    // Without the pyproject.toml (stdin) the packages are all still there, with no root.
    let bare = extract_with(&format!("{base}/poetry.lock"), &NoFileSystem);
    assert!(bare.roots.is_empty());
    assert_eq!(bare.packages.len(), inv.packages.len());
    insta::assert_snapshot!(format!("poetry_{dir}"), render(&inv));
}

#[test]
fn poetry_lock_1_1_from_poetry_1_2() {
    poetry_case("lock-1.1", "1.1");
}

#[test]
fn poetry_lock_2_0_from_poetry_1_8() {
    poetry_case("lock-2.0", "2.0");
}

#[test]
fn poetry_lock_2_1_from_poetry_2() {
    poetry_case("lock-2.1", "2.1");
}

#[test]
fn pipenv_matches_pipenv_requirements() {
    let dir = "fixtures/lockfiles/pypi/pipenv/basic";
    let inv = extract(&format!("{dir}/Pipfile.lock"));
    let default = pins(&read_text(&format!("{dir}/requirements.txt")));
    let develop = pins(&read_text(&format!("{dir}/requirements-dev-only.txt")));
    let all: BTreeSet<_> = default.union(&develop).cloned().collect();
    assert_eq!(registry(&inv, |_| true), all);
    assert_eq!(registry(&inv, |p| !p.flags.dev), default);
    let lock: serde_json::Value =
        serde_json::from_str(&read_text(&format!("{dir}/Pipfile.lock"))).expect("json");
    let hashes: usize = ["default", "develop"]
        .iter()
        .flat_map(|s| lock[s].as_object().expect("section").values())
        .map(|e| e["hashes"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(hash_count(&inv), hashes);
    insta::assert_snapshot!("pipenv", render(&inv));
}

#[test]
fn pdm_matches_pdm_export() {
    let dir = "fixtures/lockfiles/pypi/pdm/basic";
    let inv = extract(&format!("{dir}/pdm.lock"));
    assert_eq!(registry(&inv, |_| true), pins(&read_text(&format!("{dir}/export-all.txt"))));
    assert_eq!(registry(&inv, |p| !p.flags.dev), pins(&read_text(&format!("{dir}/export-prod.txt"))));
    let direct: BTreeMap<String, bool> = inv.packages.iter().map(|p| (p.name.clone(), p.direct)).collect();
    for name in ["requests", "click", "pytest"] {
        assert_eq!(direct.get(name), Some(&true), "{name}");
    }
    assert_eq!(direct.get("idna"), Some(&false));
    let e = edges(&inv);
    assert!(e.iter().any(|(a, b, _)| a.starts_with("requests@") && b.starts_with("urllib3@")));
    assert!(
        e.iter().any(|(a, b, k)| a == "root:fixture-app" && b.starts_with("pytest@") && *k == DepKind::Dev)
    );
    let lock = read_text(&format!("{dir}/pdm.lock"));
    assert_eq!(hash_count(&inv), lock.matches("\", hash = \"sha256:").count());
    insta::assert_snapshot!("pdm", render(&inv));
}

#[test]
fn file_names_are_claimed_by_the_right_extractor() {
    let id = |p: &str| extractor_for(Utf8Path::new(p)).map(|e| e.id());
    assert_eq!(id("requirements.txt"), Some("pypi/requirements"));
    assert_eq!(id("a/requirements-dev.txt"), Some("pypi/requirements"));
    assert_eq!(id("dev-requirements.txt"), Some("pypi/requirements"));
    assert_eq!(id("constraints.txt"), Some("pypi/requirements"));
    assert_eq!(id("requirements/base.txt"), Some("pypi/requirements"));
    assert_eq!(id("notes.txt"), None);
    assert_eq!(id("requirements.in"), None);
    assert_eq!(id("pylock.toml"), Some("pypi/pylock"));
    assert_eq!(id("pylock.dev.toml"), Some("pypi/pylock"));
    assert_eq!(id("pylock.a.b.toml"), None);
    assert_eq!(id("uv.lock"), Some("pypi/uv-lock"));
    assert_eq!(id("Pipfile.lock"), Some("pypi/pipfile-lock"));
    assert_eq!(id("pdm.lock"), Some("pypi/pdm-lock"));
    assert_eq!(id("poetry.lock"), Some("pypi/poetry-lock"));
    assert!(extractor_by_hint("pypi/requirements").is_some());
}

/// The same files with CRLF line endings (as checked out on Windows) read the same.
#[test]
fn crlf_line_endings_read_the_same() {
    for path in [
        "fixtures/lockfiles/pypi/requirements/handwritten/requirements.txt",
        "fixtures/lockfiles/pypi/requirements/uv-compile/requirements.txt",
        "fixtures/lockfiles/pypi/uv/workspace/uv.lock",
        "fixtures/lockfiles/pypi/poetry/lock-2.1/poetry.lock",
        "fixtures/lockfiles/pypi/pdm/basic/pdm.lock",
        "fixtures/lockfiles/pypi/pipenv/basic/Pipfile.lock",
        "fixtures/lockfiles/pypi/pylock/uv-export/pylock.toml",
    ] {
        let crlf = read_text(path).replace('\n', "\r\n");
        let extractor = extractor_for(Utf8Path::new(path)).expect("registered");
        let inv = extractor
            .extract(&Source { path: Utf8Path::new(path), bytes: crlf.as_bytes(), files: &RepoFs })
            .expect("extracts");
        assert_eq!(render(&inv), render(&extract(path)), "{path}");
    }
}

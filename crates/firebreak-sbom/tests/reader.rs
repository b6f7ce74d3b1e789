//! The reader on SBOMs written by real tools (`fixtures/sbom`, see its `generate.sh`),
//! checked against the npm lockfile the tools read, and on broken documents.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_core::{DepKind, Ecosystem, Hash, Inventory, NodeRef};
use firebreak_sbom::{Kind, SbomError, looks_like_sbom, read};
use serde_json::Value;

fn repo_root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> Vec<u8> {
    fs_err::read(repo_root().join("fixtures/sbom").join(name)).expect("fixture")
}

fn read_fixture(name: &str) -> firebreak_sbom::SbomInventory {
    read(&fixture(name), Utf8Path::new(name)).expect("reads")
}

/// `name@version` of every package in the npm lockfile the generators read.
fn lock_packages() -> BTreeSet<String> {
    lock()["packages"]
        .as_object()
        .expect("as generated")
        .iter()
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| format!("{}@{}", lock_name(k), v["version"].as_str().expect("as generated")))
        .collect()
}

fn lock() -> Value {
    serde_json::from_slice(&fixture("npm-app.package-lock.json")).expect("as generated")
}

fn lock_name(key: &str) -> &str {
    key.rsplit_once("node_modules/").map_or(key, |(_, n)| n)
}

/// The lockfile's edges, resolved the way Node does: the nearest `node_modules` up the tree.
fn lock_edges() -> BTreeSet<(String, String)> {
    let lock = lock();
    let packages = lock["packages"].as_object().expect("as generated");
    let label = |key: &str| {
        let v = &packages[key];
        if key.is_empty() {
            "root".to_owned()
        } else {
            format!("{}@{}", lock_name(key), v["version"].as_str().expect("as generated"))
        }
    };
    let mut edges = BTreeSet::new();
    for (key, entry) in packages {
        for field in ["dependencies", "devDependencies", "optionalDependencies"] {
            let Some(deps) = entry[field].as_object() else { continue };
            for dep in deps.keys() {
                let mut base = key.clone();
                let target = loop {
                    let candidate = if base.is_empty() {
                        format!("node_modules/{dep}")
                    } else {
                        format!("{base}/node_modules/{dep}")
                    };
                    if packages.contains_key(&candidate) {
                        break candidate;
                    }
                    base = base.rsplit_once("/node_modules/").map(|(b, _)| b.to_owned()).unwrap_or_default();
                };
                edges.insert((label(key), label(&target)));
            }
        }
    }
    edges
}

/// The lockfile's `integrity` digests, as the generators copy them.
fn lock_hashes() -> BTreeSet<(String, String)> {
    lock()["packages"]
        .as_object()
        .expect("as generated")
        .iter()
        .filter(|(k, _)| !k.is_empty())
        .flat_map(|(k, v)| {
            let name = lock_name(k).to_owned();
            Hash::parse_sri(v["integrity"].as_str().expect("as generated"))
                .into_iter()
                .map(move |h| (name.clone(), h.to_string()))
        })
        .collect()
}

fn hashes(inv: &Inventory) -> BTreeSet<(String, String)> {
    inv.packages.iter().flat_map(|p| p.hashes.iter().map(|h| (p.name.clone(), h.to_string()))).collect()
}

fn packages(inv: &Inventory) -> BTreeSet<String> {
    inv.packages.iter().map(|p| format!("{}@{}", p.name, p.version)).collect()
}

fn edges(inv: &Inventory) -> BTreeSet<(String, String)> {
    inv.edges
        .iter()
        .map(|e| {
            let from = match e.from {
                NodeRef::Root(_) => "root".to_owned(),
                NodeRef::Package(p) => format!("{}@{}", inv.package(p).name, inv.package(p).version),
            };
            (from, format!("{}@{}", inv.package(e.to).name, inv.package(e.to).version))
        })
        .collect()
}

fn flagged(inv: &Inventory, pick: impl Fn(&firebreak_core::Package) -> bool) -> BTreeSet<String> {
    inv.packages.iter().filter(|p| pick(p)).map(|p| p.name.clone()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn cyclonedx_npm_matches_the_lockfile() {
    let read = read_fixture("npm-app.cdx.json");
    assert_eq!(read.kind, Kind::CycloneDx);
    assert_eq!(read.skipped, 0, "{:?}", read.warnings);
    let inv = &read.inventory;
    assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some("1.6"));
    assert_eq!(packages(inv), lock_packages());
    assert_eq!(edges(inv), lock_edges());
    assert_eq!(inv.roots.len(), 1);
    assert_eq!((inv.roots[0].ecosystem, inv.roots[0].name.as_str()), (Ecosystem::Npm, "npm-app"));
    assert!(inv.packages.iter().all(|p| p.ecosystem == Ecosystem::Npm));
    assert_eq!(flagged(inv, |p| p.flags.dev), set(&["is-number"]));
    assert_eq!(flagged(inv, |p| p.flags.optional), set(&["lru-cache", "yallist"]));
    let scoped =
        inv.packages.iter().find(|p| p.name == "@isaacs/string-locale-compare").expect("as generated");
    assert_eq!(scoped.purl.as_deref(), Some("pkg:npm/%40isaacs/string-locale-compare@1.1.0"));
    assert_eq!(
        flagged(inv, |p| p.direct),
        set(&["@isaacs/string-locale-compare", "debug", "is-number", "lru-cache", "ms"])
    );
}

#[test]
fn npm_sbom_spdx_matches_the_lockfile() {
    let read = read_fixture("npm-app.spdx.json");
    assert_eq!(read.kind, Kind::Spdx);
    assert_eq!(read.skipped, 0, "{:?}", read.warnings);
    let inv = &read.inventory;
    assert_eq!(packages(inv), lock_packages());
    assert_eq!(edges(inv), lock_edges());
    assert_eq!(inv.roots.len(), 1);
    assert_eq!(inv.roots[0].name, "npm-app");
    let kinds: BTreeSet<(String, DepKind)> =
        inv.edges.iter().map(|e| (inv.package(e.to).name.clone(), e.kind)).collect();
    assert!(kinds.contains(&("is-number".to_owned(), DepKind::Dev)));
    assert!(kinds.contains(&("lru-cache".to_owned(), DepKind::Optional)));
    assert_eq!(hashes(inv), lock_hashes());
    // Dev and optional are inferred from the edges, as npm's own lockfile says.
    assert_eq!(flagged(inv, |p| p.flags.dev), set(&["is-number"]));
    assert_eq!(flagged(inv, |p| p.flags.optional), set(&["lru-cache", "yallist"]));
}

#[test]
fn npm_sbom_cyclonedx_1_5_matches_the_lockfile() {
    let read = read_fixture("npm-app.npm.cdx.json");
    assert_eq!(read.inventory.lockfiles[0].format_version.as_deref(), Some("1.5"));
    assert_eq!(packages(&read.inventory), lock_packages());
    assert_eq!(edges(&read.inventory), lock_edges());
    assert_eq!(hashes(&read.inventory), lock_hashes());
}

#[test]
fn sniffing() {
    assert_eq!(looks_like_sbom(&fixture("npm-app.cdx.json")), Some(Kind::CycloneDx));
    assert_eq!(looks_like_sbom(&fixture("npm-app.npm.cdx.json")), Some(Kind::CycloneDx));
    assert_eq!(looks_like_sbom(&fixture("npm-app.spdx.json")), Some(Kind::Spdx));
    assert_eq!(looks_like_sbom(&fixture("npm-app.package-lock.json")), None);
    assert_eq!(looks_like_sbom(&fixture("npm-app.package.json")), None);
    assert_eq!(looks_like_sbom(b"[\"bomFormat\", \"CycloneDX\"]"), None);
    assert_eq!(looks_like_sbom(b""), None);
}

fn cdx(components: &str) -> String {
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "components": {components}}}"#
    )
}

#[test]
fn unsupported_purls_are_skipped_and_counted() {
    let text = cdx(r#"[
    {"type": "library", "name": "a", "purl": "pkg:npm/a@1.0.0"},
    {"type": "library", "name": "guava", "purl": "pkg:maven/com.google/guava@1"},
    {"type": "library", "name": "nopurl", "version": "1"}
  ]"#);
    let read = read(text.as_bytes(), Utf8Path::new("bom.json")).expect("as generated");
    assert_eq!(packages(&read.inventory), set(&["a@1.0.0"]));
    assert_eq!(read.skipped, 2);
    assert_eq!(read.warnings.len(), 2);
    assert!(
        read.warnings[0].contains("components[1]") && read.warnings[0].contains("maven"),
        "{:?}",
        read.warnings
    );
    assert!(read.warnings[1].contains("components[2]") && read.warnings[1].contains("no purl"));
}

fn error(text: &[u8]) -> String {
    read(text, Utf8Path::new("bad/bom.json")).expect_err("the document is invalid").to_string()
}

#[test]
fn errors_are_located() {
    let syntax = error(b"{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": 1.6,,\n}");
    assert!(syntax.starts_with("failed to parse `bad/bom.json` at 3:22:"), "{syntax}");

    let wrong = error(cdx(r#"[{"name": "a", "purl": "pkg:npm/a@1"}, {"name": "b", "purl": 7}]"#).as_bytes());
    assert_eq!(
        wrong,
        "invalid SBOM `bad/bom.json` at `components[1].purl`: expected a string, found the number `7`"
    );

    let nested = error(
        cdx(r#"[{"name": "a", "components": [{"name": "b", "purl": "pkg:npm/b@1", "hashes": {"alg": "SHA-1"}}]}]"#).as_bytes(),
    );
    assert!(nested.contains("`components[0].components[0].hashes`: expected an array"), "{nested}");

    let spdx = br#"{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT",
        "packages": [{"SPDXID": "SPDXRef-a", "name": "a", "externalRefs": [{"referenceType": "purl", "referenceLocator": ["x"]}]}]}"#;
    assert!(
        error(spdx)
            .contains("`packages[0].externalRefs[0].referenceLocator`: expected a string, found an array")
    );

    let version = error(br#"{"bomFormat": "CycloneDX", "specVersion": "1.2"}"#);
    assert!(
        version.contains("CycloneDX `1.2`, which is not supported: expected 1.4, 1.5 or 1.6"),
        "{version}"
    );
    let version = error(br#"{"spdxVersion": "SPDX-3.0", "SPDXID": "x"}"#);
    assert!(version.contains("SPDX `SPDX-3.0`"), "{version}");

    assert!(error(b"{\"name\": \"x\"}").contains("is not an SBOM"));
    assert!(error(b"[1, 2]").contains("is not an SBOM"));
}

#[test]
fn hostile_input_is_bounded() {
    // Deep nesting stops at the parser's depth limit with an error, not a stack overflow.
    let deep =
        format!("{{\"bomFormat\": \"CycloneDX\", \"x\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(read(deep.as_bytes(), Utf8Path::new("deep.json")), Err(SbomError::Syntax { .. })));
    let deep_components = format!(
        "{{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", {} \"name\": \"x\" {}}}",
        "\"components\": [{".repeat(5_000),
        "}]".repeat(5_000)
    );
    assert!(read(deep_components.as_bytes(), Utf8Path::new("deep.json")).is_err());
    // Zeroed pages are not touched until written, so this costs little real memory.
    let huge = vec![b' '; firebreak_sbom::MAX_SBOM_BYTES as usize + 1];
    assert!(matches!(read(&huge, Utf8Path::new("huge.json")), Err(SbomError::TooLarge { .. })));
}

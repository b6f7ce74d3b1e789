//! The writers against the official schemas, against themselves (reproducibility, order)
//! and against the reader (round trip), on inventories extracted from real lockfiles.

mod common;

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};
use common::schemas::{Schema, assert_valid, validator};
use firebreak_core::{DepKind, Inventory, NodeRef, PackageId};
use firebreak_lockfile::{FileSystem, Source, extractor_by_hint};
use firebreak_sbom::{Options, Timestamp, cyclonedx, read, spdx};

struct RepoFs;

impl FileSystem for RepoFs {
    fn read(&self, path: &Utf8Path) -> std::io::Result<Vec<u8>> {
        fs_err::read(repo_root().join(path))
    }
}

fn repo_root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn extract(hint: &str, path: &str) -> Inventory {
    let path = Utf8PathBuf::from(path);
    let bytes = fs_err::read(repo_root().join(&path)).expect("fixture");
    let extractor = extractor_by_hint(hint).expect("registered");
    extractor.extract(&Source { path: &path, bytes: &bytes, files: &RepoFs }).expect("extracts")
}

/// Every inventory the tests write: single roots, workspaces, git and path sources,
/// Go's h1 hashes, and two lockfiles at once (several roots, a made-up project).
fn cases() -> Vec<(&'static str, Inventory)> {
    let cargo = |case: &str| extract("cargo/lock", &format!("fixtures/lockfiles/cargo/{case}/Cargo.lock"));
    let go = |case: &str| extract("go/mod", &format!("fixtures/lockfiles/go/{case}/go.mod"));
    let mut both = cargo("basic");
    both.extend(go("basic"));
    vec![
        ("cargo-basic", cargo("basic")),
        ("cargo-workspace", cargo("workspace")),
        ("cargo-workspace-git", cargo("workspace-git")),
        ("go-basic", go("basic")),
        ("go-replace", go("replace")),
        ("cargo-and-go", both),
    ]
}

fn options() -> Options {
    Options::new("0.1.0", Timestamp::from_unix(1_767_225_600)).name("fixtures").reproducible()
}

#[test]
fn every_document_validates_against_the_official_schema() {
    let cdx = validator(Schema::CycloneDx16);
    let spdx_schema = validator(Schema::Spdx23);
    for (name, inv) in cases() {
        for opts in [options(), Options::new("0.1.0", Timestamp::EPOCH)] {
            assert_valid(&cdx, &cyclonedx::write(&inv, &opts), &format!("{name} CycloneDX"));
            assert_valid(&spdx_schema, &spdx::write(&inv, &opts), &format!("{name} SPDX"));
        }
    }
}

#[test]
fn the_schema_check_catches_a_broken_document() {
    let cdx = validator(Schema::CycloneDx16);
    let (_, inv) = cases().remove(0);
    let text = cyclonedx::write(&inv, &options()).replace("\"SHA-256\"", "\"SHA256\"");
    let instance: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(!cdx.is_valid(&instance), "a hash algorithm outside the enum must fail");
    let spdx_schema = validator(Schema::Spdx23);
    let text = spdx::write(&inv, &options()).replace("\"filesAnalyzed\": false", "\"filesAnalyzed\": \"no\"");
    let instance: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(!spdx_schema.is_valid(&instance));
}

#[test]
fn reproducible_output_is_byte_identical_and_content_addressed() {
    for (name, inv) in cases() {
        let a = cyclonedx::write(&inv, &options());
        assert_eq!(a, cyclonedx::write(&inv, &options()), "{name}");
        let b = spdx::write(&inv, &options());
        assert_eq!(b, spdx::write(&inv, &options()), "{name}");
        assert!(a.contains("\"timestamp\": \"2026-01-01T00:00:00Z\""), "{name}");
    }
    // Different content, different serial number.
    let all = cases();
    let serial = |inv: &Inventory| {
        let v: serde_json::Value = serde_json::from_str(&cyclonedx::write(inv, &options())).unwrap();
        v["serialNumber"].as_str().unwrap().to_owned()
    };
    assert_ne!(serial(&all[0].1), serial(&all[1].1));
    // Without `reproducible`, each document gets its own serial number and namespace.
    let plain = Options::new("0.1.0", Timestamp::EPOCH);
    assert_ne!(cyclonedx::write(&all[0].1, &plain), cyclonedx::write(&all[0].1, &plain));
    assert_ne!(spdx::write(&all[0].1, &plain), spdx::write(&all[0].1, &plain));
}

/// The same graph with its packages stored in reverse order.
fn reversed(inv: &Inventory) -> Inventory {
    let n = inv.packages.len() as u32;
    let flip = |p: PackageId| PackageId(n - 1 - p.0);
    let mut out = inv.clone();
    out.packages.reverse();
    for e in &mut out.edges {
        e.to = flip(e.to);
        if let NodeRef::Package(p) = e.from {
            e.from = NodeRef::Package(flip(p));
        }
    }
    out.edges.reverse();
    out
}

#[test]
fn output_does_not_depend_on_storage_order() {
    for (name, inv) in cases() {
        let other = reversed(&inv);
        assert_ne!(other.packages, inv.packages, "{name}: the test must change the order");
        assert_eq!(cyclonedx::write(&inv, &options()), cyclonedx::write(&other, &options()), "{name}");
        assert_eq!(spdx::write(&inv, &options()), spdx::write(&other, &options()), "{name}");
    }
}

#[test]
fn snapshots() {
    let all = cases();
    for name in ["cargo-basic", "go-basic", "cargo-workspace"] {
        let inv = &all.iter().find(|(n, _)| *n == name).unwrap().1;
        insta::assert_snapshot!(format!("{name}.cdx"), cyclonedx::write(inv, &options()));
        insta::assert_snapshot!(format!("{name}.spdx"), spdx::write(inv, &options()));
    }
}

type PackageKey = (String, String, String, Option<String>);

fn package_key(inv: &Inventory, id: PackageId) -> PackageKey {
    let p = inv.package(id);
    (p.ecosystem.to_string(), p.name.clone(), p.version.clone(), p.purl.clone())
}

fn node_key(inv: &Inventory, node: NodeRef) -> String {
    match node {
        NodeRef::Root(r) => {
            let r = &inv.roots[r.index()];
            format!("root {} {}@{}", r.ecosystem, r.name, r.version.as_deref().unwrap_or(""))
        }
        NodeRef::Package(p) => format!("{:?}", package_key(inv, p)),
    }
}

/// Packages with the facts both standards carry.
fn packages(inv: &Inventory) -> BTreeSet<(PackageKey, Vec<String>, bool, bool)> {
    (0..inv.packages.len())
        .map(|i| {
            let p = &inv.packages[i];
            let mut hashes: Vec<String> = p.hashes.iter().map(ToString::to_string).collect();
            hashes.sort();
            (package_key(inv, PackageId(i as u32)), hashes, p.flags.dev, p.direct)
        })
        .collect()
}

fn edges(inv: &Inventory, with_kind: bool) -> BTreeSet<(String, String, Option<DepKind>)> {
    inv.edges
        .iter()
        .map(|e| {
            // SPDX has no peer relationship: peers are written as plain dependencies.
            let kind = if e.kind == DepKind::Peer { DepKind::Normal } else { e.kind };
            (node_key(inv, e.from), node_key(inv, NodeRef::Package(e.to)), with_kind.then_some(kind))
        })
        .collect()
}

fn roots(inv: &Inventory) -> BTreeSet<(String, String, Option<String>)> {
    inv.roots.iter().map(|r| (r.ecosystem.to_string(), r.name.clone(), r.version.clone())).collect()
}

#[test]
fn round_trip_keeps_packages_roots_and_edges() {
    for (name, inv) in cases() {
        let text = cyclonedx::write(&inv, &options());
        let back = read(text.as_bytes(), Utf8Path::new("bom.cdx.json")).expect("reads its own CycloneDX");
        assert_eq!(back.skipped, 0, "{name}: {:?}", back.warnings);
        assert_eq!(packages(&back.inventory), packages(&inv), "{name} CycloneDX packages");
        assert_eq!(roots(&back.inventory), roots(&inv), "{name} CycloneDX roots");
        assert_eq!(edges(&back.inventory, false), edges(&inv, false), "{name} CycloneDX edges");
        let sources: Vec<_> = inv.packages.iter().map(|p| &p.source).collect();
        let back_sources: BTreeSet<String> =
            back.inventory.packages.iter().map(|p| format!("{:?}", p.source.location())).collect();
        assert_eq!(
            back_sources,
            sources.iter().map(|s| format!("{:?}", s.location())).collect(),
            "{name} CycloneDX sources"
        );

        let text = spdx::write(&inv, &options());
        let back = read(text.as_bytes(), Utf8Path::new("bom.spdx.json")).expect("reads its own SPDX");
        assert_eq!(back.skipped, 0, "{name}: {:?}", back.warnings);
        assert_eq!(roots(&back.inventory), roots(&inv), "{name} SPDX roots");
        assert_eq!(edges(&back.inventory, true), edges(&inv, true), "{name} SPDX edges with kinds");
        let keys = |inv: &Inventory| -> BTreeSet<PackageKey> {
            (0..inv.packages.len()).map(|i| package_key(inv, PackageId(i as u32))).collect()
        };
        assert_eq!(keys(&back.inventory), keys(&inv), "{name} SPDX packages");
    }
}

/// Many packages, some sharing a purl (a registry and a git copy of one version): every
/// identifier stays unique, and the writers stay linear in the graph's size.
#[test]
fn large_inventory_with_shared_purls() {
    use firebreak_core::{Ecosystem, InventoryBuilder};
    let mut b = InventoryBuilder::new("Cargo.lock", "cargo/lock");
    let root = b.root(Ecosystem::CratesIo, "big", Some("1.0.0"), "");
    let n = 10_000u32;
    let ids: Vec<PackageId> = (0..n)
        .map(|i| b.distinct_package(Ecosystem::CratesIo, &format!("crate-{}", i % (n / 2)), "1.0.0"))
        .collect();
    for (i, &id) in ids.iter().enumerate() {
        b.edge(NodeRef::Root(root), id, DepKind::Normal, None);
        for step in [1, 7, 31] {
            b.edge(NodeRef::Package(id), ids[(i + step) % ids.len()], DepKind::Normal, None);
        }
    }
    let inv = b.finish();
    let start = std::time::Instant::now();
    // Not reproducible: hashing the document in an unoptimised test build would dominate.
    let plain = Options::new("0.1.0", Timestamp::EPOCH);
    let cdx_text = cyclonedx::write(&inv, &plain);
    let spdx_text = spdx::write(&inv, &plain);
    let elapsed = start.elapsed();
    let cdx: serde_json::Value = serde_json::from_str(&cdx_text).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&spdx_text).unwrap();
    let refs: BTreeSet<&str> =
        cdx["components"].as_array().unwrap().iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
    assert_eq!(refs.len(), n as usize, "bom-refs are unique");
    assert!(refs.contains("pkg:cargo/crate-0@1.0.0") && refs.contains("pkg:cargo/crate-0@1.0.0|2"));
    let ids: BTreeSet<&str> =
        doc["packages"].as_array().unwrap().iter().map(|p| p["SPDXID"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), n as usize + 1, "SPDXIDs are unique");
    assert_eq!(doc["relationships"].as_array().unwrap().len(), 4 * n as usize + 1);
    let deps = cdx["dependencies"].as_array().unwrap();
    assert_eq!(deps.len(), n as usize + 1);
    assert!(elapsed.as_secs() < 60, "writing took {elapsed:?}");
}

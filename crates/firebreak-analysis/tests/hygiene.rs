//! Lockfile hygiene on hand-made inventories and on real lockfiles.

use camino::Utf8Path;
use firebreak_analysis::InventoryAnalyzer;
use firebreak_analysis::hygiene::Hygiene;
use firebreak_core::{
    Ecosystem, Finding, Hash, HashAlgorithm, Inventory, InventoryBuilder, Location, PackageSource,
};

const HOSTS: &[&str] = &["registry.npmjs.org", "static.crates.io", "github.com", "files.pythonhosted.org"];

fn run(inv: &Inventory) -> Vec<Finding> {
    let mut out = Vec::new();
    Hygiene::new(HOSTS.iter().copied()).analyze(inv, &mut out);
    out
}

fn render(inv: &Inventory, findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let p = f.package.map(|id| inv.package(id));
            format!(
                "{} {} {} | {}",
                f.signal.id,
                p.map(|p| format!("{}@{}", p.name, p.version)).unwrap_or_default(),
                f.location.as_ref().map(ToString::to_string).unwrap_or_default(),
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_check_on_a_crafted_package_lock() {
    let mut b = InventoryBuilder::new("package-lock.json", "npm/package-lock");
    let mut add = |name: &str, version: &str, line: u32, source: PackageSource, hashes: Vec<Hash>| {
        let id = b.package(Ecosystem::Npm, name, version);
        let p = b.get_mut(id);
        p.source = source;
        p.hashes = hashes;
        p.location = Some(Location { line, column: 5 });
    };
    let sha512 = Hash::parse_sri(
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
    );
    let reg = |url: &str| PackageSource::Registry { url: Some(url.to_owned()) };
    add("good", "1.0.0", 10, reg("https://registry.npmjs.org/good/-/good-1.0.0.tgz"), sha512.clone());
    add("plain", "1.0.0", 20, reg("http://registry.npmjs.org/plain/-/plain-1.0.0.tgz"), sha512.clone());
    add(
        "elsewhere",
        "1.0.0",
        30,
        reg("https://evil.example/elsewhere/-/elsewhere-1.0.0.tgz"),
        sha512.clone(),
    );
    add(
        "swapped",
        "1.0.0",
        40,
        reg("https://registry.npmjs.org/evil-pkg/-/evil-pkg-1.0.0.tgz"),
        sha512.clone(),
    );
    add("nohash", "1.0.0", 50, reg("https://registry.npmjs.org/nohash/-/nohash-1.0.0.tgz"), vec![]);
    add(
        "oldhash",
        "1.0.0",
        60,
        reg("https://registry.npmjs.org/oldhash/-/oldhash-1.0.0.tgz"),
        vec![Hash::hex(HashAlgorithm::Sha1, "0123456789abcdef0123456789abcdef01234567")],
    );
    add(
        "fromgit",
        "1.0.0",
        70,
        PackageSource::Git { url: "git+https://github.com/a/b.git".into(), rev: None },
        vec![],
    );
    add("fromdisk", "1.0.0", 80, PackageSource::Path { path: "../vendor/fromdisk".into() }, vec![]);
    let inv = b.finish();
    let findings = run(&inv);
    insta::assert_snapshot!(render(&inv, &findings), @r"
    lockfile-insecure-scheme plain@1.0.0 package-lock.json:20:5 | plain@1.0.0 is resolved over `http://`
    lockfile-untrusted-host elsewhere@1.0.0 package-lock.json:30:5 | elsewhere@1.0.0 is resolved from `evil.example`, which is not allowed
    lockfile-name-mismatch swapped@1.0.0 package-lock.json:40:5 | swapped@1.0.0 is resolved to a tarball of `evil-pkg`
    lockfile-integrity-missing nohash@1.0.0 package-lock.json:50:5 | nohash@1.0.0 has no integrity hash in the lockfile
    lockfile-integrity-weak oldhash@1.0.0 package-lock.json:60:5 | oldhash@1.0.0 is pinned only by SHA-1
    lockfile-nonregistry-source fromgit@1.0.0 package-lock.json:70:5 | fromgit@1.0.0 is installed from git `git+https://github.com/a/b.git`
    lockfile-nonregistry-source fromdisk@1.0.0 package-lock.json:80:5 | fromdisk@1.0.0 is installed from the local path `../vendor/fromdisk`
    ");
}

#[test]
fn requirements_without_hashes_are_not_flagged() {
    let mut b = InventoryBuilder::new("requirements.txt", "pypi/requirements");
    let id = b.package(Ecosystem::PyPI, "requests", "2.31.0");
    b.get_mut(id).source = PackageSource::Registry { url: None };
    let inv = b.finish();
    assert!(run(&inv).is_empty());
}

#[test]
fn a_real_cargo_lock_with_a_git_source() {
    let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/lockfiles/cargo/workspace-git/Cargo.lock");
    let inv = firebreak_lockfile::read_lockfile(&root).expect("fixture reads");
    let findings = run(&inv);
    let git: Vec<_> = findings.iter().filter(|f| f.signal.id == "lockfile-nonregistry-source").collect();
    assert!(!git.is_empty(), "the git dependency is flagged: {}", render(&inv, &findings));
    assert!(git.iter().all(|f| f.location.as_ref().is_some_and(|l| l.line.is_some())));
    assert!(
        findings.iter().all(|f| f.signal.id != "lockfile-integrity-missing"
            || f.package.is_some_and(|p| !matches!(inv.package(p).source, PackageSource::Git { .. }))),
        "git packages have no checksum by design and are not reported as missing one"
    );
}

#[test]
fn yarn_berry_checksums_are_not_missing_integrity_but_classic_hashes_are_required() {
    let read = |case: &str| {
        let path = Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../fixtures/lockfiles/npm/{case}/yarn.lock"));
        firebreak_lockfile::read_lockfile(&path).expect("fixture reads")
    };
    let berry = read("yarn-berry");
    assert!(
        run(&berry).iter().all(|f| f.signal.id != "lockfile-integrity-missing"),
        "berry records no tarball hash by design: {}",
        render(&berry, &run(&berry))
    );
    let mut classic = read("yarn-v1");
    let first = classic.packages.iter().position(|p| !p.hashes.is_empty()).expect("a hashed package");
    classic.packages[first].hashes.clear();
    let findings = run(&classic);
    assert_eq!(findings.iter().filter(|f| f.signal.id == "lockfile-integrity-missing").count(), 1);
}

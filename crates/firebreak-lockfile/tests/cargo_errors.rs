//! `Cargo.lock` edge cases and failures: located syntax errors, schema errors with key
//! paths and lines, versions cargo does not write, and manifest-driven dependency kinds.

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::{DepKind, Inventory, NodeRef, PackageSource};
use firebreak_lockfile::{ExtractError, FileSystem, NoFileSystem, Source, extractor_by_hint};

/// Files by path, for manifests beside an in-memory lockfile.
struct MapFs(HashMap<&'static str, &'static str>);

impl FileSystem for MapFs {
    fn read(&self, path: &Utf8Path) -> std::io::Result<Vec<u8>> {
        self.0
            .get(path.as_str())
            .map(|s| s.as_bytes().to_vec())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

fn run(bytes: &[u8], files: &dyn FileSystem) -> Result<Inventory, ExtractError> {
    let extractor = extractor_by_hint("Cargo.lock").expect("registered");
    extractor.extract(&Source { path: Utf8Path::new("proj/Cargo.lock"), bytes, files })
}

fn read(text: &str) -> Result<Inventory, ExtractError> {
    run(text.as_bytes(), &NoFileSystem)
}

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
const SUM: &str = "3bd1574e617a9a6c1f8f8181bd7e841e1f20e4277607ef28945765188d6284d4";

fn schema(text: &str) -> (String, Option<u32>, String) {
    match read(text) {
        Err(ExtractError::Schema { key_path, line, expected, .. }) => (key_path, line, expected),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[test]
fn truncated_toml_is_a_located_syntax_error() {
    let text = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\ndependencies = [\n \"b";
    match read(text) {
        Err(ExtractError::Syntax { line, column, path, .. }) => {
            assert_eq!(path, "proj/Cargo.lock");
            assert_eq!(line, 7);
            assert!(column >= 2, "{column}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(read("[[package]\n"), Err(ExtractError::Syntax { line: 1, .. })));
}

#[test]
fn wrong_types_are_schema_errors_with_key_and_line() {
    let (key, line, expected) = schema("version = 4\n\n[[package]]\nname = 5\nversion = \"1.0.0\"\n");
    assert_eq!((key.as_str(), line, expected.as_str()), ("package[0].name", Some(4), "a string"));

    let (key, line, _) = schema(
        "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\ndependencies = \"a\"\n",
    );
    assert_eq!((key.as_str(), line), ("package[1].dependencies", Some(8)));

    let (key, line, _) =
        schema("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"x\", 3]\n");
    assert_eq!((key.as_str(), line), ("package[0].dependencies[1]", Some(4)));

    let (key, _, expected) = schema("[[package]]\nname = \"a\"\n");
    assert_eq!((key.as_str(), expected.as_str()), ("package[0].version", "a string"));

    let (key, line, expected) = schema("[[package]]\nname = \"a\"\nversion = \"1.0\"\n");
    assert_eq!((key.as_str(), line, expected.as_str()), ("package[0].version", Some(3), "a semver version"));

    let (key, ..) = schema(&format!(
        "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\nchecksum = \"abc\"\n"
    ));
    assert_eq!(key, "package[0].checksum");

    let (key, ..) =
        schema("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"https://example.com\"\n");
    assert_eq!(key, "package[0].source");

    let (key, ..) = schema("package = 3\n");
    assert_eq!(key, "package");

    let (key, ..) = schema("version = \"4\"\n");
    assert_eq!(key, "version");

    let (key, ..) =
        schema("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"b 1.0.0 registry\"]\n");
    assert_eq!(key, "package[0].dependencies[0]");

    let (key, ..) = schema("[metadata]\n\"checksum a 1.0.0 (x)\" = 5\n");
    assert!(key.starts_with("metadata."), "{key}");
}

#[test]
fn duplicate_entries_are_refused() {
    let text =
        "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
    let (key, line, _) = schema(text);
    assert_eq!((key.as_str(), line), ("package[1]", Some(5)));
}

#[test]
fn unknown_versions_are_unsupported() {
    for v in ["5", "99", "2", "0", "-1"] {
        match read(&format!("version = {v}\n")) {
            Err(ExtractError::UnsupportedVersion { found, format, .. }) => {
                assert_eq!(found, v);
                assert_eq!(format, "Cargo.lock");
            }
            other => panic!("version {v}: {other:?}"),
        }
    }
}

#[test]
fn invalid_utf8_is_located() {
    let bytes = b"version = 4\n\n[[package]]\nname = \"a\xff\"\n";
    match run(bytes, &NoFileSystem) {
        Err(ExtractError::InvalidUtf8 { line, column, .. }) => assert_eq!((line, column), (4, 10)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_lockfile_is_empty() {
    let inv = read("").expect("empty");
    assert!(inv.packages.is_empty() && inv.roots.is_empty());
    assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some("1"));
}

#[test]
fn legacy_root_table_and_metadata_checksums() {
    let text = format!(
        "[root]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"itoa 1.0.19 ({CRATES_IO})\",\n]\n\n\
         [[package]]\nname = \"itoa\"\nversion = \"1.0.19\"\nsource = \"{CRATES_IO}\"\n\n\
         [metadata]\n\"checksum itoa 1.0.19 ({CRATES_IO})\" = \"{SUM}\"\n"
    );
    let inv = read(&text).expect("reads");
    assert_eq!(inv.lockfiles[0].format_version.as_deref(), Some("1"));
    assert_eq!(inv.roots.len(), 1);
    assert_eq!(inv.roots[0].name, "app");
    assert_eq!(inv.packages.len(), 1);
    assert!(inv.packages[0].direct);
    assert_eq!(inv.packages[0].hashes[0].value, SUM);
    assert_eq!(inv.packages[0].location.map(|l| l.line), Some(8));
}

#[test]
fn sparse_registry_and_unresolvable_edges() {
    let text = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"serde\",\n \"gone\",\n]\n\n\
                [[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"sparse+https://index.crates.io/\"\n";
    let inv = read(text).expect("reads");
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(
        inv.packages[0].source,
        PackageSource::Registry { url: Some("sparse+https://index.crates.io/".into()) }
    );
    assert_eq!(inv.edges.len(), 1, "an edge to a package the file does not list is dropped, as cargo does");
}

#[test]
fn dependency_strings_resolve_by_version_and_source() {
    let git = "git+https://github.com/a/b?branch=main#0123456789abcdef0123456789abcdef01234567";
    let text = format!(
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"b 1.0.0 (git+https://github.com/a/b?branch=main)\",\n \"c 2.0.0\",\n]\n\n\
         [[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"{git}\"\n\n\
         [[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{SUM}\"\n\n\
         [[package]]\nname = \"c\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{SUM}\"\ndependencies = [\n \"b 1.0.0 ({CRATES_IO})\",\n]\n\n\
         [[package]]\nname = \"c\"\nversion = \"2.0.0\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{SUM}\"\n"
    );
    let inv = read(&text).expect("reads");
    let name = |e: &firebreak_core::Edge| {
        let p = &inv.packages[e.to.index()];
        format!("{}@{}:{}", p.name, p.version, matches!(p.source, PackageSource::Git { .. }))
    };
    let from_root: Vec<String> =
        inv.edges.iter().filter(|e| matches!(e.from, NodeRef::Root(_))).map(name).collect();
    assert_eq!(from_root, ["b@1.0.0:true", "c@2.0.0:false"]);
    let from_c: Vec<String> =
        inv.edges.iter().filter(|e| matches!(e.from, NodeRef::Package(_))).map(name).collect();
    assert_eq!(from_c, ["b@1.0.0:false"]);
}

#[test]
fn manifest_kinds_split_two_versions_of_one_crate() {
    // `bitflags` 2 is a normal dependency, `bitflags` 1 a dev-dependency; only the
    // requirement tells the lockfile's two entries apart.
    let lock = format!(
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"bitflags 1.3.2\",\n \"bitflags 2.13.2\",\n \"cc\",\n]\n\n\
         [[package]]\nname = \"bitflags\"\nversion = \"1.3.2\"\nsource = \"{CRATES_IO}\"\n\n\
         [[package]]\nname = \"bitflags\"\nversion = \"2.13.2\"\nsource = \"{CRATES_IO}\"\n\n\
         [[package]]\nname = \"cc\"\nversion = \"1.2.0\"\nsource = \"{CRATES_IO}\"\n"
    );
    let manifest = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\nbitflags = \"2\"\n\n\
                    [dev-dependencies]\nold = { package = \"bitflags\", version = \"1.3\" }\n\n\
                    [target.'cfg(unix)'.build-dependencies]\ncc = \"1\"\n";
    let fs = MapFs(HashMap::from([("proj/Cargo.toml", manifest)]));
    let inv = run(lock.as_bytes(), &fs).expect("reads");
    let kinds: Vec<(String, DepKind, Option<String>)> = inv
        .edges
        .iter()
        .map(|e| {
            let p = &inv.packages[e.to.index()];
            (format!("{}@{}", p.name, p.version), e.kind, e.requested.clone())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("bitflags@1.3.2".to_owned(), DepKind::Dev, Some("1.3".to_owned())),
            ("bitflags@2.13.2".to_owned(), DepKind::Normal, Some("2".to_owned())),
            ("cc@1.2.0".to_owned(), DepKind::Build, Some("1".to_owned())),
        ]
    );
    assert!(inv.packages[0].flags.dev && !inv.packages[1].flags.dev);
    assert_eq!(inv.roots[0].path, "");
}

#[test]
fn unreadable_manifest_falls_back_to_the_lockfile() {
    let lock = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n";
    let fs = MapFs(HashMap::from([("proj/Cargo.toml", "[package\n")]));
    let inv = run(lock.as_bytes(), &fs).expect("reads");
    assert_eq!(inv.roots.len(), 1);
}

#[test]
fn every_prefix_of_a_real_lockfile_reads_or_fails_cleanly() {
    let path = Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/lockfiles/cargo/formats/workspace-git-v1/Cargo.lock");
    let bytes = fs_err::read(&path).expect("fixture");
    for end in 0..bytes.len() {
        // Never a panic; an error names the file.
        if let Err(e) = run(&bytes[..end], &NoFileSystem) {
            assert_eq!(e.path(), "proj/Cargo.lock");
        }
    }
}

//! Malformed `yarn.lock` files: every error is located, unknown berry versions are refused,
//! and no input panics.

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_core::Inventory;
use firebreak_lockfile::{ExtractError, FileSystem, NoFileSystem, Source, extractor_by_hint};

/// Serves one `package.json` next to the lockfile.
struct Manifest(&'static str);

impl FileSystem for Manifest {
    fn read(&self, path: &Utf8Path) -> std::io::Result<Vec<u8>> {
        if path == "package.json" {
            Ok(self.0.as_bytes().to_vec())
        } else {
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        }
    }
}

fn run(bytes: &[u8], files: &dyn FileSystem) -> Result<Inventory, ExtractError> {
    let extractor = extractor_by_hint("npm/yarn-lock").expect("registered");
    extractor.extract(&Source { path: Utf8Path::new("yarn.lock"), bytes, files })
}

fn read(text: &str) -> Result<Inventory, ExtractError> {
    run(text.as_bytes(), &NoFileSystem)
}

fn syntax(text: &str) -> (u32, u32, String) {
    match read(text) {
        Err(ExtractError::Syntax { line, column, message, path }) => {
            assert_eq!(path, "yarn.lock");
            (line, column, message)
        }
        other => panic!("expected a syntax error for {text:?}, got {other:?}"),
    }
}

fn schema(text: &str) -> (String, Option<u32>) {
    match read(text) {
        Err(ExtractError::Schema { key_path, line, .. }) => (key_path, line),
        other => panic!("expected a schema error for {text:?}, got {other:?}"),
    }
}

const HEADER: &str = "# yarn lockfile v1\n\n";

#[test]
fn classic_syntax_errors_are_located() {
    let (line, column, message) = syntax(&format!("{HEADER}a@^1:\n   version \"1.0.0\"\n"));
    assert_eq!((line, column), (4, 4), "{message}");
    let (line, _, message) = syntax(&format!("{HEADER}\"a@^1:\n  version \"1.0.0\"\n"));
    assert_eq!(line, 3);
    assert!(message.contains("quoted") || message.contains("value"), "{message}");
    let (line, column, message) = syntax(&format!("{HEADER}a@^1:\n  version \"1.0.0\n"));
    assert_eq!((line, column), (4, 11), "{message}");
    assert!(message.contains("unterminated"), "{message}");
    let (line, _, message) = syntax(&format!("{HEADER}a@^1:\n  version\n"));
    assert_eq!(line, 4);
    assert!(message.contains("no value"), "{message}");
    let (line, column, _) = syntax(&format!("{HEADER}a@^1:\n  version \"1\"\n      deep \"x\"\n"));
    assert_eq!((line, column), (5, 7));
    let (line, _, _) = syntax(&format!("{HEADER}a@^1, :\n  version \"1\"\n"));
    assert_eq!(line, 3);
    let (line, _, message) = syntax(&format!("{HEADER}a@^1:\n\tversion \"1\"\n"));
    assert_eq!(line, 4);
    assert!(message.contains("tab"), "{message}");
}

#[test]
fn classic_schema_errors_name_the_entry() {
    let (key, line) = schema(&format!("{HEADER}a@^1, a@^1.1:\n  resolved \"x\"\n"));
    assert_eq!((key.as_str(), line), ("a@^1, a@^1.1", Some(3)));
    let (key, line) = schema(&format!("{HEADER}a@^1:\n  version \"1\"\n  dependencies \"b\"\n"));
    assert_eq!((key.as_str(), line), ("a@^1.dependencies", Some(5)));
    let (key, line) = schema(&format!("{HEADER}loose \"value\"\n"));
    assert_eq!((key.as_str(), line), ("loose", Some(3)));
}

#[test]
fn classic_quirks_are_accepted() {
    // CRLF, a BOM, unquoted values, booleans and unknown fields (yarn writes `uid`).
    let text = "\u{feff}# yarn lockfile v1\r\n\r\n\"@s/a@^1\", \"@s/a@~1.2\":\r\n  version 1.2.3\r\n  uid \"\"\r\n  optional true\r\n  dependencies:\r\n    b \"^2\"\r\n\r\nb@^2:\r\n  version \"2.0.0\"\r\n";
    let inv = read(text).expect("reads");
    assert_eq!(inv.packages.len(), 2);
    assert_eq!(inv.packages[0].name, "@s/a");
    assert_eq!(inv.packages[0].version, "1.2.3");
    assert_eq!(inv.edges.len(), 1);
    // An unresolvable dependency is no edge and no error.
    let inv = read(&format!("{HEADER}a@1:\n  version \"1.0.0\"\n  dependencies:\n    missing \"^9\"\n"))
        .expect("test data");
    assert!(inv.edges.is_empty());
    assert!(read("").expect("test data").packages.is_empty());
}

#[test]
fn invalid_utf8_is_located() {
    let err = run(b"# yarn lockfile v1\n\na@1:\n  version \"1\xff\"\n", &NoFileSystem).unwrap_err();
    assert!(matches!(err, ExtractError::InvalidUtf8 { line: 4, column: 13, .. }), "{err}");
}

#[test]
fn malformed_package_json_names_it() {
    let lock = format!("{HEADER}a@^1:\n  version \"1.0.0\"\n");
    let err = run(lock.as_bytes(), &Manifest("{\n  \"dependencies\": {\"a\": 1}\n}")).unwrap_err();
    assert!(
        matches!(&err, ExtractError::Schema { path, key_path, .. } if path == "package.json" && key_path == "dependencies.a"),
        "{err}"
    );
    let err = run(lock.as_bytes(), &Manifest("{\n  \"name\": \n")).unwrap_err();
    assert!(matches!(&err, ExtractError::Syntax { path, line: 3, .. } if path == "package.json"), "{err}");
    let inv = run(lock.as_bytes(), &Manifest("{\"dependencies\": {\"a\": \"^1\"}}")).expect("test data");
    assert!(inv.packages[0].direct);
}

const BERRY: &str = "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"a@npm:^1.0.0\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  languageName: node\n  linkType: hard\n";

#[test]
fn berry_versions() {
    assert_eq!(read(BERRY).expect("test data").lockfiles[0].format_version.as_deref(), Some("8"));
    for bad in ["3", "11", "x"] {
        let err = read(&BERRY.replace("version: 8", &format!("version: {bad}"))).unwrap_err();
        assert!(
            matches!(&err, ExtractError::UnsupportedVersion { found, format: "yarn.lock", .. } if found == bad),
            "{err}"
        );
    }
    let (key, _) = schema("__metadata:\n  cacheKey: 10c0\n");
    assert_eq!(key, "__metadata.version");
}

#[test]
fn berry_errors_are_located() {
    let (line, _, _) = syntax(&BERRY.replace("  linkType: hard", "  linkType: [hard"));
    assert!(line >= 9, "{line}");
    let (key, line) = schema(&BERRY.replace("  resolution: \"a@npm:1.0.0\"\n", ""));
    assert_eq!((key.as_str(), line), ("a@npm:^1.0.0.resolution", Some(5)));
    let (key, line) = schema(&BERRY.replace("  languageName", "  dependencies: [b]\n  languageName"));
    assert_eq!((key.as_str(), line), ("a@npm:^1.0.0.dependencies", Some(5)));
    let (key, _) = schema(&format!("{BERRY}\nb@npm:1: 3\n"));
    assert_eq!(key, "b@npm:1");
}

#[test]
fn berry_patch_and_git_references() {
    let text = format!(
        "{BERRY}\n\"a@patch:a@npm%3A^1.0.0#~/.yarn/patches/a.patch\":\n  version: 1.0.0\n  resolution: \"a@patch:a@npm%3A1.0.0#~/.yarn/patches/a.patch::version=1.0.0&hash=abc\"\n  languageName: node\n  linkType: hard\n\n\"g@https://github.com/o/g.git#commit=abc\":\n  version: 0.1.0\n  resolution: \"g@https://github.com/o/g.git#commit=abc\"\n  languageName: node\n  linkType: hard\n"
    );
    let inv = read(&text).expect("test data");
    // The patched copy is the same name@version as the registry one.
    assert_eq!(inv.packages.len(), 2);
    let g = inv.packages.iter().find(|p| p.name == "g").expect("test data");
    assert_eq!(
        g.source,
        firebreak_core::PackageSource::Git {
            url: "https://github.com/o/g.git".into(),
            rev: Some("abc".into())
        }
    );
}

fn prefixes(text: &str) {
    let bytes = text.as_bytes();
    for end in 0..=bytes.len() {
        match run(&bytes[..end], &NoFileSystem) {
            Ok(_) => {}
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

#[test]
fn every_prefix_reads_or_fails_cleanly() {
    let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lockfiles/npm");
    for case in ["yarn-v1", "yarn-berry-workspace", "yarn-bun"] {
        prefixes(&fs_err::read_to_string(root.join(case).join("yarn.lock")).expect("test data"));
    }
}

#[test]
fn old_classic_entries_hash_from_resolved_fragment() {
    let text = format!(
        "{HEADER}a@^1:\n  version \"1.0.0\"\n  resolved \"https://registry.yarnpkg.com/a/-/a-1.0.0.tgz#0123456789abcdef0123456789ABCDEF01234567\"\n"
    );
    let inv = read(&text).expect("reads");
    assert_eq!(inv.packages[0].hashes.len(), 1);
    assert_eq!(inv.packages[0].hashes[0].algorithm, firebreak_core::HashAlgorithm::Sha1);
    assert_eq!(inv.packages[0].hashes[0].value, "0123456789abcdef0123456789abcdef01234567");
}

#[test]
fn berry_alias_only_entry_keeps_the_alias() {
    let text = format!(
        "{BERRY}\n\"x@npm:real@^2.0.0\":\n  version: 2.0.0\n  resolution: \"real@npm:2.0.0\"\n  languageName: node\n  linkType: hard\n"
    );
    let inv = read(&text).expect("reads");
    let real = inv.packages.iter().find(|p| p.name == "real").expect("real");
    assert_eq!(real.alias.as_deref(), Some("x"));
}

#[test]
fn classic_workspace_globs_are_not_expanded() {
    // Only the top manifest can be read: a glob cannot be listed through FileSystem::read,
    // so its members are not roots and their dependencies stay unattached.
    let lock = format!("{HEADER}a@^1:\n  version \"1.0.0\"\n");
    let inv = run(lock.as_bytes(), &Manifest("{\"name\": \"top\", \"workspaces\": [\"packages/*\"]}"))
        .expect("reads");
    assert_eq!(inv.roots.len(), 1);
    assert!(!inv.packages[0].direct);
}

/// Found by the `yarn_lock` fuzz target: a berry-style `key: value` line in a file read as
/// classic made the line scanner stop advancing and fill memory until the process died.
#[test]
fn fuzz_regression_colon_where_a_key_starts() {
    let path =
        Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions/yarn-classic-colon-loop.lock");
    let bytes = fs_err::read(&path).expect("regression input");
    let source = Source { path: Utf8Path::new("yarn.lock"), bytes: &bytes, files: &NoFileSystem };
    let err =
        extractor_by_hint("npm/yarn-lock").expect("registered").extract(&source).expect_err("malformed");
    assert!(err.to_string().contains("yarn.lock"), "{err}");
    let err = extractor_by_hint("npm/yarn-lock")
        .expect("registered")
        .extract(&Source {
            path: Utf8Path::new("yarn.lock"),
            bytes: b"a@^1:\n  version : 1\n",
            files: &NoFileSystem,
        })
        .expect_err("malformed");
    assert!(err.to_string().contains("2:"), "located: {err}");
}

//! Malformed `bun.lock` files: located errors, unknown versions refused, no panics.

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_core::Inventory;
use firebreak_lockfile::{ExtractError, NoFileSystem, Source, extractor_by_hint};

fn run(bytes: &[u8]) -> Result<Inventory, ExtractError> {
    let extractor = extractor_by_hint("bun/lock").expect("registered");
    extractor.extract(&Source { path: Utf8Path::new("bun.lock"), bytes, files: &NoFileSystem })
}

fn read(text: &str) -> Result<Inventory, ExtractError> {
    run(text.as_bytes())
}

const GOOD: &str = "{\n  // written by bun\n  \"lockfileVersion\": 1,\n  \"workspaces\": {\n    \"\": {\n      \"name\": \"app\",\n      \"dependencies\": {\n        \"a\": \"^1.0.0\",\n      },\n    },\n  },\n  \"packages\": {\n    \"a\": [\"a@1.0.0\", \"\", { \"dependencies\": { \"b\": \"//not-a-comment,}\" } }, \"sha512-AAAA\"],\n\n    \"b\": [\"b@2.0.0\", \"\", {}, \"sha512-AAAA\"],\n  }\n}\n";

#[test]
fn comments_and_trailing_commas() {
    let inv = read(GOOD).expect("test data");
    assert_eq!(inv.packages.len(), 2);
    assert_eq!(inv.roots.len(), 1);
    assert!(inv.packages[0].direct);
    assert_eq!(inv.packages[0].location.map(|l| l.line), Some(13));
    // The string that looks like a comment was kept as the requested range.
    assert!(inv.edges.iter().any(|e| e.requested.as_deref() == Some("//not-a-comment,}")));
    let block = GOOD.replace("// written by bun", "/* written\n by bun */");
    assert_eq!(read(&block).expect("test data").packages[0].location.map(|l| l.line), Some(14));
}

#[test]
fn versions() {
    assert_eq!(
        read(&GOOD.replace("\"lockfileVersion\": 1", "\"lockfileVersion\": 0")).expect("test data").lockfiles
            [0]
        .format_version
        .as_deref(),
        Some("0")
    );
    for bad in ["3", "\"1\"", "-1"] {
        let err = read(&GOOD.replace("\"lockfileVersion\": 1", &format!("\"lockfileVersion\": {bad}")))
            .unwrap_err();
        assert!(matches!(&err, ExtractError::UnsupportedVersion { found, .. } if found == bad), "{err}");
    }
    let err = read("{\"packages\": {}}").unwrap_err();
    assert!(matches!(&err, ExtractError::Schema { key_path, .. } if key_path == "lockfileVersion"), "{err}");
}

#[test]
fn syntax_errors_keep_positions_after_stripping() {
    let text = GOOD.replace("\"b\": [\"b@2.0.0\"", "\"b\" [\"b@2.0.0\"");
    let err = read(&text).unwrap_err();
    assert!(matches!(err, ExtractError::Syntax { line: 15, column: 9, .. }), "{err}");
    let err = read("{\n  \"lockfileVersion\": 1,\n  /* open comment\n").unwrap_err();
    assert!(matches!(err, ExtractError::Syntax { .. }), "{err}");
}

#[test]
fn schema_errors_name_the_key_and_line() {
    let err =
        read(&GOOD.replace("\"b\": [\"b@2.0.0\", \"\", {}, \"sha512-AAAA\"]", "\"b\": {}")).unwrap_err();
    assert!(
        matches!(&err, ExtractError::Schema { key_path, line: Some(15), .. } if key_path == "packages.\"b\""),
        "{err}"
    );
    let err = read(&GOOD.replace("[\"b@2.0.0\"", "[\"b\"")).unwrap_err();
    assert!(
        matches!(&err, ExtractError::Schema { key_path, .. } if key_path == "packages.\"b\"[0]"),
        "{err}"
    );
    let err = read(&GOOD.replace("\"a\": \"^1.0.0\"", "\"a\": 1")).unwrap_err();
    assert!(
        matches!(&err, ExtractError::Schema { key_path, .. } if key_path.contains("dependencies.a")),
        "{err}"
    );
    let err = read("[1]").unwrap_err();
    assert!(matches!(err, ExtractError::Schema { .. }), "{err}");
}

#[test]
fn invalid_utf8_is_located() {
    let mut bytes = GOOD.as_bytes().to_vec();
    let at = GOOD.find("app").expect("test data");
    bytes[at] = 0xff;
    let err = run(&bytes).unwrap_err();
    assert!(matches!(err, ExtractError::InvalidUtf8 { line: 6, column: 16, .. }), "{err}");
}

#[test]
fn every_prefix_reads_or_fails_cleanly() {
    let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lockfiles/npm");
    for case in ["bun", "bun-workspace"] {
        let bytes = fs_err::read(root.join(case).join("bun.lock")).expect("test data");
        for end in 0..=bytes.len() {
            if let Err(e) = run(&bytes[..end]) {
                assert!(!e.to_string().is_empty());
            }
        }
    }
}

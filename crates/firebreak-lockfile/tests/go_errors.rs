//! `go.mod` failures: directive errors at a line and column, invalid module versions as
//! schema errors with their line, bad encodings, and a malformed `go.sum`.

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::Inventory;
use firebreak_lockfile::{ExtractError, FileSystem, NoFileSystem, Source, extractor_by_hint};

struct MapFs(HashMap<&'static str, &'static [u8]>);

impl FileSystem for MapFs {
    fn read(&self, path: &Utf8Path) -> std::io::Result<Vec<u8>> {
        self.0.get(path.as_str()).map(|s| s.to_vec()).ok_or_else(|| std::io::ErrorKind::NotFound.into())
    }
}

fn run(bytes: &[u8], files: &dyn FileSystem) -> Result<Inventory, ExtractError> {
    let extractor = extractor_by_hint("go.mod").expect("registered");
    extractor.extract(&Source { path: Utf8Path::new("svc/go.mod"), bytes, files })
}

fn read(text: &str) -> Result<Inventory, ExtractError> {
    run(text.as_bytes(), &NoFileSystem)
}

fn syntax(text: &str) -> (u32, u32, String) {
    match read(text) {
        Err(ExtractError::Syntax { line, column, message, path }) => {
            assert_eq!(path, "svc/go.mod");
            (line, column, message)
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

fn schema(text: &str) -> (String, Option<u32>) {
    match read(text) {
        Err(ExtractError::Schema { key_path, line, .. }) => (key_path, line),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[test]
fn unknown_directive_has_line_and_column() {
    let (line, column, message) =
        syntax("module example.com/m\n\ngo 1.21\n\n  requires example.com/x v1.0.0\n");
    assert_eq!((line, column), (5, 3));
    assert!(message.contains("unknown directive: requires"), "{message}");
}

#[test]
fn malformed_directives() {
    let (line, column, message) = syntax("module m\nrequire example.com/x\n");
    assert_eq!((line, column), (2, 1));
    assert!(message.starts_with("usage: require"), "{message}");

    let (line, column, _) = syntax("module m\nrequire example.com/x v1.0.0 extra\n");
    assert_eq!((line, column), (2, 30));

    let (line, column, message) = syntax("module m\nrequire \"example.com/x v1.0.0\n");
    assert_eq!((line, column), (2, 9));
    assert!(message.contains("unterminated"), "{message}");

    let (line, column, message) = syntax("module m\nrequire (\n\texample.com/x v1.0.0\n");
    assert_eq!((line, column), (2, 1));
    assert!(message.contains("not closed"), "{message}");

    let (line, column, _) = syntax("module m\n)\n");
    assert_eq!((line, column), (2, 1));

    let (line, column, message) = syntax("module m /* old */\n");
    assert_eq!((line, column), (1, 10));
    assert!(message.contains("// comments"), "{message}");

    let (line, column, message) = syntax("module m\nreplace example.com/x => example.com/y\n");
    assert_eq!((line, column), (2, 26));
    assert!(message.contains("directory path"), "{message}");

    let (line, column, _) = syntax("module m\nreplace example.com/x v1.0.0\n");
    assert_eq!((line, column), (2, 23));

    let (line, column, message) = syntax("module m\nmodule n\n");
    assert_eq!((line, column), (2, 1));
    assert!(message.contains("repeated"), "{message}");

    let (line, column, _) = syntax("module m\nretract [v1.0.0 v1.1.0]\n");
    assert_eq!((line, column), (2, 9));

    let (line, column, _) = syntax("module m\nrequire (\n\texample.com/x (v1.0.0)\n)\n");
    assert_eq!((line, column), (3, 16));
}

#[test]
fn invalid_versions_are_schema_errors_with_line() {
    assert_eq!(
        schema("module m\n\nrequire (\n\texample.com/x v1.0\n)\n"),
        ("require example.com/x".to_owned(), Some(4))
    );
    assert_eq!(schema("module m\nrequire example.com/x 1.0.0\n").1, Some(2));
    assert_eq!(schema("module m\nrequire example.com/x v1.0.0+build\n").1, Some(2));
    assert_eq!(schema("module m\nrequire example.com/x v1.0.0+incompatible\n").1, Some(2));
    assert_eq!(
        schema("module m\nexclude example.com/x latest\n"),
        ("exclude example.com/x".to_owned(), Some(2))
    );
    assert_eq!(schema("module m\nreplace example.com/x => example.com/y master\n").1, Some(2));
    assert_eq!(schema("module m\nretract [v1.0.0, vX]\n").0, "retract");
    assert_eq!(schema("module m\ngo 1\n"), ("go".to_owned(), Some(2)));
    assert_eq!(schema("module m\ntoolchain 1.21.0\n"), ("toolchain".to_owned(), Some(2)));
}

#[test]
fn invalid_utf8_in_go_mod_and_go_sum() {
    match run(b"module m\nrequire example.com/\xc3x v1.0.0\n", &NoFileSystem) {
        Err(ExtractError::InvalidUtf8 { line, column, path, .. }) => {
            assert_eq!((line, column), (2, 21));
            assert_eq!(path, "svc/go.mod");
        }
        other => panic!("{other:?}"),
    }
    let fs = MapFs(HashMap::from([("svc/go.sum", &b"example.com/x v1.0.0 h1:\xff=\n"[..])]));
    match run(b"module m\nrequire example.com/x v1.0.0\n", &fs) {
        Err(ExtractError::InvalidUtf8 { path, line, .. }) => {
            assert_eq!(path, "svc/go.sum");
            assert_eq!(line, 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_go_sum_is_located() {
    let fs = MapFs(HashMap::from([(
        "svc/go.sum",
        &b"example.com/x v1.0.0 h1:abc=\nexample.com/x v1.0.0/go.mod\n"[..],
    )]));
    match run(b"module m\nrequire example.com/x v1.0.0\n", &fs) {
        Err(ExtractError::Syntax { path, line, .. }) => {
            assert_eq!(path, "svc/go.sum");
            assert_eq!(line, 2);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn crlf_and_version_specific_replace() {
    let text = "module m\r\n\r\nrequire (\r\n\texample.com/x v1.0.0\r\n\texample.com/y v1.0.0 // indirect\r\n)\r\n\
                replace example.com/x v0.9.0 => example.com/z v2.0.0+incompatible\r\n\
                replace example.com/y v1.0.0 => example.com/w v1.1.0\r\n";
    let inv = read(text).expect("reads");
    let names: Vec<(&str, bool)> = inv.packages.iter().map(|p| (p.name.as_str(), p.direct)).collect();
    assert_eq!(names, [("example.com/x", true), ("example.com/w", false)]);
}

#[test]
fn empty_and_module_only_files() {
    match read("// nothing but a comment\n") {
        Err(ExtractError::Schema { key_path, line, .. }) => {
            assert_eq!((key_path.as_str(), line), ("module", None))
        }
        other => panic!("a go.mod without a module directive is refused, as go does: {other:?}"),
    }
    let inv = read("module example.com/solo\n").expect("module only");
    assert_eq!(inv.roots[0].name, "example.com/solo");
    assert_eq!(inv.lockfiles[0].format_version, None);
}

#[test]
fn every_prefix_of_a_go_mod_reads_or_fails_cleanly() {
    let path = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lockfiles/go/syntax/go.mod");
    let bytes = fs_err::read(&path).expect("fixture");
    for end in 0..bytes.len() {
        if let Err(e) = run(&bytes[..end], &NoFileSystem) {
            assert_eq!(e.path(), "svc/go.mod");
        }
    }
}

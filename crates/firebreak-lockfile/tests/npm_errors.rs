//! `package-lock.json` failures and edge cases: located syntax errors, wrong types named
//! by key path, lockfile versions npm never wrote, bad bytes, hostile nesting, and the
//! resolution rules of hand-made lockfiles (git sources, nearest `node_modules`).

use camino::Utf8Path;
use firebreak_core::{DepKind, Inventory, NodeRef, PackageSource};
use firebreak_lockfile::{ExtractError, NoFileSystem, Source, extractor_by_hint};

fn run(bytes: &[u8]) -> Result<Inventory, ExtractError> {
    let extractor = extractor_by_hint("npm/package-lock").expect("registered");
    extractor.extract(&Source { path: Utf8Path::new("proj/package-lock.json"), bytes, files: &NoFileSystem })
}

fn read(text: &str) -> Result<Inventory, ExtractError> {
    run(text.as_bytes())
}

fn schema(text: &str) -> (String, Option<u32>, String, String) {
    match read(text) {
        Err(ExtractError::Schema { key_path, line, expected, found, path }) => {
            assert_eq!(path, "proj/package-lock.json");
            (key_path, line, expected, found)
        }
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[test]
fn truncated_json_is_a_located_syntax_error() {
    let text = "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\n      \"version\": \"1.0";
    match read(text) {
        Err(ExtractError::Syntax { line, column, path, message }) => {
            assert_eq!(path, "proj/package-lock.json");
            assert_eq!((line, column), (5, 21), "{message}");
            assert!(message.contains("EOF"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        read("{\"lockfileVersion\": 3,,}"),
        Err(ExtractError::Syntax { line: 1, column: 23, .. })
    ));
}

#[test]
fn wrong_types_name_the_key_path_and_line() {
    let (key, line, expected, found) = schema(
        "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\n      \"version\": 5\n    }\n  }\n}\n",
    );
    assert_eq!(key, "packages.\"node_modules/a\".version");
    assert_eq!(line, Some(5));
    assert_eq!(expected, "a string");
    assert_eq!(found, "integer `5`");

    let (key, ..) = schema(
        "{\"lockfileVersion\": 2, \"packages\": {\"\": {}, \"node_modules/@s/b\": {\"dependencies\": {\"c\": true}}}}",
    );
    assert_eq!(key, "packages.\"node_modules/@s/b\".dependencies.c");

    let (key, _, expected, _) = schema("{\"lockfileVersion\": 3, \"packages\": []}");
    assert_eq!((key.as_str(), expected.as_str()), ("packages", "an object"));

    let (key, ..) =
        schema("{\"lockfileVersion\": 3, \"packages\": {\"node_modules/a\": {\"dev\": \"yes\"}}}");
    assert_eq!(key, "packages.\"node_modules/a\".dev");

    let (key, ..) = schema(
        "{\"lockfileVersion\": 1, \"dependencies\": {\"a\": {\"version\": \"1.0.0\", \"dependencies\": {\"b\": {\"requires\": [\"c\"]}}}}}",
    );
    assert_eq!(key, "dependencies.a.dependencies.b.requires");
}

#[test]
fn not_an_object_is_a_schema_error() {
    for text in ["[]", "3", "\"package-lock\"", "null"] {
        let (key, line, expected, _) = schema(text);
        assert_eq!((key.as_str(), line), ("(top level)", Some(1)), "{text}");
        assert!(expected.contains("object"), "{expected}");
    }
}

#[test]
fn unknown_versions_are_unsupported() {
    for v in ["0", "4", "99", "-1", "\"3\"", "3.5", "null"] {
        match read(&format!("{{\"lockfileVersion\": {v}, \"packages\": {{}}}}")) {
            Err(ExtractError::UnsupportedVersion { found, format, supported, .. }) => {
                assert_eq!(found, v);
                assert_eq!(format, "package-lock.json");
                assert!(supported.contains("1, 2 and 3"), "{supported}");
            }
            other => panic!("version {v}: {other:?}"),
        }
    }
    let (key, ..) = schema("{\"name\": \"x\", \"packages\": {}}");
    assert_eq!(key, "lockfileVersion");
}

#[test]
fn invalid_utf8_is_located() {
    let bytes = b"{\n  \"lockfileVersion\": 3,\n  \"name\": \"a\xff\"\n}";
    match run(bytes) {
        Err(ExtractError::InvalidUtf8 { line, column, .. }) => assert_eq!((line, column), (3, 13)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn huge_nesting_is_refused_without_overflowing_the_stack() {
    for depth in [200usize, 100_000] {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(matches!(read(&text), Err(ExtractError::Schema { .. } | ExtractError::Syntax { .. })));
        let mut v1 = String::from("{\"lockfileVersion\": 1, \"dependencies\": ");
        for _ in 0..depth {
            v1.push_str("{\"a\": {\"version\": \"1.0.0\", \"dependencies\": ");
        }
        match read(&v1) {
            Err(ExtractError::Syntax { message, .. }) => {
                assert!(message.contains("recursion limit"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn every_prefix_of_a_real_lockfile_reads_or_fails_cleanly() {
    for case in ["v1/package-lock.json", "workspace/package-lock.json"] {
        let path = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lockfiles/npm").join(case);
        let bytes = fs_err::read(&path).expect("fixture");
        for end in 0..bytes.len() {
            if let Err(e) = run(&bytes[..end]) {
                assert_eq!(e.path(), "proj/package-lock.json");
            }
        }
    }
}

fn names(inv: &Inventory, from: NodeRef) -> Vec<String> {
    inv.edges
        .iter()
        .filter(|e| e.from == from)
        .map(|e| {
            let p = inv.package(e.to);
            format!("{}@{}", p.name, p.version)
        })
        .collect()
}

#[test]
fn resolution_takes_the_nearest_node_modules() {
    let text = r#"{
  "lockfileVersion": 3,
  "packages": {
    "": { "name": "app", "dependencies": { "a": "1", "b": "1" } },
    "node_modules/a": { "version": "1.0.0", "dependencies": { "c": "1" } },
    "node_modules/a/node_modules/c": { "version": "1.0.0", "dependencies": { "b": "*", "gone": "1" },
      "optionalDependencies": { "nope": "1" }, "peerDependencies": { "absent": "1" } },
    "node_modules/a/node_modules/b": { "version": "2.0.0" },
    "node_modules/b": { "version": "1.0.0", "dependencies": { "c": "*" } },
    "node_modules/c": { "version": "3.0.0", "dependencies": { "b": "*" } },
    "node_modules/@s/d": { "version": "1.0.0", "dependencies": { "b": "*" } },
    "node_modules/@s/d/node_modules/b": { "version": "4.0.0" }
  }
}"#;
    let inv = read(text).expect("reads");
    let id = |name: &str, version: &str| {
        NodeRef::Package(firebreak_core::PackageId(
            inv.packages.iter().position(|p| p.name == name && p.version == version).expect("package") as u32,
        ))
    };
    assert_eq!(names(&inv, NodeRef::Root(firebreak_core::RootId(0))), ["a@1.0.0", "b@1.0.0"]);
    assert_eq!(names(&inv, id("c", "1.0.0")), ["b@2.0.0"], "unresolvable ones are dropped");
    assert_eq!(names(&inv, id("b", "1.0.0")), ["c@3.0.0"]);
    assert_eq!(names(&inv, id("c", "3.0.0")), ["b@1.0.0"]);
    assert_eq!(names(&inv, id("@s/d", "1.0.0")), ["b@4.0.0"], "a scoped package's own node_modules");
    assert_eq!(inv.packages.iter().find(|p| p.name == "a").and_then(|p| p.location).map(|l| l.line), Some(5));
}

#[test]
fn sources_from_resolved() {
    let text = r#"{
  "lockfileVersion": 2,
  "packages": {
    "": { "dependencies": { "g": "github:u/g", "t": "https://example.com/t.tgz" } },
    "node_modules/g": { "version": "1.0.0", "resolved": "git+ssh://git@github.com/u/g.git#0123456789abcdef0123456789abcdef01234567" },
    "node_modules/t": { "version": "2.0.0", "resolved": "https://example.com/t.tgz", "integrity": "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk= sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==" }
  },
  "dependencies": { "this": "tree is not read in v2" }
}"#;
    let inv = read(text).expect("reads");
    assert_eq!(
        inv.packages[0].source,
        PackageSource::Git {
            url: "ssh://git@github.com/u/g.git".into(),
            rev: Some("0123456789abcdef0123456789abcdef01234567".into())
        }
    );
    assert_eq!(inv.packages[1].source, PackageSource::Url { url: "https://example.com/t.tgz".into() });
    assert_eq!(inv.packages[1].hashes.len(), 2);
    assert!(inv.packages.iter().all(|p| p.direct));
}

#[test]
fn v1_aliases_git_and_missing_manifest() {
    let text = r#"{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "x": { "version": "npm:@scope/real@4.17.21", "resolved": "https://registry.npmjs.org/@scope/real/-/real-4.17.21.tgz" },
    "g": { "version": "github:u/g#0123456", "from": "github:u/g", "requires": { "x": "npm:@scope/real@^4" } },
    "d": { "version": "1.0.0", "dev": true, "optional": true, "requires": { "missing": "1" } }
  }
}"#;
    let inv = read(text).expect("reads");
    let x = &inv.packages[0];
    assert_eq!(
        (x.name.as_str(), x.version.as_str(), x.alias.as_deref()),
        ("@scope/real", "4.17.21", Some("x"))
    );
    assert_eq!(
        inv.packages[1].source,
        PackageSource::Git { url: "github:u/g".into(), rev: Some("0123456".into()) }
    );
    // Without package.json, the top-level entries nothing requires are the direct ones.
    let root = NodeRef::Root(firebreak_core::RootId(0));
    let kinds: Vec<(String, DepKind)> = inv
        .edges
        .iter()
        .filter(|e| e.from == root)
        .map(|e| (inv.package(e.to).name.clone(), e.kind))
        .collect();
    assert_eq!(kinds, [("g".to_owned(), DepKind::Normal), ("d".to_owned(), DepKind::Dev)]);
    assert!(inv.packages[2].flags.dev && inv.packages[2].flags.optional);
    assert_eq!(inv.roots[0].version.as_deref(), Some("1.0.0"));
}

#[test]
fn empty_packages_and_links_to_nowhere() {
    let inv = read("{\"lockfileVersion\": 3}").expect("reads");
    assert!(inv.packages.is_empty());
    let inv = read(
        "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/l\": {\"link\": true, \"resolved\": \"../nowhere\"}, \"node_modules/m\": {\"link\": true}}}",
    )
    .expect("reads");
    assert!(inv.packages.is_empty());
}

#[test]
fn crlf_and_minified_lockfiles_read_to_the_same_graph() {
    let path =
        Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lockfiles/npm/v3/package-lock.json");
    let text = fs_err::read_to_string(&path).expect("fixture");
    let lf = read(&text).expect("reads");
    let crlf = read(&text.replace('\n', "\r\n")).expect("reads with CRLF");
    assert_eq!(crlf, lf, "same graph and the same lines");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    let minified = read(&value.to_string()).expect("reads minified");
    assert_eq!(minified.edges, lf.edges);
    assert!(minified.packages.iter().all(|p| p.location.is_some_and(|l| l.line == 1)));
}

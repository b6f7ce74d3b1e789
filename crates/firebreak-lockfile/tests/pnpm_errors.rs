//! `pnpm-lock.yaml` failures and edge cases: located syntax errors, schema errors with
//! key paths, versions pnpm's readers would refuse, hostile YAML (alias bombs, bad
//! UTF-8), and hand-written shapes the fixtures do not cover (git, directories, aliases).

use std::time::{Duration, Instant};

use camino::Utf8Path;
use firebreak_core::{DepKind, Inventory, NodeRef, PackageSource};
use firebreak_lockfile::{ExtractError, NoFileSystem, Source, extractor_by_hint};

fn read_bytes(bytes: &[u8]) -> Result<Inventory, ExtractError> {
    let extractor = extractor_by_hint("pnpm-lock.yaml").expect("registered");
    extractor.extract(&Source { path: Utf8Path::new("proj/pnpm-lock.yaml"), bytes, files: &NoFileSystem })
}

fn read(text: &str) -> Result<Inventory, ExtractError> {
    read_bytes(text.as_bytes())
}

fn schema(text: &str) -> (String, Option<u32>, String, String) {
    match read(text) {
        Err(ExtractError::Schema { key_path, line, expected, found, path }) => {
            assert_eq!(path, "proj/pnpm-lock.yaml");
            (key_path, line, expected, found)
        }
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[test]
fn truncated_yaml_is_a_located_syntax_error() {
    let text =
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      ms:\n        specifier: '^2";
    match read(text) {
        Err(err @ ExtractError::Syntax { line, .. }) => {
            assert_eq!(line, 8, "{err}");
            let shown = err.to_string();
            assert!(shown.starts_with("failed to parse `proj/pnpm-lock.yaml` at 8:23"), "{shown}");
            assert!(shown.contains("quoted scalar"), "{shown}");
        }
        other => panic!("{other:?}"),
    }
    match read("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {resolution: {integrity: x}\n") {
        Err(ExtractError::Syntax { line, column, .. }) => assert_eq!((line, column), (4, 1)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_types_are_schema_errors_with_key_paths() {
    let (key, line, expected, found) =
        schema("lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n    dependencies: [b]\n");
    assert_eq!(key, "packages./a@1.0.0.dependencies");
    assert_eq!(line, Some(4));
    assert_eq!((expected.as_str(), found.as_str()), ("a map", "sequence"));

    let (key, line, expected, _) =
        schema("lockfileVersion: 5.4\npackages:\n  /a/1.0.0:\n    dev: sometimes\n");
    assert_eq!((key.as_str(), line, expected.as_str()), ("packages./a/1.0.0.dev", Some(4), "a boolean"));

    let (key, _, expected, found) = schema("lockfileVersion: '9.0'\nsnapshots: 3\n");
    assert_eq!((key.as_str(), expected.as_str(), found.as_str()), ("snapshots", "a map", "integer `3`"));

    let (key, _, expected, _) =
        schema("lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a: [1]\n");
    assert_eq!(key, "importers...dependencies");
    assert!(expected.contains("`{specifier, version}`"), "{expected}");

    let (key, _, expected, _) = schema("- lockfileVersion\n");
    assert_eq!((key.as_str(), expected.as_str()), ("(document)", "a mapping"));

    let (key, line, expected, _) = schema("lockfileVersion: '9.0'\nsnapshots:\n  '@scope': {}\n");
    assert_eq!(key, "snapshots.\"@scope\"");
    assert_eq!(line, Some(3));
    assert!(expected.contains("name@version"), "{expected}");
}

#[test]
fn unknown_lockfile_versions_are_refused() {
    for (text, found) in [
        ("lockfileVersion: 5.3\n", "5.3"),
        ("lockfileVersion: '7.0'\n", "7.0"),
        ("lockfileVersion: '10.0'\npackages: {}\n", "10.0"),
        ("lockfileVersion: 6\n", "6"),
    ] {
        match read(text) {
            Err(err @ ExtractError::UnsupportedVersion { .. }) => {
                let ExtractError::UnsupportedVersion { found: f, format, .. } = &err else { unreachable!() };
                assert_eq!((f.as_str(), *format), (found, "pnpm-lock.yaml"));
                assert!(err.to_string().contains("9.0 (pnpm 9 and 10)"), "{err}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    // The version is checked before the layout, so a future layout gets the version error.
    assert!(matches!(
        read("lockfileVersion: '11.0'\npackages: [1, 2]\n"),
        Err(ExtractError::UnsupportedVersion { .. })
    ));
    let (key, ..) = schema("packages: {}\n");
    assert_eq!(key, "lockfileVersion");
    let (key, _, expected, _) = schema("lockfileVersion: [1]\n");
    assert_eq!((key.as_str(), expected.as_str()), ("lockfileVersion", "a number or a string"));
}

#[test]
fn invalid_utf8_is_located() {
    let bytes = b"lockfileVersion: '9.0'\nimporters:\n  .: {}\npackages:\n  a\xff@1.0.0: {}\n";
    match read_bytes(bytes) {
        Err(ExtractError::InvalidUtf8 { line, column, .. }) => assert_eq!((line, column), (5, 4)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_files_are_refused_clearly() {
    for text in ["", "\n\n", "   \n"] {
        let (key, _, expected, found) = schema(text);
        assert_eq!(
            (key.as_str(), expected.as_str(), found.as_str()),
            ("lockfileVersion", "a pnpm lockfile", "an empty file")
        );
    }
    // A comment-only file parses as YAML null.
    assert!(read("# nothing\n").is_err());
}

/// The classic "billion laughs": nine levels of nine aliases, 10^9 strings once expanded.
fn billion_laughs() -> String {
    let mut text = String::from(
        "lockfileVersion: '9.0'\npackages:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("  {next}: &{next} [{refs}]\n"));
    }
    text
}

#[test]
fn yaml_bombs_fail_fast() {
    let start = Instant::now();
    match read(&billion_laughs()) {
        Err(err @ ExtractError::Syntax { line: 4, column: 10, .. }) => {
            assert!(err.to_string().contains("aliases"), "{err}");
        }
        other => panic!("{other:?}"),
    }
    // A wide bomb: one anchored list of 100,000 items aliased 100,000 times (1 MB) is
    // 10^10 nodes to a parser that expands aliases; it must be refused just as fast.
    let mut wide = String::from("lockfileVersion: '9.0'\nx: &x [");
    wide.push_str(&"1,".repeat(100_000));
    wide.push_str("1]\ny: [");
    wide.push_str(&"*x,".repeat(100_000));
    wide.push_str("*x]\n");
    assert!(matches!(read(&wide), Err(ExtractError::Syntax { line: 3, column: 5, .. })));
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}

#[test]
fn stars_in_quoted_values_are_not_aliases() {
    let text = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: '*'\n        version: 1.0.0\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-AAAA}\n    peerDependencies:\n      b: '*'\nsnapshots:\n  a@1.0.0: {}\n";
    let inv = read(text).expect("reads");
    assert_eq!(inv.edges[0].requested.as_deref(), Some("*"));
    assert_eq!(inv.packages[0].location.map(|l| l.line), Some(9));
}

#[test]
fn hand_written_sources_and_links() {
    // Shapes pnpm writes for git, local directory and file: dependencies, a dependency on a
    // directory outside the workspace, an `npm:` alias whose target also appears unaliased,
    // and a dependency a merge left dangling.
    let text = r"lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      gitdep:
        specifier: github:user/gitdep#abc
        version: git+https://github.com/user/gitdep.git#0123456789abcdef
      localdir:
        specifier: file:../localdir
        version: file:../localdir
      outside:
        specifier: link:../outside
        version: link:../outside
      alias:
        specifier: npm:real@1.0.0
        version: real@1.0.0
      real:
        specifier: 1.0.0
        version: 1.0.0
      gone:
        specifier: ^1.0.0
        version: 1.2.3

packages:

  gitdep@git+https://github.com/user/gitdep.git#0123456789abcdef:
    resolution: {commit: 0123456789abcdef, repo: https://github.com/user/gitdep.git, type: git}
    version: 2.0.0

  localdir@file:../localdir:
    resolution: {directory: ../localdir, type: directory}
    version: 0.1.0

  real@1.0.0:
    resolution: {integrity: sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=}

snapshots:

  gitdep@git+https://github.com/user/gitdep.git#0123456789abcdef:
    dependencies:
      real: 1.0.0

  localdir@file:../localdir: {}

  real@1.0.0: {}
";
    let inv = read(text).expect("reads");
    let find = |name: &str| inv.packages.iter().find(|p| p.name == name).expect(name);
    let git = find("gitdep");
    assert_eq!(git.version, "2.0.0");
    assert_eq!(
        git.source,
        PackageSource::Git {
            url: "https://github.com/user/gitdep.git".into(),
            rev: Some("0123456789abcdef".into())
        }
    );
    assert_eq!(find("localdir").source, PackageSource::Path { path: "../localdir".into() });
    let outside = find("outside");
    assert_eq!(
        (outside.version.as_str(), &outside.source),
        ("link:../outside", &PackageSource::Path { path: "../outside".into() })
    );
    let real = find("real");
    assert_eq!(real.alias.as_deref(), Some("alias"));
    assert_eq!(real.hashes.len(), 1);
    assert_eq!(real.hashes[0].value, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_eq!(inv.packages.len(), 4, "the dangling `gone` adds nothing");
    let to_real: Vec<(NodeRef, Option<&str>)> = inv
        .edges
        .iter()
        .filter(|e| inv.package(e.to).name == "real")
        .map(|e| (e.from, e.requested.as_deref()))
        .collect();
    assert_eq!(to_real.len(), 3, "{to_real:?}");
    assert!(inv.edges.iter().all(|e| e.kind == DepKind::Normal));
}

#[test]
fn v5_single_project_with_peer_suffixes_and_flags() {
    let text = "lockfileVersion: 5.4\n\nspecifiers:\n  a: ^1.0.0\n  '@s/p': ^2.0.0\n\ndependencies:\n  a: 1.0.0_@s+p@2.0.0\n\noptionalDependencies:\n  '@s/p': 2.0.0\n\npackages:\n\n  /a/1.0.0_@s+p@2.0.0:\n    resolution: {integrity: sha512-AAAA}\n    peerDependencies:\n      '@s/p': ^2.0.0\n    dependencies:\n      '@s/p': 2.0.0\n    dev: false\n\n  /@s/p/2.0.0:\n    resolution: {integrity: sha512-AAAA}\n    dev: false\n    optional: true\n";
    let inv = read(text).expect("reads");
    let names: Vec<(&str, &str, u32)> = inv
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.location.map_or(0, |l| l.line)))
        .collect();
    assert_eq!(names, [("@s/p", "2.0.0", 23), ("a", "1.0.0", 15)]);
    let peer = inv.edges.iter().find(|e| e.kind == DepKind::Peer).expect("peer edge");
    assert_eq!(peer.requested.as_deref(), Some("^2.0.0"));
    assert!(inv.packages[0].flags.optional && !inv.packages[1].flags.optional);
    assert_eq!(inv.roots[0].name, ".");
    assert_eq!(inv.roots[0].path, "");
}

#[test]
fn deep_nesting_fails_fast() {
    // libyaml's cost grows with nesting depth at every token: 100,000 levels took minutes
    // before the depth guard.
    let start = Instant::now();
    let text = format!(
        "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    match read(&text) {
        Err(err @ ExtractError::Syntax { line: 3, .. }) => {
            assert!(err.to_string().contains("nested"), "{err}")
        }
        other => panic!("{other:?}"),
    }
    let blocks = format!("lockfileVersion: '9.0'\npackages:\n{}", "  - {\n".repeat(100_000));
    assert!(matches!(read(&blocks), Err(ExtractError::Syntax { .. })));
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}

#[test]
fn schema_errors_read_well() {
    let err =
        read("lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n    dependencies: [b]\n").expect_err("bad");
    assert_eq!(
        err.to_string(),
        "failed to read `proj/pnpm-lock.yaml` at `packages./a@1.0.0.dependencies` (line 4): expected a map, found sequence"
    );
}

#[test]
fn every_truncation_and_byte_flip_of_a_real_lockfile_is_handled() {
    // No panic, whatever the cut or the damage; a cut at a line end often still parses.
    let root = camino::Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for format in ["pnpm-v5.4", "pnpm-v6", "pnpm-v9"] {
        let path = root.join(format!("fixtures/lockfiles/npm/{format}/workspace/pnpm-lock.yaml"));
        let bytes = fs_err::read(&path).expect("fixture");
        let (mut tried, mut errors) = (0, 0);
        for cut in (0..bytes.len()).step_by(3) {
            tried += 1;
            errors += usize::from(read_bytes(&bytes[..cut]).is_err());
        }
        assert!(errors > tried / 4, "{format}: many cuts are errors ({errors} of {tried})");
        for (i, flip) in
            (0..bytes.len()).step_by(7).zip([b'[', b'{', b':', b'\'', b'"', b'*', b'\n', 0xff].iter().cycle())
        {
            let mut damaged = bytes.clone();
            damaged[i] = *flip;
            let _ = read_bytes(&damaged);
        }
    }
}

#[test]
fn aliases_inside_the_graph() {
    let text = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1.0.0\n        version: 1.0.0\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-AAAA}\n  real@2.0.0:\n    resolution: {integrity: sha512-AAAA}\nsnapshots:\n  a@1.0.0:\n    dependencies:\n      renamed: real@2.0.0\n  real@2.0.0: {}\n";
    let inv = read(text).expect("reads");
    let real = inv.packages.iter().position(|p| p.name == "real").expect("real");
    assert_eq!(inv.packages[real].alias.as_deref(), Some("renamed"));
    assert!(
        inv.edges.iter().any(|e| e.to.index() == real && e.from != NodeRef::Root(firebreak_core::RootId(0)))
    );
    assert!(!inv.packages[real].direct);
}

/// A v9 lockfile of `n` packages, each depending on the next three, every tenth also in a
/// second peer-suffixed copy.
fn synthetic_v9(n: usize) -> String {
    let mut text = String::from(
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      p0:\n        specifier: ^1.0.0\n        version: 1.0.0\n\npackages:\n\n",
    );
    for i in 0..n {
        text.push_str(&format!("  p{i}@1.0.0:\n    resolution: {{integrity: sha512-AAAA}}\n\n"));
    }
    text.push_str("snapshots:\n\n");
    for i in 0..n {
        let deps: String = (i + 1..(i + 4).min(n)).map(|d| format!("      p{d}: 1.0.0\n")).collect();
        let body = if deps.is_empty() { " {}\n".to_owned() } else { format!("\n    dependencies:\n{deps}") };
        text.push_str(&format!("  p{i}@1.0.0:{body}\n"));
        if i % 10 == 0 {
            text.push_str(&format!("  p{i}@1.0.0(p0@1.0.0):{body}\n"));
        }
    }
    text
}

#[test]
fn large_lockfiles_read_in_one_pass() {
    let n = 10_000;
    let text = synthetic_v9(n);
    let start = Instant::now();
    let inv = read(&text).expect("reads");
    let elapsed = start.elapsed();
    assert_eq!(inv.packages.len(), n, "peer copies merged");
    assert_eq!(inv.edges.len(), 1 + 3 * (n - 3) + 2 + 1);
    assert!(inv.packages.iter().all(|p| p.location.is_some() && !p.flags.dev && p.members.len() == 1));
    assert_eq!(inv.packages.iter().find(|p| p.name == "p10").map(|p| p.paths.len()), Some(2));
    // Generous for a debug build on a loaded machine; quadratic behaviour would take minutes.
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
}

//! PyPI lockfile failures and edge cases: located syntax errors, schema errors with key
//! paths, versions the tools never wrote, include cycles and missing includes, invalid
//! UTF-8, hand-written source kinds, and no panic on truncated or corrupted input.

use std::collections::HashMap;

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_core::{DepKind, Inventory, PackageSource};
use firebreak_lockfile::{ExtractError, FileSystem, NoFileSystem, Source, extractor_for};

/// Files by path, for includes and manifests beside an in-memory lockfile.
struct MapFs(HashMap<&'static str, &'static [u8]>);

impl FileSystem for MapFs {
    fn read(&self, path: &Utf8Path) -> std::io::Result<Vec<u8>> {
        self.0
            .get(path.as_str())
            .map(|s| s.to_vec())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

fn run(path: &str, bytes: &[u8], files: &dyn FileSystem) -> Result<Inventory, ExtractError> {
    let path = Utf8Path::new(path);
    let extractor = extractor_for(path).expect("registered");
    extractor.extract(&Source { path, bytes, files })
}

fn read(path: &str, text: &str) -> Result<Inventory, ExtractError> {
    run(path, text.as_bytes(), &NoFileSystem)
}

fn syntax(path: &str, text: &str) -> (u32, u32) {
    match read(path, text) {
        Err(ExtractError::Syntax { line, column, path: p, .. }) => {
            assert_eq!(p, path);
            (line, column)
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

fn schema(path: &str, text: &str) -> (String, Option<u32>) {
    match read(path, text) {
        Err(ExtractError::Schema { key_path, line, .. }) => (key_path, line),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

fn unsupported(path: &str, text: &str) -> String {
    match read(path, text) {
        Err(ExtractError::UnsupportedVersion { found, .. }) => found,
        other => panic!("expected an unsupported version, got {other:?}"),
    }
}

#[test]
fn malformed_toml_and_json_are_located() {
    assert_eq!(syntax("p/uv.lock", "version = 1\n\n[[package]]\nname = \"a\nversion = \"1\"\n").0, 4);
    assert_eq!(syntax("p/poetry.lock", "[[package]]\nname = \"a\"\nversion = 1.0.0\n").0, 3);
    assert_eq!(syntax("p/pdm.lock", "[metadata]\nlock_version = \"4.5.0\"\n[[package]\n").0, 3);
    assert_eq!(syntax("p/pylock.toml", "lock-version = \"1.0\"\n[[packages]]\nname = = \"x\"\n").0, 3);
    let (line, column) =
        syntax("p/Pipfile.lock", "{\n  \"_meta\": {\"pipfile-spec\": 6},\n  \"default\": {,}\n}");
    assert_eq!((line, column), (3, 15));
}

#[test]
fn unknown_versions_are_unsupported() {
    assert_eq!(unsupported("uv.lock", "version = 2\n"), "2");
    assert_eq!(unsupported("poetry.lock", "[metadata]\nlock-version = \"3.0\"\n"), "3.0");
    assert_eq!(unsupported("pdm.lock", "[metadata]\nlock_version = \"5.0\"\n"), "5.0");
    assert_eq!(unsupported("pylock.toml", "lock-version = \"2.0\"\n"), "2.0");
    assert_eq!(unsupported("Pipfile.lock", "{\"_meta\": {\"pipfile-spec\": 7}, \"default\": {}}"), "7");
    assert_eq!(unsupported("Pipfile.lock", "{\"default\": {}}"), "none");
    let message = read("uv.lock", "version = 2\n").unwrap_err().to_string();
    assert!(message.contains("`uv.lock` is uv.lock version `2`"), "{message}");
}

#[test]
fn schema_errors_name_the_key_and_line() {
    let (key, line) = schema("uv.lock", "version = 1\n\n[[package]]\nname = 5\nversion = \"1.0\"\n");
    assert_eq!((key.as_str(), line), ("package[0].name", Some(4)));
    let (key, line) = schema(
        "uv.lock",
        "version = 1\n[[package]]\nname = \"a\"\nversion = \"1.0\"\nsource = { registry = \"x\" }\ndependencies = [{ name = \"missing\" }]\n",
    );
    assert_eq!((key.as_str(), line), ("package[0].dependencies[0]", Some(6)));
    let (key, line) = schema(
        "poetry.lock",
        "[[package]]\nname = \"a\"\nversion = \"not a version\"\n\n[metadata]\nlock-version = \"2.0\"\n",
    );
    assert_eq!((key.as_str(), line), ("package[0].version", Some(3)));
    let (key, _) = schema(
        "pdm.lock",
        "[metadata]\nlock_version = \"4.4\"\n[[package]]\nname = \"a\"\nversion = \"1\"\nfiles = [{file = \"a\", hash = \"sha256:zz\"}]\n",
    );
    assert_eq!(key, "package[0].files[0].hash");
    let (key, line) = schema("pylock.toml", "lock-version = \"1.0\"\n[[packages]]\nversion = \"1.0\"\n");
    assert_eq!((key.as_str(), line), ("packages[0].name", Some(2)));
    let (key, _) =
        schema("Pipfile.lock", r#"{"_meta": {"pipfile-spec": 6}, "default": {"a": {"version": 1}}}"#);
    assert_eq!(key, "default.\"a\".version");
    let (key, line) = schema("requirements.txt", "a==1.0\n\nb==not-a-version\n");
    assert_eq!((key.as_str(), line), ("line 3", Some(3)));
    let (key, line) = schema("requirements.txt", "a==1.0 --hash=sha256:xyz\n");
    assert_eq!((key.as_str(), line), ("line 1", Some(1)));
}

#[test]
fn include_cycles_and_missing_includes_are_errors_at_the_line() {
    let fs = MapFs(HashMap::from([
        ("proj/a.txt", b"x==1\n-r sub/b.txt\n" as &[u8]),
        ("proj/sub/b.txt", b"# back to the top\n-r ../requirements.txt\n"),
    ]));
    match run("proj/requirements.txt", b"-r a.txt\n", &fs) {
        Err(ExtractError::Include { path, line, include, source }) => {
            assert_eq!(path, Utf8PathBuf::from("proj/sub/b.txt"));
            assert_eq!(line, 2);
            assert_eq!(include, "../requirements.txt");
            let message = source.to_string();
            assert!(message.contains("include cycle"), "{message}");
            assert!(message.contains("`a.txt` -> `sub/b.txt` -> `requirements.txt`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match run("proj/requirements.txt", b"a==1\n\n-c missing.txt\n", &fs) {
        Err(ExtractError::Include { path, line: 3, include, source }) => {
            assert_eq!(path, Utf8PathBuf::from("proj/requirements.txt"));
            assert_eq!(include, "missing.txt");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    // From stdin there is no directory to read includes from.
    assert!(matches!(read("requirements.txt", "-r other.txt\n"), Err(ExtractError::Include { line: 1, .. })));
    // Includes by URL are not fetched, and an include needs a file name.
    match read("requirements.txt", "a==1\n-r https://example.org/r.txt\n") {
        Err(ExtractError::Include { line: 2, source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::Unsupported);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        read("requirements.txt", "--requirement\n"),
        Err(ExtractError::Schema { line: Some(1), .. })
    ));
    // A file including itself.
    assert!(matches!(read("requirements.txt", "-r ./requirements.txt\n"), Err(ExtractError::Include { .. })));
}

#[test]
fn invalid_utf8_is_located_in_every_format() {
    for name in ["requirements.txt", "uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "pylock.toml"] {
        match run(name, b"# ok\n\xff\n", &NoFileSystem) {
            Err(ExtractError::InvalidUtf8 { line: 2, column: 1, .. }) => {}
            other => panic!("{name}: {other:?}"),
        }
    }
    let fs = MapFs(HashMap::from([("p/inc.txt", b"ok==1\nbad\xfe==2\n" as &[u8])]));
    match run("p/requirements.txt", b"-r inc.txt\n", &fs) {
        Err(ExtractError::InvalidUtf8 { path, line: 2, .. }) => assert_eq!(path, "p/inc.txt"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn hand_written_sources() {
    let pylock = r#"lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
created-by = "hand"

[[packages]]
name = "Flask_Login"
version = "0.6.3"
marker = "python_version >= '3.8'"
dependencies = [{ name = "werkzeug" }]
archive = { url = "https://example.org/flask_login-0.6.3.tar.gz", hashes = { sha256 = "AB12" } }

[[packages]]
name = "werkzeug"
vcs = { type = "git", url = "https://github.com/pallets/werkzeug", commit-id = "0123abcd" }

[[packages]]
name = "mylib"
directory = { path = "./mylib", editable = true }
"#;
    let inv = read("pylock.dev.toml", pylock).expect("reads");
    assert_eq!(inv.packages[0].name, "flask-login");
    assert_eq!(inv.packages[0].hashes[0].value, "ab12");
    assert!(matches!(&inv.packages[1].source, PackageSource::Git { rev: Some(r), .. } if r == "0123abcd"));
    assert!(matches!(&inv.packages[2].source, PackageSource::Path { path } if path == "./mylib"));
    assert_eq!(inv.edges.len(), 1);

    let poetry = r#"[[package]]
name = "a"
version = "1.0"
optional = false
python-versions = "*"
files = []

[package.dependencies]
b = [
    {version = "1.0", markers = "python_version < \"3.10\""},
    {version = "2.0", markers = "python_version >= \"3.10\""},
]
c = {version = "*", optional = true}

[[package]]
name = "b"
version = "1.0"
files = []

[[package]]
name = "b"
version = "2.0"
files = []

[[package]]
name = "c"
version = "0.0.0"
files = []

[package.source]
type = "git"
url = "https://github.com/example/c.git"
reference = "main"
resolved_reference = "f00dfeed"

[metadata]
lock-version = "2.0"
python-versions = "*"
content-hash = "x"
"#;
    let fs = MapFs(HashMap::from([(
        "pyproject.toml",
        b"[project]\nname = \"app\"\ndependencies = [\"A>=1\"]\n" as &[u8],
    )]));
    let inv = run("poetry.lock", poetry.as_bytes(), &fs).expect("reads");
    assert_eq!(inv.roots[0].name, "app");
    assert!(matches!(&inv.packages[3].source, PackageSource::Git { rev: Some(r), .. } if r == "f00dfeed"));
    assert!(inv.packages[3].flags.optional);
    let from_a =
        inv.edges.iter().filter(|e| e.from == firebreak_core::NodeRef::Package(firebreak_core::PackageId(0)));
    assert_eq!(from_a.clone().count(), 3, "each `b` table matches its own version, plus `c`");
    assert!(from_a.clone().any(|e| e.kind == DepKind::Optional));

    let pipfile = r#"{"_meta": {"pipfile-spec": 6},
 "default": {"mypkg": {"git": "https://github.com/example/mypkg.git", "ref": "abc123"},
             "local": {"path": "./local", "editable": true}},
 "develop": {"Pytest": {"version": "==8.0.0", "hashes": []}}}"#;
    let inv = read("Pipfile.lock", pipfile).expect("reads");
    assert_eq!(inv.packages.len(), 3);
    let find = |name: &str| inv.packages.iter().find(|p| p.name == name).expect(name);
    assert!(matches!(&find("mypkg").source, PackageSource::Git { rev: Some(r), .. } if r == "abc123"));
    assert_eq!(find("mypkg").location.map(|l| l.line), Some(2));
    assert!(matches!(&find("local").source, PackageSource::Path { path } if path == "./local"));
    assert!(find("pytest").flags.dev && !find("local").flags.dev);
}

/// Every prefix and a spread of single-byte corruptions of every fixture: errors are fine,
/// panics are not.
#[test]
fn truncated_and_corrupted_fixtures_never_panic() {
    let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixtures = [
        "fixtures/lockfiles/pypi/uv/workspace/uv.lock",
        "fixtures/lockfiles/pypi/poetry/lock-1.1/poetry.lock",
        "fixtures/lockfiles/pypi/poetry/lock-2.1/poetry.lock",
        "fixtures/lockfiles/pypi/pipenv/basic/Pipfile.lock",
        "fixtures/lockfiles/pypi/pdm/basic/pdm.lock",
        "fixtures/lockfiles/pypi/pylock/uv-export/pylock.toml",
        "fixtures/lockfiles/pypi/requirements/handwritten/requirements.txt",
    ];
    for fixture in fixtures {
        let bytes = fs_err::read(root.join(fixture)).expect("fixture");
        let name = fixture.rsplit('/').next().expect("name");
        let step = (bytes.len() / 60).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = run(name, &bytes[..cut], &NoFileSystem);
            let mut corrupted = bytes.clone();
            for (i, b) in [b'"', b'[', b'\\', b'=', b'\n', b'{', 0xC3].into_iter().enumerate() {
                if let Some(slot) = corrupted.get_mut(cut + i * 7) {
                    *slot = b;
                }
            }
            let _ = run(name, &corrupted, &NoFileSystem);
        }
    }
}

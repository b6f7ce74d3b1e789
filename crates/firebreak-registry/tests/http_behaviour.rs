//! The shared HTTP layer against a local server: credentials, cache, offline mode, retries,
//! budget, size cap, 404 and malformed documents.

mod common;

use std::time::Duration;

use firebreak_registry::{
    AuthScope, ClientOptions, Credential, Registries, Registry, RegistryError, Secret, TrustLevel,
};
use firebreak_test::FixtureRegistry;
use reqwest::Url;

fn scope_of(fx: &FixtureRegistry, path: &str) -> AuthScope {
    let url = Url::parse(&fx.host_url(path)).expect("fixture URL");
    AuthScope::from_url(&url).expect("a URL with a host")
}

#[tokio::test]
async fn credentials_go_only_to_their_host_and_path() {
    let fx = common::fixture();
    let other = common::fixture();
    common::install_crypto();
    let mut config = common::config_for(&fx);
    config
        .credentials
        .insert(scope_of(&fx, "registry.npmjs.org"), Credential::Bearer(Secret::new("npm_SECRET")));
    assert!(!format!("{config:?}").contains("npm_SECRET"));
    let regs = Registries::new(config.clone(), common::fast_options(None)).unwrap();
    regs.npm.history("axios").await.unwrap();
    regs.pypi.history("detectkit").await.unwrap();
    let npm = fx.requests_to("/registry.npmjs.org/axios");
    assert_eq!(npm[0].header("authorization"), Some("Bearer npm_SECRET"));
    assert_eq!(
        npm[0].header("accept"),
        Some("application/json"),
        "the full packument, not the abbreviated one"
    );
    for r in fx.requests().iter().filter(|r| r.path.starts_with("/pypi.org/")) {
        assert_eq!(r.header("authorization"), None, "{}", r.path);
    }
    // Same host name and path, another port: nothing sent.
    let moved = config.with_npm_registry(Url::parse(&other.npm_url()).unwrap());
    let regs = Registries::new(moved, common::fast_options(None)).unwrap();
    regs.npm.history("axios").await.unwrap();
    assert_eq!(other.requests_to("/registry.npmjs.org/axios")[0].header("authorization"), None);
}

#[tokio::test]
async fn scoped_names_are_sent_encoded() {
    let fx = common::fixture();
    fx.set_document(
        "/registry.npmjs.org/@acme%2fwidget",
        r#"{"name":"@acme/widget","versions":{"1.0.0":{"name":"@acme/widget","version":"1.0.0","gypfile":true}},
            "time":{"1.0.0":"2025-01-01T00:00:00.000Z"}}"#,
    );
    let regs = common::registries(&fx, common::fast_options(None));
    let h = regs.npm.history("@acme/widget").await.unwrap();
    let r = h.release("1.0.0").unwrap();
    assert_eq!(r.install_scripts.get("install").map(String::as_str), Some("node-gyp rebuild"));
    assert_eq!(r.trust.level, TrustLevel::None);
    assert!(matches!(regs.npm.history("@acme/../x").await, Err(RegistryError::InvalidName { .. })));
}

#[tokio::test]
async fn the_cache_revalidates_and_serves_offline() {
    let fx = common::fixture();
    let cache = tempfile::tempdir().unwrap();
    let first = common::registries(&fx, common::fast_options(Some(cache.path())));
    let cold = first.npm.history("axios").await.unwrap();
    let log = fx.requests_to("/registry.npmjs.org/axios");
    assert_eq!((log.len(), log[0].status, log[0].header("if-none-match")), (1, 200, None));

    let second = common::registries(&fx, common::fast_options(Some(cache.path())));
    let warm = second.npm.history("axios").await.unwrap();
    assert_eq!(warm, cold);
    let log = fx.requests_to("/registry.npmjs.org/axios");
    assert_eq!(log.len(), 2);
    assert!(log[1].header("if-none-match").is_some(), "a conditional request");
    assert_eq!(log[1].status, 304);

    // Fresh enough: no request at all.
    let fresh =
        ClientOptions { fresh_for: Duration::from_secs(600), ..common::fast_options(Some(cache.path())) };
    common::registries(&fx, fresh).npm.history("axios").await.unwrap();
    assert_eq!(fx.requests_to("/registry.npmjs.org/axios").len(), 2);

    // Offline: the cache only, and a distinct error for what it does not hold.
    let offline = ClientOptions { offline: true, ..common::fast_options(Some(cache.path())) };
    let regs = common::registries(&fx, offline);
    fx.clear_log();
    assert_eq!(regs.npm.history("axios").await.unwrap(), cold);
    let err = regs.npm.history("form-data").await.unwrap_err();
    assert!(matches!(err, RegistryError::NotCached { .. }), "{err}");
    assert!(err.is_unchecked());
    assert!(err.to_string().contains("/registry.npmjs.org/form-data"), "{err}");
    assert!(fx.requests().is_empty(), "offline sent {:?}", fx.requests());

    // A validator whose body is gone is a miss, not a 304 the client cannot use.
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "body") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let regs = common::registries(&fx, common::fast_options(Some(cache.path())));
    assert_eq!(regs.npm.history("axios").await.unwrap(), cold);
    let log = fx.requests_to("/registry.npmjs.org/axios");
    assert_eq!((log.len(), log[0].status, log[0].header("if-none-match")), (1, 200, None));
}

/// The cached history files (`<key>.npm-history`) in a cache directory.
fn history_files(cache: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = fs_err::read_dir(cache)
        .expect("the cache directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "npm-history"))
        .collect();
    out.sort();
    out
}

/// Replaces every cached packument body with text that is not JSON: a read that still
/// succeeds was answered by the cached history, not by parsing the body.
fn spoil_bodies(cache: &std::path::Path) {
    for entry in fs_err::read_dir(cache).expect("the cache directory") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "body") {
            fs_err::write(path, "not json").expect("a writable cache");
        }
    }
}

#[tokio::test]
async fn the_parsed_history_is_cached_next_to_the_document() {
    let fx = common::fixture();
    let cache = tempfile::tempdir().unwrap();
    let cold = common::registries(&fx, common::fast_options(Some(cache.path())));
    let parsed = cold.npm.history("axios").await.unwrap();
    assert_eq!(history_files(cache.path()).len(), 1);

    // A hit: the body is not read again, offline, fresh or after a 304.
    spoil_bodies(cache.path());
    let offline = ClientOptions { offline: true, ..common::fast_options(Some(cache.path())) };
    assert_eq!(common::registries(&fx, offline).npm.history("axios").await.unwrap(), parsed);
    let fresh =
        ClientOptions { fresh_for: Duration::from_secs(600), ..common::fast_options(Some(cache.path())) };
    assert_eq!(common::registries(&fx, fresh).npm.history("axios").await.unwrap(), parsed);
    fx.clear_log();
    let revalidating = common::registries(&fx, common::fast_options(Some(cache.path())));
    assert_eq!(revalidating.npm.history("axios").await.unwrap(), parsed);
    assert_eq!(fx.requests_to("/registry.npmjs.org/axios")[0].status, 304);
}

#[tokio::test]
async fn a_changed_document_replaces_the_cached_history() {
    let fx = common::fixture();
    let cache = tempfile::tempdir().unwrap();
    let doc = |versions: &[&str]| {
        let entries: Vec<String> =
            versions.iter().map(|v| format!(r#""{v}":{{"name":"widget","version":"{v}"}}"#)).collect();
        format!(r#"{{"name":"widget","versions":{{{}}}}}"#, entries.join(","))
    };
    let versions = |h: &firebreak_registry::PackageHistory| {
        let mut v: Vec<String> = h.releases.iter().map(|r| r.version.clone()).collect();
        v.sort();
        v
    };
    fx.set_document("/registry.npmjs.org/widget", doc(&["1.0.0"]));
    let regs = common::registries(&fx, common::fast_options(Some(cache.path())));
    assert_eq!(versions(&regs.npm.history("widget").await.unwrap()), ["1.0.0"]);
    let old = history_files(cache.path());
    let old_bytes = fs_err::read(&old[0]).unwrap();

    // A new ETag: the 200 replaces the document, and its history with it.
    fx.set_document("/registry.npmjs.org/widget", doc(&["1.0.0", "1.0.1"]));
    let regs = common::registries(&fx, common::fast_options(Some(cache.path())));
    assert_eq!(versions(&regs.npm.history("widget").await.unwrap()), ["1.0.0", "1.0.1"]);
    assert_eq!(fx.requests_to("/registry.npmjs.org/widget").last().unwrap().status, 200);
    assert_eq!(history_files(cache.path()), old, "one history per document");
    assert_ne!(fs_err::read(&old[0]).unwrap(), old_bytes);

    // The history of the old document put back is refused: it was read from another body.
    fs_err::write(&old[0], &old_bytes).unwrap();
    let offline = ClientOptions { offline: true, ..common::fast_options(Some(cache.path())) };
    let regs = common::registries(&fx, offline);
    assert_eq!(versions(&regs.npm.history("widget").await.unwrap()), ["1.0.0", "1.0.1"]);
}

#[tokio::test]
async fn a_damaged_cached_history_is_ignored_and_rebuilt() {
    let fx = common::fixture();
    let cache = tempfile::tempdir().unwrap();
    let parsed =
        common::registries(&fx, common::fast_options(Some(cache.path()))).npm.history("axios").await.unwrap();
    let file = history_files(cache.path()).remove(0);
    let good = fs_err::read(&file).unwrap();
    let offline = ClientOptions { offline: true, ..common::fast_options(Some(cache.path())) };
    let mut flipped_payload = good.clone();
    *flipped_payload.last_mut().unwrap() ^= 0x55;
    let mut flipped_header = good.clone();
    flipped_header[9] ^= 0x01;
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("header only", good[..40].to_vec()),
        ("truncated", good[..good.len() - 7].to_vec()),
        ("payload byte flipped", flipped_payload),
        ("format changed", flipped_header),
        ("trailing bytes", [good.as_slice(), b"x"].concat()),
        ("garbage", vec![0xff; good.len()]),
    ];
    for (what, bytes) in damaged {
        fs_err::write(&file, &bytes).unwrap();
        let regs = common::registries(&fx, offline.clone());
        assert_eq!(regs.npm.history("axios").await.unwrap(), parsed, "{what}");
        assert_eq!(fs_err::read(&file).unwrap(), good, "{what}: rebuilt from the document");
    }
    // A damaged history with a damaged body: the body's error, not a guess.
    fs_err::write(&file, b"junk").unwrap();
    spoil_bodies(cache.path());
    let err = common::registries(&fx, offline).npm.history("axios").await.unwrap_err();
    assert!(matches!(err, RegistryError::Malformed { .. }), "{err}");
}

#[tokio::test]
async fn retries_on_503_and_429_then_gives_up_naming_the_count() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    fx.fail("/registry.npmjs.org/axios", &[503, 429]);
    regs.npm.history("axios").await.unwrap();
    let statuses: Vec<u16> = fx.requests_to("/registry.npmjs.org/axios").iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 429, 200]);

    fx.fail("/registry.npmjs.org/form-data", &[500, 502, 503, 503, 503]);
    let err = regs.npm.history("form-data").await.unwrap_err();
    match &err {
        RegistryError::Status { status, retries, .. } => assert_eq!((*status, *retries), (503, 3)),
        other => panic!("{other}"),
    }
    assert_eq!(fx.requests_to("/registry.npmjs.org/form-data").len(), 4);
    assert_eq!(regs.http.requests_sent(), 7);

    // A client error is not retried.
    fx.fail("/registry.npmjs.org/proxy-from-env", &[403]);
    let err = regs.npm.history("proxy-from-env").await.unwrap_err();
    assert!(matches!(err, RegistryError::Status { status: 403, retries: 0, .. }), "{err}");
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    let fx = common::fixture();
    let options = ClientOptions { max_backoff: Duration::from_millis(300), ..common::fast_options(None) };
    let regs = common::registries(&fx, options);
    let canned = |secs: &str| firebreak_test::Canned {
        status: 429,
        headers: vec![("retry-after".into(), secs.into())],
        body: Vec::new(),
    };
    fx.queue("/registry.npmjs.org/axios", canned("3600"));
    let start = std::time::Instant::now();
    regs.npm.history("axios").await.unwrap();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(300), "waited {waited:?}, less than the cap");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}: Retry-After was not capped");
}

#[tokio::test]
async fn connection_failures_name_the_host_and_retries() {
    common::install_crypto();
    // Bind then drop a listener: nothing listens on that port afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = firebreak_registry::RegistryConfig::default()
        .with_npm_registry(Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap());
    let options = ClientOptions { max_retries: 2, ..common::fast_options(None) };
    let regs = Registries::new(config, options).unwrap();
    let err = regs.npm.history("axios").await.unwrap_err();
    match &err {
        RegistryError::Network { host, retries, .. } => {
            assert_eq!((host.as_str(), *retries), ("127.0.0.1", 2))
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("`127.0.0.1` after 2 retries"), "{err}");
}

#[tokio::test]
async fn the_request_budget_is_enforced() {
    let fx = common::fixture();
    let options = ClientOptions { request_budget: Some(1), ..common::fast_options(None) };
    let regs = common::registries(&fx, options);
    regs.npm.history("axios").await.unwrap();
    let err = regs.npm.history("form-data").await.unwrap_err();
    assert!(matches!(err, RegistryError::BudgetExhausted { limit: 1, .. }), "{err}");
    assert!(err.is_unchecked());
    assert!(fx.requests_to("/registry.npmjs.org/form-data").is_empty());
}

#[tokio::test]
async fn documents_over_the_size_cap_are_refused() {
    let fx = common::fixture();
    let options = ClientOptions { max_document_size: 4096, ..common::fast_options(None) };
    let regs = common::registries(&fx, options);
    let err = regs.npm.history("axios").await.unwrap_err();
    assert!(matches!(err, RegistryError::TooLarge { limit: 4096, .. }), "{err}");
    assert!(err.to_string().contains("4096-byte limit"), "{err}");
}

#[tokio::test]
async fn the_size_cap_counts_decompressed_bytes() {
    use std::io::Write;
    let fx = common::fixture();
    let options = ClientOptions { max_document_size: 1 << 20, ..common::fast_options(None) };
    let regs = common::registries(&fx, options);
    let gzip = |body: &[u8]| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(body).unwrap();
        enc.finish().unwrap()
    };
    let canned = |body: Vec<u8>| firebreak_test::Canned {
        status: 200,
        headers: vec![("content-encoding".into(), "gzip".into())],
        body,
    };
    // A small gzip answer decodes normally.
    fx.queue("/registry.npmjs.org/small", canned(gzip(br#"{"name":"small","versions":{"1.0.0":{}}}"#)));
    assert_eq!(regs.npm.history("small").await.unwrap().releases.len(), 1);
    // 8 MiB of spaces compress to a few KiB: the cap applies to what is inflated.
    let bomb = gzip(&vec![b' '; 8 << 20]);
    assert!(bomb.len() < 1 << 20);
    fx.queue("/registry.npmjs.org/bomb", canned(bomb));
    let err = regs.npm.history("bomb").await.unwrap_err();
    assert!(matches!(err, RegistryError::TooLarge { size: None, .. }), "{err}");
}

#[tokio::test]
async fn a_missing_package_is_not_found() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    for (eco, name) in [
        (firebreak_core::Ecosystem::Npm, "no-such-package"),
        (firebreak_core::Ecosystem::PyPI, "no-such-package"),
        (firebreak_core::Ecosystem::CratesIo, "no-such-crate"),
    ] {
        let err = regs.for_ecosystem(eco).unwrap().history(name).await.unwrap_err();
        match err {
            RegistryError::NotFound { url, status } => {
                assert_eq!(status, 404);
                assert!(url.contains(name), "{url}");
            }
            other => panic!("{eco:?}: {other}"),
        }
    }
}

#[tokio::test]
async fn malformed_fields_are_warnings_and_broken_documents_errors() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    fx.set_document(
        "/registry.npmjs.org/odd",
        r#"{"name":"odd","maintainers":"nobody",
            "time":{"1.0.0":"yesterday","1.1.0":"2025-02-01T00:00:00Z","2.0.0":42},
            "versions":{
              "1.0.0":{"dependencies":["a"],"scripts":{"postinstall":7,"preinstall":"node x.js"}},
              "1.1.0":{"dist":{"shasum":"zz","signatures":"no"},"_npmUser":"me"},
              "not.a.version":{},
              "2.0.0":"a string"}}"#,
    );
    let h = regs.npm.history("odd").await.unwrap();
    assert_eq!(h.releases.len(), 3);
    let w = h.warnings.join("\n");
    for path in [
        "`$.maintainers`",
        r#"`$.time["1.0.0"]`"#,
        r#"`$.time["2.0.0"]`"#,
        r#"`$.versions["1.0.0"].dependencies`"#,
        r#"`$.versions["1.0.0"].scripts.postinstall`"#,
        r#"`$.versions["1.1.0"].dist.shasum`"#,
        r#"`$.versions["1.1.0"].dist.signatures`"#,
        r#"`$.versions["1.1.0"]._npmUser`"#,
        r#"`$.versions["not.a.version"]`"#,
        r#"`$.versions["2.0.0"]`"#,
    ] {
        assert!(w.contains(path), "no warning for {path} in\n{w}");
    }
    let r = h.release("1.0.0").unwrap();
    assert_eq!(r.published, None);
    assert_eq!(r.install_scripts.len(), 1);
    assert!(h.release("not.a.version").unwrap().parsed.is_none());
    assert_eq!(h.sorted().len(), 2);

    fx.set_document("/registry.npmjs.org/broken", "{\"name\": \"broken\", \"versions\": {\n  \"1.0.0\": [}");
    let err = regs.npm.history("broken").await.unwrap_err();
    let RegistryError::Malformed { url, path, .. } = &err else { panic!("{err}") };
    assert!(url.ends_with("/registry.npmjs.org/broken"), "{url}");
    assert!(path.contains("$.versions") && path.contains("line 2"), "{path}");
    fx.set_document("/registry.npmjs.org/array", "[1, 2]");
    let err = regs.npm.history("array").await.unwrap_err();
    assert!(matches!(&err, RegistryError::Malformed { path, .. } if path == "$"), "{err}");

    // PyPI: a release with a bad upload time and a non-list of files.
    fx.set_document(
        "/pypi.org/pypi/oddpy/json",
        r#"{"info":{"name":"oddpy","version":"2.0"},"releases":{
            "1.0":[{"filename":"oddpy-1.0.tar.gz","upload_time_iso_8601":"soon","yanked":"maybe"}],
            "2.0":{"files":[]},
            "banana!":[]}}"#,
    );
    let h = regs.pypi.history("oddpy").await.unwrap();
    let w = h.warnings.join("\n");
    assert!(w.contains(r#"`$.releases["1.0"][0].upload_time_iso_8601`"#), "{w}");
    assert!(w.contains(r#"`$.releases["1.0"][0].yanked`"#), "{w}");
    assert!(w.contains(r#"`$.releases["2.0"]`"#), "{w}");
    assert!(w.contains(r#"`$.releases["banana!"]`"#), "{w}");
    assert!(w.contains("simple API"), "the simple page is missing: {w}");

    // crates.io: one bad index line among good ones.
    fx.set_document(
        "/index.crates.io/3/o/odd",
        "{\"name\":\"odd\",\"vers\":\"0.1.0\",\"deps\":[],\"cksum\":\"00\"}\nnot json\n{\"name\":\"odd\",\"vers\":\"x.y\"}\n",
    );
    let h = regs.crates.history("odd").await.unwrap();
    let w = h.warnings.join("\n");
    assert_eq!(h.releases.len(), 2);
    assert!(w.contains("`line 1.cksum`"), "{w}");
    assert!(w.contains("`line 2`"), "{w}");
    assert!(w.contains("`line 3.vers`"), "{w}");
    assert!(w.contains("versions API"), "{w}");
}

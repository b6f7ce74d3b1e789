//! The crates.io side of the proxy in process, in front of the end-to-end fixture upstream
//! (`fixtures/proxy`: logwise 0.3.2 published 30 days ago, 0.3.3 two hours ago, times
//! relative to now): index filtering, publish times, the fail modes, path validation and
//! the checksum of downloads.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use firebreak_advisory::Database;
use firebreak_server::decide::Advisories;
use firebreak_server::proxy::{AuditLog, Proxy, ProxyOptions, system_clock};
use firebreak_test::FixtureRegistry;
use serde_json::Value;

const COOLDOWN: &str = "[registry]\nmin_release_age = \"3d\"\n";
const INDEX: &str = "/cargo/index/lo/gw/logwise";
const UPSTREAM_INDEX: &str = "/index.crates.io/lo/gw/logwise";
const VERSIONS_API: &str = "/crates.io/api/v1/crates/logwise/versions";

struct Running {
    fx: FixtureRegistry,
    addr: SocketAddr,
    client: reqwest::Client,
    audit: tempfile::NamedTempFile,
    _cache: tempfile::TempDir,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// The index file as served: (version, yanked) per line.
    async fn index(&self) -> (reqwest::header::HeaderMap, Vec<(String, bool)>) {
        let r = self.get(INDEX).await;
        assert_eq!(r.status(), 200);
        let headers = r.headers().clone();
        let body = r.text().await.expect("body");
        let lines = body
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("index line is JSON");
                (v["vers"].as_str().expect("vers").to_owned(), v["yanked"].as_bool().expect("yanked"))
            })
            .collect();
        (headers, lines)
    }

    fn audit_lines(&self) -> Vec<Value> {
        fs_err::read_to_string(self.audit.path())
            .expect("audit log")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }
}

async fn start(policy: &str) -> Running {
    let fx = FixtureRegistry::start(firebreak_test::proxy_fixtures());
    start_with(fx, policy).await
}

async fn start_with(fx: FixtureRegistry, policy: &str) -> Running {
    let policy = firebreak_policy::parse("firebreak.toml", policy).expect("policy");
    let cache = tempfile::tempdir().expect("cache dir");
    let options = ProxyOptions {
        cargo_upstream: reqwest::Url::parse(&fx.crates_index_url()).expect("url"),
        cargo_api_upstream: reqwest::Url::parse(&fx.crates_api_url()).expect("url"),
        cache_dir: Some(cache.path().to_owned()),
        ..ProxyOptions::default()
    };
    let audit = tempfile::NamedTempFile::new().expect("audit file");
    let log = AuditLog::open(audit.path()).expect("open audit log");
    let db = Advisories::Open(Mutex::new(Database::open_in_memory().expect("in-memory database")));
    let proxy =
        Proxy::new(options, policy, db, Some(log), system_clock(), Arc::new(|_: &str| {})).expect("proxy");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { proxy.serve(listener, None, std::future::pending()).await });
    Running { fx, addr, client: reqwest::Client::new(), audit, _cache: cache }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_json_sends_downloads_through_the_proxy_and_has_no_api() {
    let run = start(COOLDOWN).await;
    let r = run.get("/cargo/index/config.json").await;
    assert_eq!(r.status(), 200);
    let config: Value = r.json().await.expect("json");
    assert_eq!(config["dl"], format!("http://{}/cargo/api/v1/crates", run.addr));
    assert!(config.get("api").is_none(), "{config}");
    assert!(run.fx.requests().is_empty(), "{:?}", run.fx.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_young_release_is_yanked_in_the_index_and_the_old_line_is_untouched() {
    let run = start(COOLDOWN).await;
    let (headers, lines) = run.index().await;
    assert_eq!(lines, [("0.3.2".to_owned(), false), ("0.3.3".to_owned(), true)]);
    assert_eq!(headers.get("x-firebreak-blocked").and_then(|v| v.to_str().ok()), Some("1"));
    let served = run.get(INDEX).await.text().await.expect("body");
    let upstream =
        fs_err::read_to_string(firebreak_test::proxy_fixtures().join("index.crates.io/lo/gw/logwise"))
            .expect("fixture index");
    assert_eq!(served.lines().next(), upstream.lines().next());

    // Cargo revalidates with the served ETag.
    let etag = headers.get("etag").expect("etag").clone();
    let r = run.client.get(run.url(INDEX)).header("if-none-match", etag).send().await.expect("request");
    assert_eq!(r.status(), 304);

    let audit = run.audit_lines();
    assert!(
        audit.iter().any(|l| l["ecosystem"] == "cargo"
            && l["version"] == "0.3.3"
            && l["request"] == "document"
            && l["rule"] == "release-too-young"),
        "{audit:?}"
    );

    // Allowed by the exemption, the young line is served as upstream wrote it.
    let run = start(&format!("{COOLDOWN}\n[proxy]\nallow = [\"logwise@0.3.3\"]\n")).await;
    assert_eq!(run.index().await.1, [("0.3.2".to_owned(), false), ("0.3.3".to_owned(), false)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_pubtime_spares_the_versions_api() {
    let fx = FixtureRegistry::start(firebreak_test::proxy_fixtures());
    let upstream =
        fs_err::read_to_string(firebreak_test::proxy_fixtures().join("index.crates.io/lo/gw/logwise"))
            .expect("fixture index");
    let timed = upstream
        .replace("\"vers\":\"0.3.2\",", "\"vers\":\"0.3.2\",\"pubtime\":\"{{now-30d}}\",")
        .replace("\"vers\":\"0.3.3\",", "\"vers\":\"0.3.3\",\"pubtime\":\"{{now-2h}}\",");
    fx.set_document(UPSTREAM_INDEX, timed);
    let run = start_with(fx, COOLDOWN).await;
    assert_eq!(run.index().await.1, [("0.3.2".to_owned(), false), ("0.3.3".to_owned(), true)]);
    assert!(run.fx.requests_to(VERSIONS_API).is_empty(), "{:?}", run.fx.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_publish_times_on_unavailable_decides() {
    for (policy, yanked) in [
        (COOLDOWN.to_owned(), true),
        (format!("{COOLDOWN}\n[proxy]\non_unavailable = {{ release_age = \"allow\" }}\n"), false),
    ] {
        let fx = FixtureRegistry::start(firebreak_test::proxy_fixtures());
        fx.fail(VERSIONS_API, &[500, 500]);
        let run = start_with(fx, &policy).await;
        let (headers, lines) = run.index().await;
        assert_eq!(lines, [("0.3.2".to_owned(), yanked), ("0.3.3".to_owned(), yanked)], "{policy}");
        let fallback = headers.get("x-firebreak-fallback").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(fallback.starts_with("release_age unavailable"), "{fallback}");
        if yanked {
            let r = run.get("/cargo/api/v1/crates/logwise/0.3.2/download").await;
            assert_eq!(r.status(), 403);
            assert!(r.text().await.expect("body").contains("publish-time-missing"));
            // The failure is not remembered: once the API answers, the times are known.
            assert_eq!(run.index().await.1, [("0.3.2".to_owned(), false), ("0.3.3".to_owned(), true)]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_are_checked_against_the_index_checksum() {
    let run = start(COOLDOWN).await;
    let r = run.get("/cargo/api/v1/crates/logwise/0.3.2/download").await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.expect("body");
    let expected =
        fs_err::read(firebreak_test::proxy_fixtures().join("static.crates.io/crates/logwise/0.3.2/download"))
            .expect("fixture crate");
    assert_eq!(bytes.as_ref(), expected.as_slice());

    let r = run.get("/cargo/api/v1/crates/logwise/0.3.3/download").await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.expect("body");
    assert!(body.contains("release-too-young") && body.contains("\"logwise@0.3.3\""), "{body}");
    assert!(run.fx.requests_to("/static.crates.io/crates/logwise/0.3.3/download").is_empty());

    let r = run.get("/cargo/api/v1/crates/logwise/9.9.9/download").await;
    assert_eq!(r.status(), 404);

    // Other bytes under the same URL are refused, logged, and not cached.
    let fx = FixtureRegistry::start(firebreak_test::proxy_fixtures());
    fx.set_document("/static.crates.io/crates/logwise/0.3.2/download", b"not the crate".to_vec());
    let run = start_with(fx, COOLDOWN).await;
    for _ in 0..2 {
        let r = run.get("/cargo/api/v1/crates/logwise/0.3.2/download").await;
        assert_eq!(r.status(), 502);
        assert!(r.text().await.expect("body").contains("do not match the index checksum"));
    }
    assert_eq!(run.fx.requests_to("/static.crates.io/crates/logwise/0.3.2/download").len(), 2);
    assert!(
        run.audit_lines().iter().any(|l| l["rule"] == "integrity-mismatch" && l["version"] == "0.3.2"),
        "{:?}",
        run.audit_lines()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_cargo_paths_get_400_before_anything_is_fetched() {
    let run = start(COOLDOWN).await;
    for path in [
        "/cargo/index/ab/cd/logwise",
        "/cargo/index/Lo/gw/LogWise",
        "/cargo/index/lo/gw/log%20wise",
        "/cargo/index/lo/gw/logwise/x",
        "/cargo/api/v1/crates/logwise/latest/download",
        "/cargo/api/v1/crates/log%2fwise/0.3.2/download",
        "/cargo/api/v1/crates/logwise/0.3.2",
        "/cargo/something",
    ] {
        assert_eq!(run.get(path).await.status(), 400, "{path}");
    }
    let r = run.client.put(run.url(INDEX)).body("x").send().await.expect("request");
    assert_eq!(r.status(), 405);
    assert!(run.fx.requests().is_empty(), "{:?}", run.fx.requests());
    assert_eq!(run.get("/cargo/index/no/ne/nonexistent").await.status(), 404);
}

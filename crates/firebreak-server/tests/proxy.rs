//! The npm proxy in process, in front of the fixture registry (`fixtures/registry`): the
//! axios March-2026 scenario, caching, failure modes and operations.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use firebreak_advisory::Database;
use firebreak_core::Timestamp;
use firebreak_registry::{AuthScope, Credential, Credentials, Secret};
use firebreak_server::decide::Advisories;
use firebreak_server::proxy::{AuditLog, Clock, Proxy, ProxyOptions};
use firebreak_test::FixtureRegistry;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

/// Two days after the axios releases of 2026-03-31: 1.14.1 and 0.30.4 are inside a
/// three-day cooldown, everything else is weeks old.
const APRIL_2: &str = "2026-04-02T00:00:00Z";

fn clock(at: &str) -> Clock {
    let t = Timestamp::parse(at).expect("timestamp");
    Arc::new(move || t)
}

struct Setup {
    policy: &'static str,
    advisories: Option<Advisories>,
    options: ProxyOptions,
    audit: bool,
    at: &'static str,
}

impl Default for Setup {
    fn default() -> Self {
        Setup { policy: "", advisories: None, options: ProxyOptions::default(), audit: false, at: APRIL_2 }
    }
}

struct Running {
    fx: FixtureRegistry,
    proxy: Proxy,
    addr: SocketAddr,
    client: reqwest::Client,
    audit: Option<tempfile::NamedTempFile>,
    logs: Arc<Mutex<Vec<String>>>,
    _cache: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    async fn json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.expect("json")
    }

    fn audit_lines(&self) -> Vec<Value> {
        let path = self.audit.as_ref().expect("audit log").path();
        fs_err::read_to_string(path)
            .expect("audit log")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }

    async fn stop(self) {
        let fx = self.stop_proxy().await;
        tokio::task::spawn_blocking(move || drop(fx)).await.expect("fixture stops");
    }

    /// Stops the proxy (gracefully: `serve` must return) and hands back the upstream.
    async fn stop_proxy(mut self) -> FixtureRegistry {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            let done = tokio::time::timeout(Duration::from_secs(15), served).await;
            assert!(matches!(done, Ok(Ok(Ok(())))), "serve did not end cleanly: {done:?}");
        }
        self.fx
    }
}

fn empty_db() -> Advisories {
    Advisories::Open(Mutex::new(Database::open_in_memory().expect("in-memory database")))
}

async fn start(setup: Setup) -> Running {
    let fx = FixtureRegistry::start(firebreak_test::registry_fixtures());
    start_with(fx, setup).await
}

async fn start_with(fx: FixtureRegistry, setup: Setup) -> Running {
    let policy = firebreak_policy::parse("firebreak.toml", setup.policy).expect("policy");
    let cache = tempfile::tempdir().expect("cache dir");
    let mut options = setup.options;
    options.npm_upstream = reqwest::Url::parse(&fx.npm_url()).expect("url");
    if options.cache_dir.is_none() {
        options.cache_dir = Some(cache.path().to_owned());
    }
    let audit_file = setup.audit.then(|| tempfile::NamedTempFile::new().expect("audit file"));
    let audit = audit_file.as_ref().map(|f| AuditLog::open(f.path()).expect("open audit log"));
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = logs.clone();
    let proxy = Proxy::new(
        options,
        policy,
        setup.advisories.unwrap_or_else(empty_db),
        audit,
        clock(setup.at),
        Arc::new(move |m: &str| sink.lock().expect("log").push(m.to_owned())),
    )
    .expect("proxy");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = proxy.clone();
    let served = tokio::spawn(async move {
        serving
            .serve(listener, None, async {
                let _ = rx.await;
            })
            .await
    });
    Running {
        fx,
        proxy,
        addr,
        client: reqwest::Client::new(),
        audit: audit_file,
        logs,
        _cache: cache,
        stop: Some(tx),
        served: Some(served),
    }
}

/// A recorded npm tarball of the fixture registry (the bytes its packument's digests are of).
fn recorded(name: &str, version: &str) -> Vec<u8> {
    let path =
        firebreak_test::registry_fixtures().join(format!("registry.npmjs.org/{name}/-/{name}-{version}.tgz"));
    fs_err::read(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn stand_in(name: &str, version: &str) -> Vec<u8> {
    format!("stand-in artifact bytes of {name}@{version}\n").into_bytes()
}

fn sri(bytes: &[u8]) -> String {
    format!("sha512-{}", base64::engine::general_purpose::STANDARD.encode(Sha512::digest(bytes)))
}

fn versions(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["versions"].as_object().expect("versions").keys().cloned().collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axios_with_a_three_day_cooldown_resolves_to_1_14_0() {
    let run = start(Setup { audit: true, ..Setup::default() }).await;
    let full = run.json("/npm/axios").await;
    let kept = versions(&full);
    assert!(!kept.contains(&"1.14.1".to_owned()), "{kept:?}");
    assert!(!kept.contains(&"0.30.4".to_owned()), "{kept:?}");
    assert!(kept.contains(&"1.14.0".to_owned()) && kept.contains(&"0.30.3".to_owned()), "{kept:?}");
    assert_eq!(full["dist-tags"], json!({ "latest": "1.14.0" }), "latest repointed, v0 dropped");
    assert!(full["time"].get("1.14.1").is_none() && full["time"].get("1.14.0").is_some());
    assert!(full["time"].get("created").is_some());
    let tarball = full["versions"]["1.14.0"]["dist"]["tarball"].as_str().unwrap();
    assert_eq!(tarball, run.url("/npm/axios/-/axios-1.14.0.tgz"));
    // The publishing facts stay in the full document.
    assert!(full["versions"]["1.14.0"].get("_npmUser").is_some());

    let r = run
        .client
        .get(run.url("/npm/axios"))
        .header("accept", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.npm.install-v1+json", "npm's Accept header");
    let prefers_full = run
        .client
        .get(run.url("/npm/axios"))
        .header("accept", "application/vnd.npm.install-v1+json; q=0.5, application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(prefers_full.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["content-type"], "application/vnd.npm.install-v1+json");
    let notice = r.headers()["npm-notice"].to_str().unwrap().to_owned();
    // npm prints the notice only for responses it does not cache.
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(notice.contains("1.14.1") && notice.contains("0.30.4"), "{notice}");
    let abbreviated: Value = r.json().await.unwrap();
    assert_eq!(versions(&abbreviated), kept);
    assert_eq!(abbreviated["dist-tags"]["latest"], "1.14.0");
    assert!(abbreviated.get("time").is_none());
    assert!(abbreviated["versions"]["1.14.0"].get("_npmUser").is_none());
    assert_eq!(abbreviated["versions"]["1.14.0"]["dist"]["tarball"], tarball);
    assert!(abbreviated["modified"].is_string());

    // One upstream request for the three documents.
    assert_eq!(run.fx.requests_to("/registry.npmjs.org/axios").len(), 1);

    // The blocked tarball: 403 with one sentence naming the rule and the exemption.
    let r = run.get("/npm/axios/-/axios-1.14.1.tgz").await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    let sentence = body["error"].as_str().unwrap();
    assert!(sentence.starts_with("firebreak proxy blocked axios@1.14.1 by rule `"), "{sentence}");
    assert!(
        sentence.contains("add \"axios@1.14.1\" to `allow` in the `[proxy]` table of firebreak.toml"),
        "{sentence}"
    );
    assert!(!sentence.contains('\n'));
    assert!(run.fx.requests_to("/registry.npmjs.org/axios/-/axios-1.14.1.tgz").is_empty(), "never fetched");

    // The allowed one is fetched, verified and served.
    run.fx.set_document("/registry.npmjs.org/axios/-/axios-1.14.0.tgz", recorded("axios", "1.14.0"));
    let r = run.get("/npm/axios/-/axios-1.14.0.tgz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), recorded("axios", "1.14.0"));

    // A version document by version and by dist-tag.
    assert_eq!(run.json("/npm/axios/latest").await["version"], "1.14.0");
    assert_eq!(run.get("/npm/axios/1.14.1").await.status(), 403);

    let lines = run.audit_lines();
    let blocked: Vec<&Value> = lines.iter().filter(|l| l["decision"] == "blocked").collect();
    assert!(blocked.iter().any(|l| l["version"] == "1.14.1" && l["request"] == "artifact"), "{lines:?}");
    let line = blocked[0];
    assert_eq!(line["ecosystem"], "npm");
    assert_eq!(line["package"], "axios");
    assert!(line["client"].as_str().unwrap().starts_with("127.0.0.1:"), "{line}");
    assert!(line["time"].as_str().unwrap().ends_with('Z'));
    assert!(!line["rule"].as_str().unwrap().is_empty());
    assert!(
        lines
            .iter()
            .any(|l| l["version"] == "1.14.0" && l["decision"] == "allowed" && l["request"] == "artifact")
    );
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cooldown_is_the_rule_and_lifts_once_the_release_is_old_enough() {
    // Trust signals off, so that the cooldown alone decides.
    let policy = "[signals]\ntrust-downgrade = \"off\"\nnew-publisher = \"off\"\nmaintainer-email-changed = \"off\"\n[registry]\nmin_release_age_suspicious = \"3d\"\n";
    let run = start(Setup { policy, ..Setup::default() }).await;
    let body: Value = run.get("/npm/axios/-/axios-1.14.1.tgz").await.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("by rule `release-too-young`"), "{body}");
    run.stop().await;

    let later = start(Setup { policy, at: "2026-04-05T00:00:00Z", ..Setup::default() }).await;
    let full = later.json("/npm/axios").await;
    assert!(versions(&full).contains(&"1.14.1".to_owned()), "{full}");
    assert_eq!(full["dist-tags"]["latest"], "1.14.1");
    later.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_malicious_releases_are_blocked_from_the_advisory_store() {
    let db = Database::from_default_snapshot().expect("embedded snapshot");
    let run = start(Setup {
        advisories: Some(Advisories::Open(Mutex::new(db))),
        at: "2026-11-01T00:00:00Z",
        ..Setup::default()
    })
    .await;
    let full = run.json("/npm/axios").await;
    assert!(!versions(&full).contains(&"1.14.1".to_owned()));
    let body: Value = run.get("/npm/axios/-/axios-1.14.1.tgz").await.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("by rule `known-malicious MAL-"), "{body}");
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_names_in_both_spellings() {
    let fx = FixtureRegistry::start(firebreak_test::registry_fixtures());
    let bytes = stand_in("@acme/widgets", "1.0.0");
    let tarball = format!("{}@acme/widgets/-/widgets-1.0.0.tgz", fx.npm_url());
    let doc = json!({
        "name": "@acme/widgets",
        "dist-tags": { "latest": "1.0.0" },
        "time": { "created": "2025-01-01T00:00:00.000Z", "1.0.0": "2025-01-01T00:00:00.000Z" },
        "versions": { "1.0.0": {
            "name": "@acme/widgets", "version": "1.0.0",
            "dist": { "tarball": tarball, "integrity": sri(&bytes) }
        } }
    });
    fx.set_document("/registry.npmjs.org/@acme%2fwidgets", doc.to_string());
    fx.set_document("/registry.npmjs.org/@acme/widgets/-/widgets-1.0.0.tgz", bytes.clone());
    let run = start_with(fx, Setup::default()).await;
    let a = run.json("/npm/@acme%2fwidgets").await;
    let b = run.json("/npm/@acme/widgets").await;
    assert_eq!(a, b);
    assert_eq!(a["versions"]["1.0.0"]["dist"]["tarball"], run.url("/npm/@acme/widgets/-/widgets-1.0.0.tgz"));
    let r = run.get("/npm/@acme/widgets/-/widgets-1.0.0.tgz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), bytes);
    assert_eq!(run.get("/npm/@acme%2fwidgets/-/widgets-1.0.0.tgz").await.status(), 200);
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_allow_list_lets_a_version_through() {
    let policy = "[proxy]\nallow = [\"axios@1.14.1\", \"@acme/*\"]\n";
    let run = start(Setup { policy, audit: true, ..Setup::default() }).await;
    let full = run.json("/npm/axios").await;
    let kept = versions(&full);
    assert!(kept.contains(&"1.14.1".to_owned()) && !kept.contains(&"0.30.4".to_owned()), "{kept:?}");
    assert_eq!(full["dist-tags"]["latest"], "1.14.1");
    run.fx.set_document("/registry.npmjs.org/axios/-/axios-1.14.1.tgz", recorded("axios", "1.14.1"));
    assert_eq!(run.get("/npm/axios/-/axios-1.14.1.tgz").await.status(), 200);
    let lines = run.audit_lines();
    let line = lines.iter().find(|l| l["version"] == "1.14.1").expect("audited");
    assert_eq!(line["decision"], "allowed");
    assert_eq!(line["rule"], "allow-list");
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integrity_mismatch_is_never_served_nor_cached() {
    let run = start(Setup { audit: true, ..Setup::default() }).await;
    let path = "/registry.npmjs.org/axios/-/axios-1.13.2.tgz";
    run.fx.set_document(path, b"tampered bytes".to_vec());
    let r = run.get("/npm/axios/-/axios-1.13.2.tgz").await;
    assert_eq!(r.status(), 502);
    let body = r.text().await.unwrap();
    assert!(body.contains("do not match the published digest"), "{body}");
    assert!(!body.contains("tampered"));
    assert!(run.logs.lock().unwrap().iter().any(|l| l.contains("not served")));
    let lines = run.audit_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["decision"], "blocked");
    assert_eq!(lines[0]["rule"], "integrity-mismatch");
    run.fx.set_document(path, recorded("axios", "1.13.2"));
    let r = run.get("/npm/axios/-/axios-1.13.2.tgz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), recorded("axios", "1.13.2"));
    // Now cached: served without upstream, and still verified.
    let before = run.fx.requests_to(path).len();
    assert_eq!(run.get("/npm/axios/-/axios-1.13.2.tgz").await.status(), 200);
    assert_eq!(run.fx.requests_to(path).len(), before);
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_cause_one_upstream_request() {
    let fx = FixtureRegistry::start(firebreak_test::registry_fixtures());
    fx.delay("/registry.npmjs.org/follow-redirects", Duration::from_millis(400));
    let run = start_with(fx, Setup::default()).await;
    let requests = (0..24).map(|_| {
        let (client, url) = (run.client.clone(), run.url("/npm/follow-redirects"));
        tokio::spawn(async move { client.get(url).send().await.map(|r| r.status().as_u16()) })
    });
    let statuses: Vec<u16> =
        futures_util::future::join_all(requests).await.into_iter().map(|r| r.unwrap().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(run.fx.requests_to("/registry.npmjs.org/follow-redirects").len(), 1);
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_packument_is_served_without_its_upstream_body_while_fresh() {
    // Memory for one upstream body only: asking for form-data evicts axios's body. The
    // filtered axios packument is still answered from memory, with no upstream request
    // and no revalidation, because upstream confirmed it less than `fresh_for` ago.
    let options = ProxyOptions { upstream_memory_bytes: 1, ..ProxyOptions::default() };
    let run = start(Setup { options, ..Setup::default() }).await;
    let first = run.json("/npm/axios").await;
    run.json("/npm/form-data").await;
    let again = run.json("/npm/axios").await;
    assert_eq!(first, again);
    assert_eq!(run.fx.requests_to("/registry.npmjs.org/axios").len(), 1, "{:?}", run.fx.requests());
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_revalidated_and_served_stale_when_upstream_is_down() {
    let options = ProxyOptions { fresh_for: Duration::ZERO, ..ProxyOptions::default() };
    let run = start(Setup { options, ..Setup::default() }).await;
    let first = run.json("/npm/form-data").await;
    let again = run.json("/npm/form-data").await;
    assert_eq!(first, again);
    let log = run.fx.requests_to("/registry.npmjs.org/form-data");
    assert_eq!(log.len(), 2);
    assert!(log[1].header("if-none-match").is_some(), "revalidated with the ETag");
    assert_eq!(log[1].status, 304);

    run.fx.fail("/registry.npmjs.org/form-data", &[503, 503, 503]);
    let r = run.get("/npm/form-data").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["warning"].to_str().unwrap().starts_with("110"));
    assert_eq!(r.json::<Value>().await.unwrap(), first);

    // Nothing cached and upstream down: a clear 502.
    run.fx.fail("/registry.npmjs.org/proxy-from-env", &[503, 503, 503]);
    let r = run.get("/npm/proxy-from-env").await;
    assert_eq!(r.status(), 502);
    assert!(r.text().await.unwrap().contains("cannot reach the upstream registry"));
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_proxy_serves_its_disk_cache_when_upstream_is_down() {
    let cache = tempfile::tempdir().unwrap();
    let options = ProxyOptions { cache_dir: Some(cache.path().to_owned()), ..ProxyOptions::default() };
    let run = start(Setup { options: options.clone(), ..Setup::default() }).await;
    let first = run.json("/npm/form-data").await;
    let fx = run.stop_proxy().await;
    fx.fail("/registry.npmjs.org/form-data", &[503]);
    let run = start_with(fx, Setup { options, ..Setup::default() }).await;
    let r = run.get("/npm/form-data").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("warning"), "served stale");
    let again: Value = r.json().await.unwrap();
    assert_eq!(versions(&again), versions(&first));
    assert_eq!(again["dist-tags"], first["dist-tags"]);
    assert_eq!(run.fx.requests_to("/registry.npmjs.org/form-data").last().map(|r| r.status), Some(503));
    run.stop().await;
}

fn no_time_doc(fx: &FixtureRegistry) {
    let bytes = stand_in("notime", "1.0.0");
    let doc = json!({
        "name": "notime",
        "dist-tags": { "latest": "1.0.0" },
        "versions": { "1.0.0": {
            "name": "notime", "version": "1.0.0",
            "dist": { "tarball": format!("{}notime/-/notime-1.0.0.tgz", fx.npm_url()), "integrity": sri(&bytes) }
        } }
    });
    fx.set_document("/registry.npmjs.org/notime", doc.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_unavailable_decides_and_the_response_says_which_way() {
    let fx = FixtureRegistry::start(firebreak_test::registry_fixtures());
    no_time_doc(&fx);
    fx.set_document("/registry.npmjs.org/broken", "<html>not a packument</html>");
    let run = start_with(fx, Setup::default()).await;
    let r = run.get("/npm/notime").await;
    let note = r.headers()["x-firebreak-fallback"].to_str().unwrap().to_owned();
    assert!(note.contains("release_age unavailable") && note.contains("blocked"), "{note}");
    assert!(versions(&r.json().await.unwrap()).is_empty());
    let body: Value = run.get("/npm/notime/-/notime-1.0.0.tgz").await.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("blocked (on_unavailable = \"block\")"), "{body}");
    let r = run.get("/npm/broken").await;
    assert_eq!(r.status(), 502);
    assert!(r.text().await.unwrap().contains("not a valid packument"));
    run.stop().await;

    let fx = FixtureRegistry::start(firebreak_test::registry_fixtures());
    no_time_doc(&fx);
    fx.set_document("/registry.npmjs.org/broken", "<html>not a packument</html>");
    let policy = "[proxy]\non_unavailable = { release_age = \"allow\", registry = \"allow\" }\n";
    let run = start_with(fx, Setup { policy, ..Setup::default() }).await;
    let r = run.get("/npm/notime").await;
    let note = r.headers()["x-firebreak-fallback"].to_str().unwrap().to_owned();
    assert!(note.contains("allowed"), "{note}");
    assert_eq!(versions(&r.json().await.unwrap()), ["1.0.0"]);
    let r = run.get("/npm/broken").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-firebreak-unfiltered"));
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_advisories_block_or_allow_as_configured() {
    let run =
        start(Setup { advisories: Some(Advisories::Unavailable("no database".into())), ..Setup::default() })
            .await;
    let r = run.get("/npm/form-data").await;
    assert!(r.headers()["x-firebreak-fallback"].to_str().unwrap().contains("advisories unavailable"));
    assert!(versions(&r.json().await.unwrap()).is_empty());
    run.stop().await;
    let run = start(Setup {
        policy: "[proxy]\non_unavailable = { advisories = \"allow\" }\n",
        advisories: Some(Advisories::Unavailable("no database".into())),
        ..Setup::default()
    })
    .await;
    assert!(!versions(&run.json("/npm/form-data").await).is_empty());
    run.stop().await;
}

fn raw(addr: SocketAddr, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    stream.write_all(request.as_bytes()).expect("write");
    let mut out = String::new();
    let _ = stream.read_to_string(&mut out);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_and_junk_paths_get_400() {
    let run = start(Setup::default()).await;
    let addr = run.addr;
    for path in [
        "/npm/../../etc/passwd",
        "/npm/%2e%2e/secret",
        "/npm/a%00b",
        "/npm//axios",
        "/npm/axios/-/..%2f..%2fx.tgz",
        "/npm/Bad%20Name",
    ] {
        let answer = tokio::task::spawn_blocking(move || {
            raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        })
        .await
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
    }
    assert!(run.fx.requests().is_empty(), "nothing reached upstream");
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_cut_off() {
    let options = ProxyOptions { header_timeout: Duration::from_millis(300), ..ProxyOptions::default() };
    let run = start(Setup { options, ..Setup::default() }).await;
    let addr = run.addr;
    let took = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
        started.elapsed()
    })
    .await
    .unwrap();
    assert!(took < Duration::from_secs(5), "the connection stayed open {took:?}");
    assert_eq!(run.get("/healthz").await.text().await.unwrap(), "ok\n");
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_decisions_cache_and_latency() {
    let run = start(Setup::default()).await;
    run.json("/npm/axios").await;
    run.json("/npm/axios").await;
    assert_eq!(run.get("/npm/axios/-/axios-1.14.1.tgz").await.status(), 403);
    let r = run.get("/metrics").await;
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    assert!(
        text.contains("firebreak_proxy_requests_total{route=\"npm-document\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("firebreak_proxy_requests_total{route=\"npm-tarball\",status=\"403\"} 1"),
        "{text}"
    );
    assert!(text.contains("decision=\"blocked\"}"), "{text}");
    assert!(text.contains("firebreak_proxy_cache_total{kind=\"document\",result=\"hit\"} 2"), "{text}");
    assert!(text.contains("firebreak_proxy_cache_total{kind=\"document\",result=\"miss\"} 1"), "{text}");
    assert!(text.contains("firebreak_proxy_upstream_request_seconds_count 1"), "{text}");
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_takes_a_good_policy_and_keeps_the_old_one_on_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("firebreak.toml");
    fs_err::write(&path, "").unwrap();
    let options = ProxyOptions {
        policy_path: Some(path.clone()),
        known_signals: firebreak_server::registry_signals::all_signal_ids(),
        ..ProxyOptions::default()
    };
    let run = start(Setup { options, ..Setup::default() }).await;
    assert!(!versions(&run.json("/npm/axios").await).contains(&"1.14.1".to_owned()));

    fs_err::write(&path, "[proxy]\nalow = [\"axios\"]\n").unwrap();
    let err = run.proxy.reload_policy().expect_err("bad policy");
    assert!(err.contains("unknown key `alow`") && err.contains("2:1"), "{err}");
    assert!(run.logs.lock().unwrap().iter().any(|l| l.contains("keeping the policy in force")));
    assert!(!versions(&run.json("/npm/axios").await).contains(&"1.14.1".to_owned()));

    fs_err::write(&path, "[proxy]\nallow = [\"axios\"]\n").unwrap();
    run.proxy.reload_policy().expect("good policy");
    assert!(versions(&run.json("/npm/axios").await).contains(&"1.14.1".to_owned()));
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_credentials_are_sent_but_never_shown_and_client_authorization_is_not_forwarded() {
    let fx = FixtureRegistry::start(firebreak_test::registry_fixtures());
    let mut credentials = Credentials::new();
    let scope = AuthScope::from_url(&reqwest::Url::parse(&fx.npm_url()).unwrap()).unwrap();
    credentials.insert(scope, Credential::Bearer(Secret::new("s3cr3t-upstream-token")));
    let options = ProxyOptions { credentials, ..ProxyOptions::default() };
    let run = start_with(fx, Setup { options, ..Setup::default() }).await;
    let r = run
        .client
        .get(run.url("/npm/axios"))
        .header("authorization", "Bearer client-token")
        .send()
        .await
        .unwrap();
    let headers = format!("{:?}", r.headers());
    let body = r.text().await.unwrap();
    assert!(!body.contains("s3cr3t") && !headers.contains("s3cr3t"));
    let sent = &run.fx.requests_to("/registry.npmjs.org/axios")[0];
    assert_eq!(sent.header("authorization"), Some("Bearer s3cr3t-upstream-token"));
    assert!(!run.logs.lock().unwrap().iter().any(|l| l.contains("s3cr3t")));
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_npm_endpoints_get_clear_answers() {
    let run = start(Setup::default()).await;
    assert_eq!(run.get("/npm/-/ping").await.status(), 200);
    let r =
        run.client.post(run.url("/npm/-/npm/v1/security/advisories/bulk")).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 501);
    assert!(r.text().await.unwrap().contains("does not forward npm audit requests"));
    let r = run.client.put(run.url("/npm/axios")).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(run.get("/npm/does-not-exist").await.status(), 404);
    assert_eq!(run.get("/nothing/here").await.status(), 404);
    assert_eq!(run.get("/healthz").await.status(), 200);
    run.stop().await;
}

/// A proxy serving TLS with the test certificate, in front of the fixture registry; a
/// second proxy uses it as its upstream, trusting the test CA through `extra_ca_pem`; a
/// third one, without the extra CA, refuses the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serving_and_an_extra_ca_for_the_upstream() {
    let tls_dir = firebreak_test::fixtures_dir().join("tls");
    let read = |name: &str| fs_err::read(tls_dir.join(name)).expect("tls fixture");
    let config =
        firebreak_server::proxy::tls_config(&read("localhost.pem"), &read("localhost.key")).expect("tls");
    let front = start(Setup::default()).await;

    // The TLS proxy: same upstream as `front`, served over HTTPS.
    let cache = tempfile::tempdir().unwrap();
    let options = ProxyOptions {
        npm_upstream: reqwest::Url::parse(&front.fx.npm_url()).unwrap(),
        cache_dir: Some(cache.path().to_owned()),
        ..ProxyOptions::default()
    };
    let secure = Proxy::new(
        options,
        firebreak_policy::Policy::default(),
        empty_db(),
        None,
        clock(APRIL_2),
        Arc::new(|_: &str| {}),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let secure_addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = secure.clone();
    let served = tokio::spawn(async move {
        serving
            .serve(listener, Some(config), async {
                let _ = rx.await;
            })
            .await
    });

    let upstream = format!("https://127.0.0.1:{}/npm/", secure_addr.port());
    let chained = |extra_ca: Option<Vec<u8>>| {
        let options = ProxyOptions {
            npm_upstream: reqwest::Url::parse(&upstream).unwrap(),
            extra_ca_pem: extra_ca,
            cache_dir: None,
            ..ProxyOptions::default()
        };
        Proxy::new(
            options,
            firebreak_policy::Policy::default(),
            empty_db(),
            None,
            clock(APRIL_2),
            Arc::new(|_: &str| {}),
        )
        .unwrap()
    };
    let trusting = chained(Some(read("ca.pem")));
    let app = trusting.router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let doc: Value =
        client.get(format!("http://{addr}/npm/axios")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["dist-tags"]["latest"], "1.14.0");
    assert_eq!(
        doc["versions"]["1.14.0"]["dist"]["tarball"],
        format!("http://{addr}/npm/axios/-/axios-1.14.0.tgz")
    );
    // The tarball goes through both proxies, verified by each.
    front.fx.set_document("/registry.npmjs.org/axios/-/axios-1.14.0.tgz", recorded("axios", "1.14.0"));
    let r = client.get(format!("http://{addr}/npm/axios/-/axios-1.14.0.tgz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), recorded("axios", "1.14.0"));

    let distrusting = chained(None).router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, distrusting).await });
    let r = client.get(format!("http://{addr}/npm/axios")).send().await.unwrap();
    assert_eq!(r.status(), 502, "an unknown CA is not trusted");

    let _ = tx.send(());
    assert!(matches!(tokio::time::timeout(Duration::from_secs(15), served).await, Ok(Ok(Ok(())))));
    front.stop().await;
}

//! The PyPI side of the proxy in process, in front of the end-to-end fixture upstream
//! (`fixtures/proxy`: detectkit 1.4.2 thirty days old, 1.4.3 three hours old, times
//! relative to now), over plain HTTP requests: both page forms, downloads, verification,
//! exemptions and outages.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use firebreak_advisory::Database;
use firebreak_server::decide::Advisories;
use firebreak_server::proxy::{AuditLog, Proxy, ProxyOptions, system_clock};
use firebreak_test::{FixtureRegistry, Outage};
use serde_json::Value;
use sha2::{Digest, Sha256};

const COOLDOWN: &str = "[registry]\nmin_release_age = \"3d\"\n";
const PIP_ACCEPT: &str =
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
const PAGE: &str = "/pypi.org/simple/detectkit/";
const WHEEL_142: &str = "files.pythonhosted.org/packages/df/b0/987f990134d19da83b251256b8736590f7f8dd4ea271fa17337a95fe4830/detectkit-1.4.2-py3-none-any.whl";
const WHEEL_143: &str = "files.pythonhosted.org/packages/63/4c/785cc8620384ea688c44793510f13c64d9d62ca17a26a205f82aecde5311/detectkit-1.4.3-py3-none-any.whl";

struct Running {
    fx: FixtureRegistry,
    addr: SocketAddr,
    client: reqwest::Client,
    audit: tempfile::NamedTempFile,
    logs: Arc<Mutex<Vec<String>>>,
    _cache: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn get(&self, path: &str, accept: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        request.send().await.expect("request")
    }

    async fn page(&self) -> Value {
        let r = self.get("/pypi/simple/detectkit/", Some(PIP_ACCEPT)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/vnd.pypi.simple.v1+json");
        r.json().await.expect("json")
    }

    /// The status line and body of a plain HTTP/1.1 GET (reqwest hides the reason phrase).
    fn raw_get(&self, path: &str) -> (String, String) {
        let mut stream = std::net::TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr)
            .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        (head.lines().next().unwrap_or("").to_owned(), body.to_owned())
    }

    fn audit_lines(&self) -> Vec<Value> {
        fs_err::read_to_string(self.audit.path())
            .expect("audit log")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(policy: &str, options: ProxyOptions) -> Running {
    start_with(FixtureRegistry::start(firebreak_test::proxy_fixtures()), policy, options).await
}

async fn start_with(fx: FixtureRegistry, policy: &str, mut options: ProxyOptions) -> Running {
    let policy = firebreak_policy::parse("firebreak.toml", policy).expect("policy");
    let cache = tempfile::tempdir().expect("cache dir");
    options.pypi_upstream = reqwest::Url::parse(&format!("{}simple/", fx.pypi_url())).expect("url");
    options.cache_dir = Some(cache.path().to_owned());
    let audit = tempfile::NamedTempFile::new().expect("audit file");
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = logs.clone();
    // The fixture's times are relative to now: the real clock sees the ages it describes.
    let proxy = Proxy::new(
        options,
        policy,
        Advisories::Open(Mutex::new(Database::open_in_memory().expect("in-memory database"))),
        Some(AuditLog::open(audit.path()).expect("open audit log")),
        system_clock(),
        Arc::new(move |m: &str| sink.lock().expect("log").push(m.to_owned())),
    )
    .expect("proxy");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        proxy
            .serve(listener, None, async {
                let _ = rx.await;
            })
            .await
    });
    Running {
        fx,
        addr,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        audit,
        logs,
        _cache: cache,
        stop: Some(tx),
    }
}

fn fixture_file(rel: &str) -> Vec<u8> {
    fs_err::read(firebreak_test::proxy_fixtures().join(rel)).expect("fixture file")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_page_marks_the_young_release_and_downloads_come_through_the_proxy() {
    let run = start(COOLDOWN, ProxyOptions::default()).await;
    let page = run.page().await;
    assert_eq!(page["name"], "detectkit");
    assert_eq!(page["meta"]["api-version"], "1.1");
    assert_eq!(page["versions"], serde_json::json!(["1.4.2", "1.4.3"]));
    let files = page["files"].as_array().expect("files");
    assert_eq!(files.len(), 2, "{page}");
    let old = &files[0];
    assert_eq!(old["filename"], "detectkit-1.4.2-py3-none-any.whl");
    assert_eq!(old["url"], run.url("/pypi/files/detectkit/detectkit-1.4.2-py3-none-any.whl"));
    assert_eq!(old["yanked"], false);
    assert_eq!(old["requires-python"], ">=3.8");
    assert_eq!(old["size"], 1081);
    assert!(old["upload-time"].as_str().is_some_and(|t| t.ends_with('Z')), "{old}");
    assert_eq!(old["hashes"]["sha256"], hex(&Sha256::digest(fixture_file(WHEEL_142))));
    // The young release stays listed, yanked with the proxy's explanation: installers
    // skip it unless it is pinned exactly, and then print the reason.
    let why = files[1]["yanked"].as_str().expect("a yank reason");
    assert!(why.starts_with("firebreak proxy blocked detectkit==1.4.3 by rule `release-too-young"), "{why}");
    assert!(why.contains("add \"detectkit@1.4.3\" to `allow` in the `[proxy]` table"), "{why}");
    assert!(run.audit_lines().iter().any(|l| l["version"] == "1.4.3"
        && l["decision"] == "blocked"
        && l["request"] == "document"
        && l["ecosystem"] == "pypi"));

    // The allowed wheel: fetched once, verified, served, then served from the cache.
    for _ in 0..2 {
        let r = run.get("/pypi/files/detectkit/detectkit-1.4.2-py3-none-any.whl", None).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.bytes().await.expect("body").as_ref(), fixture_file(WHEEL_142));
    }
    assert_eq!(run.fx.requests_to(&format!("/{WHEEL_142}")).len(), 1);
    // One upstream page request for everything so far, asked as PEP 691 JSON.
    let asked = run.fx.requests_to(PAGE);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].header("accept"), Some("application/vnd.pypi.simple.v1+json"));

    // The blocked wheel: 403, the explanation in the status line (what pip prints) and
    // the body, and never fetched.
    let (status, body) = run.raw_get("/pypi/files/detectkit/detectkit-1.4.3-py3-none-any.whl");
    assert!(
        status
            .starts_with("HTTP/1.1 403 firebreak proxy blocked detectkit==1.4.3 by rule `release-too-young"),
        "{status}"
    );
    assert!(
        status.contains(
            "to allow it, add \"detectkit@1.4.3\" to `allow` in the `[proxy]` table of firebreak.toml"
        ),
        "{status}"
    );
    assert!(body.contains("firebreak proxy blocked detectkit==1.4.3"), "{body}");
    assert!(run.fx.requests_to(&format!("/{WHEEL_143}")).is_empty());
    let audit = run.audit_lines();
    assert!(
        audit
            .iter()
            .any(|l| l["request"] == "artifact" && l["version"] == "1.4.2" && l["decision"] == "allowed")
    );
    assert!(
        audit
            .iter()
            .any(|l| l["request"] == "artifact" && l["version"] == "1.4.3" && l["decision"] == "blocked")
    );

    // A file no release has.
    assert_eq!(run.get("/pypi/files/detectkit/detectkit-9.9.9-py3-none-any.whl", None).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_page_for_clients_that_do_not_ask_for_json() {
    let run = start(COOLDOWN, ProxyOptions::default()).await;
    for accept in [None, Some("text/html"), Some("*/*")] {
        let r = run.get("/pypi/simple/detectkit/", accept).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8", "{accept:?}");
        assert_eq!(r.headers()["vary"], "Accept");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let html = r.text().await.expect("text");
        let sha = hex(&Sha256::digest(fixture_file(WHEEL_142)));
        assert!(html.contains(&format!(
            "<a href=\"{}#sha256={sha}\" data-requires-python=\"&gt;=3.8\">detectkit-1.4.2-py3-none-any.whl</a>",
            run.url("/pypi/files/detectkit/detectkit-1.4.2-py3-none-any.whl")
        )), "{html}");
        assert!(
            html.contains(
                "data-yanked=\"firebreak proxy blocked detectkit==1.4.3 by rule `release-too-young"
            ),
            "{html}"
        );
        assert!(html.contains("add &quot;detectkit@1.4.3&quot; to `allow`"), "{html}");
        assert!(html.contains("<meta name=\"pypi:repository-version\" content=\"1.1\">"), "{html}");
        assert!(!html.contains("pythonhosted"), "every URL goes through the proxy: {html}");
    }
    let r = run.get("/pypi/simple/detectkit/", Some("application/vnd.pypi.simple.v1+html")).await;
    assert_eq!(r.headers()["content-type"], "application/vnd.pypi.simple.v1+html");

    // PEP 503 names: a spelling that is not normalised is redirected, as PyPI does.
    let r = run.get("/pypi/simple/DetectKit/", None).await;
    assert_eq!(r.status(), 301);
    assert_eq!(r.headers()["location"], "/pypi/simple/detectkit/");
    let r = run.get("/pypi/simple/", None).await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.expect("text").contains("/pypi/simple/<project>/"));
    let (status, _) = run.raw_get("/pypi/simple/no-such-project/");
    assert!(status.starts_with("HTTP/1.1 404 project `no-such-project` not found upstream"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allow_listed_release_is_served() {
    let run =
        start(&format!("{COOLDOWN}\n[proxy]\nallow = [\"DetectKit@1.4.3\"]\n"), ProxyOptions::default())
            .await;
    let page = run.page().await;
    assert_eq!(page["files"][1]["yanked"], false, "{page}");
    let r = run.get("/pypi/files/detectkit/detectkit-1.4.3-py3-none-any.whl", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("body").as_ref(), fixture_file(WHEEL_143));
    assert!(run.audit_lines().iter().any(|l| l["version"] == "1.4.3" && l["rule"] == "allow-list"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_do_not_match_the_published_digest_are_never_served() {
    let run = start(COOLDOWN, ProxyOptions::default()).await;
    run.fx.set_document(&format!("/{WHEEL_142}"), b"tampered wheel".to_vec());
    let (status, body) = run.raw_get("/pypi/files/detectkit/detectkit-1.4.2-py3-none-any.whl");
    assert!(status.starts_with("HTTP/1.1 502 firebreak proxy refused to serve"), "{status}");
    assert!(body.contains("do not match the digest"), "{body}");
    assert!(!body.contains("tampered"));
    assert!(run.audit_lines().iter().any(|l| l["rule"] == "integrity-mismatch" && l["version"] == "1.4.2"));
    assert!(run.logs.lock().expect("logs").iter().any(|l| l.contains("not served")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_outage_is_served_from_the_cache() {
    let options = ProxyOptions { fresh_for: Duration::ZERO, ..ProxyOptions::default() };
    let run = start(COOLDOWN, options).await;
    run.page().await;
    let wheel = "/pypi/files/detectkit/detectkit-1.4.2-py3-none-any.whl";
    assert_eq!(run.get(wheel, None).await.status(), 200);
    for outage in [Outage::Unavailable, Outage::Refused] {
        run.fx.set_outage(outage);
        let r = run.get("/pypi/simple/detectkit/", Some(PIP_ACCEPT)).await;
        assert_eq!(r.status(), 200, "{outage:?}");
        assert_eq!(r.headers()["warning"], "110 firebreak \"Response is Stale\"");
        let page: Value = r.json().await.expect("json");
        assert!(page["files"][1]["yanked"].is_string(), "still decided: {page}");
        let r = run.get(wheel, None).await;
        assert_eq!(r.status(), 200, "{outage:?}");
        assert_eq!(r.bytes().await.expect("body").as_ref(), fixture_file(WHEEL_142));
    }
    run.fx.set_outage(Outage::None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_files_are_proxied_and_verified() {
    let fx = FixtureRegistry::start(firebreak_test::proxy_fixtures());
    let metadata = b"Metadata-Version: 2.1\nName: detectkit\nVersion: 1.4.2\n".to_vec();
    let mut doc: Value =
        serde_json::from_slice(&fixture_file("pypi.org/simple/detectkit/index.json")).expect("json");
    doc["files"][0]["core-metadata"] = serde_json::json!({"sha256": hex(&Sha256::digest(&metadata))});
    doc["files"][1]["core-metadata"] = serde_json::json!({"sha256": "00".repeat(32)});
    fx.set_document(PAGE, serde_json::to_vec(&doc).expect("json"));
    // First bytes that do not match the digest: refused like a wheel.
    fx.set_document(&format!("/{WHEEL_142}.metadata"), b"Name: evil\n".to_vec());
    let run = start_with(fx, COOLDOWN, ProxyOptions::default()).await;
    let page = run.page().await;
    assert_eq!(page["files"][0]["core-metadata"], doc["files"][0]["core-metadata"]);
    assert_eq!(page["files"][0]["data-dist-info-metadata"], doc["files"][0]["core-metadata"]);
    assert!(page["files"][1].get("core-metadata").is_none(), "a blocked file offers no metadata");
    let path = "/pypi/files/detectkit/detectkit-1.4.2-py3-none-any.whl.metadata";
    assert_eq!(run.get(path, None).await.status(), 502);
    run.fx.set_document(&format!("/{WHEEL_142}.metadata"), metadata.clone());
    let r = run.get(path, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("body").as_ref(), metadata);
    let r = run.get("/pypi/files/detectkit/detectkit-1.4.3-py3-none-any.whl.metadata", None).await;
    assert_eq!(r.status(), 403);
}

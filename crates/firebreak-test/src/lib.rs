//! Test helpers for firebreak. Dev-dependency only: never a dependency of a shipped crate.
//!
//! [`FixtureRegistry`] serves recorded registry documents from a directory tree on
//! 127.0.0.1, so that the real registry clients run against real formats without the
//! network.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use sha2::{Digest, Sha256};

/// The repository's `fixtures/` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The recorded registry documents, `fixtures/registry/`.
pub fn registry_fixtures() -> PathBuf {
    fixtures_dir().join("registry")
}

/// One request the fixture registry answered.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The path as sent (percent-encoding kept), without the query.
    pub path: String,
    /// The query, when there was one.
    pub query: Option<String>,
    /// Request headers, names lowercase.
    pub headers: BTreeMap<String, String>,
    /// The status answered.
    pub status: u16,
}

impl RecordedRequest {
    /// A request header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

/// A canned answer for one path.
#[derive(Debug, Clone)]
pub struct Canned {
    /// The status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

#[derive(Debug, Default)]
struct Shared {
    log: Vec<RecordedRequest>,
    /// Answers served before the file, one per request, per path.
    queued: BTreeMap<String, VecDeque<Canned>>,
    /// Answers that replace the file for every request.
    documents: BTreeMap<String, Canned>,
    /// How long to wait before answering, per path (a slow upstream).
    delays: BTreeMap<String, std::time::Duration>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    origin: String,
    hosts: Vec<String>,
    shared: Mutex<Shared>,
}

/// A local HTTP server replaying recorded registry documents.
///
/// The tree under `root` is `<host>/<path as served>`: `registry.npmjs.org/axios`,
/// `registry.npmjs.org/@scope%2fname`, `registry.npmjs.org/-/npm/v1/attestations/axios@1.14.0`,
/// `pypi.org/pypi/<name>/json`, `pypi.org/simple/<name>/` (a directory: its `index.json` is
/// served), `pypi.org/integrity/…`, `index.crates.io/config.json`, `index.crates.io/fa/st/fast-log`,
/// `crates.io/api/v1/crates/<name>/versions`. A request for a directory serves its
/// `index.json`. The server is reached as `http://127.0.0.1:PORT/<host>/…`, and every
/// `https://<host>` in a served body is rewritten to that, so recorded documents keep their
/// real URLs (`dist.tarball`, `config.json`'s `api`, provenance URLs) and still point here.
///
/// Answers carry an `ETag` (a digest of the body) and honour `If-None-Match` with 304.
/// Every request is logged; [`FixtureRegistry::queue`] injects failures.
pub struct FixtureRegistry {
    inner: Arc<Inner>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for FixtureRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixtureRegistry").field("addr", &self.addr).field("root", &self.inner.root).finish()
    }
}

impl FixtureRegistry {
    /// Starts a server on 127.0.0.1 (a free port) in a background thread serving `root`.
    ///
    /// # Panics
    /// When the port cannot be bound or the runtime cannot start (test setup failures).
    pub fn start(root: impl Into<PathBuf>) -> FixtureRegistry {
        let root = root.into();
        let mut hosts: Vec<String> = fs_err::read_dir(&root)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter(|e| e.path().is_dir())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        hosts.sort();
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        std_listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = std_listener.local_addr().expect("local address");
        let inner = Arc::new(Inner {
            root,
            origin: format!("http://{addr}"),
            hosts,
            shared: Mutex::new(Shared::default()),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = inner.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("tokio listener");
                let app = Router::new().fallback(serve).with_state(state);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        FixtureRegistry { inner, addr, shutdown: Some(tx), thread: Some(thread) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The base URL standing for `https://<host>/`, ending in `/`.
    pub fn host_url(&self, host: &str) -> String {
        format!("{}/{host}/", self.inner.origin)
    }

    /// The npm registry (`registry.npmjs.org`).
    pub fn npm_url(&self) -> String {
        self.host_url("registry.npmjs.org")
    }

    /// PyPI (`pypi.org`: `/pypi/…`, `/simple/…`, `/integrity/…`).
    pub fn pypi_url(&self) -> String {
        self.host_url("pypi.org")
    }

    /// The crates.io sparse index (`index.crates.io`); its `config.json` points the API at
    /// [`FixtureRegistry::crates_api_url`].
    pub fn crates_index_url(&self) -> String {
        self.host_url("index.crates.io")
    }

    /// The crates.io web API (`crates.io`).
    pub fn crates_api_url(&self) -> String {
        self.host_url("crates.io")
    }

    fn shared(&self) -> MutexGuard<'_, Shared> {
        self.inner.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared().log.clone()
    }

    /// The requests for one path (as in [`RecordedRequest::path`]).
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.shared().log.iter().filter(|r| r.path == path).cloned().collect()
    }

    /// Forgets the request log.
    pub fn clear_log(&self) {
        self.shared().log.clear();
    }

    /// Answers the next requests for `path` with these statuses, in order (an empty body;
    /// `Retry-After: 0` on 429 and 503), before serving the file again.
    pub fn fail(&self, path: &str, statuses: &[u16]) {
        for status in statuses {
            let headers =
                if matches!(status, 429 | 503) { vec![("retry-after".into(), "0".into())] } else { vec![] };
            self.queue(path, Canned { status: *status, headers, body: Vec::new() });
        }
    }

    /// Queues one canned answer for the next request for `path`.
    pub fn queue(&self, path: &str, canned: Canned) {
        self.shared().queued.entry(path.to_owned()).or_default().push_back(canned);
    }

    /// Waits `delay` before answering each request for `path` (a slow upstream, so that
    /// concurrent clients overlap).
    pub fn delay(&self, path: &str, delay: std::time::Duration) {
        self.shared().delays.insert(path.to_owned(), delay);
    }

    /// Serves `body` (status 200, JSON) for `path` instead of any file, until replaced.
    /// `path` may end in `?query` to answer only requests with exactly that query.
    pub fn set_document(&self, path: &str, body: impl Into<Vec<u8>>) {
        let canned = Canned { status: 200, headers: Vec::new(), body: body.into() };
        self.shared().documents.insert(path.to_owned(), canned);
    }
}

impl Drop for FixtureRegistry {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let headers: BTreeMap<String, String> = request
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let delay =
        inner.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner).delays.get(&path).copied();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let (queued, document) = {
        let mut shared = inner.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let queued = shared.queued.get_mut(&path).and_then(VecDeque::pop_front);
        // A document set for `path?query` answers that query only (paginated APIs).
        let with_query = query.as_ref().and_then(|q| shared.documents.get(&format!("{path}?{q}")));
        (queued, with_query.or_else(|| shared.documents.get(&path)).cloned())
    };
    let response = match queued.or(document) {
        Some(canned) => canned_response(&inner, canned, request.headers()),
        None => file_response(&inner, &path, request.headers()),
    };
    let status = response.status().as_u16();
    inner.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner).log.push(RecordedRequest {
        path,
        query,
        headers,
        status,
    });
    response
}

fn canned_response(inner: &Inner, canned: Canned, request: &HeaderMap) -> Response {
    let status = StatusCode::from_u16(canned.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if status == StatusCode::OK {
        ok_response(rewrite(inner, canned.body), "application/json", request)
    } else {
        let mut r = Response::new(Body::from(canned.body));
        *r.status_mut() = status;
        r
    };
    for (k, v) in canned.headers {
        if let (Ok(name), Ok(value)) = (header::HeaderName::try_from(k), HeaderValue::try_from(v)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn file_response(inner: &Inner, path: &str, request: &HeaderMap) -> Response {
    let relative = path.trim_start_matches('/');
    // Refuse anything that could leave the root.
    if relative.split('/').any(|seg| seg == ".." || seg.contains('\\')) {
        return status_response(StatusCode::BAD_REQUEST);
    }
    let mut file = inner.root.join(relative);
    if file.is_dir() {
        file = file.join("index.json");
    }
    match fs_err::read(&file) {
        Ok(body) => ok_response(rewrite(inner, body), content_type(relative), request),
        Err(_) => status_response(StatusCode::NOT_FOUND),
    }
}

fn content_type(path: &str) -> &'static str {
    if path.contains("/simple/") {
        "application/vnd.pypi.simple.v1+json"
    } else if path.contains("/integrity/") {
        "application/vnd.pypi.integrity.v1+json"
    } else if path.starts_with("index.crates.io/") && !path.ends_with("config.json") {
        "text/plain"
    } else {
        "application/json"
    }
}

fn ok_response(body: Vec<u8>, content_type: &'static str, request: &HeaderMap) -> Response {
    let digest = Sha256::digest(&body);
    let etag: String =
        format!("\"{}\"", digest.iter().take(12).map(|b| format!("{b:02x}")).collect::<String>());
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response =
        if matches { status_response(StatusCode::NOT_MODIFIED) } else { Response::new(Body::from(body)) };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::try_from(etag) {
        headers.insert(header::ETAG, v);
    }
    if !matches {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

fn status_response(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

/// `https://<host>` → `http://127.0.0.1:PORT/<host>` for every host the tree serves.
fn rewrite(inner: &Inner, body: Vec<u8>) -> Vec<u8> {
    let mut text = match String::from_utf8(body) {
        Ok(t) => t,
        Err(e) => return e.into_bytes(),
    };
    for host in &inner.hosts {
        let from = format!("https://{host}");
        if text.contains(&from) {
            let to = format!("{}/{host}", inner.origin);
            // Matching with the `https://` prefix keeps `crates.io` from matching inside
            // `index.crates.io`.
            text = text.replace(&from, &to);
        }
    }
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    fn raw_get(fx: &FixtureRegistry, path: &str, extra: &str) -> String {
        let addr = fx.origin().trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n").unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_rewrites_validates_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join("example.org/simple/pkg")).unwrap();
        fs_err::write(dir.path().join("example.org/doc"), r#"{"self":"https://example.org/doc"}"#).unwrap();
        fs_err::write(dir.path().join("example.org/simple/pkg/index.json"), "{}").unwrap();
        fs_err::write(dir.path().join("secret"), "outside").unwrap();
        let fx = FixtureRegistry::start(dir.path());

        let ok = raw_get(&fx, "/example.org/doc", "");
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        assert!(ok.contains(&format!("{}/example.org/doc", fx.origin())), "{ok}");
        let etag = ok.lines().find_map(|l| l.strip_prefix("etag: ")).unwrap().to_owned();
        let again = raw_get(&fx, "/example.org/doc", &format!("If-None-Match: {etag}\r\n"));
        assert!(again.starts_with("HTTP/1.1 304"), "{again}");

        let simple = raw_get(&fx, "/example.org/simple/pkg/", "");
        assert!(simple.contains("content-type: application/vnd.pypi.simple.v1+json"), "{simple}");
        assert!(raw_get(&fx, "/example.org/../secret", "").starts_with("HTTP/1.1 400"));
        assert!(raw_get(&fx, "/example.org/missing", "").starts_with("HTTP/1.1 404"));

        fx.fail("/example.org/doc", &[503]);
        assert!(raw_get(&fx, "/example.org/doc", "").starts_with("HTTP/1.1 503"));
        assert!(raw_get(&fx, "/example.org/doc", "").starts_with("HTTP/1.1 200"));
        let statuses: Vec<u16> = fx.requests_to("/example.org/doc").iter().map(|r| r.status).collect();
        assert_eq!(statuses, [200, 304, 503, 200]);
    }
}

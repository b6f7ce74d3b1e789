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

/// The end-to-end upstream for the proxy, `fixtures/proxy/`: documents with relative times
/// and real artifacts for the package managers themselves.
pub fn proxy_fixtures() -> PathBuf {
    fixtures_dir().join("proxy")
}

/// How the fixture registry behaves towards clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// Serving normally.
    None,
    /// Every request is answered 503 with `Retry-After` (an overloaded or broken upstream).
    Unavailable,
    /// The listening socket is closed: connections are refused until the outage ends.
    Refused,
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
    /// Answer 503 to everything.
    unavailable: bool,
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
/// A directory may hold other forms of its document, picked by `Accept` as the registries
/// do: `index.install-v1.json` (npm's abbreviated packument) and `index.html` (a PEP 503
/// page, for clients that do not ask for PEP 691 JSON). Time placeholders in documents
/// (`{{now-2h}}`, see [`fill_times`]) are filled in when served, so release ages are the
/// same on any date.
///
/// Answers carry an `ETag` (a digest of the body before the times are filled in) and honour
/// `If-None-Match` with 304. Every request is logged; [`FixtureRegistry::queue`] injects
/// failures and [`FixtureRegistry::set_outage`] takes the whole server down.
pub struct FixtureRegistry {
    inner: Arc<Inner>,
    addr: SocketAddr,
    server: Mutex<Option<Server>>,
}

/// The serving thread; dropping its runtime closes the listener and every connection.
struct Server {
    shutdown: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Server {
    fn spawn(std_listener: std::net::TcpListener, state: Arc<Inner>) -> Server {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("tokio listener");
                let app = Router::new().fallback(serve).with_state(state);
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
                let _ = rx.await;
            });
            // Dropping the runtime here cancels the accept loop and every open connection,
            // so a stopped server refuses connections instead of finishing kept-alive ones.
        });
        Server { shutdown: tx, thread }
    }

    fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.thread.join();
    }
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
        FixtureRegistry::start_on(root, "127.0.0.1:0")
    }

    /// Starts a server on `addr` (`127.0.0.1:0` picks a free port), for scripts that need a
    /// known port.
    ///
    /// # Panics
    /// When the address cannot be bound or the runtime cannot start (test setup failures).
    pub fn start_on(root: impl Into<PathBuf>, addr: &str) -> FixtureRegistry {
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
        let std_listener = listen(addr);
        let addr = std_listener.local_addr().expect("local address");
        let inner = Arc::new(Inner {
            root,
            origin: format!("http://{addr}"),
            hosts,
            shared: Mutex::new(Shared::default()),
        });
        let server = Server::spawn(std_listener, inner.clone());
        FixtureRegistry { inner, addr, server: Mutex::new(Some(server)) }
    }

    /// Starts or ends an outage. [`Outage::Refused`] closes the listening socket (clients
    /// get "connection refused"); [`Outage::None`] listens again on the same port.
    ///
    /// # Panics
    /// When the port cannot be bound again (another process took it meanwhile).
    pub fn set_outage(&self, outage: Outage) {
        self.shared().unavailable = outage == Outage::Unavailable;
        let mut server = self.server.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match (outage, server.is_some()) {
            (Outage::Refused, true) => {
                if let Some(running) = server.take() {
                    running.stop();
                }
            }
            (Outage::None | Outage::Unavailable, false) => {
                *server = Some(Server::spawn(listen(&self.addr.to_string()), self.inner.clone()));
            }
            _ => {}
        }
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
        let server = self.server.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(running) = server.take() {
            running.stop();
        }
    }
}

fn listen(addr: &str) -> std::net::TcpListener {
    // std sets SO_REUSEADDR on Unix, so the port of a stopped server can be bound again
    // while its old connections sit in TIME_WAIT.
    let listener = std::net::TcpListener::bind(addr).unwrap_or_else(|e| panic!("bind {addr}: {e}"));
    listener.set_nonblocking(true).expect("non-blocking listener");
    listener
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
    let (unavailable, queued, document) = {
        let mut shared = inner.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let queued = shared.queued.get_mut(&path).and_then(VecDeque::pop_front);
        // A document set for `path?query` answers that query only (paginated APIs).
        let with_query = query.as_ref().and_then(|q| shared.documents.get(&format!("{path}?{q}")));
        (shared.unavailable, queued, with_query.or_else(|| shared.documents.get(&path)).cloned())
    };
    let response = if unavailable {
        let mut r = Response::new(Body::from("fixture registry: outage (503)\n"));
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
        r
    } else {
        match queued.or(document) {
            Some(canned) => canned_response(&inner, canned, request.headers()),
            None => file_response(&inner, &path, request.headers()),
        }
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

const NPM_ABBREVIATED: &str = "application/vnd.npm.install-v1+json";
const PYPI_SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";

fn file_response(inner: &Inner, path: &str, request: &HeaderMap) -> Response {
    let relative = path.trim_start_matches('/');
    // Refuse anything that could leave the root.
    if relative.split('/').any(|seg| seg == ".." || seg.contains('\\')) {
        return status_response(StatusCode::BAD_REQUEST);
    }
    // Registries treat the escaped scope separator either way (npm sends `%2f`, pnpm `%2F`).
    let relative = relative.replace("%2F", "%2f");
    let relative = relative.as_str();
    let mut file = inner.root.join(relative);
    let mut content_type = content_type(relative);
    if file.is_dir() {
        (file, content_type) = negotiate(&file, content_type, request);
    }
    match fs_err::read(&file) {
        Ok(body) => ok_response(rewrite(inner, body), content_type, request),
        Err(_) => status_response(StatusCode::NOT_FOUND),
    }
}

/// Picks the representation of a directory the client asked for, as the registries do:
/// npm's abbreviated packument (`index.install-v1.json`) for its install `Accept`, and a
/// PEP 503 HTML page (`index.html`) for a PyPI client that does not ask for PEP 691 JSON.
/// `index.json` otherwise.
fn negotiate(dir: &Path, default: &'static str, request: &HeaderMap) -> (PathBuf, &'static str) {
    let accept = request.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let abbreviated = dir.join("index.install-v1.json");
    if accept.contains(NPM_ABBREVIATED) && abbreviated.is_file() {
        return (abbreviated, NPM_ABBREVIATED);
    }
    let html = dir.join("index.html");
    if !accept.contains(PYPI_SIMPLE_JSON) && html.is_file() {
        return (html, "text/html; charset=utf-8");
    }
    (dir.join("index.json"), default)
}

fn content_type(path: &str) -> &'static str {
    let binary = [".tgz", ".whl", ".crate", ".tar.gz", ".zip"];
    if binary.iter().any(|ext| path.ends_with(ext)) || path.ends_with("/download") {
        "application/octet-stream"
    } else if path.contains("/simple/") {
        PYPI_SIMPLE_JSON
    } else if path.contains("/integrity/") {
        "application/vnd.pypi.integrity.v1+json"
    } else if path.starts_with("index.crates.io/") && !path.ends_with("config.json") {
        "text/plain"
    } else {
        "application/json"
    }
}

/// A body after host rewriting, before the time placeholders are filled in.
struct Rewritten {
    /// What the `ETag` is computed over: the template, so that a document whose only
    /// change is the passing of time still revalidates with 304.
    template: Vec<u8>,
    body: Vec<u8>,
}

fn ok_response(body: Rewritten, content_type: &'static str, request: &HeaderMap) -> Response {
    let digest = Sha256::digest(&body.template);
    let etag: String =
        format!("\"{}\"", digest.iter().take(12).map(|b| format!("{b:02x}")).collect::<String>());
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        status_response(StatusCode::NOT_MODIFIED)
    } else {
        Response::new(Body::from(body.body))
    };
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

/// `https://<host>` → `http://127.0.0.1:PORT/<host>` for every host the tree serves, then
/// `{{now-30d}}`-style placeholders → the current time.
fn rewrite(inner: &Inner, body: Vec<u8>) -> Rewritten {
    let mut text = match String::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            let bytes = e.into_bytes();
            return Rewritten { template: bytes.clone(), body: bytes };
        }
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
    let body = if text.contains("{{now") {
        fill_times(&text, std::time::SystemTime::now()).into_bytes()
    } else {
        text.clone().into_bytes()
    };
    Rewritten { template: text.into_bytes(), body }
}

/// Replaces `{{now}}`, `{{now-30d}}`, `{{now+2h}}` (units `s`, `m`, `h`, `d`) with that
/// moment as RFC 3339 UTC with milliseconds, the form the npm registry writes. Anything
/// else between braces is left as it is.
pub fn fill_times(text: &str, now: std::time::SystemTime) -> String {
    let now_ms = match now.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{now") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 5..];
        let parsed = after.find("}}").and_then(|end| Some((offset_ms(&after[..end])?, end)));
        match parsed {
            Some((offset, end)) => {
                out.push_str(&rfc3339_ms(now_ms.saturating_add(offset)));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{now");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `""` → 0, `-30d` → minus thirty days in milliseconds.
fn offset_ms(spec: &str) -> Option<i64> {
    if spec.is_empty() {
        return Some(0);
    }
    let (sign, rest) = match spec.as_bytes().first()? {
        b'-' => (-1, &spec[1..]),
        b'+' => (1, &spec[1..]),
        _ => return None,
    };
    let unit = rest.chars().last()?;
    let n: i64 = rest[..rest.len() - unit.len_utf8()].parse().ok()?;
    let scale = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        _ => return None,
    };
    n.checked_mul(scale)?.checked_mul(sign)
}

fn rfc3339_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1000 % 60, in_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
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

    #[test]
    fn fills_relative_times() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_775_000_000_123);
        assert_eq!(rfc3339_ms(1_775_000_000_123), "2026-03-31T23:33:20.123Z");
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        let filled = fill_times(r#"{"a":"{{now}}","b":"{{now-2h}}","c":"{{now-30d}}","d":"{{now+1m}}"}"#, at);
        assert_eq!(
            filled,
            r#"{"a":"2026-03-31T23:33:20.123Z","b":"2026-03-31T21:33:20.123Z","c":"2026-03-01T23:33:20.123Z","d":"2026-03-31T23:34:20.123Z"}"#
        );
        // Not a placeholder: left alone, and the scan goes on after it.
        assert_eq!(fill_times("{{nowhere}} {{now-3x}} {{now", at), "{{nowhere}} {{now-3x}} {{now");
        assert_eq!(
            fill_times("{{now-1s}}{{now-1s}}", at),
            "2026-03-31T23:33:19.123Z2026-03-31T23:33:19.123Z"
        );
    }

    #[test]
    fn negotiates_forms_and_serves_times_with_a_stable_etag() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("registry.example/pkg");
        fs_err::create_dir_all(&pkg).unwrap();
        fs_err::write(pkg.join("index.json"), r#"{"full":true,"time":"{{now-2h}}"}"#).unwrap();
        fs_err::write(pkg.join("index.install-v1.json"), r#"{"abbreviated":true}"#).unwrap();
        let simple = dir.path().join("registry.example/simple/p");
        fs_err::create_dir_all(&simple).unwrap();
        fs_err::write(simple.join("index.json"), "{}").unwrap();
        fs_err::write(simple.join("index.html"), "<html></html>").unwrap();
        let fx = FixtureRegistry::start(dir.path());

        let full = raw_get(&fx, "/registry.example/pkg", "Accept: application/json\r\n");
        assert!(full.contains(r#""full":true"#), "{full}");
        assert!(!full.contains("{{now"), "{full}");
        let abbreviated = raw_get(
            &fx,
            "/registry.example/pkg",
            "Accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*\r\n",
        );
        assert!(abbreviated.contains(r#"{"abbreviated":true}"#), "{abbreviated}");
        assert!(abbreviated.contains("content-type: application/vnd.npm.install-v1+json"), "{abbreviated}");

        let json =
            raw_get(&fx, "/registry.example/simple/p/", "Accept: application/vnd.pypi.simple.v1+json\r\n");
        assert!(json.ends_with("{}"), "{json}");
        let html = raw_get(&fx, "/registry.example/simple/p/", "Accept: text/html\r\n");
        assert!(html.contains("content-type: text/html") && html.ends_with("<html></html>"), "{html}");

        // The body carries a fresh time, the validator does not change with it.
        let etag = full.lines().find_map(|l| l.strip_prefix("etag: ")).unwrap().to_owned();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let again = raw_get(&fx, "/registry.example/pkg", &format!("If-None-Match: {etag}\r\n"));
        assert!(again.starts_with("HTTP/1.1 304"), "{again}");
    }

    #[test]
    fn outages_answer_503_or_refuse_and_end() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join("example.org")).unwrap();
        fs_err::write(dir.path().join("example.org/doc"), "{}").unwrap();
        let fx = FixtureRegistry::start(dir.path());
        let addr = fx.origin().trim_start_matches("http://").to_owned();

        fx.set_outage(Outage::Unavailable);
        let down = raw_get(&fx, "/example.org/doc", "");
        assert!(down.starts_with("HTTP/1.1 503") && down.contains("retry-after: 0"), "{down}");

        fx.set_outage(Outage::Refused);
        let refused = std::net::TcpStream::connect(&addr).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused, "{refused}");

        fx.set_outage(Outage::None);
        assert!(raw_get(&fx, "/example.org/doc", "").starts_with("HTTP/1.1 200"));
        let statuses: Vec<u16> = fx.requests_to("/example.org/doc").iter().map(|r| r.status).collect();
        assert_eq!(statuses, [503, 200]);
    }

    #[test]
    fn the_proxy_fixture_tree_is_consistent() {
        // Both packument forms of every npm package are served, times filled in and tarball
        // URLs pointing here (npm itself checks the integrity in the end-to-end tests).
        let fx = FixtureRegistry::start(proxy_fixtures());
        for name in ["axios", "plain-crypto-js", "ms", "@tootallnate%2fonce"] {
            for accept in ["application/json", "application/vnd.npm.install-v1+json"] {
                let doc =
                    raw_get(&fx, &format!("/registry.npmjs.org/{name}"), &format!("Accept: {accept}\r\n"));
                assert!(doc.starts_with("HTTP/1.1 200"), "{name}: {doc}");
                assert!(!doc.contains("{{now"), "{name}: {doc}");
                assert!(
                    doc.contains(&format!("\"tarball\": \"{}/registry.npmjs.org/", fx.origin())),
                    "{name}: {doc}"
                );
            }
        }
    }
}

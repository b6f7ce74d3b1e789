//! `firebreak proxy`: a registry endpoint that serves only what the policy allows.
//!
//! Clients point their registry at it (`registry=http://HOST/npm/`, cargo's
//! `sparse+http://HOST/cargo/index/`). For each document it
//! fetches upstream (cached, revalidated, coalesced), decides every release with
//! [`crate::decide`], removes the blocked ones (marks them yanked in a crates.io index
//! file, see the `cargo` module), rewrites the download URLs to come back
//! through the proxy, and refuses a blocked download with a 403 whose body names the rule
//! and the exemption. It is a registry endpoint, not a TLS-intercepting man in the middle:
//! it only ever fetches from the upstreams it was configured with.

mod cargo;
mod npm;
pub mod ops;
mod pypi;
mod upstream;

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use firebreak_core::{Ecosystem, Timestamp};
use firebreak_policy::Policy;
use firebreak_registry::{Credentials, PackageHistory};
use hyper_util::rt::{TokioIo, TokioTimer};
use reqwest::Url;

use crate::decide::{Advisories, Decision};
pub use ops::{AuditLog, AuditRecord, Metrics};
use upstream::{Upstream, UpstreamOptions};

/// The clock the release-age rule reads (the real one in production; tests pass theirs).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;
/// Where the proxy's log lines go (the binary writes them to stderr).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        match Timestamp::from_unix(secs, 0) {
            Some(t) => t,
            None => unreachable!("a whole number of seconds is always a timestamp"),
        }
    })
}

/// Everything the proxy is configured with besides the policy.
#[derive(Clone)]
pub struct ProxyOptions {
    /// The npm registry (`https://registry.npmjs.org/`).
    pub npm_upstream: Url,
    /// Per-scope npm registries (`@scope` → URL), from the user's `.npmrc`.
    pub npm_scopes: BTreeMap<String, Url>,
    /// The PyPI simple index base (`https://pypi.org/simple/`).
    pub pypi_upstream: Url,
    /// The crates.io sparse index base (`https://index.crates.io/`).
    pub cargo_upstream: Url,
    /// The crates.io web API base (`https://crates.io/`), asked for the publish times of
    /// index lines without `pubtime`.
    pub cargo_api_upstream: Url,
    /// Credentials for the upstreams, sent only to the host and path they belong to.
    pub credentials: Credentials,
    /// Pass the client's `Authorization` upstream (instead of the configured
    /// credentials). Off by default: the proxy's own credentials are the ones used.
    pub forward_authorization: bool,
    /// Documents and artifacts on disk (`None`: documents in memory only, artifacts not
    /// kept).
    pub cache_dir: Option<PathBuf>,
    /// The policy file, re-read by [`Proxy::reload_policy`].
    pub policy_path: Option<PathBuf>,
    /// Signal ids `[signals]` may name.
    pub known_signals: Vec<&'static str>,
    /// A cached document is served without asking upstream for this long.
    pub fresh_for: Duration,
    /// Decisions are recomputed at least this often (new advisory data in the database
    /// file, policy ignores that expire); also whenever the document or the policy
    /// changes, and as soon as a release crosses a release-age threshold.
    pub decisions_for: Duration,
    /// The largest upstream document accepted.
    pub max_document_size: usize,
    /// The largest artifact accepted.
    pub max_artifact_size: usize,
    /// Memory for documents as served (filtered npm packuments, decided PyPI pages).
    pub memory_cache_bytes: usize,
    /// Memory for upstream bodies, kept to filter them again when decisions expire (the
    /// disk cache holds them too; a document served while fresh does not need its body).
    pub upstream_memory_bytes: usize,
    /// A client must send its request headers within this time.
    pub header_timeout: Duration,
    /// A request must be answered within this time (504 otherwise).
    pub request_timeout: Duration,
    /// Connect and read timeout towards upstream.
    pub upstream_timeout: Duration,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Extra PEM roots trusted for the upstream connections, on top of the system's.
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for ProxyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyOptions")
            .field("npm_upstream", &self.npm_upstream.as_str())
            .field("pypi_upstream", &self.pypi_upstream.as_str())
            .field("cargo_upstream", &self.cargo_upstream.as_str())
            .field("cargo_api_upstream", &self.cargo_api_upstream.as_str())
            .field("cache_dir", &self.cache_dir)
            .finish_non_exhaustive()
    }
}

impl Default for ProxyOptions {
    fn default() -> Self {
        let url = |s: &str| {
            Url::parse(s)
                .unwrap_or_else(|_| Url::parse("https://invalid/").unwrap_or_else(|_| unreachable!()))
        };
        ProxyOptions {
            npm_upstream: url("https://registry.npmjs.org/"),
            npm_scopes: BTreeMap::new(),
            pypi_upstream: url("https://pypi.org/simple/"),
            cargo_upstream: url("https://index.crates.io/"),
            cargo_api_upstream: url("https://crates.io/"),
            credentials: Credentials::new(),
            forward_authorization: false,
            cache_dir: None,
            policy_path: None,
            known_signals: Vec::new(),
            fresh_for: Duration::from_secs(60),
            decisions_for: Duration::from_secs(300),
            max_document_size: 64 << 20,
            max_artifact_size: 256 << 20,
            memory_cache_bytes: 128 << 20,
            upstream_memory_bytes: 16 << 20,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            upstream_timeout: Duration::from_secs(60),
            max_connections: 1024,
            extra_ca_pem: None,
        }
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The upstream HTTP client could not be built.
    #[error("cannot build the upstream HTTP client: {0}")]
    Client(String),
    /// The extra CA bundle holds no usable certificate.
    #[error("`--extra-ca`: {0}")]
    ExtraCa(String),
    /// The TLS certificate or key could not be used.
    #[error("TLS: {0}")]
    Tls(String),
}

/// A decided document: the decisions for one upstream body under one policy generation.
struct Decided {
    digest: [u8; 32],
    generation: u64,
    until: Instant,
    decisions: Arc<BTreeMap<String, Decision>>,
}

pub(crate) struct Inner {
    options: ProxyOptions,
    policy: RwLock<Arc<Policy>>,
    generation: AtomicU64,
    advisories: Arc<Advisories>,
    clock: Clock,
    log: LogSink,
    upstream: Upstream,
    metrics: Arc<Metrics>,
    audit: Option<AuditLog>,
    decided: Mutex<HashMap<(Ecosystem, String), Decided>>,
    /// Filtered npm packuments by (name, base URL, abbreviated).
    rendered: Mutex<HashMap<(String, String, bool), Arc<npm::Rendered>>>,
    /// Decided PyPI project pages by normalised name.
    pypi_pages: Mutex<HashMap<String, Arc<pypi::Page>>>,
    /// Decisions computed at once (one per core).
    deciding: tokio::sync::Semaphore,
}

/// The proxy: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct Proxy {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("options", &self.inner.options).finish_non_exhaustive()
    }
}

/// The client's address and whether it came over TLS, attached to each request by the
/// connection loop.
#[derive(Debug, Clone, Copy)]
struct ClientAddr(SocketAddr, bool);

impl Proxy {
    /// Builds the proxy. `audit` is the opened audit log, when one was asked for.
    pub fn new(
        options: ProxyOptions,
        policy: Policy,
        advisories: Advisories,
        audit: Option<AuditLog>,
        clock: Clock,
        log: LogSink,
    ) -> Result<Proxy, ProxyError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("firebreak-proxy/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.upstream_timeout)
            .read_timeout(options.upstream_timeout)
            // A redirect could lead anywhere; the proxy only talks to its upstreams.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &options.extra_ca_pem {
            let certs =
                reqwest::Certificate::from_pem_bundle(pem).map_err(|e| ProxyError::ExtraCa(e.to_string()))?;
            if certs.is_empty() {
                return Err(ProxyError::ExtraCa("no PEM certificate in the file".to_owned()));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder.build().map_err(|e| ProxyError::Client(e.to_string()))?;
        let metrics = Arc::new(Metrics::default());
        let upstream = Upstream::new(
            client,
            options.credentials.clone(),
            UpstreamOptions {
                cache_dir: options.cache_dir.clone(),
                fresh_for: options.fresh_for,
                max_document_size: options.max_document_size,
                max_artifact_size: options.max_artifact_size,
                memory_cache_bytes: options.upstream_memory_bytes,
            },
            metrics.clone(),
        );
        Ok(Proxy {
            inner: Arc::new(Inner {
                options,
                policy: RwLock::new(Arc::new(policy)),
                generation: AtomicU64::new(0),
                advisories: Arc::new(advisories),
                clock,
                log,
                upstream,
                metrics,
                audit,
                decided: Mutex::new(HashMap::new()),
                rendered: Mutex::new(HashMap::new()),
                pypi_pages: Mutex::new(HashMap::new()),
                deciding: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
                ),
            }),
        })
    }

    /// The metrics (for embedding and tests).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        self.inner.policy()
    }

    /// Re-reads the policy file (SIGHUP). A policy that does not parse leaves the one in
    /// force in place; the error says why, and is also logged.
    pub fn reload_policy(&self) -> Result<(), String> {
        let Some(path) = &self.inner.options.policy_path else {
            return Err("no policy file to reload (the defaults are in force)".to_owned());
        };
        let display = path.display().to_string();
        let result = fs_err::read_to_string(path).map_err(|e| e.to_string()).and_then(|text| {
            firebreak_policy::parse_checked(&display, &text, &self.inner.options.known_signals).map_err(|e| {
                let details: Vec<String> = e.problems().iter().map(ToString::to_string).collect();
                if details.is_empty() { e.to_string() } else { details.join("; ") }
            })
        });
        match result {
            Ok(policy) => {
                self.set_policy(policy);
                (self.inner.log)(&format!("policy reloaded from {display}"));
                Ok(())
            }
            Err(e) => {
                (self.inner.log)(&format!("policy reload failed, keeping the policy in force: {e}"));
                Err(e)
            }
        }
    }

    /// Replaces the policy (decisions made under the old one are dropped).
    pub fn set_policy(&self, policy: Policy) {
        *self.inner.policy.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(policy);
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// An axum router answering every route (without client addresses in the audit log;
    /// [`Proxy::serve`] provides them).
    pub fn router(&self) -> Router {
        let inner = self.inner.clone();
        Router::new().fallback(move |request: axum::extract::Request| {
            let inner = inner.clone();
            async move { dispatch(inner, request).await }
        })
    }

    /// Serves connections from `listener` until `shutdown` completes, then lets the
    /// requests in progress finish (at most 10 seconds). With `tls`, connections are TLS.
    /// Slow clients are cut off: headers must arrive within `header_timeout`, answers
    /// take at most `request_timeout`.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let slots = Arc::new(tokio::sync::Semaphore::new(self.inner.options.max_connections.max(1)));
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        tokio::pin!(shutdown);
        loop {
            let (stream, addr) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, do not spin.
                        (self.inner.log)(&format!("accept failed: {e}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => match slot { Ok(s) => s, Err(_) => break },
                () = &mut shutdown => break,
            };
            let inner = self.inner.clone();
            let watcher = graceful.watcher();
            let acceptor = acceptor.clone();
            let tls = acceptor.is_some();
            tokio::spawn(async move {
                let _slot = slot;
                let header_timeout = inner.options.header_timeout;
                let service =
                    hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(ClientAddr(addr, tls));
                        let inner = inner.clone();
                        async move { Ok::<_, Infallible>(dispatch(inner, request.map(Body::new)).await) }
                    });
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
                match acceptor {
                    Some(acceptor) => {
                        let Ok(Ok(stream)) =
                            tokio::time::timeout(header_timeout, acceptor.accept(stream)).await
                        else {
                            return;
                        };
                        let _ = watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await;
                    }
                    None => {
                        let _ = watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await;
                    }
                }
            });
        }
        drop(listener);
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(Duration::from_secs(10)) => {}
        }
        Ok(())
    }
}

/// The server side of TLS from PEM files: a certificate chain and its private key.
pub fn tls_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>, ProxyError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| ProxyError::Tls(format!("cannot read the certificate: {e}")))?;
    if certs.is_empty() {
        return Err(ProxyError::Tls("no certificate in the certificate file".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| ProxyError::Tls(format!("cannot read the private key: {e}")))?;
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ProxyError::Tls(e.to_string()))?;
    Ok(Arc::new(config))
}

impl Inner {
    fn policy(&self) -> Arc<Policy> {
        self.policy.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// A packument rendered from this upstream body under the policy in force, less than
    /// `decisions_for` ago.
    fn rendered(&self, key: &(String, String, bool), digest: [u8; 32]) -> Option<Arc<npm::Rendered>> {
        let rendered = self.rendered.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let r = rendered.get(key)?;
        (r.digest == digest && r.generation == self.generation() && Instant::now() < r.until)
            .then(|| r.clone())
    }

    fn remember_rendered(&self, key: (String, String, bool), rendered: Arc<npm::Rendered>) {
        let mut map = self.rendered.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bounded: at most a few thousand documents, each at most the document limit.
        let total: usize = map.values().map(|r| r.body.len()).sum::<usize>() + rendered.body.len();
        if map.len() >= 4096 || total > self.options.memory_cache_bytes {
            map.clear();
        }
        map.insert(key, rendered);
    }

    /// A PyPI page decided from this upstream body under the policy in force, less than
    /// `decisions_for` ago.
    fn pypi_page(&self, project: &str, digest: [u8; 32]) -> Option<Arc<pypi::Page>> {
        let pages = self.pypi_pages.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let p = pages.get(project)?;
        (p.digest == digest && p.generation == self.generation() && Instant::now() < p.until)
            .then(|| p.clone())
    }

    fn remember_pypi_page(&self, project: &str, page: Arc<pypi::Page>) {
        let mut pages = self.pypi_pages.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bounded like the npm renders: a few thousand pages, about the document limit.
        let total: usize = pages.values().map(|p| p.size).sum::<usize>() + page.size;
        if pages.len() >= 4096 || total > self.options.memory_cache_bytes {
            pages.clear();
        }
        pages.insert(project.to_owned(), page);
    }

    /// The decisions for a package document, recomputed when the document or the policy
    /// changed or `decisions_for` passed (releases age out of the cooldown).
    async fn decisions(
        self: &Arc<Self>,
        ecosystem: Ecosystem,
        name: &str,
        digest: [u8; 32],
        history: impl FnOnce() -> PackageHistory + Send + 'static,
    ) -> (Arc<BTreeMap<String, Decision>>, Instant) {
        let generation = self.generation.load(Ordering::SeqCst);
        let key = (ecosystem, name.to_owned());
        {
            let decided = self.decided.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(d) = decided.get(&key)
                && d.digest == digest
                && d.generation == generation
                && Instant::now() < d.until
            {
                return (d.decisions.clone(), d.until);
            }
        }
        let policy = self.policy();
        let advisories = self.advisories.clone();
        let now = (self.clock)();
        // Deciding reads the advisory database and runs every analyzer: keep it off the
        // threads that serve connections, and at most one per core at a time, so that many
        // documents decided at once (a cold cache, a policy reload) queue instead of
        // holding every parsed document in memory together.
        let permit = self.deciding.acquire().await.ok();
        let decided_for = self.options.decisions_for;
        let (decisions, until) = tokio::task::spawn_blocking(move || {
            let history = history();
            let decisions = crate::decide::decide_all(ecosystem, &history, &policy, &advisories, now);
            let crossing = crate::decide::seconds_to_next_age_crossing(&history, &policy, now)
                .map_or(decided_for, |s| decided_for.min(Duration::from_secs(s)));
            (decisions, Instant::now() + crossing)
        })
        .await
        .unwrap_or_else(|_| (BTreeMap::new(), Instant::now()));
        drop(permit);
        let decisions = Arc::new(decisions);
        let mut decided = self.decided.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if decided.len() > 10_000 {
            decided.clear();
        }
        decided.insert(key, Decided { digest, generation, until, decisions: decisions.clone() });
        (decisions, until)
    }

    /// The response for a fetched artifact: its bytes (auditing `allowed`, the decision
    /// that let it through, when given), or the upstream error, after logging and auditing
    /// a digest mismatch as the refusal it is. `label` names the download in the log.
    #[allow(clippy::too_many_arguments)]
    fn artifact_response(
        &self,
        info: &RequestInfo,
        ecosystem: &str,
        name: &str,
        version: &str,
        label: &str,
        allowed: Option<&Decision>,
        fetched: Result<axum::body::Bytes, upstream::UpstreamError>,
    ) -> Result<Response, upstream::UpstreamError> {
        match fetched {
            Ok(bytes) => {
                if let Some(decision) = allowed {
                    self.audit(info.client, ecosystem, name, version, "artifact", decision);
                }
                let mut r = Response::new(Body::from(bytes));
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
                Ok(r)
            }
            Err(e) => {
                if matches!(e, upstream::UpstreamError::IntegrityMismatch(_)) {
                    (self.log)(&format!("{label}: {e}; not served"));
                    let refused = Decision {
                        allowed: false,
                        rule: "integrity-mismatch".to_owned(),
                        reason: e.to_string(),
                        fallback: None,
                    };
                    self.audit(info.client, ecosystem, name, version, "artifact", &refused);
                }
                Err(e)
            }
        }
    }

    fn audit(
        &self,
        client: Option<SocketAddr>,
        ecosystem: &str,
        package: &str,
        version: &str,
        request: &str,
        d: &Decision,
    ) {
        self.metrics.decision(&d.rule, d.allowed);
        let Some(log) = &self.audit else { return };
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX));
        let record = AuditRecord {
            time: ops::rfc3339_millis(millis),
            client: ops::client_label(client),
            ecosystem,
            package,
            version,
            request,
            decision: if d.allowed { "allowed" } else { "blocked" },
            rule: &d.rule,
            reason: &d.reason,
            fallback: d.fallback.as_deref(),
        };
        if let Err(e) = log.write(&record) {
            (self.log)(&format!("cannot write the audit log: {e}"));
        }
    }
}

/// What a handler needs to know about the request.
pub(crate) struct RequestInfo {
    method: Method,
    headers: HeaderMap,
    query: Option<String>,
    client: Option<SocketAddr>,
    /// `http://host:port` as the client reached the proxy, for rewritten URLs.
    base: String,
}

impl RequestInfo {
    /// The quality the `Accept` header gives `media` (`None`: not listed).
    fn quality(&self, media: &str) -> Option<f32> {
        let accept = self.headers.get(header::ACCEPT)?.to_str().ok()?;
        accept.split(',').find_map(|part| {
            let mut params = part.split(';').map(str::trim);
            if !params.next()?.eq_ignore_ascii_case(media) {
                return None;
            }
            let q = params
                .find_map(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            Some(q)
        })
    }

    /// Whether the client prefers `preferred` over `other` (listed, and at least as
    /// welcome).
    fn prefers(&self, preferred: &str, other: &str) -> bool {
        match (self.quality(preferred), self.quality(other)) {
            (Some(p), Some(o)) => p >= o && p > 0.0,
            (Some(p), None) => p > 0.0,
            _ => false,
        }
    }

    /// The client's `Authorization`, when the operator lets it through.
    fn forwarded_auth(&self, inner: &Inner) -> Option<HeaderValue> {
        if !inner.options.forward_authorization {
            return None;
        }
        self.headers.get(header::AUTHORIZATION).cloned()
    }
}

async fn dispatch(inner: Arc<Inner>, request: axum::extract::Request) -> Response {
    let timeout = inner.options.request_timeout;
    let route_inner = inner.clone();
    match tokio::time::timeout(timeout, route(route_inner, request)).await {
        Ok((route, response)) => {
            inner.metrics.request(route, response.status().as_u16());
            response
        }
        Err(_) => {
            inner.metrics.request("timeout", 504);
            text(
                StatusCode::GATEWAY_TIMEOUT,
                "firebreak proxy: the request took too long and was abandoned\n",
            )
        }
    }
}

async fn route(inner: Arc<Inner>, request: axum::extract::Request) -> (&'static str, Response) {
    let (parts, _body) = request.into_parts();
    let client = parts.extensions.get::<ClientAddr>().map(|c| c.0);
    let tls = parts.extensions.get::<ClientAddr>().is_some_and(|c| c.1);
    let raw_path = parts.uri.path().to_owned();
    let base = base_url(&parts.headers, tls);
    let info = RequestInfo {
        method: parts.method,
        headers: parts.headers,
        query: parts.uri.query().map(str::to_owned),
        client,
        base,
    };
    let Some(segments) = segments(&raw_path) else {
        return ("invalid", text(StatusCode::BAD_REQUEST, "firebreak proxy: invalid request path\n"));
    };
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["healthz"] => ("healthz", text(StatusCode::OK, "ok\n")),
        ["metrics"] => {
            let mut r = text(StatusCode::OK, &inner.metrics.render());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            ("metrics", r)
        }
        ["npm", rest @ ..] => npm::handle(&inner, &info, rest).await,
        ["pypi", rest @ ..] => pypi::handle(&inner, &info, rest).await,
        ["cargo", rest @ ..] => cargo::handle(&inner, &info, rest).await,
        _ => (
            "not-found",
            text(
                StatusCode::NOT_FOUND,
                "firebreak proxy: no such route (npm is served under /npm/, PyPI under /pypi/simple/, crates.io under /cargo/index/)\n",
            ),
        ),
    }
}

/// `scheme://host[:port]` from the `Host` header, when it is a plausible host; else the
/// loopback name (the header is the client's, and goes into URLs the proxy writes).
fn base_url(headers: &HeaderMap, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
                })
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// The path's segments, percent-decoded; `None` for anything that is not a plain path:
/// `.` or `..` (encoded or not), empty segments, backslashes, control characters, invalid
/// escapes or UTF-8. A trailing `/` is allowed and dropped.
fn segments(raw: &str) -> Option<Vec<String>> {
    let path = raw.strip_prefix('/')?;
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    for segment in path.split('/') {
        let decoded = percent_decode(segment)?;
        // An encoded slash is only npm's scoped name, `@scope%2fname`.
        let slash_ok =
            decoded.strip_prefix('@').and_then(|r| r.split_once('/')).is_some_and(|(scope, name)| {
                !scope.is_empty()
                    && !name.is_empty()
                    && !name.contains('/')
                    && !scope.starts_with('.')
                    && !name.starts_with('.')
            });
        if decoded.is_empty()
            || (decoded.contains('/') && !slash_ok)
            || decoded == "."
            || decoded == ".."
            || decoded.contains(['\\', '\0'])
            || decoded.chars().any(char::is_control)
            || decoded.len() > 512
        {
            return None;
        }
        out.push(decoded);
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn text(status: StatusCode, body: &str) -> Response {
    let mut r = Response::new(Body::from(body.to_owned()));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut r = Response::new(Body::from(serde_json::to_vec(value).unwrap_or_default()));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_traversal_or_junk_are_refused() {
        assert_eq!(segments("/npm/axios").unwrap(), ["npm", "axios"]);
        assert_eq!(segments("/npm/@types%2fnode").unwrap(), ["npm", "@types/node"]);
        assert_eq!(segments("/npm/").unwrap(), ["npm"]);
        for bad in [
            "/npm/../etc/passwd",
            "/npm/%2e%2e/x",
            "/npm//axios",
            "/npm/a%00b",
            "/npm/a%zz",
            "/npm/a\\b",
            "npm",
            "/npm/%ff",
            "/npm/..%2f..%2fx",
            "/npm/@a%2f..",
            "/npm/@a%2fb%2fc",
        ] {
            assert!(segments(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_host_header_is_checked_before_it_is_used() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:4873"));
        assert_eq!(base_url(&h, false), "http://127.0.0.1:4873");
        h.insert(header::HOST, HeaderValue::from_static("evil.com/\"><x"));
        assert_eq!(base_url(&h, true), "https://localhost");
    }
}

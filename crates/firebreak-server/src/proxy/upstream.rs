//! The upstream side of the proxy: documents cached in memory and on disk and revalidated
//! with their ETag, served stale when upstream fails, and fetched once however many
//! clients ask at the same time; artifacts cached under their digest and verified before
//! anything is served.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::http::StatusCode;
use firebreak_archive::{Integrity, verify_integrity};
use firebreak_registry::Credentials;
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, ETAG, HeaderValue, IF_NONE_MATCH};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use super::ops::Metrics;

/// Why a document or artifact could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UpstreamError {
    /// Upstream says it does not exist (404 or 410).
    NotFound,
    /// Upstream answered another error status (401, 403 …) that the client should see.
    Status(u16),
    /// Upstream cannot be reached or failed, and nothing is cached.
    Unavailable(String),
    /// The document or artifact is larger than the limit.
    TooLarge { limit: usize },
    /// The artifact's bytes do not have the published digest; they are never served.
    IntegrityMismatch(String),
}

impl UpstreamError {
    /// The status and the sentence a client gets for this error about `what`
    /// (`` `axios` ``, `` crate `logwise` ``): `source` names the upstream (`registry`,
    /// `index`), `digest` what the bytes were checked against (`the index checksum`).
    pub(crate) fn answer(&self, what: &str, source: &str, digest: &str) -> (StatusCode, String) {
        match self {
            UpstreamError::NotFound => (StatusCode::NOT_FOUND, format!("{what} not found upstream")),
            UpstreamError::Status(s) => (
                StatusCode::from_u16(*s).unwrap_or(StatusCode::BAD_GATEWAY),
                format!("the upstream {source} answered HTTP {s} for {what}"),
            ),
            UpstreamError::TooLarge { limit } => (
                StatusCode::BAD_GATEWAY,
                format!("firebreak proxy refused the upstream answer for {what}: larger than {limit} bytes"),
            ),
            UpstreamError::Unavailable(why) => (
                StatusCode::BAD_GATEWAY,
                format!(
                    "firebreak proxy cannot reach the upstream {source} for {what} and has no cached copy ({why})"
                ),
            ),
            UpstreamError::IntegrityMismatch(why) => (
                StatusCode::BAD_GATEWAY,
                format!(
                    "firebreak proxy refused to serve {what}: the bytes from upstream do not match {digest} ({why})"
                ),
            ),
        }
    }
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamError::NotFound => f.write_str("not found upstream"),
            UpstreamError::Status(s) => write!(f, "upstream answered HTTP {s}"),
            UpstreamError::Unavailable(why) => write!(f, "upstream unavailable: {why}"),
            UpstreamError::TooLarge { limit } => write!(f, "larger than the {limit}-byte limit"),
            UpstreamError::IntegrityMismatch(why) => write!(f, "integrity check failed: {why}"),
        }
    }
}

/// A document as upstream served it.
#[derive(Debug)]
pub(crate) struct Doc {
    /// The body.
    pub(crate) body: Vec<u8>,
    /// Its SHA-256, to key what is derived from it.
    pub(crate) digest: [u8; 32],
    etag: Option<String>,
    /// When upstream last confirmed it.
    checked: Instant,
    /// Served although upstream failed to confirm it (stale-if-error).
    pub(crate) stale: bool,
}

impl Doc {
    fn new(body: Vec<u8>, etag: Option<String>) -> Doc {
        let digest = Sha256::digest(&body).into();
        Doc { body, digest, etag, checked: Instant::now(), stale: false }
    }
}

/// Limits and timing.
#[derive(Debug, Clone)]
pub(crate) struct UpstreamOptions {
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) fresh_for: Duration,
    pub(crate) max_document_size: usize,
    pub(crate) max_artifact_size: usize,
    pub(crate) memory_cache_bytes: usize,
}

type Cell<T> = Arc<OnceCell<Result<T, UpstreamError>>>;

#[derive(Debug, Default)]
struct Memory {
    docs: HashMap<String, Arc<Doc>>,
    /// Insertion order, oldest first, for eviction.
    order: Vec<String>,
    bytes: usize,
    /// When upstream last confirmed each document and its digest, kept after its body is
    /// evicted: what is derived from a document (a filtered packument) can then be served
    /// without reading the body again, which the hot path of a proxy in front of more
    /// documents than fit in memory needs.
    confirmed: HashMap<String, ([u8; 32], Instant)>,
}

/// Documents whose confirmation time is remembered (about 100 bytes each).
const MAX_CONFIRMED: usize = 1 << 18;

pub(crate) struct Upstream {
    client: reqwest::Client,
    credentials: Credentials,
    options: UpstreamOptions,
    memory: Mutex<Memory>,
    docs_in_flight: Mutex<HashMap<String, Cell<Arc<Doc>>>>,
    blobs_in_flight: Mutex<HashMap<String, Cell<Bytes>>>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("options", &self.options).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The cache key of a document: its URL, the media type asked for and, for a document
/// fetched with the client's own credentials, a digest of them.
fn doc_key(url: &Url, accept: &str, client_auth: Option<&HeaderValue>) -> String {
    let mut key = format!("{accept} {url}");
    if let Some(auth) = client_auth {
        key.push_str(&format!(" auth:{}", key_of(auth.to_str().unwrap_or_default())));
    }
    key_of(&key)
}

/// The SHA-256 of a string, as hex: cache file names that say nothing about the URL.
pub(crate) fn key_of(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

impl Upstream {
    pub(crate) fn new(
        client: reqwest::Client,
        credentials: Credentials,
        options: UpstreamOptions,
        metrics: Arc<Metrics>,
    ) -> Upstream {
        Upstream {
            client,
            credentials,
            options,
            memory: Mutex::new(Memory::default()),
            docs_in_flight: Mutex::new(HashMap::new()),
            blobs_in_flight: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    /// The document at `url`. `client_auth` is the client's `Authorization`, passed on
    /// only when the operator configured it; such documents are cached per credential so
    /// that one client's private document is never served to another.
    pub(crate) async fn document(
        &self,
        url: &Url,
        accept: &'static str,
        client_auth: Option<&HeaderValue>,
    ) -> Result<Arc<Doc>, UpstreamError> {
        let key = doc_key(url, accept, client_auth);
        let cached = self.cached(&key);
        if let Some(doc) = &cached
            && doc.checked.elapsed() < self.options.fresh_for
            && !doc.stale
        {
            self.metrics.cache("document", true);
            return Ok(doc.clone());
        }
        self.metrics.cache("document", false);
        let cell = {
            let mut flights = lock(&self.docs_in_flight);
            flights.entry(key.clone()).or_default().clone()
        };
        let result = cell
            .get_or_init(|| async { self.fetch_document(url, accept, client_auth, &key, cached).await })
            .await
            .clone();
        let mut flights = lock(&self.docs_in_flight);
        if flights.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            flights.remove(&key);
        }
        result
    }

    /// The digest of the document at `url` when upstream confirmed it less than
    /// `fresh_for` ago, without reading its body: the fast path for a request whose
    /// answer is derived from the document and cached by its digest.
    pub(crate) fn fresh_digest(
        &self,
        url: &Url,
        accept: &'static str,
        client_auth: Option<&HeaderValue>,
    ) -> Option<[u8; 32]> {
        let key = doc_key(url, accept, client_auth);
        let (digest, checked) = *lock(&self.memory).confirmed.get(&key)?;
        (checked.elapsed() < self.options.fresh_for).then_some(digest)
    }

    fn cached(&self, key: &str) -> Option<Arc<Doc>> {
        if let Some(doc) = lock(&self.memory).docs.get(key) {
            return Some(doc.clone());
        }
        // A document from an earlier run: usable for revalidation and stale-if-error,
        // never fresh (its age is unknown to this process).
        let dir = self.options.cache_dir.as_ref()?;
        let body = fs_err::read(dir.join("docs").join(key)).ok()?;
        let etag = fs_err::read_to_string(dir.join("docs").join(format!("{key}.etag"))).ok();
        let mut doc = Doc::new(body, etag.filter(|e| !e.is_empty()));
        doc.checked = Instant::now().checked_sub(self.options.fresh_for).unwrap_or_else(Instant::now);
        Some(Arc::new(doc))
    }

    fn remember(&self, key: &str, doc: &Arc<Doc>, write_disk: bool) {
        let mut memory = lock(&self.memory);
        if let Some(old) = memory.docs.insert(key.to_owned(), doc.clone()) {
            memory.bytes -= old.body.len().min(memory.bytes);
            memory.order.retain(|k| k != key);
        }
        memory.order.push(key.to_owned());
        memory.bytes += doc.body.len();
        if memory.confirmed.len() >= MAX_CONFIRMED && !memory.confirmed.contains_key(key) {
            memory.confirmed.clear();
        }
        memory.confirmed.insert(key.to_owned(), (doc.digest, doc.checked));
        while memory.bytes > self.options.memory_cache_bytes && memory.order.len() > 1 {
            let oldest = memory.order.remove(0);
            if let Some(old) = memory.docs.remove(&oldest) {
                memory.bytes -= old.body.len().min(memory.bytes);
            }
        }
        drop(memory);
        if write_disk && let Some(dir) = &self.options.cache_dir {
            let dir = dir.join("docs");
            let _ = write_atomic(&dir, key, &doc.body);
            let _ = write_atomic(&dir, &format!("{key}.etag"), doc.etag.as_deref().unwrap_or("").as_bytes());
        }
    }

    async fn fetch_document(
        &self,
        url: &Url,
        accept: &'static str,
        client_auth: Option<&HeaderValue>,
        key: &str,
        cached: Option<Arc<Doc>>,
    ) -> Result<Arc<Doc>, UpstreamError> {
        let mut request = self.request(url, client_auth).header(ACCEPT, accept);
        if let Some(etag) = cached.as_ref().and_then(|d| d.etag.as_deref())
            && let Ok(v) = HeaderValue::from_str(etag)
        {
            request = request.header(IF_NONE_MATCH, v);
        }
        let started = Instant::now();
        let response = request.send().await;
        self.metrics.upstream_latency(started.elapsed());
        let stale = |why: String| match &cached {
            Some(doc) => {
                let mut copy = Doc::new(doc.body.clone(), doc.etag.clone());
                copy.stale = true;
                Ok(Arc::new(copy))
            }
            None => Err(UpstreamError::Unavailable(why)),
        };
        let response = match response {
            Ok(r) => r,
            Err(e) => return stale(transport_error(url, &e)),
        };
        let status = response.status().as_u16();
        match status {
            304 => match cached {
                Some(doc) => {
                    // The body is unchanged: its digest too (no need to hash it again).
                    let fresh = Arc::new(Doc {
                        body: doc.body.clone(),
                        digest: doc.digest,
                        etag: doc.etag.clone(),
                        checked: Instant::now(),
                        stale: false,
                    });
                    self.remember(key, &fresh, false);
                    Ok(fresh)
                }
                None => Err(UpstreamError::Unavailable(
                    "upstream answered 304 to an unconditional request".into(),
                )),
            },
            200 => {
                let etag = response.headers().get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
                match read_bounded(response, self.options.max_document_size).await {
                    Ok(body) => {
                        let doc = Arc::new(Doc::new(body, etag));
                        self.remember(key, &doc, true);
                        Ok(doc)
                    }
                    Err(UpstreamError::TooLarge { limit }) => Err(UpstreamError::TooLarge { limit }),
                    Err(e) => stale(e.to_string()),
                }
            }
            404 | 410 => Err(UpstreamError::NotFound),
            s if s >= 500 || s == 429 => stale(format!("HTTP {s} from {}", host_of(url))),
            s => Err(UpstreamError::Status(s)),
        }
    }

    fn request(&self, url: &Url, client_auth: Option<&HeaderValue>) -> reqwest::RequestBuilder {
        let mut request = self.client.get(url.clone());
        if let Some(auth) = client_auth {
            request = request.header(AUTHORIZATION, auth.clone());
        } else if let Some(credential) = self.credentials.for_url(url)
            && let Ok(mut value) = HeaderValue::from_str(&credential.header_value())
        {
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        request
    }

    /// The artifact at `url`, which must have the digest `integrity` (SRI, `alg:hex` or
    /// bare hex). Served from the cache after checking it again, else fetched, checked
    /// and stored; bytes that do not match are never returned.
    pub(crate) async fn artifact(
        &self,
        url: &Url,
        integrity: &str,
        client_auth: Option<&HeaderValue>,
    ) -> Result<Bytes, UpstreamError> {
        let key = key_of(integrity.trim());
        if let Some(dir) = &self.options.cache_dir {
            let path = dir.join("blobs").join(&key);
            if let Ok(bytes) = fs_err::read(&path) {
                if verify_integrity(&bytes, integrity).is_match() {
                    self.metrics.cache("artifact", true);
                    return Ok(Bytes::from(bytes));
                }
                // A damaged or tampered cache entry: drop it and fetch again.
                let _ = fs_err::remove_file(&path);
            }
        }
        self.metrics.cache("artifact", false);
        let cell = {
            let mut flights = lock(&self.blobs_in_flight);
            flights.entry(key.clone()).or_default().clone()
        };
        let result = cell
            .get_or_init(|| async { self.fetch_artifact(url, integrity, client_auth, &key).await })
            .await
            .clone();
        let mut flights = lock(&self.blobs_in_flight);
        if flights.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            flights.remove(&key);
        }
        result
    }

    async fn fetch_artifact(
        &self,
        url: &Url,
        integrity: &str,
        client_auth: Option<&HeaderValue>,
        key: &str,
    ) -> Result<Bytes, UpstreamError> {
        let started = Instant::now();
        let response = self.request(url, client_auth).send().await;
        self.metrics.upstream_latency(started.elapsed());
        let response = response.map_err(|e| UpstreamError::Unavailable(transport_error(url, &e)))?;
        match response.status().as_u16() {
            200 => {}
            404 | 410 => return Err(UpstreamError::NotFound),
            s if s >= 500 || s == 429 => {
                return Err(UpstreamError::Unavailable(format!("HTTP {s} from {}", host_of(url))));
            }
            s => return Err(UpstreamError::Status(s)),
        }
        let bytes = read_bounded(response, self.options.max_artifact_size).await?;
        match verify_integrity(&bytes, integrity) {
            Integrity::Match { .. } => {}
            other => return Err(UpstreamError::IntegrityMismatch(other.to_string())),
        }
        if let Some(dir) = &self.options.cache_dir {
            let _ = write_atomic(&dir.join("blobs"), key, &bytes);
        }
        Ok(Bytes::from(bytes))
    }
}

/// Reads a body up to `limit` bytes; a larger one is refused without reading it all.
async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, UpstreamError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(UpstreamError::TooLarge { limit });
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(UpstreamError::TooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(UpstreamError::Unavailable(format!("the body was cut off: {e}"))),
        }
    }
}

fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => "upstream".to_owned(),
    }
}

/// A transport error named by host only: URLs can carry credentials.
fn transport_error(url: &Url, e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    format!("{kind} to {}", host_of(url))
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    fs_err::create_dir_all(dir)?;
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    fs_err::write(&tmp, bytes)?;
    fs_err::rename(&tmp, dir.join(name))
}

//! The HTTP layer every client shares: credentials by scope, an on-disk cache revalidated
//! with ETag/Last-Modified, offline mode, bounded concurrency, retries with backoff, a
//! request budget and a document size cap.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{
    ACCEPT, AUTHORIZATION, ETAG, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::auth::Credentials;
use crate::error::RegistryError;

/// Tuning of the shared HTTP client. `Default` suits a CLI run against the public registries.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The cache directory; `None` disables the cache (and makes offline mode fail every
    /// request with [`RegistryError::NotCached`]).
    pub cache_dir: Option<PathBuf>,
    /// Use only the cache; never touch the network.
    pub offline: bool,
    /// A cached document younger than this is used without revalidation. Zero (the
    /// default) revalidates every time, which costs a 304 round trip but never serves a
    /// stale history.
    pub fresh_for: Duration,
    /// Requests in flight at once.
    pub max_concurrency: usize,
    /// Retries after the first attempt on 429, 5xx and connection errors.
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub backoff: Duration,
    /// The longest wait between attempts, whatever `Retry-After` asks for.
    pub max_backoff: Duration,
    /// Requests this client may send in its life (every attempt counts); `None` is
    /// unlimited.
    pub request_budget: Option<u32>,
    /// The largest document accepted, in bytes (after decompression). Packuments of
    /// popular npm packages reach tens of megabytes.
    pub max_document_size: u64,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// The `User-Agent` (crates.io refuses API requests without one).
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            cache_dir: None,
            offline: false,
            fresh_for: Duration::ZERO,
            max_concurrency: 16,
            max_retries: 3,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            request_budget: None,
            max_document_size: 256 * 1024 * 1024,
            timeout: Duration::from_secs(60),
            user_agent: concat!(
                "firebreak/",
                env!("CARGO_PKG_VERSION"),
                " (+https://github.com/firebreak-dev/firebreak)"
            )
            .to_owned(),
        }
    }
}

/// A fetched document.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The body.
    pub body: Vec<u8>,
    /// Whether it came from the cache (offline, fresh, or a 304).
    pub from_cache: bool,
}

/// The shared client. Cheap to share behind an `Arc`; every registry client holds one.
#[derive(Debug)]
pub struct HttpClient {
    inner: reqwest::Client,
    credentials: Credentials,
    options: ClientOptions,
    semaphore: Semaphore,
    sent: AtomicU32,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheMeta {
    url: String,
    accept: String,
    etag: Option<String>,
    last_modified: Option<String>,
    fetched_at: u64,
    /// SHA-256 of the cached body (hex), the key of what was derived from it. Absent in
    /// entries written before it was recorded.
    #[serde(default)]
    body_sha256: Option<String>,
}

/// Where a document came from.
enum Entry {
    /// Served by the cache; the body stays on disk until needed.
    Cached { key: String, digest: Option<String> },
    /// Fetched now (and stored in the cache, when there is one).
    Fresh { key: String, body: Vec<u8>, digest: String },
}

/// A reduced form of a document worth caching next to it (a packument's history).
pub(crate) trait Derived<T>: Sync {
    /// The file extension of the cached form, distinct per kind of document.
    fn kind(&self) -> &'static str;
    /// The version of the encoding; a cached form of another version is ignored.
    fn format(&self) -> u32;
    /// Reads the document.
    fn reduce(&self, body: &[u8]) -> Result<T, RegistryError>;
    /// The cached form.
    fn encode(&self, value: &T) -> Vec<u8>;
    /// Reads the cached form back; `None` when it is not what `encode` wrote.
    fn decode(&self, bytes: &[u8]) -> Option<T>;
}

/// The header of a derived cache entry: magic, format, body digest, payload digest.
const DERIVED_MAGIC: &[u8; 8] = b"FBDERIV1";
const DERIVED_HEADER: usize = 8 + 4 + 32 + 32;

/// A format number from a description and a version (FNV-1a), so that a cached form
/// written by another build or another reader is never taken for this one's.
pub(crate) const fn format_id(description: &str, version: u32) -> u32 {
    let bytes = description.as_bytes();
    let mut hash: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u32).wrapping_mul(0x0100_0193);
        i += 1;
    }
    let v = version.to_le_bytes();
    let mut j = 0;
    while j < 4 {
        hash = (hash ^ v[j] as u32).wrapping_mul(0x0100_0193);
        j += 1;
    }
    hash
}

fn body_digest(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

impl HttpClient {
    /// Builds the client. The process must have installed a rustls crypto provider
    /// (`rustls::crypto::ring::default_provider().install_default()`) before HTTPS is used.
    pub fn new(options: ClientOptions, credentials: Credentials) -> Result<HttpClient, RegistryError> {
        let inner = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| RegistryError::Client(e.to_string()))?;
        let permits = options.max_concurrency.max(1);
        Ok(HttpClient {
            inner,
            credentials,
            semaphore: Semaphore::new(permits),
            sent: AtomicU32::new(0),
            options,
        })
    }

    /// The options in use.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// How many HTTP requests were sent so far (retries included, cache hits excluded).
    pub fn requests_sent(&self) -> u32 {
        self.sent.load(Ordering::Relaxed)
    }

    /// GETs `url` with this `Accept` header, through the cache.
    pub async fn get(&self, url: &Url, accept: &str) -> Result<Fetched, RegistryError> {
        match self.get_entry(url, accept).await? {
            Entry::Fresh { body, .. } => Ok(Fetched { body, from_cache: false }),
            Entry::Cached { key, .. } => {
                let body = self.read_cached_body(url, &key)?;
                Ok(Fetched { body, from_cache: true })
            }
        }
    }

    /// GETs `url` through the cache and reduces the document with `derived`; the reduced
    /// form is cached next to the document, keyed by the document's SHA-256 and the
    /// format version, so that a document served from the cache (offline, fresh, or
    /// revalidated with a 304) is not read or parsed again. A derived entry that is
    /// missing, damaged, of another format or of another body is ignored and rebuilt.
    pub(crate) async fn get_derived<T>(
        &self,
        url: &Url,
        accept: &str,
        derived: &dyn Derived<T>,
    ) -> Result<T, RegistryError> {
        match self.get_entry(url, accept).await? {
            Entry::Fresh { key, body, digest } => {
                let value = derived.reduce(&body)?;
                self.store_derived(&key, derived, &digest, &value);
                Ok(value)
            }
            Entry::Cached { key, digest } => {
                if let Some(digest) = &digest
                    && let Some(value) = self.load_derived(&key, derived, digest)
                {
                    return Ok(value);
                }
                let body = self.read_cached_body(url, &key)?;
                let value = derived.reduce(&body)?;
                // An entry written before bodies were digested gets its digest now.
                let digest = match digest {
                    Some(d) => d,
                    None => {
                        let d = body_digest(&body);
                        self.set_digest(&key, &d);
                        d
                    }
                };
                self.store_derived(&key, derived, &digest, &value);
                Ok(value)
            }
        }
    }

    /// GETs an artifact (a package archive) of at most `limit` bytes, outside the document
    /// cache: archives are cached by their registry digest ([`crate::ArtifactCache`]), after
    /// the caller verified them, not by URL. Counts against the request budget, sends the
    /// credentials of the artifact's host, retries like [`HttpClient::get`]; offline it is
    /// [`RegistryError::NotCached`].
    pub async fn download(&self, url: &Url, limit: u64) -> Result<Vec<u8>, RegistryError> {
        if self.options.offline {
            return Err(RegistryError::NotCached { url: url.to_string() });
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut retries = 0u32;
        loop {
            self.take_budget(url)?;
            let permit = self
                .semaphore
                .acquire()
                .await
                .map_err(|_| RegistryError::Client("the request semaphore was closed".into()))?;
            let mut request = self.inner.get(url.clone()).header(ACCEPT, "application/octet-stream");
            if let Some(credential) = self.credentials.for_url(url)
                && let Ok(mut value) = HeaderValue::from_str(&credential.header_value())
            {
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            let outcome = match request.send().await {
                Ok(response) => read_artifact(url, &host, response, limit).await,
                Err(e) => Err((true, None, transport_error(&host, &e))),
            };
            drop(permit);
            match outcome {
                Ok(body) => return Ok(body),
                Err((retry, wait, mut error)) => {
                    if !retry || retries >= self.options.max_retries {
                        if let RegistryError::Network { retries: r, .. }
                        | RegistryError::Status { retries: r, .. } = &mut error
                        {
                            *r = retries;
                        }
                        return Err(error);
                    }
                    let backoff = self.options.backoff.saturating_mul(1u32 << retries.min(16));
                    tokio::time::sleep(wait.unwrap_or(backoff).min(self.options.max_backoff)).await;
                    retries += 1;
                }
            }
        }
    }

    fn read_cached_body(&self, url: &Url, key: &str) -> Result<Vec<u8>, RegistryError> {
        match self.read_body(key) {
            Some(body) => Ok(body),
            None if self.options.offline => Err(RegistryError::NotCached { url: url.to_string() }),
            None => Err(RegistryError::Cache {
                path: self.body_path(key).unwrap_or_default(),
                source: std::io::Error::other("the cached body is gone"),
            }),
        }
    }

    /// The document: answered by the cache (offline, fresh, or a 304; the body is left on
    /// disk) or fetched.
    async fn get_entry(&self, url: &Url, accept: &str) -> Result<Entry, RegistryError> {
        let key = cache_key(url, accept);
        // A validator without its body would turn a 304 into an error: treat it as a miss.
        let cached = self.read_meta(&key).filter(|_| self.body_path(&key).is_some_and(|p| p.is_file()));
        if self.options.offline {
            return match cached {
                Some(meta) => Ok(Entry::Cached { key, digest: meta.body_sha256 }),
                None => Err(RegistryError::NotCached { url: url.to_string() }),
            };
        }
        if let Some(meta) = &cached {
            let age = now_secs().saturating_sub(meta.fetched_at);
            if !self.options.fresh_for.is_zero() && age < self.options.fresh_for.as_secs() {
                return Ok(Entry::Cached { key, digest: meta.body_sha256.clone() });
            }
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut retries = 0u32;
        loop {
            self.take_budget(url)?;
            let permit = self
                .semaphore
                .acquire()
                .await
                .map_err(|_| RegistryError::Client("the request semaphore was closed".into()))?;
            let mut request = self.inner.get(url.clone()).header(ACCEPT, accept);
            if let Some(credential) = self.credentials.for_url(url)
                && let Ok(mut value) = HeaderValue::from_str(&credential.header_value())
            {
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            if let Some(meta) = &cached {
                if let Some(etag) = &meta.etag {
                    request = request.header(IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &meta.last_modified {
                    request = request.header(IF_MODIFIED_SINCE, lm);
                }
            }
            let outcome = match request.send().await {
                Ok(response) => self.handle(url, accept, &key, response, cached.as_ref()).await,
                Err(e) => Attempt::Retry { wait: None, error: transport_error(&host, &e) },
            };
            // Waiting out a backoff must not hold a slot other requests could use.
            drop(permit);
            match outcome {
                Attempt::Done(result) => return result,
                Attempt::Retry { wait, mut error } => {
                    if retries >= self.options.max_retries {
                        if let RegistryError::Network { retries: r, .. }
                        | RegistryError::Status { retries: r, .. } = &mut error
                        {
                            *r = retries;
                        }
                        return Err(error);
                    }
                    let backoff = self.options.backoff.saturating_mul(1u32 << retries.min(16));
                    let wait = wait.unwrap_or(backoff).min(self.options.max_backoff);
                    tokio::time::sleep(wait).await;
                    retries += 1;
                }
            }
        }
    }

    fn take_budget(&self, url: &Url) -> Result<(), RegistryError> {
        let sent = self.sent.fetch_add(1, Ordering::Relaxed);
        if let Some(limit) = self.options.request_budget
            && sent >= limit
        {
            self.sent.fetch_sub(1, Ordering::Relaxed);
            return Err(RegistryError::BudgetExhausted { limit, url: url.to_string() });
        }
        Ok(())
    }

    async fn handle(
        &self,
        url: &Url,
        accept: &str,
        key: &str,
        mut response: reqwest::Response,
        cached: Option<&CacheMeta>,
    ) -> Attempt {
        let status = response.status();
        let host = url.host_str().unwrap_or_default();
        if status == StatusCode::NOT_MODIFIED
            && let Some(meta) = cached
        {
            if self.body_path(key).is_some_and(|p| p.is_file()) {
                self.touch(key);
                return Attempt::Done(Ok(Entry::Cached {
                    key: key.to_owned(),
                    digest: meta.body_sha256.clone(),
                }));
            }
            return Attempt::Done(Err(RegistryError::Cache {
                path: self.body_path(key).unwrap_or_default(),
                source: std::io::Error::other("the server answered 304 but the cached body is gone"),
            }));
        }
        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
            return Attempt::Done(Err(RegistryError::NotFound {
                url: url.to_string(),
                status: status.as_u16(),
            }));
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let wait = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, now_secs()));
            return Attempt::Retry {
                wait,
                error: RegistryError::Status { url: url.to_string(), status: status.as_u16(), retries: 0 },
            };
        }
        if !status.is_success() {
            return Attempt::Done(Err(RegistryError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retries: 0,
            }));
        }
        let limit = self.options.max_document_size;
        if let Some(len) = response.content_length().filter(|l| *l > limit) {
            return Attempt::Done(Err(RegistryError::TooLarge {
                url: url.to_string(),
                limit,
                size: Some(len),
            }));
        }
        let header = |name| {
            response.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned)
        };
        let etag = header(ETAG);
        let last_modified = header(LAST_MODIFIED);
        // Sized from the announced length: growing a multi-megabyte body by doubling
        // copied it several times.
        let mut body = Vec::with_capacity(response.content_length().unwrap_or(0).min(limit) as usize);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > limit {
                        return Attempt::Done(Err(RegistryError::TooLarge {
                            url: url.to_string(),
                            limit,
                            size: None,
                        }));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Attempt::Retry { wait: None, error: transport_error(host, &e) },
            }
        }
        let digest = body_digest(&body);
        let meta = CacheMeta {
            url: url.to_string(),
            accept: accept.to_owned(),
            etag,
            last_modified,
            fetched_at: now_secs(),
            body_sha256: Some(digest.clone()),
        };
        if let Err(e) = self.store(key, &meta, &body) {
            return Attempt::Done(Err(e));
        }
        Attempt::Done(Ok(Entry::Fresh { key: key.to_owned(), body, digest }))
    }

    fn meta_path(&self, key: &str) -> Option<PathBuf> {
        self.options.cache_dir.as_ref().map(|d| d.join(format!("{key}.json")))
    }

    fn body_path(&self, key: &str) -> Option<PathBuf> {
        self.options.cache_dir.as_ref().map(|d| d.join(format!("{key}.body")))
    }

    fn read_meta(&self, key: &str) -> Option<CacheMeta> {
        let bytes = fs_err::read(self.meta_path(key)?).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn read_body(&self, key: &str) -> Option<Vec<u8>> {
        fs_err::read(self.body_path(key)?).ok()
    }

    fn touch(&self, key: &str) {
        if let (Some(mut meta), Some(path)) = (self.read_meta(key), self.meta_path(key)) {
            meta.fetched_at = now_secs();
            if let Ok(bytes) = serde_json::to_vec(&meta) {
                // A failed refresh only costs a revalidation next time.
                let _ = write_atomic(&path, &bytes);
            }
        }
    }

    fn derived_path(&self, key: &str, kind: &str) -> Option<PathBuf> {
        self.options.cache_dir.as_ref().map(|d| d.join(format!("{key}.{kind}")))
    }

    /// The cached derived form of the body whose SHA-256 is `digest`, if it is intact.
    fn load_derived<T>(&self, key: &str, derived: &dyn Derived<T>, digest: &str) -> Option<T> {
        let bytes = fs_err::read(self.derived_path(key, derived.kind())?).ok()?;
        let (header, payload) = bytes.split_at_checked(DERIVED_HEADER)?;
        let (magic, rest) = header.split_at(8);
        let (format, rest) = rest.split_at(4);
        let (body_sha, payload_sha) = rest.split_at(32);
        if magic != DERIVED_MAGIC
            || format != derived.format().to_le_bytes()
            || hex(body_sha) != digest
            || payload_sha != Sha256::digest(payload).as_slice()
        {
            return None;
        }
        derived.decode(payload)
    }

    fn store_derived<T>(&self, key: &str, derived: &dyn Derived<T>, digest: &str, value: &T) {
        let Some(path) = self.derived_path(key, derived.kind()) else { return };
        let Some(body_sha) = unhex32(digest) else { return };
        let payload = derived.encode(value);
        let mut bytes = Vec::with_capacity(DERIVED_HEADER + payload.len());
        bytes.extend_from_slice(DERIVED_MAGIC);
        bytes.extend_from_slice(&derived.format().to_le_bytes());
        bytes.extend_from_slice(&body_sha);
        bytes.extend_from_slice(&Sha256::digest(&payload));
        bytes.extend_from_slice(&payload);
        // Only a speed-up: a failed write costs a parse next time.
        let _ = write_atomic(&path, &bytes);
    }

    fn set_digest(&self, key: &str, digest: &str) {
        if let (Some(mut meta), Some(path)) = (self.read_meta(key), self.meta_path(key)) {
            meta.body_sha256 = Some(digest.to_owned());
            if let Ok(bytes) = serde_json::to_vec(&meta) {
                let _ = write_atomic(&path, &bytes);
            }
        }
    }

    fn store(&self, key: &str, meta: &CacheMeta, body: &[u8]) -> Result<(), RegistryError> {
        let (Some(dir), Some(meta_path), Some(body_path)) =
            (self.options.cache_dir.as_deref(), self.meta_path(key), self.body_path(key))
        else {
            return Ok(());
        };
        let cache_err = |path: &Path, source| RegistryError::Cache { path: path.to_owned(), source };
        fs_err::create_dir_all(dir).map_err(|e| cache_err(dir, e))?;
        // The body first: a meta file without its body is treated as a miss, never as a hit
        // with the wrong content.
        write_atomic(&body_path, body).map_err(|e| cache_err(&body_path, e))?;
        let bytes = serde_json::to_vec(meta).map_err(|e| cache_err(&meta_path, std::io::Error::other(e)))?;
        write_atomic(&meta_path, &bytes).map_err(|e| cache_err(&meta_path, e))
    }
}

/// Reads an artifact response: `Err((retry, wait, error))`.
async fn read_artifact(
    url: &Url,
    host: &str,
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Vec<u8>, (bool, Option<Duration>, RegistryError)> {
    let status = response.status();
    if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
        return Err((false, None, RegistryError::NotFound { url: url.to_string(), status: status.as_u16() }));
    }
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        let wait = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, now_secs()));
        return Err((
            true,
            wait,
            RegistryError::Status { url: url.to_string(), status: status.as_u16(), retries: 0 },
        ));
    }
    if !status.is_success() {
        return Err((
            false,
            None,
            RegistryError::Status { url: url.to_string(), status: status.as_u16(), retries: 0 },
        ));
    }
    let too_large = |size| RegistryError::TooLarge { url: url.to_string(), limit, size };
    if let Some(len) = response.content_length().filter(|l| *l > limit) {
        return Err((false, None, too_large(Some(len))));
    }
    let mut body = Vec::with_capacity(response.content_length().unwrap_or(0).min(limit) as usize);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Err((false, None, too_large(None)));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err((true, None, transport_error(host, &e))),
        }
    }
}

enum Attempt {
    Done(Result<Entry, RegistryError>),
    Retry { wait: Option<Duration>, error: RegistryError },
}

fn transport_error(host: &str, e: &reqwest::Error) -> RegistryError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    RegistryError::Network { host: host.to_owned(), retries: 0, message }
}

/// The cache key: SHA-256 of the URL (which never holds credentials) and the `Accept`
/// header, since PyPI's simple API answers HTML or JSON on one URL.
fn cache_key(url: &Url, accept: &str) -> String {
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    let digest = Sha256::digest(format!("{clean}\n{accept}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `Retry-After` as delay-seconds or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`,
/// RFC 9110 section 10.2.3); a date in the past means now.
fn retry_after(value: &str, now: u64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut parts = value.split_whitespace().skip(1);
    let day: i64 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = months.iter().position(|m| *m == month_name)? as i64 + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next() != Some("GMT") || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let at = firebreak_core::calendar::days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec;
    let at = u64::try_from(at).ok()?;
    Some(Duration::from_secs(at.saturating_sub(now)))
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    fs_err::write(&tmp, bytes)?;
    fs_err::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after(" 7 ", 0), Some(Duration::from_secs(7)));
        // 1994-11-06T08:49:37Z is 784111777.
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_770), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_800), Some(Duration::ZERO));
        assert_eq!(retry_after("Sun, 06 Foo 1994 08:49:37 GMT", 0), None);
        assert_eq!(retry_after("soon", 0), None);
    }

    #[test]
    fn cache_keys_ignore_userinfo_and_separate_accept() {
        let a = Url::parse("https://u:p@pypi.org/simple/x/").unwrap();
        let b = Url::parse("https://pypi.org/simple/x/").unwrap();
        assert_eq!(cache_key(&a, "application/json"), cache_key(&b, "application/json"));
        assert_ne!(cache_key(&b, "application/json"), cache_key(&b, "text/html"));
    }
}

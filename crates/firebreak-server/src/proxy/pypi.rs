//! The PyPI simple repository API: project pages as PEP 691 JSON or PEP 503 HTML, the
//! distribution files, and their PEP 658 metadata files.
//!
//! Upstream is always asked for the JSON form (PEP 691, with PEP 700 `upload-time` and
//! `versions`); the client gets the form its `Accept` prefers. References:
//! <https://packaging.python.org/en/latest/specifications/simple-repository-api/>, PEP 592
//! (yanked files), PEP 658/714 (`core-metadata`).
//!
//! A blocked release stays on the page with its files marked yanked, the yank reason being
//! the proxy's explanation. Installers skip yanked files unless a requirement pins that
//! exact version (PEP 592), so `detectkit` resolves to the newest allowed release while
//! `detectkit==1.4.3` selects the blocked file, prints the reason, and is refused the
//! download with a 403 whose reason phrase (what pip prints) says the same. Removing the
//! files would give the same resolution but leave a pinned install with only "no matching
//! distribution".

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use firebreak_core::Ecosystem;
use firebreak_policy::Fallback;
use reqwest::Url;
use serde_json::{Map, Value};

use super::upstream::{Doc, UpstreamError};
use super::{Inner, RequestInfo};
use crate::decide::Decision;

/// PEP 691's JSON form, version 1.
pub(crate) const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";
/// PEP 691's HTML form, version 1 (the same bytes as PEP 503 `text/html`).
const SIMPLE_HTML: &str = "application/vnd.pypi.simple.v1+html";
const SIMPLE_JSON_LATEST: &str = "application/vnd.pypi.simple.latest+json";
const SIMPLE_HTML_LATEST: &str = "application/vnd.pypi.simple.latest+html";

/// The hosts PyPI serves files from besides the index itself.
const PYPI_FILE_HOSTS: &[&str] = &["files.pythonhosted.org", "test-files.pythonhosted.org"];

/// The longest reason phrase sent (pip prints it on one line).
const REASON_LIMIT: usize = 600;

#[derive(Debug, PartialEq, Eq)]
enum PypiRequest {
    /// `/pypi/simple/`: the list of every project.
    Root,
    /// `/pypi/simple/<project>/`.
    Project(String),
    /// `/pypi/files/<project>/<filename>`.
    File(String, String),
    /// `/pypi/files/<project>/<filename>.metadata` (PEP 658).
    Metadata(String, String),
}

fn parse(rest: &[&str]) -> Option<PypiRequest> {
    match rest {
        ["simple"] => Some(PypiRequest::Root),
        ["simple", project] => Some(PypiRequest::Project((*project).to_owned())),
        ["files", project, file] => Some(match file.strip_suffix(".metadata") {
            Some(dist) if !dist.is_empty() => PypiRequest::Metadata((*project).to_owned(), dist.to_owned()),
            _ => PypiRequest::File((*project).to_owned(), (*file).to_owned()),
        }),
        _ => None,
    }
}

pub(super) async fn handle(
    inner: &Arc<Inner>,
    info: &RequestInfo,
    rest: &[&str],
) -> (&'static str, Response) {
    let Some(request) = parse(rest) else {
        return (
            "invalid",
            error(
                StatusCode::NOT_FOUND,
                "firebreak proxy serves PyPI under /pypi/simple/<project>/ and /pypi/files/<project>/<file>",
            ),
        );
    };
    if info.method != Method::GET && info.method != Method::HEAD {
        return (
            "read-only",
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "firebreak proxy is a read-only index: upload to the upstream index directly",
            ),
        );
    }
    match request {
        PypiRequest::Root => (
            "pypi-root",
            error(
                StatusCode::NOT_FOUND,
                "firebreak proxy does not serve the list of every project; installers ask for /pypi/simple/<project>/",
            ),
        ),
        PypiRequest::Project(project) => ("pypi-document", project_page(inner, info, &project).await),
        PypiRequest::File(project, file) => {
            ("pypi-file", download(inner, info, &project, &file, false).await)
        }
        PypiRequest::Metadata(project, file) => {
            ("pypi-metadata", download(inner, info, &project, &file, true).await)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Responses

/// ASCII, one line, at most `limit` bytes: a reason phrase or header value must be.
fn ascii_line(text: &str, limit: usize) -> String {
    let mut out: String = text
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2212}' | '\u{2013}' | '\u{2014}' => '-',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '?',
        })
        .collect();
    if out.len() > limit {
        out.truncate(limit.saturating_sub(3));
        out.push_str("...");
    }
    out
}

/// A text answer whose status line carries the sentence too: pip prints the reason phrase
/// of an error (`403 Client Error: <reason> for url: …`), never the body.
fn error(status: StatusCode, sentence: &str) -> Response {
    let mut r = super::text(status, &format!("{sentence}\n"));
    let reason = ascii_line(sentence, REASON_LIMIT);
    if let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(reason.into_bytes()) {
        r.extensions_mut().insert(phrase);
    }
    r
}

fn upstream_error(e: &UpstreamError, what: &str) -> Response {
    let (status, sentence) = e.answer(what, "index", "the digest the index publishes");
    error(status, &sentence)
}

fn stale_headers(response: &mut Response, doc: &Doc) {
    if doc.stale {
        let h = response.headers_mut();
        h.insert(header::WARNING, HeaderValue::from_static("110 firebreak \"Response is Stale\""));
        h.insert("x-firebreak-cache", HeaderValue::from_static("stale (upstream unavailable)"));
    }
}

/// `firebreak proxy blocked NAME==VERSION by rule …; to allow it, …` in one sentence.
pub(crate) fn block_sentence(name: &str, version: &str, d: &Decision) -> String {
    let reason = d.reason.trim().trim_end_matches('.');
    let mut s = format!("firebreak proxy blocked {name}=={version} by rule `{}`", d.rule);
    if !reason.is_empty() {
        let _ = write!(s, ": {reason}");
    }
    if let Some(note) = &d.fallback {
        let _ = write!(s, " [{note}]");
    }
    let _ = write!(
        s,
        "; to allow it, add \"{name}@{version}\" to `allow` in the `[proxy]` table of firebreak.toml"
    );
    s
}

// ---------------------------------------------------------------------------------------
// Content negotiation and rendering

/// The form a client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Json,
    /// HTML, with the media type to label it with.
    Html(&'static str),
}

/// PEP 691 negotiation: the JSON form when the client's `Accept` gives it the highest
/// quality (pip sends `application/vnd.pypi.simple.v1+json, …v1+html; q=0.1, text/html;
/// q=0.01`), HTML otherwise, as PEP 503 clients and browsers expect. Wildcards choose HTML,
/// as PyPI does.
fn negotiate(accept: Option<&str>) -> Form {
    let mut json = 0.0f32;
    let mut html: Option<(f32, &'static str)> = None;
    for part in accept.unwrap_or("").split(',') {
        let mut params = part.split(';').map(str::trim);
        let media = params.next().unwrap_or("").to_ascii_lowercase();
        let q = params
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, v)| v.trim().parse::<f32>().ok())
            .filter(|q| q.is_finite())
            .map_or(1.0, |q| q.clamp(0.0, 1.0));
        match media.as_str() {
            SIMPLE_JSON | SIMPLE_JSON_LATEST => json = json.max(q),
            SIMPLE_HTML | SIMPLE_HTML_LATEST | "text/html" | "text/*" | "*/*" => {
                let label = if matches!(media.as_str(), SIMPLE_HTML | SIMPLE_HTML_LATEST) {
                    SIMPLE_HTML
                } else {
                    "text/html"
                };
                if html.is_none_or(|(best, _)| q > best) {
                    html = Some((q, label));
                }
            }
            _ => {}
        }
    }
    match html {
        _ if json > 0.0 && html.is_none_or(|(h, _)| json >= h) => Form::Json,
        Some((q, label)) if q > 0.0 => Form::Html(label),
        _ => Form::Html("text/html"),
    }
}

/// Escapes text for an HTML element or a double- or single-quoted attribute.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters: a file name becomes one
/// path segment, whatever upstream put in it.
fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// One file of a project page, decided.
#[derive(Debug, Clone)]
struct PageFile {
    /// The upstream's entry (kept for the fields the proxy does not interpret: `size`,
    /// `upload-time`, `provenance` …).
    entry: Map<String, Value>,
    filename: String,
    /// The release it belongs to; `None` when its name gives no version.
    version: Option<String>,
    /// Where upstream serves it, resolved against the page's URL, without fragment.
    url: Option<Url>,
    /// `algorithm → hex`, lowercase algorithm names.
    hashes: BTreeMap<String, String>,
    requires_python: Option<String>,
    /// Upstream's yank (`Some("")`: yanked without a reason).
    yanked: Option<String>,
    /// The PEP 658 metadata file's digests, when upstream publishes one with a digest the
    /// proxy can check.
    metadata_hashes: Option<BTreeMap<String, String>>,
    decision: Decision,
}

impl PageFile {
    /// Whether the file appears on the page at all: a file whose release is unknown and
    /// that the policy blocks has nothing a client could pin, so it is left out.
    fn listed(&self) -> bool {
        self.decision.allowed || self.version.is_some()
    }
}

/// A project page as the proxy serves it: decided once per upstream body and policy until
/// its decisions expire, rendered per request (file URLs name the host the client used).
#[derive(Debug)]
pub(super) struct Page {
    pub(super) digest: [u8; 32],
    pub(super) generation: u64,
    /// Until when its decisions hold.
    pub(super) until: Instant,
    /// The upstream body's size, to bound the memory pages hold.
    pub(super) size: usize,
    /// The normalised project name.
    name: String,
    /// Upstream's `meta`.
    meta: Map<String, Value>,
    /// Upstream's PEP 700 `versions`.
    versions: Option<Vec<Value>>,
    files: Vec<PageFile>,
    /// Blocked releases with their decisions.
    blocked: Vec<(String, Decision)>,
    fallback: Option<String>,
}

fn hex_hashes(value: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Object(map)) = value {
        for (alg, hex) in map {
            if let Value::String(hex) = hex
                && !hex.is_empty()
                && hex.len() <= 256
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
            {
                out.insert(alg.to_ascii_lowercase(), hex.to_ascii_lowercase());
            }
        }
    }
    out
}

/// The digest to verify with, `alg:hex`: the strongest the proxy checks.
fn integrity_of(hashes: &BTreeMap<String, String>) -> Option<String> {
    ["sha512", "sha384", "sha256"].iter().find_map(|alg| hashes.get(*alg).map(|hex| format!("{alg}:{hex}")))
}

/// PEP 714's `core-metadata`, or the older `data-dist-info-metadata` spelling: `true`, or
/// a digest map. Only a digest the proxy can check makes the metadata file servable.
fn metadata_hashes(entry: &Map<String, Value>) -> Option<BTreeMap<String, String>> {
    let value = entry.get("core-metadata").or_else(|| entry.get("data-dist-info-metadata"))?;
    let hashes = hex_hashes(Some(value));
    integrity_of(&hashes).is_some().then_some(hashes)
}

fn unreadable_decision(way: Fallback) -> Decision {
    let went = if way == Fallback::Block { "blocked" } else { "allowed" };
    Decision {
        allowed: way == Fallback::Allow,
        rule: "registry-unreadable".to_owned(),
        reason: "the index's file name gives no release version".to_owned(),
        fallback: Some(format!(
            "registry unavailable (file without a version): {went} (on_unavailable = \"{}\")",
            way.as_str()
        )),
    }
}

impl Page {
    fn render(&self, form: Form, base: &str) -> (Vec<u8>, &'static str) {
        match form {
            Form::Json => (serde_json::to_vec(&self.json(base)).unwrap_or_default(), SIMPLE_JSON),
            Form::Html(label) => {
                let media = if label == SIMPLE_HTML { SIMPLE_HTML } else { "text/html; charset=utf-8" };
                (self.html(base).into_bytes(), media)
            }
        }
    }

    fn file_url(&self, base: &str, file: &PageFile) -> String {
        format!("{base}/pypi/files/{}/{}", encode_segment(&self.name), encode_segment(&file.filename))
    }

    /// The yank reason a client sees: the proxy's explanation for a blocked release.
    fn yank(&self, file: &PageFile) -> Option<String> {
        if file.decision.allowed {
            return file.yanked.clone();
        }
        let version = file.version.as_deref().unwrap_or("?");
        let mut why = block_sentence(&self.name, version, &file.decision);
        if let Some(upstream) = &file.yanked {
            why.push_str(
                if upstream.is_empty() {
                    " (also yanked upstream)".into()
                } else {
                    format!(" (also yanked upstream: {upstream})")
                }
                .as_str(),
            );
        }
        Some(why)
    }

    fn json(&self, base: &str) -> Value {
        let mut meta = self.meta.clone();
        meta.entry("api-version").or_insert_with(|| Value::String("1.0".to_owned()));
        let files: Vec<Value> = self
            .files
            .iter()
            .filter(|f| f.listed())
            .map(|f| {
                let mut entry = f.entry.clone();
                entry.insert("url".to_owned(), Value::String(self.file_url(base, f)));
                entry.insert(
                    "hashes".to_owned(),
                    Value::Object(
                        f.hashes.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect(),
                    ),
                );
                entry.insert(
                    "yanked".to_owned(),
                    match self.yank(f) {
                        Some(why) if !why.is_empty() => Value::String(why),
                        Some(_) => Value::Bool(true),
                        None => Value::Bool(false),
                    },
                );
                for key in ["core-metadata", "data-dist-info-metadata", "dist-info-metadata"] {
                    entry.remove(key);
                }
                if let Some(hashes) = f.metadata_hashes.as_ref().filter(|_| f.decision.allowed) {
                    let map: Map<String, Value> =
                        hashes.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
                    entry.insert("core-metadata".to_owned(), Value::Object(map.clone()));
                    entry.insert("data-dist-info-metadata".to_owned(), Value::Object(map));
                }
                Value::Object(entry)
            })
            .collect();
        let mut doc = Map::new();
        doc.insert("meta".to_owned(), Value::Object(meta));
        doc.insert("name".to_owned(), Value::String(self.name.clone()));
        if let Some(versions) = &self.versions {
            doc.insert("versions".to_owned(), Value::Array(versions.clone()));
        }
        doc.insert("files".to_owned(), Value::Array(files));
        Value::Object(doc)
    }

    fn html(&self, base: &str) -> String {
        let api = self.meta.get("api-version").and_then(Value::as_str).unwrap_or("1.0");
        let name = escape_html(&self.name);
        let mut out = format!(
            "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"{}\">\n    <title>Links for {name}</title>\n  </head>\n  <body>\n    <h1>Links for {name}</h1>\n",
            escape_html(api)
        );
        for f in self.files.iter().filter(|f| f.listed()) {
            let mut href = self.file_url(base, f);
            if let Some((alg, hex)) =
                ["sha256", "sha512", "sha384"].iter().find_map(|a| f.hashes.get(*a).map(|h| (*a, h)))
            {
                let _ = write!(href, "#{alg}={hex}");
            }
            let _ = write!(out, "    <a href=\"{}\"", escape_html(&href));
            if let Some(rp) = &f.requires_python {
                let _ = write!(out, " data-requires-python=\"{}\"", escape_html(rp));
            }
            if let Some(why) = self.yank(f) {
                let _ = write!(out, " data-yanked=\"{}\"", escape_html(&why));
            }
            if f.decision.allowed
                && let Some(hashes) = &f.metadata_hashes
                && let Some((alg, hex)) = hashes.iter().next()
            {
                let value = escape_html(&format!("{alg}={hex}"));
                let _ = write!(out, " data-dist-info-metadata=\"{value}\" data-core-metadata=\"{value}\"");
            }
            let _ = writeln!(out, ">{}</a><br />", escape_html(&f.filename));
        }
        out.push_str("  </body>\n</html>\n");
        out
    }

    fn file(&self, filename: &str) -> Option<&PageFile> {
        self.files.iter().find(|f| f.filename == filename)
    }
}

// ---------------------------------------------------------------------------------------
// Loading and deciding

enum Load {
    Ok(Arc<Page>, Arc<Doc>),
    /// A malformed upstream page passed through unfiltered (`on_unavailable.registry =
    /// "allow"`).
    Unfiltered(Arc<Doc>),
    Err(Response),
}

fn page_url(inner: &Inner, project: &str) -> Option<Url> {
    inner.options.pypi_upstream.join(&format!("{project}/")).ok()
}

async fn load(inner: &Arc<Inner>, info: &RequestInfo, project: &str) -> Load {
    let Some(url) = page_url(inner, project) else {
        return Load::Err(error(StatusCode::BAD_GATEWAY, "the PyPI upstream URL cannot take a project path"));
    };
    let auth = info.forwarded_auth(inner);
    let doc = match inner.upstream.document(&url, SIMPLE_JSON, auth.as_ref()).await {
        Ok(doc) => doc,
        Err(e) => return Load::Err(upstream_error(&e, &format!("project `{project}`"))),
    };
    // A page fetched with the client's own credentials is never shared.
    let shared = auth.is_none();
    if shared && let Some(page) = inner.pypi_page(project, doc.digest) {
        return Load::Ok(page, doc);
    }
    // Read before deciding: a reload while deciding then makes this page stale.
    let generation = inner.generation();
    let map = match serde_json::from_slice::<Value>(&doc.body) {
        Ok(Value::Object(map)) if map.get("files").is_some_and(Value::is_array) => map,
        _ => {
            return match inner.policy().proxy.on_unavailable.registry {
                Fallback::Allow => Load::Unfiltered(doc),
                Fallback::Block => Load::Err(error(
                    StatusCode::BAD_GATEWAY,
                    &format!(
                        "firebreak proxy blocked `{project}`: the upstream page is not a PEP 691 JSON project page (on_unavailable.registry = \"block\")"
                    ),
                )),
            };
        }
    };
    let (history, per_file) = firebreak_registry::pypi::parse_simple_page(project, &map);
    let (decisions, until) = inner.decisions(Ecosystem::PyPI, project, doc.digest, move || history).await;
    let way = inner.policy().proxy.on_unavailable.registry;
    let mut files = Vec::new();
    let entries = map.get("files").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (entry, version) in entries.iter().zip(per_file) {
        let Value::Object(entry) = entry else { continue };
        let Some(filename) = entry.get("filename").and_then(Value::as_str) else { continue };
        // Only names that can be one path segment of the proxy's URL.
        if filename.is_empty()
            || filename.len() > 255
            || matches!(filename, "." | "..")
            || filename.contains(['/', '\\'])
            || filename.chars().any(char::is_control)
        {
            continue;
        }
        let decision = match version.as_deref().and_then(|v| decisions.get(v)) {
            Some(d) => d.clone(),
            None => unreadable_decision(way),
        };
        let url = entry.get("url").and_then(Value::as_str).and_then(|u| url.join(u).ok()).map(|mut u| {
            u.set_fragment(None);
            u
        });
        let yanked = match entry.get("yanked") {
            Some(Value::String(why)) => Some(why.clone()),
            Some(Value::Bool(true)) => Some(String::new()),
            _ => None,
        };
        files.push(PageFile {
            filename: filename.to_owned(),
            version,
            url,
            hashes: hex_hashes(entry.get("hashes")),
            requires_python: entry.get("requires-python").and_then(Value::as_str).map(str::to_owned),
            yanked,
            metadata_hashes: metadata_hashes(entry),
            decision,
            entry: entry.clone(),
        });
    }
    let mut blocked: Vec<(String, Decision)> = Vec::new();
    for f in &files {
        if !f.decision.allowed {
            let version = f.version.clone().unwrap_or_else(|| f.filename.clone());
            if !blocked.iter().any(|(v, _)| *v == version) {
                blocked.push((version, f.decision.clone()));
            }
        }
    }
    let fallback =
        files.iter().filter_map(|f| f.decision.fallback.clone()).collect::<BTreeSet<_>>().into_iter().next();
    let page = Arc::new(Page {
        digest: doc.digest,
        generation,
        until,
        size: doc.body.len(),
        name: project.to_owned(),
        meta: map.get("meta").and_then(Value::as_object).cloned().unwrap_or_default(),
        versions: map.get("versions").and_then(Value::as_array).cloned(),
        files,
        blocked,
        fallback,
    });
    if shared {
        inner.remember_pypi_page(project, page.clone());
    }
    Load::Ok(page, doc)
}

/// The PEP 503 name, or why the name cannot be a project.
fn normalized(project: &str) -> Result<String, String> {
    firebreak_registry::pypi::normalize_name(project).map_err(|e| e.to_string())
}

async fn project_page(inner: &Arc<Inner>, info: &RequestInfo, project: &str) -> Response {
    let name = match normalized(project) {
        Ok(n) => n,
        Err(why) => return error(StatusCode::NOT_FOUND, &why),
    };
    if name != project {
        // PyPI redirects to the normalised URL; installers follow.
        let mut r = super::text(StatusCode::MOVED_PERMANENTLY, &format!("see /pypi/simple/{name}/\n"));
        if let Ok(v) = HeaderValue::from_str(&format!("/pypi/simple/{name}/")) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return r;
    }
    let (page, doc) = match load(inner, info, &name).await {
        Load::Ok(page, doc) => (page, doc),
        Load::Err(r) => return r,
        Load::Unfiltered(doc) => {
            let mut r = Response::new(Body::from(doc.body.clone()));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(SIMPLE_JSON));
            r.headers_mut().insert(
                "x-firebreak-unfiltered",
                HeaderValue::from_static(
                    "malformed upstream page passed through (on_unavailable.registry = allow)",
                ),
            );
            return r;
        }
    };
    let accept = info.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let (body, media) = page.render(negotiate(accept), &info.base);
    for (version, d) in &page.blocked {
        inner.audit(info.client, "pypi", &name, version, "document", d);
    }
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    if page.blocked.is_empty() {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
    } else {
        // Withheld releases age out of the cooldown; a cached page would keep them out.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Ok(v) = HeaderValue::from_str(&page.blocked.len().to_string()) {
            headers.insert("x-firebreak-blocked", v);
        }
    }
    if let Some(note) = &page.fallback
        && let Ok(v) = HeaderValue::from_str(&ascii_line(note, 300))
    {
        headers.insert("x-firebreak-fallback", v);
    }
    stale_headers(&mut response, &doc);
    response
}

/// Whether the proxy may fetch `url` for an index at `index`: the index's own origin, or
/// PyPI's file host over HTTPS. A page names its file URLs; the proxy fetches only from
/// where the index it was configured with keeps its files.
fn fetchable(index: &Url, url: &Url) -> bool {
    let origin =
        |u: &Url| (u.scheme().to_owned(), u.host_str().map(str::to_owned), u.port_or_known_default());
    if origin(index) == origin(url) {
        return true;
    }
    url.scheme() == "https"
        && url.port_or_known_default() == Some(443)
        && url.host_str().is_some_and(|h| PYPI_FILE_HOSTS.contains(&h))
}

async fn download(
    inner: &Arc<Inner>,
    info: &RequestInfo,
    project: &str,
    filename: &str,
    metadata: bool,
) -> Response {
    let name = match normalized(project) {
        Ok(n) => n,
        Err(why) => return error(StatusCode::NOT_FOUND, &why),
    };
    let what = if metadata { format!("{filename}.metadata") } else { filename.to_owned() };
    let page = match load(inner, info, &name).await {
        Load::Ok(page, _) => page,
        Load::Err(r) => return r,
        Load::Unfiltered(_) => {
            return error(
                StatusCode::BAD_GATEWAY,
                &format!(
                    "firebreak proxy cannot verify `{what}`: the upstream page of `{name}` is malformed"
                ),
            );
        }
    };
    let Some(file) = page.file(filename) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("`{filename}` is not a file of any release of `{name}`"),
        );
    };
    let version = file.version.clone().unwrap_or_else(|| "?".to_owned());
    if !file.decision.allowed {
        inner.audit(info.client, "pypi", &name, &version, "artifact", &file.decision);
        return error(StatusCode::FORBIDDEN, &block_sentence(&name, &version, &file.decision));
    }
    let hashes = if metadata {
        match &file.metadata_hashes {
            Some(h) => h,
            None => {
                return error(
                    StatusCode::NOT_FOUND,
                    &format!("the index publishes no metadata file with a digest for `{filename}`"),
                );
            }
        }
    } else {
        &file.hashes
    };
    let Some(mut url) = file.url.clone() else {
        return error(
            StatusCode::BAD_GATEWAY,
            &format!("the upstream entry of `{filename}` has no usable URL"),
        );
    };
    let index = &inner.options.pypi_upstream;
    if !fetchable(index, &url) {
        return error(
            StatusCode::BAD_GATEWAY,
            &format!(
                "firebreak proxy refused `{filename}`: it is hosted on {}, neither the upstream index nor PyPI's file host",
                url.host_str().unwrap_or("another host")
            ),
        );
    }
    if metadata {
        url.set_path(&format!("{}.metadata", url.path()));
    }
    let Some(integrity) = integrity_of(hashes) else {
        return error(
            StatusCode::BAD_GATEWAY,
            &format!(
                "firebreak proxy refused `{what}`: the index publishes no sha256 digest to verify it against"
            ),
        );
    };
    let fetched = inner.upstream.artifact(&url, &integrity, info.forwarded_auth(inner).as_ref()).await;
    // A metadata file is not logged as a download: the wheel download that follows is.
    let allowed = (!metadata).then_some(&file.decision);
    inner
        .artifact_response(
            info,
            "pypi",
            &name,
            &version,
            &format!("{name}=={version} `{what}`"),
            allowed,
            fetched,
        )
        .unwrap_or_else(|e| upstream_error(&e, &format!("`{what}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_paths() {
        assert_eq!(parse(&["simple"]), Some(PypiRequest::Root));
        assert_eq!(parse(&["simple", "Detect_Kit"]), Some(PypiRequest::Project("Detect_Kit".into())));
        assert_eq!(
            parse(&["files", "detectkit", "detectkit-1.4.2-py3-none-any.whl"]),
            Some(PypiRequest::File("detectkit".into(), "detectkit-1.4.2-py3-none-any.whl".into()))
        );
        assert_eq!(
            parse(&["files", "detectkit", "detectkit-1.4.2-py3-none-any.whl.metadata"]),
            Some(PypiRequest::Metadata("detectkit".into(), "detectkit-1.4.2-py3-none-any.whl".into()))
        );
        assert_eq!(
            parse(&["files", "x", ".metadata"]),
            Some(PypiRequest::File("x".into(), ".metadata".into()))
        );
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&["simple", "a", "b"]), None);
        assert_eq!(parse(&["files", "a"]), None);
    }

    #[test]
    fn accept_negotiation_follows_pep_691() {
        let pip = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
        assert_eq!(negotiate(Some(pip)), Form::Json);
        let uv = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";
        assert_eq!(negotiate(Some(uv)), Form::Json);
        assert_eq!(negotiate(None), Form::Html("text/html"));
        assert_eq!(negotiate(Some("*/*")), Form::Html("text/html"));
        assert_eq!(negotiate(Some("text/html")), Form::Html("text/html"));
        assert_eq!(negotiate(Some("application/vnd.pypi.simple.v1+html")), Form::Html(SIMPLE_HTML));
        assert_eq!(negotiate(Some("application/vnd.pypi.simple.latest+json")), Form::Json);
        // Quality decides, in either order, and `q=0` means "not this one".
        assert_eq!(
            negotiate(Some("text/html, application/vnd.pypi.simple.v1+json;q=0.5")),
            Form::Html("text/html")
        );
        assert_eq!(negotiate(Some("text/html;q=0.2, APPLICATION/VND.PYPI.SIMPLE.V1+JSON;Q=0.9")), Form::Json);
        assert_eq!(negotiate(Some("application/vnd.pypi.simple.v1+json;q=0")), Form::Html("text/html"));
        assert_eq!(negotiate(Some("application/vnd.pypi.simple.v1+json;q=nan, text/html;q=0.1")), Form::Json);
        assert_eq!(negotiate(Some("application/json")), Form::Html("text/html"));
    }

    #[test]
    fn html_escaping_covers_text_and_both_quotes() {
        assert_eq!(escape_html("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;&lt;/a&gt;");
        assert_eq!(escape_html(">=3.8"), "&gt;=3.8");
        assert_eq!(encode_segment("a b#c?.whl"), "a%20b%23c%3F.whl");
        assert_eq!(encode_segment("pkg-1.0+local-py3-none-any.whl"), "pkg-1.0%2Blocal-py3-none-any.whl");
    }

    #[test]
    fn reason_phrases_are_one_ascii_line() {
        assert_eq!(ascii_line("a\u{2212}b \u{201c}c\u{201d}\nd\u{e9}", 100), "a-b \"c\"?d?");
        assert_eq!(ascii_line(&"x".repeat(50), 10), "xxxxxxx...");
        let r = error(StatusCode::FORBIDDEN, "blocked `x` by rule");
        let phrase = r.extensions().get::<hyper::ext::ReasonPhrase>().expect("reason phrase");
        assert_eq!(phrase.as_bytes(), b"blocked `x` by rule");
    }

    fn decided(allowed: bool, rule: &str) -> Decision {
        Decision {
            allowed,
            rule: rule.to_owned(),
            reason: if allowed { String::new() } else { "too young".to_owned() },
            fallback: None,
        }
    }

    fn page() -> Page {
        let file = |name: &str, version: Option<&str>, d: Decision| {
            PageFile {
            entry: serde_json::json!({"filename": name, "url": "https://up/x", "size": 10, "upload-time": "2026-01-01T00:00:00Z", "core-metadata": true})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            filename: name.to_owned(),
            version: version.map(str::to_owned),
            url: Url::parse("https://up/x").ok(),
            hashes: [("sha256".to_owned(), "ab".repeat(32))].into_iter().collect(),
            requires_python: Some(">=3.8".to_owned()),
            yanked: None,
            metadata_hashes: Some([("sha256".to_owned(), "cd".repeat(32))].into_iter().collect()),
            decision: d,
        }
        };
        let mut old = file("demo-1.0-py3-none-any.whl", Some("1.0"), decided(true, ""));
        old.yanked = Some("bad <build>".to_owned());
        Page {
            digest: [0; 32],
            generation: 0,
            until: Instant::now(),
            size: 0,
            name: "demo".to_owned(),
            meta: serde_json::json!({"api-version": "1.1"}).as_object().cloned().unwrap_or_default(),
            versions: Some(vec![Value::from("1.0"), Value::from("2.0")]),
            files: vec![
                old,
                file("demo-2.0-py3-none-any.whl", Some("2.0"), decided(false, "release-too-young")),
                file("demo-3.0.zip", Some("3.0"), decided(true, "")),
                file("demo.egg-info.txt", None, unreadable_decision(Fallback::Block)),
            ],
            blocked: Vec::new(),
            fallback: None,
        }
    }

    #[test]
    fn blocked_releases_are_yanked_with_the_explanation_and_unversioned_files_dropped() {
        let p = page();
        let json = p.json("http://proxy:1");
        let files = json["files"].as_array().unwrap();
        assert_eq!(files.len(), 3, "{json}");
        assert_eq!(files[0]["url"], "http://proxy:1/pypi/files/demo/demo-1.0-py3-none-any.whl");
        assert_eq!(files[0]["yanked"], "bad <build>");
        assert_eq!(files[0]["hashes"]["sha256"], "ab".repeat(32));
        assert_eq!(files[0]["core-metadata"]["sha256"], "cd".repeat(32));
        assert_eq!(files[0]["size"], 10);
        let why = files[1]["yanked"].as_str().unwrap();
        assert!(
            why.starts_with("firebreak proxy blocked demo==2.0 by rule `release-too-young`: too young"),
            "{why}"
        );
        assert!(why.contains("add \"demo@2.0\" to `allow` in the `[proxy]` table"), "{why}");
        // A blocked file's metadata is not offered: the download is what explains.
        assert!(files[1].get("core-metadata").is_none() && files[1].get("data-dist-info-metadata").is_none());
        assert_eq!(files[2]["yanked"], false);
        assert_eq!(json["versions"], serde_json::json!(["1.0", "2.0"]));
        assert_eq!(json["meta"]["api-version"], "1.1");

        let html = p.html("http://proxy:1");
        assert!(
            html.contains("<a href=\"http://proxy:1/pypi/files/demo/demo-1.0-py3-none-any.whl#sha256=ababab"),
            "{html}"
        );
        assert!(html.contains("data-requires-python=\"&gt;=3.8\""), "{html}");
        assert!(html.contains("data-yanked=\"bad &lt;build&gt;\""), "{html}");
        assert!(
            html.contains("data-yanked=\"firebreak proxy blocked demo==2.0 by rule `release-too-young`"),
            "{html}"
        );
        assert!(html.contains(&format!("data-core-metadata=\"sha256={}\"", "cd".repeat(32))), "{html}");
        assert_eq!(html.matches("<a ").count(), 3, "{html}");
        assert_eq!(html.matches("data-core-metadata").count(), 2, "{html}");
        assert!(!html.contains("egg-info"), "{html}");
    }

    #[test]
    fn only_the_index_origin_and_pypis_file_host_are_fetched() {
        let index = Url::parse("https://pypi.org/simple/").unwrap();
        let ok = |u: &str| fetchable(&index, &Url::parse(u).unwrap());
        assert!(ok("https://files.pythonhosted.org/packages/aa/bb/x.whl"));
        assert!(ok("https://pypi.org/packages/x.whl"));
        assert!(!ok("http://files.pythonhosted.org/packages/x.whl"));
        assert!(!ok("https://files.pythonhosted.org:8443/x.whl"));
        assert!(!ok("https://169.254.169.254/latest/meta-data"));
        assert!(!ok("https://pypi.org.evil.example/x.whl"));
        let local = Url::parse("http://127.0.0.1:8080/pypi.org/simple/").unwrap();
        assert!(fetchable(
            &local,
            &Url::parse("http://127.0.0.1:8080/files.pythonhosted.org/x.whl").unwrap()
        ));
        assert!(!fetchable(&local, &Url::parse("http://127.0.0.1:8081/x.whl").unwrap()));
    }

    #[test]
    fn the_strongest_digest_is_verified() {
        let h = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(a, v)| ((*a).to_owned(), (*v).to_owned())).collect()
        };
        assert_eq!(integrity_of(&h(&[("sha256", "aa"), ("md5", "bb")])).as_deref(), Some("sha256:aa"));
        assert_eq!(integrity_of(&h(&[("sha256", "aa"), ("sha512", "cc")])).as_deref(), Some("sha512:cc"));
        assert_eq!(integrity_of(&h(&[("md5", "bb")])), None);
        let entry = serde_json::json!({"core-metadata": true, "hashes": {}});
        assert_eq!(metadata_hashes(entry.as_object().unwrap()), None);
        let entry = serde_json::json!({"data-dist-info-metadata": {"sha256": "AB"}});
        assert_eq!(metadata_hashes(entry.as_object().unwrap()), Some(h(&[("sha256", "ab")])));
        assert_eq!(
            hex_hashes(Some(&serde_json::json!({"sha256": "not hex", "SHA512": "ff"}))),
            h(&[("sha512", "ff")])
        );
    }
}

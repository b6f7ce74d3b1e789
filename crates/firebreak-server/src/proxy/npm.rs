//! The npm registry's read API: packuments (full and abbreviated), version documents,
//! tarballs, and answers for the endpoints the proxy does not filter.
//!
//! Reference: <https://github.com/npm/registry/blob/main/docs/REGISTRY-API.md> and the
//! abbreviated metadata format,
//! <https://github.com/npm/registry/blob/main/docs/responses/package-metadata.md>.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use firebreak_core::{Ecosystem, Version};
use firebreak_policy::Fallback;
use reqwest::Url;
use serde_json::{Map, Value, json};

use super::upstream::{Doc, UpstreamError};
use super::{Inner, RequestInfo, json as json_response, text};
use crate::decide::Decision;

/// The media type of abbreviated packuments.
const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";

/// Fields of a version kept in the abbreviated form (npm's "corgi" documents).
const ABBREVIATED_VERSION_FIELDS: &[&str] = &[
    "name",
    "version",
    "deprecated",
    "dependencies",
    "optionalDependencies",
    "devDependencies",
    "bundleDependencies",
    "bundledDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "acceptDependencies",
    "bin",
    "directories",
    "dist",
    "engines",
    "_hasShrinkwrap",
    "hasInstallScript",
    "os",
    "cpu",
    "libc",
    "funding",
    "license",
];

enum NpmRequest {
    Root,
    Ping,
    Search,
    Audit,
    OtherDash,
    Packument(String),
    Version(String, String),
    Tarball(String, String),
}

/// `name` is `rest[0]`, or `rest[0]/rest[1]` for a scope written with a plain slash.
fn parse(rest: &[&str]) -> Option<NpmRequest> {
    match rest {
        [] => return Some(NpmRequest::Root),
        ["-", "ping"] => return Some(NpmRequest::Ping),
        ["-", "v1", "search"] => return Some(NpmRequest::Search),
        ["-", "npm", "v1", "security", ..] => return Some(NpmRequest::Audit),
        ["-", ..] => return Some(NpmRequest::OtherDash),
        _ => {}
    }
    let (name, tail) = match rest {
        [scope, package, tail @ ..] if scope.starts_with('@') && !scope.contains('/') => {
            (format!("{scope}/{package}"), tail)
        }
        [name, tail @ ..] => ((*name).to_owned(), tail),
        [] => return None,
    };
    firebreak_registry::npm::encode_name(&name).ok()?;
    match tail {
        [] => Some(NpmRequest::Packument(name)),
        [version] => Some(NpmRequest::Version(name, (*version).to_owned())),
        ["-", file] if file.ends_with(".tgz") => Some(NpmRequest::Tarball(name, (*file).to_owned())),
        _ => None,
    }
}

pub(super) async fn handle(
    inner: &Arc<Inner>,
    info: &RequestInfo,
    rest: &[&str],
) -> (&'static str, Response) {
    let Some(request) = parse(rest) else {
        return ("invalid", text(StatusCode::BAD_REQUEST, "firebreak proxy: not an npm registry path\n"));
    };
    let read = info.method == Method::GET || info.method == Method::HEAD;
    match request {
        NpmRequest::Audit => (
            "npm-audit",
            error(
                StatusCode::NOT_IMPLEMENTED,
                "firebreak proxy does not forward npm audit requests: it never serves a version the policy blocks; run `firebreak scan` on the lockfile for the advisories that apply",
            ),
        ),
        _ if !read => (
            "read-only",
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "firebreak proxy is a read-only registry: publish to the upstream registry directly",
            ),
        ),
        NpmRequest::Root | NpmRequest::Ping => ("npm-ping", json_response(StatusCode::OK, &json!({}))),
        NpmRequest::Search => ("npm-search", search(inner, info).await),
        NpmRequest::OtherDash => (
            "npm-other",
            error(
                StatusCode::NOT_FOUND,
                "firebreak proxy does not serve this npm endpoint; it serves packuments and tarballs",
            ),
        ),
        NpmRequest::Packument(name) => ("npm-document", packument(inner, info, &name).await),
        NpmRequest::Version(name, version) => {
            ("npm-version", version_document(inner, info, &name, &version).await)
        }
        NpmRequest::Tarball(name, file) => ("npm-tarball", tarball(inner, info, &name, &file).await),
    }
}

/// An npm error document: npm prints `error` after the status line.
fn error(status: StatusCode, sentence: &str) -> Response {
    json_response(status, &json!({ "error": sentence }))
}

fn registry_for<'a>(inner: &'a Inner, name: &str) -> &'a Url {
    name.strip_prefix('@')
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(scope, _)| inner.options.npm_scopes.get(&format!("@{scope}")))
        .unwrap_or(&inner.options.npm_upstream)
}

fn packument_url(inner: &Inner, name: &str) -> Option<Url> {
    let encoded = firebreak_registry::npm::encode_name(name).ok()?;
    registry_for(inner, name).join(&encoded).ok()
}

fn upstream_error(e: &UpstreamError, name: &str) -> Response {
    let (status, sentence) = e.answer(&format!("`{name}`"), "registry", "the published digest");
    error(status, &sentence)
}

/// The packument, its parsed form and the decisions on its versions.
struct Loaded {
    doc: Arc<Doc>,
    value: Map<String, Value>,
    decisions: Arc<BTreeMap<String, Decision>>,
    /// Until when the decisions hold.
    until: std::time::Instant,
}

enum Load {
    Ok(Loaded),
    /// Malformed upstream document passed through unfiltered (`on_unavailable.registry =
    /// "allow"`).
    Unfiltered(Arc<Doc>),
    Err(Response),
}

async fn fetch(inner: &Arc<Inner>, info: &RequestInfo, name: &str) -> Result<Arc<Doc>, Response> {
    let Some(url) = packument_url(inner, name) else {
        return Err(error(StatusCode::BAD_REQUEST, &format!("`{name}` is not a valid npm package name")));
    };
    let auth = info.forwarded_auth(inner);
    inner
        .upstream
        .document(&url, "application/json", auth.as_ref())
        .await
        .map_err(|e| upstream_error(&e, name))
}

async fn load(inner: &Arc<Inner>, info: &RequestInfo, name: &str) -> Load {
    match fetch(inner, info, name).await {
        Ok(doc) => load_doc(inner, name, doc).await,
        Err(r) => Load::Err(r),
    }
}

async fn load_doc(inner: &Arc<Inner>, name: &str, doc: Arc<Doc>) -> Load {
    let value = match serde_json::from_slice::<Value>(&doc.body) {
        Ok(Value::Object(map)) if map.get("versions").is_none_or(Value::is_object) => map,
        _ => {
            return match inner.policy().proxy.on_unavailable.registry {
                Fallback::Allow => Load::Unfiltered(doc),
                Fallback::Block => Load::Err(error(
                    StatusCode::BAD_GATEWAY,
                    &format!(
                        "firebreak proxy blocked `{name}`: the upstream document is not a valid packument (on_unavailable.registry = \"block\")"
                    ),
                )),
            };
        }
    };
    let body = doc.clone();
    let owned = name.to_owned();
    let (decisions, until) = inner
        .decisions(Ecosystem::Npm, name, doc.digest, move || {
            // The typed reader borrows from the body and skips what the history does not
            // need: a fraction of the memory a second `Value` tree of the document takes.
            // A body that is not a JSON object was refused above; this cannot fail.
            firebreak_registry::npm::read_packument(&owned, "", &body.body)
                .unwrap_or_else(|_| firebreak_registry::npm::parse_packument(&owned, &Map::new()))
        })
        .await;
    Load::Ok(Loaded { doc, value, decisions, until })
}

/// The decision for a version of the document, including one the registry reader could
/// not read (decided by `on_unavailable.registry`).
fn decision_for(inner: &Inner, loaded: &Loaded, version: &str) -> Decision {
    if let Some(d) = loaded.decisions.get(version) {
        return d.clone();
    }
    let way = inner.policy().proxy.on_unavailable.registry;
    let went = if way == Fallback::Block { "blocked" } else { "allowed" };
    Decision {
        allowed: way == Fallback::Allow,
        rule: "registry-unreadable".to_owned(),
        reason: "the registry's entry for this version could not be read".to_owned(),
        fallback: Some(format!(
            "registry unavailable (unreadable version entry): {went} (on_unavailable = \"{}\")",
            way.as_str()
        )),
    }
}

/// `firebreak proxy blocked NAME@VERSION (rule): reason; to allow it, …` in one sentence.
pub(crate) fn block_sentence(name: &str, version: &str, d: &Decision) -> String {
    let reason = d.reason.trim().trim_end_matches('.');
    let mut s = format!("firebreak proxy blocked {name}@{version} by rule `{}`", d.rule);
    if !reason.is_empty() {
        s.push_str(&format!(": {reason}"));
    }
    if let Some(note) = &d.fallback {
        s.push_str(&format!(" [{note}]"));
    }
    s.push_str(&format!(
        "; to allow it, add \"{name}@{version}\" to `allow` in the `[proxy]` table of firebreak.toml"
    ));
    s
}

fn tarball_file(value: &Value) -> Option<String> {
    let url = value.get("dist")?.get("tarball")?.as_str()?;
    let path = url.split(['?', '#']).next()?;
    let file = path.rsplit('/').next()?;
    let file = super::percent_decode(file)?;
    (!file.is_empty() && !file.contains(['/', '\\']) && file != "..").then_some(file)
}

/// Removes blocked versions, keeps `time` consistent with what is left, repoints
/// `dist-tags`, and sends tarball downloads through the proxy. Returns the blocked
/// versions with their decisions.
fn filter(
    inner: &Inner,
    loaded: &Loaded,
    name: &str,
    base: &str,
) -> (Map<String, Value>, Vec<(String, Decision)>) {
    let mut doc = loaded.value.clone();
    let mut blocked = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    if let Some(Value::Object(versions)) = doc.get_mut("versions") {
        let names: Vec<String> = versions.keys().cloned().collect();
        for version in names {
            let d = decision_for(inner, loaded, &version);
            if !d.allowed {
                versions.remove(&version);
                blocked.push((version, d));
                continue;
            }
            if let Some(Value::Object(entry)) = versions.get_mut(&version) {
                let file = tarball_file(&Value::Object(entry.clone()))
                    .unwrap_or_else(|| format!("{}-{version}.tgz", name.rsplit('/').next().unwrap_or(name)));
                if let Some(Value::Object(dist)) = entry.get_mut("dist") {
                    dist.insert("tarball".to_owned(), Value::String(format!("{base}/npm/{name}/-/{file}")));
                }
            }
            kept.push(version);
        }
    }
    if let Some(Value::Object(time)) = doc.get_mut("time") {
        for (version, _) in &blocked {
            time.remove(version);
        }
    }
    let original_latest =
        doc.get("dist-tags").and_then(|t| t.get("latest")).and_then(Value::as_str).map(str::to_owned);
    if let Some(Value::Object(tags)) = doc.get_mut("dist-tags") {
        tags.retain(|_, target| target.as_str().is_some_and(|v| kept.iter().any(|k| k == v)));
        if !tags.contains_key("latest")
            && let Some(latest) = newest_allowed(&kept, original_latest.as_deref())
        {
            tags.insert("latest".to_owned(), Value::String(latest));
        }
    }
    (doc, blocked)
}

/// The version `latest` moves to when its target is blocked: the highest allowed
/// non-prerelease below the blocked one, else the highest allowed non-prerelease, else
/// the highest allowed.
fn newest_allowed(kept: &[String], blocked_latest: Option<&str>) -> Option<String> {
    let parse = |v: &str| Version::parse(Ecosystem::Npm, v).ok();
    let mut versions: Vec<(Version, &String)> = kept.iter().filter_map(|v| Some((parse(v)?, v))).collect();
    versions.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let ceiling = blocked_latest.and_then(parse);
    let stable = |v: &Version| !v.is_prerelease();
    versions
        .iter()
        .rev()
        .find(|(v, _)| {
            stable(v) && ceiling.as_ref().is_none_or(|c| v.partial_cmp(c).is_some_and(|o| o.is_lt()))
        })
        .or_else(|| versions.iter().rev().find(|(v, _)| stable(v)))
        .or_else(|| versions.last())
        .map(|(_, s)| (*s).clone())
}

fn abbreviate(doc: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in ["name", "dist-tags"] {
        if let Some(v) = doc.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    let modified = doc.get("time").and_then(|t| t.get("modified")).or_else(|| doc.get("modified"));
    if let Some(m) = modified {
        out.insert("modified".to_owned(), m.clone());
    }
    let mut versions = Map::new();
    if let Some(Value::Object(all)) = doc.get("versions") {
        for (version, entry) in all {
            let Value::Object(entry) = entry else { continue };
            let mut small = Map::new();
            for field in ABBREVIATED_VERSION_FIELDS {
                if let Some(v) = entry.get(*field) {
                    small.insert((*field).to_owned(), v.clone());
                }
            }
            // The full document says it through `scripts`; clients read this flag.
            if !small.contains_key("hasInstallScript")
                && let Some(Value::Object(scripts)) = entry.get("scripts")
                && ["preinstall", "install", "postinstall"].iter().any(|s| scripts.contains_key(*s))
            {
                small.insert("hasInstallScript".to_owned(), Value::Bool(true));
            }
            versions.insert(version.clone(), Value::Object(small));
        }
    }
    out.insert("versions".to_owned(), Value::Object(versions));
    out
}

/// ASCII only and one line: header values must be, and npm prints this one as a notice.
fn header_text(text: &str, limit: usize) -> String {
    let mut out: String =
        text.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).collect();
    if out.len() > limit {
        out.truncate(limit.saturating_sub(3));
        out.push_str("...");
    }
    out
}

fn stale_headers(response: &mut Response, doc: &Doc) {
    if doc.stale {
        stale_header(response);
    }
}

fn stale_header(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(header::WARNING, HeaderValue::from_static("110 firebreak \"Response is Stale\""));
    h.insert("x-firebreak-cache", HeaderValue::from_static("stale (upstream unavailable)"));
}

async fn packument(inner: &Arc<Inner>, info: &RequestInfo, name: &str) -> Response {
    // npm, pnpm, yarn and bun send `application/vnd.npm.install-v1+json; q=1.0,
    // application/json; q=0.8, */*`: the abbreviated form unless the full one is preferred.
    let abbreviated = info.prefers(ABBREVIATED, "application/json");
    // A document fetched with the client's own credentials is never shared.
    let key = info.forwarded_auth(inner).is_none().then(|| (name.to_owned(), info.base.clone(), abbreviated));
    // The hot path: upstream confirmed the document recently and it was filtered from the
    // same body under the same policy; the upstream body itself is not read.
    if let Some(key) = &key
        && let Some(url) = packument_url(inner, name)
        && let Some(digest) = inner.upstream.fresh_digest(&url, "application/json", None)
        && let Some(rendered) = inner.rendered(key, digest)
    {
        inner.metrics.cache("document", true);
        return respond(inner, info, name, &rendered, false);
    }
    let doc = match fetch(inner, info, name).await {
        Ok(doc) => doc,
        Err(r) => return r,
    };
    if let Some(key) = &key
        && let Some(rendered) = inner.rendered(key, doc.digest)
    {
        return respond(inner, info, name, &rendered, doc.stale);
    }
    // Read before deciding: a reload while deciding then makes this render stale.
    let generation = inner.generation();
    let loaded = match load_doc(inner, name, doc.clone()).await {
        Load::Ok(l) => l,
        Load::Err(r) => return r,
        Load::Unfiltered(doc) => {
            let mut r = Response::new(Body::from(doc.body.clone()));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r.headers_mut().insert(
                "x-firebreak-unfiltered",
                HeaderValue::from_static(
                    "malformed upstream document passed through (on_unavailable.registry = allow)",
                ),
            );
            return r;
        }
    };
    let (full, blocked) = filter(inner, &loaded, name, &info.base);
    let (body, media) = if abbreviated {
        (serde_json::to_vec(&abbreviate(&full)), ABBREVIATED)
    } else {
        (serde_json::to_vec(&full), "application/json")
    };
    let fallback = loaded
        .decisions
        .values()
        .filter_map(|d| d.fallback.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .next();
    let rendered = Arc::new(Rendered {
        digest: doc.digest,
        generation,
        until: loaded.until,
        body: axum::body::Bytes::from(body.unwrap_or_default()),
        headers: rendered_headers(name, media, &blocked, fallback.as_deref()),
        blocked,
    });
    if let Some(key) = key {
        inner.remember_rendered(key, rendered.clone());
    }
    respond(inner, info, name, &rendered, doc.stale)
}

/// A packument as served: filtered and serialised once per document and policy, until its
/// decisions expire.
#[derive(Debug)]
pub(super) struct Rendered {
    pub(super) digest: [u8; 32],
    pub(super) generation: u64,
    /// Until when its decisions hold.
    pub(super) until: std::time::Instant,
    pub(super) body: axum::body::Bytes,
    headers: HeaderMap,
    blocked: Vec<(String, Decision)>,
}

fn respond(inner: &Inner, info: &RequestInfo, name: &str, rendered: &Rendered, stale: bool) -> Response {
    for (version, d) in &rendered.blocked {
        inner.audit(info.client, "npm", name, version, "document", d);
    }
    let mut response = Response::new(Body::from(rendered.body.clone()));
    *response.headers_mut() = rendered.headers.clone();
    if stale {
        stale_header(&mut response);
    }
    response
}

/// The headers of a filtered packument, made once with it rather than for every request.
fn rendered_headers(
    name: &str,
    media: &'static str,
    blocked: &[(String, Decision)],
    fallback: Option<&str>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    if !blocked.is_empty() {
        let shown: Vec<String> = blocked.iter().take(3).map(|(v, d)| format!("{v} ({})", d.rule)).collect();
        let more = if blocked.len() > 3 { format!(" and {} more", blocked.len() - 3) } else { String::new() };
        let notice = format!(
            "firebreak proxy withheld {name} {}{more} by policy; `firebreak check {name}@VERSION` explains, and `allow` in the [proxy] table of firebreak.toml exempts",
            shown.join(", ")
        );
        if let Ok(v) = HeaderValue::from_str(&header_text(&notice, 400)) {
            headers.insert("npm-notice", v);
        }
        if let Ok(v) = HeaderValue::from_str(&blocked.len().to_string()) {
            headers.insert("x-firebreak-blocked", v);
        }
        // npm prints `npm-notice` only for responses it did not store in its cache, and
        // a document with withheld versions changes as they age out of the cooldown.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    }
    if let Some(note) = fallback
        && let Ok(v) = HeaderValue::from_str(&header_text(note, 300))
    {
        headers.insert("x-firebreak-fallback", v);
    }
    headers
}

async fn version_document(inner: &Arc<Inner>, info: &RequestInfo, name: &str, version: &str) -> Response {
    let loaded = match load(inner, info, name).await {
        Load::Ok(l) => l,
        Load::Err(r) => return r,
        Load::Unfiltered(_) => {
            return error(
                StatusCode::BAD_GATEWAY,
                &format!("the upstream document for `{name}` is malformed"),
            );
        }
    };
    let (full, blocked) = filter(inner, &loaded, name, &info.base);
    // A dist-tag (`latest`) names the version it points at after filtering.
    let resolved = full
        .get("dist-tags")
        .and_then(|t| t.get(version))
        .and_then(Value::as_str)
        .unwrap_or(version)
        .to_owned();
    if let Some((_, d)) = blocked.iter().find(|(v, _)| *v == resolved) {
        inner.audit(info.client, "npm", name, &resolved, "document", d);
        return error(StatusCode::FORBIDDEN, &block_sentence(name, &resolved, d));
    }
    match full.get("versions").and_then(|v| v.get(&resolved)) {
        Some(entry) => {
            let mut r = json_response(StatusCode::OK, entry);
            stale_headers(&mut r, &loaded.doc);
            r
        }
        None => error(StatusCode::NOT_FOUND, &format!("version `{version}` of `{name}` not found")),
    }
}

async fn tarball(inner: &Arc<Inner>, info: &RequestInfo, name: &str, file: &str) -> Response {
    let loaded = match load(inner, info, name).await {
        Load::Ok(l) => l,
        Load::Err(r) => return r,
        Load::Unfiltered(_) => {
            return error(
                StatusCode::BAD_GATEWAY,
                &format!(
                    "firebreak proxy cannot verify `{file}`: the upstream document for `{name}` is malformed"
                ),
            );
        }
    };
    let found =
        loaded.value.get("versions").and_then(Value::as_object).and_then(|versions| {
            versions.iter().find(|(_, entry)| tarball_file(entry).as_deref() == Some(file))
        });
    let Some((version, entry)) = found else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("`{file}` is not a tarball of any version of `{name}`"),
        );
    };
    let decision = decision_for(inner, &loaded, version);
    if !decision.allowed {
        inner.audit(info.client, "npm", name, version, "artifact", &decision);
        return error(StatusCode::FORBIDDEN, &block_sentence(name, version, &decision));
    }
    let dist = entry.get("dist");
    let Some(upstream_url) =
        dist.and_then(|d| d.get("tarball")).and_then(Value::as_str).and_then(|u| Url::parse(u).ok())
    else {
        return error(
            StatusCode::BAD_GATEWAY,
            &format!("the upstream entry of {name}@{version} has no tarball URL"),
        );
    };
    // Only the registry's own host: the proxy must never fetch a URL a document chose.
    let registry = registry_for(inner, name);
    if upstream_url.scheme() != registry.scheme()
        || upstream_url.host_str() != registry.host_str()
        || upstream_url.port_or_known_default() != registry.port_or_known_default()
    {
        return error(
            StatusCode::BAD_GATEWAY,
            &format!(
                "firebreak proxy refused {name}@{version}: its tarball is hosted on {}, not on the upstream registry",
                upstream_url.host_str().unwrap_or("another host")
            ),
        );
    }
    let integrity = dist
        .and_then(|d| d.get("integrity"))
        .and_then(Value::as_str)
        .or_else(|| dist.and_then(|d| d.get("shasum")).and_then(Value::as_str));
    let Some(integrity) = integrity else {
        return error(
            StatusCode::BAD_GATEWAY,
            &format!(
                "firebreak proxy refused {name}@{version}: the registry publishes no digest to verify it against"
            ),
        );
    };
    let fetched =
        inner.upstream.artifact(&upstream_url, integrity, info.forwarded_auth(inner).as_ref()).await;
    let label = format!("{name}@{version}");
    inner
        .artifact_response(info, "npm", name, version, &label, Some(&decision), fetched)
        .unwrap_or_else(|e| upstream_error(&e, &label))
}

async fn search(inner: &Arc<Inner>, info: &RequestInfo) -> Response {
    let mut url = match inner.options.npm_upstream.join("-/v1/search") {
        Ok(u) => u,
        Err(_) => return error(StatusCode::BAD_GATEWAY, "the npm upstream URL cannot take a search path"),
    };
    url.set_query(info.query.as_deref());
    match inner.upstream.document(&url, "application/json", info.forwarded_auth(inner).as_ref()).await {
        Ok(doc) => {
            let mut r = Response::new(Body::from(doc.body.clone()));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r.headers_mut().insert(
                "x-firebreak-unfiltered",
                HeaderValue::from_static("search results pass through; installs are filtered"),
            );
            r
        }
        Err(e) => upstream_error(&e, "search"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_paths() {
        assert!(matches!(parse(&["axios"]), Some(NpmRequest::Packument(n)) if n == "axios"));
        assert!(matches!(parse(&["@types/node"]), Some(NpmRequest::Packument(n)) if n == "@types/node"));
        assert!(matches!(parse(&["@types", "node"]), Some(NpmRequest::Packument(n)) if n == "@types/node"));
        assert!(matches!(parse(&["axios", "1.14.0"]), Some(NpmRequest::Version(_, v)) if v == "1.14.0"));
        assert!(
            matches!(parse(&["@types", "node", "-", "node-20.0.0.tgz"]), Some(NpmRequest::Tarball(n, f)) if n == "@types/node" && f == "node-20.0.0.tgz")
        );
        assert!(matches!(parse(&["-", "v1", "search"]), Some(NpmRequest::Search)));
        assert!(parse(&["axios", "-", "x.zip"]).is_none());
        assert!(parse(&["Bad Name"]).is_none());
    }

    #[test]
    fn latest_moves_to_the_newest_allowed_release_below_the_blocked_one() {
        let kept: Vec<String> =
            ["0.30.3", "1.13.2", "1.14.0", "2.0.0-beta.1"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(newest_allowed(&kept, Some("1.14.1")).as_deref(), Some("1.14.0"));
        assert_eq!(newest_allowed(&kept, Some("0.1.0")).as_deref(), Some("1.14.0"));
        assert_eq!(newest_allowed(&["1.0.0-rc.1".to_owned()], Some("1.0.0")).as_deref(), Some("1.0.0-rc.1"));
        assert_eq!(newest_allowed(&[], Some("1.0.0")), None);
    }

    #[test]
    fn header_text_is_ascii_and_bounded() {
        assert_eq!(header_text("caf\u{e9}\nx", 100), "caf??x");
        assert_eq!(header_text(&"a".repeat(50), 10), "aaaaaaa...");
    }
}

//! The crates.io sparse index (`config.json` and the index files) and `.crate` downloads.
//!
//! Reference: <https://doc.rust-lang.org/cargo/reference/registry-index.html> (index
//! paths, lines, `config.json`, the `dl` markers) and crates.io's
//! `/api/v1/crates/<name>/versions` for the publish times older index lines lack.
//!
//! A blocked release stays in the index file, marked `"yanked": true`, instead of being
//! removed. Both keep it out of a fresh resolution, but cargo treats a version missing
//! from the index that a `Cargo.lock` pins as a vanished crate ("failed to select a
//! version … perhaps a crate was updated and forgotten to be re-vendored?"), which says
//! nothing about why; a yanked one it still downloads for the lockfile, and the download
//! gets the 403 whose body (which cargo prints) names the rule and the exemption.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use firebreak_core::{Ecosystem, Version};
use firebreak_policy::Fallback;
use firebreak_registry::crates::{apply_versions, download_url, index_path, parse_index};
use reqwest::Url;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::upstream::{Doc, UpstreamError};
use super::{Inner, RequestInfo, json as json_response, text};
use crate::decide::Decision;

/// Pages of the versions API followed at most (crates.io sends every version on one page
/// unless asked to page).
const MAX_API_PAGES: usize = 10;

#[derive(Debug, PartialEq, Eq)]
enum CargoRequest {
    Config,
    /// The index file of a crate, by its lower-case name.
    Index(String),
    /// A `.crate` download: name as cargo spells it (from the index line), version.
    Download(String, String),
}

/// The route below `/cargo/`. Index files are only answered at the path cargo computes
/// for the name (`1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd`, lower case), so one crate has one
/// URL and nothing else reaches the upstream.
fn parse(rest: &[&str]) -> Option<CargoRequest> {
    match rest {
        ["index", "config.json"] => Some(CargoRequest::Config),
        ["index", path @ .., name] => {
            let expected = index_path(name).ok()?;
            let mut asked = path.join("/");
            asked.push('/');
            asked.push_str(name);
            (expected == asked).then(|| CargoRequest::Index((*name).to_owned()))
        }
        ["api", "v1", "crates", name, version, "download"] => {
            index_path(name).ok()?;
            Version::parse(Ecosystem::CratesIo, version).ok()?;
            Some(CargoRequest::Download((*name).to_owned(), (*version).to_owned()))
        }
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
            text(
                StatusCode::BAD_REQUEST,
                "firebreak proxy: not a crates.io sparse index path (`/cargo/index/config.json`, `/cargo/index/ab/cd/abcd`, `/cargo/api/v1/crates/NAME/VERSION/download`)\n",
            ),
        );
    };
    if info.method != Method::GET && info.method != Method::HEAD {
        return (
            "read-only",
            text(
                StatusCode::METHOD_NOT_ALLOWED,
                "firebreak proxy is a read-only registry: publish to crates.io directly (`cargo publish --registry crates-io`)\n",
            ),
        );
    }
    match request {
        CargoRequest::Config => ("cargo-config", config(info)),
        CargoRequest::Index(name) => ("cargo-index", index_file(inner, info, &name).await),
        CargoRequest::Download(name, version) => {
            ("cargo-download", download(inner, info, &name, &version).await)
        }
    }
}

/// The proxy's own `config.json`: downloads come back through the proxy (cargo appends
/// `/{crate}/{version}/download` to a `dl` without markers). No `api`: the proxy is
/// read-only, and cargo then says plainly that this registry has no web API (publish,
/// search, owner and yank go to crates.io with `--registry crates-io`).
fn config(info: &RequestInfo) -> Response {
    json_response(StatusCode::OK, &serde_json::json!({ "dl": format!("{}/cargo/api/v1/crates", info.base) }))
}

fn join(base: &Url, path: &str) -> Option<Url> {
    let mut text = base.as_str().to_owned();
    if !text.ends_with('/') {
        text.push('/');
    }
    text.push_str(path);
    Url::parse(&text).ok()
}

fn upstream_error(e: &UpstreamError, what: &str) -> Response {
    let (status, sentence) = e.answer(what, "registry", "the index checksum");
    text(status, &format!("{sentence}\n"))
}

/// One line of an index file, as far as the proxy reads it.
#[derive(Debug)]
struct Line<'a> {
    raw: &'a [u8],
    /// The parsed object; `None` for a line that is not a JSON object with a `vers`.
    entry: Option<Map<String, Value>>,
}

impl Line<'_> {
    fn str(&self, key: &str) -> Option<&str> {
        self.entry.as_ref()?.get(key)?.as_str()
    }
}

fn lines(body: &[u8]) -> Vec<Line<'_>> {
    body.split(|b| *b == b'\n')
        .filter(|raw| !raw.iter().all(u8::is_ascii_whitespace))
        .map(|raw| {
            let entry = match serde_json::from_slice::<Value>(raw) {
                Ok(Value::Object(map)) if map.get("vers").is_some_and(Value::is_string) => Some(map),
                _ => None,
            };
            Line { raw, entry }
        })
        .collect()
}

/// Whether some line lacks a publish time, so the versions API has to be asked.
fn needs_publish_times(lines: &[Line<'_>]) -> bool {
    lines.iter().any(|l| l.entry.is_some() && l.str("pubtime").is_none())
}

/// An index file with its decisions.
struct Loaded {
    index: Arc<Doc>,
    decisions: Arc<BTreeMap<String, Decision>>,
    /// Why the publish times could not be had from the versions API, when they were
    /// needed and it failed.
    api_problem: Option<String>,
}

async fn load(inner: &Arc<Inner>, info: &RequestInfo, name: &str) -> Result<Loaded, Response> {
    let path = index_path(name).map_err(|e| text(StatusCode::BAD_REQUEST, &format!("{e}\n")))?;
    let Some(url) = join(&inner.options.cargo_upstream, &path) else {
        return Err(text(StatusCode::BAD_GATEWAY, "the crates.io upstream URL cannot take an index path\n"));
    };
    let auth = info.forwarded_auth(inner);
    let index = inner
        .upstream
        .document(&url, "text/plain", auth.as_ref())
        .await
        .map_err(|e| upstream_error(&e, &format!("crate `{name}`")))?;
    let mut pages: Vec<(Arc<Doc>, Map<String, Value>)> = Vec::new();
    let mut api_problem = None;
    if needs_publish_times(&lines(&index.body)) {
        match api_pages(inner, name, &mut pages).await {
            Ok(()) => {}
            Err(why) => api_problem = Some(why),
        }
    }
    let mut hasher = Sha256::new();
    hasher.update(index.digest);
    for (doc, _) in &pages {
        hasher.update(doc.digest);
    }
    let digest: [u8; 32] = hasher.finalize().into();
    let body = index.clone();
    let owned = name.to_owned();
    let maps: Vec<Map<String, Value>> = pages.into_iter().map(|(_, map)| map).collect();
    let (decisions, _) = inner
        .decisions(Ecosystem::CratesIo, name, digest, move || {
            let mut history = parse_index(&owned, &body.body, "");
            for map in &maps {
                apply_versions(&mut history, map);
            }
            history
        })
        .await;
    Ok(Loaded { index, decisions, api_problem })
}

/// The pages of `/api/v1/crates/<name>/versions` from `--cargo-api-upstream`, through the
/// same cache as the index. A crate the API does not know leaves the times unknown.
async fn api_pages(
    inner: &Arc<Inner>,
    name: &str,
    pages: &mut Vec<(Arc<Doc>, Map<String, Value>)>,
) -> Result<(), String> {
    let api = &inner.options.cargo_api_upstream;
    let mut url = join(api, &format!("api/v1/crates/{}/versions", name.to_ascii_lowercase()))
        .ok_or_else(|| "the crates.io API URL cannot take a path".to_owned())?;
    for _ in 0..MAX_API_PAGES {
        let doc = inner.upstream.document(&url, "application/json", None).await.map_err(|e| e.to_string())?;
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&doc.body) else {
            return Err("the versions API answered something that is not a JSON object".to_owned());
        };
        let next =
            map.get("meta").and_then(|m| m.get("next_page")).and_then(Value::as_str).map(str::to_owned);
        pages.push((doc, map));
        // Only a query on the same endpoint: the proxy never follows a URL a document chose.
        match next.filter(|q| q.starts_with('?')) {
            Some(query) => {
                url.set_query(Some(query.trim_start_matches('?')));
            }
            None => return Ok(()),
        }
    }
    Ok(())
}

/// The decision for a line: from the decisions, or, for a line the registry reader could
/// not read, by `on_unavailable.registry`.
fn decision_for(inner: &Inner, loaded: &Loaded, version: Option<&str>) -> Decision {
    if let Some(d) = version.and_then(|v| loaded.decisions.get(v)) {
        return d.clone();
    }
    let way = inner.policy().proxy.on_unavailable.registry;
    let went = if way == Fallback::Block { "blocked" } else { "allowed" };
    Decision {
        allowed: way == Fallback::Allow,
        rule: "registry-unreadable".to_owned(),
        reason: "the index line for this version could not be read".to_owned(),
        fallback: Some(format!(
            "registry unavailable (unreadable index line): {went} (on_unavailable = \"{}\")",
            way.as_str()
        )),
    }
}

/// The index file as served: allowed lines byte for byte, blocked ones with
/// `"yanked": true`, unreadable ones kept or dropped by `on_unavailable.registry`.
/// Returns the blocked versions with their decisions.
fn filter(body: &[u8], decide: impl Fn(Option<&str>) -> Decision) -> (Vec<u8>, Vec<(String, Decision)>) {
    let mut out = Vec::with_capacity(body.len());
    let mut blocked = Vec::new();
    for (n, line) in lines(body).into_iter().enumerate() {
        let version = line.str("vers").map(str::to_owned);
        let d = decide(version.as_deref());
        if d.allowed {
            out.extend_from_slice(line.raw);
            out.push(b'\n');
            continue;
        }
        if let Some(mut entry) = line.entry {
            entry.insert("yanked".to_owned(), Value::Bool(true));
            if let Ok(text) = serde_json::to_vec(&entry) {
                out.extend_from_slice(&text);
                out.push(b'\n');
            }
        }
        blocked.push((version.unwrap_or_else(|| format!("(line {})", n + 1)), d));
    }
    (out, blocked)
}

fn stale_headers(response: &mut Response, doc: &Doc) {
    if doc.stale {
        let h = response.headers_mut();
        h.insert(header::WARNING, HeaderValue::from_static("110 firebreak \"Response is Stale\""));
        h.insert("x-firebreak-cache", HeaderValue::from_static("stale (upstream unavailable)"));
    }
}

fn fallback_header(response: &mut Response, decisions: &BTreeMap<String, Decision>) {
    let note = decisions.values().filter_map(|d| d.fallback.as_deref()).min();
    if let Some(note) = note {
        let ascii: String = note
            .chars()
            .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' })
            .take(300)
            .collect();
        if let Ok(v) = HeaderValue::from_str(&ascii) {
            response.headers_mut().insert("x-firebreak-fallback", v);
        }
    }
}

async fn index_file(inner: &Arc<Inner>, info: &RequestInfo, name: &str) -> Response {
    let loaded = match load(inner, info, name).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    if let Some(why) = &loaded.api_problem {
        (inner.log)(&format!("crate `{name}`: no publish times from the versions API ({why})"));
    }
    let (body, blocked) = filter(&loaded.index.body, |v| decision_for(inner, &loaded, v));
    for (version, d) in &blocked {
        inner.audit(info.client, "cargo", name, version, "document", d);
    }
    // Cargo revalidates its cached index files with `If-None-Match`: the tag is the
    // served body's, so a release ageing out of the cooldown changes it.
    let digest = Sha256::digest(&body);
    let tag: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"fb-{tag}\"");
    let not_modified = info
        .headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if not_modified {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(body));
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        r
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    if !blocked.is_empty()
        && let Ok(v) = HeaderValue::from_str(&blocked.len().to_string())
    {
        response.headers_mut().insert("x-firebreak-blocked", v);
    }
    fallback_header(&mut response, &loaded.decisions);
    stale_headers(&mut response, &loaded.index);
    response
}

/// The upstream index's `dl`, from its `config.json`.
async fn upstream_dl(inner: &Arc<Inner>, info: &RequestInfo) -> Result<String, Response> {
    let Some(url) = join(&inner.options.cargo_upstream, "config.json") else {
        return Err(text(StatusCode::BAD_GATEWAY, "the crates.io upstream URL cannot take `config.json`\n"));
    };
    let auth = info.forwarded_auth(inner);
    let doc = inner
        .upstream
        .document(&url, "application/json", auth.as_ref())
        .await
        .map_err(|e| upstream_error(&e, "the index `config.json`"))?;
    serde_json::from_slice::<Value>(&doc.body)
        .ok()
        .and_then(|v| v.get("dl").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| {
            text(StatusCode::BAD_GATEWAY, "the upstream index `config.json` has no `dl` download URL\n")
        })
}

/// The URL a release is downloaded from upstream: the `dl` template expanded, `http` or
/// `https` only.
fn artifact_url(dl: &str, name: &str, version: &str, cksum: &str) -> Option<Url> {
    let url = Url::parse(&download_url(dl, name, version, Some(cksum))).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

async fn download(inner: &Arc<Inner>, info: &RequestInfo, name: &str, version: &str) -> Response {
    let loaded = match load(inner, info, &name.to_ascii_lowercase()).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let all = lines(&loaded.index.body);
    let Some(line) = all.iter().find(|l| {
        l.str("vers") == Some(version) && l.str("name").is_none_or(|n| n.eq_ignore_ascii_case(name))
    }) else {
        return text(
            StatusCode::NOT_FOUND,
            &format!("firebreak proxy: version {version} of crate `{name}` is not in the upstream index\n"),
        );
    };
    let spelled = line.str("name").unwrap_or(name).to_owned();
    let decision = decision_for(inner, &loaded, Some(version));
    if !decision.allowed {
        inner.audit(info.client, "cargo", &spelled, version, "artifact", &decision);
        return text(
            StatusCode::FORBIDDEN,
            &format!("{}\n", super::npm::block_sentence(&spelled, version, &decision)),
        );
    }
    let cksum = line.str("cksum").filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()));
    let Some(cksum) = cksum.map(str::to_ascii_lowercase) else {
        return text(
            StatusCode::BAD_GATEWAY,
            &format!(
                "firebreak proxy refused {spelled}@{version}: the index gives no sha256 `cksum` to verify it against\n"
            ),
        );
    };
    let dl = match upstream_dl(inner, info).await {
        Ok(dl) => dl,
        Err(r) => return r,
    };
    let Some(url) = artifact_url(&dl, &spelled, version, &cksum) else {
        return text(
            StatusCode::BAD_GATEWAY,
            "firebreak proxy: the upstream index's `dl` does not give an http(s) download URL\n",
        );
    };
    let fetched = inner.upstream.artifact(&url, &cksum, info.forwarded_auth(inner).as_ref()).await;
    let label = format!("{spelled}@{version}");
    inner
        .artifact_response(info, "cargo", &spelled, version, &label, Some(&decision), fetched)
        .unwrap_or_else(|e| upstream_error(&e, &label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_are_the_ones_cargo_computes() {
        let index = |p: &str| parse(&p.split('/').collect::<Vec<_>>());
        assert_eq!(index("index/config.json"), Some(CargoRequest::Config));
        assert_eq!(index("index/1/a"), Some(CargoRequest::Index("a".into())));
        assert_eq!(index("index/2/ab"), Some(CargoRequest::Index("ab".into())));
        assert_eq!(index("index/3/a/abc"), Some(CargoRequest::Index("abc".into())));
        assert_eq!(index("index/lo/gw/logwise"), Some(CargoRequest::Index("logwise".into())));
        assert_eq!(index("index/se/rd/serde_json"), Some(CargoRequest::Index("serde_json".into())));
        for junk in [
            "index",
            "index/lo/gw",
            "index/ab/cd/logwise",
            "index/Lo/gw/Logwise",
            "index/lo/gw/LogWise",
            "index/1/ab",
            "index/3/b/abc",
            "index/lo/gw/log wise",
            "index/lo/gw/logwise/extra",
            "index/x/lo/gw/logwise",
            "other/config.json",
        ] {
            assert_eq!(index(junk), None, "{junk}");
        }
    }

    #[test]
    fn download_paths_need_a_crate_name_and_a_version() {
        let route = |p: &str| parse(&p.split('/').collect::<Vec<_>>());
        assert_eq!(
            route("api/v1/crates/LogWise/0.3.2/download"),
            Some(CargoRequest::Download("LogWise".into(), "0.3.2".into()))
        );
        assert_eq!(
            route("api/v1/crates/a/1.0.0-rc.1+build/download"),
            Some(CargoRequest::Download("a".into(), "1.0.0-rc.1+build".into()))
        );
        for junk in [
            "api/v1/crates/logwise/0.3.2",
            "api/v1/crates/logwise/latest/download",
            "api/v1/crates/log$wise/0.3.2/download",
            "api/v1/crates/logwise/0.3.2/download/x",
            "api/v2/crates/logwise/0.3.2/download",
        ] {
            assert_eq!(route(junk), None, "{junk}");
        }
    }

    fn decided(allowed: bool, rule: &str) -> Decision {
        Decision { allowed, rule: rule.to_owned(), reason: String::new(), fallback: None }
    }

    const INDEX: &str = concat!(
        r#"{"name":"logwise","vers":"0.3.2","deps":[],"cksum":"aa","features":{},"yanked":false}"#,
        "\n",
        r#"{"name":"logwise","vers":"0.3.3","deps":[],"cksum":"bb","features":{},"yanked":false,"pubtime":"2026-01-01T00:00:00Z"}"#,
        "\n",
        "not json\n",
        "\n",
    );

    #[test]
    fn blocked_lines_are_yanked_and_allowed_lines_kept_byte_for_byte() {
        let (out, blocked) = filter(INDEX.as_bytes(), |v| match v {
            Some("0.3.3") => decided(false, "release-too-young"),
            Some(_) => decided(true, ""),
            None => decided(false, "registry-unreadable"),
        });
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(lines[0], INDEX.lines().next().unwrap());
        let second: Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(second["vers"], "0.3.3");
        assert_eq!(second["yanked"], true);
        assert_eq!(second["cksum"], "bb");
        assert_eq!(second["pubtime"], "2026-01-01T00:00:00Z");
        let versions: Vec<&str> = blocked.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(versions, ["0.3.3", "(line 3)"]);
        assert_eq!(blocked[0].1.rule, "release-too-young");
    }

    #[test]
    fn an_unreadable_line_passes_when_the_registry_fallback_allows() {
        let (out, blocked) = filter(INDEX.as_bytes(), |_| decided(true, ""));
        assert_eq!(String::from_utf8(out).unwrap(), INDEX.trim_end_matches('\n').to_owned() + "\n");
        assert!(blocked.is_empty());
    }

    #[test]
    fn the_versions_api_is_asked_only_when_a_line_lacks_its_publish_time() {
        assert!(needs_publish_times(&lines(INDEX.as_bytes())));
        let all_timed = r#"{"name":"a","vers":"1.0.0","pubtime":"2026-01-01T00:00:00Z"}"#;
        assert!(!needs_publish_times(&lines(all_timed.as_bytes())));
    }

    #[test]
    fn download_urls_from_the_upstream_dl() {
        let sum = "6429cf06ce8e904cf42753e58bb651bca2bd0bef5a83cec69d1737815fa9f9f9";
        assert_eq!(
            artifact_url("https://static.crates.io/crates", "logwise", "0.3.2", sum).unwrap().as_str(),
            "https://static.crates.io/crates/logwise/0.3.2/download"
        );
        assert_eq!(
            artifact_url(
                "https://m.test/{lowerprefix}/{crate}-{version}.crate?sum={sha256-checksum}",
                "LogWise",
                "0.3.2",
                sum
            )
            .unwrap()
            .as_str(),
            format!("https://m.test/lo/gw/LogWise-0.3.2.crate?sum={sum}")
        );
        assert!(artifact_url("file:///etc/{crate}", "logwise", "0.3.2", sum).is_none());
        assert!(artifact_url("not a url", "logwise", "0.3.2", sum).is_none());
    }
}

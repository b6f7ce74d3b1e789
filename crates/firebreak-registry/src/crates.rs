//! crates.io: the sparse index and the web API.
//!
//! Formats: <https://doc.rust-lang.org/cargo/reference/registry-index.html> (index lines,
//! `config.json`), crates.io's `/api/v1/crates/<name>/versions` (`published_by`,
//! `trustpub_data` for Trusted Publishing) and `/api/v1/crates/<name>`.

use std::collections::BTreeMap;
use std::sync::Arc;

use firebreak_core::{Ecosystem, Hash, HashAlgorithm, Version};
use reqwest::Url;
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use crate::config::CratesConfig;
use crate::error::RegistryError;
use crate::http::HttpClient;
use crate::json::{Reader, join, parse_object};
use crate::model::{Account, PackageHistory, Release, Trust, TrustLevel, TrustedPublisher};
use crate::{BoxFuture, Registry, normalize_repository};

/// Pages of the versions API followed at most (crates.io pages by 100 when asked to).
const MAX_PAGES: usize = 50;

/// A client of crates.io or a sparse-index mirror.
#[derive(Debug, Clone)]
pub struct CratesRegistry {
    http: Arc<HttpClient>,
    config: CratesConfig,
    index_config: Arc<OnceCell<IndexConfig>>,
}

/// The sparse index's `config.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexConfig {
    /// The download URL or template (`{crate}`, `{version}`, `{prefix}`, `{lowerprefix}`,
    /// `{sha256-checksum}` markers).
    pub dl: String,
    /// The web API base, when the registry has one.
    pub api: Option<String>,
}

impl CratesRegistry {
    /// A client using `config` over `http`.
    pub fn new(http: Arc<HttpClient>, config: CratesConfig) -> CratesRegistry {
        CratesRegistry { http, config, index_config: Arc::new(OnceCell::new()) }
    }

    /// The index `config.json`, fetched once per client.
    pub async fn index_config(&self) -> Result<&IndexConfig, RegistryError> {
        self.index_config
            .get_or_try_init(|| async {
                let url = join_url(&self.config.index, "config.json")?;
                let fetched = self.http.get(&url, "application/json").await?;
                let doc = parse_object(url.as_str(), &fetched.body)?;
                let dl = doc.get("dl").and_then(Value::as_str).ok_or_else(|| RegistryError::Malformed {
                    url: url.to_string(),
                    path: "$.dl".into(),
                    message: "expected a string".into(),
                })?;
                let api = doc.get("api").and_then(Value::as_str).map(str::to_owned);
                Ok(IndexConfig { dl: dl.to_owned(), api })
            })
            .await
    }

    /// The index file URL of `name`.
    pub fn index_url(&self, name: &str) -> Result<Url, RegistryError> {
        join_url(&self.config.index, &index_path(name)?)
    }

    async fn api_base(&self) -> Result<Option<Url>, RegistryError> {
        if let Some(api) = &self.config.api {
            return Ok(Some(api.clone()));
        }
        let config = self.index_config().await?;
        Ok(config.api.as_deref().and_then(|a| Url::parse(a).ok()))
    }

    /// Fetches the index file and the API documents and merges them.
    pub async fn crate_history(&self, name: &str) -> Result<PackageHistory, RegistryError> {
        let index_url = self.index_url(name)?;
        let config = self.index_config().await?.clone();
        let api = self.api_base().await?;
        let lower = name.to_ascii_lowercase();
        let api_urls = match &api {
            Some(api) => Some((
                join_url(api, &format!("api/v1/crates/{lower}/versions"))?,
                join_url(api, &format!("api/v1/crates/{lower}"))?,
                join_url(api, &format!("api/v1/crates/{lower}/owners"))?,
            )),
            None => None,
        };
        let json = "application/json";
        // The index file and the three API documents are independent: fetch them together.
        let (index, api_docs) = tokio::join!(self.http.get(&index_url, "text/plain"), async {
            match &api_urls {
                Some((v, c, o)) => {
                    Some(tokio::join!(self.http.get(v, json), self.http.get(c, json), self.http.get(o, json)))
                }
                None => None,
            }
        });
        let mut history = parse_index(name, &index?.body, &config.dl);
        let (Some((versions_url, crate_url, owners_url)), Some((versions, krate, owners))) =
            (api_urls, api_docs)
        else {
            history.warnings.push("the index has no `api`: publishers and trusted publishing unknown".into());
            return Ok(history);
        };
        let mut page = Some(versions);
        let mut url = versions_url;
        let mut pages = 0;
        while let Some(result) = page.take() {
            pages += 1;
            let doc = match result {
                Ok(f) => parse_object(url.as_str(), &f.body)?,
                Err(RegistryError::NotFound { url, .. }) => {
                    history
                        .warnings
                        .push(format!("the versions API `{url}` answered 404; publishers unknown"));
                    break;
                }
                Err(e) => return Err(e),
            };
            let next = apply_versions(&mut history, &doc)
                .filter(|_| pages < MAX_PAGES)
                .and_then(|q| url.join(&q).ok());
            if let Some(next) = next {
                page = Some(self.http.get(&next, json).await);
                url = next;
            }
        }
        match krate {
            Ok(f) => apply_crate(&mut history, &parse_object(crate_url.as_str(), &f.body)?),
            Err(RegistryError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        match owners {
            Ok(f) => apply_owners(&mut history, &parse_object(owners_url.as_str(), &f.body)?),
            Err(RegistryError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        Ok(history)
    }
}

impl Registry for CratesRegistry {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::CratesIo
    }

    fn history<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<PackageHistory, RegistryError>> {
        Box::pin(self.crate_history(name))
    }

    fn complete<'a>(
        &'a self,
        _history: &'a mut PackageHistory,
        _versions: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), RegistryError>> {
        // The index and the versions API already hold every per-version fact.
        Box::pin(async { Ok(()) })
    }
}

fn join_url(base: &Url, path: &str) -> Result<Url, RegistryError> {
    let mut text = base.as_str().to_owned();
    if !text.ends_with('/') {
        text.push('/');
    }
    text.push_str(path);
    Url::parse(&text).map_err(|e| RegistryError::Config {
        origin: base.to_string(),
        message: format!("cannot join `{path}`: {e}"),
    })
}

/// The index path of a crate: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`, lowercase.
pub fn index_path(name: &str) -> Result<String, RegistryError> {
    if name.is_empty()
        || name.len() > 64
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(RegistryError::InvalidName {
            name: name.to_owned(),
            reason: "crate names are 1 to 64 ASCII letters, digits, `-` and `_`",
        });
    }
    let n = name.to_ascii_lowercase();
    Ok(match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    })
}

/// The download URL of a release from the index's `dl` (a template with `{crate}`,
/// `{version}`, `{prefix}`, `{lowerprefix}` and `{sha256-checksum}` markers, or a base URL
/// that gets `/{crate}/{version}/download` appended).
pub fn download_url(dl: &str, name: &str, version: &str, cksum: Option<&str>) -> String {
    let markers = ["{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"];
    if !markers.iter().any(|m| dl.contains(m)) {
        return format!("{}/{name}/{version}/download", dl.trim_end_matches('/'));
    }
    // `{prefix}` keeps the name's case (`My/Cr` for `MyCrate`); `{lowerprefix}` and the
    // index paths do not.
    let prefix = match name.len() {
        0 => String::new(),
        1 => "1".to_owned(),
        2 => "2".to_owned(),
        3 => format!("3/{}", name.get(..1).unwrap_or_default()),
        _ => format!("{}/{}", name.get(..2).unwrap_or_default(), name.get(2..4).unwrap_or_default()),
    };
    dl.replace("{crate}", name)
        .replace("{version}", version)
        .replace("{lowerprefix}", &prefix.to_ascii_lowercase())
        .replace("{prefix}", &prefix)
        .replace("{sha256-checksum}", cksum.unwrap_or_default())
}

/// Reads a sparse index file (one JSON object per line). A bad line is a warning naming
/// its line number.
pub fn parse_index(name: &str, body: &[u8], dl: &str) -> PackageHistory {
    let mut r = Reader::default();
    let mut history = PackageHistory {
        ecosystem: Some(Ecosystem::CratesIo),
        name: name.to_owned(),
        ..PackageHistory::default()
    };
    for (n, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let path = format!("line {}", n + 1);
        let obj = match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(o)) => o,
            Ok(other) => {
                r.warn(&path, format!("expected an object, found {}", crate::json::kind(&other)));
                continue;
            }
            Err(e) => {
                r.warn(&path, format!("not JSON: {e}"));
                continue;
            }
        };
        let Some(vers) = r.str(&obj, "vers", &path) else {
            r.warn(&path, "missing `vers`");
            continue;
        };
        if let Some(n) = r.str(&obj, "name", &path) {
            history.name = n.to_owned();
        }
        let parsed = match Version::parse(Ecosystem::CratesIo, vers) {
            Ok(v) => Some(v),
            Err(e) => {
                r.warn(&join(&path, "vers"), format!("version does not parse: {e}"));
                None
            }
        };
        let mut release =
            Release { version: vers.to_owned(), parsed, dependencies_known: true, ..Release::default() };
        let cksum = r.str(&obj, "cksum", &path).map(str::to_owned);
        if let Some(c) = &cksum {
            if c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()) {
                release.hashes.push(Hash::hex(HashAlgorithm::Sha256, c));
            } else {
                r.warn(&join(&path, "cksum"), "expected 64 hex digits");
            }
        }
        if r.bool(&obj, "yanked", &path) == Some(true) {
            release.yanked = Some(String::new());
        }
        // Newer crates.io index entries carry their publish time (`2025-11-12T19:30:12Z`);
        // older ones need the web API's `created_at`.
        if obj.get("pubtime").is_some_and(|t| !t.is_null()) {
            release.published = r.time(&obj, "pubtime", &path);
        }
        if let Some(deps) = r.arr(&obj, "deps", &path) {
            for (i, dep) in deps.iter().enumerate() {
                let dep_path = format!("{path}.deps[{i}]");
                let Value::Object(dep) = dep else {
                    r.warn(&dep_path, "expected an object");
                    continue;
                };
                // Dev-dependencies are never built for dependents.
                if r.str(dep, "kind", &dep_path) == Some("dev") {
                    continue;
                }
                let Some(dep_name) = r.str(dep, "name", &dep_path) else { continue };
                // A renamed dependency (`package = "real"`) is known by its real name.
                let real = r.str(dep, "package", &dep_path).unwrap_or(dep_name);
                let req = r.str(dep, "req", &dep_path).unwrap_or("*");
                release.dependencies.insert(real.to_owned(), req.to_owned());
            }
        }
        // NOTE: a build script (`build.rs`) is invisible in the index unless the crate sets
        // `links`, so crates.io releases carry no install scripts in the model rather than
        // an inconsistent subset.
        release.artifact_url = Some(download_url(dl, &history.name, vers, cksum.as_deref()));
        history.releases.push(release);
    }
    history.warnings = r.warnings;
    history
}

/// Merges one page of `/api/v1/crates/<name>/versions` (publish times, publishers,
/// trusted publishing, yanks) into a history read from the index; returns the next page's
/// query (`?page=2&per_page=100`), when there is one.
pub fn apply_versions(history: &mut PackageHistory, doc: &Map<String, Value>) -> Option<String> {
    let mut r = Reader::default();
    let mut by_version: BTreeMap<String, usize> =
        history.releases.iter().enumerate().map(|(i, x)| (x.version.clone(), i)).collect();
    if let Some(versions) = r.arr(doc, "versions", "$") {
        for (i, v) in versions.iter().enumerate() {
            let path = format!("$.versions[{i}]");
            let Value::Object(v) = v else {
                r.warn(&path, "expected an object");
                continue;
            };
            let Some(num) = r.str(v, "num", &path) else { continue };
            let idx = match by_version.get(num) {
                Some(i) => *i,
                None => {
                    // Listed by the API but not (yet) in the index: keep it, without deps.
                    history.releases.push(Release {
                        version: num.to_owned(),
                        parsed: Version::parse(Ecosystem::CratesIo, num).ok(),
                        ..Release::default()
                    });
                    by_version.insert(num.to_owned(), history.releases.len() - 1);
                    history.releases.len() - 1
                }
            };
            let Some(release) = history.releases.get_mut(idx) else { continue };
            // An index `pubtime` stays when the API gives no time.
            if let Some(created) = r.time(v, "created_at", &path) {
                release.published = Some(created);
            }
            if let Some(by) = r.obj(v, "published_by", &path) {
                let by_path = join(&path, "published_by");
                if let Some(login) = r.str(by, "login", &by_path) {
                    release.publisher = Some(Account { name: login.to_owned(), email: None });
                }
            }
            if r.bool(v, "yanked", &path) == Some(true) {
                release.yanked = Some(r.str(v, "yank_message", &path).unwrap_or_default().to_owned());
            }
            if let Some(repo) = r.str(v, "repository", &path) {
                release.repository = normalize_repository(repo);
            }
            if let Some(tp) = r.obj(v, "trustpub_data", &path) {
                let tp_path = join(&path, "trustpub_data");
                let provider = r.str(tp, "provider", &tp_path).unwrap_or("unknown").to_owned();
                let repository = r.str(tp, "repository", &tp_path).map(str::to_owned);
                // `run_id` names one workflow run, not the publisher configuration: it
                // differs on every release, so it is not the publisher's `id`.
                let sha = r.str(tp, "sha", &tp_path).map(str::to_owned);
                let forge = if provider == "gitlab" { "gitlab.com" } else { "github.com" };
                release.trust = Trust {
                    level: TrustLevel::TrustedPublisher,
                    publisher: Some(TrustedPublisher {
                        provider,
                        id: None,
                        repository: repository.clone(),
                        workflow: None,
                    }),
                    attestation_url: None,
                    identity: Some(crate::model::BuildIdentity {
                        repository: repository.map(|r| format!("https://{forge}/{r}")),
                        workflow: None,
                        trigger: None,
                        git_ref: sha,
                        verified: None,
                    }),
                };
            }
        }
    }
    history.warnings.extend(r.warnings);
    doc.get("meta").and_then(|m| m.get("next_page")).and_then(Value::as_str).map(str::to_owned)
}

fn apply_crate(history: &mut PackageHistory, doc: &Map<String, Value>) {
    let mut r = Reader::default();
    if let Some(c) = r.obj(doc, "crate", "$") {
        history.repository = r.str(c, "repository", "$.crate").and_then(normalize_repository);
        history.created = r.time(c, "created_at", "$.crate");
        history.modified = r.time(c, "updated_at", "$.crate");
    }
    history.warnings.extend(r.warnings);
}

fn apply_owners(history: &mut PackageHistory, doc: &Map<String, Value>) {
    let mut r = Reader::default();
    if let Some(users) = r.arr(doc, "users", "$") {
        for (i, u) in users.iter().enumerate() {
            let Some(login) = u.get("login").and_then(Value::as_str) else {
                r.warn(&format!("$.users[{i}].login"), "expected a string");
                continue;
            };
            history.maintainers.push(Account { name: login.to_owned(), email: None });
        }
    }
    history.warnings.extend(r.warnings);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths() {
        assert_eq!(index_path("a").unwrap(), "1/a");
        assert_eq!(index_path("ab").unwrap(), "2/ab");
        assert_eq!(index_path("Abc").unwrap(), "3/a/abc");
        assert_eq!(index_path("fast-log").unwrap(), "fa/st/fast-log");
        assert!(index_path("../x").is_err());
    }

    #[test]
    fn download_templates() {
        assert_eq!(
            download_url("https://static.crates.io/crates", "serde", "1.0.0", None),
            "https://static.crates.io/crates/serde/1.0.0/download"
        );
        assert_eq!(
            download_url("https://m.test/{prefix}/{crate}/{crate}-{version}.crate", "serde", "1.0.0", None),
            "https://m.test/se/rd/serde/serde-1.0.0.crate"
        );
        assert_eq!(
            download_url(
                "https://m.test/{prefix}/{lowerprefix}/{crate}/{version}/{sha256-checksum}",
                "MyCrate",
                "0.1.0",
                Some("ab12")
            ),
            "https://m.test/My/Cr/my/cr/MyCrate/0.1.0/ab12"
        );
        assert_eq!(
            download_url("https://m.test/{prefix}/{crate}", "ab", "1.0.0", None),
            "https://m.test/2/ab"
        );
        assert_eq!(
            download_url("https://m.test/{prefix}/{crate}", "Abc", "1.0.0", None),
            "https://m.test/3/A/Abc"
        );
    }

    #[test]
    fn index_pubtime_is_the_publish_time_and_the_api_does_not_erase_it() {
        let body = br#"{"name":"x","vers":"1.0.0","deps":[],"cksum":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","pubtime":"2025-11-12T19:30:12Z"}
{"name":"x","vers":"1.0.1","deps":[],"cksum":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","pubtime":null}
"#;
        let mut history = parse_index("x", body, "https://dl.test");
        let published =
            |h: &PackageHistory, v: &str| h.release(v).and_then(|r| r.published).map(|t| t.unix_seconds());
        assert_eq!(published(&history, "1.0.0"), Some(1_762_975_812));
        assert_eq!(published(&history, "1.0.1"), None);
        assert!(history.warnings.is_empty(), "{:?}", history.warnings);
        let api = serde_json::json!({"versions": [
            {"num": "1.0.0"},
            {"num": "1.0.1", "created_at": "2025-11-13T00:00:00Z"},
        ]});
        let next = apply_versions(&mut history, api.as_object().unwrap());
        assert_eq!(next, None);
        assert_eq!(published(&history, "1.0.0"), Some(1_762_975_812));
        assert_eq!(published(&history, "1.0.1"), Some(1_762_992_000));
    }
}

//! PyPI: the JSON API (`/pypi/<name>/json`, `/pypi/<name>/<version>/json`), the simple API
//! in its PEP 691 JSON form, and the integrity API of PEP 740.
//!
//! Formats: <https://docs.pypi.org/api/json/>, PEP 691 (simple JSON), PEP 700
//! (`upload-time`), PEP 740 (`provenance` in the simple API, the integrity API's provenance
//! objects), <https://docs.pypi.org/api/integrity/>.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use firebreak_core::{Ecosystem, Hash, HashAlgorithm, Version};
use reqwest::Url;
use serde_json::{Map, Value};

use crate::config::PypiConfig;
use crate::error::RegistryError;
use crate::http::HttpClient;
use crate::json::{Reader, join, parse_object};
use crate::model::{Account, BuildIdentity, PackageHistory, Release, Trust, TrustLevel, TrustedPublisher};
use crate::{BoxFuture, Registry, normalize_repository};

const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";
const INTEGRITY_JSON: &str = "application/vnd.pypi.integrity.v1+json";

/// A client of PyPI or a PyPI-like index.
#[derive(Debug, Clone)]
pub struct PypiRegistry {
    http: Arc<HttpClient>,
    config: PypiConfig,
}

/// The Trusted Publisher a provenance object names (`attestation_bundles[].publisher`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PypiPublisher {
    /// `GitHub`, `GitLab`, `Google`, `ActiveState`.
    pub kind: String,
    /// `owner/repo`, for the GitHub and GitLab kinds.
    pub repository: Option<String>,
    /// The workflow file name.
    pub workflow: Option<String>,
    /// The deployment environment, when the publisher requires one.
    pub environment: Option<String>,
}

impl PypiRegistry {
    /// A client using `config` over `http`.
    pub fn new(http: Arc<HttpClient>, config: PypiConfig) -> PypiRegistry {
        PypiRegistry { http, config }
    }

    fn api_url(&self, path: &str) -> Result<Url, RegistryError> {
        self.config.api.join(path).map_err(|e| RegistryError::Config {
            origin: self.config.api.to_string(),
            message: e.to_string(),
        })
    }

    /// Fetches the project JSON and the simple API page and merges them.
    pub async fn project(&self, name: &str) -> Result<PackageHistory, RegistryError> {
        let normalized = normalize_name(name)?;
        let url = self.api_url(&format!("pypi/{normalized}/json"))?;
        let simple = self.config.index.join(&format!("{normalized}/")).map_err(|e| {
            RegistryError::Config { origin: self.config.index.to_string(), message: e.to_string() }
        })?;
        // Both documents are needed and independent: fetch them together.
        let (project, page) =
            tokio::join!(self.http.get(&url, "application/json"), self.http.get(&simple, SIMPLE_JSON));
        let doc = parse_object(url.as_str(), &project?.body)?;
        let (mut history, files) = parse_project_files(name, &doc);
        match page {
            Ok(fetched) => {
                let doc = parse_object(simple.as_str(), &fetched.body)?;
                apply_simple(&mut history, &files, &doc);
            }
            // A mirror without the JSON simple API: trust stays unknown for every release
            // alike, which compares as no change.
            Err(RegistryError::NotFound { .. } | RegistryError::Status { .. }) => history
                .warnings
                .push(format!("the simple API at `{simple}` did not answer JSON; attestations unknown")),
            Err(e) => return Err(e),
        }
        Ok(history)
    }

    /// The files of one release (`/pypi/<name>/<version>/json`, `urls`): what
    /// [`crate::artifact::choose_pypi_file`] picks from. The same document `complete`
    /// reads, so it is usually answered by the cache.
    pub async fn release_files(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Vec<crate::artifact::DistFile>, RegistryError> {
        let normalized = normalize_name(name)?;
        let parse = |url: &Url, body: &[u8]| -> Result<Value, RegistryError> {
            serde_json::from_slice(body).map_err(|e| RegistryError::Malformed {
                url: url.to_string(),
                path: format!("{}:{}", e.line(), e.column()),
                message: e.to_string(),
            })
        };
        let url = self.api_url(&format!("pypi/{normalized}/{version}/json"))?;
        match self.http.get(&url, "application/json").await {
            Ok(fetched) => {
                Ok(resolve_urls(&url, crate::artifact::parse_pypi_files(&parse(&url, &fetched.body)?)))
            }
            // Some mirrors serve only the project document; its `releases` lists the same
            // files per version.
            Err(RegistryError::NotFound { .. }) => {
                let project = self.api_url(&format!("pypi/{normalized}/json"))?;
                let fetched = self.http.get(&project, "application/json").await?;
                let doc = parse(&project, &fetched.body)?;
                let files = doc.get("releases").and_then(|r| r.get(version)).cloned().ok_or_else(|| {
                    RegistryError::NotFound { url: format!("{project} (release {version})"), status: 404 }
                })?;
                let wrapped = serde_json::json!({ "urls": files });
                Ok(resolve_urls(&project, crate::artifact::parse_pypi_files(&wrapped)))
            }
            Err(e) => Err(e),
        }
    }

    /// Fetches the provenance object at `url` and returns its publishers.
    pub async fn provenance(&self, url: &Url) -> Result<Vec<PypiPublisher>, RegistryError> {
        let fetched = self.http.get(url, INTEGRITY_JSON).await?;
        let doc = parse_object(url.as_str(), &fetched.body)?;
        Ok(parse_provenance(&doc))
    }

    async fn complete_version(
        &self,
        history: &mut PackageHistory,
        version: &str,
    ) -> Result<(), RegistryError> {
        let normalized = normalize_name(&history.name)?;
        if history.release(version).is_none() {
            return Ok(());
        }
        let url = self.api_url(&format!("pypi/{normalized}/{version}/json"))?;
        match self.http.get(&url, "application/json").await {
            Ok(fetched) => {
                let doc = parse_object(url.as_str(), &fetched.body)?;
                let mut r = Reader::default();
                if let Some(release) = history.releases.iter_mut().find(|x| x.version == version) {
                    apply_release_info(&mut r, release, &doc);
                }
                history.warnings.extend(r.warnings);
            }
            Err(RegistryError::NotFound { url, .. }) => {
                history
                    .warnings
                    .push(format!("release document of {}=={version} not found at `{url}`", history.name));
            }
            Err(e) => return Err(e),
        }
        let Some(att) = history.release(version).and_then(|r| r.trust.attestation_url.clone()) else {
            return Ok(());
        };
        let Ok(att_url) = Url::parse(&att) else { return Ok(()) };
        // The simple page names the URL; only follow it to the index's own API origin, never
        // to a host a document chose.
        let api = &self.config.api;
        if (att_url.scheme(), att_url.host_str(), att_url.port_or_known_default())
            != (api.scheme(), api.host_str(), api.port_or_known_default())
        {
            history
                .warnings
                .push(format!("provenance of {}=={version} is on another host: `{att_url}`", history.name));
            return Ok(());
        }
        match self.provenance(&att_url).await {
            Ok(publishers) => {
                if let (Some(p), Some(release)) =
                    (publishers.first(), history.releases.iter_mut().find(|x| x.version == version))
                {
                    let repository =
                        p.repository.as_ref().map(|repo| match p.kind.to_ascii_lowercase().as_str() {
                            "gitlab" => format!("https://gitlab.com/{repo}"),
                            _ => format!("https://github.com/{repo}"),
                        });
                    release.trust.publisher = Some(TrustedPublisher {
                        provider: p.kind.to_ascii_lowercase(),
                        id: None,
                        repository: p.repository.clone(),
                        workflow: p.workflow.clone(),
                    });
                    release.trust.identity = Some(BuildIdentity {
                        repository,
                        workflow: p.workflow.clone(),
                        trigger: None,
                        git_ref: None,
                        verified: None,
                    });
                }
            }
            Err(RegistryError::NotFound { url, .. }) => {
                history
                    .warnings
                    .push(format!("provenance of {}=={version} not found at `{url}`", history.name));
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

impl Registry for PypiRegistry {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::PyPI
    }

    fn history<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<PackageHistory, RegistryError>> {
        Box::pin(self.project(name))
    }

    fn complete<'a>(
        &'a self,
        history: &'a mut PackageHistory,
        versions: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), RegistryError>> {
        Box::pin(async move {
            for version in versions {
                self.complete_version(history, version).await?;
            }
            Ok(())
        })
    }
}

/// PEP 503 normalisation (`Foo.Bar_baz` → `foo-bar-baz`); refuses names PyPI could not
/// hold, so that a name never changes the URL's path structure.
pub fn normalize_name(name: &str) -> Result<String, RegistryError> {
    let valid = !name.is_empty()
        && name.len() <= 200
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    if !valid {
        return Err(RegistryError::InvalidName {
            name: name.to_owned(),
            reason: "PyPI names are letters, digits and `-_.`, starting and ending with a letter or digit",
        });
    }
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep {
                out.push('-');
                sep = false;
            }
            out.push(c.to_ascii_lowercase());
        }
    }
    Ok(out)
}

/// Reads `/pypi/<name>/json` into a history (publish times, yanked, digests, owners).
pub fn parse_project(name: &str, doc: &Map<String, Value>) -> PackageHistory {
    parse_project_files(name, doc).0
}

/// [`parse_project`], plus which release each file name belongs to.
fn parse_project_files(name: &str, doc: &Map<String, Value>) -> (PackageHistory, BTreeMap<String, String>) {
    let mut file_versions = BTreeMap::new();
    let mut r = Reader::default();
    let mut history = PackageHistory {
        ecosystem: Some(Ecosystem::PyPI),
        name: name.to_owned(),
        ..PackageHistory::default()
    };
    let info = r.obj(doc, "info", "$");
    if let Some(info) = info {
        if let Some(n) = r.str(info, "name", "$.info") {
            history.name = n.to_owned();
        }
        history.repository = project_repository(&mut r, info, "$.info");
    }
    // `ownership` lists the project's roles (PyPI's JSON API since 2025); emails are not
    // exposed there.
    if let Some(ownership) = r.obj(doc, "ownership", "$")
        && let Some(roles) = r.arr(ownership, "roles", "$.ownership")
    {
        for (i, role) in roles.iter().enumerate() {
            match role.get("user").and_then(Value::as_str) {
                Some(user) => history.maintainers.push(Account { name: user.to_owned(), email: None }),
                None => r.warn(&format!("$.ownership.roles[{i}].user"), "expected a string"),
            }
        }
    }
    if let Some(releases) = r.obj(doc, "releases", "$") {
        for (version, files) in releases {
            let path = join("$.releases", version);
            let parsed = match Version::parse(Ecosystem::PyPI, version) {
                Ok(v) => Some(v),
                Err(e) => {
                    r.warn(&path, format!("version does not parse: {e}"));
                    None
                }
            };
            let mut release = Release { version: version.clone(), parsed, ..Release::default() };
            let Value::Array(files) = files else {
                r.warn(&path, format!("expected an array, found {}", crate::json::kind(files)));
                continue;
            };
            let mut all_yanked = !files.is_empty();
            let mut reason = None;
            for (i, file) in files.iter().enumerate() {
                let file_path = format!("{path}[{i}]");
                let Value::Object(file) = file else {
                    r.warn(&file_path, "expected an object");
                    continue;
                };
                if let Some(f) = r.str(file, "filename", &file_path) {
                    file_versions.insert(f.to_owned(), version.clone());
                }
                if let Some(t) = r.time(file, "upload_time_iso_8601", &file_path) {
                    release.published = Some(release.published.map_or(t, |p| p.min(t)));
                }
                if r.bool(file, "yanked", &file_path) == Some(true) {
                    if let Some(why) = r.str(file, "yanked_reason", &file_path) {
                        reason = Some(why.to_owned());
                    }
                } else {
                    all_yanked = false;
                }
                if let Some(digests) = r.obj(file, "digests", &file_path)
                    && let Some(sha) = r.str(digests, "sha256", &join(&file_path, "digests"))
                {
                    release.hashes.push(Hash::hex(HashAlgorithm::Sha256, sha));
                }
            }
            if all_yanked {
                release.yanked = Some(reason.unwrap_or_default());
            }
            history.releases.push(release);
        }
    }
    // The project document's `info` is the latest release's metadata: fill that release.
    if let Some(info) = info
        && let Some(latest) = info.get("version").and_then(Value::as_str).map(str::to_owned)
        && let Some(release) = history.releases.iter_mut().find(|x| x.version == latest)
    {
        let wrapper: Map<String, Value> =
            [("info".to_owned(), Value::Object(info.clone()))].into_iter().collect();
        apply_release_info(&mut r, release, &wrapper);
    }
    history.created = history.releases.iter().filter_map(|x| x.published).min();
    history.warnings = r.warnings;
    (history, file_versions)
}

/// File URLs as absolute URLs: mirrors (devpi, Artifactory) list them relative to the
/// document (`../../packages/…/name-1.0.tar.gz`).
fn resolve_urls(document: &Url, mut files: Vec<crate::artifact::DistFile>) -> Vec<crate::artifact::DistFile> {
    for f in &mut files {
        if let Ok(absolute) = document.join(&f.url) {
            f.url = absolute.to_string();
        }
    }
    files
}

/// Reads a per-release document's `info`: `requires_dist`, emails, project URLs.
fn apply_release_info(r: &mut Reader, release: &mut Release, doc: &Map<String, Value>) {
    let Some(info) = r.obj(doc, "info", "$") else { return };
    release.dependencies.clear();
    if let Some(reqs) = r.arr(info, "requires_dist", "$.info") {
        for (i, req) in reqs.iter().enumerate() {
            let path = format!("$.info.requires_dist[{i}]");
            match req.as_str() {
                Some(text) => {
                    if let Some((name, spec)) = parse_requirement(text) {
                        release.dependencies.insert(name, spec);
                    } else if !text.contains("extra") {
                        r.warn(&path, format!("not a PEP 508 requirement: `{text}`"));
                    }
                }
                None => r.warn(&path, "expected a string"),
            }
        }
    }
    release.dependencies_known = true;
    release.maintainers.clear();
    for (name_key, email_key) in [("author", "author_email"), ("maintainer", "maintainer_email")] {
        let name = r.str(info, name_key, "$.info").unwrap_or_default().trim().to_owned();
        let email = r.str(info, email_key, "$.info").unwrap_or_default().trim().to_owned();
        if name.is_empty() && email.is_empty() {
            continue;
        }
        let account = Account {
            name: if name.is_empty() { email.clone() } else { name },
            email: (!email.is_empty()).then_some(email),
        };
        if !release.maintainers.contains(&account) {
            release.maintainers.push(account);
        }
    }
    if let Some(repo) = project_repository(r, info, "$.info") {
        release.repository = Some(repo);
    }
}

/// The source repository among `project_urls` (keys as authors write them) or `home_page`.
fn project_repository(r: &mut Reader, info: &Map<String, Value>, parent: &str) -> Option<String> {
    let urls = r.string_map(info, "project_urls", parent);
    let is_forge = |u: &str| {
        ["github.com/", "gitlab.com/", "bitbucket.org/", "codeberg.org/"].iter().any(|f| u.contains(f))
    };
    let preferred = ["source", "source code", "repository", "code", "github", "gitlab"];
    let by_key =
        urls.iter().find(|(k, _)| preferred.contains(&k.to_ascii_lowercase().as_str())).map(|(_, v)| v);
    let any_forge = urls.iter().map(|(_, v)| v).find(|v| is_forge(v));
    let home = r.str(info, "home_page", parent).filter(|h| is_forge(h)).map(str::to_owned);
    by_key.or(any_forge).cloned().or(home).and_then(|u| normalize_repository(&u))
}

/// `name[extra] (>=1.0) ; marker` → (normalised name, `>=1.0`). Requirements only for an
/// extra are skipped: they are not installed by default.
fn parse_requirement(text: &str) -> Option<(String, String)> {
    let (spec, marker) = text.split_once(';').unwrap_or((text, ""));
    if marker.contains("extra") {
        return None;
    }
    let spec = spec.trim();
    let end = spec.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c))).unwrap_or(spec.len());
    let name = normalize_name(&spec[..end]).ok()?;
    let mut rest = spec[end..].trim();
    if rest.starts_with('[') {
        rest = rest.split_once(']').map_or("", |(_, r)| r.trim());
    }
    let rest = rest.trim_start_matches('(').trim_end_matches(')').trim();
    Some((name, if rest.is_empty() { "*".to_owned() } else { rest.to_owned() }))
}

/// Merges the PEP 691 page: files with a `provenance` URL (PEP 740) mark their release as
/// attested. On PyPI only Trusted Publishing uploads can carry attestations, so an attested
/// release is a Trusted Publisher release; the publisher itself is read by
/// [`Registry::complete`] from the provenance object.
fn apply_simple(
    history: &mut PackageHistory,
    file_versions: &BTreeMap<String, String>,
    doc: &Map<String, Value>,
) {
    let mut r = Reader::default();
    // version → provenance URL of each of its files (`None` for a file without one).
    let mut by_version: BTreeMap<&str, Vec<Option<String>>> = BTreeMap::new();
    if let Some(files) = r.arr(doc, "files", "$") {
        for (i, file) in files.iter().enumerate() {
            let path = format!("$.files[{i}]");
            let Value::Object(file) = file else {
                r.warn(&path, "expected an object");
                continue;
            };
            let Some(filename) = r.str(file, "filename", &path) else { continue };
            let provenance = r.str(file, "provenance", &path).map(str::to_owned);
            // The simple API does not group files by version; the JSON API does.
            if let Some(version) = file_versions.get(filename) {
                by_version.entry(version.as_str()).or_default().push(provenance);
            }
        }
    }
    for release in &mut history.releases {
        let Some(files) = by_version.get(release.version.as_str()) else { continue };
        // The weakest file decides: one file uploaded with a token beside attested ones is
        // the pattern to catch.
        if !files.is_empty() && files.iter().all(Option::is_some) {
            release.trust = Trust {
                level: TrustLevel::TrustedPublisher,
                publisher: None,
                attestation_url: files.first().cloned().flatten(),
                identity: None,
            };
        }
    }
    history.warnings.extend(r.warnings);
}

/// Reads a PEP 691 project page on its own (what a proxy in front of the simple API sees):
/// one release per version the file names give, published at its earliest file's PEP 700
/// `upload-time`, yanked when every file is, attested (PEP 740 `provenance`) when every file
/// is, with the files' sha256 digests. Also returns, for each entry of `files` in order,
/// the release it belongs to (`None` when its name gives no version).
///
/// The simple API has no owners, dependencies or per-release metadata: the signals that
/// need them see "unknown", never a change.
pub fn parse_simple_page(name: &str, doc: &Map<String, Value>) -> (PackageHistory, Vec<Option<String>>) {
    let mut r = Reader::default();
    let mut history = PackageHistory {
        ecosystem: Some(Ecosystem::PyPI),
        name: r.str(doc, "name", "$").unwrap_or(name).to_owned(),
        ..PackageHistory::default()
    };
    let project = normalize_name(&history.name).unwrap_or_else(|_| history.name.to_ascii_lowercase());
    // PEP 700 `versions` spells each release as it was uploaded; a wheel's name carries the
    // normalised form (`1.0rc1` for `1.0.0-rc.1`), so files are matched by parsed value.
    let listed_text: Vec<&str> =
        r.arr(doc, "versions", "$").unwrap_or_default().iter().filter_map(Value::as_str).collect();
    // Keyed by the normalised form (`1.0` and `1.0.0` are one version), so that grouping is
    // linear in the page's size.
    let listed: HashMap<String, &str> = listed_text.iter().map(|v| (canonical_version(v), *v)).collect();
    let mut per_file = Vec::new();
    // version → (earliest upload, every file yanked, a yank reason, provenance per file)
    struct Acc {
        published: Option<firebreak_core::Timestamp>,
        all_yanked: bool,
        reason: Option<String>,
        provenance: Vec<Option<String>>,
        hashes: Vec<Hash>,
    }
    let mut releases: Vec<(String, Acc)> = Vec::new();
    let mut positions: HashMap<String, usize> = HashMap::new();
    for (i, file) in r.arr(doc, "files", "$").unwrap_or_default().iter().enumerate() {
        let path = format!("$.files[{i}]");
        let Value::Object(file) = file else {
            r.warn(&path, "expected an object");
            per_file.push(None);
            continue;
        };
        let Some(filename) = r.str(file, "filename", &path) else {
            per_file.push(None);
            continue;
        };
        let Some(found) = version_from_filename(&project, filename, &listed_text) else {
            r.warn(&path, format!("no version in the file name `{filename}`"));
            per_file.push(None);
            continue;
        };
        let version = listed.get(&canonical_version(&found)).map_or(found, |v| (*v).to_owned());
        per_file.push(Some(version.clone()));
        let index = *positions.entry(version.clone()).or_insert_with(|| {
            releases.push((
                version,
                Acc {
                    published: None,
                    all_yanked: true,
                    reason: None,
                    provenance: Vec::new(),
                    hashes: Vec::new(),
                },
            ));
            releases.len() - 1
        });
        let Some((_, acc)) = releases.get_mut(index) else { continue };
        if let Some(t) = r.time(file, "upload-time", &path) {
            acc.published = Some(acc.published.map_or(t, |p| p.min(t)));
        }
        // PEP 592: `false`, `true`, or the reason as a string.
        match file.get("yanked") {
            Some(Value::String(why)) => {
                if acc.reason.is_none() && !why.is_empty() {
                    acc.reason = Some(why.clone());
                }
            }
            Some(Value::Bool(true)) => {}
            _ => acc.all_yanked = false,
        }
        acc.provenance.push(file.get("provenance").and_then(Value::as_str).map(str::to_owned));
        if let Some(hashes) = r.obj(file, "hashes", &path)
            && let Some(sha) = r.str(hashes, "sha256", &join(&path, "hashes"))
        {
            acc.hashes.push(Hash::hex(HashAlgorithm::Sha256, sha));
        }
    }
    for (version, acc) in releases {
        let mut release = Release {
            parsed: Version::parse(Ecosystem::PyPI, &version).ok(),
            version,
            published: acc.published,
            hashes: acc.hashes,
            yanked: acc.all_yanked.then(|| acc.reason.unwrap_or_default()),
            ..Release::default()
        };
        // The weakest file decides, as for the JSON API (see `apply_simple`).
        if !acc.provenance.is_empty() && acc.provenance.iter().all(Option::is_some) {
            release.trust = Trust {
                level: TrustLevel::TrustedPublisher,
                publisher: None,
                attestation_url: acc.provenance.first().cloned().flatten(),
                identity: None,
            };
        }
        history.releases.push(release);
    }
    history.created = history.releases.iter().filter_map(|x| x.published).min();
    history.warnings = r.warnings;
    (history, per_file)
}

/// A PEP 440 version as one string per value: normalised, trailing `.0` release segments
/// dropped (`1.0.0` and `1.0` are equal). A version that does not parse stays as written.
fn canonical_version(text: &str) -> String {
    let Ok(parsed) = Version::parse(Ecosystem::PyPI, text) else { return text.to_owned() };
    let normal = parsed.to_string();
    let (epoch, rest) = match normal.split_once('!') {
        Some((epoch, rest)) => (format!("{epoch}!"), rest),
        None => (String::new(), normal.as_str()),
    };
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    // `2.0.post1`: the `.` before a letter belongs to the suffix.
    let (mut release, tail) = rest.split_at(rest.get(..end).unwrap_or(rest).trim_end_matches('.').len());
    while let Some(shorter) = release.strip_suffix(".0") {
        release = shorter;
    }
    format!("{epoch}{release}{tail}")
}

/// File name endings of the distributions PyPI has held, longest first so that `.tar.gz`
/// wins over `.gz`.
const DIST_SUFFIXES: &[&str] = &[
    ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.Z", ".tar", ".tgz", ".tbz", ".zip", ".egg", ".exe", ".msi",
    ".rpm", ".dmg", ".deb",
];

/// The version a distribution's file name carries, for the project whose normalised name
/// is `project`: a wheel's second field (`name-1.0-py3-none-any.whl`), else what follows
/// the project name in an sdist or legacy binary (`Name.Dotted-1.0.tar.gz`,
/// `name-1.0-py2.7.egg`, `name-1.0.win32.exe`). `known` (PEP 700 `versions`) settles the
/// names where the version's end is ambiguous. `None` when the name is not a
/// distribution of `project`.
pub fn version_from_filename(project: &str, filename: &str, known: &[&str]) -> Option<String> {
    if let Some(stem) = filename.strip_suffix(".whl") {
        // `{name}-{version}(-{build})?-{python}-{abi}-{platform}`; the name's own `-` are
        // escaped as `_` in wheels.
        let parts: Vec<&str> = stem.split('-').collect();
        if !(5..=6).contains(&parts.len()) {
            return None;
        }
        let (name, version) = (parts.first()?, parts.get(1)?);
        return (normalize_name(name).ok()? == project && !version.is_empty()).then(|| (*version).to_owned());
    }
    let lower = filename.to_ascii_lowercase();
    let suffix = DIST_SUFFIXES.iter().find(|s| lower.ends_with(&s.to_ascii_lowercase()))?;
    let stem = filename.get(..filename.len() - suffix.len())?;
    // The name may itself hold `-` (old sdists kept the name as written): try each split.
    for (i, _) in stem.match_indices('-') {
        let (name, rest) = (stem.get(..i)?, stem.get(i + 1..)?);
        if normalize_name(name).ok().as_deref() != Some(project) || rest.is_empty() {
            continue;
        }
        let sdist = matches!(
            *suffix,
            ".tar.gz" | ".tar.bz2" | ".tar.xz" | ".tar.Z" | ".tar" | ".tgz" | ".tbz" | ".zip"
        );
        let parses = |v: &str| Version::parse(Ecosystem::PyPI, v).is_ok();
        if sdist && parses(rest) {
            return Some(rest.to_owned());
        }
        if *suffix == ".egg"
            && let Some(first) = rest.split('-').next()
            && parses(first)
        {
            return Some(first.to_owned());
        }
        // `1.0.win32` / `1.0.linux-x86_64` (bdist_wininst, bdist_dumb): the longest listed
        // version the rest starts with.
        let listed = known
            .iter()
            .filter(|v| {
                rest.strip_prefix(**v).is_some_and(|after| after.is_empty() || after.starts_with(['-', '.']))
            })
            .max_by_key(|v| v.len());
        if let Some(v) = listed {
            return Some((*v).to_owned());
        }
    }
    None
}

/// Reads a PEP 740 provenance object's publishers.
pub fn parse_provenance(doc: &Map<String, Value>) -> Vec<PypiPublisher> {
    let mut out = Vec::new();
    let Some(Value::Array(bundles)) = doc.get("attestation_bundles") else { return out };
    for bundle in bundles {
        let Some(p) = bundle.get("publisher").and_then(Value::as_object) else { continue };
        let s = |k: &str| p.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned);
        let Some(kind) = s("kind") else { continue };
        out.push(PypiPublisher {
            kind,
            repository: s("repository"),
            workflow: s("workflow"),
            environment: s("environment"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements() {
        assert_eq!(parse_requirement("numpy>=1.23.0"), Some(("numpy".into(), ">=1.23.0".into())));
        assert_eq!(
            parse_requirement("Ultralytics_Thop (>=2.0.0)"),
            Some(("ultralytics-thop".into(), ">=2.0.0".into()))
        );
        assert_eq!(
            parse_requirement("requests[socks] >=2; python_version > '3.8'"),
            Some(("requests".into(), ">=2".into()))
        );
        assert_eq!(parse_requirement("pytest; extra == \"dev\""), None);
        assert_eq!(parse_requirement("tqdm"), Some(("tqdm".into(), "*".into())));
    }

    #[test]
    fn versions_from_file_names() {
        let v = |project: &str, file: &str| version_from_filename(project, file, &[]);
        assert_eq!(v("detectkit", "detectkit-1.4.2-py3-none-any.whl").as_deref(), Some("1.4.2"));
        assert_eq!(
            v("zope-interface", "zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl").as_deref(),
            Some("6.0")
        );
        assert_eq!(v("foo-bar", "foo_bar-1.0rc1-1-py3-none-any.whl").as_deref(), Some("1.0rc1"));
        assert_eq!(v("foo-bar", "Foo-Bar-2.0.tar.gz").as_deref(), Some("2.0"));
        assert_eq!(v("foo-bar", "foo_bar-2.0.post1.zip").as_deref(), Some("2.0.post1"));
        assert_eq!(v("foo", "foo-1.0-1.tar.gz").as_deref(), Some("1.0-1"));
        assert_eq!(v("foo", "foo-0.9-py2.7.egg").as_deref(), Some("0.9"));
        // Another project's file, a wheel with too few fields, an unknown extension.
        assert_eq!(v("foo", "foo-bar-1.0.tar.gz"), None);
        assert_eq!(v("foo", "bar-1.0-py3-none-any.whl"), None);
        assert_eq!(v("foo", "foo-1.0-any.whl"), None);
        assert_eq!(v("foo", "foo-1.0.txt"), None);
        assert_eq!(v("foo", "foo-.tar.gz"), None);
        // A legacy Windows installer: the listed versions settle where the version ends.
        assert_eq!(v("foo", "foo-1.0.win32.exe"), None);
        assert_eq!(
            version_from_filename("foo", "foo-1.0.1.win-amd64-py2.7.exe", &["1.0", "1.0.1"]).as_deref(),
            Some("1.0.1")
        );
    }

    #[test]
    fn versions_compare_by_value() {
        assert_eq!(canonical_version("1.0.0"), canonical_version("1.0"));
        assert_eq!(canonical_version("1.0.0-RC.1"), canonical_version("1.0rc1"));
        assert_eq!(canonical_version("1!2.0.post0"), "1!2.post0");
        assert_ne!(canonical_version("1.10"), canonical_version("1.1"));
        assert_ne!(canonical_version("10.0"), canonical_version("1"));
        assert_eq!(canonical_version("not a version"), "not a version");
    }

    #[test]
    fn simple_pages_become_histories() {
        let doc = serde_json::json!({
            "meta": {"api-version": "1.1"},
            "name": "Demo",
            "versions": ["1.0.0", "2.0", "3.0"],
            "files": [
                {"filename": "demo-1.0-py3-none-any.whl", "url": "a", "hashes": {"sha256": "aa"},
                 "upload-time": "2026-01-02T00:00:00Z", "yanked": false},
                {"filename": "demo-1.0.tar.gz", "url": "b", "hashes": {"sha256": "bb"},
                 "upload-time": "2026-01-01T00:00:00Z", "yanked": false},
                {"filename": "demo-2.0.tar.gz", "url": "c", "hashes": {}, "yanked": "broken build",
                 "provenance": "https://pypi.org/integrity/demo/2.0/demo-2.0.tar.gz/provenance"},
                {"filename": "README.txt", "url": "d", "hashes": {}},
                "junk",
            ],
        });
        let Value::Object(doc) = doc else { unreachable!() };
        let (history, files) = parse_simple_page("demo", &doc);
        assert_eq!(history.name, "Demo");
        assert_eq!(
            files,
            [Some("1.0.0".to_owned()), Some("1.0.0".to_owned()), Some("2.0".to_owned()), None, None]
        );
        let one = history.release("1.0.0").unwrap();
        assert_eq!(one.published, Some(firebreak_core::Timestamp::parse("2026-01-01T00:00:00Z").unwrap()));
        assert_eq!(one.hashes.len(), 2);
        assert_eq!(one.yanked, None);
        assert_eq!(one.trust.level, TrustLevel::None);
        let two = history.release("2.0").unwrap();
        assert_eq!(two.published, None);
        assert_eq!(two.yanked.as_deref(), Some("broken build"));
        assert_eq!(two.trust.level, TrustLevel::TrustedPublisher);
        // A listed version without files is not a release anyone can install.
        assert!(history.release("3.0").is_none());
        assert_eq!(history.warnings.len(), 2, "{:?}", history.warnings);
    }

    #[test]
    fn names() {
        assert_eq!(normalize_name("Foo.Bar__baz").unwrap(), "foo-bar-baz");
        assert!(normalize_name("../x").is_err());
        assert!(normalize_name("a/b").is_err());
    }
}

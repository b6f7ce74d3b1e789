//! The npm registry: full packuments and the attestations endpoint.
//!
//! The full packument (`Accept: application/json`) is required: the abbreviated install
//! form (`application/vnd.npm.install-v1+json`) drops `_npmUser`, `maintainers` and `time`,
//! which carry every publishing-trust fact.
//! Formats: <https://github.com/npm/registry/blob/main/docs/REGISTRY-API.md>,
//! <https://docs.npmjs.com/generating-provenance-statements>.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use firebreak_core::{Ecosystem, Hash, HashAlgorithm, Version};
use reqwest::Url;
use serde_json::{Map, Value};

use crate::compact;
use crate::config::NpmConfig;
use crate::error::RegistryError;
use crate::http::{Derived, HttpClient, format_id};
use crate::json::{Reader, join, parse_object};
use crate::model::{Account, BuildIdentity, PackageHistory, Release, Trust, TrustLevel, TrustedPublisher};
use crate::{BoxFuture, Registry, normalize_repository};

/// The install hooks npm runs; other scripts (`test`, `build`) never run on install.
pub(crate) const INSTALL_HOOKS: [&str; 4] = ["preinstall", "install", "postinstall", "prepare"];

/// The SLSA provenance predicate types npm attaches (`v1` since npm 9.x, `v0.2` before).
const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
/// What every SLSA provenance predicate type starts with.
pub(crate) const PROVENANCE_PREFIX: &str = "https://slsa.dev/provenance/";

/// A client of one npm registry (and its scoped registries).
#[derive(Debug, Clone)]
pub struct NpmRegistry {
    http: Arc<HttpClient>,
    config: NpmConfig,
}

/// The attestations document of one version.
#[derive(Debug, Clone, PartialEq)]
pub struct NpmAttestations {
    /// The document as served (`{"attestations": [{"predicateType", "bundle"}]}`), for
    /// cryptographic verification elsewhere.
    pub raw: Value,
    /// The build the SLSA provenance statement names, read without verification
    /// (`verified` is `None`).
    pub provenance: Option<BuildIdentity>,
    /// The predicate types present.
    pub predicate_types: Vec<String>,
}

impl NpmRegistry {
    /// A client using `config`'s registries over `http`.
    pub fn new(http: Arc<HttpClient>, config: NpmConfig) -> NpmRegistry {
        NpmRegistry { http, config }
    }

    /// The packument URL of `name` (`@scope/name` is sent as `@scope%2fname`).
    pub fn packument_url(&self, name: &str) -> Result<Url, RegistryError> {
        let encoded = encode_name(name)?;
        join_url(self.config.registry_for(name), &encoded)
    }

    /// The attestations URL of `name@version` on the registry serving `name`.
    pub fn attestations_url(&self, name: &str, version: &str) -> Result<Url, RegistryError> {
        let encoded = encode_name(name)?;
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_alphanumeric() || b".-+_".contains(&b)) {
            return Err(RegistryError::InvalidName {
                name: format!("{name}@{version}"),
                reason: "not a valid version",
            });
        }
        join_url(self.config.registry_for(name), &format!("-/npm/v1/attestations/{encoded}@{version}"))
    }

    /// Fetches and reads the full packument of `name`.
    pub async fn packument(&self, name: &str) -> Result<PackageHistory, RegistryError> {
        let url = self.packument_url(name)?;
        self.http.get_derived(&url, "application/json", &PackumentHistory { name, url: url.as_str() }).await
    }

    /// Fetches the attestations of `name@version` (from `url` when the packument named one).
    pub async fn attestations(
        &self,
        name: &str,
        version: &str,
        url: Option<&str>,
    ) -> Result<NpmAttestations, RegistryError> {
        let url = match url.and_then(|u| Url::parse(u).ok()) {
            // The packument names the URL; only follow it to the registry serving the
            // package, never to a host the document chose.
            Some(u) if same_origin(&u, self.config.registry_for(name)) => u,
            _ => self.attestations_url(name, version)?,
        };
        let fetched = self.http.get(&url, "application/json").await?;
        let doc = parse_object(url.as_str(), &fetched.body)?;
        Ok(parse_attestations(Value::Object(doc)))
    }
}

impl Registry for NpmRegistry {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Npm
    }

    fn history<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<PackageHistory, RegistryError>> {
        Box::pin(self.packument(name))
    }

    fn complete<'a>(
        &'a self,
        history: &'a mut PackageHistory,
        versions: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), RegistryError>> {
        Box::pin(async move {
            let name = history.name.clone();
            for version in versions {
                let Some(release) = history.releases.iter_mut().find(|r| r.version == *version) else {
                    continue;
                };
                let Some(url) = release.trust.attestation_url.clone() else { continue };
                match self.attestations(&name, version, Some(&url)).await {
                    Ok(att) => release.trust.identity = att.provenance,
                    Err(RegistryError::NotFound { url, .. }) => {
                        history
                            .warnings
                            .push(format!("attestations of {name}@{version} not found at `{url}`"));
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
    }
}

/// A packument reduced to its history, cached next to the packument (see
/// [`HttpClient::get_derived`]).
struct PackumentHistory<'a> {
    name: &'a str,
    url: &'a str,
}

/// Names the encoding and the reading of packuments: a cached history from another build
/// or another reader is ignored. Bump the reader number whenever [`parse_packument`]
/// changes what it produces.
const PACKUMENT_HISTORY_FORMAT: &str = concat!(env!("CARGO_PKG_VERSION"), "/packument-reader-1/compact-");

impl Derived<PackageHistory> for PackumentHistory<'_> {
    fn kind(&self) -> &'static str {
        "npm-history"
    }

    fn format(&self) -> u32 {
        format_id(PACKUMENT_HISTORY_FORMAT, compact::FORMAT)
    }

    fn reduce(&self, body: &[u8]) -> Result<PackageHistory, RegistryError> {
        read_packument(self.name, self.url, body)
    }

    fn encode(&self, value: &PackageHistory) -> Vec<u8> {
        compact::encode(value)
    }

    fn decode(&self, bytes: &[u8]) -> Option<PackageHistory> {
        // The entry is keyed by URL, so it is this name's; a history of another package or
        // ecosystem means the file is not what it claims.
        compact::decode(bytes).filter(|h| h.ecosystem == Some(Ecosystem::Npm) && h.name == self.name)
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
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

/// `@scope/name` → `@scope%2fname`; rejects names npm could not have published, so that a
/// name never changes the URL's path structure.
pub fn encode_name(name: &str) -> Result<String, RegistryError> {
    let invalid = |reason| RegistryError::InvalidName { name: name.to_owned(), reason };
    if name.is_empty() || name.len() > 214 {
        return Err(invalid("npm names are 1 to 214 characters"));
    }
    let ok = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    };
    match name.strip_prefix('@') {
        Some(scoped) => {
            let (scope, rest) =
                scoped.split_once('/').ok_or_else(|| invalid("a scoped name is `@scope/name`"))?;
            if !ok(scope) || !ok(rest) {
                return Err(invalid("only letters, digits and `-._~` are allowed"));
            }
            Ok(format!("@{scope}%2f{rest}"))
        }
        None if ok(name) => Ok(name.to_owned()),
        None => Err(invalid("only letters, digits and `-._~` are allowed")),
    }
}

/// Reads a full packument document: with the typed reader when the document has the
/// well-formed shape, else with the tolerant one ([`parse_packument`]), which names every
/// malformed field in a warning. Fails only on a syntax error or a non-object root.
pub fn read_packument(name: &str, url: &str, body: &[u8]) -> Result<PackageHistory, RegistryError> {
    // Validating the UTF-8 once up front lets serde_json skip it string by string; a body
    // that is not UTF-8 is left to the tolerant reader, which names where it breaks.
    if let Ok(text) = std::str::from_utf8(body)
        && let Some(history) = crate::packument::read(name, text)
    {
        return Ok(history);
    }
    let doc = parse_object(url, body)?;
    Ok(parse_packument(name, &doc))
}

/// Reads a full packument into the registry-neutral history. Never fails: what cannot be
/// read becomes a warning.
pub fn parse_packument(name: &str, doc: &Map<String, Value>) -> PackageHistory {
    let mut r = Reader::default();
    let mut history = PackageHistory {
        ecosystem: Some(Ecosystem::Npm),
        name: r.str(doc, "name", "$").unwrap_or(name).to_owned(),
        ..PackageHistory::default()
    };
    if history.name != name {
        r.warn("$.name", format!("the document names `{}`, not `{name}`", history.name));
    }
    history.maintainers = accounts(&mut r, doc, "maintainers", "$");
    history.repository = repository(&mut r, doc, "$");
    let mut times = BTreeMap::new();
    if let Some(time) = r.obj(doc, "time", "$") {
        for (key, value) in time {
            let path = join("$.time", key);
            match (key.as_str(), value) {
                ("unpublished", Value::Object(_)) => history.unpublished = true,
                (_, Value::String(s)) => {
                    if let Some(t) = r.parse_time(s, &path) {
                        times.insert(key.clone(), t);
                    }
                }
                (_, other) => {
                    r.warn(&path, format!("expected a time string, found {}", crate::json::kind(other)))
                }
            }
        }
    }
    history.created = times.get("created").copied();
    history.modified = times.get("modified").copied();
    if let Some(versions) = r.obj(doc, "versions", "$") {
        // In version-string order whatever order the map keeps (serde_json keeps the
        // document's when a dependency turns on `preserve_order`), as the typed reader does.
        let mut versions: Vec<(&String, &Value)> = versions.iter().collect();
        versions.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (version, manifest) in versions {
            let path = join("$.versions", version);
            let Value::Object(manifest) = manifest else {
                r.warn(&path, format!("expected an object, found {}", crate::json::kind(manifest)));
                continue;
            };
            let mut release = parse_version(&mut r, version, manifest, &path);
            release.published = times.get(version).copied();
            history.releases.push(release);
        }
    }
    history.warnings = r.warnings;
    history
}

fn parse_version(r: &mut Reader, version: &str, m: &Map<String, Value>, path: &str) -> Release {
    let parsed = match Version::parse(Ecosystem::Npm, version) {
        Ok(v) => Some(v),
        Err(e) => {
            r.warn(path, format!("version does not parse: {e}"));
            None
        }
    };
    let mut release =
        Release { version: version.to_owned(), parsed, dependencies_known: true, ..Release::default() };
    let mut trusted = None;
    if let Some(user) = r.obj(m, "_npmUser", path) {
        let user_path = join(path, "_npmUser");
        release.publisher = account_object(r, user, &user_path);
        if let Some(tp) = r.obj(user, "trustedPublisher", &user_path) {
            let tp_path = join(&user_path, "trustedPublisher");
            trusted = Some(TrustedPublisher {
                provider: r.str(tp, "id", &tp_path).unwrap_or("unknown").to_owned(),
                id: r.str(tp, "oidcConfigId", &tp_path).map(str::to_owned),
                repository: None,
                workflow: None,
            });
        }
    }
    release.maintainers = accounts(r, m, "maintainers", path);
    for (hook, command) in r.string_map(m, "scripts", path) {
        if INSTALL_HOOKS.contains(&hook.as_str()) {
            release.install_scripts.insert(hook, command);
        }
    }
    // npm runs `node-gyp rebuild` as the install script of a package with a binding.gyp and
    // no install/preinstall script of its own; the registry records that as `gypfile`.
    if r.bool(m, "gypfile", path) == Some(true)
        && !release.install_scripts.contains_key("install")
        && !release.install_scripts.contains_key("preinstall")
    {
        release.install_scripts.insert("install".into(), "node-gyp rebuild".into());
    }
    for key in ["dependencies", "optionalDependencies"] {
        for (dep, req) in r.string_map(m, key, path) {
            release.dependencies.insert(dep, req);
        }
    }
    release.repository = repository(r, m, path);
    match m.get("deprecated") {
        Some(Value::String(s)) if !s.is_empty() => release.deprecated = Some(s.clone()),
        Some(Value::String(_) | Value::Bool(false) | Value::Null) | None => {}
        // Very old documents say `"deprecated": true`.
        Some(Value::Bool(true)) => release.deprecated = Some(String::new()),
        Some(other) => r.warn(
            &join(path, "deprecated"),
            format!("expected a string, found {}", crate::json::kind(other)),
        ),
    }
    let mut attestation = None;
    let mut signed = false;
    if let Some(dist) = r.obj(m, "dist", path) {
        let dist_path = join(path, "dist");
        release.artifact_url = r.str(dist, "tarball", &dist_path).map(str::to_owned);
        if let Some(sri) = r.str(dist, "integrity", &dist_path) {
            release.hashes.extend(Hash::parse_sri(sri));
        }
        if let Some(sha1) = r.str(dist, "shasum", &dist_path) {
            if sha1.len() == 40 && sha1.bytes().all(|b| b.is_ascii_hexdigit()) {
                release.hashes.push(Hash::hex(HashAlgorithm::Sha1, sha1));
            } else {
                r.warn(&join(&dist_path, "shasum"), "expected 40 hex digits");
            }
        }
        if let Some(sigs) = r.arr(dist, "signatures", &dist_path) {
            signed = sigs.iter().any(|s| s.get("sig").and_then(Value::as_str).is_some_and(|s| !s.is_empty()));
        }
        if let Some(att) = r.obj(dist, "attestations", &dist_path) {
            let att_path = join(&dist_path, "attestations");
            let url = r.str(att, "url", &att_path).map(str::to_owned);
            let predicate = r
                .obj(att, "provenance", &att_path)
                .and_then(|p| p.get("predicateType"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let provenance = predicate.starts_with(PROVENANCE_PREFIX);
            attestation = Some((url, provenance));
        }
    }
    release.trust = Trust {
        level: if trusted.is_some() {
            TrustLevel::TrustedPublisher
        } else if attestation.as_ref().is_some_and(|(_, p)| *p) {
            TrustLevel::Provenance
        } else if signed {
            TrustLevel::Signature
        } else {
            TrustLevel::None
        },
        publisher: trusted,
        attestation_url: attestation.and_then(|(u, _)| u),
        identity: None,
    };
    release
}

fn account_object(r: &mut Reader, obj: &Map<String, Value>, path: &str) -> Option<Account> {
    let name = r.str(obj, "name", path)?;
    Some(Account { name: name.to_owned(), email: r.str(obj, "email", path).map(str::to_owned) })
}

/// `maintainers` entries are `{name, email}` objects, or `"name <email>"` strings in old
/// documents.
fn accounts(r: &mut Reader, obj: &Map<String, Value>, key: &str, parent: &str) -> Vec<Account> {
    let path = join(parent, key);
    let Some(items) = r.arr(obj, key, parent) else { return Vec::new() };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        match item {
            Value::Object(o) => out.extend(account_object(r, o, &item_path)),
            Value::String(s) => {
                let (name, email) = match s.split_once('<') {
                    Some((n, rest)) => (n.trim(), rest.split('>').next().map(|e| e.trim().to_owned())),
                    None => (s.trim(), None),
                };
                if !name.is_empty() {
                    out.push(Account { name: name.to_owned(), email });
                }
            }
            other => r.warn(&item_path, format!("expected an object, found {}", crate::json::kind(other))),
        }
    }
    out
}

fn repository(r: &mut Reader, obj: &Map<String, Value>, parent: &str) -> Option<String> {
    match obj.get("repository")? {
        Value::String(s) => normalize_repository(s),
        Value::Object(o) => {
            let path = join(parent, "repository");
            r.str(o, "url", &path).and_then(normalize_repository)
        }
        Value::Null => None,
        other => {
            r.warn(
                &join(parent, "repository"),
                format!("expected a string or an object, found {}", crate::json::kind(other)),
            );
            None
        }
    }
}

/// Reads an attestations document: finds the SLSA provenance statement and the build it
/// names. The signature is not checked here.
pub fn parse_attestations(raw: Value) -> NpmAttestations {
    let mut predicate_types = Vec::new();
    let mut provenance = None;
    let items = raw.get("attestations").and_then(Value::as_array).cloned().unwrap_or_default();
    for item in &items {
        let Some(predicate_type) = item.get("predicateType").and_then(Value::as_str) else { continue };
        predicate_types.push(predicate_type.to_owned());
        if predicate_type != SLSA_V1 && predicate_type != SLSA_V02 {
            continue;
        }
        let payload = item
            .pointer("/bundle/dsseEnvelope/payload")
            .and_then(Value::as_str)
            .and_then(|p| base64::engine::general_purpose::STANDARD.decode(p).ok())
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
        if let Some(statement) = payload {
            provenance = build_identity(&statement);
        }
    }
    NpmAttestations { raw, provenance, predicate_types }
}

/// The build an in-toto SLSA provenance statement names (v1 and v0.2 layouts).
pub fn build_identity(statement: &Value) -> Option<BuildIdentity> {
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let predicate = statement.get("predicate")?;
    if let Some(build) = predicate.get("buildDefinition") {
        let workflow = build.pointer("/externalParameters/workflow");
        return Some(BuildIdentity {
            repository: s(workflow.and_then(|w| w.get("repository"))).and_then(|u| normalize_repository(&u)),
            workflow: s(workflow.and_then(|w| w.get("path"))),
            trigger: s(build.pointer("/internalParameters/github/event_name")),
            git_ref: s(workflow.and_then(|w| w.get("ref"))),
            verified: None,
        });
    }
    let invocation = predicate.get("invocation")?;
    // v0.2: `configSource.uri` is `git+https://github.com/o/r@refs/tags/v1`.
    let uri = s(invocation.pointer("/configSource/uri"));
    let (repository, git_ref) = match uri.as_deref().and_then(|u| u.rsplit_once('@')) {
        Some((repo, r)) => (normalize_repository(repo), Some(r.to_owned())),
        None => (uri.as_deref().and_then(normalize_repository), None),
    };
    Some(BuildIdentity {
        repository,
        workflow: s(invocation.pointer("/configSource/entryPoint")),
        trigger: s(invocation.pointer("/environment/GITHUB_EVENT_NAME")),
        git_ref,
        verified: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slsa_v02_statements_name_their_build() {
        let statement = serde_json::json!({
            "predicateType": "https://slsa.dev/provenance/v0.2",
            "predicate": {"invocation": {
                "configSource": {"uri": "git+https://github.com/o/r@refs/tags/v1.0.0", "entryPoint": ".github/workflows/ci.yml"},
                "environment": {"GITHUB_EVENT_NAME": "push"}}}
        });
        let identity = build_identity(&statement).unwrap();
        assert_eq!(identity.repository.as_deref(), Some("https://github.com/o/r"));
        assert_eq!(identity.git_ref.as_deref(), Some("refs/tags/v1.0.0"));
        assert_eq!(identity.workflow.as_deref(), Some(".github/workflows/ci.yml"));
        assert_eq!(identity.trigger.as_deref(), Some("push"));
        assert_eq!(build_identity(&serde_json::json!({"predicate": 1})), None);
    }

    #[test]
    fn names_are_encoded_or_refused() {
        assert_eq!(encode_name("@types/node").unwrap(), "@types%2fnode");
        assert_eq!(encode_name("axios").unwrap(), "axios");
        for bad in ["", "../x", "a/b", "@x", "@x/", "a b", "a%2fb", "a?b", ".hidden"] {
            assert!(encode_name(bad).is_err(), "{bad}");
        }
    }
}

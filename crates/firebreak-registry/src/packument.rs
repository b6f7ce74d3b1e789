//! Typed reading of a full npm packument, the fast path of [`crate::npm::parse_packument`].
//!
//! A packument is mostly what no signal reads (`readme`, `description`, `devDependencies`,
//! `bugs`, `_npmOperationalInternal`, …): building a `serde_json::Value` tree of all of it
//! and dropping it again was most of a cold scan. These structs name only the fields the
//! history needs, borrow strings from the body where they hold no escapes and skip the rest
//! without allocating.
//!
//! They accept only the well-formed shape. Any field of an unexpected type, a duplicate
//! key, or a document that is not an object fails the typed read, and the caller reads the
//! document again with the tolerant `Value` reader, which turns each such field into a
//! warning naming its JSON path. So a history never depends on which reader produced it;
//! the tests compare the two on every recorded packument and on malformed ones.
//! The warnings that well-typed fields can still produce (a time or version that does not
//! parse, a `shasum` that is not hex, a document naming another package) are produced here
//! with the same paths and in the same order.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use firebreak_core::{Ecosystem, Hash, HashAlgorithm, Timestamp, Version};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::json::{Reader, join};
use crate::model::{Account, PackageHistory, Release, Trust, TrustLevel, TrustedPublisher};
use crate::normalize_repository;
use crate::npm::{INSTALL_HOOKS, PROVENANCE_PREFIX};

/// Reads `text` with the typed structs; `None` when the document is not of the well-formed
/// shape (then the tolerant reader must be used).
pub(crate) fn read(name: &str, text: &str) -> Option<PackageHistory> {
    let doc: Doc<'_> = serde_json::from_str(text).ok()?;
    history(name, doc)
}

/// A string borrowed from the body when it holds no escape.
#[derive(Debug)]
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The entries of a JSON object in document order (the reader sorts or merges them as the
/// `Value` reader's ordered map would).
#[derive(Debug)]
struct Entries<'a, T>(Vec<(Text<'a>, T)>);

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Entries<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a, T>(PhantomData<(&'a (), T)>);
        impl<'de: 'a, 'a, T: Deserialize<'de>> Visitor<'de> for V<'a, T> {
            type Value = Entries<'a, T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // The hint is the document's own claim; cap it so that it cannot reserve much.
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
                while let Some(key) = map.next_key::<Text<'a>>()? {
                    out.push((key, map.next_value::<T>()?));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[derive(Debug, Deserialize)]
struct Doc<'a> {
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    maintainers: Option<Vec<AccountItem<'a>>>,
    #[serde(borrow, default)]
    repository: Option<Repository<'a>>,
    #[serde(borrow, default)]
    time: Option<Entries<'a, TimeValue<'a>>>,
    #[serde(borrow, default)]
    versions: Option<Entries<'a, Manifest<'a>>>,
}

#[derive(Debug, Deserialize)]
struct Manifest<'a> {
    #[serde(rename = "_npmUser", borrow, default)]
    npm_user: Option<NpmUser<'a>>,
    #[serde(borrow, default)]
    maintainers: Option<Vec<AccountItem<'a>>>,
    #[serde(borrow, default)]
    scripts: Option<Entries<'a, Text<'a>>>,
    #[serde(default)]
    gypfile: Option<bool>,
    #[serde(borrow, default)]
    dependencies: Option<Entries<'a, Text<'a>>>,
    #[serde(rename = "optionalDependencies", borrow, default)]
    optional_dependencies: Option<Entries<'a, Text<'a>>>,
    #[serde(borrow, default)]
    repository: Option<Repository<'a>>,
    #[serde(borrow, default)]
    deprecated: Option<Deprecated<'a>>,
    #[serde(borrow, default)]
    dist: Option<Dist<'a>>,
}

#[derive(Debug, Deserialize)]
struct NpmUser<'a> {
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    email: Option<Text<'a>>,
    #[serde(rename = "trustedPublisher", borrow, default)]
    trusted_publisher: Option<TrustedPublisherDoc<'a>>,
}

#[derive(Debug, Deserialize)]
struct TrustedPublisherDoc<'a> {
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    #[serde(rename = "oidcConfigId", borrow, default)]
    oidc_config_id: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
struct AccountDoc<'a> {
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    email: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
struct Dist<'a> {
    #[serde(borrow, default)]
    tarball: Option<Text<'a>>,
    #[serde(borrow, default)]
    integrity: Option<Text<'a>>,
    #[serde(borrow, default)]
    shasum: Option<Text<'a>>,
    #[serde(borrow, default)]
    signatures: Option<Vec<Signature<'a>>>,
    #[serde(borrow, default)]
    attestations: Option<AttestationsDoc<'a>>,
}

#[derive(Debug, Deserialize)]
struct Signature<'a> {
    #[serde(borrow, default)]
    sig: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
struct AttestationsDoc<'a> {
    #[serde(borrow, default)]
    url: Option<Text<'a>>,
    #[serde(borrow, default)]
    provenance: Option<ProvenanceDoc<'a>>,
}

#[derive(Debug, Deserialize)]
struct ProvenanceDoc<'a> {
    #[serde(rename = "predicateType", borrow, default)]
    predicate_type: Option<Text<'a>>,
}

#[derive(Debug, Deserialize)]
struct RepositoryDoc<'a> {
    #[serde(borrow, default)]
    url: Option<Text<'a>>,
}

/// A `maintainers` entry: `{name, email}`, or `"name <email>"` in old documents.
#[derive(Debug)]
enum AccountItem<'a> {
    Object(AccountDoc<'a>),
    Text(Text<'a>),
}

/// `repository`: a URL string or `{type, url, directory}`.
#[derive(Debug)]
enum Repository<'a> {
    Object(RepositoryDoc<'a>),
    Text(Text<'a>),
}

/// A `time` value: a timestamp, or the `unpublished` object.
#[derive(Debug)]
enum TimeValue<'a> {
    Text(Text<'a>),
    Object,
}

/// `deprecated`: a message, or `true`/`false` in very old documents.
#[derive(Debug)]
enum Deprecated<'a> {
    Text(Text<'a>),
    Bool(bool),
}

/// Implements `Deserialize` for an enum of a string or an object (`$object` deserialised
/// from the map, or `$object_unit` when the object's contents do not matter).
macro_rules! string_or_object {
    ($ty:ident, $expecting:literal, |$map:ident| $object:expr) => {
        impl<'de: 'a, 'a> Deserialize<'de> for $ty<'a> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<'a>(PhantomData<&'a ()>);
                impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                    type Value = $ty<'a>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                        Ok($ty::Text(Text(Cow::Borrowed(v))))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                        Ok($ty::Text(Text(Cow::Owned(v.to_owned()))))
                    }
                    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                        Ok($ty::Text(Text(Cow::Owned(v))))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, $map: A) -> Result<Self::Value, A::Error> {
                        $object
                    }
                }
                d.deserialize_any(V(PhantomData))
            }
        }
    };
}

string_or_object!(AccountItem, "an object or a string", |map| {
    AccountDoc::deserialize(MapAccessDeserializer::new(map)).map(AccountItem::Object)
});
string_or_object!(Repository, "a string or an object", |map| {
    RepositoryDoc::deserialize(MapAccessDeserializer::new(map)).map(Repository::Object)
});
string_or_object!(TimeValue, "a time string", |map| {
    IgnoredAny::deserialize(MapAccessDeserializer::new(map)).map(|_| TimeValue::Object)
});

impl<'de: 'a, 'a> Deserialize<'de> for Deprecated<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Deprecated<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Deprecated::Bool(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Deprecated::Text(Text(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Deprecated::Text(Text(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Deprecated::Text(Text(Cow::Owned(v))))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

fn text(t: Option<Text<'_>>) -> Option<String> {
    t.map(|t| t.0.into_owned())
}

/// Sorts `entries` by key as the `Value` reader's map orders them; `None` when a key
/// repeats (the tolerant reader then decides which value counts).
fn sorted<'a, T>(mut entries: Vec<(Text<'a>, T)>) -> Option<Vec<(Text<'a>, T)>> {
    entries.sort_by(|a, b| a.0.0.cmp(&b.0.0));
    if entries.windows(2).any(|w| matches!(w, [a, b] if a.0.0 == b.0.0)) {
        return None;
    }
    Some(entries)
}

/// The history, in the order and with the warnings of [`crate::npm::parse_packument`].
fn history(name: &str, doc: Doc<'_>) -> Option<PackageHistory> {
    let mut r = Reader::default();
    let doc_name = doc.name.map(|n| n.0);
    let mut history = PackageHistory {
        ecosystem: Some(Ecosystem::Npm),
        name: doc_name.as_deref().unwrap_or(name).to_owned(),
        ..PackageHistory::default()
    };
    if history.name != name {
        r.warn("$.name", format!("the document names `{}`, not `{name}`", history.name));
    }
    history.maintainers = accounts(doc.maintainers);
    history.repository = doc.repository.and_then(repository);
    let mut times: Vec<(Text<'_>, Timestamp)> = Vec::new();
    if let Some(time) = doc.time {
        for (key, value) in sorted(time.0)? {
            match (key.0.as_ref(), value) {
                ("unpublished", TimeValue::Object) => history.unpublished = true,
                (_, TimeValue::Text(s)) => match Timestamp::parse(&s.0) {
                    Ok(t) => times.push((key, t)),
                    Err(e) => r.warn(&join("$.time", &key.0), e),
                },
                (_, TimeValue::Object) => {
                    r.warn(&join("$.time", &key.0), "expected a time string, found an object")
                }
            }
        }
    }
    // `times` is sorted by version string, as the releases will be.
    let time_of = |key: &str| times.binary_search_by(|(k, _)| k.0.as_ref().cmp(key)).ok().map(|i| times[i].1);
    history.created = time_of("created");
    history.modified = time_of("modified");
    if let Some(versions) = doc.versions {
        let versions = sorted(versions.0)?;
        history.releases.reserve_exact(versions.len());
        for (version, manifest) in versions {
            let mut release = release(&mut r, &version.0, manifest);
            release.published = time_of(&version.0);
            history.releases.push(release);
        }
    }
    history.warnings = r.warnings;
    Some(history)
}

fn release(r: &mut Reader, version: &str, m: Manifest<'_>) -> Release {
    let path = || join("$.versions", version);
    let parsed = match Version::parse(Ecosystem::Npm, version) {
        Ok(v) => Some(v),
        Err(e) => {
            r.warn(&path(), format!("version does not parse: {e}"));
            None
        }
    };
    let mut release =
        Release { version: version.to_owned(), parsed, dependencies_known: true, ..Release::default() };
    let mut trusted = None;
    if let Some(user) = m.npm_user {
        release.publisher =
            user.name.map(|name| Account { name: name.0.into_owned(), email: text(user.email) });
        if let Some(tp) = user.trusted_publisher {
            trusted = Some(TrustedPublisher {
                provider: tp.id.map_or_else(|| "unknown".to_owned(), |t| t.0.into_owned()),
                id: text(tp.oidc_config_id),
                repository: None,
                workflow: None,
            });
        }
    }
    release.maintainers = accounts(m.maintainers);
    for (hook, command) in m.scripts.map(|s| s.0).unwrap_or_default() {
        if INSTALL_HOOKS.contains(&hook.0.as_ref()) {
            release.install_scripts.insert(hook.0.into_owned(), command.0.into_owned());
        }
    }
    // npm's implied `node-gyp rebuild` install script, as `parse_packument` records it.
    if m.gypfile == Some(true)
        && !release.install_scripts.contains_key("install")
        && !release.install_scripts.contains_key("preinstall")
    {
        release.install_scripts.insert("install".into(), "node-gyp rebuild".into());
    }
    // Later entries replace earlier ones, as in the `Value` reader (whose map keeps the
    // last of a repeated key, and which reads `optionalDependencies` second).
    for (dep, req) in [m.dependencies, m.optional_dependencies].into_iter().flatten().flat_map(|d| d.0) {
        release.dependencies.insert(dep.0.into_owned(), req.0.into_owned());
    }
    release.repository = m.repository.and_then(repository);
    release.deprecated = match m.deprecated {
        Some(Deprecated::Text(s)) if !s.0.is_empty() => Some(s.0.into_owned()),
        Some(Deprecated::Bool(true)) => Some(String::new()),
        _ => None,
    };
    let mut attestation = None;
    let mut signed = false;
    if let Some(dist) = m.dist {
        release.artifact_url = text(dist.tarball);
        if let Some(sri) = dist.integrity {
            release.hashes.extend(Hash::parse_sri(&sri.0));
        }
        if let Some(sha1) = dist.shasum {
            if sha1.0.len() == 40 && sha1.0.bytes().all(|b| b.is_ascii_hexdigit()) {
                release.hashes.push(Hash::hex(HashAlgorithm::Sha1, &sha1.0));
            } else {
                r.warn(&join(&join(&path(), "dist"), "shasum"), "expected 40 hex digits");
            }
        }
        if let Some(sigs) = dist.signatures {
            signed = sigs.iter().any(|s| s.sig.as_ref().is_some_and(|s| !s.0.is_empty()));
        }
        if let Some(att) = dist.attestations {
            let provenance = att
                .provenance
                .and_then(|p| p.predicate_type)
                .is_some_and(|t| t.0.starts_with(PROVENANCE_PREFIX));
            attestation = Some((text(att.url), provenance));
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

fn accounts(items: Option<Vec<AccountItem<'_>>>) -> Vec<Account> {
    let items = items.unwrap_or_default();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            AccountItem::Object(o) => {
                if let Some(name) = o.name {
                    out.push(Account { name: name.0.into_owned(), email: text(o.email) });
                }
            }
            AccountItem::Text(s) => {
                let (name, email) = match s.0.split_once('<') {
                    Some((n, rest)) => (n.trim(), rest.split('>').next().map(|e| e.trim().to_owned())),
                    None => (s.0.trim(), None),
                };
                if !name.is_empty() {
                    out.push(Account { name: name.to_owned(), email });
                }
            }
        }
    }
    out
}

fn repository(repository: Repository<'_>) -> Option<String> {
    match repository {
        Repository::Text(s) => normalize_repository(&s.0),
        Repository::Object(o) => o.url.and_then(|u| normalize_repository(&u.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_object;
    use crate::npm::parse_packument;

    /// The typed reader's history, or `None` where it defers to the tolerant one.
    fn typed(name: &str, doc: &str) -> Option<PackageHistory> {
        read(name, doc)
    }

    fn tolerant(name: &str, doc: &str) -> PackageHistory {
        parse_packument(name, &parse_object("u", doc.as_bytes()).unwrap())
    }

    #[test]
    fn recorded_packuments_read_the_same_both_ways() {
        let mut seen = 0;
        for root in [firebreak_test::registry_fixtures(), firebreak_test::proxy_fixtures()] {
            let npm = root.join("registry.npmjs.org");
            for entry in fs_err::read_dir(&npm).unwrap() {
                let path = entry.unwrap().path().join("index.json");
                if !path.is_file() {
                    continue;
                }
                let doc = fs_err::read_to_string(&path).unwrap();
                let name = tolerant("?", &doc).name;
                let fast =
                    typed(&name, &doc).unwrap_or_else(|| panic!("{name}: the typed reader refused it"));
                assert_eq!(same_order(fast.clone()), same_order(tolerant(&name, &doc)), "{}", path.display());
                assert!(!fast.releases.is_empty(), "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen >= 9, "only {seen} recorded packuments");
    }

    /// Warnings sorted: the tolerant reader walks maps in serde_json's order, which is the
    /// document's when a dependency turns on `preserve_order`, the typed one in key order.
    fn same_order(mut h: PackageHistory) -> PackageHistory {
        h.warnings.sort();
        h
    }

    #[test]
    fn every_field_reads_the_same_both_ways() {
        let doc = r#"{"name":"x","readme":"long\u0021","maintainers":[{"name":"a","email":"a@x.org"},"b <b@x.org>","  ",{"email":"no-name@x.org"}],
            "repository":{"type":"git","url":"git+https://github.com/o/x.git"},
            "time":{"created":"2020-01-01T00:00:00Z","modified":"2021-01-01T00:00:00.5Z","1.0.0":"2020-01-02T00:00:00Z","2.0.0":"later","unpublished":{"time":"x"},"0.1.0":{"a":1}},
            "versions":{
              "2.0.0":{"_npmUser":{"name":"a","email":"a@x.org","trustedPublisher":{"id":"github","oidcConfigId":"oidc:1"}},
                       "scripts":{"postinstall":"node \"p.js\"","test":"t","prepare":"p"},"gypfile":true,
                       "dependencies":{"b":"^1","c":"2"},"optionalDependencies":{"c":"3"},"devDependencies":{"d":"1"},
                       "repository":"github:o/x","deprecated":"use y",
                       "dist":{"tarball":"https://r/x-2.0.0.tgz","integrity":"sha512-AAEC/+8= sha1-AAEC/+8=","shasum":"0123456789abcdef0123456789abcdef01234567",
                               "signatures":[{"keyid":"k","sig":""},{"sig":"MEUC"}],
                               "attestations":{"url":"https://r/-/npm/v1/attestations/x@2.0.0","provenance":{"predicateType":"https://slsa.dev/provenance/v1"}}}},
              "1.0.0":{"_npmUser":{"email":"only@x.org"},"maintainers":["c"],"gypfile":true,"scripts":{"install":"make"},"deprecated":true,
                       "dist":{"shasum":"nothex","signatures":[],"attestations":{"url":"u","provenance":{"predicateType":"https://example.com/other"}}},"repository":{"url":null}},
              "1.5.0":{"deprecated":false,"gypfile":false,"repository":null,"dist":null,"_npmUser":null,"maintainers":null,"scripts":null},
              "1.6.0":{"deprecated":"","dependencies":{"\u00fc":"1","e\"q":"2"}},
              "not.a.version":{}}}"#;
        let fast = typed("y", doc).expect("well-formed");
        assert_eq!(same_order(fast.clone()), same_order(tolerant("y", doc)));
        // The document names another package, a time and a version do not parse, a
        // shasum is not hex, and an object stands where a time should.
        assert_eq!(fast.warnings.len(), 5, "{:?}", fast.warnings);
        assert!(fast.unpublished);
    }

    #[test]
    fn ill_typed_or_repeated_fields_are_left_to_the_tolerant_reader() {
        for doc in [
            r#"[1]"#,
            r#"{"name":1}"#,
            r#"{"maintainers":"nobody"}"#,
            r#"{"maintainers":[1]}"#,
            r#"{"time":{"1.0.0":42}}"#,
            r#"{"time":{"1.0.0":"2020-01-01T00:00:00Z","1.0.0":"2021-01-01T00:00:00Z"}}"#,
            r#"{"versions":{"1.0.0":{},"1.0.0":{"deprecated":"x"}}}"#,
            r#"{"versions":{"1.0.0":"a string"}}"#,
            r#"{"versions":{"1.0.0":{"dependencies":["a"]}}}"#,
            r#"{"versions":{"1.0.0":{"scripts":{"test":7}}}}"#,
            r#"{"versions":{"1.0.0":{"dist":{"signatures":"no"}}}}"#,
            r#"{"versions":{"1.0.0":{"dist":{"signatures":[1]}}}}"#,
            r#"{"versions":{"1.0.0":{"dist":{"signatures":[{"sig":1}]}}}}"#,
            r#"{"versions":{"1.0.0":{"dist":{"attestations":{"provenance":{"predicateType":1}}}}}}"#,
            r#"{"versions":{"1.0.0":{"_npmUser":"me"}}}"#,
            r#"{"versions":{"1.0.0":{"deprecated":1}}}"#,
            r#"{"versions":{"1.0.0":{"gypfile":"yes"}}}"#,
            r#"{"versions":{"1.0.0":{"repository":["x"]}}}"#,
            r#"{"name":"x","name":"x"}"#,
        ] {
            assert_eq!(typed("x", doc), None, "{doc}");
        }
    }

    #[test]
    fn repeated_dependency_keys_keep_the_last_like_the_tolerant_reader() {
        // serde's derived structs refuse a repeated field, but a repeated key inside a map
        // is read in order; the tolerant reader keeps the last value too.
        let doc = r#"{"versions":{"1.0.0":{"scripts":{"postinstall":"a","postinstall":"b"},
            "dependencies":{"a":"1","a":"2"},"optionalDependencies":{"a":"3","b":"1","b":"2"}}}}"#;
        let fast = typed("x", doc).expect("repeated map keys are read");
        assert_eq!(fast, tolerant("x", doc));
        assert_eq!(fast.releases[0].install_scripts["postinstall"], "b");
        assert_eq!(fast.releases[0].dependencies["a"], "3");
    }
}

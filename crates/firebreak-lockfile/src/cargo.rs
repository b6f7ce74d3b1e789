//! `Cargo.lock`, every format cargo has written: v1 (no `version` key, checksums in
//! `[metadata]`, dependencies as `name version (source)`), v2 (no `version` key, inline
//! checksums, dependencies shortened to `name` or `name version` unless ambiguous), v3
//! (`version = 3`) and v4 (`version = 4`, URL-encoded git parameters).
//!
//! Cargo.lock records no dependency kinds and does not say which source-less packages are
//! workspace members. When the sibling `Cargo.toml` can be read, the workspace's manifests
//! answer both ([`manifest`]); otherwise every source-less package is a root and every
//! edge is [`DepKind::Normal`].

mod manifest;

// foldhash rather than SipHash for the name and version maps, as in the npm extractor.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
use std::ops::Range;

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Hash, HashAlgorithm, Inventory, InventoryBuilder, NodeRef, PackageId, PackageSource,
    RootId, Version,
};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::util::{self, LineIndex};
use crate::{ExtractError, Extractor, Source};

/// Reads `Cargo.lock`.
pub(crate) struct CargoLock;

impl Extractor for CargoLock {
    fn id(&self) -> &'static str {
        "cargo/lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "Cargo.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let text = util::text(source.path, source.bytes)?;
        let lock = parse(source.path, text)?;
        let workspace = manifest::Workspace::load(source, &lock);
        Ok(build(self.id(), source.path, &lock, workspace.as_ref()))
    }
}

/// The formats cargo writes, for the unsupported-version message.
const SUPPORTED: &str = "1 and 2 (no `version` key), 3 and 4";

/// One `[[package]]` (or the legacy `[root]`) entry.
#[derive(Debug)]
pub(crate) struct LockPackage {
    pub(crate) name: String,
    pub(crate) version: String,
    /// The `source` as written; `None` for workspace members and path dependencies.
    pub(crate) source: Option<String>,
    checksum: Option<String>,
    /// Dependencies, resolved to indexes into [`Lockfile::packages`].
    pub(crate) deps: Vec<usize>,
    /// The `replace` target, resolved.
    replace: Option<usize>,
    line: u32,
}

/// A parsed `Cargo.lock`.
#[derive(Debug)]
pub(crate) struct Lockfile {
    pub(crate) packages: Vec<LockPackage>,
    format_version: &'static str,
}

/// A dependency as written: `name`, `name version` or `name version (source)`.
struct DepSpec<'a> {
    name: &'a str,
    version: Option<&'a str>,
    source: Option<&'a str>,
}

fn parse_dep_spec(s: &str) -> Option<DepSpec<'_>> {
    let mut parts = s.splitn(3, ' ');
    let name = parts.next().filter(|n| !n.is_empty())?;
    let version = parts.next();
    let source = match parts.next() {
        Some(s) => Some(s.strip_prefix('(').and_then(|s| s.strip_suffix(')'))?),
        None => None,
    };
    if version == Some("") {
        return None;
    }
    Some(DepSpec { name, version, source })
}

/// A source without its `#precise` part: cargo compares sources that way, and writes
/// dependency strings without it.
fn without_precise(source: &str) -> &str {
    source.split_once('#').map_or(source, |(s, _)| s)
}

/// Reading state: the text, for lines and errors.
struct Doc<'a> {
    path: &'a Utf8Path,
    lines: LineIndex,
}

impl Doc<'_> {
    fn line(&self, span: &Range<usize>) -> u32 {
        self.lines.line(span.start)
    }

    fn schema(
        &self,
        key: &str,
        span: &Range<usize>,
        expected: &str,
        found: impl Into<String>,
    ) -> ExtractError {
        util::schema(self.path, key, Some(self.line(span)), expected, found)
    }

    /// The value as a string. The key path is built only for the error: a 10,000-package
    /// lockfile has 60,000 fields, and formatting a path for each was a fifth of a scan.
    fn string<'v>(
        &self,
        value: &'v Spanned<DeValue<'_>>,
        key: impl FnOnce() -> String,
    ) -> Result<&'v str, ExtractError> {
        value
            .get_ref()
            .as_str()
            .ok_or_else(|| self.schema(&key(), &value.span(), "a string", describe(value.get_ref())))
    }
}

/// "found ..." text for a TOML value.
pub(crate) fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("the string {s:?}"),
        DeValue::Integer(i) => format!("the integer {}", i.as_str()),
        DeValue::Float(f) => format!("the float {}", f.as_str()),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        DeValue::Datetime(d) => format!("the datetime {d}"),
        DeValue::Array(_) => "an array".to_owned(),
        DeValue::Table(_) => "a table".to_owned(),
    }
}

fn integer(v: &DeValue<'_>) -> Option<i64> {
    match v {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    }
}

/// A raw entry before dependency strings are resolved.
struct RawPackage<'t> {
    key: Entry,
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    deps: Vec<(&'t str, Range<usize>)>,
    replace: Option<(&'t str, Range<usize>)>,
    line: u32,
}

/// Where a package entry sits in the document, for error key paths.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Root,
    Package(usize),
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Entry::Root => f.write_str("root"),
            Entry::Package(i) => write!(f, "package[{i}]"),
        }
    }
}

/// Parses the lockfile's text into packages with resolved dependency edges.
pub(crate) fn parse(path: &Utf8Path, text: &str) -> Result<Lockfile, ExtractError> {
    let table = DeTable::parse(text).map_err(|e| util::toml_error(path, text, &e))?;
    let doc = Doc { path, lines: LineIndex::new(text) };
    let root = table.get_ref();

    let declared = match root.get("version") {
        None => None,
        Some(v) => match integer(v.get_ref()) {
            Some(n @ (3 | 4)) => Some(n),
            Some(n) => {
                return Err(ExtractError::UnsupportedVersion {
                    path: path.to_owned(),
                    format: "Cargo.lock",
                    found: n.to_string(),
                    supported: SUPPORTED,
                });
            }
            None => return Err(doc.schema("version", &v.span(), "an integer", describe(v.get_ref()))),
        },
    };

    let mut raws = Vec::new();
    if let Some(entry) = root.get("root") {
        raws.push(raw_package(&doc, Entry::Root, entry)?);
    }
    if let Some(list) = root.get("package") {
        let DeValue::Array(items) = list.get_ref() else {
            return Err(doc.schema("package", &list.span(), "an array of tables", describe(list.get_ref())));
        };
        for (i, item) in items.iter().enumerate() {
            raws.push(raw_package(&doc, Entry::Package(i), item)?);
        }
    }

    let mut metadata_checksums = Vec::new();
    if let Some(meta) = root.get("metadata") {
        let DeValue::Table(meta_table) = meta.get_ref() else {
            return Err(doc.schema("metadata", &meta.span(), "a table", describe(meta.get_ref())));
        };
        for (k, v) in meta_table.iter() {
            let key_path = || format!("metadata.{:?}", k.get_ref());
            let value = doc.string(v, key_path)?;
            if let Some(id) = k.get_ref().strip_prefix("checksum ") {
                let spec = parse_dep_spec(id).ok_or_else(|| {
                    doc.schema(
                        &key_path(),
                        &k.span(),
                        "`checksum NAME VERSION (SOURCE)`",
                        format!("{:?}", k.get_ref()),
                    )
                })?;
                if value != "<none>" {
                    check_sha256(&doc, key_path, &v.span(), value)?;
                    metadata_checksums.push((spec, value));
                }
            }
        }
    }

    // name -> version -> indexes, for resolving dependency strings as cargo does.
    let mut by_name: HashMap<&str, HashMap<&str, Vec<usize>>> = HashMap::default();
    let mut seen = HashSet::with_capacity_and_hasher(raws.len(), Default::default());
    for (i, r) in raws.iter().enumerate() {
        if !seen.insert((&r.name, &r.version, r.source.as_deref().map(without_precise))) {
            return Err(util::schema(
                path,
                r.key.to_string(),
                Some(r.line),
                "each package listed once",
                format!("`{} {}` listed twice", r.name, r.version),
            ));
        }
        by_name.entry(r.name.as_str()).or_default().entry(r.version.as_str()).or_default().push(i);
    }
    let mut shortened = false;
    let lookup = |spec: &DepSpec<'_>, shortened: &mut bool| -> Option<usize> {
        let versions = by_name.get(spec.name)?;
        let candidates = match spec.version {
            Some(v) => versions.get(v)?,
            None => {
                *shortened = true;
                let mut all = versions.values();
                let only = all.next()?;
                if all.next().is_some() {
                    return None;
                }
                only
            }
        };
        match spec.source {
            Some(src) => candidates.iter().copied().find(|&i| {
                raws[i].source.as_deref().is_some_and(|s| without_precise(s) == without_precise(src))
            }),
            None => {
                let mut local = candidates.iter().copied().filter(|&i| raws[i].source.is_none());
                match (local.next(), local.next()) {
                    (Some(i), None) => Some(i),
                    (Some(_), Some(_)) => None,
                    (None, _) => (candidates.len() == 1).then(|| candidates[0]),
                }
            }
        }
    };

    let mut packages = Vec::with_capacity(raws.len());
    for raw in &raws {
        let mut deps = Vec::with_capacity(raw.deps.len());
        for (i, (dep, span)) in raw.deps.iter().enumerate() {
            let spec = parse_dep_spec(dep).ok_or_else(|| {
                doc.schema(
                    &format!("{}.dependencies[{i}]", raw.key),
                    span,
                    "`NAME`, `NAME VERSION` or `NAME VERSION (SOURCE)`",
                    format!("{dep:?}"),
                )
            })?;
            // Cargo drops edges it cannot resolve (the result of a bad merge) and
            // re-resolves; the package itself stays listed, so nothing is hidden.
            if let Some(target) = lookup(&spec, &mut shortened) {
                deps.push(target);
            }
        }
        let replace = match &raw.replace {
            Some((dep, span)) => {
                let spec = parse_dep_spec(dep).ok_or_else(|| {
                    doc.schema(
                        &format!("{}.replace", raw.key),
                        span,
                        "`NAME VERSION (SOURCE)`",
                        format!("{dep:?}"),
                    )
                })?;
                lookup(&spec, &mut shortened)
            }
            None => None,
        };
        packages.push(LockPackage {
            name: raw.name.clone(),
            version: raw.version.clone(),
            source: raw.source.clone(),
            checksum: raw.checksum.clone(),
            deps,
            replace,
            line: raw.line,
        });
    }
    let inline = packages.iter().any(|p| p.checksum.is_some());
    for (spec, value) in metadata_checksums {
        if let Some(i) = lookup(&spec, &mut shortened)
            && packages[i].checksum.is_none()
        {
            packages[i].checksum = Some(value.to_owned());
        }
    }

    let format_version = match declared {
        Some(3) => "3",
        Some(_) => "4",
        // Cargo's own rule: v1 until an inline checksum or a shortened dependency shows
        // v2, and a one-package file ending in a single newline is v2.
        None if inline || shortened => "2",
        None if packages.len() == 1 && text.ends_with('\n') && !text.ends_with("\n\n") => "2",
        None => "1",
    };
    Ok(Lockfile { packages, format_version })
}

fn raw_package<'t>(
    doc: &Doc<'_>,
    key: Entry,
    entry: &'t Spanned<DeValue<'_>>,
) -> Result<RawPackage<'t>, ExtractError> {
    let DeValue::Table(table) = entry.get_ref() else {
        return Err(doc.schema(&key.to_string(), &entry.span(), "a table", describe(entry.get_ref())));
    };
    let line = doc.line(&entry.span());
    let field = |name: &str| table.get(name);
    let sub = |name: &str| format!("{key}.{name}");
    let required = |name: &str| -> Result<String, ExtractError> {
        match field(name) {
            Some(v) => doc.string(v, || sub(name)).map(str::to_owned),
            None => Err(util::schema(doc.path, sub(name), Some(line), "a string", "nothing")),
        }
    };
    let optional = |name: &str| -> Result<Option<(&'t str, Range<usize>)>, ExtractError> {
        field(name).map(|v| doc.string(v, || sub(name)).map(|s| (s, v.span()))).transpose()
    };
    let name = required("name")?;
    if name.is_empty() {
        return Err(util::schema(
            doc.path,
            format!("{key}.name"),
            Some(line),
            "a crate name",
            "an empty string",
        ));
    }
    let version = required("version")?;
    if let Err(e) = Version::parse(Ecosystem::CratesIo, &version) {
        let span = field("version").map_or(entry.span(), |v| v.span());
        return Err(doc.schema(&format!("{key}.version"), &span, "a semver version", e.to_string()));
    }
    let source = optional("source")?;
    if let Some((s, span)) = &source {
        parse_source(s).ok_or_else(|| {
            doc.schema(
                &format!("{key}.source"),
                span,
                "`registry+URL`, `sparse+URL`, `git+URL` or `path+URL`",
                format!("{s:?}"),
            )
        })?;
    }
    let checksum = optional("checksum")?;
    if let Some((c, span)) = &checksum {
        check_sha256(doc, || sub("checksum"), span, c)?;
    }
    let mut deps = Vec::new();
    if let Some(list) = field("dependencies") {
        let DeValue::Array(items) = list.get_ref() else {
            return Err(doc.schema(
                &sub("dependencies"),
                &list.span(),
                "an array of strings",
                describe(list.get_ref()),
            ));
        };
        deps.reserve_exact(items.len());
        for (i, item) in items.iter().enumerate() {
            deps.push((doc.string(item, || format!("{key}.dependencies[{i}]"))?, item.span()));
        }
    }
    Ok(RawPackage {
        key,
        name,
        version,
        source: source.map(|(s, _)| s.to_owned()),
        checksum: checksum.map(|(c, _)| c.to_ascii_lowercase()),
        deps,
        replace: optional("replace")?,
        line,
    })
}

fn check_sha256(
    doc: &Doc<'_>,
    key: impl FnOnce() -> String,
    span: &Range<usize>,
    value: &str,
) -> Result<(), ExtractError> {
    if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(doc.schema(&key(), span, "a SHA-256 digest of 64 hex digits", format!("{value:?}")))
    }
}

/// The package source a `source` string names. `registry+` drops its prefix (the index
/// URL); `sparse+` keeps it, as cargo's configuration spells sparse index URLs that way.
pub(crate) fn parse_source(source: &str) -> Option<PackageSource> {
    let (kind, url) = source.split_once('+')?;
    if url.is_empty() {
        return None;
    }
    match kind {
        "registry" => Some(PackageSource::Registry { url: Some(url.to_owned()) }),
        "sparse" => Some(PackageSource::Registry { url: Some(source.to_owned()) }),
        "git" => {
            let (rest, precise) = match url.split_once('#') {
                Some((r, p)) => (r, Some(p)),
                None => (url, None),
            };
            let (repo, query) = match rest.split_once('?') {
                Some((r, q)) => (r, Some(q)),
                None => (rest, None),
            };
            let reference = || {
                query?.split('&').find_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    matches!(k, "rev" | "tag" | "branch").then(|| v.to_owned())
                })
            };
            let rev = precise.filter(|p| !p.is_empty()).map(str::to_owned).or_else(reference);
            Some(PackageSource::Git { url: repo.to_owned(), rev })
        }
        "path" => Some(PackageSource::Path { path: url.strip_prefix("file://").unwrap_or(url).to_owned() }),
        _ => None,
    }
}

/// Where each source-less package belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Local {
    /// A workspace member, at this directory (relative to the lockfile's).
    Member(String),
    /// A path dependency outside the workspace, at this directory.
    PathDep(String),
}

fn build(id: &str, path: &Utf8Path, lock: &Lockfile, ws: Option<&manifest::Workspace>) -> Inventory {
    let mut b = InventoryBuilder::new(path.as_str(), id);
    b.format_version(lock.format_version).infer_dev();

    let placement: Vec<Option<Local>> = lock
        .packages
        .iter()
        .map(|p| match (&p.source, ws) {
            (Some(_), _) => None,
            (None, Some(ws)) => Some(ws.locate(&p.name).unwrap_or_else(|| Local::Member(String::new()))),
            (None, None) => Some(Local::Member(String::new())),
        })
        .collect();
    // Indexed by package position: hashing 10,000 small integers was measurable.
    let mut depended_on = vec![false; lock.packages.len()];
    for d in lock.packages.iter().flat_map(|p| p.deps.iter().copied().chain(p.replace)) {
        depended_on[d] = true;
    }

    // Roots first, in lockfile order, then package nodes.
    let mut roots: Vec<Option<RootId>> = vec![None; lock.packages.len()];
    for (i, p) in lock.packages.iter().enumerate() {
        if let Some(Local::Member(dir)) = &placement[i] {
            roots[i] = Some(b.root(Ecosystem::CratesIo, &p.name, Some(&p.version), dir));
        }
    }
    let mut nodes: Vec<Option<PackageId>> = vec![None; lock.packages.len()];
    for (i, p) in lock.packages.iter().enumerate() {
        let source = match &placement[i] {
            Some(Local::Member(dir)) if depended_on[i] => PackageSource::Path { path: dir.clone() },
            Some(Local::Member(_)) => continue,
            Some(Local::PathDep(dir)) => PackageSource::Path { path: dir.clone() },
            None => p.source.as_deref().and_then(parse_source).unwrap_or_default(),
        };
        let node = b.distinct_package(Ecosystem::CratesIo, &p.name, &p.version);
        let pkg = b.get_mut(node);
        pkg.source = source;
        pkg.location = Some(firebreak_core::Location { line: p.line, column: 1 });
        if let Some(c) = &p.checksum {
            pkg.hashes.push(Hash::hex(HashAlgorithm::Sha256, c));
        }
        nodes[i] = Some(node);
    }

    for (i, p) in lock.packages.iter().enumerate() {
        let declared = match (&placement[i], ws) {
            (Some(_), Some(ws)) => ws.manifest(&p.name),
            _ => None,
        };
        let siblings = |name: &str| p.deps.iter().filter(|&&d| lock.packages[d].name == name).count();
        for &d in &p.deps {
            let Some(to) = nodes[d] else { continue };
            let dep = &lock.packages[d];
            let kinds = match declared {
                Some(m) => {
                    m.kinds_of(&dep.name, &dep.version, dep.source.as_deref(), siblings(&dep.name) > 1)
                }
                None => vec![(DepKind::Normal, None)],
            };
            for (kind, req) in &kinds {
                if let Some(root) = roots[i] {
                    b.edge(NodeRef::Root(root), to, *kind, req.as_deref());
                }
                // A package's dev-dependencies are not part of what depends on it.
                if let Some(from) = nodes[i]
                    && *kind != DepKind::Dev
                {
                    b.edge(NodeRef::Package(from), to, *kind, req.as_deref());
                }
            }
        }
        if let (Some(r), Some(from)) = (p.replace, nodes[i])
            && let Some(to) = nodes[r]
        {
            b.edge(NodeRef::Package(from), to, DepKind::Normal, None);
        }
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_specs() {
        let s = parse_dep_spec("itoa 1.0.19 (git+https://x/y?rev=1)").unwrap();
        assert_eq!((s.name, s.version, s.source), ("itoa", Some("1.0.19"), Some("git+https://x/y?rev=1")));
        assert!(parse_dep_spec("itoa 1.0 registry").is_none());
        assert!(parse_dep_spec("").is_none());
        assert!(parse_dep_spec("a ").is_none());
    }

    #[test]
    fn sources() {
        assert_eq!(
            parse_source("registry+https://github.com/rust-lang/crates.io-index"),
            Some(PackageSource::Registry {
                url: Some("https://github.com/rust-lang/crates.io-index".into())
            })
        );
        assert_eq!(
            parse_source("sparse+https://index.crates.io/"),
            Some(PackageSource::Registry { url: Some("sparse+https://index.crates.io/".into()) })
        );
        assert_eq!(
            parse_source("git+https://github.com/a/b?branch=main#0123abcd"),
            Some(PackageSource::Git { url: "https://github.com/a/b".into(), rev: Some("0123abcd".into()) })
        );
        assert_eq!(
            parse_source("git+https://github.com/a/b?tag=v1"),
            Some(PackageSource::Git { url: "https://github.com/a/b".into(), rev: Some("v1".into()) })
        );
        assert_eq!(parse_source("https://example.com"), None);
        assert_eq!(parse_source("ftp+x"), None);
    }
}

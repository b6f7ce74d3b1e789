//! The YAML lockfile of yarn 2 and later: `__metadata` with the format `version` and a
//! `cacheKey`, then one mapping per resolution keyed by every descriptor it satisfies
//! (`"a@npm:^1.0.0, a@npm:^1.1.0"`), with `version`, `resolution`, `dependencies`,
//! `peerDependencies`, `dependenciesMeta`, `checksum`, `languageName` and `linkType`.

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Inventory, InventoryBuilder, Location, NodeRef, PackageId, PackageSource,
};
use serde_norway::Value;

use super::{Dep, Entry, Manifest, split_descriptor};
use crate::util;
use crate::{ExtractError, Source};

/// `__metadata.version` values read. Checked against fixtures: 4 (yarn 2.4.2), 6 (yarn 3.8.7,
/// dependency ranges without the `npm:` prefix) and 10 (yarn 4.18.1). 5, 7, 8 and 9 lie between
/// versions checked and were written by yarn releases between them, with the same entry layout.
const VERSIONS: std::ops::RangeInclusive<u64> = 4..=10;
const SUPPORTED: &str = "yarn 2+ lockfile versions 4 to 10 and the classic v1 format";

/// A berry entry: the common fields plus its resolution.
#[derive(Debug)]
pub(super) struct BerryEntry {
    entry: Entry,
    /// `name@protocol:reference`.
    resolution: String,
}

/// A parsed berry lockfile.
#[derive(Debug)]
pub(super) struct BerryLock {
    version: u64,
    entries: Vec<BerryEntry>,
}

/// Whether the text is a berry lockfile: it has a top-level `__metadata` key.
pub(super) fn is_berry(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("__metadata:") || l.starts_with("\"__metadata\":"))
}

/// Lines of the top-level keys, keyed by the key as YAML reads it.
fn key_lines(text: &str) -> HashMap<String, u32> {
    let mut lines = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with([' ', '#', '\t']) || line.is_empty() {
            continue;
        }
        let Some(raw) = line.trim_end().strip_suffix(':') else { continue };
        let key = if raw.starts_with('"') {
            serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_owned())
        } else {
            raw.to_owned()
        };
        lines.insert(key, i as u32 + 1);
    }
    lines
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a sequence",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Parses a berry lockfile.
pub(super) fn parse(path: &Utf8Path, text: &str) -> Result<BerryLock, ExtractError> {
    let doc: Value = serde_norway::from_str(text).map_err(|e| util::yaml_error(path, &e))?;
    let Value::Mapping(top) = doc else {
        return Err(util::schema(path, "(top)", Some(1), "a mapping", kind_name(&doc)));
    };
    let lines = key_lines(text);
    let meta = top.get("__metadata");
    let version = meta.and_then(|m| m.get("version")).and_then(scalar);
    let Some(version_text) = version else {
        return Err(util::schema(
            path,
            "__metadata.version",
            lines.get("__metadata").copied(),
            "the lockfile format version",
            "none",
        ));
    };
    let version = version_text.parse::<u64>().ok().filter(|v| VERSIONS.contains(v)).ok_or_else(|| {
        ExtractError::UnsupportedVersion {
            path: path.to_owned(),
            format: "yarn.lock",
            found: version_text.clone(),
            supported: SUPPORTED,
        }
    })?;
    let mut entries = Vec::with_capacity(top.len());
    for (key, value) in &top {
        let Some(key) = scalar(key) else {
            return Err(util::schema(path, "(top)", None, "string keys", kind_name(key)));
        };
        if key == "__metadata" {
            continue;
        }
        let line = lines.get(&key).copied();
        let Value::Mapping(fields) = value else {
            return Err(util::schema(path, key.as_str(), line, "a mapping", kind_name(value)));
        };
        let field = |name: &str| -> Result<Option<String>, ExtractError> {
            match fields.get(name) {
                None => Ok(None),
                Some(v) => scalar(v).map(Some).ok_or_else(|| {
                    util::schema(path, format!("{key}.{name}"), line, "a string", kind_name(v))
                }),
            }
        };
        let required = |name: &str| -> Result<String, ExtractError> {
            field(name)?.ok_or_else(|| util::schema(path, format!("{key}.{name}"), line, "a string", "none"))
        };
        let version = required("version")?;
        let resolution = required("resolution")?;
        let optional_meta: Vec<String> = match fields.get("dependenciesMeta") {
            Some(Value::Mapping(m)) => m
                .iter()
                .filter(|(_, v)| v.get("optional").and_then(Value::as_bool) == Some(true))
                .filter_map(|(k, _)| scalar(k))
                .collect(),
            _ => Vec::new(),
        };
        let mut deps = Vec::new();
        for (table, kind) in [("dependencies", DepKind::Normal), ("optionalDependencies", DepKind::Optional)]
        {
            match fields.get(table) {
                None => {}
                Some(Value::Mapping(m)) => {
                    for (name, range) in m {
                        let (Some(name), Some(range)) = (scalar(name), scalar(range)) else {
                            return Err(util::schema(
                                path,
                                format!("{key}.{table}"),
                                line,
                                "`name: range` strings",
                                kind_name(range),
                            ));
                        };
                        let kind = if optional_meta.contains(&name) { DepKind::Optional } else { kind };
                        deps.push(Dep { name, range, kind });
                    }
                }
                Some(v) => {
                    return Err(util::schema(
                        path,
                        format!("{key}.{table}"),
                        line,
                        "a mapping",
                        kind_name(v),
                    ));
                }
            }
        }
        let descriptors = key.split(", ").map(|d| d.trim().to_owned()).collect();
        entries.push(BerryEntry {
            entry: Entry {
                descriptors,
                version,
                resolved: None,
                integrity: None,
                deps,
                line: line.unwrap_or(0),
            },
            resolution,
        });
    }
    Ok(BerryLock { version, entries })
}

/// Where a berry resolution reference points; `None` for workspaces.
fn berry_source(reference: &str) -> Option<PackageSource> {
    if reference.starts_with("workspace:") {
        return None;
    }
    if let Some(inner) = reference.strip_prefix("patch:") {
        // `patch:a@npm%3A1.0.0#…`: the patched package comes from the inner reference.
        let inner = inner.split('#').next().unwrap_or(inner).replace("%3A", ":");
        return match split_descriptor(&inner) {
            Some((_, r)) => berry_source(r),
            None => Some(PackageSource::Unknown),
        };
    }
    if reference.starts_with("npm:") {
        return Some(PackageSource::Registry { url: None });
    }
    for protocol in ["file:", "link:", "portal:"] {
        if let Some(path) = reference.strip_prefix(protocol) {
            return Some(PackageSource::Path { path: path.split("::").next().unwrap_or(path).to_owned() });
        }
    }
    let git = reference.starts_with("git")
        || reference.starts_with("github:")
        || reference.contains(".git#")
        || reference.contains("#commit=");
    if git {
        let (url, rev) = match reference.split_once('#') {
            Some((u, r)) => (u, Some(r.trim_start_matches("commit=").to_owned())),
            None => (reference, None),
        };
        return Some(PackageSource::Git { url: url.to_owned(), rev });
    }
    if reference.starts_with("http:") || reference.starts_with("https:") {
        return Some(PackageSource::Url { url: reference.to_owned() });
    }
    Some(PackageSource::Unknown)
}

/// Builds the graph of a berry lockfile.
pub(super) fn build(id: &str, source: &Source<'_>, lock: &BerryLock) -> Result<Inventory, ExtractError> {
    let mut b = InventoryBuilder::new(source.path.as_str(), id);
    b.format_version(lock.version.to_string());
    let mut by_descriptor: HashMap<&str, usize> = HashMap::new();
    for (i, e) in lock.entries.iter().enumerate() {
        for d in &e.entry.descriptors {
            by_descriptor.insert(d.as_str(), i);
        }
    }
    enum Node {
        Package(PackageId),
        Root(firebreak_core::RootId, Option<Manifest>),
    }
    let mut nodes = Vec::with_capacity(lock.entries.len());
    for e in &lock.entries {
        let (name, reference) = split_descriptor(&e.resolution).unwrap_or((e.resolution.as_str(), ""));
        match berry_source(reference) {
            None => {
                let dir = reference.trim_start_matches("workspace:");
                let dir = if dir == "." { "" } else { dir };
                let manifest = Manifest::load(source, dir)?;
                let version = manifest.as_ref().and_then(|m| m.version.clone());
                let root = b.root(Ecosystem::Npm, name, version.as_deref(), dir);
                nodes.push(Node::Root(root, manifest));
            }
            Some(src) => {
                let pid = b.package(Ecosystem::Npm, name, &e.entry.version);
                let pkg = b.get_mut(pid);
                if pkg.location.is_none() {
                    pkg.location = Some(Location { line: e.entry.line, column: 1 });
                    pkg.source = src;
                    // An entry reached only through an alias (`x@npm:real@^1`) is installed as `x`.
                    pkg.alias = super::entry_name(&e.entry.descriptors).1;
                }
                nodes.push(Node::Package(pid));
            }
        }
    }
    let resolve = |dep: &Dep| -> Option<PackageId> {
        let i = by_descriptor
            .get(format!("{}@{}", dep.name, dep.range).as_str())
            .or_else(|| by_descriptor.get(format!("{}@npm:{}", dep.name, dep.range).as_str()))?;
        match nodes.get(*i)? {
            Node::Package(p) => Some(*p),
            Node::Root(..) => None,
        }
    };
    let mut edges = Vec::new();
    for (e, node) in lock.entries.iter().zip(&nodes) {
        for dep in &e.entry.deps {
            let Some(to) = resolve(dep) else { continue };
            match node {
                Node::Package(from) => edges.push((NodeRef::Package(*from), to, dep.kind, dep)),
                Node::Root(root, manifest) => {
                    // The workspace entry merges dependencies and devDependencies; the manifest tells them apart.
                    let kind = manifest.as_ref().and_then(|m| m.kind_of(&dep.name)).unwrap_or(dep.kind);
                    edges.push((NodeRef::Root(*root), to, kind, dep));
                }
            }
        }
    }
    for (from, to, kind, dep) in edges {
        b.edge(from, to, kind, Some(&dep.range));
    }
    b.infer_dev().infer_optional();
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(berry_source("workspace:packages/a"), None);
        assert_eq!(berry_source("npm:1.0.0"), Some(PackageSource::Registry { url: None }));
        assert_eq!(
            berry_source("patch:a@npm%3A1.0.0#~/.yarn/patches/a.patch::version=1.0.0&hash=x"),
            Some(PackageSource::Registry { url: None })
        );
        assert_eq!(
            berry_source("link:../b::locator=app%40workspace%3A."),
            Some(PackageSource::Path { path: "../b".into() })
        );
        assert_eq!(
            berry_source("https://example.com/b.tgz"),
            Some(PackageSource::Url { url: "https://example.com/b.tgz".into() })
        );
    }
}

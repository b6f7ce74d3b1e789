//! `yarn.lock`: the classic format of yarn 1 (and of `bun install --yarn`), read by a
//! hand-written parser for its own grammar ([`classic`]), and the YAML format of yarn 2 and
//! later ("berry", [`berry`]).
//!
//! The lockfile does not record which dependencies are direct or dev. Classic: the sibling
//! `package.json` (and the members listed by its `workspaces`) gives the roots and their edges
//! with kinds. [`FileSystem`](crate::FileSystem) can only read files, so a `workspaces` glob
//! cannot be expanded: only explicit member paths (`"packages/a"`) are read; members matched by
//! a glob (`"packages/*"`) are not found, and their dependencies appear with no root. Berry:
//! the lockfile lists each workspace (`name@workspace:path`) with its dependencies, so the
//! roots exist without `package.json`; each member's `package.json`, when readable, tells the
//! dev, optional and peer kinds of those edges.
//!
//! Without `package.json` (stdin), a classic lockfile yields every package with the edges
//! between them and no root, so nothing is direct and nothing can be inferred dev.
//!
//! Berry's `checksum` is a digest of yarn's own cache zip, not of the registry tarball, so it
//! is not recorded as a package hash; classic `integrity` (or, before yarn 1.10, the SHA-1 in
//! the `resolved` fragment) is. A dependency on another workspace member has no edge: edges
//! point at packages, and members are roots. A package's `peerDependencies` are ranges the
//! lockfile does not resolve (the dependent's parent provides them), so they make no edge.
//! Aliases (`x@npm:real@^1`) become the real package with `alias` set; classic keeps an
//! aliased copy as its own node, berry merges it into the real package's entry as yarn does.
//! A berry `patch:` entry is the same package as the one it patches.

mod berry;
mod classic;

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Hash, HashAlgorithm, Inventory, InventoryBuilder, Location, NodeRef, PackageId,
    PackageSource, RootId,
};
use serde_json::Value;

use crate::util;
use crate::{ExtractError, Extractor, Source};

/// Reads `yarn.lock`.
pub(crate) struct YarnLock;

impl Extractor for YarnLock {
    fn id(&self) -> &'static str {
        "npm/yarn-lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "yarn.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let text = util::text(source.path, source.bytes)?;
        if berry::is_berry(text) {
            let lock = berry::parse(source.path, text)?;
            berry::build(self.id(), source, &lock)
        } else {
            let entries = classic::parse(source.path, text)?;
            build_classic(self.id(), source, &entries)
        }
    }
}

/// A dependency as an entry or a manifest writes it.
#[derive(Debug, Clone)]
pub(crate) struct Dep {
    pub(crate) name: String,
    pub(crate) range: String,
    pub(crate) kind: DepKind,
}

/// One lockfile entry, in either format.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The descriptors (`name@range`) this entry satisfies.
    pub(crate) descriptors: Vec<String>,
    pub(crate) version: String,
    /// Classic `resolved` URL.
    pub(crate) resolved: Option<String>,
    /// Classic `integrity` SRI.
    pub(crate) integrity: Option<String>,
    pub(crate) deps: Vec<Dep>,
    pub(crate) line: u32,
}

/// Splits `name@range` at the `@` after the name (a scope's leading `@` is part of the name).
pub(crate) fn split_descriptor(descriptor: &str) -> Option<(&str, &str)> {
    let at = descriptor.get(1..)?.find('@')? + 1;
    Some((descriptor.get(..at)?, descriptor.get(at + 1..)?))
}

/// For an alias range `npm:real@range`, the real name and its range.
pub(crate) fn alias_target(range: &str) -> Option<(&str, &str)> {
    let rest = range.strip_prefix("npm:")?;
    split_descriptor(rest).filter(|(name, _)| !name.is_empty())
}

/// A `package.json`'s name, version and dependencies.
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) deps: Vec<Dep>,
    pub(crate) workspaces: Vec<String>,
}

impl Manifest {
    /// Reads `dir/package.json`; `Ok(None)` when it cannot be read (stdin, missing file).
    pub(crate) fn load(source: &Source<'_>, dir: &str) -> Result<Option<Manifest>, ExtractError> {
        let rel = if dir.is_empty() || dir == "." {
            "package.json".to_owned()
        } else {
            format!("{}/package.json", dir.trim_end_matches('/'))
        };
        let Ok(bytes) = source.read_relative(&rel) else {
            return Ok(None);
        };
        let path = source.path.parent().unwrap_or(Utf8Path::new("")).join(&rel);
        let text = util::text(&path, &bytes)?;
        let value: Value = serde_json::from_str(text).map_err(|e| util::json_error(&path, &e))?;
        let Value::Object(map) = value else {
            return Err(util::schema(&path, "(top)", None, "an object", util::json_type(&value)));
        };
        let string = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
        let mut manifest =
            Manifest { name: string("name"), version: string("version"), ..Manifest::default() };
        for (field, kind) in [
            ("dependencies", DepKind::Normal),
            ("optionalDependencies", DepKind::Optional),
            ("devDependencies", DepKind::Dev),
            ("peerDependencies", DepKind::Peer),
        ] {
            let Some(deps) = map.get(field) else { continue };
            let Value::Object(deps) = deps else {
                return Err(util::schema(&path, field, None, "an object", util::json_type(deps)));
            };
            for (name, range) in deps {
                let Some(range) = range.as_str() else {
                    return Err(util::schema(
                        &path,
                        format!("{field}.{name}"),
                        None,
                        "a string",
                        util::json_type(range),
                    ));
                };
                // npm lists an optional dependency in both tables; optional wins, as in npm.
                if kind == DepKind::Normal && deps_has(&map, "optionalDependencies", name) {
                    continue;
                }
                manifest.deps.push(Dep { name: name.clone(), range: range.to_owned(), kind });
            }
        }
        let workspaces = match map.get("workspaces") {
            Some(Value::Array(list)) => list.clone(),
            Some(Value::Object(o)) => {
                o.get("packages").and_then(Value::as_array).cloned().unwrap_or_default()
            }
            _ => Vec::new(),
        };
        manifest.workspaces = workspaces.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        Ok(Some(manifest))
    }

    /// The kind the manifest gives dependency `name`, if it lists it.
    pub(crate) fn kind_of(&self, name: &str) -> Option<DepKind> {
        self.deps.iter().find(|d| d.name == name).map(|d| d.kind)
    }
}

fn deps_has(map: &serde_json::Map<String, Value>, field: &str, name: &str) -> bool {
    map.get(field).and_then(Value::as_object).is_some_and(|o| o.contains_key(name))
}

/// Where a classic `resolved` URL points.
fn classic_source(resolved: Option<&str>) -> PackageSource {
    let Some(url) = resolved else { return PackageSource::Unknown };
    if let Some(path) = url.strip_prefix("file:") {
        return PackageSource::Path { path: path.to_owned() };
    }
    let is_git = url.starts_with("git+")
        || url.starts_with("git://")
        || url.starts_with("github:")
        || url.contains("codeload.github.com");
    if is_git {
        let (base, rev) = match url.split_once('#') {
            Some((b, r)) => (b, Some(r.to_owned())),
            None => (url, None),
        };
        return PackageSource::Git { url: base.to_owned(), rev };
    }
    if url.contains("/-/") {
        // The `#sha1` fragment is yarn's integrity shorthand, not part of the download URL.
        let base = url.split('#').next().unwrap_or(url);
        return PackageSource::Registry { url: Some(base.to_owned()) };
    }
    PackageSource::Url { url: url.to_owned() }
}

/// The SHA-1 in a registry `resolved` URL's fragment (`…/a-1.0.0.tgz#<40 hex>`).
fn resolved_sha1(resolved: &str) -> Option<&str> {
    let (_, fragment) = resolved.split_once('#')?;
    (fragment.len() == 40 && fragment.bytes().all(|b| b.is_ascii_hexdigit())).then_some(fragment)
}

/// Builds the graph of a classic lockfile.
fn build_classic(id: &str, source: &Source<'_>, entries: &[Entry]) -> Result<Inventory, ExtractError> {
    let mut b = InventoryBuilder::new(source.path.as_str(), id);
    b.format_version("1");
    let mut by_descriptor: HashMap<&str, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        for d in &e.descriptors {
            by_descriptor.insert(d.as_str(), i);
        }
    }
    let mut nodes: HashMap<(String, String, Option<String>), PackageId> = HashMap::new();
    let mut ids = Vec::with_capacity(entries.len());
    for e in entries {
        let (name, alias) = entry_name(&e.descriptors);
        let key = (name.clone(), e.version.clone(), alias.clone());
        let pid = match nodes.get(&key) {
            Some(&pid) => pid,
            None => {
                let pid = b.distinct_package(Ecosystem::Npm, &name, &e.version);
                nodes.insert(key, pid);
                let pkg = b.get_mut(pid);
                pkg.alias = alias;
                pkg.source = classic_source(e.resolved.as_deref());
                pkg.location = Some(Location { line: e.line, column: 1 });
                if let Some(sri) = &e.integrity {
                    pkg.hashes = Hash::parse_sri(sri);
                } else if let Some(sha1) = e.resolved.as_deref().and_then(resolved_sha1) {
                    // Lockfiles from yarn before 1.10 have no `integrity`; the `resolved`
                    // fragment is the tarball's SHA-1.
                    pkg.hashes = vec![Hash::hex(HashAlgorithm::Sha1, sha1)];
                }
                pid
            }
        };
        ids.push(pid);
    }
    let resolve = |name: &str, range: &str| -> Option<usize> {
        by_descriptor
            .get(format!("{name}@{range}").as_str())
            .or_else(|| by_descriptor.get(format!("{name}@npm:{range}").as_str()))
            .or_else(|| {
                // bun's `--yarn` output drops alias entries; the real descriptor still resolves.
                let (real, real_range) = alias_target(range)?;
                by_descriptor.get(format!("{real}@{real_range}").as_str())
            })
            .copied()
    };
    for (i, e) in entries.iter().enumerate() {
        for dep in &e.deps {
            if let (Some(&from), Some(to)) = (ids.get(i), resolve(&dep.name, &dep.range))
                && let Some(&to) = ids.get(to)
            {
                b.edge(NodeRef::Package(from), to, dep.kind, Some(&dep.range));
            }
        }
    }
    if let Some(top) = Manifest::load(source, "")? {
        let mut roots: Vec<(RootId, Manifest)> = Vec::new();
        let members = top.workspaces.clone();
        let root = b.root(Ecosystem::Npm, top.name.as_deref().unwrap_or(""), top.version.as_deref(), "");
        roots.push((root, top));
        for member in members.iter().filter(|m| !m.contains(['*', '?', '[', '{', '!'])) {
            let dir = member.trim_start_matches("./").trim_end_matches('/');
            if let Some(m) = Manifest::load(source, dir)? {
                let name = m.name.clone().unwrap_or_else(|| dir.rsplit('/').next().unwrap_or(dir).to_owned());
                let r = b.root(Ecosystem::Npm, &name, m.version.as_deref(), dir);
                roots.push((r, m));
            }
        }
        for (root, manifest) in &roots {
            for dep in &manifest.deps {
                if let Some(to) = resolve(&dep.name, &dep.range)
                    && let Some(&to) = ids.get(to)
                {
                    b.edge(NodeRef::Root(*root), to, dep.kind, Some(&dep.range));
                }
            }
        }
        b.infer_dev().infer_optional();
    }
    Ok(b.finish())
}

/// The real package name of an entry and the alias it is installed under, if any.
fn entry_name(descriptors: &[String]) -> (String, Option<String>) {
    let mut fallback = None;
    for d in descriptors {
        let Some((name, range)) = split_descriptor(d) else { continue };
        match alias_target(range) {
            Some((real, _)) if real != name => fallback = Some((real.to_owned(), Some(name.to_owned()))),
            _ => return (name.to_owned(), None),
        }
    }
    fallback.unwrap_or_else(|| (descriptors.first().cloned().unwrap_or_default(), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors() {
        assert_eq!(split_descriptor("@s/a@^1"), Some(("@s/a", "^1")));
        assert_eq!(split_descriptor("a@npm:b@^2"), Some(("a", "npm:b@^2")));
        assert_eq!(alias_target("npm:@s/b@^2"), Some(("@s/b", "^2")));
        assert_eq!(alias_target("^2"), None);
        assert_eq!(split_descriptor("noversion"), None);
    }

    #[test]
    fn classic_sources() {
        assert_eq!(
            classic_source(Some("https://registry.yarnpkg.com/a/-/a-1.0.0.tgz#abc")),
            PackageSource::Registry { url: Some("https://registry.yarnpkg.com/a/-/a-1.0.0.tgz".into()) }
        );
        assert_eq!(
            classic_source(Some("git+https://github.com/o/r.git#0123abc")),
            PackageSource::Git { url: "git+https://github.com/o/r.git".into(), rev: Some("0123abc".into()) }
        );
        assert_eq!(classic_source(Some("file:../b")), PackageSource::Path { path: "../b".into() });
        assert_eq!(
            classic_source(Some("https://example.com/b.tgz")),
            PackageSource::Url { url: "https://example.com/b.tgz".into() }
        );
        assert_eq!(classic_source(None), PackageSource::Unknown);
        assert_eq!(resolved_sha1("https://r/a/-/a-1.tgz#abc"), None);
    }
}

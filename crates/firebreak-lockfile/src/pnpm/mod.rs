//! `pnpm-lock.yaml`, lockfile versions 5.4 (pnpm 7), 6.0 (pnpm 8) and 9.0 (pnpm 9, 10).
//!
//! Every importer (workspace project; `.` is the top) becomes a [`Root`](firebreak_core::Root)
//! whose edges are its `dependencies`, `devDependencies` and `optionalDependencies`, each
//! with the specifier from `package.json`. Every package key becomes a node whose edges
//! come from its `dependencies`, `optionalDependencies` and (as [`DepKind::Peer`], with the
//! declared range) resolved peers. In v9 the metadata (`packages`) and the edges
//! (`snapshots`) are split; before v9 one `packages` entry holds both.
//!
//! pnpm installs one copy of a package per set of resolved peers and gives each its own
//! key (`use-sync-external-store@1.2.0(react@17.0.2)`). Those copies are one
//! `name@version` with the same bytes and integrity, so they are **merged into one
//! package**: advisories, signals and SBOMs are about name@version, and one node per copy
//! would count one release several times. Every key is kept in `Package::paths`, and the
//! merged node's edges are the union of its copies' edges. Copies from different sources
//! (a registry version and a tarball of the same name@version) stay distinct.
//!
//! A `link:` dependency on another importer becomes a package with a
//! [`PackageSource::Path`] source at the member's directory (as cargo.rs does for path
//! members), carrying the member's non-dev dependencies, so the graph runs through it.
//!
//! Dev and optional flags come from the lockfile where it records them (`dev:`,
//! `optional:` before v9; `optional:` on v9 snapshots); v9 records no dev flags, so those
//! are inferred from the importers' dev edges ([`InventoryBuilder::infer_dev`]).

mod raw;

use std::collections::{BTreeMap, HashMap};

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Hash, Inventory, InventoryBuilder, Location, NodeRef, PackageId, PackageSource,
    RootId,
};
use serde::Deserialize;

use crate::util;
use crate::{ExtractError, Extractor, Source};
use raw::{Entry, Format, ImporterDep, KeyLines};

/// Reads `pnpm-lock.yaml`.
pub(crate) struct PnpmLock;

impl Extractor for PnpmLock {
    fn id(&self) -> &'static str {
        "npm/pnpm-lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "pnpm-lock.yaml"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let text = util::text(source.path, source.bytes)?;
        let (format, mut lock) = raw::parse(source.path, text)?;
        let lines = KeyLines::scan(text);
        build(self.id(), source, format, &mut lock, &lines)
    }
}

/// What a key says about its package.
#[derive(Debug, PartialEq, Eq)]
struct KeyParts<'k> {
    name: &'k str,
    version: &'k str,
    /// The key without its peer suffix: copies with different peers share it.
    base: &'k str,
}

/// Splits a package key. `None` for keys that do not spell `name` and `version` (v5/v6
/// keys of tarball and git packages, whose entries carry `name` and `version` fields).
fn split_key(format: Format, key: &str) -> Option<KeyParts<'_>> {
    let (name, version, base) = match format {
        Format::V5 => {
            let rest = key.strip_prefix('/')?;
            let (name, tail) = rest.rsplit_once('/')?;
            // Peer suffixes: `_react@17.0.2` (pnpm 7), `(react@17.0.2)` in later 5.4 writers.
            let end = tail.find(['_', '(']).unwrap_or(tail.len());
            let version = &tail[..end];
            (name, version, &key[..key.len() - (tail.len() - end)])
        }
        Format::V6 | Format::V9 => {
            let base = &key[..key.find('(').unwrap_or(key.len())];
            let spec = match format {
                Format::V6 => base.strip_prefix('/')?,
                _ => base,
            };
            // Skip a scope's leading `@`; the next `@` separates name and version.
            let at = spec.get(1..)?.find('@')? + 1;
            (&spec[..at], &spec[at + 1..], base)
        }
    };
    (!name.is_empty() && !version.is_empty()).then_some(KeyParts { name, version, base })
}

/// The key a dependency's version string points at, among `keys`: `1.0.0` and
/// `1.0.0(peer@2.0.0)` are versions of `name`, anything else (`/ms@2.0.0`, `ms@2.0.0` for
/// an alias, a tarball key) names a key itself.
fn resolve(
    format: Format,
    keys: &HashMap<String, PackageId>,
    name: &str,
    reference: &str,
) -> Option<PackageId> {
    let candidate = match format {
        Format::V5 if !reference.starts_with('/') => Some(format!("/{name}/{reference}")),
        Format::V6 if !reference.starts_with('/') => Some(format!("/{name}@{reference}")),
        Format::V9 => Some(format!("{name}@{reference}")),
        _ => None,
    };
    candidate.and_then(|c| keys.get(&c)).or_else(|| keys.get(reference)).copied()
}

/// `dir` joined with a relative `link:` path, normalised; `""` is the lockfile's directory.
fn join_relative(dir: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// The name and version a member's `package.json` declares.
#[derive(Default, Deserialize)]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
}

fn read_manifest(source: &Source<'_>, dir: &str) -> Manifest {
    let file = if dir.is_empty() { "package.json".to_owned() } else { format!("{dir}/package.json") };
    // An unreadable or odd manifest only costs the member its name; the lockfile stands alone.
    source.read_relative(&file).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default()
}

fn importer_dir(importer: &str) -> String {
    join_relative("", importer)
}

/// Where an entry's bytes come from. `from_key`: the name and version came from the key,
/// so a `tarball` is that registry version's download URL rather than a direct URL dependency.
fn package_source(entry: Option<&Entry>, from_key: bool) -> PackageSource {
    let Some(r) = entry.and_then(|e| e.resolution.as_ref()) else {
        return PackageSource::Registry { url: None };
    };
    if let Some(repo) = &r.repo {
        return PackageSource::Git { url: repo.clone(), rev: r.commit.clone() };
    }
    if let Some(dir) = &r.directory {
        return PackageSource::Path { path: dir.clone() };
    }
    match &r.tarball {
        Some(t) if t.starts_with("file:") => {
            PackageSource::Path { path: t.trim_start_matches("file:").to_owned() }
        }
        Some(t) if from_key => PackageSource::Registry { url: Some(t.clone()) },
        Some(t) => PackageSource::Url { url: t.clone() },
        None if r.kind.as_deref() == Some("git") => PackageSource::Unknown,
        None => PackageSource::Registry { url: None },
    }
}

fn build(
    id: &str,
    source: &Source<'_>,
    format: Format,
    lock: &mut raw::Lockfile,
    lines: &KeyLines,
) -> Result<Inventory, ExtractError> {
    let path = source.path;
    let mut b = InventoryBuilder::new(path.as_str(), id);
    b.format_version(format.label());
    if format == Format::V9 {
        b.infer_dev();
    }
    let importers = lock.take_importers();
    let packages = std::mem::take(&mut lock.packages);
    let snapshots = std::mem::take(&mut lock.snapshots);

    // v9: snapshots are the nodes and `packages` their metadata; a metadata entry without
    // a snapshot (hand-edited files) still becomes a node, without edges.
    let mut nodes: Vec<(&str, &'static str, Option<&Entry>, Option<&Entry>)> = Vec::new();
    match format {
        Format::V9 => {
            let mut covered = std::collections::HashSet::new();
            for (key, snap) in &snapshots {
                let base = split_key(format, key).map_or(key.as_str(), |k| k.base);
                covered.insert(base);
                nodes.push((key, "snapshots", packages.get(base), Some(snap)));
            }
            for (key, meta) in &packages {
                if !covered.contains(key.as_str()) {
                    nodes.push((key, "packages", Some(meta), None));
                }
            }
        }
        Format::V5 | Format::V6 => {
            nodes.extend(packages.iter().map(|(k, e)| (k.as_str(), "packages", Some(e), Some(e))));
        }
    }

    let mut by_key: HashMap<String, PackageId> = HashMap::with_capacity(nodes.len());
    let mut by_base: HashMap<String, PackageId> = HashMap::with_capacity(nodes.len());
    // (dev, optional) over every copy of a package: a flag holds only if it holds for all.
    let mut flags: HashMap<PackageId, (bool, bool)> = HashMap::new();
    for &(key, section, meta, snap) in &nodes {
        let parts = split_key(format, key);
        let named = meta.and_then(|m| m.name.as_deref());
        let versioned = meta.and_then(|m| m.version.as_deref());
        let name = named.or(parts.as_ref().map(|p| p.name));
        let version = versioned.or(parts.as_ref().map(|p| p.version));
        let (Some(name), Some(version)) = (name, version) else {
            let line = match section {
                "snapshots" => lines.snapshot(key),
                _ => lines.package(key),
            };
            return Err(util::schema(
                path,
                format!("{section}.{key:?}"),
                line,
                "a key `name@version` or an entry with `name` and `version`",
                format!("{key:?}"),
            ));
        };
        let base = parts.as_ref().map_or(key, |p| p.base);
        let id = match by_base.get(base) {
            Some(&id) => id,
            None => {
                let id = b.distinct_package(Ecosystem::Npm, name, version);
                let from_key = named.is_none() && versioned.is_none();
                let p = b.get_mut(id);
                p.source = package_source(meta, from_key);
                if let Some(integrity) = meta.and_then(|m| m.resolution.as_ref()?.integrity.as_deref()) {
                    p.hashes = Hash::parse_sri(integrity);
                }
                let line = match format {
                    Format::V9 => lines.package(base).or_else(|| lines.snapshot(key)),
                    _ => lines.package(key),
                };
                p.location = line.map(|line| Location { line, column: 3 });
                by_base.insert(base.to_owned(), id);
                id
            }
        };
        b.get_mut(id).paths.push(key.to_owned());
        by_key.insert(key.to_owned(), id);
        let flag_source = if format == Format::V9 { snap } else { meta };
        let dev = format != Format::V9 && flag_source.and_then(|e| e.dev) == Some(true);
        let optional = flag_source.and_then(|e| e.optional) == Some(true);
        flags.entry(id).and_modify(|f| *f = (f.0 && dev, f.1 && optional)).or_insert((dev, optional));
    }
    for (&id, &(dev, optional)) in &flags {
        let p = b.get_mut(id);
        p.flags.dev = dev;
        p.flags.optional = optional;
    }

    // Importers: roots first (the top, then members in lockfile order).
    let mut order: Vec<&String> = importers.keys().collect();
    order.sort_by_key(|k| !importer_dir(k).is_empty());
    let mut roots: BTreeMap<String, (RootId, Manifest)> = BTreeMap::new();
    for key in &order {
        let dir = importer_dir(key);
        let manifest = read_manifest(source, &dir);
        let name = manifest.name.clone().unwrap_or_else(|| key.to_string());
        let root = b.root(Ecosystem::Npm, &name, manifest.version.as_deref(), &dir);
        roots.insert(dir, (root, manifest));
    }

    // Workspace links, one package per target directory.
    let mut links: HashMap<String, PackageId> = HashMap::new();
    let mut link_package = |b: &mut InventoryBuilder, dir: String, dep_name: &str| -> PackageId {
        if let Some(&id) = links.get(&dir) {
            return id;
        }
        let member = roots.get(&dir).map(|(_, m)| m);
        let name = member.and_then(|m| m.name.as_deref()).unwrap_or(dep_name);
        let version = member.and_then(|m| m.version.clone()).unwrap_or_else(|| format!("link:{dir}"));
        let id = b.distinct_package(Ecosystem::Npm, name, &version);
        b.get_mut(id).source = PackageSource::Path { path: dir.clone() };
        links.insert(dir, id);
        id
    };

    let mut member_edges: Vec<(String, PackageId, DepKind, Option<String>)> = Vec::new();
    for key in &order {
        let Some(importer) = importers.get(*key) else { continue };
        let dir = importer_dir(key);
        let Some(root) = roots.get(&dir).map(|(r, _)| *r) else { continue };
        let groups = [
            (DepKind::Normal, &importer.dependencies),
            (DepKind::Optional, &importer.optional_dependencies),
            (DepKind::Dev, &importer.dev_dependencies),
        ];
        for (kind, deps) in groups {
            for (name, dep) in deps {
                let (specifier, version) = match dep {
                    ImporterDep::Plain(v) => (importer.specifiers.get(name).map(String::as_str), v.as_str()),
                    ImporterDep::Spec { specifier, version } => (Some(specifier.as_str()), version.as_str()),
                };
                let to = if let Some(link) = version.strip_prefix("link:") {
                    Some(link_package(&mut b, join_relative(&dir, link), name))
                } else {
                    resolve(format, &by_key, name, version)
                };
                // An unresolvable reference (a corrupted merge) is left out; the package
                // entries themselves are all listed above, so nothing is hidden.
                let Some(to) = to else { continue };
                if b.get(to).name != *name && b.get(to).alias.is_none() {
                    b.get_mut(to).alias = Some(name.clone());
                }
                b.edge(NodeRef::Root(root), to, kind, specifier);
                member_edges.push((dir.clone(), to, kind, specifier.map(str::to_owned)));
            }
        }
    }
    for &(key, _, meta, snap) in &nodes {
        let (Some(&from), Some(entry)) = (by_key.get(key), snap) else { continue };
        let peers = meta.map(|m| &m.peer_dependencies);
        let groups =
            [(DepKind::Normal, &entry.dependencies), (DepKind::Optional, &entry.optional_dependencies)];
        for (kind, deps) in groups {
            for (name, reference) in deps {
                let to = if let Some(link) = reference.strip_prefix("link:") {
                    Some(link_package(&mut b, join_relative("", link), name))
                } else {
                    resolve(format, &by_key, name, reference)
                };
                let Some(to) = to else { continue };
                if b.get(to).name != *name && b.get(to).alias.is_none() {
                    b.get_mut(to).alias = Some(name.clone());
                }
                match peers.and_then(|p| p.get(name)) {
                    Some(range) => b.edge(NodeRef::Package(from), to, DepKind::Peer, Some(range)),
                    None => b.edge(NodeRef::Package(from), to, kind, None),
                }
            }
        }
    }
    // A linked member depends on what its own importer lists, except dev dependencies.
    for (dir, to, kind, specifier) in member_edges {
        if let Some(&from) = links.get(&dir)
            && kind != DepKind::Dev
        {
            b.edge(NodeRef::Package(from), to, kind, specifier.as_deref());
        }
    }

    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let k = |f, s| split_key(f, s).map(|p| (p.name, p.version, p.base));
        assert_eq!(k(Format::V5, "/ms/2.1.3"), Some(("ms", "2.1.3", "/ms/2.1.3")));
        assert_eq!(
            k(Format::V5, "/@types/react/18.0.0_react@18.2.0"),
            Some(("@types/react", "18.0.0", "/@types/react/18.0.0"))
        );
        assert_eq!(k(Format::V5, "registry.yarnpkg.com/is-odd/-/is-odd-3.0.1.tgz"), None);
        assert_eq!(
            k(Format::V6, "/use-sync-external-store@1.2.0(react@17.0.2)"),
            Some(("use-sync-external-store", "1.2.0", "/use-sync-external-store@1.2.0"))
        );
        assert_eq!(k(Format::V6, "/@s/a@1.0.0-rc.1"), Some(("@s/a", "1.0.0-rc.1", "/@s/a@1.0.0-rc.1")));
        assert_eq!(k(Format::V9, "@s/a@1.0.0(@s/b@2.0.0)(c@3.0.0)"), Some(("@s/a", "1.0.0", "@s/a@1.0.0")));
        assert_eq!(k(Format::V9, "@s/a"), None);
        assert_eq!(k(Format::V9, "a@"), None);
        assert_eq!(k(Format::V9, ""), None);
        assert_eq!(k(Format::V6, "ms@1.0.0"), None, "v6 registry keys start with a slash");
    }

    #[test]
    fn relative_links() {
        assert_eq!(join_relative("packages/b", "../a"), "packages/a");
        assert_eq!(join_relative("", "./packages/a/"), "packages/a");
        assert_eq!(join_relative("", "../outside"), "../outside");
        assert_eq!(join_relative("a", "../../x"), "../x");
        assert_eq!(importer_dir("."), "");
    }

    #[test]
    fn sources() {
        let entry = |r: raw::Resolution| Entry { resolution: Some(r), ..Entry::default() };
        let git = entry(raw::Resolution {
            kind: Some("git".into()),
            repo: Some("https://github.com/a/b".into()),
            commit: Some("abc".into()),
            ..Default::default()
        });
        assert_eq!(
            package_source(Some(&git), false),
            PackageSource::Git { url: "https://github.com/a/b".into(), rev: Some("abc".into()) }
        );
        let tarball =
            entry(raw::Resolution { tarball: Some("https://x/a.tgz".into()), ..Default::default() });
        assert_eq!(
            package_source(Some(&tarball), false),
            PackageSource::Url { url: "https://x/a.tgz".into() }
        );
        assert_eq!(
            package_source(Some(&tarball), true),
            PackageSource::Registry { url: Some("https://x/a.tgz".into()) }
        );
        let dir = entry(raw::Resolution {
            kind: Some("directory".into()),
            directory: Some("../x".into()),
            ..Default::default()
        });
        assert_eq!(package_source(Some(&dir), false), PackageSource::Path { path: "../x".into() });
        assert_eq!(package_source(None, true), PackageSource::Registry { url: None });
    }
}

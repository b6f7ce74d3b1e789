//! `uv.lock` (version 1, any revision).
//!
//! The lock holds the whole workspace: the projects themselves (listed under
//! `[manifest] members`, or for a single project the one whose source is `.`) and every
//! package, each with its `dependencies`, `optional-dependencies` (per extra) and
//! `dev-dependencies` (per group). Workspace projects become roots; a project another
//! project depends on is also a package (with a path source), as for Cargo workspaces. A
//! dependency names its target by name, plus version and source when the lock holds
//! several versions of one name (a forked, per-marker resolution).
//! See <https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile>.

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Hash, Inventory, InventoryBuilder, Location, NodeRef, PackageId, PackageSource,
    RootId,
};
use toml::de::{DeTable, DeValue};

use super::{TomlDoc, Value, add_hashes, describe, normalize};
use crate::{ExtractError, Extractor, Source, util};

/// Reads `uv.lock`.
pub(crate) struct UvLock;

impl Extractor for UvLock {
    fn id(&self) -> &'static str {
        "pypi/uv-lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "uv.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let text = util::text(source.path, source.bytes)?;
        let (doc, root) = TomlDoc::parse(source.path, text)?;
        let format_version = read_version(&doc, &root)?;
        let lock = read_packages(&doc, &root)?;
        build(self.id(), source.path, &format_version, &lock)
    }
}

fn read_version(doc: &TomlDoc<'_>, root: &DeTable<'_>) -> Result<String, ExtractError> {
    let Some(v) = root.get("version") else {
        return Err(util::schema(doc.path, "version", None, "the lockfile `version`", "nothing"));
    };
    let DeValue::Integer(i) = v.get_ref() else {
        return Err(doc.schema("version", &v.span(), "an integer", describe(v.get_ref())));
    };
    if i.as_str() != "1" {
        return Err(ExtractError::UnsupportedVersion {
            path: doc.path.to_owned(),
            format: "uv.lock",
            found: i.as_str().to_owned(),
            supported: "version 1",
        });
    }
    let revision = match root.get("revision").map(Value::get_ref) {
        Some(DeValue::Integer(r)) => format!("1 (revision {})", r.as_str()),
        _ => "1".to_owned(),
    };
    Ok(revision)
}

struct Dep {
    name: String,
    version: Option<String>,
    source: Option<String>,
    kind: DepKind,
    marker: Option<String>,
    key: String,
    line: u32,
}

struct Package {
    name: String,
    version: String,
    source: PackageSource,
    /// The source as one comparable string (`registry=https://…`).
    source_key: String,
    /// The directory of a local project (virtual, editable, directory), if it is one.
    local: Option<String>,
    hashes: Vec<Hash>,
    deps: Vec<Dep>,
    /// What a project asked for (`[package.metadata] requires-dist`, `requires-dev`), by name.
    specifiers: HashMap<String, String>,
    line: u32,
}

struct Lock {
    packages: Vec<Package>,
    members: Vec<String>,
}

/// A source table as `kind=value`, and the [`PackageSource`] it means.
fn read_source(
    doc: &TomlDoc<'_>,
    key: &str,
    v: &Value<'_>,
) -> Result<(String, PackageSource, Option<String>), ExtractError> {
    let table = doc.table(key, v)?;
    let Some((kind, value)) = table.iter().next() else {
        return Err(doc.schema(key, &v.span(), "a source such as `{ registry = \"…\" }`", "an empty table"));
    };
    let kind = kind.get_ref().as_ref();
    let text = doc.str(&format!("{key}.{kind}"), value)?;
    let (source, local) = match kind {
        "registry" => (PackageSource::Registry { url: Some(text.to_owned()) }, None),
        "git" => {
            // `https://host/repo?rev=main#<commit>`: the fragment is the locked commit.
            let (url, commit) = text.split_once('#').map_or((text, None), |(u, c)| (u, Some(c)));
            let url = url.split_once('?').map_or(url, |(u, _)| u);
            (PackageSource::Git { url: url.to_owned(), rev: commit.map(str::to_owned) }, None)
        }
        "url" => (PackageSource::Url { url: text.to_owned() }, None),
        "path" => (PackageSource::Path { path: text.to_owned() }, None),
        "editable" | "virtual" | "directory" => {
            (PackageSource::Path { path: text.to_owned() }, Some(text.to_owned()))
        }
        other => {
            return Err(doc.schema(
                &format!("{key}.{other}"),
                &v.span(),
                "a source of kind `registry`, `git`, `url`, `path`, `directory`, `editable` or `virtual`",
                format!("`{other}`"),
            ));
        }
    };
    Ok((format!("{kind}={text}"), source, local))
}

fn read_deps(
    doc: &TomlDoc<'_>,
    key: &str,
    list: &[Value<'_>],
    kind: DepKind,
    out: &mut Vec<Dep>,
) -> Result<(), ExtractError> {
    for (i, item) in list.iter().enumerate() {
        let key = format!("{key}[{i}]");
        let table = doc.table(&key, item)?;
        let name = doc.req_str(table, &key, &item.span(), "name")?;
        let source = match table.get("source") {
            Some(s) => Some(read_source(doc, &format!("{key}.source"), s)?.0),
            None => None,
        };
        out.push(Dep {
            name: normalize(name),
            version: doc.opt_str(table, &key, "version")?.map(str::to_owned),
            source,
            kind,
            marker: doc.opt_str(table, &key, "marker")?.map(str::to_owned),
            line: doc.line(&item.span()),
            key,
        });
    }
    Ok(())
}

fn read_packages(doc: &TomlDoc<'_>, root: &DeTable<'_>) -> Result<Lock, ExtractError> {
    let mut members = Vec::new();
    if let Some(manifest) = root.get("manifest") {
        let manifest = doc.table("manifest", manifest)?;
        for (i, m) in doc.opt_array(manifest, "manifest", "members")?.iter().enumerate() {
            members.push(normalize(doc.str(&format!("manifest.members[{i}]"), m)?));
        }
    }
    let mut packages = Vec::new();
    let list = match root.get("package") {
        Some(v) => doc.array("package", v)?,
        None => &[],
    };
    for (i, item) in list.iter().enumerate() {
        let key = format!("package[{i}]");
        let table = doc.table(&key, item)?;
        let name = doc.req_str(table, &key, &item.span(), "name")?;
        // Projects with a dynamic version have none in the lock.
        let version = doc.opt_str(table, &key, "version")?.unwrap_or("");
        if !version.is_empty()
            && let Some(v) = table.get("version")
        {
            doc.version(&format!("{key}.version"), &v.span(), version)?;
        }
        let (source_key, source, local) = match table.get("source") {
            Some(s) => read_source(doc, &format!("{key}.source"), s)?,
            None => {
                return Err(doc.schema(&format!("{key}.source"), &item.span(), "a source table", "nothing"));
            }
        };
        let mut hashes = Vec::new();
        if let Some(sdist) = table.get("sdist") {
            let sdist = doc.table(&format!("{key}.sdist"), sdist)?;
            if let Some(h) = sdist.get("hash") {
                hashes.push(doc.hash(&format!("{key}.sdist.hash"), h)?);
            }
        }
        for (w, wheel) in doc.opt_array(table, &key, "wheels")?.iter().enumerate() {
            let wkey = format!("{key}.wheels[{w}]");
            if let Some(h) = doc.table(&wkey, wheel)?.get("hash") {
                hashes.push(doc.hash(&format!("{wkey}.hash"), h)?);
            }
        }
        let mut deps = Vec::new();
        read_deps(
            doc,
            &format!("{key}.dependencies"),
            doc.opt_array(table, &key, "dependencies")?,
            DepKind::Normal,
            &mut deps,
        )?;
        for (field, kind) in
            [("optional-dependencies", DepKind::Optional), ("dev-dependencies", DepKind::Dev)]
        {
            if let Some(groups) = table.get(field) {
                let gkey = format!("{key}.{field}");
                for (group, list) in doc.table(&gkey, groups)? {
                    let lkey = format!("{gkey}.{}", group.get_ref());
                    read_deps(doc, &lkey, doc.array(&lkey, list)?, kind, &mut deps)?;
                }
            }
        }
        packages.push(Package {
            name: normalize(name),
            version: version.to_owned(),
            source,
            source_key,
            local,
            hashes,
            deps,
            specifiers: specifiers(table),
            line: doc.line(&item.span()),
        });
    }
    Ok(Lock { packages, members })
}

/// The specifiers a project declared. The metadata only informs the edges' `requested`
/// text, so entries of an unexpected shape are skipped rather than failing the lock.
fn specifiers(table: &DeTable<'_>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Some(DeValue::Table(meta)) = table.get("metadata").map(Value::get_ref) else {
        return out;
    };
    let mut lists: Vec<&[Value<'_>]> = Vec::new();
    if let Some(DeValue::Array(a)) = meta.get("requires-dist").map(Value::get_ref) {
        lists.push(a);
    }
    if let Some(DeValue::Table(groups)) = meta.get("requires-dev").map(Value::get_ref) {
        lists.extend(groups.values().filter_map(|g| match g.get_ref() {
            DeValue::Array(a) => Some(&a[..]),
            _ => None,
        }));
    }
    for item in lists.into_iter().flatten() {
        if let DeValue::Table(t) = item.get_ref()
            && let (Some(name), Some(spec)) = (
                t.get("name").and_then(|v| v.get_ref().as_str()),
                t.get("specifier").and_then(|v| v.get_ref().as_str()),
            )
        {
            out.entry(normalize(name)).or_insert_with(|| spec.to_owned());
        }
    }
    out
}

fn build(id: &str, path: &Utf8Path, format_version: &str, lock: &Lock) -> Result<Inventory, ExtractError> {
    let mut b = InventoryBuilder::new(path.as_str(), id);
    b.format_version(format_version).infer_dev().infer_optional();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in lock.packages.iter().enumerate() {
        by_name.entry(&p.name).or_default().push(i);
    }
    let is_root = |p: &Package| match &p.local {
        Some(dir) if lock.members.is_empty() => dir == ".",
        Some(_) => lock.members.contains(&p.name),
        None => false,
    };
    let resolve = |d: &Dep| -> Option<usize> {
        let candidates = by_name.get(d.name.as_str())?;
        let mut matching = candidates.iter().copied().filter(|&c| {
            let p = &lock.packages[c];
            d.version.as_ref().is_none_or(|v| *v == p.version)
                && d.source.as_ref().is_none_or(|s| *s == p.source_key)
        });
        let first = matching.next()?;
        // Ambiguous without a version: uv always writes one then, so this is a broken lock.
        matching.next().is_none().then_some(first)
    };
    let mut depended_on = vec![false; lock.packages.len()];
    for d in lock.packages.iter().flat_map(|p| &p.deps) {
        let target = resolve(d).ok_or_else(|| {
            let wanted = match &d.version {
                Some(v) => format!("`{}` {v}", d.name),
                None => format!("`{}`", d.name),
            };
            util::schema(
                path,
                d.key.clone(),
                Some(d.line),
                "a dependency on exactly one locked package",
                format!("no single package {wanted}"),
            )
        })?;
        depended_on[target] = true;
    }
    let mut roots: HashMap<usize, RootId> = HashMap::new();
    for (i, p) in lock.packages.iter().enumerate() {
        if is_root(p) {
            let dir = p.local.as_deref().unwrap_or(".");
            let version = (!p.version.is_empty()).then_some(p.version.as_str());
            roots.insert(i, b.root(Ecosystem::PyPI, &p.name, version, dir));
        }
    }
    let mut nodes: HashMap<usize, PackageId> = HashMap::new();
    for (i, p) in lock.packages.iter().enumerate() {
        if roots.contains_key(&i) && !depended_on[i] {
            continue;
        }
        let node = b.distinct_package(Ecosystem::PyPI, &p.name, &p.version);
        let pkg = b.get_mut(node);
        pkg.source = p.source.clone();
        pkg.location = Some(Location { line: p.line, column: 1 });
        add_hashes(&mut b, node, p.hashes.iter().cloned());
        nodes.insert(i, node);
    }
    for (i, p) in lock.packages.iter().enumerate() {
        for d in &p.deps {
            let Some(to) = resolve(d).and_then(|t| nodes.get(&t).copied()) else { continue };
            let requested = d.marker.as_deref().map(|m| format!("; {m}"));
            if let Some(&root) = roots.get(&i) {
                let declared = match (p.specifiers.get(&d.name), &requested) {
                    (Some(spec), Some(marker)) => Some(format!("{spec}{marker}")),
                    (Some(spec), None) => Some(spec.clone()),
                    (None, marker) => marker.clone(),
                };
                b.edge(NodeRef::Root(root), to, d.kind, declared.as_deref());
            }
            // A project's dev dependencies are not part of what depends on it.
            if let Some(&from) = nodes.get(&i)
                && d.kind != DepKind::Dev
            {
                b.edge(NodeRef::Package(from), to, d.kind, requested.as_deref());
            }
        }
    }
    Ok(b.finish())
}

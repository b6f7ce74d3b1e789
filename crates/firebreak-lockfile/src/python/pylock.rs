//! `pylock.toml` and `pylock.NAME.toml` (PEP 751, `lock-version` 1.x).
//!
//! A flat list of `[[packages]]`, each with at most one source: an `index` with `sdist`
//! and `wheels` (hashes per file), a `vcs`, a `directory` or an `archive`. The standard
//! does not record which packages the project asked for, so there is no root; the
//! optional `dependencies` array gives edges when the writer fills it.
//! See <https://packaging.python.org/en/latest/specifications/pylock-toml/>.

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Hash, Inventory, InventoryBuilder, Location, NodeRef, PackageId, PackageSource,
};
use toml::de::DeTable;

use super::{TomlDoc, Value, add_hashes, normalize};
use crate::{ExtractError, Extractor, Source, util};

/// Reads `pylock.toml`.
pub(crate) struct PyLock;

impl Extractor for PyLock {
    fn id(&self) -> &'static str {
        "pypi/pylock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        let name = crate::file_name(path);
        name == "pylock.toml"
            || name
                .strip_prefix("pylock.")
                .and_then(|n| n.strip_suffix(".toml"))
                .is_some_and(|n| !n.is_empty() && !n.contains('.'))
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let text = util::text(source.path, source.bytes)?;
        let (doc, root) = TomlDoc::parse(source.path, text)?;
        let version = match root.get("lock-version") {
            Some(v) => doc.str("lock-version", v)?,
            None => return Err(util::schema(doc.path, "lock-version", None, "a string", "nothing")),
        };
        if version.split('.').next() != Some("1") {
            return Err(ExtractError::UnsupportedVersion {
                path: doc.path.to_owned(),
                format: "pylock.toml",
                found: version.to_owned(),
                supported: "lock-version 1.x",
            });
        }
        let mut b = InventoryBuilder::new(source.path.as_str(), self.id());
        b.format_version(version);
        let list = match root.get("packages") {
            Some(v) => doc.array("packages", v)?,
            None => &[],
        };
        let mut by_name: HashMap<String, Vec<(String, PackageId)>> = HashMap::new();
        let mut pending = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let key = format!("packages[{i}]");
            let table = doc.table(&key, item)?;
            let name = normalize(doc.req_str(table, &key, &item.span(), "name")?);
            let version = doc.opt_str(table, &key, "version")?.unwrap_or("");
            if let Some(v) = table.get("version") {
                doc.version(&format!("{key}.version"), &v.span(), version)?;
            }
            let (source, hashes) = read_source(&doc, &key, table)?;
            let mut deps = Vec::new();
            for (d, dep) in doc.opt_array(table, &key, "dependencies")?.iter().enumerate() {
                let dkey = format!("{key}.dependencies[{d}]");
                let dt = doc.table(&dkey, dep)?;
                let dep_name = normalize(doc.req_str(dt, &dkey, &dep.span(), "name")?);
                deps.push((dep_name, doc.opt_str(dt, &dkey, "version")?.map(str::to_owned)));
            }
            let id = b.distinct_package(Ecosystem::PyPI, &name, version);
            let pkg = b.get_mut(id);
            pkg.source = source;
            pkg.location = Some(Location { line: doc.line(&item.span()), column: 1 });
            add_hashes(&mut b, id, hashes);
            by_name.entry(name).or_default().push((version.to_owned(), id));
            pending.push((id, deps));
        }
        for (from, deps) in pending {
            for (name, version) in deps {
                let candidates = by_name.get(&name).map(Vec::as_slice).unwrap_or_default();
                for (_, to) in candidates.iter().filter(|(v, _)| version.as_ref().is_none_or(|w| w == v)) {
                    b.edge(NodeRef::Package(from), *to, DepKind::Normal, None);
                }
            }
        }
        Ok(b.finish())
    }
}

/// The `hashes` table of a file: `{ sha256 = "…", … }`.
fn file_hashes(
    doc: &TomlDoc<'_>,
    key: &str,
    file: &Value<'_>,
    out: &mut Vec<Hash>,
) -> Result<(), ExtractError> {
    let table = doc.table(key, file)?;
    if let Some(h) = table.get("hashes") {
        for (alg, value) in doc.table(&format!("{key}.hashes"), h)? {
            let hkey = format!("{key}.hashes.{}", alg.get_ref());
            let hex = doc.str(&hkey, value)?;
            let hash = Hash::parse_prefixed(&format!("{}:{hex}", alg.get_ref())).ok_or_else(|| {
                doc.schema(&hkey, &value.span(), "a known algorithm and a hex digest", format!("{hex:?}"))
            })?;
            out.push(hash);
        }
    }
    Ok(())
}

fn read_source(
    doc: &TomlDoc<'_>,
    key: &str,
    table: &DeTable<'_>,
) -> Result<(PackageSource, Vec<Hash>), ExtractError> {
    let mut hashes = Vec::new();
    if let Some(vcs) = table.get("vcs") {
        let vkey = format!("{key}.vcs");
        let t = doc.table(&vkey, vcs)?;
        let url = match doc.opt_str(t, &vkey, "url")? {
            Some(u) => u,
            None => doc.req_str(t, &vkey, &vcs.span(), "path")?,
        };
        let rev = doc.req_str(t, &vkey, &vcs.span(), "commit-id")?;
        return Ok((PackageSource::Git { url: url.to_owned(), rev: Some(rev.to_owned()) }, hashes));
    }
    if let Some(dir) = table.get("directory") {
        let dkey = format!("{key}.directory");
        let path = doc.req_str(doc.table(&dkey, dir)?, &dkey, &dir.span(), "path")?;
        return Ok((PackageSource::Path { path: path.to_owned() }, hashes));
    }
    if let Some(archive) = table.get("archive") {
        let akey = format!("{key}.archive");
        let t = doc.table(&akey, archive)?;
        file_hashes(doc, &akey, archive, &mut hashes)?;
        let source = match doc.opt_str(t, &akey, "url")? {
            Some(url) => PackageSource::Url { url: url.to_owned() },
            None => PackageSource::Path { path: doc.req_str(t, &akey, &archive.span(), "path")?.to_owned() },
        };
        return Ok((source, hashes));
    }
    if let Some(sdist) = table.get("sdist") {
        file_hashes(doc, &format!("{key}.sdist"), sdist, &mut hashes)?;
    }
    for (w, wheel) in doc.opt_array(table, key, "wheels")?.iter().enumerate() {
        file_hashes(doc, &format!("{key}.wheels[{w}]"), wheel, &mut hashes)?;
    }
    let index = doc.opt_str(table, key, "index")?.map(str::to_owned);
    Ok((PackageSource::Registry { url: index }, hashes))
}

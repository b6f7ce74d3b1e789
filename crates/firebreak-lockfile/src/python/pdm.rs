//! `pdm.lock`, `lock_version` 4.x.
//!
//! Each `[[package]]` lists its `groups` (`default` for the project's own dependencies,
//! anything else a development group), its `dependencies` as PEP 508 strings and its
//! `files` with hashes. The project's own requirements come from the `pyproject.toml`
//! beside the lock. See <https://pdm-project.org/latest/usage/lockfile/>.

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Inventory, InventoryBuilder, Location, NodeRef, PackageId, PackageSource,
};

use super::{TomlDoc, add_hashes, manifest_root, narrow, normalize, read_pyproject, split_requirement};
use crate::{ExtractError, Extractor, Source, util};

/// Reads `pdm.lock`.
pub(crate) struct PdmLock;

impl Extractor for PdmLock {
    fn id(&self) -> &'static str {
        "pypi/pdm-lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "pdm.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let text = util::text(source.path, source.bytes)?;
        let (doc, root) = TomlDoc::parse(source.path, text)?;
        let Some(meta) = root.get("metadata") else {
            return Err(util::schema(doc.path, "metadata", None, "a `[metadata]` table", "nothing"));
        };
        let meta_span = meta.span();
        let meta = doc.table("metadata", meta)?;
        let version = match meta.get("lock_version") {
            Some(v) => doc.str("metadata.lock_version", v)?,
            None => return Err(doc.schema("metadata.lock_version", &meta_span, "a string", "nothing")),
        };
        if version.split('.').next() != Some("4") {
            return Err(ExtractError::UnsupportedVersion {
                path: doc.path.to_owned(),
                format: "pdm.lock",
                found: version.to_owned(),
                supported: "lock_version 4.x",
            });
        }
        let manifest = read_pyproject(source)?;

        let mut b = InventoryBuilder::new(source.path.as_str(), self.id());
        b.format_version(version).infer_optional();
        let list = match root.get("package") {
            Some(v) => doc.array("package", v)?,
            None => &[],
        };
        let mut by_name: HashMap<String, Vec<(String, PackageId)>> = HashMap::new();
        let mut pending = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let key = format!("package[{i}]");
            let table = doc.table(&key, item)?;
            let name = normalize(doc.req_str(table, &key, &item.span(), "name")?);
            let version = doc.opt_str(table, &key, "version")?.unwrap_or("");
            let source = if let Some(git) = doc.opt_str(table, &key, "git")? {
                let rev = match doc.opt_str(table, &key, "revision")? {
                    Some(r) => Some(r),
                    None => doc.opt_str(table, &key, "ref")?,
                };
                PackageSource::Git { url: git.to_owned(), rev: rev.map(str::to_owned) }
            } else if let Some(url) = doc.opt_str(table, &key, "url")? {
                PackageSource::Url { url: url.to_owned() }
            } else if let Some(path) = doc.opt_str(table, &key, "path")? {
                PackageSource::Path { path: path.to_owned() }
            } else if let Some(path) = doc.opt_str(table, &key, "editable")? {
                PackageSource::Path { path: path.to_owned() }
            } else {
                if let Some(v) = table.get("version") {
                    doc.version(&format!("{key}.version"), &v.span(), version)?;
                }
                PackageSource::Registry { url: None }
            };
            let mut groups = Vec::new();
            for (g, group) in doc.opt_array(table, &key, "groups")?.iter().enumerate() {
                groups.push(doc.str(&format!("{key}.groups[{g}]"), group)?);
            }
            let mut hashes = Vec::new();
            for (f, file) in doc.opt_array(table, &key, "files")?.iter().enumerate() {
                let fkey = format!("{key}.files[{f}]");
                if let Some(h) = doc.table(&fkey, file)?.get("hash") {
                    hashes.push(doc.hash(&format!("{fkey}.hash"), h)?);
                }
            }
            let mut deps = Vec::new();
            for (d, dep) in doc.opt_array(table, &key, "dependencies")?.iter().enumerate() {
                let dkey = format!("{key}.dependencies[{d}]");
                let text = doc.str(&dkey, dep)?;
                let (dep_name, rest) = split_requirement(text).ok_or_else(|| {
                    doc.schema(&dkey, &dep.span(), "a PEP 508 requirement", format!("{text:?}"))
                })?;
                // `name[extra]` depends on `name` itself; pdm lists the extra's own deps too.
                deps.push((normalize(dep_name), (!rest.is_empty()).then(|| rest.to_owned())));
            }
            let id = b.distinct_package(Ecosystem::PyPI, &name, version);
            let pkg = b.get_mut(id);
            pkg.source = source;
            pkg.location = Some(Location { line: doc.line(&item.span()), column: 1 });
            pkg.flags.dev = !groups.is_empty() && !groups.contains(&"default");
            add_hashes(&mut b, id, hashes);
            by_name.entry(name).or_default().push((version.to_owned(), id));
            pending.push((id, deps));
        }
        for (from, deps) in pending {
            for (name, requested) in deps {
                let candidates = by_name.get(&name).map(Vec::as_slice).unwrap_or_default();
                for to in narrow(candidates, requested.as_deref()) {
                    if to != from {
                        b.edge(NodeRef::Package(from), to, DepKind::Normal, requested.as_deref());
                    }
                }
            }
        }
        if let Some(m) = &manifest {
            manifest_root(&mut b, m, &by_name);
        }
        Ok(b.finish())
    }
}

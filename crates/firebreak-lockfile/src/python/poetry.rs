//! `poetry.lock`, lock versions 1.x (poetry 1.0 to 1.2: hashes under `[metadata.files]`,
//! a `category` per package) and 2.x (poetry 1.3 and later: `files` per package; 2.1 adds
//! `groups` and per-group `markers`).
//!
//! The lock has the packages and their `[package.dependencies]` (a version string, a
//! table, or an array of tables split by markers), but not the project's own
//! requirements: those come from the `pyproject.toml` beside it (`[tool.poetry]` tables or
//! PEP 621 `[project]`). Without it (input from stdin) there is no root, and dev-ness comes
//! only from what the lock records (`category`, `groups`).

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Hash, Inventory, InventoryBuilder, Location, NodeRef, PackageSource,
};
use toml::de::{DeTable, DeValue};

use super::{TomlDoc, Value, add_hashes, describe, manifest_root, narrow, normalize, read_pyproject};
use crate::{ExtractError, Extractor, Source, util};

const SUPPORTED: &str = "lock-version 1.0, 1.1, 2.0 and 2.1";

/// Reads `poetry.lock`.
pub(crate) struct PoetryLock;

impl Extractor for PoetryLock {
    fn id(&self) -> &'static str {
        "pypi/poetry-lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "poetry.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let text = util::text(source.path, source.bytes)?;
        let (doc, root) = TomlDoc::parse(source.path, text)?;
        let lock = read(&doc, &root)?;
        let manifest = read_pyproject(source)?;

        let mut b = InventoryBuilder::new(source.path.as_str(), self.id());
        b.format_version(lock.version.clone()).infer_optional();
        let mut by_name: HashMap<String, Vec<(String, firebreak_core::PackageId)>> = HashMap::new();
        let mut ids = Vec::with_capacity(lock.packages.len());
        for p in &lock.packages {
            let id = b.distinct_package(Ecosystem::PyPI, &p.name, &p.version);
            let pkg = b.get_mut(id);
            pkg.source = p.source.clone();
            pkg.location = Some(Location { line: p.line, column: 1 });
            pkg.flags.dev = p.dev == Some(true);
            let files = lock.files.get(&p.name).map(Vec::as_slice).unwrap_or_default();
            add_hashes(&mut b, id, p.hashes.iter().chain(files).cloned());
            by_name.entry(p.name.clone()).or_default().push((p.version.clone(), id));
            ids.push(id);
        }
        for (p, &from) in lock.packages.iter().zip(&ids) {
            for (dep, kind, requested) in &p.deps {
                let candidates = by_name.get(dep).map(Vec::as_slice).unwrap_or_default();
                for to in narrow(candidates, requested.as_deref()) {
                    b.edge(NodeRef::Package(from), to, *kind, requested.as_deref());
                }
            }
        }
        // The lock's own record of dev-ness wins; only a lock without one is inferred.
        if let Some(m) = &manifest {
            manifest_root(&mut b, m, &by_name);
            if lock.packages.iter().all(|p| p.dev.is_none()) {
                b.infer_dev();
            }
        }
        Ok(b.finish())
    }
}

struct Package {
    name: String,
    version: String,
    source: PackageSource,
    hashes: Vec<Hash>,
    /// `Some` when the lock records it (1.x `category`, 2.1 `groups`).
    dev: Option<bool>,
    deps: Vec<(String, DepKind, Option<String>)>,
    line: u32,
}

struct Lock {
    version: String,
    packages: Vec<Package>,
    /// 1.x `[metadata.files]`, by normalised name.
    files: HashMap<String, Vec<Hash>>,
}

fn files(doc: &TomlDoc<'_>, key: &str, list: &[Value<'_>]) -> Result<Vec<Hash>, ExtractError> {
    let mut out = Vec::new();
    for (i, f) in list.iter().enumerate() {
        let fkey = format!("{key}[{i}]");
        // Poetry writes `hash = ""` for files it could not hash (some private indexes).
        if let Some(h) = doc.table(&fkey, f)?.get("hash")
            && h.get_ref().as_str() != Some("")
        {
            out.push(doc.hash(&format!("{fkey}.hash"), h)?);
        }
    }
    Ok(out)
}

fn read(doc: &TomlDoc<'_>, root: &DeTable<'_>) -> Result<Lock, ExtractError> {
    let Some(meta) = root.get("metadata") else {
        return Err(util::schema(doc.path, "metadata", None, "a `[metadata]` table", "nothing"));
    };
    let meta_span = meta.span();
    let meta = doc.table("metadata", meta)?;
    let version = match meta.get("lock-version") {
        Some(v) => doc.str("metadata.lock-version", v)?,
        None => return Err(doc.schema("metadata.lock-version", &meta_span, "a string", "nothing")),
    };
    if !matches!(version, "1.0" | "1.1" | "2.0" | "2.1") {
        return Err(ExtractError::UnsupportedVersion {
            path: doc.path.to_owned(),
            format: "poetry.lock",
            found: version.to_owned(),
            supported: SUPPORTED,
        });
    }
    let mut all_files = HashMap::new();
    if let Some(f) = meta.get("files") {
        for (name, list) in doc.table("metadata.files", f)? {
            let key = format!("metadata.files.{:?}", name.get_ref());
            all_files.insert(normalize(name.get_ref()), files(doc, &key, doc.array(&key, list)?)?);
        }
    }
    let list = match root.get("package") {
        Some(v) => doc.array("package", v)?,
        None => &[],
    };
    let mut packages = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let key = format!("package[{i}]");
        let table = doc.table(&key, item)?;
        let name = doc.req_str(table, &key, &item.span(), "name")?;
        let version = doc.req_str(table, &key, &item.span(), "version")?;
        let source = match table.get("source") {
            Some(s) => read_source(doc, &format!("{key}.source"), s)?,
            None => PackageSource::Registry { url: None },
        };
        if matches!(source, PackageSource::Registry { .. })
            && let Some(v) = table.get("version")
        {
            doc.version(&format!("{key}.version"), &v.span(), version)?;
        }
        let dev = match (doc.opt_str(table, &key, "category")?, table.get("groups")) {
            (Some(category), _) => Some(category == "dev"),
            (None, Some(groups)) => {
                let groups = doc.array(&format!("{key}.groups"), groups)?;
                Some(!groups.iter().any(|g| g.get_ref().as_str() == Some("main")))
            }
            (None, None) => None,
        };
        let mut deps = Vec::new();
        if let Some(d) = table.get("dependencies") {
            let dkey = format!("{key}.dependencies");
            for (dep, spec) in doc.table(&dkey, d)? {
                read_dep(
                    doc,
                    &format!("{dkey}.{}", dep.get_ref()),
                    normalize(dep.get_ref()),
                    spec,
                    &mut deps,
                )?;
            }
        }
        packages.push(Package {
            name: normalize(name),
            version: version.to_owned(),
            source,
            hashes: files(doc, &format!("{key}.files"), doc.opt_array(table, &key, "files")?)?,
            dev,
            deps,
            line: doc.line(&item.span()),
        });
    }
    Ok(Lock { version: version.to_owned(), packages, files: all_files })
}

/// `name = "1.0"`, `name = { version = "…", optional = true, markers = "…" }`, or an array
/// of such tables (one per marker).
fn read_dep(
    doc: &TomlDoc<'_>,
    key: &str,
    name: String,
    spec: &Value<'_>,
    out: &mut Vec<(String, DepKind, Option<String>)>,
) -> Result<(), ExtractError> {
    match spec.get_ref() {
        DeValue::String(s) => out.push((name, DepKind::Normal, Some(s.to_string()))),
        DeValue::Table(t) => {
            let optional = matches!(t.get("optional").map(Value::get_ref), Some(DeValue::Boolean(true)));
            let version = doc.opt_str(t, key, "version")?;
            let markers = doc.opt_str(t, key, "markers")?;
            let requested = match (version, markers) {
                (Some(v), Some(m)) => Some(format!("{v}; {m}")),
                (Some(v), None) => Some(v.to_owned()),
                (None, Some(m)) => Some(format!("; {m}")),
                (None, None) => None,
            };
            out.push((name, if optional { DepKind::Optional } else { DepKind::Normal }, requested));
        }
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let key = format!("{key}[{i}]");
                if !matches!(item.get_ref(), DeValue::Table(_)) {
                    return Err(doc.schema(&key, &item.span(), "a table", describe(item.get_ref())));
                }
                read_dep(doc, &key, name.clone(), item, out)?;
            }
        }
        other => {
            return Err(doc.schema(
                key,
                &spec.span(),
                "a version string, a table or an array",
                describe(other),
            ));
        }
    }
    Ok(())
}

fn read_source(doc: &TomlDoc<'_>, key: &str, v: &Value<'_>) -> Result<PackageSource, ExtractError> {
    let table = doc.table(key, v)?;
    let kind = doc.req_str(table, key, &v.span(), "type")?;
    let url = doc.req_str(table, key, &v.span(), "url")?.to_owned();
    Ok(match kind {
        "git" => {
            let rev = match doc.opt_str(table, key, "resolved_reference")? {
                Some(r) => Some(r),
                None => doc.opt_str(table, key, "reference")?,
            };
            PackageSource::Git { url, rev: rev.map(str::to_owned) }
        }
        "url" => PackageSource::Url { url },
        "directory" | "file" => PackageSource::Path { path: url },
        // `legacy` (a PEP 503 index) and anything newer that names an index.
        _ => PackageSource::Registry { url: Some(url) },
    })
}

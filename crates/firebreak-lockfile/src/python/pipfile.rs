//! `Pipfile.lock` (pipfile-spec 6), JSON.
//!
//! Two sections, `default` and `develop`, each a flat map from name to the locked entry
//! (`version: "==1.0"`, `hashes`, `markers`, or `git`/`ref`, `path`, `file` for
//! non-registry entries). The lock records no dependency edges and does not say which
//! entries the Pipfile asked for, so every entry hangs off one root (the project): a
//! normal edge for `default`, a dev edge for `develop`.

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Hash, Inventory, InventoryBuilder, Location, NodeRef, PackageSource,
};
use serde_json::Value;

use super::{add_hashes, check_version, normalize};
use crate::{ExtractError, Extractor, Source, util};

/// Reads `Pipfile.lock`.
pub(crate) struct PipfileLock;

impl Extractor for PipfileLock {
    fn id(&self) -> &'static str {
        "pypi/pipfile-lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "Pipfile.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let path = source.path;
        let text = util::text(path, source.bytes)?;
        let doc: Value = serde_json::from_str(text).map_err(|e| util::json_error(path, &e))?;
        let Value::Object(doc) = doc else {
            return Err(util::schema(path, "(top level)", Some(1), "an object", util::json_type(&doc)));
        };
        let spec = doc.get("_meta").and_then(|m| m.get("pipfile-spec"));
        match spec.and_then(Value::as_u64) {
            Some(6) => {}
            _ => {
                return Err(ExtractError::UnsupportedVersion {
                    path: path.to_owned(),
                    format: "Pipfile.lock",
                    found: spec.map_or_else(|| "none".to_owned(), Value::to_string),
                    supported: "pipfile-spec 6",
                });
            }
        }
        let mut b = InventoryBuilder::new(path.as_str(), self.id());
        b.format_version("6").infer_dev();
        let root = b.root(Ecosystem::PyPI, "Pipfile", None, ".");
        for (section, kind) in [("default", DepKind::Normal), ("develop", DepKind::Dev)] {
            let Some(entries) = doc.get(section) else { continue };
            let Value::Object(entries) = entries else {
                return Err(util::schema(path, section, None, "an object", util::json_type(entries)));
            };
            let section_at = text.find(&format!("\"{section}\"")).unwrap_or(0);
            for (name, entry) in entries {
                let key = format!("{section}.{name:?}");
                let Value::Object(entry) = entry else {
                    return Err(util::schema(path, key, None, "an object", util::json_type(entry)));
                };
                let string = |field: &str| -> Result<Option<&str>, ExtractError> {
                    match entry.get(field) {
                        None => Ok(None),
                        Some(Value::String(s)) => Ok(Some(s)),
                        Some(other) => Err(util::schema(
                            path,
                            format!("{key}.{field}"),
                            None,
                            "a string",
                            util::json_type(other),
                        )),
                    }
                };
                let version = match string("version")? {
                    Some(v) => {
                        let v = v.strip_prefix("==").unwrap_or(v);
                        check_version(v).map_err(|_| {
                            util::schema(
                                path,
                                format!("{key}.version"),
                                None,
                                "`==` and a PEP 440 version",
                                format!("{v:?}"),
                            )
                        })?;
                        v
                    }
                    None => "",
                };
                let source = if let Some(git) = string("git")? {
                    PackageSource::Git { url: git.to_owned(), rev: string("ref")?.map(str::to_owned) }
                } else if let Some(p) = string("path")? {
                    PackageSource::Path { path: p.to_owned() }
                } else if let Some(f) = string("file")? {
                    PackageSource::Url { url: f.to_owned() }
                } else {
                    PackageSource::Registry { url: None }
                };
                let mut hashes = Vec::new();
                if let Some(list) = entry.get("hashes") {
                    let Value::Array(list) = list else {
                        return Err(util::schema(
                            path,
                            format!("{key}.hashes"),
                            None,
                            "an array",
                            util::json_type(list),
                        ));
                    };
                    for (i, h) in list.iter().enumerate() {
                        let hash = h.as_str().and_then(Hash::parse_prefixed).ok_or_else(|| {
                            util::schema(
                                path,
                                format!("{key}.hashes[{i}]"),
                                None,
                                "a hash `ALGORITHM:HEX`",
                                h.to_string(),
                            )
                        })?;
                        hashes.push(hash);
                    }
                }
                let id = b.package(Ecosystem::PyPI, &normalize(name), version);
                let pkg = b.get_mut(id);
                if pkg.location.is_none() {
                    pkg.source = source;
                    let at =
                        text[section_at..].find(&format!("\"{name}\": {{")).map_or(0, |i| i + section_at);
                    pkg.location = Some(Location::from_offset(text.as_bytes(), at));
                }
                add_hashes(&mut b, id, hashes);
                let pin = string("version")?;
                let requested = match (pin, string("markers")?) {
                    (Some(v), Some(m)) => Some(format!("{v}; {m}")),
                    (Some(v), None) => Some(v.to_owned()),
                    (None, Some(m)) => Some(format!("; {m}")),
                    (None, None) => None,
                };
                b.edge(NodeRef::Root(root), id, kind, requested.as_deref());
            }
        }
        Ok(b.finish())
    }
}

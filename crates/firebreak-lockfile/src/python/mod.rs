//! PyPI lockfiles and requirement files.
//!
//! Every reader normalises names per PEP 503 (so `Jinja2` and `jinja2` are one package)
//! and checks exact versions with PEP 440, since advisory matching compares them. A
//! requirement that is not pinned to one version (`requests>=2`, an editable directory, a
//! VCS or URL requirement without a version) is still listed, with an empty version: the
//! inventory must show everything that gets installed, and the unpinned specifier stays on
//! the edge from the root (`requested`), so a policy can flag it.

use std::ops::Range;
use std::str::FromStr;

use camino::Utf8Path;
use firebreak_core::{DepKind, Ecosystem, Hash, InventoryBuilder, PackageId, Version, normalize_name};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::util::{self, LineIndex};
use crate::{ExtractError, Source};

pub(crate) mod pdm;
pub(crate) mod pipfile;
pub(crate) mod poetry;
pub(crate) mod pylock;
pub(crate) mod requirements;
pub(crate) mod uv;

/// A spanned TOML value.
pub(crate) type Value<'t> = Spanned<DeValue<'t>>;

/// A parsed TOML document with what it takes to locate schema errors.
pub(crate) struct TomlDoc<'a> {
    pub(crate) path: &'a Utf8Path,
    lines: LineIndex,
}

impl<'a> TomlDoc<'a> {
    /// Parses `text`; syntax errors come back at their line and column.
    pub(crate) fn parse<'t>(path: &'a Utf8Path, text: &'t str) -> Result<(Self, DeTable<'t>), ExtractError> {
        let table = DeTable::parse(text).map_err(|e| util::toml_error(path, text, &e))?;
        Ok((TomlDoc { path, lines: LineIndex::new(text) }, table.into_inner()))
    }

    /// 1-based line of a span.
    pub(crate) fn line(&self, span: &Range<usize>) -> u32 {
        self.lines.line(span.start)
    }

    pub(crate) fn schema(
        &self,
        key: &str,
        span: &Range<usize>,
        expected: &str,
        found: impl Into<String>,
    ) -> ExtractError {
        util::schema(self.path, key, Some(self.line(span)), expected, found)
    }

    pub(crate) fn str<'v>(&self, key: &str, v: &'v Value<'_>) -> Result<&'v str, ExtractError> {
        v.get_ref().as_str().ok_or_else(|| self.schema(key, &v.span(), "a string", describe(v.get_ref())))
    }

    pub(crate) fn table<'v, 't>(&self, key: &str, v: &'v Value<'t>) -> Result<&'v DeTable<'t>, ExtractError> {
        match v.get_ref() {
            DeValue::Table(t) => Ok(t),
            other => Err(self.schema(key, &v.span(), "a table", describe(other))),
        }
    }

    pub(crate) fn array<'v, 't>(&self, key: &str, v: &'v Value<'t>) -> Result<&'v [Value<'t>], ExtractError> {
        match v.get_ref() {
            DeValue::Array(a) => Ok(a),
            other => Err(self.schema(key, &v.span(), "an array", describe(other))),
        }
    }

    /// A required string field of `table` (whose own key path is `key` and span `span`).
    pub(crate) fn req_str<'v>(
        &self,
        table: &'v DeTable<'_>,
        key: &str,
        span: &Range<usize>,
        field: &str,
    ) -> Result<&'v str, ExtractError> {
        match table.get(field) {
            Some(v) => self.str(&format!("{key}.{field}"), v),
            None => Err(self.schema(&format!("{key}.{field}"), span, "a string", "nothing")),
        }
    }

    /// An optional string field of `table`.
    pub(crate) fn opt_str<'v>(
        &self,
        table: &'v DeTable<'_>,
        key: &str,
        field: &str,
    ) -> Result<Option<&'v str>, ExtractError> {
        table.get(field).map(|v| self.str(&format!("{key}.{field}"), v)).transpose()
    }

    /// An optional array field of `table`; absent is empty.
    pub(crate) fn opt_array<'v, 't>(
        &self,
        table: &'v DeTable<'t>,
        key: &str,
        field: &str,
    ) -> Result<&'v [Value<'t>], ExtractError> {
        match table.get(field) {
            Some(v) => self.array(&format!("{key}.{field}"), v),
            None => Ok(&[]),
        }
    }

    /// Checks a version is PEP 440, so a garbled lockfile is not read as a real version.
    pub(crate) fn version(&self, key: &str, span: &Range<usize>, version: &str) -> Result<(), ExtractError> {
        check_version(version)
            .map_err(|found| self.schema(key, span, "a PEP 440 version", format!("{found:?}")))
    }

    /// Parses a hash string (`sha256:hex`, `sha256=hex`).
    pub(crate) fn hash(&self, key: &str, v: &Value<'_>) -> Result<Hash, ExtractError> {
        let text = self.str(key, v)?;
        Hash::parse_prefixed(text)
            .ok_or_else(|| self.schema(key, &v.span(), "a hash `ALGORITHM:HEX`", format!("{text:?}")))
    }
}

/// "found ..." text for a TOML value.
pub(crate) fn describe(v: &DeValue<'_>) -> String {
    crate::cargo::describe(v)
}

/// `Ok` when `version` is valid PEP 440; `Err` carries it back for the message.
pub(crate) fn check_version(version: &str) -> Result<(), &str> {
    Version::parse(Ecosystem::PyPI, version).map(|_| ()).map_err(|_| version)
}

/// The PEP 503 form of a project name.
pub(crate) fn normalize(name: &str) -> String {
    normalize_name(Ecosystem::PyPI, name)
}

/// Adds hashes to a package, keeping each digest once.
pub(crate) fn add_hashes(b: &mut InventoryBuilder, id: PackageId, hashes: impl IntoIterator<Item = Hash>) {
    let p = b.get_mut(id);
    for h in hashes {
        if !p.hashes.contains(&h) {
            p.hashes.push(h);
        }
    }
}

/// The name at the start of a PEP 508 requirement (`Requests[socks]>=2; marker`), and the
/// rest (extras, specifier, marker), trimmed.
pub(crate) fn split_requirement(req: &str) -> Option<(&str, &str)> {
    let req = req.trim();
    let end =
        req.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(req.len());
    let name = &req[..end];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((name, req[end..].trim()))
}

/// The project a lockfile was made for, from the `pyproject.toml` beside it.
pub(crate) struct Manifest {
    pub(crate) name: String,
    pub(crate) version: Option<String>,
    /// Declared dependencies: normalised name, kind, and the specifier as written.
    pub(crate) deps: Vec<(String, DepKind, Option<String>)>,
}

/// Reads `pyproject.toml` next to the lockfile: PEP 621 `[project]` (with
/// `optional-dependencies`), PEP 735 `[dependency-groups]`, poetry's `[tool.poetry]`
/// tables and PDM's `[tool.pdm.dev-dependencies]`. `None` when there is none (or the
/// input has no directory); a file that is there but broken is an error.
pub(crate) fn read_pyproject(source: &Source<'_>) -> Result<Option<Manifest>, ExtractError> {
    let Ok(bytes) = source.read_relative("pyproject.toml") else {
        return Ok(None);
    };
    let path = source.path.parent().unwrap_or(Utf8Path::new("")).join("pyproject.toml");
    let text = util::text(&path, &bytes)?;
    let (doc, root) = TomlDoc::parse(&path, text)?;
    let mut manifest = Manifest { name: String::new(), version: None, deps: Vec::new() };
    let pep508 = |doc: &TomlDoc<'_>, key: &str, list: &[Value<'_>], kind: DepKind, out: &mut Manifest| {
        for (i, item) in list.iter().enumerate() {
            // `{ include-group = "…" }` entries include another group, already listed.
            let Some(text) = item.get_ref().as_str() else { continue };
            let (name, rest) = split_requirement(text).ok_or_else(|| {
                doc.schema(&format!("{key}[{i}]"), &item.span(), "a PEP 508 requirement", format!("{text:?}"))
            })?;
            out.deps.push((normalize(name), kind, (!rest.is_empty()).then(|| rest.to_owned())));
        }
        Ok::<(), ExtractError>(())
    };
    if let Some(project) = root.get("project") {
        let project = doc.table("project", project)?;
        manifest.name = doc.opt_str(project, "project", "name")?.map(normalize).unwrap_or_default();
        manifest.version = doc.opt_str(project, "project", "version")?.map(str::to_owned);
        let deps = doc.opt_array(project, "project", "dependencies")?;
        pep508(&doc, "project.dependencies", deps, DepKind::Normal, &mut manifest)?;
        if let Some(extras) = project.get("optional-dependencies") {
            for (extra, list) in doc.table("project.optional-dependencies", extras)? {
                let key = format!("project.optional-dependencies.{}", extra.get_ref());
                pep508(&doc, &key, doc.array(&key, list)?, DepKind::Optional, &mut manifest)?;
            }
        }
    }
    let mut groups = Vec::new();
    if let Some(g) = root.get("dependency-groups") {
        groups.push(("dependency-groups".to_owned(), g));
    }
    let tool = match root.get("tool") {
        Some(t) => Some(doc.table("tool", t)?),
        None => None,
    };
    if let Some(pdm) = tool.and_then(|t| t.get("pdm"))
        && let Some(g) = doc.table("tool.pdm", pdm)?.get("dev-dependencies")
    {
        groups.push(("tool.pdm.dev-dependencies".to_owned(), g));
    }
    for (key, g) in groups {
        for (group, list) in doc.table(&key, g)? {
            let key = format!("{key}.{}", group.get_ref());
            pep508(&doc, &key, doc.array(&key, list)?, DepKind::Dev, &mut manifest)?;
        }
    }
    if let Some(poetry) = tool.and_then(|t| t.get("poetry")) {
        let poetry = doc.table("tool.poetry", poetry)?;
        if manifest.name.is_empty() {
            manifest.name = doc.opt_str(poetry, "tool.poetry", "name")?.map(normalize).unwrap_or_default();
            manifest.version = doc.opt_str(poetry, "tool.poetry", "version")?.map(str::to_owned);
        }
        let mut tables = Vec::new();
        if let Some(d) = poetry.get("dependencies") {
            tables.push(("tool.poetry.dependencies".to_owned(), d, DepKind::Normal));
        }
        if let Some(d) = poetry.get("dev-dependencies") {
            tables.push(("tool.poetry.dev-dependencies".to_owned(), d, DepKind::Dev));
        }
        if let Some(groups) = poetry.get("group") {
            for (group, g) in doc.table("tool.poetry.group", groups)? {
                let key = format!("tool.poetry.group.{}", group.get_ref());
                if let Some(d) = doc.table(&key, g)?.get("dependencies") {
                    let kind = if group.get_ref() == "main" { DepKind::Normal } else { DepKind::Dev };
                    tables.push((format!("{key}.dependencies"), d, kind));
                }
            }
        }
        for (key, table, kind) in tables {
            for (name, spec) in doc.table(&key, table)? {
                let name = name.get_ref();
                if name == "python" {
                    continue;
                }
                let (requested, optional) = match spec.get_ref() {
                    DeValue::String(s) => (Some(s.to_string()), false),
                    DeValue::Table(t) => (
                        t.get("version").and_then(|v| v.get_ref().as_str()).map(str::to_owned),
                        t.get("optional").and_then(|v| v.get_ref().as_bool()).unwrap_or(false),
                    ),
                    _ => (None, false),
                };
                let kind = if optional && kind == DepKind::Normal { DepKind::Optional } else { kind };
                manifest.deps.push((normalize(name), kind, requested));
            }
        }
    }
    Ok(Some(manifest))
}

/// Adds the project as a root, with an edge to the locked packages of each declared name
/// (see [`narrow`] for names locked at several versions).
pub(crate) fn manifest_root(
    b: &mut InventoryBuilder,
    manifest: &Manifest,
    by_name: &std::collections::HashMap<String, Vec<(String, PackageId)>>,
) {
    let name = if manifest.name.is_empty() { "pyproject.toml" } else { manifest.name.as_str() };
    let root = b.root(Ecosystem::PyPI, name, manifest.version.as_deref(), ".");
    for (dep, kind, requested) in &manifest.deps {
        let candidates = by_name.get(dep).map(Vec::as_slice).unwrap_or_default();
        for to in narrow(candidates, requested.as_deref()) {
            b.edge(firebreak_core::NodeRef::Root(root), to, *kind, requested.as_deref());
        }
    }
}

/// The candidates (locked versions of one name) a requirement can mean. With one
/// candidate, that one; with several (a per-marker fork), those whose version satisfies
/// the specifier (PEP 440, or poetry's bare `1.0` meaning `==1.0`); when the specifier
/// cannot be read or matches none, all of them, so no edge is lost.
pub(crate) fn narrow(candidates: &[(String, PackageId)], requested: Option<&str>) -> Vec<PackageId> {
    let all = || candidates.iter().map(|(_, id)| *id).collect();
    if candidates.len() < 2 {
        return all();
    }
    let Some(spec) = requested.map(|r| r.split(';').next().unwrap_or(r).trim()) else {
        return all();
    };
    let spec = match spec.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or(rest, |(_, s)| s).trim(),
        None => spec,
    };
    let matches: Vec<PackageId> = if let Ok(exact) = pep440_rs::Version::from_str(spec) {
        candidates
            .iter()
            .filter(|(v, _)| pep440_rs::Version::from_str(v).is_ok_and(|v| v == exact))
            .map(|(_, id)| *id)
            .collect()
    } else if let Ok(specifiers) = pep440_rs::VersionSpecifiers::from_str(spec) {
        candidates
            .iter()
            .filter(|(v, _)| pep440_rs::Version::from_str(v).is_ok_and(|v| specifiers.contains(&v)))
            .map(|(_, id)| *id)
            .collect()
    } else {
        Vec::new()
    };
    if matches.is_empty() { all() } else { matches }
}

//! The workspace's `Cargo.toml` files, read next to `Cargo.lock` to learn what the lockfile
//! leaves out: which source-less packages are workspace members (and where), which are
//! path dependencies outside the workspace, and whether each dependency of a local
//! package is a normal, dev- or build-dependency.
//!
//! Manifests are optional input: when one cannot be read or parsed, the packages it would
//! have described fall back to the lockfile-only reading (a root with normal edges).
//! The file system can only read, not list, so glob members (`crates/*`) are matched by
//! trying each source-less package's name in place of the `*`.

use std::collections::{HashMap, HashSet};

use firebreak_core::DepKind;
use toml::{Table, Value};

use super::{Local, Lockfile};
use crate::Source;

/// Dependency tables and the kind of dependency each declares.
const DEP_TABLES: &[(&str, DepKind)] = &[
    ("dependencies", DepKind::Normal),
    ("build-dependencies", DepKind::Build),
    ("build_dependencies", DepKind::Build),
    ("dev-dependencies", DepKind::Dev),
    ("dev_dependencies", DepKind::Dev),
];

/// One dependency declaration of a manifest.
#[derive(Debug, Clone)]
struct Declared {
    /// The real package name (`package = ...` when renamed).
    name: String,
    kind: DepKind,
    /// The version requirement, if any.
    req: Option<String>,
    /// A `path` dependency's directory, relative to the lockfile's directory.
    path: Option<String>,
    /// A `git` dependency's repository.
    git: Option<String>,
}

impl Declared {
    /// Whether this declaration can be the lockfile entry with `source`.
    fn fits_source(&self, source: Option<&str>) -> bool {
        match (source, &self.git) {
            (None, _) => self.path.is_some(),
            (Some(s), Some(url)) => s
                .strip_prefix("git+")
                .is_some_and(|s| same_repo(s.split(['?', '#']).next().unwrap_or(s), url)),
            (Some(s), None) => self.path.is_none() && !s.starts_with("git+"),
        }
    }
}

fn same_repo(a: &str, b: &str) -> bool {
    let trim = |u: &str| u.trim_end_matches('/').trim_end_matches(".git").to_ascii_lowercase();
    trim(a) == trim(b)
}

/// What one local package's manifest declares.
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    deps: Vec<Declared>,
}

impl Manifest {
    /// The kinds (each with the requirement first declared for it) under which this
    /// manifest declares `name`. When the lockfile lists several entries named `name` for
    /// this package (`ambiguous`), only declarations that fit the entry's version and
    /// source count, so `bitflags = "2"` and `[dev-dependencies] bitflags = "1"`, or a
    /// git and a registry copy of one crate, stay apart.
    pub(crate) fn kinds_of(
        &self,
        name: &str,
        version: &str,
        source: Option<&str>,
        ambiguous: bool,
    ) -> Vec<(DepKind, Option<String>)> {
        let declared: Vec<&Declared> = self.deps.iter().filter(|d| d.name == name).collect();
        let matching: Vec<&Declared> = if ambiguous {
            let m: Vec<&Declared> = declared
                .iter()
                .copied()
                .filter(|d| d.req.as_deref().is_none_or(|r| req_matches(r, version)))
                .filter(|d| d.fits_source(source))
                .collect();
            if m.is_empty() { declared } else { m }
        } else {
            declared
        };
        if matching.is_empty() {
            // The manifest no longer declares it (the lockfile is stale): say nothing more
            // than the lockfile does.
            return vec![(DepKind::Normal, None)];
        }
        let mut out: Vec<(DepKind, Option<String>)> = Vec::new();
        for d in matching {
            if !out.iter().any(|(k, _)| *k == d.kind) {
                out.push((d.kind, d.req.clone()));
            }
        }
        out
    }
}

/// The workspace as its manifests describe it.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    /// Source-less package name -> where it lives and its manifest.
    placed: HashMap<String, (Local, Manifest)>,
}

impl Workspace {
    /// Reads the manifest beside the lockfile and, from it, the members' and path
    /// dependencies' manifests. `None` when the top manifest cannot be read or parsed.
    pub(crate) fn load(source: &Source<'_>, lock: &Lockfile) -> Option<Workspace> {
        let root = read_manifest(source, "")?;
        let local: HashSet<&str> =
            lock.packages.iter().filter(|p| p.source.is_none()).map(|p| p.name.as_str()).collect();
        let ws = root.get("workspace").and_then(Value::as_table);
        let ws_deps = ws.and_then(|w| w.get("dependencies")).and_then(Value::as_table);
        let excluded: Vec<String> = strings(ws, "exclude").iter().map(|e| normalize("", e)).collect();
        let is_excluded = |dir: &str| {
            excluded
                .iter()
                .any(|e| dir == e || dir.strip_prefix(e.as_str()).is_some_and(|r| r.starts_with('/')))
        };

        let mut out = Workspace::default();
        let mut visited: HashSet<String> = HashSet::new();
        let mut queue: Vec<(String, Table)> = Vec::new();
        let place = |out: &mut Workspace, dir: String, table: Table, member: bool, queue: &mut Vec<_>| {
            let Some(name) = package_name(&table) else { return };
            if !local.contains(name.as_str()) || out.placed.contains_key(&name) {
                return;
            }
            let manifest = Manifest { deps: declared(&table, &dir, ws_deps) };
            let local = if member { Local::Member(dir.clone()) } else { Local::PathDep(dir.clone()) };
            out.placed.insert(name, (local, manifest));
            queue.push((dir, table));
        };

        visited.insert(String::new());
        place(&mut out, String::new(), root.clone(), true, &mut queue);
        for pattern in strings(ws, "members") {
            let candidates: Vec<String> = if pattern.contains(['*', '?', '[']) {
                if pattern.matches('*').count() != 1 || pattern.contains(['?', '[']) {
                    continue;
                }
                let mut names: Vec<String> = Vec::new();
                for n in &local {
                    for variant in [n.to_string(), n.replace('-', "_"), n.replace('_', "-")] {
                        if !names.contains(&variant) {
                            names.push(variant);
                        }
                    }
                }
                names.iter().map(|n| pattern.replacen('*', n, 1)).collect()
            } else {
                vec![pattern.clone()]
            };
            for dir in candidates {
                let dir = normalize("", &dir);
                if is_excluded(&dir) || !visited.insert(dir.clone()) {
                    continue;
                }
                if let Some(table) = read_manifest(source, &dir) {
                    place(&mut out, dir, table, true, &mut queue);
                }
            }
        }
        // Path dependencies (and path patches) of everything placed so far. Cargo makes
        // those inside the workspace's directory members, unless excluded.
        let mut patch_paths: Vec<String> = Vec::new();
        if let Some(patch) = root.get("patch").and_then(Value::as_table) {
            for registry in patch.values().filter_map(Value::as_table) {
                for spec in registry.values().filter_map(Value::as_table) {
                    if let Some(p) = spec.get("path").and_then(Value::as_str) {
                        patch_paths.push(normalize("", p));
                    }
                }
            }
        }
        let mut pending: Vec<String> = patch_paths;
        loop {
            while let Some((dir, table)) = queue.pop() {
                pending.extend(declared(&table, &dir, ws_deps).into_iter().filter_map(|d| d.path));
            }
            let Some(dir) = pending.pop() else { break };
            if !visited.insert(dir.clone()) {
                continue;
            }
            if let Some(table) = read_manifest(source, &dir) {
                let member = ws.is_some() && !dir.starts_with("..") && !is_excluded(&dir);
                place(&mut out, dir, table, member, &mut queue);
            }
        }
        Some(out)
    }

    /// Where the source-less package `name` lives, if a manifest says.
    pub(crate) fn locate(&self, name: &str) -> Option<Local> {
        self.placed.get(name).map(|(l, _)| l.clone())
    }

    /// The manifest of the source-less package `name`, if read.
    pub(crate) fn manifest(&self, name: &str) -> Option<&Manifest> {
        self.placed.get(name).map(|(_, m)| m)
    }
}

fn package_name(table: &Table) -> Option<String> {
    // `[project]` is the pre-1.0 spelling of `[package]`, still accepted by cargo.
    let package = table.get("package").or_else(|| table.get("project"))?;
    package.as_table()?.get("name")?.as_str().map(str::to_owned)
}

fn strings(table: Option<&Table>, key: &str) -> Vec<String> {
    table
        .and_then(|t| t.get(key))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn read_manifest(source: &Source<'_>, dir: &str) -> Option<Table> {
    let file = if dir.is_empty() { "Cargo.toml".to_owned() } else { format!("{dir}/Cargo.toml") };
    let bytes = source.read_relative(&file).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    text.parse::<Table>().ok()
}

/// Every dependency declaration of a manifest at `dir`, including `[target.*]` tables.
fn declared(table: &Table, dir: &str, ws_deps: Option<&Table>) -> Vec<Declared> {
    let mut out = Vec::new();
    let mut scan = |t: &Table| {
        for (key, kind) in DEP_TABLES {
            let Some(deps) = t.get(*key).and_then(Value::as_table) else { continue };
            for (dep_key, spec) in deps {
                out.push(declaration(dep_key, spec, *kind, dir, ws_deps));
            }
        }
    };
    scan(table);
    if let Some(targets) = table.get("target").and_then(Value::as_table) {
        for t in targets.values().filter_map(Value::as_table) {
            scan(t);
        }
    }
    out
}

fn declaration(key: &str, spec: &Value, kind: DepKind, dir: &str, ws_deps: Option<&Table>) -> Declared {
    let mut d = Declared { name: key.to_owned(), kind, req: None, path: None, git: None };
    let apply = |d: &mut Declared, spec: &Value, base: &str| match spec {
        Value::String(req) => d.req = Some(req.clone()),
        Value::Table(t) => {
            if let Some(p) = t.get("package").and_then(Value::as_str) {
                d.name = p.to_owned();
            }
            if let Some(v) = t.get("version").and_then(Value::as_str) {
                d.req = Some(v.to_owned());
            }
            if let Some(p) = t.get("path").and_then(Value::as_str) {
                d.path = Some(normalize(base, p));
            }
            if let Some(g) = t.get("git").and_then(Value::as_str) {
                d.git = Some(g.to_owned());
            }
        }
        _ => {}
    };
    let inherited = spec.as_table().and_then(|t| t.get("workspace")).and_then(Value::as_bool) == Some(true);
    if inherited {
        if let Some(base) = ws_deps.and_then(|w| w.get(key)) {
            apply(&mut d, base, "");
        }
        if let Some(p) = spec.as_table().and_then(|t| t.get("package")).and_then(Value::as_str) {
            d.name = p.to_owned();
        }
    } else {
        apply(&mut d, spec, dir);
    }
    d
}

/// `base/relative`, with `.` and `..` folded, `/`-separated, relative to the lockfile's
/// directory (a leading `..` stays when the path leaves it).
pub(crate) fn normalize(base: &str, relative: &str) -> String {
    let relative = relative.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    let joined = if relative.starts_with('/') { relative.clone() } else { format!("{base}/{relative}") };
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let out = parts.join("/");
    if relative.starts_with('/') { format!("/{out}") } else { out }
}

/// Whether `version` meets the Cargo requirement `req` (`1`, `^1.2`, `~0.4`, `=1.0.3`,
/// `>=1, <2`, `1.*`, `*`). Pre-release and build parts of `version` are ignored; an
/// unreadable requirement matches, so it never hides an edge.
pub(crate) fn req_matches(req: &str, version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let v: Vec<u64> = match core.split('.').map(str::parse).collect::<Result<Vec<u64>, _>>() {
        Ok(v) if v.len() == 3 => v,
        _ => return true,
    };
    req.split(',').all(|c| comparator_matches(c.trim(), &v))
}

fn comparator_matches(c: &str, v: &[u64]) -> bool {
    let (op, rest) = ["^", "~", ">=", "<=", ">", "<", "="]
        .iter()
        .find_map(|op| c.strip_prefix(op).map(|r| (*op, r.trim())))
        .unwrap_or(("^", c));
    let rest = rest.split(['-', '+']).next().unwrap_or(rest);
    let mut want = Vec::new();
    for part in rest.split('.') {
        match part {
            "*" | "x" | "X" => break,
            p => match p.parse::<u64>() {
                Ok(n) => want.push(n),
                Err(_) => return true,
            },
        }
    }
    if want.is_empty() {
        return true;
    }
    let prefix = &v[..want.len().min(3)];
    let cmp = prefix.cmp(&want[..want.len().min(3)]);
    use std::cmp::Ordering::{Greater, Less};
    match op {
        "=" => cmp.is_eq(),
        ">" => cmp == Greater,
        ">=" => cmp != Less,
        "<" => cmp == Less,
        "<=" => cmp != Greater,
        "~" => {
            let fixed = if want.len() == 1 { 1 } else { 2 };
            v[..fixed] == want[..fixed] && v >= &padded(&want)[..]
        }
        _ => {
            // Caret: the left-most non-zero component given stays fixed.
            let fixed = want.iter().position(|&n| n != 0).map_or(want.len(), |i| i + 1);
            v[..fixed] == want[..fixed] && v >= &padded(&want)[..]
        }
    }
}

fn padded(want: &[u64]) -> Vec<u64> {
    let mut p = want.to_vec();
    p.resize(3, 0);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements() {
        assert!(req_matches("1", "1.3.2"));
        assert!(!req_matches("1", "2.13.2"));
        assert!(req_matches("2", "2.13.2"));
        assert!(req_matches("^0.4", "0.4.3"));
        assert!(!req_matches("^0.4", "0.5.0"));
        assert!(req_matches("0.0.3", "0.0.3"));
        assert!(!req_matches("0.0.3", "0.0.4"));
        assert!(req_matches("~1.2", "1.2.9"));
        assert!(!req_matches("~1.2.3", "1.3.0"));
        assert!(!req_matches("~1.2.3", "1.2.2"));
        assert!(req_matches(">=1, <2", "1.9.0"));
        assert!(!req_matches(">=1, <2", "2.0.0"));
        assert!(req_matches("=1.0.3", "1.0.3"));
        assert!(!req_matches("=1.0.3", "1.0.4"));
        assert!(req_matches("1.*", "1.7.0"));
        assert!(req_matches("*", "9.0.0"));
        assert!(req_matches("0.11", "0.11.1+wasi-snapshot-preview1"));
        assert!(!req_matches(">1", "1.5.0"));
    }

    #[test]
    fn paths() {
        assert_eq!(normalize("crates/app", "../../vendor/helper"), "vendor/helper");
        assert_eq!(normalize("", "./a/./b/"), "a/b");
        assert_eq!(normalize("a", "../../x"), "../x");
        assert_eq!(normalize("", "..\\y"), "../y");
    }
}

//! `bun.lock`, bun's text lockfile (bun 1.1.39 with `--save-text-lockfile`, the default
//! since bun 1.2): JSON with trailing commas. `workspaces` maps each member's directory
//! (`""` for the top) to its name and dependency tables, so roots and their edge kinds come
//! from the lockfile itself. `packages` maps an install key (`name`, or `parent/name` for a
//! copy nested under `parent`) to `["name@version", registry, {dependencies…}, "sha512-…"]`;
//! a dependency resolves like `node_modules` lookup, from the innermost key outwards.
//! A package's `peerDependencies` make no edge (its parent provides them); an entry whose key
//! names another package than its ident (`"x": ["real@1.0.0", …]`) is an npm alias.

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Hash, Inventory, InventoryBuilder, Location, NodeRef, PackageId, PackageSource,
    RootId,
};
use serde_json::{Map, Value};

use crate::util::{self, LineIndex};
use crate::{ExtractError, Extractor, Source};

/// `lockfileVersion` 0 was written by bun 1.1.39 to 1.1.x, 1 by bun 1.2 and 1.3 (checked:
/// 1.2.23), 2 by bun 1.4 for new lockfiles (checked: 1.4.5). Version 2 has the same content as
/// 1; it only makes bun itself refuse some unsafe entries when installing. `configVersion`
/// (bun 1.3.2+) picks bun's install layout and does not change what is locked.
const SUPPORTED: &str = "lockfileVersion 0, 1 and 2";

/// Reads `bun.lock`.
pub(crate) struct BunLock;

impl Extractor for BunLock {
    fn id(&self) -> &'static str {
        "bun/lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "bun.lock"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let text = util::text(source.path, source.bytes)?;
        let json = strip_jsonc(text);
        let value: Value = serde_json::from_str(&json).map_err(|e| util::json_error(source.path, &e))?;
        build(self.id(), source.path, text, &value)
    }
}

/// Recognises `bun.lockb` to explain how to produce the text lockfile.
pub(crate) struct BunLockb;

impl Extractor for BunLockb {
    fn id(&self) -> &'static str {
        "bun/lockb"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "bun.lockb"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        Err(ExtractError::BunBinary { path: source.path.to_owned() })
    }
}

/// Blanks out comments and trailing commas with spaces, so that serde_json reads the rest
/// and its line:column positions still match the original text.
fn strip_jsonc(text: &str) -> String {
    let mut out = text.as_bytes().to_vec();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    let mut last_comma: Option<usize> = None;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(0);
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                last_comma = None;
            }
            b',' => last_comma = Some(i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes.get(i) != Some(&b'\n') {
                    blank(&mut out, i);
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                i += 2;
                while i < bytes.len() && !(bytes.get(i) == Some(&b'*') && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                let end = (i + 2).min(bytes.len());
                for j in start..end {
                    blank(&mut out, j);
                }
                i = end;
                continue;
            }
            b'}' | b']' => {
                if let Some(c) = last_comma.take() {
                    blank(&mut out, c);
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => last_comma = None,
        }
        i += 1;
    }
    // Only ASCII bytes outside strings were replaced by spaces (newlines kept), so this is
    // still UTF-8; a lossy conversion cannot change valid input.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn blank(out: &mut [u8], i: usize) {
    if let Some(b) = out.get_mut(i)
        && *b != b'\n'
        && b.is_ascii()
    {
        *b = b' ';
    }
}

/// Lines of the keys of the `packages` object (indented four spaces, one per line as bun writes them).
fn package_lines(text: &str) -> HashMap<String, Location> {
    let index = LineIndex::new(text);
    let mut lines = HashMap::new();
    let Some(start) = text.find("\n  \"packages\": {") else { return lines };
    let mut offset = start;
    for line in text.get(start..).unwrap_or_default().split_inclusive('\n') {
        if line.starts_with("    \"") {
            let mut de = serde_json::Deserializer::from_str(line.trim_start()).into_iter::<String>();
            if let Some(Ok(key)) = de.next() {
                // The key's opening quote, after the four-space indent.
                lines.insert(key, index.location(offset + 4));
            }
        }
        offset += line.len();
    }
    lines
}

/// Splits an install key into package names (`@scope/a/b` is `@scope/a`, `b`).
fn key_names(key: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = key;
    while !rest.is_empty() {
        let cut = if rest.starts_with('@') {
            rest.find('/').and_then(|s| rest.get(s + 1..).map(|r| r.find('/').map(|t| s + 1 + t)))
        } else {
            Some(rest.find('/'))
        };
        match cut.flatten() {
            Some(c) => {
                names.push(rest.get(..c).unwrap_or(rest));
                rest = rest.get(c + 1..).unwrap_or_default();
            }
            None => {
                names.push(rest);
                rest = "";
            }
        }
    }
    names
}

/// The package at install key `key`'s dependency `name`: the nearest `prefix/name` outwards.
fn lookup<'a>(packages: &'a HashMap<String, Resolved>, key: &[&str], name: &str) -> Option<&'a Resolved> {
    (0..=key.len()).rev().find_map(|n| {
        let mut candidate = key.get(..n).unwrap_or_default().join("/");
        if !candidate.is_empty() {
            candidate.push('/');
        }
        candidate.push_str(name);
        packages.get(&candidate)
    })
}

/// One `packages` entry: its key, package, line and dependency tables.
type Installed<'a> = (&'a str, PackageId, Option<u32>, Option<&'a Map<String, Value>>);

#[derive(Debug, Clone, Copy)]
enum Resolved {
    Package(PackageId),
    Workspace,
}

const TABLES: [(&str, DepKind); 4] = [
    ("dependencies", DepKind::Normal),
    ("devDependencies", DepKind::Dev),
    ("optionalDependencies", DepKind::Optional),
    ("peerDependencies", DepKind::Peer),
];

fn deps_of<'a>(
    path: &Utf8Path,
    key_path: &str,
    line: Option<u32>,
    obj: &'a Map<String, Value>,
) -> Result<Vec<(&'a str, &'a str, DepKind)>, ExtractError> {
    let mut deps = Vec::new();
    for (table, kind) in TABLES {
        let Some(t) = obj.get(table) else { continue };
        let Value::Object(t) = t else {
            return Err(util::schema(
                path,
                format!("{key_path}.{table}"),
                line,
                "an object",
                util::json_type(t),
            ));
        };
        for (name, range) in t {
            let Some(range) = range.as_str() else {
                return Err(util::schema(
                    path,
                    format!("{key_path}.{table}.{name}"),
                    line,
                    "a string",
                    util::json_type(range),
                ));
            };
            deps.push((name.as_str(), range, kind));
        }
    }
    Ok(deps)
}

fn build(id: &str, path: &Utf8Path, text: &str, value: &Value) -> Result<Inventory, ExtractError> {
    let Value::Object(top) = value else {
        return Err(util::schema(path, "(top)", Some(1), "an object", util::json_type(value)));
    };
    let version = match top.get("lockfileVersion") {
        Some(Value::Number(n)) if matches!(n.as_u64(), Some(0..=2)) => n.to_string(),
        Some(other) => {
            return Err(ExtractError::UnsupportedVersion {
                path: path.to_owned(),
                format: "bun.lock",
                found: other.to_string(),
                supported: SUPPORTED,
            });
        }
        None => return Err(util::schema(path, "lockfileVersion", None, "a number", "none")),
    };
    let mut b = InventoryBuilder::new(path.as_str(), id);
    b.format_version(version);
    let lines = package_lines(text);
    let empty = Map::new();
    let packages = match top.get("packages") {
        None => &empty,
        Some(Value::Object(p)) => p,
        Some(v) => return Err(util::schema(path, "packages", None, "an object", util::json_type(v))),
    };
    let mut resolved: HashMap<String, Resolved> = HashMap::with_capacity(packages.len());
    let mut infos: Vec<Installed<'_>> = Vec::new();
    let mut nodes: HashMap<(String, String, Option<String>), PackageId> = HashMap::new();
    for (key, entry) in packages {
        let location = lines.get(key).copied();
        let line = location.map(|l| l.line);
        let key_path = format!("packages.{key:?}");
        let Value::Array(items) = entry else {
            return Err(util::schema(path, key_path, line, "an array", util::json_type(entry)));
        };
        let Some(ident) = items.first().and_then(Value::as_str) else {
            return Err(util::schema(path, format!("{key_path}[0]"), line, "\"name@version\"", "none"));
        };
        let Some((name, version)) = split_ident(ident) else {
            return Err(util::schema(
                path,
                format!("{key_path}[0]"),
                line,
                "\"name@version\"",
                format!("`{ident}`"),
            ));
        };
        if version.starts_with("workspace:") {
            resolved.insert(key.clone(), Resolved::Workspace);
            continue;
        }
        // An aliased copy (`"x": ["real@1.0.0", …]`) is its own node, as in yarn 1, so that
        // `alias` says which install it is.
        let install_name = key_names(key).last().copied().unwrap_or(name);
        let alias = (install_name != name).then(|| install_name.to_owned());
        let node_key = (name.to_owned(), version.to_owned(), alias.clone());
        let pid = match nodes.get(&node_key) {
            Some(&pid) => pid,
            None => {
                let pid = b.distinct_package(Ecosystem::Npm, name, version);
                nodes.insert(node_key, pid);
                let pkg = b.get_mut(pid);
                pkg.alias = alias;
                pkg.location = location;
                pkg.source = source_of(version, items.get(1).and_then(Value::as_str));
                if let Some(sri) =
                    items.iter().skip(1).filter_map(Value::as_str).find(|s| s.starts_with("sha"))
                {
                    pkg.hashes = Hash::parse_sri(sri);
                }
                pid
            }
        };
        let info = items.iter().find_map(Value::as_object);
        let pkg = b.get_mut(pid);
        pkg.paths.push(key.clone());
        resolved.insert(key.clone(), Resolved::Package(pid));
        infos.push((key.as_str(), pid, line, info));
    }
    for (key, pid, line, info) in &infos {
        let Some(info) = info else { continue };
        let names = key_names(key);
        for (name, range, kind) in deps_of(path, &format!("packages.{key:?}[2]"), *line, info)? {
            if kind == DepKind::Peer {
                // Peers are satisfied by the dependent's parent; bun does not record which copy.
                continue;
            }
            if let Some(Resolved::Package(to)) = lookup(&resolved, &names, name) {
                b.edge(NodeRef::Package(*pid), *to, kind, Some(range));
            }
        }
    }
    let workspaces = match top.get("workspaces") {
        None => &empty,
        Some(Value::Object(w)) => w,
        Some(v) => return Err(util::schema(path, "workspaces", None, "an object", util::json_type(v))),
    };
    for (dir, ws) in workspaces {
        let key_path = format!("workspaces.{dir:?}");
        let Value::Object(ws) = ws else {
            return Err(util::schema(path, key_path, None, "an object", util::json_type(ws)));
        };
        let name = ws.get("name").and_then(Value::as_str).unwrap_or(dir.as_str());
        let version = ws.get("version").and_then(Value::as_str);
        let root: RootId = b.root(Ecosystem::Npm, name, version, dir);
        let prefix: Vec<&str> = if dir.is_empty() { Vec::new() } else { vec![name] };
        for (dep, range, kind) in deps_of(path, &key_path, None, ws)? {
            if let Some(Resolved::Package(to)) = lookup(&resolved, &prefix, dep) {
                b.edge(NodeRef::Root(root), *to, kind, Some(range));
            }
        }
    }
    b.infer_dev().infer_optional();
    Ok(b.finish())
}

/// Splits `name@version` at the `@` after the name.
fn split_ident(ident: &str) -> Option<(&str, &str)> {
    let at = ident.get(1..)?.find('@')? + 1;
    Some((ident.get(..at)?, ident.get(at + 1..)?))
}

fn source_of(version: &str, registry: Option<&str>) -> PackageSource {
    if let Some((protocol, rest)) = version.split_once(':') {
        return match protocol {
            "file" | "link" => PackageSource::Path { path: rest.to_owned() },
            "github" | "git+ssh" | "git+https" | "git" => {
                let (url, rev) = match version.split_once('#') {
                    Some((u, r)) => (u, Some(r.to_owned())),
                    None => (version, None),
                };
                PackageSource::Git { url: url.to_owned(), rev }
            }
            "http" | "https" => PackageSource::Url { url: version.to_owned() },
            _ => PackageSource::Unknown,
        };
    }
    // An empty registry means the default registry; bun records no tarball URL for it.
    PackageSource::Registry { url: registry.filter(|r| !r.is_empty()).map(str::to_owned) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonc_keeps_positions() {
        let text = "{\n  // c\n  \"a\": [1, 2,],\n}";
        let stripped = strip_jsonc(text);
        assert_eq!(stripped.len(), text.len());
        let v: Value = serde_json::from_str(&stripped).unwrap();
        assert_eq!(v["a"][1], 2);
    }

    #[test]
    fn install_keys() {
        assert_eq!(key_names("@s/a/b/@t/c"), ["@s/a", "b", "@t/c"]);
        assert_eq!(key_names("a"), ["a"]);
    }
}

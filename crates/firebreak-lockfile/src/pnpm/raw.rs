//! The YAML layer: serde types for every supported `lockfileVersion`, the alias guard,
//! and the line of each `packages`/`snapshots` key (YAML parsers keep no spans).

use std::collections::{BTreeMap, HashMap};

use camino::Utf8Path;
use serde::Deserialize;

use crate::ExtractError;
use crate::util::{self, LineIndex};

/// The formats read, for the unsupported-version message.
pub(super) const SUPPORTED: &str = "5.4 (pnpm 7), 6.0 (pnpm 8) and 9.0 (pnpm 9 and 10)";

/// The lockfile layouts, which differ in key syntax and in where edges live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// `lockfileVersion: 5.4`: keys `/name/1.0.0_peer@2.0.0`, importer values are bare
    /// versions with a separate `specifiers` map.
    V5,
    /// `lockfileVersion: '6.0'`: keys `/name@1.0.0(peer@2.0.0)`, importer values are
    /// `{specifier, version}`.
    V6,
    /// `lockfileVersion: '9.0'`: `packages` holds metadata under `name@1.0.0`, `snapshots`
    /// holds dependency edges under `name@1.0.0(peer@2.0.0)`; no leading slash.
    V9,
}

impl Format {
    pub(super) fn label(self) -> &'static str {
        match self {
            Format::V5 => "5.4",
            Format::V6 => "6.0",
            Format::V9 => "9.0",
        }
    }
}

/// `lockfileVersion` is a YAML number in v5 (`5.4`) and a quoted string since v6.
#[derive(Deserialize)]
#[serde(untagged)]
enum VersionValue {
    Number(f64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionProbe {
    lockfile_version: Option<VersionValue>,
}

/// A dependency as an importer lists it: a bare version (v5) or `{specifier, version}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum ImporterDep {
    Plain(String),
    Spec { specifier: String, version: String },
}

/// One project of the workspace (or, without `importers`, the lockfile's top level).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Importer {
    #[serde(default)]
    pub(super) specifiers: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) dependencies: BTreeMap<String, ImporterDep>,
    #[serde(default)]
    pub(super) dev_dependencies: BTreeMap<String, ImporterDep>,
    #[serde(default)]
    pub(super) optional_dependencies: BTreeMap<String, ImporterDep>,
}

/// `resolution`: where the bytes come from.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Resolution {
    pub(super) integrity: Option<String>,
    pub(super) tarball: Option<String>,
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) repo: Option<String>,
    pub(super) commit: Option<String>,
    pub(super) directory: Option<String>,
}

/// A `packages` entry (metadata, and in v5/v6 also the edges) or a v9 `snapshots` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Entry {
    pub(super) resolution: Option<Resolution>,
    pub(super) name: Option<String>,
    pub(super) version: Option<String>,
    #[serde(default)]
    pub(super) dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) optional_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) peer_dependencies: BTreeMap<String, String>,
    pub(super) dev: Option<bool>,
    pub(super) optional: Option<bool>,
}

/// The whole file, in the union of the supported layouts.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Lockfile {
    pub(super) importers: Option<BTreeMap<String, Importer>>,
    #[serde(default)]
    pub(super) specifiers: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) dependencies: BTreeMap<String, ImporterDep>,
    #[serde(default)]
    pub(super) dev_dependencies: BTreeMap<String, ImporterDep>,
    #[serde(default)]
    pub(super) optional_dependencies: BTreeMap<String, ImporterDep>,
    #[serde(default)]
    pub(super) packages: BTreeMap<String, Entry>,
    #[serde(default)]
    pub(super) snapshots: BTreeMap<String, Entry>,
}

impl Lockfile {
    /// The importers; a single-project lockfile (no `importers`) is the importer `.`.
    pub(super) fn take_importers(&mut self) -> BTreeMap<String, Importer> {
        match self.importers.take() {
            Some(importers) => importers,
            None => {
                let top = Importer {
                    specifiers: std::mem::take(&mut self.specifiers),
                    dependencies: std::mem::take(&mut self.dependencies),
                    dev_dependencies: std::mem::take(&mut self.dev_dependencies),
                    optional_dependencies: std::mem::take(&mut self.optional_dependencies),
                };
                BTreeMap::from([(".".to_owned(), top)])
            }
        }
    }
}

/// Parses the text: alias guard, version check, then the typed document.
pub(super) fn parse(path: &Utf8Path, text: &str) -> Result<(Format, Lockfile), ExtractError> {
    if text.trim().is_empty() {
        return Err(util::schema(path, "lockfileVersion", None, "a pnpm lockfile", "an empty file"));
    }
    precheck(path, text)?;
    let probe: VersionProbe = serde_norway::from_str(text).map_err(|e| yaml_error(path, &e))?;
    let format = match probe.lockfile_version {
        None => {
            return Err(util::schema(path, "lockfileVersion", None, "a lockfile version", "nothing"));
        }
        Some(VersionValue::Number(5.4)) => Format::V5,
        Some(VersionValue::Text(s)) if s == "5.4" => Format::V5,
        Some(VersionValue::Text(s)) if s == "6.0" => Format::V6,
        Some(VersionValue::Text(s)) if s == "9.0" => Format::V9,
        Some(other) => {
            return Err(ExtractError::UnsupportedVersion {
                path: path.to_owned(),
                format: "pnpm-lock.yaml",
                found: match other {
                    VersionValue::Number(n) => n.to_string(),
                    VersionValue::Text(s) => s,
                },
                supported: SUPPORTED,
            });
        }
    };
    let lock: Lockfile = serde_norway::from_str(text).map_err(|e| yaml_error(path, &e))?;
    Ok((format, lock))
}

/// A YAML error: a value of the wrong type becomes a schema error at its key path
/// (serde_norway prefixes such messages with the path, `packages./a@1.0.0.dev: invalid
/// type: …`); anything else is a located syntax error.
fn yaml_error(path: &Utf8Path, e: &serde_norway::Error) -> ExtractError {
    let message = e.to_string();
    let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
    let (key_path, detail) = match message.split_once(": ") {
        Some((key, rest)) if !key.contains(' ') => (key, rest),
        _ => ("", message),
    };
    let line = e.location().map(|l| l.line() as u32);
    let key_path = if key_path.is_empty() { "(document)" } else { key_path };
    if let Some(rest) =
        detail.strip_prefix("invalid type: ").or_else(|| detail.strip_prefix("invalid value: "))
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        let expected = if expected.starts_with("struct ") { "a mapping" } else { expected };
        return util::schema(path, key_path, line, expected, found);
    }
    if detail.starts_with("data did not match any variant of untagged enum ImporterDep") {
        return util::schema(
            path,
            key_path,
            line,
            "a version string or a `{specifier, version}` mapping for each dependency",
            "another value",
        );
    }
    if detail.starts_with("data did not match any variant of untagged enum VersionValue") {
        // Only `lockfileVersion` has this type; serde loses the path inside untagged enums.
        return util::schema(path, "lockfileVersion", line, "a number or a string", "another value");
    }
    if let Some(field) = detail.strip_prefix("missing field ") {
        return util::schema(path, key_path, line, format!("the field {field}"), "nothing");
    }
    util::yaml_error(path, e)
}

/// Deepest flow-collection nesting (`[` / `{`) accepted. pnpm writes flow collections
/// one level deep (`resolution: {integrity: …}`, `cpu: [x64]`).
const MAX_FLOW_DEPTH: u32 = 32;

/// Refuses, before parsing, the two YAML constructs whose cost is not linear in the
/// file's size; pnpm writes neither.
///
/// - Aliases (`*name`): a parser replays an aliased subtree at every use, so a small file
///   of nested aliases (a "billion laughs") expands into a huge tree. serde_norway caps
///   replays at 100 per event, but a large anchored subtree times that cap is still
///   quadratic work (a 1 MB document of 200,000 aliases to a 200,000-item list ran for
///   over two minutes).
/// - Deeply nested flow collections: libyaml checks every open flow level at every token,
///   so `[[[[…]]]]` 20,000 deep takes seconds and 100,000 deep minutes, long before
///   serde's recursion limit applies (the parser reads the whole file first).
///
/// The scan is lexical, one line at a time: a `*`, `[` or `{` counts where a node starts
/// (at the start of a line's content, or after `: `, `- `, `[`, `{` or `,`) and outside
/// quotes that open on that line. pnpm quotes every scalar that starts with `*` or a
/// bracket, so the files it writes never trip it. Being lexical, it is a guard against
/// bombs, not a YAML validator: a document crafted to desynchronise it (flow collections
/// interleaved with multi-line quoted scalars) could still nest deeper.
fn precheck(path: &Utf8Path, text: &str) -> Result<(), ExtractError> {
    let refuse = |number: usize, line: &str, i: usize, message: String| ExtractError::Syntax {
        path: path.to_owned(),
        line: number as u32 + 1,
        column: line.get(..i).map_or(1, |l| l.chars().count() as u32 + 1),
        message,
    };
    let mut depth: u32 = 0;
    for (number, line) in text.lines().enumerate() {
        if !line.contains(['*', '[', '{', ']', '}']) {
            continue;
        }
        let bytes = line.as_bytes();
        let mut quote: Option<u8> = None;
        let mut node_start = true;
        for (i, &b) in bytes.iter().enumerate() {
            if let Some(q) = quote {
                if b == q {
                    quote = None;
                    node_start = false;
                }
                continue;
            }
            match b {
                b'\'' | b'"' if node_start => quote = Some(b),
                b'#' if node_start || i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' => break,
                b'*' if node_start && bytes.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) => {
                    return Err(refuse(
                        number,
                        line,
                        i,
                        "YAML aliases (`*name`) are not allowed: pnpm never writes them, and \
                         expanding them can take unbounded memory"
                            .to_owned(),
                    ));
                }
                b' ' | b'\t' => {}
                b'[' | b'{' => {
                    if node_start {
                        depth += 1;
                        if depth > MAX_FLOW_DEPTH {
                            return Err(refuse(
                                number,
                                line,
                                i,
                                format!(
                                    "flow collections (`[`, `{{`) nested more than {MAX_FLOW_DEPTH} deep; \
                                     pnpm writes them one level deep"
                                ),
                            ));
                        }
                    }
                    node_start = true;
                }
                b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    node_start = false;
                }
                b',' => node_start = true,
                b':' | b'-' => {
                    node_start = bytes.get(i + 1).is_none_or(|c| *c == b' ' || *c == b'\t');
                }
                _ => node_start = false,
            }
        }
    }
    Ok(())
}

/// The line of every key directly under the top-level `packages:` and `snapshots:`
/// mappings, found in one pass over the text. pnpm indents those keys by two spaces and
/// quotes them with `'…'` when needed; other spellings simply get no line.
pub(super) struct KeyLines {
    packages: HashMap<String, u32>,
    snapshots: HashMap<String, u32>,
}

impl KeyLines {
    pub(super) fn scan(text: &str) -> Self {
        let lines = LineIndex::new(text);
        let mut packages = HashMap::new();
        let mut snapshots = HashMap::new();
        let mut section: Option<&mut HashMap<String, u32>> = None;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let content = line.trim_end_matches(['\n', '\r']);
            if !content.starts_with([' ', '\t', '#']) && !content.is_empty() {
                section = match content.trim_end() {
                    "packages:" => Some(&mut packages),
                    "snapshots:" => Some(&mut snapshots),
                    _ => None,
                };
                continue;
            }
            let Some(map) = section.as_deref_mut() else { continue };
            let Some(rest) = content.strip_prefix("  ") else { continue };
            if rest.starts_with([' ', '\t', '#']) {
                continue;
            }
            if let Some(key) = key_of(rest) {
                map.entry(key).or_insert_with(|| lines.line(start));
            }
        }
        KeyLines { packages, snapshots }
    }

    pub(super) fn package(&self, key: &str) -> Option<u32> {
        self.packages.get(key).copied()
    }

    pub(super) fn snapshot(&self, key: &str) -> Option<u32> {
        self.snapshots.get(key).copied()
    }
}

/// The key of a `key:` / `'key':` / `"key":` line (value after the colon ignored).
fn key_of(rest: &str) -> Option<String> {
    if let Some(quoted) = rest.strip_prefix('\'') {
        // '' is an escaped quote inside single quotes.
        let mut key = String::new();
        let mut chars = quoted.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    key.push('\'');
                } else {
                    return chars.next().filter(|&c| c == ':').map(|_| key);
                }
            } else {
                key.push(c);
            }
        }
        None
    } else if let Some(quoted) = rest.strip_prefix('"') {
        let (key, after) = quoted.split_once('"')?;
        after.starts_with(':').then(|| key.to_owned())
    } else {
        // A plain key ends at the first `: ` or a trailing `:`.
        let end = rest.find(": ").or_else(|| rest.trim_end().strip_suffix(':').map(str::len))?;
        Some(rest[..end].to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines() {
        let text = "lockfileVersion: '9.0'\n\npackages:\n\n  a@1.0.0:\n    resolution: {}\n  '@s/b@2.0.0':\n    x: 1\n\nsnapshots:\n\n  a@1.0.0(b@2.0.0): {}\n  'it''s@1.0.0': {}\n";
        let k = KeyLines::scan(text);
        assert_eq!(k.package("a@1.0.0"), Some(5));
        assert_eq!(k.package("@s/b@2.0.0"), Some(7));
        assert_eq!(k.package("resolution"), None);
        assert_eq!(k.snapshot("a@1.0.0(b@2.0.0)"), Some(12));
        assert_eq!(k.snapshot("it's@1.0.0"), Some(13));
    }

    #[test]
    fn aliases_are_found_outside_quotes_only() {
        let p = Utf8Path::new("pnpm-lock.yaml");
        assert!(
            precheck(p, "a: '*'\nb: \"*x\"\nc: x*y\nd: [1, '*']\n# *x\ne: {a: '[[[[', b: x # [[[\n").is_ok()
        );
        let err = precheck(p, "a: &a [1]\nb:\n  - *a\n").unwrap_err();
        assert!(matches!(err, ExtractError::Syntax { line: 3, column: 5, .. }), "{err:?}");
        assert!(precheck(p, "x: [*a, 1]\n").is_err());
        assert!(precheck(p, "*a : 1\n").is_err());
    }

    #[test]
    fn flow_depth_is_bounded() {
        let p = Utf8Path::new("pnpm-lock.yaml");
        let ok = format!("a: {}{}\n", "[".repeat(32), "]".repeat(32));
        assert!(precheck(p, &ok.repeat(1000)).is_ok(), "depth returns to zero after each collection");
        let deep = format!("a: {}{}\n", "[".repeat(33), "]".repeat(33));
        let err = precheck(p, &deep).unwrap_err();
        assert!(matches!(err, ExtractError::Syntax { line: 1, column: 36, .. }), "{err:?}");
        let multiline = "a:\n".to_owned() + &"  - [\n".repeat(40);
        assert!(precheck(p, &multiline).is_err(), "nesting across lines counts too");
    }
}

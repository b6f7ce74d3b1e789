//! `package-lock.json` and `npm-shrinkwrap.json` (the same format under another name):
//! lockfileVersion 1 (a nested `dependencies` tree with `requires`), 2 (both trees; the
//! flat `packages` map is read) and 3 (`packages` only).
//!
//! The file is deserialized straight into borrowed, typed structs; the `dependencies`
//! tree of a v2 file is skipped unread. Dependencies are resolved the way node resolves
//! `require`: from the dependent's install path, the nearest `node_modules/<name>`
//! walking up, looked up in a map from install path to entry, so a 100,000-package
//! lockfile costs a few hash lookups per edge. See
//! <https://docs.npmjs.com/cli/configuring-npm/package-lock-json>.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use camino::Utf8Path;
use firebreak_core::{
    DepKind, Ecosystem, Hash, Inventory, InventoryBuilder, Location, NodeRef, PackageId, PackageSource,
    RootId,
};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

// NOTE: foldhash rather than std's SipHash for the path and name@version maps: SipHash
// was 6.5 % of a 100,000-package extraction, and foldhash is still seeded per process,
// so a hostile lockfile cannot aim its keys at one bucket.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

use crate::util;
use crate::{ExtractError, Extractor, Source};

/// Reads `package-lock.json` and `npm-shrinkwrap.json`.
pub(crate) struct PackageLock;

impl Extractor for PackageLock {
    fn id(&self) -> &'static str {
        "npm/package-lock"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        matches!(crate::file_name(path), "package-lock.json" | "npm-shrinkwrap.json")
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let text = util::text(source.path, source.bytes)?;
        let lock: Lockfile<'_> = parse(source.path, text)?;
        let mut builder = InventoryBuilder::new(source.path.as_str(), self.id());
        // The parsed document is dropped before `finish` builds the graph, so the two
        // never sit in memory together.
        match lock.version {
            Some(1) => {
                builder.format_version("1");
                V1 { builder: &mut builder, locator: Locator::new(text), dedup: Dedup::default() }
                    .build(source, &lock)
            }
            Some(v @ (2 | 3)) => {
                builder.format_version(v.to_string());
                build_packages(&mut builder, text, &lock);
            }
            // `parse` has refused every other version already.
            _ => check_version(source.path, &lock)?,
        }
        drop(lock);
        Ok(builder.finish())
    }
}

/// The versions npm has written, for the unsupported-version message.
const SUPPORTED: &str = "lockfileVersion 1, 2 and 3";

/// Parses the document; type errors are re-run through a path-tracking deserializer so the
/// message names the key (`packages."node_modules/a".version`) as well as the line.
fn parse<'a>(path: &Utf8Path, text: &'a str) -> Result<Lockfile<'a>, ExtractError> {
    match serde_json::from_str::<Lockfile<'a>>(text) {
        Ok(lock) => {
            check_version(path, &lock)?;
            Ok(lock)
        }
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            Err(located_data_error(path, text, &e))
        }
        Err(e) => Err(util::json_error(path, &e)),
    }
}

fn check_version(path: &Utf8Path, lock: &Lockfile<'_>) -> Result<(), ExtractError> {
    match &lock.version_raw {
        None => Err(util::schema(path, "lockfileVersion", None, "the integer 1, 2 or 3", "nothing")),
        Some(_) if matches!(lock.version, Some(1..=3)) => Ok(()),
        Some(raw) => Err(ExtractError::UnsupportedVersion {
            path: path.to_owned(),
            format: "package-lock.json",
            found: raw.to_string(),
            supported: SUPPORTED,
        }),
    }
}

fn located_data_error(path: &Utf8Path, text: &str, e: &serde_json::Error) -> ExtractError {
    let mut de = serde_json::Deserializer::from_str(text);
    let key_path = match serde_path_to_error::deserialize::<_, Lockfile<'_>>(&mut de) {
        Err(err) => key_path(err.path()),
        Ok(_) => String::new(),
    };
    let message = e.to_string();
    let message = message.rfind(" at line ").map_or(message.as_str(), |i| &message[..i]);
    let (expected, found) = split_serde_message(message);
    util::schema(
        path,
        if key_path.is_empty() { "(top level)".to_owned() } else { key_path },
        Some(e.line() as u32),
        expected,
        found,
    )
}

/// serde's "invalid type: integer `5`, expected a string" as ("a string", "integer `5`").
fn split_serde_message(message: &str) -> (String, String) {
    let body = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: "));
    match body.and_then(|b| b.split_once(", expected ")) {
        Some((found, expected)) => (expected.to_owned(), found.to_owned()),
        None => ("a valid value".to_owned(), message.to_owned()),
    }
}

/// `packages."node_modules/a".version`: keys that are not plain identifiers are quoted.
fn key_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    out.push_str(key);
                } else {
                    out.push_str(&format!("{key:?}"));
                }
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

/// A JSON object read into a vector, keeping the file's order (so package ids, and the
/// forward scan for entry lines, follow the document).
struct Ordered<K, V>(Vec<(K, V)>);

impl<K, V> Default for Ordered<K, V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Ordered<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<K, V> {
            type Value = Ordered<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some((k, v)) = map.next_entry()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}

/// A string of the document: borrowed from the text, or owned when it was written with
/// escapes. serde's own `Cow<str>` impl copies every string (only a bare `Cow` field marked
/// `#[serde(borrow)]` borrows, not one inside an `Option` or a map), which was one
/// allocation per install path, name, version, URL, digest and requested range.
#[derive(PartialEq, Eq)]
struct Str<'a>(Cow<'a, str>);

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Str<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for StrVisitor<'a> {
            type Value = Str<'a>;
            // The same words as `String`'s visitor, so type errors read as they always did.
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor(PhantomData))
    }
}

type DepMap<'a> = Ordered<Str<'a>, Str<'a>>;

/// One entry of the v2/v3 `packages` map (the root `""`, a workspace member or folder, an
/// installed package, or a link to a folder).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Entry<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    version: Option<Str<'a>>,
    #[serde(borrow)]
    resolved: Option<Str<'a>>,
    #[serde(borrow)]
    integrity: Option<Str<'a>>,
    link: bool,
    dev: bool,
    optional: bool,
    dev_optional: bool,
    peer: bool,
    in_bundle: bool,
    #[serde(borrow)]
    dependencies: DepMap<'a>,
    #[serde(borrow)]
    dev_dependencies: DepMap<'a>,
    #[serde(borrow)]
    optional_dependencies: DepMap<'a>,
    #[serde(borrow)]
    peer_dependencies: DepMap<'a>,
    /// Read only on the root entry: the member globs.
    workspaces: Option<Workspaces>,
}

/// `workspaces`: an array of globs, or yarn's `{ "packages": [...] }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Workspaces {
    List(Vec<String>),
    Object {
        #[serde(default)]
        packages: Vec<String>,
    },
}

/// One node of the v1 `dependencies` tree.
#[derive(Deserialize, Default)]
#[serde(default)]
struct V1Dep<'a> {
    #[serde(borrow)]
    version: Option<Str<'a>>,
    #[serde(borrow)]
    resolved: Option<Str<'a>>,
    #[serde(borrow)]
    integrity: Option<Str<'a>>,
    dev: bool,
    optional: bool,
    bundled: bool,
    #[serde(borrow)]
    requires: DepMap<'a>,
    #[serde(borrow)]
    dependencies: Ordered<Str<'a>, V1Dep<'a>>,
}

/// The document. `dependencies` is read only when it is the tree that matters (v1):
/// npm writes `lockfileVersion` first, so a v2 file's copy is skipped unparsed.
#[derive(Default)]
struct Lockfile<'a> {
    name: Option<Str<'a>>,
    root_version: Option<Str<'a>>,
    version_raw: Option<serde_json::Value>,
    version: Option<i64>,
    packages: Option<Ordered<Str<'a>, Entry<'a>>>,
    dependencies: Option<Ordered<Str<'a>, V1Dep<'a>>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Lockfile<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LockVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for LockVisitor<'a> {
            type Value = Lockfile<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a package-lock.json object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut lock = Lockfile::default();
                while let Some(key) = map.next_key::<Str<'de>>()? {
                    match key.as_ref() {
                        "name" => lock.name = map.next_value::<Option<Str<'de>>>()?,
                        "version" => lock.root_version = map.next_value::<Option<Str<'de>>>()?,
                        "lockfileVersion" => {
                            let v: serde_json::Value = map.next_value()?;
                            lock.version = v.as_i64();
                            lock.version_raw = Some(v);
                        }
                        "packages" => lock.packages = Some(map.next_value()?),
                        "dependencies" if matches!(lock.version, Some(2..)) => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        "dependencies" => lock.dependencies = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(lock)
            }
        }
        deserializer.deserialize_map(LockVisitor(PhantomData))
    }
}

/// Finds the line of each entry by scanning forward for its quoted key followed by `{`.
/// Entries are visited in document order, so the whole file is scanned once; after a few
/// misses (keys written with escapes, hand-edited files) it gives up rather than rescan.
struct Locator<'t> {
    text: &'t [u8],
    cursor: usize,
    line: u32,
    misses: u32,
    /// The quoted key being searched for, kept to reuse its allocation.
    needle: Vec<u8>,
}

impl<'t> Locator<'t> {
    fn new(text: &'t str) -> Self {
        Locator { text: text.as_bytes(), cursor: 0, line: 1, misses: 0, needle: Vec::new() }
    }

    fn find(&mut self, key: &str) -> Option<Location> {
        if self.misses > 8 {
            return None;
        }
        let Some(start) = self.next_key(key) else {
            self.misses += 1;
            return None;
        };
        let text = self.text;
        let skipped = text.get(self.cursor..start).unwrap_or(&[]);
        self.line += memchr::memchr_iter(b'\n', skipped).count() as u32;
        self.cursor = start;
        let line_start = text.get(..start).and_then(|t| memchr::memrchr(b'\n', t)).map_or(0, |p| p + 1);
        let column =
            text.get(line_start..start).map_or(0, |t| t.iter().filter(|&&b| (b & 0xC0) != 0x80).count());
        Some(Location { line: self.line, column: column as u32 + 1 })
    }

    /// The offset of the next `"key"` followed by `:` and `{`, from the cursor on.
    fn next_key(&mut self, key: &str) -> Option<usize> {
        // An empty key would match every `""`; an entry is never keyed so but the root.
        if key.is_empty() {
            return None;
        }
        self.needle.clear();
        self.needle.push(b'"');
        self.needle.extend_from_slice(key.as_bytes());
        self.needle.push(b'"');
        // One vectorised substring search per entry: hopping from quote to quote cost a
        // call per string of the previous entry, and a byte loop before that was a sixth
        // of the whole extraction.
        let finder = memchr::memmem::Finder::new(&self.needle);
        let text = self.text;
        let mut from = self.cursor;
        while let Some(found) = text.get(from..).and_then(|rest| finder.find(rest)) {
            let start = from + found;
            // Searching on from the next byte, not past the match: `"a"a"` holds `"a"` twice.
            from = start + 1;
            let after = text.get(start + self.needle.len()..).unwrap_or(&[]).trim_ascii_start();
            if after.strip_prefix(b":").is_some_and(|v| v.trim_ascii_start().starts_with(b"{")) {
                return Some(start);
            }
        }
        None
    }
}

/// One package per `name@version`, found by borrowed keys (the builder's own index would
/// copy both strings for every entry).
#[derive(Default)]
struct Dedup<'a> {
    ids: HashMap<(&'a str, &'a str), PackageId>,
}

impl<'a> Dedup<'a> {
    fn with_capacity(n: usize) -> Self {
        Dedup { ids: HashMap::with_capacity_and_hasher(n, Default::default()) }
    }

    fn package(&mut self, builder: &mut InventoryBuilder, name: &'a str, version: &'a str) -> PackageId {
        *self
            .ids
            .entry((name, version))
            .or_insert_with(|| builder.distinct_package(Ecosystem::Npm, name, version))
    }
}

/// Splits an install path into the directory holding its `node_modules` and the name
/// installed there (`a/node_modules/@s/b` -> `("a", "@s/b")`); `None` for a folder path.
/// Byte searches only: this runs for every step of every dependency lookup.
fn split_install(path: &str) -> Option<(&str, &str)> {
    const NM: &str = "node_modules";
    let last = last_slash(path)?;
    let mut head = &path[..last];
    let mut name_start = last + 1;
    if !head.ends_with(NM) {
        // A scoped name: `node_modules/@scope/name`.
        let scope_at = last_slash(head).map_or(0, |i| i + 1);
        if !head[scope_at..].starts_with('@') || scope_at == 0 {
            return None;
        }
        name_start = scope_at;
        head = &head[..scope_at - 1];
        if !head.ends_with(NM) {
            return None;
        }
    }
    let parent = &head[..head.len() - NM.len()];
    if !(parent.is_empty() || parent.ends_with('/')) {
        return None;
    }
    Some((parent.strip_suffix('/').unwrap_or(parent), &path[name_start..]))
}

/// The name a package is installed under: the part of its path after the last
/// `node_modules/` (with its scope), or a folder's last segment.
fn install_name(path: &str) -> &str {
    match split_install(path) {
        Some((_, name)) => name,
        None => path.rsplit('/').next().unwrap_or(path),
    }
}

/// Whether `path` is a folder of the project (a workspace member or a `file:` directory)
/// rather than something installed under `node_modules`.
fn is_folder(path: &str) -> bool {
    !path.starts_with("node_modules/") && !path.contains("/node_modules/")
}

/// The directory whose `node_modules` node searches next, above `dir`: an installed
/// package's parent is the directory holding its `node_modules`; a folder's is the folder
/// above it.
fn parent_dir(dir: &str) -> Option<&str> {
    if dir.is_empty() {
        return None;
    }
    if let Some((parent, _)) = split_install(dir) {
        return Some(parent);
    }
    Some(last_slash(dir).map_or("", |i| &dir[..i]))
}

/// `path.rfind('/')` as a plain byte loop: the char searcher behind `rfind` cost more than
/// the short install paths it scans, several times per dependency lookup. A `/` byte is
/// always a whole character in UTF-8, so the index is the same.
fn last_slash(path: &str) -> Option<usize> {
    path.as_bytes().iter().rposition(|&b| b == b'/')
}

/// Install paths and what they stand for, with node's lookup over them.
struct Resolver<'a, T> {
    index: HashMap<&'a str, T>,
    /// Directories below the top that have a `node_modules` of their own. Most packages
    /// have none, so checking this small set first skips most lookups in the big map.
    nested: HashSet<&'a str>,
}

impl<'a, T: Copy> Resolver<'a, T> {
    fn with_capacity(n: usize) -> Self {
        Resolver {
            index: HashMap::with_capacity_and_hasher(n, Default::default()),
            nested: HashSet::default(),
        }
    }

    fn insert(&mut self, path: &'a str, node: T) {
        if let Some((parent, _)) = split_install(path)
            && !parent.is_empty()
        {
            self.nested.insert(parent);
        }
        self.index.insert(path, node);
    }

    /// Node's lookup: `dir/node_modules/name`, then the same from each directory above.
    fn resolve(&self, buf: &mut String, from: &str, name: &str) -> Option<T> {
        let mut dir = Some(from);
        while let Some(d) = dir {
            if d.is_empty() || self.nested.contains(d) {
                buf.clear();
                if !d.is_empty() {
                    buf.push_str(d);
                    buf.push('/');
                }
                buf.push_str("node_modules/");
                buf.push_str(name);
                if let Some(&hit) = self.index.get(buf.as_str()) {
                    return Some(hit);
                }
            }
            dir = parent_dir(d);
        }
        None
    }
}

/// Where a package's bytes come from, from `resolved` (and `link`).
fn source_of(resolved: Option<&str>, name: &str, version: &str, folder: Option<&str>) -> PackageSource {
    if let Some(key) = folder {
        // A project folder (a `file:` directory): its key is its path.
        return PackageSource::Path { path: key.to_owned() };
    }
    let Some(r) = resolved else {
        return PackageSource::Registry { url: None };
    };
    if let Some(p) = r.strip_prefix("file:") {
        return PackageSource::Path { path: p.to_owned() };
    }
    if r.starts_with("git+") || r.starts_with("git://") || r.starts_with("github:") {
        let (url, rev) = match r.split_once('#') {
            Some((u, rev)) => (u, Some(rev.to_owned())),
            None => (r, None),
        };
        return PackageSource::Git { url: url.strip_prefix("git+").unwrap_or(url).to_owned(), rev };
    }
    if r.starts_with("http://") || r.starts_with("https://") {
        // A registry tarball is `<registry>/<name>/-/<basename>-<version>.tgz`; anything
        // else is a plain remote archive.
        // Matched piece by piece from the end rather than formatting the expected tail,
        // which cost an allocation per package.
        let basename = name.rsplit('/').next().unwrap_or(name);
        let registry = r
            .strip_suffix(".tgz")
            .and_then(|r| r.strip_suffix(version))
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|r| r.strip_suffix(basename))
            .and_then(|r| r.strip_suffix("/-/"))
            .and_then(|r| r.strip_suffix(name))
            .is_some_and(|r| r.ends_with('/'));
        return if registry {
            PackageSource::Registry { url: Some(r.to_owned()) }
        } else {
            PackageSource::Url { url: r.to_owned() }
        };
    }
    PackageSource::Path { path: r.to_owned() }
}

/// Whether a member glob (`packages/*`, `apps/**`) matches a folder path. The globs come
/// from the file, so matching stays polynomial: a pattern with more than a few `**` never
/// matches, and `*` within a segment is matched greedily with one backtrack point.
fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
    let mut pats: Vec<&str> = pattern.split('/').collect();
    pats.dedup_by(|a, b| *a == "**" && *b == "**");
    if pats.iter().filter(|p| **p == "**").count() > 3 {
        return false;
    }
    let segs: Vec<&str> = path.split('/').collect();
    fn go(p: &[&str], s: &[&str]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((&"**", rest)) => (0..=s.len()).any(|k| s.get(k..).is_some_and(|tail| go(rest, tail))),
            Some((first, rest)) => {
                s.split_first().is_some_and(|(seg, srest)| segment_matches(first, seg) && go(rest, srest))
            }
        }
    }
    go(&pats, &segs)
}

/// `*` wildcards within one path segment (the classic linear-backtracking matcher).
fn segment_matches(pattern: &str, segment: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), segment.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&b| b == b'*'))
}

/// What an install path stands for.
#[derive(Clone, Copy)]
enum Node {
    /// The project root or a workspace member.
    Root(RootId, usize),
    /// An entry that became a package.
    Package(PackageId),
}

/// Records one more path of a package: the first sets its flags, source and hashes; later
/// copies can only make it less dev, less optional, less peer.
#[expect(clippy::too_many_arguments, reason = "one call site per format, each passing its own fields")]
fn add_path(
    builder: &mut InventoryBuilder,
    id: PackageId,
    path: &str,
    flags: (bool, bool, bool, bool),
    source: impl FnOnce() -> PackageSource,
    integrity: Option<&str>,
    location: Option<Location>,
    alias: Option<&str>,
) {
    let (dev, optional, peer, bundled) = flags;
    let p = builder.get_mut(id);
    if p.paths.is_empty() {
        p.flags.dev = dev;
        p.flags.optional = optional;
        p.flags.peer = peer;
        p.flags.bundled = bundled;
        p.source = source();
        p.hashes = integrity.map(Hash::parse_sri).unwrap_or_default();
        p.location = location;
        p.alias = alias.map(str::to_owned);
        // Most packages have a single path: an exact fit rather than `push`'s room for four.
        p.paths.reserve_exact(1);
    } else {
        p.flags.dev &= dev;
        p.flags.optional &= optional;
        p.flags.peer &= peer;
        p.flags.bundled |= bundled;
    }
    p.paths.push(path.to_owned());
}

/// lockfileVersion 2 and 3: the flat `packages` map keyed by install path.
fn build_packages(builder: &mut InventoryBuilder, text: &str, lock: &Lockfile<'_>) {
    let empty = Ordered::default();
    let entries = lock.packages.as_ref().unwrap_or(&empty);
    let mut locator = Locator::new(text);
    let mut dedup = Dedup::with_capacity(entries.0.len());
    let edges: usize = entries
        .0
        .iter()
        .map(|(_, e)| e.dependencies.0.len() + e.optional_dependencies.0.len() + e.peer_dependencies.0.len())
        .sum();
    builder.reserve(entries.0.len(), edges);
    let root_entry = entries.0.iter().find(|(k, _)| k.is_empty()).map(|(_, e)| e);
    let globs: Vec<&str> = match root_entry.and_then(|e| e.workspaces.as_ref()) {
        Some(Workspaces::List(l)) | Some(Workspaces::Object { packages: l }) => {
            l.iter().map(String::as_str).collect()
        }
        None => Vec::new(),
    };
    let root_name = root_entry.and_then(|e| e.name.as_deref()).or(lock.name.as_deref()).unwrap_or("");
    let root = builder.root(Ecosystem::Npm, root_name, root_entry.and_then(|e| e.version.as_deref()), "");

    let mut index: Resolver<'_, Node> = Resolver::with_capacity(entries.0.len() + 1);
    index.insert("", Node::Root(root, usize::MAX));
    // Per entry: the node it became (links and unreadable entries have none).
    let mut nodes: Vec<Option<Node>> = Vec::with_capacity(entries.0.len());
    // Member roots, created as packages only when another package depends on them.
    let mut member_packages: Vec<Option<PackageId>> = vec![None];
    for (i, (key, e)) in entries.0.iter().enumerate() {
        let key = key.as_ref();
        if key.is_empty() {
            nodes.push(Some(Node::Root(root, usize::MAX)));
            continue;
        }
        if e.link {
            nodes.push(None);
            continue;
        }
        let folder = is_folder(key);
        if folder && globs.iter().any(|g| glob_matches(g, key)) {
            let name = e.name.as_deref().unwrap_or_else(|| install_name(key));
            let id = builder.root(Ecosystem::Npm, name, e.version.as_deref(), key);
            member_packages.push(None);
            let node = Node::Root(id, i);
            index.insert(key, node);
            nodes.push(Some(node));
            continue;
        }
        let installed_as = install_name(key);
        let name = e.name.as_deref().unwrap_or(installed_as);
        let version = e.version.as_deref().unwrap_or("");
        let alias = (!folder && e.name.is_some() && name != installed_as).then_some(installed_as);
        let id = dedup.package(builder, name, version);
        // NOTE: `devOptional` is in both the dev and the optional tree: a production
        // install may skip it, so it is optional but not dev-only.
        let flags = (e.dev, e.optional || e.dev_optional, e.peer, e.in_bundle);
        let location = locator.find(key);
        add_path(
            builder,
            id,
            key,
            flags,
            || source_of(e.resolved.as_deref(), name, version, folder.then_some(key)),
            e.integrity.as_deref(),
            location,
            alias,
        );
        let node = Node::Package(id);
        index.insert(key, node);
        nodes.push(Some(node));
    }
    // Links point at the folder they stand for (a member or a `file:` directory).
    for (key, e) in &entries.0 {
        if e.link
            && let Some(target) = e.resolved.as_deref()
            && let Some(&node) = index.index.get(target.strip_prefix("file:").unwrap_or(target))
        {
            if let Node::Package(id) = node {
                builder.get_mut(id).paths.push(key.to_string());
            }
            index.insert(key.as_ref(), node);
        }
    }

    let mut buf = String::new();
    for ((key, e), node) in entries.0.iter().zip(&nodes) {
        let Some(node) = *node else { continue };
        let (from, is_root) = match node {
            Node::Root(id, _) => (NodeRef::Root(id), true),
            Node::Package(id) => (NodeRef::Package(id), false),
        };
        let lists: [(&DepMap<'_>, DepKind); 4] = [
            (&e.dependencies, DepKind::Normal),
            (&e.optional_dependencies, DepKind::Optional),
            (&e.peer_dependencies, DepKind::Peer),
            (&e.dev_dependencies, DepKind::Dev),
        ];
        for (list, kind) in lists {
            // Only the project and its members install their devDependencies.
            if kind == DepKind::Dev && !is_root {
                continue;
            }
            for (name, requested) in &list.0 {
                // optionalDependencies override a same-named entry in dependencies.
                if kind == DepKind::Normal && e.optional_dependencies.0.iter().any(|(n, _)| n == name) {
                    continue;
                }
                let Some(target) = index.resolve(&mut buf, key, name) else { continue };
                let to = match target {
                    Node::Package(id) => id,
                    Node::Root(_, usize::MAX) => continue,
                    Node::Root(member, entry) => {
                        match member_packages.get(member.index()).copied().flatten() {
                            Some(id) => id,
                            None => {
                                let Some((mkey, m)) = entries.0.get(entry) else { continue };
                                let name = m.name.as_deref().unwrap_or_else(|| install_name(mkey));
                                let id = dedup.package(builder, name, m.version.as_deref().unwrap_or(""));
                                let p = builder.get_mut(id);
                                p.source = PackageSource::Path { path: mkey.to_string() };
                                p.paths.push(mkey.to_string());
                                if let Some(slot) = member_packages.get_mut(member.index()) {
                                    *slot = Some(id);
                                }
                                id
                            }
                        }
                    }
                };
                builder.edge(from, to, kind, Some(requested));
            }
        }
    }
}

/// The manifest beside a v1 lockfile, which alone says what the project depends on
/// directly (v1 has no root entry).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Manifest<'a> {
    #[serde(borrow)]
    dependencies: DepMap<'a>,
    #[serde(borrow)]
    dev_dependencies: DepMap<'a>,
    #[serde(borrow)]
    optional_dependencies: DepMap<'a>,
    #[serde(borrow)]
    peer_dependencies: DepMap<'a>,
}

/// A v1 `version` field: `1.2.3`, `npm:real@1.2.3` (an alias), or a URL, git spec or
/// `file:` path for packages that came from elsewhere.
fn v1_name_version<'k>(key: &'k str, version: &'k str) -> (&'k str, &'k str, Option<&'k str>) {
    if let Some(spec) = version.strip_prefix("npm:")
        && let Some(at) = spec.get(1..).and_then(|s| s.rfind('@')).map(|i| i + 1)
    {
        return (&spec[..at], &spec[at + 1..], Some(key));
    }
    (key, version, None)
}

/// lockfileVersion 1: the nested `dependencies` tree, each node at the install path its
/// nesting implies, with `requires` as its edges.
struct V1<'b, 't, 'd> {
    builder: &'b mut InventoryBuilder,
    locator: Locator<'t>,
    dedup: Dedup<'d>,
}

impl<'d> V1<'_, '_, 'd> {
    fn build(mut self, source: &Source<'_>, lock: &'d Lockfile<'d>) {
        let root = self.builder.root(
            Ecosystem::Npm,
            lock.name.as_deref().unwrap_or(""),
            lock.root_version.as_deref(),
            "",
        );
        let mut flat: Vec<(String, &V1Dep<'_>, PackageId)> = Vec::new();
        let top: &[(Str<'_>, V1Dep<'_>)] = lock.dependencies.as_ref().map_or(&[], |t| &t.0);
        if let Some(tree) = &lock.dependencies {
            self.walk(tree, "", &mut flat);
        }
        let mut index = Resolver::with_capacity(flat.len());
        for (path, _, id) in &flat {
            index.insert(path.as_str(), *id);
        }
        let mut buf = String::new();
        for (path, dep, id) in &flat {
            for (name, requested) in &dep.requires.0 {
                if let Some(to) = index.resolve(&mut buf, path, name) {
                    self.builder.edge(NodeRef::Package(*id), to, DepKind::Normal, Some(requested));
                }
            }
        }
        let manifest_bytes = source.read_relative("package.json").ok();
        let manifest = manifest_bytes
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| serde_json::from_str::<Manifest<'_>>(t).ok());
        match manifest {
            Some(m) => {
                let lists = [
                    (&m.dependencies, DepKind::Normal),
                    (&m.optional_dependencies, DepKind::Optional),
                    (&m.peer_dependencies, DepKind::Peer),
                    (&m.dev_dependencies, DepKind::Dev),
                ];
                for (list, kind) in lists {
                    for (name, requested) in &list.0 {
                        if kind == DepKind::Normal && m.optional_dependencies.0.iter().any(|(n, _)| n == name)
                        {
                            continue;
                        }
                        if let Some(to) = index.resolve(&mut buf, "", name) {
                            self.builder.edge(NodeRef::Root(root), to, kind, Some(requested));
                        }
                    }
                }
            }
            None => {
                // Without the manifest, the top-level entries nothing else requires are
                // the project's own dependencies.
                let mut required = HashSet::default();
                for (path, dep, _) in &flat {
                    for (name, _) in &dep.requires.0 {
                        if let Some(to) = index.resolve(&mut buf, path, name) {
                            required.insert(to);
                        }
                    }
                }
                for (key, dep) in top {
                    let Some(&id) = index.index.get(format!("node_modules/{key}").as_str()) else { continue };
                    if required.contains(&id) {
                        continue;
                    }
                    let kind = if dep.dev {
                        DepKind::Dev
                    } else if dep.optional {
                        DepKind::Optional
                    } else {
                        DepKind::Normal
                    };
                    self.builder.edge(NodeRef::Root(root), id, kind, None);
                }
            }
        }
    }

    fn walk(
        &mut self,
        tree: &'d Ordered<Str<'d>, V1Dep<'d>>,
        parent: &str,
        flat: &mut Vec<(String, &'d V1Dep<'d>, PackageId)>,
    ) {
        for (key, dep) in &tree.0 {
            let path = if parent.is_empty() {
                format!("node_modules/{key}")
            } else {
                format!("{parent}/node_modules/{key}")
            };
            let written = dep.version.as_deref().unwrap_or("");
            let (name, version, alias) = v1_name_version(key, written);
            let id = self.dedup.package(self.builder, name, version);
            let location = self.locator.find(key);
            // Packages from git, a URL or a file carry the spec where the version goes.
            let looks_external = version.contains(':') || version.contains('/');
            let resolved = dep.resolved.as_deref().or(looks_external.then_some(version));
            add_path(
                self.builder,
                id,
                &path,
                (dep.dev, dep.optional, false, dep.bundled),
                || source_of(resolved, name, version, None),
                dep.integrity.as_deref(),
                location,
                alias,
            );
            flat.push((path.clone(), dep, id));
            self.walk(&dep.dependencies, &path, flat);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_paths_split() {
        assert_eq!(split_install("node_modules/a"), Some(("", "a")));
        assert_eq!(split_install("node_modules/@s/a"), Some(("", "@s/a")));
        assert_eq!(split_install("node_modules/a/node_modules/@s/b"), Some(("node_modules/a", "@s/b")));
        assert_eq!(split_install("packages/x/node_modules/b"), Some(("packages/x", "b")));
        assert_eq!(split_install("packages/x"), None);
        assert_eq!(split_install("my_node_modules/a"), None);
        assert_eq!(split_install("node_modules/@s"), Some(("", "@s")));
        assert_eq!(split_install("a"), None);
        assert_eq!(parent_dir("packages/x"), Some("packages"));
        assert_eq!(parent_dir("node_modules/a/node_modules/b"), Some("node_modules/a"));
        assert_eq!(parent_dir(""), None);
        assert_eq!(install_name("vendor/local-dir"), "local-dir");
    }

    #[test]
    fn member_globs() {
        assert!(glob_matches("packages/*", "packages/a"));
        assert!(glob_matches("./packages/*/", "packages/a"));
        assert!(!glob_matches("packages/*", "packages/a/b"));
        assert!(glob_matches("apps/**", "apps/a/b"));
        assert!(glob_matches("pkg-*", "pkg-one"));
        assert!(!glob_matches("pkg-*", "lib-one"));
        assert!(glob_matches("a*b*c", "axxbyyc") && !glob_matches("a*b*c", "axxbyy"));
        let hostile = format!("{}b", "*a".repeat(30));
        assert!(!glob_matches(&hostile, &"a".repeat(5000)), "linear, and no match");
        assert!(!glob_matches("**/x/**/y/**/z/**/w", "x/y/z/w"), "too many `**`");
    }
}

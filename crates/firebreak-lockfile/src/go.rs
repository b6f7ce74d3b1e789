//! `go.mod`, with hashes from the `go.sum` beside it.
//!
//! Since Go 1.17 the main module's `go.mod` lists every module its build needs, marking
//! those it does not import itself `// indirect`. So the graph is the main module (the
//! root) requiring each listed module: `direct` follows the `// indirect` comments, and
//! each edge keeps the version as required. `replace` turns a module into its replacement
//! (the original path is kept as the package's `alias`, the original version as the edge's
//! `requested`), or into a local directory ([`PackageSource::Path`]); requirements of
//! `exclude`d versions are left out.
//!
//! The parser follows `golang.org/x/mod/modfile`'s grammar: one directive a line, blocks
//! opened by `verb (` at the end of a line, `//` comments, interpreted `"..."` and raw
//! `` `...` `` strings, and errors at a line and column.

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::{
    Ecosystem, GoVersion, Hash, HashAlgorithm, Inventory, InventoryBuilder, Location, NodeRef, PackageSource,
};

use crate::util;
use crate::{ExtractError, Extractor, Source};

/// Reads `go.mod`.
pub(crate) struct GoMod;

impl Extractor for GoMod {
    fn id(&self) -> &'static str {
        "go/mod"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        crate::file_name(path) == "go.mod"
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let text = util::text(source.path, source.bytes)?;
        let file = parse(source.path, text)?;
        if file.module.is_none() {
            return Err(util::schema(source.path, "module", None, "a `module` directive", "none"));
        }
        let sums = match source.read_relative("go.sum") {
            Ok(bytes) => {
                let sum_path = sum_path(source.path);
                parse_sum(&sum_path, util::text(&sum_path, &bytes)?)?
            }
            // No go.sum (a module without dependencies, or input from stdin): no hashes.
            Err(_) => HashMap::new(),
        };
        Ok(build(self.id(), source.path, &file, &sums))
    }
}

fn sum_path(mod_path: &Utf8Path) -> camino::Utf8PathBuf {
    mod_path.parent().unwrap_or(Utf8Path::new("")).join("go.sum")
}

/// A token: its text (unquoted) and 1-based column.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    column: u32,
    quoted: bool,
}

/// One directive line (inside a block, the block's verb is prepended).
#[derive(Debug)]
struct Line {
    line: u32,
    tokens: Vec<Token>,
    /// The `//` comment at the end of the line, without the slashes, trimmed.
    comment: Option<String>,
}

/// A `require` after reading.
#[derive(Debug, Clone)]
pub(crate) struct Require {
    pub(crate) path: String,
    pub(crate) version: String,
    pub(crate) indirect: bool,
    pub(crate) location: Location,
}

/// A `replace`: `old [version] => new [version]`.
#[derive(Debug, Clone)]
pub(crate) struct Replace {
    pub(crate) old: String,
    pub(crate) old_version: Option<String>,
    pub(crate) new: String,
    /// `None` for a local directory.
    pub(crate) new_version: Option<String>,
}

/// A parsed `go.mod`.
#[derive(Debug, Default)]
pub(crate) struct ModFile {
    pub(crate) module: Option<String>,
    pub(crate) go: Option<String>,
    pub(crate) toolchain: Option<String>,
    pub(crate) requires: Vec<Require>,
    pub(crate) replaces: Vec<Replace>,
    pub(crate) excludes: Vec<(String, String)>,
    /// Retracted versions and ranges of the main module (`low`, `high`; equal for one version).
    pub(crate) retracts: Vec<(String, String)>,
}

struct Reader<'a> {
    path: &'a Utf8Path,
}

impl Reader<'_> {
    fn syntax(&self, line: u32, column: u32, message: impl Into<String>) -> ExtractError {
        ExtractError::Syntax { path: self.path.to_owned(), line, column, message: message.into() }
    }

    fn schema(
        &self,
        key: impl Into<String>,
        line: u32,
        expected: &str,
        found: impl Into<String>,
    ) -> ExtractError {
        util::schema(self.path, key, Some(line), expected, found)
    }

    /// Splits one physical line into tokens and its trailing comment.
    fn tokenize(&self, text: &str, line: u32) -> Result<(Vec<Token>, Option<String>), ExtractError> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let (offset, c) = chars[i];
            let column = i as u32 + 1;
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            if text[offset..].starts_with("//") {
                return Ok((tokens, Some(text[offset + 2..].trim().to_owned())));
            }
            if text[offset..].starts_with("/*") {
                return Err(self.syntax(line, column, "mod files must use // comments"));
            }
            match c {
                '(' | ')' | '[' | ']' | ',' => {
                    tokens.push(Token { text: c.to_string(), column, quoted: false });
                    i += 1;
                }
                '"' => {
                    let mut value = String::new();
                    let mut j = i + 1;
                    loop {
                        let Some(&(_, d)) = chars.get(j) else {
                            return Err(self.syntax(line, column, "unterminated quoted string"));
                        };
                        match d {
                            '"' => break,
                            '\\' => {
                                let Some(&(_, e)) = chars.get(j + 1) else {
                                    return Err(self.syntax(line, j as u32 + 1, "unterminated escape"));
                                };
                                value.push(match e {
                                    'n' => '\n',
                                    't' => '\t',
                                    '\\' => '\\',
                                    '"' => '"',
                                    _ => {
                                        return Err(self.syntax(
                                            line,
                                            j as u32 + 1,
                                            format!("unsupported escape `\\{e}` in quoted string"),
                                        ));
                                    }
                                });
                                j += 2;
                            }
                            d => {
                                value.push(d);
                                j += 1;
                            }
                        }
                    }
                    tokens.push(Token { text: value, column, quoted: true });
                    i = j + 1;
                }
                '`' => {
                    let rest = &text[offset + 1..];
                    let Some(end) = rest.find('`') else {
                        return Err(self.syntax(line, column, "unterminated raw string"));
                    };
                    tokens.push(Token { text: rest[..end].to_owned(), column, quoted: true });
                    i += rest[..end].chars().count() + 2;
                }
                '=' if text[offset..].starts_with("=>") => {
                    tokens.push(Token { text: "=>".to_owned(), column, quoted: false });
                    i += 2;
                }
                c if c.is_control() || c == '{' || c == '}' => {
                    return Err(self.syntax(line, column, format!("unexpected input character {c:?}")));
                }
                _ => {
                    let mut j = i;
                    while let Some(&(o, d)) = chars.get(j) {
                        if d.is_whitespace()
                            || matches!(d, '(' | ')' | '[' | ']' | ',' | '{' | '}' | '"' | '`')
                            || d.is_control()
                            || text[o..].starts_with("//")
                        {
                            break;
                        }
                        j += 1;
                    }
                    let start = offset;
                    let end = chars.get(j).map_or(text.len(), |&(o, _)| o);
                    tokens.push(Token { text: text[start..end].to_owned(), column, quoted: false });
                    i = j;
                }
            }
        }
        Ok((tokens, None))
    }

    /// Groups the file into directive lines, expanding blocks.
    fn lines(&self, text: &str) -> Result<Vec<Line>, ExtractError> {
        let mut out = Vec::new();
        let mut block: Option<(Token, u32)> = None;
        for (n, raw) in text.split('\n').enumerate() {
            let line = n as u32 + 1;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let (mut tokens, comment) = self.tokenize(raw, line)?;
            if tokens.is_empty() {
                continue;
            }
            if let Some((verb, _)) = &block {
                if tokens.len() == 1 && tokens[0].text == ")" && !tokens[0].quoted {
                    block = None;
                    continue;
                }
                if let Some(t) = tokens.iter().find(|t| !t.quoted && (t.text == "(" || t.text == ")")) {
                    return Err(self.syntax(
                        line,
                        t.column,
                        format!("unexpected `{}` in {} block", t.text, verb.text),
                    ));
                }
                let mut verb = verb.clone();
                verb.column = tokens[0].column;
                tokens.insert(0, verb);
                out.push(Line { line, tokens, comment });
                continue;
            }
            let last = tokens.last().filter(|t| !t.quoted).map(|t| t.text.as_str());
            if last == Some("(") {
                if tokens.len() != 2 || tokens[0].quoted {
                    return Err(self.syntax(
                        line,
                        tokens[tokens.len() - 1].column,
                        "`(` must follow a directive name",
                    ));
                }
                block = Some((tokens[0].clone(), line));
                continue;
            }
            if let Some(t) = tokens.iter().find(|t| !t.quoted && (t.text == "(" || t.text == ")")) {
                return Err(self.syntax(line, t.column, format!("unexpected `{}`", t.text)));
            }
            out.push(Line { line, tokens, comment });
        }
        if let Some((verb, line)) = block {
            return Err(self.syntax(line, verb.column, format!("`{} (` block is not closed", verb.text)));
        }
        Ok(out)
    }

    fn version(&self, key: &str, line: u32, token: &Token) -> Result<String, ExtractError> {
        GoVersion::parse(&token.text).map(|_| token.text.clone()).map_err(|e| {
            self.schema(key, line, "a Go module version (`v1.2.3`)", format!("`{}`: {e}", token.text))
        })
    }

    fn arity(&self, l: &Line, verb: &str, counts: &[usize], usage: &str) -> Result<(), ExtractError> {
        let args = l.tokens.len() - 1;
        if counts.contains(&args) {
            return Ok(());
        }
        let column = l.tokens.get(counts.iter().max().map_or(1, |m| m + 1)).unwrap_or(&l.tokens[0]).column;
        Err(self.syntax(l.line, column, format!("usage: {verb} {usage}")))
    }
}

/// Whether a replacement without a version names a directory, as Go requires.
fn is_local_path(p: &str) -> bool {
    p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with('/')
        || p == "."
        || p == ".."
        || p.starts_with(".\\")
        || p.starts_with("..\\")
        || (p.len() > 2 && p.as_bytes()[1] == b':' && p.as_bytes()[0].is_ascii_alphabetic())
}

/// Whether a `go`/`toolchain` version is of Go's release form (`1.21`, `1.21.3`, `1.22rc1`).
fn is_go_release(v: &str) -> bool {
    let (nums, suffix) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let parts: Vec<&str> = nums.split('.').collect();
    let nums_ok = (2..=3).contains(&parts.len())
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let suffix_ok = suffix.is_empty()
        || ["rc", "beta"].iter().any(|s| {
            suffix.strip_prefix(s).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
    nums_ok && suffix_ok
}

/// Parses `go.mod` text.
pub(crate) fn parse(path: &Utf8Path, text: &str) -> Result<ModFile, ExtractError> {
    let r = Reader { path };
    let mut file = ModFile::default();
    for l in r.lines(text)? {
        let verb = &l.tokens[0];
        if verb.quoted {
            return Err(r.syntax(l.line, verb.column, "expected a directive name"));
        }
        let arg = |i: usize| &l.tokens[i];
        match verb.text.as_str() {
            "module" => {
                r.arity(&l, "module", &[1], "module/path")?;
                if file.module.is_some() {
                    return Err(r.syntax(l.line, verb.column, "repeated module statement"));
                }
                file.module = Some(arg(1).text.clone());
            }
            "go" => {
                r.arity(&l, "go", &[1], "1.23.0")?;
                if !is_go_release(&arg(1).text) {
                    return Err(r.schema(
                        "go",
                        l.line,
                        "a Go release (`1.21` or `1.21.0`)",
                        format!("`{}`", arg(1).text),
                    ));
                }
                file.go = Some(arg(1).text.clone());
            }
            "toolchain" => {
                r.arity(&l, "toolchain", &[1], "go1.23.0")?;
                let t = &arg(1).text;
                if t != "default" && !t.strip_prefix("go").is_some_and(is_go_release) {
                    return Err(r.schema(
                        "toolchain",
                        l.line,
                        "a toolchain name (`go1.21.0`)",
                        format!("`{t}`"),
                    ));
                }
                file.toolchain = Some(t.clone());
            }
            "require" | "exclude" => {
                r.arity(&l, &verb.text, &[2], "module/path v1.2.3")?;
                let key = format!("{} {}", verb.text, arg(1).text);
                let version = r.version(&key, l.line, arg(2))?;
                if verb.text == "require" {
                    let indirect = l.comment.as_deref().is_some_and(|c| {
                        let c = c.trim();
                        c == "indirect"
                            || c.strip_prefix("indirect").is_some_and(|rest| rest.starts_with(';'))
                    });
                    file.requires.push(Require {
                        path: arg(1).text.clone(),
                        version,
                        indirect,
                        location: Location { line: l.line, column: arg(1).column },
                    });
                } else {
                    file.excludes.push((arg(1).text.clone(), version));
                }
            }
            "replace" => {
                let arrow = l.tokens.iter().position(|t| t.text == "=>" && !t.quoted);
                let usage =
                    "module/path [v1.2.3] => other/module v1.4 or module/path [v1.2.3] => ../local/directory";
                let Some(arrow @ (2 | 3)) = arrow else {
                    let column = l.tokens.get(2).unwrap_or(verb).column;
                    return Err(r.syntax(l.line, column, format!("usage: replace {usage}")));
                };
                let rhs = l.tokens.len() - arrow - 1;
                if !(1..=2).contains(&rhs) {
                    let column = l.tokens.get(arrow + 1).unwrap_or(&l.tokens[arrow]).column;
                    return Err(r.syntax(l.line, column, format!("usage: replace {usage}")));
                }
                let key = format!("replace {}", arg(1).text);
                let old_version = if arrow == 3 { Some(r.version(&key, l.line, arg(2))?) } else { None };
                let new = arg(arrow + 1);
                let new_version =
                    if rhs == 2 { Some(r.version(&key, l.line, arg(arrow + 2))?) } else { None };
                if new_version.is_none() && !is_local_path(&new.text) {
                    return Err(r.syntax(
                        l.line,
                        new.column,
                        "replacement module without version must be directory path (rooted or starting with ./ or ../)",
                    ));
                }
                file.replaces.push(Replace {
                    old: arg(1).text.clone(),
                    old_version,
                    new: new.text.clone(),
                    new_version,
                });
            }
            "retract" => {
                let key = "retract";
                if l.tokens.len() == 2 {
                    let v = r.version(key, l.line, arg(1))?;
                    file.retracts.push((v.clone(), v));
                } else if l.tokens.len() == 6
                    && arg(1).text == "["
                    && arg(3).text == ","
                    && arg(5).text == "]"
                {
                    let low = r.version(key, l.line, arg(2))?;
                    let high = r.version(key, l.line, arg(4))?;
                    file.retracts.push((low, high));
                } else {
                    let column = l.tokens.get(1).unwrap_or(verb).column;
                    return Err(r.syntax(
                        l.line,
                        column,
                        "usage: retract v1.2.3 or retract [v1.2.3, v1.3.0]",
                    ));
                }
            }
            // Directives that do not change which modules are in the build.
            "godebug" | "tool" | "ignore" => {
                if l.tokens.len() < 2 {
                    return Err(r.syntax(l.line, verb.column, format!("usage: {} ...", verb.text)));
                }
            }
            other => {
                return Err(r.syntax(l.line, verb.column, format!("unknown directive: {other}")));
            }
        }
    }
    Ok(file)
}

/// Reads `go.sum`: `module version h1:hash` and `module version/go.mod h1:hash` lines.
/// Returns the module-zip hashes by (module, version).
fn parse_sum(path: &Utf8Path, text: &str) -> Result<HashMap<(String, String), String>, ExtractError> {
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let [module, version, hash] = fields[..] else {
            return Err(ExtractError::Syntax {
                path: path.to_owned(),
                line: n as u32 + 1,
                column: 1,
                message: format!(
                    "malformed go.sum line: expected `module version hash`, found {} fields",
                    fields.len()
                ),
            });
        };
        if version.ends_with("/go.mod") {
            continue;
        }
        if let Some(h1) = hash.strip_prefix("h1:") {
            out.insert((module.to_owned(), version.to_owned()), h1.to_owned());
        }
    }
    Ok(out)
}

fn build(id: &str, path: &Utf8Path, file: &ModFile, sums: &HashMap<(String, String), String>) -> Inventory {
    let mut b = InventoryBuilder::new(path.as_str(), id);
    if let Some(go) = &file.go {
        b.format_version(go.clone());
    }
    let main = file.module.as_deref().unwrap_or("");
    let root = b.root(Ecosystem::Go, main, None, "");
    let mut direct = Vec::new();
    for req in &file.requires {
        if file.excludes.iter().any(|(p, v)| *p == req.path && *v == req.version) {
            continue;
        }
        let replace = file
            .replaces
            .iter()
            .find(|r| r.old == req.path && r.old_version.as_deref() == Some(req.version.as_str()))
            .or_else(|| file.replaces.iter().find(|r| r.old == req.path && r.old_version.is_none()));
        let (name, version, source, alias) = match replace {
            Some(Replace { new, new_version: Some(v), .. }) => {
                (new.as_str(), v.as_str(), PackageSource::Registry { url: None }, Some(req.path.clone()))
            }
            Some(Replace { new, new_version: None, .. }) => {
                (req.path.as_str(), req.version.as_str(), PackageSource::Path { path: new.clone() }, None)
            }
            None => (req.path.as_str(), req.version.as_str(), PackageSource::Registry { url: None }, None),
        };
        let pkg = b.package(Ecosystem::Go, name, version);
        let p = b.get_mut(pkg);
        p.source = source;
        p.alias = alias;
        p.location = Some(req.location);
        if !matches!(p.source, PackageSource::Path { .. })
            && let Some(h1) = sums.get(&(name.to_owned(), version.to_owned()))
        {
            let hash = Hash { algorithm: HashAlgorithm::GoH1, value: h1.clone() };
            if !p.hashes.contains(&hash) {
                p.hashes.push(hash);
            }
        }
        b.edge(NodeRef::Root(root), pkg, firebreak_core::DepKind::Normal, Some(&req.version));
        direct.push((pkg, !req.indirect));
    }
    let mut inv = b.finish();
    // Every listed module is required by the main module; `direct` means imported by it,
    // which is what `// indirect` records.
    for p in &mut inv.packages {
        p.direct = false;
    }
    for (pkg, is_direct) in direct {
        inv.packages[pkg.index()].direct |= is_direct;
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> ModFile {
        parse(Utf8Path::new("go.mod"), text).expect("parses")
    }

    #[test]
    fn tokens_quotes_and_comments() {
        let f = parse_ok(
            "module \"example.com/m\" // the module\n\ngo 1.21\ntoolchain go1.21.3\n\
             require `example.com/raw` v1.0.0 // indirect; kept by hand\n\
             require (\n\t\"example.com/q\" v0.1.0\n\texample.com/x v2.0.0+incompatible // indirect\n)\n",
        );
        assert_eq!(f.module.as_deref(), Some("example.com/m"));
        assert_eq!(f.go.as_deref(), Some("1.21"));
        assert_eq!(f.toolchain.as_deref(), Some("go1.21.3"));
        let r: Vec<(&str, bool, u32, u32)> = f
            .requires
            .iter()
            .map(|r| (r.path.as_str(), r.indirect, r.location.line, r.location.column))
            .collect();
        assert_eq!(
            r,
            [("example.com/raw", true, 5, 9), ("example.com/q", false, 7, 2), ("example.com/x", true, 8, 2)]
        );
    }

    #[test]
    fn go_releases() {
        for ok in ["1.21", "1.21.0", "1.22rc1", "1.21beta2"] {
            assert!(is_go_release(ok), "{ok}");
        }
        for bad in ["1", "v1.21", "1.21.x", "1.21rc", "1..2", "1.2.3.4"] {
            assert!(!is_go_release(bad), "{bad}");
        }
    }

    #[test]
    fn local_paths() {
        assert!(
            is_local_path("./x") && is_local_path("../x") && is_local_path("/abs") && is_local_path("C:\\x")
        );
        assert!(!is_local_path("example.com/x"));
    }
}

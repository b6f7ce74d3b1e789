//! pip requirements files (`requirements.txt`, `requirements-dev.txt`, `constraints.txt`).
//!
//! The grammar is pip's (<https://pip.pypa.io/en/stable/reference/requirements-file-format/>):
//! one requirement a line, `\` continuations, `#` comments at the start of a line or after
//! whitespace, per-requirement `--hash` options, and global options. `-r`/`--requirement`
//! includes are read relative to the including file and add their requirements; `-c`/
//! `--constraint` files add none, but a constraint's `==` pin gives an unpinned requirement
//! of the same name its version, as it does for pip. Packages from an included file point
//! into it: the inventory gets one [`LockfileRef`](firebreak_core::LockfileRef) per file
//! read, and each package's `lockfile` and `location` name the file and line that listed it.
//!
//! A requirements file has no graph: every requirement is a direct dependency of one root
//! (the file). Requirements without an exact pin are listed with an empty version (see the
//! module docs of [`crate::python`]).

use std::collections::{HashMap, HashSet};

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_core::{
    DepKind, Ecosystem, Hash, Inventory, InventoryBuilder, Location, LockfileRef, NodeRef, PackageSource,
    SourceId,
};

use super::{add_hashes, check_version, normalize, split_requirement};
use crate::{ExtractError, Extractor, Source, util};

/// How deep `-r` includes may nest; real projects use two or three levels.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Reads pip requirements files.
pub(crate) struct Requirements;

impl Extractor for Requirements {
    fn id(&self) -> &'static str {
        "pypi/requirements"
    }

    fn matches(&self, path: &Utf8Path) -> bool {
        let name = crate::file_name(path).to_ascii_lowercase();
        let Some(stem) = name.strip_suffix(".txt") else {
            return false;
        };
        // `requirements.txt`, `requirements-dev.txt`, `dev-requirements.txt`,
        // `constraints.txt`, and anything in a `requirements/` directory.
        stem.contains("requirements")
            || stem.starts_with("constraints")
            || path.parent().and_then(Utf8Path::file_name).is_some_and(|d| d == "requirements")
    }

    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError> {
        let mut reader = Reader {
            source,
            files: vec![source.path.to_owned()],
            stack: Vec::new(),
            done: HashSet::new(),
            requirements: Vec::new(),
            constraints: HashMap::new(),
        };
        let text = util::text(source.path, source.bytes)?;
        // The top file's own name is on the include stack, so including it back is a cycle.
        reader.read_file(Utf8Path::new(crate::file_name(source.path)), 0, text, false)?;
        Ok(reader.build(self.id()))
    }
}

/// One requirement line, resolved.
#[derive(Debug)]
struct Requirement {
    name: String,
    /// Exact version, or empty when not pinned.
    version: String,
    /// The specifier (and marker) as written, for the root's edge.
    requested: Option<String>,
    hashes: Vec<Hash>,
    source: PackageSource,
    file: usize,
    line: u32,
    column: u32,
}

struct Reader<'s, 'a> {
    source: &'s Source<'a>,
    /// Files read, as shown to the user; index 0 is the lockfile itself.
    files: Vec<Utf8PathBuf>,
    /// Relative paths of the files being read, outermost first, for cycle detection.
    stack: Vec<Utf8PathBuf>,
    /// Files already read completely (a file included twice is read once).
    done: HashSet<(Utf8PathBuf, bool)>,
    requirements: Vec<Requirement>,
    /// `==` pins from constraint files, by normalised name.
    constraints: HashMap<String, Requirement>,
}

/// A logical line: text after joining continuations, and where it starts.
struct LogicalLine {
    text: String,
    line: u32,
}

fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut current: Option<LogicalLine> = None;
    for (n, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let entry = current.get_or_insert_with(|| LogicalLine { text: String::new(), line: n as u32 + 1 });
        match raw.strip_suffix('\\') {
            Some(head) => entry.text.push_str(head),
            None => {
                entry.text.push_str(raw);
                out.extend(current.take());
            }
        }
    }
    out.extend(current);
    out
}

/// Drops a comment: `#` at the start or after whitespace (a `#egg=` URL fragment stays).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes.get(i - 1).is_some_and(u8::is_ascii_whitespace)) {
            return &line[..i];
        }
    }
    line
}

/// Lexically joins `relative` onto `dir`, resolving `.` and `..` so cycles are seen.
fn join_normalized(dir: &Utf8Path, relative: &str) -> Utf8PathBuf {
    let mut parts: Vec<&str> = Vec::new();
    let mut ups = 0usize;
    for part in dir.as_str().split('/').chain(relative.split(['/', '\\'])) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    ups += 1;
                }
            }
            p => parts.push(p),
        }
    }
    let mut out = "../".repeat(ups);
    out.push_str(&parts.join("/"));
    Utf8PathBuf::from(out)
}

/// `-r file`, `-rfile`, `--requirement file`, `--requirement=file`: the option's value.
fn option_value<'l>(line: &'l str, short: &str, long: &str) -> Option<&'l str> {
    let value = if let Some(rest) = line.strip_prefix(long) {
        if rest.is_empty() || rest.starts_with([' ', '\t', '=']) {
            rest.trim_start_matches([' ', '\t', '='])
        } else {
            return None;
        }
    } else {
        line.strip_prefix(short)?
    };
    Some(value.split_whitespace().next().unwrap_or(""))
}

impl Reader<'_, '_> {
    fn include_error(&self, file: usize, line: u32, include: &str, source: std::io::Error) -> ExtractError {
        ExtractError::Include {
            path: self.files.get(file).cloned().unwrap_or_default(),
            line,
            include: include.to_owned(),
            source,
        }
    }

    /// Reads one file; `relative` is its path relative to the lockfile's directory and
    /// `file` its index in `files`.
    fn read_file(
        &mut self,
        relative: &Utf8Path,
        file: usize,
        text: &str,
        constraint: bool,
    ) -> Result<(), ExtractError> {
        self.stack.push(relative.to_owned());
        let dir = relative.parent().unwrap_or(Utf8Path::new("")).to_owned();
        for logical in logical_lines(text) {
            let content = strip_comment(&logical.text);
            let trimmed = content.trim();
            if trimmed.is_empty() {
                continue;
            }
            let column = (content.len() - content.trim_start().len()) as u32 + 1;
            let include = option_value(trimmed, "-r", "--requirement")
                .map(|v| (v, false))
                .or_else(|| option_value(trimmed, "-c", "--constraint").map(|v| (v, true)));
            if let Some((target, is_constraint)) = include {
                self.include(&dir, file, logical.line, target, constraint || is_constraint)?;
                continue;
            }
            if let Some(target) = option_value(trimmed, "-e", "--editable") {
                let req = self.url_requirement(file, logical.line, column, target, None, "")?;
                self.push(req, constraint);
                continue;
            }
            if trimmed.starts_with('-') {
                // Global options (`--index-url`, `--find-links`, `--pre`, …) install nothing.
                continue;
            }
            let req = self.requirement(file, logical.line, column, trimmed)?;
            self.push(req, constraint);
        }
        self.stack.pop();
        self.done.insert((relative.to_owned(), constraint));
        Ok(())
    }

    fn push(&mut self, req: Requirement, constraint: bool) {
        if constraint {
            if !req.version.is_empty() {
                self.constraints.entry(req.name.clone()).or_insert(req);
            }
        } else {
            self.requirements.push(req);
        }
    }

    fn include(
        &mut self,
        dir: &Utf8Path,
        file: usize,
        line: u32,
        target: &str,
        constraint: bool,
    ) -> Result<(), ExtractError> {
        if target.is_empty() {
            return Err(util::schema(
                &self.files[file],
                format!("line {line}"),
                Some(line),
                "a file name after the include option",
                "nothing",
            ));
        }
        if target.contains("://") {
            return Err(self.include_error(
                file,
                line,
                target,
                std::io::Error::new(std::io::ErrorKind::Unsupported, "includes by URL are not fetched"),
            ));
        }
        let relative = join_normalized(dir, target);
        if self.stack.contains(&relative) {
            let mut chain: Vec<String> = self.stack.iter().map(|p| format!("`{p}`")).collect();
            chain.push(format!("`{relative}`"));
            let message = format!("include cycle: {}", chain.join(" -> "));
            return Err(self.include_error(file, line, target, std::io::Error::other(message)));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            let message = format!("includes nest deeper than {MAX_INCLUDE_DEPTH} levels");
            return Err(self.include_error(file, line, target, std::io::Error::other(message)));
        }
        if self.done.contains(&(relative.clone(), constraint)) {
            return Ok(());
        }
        let bytes = self
            .source
            .read_relative(relative.as_str())
            .map_err(|e| self.include_error(file, line, target, e))?;
        let shown = self.source.path.parent().unwrap_or(Utf8Path::new("")).join(&relative);
        let text = util::text(&shown, &bytes)?;
        self.files.push(shown);
        let index = self.files.len() - 1;
        self.read_file(&relative, index, text, constraint)
    }

    /// `name[extras] specifier ; marker --hash=…`, `name @ url ; marker`, or a bare URL or path.
    fn requirement(
        &self,
        file: usize,
        line: u32,
        column: u32,
        text: &str,
    ) -> Result<Requirement, ExtractError> {
        // Per-requirement options start at the first ` --` token.
        let (body, options) = match text.find(" -").or_else(|| text.find("\t-")) {
            Some(i) => (text[..i].trim(), &text[i..]),
            None => (text, ""),
        };
        let mut hashes = Vec::new();
        let mut tokens = options.split_whitespace();
        while let Some(token) = tokens.next() {
            let value = match token.strip_prefix("--hash") {
                Some("") => tokens.next().unwrap_or(""),
                Some(rest) => rest.trim_start_matches('='),
                None => continue,
            };
            let hash = Hash::parse_prefixed(value).ok_or_else(|| {
                util::schema(
                    &self.files[file],
                    format!("line {line}"),
                    Some(line),
                    "`--hash=ALGORITHM:HEX`",
                    format!("{token:?}"),
                )
            })?;
            hashes.push(hash);
        }
        let bad = |expected: &str| {
            util::schema(&self.files[file], format!("line {line}"), Some(line), expected, format!("{body:?}"))
        };
        if body.contains("://") || body.starts_with(['.', '/']) || body.starts_with("file:") {
            if let Some((name, url)) =
                body.split_once(" @ ").or_else(|| body.split_once('@').filter(|(n, _)| !n.contains('/')))
            {
                let (name, _) = split_requirement(name).ok_or_else(|| bad("a project name before `@`"))?;
                let (url, marker) = split_url_marker(url.trim());
                let mut req = self.url_requirement(file, line, column, url, Some(name), marker)?;
                req.hashes = hashes;
                return Ok(req);
            }
            let (url, marker) = split_url_marker(body);
            let mut req = self.url_requirement(file, line, column, url, None, marker)?;
            req.hashes = hashes;
            return Ok(req);
        }
        let (name, rest) = split_requirement(body).ok_or_else(|| bad("a requirement `NAME[==VERSION]`"))?;
        let (spec, marker) = match rest.split_once(';') {
            Some((s, m)) => (s.trim(), m.trim()),
            None => (rest, ""),
        };
        let spec = match spec.strip_prefix('[') {
            Some(extras) => extras.split_once(']').ok_or_else(|| bad("`]` after the extras"))?.1.trim(),
            None => spec,
        };
        let spec = spec.strip_prefix('(').and_then(|s| s.strip_suffix(')')).unwrap_or(spec).trim();
        let version = pinned(spec).unwrap_or_default();
        if !version.is_empty() && !spec.starts_with("===") {
            check_version(version).map_err(|_| bad("an `==` pin to a PEP 440 version"))?;
        }
        Ok(Requirement {
            name: normalize(name),
            version: version.to_owned(),
            requested: requested(spec, marker),
            hashes,
            source: PackageSource::Registry { url: None },
            file,
            line,
            column,
        })
    }

    /// A requirement by URL or path (`-e ./pkg`, `git+https://…#egg=name`, `name @ https://…`).
    fn url_requirement(
        &self,
        file: usize,
        line: u32,
        column: u32,
        target: &str,
        name: Option<&str>,
        marker: &str,
    ) -> Result<Requirement, ExtractError> {
        let (location, fragment) = target.split_once('#').unwrap_or((target, ""));
        let egg = fragment.split('&').find_map(|kv| kv.strip_prefix("egg="));
        let last = location.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let (archive_name, archive_version) = archive_name_version(last).unzip();
        let name = name
            .or(egg)
            .or(archive_name)
            .or_else(|| {
                let repo = last.split('@').next().unwrap_or(last);
                Some(repo.strip_suffix(".git").unwrap_or(repo)).filter(|s| !s.is_empty())
            })
            .ok_or_else(|| {
                util::schema(
                    &self.files[file],
                    format!("line {line}"),
                    Some(line),
                    "a URL or path with a project name (`#egg=NAME` or `NAME @ URL`)",
                    format!("{target:?}"),
                )
            })?;
        let source = if let Some(vcs) = location.strip_prefix("git+") {
            // `git+https://host/repo.git@rev`: the revision follows the last `@` after the host.
            let after_scheme = vcs.find("://").map_or(0, |i| i + 3);
            match vcs[after_scheme..].rfind('@').map(|i| i + after_scheme) {
                Some(at) if !vcs[at..].contains('/') => {
                    PackageSource::Git { url: vcs[..at].to_owned(), rev: Some(vcs[at + 1..].to_owned()) }
                }
                _ => PackageSource::Git { url: vcs.to_owned(), rev: None },
            }
        } else if location.contains("://") && !location.starts_with("file:") {
            PackageSource::Url { url: location.to_owned() }
        } else {
            PackageSource::Path { path: location.to_owned() }
        };
        let version = archive_version
            .filter(|v| check_version(v).is_ok() && !matches!(source, PackageSource::Git { .. }));
        Ok(Requirement {
            name: normalize(name),
            version: version.unwrap_or_default().to_owned(),
            requested: requested(target, marker),
            hashes: Vec::new(),
            source,
            file,
            line,
            column,
        })
    }

    fn build(self, extractor: &str) -> Inventory {
        let mut b = InventoryBuilder::new(self.source.path.as_str(), extractor);
        let root = b.root(Ecosystem::PyPI, self.source.path.as_str(), None, self.source.path.as_str());
        let mut origin = Vec::new();
        for mut req in self.requirements {
            if req.version.is_empty()
                && matches!(req.source, PackageSource::Registry { .. })
                && let Some(pin) = self.constraints.get(&req.name)
            {
                req.version.clone_from(&pin.version);
                req.hashes.extend(pin.hashes.iter().cloned());
            }
            let id = b.package(Ecosystem::PyPI, &req.name, &req.version);
            if id.index() == origin.len() {
                origin.push(req.file);
                let p = b.get_mut(id);
                p.source = req.source;
                p.location = Some(Location { line: req.line, column: req.column });
            }
            add_hashes(&mut b, id, req.hashes);
            b.edge(NodeRef::Root(root), id, DepKind::Normal, req.requested.as_deref());
        }
        let mut inventory = b.finish();
        for file in self.files.iter().skip(1) {
            inventory.lockfiles.push(LockfileRef {
                path: file.to_string(),
                extractor: extractor.to_owned(),
                format_version: None,
            });
        }
        for (p, file) in inventory.packages.iter_mut().zip(origin) {
            p.lockfile = SourceId(file as u32);
        }
        inventory
    }
}

/// The version of a single `==V` (or `===V`) clause without wildcards.
fn pinned(spec: &str) -> Option<&str> {
    let version = spec.strip_prefix("===").or_else(|| spec.strip_prefix("=="))?.trim();
    (!version.is_empty() && !version.contains([',', '*', ' ', '<', '>', '!', '~', '='])).then_some(version)
}

fn requested(spec: &str, marker: &str) -> Option<String> {
    match (spec.is_empty(), marker.is_empty()) {
        (true, true) => None,
        (false, true) => Some(spec.to_owned()),
        (true, false) => Some(format!("; {marker}")),
        (false, false) => Some(format!("{spec}; {marker}")),
    }
}

/// A URL requirement's marker follows `;` after whitespace (a `;` inside a URL is part of it).
fn split_url_marker(text: &str) -> (&str, &str) {
    match text.find(" ;").or_else(|| text.find("\t;")) {
        Some(i) => (text[..i].trim(), text[i..].trim_start().trim_start_matches(';').trim()),
        None => (text.trim(), ""),
    }
}

/// Name and version from a wheel (`name-1.0-py3-none-any.whl`) or sdist
/// (`name-1.0.tar.gz`) file name.
fn archive_name_version(file: &str) -> Option<(&str, &str)> {
    if let Some(stem) = file.strip_suffix(".whl") {
        let mut parts = stem.splitn(3, '-');
        return Some((parts.next()?, parts.next()?));
    }
    let stem = [".tar.gz", ".zip", ".tar.bz2", ".tgz"].iter().find_map(|ext| file.strip_suffix(ext))?;
    stem.rsplit_once('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_lines_and_strips_comments() {
        let lines = logical_lines("a==1 \\\n  --hash=sha256:00\nb # c\n# only\nurl#egg=x\n");
        assert_eq!(lines[0].text, "a==1   --hash=sha256:00");
        assert_eq!(lines[1].line, 3);
        assert_eq!(strip_comment(&lines[1].text), "b ");
        assert_eq!(strip_comment(&lines[2].text), "");
        assert_eq!(strip_comment(&lines[3].text), "url#egg=x");
    }

    #[test]
    fn paths_and_pins() {
        assert_eq!(join_normalized(Utf8Path::new("sub"), "../a/./b.txt"), "a/b.txt");
        assert_eq!(join_normalized(Utf8Path::new(""), "../x.txt"), "../x.txt");
        assert_eq!(pinned("==1.0"), Some("1.0"));
        assert_eq!(pinned("==1.*"), None);
        assert_eq!(pinned(">=1,==1.0"), None);
        assert_eq!(archive_name_version("idna-3.7-py3-none-any.whl"), Some(("idna", "3.7")));
        assert_eq!(archive_name_version("pkg-name-1.0.tar.gz"), Some(("pkg-name", "1.0")));
        assert_eq!(option_value("-r base.txt", "-r", "--requirement"), Some("base.txt"));
        assert_eq!(option_value("--requirement=base.txt", "-r", "--requirement"), Some("base.txt"));
        assert_eq!(option_value("--requirements-x", "-r", "--requirement"), None);
    }
}

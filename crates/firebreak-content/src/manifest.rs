//! The package's own manifest: package.json, PKG-INFO/METADATA with setup.py, or
//! Cargo.toml. What it declares (dependencies, scripts, binaries) and what it runs at
//! install time, with the files those hooks start.

use std::collections::BTreeMap;

use firebreak_core::Severity;
use serde::Serialize;
use serde_json::Value;

use crate::signals::INSTALL_TIME_CODE;
use crate::{Capability, Hit, PackageFile, Phase};

/// What a package declares about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Manifest {
    /// The manifest file read (`package.json`, `PKG-INFO`, `Cargo.toml`), if any.
    pub file: Option<String>,
    /// Declared name.
    pub name: Option<String>,
    /// Declared version.
    pub version: Option<String>,
    /// Runtime dependencies (name -> requirement), optional ones included.
    pub dependencies: BTreeMap<String, String>,
    /// npm scripts.
    pub scripts: BTreeMap<String, String>,
    /// Executables installed on the PATH (name -> file).
    pub bin: BTreeMap<String, String>,
    /// Engine constraints.
    pub engines: BTreeMap<String, String>,
    /// What runs at install or build time.
    pub install_hooks: Vec<InstallHook>,
    /// Problems reading the manifest (the analysis goes on without it).
    pub errors: Vec<String>,
}

/// One thing a package runs at install or build time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallHook {
    /// `postinstall`, `setup.py`, `build.rs`, `binding.gyp`.
    pub name: String,
    /// The command or file.
    pub command: String,
    /// Package files it starts.
    pub entry_files: Vec<String>,
    /// Code given inline (`node -e "…"`).
    pub inline_code: Option<String>,
    /// A well-known native build step (node-gyp, prebuild-install): expected, weighs less.
    pub native_build: bool,
    /// Where it is declared.
    pub declared_in: String,
    /// Line of the declaration, when known.
    pub line: u32,
}

impl Manifest {
    /// Files that run first at install time.
    pub fn install_entry_files(&self) -> Vec<String> {
        self.install_hooks.iter().flat_map(|h| h.entry_files.iter().cloned()).collect()
    }
}

const NPM_HOOKS: &[&str] = &["preinstall", "install", "postinstall"];

const NATIVE_BUILDERS: &[&str] = &[
    "node-gyp",
    "node-gyp-build",
    "prebuild-install",
    "node-pre-gyp",
    "@mapbox/node-pre-gyp",
    "cmake-js",
    "napi-build",
];

pub(crate) fn read(files: &[PackageFile<'_>]) -> Manifest {
    let find = |name: &str| files.iter().find(|f| f.path == name);
    if let Some(file) = find("package.json") {
        return npm(file, files);
    }
    if let Some(file) = find("Cargo.toml") {
        return cargo(file, files);
    }
    let metadata = find("PKG-INFO").or_else(|| {
        files.iter().find(|f| {
            let mut parts = f.path.split('/');
            matches!((parts.next(), parts.next(), parts.next()), (Some(d), Some("METADATA"), None) if d.ends_with(".dist-info"))
        })
    });
    if metadata.is_some() || find("setup.py").is_some() || find("pyproject.toml").is_some() {
        return python(metadata, files);
    }
    Manifest::default()
}

fn line_of(text: &str, needle: &str) -> u32 {
    text.find(needle).map_or(0, |at| line_at(text, at))
}

fn line_at(text: &str, offset: usize) -> u32 {
    let before = text.as_bytes().get(..offset.min(text.len())).unwrap_or_default();
    u32::try_from(memchr::memchr_iter(b'\n', before).count() + 1).unwrap_or(u32::MAX)
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default()
}

fn npm(file: &PackageFile<'_>, files: &[PackageFile<'_>]) -> Manifest {
    let text = String::from_utf8_lossy(file.data);
    let mut manifest = Manifest { file: Some(file.path.to_owned()), ..Manifest::default() };
    let json: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            manifest.errors.push(format!("package.json:{}:{}: {e}", e.line(), e.column()));
            return manifest;
        }
    };
    manifest.name = json.get("name").and_then(Value::as_str).map(str::to_owned);
    manifest.version = json.get("version").and_then(Value::as_str).map(str::to_owned);
    manifest.dependencies = string_map(json.get("dependencies"));
    manifest.dependencies.extend(string_map(json.get("optionalDependencies")));
    manifest.scripts = string_map(json.get("scripts"));
    manifest.engines = string_map(json.get("engines"));
    manifest.bin = match json.get("bin") {
        Some(Value::String(s)) => {
            let name = manifest.name.as_deref().unwrap_or("").rsplit('/').next().unwrap_or("").to_owned();
            BTreeMap::from([(name, s.clone())])
        }
        other => string_map(other),
    };
    for hook in NPM_HOOKS {
        if let Some(command) = manifest.scripts.get(*hook) {
            let (entry_files, inline_code) = command_entries(command, files);
            let native_build = NATIVE_BUILDERS.iter().any(|b| command.split_whitespace().next() == Some(*b));
            manifest.install_hooks.push(InstallHook {
                name: (*hook).to_owned(),
                command: command.clone(),
                entry_files,
                inline_code,
                native_build,
                declared_in: file.path.to_owned(),
                line: line_of(&text, &format!("\"{hook}\"")),
            });
        }
    }
    // npm runs `node-gyp rebuild` itself when binding.gyp exists and no install hook does.
    let has_install = manifest.scripts.contains_key("install") || manifest.scripts.contains_key("preinstall");
    if !has_install && files.iter().any(|f| f.path == "binding.gyp") {
        manifest.install_hooks.push(InstallHook {
            name: "install".to_owned(),
            command: "node-gyp rebuild (implicit: binding.gyp)".to_owned(),
            entry_files: Vec::new(),
            inline_code: None,
            native_build: true,
            declared_in: "binding.gyp".to_owned(),
            line: 0,
        });
    }
    manifest
}

/// The package files a hook command starts, and inline code it passes to node.
fn command_entries(command: &str, files: &[PackageFile<'_>]) -> (Vec<String>, Option<String>) {
    let mut entries = Vec::new();
    let mut inline = None;
    for segment in command.split(['&', '|', ';']) {
        let words = shell_words(segment);
        let mut words =
            words.iter().map(String::as_str).skip_while(|w| w.contains('=') && !w.starts_with('-'));
        let Some(program) = words.next() else { continue };
        let program = program.rsplit('/').next().unwrap_or(program);
        let interpreter = matches!(
            program,
            "node" | "nodejs" | "bun" | "deno" | "sh" | "bash" | "python" | "python3" | "tsx" | "ts-node"
        );
        let rest: Vec<&str> = words.collect();
        if interpreter {
            let mut iter = rest.iter();
            while let Some(word) = iter.next() {
                if matches!(*word, "-e" | "--eval" | "-p" | "--print" | "-c") {
                    if let Some(code) = iter.next() {
                        inline = Some(
                            inline
                                .map_or_else(|| (*code).to_owned(), |prev: String| format!("{prev}\n{code}")),
                        );
                    }
                    break;
                }
                if word.starts_with('-') {
                    continue;
                }
                entries.push(word.trim_start_matches("./").to_owned());
                break;
            }
        } else {
            let candidate = program.trim_start_matches("./");
            if files.iter().any(|f| f.path == candidate) {
                entries.push(candidate.to_owned());
            }
        }
    }
    (entries, inline)
}

/// Splits a command line into words, honouring single and double quotes.
fn shell_words(segment: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in segment.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

fn cargo(file: &PackageFile<'_>, files: &[PackageFile<'_>]) -> Manifest {
    let text = String::from_utf8_lossy(file.data);
    let mut manifest = Manifest { file: Some(file.path.to_owned()), ..Manifest::default() };
    let doc: toml::Table = match text.parse() {
        Ok(doc) => doc,
        Err(e) => {
            let place = e.span().map(|s| format!(":{}", line_at(&text, s.start))).unwrap_or_default();
            manifest.errors.push(format!("Cargo.toml{place}: {}", e.message()));
            return manifest;
        }
    };
    let package = doc.get("package").and_then(toml::Value::as_table);
    manifest.name = package.and_then(|p| p.get("name")).and_then(toml::Value::as_str).map(str::to_owned);
    manifest.version =
        package.and_then(|p| p.get("version")).and_then(toml::Value::as_str).map(str::to_owned);
    if let Some(deps) = doc.get("dependencies").and_then(toml::Value::as_table) {
        for (name, spec) in deps {
            let requirement = match spec {
                toml::Value::String(s) => s.clone(),
                toml::Value::Table(t) => {
                    t.get("version").and_then(toml::Value::as_str).unwrap_or("*").to_owned()
                }
                _ => String::new(),
            };
            let name = match spec {
                toml::Value::Table(t) => {
                    t.get("package").and_then(toml::Value::as_str).unwrap_or(name).to_owned()
                }
                _ => name.clone(),
            };
            manifest.dependencies.insert(name, requirement);
        }
    }
    let build = match package.and_then(|p| p.get("build")) {
        Some(toml::Value::String(path)) => Some(path.clone()),
        Some(toml::Value::Boolean(false)) => None,
        _ => files.iter().any(|f| f.path == "build.rs").then(|| "build.rs".to_owned()),
    };
    if let Some(path) = build {
        manifest.install_hooks.push(InstallHook {
            name: "build.rs".to_owned(),
            command: path.clone(),
            entry_files: vec![path],
            inline_code: None,
            native_build: false,
            declared_in: file.path.to_owned(),
            line: line_of(&text, "build"),
        });
    }
    let proc_macro =
        doc.get("lib").and_then(|l| l.get("proc-macro")).and_then(toml::Value::as_bool) == Some(true);
    if proc_macro {
        let entry = doc
            .get("lib")
            .and_then(|l| l.get("path"))
            .and_then(toml::Value::as_str)
            .unwrap_or("src/lib.rs")
            .to_owned();
        manifest.install_hooks.push(InstallHook {
            name: "proc-macro".to_owned(),
            command: entry.clone(),
            entry_files: vec![entry],
            inline_code: None,
            native_build: false,
            declared_in: file.path.to_owned(),
            line: line_of(&text, "proc-macro"),
        });
    }
    manifest
}

fn python(metadata: Option<&PackageFile<'_>>, files: &[PackageFile<'_>]) -> Manifest {
    let mut manifest = Manifest { file: metadata.map(|m| m.path.to_owned()), ..Manifest::default() };
    if let Some(file) = metadata {
        let text = String::from_utf8_lossy(file.data);
        // RFC 822 headers end at the first blank line; the body is the description.
        for line in text.lines().take_while(|l| !l.is_empty()) {
            let Some((key, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            match key {
                "Name" => manifest.name = Some(value.to_owned()),
                "Version" => manifest.version = Some(value.to_owned()),
                "Requires-Dist" if !value.contains("extra ==") && !value.contains("extra==") => {
                    let name: String = value
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
                        .collect();
                    let requirement = value[name.len()..].split(';').next().unwrap_or("").trim().to_owned();
                    manifest.dependencies.insert(name, requirement);
                }
                _ => {}
            }
        }
    }
    // pip runs setup.py to build an sdist; a wheel never runs code at install.
    if files.iter().any(|f| f.path == "setup.py") {
        manifest.install_hooks.push(InstallHook {
            name: "setup.py".to_owned(),
            command: "python setup.py (run by pip to build the sdist)".to_owned(),
            entry_files: vec!["setup.py".to_owned()],
            inline_code: None,
            native_build: false,
            declared_in: "setup.py".to_owned(),
            line: 0,
        });
    }
    manifest
}

/// The `install-time-code` hit for one hook.
pub(crate) fn hook_hit(hook: &InstallHook) -> Hit {
    let severity = if hook.native_build || hook.name == "proc-macro" {
        Severity::Low
    } else {
        INSTALL_TIME_CODE.severity
    };
    Hit {
        signal: &INSTALL_TIME_CODE,
        severity,
        capability: Some(Capability::InstallHook),
        message: format!(
            "`{}` runs `{}` at install time",
            hook.name,
            hook.command.chars().take(120).collect::<String>()
        ),
        path: hook.declared_in.clone(),
        line: hook.line,
        column: u32::from(hook.line > 0),
        snippet: String::new(),
        phase: Phase::InstallTime,
        rule: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file<'a>(path: &'a str, data: &'a str) -> PackageFile<'a> {
        PackageFile { path, data: data.as_bytes(), executable: false }
    }

    #[test]
    fn npm_hooks_and_their_files() {
        let pkg = r#"{"name":"x","version":"1.0.0","scripts":{"postinstall":"node setup.js && node -e \"require('./a')\"","test":"jest"},
            "dependencies":{"a":"^1"},"bin":"cli.js"}"#;
        let files = [file("package.json", pkg), file("setup.js", "")];
        let m = read(&files);
        assert_eq!(m.name.as_deref(), Some("x"));
        assert_eq!(m.install_hooks.len(), 1);
        assert_eq!(m.install_hooks[0].entry_files, ["setup.js"]);
        assert_eq!(m.install_hooks[0].inline_code.as_deref(), Some("require('./a')"));
        assert_eq!(m.bin.get("x").map(String::as_str), Some("cli.js"));
        assert_eq!(m.install_hooks[0].line, 1);
    }

    #[test]
    fn implicit_node_gyp_and_bad_json() {
        let files = [file("package.json", "{\"name\":\"n\"}"), file("binding.gyp", "{}")];
        let m = read(&files);
        assert!(m.install_hooks[0].native_build);
        let m = read(&[file("package.json", "{\"name\": }")]);
        assert!(m.errors[0].starts_with("package.json:1:"), "{:?}", m.errors);
    }

    #[test]
    fn cargo_build_script_and_python_setup() {
        let toml = "[package]\nname = \"c\"\nversion = \"0.1.0\"\n[dependencies]\nserde = \"1\"\nfoo = { version = \"2\", package = \"bar\" }\n";
        let m = read(&[file("Cargo.toml", toml), file("build.rs", "fn main(){}")]);
        assert_eq!(m.install_hooks[0].entry_files, ["build.rs"]);
        assert!(m.dependencies.contains_key("bar"));
        let meta = "Metadata-Version: 2.1\nName: p\nVersion: 1.0\nRequires-Dist: requests>=2\nRequires-Dist: pytest; extra == \"test\"\n\nbody";
        let m = read(&[file("PKG-INFO", meta), file("setup.py", "")]);
        assert_eq!(m.dependencies.keys().collect::<Vec<_>>(), ["requests"]);
        assert_eq!(m.install_hooks[0].name, "setup.py");
    }
}

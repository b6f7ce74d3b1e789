//! Content analysis: what a package's files can do, read without running them.
//!
//! Input is a package's files as bytes (from `firebreak-archive` or a directory); output is
//! an [`Analysis`]: every [`Hit`] with its file, line and snippet, the capabilities the
//! package uses at install time and at run time, the modules it imports and its manifest.
//! [`score()`] turns an analysis into a [`Verdict`]; [`diff()`] compares two releases.
//!
//! Nothing here executes package code: JavaScript is parsed with oxc, Python with
//! tree-sitter, everything else is read as text or bytes.

mod binary;
pub mod diff;
mod js;
pub mod manifest;
mod obfuscation;
mod patterns;
mod python;
pub mod score;
pub mod signals;
mod source;
mod text;
pub mod yara;

use std::collections::{BTreeMap, BTreeSet};

use firebreak_core::{FileLocation, Finding, Severity, Signal};
use serde::Serialize;

pub use diff::{Diff, FileChange, diff};
pub use manifest::{InstallHook, Manifest};
pub use score::{Verdict, VerdictKind, score};

/// One file of a package, path relative to the package root with `/` separators.
#[derive(Debug, Clone, Copy)]
pub struct PackageFile<'a> {
    /// Normalised path inside the package.
    pub path: &'a str,
    /// The bytes.
    pub data: &'a [u8],
    /// Whether the archive marked it executable.
    pub executable: bool,
}

/// What code can do; the unit the version diff compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// Runs a hook at install or build time.
    InstallHook,
    /// Opens network connections.
    Network,
    /// Starts other programs.
    ProcessSpawn,
    /// Starts programs detached or hidden.
    HiddenProcess,
    /// Writes, renames or changes modes of files.
    FileWrite,
    /// Deletes files.
    FileDelete,
    /// Reads environment variables.
    EnvironmentRead,
    /// Serialises the whole environment or many secrets.
    EnvironmentHarvest,
    /// Executes code built at run time.
    DynamicCode,
    /// Decrypts or decodes embedded data.
    Decoding,
    /// Names credential files.
    CredentialAccess,
    /// Names autostart places.
    Persistence,
    /// Deletes or rewrites itself.
    SelfModification,
    /// Publishes packages or handles publishing tokens.
    Publishing,
    /// Reads host identity (hostname, user, interfaces).
    HostInformation,
    /// Names exfiltration-style endpoints.
    ExfiltrationEndpoint,
    /// Ships compiled executables.
    NativeBinary,
    /// Hides its source.
    Obfuscation,
    /// Replaces network or wallet functions of its host.
    NetworkInterception,
    /// Overwrites or deletes files found by walking directories.
    DestructiveWrite,
}

impl Capability {
    /// A phrase for messages ("network access").
    pub fn describe(self) -> &'static str {
        match self {
            Capability::InstallHook => "an install hook",
            Capability::Network => "network access",
            Capability::ProcessSpawn => "process spawning",
            Capability::HiddenProcess => "hidden or detached processes",
            Capability::FileWrite => "file writes",
            Capability::FileDelete => "file deletion",
            Capability::EnvironmentRead => "environment reads",
            Capability::EnvironmentHarvest => "environment harvesting",
            Capability::DynamicCode => "dynamic code execution",
            Capability::Decoding => "decoding of embedded data",
            Capability::CredentialAccess => "credential file access",
            Capability::Persistence => "persistence",
            Capability::SelfModification => "self-modification",
            Capability::Publishing => "package publishing",
            Capability::HostInformation => "host fingerprinting",
            Capability::ExfiltrationEndpoint => "exfiltration endpoints",
            Capability::NativeBinary => "bundled binaries",
            Capability::Obfuscation => "obfuscation",
            Capability::NetworkInterception => "network interception",
            Capability::DestructiveWrite => "destructive file writes",
        }
    }
}

/// When code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// From an install hook, setup.py or build.rs: before anyone has looked.
    InstallTime,
    /// When the package is imported or run.
    Runtime,
}

impl Phase {
    /// "install-time" / "runtime".
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::InstallTime => "install-time",
            Phase::Runtime => "runtime",
        }
    }
}

/// One thing found in one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The signal id.
    #[serde(serialize_with = "signal_id")]
    pub signal: &'static Signal,
    /// This instance's severity (before install-time weighting).
    pub severity: Severity,
    /// The capability it shows, when it shows one.
    pub capability: Option<Capability>,
    /// One line that says what was found.
    pub message: String,
    /// File inside the package.
    pub path: String,
    /// 1-based line (0 for whole-file facts).
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The source line, shortened.
    pub snippet: String,
    /// When the code runs.
    pub phase: Phase,
    /// The YARA rule behind a `yara-match` hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Box<RuleMatch>>,
}

/// Which YARA rule matched, and where its evidence comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleMatch {
    /// The rule's identifier.
    pub rule: String,
    /// `builtin`, or the rule file it came from.
    pub namespace: String,
    /// The string identifier (`$name`) of the first match, when a string matched.
    pub pattern: Option<String>,
    /// Whether the rule's meta says `verdict = "malicious"`.
    pub malicious: bool,
}

fn signal_id<S: serde::Serializer>(signal: &&'static Signal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(signal.id)
}

impl Hit {
    /// The finding this hit reports, with its place and snippet as evidence.
    pub fn to_finding(&self) -> Finding {
        let mut finding =
            Finding::new(self.signal, self.message.clone()).severity(self.severity).at(FileLocation {
                path: self.path.clone(),
                line: (self.line > 0).then_some(self.line),
                column: (self.line > 0).then_some(self.column),
            });
        finding = finding.evidence("phase", self.phase.as_str());
        if let Some(rule) = &self.rule {
            finding =
                finding.evidence("rule", rule.rule.clone()).evidence("namespace", rule.namespace.clone());
            if let Some(pattern) = &rule.pattern {
                finding = finding.evidence("string", pattern.clone());
            }
        }
        if !self.snippet.is_empty() {
            finding = finding.evidence("code", self.snippet.clone());
        }
        finding
    }
}

/// Everything content analysis learned about one package version.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Analysis {
    /// The manifest read from the package.
    pub manifest: Manifest,
    /// Every hit, in file and line order.
    pub hits: Vec<Hit>,
    /// Capabilities used, with the phase they are used in.
    pub capabilities: BTreeSet<(Capability, Phase)>,
    /// Modules imported by any file (bare specifiers: `child_process`, `lodash/fp`, `requests`).
    pub imports: BTreeSet<String>,
    /// Files run at install time (hook entry points and what they import).
    pub install_files: BTreeSet<String>,
    /// Files analysed as code, and their total size.
    pub code_files: usize,
    /// Bytes of code analysed.
    pub code_bytes: u64,
    /// Remarks on the analysis itself (files too large, parser fallbacks).
    pub notes: Vec<String>,
}

impl Analysis {
    /// The hits as findings.
    pub fn findings(&self) -> Vec<Finding> {
        self.hits.iter().map(Hit::to_finding).collect()
    }
}

/// Source files larger than this are checked token by token only: minified bundles of
/// this size are vendored libraries, and a parser's memory grows with the input.
pub const MAX_PARSED_FILE: usize = 8 * 1024 * 1024;

/// What one file analyzer reports for one file.
#[derive(Debug, Default)]
pub(crate) struct FileReport {
    pub(crate) hits: Vec<Hit>,
    /// Bare module specifiers.
    pub(crate) imports: BTreeSet<String>,
    /// Relative specifiers, resolved against the file's directory (without extension
    /// guessing; the caller resolves against the file list).
    pub(crate) local_imports: BTreeSet<String>,
    pub(crate) capabilities: BTreeSet<Capability>,
    pub(crate) notes: Vec<String>,
}

/// A language analyzer: one per source language.
pub(crate) trait FileAnalyzer {
    /// Whether this analyzer reads `path`.
    fn accepts(&self, path: &str) -> bool;
    /// Analyses one file's text.
    fn analyze(&self, path: &str, text: &str, out: &mut FileReport);
}

static ANALYZERS: &[&(dyn FileAnalyzer + Sync)] =
    &[&js::JavaScript, &python::Python, &text::Shell, &text::RustBuild];

/// Analyses a package's files, with the built-in YARA rules.
pub fn analyze(files: &[PackageFile<'_>]) -> Analysis {
    analyze_with(files, None)
}

/// Analyses a package's files; `rules`, when given, replace the built-in YARA rules (a
/// [`yara::RuleSet`] holds the built-in ones too).
pub fn analyze_with(files: &[PackageFile<'_>], rules: Option<&yara::RuleSet>) -> Analysis {
    let manifest = manifest::read(files);
    let mut analysis = Analysis { manifest, ..Analysis::default() };
    let mut reports: BTreeMap<String, FileReport> = BTreeMap::new();

    for file in files {
        let mut report = FileReport::default();
        if let Some(kind) = binary::executable_kind(file.data) {
            report.capabilities.insert(Capability::NativeBinary);
            report.hits.push(binary::hit(file.path, kind));
        } else if let Some(analyzer) = ANALYZERS.iter().find(|a| a.accepts(file.path)) {
            let text = text_of(file.data);
            analysis.code_files += 1;
            analysis.code_bytes += file.data.len() as u64;
            analyzer.analyze(file.path, &text, &mut report);
            obfuscation::check(file.path, &text, &mut report);
        } else if file.path.ends_with(".pth") {
            let text = text_of(file.data);
            python::check_pth(file.path, &text, &mut report);
        }
        if !report.hits.is_empty()
            || !report.imports.is_empty()
            || !report.local_imports.is_empty()
            || !report.notes.is_empty()
            || !report.capabilities.is_empty()
        {
            reports.insert(file.path.to_owned(), report);
        }
    }

    let (rule_hits, rule_notes) = yara::scan(rules, files);
    analysis.notes.extend(rule_notes);
    for hit in rule_hits {
        reports.entry(hit.path.clone()).or_default().hits.push(hit);
    }

    // Inline hook code (`node -e "…"`) is analysed as a file of its own.
    for hook in &analysis.manifest.install_hooks {
        if let Some(code) = &hook.inline_code {
            let path = format!("<{} hook>", hook.name);
            let mut report = FileReport::default();
            js::JavaScript.analyze(&path, code, &mut report);
            obfuscation::check(&path, code, &mut report);
            analysis.install_files.insert(path.clone());
            reports.insert(path, report);
        }
    }

    let paths: BTreeSet<&str> = files.iter().map(|f| f.path).collect();
    let mut queue: Vec<String> = analysis.manifest.install_entry_files();
    while let Some(path) = queue.pop() {
        let Some(found) = resolve(&paths, &path) else { continue };
        if !analysis.install_files.insert(found.to_owned()) {
            continue;
        }
        if let Some(report) = reports.get(found) {
            queue.extend(report.local_imports.iter().cloned());
        }
    }

    for (path, report) in reports {
        let phase = if analysis.install_files.contains(&path) { Phase::InstallTime } else { Phase::Runtime };
        let decoded_eval =
            report.hits.iter().any(|h| h.signal.id == "dynamic-code" && h.severity >= Severity::High);
        if let Some(hit) = combination(&path, phase, &report.capabilities, decoded_eval) {
            analysis.hits.push(hit);
        }
        // What tests and docs could do does not describe the package (their findings stay
        // listed, unweighted).
        if phase == Phase::InstallTime || !is_auxiliary(&path) {
            for capability in &report.capabilities {
                analysis.capabilities.insert((*capability, phase));
            }
        }
        analysis.imports.extend(report.imports);
        analysis.notes.extend(report.notes);
        for mut hit in report.hits {
            hit.phase = phase;
            analysis.hits.push(hit);
        }
    }
    for hook in &analysis.manifest.install_hooks {
        analysis.capabilities.insert((Capability::InstallHook, Phase::InstallTime));
        analysis.hits.push(manifest::hook_hit(hook));
    }
    analysis.hits.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.signal.id).cmp(&(&b.path, b.line, b.column, b.signal.id))
    });
    analysis
}

/// The file as text, invalid sequences replaced. Valid UTF-8 (nearly every source file) is
/// checked by `from_utf8`'s ASCII fast path and borrowed; the lossy decoder walks chunk by
/// chunk and cost several instructions per byte.
fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(data) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(data),
    }
}

/// Tests, examples and documentation ship in sdists and tarballs but do not run when the
/// package is used.
pub(crate) fn is_auxiliary(path: &str) -> bool {
    path.split('/').rev().skip(1).any(|dir| {
        matches!(
            dir,
            "test"
                | "tests"
                | "__tests__"
                | "testing"
                | "spec"
                | "example"
                | "examples"
                | "docs"
                | "doc"
                | "benchmarks"
                | "bench"
        )
    }) || path.contains(".test.")
        || path.contains(".spec.")
        || path.rsplit('/').next().is_some_and(|f| f.starts_with("test_"))
}

/// Finds `path` among the package's files the way Node and Python resolve a relative
/// import: as given, then with the usual extensions, then as a directory's index.
fn resolve<'p>(paths: &BTreeSet<&'p str>, path: &str) -> Option<&'p str> {
    const SUFFIXES: &[&str] =
        &["", ".js", ".cjs", ".mjs", ".ts", ".json", ".py", "/index.js", "/index.cjs", "/__init__.py"];
    let path = path.trim_start_matches("./");
    SUFFIXES.iter().find_map(|suffix| paths.get(format!("{path}{suffix}").as_str()).copied())
}

/// What only shows in combination within one file: fetching, then executing what was
/// fetched (by evaluating it, or by writing and running it, or by starting a hidden
/// process). At run time a client that also spawns programs, or a bundle that also
/// evaluates generated code, is ordinary: there it takes a hidden process or the
/// evaluation of decoded data.
fn combination(path: &str, phase: Phase, caps: &BTreeSet<Capability>, decoded_eval: bool) -> Option<Hit> {
    let network = caps.contains(&Capability::Network);
    let hidden = caps.contains(&Capability::HiddenProcess);
    let evaluates = caps.contains(&Capability::DynamicCode);
    let writes_and_runs = caps.contains(&Capability::ProcessSpawn) && caps.contains(&Capability::FileWrite);
    let at_install = phase == Phase::InstallTime && (evaluates || hidden || writes_and_runs);
    if !(network && (at_install || hidden || decoded_eval)) {
        return None;
    }
    Some(Hit {
        signal: &signals::DOWNLOAD_AND_EXECUTE,
        severity: signals::DOWNLOAD_AND_EXECUTE.severity,
        capability: Some(Capability::Network),
        message: format!("{path} fetches from the network and executes code or programs"),
        path: path.to_owned(),
        line: 0,
        column: 0,
        snippet: String::new(),
        phase,
        rule: None,
    })
}

/// The finding for an archive entry the reader did not hand over (a link, a path
/// escaping the root, an oversize file): package managers may extract it differently.
pub fn archive_anomaly(entry: &str, reason: &str, suspicious: bool) -> Hit {
    Hit {
        signal: &signals::ARCHIVE_ANOMALY,
        severity: if suspicious { signals::ARCHIVE_ANOMALY.severity } else { Severity::Info },
        capability: None,
        message: format!("archive entry `{entry}` not read: {reason}"),
        path: entry.to_owned(),
        line: 0,
        column: 0,
        snippet: String::new(),
        phase: Phase::InstallTime,
        rule: None,
    }
}

/// The finding for bytes that are not the registry's: nothing else is analysed.
pub fn integrity_mismatch(archive: &str, detail: &str) -> Hit {
    Hit {
        signal: &signals::INTEGRITY_MISMATCH,
        severity: signals::INTEGRITY_MISMATCH.severity,
        capability: None,
        message: format!("{archive} does not match its expected digest: {detail}"),
        path: archive.to_owned(),
        line: 0,
        column: 0,
        snippet: String::new(),
        phase: Phase::InstallTime,
        rule: None,
    }
}

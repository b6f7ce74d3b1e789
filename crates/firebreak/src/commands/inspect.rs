//! `firebreak inspect PATH` and `firebreak diff OLD NEW`: content analysis of package
//! files, read without running anything.

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_archive::{Integrity, verify_integrity};
use firebreak_content::yara::{RuleSet, RuleSource};
use firebreak_content::{Analysis, Diff, Verdict, analyze_with, diff, score};
use serde::Serialize;

use firebreak_content::signals::INTEGRITY_MISMATCH;
use firebreak_core::{DepKind, Ecosystem, FileLocation, Finding, InventoryBuilder, NodeRef};
use firebreak_policy::{Action, Date, Policy};
use firebreak_registry::Registries;
use firebreak_report::{Report, Reporter, Sarif};

use super::spec::{self, Spec};
use crate::cli::{DiffArgs, FetchArgs, InspectArgs, InspectFormat, PackageEcosystem};
use crate::content::Loaded;
use crate::exit::ExitStatus;
use crate::printer;

/// Bounds for reading an unpacked package from disk: the same order as the archive
/// reader's, so a directory cannot make the analysis hold more than a package may.
const MAX_TOTAL: u64 = 256 * 1024 * 1024;
const MAX_FILES: usize = 20_000;
const MAX_FILE: u64 = 64 * 1024 * 1024;

/// Compressed archives larger than this are not packages anyone installs.
const MAX_ARCHIVE: u64 = 512 * 1024 * 1024;

/// Reads a package archive (npm .tgz, sdist, wheel, .crate), checking `integrity` first
/// when given; a mismatch stops before anything is unpacked.
fn load_archive(path: &Utf8Path, integrity: Option<&str>) -> miette::Result<Loaded> {
    let size = fs_err::metadata(path).map_err(|e| miette::miette!("cannot read `{path}`: {e}"))?.len();
    if size > MAX_ARCHIVE {
        return Err(miette::miette!("`{path}` is {size} bytes, over the {MAX_ARCHIVE}-byte archive limit"));
    }
    let bytes = fs_err::read(path).map_err(|e| miette::miette!("cannot read `{path}`: {e}"))?;
    let name = path.file_name().unwrap_or(path.as_str());
    if let Some(expected) = integrity {
        match verify_integrity(&bytes, expected) {
            Integrity::Match { .. } => {}
            mismatch @ Integrity::Mismatch { .. } => return Ok(Loaded::mismatch(name, &mismatch)),
            Integrity::Unsupported { expected } => {
                return Err(miette::miette!(
                    "cannot check `{path}` against `{expected}`: expected an SRI string (sha512-…, sha256-…, sha1-…) or a hex sha256/sha1 digest"
                ));
            }
        }
    }
    crate::content::unpack(path.as_str(), name, &bytes).map_err(|e| miette::miette!("{e}"))
}

fn load(path: &Utf8Path, integrity: Option<&str>) -> miette::Result<Loaded> {
    let meta = fs_err::metadata(path).map_err(|e| miette::miette!("cannot read `{path}`: {e}"))?;
    if !meta.is_dir() {
        return load_archive(path, integrity);
    }
    if integrity.is_some() {
        return Err(miette::miette!("`{path}` is a directory; --integrity checks an archive file"));
    }
    let mut loaded = Loaded::default();
    let mut total = 0u64;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = fs_err::read_dir(&dir).map_err(|e| miette::miette!("cannot list `{dir}`: {e}"))?;
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let Ok(full) = Utf8PathBuf::from_path_buf(entry.path()) else {
                loaded.skipped.push(format!("{}: not UTF-8", entry.path().display()));
                continue;
            };
            let rel =
                full.strip_prefix(path).map_or_else(|_| full.to_string(), |p| p.as_str().replace('\\', "/"));
            // Links are never followed: a package that links outside itself is reported.
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_symlink() {
                loaded.skipped.push(format!("{rel}: symbolic link, not followed"));
            } else if kind.is_dir() {
                stack.push(full);
            } else if kind.is_file() {
                let size = entry.metadata().map_or(0, |m| m.len());
                if size > MAX_FILE {
                    loaded.skipped.push(format!("{rel}: {size} bytes, over the {MAX_FILE}-byte file limit"));
                    continue;
                }
                total += size;
                if total > MAX_TOTAL || loaded.files.len() >= MAX_FILES {
                    return Err(miette::miette!(
                        "`{path}` holds more than {MAX_FILES} files or {MAX_TOTAL} bytes; not a single package"
                    ));
                }
                let data = fs_err::read(&full).map_err(|e| miette::miette!("cannot read `{full}`: {e}"))?;
                loaded.files.push((rel, data));
            } else {
                loaded.skipped.push(format!("{rel}: not a regular file"));
            }
        }
    }
    loaded.files.sort();
    Ok(loaded)
}

/// Largest rule file read, and most rule files taken from one directory: rules are the
/// user's own, the bounds only keep a wrong path (a home directory) from being read whole.
const MAX_RULE_FILE: u64 = 16 * 1024 * 1024;
const MAX_RULE_FILES: usize = 10_000;

/// The rule files `--rules` names: a file as given, a directory's `.yar` and `.yara` files
/// (not its subdirectories) in name order.
fn rule_sources(paths: &[Utf8PathBuf]) -> Result<Vec<RuleSource>, miette::Report> {
    let mut files: Vec<Utf8PathBuf> = Vec::new();
    for path in paths {
        let meta =
            fs_err::metadata(path).map_err(|e| miette::miette!("cannot read YARA rules `{path}`: {e}"))?;
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found: Vec<Utf8PathBuf> = fs_err::read_dir(path)
            .map_err(|e| miette::miette!("cannot list YARA rules in `{path}`: {e}"))?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| Utf8PathBuf::from_path_buf(e.path()).ok())
            .filter(|p| matches!(p.extension(), Some("yar" | "yara")))
            .collect();
        if found.is_empty() {
            return Err(miette::miette!(
                "`{path}` holds no YARA rule file: expected files named `*.yar` or `*.yara`"
            ));
        }
        found.sort();
        files.extend(found);
    }
    if files.len() > MAX_RULE_FILES {
        return Err(miette::miette!(
            "{} YARA rule files given, more than the {MAX_RULE_FILES} read in one run",
            files.len()
        ));
    }
    files
        .into_iter()
        .map(|path| {
            let size = fs_err::metadata(&path).map_err(|e| miette::miette!("cannot read YARA rules `{path}`: {e}"))?.len();
            if size > MAX_RULE_FILE {
                return Err(miette::miette!(
                    "YARA rules `{path}` are {size} bytes, over the {MAX_RULE_FILE}-byte limit for a rule file"
                ));
            }
            let text = fs_err::read(&path).map_err(|e| miette::miette!("cannot read YARA rules `{path}`: {e}"))?;
            Ok(RuleSource { origin: path.to_string(), text })
        })
        .collect()
}

/// Compiles `--rules` with the built-in set. A file that does not compile is reported
/// (with its line) and marks the run as failed, the others are used; `None` without
/// `--rules`, so the analysis uses the built-in rules alone.
fn user_rules(paths: &[Utf8PathBuf], status: &mut ExitStatus) -> miette::Result<Option<RuleSet>> {
    if paths.is_empty() {
        return Ok(None);
    }
    if !firebreak_content::yara::available() {
        return Err(miette::miette!(
            help = "build firebreak with its default features (`cargo build`) to use YARA rules",
            "`--rules` needs YARA: {}",
            firebreak_content::yara::Unsupported
        ));
    }
    let sources = rule_sources(paths)?;
    let (rules, errors) = RuleSet::compile(&sources).map_err(|e| miette::miette!("`--rules`: {e}"))?;
    for error in &errors {
        printer::error(&miette::miette!("{error}"));
        *status = ExitStatus::Error;
    }
    Ok(Some(rules))
}

/// Where an inspected package came from, when it came from a registry.
#[derive(Debug, Clone, Serialize)]
struct SourceInfo {
    /// `name@version`.
    package: String,
    #[serde(skip)]
    ecosystem_value: Ecosystem,
    #[serde(skip)]
    name: String,
    #[serde(skip)]
    version: String,
    ecosystem: &'static str,
    url: String,
    filename: String,
    /// The registry digest the archive was checked against (`sha512-<hex>`).
    digest: String,
    /// `verified` or `mismatch`.
    integrity: &'static str,
    /// Whether the artifact cache answered instead of the registry.
    from_cache: bool,
}

/// One input read and ready for the analyzers.
struct Input {
    label: String,
    loaded: Loaded,
    source: Option<SourceInfo>,
}

/// A `name@version` argument (or purl) rather than a path: it does not exist on disk and
/// names a package. Paths that exist always win, so `./axios@1.0.0.tgz` stays a file.
fn package_spec(arg: &str, fetch: &FetchArgs) -> Option<Result<Spec, String>> {
    if Utf8Path::new(arg).exists() {
        return None;
    }
    let prefixed = arg.starts_with("pkg:")
        || arg.split_once(':').is_some_and(|(p, _)| ["npm", "pypi", "cargo"].contains(&p));
    let versioned = arg.char_indices().skip(1).any(|(_, c)| c == '@') || arg.contains("==");
    if !prefixed && !versioned {
        return None;
    }
    Some(spec::parse(arg).map(|mut spec| {
        if !prefixed {
            spec.ecosystem = match fetch.ecosystem {
                PackageEcosystem::Npm => Ecosystem::Npm,
                PackageEcosystem::Pypi => Ecosystem::PyPI,
                PackageEcosystem::Cargo => Ecosystem::CratesIo,
            };
        }
        spec
    }))
}

/// Reads every argument: paths from disk, packages from their registry (the clients are
/// built only when a package is named).
fn read_inputs(args: &[&str], fetch: &FetchArgs, integrity: Option<&str>) -> Vec<miette::Result<Input>> {
    let mut registries: Option<Registries> = None;
    args.iter()
        .map(|arg| match package_spec(arg, fetch) {
            None => {
                let path = Utf8Path::new(arg);
                load(path, integrity).map(|loaded| Input { label: arg.to_string(), loaded, source: None })
            }
            Some(Err(e)) => Err(miette::miette!("{e}")),
            Some(Ok(_)) if integrity.is_some() => Err(miette::miette!(
                help = "registry packages are always checked against the digest their registry publishes",
                "`--integrity` applies to archive files, not to `{arg}`"
            )),
            Some(Ok(spec)) => {
                let clients = match registries.take() {
                    Some(r) => r,
                    None => {
                        let cwd = std::env::current_dir().ok();
                        super::registry::registries(&fetch.registry, cwd.as_deref())?
                    }
                };
                let input = fetch_input(&clients, &spec, fetch);
                // Kept for the next argument: one HTTP client and request budget per run.
                registries = Some(clients);
                input
            }
        })
        .collect()
}

fn fetch_input(registries: &Registries, spec: &Spec, fetch: &FetchArgs) -> miette::Result<Input> {
    let version = match &spec.version {
        Some(v) => v.clone(),
        None => firebreak_server::registry_signals::highest_version(registries, spec.ecosystem, &spec.name)
            .map_err(|e| miette::miette!("cannot find the latest release of `{}`: {e}", spec.name))?,
    };
    let package = format!("{}@{version}", spec.name);
    let fetched = crate::content::block_on(async {
        let artifact =
            registries.locate_artifact(spec.ecosystem, &spec.name, &version, fetch.file.as_deref()).await?;
        crate::content::fetch(registries, artifact).await
    })?
    .map_err(|e| miette::miette!("cannot fetch `{package}`: {e}"))?;
    let loaded = fetched.load().map_err(|e| miette::miette!("{e}"))?;
    let digest = fetched
        .artifact
        .strongest()
        .map(|h| format!("{}-{}", h.algorithm.display_name().to_ascii_lowercase().replace('-', ""), h.value))
        .unwrap_or_default();
    let source = SourceInfo {
        package: package.clone(),
        ecosystem_value: spec.ecosystem,
        name: spec.name.clone(),
        version: fetched.artifact.version.clone(),
        ecosystem: match spec.ecosystem {
            Ecosystem::PyPI => "pypi",
            Ecosystem::CratesIo => "cargo",
            _ => "npm",
        },
        url: fetched.artifact.url.clone(),
        filename: fetched.artifact.filename.clone(),
        digest,
        integrity: if fetched.integrity.is_match() { "verified" } else { "mismatch" },
        from_cache: fetched.from_cache,
    };
    Ok(Input { label: fetched.artifact.filename.clone(), loaded, source: Some(source) })
}

#[derive(Serialize)]
struct InspectReport<'a> {
    path: &'a str,
    name: Option<&'a str>,
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a SourceInfo>,
    verdict: &'a Verdict,
    skipped: &'a [String],
    analysis: &'a Analysis,
}

pub(super) fn run(args: &InspectArgs) -> miette::Result<ExitStatus> {
    let (policy, policy_path) = super::scan::load_policy_from(args.config.as_deref(), Utf8Path::new("."))?;
    let today = Date::from_unix_seconds(super::scan::now()?.unix_seconds());
    let mut status = ExitStatus::Success;
    let rules = user_rules(&args.rules, &mut status)?;
    let mut done = Vec::new();
    let names: Vec<&str> = args.paths.iter().map(String::as_str).collect();
    for input in read_inputs(&names, &args.fetch, args.integrity.as_deref()) {
        match input {
            Ok(input) => {
                let mut analysis = analyze_with(&input.loaded.package_files(), rules.as_ref());
                analysis.hits.extend(input.loaded.hits.iter().cloned());
                let verdict = score(&analysis, &[]);
                done.push((input, analysis, verdict));
            }
            Err(e) => {
                printer::error(&e);
                status = ExitStatus::Error;
            }
        }
    }
    let decided = decide(&done, &policy, today);
    let blocked = decided.report_failed();
    let bytes = match args.format {
        InspectFormat::Human => {
            let mut human = String::new();
            for (input, analysis, verdict) in &done {
                render_inspect(&mut human, input, analysis, verdict, args.verbose);
            }
            human.into_bytes()
        }
        InspectFormat::Json => {
            let out: Vec<InspectReport<'_>> = done
                .iter()
                .map(|(input, analysis, verdict)| InspectReport {
                    path: &input.label,
                    name: analysis.manifest.name.as_deref(),
                    version: analysis.manifest.version.as_deref(),
                    source: input.source.as_ref(),
                    verdict,
                    skipped: &input.loaded.skipped,
                    analysis,
                })
                .collect();
            let mut json =
                serde_json::to_vec_pretty(&out).map_err(|e| miette::miette!("cannot write JSON: {e}"))?;
            json.push(b'\n');
            json
        }
        InspectFormat::Sarif => decided.sarif(&done, &policy, policy_path.as_deref(), None)?,
    };
    super::write_output(args.output.as_deref(), &bytes)?;
    if status == ExitStatus::Success && blocked && !args.exit_zero {
        status = ExitStatus::Blocked;
    }
    Ok(status)
}

type Inspected = (Input, Analysis, Verdict);

/// The inspected packages as an inventory, every finding of their analyses, and the
/// policy's decisions on them.
struct Decided {
    inventory: firebreak_core::Inventory,
    findings: Vec<Finding>,
    /// Which findings are verdicts (`malicious-content`, `suspicious-content`,
    /// `integrity-mismatch`): only they decide the exit code; the others are the evidence.
    deciding: Vec<bool>,
    evaluation: firebreak_policy::Evaluation,
}

fn decide(done: &[Inspected], policy: &Policy, today: Date) -> Decided {
    let mut builder = InventoryBuilder::new("inspect", "content/inspect");
    let root = builder.root(Ecosystem::Npm, "inspect", None, "");
    let mut findings = Vec::new();
    let mut deciding = Vec::new();
    for (input, analysis, verdict) in done {
        let (ecosystem, name, version) = match &input.source {
            Some(s) => (s.ecosystem_value, s.name.clone(), s.version.clone()),
            None => (
                Ecosystem::Npm,
                analysis.manifest.name.clone().unwrap_or_else(|| input.label.clone()),
                analysis.manifest.version.clone().unwrap_or_default(),
            ),
        };
        let id = builder.package(ecosystem, &name, &version);
        builder.edge(NodeRef::Root(root), id, DepKind::Normal, Some(&version));
        for hit in &analysis.hits {
            findings.push(hit.to_finding().package(id).evidence("archive", input.label.clone()));
            deciding.push(hit.signal.id == INTEGRITY_MISMATCH.id);
        }
        let stored = crate::content::StoredVerdict::from_analysis(&input.label, analysis, verdict);
        if !stored.is_mismatch()
            && let Some(mut f) = stored.finding(&format!("{name}@{version}"))
        {
            f = f.package(id);
            if let Some((path, line, column)) = stored.top_location() {
                f = f.at(FileLocation { path, line: Some(line), column: Some(column) });
            }
            findings.push(f);
            deciding.push(true);
        }
    }
    let inventory = builder.finish();
    let evaluation = policy.evaluate(&inventory, &findings, today);
    Decided { inventory, findings, deciding, evaluation }
}

impl Decided {
    fn report_failed(&self) -> bool {
        self.evaluation
            .decisions
            .iter()
            .zip(&self.deciding)
            .any(|(d, deciding)| *deciding && d.action == Action::Fail)
    }

    /// The report crate's SARIF with each rule's `help.markdown` taken from its
    /// `docs/signals` page, as `explain` prints it; `compared_with` names the older release
    /// of a diff.
    fn sarif(
        &self,
        done: &[Inspected],
        policy: &Policy,
        policy_path: Option<&Utf8Path>,
        compared_with: Option<&str>,
    ) -> miette::Result<Vec<u8>> {
        let mut report =
            Report::new(env!("CARGO_PKG_VERSION"), &self.inventory, &self.findings, &self.evaluation, policy);
        report.policy_path = policy_path.map(ToString::to_string);
        let mut out = Vec::new();
        Sarif.render(&report, &mut out).map_err(|e| miette::miette!("cannot render SARIF: {e}"))?;
        let mut doc: serde_json::Value =
            serde_json::from_slice(&out).map_err(|e| miette::miette!("cannot render SARIF: {e}"))?;
        if let Some(rules) = doc.pointer_mut("/runs/0/tool/driver/rules").and_then(|r| r.as_array_mut()) {
            for rule in rules {
                let id = rule.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                if let Some(page) = super::explain::PAGES.iter().find(|(p, _)| *p == id).map(|(_, t)| *t)
                    && let Some(help) = rule.get_mut("help").and_then(|h| h.as_object_mut())
                {
                    help.insert("markdown".into(), serde_json::Value::String(page.to_owned()));
                }
            }
        }
        if let Some(run) = doc.pointer_mut("/runs/0").and_then(|r| r.as_object_mut()) {
            let archives: Vec<serde_json::Value> = done
                .iter()
                .map(|(input, _, verdict)| {
                    serde_json::json!({
                        "archive": input.label,
                        "source": input.source.as_ref().map(|s| s.url.clone()),
                        "verdict": verdict.verdict.as_str(),
                        "score": verdict.score,
                    })
                })
                .collect();
            let mut properties = serde_json::json!({ "packages": archives });
            if let (Some(old), Some(map)) = (compared_with, properties.as_object_mut()) {
                map.insert("compared_with".into(), serde_json::Value::String(old.to_owned()));
            }
            run.insert("properties".into(), properties);
        }
        let mut bytes =
            serde_json::to_vec_pretty(&doc).map_err(|e| miette::miette!("cannot render SARIF: {e}"))?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

fn title(path: &str, analysis: &Analysis) -> String {
    match (&analysis.manifest.name, &analysis.manifest.version) {
        (Some(n), Some(v)) => format!("{n}@{v} ({path})"),
        (Some(n), None) => format!("{n} ({path})"),
        _ => path.to_string(),
    }
}

fn render_inspect(out: &mut String, input: &Input, analysis: &Analysis, verdict: &Verdict, verbose: bool) {
    let (path, skipped) = (input.label.as_str(), &input.loaded.skipped);
    let _ = writeln!(
        out,
        "{}: {} (score {})",
        title(path, analysis),
        verdict.verdict.as_str().to_uppercase(),
        verdict.score
    );
    if let Some(source) = &input.source {
        let cached = if source.from_cache { ", from the cache" } else { "" };
        let _ = writeln!(
            out,
            "  archive: {} ({} {}{cached})",
            source.url,
            source.digest.split('-').next().unwrap_or_default(),
            source.integrity
        );
    }
    let _ = writeln!(out, "  {} code files, {} bytes analysed", analysis.code_files, analysis.code_bytes);
    for hook in &analysis.manifest.install_hooks {
        let _ = writeln!(out, "  install hook `{}`: {}", hook.name, hook.command);
    }
    if !verdict.reasons.is_empty() {
        let _ = writeln!(out, "  why:");
        for reason in &verdict.reasons {
            let _ = writeln!(out, "    - {reason}");
        }
    }
    let mut by_phase: Vec<String> = Vec::new();
    for phase in [firebreak_content::Phase::InstallTime, firebreak_content::Phase::Runtime] {
        let caps: Vec<&str> =
            analysis.capabilities.iter().filter(|(_, p)| *p == phase).map(|(c, _)| c.describe()).collect();
        if !caps.is_empty() {
            by_phase.push(format!("{}: {}", phase.as_str(), caps.join(", ")));
        }
    }
    if !by_phase.is_empty() {
        let _ = writeln!(out, "  capabilities:");
        for line in by_phase {
            let _ = writeln!(out, "    {line}");
        }
    }
    if verbose {
        let _ = writeln!(out, "  findings:");
        for hit in &analysis.hits {
            let place = if hit.line > 0 {
                format!("{}:{}:{}", hit.path, hit.line, hit.column)
            } else {
                hit.path.clone()
            };
            let _ = writeln!(
                out,
                "    {}[{}] {} ({}, {place})",
                hit.severity,
                hit.signal.id,
                hit.message,
                hit.phase.as_str()
            );
            if let Some(rule) = &hit.rule {
                let string = rule.pattern.as_deref().map(|p| format!(", string {p}")).unwrap_or_default();
                let _ = writeln!(out, "        = rule {} in {}{string}", rule.rule, rule.namespace);
            }
            if !hit.snippet.is_empty() {
                let _ = writeln!(out, "        | {}", hit.snippet);
            }
        }
    }
    for note in &analysis.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    for error in &analysis.manifest.errors {
        let _ = writeln!(out, "  manifest error: {error}");
    }
    for skip in skipped {
        let _ = writeln!(out, "  skipped: {skip}");
    }
    out.push('\n');
}

#[derive(Serialize)]
struct DiffReport<'a> {
    old: &'a str,
    new: &'a str,
    verdict: &'a Verdict,
    diff: &'a Diff,
}

pub(super) fn run_diff(args: &DiffArgs) -> miette::Result<ExitStatus> {
    let mut status = ExitStatus::Success;
    let rules = user_rules(&args.rules, &mut status)?;
    let (policy, policy_path) = super::scan::load_policy_from(args.config.as_deref(), Utf8Path::new("."))?;
    let today = Date::from_unix_seconds(super::scan::now()?.unix_seconds());
    let mut inputs = read_inputs(&[&args.old, &args.new], &args.fetch, None).into_iter();
    let (Some(old), Some(new)) = (inputs.next(), inputs.next()) else {
        return Err(miette::miette!("`diff` takes two releases"));
    };
    let (old, new) = (old?, new?);
    let (old_files, new_files) = (old.loaded.package_files(), new.loaded.package_files());
    let (mut old_analysis, mut new_analysis) =
        (analyze_with(&old_files, rules.as_ref()), analyze_with(&new_files, rules.as_ref()));
    old_analysis.hits.extend(old.loaded.hits.iter().cloned());
    new_analysis.hits.extend(new.loaded.hits.iter().cloned());
    let delta = diff(&old_files, &old_analysis, &new_files, &new_analysis);
    let verdict = score(&new_analysis, &delta.hits);
    // The policy sees the new release as `inspect` would, with the delta's findings added:
    // a verdict that only the delta makes (a phantom dependency, a capability new in a
    // patch release) blocks like any other.
    let mut decided_analysis = new_analysis.clone();
    decided_analysis.hits.extend(delta.hits.iter().cloned());
    let old_label = old.label.clone();
    let done = vec![(new, decided_analysis, verdict)];
    let decided = decide(&done, &policy, today);
    let blocked = decided.report_failed();
    let Some((new, _, verdict)) = done.first() else {
        return Err(miette::miette!("`diff` takes two releases"));
    };
    let bytes = match args.format {
        InspectFormat::Json => {
            let report = DiffReport { old: args.old.as_str(), new: args.new.as_str(), verdict, diff: &delta };
            let mut json =
                serde_json::to_vec_pretty(&report).map_err(|e| miette::miette!("cannot write JSON: {e}"))?;
            json.push(b'\n');
            json
        }
        InspectFormat::Sarif => decided.sarif(&done, &policy, policy_path.as_deref(), Some(&old_label))?,
        InspectFormat::Human => {
            render_diff(&old_label, &old_analysis, &new.label, &new_analysis, &delta, verdict).into_bytes()
        }
    };
    super::write_output(args.output.as_deref(), &bytes)?;
    Ok(if status != ExitStatus::Success {
        status
    } else if blocked && !args.exit_zero {
        ExitStatus::Blocked
    } else {
        ExitStatus::Success
    })
}

fn render_diff(
    old_path: &str,
    old: &Analysis,
    new_path: &str,
    new: &Analysis,
    delta: &Diff,
    verdict: &Verdict,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} -> {}", title(old_path, old), title(new_path, new));
    let _ =
        writeln!(out, "  new release: {} (score {})", verdict.verdict.as_str().to_uppercase(), verdict.score);
    let _ = writeln!(out, "  files:");
    if delta.files.is_empty() {
        let _ = writeln!(out, "    (no file changed)");
    }
    for change in &delta.files {
        let sizes = match (change.old_size, change.new_size) {
            (Some(a), Some(b)) => format!("{a} -> {b} bytes"),
            (None, Some(b)) => format!("{b} bytes"),
            (Some(a), None) => format!("{a} bytes"),
            (None, None) => String::new(),
        };
        let mark = match change.change {
            firebreak_content::diff::ChangeKind::Added => '+',
            firebreak_content::diff::ChangeKind::Removed => '-',
            firebreak_content::diff::ChangeKind::Modified => '~',
        };
        let _ = writeln!(out, "    {mark} {} ({sizes})", change.path);
    }
    for (label, map) in [
        ("dependencies", &delta.dependencies),
        ("scripts", &delta.scripts),
        ("bin", &delta.bin),
        ("engines", &delta.engines),
    ] {
        if map.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  {label}:");
        for (k, v) in &map.added {
            let _ = writeln!(out, "    + {k} {v}");
        }
        for (k, v) in &map.removed {
            let _ = writeln!(out, "    - {k} {v}");
        }
        for (k, (a, b)) in &map.changed {
            let _ = writeln!(out, "    ~ {k} {a} -> {b}");
        }
    }
    if !delta.capabilities_added.is_empty() {
        let _ = writeln!(out, "  capabilities added:");
        for (c, p) in &delta.capabilities_added {
            let _ = writeln!(out, "    + {} {}", p.as_str(), c.describe());
        }
    }
    if !delta.capabilities_removed.is_empty() {
        let _ = writeln!(out, "  capabilities removed:");
        for (c, p) in &delta.capabilities_removed {
            let _ = writeln!(out, "    - {} {}", p.as_str(), c.describe());
        }
    }
    if !delta.hits.is_empty() {
        let _ = writeln!(out, "  findings:");
        for hit in &delta.hits {
            let _ = writeln!(out, "    {}[{}] {}", hit.severity, hit.signal.id, hit.message);
        }
    }
    if !verdict.reasons.is_empty() {
        let _ = writeln!(out, "  why:");
        for reason in &verdict.reasons {
            let _ = writeln!(out, "    - {reason}");
        }
    }
    out
}

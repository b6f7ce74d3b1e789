//! `firebreak inspect PATH` and `firebreak diff OLD NEW`: content analysis of package
//! files, read without running anything.

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_archive::{Integrity, Limits, SkipReason, detect_kind, read_archive, verify_integrity};
use firebreak_content::{
    Analysis, Diff, Hit, PackageFile, Verdict, VerdictKind, analyze, archive_anomaly, diff,
    integrity_mismatch, score,
};
use serde::Serialize;

use crate::cli::{DiffArgs, InspectArgs, InspectFormat};
use crate::exit::ExitStatus;
use crate::printer;

/// Bounds for reading an unpacked package from disk: the same order as the archive
/// reader's, so a directory cannot make the analysis hold more than a package may.
const MAX_TOTAL: u64 = 256 * 1024 * 1024;
const MAX_FILES: usize = 20_000;
const MAX_FILE: u64 = 64 * 1024 * 1024;

/// A package's files in memory, with what reading them found.
struct Loaded {
    files: Vec<(String, Vec<u8>)>,
    skipped: Vec<String>,
    /// Archive anomalies and integrity failures, reported like content findings.
    hits: Vec<Hit>,
}

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
    let mut loaded = Loaded { files: Vec::new(), skipped: Vec::new(), hits: Vec::new() };
    if let Some(expected) = integrity {
        match verify_integrity(&bytes, expected) {
            Integrity::Match { .. } => {}
            Integrity::Mismatch { expected, actual } => {
                loaded.hits.push(integrity_mismatch(name, &format!("expected {expected}, found {actual}")));
                return Ok(loaded);
            }
            Integrity::Unsupported { expected } => {
                return Err(miette::miette!(
                    "cannot check `{path}` against `{expected}`: expected an SRI string (sha512-…, sha256-…, sha1-…) or a hex sha256/sha1 digest"
                ));
            }
        }
    }
    let kind = detect_kind(name, &bytes).ok_or_else(|| {
        miette::miette!(
            "`{path}` is not a package archive firebreak reads: expected an npm .tgz, a PyPI .tar.gz, .zip or .whl, or a .crate (named so, with matching contents)"
        )
    })?;
    let archive =
        read_archive(path.as_str(), &bytes, kind, &Limits::default()).map_err(|e| miette::miette!("{e}"))?;
    for skipped in &archive.skipped {
        let suspicious = !matches!(skipped.reason, SkipReason::Oversize { .. });
        loaded.skipped.push(format!("{}: {}", skipped.path, skipped.reason));
        loaded.hits.push(archive_anomaly(&skipped.path, &skipped.reason.to_string(), suspicious));
    }
    loaded.files = archive.files.into_iter().map(|f| (f.path, f.data)).collect();
    Ok(loaded)
}

impl Loaded {
    fn package_files(&self) -> Vec<PackageFile<'_>> {
        self.files.iter().map(|(p, d)| PackageFile { path: p, data: d, executable: false }).collect()
    }
}

fn load(path: &Utf8Path, integrity: Option<&str>) -> miette::Result<Loaded> {
    let meta = fs_err::metadata(path).map_err(|e| miette::miette!("cannot read `{path}`: {e}"))?;
    if !meta.is_dir() {
        return load_archive(path, integrity);
    }
    if integrity.is_some() {
        return Err(miette::miette!("`{path}` is a directory; --integrity checks an archive file"));
    }
    let mut loaded = Loaded { files: Vec::new(), skipped: Vec::new(), hits: Vec::new() };
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

#[derive(Serialize)]
struct InspectReport<'a> {
    path: &'a str,
    name: Option<&'a str>,
    version: Option<&'a str>,
    verdict: &'a Verdict,
    skipped: &'a [String],
    analysis: &'a Analysis,
}

pub(super) fn run(args: &InspectArgs) -> miette::Result<ExitStatus> {
    let mut status = ExitStatus::Success;
    let mut human = String::new();
    let mut reports = Vec::new();
    for path in &args.paths {
        let loaded = match load(path, args.integrity.as_deref()) {
            Ok(l) => l,
            Err(e) => {
                printer::error(&e);
                status = ExitStatus::Error;
                continue;
            }
        };
        let mut analysis = analyze(&loaded.package_files());
        analysis.hits.extend(loaded.hits.iter().cloned());
        let verdict = score(&analysis, &[]);
        if verdict.verdict == VerdictKind::Malicious && status == ExitStatus::Success {
            status = ExitStatus::Blocked;
        }
        match args.format {
            InspectFormat::Human => {
                render_inspect(&mut human, path, &analysis, &verdict, &loaded.skipped, args.verbose)
            }
            InspectFormat::Json => reports.push((path.clone(), analysis, verdict, loaded.skipped)),
        }
    }
    let bytes = match args.format {
        InspectFormat::Human => human.into_bytes(),
        InspectFormat::Json => {
            let out: Vec<InspectReport<'_>> = reports
                .iter()
                .map(|(path, analysis, verdict, skipped)| InspectReport {
                    path: path.as_str(),
                    name: analysis.manifest.name.as_deref(),
                    version: analysis.manifest.version.as_deref(),
                    verdict,
                    skipped,
                    analysis,
                })
                .collect();
            let mut json =
                serde_json::to_vec_pretty(&out).map_err(|e| miette::miette!("cannot write JSON: {e}"))?;
            json.push(b'\n');
            json
        }
    };
    super::write_output(args.output.as_deref(), &bytes)?;
    Ok(status)
}

fn title(path: &Utf8Path, analysis: &Analysis) -> String {
    match (&analysis.manifest.name, &analysis.manifest.version) {
        (Some(n), Some(v)) => format!("{n}@{v} ({path})"),
        (Some(n), None) => format!("{n} ({path})"),
        _ => path.to_string(),
    }
}

fn render_inspect(
    out: &mut String,
    path: &Utf8Path,
    analysis: &Analysis,
    verdict: &Verdict,
    skipped: &[String],
    verbose: bool,
) {
    let _ = writeln!(
        out,
        "{}: {} (score {})",
        title(path, analysis),
        verdict.verdict.as_str().to_uppercase(),
        verdict.score
    );
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
    let old = load(&args.old, None)?;
    let new = load(&args.new, None)?;
    let (old_files, new_files) = (old.package_files(), new.package_files());
    let (mut old_analysis, mut new_analysis) = (analyze(&old_files), analyze(&new_files));
    old_analysis.hits.extend(old.hits.iter().cloned());
    new_analysis.hits.extend(new.hits.iter().cloned());
    let delta = diff(&old_files, &old_analysis, &new_files, &new_analysis);
    let verdict = score(&new_analysis, &delta.hits);
    let bytes = match args.format {
        InspectFormat::Json => {
            let report = DiffReport {
                old: args.old.as_str(),
                new: args.new.as_str(),
                verdict: &verdict,
                diff: &delta,
            };
            let mut json =
                serde_json::to_vec_pretty(&report).map_err(|e| miette::miette!("cannot write JSON: {e}"))?;
            json.push(b'\n');
            json
        }
        InspectFormat::Human => {
            render_diff(&args.old, &old_analysis, &args.new, &new_analysis, &delta, &verdict).into_bytes()
        }
    };
    super::write_output(args.output.as_deref(), &bytes)?;
    Ok(if verdict.verdict == VerdictKind::Malicious { ExitStatus::Blocked } else { ExitStatus::Success })
}

fn render_diff(
    old_path: &Utf8Path,
    old: &Analysis,
    new_path: &Utf8Path,
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

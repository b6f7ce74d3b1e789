//! `firebreak scan`: inventory -> findings -> policy -> report -> exit code.

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_advisory::Timestamp;
use firebreak_analysis::InventoryAnalyzer;
use firebreak_analysis::hygiene::Hygiene;
use std::collections::BTreeMap;

use firebreak_core::{Ecosystem, FileLocation, Finding, Inventory, Package, PackageId, PackageSource};
use firebreak_policy::{Date, Policy};
use firebreak_registry::Registries;
use firebreak_report::{InputError, RegistryInfo, Report};
use miette::{IntoDiagnostic, WrapErr};

use crate::cli::ScanArgs;
use crate::content::ContentTarget;
use crate::exit::ExitStatus;
use crate::load::load;
use firebreak_server::registry_signals::{self, Target};

pub(super) fn run(args: &ScanArgs, progress: bool) -> miette::Result<ExitStatus> {
    let (policy, policy_path) = load_policy(args)?;
    let now = now()?;
    let today = Date::from_unix_seconds(now.unix_seconds());
    let loaded = load(&args.input, progress);
    let input_status = super::report_inputs(&loaded);
    let inventory = &loaded.inventory;

    let mut findings: Vec<Finding> = Vec::new();
    let (opened, database) = super::advisories::findings(args.db.as_deref(), inventory, now, &mut findings)?;
    Hygiene::new(policy.hygiene.allowed_hosts.iter().cloned()).analyze(inventory, &mut findings);
    let signals = !args.no_registry && policy.registry.enabled;
    let deep = args.deep || policy.content.deep;
    // One set of registry clients (configuration read, HTTP client built) for both passes.
    let registries = if signals || (deep && !args.no_registry) {
        let project_dir = args.input.paths.iter().find(|p| p.is_dir()).map(|p| p.as_std_path());
        Some(super::registry::registries(&args.registry, project_dir)?)
    } else {
        None
    };
    let registry = match &registries {
        Some(registries) if signals => {
            Some(registry_findings(args, registries, &policy, inventory, now, &opened.db, &mut findings)?)
        }
        _ => None,
    };
    let content = if !deep {
        None
    } else if args.no_registry {
        // Contents come from the registry: say so rather than report a clean run.
        crate::printer::warning(
            "`--deep` needs the registry: package contents were not analysed (`--no-registry`)",
        );
        None
    } else if let Some(registries) = &registries {
        Some(content_findings(registries, &policy, inventory, &mut findings)?)
    } else {
        None
    };

    let evaluation = policy.evaluate(inventory, &findings, today);
    let mut report = Report::new(env!("CARGO_PKG_VERSION"), inventory, &findings, &evaluation, &policy);
    report.policy_path = policy_path.map(|p| p.to_string());
    report.database = Some(database);
    report.registry = registry;
    report.content = content;
    report.input_errors = loaded
        .errors
        .iter()
        .map(|e| InputError { path: e.path.to_string(), message: e.report.to_string() })
        .collect();

    super::check::render(&report, args.format, args.output.as_deref(), args.show_ignored)?;

    let status = match input_status {
        ExitStatus::Success if report.failed() && !args.exit_zero => ExitStatus::Blocked,
        other => other,
    };
    // The process ends right after this: freeing the report, the findings and the inventory
    // one allocation at a time (tens of thousands of strings on a large lockfile) would only
    // delay the exit, and the system takes the memory back whole. They own nothing else
    // (no files, no connections; the database handle is dropped normally).
    std::mem::forget(report);
    std::mem::forget(evaluation);
    std::mem::forget(findings);
    std::mem::forget(loaded);
    Ok(status)
}

/// Every lockfile entry of one package version, with where it is written.
type Places = Vec<(PackageId, Option<FileLocation>)>;

/// Each distinct registry package version of the inventory that the policy scans (Go
/// modules have no registry document), with every entry that resolves to it, so that one
/// check per version yields findings on each of its lockfile places.
fn registry_versions<'i>(policy: &Policy, inventory: &'i Inventory) -> Vec<(&'i Package, Places)> {
    let mut index: BTreeMap<(Ecosystem, &str, &str), usize> = BTreeMap::new();
    let mut groups: Vec<(&Package, Places)> = Vec::new();
    for (i, p) in inventory.packages.iter().enumerate() {
        if p.ecosystem == Ecosystem::Go
            || !matches!(p.source, PackageSource::Registry { .. })
            || !policy.scans(p.ecosystem)
            || p.version.is_empty()
        {
            continue;
        }
        let slot = *index.entry((p.ecosystem, &p.name, &p.version)).or_insert_with(|| {
            groups.push((p, Vec::new()));
            groups.len() - 1
        });
        let location = FileLocation {
            path: inventory.lockfiles.get(p.lockfile.index()).map(|l| l.path.clone()).unwrap_or_default(),
            line: p.location.map(|l| l.line),
            column: p.location.map(|l| l.column),
        };
        groups[slot].1.push((PackageId(i as u32), Some(location)));
    }
    groups
}

/// The registry signals for every registry package of the inventory: one check per
/// distinct package version, its findings attached to every entry of it.
fn registry_findings(
    args: &ScanArgs,
    registries: &Registries,
    policy: &Policy,
    inventory: &Inventory,
    now: Timestamp,
    db: &firebreak_advisory::Database,
    findings: &mut Vec<Finding>,
) -> miette::Result<RegistryInfo> {
    let groups = registry_versions(policy, inventory);
    let targets: Vec<Target> = groups
        .iter()
        .map(|(p, _)| Target {
            ecosystem: p.ecosystem,
            name: p.name.clone(),
            version: p.version.clone(),
            lockfile_hashes: p.hashes.clone(),
        })
        .collect();
    let places: Vec<Places> = groups.into_iter().map(|(_, places)| places).collect();
    let fixes =
        |eco, name: &str, prev: &str, version: &str| super::advisories::fixes(db, eco, name, prev, version);
    let outcomes = registry_signals::run(registries, &targets, policy, now, &fixes)
        .map_err(|e| miette::miette!("{e}"))?;
    Ok(super::check::attach(
        &targets,
        &places,
        outcomes,
        findings,
        args.registry.offline,
        registries.http.requests_sent(),
    ))
}

/// Content analysis of every registry package version of the inventory (as for the
/// registry signals), its verdicts attached to every entry of the version.
fn content_findings(
    registries: &Registries,
    policy: &Policy,
    inventory: &Inventory,
    findings: &mut Vec<Finding>,
) -> miette::Result<firebreak_report::ContentInfo> {
    let groups = registry_versions(policy, inventory);
    let targets: Vec<ContentTarget> = groups
        .iter()
        .map(|(p, _)| ContentTarget {
            ecosystem: p.ecosystem,
            name: p.name.clone(),
            version: p.version.clone(),
        })
        .collect();
    let places: Vec<Places> = groups.into_iter().map(|(_, places)| places).collect();
    super::check::content_findings(registries, &targets, &places, policy, findings)
}

/// The policy named by `--config`, else `firebreak.toml` beside the first input, else
/// the defaults.
fn load_policy(args: &ScanArgs) -> miette::Result<(Policy, Option<Utf8PathBuf>)> {
    let dir = match args.input.paths.iter().find(|p| p.as_str() != "-") {
        Some(first) if first.is_dir() => first.as_path(),
        Some(first) => first.parent().unwrap_or(Utf8Path::new(".")),
        None => Utf8Path::new("."),
    };
    load_policy_from(args.config.as_deref(), dir)
}

/// `explicit`, else `firebreak.toml` in `dir`, else the defaults. `[signals]` keys are
/// checked against every signal firebreak knows.
pub(super) fn load_policy_from(
    explicit: Option<&Utf8Path>,
    dir: &Utf8Path,
) -> miette::Result<(Policy, Option<Utf8PathBuf>)> {
    let path = match explicit {
        Some(path) => Some(path.to_owned()),
        None => {
            let candidate = dir.join(firebreak_policy::FILE_NAME);
            candidate.is_file().then_some(candidate)
        }
    };
    let Some(path) = path else { return Ok((Policy::default(), None)) };
    let text = fs_err::read_to_string(&path).into_diagnostic().wrap_err("cannot read the policy file")?;
    let known = firebreak_server::registry_signals::all_signal_ids();
    let policy = firebreak_policy::parse_checked(path.as_str(), &text, &known)?;
    Ok((policy, Some(path)))
}

/// The current time; `FIREBREAK_TODAY=YYYY-MM-DD` pins it (to that day's midnight UTC) for
/// reproducible reports and tests.
pub(super) fn now() -> miette::Result<Timestamp> {
    if let Ok(text) = std::env::var("FIREBREAK_TODAY") {
        let bad = || miette::miette!("`FIREBREAK_TODAY` must be a date `YYYY-MM-DD`, found `{text}`");
        Date::parse(&text).ok_or_else(bad)?;
        return Timestamp::parse(&format!("{text}T00:00:00Z")).map_err(|_| bad());
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Timestamp::from_unix(secs, 0).ok_or_else(|| miette::miette!("the system clock is out of range"))
}

//! `firebreak check PKG@VERSION`: one package version through every registry signal and
//! the advisory database, decided by the policy, with the evidence.

use camino::Utf8Path;
use firebreak_core::{DepKind, Finding, InventoryBuilder, NodeRef};
use firebreak_policy::Date;
use firebreak_report::{Human, Json, Markdown, RegistryInfo, Report, Reporter, Sarif};
use miette::{IntoDiagnostic, WrapErr};

use crate::cli::{CheckArgs, ScanFormat};
use crate::exit::ExitStatus;
use crate::printer;
use firebreak_server::registry_signals::Outcome;
use firebreak_server::registry_signals::{self, Target};

pub(super) fn run(args: &CheckArgs) -> miette::Result<ExitStatus> {
    let specs = args
        .packages
        .iter()
        .map(|p| super::spec::parse(p).map_err(|e| miette::miette!("{e}")))
        .collect::<miette::Result<Vec<_>>>()?;
    let (policy, policy_path) = super::scan::load_policy_from(args.config.as_deref(), Utf8Path::new("."))?;
    let now = super::scan::now()?;
    let today = Date::from_unix_seconds(now.unix_seconds());
    let registries = super::registry::registries(&args.registry, std::env::current_dir().ok().as_deref())?;

    // A spec without a version checks the highest release the registry lists.
    let mut targets = Vec::new();
    for spec in &specs {
        let version = match &spec.version {
            Some(v) => v.clone(),
            None => registry_signals::highest_version(&registries, spec.ecosystem, &spec.name)
                .map_err(|e| miette::miette!("cannot find the latest release of `{}`: {e}", spec.name))?,
        };
        targets.push(Target {
            ecosystem: spec.ecosystem,
            name: spec.name.clone(),
            version,
            lockfile_hashes: Vec::new(),
        });
    }

    let mut builder = InventoryBuilder::new("registry", "registry/check");
    let root = builder.root(firebreak_core::Ecosystem::Npm, "check", None, "");
    let ids: Vec<_> = targets
        .iter()
        .map(|t| {
            let id = builder.package(t.ecosystem, &t.name, &t.version);
            builder.edge(NodeRef::Root(root), id, DepKind::Normal, Some(&t.version));
            id
        })
        .collect();
    let inventory = builder.finish();

    let mut findings: Vec<Finding> = Vec::new();
    let (opened, database) = super::advisories::findings(args.db.as_deref(), &inventory, now, &mut findings)?;

    let fixes = |eco, name: &str, prev: &str, version: &str| {
        super::advisories::fixes(&opened.db, eco, name, prev, version)
    };
    let outcomes = registry_signals::run(&registries, &targets, &policy, now, &fixes)
        .map_err(|e| miette::miette!("{e}"))?;
    let places: Vec<Vec<(firebreak_core::PackageId, Option<firebreak_core::FileLocation>)>> =
        ids.iter().map(|id| vec![(*id, None)]).collect();
    let info = attach(
        &targets,
        &places,
        outcomes,
        &mut findings,
        args.registry.offline,
        registries.http.requests_sent(),
    );

    let evaluation = policy.evaluate(&inventory, &findings, today);
    let mut report = Report::new(env!("CARGO_PKG_VERSION"), &inventory, &findings, &evaluation, &policy);
    report.policy_path = policy_path.map(|p| p.to_string());
    report.database = Some(database);
    let unchecked = !info.unchecked.is_empty();
    report.registry = Some(info);
    render(&report, args.format, args.output.as_deref(), args.show_ignored)?;

    Ok(if unchecked {
        // A verdict on a version that could not be read would be a guess.
        ExitStatus::Error
    } else if report.failed() {
        ExitStatus::Blocked
    } else {
        ExitStatus::Success
    })
}

/// Moves each target's findings into `findings` with its package ids, and sums up coverage.
pub(super) fn attach(
    targets: &[Target],
    places: &[Vec<(firebreak_core::PackageId, Option<firebreak_core::FileLocation>)>],
    outcomes: Vec<Outcome>,
    findings: &mut Vec<Finding>,
    offline: bool,
    requests: u32,
) -> RegistryInfo {
    let mut info = RegistryInfo { offline, requests, ..RegistryInfo::default() };
    for ((target, places), outcome) in targets.iter().zip(places).zip(outcomes) {
        let label = format!("{}@{}", target.name, target.version);
        match outcome.unchecked {
            Some(reason) => info.unchecked.push((label.clone(), reason)),
            None => info.checked += 1,
        }
        info.warnings.extend(outcome.warnings.into_iter().map(|w| format!("{label}: {w}")));
        for f in outcome.findings {
            for (id, location) in places {
                let mut f = f.clone().package(*id);
                if let Some(location) = location {
                    f = f.at(location.clone());
                }
                findings.push(f);
            }
        }
    }
    info
}

/// Renders a scan or check report in `format` to `output` (stdout when `None`).
pub(super) fn render(
    report: &Report<'_>,
    format: ScanFormat,
    output: Option<&Utf8Path>,
    show_ignored: bool,
) -> miette::Result<()> {
    let human = Human { color: output.is_none() && printer::stdout_color(), show_ignored };
    let reporter: &dyn Reporter = match format {
        ScanFormat::Human => &human,
        ScanFormat::Json => &Json,
        ScanFormat::Sarif => &Sarif,
        ScanFormat::Markdown => &Markdown,
    };
    let mut out = Vec::new();
    reporter.render(report, &mut out).into_diagnostic().wrap_err("cannot render the report")?;
    super::write_output(output, &out)
}

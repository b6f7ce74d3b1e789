//! `firebreak scan`: inventory -> findings -> policy -> report -> exit code.

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_advisory::Timestamp;
use firebreak_analysis::InventoryAnalyzer;
use firebreak_analysis::hygiene::Hygiene;
use firebreak_core::Finding;
use firebreak_policy::{Date, Policy};
use firebreak_report::{Human, InputError, Json, Markdown, Report, Reporter, Sarif};
use miette::{IntoDiagnostic, WrapErr};

use crate::cli::{ScanArgs, ScanFormat};
use crate::exit::ExitStatus;
use crate::load::load;
use crate::printer;

pub(super) fn run(args: &ScanArgs, progress: bool) -> miette::Result<ExitStatus> {
    let (policy, policy_path) = load_policy(args)?;
    let now = now()?;
    let today = Date::from_unix_seconds(now.unix_seconds());
    let loaded = load(&args.input, progress);
    let input_status = super::report_inputs(&loaded);
    let inventory = &loaded.inventory;

    let mut findings: Vec<Finding> = Vec::new();
    let database = super::advisories::findings(args.db.as_deref(), inventory, now, &mut findings)?;
    Hygiene::new(policy.hygiene.allowed_hosts.iter().cloned()).analyze(inventory, &mut findings);

    let evaluation = policy.evaluate(inventory, &findings, today);
    let mut report = Report::new(env!("CARGO_PKG_VERSION"), inventory, &findings, &evaluation, &policy);
    report.policy_path = policy_path.map(|p| p.to_string());
    report.database = Some(database);
    report.input_errors = loaded
        .errors
        .iter()
        .map(|e| InputError { path: e.path.to_string(), message: e.report.to_string() })
        .collect();

    let human =
        Human { color: args.output.is_none() && printer::stdout_color(), show_ignored: args.show_ignored };
    let reporter: &dyn Reporter = match args.format {
        ScanFormat::Human => &human,
        ScanFormat::Json => &Json,
        ScanFormat::Sarif => &Sarif,
        ScanFormat::Markdown => &Markdown,
    };
    let mut out = Vec::new();
    reporter.render(&report, &mut out).into_diagnostic().wrap_err("cannot render the report")?;
    super::write_output(args.output.as_deref(), &out)?;

    Ok(match input_status {
        ExitStatus::Success if report.failed() && !args.exit_zero => ExitStatus::Blocked,
        other => other,
    })
}

/// The policy named by `--config`, else `firebreak.toml` beside the first input, else
/// the defaults.
fn load_policy(args: &ScanArgs) -> miette::Result<(Policy, Option<Utf8PathBuf>)> {
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        None => args.input.paths.iter().find(|p| p.as_str() != "-").and_then(|first| {
            let dir =
                if first.is_dir() { first.as_path() } else { first.parent().unwrap_or(Utf8Path::new(".")) };
            let candidate = dir.join(firebreak_policy::FILE_NAME);
            candidate.is_file().then_some(candidate)
        }),
    };
    let Some(path) = path else { return Ok((Policy::default(), None)) };
    let text = fs_err::read_to_string(&path).into_diagnostic().wrap_err("cannot read the policy file")?;
    let policy = firebreak_policy::parse(path.as_str(), &text)?;
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

//! Markdown for pull-request comments and job summaries: a verdict line, a table of what
//! fails and what warns, and the details folded away.

use std::io;

use firebreak_policy::Action;

use crate::{Entry, Report, Reporter};

/// The Markdown reporter.
#[derive(Debug, Default, Clone, Copy)]
pub struct Markdown;

/// Table cells cannot hold `|` or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn row(report: &Report<'_>, e: &Entry<'_>) -> String {
    let f = e.finding;
    let package = report.package(e).map_or_else(String::new, |p| {
        let dev = if p.flags.dev { " (dev)" } else { "" };
        format!("`{}@{}`{dev}", p.name, p.version)
    });
    let what = match &f.advisory {
        Some(a) => {
            let ids: Vec<String> = a
                .ids
                .iter()
                .map(|id| match a.links.first() {
                    Some(link) if a.ids.first() == Some(id) => format!("[{id}]({link})"),
                    _ => id.clone(),
                })
                .collect();
            ids.join(", ")
        }
        None => format!("`{}`", f.signal.id),
    };
    let fixed = f.advisory.as_ref().and_then(|a| a.fixed.as_deref()).unwrap_or("");
    let via = report.via(e).map(|v| format!("`{v}`")).unwrap_or_else(|| "direct".to_owned());
    let place = f.location.as_ref().map(|l| format!("`{l}`")).unwrap_or_default();
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |",
        cell(&package),
        cell(&what),
        f.severity,
        cell(&f.message),
        cell(fixed),
        cell(&via),
        cell(&place)
    )
}

impl Reporter for Markdown {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        let verdict = if report.failed() { "❌ firebreak: blocked" } else { "✅ firebreak: passed" };
        writeln!(out, "### {verdict}\n")?;
        writeln!(out, "{}\n", crate::human::summary(report))?;
        for (action, title) in [(Action::Fail, "Failing"), (Action::Warn, "Warnings")] {
            let rows: Vec<String> = report
                .entries
                .iter()
                .filter(|e| e.decision.action == action)
                .map(|e| row(report, e))
                .collect();
            if rows.is_empty() {
                continue;
            }
            writeln!(out, "#### {title} ({})\n", rows.len())?;
            writeln!(out, "| Package | Advisory / check | Severity | Finding | Fixed in | Via | Where |")?;
            writeln!(out, "|---|---|---|---|---|---|---|")?;
            for r in rows {
                writeln!(out, "{r}")?;
            }
            writeln!(out)?;
        }
        let notes: Vec<String> = report.entries.iter().filter_map(|e| report.expired_note(e)).collect();
        let ignored = report.count(Action::Ignore);
        let unchecked = report.registry.as_ref().map_or(&[][..], |r| &r.unchecked[..]);
        let not_analysed = report.content.as_ref().map_or(&[][..], |c| &c.skipped[..]);
        if ignored > 0
            || !notes.is_empty()
            || !report.input_errors.is_empty()
            || !unchecked.is_empty()
            || !not_analysed.is_empty()
        {
            writeln!(out, "<details><summary>Details</summary>\n")?;
            for e in report.entries.iter().filter(|e| e.decision.action == Action::Ignore) {
                let name = report.package(e).map(|p| format!("{}@{}", p.name, p.version)).unwrap_or_default();
                writeln!(
                    out,
                    "- ignored `{}` on `{name}`: {}",
                    e.finding.signal.id,
                    cell(&report.reason_text(e))
                )?;
            }
            for n in notes {
                writeln!(out, "- {}", cell(&n))?;
            }
            for err in &report.input_errors {
                writeln!(out, "- input error in `{}`: {}", err.path, cell(&err.message))?;
            }
            for (package, reason) in unchecked {
                writeln!(out, "- not checked against the registry: `{package}`: {}", cell(reason))?;
            }
            for (package, reason) in not_analysed {
                writeln!(out, "- contents not analysed: `{package}`: {}", cell(reason))?;
            }
            writeln!(out, "\n</details>")?;
        }
        Ok(())
    }
}

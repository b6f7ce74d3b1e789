//! rustc-style text for people: one block per finding, then one summary line.

use std::io;

use firebreak_core::Category;
use firebreak_policy::Action;

use crate::{Entry, Report, Reporter};

/// The human-readable reporter. Reads correctly without colour.
#[derive(Debug, Default, Clone, Copy)]
pub struct Human {
    /// Colour the headings with ANSI escapes.
    pub color: bool,
    /// Also list findings the policy ignored.
    pub show_ignored: bool,
}

impl Human {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }

    fn entry(&self, report: &Report<'_>, e: &Entry<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        let f = e.finding;
        let (word, code) = match e.decision.action {
            Action::Fail => ("error", "1;31"),
            Action::Warn => ("warning", "1;33"),
            Action::Ignore => ("ignored", "2"),
        };
        writeln!(out, "{}: {}", self.paint(code, &format!("{word}[{}]", f.signal.id)), f.message)?;
        if let Some(loc) = &f.location {
            writeln!(out, "  --> {loc}")?;
        }
        let package = report.package(e);
        if let Some(p) = package {
            let mut how = vec![if p.direct { "direct" } else { "transitive" }];
            if p.flags.dev {
                how.push("dev-only");
            }
            if p.flags.optional {
                how.push("optional");
            }
            writeln!(out, "   = package: {}@{} ({}, {})", p.name, p.version, p.ecosystem, how.join(", "))?;
        }
        if e.chain.len() > 1 {
            let chain: Vec<String> = e.chain.iter().map(|n| report.label(*n)).collect();
            writeln!(out, "   = chain: {}", chain.join(" > "))?;
        }
        if let Some(via) = report.via(e) {
            writeln!(out, "   = change: the direct dependency {via}")?;
        }
        if let Some(a) = &f.advisory {
            let mut ids = a.ids.join(", ");
            if !a.aliases.is_empty() {
                ids.push_str(&format!(" (aliases {})", a.aliases.join(", ")));
            }
            writeln!(out, "   = advisory: {ids}")?;
            if let Some(summary) = &a.summary {
                writeln!(out, "   = summary: {summary}")?;
            }
            if f.category() == Category::Vulnerability {
                let score = match (&a.cvss_vector, a.cvss_score) {
                    (Some(v), Some(s)) => format!(" (CVSS {s:.1}, {v})"),
                    _ => String::new(),
                };
                writeln!(out, "   = severity: {}{score}", f.severity)?;
                writeln!(
                    out,
                    "   = fixed in: {}",
                    a.fixed.as_deref().unwrap_or("no fixed version published")
                )?;
            }
            for link in a.links.iter().take(2) {
                writeln!(out, "   = link: {link}")?;
            }
        }
        for ev in &f.evidence {
            writeln!(out, "   = {}: {}", ev.label, ev.value)?;
        }
        writeln!(out, "   = decision: {} ({})", e.decision.action.as_str(), report.reason_text(e))?;
        if let Some(note) = report.expired_note(e) {
            writeln!(out, "   = note: {note}")?;
        }
        if !f.signal.help.is_empty() && f.category() != Category::Vulnerability {
            writeln!(out, "   = help: {}", f.signal.help)?;
        }
        writeln!(out)
    }
}

impl Reporter for Human {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        // Grouped by severity, worst first; within a group failures before warnings.
        let mut shown: Vec<&Entry<'_>> = report
            .entries
            .iter()
            .filter(|e| e.decision.action != Action::Ignore || self.show_ignored)
            .collect();
        shown.sort_by_key(|e| (std::cmp::Reverse(e.finding.severity), std::cmp::Reverse(e.decision.action)));
        for group in shown.chunk_by(|a, b| a.finding.severity == b.finding.severity) {
            let severity = group.first().map_or("", |e| e.finding.severity.as_str());
            writeln!(out, "{}", self.paint("1", &format!("{} ({})", severity.to_uppercase(), group.len())))?;
            writeln!(out)?;
            for e in group {
                self.entry(report, e, out)?;
            }
        }
        for err in &report.input_errors {
            writeln!(out, "{}: {}", self.paint("1;31", "error[input]"), err.message)?;
        }
        for &i in &report.unused_ignores {
            if let Some(ig) = report.policy.ignores.get(i)
                && !report.expired_ignores.contains(&i)
            {
                writeln!(
                    out,
                    "{}: the ignore at {}:{} matched nothing; remove it",
                    self.paint("1;33", "warning[unused-ignore]"),
                    report.policy_path.as_deref().unwrap_or(firebreak_policy::FILE_NAME),
                    ig.line
                )?;
            }
        }
        if let Some(db) = &report.database
            && db.stale
        {
            writeln!(
                out,
                "{}: the advisory database is {} days old; run `firebreak db update`",
                self.paint("1;33", "warning[stale-database]"),
                db.age_days.unwrap_or_default()
            )?;
        }
        if let Some(r) = &report.registry
            && !r.unchecked.is_empty()
        {
            writeln!(
                out,
                "{}: {} package version{} could not be checked against the registry{}:",
                self.paint("1;33", "warning[registry-unchecked]"),
                r.unchecked.len(),
                if r.unchecked.len() == 1 { "" } else { "s" },
                if r.offline { " (offline)" } else { "" }
            )?;
            for (package, reason) in r.unchecked.iter().take(10) {
                writeln!(out, "   = {package}: {reason}")?;
            }
            if r.unchecked.len() > 10 {
                writeln!(out, "   = … and {} more (see `--format json`)", r.unchecked.len() - 10)?;
            }
        }
        if let Some(c) = &report.content
            && !c.skipped.is_empty()
        {
            writeln!(
                out,
                "{}: {} package version{} not analysed{}:",
                self.paint("1;33", "warning[content-skipped]"),
                c.skipped.len(),
                if c.skipped.len() == 1 { "" } else { "s" },
                if c.budget_exhausted {
                    format!(" (content budget of {} spent)", c.budget)
                } else {
                    String::new()
                }
            )?;
            for (package, reason) in c.skipped.iter().take(10) {
                writeln!(out, "   = {package}: {reason}")?;
            }
            if c.skipped.len() > 10 {
                writeln!(out, "   = … and {} more (see `--format json`)", c.skipped.len() - 10)?;
            }
        }
        writeln!(out, "{}", summary(report))
    }
}

/// `2 failing (1 malicious), 3 warnings, 1 ignored in 157 packages from 3 lockfiles; …`.
pub(crate) fn summary(report: &Report<'_>) -> String {
    let malicious = report
        .entries
        .iter()
        .filter(|e| e.decision.action == Action::Fail && e.finding.category() == Category::Malicious)
        .count();
    let fail = report.count(Action::Fail);
    let mut line = format!(
        "{fail} failing{}, {} warning{}, {} ignored in {} packages from {} lockfile{}",
        if malicious > 0 { format!(" ({malicious} malicious)") } else { String::new() },
        report.count(Action::Warn),
        if report.count(Action::Warn) == 1 { "" } else { "s" },
        report.count(Action::Ignore),
        report.inventory.packages.len(),
        report.inventory.lockfiles.len(),
        if report.inventory.lockfiles.len() == 1 { "" } else { "s" },
    );
    if !report.input_errors.is_empty() {
        line.push_str(&format!("; {} input(s) failed", report.input_errors.len()));
    }
    if let Some(db) = &report.database {
        line.push_str(&format!("; advisories: {} ({} records", db.name, db.records));
        if let Some(updated) = &db.updated {
            line.push_str(&format!(", updated {updated}"));
        }
        if let Some(age) = db.age_days {
            line.push_str(&format!(", {age} days old"));
        }
        line.push(')');
    }
    if let Some(r) = &report.registry {
        line.push_str(&format!("; registry: {} checked", r.checked));
        if !r.unchecked.is_empty() {
            line.push_str(&format!(", {} not checked", r.unchecked.len()));
        }
        if r.offline {
            line.push_str(", offline");
        }
    }
    if let Some(c) = &report.content {
        line.push_str(&format!("; content: {} analysed, {} cached", c.analysed, c.cached));
        if !c.skipped.is_empty() {
            line.push_str(&format!(", {} not analysed", c.skipped.len()));
        }
    }
    line
}

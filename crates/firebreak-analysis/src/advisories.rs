//! Advisory matches as findings: `known-malicious` and `known-vulnerability`.

use firebreak_advisory::{Database, Kind, Match, PackageMatch, Rating, StoreError};
use firebreak_core::{AdvisoryRef, Category, FileLocation, Finding, Inventory, Severity, Signal};

/// A malware report covers the package version.
pub static KNOWN_MALICIOUS: Signal = Signal {
    id: "known-malicious",
    title: "package version is known to be malicious",
    severity: Severity::Critical,
    category: Category::Malicious,
    help: "remove it and treat every machine that installed it as compromised: rotate the credentials \
           it could read (registry, cloud and CI tokens, SSH keys)",
};
/// A vulnerability advisory covers the package version.
pub static KNOWN_VULNERABILITY: Signal = Signal {
    id: "known-vulnerability",
    title: "package version has a known vulnerability",
    severity: Severity::Medium,
    category: Category::Vulnerability,
    help: "upgrade to the fixed version, through the direct dependency that pulls it in",
};

/// The advisory signals.
pub static SIGNALS: &[&Signal] = &[&KNOWN_MALICIOUS, &KNOWN_VULNERABILITY];

fn severity(rating: Rating) -> Severity {
    match rating {
        Rating::None => Severity::Info,
        Rating::Low => Severity::Low,
        Rating::Medium => Severity::Medium,
        Rating::High => Severity::High,
        Rating::Critical => Severity::Critical,
    }
}

/// Matches every package of `inventory` against `db` and appends one finding per issue
/// (records sharing an alias are one issue).
pub fn analyze(db: &Database, inventory: &Inventory, out: &mut Vec<Finding>) -> Result<(), StoreError> {
    let matched = db.match_inventory(inventory)?;
    out.reserve(matched.iter().map(|pm| pm.matches.len()).sum());
    for mut pm in matched {
        for m in std::mem::take(&mut pm.matches) {
            out.push(finding(inventory, &pm, m));
        }
    }
    Ok(())
}

/// The advisory's own page first, then the other references, then osv.dev.
fn links(m: &Match) -> Vec<String> {
    let mut refs: Vec<_> = m.references.iter().collect();
    refs.sort_by_key(|r| r.kind != "ADVISORY");
    let mut links: Vec<String> = m.url.iter().cloned().collect();
    links.extend(refs.into_iter().map(|r| r.url.clone()));
    links.push(format!("https://osv.dev/vulnerability/{}", m.id));
    let mut seen = std::collections::HashSet::new();
    links.retain(|l| seen.insert(l.clone()));
    links.truncate(5);
    links
}

/// The finding of one match; the match's strings move into it.
fn finding(inventory: &Inventory, pm: &PackageMatch, m: Match) -> Finding {
    let links = links(&m);
    let package = inventory.packages.get(pm.package.index());
    let label = format!("{}@{}", pm.name, pm.version);
    let malicious = m.kind == Kind::Malicious;
    let (signal, message) = if malicious {
        (&KNOWN_MALICIOUS, format!("{label} is a known-malicious package ({})", m.id))
    } else {
        let summary = m.summary.as_deref().map(|s| format!(": {s}")).unwrap_or_default();
        (&KNOWN_VULNERABILITY, format!("{label} is affected by {}{summary}", m.id))
    };
    let level = if malicious {
        Severity::Critical
    } else {
        // No vector and no label: the severity is unknown; medium keeps it visible without
        // failing the default `fail_on = "high"` on a guess.
        m.severity.as_ref().map_or(Severity::Medium, |s| severity(s.rating))
    };
    let evidence = if m.severity.is_none() && !malicious {
        Some(("severity", "unknown: the advisory has no CVSS vector or rating".to_owned()))
    } else {
        m.severity.as_ref().and_then(|s| s.label.clone()).map(|label| ("severity label", label))
    };
    let (cvss_vector, cvss_score) = m.severity.and_then(|s| s.cvss).map(|c| (c.vector, c.score)).unzip();
    let mut f = Finding::new(signal, message).severity(level).package(pm.package).advisory(AdvisoryRef {
        ids: m.record_ids,
        aliases: m.aliases,
        summary: m.summary,
        cvss_vector,
        cvss_score,
        fixed: m.fixed,
        links,
    });
    if let Some(p) = package {
        let path = inventory.lockfiles.get(p.lockfile.index()).map(|l| l.path.clone()).unwrap_or_default();
        f = f.at(FileLocation {
            path,
            line: p.location.map(|l| l.line),
            column: p.location.map(|l| l.column),
        });
    }
    if let Some((label, value)) = evidence {
        f = f.evidence(label, value);
    }
    f
}

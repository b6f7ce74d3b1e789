//! `dependency-added`, `young-dependency` and `dependency-typosquat`: what a patch or
//! minor release newly depends on.
//!
//! axios 1.14.1, a patch release, added `plain-crypto-js@^4.2.1`, a package first
//! published 18 hours earlier whose newest release carried a `postinstall` dropper. A
//! patch release rarely needs a new dependency; one that is hours old, carries an install
//! script or mimics a popular name is the payload's way in.

use firebreak_core::{Category, Ecosystem, Finding, Severity, Signal, Timestamp, normalize_name};
use firebreak_registry::{PackageHistory, Release};

use super::{
    ReleaseAnalyzer, ReleaseContext, describe, previous_in_version_order, previous_on_line, typosquat,
};

/// A new dependency in a patch or minor release.
pub static DEPENDENCY_ADDED: Signal = Signal {
    id: "dependency-added",
    title: "a patch or minor release added a dependency",
    severity: Severity::Low,
    category: Category::Signal,
    help: "this release depends on a package the previous release of its line did not; common and usually \
           harmless, it matters together with the new dependency's age, install scripts and name (see \
           `young-dependency`, `dependency-typosquat`)",
};

/// A dependency first published shortly before the release that added it.
pub static YOUNG_DEPENDENCY: Signal = Signal {
    id: "young-dependency",
    title: "a newly added dependency was only hours old",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "the release added a dependency whose first version appeared on the registry shortly before; \
           attackers publish the payload as a fresh package and then add it to a popular one. Weighs high \
           when the dependency runs an install script",
};

static SIGNALS: &[&Signal] = &[&DEPENDENCY_ADDED, &YOUNG_DEPENDENCY, &typosquat::DEPENDENCY_TYPOSQUAT];

/// Compares `Release::dependencies` with the previous release of the same line (so a
/// major release, the first of its line, adds nothing); the age of an added dependency
/// comes from its history in [`ReleaseContext::dependencies`] when the runner fetched it.
///
/// Weights: `dependency-added` low; `young-dependency` medium, high when the dependency's
/// newest release at the time has an install script; `dependency-typosquat` medium, high
/// when the dependency is also young. Typosquats are looked for among the dependencies new
/// since the previous release in version order (every dependency of a first release),
/// majors included.
#[derive(Debug, Clone, Copy)]
pub struct DependencyAdded;

/// The dependency's release that a fresh install would most likely have resolved at
/// `at`: the highest stable version published by then (any version when none is stable).
fn latest_at(history: &PackageHistory, at: Option<Timestamp>) -> Option<&Release> {
    let existing: Vec<&Release> = history
        .sorted()
        .into_iter()
        .filter(|r| match (r.published, at) {
            (Some(p), Some(at)) => p <= at,
            _ => true,
        })
        .collect();
    existing
        .iter()
        .rev()
        .find(|r| r.parsed.as_ref().is_some_and(|v| !v.is_prerelease()))
        .or(existing.last())
        .copied()
}

fn find_history<'a>(cx: &ReleaseContext<'a>, ecosystem: Ecosystem, name: &str) -> Option<&'a PackageHistory> {
    cx.dependencies.get(name).or_else(|| {
        let key = normalize_name(ecosystem, name);
        cx.dependencies.iter().find(|(n, _)| normalize_name(ecosystem, n) == key).map(|(_, h)| h)
    })
}

/// The dependencies of `release` whose names `before` does not have.
fn added<'a>(
    ecosystem: Ecosystem,
    release: &'a Release,
    before: Option<&Release>,
) -> Vec<(&'a str, &'a str)> {
    release
        .dependencies
        .iter()
        .filter(|(name, _)| {
            before.is_none_or(|b| {
                let key = normalize_name(ecosystem, name);
                !b.dependencies.keys().any(|n| normalize_name(ecosystem, n) == key)
            })
        })
        .map(|(n, r)| (n.as_str(), r.as_str()))
        .collect()
}

impl ReleaseAnalyzer for DependencyAdded {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let release = cx.release;
        if release.dependencies.is_empty() {
            return;
        }
        let ecosystem = cx.history.ecosystem.unwrap_or(Ecosystem::Npm);
        let mut young_names: Vec<&str> = Vec::new();
        if let Some(previous) = previous_on_line(cx) {
            for (name, requirement) in added(ecosystem, release, Some(previous)) {
                if self.added_one(cx, ecosystem, previous, name, requirement, out) {
                    young_names.push(name);
                }
            }
        }
        if cx.history.ecosystem.is_none() {
            return;
        }
        let base = previous_on_line(cx).or_else(|| previous_in_version_order(cx));
        for (name, requirement) in added(ecosystem, release, base) {
            if let Some(finding) = typosquat::dependency_typosquat(ecosystem, name) {
                let young = young_names.contains(&name);
                out.push(
                    finding
                        .severity(if young { Severity::High } else { Severity::Medium })
                        .evidence("requirement", requirement)
                        .evidence("added in", describe(release)),
                );
            }
        }
    }
}

impl DependencyAdded {
    /// Reports one added dependency; returns whether it was young.
    fn added_one(
        &self,
        cx: &ReleaseContext<'_>,
        ecosystem: Ecosystem,
        previous: &Release,
        name: &str,
        requirement: &str,
        out: &mut Vec<Finding>,
    ) -> bool {
        let release = cx.release;
        let history = find_history(cx, ecosystem, name);
        let first = history.and_then(PackageHistory::first_published);
        let age_hours = match (first, release.published) {
            (Some(first), Some(at)) => Some(first.hours_until(at)),
            _ => None,
        };
        let then = history.and_then(|h| latest_at(h, release.published));
        let scripts = then.map(|r| &r.install_scripts).filter(|s| !s.is_empty());
        let scripts_text = scripts.map(|s| {
            s.iter().map(|(hook, command)| format!("{hook}: {command}")).collect::<Vec<_>>().join("; ")
        });

        let mut finding = Finding::new(
            &DEPENDENCY_ADDED,
            format!(
                "{} added the dependency `{name}` ({requirement}), which {} did not have",
                release.version, previous.version
            ),
        )
        .evidence("dependency", format!("{name} {requirement}"))
        .evidence("previous release", describe(previous))
        .evidence("this release", describe(release));
        if let Some(first) = first {
            finding = finding.evidence("dependency first published", first.to_string());
        }
        if let Some(hours) = age_hours {
            finding = finding.evidence("dependency age at release (hours)", hours.to_string());
        }
        if let (Some(then), Some(text)) = (then, &scripts_text) {
            finding = finding.evidence(format!("install scripts of {name}@{}", then.version), text.clone());
        }
        out.push(finding);

        let Some(hours) = age_hours else { return false };
        let limit = cx.settings.young_dependency_hours;
        // A dependency cannot be first published after the release that requires it; such
        // times come from a mirror that rewrote them, so the age is unknown, not zero.
        if hours >= limit || hours < 0 {
            return false;
        }
        let mut message = format!(
            "{} added `{name}`, first published {hours} hour{} before it",
            release.version,
            if hours == 1 { "" } else { "s" }
        );
        if scripts.is_some() {
            message.push_str(", and it runs an install script");
        }
        let mut finding = Finding::new(&YOUNG_DEPENDENCY, message)
            .severity(if scripts.is_some() { Severity::High } else { Severity::Medium })
            .evidence("dependency", format!("{name} {requirement}"))
            .evidence("dependency first published", first.map(|t| t.to_string()).unwrap_or_default())
            .evidence("release published", describe(release))
            .evidence("age (hours)", hours.to_string())
            .evidence("threshold (hours)", limit.to_string());
        if let Some(then) = then {
            finding = finding.evidence("dependency release at the time", describe(then));
        }
        if let Some(text) = scripts_text {
            finding = finding.evidence("install scripts", text);
        }
        out.push(finding);
        true
    }
}

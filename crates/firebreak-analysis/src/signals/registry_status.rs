//! `deprecated`, `yanked` and `yanked-neighbour`: what the registry itself says about the
//! release and the releases around it.
//!
//! Registries remove or yank malicious releases once reported; a lockfile still pinning a
//! release next to a yanked one (published by the same hand within days, like axios 0.30.4
//! next to 1.14.1) deserves a look even before the advisory exists.

use firebreak_core::{Category, Finding, Severity, Signal};
use firebreak_registry::Release;

use super::{ReleaseAnalyzer, ReleaseContext, describe};

/// Marked deprecated by its maintainers.
pub static DEPRECATED: Signal = Signal {
    id: "deprecated",
    title: "release is deprecated",
    severity: Severity::Low,
    category: Category::Signal,
    help: "the maintainers deprecated this release; the message usually names what to use instead",
};

/// Marked yanked by the registry or its maintainers.
pub static YANKED: Signal = Signal {
    id: "yanked",
    title: "release is yanked",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "the release was yanked: its maintainers (or the registry) withdrew it, for a bug or for worse; \
           move to another version",
};

/// A release published close to this one was yanked.
pub static YANKED_NEIGHBOUR: Signal = Signal {
    id: "yanked-neighbour",
    title: "a release published close to this one was yanked",
    severity: Severity::Low,
    category: Category::Signal,
    help: "another release published within a few days of this one, or next to it on its line, was yanked; \
           when a bad release is withdrawn, its siblings from the same hand may be bad too",
};

static SIGNALS: &[&Signal] = &[&DEPRECATED, &YANKED, &YANKED_NEIGHBOUR];

/// Releases published this close to each other are neighbours.
pub const NEIGHBOUR_SECONDS: i64 = 3 * 86_400;

/// Reports the release's own deprecation and yank, and yanked releases published within
/// [`NEIGHBOUR_SECONDS`] of it or adjacent to it in version order.
///
/// Weights: deprecated low, yanked medium, yanked-neighbour low.
#[derive(Debug, Clone, Copy)]
pub struct RegistryStatus;

impl ReleaseAnalyzer for RegistryStatus {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let release = cx.release;
        if let Some(message) = &release.deprecated {
            out.push(
                Finding::new(
                    &DEPRECATED,
                    format!("{} is deprecated: {}", release.version, one_line(message)),
                )
                .evidence("deprecation message", message.clone()),
            );
        }
        if let Some(reason) = &release.yanked {
            let mut finding = Finding::new(&YANKED, format!("{} is yanked", release.version));
            if !reason.trim().is_empty() {
                finding = finding.evidence("reason", reason.clone());
            }
            out.push(finding.evidence("release", describe(release)));
            return;
        }
        let sorted = cx.history.sorted();
        let index = sorted.iter().position(|r| r.version == release.version);
        let adjacent = |r: &Release| {
            index.is_some_and(|i| {
                sorted.get(i.wrapping_sub(1)).is_some_and(|n| n.version == r.version)
                    || sorted.get(i + 1).is_some_and(|n| n.version == r.version)
            })
        };
        let close = |r: &Release| match (r.published, release.published) {
            (Some(a), Some(b)) => a.seconds_until(b).unsigned_abs() <= NEIGHBOUR_SECONDS.unsigned_abs(),
            _ => false,
        };
        let neighbours: Vec<&Release> = cx
            .history
            .releases
            .iter()
            .filter(|r| r.version != release.version && r.yanked.is_some() && (close(r) || adjacent(r)))
            .collect();
        if neighbours.is_empty() {
            return;
        }
        let mut finding = Finding::new(
            &YANKED_NEIGHBOUR,
            format!(
                "{} was published next to yanked release{} {}",
                release.version,
                if neighbours.len() == 1 { "" } else { "s" },
                neighbours.iter().map(|r| r.version.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
        .evidence("this release", describe(release));
        for r in neighbours.iter().take(5) {
            finding = finding.evidence("yanked", describe(r));
        }
        out.push(finding);
    }
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 160 {
        format!("{}…", line.chars().take(160).collect::<String>())
    } else {
        line.to_owned()
    }
}

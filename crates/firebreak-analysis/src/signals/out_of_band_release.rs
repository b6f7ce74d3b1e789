//! `out-of-band-release`: a release on an older line published through a weaker or
//! different path than the current line.
//!
//! Maintained old lines are patched rarely, often by hand, and get less attention: the
//! axios attacker published `0.30.4` next to `1.14.1` so that projects pinned to `^0.30`
//! were hit too, from the same token while 1.x came from GitHub Actions with provenance.

use firebreak_core::{Category, Finding, Severity, Signal};
use firebreak_registry::Release;

use super::{ReleaseAnalyzer, ReleaseContext, describe, line_of};
use crate::signals::repository::normalize_repository;

/// An old line patched through a different publishing path than the current line.
pub static OUT_OF_BAND_RELEASE: Signal = Signal {
    id: "out-of-band-release",
    title: "an older line was released through another publishing path than the current line",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "this release is on an older major line and was published with weaker trust, or by another \
           trusted-publisher repository or workflow, than the newest line's releases; attackers patch old \
           lines to reach projects pinned to them. Compare with the project's release notes",
};

static SIGNALS: &[&Signal] = &[&OUT_OF_BAND_RELEASE];

/// Compares a stable release on an older line with the newest line's reference release:
/// of that line's releases published no later than this one, the one with the strongest
/// trust (the newest among equals), so that a malicious release published minutes
/// earlier on the newest line does not become the reference.
///
/// Weight: medium (the same facts usually also raise `trust-downgrade` on the release's
/// own line when it had trust before).
#[derive(Debug, Clone, Copy)]
pub struct OutOfBandRelease;

impl ReleaseAnalyzer for OutOfBandRelease {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let release = cx.release;
        let Some(version) = &release.parsed else { return };
        if version.is_prerelease() {
            return;
        }
        let sorted = cx.history.sorted();
        let Some(top) =
            sorted.iter().rev().find_map(|r| r.parsed.as_ref().filter(|v| !v.is_prerelease()).map(line_of))
        else {
            return;
        };
        let line = line_of(version);
        if line >= top {
            return;
        }
        let reference = sorted
            .iter()
            .filter(|r| {
                r.parsed.as_ref().is_some_and(|v| !v.is_prerelease() && line_of(v) == top)
                    && match (r.published, release.published) {
                        (Some(a), Some(b)) => a <= b,
                        _ => true,
                    }
            })
            .copied()
            .fold(None::<&Release>, |best, r| match best {
                Some(b) if b.trust.level > r.trust.level => Some(b),
                _ => Some(r),
            });
        let Some(reference) = reference else { return };
        let mut differences = Vec::new();
        if release.trust.level < reference.trust.level {
            differences.push((
                "trust",
                reference.trust.level.as_str().to_owned(),
                release.trust.level.as_str().to_owned(),
            ));
        }
        if let (Some(a), Some(b)) = (&reference.trust.publisher, &release.trust.publisher) {
            let repo_differs = match (&a.repository, &b.repository) {
                (Some(x), Some(y)) => normalize_repository(x) != normalize_repository(y),
                _ => false,
            };
            if repo_differs || a.workflow != b.workflow || a.provider != b.provider {
                let show = |p: &firebreak_registry::TrustedPublisher| {
                    format!(
                        "{} {} {}",
                        p.provider,
                        p.repository.as_deref().unwrap_or("?"),
                        p.workflow.as_deref().unwrap_or("?")
                    )
                };
                differences.push(("trusted publisher", show(a), show(b)));
            }
        }
        if differences.is_empty() {
            return;
        }
        let mut finding = Finding::new(
            &OUT_OF_BAND_RELEASE,
            format!(
                "{} on the older {line} line was published with another {} than {} on the current {top} line",
                release.version,
                differences.iter().map(|d| d.0).collect::<Vec<_>>().join(" and "),
                reference.version
            ),
        )
        .evidence("current line", format!("{top}: {}", describe(reference)))
        .evidence("this line", format!("{line}: {}", describe(release)));
        for (label, a, b) in differences {
            finding = finding
                .evidence(format!("{label} on the current line"), a)
                .evidence(format!("{label} of this release"), b);
        }
        out.push(finding);
    }
}

//! `trust-downgrade`: a release published with weaker trust than its line had reached.
//!
//! axios 1.14.0 was published by GitHub Actions through npm trusted publishing, with a
//! provenance attestation; 1.14.1 came from a maintainer's stolen token with neither. The
//! drop was visible in the registry document for the three hours the release was live.
//! PyPI releases without attestations after attested ones map to the same levels.

use firebreak_core::{Category, Finding, Severity, Signal};
use firebreak_registry::{Release, TrustLevel};

use super::{ReleaseAnalyzer, ReleaseContext, describe, previous_on_line, prior_on_line, time_of};

/// Weaker publishing trust than earlier releases of the same line.
pub static TRUST_DOWNGRADE: Signal = Signal {
    id: "trust-downgrade",
    title: "published with weaker trust than earlier releases of its line",
    severity: Severity::High,
    category: Category::Signal,
    help: "earlier releases of this line were published through a trusted publisher or with a provenance \
           attestation and this one was not; that is what a release from a stolen token looks like. Check \
           with the maintainers (release notes, the repository's tags and CI runs) before installing it",
};

static SIGNALS: &[&Signal] = &[&TRUST_DOWNGRADE];

/// Compares the release's [`TrustLevel`] with the strongest and the last before it on its
/// line.
///
/// Weights: high when the line had provenance or a trusted publisher; medium when it had
/// only registry signatures (a mirror or an old client can drop those); low when the
/// release just before already had the weaker level (the line moved away from trusted
/// publishing earlier, which was reported on that release).
#[derive(Debug, Clone, Copy)]
pub struct TrustDowngrade;

impl ReleaseAnalyzer for TrustDowngrade {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let prior = prior_on_line(cx);
        let level = cx.release.trust.level;
        // The latest release at the strongest level: the one to name as evidence.
        let Some(strongest) = prior.iter().copied().fold(None::<&Release>, |best, r| match best {
            Some(b) if b.trust.level > r.trust.level => Some(b),
            _ => Some(r),
        }) else {
            return;
        };
        if level >= strongest.trust.level {
            return;
        }
        let previous = previous_on_line(cx);
        let continuing = previous.is_some_and(|p| p.trust.level <= level);
        let severity = if continuing {
            Severity::Low
        } else if strongest.trust.level >= TrustLevel::Provenance {
            Severity::High
        } else {
            Severity::Medium
        };
        let line = cx.release.parsed.as_ref().map(super::line_of);
        let mut message = format!(
            "{} was published with `{}` trust, but {} on its line had `{}`",
            cx.release.version,
            level.as_str(),
            strongest.version,
            strongest.trust.level.as_str()
        );
        if continuing {
            message.push_str(" (the release before it already had the weaker trust)");
        }
        let mut finding = Finding::new(&TRUST_DOWNGRADE, message)
            .severity(severity)
            .evidence("trust before", format!("{} ({})", strongest.trust.level.as_str(), describe(strongest)))
            .evidence("trust now", format!("{} ({})", level.as_str(), describe(cx.release)));
        if let Some(previous) = previous.filter(|p| p.version != strongest.version) {
            finding = finding.evidence(
                "previous release",
                format!("{} ({})", previous.trust.level.as_str(), describe(previous)),
            );
        }
        if let Some(publisher) = &strongest.trust.publisher {
            let mut what = publisher.provider.clone();
            for part in [&publisher.repository, &publisher.workflow].into_iter().flatten() {
                what.push(' ');
                what.push_str(part);
            }
            finding = finding.evidence("trusted publisher before", what);
        }
        if let Some(account) = &cx.release.publisher {
            finding = finding.evidence("published by", account.name.clone());
        }
        if let Some(line) = line {
            finding = finding.evidence("release line", line.to_string());
        }
        out.push(finding.evidence("published", time_of(cx.release)));
    }
}

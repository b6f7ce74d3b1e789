//! `provenance-identity-changed` and `provenance-invalid`: what the provenance says about
//! the build, compared with the previous release's, and whether it verified.
//!
//! A stolen token plus a fork with its own workflow can produce a release with valid
//! provenance that names another repository or workflow; a provenance that no longer
//! names the project's own release workflow is the signal, not its mere presence.

use firebreak_core::{Category, Finding, Severity, Signal};
use firebreak_registry::Release;

use super::{ReleaseAnalyzer, ReleaseContext, describe, prior_on_line};
use crate::signals::repository::normalize_repository;

/// The provenance names another repository, workflow or trigger.
pub static PROVENANCE_IDENTITY_CHANGED: Signal = Signal {
    id: "provenance-identity-changed",
    title: "provenance names another repository, workflow or trigger than the previous release",
    severity: Severity::High,
    category: Category::Signal,
    help: "the build that produced this release is not the one that produced the previous release of its \
           line; a repository change is how a release built from an attacker's fork looks. Confirm the move \
           with the project (a renamed repository or workflow file is announced) before installing",
};

/// An attestation that exists but did not verify.
pub static PROVENANCE_INVALID: Signal = Signal {
    id: "provenance-invalid",
    title: "provenance attestation does not verify",
    severity: Severity::High,
    category: Category::Signal,
    help: "the release carries a provenance attestation whose signature, certificate chain, transparency-log \
           entry or subject digest did not verify; a forged or mismatched attestation is worse than none. Do \
           not install it until the registry's copy verifies",
};

static SIGNALS: &[&Signal] = &[&PROVENANCE_IDENTITY_CHANGED, &PROVENANCE_INVALID];

/// Compares the release's [`firebreak_registry::BuildIdentity`] (and trusted publisher
/// configuration) with the previous release on its line that had one.
///
/// Weights: high when the repository differs, medium when only the workflow or trigger
/// does (projects rename workflow files and move from tag pushes to release events).
#[derive(Debug, Clone, Copy)]
pub struct Provenance;

/// One compared field: its label and the value of each side.
type Change = (&'static str, String, String);

fn identity_changes(before: &Release, now: &Release) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut compare = |label: &'static str, a: Option<&String>, b: Option<&String>, repo: bool| {
        if let (Some(a), Some(b)) = (a, b) {
            let same = if repo {
                normalize_repository(a) == normalize_repository(b)
            } else {
                a.trim().eq_ignore_ascii_case(b.trim())
            };
            if !same {
                changes.push((label, a.clone(), b.clone()));
            }
        }
    };
    if let (Some(a), Some(b)) = (&before.trust.identity, &now.trust.identity) {
        compare("repository", a.repository.as_ref(), b.repository.as_ref(), true);
        compare("workflow", a.workflow.as_ref(), b.workflow.as_ref(), false);
        compare("trigger", a.trigger.as_ref(), b.trigger.as_ref(), false);
    }
    if let (Some(a), Some(b)) = (&before.trust.publisher, &now.trust.publisher) {
        compare("trusted publisher provider", Some(&a.provider), Some(&b.provider), false);
        compare("trusted publisher repository", a.repository.as_ref(), b.repository.as_ref(), true);
        compare("trusted publisher workflow", a.workflow.as_ref(), b.workflow.as_ref(), false);
    }
    changes
}

impl ReleaseAnalyzer for Provenance {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let release = cx.release;
        if let Some(identity) = &release.trust.identity
            && identity.verified == Some(false)
        {
            let mut finding = Finding::new(
                &PROVENANCE_INVALID,
                format!("the provenance attestation of {} does not verify", release.version),
            );
            if let Some(url) = &release.trust.attestation_url {
                finding = finding.evidence("attestation", url.clone());
            }
            if let Some(repository) = &identity.repository {
                finding = finding.evidence("claimed repository", repository.clone());
            }
            out.push(finding.evidence("release", describe(release)));
        }
        if release.trust.identity.is_none() && release.trust.publisher.is_none() {
            return;
        }
        let Some(before) = prior_on_line(cx)
            .into_iter()
            .rev()
            .find(|r| r.trust.identity.is_some() || r.trust.publisher.is_some())
        else {
            return;
        };
        let changes = identity_changes(before, release);
        if changes.is_empty() {
            return;
        }
        let repository = changes.iter().any(|(label, _, _)| label.ends_with("repository"));
        let fields: Vec<&str> = changes.iter().map(|(label, _, _)| *label).collect();
        let mut finding = Finding::new(
            &PROVENANCE_IDENTITY_CHANGED,
            format!(
                "{} was built by a different {} than {}",
                release.version,
                fields.join(", "),
                before.version
            ),
        )
        .severity(if repository { Severity::High } else { Severity::Medium });
        for (label, a, b) in changes {
            finding = finding
                .evidence(format!("{label} before"), format!("{a} in {}", describe(before)))
                .evidence(format!("{label} now"), format!("{b} in {}", describe(release)));
        }
        out.push(finding);
    }
}

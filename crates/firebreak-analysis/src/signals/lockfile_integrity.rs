//! `lockfile-integrity-mismatch`: the lockfile pins other bytes than the registry serves
//! for that version.
//!
//! A hand-edited or poisoned lockfile can keep a version number and swap the hash (with a
//! `resolved` URL pointing elsewhere, or for a tarball the attacker re-published under a
//! mirror); the registry's digest for the same version is the ground truth.

use std::collections::BTreeSet;

use firebreak_core::{Category, Finding, HashAlgorithm, Severity, Signal};

use super::{ReleaseAnalyzer, ReleaseContext, describe};

/// The lockfile's integrity differs from the registry's for that version.
pub static LOCKFILE_INTEGRITY_MISMATCH: Signal = Signal {
    id: "lockfile-integrity-mismatch",
    title: "lockfile integrity differs from the registry's",
    severity: Severity::High,
    category: Category::Hygiene,
    help: "the hash the lockfile records for this version is not one the registry lists for it, so the \
           lockfile pins other bytes than the registry serves; regenerate the entry from the registry and \
           find out who changed it",
};

static SIGNALS: &[&Signal] = &[&LOCKFILE_INTEGRITY_MISMATCH];

/// Compares [`ReleaseContext::lockfile_hashes`] with `Release::hashes` for every algorithm
/// both sides have; a lockfile hash absent from the registry's set for its algorithm is a
/// mismatch (PyPI lists one digest per file, so any of them matches).
///
/// Weight: high.
#[derive(Debug, Clone, Copy)]
pub struct LockfileIntegrity;

impl ReleaseAnalyzer for LockfileIntegrity {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let registry: BTreeSet<HashAlgorithm> = cx.release.hashes.iter().map(|h| h.algorithm).collect();
        for hash in cx.lockfile_hashes {
            if !registry.contains(&hash.algorithm) || hash.algorithm == HashAlgorithm::GoH1 {
                continue;
            }
            let known: Vec<&firebreak_core::Hash> =
                cx.release.hashes.iter().filter(|h| h.algorithm == hash.algorithm).collect();
            if known.iter().any(|h| h.value.eq_ignore_ascii_case(&hash.value)) {
                continue;
            }
            out.push(
                Finding::new(
                    &LOCKFILE_INTEGRITY_MISMATCH,
                    format!(
                        "the lockfile's {} for {} is not the registry's",
                        hash.algorithm.display_name(),
                        cx.release.version
                    ),
                )
                .evidence("lockfile", hash.to_string())
                .evidence("registry", known.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "))
                .evidence("release", describe(cx.release)),
            );
        }
    }
}

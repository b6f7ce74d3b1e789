//! `firebreak explain <id>`: the documentation page of a signal.

use crate::cli::ExplainArgs;
use crate::exit::ExitStatus;

/// Every signal's page, compiled in so `explain` works without the repository.
pub(crate) const PAGES: &[(&str, &str)] = &[
    ("known-malicious", include_str!("../../../../docs/signals/known-malicious.md")),
    ("known-vulnerability", include_str!("../../../../docs/signals/known-vulnerability.md")),
    ("lockfile-untrusted-host", include_str!("../../../../docs/signals/lockfile-untrusted-host.md")),
    ("lockfile-insecure-scheme", include_str!("../../../../docs/signals/lockfile-insecure-scheme.md")),
    ("lockfile-name-mismatch", include_str!("../../../../docs/signals/lockfile-name-mismatch.md")),
    ("lockfile-integrity-missing", include_str!("../../../../docs/signals/lockfile-integrity-missing.md")),
    ("lockfile-integrity-weak", include_str!("../../../../docs/signals/lockfile-integrity-weak.md")),
    ("lockfile-nonregistry-source", include_str!("../../../../docs/signals/lockfile-nonregistry-source.md")),
    ("trust-downgrade", include_str!("../../../../docs/signals/trust-downgrade.md")),
    ("provenance-identity-changed", include_str!("../../../../docs/signals/provenance-identity-changed.md")),
    ("provenance-invalid", include_str!("../../../../docs/signals/provenance-invalid.md")),
    ("new-publisher", include_str!("../../../../docs/signals/new-publisher.md")),
    ("maintainers-changed", include_str!("../../../../docs/signals/maintainers-changed.md")),
    ("maintainer-email-changed", include_str!("../../../../docs/signals/maintainer-email-changed.md")),
    ("install-script-added", include_str!("../../../../docs/signals/install-script-added.md")),
    ("install-script-changed", include_str!("../../../../docs/signals/install-script-changed.md")),
    ("dependency-added", include_str!("../../../../docs/signals/dependency-added.md")),
    ("young-dependency", include_str!("../../../../docs/signals/young-dependency.md")),
    ("dependency-typosquat", include_str!("../../../../docs/signals/dependency-typosquat.md")),
    ("package-typosquat", include_str!("../../../../docs/signals/package-typosquat.md")),
    ("release-too-young", include_str!("../../../../docs/signals/release-too-young.md")),
    ("publish-time-missing", include_str!("../../../../docs/signals/publish-time-missing.md")),
    ("dormant-revival", include_str!("../../../../docs/signals/dormant-revival.md")),
    ("out-of-band-release", include_str!("../../../../docs/signals/out-of-band-release.md")),
    ("version-jump", include_str!("../../../../docs/signals/version-jump.md")),
    ("repository-changed", include_str!("../../../../docs/signals/repository-changed.md")),
    ("repository-missing", include_str!("../../../../docs/signals/repository-missing.md")),
    ("deprecated", include_str!("../../../../docs/signals/deprecated.md")),
    ("yanked", include_str!("../../../../docs/signals/yanked.md")),
    ("yanked-neighbour", include_str!("../../../../docs/signals/yanked-neighbour.md")),
    ("lockfile-integrity-mismatch", include_str!("../../../../docs/signals/lockfile-integrity-mismatch.md")),
    ("package-not-found", include_str!("../../../../docs/signals/package-not-found.md")),
    ("integrity-mismatch", include_str!("../../../../docs/signals/integrity-mismatch.md")),
    ("malicious-content", include_str!("../../../../docs/signals/malicious-content.md")),
    ("suspicious-content", include_str!("../../../../docs/signals/suspicious-content.md")),
    ("install-time-code", include_str!("../../../../docs/signals/install-time-code.md")),
    ("network-access", include_str!("../../../../docs/signals/network-access.md")),
    ("process-spawn", include_str!("../../../../docs/signals/process-spawn.md")),
    ("process-spawn-hidden", include_str!("../../../../docs/signals/process-spawn-hidden.md")),
    ("download-and-execute", include_str!("../../../../docs/signals/download-and-execute.md")),
    ("env-harvest", include_str!("../../../../docs/signals/env-harvest.md")),
    ("credential-file-read", include_str!("../../../../docs/signals/credential-file-read.md")),
    ("exfiltration-endpoint", include_str!("../../../../docs/signals/exfiltration-endpoint.md")),
    ("dynamic-code", include_str!("../../../../docs/signals/dynamic-code.md")),
    ("obfuscated-code", include_str!("../../../../docs/signals/obfuscated-code.md")),
    ("encoded-payload", include_str!("../../../../docs/signals/encoded-payload.md")),
    ("persistence", include_str!("../../../../docs/signals/persistence.md")),
    ("self-modification", include_str!("../../../../docs/signals/self-modification.md")),
    ("worm-behaviour", include_str!("../../../../docs/signals/worm-behaviour.md")),
    ("bundled-binary", include_str!("../../../../docs/signals/bundled-binary.md")),
    ("phantom-dependency", include_str!("../../../../docs/signals/phantom-dependency.md")),
    ("capability-added", include_str!("../../../../docs/signals/capability-added.md")),
    ("network-interception", include_str!("../../../../docs/signals/network-interception.md")),
    ("destructive-write", include_str!("../../../../docs/signals/destructive-write.md")),
    ("parse-fallback", include_str!("../../../../docs/signals/parse-fallback.md")),
    ("archive-anomaly", include_str!("../../../../docs/signals/archive-anomaly.md")),
    ("yara-match", include_str!("../../../../docs/signals/yara-match.md")),
];

pub(super) fn run(args: &ExplainArgs) -> miette::Result<ExitStatus> {
    let Some(id) = &args.id else {
        let mut out = String::new();
        for (id, _) in PAGES {
            out.push_str(id);
            out.push('\n');
        }
        super::write_output(None, out.as_bytes())?;
        return Ok(ExitStatus::Success);
    };
    match PAGES.iter().find(|(known, _)| known.eq_ignore_ascii_case(id)) {
        Some((_, page)) => {
            super::write_output(None, page.as_bytes())?;
            Ok(ExitStatus::Success)
        }
        None => Err(miette::miette!(
            help = "`firebreak explain` without an id lists every signal",
            "unknown signal `{id}`"
        )),
    }
}

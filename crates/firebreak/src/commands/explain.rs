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

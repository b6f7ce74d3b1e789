//! `repository-changed` and `repository-missing`: the source repository a release
//! declares, compared with the previous release in version order.
//!
//! A takeover that publishes from another codebase often points the repository field at
//! the attacker's fork or drops it, so that provenance and "view source" lead nowhere
//! useful (starjacking works the other way: a new package claims a famous repository).

use firebreak_core::{Category, Finding, Severity, Signal};

use super::{ReleaseAnalyzer, ReleaseContext, describe, previous_in_version_order};

/// The repository field changed.
pub static REPOSITORY_CHANGED: Signal = Signal {
    id: "repository-changed",
    title: "the declared source repository changed",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "this release names another source repository than the previous release; projects move (a new \
           organisation, a renamed repository), so check that the old location redirects to the new one",
};

/// The repository field was dropped.
pub static REPOSITORY_MISSING: Signal = Signal {
    id: "repository-missing",
    title: "no source repository where the previous release declared one",
    severity: Severity::Low,
    category: Category::Signal,
    help: "the previous release declared its source repository and this one does not; a release built \
           from somewhere else may drop the field",
};

static SIGNALS: &[&Signal] = &[&REPOSITORY_CHANGED, &REPOSITORY_MISSING];

/// Compares `Release::repository`, normalised with [`normalize_repository`].
///
/// Weights: changed medium, missing low.
#[derive(Debug, Clone, Copy)]
pub struct Repository;

/// A repository URL reduced to `host/owner/name` for the common forges (or the cleaned
/// URL otherwise): scheme, `git+`, user, `www.`, `.git`, fragments, queries and paths
/// inside the repository (monorepo directories) are dropped; npm shorthands
/// (`github:o/r`, `o/r`) expand; case is ignored.
pub fn normalize_repository(url: &str) -> String {
    let mut s = url.trim().to_ascii_lowercase();
    if let Some(cut) = s.find(['#', '?']) {
        s.truncate(cut);
    }
    let mut rest = s.as_str().strip_prefix("git+").unwrap_or(s.as_str()).to_owned();
    let mut had_scheme = false;
    if let Some(i) = rest.find("://") {
        rest = rest.split_off(i + 3);
        had_scheme = true;
    }
    for (short, host) in
        [("github:", "github.com/"), ("gitlab:", "gitlab.com/"), ("bitbucket:", "bitbucket.org/")]
    {
        if let Some(tail) = rest.strip_prefix(short) {
            rest = format!("{host}{tail}");
            had_scheme = true;
        }
    }
    // user@host
    if let Some(at) = rest.find('@')
        && rest.find('/').is_none_or(|slash| at < slash)
    {
        rest = rest.split_off(at + 1);
    }
    // scp-like host:owner/repo
    if !had_scheme
        && let Some(colon) = rest.find(':')
        && rest.find('/').is_none_or(|slash| colon < slash)
    {
        rest.replace_range(colon..=colon, "/");
        had_scheme = true;
    }
    let rest = rest.strip_prefix("www.").unwrap_or(&rest).to_owned();
    let mut parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    // npm's bare `owner/repo` shorthand.
    if !had_scheme && parts.len() == 2 && parts.first().is_some_and(|h| !h.contains('.')) {
        parts.insert(0, "github.com");
    }
    if parts
        .first()
        .is_some_and(|h| matches!(*h, "github.com" | "gitlab.com" | "bitbucket.org" | "codeberg.org"))
    {
        parts.truncate(3);
    }
    let mut out = parts.join("/");
    if let Some(stripped) = out.strip_suffix(".git") {
        out = stripped.to_owned();
    }
    out
}

impl ReleaseAnalyzer for Repository {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let release = cx.release;
        let Some(previous) = previous_in_version_order(cx) else { return };
        let Some(before) = previous.repository.as_deref().filter(|r| !r.trim().is_empty()) else { return };
        match release.repository.as_deref().filter(|r| !r.trim().is_empty()) {
            None => out.push(
                Finding::new(
                    &REPOSITORY_MISSING,
                    format!(
                        "{} declares no repository; {} declared `{before}`",
                        release.version, previous.version
                    ),
                )
                .evidence("repository before", format!("{before} in {}", describe(previous)))
                .evidence("repository now", format!("none in {}", describe(release))),
            ),
            Some(now) if normalize_repository(now) != normalize_repository(before) => out.push(
                Finding::new(
                    &REPOSITORY_CHANGED,
                    format!(
                        "{} declares the repository `{now}`, {} declared `{before}`",
                        release.version, previous.version
                    ),
                )
                .evidence("repository before", format!("{before} in {}", describe(previous)))
                .evidence("repository now", format!("{now} in {}", describe(release))),
            ),
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_repository as n;

    #[test]
    fn spellings_of_one_repository_meet() {
        let want = "github.com/axios/axios";
        for url in [
            "git+https://github.com/axios/axios.git",
            "https://github.com/axios/axios",
            "git://github.com/axios/axios.git",
            "git@github.com:axios/axios.git",
            "ssh://git@github.com/axios/axios.git",
            "github:axios/axios",
            "axios/axios",
            "https://www.github.com/Axios/Axios/tree/main/packages/core#readme",
        ] {
            assert_eq!(n(url), want, "{url}");
        }
        assert_eq!(n("https://example.org/a/b/c.git"), "example.org/a/b/c");
        assert_ne!(n("https://github.com/axios/axios"), n("https://github.com/axi0s/axios"));
    }
}

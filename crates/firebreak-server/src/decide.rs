//! Decisions on every release of one package: the findings `scan` would raise for it
//! (advisories, registry signals, the release-age rule), evaluated by the same policy,
//! then the proxy's own allow-list and fail modes (`[proxy]`).

use std::collections::BTreeMap;
use std::sync::Mutex;

use firebreak_advisory::Database;
use firebreak_core::{Ecosystem, Finding, InventoryBuilder, NodeRef, PackageId, Timestamp};
use firebreak_policy::{Action, Date, Fallback, PUBLISH_TIME_MISSING, Policy};
use firebreak_registry::PackageHistory;

use crate::registry_signals::{self, FixesAdvisory};

/// Where the advisory data comes from; an unreadable database is decided by
/// `[proxy] on_unavailable.advisories`.
#[derive(Debug)]
pub enum Advisories {
    /// An open database (the file of `firebreak db update`, or the embedded snapshot).
    Open(Mutex<Database>),
    /// It could not be opened: why.
    Unavailable(String),
}

/// The verdict on one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the proxy serves it.
    pub allowed: bool,
    /// The rule that decided: a signal id (`release-too-young`), an advisory id with its
    /// signal (`known-malicious MAL-2026-1234`), `allow-list`, or empty when nothing
    /// applied.
    pub rule: String,
    /// One sentence for the client: what blocked it (or let it through despite a finding).
    pub reason: String,
    /// When a rule could not be evaluated and `on_unavailable` decided: which rule and
    /// which way (`release_age unavailable: allowed (on_unavailable = "allow")`).
    pub fallback: Option<String>,
}

impl Decision {
    fn allow() -> Decision {
        Decision { allowed: true, rule: String::new(), reason: String::new(), fallback: None }
    }
}

/// Decides every release of `history`. `now` is the clock the release-age rule reads.
pub fn decide_all(
    ecosystem: Ecosystem,
    history: &PackageHistory,
    policy: &Policy,
    advisories: &Advisories,
    now: Timestamp,
) -> BTreeMap<String, Decision> {
    let name = history.name.as_str();
    let mut builder = InventoryBuilder::new("registry", "registry/proxy");
    let root = builder.root(ecosystem, "proxy", None, "");
    let ids: Vec<PackageId> = history
        .releases
        .iter()
        .map(|r| {
            let id = builder.package(ecosystem, name, &r.version);
            builder.edge(NodeRef::Root(root), id, firebreak_core::DepKind::Normal, Some(&r.version));
            id
        })
        .collect();
    let inventory = builder.finish();

    let mut findings: Vec<Finding> = Vec::new();
    let mut advisory_problem: Option<String> = None;
    let guard = match advisories {
        Advisories::Open(db) => Some(db.lock().unwrap_or_else(std::sync::PoisonError::into_inner)),
        Advisories::Unavailable(why) => {
            advisory_problem = Some(why.clone());
            None
        }
    };
    if let Some(db) = &guard
        && let Err(e) = firebreak_analysis::advisories::analyze(db, &inventory, &mut findings)
    {
        advisory_problem = Some(format!("cannot query the advisory database: {e}"));
    }
    let fixes = |eco: Ecosystem, n: &str, prev: &str, version: &str| {
        guard.as_ref().is_some_and(|db| fixes(db, eco, n, prev, version))
    };
    let fixes: &FixesAdvisory<'_> = &fixes;

    let settings = registry_signals::signal_settings(policy);
    let no_dependencies = BTreeMap::new();
    for (release, id) in history.releases.iter().zip(&ids) {
        let mut own = registry_signals::release_signal_findings(
            history,
            release,
            &no_dependencies,
            &[],
            &settings,
            now,
        );
        let age = registry_signals::release_age_finding(
            ecosystem,
            name,
            &release.version,
            history,
            release,
            &own,
            policy,
            &settings,
            now,
            fixes,
        );
        own.extend(age);
        findings.extend(own.into_iter().map(|f| f.package(*id)));
    }
    drop(guard);

    let today = Date::from_unix_seconds(now.unix_seconds());
    let evaluation = policy.evaluate(&inventory, &findings, today);
    let mut out: BTreeMap<String, Decision> = BTreeMap::new();
    for (release, id) in history.releases.iter().zip(&ids) {
        let version = release.version.as_str();
        if let Some(entry) = policy.proxy.allowed(ecosystem, name, version) {
            out.insert(
                version.to_owned(),
                Decision {
                    allowed: true,
                    rule: "allow-list".to_owned(),
                    reason: format!("`{}` in `[proxy] allow` lets it through", entry.text),
                    fallback: None,
                },
            );
            continue;
        }
        let mut decision = Decision::allow();
        if let Some(why) = &advisory_problem {
            let way = policy.proxy.on_unavailable.advisories;
            decision.fallback = Some(fallback_note("advisories", way, why));
            if way == Fallback::Block {
                decision.allowed = false;
                decision.rule = "advisories-unavailable".to_owned();
                decision.reason = format!("the advisory data is unavailable ({why})");
            }
        }
        for (finding, d) in findings.iter().zip(&evaluation.decisions) {
            if finding.package != Some(*id) || !decision.allowed {
                continue;
            }
            if finding.signal.id == PUBLISH_TIME_MISSING {
                // The proxy's own fail mode replaces `missing_time` here: a registry gate
                // says per rule which way it falls when it is blind.
                let way = policy.proxy.on_unavailable.release_age;
                decision.fallback =
                    Some(fallback_note("release_age", way, "the registry gives no publish time"));
                if way == Fallback::Block {
                    decision.allowed = false;
                    decision.rule = PUBLISH_TIME_MISSING.to_owned();
                    decision.reason = "the registry gives no publish time, so its age is unknown".to_owned();
                }
                continue;
            }
            if d.action == Action::Fail {
                decision.allowed = false;
                decision.rule = match &finding.advisory {
                    Some(a) => match a.ids.first() {
                        Some(first) => format!("{} {first}", finding.signal.id),
                        None => finding.signal.id.to_owned(),
                    },
                    None => finding.signal.id.to_owned(),
                };
                decision.reason = finding.message.clone();
            }
        }
        out.insert(version.to_owned(), decision);
    }
    out
}

/// Seconds until the decisions of `history` can next change by time alone: the first
/// moment a release crosses one of the policy's release-age thresholds (every threshold is
/// tried for every release, so this may come early, never late). `None`: no release is
/// younger than a threshold, so only the document, the policy or the advisory data can
/// change a decision.
pub fn seconds_to_next_age_crossing(
    history: &PackageHistory,
    policy: &Policy,
    now: Timestamp,
) -> Option<u64> {
    let r = &policy.registry;
    if !r.enabled || r.min_release_age == 0 {
        return None;
    }
    let thresholds = [
        r.min_release_age,
        r.min_release_age_suspicious.max(r.min_release_age),
        r.min_release_age_trusted.min(r.min_release_age),
    ];
    history
        .releases
        .iter()
        .filter_map(|release| release.published)
        .flat_map(|published| {
            let age = published.seconds_until(now);
            thresholds.iter().filter_map(move |&t| {
                let t = i64::try_from(t).ok()?;
                u64::try_from(t - age).ok().filter(|left| *left > 0)
            })
        })
        .min()
}

fn fallback_note(rule: &str, way: Fallback, why: &str) -> String {
    let went = if way == Fallback::Block { "blocked" } else { "allowed" };
    format!("{rule} unavailable ({why}): {went} (on_unavailable = \"{}\")", way.as_str())
}

/// Whether `version` fixes a vulnerability that affects `previous` (the cooldown's
/// security fast path): the same question `scan` asks of the database.
pub fn fixes(db: &Database, ecosystem: Ecosystem, name: &str, previous: &str, version: &str) -> bool {
    let Ok(before) = db.query(ecosystem, name, previous) else { return false };
    if before.is_empty() {
        return false;
    }
    let Ok(after) = db.query(ecosystem, name, version) else { return false };
    let still: std::collections::BTreeSet<&str> = after.iter().flat_map(|m| m.all_ids()).collect();
    before
        .iter()
        .filter(|m| m.kind == firebreak_advisory::Kind::Vulnerability)
        .any(|m| !m.all_ids().any(|id| still.contains(id)))
}

#[cfg(test)]
mod tests {
    use firebreak_registry::Release;

    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_unix(secs, 0).expect("time")
    }

    fn history(published: &[Option<i64>]) -> PackageHistory {
        PackageHistory {
            ecosystem: Some(Ecosystem::Npm),
            name: "demo".to_owned(),
            releases: published
                .iter()
                .enumerate()
                .map(|(i, p)| Release {
                    version: format!("1.0.{i}"),
                    published: p.map(at),
                    ..Release::default()
                })
                .collect(),
            ..PackageHistory::default()
        }
    }

    #[test]
    fn the_next_age_crossing_is_the_youngest_release_reaching_the_nearest_threshold() {
        let policy = firebreak_policy::parse(
            "firebreak.toml",
            "[registry]\nmin_release_age = \"3d\"\nmin_release_age_trusted = \"1d\"\n",
        )
        .expect("policy");
        let now = at(10 * 86_400);
        // Two hours old: the one-day threshold is 22 h away, the three-day one 70 h.
        let h = history(&[Some(now.unix_seconds() - 30 * 86_400), Some(now.unix_seconds() - 7_200), None]);
        assert_eq!(seconds_to_next_age_crossing(&h, &policy, now), Some(22 * 3_600));
        // Everything older than every threshold: nothing changes with time.
        let h = history(&[Some(now.unix_seconds() - 30 * 86_400)]);
        assert_eq!(seconds_to_next_age_crossing(&h, &policy, now), None);
        // No cooldown at all.
        let off = firebreak_policy::parse("firebreak.toml", "[registry]\nmin_release_age = \"0\"\n")
            .expect("policy");
        let h = history(&[Some(now.unix_seconds() - 60)]);
        assert_eq!(seconds_to_next_age_crossing(&h, &off, now), None);
    }
}

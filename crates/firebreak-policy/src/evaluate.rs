//! Findings in, decisions out. Pure: the caller passes today's date.

use firebreak_core::{Category, Finding, Inventory, Severity};

use crate::content::ContentBlock;
use crate::model::{Action, Date, DevMode, Ignore, Policy};
use crate::registry::{INSTALL_SCRIPT_SIGNALS, MissingTime, SignalSetting};

/// The signal a release without a publish time raises; `missing_time` decides it.
pub const PUBLISH_TIME_MISSING: &str = "publish-time-missing";
/// The cooldown's signal: it fails unless `[signals]` says otherwise, whatever its
/// severity, because a cooldown that only warns holds nothing back.
pub const RELEASE_TOO_YOUNG: &str = "release-too-young";

/// Why a finding got its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A known-malicious package: fails whatever the threshold.
    Malicious,
    /// Compared with `fail_on`.
    Threshold {
        /// The finding's severity.
        severity: Severity,
        /// The policy's threshold (`None`: never fail).
        fail_on: Option<Severity>,
    },
    /// The package is only used in development and `dev` says so.
    Dev(DevMode),
    /// The hygiene check's configured level.
    Hygiene,
    /// An `[[ignore]]` entry (its index in [`Policy::ignores`]) covers it.
    Ignored(usize),
    /// The package's ecosystem is switched off.
    EcosystemDisabled,
    /// `[signals]` sets this signal's action.
    SignalSetting,
    /// `[registry.install_scripts] allow` lists the package.
    InstallScriptsAllowed,
    /// The release has no publish time; `[registry] missing_time` decides.
    MissingTime(MissingTime),
    /// Younger than the cooldown (`[registry] min_release_age`).
    Cooldown,
    /// A content-analysis verdict; `[content] block` decides.
    ContentVerdict(ContentBlock),
}

/// The policy's verdict on one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// What to do.
    pub action: Action,
    /// Why.
    pub reason: Reason,
    /// An ignore that would have covered the finding but has expired (its index).
    pub expired_ignore: Option<usize>,
}

/// Decisions for every finding, plus what the policy itself should be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// One decision per finding, in the findings' order.
    pub decisions: Vec<Decision>,
    /// Ignores that covered nothing in this run (indexes), so stale entries get noticed.
    pub unused_ignores: Vec<usize>,
    /// Ignores past their expiry date (indexes), whether or not they matched.
    pub expired_ignores: Vec<usize>,
}

impl Evaluation {
    /// Whether any finding fails the run.
    pub fn failed(&self) -> bool {
        self.decisions.iter().any(|d| d.action == Action::Fail)
    }

    /// How many findings got `action`.
    pub fn count(&self, action: Action) -> usize {
        self.decisions.iter().filter(|d| d.action == action).count()
    }
}

impl Policy {
    /// Decides every finding about `inventory`'s packages.
    pub fn evaluate(&self, inventory: &Inventory, findings: &[Finding], today: Date) -> Evaluation {
        let mut used = vec![false; self.ignores.len()];
        let decisions = findings
            .iter()
            .map(|f| {
                let mut expired_ignore = None;
                for (i, ignore) in self.ignores.iter().enumerate() {
                    if !covers(ignore, inventory, f) {
                        continue;
                    }
                    used[i] = true;
                    if ignore.expired(today) {
                        expired_ignore.get_or_insert(i);
                    } else {
                        return Decision {
                            action: Action::Ignore,
                            reason: Reason::Ignored(i),
                            expired_ignore,
                        };
                    }
                }
                let mut decision = self.decide(inventory, f);
                decision.expired_ignore = expired_ignore;
                decision
            })
            .collect();
        Evaluation {
            decisions,
            unused_ignores: used.iter().enumerate().filter(|(_, u)| !**u).map(|(i, _)| i).collect(),
            expired_ignores: self
                .ignores
                .iter()
                .enumerate()
                .filter(|(_, ig)| ig.expired(today))
                .map(|(i, _)| i)
                .collect(),
        }
    }

    fn decide(&self, inventory: &Inventory, f: &Finding) -> Decision {
        let package = f.package.and_then(|id| inventory.packages.get(id.index()));
        let decision = |action, reason| Decision { action, reason, expired_ignore: None };
        if package.is_some_and(|p| !self.scans(p.ecosystem)) {
            return decision(Action::Ignore, Reason::EcosystemDisabled);
        }
        let (action, reason) = match f.category() {
            Category::Malicious => return decision(Action::Fail, Reason::Malicious),
            Category::Hygiene => (self.hygiene.level(f.signal.id), Reason::Hygiene),
            Category::Signal if f.signal.id == PUBLISH_TIME_MISSING => {
                let m = self.registry.missing_time;
                (if m == MissingTime::Block { Action::Fail } else { Action::Warn }, Reason::MissingTime(m))
            }
            Category::Signal
                if f.signal.id == RELEASE_TOO_YOUNG && !self.signals.contains_key(RELEASE_TOO_YOUNG) =>
            {
                (Action::Fail, Reason::Cooldown)
            }
            Category::Signal
                if !self.signals.contains_key(f.signal.id)
                    && self.content.block.blocks(f.signal.id).is_some() =>
            {
                let fails = self.content.block.blocks(f.signal.id) == Some(true);
                (if fails { Action::Fail } else { Action::Warn }, Reason::ContentVerdict(self.content.block))
            }
            Category::Signal
                if INSTALL_SCRIPT_SIGNALS.contains(&f.signal.id)
                    && package.is_some_and(|p| {
                        self.registry.install_scripts_allowed(p.ecosystem, &p.name, &p.version)
                    }) =>
            {
                return decision(Action::Ignore, Reason::InstallScriptsAllowed);
            }
            Category::Vulnerability | Category::Signal => match self.signals.get(f.signal.id) {
                Some(SignalSetting::Action(action)) => (*action, Reason::SignalSetting),
                setting => {
                    let severity = match setting {
                        Some(SignalSetting::Severity(s)) => *s,
                        _ => f.severity,
                    };
                    let fails = self.fail_on.is_some_and(|t| severity >= t);
                    (
                        if fails { Action::Fail } else { Action::Warn },
                        Reason::Threshold { severity, fail_on: self.fail_on },
                    )
                }
            },
        };
        let dev_only = package.is_some_and(|p| p.flags.dev);
        match (dev_only, self.dev) {
            (true, DevMode::Ignore) => decision(Action::Ignore, Reason::Dev(DevMode::Ignore)),
            (true, DevMode::Warn) if action == Action::Fail => {
                decision(Action::Warn, Reason::Dev(DevMode::Warn))
            }
            _ => decision(action, reason),
        }
    }
}

fn covers(ignore: &Ignore, inventory: &Inventory, f: &Finding) -> bool {
    let id_ok = ignore.id.as_deref().is_none_or(|id| {
        f.signal.id.eq_ignore_ascii_case(id)
            || f.advisory
                .as_ref()
                .is_some_and(|a| a.ids.iter().chain(&a.aliases).any(|x| x.eq_ignore_ascii_case(id)))
    });
    let package_ok = match &ignore.package {
        None => ignore.ecosystem.is_none_or(|eco| {
            f.package.and_then(|id| inventory.packages.get(id.index())).is_some_and(|p| p.ecosystem == eco)
        }),
        Some(spec) => f.package.and_then(|id| inventory.packages.get(id.index())).is_some_and(|p| {
            ignore.ecosystem.is_none_or(|e| e == p.ecosystem)
                && spec.matches(p.ecosystem, &p.name, &p.version)
        }),
    };
    id_ok && package_ok
}

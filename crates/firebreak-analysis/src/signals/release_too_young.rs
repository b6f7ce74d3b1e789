//! `release-too-young` and `publish-time-missing`: the release's age against the
//! policy's minimum (a cooldown).
//!
//! Most malicious releases are found and removed within hours to days (axios 1.14.1 was
//! live for about three hours); waiting a few days before installing a new version lets
//! the registry and scanners catch up. The minimum is the policy's decision (it may depend
//! on the other signals), so this is a function the policy calls, not an analyzer.

use firebreak_core::{Category, Finding, Severity, Signal};

use super::{ReleaseContext, describe};

/// Newer than the policy's minimum release age.
pub static RELEASE_TOO_YOUNG: Signal = Signal {
    id: "release-too-young",
    title: "newer than the minimum release age",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "this release was published more recently than the policy's `min_release_age`; malicious releases \
           are usually found and removed within days. Wait, pin the previous version, or exempt the package \
           when the release fixes something urgent",
};

/// The registry gave no publish time, so the release's age is unknown.
pub static PUBLISH_TIME_MISSING: Signal = Signal {
    id: "publish-time-missing",
    title: "the registry gives no publish time for this release",
    severity: Severity::Info,
    category: Category::Signal,
    help: "without a publish time the minimum release age cannot be checked; the policy's `missing_time` \
           (`block` or `warn`) decides what happens, never silently",
};

pub(super) static SIGNALS: &[&Signal] = &[&RELEASE_TOO_YOUNG, &PUBLISH_TIME_MISSING];

/// The outcome of an age check.
#[derive(Debug, Clone, PartialEq)]
pub enum ReleaseAge {
    /// Old enough: its age in seconds.
    OldEnough {
        /// Seconds from publish to `now`.
        age_seconds: i64,
    },
    /// Younger than the minimum: a `release-too-young` finding.
    TooYoung(Finding),
    /// No publish time: a `publish-time-missing` finding (severity info) that the policy's
    /// `missing_time` turns into a block or a warning.
    Unknown(Finding),
}

impl ReleaseAge {
    /// The finding, when there is one.
    pub fn finding(self) -> Option<Finding> {
        match self {
            ReleaseAge::OldEnough { .. } => None,
            ReleaseAge::TooYoung(f) | ReleaseAge::Unknown(f) => Some(f),
        }
    }
}

/// Formats seconds the way a person reads an age (`2d 3h`, `45m`).
fn human(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m}m"),
        (0, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// Checks `cx.release` against a minimum age of `min_age_seconds` at `cx.now`. A publish
/// time in the future (clock skew, a rewritten document) counts as age 0.
pub fn release_too_young(cx: &ReleaseContext<'_>, min_age_seconds: i64) -> ReleaseAge {
    let release = cx.release;
    let Some(published) = release.published else {
        return ReleaseAge::Unknown(
            Finding::new(
                &PUBLISH_TIME_MISSING,
                format!("the registry gives no publish time for {}, so its age is unknown", release.version),
            )
            .evidence("release", release.version.clone())
            .evidence("minimum age", human(min_age_seconds)),
        );
    };
    let age = published.seconds_until(cx.now).max(0);
    if age >= min_age_seconds {
        return ReleaseAge::OldEnough { age_seconds: age };
    }
    ReleaseAge::TooYoung(
        Finding::new(
            &RELEASE_TOO_YOUNG,
            format!(
                "{} was published {} ago, less than the minimum release age of {}",
                release.version,
                human(age),
                human(min_age_seconds)
            ),
        )
        .evidence("published", describe(release))
        .evidence("age (seconds)", age.to_string())
        .evidence("minimum age (seconds)", min_age_seconds.to_string())
        .evidence("checked at", cx.now.to_string()),
    )
}

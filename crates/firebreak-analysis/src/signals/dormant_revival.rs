//! `dormant-revival`: the first release after a long silence.
//!
//! Abandoned packages are what account takeovers and "maintainer handovers" target:
//! event-stream had not been released for over two years before flatmap-stream was
//! added; ctx (PyPI) came back after eight years with a credential stealer.

use firebreak_core::{Category, Finding, Severity, Signal};

use super::{ReleaseAnalyzer, ReleaseContext, describe, previous_in_time};

/// The first release after a long silence.
pub static DORMANT_REVIVAL: Signal = Signal {
    id: "dormant-revival",
    title: "first release after a long silence",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "the package had no release for a long time before this one; a revived package is often one whose \
           maintainer account or name was taken over. Check who published it and what changed",
};

static SIGNALS: &[&Signal] = &[&DORMANT_REVIVAL];

/// Fires when the gap between this release and the latest release published before it
/// (any line) is at least `SignalSettings::dormant_days`. Needs both publish times.
///
/// Weight: medium.
#[derive(Debug, Clone, Copy)]
pub struct DormantRevival;

impl ReleaseAnalyzer for DormantRevival {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let Some(published) = cx.release.published else { return };
        let Some(previous) = previous_in_time(cx) else { return };
        let Some(before) = previous.published else { return };
        let days = before.days_until(published);
        if days < cx.settings.dormant_days {
            return;
        }
        out.push(
            Finding::new(
                &DORMANT_REVIVAL,
                format!(
                    "{} is the first release in {days} days (since {})",
                    cx.release.version, previous.version
                ),
            )
            .evidence("previous release", describe(previous))
            .evidence("this release", describe(cx.release))
            .evidence("gap (days)", days.to_string())
            .evidence("threshold (days)", cx.settings.dormant_days.to_string()),
        );
    }
}

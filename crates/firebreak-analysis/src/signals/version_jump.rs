//! `version-jump`: a version far above everything published before it.
//!
//! Dependency-confusion packages are published as `99.0.0`, `9999.1.1` or the like so
//! that a resolver prefers them over the internal package of the same name (Alex Birsan's
//! 2021 research, and the PyTorch `torchtriton` compromise of December 2022).

use firebreak_core::{Category, Finding, Severity, Signal};

use super::{ReleaseAnalyzer, ReleaseContext, describe, earlier_in_time, numbers};

/// A version far above the previous maximum.
pub static VERSION_JUMP: Signal = Signal {
    id: "version-jump",
    title: "version far above every earlier release",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "the major version jumped far past every earlier release, or the package starts at a very high \
           version; dependency-confusion packages do this so resolvers prefer them. Check that this is the \
           package you meant (and not a public copy of an internal name)",
};

static SIGNALS: &[&Signal] = &[&VERSION_JUMP];

/// A major version more than this above the previous maximum is a jump.
pub const MAJOR_JUMP: u64 = 5;
/// A package whose first release has at least this major version starts suspiciously high.
pub const FIRST_MAJOR: u64 = 99;

/// Compares the release's major version with the highest major published before it.
///
/// Weights: medium; low when the new major looks like a calendar year (a project moving
/// to calendar versioning, `2024.1`).
#[derive(Debug, Clone, Copy)]
pub struct VersionJump;

fn calendar_like(major: u64) -> bool {
    (1990..=2100).contains(&major)
}

impl ReleaseAnalyzer for VersionJump {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let Some(version) = &cx.release.parsed else { return };
        let [major, _, _] = numbers(version);
        let earlier = earlier_in_time(cx);
        let highest = earlier.iter().filter_map(|r| r.parsed.as_ref().map(|v| (numbers(v)[0], *r))).fold(
            None,
            |best: Option<(u64, &firebreak_registry::Release)>, (m, r)| match best {
                Some((b, _)) if b >= m => best,
                _ => Some((m, r)),
            },
        );
        let severity = if calendar_like(major) { Severity::Low } else { Severity::Medium };
        match highest {
            None if earlier.is_empty() && major >= FIRST_MAJOR => out.push(
                Finding::new(
                    &VERSION_JUMP,
                    format!(
                        "the first release of the package is {}, a very high version",
                        cx.release.version
                    ),
                )
                .severity(severity)
                .evidence("this release", describe(cx.release))
                .evidence("threshold (major)", FIRST_MAJOR.to_string()),
            ),
            Some((before, previous)) if major > before.saturating_add(MAJOR_JUMP) => out.push(
                Finding::new(
                    &VERSION_JUMP,
                    format!(
                        "{} jumps {} major versions past the highest earlier release {}",
                        cx.release.version,
                        major - before,
                        previous.version
                    ),
                )
                .severity(severity)
                .evidence("highest before", describe(previous))
                .evidence("this release", describe(cx.release))
                .evidence("major jump", (major - before).to_string()),
            ),
            _ => {}
        }
    }
}

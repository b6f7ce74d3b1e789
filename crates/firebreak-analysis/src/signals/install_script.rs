//! `install-script-added` and `install-script-changed`: install-time hooks compared with
//! the previous release in version order.
//!
//! An install hook runs with the installing user's rights before anyone looks at the
//! code: plain-crypto-js 4.2.1 added the `postinstall` that dropped the axios payload;
//! ua-parser-js 0.7.29 and the Shai-Hulud worm used `preinstall`.

use std::collections::BTreeSet;

use firebreak_core::{Category, Finding, Severity, Signal};

use super::{ReleaseAnalyzer, ReleaseContext, describe, previous_in_version_order};

/// An install hook the previous release did not have.
pub static INSTALL_SCRIPT_ADDED: Signal = Signal {
    id: "install-script-added",
    title: "install script added",
    severity: Severity::High,
    category: Category::Signal,
    help: "this release runs a command at install time that the previous release did not; most malicious \
           packages run their payload this way. Read the script before installing, install with scripts \
           disabled, or allow the package in `install_scripts.allow` when the hook is expected (native \
           builds such as esbuild or sharp)",
};

/// An install hook whose command changed.
pub static INSTALL_SCRIPT_CHANGED: Signal = Signal {
    id: "install-script-changed",
    title: "install script changed",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "an install-time command differs from the previous release's; read what it runs now",
};

static SIGNALS: &[&Signal] = &[&INSTALL_SCRIPT_ADDED, &INSTALL_SCRIPT_CHANGED];

/// Compares `Release::install_scripts` with the previous release in version order (any
/// line: a hook is as dangerous on an old line as on the newest). The first release of a
/// package has nothing to compare with and raises nothing.
///
/// Weights: added high, changed medium.
#[derive(Debug, Clone, Copy)]
pub struct InstallScript;

impl ReleaseAnalyzer for InstallScript {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let release = cx.release;
        if release.install_scripts.is_empty() {
            return;
        }
        let Some(previous) = previous_in_version_order(cx) else { return };
        let added: BTreeSet<&String> =
            release.install_scripts.keys().filter(|k| !previous.install_scripts.contains_key(*k)).collect();
        if !added.is_empty() {
            let hooks: Vec<&str> = added.iter().map(|h| h.as_str()).collect();
            let mut finding = Finding::new(
                &INSTALL_SCRIPT_ADDED,
                format!(
                    "{} added the install script{} `{}` that {} did not have",
                    release.version,
                    if hooks.len() == 1 { "" } else { "s" },
                    hooks.join("`, `"),
                    previous.version
                ),
            );
            for hook in &added {
                let command = release.install_scripts.get(*hook).map_or("", String::as_str);
                finding =
                    finding.evidence(format!("{hook} now"), format!("{command} in {}", describe(release)));
            }
            let before = if previous.install_scripts.is_empty() {
                "none".to_owned()
            } else {
                previous.install_scripts.keys().cloned().collect::<Vec<_>>().join(", ")
            };
            out.push(finding.evidence("hooks before", format!("{before} in {}", describe(previous))));
        }
        for (hook, command) in &release.install_scripts {
            let Some(old) = previous.install_scripts.get(hook) else { continue };
            if old.trim() == command.trim() {
                continue;
            }
            out.push(
                Finding::new(
                    &INSTALL_SCRIPT_CHANGED,
                    format!("{} changed its `{hook}` script since {}", release.version, previous.version),
                )
                .evidence(format!("{hook} before"), format!("{old} in {}", describe(previous)))
                .evidence(format!("{hook} now"), format!("{command} in {}", describe(release))),
            );
        }
    }
}

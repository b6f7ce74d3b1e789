//! `package-not-found`: the registry has no such package or version. Raised by the runner
//! from the registry's answer (a 404, or a document that lists no such version), not by an
//! analyzer: there is no release to analyse.

use firebreak_core::{Category, Severity, Signal};

/// A lockfile entry (or a `check` argument) the registry does not have: unpublished or
/// removed, which is how a removed malicious release looks.
pub static PACKAGE_NOT_FOUND: Signal = Signal {
    id: "package-not-found",
    title: "the registry has no such package or version",
    severity: Severity::High,
    category: Category::Signal,
    help: "the registry answers that this package, or this version of it, does not exist: it was \
           unpublished or removed (registries remove malicious releases), or the lockfile points at a \
           private package the configured registry does not serve. Check why before installing",
};

pub(super) static SIGNALS: &[&Signal] = &[&PACKAGE_NOT_FOUND];

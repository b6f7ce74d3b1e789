//! `firebreak.toml`: what a team accepts and what fails its build.
//!
//! Parsing keeps spans so every problem is reported with its line, column and a
//! suggestion, all at once ([`parse`]). Evaluation turns findings into [`Decision`]s
//! ([`Policy::evaluate`]). Pure: no I/O, and the caller passes today's date.
#![warn(missing_docs)]

mod error;
mod evaluate;
mod model;
mod parse;
mod proxy;
mod registry;

pub use error::{PolicyError, Problem};
pub use evaluate::{Decision, Evaluation, PUBLISH_TIME_MISSING, RELEASE_TOO_YOUNG, Reason};
pub use model::{
    Action, DEFAULT_HOSTS, Date, DevMode, HYGIENE_CHECKS, Hygiene, Ignore, Op, PackageSpec, Policy,
    VersionRange,
};
pub use parse::{parse, parse_checked};
pub use proxy::{AllowEntry, Fallback, ON_UNAVAILABLE_RULES, OnUnavailable, ProxyPolicy};
pub use registry::{
    AgeRule, Exemption, INSTALL_SCRIPT_SIGNALS, MissingTime, RegistryPolicy, ReleaseFacts,
    SUSPICIOUS_SIGNALS, SignalSetting, SignalSettings, format_duration, parse_duration,
};

/// The file `firebreak init` writes: every key, commented, at its default.
pub const DEFAULT_POLICY: &str = include_str!("default.toml");

/// The file name looked for at the root of a scan.
pub const FILE_NAME: &str = "firebreak.toml";

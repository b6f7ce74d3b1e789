//! firebreak's network services.
//!
//! - [`registry_signals`]: the registry-signal runner `scan` and `check` use, and the
//!   per-release functions the proxy decides with, so that a release is judged the same
//!   way in CI and at the registry gate.
//! - [`decide`]: one package document's releases through advisories, registry signals,
//!   the release-age rule and the policy, into allow/block decisions with the rule.
//!
//! Libraries never print.

pub mod decide;
pub mod registry_signals;
pub mod verdict_cache;

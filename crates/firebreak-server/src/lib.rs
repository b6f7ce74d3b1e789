//! firebreak's network services.
//!
//! - [`registry_signals`]: the registry-signal runner `scan` and `check` use, and the
//!   per-release functions the proxy decides with, so that a release is judged the same
//!   way in CI and at the registry gate.
//! - [`decide`]: one package document's releases through advisories, registry signals,
//!   the release-age rule and the policy, into allow/block decisions with the rule.
//! - [`proxy`]: `firebreak proxy`, the policy-enforcing registry proxy (axum on hyper).
//!
//! Libraries never print: the proxy reports through a log sink its caller provides.

pub mod decide;
pub mod proxy;
pub mod registry_signals;
pub mod verdict_cache;

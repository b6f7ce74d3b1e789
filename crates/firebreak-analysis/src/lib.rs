//! Analyzers: each turns what firebreak knows about packages into [`Finding`]s.
//!
//! Today this holds advisory matching ([`advisories`]), the lockfile-hygiene checks
//! ([`hygiene`]) and the registry signals ([`signals`]: one release compared with its
//! package's history). Content analyzers join here with their own inputs.
//! No network and no clock; advisory matching reads only the database it is given.
#![warn(missing_docs)]

pub mod advisories;
pub mod hygiene;
pub mod signals;

use firebreak_core::{Finding, Inventory, Signal};

/// An analyzer that needs only the inventory.
pub trait InventoryAnalyzer: Send + Sync {
    /// The signals it can raise.
    fn signals(&self) -> &'static [&'static Signal];
    /// Appends its findings about `inventory` to `out`.
    fn analyze(&self, inventory: &Inventory, out: &mut Vec<Finding>);
}

/// Every signal any analyzer here can raise, for reporters' rule lists.
pub fn all_signals() -> Vec<&'static Signal> {
    let mut out: Vec<&'static Signal> = advisories::SIGNALS.iter().chain(hygiene::SIGNALS).copied().collect();
    out.extend(signals::signals());
    out.extend(firebreak_content::signals::SIGNALS);
    out
}

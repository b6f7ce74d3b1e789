//! Advisory matching for `scan`. Wired to the advisory database once it lands; until
//! then no advisory findings are produced and the report says there is no database.

use camino::Utf8Path;
use firebreak_core::{Finding, Inventory};
use firebreak_policy::Date;
use firebreak_report::DatabaseInfo;

/// The signals advisory matching raises.
pub(super) const SIGNAL_IDS: [&str; 2] = ["known-malicious", "known-vulnerability"];

pub(super) fn findings(
    _db: Option<&Utf8Path>,
    _inventory: &Inventory,
    _today: Date,
    _out: &mut Vec<Finding>,
) -> miette::Result<DatabaseInfo> {
    Ok(DatabaseInfo { name: "none".to_owned(), records: 0, updated: None, age_days: None, stale: true })
}

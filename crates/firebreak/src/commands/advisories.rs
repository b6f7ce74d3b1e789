//! The advisory database `scan` and `db` use: the file written by `firebreak db update`
//! (`--db`, `FIREBREAK_DB`, or the data directory), else the snapshot built into the binary.

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_advisory::{Database, SNAPSHOT_SOURCE, Status, Timestamp};
use firebreak_report::DatabaseInfo;
use miette::{IntoDiagnostic, WrapErr};

/// The signals advisory matching raises.
#[cfg(test)]
pub(super) const SIGNAL_IDS: [&str; 2] = ["known-malicious", "known-vulnerability"];

/// A database older than this many days is reported as stale: malicious releases live for
/// hours, so a week-old database misses most of them.
pub(super) const STALE_AFTER_DAYS: i64 = 7;

/// The default database file: `$XDG_DATA_HOME/firebreak/advisories.sqlite3`, else under
/// `~/.local/share` (`%LOCALAPPDATA%` on Windows, `~/Library/Application Support` on macOS).
pub(super) fn default_path() -> Option<Utf8PathBuf> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty()).map(Utf8PathBuf::from);
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library/Application Support"))
    } else {
        env("XDG_DATA_HOME").or_else(|| env("HOME").map(|h| h.join(".local/share")))
    };
    base.map(|b| b.join("firebreak").join("advisories.sqlite3"))
}

/// The database to read, and what to call it in reports.
pub(super) struct Opened {
    pub(super) db: Database,
    pub(super) name: String,
    pub(super) embedded: bool,
}

/// Opens `--db`, else the default file when it exists, else the embedded snapshot.
pub(super) fn open(explicit: Option<&Utf8Path>) -> miette::Result<Opened> {
    let path = match explicit {
        Some(path) => {
            if !path.is_file() {
                return Err(miette::miette!(
                    help = format!("create it with `firebreak db update --db {path} --source <osv export>`"),
                    "no advisory database at `{path}`"
                ));
            }
            Some(path.to_owned())
        }
        None => default_path().filter(|p| p.is_file()),
    };
    match path {
        Some(path) => {
            let db = Database::open(path.as_std_path())
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot open the advisory database `{path}`"))?;
            Ok(Opened { db, name: path.to_string(), embedded: false })
        }
        None => {
            let db = Database::from_default_snapshot()
                .into_diagnostic()
                .wrap_err("cannot load the embedded advisory snapshot")?;
            Ok(Opened { db, name: "embedded snapshot".to_owned(), embedded: true })
        }
    }
}

/// Describes `opened` for reports: record count, how current, and whether stale. Reads
/// only the indexes ([`Database::summary`]).
pub(super) fn info(opened: &Opened, now: Timestamp) -> miette::Result<DatabaseInfo> {
    let status = opened.db.summary().into_diagnostic().wrap_err("cannot read the advisory database")?;
    Ok(describe(opened, &status, now))
}

/// [`info`] from a status already read (`db status` reads the full one anyway).
pub(super) fn describe(opened: &Opened, status: &Status, now: Timestamp) -> DatabaseInfo {
    // An embedded snapshot is as current as its newest record; a downloaded database as
    // its last successful update.
    let updated = if opened.embedded {
        status.newest_modified
    } else {
        status
            .sources
            .iter()
            .filter(|s| s.name != SNAPSHOT_SOURCE)
            .filter_map(|s| s.fetched_at)
            .max()
            .or(status.newest_modified)
    };
    let age = updated.map(|u| u.days_until(now).max(0));
    DatabaseInfo {
        name: opened.name.clone(),
        records: usize::try_from(status.advisories - status.withdrawn).unwrap_or(usize::MAX),
        updated: updated.map(|u| u.to_string().chars().take(10).collect()),
        age_days: age.map(|a| u32::try_from(a).unwrap_or(u32::MAX)),
        stale: age.is_none_or(|a| a > STALE_AFTER_DAYS),
    }
}

/// Opens the database, matches `inventory` against it and appends the findings; the
/// database stays open for later lookups (the cooldown's security fast path).
pub(super) fn findings(
    explicit: Option<&Utf8Path>,
    inventory: &firebreak_core::Inventory,
    now: Timestamp,
    out: &mut Vec<firebreak_core::Finding>,
) -> miette::Result<(Opened, DatabaseInfo)> {
    let opened = open(explicit)?;
    firebreak_analysis::advisories::analyze(&opened.db, inventory, out)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot match packages against `{}`", opened.name))?;
    let info = info(&opened, now)?;
    Ok((opened, info))
}

/// Whether `version` fixes a vulnerability that affects `previous` (the security fast path
/// of the cooldown). A database error counts as "no": the cooldown then applies.
pub(super) fn fixes(
    db: &Database,
    ecosystem: firebreak_core::Ecosystem,
    name: &str,
    previous: &str,
    version: &str,
) -> bool {
    firebreak_server::decide::fixes(db, ecosystem, name, previous, version)
}

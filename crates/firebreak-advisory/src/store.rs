//! The advisory store: one SQLite file (or memory) holding raw OSV records (deflated), an
//! index from (ecosystem, normalised package name) to record ids that carries each record's
//! versions and ranges for that name (so that a scan parses only the records that affect a
//! version), and where the records came from.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Read};
use std::path::Path;

use firebreak_core::{Ecosystem, Inventory, PackageId, PackageSource, normalize_name};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Timestamp;
use crate::error::{ImportError, RecordError, StoreError, ZipError};
use crate::index::{self, EntryRanges};
use crate::matching::{Hit, Judged, Match, entries_affect, merge_hits, osv_ecosystem, parse_version};
use crate::osv::{Brief, Kind, Record};

/// The schema this build writes (`PRAGMA user_version`). Version 2 added the compact
/// matching data to the name index; a version 1 file is migrated when opened.
const SCHEMA_VERSION: i64 = 2;

/// Largest single OSV file read from a directory; the biggest real records are a few MiB.
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Bytes of the file read through a memory map (`PRAGMA mmap_size`).
const MMAP_SIZE: u64 = 2 * 1024 * 1024 * 1024;

/// Most threads used; the writer of an import is one more.
const MAX_WORKERS: usize = 8;

/// Results per import worker waiting for the writer: each holds one compressed record.
const IN_FLIGHT: usize = 8;

/// Items below which a scan step is not worth a thread.
const MIN_PER_WORKER: usize = 64;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sources (
    name          TEXT PRIMARY KEY,
    location      TEXT NOT NULL,
    fetched_at    TEXT,
    etag          TEXT,
    last_modified TEXT,
    record_count  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS advisories (
    id                TEXT PRIMARY KEY,
    modified          TEXT NOT NULL,
    modified_seconds  INTEGER NOT NULL,
    modified_nanos    INTEGER NOT NULL,
    withdrawn         INTEGER NOT NULL,
    kind              TEXT NOT NULL,
    source            TEXT NOT NULL,
    -- The record's file, unchanged, raw-deflate compressed (RFC 1951).
    raw_deflate       BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS affected_packages (
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    -- The record's `withdrawn`, so that a scan reads nothing but this table to choose.
    withdrawn   INTEGER NOT NULL,
    -- The versions and ranges of the record's entries for this package (crate::index): a
    -- scan decides from them which records affect a version and reads only those.
    matching    BLOB NOT NULL,
    PRIMARY KEY (ecosystem, name, advisory_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_packages_by_advisory ON affected_packages(advisory_id);
CREATE INDEX IF NOT EXISTS advisories_by_modified ON advisories(modified_seconds, modified_nanos);
CREATE INDEX IF NOT EXISTS advisories_withdrawn ON advisories(id) WHERE withdrawn != 0;
";

/// Where a batch of records came from. The caller fills in what it knows (download time,
/// HTTP validators); this crate reads no clock and makes no request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceInfo {
    /// A stable name (`osv-npm`, `default-snapshot`, a directory path).
    pub name: String,
    /// URL or path it was read from.
    pub location: String,
    /// When it was fetched.
    pub fetched_at: Option<Timestamp>,
    /// HTTP `ETag` of the download.
    pub etag: Option<String>,
    /// HTTP `Last-Modified` of the download.
    pub last_modified: Option<String>,
    /// Records currently stored from this source (filled in by the store).
    pub record_count: u64,
}

impl SourceInfo {
    /// A source with only a name and a location.
    pub fn new(name: impl Into<String>, location: impl Into<String>) -> SourceInfo {
        SourceInfo { name: name.into(), location: location.into(), ..SourceInfo::default() }
    }
}

/// Bounds on a zip archive, checked on the bytes actually inflated (headers can lie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// Most entries.
    pub max_entries: usize,
    /// Most bytes one entry may inflate to.
    pub max_entry_size: u64,
    /// Most bytes all entries together may inflate to.
    pub max_total_size: u64,
    /// Highest inflated/compressed ratio of an entry, checked once it passes `ratio_floor`.
    pub max_ratio: u64,
    /// Entries smaller than this are not ratio-checked (tiny files compress oddly).
    pub ratio_floor: u64,
}

impl Default for ZipLimits {
    /// Sized for osv.dev's per-ecosystem `all.zip` (npm: a few hundred thousand records,
    /// a few GiB inflated): 2M entries, 32 MiB per entry, 8 GiB in all, ratio 100 above 1 MiB.
    /// OSV JSON compresses about 5-15x; a ratio of 100 is a bomb.
    fn default() -> Self {
        ZipLimits {
            max_entries: 2_000_000,
            max_entry_size: 32 * 1024 * 1024,
            max_total_size: 8 * 1024 * 1024 * 1024,
            max_ratio: 100,
            ratio_floor: 1024 * 1024,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportReport {
    /// JSON files (or zip entries) read.
    pub files: u64,
    /// Records stored for the first time.
    pub inserted: u64,
    /// Records that replaced an older `modified`.
    pub updated: u64,
    /// Records skipped because the store already had the same or a newer `modified`.
    pub unchanged: u64,
    /// Records among the stored ones that are withdrawn (kept, never matched).
    pub withdrawn: u64,
    /// Files that could not be imported; the import went on without them.
    pub errors: Vec<ImportError>,
}

/// Advisory counts for one ecosystem and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindCount {
    /// The OSV ecosystem (base name, `Debian` for `Debian:12`).
    pub ecosystem: String,
    /// Malicious or vulnerability.
    pub kind: Kind,
    /// Records (not withdrawn) that name at least one package of that ecosystem.
    pub count: u64,
}

/// What is in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Every source, by name.
    pub sources: Vec<SourceInfo>,
    /// Stored records, withdrawn included.
    pub advisories: u64,
    /// Withdrawn records among them.
    pub withdrawn: u64,
    /// Counts per ecosystem and kind, ordered by ecosystem then kind.
    pub counts: Vec<KindCount>,
    /// The newest `modified` of any stored record: how current the data is.
    pub newest_modified: Option<Timestamp>,
    /// The latest `fetched_at` of any source.
    pub last_fetched: Option<Timestamp>,
}

/// The matches of one inventory package.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PackageMatch {
    /// The package in the inventory.
    pub package: PackageId,
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Its name as the inventory wrote it.
    pub name: String,
    /// Its version.
    pub version: String,
    /// What affects it, deduplicated, malware first.
    pub matches: Vec<Match>,
}

/// The advisory database.
#[derive(Debug)]
pub struct Database {
    conn: Connection,
}

impl Database {
    /// Opens (creating if needed) a database file.
    pub fn open(path: &Path) -> Result<Database, StoreError> {
        Database::init(Connection::open(path)?)
    }

    /// A database that lives in memory only.
    pub fn open_in_memory() -> Result<Database, StoreError> {
        Database::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Database, StoreError> {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::SchemaVersion { found: version, supported: SCHEMA_VERSION });
        }
        // Reads through a memory map: a scan's thousands of index lookups then copy no pages
        // and make no system calls. SQLite caps the size at what the platform allows.
        conn.execute_batch(&format!("PRAGMA foreign_keys = ON; PRAGMA mmap_size = {MMAP_SIZE};"))?;
        if version == 1 {
            migrate_v1(&mut conn)?;
        }
        // A current file is only read here: setting `user_version` is a write transaction
        // (a journal and an fsync) that every scan would pay for.
        if version < SCHEMA_VERSION {
            conn.execute_batch(SCHEMA)?;
            conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))?;
        }
        Ok(Database { conn })
    }

    /// Imports every `*.json` file under `path`, recursively (the layouts of
    /// ossf/malicious-packages `osv/malicious/<ecosystem>/<name>/MAL-*.json` and of
    /// github/advisory-database `advisories/github-reviewed/YYYY/MM/GHSA-*/GHSA-*.json` both
    /// work). Symbolic links are not followed. The source is named after the path.
    pub fn import_dir(&mut self, path: &Path) -> Result<ImportReport, StoreError> {
        let display = path.display().to_string();
        self.import_dir_from(&SourceInfo::new(display.clone(), display), path)
    }

    /// [`Database::import_dir`] recording `source` as the origin.
    pub fn import_dir_from(&mut self, source: &SourceInfo, path: &Path) -> Result<ImportReport, StoreError> {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        collect_json_files(path, &mut files, &mut errors)?;
        files.sort();
        let mut report = ImportReport { errors, ..ImportReport::default() };
        let read = |(): &mut (), i: usize| {
            let Some(file) = files.get(i) else { return Prepared::Skip };
            let name = file.strip_prefix(path).unwrap_or(file).display().to_string();
            match read_bounded(file) {
                Ok(bytes) => prepare(&name, &bytes, None),
                Err(message) => Prepared::Failed(ImportError { file: name, json_path: None, message }),
            }
        };
        self.with_importer(source, &mut report, |importer, report| {
            parallel_ordered(files.len(), || (), read, |prepared| importer.add(prepared, report))
        })?;
        Ok(report)
    }

    /// Imports an osv.dev per-ecosystem `all.zip`, with the default [`ZipLimits`].
    pub fn import_zip(&mut self, bytes: &[u8]) -> Result<ImportReport, StoreError> {
        self.import_zip_from(&SourceInfo::new("osv-zip", "all.zip"), bytes, &ZipLimits::default())
    }

    /// Imports a zip of OSV JSON files. An archive that breaks a limit is refused whole
    /// ([`StoreError::Zip`]) and nothing from it is stored. Entry names are only shown in
    /// messages, never used as paths; entries that are not `*.json` files are skipped.
    pub fn import_zip_from(
        &mut self,
        source: &SourceInfo,
        bytes: &[u8],
        limits: &ZipLimits,
    ) -> Result<ImportReport, StoreError> {
        let archive =
            zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ZipError::Unreadable(e.to_string()))?;
        if archive.len() > limits.max_entries {
            return Err(ZipError::TooManyEntries { found: archive.len(), limit: limits.max_entries }.into());
        }
        let mut report = ImportReport::default();
        // Each worker inflates and parses its own entries through its own handle on the
        // archive; this thread stores them in entry order and keeps the running total.
        let read = |archive: &mut zip::ZipArchive<Cursor<&[u8]>>, i: usize| {
            read_zip_entry(archive, i, limits)
                .map(|entry| entry.map(|e| (e.data.len() as u64, prepare(&e.name, &e.data, e.deflated))))
        };
        self.with_importer(source, &mut report, |importer, report| {
            let mut total: u64 = 0;
            parallel_ordered(
                archive.len(),
                || archive.clone(),
                read,
                |entry| {
                    let Some((size, prepared)) = entry? else { return Ok(()) };
                    total = total.saturating_add(size);
                    if total > limits.max_total_size {
                        return Err(ZipError::TotalTooLarge { limit: limits.max_total_size }.into());
                    }
                    importer.add(prepared, report)
                },
            )
        })?;
        Ok(report)
    }

    /// Imports records given as (name, bytes) pairs, e.g. the embedded snapshot.
    pub fn import_files<'a>(
        &mut self,
        source: &SourceInfo,
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<ImportReport, StoreError> {
        let files: Vec<(&str, &[u8])> = files.into_iter().collect();
        let mut report = ImportReport::default();
        let read = |(): &mut (), i: usize| match files.get(i) {
            Some((name, bytes)) => prepare(name, bytes, None),
            None => Prepared::Skip,
        };
        self.with_importer(source, &mut report, |importer, report| {
            parallel_ordered(files.len(), || (), read, |prepared| importer.add(prepared, report))
        })?;
        Ok(report)
    }

    /// Runs `feed` in one transaction; an error from it rolls everything back.
    fn with_importer(
        &mut self,
        source: &SourceInfo,
        report: &mut ImportReport,
        feed: impl FnOnce(&mut Importer<'_>, &mut ImportReport) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // 64 MiB of page cache for the import only (the default is 2 MiB): it inserts into the
        // id and name indexes in random order, and with a small cache every insert evicts and
        // re-reads pages. A scan reads each page about once, so there a big cache only adds
        // page faults; the default comes back after the import.
        // No memory map while the file grows: SQLite would remap it as it extends, and an
        // import reads back little that it did not just write.
        self.conn.execute_batch("PRAGMA cache_size = -65536; PRAGMA mmap_size = 0;")?;
        let result = self.import_transaction(source, report, feed);
        self.conn.execute_batch(&format!("PRAGMA cache_size = -2000; PRAGMA mmap_size = {MMAP_SIZE};"))?;
        result
    }

    fn import_transaction(
        &mut self,
        source: &SourceInfo,
        report: &mut ImportReport,
        feed: impl FnOnce(&mut Importer<'_>, &mut ImportReport) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut importer = Importer {
                existing: tx.prepare("SELECT modified_seconds, modified_nanos FROM advisories WHERE id = ?1")?,
                upsert: tx.prepare(
                    "INSERT INTO advisories (id, modified, modified_seconds, modified_nanos, withdrawn, kind, source,
                       raw_deflate)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT(id) DO UPDATE SET modified = excluded.modified,
                       modified_seconds = excluded.modified_seconds, modified_nanos = excluded.modified_nanos,
                       withdrawn = excluded.withdrawn, kind = excluded.kind, source = excluded.source,
                       raw_deflate = excluded.raw_deflate",
                )?,
                unindex: tx.prepare("DELETE FROM affected_packages WHERE advisory_id = ?1")?,
                index: tx.prepare(INSERT_INDEX_ROW)?,
                source: &source.name,
            };
            feed(&mut importer, report)?;
        }
        upsert_source(&tx, source)?;
        tx.commit()?;
        Ok(())
    }

    /// Records or replaces what is known about a source (download time, validators).
    /// The record count is recomputed from the store.
    pub fn record_source(&mut self, source: &SourceInfo) -> Result<(), StoreError> {
        upsert_source(&self.conn, source)
    }

    /// What the store holds.
    pub fn status(&self) -> Result<Status, StoreError> {
        let mut status = self.summary()?;
        let mut stmt = self.conn.prepare(
            "SELECT p.ecosystem, a.kind, COUNT(DISTINCT a.id) FROM affected_packages p
             JOIN advisories a ON a.id = p.advisory_id WHERE a.withdrawn = 0
             GROUP BY p.ecosystem, a.kind ORDER BY p.ecosystem, a.kind",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (ecosystem, kind, count) = row?;
            if let Some(kind) = Kind::parse(&kind) {
                status.counts.push(KindCount { ecosystem, kind, count: u64::try_from(count).unwrap_or(0) });
            }
        }
        Ok(status)
    }

    /// [`Database::status`] without the per-ecosystem counts (left empty), which read every
    /// record: what a scan needs to describe the database, from the indexes only.
    pub fn summary(&self) -> Result<Status, StoreError> {
        let mut sources = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT name, location, fetched_at, etag, last_modified, record_count FROM sources ORDER BY name",
        )?;
        let rows = stmt.query_map([], |row| {
            let fetched: Option<String> = row.get(2)?;
            Ok(SourceInfo {
                name: row.get(0)?,
                location: row.get(1)?,
                fetched_at: fetched.and_then(|f| Timestamp::parse(&f).ok()),
                etag: row.get(3)?,
                last_modified: row.get(4)?,
                record_count: u64::try_from(row.get::<_, i64>(5)?).unwrap_or(0),
            })
        })?;
        for row in rows {
            sources.push(row?);
        }
        // Both counts come from indexes (the partial one holds only withdrawn records): a
        // SUM over the table would read every stored record.
        let advisories: i64 = self.conn.query_row("SELECT COUNT(*) FROM advisories", [], |row| row.get(0))?;
        let withdrawn: i64 =
            self.conn
                .query_row("SELECT COUNT(*) FROM advisories WHERE withdrawn != 0", [], |row| row.get(0))?;
        let newest: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT modified_seconds, modified_nanos FROM advisories
                 ORDER BY modified_seconds DESC, modified_nanos DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let newest_modified = newest.and_then(|(s, n)| Timestamp::from_unix(s, u32::try_from(n).ok()?));
        let last_fetched = sources.iter().filter_map(|s| s.fetched_at).max();
        Ok(Status {
            sources,
            advisories: u64::try_from(advisories).unwrap_or(0),
            withdrawn: u64::try_from(withdrawn).unwrap_or(0),
            counts: Vec::new(),
            newest_modified,
            last_fetched,
        })
    }

    /// The stored record with this id, withdrawn or not.
    pub fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        match self.raw(id)? {
            Some(raw) => Ok(Some(Record::from_slice(id, &raw)?)),
            None => Ok(None),
        }
    }

    /// The stored file of this record exactly as it was imported (for showing or exporting).
    pub fn raw(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let raw: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT raw_deflate FROM advisories WHERE id = ?1", params![id], |row| row.get(0))
            .optional()?;
        raw.map(|r| decompress(id, &r)).transpose()
    }

    /// The records (not withdrawn) that name this package, whatever the version.
    pub fn records_for(&self, ecosystem: Ecosystem, name: &str) -> Result<Vec<Record>, StoreError> {
        let _read = self.conn.unchecked_transaction()?;
        let candidates = self.candidates(ecosystem, &normalize_name(ecosystem, name))?;
        let mut records = Vec::with_capacity(candidates.len());
        for (id, _) in &candidates {
            if let Some((raw, _)) = self.compressed(id)? {
                records.push(Record::from_slice(id, &decompress(id, &raw)?)?);
            }
        }
        Ok(records)
    }

    /// What affects `name@version` in `ecosystem`, merged by alias, malware first.
    pub fn query(&self, ecosystem: Ecosystem, name: &str, version: &str) -> Result<Vec<Match>, StoreError> {
        let _read = self.conn.unchecked_transaction()?;
        let candidates = self.candidates(ecosystem, &normalize_name(ecosystem, name))?;
        let judged = judge(&candidates, ecosystem, version)?;
        let briefs = self.briefs(judged.iter().map(|(id, _, _)| *id))?;
        Ok(merge_hits(
            judged.iter().filter_map(|(id, entries, hit)| judged_of(&briefs, id, entries, hit)),
            ecosystem,
        ))
    }

    /// Matches every package of an inventory, reading each distinct (ecosystem, name) once.
    /// Only packages with at least one match are returned, in inventory order.
    ///
    /// Packages from a local path (workspace members, `file:` dependencies) are skipped: they
    /// were never downloaded from the registry that advisories are about, and a local package
    /// that happens to share a registry name and version must not be reported as malware.
    ///
    /// The index rows decide which records affect each version, with the reason and the fix;
    /// only those records are read, inflated and parsed, once each however many packages
    /// they affect, and only for what a finding shows (a record's brief). The pure steps run on all
    /// cores; SQLite is read from this thread only.
    pub fn match_inventory(&self, inventory: &Inventory) -> Result<Vec<PackageMatch>, StoreError> {
        // One read transaction for the thousands of lookups: outside one, SQLite takes and
        // drops its file lock and looks for a hot journal around every statement.
        let _read = self.conn.unchecked_transaction()?;
        // 1. The index rows of every distinct name, read in key order: neighbouring lookups
        //    share B-tree pages.
        let mut wanted: Vec<(usize, &firebreak_core::Package, (Ecosystem, String))> = Vec::new();
        for (i, package) in inventory.packages.iter().enumerate() {
            if matches!(package.source, PackageSource::Path { .. }) {
                continue;
            }
            wanted.push((i, package, (package.ecosystem, normalize_name(package.ecosystem, &package.name))));
        }
        let mut keys: Vec<(&str, &(Ecosystem, String))> =
            wanted.iter().map(|(_, _, key)| (key.0.as_str(), key)).collect();
        keys.sort_unstable_by(|a, b| (a.0, &a.1.1).cmp(&(b.0, &b.1.1)));
        keys.dedup_by(|a, b| a.1 == b.1);
        let mut by_name: HashMap<(Ecosystem, String), Candidates> = HashMap::with_capacity(keys.len());
        for (_, key) in keys {
            let candidates = self.candidates(key.0, &key.1)?;
            if !candidates.is_empty() {
                by_name.insert(key.clone(), candidates);
            }
        }
        wanted.retain(|(_, _, key)| by_name.contains_key(key));
        // 2. Which records affect each package's version, from the index rows alone.
        let chosen = parallel_map(&wanted, |(i, package, key)| {
            let candidates = by_name.get(key).map(Vec::as_slice).unwrap_or_default();
            judge(candidates, package.ecosystem, &package.version).map(|judged| (*i, *package, judged))
        });
        let chosen: Vec<(usize, &firebreak_core::Package, Vec<JudgedRow<'_>>)> = chosen
            .into_iter()
            .filter(|r| r.as_ref().map_or(true, |(_, _, judged)| !judged.is_empty()))
            .collect::<Result<_, _>>()?;
        // 3. Those records' briefs.
        let ids: BTreeSet<&str> =
            chosen.iter().flat_map(|(_, _, judged)| judged.iter().map(|(id, _, _)| *id)).collect();
        let briefs = self.briefs(ids)?;
        // 4. Merging by alias, per package.
        let matched = parallel_map(&chosen, |(i, package, judged)| {
            let matches = merge_hits(
                judged.iter().filter_map(|(id, entries, hit)| judged_of(&briefs, id, entries, hit)),
                package.ecosystem,
            );
            (!matches.is_empty()).then(|| PackageMatch {
                package: PackageId(u32::try_from(*i).unwrap_or(u32::MAX)),
                ecosystem: package.ecosystem,
                name: package.name.clone(),
                version: package.version.clone(),
                matches,
            })
        });
        Ok(matched.into_iter().flatten().collect())
    }

    /// The briefs of these records, each read once, inflated and parsed on all cores.
    fn briefs<'i>(
        &self,
        ids: impl IntoIterator<Item = &'i str>,
    ) -> Result<HashMap<&'i str, Brief>, StoreError> {
        let mut compressed = Vec::new();
        for id in ids {
            if let Some(stored) = self.compressed(id)? {
                compressed.push((id, stored));
            }
        }
        let parsed = parallel_map(&compressed, |(id, (raw, kind))| {
            let kind =
                Kind::parse(kind).ok_or_else(|| corrupt(id, format!("unknown record kind `{kind}`")))?;
            decompress(id, raw).and_then(|bytes| Ok(Brief::from_slice(id, &bytes, kind)?))
        });
        let mut briefs = HashMap::with_capacity(parsed.len());
        for ((id, _), brief) in compressed.iter().zip(parsed) {
            briefs.insert(*id, brief?);
        }
        Ok(briefs)
    }

    /// The index rows (record id, compact matching data) of the records, not withdrawn, that
    /// name this package, by id.
    fn candidates(&self, ecosystem: Ecosystem, normalized: &str) -> Result<Candidates, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT advisory_id, matching FROM affected_packages
             WHERE ecosystem = ?1 AND name = ?2 AND withdrawn = 0 ORDER BY advisory_id",
        )?;
        let rows = stmt.query_map(params![ecosystem.as_str(), normalized], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    /// The stored, compressed bytes of one record and its kind.
    fn compressed(&self, id: &str) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT raw_deflate, kind FROM advisories WHERE id = ?1")?;
        Ok(stmt.query_row(params![id], |row| Ok((row.get(0)?, row.get(1)?))).optional()?)
    }
}

/// Index rows of one name: record id and compact matching data ([`crate::index`]).
type Candidates = Vec<(String, Vec<u8>)>;

/// A record that affects a package version: its id, its version data for the package, and
/// the verdict.
type JudgedRow<'c> = (&'c str, Vec<EntryRanges>, Hit);

/// The records, among `candidates`, that affect `version`, with the reason and the fix:
/// exactly what [`crate::affects`] says of each, decided without reading the records.
fn judge<'c>(
    candidates: &'c [(String, Vec<u8>)],
    ecosystem: Ecosystem,
    version: &str,
) -> Result<Vec<JudgedRow<'c>>, StoreError> {
    let parsed = parse_version(ecosystem, version);
    let mut out = Vec::new();
    for (id, matching) in candidates {
        let entries = index::decode(matching).ok_or_else(|| {
            corrupt(id, "the index row's matching data is not in the form this build writes".into())
        })?;
        if let Some(hit) = entries_affect(&entries, ecosystem, version, parsed.as_ref()) {
            out.push((id.as_str(), entries, hit));
        }
    }
    Ok(out)
}

/// A judged row with its brief; `None` when the record is gone (never, inside the read
/// transaction that found it).
fn judged_of<'a>(
    briefs: &'a HashMap<&str, Brief>,
    id: &str,
    entries: &'a [EntryRanges],
    hit: &'a Hit,
) -> Option<Judged<'a>> {
    briefs.get(id).map(|brief| Judged { brief, entries, hit })
}

/// How many threads the pure parts of imports and scans use.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_WORKERS)
}

/// `f` over `items` on all cores, results in `items`' order.
fn parallel_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let workers = workers().min(items.len() / MIN_PER_WORKER).max(1);
    if workers == 1 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(items.len().div_ceil(workers))
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// Runs `work` for `0..count` on worker threads (each with its own state from `init`) and
/// hands the results to `consume` on this thread in index order, so that an import stores
/// records in the order it did one at a time and reports errors in that order. At most
/// [`IN_FLIGHT`] results per worker wait for `consume`, which bounds memory. An error from
/// `consume` stops the workers.
fn parallel_ordered<S, T: Send>(
    count: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) -> T + Sync,
    mut consume: impl FnMut(T) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let workers = workers().min(count).max(1);
    let (init, work) = (&init, &work);
    std::thread::scope(|scope| {
        let mut receivers = Vec::with_capacity(workers);
        for first in 0..workers {
            let (sender, receiver) = std::sync::mpsc::sync_channel(IN_FLIGHT);
            receivers.push(receiver);
            scope.spawn(move || {
                let mut state = init();
                for i in (first..count).step_by(workers) {
                    // The receiver is gone when `consume` failed: stop.
                    if sender.send(work(&mut state, i)).is_err() {
                        return;
                    }
                }
            });
        }
        for i in 0..count {
            // A worker that panicked closes its channel; the scope re-raises its panic.
            let Some(Ok(item)) = receivers.get(i % workers).map(std::sync::mpsc::Receiver::recv) else {
                break;
            };
            consume(item)?;
        }
        Ok(())
    })
}

/// One input made ready for the store on a worker thread: parsed, compressed, indexed.
enum Prepared {
    /// Not a record file (a directory or non-JSON zip entry): not counted.
    Skip,
    /// A file that could not be read or parsed.
    Failed(ImportError),
    /// A record ready to store.
    Record(Box<PreparedRecord>),
}

struct PreparedRecord {
    id: String,
    modified: String,
    seconds: i64,
    nanos: i64,
    withdrawn: bool,
    kind: Kind,
    compressed: Vec<u8>,
    /// (ecosystem, normalised name, compact matching data), one per distinct name.
    index: Vec<(String, String, Vec<u8>)>,
}

/// Parses, indexes and compresses one file; `deflated` is its raw deflate stream when the
/// caller already has it.
fn prepare(name: &str, bytes: &[u8], deflated: Option<Vec<u8>>) -> Prepared {
    let record = match Record::from_slice(name, bytes) {
        Ok(r) => r,
        Err(e) => return Prepared::Failed(e.into()),
    };
    Prepared::Record(Box::new(PreparedRecord {
        modified: record.modified.to_string(),
        seconds: record.modified.unix_seconds(),
        nanos: i64::from(record.modified.subsec_nanos()),
        withdrawn: record.is_withdrawn(),
        kind: record.kind(),
        compressed: deflated.unwrap_or_else(|| compress(bytes)),
        index: index_rows(&record),
        id: record.id,
    }))
}

/// The index rows of a record: one per distinct (ecosystem, normalised name), carrying the
/// record's entries for that name. Names of ecosystems firebreak does not know get a row
/// without entries (they are listed, never matched).
fn index_rows(record: &Record) -> Vec<(String, String, Vec<u8>)> {
    let mut names: BTreeMap<(String, String), Vec<EntryRanges>> = BTreeMap::new();
    for affected in &record.affected {
        let Some(package) = &affected.package else { continue };
        let entries = names.entry(index_name(&package.ecosystem, &package.name)).or_default();
        if osv_ecosystem(&package.ecosystem).is_some() {
            entries.push(EntryRanges::of(affected));
        }
    }
    names.into_iter().map(|((ecosystem, name), entries)| (ecosystem, name, index::encode(&entries))).collect()
}

const INSERT_INDEX_ROW: &str =
    "INSERT OR IGNORE INTO affected_packages (ecosystem, name, advisory_id, withdrawn, matching)
     VALUES (?1, ?2, ?3, ?4, ?5)";

/// Rebuilds the name index of a version 1 file, whose rows had no matching data, from the
/// stored records, in one transaction.
fn migrate_v1(conn: &mut Connection) -> Result<(), StoreError> {
    let has_deflate: bool = conn.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('advisories') WHERE name = 'raw_deflate'",
        [],
        |row| row.get(0),
    )?;
    if !has_deflate {
        return Err(StoreError::Outdated);
    }
    let tx = conn.transaction()?;
    tx.execute_batch("DROP TABLE IF EXISTS affected_packages;")?;
    tx.execute_batch(SCHEMA)?;
    {
        let mut read = tx.prepare("SELECT id, withdrawn, raw_deflate FROM advisories")?;
        let mut insert = tx.prepare(INSERT_INDEX_ROW)?;
        let mut rows = read.query([])?;
        while let Some(row) = rows.next()? {
            let (id, withdrawn, raw): (String, bool, Vec<u8>) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let record = Record::from_slice(&id, &decompress(&id, &raw)?)?;
            for (ecosystem, name, matching) in index_rows(&record) {
                insert.execute(params![ecosystem, name, id, withdrawn, matching])?;
            }
        }
    }
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))?;
    tx.commit()?;
    Ok(())
}

/// Prepared statements of one import transaction.
struct Importer<'t> {
    existing: rusqlite::Statement<'t>,
    upsert: rusqlite::Statement<'t>,
    unindex: rusqlite::Statement<'t>,
    index: rusqlite::Statement<'t>,
    source: &'t str,
}

impl Importer<'_> {
    /// Stores one file's record unless the store has the same or a newer `modified`. A file
    /// that does not parse is recorded in the report; only database failures stop the import.
    fn add(&mut self, prepared: Prepared, report: &mut ImportReport) -> Result<(), StoreError> {
        let record = match prepared {
            Prepared::Skip => return Ok(()),
            Prepared::Failed(e) => {
                report.files += 1;
                report.errors.push(e);
                return Ok(());
            }
            Prepared::Record(r) => {
                report.files += 1;
                r
            }
        };
        let stored: Option<(i64, i64)> =
            self.existing.query_row(params![record.id], |row| Ok((row.get(0)?, row.get(1)?))).optional()?;
        let incoming = (record.seconds, record.nanos);
        match stored {
            Some(old) if old >= incoming => {
                report.unchanged += 1;
                return Ok(());
            }
            Some(_) => report.updated += 1,
            None => report.inserted += 1,
        }
        if record.withdrawn {
            report.withdrawn += 1;
        }
        self.upsert.execute(params![
            record.id,
            record.modified,
            incoming.0,
            incoming.1,
            record.withdrawn,
            record.kind.as_str(),
            self.source,
            record.compressed,
        ])?;
        // A new record has no index rows to drop.
        if stored.is_some() {
            self.unindex.execute(params![record.id])?;
        }
        for (ecosystem, name, matching) in &record.index {
            self.index.execute(params![ecosystem, name, record.id, record.withdrawn, matching])?;
        }
        Ok(())
    }
}

thread_local! {
    // zlib state is a few hundred KiB that a fresh encoder or decoder allocates and zeroes:
    // for 1-2 KiB records that cost more than the compression itself, so each thread keeps
    // one of each and resets it.
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
    static INFLATE: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// Raw deflate at the fastest level: OSV JSON shrinks about 4x even so, and imports of
/// hundreds of thousands of records stay bound by parsing rather than compression.
fn compress(bytes: &[u8]) -> Vec<u8> {
    DEFLATE.with_borrow_mut(|state| {
        state.reset();
        let mut out = Vec::with_capacity(bytes.len() / 3 + 64);
        loop {
            let consumed = usize::try_from(state.total_in()).unwrap_or(usize::MAX);
            let input = bytes.get(consumed..).unwrap_or_default();
            match state.compress_vec(input, &mut out, FlushCompress::Finish) {
                Ok(flate2::Status::StreamEnd) => return out,
                // Out of room: each round doubles it, so this ends.
                Ok(_) => out.reserve(out.capacity().max(1024)),
                // Compressing into memory has no failure but a bug; an empty blob is then
                // reported as damaged when read, never misread.
                Err(_) => return Vec::new(),
            }
        }
    })
}

/// Inflates a stored record, bounded like a file read from disk.
fn decompress(id: &str, bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    INFLATE.with_borrow_mut(|state| {
        state.reset(false);
        let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(1 << 20));
        loop {
            let before = (state.total_in(), state.total_out());
            let consumed = usize::try_from(before.0).unwrap_or(usize::MAX);
            let input = bytes.get(consumed..).unwrap_or_default();
            let status = state
                .decompress_vec(input, &mut out, FlushDecompress::Finish)
                .map_err(|e| corrupt(id, format!("stored bytes do not inflate: {e}")))?;
            if status == flate2::Status::StreamEnd {
                return Ok(out);
            }
            if out.len() as u64 > MAX_FILE_BYTES {
                return Err(corrupt(id, format!("stored record inflates past {MAX_FILE_BYTES} bytes")));
            }
            if out.len() < out.capacity() && before == (state.total_in(), state.total_out()) {
                return Err(corrupt(id, "stored bytes end before the record does".into()));
            }
            out.reserve(out.capacity().max(4096));
        }
    })
}

fn corrupt(id: &str, message: String) -> StoreError {
    StoreError::Corrupt(RecordError {
        file: id.to_owned(),
        json_path: "$".into(),
        line: None,
        column: None,
        message,
    })
}

/// The index key: the base ecosystem and, for the ecosystems firebreak knows, the name as
/// the registry compares it.
fn index_name(ecosystem: &str, name: &str) -> (String, String) {
    match osv_ecosystem(ecosystem) {
        Some(e) => (e.as_str().to_owned(), normalize_name(e, name)),
        None => (ecosystem.split(':').next().unwrap_or_default().to_owned(), name.to_owned()),
    }
}

fn upsert_source(conn: &Connection, source: &SourceInfo) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sources (name, location, fetched_at, etag, last_modified, record_count)
         VALUES (?1, ?2, ?3, ?4, ?5, (SELECT COUNT(*) FROM advisories WHERE source = ?1))
         ON CONFLICT(name) DO UPDATE SET location = excluded.location,
           fetched_at = COALESCE(excluded.fetched_at, sources.fetched_at),
           etag = COALESCE(excluded.etag, sources.etag),
           last_modified = COALESCE(excluded.last_modified, sources.last_modified),
           record_count = excluded.record_count",
        params![
            source.name,
            source.location,
            source.fetched_at.map(|t| t.to_string()),
            source.etag,
            source.last_modified,
        ],
    )?;
    // Another source may have taken over records from this one; keep every count true.
    conn.execute(
        "UPDATE sources SET record_count = (SELECT COUNT(*) FROM advisories WHERE advisories.source = sources.name)",
        [],
    )?;
    Ok(())
}

fn collect_json_files(
    dir: &Path,
    out: &mut Vec<std::path::PathBuf>,
    errors: &mut Vec<ImportError>,
) -> Result<(), StoreError> {
    let entries =
        fs_err::read_dir(dir).map_err(|e| StoreError::Io { path: dir.display().to_string(), source: e })?;
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push(ImportError {
                    file: dir.display().to_string(),
                    json_path: None,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let path = entry.path();
        // `file_type` does not follow symbolic links, so a link cannot lead the walk outside.
        match entry.file_type() {
            Ok(t) if t.is_dir() => {
                if let Err(StoreError::Io { path, source }) = collect_json_files(&path, out, errors) {
                    errors.push(ImportError { file: path, json_path: None, message: source.to_string() });
                }
            }
            Ok(t) if t.is_file() && path.extension().is_some_and(|e| e == "json") => out.push(path),
            Ok(_) => {}
            Err(e) => errors.push(ImportError {
                file: path.display().to_string(),
                json_path: None,
                message: e.to_string(),
            }),
        }
    }
    Ok(())
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let file = fs_err::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("file is larger than {MAX_FILE_BYTES} bytes; an OSV record is expected"));
    }
    Ok(bytes)
}

/// Inflates entry `i` within the per-entry limits (the caller keeps the total); `None` for
/// directories and non-JSON entries.
fn read_zip_entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    i: usize,
    limits: &ZipLimits,
) -> Result<Option<ZipEntry>, ZipError> {
    let entry = archive
        .by_index(i)
        .map_err(|e| ZipError::Entry { entry: format!("#{i}"), message: e.to_string() })?;
    let name = entry.name().to_owned();
    if entry.is_dir() || !name.ends_with(".json") {
        return Ok(None);
    }
    if entry.size() > limits.max_entry_size {
        return Err(ZipError::EntryTooLarge { entry: name, limit: limits.max_entry_size });
    }
    let compressed = entry.compressed_size();
    let deflated = entry.compression() == zip::CompressionMethod::Deflated;
    let mut data = Vec::new();
    // The declared size is only a hint: read at most one byte past the limit.
    entry
        .take(limits.max_entry_size + 1)
        .read_to_end(&mut data)
        .map_err(|e| ZipError::Entry { entry: name.clone(), message: e.to_string() })?;
    let size = data.len() as u64;
    if size > limits.max_entry_size {
        return Err(ZipError::EntryTooLarge { entry: name, limit: limits.max_entry_size });
    }
    if size >= limits.ratio_floor {
        let ratio = size / compressed.max(1);
        if ratio > limits.max_ratio {
            return Err(ZipError::RatioTooHigh {
                entry: name,
                uncompressed: size,
                compressed,
                ratio,
                limit: limits.max_ratio,
            });
        }
    }
    // A deflated entry is already what the store keeps (raw deflate of the file's bytes;
    // reading it whole above checked its CRC): copy it rather than compress again, which
    // was a fifth of an import's time. A stream larger than its content is compressed anew.
    let raw = if deflated {
        let mut raw = Vec::with_capacity(usize::try_from(compressed).unwrap_or(0).min(data.len()));
        archive
            .by_index_raw(i)
            .map_err(|e| ZipError::Entry { entry: name.clone(), message: e.to_string() })?
            .take(size + 1)
            .read_to_end(&mut raw)
            .map_err(|e| ZipError::Entry { entry: name.clone(), message: e.to_string() })?;
        (raw.len() as u64 <= size).then_some(raw)
    } else {
        None
    };
    Ok(Some(ZipEntry { name, data, deflated: raw }))
}

/// A JSON entry of a zip archive.
struct ZipEntry {
    name: String,
    /// The inflated file.
    data: Vec<u8>,
    /// The entry's raw deflate stream, when it was stored deflated.
    deflated: Option<Vec<u8>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_status_without_counts() {
        let db = Database::from_default_snapshot().unwrap();
        let status = db.status().unwrap();
        let summary = db.summary().unwrap();
        assert!(!status.counts.is_empty());
        assert!(summary.counts.is_empty());
        assert_eq!(Status { counts: Vec::new(), ..status.clone() }, summary);
        assert!(summary.advisories > 0 && summary.newest_modified.is_some());
    }
}

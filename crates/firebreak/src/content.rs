//! Package archives from the registries for content analysis: find the archive and the
//! digest the registry published for it, take it from the artifact cache or download it
//! (bounded), verify it before anything reads it, then unpack it in memory for the
//! analyzers. `inspect PKG@VERSION`, `diff`, `check` and `scan --deep` all come through here.

use firebreak_archive::{Integrity, Limits, SkipReason, detect_kind, read_archive, verify_hashes};
use firebreak_content::signals::{INTEGRITY_MISMATCH, MALICIOUS_CONTENT, SUSPICIOUS_CONTENT};
use firebreak_content::{
    Analysis, Hit, PackageFile, Phase, Verdict, analyze, archive_anomaly, integrity_mismatch, score,
};
use firebreak_core::{Ecosystem, Finding, Hash};
use firebreak_policy::ContentBudget;
use firebreak_registry::{ArtifactCache, ArtifactRef, Registries, RegistryError};
use firebreak_report::ContentInfo;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The largest archive downloaded. The biggest packages on npm and PyPI (CUDA wheels aside)
/// stay well under it; a larger answer is not a package anyone installs from source.
pub(crate) const MAX_DOWNLOAD: u64 = 256 * 1024 * 1024;

/// A package's files in memory, with what reading them found.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub(crate) files: Vec<(String, Vec<u8>)>,
    pub(crate) skipped: Vec<String>,
    /// Archive anomalies and integrity failures, reported like content findings.
    pub(crate) hits: Vec<Hit>,
}

impl Loaded {
    pub(crate) fn package_files(&self) -> Vec<PackageFile<'_>> {
        self.files.iter().map(|(p, d)| PackageFile { path: p, data: d, executable: false }).collect()
    }

    /// Only the integrity failure: the bytes are not the package, so nothing is unpacked.
    pub(crate) fn mismatch(name: &str, integrity: &Integrity) -> Loaded {
        let detail = match integrity {
            Integrity::Mismatch { expected, actual } => format!("expected {expected}, found {actual}"),
            other => other.to_string(),
        };
        Loaded { hits: vec![integrity_mismatch(name, &detail)], ..Loaded::default() }
    }
}

/// Unpacks an archive already checked (or that has nothing to be checked against).
/// `display` names it in errors; `name` is its file name, which decides the format.
pub(crate) fn unpack(display: &str, name: &str, bytes: &[u8]) -> Result<Loaded, String> {
    let kind = detect_kind(name, bytes).ok_or_else(|| {
        format!(
            "`{display}` is not a package archive firebreak reads: expected an npm .tgz, a PyPI .tar.gz, .zip or .whl, or a .crate (named so, with matching contents)"
        )
    })?;
    let archive = read_archive(display, bytes, kind, &Limits::default()).map_err(|e| e.to_string())?;
    let mut loaded = Loaded::default();
    for skipped in &archive.skipped {
        let suspicious = !matches!(skipped.reason, SkipReason::Oversize { .. });
        loaded.skipped.push(format!("{}: {}", skipped.path, skipped.reason));
        loaded.hits.push(archive_anomaly(&skipped.path, &skipped.reason.to_string(), suspicious));
    }
    loaded.files = archive.files.into_iter().map(|f| (f.path, f.data)).collect();
    Ok(loaded)
}

/// An archive fetched for analysis.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) artifact: ArtifactRef,
    pub(crate) bytes: Vec<u8>,
    /// Whether the artifact cache answered (no download).
    pub(crate) from_cache: bool,
    /// The check against the registry's digests, done before anything else.
    pub(crate) integrity: Integrity,
}

impl Fetched {
    /// The archive's files, or only the `integrity-mismatch` hit when it failed its check.
    pub(crate) fn load(&self) -> Result<Loaded, String> {
        match &self.integrity {
            Integrity::Match { .. } => unpack(
                &format!("{} ({})", self.artifact.filename, self.artifact.url),
                &self.artifact.filename,
                &self.bytes,
            ),
            other => Ok(Loaded::mismatch(&self.artifact.filename, other)),
        }
    }
}

/// The archive of `artifact`: from the artifact cache when an entry there still has the
/// registry's digest, else downloaded (at most [`MAX_DOWNLOAD`] bytes) and, when it
/// verifies, stored in the cache. Offline, a cache miss is [`RegistryError::NotCached`].
pub(crate) async fn fetch(registries: &Registries, artifact: ArtifactRef) -> Result<Fetched, RegistryError> {
    let cache = ArtifactCache::new(registries.http.options().cache_dir.as_deref());
    let key = artifact.strongest().cloned();
    if let Some(key) = &key
        && let Some(bytes) = cache.get(key, MAX_DOWNLOAD)
    {
        let integrity = verify_hashes(&bytes, &artifact.hashes);
        if integrity.is_match() {
            return Ok(Fetched { artifact, bytes, from_cache: true, integrity });
        }
        // A damaged or altered entry: drop it and fetch the archive again.
        cache.remove(key);
    }
    let url = Url::parse(&artifact.url).map_err(|e| RegistryError::NoArtifact {
        package: format!("{}@{}", artifact.name, artifact.version),
        reason: format!("the download URL `{}` is not a URL: {e}", artifact.url),
    })?;
    let bytes = registries.http.download(&url, MAX_DOWNLOAD).await?;
    let integrity = verify_hashes(&bytes, &artifact.hashes);
    if integrity.is_match()
        && let Some(key) = &key
    {
        cache.put(key, &bytes);
    }
    Ok(Fetched { artifact, bytes, from_cache: false, integrity })
}

/// A single-threaded runtime for the few requests of one `inspect` or `diff`.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> miette::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| miette::miette!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(future))
}

/// Bumped when what the analyzers report changes without a release, so that verdicts
/// cached by an older build are not reused (the key also holds the build's version).
const ANALYZER_REVISION: u32 = 2;

/// One package version whose contents `check` or `scan --deep` analyse.
#[derive(Debug, Clone)]
pub(crate) struct ContentTarget {
    pub(crate) ecosystem: Ecosystem,
    pub(crate) name: String,
    pub(crate) version: String,
}

impl ContentTarget {
    fn label(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// The heaviest finding of a verdict, kept to point at a file and line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredHit {
    signal: String,
    message: String,
    path: String,
    line: u32,
    column: u32,
}

/// A verdict as the verdict cache stores it: what the findings of `scan` and `check` need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredVerdict {
    /// `malicious`, `suspicious` or `clean`.
    verdict: String,
    score: u32,
    reasons: Vec<String>,
    filename: String,
    top: Option<StoredHit>,
    /// The integrity failure, when the archive did not match its digest (never cached).
    mismatch: Option<String>,
}

impl StoredVerdict {
    pub(crate) fn from_analysis(filename: &str, analysis: &Analysis, verdict: &Verdict) -> StoredVerdict {
        let mismatch =
            analysis.hits.iter().find(|h| h.signal.id == INTEGRITY_MISMATCH.id).map(|h| h.message.clone());
        let top = analysis
            .hits
            .iter()
            .filter(|h| h.line > 0)
            .max_by_key(|h| (h.severity, h.phase == Phase::InstallTime, std::cmp::Reverse((&h.path, h.line))))
            .map(|h| StoredHit {
                signal: h.signal.id.to_owned(),
                message: h.message.clone(),
                path: h.path.clone(),
                line: h.line,
                column: h.column,
            });
        StoredVerdict {
            verdict: verdict.verdict.as_str().to_owned(),
            score: verdict.score,
            reasons: verdict.reasons.clone(),
            filename: filename.to_owned(),
            top,
            mismatch,
        }
    }

    pub(crate) fn is_mismatch(&self) -> bool {
        self.mismatch.is_some()
    }

    /// The file, line and column of the heaviest finding.
    pub(crate) fn top_location(&self) -> Option<(String, u32, u32)> {
        self.top.as_ref().map(|t| (t.path.clone(), t.line, t.column))
    }

    /// The finding this verdict raises: `integrity-mismatch` for bytes that are not the
    /// package, `malicious-content` / `suspicious-content` for those verdicts, none for clean.
    pub(crate) fn finding(&self, label: &str) -> Option<Finding> {
        if let Some(mismatch) = &self.mismatch {
            return Some(
                Finding::new(&INTEGRITY_MISMATCH, format!("{label}: {mismatch}; nothing in it was analysed"))
                    .evidence("archive", self.filename.clone())
                    .evidence("verdict", "malicious"),
            );
        }
        let signal = match self.verdict.as_str() {
            "malicious" => &MALICIOUS_CONTENT,
            "suspicious" => &SUSPICIOUS_CONTENT,
            _ => return None,
        };
        let first = self.reasons.first().map(|r| format!(": {r}")).unwrap_or_default();
        let mut f = Finding::new(
            signal,
            format!("{label}: content analysis: {} (score {}){first}", self.verdict, self.score),
        )
        .evidence("archive", self.filename.clone());
        for reason in self.reasons.iter().skip(1).take(4) {
            f = f.evidence("reason", reason.clone());
        }
        if let Some(top) = &self.top {
            f = f
                .evidence("file", format!("{}:{}:{}", top.path, top.line, top.column))
                .evidence("finding", format!("{}: {}", top.signal, top.message));
        }
        f = f.evidence("details", format!("firebreak inspect {label}"));
        Some(f)
    }
}

/// Content verdicts cached under `<cache dir>/verdicts/`, keyed by the archive's registry
/// digest and the analyzer version: the same bytes give the same verdict, so a second run
/// downloads and analyses nothing. A file whose header, key or body does not parse is
/// ignored and rebuilt.
#[derive(Debug, Clone)]
pub(crate) struct VerdictStore {
    dir: Option<std::path::PathBuf>,
}

const STORE_HEADER: &str = "firebreak content verdict 1";
const STORE_MAX: u64 = 256 * 1024;

impl VerdictStore {
    pub(crate) fn new(cache_dir: Option<&std::path::Path>) -> VerdictStore {
        VerdictStore { dir: cache_dir.map(|d| d.join("verdicts")) }
    }

    pub(crate) fn key(digest: &Hash) -> String {
        let mut hasher = Sha256::new();
        for part in [
            digest.algorithm.display_name(),
            digest.value.as_str(),
            env!("CARGO_PKG_VERSION"),
            &ANALYZER_REVISION.to_string(),
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn path(&self, key: &str) -> Option<std::path::PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{key}.content")))
    }

    pub(crate) fn get(&self, key: &str) -> Option<StoredVerdict> {
        let path = self.path(key)?;
        if fs_err::metadata(&path).ok()?.len() > STORE_MAX {
            return None;
        }
        let text = fs_err::read_to_string(&path).ok()?;
        let mut lines = text.splitn(3, '\n');
        if lines.next()? != STORE_HEADER || lines.next()? != key {
            return None;
        }
        let stored: StoredVerdict = serde_json::from_str(lines.next()?).ok()?;
        let known = ["malicious", "suspicious", "clean"].contains(&stored.verdict.as_str());
        (known && stored.mismatch.is_none()).then_some(stored)
    }

    /// Stores a verdict; a failure to write only costs an analysis next time. Integrity
    /// failures are not stored: they describe the bytes served, not the package.
    pub(crate) fn put(&self, key: &str, verdict: &StoredVerdict) {
        let (Some(dir), Some(path)) = (self.dir.as_ref(), self.path(key)) else { return };
        if verdict.mismatch.is_some() || fs_err::create_dir_all(dir).is_err() {
            return;
        }
        let Ok(body) = serde_json::to_string(verdict) else { return };
        let tmp = path.with_extension(format!("content.tmp{}", std::process::id()));
        if fs_err::write(&tmp, format!("{STORE_HEADER}\n{key}\n{body}")).is_err()
            || fs_err::rename(&tmp, &path).is_err()
        {
            let _ = fs_err::remove_file(&tmp);
        }
    }
}

/// What content analysis found for one target.
#[derive(Debug, Default)]
pub(crate) struct ContentOutcome {
    pub(crate) verdict: Option<StoredVerdict>,
    /// Why it was not analysed.
    pub(crate) skipped: Option<String>,
}

/// Analyses the contents of `targets` (one [`ContentOutcome`] each, same order) within
/// `budget`: verdicts from the cache first (free), then archives located and downloaded a
/// few at a time, each verified before it is read, and analysed on every core. Targets the
/// budget does not reach are reported as skipped, never dropped.
pub(crate) fn analyse(
    registries: &Registries,
    targets: &[ContentTarget],
    budget: ContentBudget,
) -> Result<(Vec<ContentOutcome>, ContentInfo), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let store = VerdictStore::new(registries.http.options().cache_dir.as_deref());
    let mut info = ContentInfo { budget: budget.to_string(), ..ContentInfo::default() };
    let mut outcomes: Vec<ContentOutcome> = targets.iter().map(|_| ContentOutcome::default()).collect();

    let located = runtime.block_on(futures_util::future::join_all(
        targets.iter().map(|t| registries.locate_artifact(t.ecosystem, &t.name, &t.version, None)),
    ));
    let mut pending: Vec<(usize, ArtifactRef, String)> = Vec::new();
    for (i, result) in located.into_iter().enumerate() {
        match result {
            Ok(artifact) => {
                let Some(key) = artifact.strongest().map(VerdictStore::key) else {
                    outcomes[i].skipped = Some("the registry publishes no digest to check it against".into());
                    continue;
                };
                if let Some(verdict) = store.get(&key) {
                    info.cached += 1;
                    outcomes[i].verdict = Some(verdict);
                } else {
                    pending.push((i, artifact, key));
                }
            }
            Err(e) => outcomes[i].skipped = Some(e.to_string()),
        }
    }

    let mut spent_archives: u64 = 0;
    let batch = 2 * std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut queue = pending.into_iter().peekable();
    while queue.peek().is_some() {
        let mut chunk = Vec::new();
        while chunk.len() < batch {
            let exhausted = match budget {
                ContentBudget::Archives(n) => spent_archives >= u64::from(n),
                ContentBudget::Megabytes(mb) => info.downloaded_bytes >= mb.saturating_mul(1_000_000),
            };
            if exhausted {
                info.budget_exhausted = true;
                for (i, _, _) in queue.by_ref() {
                    outcomes[i].skipped = Some(format!("over the content budget of {budget} for this run"));
                }
                break;
            }
            let Some(item) = queue.next() else { break };
            spent_archives += 1;
            chunk.push(item);
        }
        if chunk.is_empty() {
            break;
        }
        let fetched = runtime.block_on(futures_util::future::join_all(
            chunk.iter().map(|(_, artifact, _)| fetch(registries, artifact.clone())),
        ));
        let mut work = Vec::new();
        for ((i, _, key), result) in chunk.into_iter().zip(fetched) {
            match result {
                Ok(f) => {
                    if !f.from_cache {
                        info.downloaded_bytes += f.bytes.len() as u64;
                    }
                    work.push((i, key, f));
                }
                Err(e) => outcomes[i].skipped = Some(e.to_string()),
            }
        }
        let verdicts = firebreak_server::registry_signals::parallel_map(&work, |(_, _, f)| {
            let loaded = f.load()?;
            let mut analysis = analyze(&loaded.package_files());
            analysis.hits.extend(loaded.hits.iter().cloned());
            let verdict = score(&analysis, &[]);
            Ok::<_, String>(StoredVerdict::from_analysis(&f.artifact.filename, &analysis, &verdict))
        });
        for ((i, key, _), verdict) in work.iter().zip(verdicts) {
            match verdict {
                Ok(v) => {
                    store.put(key, &v);
                    info.analysed += 1;
                    outcomes[*i].verdict = Some(v);
                }
                Err(e) => outcomes[*i].skipped = Some(e),
            }
        }
    }
    for (t, o) in targets.iter().zip(&outcomes) {
        if let Some(reason) = &o.skipped {
            info.skipped.push((t.label(), reason.clone()));
        }
    }
    Ok((outcomes, info))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use firebreak_core::HashAlgorithm;

    use super::*;

    fn verdict(kind: &str) -> StoredVerdict {
        StoredVerdict {
            verdict: kind.to_owned(),
            score: 120,
            reasons: vec!["install-time code downloads and runs code".into(), "hides a process".into()],
            filename: "x-1.0.0.tgz".into(),
            top: Some(StoredHit {
                signal: "process-spawn-hidden".into(),
                message: "detached".into(),
                path: "setup.js".into(),
                line: 7,
                column: 3,
            }),
            mismatch: None,
        }
    }

    #[test]
    fn verdicts_become_findings() {
        let f = verdict("malicious").finding("x@1.0.0").unwrap();
        assert_eq!(f.signal.id, "malicious-content");
        assert!(f.message.contains("malicious (score 120): install-time code"), "{}", f.message);
        assert!(f.evidence.iter().any(|e| e.label == "file" && e.value == "setup.js:7:3"));
        assert_eq!(verdict("suspicious").finding("x@1.0.0").unwrap().signal.id, "suspicious-content");
        assert!(verdict("clean").finding("x@1.0.0").is_none());
        let mut tampered = verdict("malicious");
        tampered.mismatch = Some("x-1.0.0.tgz does not match".into());
        assert_eq!(tampered.finding("x@1.0.0").unwrap().signal.id, "integrity-mismatch");
    }

    #[test]
    fn the_store_round_trips_and_ignores_damage() {
        let dir = tempfile::tempdir().unwrap();
        let store = VerdictStore::new(Some(dir.path()));
        let digest = Hash::hex(HashAlgorithm::Sha512, &"ab".repeat(64));
        let key = VerdictStore::key(&digest);
        assert_ne!(key, VerdictStore::key(&Hash::hex(HashAlgorithm::Sha512, &"ac".repeat(64))));
        assert_eq!(store.get(&key), None);
        store.put(&key, &verdict("malicious"));
        assert_eq!(store.get(&key), Some(verdict("malicious")));

        let path = dir.path().join("verdicts").join(format!("{key}.content"));
        let good = fs_err::read_to_string(&path).unwrap();
        for damaged in [
            String::new(),
            good.replace(STORE_HEADER, "firebreak content verdict 0"),
            good.replace(&key, &"0".repeat(64)),
            good[..good.len() - 2].to_owned(),
            good.replace("\"malicious\"", "\"evil\""),
            "x".repeat(300_000),
        ] {
            fs_err::write(&path, &damaged).unwrap();
            assert_eq!(store.get(&key), None, "{damaged:.60}");
        }
        // Integrity failures describe the bytes served, not the package: never stored.
        let mut tampered = verdict("malicious");
        tampered.mismatch = Some("mismatch".into());
        let other = VerdictStore::key(&Hash::hex(HashAlgorithm::Sha256, &"cd".repeat(32)));
        store.put(&other, &tampered);
        assert_eq!(store.get(&other), None);
    }
}

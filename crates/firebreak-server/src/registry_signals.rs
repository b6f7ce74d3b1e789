//! Registry signals for a set of package versions: fetch each package's history once
//! (concurrently, through the cache), fetch the histories of dependencies a release added,
//! run every release analyzer, then apply the policy's release-age rule.
//!
//! `check` runs it on one version, `scan` on every registry package of the inventory, and
//! the proxy decides every release of a document it serves with the same per-release
//! functions ([`release_signal_findings`], [`release_age_finding`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use firebreak_analysis::signals::{self, PACKAGE_NOT_FOUND, ReleaseAge, ReleaseContext, SignalSettings};
use firebreak_core::{Ecosystem, Finding, Hash, Timestamp, Version};
use firebreak_policy::{AgeRule, Policy, ReleaseFacts};
use firebreak_registry::{PackageHistory, Registries, RegistryError, Release, TrustLevel};

use crate::verdict_cache::{Verdict, VerdictCache};

/// The analyzers' tunables a policy sets.
pub fn signal_settings(policy: &Policy) -> SignalSettings {
    SignalSettings {
        young_dependency_hours: i64::try_from(policy.registry.young_dependency_hours).unwrap_or(i64::MAX),
        ..SignalSettings::default()
    }
}

/// The analyzers' findings for one release of `history`. `dependencies` holds the
/// histories of the dependencies it added that the caller fetched (none is fine: the
/// signals about them are then not raised).
pub fn release_signal_findings(
    history: &PackageHistory,
    release: &Release,
    dependencies: &BTreeMap<String, PackageHistory>,
    lockfile_hashes: &[Hash],
    settings: &SignalSettings,
    now: Timestamp,
) -> Vec<Finding> {
    let cx = ReleaseContext { history, release, dependencies, lockfile_hashes, now, settings };
    signals::analyze(&cx)
}

/// The policy's release-age rule for one release whose other findings are `findings`:
/// `release-too-young` (with the key that set the cooldown) or `publish-time-missing`.
/// `version` is the version as the caller names it (PyPI's `1.0` for a release `1.0.0`).
#[allow(clippy::too_many_arguments)]
pub fn release_age_finding(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    history: &PackageHistory,
    release: &Release,
    findings: &[Finding],
    policy: &Policy,
    settings: &SignalSettings,
    now: Timestamp,
    fixes_advisory: &FixesAdvisory<'_>,
) -> Option<Finding> {
    let prev = previous(history, release);
    let ids: Vec<&str> = findings.iter().map(|f| f.signal.id).collect();
    let facts = ReleaseFacts {
        ecosystem,
        name,
        version,
        signals: &ids,
        same_trusted_publisher: prev.is_some_and(|p| same_trusted_publisher(p, release)),
        fixes_advisory: prev.is_some_and(|p| fixes_advisory(ecosystem, name, &p.version, version)),
    };
    let AgeRule::Required { seconds, basis } = policy.registry.release_age_rule(&facts) else {
        return None;
    };
    let no_dependencies = BTreeMap::new();
    let cx = ReleaseContext {
        history,
        release,
        dependencies: &no_dependencies,
        lockfile_hashes: &[],
        now,
        settings,
    };
    let age = signals::release_too_young(&cx, i64::try_from(seconds).unwrap_or(i64::MAX));
    age_finding(age, basis)
}

/// One package version to check.
#[derive(Debug, Clone)]
pub struct Target {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// What the lockfile records, for `lockfile-integrity-mismatch`.
    pub lockfile_hashes: Vec<Hash>,
}

/// What the run found for one target.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings without package ids (the caller attaches them).
    pub findings: Vec<Finding>,
    /// Why the target could not be checked (offline without a cached copy, network
    /// failure, malformed document), when it could not.
    pub unchecked: Option<String>,
    /// Facts that could not be read from the registry document.
    pub warnings: Vec<String>,
}

/// Whether a release fixes an advisory that affects the release before it: the caller
/// answers from the advisory database.
pub type FixesAdvisory<'a> = dyn Fn(Ecosystem, &str, &str, &str) -> bool + 'a;

/// Runs the registry signals for `targets` (one [`Outcome`] per target, same order).
pub fn run(
    registries: &Registries,
    targets: &[Target],
    policy: &Policy,
    now: Timestamp,
    fixes_advisory: &FixesAdvisory<'_>,
) -> Result<Vec<Outcome>, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(run_async(registries, targets, policy, now, fixes_advisory)))
}

type Key = (Ecosystem, String);
type Histories = HashMap<Key, Result<PackageHistory, Arc<RegistryError>>>;

async fn fetch_all(registries: &Registries, keys: impl IntoIterator<Item = Key>, into: &mut Histories) {
    let wanted: Vec<Key> =
        keys.into_iter().filter(|k| !into.contains_key(k)).collect::<BTreeSet<_>>().into_iter().collect();
    // Each fetch is its own task so that parsing the documents, which is most of a warm
    // run, spreads over the runtime's worker threads instead of the one driving the join.
    let fetches = wanted.iter().map(|(eco, name)| {
        let (registries, eco, name) = (registries.clone(), *eco, name.clone());
        tokio::spawn(async move {
            match registries.for_ecosystem(eco) {
                Some(registry) => registry.history(&name).await.map_err(Arc::new),
                None => Err(Arc::new(RegistryError::InvalidName {
                    name: name.clone(),
                    reason: "no registry client for this ecosystem",
                })),
            }
        })
    });
    let results = futures_util::future::join_all(fetches).await;
    for (key, result) in wanted.into_iter().zip(results) {
        let result = result.unwrap_or_else(|e| {
            Err(Arc::new(RegistryError::Client(format!("the fetch of `{}` failed: {e}", key.1))))
        });
        into.insert(key, result);
    }
}

async fn run_async(
    registries: &Registries,
    targets: &[Target],
    policy: &Policy,
    now: Timestamp,
    fixes_advisory: &FixesAdvisory<'_>,
) -> Vec<Outcome> {
    let settings = signal_settings(policy);
    let mut histories: Histories = HashMap::new();
    fetch_all(registries, targets.iter().map(|t| (t.ecosystem, t.name.clone())), &mut histories).await;

    // The per-version details (npm provenance statements, PyPI requires_dist) for each
    // analysed release and the release it is compared with.
    let mut wanted_versions: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
    for t in targets {
        let key = (t.ecosystem, t.name.clone());
        if let Some(Ok(history)) = histories.get(&key) {
            let versions = wanted_versions.entry(key).or_default();
            versions.insert(t.version.clone());
            if let Some(prev) = release_of(history, &t.version).and_then(|r| previous(history, r)) {
                versions.insert(prev.version.clone());
            }
        }
    }
    let completions = wanted_versions.into_iter().filter_map(|(key, versions)| {
        let Some(Ok(history)) = histories.remove(&key) else { return None };
        Some(async move {
            let mut history = history;
            let versions: Vec<&str> = versions.iter().map(String::as_str).collect();
            let result = match registries.for_ecosystem(key.0) {
                Some(registry) => registry.complete(&mut history, &versions).await,
                None => Ok(()),
            };
            if let Err(e) = result {
                history.warnings.push(format!("per-version details unavailable: {e}"));
            }
            (key, history)
        })
    });
    for (key, history) in futures_util::future::join_all(completions).await {
        histories.insert(key, Ok(history));
    }
    match firebreak_provenance::TrustedRoot::public_good() {
        Ok(root) => {
            verify_npm_provenance(registries, targets, &root, &mut histories).await;
            verify_pypi_provenance(registries, targets, &root, &mut histories).await;
        }
        Err(e) => {
            for h in histories.values_mut().flatten() {
                h.warnings.push(format!("provenance not verified: cannot load the Sigstore root: {e}"));
            }
        }
    }

    // Dependencies the analysed releases added, whose age and popularity weigh the finding.
    let mut added: BTreeSet<Key> = BTreeSet::new();
    for t in targets {
        if let Some(Ok(history)) = histories.get(&(t.ecosystem, t.name.clone()))
            && let Some(release) = release_of(history, &t.version)
        {
            let before = previous(history, release);
            for dep in release.dependencies.keys() {
                if before.is_some_and(|p| !p.dependencies.contains_key(dep)) {
                    added.insert((t.ecosystem, dep.clone()));
                }
            }
        }
    }
    fetch_all(registries, added.iter().cloned(), &mut histories).await;

    // The analyzers are CPU-bound and independent per target: spread them over the cores.
    let findings = parallel_map(targets, |t| signal_findings(t, &histories, &settings, now));
    targets
        .iter()
        .zip(findings)
        .map(|(t, findings)| analyze_target(t, findings, &histories, policy, &settings, now, fixes_advisory))
        .collect()
}

/// Verifies the npm provenance of each analysed release that has an attestation: the
/// certificate chain to Sigstore's public-good root, the signature, the transparency-log
/// entry, and that the attested subject is the tarball the registry lists. The documents
/// were fetched by `complete`, so these reads are answered by the cache; verdicts are
/// cached by document and artifact digest, and the verifications left run on every core.
async fn verify_npm_provenance(
    registries: &Registries,
    targets: &[Target],
    root: &firebreak_provenance::TrustedRoot,
    histories: &mut Histories,
) {
    struct Job {
        key: Key,
        version: String,
        url: String,
        digest: Hash,
    }
    let mut jobs = Vec::new();
    for t in targets.iter().filter(|t| t.ecosystem == Ecosystem::Npm) {
        let key = (t.ecosystem, t.name.clone());
        let Some(Ok(history)) = histories.get_mut(&key) else { continue };
        let Some(release) = history.releases.iter().find(|r| r.version == t.version) else { continue };
        let Some(url) = release.trust.attestation_url.clone() else { continue };
        if release.trust.identity.is_none() {
            continue;
        }
        let digest = release.hashes.iter().find(|h| {
            h.algorithm == firebreak_core::HashAlgorithm::Sha512
                && firebreak_provenance::ArtifactDigest::from_hex(
                    firebreak_provenance::DigestAlgorithm::Sha512,
                    &h.value,
                )
                .is_some()
        });
        match digest {
            Some(digest) => jobs.push(Job { digest: digest.clone(), key, version: t.version.clone(), url }),
            None => history
                .warnings
                .push(format!("provenance of {} not verified: no sha512 digest to compare", t.version)),
        }
    }
    let documents = futures_util::future::join_all(jobs.iter().map(|job| async move {
        let att = registries.npm.attestations(&job.key.1, &job.version, Some(&job.url)).await?;
        Ok::<_, RegistryError>(serde_json::to_vec(&att.raw).unwrap_or_default())
    }))
    .await;

    let cache = VerdictCache::new(registries.http.options().cache_dir.as_deref());
    let work: Vec<(&Job, &Result<Vec<u8>, RegistryError>)> = jobs.iter().zip(&documents).collect();
    let verdicts = parallel_map(&work, |(job, document)| {
        let document = document.as_ref().map_err(ToString::to_string)?;
        let key = VerdictCache::key("npm-attestations", document, "sha512", &job.digest.value);
        if let Some(verdict) = cache.get(&key) {
            return Ok::<_, String>(verdict);
        }
        let verdict = verify_npm_document(document, &job.digest, root);
        cache.put(&key, &verdict);
        Ok(verdict)
    });
    for (job, verdict) in jobs.iter().zip(verdicts) {
        let Some(Ok(history)) = histories.get_mut(&job.key) else { continue };
        let version = &job.version;
        let warning = match verdict {
            Err(e) => Some(format!("provenance of {version} not verified: {e}")),
            Ok(Verdict::Unreadable(e)) => Some(format!("provenance of {version} not verified: {e}")),
            Ok(Verdict::NoStatement) => Some(format!("provenance of {version} has no SLSA statement")),
            Ok(Verdict::Verified | Verdict::Failed(_)) => {
                let failure = match &verdict {
                    Ok(Verdict::Failed(f)) => Some(f.clone()),
                    _ => None,
                };
                let identity = history
                    .releases
                    .iter_mut()
                    .find(|r| r.version == *version)
                    .and_then(|r| r.trust.identity.as_mut());
                if let Some(identity) = identity {
                    identity.verified = Some(failure.is_none());
                }
                failure.map(|f| format!("provenance of {version} does not verify: {f}"))
            }
        };
        if let Some(warning) = warning {
            history.warnings.push(warning);
        }
    }
}

fn verify_npm_document(document: &[u8], digest: &Hash, root: &firebreak_provenance::TrustedRoot) -> Verdict {
    let Some(digest) = firebreak_provenance::ArtifactDigest::from_hex(
        firebreak_provenance::DigestAlgorithm::Sha512,
        &digest.value,
    ) else {
        return Verdict::Unreadable("the sha512 digest is not hex".to_owned());
    };
    match firebreak_provenance::verify_npm_attestations(document, &digest, root) {
        Ok(verification) => match verification.slsa_provenance().map(|a| &a.verdict) {
            Some(firebreak_provenance::Verdict::Verified) => Verdict::Verified,
            Some(firebreak_provenance::Verdict::Failed(failure)) => Verdict::Failed(failure.to_string()),
            None => Verdict::NoStatement,
        },
        Err(e) => Verdict::Unreadable(e.to_string()),
    }
}

/// `f` over `items` on every core (the machine's parallelism, at most one thread per
/// item), results in the items' order. For CPU-bound work outside the async runtime's
/// threads, which only wait on the network.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len());
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        out.push((i, f(item)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Verifies the PEP 740 provenance of each analysed PyPI release whose files carry one:
/// the same checks as npm's, with the subject compared to the sha256 the index lists for
/// the release's files.
async fn verify_pypi_provenance(
    registries: &Registries,
    targets: &[Target],
    root: &firebreak_provenance::TrustedRoot,
    histories: &mut Histories,
) {
    for t in targets.iter().filter(|t| t.ecosystem == Ecosystem::PyPI) {
        let Some(Ok(history)) = histories.get_mut(&(t.ecosystem, t.name.clone())) else { continue };
        let Some(release) = history.releases.iter_mut().find(|r| r.version == t.version) else { continue };
        let Some(url) = release.trust.attestation_url.as_deref().and_then(|u| reqwest::Url::parse(u).ok())
        else {
            continue;
        };
        let Some(identity) = release.trust.identity.as_mut() else { continue };
        let document = match registries.http.get(&url, "application/vnd.pypi.integrity.v1+json").await {
            Ok(fetched) => fetched.body,
            Err(e) => {
                history.warnings.push(format!("provenance of {} not verified: {e}", t.version));
                continue;
            }
        };
        // The provenance belongs to one of the release's files; its subject names that
        // file's digest, so the digest that verifies is the file's.
        let mut outcome: Option<Result<(), String>> = None;
        for hash in release.hashes.iter().filter(|h| h.algorithm == firebreak_core::HashAlgorithm::Sha256) {
            let Some(digest) = firebreak_provenance::ArtifactDigest::from_hex(
                firebreak_provenance::DigestAlgorithm::Sha256,
                &hash.value,
            ) else {
                continue;
            };
            match firebreak_provenance::verify_pypi_provenance(&document, &digest, root) {
                Ok(attestations) => {
                    let failure = attestations.iter().find_map(|a| match &a.attestation.verdict {
                        firebreak_provenance::Verdict::Verified => None,
                        firebreak_provenance::Verdict::Failed(f) => Some(f.to_string()),
                    });
                    match failure {
                        None if !attestations.is_empty() => {
                            outcome = Some(Ok(()));
                            break;
                        }
                        None => {}
                        Some(f) => outcome = Some(Err(f)),
                    }
                }
                Err(e) => {
                    outcome = Some(Err(format!("unreadable: {e}")));
                    break;
                }
            }
        }
        match outcome {
            Some(Ok(())) => identity.verified = Some(true),
            Some(Err(reason)) if !reason.starts_with("unreadable") => {
                identity.verified = Some(false);
                history.warnings.push(format!("provenance of {} does not verify: {reason}", t.version));
            }
            Some(Err(reason)) => {
                history.warnings.push(format!("provenance of {} not verified: {reason}", t.version))
            }
            None => history
                .warnings
                .push(format!("provenance of {} not verified: no sha256 to compare", t.version)),
        }
    }
}

/// The analyzers' findings for a target whose history and release are known (`None`
/// otherwise). The part of the analysis that needs no advisory database, so that it can
/// run on every core.
fn signal_findings(
    t: &Target,
    histories: &Histories,
    settings: &SignalSettings,
    now: Timestamp,
) -> Option<Vec<Finding>> {
    let Some(Ok(history)) = histories.get(&(t.ecosystem, t.name.clone())) else { return None };
    let release = release_of(history, &t.version)?;
    // Only the dependencies this release added are looked up by the analyzers; copying
    // every dependency's history into every target was a tenth of a warm scan.
    let before = previous(history, release);
    let mut dependencies = BTreeMap::new();
    for dep in release.dependencies.keys() {
        if before.is_some_and(|p| p.dependencies.contains_key(dep)) {
            continue;
        }
        if let Some(Ok(h)) = histories.get(&(t.ecosystem, dep.clone())) {
            dependencies.insert(dep.clone(), h.clone());
        }
    }
    Some(release_signal_findings(history, release, &dependencies, &t.lockfile_hashes, settings, now))
}

/// One target's outcome: `findings` from [`signal_findings`], then the policy's release-age
/// rule, which asks the advisory database.
fn analyze_target(
    t: &Target,
    findings: Option<Vec<Finding>>,
    histories: &Histories,
    policy: &Policy,
    settings: &SignalSettings,
    now: Timestamp,
    fixes_advisory: &FixesAdvisory<'_>,
) -> Outcome {
    let mut outcome = Outcome::default();
    let history = match histories.get(&(t.ecosystem, t.name.clone())) {
        Some(Ok(history)) => history,
        Some(Err(e)) => {
            if let RegistryError::NotFound { url, status } = e.as_ref() {
                outcome.findings.push(
                    Finding::new(
                        &PACKAGE_NOT_FOUND,
                        format!("the registry has no package `{}` (HTTP {status})", t.name),
                    )
                    .evidence("url", url.clone()),
                );
            } else {
                outcome.unchecked = Some(e.to_string());
            }
            return outcome;
        }
        None => {
            outcome.unchecked = Some("not fetched".to_owned());
            return outcome;
        }
    };
    outcome.warnings = history.warnings.clone();
    let Some(release) = release_of(history, &t.version) else {
        let mut f = Finding::new(
            &PACKAGE_NOT_FOUND,
            format!("the registry lists no version {} of `{}`: unpublished or removed", t.version, t.name),
        );
        if history.unpublished {
            f = f.evidence("package", "unpublished");
        }
        let latest = history.sorted().last().map(|r| r.version.clone());
        if let Some(latest) = latest {
            f = f.evidence("highest listed version", latest);
        }
        outcome.findings.push(f);
        return outcome;
    };
    outcome.findings = findings.unwrap_or_default();
    let age = release_age_finding(
        t.ecosystem,
        &t.name,
        &t.version,
        history,
        release,
        &outcome.findings,
        policy,
        settings,
        now,
        fixes_advisory,
    );
    outcome.findings.extend(age);
    outcome
}

fn age_finding(age: ReleaseAge, basis: &str) -> Option<Finding> {
    match age {
        ReleaseAge::TooYoung(f) => Some(f.evidence("policy", basis)),
        other => other.finding(),
    }
}

/// The release with this version: the exact string, else the same parsed version
/// (`1.0` and `1.0.0` on PyPI).
pub fn release_of<'h>(history: &'h PackageHistory, version: &str) -> Option<&'h Release> {
    history.release(version).or_else(|| {
        let eco = history.ecosystem?;
        let wanted = Version::parse(eco, version).ok()?;
        history.releases.iter().find(|r| r.parsed.as_ref() == Some(&wanted))
    })
}

/// The release a version is compared with: the highest lower version on its own line
/// (same major, or same major.minor for 0.x), else the highest lower version overall.
pub fn previous<'h>(history: &'h PackageHistory, release: &Release) -> Option<&'h Release> {
    let current = release.parsed.as_ref()?;
    let lower: Vec<&Release> = history
        .sorted()
        .into_iter()
        .filter(|r| r.parsed.as_ref().and_then(|v| v.partial_cmp(current)).is_some_and(|o| o.is_lt()))
        .collect();
    let line = signals::line_of(current);
    lower
        .iter()
        .rev()
        .find(|r| r.parsed.as_ref().is_some_and(|v| signals::line_of(v) == line))
        .or_else(|| lower.last())
        .copied()
}

fn same_trusted_publisher(prev: &Release, release: &Release) -> bool {
    release.trust.level == TrustLevel::TrustedPublisher
        && prev.trust.level == TrustLevel::TrustedPublisher
        && prev.trust.publisher == release.trust.publisher
        && match (&prev.trust.identity, &release.trust.identity) {
            (Some(a), Some(b)) => a.repository == b.repository && a.workflow == b.workflow,
            _ => true,
        }
}

/// Every signal id firebreak can raise (for `[signals]` validation and `explain`).
pub fn all_signal_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = firebreak_analysis::all_signals().iter().map(|s| s.id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The highest non-prerelease version the registry lists (the highest of all when every
/// release is a prerelease), for `check NAME` without a version.
pub fn highest_version(registries: &Registries, ecosystem: Ecosystem, name: &str) -> Result<String, String> {
    let registry = registries.for_ecosystem(ecosystem).ok_or("no registry for this ecosystem")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let history = runtime.block_on(registry.history(name)).map_err(|e| e.to_string())?;
    let sorted = history.sorted();
    sorted
        .iter()
        .rev()
        .find(|r| r.parsed.as_ref().is_some_and(|v| !v.is_prerelease()) && r.yanked.is_none())
        .or(sorted.last())
        .map(|r| r.version.clone())
        .ok_or_else(|| "the registry lists no parseable version".to_owned())
}

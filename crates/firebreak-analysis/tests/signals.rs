//! Registry signals on hand-built package histories: each signal's positive and negative
//! cases, release-line ordering, unknown fields, typosquat near misses, and the axios
//! compromise of 31 March 2026 as the registry documents showed it.

#![allow(clippy::unwrap_used, clippy::cloned_ref_to_slice_refs)]

use std::collections::{BTreeMap, BTreeSet};

use firebreak_analysis::signals::{
    self, ReleaseAge, ReleaseContext, SignalSettings, TyposquatKind, popular_names, release_too_young,
    typosquat_target,
};
use firebreak_core::{Ecosystem, Finding, Hash, HashAlgorithm, Severity, Timestamp, Version};
use firebreak_registry::{
    Account, BuildIdentity, PackageHistory, Release, Trust, TrustLevel, TrustedPublisher,
};

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn account(name: &str, email: &str) -> Account {
    Account { name: name.into(), email: Some(email.into()) }
}

fn gha() -> Account {
    account("GitHub Actions", "npm-oidc-no-reply@github.com")
}

/// A release of `version` published at `at` (`""`: no publish time).
fn rel(ecosystem: Ecosystem, version: &str, at: &str) -> Release {
    Release {
        version: version.into(),
        parsed: Version::parse(ecosystem, version).ok(),
        published: (!at.is_empty()).then(|| ts(at)),
        ..Release::default()
    }
}

fn npm(version: &str, at: &str) -> Release {
    rel(Ecosystem::Npm, version, at)
}

fn trusted(mut r: Release, repository: &str, workflow: &str) -> Release {
    r.trust = Trust {
        level: TrustLevel::TrustedPublisher,
        publisher: Some(TrustedPublisher {
            provider: "github".into(),
            id: None,
            repository: Some(repository.into()),
            workflow: Some(workflow.into()),
        }),
        attestation_url: Some(format!("https://registry.example/-/npm/v1/attestations/x@{}", r.version)),
        identity: Some(BuildIdentity {
            repository: Some(format!("https://github.com/{repository}")),
            workflow: Some(format!(".github/workflows/{workflow}")),
            trigger: Some("push".into()),
            git_ref: Some(format!("refs/tags/v{}", r.version)),
            verified: None,
        }),
    };
    r.publisher = Some(gha());
    r
}

fn level(mut r: Release, level: TrustLevel) -> Release {
    r.trust.level = level;
    r
}

fn by(mut r: Release, publisher: Account) -> Release {
    r.publisher = Some(publisher);
    r
}

fn maintained(mut r: Release, maintainers: &[Account]) -> Release {
    r.maintainers = maintainers.to_vec();
    r
}

fn deps(mut r: Release, list: &[(&str, &str)]) -> Release {
    r.dependencies = list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    r
}

fn scripts(mut r: Release, list: &[(&str, &str)]) -> Release {
    r.install_scripts = list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    r
}

fn repo(mut r: Release, url: &str) -> Release {
    r.repository = Some(url.into());
    r
}

fn history(ecosystem: Ecosystem, name: &str, releases: Vec<Release>) -> PackageHistory {
    PackageHistory { ecosystem: Some(ecosystem), name: name.into(), releases, ..PackageHistory::default() }
}

struct Run<'a> {
    history: &'a PackageHistory,
    dependencies: BTreeMap<String, PackageHistory>,
    lockfile: Vec<Hash>,
    settings: SignalSettings,
    now: Timestamp,
}

impl<'a> Run<'a> {
    fn new(history: &'a PackageHistory) -> Self {
        Run {
            history,
            dependencies: BTreeMap::new(),
            lockfile: Vec::new(),
            settings: SignalSettings::default(),
            now: ts("2026-04-01T00:00:00Z"),
        }
    }

    fn with_dependency(mut self, h: PackageHistory) -> Self {
        self.dependencies.insert(h.name.clone(), h);
        self
    }

    fn cx(&self, version: &str) -> ReleaseContext<'_> {
        ReleaseContext {
            history: self.history,
            release: self.history.release(version).expect("release in history"),
            dependencies: &self.dependencies,
            lockfile_hashes: &self.lockfile,
            now: self.now,
            settings: &self.settings,
        }
    }

    fn findings(&self, version: &str) -> Vec<Finding> {
        signals::analyze(&self.cx(version))
    }
}

fn ids(findings: &[Finding]) -> BTreeSet<&'static str> {
    findings.iter().map(|f| f.signal.id).collect()
}

fn only<'f>(findings: &'f [Finding], id: &str) -> &'f Finding {
    let matching: Vec<&Finding> = findings.iter().filter(|f| f.signal.id == id).collect();
    assert_eq!(matching.len(), 1, "expected one {id} in {findings:#?}");
    matching[0]
}

fn evidence<'f>(f: &'f Finding, label: &str) -> &'f str {
    f.evidence.iter().find(|e| e.label == label).map(|e| e.value.as_str()).unwrap_or_else(|| {
        panic!("no evidence `{label}` in {f:#?}");
    })
}

fn set(list: &[&'static str]) -> BTreeSet<&'static str> {
    list.iter().copied().collect()
}

// --- the axios compromise -------------------------------------------------------------

fn axios() -> PackageHistory {
    let maintainer = account("jasonsaayman", "jasonsaayman@gmail.com");
    let attacker = account("jasonsaayman", "ifstap@proton.me");
    let base = [("follow-redirects", "^1.15.6"), ("form-data", "^4.0.4"), ("proxy-from-env", "^1.1.0")];
    let mut with_payload = base.to_vec();
    with_payload.push(("plain-crypto-js", "^4.2.1"));
    let good = |v: &str, at: &str| {
        repo(
            deps(maintained(trusted(npm(v, at), "axios/axios", "publish.yml"), &[maintainer.clone()]), &base),
            "git+https://github.com/axios/axios.git",
        )
    };
    let bad = |v: &str, at: &str| {
        repo(
            deps(maintained(by(npm(v, at), attacker.clone()), &[attacker.clone()]), &with_payload),
            "git+https://github.com/axios/axios.git",
        )
    };
    history(
        Ecosystem::Npm,
        "axios",
        vec![
            good("0.30.2", "2025-10-01T10:00:00Z"),
            good("0.30.3", "2026-01-15T10:00:00Z"),
            good("1.13.0", "2026-02-01T10:00:00Z"),
            good("1.14.0", "2026-03-27T19:01:40Z"),
            bad("1.14.1", "2026-03-31T00:21:00Z"),
            bad("0.30.4", "2026-03-31T01:00:00Z"),
        ],
    )
}

fn plain_crypto_js() -> PackageHistory {
    let owner = account("nrwise", "nrwise@proton.me");
    history(
        Ecosystem::Npm,
        "plain-crypto-js",
        vec![
            by(npm("4.2.0", "2026-03-30T05:57:00Z"), owner.clone()),
            scripts(by(npm("4.2.1", "2026-03-30T23:59:00Z"), owner), &[("postinstall", "node setup.js")]),
        ],
    )
}

#[test]
fn axios_1_14_1_raises_the_takeover_signals() {
    let h = axios();
    let run = Run::new(&h).with_dependency(plain_crypto_js());
    let findings = run.findings("1.14.1");
    assert_eq!(
        ids(&findings),
        set(&[
            "trust-downgrade",
            "new-publisher",
            "maintainer-email-changed",
            "dependency-added",
            "young-dependency"
        ]),
        "{findings:#?}"
    );
    let downgrade = only(&findings, "trust-downgrade");
    assert_eq!(downgrade.severity, Severity::High);
    assert_eq!(evidence(downgrade, "trust before"), "trusted-publisher (1.14.0 (2026-03-27T19:01:40Z))");
    assert_eq!(evidence(downgrade, "trust now"), "none (1.14.1 (2026-03-31T00:21:00Z))");
    assert_eq!(evidence(downgrade, "release line"), "1.x");
    let email = only(&findings, "maintainer-email-changed");
    assert_eq!(email.severity, Severity::High, "a change to a free-mail domain weighs more");
    assert_eq!(evidence(email, "email now"), "ifstap@proton.me in 1.14.1 (2026-03-31T00:21:00Z)");
    let young = only(&findings, "young-dependency");
    assert_eq!(young.severity, Severity::High, "the dependency runs a postinstall");
    assert_eq!(evidence(young, "age (hours)"), "18");
    assert_eq!(evidence(young, "install scripts"), "postinstall: node setup.js");
    assert_eq!(evidence(young, "dependency release at the time"), "4.2.1 (2026-03-30T23:59:00Z)");
    assert_eq!(only(&findings, "dependency-added").severity, Severity::Low);
    assert_eq!(only(&findings, "new-publisher").severity, Severity::Medium);
    // The default policy fails at high.
    assert!(findings.iter().any(|f| f.severity >= Severity::High));
}

#[test]
fn axios_0_30_4_is_judged_on_its_own_line_and_against_the_current_line() {
    let h = axios();
    let run = Run::new(&h).with_dependency(plain_crypto_js());
    let findings = run.findings("0.30.4");
    // The email change and the new publisher were already visible on 1.14.1, published
    // 39 minutes earlier.
    assert_eq!(
        ids(&findings),
        set(&["trust-downgrade", "out-of-band-release", "dependency-added", "young-dependency"]),
        "{findings:#?}"
    );
    let downgrade = only(&findings, "trust-downgrade");
    assert_eq!(evidence(downgrade, "release line"), "0.30.x");
    assert!(
        evidence(downgrade, "trust before").contains("0.30.3"),
        "the latest release at the strongest level"
    );
    let oob = only(&findings, "out-of-band-release");
    assert!(
        evidence(oob, "current line").starts_with("1.x: 1.14.0 "),
        "the malicious 1.14.1 is not the reference"
    );
    assert_eq!(evidence(only(&findings, "young-dependency"), "age (hours)"), "19");
}

#[test]
fn plain_crypto_js_4_2_1_adds_a_postinstall() {
    let h = plain_crypto_js();
    let run = Run::new(&h);
    let findings = run.findings("4.2.1");
    assert_eq!(ids(&findings), set(&["install-script-added"]), "{findings:#?}");
    let added = only(&findings, "install-script-added");
    assert_eq!(added.severity, Severity::High);
    assert_eq!(evidence(added, "postinstall now"), "node setup.js in 4.2.1 (2026-03-30T23:59:00Z)");
    assert_eq!(evidence(added, "hooks before"), "none in 4.2.0 (2026-03-30T05:57:00Z)");
    assert!(run.findings("4.2.0").is_empty(), "a first release has nothing to compare with");
}

// --- trust-downgrade: release lines ----------------------------------------------------

#[test]
fn an_old_line_is_compared_with_its_own_line_only() {
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![
            npm("0.30.3", "2025-01-01T00:00:00Z"),
            trusted(npm("1.14.0", "2026-01-01T00:00:00Z"), "o/pkg", "release.yml"),
            npm("0.30.4", "2026-02-01T00:00:00Z"),
        ],
    );
    let findings = Run::new(&h).findings("0.30.4");
    assert!(!ids(&findings).contains("trust-downgrade"), "{findings:#?}");
    // The path differs from the current line's, which is its own, weaker signal.
    assert_eq!(only(&findings, "out-of-band-release").severity, Severity::Medium);
}

#[test]
fn zero_major_lines_are_major_minor() {
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![
            level(npm("0.2.0", "2025-01-01T00:00:00Z"), TrustLevel::Provenance),
            npm("0.3.0", "2025-02-01T00:00:00Z"),
            npm("0.3.1", "2025-03-01T00:00:00Z"),
        ],
    );
    let run = Run::new(&h);
    assert!(!ids(&run.findings("0.3.0")).contains("trust-downgrade"), "0.3 is a new line");
    assert!(!ids(&run.findings("0.3.1")).contains("trust-downgrade"));
}

#[test]
fn stable_releases_ignore_prereleases_but_prereleases_do_not() {
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![
            npm("1.4.0", "2025-01-01T00:00:00Z"),
            trusted(npm("1.5.0-canary.1", "2025-02-01T00:00:00Z"), "o/pkg", "canary.yml"),
            npm("1.5.0", "2025-03-01T00:00:00Z"),
            npm("1.6.0-beta.1", "2025-04-01T00:00:00Z"),
        ],
    );
    let run = Run::new(&h);
    assert!(
        !ids(&run.findings("1.5.0")).contains("trust-downgrade"),
        "canary builds come from another pipeline"
    );
    let findings = run.findings("1.6.0-beta.1");
    let downgrade = only(&findings, "trust-downgrade");
    assert!(evidence(downgrade, "trust before").contains("1.5.0-canary.1"));
}

#[test]
fn publish_order_differing_from_version_order_is_not_a_downgrade() {
    // pnpm's false positive: a backport published after a higher, trusted release.
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![
            npm("1.1.8", "2025-01-01T00:00:00Z"),
            trusted(npm("1.2.0", "2025-02-01T00:00:00Z"), "o/pkg", "release.yml"),
            npm("1.1.9", "2025-03-01T00:00:00Z"),
            // Trusted publishing set up later, on a backport of an older version.
            npm("1.3.0", "2025-04-01T00:00:00Z"),
            trusted(npm("1.2.9", "2025-05-01T00:00:00Z"), "o/pkg", "release.yml"),
        ],
    );
    let run = Run::new(&h);
    assert!(!ids(&run.findings("1.1.9")).contains("trust-downgrade"));
    // 1.3.0 is lower than 1.2.0's trust: that one is real.
    assert_eq!(only(&run.findings("1.3.0"), "trust-downgrade").severity, Severity::High);
    // 1.2.9 was published after 1.3.0, so it never made 1.3.0 look downgraded: the
    // evidence names 1.2.0, not the later backport.
    assert!(evidence(only(&run.findings("1.3.0"), "trust-downgrade"), "trust before").contains("1.2.0"));
}

#[test]
fn a_downgrade_already_reported_weighs_low_and_signature_only_medium() {
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![
            level(npm("1.0.0", "2025-01-01T00:00:00Z"), TrustLevel::Provenance),
            npm("1.0.1", "2025-02-01T00:00:00Z"),
            npm("1.0.2", "2025-03-01T00:00:00Z"),
            level(npm("2.0.0", "2025-04-01T00:00:00Z"), TrustLevel::Signature),
            npm("2.0.1", "2025-05-01T00:00:00Z"),
        ],
    );
    let run = Run::new(&h);
    assert_eq!(only(&run.findings("1.0.1"), "trust-downgrade").severity, Severity::High);
    assert_eq!(only(&run.findings("1.0.2"), "trust-downgrade").severity, Severity::Low);
    assert_eq!(only(&run.findings("2.0.1"), "trust-downgrade").severity, Severity::Medium);
}

#[test]
fn pypi_release_without_attestations_after_attested_ones() {
    let py = |v: &str, at: &str| rel(Ecosystem::PyPI, v, at);
    let h = history(
        Ecosystem::PyPI,
        "sampleproject",
        vec![
            level(py("4.0.0", "2025-01-01T00:00:00Z"), TrustLevel::Provenance),
            level(py("4.0.1", "2025-02-01T00:00:00Z"), TrustLevel::Provenance),
            py("4.1.0", "2025-03-01T00:00:00Z"),
        ],
    );
    let findings = Run::new(&h).findings("4.1.0");
    assert_eq!(only(&findings, "trust-downgrade").severity, Severity::High);
    assert!(evidence(only(&findings, "trust-downgrade"), "trust before").starts_with("provenance (4.0.1"));
}

// --- unknown fields --------------------------------------------------------------------

#[test]
fn unknown_fields_never_fire() {
    // A mirror that drops `_npmUser`, `maintainers`, attestations and times.
    let bare = |v: &str| npm(v, "");
    let h = history(Ecosystem::Npm, "bare-package-name", vec![bare("1.0.0"), bare("1.0.1"), bare("1.1.0")]);
    let run = Run::new(&h);
    for v in ["1.0.0", "1.0.1", "1.1.0"] {
        assert!(run.findings(v).is_empty(), "{v}: {:#?}", run.findings(v));
    }
    // Known before, unknown now: still no change.
    let h = history(
        Ecosystem::Npm,
        "bare-package-name",
        vec![
            maintained(
                by(npm("1.0.0", "2025-01-01T00:00:00Z"), account("a", "a@corp.example")),
                &[account("a", "a@corp.example")],
            ),
            npm("1.0.1", "2025-02-01T00:00:00Z"),
            by(npm("1.0.2", "2025-03-01T00:00:00Z"), Account { name: "a".into(), email: None }),
        ],
    );
    let run = Run::new(&h);
    assert!(run.findings("1.0.1").is_empty(), "{:#?}", run.findings("1.0.1"));
    assert!(run.findings("1.0.2").is_empty(), "{:#?}", run.findings("1.0.2"));
}

#[test]
fn unparsable_versions_take_no_part() {
    let mut h =
        history(Ecosystem::Npm, "pkg", vec![trusted(npm("1.0.0", "2025-01-01T00:00:00Z"), "o/p", "r.yml")]);
    h.releases.push(Release { version: "not a version".into(), ..Release::default() });
    let run = Run::new(&h);
    assert!(run.findings("not a version").is_empty());
}

// --- provenance ------------------------------------------------------------------------

#[test]
fn provenance_identity_changes_by_field() {
    let mut fork = trusted(npm("1.0.2", "2025-03-01T00:00:00Z"), "evil/pkg", "release.yml");
    fork.publisher = Some(gha());
    let mut renamed = trusted(npm("1.0.3", "2025-04-01T00:00:00Z"), "evil/pkg", "publish.yml");
    if let Some(id) = renamed.trust.identity.as_mut() {
        id.repository = Some("git+https://github.com/EVIL/pkg.git".into());
    }
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![
            trusted(npm("1.0.0", "2025-01-01T00:00:00Z"), "o/pkg", "release.yml"),
            trusted(npm("1.0.1", "2025-02-01T00:00:00Z"), "o/pkg", "release.yml"),
            fork,
            renamed,
        ],
    );
    let run = Run::new(&h);
    assert!(run.findings("1.0.1").is_empty(), "{:#?}", run.findings("1.0.1"));
    let findings = run.findings("1.0.2");
    let changed = only(&findings, "provenance-identity-changed");
    assert_eq!(changed.severity, Severity::High);
    assert_eq!(
        evidence(changed, "repository before"),
        "https://github.com/o/pkg in 1.0.1 (2025-02-01T00:00:00Z)"
    );
    assert_eq!(
        evidence(changed, "repository now"),
        "https://github.com/evil/pkg in 1.0.2 (2025-03-01T00:00:00Z)"
    );
    // Same repository spelled differently, only the workflow file renamed: medium.
    let findings = run.findings("1.0.3");
    let changed = only(&findings, "provenance-identity-changed");
    assert_eq!(changed.severity, Severity::Medium, "{changed:#?}");
    assert!(changed.message.contains("workflow"));
    assert!(!changed.message.contains("repository"));
}

#[test]
fn provenance_that_does_not_verify() {
    let mut bad = trusted(npm("1.0.1", "2025-02-01T00:00:00Z"), "o/pkg", "release.yml");
    if let Some(id) = bad.trust.identity.as_mut() {
        id.verified = Some(false);
    }
    let mut good = trusted(npm("1.0.2", "2025-03-01T00:00:00Z"), "o/pkg", "release.yml");
    if let Some(id) = good.trust.identity.as_mut() {
        id.verified = Some(true);
    }
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![trusted(npm("1.0.0", "2025-01-01T00:00:00Z"), "o/pkg", "release.yml"), bad, good],
    );
    let run = Run::new(&h);
    assert_eq!(ids(&run.findings("1.0.1")), set(&["provenance-invalid"]));
    assert_eq!(only(&run.findings("1.0.1"), "provenance-invalid").severity, Severity::High);
    assert!(run.findings("1.0.2").is_empty(), "verified (or unchecked) provenance raises nothing");
}

// --- publishers and maintainers --------------------------------------------------------

#[test]
fn publishers_maintainers_and_emails() {
    let alice = account("alice", "alice@corp.example");
    let bob = account("bob", "bob@corp.example");
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![
            maintained(by(npm("1.0.0", "2025-01-01T00:00:00Z"), alice.clone()), &[alice.clone()]),
            maintained(
                by(npm("1.0.1", "2025-02-01T00:00:00Z"), alice.clone()),
                &[alice.clone(), bob.clone()],
            ),
            maintained(by(npm("1.0.2", "2025-03-01T00:00:00Z"), bob.clone()), &[alice.clone(), bob.clone()]),
            maintained(by(npm("1.0.3", "2025-04-01T00:00:00Z"), bob.clone()), &[bob.clone()]),
            maintained(
                by(npm("1.0.4", "2025-05-01T00:00:00Z"), account("bob", "bob@other.example")),
                &[account("bob", "bob@other.example")],
            ),
            maintained(
                by(npm("1.0.5", "2025-06-01T00:00:00Z"), account("BOB", "b0b@gmx.de")),
                &[account("bob", "b0b@gmx.de")],
            ),
        ],
    );
    let run = Run::new(&h);
    let added = run.findings("1.0.1");
    assert_eq!(ids(&added), set(&["maintainers-changed"]));
    assert_eq!(only(&added, "maintainers-changed").severity, Severity::Medium);
    assert_eq!(evidence(only(&added, "maintainers-changed"), "added"), "bob");
    assert_eq!(ids(&run.findings("1.0.2")), set(&["new-publisher"]));
    assert!(evidence(only(&run.findings("1.0.2"), "new-publisher"), "publishers before").contains("alice"));
    let removed = run.findings("1.0.3");
    assert_eq!(ids(&removed), set(&["maintainers-changed"]));
    assert_eq!(only(&removed, "maintainers-changed").severity, Severity::Low, "only a removal");
    let email = run.findings("1.0.4");
    assert_eq!(ids(&email), set(&["maintainer-email-changed"]), "one finding per account");
    assert_eq!(only(&email, "maintainer-email-changed").severity, Severity::Medium);
    let free = run.findings("1.0.5");
    assert_eq!(ids(&free), set(&["maintainer-email-changed"]), "account names compare without case");
    assert_eq!(only(&free, "maintainer-email-changed").severity, Severity::High);
}

#[test]
fn free_mail_domains() {
    use firebreak_analysis::signals::publisher::is_free_mail;
    for yes in ["a@gmail.com", "a@GMX.DE", "a@gmx.net", "a@proton.me", "a@yandex.ru", "a@qq.com", "163.com"] {
        assert!(is_free_mail(yes), "{yes}");
    }
    for no in ["a@corp.example", "a@gmx.corp.example", "a@notgmail.com", "a@github.com"] {
        assert!(!is_free_mail(no), "{no}");
    }
}

// --- install scripts -------------------------------------------------------------------

#[test]
fn install_scripts_added_changed_and_unchanged() {
    let h = history(
        Ecosystem::Npm,
        "native",
        vec![
            scripts(npm("0.9.0", "2025-01-01T00:00:00Z"), &[("install", "node-gyp rebuild")]),
            scripts(npm("1.0.0", "2025-02-01T00:00:00Z"), &[("install", "node-gyp rebuild")]),
            scripts(npm("1.0.1", "2025-03-01T00:00:00Z"), &[("install", "node install.js")]),
            scripts(
                npm("1.0.2", "2025-04-01T00:00:00Z"),
                &[("install", "node install.js"), ("preinstall", "sh x.sh")],
            ),
            npm("1.0.3", "2025-05-01T00:00:00Z"),
            scripts(npm("1.0.4", "2025-06-01T00:00:00Z"), &[("postinstall", "node p.js")]),
        ],
    );
    let run = Run::new(&h);
    assert!(run.findings("1.0.0").is_empty(), "an esbuild-style hook that never changes raises nothing");
    let changed = run.findings("1.0.1");
    assert_eq!(ids(&changed), set(&["install-script-changed"]));
    assert_eq!(
        evidence(only(&changed, "install-script-changed"), "install before"),
        "node-gyp rebuild in 1.0.0 (2025-02-01T00:00:00Z)"
    );
    assert_eq!(ids(&run.findings("1.0.2")), set(&["install-script-added"]));
    assert!(run.findings("1.0.3").is_empty(), "removing hooks is not a finding");
    assert_eq!(ids(&run.findings("1.0.4")), set(&["install-script-added"]));
}

// --- dependencies ----------------------------------------------------------------------

fn dependency_history(name: &str, first: &str, with_script: bool) -> PackageHistory {
    let mut r = npm("1.0.0", first);
    if with_script {
        r = scripts(r, &[("postinstall", "node i.js")]);
    }
    history(Ecosystem::Npm, name, vec![r])
}

#[test]
fn dependencies_added_in_patch_and_minor_but_not_major() {
    let h = history(
        Ecosystem::Npm,
        "app",
        vec![
            deps(npm("1.0.0", "2025-01-01T00:00:00Z"), &[("left-pad", "^1.0.0")]),
            deps(npm("1.1.0", "2025-06-01T00:00:00Z"), &[("left-pad", "^1.0.0"), ("fresh-dep", "^1.0.0")]),
            deps(
                npm("1.1.1", "2025-06-10T00:00:00Z"),
                &[("left-pad", "^1.0.0"), ("fresh-dep", "^1.0.0"), ("old-dep", "^1")],
            ),
            deps(
                npm("1.1.2", "2025-06-20T00:00:00Z"),
                &[("left-pad", "^1.0.0"), ("fresh-dep", "^1.0.0"), ("old-dep", "^1"), ("unfetched", "^1")],
            ),
            deps(npm("2.0.0", "2025-07-01T00:00:00Z"), &[("brand-new", "^1.0.0")]),
        ],
    );
    let run = Run::new(&h)
        .with_dependency(dependency_history("fresh-dep", "2025-05-31T00:00:00Z", false))
        .with_dependency(dependency_history("old-dep", "2020-01-01T00:00:00Z", true))
        .with_dependency(dependency_history("brand-new", "2025-06-30T23:00:00Z", true));
    let minor = run.findings("1.1.0");
    assert_eq!(ids(&minor), set(&["dependency-added", "young-dependency"]));
    let young = only(&minor, "young-dependency");
    assert_eq!(young.severity, Severity::Medium, "no install script");
    assert_eq!(evidence(young, "age (hours)"), "24");
    assert_eq!(evidence(young, "threshold (hours)"), "72");
    let patch = run.findings("1.1.1");
    assert_eq!(ids(&patch), set(&["dependency-added"]), "an old dependency is not young");
    assert_eq!(
        evidence(only(&patch, "dependency-added"), "install scripts of old-dep@1.0.0"),
        "postinstall: node i.js"
    );
    let unfetched = run.findings("1.1.2");
    assert_eq!(ids(&unfetched), set(&["dependency-added"]), "no history, no age: not young");
    assert!(run.findings("2.0.0").is_empty(), "a major release may add dependencies");
    // A dependency "first published" after the release that needs it: rewritten times.
    let rewritten =
        Run::new(&h).with_dependency(dependency_history("fresh-dep", "2025-06-02T00:00:00Z", true));
    assert_eq!(ids(&rewritten.findings("1.1.0")), set(&["dependency-added"]));
    // The threshold is a setting.
    let mut strict =
        Run::new(&h).with_dependency(dependency_history("fresh-dep", "2025-05-31T00:00:00Z", false));
    strict.settings.young_dependency_hours = 24;
    assert!(!ids(&strict.findings("1.1.0")).contains("young-dependency"), "24 hours is not under 24");
}

#[test]
fn a_typosquatted_dependency() {
    let h = history(
        Ecosystem::Npm,
        "app",
        vec![
            deps(npm("1.0.0", "2025-01-01T00:00:00Z"), &[("lodash", "^4")]),
            deps(npm("1.0.1", "2025-02-01T00:00:00Z"), &[("lodash", "^4"), ("crossenv", "^1")]),
            deps(
                npm("2.0.0", "2025-03-01T00:00:00Z"),
                &[("lodash", "^4"), ("crossenv", "^1"), ("expresss", "^4")],
            ),
        ],
    );
    let run = Run::new(&h).with_dependency(dependency_history("crossenv", "2025-01-31T12:00:00Z", false));
    let findings = run.findings("1.0.1");
    assert_eq!(ids(&findings), set(&["dependency-added", "young-dependency", "dependency-typosquat"]));
    let squat = only(&findings, "dependency-typosquat");
    assert_eq!(evidence(squat, "popular package"), "cross-env");
    assert_eq!(evidence(squat, "difference"), "separators");
    assert_eq!(squat.severity, Severity::High, "young and a near miss");
    // Majors are checked for typosquats too, only for what is new.
    let major = run.findings("2.0.0");
    assert_eq!(ids(&major), set(&["dependency-typosquat"]));
    assert_eq!(evidence(only(&major, "dependency-typosquat"), "name"), "expresss");
    assert_eq!(only(&major, "dependency-typosquat").severity, Severity::Medium);
}

// --- typosquat functions ---------------------------------------------------------------

#[test]
fn typosquat_near_misses() {
    let npm = |name: &str| typosquat_target(Ecosystem::Npm, name).map(|m| (m.popular, m.kind));
    assert_eq!(npm("lodahs"), Some(("lodash".into(), TyposquatKind::EditDistance(1))));
    assert_eq!(npm("expresss"), Some(("express".into(), TyposquatKind::EditDistance(1))));
    assert_eq!(npm("crossenv"), Some(("cross-env".into(), TyposquatKind::Separator)));
    assert_eq!(npm("cross_env"), Some(("cross-env".into(), TyposquatKind::Separator)));
    assert_eq!(npm("l0dash"), Some(("lodash".into(), TyposquatKind::Homoglyph)));
    assert_eq!(npm("rnocha"), Some(("mocha".into(), TyposquatKind::Homoglyph)));
    assert_eq!(npm("@evil/lodash"), None, "a popular name under another scope is how scopes are used");
    assert_eq!(npm("@types/nodee"), None, "names of one scope are its owner's");
    assert_eq!(npm("babel-traverse-x").map(|m| m.1), None, "three edits from anything popular");
    assert_eq!(
        npm("eslint-plugin-raect-hoks"),
        Some(("eslint-plugin-react-hooks".into(), TyposquatKind::EditDistance(2))),
        "two edits for long names"
    );
    assert_eq!(npm("eslint-plugin-raect-hooks-x").map(|m| m.1), None, "but not three");
    let py = |name: &str| typosquat_target(Ecosystem::PyPI, name).map(|m| (m.popular, m.kind));
    assert_eq!(py("reqeusts"), Some(("requests".into(), TyposquatKind::EditDistance(1))));
    assert_eq!(py("python-dateutils").map(|m| m.0), Some("python-dateutil".into()));
    let crates = |name: &str| typosquat_target(Ecosystem::CratesIo, name).map(|m| (m.popular, m.kind));
    assert_eq!(crates("serde_jsno"), Some(("serde_json".into(), TyposquatKind::EditDistance(1))));
}

#[test]
fn typosquat_non_misses() {
    for popular in ["lodash", "react-dom", "react-is", "colors", "color", "@types/node", "JSONStream"] {
        assert_eq!(typosquat_target(Ecosystem::Npm, popular), None, "{popular} is popular itself");
    }
    // Names under 5 characters are too close to everything to judge by edit distance.
    for short in ["rect", "lodas", "vue2", "exprss-not-close"] {
        let found = typosquat_target(Ecosystem::Npm, short);
        assert!(found.is_none() || short == "lodas", "{short}: {found:?}");
    }
    assert_eq!(typosquat_target(Ecosystem::Npm, "abc"), None);
    assert_eq!(typosquat_target(Ecosystem::Npm, ""), None);
    assert_eq!(typosquat_target(Ecosystem::Npm, &"a".repeat(10_000)), None);
    // crates.io treats `-` and `_` as one name: not a squat, the same crate.
    assert_eq!(typosquat_target(Ecosystem::CratesIo, "serde-json"), None);
    assert_eq!(typosquat_target(Ecosystem::PyPI, "Typing_Extensions"), None, "PEP 503 normalisation");
    assert_eq!(typosquat_target(Ecosystem::Go, "github.com/x/y"), None);
    assert_eq!(typosquat_target(Ecosystem::Npm, "plain-crypto-js"), None);
}

#[test]
fn popular_lists_load_and_custom_lists_parse() {
    for (ecosystem, at_least) in [(Ecosystem::Npm, 3000), (Ecosystem::PyPI, 3000), (Ecosystem::CratesIo, 300)]
    {
        let list = popular_names(ecosystem).unwrap();
        assert!(list.len() >= at_least, "{ecosystem:?}: {}", list.len());
        assert_eq!(list.ecosystem(), ecosystem);
    }
    let custom = signals::PopularNames::parse(Ecosystem::PyPI, "# comment\nDjango\n\ndjango\nflask\n");
    assert_eq!(custom.len(), 2, "duplicates after normalisation are dropped");
    assert!(custom.contains("DJANGO"));
    let m = custom.near_miss("djangp").unwrap();
    assert_eq!((m.popular.as_str(), m.rank), ("Django", 1));
    assert_eq!(custom.near_miss("flsak").map(|m| m.kind), Some(TyposquatKind::EditDistance(1)));
    let scoped = signals::PopularNames::parse(Ecosystem::Npm, "@acme/widgets\nlodash\n");
    let kind = |name: &str| scoped.near_miss(name).map(|m| (m.popular, m.kind));
    assert_eq!(kind("acme-widgets"), Some(("@acme/widgets".into(), TyposquatKind::Scope)));
    assert_eq!(kind("acmewidgets"), Some(("@acme/widgets".into(), TyposquatKind::Scope)));
    assert_eq!(kind("@other/widgets"), None, "same base under another scope is not judged");
    assert_eq!(kind("@x/lodash"), None);
    assert_eq!(kind("@lodash/x"), None);
    let folded = signals::PopularNames::parse(Ecosystem::Npm, "babel-core-js\n");
    assert_eq!(folded.near_miss("@babel/core-js").map(|m| m.kind), Some(TyposquatKind::Scope));
}

#[test]
fn package_typosquat_on_the_release_itself() {
    let h = history(Ecosystem::Npm, "expresss", vec![npm("1.0.0", "2025-01-01T00:00:00Z")]);
    let findings = Run::new(&h).findings("1.0.0");
    assert_eq!(ids(&findings), set(&["package-typosquat"]));
    let f = only(&findings, "package-typosquat");
    assert_eq!(evidence(f, "popular package"), "express");
    assert_eq!(evidence(f, "edit distance"), "1");
    assert!(signals::package_typosquat(Ecosystem::Npm, "express").is_none());
}

// --- release age -----------------------------------------------------------------------

#[test]
fn release_age_against_a_minimum() {
    let h = history(Ecosystem::Npm, "pkg", vec![npm("1.0.0", "2026-03-31T00:00:00Z"), npm("1.0.1", "")]);
    let run = Run::new(&h); // now = 2026-04-01T00:00:00Z
    let three_days = 3 * 86_400;
    match release_too_young(&run.cx("1.0.0"), three_days) {
        ReleaseAge::TooYoung(f) => {
            assert_eq!(f.signal.id, "release-too-young");
            assert_eq!(evidence(&f, "age (seconds)"), "86400");
            assert_eq!(evidence(&f, "minimum age (seconds)"), "259200");
            assert!(f.message.contains("1d 0h ago"), "{}", f.message);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(release_too_young(&run.cx("1.0.0"), 86_400), ReleaseAge::OldEnough { age_seconds: 86_400 });
    match release_too_young(&run.cx("1.0.1"), three_days) {
        ReleaseAge::Unknown(f) => {
            assert_eq!(f.signal.id, "publish-time-missing");
            assert_eq!(f.severity, Severity::Info);
        }
        other => panic!("{other:?}"),
    }
    // Not one of the analyzers: the policy decides the minimum.
    assert!(!signals::ANALYZERS.iter().flat_map(|a| a.signals()).any(|s| s.id == "release-too-young"));
}

// --- history anomalies -----------------------------------------------------------------

#[test]
fn dormant_revival_after_the_configured_gap() {
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![
            npm("1.0.0", "2020-01-01T00:00:00Z"),
            npm("1.0.1", "2023-01-01T00:00:00Z"),
            npm("1.0.2", "2023-06-01T00:00:00Z"),
        ],
    );
    let run = Run::new(&h);
    let findings = run.findings("1.0.1");
    assert_eq!(ids(&findings), set(&["dormant-revival"]));
    assert_eq!(evidence(only(&findings, "dormant-revival"), "gap (days)"), "1096");
    assert!(run.findings("1.0.2").is_empty());
}

#[test]
fn version_jumps() {
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![
            npm("1.2.0", "2025-01-01T00:00:00Z"),
            npm("3.0.0", "2025-02-01T00:00:00Z"),
            npm("99.0.0", "2025-03-01T00:00:00Z"),
            npm("2025.1.0", "2025-04-01T00:00:00Z"),
        ],
    );
    let run = Run::new(&h);
    assert!(run.findings("3.0.0").is_empty());
    let jump = run.findings("99.0.0");
    assert_eq!(ids(&jump), set(&["version-jump"]));
    assert_eq!(evidence(only(&jump, "version-jump"), "major jump"), "96");
    assert_eq!(only(&run.findings("2025.1.0"), "version-jump").severity, Severity::Low, "calendar versions");
    let confusion = history(Ecosystem::Npm, "internal-name", vec![npm("9999.0.0", "2025-01-01T00:00:00Z")]);
    assert_eq!(ids(&Run::new(&confusion).findings("9999.0.0")), set(&["version-jump"]));
}

#[test]
fn repository_changed_or_missing() {
    let h = history(
        Ecosystem::Npm,
        "pkg",
        vec![
            repo(npm("1.0.0", "2025-01-01T00:00:00Z"), "git+https://github.com/o/pkg.git"),
            repo(npm("1.0.1", "2025-02-01T00:00:00Z"), "github:o/pkg"),
            repo(npm("1.0.2", "2025-03-01T00:00:00Z"), "https://github.com/someone-else/pkg"),
            npm("1.0.3", "2025-04-01T00:00:00Z"),
        ],
    );
    let run = Run::new(&h);
    assert!(run.findings("1.0.1").is_empty(), "the same repository spelled another way");
    let changed = run.findings("1.0.2");
    assert_eq!(ids(&changed), set(&["repository-changed"]));
    assert_eq!(
        evidence(only(&changed, "repository-changed"), "repository before"),
        "github:o/pkg in 1.0.1 (2025-02-01T00:00:00Z)"
    );
    assert_eq!(ids(&run.findings("1.0.3")), set(&["repository-missing"]));
}

#[test]
fn deprecated_yanked_and_neighbours() {
    let mut yanked = npm("1.0.2", "2025-03-01T00:00:00Z");
    yanked.yanked = Some("malware".into());
    let mut deprecated = npm("1.0.0", "2025-01-01T00:00:00Z");
    deprecated.deprecated = Some("use 2.x\nsecond line".into());
    let h = history(
        Ecosystem::CratesIo,
        "pkg",
        vec![
            deprecated,
            npm("1.0.1", "2025-02-27T00:00:00Z"),
            yanked,
            npm("1.0.3", "2025-06-01T00:00:00Z"),
            npm("1.0.4", "2025-07-01T00:00:00Z"),
        ],
    );
    let run = Run::new(&h);
    let f = run.findings("1.0.0");
    assert_eq!(ids(&f), set(&["deprecated"]));
    assert_eq!(only(&f, "deprecated").message, "1.0.0 is deprecated: use 2.x");
    let f = run.findings("1.0.2");
    assert_eq!(ids(&f), set(&["yanked"]));
    assert_eq!(evidence(only(&f, "yanked"), "reason"), "malware");
    assert_eq!(ids(&run.findings("1.0.1")), set(&["yanked-neighbour"]), "published two days before");
    assert_eq!(ids(&run.findings("1.0.3")), set(&["yanked-neighbour"]), "next in version order");
    assert!(run.findings("1.0.4").is_empty());
}

#[test]
fn lockfile_integrity_against_the_registry() {
    let mut r = npm("1.0.0", "2025-01-01T00:00:00Z");
    r.hashes = vec![Hash::hex(HashAlgorithm::Sha512, "aa11"), Hash::hex(HashAlgorithm::Sha1, "bb22")];
    let h = history(Ecosystem::Npm, "pkg", vec![r]);
    let mut run = Run::new(&h);
    run.lockfile = vec![Hash::hex(HashAlgorithm::Sha512, "AA11")];
    assert!(run.findings("1.0.0").is_empty(), "hex compares without case");
    run.lockfile = vec![Hash::hex(HashAlgorithm::Sha256, "cc33")];
    assert!(run.findings("1.0.0").is_empty(), "no common algorithm, nothing to compare");
    run.lockfile = vec![Hash::hex(HashAlgorithm::Sha512, "dd44"), Hash::hex(HashAlgorithm::Sha1, "bb22")];
    let f = run.findings("1.0.0");
    assert_eq!(ids(&f), set(&["lockfile-integrity-mismatch"]));
    let m = only(&f, "lockfile-integrity-mismatch");
    assert_eq!(m.severity, Severity::High);
    assert_eq!(evidence(m, "lockfile"), "sha-512:dd44");
    assert_eq!(evidence(m, "registry"), "sha-512:aa11");
}

// --- the registry of signals -----------------------------------------------------------

#[test]
fn signal_ids_are_unique_kebab_case_and_described() {
    let all = signals::signals();
    let unique: BTreeSet<&str> = all.iter().map(|s| s.id).collect();
    assert_eq!(unique.len(), all.len(), "duplicate id");
    for s in &all {
        assert!(s.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{}", s.id);
        assert!(!s.title.is_empty() && !s.help.is_empty(), "{}", s.id);
    }
    for id in [
        "trust-downgrade",
        "provenance-identity-changed",
        "provenance-invalid",
        "new-publisher",
        "maintainers-changed",
        "maintainer-email-changed",
        "install-script-added",
        "install-script-changed",
        "dependency-added",
        "young-dependency",
        "dependency-typosquat",
        "package-typosquat",
        "release-too-young",
        "publish-time-missing",
        "dormant-revival",
        "out-of-band-release",
        "version-jump",
        "repository-changed",
        "repository-missing",
        "deprecated",
        "yanked",
        "yanked-neighbour",
        "lockfile-integrity-mismatch",
        "package-not-found",
    ] {
        assert!(unique.contains(id), "{id}");
    }
    assert_eq!(unique.len(), 24);
}

#[test]
fn hostile_histories_do_not_panic() {
    let at = |seconds: i64| Timestamp::from_unix(seconds, 0).unwrap();
    let mut releases = Vec::new();
    for (i, (v, t)) in [
        ("18446744073709551615.0.0", i64::MIN),
        ("0.0.0", i64::MAX),
        ("1.0.0-alpha", 0),
        ("1.0.0", i64::MIN),
        ("1.0.0", i64::MAX),
        ("2.0.0", 1),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = npm(v, "");
        r.published = Some(at(t));
        r.yanked = (i % 2 == 0).then(String::new);
        r.deprecated = Some(String::new());
        r.publisher = Some(account(&"x".repeat(i), ""));
        r.maintainers = vec![account("", ""), account("", "@")];
        r.install_scripts = [("postinstall".to_owned(), String::new())].into_iter().collect();
        r.dependencies =
            [("a".repeat(1000), String::new()), (String::new(), String::new())].into_iter().collect();
        r.repository = Some(["", ":", "@", "git@:", "github:"][i % 5].to_owned());
        r.trust.level = [TrustLevel::TrustedPublisher, TrustLevel::None][i % 2];
        r.trust.publisher = Some(TrustedPublisher::default());
        r.trust.identity = Some(BuildIdentity { verified: Some(false), ..BuildIdentity::default() });
        releases.push(r);
    }
    let h = history(Ecosystem::Npm, "", releases);
    let mut run =
        Run::new(&h).with_dependency(history(Ecosystem::Npm, &"a".repeat(1000), vec![npm("1.0.0", "")]));
    run.now = at(i64::MIN);
    run.lockfile = vec![Hash::hex(HashAlgorithm::Sha512, "")];
    for r in &h.releases {
        let cx = ReleaseContext { release: r, ..run.cx("2.0.0") };
        let _ = signals::analyze(&cx);
        let _ = release_too_young(&cx, i64::MAX);
        let _ = release_too_young(&cx, i64::MIN);
    }
}

//! The recorded incident scenarios of `fixtures/registry/`, read through the real clients.

mod common;

use firebreak_core::Timestamp;
use firebreak_registry::{PackageHistory, Registry, Release, TrustLevel};

fn t(s: &str) -> Option<Timestamp> {
    Some(Timestamp::parse(s).expect("a fixture time"))
}

fn release<'a>(h: &'a PackageHistory, v: &str) -> &'a Release {
    h.release(v).unwrap_or_else(|| panic!("{} has no {v}", h.name))
}

fn deps(r: &Release) -> Vec<(&str, &str)> {
    r.dependencies.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn axios_token_publish_after_trusted_publishing() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    let mut axios = regs.npm.history("axios").await.unwrap();
    assert!(axios.warnings.is_empty(), "{:?}", axios.warnings);
    assert_eq!(axios.releases.len(), 10);
    assert_eq!(axios.repository.as_deref(), Some("https://github.com/axios/axios"));
    assert_eq!(axios.created, t("2014-08-29T23:08:36.810Z"));

    let levels: Vec<(&str, TrustLevel)> =
        axios.sorted().iter().map(|r| (r.version.as_str(), r.trust.level)).collect();
    use TrustLevel::{Signature, TrustedPublisher};
    assert_eq!(
        levels,
        [
            ("0.30.1", TrustedPublisher),
            ("0.30.2", TrustedPublisher),
            ("0.30.3", TrustedPublisher),
            ("0.30.4", Signature),
            ("1.12.0", TrustedPublisher),
            ("1.12.2", TrustedPublisher),
            ("1.13.0", TrustedPublisher),
            ("1.13.2", TrustedPublisher),
            ("1.14.0", TrustedPublisher),
            ("1.14.1", Signature),
        ]
    );

    let good = release(&axios, "1.14.0");
    let publisher = good.publisher.as_ref().unwrap();
    assert_eq!(
        (publisher.name.as_str(), publisher.email.as_deref()),
        ("GitHub Actions", Some("npm-oidc-no-reply@github.com"))
    );
    let tp = good.trust.publisher.as_ref().unwrap();
    assert_eq!(tp.provider, "github");
    assert_eq!(tp.id.as_deref(), Some("oidc:9b8c2a7e-58c1-4a4f-9d0e-3f1b7e6c2d41"));
    assert!(
        good.trust
            .attestation_url
            .as_deref()
            .unwrap()
            .ends_with("/registry.npmjs.org/-/npm/v1/attestations/axios@1.14.0")
    );
    assert_eq!(good.maintainers[0].email.as_deref(), Some("jasonsaayman@axios-http.com"));
    assert_eq!(good.published, t("2026-03-12T11:22:05.318Z"));
    assert!(good.install_scripts.is_empty(), "build/test/version hooks are not install hooks");
    assert_eq!(
        deps(good),
        [("follow-redirects", "^1.15.6"), ("form-data", "^4.0.4"), ("proxy-from-env", "^1.1.0")]
    );
    assert!(good.artifact_url.as_deref().unwrap().ends_with("/axios/-/axios-1.14.0.tgz"));
    assert_eq!(good.hashes.len(), 2, "sha512 from integrity and sha1 from shasum");

    let bad = release(&axios, "1.14.1");
    let publisher = bad.publisher.as_ref().unwrap();
    assert_eq!(
        (publisher.name.as_str(), publisher.email.as_deref()),
        ("jasonsaayman", Some("ifstap@proton.me"))
    );
    assert_eq!(bad.trust.publisher, None);
    assert_eq!(bad.trust.attestation_url, None);
    assert_eq!(bad.maintainers[0].email.as_deref(), Some("ifstap@proton.me"));
    assert_eq!(bad.published, t("2026-03-31T00:21:58.168Z"));
    assert_eq!(bad.dependencies.get("plain-crypto-js").map(String::as_str), Some("^4.2.1"));
    let old_line = release(&axios, "0.30.4");
    assert_eq!(old_line.published, t("2026-03-31T01:00:57.226Z"));
    assert_eq!(old_line.dependencies.get("plain-crypto-js").map(String::as_str), Some("^4.2.1"));
    // No earlier release was published by the maintainer's own account.
    let publishers: Vec<&str> =
        axios.releases.iter().filter_map(|r| r.publisher.as_ref()).map(|a| a.name.as_str()).collect();
    assert_eq!(publishers.iter().filter(|p| **p == "jasonsaayman").count(), 2);

    // The provenance statement names the build; the token releases have none to fetch.
    regs.npm.complete(&mut axios, &["1.14.0", "1.14.1", "0.30.3"]).await.unwrap();
    let identity = release(&axios, "1.14.0").trust.identity.clone().unwrap();
    assert_eq!(identity.repository.as_deref(), Some("https://github.com/axios/axios"));
    assert_eq!(identity.workflow.as_deref(), Some(".github/workflows/publish.yml"));
    assert_eq!(identity.trigger.as_deref(), Some("release"));
    assert_eq!(identity.git_ref.as_deref(), Some("refs/tags/v1.14.0"));
    assert_eq!(identity.verified, None);
    assert_eq!(
        release(&axios, "0.30.3").trust.identity.as_ref().unwrap().git_ref.as_deref(),
        Some("refs/tags/v0.30.3")
    );
    assert_eq!(release(&axios, "1.14.1").trust.identity, None);

    let att = regs.npm.attestations("axios", "1.14.0", None).await.unwrap();
    assert_eq!(
        att.predicate_types,
        ["https://github.com/npm/attestation/tree/main/specs/publish/v0.1", "https://slsa.dev/provenance/v1"]
    );
    assert!(att.raw.pointer("/attestations/1/bundle/verificationMaterial/certificate/rawBytes").is_some());
    let missing = regs.npm.attestations("axios", "1.14.1", None).await.unwrap_err();
    assert!(matches!(missing, firebreak_registry::RegistryError::NotFound { .. }), "{missing}");
}

#[tokio::test]
async fn plain_crypto_js_adds_a_postinstall_18_hours_before_axios() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    let pcj = regs.npm.history("plain-crypto-js").await.unwrap();
    let clean = release(&pcj, "4.2.0");
    let dropper = release(&pcj, "4.2.1");
    assert!(clean.install_scripts.is_empty());
    assert_eq!(
        dropper.install_scripts.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(),
        [("postinstall", "node setup.js")]
    );
    assert_eq!(dropper.trust.level, TrustLevel::Signature);
    assert_eq!(pcj.first_published(), t("2026-03-29T11:40:12.902Z"));
    let axios = regs.npm.history("axios").await.unwrap();
    let gap = dropper.published.unwrap().hours_until(release(&axios, "1.14.1").published.unwrap());
    assert_eq!(gap, 18);
    assert!(clean.published.unwrap().hours_until(dropper.published.unwrap()) >= 18);
    // Impersonates crypto-js's repository.
    assert_eq!(dropper.repository.as_deref(), Some("https://github.com/brix/crypto-js"));

    for (name, first) in [
        ("follow-redirects", "2023-12-29T22:32:27.120Z"),
        ("form-data", "2021-02-15T13:59:39.314Z"),
        ("proxy-from-env", "2016-09-25T19:39:30.811Z"),
    ] {
        let h = regs.npm.history(name).await.unwrap();
        assert_eq!(h.first_published(), t(first), "{name}");
        assert!(h.releases.iter().all(|r| r.trust.level == TrustLevel::Signature), "{name}");
        assert!(h.warnings.is_empty(), "{name}: {:?}", h.warnings);
    }
    assert_eq!(
        regs.npm.history("follow-redirects").await.unwrap().repository.as_deref(),
        Some("https://github.com/follow-redirects/follow-redirects")
    );
}

#[tokio::test]
async fn pypi_unattested_release_adds_a_young_dependency() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    let mut h = regs.pypi.history("detectkit").await.unwrap();
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    let levels: Vec<(&str, TrustLevel)> =
        h.sorted().iter().map(|r| (r.version.as_str(), r.trust.level)).collect();
    assert_eq!(
        levels,
        [
            ("1.4.0", TrustLevel::TrustedPublisher),
            ("1.4.1", TrustLevel::TrustedPublisher),
            ("1.4.2", TrustLevel::TrustedPublisher),
            ("1.4.3", TrustLevel::None),
        ]
    );
    assert_eq!(
        h.maintainers.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["detectkit-bot", "mira-kovacs"]
    );
    assert_eq!(h.repository.as_deref(), Some("https://github.com/detectkit-org/detectkit"));
    assert_eq!(release(&h, "1.4.3").published, t("2024-12-05T13:05:44.202115Z"));
    assert_eq!(release(&h, "1.4.3").hashes.len(), 2);
    // The project document carries only the latest release's requires_dist.
    assert!(release(&h, "1.4.3").dependencies_known);
    assert!(!release(&h, "1.4.2").dependencies_known);
    assert!(release(&h, "1.4.2").dependencies.is_empty());

    fx.clear_log();
    regs.pypi.complete(&mut h, &["1.4.3", "1.4.2"]).await.unwrap();
    let fetched: Vec<String> = fx.requests().into_iter().map(|r| r.path).collect();
    assert!(!fetched.iter().any(|p| p.contains("/1.4.1/") || p.contains("/1.4.0/")), "{fetched:?}");
    let before = release(&h, "1.4.2");
    let after = release(&h, "1.4.3");
    assert_eq!(
        deps(before),
        [("numpy", ">=1.23.0"), ("opencv-python", ">=4.6.0"), ("torch", ">=1.8.0"), ("tqdm", ">=4.64.0")]
    );
    assert_eq!(after.dependencies.get("cuda-fastpath").map(String::as_str), Some(">=0.1.0"));
    assert!(!after.dependencies.contains_key("pytest"), "extras are not installed by default");
    let tp = before.trust.publisher.as_ref().unwrap();
    assert_eq!(tp.provider, "github");
    assert_eq!(tp.repository.as_deref(), Some("detectkit-org/detectkit"));
    assert_eq!(tp.workflow.as_deref(), Some("publish.yml"));
    let identity = before.trust.identity.as_ref().unwrap();
    assert_eq!(identity.repository.as_deref(), Some("https://github.com/detectkit-org/detectkit"));
    assert_eq!(after.trust.publisher, None);
    assert_eq!(
        after.maintainers[0].email.as_deref(),
        Some("Detectkit Maintainers <maintainers@detectkit.example.org>")
    );

    let dep = regs.pypi.history("cuda-fastpath").await.unwrap();
    let age = dep.first_published().unwrap().hours_until(after.published.unwrap());
    assert_eq!(age, 5, "first uploaded hours before the release that needs it");
    assert_eq!(dep.releases[0].trust.level, TrustLevel::None);
}

#[tokio::test]
async fn crate_patch_from_a_new_account_adds_a_near_miss_dependency() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    let h = regs.crates.history("logwise").await.unwrap();
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    assert_eq!(h.repository.as_deref(), Some("https://github.com/logwise-rs/logwise"));
    assert_eq!(
        h.maintainers.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["ana-logwise", "rs-release-ops"]
    );
    let rows: Vec<(&str, TrustLevel, Option<&str>)> = h
        .sorted()
        .iter()
        .map(|r| (r.version.as_str(), r.trust.level, r.publisher.as_ref().map(|a| a.name.as_str())))
        .collect();
    assert_eq!(
        rows,
        [
            ("0.3.0", TrustLevel::TrustedPublisher, None),
            ("0.3.1", TrustLevel::TrustedPublisher, None),
            ("0.3.2", TrustLevel::TrustedPublisher, None),
            ("0.3.3", TrustLevel::None, Some("rs-release-ops")),
        ]
    );
    let before = release(&h, "0.3.2");
    let tp = before.trust.publisher.as_ref().unwrap();
    assert_eq!((tp.provider.as_str(), tp.repository.as_deref()), ("github", Some("logwise-rs/logwise")));
    // The same publisher on every trusted release compares equal (no per-run data in it).
    assert_eq!(release(&h, "0.3.0").trust.publisher, before.trust.publisher);
    assert_eq!(
        before.trust.identity.as_ref().unwrap().repository.as_deref(),
        Some("https://github.com/logwise-rs/logwise")
    );
    assert_eq!(deps(before), [("log", "^0.4.22"), ("serde", "^1.0.200")], "dev-dependencies are left out");
    let after = release(&h, "0.3.3");
    assert_eq!(after.dependencies.get("faster_log").map(String::as_str), Some("^1.7.8"));
    assert_eq!(after.published, t("2026-02-09T21:48:19.120554Z"));
    // `config.json`'s `dl` is `https://static.crates.io/crates`, served (and so rewritten)
    // by the fixture registry, which holds the `.crate` files too.
    let expected = format!("{}/static.crates.io/crates/logwise/0.3.3/download", fx.origin());
    assert_eq!(after.artifact_url.as_deref(), Some(expected.as_str()));
    assert_eq!(after.hashes.len(), 1);

    let dep = regs.crates.history("faster_log").await.unwrap();
    assert_eq!(dep.first_published().unwrap().hours_until(after.published.unwrap()), 10);
    assert_eq!(dep.releases[0].publisher.as_ref().unwrap().name, "fastlog-dev");
    // The index config is fetched once per client.
    assert_eq!(fx.requests_to("/index.crates.io/config.json").len(), 1);
}

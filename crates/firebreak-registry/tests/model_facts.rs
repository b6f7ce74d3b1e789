//! Registry facts with their own representation: unpublished packages, deprecations,
//! yanked releases, paginated version lists.

mod common;

use firebreak_registry::Registry;

#[tokio::test]
async fn npm_unpublished_and_deprecated() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    fx.set_document(
        "/registry.npmjs.org/gone",
        r#"{"_id":"gone","name":"gone","time":{"created":"2020-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z",
            "unpublished":{"time":"2021-01-01T00:00:00.000Z","versions":["1.0.0"]}}}"#,
    );
    let h = regs.npm.history("gone").await.unwrap();
    assert!(h.unpublished);
    assert!(h.releases.is_empty());
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);

    fx.set_document(
        "/registry.npmjs.org/old",
        r#"{"name":"old","versions":{
            "1.0.0":{"deprecated":"use new instead","repository":"github:someone/old"},
            "1.0.1":{"deprecated":""},
            "1.0.2":{"deprecated":false}}}"#,
    );
    let h = regs.npm.history("old").await.unwrap();
    assert_eq!(h.release("1.0.0").unwrap().deprecated.as_deref(), Some("use new instead"));
    assert_eq!(h.release("1.0.0").unwrap().repository.as_deref(), Some("https://github.com/someone/old"));
    assert_eq!(h.release("1.0.1").unwrap().deprecated, None);
    assert_eq!(h.release("1.0.2").unwrap().deprecated, None);
}

#[tokio::test]
async fn npm_provenance_without_a_trusted_publisher() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    // `npm publish --provenance` from a token: attestations, but `_npmUser` is the person.
    fx.set_document(
        "/registry.npmjs.org/prov",
        r#"{"name":"prov","versions":{
            "1.0.0":{"_npmUser":{"name":"dev","email":"dev@example.org"},
                     "dist":{"attestations":{"url":"https://registry.npmjs.org/-/npm/v1/attestations/prov@1.0.0",
                                             "provenance":{"predicateType":"https://slsa.dev/provenance/v1"}},
                             "signatures":[{"keyid":"SHA256:x","sig":"MEUCIQ"}]}},
            "1.0.1":{"dist":{"attestations":{"url":"https://registry.npmjs.org/-/npm/v1/attestations/prov@1.0.1",
                                             "provenance":{"predicateType":"https://example.org/other"}}}}}}"#,
    );
    let h = regs.npm.history("prov").await.unwrap();
    let r = h.release("1.0.0").unwrap();
    assert_eq!(r.trust.level, firebreak_registry::TrustLevel::Provenance);
    assert_eq!(r.trust.publisher, None);
    assert!(r.trust.attestation_url.as_deref().unwrap().ends_with("/-/npm/v1/attestations/prov@1.0.0"));
    // An attestation that is not SLSA provenance is not provenance.
    assert_eq!(h.release("1.0.1").unwrap().trust.level, firebreak_registry::TrustLevel::None);
}

#[tokio::test]
async fn pypi_release_is_yanked_when_every_file_is() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    let file = |name: &str, yanked: bool| {
        format!(
            r#"{{"filename":"{name}","upload_time_iso_8601":"2024-01-01T00:00:00.000000Z","yanked":{yanked},
                "yanked_reason":{},"digests":{{"sha256":"{}"}}}}"#,
            if yanked { "\"broken build\"" } else { "null" },
            "ab".repeat(32)
        )
    };
    fx.set_document(
        "/pypi.org/pypi/yanky/json",
        format!(
            r#"{{"info":{{"name":"yanky","version":"1.1"}},"releases":{{"1.0":[{},{}],"1.1":[{},{}]}}}}"#,
            file("yanky-1.0.tar.gz", true),
            file("yanky-1.0-py3-none-any.whl", true),
            file("yanky-1.1.tar.gz", true),
            file("yanky-1.1-py3-none-any.whl", false)
        ),
    );
    let h = regs.pypi.history("yanky").await.unwrap();
    assert_eq!(h.release("1.0").unwrap().yanked.as_deref(), Some("broken build"));
    assert_eq!(h.release("1.1").unwrap().yanked, None);
}

#[tokio::test]
async fn crates_versions_follow_pages_and_keep_yank_messages() {
    let fx = common::fixture();
    let regs = common::registries(&fx, common::fast_options(None));
    fx.set_document(
        "/index.crates.io/pa/ge/paged",
        "{\"name\":\"paged\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\"\",\"yanked\":true}\n\
         {\"name\":\"paged\",\"vers\":\"1.0.1\",\"deps\":[{\"name\":\"alias\",\"package\":\"real-crate\",\"req\":\"^2\",\"kind\":\"build\"}],\"yanked\":false}\n",
    );
    fx.set_document(
        "/crates.io/api/v1/crates/paged/versions",
        r#"{"versions":[{"num":"1.0.1","created_at":"2025-02-01T00:00:00Z","published_by":{"login":"b"},"trustpub_data":null}],
            "meta":{"total":2,"next_page":"?page=2&per_page=1"}}"#,
    );
    fx.set_document(
        "/crates.io/api/v1/crates/paged/versions?page=2&per_page=1",
        r#"{"versions":[{"num":"1.0.0","created_at":"2025-01-01T00:00:00Z","published_by":{"login":"a"},
            "yanked":true,"yank_message":"leaked a key"}],"meta":{"total":2,"next_page":null}}"#,
    );
    let h = regs.crates.history("paged").await.unwrap();
    let first = h.release("1.0.0").unwrap();
    assert_eq!(first.yanked.as_deref(), Some("leaked a key"));
    assert_eq!(first.publisher.as_ref().unwrap().name, "a");
    let second = h.release("1.0.1").unwrap();
    assert_eq!(second.publisher.as_ref().unwrap().name, "b");
    assert_eq!(
        second.dependencies.get("real-crate").map(String::as_str),
        Some("^2"),
        "renamed deps by real name"
    );
    assert_eq!(fx.requests_to("/crates.io/api/v1/crates/paged/versions").len(), 2);
}

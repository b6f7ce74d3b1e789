//! `scan --deep` and `check` with content analysis against the fixture registry on
//! 127.0.0.1: verdicts as findings decided by the policy, the verdict cache, the budget.

mod common;

use common::{firebreak, repo, run};
use firebreak_test::FixtureRegistry;
use serde_json::Value;

fn registry() -> FixtureRegistry {
    FixtureRegistry::start(firebreak_test::registry_fixtures())
}

fn fb<I, S>(reg: &FixtureRegistry, cache: &std::path::Path, args: I) -> common::Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut c = firebreak();
    c.env("HOME", cache.join("home"))
        .env("FIREBREAK_TODAY", "2026-04-20")
        .env_remove("NPM_CONFIG_REGISTRY")
        .env_remove("npm_config_registry")
        .env_remove("PIP_INDEX_URL")
        .env_remove("FIREBREAK_OFFLINE")
        .env_remove("FIREBREAK_NO_REGISTRY")
        .args(args)
        .arg("--registry")
        .arg(format!("npm={}", reg.npm_url()))
        .arg("--registry")
        .arg(format!("pypi={}", reg.pypi_url()))
        .arg("--registry")
        .arg(format!("cargo={}", reg.crates_index_url()))
        .arg("--cache-dir")
        .arg(cache.join("cache"));
    run(&mut c)
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn project() -> std::ffi::OsString {
    repo().join("crates/firebreak/tests/data/deep-scan").into()
}

fn os(s: &str) -> std::ffi::OsString {
    s.into()
}

/// `(package, signal, action)` of every content finding.
fn content_findings(doc: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            ["malicious-content", "suspicious-content", "integrity-mismatch"]
                .contains(&f["signal"].as_str().unwrap_or(""))
        })
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap_or("").to_owned(),
                f["signal"].as_str().unwrap_or("").to_owned(),
                f["action"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn archive_requests(reg: &FixtureRegistry) -> usize {
    reg.requests().iter().filter(|r| r.path.ends_with(".tgz")).count()
}

#[test]
fn scan_deep_finds_the_dropper_then_answers_from_the_verdict_cache() {
    let reg = registry();
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = fb(&reg, tmp.path(), [os("scan"), project(), os("--deep"), os("--format"), os("json")]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let doc = json(&r.stdout);
    assert_eq!(
        content_findings(&doc),
        [("plain-crypto-js".to_owned(), "malicious-content".to_owned(), "fail".to_owned())],
        "{}",
        r.stdout
    );
    let f = doc["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["signal"] == "malicious-content"))
        .expect("verdict finding");
    assert!(f["location"]["path"].as_str().is_some_and(|p| p.ends_with("package-lock.json")), "{f}");
    assert!(f.to_string().contains("setup.js"), "points into the archive: {f}");
    assert_eq!(doc["content"]["analysed"], 5, "{}", doc["content"]);
    assert_eq!(doc["content"]["cached"], 0);
    assert_eq!(doc["content"]["skipped"].as_array().map(Vec::len), Some(0));
    assert_eq!(archive_requests(&reg), 5);

    // Second run: every verdict from the cache, no archive downloaded.
    reg.clear_log();
    let r = fb(&reg, tmp.path(), [os("scan"), project(), os("--deep"), os("--format"), os("json")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let again = json(&r.stdout);
    assert_eq!(again["content"]["cached"], 5, "{}", again["content"]);
    assert_eq!(again["content"]["analysed"], 0);
    assert_eq!(content_findings(&again), content_findings(&doc));
    assert_eq!(archive_requests(&reg), 0, "{:?}", reg.requests());

    // Offline, the documents and verdicts come from the cache: same findings, no request.
    reg.clear_log();
    let r = fb(
        &reg,
        tmp.path(),
        [os("scan"), project(), os("--deep"), os("--format"), os("json"), os("--offline")],
    );
    let offline = json(&r.stdout);
    assert_eq!(offline["content"]["cached"], 5, "{}", offline["content"]);
    assert_eq!(content_findings(&offline), content_findings(&doc));
    assert!(reg.requests().is_empty(), "{:?}", reg.requests());

    // A damaged cache entry is ignored and rebuilt.
    let verdicts = tmp.path().join("cache/verdicts");
    let entries: Vec<_> =
        fs_err::read_dir(&verdicts).expect("verdict cache").filter_map(Result::ok).collect();
    assert_eq!(entries.len(), 5);
    for e in &entries {
        fs_err::write(e.path(), "firebreak content verdict 1\ngarbage").expect("damage");
    }
    let r = fb(&reg, tmp.path(), [os("scan"), project(), os("--deep"), os("--format"), os("json")]);
    let rebuilt = json(&r.stdout);
    assert_eq!(rebuilt["content"]["analysed"], 5, "{}", rebuilt["content"]);
    assert_eq!(content_findings(&rebuilt), content_findings(&doc));

    // Without --deep the contents are not analysed.
    let r = fb(&reg, tmp.path(), [os("scan"), project(), os("--format"), os("json")]);
    assert!(json(&r.stdout).get("content").is_none(), "{}", r.stdout);
    // Offline with an empty cache, every package says why it was not analysed.
    let empty = tempfile::tempdir().expect("tempdir");
    let r = fb(
        &reg,
        empty.path(),
        [os("scan"), project(), os("--deep"), os("--format"), os("json"), os("--offline")],
    );
    let doc = json(&r.stdout);
    let skipped = doc["content"]["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 5, "{}", doc["content"]);
    assert!(
        skipped.iter().all(|s| s["reason"].as_str().is_some_and(|r| r.contains("not in the cache"))),
        "{skipped:?}"
    );
    // `--no-registry` cannot analyse contents, and says so instead of reporting nothing.
    let r = fb(&reg, tmp.path(), [os("scan"), project(), os("--deep"), os("--no-registry")]);
    assert!(r.stderr.contains("`--deep` needs the registry"), "{}", r.stderr);
}

#[test]
fn the_budget_stops_the_run_and_says_what_was_skipped() {
    let reg = registry();
    let tmp = tempfile::tempdir().expect("tempdir");
    let policy = tmp.path().join("firebreak.toml");
    fs_err::write(&policy, "[content]\ndeep = true\nbudget = 2\n").expect("policy");
    let config = [os("--config"), policy.clone().into()];
    let r = fb(
        &reg,
        tmp.path(),
        [os("scan"), project(), os("--format"), os("json")].into_iter().chain(config.clone()),
    );
    let doc = json(&r.stdout);
    assert_eq!(doc["content"]["analysed"], 2, "{}", doc["content"]);
    assert_eq!(doc["content"]["budget_exhausted"], true);
    let skipped = doc["content"]["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped.iter().all(|s| s["reason"].as_str().is_some_and(|r| r.contains("budget of 2 archives"))));
    assert_eq!(archive_requests(&reg), 2);

    // The human report says so too, and the verdicts already cached cost nothing.
    let r = fb(&reg, tmp.path(), [os("scan"), project()].into_iter().chain(config));
    assert!(r.stdout.contains("warning[content-skipped]: 1 package version not analysed"), "{}", r.stdout);
    assert!(r.stdout.contains("content: 2 analysed, 2 cached, 1 not analysed"), "{}", r.stdout);
}

#[test]
fn check_analyses_contents_unless_told_not_to() {
    let reg = registry();
    let tmp = tempfile::tempdir().expect("tempdir");
    let r =
        fb(&reg, tmp.path(), ["check", "plain-crypto-js@4.2.1", "cargo:logwise@0.3.2", "--format", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let doc = json(&r.stdout);
    assert_eq!(
        content_findings(&doc),
        [("plain-crypto-js".to_owned(), "malicious-content".to_owned(), "fail".to_owned())]
    );
    assert_eq!(doc["content"]["analysed"], 2);

    let r = fb(&reg, tmp.path(), ["check", "plain-crypto-js@4.2.1", "--no-content", "--format", "json"]);
    let doc = json(&r.stdout);
    assert!(content_findings(&doc).is_empty() && doc.get("content").is_none(), "{}", r.stdout);

    // SARIF and Markdown carry the verdict too.
    let r = fb(&reg, tmp.path(), ["check", "plain-crypto-js@4.2.1", "--format", "sarif"]);
    assert!(r.stdout.contains("\"ruleId\": \"malicious-content\""), "{}", r.stdout);
    let r = fb(&reg, tmp.path(), ["check", "plain-crypto-js@4.2.1", "--format", "markdown"]);
    assert!(r.stdout.contains("malicious-content"), "{}", r.stdout);
}

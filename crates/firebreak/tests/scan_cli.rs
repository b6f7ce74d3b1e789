//! End-to-end tests of `scan`, `init` and `explain`: policy, exit codes and formats.

mod common;

use std::path::PathBuf;

use common::{firebreak, repo, run};

const GIT_FIXTURE: &str = "fixtures/lockfiles/cargo/workspace-git";

fn policy(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("firebreak.toml");
    fs_err::write(&path, text).expect("write policy");
    (dir, path)
}

#[test]
fn hygiene_warnings_do_not_fail_by_default() {
    let r = run(firebreak().args(["scan", GIT_FIXTURE]));
    assert_eq!(r.code, 0, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stdout.contains("warning[lockfile-nonregistry-source]: itoa@1.0.19"), "{}", r.stdout);
    assert!(r.stdout.contains("--> fixtures/lockfiles/cargo/workspace-git/Cargo.lock:"), "{}", r.stdout);
    // lib-core is the workspace's own member, not a foreign path dependency.
    assert!(!r.stdout.contains("lib-core@0.1.0 is installed from"), "{}", r.stdout);
}

#[test]
fn the_policy_can_make_a_check_fail_and_exit_zero_overrides() {
    let (_dir, path) = policy("[hygiene]\nnonregistry_source = \"fail\"\n");
    let r = run(firebreak().args(["scan", GIT_FIXTURE, "--config"]).arg(&path));
    assert_eq!(r.code, 1, "blocked: {}", r.stdout);
    assert!(r.stdout.contains("error[lockfile-nonregistry-source]"), "{}", r.stdout);
    let r = run(firebreak().args(["scan", GIT_FIXTURE, "--exit-zero", "--config"]).arg(&path));
    assert_eq!(r.code, 0);
}

#[test]
fn ignores_need_reasons_and_expire() {
    let (_dir, path) = policy(
        r#"[hygiene]
nonregistry_source = "fail"
[[ignore]]
id = "lockfile-nonregistry-source"
package = "itoa@<2"
reason = "vendored fork, reviewed"
expires = "2026-01-31"
[[ignore]]
id = "lockfile-nonregistry-source"
package = "helper"
reason = "our own crate"
"#,
    );
    let r = run(firebreak().args(["scan", GIT_FIXTURE, "--config"]).arg(&path));
    assert_eq!(r.code, 1, "the expired ignore no longer applies: {}", r.stdout);
    assert!(r.stdout.contains("expired on 2026-01-31 and no longer applies"), "{}", r.stdout);
    assert!(!r.stdout.contains("helper@0.3.1 is installed"), "helper is ignored: {}", r.stdout);
    let r = run(firebreak()
        .env("FIREBREAK_TODAY", "2026-01-31")
        .args(["scan", GIT_FIXTURE, "--config"])
        .arg(&path));
    assert_eq!(r.code, 0, "on its last day the ignore applies: {}", r.stdout);
}

#[test]
fn an_invalid_policy_is_an_error_with_place_and_suggestion() {
    let (_dir, path) = policy("fail_on = \"hihg\"\n[[ignore]]\nid = \"GHSA-x\"\n");
    let r = run(firebreak().args(["scan", GIT_FIXTURE, "--config"]).arg(&path));
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty(), "no report on a bad policy: {}", r.stdout);
    assert!(r.stderr.contains("1:11") && r.stderr.contains("did you mean `high`?"), "{}", r.stderr);
    assert!(r.stderr.contains("without a `reason`"), "{}", r.stderr);
}

#[test]
fn a_policy_beside_the_scanned_directory_is_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs_err::copy(repo().join(GIT_FIXTURE).join("Cargo.lock"), dir.path().join("Cargo.lock")).expect("copy");
    fs_err::write(dir.path().join("firebreak.toml"), "[hygiene]\nnonregistry_source = \"fail\"\n")
        .expect("write");
    let r = run(firebreak().arg("scan").arg(dir.path()));
    assert_eq!(r.code, 1, "{}", r.stdout);
}

#[test]
fn sarif_from_the_cli_validates() {
    let r = run(firebreak().args(["scan", GIT_FIXTURE, "--format", "sarif"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("SARIF is JSON");
    let schema_text =
        fs_err::read_to_string(repo().join("fixtures/schemas/sarif-2.1.0/sarif-2.1.0-rtm.5.json"))
            .expect("schema");
    // See crates/firebreak-report/tests/reporters.rs for why this pattern is replaced.
    let schema_text =
        schema_text.replace(r"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$", r"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(!doc["runs"][0]["results"].as_array().expect("results").is_empty());
}

#[test]
fn json_and_markdown_reports() {
    let r = run(firebreak().args(["scan", GIT_FIXTURE, "--format", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["failed"], false);
    let findings = doc["findings"].as_array().expect("findings");
    let itoa = findings.iter().find(|f| f["package"]["name"] == "itoa").expect("itoa finding");
    assert_eq!(itoa["action"], "warn");
    assert!(itoa["location"]["line"].as_u64().is_some());
    let r = run(firebreak().args(["scan", GIT_FIXTURE, "--format", "markdown"]));
    assert!(r.stdout.starts_with("### ✅ firebreak: passed"), "{}", r.stdout);
}

#[test]
fn init_writes_the_default_policy_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = run(firebreak().arg("init").arg(dir.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = fs_err::read_to_string(dir.path().join("firebreak.toml")).expect("written");
    assert!(text.contains("fail_on = \"high\""));
    let r = run(firebreak().arg("init").arg(dir.path()));
    assert_eq!(r.code, 2, "does not overwrite");
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    // The file it wrote is a valid policy for scan.
    let r = run(firebreak().args(["scan", GIT_FIXTURE, "--config"]).arg(dir.path().join("firebreak.toml")));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn explain_prints_a_signal_page() {
    let r = run(firebreak().args(["explain", "lockfile-untrusted-host"]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("# lockfile-untrusted-host"), "{}", r.stdout);
    let r = run(firebreak().args(["explain", "no-such-signal"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown signal"), "{}", r.stderr);
}

/// The README's main command: the compromised axios release and its dropper are reported
/// as malicious with the chain and the direct dependency to change; the run blocks.
#[test]
fn the_axios_incident_demo() {
    let r = run(firebreak().args(["scan", "examples/axios-incident"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = r.stdout;
    assert!(out.starts_with("CRITICAL ("), "{out}");
    assert!(
        out.contains("error[known-malicious]: axios@1.14.1 is a known-malicious package (MAL-2026-2307)"),
        "{out}"
    );
    assert!(
        out.contains(
            "error[known-malicious]: plain-crypto-js@4.2.1 is a known-malicious package (MAL-2026-2306)"
        ),
        "{out}"
    );
    assert!(out.contains("= chain: checkout-service > axios@1.14.1 > plain-crypto-js@4.2.1"), "{out}");
    assert!(out.contains("= change: the direct dependency axios@1.14.1"), "{out}");
    assert!(out.contains("= fixed in: 4.17.12"), "lodash's fix: {out}");
    let summary = out.lines().last().unwrap_or_default();
    assert!(summary.starts_with("7 failing (2 malicious), 3 warnings"), "{summary}");

    // dev = "warn" turns the dev-only semver finding into a warning that says why.
    let (_dir, path) = policy("dev = \"warn\"\nfail_on = \"medium\"\n");
    let r =
        run(firebreak().args(["scan", "examples/axios-incident", "--format", "json", "--config"]).arg(&path));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let semver = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["package"]["name"] == "semver")
        .expect("semver finding");
    assert_eq!(semver["package"]["dev"], true);
    assert_eq!(semver["action"], "warn");
    assert!(semver["reason"].as_str().unwrap_or_default().contains("dev = \"warn\""), "{semver}");
}

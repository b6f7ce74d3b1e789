//! `firebreak inspect` and `firebreak diff` end to end: verdicts, exit codes, both output
//! formats, and bad input next to good input.

mod common;

use common::{firebreak, run};

const RECON: &str = "crates/firebreak-content/fixtures/reconstructions";

#[test]
fn inspect_reports_a_dropper_as_malicious_and_exits_1() {
    let r = run(firebreak().args(["inspect", "-v", &format!("{RECON}/plain-crypto-js-4.2.1/package")]));
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    insta::assert_snapshot!("inspect_plain_crypto_js", r.stdout);
}

#[test]
fn inspect_json_carries_the_verdict_and_every_hit() {
    let r =
        run(firebreak().args(["inspect", "--format", "json", &format!("{RECON}/crossenv-6.1.1/package")]));
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let report = &json[0];
    assert_eq!(report["name"], "crossenv");
    assert_eq!(report["verdict"]["verdict"], "malicious");
    let ids: Vec<&str> = report["analysis"]["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["signal"].as_str())
        .collect();
    assert!(ids.contains(&"env-harvest") && ids.contains(&"install-time-code"), "{ids:?}");
    let harvest = report["analysis"]["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .find(|h| h["signal"] == "env-harvest")
        .expect("harvest");
    assert_eq!(harvest["path"], "package-setup.js");
    assert_eq!(harvest["line"], 5);
    assert_eq!(harvest["phase"], "install-time");
}

#[test]
fn a_clean_package_exits_0_and_a_missing_one_2_after_the_rest() {
    let r =
        run(firebreak().args(["inspect", &format!("{RECON}/diff/axios-1.14.0/package"), "no/such/package"]));
    assert_eq!(r.code, 2, "stdout: {}", r.stdout);
    assert!(r.stdout.contains("axios@1.14.0") && r.stdout.contains("CLEAN"), "{}", r.stdout);
    assert!(r.stderr.contains("no/such/package"), "{}", r.stderr);
    let r = run(firebreak().args(["inspect", "Cargo.toml"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a package archive"), "{}", r.stderr);
}

#[test]
fn diff_shows_the_phantom_dependency_of_axios_1_14_1() {
    let r = run(firebreak().args([
        "diff",
        &format!("{RECON}/diff/axios-1.14.0/package"),
        &format!("{RECON}/diff/axios-1.14.1/package"),
    ]));
    assert_eq!(r.code, 0, "suspicious, not malicious: {}", r.stderr);
    insta::assert_snapshot!("diff_axios", r.stdout);
    let r = run(firebreak().args([
        "diff",
        "--format",
        "json",
        &format!("{RECON}/diff/axios-1.14.0/package"),
        &format!("{RECON}/diff/axios-1.14.1/package"),
    ]));
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(json["diff"]["phantom_dependencies"][0], "plain-crypto-js");
    assert_eq!(json["diff"]["dependencies"]["added"]["plain-crypto-js"], "^4.2.1");
    assert_eq!(json["verdict"]["verdict"], "suspicious");
}

#[test]
fn inspect_reads_archives_and_checks_integrity_first() {
    let tgz = "crates/firebreak-archive/fixtures/is-number-7.0.0.tgz";
    let good =
        "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==";
    let r = run(firebreak().args(["inspect", "--integrity", good, tgz]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("is-number@7.0.0") && r.stdout.contains("CLEAN"), "{}", r.stdout);
    // One flipped digit: nothing is unpacked, the verdict is the mismatch.
    let bad = good.replacen("41C", "41D", 1);
    let r = run(firebreak().args(["inspect", "--format", "json", "--integrity", &bad, tgz]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(json[0]["analysis"]["hits"][0]["signal"], "integrity-mismatch");
    assert_eq!(json[0]["analysis"]["code_files"], 0);
    let r = run(firebreak().args(["inspect", "--integrity", "md5-abc", tgz]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("expected an SRI string"), "{}", r.stderr);
    // A wheel and a crate are read too.
    let r = run(firebreak().args([
        "inspect",
        "crates/firebreak-archive/fixtures/six-1.16.0-py2.py3-none-any.whl",
        "crates/firebreak-archive/fixtures/itoa-1.0.11.crate",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("six@1.16.0") && r.stdout.contains("itoa@1.0.11"), "{}", r.stdout);
}

const AXIOS_OLD: &str = "crates/firebreak-content/fixtures/reconstructions/diff/axios-1.14.0/package";
const AXIOS_NEW: &str = "crates/firebreak-content/fixtures/reconstructions/diff/axios-1.14.1/package";

/// A rule that marks any file importing follow-redirects as malicious: wrong, but it shows
/// that a user's rule decides like a built-in one.
const TEAM_RULE: &str = r#"
rule imports_follow_redirects
{
    meta:
        severity = "high"
        verdict = "malicious"
        description = "imports follow-redirects"
    strings:
        $import = "from 'follow-redirects'"
    condition:
        $import and file_name == "axios.js"
}
"#;

#[test]
fn a_user_rule_from_rules_dir_is_a_finding_that_decides_the_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs_err::write(dir.path().join("team.yar"), TEAM_RULE).expect("write");
    fs_err::write(dir.path().join("notes.txt"), "not a rule file").expect("write");
    let rules = dir.path().to_str().expect("UTF-8");
    // Without the rule the package is clean.
    let r = run(firebreak().args(["inspect", AXIOS_OLD]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(firebreak().args(["inspect", "--format", "json", "--rules", rules, AXIOS_OLD]));
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(json[0]["verdict"]["verdict"], "malicious");
    let hit = json[0]["analysis"]["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .find(|h| h["signal"] == "yara-match")
        .expect("a yara-match hit");
    assert_eq!(hit["path"], "lib/axios.js");
    assert_eq!(hit["line"], 2);
    assert_eq!(hit["severity"], "high");
    assert_eq!(hit["snippet"], "import followRedirects from 'follow-redirects';");
    assert_eq!(hit["rule"]["rule"], "imports_follow_redirects");
    assert_eq!(hit["rule"]["pattern"], "$import");
    assert!(hit["rule"]["namespace"].as_str().expect("namespace").ends_with("team.yar"), "{hit}");
    // SARIF carries the same finding, with the rule in its evidence.
    let r = run(firebreak().args(["inspect", "--format", "sarif", "--rules", rules, AXIOS_OLD]));
    assert!(r.stdout.contains("yara-match") && r.stdout.contains("imports_follow_redirects"), "{}", r.stdout);
    // diff runs the same rules on both releases.
    let r = run(firebreak().args(["diff", "--format", "json", "--rules", rules, AXIOS_OLD, AXIOS_NEW]));
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(json["verdict"]["verdict"], "malicious", "{}", r.stdout);
}

#[test]
fn a_broken_rule_file_is_named_with_its_line_and_exits_2_after_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs_err::write(dir.path().join("a-team.yar"), TEAM_RULE.replace("\"malicious\"", "\"none\""))
        .expect("write");
    fs_err::write(
        dir.path().join("b-broken.yara"),
        "rule fine { condition: true }\n\nrule broken {\n  condition: $missing\n}\n",
    )
    .expect("write");
    let rules = dir.path().to_str().expect("UTF-8");
    let r = run(firebreak().args(["inspect", "--format", "json", "--rules", rules, AXIOS_OLD]));
    assert_eq!(r.code, 2, "stdout: {}", r.stdout);
    assert!(r.stderr.contains("b-broken.yara` at 4:"), "{}", r.stderr);
    assert!(r.stderr.contains("$missing"), "{}", r.stderr);
    // The package is still analysed, with the rule file that compiled.
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_ne!(json[0]["verdict"]["verdict"], "malicious", "{}", r.stdout);
    assert!(r.stdout.contains("imports_follow_redirects"), "{}", r.stdout);
    assert!(!r.stdout.contains("\"fine\""), "a broken file adds no rule: {}", r.stdout);
    // A directory without rule files and a missing path are errors too.
    let empty = tempfile::tempdir().expect("tempdir");
    let r = run(firebreak().args(["inspect", "--rules", empty.path().to_str().expect("UTF-8"), AXIOS_OLD]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("holds no YARA rule file"), "{}", r.stderr);
    let r = run(firebreak().args(["diff", "--rules", "no/such/rules.yar", AXIOS_OLD, AXIOS_NEW]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no/such/rules.yar"), "{}", r.stderr);
}

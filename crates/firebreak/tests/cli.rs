//! End-to-end tests of the binary: exit codes, stdout/stderr separation, bad input.

mod common;

use common::{firebreak, repo, run};

#[test]
fn demo_inventory_table() {
    let r = run(firebreak().args(["inventory", "examples/demo"]));
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let summary = r.stdout.lines().last().unwrap_or_default();
    assert!(summary.contains("from 3 lockfiles"), "{summary}");
    for eco in ["npm", "crates.io", "PyPI"] {
        assert!(summary.contains(eco), "{eco} missing from {summary}");
    }
    assert!(r.stdout.contains("axios"), "{}", r.stdout);
    assert!(r.stdout.lines().next().unwrap_or_default().contains("ECOSYSTEM"));
}

#[test]
fn demo_inventory_json_is_versioned_and_complete() {
    let r = run(firebreak().args(["inventory", "examples/demo", "--format", "json"]));
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("valid JSON on stdout");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["lockfiles"].as_array().map(Vec::len), Some(3));
    let packages = doc["packages"].as_array().expect("packages");
    let axios = packages.iter().find(|p| p["name"] == "axios").expect("axios listed");
    assert_eq!(axios["direct"], true);
    assert!(axios["purl"].as_str().unwrap_or_default().starts_with("pkg:npm/axios@"));
    assert!(axios["line"].as_u64().is_some_and(|l| l > 1), "axios has a lockfile line");
    let mocha = packages.iter().find(|p| p["name"] == "mocha").expect("mocha listed");
    assert_eq!(mocha["dev"], true);
    let regex = packages.iter().find(|p| p["name"] == "regex").expect("regex from Cargo.lock");
    assert_eq!(regex["version"], "1.5.4");
    assert_eq!(doc["summary"]["errors"], 0);
}

#[test]
fn why_shows_the_chain_from_a_root() {
    let r = run(firebreak().args(["inventory", "examples/demo", "--why", "follow-redirects"]));
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("follow-redirects@"), "{}", r.stdout);
    assert!(lines[1].trim_start().starts_with("firebreak-demo"), "{}", r.stdout);
    assert!(lines[2].trim_start().starts_with("axios@"), "{}", r.stdout);
}

#[test]
fn one_bad_lockfile_fails_the_run_but_not_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good");
    let bad = dir.path().join("bad");
    fs_err::create_dir_all(&good).expect("mkdir");
    fs_err::create_dir_all(&bad).expect("mkdir");
    fs_err::copy(repo().join("examples/demo/rust-service/Cargo.lock"), good.join("Cargo.lock"))
        .expect("copy");
    fs_err::write(bad.join("package-lock.json"), "{\"lockfileVersion\": 3, \"packages\": {").expect("write");
    let r = run(firebreak().arg("inventory").arg(dir.path()).args(["--format", "json"]));
    assert_eq!(r.code, 2, "a failed input exits 2");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON still written");
    assert!(doc["summary"]["packages"].as_u64().is_some_and(|n| n > 10), "the good lockfile was read");
    let errors = doc["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["path"].as_str().unwrap_or_default().ends_with("package-lock.json"));
    assert!(r.stderr.contains("package-lock.json"), "stderr names the file: {}", r.stderr);
}

#[test]
fn oversized_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("package-lock.json");
    // Sparse: costs no disk, but reports 2 GB.
    fs_err::File::create(&path).expect("create").set_len(2 * 1024 * 1024 * 1024).expect("set_len");
    let r = run(firebreak().arg("inventory").arg(&path));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("over the") && r.stderr.contains("limit"), "{}", r.stderr);
}

#[test]
fn stdin_needs_a_format_hint() {
    let r = run(firebreak().args(["inventory", "-"]).write_stdin("{}"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--format-hint"), "{}", r.stderr);

    let lock = fs_err::read(repo().join("examples/demo/rust-service/Cargo.lock")).expect("read");
    let r = run(firebreak().args(["inventory", "-", "--format-hint", "Cargo.lock"]).write_stdin(lock));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("regex"), "{}", r.stdout);

    let r = run(firebreak().args(["inventory", "-", "--format-hint", "Gemfile.lock"]).write_stdin("x"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown `--format-hint`"), "{}", r.stderr);
}

#[test]
fn foreign_lockfiles_are_reported_not_skipped_silently() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs_err::write(dir.path().join("Gemfile.lock"), "GEM\n").expect("write");
    let r = run(firebreak().arg("inventory").arg(dir.path()));
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("Gemfile.lock") && r.stderr.contains("RubyGems"), "{}", r.stderr);
}

#[test]
fn bun_binary_lockfile_says_how_to_get_a_text_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs_err::write(dir.path().join("bun.lockb"), b"#!/usr/bin/env bun\nbun-lockfile-format-v0\n\x00\x01")
        .expect("write");
    let r = run(firebreak().arg("inventory").arg(dir.path()));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--save-text-lockfile"), "{}", r.stderr);
}

#[test]
fn gitignored_and_dependency_directories_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cargo_lock = fs_err::read(repo().join("examples/demo/rust-service/Cargo.lock")).expect("read");
    for sub in ["app", "node_modules/dep", "ignored", "target/debug"] {
        fs_err::create_dir_all(dir.path().join(sub)).expect("mkdir");
        fs_err::write(dir.path().join(sub).join("Cargo.lock"), &cargo_lock).expect("write");
    }
    fs_err::write(dir.path().join(".gitignore"), "ignored/\n").expect("write");
    let r = run(firebreak().arg("inventory").arg(dir.path()).args(["--format", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let paths: Vec<&str> =
        doc["lockfiles"].as_array().expect("lockfiles").iter().filter_map(|l| l["path"].as_str()).collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(paths[0].ends_with("app/Cargo.lock"), "{paths:?}");
}

//! What every end-to-end test of the binary shares: the repository root, a command with
//! the developer's environment cleared, and a run's exit code and output.
// Each test binary uses a different subset.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary run from the repository root with ambient configuration cleared, an empty
/// data directory (so a developer's downloaded advisory database is never used) and a
/// fixed "today".
pub fn firebreak() -> Command {
    let mut cmd = Command::cargo_bin("firebreak").expect("binary built");
    cmd.current_dir(repo());
    for var in [
        "NO_COLOR",
        "FORCE_COLOR",
        "CLICOLOR_FORCE",
        "FIREBREAK_COLOR",
        "FIREBREAK_CONFIG",
        "FIREBREAK_DB",
        "SOURCE_DATE_EPOCH",
        "CI",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("XDG_DATA_HOME", repo().join("target/test-empty-data-home"));
    // Tests never reach the internet: registry signals are tested against a local fixture
    // registry (tests/registry_cli.rs), which removes this.
    cmd.env("FIREBREAK_NO_REGISTRY", "1");
    cmd.env("XDG_CACHE_HOME", repo().join("target/test-empty-cache-home"));
    cmd.env("FIREBREAK_TODAY", "2026-11-29");
    cmd.arg("--color").arg("never");
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run firebreak");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// stdout of a run that must succeed.
pub fn stdout(cmd: &mut Command) -> String {
    let r = run(cmd);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    r.stdout
}

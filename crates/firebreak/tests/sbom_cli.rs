//! `firebreak sbom` end to end: both formats validate against the official schemas,
//! `--reproducible` is byte-identical, `--output` writes the file, and an SBOM is read
//! back as an inventory source.

#[path = "../../firebreak-sbom/tests/common/schemas.rs"]
#[allow(dead_code, unreachable_pub)]
mod schemas;

mod common;

use common::{firebreak, stdout};
use schemas::{Schema, assert_valid, validator};

const CARGO: &str = "fixtures/lockfiles/cargo/workspace";

#[test]
fn both_formats_validate() {
    let text = stdout(firebreak().args(["sbom", CARGO, "--format", "cyclonedx"]));
    assert_valid(&validator(Schema::CycloneDx16), &text, "CycloneDX");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["metadata"]["tools"]["components"][0]["name"], "firebreak");
    assert!(doc["components"].as_array().unwrap().iter().any(|c| c["purl"] == "pkg:cargo/itoa@1.0.19"));

    let text = stdout(firebreak().args(["sbom", CARGO, "--format", "spdx"]));
    assert_valid(&validator(Schema::Spdx23), &text, "SPDX");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["creationInfo"]["creators"][0], format!("Tool: firebreak-{}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn reproducible_is_byte_identical() {
    for format in ["cyclonedx", "spdx"] {
        let a = stdout(firebreak().args(["sbom", CARGO, "--reproducible", "--format", format]));
        let b = stdout(firebreak().args(["sbom", CARGO, "--reproducible", "--format", format]));
        assert_eq!(a, b, "{format}");
        assert!(a.contains("1970-01-01T00:00:00Z"), "{format}");
        // Without the flag, two runs differ (serial number, namespace).
        let c = stdout(firebreak().args(["sbom", CARGO, "--format", format]));
        let d = stdout(firebreak().args(["sbom", CARGO, "--format", format]));
        assert_ne!(c, d, "{format}");
    }
    let dated =
        stdout(firebreak().env("SOURCE_DATE_EPOCH", "1767225600").args(["sbom", CARGO, "--reproducible"]));
    assert!(dated.contains("\"timestamp\": \"2026-01-01T00:00:00Z\""), "SOURCE_DATE_EPOCH honoured");
}

#[test]
fn output_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.spdx.json");
    let out = firebreak()
        .args(["sbom", CARGO, "--format", "spdx", "--reproducible", "--output"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "the document goes to the file only");
    let written = fs_err::read_to_string(&path).unwrap();
    assert_eq!(written, stdout(firebreak().args(["sbom", CARGO, "--format", "spdx", "--reproducible"])));
}

#[test]
fn inventory_reads_a_cyclonedx_file() {
    let text = stdout(firebreak().args(["inventory", "fixtures/sbom/npm-app.cdx.json", "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut names: Vec<String> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}@{}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "@isaacs/string-locale-compare@1.1.0",
            "debug@4.3.4",
            "is-number@7.0.0",
            "lru-cache@6.0.0",
            "ms@2.1.2",
            "ms@2.1.3",
            "yallist@4.0.0"
        ]
    );
}

#[test]
fn sbom_of_an_sbom_round_trips_and_bad_ones_fail() {
    let text = stdout(firebreak().args(["sbom", "fixtures/sbom/npm-app.spdx.json", "--format", "cyclonedx"]));
    assert_valid(&validator(Schema::CycloneDx16), &text, "CycloneDX from SPDX");
    assert!(text.contains("pkg:npm/%40isaacs/string-locale-compare@1.1.0"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bom.json");
    fs_err::write(
        &bad,
        "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"components\": [{\"purl\": 1}]}",
    )
    .unwrap();
    let out = firebreak().arg("inventory").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("components[0].purl"), "{stderr}");
}

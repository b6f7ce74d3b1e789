//! Real attestations verify, and each kind of tampering fails with its own reason.
//!
//! Fixtures (tests/fixtures/README.md): npm's attestations for `@playwright/cli@0.1.1`, the
//! SLSA bundle of `sigstore@5.0.0`, and PyPI's PEP 740 provenance of
//! `pypi_attestations-0.0.19.tar.gz`. The expected digests are the registries' own values
//! (`dist.integrity`, the JSON API's `sha256`), not read from the attestations.

#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use firebreak_provenance::{
    ArtifactDigest, BuildIdentity, DigestAlgorithm, Failure, ProvenanceError, TrustedRoot, Verdict,
    verify_bundle, verify_npm_attestations, verify_pypi_provenance,
};
use serde_json::Value;

const PLAYWRIGHT_INTEGRITY: &str =
    "sha512-9k11ZfDwAfMVDDIuEVW1Wvs8SoDNXIY1dNQ+9C9/SS8ZmElkcxesu5eoL7vNa96ntibUGaq1TM2qQoqvdl/I9g==";
const SIGSTORE_INTEGRITY: &str =
    "sha512-hJqJfoG/e4qFQaauQL00c6J6FrHLBGKtkFvW3JbTSIEFOhLrSjdSM/gWd/yUOfYo/gsERehTXGC1VZWX+9X4Dg==";
const PYPI_SHA256: &str = "9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3";

fn fixture(name: &str) -> Vec<u8> {
    fs_err::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

fn root() -> TrustedRoot {
    TrustedRoot::public_good().unwrap()
}

fn playwright() -> ArtifactDigest {
    ArtifactDigest::from_npm_integrity(PLAYWRIGHT_INTEGRITY).unwrap()
}

fn sigstore() -> ArtifactDigest {
    ArtifactDigest::from_npm_integrity(SIGSTORE_INTEGRITY).unwrap()
}

fn pypi() -> ArtifactDigest {
    ArtifactDigest::from_hex(DigestAlgorithm::Sha256, PYPI_SHA256).unwrap()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

fn bundle_verdict(bundle: &Value, digest: &ArtifactDigest) -> Verdict {
    verify_bundle(&serde_json::to_vec(bundle).unwrap(), digest, &root()).unwrap().verdict
}

fn failed(verdict: Verdict) -> Failure {
    match verdict {
        Verdict::Failed(failure) => failure,
        Verdict::Verified => panic!("expected a failure, the attestation verified"),
    }
}

/// Flips one bit of the base64 value at `pointer`, in the byte at `index` of the decoded bytes.
fn flip(value: &mut Value, pointer: &str, index: usize) {
    let slot = value.pointer_mut(pointer).unwrap();
    let mut bytes = STANDARD.decode(slot.as_str().unwrap()).unwrap();
    bytes[index] ^= 0x01;
    *slot = Value::String(STANDARD.encode(bytes));
}

#[test]
fn npm_slsa_provenance_verifies_and_names_the_build() {
    let result = verify_npm_attestations(
        &fixture("npm-playwright-cli-0.1.1.attestations.json"),
        &playwright(),
        &root(),
    )
    .unwrap();
    assert_eq!(result.attestations.len(), 2);
    let slsa = result.slsa_provenance().unwrap();
    assert_eq!(slsa.verdict, Verdict::Verified);
    let p = &slsa.provenance;
    assert_eq!(p.predicate_type, "https://slsa.dev/provenance/v1");
    assert_eq!(p.repository, some("https://github.com/microsoft/playwright-cli"));
    assert_eq!(p.workflow, some(".github/workflows/publish.yml"));
    assert_eq!(p.trigger, some("release"));
    assert_eq!(p.git_ref, some("refs/tags/v0.1.1"));
    assert_eq!(p.commit, some("d1c6d1113932ddcee243e8b111b6d4aea553df20"));
    assert_eq!(p.issuer, some("https://token.actions.githubusercontent.com"));
    assert_eq!(p.builder, some("https://github.com/actions/runner/github-hosted"));
    assert_eq!(p.subject_name, some("pkg:npm/%40playwright/cli@0.1.1"));
    assert_eq!(p.subject_digest, Some(format!("sha512:{}", playwright().hex())));
    let certificate = p.certificate.as_ref().unwrap();
    assert_eq!(
        certificate.build,
        BuildIdentity {
            repository: some("https://github.com/microsoft/playwright-cli"),
            workflow: some(".github/workflows/publish.yml"),
            trigger: some("release"),
            git_ref: some("refs/tags/v0.1.1"),
            commit: some("d1c6d1113932ddcee243e8b111b6d4aea553df20"),
            builder: some("github-hosted"),
        }
    );
    assert_eq!(
        certificate.subject_alternative_name,
        some("https://github.com/microsoft/playwright-cli/.github/workflows/publish.yml@refs/tags/v0.1.1")
    );
    assert_eq!(
        certificate.run_invocation_uri,
        some("https://github.com/microsoft/playwright-cli/actions/runs/22026075834/attempts/1")
    );
    assert_eq!(p.statement.builder, some("https://github.com/actions/runner/github-hosted"));
    let entry = p.log_entry.as_ref().unwrap();
    assert_eq!(entry.log_url, "https://rekor.sigstore.dev");
    assert_eq!(entry.log_index, 953297574);
    assert_eq!(entry.integrated_time.unix_seconds(), 1771111723);
}

#[test]
fn npm_publish_attestation_verifies_with_the_registry_key() {
    let result = verify_npm_attestations(
        &fixture("npm-playwright-cli-0.1.1.attestations.json"),
        &playwright(),
        &root(),
    )
    .unwrap();
    let publish = &result.attestations[0];
    assert_eq!(publish.provenance.predicate_type, firebreak_provenance::NPM_PUBLISH_V0_1);
    assert_eq!(publish.provenance.subject_digest, Some(format!("sha512:{}", playwright().hex())));
    assert_eq!(publish.provenance.subject_name, some("pkg:npm/%40playwright/cli@0.1.1"));
    assert_eq!(publish.verdict, Verdict::Verified);
    assert_eq!(publish.provenance.certificate, None);
    assert_eq!(publish.provenance.log_entry.as_ref().unwrap().log_index, 953297582);
}

#[test]
fn npm_publish_attestation_without_registry_keys_is_reported_as_key_signed() {
    let root = TrustedRoot::from_json(&serde_json::to_vec(&public_good_json()).unwrap()).unwrap();
    let result =
        verify_npm_attestations(&fixture("npm-playwright-cli-0.1.1.attestations.json"), &playwright(), &root)
            .unwrap();
    assert_eq!(
        result.attestations[0].verdict,
        Verdict::Failed(Failure::KeyNotCertified {
            hint: some("SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U")
        })
    );
    // The SLSA attestation does not need the registry keys.
    assert_eq!(result.slsa_provenance().unwrap().verdict, Verdict::Verified);
}

#[test]
fn npm_publish_attestation_checks_signature_digest_and_key_expiry() {
    let response = json("npm-playwright-cli-0.1.1.attestations.json");
    let verdict = |response: &Value, digest: &ArtifactDigest, root: &TrustedRoot| {
        verify_npm_attestations(&serde_json::to_vec(response).unwrap(), digest, root).unwrap().attestations[0]
            .verdict
            .clone()
    };
    let mut flipped = response.clone();
    flip(&mut flipped, "/attestations/0/bundle/dsseEnvelope/signatures/0/sig", 20);
    assert!(matches!(failed(verdict(&flipped, &playwright(), &root())), Failure::Signature { .. }));
    assert!(matches!(
        failed(verdict(&response, &sigstore(), &root())),
        Failure::SubjectDigestMismatch { .. }
    ));
    // The same key declared expired before the entry was logged (2026-02-14).
    let expired = br#"{"keys":[{"expires":"2025-01-29T00:00:00.000Z","keyid":"SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY6Ya7W++7aUPzvMTrezH6Ycx3c+HOKYCcNGybJZSCJq/fd7Qa8uuAKtdIkUQtQiEKERhAmE5lMMJhP8OkDOa2g=="}]}"#;
    let root = TrustedRoot::from_json(&serde_json::to_vec(&public_good_json()).unwrap())
        .unwrap()
        .with_npm_keys(expired)
        .unwrap();
    assert!(matches!(
        failed(verdict(&response, &playwright(), &root)),
        Failure::RegistryKeyExpired { expired: 1738108800, .. }
    ));
    // Another key under that id: the signature does not verify.
    let other = br#"{"keys":[{"expires":null,"keyid":"SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg=="}]}"#;
    let root = TrustedRoot::from_json(&serde_json::to_vec(&public_good_json()).unwrap())
        .unwrap()
        .with_npm_keys(other)
        .unwrap();
    assert!(matches!(failed(verdict(&response, &playwright(), &root)), Failure::Signature { .. }));
}

#[test]
fn sigstore_js_bundle_v03_verifies() {
    let attestation =
        verify_bundle(&fixture("npm-sigstore-5.0.0.sigstore.json"), &sigstore(), &root()).unwrap();
    assert_eq!(attestation.verdict, Verdict::Verified);
    let p = attestation.provenance;
    assert_eq!(p.repository, some("https://github.com/sigstore/sigstore-js"));
    assert_eq!(p.workflow, some(".github/workflows/release.yml"));
    assert_eq!(p.trigger, some("push"));
    assert_eq!(p.git_ref, some("refs/heads/main"));
    assert_eq!(p.commit, some("7d2900eca1c22b3f87c13987c8d4b7c9a29b733a"));
    assert_eq!(p.subject_name, some("pkg:npm/sigstore@5.0.0"));
}

#[test]
fn the_same_bundle_in_the_v02_layout_verifies() {
    // Bundles v0.1 and v0.2 carry the leaf in `x509CertificateChain.certificates[0]`.
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    let material = bundle["verificationMaterial"].as_object_mut().unwrap();
    let certificate = material.remove("certificate").unwrap();
    material.insert("x509CertificateChain".into(), serde_json::json!({ "certificates": [certificate] }));
    bundle["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2".into();
    assert_eq!(bundle_verdict(&bundle, &sigstore()), Verdict::Verified);
}

#[test]
fn pypi_provenance_verifies_with_the_trusted_publisher() {
    let result =
        verify_pypi_provenance(&fixture("pypi-attestations-0.0.19.tar.gz.provenance.json"), &pypi(), &root())
            .unwrap();
    assert_eq!(result.len(), 1);
    let only = &result[0];
    assert_eq!(only.publisher.kind, "GitHub");
    assert_eq!(only.publisher.repository, some("trailofbits/pypi-attestations"));
    assert_eq!(only.publisher.workflow, some("release.yml"));
    assert_eq!(only.attestation.verdict, Verdict::Verified);
    let p = &only.attestation.provenance;
    assert_eq!(p.predicate_type, "https://docs.pypi.org/attestations/publish/v1");
    // The publish predicate names no build: everything comes from the certificate.
    assert_eq!(p.statement, BuildIdentity::default());
    assert_eq!(p.repository, some("https://github.com/trailofbits/pypi-attestations"));
    assert_eq!(p.workflow, some(".github/workflows/release.yml"));
    assert_eq!(p.trigger, some("release"));
    assert_eq!(p.git_ref, some("refs/tags/v0.0.19"));
    assert_eq!(p.commit, some("08802efe1f8e5fec4ad842d6b8ce97656092ee72"));
    assert_eq!(p.subject_name, some("pypi_attestations-0.0.19.tar.gz"));
    assert_eq!(p.subject_digest, Some(format!("sha256:{PYPI_SHA256}")));
}

#[test]
fn a_pypi_slsa_statement_agrees_with_its_certificate() {
    // The real PEP 740 attestation object with an SLSA v1 statement, filed under the real
    // publisher of the same file.
    let provenance = serde_json::json!({
        "version": 1,
        "attestation_bundles": [{
            "publisher": json("pypi-attestations-0.0.19.tar.gz.provenance.json")["attestation_bundles"][0]["publisher"],
            "attestations": [json("pypi-attestations-0.0.19.tar.gz.slsa.attestation.json")],
        }],
    });
    let result = verify_pypi_provenance(&serde_json::to_vec(&provenance).unwrap(), &pypi(), &root()).unwrap();
    let attestation = &result[0].attestation;
    assert_eq!(attestation.verdict, Verdict::Verified);
    let p = &attestation.provenance;
    assert_eq!(p.predicate_type, "https://slsa.dev/provenance/v1");
    let expected = BuildIdentity {
        repository: some("https://github.com/trailofbits/pypi-attestations"),
        workflow: some(".github/workflows/release.yml"),
        trigger: some("release"),
        git_ref: some("refs/tags/v0.0.19"),
        commit: some("08802efe1f8e5fec4ad842d6b8ce97656092ee72"),
        builder: some(
            "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19",
        ),
    };
    assert_eq!(p.statement, expected);
    assert_eq!(
        p.certificate.as_ref().unwrap().build,
        BuildIdentity { builder: some("github-hosted"), ..expected }
    );
}

#[test]
fn identity_changes_between_two_real_releases_are_listed() {
    let npm = verify_npm_attestations(
        &fixture("npm-playwright-cli-0.1.1.attestations.json"),
        &playwright(),
        &root(),
    )
    .unwrap();
    let playwright = &npm.slsa_provenance().unwrap().provenance;
    let sigstore =
        verify_bundle(&fixture("npm-sigstore-5.0.0.sigstore.json"), &sigstore(), &root()).unwrap().provenance;
    let changes = sigstore.changes_since(playwright);
    let fields: Vec<_> = changes.iter().map(|c| (c.field, c.before.as_deref(), c.after.as_deref())).collect();
    assert_eq!(
        fields,
        [
            (
                "repository",
                Some("https://github.com/microsoft/playwright-cli"),
                Some("https://github.com/sigstore/sigstore-js")
            ),
            ("workflow", Some(".github/workflows/publish.yml"), Some(".github/workflows/release.yml")),
            ("trigger", Some("release"), Some("push")),
        ]
    );
    assert!(sigstore.changes_since(&sigstore).is_empty());
}

#[test]
fn a_flipped_byte_in_the_signature_fails_the_signature_check() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    flip(&mut bundle, "/dsseEnvelope/signatures/0/sig", 20);
    assert!(matches!(failed(bundle_verdict(&bundle, &sigstore())), Failure::Signature { .. }));
}

#[test]
fn a_changed_statement_fails_the_signature_check() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    let payload = STANDARD.decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap()).unwrap();
    let changed = String::from_utf8(payload).unwrap().replace("release.yml", "evil.yml");
    bundle["dsseEnvelope"]["payload"] = STANDARD.encode(changed).into();
    let failure = failed(bundle_verdict(&bundle, &sigstore()));
    assert!(matches!(failure, Failure::Signature { .. }), "{failure:?}");
}

#[test]
fn a_wrong_artifact_digest_fails_with_both_digests() {
    let wrong = ArtifactDigest::from_npm_integrity(PLAYWRIGHT_INTEGRITY).unwrap();
    let failure =
        failed(verify_bundle(&fixture("npm-sigstore-5.0.0.sigstore.json"), &wrong, &root()).unwrap().verdict);
    assert_eq!(
        failure,
        Failure::SubjectDigestMismatch {
            expected: format!("sha512:{}", playwright().hex()),
            found: vec![format!("sha512:{}", sigstore().hex())],
        }
    );
    assert!(failure.to_string().contains("no subject has the artifact's digest"));
}

#[test]
fn a_digest_of_another_algorithm_finds_no_subject() {
    let sha256 = ArtifactDigest::from_hex(DigestAlgorithm::Sha256, PYPI_SHA256).unwrap();
    let failure = failed(
        verify_bundle(&fixture("npm-sigstore-5.0.0.sigstore.json"), &sha256, &root()).unwrap().verdict,
    );
    assert_eq!(
        failure,
        Failure::SubjectDigestMismatch { expected: format!("sha256:{PYPI_SHA256}"), found: vec![] }
    );
}

#[test]
fn a_certificate_from_another_root_fails_the_chain() {
    // Sigstore's staging instance: a real trusted root whose Fulcio did not issue this certificate.
    let staging = TrustedRoot::from_json(&fixture("staging-trusted_root.json")).unwrap();
    let attestation =
        verify_bundle(&fixture("npm-sigstore-5.0.0.sigstore.json"), &sigstore(), &staging).unwrap();
    match failed(attestation.verdict) {
        Failure::CertificateChain { detail } => assert!(detail.contains("sigstore-intermediate"), "{detail}"),
        other => panic!("expected a chain failure, got {other:?}"),
    }
}

fn public_good_json() -> Value {
    serde_json::from_slice(
        &fs_err::read(format!("{}/data/trusted_root.json", env!("CARGO_MANIFEST_DIR"))).unwrap(),
    )
    .unwrap()
}

#[test]
fn a_certificate_without_an_sct_from_a_trusted_ct_log_fails() {
    // The SCT sits inside the signed TBS, so it cannot be edited without breaking the chain;
    // instead the trust root's CT logs are replaced by staging's.
    let mut root_json = public_good_json();
    root_json["ctlogs"] = json("staging-trusted_root.json")["ctlogs"].clone();
    let root = TrustedRoot::from_json(&serde_json::to_vec(&root_json).unwrap()).unwrap();
    let attestation =
        verify_bundle(&fixture("npm-sigstore-5.0.0.sigstore.json"), &sigstore(), &root).unwrap();
    match failed(attestation.verdict) {
        Failure::CertificateTransparency { detail } => assert!(detail.contains("does not list"), "{detail}"),
        other => panic!("expected a CT failure, got {other:?}"),
    }

    // Same log id, another key: the SCT's signature does not verify.
    let mut root_json = public_good_json();
    let staging_key = json("staging-trusted_root.json")["ctlogs"][1]["publicKey"]["rawBytes"].clone();
    for log in root_json["ctlogs"].as_array_mut().unwrap() {
        log["publicKey"]["rawBytes"] = staging_key.clone();
    }
    let root = TrustedRoot::from_json(&serde_json::to_vec(&root_json).unwrap()).unwrap();
    let attestation =
        verify_bundle(&fixture("npm-sigstore-5.0.0.sigstore.json"), &sigstore(), &root).unwrap();
    match failed(attestation.verdict) {
        Failure::CertificateTransparency { detail } => {
            assert!(detail.contains("does not verify"), "{detail}")
        }
        other => panic!("expected a CT failure, got {other:?}"),
    }

    // CT logs whose keys are of a type not verified here do not make the check optional.
    let mut root_json = public_good_json();
    let rsa = json("staging-trusted_root.json")["ctlogs"][0].clone();
    assert_eq!(rsa["publicKey"]["keyDetails"], "PKCS1_RSA_PKCS1V5");
    root_json["ctlogs"] = Value::Array(vec![rsa]);
    let root = TrustedRoot::from_json(&serde_json::to_vec(&root_json).unwrap()).unwrap();
    let attestation =
        verify_bundle(&fixture("npm-sigstore-5.0.0.sigstore.json"), &sigstore(), &root).unwrap();
    assert!(matches!(failed(attestation.verdict), Failure::CertificateTransparency { .. }));
}

#[test]
fn a_log_key_that_is_not_the_logs_fails_the_signed_entry_timestamp() {
    let mut root_json = public_good_json();
    root_json["tlogs"][0]["publicKey"]["rawBytes"] =
        json("staging-trusted_root.json")["tlogs"][0]["publicKey"]["rawBytes"].clone();
    let root = TrustedRoot::from_json(&serde_json::to_vec(&root_json).unwrap()).unwrap();
    let attestation =
        verify_bundle(&fixture("npm-sigstore-5.0.0.sigstore.json"), &sigstore(), &root).unwrap();
    assert!(matches!(failed(attestation.verdict), Failure::TransparencyLogSignature { .. }));
}

#[test]
fn a_tampered_certificate_fails_the_chain() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    // A byte inside the subject alternative name: still DER, no longer what Fulcio signed.
    let der =
        STANDARD.decode(bundle["verificationMaterial"]["certificate"]["rawBytes"].as_str().unwrap()).unwrap();
    let at = der.windows(6).position(|w| w == b"github").unwrap();
    flip(&mut bundle, "/verificationMaterial/certificate/rawBytes", at);
    match failed(bundle_verdict(&bundle, &sigstore())) {
        Failure::CertificateChain { detail } => assert!(detail.contains("does not verify"), "{detail}"),
        other => panic!("expected a chain failure, got {other:?}"),
    }
}

#[test]
fn another_bundles_certificate_fails_the_signature() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    let other = json("npm-playwright-cli-0.1.1.attestations.json");
    bundle["verificationMaterial"]["certificate"] =
        other["attestations"][1]["bundle"]["verificationMaterial"]["certificate"].clone();
    assert!(matches!(failed(bundle_verdict(&bundle, &sigstore())), Failure::Signature { .. }));
}

#[test]
fn a_missing_log_entry_fails() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    bundle["verificationMaterial"]["tlogEntries"] = serde_json::json!([]);
    assert!(matches!(failed(bundle_verdict(&bundle, &sigstore())), Failure::TransparencyLogMissing { .. }));
}

#[test]
fn a_tampered_signed_entry_timestamp_fails() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    flip(&mut bundle, "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp", 12);
    assert!(matches!(failed(bundle_verdict(&bundle, &sigstore())), Failure::TransparencyLogSignature { .. }));
}

#[test]
fn a_moved_integrated_time_fails_the_signed_entry_timestamp() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    let time: i64 =
        bundle["verificationMaterial"]["tlogEntries"][0]["integratedTime"].as_str().unwrap().parse().unwrap();
    bundle["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = (time + 60).to_string().into();
    assert!(matches!(failed(bundle_verdict(&bundle, &sigstore())), Failure::TransparencyLogSignature { .. }));
}

#[test]
fn extreme_integrated_times_fail_without_overflow() {
    for time in [i64::MAX, i64::MIN, -1, 0] {
        let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
        bundle["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = time.to_string().into();
        let failure = failed(bundle_verdict(&bundle, &sigstore()));
        assert!(
            matches!(
                failure,
                Failure::TransparencyLogSignature { .. } | Failure::TransparencyLogInconsistent { .. }
            ),
            "{time}: {failure:?}"
        );
        assert!(!failure.to_string().is_empty());
    }
    let expired =
        Failure::CertificateExpired { integrated_time: i64::MIN, not_before: 0, not_after: i64::MAX };
    assert!(expired.to_string().starts_with("the log recorded the signature at "));
}

#[test]
fn a_tampered_inclusion_proof_fails() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    flip(&mut bundle, "/verificationMaterial/tlogEntries/0/inclusionProof/hashes/3", 0);
    match failed(bundle_verdict(&bundle, &sigstore())) {
        Failure::InclusionProof { detail } => assert!(detail.contains("different root"), "{detail}"),
        other => panic!("expected an inclusion-proof failure, got {other:?}"),
    }
}

#[test]
fn a_checkpoint_with_a_bad_signature_fails() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    let pointer = "/verificationMaterial/tlogEntries/0/inclusionProof/checkpoint/envelope";
    let envelope = bundle.pointer(pointer).unwrap().as_str().unwrap().to_owned();
    let (text, signature_line) = envelope.split_once("\n\n").unwrap();
    let encoded = signature_line.trim_end().rsplit(' ').next().unwrap();
    let mut bytes = STANDARD.decode(encoded).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x01;
    let tampered = format!("{text}\n\n{}", signature_line.replace(encoded, &STANDARD.encode(bytes)));
    *bundle.pointer_mut(pointer).unwrap() = tampered.into();
    match failed(bundle_verdict(&bundle, &sigstore())) {
        Failure::InclusionProof { detail } => assert!(detail.contains("checkpoint's signature"), "{detail}"),
        other => panic!("expected an inclusion-proof failure, got {other:?}"),
    }
}

#[test]
fn a_log_entry_of_another_bundle_is_inconsistent() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    let other = json("npm-playwright-cli-0.1.1.attestations.json");
    bundle["verificationMaterial"]["tlogEntries"] =
        other["attestations"][1]["bundle"]["verificationMaterial"]["tlogEntries"].clone();
    match failed(bundle_verdict(&bundle, &sigstore())) {
        Failure::TransparencyLogInconsistent { detail } => {
            assert!(detail.contains("payload hash"), "{detail}")
        }
        other => panic!("expected an inconsistent entry, got {other:?}"),
    }
}

#[test]
fn an_entry_from_an_unknown_log_fails() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    flip(&mut bundle, "/verificationMaterial/tlogEntries/0/logId/keyId", 0);
    assert!(matches!(failed(bundle_verdict(&bundle, &sigstore())), Failure::TransparencyLogUnknown { .. }));
}

#[test]
fn a_pypi_publisher_that_disagrees_with_the_certificate_fails() {
    // The publisher object is not signed; the certificate is. A mismatch means the attestation
    // was filed under another publisher.
    let mut provenance = json("pypi-attestations-0.0.19.tar.gz.provenance.json");
    provenance["attestation_bundles"][0]["publisher"]["repository"] = "attacker/pypi-attestations".into();
    let result = verify_pypi_provenance(&serde_json::to_vec(&provenance).unwrap(), &pypi(), &root()).unwrap();
    assert_eq!(
        result[0].attestation.verdict,
        Verdict::Failed(Failure::IdentityMismatch {
            field: "publisher.repository",
            statement: "attacker/pypi-attestations".into(),
            certificate: "https://github.com/trailofbits/pypi-attestations".into(),
        })
    );
}

#[test]
fn a_flipped_pypi_signature_fails() {
    let mut provenance = json("pypi-attestations-0.0.19.tar.gz.provenance.json");
    flip(&mut provenance, "/attestation_bundles/0/attestations/0/envelope/signature", 30);
    let result = verify_pypi_provenance(&serde_json::to_vec(&provenance).unwrap(), &pypi(), &root()).unwrap();
    assert!(matches!(failed(result[0].attestation.verdict.clone()), Failure::Signature { .. }));
}

#[test]
fn a_wrong_pypi_file_digest_fails() {
    let wheel = ArtifactDigest::from_hex(
        DigestAlgorithm::Sha256,
        "ce68b3261987e7d7d7e65591e3f24c71fd03f90c44f1d011980aa7d291dc70dd",
    )
    .unwrap();
    let result =
        verify_pypi_provenance(&fixture("pypi-attestations-0.0.19.tar.gz.provenance.json"), &wheel, &root())
            .unwrap();
    assert!(matches!(failed(result[0].attestation.verdict.clone()), Failure::SubjectDigestMismatch { .. }));
}

#[test]
fn failure_messages_say_what_failed() {
    let failure = Failure::IdentityMismatch {
        field: "workflow",
        statement: ".github/workflows/a.yml".into(),
        certificate: ".github/workflows/b.yml".into(),
    };
    assert_eq!(
        failure.to_string(),
        "the statement's workflow `.github/workflows/a.yml` differs from the certificate's `.github/workflows/b.yml`"
    );
    let expired = Failure::CertificateExpired {
        integrated_time: 1771112400,
        not_before: 1771111723,
        not_after: 1771112323,
    };
    assert_eq!(
        expired.to_string(),
        "the log recorded the signature at 2026-02-14T23:40:00Z but the certificate is valid from \
         2026-02-14T23:28:43Z to 2026-02-14T23:38:43Z"
    );
}

#[test]
fn artifact_digests_parse_strictly() {
    assert_eq!(sigstore().hex().len(), 128);
    assert!(ArtifactDigest::from_npm_integrity("sha1-abc").is_none());
    assert!(ArtifactDigest::from_npm_integrity("sha512-!!!").is_none());
    assert!(ArtifactDigest::from_npm_integrity(&format!("sha1-xyz {SIGSTORE_INTEGRITY}")).is_some());
    assert!(ArtifactDigest::from_hex(DigestAlgorithm::Sha256, "abc").is_none());
    assert!(ArtifactDigest::from_hex(DigestAlgorithm::Sha256, &"zz".repeat(32)).is_none());
    assert!(ArtifactDigest::from_hex(DigestAlgorithm::Sha512, PYPI_SHA256).is_none());
}

#[test]
fn the_embedded_root_lists_fulcio_and_rekor() {
    let root = root();
    let authorities: Vec<&str> = root.authorities().map(|(uri, _)| uri).collect();
    assert_eq!(authorities, ["https://fulcio.sigstore.dev", "https://fulcio.sigstore.dev"]);
    let logs: Vec<&str> = root.logs().map(|(url, _)| url).collect();
    assert_eq!(logs, ["https://rekor.sigstore.dev", "https://log2025-1.rekor.sigstore.dev"]);
}

fn error_of(result: Result<impl std::fmt::Debug, ProvenanceError>) -> ProvenanceError {
    result.expect_err("expected an error")
}

#[test]
fn malformed_json_names_line_and_column() {
    let error = error_of(verify_bundle(b"{\n  \"mediaType\": ,\n}", &sigstore(), &root()));
    assert!(matches!(error, ProvenanceError::Syntax { line: 2, column: 16, .. }), "{error:?}");
    let error = error_of(verify_bundle(b"{\"mediaType\": \"a\"", &sigstore(), &root()));
    assert!(matches!(error, ProvenanceError::Syntax { line: 1, .. }), "{error:?}");
    let error = error_of(verify_bundle(b"{}", &sigstore(), &root()));
    assert!(
        matches!(&error, ProvenanceError::Schema { path, expected, .. } if path == "(top level)" && expected == "a `mediaType` key"),
        "{error:?}"
    );
}

#[test]
fn a_missing_key_names_its_path() {
    let mut response = json("npm-playwright-cli-0.1.1.attestations.json");
    response["attestations"][1]["bundle"]["dsseEnvelope"].as_object_mut().unwrap().remove("payloadType");
    let error =
        error_of(verify_npm_attestations(&serde_json::to_vec(&response).unwrap(), &playwright(), &root()));
    let ProvenanceError::Schema { path, expected, found, .. } = &error else { panic!("{error:?}") };
    assert_eq!(path, "attestations[1].bundle.dsseEnvelope");
    assert_eq!((expected.as_str(), found.as_str()), ("a `payloadType` key", "none"));
    assert!(
        error
            .to_string()
            .starts_with("failed to read the npm attestations response at `attestations[1].bundle")
    );
}

#[test]
fn bad_base64_names_its_path() {
    let mut response = json("npm-playwright-cli-0.1.1.attestations.json");
    response["attestations"][1]["bundle"]["dsseEnvelope"]["payload"] = "not base64!".into();
    let error =
        error_of(verify_npm_attestations(&serde_json::to_vec(&response).unwrap(), &playwright(), &root()));
    assert!(
        matches!(&error, ProvenanceError::Schema { path, expected, .. }
            if path == "attestations[1].bundle.dsseEnvelope.payload" && expected == "standard base64"),
        "{error:?}"
    );
}

#[test]
fn a_certificate_that_is_not_der_names_its_path() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    bundle["verificationMaterial"]["certificate"]["rawBytes"] = STANDARD.encode(b"not a certificate").into();
    let error = error_of(verify_bundle(&serde_json::to_vec(&bundle).unwrap(), &sigstore(), &root()));
    assert!(
        matches!(&error, ProvenanceError::Schema { path, expected, .. }
            if path == "verificationMaterial.certificate.rawBytes" && expected == "a DER X.509 certificate"),
        "{error:?}"
    );
    // A truncated certificate.
    let der = STANDARD
        .decode(
            json("npm-sigstore-5.0.0.sigstore.json")["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    bundle["verificationMaterial"]["certificate"]["rawBytes"] = STANDARD.encode(&der[..der.len() / 2]).into();
    let error = error_of(verify_bundle(&serde_json::to_vec(&bundle).unwrap(), &sigstore(), &root()));
    assert!(
        matches!(&error, ProvenanceError::Schema { path, .. } if path == "verificationMaterial.certificate.rawBytes")
    );
}

#[test]
fn a_payload_that_is_not_a_statement_names_its_path() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    bundle["dsseEnvelope"]["payload"] = STANDARD.encode(b"{\"_type\": \"something else\"}").into();
    let error = error_of(verify_bundle(&serde_json::to_vec(&bundle).unwrap(), &sigstore(), &root()));
    assert!(
        matches!(&error, ProvenanceError::Schema { path, .. } if path == "dsseEnvelope.payload:_type"),
        "{error:?}"
    );
    bundle["dsseEnvelope"]["payload"] = STANDARD.encode(b"\xff\xfe").into();
    let error = error_of(verify_bundle(&serde_json::to_vec(&bundle).unwrap(), &sigstore(), &root()));
    assert!(
        matches!(&error, ProvenanceError::Schema { path, .. } if path == "dsseEnvelope.payload"),
        "{error:?}"
    );
}

#[test]
fn a_log_index_that_is_not_a_number_names_its_path() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    bundle["verificationMaterial"]["tlogEntries"][0]["logIndex"] = "twelve".into();
    let error = error_of(verify_bundle(&serde_json::to_vec(&bundle).unwrap(), &sigstore(), &root()));
    assert!(
        matches!(&error, ProvenanceError::Schema { path, expected, found, .. }
            if path == "verificationMaterial.tlogEntries[0].logIndex" && expected == "an integer" && found == "`twelve`"),
        "{error:?}"
    );
}

#[test]
fn unsupported_formats_are_named() {
    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    bundle["mediaType"] = "application/vnd.dev.sigstore.bundle.v9+json".into();
    let error = error_of(verify_bundle(&serde_json::to_vec(&bundle).unwrap(), &sigstore(), &root()));
    assert!(matches!(&error, ProvenanceError::Unsupported { path, .. } if path == "mediaType"), "{error:?}");

    let mut bundle = json("npm-sigstore-5.0.0.sigstore.json");
    let envelope = bundle.as_object_mut().unwrap().remove("dsseEnvelope").unwrap();
    bundle["messageSignature"] = envelope;
    let error = error_of(verify_bundle(&serde_json::to_vec(&bundle).unwrap(), &sigstore(), &root()));
    assert!(
        matches!(&error, ProvenanceError::Unsupported { path, .. } if path == "dsseEnvelope"),
        "{error:?}"
    );

    let mut provenance = json("pypi-attestations-0.0.19.tar.gz.provenance.json");
    provenance["version"] = 2.into();
    let error = error_of(verify_pypi_provenance(&serde_json::to_vec(&provenance).unwrap(), &pypi(), &root()));
    assert!(matches!(&error, ProvenanceError::Unsupported { path, .. } if path == "version"), "{error:?}");
}

#[test]
fn a_value_of_the_wrong_type_says_what_was_expected() {
    let mut response = json("npm-playwright-cli-0.1.1.attestations.json");
    response["attestations"][0]["bundle"]["dsseEnvelope"]["signatures"] = "none".into();
    let error =
        error_of(verify_npm_attestations(&serde_json::to_vec(&response).unwrap(), &playwright(), &root()));
    assert_eq!(
        error.to_string(),
        "failed to read the npm attestations response at `attestations[0].bundle.dsseEnvelope.signatures`: \
         expected a sequence, found string \"none\""
    );
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let big = vec![b' '; firebreak_provenance::MAX_DOCUMENT_BYTES + 1];
    let error = error_of(verify_bundle(&big, &sigstore(), &root()));
    assert!(
        matches!(error, ProvenanceError::TooLarge { limit, .. } if limit == firebreak_provenance::MAX_DOCUMENT_BYTES)
    );
    let error = error_of(verify_npm_attestations(&big, &sigstore(), &root()));
    assert!(matches!(error, ProvenanceError::TooLarge { .. }));
}

#[test]
fn too_many_attestations_are_refused() {
    let mut response = json("npm-playwright-cli-0.1.1.attestations.json");
    let one = response["attestations"][1].clone();
    response["attestations"] = Value::Array(vec![one; firebreak_provenance::MAX_ATTESTATIONS + 1]);
    let error =
        error_of(verify_npm_attestations(&serde_json::to_vec(&response).unwrap(), &playwright(), &root()));
    assert!(matches!(&error, ProvenanceError::Schema { path, .. } if path == "attestations"), "{error:?}");
}

#[test]
fn a_malformed_trusted_root_names_its_path() {
    let mut root_json: Value = serde_json::from_slice(&fixture("staging-trusted_root.json")).unwrap();
    root_json["tlogs"][0]["publicKey"]["validFor"]["start"] = "yesterday".into();
    let error = error_of(TrustedRoot::from_json(&serde_json::to_vec(&root_json).unwrap()));
    assert!(
        matches!(&error, ProvenanceError::Schema { path, .. } if path == "tlogs[0].publicKey.validFor.start"),
        "{error:?}"
    );
}

/// Single-byte corruptions across each real document yield an error or a verdict, never a
/// panic, and almost never a verified attestation.
#[test]
fn byte_corruptions_never_panic() {
    let root = root();
    type Verify = fn(&[u8], &TrustedRoot) -> Vec<Verdict>;
    let cases: [(&str, Verify); 3] = [
        ("npm-sigstore-5.0.0.sigstore.json", |bytes, root| {
            verify_bundle(bytes, &sigstore(), root).map(|a| vec![a.verdict]).unwrap_or_default()
        }),
        ("npm-playwright-cli-0.1.1.attestations.json", |bytes, root| {
            verify_npm_attestations(bytes, &playwright(), root)
                .map(|r| r.attestations.into_iter().map(|a| a.verdict).collect())
                .unwrap_or_default()
        }),
        ("pypi-attestations-0.0.19.tar.gz.provenance.json", |bytes, root| {
            verify_pypi_provenance(bytes, &pypi(), root)
                .map(|r| r.into_iter().map(|a| a.attestation.verdict).collect())
                .unwrap_or_default()
        }),
    ];
    for (name, verify) in cases {
        let original = fixture(name);
        let mut tried = 0;
        let mut verified = 0;
        for index in (0..original.len()).step_by(151) {
            for replacement in [b'"', b'A', b'{', b'0'] {
                if original[index] == replacement {
                    continue;
                }
                let mut bytes = original.clone();
                bytes[index] = replacement;
                tried += 1;
                // Counted when the corruption left every attestation of the document verified.
                let verdicts = verify(&bytes, &root);
                verified += usize::from(!verdicts.is_empty() && verdicts.iter().all(Verdict::is_verified));
            }
        }
        // A byte of an unsigned field (the npm wrapper's `signedAccessSignatureUrl`, a PyPI
        // publisher's `environment`) may change without effect; nothing signed may.
        assert!(verified * 20 < tried, "{name}: {verified} of {tried} corruptions still verified");
    }
}

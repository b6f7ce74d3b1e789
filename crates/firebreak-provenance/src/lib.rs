//! Offline verification of Sigstore provenance attestations and the build identity they carry.
//!
//! Input: an npm attestations response, a single Sigstore bundle (media types v0.1 to v0.3)
//! or a PyPI PEP 740 provenance object, the digest of the artifact it must be about, and a
//! [`TrustedRoot`] (the public-good one is embedded). Output: the [`Provenance`] read from the
//! in-toto statement and the Fulcio certificate, and a [`Verdict`]: verified, or the first
//! check that failed ([`Failure`]).
//!
//! What is verified, in order: the signing certificate chains to a Fulcio CA of the trusted
//! root that was valid when it was issued, is a code-signing certificate, and carries a signed
//! certificate timestamp from a CT log of the trusted root; the DSSE
//! signature over the pre-authentication encoding verifies with the certificate's key; a
//! transparency-log entry from a log of the trusted root describes this payload, signature and
//! certificate, its signed entry timestamp verifies with the log's key, its inclusion proof
//! (when present) leads to a root hash in a checkpoint signed by the log, and its integrated
//! time lies within the certificate's and the log key's validity; a subject of the statement
//! carries the artifact's digest; the statement's repository, workflow, trigger, ref and commit
//! agree with the certificate's. npm's publish attestation, signed with the registry's own key
//! rather than a certificate, verifies the same way against the npm registry keys the
//! public-good root carries (signature, log entry, key expiry, subject digest).
//!
//! Not verified: RFC 3161 timestamps, Rekor v2 (Ed25519) log entries, and message-signature
//! bundles. Revocation does not exist in Sigstore's model (certificates live ten minutes).
//!
//! This crate performs no I/O and reads no clock: bytes in, verdict out.

#![warn(missing_docs)]

mod crypto;
mod error;
mod identity;
mod model;
mod sct;
mod trust;
mod verify;

use serde_json::Value;

pub use error::ProvenanceError;
pub use identity::{BuildIdentity, CertificateIdentity};
pub use trust::{TrustedRoot, Validity};
pub use verify::{
    ArtifactDigest, Attestation, DigestAlgorithm, Failure, IdentityChange, LogEntry, Provenance, Verdict,
};

use model::{Bundle, NpmAttestations, PypiProvenance};
use trust::decode_base64;
use verify::{Signed, verify_signed};

/// Largest attestation document accepted. Real npm responses and PEP 740 objects are 10-30 KB;
/// a release with many files stays far below this.
pub const MAX_DOCUMENT_BYTES: usize = 4 << 20;
/// Most attestations read from one document.
pub const MAX_ATTESTATIONS: usize = 64;

/// The predicate type of SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// The predicate type of npm's publish attestation.
pub const NPM_PUBLISH_V0_1: &str = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";

const NPM_DOCUMENT: &str = "npm attestations response";
const BUNDLE_DOCUMENT: &str = "sigstore bundle";
const PYPI_DOCUMENT: &str = "PEP 740 provenance";

/// The attestations of one npm package version, each verified against the tarball digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmVerification {
    /// In the response's order: usually npm's publish attestation, then SLSA provenance.
    pub attestations: Vec<Attestation>,
}

impl NpmVerification {
    /// The SLSA provenance attestation (v1, or v0.2 for packages published before 2023-10),
    /// which is the one that names the build.
    pub fn slsa_provenance(&self) -> Option<&Attestation> {
        self.attestations.iter().find(|attestation| {
            attestation.provenance.predicate_type.starts_with("https://slsa.dev/provenance/")
        })
    }
}

/// One attestation from a PEP 740 provenance object, with the Trusted Publisher it was filed
/// under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PypiAttestation {
    /// The publisher as PyPI states it.
    pub publisher: Publisher,
    /// The attestation and its verdict. A GitHub or GitLab publisher whose repository or
    /// workflow differs from the certificate's fails with [`Failure::IdentityMismatch`].
    pub attestation: Attestation,
}

/// A PEP 740 Trusted Publisher (`publisher` of an attestation bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    /// `GitHub`, `GitLab`, `Google`, `ActiveState`, `CircleCI`…
    pub kind: String,
    /// `owner/name` for GitHub and GitLab.
    pub repository: Option<String>,
    /// Workflow file name (GitHub) or CI config path (GitLab).
    pub workflow: Option<String>,
    /// Deployment environment, when the publisher is bound to one.
    pub environment: Option<String>,
}

/// Verifies the attestations of an npm attestations response
/// (`GET /-/npm/v1/attestations/<name>@<version>`) against the tarball's digest (from
/// `dist.integrity`, see [`ArtifactDigest::from_npm_integrity`]).
pub fn verify_npm_attestations(
    bytes: &[u8],
    artifact: &ArtifactDigest,
    root: &TrustedRoot,
) -> Result<NpmVerification, ProvenanceError> {
    let response: NpmAttestations = model::parse(NPM_DOCUMENT, bytes, MAX_DOCUMENT_BYTES)?;
    check_count(NPM_DOCUMENT, "attestations", response.attestations.len())?;
    let mut attestations = Vec::new();
    for (index, attestation) in response.attestations.iter().enumerate() {
        let path = format!("attestations[{index}].bundle");
        let verified = verify_bundle_value(NPM_DOCUMENT, &path, &attestation.bundle, artifact, root)?;
        if verified.provenance.predicate_type != attestation.predicate_type {
            return Err(ProvenanceError::schema(
                NPM_DOCUMENT,
                format!("attestations[{index}].predicateType"),
                format!("the bundle's predicate type `{}`", verified.provenance.predicate_type),
                format!("`{}`", attestation.predicate_type),
            ));
        }
        attestations.push(verified);
    }
    Ok(NpmVerification { attestations })
}

/// Verifies one Sigstore bundle (JSON, media type v0.1, v0.2 or v0.3) holding a DSSE envelope.
pub fn verify_bundle(
    bytes: &[u8],
    artifact: &ArtifactDigest,
    root: &TrustedRoot,
) -> Result<Attestation, ProvenanceError> {
    let bundle: Bundle = model::parse(BUNDLE_DOCUMENT, bytes, MAX_DOCUMENT_BYTES)?;
    verify_bundle_value(BUNDLE_DOCUMENT, "", &bundle, artifact, root)
}

/// Verifies every attestation of a PEP 740 provenance object against the file's SHA-256.
pub fn verify_pypi_provenance(
    bytes: &[u8],
    artifact: &ArtifactDigest,
    root: &TrustedRoot,
) -> Result<Vec<PypiAttestation>, ProvenanceError> {
    let provenance: PypiProvenance = model::parse(PYPI_DOCUMENT, bytes, MAX_DOCUMENT_BYTES)?;
    if provenance.version != 1 {
        return Err(ProvenanceError::Unsupported {
            document: PYPI_DOCUMENT,
            path: "version".into(),
            found: provenance.version.to_string(),
            supported: "version 1",
        });
    }
    let total = provenance.attestation_bundles.iter().map(|bundle| bundle.attestations.len()).sum();
    check_count(PYPI_DOCUMENT, "attestation_bundles", total)?;
    let mut out = Vec::new();
    for (bundle_index, bundle) in provenance.attestation_bundles.iter().enumerate() {
        let publisher = publisher(&bundle.publisher, bundle_index)?;
        for (index, attestation) in bundle.attestations.iter().enumerate() {
            let path = format!("attestation_bundles[{bundle_index}].attestations[{index}]");
            if attestation.version != 1 {
                return Err(ProvenanceError::Unsupported {
                    document: PYPI_DOCUMENT,
                    path: format!("{path}.version"),
                    found: attestation.version.to_string(),
                    supported: "version 1",
                });
            }
            let certificate_path = format!("{path}.verification_material.certificate");
            let statement_path = format!("{path}.envelope.statement");
            let signature_path = format!("{path}.envelope.signature");
            let signed = Signed {
                document: PYPI_DOCUMENT,
                certificate_der: Some(decode_base64(
                    PYPI_DOCUMENT,
                    &certificate_path,
                    &attestation.verification_material.certificate,
                )?),
                certificate_path,
                key_hint: None,
                entries: &attestation.verification_material.transparency_entries,
                entries_path: format!("{path}.verification_material.transparency_entries"),
                payload: decode_base64(PYPI_DOCUMENT, &statement_path, &attestation.envelope.statement)?,
                payload_path: statement_path,
                // PEP 740 fixes the payload type: the statement is always in-toto JSON.
                payload_type: "application/vnd.in-toto+json".into(),
                signatures: vec![decode_base64(
                    PYPI_DOCUMENT,
                    &signature_path,
                    &attestation.envelope.signature,
                )?],
            };
            let mut verified = verify_signed(&signed, artifact, root)?;
            if verified.verdict.is_verified()
                && let Some(failure) =
                    publisher_mismatch(&publisher, verified.provenance.certificate.as_ref())
            {
                verified.verdict = Verdict::Failed(failure);
            }
            out.push(PypiAttestation { publisher: publisher.clone(), attestation: verified });
        }
    }
    Ok(out)
}

fn check_count(document: &'static str, path: &str, count: usize) -> Result<(), ProvenanceError> {
    if count > MAX_ATTESTATIONS {
        return Err(ProvenanceError::schema(
            document,
            path,
            format!("at most {MAX_ATTESTATIONS} attestations"),
            count.to_string(),
        ));
    }
    Ok(())
}

fn verify_bundle_value(
    document: &'static str,
    prefix: &str,
    bundle: &Bundle,
    artifact: &ArtifactDigest,
    root: &TrustedRoot,
) -> Result<Attestation, ProvenanceError> {
    let at = |rest: &str| if prefix.is_empty() { rest.to_owned() } else { format!("{prefix}.{rest}") };
    let media_type = bundle.media_type.as_str();
    let known = [
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    ];
    if !known.contains(&media_type) {
        return Err(ProvenanceError::Unsupported {
            document,
            path: at("mediaType"),
            found: media_type.to_owned(),
            supported: "Sigstore bundle media types v0.1, v0.2 and v0.3",
        });
    }
    let Some(envelope) = &bundle.dsse_envelope else {
        let found = if bundle.message_signature.is_some() { "a `messageSignature`" } else { "neither" };
        return Err(ProvenanceError::Unsupported {
            document,
            path: at("dsseEnvelope"),
            found: found.to_owned(),
            supported: "bundles with a DSSE envelope (provenance attestations)",
        });
    };
    let material = &bundle.verification_material;
    let (certificate_path, certificate_b64) = match (&material.certificate, &material.x509_certificate_chain)
    {
        (Some(certificate), _) => {
            (at("verificationMaterial.certificate.rawBytes"), Some(&certificate.raw_bytes))
        }
        (None, Some(chain)) => (
            at("verificationMaterial.x509CertificateChain.certificates[0].rawBytes"),
            // The leaf comes first; any CA certificates after it are ignored in favour of the
            // trusted root's.
            Some(
                &chain
                    .certificates
                    .first()
                    .ok_or_else(|| {
                        ProvenanceError::schema(
                            document,
                            at("verificationMaterial.x509CertificateChain.certificates"),
                            "at least one certificate",
                            "none",
                        )
                    })?
                    .raw_bytes,
            ),
        ),
        (None, None) => (at("verificationMaterial.publicKey"), None),
    };
    if certificate_b64.is_none() && material.public_key.is_none() {
        return Err(ProvenanceError::schema(
            document,
            at("verificationMaterial"),
            "a `certificate`, an `x509CertificateChain` or a `publicKey`",
            "none of them",
        ));
    }
    let payload_path = at("dsseEnvelope.payload");
    let mut signatures = Vec::new();
    for (index, signature) in envelope.signatures.iter().enumerate().take(verify::MAX_TLOG_ENTRIES) {
        signatures.push(decode_base64(
            document,
            &at(&format!("dsseEnvelope.signatures[{index}].sig")),
            &signature.sig,
        )?);
    }
    let signed = Signed {
        document,
        certificate_der: certificate_b64
            .map(|b64| decode_base64(document, &certificate_path, b64))
            .transpose()?,
        certificate_path,
        key_hint: material.public_key.as_ref().and_then(|key| key.hint.clone()),
        entries: &material.tlog_entries,
        entries_path: at("verificationMaterial.tlogEntries"),
        payload: decode_base64(document, &payload_path, &envelope.payload)?,
        payload_path,
        payload_type: envelope.payload_type.clone(),
        signatures,
    };
    verify_signed(&signed, artifact, root)
}

fn publisher(object: &serde_json::Map<String, Value>, index: usize) -> Result<Publisher, ProvenanceError> {
    let field = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
    let kind = field("kind").ok_or_else(|| {
        ProvenanceError::schema(
            PYPI_DOCUMENT,
            format!("attestation_bundles[{index}].publisher.kind"),
            "a string",
            "none",
        )
    })?;
    Ok(Publisher {
        kind,
        repository: field("repository"),
        workflow: field("workflow").or_else(|| field("workflow_filepath")),
        environment: field("environment"),
    })
}

/// PyPI's Trusted Publisher for GitHub names `owner/repo` and the workflow file name; the
/// certificate must name the same (otherwise the attestation was filed under the wrong
/// publisher).
fn publisher_mismatch(publisher: &Publisher, certificate: Option<&CertificateIdentity>) -> Option<Failure> {
    let certificate = certificate?;
    let host = match publisher.kind.as_str() {
        "GitHub" => "https://github.com/",
        "GitLab" => "https://gitlab.com/",
        _ => return None,
    };
    if let (Some(repository), Some(from_certificate)) = (&publisher.repository, &certificate.build.repository)
        && !verify::same_repository(&format!("{host}{repository}"), from_certificate)
    {
        return Some(Failure::IdentityMismatch {
            field: "publisher.repository",
            statement: repository.clone(),
            certificate: from_certificate.clone(),
        });
    }
    if let (Some(workflow), Some(from_certificate)) = (&publisher.workflow, &certificate.build.workflow) {
        let file = from_certificate.rsplit('/').next().unwrap_or(from_certificate);
        if publisher.kind == "GitHub" && workflow != file {
            return Some(Failure::IdentityMismatch {
                field: "publisher.workflow",
                statement: workflow.clone(),
                certificate: from_certificate.clone(),
            });
        }
    }
    None
}

//! The verification of one signed in-toto statement: certificate chain, DSSE signature,
//! transparency-log entry, subject digest and identity agreement, in that order. The first
//! check that fails is the verdict's reason.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use firebreak_core::Timestamp;
use serde_json::Value;
use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::ExtendedKeyUsage;

use crate::crypto::{self, PublicKey};
use crate::error::ProvenanceError;
use crate::identity::{self, BuildIdentity, CertificateIdentity, Statement};
use crate::model::TlogEntry;
use crate::trust::{self, TrustedRoot, decode_base64};

/// Digest algorithms registries publish for artifacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-256 (PyPI file digests).
    Sha256,
    /// SHA-512 (npm `dist.integrity`).
    Sha512,
}

impl DigestAlgorithm {
    /// The name in-toto statements use as the digest key.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha512 => "sha512",
        }
    }
}

/// The digest of the artifact the attestation must be about (the tarball or file fetched).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArtifactDigest {
    algorithm: DigestAlgorithm,
    bytes: Vec<u8>,
}

impl ArtifactDigest {
    /// A digest from its algorithm and hex text; `None` if the hex is not of the right length.
    pub fn from_hex(algorithm: DigestAlgorithm, hex: &str) -> Option<ArtifactDigest> {
        let expected = match algorithm {
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha512 => 64,
        };
        if hex.len() != expected * 2 || !hex.is_ascii() {
            return None;
        }
        let bytes = (0..expected)
            .map(|i| hex.get(i * 2..i * 2 + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
            .collect::<Option<Vec<u8>>>()?;
        Some(ArtifactDigest { algorithm, bytes })
    }

    /// The SHA-512 of an npm `dist.integrity` value (`sha512-<base64>`, possibly among other
    /// space-separated hashes); `None` when it has no well-formed SHA-512.
    pub fn from_npm_integrity(integrity: &str) -> Option<ArtifactDigest> {
        integrity.split_whitespace().find_map(|part| {
            let encoded = part.strip_prefix("sha512-")?;
            let encoded = encoded.split_once('?').map_or(encoded, |(hash, _)| hash);
            let bytes = STANDARD.decode(encoded).ok().filter(|b| b.len() == 64)?;
            Some(ArtifactDigest { algorithm: DigestAlgorithm::Sha512, bytes })
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The digest as lowercase hex.
    pub fn hex(&self) -> String {
        crypto::hex(&self.bytes)
    }
}

impl fmt::Display for ArtifactDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex())
    }
}

/// Whether the attestation verified, and if not, the first reason it did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed: chain, signature, log entry, subject digest and identity.
    Verified,
    /// A check failed; the statement's claims must not be trusted.
    Failed(Failure),
}

impl Verdict {
    /// True for [`Verdict::Verified`].
    pub fn is_verified(&self) -> bool {
        matches!(self, Verdict::Verified)
    }
}

/// Why an attestation did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The signing certificate does not chain to a certificate authority of the trusted root
    /// (wrong issuer, bad CA signature, CA not valid when the certificate was issued, not a
    /// code-signing certificate).
    CertificateChain {
        /// What was wrong.
        detail: String,
    },
    /// The certificate carries no signed certificate timestamp from a CT log of the trusted
    /// root (it was not publicly logged, or the SCT does not verify).
    CertificateTransparency {
        /// What was wrong.
        detail: String,
    },
    /// The bundle is signed with a key, not a Fulcio certificate, and the trusted root has no
    /// registry key of that id (npm's publish attestation verifies when the npm registry keys
    /// are in the root, as in [`TrustedRoot::public_good`]).
    KeyNotCertified {
        /// The key hint the bundle gives.
        hint: Option<String>,
    },
    /// The registry key had expired when the log recorded the signature.
    RegistryKeyExpired {
        /// The key's id (`SHA256:…`).
        key_id: String,
        /// When the log integrated the entry (Unix seconds).
        integrated_time: i64,
        /// When the key expired (Unix seconds).
        expired: i64,
    },
    /// The DSSE signature over the pre-authentication encoding does not verify with the
    /// certificate's key.
    Signature {
        /// What was wrong.
        detail: String,
    },
    /// No transparency-log entry, or an entry with neither inclusion promise nor proof.
    TransparencyLogMissing {
        /// What was missing.
        detail: String,
    },
    /// The entry names a log that the trusted root does not list, or whose key type this crate
    /// does not verify.
    TransparencyLogUnknown {
        /// What was wrong.
        detail: String,
    },
    /// The log's signed entry timestamp or checkpoint does not verify with the log's key.
    TransparencyLogSignature {
        /// What was wrong.
        detail: String,
    },
    /// The Merkle inclusion proof does not lead to the checkpoint's root.
    InclusionProof {
        /// What was wrong.
        detail: String,
    },
    /// The log entry describes a different signature, key or payload than the bundle, or its
    /// time lies outside the log key's validity.
    TransparencyLogInconsistent {
        /// What was wrong.
        detail: String,
    },
    /// The time the log recorded the entry is outside the signing certificate's validity.
    CertificateExpired {
        /// When the log integrated the entry (Unix seconds).
        integrated_time: i64,
        /// Certificate validity start (Unix seconds).
        not_before: i64,
        /// Certificate validity end (Unix seconds).
        not_after: i64,
    },
    /// No subject of the statement has the artifact's digest.
    SubjectDigestMismatch {
        /// The artifact's digest (`sha512:<hex>`).
        expected: String,
        /// The statement's subject digests of that algorithm (`sha512:<hex>`).
        found: Vec<String>,
    },
    /// The statement and the certificate name different builds.
    IdentityMismatch {
        /// Which field (`repository`, `workflow`, `trigger`, `git_ref`, `commit`,
        /// `publisher.repository`, `publisher.workflow`).
        field: &'static str,
        /// What the statement (or the PyPI publisher) says.
        statement: String,
        /// What the certificate says.
        certificate: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::CertificateChain { detail } => {
                write!(f, "the signing certificate does not chain to a trusted Fulcio root: {detail}")
            }
            Failure::CertificateTransparency { detail } => {
                write!(f, "the signing certificate was not publicly logged: {detail}")
            }
            Failure::KeyNotCertified { hint } => write!(
                f,
                "signed with a key (hint `{}`) that is not in the trusted root, not with a Fulcio certificate",
                hint.as_deref().unwrap_or("none")
            ),
            Failure::RegistryKeyExpired { key_id, integrated_time, expired } => write!(
                f,
                "the log recorded the signature at {} but registry key `{key_id}` expired at {}",
                show_time(*integrated_time),
                show_time(*expired)
            ),
            Failure::Signature { detail } => write!(f, "the DSSE signature does not verify: {detail}"),
            Failure::TransparencyLogMissing { detail } => {
                write!(f, "no usable transparency-log entry: {detail}")
            }
            Failure::TransparencyLogUnknown { detail } => write!(f, "unknown transparency log: {detail}"),
            Failure::TransparencyLogSignature { detail } => {
                write!(f, "the transparency log's signature does not verify: {detail}")
            }
            Failure::InclusionProof { detail } => write!(f, "the inclusion proof does not verify: {detail}"),
            Failure::TransparencyLogInconsistent { detail } => {
                write!(f, "the transparency-log entry does not match the bundle: {detail}")
            }
            Failure::CertificateExpired { integrated_time, not_before, not_after } => write!(
                f,
                "the log recorded the signature at {} but the certificate is valid from {} to {}",
                show_time(*integrated_time),
                show_time(*not_before),
                show_time(*not_after)
            ),
            Failure::SubjectDigestMismatch { expected, found } => write!(
                f,
                "no subject has the artifact's digest `{expected}` (the statement has {})",
                if found.is_empty() {
                    "no digest of that algorithm".to_owned()
                } else {
                    format!("`{}`", found.join("`, `"))
                }
            ),
            Failure::IdentityMismatch { field, statement, certificate } => write!(
                f,
                "the statement's {field} `{statement}` differs from the certificate's `{certificate}`"
            ),
        }
    }
}

fn show_time(unix: i64) -> String {
    Timestamp::from_unix(unix, 0).map_or_else(|| unix.to_string(), |t| t.to_string())
}

/// Where the transparency log recorded the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The log's base URL from the trusted root (`https://rekor.sigstore.dev`).
    pub log_url: String,
    /// The entry's global index.
    pub log_index: i64,
    /// When the log integrated the entry.
    pub integrated_time: Timestamp,
}

/// What an attestation says about how an artifact was built.
///
/// The top-level fields are the certificate's value where it has one (Fulcio vouches for it),
/// else the statement's; [`Provenance::statement`] and [`Provenance::certificate`] keep both
/// sources. They are claims until the [`Verdict`] beside them is [`Verdict::Verified`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The in-toto predicate type (`https://slsa.dev/provenance/v1`).
    pub predicate_type: String,
    /// Source repository URL.
    pub repository: Option<String>,
    /// Workflow file path (`.github/workflows/release.yml`).
    pub workflow: Option<String>,
    /// Event that triggered the build (`push`, `release`…).
    pub trigger: Option<String>,
    /// Git ref built.
    pub git_ref: Option<String>,
    /// Git commit built.
    pub commit: Option<String>,
    /// OIDC issuer of the signing identity (`https://token.actions.githubusercontent.com`).
    pub issuer: Option<String>,
    /// The SLSA builder id (statement) or runner environment (certificate).
    pub builder: Option<String>,
    /// The name of the subject that carries the artifact's digest (or of the first subject).
    pub subject_name: Option<String>,
    /// That subject's digest, `<algorithm>:<hex>`.
    pub subject_digest: Option<String>,
    /// What the statement says.
    pub statement: BuildIdentity,
    /// What the signing certificate says; `None` for key-signed bundles.
    pub certificate: Option<CertificateIdentity>,
    /// The transparency-log entry that verified, if one did.
    pub log_entry: Option<LogEntry>,
}

/// A field of the build identity that differs between two releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityChange {
    /// `repository`, `workflow`, `trigger` or `issuer`.
    pub field: &'static str,
    /// The earlier release's value (`None`: it stated none).
    pub before: Option<String>,
    /// This release's value.
    pub after: Option<String>,
}

impl Provenance {
    /// The identity fields that differ from an earlier release's: source repository (compared
    /// case-insensitively, ignoring `.git`), workflow file, trigger event and OIDC issuer. The
    /// ref and commit are left out: they change with every release.
    ///
    /// Only meaningful between attestations that both verified.
    pub fn changes_since(&self, earlier: &Provenance) -> Vec<IdentityChange> {
        let mut changes = Vec::new();
        let fields: [(&'static str, &Option<String>, &Option<String>); 4] = [
            ("repository", &earlier.repository, &self.repository),
            ("workflow", &earlier.workflow, &self.workflow),
            ("trigger", &earlier.trigger, &self.trigger),
            ("issuer", &earlier.issuer, &self.issuer),
        ];
        for (field, before, after) in fields {
            let same = match (before, after) {
                (Some(a), Some(b)) if field == "repository" => same_repository(a, b),
                (a, b) => a == b,
            };
            if !same {
                changes.push(IdentityChange { field, before: before.clone(), after: after.clone() });
            }
        }
        changes
    }
}

/// One attestation: what it claims and whether that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// The claims.
    pub provenance: Provenance,
    /// The verdict.
    pub verdict: Verdict,
}

/// Limits on hostile input, beyond the document size.
pub(crate) const MAX_TLOG_ENTRIES: usize = 16;
const MAX_PROOF_HASHES: usize = 64;
const MAX_CHECKPOINT: usize = 16 * 1024;

/// The parts of a signed statement, decoded, wherever they came from (a bundle or PEP 740).
pub(crate) struct Signed<'a> {
    pub(crate) document: &'static str,
    /// Key path of the certificate, for errors.
    pub(crate) certificate_path: String,
    /// Leaf certificate DER; `None` when the bundle is signed with a bare key.
    pub(crate) certificate_der: Option<Vec<u8>>,
    pub(crate) key_hint: Option<String>,
    pub(crate) entries: &'a [TlogEntry],
    pub(crate) entries_path: String,
    pub(crate) payload_path: String,
    pub(crate) payload: Vec<u8>,
    pub(crate) payload_type: String,
    pub(crate) signatures: Vec<Vec<u8>>,
}

const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// Verifies one signed statement. Input that cannot be read is an error; input that reads but
/// does not verify is a [`Verdict::Failed`].
pub(crate) fn verify_signed(
    signed: &Signed<'_>,
    artifact: &ArtifactDigest,
    root: &TrustedRoot,
) -> Result<Attestation, ProvenanceError> {
    let document = signed.document;
    let certificate = signed
        .certificate_der
        .as_deref()
        .map(|der| trust::decode_certificate(document, &signed.certificate_path, der))
        .transpose()?;
    let statement_value: Value = serde_json::from_slice(&signed.payload).map_err(|error| {
        ProvenanceError::schema(
            document,
            &signed.payload_path,
            "base64 of an in-toto statement in JSON",
            format!("{error}"),
        )
    })?;
    let statement = identity::statement(&statement_value).map_err(|(at, expected, found)| {
        let path =
            if at.is_empty() { signed.payload_path.clone() } else { format!("{}:{at}", signed.payload_path) };
        ProvenanceError::schema(document, path, expected, found)
    })?;
    let certificate_identity = certificate.as_ref().map(identity::from_certificate);
    let (subject_name, subject_digest, digest_ok) = match_subject(&statement, artifact);
    let mut provenance = provenance(&statement, certificate_identity.as_ref(), subject_name, subject_digest);

    let verdict = match (&certificate, &signed.certificate_der) {
        (Some(certificate), Some(der)) => {
            match checks(
                signed,
                certificate,
                der,
                &statement,
                provenance.certificate.as_ref(),
                artifact,
                root,
                digest_ok,
            )? {
                Ok(entry) => {
                    provenance.log_entry = Some(entry);
                    Verdict::Verified
                }
                Err(failure) => Verdict::Failed(failure),
            }
        }
        _ => match signed.key_hint.as_deref().and_then(|hint| root.registry_key(hint)) {
            Some(key) => match key_checks(signed, key, &statement, artifact, root, digest_ok)? {
                Ok(entry) => {
                    provenance.log_entry = Some(entry);
                    Verdict::Verified
                }
                Err(failure) => Verdict::Failed(failure),
            },
            None => Verdict::Failed(Failure::KeyNotCertified { hint: signed.key_hint.clone() }),
        },
    };
    Ok(Attestation { provenance, verdict })
}

#[allow(clippy::too_many_arguments)]
fn checks(
    signed: &Signed<'_>,
    certificate: &Certificate,
    certificate_der: &[u8],
    statement: &Statement,
    certificate_identity: Option<&CertificateIdentity>,
    artifact: &ArtifactDigest,
    root: &TrustedRoot,
    digest_ok: bool,
) -> Result<Result<LogEntry, Failure>, ProvenanceError> {
    if let Err(failure) = check_chain(certificate, certificate_der, root) {
        return Ok(Err(failure));
    }
    let key = match certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| e.to_string())
        .and_then(|der| PublicKey::from_spki_der(&der))
    {
        Ok(key) => key,
        Err(detail) => {
            return Ok(Err(Failure::Signature { detail: format!("the certificate holds {detail}") }));
        }
    };
    let [signature] = signed.signatures.as_slice() else {
        return Ok(Err(Failure::Signature {
            detail: format!("expected exactly one signature, found {}", signed.signatures.len()),
        }));
    };
    if !key.verify_message(&pae(&signed.payload_type, &signed.payload), signature) {
        return Ok(Err(Failure::Signature {
            detail: "the signature over the DSSE pre-authentication encoding does not verify with the certificate's key"
                .into(),
        }));
    }
    let entry = match check_log(signed, certificate_der, signature, root)? {
        Ok(entry) => entry,
        Err(failure) => return Ok(Err(failure)),
    };
    if let Some(identity) = certificate_identity {
        let time = entry.integrated_time.unix_seconds();
        if time < identity.not_before || time > identity.not_after {
            return Ok(Err(Failure::CertificateExpired {
                integrated_time: time,
                not_before: identity.not_before,
                not_after: identity.not_after,
            }));
        }
    }
    if !digest_ok {
        return Ok(Err(subject_mismatch(statement, artifact)));
    }
    if let Some(identity) = certificate_identity
        && let Some(failure) = compare_identity(&statement.build, &identity.build)
    {
        return Ok(Err(failure));
    }
    Ok(Ok(entry))
}

/// A bundle signed with a registry key of the trusted root (npm's publish attestation): the
/// same checks as for a certificate, with the key's expiry in place of certificate validity
/// and no build identity to compare.
fn key_checks(
    signed: &Signed<'_>,
    key: &crate::trust::RegistryKey,
    statement: &Statement,
    artifact: &ArtifactDigest,
    root: &TrustedRoot,
    digest_ok: bool,
) -> Result<Result<LogEntry, Failure>, ProvenanceError> {
    let [signature] = signed.signatures.as_slice() else {
        return Ok(Err(Failure::Signature {
            detail: format!("expected exactly one signature, found {}", signed.signatures.len()),
        }));
    };
    if !key.key.verify_message(&pae(&signed.payload_type, &signed.payload), signature) {
        return Ok(Err(Failure::Signature {
            detail: format!(
                "the signature over the DSSE pre-authentication encoding does not verify with registry key `{}`",
                key.key_id
            ),
        }));
    }
    let entry = match check_log(signed, &key.der, signature, root)? {
        Ok(entry) => entry,
        Err(failure) => return Ok(Err(failure)),
    };
    if let Some(expires) = key.expires
        && entry.integrated_time > expires
    {
        return Ok(Err(Failure::RegistryKeyExpired {
            key_id: key.key_id.clone(),
            integrated_time: entry.integrated_time.unix_seconds(),
            expired: expires.unix_seconds(),
        }));
    }
    if !digest_ok {
        return Ok(Err(subject_mismatch(statement, artifact)));
    }
    Ok(Ok(entry))
}

fn subject_mismatch(statement: &Statement, artifact: &ArtifactDigest) -> Failure {
    Failure::SubjectDigestMismatch {
        expected: artifact.to_string(),
        found: statement
            .subjects
            .iter()
            .flat_map(|s| s.digests.iter())
            .filter(|(algorithm, _)| algorithm == artifact.algorithm().name())
            .map(|(algorithm, hex)| format!("{algorithm}:{hex}"))
            .collect(),
    }
}

/// DSSE pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

fn check_chain(leaf: &Certificate, leaf_der: &[u8], root: &TrustedRoot) -> Result<(), Failure> {
    let chain_error = |detail: String| Failure::CertificateChain { detail };
    let not_before = leaf.tbs_certificate.validity.not_before.to_unix_duration().as_secs();
    let not_before = i64::try_from(not_before).unwrap_or(i64::MAX);
    let leaf_tbs = crypto::tbs_bytes(leaf_der).map_err(chain_error)?;
    let mut reasons = Vec::new();
    for ca in &root.authorities {
        let Some(issuer) = ca.chain.first() else { continue };
        if issuer.tbs_certificate.subject != leaf.tbs_certificate.issuer {
            continue;
        }
        if !ca.validity.contains(not_before) {
            reasons.push(format!(
                "the CA `{}` was not valid when the certificate was issued",
                issuer.tbs_certificate.subject
            ));
            continue;
        }
        match signed_by(&leaf.signature_algorithm.oid, leaf_tbs, leaf.signature.raw_bytes(), issuer) {
            Ok(()) => {}
            Err(reason) => {
                reasons.push(reason);
                continue;
            }
        }
        // The CA chain comes from the trusted root itself; checking its links still catches a
        // hand-edited root whose intermediate was swapped.
        let mut links_ok = true;
        for (child, (child_der, parent)) in
            ca.chain.iter().zip(ca.chain_der.iter().zip(ca.chain.iter().skip(1)))
        {
            let tbs = crypto::tbs_bytes(child_der).map_err(chain_error)?;
            if let Err(reason) =
                signed_by(&child.signature_algorithm.oid, tbs, child.signature.raw_bytes(), parent)
            {
                reasons.push(format!("trusted-root chain of `{}`: {reason}", ca.uri));
                links_ok = false;
                break;
            }
        }
        if !links_ok {
            continue;
        }
        check_code_signing(leaf)?;
        return crate::sct::check(leaf, issuer, root)
            .map_err(|detail| Failure::CertificateTransparency { detail });
    }
    if reasons.is_empty() {
        reasons.push(format!(
            "its issuer `{}` is not a certificate authority of the trusted root",
            leaf.tbs_certificate.issuer
        ));
    }
    Err(chain_error(reasons.join("; ")))
}

fn signed_by(
    algorithm: &ObjectIdentifier,
    tbs: &[u8],
    signature: &[u8],
    issuer: &Certificate,
) -> Result<(), String> {
    let key = issuer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| e.to_string())
        .and_then(|der| PublicKey::from_spki_der(&der))
        .map_err(|detail| format!("the CA `{}` holds {detail}", issuer.tbs_certificate.subject))?;
    match key.verify_x509(*algorithm, tbs, signature) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("the signature by `{}` does not verify", issuer.tbs_certificate.subject)),
        Err(detail) => Err(detail),
    }
}

fn check_code_signing(leaf: &Certificate) -> Result<(), Failure> {
    let usage = leaf
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|extension| extension.extn_id == EXTENDED_KEY_USAGE)
        .and_then(|extension| ExtendedKeyUsage::from_der(extension.extn_value.as_bytes()).ok());
    match usage {
        Some(usage) if usage.0.contains(&CODE_SIGNING) => Ok(()),
        _ => Err(Failure::CertificateChain { detail: "the certificate is not for code signing".into() }),
    }
}

/// Checks the transparency-log entries; the first entry from a known log decides.
fn check_log(
    signed: &Signed<'_>,
    certificate_der: &[u8],
    signature: &[u8],
    root: &TrustedRoot,
) -> Result<Result<LogEntry, Failure>, ProvenanceError> {
    let document = signed.document;
    if signed.entries.is_empty() {
        return Ok(Err(Failure::TransparencyLogMissing {
            detail: "the bundle has no transparency-log entry".into(),
        }));
    }
    if signed.entries.len() > MAX_TLOG_ENTRIES {
        return Err(ProvenanceError::schema(
            document,
            &signed.entries_path,
            format!("at most {MAX_TLOG_ENTRIES} entries"),
            signed.entries.len().to_string(),
        ));
    }
    let mut first_failure = None;
    for (index, entry) in signed.entries.iter().enumerate() {
        let path = format!("{}[{index}]", signed.entries_path);
        let key_id = decode_base64(document, &format!("{path}.logId.keyId"), &entry.log_id.key_id)?;
        let body = decode_base64(document, &format!("{path}.canonicalizedBody"), &entry.canonicalized_body)?;
        let outcome =
            check_entry(document, &path, entry, &key_id, &body, signed, certificate_der, signature, root)?;
        match outcome {
            Ok(entry) => return Ok(Ok(entry)),
            Err(failure) => {
                first_failure.get_or_insert(failure);
            }
        }
    }
    Ok(Err(first_failure.unwrap_or(Failure::TransparencyLogMissing { detail: "no entry".into() })))
}

#[allow(clippy::too_many_arguments)]
fn check_entry(
    document: &'static str,
    path: &str,
    entry: &TlogEntry,
    key_id: &[u8],
    body: &[u8],
    signed: &Signed<'_>,
    certificate_der: &[u8],
    signature: &[u8],
    root: &TrustedRoot,
) -> Result<Result<LogEntry, Failure>, ProvenanceError> {
    let Some(log) = root.log(key_id) else {
        return Ok(Err(Failure::TransparencyLogUnknown {
            detail: format!("log id `{}` is not in the trusted root", crypto::hex(key_id)),
        }));
    };
    let Some(key) = &log.key else {
        return Ok(Err(Failure::TransparencyLogUnknown {
            detail: format!(
                "the log `{}` uses a `{}` key, which is not verified here",
                log.base_url, log.key_details
            ),
        }));
    };
    if !log.validity.contains(entry.integrated_time) {
        return Ok(Err(Failure::TransparencyLogInconsistent {
            detail: format!(
                "integrated time {} is outside the validity of the key of `{}`",
                show_time(entry.integrated_time),
                log.base_url
            ),
        }));
    }
    if let Err(detail) = body_matches(entry, body, signed, certificate_der, signature) {
        return Ok(Err(Failure::TransparencyLogInconsistent { detail }));
    }
    if entry.inclusion_promise.is_none() && entry.inclusion_proof.is_none() {
        return Ok(Err(Failure::TransparencyLogMissing {
            detail: "the entry has neither an inclusion promise nor an inclusion proof".into(),
        }));
    }
    if let Some(promise) = &entry.inclusion_promise {
        let set = decode_base64(
            document,
            &format!("{path}.inclusionPromise.signedEntryTimestamp"),
            &promise.signed_entry_timestamp,
        )?;
        // Rekor signs the canonical JSON (RFC 8785: sorted keys, no spaces) of these four.
        let canonical = format!(
            "{{\"body\":{},\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
            serde_json::Value::String(entry.canonicalized_body.clone()),
            entry.integrated_time,
            crypto::hex(key_id),
            entry.log_index
        );
        if !key.verify_message(canonical.as_bytes(), &set) {
            return Ok(Err(Failure::TransparencyLogSignature {
                detail: format!(
                    "the signed entry timestamp does not verify with the key of `{}`",
                    log.base_url
                ),
            }));
        }
    }
    if let Some(proof) = &entry.inclusion_proof {
        let proof_path = format!("{path}.inclusionProof");
        if proof.hashes.len() > MAX_PROOF_HASHES {
            return Err(ProvenanceError::schema(
                document,
                format!("{proof_path}.hashes"),
                format!("at most {MAX_PROOF_HASHES} hashes"),
                proof.hashes.len().to_string(),
            ));
        }
        let mut hashes = Vec::with_capacity(proof.hashes.len());
        for (index, hash) in proof.hashes.iter().enumerate() {
            hashes.push(hash32(document, &format!("{proof_path}.hashes[{index}]"), hash)?);
        }
        let root_hash = hash32(document, &format!("{proof_path}.rootHash"), &proof.root_hash)?;
        let leaf = leaf_hash(body);
        let computed = u64::try_from(proof.log_index)
            .ok()
            .zip(u64::try_from(proof.tree_size).ok())
            .and_then(|(index, size)| root_from_inclusion_proof(index, size, leaf, &hashes));
        match computed {
            Some(computed) if computed == root_hash => {}
            Some(_) => {
                return Ok(Err(Failure::InclusionProof {
                    detail: "the proof's hashes lead to a different root than the proof's root hash".into(),
                }));
            }
            None => {
                return Ok(Err(Failure::InclusionProof {
                    detail: format!(
                        "index {} and tree size {} do not fit a proof of {} hashes",
                        proof.log_index,
                        proof.tree_size,
                        hashes.len()
                    ),
                }));
            }
        }
        let Some(checkpoint) = &proof.checkpoint else {
            return Ok(Err(Failure::InclusionProof {
                detail: "the proof has no checkpoint signed by the log".into(),
            }));
        };
        if let Err(detail) = check_checkpoint(&checkpoint.envelope, key, key_id, proof.tree_size, &root_hash)
        {
            return Ok(Err(Failure::InclusionProof { detail }));
        }
    }
    let integrated_time = Timestamp::from_unix(entry.integrated_time, 0).ok_or_else(|| {
        ProvenanceError::schema(document, format!("{path}.integratedTime"), "a time", "out of range")
    })?;
    Ok(Ok(LogEntry { log_url: log.base_url.clone(), log_index: entry.log_index, integrated_time }))
}

fn hash32(document: &'static str, path: &str, text: &str) -> Result<[u8; 32], ProvenanceError> {
    let bytes = decode_base64(document, path, text)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        ProvenanceError::schema(document, path, "a 32-byte SHA-256 hash", format!("{} bytes", bytes.len()))
    })
}

/// The log entry must describe this bundle: same payload hash, same signature, same
/// certificate (CVE-2022-36056 was a client that skipped this).
fn body_matches(
    entry: &TlogEntry,
    body: &[u8],
    signed: &Signed<'_>,
    certificate_der: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let body: Value = serde_json::from_slice(body).map_err(|e| format!("its body is not JSON ({e})"))?;
    let kind = body.get("kind").and_then(Value::as_str).unwrap_or_default();
    let version = body.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    if kind != entry.kind_version.kind || version != entry.kind_version.version {
        return Err(format!(
            "the body is `{kind}` `{version}` but the entry says `{}` `{}`",
            entry.kind_version.kind, entry.kind_version.version
        ));
    }
    let payload_hash = crypto::hex(&crypto::sha256(&signed.payload));
    let (hash_pointer, signatures_pointer, signature_key, verifier_key) = match (kind, version) {
        ("dsse", "0.0.1") => ("/spec/payloadHash", "/spec/signatures", "signature", "verifier"),
        ("intoto", "0.0.2") => {
            ("/spec/content/payloadHash", "/spec/content/envelope/signatures", "sig", "publicKey")
        }
        _ => return Err(format!("entries of kind `{kind}` `{version}` are not checked here")),
    };
    let recorded_hash = body.pointer(&format!("{hash_pointer}/value")).and_then(Value::as_str);
    let algorithm = body.pointer(&format!("{hash_pointer}/algorithm")).and_then(Value::as_str);
    if algorithm != Some("sha256") || recorded_hash != Some(payload_hash.as_str()) {
        return Err(format!(
            "the log recorded payload hash `{}`, the bundle's payload hashes to `sha256:{payload_hash}`",
            recorded_hash.unwrap_or("none")
        ));
    }
    let recorded = body.pointer(signatures_pointer).and_then(Value::as_array).cloned().unwrap_or_default();
    let matched = recorded.iter().take(MAX_TLOG_ENTRIES).any(|item| {
        let signature_ok = item.get(signature_key).and_then(Value::as_str).is_some_and(|text| {
            // intoto v0.0.2 stores the signature base64-encoded once more.
            let once = STANDARD.decode(text).ok();
            once.as_deref() == Some(signature)
                || once.and_then(|inner| STANDARD.decode(inner).ok()).as_deref() == Some(signature)
        });
        let verifier_ok = item
            .get(verifier_key)
            .and_then(Value::as_str)
            .and_then(|text| STANDARD.decode(text).ok())
            .and_then(|pem| pem_der(&pem))
            .is_some_and(|der| der == certificate_der);
        signature_ok && verifier_ok
    });
    if !matched {
        return Err("the log recorded a different signature or signing certificate".into());
    }
    Ok(())
}

/// The DER inside a PEM certificate or public key: the log records whichever verified.
fn pem_der(pem: &[u8]) -> Option<Vec<u8>> {
    use x509_cert::der::DecodePem;
    match Certificate::from_pem(pem) {
        Ok(certificate) => certificate.to_der().ok(),
        Err(_) => x509_cert::spki::SubjectPublicKeyInfoOwned::from_pem(pem).ok()?.to_der().ok(),
    }
}

/// RFC 6962 leaf hash.
fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut data = Vec::with_capacity(body.len() + 1);
    data.push(0u8);
    data.extend_from_slice(body);
    crypto::sha256(&data)
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut data = [0u8; 65];
    data[0] = 1;
    data[1..33].copy_from_slice(left);
    data[33..].copy_from_slice(right);
    crypto::sha256(&data)
}

/// The root an RFC 9162 (section 2.1.3.2) inclusion proof leads to; `None` if the proof has
/// the wrong length for the index and tree size.
fn root_from_inclusion_proof(index: u64, size: u64, leaf: [u8; 32], proof: &[[u8; 32]]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let inner = usize::try_from(64 - (index ^ (size - 1)).leading_zeros()).ok()?;
    let border = usize::try_from((index >> inner.min(63)).count_ones()).ok()?;
    let border = if inner >= 64 { 0 } else { border };
    if proof.len() != inner.checked_add(border)? {
        return None;
    }
    let mut hash = leaf;
    for (level, sibling) in proof.iter().take(inner).enumerate() {
        hash = if (index >> level) & 1 == 0 { node_hash(&hash, sibling) } else { node_hash(sibling, &hash) };
    }
    for sibling in proof.iter().skip(inner) {
        hash = node_hash(sibling, &hash);
    }
    Some(hash)
}

/// A checkpoint is a signed note (<https://github.com/C2SP/C2SP/blob/main/signed-note.md>):
/// origin, tree size and root hash lines, a blank line, then `— <name> <base64(keyhint ||
/// signature)>` lines. The signature covers the text up to and including the blank line's
/// preceding newline.
fn check_checkpoint(
    envelope: &str,
    key: &PublicKey,
    key_id: &[u8],
    tree_size: i64,
    root_hash: &[u8; 32],
) -> Result<(), String> {
    if envelope.len() > MAX_CHECKPOINT {
        return Err(format!("the checkpoint is over {MAX_CHECKPOINT} bytes"));
    }
    let (text, signatures) =
        envelope.split_once("\n\n").ok_or_else(|| "the checkpoint has no signature block".to_owned())?;
    let signed_text = format!("{text}\n");
    let mut lines = text.lines();
    let _origin = lines.next();
    let size = lines.next().and_then(|line| line.parse::<i64>().ok());
    let root = lines.next().and_then(|line| STANDARD.decode(line).ok());
    if size != Some(tree_size) {
        return Err(format!("the checkpoint's tree size is not the proof's {tree_size}"));
    }
    if root.as_deref() != Some(root_hash.as_slice()) {
        return Err("the checkpoint's root hash is not the proof's".into());
    }
    let hint = key_id.get(..4).unwrap_or_default();
    let mut saw_key = false;
    for line in signatures.lines() {
        let Some(rest) = line.strip_prefix("\u{2014} ") else { continue };
        let Some(encoded) = rest.rsplit(' ').next() else { continue };
        let Ok(bytes) = STANDARD.decode(encoded) else { continue };
        let (line_hint, signature) = (bytes.get(..4).unwrap_or_default(), bytes.get(4..).unwrap_or_default());
        if line_hint != hint {
            continue;
        }
        saw_key = true;
        if key.verify_message(signed_text.as_bytes(), signature) {
            return Ok(());
        }
    }
    Err(if saw_key {
        "the checkpoint's signature does not verify with the log's key".into()
    } else {
        "the checkpoint has no signature by the log's key".into()
    })
}

fn match_subject(statement: &Statement, artifact: &ArtifactDigest) -> (Option<String>, Option<String>, bool) {
    let algorithm = artifact.algorithm().name();
    let expected = artifact.hex();
    for subject in &statement.subjects {
        for (name, hex) in &subject.digests {
            if name == algorithm && *hex == expected {
                return (subject.name.clone(), Some(format!("{name}:{hex}")), true);
            }
        }
    }
    let first = statement.subjects.first();
    let digest = first.and_then(|subject| {
        subject
            .digests
            .iter()
            .find(|(name, _)| name == algorithm)
            .or_else(|| subject.digests.first())
            .map(|(name, hex)| format!("{name}:{hex}"))
    });
    (first.and_then(|s| s.name.clone()), digest, false)
}

fn provenance(
    statement: &Statement,
    certificate: Option<&CertificateIdentity>,
    subject_name: Option<String>,
    subject_digest: Option<String>,
) -> Provenance {
    let pick = |from_certificate: Option<&Option<String>>, from_statement: &Option<String>| {
        from_certificate.and_then(Clone::clone).or_else(|| from_statement.clone())
    };
    let build = certificate.map(|c| &c.build);
    Provenance {
        predicate_type: statement.predicate_type.clone(),
        repository: pick(build.map(|b| &b.repository), &statement.build.repository),
        workflow: pick(build.map(|b| &b.workflow), &statement.build.workflow),
        trigger: pick(build.map(|b| &b.trigger), &statement.build.trigger),
        git_ref: pick(build.map(|b| &b.git_ref), &statement.build.git_ref),
        commit: pick(build.map(|b| &b.commit), &statement.build.commit),
        issuer: certificate.and_then(|c| c.issuer.clone()),
        builder: statement.build.builder.clone().or_else(|| build.and_then(|b| b.builder.clone())),
        subject_name,
        subject_digest,
        statement: statement.build.clone(),
        certificate: certificate.cloned(),
        log_entry: None,
    }
}

fn compare_identity(statement: &BuildIdentity, certificate: &BuildIdentity) -> Option<Failure> {
    let fields: [(&'static str, &Option<String>, &Option<String>, bool); 5] = [
        ("repository", &statement.repository, &certificate.repository, true),
        ("workflow", &statement.workflow, &certificate.workflow, false),
        ("trigger", &statement.trigger, &certificate.trigger, false),
        ("git_ref", &statement.git_ref, &certificate.git_ref, false),
        ("commit", &statement.commit, &certificate.commit, false),
    ];
    fields.into_iter().find_map(|(field, from_statement, from_certificate, is_url)| {
        let (Some(a), Some(b)) = (from_statement, from_certificate) else { return None };
        let same = if is_url { same_repository(a, b) } else { a == b };
        (!same).then(|| Failure::IdentityMismatch { field, statement: a.clone(), certificate: b.clone() })
    })
}

/// GitHub owner and repository names are case-insensitive; a `.git` suffix or trailing slash
/// names the same repository.
pub(crate) fn same_repository(a: &str, b: &str) -> bool {
    let normal = |s: &str| {
        let s = s.trim_end_matches('/');
        s.strip_suffix(".git").unwrap_or(s).to_ascii_lowercase()
    };
    normal(a) == normal(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(n: u8) -> [u8; 32] {
        leaf_hash(&[n])
    }

    /// RFC 6962 tree hash of leaves `0..n`, computed the obvious recursive way.
    fn tree(leaves: &[[u8; 32]]) -> [u8; 32] {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let split = leaves.len().next_power_of_two() / 2;
        node_hash(&tree(&leaves[..split]), &tree(&leaves[split..]))
    }

    /// The audit path of leaf `index` (RFC 6962 section 2.1.1), bottom-up.
    fn path(index: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
        if leaves.len() <= 1 {
            return vec![];
        }
        let split = leaves.len().next_power_of_two() / 2;
        if index < split {
            let mut out = path(index, &leaves[..split]);
            out.push(tree(&leaves[split..]));
            out
        } else {
            let mut out = path(index - split, &leaves[split..]);
            out.push(tree(&leaves[..split]));
            out
        }
    }

    #[test]
    fn inclusion_proofs_of_every_leaf_of_small_trees_lead_to_the_root() {
        for size in 1..=17usize {
            let leaves: Vec<[u8; 32]> = (0..size).map(|n| leaf(n as u8)).collect();
            let root = tree(&leaves);
            for index in 0..size {
                let proof = path(index, &leaves);
                let computed = root_from_inclusion_proof(index as u64, size as u64, leaves[index], &proof);
                assert_eq!(computed, Some(root), "size {size} index {index}");
                // The same proof for a neighbour or with a hash dropped must not lead there.
                if size > 1 {
                    let other = (index + 1) % size;
                    assert_ne!(
                        root_from_inclusion_proof(other as u64, size as u64, leaves[index], &proof),
                        Some(root)
                    );
                    assert_eq!(
                        root_from_inclusion_proof(index as u64, size as u64, leaves[index], &proof[1..]),
                        None
                    );
                }
            }
        }
    }

    #[test]
    fn inclusion_proofs_out_of_range_are_refused() {
        assert_eq!(root_from_inclusion_proof(5, 5, leaf(0), &[]), None);
        assert_eq!(root_from_inclusion_proof(0, 0, leaf(0), &[]), None);
        assert_eq!(root_from_inclusion_proof(u64::MAX - 1, u64::MAX, leaf(0), &[leaf(1); 3]), None);
    }

    #[test]
    fn identities_are_compared_field_by_field() {
        let statement = BuildIdentity {
            repository: Some("https://github.com/Owner/Repo".into()),
            workflow: Some(".github/workflows/release.yml".into()),
            ..BuildIdentity::default()
        };
        let mut certificate = BuildIdentity {
            repository: Some("https://github.com/owner/repo.git".into()),
            workflow: Some(".github/workflows/release.yml".into()),
            trigger: Some("push".into()),
            ..BuildIdentity::default()
        };
        assert_eq!(compare_identity(&statement, &certificate), None);
        certificate.workflow = Some(".github/workflows/other.yml".into());
        assert_eq!(
            compare_identity(&statement, &certificate),
            Some(Failure::IdentityMismatch {
                field: "workflow",
                statement: ".github/workflows/release.yml".into(),
                certificate: ".github/workflows/other.yml".into(),
            })
        );
        certificate.repository = Some("https://github.com/owner/fork".into());
        assert!(matches!(
            compare_identity(&statement, &certificate),
            Some(Failure::IdentityMismatch { field: "repository", .. })
        ));
    }

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }
}

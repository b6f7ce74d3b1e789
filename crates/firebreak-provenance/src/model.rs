//! Serde shapes of the documents as they arrive: Sigstore bundles (protobuf-specs JSON, media
//! types v0.1 to v0.3), the npm attestations response, PEP 740 provenance objects and the
//! Sigstore `trusted_root.json`. Nothing here is trusted; `decode` turns these into checked
//! bytes with a key path on every error.

use serde::{Deserialize, Deserializer};

use crate::error::ProvenanceError;

/// Protobuf JSON writes 64-bit integers as strings; some older bundles write numbers.
fn int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntOrString {
        Int(i64),
        String(String),
    }
    match IntOrString::deserialize(deserializer)? {
        IntOrString::Int(value) => Ok(value),
        IntOrString::String(text) => {
            text.parse().map_err(|_| serde::de::Error::custom(format!("expected an integer, found `{text}`")))
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bundle {
    pub(crate) media_type: String,
    pub(crate) verification_material: VerificationMaterial,
    pub(crate) dsse_envelope: Option<Envelope>,
    pub(crate) message_signature: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VerificationMaterial {
    /// Bundle v0.3: the leaf certificate only.
    pub(crate) certificate: Option<RawBytes>,
    /// Bundles v0.1 and v0.2: the chain, leaf first.
    pub(crate) x509_certificate_chain: Option<CertificateChain>,
    /// A key identified by a hint (npm's publish attestation, signed with the registry's key).
    pub(crate) public_key: Option<PublicKeyHint>,
    #[serde(default)]
    pub(crate) tlog_entries: Vec<TlogEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawBytes {
    pub(crate) raw_bytes: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CertificateChain {
    pub(crate) certificates: Vec<RawBytes>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PublicKeyHint {
    pub(crate) hint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TlogEntry {
    #[serde(deserialize_with = "int")]
    pub(crate) log_index: i64,
    pub(crate) log_id: LogId,
    pub(crate) kind_version: KindVersion,
    #[serde(deserialize_with = "int")]
    pub(crate) integrated_time: i64,
    pub(crate) inclusion_promise: Option<InclusionPromise>,
    pub(crate) inclusion_proof: Option<InclusionProof>,
    pub(crate) canonicalized_body: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogId {
    pub(crate) key_id: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct KindVersion {
    pub(crate) kind: String,
    pub(crate) version: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InclusionPromise {
    pub(crate) signed_entry_timestamp: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InclusionProof {
    #[serde(deserialize_with = "int")]
    pub(crate) log_index: i64,
    pub(crate) root_hash: String,
    #[serde(deserialize_with = "int")]
    pub(crate) tree_size: i64,
    pub(crate) hashes: Vec<String>,
    pub(crate) checkpoint: Option<Checkpoint>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Checkpoint {
    pub(crate) envelope: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope {
    pub(crate) payload: String,
    pub(crate) payload_type: String,
    pub(crate) signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct EnvelopeSignature {
    pub(crate) sig: String,
}

/// `GET /-/npm/v1/attestations/<name>@<version>`.
#[derive(Debug, Deserialize)]
pub(crate) struct NpmAttestations {
    pub(crate) attestations: Vec<NpmAttestation>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NpmAttestation {
    pub(crate) predicate_type: String,
    pub(crate) bundle: Bundle,
}

/// PEP 740 provenance object (`GET /integrity/<project>/<version>/<file>/provenance`).
#[derive(Debug, Deserialize)]
pub(crate) struct PypiProvenance {
    pub(crate) version: u32,
    pub(crate) attestation_bundles: Vec<PypiAttestationBundle>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PypiAttestationBundle {
    pub(crate) publisher: serde_json::Map<String, serde_json::Value>,
    pub(crate) attestations: Vec<PypiAttestation>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PypiAttestation {
    pub(crate) version: u32,
    pub(crate) verification_material: PypiVerificationMaterial,
    pub(crate) envelope: PypiEnvelope,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PypiVerificationMaterial {
    pub(crate) certificate: String,
    pub(crate) transparency_entries: Vec<TlogEntry>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PypiEnvelope {
    pub(crate) statement: String,
    pub(crate) signature: String,
}

/// Sigstore `trusted_root.json` (media type `application/vnd.dev.sigstore.trustedroot+json`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TrustedRootJson {
    pub(crate) media_type: String,
    #[serde(default)]
    pub(crate) tlogs: Vec<TransparencyLogJson>,
    #[serde(default)]
    pub(crate) certificate_authorities: Vec<CertificateAuthorityJson>,
    #[serde(default)]
    pub(crate) ctlogs: Vec<TransparencyLogJson>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransparencyLogJson {
    pub(crate) base_url: String,
    pub(crate) public_key: PublicKeyJson,
    pub(crate) log_id: LogId,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PublicKeyJson {
    pub(crate) raw_bytes: String,
    pub(crate) key_details: String,
    pub(crate) valid_for: ValidFor,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CertificateAuthorityJson {
    pub(crate) uri: String,
    pub(crate) cert_chain: CertificateChain,
    pub(crate) valid_for: ValidFor,
}

/// `GET /-/npm/v1/keys`: the keys the npm registry signs with.
#[derive(Debug, Deserialize)]
pub(crate) struct NpmKeysJson {
    pub(crate) keys: Vec<NpmKeyJson>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NpmKeyJson {
    pub(crate) expires: Option<String>,
    pub(crate) keyid: String,
    pub(crate) keytype: String,
    pub(crate) key: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ValidFor {
    pub(crate) start: String,
    pub(crate) end: Option<String>,
}

/// Parses JSON into `T`, naming the key path of the first value that does not fit.
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(
    document: &'static str,
    bytes: &[u8],
    limit: usize,
) -> Result<T, ProvenanceError> {
    if bytes.len() > limit {
        return Err(ProvenanceError::TooLarge { document, size: bytes.len(), limit });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut deserializer).map_err(|error| {
        let path = match error.path().to_string() {
            root if root == "." => "(top level)".to_owned(),
            path => path,
        };
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ProvenanceError::Syntax {
                document,
                line: inner.line(),
                column: inner.column(),
                message: strip_position(&inner.to_string()),
            }
        } else {
            let (expected, found) = expected_found(&strip_position(&inner.to_string()));
            ProvenanceError::schema(document, path, expected, found)
        }
    })?;
    deserializer.end().map_err(|inner| ProvenanceError::Syntax {
        document,
        line: inner.line(),
        column: inner.column(),
        message: strip_position(&inner.to_string()),
    })?;
    Ok(value)
}

/// Splits serde's messages (`missing field `x``, `invalid type: string "a", expected u32`,
/// and this module's `expected …, found …`) into what was expected and what was found.
fn expected_found(message: &str) -> (String, String) {
    if let Some(field) = message.strip_prefix("missing field ") {
        return (format!("a {field} key"), "none".to_owned());
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some((found, expected)) =
            message.strip_prefix(prefix).and_then(|rest| rest.rsplit_once(", expected "))
        {
            return (expected.to_owned(), found.to_owned());
        }
    }
    if let Some((expected, found)) =
        message.strip_prefix("expected ").and_then(|rest| rest.split_once(", found "))
    {
        return (expected.to_owned(), found.to_owned());
    }
    ("a value of the documented shape".to_owned(), message.to_owned())
}

/// serde_json appends " at line L column C"; the error already carries those.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message.get(..index).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

//! The trust anchors: Fulcio certificate authorities and Rekor log keys, each with the period
//! in which it may be used, read from a Sigstore `trusted_root.json`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use firebreak_core::Timestamp;
use x509_cert::Certificate;
use x509_cert::der::Decode;

use crate::crypto::{self, PublicKey};
use crate::error::ProvenanceError;
use crate::model::{self, TrustedRootJson, ValidFor};

const DOCUMENT: &str = "trusted root";
const LIMIT: usize = 1 << 20;

/// The public-good Sigstore trusted root, as distributed through Sigstore's TUF repository
/// (source and licence in `data/README.md`).
const PUBLIC_GOOD: &[u8] = include_bytes!("../data/trusted_root.json");
/// The npm registry's signing keys (`/-/npm/v1/keys`), which sign npm's publish attestations
/// (source in `data/README.md`).
const NPM_KEYS: &[u8] = include_bytes!("../data/npm-registry-keys.json");
const NPM_KEYS_DOCUMENT: &str = "npm registry keys";

/// A period of validity; `end` is open when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// First instant of validity.
    pub start: Timestamp,
    /// Last instant of validity, if the key or CA has been retired.
    pub end: Option<Timestamp>,
}

impl Validity {
    pub(crate) fn contains(&self, unix_seconds: i64) -> bool {
        unix_seconds >= self.start.unix_seconds()
            && self.end.is_none_or(|end| unix_seconds <= end.unix_seconds())
    }
}

/// A Fulcio certificate authority: its chain (issuing CA first, root last).
#[derive(Debug, Clone)]
pub(crate) struct CertificateAuthority {
    pub(crate) uri: String,
    pub(crate) chain: Vec<Certificate>,
    /// The DER of each certificate in `chain`, for signature checks over the exact bytes.
    pub(crate) chain_der: Vec<Vec<u8>>,
    pub(crate) validity: Validity,
}

/// A transparency log: its key, the key's id (SHA-256 of the DER public key) and validity.
#[derive(Debug, Clone)]
pub(crate) struct TransparencyLog {
    pub(crate) base_url: String,
    pub(crate) key_id: Vec<u8>,
    /// `None` for key types this crate does not verify (the Ed25519 keys of Rekor v2 logs).
    pub(crate) key: Option<PublicKey>,
    pub(crate) key_details: String,
    pub(crate) validity: Validity,
}

/// A certificate-transparency log that Fulcio submits certificates to.
#[derive(Debug, Clone)]
pub(crate) struct CtLog {
    pub(crate) base_url: String,
    pub(crate) key_id: Vec<u8>,
    pub(crate) key: PublicKey,
    pub(crate) validity: Validity,
}

/// A registry's own signing key (npm signs its publish attestations with one).
#[derive(Debug, Clone)]
pub(crate) struct RegistryKey {
    pub(crate) key_id: String,
    pub(crate) key: PublicKey,
    /// The key's SubjectPublicKeyInfo DER, to compare with the log entry's verifier.
    pub(crate) der: Vec<u8>,
    pub(crate) expires: Option<Timestamp>,
}

/// Sigstore trust anchors: the Fulcio CAs that may issue signing certificates and the Rekor
/// logs whose promises and checkpoints are accepted.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    pub(crate) authorities: Vec<CertificateAuthority>,
    pub(crate) logs: Vec<TransparencyLog>,
    pub(crate) ct_logs: Vec<CtLog>,
    /// Whether the root lists CT logs at all (even of unsupported key types): only a root
    /// without any skips the SCT check.
    pub(crate) ct_required: bool,
    pub(crate) registry_keys: Vec<RegistryKey>,
}

impl TrustedRoot {
    /// The public-good Sigstore instance (fulcio.sigstore.dev, rekor.sigstore.dev), embedded.
    /// Includes the npm registry's signing keys, so npm's publish attestations verify too.
    pub fn public_good() -> Result<TrustedRoot, ProvenanceError> {
        Self::from_json(PUBLIC_GOOD)?.with_npm_keys(NPM_KEYS)
    }

    /// Adds the npm registry's signing keys (the body of `GET /-/npm/v1/keys`), which verify
    /// npm's publish attestations; a key is trusted for log entries integrated before its
    /// `expires`.
    pub fn with_npm_keys(mut self, bytes: &[u8]) -> Result<TrustedRoot, ProvenanceError> {
        let json: model::NpmKeysJson = model::parse(NPM_KEYS_DOCUMENT, bytes, LIMIT)?;
        for (index, key) in json.keys.iter().enumerate() {
            let path = format!("keys[{index}]");
            if key.keytype != "ecdsa-sha2-nistp256" {
                return Err(ProvenanceError::Unsupported {
                    document: NPM_KEYS_DOCUMENT,
                    path: format!("{path}.keytype"),
                    found: key.keytype.clone(),
                    supported: "`ecdsa-sha2-nistp256`",
                });
            }
            let der = decode_base64(NPM_KEYS_DOCUMENT, &format!("{path}.key"), &key.key)?;
            let public = PublicKey::from_spki_der(&der).map_err(|found| {
                ProvenanceError::schema(
                    NPM_KEYS_DOCUMENT,
                    format!("{path}.key"),
                    "a DER P-256 public key",
                    found,
                )
            })?;
            let expires = key
                .expires
                .as_deref()
                .map(|text| {
                    Timestamp::parse(text).map_err(|found| {
                        ProvenanceError::schema(
                            NPM_KEYS_DOCUMENT,
                            format!("{path}.expires"),
                            "an RFC 3339 timestamp",
                            found,
                        )
                    })
                })
                .transpose()?;
            self.registry_keys.push(RegistryKey { key_id: key.keyid.clone(), key: public, der, expires });
        }
        Ok(self)
    }

    pub(crate) fn registry_key(&self, key_id: &str) -> Option<&RegistryKey> {
        self.registry_keys.iter().find(|key| key.key_id == key_id)
    }

    /// Reads a `trusted_root.json` (media type `application/vnd.dev.sigstore.trustedroot+json`).
    pub fn from_json(bytes: &[u8]) -> Result<TrustedRoot, ProvenanceError> {
        let json: TrustedRootJson = model::parse(DOCUMENT, bytes, LIMIT)?;
        if !json.media_type.starts_with("application/vnd.dev.sigstore.trustedroot") {
            return Err(ProvenanceError::Unsupported {
                document: DOCUMENT,
                path: "mediaType".into(),
                found: json.media_type,
                supported: "`application/vnd.dev.sigstore.trustedroot+json;version=0.1` and later",
            });
        }
        let mut authorities = Vec::new();
        for (index, ca) in json.certificate_authorities.iter().enumerate() {
            let path = format!("certificateAuthorities[{index}]");
            let mut chain = Vec::new();
            let mut chain_der = Vec::new();
            for (position, raw) in ca.cert_chain.certificates.iter().enumerate() {
                let at = format!("{path}.certChain.certificates[{position}].rawBytes");
                let der = decode_base64(DOCUMENT, &at, &raw.raw_bytes)?;
                chain.push(decode_certificate(DOCUMENT, &at, &der)?);
                chain_der.push(der);
            }
            authorities.push(CertificateAuthority {
                uri: ca.uri.clone(),
                chain,
                chain_der,
                validity: validity(&ca.valid_for, &format!("{path}.validFor"))?,
            });
        }
        let mut logs = Vec::new();
        for (index, log) in json.tlogs.iter().enumerate() {
            let path = format!("tlogs[{index}]");
            let der =
                decode_base64(DOCUMENT, &format!("{path}.publicKey.rawBytes"), &log.public_key.raw_bytes)?;
            let key_id = decode_base64(DOCUMENT, &format!("{path}.logId.keyId"), &log.log_id.key_id)?;
            let key = match log.public_key.key_details.as_str() {
                "PKIX_ECDSA_P256_SHA_256" | "PKIX_ECDSA_P384_SHA_384" => {
                    Some(PublicKey::from_spki_der(&der).map_err(|found| {
                        ProvenanceError::schema(
                            DOCUMENT,
                            format!("{path}.publicKey.rawBytes"),
                            "a DER ECDSA public key",
                            found,
                        )
                    })?)
                }
                _ => None,
            };
            logs.push(TransparencyLog {
                base_url: log.base_url.clone(),
                key_id,
                key,
                key_details: log.public_key.key_details.clone(),
                validity: validity(&log.public_key.valid_for, &format!("{path}.publicKey.validFor"))?,
            });
        }
        let mut ct_logs = Vec::new();
        for (index, log) in json.ctlogs.iter().enumerate() {
            let path = format!("ctlogs[{index}]");
            let der =
                decode_base64(DOCUMENT, &format!("{path}.publicKey.rawBytes"), &log.public_key.raw_bytes)?;
            let key_id = decode_base64(DOCUMENT, &format!("{path}.logId.keyId"), &log.log_id.key_id)?;
            // A CT key of another type cannot vouch for anything here; SCTs naming it fail.
            let Ok(key) = PublicKey::from_spki_der(&der) else { continue };
            ct_logs.push(CtLog {
                base_url: log.base_url.clone(),
                key_id,
                key,
                validity: validity(&log.public_key.valid_for, &format!("{path}.publicKey.validFor"))?,
            });
        }
        if authorities.is_empty() {
            return Err(ProvenanceError::schema(
                DOCUMENT,
                "certificateAuthorities",
                "at least one certificate authority",
                "none",
            ));
        }
        Ok(TrustedRoot {
            authorities,
            logs,
            ct_logs,
            ct_required: !json.ctlogs.is_empty(),
            registry_keys: Vec::new(),
        })
    }

    /// The certificate authorities' URIs with their validity, for display.
    pub fn authorities(&self) -> impl Iterator<Item = (&str, Validity)> {
        self.authorities.iter().map(|ca| (ca.uri.as_str(), ca.validity))
    }

    /// The transparency logs' base URLs with their validity, for display.
    pub fn logs(&self) -> impl Iterator<Item = (&str, Validity)> {
        self.logs.iter().map(|log| (log.base_url.as_str(), log.validity))
    }

    pub(crate) fn log(&self, key_id: &[u8]) -> Option<&TransparencyLog> {
        self.logs.iter().find(|log| log.key_id == key_id)
    }
}

fn validity(valid_for: &ValidFor, path: &str) -> Result<Validity, ProvenanceError> {
    let parse = |text: &str, at: String| {
        Timestamp::parse(text)
            .map_err(|found| ProvenanceError::schema(DOCUMENT, at, "an RFC 3339 timestamp", found))
    };
    Ok(Validity {
        start: parse(&valid_for.start, format!("{path}.start"))?,
        end: valid_for.end.as_deref().map(|end| parse(end, format!("{path}.end"))).transpose()?,
    })
}

pub(crate) fn decode_base64(
    document: &'static str,
    path: &str,
    text: &str,
) -> Result<Vec<u8>, ProvenanceError> {
    STANDARD.decode(text.trim()).map_err(|error| {
        ProvenanceError::schema(document, path, "standard base64", format!("{error} in `{}`", preview(text)))
    })
}

pub(crate) fn decode_certificate(
    document: &'static str,
    path: &str,
    der: &[u8],
) -> Result<Certificate, ProvenanceError> {
    // The signature is checked over the original TBS bytes, so those must be findable too.
    crypto::tbs_bytes(der)
        .map_err(|found| ProvenanceError::schema(document, path, "a DER X.509 certificate", found))?;
    Certificate::from_der(der).map_err(|error| {
        ProvenanceError::schema(document, path, "a DER X.509 certificate", format!("a DER error: {error}"))
    })
}

/// The start of a long value, for messages.
pub(crate) fn preview(text: &str) -> String {
    let mut out: String = text.chars().take(24).collect();
    if text.chars().nth(24).is_some() {
        out.push('…');
    }
    out
}

//! The few public-key operations Sigstore verification needs, on RustCrypto's ECDSA.
//!
//! Fulcio's CA keys are P-384, the signing keys it certifies and Rekor's log key are P-256;
//! every signature involved is ECDSA in ASN.1 DER. Nothing here is implemented by hand beyond
//! choosing the curve and the digest.

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode, Header, Reader, SliceReader};
use x509_cert::spki::SubjectPublicKeyInfoRef;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
pub(crate) const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
pub(crate) const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
pub(crate) const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");

/// An ECDSA public key on one of the curves Sigstore's public-good instance uses.
#[derive(Clone, Debug)]
pub(crate) enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// Reads a DER `SubjectPublicKeyInfo`.
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<Self, String> {
        let spki =
            SubjectPublicKeyInfoRef::from_der(der).map_err(|e| format!("not a DER public key ({e})"))?;
        Self::from_spki(&spki)
    }

    pub(crate) fn from_spki(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<Self, String> {
        if spki.algorithm.oid != ID_EC_PUBLIC_KEY {
            return Err(format!("a key of algorithm `{}`, not an elliptic-curve key", spki.algorithm.oid));
        }
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|any| any.decode_as::<ObjectIdentifier>().ok())
            .ok_or_else(|| "an elliptic-curve key without a named curve".to_owned())?;
        let point = spki.subject_public_key.raw_bytes();
        if curve == SECP256R1 {
            p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PublicKey::P256)
                .map_err(|_| "a P-256 key whose point is not on the curve".to_owned())
        } else if curve == SECP384R1 {
            p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map(PublicKey::P384)
                .map_err(|_| "a P-384 key whose point is not on the curve".to_owned())
        } else {
            Err(format!("a key on curve `{curve}`, which is not P-256 or P-384"))
        }
    }

    /// Verifies a DER ECDSA signature over `message`, hashed the way Sigstore clients hash for
    /// this curve (SHA-256 for P-256, SHA-384 for P-384).
    pub(crate) fn verify_message(&self, message: &[u8], signature_der: &[u8]) -> bool {
        match self {
            PublicKey::P256(_) => self.verify_prehash(&Sha256::digest(message), signature_der),
            PublicKey::P384(_) => self.verify_prehash(&Sha384::digest(message), signature_der),
        }
    }

    /// Verifies a DER ECDSA signature over `message` hashed with the digest an X.509
    /// signature algorithm names.
    pub(crate) fn verify_x509(
        &self,
        algorithm: ObjectIdentifier,
        message: &[u8],
        signature_der: &[u8],
    ) -> Result<bool, String> {
        let prehash = if algorithm == ECDSA_WITH_SHA256 {
            Sha256::digest(message).to_vec()
        } else if algorithm == ECDSA_WITH_SHA384 {
            Sha384::digest(message).to_vec()
        } else if algorithm == ECDSA_WITH_SHA512 {
            Sha512::digest(message).to_vec()
        } else {
            return Err(format!("signature algorithm `{algorithm}` is not ECDSA with SHA-2"));
        };
        Ok(self.verify_prehash(&prehash, signature_der))
    }

    fn verify_prehash(&self, prehash: &[u8], signature_der: &[u8]) -> bool {
        match self {
            PublicKey::P256(key) => p256::ecdsa::Signature::from_der(signature_der)
                .is_ok_and(|signature| key.verify_prehash(prehash, &signature).is_ok()),
            PublicKey::P384(key) => p384::ecdsa::Signature::from_der(signature_der)
                .is_ok_and(|signature| key.verify_prehash(prehash, &signature).is_ok()),
        }
    }
}

/// The exact bytes of the `tbsCertificate` inside a DER certificate: the signature covers
/// these as they were sent, so they are sliced out rather than re-encoded.
pub(crate) fn tbs_bytes(certificate_der: &[u8]) -> Result<&[u8], String> {
    let error = |e: x509_cert::der::Error| format!("not a DER certificate ({e})");
    let mut reader = SliceReader::new(certificate_der).map_err(error)?;
    Header::decode(&mut reader).map_err(error)?;
    let start = usize::try_from(reader.position()).map_err(error)?;
    let header = Header::decode(&mut reader).map_err(error)?;
    let header_len = usize::try_from(header.encoded_len().map_err(error)?).map_err(error)?;
    let body_len = usize::try_from(header.length).map_err(error)?;
    let end = start
        .checked_add(header_len)
        .and_then(|n| n.checked_add(body_len))
        .ok_or_else(|| "a certificate length that overflows".to_owned())?;
    certificate_der.get(start..end).ok_or_else(|| "a truncated certificate".to_owned())
}

/// SHA-256 of the bytes.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

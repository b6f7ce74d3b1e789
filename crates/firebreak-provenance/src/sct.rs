//! Signed certificate timestamps (RFC 6962): Fulcio logs every certificate it issues to a
//! certificate-transparency log and embeds the log's promise in the certificate. Checking it
//! means the certificate was publicly logged, so a mis-issued certificate would be visible.

use x509_cert::Certificate;
use x509_cert::der::Decode;
use x509_cert::der::Encode;
use x509_cert::der::asn1::{ObjectIdentifier, OctetString};

use crate::crypto;
use crate::trust::TrustedRoot;

const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// Real certificates carry one or two; more is hostile.
const MAX_SCTS: usize = 16;

struct Sct<'a> {
    log_id: &'a [u8],
    timestamp_ms: u64,
    extensions: &'a [u8],
    signature: &'a [u8],
}

/// Verifies that at least one embedded SCT is signed by a CT log of the trusted root that was
/// valid at the SCT's time. A trusted root without CT logs skips the check.
pub(crate) fn check(leaf: &Certificate, issuer: &Certificate, root: &TrustedRoot) -> Result<(), String> {
    if !root.ct_required {
        return Ok(());
    }
    let extension = leaf
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|extension| extension.extn_id == SCT_LIST)
        .ok_or_else(|| "the certificate has no embedded signed certificate timestamp".to_owned())?;
    let list = OctetString::from_der(extension.extn_value.as_bytes())
        .map_err(|e| format!("its SCT list is not a DER octet string ({e})"))?;
    let scts = parse_list(list.as_bytes()).ok_or_else(|| "its SCT list is malformed".to_owned())?;

    // The log signed the precertificate: the TBS without the SCT list, re-encoded.
    let mut tbs = leaf.tbs_certificate.clone();
    tbs.extensions =
        tbs.extensions.map(|extensions| extensions.into_iter().filter(|e| e.extn_id != SCT_LIST).collect());
    let tbs = tbs.to_der().map_err(|e| format!("its TBS cannot be re-encoded ({e})"))?;
    let issuer_key = issuer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format!("the issuer key cannot be encoded ({e})"))?;
    let issuer_key_hash = crypto::sha256(&issuer_key);
    let tbs_len = u32::try_from(tbs.len()).ok().filter(|n| *n < 1 << 24).ok_or("its TBS is too long")?;

    let mut reasons = Vec::new();
    for sct in &scts {
        let Some(log) = root.ct_logs.iter().find(|log| log.key_id == sct.log_id) else {
            reasons.push(format!(
                "an SCT from log `{}`, which the trusted root does not list",
                crypto::hex(sct.log_id)
            ));
            continue;
        };
        let seconds = i64::try_from(sct.timestamp_ms / 1000).unwrap_or(i64::MAX);
        if !log.validity.contains(seconds) {
            reasons.push(format!("the SCT of `{}` is outside its key's validity", log.base_url));
            continue;
        }
        let mut signed = Vec::with_capacity(tbs.len() + 64);
        signed.push(0); // v1
        signed.push(0); // certificate_timestamp
        signed.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
        signed.extend_from_slice(&issuer_key_hash);
        signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        signed.extend_from_slice(&tbs);
        let extensions_len = u16::try_from(sct.extensions.len()).unwrap_or(u16::MAX);
        signed.extend_from_slice(&extensions_len.to_be_bytes());
        signed.extend_from_slice(sct.extensions);
        if log.key.verify_message(&signed, sct.signature) {
            return Ok(());
        }
        reasons.push(format!("the SCT of `{}` does not verify with its key", log.base_url));
    }
    Err(reasons.join("; "))
}

/// `SignedCertificateTimestampList`: u16 length, then u16-length-prefixed SCTs.
fn parse_list(bytes: &[u8]) -> Option<Vec<Sct<'_>>> {
    let mut reader = Tls(bytes);
    let mut list = Tls(reader.vector(2)?);
    if !reader.0.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    while !list.0.is_empty() {
        if out.len() == MAX_SCTS {
            return None;
        }
        let mut sct = Tls(list.vector(2)?);
        if sct.bytes(1)? != [0] {
            // Only v1 SCTs exist.
            return None;
        }
        let log_id = sct.bytes(32)?;
        let timestamp_ms = u64::from_be_bytes(sct.bytes(8)?.try_into().ok()?);
        let extensions = sct.vector(2)?;
        // SHA-256 (4) with ECDSA (3): the only pairing Sigstore's CT logs use.
        if sct.bytes(2)? != [4, 3] {
            return None;
        }
        let signature = sct.vector(2)?;
        if !sct.0.is_empty() {
            return None;
        }
        out.push(Sct { log_id, timestamp_ms, extensions, signature });
    }
    Some(out)
}

/// A TLS presentation-language reader over a byte slice.
struct Tls<'a>(&'a [u8]);

impl<'a> Tls<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }

    /// A vector with a `width`-byte big-endian length prefix.
    fn vector(&mut self, width: usize) -> Option<&'a [u8]> {
        let length = self.bytes(width)?.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        self.bytes(length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_sct(signature_algorithm: [u8; 2]) -> Vec<u8> {
        let mut sct = vec![0u8];
        sct.extend_from_slice(&[7u8; 32]);
        sct.extend_from_slice(&1_700_000_000_000u64.to_be_bytes());
        sct.extend_from_slice(&[0, 0]);
        sct.extend_from_slice(&signature_algorithm);
        sct.extend_from_slice(&[0, 2, 0xAA, 0xBB]);
        let mut list = (u16::try_from(sct.len()).unwrap()).to_be_bytes().to_vec();
        list.extend_from_slice(&sct);
        let mut out = (u16::try_from(list.len()).unwrap()).to_be_bytes().to_vec();
        out.extend_from_slice(&list);
        out
    }

    #[test]
    fn sct_lists_parse_and_every_truncation_is_refused() {
        let bytes = one_sct([4, 3]);
        let scts = parse_list(&bytes).unwrap();
        assert_eq!(scts.len(), 1);
        assert_eq!(scts[0].log_id, [7u8; 32]);
        assert_eq!(scts[0].timestamp_ms, 1_700_000_000_000);
        assert_eq!(scts[0].signature, [0xAA, 0xBB]);
        for cut in 0..bytes.len() {
            assert!(parse_list(&bytes[..cut]).is_none(), "truncated at {cut}");
        }
        assert!(parse_list(&one_sct([4, 1])).is_none(), "RSA SCTs are not Sigstore's");
    }
}

//! An archive's bytes against the digest its registry published: npm SRI strings
//! (`sha512-…`, legacy `sha1` shasum), PyPI's hex sha256, crates.io's `cksum`.

use std::fmt;

use firebreak_core::{Hash, HashAlgorithm};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// The outcome of an integrity check. The caller turns [`Integrity::Mismatch`] into an
/// `integrity-mismatch` finding and must not analyse or serve those bytes as the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// The bytes have the expected digest.
    Match {
        /// The algorithm checked (the strongest one given).
        algorithm: HashAlgorithm,
    },
    /// The bytes have another digest.
    Mismatch {
        /// The digest published.
        expected: Hash,
        /// The digest of the bytes, same algorithm.
        actual: Hash,
    },
    /// Nothing checkable: no digest recognised, or only algorithms not trusted for
    /// integrity (MD5) or not over the archive (Go `h1:`).
    Unsupported {
        /// The expected value as given.
        expected: String,
    },
}

impl Integrity {
    /// Whether the bytes were verified.
    pub fn is_match(&self) -> bool {
        matches!(self, Integrity::Match { .. })
    }
}

impl fmt::Display for Integrity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Integrity::Match { algorithm } => write!(f, "{} digest matches", algorithm.display_name()),
            Integrity::Mismatch { expected, actual } => {
                write!(
                    f,
                    "{} digest mismatch: expected `{}`, the archive has `{}`",
                    expected.algorithm.display_name(),
                    expected.value,
                    actual.value
                )
            }
            Integrity::Unsupported { expected } => {
                write!(
                    f,
                    "no supported digest in `{expected}`: expected SRI (`sha512-…`), `sha256:<hex>` or a hex SHA-1/SHA-256/SHA-512"
                )
            }
        }
    }
}

/// Checks `bytes` against a digest as a registry publishes it: an SRI string (several
/// separated by spaces: the strongest algorithm decides, any of its values may match),
/// `alg:hex` / `alg=hex`, or bare hex whose length gives the algorithm (40 SHA-1, 64
/// SHA-256, 96 SHA-384, 128 SHA-512).
pub fn verify_integrity(bytes: &[u8], expected: &str) -> Integrity {
    let text = expected.trim();
    let mut hashes = Hash::parse_sri(text);
    if hashes.is_empty() {
        hashes.extend(Hash::parse_prefixed(text));
    }
    if hashes.is_empty() && !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        let algorithm = match text.len() {
            40 => Some(HashAlgorithm::Sha1),
            64 => Some(HashAlgorithm::Sha256),
            96 => Some(HashAlgorithm::Sha384),
            128 => Some(HashAlgorithm::Sha512),
            _ => None,
        };
        hashes.extend(algorithm.map(|a| Hash::hex(a, text)));
    }
    match verify_hashes(bytes, &hashes) {
        Integrity::Unsupported { .. } => Integrity::Unsupported { expected: expected.to_owned() },
        other => other,
    }
}

/// Checks `bytes` against digests already parsed (from a lockfile, say): the strongest
/// supported algorithm decides, and any of its values may match.
pub fn verify_hashes(bytes: &[u8], expected: &[Hash]) -> Integrity {
    let Some(strongest) = expected.iter().filter_map(|h| strength(h.algorithm)).max() else {
        let listed = expected.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
        return Integrity::Unsupported { expected: listed };
    };
    let candidates: Vec<&Hash> =
        expected.iter().filter(|h| strength(h.algorithm) == Some(strongest)).collect();
    let Some(first) = candidates.first() else {
        return Integrity::Unsupported { expected: String::new() };
    };
    let Some(actual) = digest(bytes, first.algorithm) else {
        return Integrity::Unsupported { expected: first.to_string() };
    };
    if candidates.iter().any(|h| h.value.eq_ignore_ascii_case(&actual.value)) {
        Integrity::Match { algorithm: actual.algorithm }
    } else {
        Integrity::Mismatch { expected: (*first).clone(), actual }
    }
}

/// The digest of `bytes` with `algorithm`, as lowercase hex; `None` for algorithms not
/// computed here (MD5, Go `h1:`).
pub fn digest(bytes: &[u8], algorithm: HashAlgorithm) -> Option<Hash> {
    let value = match algorithm {
        HashAlgorithm::Sha1 => hex(&Sha1::digest(bytes)),
        HashAlgorithm::Sha256 => hex(&Sha256::digest(bytes)),
        HashAlgorithm::Sha384 => hex(&Sha384::digest(bytes)),
        HashAlgorithm::Sha512 => hex(&Sha512::digest(bytes)),
        HashAlgorithm::Md5 | HashAlgorithm::GoH1 => return None,
    };
    Some(Hash { algorithm, value })
}

/// Order of preference; `None` for algorithms never used to verify.
fn strength(algorithm: HashAlgorithm) -> Option<u8> {
    match algorithm {
        HashAlgorithm::Sha1 => Some(1),
        HashAlgorithm::Sha256 => Some(2),
        HashAlgorithm::Sha384 => Some(3),
        HashAlgorithm::Sha512 => Some(4),
        HashAlgorithm::Md5 | HashAlgorithm::GoH1 => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Digests of the empty string, from the algorithms' published test vectors.
    const SHA1_EMPTY: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    const SHA256_EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const SRI_SHA512_EMPTY: &str =
        "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==";

    #[test]
    fn forms() {
        assert_eq!(
            verify_integrity(b"", SRI_SHA512_EMPTY),
            Integrity::Match { algorithm: HashAlgorithm::Sha512 }
        );
        assert!(verify_integrity(b"", SHA1_EMPTY).is_match());
        assert!(verify_integrity(b"", &SHA256_EMPTY.to_ascii_uppercase()).is_match());
        assert!(verify_integrity(b"", &format!("sha256:{SHA256_EMPTY}")).is_match());
        assert!(verify_integrity(b"", &format!(" sha256={SHA256_EMPTY}\n")).is_match());
        // The strongest algorithm decides: a matching sha1 does not rescue a wrong sha512.
        let both = format!("sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk= {}", SRI_SHA512_EMPTY.replace('z', "y"));
        assert!(verify_integrity(b"", "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=").is_match());
        assert!(matches!(verify_integrity(b"", &both), Integrity::Mismatch { .. }));
    }

    #[test]
    fn mismatch_names_both() {
        let result = verify_integrity(b"x", SHA256_EMPTY);
        let Integrity::Mismatch { expected, actual } = &result else { panic!("{result:?}") };
        assert_eq!(expected.value, SHA256_EMPTY);
        assert_eq!(actual.value, "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
        let text = result.to_string();
        assert!(text.contains(SHA256_EMPTY) && text.contains("2d711642"), "{text}");
    }

    #[test]
    fn unsupported() {
        for value in [
            "",
            "md5-1B2M2Y8AsgTpgAmY7PhCfg==",
            "abc",
            "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "sha3-AAAA",
        ] {
            let result = verify_integrity(b"", value);
            assert!(matches!(result, Integrity::Unsupported { .. }), "{value}: {result:?}");
        }
    }
}

use std::fmt;

use serde::{Deserialize, Serialize};

/// A digest algorithm seen in lockfiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgorithm {
    /// MD5 (old PyPI links only; never trusted for integrity).
    Md5,
    /// SHA-1 (npm's legacy `shasum`; weak).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// Go's `h1:` hash (SHA-256 over the module's file list).
    GoH1,
}

impl HashAlgorithm {
    /// The name used in SBOMs and reports (`SHA-512` style).
    pub fn display_name(self) -> &'static str {
        match self {
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha384 => "SHA-384",
            HashAlgorithm::Sha512 => "SHA-512",
            HashAlgorithm::GoH1 => "GO-H1",
        }
    }

    /// Parses the algorithm names used in SRI strings, pip hashes and Cargo.lock.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "md5" => Some(HashAlgorithm::Md5),
            "sha1" => Some(HashAlgorithm::Sha1),
            "sha256" => Some(HashAlgorithm::Sha256),
            "sha384" => Some(HashAlgorithm::Sha384),
            "sha512" => Some(HashAlgorithm::Sha512),
            "h1" => Some(HashAlgorithm::GoH1),
            _ => None,
        }
    }
}

/// One integrity digest, its value as lowercase hex (or the original text for `h1:`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hash {
    /// The algorithm.
    pub algorithm: HashAlgorithm,
    /// Lowercase hex digest, except [`HashAlgorithm::GoH1`], which keeps its base64 form.
    pub value: String,
}

impl Hash {
    /// A digest from an algorithm and a hex value (lowercased).
    pub fn hex(algorithm: HashAlgorithm, value: &str) -> Self {
        Hash { algorithm, value: value.to_ascii_lowercase() }
    }

    /// Parses an SRI string (`sha512-<base64>`, several separated by spaces) into digests.
    /// Unknown algorithms and undecodable values are dropped: SRI says to ignore them.
    pub fn parse_sri(sri: &str) -> Vec<Hash> {
        sri.split_whitespace()
            .filter_map(|part| {
                let (alg, b64) = part.split_once('-')?;
                let algorithm = HashAlgorithm::parse(alg)?;
                let bytes = decode_base64(b64.split('?').next().unwrap_or(b64))?;
                Some(Hash { algorithm, value: to_hex(&bytes) })
            })
            .collect()
    }

    /// Parses `alg:hex` or `alg=hex` (pip `--hash`, Pipfile, uv, poetry).
    pub fn parse_prefixed(text: &str) -> Option<Hash> {
        let (alg, value) = text.split_once([':', '='])?;
        let algorithm = HashAlgorithm::parse(alg.trim())?;
        let value = value.trim();
        if algorithm != HashAlgorithm::GoH1 && !value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        if algorithm == HashAlgorithm::GoH1 {
            // Base64 is case-sensitive: lowercasing would change the digest.
            return Some(Hash { algorithm, value: value.to_owned() });
        }
        Some(Hash::hex(algorithm, value))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.display_name().to_ascii_lowercase(), self.value)
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Standard base64 (with or without padding). A tiny decoder keeps `core` free of
/// dependencies for the one place it needs one.
fn decode_base64(input: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for c in input.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_sha512() {
        let h = Hash::parse_sri(
            "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
        );
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].algorithm, HashAlgorithm::Sha512);
        assert!(h[0].value.starts_with("cf83e1357eefb8bd"), "{}", h[0].value);
    }

    #[test]
    fn prefixed() {
        let h = Hash::parse_prefixed("sha256:ABCDEF").unwrap();
        assert_eq!(h.value, "abcdef");
        assert!(Hash::parse_prefixed("sha256:xyz").is_none());
        assert!(Hash::parse_prefixed("crc32:00").is_none());
    }
}

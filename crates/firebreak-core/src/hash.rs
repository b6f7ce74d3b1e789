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
        // Lowercased with the dashes dropped (`SHA-512` -> `sha512`), into a stack buffer:
        // this runs once per package of every lockfile, so it must not allocate.
        let mut folded = [0u8; 6];
        let mut len = 0;
        for b in s.bytes().filter(|&b| b != b'-') {
            *folded.get_mut(len)? = b.to_ascii_lowercase();
            len += 1;
        }
        match folded.get(..len)? {
            b"md5" => Some(HashAlgorithm::Md5),
            b"sha1" => Some(HashAlgorithm::Sha1),
            b"sha256" => Some(HashAlgorithm::Sha256),
            b"sha384" => Some(HashAlgorithm::Sha384),
            b"sha512" => Some(HashAlgorithm::Sha512),
            b"h1" => Some(HashAlgorithm::GoH1),
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
        let digest = |part: &str| {
            let (alg, b64) = part.split_once('-')?;
            let algorithm = HashAlgorithm::parse(alg)?;
            let value = base64_to_hex(b64.split('?').next().unwrap_or(b64))?;
            Some(Hash { algorithm, value })
        };
        // Nearly every lockfile entry holds one digest in printable ASCII: that needs no
        // Unicode-aware split, and a vector of exactly one rather than `collect`'s four.
        if sri.bytes().all(|b| b.is_ascii_graphic()) {
            return digest(sri).map(|h| vec![h]).unwrap_or_default();
        }
        sri.split_whitespace().filter_map(digest).collect()
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

/// The value of each base64 character (standard and URL-safe alphabets), [`INVALID`] for
/// the rest and [`PADDING`] for `=`.
const BASE64: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 26 {
        table[b'A' as usize + i] = i as u8;
        table[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    table[b'+' as usize] = 62;
    table[b'-' as usize] = 62;
    table[b'/' as usize] = 63;
    table[b'_' as usize] = 63;
    table[b'=' as usize] = PADDING;
    table
};
const INVALID: u8 = 0xFF;
const PADDING: u8 = 0xFE;

/// Standard base64 (with or without padding; decoding stops at the first `=`) decoded
/// straight into lowercase hex: `None` for an invalid character or nothing decoded. Every
/// npm, yarn and pnpm package carries one such digest, so this avoids an intermediate
/// byte vector and per-character UTF-8 encoding. A tiny decoder keeps `core` free of
/// dependencies for the one place it needs one.
fn base64_to_hex(input: &str) -> Option<String> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = Vec::with_capacity(input.len() * 3 / 4 * 2);
    let bytes = input.as_bytes();
    // Whole groups of four characters (24 bits, six hex digits) while they hold no padding
    // or invalid character; the bit-by-bit loop finishes from the first group that does.
    let mut done = 0;
    for group in bytes.chunks_exact(4) {
        let &[a, b, c, d] = group else { break };
        let [a, b, c, d] = [a, b, c, d].map(|ch| BASE64[usize::from(ch)]);
        if (a | b | c | d) >= 64 {
            break;
        }
        let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        hex.extend_from_slice(&[20, 16, 12, 8, 4, 0].map(|shift| DIGITS[(n >> shift) as usize & 0xf]));
        done += 4;
    }
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for &c in bytes.get(done..).unwrap_or_default() {
        let v = BASE64[usize::from(c)];
        if v == PADDING {
            break;
        }
        if v == INVALID {
            return None;
        }
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = (buffer >> bits) as u8;
            hex.push(DIGITS[usize::from(byte >> 4)]);
            hex.push(DIGITS[usize::from(byte & 0xf)]);
        }
    }
    if hex.is_empty() { None } else { String::from_utf8(hex).ok() }
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
    fn sri_alphabets_padding_and_rejects() {
        let digests = |sri: &str| -> Vec<String> {
            Hash::parse_sri(sri).into_iter().map(|h| format!("{:?} {}", h.algorithm, h.value)).collect()
        };
        assert_eq!(digests("sha1-AAEC/+8="), ["Sha1 000102ffef"]);
        assert_eq!(
            digests("SHA-1 sha1-AAEC_-8 sha256-AAEC/+8?opt"),
            ["Sha1 000102ffef", "Sha256 000102ffef"]
        );
        assert_eq!(digests("sha1-AAEC=/+8"), ["Sha1 000102"], "decoding stops at padding");
        assert_eq!(digests("sha1-AAECAA=="), ["Sha1 00010200"]);
        assert_eq!(digests("sha1-AAEC\u{a0}sha1-AQ"), ["Sha1 000102", "Sha1 01"], "Unicode whitespace");
        assert!(digests("sha1-AA*C sha1-AAECAA*C sha1- sha1-= sha3-AAEC md-5-AAEC").is_empty());
        assert_eq!(HashAlgorithm::parse("Sha-512"), Some(HashAlgorithm::Sha512));
        assert_eq!(HashAlgorithm::parse("sha5120"), None);
        assert_eq!(HashAlgorithm::parse(""), None);
    }

    #[test]
    fn prefixed() {
        let h = Hash::parse_prefixed("sha256:ABCDEF").unwrap();
        assert_eq!(h.value, "abcdef");
        assert!(Hash::parse_prefixed("sha256:xyz").is_none());
        assert!(Hash::parse_prefixed("crc32:00").is_none());
    }
}

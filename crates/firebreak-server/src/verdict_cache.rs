//! Provenance verdicts cached in the registry cache directory, so that each attestations
//! document is verified once for a given artifact digest rather than on every run (the
//! ECDSA checks of one document take milliseconds; a scan has hundreds).
//!
//! The key is the SHA-256 of the document, the artifact digest, the kind of document and
//! this build's version (the trusted root and the verifier are part of the build); the
//! verifier reads no clock, so these are everything a verdict depends on. A file
//! is used only when its header, format and key match and its verdict parses; anything
//! else is ignored and the document verified again.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The outcome of verifying one attestations document against one artifact digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The provenance statement verified.
    Verified,
    /// A check failed; the failure as the verifier describes it.
    Failed(String),
    /// The document holds no SLSA provenance statement.
    NoStatement,
    /// The document could not be read; the reason.
    Unreadable(String),
}

const HEADER: &str = "firebreak provenance verdict 1";

/// A cached verdict is at most this long (a message of a few lines); a larger file is not
/// one of ours.
const MAX_FILE: u64 = 64 * 1024;

/// The cache, or nothing when the run has no cache directory.
#[derive(Debug, Clone)]
pub struct VerdictCache {
    dir: Option<PathBuf>,
}

impl VerdictCache {
    pub fn new(dir: Option<&Path>) -> VerdictCache {
        VerdictCache { dir: dir.map(Path::to_path_buf) }
    }

    /// The key of `document` verified against the artifact digest `artifact` (algorithm and
    /// hex value) as a `kind` document.
    pub fn key(kind: &str, document: &[u8], artifact_algorithm: &str, artifact_hex: &str) -> String {
        let mut hasher = Sha256::new();
        for part in [
            kind.as_bytes(),
            env!("CARGO_PKG_VERSION").as_bytes(),
            artifact_algorithm.as_bytes(),
            artifact_hex.as_bytes(),
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher.update(Sha256::digest(document));
        hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{key}.provenance")))
    }

    /// The cached verdict for `key`, if there is an intact one.
    pub fn get(&self, key: &str) -> Option<Verdict> {
        let path = self.path(key)?;
        if fs_err::metadata(&path).ok()?.len() > MAX_FILE {
            return None;
        }
        let text = fs_err::read_to_string(&path).ok()?;
        let mut lines = text.splitn(4, '\n');
        if lines.next()? != HEADER || lines.next()? != key {
            return None;
        }
        let tag = lines.next()?;
        let message = lines.next()?.to_owned();
        match tag {
            "verified" if message.is_empty() => Some(Verdict::Verified),
            "no-statement" if message.is_empty() => Some(Verdict::NoStatement),
            "failed" => Some(Verdict::Failed(message)),
            "unreadable" => Some(Verdict::Unreadable(message)),
            _ => None,
        }
    }

    /// Stores a verdict; a failure to write only costs a verification next time.
    pub fn put(&self, key: &str, verdict: &Verdict) {
        let Some(path) = self.path(key) else { return };
        let (tag, message) = match verdict {
            Verdict::Verified => ("verified", ""),
            Verdict::NoStatement => ("no-statement", ""),
            Verdict::Failed(m) => ("failed", m.as_str()),
            Verdict::Unreadable(m) => ("unreadable", m.as_str()),
        };
        let text = format!("{HEADER}\n{key}\n{tag}\n{message}");
        let tmp = path.with_extension(format!("provenance.tmp{}", std::process::id()));
        if fs_err::write(&tmp, text).is_ok() && fs_err::rename(&tmp, &path).is_err() {
            let _ = fs_err::remove_file(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn verdicts_round_trip_and_damaged_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VerdictCache::new(Some(dir.path()));
        let verdicts = [
            Verdict::Verified,
            Verdict::NoStatement,
            Verdict::Failed("the signature does not verify\nsecond line".into()),
            Verdict::Unreadable(String::new()),
        ];
        for (i, verdict) in verdicts.iter().enumerate() {
            let key = VerdictCache::key("npm", format!("doc {i}").as_bytes(), "sha512", "ab");
            assert_eq!(cache.get(&key), None);
            cache.put(&key, verdict);
            assert_eq!(cache.get(&key).as_ref(), Some(verdict));
        }

        let key = VerdictCache::key("npm", b"doc", "sha512", "ab");
        assert_ne!(key, VerdictCache::key("npm", b"doc", "sha512", "ac"), "the artifact is part of the key");
        assert_ne!(key, VerdictCache::key("npm", b"doc2", "sha512", "ab"), "the document is part of the key");
        assert_ne!(key, VerdictCache::key("pypi", b"doc", "sha512", "ab"));
        cache.put(&key, &Verdict::Verified);
        let path = dir.path().join(format!("{key}.provenance"));
        let good = fs_err::read_to_string(&path).unwrap();
        let other_key = VerdictCache::key("npm", b"other", "sha512", "ab");
        for damaged in [
            String::new(),
            good[..good.len() - 1].to_owned(),
            good.replace("verified", "verifiedx"),
            good.replace(&key, &other_key),
            good.replace("verdict 1", "verdict 2"),
            format!("{good}trailing"),
            "x".repeat(100_000),
        ] {
            fs_err::write(&path, &damaged).unwrap();
            assert_eq!(cache.get(&key), None, "{damaged:.80}");
        }
        assert_eq!(VerdictCache::new(None).get(&key), None);
    }
}

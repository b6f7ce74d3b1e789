//! A compact binary form of [`PackageHistory`], stored next to the HTTP cache entry it was
//! read from so that a warm run decodes a few megabytes instead of parsing every packument.
//!
//! The encoding is private to this crate and versioned by [`FORMAT`]: the decoder accepts
//! only what this encoder wrote, and any inconsistency (a length past the end, an unknown
//! tag, invalid UTF-8, bytes left over) rejects the whole entry, which is then rebuilt from
//! the document. Encoding destructures every model struct without `..`, so adding a field
//! to the model does not compile until it is encoded here too (bump [`FORMAT`] then).

use std::collections::BTreeMap;

use firebreak_core::{Ecosystem, Hash, HashAlgorithm, Timestamp, Version};

use crate::model::{Account, BuildIdentity, PackageHistory, Release, Trust, TrustLevel, TrustedPublisher};

/// The version of this encoding; part of the cache entry's header.
pub(crate) const FORMAT: u32 = 1;

/// Longest string or list the decoder accepts, so that a damaged length cannot make it
/// reserve gigabytes (the lengths are checked against the remaining bytes as well).
const MAX_LEN: usize = 1 << 28;

/// Encodes a history.
pub(crate) fn encode(history: &PackageHistory) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(4096 + history.releases.len() * 256));
    let PackageHistory {
        ecosystem,
        name,
        releases,
        maintainers,
        repository,
        created,
        modified,
        unpublished,
        warnings,
    } = history;
    w.opt(ecosystem.as_ref(), |w, e| w.u8(ecosystem_tag(*e)));
    w.str(name);
    w.len(releases.len());
    for release in releases {
        w.release(release);
    }
    w.accounts(maintainers);
    w.opt_str(repository.as_deref());
    w.opt(created.as_ref(), |w, t| w.time(*t));
    w.opt(modified.as_ref(), |w, t| w.time(*t));
    w.bool(*unpublished);
    w.len(warnings.len());
    for warning in warnings {
        w.str(warning);
    }
    w.0
}

/// Decodes what [`encode`] wrote; `None` for anything else. Versions are parsed again with
/// the ecosystem's grammar (the parsed form is not stored).
pub(crate) fn decode(bytes: &[u8]) -> Option<PackageHistory> {
    let mut r = Reader(bytes);
    let ecosystem = r.opt(|r| ecosystem_from_tag(r.u8()?))?;
    let name = r.string()?;
    let count = r.len(1)?;
    let mut releases = Vec::with_capacity(count);
    for _ in 0..count {
        releases.push(r.release(ecosystem)?);
    }
    let history = PackageHistory {
        ecosystem,
        name,
        releases,
        maintainers: r.accounts()?,
        repository: r.opt(Reader::string)?,
        created: r.opt(Reader::time)?,
        modified: r.opt(Reader::time)?,
        unpublished: r.bool()?,
        warnings: r.strings()?,
    };
    r.0.is_empty().then_some(history)
}

fn ecosystem_tag(e: Ecosystem) -> u8 {
    match e {
        Ecosystem::Npm => 0,
        Ecosystem::PyPI => 1,
        Ecosystem::CratesIo => 2,
        Ecosystem::Go => 3,
    }
}

fn ecosystem_from_tag(tag: u8) -> Option<Ecosystem> {
    Some(match tag {
        0 => Ecosystem::Npm,
        1 => Ecosystem::PyPI,
        2 => Ecosystem::CratesIo,
        3 => Ecosystem::Go,
        _ => return None,
    })
}

fn algorithm_tag(a: HashAlgorithm) -> u8 {
    match a {
        HashAlgorithm::Md5 => 0,
        HashAlgorithm::Sha1 => 1,
        HashAlgorithm::Sha256 => 2,
        HashAlgorithm::Sha384 => 3,
        HashAlgorithm::Sha512 => 4,
        HashAlgorithm::GoH1 => 5,
    }
}

fn algorithm_from_tag(tag: u8) -> Option<HashAlgorithm> {
    Some(match tag {
        0 => HashAlgorithm::Md5,
        1 => HashAlgorithm::Sha1,
        2 => HashAlgorithm::Sha256,
        3 => HashAlgorithm::Sha384,
        4 => HashAlgorithm::Sha512,
        5 => HashAlgorithm::GoH1,
        _ => return None,
    })
}

fn level_tag(l: TrustLevel) -> u8 {
    match l {
        TrustLevel::None => 0,
        TrustLevel::Signature => 1,
        TrustLevel::Provenance => 2,
        TrustLevel::TrustedPublisher => 3,
    }
}

fn level_from_tag(tag: u8) -> Option<TrustLevel> {
    Some(match tag {
        0 => TrustLevel::None,
        1 => TrustLevel::Signature,
        2 => TrustLevel::Provenance,
        3 => TrustLevel::TrustedPublisher,
        _ => return None,
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }

    /// LEB128, so that the many short strings cost one length byte.
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn len(&mut self, n: usize) {
        self.varint(n as u64);
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn opt<T>(&mut self, v: Option<&T>, f: impl FnOnce(&mut Writer, &T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
            }
        }
    }

    fn opt_str(&mut self, v: Option<&str>) {
        self.opt(v.as_ref(), |w, s| w.str(s));
    }

    fn time(&mut self, t: Timestamp) {
        self.0.extend_from_slice(&t.unix_seconds().to_le_bytes());
        self.0.extend_from_slice(&t.subsec_nanos().to_le_bytes());
    }

    fn account(&mut self, a: &Account) {
        let Account { name, email } = a;
        self.str(name);
        self.opt_str(email.as_deref());
    }

    fn accounts(&mut self, list: &[Account]) {
        self.len(list.len());
        for a in list {
            self.account(a);
        }
    }

    fn map(&mut self, map: &BTreeMap<String, String>) {
        self.len(map.len());
        for (k, v) in map {
            self.str(k);
            self.str(v);
        }
    }

    fn release(&mut self, release: &Release) {
        let Release {
            version,
            parsed: _,
            published,
            publisher,
            maintainers,
            trust,
            install_scripts,
            dependencies,
            dependencies_known,
            repository,
            hashes,
            artifact_url,
            deprecated,
            yanked,
        } = release;
        self.str(version);
        self.opt(published.as_ref(), |w, t| w.time(*t));
        self.opt(publisher.as_ref(), Writer::account);
        self.accounts(maintainers);
        let Trust { level, publisher, attestation_url, identity } = trust;
        self.u8(level_tag(*level));
        self.opt(publisher.as_ref(), |w, p| {
            let TrustedPublisher { provider, id, repository, workflow } = p;
            w.str(provider);
            w.opt_str(id.as_deref());
            w.opt_str(repository.as_deref());
            w.opt_str(workflow.as_deref());
        });
        self.opt_str(attestation_url.as_deref());
        self.opt(identity.as_ref(), |w, i| {
            let BuildIdentity { repository, workflow, trigger, git_ref, verified } = i;
            w.opt_str(repository.as_deref());
            w.opt_str(workflow.as_deref());
            w.opt_str(trigger.as_deref());
            w.opt_str(git_ref.as_deref());
            w.opt(verified.as_ref(), |w, v| w.bool(*v));
        });
        self.map(install_scripts);
        self.map(dependencies);
        self.bool(*dependencies_known);
        self.opt_str(repository.as_deref());
        self.len(hashes.len());
        for Hash { algorithm, value } in hashes {
            self.u8(algorithm_tag(*algorithm));
            self.str(value);
        }
        self.opt_str(artifact_url.as_deref());
        self.opt_str(deprecated.as_deref());
        self.opt_str(yanked.as_deref());
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    /// A length of items that take at least `min_size` bytes each, checked against what is
    /// left so that a damaged length fails here instead of in an allocation.
    fn len(&mut self, min_size: usize) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= MAX_LEN && n.saturating_mul(min_size) <= self.0.len()).then_some(n)
    }

    fn string(&mut self) -> Option<String> {
        let n = self.len(1)?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes).ok().map(str::to_owned)
    }

    fn strings(&mut self) -> Option<Vec<String>> {
        let n = self.len(1)?;
        (0..n).map(|_| self.string()).collect()
    }

    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.u8()? {
            0 => Some(None),
            1 => f(self).map(Some),
            _ => None,
        }
    }

    fn time(&mut self) -> Option<Timestamp> {
        let seconds = i64::from_le_bytes(self.take(8)?.try_into().ok()?);
        let nanos = u32::from_le_bytes(self.take(4)?.try_into().ok()?);
        Timestamp::from_unix(seconds, nanos)
    }

    fn account(&mut self) -> Option<Account> {
        Some(Account { name: self.string()?, email: self.opt(Self::string)? })
    }

    fn accounts(&mut self) -> Option<Vec<Account>> {
        let n = self.len(2)?;
        (0..n).map(|_| self.account()).collect()
    }

    fn map(&mut self) -> Option<BTreeMap<String, String>> {
        let n = self.len(2)?;
        let mut map = BTreeMap::new();
        for _ in 0..n {
            let k = self.string()?;
            let v = self.string()?;
            map.insert(k, v);
        }
        Some(map)
    }

    fn release(&mut self, ecosystem: Option<Ecosystem>) -> Option<Release> {
        let version = self.string()?;
        let parsed = ecosystem.and_then(|e| Version::parse(e, &version).ok());
        let published = self.opt(Self::time)?;
        let publisher = self.opt(Self::account)?;
        let maintainers = self.accounts()?;
        let level = level_from_tag(self.u8()?)?;
        let trusted = self.opt(|r| {
            Some(TrustedPublisher {
                provider: r.string()?,
                id: r.opt(Self::string)?,
                repository: r.opt(Self::string)?,
                workflow: r.opt(Self::string)?,
            })
        })?;
        let attestation_url = self.opt(Self::string)?;
        let identity = self.opt(|r| {
            Some(BuildIdentity {
                repository: r.opt(Self::string)?,
                workflow: r.opt(Self::string)?,
                trigger: r.opt(Self::string)?,
                git_ref: r.opt(Self::string)?,
                verified: r.opt(Self::bool)?,
            })
        })?;
        let install_scripts = self.map()?;
        let dependencies = self.map()?;
        let dependencies_known = self.bool()?;
        let repository = self.opt(Self::string)?;
        let n = self.len(2)?;
        let mut hashes = Vec::with_capacity(n);
        for _ in 0..n {
            let algorithm = algorithm_from_tag(self.u8()?)?;
            hashes.push(Hash { algorithm, value: self.string()? });
        }
        Some(Release {
            version,
            parsed,
            published,
            publisher,
            maintainers,
            trust: Trust { level, publisher: trusted, attestation_url, identity },
            install_scripts,
            dependencies,
            dependencies_known,
            repository,
            hashes,
            artifact_url: self.opt(Self::string)?,
            deprecated: self.opt(Self::string)?,
            yanked: self.opt(Self::string)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PackageHistory {
        let t = |s| Timestamp::parse(s).unwrap();
        let account = |n: &str| Account { name: n.into(), email: Some(format!("{n}@example.com")) };
        let release = Release {
            version: "1.2.3".into(),
            parsed: Version::parse(Ecosystem::Npm, "1.2.3").ok(),
            published: Some(t("2026-03-27T19:01:40.123Z")),
            publisher: Some(account("jason")),
            maintainers: vec![account("jason"), Account { name: "bot".into(), email: None }],
            trust: Trust {
                level: TrustLevel::TrustedPublisher,
                publisher: Some(TrustedPublisher {
                    provider: "github".into(),
                    id: Some("oidc:1".into()),
                    repository: None,
                    workflow: Some("release.yml".into()),
                }),
                attestation_url: Some("https://registry.npmjs.org/-/npm/v1/attestations/a@1.2.3".into()),
                identity: Some(BuildIdentity {
                    repository: Some("https://github.com/a/a".into()),
                    workflow: None,
                    trigger: Some("push".into()),
                    git_ref: Some("refs/tags/v1.2.3".into()),
                    verified: Some(false),
                }),
            },
            install_scripts: [("postinstall".to_owned(), "node x.js".to_owned())].into(),
            dependencies: [("ü-dep".to_owned(), "^1".to_owned()), ("b".to_owned(), String::new())].into(),
            dependencies_known: true,
            repository: Some("https://github.com/a/a".into()),
            hashes: vec![Hash::hex(HashAlgorithm::Sha1, &"ab".repeat(20))],
            artifact_url: Some("https://registry.npmjs.org/a/-/a-1.2.3.tgz".into()),
            deprecated: Some(String::new()),
            yanked: None,
        };
        PackageHistory {
            ecosystem: Some(Ecosystem::Npm),
            name: "a".into(),
            releases: vec![release, Release { version: "not a version".into(), ..Release::default() }],
            maintainers: vec![account("jason")],
            repository: None,
            created: Some(t("2020-01-01T00:00:00Z")),
            modified: None,
            unpublished: true,
            warnings: vec!["`$.x`: expected a string".into()],
        }
    }

    #[test]
    fn round_trips_every_field() {
        let history = sample();
        let bytes = encode(&history);
        assert_eq!(decode(&bytes), Some(history));
    }

    #[test]
    fn rejects_every_truncation_and_trailing_bytes() {
        let bytes = encode(&sample());
        for end in 0..bytes.len() {
            assert_eq!(decode(&bytes[..end]), None, "truncated at {end}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
    }

    #[test]
    fn damaged_bytes_never_panic() {
        let bytes = encode(&sample());
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[i] ^= flip;
                // Either rejected or decoded into some history; never a panic or a huge
                // allocation.
                let _ = decode(&damaged);
            }
        }
        assert_eq!(decode(&[1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), None);
    }
}

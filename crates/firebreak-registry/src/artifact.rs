//! Package archives: where a release's artifact is and which digest the registry published
//! for it ([`Registries::locate_artifact`]), and an on-disk cache of archives keyed by that
//! digest ([`ArtifactCache`]).
//!
//! This module never checks bytes against a digest: the caller verifies (it owns the
//! archive reader) before it analyses or caches anything, so the cache only ever holds
//! archives that matched their registry's digest, and an entry is verified again when read.

use std::path::{Path, PathBuf};

use firebreak_core::{Ecosystem, Hash, HashAlgorithm};
use reqwest::Url;
use serde_json::Value;

use crate::error::RegistryError;
use crate::{Registries, Registry};

/// One release's archive: where to get it and what it must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRef {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The package name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The download URL.
    pub url: String,
    /// The file name (`axios-1.14.1.tgz`, `requests-2.31.0.tar.gz`, `serde-1.0.0.crate`).
    pub filename: String,
    /// The registry's digests of it (npm `dist.integrity` and `shasum`, PyPI the file's
    /// sha256, crates.io the index `cksum`); never empty.
    pub hashes: Vec<Hash>,
    /// The other files of the release (PyPI: wheels not chosen), for messages.
    pub alternatives: Vec<String>,
}

impl ArtifactRef {
    /// The strongest digest, the cache key.
    pub fn strongest(&self) -> Option<&Hash> {
        self.hashes.iter().max_by_key(|h| strength(h.algorithm))
    }
}

fn strength(algorithm: HashAlgorithm) -> u8 {
    match algorithm {
        HashAlgorithm::Sha512 => 4,
        HashAlgorithm::Sha384 => 3,
        HashAlgorithm::Sha256 => 2,
        HashAlgorithm::Sha1 => 1,
        _ => 0,
    }
}

/// One file of a PyPI release, as the release's JSON document lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistFile {
    /// The file name.
    pub filename: String,
    /// The download URL.
    pub url: String,
    /// `sdist` or `bdist_wheel` (others are ignored).
    pub packagetype: String,
    /// The hex sha256.
    pub sha256: Option<String>,
    /// Whether the file is yanked.
    pub yanked: bool,
}

/// The PyPI file analysed for a release when none is named: the source distribution when
/// there is one (it holds `setup.py`, the code that runs on every source install, and the
/// source the wheels were built from); otherwise a pure-Python wheel (`*-none-any.whl`),
/// the same code for every platform. Platform wheels are chosen only by name (`--file`).
/// Yanked files are passed over when an unyanked one fits.
pub fn choose_pypi_file<'a>(files: &'a [DistFile], wanted: Option<&str>) -> Result<&'a DistFile, String> {
    if let Some(name) = wanted {
        return files.iter().find(|f| f.filename == name).ok_or_else(|| {
            let names: Vec<&str> = files.iter().map(|f| f.filename.as_str()).collect();
            format!("the release has no file `{name}`; its files: {}", names.join(", "))
        });
    }
    let sdist = |f: &&DistFile| f.packagetype == "sdist";
    let pure = |f: &&DistFile| f.packagetype == "bdist_wheel" && f.filename.ends_with("-none-any.whl");
    for pick in [&sdist as &dyn Fn(&&DistFile) -> bool, &pure] {
        if let Some(f) = files.iter().filter(|f| !f.yanked).find(pick).or_else(|| files.iter().find(pick)) {
            return Ok(f);
        }
    }
    if files.is_empty() {
        return Err("the release has no files".to_owned());
    }
    let names: Vec<&str> = files.iter().map(|f| f.filename.as_str()).collect();
    Err(format!(
        "the release has no source distribution and no pure-Python wheel; name one with `--file`: {}",
        names.join(", ")
    ))
}

/// Reads the `urls` array of a PyPI release document (`/pypi/<name>/<version>/json`).
pub fn parse_pypi_files(doc: &Value) -> Vec<DistFile> {
    let Some(urls) = doc.get("urls").and_then(Value::as_array) else { return Vec::new() };
    urls.iter()
        .filter_map(|f| {
            let s = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_owned);
            Some(DistFile {
                filename: s("filename")?,
                url: s("url")?,
                packagetype: s("packagetype").unwrap_or_default(),
                sha256: f
                    .get("digests")
                    .and_then(|d| d.get("sha256"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                yanked: f.get("yanked").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect()
}

impl Registries {
    /// Where the archive of `name@version` is and its registry digests. npm and crates.io
    /// read the package's history (cached); PyPI reads the release's JSON document and
    /// picks a file with [`choose_pypi_file`] (`file` names one).
    pub async fn locate_artifact(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
        file: Option<&str>,
    ) -> Result<ArtifactRef, RegistryError> {
        let missing =
            |reason: String| RegistryError::NoArtifact { package: format!("{name}@{version}"), reason };
        if ecosystem == Ecosystem::PyPI {
            let files = self.pypi.release_files(name, version).await?;
            let chosen = choose_pypi_file(&files, file).map_err(missing)?;
            let Some(sha) = &chosen.sha256 else {
                return Err(missing(format!("PyPI lists no sha256 for `{}`", chosen.filename)));
            };
            return Ok(ArtifactRef {
                ecosystem,
                name: name.to_owned(),
                version: version.to_owned(),
                url: chosen.url.clone(),
                filename: chosen.filename.clone(),
                hashes: vec![Hash::hex(HashAlgorithm::Sha256, sha)],
                alternatives: files.iter().filter(|f| f != &chosen).map(|f| f.filename.clone()).collect(),
            });
        }
        let registry: &dyn Registry = match ecosystem {
            Ecosystem::Npm => &self.npm,
            Ecosystem::CratesIo => &self.crates,
            _ => return Err(missing("the ecosystem has no package archives to fetch".to_owned())),
        };
        let history = registry.history(name).await?;
        let wanted = firebreak_core::Version::parse(ecosystem, version).ok();
        let release = history
            .release(version)
            .or_else(|| history.releases.iter().find(|r| r.parsed.is_some() && r.parsed == wanted))
            .ok_or_else(|| missing("the registry lists no such version".to_owned()))?;
        let url = release
            .artifact_url
            .clone()
            .ok_or_else(|| missing("the registry lists no download URL".to_owned()))?;
        let hashes: Vec<Hash> =
            release.hashes.iter().filter(|h| strength(h.algorithm) > 0).cloned().collect();
        if hashes.is_empty() {
            return Err(missing("the registry publishes no digest for it".to_owned()));
        }
        let filename = match ecosystem {
            Ecosystem::CratesIo => format!("{name}-{}.crate", release.version),
            _ => Url::parse(&url)
                .ok()
                .and_then(|u| u.path_segments().and_then(|mut s| s.next_back().map(str::to_owned)))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| {
                    format!("{}-{}.tgz", name.rsplit('/').next().unwrap_or(name), release.version)
                }),
        };
        Ok(ArtifactRef {
            ecosystem,
            name: name.to_owned(),
            version: release.version.clone(),
            url,
            filename,
            hashes,
            alternatives: Vec::new(),
        })
    }
}

/// Verified archives on disk under `<cache dir>/artifacts/`, one file per digest
/// (`sha512-<hex>.bin`). Only archives that matched the digest are stored; the caller
/// verifies again on every read and [`ArtifactCache::remove`]s an entry that does not match
/// (a damaged or tampered file), so a bad entry costs one download, never a wrong verdict.
#[derive(Debug, Clone)]
pub struct ArtifactCache {
    dir: Option<PathBuf>,
}

impl ArtifactCache {
    /// The cache under `cache_dir` (none: nothing is stored, every read misses).
    pub fn new(cache_dir: Option<&Path>) -> ArtifactCache {
        ArtifactCache { dir: cache_dir.map(|d| d.join("artifacts")) }
    }

    fn path(&self, hash: &Hash) -> Option<PathBuf> {
        let algorithm = hash.algorithm.display_name().to_ascii_lowercase().replace('-', "");
        // Digests are hex; anything else would not be a file name of ours.
        if hash.value.is_empty() || !hash.value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.dir.as_ref().map(|d| d.join(format!("{algorithm}-{}.bin", hash.value)))
    }

    /// The cached archive with this digest, if there is one of at most `limit` bytes.
    pub fn get(&self, hash: &Hash, limit: u64) -> Option<Vec<u8>> {
        let path = self.path(hash)?;
        if fs_err::metadata(&path).ok()?.len() > limit {
            return None;
        }
        fs_err::read(&path).ok()
    }

    /// Stores a verified archive; a failed write only costs a download next time.
    pub fn put(&self, hash: &Hash, bytes: &[u8]) {
        let (Some(dir), Some(path)) = (self.dir.as_ref(), self.path(hash)) else { return };
        if fs_err::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if fs_err::write(&tmp, bytes).is_err() || fs_err::rename(&tmp, &path).is_err() {
            let _ = fs_err::remove_file(&tmp);
        }
    }

    /// Drops an entry that did not verify.
    pub fn remove(&self, hash: &Hash) {
        if let Some(path) = self.path(hash) {
            let _ = fs_err::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, kind: &str, yanked: bool) -> DistFile {
        DistFile {
            filename: name.into(),
            url: format!("https://files.example/{name}"),
            packagetype: kind.into(),
            sha256: Some("ab".repeat(32)),
            yanked,
        }
    }

    #[test]
    fn pypi_file_choice() {
        let files = vec![
            file("x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "bdist_wheel", false),
            file("x-1.0-py3-none-any.whl", "bdist_wheel", false),
            file("x-1.0.tar.gz", "sdist", false),
        ];
        assert_eq!(choose_pypi_file(&files, None).map(|f| f.filename.as_str()), Ok("x-1.0.tar.gz"));
        assert_eq!(
            choose_pypi_file(&files[..2], None).map(|f| f.filename.as_str()),
            Ok("x-1.0-py3-none-any.whl")
        );
        let err = choose_pypi_file(&files[..1], None).unwrap_err();
        assert!(err.contains("--file") && err.contains("manylinux"), "{err}");
        assert_eq!(
            choose_pypi_file(&files, Some("x-1.0-py3-none-any.whl")).map(|f| f.filename.as_str()),
            Ok("x-1.0-py3-none-any.whl")
        );
        assert!(choose_pypi_file(&files, Some("nope.whl")).unwrap_err().contains("no file `nope.whl`"));
        // An unyanked sdist wins over a yanked one.
        let two = vec![file("x-1.0.zip", "sdist", true), file("x-1.0.tar.gz", "sdist", false)];
        assert_eq!(choose_pypi_file(&two, None).map(|f| f.filename.as_str()), Ok("x-1.0.tar.gz"));
        assert!(choose_pypi_file(&[], None).is_err());
    }

    #[test]
    fn cache_round_trip_and_refuses_odd_keys() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ArtifactCache::new(Some(dir.path()));
        let h = Hash::hex(HashAlgorithm::Sha512, &"cd".repeat(64));
        assert_eq!(cache.get(&h, 1 << 20), None);
        cache.put(&h, b"archive");
        assert_eq!(cache.get(&h, 1 << 20).as_deref(), Some(&b"archive"[..]));
        assert_eq!(cache.get(&h, 3), None, "over the limit");
        cache.remove(&h);
        assert_eq!(cache.get(&h, 1 << 20), None);
        let odd = Hash { algorithm: HashAlgorithm::Sha256, value: "../../x".into() };
        cache.put(&odd, b"x");
        assert_eq!(cache.get(&odd, 10), None);
        assert_eq!(ArtifactCache::new(None).get(&h, 10), None);
    }
}

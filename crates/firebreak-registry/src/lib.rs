//! Registry clients for npm, PyPI and crates.io, and the registry-neutral model they fill.
//!
//! Every registry document is reduced to one [`PackageHistory`]: the releases of a package
//! with who published each, how (trusted publisher, provenance, signature), when, and what
//! it declared (install scripts, dependencies, repository). Analyzers compare releases on
//! this model only, so a signal is written once for all three registries.
//!
//! The clients share one [`HttpClient`]: credentials from the user's configuration
//! ([`RegistryConfig`]) sent only to their host, an on-disk cache revalidated with
//! ETag/Last-Modified, offline mode, bounded concurrency, retries, a request budget and a
//! document size cap ([`ClientOptions`]). Nothing here verifies signatures: attestations are
//! read and handed on.
#![warn(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use firebreak_core::Ecosystem;

pub mod artifact;
pub mod auth;
mod compact;
pub mod config;
pub mod crates;
mod error;
pub mod http;
mod json;
pub mod model;
pub mod npm;
mod packument;
pub mod pypi;

pub use artifact::{ArtifactCache, ArtifactRef, DistFile, choose_pypi_file};
pub use auth::{AuthScope, Credential, Credentials, Secret};
pub use config::{ConfigSources, CratesConfig, NpmConfig, PypiConfig, RegistryConfig};
pub use crates::CratesRegistry;
pub use error::RegistryError;
pub use http::{ClientOptions, HttpClient};
pub use model::{
    Account, BuildIdentity, PackageHistory, PackageRef, Release, Trust, TrustLevel, TrustedPublisher,
};
pub use npm::{NpmAttestations, NpmRegistry};
pub use pypi::PypiRegistry;

/// A boxed future, so that [`Registry`] can be used as `dyn Registry`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One registry: a package's whole history, then per-version details on demand.
pub trait Registry: Send + Sync {
    /// The ecosystem it serves.
    fn ecosystem(&self) -> Ecosystem;

    /// Every release of `name` with its publishing facts. A missing package is
    /// [`RegistryError::NotFound`]; malformed fields are warnings in the history.
    fn history<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<PackageHistory, RegistryError>>;

    /// Fetches what the package document lacks for these versions (npm: the provenance
    /// statement's build identity; PyPI: `requires_dist`, per-release emails and the
    /// Trusted Publisher of attested files). Call it for the analysed version and the one
    /// it is compared with, not for every release. A per-version 404 is a warning.
    fn complete<'a>(
        &'a self,
        history: &'a mut PackageHistory,
        versions: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), RegistryError>>;
}

/// The three clients over one shared HTTP client.
#[derive(Debug, Clone)]
pub struct Registries {
    /// The shared HTTP client (cache, budget, statistics).
    pub http: Arc<HttpClient>,
    /// npm.
    pub npm: NpmRegistry,
    /// PyPI.
    pub pypi: PypiRegistry,
    /// crates.io.
    pub crates: CratesRegistry,
}

impl Registries {
    /// Builds the clients from a configuration and client options.
    pub fn new(config: RegistryConfig, options: ClientOptions) -> Result<Registries, RegistryError> {
        let http = Arc::new(HttpClient::new(options, config.credentials.clone())?);
        Ok(Registries {
            npm: NpmRegistry::new(http.clone(), config.npm),
            pypi: PypiRegistry::new(http.clone(), config.pypi),
            crates: CratesRegistry::new(http.clone(), config.crates),
            http,
        })
    }

    /// The client for `ecosystem` (none for Go).
    pub fn for_ecosystem(&self, ecosystem: Ecosystem) -> Option<&dyn Registry> {
        match ecosystem {
            Ecosystem::Npm => Some(&self.npm),
            Ecosystem::PyPI => Some(&self.pypi),
            Ecosystem::CratesIo => Some(&self.crates),
            _ => None,
        }
    }
}

/// A repository URL in one comparable form: `https://host/owner/repo`, host lowercase,
/// without `git+`, `.git`, a trailing slash or user-info; npm shorthands (`owner/repo`,
/// `github:owner/repo`, `gitlab:…`, `bitbucket:…`) and scp-like `git@host:owner/repo`
/// expanded. `None` for an empty value.
pub fn normalize_repository(raw: &str) -> Option<String> {
    let mut s = raw.trim();
    if s.is_empty() {
        return None;
    }
    s = s.strip_prefix("git+").unwrap_or(s);
    let expanded;
    for (prefix, host) in
        [("github:", "github.com"), ("gitlab:", "gitlab.com"), ("bitbucket:", "bitbucket.org")]
    {
        if let Some(rest) = s.strip_prefix(prefix) {
            expanded = format!("https://{host}/{rest}");
            return finish_repository(&expanded);
        }
    }
    if !s.contains("://") {
        if let Some((userhost, path)) = s.split_once(':').filter(|(h, _)| h.contains('@') || h.contains('.'))
        {
            let host = userhost.rsplit('@').next().unwrap_or(userhost);
            expanded = format!("https://{host}/{}", path.trim_start_matches('/'));
            return finish_repository(&expanded);
        }
        if s.split('/').count() == 2 && !s.starts_with('/') {
            expanded = format!("https://github.com/{s}");
            return finish_repository(&expanded);
        }
        return Some(s.to_owned());
    }
    finish_repository(s)
}

fn finish_repository(s: &str) -> Option<String> {
    let (_, rest) = s.split_once("://")?;
    let rest = rest.rsplit_once('@').filter(|(ui, _)| !ui.contains('/')).map_or(rest, |(_, r)| r);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let path = path.split(['#', '?']).next().unwrap_or_default().trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path).trim_end_matches('/');
    if path.is_empty() {
        return Some(format!("https://{host}"));
    }
    Some(format!("https://{host}/{path}"))
}

#[cfg(test)]
mod tests {
    use super::normalize_repository as n;

    #[test]
    fn repository_forms_compare_equal() {
        let want = Some("https://github.com/axios/axios".to_owned());
        for form in [
            "git+https://github.com/axios/axios.git",
            "https://github.com/axios/axios",
            "git://github.com/axios/axios.git",
            "git+ssh://git@github.com/axios/axios.git",
            "git@github.com:axios/axios.git",
            "github:axios/axios",
            "axios/axios",
            "https://GitHub.com/axios/axios/",
            "https://github.com/axios/axios.git#main",
        ] {
            assert_eq!(n(form), want, "{form}");
        }
        assert_eq!(n("gitlab:a/b").as_deref(), Some("https://gitlab.com/a/b"));
        assert_eq!(n(""), None);
    }
}

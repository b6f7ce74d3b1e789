//! Building the registry clients from the user's configuration and the command line.

use std::path::Path;
use std::time::Duration;

use camino::Utf8PathBuf;
use firebreak_core::Ecosystem;
use firebreak_registry::{ClientOptions, ConfigSources, Registries, RegistryConfig};
use reqwest::Url;

use crate::cli::RegistryArgs;

/// The clients for a run: configuration from `project_dir` and the user's files, then the
/// command line's overrides.
pub(super) fn registries(args: &RegistryArgs, project_dir: Option<&Path>) -> miette::Result<Registries> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sources = ConfigSources::from_process(project_dir);
    let mut config = RegistryConfig::load(&sources).map_err(|e| miette::miette!("{e}"))?;
    for warning in &config.warnings {
        crate::printer::warning(warning);
    }
    for entry in &args.registries {
        let (eco, url) = entry
            .split_once('=')
            .ok_or_else(|| miette::miette!("`--registry {entry}`: expected `ECOSYSTEM=URL`"))?;
        let ecosystem: Ecosystem = eco.parse().map_err(|_| {
            miette::miette!("`--registry {entry}`: expected `npm`, `pypi` or `cargo` before `=`")
        })?;
        let mut url = Url::parse(url).map_err(|e| miette::miette!("`--registry {entry}`: not a URL: {e}"))?;
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        config = match ecosystem {
            Ecosystem::Npm => config.with_npm_registry(url),
            Ecosystem::PyPI => config.with_pypi(url),
            Ecosystem::CratesIo => config.with_crates_index(url, None),
            Ecosystem::Go => return Err(miette::miette!("`--registry {entry}`: Go has no registry signals")),
        };
    }
    let options = ClientOptions {
        cache_dir: args
            .cache_dir
            .clone()
            .map(Utf8PathBuf::into_std_path_buf)
            .or_else(|| sources.default_cache_dir()),
        offline: args.offline,
        request_budget: Some(args.max_requests),
        max_concurrency: args.jobs.max(1),
        timeout: Duration::from_secs(60),
        // A document fetched minutes ago is reused without a round trip: a warm scan of a
        // large lockfile then costs no request at all. New releases show within this time.
        fresh_for: Duration::from_secs(args.max_age.into()),
        ..ClientOptions::default()
    };
    Registries::new(config, options).map_err(|e| miette::miette!("{e}"))
}

//! Shared setup: the real clients pointed at a fixture registry on 127.0.0.1.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::Path;

use firebreak_registry::{ClientOptions, Registries, RegistryConfig};
use firebreak_test::FixtureRegistry;
use reqwest::Url;

pub fn install_crypto() {
    // The binary does the same before any HTTPS request; a second install is a no-op error.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn config_for(fx: &FixtureRegistry) -> RegistryConfig {
    RegistryConfig::default()
        .with_npm_registry(Url::parse(&fx.npm_url()).unwrap())
        .with_pypi(Url::parse(&fx.pypi_url()).unwrap())
        .with_crates_index(Url::parse(&fx.crates_index_url()).unwrap(), None)
}

pub fn fast_options(cache: Option<&Path>) -> ClientOptions {
    ClientOptions {
        cache_dir: cache.map(Path::to_path_buf),
        backoff: std::time::Duration::from_millis(10),
        max_backoff: std::time::Duration::from_millis(50),
        ..ClientOptions::default()
    }
}

pub fn registries(fx: &FixtureRegistry, options: ClientOptions) -> Registries {
    install_crypto();
    Registries::new(config_for(fx), options).unwrap()
}

pub fn fixture() -> FixtureRegistry {
    FixtureRegistry::start(firebreak_test::registry_fixtures())
}

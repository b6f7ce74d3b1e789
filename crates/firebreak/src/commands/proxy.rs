//! `firebreak proxy`: the policy-enforcing registry proxy, wired to the process (signals,
//! stderr, the user's registry configuration).

use std::sync::{Arc, Mutex};

use camino::Utf8Path;
use firebreak_registry::{ConfigSources, RegistryConfig};
use firebreak_server::decide::Advisories;
use firebreak_server::proxy::{AuditLog, Proxy, ProxyOptions, system_clock, tls_config};
use miette::{IntoDiagnostic, WrapErr};
use reqwest::Url;

use crate::cli::ProxyArgs;
use crate::exit::ExitStatus;
use crate::printer;

fn base_url(flag: &str, text: &str) -> miette::Result<Url> {
    let mut url = Url::parse(text).map_err(|e| miette::miette!("`{flag} {text}`: not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(miette::miette!("`{flag} {text}`: expected an http:// or https:// URL"));
    }
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    Ok(url)
}

pub(super) fn run(args: &ProxyArgs) -> miette::Result<ExitStatus> {
    let (policy, policy_path) = super::scan::load_policy_from(args.config.as_deref(), Utf8Path::new("."))?;
    let advisories = match super::advisories::open(args.db.as_deref()) {
        Ok(opened) => Advisories::Open(Mutex::new(opened.db)),
        Err(report) => {
            // Each release is then decided by `[proxy] on_unavailable.advisories`.
            printer::warning(&format!("{report}"));
            Advisories::Unavailable(report.to_string())
        }
    };
    let sources = ConfigSources::from_process(std::env::current_dir().ok().as_deref());
    let config = RegistryConfig::load(&sources).map_err(|e| miette::miette!("{e}"))?;
    for warning in &config.warnings {
        printer::warning(warning);
    }
    let read = |path: &Utf8Path, what: &str| {
        fs_err::read(path).into_diagnostic().wrap_err_with(|| format!("cannot read the {what} `{path}`"))
    };
    let extra_ca_pem = args.extra_ca.as_deref().map(|p| read(p, "CA bundle")).transpose()?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(
            tls_config(&read(cert, "certificate")?, &read(key, "private key")?)
                .map_err(|e| miette::miette!("{e}"))?,
        ),
        _ => None,
    };
    let audit = args
        .audit_log
        .as_deref()
        .map(|p| {
            AuditLog::open(p.as_std_path())
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot open the audit log `{p}`"))
        })
        .transpose()?;
    let options = ProxyOptions {
        npm_upstream: base_url("--npm-upstream", &args.npm_upstream)?,
        npm_scopes: config.npm.scopes.clone(),
        pypi_upstream: base_url("--pypi-upstream", &args.pypi_upstream)?,
        cargo_upstream: base_url("--cargo-upstream", &args.cargo_upstream)?,
        cargo_api_upstream: base_url("--cargo-api-upstream", &args.cargo_api_upstream)?,
        credentials: config.credentials.clone(),
        forward_authorization: args.forward_authorization,
        cache_dir: args
            .cache_dir
            .clone()
            .map(camino::Utf8PathBuf::into_std_path_buf)
            .or_else(|| sources.default_cache_dir().map(|d| d.join("proxy"))),
        policy_path: policy_path.map(camino::Utf8PathBuf::into_std_path_buf),
        known_signals: firebreak_server::registry_signals::all_signal_ids(),
        extra_ca_pem,
        ..ProxyOptions::default()
    };
    let log = Arc::new(|message: &str| printer::always(&format!("firebreak proxy: {message}")));
    let proxy = Proxy::new(options, policy, advisories, audit, system_clock(), log)
        .map_err(|e| miette::miette!("{e}"))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .into_diagnostic()
        .wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot listen on `{}`", args.listen))?;
        let addr = listener.local_addr().into_diagnostic()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        printer::always(&format!("firebreak proxy listening on {scheme}://{addr}"));
        let reloader = proxy.clone();
        tokio::spawn(async move { reload_on_hangup(reloader).await });
        proxy.serve(listener, tls, shutdown_signal()).await.into_diagnostic()
    })?;
    Ok(ExitStatus::Success)
}

#[cfg(unix)]
async fn reload_on_hangup(proxy: Proxy) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else { return };
    while hangups.recv().await.is_some() {
        // The outcome, good or bad, is logged by the reload itself.
        let _ = proxy.reload_policy();
    }
}

#[cfg(not(unix))]
async fn reload_on_hangup(_proxy: Proxy) {}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    printer::always("firebreak proxy: shutting down");
}

//! Where the registries are and which credentials go to which host, read from the user's
//! own configuration: `.npmrc`, pip's config and `PIP_INDEX_URL`, cargo's config.
//!
//! Precedence follows each tool: environment over project file over user file; explicit
//! overrides (the CLI's flags, tests) over everything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use reqwest::Url;

use crate::auth::{AuthScope, Credential, Credentials, Secret, split_userinfo};
use crate::error::RegistryError;

/// The npm registry and per-scope registries.
#[derive(Debug, Clone)]
pub struct NpmConfig {
    /// The default registry (`registry=`).
    pub registry: Url,
    /// `@scope:registry=` entries, keyed by `@scope`.
    pub scopes: BTreeMap<String, Url>,
}

impl NpmConfig {
    /// The registry serving `name` (its scope's registry, or the default).
    pub fn registry_for(&self, name: &str) -> &Url {
        name.strip_prefix('@')
            .and_then(|rest| rest.split_once('/'))
            .and_then(|(scope, _)| self.scopes.get(&format!("@{scope}")))
            .unwrap_or(&self.registry)
    }
}

/// PyPI: the simple index and the JSON API base (`/pypi/<name>/json`, `/integrity/…`).
#[derive(Debug, Clone)]
pub struct PypiConfig {
    /// The simple index (`https://pypi.org/simple/`).
    pub index: Url,
    /// The base of the JSON and integrity APIs (`https://pypi.org/`).
    pub api: Url,
}

/// crates.io: the sparse index; the API base comes from the index's `config.json` unless
/// overridden.
#[derive(Debug, Clone)]
pub struct CratesConfig {
    /// The sparse index URL without the `sparse+` prefix (`https://index.crates.io/`).
    pub index: Url,
    /// The API base, overriding `config.json`'s `api`.
    pub api: Option<Url>,
}

/// Every registry location and credential.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// npm.
    pub npm: NpmConfig,
    /// PyPI.
    pub pypi: PypiConfig,
    /// crates.io.
    pub crates: CratesConfig,
    /// Credentials, each scoped to its host and path.
    pub credentials: Credentials,
    /// Things in the configuration that were ignored, and why.
    pub warnings: Vec<String>,
}

fn url(s: &str) -> Url {
    // Only called on the literals below.
    Url::parse(s).unwrap_or_else(|_| unreachable!("literal URL"))
}

impl Default for RegistryConfig {
    /// The public registries, no credentials.
    fn default() -> RegistryConfig {
        RegistryConfig {
            npm: NpmConfig { registry: url("https://registry.npmjs.org/"), scopes: BTreeMap::new() },
            pypi: PypiConfig { index: url("https://pypi.org/simple/"), api: url("https://pypi.org/") },
            crates: CratesConfig { index: url("https://index.crates.io/"), api: None },
            credentials: Credentials::new(),
            warnings: Vec::new(),
        }
    }
}

/// Where configuration is read from. Build it with [`ConfigSources::from_process`] or by
/// hand in tests. Its `Debug` lists variable names only: values may be tokens.
#[derive(Clone, Default)]
pub struct ConfigSources {
    /// The project directory (for `.npmrc` and `.cargo/config.toml`).
    pub project_dir: Option<PathBuf>,
    /// The user's home directory.
    pub home: Option<PathBuf>,
    /// The environment variables that matter (see [`ENV_VARS`]).
    pub env: BTreeMap<String, String>,
}

/// Environment variables read by [`RegistryConfig::load`] (plus any `${VAR}` an `.npmrc`
/// names).
pub const ENV_VARS: &[&str] = &[
    "NPM_CONFIG_REGISTRY",
    "npm_config_registry",
    "NPM_CONFIG_USERCONFIG",
    "npm_config_userconfig",
    "PIP_INDEX_URL",
    "PIP_CONFIG_FILE",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "CARGO_HOME",
    "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
];

impl std::fmt::Debug for ConfigSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigSources")
            .field("project_dir", &self.project_dir)
            .field("home", &self.home)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ConfigSources {
    /// The process's environment and home directory.
    pub fn from_process(project_dir: Option<&Path>) -> ConfigSources {
        ConfigSources {
            project_dir: project_dir.map(Path::to_path_buf),
            home: std::env::var_os("HOME").map(PathBuf::from),
            env: std::env::vars().collect(),
        }
    }

    /// The default HTTP cache directory: `$XDG_CACHE_HOME/firebreak/registry`, else
    /// `~/.cache/firebreak/registry`; `None` without either.
    pub fn default_cache_dir(&self) -> Option<PathBuf> {
        let base = self
            .var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| self.home.as_ref().map(|h| h.join(".cache")))?;
        Some(base.join("firebreak").join("registry"))
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
}

impl RegistryConfig {
    /// Reads the user's configuration. A file that cannot be read is an error; a setting
    /// firebreak cannot use is a warning in [`RegistryConfig::warnings`].
    pub fn load(sources: &ConfigSources) -> Result<RegistryConfig, RegistryError> {
        let mut config = RegistryConfig::default();
        config.load_npm(sources)?;
        config.load_pip(sources)?;
        config.load_cargo(sources)?;
        Ok(config)
    }

    /// Overrides the npm registry (the CLI flag, tests). Credentials for it still come from
    /// the configuration by host.
    pub fn with_npm_registry(mut self, registry: Url) -> RegistryConfig {
        self.npm.registry = registry;
        self.npm.scopes.clear();
        self
    }

    /// Overrides PyPI with a base URL serving `/pypi/…`, `/simple/…` and `/integrity/…`.
    pub fn with_pypi(mut self, base: Url) -> RegistryConfig {
        self.pypi.index = base.join("simple/").unwrap_or_else(|_| base.clone());
        self.pypi.api = base;
        self
    }

    /// Overrides the crates.io sparse index (and optionally the API base).
    pub fn with_crates_index(mut self, index: Url, api: Option<Url>) -> RegistryConfig {
        self.crates.index = index;
        self.crates.api = api;
        self
    }

    fn load_npm(&mut self, sources: &ConfigSources) -> Result<(), RegistryError> {
        let mut files = Vec::new();
        let user = sources
            .var("NPM_CONFIG_USERCONFIG")
            .or_else(|| sources.var("npm_config_userconfig"))
            .map(PathBuf::from)
            .or_else(|| sources.home.as_ref().map(|h| h.join(".npmrc")));
        files.extend(user);
        // The project file comes last: it overrides the user's.
        files.extend(sources.project_dir.as_ref().map(|p| p.join(".npmrc")));
        for file in files {
            let Some(text) = read_optional(&file)? else { continue };
            self.apply_npmrc(&file.display().to_string(), &text, sources);
        }
        if let Some(reg) = sources.var("npm_config_registry").or_else(|| sources.var("NPM_CONFIG_REGISTRY")) {
            self.npm.registry = self.registry_url("NPM_CONFIG_REGISTRY", reg)?;
        }
        Ok(())
    }

    /// Applies one `.npmrc`.
    pub fn apply_npmrc(&mut self, origin: &str, text: &str, sources: &ConfigSources) {
        let mut basic_user: BTreeMap<String, String> = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                self.warnings.push(format!("{origin}:{}: not a `key=value` line", n + 1));
                continue;
            };
            let key = key.trim();
            let value = unquote(value.trim());
            let value = match expand_env(value, sources) {
                Ok(v) => v,
                Err(var) => {
                    self.warnings
                        .push(format!("{origin}:{}: `${{{var}}}` is not set; `{key}` ignored", n + 1));
                    continue;
                }
            };
            let warn_url = |warnings: &mut Vec<String>, e: RegistryError| {
                warnings.push(format!("{origin}:{}: {e}", n + 1));
            };
            if key == "registry" {
                match self.registry_url(origin, &value) {
                    Ok(u) => self.npm.registry = u,
                    Err(e) => warn_url(&mut self.warnings, e),
                }
            } else if let Some(scope) = key.strip_suffix(":registry").filter(|s| s.starts_with('@')) {
                match self.registry_url(origin, &value) {
                    Ok(u) => {
                        self.npm.scopes.insert(scope.to_owned(), u);
                    }
                    Err(e) => warn_url(&mut self.warnings, e),
                }
            } else if let Some((dart, field)) = key.rsplit_once(':').filter(|(d, _)| d.starts_with("//")) {
                let Some(scope) = AuthScope::from_nerf_dart(dart) else {
                    self.warnings.push(format!("{origin}:{}: `{dart}` is not a `//host/path/` key", n + 1));
                    continue;
                };
                match field {
                    "_authToken" => self.credentials.insert(scope, Credential::Bearer(Secret::new(value))),
                    "_auth" => self.credentials.insert(scope, Credential::Basic(Secret::new(value))),
                    "username" => {
                        basic_user.insert(dart.to_owned(), value);
                    }
                    "_password" => {
                        use base64::Engine;
                        let password = base64::engine::general_purpose::STANDARD
                            .decode(value.as_bytes())
                            .ok()
                            .and_then(|b| String::from_utf8(b).ok());
                        match (basic_user.get(dart), password) {
                            (Some(user), Some(password)) => {
                                self.credentials.insert(scope, Credential::basic(user, &password))
                            }
                            _ => self.warnings.push(format!(
                                "{origin}:{}: `_password` needs a preceding `username` and base64 text",
                                n + 1
                            )),
                        }
                    }
                    _ => {}
                }
            } else if matches!(key, "_authToken" | "_auth") {
                // npm 9+ refuses credentials not tied to a registry; so do we.
                self.warnings
                    .push(format!("{origin}:{}: `{key}` without a `//host/` prefix is ignored", n + 1));
            }
        }
    }

    /// A registry URL without user-info; user-info becomes a Basic credential scoped to it,
    /// so that it is never printed with the URL nor sent elsewhere.
    fn registry_url(&mut self, origin: &str, value: &str) -> Result<Url, RegistryError> {
        let parsed = parse_registry_url(origin, value)?;
        let (clean, credential) = split_userinfo(&parsed);
        if let (Some(credential), Some(scope)) = (credential, AuthScope::from_url(&clean)) {
            self.credentials.insert(scope, credential);
        }
        Ok(clean)
    }

    fn load_pip(&mut self, sources: &ConfigSources) -> Result<(), RegistryError> {
        let mut files = Vec::new();
        if let Some(f) = sources.var("PIP_CONFIG_FILE") {
            files.push(PathBuf::from(f));
        } else {
            let xdg = sources
                .var("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| sources.home.as_ref().map(|h| h.join(".config")));
            // pip reads the legacy file first, then the XDG one, later values winning.
            files.extend(sources.home.as_ref().map(|h| h.join(".pip").join("pip.conf")));
            files.extend(xdg.map(|x| x.join("pip").join("pip.conf")));
        }
        let mut index = None;
        for file in files {
            let Some(text) = read_optional(&file)? else { continue };
            if let Some(v) = ini_value(&text, &["global", "install", "download"], &["index-url", "index_url"])
            {
                index = Some((file.display().to_string(), v));
            }
        }
        if let Some(v) = sources.var("PIP_INDEX_URL") {
            index = Some(("PIP_INDEX_URL".to_owned(), v.to_owned()));
        }
        if let Some((origin, value)) = index {
            let parsed = parse_registry_url(&origin, &value)?;
            let (clean, credential) = split_userinfo(&parsed);
            let api = pypi_api_base(&clean);
            if api.is_none() {
                self.warnings.push(format!(
                    "{origin}: the index `{clean}` does not end in `/simple/`; the JSON API is assumed at its root"
                ));
            }
            let api = api.unwrap_or_else(|| clean.join("/").unwrap_or_else(|_| clean.clone()));
            if let (Some(credential), Some(scope)) = (credential, AuthScope::from_url(&api)) {
                self.credentials.insert(scope, credential);
            }
            self.pypi = PypiConfig { index: clean, api };
        }
        Ok(())
    }

    fn load_cargo(&mut self, sources: &ConfigSources) -> Result<(), RegistryError> {
        let mut files = Vec::new();
        if let Some(project) = &sources.project_dir {
            // Cargo reads every `.cargo/config.toml` from the project up to the root; the
            // closest wins.
            for dir in project.ancestors().take(64) {
                for name in ["config.toml", "config"] {
                    let f = dir.join(".cargo").join(name);
                    if f.is_file() {
                        files.push(f);
                        break;
                    }
                }
            }
        }
        let cargo_home = sources
            .var("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| sources.home.as_ref().map(|h| h.join(".cargo")));
        if let Some(home) = cargo_home {
            for name in ["config.toml", "config"] {
                let f = home.join(name);
                if f.is_file() && !files.contains(&f) {
                    files.push(f);
                    break;
                }
            }
        }
        let mut replace_with: Option<(String, String)> = None;
        let mut sources_table: BTreeMap<String, (String, String)> = BTreeMap::new();
        // Farthest first so that closer files overwrite.
        for file in files.iter().rev() {
            let origin = file.display().to_string();
            let Some(text) = read_optional(file)? else { continue };
            let doc: toml::Table = toml::from_str(&text)
                .map_err(|e| RegistryError::Config { origin: origin.clone(), message: e.to_string() })?;
            for table in ["source", "registries"] {
                let Some(entries) = doc.get(table).and_then(toml::Value::as_table) else { continue };
                for (name, entry) in entries {
                    if table == "source" && name == "crates-io" {
                        if let Some(r) = entry.get("replace-with").and_then(toml::Value::as_str) {
                            replace_with = Some((origin.clone(), r.to_owned()));
                        }
                        continue;
                    }
                    let key = if table == "source" { "registry" } else { "index" };
                    if let Some(u) = entry.get(key).and_then(toml::Value::as_str) {
                        sources_table.insert(name.clone(), (origin.clone(), u.to_owned()));
                    }
                }
            }
        }
        if let Some((origin, name)) = replace_with {
            match sources_table.get(&name) {
                Some((origin, u)) => match u.strip_prefix("sparse+") {
                    Some(sparse) => self.crates.index = self.registry_url(origin, sparse)?,
                    None => self.warnings.push(format!(
                        "{origin}: crates.io is replaced by the git index `{u}`; firebreak reads sparse indexes only and uses `{}`",
                        self.crates.index
                    )),
                },
                None => self.warnings.push(format!(
                    "{origin}: `replace-with = \"{name}\"` names no `[source.{name}]` or `[registries.{name}]` with a URL"
                )),
            }
        }
        if sources.var("CARGO_REGISTRIES_CRATES_IO_PROTOCOL") == Some("git") {
            self.warnings.push(
                "CARGO_REGISTRIES_CRATES_IO_PROTOCOL=git: firebreak reads the sparse index, which serves the same data"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, RegistryError> {
    match fs_err::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(RegistryError::Config { origin: path.display().to_string(), message: e.to_string() }),
    }
}

fn parse_registry_url(origin: &str, value: &str) -> Result<Url, RegistryError> {
    let mut u = Url::parse(value.trim()).map_err(|e| RegistryError::Config {
        origin: origin.to_owned(),
        message: format!("`{}` is not a URL: {e}", redact_userinfo(value)),
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(RegistryError::Config {
            origin: origin.to_owned(),
            message: format!("`{}` is not an http(s) URL", redact_userinfo(value)),
        });
    }
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    Ok(u)
}

fn redact_userinfo(value: &str) -> String {
    match (value.find("://"), value.find('@')) {
        (Some(s), Some(a)) if a > s && !value[s + 3..a].contains('/') => {
            format!("{}****{}", &value[..s + 3], &value[a..])
        }
        _ => value.to_owned(),
    }
}

/// `https://host/prefix/simple/` → `https://host/prefix/`: PyPI and its mirrors (devpi
/// excepted) serve the JSON API beside the simple index.
fn pypi_api_base(index: &Url) -> Option<Url> {
    let path = index.path().trim_end_matches('/');
    let base = path.strip_suffix("/simple")?;
    let mut u = index.clone();
    u.set_path(&format!("{base}/"));
    u.set_query(None);
    Some(u)
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v)
}

/// npm's `${VAR}` expansion; an unset variable is an error naming it (npm fails too).
fn expand_env(value: &str, sources: &ConfigSources) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let var = &after[..end];
        let (name, optional) = match var.strip_suffix('?') {
            Some(n) => (n, true),
            None => (var, false),
        };
        match sources.env.get(name) {
            Some(v) => out.push_str(v),
            None if optional => {}
            None => return Err(name.to_owned()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The value of the first of `keys` in the last of `sections` that has it (INI as pip's
/// configparser reads it: `key = value` or `key: value`).
fn ini_value(text: &str, sections: &[&str], keys: &[&str]) -> Option<String> {
    let mut current = String::new();
    let mut found: BTreeMap<usize, String> = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_owned();
            continue;
        }
        let Some(rank) = sections.iter().position(|s| *s == current) else { continue };
        let Some((k, v)) = line.split_once(['=', ':']) else { continue };
        if keys.contains(&k.trim()) {
            found.insert(rank, v.trim().to_owned());
        }
    }
    // `[global]` first, overridden by the command sections pip would use.
    found.into_values().next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(env: &[(&str, &str)]) -> ConfigSources {
        ConfigSources {
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            ..ConfigSources::default()
        }
    }

    #[test]
    fn npmrc_registries_scopes_and_tokens() {
        let mut c = RegistryConfig::default();
        let s = sources(&[("NPM_TOKEN", "npm_secret")]);
        c.apply_npmrc(
            ".npmrc",
            "registry=https://npm.corp.test/repo\n@acme:registry = \"https://npm.pkg.github.com/\"\n\
             //npm.corp.test/repo/:_authToken=${NPM_TOKEN}\n//npm.pkg.github.com/:_authToken=${MISSING}\n_authToken=bare\n",
            &s,
        );
        assert_eq!(c.npm.registry.as_str(), "https://npm.corp.test/repo/");
        assert_eq!(c.npm.registry_for("@acme/x").as_str(), "https://npm.pkg.github.com/");
        assert_eq!(c.npm.registry_for("@other/x").as_str(), "https://npm.corp.test/repo/");
        let cred = c.credentials.for_url(&Url::parse("https://npm.corp.test/repo/axios").unwrap());
        assert_eq!(cred.map(Credential::header_value).as_deref(), Some("Bearer npm_secret"));
        assert!(
            c.credentials.for_url(&Url::parse("https://npm.pkg.github.com/@acme%2fx").unwrap()).is_none()
        );
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(c.warnings.iter().any(|w| w.contains("MISSING")));
        assert!(!format!("{c:?}").contains("npm_secret"));
    }

    #[test]
    fn userinfo_in_registry_urls_becomes_a_scoped_credential() {
        let s = sources(&[("NPM_CONFIG_REGISTRY", "https://me:hunter2@npm.corp.test/")]);
        let c = RegistryConfig::load(&s).unwrap();
        assert_eq!(c.npm.registry.as_str(), "https://npm.corp.test/");
        let cred = c.credentials.for_url(&Url::parse("https://npm.corp.test/axios").unwrap());
        assert_eq!(cred, Some(&Credential::basic("me", "hunter2")));
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn pip_index_url_derives_the_api_and_scopes_its_credentials() {
        let c = RegistryConfig::load(&sources(&[("PIP_INDEX_URL", "https://u:pw@mirror.test/pypi/simple")]))
            .unwrap();
        assert_eq!(c.pypi.index.as_str(), "https://mirror.test/pypi/simple/");
        assert_eq!(c.pypi.api.as_str(), "https://mirror.test/pypi/");
        let cred = c.credentials.for_url(&Url::parse("https://mirror.test/pypi/pypi/x/json").unwrap());
        assert_eq!(cred, Some(&Credential::basic("u", "pw")));
        assert!(c.credentials.for_url(&Url::parse("https://pypi.org/pypi/x/json").unwrap()).is_none());
    }

    #[test]
    fn files_are_read_in_precedence_order() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let project = dir.path().join("project");
        fs_err::create_dir_all(home.join(".config/pip")).unwrap();
        fs_err::create_dir_all(project.join(".cargo")).unwrap();
        fs_err::write(home.join(".npmrc"), "registry=https://user.test/\n").unwrap();
        fs_err::write(project.join(".npmrc"), "registry=https://project.test/\n").unwrap();
        fs_err::write(home.join(".config/pip/pip.conf"), "[global]\nindex-url = https://pip.test/simple/\n")
            .unwrap();
        fs_err::write(
            project.join(".cargo/config.toml"),
            "[source.crates-io]\nreplace-with = \"mirror\"\n[source.mirror]\nregistry = \"sparse+https://cargo.test/index/\"\n",
        )
        .unwrap();
        let s = ConfigSources { project_dir: Some(project), home: Some(home), env: BTreeMap::new() };
        let c = RegistryConfig::load(&s).unwrap();
        assert_eq!(c.npm.registry.as_str(), "https://project.test/");
        assert_eq!(c.pypi.api.as_str(), "https://pip.test/");
        assert_eq!(c.crates.index.as_str(), "https://cargo.test/index/");
        assert!(s.default_cache_dir().unwrap().ends_with("home/.cache/firebreak/registry"));
        let mut s2 = s.clone();
        s2.env.insert("NPM_CONFIG_REGISTRY".into(), "https://env.test".into());
        assert_eq!(RegistryConfig::load(&s2).unwrap().npm.registry.as_str(), "https://env.test/");
    }
}

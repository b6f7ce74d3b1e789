//! Credentials scoped to the host and path prefix they belong to.

use std::fmt;

use base64::Engine;
use reqwest::Url;

/// A secret string whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for building the header. Never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// One credential, as sent in the `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <token>` (npm `_authToken`).
    Bearer(Secret),
    /// `Authorization: Basic <base64 of user:password>` (npm `_auth`, user:password in a pip
    /// index URL).
    Basic(Secret),
}

impl Credential {
    /// Basic credentials from a user name and password.
    pub fn basic(user: &str, password: &str) -> Credential {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Credential::Basic(Secret::new(encoded))
    }

    /// The `Authorization` header value. Holds the secret: send it, never log it.
    pub fn header_value(&self) -> String {
        match self {
            Credential::Bearer(s) => format!("Bearer {}", s.expose()),
            Credential::Basic(s) => format!("Basic {}", s.expose()),
        }
    }
}

/// Where a credential may be sent: a host, its explicit port (none for the scheme's
/// default) and a path prefix ending in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthScope {
    /// The host, lowercase.
    pub host: String,
    /// The port when not the scheme's default.
    pub port: Option<u16>,
    /// The path prefix, starting and ending with `/`.
    pub path: String,
}

impl AuthScope {
    /// The scope of npm's "nerf dart" key form `//host[:port]/path/`.
    pub fn from_nerf_dart(key: &str) -> Option<AuthScope> {
        let rest = key.strip_prefix("//")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, Some(p.parse::<u16>().ok()?)),
            _ => (authority, None),
        };
        let mut path = path.to_owned();
        if !path.ends_with('/') {
            path.push('/');
        }
        Some(AuthScope { host: host.to_ascii_lowercase(), port, path })
    }

    /// The scope covering `url` and every URL under its path.
    pub fn from_url(url: &Url) -> Option<AuthScope> {
        let host = url.host_str()?.to_ascii_lowercase();
        let mut path = url.path().to_owned();
        if !path.ends_with('/') {
            // `https://host/simple` covers `/simple/…`; cut a last segment that names a file.
            match path.rfind('/') {
                Some(i) if path[i..].contains('.') => path.truncate(i + 1),
                _ => path.push('/'),
            }
        }
        Some(AuthScope { host, port: url.port(), path })
    }

    fn matches(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else { return false };
        let mut path = url.path().to_owned();
        if !path.ends_with('/') {
            path.push('/');
        }
        host.eq_ignore_ascii_case(&self.host) && url.port() == self.port && path.starts_with(&self.path)
    }
}

/// Every credential the user's configuration holds, each with its scope.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    entries: Vec<(AuthScope, Credential)>,
}

impl Credentials {
    /// No credentials.
    pub fn new() -> Credentials {
        Credentials::default()
    }

    /// Adds a credential; a later one for the same scope replaces the earlier.
    pub fn insert(&mut self, scope: AuthScope, credential: Credential) {
        self.entries.retain(|(s, _)| s != &scope);
        self.entries.push((scope, credential));
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The credential for `url`: same host and port, and the longest path prefix that
    /// contains the URL's path. Nothing is sent to any other host.
    pub fn for_url(&self, url: &Url) -> Option<&Credential> {
        self.entries
            .iter()
            .filter(|(scope, _)| scope.matches(url))
            .max_by_key(|(scope, _)| scope.path.len())
            .map(|(_, c)| c)
    }
}

/// A URL without its user-info, and the Basic credential that was in it (pip index URLs
/// carry `user:password@`).
pub(crate) fn split_userinfo(url: &Url) -> (Url, Option<Credential>) {
    if url.username().is_empty() && url.password().is_none() {
        return (url.clone(), None);
    }
    let user = percent_decode(url.username());
    let password = url.password().map(percent_decode).unwrap_or_default();
    let mut clean = url.clone();
    // Setting these cannot fail on a URL that had them.
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    (clean, Some(Credential::basic(&user, &password)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn secrets_are_redacted() {
        let c = Credential::Bearer(Secret::new("npm_abcdef"));
        assert!(!format!("{c:?}").contains("abcdef"));
        assert_eq!(Secret::new("x").to_string(), "****");
    }

    #[test]
    fn scope_matches_host_port_and_path_prefix() {
        let mut creds = Credentials::new();
        creds.insert(
            AuthScope::from_nerf_dart("//npm.example.com/team/").unwrap(),
            Credential::Bearer(Secret::new("a")),
        );
        creds.insert(
            AuthScope::from_nerf_dart("//npm.example.com/").unwrap(),
            Credential::Bearer(Secret::new("b")),
        );
        creds.insert(
            AuthScope::from_nerf_dart("//127.0.0.1:4873/").unwrap(),
            Credential::Bearer(Secret::new("c")),
        );
        let header = |u: &str| creds.for_url(&url(u)).map(Credential::header_value);
        assert_eq!(header("https://npm.example.com/team/pkg").as_deref(), Some("Bearer a"));
        assert_eq!(header("https://npm.example.com/other").as_deref(), Some("Bearer b"));
        assert_eq!(header("https://npm.example.com.evil.test/team/pkg"), None);
        assert_eq!(header("https://evil.test/npm.example.com/"), None);
        assert_eq!(header("http://127.0.0.1:4873/x").as_deref(), Some("Bearer c"));
        assert_eq!(header("http://127.0.0.1:4874/x"), None);
        assert_eq!(header("https://npm.example.com:8443/team/pkg"), None);
    }

    #[test]
    fn userinfo_is_split_off() {
        let (clean, cred) = split_userinfo(&url("https://me:p%40ss@pypi.example.com/simple/"));
        assert_eq!(clean.as_str(), "https://pypi.example.com/simple/");
        assert_eq!(cred, Some(Credential::basic("me", "p@ss")));
    }
}

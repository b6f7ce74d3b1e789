//! Lockfile hygiene: where a lockfile says packages come from and how they are pinned.
//!
//! These are the checks lockfile-lint made popular for npm, applied to every lockfile
//! kind firebreak reads. A lockfile that resolves a package from an unexpected host, over
//! plain HTTP, or under another package's URL is how a poisoned lockfile in a pull request
//! smuggles code past review; a missing or SHA-1-only integrity hash means the bytes
//! installed are not pinned.

use firebreak_core::{
    Category, Ecosystem, FileLocation, Finding, HashAlgorithm, Inventory, LockfileRef, Package,
    PackageSource, Severity, Signal, normalize_name,
};

use crate::InventoryAnalyzer;

/// A resolved URL over plain HTTP or the unauthenticated git protocol.
pub static INSECURE_SCHEME: Signal = Signal {
    id: "lockfile-insecure-scheme",
    title: "package resolved over an insecure protocol",
    severity: Severity::High,
    category: Category::Hygiene,
    help: "anyone on the network path can replace the package; use the https:// URL of the registry",
};
/// A resolved URL on a host outside the allowed list.
pub static UNTRUSTED_HOST: Signal = Signal {
    id: "lockfile-untrusted-host",
    title: "package resolved from a host that is not allowed",
    severity: Severity::High,
    category: Category::Hygiene,
    help: "a lockfile edited to point at another host installs whatever that host serves; regenerate the \
           lockfile against your registry, or add the host to `[hygiene] allowed_hosts`",
};
/// A registry URL that names a different package.
pub static NAME_MISMATCH: Signal = Signal {
    id: "lockfile-name-mismatch",
    title: "resolved URL is for a different package",
    severity: Severity::High,
    category: Category::Hygiene,
    help: "the entry installs another package's tarball under this name, a known lockfile-injection trick; \
           regenerate the lockfile",
};
/// No integrity hash where the format records one.
pub static INTEGRITY_MISSING: Signal = Signal {
    id: "lockfile-integrity-missing",
    title: "no integrity hash recorded",
    severity: Severity::Medium,
    category: Category::Hygiene,
    help: "without a hash the package manager installs whatever bytes it receives; regenerate the \
           lockfile so it records one",
};
/// Only SHA-1 or weaker hashes.
pub static INTEGRITY_WEAK: Signal = Signal {
    id: "lockfile-integrity-weak",
    title: "only a weak integrity hash (SHA-1 or MD5)",
    severity: Severity::Low,
    category: Category::Hygiene,
    help: "SHA-1 collisions are practical; regenerating the lockfile with a current package manager records \
           SHA-512",
};
/// Installed from git, a plain URL or a local path instead of a registry.
pub static NONREGISTRY_SOURCE: Signal = Signal {
    id: "lockfile-nonregistry-source",
    title: "package installed from outside a registry",
    severity: Severity::Low,
    category: Category::Hygiene,
    help: "git, URL and path sources bypass the registry's immutability, malware scanning and advisories; \
           prefer a published version",
};

/// The hygiene signals.
pub static SIGNALS: &[&Signal] = &[
    &INSECURE_SCHEME,
    &UNTRUSTED_HOST,
    &NAME_MISMATCH,
    &INTEGRITY_MISSING,
    &INTEGRITY_WEAK,
    &NONREGISTRY_SOURCE,
];

/// The hygiene checks, configured with the hosts a resolved URL may use.
#[derive(Debug, Clone)]
pub struct Hygiene {
    allowed_hosts: Vec<String>,
}

impl Hygiene {
    /// Checks against `allowed_hosts` (exact host names, case-insensitive).
    pub fn new(allowed_hosts: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Hygiene { allowed_hosts: allowed_hosts.into_iter().map(|h| h.into().to_ascii_lowercase()).collect() }
    }

    fn host_allowed(&self, host: &str) -> bool {
        self.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

impl InventoryAnalyzer for Hygiene {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, inventory: &Inventory, out: &mut Vec<Finding>) {
        for (i, p) in inventory.packages.iter().enumerate() {
            let lockfile = inventory.lockfiles.get(p.lockfile.index());
            let at = FileLocation {
                path: lockfile.map(|l| l.path.clone()).unwrap_or_default(),
                line: p.location.map(|l| l.line),
                column: p.location.map(|l| l.column),
            };
            let id = firebreak_core::PackageId(i as u32);
            let finding = |signal: &'static Signal, message: String| {
                Finding::new(signal, message).package(id).at(at.clone())
            };
            let extractor = lockfile.map_or("", |l| l.extractor.as_str());
            self.check_source(inventory, p, extractor, &finding, out);
            check_integrity(p, lockfile, &finding, out);
        }
    }
}

impl Hygiene {
    fn check_source(
        &self,
        inventory: &Inventory,
        p: &Package,
        extractor: &str,
        finding: &dyn Fn(&'static Signal, String) -> Finding,
        out: &mut Vec<Finding>,
    ) {
        let label = format!("{}@{}", p.name, p.version);
        let url = match &p.source {
            PackageSource::Registry { url } => url.as_deref(),
            PackageSource::Git { url, rev } => {
                out.push(
                    finding(&NONREGISTRY_SOURCE, format!("{label} is installed from git `{url}`"))
                        .evidence("source", url.as_str())
                        .evidence("revision", rev.as_deref().unwrap_or("(none: a moving branch)")),
                );
                Some(url.as_str())
            }
            PackageSource::Url { url } => {
                out.push(
                    finding(&NONREGISTRY_SOURCE, format!("{label} is installed from the URL `{url}`"))
                        .evidence("source", url.as_str()),
                );
                Some(url.as_str())
            }
            PackageSource::Path { path } => {
                // Workspace links are the project's own code, not a dependency source.
                if !is_workspace_link(p, extractor) && !is_member(inventory, p, path) {
                    out.push(
                        finding(
                            &NONREGISTRY_SOURCE,
                            format!("{label} is installed from the local path `{path}`"),
                        )
                        .evidence("source", path.as_str()),
                    );
                }
                None
            }
            PackageSource::Unknown => None,
        };
        let Some(url) = url else { return };
        let Some(parts) = UrlParts::parse(url) else { return };
        if matches!(parts.scheme, "http" | "git") {
            out.push(
                finding(&INSECURE_SCHEME, format!("{label} is resolved over `{}://`", parts.scheme))
                    .evidence("resolved", url),
            );
        }
        if !parts.host.is_empty() && !self.host_allowed(parts.host) {
            out.push(
                finding(
                    &UNTRUSTED_HOST,
                    format!("{label} is resolved from `{}`, which is not allowed", parts.host),
                )
                .evidence("resolved", url)
                .evidence("host", parts.host),
            );
        }
        if let Some(named) = url_package_name(p.ecosystem, &parts)
            && normalize_name(p.ecosystem, &named) != normalize_name(p.ecosystem, &p.name)
        {
            out.push(
                finding(&NAME_MISMATCH, format!("{label} is resolved to a tarball of `{named}`"))
                    .evidence("resolved", url)
                    .evidence("package in URL", named),
            );
        }
    }
}

/// A path dependency on one of the lockfile's own workspace members.
fn is_member(inventory: &Inventory, p: &Package, path: &str) -> bool {
    let clean = |s: &str| s.trim_start_matches("./").trim_end_matches('/').to_owned();
    let path = clean(path);
    inventory.roots.iter().any(|r| r.lockfile == p.lockfile && clean(&r.path) == path)
}

fn is_workspace_link(p: &Package, extractor: &str) -> bool {
    p.direct && extractor.starts_with("npm/") && p.paths.iter().any(|path| !path.contains("node_modules/"))
}

/// Formats whose tools always write a hash for registry packages, so a missing one means
/// the file was edited or written by something else. requirements.txt hashes are opt-in
/// and go.sum may be absent, so those are not judged. yarn berry (any format but `1`)
/// stores only its own cache checksum, which is not an integrity hash of the tarball.
fn records_integrity(lockfile: &LockfileRef) -> bool {
    if lockfile.extractor == "npm/yarn-lock" {
        return lockfile.format_version.as_deref() == Some("1");
    }
    matches!(
        lockfile.extractor.as_str(),
        "npm/package-lock"
            | "npm/pnpm-lock"
            | "bun/lock"
            | "cargo/lock"
            | "pypi/poetry-lock"
            | "pypi/uv-lock"
            | "pypi/pipfile-lock"
            | "pypi/pdm-lock"
            | "pypi/pylock"
    )
}

fn check_integrity(
    p: &Package,
    lockfile: Option<&LockfileRef>,
    finding: &dyn Fn(&'static Signal, String) -> Finding,
    out: &mut Vec<Finding>,
) {
    if !matches!(p.source, PackageSource::Registry { .. }) || p.flags.bundled {
        return;
    }
    let label = format!("{}@{}", p.name, p.version);
    if p.hashes.is_empty() {
        if lockfile.is_some_and(records_integrity) {
            out.push(finding(&INTEGRITY_MISSING, format!("{label} has no integrity hash in the lockfile")));
        }
        return;
    }
    let strong = p.hashes.iter().any(|h| !matches!(h.algorithm, HashAlgorithm::Sha1 | HashAlgorithm::Md5));
    if !strong {
        let algorithms: Vec<String> =
            p.hashes.iter().map(|h| h.algorithm.display_name().to_owned()).collect();
        out.push(
            finding(&INTEGRITY_WEAK, format!("{label} is pinned only by {}", algorithms.join(", ")))
                .evidence("hashes", p.hashes.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")),
        );
    }
}

/// The scheme, host and path of a URL, without a URL library: lockfile URLs are plain.
#[derive(Debug, PartialEq, Eq)]
struct UrlParts<'a> {
    scheme: &'a str,
    host: &'a str,
    path: &'a str,
}

impl<'a> UrlParts<'a> {
    fn parse(url: &'a str) -> Option<UrlParts<'a>> {
        // `git+https://…`, `git+ssh://…`: the transport is the part after `+`.
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.rsplit('+').next().unwrap_or(scheme);
        let (authority, path) = rest.find(['/', '?', '#']).map_or((rest, ""), |i| (&rest[..i], &rest[i..]));
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        let host = if let Some(v6) = host_port.strip_prefix('[') {
            v6.split(']').next().unwrap_or(v6)
        } else {
            host_port.split(':').next().unwrap_or(host_port)
        };
        Some(UrlParts { scheme, host, path: path.split(['?', '#']).next().unwrap_or(path) })
    }
}

/// The package a registry download URL is for, when its layout says so.
fn url_package_name(ecosystem: Ecosystem, url: &UrlParts<'_>) -> Option<String> {
    match ecosystem {
        // npm: `/<name>/-/<file>.tgz` or `/@scope/name/-/<file>.tgz` on any registry.
        Ecosystem::Npm => {
            let (before, _) = url.path.split_once("/-/")?;
            let decoded = percent_decode(before.trim_start_matches('/'));
            let segments: Vec<&str> = decoded.split('/').collect();
            // Registries behind a path prefix: the name is the last segment, or the last
            // two when the one before is a scope.
            let name = match segments.as_slice() {
                [.., scope, last] if scope.starts_with('@') => format!("{scope}/{last}"),
                [.., last] => (*last).to_owned(),
                [] => String::new(),
            };
            (!name.is_empty()).then_some(name)
        }
        // crates.io downloads: `/crates/<name>/<name>-<version>.crate` or `/api/v1/crates/<name>/<v>/download`.
        Ecosystem::CratesIo => {
            let rest = url.path.split("/crates/").nth(1)?;
            rest.split('/').next().filter(|n| !n.is_empty()).map(str::to_owned)
        }
        // PyPI files: the distribution name is the file name up to the version.
        Ecosystem::PyPI if url.host.ends_with("pythonhosted.org") => {
            let file = url.path.rsplit('/').next()?;
            let stem = file
                .strip_suffix(".whl")
                .or_else(|| file.strip_suffix(".tar.gz"))
                .or_else(|| file.strip_suffix(".zip"))?;
            // Wheels escape `-` in names as `_`, so the first `-` ends the name; sdists may
            // keep dashes, so the name ends where the version (a digit) starts.
            let end = stem
                .match_indices('-')
                .map(|(i, _)| i)
                .find(|&i| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))?;
            Some(stem[..end].to_owned())
        }
        _ => None,
    }
}

fn percent_decode(s: &str) -> String {
    s.replace("%2f", "/").replace("%2F", "/").replace("%40", "@")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts() {
        let p = UrlParts::parse("git+ssh://git@github.com:22/a/b.git#abc").unwrap();
        assert_eq!((p.scheme, p.host, p.path), ("ssh", "github.com", "/a/b.git"));
        let p = UrlParts::parse("http://[::1]:4873/x/-/x-1.0.0.tgz?y").unwrap();
        assert_eq!((p.scheme, p.host, p.path), ("http", "::1", "/x/-/x-1.0.0.tgz"));
        assert_eq!(UrlParts::parse("file:foo"), None);
    }

    #[test]
    fn names_from_urls() {
        let name = |eco, url| url_package_name(eco, &UrlParts::parse(url).unwrap());
        assert_eq!(
            name(Ecosystem::Npm, "https://registry.npmjs.org/@babel/core/-/core-7.0.0.tgz").as_deref(),
            Some("@babel/core")
        );
        assert_eq!(
            name(Ecosystem::Npm, "https://r.example/npm/api/npm/registry/lodash/-/lodash-4.0.0.tgz")
                .as_deref(),
            Some("lodash")
        );
        assert_eq!(
            name(Ecosystem::Npm, "https://r.example/prefix/@types%2fnode/-/node-1.0.0.tgz").as_deref(),
            Some("@types/node")
        );
        assert_eq!(
            name(Ecosystem::CratesIo, "https://static.crates.io/crates/serde/serde-1.0.0.crate").as_deref(),
            Some("serde")
        );
        assert_eq!(
            name(
                Ecosystem::PyPI,
                "https://files.pythonhosted.org/packages/aa/bb/charset_normalizer-3.3.2-py3-none-any.whl"
            )
            .as_deref(),
            Some("charset_normalizer")
        );
        assert_eq!(
            name(Ecosystem::PyPI, "https://files.pythonhosted.org/packages/x/zope.interface-6.0.tar.gz")
                .as_deref(),
            Some("zope.interface")
        );
    }
}

use std::fmt;

use crate::{Ecosystem, PurlError, normalize_name};

/// A package URL (<https://github.com/package-url/purl-spec>), kept as its canonical string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl(String);

impl Purl {
    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Builds the purl of a package version, applying each type's rules from the purl spec:
/// npm scopes become the namespace (`pkg:npm/%40babel/core@7.0.0`), PyPI names are
/// PEP 503-normalised, Go module paths split at the last `/` into namespace and name.
pub fn purl_for(ecosystem: Ecosystem, name: &str, version: &str) -> Result<Purl, PurlError> {
    let fail = |reason: &str| PurlError { ecosystem, name: name.to_owned(), reason: reason.to_owned() };
    if name.is_empty() {
        return Err(fail("the name is empty"));
    }
    let (namespace, short) = match ecosystem {
        Ecosystem::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, rest)) => (Some(format!("@{scope}")), rest.to_owned()),
            None => (None, name.to_owned()),
        },
        Ecosystem::PyPI => (None, normalize_name(ecosystem, name)),
        Ecosystem::CratesIo => (None, name.to_owned()),
        Ecosystem::Go => match name.rsplit_once('/') {
            Some((ns, n)) => (Some(ns.to_owned()), n.to_owned()),
            None => (None, name.to_owned()),
        },
    };
    if short.is_empty() {
        return Err(fail("the name has an empty last segment"));
    }
    let mut purl = packageurl::PackageUrl::new(ecosystem.purl_type(), short.as_str())
        .map_err(|e| fail(&e.to_string()))?;
    if let Some(ns) = &namespace {
        purl.with_namespace(ns.as_str()).map_err(|e| fail(&e.to_string()))?;
    }
    if !version.is_empty() {
        purl.with_version(version).map_err(|e| fail(&e.to_string()))?;
    }
    Ok(Purl(purl.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls() {
        assert_eq!(
            purl_for(Ecosystem::Npm, "@babel/core", "7.0.0").unwrap().as_str(),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(purl_for(Ecosystem::Npm, "axios", "1.14.1").unwrap().as_str(), "pkg:npm/axios@1.14.1");
        assert_eq!(
            purl_for(Ecosystem::PyPI, "Zope.Interface", "5.0").unwrap().as_str(),
            "pkg:pypi/zope-interface@5.0"
        );
        assert_eq!(
            purl_for(Ecosystem::CratesIo, "serde_json", "1.0.0").unwrap().as_str(),
            "pkg:cargo/serde_json@1.0.0"
        );
        assert_eq!(
            purl_for(Ecosystem::Go, "github.com/gorilla/mux", "v1.8.0").unwrap().as_str(),
            "pkg:golang/github.com/gorilla/mux@v1.8.0"
        );
        assert!(purl_for(Ecosystem::Npm, "", "1").is_err());
    }
}

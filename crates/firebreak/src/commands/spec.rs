//! `check` arguments: `axios@1.14.1`, `@scope/name@1.0.0`, `pypi:requests@2.31.0`,
//! `cargo:serde@1.0.0`, or a purl (`pkg:npm/axios@1.14.1`). The version may be left out
//! (`axios`): the registry's latest release is checked.

use std::str::FromStr;

use firebreak_core::Ecosystem;

/// A package (and maybe version) named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    pub(crate) ecosystem: Ecosystem,
    pub(crate) name: String,
    pub(crate) version: Option<String>,
}

pub(crate) fn parse(input: &str) -> Result<Spec, String> {
    let text = input.trim();
    if text.starts_with("pkg:") {
        return purl(text);
    }
    let (ecosystem, rest) = match text.split_once(':') {
        Some((prefix, rest)) if !prefix.starts_with('@') => {
            let eco = Ecosystem::from_str(prefix).map_err(|_| {
                format!(
                    "unknown ecosystem prefix `{prefix}:` in `{input}`: expected `npm:`, `pypi:` or `cargo:`"
                )
            })?;
            (eco, rest)
        }
        _ => (Ecosystem::Npm, text),
    };
    if ecosystem == Ecosystem::Go {
        return Err(format!("`{input}`: Go modules have no registry signals to check"));
    }
    // The first `@` of an npm scope belongs to the name.
    let split = rest.char_indices().skip(1).find(|&(_, c)| c == '@').map(|(i, _)| i);
    let (name, version) = match split {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    // PyPI users write `requests==2.31.0`.
    let (name, version) = match (ecosystem, version, name.split_once("==")) {
        (Ecosystem::PyPI, None, Some((n, v))) => (n, Some(v)),
        _ => (name, version),
    };
    let valid_name = !name.is_empty()
        && (!name.starts_with('@')
            || name.split_once('/').is_some_and(|(s, n)| s.len() > 1 && !n.is_empty()))
        && !name.chars().any(|c| c.is_whitespace() || c == '@' && !name.starts_with('@'));
    if !valid_name {
        return Err(format!(
            "expected `name@version` (`axios@1.14.1`, `@scope/name@1.0.0`, `pypi:requests@2.31.0`, \
             `cargo:serde@1.0.0`) or a purl, found `{input}`"
        ));
    }
    let version = match version.map(str::trim) {
        Some("") => return Err(format!("`{input}`: the version after `@` is empty")),
        Some(v) => Some(v.to_owned()),
        None => None,
    };
    Ok(Spec { ecosystem, name: name.to_owned(), version })
}

fn purl(text: &str) -> Result<Spec, String> {
    let p = packageurl::PackageUrl::from_str(text).map_err(|e| format!("`{text}`: not a valid purl: {e}"))?;
    let ecosystem = match p.ty() {
        "npm" => Ecosystem::Npm,
        "pypi" => Ecosystem::PyPI,
        "cargo" => Ecosystem::CratesIo,
        other => {
            return Err(format!("`{text}`: purl type `{other}` has no registry signals (npm, pypi, cargo)"));
        }
    };
    let name = match p.namespace() {
        Some(ns) if ecosystem == Ecosystem::Npm => format!("{ns}/{}", p.name()),
        _ => p.name().to_owned(),
    };
    Ok(Spec { ecosystem, name, version: p.version().map(str::to_owned) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> (Ecosystem, String, Option<String>) {
        let spec = parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (spec.ecosystem, spec.name, spec.version)
    }

    #[test]
    fn forms() {
        assert_eq!(ok("axios@1.14.1"), (Ecosystem::Npm, "axios".into(), Some("1.14.1".into())));
        assert_eq!(ok("@scope/pkg@1.0.0"), (Ecosystem::Npm, "@scope/pkg".into(), Some("1.0.0".into())));
        assert_eq!(ok("@scope/pkg"), (Ecosystem::Npm, "@scope/pkg".into(), None));
        assert_eq!(ok("npm:axios"), (Ecosystem::Npm, "axios".into(), None));
        assert_eq!(ok("pypi:requests@2.31.0"), (Ecosystem::PyPI, "requests".into(), Some("2.31.0".into())));
        assert_eq!(ok("pypi:requests==2.31.0"), (Ecosystem::PyPI, "requests".into(), Some("2.31.0".into())));
        assert_eq!(ok("cargo:serde@1.0.0"), (Ecosystem::CratesIo, "serde".into(), Some("1.0.0".into())));
        assert_eq!(
            ok("pkg:npm/%40scope/pkg@1.0.0"),
            (Ecosystem::Npm, "@scope/pkg".into(), Some("1.0.0".into()))
        );
        assert_eq!(ok("pkg:cargo/serde@1.0.0"), (Ecosystem::CratesIo, "serde".into(), Some("1.0.0".into())));
        assert_eq!(ok("pkg:pypi/requests"), (Ecosystem::PyPI, "requests".into(), None));
    }

    #[test]
    fn errors_say_what_was_expected() {
        assert!(parse("rubygems:rails@7").unwrap_err().contains("unknown ecosystem prefix"));
        assert!(parse("go:golang.org/x/net@v0.1.0").unwrap_err().contains("Go modules"));
        assert!(parse("axios@").unwrap_err().contains("empty"));
        assert!(parse("@scope").unwrap_err().contains("expected `name@version`"));
        assert!(parse("pkg:gem/rails@7").unwrap_err().contains("purl type `gem`"));
        assert!(parse("").unwrap_err().contains("expected"));
    }
}

//! Helpers both readers share: typed access to the parsed tree that reports where a
//! value of the wrong shape sits, and purl decoding.

use std::str::FromStr;

use camino::Utf8Path;
use firebreak_core::Ecosystem;
use serde_json::{Map, Value};

use crate::SbomError;

/// Typed access into one document, with errors naming the file and the key path.
pub(crate) struct Doc<'p> {
    pub(crate) path: &'p Utf8Path,
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the string `{}`", s.chars().take(60).collect::<String>()),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

impl Doc<'_> {
    pub(crate) fn error(&self, pointer: String, expected: &'static str, found: &Value) -> SbomError {
        SbomError::Schema { path: self.path.to_owned(), pointer, expected, found: describe(found) }
    }

    pub(crate) fn object<'v>(
        &self,
        value: &'v Value,
        pointer: &str,
    ) -> Result<&'v Map<String, Value>, SbomError> {
        value.as_object().ok_or_else(|| self.error(pointer.to_owned(), "an object", value))
    }

    /// `object[key]` as a string; `None` when absent or null.
    pub(crate) fn str<'v>(
        &self,
        object: &'v Map<String, Value>,
        key: &str,
        pointer: &str,
    ) -> Result<Option<&'v str>, SbomError> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.error(join(pointer, key), "a string", other)),
        }
    }

    /// `object[key]` as an array; empty when absent or null.
    pub(crate) fn array<'v>(
        &self,
        object: &'v Map<String, Value>,
        key: &str,
        pointer: &str,
    ) -> Result<&'v [Value], SbomError> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.error(join(pointer, key), "an array", other)),
        }
    }
}

/// `pointer.key`, or `key` at the top.
pub(crate) fn join(pointer: &str, key: &str) -> String {
    if pointer.is_empty() { key.to_owned() } else { format!("{pointer}.{key}") }
}

/// A package named by a purl of a supported type.
pub(crate) struct PurlPackage {
    pub(crate) ecosystem: Ecosystem,
    pub(crate) name: String,
    pub(crate) version: Option<String>,
}

/// Decodes a purl into the ecosystem's own name: npm scopes and Go module paths are
/// joined back to `@scope/name` and `host/path/module`.
pub(crate) fn parse_purl(purl: &str) -> Result<PurlPackage, String> {
    let parsed = packageurl::PackageUrl::from_str(purl).map_err(|e| format!("invalid purl `{purl}`: {e}"))?;
    let ecosystem = match parsed.ty() {
        "npm" => Ecosystem::Npm,
        "pypi" => Ecosystem::PyPI,
        "cargo" => Ecosystem::CratesIo,
        "golang" => Ecosystem::Go,
        other => return Err(format!("purl type `{other}` is not supported (npm, pypi, cargo, golang)")),
    };
    let name = match (ecosystem, parsed.namespace()) {
        (Ecosystem::Npm | Ecosystem::Go, Some(ns)) if !ns.is_empty() => format!("{ns}/{}", parsed.name()),
        _ => parsed.name().to_owned(),
    };
    Ok(PurlPackage { ecosystem, name, version: parsed.version().map(str::to_owned) })
}

/// The ecosystem most packages have, for a root whose own purl does not say.
pub(crate) fn majority(ecosystems: impl Iterator<Item = Ecosystem>) -> Option<Ecosystem> {
    let mut counts = [0usize; Ecosystem::ALL.len()];
    for e in ecosystems {
        if let Some(i) = Ecosystem::ALL.iter().position(|&x| x == e) {
            counts[i] += 1;
        }
    }
    let (i, &n) = counts.iter().enumerate().max_by_key(|&(i, n)| (n, std::cmp::Reverse(i)))?;
    (n > 0).then(|| Ecosystem::ALL.get(i).copied()).flatten()
}

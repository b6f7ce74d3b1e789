//! The `[proxy]` table: what `firebreak proxy` lets through whatever the findings say, and
//! which way each rule falls when the facts it needs are missing.

use firebreak_core::{Ecosystem, normalize_name};

use crate::model::{PackageSpec, VersionRange};

/// Which way a rule goes when it cannot be evaluated (upstream down, advisory data
/// unreadable, a document without the fact the rule needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Refuse the release (the default: a gate that opens when it is blind is no gate).
    Block,
    /// Let it through, and say so.
    Allow,
}

impl Fallback {
    /// The name used in `firebreak.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::Block => "block",
            Fallback::Allow => "allow",
        }
    }
}

/// `on_unavailable`, per rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnUnavailable {
    /// The advisory database cannot be read.
    pub advisories: Fallback,
    /// A release has no publish time, so its age is unknown.
    pub release_age: Fallback,
    /// The upstream document is malformed: `allow` passes it through unfiltered.
    pub registry: Fallback,
}

impl Default for OnUnavailable {
    fn default() -> Self {
        OnUnavailable { advisories: Fallback::Block, release_age: Fallback::Block, registry: Fallback::Block }
    }
}

/// The rule names `on_unavailable` accepts as keys.
pub const ON_UNAVAILABLE_RULES: &[&str] = &["advisories", "release_age", "registry"];

/// One `[proxy] allow` entry: `name`, `@scope/*`, or `name@range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    /// What was written, for messages and the audit log.
    pub text: String,
    /// The scope (`@scope`) when the entry is `@scope/*`.
    pub scope: Option<String>,
    /// The package (and versions) otherwise.
    pub spec: Option<PackageSpec>,
}

impl AllowEntry {
    /// Parses one entry; `Err` says what was expected.
    pub fn parse(text: &str) -> Result<AllowEntry, String> {
        let t = text.trim();
        if let Some(scope) = t.strip_suffix("/*") {
            if scope.len() > 1 && scope.starts_with('@') && !scope[1..].contains(['/', '@']) {
                return Ok(AllowEntry {
                    text: t.to_owned(),
                    scope: Some(scope.to_ascii_lowercase()),
                    spec: None,
                });
            }
            return Err(format!("expected `@scope/*`, found `{t}`"));
        }
        if t.contains('*') && !t.ends_with("@*") {
            return Err(format!(
                "`*` is allowed only as `@scope/*` or as the version range `name@*`, found `{t}`"
            ));
        }
        let spec = PackageSpec::parse(t)?;
        Ok(AllowEntry { text: t.to_owned(), scope: None, spec: Some(spec) })
    }

    /// Whether the entry covers this release.
    pub fn matches(&self, ecosystem: Ecosystem, name: &str, version: &str) -> bool {
        match (&self.scope, &self.spec) {
            (Some(scope), _) => name
                .split_once('/')
                .is_some_and(|(s, rest)| !rest.is_empty() && s.eq_ignore_ascii_case(scope)),
            (None, Some(spec)) => spec.matches(ecosystem, name, version),
            (None, None) => false,
        }
    }

    /// Whether the entry covers every version of `name` (no version range).
    pub fn covers_package(&self, ecosystem: Ecosystem, name: &str) -> bool {
        match (&self.scope, &self.spec) {
            (Some(_), _) => self.matches(ecosystem, name, ""),
            (None, Some(spec)) => {
                spec.range == VersionRange { comparators: Vec::new() }
                    && normalize_name(ecosystem, &spec.name) == normalize_name(ecosystem, name)
            }
            (None, None) => false,
        }
    }
}

/// The `[proxy]` table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProxyPolicy {
    /// Releases served whatever the findings say.
    pub allow: Vec<AllowEntry>,
    /// Which way each rule falls when it cannot be evaluated.
    pub on_unavailable: OnUnavailable,
}

impl ProxyPolicy {
    /// The allow entry covering this release, if any.
    pub fn allowed(&self, ecosystem: Ecosystem, name: &str, version: &str) -> Option<&AllowEntry> {
        self.allow.iter().find(|a| a.matches(ecosystem, name, version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_entries() {
        let all = AllowEntry::parse("axios").unwrap();
        assert!(all.matches(Ecosystem::Npm, "axios", "1.14.1"));
        assert!(all.covers_package(Ecosystem::Npm, "axios"));
        assert!(!all.matches(Ecosystem::Npm, "axios-extra", "1.0.0"));
        let scope = AllowEntry::parse("@Acme/*").unwrap();
        assert!(scope.matches(Ecosystem::Npm, "@acme/widgets", "0.1.0"));
        assert!(!scope.matches(Ecosystem::Npm, "@acme-evil/widgets", "0.1.0"));
        assert!(!scope.matches(Ecosystem::Npm, "acme", "0.1.0"));
        let one = AllowEntry::parse("left-pad@1.3.0").unwrap();
        assert!(one.matches(Ecosystem::Npm, "left-pad", "1.3.0"));
        assert!(!one.matches(Ecosystem::Npm, "left-pad", "1.3.1"));
        assert!(!one.covers_package(Ecosystem::Npm, "left-pad"));
        let scoped = AllowEntry::parse("@types/node@<20").unwrap();
        assert!(scoped.matches(Ecosystem::Npm, "@types/node", "18.0.0"));
        assert!(AllowEntry::parse("foo*").is_err());
        assert!(AllowEntry::parse("@a/b/*").is_err());
        assert!(AllowEntry::parse("@").is_err());
    }
}

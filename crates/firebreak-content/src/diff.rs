//! Two releases compared: files, manifest, and the capability delta (what the new release
//! can do that the old one could not). The delta is what an attack adds: axios 1.14.1
//! changed no code, only a dependency that nothing imports.

use std::collections::{BTreeMap, BTreeSet};

use firebreak_core::Severity;
use serde::Serialize;

use crate::signals::{CAPABILITY_ADDED, PHANTOM_DEPENDENCY};
use crate::{Analysis, Capability, Hit, Manifest, PackageFile, Phase};

/// How one file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Only in the new release.
    Added,
    /// Only in the old release.
    Removed,
    /// In both, with other bytes.
    Modified,
}

/// One file that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// Path inside the package.
    pub path: String,
    /// How it changed.
    pub change: ChangeKind,
    /// Size in the old release.
    pub old_size: Option<u64>,
    /// Size in the new release.
    pub new_size: Option<u64>,
}

/// Entries of a name -> value map that differ.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MapDiff {
    /// Only in the new release.
    pub added: BTreeMap<String, String>,
    /// Only in the old release.
    pub removed: BTreeMap<String, String>,
    /// In both, old value then new.
    pub changed: BTreeMap<String, (String, String)>,
}

impl MapDiff {
    fn of(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> MapDiff {
        let mut diff = MapDiff::default();
        for (k, v) in new {
            match old.get(k) {
                None => {
                    diff.added.insert(k.clone(), v.clone());
                }
                Some(o) if o != v => {
                    diff.changed.insert(k.clone(), (o.clone(), v.clone()));
                }
                Some(_) => {}
            }
        }
        for (k, v) in old {
            if !new.contains_key(k) {
                diff.removed.insert(k.clone(), v.clone());
            }
        }
        diff
    }

    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// What changed between two releases.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diff {
    /// Files added, removed or modified, by path.
    pub files: Vec<FileChange>,
    /// Dependency changes.
    pub dependencies: MapDiff,
    /// Script changes.
    pub scripts: MapDiff,
    /// Executable (`bin`) changes.
    pub bin: MapDiff,
    /// Engine constraint changes.
    pub engines: MapDiff,
    /// Capabilities only the new release uses.
    pub capabilities_added: Vec<(Capability, Phase)>,
    /// Capabilities only the old release used.
    pub capabilities_removed: Vec<(Capability, Phase)>,
    /// Dependencies added in the new release that none of its files imports.
    pub phantom_dependencies: Vec<String>,
    /// The findings the comparison raises (`capability-added`, `phantom-dependency`).
    pub hits: Vec<Hit>,
}

/// How far apart two versions are, for weighting what appeared between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Patch,
    Minor,
    Major,
}

fn step(old: Option<&str>, new: Option<&str>) -> Step {
    let parse = |v: Option<&str>| -> Option<Vec<u64>> {
        let core = v?.split(['-', '+']).next()?;
        core.split('.').map(|p| p.parse().ok()).collect()
    };
    match (parse(old), parse(new)) {
        (Some(a), Some(b)) if a.first() != b.first() => Step::Major,
        (Some(a), Some(b)) if a.get(1) != b.get(1) => Step::Minor,
        (Some(_), Some(_)) => Step::Patch,
        _ => Step::Minor,
    }
}

/// Compares two releases' files and analyses.
pub fn diff(
    old_files: &[PackageFile<'_>],
    old: &Analysis,
    new_files: &[PackageFile<'_>],
    new: &Analysis,
) -> Diff {
    let old_by_path: BTreeMap<&str, &[u8]> = old_files.iter().map(|f| (f.path, f.data)).collect();
    let new_by_path: BTreeMap<&str, &[u8]> = new_files.iter().map(|f| (f.path, f.data)).collect();
    let mut files = Vec::new();
    for (path, data) in &new_by_path {
        match old_by_path.get(path) {
            None => files.push(FileChange {
                path: (*path).to_owned(),
                change: ChangeKind::Added,
                old_size: None,
                new_size: Some(data.len() as u64),
            }),
            Some(o) if o != data => files.push(FileChange {
                path: (*path).to_owned(),
                change: ChangeKind::Modified,
                old_size: Some(o.len() as u64),
                new_size: Some(data.len() as u64),
            }),
            Some(_) => {}
        }
    }
    for (path, data) in &old_by_path {
        if !new_by_path.contains_key(path) {
            files.push(FileChange {
                path: (*path).to_owned(),
                change: ChangeKind::Removed,
                old_size: Some(data.len() as u64),
                new_size: None,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));

    let (om, nm) = (&old.manifest, &new.manifest);
    let mut diff = Diff {
        files,
        dependencies: MapDiff::of(&om.dependencies, &nm.dependencies),
        scripts: MapDiff::of(&om.scripts, &nm.scripts),
        bin: MapDiff::of(&om.bin, &nm.bin),
        engines: MapDiff::of(&om.engines, &nm.engines),
        ..Diff::default()
    };
    diff.capabilities_added = new.capabilities.difference(&old.capabilities).copied().collect();
    diff.capabilities_removed = old.capabilities.difference(&new.capabilities).copied().collect();

    let step = step(om.version.as_deref(), nm.version.as_deref());
    let release = match step {
        Step::Patch => "a patch release",
        Step::Minor => "a minor release",
        Step::Major => "a major release",
    };
    for (capability, phase) in &diff.capabilities_added {
        // Reading an environment variable or decoding base64 is too common to report alone.
        if matches!(
            capability,
            Capability::EnvironmentRead | Capability::Decoding | Capability::HostInformation
        ) {
            continue;
        }
        let severity = match (step, phase) {
            (Step::Patch, Phase::InstallTime) => Severity::High,
            (Step::Patch, Phase::Runtime) | (Step::Minor, Phase::InstallTime) => Severity::Medium,
            _ => Severity::Low,
        };
        let evidence = new.hits.iter().find(|h| h.capability == Some(*capability) && h.phase == *phase);
        diff.hits.push(Hit {
            signal: &CAPABILITY_ADDED,
            severity,
            capability: Some(*capability),
            message: format!("{} {} appeared in {release}", phase.as_str(), capability.describe()),
            path: evidence.map_or_else(|| nm.file.clone().unwrap_or_default(), |h| h.path.clone()),
            line: evidence.map_or(0, |h| h.line),
            column: evidence.map_or(0, |h| h.column),
            snippet: evidence.map(|h| h.snippet.clone()).unwrap_or_default(),
            phase: *phase,
            rule: None,
        });
    }

    let unused: BTreeSet<String> = phantom_dependencies(new_files, nm, new).into_iter().collect();
    for name in diff.dependencies.added.keys() {
        if unused.contains(name) {
            diff.phantom_dependencies.push(name.clone());
            diff.hits.push(Hit {
                signal: &PHANTOM_DEPENDENCY,
                severity: if step == Step::Major { Severity::Medium } else { Severity::High },
                capability: None,
                message: format!(
                    "new dependency `{name}` is declared but never imported (phantom dependency)"
                ),
                path: nm.file.clone().unwrap_or_default(),
                line: 0,
                column: 0,
                snippet: String::new(),
                phase: Phase::InstallTime,
                rule: None,
            });
        }
    }
    diff
}

/// Declared dependencies that no file of the package names: not imported, not required,
/// not mentioned in a script or a string. Only for npm and crates, whose dependency names
/// are the names code imports (Python distributions are imported under other names).
pub fn phantom_dependencies(
    files: &[PackageFile<'_>],
    manifest: &Manifest,
    analysis: &Analysis,
) -> Vec<String> {
    let npm = manifest.file.as_deref() == Some("package.json");
    let cargo = manifest.file.as_deref() == Some("Cargo.toml");
    if !(npm || cargo) || analysis.code_files == 0 {
        return Vec::new();
    }
    let imported: BTreeSet<&str> = analysis.imports.iter().map(|s| package_of(s)).collect();
    let mut out = Vec::new();
    for name in manifest.dependencies.keys() {
        if name.starts_with("@types/") || imported.contains(name.as_str()) {
            continue;
        }
        let needle = if cargo { name.replace('-', "_") } else { name.clone() };
        let mentioned = files.iter().any(|f| {
            f.path != "package.json"
                && f.path != "Cargo.toml"
                && memchr::memmem::find(f.data, needle.as_bytes()).is_some()
        }) || manifest.scripts.values().any(|s| s.contains(name.as_str()));
        if !mentioned {
            out.push(name.clone());
        }
    }
    out
}

/// `lodash/fp` -> `lodash`, `@scope/pkg/sub` -> `@scope/pkg`.
fn package_of(specifier: &str) -> &str {
    let mut ends = specifier.match_indices('/').map(|(i, _)| i);
    let end = if specifier.starts_with('@') { ends.nth(1) } else { ends.next() };
    end.map_or(specifier, |e| &specifier[..e])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_of_specifiers() {
        assert_eq!(package_of("lodash/fp"), "lodash");
        assert_eq!(package_of("@scope/pkg/sub/x"), "@scope/pkg");
        assert_eq!(package_of("@scope/pkg"), "@scope/pkg");
        assert_eq!(package_of("fs"), "fs");
    }

    #[test]
    fn steps() {
        assert_eq!(step(Some("1.14.0"), Some("1.14.1")), Step::Patch);
        assert_eq!(step(Some("1.13.0"), Some("1.14.1")), Step::Minor);
        assert_eq!(step(Some("0.30.3"), Some("1.0.0")), Step::Major);
    }
}

//! Finding lockfiles in a tree.

use camino::{Utf8Path, Utf8PathBuf};

use crate::{ExtractError, Extractor, extractor_for, file_name};

/// Directories that hold installed or generated copies of dependencies, never a
/// project's own lockfile; walking them would report every dependency's own lockfile.
const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    "target",
    ".venv",
    "venv",
    ".git",
    ".hg",
    ".svn",
    ".yarn",
    ".pnpm-store",
    ".tox",
    "__pycache__",
    "bower_components",
];

/// Lockfiles of ecosystems firebreak does not read yet, reported so that nothing is
/// skipped in silence.
const FOREIGN_LOCKFILES: &[(&str, &str)] = &[
    ("Gemfile.lock", "RubyGems"),
    ("composer.lock", "Packagist"),
    ("packages.lock.json", "NuGet"),
    ("gradle.lockfile", "Maven/Gradle"),
    ("Podfile.lock", "CocoaPods"),
    ("mix.lock", "Hex"),
    ("pubspec.lock", "Pub"),
    ("Package.resolved", "SwiftPM"),
    ("conan.lock", "Conan"),
];

/// A lockfile found by [`discover`], with the extractor that reads it.
#[derive(Clone)]
pub struct Discovered {
    /// Its path.
    pub path: Utf8PathBuf,
    /// The extractor that claimed it.
    pub extractor: &'static dyn Extractor,
}

impl std::fmt::Debug for Discovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovered")
            .field("path", &self.path)
            .field("extractor", &self.extractor.id())
            .finish()
    }
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Lockfiles an extractor claims, sorted by path.
    pub lockfiles: Vec<Discovered>,
    /// Lockfiles of ecosystems firebreak does not read: (path, ecosystem).
    pub unsupported: Vec<(Utf8PathBuf, &'static str)>,
    /// Files named explicitly that no extractor claims (the caller may know them, as SBOMs).
    pub unclaimed: Vec<Utf8PathBuf>,
    /// Directories or files that could not be read.
    pub errors: Vec<ExtractError>,
}

/// Walks `root` honouring `.gitignore` (also outside a git checkout) and skipping
/// dependency directories, and returns every lockfile found. A file path is returned
/// as itself.
pub fn discover(root: &Utf8Path) -> Discovery {
    let mut found = Discovery::default();
    if root.is_file() {
        match extractor_for(root) {
            Some(extractor) => found.lockfiles.push(Discovered { path: root.to_owned(), extractor }),
            None => found.unclaimed.push(root.to_owned()),
        }
        return found;
    }
    if !root.exists() {
        found.errors.push(ExtractError::Io {
            path: root.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
        });
        return found;
    }
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && e.file_name().to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n)))
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                found.errors.push(ExtractError::Io {
                    path: root.to_owned(),
                    source: std::io::Error::other(e.to_string()),
                });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(path) = Utf8PathBuf::from_path_buf(entry.into_path()) else {
            continue;
        };
        if let Some(extractor) = extractor_for(&path) {
            found.lockfiles.push(Discovered { path, extractor });
        } else if let Some((_, eco)) = FOREIGN_LOCKFILES.iter().find(|(n, _)| *n == file_name(&path)) {
            found.unsupported.push((path, eco));
        }
    }
    found.lockfiles.sort_by(|a, b| a.path.cmp(&b.path));
    found.unsupported.sort();
    found
}

//! Lockfile discovery and extraction.
//!
//! Owns finding lockfiles in a tree ([`discover()`](discover())) and turning each one into an
//! [`Inventory`] through the [`Extractor`] registered for its format ([`EXTRACTORS`]).
//! Extractors are pure: bytes in, graph out. The only file access beyond the lockfile
//! itself goes through [`FileSystem`] (for `-r` includes, `go.sum` beside `go.mod` and
//! the like), so tests and stdin input can supply or deny it.

mod bun;
mod cargo;
mod discover;
mod error;
mod go;
mod npm;
mod pnpm;
mod python;
mod util;
mod yarn;

use camino::Utf8Path;
pub use discover::{Discovered, Discovery, discover};
pub use error::ExtractError;
use firebreak_core::Inventory;

/// Largest lockfile firebreak reads; larger files are refused before reading them, so a
/// hostile 2 GB file costs nothing. Real lockfiles of 100,000 packages stay under 100 MB.
pub const MAX_LOCKFILE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads files next to a lockfile on the extractor's behalf.
pub trait FileSystem: Sync {
    /// Reads `path` (already joined onto the lockfile's directory).
    fn read(&self, path: &Utf8Path) -> std::io::Result<Vec<u8>>;
}

/// The real file system, with the same size limit as lockfiles.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFileSystem;

impl FileSystem for RealFileSystem {
    fn read(&self, path: &Utf8Path) -> std::io::Result<Vec<u8>> {
        let meta = fs_err::metadata(path)?;
        if meta.len() > MAX_LOCKFILE_BYTES {
            return Err(std::io::Error::other(format!(
                "`{path}` is {} bytes, over the {MAX_LOCKFILE_BYTES}-byte limit",
                meta.len()
            )));
        }
        fs_err::read(path)
    }
}

/// No file access (stdin input): includes fail with a clear error.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFileSystem;

impl FileSystem for NoFileSystem {
    fn read(&self, path: &Utf8Path) -> std::io::Result<Vec<u8>> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("cannot read `{path}`: input came from stdin, which has no directory"),
        ))
    }
}

/// One lockfile's bytes and where they came from.
pub struct Source<'a> {
    /// The path to show in messages and record in the inventory.
    pub path: &'a Utf8Path,
    /// The file's contents.
    pub bytes: &'a [u8],
    /// Access to neighbouring files.
    pub files: &'a dyn FileSystem,
}

impl Source<'_> {
    /// Reads a file relative to the lockfile's directory.
    pub fn read_relative(&self, relative: &str) -> std::io::Result<Vec<u8>> {
        let dir = self.path.parent().unwrap_or(Utf8Path::new(""));
        self.files.read(&dir.join(relative))
    }
}

/// A lockfile format reader.
pub trait Extractor: Send + Sync {
    /// Stable id, `ecosystem/format` (`npm/package-lock`).
    fn id(&self) -> &'static str;
    /// Whether this extractor reads the file at `path`, judged by the path alone.
    fn matches(&self, path: &Utf8Path) -> bool;
    /// Reads the lockfile into an inventory.
    fn extract(&self, source: &Source<'_>) -> Result<Inventory, ExtractError>;
}

/// Every extractor, in the order they are tried.
pub static EXTRACTORS: &[&dyn Extractor] = &[
    &npm::PackageLock,
    &yarn::YarnLock,
    &pnpm::PnpmLock,
    &bun::BunLock,
    &bun::BunLockb,
    &cargo::CargoLock,
    &python::requirements::Requirements,
    &python::poetry::PoetryLock,
    &python::uv::UvLock,
    &python::pipfile::PipfileLock,
    &python::pdm::PdmLock,
    &python::pylock::PyLock,
    &go::GoMod,
];

/// The extractor for `path`, if any format claims it.
pub fn extractor_for(path: &Utf8Path) -> Option<&'static dyn Extractor> {
    EXTRACTORS.iter().copied().find(|e| e.matches(path))
}

/// The extractor named by a `--format-hint`: an extractor id (`npm/package-lock`) or a
/// lockfile name (`package-lock.json`).
pub fn extractor_by_hint(hint: &str) -> Option<&'static dyn Extractor> {
    EXTRACTORS.iter().copied().find(|e| e.id() == hint).or_else(|| extractor_for(Utf8Path::new(hint)))
}

/// Reads and extracts one lockfile from disk.
pub fn read_lockfile(path: &Utf8Path) -> Result<Inventory, ExtractError> {
    let extractor =
        extractor_for(path).ok_or_else(|| ExtractError::UnknownFormat { path: path.to_owned() })?;
    let bytes = read_bounded(path)?;
    extractor.extract(&Source { path, bytes: &bytes, files: &RealFileSystem })
}

/// Reads a file, refusing anything over [`MAX_LOCKFILE_BYTES`] before reading it.
pub fn read_bounded(path: &Utf8Path) -> Result<Vec<u8>, ExtractError> {
    let io = |source| ExtractError::Io { path: path.to_owned(), source };
    let meta = fs_err::metadata(path).map_err(io)?;
    if meta.len() > MAX_LOCKFILE_BYTES {
        return Err(ExtractError::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit: MAX_LOCKFILE_BYTES,
        });
    }
    fs_err::read(path).map_err(io)
}

/// Path helper for extractors and callers.
pub fn file_name(path: &Utf8Path) -> &str {
    path.file_name().unwrap_or(path.as_str())
}

//! Reads package archives (npm tarballs, PyPI sdists and wheels, crates.io `.crate`
//! files) from memory into `(path, bytes)` pairs for the content analyzers, and checks
//! an archive's bytes against the digest its registry published.
//!
//! Package archives are hostile input. This crate never writes to the filesystem, never
//! follows or creates links and never runs anything; it reads under hard [`Limits`]
//! (uncompressed total, entry count, file size, compression ratio) that stop reading the
//! moment one is crossed, and it never allocates a size an archive declares before the
//! bytes are there. Entries that are not plain files or whose names could escape the
//! package root are not errors but [`Skipped`] entries, because analyzers report them:
//! a symlink or a `../` name in a package is a finding of its own.
//!
//! ```no_run
//! use firebreak_archive::{Integrity, Limits, detect_kind, read_archive, verify_integrity};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let bytes = fs_err::read("is-number-7.0.0.tgz")?;
//! // Integrity first: a mismatch is a finding, and those bytes are not the package.
//! let published = "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==";
//! if let Integrity::Mismatch { expected, actual } = verify_integrity(&bytes, published) {
//!     return Err(format!("integrity-mismatch: expected {expected}, got {actual}").into());
//! }
//! let kind = detect_kind("is-number-7.0.0.tgz", &bytes).ok_or("not a package archive")?;
//! let archive = read_archive("is-number@7.0.0", &bytes, kind, &Limits::default())?;
//! for file in &archive.files {
//!     let _ = (&file.path, &file.data); // "package.json", "index.js", …
//! }
//! for skipped in &archive.skipped {
//!     let _ = (&skipped.path, skipped.reason.id()); // "symlink", "unsafe-path", …
//! }
//! # Ok(())
//! # }
//! ```

mod detect;
mod error;
mod integrity;
mod limits;
mod path;
mod tar_reader;
mod zip_reader;

use std::collections::HashMap;
use std::fmt;

pub use detect::detect_kind;
pub use error::ArchiveError;
pub use integrity::{Integrity, digest, verify_hashes, verify_integrity};
pub use limits::{LimitKind, Limits};
pub use path::PathIssue;

use limits::Budget;

/// The kinds of package archive, each with its own layout and root-prefix rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveKind {
    /// An npm `.tgz`: gzip'd tar whose first path component (usually `package/`) is
    /// dropped from every entry, as npm's extractor does (`strip: 1`).
    NpmTarball,
    /// A PyPI source distribution as `.tar.gz`; the `name-version/` directory is dropped
    /// when every entry is under one top-level directory, as pip does.
    SdistTarGz,
    /// A PyPI source distribution as `.zip`; root rule as for [`ArchiveKind::SdistTarGz`].
    SdistZip,
    /// A PyPI wheel (`.whl`, a zip): paths are kept as they are.
    Wheel,
    /// A crates.io `.crate` (gzip'd tar): everything lives under `name-version/`, taken
    /// from the first entry; entries outside it are skipped (Cargo refuses them).
    Crate,
}

impl ArchiveKind {
    /// A stable kebab-case id.
    pub fn id(self) -> &'static str {
        match self {
            ArchiveKind::NpmTarball => "npm-tarball",
            ArchiveKind::SdistTarGz => "sdist-tar-gz",
            ArchiveKind::SdistZip => "sdist-zip",
            ArchiveKind::Wheel => "wheel",
            ArchiveKind::Crate => "crate",
        }
    }

    fn is_zip(self) -> bool {
        matches!(self, ArchiveKind::SdistZip | ArchiveKind::Wheel)
    }
}

impl fmt::Display for ArchiveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArchiveKind::NpmTarball => "npm tarball (gzip'd tar)",
            ArchiveKind::SdistTarGz => "source distribution (gzip'd tar)",
            ArchiveKind::SdistZip => "source distribution (zip)",
            ArchiveKind::Wheel => "wheel (zip)",
            ArchiveKind::Crate => "crate (gzip'd tar)",
        })
    }
}

/// The files of one archive, and what was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// The kind it was read as.
    pub kind: ArchiveKind,
    /// Regular files in archive order, paths normalised with the root prefix removed.
    /// Each path appears once: a later entry with the same path replaces an earlier one
    /// (as extraction would), and the earlier one is listed in `skipped`.
    pub files: Vec<ArchiveFile>,
    /// Entries not returned as files, with the reason.
    pub skipped: Vec<Skipped>,
    /// The top-level directory removed from the paths (`package`, `six-1.16.0`), if any.
    pub root: Option<String>,
    /// Entries read, of every kind (directories, links and pax global headers included).
    pub entries: u64,
    /// Size of the archive as given.
    pub compressed_size: u64,
    /// Uncompressed bytes read (file data, skipped data and tar headers).
    pub uncompressed_size: u64,
}

impl Archive {
    /// The file at a normalised path.
    pub fn file(&self, path: &str) -> Option<&ArchiveFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// Total bytes of the files returned.
    pub fn files_size(&self) -> u64 {
        self.files.iter().map(|f| f.data.len() as u64).sum()
    }
}

/// One regular file.
#[derive(Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    /// Normalised, `/`-separated, relative, root prefix removed (`lib/index.js`).
    pub path: String,
    /// The content.
    pub data: Vec<u8>,
    /// Any execute bit set in the archived mode.
    pub executable: bool,
}

impl fmt::Debug for ArchiveFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The content would drown every assertion message that prints a file.
        f.debug_struct("ArchiveFile")
            .field("path", &self.path)
            .field("len", &self.data.len())
            .field("executable", &self.executable)
            .finish()
    }
}

/// An entry that is not among [`Archive::files`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry's name as the archive gives it (lossy UTF-8, NUL as `\0`), before
    /// normalisation, so that a hostile name is reported as it was written.
    pub path: String,
    /// Why it was left out.
    pub reason: SkipReason,
}

/// Why an entry was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// A symbolic link; never followed.
    Symlink {
        /// Where it points, as written.
        target: String,
    },
    /// A hard link; never followed.
    Hardlink {
        /// The entry it points to, as written.
        target: String,
    },
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A named pipe.
    Fifo,
    /// A socket (zip entries with a Unix mode can claim one).
    Socket,
    /// A GNU sparse file: its holes would expand without reading input.
    Sparse,
    /// A tar entry type this reader does not know (the type byte).
    OtherType(u8),
    /// The name could escape the package root or is not a usable path.
    UnsafePath(PathIssue),
    /// A file outside the package root (npm and crate layouts).
    OutsideRoot,
    /// A file over [`Limits::max_file_size`].
    Oversize {
        /// Its size: the declared one, or the bytes read when reading stopped at the limit.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// An earlier entry with the same path as a later one, which replaces it.
    Duplicate,
    /// A zip entry that needs a password.
    Encrypted,
    /// A zip entry compressed with a method this reader does not support.
    UnsupportedCompression(u16),
}

impl SkipReason {
    /// A stable kebab-case id for reports.
    pub fn id(&self) -> &'static str {
        match self {
            SkipReason::Symlink { .. } => "symlink",
            SkipReason::Hardlink { .. } => "hardlink",
            SkipReason::CharDevice => "char-device",
            SkipReason::BlockDevice => "block-device",
            SkipReason::Fifo => "fifo",
            SkipReason::Socket => "socket",
            SkipReason::Sparse => "sparse",
            SkipReason::OtherType(_) => "other-type",
            SkipReason::UnsafePath(_) => "unsafe-path",
            SkipReason::OutsideRoot => "outside-root",
            SkipReason::Oversize { .. } => "oversize",
            SkipReason::Duplicate => "duplicate",
            SkipReason::Encrypted => "encrypted",
            SkipReason::UnsupportedCompression(_) => "unsupported-compression",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Symlink { target } => write!(f, "symbolic link to `{target}`"),
            SkipReason::Hardlink { target } => write!(f, "hard link to `{target}`"),
            SkipReason::CharDevice => f.write_str("character device"),
            SkipReason::BlockDevice => f.write_str("block device"),
            SkipReason::Fifo => f.write_str("named pipe"),
            SkipReason::Socket => f.write_str("socket"),
            SkipReason::Sparse => f.write_str("sparse file"),
            SkipReason::OtherType(t) => write!(f, "unknown tar entry type `{}`", t.escape_ascii()),
            SkipReason::UnsafePath(issue) => write!(f, "unsafe path: {issue}"),
            SkipReason::OutsideRoot => f.write_str("outside the package root"),
            SkipReason::Oversize { size, limit } => {
                write!(f, "{size} bytes, over the file size limit of {limit}")
            }
            SkipReason::Duplicate => f.write_str("replaced by a later entry with the same path"),
            SkipReason::Encrypted => f.write_str("encrypted"),
            SkipReason::UnsupportedCompression(m) => write!(f, "unsupported compression method {m}"),
        }
    }
}

/// Reads every entry of `bytes` as an archive of `kind`. `display_name` (a file name or
/// `name@version`) only names the archive in errors.
///
/// Fails on a corrupt or truncated stream, on an archive without entries, and when a
/// total, entry-count or ratio limit is crossed; single bad entries are skipped and listed.
pub fn read_archive(
    display_name: &str,
    bytes: &[u8],
    kind: ArchiveKind,
    limits: &Limits,
) -> Result<Archive, ArchiveError> {
    let budget = Budget::new(limits, bytes.len() as u64);
    let mut collector = Collector::new(display_name, kind, limits);
    if kind.is_zip() {
        zip_reader::read(&mut collector, bytes, &budget)?;
    } else {
        tar_reader::read(&mut collector, bytes, &budget)?;
    }
    if collector.entries == 0 {
        return Err(ArchiveError::Empty { archive: display_name.to_owned() });
    }
    Ok(collector.finish(bytes.len() as u64, budget.used()))
}

/// A file read but not yet placed under the root rule.
struct Pending {
    name: String,
    path: String,
    data: Vec<u8>,
    executable: bool,
}

/// What the format readers share: entry counting, path checks, the root rule and
/// duplicate handling.
pub(crate) struct Collector<'a> {
    archive: &'a str,
    kind: ArchiveKind,
    limits: &'a Limits,
    entries: u64,
    pending: Vec<Pending>,
    skipped: Vec<Skipped>,
    /// The first component of the first entry with a usable path.
    first_root: Option<String>,
    /// Whether every usable path so far starts with `first_root`.
    single_root: bool,
}

impl<'a> Collector<'a> {
    fn new(archive: &'a str, kind: ArchiveKind, limits: &'a Limits) -> Self {
        Collector {
            archive,
            kind,
            limits,
            entries: 0,
            pending: Vec::new(),
            skipped: Vec::new(),
            first_root: None,
            single_root: true,
        }
    }

    pub(crate) fn archive(&self) -> &str {
        self.archive
    }

    pub(crate) fn limits(&self) -> &Limits {
        self.limits
    }

    /// Counts one entry; fatal past [`Limits::max_entries`].
    pub(crate) fn count_entry(&mut self, name: &str) -> Result<(), ArchiveError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(ArchiveError::Limit {
                archive: self.archive.to_owned(),
                limit: LimitKind::Entries,
                max: self.limits.max_entries,
                entry: Some(name.to_owned()),
            });
        }
        Ok(())
    }

    /// Checks an entry's name: the normalised path, or the entry is recorded as skipped.
    /// Every usable path takes part in the root rule, whatever its type.
    pub(crate) fn check_path(&mut self, raw: &[u8], name: &str) -> Option<String> {
        match path::normalise(raw) {
            Ok(path) => {
                let first = path::split_first(&path).0;
                match &self.first_root {
                    None => self.first_root = Some(first.to_owned()),
                    Some(root) if root != first => self.single_root = false,
                    Some(_) => {}
                }
                Some(path)
            }
            // `./` and the like name the root itself: nothing to report.
            Err(PathIssue::Empty) => None,
            Err(issue) => {
                self.skip(name, SkipReason::UnsafePath(issue));
                None
            }
        }
    }

    pub(crate) fn skip(&mut self, name: &str, reason: SkipReason) {
        self.skipped.push(Skipped { path: name.to_owned(), reason });
    }

    pub(crate) fn add_file(&mut self, name: String, path: String, data: Vec<u8>, executable: bool) {
        self.pending.push(Pending { name, path, data, executable });
    }

    fn finish(self, compressed_size: u64, uncompressed_size: u64) -> Archive {
        let root = match self.kind {
            ArchiveKind::Wheel => None,
            // Cargo wants every entry under the first one's directory.
            ArchiveKind::Crate => self.first_root,
            // npm strips one component whatever it is; a root is reported only when
            // there is one. pip strips the leading directory only when all share it.
            ArchiveKind::NpmTarball | ArchiveKind::SdistTarGz | ArchiveKind::SdistZip => {
                self.first_root.filter(|_| self.single_root)
            }
        };
        let mut skipped = self.skipped;
        let mut files: Vec<ArchiveFile> = Vec::with_capacity(self.pending.len());
        let mut names: Vec<String> = Vec::with_capacity(self.pending.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(self.pending.len());
        for pending in self.pending {
            let (first, rest) = path::split_first(&pending.path);
            let stripped = match self.kind {
                ArchiveKind::Wheel => Some(pending.path.as_str()),
                // npm drops the first component whatever it is, so tarballs whose
                // directory is not `package/` install the same way.
                ArchiveKind::NpmTarball => Some(rest),
                ArchiveKind::Crate => (Some(first) == root.as_deref()).then_some(rest),
                ArchiveKind::SdistTarGz | ArchiveKind::SdistZip => {
                    if root.is_some() {
                        Some(rest)
                    } else {
                        Some(pending.path.as_str())
                    }
                }
            };
            let Some(stripped) = stripped.filter(|p| !p.is_empty()) else {
                skipped.push(Skipped { path: pending.name, reason: SkipReason::OutsideRoot });
                continue;
            };
            let file =
                ArchiveFile { path: stripped.to_owned(), data: pending.data, executable: pending.executable };
            match index.get(stripped) {
                Some(&i) => {
                    if let (Some(old), Some(old_name)) = (files.get_mut(i), names.get_mut(i)) {
                        *old = file;
                        let earlier = std::mem::replace(old_name, pending.name);
                        skipped.push(Skipped { path: earlier, reason: SkipReason::Duplicate });
                    }
                }
                None => {
                    index.insert(file.path.clone(), files.len());
                    files.push(file);
                    names.push(pending.name);
                }
            }
        }
        Archive {
            kind: self.kind,
            files,
            skipped,
            root,
            entries: self.entries,
            compressed_size,
            uncompressed_size,
        }
    }
}

//! Gzip'd (or plain) tar: npm tarballs, `.tar.gz` sdists and `.crate` files.

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;
use tar::EntryType;

use crate::limits::{Budget, Metered};
use crate::path::display_name;
use crate::{ArchiveError, Collector, SkipReason};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// First allocation for a file's content; it grows as bytes arrive.
pub(crate) const INITIAL_CAPACITY: u64 = 1 << 20;

/// What stopped the walk over the entries.
enum Stop {
    /// An I/O error from the tar reader: its cause is sorted out afterwards.
    Io(io::Error),
    /// An error already classified.
    Fatal(ArchiveError),
}

pub(crate) fn read(c: &mut Collector<'_>, bytes: &[u8], budget: &Budget) -> Result<(), ArchiveError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        // Every member: installers read concatenated members, so a scanner that stopped at
        // the first would miss what they install.
        read_tar(c, Metered::new(MultiGzDecoder::new(bytes), budget), budget)
    } else if bytes.get(257..262) == Some(b"ustar") {
        read_tar(c, Metered::new(bytes, budget), budget)
    } else {
        Err(ArchiveError::Format {
            archive: c.archive().to_owned(),
            expected: c.kind,
            found: crate::detect::describe(bytes),
        })
    }
}

fn read_tar<R: Read>(
    c: &mut Collector<'_>,
    reader: Metered<'_, R>,
    budget: &Budget,
) -> Result<(), ArchiveError> {
    let mut archive = tar::Archive::new(reader);
    let mut last_entry = None;
    let walked = walk(c, &mut archive, budget, &mut last_entry);
    let mut reader = archive.into_inner();
    let result = match walked {
        Ok(()) => {
            // Read the rest of the stream (end-of-archive blocks, padding, trailer) so that
            // the gzip checksum is verified and trailing members cannot hide anything.
            io::copy(&mut reader, &mut io::sink()).map(drop).map_err(Stop::Io)
        }
        Err(stop) => Err(stop),
    };
    match result {
        Ok(()) => Ok(()),
        Err(Stop::Fatal(e)) => Err(e),
        Err(Stop::Io(error)) => Err(classify(c, budget, reader.inner_error(), error, last_entry)),
    }
}

/// Turns an I/O error of the tar reader into the failure behind it: a crossed limit, a
/// corrupt gzip stream, or a corrupt tar stream.
fn classify(
    c: &Collector<'_>,
    budget: &Budget,
    inner: Option<&(io::ErrorKind, String)>,
    error: io::Error,
    entry: Option<String>,
) -> ArchiveError {
    let archive = c.archive().to_owned();
    if let Some(exceeded) = budget.tripped() {
        return ArchiveError::Limit { archive, limit: exceeded.limit, max: exceeded.max, entry };
    }
    if let Some((kind, message)) = inner {
        return ArchiveError::Gzip {
            archive,
            uncompressed: budget.used(),
            message: message.clone(),
            kind: *kind,
        };
    }
    let message = if error.kind() == io::ErrorKind::UnexpectedEof {
        format!("the stream ends inside an entry ({error})")
    } else {
        error.to_string()
    };
    ArchiveError::Tar { archive, offset: budget.used(), entry, message }
}

fn walk<R: Read>(
    c: &mut Collector<'_>,
    archive: &mut tar::Archive<Metered<'_, R>>,
    budget: &Budget,
    last_entry: &mut Option<String>,
) -> Result<(), Stop> {
    let max_file = c.limits().max_file_size;
    for entry in archive.entries().map_err(Stop::Io)? {
        let mut entry = entry.map_err(Stop::Io)?;
        let raw = entry.path_bytes().into_owned();
        let name = display_name(&raw);
        *last_entry = Some(name.clone());
        c.count_entry(&name).map_err(Stop::Fatal)?;
        let entry_type = entry.header().entry_type();
        // A pax global header is metadata for the whole archive, not a member (it is
        // still counted, so that a stream of them cannot run unbounded).
        if entry_type == EntryType::XGlobalHeader {
            continue;
        }
        let Some(path) = c.check_path(&raw, &name) else { continue };
        let link_target = || entry.link_name_bytes().map(|t| display_name(&t)).unwrap_or_default();
        let reason = match entry_type {
            EntryType::Regular | EntryType::Continuous => None,
            EntryType::Directory => continue,
            EntryType::Symlink => Some(SkipReason::Symlink { target: link_target() }),
            EntryType::Link => Some(SkipReason::Hardlink { target: link_target() }),
            EntryType::Char => Some(SkipReason::CharDevice),
            EntryType::Block => Some(SkipReason::BlockDevice),
            EntryType::Fifo => Some(SkipReason::Fifo),
            EntryType::GNUSparse => Some(SkipReason::Sparse),
            other => Some(SkipReason::OtherType(other.as_byte())),
        };
        if let Some(reason) = reason {
            c.skip(&name, reason);
            continue;
        }
        // Old (pre-POSIX) tar marks a directory only by a trailing slash.
        if raw.ends_with(b"/") && entry.size() == 0 {
            continue;
        }
        let size = entry.size();
        // Skipping an entry still reads its data, so one that cannot fit in what is left
        // of the total is a bomb whether or not it would be kept.
        if let Err(exceeded) = budget.check(size) {
            return Err(Stop::Fatal(ArchiveError::Limit {
                archive: c.archive().to_owned(),
                limit: exceeded.limit,
                max: exceeded.max,
                entry: Some(name),
            }));
        }
        if size > max_file {
            // Not kept: the tar reader skips its data, which counts against the total.
            c.skip(&name, SkipReason::Oversize { size, limit: max_file });
            continue;
        }
        let mut data = Vec::with_capacity(size.min(INITIAL_CAPACITY) as usize);
        (&mut entry).take(size).read_to_end(&mut data).map_err(Stop::Io)?;
        if data.len() as u64 != size {
            return Err(Stop::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("entry `{name}` declares {size} bytes but only {} are present", data.len()),
            )));
        }
        data.shrink_to_fit();
        let executable = entry.header().mode().is_ok_and(|mode| mode & 0o111 != 0);
        c.add_file(name, path, data, executable);
    }
    Ok(())
}

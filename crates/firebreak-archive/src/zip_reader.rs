//! Zip: wheels and `.zip` sdists.

use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use crate::limits::{Budget, Metered};
use crate::path::display_name;
use crate::tar_reader::INITIAL_CAPACITY;
use crate::{ArchiveError, Collector, LimitKind, SkipReason};

const ZIP_MAGIC: &[u8] = b"PK";
/// Reads at most this much of a link target: it is only reported.
const MAX_LINK_TARGET: u64 = 4096;

// Unix file types in the high bits of a zip entry's external attributes.
const S_IFMT: u32 = 0o170_000;
const S_IFSOCK: u32 = 0o140_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFREG: u32 = 0o100_000;
const S_IFBLK: u32 = 0o060_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFCHR: u32 = 0o020_000;
const S_IFIFO: u32 = 0o010_000;

pub(crate) fn read(c: &mut Collector<'_>, bytes: &[u8], budget: &Budget) -> Result<(), ArchiveError> {
    if !bytes.starts_with(ZIP_MAGIC) {
        return Err(ArchiveError::Format {
            archive: c.archive().to_owned(),
            expected: c.kind,
            found: crate::detect::describe(bytes),
        });
    }
    let zip_error = |c: &Collector<'_>, entry: Option<String>, source| ArchiveError::Zip {
        archive: c.archive().to_owned(),
        entry,
        source,
    };
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(c, None, e))?;
    let max_entries = c.limits().max_entries;
    if zip.len() as u64 > max_entries {
        return Err(ArchiveError::Limit {
            archive: c.archive().to_owned(),
            limit: LimitKind::Entries,
            max: max_entries,
            entry: None,
        });
    }
    // The zip reader keys entries by name, keeping the last of each: the earlier ones
    // (which `zipfile` would extract, then overwrite) are reported as replaced.
    for name in duplicate_names(bytes, max_entries) {
        c.count_entry(&name)?;
        c.skip(&name, SkipReason::Duplicate);
    }
    let max_file = c.limits().max_file_size;
    for index in 0..zip.len() {
        // Metadata first, from the raw entry: nothing is decompressed or decrypted yet.
        let (raw, mode, size, encrypted) = {
            let name = zip.name_for_index(index).map(str::to_owned);
            let entry = zip.by_index_raw(index).map_err(|e| zip_error(c, name, e))?;
            (entry.name_raw().to_vec(), entry.unix_mode(), entry.size(), entry.encrypted())
        };
        let name = display_name(&raw);
        c.count_entry(&name)?;
        let Some(path) = c.check_path(&raw, &name) else { continue };
        let file_type = mode.map_or(S_IFREG, |m| m & S_IFMT);
        let reason = match file_type {
            S_IFDIR => continue,
            _ if raw.ends_with(b"/") => continue,
            S_IFREG | 0 => None,
            S_IFLNK => {
                let target = match zip.by_index(index) {
                    Ok(file) => {
                        let mut target = Vec::new();
                        match Metered::new(file, budget).take(MAX_LINK_TARGET).read_to_end(&mut target) {
                            Ok(_) => display_name(&target),
                            Err(_) => String::new(),
                        }
                    }
                    Err(_) => String::new(),
                };
                Some(SkipReason::Symlink { target })
            }
            S_IFCHR => Some(SkipReason::CharDevice),
            S_IFBLK => Some(SkipReason::BlockDevice),
            S_IFIFO => Some(SkipReason::Fifo),
            S_IFSOCK => Some(SkipReason::Socket),
            other => Some(SkipReason::OtherType((other >> 12) as u8)),
        };
        if let Some(reason) = reason {
            c.skip(&name, reason);
            continue;
        }
        if encrypted {
            c.skip(&name, SkipReason::Encrypted);
            continue;
        }
        // Zip reads by offset, so an oversize entry costs nothing to leave out (big native
        // libraries in wheels are common). The declared size may lie low; reading below
        // is bounded either way, and a size that lies high only gets the entry skipped or
        // the archive refused early.
        if size > max_file {
            c.skip(&name, SkipReason::Oversize { size, limit: max_file });
            continue;
        }
        if let Err(exceeded) = budget.check(size) {
            return Err(ArchiveError::Limit {
                archive: c.archive().to_owned(),
                limit: exceeded.limit,
                max: exceeded.max,
                entry: Some(name),
            });
        }
        let file = match zip.by_index(index) {
            Ok(file) => file,
            Err(ZipError::CompressionMethodNotSupported(method)) => {
                c.skip(&name, SkipReason::UnsupportedCompression(method));
                continue;
            }
            Err(ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED)) => {
                c.skip(&name, SkipReason::Encrypted);
                continue;
            }
            Err(e) => return Err(zip_error(c, Some(name), e)),
        };
        let mut data = Vec::with_capacity(size.min(INITIAL_CAPACITY) as usize);
        let mut reader = Metered::new(file, budget).take(max_file.saturating_add(1));
        if let Err(error) = reader.read_to_end(&mut data) {
            if let Some(exceeded) = budget.tripped() {
                return Err(ArchiveError::Limit {
                    archive: c.archive().to_owned(),
                    limit: exceeded.limit,
                    max: exceeded.max,
                    entry: Some(name),
                });
            }
            return Err(zip_error(c, Some(name), ZipError::Io(error)));
        }
        if data.len() as u64 > max_file {
            c.skip(&name, SkipReason::Oversize { size: data.len() as u64, limit: max_file });
            continue;
        }
        data.shrink_to_fit();
        let executable = mode.is_some_and(|m| m & 0o111 != 0);
        c.add_file(name, path, data, executable);
    }
    Ok(())
}

/// Names that the central directory lists more than once (each once per extra listing),
/// from a walk of the directory that the end record points to. Zip64 and damaged
/// directories yield nothing here: the zip reader has already validated what it uses.
fn duplicate_names(bytes: &[u8], max_entries: u64) -> Vec<String> {
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    // The end record is in the last 22 + 65,535 (comment) bytes.
    let tail = bytes.len().saturating_sub(22 + 65_535);
    let Some(end) =
        bytes.get(tail..).and_then(|t| t.windows(4).rposition(|w| w == b"PK\x05\x06")).map(|p| p + tail)
    else {
        return Vec::new();
    };
    let (Some(count), Some(offset)) = (u16_at(end + 10), u32_at(end + 16)) else { return Vec::new() };
    if count == u16::MAX || offset == u32::MAX || u64::from(count) > max_entries {
        return Vec::new();
    }
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = Vec::new();
    let mut at = offset as usize;
    for _ in 0..count {
        if bytes.get(at..at + 4) != Some(b"PK\x01\x02") {
            return Vec::new();
        }
        let (Some(name_len), Some(extra_len), Some(comment_len)) =
            (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32))
        else {
            return Vec::new();
        };
        let start = at + 46;
        let Some(name) = bytes.get(start..start + usize::from(name_len)) else { return Vec::new() };
        if !seen.insert(name) {
            duplicates.push(display_name(name));
        }
        at = start + usize::from(name_len) + usize::from(extra_len) + usize::from(comment_len);
    }
    duplicates
}

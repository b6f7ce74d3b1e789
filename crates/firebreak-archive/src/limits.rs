//! Hard limits on what reading one archive may cost, and the meter that enforces them
//! while bytes come out of the decompressor.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};

const MIB: u64 = 1024 * 1024;

/// Limits on reading one archive. Crossing `max_total_size`, `max_entries` or
/// `max_ratio` is fatal ([`crate::ArchiveError::Limit`]); one file over
/// `max_file_size` is skipped and reported ([`crate::SkipReason::Oversize`]).
///
/// With the defaults, the file data kept is at most 256 MiB and the read holds at most
/// one more file (64 MiB) while it grows, so one package stays well under 512 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes read out of the archive, everything counted: file data, data
    /// of skipped entries, tar headers and long-name records. Default 256 MiB.
    pub max_total_size: u64,
    /// Entries of any kind (files, directories, links, pax global headers). Default 20,000.
    pub max_entries: u64,
    /// Size of one file. Default 64 MiB.
    pub max_file_size: u64,
    /// Uncompressed bytes per compressed byte of the whole archive. Default 200: source
    /// text compresses 4-10x, repetitive data files rarely beyond 100x, while deflate
    /// bombs reach 1,000x per layer.
    pub max_ratio: u64,
    /// Uncompressed bytes allowed before `max_ratio` applies, so that a tiny archive of a
    /// few repetitive files is not called a bomb. Default 4 MiB.
    pub ratio_grace: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_size: 256 * MIB,
            max_entries: 20_000,
            max_file_size: 64 * MIB,
            max_ratio: 200,
            ratio_grace: 4 * MIB,
        }
    }
}

/// Which limit was crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitKind {
    /// [`Limits::max_total_size`].
    TotalSize,
    /// [`Limits::max_entries`].
    Entries,
    /// [`Limits::max_file_size`].
    FileSize,
    /// [`Limits::max_ratio`].
    Ratio,
}

impl LimitKind {
    /// A stable kebab-case id for reports.
    pub fn id(self) -> &'static str {
        match self {
            LimitKind::TotalSize => "total-size",
            LimitKind::Entries => "entries",
            LimitKind::FileSize => "file-size",
            LimitKind::Ratio => "compression-ratio",
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::TotalSize => "total uncompressed size limit",
            LimitKind::Entries => "entry count limit",
            LimitKind::FileSize => "file size limit",
            LimitKind::Ratio => "compression ratio limit",
        })
    }
}

/// A limit that was crossed, with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exceeded {
    pub(crate) limit: LimitKind,
    pub(crate) max: u64,
}

/// Counts the uncompressed bytes of one archive against the total and ratio limits.
#[derive(Debug)]
pub(crate) struct Budget {
    total: u64,
    ratio_cap: u64,
    used: Cell<u64>,
    tripped: Cell<Option<Exceeded>>,
}

impl Budget {
    pub(crate) fn new(limits: &Limits, compressed_len: u64) -> Self {
        let ratio_cap = compressed_len.saturating_mul(limits.max_ratio).max(limits.ratio_grace);
        Budget { total: limits.max_total_size, ratio_cap, used: Cell::new(0), tripped: Cell::new(None) }
    }

    /// Bytes counted so far.
    pub(crate) fn used(&self) -> u64 {
        self.used.get()
    }

    /// The limit that stopped reading, if one did.
    pub(crate) fn tripped(&self) -> Option<Exceeded> {
        self.tripped.get()
    }

    /// Bytes that may still be read before a limit is crossed.
    pub(crate) fn remaining(&self) -> u64 {
        self.total.min(self.ratio_cap).saturating_sub(self.used.get())
    }

    /// Fails (and remembers why) when `n` more bytes would cross a limit.
    pub(crate) fn check(&self, n: u64) -> Result<(), Exceeded> {
        let after = self.used.get().saturating_add(n);
        let exceeded = if after > self.total {
            Some(Exceeded { limit: LimitKind::TotalSize, max: self.total })
        } else if after > self.ratio_cap {
            Some(Exceeded { limit: LimitKind::Ratio, max: self.ratio_cap })
        } else {
            None
        };
        match exceeded {
            Some(e) => {
                self.tripped.set(Some(e));
                Err(e)
            }
            None => Ok(()),
        }
    }

    fn charge(&self, n: u64) -> Result<(), Exceeded> {
        self.check(n)?;
        self.used.set(self.used.get().saturating_add(n));
        Ok(())
    }
}

/// A reader whose output is charged to a [`Budget`]. It asks the inner reader for no more
/// than the budget allows (one byte once it is spent), so reading stops at the limit, and it
/// remembers an error of the inner reader (the decompressor) so that the caller can tell
/// a corrupt compressed stream from a corrupt archive inside it.
pub(crate) struct Metered<'b, R> {
    inner: R,
    budget: &'b Budget,
    inner_error: Option<(io::ErrorKind, String)>,
}

impl<'b, R: Read> Metered<'b, R> {
    pub(crate) fn new(inner: R, budget: &'b Budget) -> Self {
        Metered { inner, budget, inner_error: None }
    }

    pub(crate) fn inner_error(&self) -> Option<&(io::ErrorKind, String)> {
        self.inner_error.as_ref()
    }
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Up to what is left; once nothing is, one byte tells whether the stream goes on.
        let allowed = usize::try_from(self.budget.remaining().max(1)).unwrap_or(usize::MAX);
        let end = buf.len().min(allowed);
        let n = match self.inner.read(buf.get_mut(..end).unwrap_or_default()) {
            Ok(n) => n,
            Err(e) => {
                self.inner_error = Some((e.kind(), e.to_string()));
                return Err(e);
            }
        };
        self.budget
            .charge(n as u64)
            .map_err(|e| io::Error::other(format!("{} of {} bytes crossed", e.limit, e.max)))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_stops_within_one_byte_of_the_limit() {
        let limits = Limits { max_total_size: 1000, ratio_grace: 10_000, ..Limits::default() };
        let budget = Budget::new(&limits, 10);
        let mut reader = Metered::new(io::repeat(7), &budget);
        let mut sink = Vec::new();
        let err = reader.read_to_end(&mut sink).unwrap_err();
        assert!(err.to_string().contains("total uncompressed size limit"), "{err}");
        assert_eq!(sink.len(), 1000);
        assert_eq!(budget.tripped().map(|e| e.limit), Some(LimitKind::TotalSize));
    }

    #[test]
    fn ratio_applies_after_the_grace() {
        let limits = Limits { max_ratio: 10, ratio_grace: 500, ..Limits::default() };
        assert_eq!(Budget::new(&limits, 10).remaining(), 500);
        let budget = Budget::new(&limits, 100);
        assert_eq!(budget.remaining(), 1000);
        assert_eq!(budget.check(1001).map_err(|e| e.limit), Err(LimitKind::Ratio));
    }
}

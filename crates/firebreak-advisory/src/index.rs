//! The compact form of what matching reads from a record about one package: the listed
//! `versions` and the `SEMVER`/`ECOSYSTEM` ranges of each `affected` entry naming it.
//!
//! The store keeps it next to each (ecosystem, name, record) index row, so that a scan
//! decides from the index alone which records affect a version, and inflates and parses only
//! those: on dense inventories most records naming a package do not affect the version in
//! use, and reading them whole was most of the scan's time.
//!
//! Layout (all counts and lengths LEB128): entry count, then per entry the version count and
//! each version (length, UTF-8 bytes), the range count and per range its type byte, event
//! count and each event (kind byte, length, UTF-8 bytes). Other range types (`GIT`, unknown
//! ones) are left out: matching skips them.

use crate::osv::{Affected, Event, RangeType};

/// The part of one `affected` entry that decides whether a version is affected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EntryRanges {
    /// `affected[].versions`.
    pub(crate) versions: Vec<String>,
    /// The `SEMVER` and `ECOSYSTEM` ranges, in the record's order.
    pub(crate) ranges: Vec<(RangeType, Vec<Event>)>,
}

impl EntryRanges {
    pub(crate) fn of(affected: &Affected) -> EntryRanges {
        EntryRanges {
            versions: affected.versions.clone(),
            ranges: affected
                .ranges
                .iter()
                .filter(|r| matches!(r.kind, RangeType::Semver | RangeType::Ecosystem))
                .map(|r| (r.kind, r.events.clone()))
                .collect(),
        }
    }
}

/// Encodes the entries of one record for one package.
pub(crate) fn encode(entries: &[EntryRanges]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    put_len(&mut out, entries.len());
    for entry in entries {
        put_len(&mut out, entry.versions.len());
        for v in &entry.versions {
            put_str(&mut out, v);
        }
        put_len(&mut out, entry.ranges.len());
        for (kind, events) in &entry.ranges {
            out.push(match kind {
                RangeType::Semver => 0,
                _ => 1,
            });
            put_len(&mut out, events.len());
            for event in events {
                let (tag, v) = match event {
                    Event::Introduced(v) => (0, v),
                    Event::Fixed(v) => (1, v),
                    Event::LastAffected(v) => (2, v),
                    Event::Limit(v) => (3, v),
                };
                out.push(tag);
                put_str(&mut out, v);
            }
        }
    }
    out
}

/// Decodes [`encode`]'s output; `None` if the bytes are not in that form (a damaged file).
pub(crate) fn decode(bytes: &[u8]) -> Option<Vec<EntryRanges>> {
    let mut r = Reader { bytes, pos: 0 };
    let count = r.len()?;
    // Every entry takes at least two bytes, so a count past that is damage, not a reason to
    // reserve memory.
    let mut entries = Vec::with_capacity(count.min(bytes.len() / 2));
    for _ in 0..count {
        let versions_len = r.len()?;
        let mut versions = Vec::with_capacity(versions_len.min(r.remaining()));
        for _ in 0..versions_len {
            versions.push(r.string()?);
        }
        let ranges_len = r.len()?;
        let mut ranges = Vec::with_capacity(ranges_len.min(r.remaining()));
        for _ in 0..ranges_len {
            let kind = match r.byte()? {
                0 => RangeType::Semver,
                1 => RangeType::Ecosystem,
                _ => return None,
            };
            let events_len = r.len()?;
            let mut events = Vec::with_capacity(events_len.min(r.remaining()));
            for _ in 0..events_len {
                let tag = r.byte()?;
                let v = r.string()?;
                events.push(match tag {
                    0 => Event::Introduced(v),
                    1 => Event::Fixed(v),
                    2 => Event::LastAffected(v),
                    3 => Event::Limit(v),
                    _ => return None,
                });
            }
            ranges.push((kind, events));
        }
        entries.push(EntryRanges { versions, ranges });
    }
    (r.pos == bytes.len()).then_some(entries)
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn len(&mut self) -> Option<usize> {
        let mut n: usize = 0;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            n |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn string(&mut self) -> Option<String> {
        let len = self.len()?;
        let end = self.pos.checked_add(len)?;
        let s = std::str::from_utf8(self.bytes.get(self.pos..end)?).ok()?;
        self.pos = end;
        Some(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let long = "9".repeat(300);
        let entries = vec![
            EntryRanges {
                versions: vec!["1.0.0".into(), String::new(), long.clone()],
                ranges: vec![
                    (
                        RangeType::Semver,
                        vec![
                            Event::Introduced("0".into()),
                            Event::Fixed("1.2.3".into()),
                            Event::LastAffected("é".into()),
                            Event::Limit("*".into()),
                        ],
                    ),
                    (RangeType::Ecosystem, vec![Event::Introduced(long)]),
                ],
            },
            EntryRanges::default(),
        ];
        let bytes = encode(&entries);
        assert_eq!(decode(&bytes), Some(entries.clone()));
        assert_eq!(decode(&encode(&[])), Some(Vec::new()));
        // Every truncation and a trailing byte are refused, never misread.
        for cut in 0..bytes.len() {
            assert_eq!(decode(bytes.get(..cut).unwrap_or_default()), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        // A huge count is refused without reserving memory for it.
        assert_eq!(decode(&[0xff, 0xff, 0xff, 0xff, 0x0f]), None);
        assert_eq!(decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), None);
    }
}

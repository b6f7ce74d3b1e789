//! RFC 3339 timestamps (OSV `modified`, registry publish times), ordered by the instant they name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant in UTC with nanosecond precision, parsed from an RFC 3339 timestamp.
///
/// OSV `modified` values are compared to decide which copy of a record is newer; comparing
/// the strings would put `…:01.5Z` before `…:01Z`, so they are compared as instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    seconds: i64,
    nanos: u32,
}

impl Timestamp {
    /// Builds a timestamp from seconds since the Unix epoch and a sub-second part.
    ///
    /// Returns `None` when `nanos` is a second or more.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Timestamp> {
        (nanos < 1_000_000_000).then_some(Timestamp { seconds, nanos })
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.seconds
    }

    /// The sub-second part in nanoseconds.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Whole days from `self` to `now` (negative when `now` is earlier). The caller passes
    /// `now`: this crate reads no clock.
    pub fn days_until(self, now: Timestamp) -> i64 {
        now.seconds.saturating_sub(self.seconds).div_euclid(86_400)
    }

    /// Whole seconds from `self` to `now` (negative when `now` is earlier).
    pub fn seconds_until(self, now: Timestamp) -> i64 {
        now.seconds.saturating_sub(self.seconds)
    }

    /// Whole hours from `self` to `now` (negative when `now` is earlier).
    pub fn hours_until(self, now: Timestamp) -> i64 {
        self.seconds_until(now).div_euclid(3600)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. A lowercase `t`/`z` or a space as the
    /// date/time separator are accepted (RFC 3339 section 5.6 allows them).
    pub fn parse(input: &str) -> Result<Timestamp, String> {
        let err = || format!("expected an RFC 3339 timestamp like `2024-01-31T12:00:00Z`, found `{input}`");
        let b = input.as_bytes();
        if b.len() < 20 || b.len() > 64 {
            return Err(err());
        }
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = b.get(range)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(part.iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
        };
        let sep = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
        if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
            return Err(err());
        }
        let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
            (num(0..4), num(5..7), num(8..10), num(11..13), num(14..16), num(17..19))
        else {
            return Err(err());
        };
        // A leap second (:60) is folded into the next second's start rather than refused.
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) || hour > 23 {
            return Err(err());
        }
        if minute > 59 || second > 60 {
            return Err(err());
        }
        let mut i = 19;
        let mut nanos: u32 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                if i - start < 9 {
                    nanos = nanos * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            let digits = i - start;
            if digits == 0 {
                return Err(err());
            }
            for _ in digits..9 {
                nanos *= 10;
            }
        }
        let offset = match b.get(i..) {
            Some(b"Z" | b"z") => 0,
            Some(rest) if rest.len() == 6 && matches!(rest.first(), Some(b'+' | b'-')) && rest[3] == b':' => {
                let (Some(h), Some(m)) = (num(i + 1..i + 3), num(i + 4..i + 6)) else {
                    return Err(err());
                };
                if h > 23 || m > 59 {
                    return Err(err());
                }
                let minutes = h * 60 + m;
                if rest[0] == b'-' { -minutes } else { minutes }
            }
            _ => return Err(err()),
        };
        let days = crate::calendar::days_from_civil(year, month, day);
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60;
        Ok(Timestamp { seconds, nanos })
    }
}

impl FromStr for Timestamp {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, with the fraction only when it is not zero (trailing zeros trimmed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(86_400);
        let rem = self.seconds.rem_euclid(86_400);
        let (year, month, day) = crate::calendar::civil_from_days(days);
        write!(f, "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_by_instant() {
        let a = Timestamp::parse("2023-04-11T21:47:01Z").unwrap();
        let b = Timestamp::parse("2023-04-11T21:47:01.5Z").unwrap();
        assert!(a < b);
        assert_eq!(a.unix_seconds(), 1_681_249_621);
        let nanos = Timestamp::parse("2026-09-04T00:47:46.156672516Z").unwrap();
        assert_eq!(nanos.subsec_nanos(), 156_672_516);
        assert_eq!(nanos.to_string(), "2026-09-04T00:47:46.156672516Z");
        assert_eq!(b.to_string(), "2023-04-11T21:47:01.5Z");
        let offset = Timestamp::parse("2023-04-11T23:47:01+02:00").unwrap();
        assert_eq!(offset, a);
        assert_eq!(Timestamp::parse("1970-01-01T00:00:00Z").unwrap().unix_seconds(), 0);
        assert_eq!(Timestamp::parse("2024-02-29T00:00:00Z").unwrap().to_string(), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["2023-04-11", "2023-02-30T00:00:00Z", "2023-04-11T21:47:01", "2023-04-11T21:47:01.Z", "x"]
        {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn age_in_days() {
        let then = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let now = Timestamp::parse("2026-01-31T12:00:00Z").unwrap();
        assert_eq!(then.days_until(now), 30);
    }
}

use std::fmt;

/// A UTC instant with second precision, written as RFC 3339 (`2026-01-31T12:00:00Z`).
///
/// The caller reads the clock (or `SOURCE_DATE_EPOCH`); this crate only formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// 1970-01-01T00:00:00Z, the reproducible default.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// Seconds since the Unix epoch. Years after 9999 are clamped to fit RFC 3339.
    pub fn from_unix(seconds: i64) -> Self {
        // 9999-12-31T23:59:59Z and 0000-01-01T00:00:00Z.
        Timestamp(seconds.clamp(-62_167_219_200, 253_402_300_799))
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (year, month, day) = firebreak_core::calendar::civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(Timestamp::EPOCH.to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp::from_unix(1_700_000_000).to_string(), "2023-11-14T22:13:20Z");
        assert_eq!(Timestamp::from_unix(951_825_600).to_string(), "2000-02-29T12:00:00Z");
        assert_eq!(Timestamp::from_unix(i64::MAX).to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(Timestamp::from_unix(-1).to_string(), "1969-12-31T23:59:59Z");
    }
}

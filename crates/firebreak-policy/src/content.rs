//! The `[content]` table: which content-analysis verdicts fail the run, how much a run may
//! download and analyse, and whether `scan` analyses package contents by default.

/// The signal a `malicious` content verdict raises.
pub const MALICIOUS_CONTENT: &str = "malicious-content";
/// The signal a `suspicious` content verdict raises.
pub const SUSPICIOUS_CONTENT: &str = "suspicious-content";

/// The verdicts that fail the run (`[content] block`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ContentBlock {
    /// `suspicious` and `malicious` fail.
    Suspicious,
    /// Only `malicious` fails (the default).
    Malicious,
    /// No verdict fails; they are reported.
    Never,
}

impl ContentBlock {
    /// The name used in `firebreak.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentBlock::Suspicious => "suspicious",
            ContentBlock::Malicious => "malicious",
            ContentBlock::Never => "never",
        }
    }

    /// Whether a finding of this signal fails under this setting (`None`: not a verdict).
    pub fn blocks(self, signal_id: &str) -> Option<bool> {
        match signal_id {
            MALICIOUS_CONTENT => Some(self != ContentBlock::Never),
            SUSPICIOUS_CONTENT => Some(self == ContentBlock::Suspicious),
            _ => None,
        }
    }
}

/// How much content analysis one run may do (`[content] budget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentBudget {
    /// At most this many archives downloaded and analysed (`budget = 500`).
    Archives(u32),
    /// At most this many megabytes of archives downloaded and analysed (`budget = "200MB"`).
    Megabytes(u64),
}

impl std::fmt::Display for ContentBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContentBudget::Archives(n) => write!(f, "{n} archives"),
            ContentBudget::Megabytes(n) => write!(f, "{n} MB"),
        }
    }
}

/// The `[content]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentPolicy {
    /// Verdicts that fail the run.
    pub block: ContentBlock,
    /// The per-run budget. Verdicts served by the verdict cache cost nothing.
    pub budget: ContentBudget,
    /// Whether `scan` analyses package contents without `--deep`.
    pub deep: bool,
}

impl Default for ContentPolicy {
    fn default() -> Self {
        ContentPolicy { block: ContentBlock::Malicious, budget: ContentBudget::Archives(500), deep: false }
    }
}

/// Parses a `budget` size: `200MB`, `200 MB`, `1GB`, `1.5 GB` (decimal megabytes).
pub(crate) fn parse_megabytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let upper = t.to_ascii_uppercase();
    let (number, factor) = if let Some(n) = upper.strip_suffix("GB") {
        (n, 1000.0)
    } else if let Some(n) = upper.strip_suffix("MB") {
        (n, 1.0)
    } else {
        return Err(format!("expected a number of archives (`500`) or a size (`200MB`, `1GB`), found `{t}`"));
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("expected a number before the unit (`200MB`, `1GB`), found `{t}`"))?;
    if !value.is_finite() || value <= 0.0 || value * factor > 1.0e9 {
        return Err(format!("expected a positive size (`200MB`, `1GB`), found `{t}`"));
    }
    Ok((value * factor).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_megabytes("200MB"), Ok(200));
        assert_eq!(parse_megabytes(" 1.5 gb"), Ok(1500));
        assert!(parse_megabytes("200").unwrap_err().contains("`200MB`"));
        assert!(parse_megabytes("0MB").is_err());
        assert!(parse_megabytes("xMB").is_err());
    }

    #[test]
    fn blocks() {
        assert_eq!(ContentBlock::Malicious.blocks(MALICIOUS_CONTENT), Some(true));
        assert_eq!(ContentBlock::Malicious.blocks(SUSPICIOUS_CONTENT), Some(false));
        assert_eq!(ContentBlock::Suspicious.blocks(SUSPICIOUS_CONTENT), Some(true));
        assert_eq!(ContentBlock::Never.blocks(MALICIOUS_CONTENT), Some(false));
        assert_eq!(ContentBlock::Never.blocks("integrity-mismatch"), None);
    }
}

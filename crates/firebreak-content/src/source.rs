//! Byte offsets to lines, columns and snippets.

/// Line starts of one text, for turning parser offsets into places a person can find.
pub(crate) struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

/// Snippets are cut to this many characters around the hit.
const SNIPPET: usize = 160;

impl<'t> LineIndex<'t> {
    pub(crate) fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (u32::try_from(line + 1).unwrap_or(u32::MAX), u32::try_from(column + 1).unwrap_or(u32::MAX))
    }

    /// The line holding `offset`, trimmed and cut to a window around it.
    pub(crate) fn snippet(&self, offset: usize) -> String {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let end = self.starts.get(line + 1).map_or(self.text.len(), |&e| e.saturating_sub(1));
        let Some(whole) = self.text.get(start..end) else { return String::new() };
        let before = self.text.get(start..offset).map_or(0, |s| s.chars().count());
        let chars: Vec<char> = whole.chars().collect();
        let from = before.saturating_sub(SNIPPET / 4);
        let to = (from + SNIPPET).min(chars.len());
        let mut out: String =
            chars.get(from..to).unwrap_or_default().iter().collect::<String>().trim().to_owned();
        if from > 0 {
            out.insert(0, '…');
        }
        if to < chars.len() {
            out.push('…');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_snippets() {
        let text = "a\n  bé(c)\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), (1, 1));
        let off = text.find('(').unwrap_or_default();
        assert_eq!(index.position(off), (2, 5));
        assert_eq!(index.snippet(off), "bé(c)");
        assert_eq!(index.position(text.len()), (3, 5));
        let long = format!("{}X{}", "y".repeat(500), "z".repeat(500));
        let index = LineIndex::new(&long);
        let snippet = index.snippet(500);
        assert!(snippet.starts_with('…') && snippet.ends_with('…') && snippet.contains('X'));
    }
}

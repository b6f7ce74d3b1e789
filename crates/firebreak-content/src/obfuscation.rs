//! Obfuscation read from the raw text, so it works whether or not the file parses:
//! javascript-obfuscator's hex identifiers and rotated string arrays, dense escapes, code
//! pushed past the edge of the screen, and known Python packers.

use firebreak_core::Severity;

use crate::signals::OBFUSCATED_CODE;
use crate::{Capability, FileReport, Hit, Phase};

const MARKERS: &[&str] = &[
    "while(!![])",
    "while (!![])",
    "['push'](_0x",
    "[\"push\"](_0x",
    "__pyarmor__",
    "pyarmor_runtime",
    "from pyobfuscate",
    "_____=lambda",
    "exec(__import__('zlib').decompress",
    "exec(__import__('base64')",
];

/// Markers of javascript-obfuscator's string-array rotation; the others are Python packers.
fn is_rotation(marker: &str) -> bool {
    marker.starts_with("while") || marker.contains("push")
}

/// The first occurrence of each marker, as (start, marker), earliest end first. The first
/// of each family here is the one a non-overlapping multi-pattern search reports first,
/// because no marker contains another and markers of different families never overlap
/// (`markers_of_two_families_never_overlap` checks both). One
/// vectorised substring search per marker costs a fraction of an automaton that has to
/// step through every byte (the markers start with common letters, so an automaton's
/// prefilter rarely skips: it was a fifth of the instructions on a large bundle).
fn first_markers(bytes: &[u8]) -> Vec<(usize, &'static str)> {
    let mut found: Vec<(usize, &'static str)> =
        MARKERS.iter().filter_map(|m| memchr::memmem::find(bytes, m.as_bytes()).map(|at| (at, *m))).collect();
    found.sort_by_key(|(at, m)| at + m.len());
    found
}

pub(crate) fn check(path: &str, text: &str, out: &mut FileReport) {
    let bytes = text.as_bytes();
    let mut reasons: Vec<(Severity, String, usize)> = Vec::new();

    let hex_ids = count_hex_identifiers(bytes);
    if hex_ids >= 20 {
        let at = memchr::memmem::find(bytes, b"_0x").unwrap_or(0);
        reasons.push((
            Severity::High,
            format!("{hex_ids} javascript-obfuscator style identifiers (_0x…)"),
            at,
        ));
    }
    // The first of each family is enough.
    let (mut rotation, mut packer) = (false, false);
    for (start, marker) in first_markers(bytes) {
        if is_rotation(marker) {
            if !rotation {
                rotation = true;
                reasons.push((
                    Severity::High,
                    "a rotated string array (javascript-obfuscator)".to_owned(),
                    start,
                ));
            }
        } else if !packer {
            packer = true;
            reasons.push((Severity::High, format!("a Python packer signature ({marker})"), start));
        }
    }

    let escapes = count_ascii_escapes(bytes);
    if escapes >= 200 && escapes * 4 * 100 / bytes.len().max(1) >= 20 {
        let at =
            memchr::memmem::find(bytes, b"\\x").or_else(|| memchr::memmem::find(bytes, b"\\u")).unwrap_or(0);
        reasons.push((
            Severity::Medium,
            format!("{escapes} escape sequences ({}% of the file)", escapes * 4 * 100 / bytes.len().max(1)),
            at,
        ));
    }

    // Code after a run of blanks sits off-screen in an editor and in a code review diff.
    let mut offset = 0;
    let mut lines = 0usize;
    let mut short_lines = 0usize;
    let mut long_line: Option<(usize, usize)> = None;
    // Lines as `split(b'\n')` gives them (the piece after the last newline included), cut
    // with a vectorised newline search instead of a byte-by-byte predicate.
    let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    let mut start = 0;
    for end in ends {
        let line = bytes.get(start..end).unwrap_or_default();
        start = end + 1;
        lines += 1;
        if line.len() < 200 {
            short_lines += 1;
        } else if long_line.is_none_or(|(_, len)| line.len() > len) {
            long_line = Some((offset, line.len()));
        }
        let leading = line.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
        if leading >= 150 && line.len() > leading + 10 {
            reasons.push((Severity::High, format!("code hidden after {leading} blanks"), offset + leading));
        }
        offset += line.len() + 1;
    }
    // One very long line in an otherwise hand-written file: a payload appended to it.
    if let Some((at, len)) = long_line
        && len >= 5_000
        && lines >= 20
        && short_lines + 1 >= lines
        && !path.contains(".min.")
    {
        reasons.push((
            Severity::Medium,
            format!("one line of {len} characters in a file of short lines"),
            at,
        ));
    }

    if reasons.is_empty() {
        return;
    }
    out.capabilities.insert(Capability::Obfuscation);
    let index = crate::source::LineIndex::new(text);
    for (severity, message, at) in reasons {
        let (line, column) = index.position(at);
        out.hits.push(Hit {
            signal: &OBFUSCATED_CODE,
            severity,
            capability: Some(Capability::Obfuscation),
            message,
            path: path.to_owned(),
            line,
            column,
            snippet: index.snippet(at),
            phase: Phase::Runtime,
            rule: None,
        });
    }
}

/// `\xHH` and `\u00HH` escapes of printable ASCII: obfuscators spell ordinary names this
/// way; emoji tables, ANSI colours and other non-ASCII escapes are honest.
fn count_ascii_escapes(bytes: &[u8]) -> usize {
    let hex = |s: &[u8]| -> Option<u8> { u8::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok() };
    memchr::memchr_iter(b'\\', bytes)
        .filter(|&at| {
            let value = match bytes.get(at + 1) {
                Some(b'x') => bytes.get(at + 2..at + 4).and_then(hex),
                Some(b'u') if bytes.get(at + 2..at + 4) == Some(b"00") => {
                    bytes.get(at + 4..at + 6).and_then(hex)
                }
                _ => None,
            };
            value.is_some_and(|v| (0x20..0x7f).contains(&v))
        })
        .count()
}

/// Occurrences of `_0x` followed by four to six hex digits and a non-identifier byte.
fn count_hex_identifiers(bytes: &[u8]) -> usize {
    memchr::memmem::find_iter(bytes, b"_0x")
        .filter(|&at| {
            let rest = bytes.get(at + 3..).unwrap_or_default();
            let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            (4..=6).contains(&digits)
                && rest.get(digits).is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$'))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(path: &str, text: &str) -> Vec<String> {
        let mut out = FileReport::default();
        check(path, text, &mut out);
        out.hits.into_iter().map(|h| h.message).collect()
    }

    /// `first_markers` gives each family's first match as a non-overlapping search over all
    /// markers would only while no marker contains another and no marker's end is the
    /// start of a marker of the other family.
    #[test]
    fn markers_of_two_families_never_overlap() {
        for a in MARKERS {
            for b in MARKERS {
                if a == b {
                    continue;
                }
                assert!(!a.contains(b), "{a} contains {b}");
                if is_rotation(a) == is_rotation(b) {
                    continue;
                }
                for cut in 1..a.len().min(b.len()) {
                    assert!(a.get(a.len() - cut..) != b.get(..cut), "{a} ends with the start of {b}");
                }
            }
        }
    }

    #[test]
    fn first_marker_of_each_family_and_lines_as_split_gives_them() {
        let text = "x=1\n_____=lambda: 0\nwhile (!![]) {}\n__pyarmor__\nwhile(!![])\n";
        let found = first_markers(text.as_bytes());
        let order: Vec<&str> = found.iter().map(|(_, m)| *m).collect();
        assert_eq!(order, ["_____=lambda", "while (!![])", "__pyarmor__", "while(!![])"]);
        let messages = messages("a.py", text);
        assert!(messages.contains(&"a Python packer signature (_____=lambda)".to_owned()), "{messages:?}");
        // A long last line with no newline after it is still a line.
        let mut appended = "let x = 1;\n".repeat(30);
        appended.push_str(&"a".repeat(6000));
        assert!(
            messages_at("lib/a.js", &appended).iter().any(|(m, line)| m.contains("one line") && *line == 31)
        );
    }

    fn messages_at(path: &str, text: &str) -> Vec<(String, u32)> {
        let mut out = FileReport::default();
        check(path, text, &mut out);
        out.hits.into_iter().map(|h| (h.message, h.line)).collect()
    }

    #[test]
    fn obfuscator_output_is_flagged_and_plain_code_is_not() {
        let obfuscated: String =
            (0..30).map(|i| format!("var _0x{:04x}=_0x1a2b[{i}];", 0x1000 + i)).collect();
        assert!(messages("a.js", &obfuscated).iter().any(|m| m.contains("identifiers")));
        assert!(messages("a.js", "function add(a, b) {\n  return a + b;\n}\n").is_empty());
        let hidden = format!("const a = 1;\n{}require('child_process').exec('x')\n", " ".repeat(200));
        assert!(messages("a.js", &hidden).iter().any(|m| m.contains("blanks")));
        let mut appended = "let x = 1;\n".repeat(30);
        appended.push_str(&"a".repeat(6000));
        assert!(messages("lib/a.js", &appended).iter().any(|m| m.contains("one line")));
        assert!(messages("lib/a.min.js", &appended).is_empty());
    }
}

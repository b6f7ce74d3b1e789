//! Helpers shared by extractors: UTF-8 with a located error, parser errors mapped to
//! [`ExtractError::Syntax`], and schema errors with key paths.

use camino::Utf8Path;
use firebreak_core::Location;

use crate::ExtractError;

/// The text of a lockfile, or an error at the first invalid byte. A leading BOM is dropped.
pub(crate) fn text<'a>(path: &Utf8Path, bytes: &'a [u8]) -> Result<&'a str, ExtractError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let loc = Location::from_offset(bytes, offset);
        ExtractError::InvalidUtf8 { path: path.to_owned(), offset, line: loc.line, column: loc.column }
    })
}

/// Maps a `serde_json` error to a located syntax or schema error.
pub(crate) fn json_error(path: &Utf8Path, e: &serde_json::Error) -> ExtractError {
    ExtractError::Syntax {
        path: path.to_owned(),
        line: e.line() as u32,
        column: e.column() as u32,
        message: strip_position(&e.to_string()),
    }
}

/// Maps a YAML error to a located syntax error.
pub(crate) fn yaml_error(path: &Utf8Path, e: &serde_norway::Error) -> ExtractError {
    let (line, column) = e.location().map_or((1, 1), |l| (l.line() as u32, l.column() as u32));
    ExtractError::Syntax { path: path.to_owned(), line, column, message: strip_position(&e.to_string()) }
}

/// Maps a TOML error to a located syntax error.
pub(crate) fn toml_error(path: &Utf8Path, text: &str, e: &toml::de::Error) -> ExtractError {
    let loc =
        e.span().map_or(Location { line: 1, column: 1 }, |s| Location::from_offset(text.as_bytes(), s.start));
    ExtractError::Syntax {
        path: path.to_owned(),
        line: loc.line,
        column: loc.column,
        message: e.message().to_owned(),
    }
}

/// A schema error at `key_path`.
pub(crate) fn schema(
    path: &Utf8Path,
    key_path: impl Into<String>,
    line: Option<u32>,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> ExtractError {
    ExtractError::Schema {
        path: path.to_owned(),
        key_path: key_path.into(),
        line,
        expected: expected.into(),
        found: found.into(),
    }
}

/// Describes a JSON value's type for "found ..." messages.
pub(crate) fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// serde's messages end with " at line X column Y"; the located error says it already.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Byte offsets of the start of every line, for turning offsets into lines quickly.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    pub(crate) fn line(&self, offset: usize) -> u32 {
        (self.starts.partition_point(|&s| s <= offset)) as u32
    }

    /// 1-based line and column (in bytes) of a byte offset.
    pub(crate) fn location(&self, offset: usize) -> Location {
        let line = self.line(offset);
        let start = self.starts[(line as usize).saturating_sub(1)];
        Location { line, column: (offset - start + 1) as u32 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index() {
        let idx = LineIndex::new("ab\ncd\n\nx");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(3), 2);
        assert_eq!(idx.line(6), 3);
        assert_eq!(idx.location(7), Location { line: 4, column: 1 });
    }

    #[test]
    fn invalid_utf8_is_located() {
        let err = text(Utf8Path::new("x.lock"), b"ok\nb\xffd").unwrap_err();
        assert!(matches!(err, ExtractError::InvalidUtf8 { line: 2, column: 2, offset: 4, .. }), "{err:?}");
    }
}

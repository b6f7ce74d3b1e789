//! Entry names to safe relative paths. Nothing here touches a filesystem: a name is only
//! ever a key, but analyzers and reports must see the path an installer would write, and
//! a name that could escape the package directory is itself evidence.

use std::fmt;

/// Why an entry name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathIssue {
    /// A `..` component: the entry could escape the package directory.
    ParentDir,
    /// Starts with `/`.
    Absolute,
    /// Starts with a Windows drive (`C:`), absolute or drive-relative.
    DriveLetter,
    /// Holds a backslash, which Windows extractors treat as a separator (`..\..\x`).
    Backslash,
    /// Holds a NUL byte, which C-based extractors treat as the end of the name.
    Nul,
    /// Not valid UTF-8.
    NonUtf8,
    /// Nothing left once `.` and empty components are dropped.
    Empty,
}

impl PathIssue {
    /// A stable kebab-case id for reports.
    pub fn id(self) -> &'static str {
        match self {
            PathIssue::ParentDir => "parent-dir",
            PathIssue::Absolute => "absolute",
            PathIssue::DriveLetter => "drive-letter",
            PathIssue::Backslash => "backslash",
            PathIssue::Nul => "nul-byte",
            PathIssue::NonUtf8 => "non-utf8",
            PathIssue::Empty => "empty",
        }
    }
}

impl fmt::Display for PathIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathIssue::ParentDir => "a `..` component escapes the package root",
            PathIssue::Absolute => "an absolute path",
            PathIssue::DriveLetter => "a Windows drive prefix",
            PathIssue::Backslash => "a backslash, a separator on Windows",
            PathIssue::Nul => "a NUL byte",
            PathIssue::NonUtf8 => "not valid UTF-8",
            PathIssue::Empty => "an empty path",
        })
    }
}

/// The name as an archive lists it, for reports: lossy UTF-8, NUL shown as `\0`.
pub(crate) fn display_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).replace('\0', "\\0")
}

/// `raw` as a `/`-separated relative path without `.` or empty components.
///
/// Any `..` is refused, even one that would stay inside (`a/../b`): no installer needs it,
/// and resolving it would make the checked path differ from the written one.
pub(crate) fn normalise(raw: &[u8]) -> Result<String, PathIssue> {
    if raw.contains(&0) {
        return Err(PathIssue::Nul);
    }
    let text = std::str::from_utf8(raw).map_err(|_| PathIssue::NonUtf8)?;
    if text.contains('\\') {
        return Err(PathIssue::Backslash);
    }
    if text.starts_with('/') {
        return Err(PathIssue::Absolute);
    }
    let bytes = text.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(PathIssue::DriveLetter);
    }
    let mut out = String::with_capacity(text.len());
    for component in text.split('/') {
        match component {
            "" | "." => continue,
            ".." => return Err(PathIssue::ParentDir),
            _ => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(component);
            }
        }
    }
    if out.is_empty() { Err(PathIssue::Empty) } else { Ok(out) }
}

/// The first component of a normalised path and the rest (empty for a single component).
pub(crate) fn split_first(path: &str) -> (&str, &str) {
    path.split_once('/').unwrap_or((path, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses() {
        let ok = |s: &str| normalise(s.as_bytes()).unwrap();
        let err = |s: &[u8]| normalise(s).unwrap_err();
        assert_eq!(ok("package/lib/index.js"), "package/lib/index.js");
        assert_eq!(ok("./package//lib/./x.js"), "package/lib/x.js");
        assert_eq!(ok("package/dir/"), "package/dir");
        assert_eq!(ok("a/b..c/..d"), "a/b..c/..d");
        assert_eq!(err(b"package/../../etc/passwd"), PathIssue::ParentDir);
        assert_eq!(err(b"a/b/.."), PathIssue::ParentDir);
        assert_eq!(err(b"/etc/passwd"), PathIssue::Absolute);
        assert_eq!(err(b"C:/Windows/x"), PathIssue::DriveLetter);
        assert_eq!(err(b"c:x"), PathIssue::DriveLetter);
        assert_eq!(err(b"package\\..\\..\\x"), PathIssue::Backslash);
        assert_eq!(err(b"package/x\0.js"), PathIssue::Nul);
        assert_eq!(err(b"package/\xff.js"), PathIssue::NonUtf8);
        assert_eq!(err(b"./"), PathIssue::Empty);
        assert_eq!(err(b""), PathIssue::Empty);
        assert_eq!(display_name(b"a\0b\xff"), "a\\0b\u{fffd}");
    }
}

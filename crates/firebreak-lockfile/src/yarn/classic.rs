//! The classic (yarn 1) lockfile grammar, which is not YAML: `key value` pairs, blocks
//! opened by `key:` and indented by two spaces, several keys of one block separated by
//! commas, strings quoted JSON-style or bare. bun's `--yarn` output uses the same grammar.

use camino::Utf8Path;
use firebreak_core::DepKind;

use super::{Dep, Entry};
use crate::ExtractError;

/// Deepest nesting the grammar needs (entry, `dependencies`, dependency); deeper input is refused
/// so a hostile file cannot build an unbounded tree.
const MAX_DEPTH: usize = 8;

/// One logical line: its keys, and a value or an opened block.
#[derive(Debug)]
struct Line {
    number: u32,
    depth: usize,
    keys: Vec<String>,
    /// `None` when the line ends with `:` and opens a block.
    value: Option<String>,
}

/// A key (or several) with a scalar value or a block of children.
#[derive(Debug)]
struct Node {
    keys: Vec<String>,
    line: u32,
    value: Option<String>,
    children: Vec<Node>,
}

fn syntax(path: &Utf8Path, line: u32, column: usize, message: impl Into<String>) -> ExtractError {
    ExtractError::Syntax { path: path.to_owned(), line, column: column as u32, message: message.into() }
}

/// Reads a quoted string starting at `start` (on the opening quote); returns it and the
/// byte index after the closing quote.
fn quoted(path: &Utf8Path, number: u32, s: &str, start: usize) -> Result<(String, usize), ExtractError> {
    let bytes = s.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\\') => i += 2,
            Some(b'"') => {
                let raw = s.get(start..=i).unwrap_or_default();
                let value: String = serde_json::from_str(raw).map_err(|e| {
                    syntax(path, number, start + 1, format!("invalid escape in quoted string: {e}"))
                })?;
                return Ok((value, i + 1));
            }
            _ => i += 1,
        }
    }
    Err(syntax(path, number, start + 1, "unterminated quoted string: expected a closing `\"`"))
}

fn parse_line(path: &Utf8Path, number: u32, raw: &str) -> Result<Option<Line>, ExtractError> {
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    let content = raw.trim_start_matches(' ');
    if content.is_empty() || content.starts_with('#') {
        return Ok(None);
    }
    let indent = raw.len() - content.len();
    if content.starts_with('\t') {
        return Err(syntax(path, number, indent + 1, "tab in indentation: expected spaces"));
    }
    if !indent.is_multiple_of(2) {
        return Err(syntax(path, number, indent + 1, "indentation is not a multiple of two spaces"));
    }
    let mut tokens: Vec<String> = Vec::new();
    let mut i = indent;
    let bytes = raw.as_bytes();
    let mut opens = false;
    let mut expect_key_after_comma = false;
    while i < bytes.len() {
        match bytes.get(i).copied().unwrap_or(b' ') {
            b' ' => i += 1,
            b'"' => {
                let (s, next) = quoted(path, number, raw, i)?;
                tokens.push(s);
                expect_key_after_comma = false;
                i = next;
            }
            b',' => {
                if tokens.is_empty() || expect_key_after_comma {
                    return Err(syntax(path, number, i + 1, "unexpected `,`: expected a key"));
                }
                expect_key_after_comma = true;
                i += 1;
            }
            b':' if raw.get(i + 1..).is_none_or(|rest| rest.trim().is_empty()) => {
                opens = true;
                i = bytes.len();
            }
            _ => {
                let start = i;
                while i < bytes.len() {
                    let b = bytes.get(i).copied().unwrap_or(b' ');
                    let ends_colon = b == b':' && bytes.get(i + 1).is_none_or(|n| *n == b' ' || *n == b'\r');
                    if b == b' ' || b == b',' || ends_colon {
                        break;
                    }
                    i += 1;
                }
                if i == start {
                    // A `: ` where a key or value should start (`key: value` is berry syntax,
                    // not classic); without this the loop would never advance.
                    return Err(syntax(path, number, i + 1, "unexpected `:`: expected a key or a value"));
                }
                tokens.push(raw.get(start..i).unwrap_or_default().to_owned());
                expect_key_after_comma = false;
            }
        }
    }
    if expect_key_after_comma {
        return Err(syntax(path, number, raw.len() + 1, "line ends after `,`: expected another key"));
    }
    let depth = indent / 2;
    if opens {
        if tokens.is_empty() {
            return Err(syntax(path, number, indent + 1, "`:` without a key"));
        }
        return Ok(Some(Line { number, depth, keys: tokens, value: None }));
    }
    match tokens.len() {
        2 => {
            let value = tokens.pop();
            Ok(Some(Line { number, depth, keys: tokens, value }))
        }
        1 => Err(syntax(
            path,
            number,
            raw.len() + 1,
            format!("`{}` has no value: expected `key value` or `key:`", tokens.concat()),
        )),
        _ => Err(syntax(path, number, indent + 1, "expected `key value` or `key1, key2:`")),
    }
}

/// Parses the text into a forest of nodes.
fn parse_tree(path: &Utf8Path, text: &str) -> Result<Vec<Node>, ExtractError> {
    let mut lines = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        if let Some(line) = parse_line(path, i as u32 + 1, raw)? {
            if line.depth > MAX_DEPTH {
                return Err(syntax(path, line.number, 1, "nested too deeply"));
            }
            lines.push(line);
        }
    }
    // A stack of open blocks: the node being filled at each depth.
    let mut stack: Vec<Node> = vec![Node { keys: Vec::new(), line: 0, value: None, children: Vec::new() }];
    for line in lines {
        let current = stack.len() - 1;
        if line.depth > current {
            return Err(syntax(
                path,
                line.number,
                line.depth * 2 + 1,
                format!("indented {} levels, expected at most {current}", line.depth),
            ));
        }
        while stack.len() - 1 > line.depth {
            close(&mut stack);
        }
        let node = Node { keys: line.keys, line: line.number, value: line.value, children: Vec::new() };
        if node.value.is_none() {
            stack.push(node);
        } else if let Some(top) = stack.last_mut() {
            top.children.push(node);
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    Ok(stack.pop().map(|n| n.children).unwrap_or_default())
}

fn close(stack: &mut Vec<Node>) {
    if let Some(node) = stack.pop()
        && let Some(parent) = stack.last_mut()
    {
        parent.children.push(node);
    }
}

/// Parses a classic lockfile into entries.
pub(super) fn parse(path: &Utf8Path, text: &str) -> Result<Vec<Entry>, ExtractError> {
    let tree = parse_tree(path, text)?;
    let mut entries = Vec::with_capacity(tree.len());
    for node in tree {
        let key = node.keys.join(", ");
        if node.value.is_some() {
            return Err(crate::util::schema(
                path,
                key,
                Some(node.line),
                "an entry block (`name@range:`)",
                "a single value",
            ));
        }
        let mut entry = Entry {
            descriptors: node.keys,
            version: String::new(),
            resolved: None,
            integrity: None,
            deps: Vec::new(),
            line: node.line,
        };
        let mut version = None;
        for field in node.children {
            let name = field.keys.first().map(String::as_str).unwrap_or_default();
            match (name, field.value) {
                ("version", Some(v)) => version = Some(v),
                ("resolved", Some(v)) => entry.resolved = Some(v),
                ("integrity", Some(v)) => entry.integrity = Some(v),
                ("dependencies" | "optionalDependencies", None) => {
                    let kind = if name == "dependencies" { DepKind::Normal } else { DepKind::Optional };
                    for dep in field.children {
                        let (Some(dep_name), Some(range)) = (dep.keys.first(), dep.value) else {
                            return Err(crate::util::schema(
                                path,
                                format!("{key}.{name}"),
                                Some(dep.line),
                                "`name range`",
                                "a block",
                            ));
                        };
                        entry.deps.push(Dep { name: dep_name.clone(), range, kind });
                    }
                }
                ("version" | "resolved" | "integrity", None) => {
                    return Err(crate::util::schema(
                        path,
                        format!("{key}.{name}"),
                        Some(field.line),
                        "a string",
                        "a block",
                    ));
                }
                ("dependencies" | "optionalDependencies", Some(v)) => {
                    return Err(crate::util::schema(
                        path,
                        format!("{key}.{name}"),
                        Some(field.line),
                        "a block of dependencies",
                        format!("`{v}`"),
                    ));
                }
                _ => {}
            }
        }
        entry.version = version.ok_or_else(|| {
            crate::util::schema(path, key.clone(), Some(entry.line), "a `version` field", "none")
        })?;
        entries.push(entry);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values() {
        let text = "# yarn lockfile v1\n\n\"@a/b@^1\", c@~2:\n  version \"1.2.3\"\n  dependencies:\n    d \"^4 || ^5\"\n";
        let entries = parse(Utf8Path::new("yarn.lock"), text).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].descriptors, ["@a/b@^1", "c@~2"]);
        assert_eq!(entries[0].version, "1.2.3");
        assert_eq!(entries[0].line, 3);
        assert_eq!(entries[0].deps[0].range, "^4 || ^5");
    }

    #[test]
    fn odd_indent_is_located() {
        let err = parse(Utf8Path::new("yarn.lock"), "a@1:\n   version \"1\"\n").unwrap_err();
        assert!(matches!(err, ExtractError::Syntax { line: 2, column: 4, .. }), "{err}");
    }
}

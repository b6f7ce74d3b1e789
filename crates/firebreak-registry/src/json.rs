//! Tolerant reading of registry JSON: a field of the wrong type becomes a warning naming
//! its JSON path, never a failure of the whole document.

use firebreak_core::Timestamp;
use serde_json::{Map, Value};

use crate::error::RegistryError;

/// Parses a whole document; only a syntax error or a non-object root fails.
pub(crate) fn parse_object(url: &str, body: &[u8]) -> Result<Map<String, Value>, RegistryError> {
    // Path tracking costs on every value; only a document that fails is parsed again with it.
    let value = match serde_json::from_slice::<Value>(body) {
        Ok(v) => v,
        Err(_) => parse_with_path(url, body)?,
    };
    match value {
        Value::Object(map) => Ok(map),
        other => Err(RegistryError::Malformed {
            url: url.to_owned(),
            path: "$".to_owned(),
            message: format!("expected a JSON object, found {}", kind(&other)),
        }),
    }
}

fn parse_with_path(url: &str, body: &[u8]) -> Result<Value, RegistryError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        RegistryError::Malformed {
            url: url.to_owned(),
            path: format!(
                "{} (line {}, column {})",
                dollar(&e.path().to_string()),
                inner.line(),
                inner.column()
            ),
            message: inner.to_string(),
        }
    })
}

fn dollar(path: &str) -> String {
    if path == "." || path.is_empty() { "$".to_owned() } else { format!("$.{path}") }
}

/// The JSON type name for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `parent.key`, or `parent["key"]` when the key is not a plain identifier.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{}]", Value::String(key.to_owned()))
    }
}

/// Collects warnings while fields are read.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    pub(crate) warnings: Vec<String>,
}

impl Reader {
    pub(crate) fn warn(&mut self, path: &str, message: impl std::fmt::Display) {
        // A hostile document could produce one warning per field; a few hundred say enough.
        if self.warnings.len() < 200 {
            self.warnings.push(format!("`{path}`: {message}"));
        }
    }

    fn wrong(&mut self, path: &str, expected: &str, found: &Value) {
        self.warn(path, format!("expected {expected}, found {}", kind(found)));
    }

    /// A string field; missing or null is `None` silently, another type is a warning.
    pub(crate) fn str<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        parent: &str,
    ) -> Option<&'v str> {
        match obj.get(key)? {
            Value::String(s) => Some(s),
            Value::Null => None,
            other => {
                self.wrong(&join(parent, key), "a string", other);
                None
            }
        }
    }

    /// An object field.
    pub(crate) fn obj<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        parent: &str,
    ) -> Option<&'v Map<String, Value>> {
        match obj.get(key)? {
            Value::Object(m) => Some(m),
            Value::Null => None,
            other => {
                self.wrong(&join(parent, key), "an object", other);
                None
            }
        }
    }

    /// An array field.
    pub(crate) fn arr<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        parent: &str,
    ) -> Option<&'v [Value]> {
        match obj.get(key)? {
            Value::Array(a) => Some(a),
            Value::Null => None,
            other => {
                self.wrong(&join(parent, key), "an array", other);
                None
            }
        }
    }

    /// A boolean field.
    pub(crate) fn bool(&mut self, obj: &Map<String, Value>, key: &str, parent: &str) -> Option<bool> {
        match obj.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            other => {
                self.wrong(&join(parent, key), "a boolean", other);
                None
            }
        }
    }

    /// An RFC 3339 time field.
    pub(crate) fn time(&mut self, obj: &Map<String, Value>, key: &str, parent: &str) -> Option<Timestamp> {
        let text = self.str(obj, key, parent)?;
        self.parse_time(text, &join(parent, key))
    }

    /// Parses a time, warning when it does not parse.
    pub(crate) fn parse_time(&mut self, text: &str, path: &str) -> Option<Timestamp> {
        match Timestamp::parse(text) {
            Ok(t) => Some(t),
            Err(e) => {
                self.warn(path, e);
                None
            }
        }
    }

    /// A `{name: string}` map (dependencies, scripts); entries of other types are warnings.
    pub(crate) fn string_map(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        parent: &str,
    ) -> Vec<(String, String)> {
        let path = join(parent, key);
        let Some(map) = self.obj(obj, key, parent) else { return Vec::new() };
        let mut out = Vec::with_capacity(map.len());
        for (k, v) in map {
            match v {
                Value::String(s) => out.push((k.clone(), s.clone())),
                other => self.wrong(&join(&path, k), "a string", other),
            }
        }
        out
    }
}

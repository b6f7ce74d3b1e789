//! Validation against the official schemas committed under `fixtures/schemas`, with
//! every `$ref` answered from those files: the tests never reach the network.

use camino::Utf8PathBuf;
use serde_json::Value;

fn schemas_dir() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/schemas")
}

fn load(file: &str) -> Value {
    let text = fs_err::read_to_string(schemas_dir().join(file)).expect("schema file");
    serde_json::from_str(&text).expect("schema JSON")
}

/// Answers the CycloneDX schema's references (`spdx.schema.json`, `jsf-0.82.schema.json`).
struct LocalSchemas;

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let file = uri.as_str().rsplit('/').next().unwrap_or_default();
        match file {
            "spdx.schema.json" | "jsf-0.82.schema.json" => Ok(load(file)),
            _ => Err(format!("no local copy of `{uri}`").into()),
        }
    }
}

/// Which standard to validate against.
#[derive(Clone, Copy, Debug)]
pub enum Schema {
    CycloneDx16,
    Spdx23,
}

/// A compiled validator for `schema`.
pub fn validator(schema: Schema) -> jsonschema::Validator {
    let document = match schema {
        Schema::CycloneDx16 => load("bom-1.6.schema.json"),
        Schema::Spdx23 => load("spdx-schema.json"),
    };
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .with_retriever(LocalSchemas)
        .build(&document)
        .expect("the schema compiles")
}

/// Panics with every schema error when `text` does not validate.
pub fn assert_valid(validator: &jsonschema::Validator, text: &str, what: &str) {
    let instance: Value = serde_json::from_str(text).expect("the SBOM is JSON");
    let errors: Vec<String> =
        validator.iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what} does not validate:\n{}", errors.join("\n"));
}

//! The JSON Schema of a data file (`data/technologies/<id>.json`), generated from
//! the same Rust types that load it, so the schema contributors validate against
//! cannot drift from what the server accepts. Committed as `data/schema.json`.

use serde_json::{Map, Value, json};
use utoipa::OpenApi;

use super::Technology;

#[derive(OpenApi)]
#[openapi(components(schemas(Technology)))]
struct DataFiles;

/// Rewrites OpenAPI component references into JSON Schema `$defs` references.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(name) = reference.strip_prefix("#/components/schemas/")
            {
                *reference = format!("#/$defs/{name}");
            }
            map.values_mut().for_each(rewrite_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// The JSON Schema (draft 2020-12) every technology data file satisfies.
pub fn technology_json_schema() -> Value {
    let document = DataFiles::openapi();
    let mut schemas =
        serde_json::to_value(document.components.map(|c| c.schemas).unwrap_or_default())
            .unwrap_or_else(|_| Value::Object(Map::new()));
    rewrite_refs(&mut schemas);
    let Value::Object(mut defs) = schemas else {
        return Value::Null;
    };
    let technology = defs.remove("Technology").unwrap_or(Value::Null);
    let mut root = Map::new();
    root.insert(
        "$schema".to_owned(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    root.insert(
        "title".to_owned(),
        json!("A Stack Atlas technology (data/technologies/<id>.json)"),
    );
    if let Value::Object(fields) = technology {
        for (key, value) in fields {
            if key != "example" {
                root.insert(key, value);
            }
        }
    }
    root.insert("$defs".to_owned(), Value::Object(defs));
    Value::Object(root)
}

//! JSON Schemas of `kiln.toml` and `budgets.toml`, generated from the types the files are
//! read into (so a key kiln accepts is a key the schema knows, and the other way round), for
//! editors: Taplo and Even Better TOML read a `#:schema` directive. The committed copies in
//! `schema/` are checked against these by the tests (`KILN_UPDATE_SCHEMA=1` rewrites them),
//! and the npm package carries them.
//!
//! The schemas are draft-07, which every TOML editor's validator reads.

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema, SchemaGenerator};

/// The schema of `kiln.toml`.
pub fn kiln_toml() -> serde_json::Value {
    root::<crate::config::RawConfig>("kiln.toml", "kiln's configuration: what `kiln build`, `kiln publish` and `kiln serve` read from the project root.")
}

/// The schema of `budgets.toml`: `[[budget]]` and `[[lab]]` rules.
pub fn budgets_toml() -> serde_json::Value {
    root::<crate::budgets_file::RawBudgetsFile>(
        "budgets.toml",
        "kiln's performance budgets: `[[budget]]` limits on output sizes, `[[lab]]` limits on what `kiln lab` measures.",
    )
}

fn root<T: JsonSchema>(title: &str, description: &str) -> serde_json::Value {
    let mut settings = SchemaSettings::draft07();
    settings.transforms.push(Box::new(RecursiveTransform(toml_only as fn(&mut Schema))));
    let generator = SchemaGenerator::new(settings);
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    schema.insert("description".into(), description.into());
    schema.to_value()
}

/// TOML has no null: an optional key is one that may be absent, so `null` leaves the types,
/// enums and alternatives schemars gives `Option`s. Rust's integer formats (`uint8`…) go too;
/// `minimum`/`maximum` say the same to every validator.
fn toml_only(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else { return };
    object.remove("format");
    if let Some(serde_json::Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            object.insert("type".into(), only);
        }
    }
    if let Some(serde_json::Value::Array(words)) = object.get_mut("enum") {
        words.retain(|w| !w.is_null());
    }
    for key in ["anyOf", "oneOf"] {
        let Some(serde_json::Value::Array(alternatives)) = object.get_mut(key) else { continue };
        alternatives.retain(|a| a.get("type").is_none_or(|t| t != "null") && a.get("const").is_none_or(|c| !c.is_null()));
        if alternatives.len() == 1 {
            let only = alternatives.remove(0);
            object.remove(key);
            if let serde_json::Value::Object(fields) = only {
                for (k, v) in fields {
                    object.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// The schema as committed: pretty JSON with a final newline.
pub fn to_text(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema is JSON");
    text.push('\n');
    text
}

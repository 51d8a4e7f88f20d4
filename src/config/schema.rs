//! The schema side of kiln.toml's and budgets.toml's values that serde reads as plain strings
//! or numbers: strings that must be one of a few words (enums in the schema, so editors
//! complete them), sizes and growth limits. kiln checks them again when it reads the file,
//! with the key's line:col. The schemas themselves are made in `src/schema.rs`.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

/// A string that must be one of a few words.
macro_rules! choice {
    ($name:ident, $($word:literal),+) => {
        pub struct $name;
        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "enum": [$($word),+] })
            }
        }
    };
}

choice!(HashCascade, "hashes", "importmap");
choice!(OfflineUpdate, "immediate", "prompt");
choice!(Precache, "first-load", "all");
choice!(JsxRuntime, "automatic", "classic");
choice!(LegalComments, "eof", "linked", "none");
choice!(TransformOutput, "js", "css");
choice!(Strip, "safe", "all", "none");
choice!(Svg, "minify", "keep");
choice!(ImageFormat, "avif", "webp");
choice!(OnBadImage, "error", "copy");
choice!(Checksum, "when_required", "when_supported");
choice!(PublishEncoding, "siblings", "brotli-in-place", "gzip-in-place", "none");
choice!(Measure, "raw", "gzip", "brotli", "returning_bytes");
choice!(Load, "initial", "lazy");
choice!(DeltaEncoding, "dcb", "dcz");
choice!(FileGroup, "script", "stylesheet", "image", "font", "document", "media", "other", "all");

/// A size: bytes, or a string with a unit (`"170 KB"`, `"1.2 MiB"`).
impl JsonSchema for crate::size::SizeValue {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Size".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        amount("[kKmMgG][iI]?[bB]|[bB]")
    }
}

/// A growth limit: a size, or a percentage (`"5%"`).
pub struct Growth;
impl JsonSchema for Growth {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Growth".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        amount("%|[kKmMgG][iI]?[bB]|[bB]")
    }
}

/// Bytes, or a string of a number and an optional unit (one of the alternatives of `units`),
/// as [`crate::size::parse_size`] reads it.
fn amount(units: &str) -> Schema {
    let pattern = format!("^\\s*([0-9]+\\.?[0-9]*|\\.[0-9]+)\\s*({units})?\\s*$");
    json_schema!({
        "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": pattern }
        ]
    })
}

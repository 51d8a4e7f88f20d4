//! A web app manifest: the `src` of its `icons`, `screenshots` and `shortcuts[].icons` point
//! at hashed files; everything else is kept, in its order, printed compactly.

use std::path::Path;

use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::loader::{IfMissing, RefSink};

pub fn load(rel: &str, abs: &Path, bytes: &[u8], sink: &mut RefSink) -> Option<Vec<u8>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let d = Diagnostic::error("the web app manifest is not valid UTF-8").of_kind(crate::diagnostics::Kind::Syntax);
            let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
            sink.diags.push(d.at_offset(rel, &valid, valid.len()));
            return None;
        }
    };
    let mut json: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let d = Diagnostic::error(format!("invalid JSON in the web app manifest: {e}")).of_kind(crate::diagnostics::Kind::Syntax);
            sink.diags.push(d.at_line_col(rel, text, e.line() as u32, e.column() as u32));
            return None;
        }
    };
    let mut search_from = 0;
    let mut rewrite = |src: &mut Value, sink: &mut RefSink| {
        let Some(url) = src.as_str().map(str::to_owned) else { return };
        // Locate the value in the text for messages: the next occurrence of the JSON string.
        let needle = serde_json::to_string(&url).unwrap_or_default();
        let offset = text[search_from..].find(&needle).map_or(0, |i| search_from + i + 1);
        search_from = offset.max(search_from);
        let at = |d: Diagnostic| d.at_offset(rel, text, offset);
        if let Some(new) = sink.url(abs, &url, None, IfMissing::Error, &at) {
            *src = Value::String(new);
        }
    };
    let mut icon_lists: Vec<&mut Value> = Vec::new();
    if let Value::Object(map) = &mut json {
        for (key, value) in map.iter_mut() {
            match key.as_str() {
                "icons" | "screenshots" => icon_lists.push(value),
                "shortcuts" => {
                    if let Value::Array(items) = value {
                        for item in items {
                            if let Some(icons) = item.get_mut("icons") {
                                icon_lists.push(icons);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for list in icon_lists {
        if let Value::Array(items) = list {
            for item in items {
                if let Some(src) = item.get_mut("src") {
                    rewrite(src, sink);
                }
            }
        }
    }
    serde_json::to_vec(&json).ok()
}

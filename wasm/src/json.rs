//! JS values ↔ JSON, with errors that say where.

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A JS `Error` carrying `e`'s message.
pub fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Accept a JSON string or a plain JS value.
pub fn to_json(input: JsValue, what: &str) -> Result<serde_json::Value, JsError> {
    match input.as_string() {
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            JsError::new(&format!(
                "{what}: malformed JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        }),
        None => {
            serde_wasm_bindgen::from_value(input).map_err(|e| JsError::new(&format!("{what}: {e}")))
        }
    }
}

/// A plain JS object (maps as objects, not `Map`s).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .map_err(js_err)
}

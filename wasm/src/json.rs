//! JSON text in and out of the wasm boundary: the JS side passes sessions as JSON text
//! (`JSON.stringify` for objects) and parses results with `JSON.parse`, which keeps the
//! wasm free of a JS-object (de)serialiser.

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A JS `Error` carrying `e`'s message.
pub fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Parse JSON text, naming `what` and the position on failure.
pub fn parse(text: &str, what: &str) -> Result<serde_json::Value, JsError> {
    serde_json::from_str(text).map_err(|e| {
        JsError::new(&format!(
            "{what}: malformed JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })
}

/// JSON text of a result.
pub fn to_text<T: Serialize>(value: &T) -> Result<String, JsError> {
    serde_json::to_string(value).map_err(js_err)
}

//! JSON text in and out of the wasm boundary, and the JS errors it throws: the JS side passes
//! sessions as JSON text (`JSON.stringify` for objects) and parses results with `JSON.parse`,
//! which keeps the wasm free of a JS-object (de)serialiser.

use seqrisk_core::error::{DataProblem, Error};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// What went wrong, as the `code` of the JS `Error` (documented in `index.d.ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The text is not JSON.
    MalformedJson,
    /// JSON, but not a session of the model's schema (a missing field, a wrong type…).
    BadSession,
    /// Over one of the scorer's limits (events, string length, input size, batch size).
    OverLimit,
    /// Not a loadable artifact (corrupt, foreign, another format version).
    BadArtifact,
    /// An option or call this scorer cannot take (unknown backend, a limit of 0, WebGPU
    /// unavailable, a synchronous call on WebGPU).
    BadOptions,
    /// A bug: a panic in the scorer.
    Internal,
}

impl Code {
    fn name(self) -> &'static str {
        match self {
            Code::MalformedJson => "SEQRISK_MALFORMED_JSON",
            Code::BadSession => "SEQRISK_BAD_SESSION",
            Code::OverLimit => "SEQRISK_OVER_LIMIT",
            Code::BadArtifact => "SEQRISK_BAD_ARTIFACT",
            Code::BadOptions => "SEQRISK_BAD_OPTIONS",
            Code::Internal => "SEQRISK_INTERNAL",
        }
    }

    /// The code of a core error.
    fn of(e: &Error) -> Code {
        match e {
            Error::Data(d) => match d.problem {
                DataProblem::OverLimit(_) => Code::OverLimit,
                DataProblem::Malformed(_) => Code::MalformedJson,
                _ => Code::BadSession,
            },
            Error::Artifact(_) | Error::Model(_) | Error::Schema(_) => Code::BadArtifact,
            Error::Param(_) => Code::BadOptions,
            Error::Cluster(_) | Error::Io { .. } => Code::Internal,
        }
    }
}

/// A JS `Error` with `message` and `code`.
pub fn js_error(code: Code, message: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    // setting a property on a fresh Error object cannot fail
    let _ = js_sys::Reflect::set(&e, &"code".into(), &code.name().into());
    e.into()
}

/// The JS `Error` of a core error: its message, and its code.
pub fn core_err(e: Error) -> JsValue {
    js_error(Code::of(&e), &e.to_string())
}

/// The JS `Error` of a failure to load an artifact: whatever the core error, the artifact is
/// what cannot be used (a crafted one may hold a model configuration that cannot be built).
pub fn artifact_err(e: Error) -> JsValue {
    js_error(Code::BadArtifact, &e.to_string())
}

/// JSON text of a result.
pub fn to_text<T: Serialize>(value: &T) -> Result<String, JsValue> {
    serde_json::to_string(value).map_err(|e| js_error(Code::Internal, &e.to_string()))
}

//! seqrisk for JavaScript.
//!
//! ```js
//! const scorer = new Scorer(artifactBytes);          // Uint8Array of a .seqrisk file
//! const r = scorer.score(sessionJson);                // string or object, schema of the artifact
//! // r = { id, score, explanation: { current_event, events, weights: { alpha, beta }, top_events } }
//! const rs = scorer.scoreBatch(arrayOfSessions);      // JSON array text or array
//! ```
//!
//! Every failure comes back as a JavaScript `Error` whose message names the field or byte at
//! fault; nothing here panics on user input. Parsing, encoding and the model are
//! `seqrisk-core`'s, the same code the native trainer uses.

use burn::prelude::Device;
use seqrisk_core::Location;
use seqrisk_core::artifact::Artifact;
use seqrisk_core::schema::{Session, session_from_json};
use seqrisk_core::scorer;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A loaded model.
#[wasm_bindgen]
pub struct Scorer {
    inner: scorer::Scorer,
    kind: String,
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Accept a JSON string or a plain JS value.
fn to_json(input: JsValue, what: &str) -> Result<serde_json::Value, JsError> {
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

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .map_err(js_err)
}

#[wasm_bindgen]
impl Scorer {
    /// Load an artifact (the bytes of a `.seqrisk` file) on the CPU backend.
    #[wasm_bindgen(constructor)]
    pub fn new(artifact: &[u8]) -> Result<Scorer, JsError> {
        let artifact = Artifact::from_bytes(artifact).map_err(js_err)?;
        let kind = artifact
            .header
            .model_config()
            .map_err(js_err)?
            .kind()
            .to_string();
        let inner = scorer::Scorer::from_artifact(&artifact, Device::flex()).map_err(js_err)?;
        Ok(Scorer { inner, kind })
    }

    /// The model kind (`"nhfm"`, …).
    #[wasm_bindgen(getter)]
    pub fn model(&self) -> String {
        self.kind.clone()
    }

    /// The backend in use.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        "cpu".into()
    }

    /// Score one session (JSON text or object).
    pub fn score(&self, session: JsValue) -> Result<JsValue, JsError> {
        let json = to_json(session, "session")?;
        let s = session_from_json(
            &json,
            &self.inner.encoder.schema,
            &Location::new("session", 0),
        )
        .map_err(js_err)?;
        let mut scored = self.inner.score(std::slice::from_ref(&s)).map_err(js_err)?;
        match scored.pop() {
            Some(r) => to_js(&r),
            None => Err(JsError::new("internal: no score returned")),
        }
    }

    /// Score several sessions (a JSON array as text, or an array).
    #[wasm_bindgen(js_name = scoreBatch)]
    pub fn score_batch(&self, sessions: JsValue) -> Result<JsValue, JsError> {
        let json = to_json(sessions, "sessions")?;
        let items = json
            .as_array()
            .ok_or_else(|| JsError::new("sessions: expected an array of sessions"))?;
        let schema = &self.inner.encoder.schema;
        let parsed: Vec<Session> = items
            .iter()
            .enumerate()
            .map(|(i, v)| session_from_json(v, schema, &Location::new(format!("sessions[{i}]"), 0)))
            .collect::<Result<_, _>>()
            .map_err(js_err)?;
        to_js(&self.inner.score(&parsed).map_err(js_err)?)
    }
}

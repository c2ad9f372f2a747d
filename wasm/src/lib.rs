//! seqrisk for JavaScript: the wasm side of the `seqrisk` npm package (`wasm/js/`).
//!
//! ```js
//! const scorer = await Scorer.create(artifactBytes, "auto");  // "auto" | "webgpu" | "cpu"
//! scorer.backend;          // "webgpu" or "cpu"
//! scorer.fallbackReason;   // why "auto" ended on the CPU, else undefined
//! const r = await scorer.score(sessionJson);   // JSON text in the artifact's schema
//! // r = JSON text of { id, score, explanation: { current_event, events, weights, top_events } }
//! const rs = await scorer.scoreBatch(arrayJson);
//! const s = scorer.scoreSync(sessionJson);     // CPU backend only
//! ```
//!
//! Sessions and results cross the boundary as JSON text; the package's JS (`wasm/js/`) does the
//! `JSON.stringify`/`JSON.parse` so its callers pass and get plain objects.
//!
//! Two builds come from this crate: the CPU build (Flex with simd128) and, with the `webgpu`
//! feature, the WebGPU build (which also carries the CPU backend as its fallback). Every failure
//! comes back as a JavaScript `Error` whose message names the field or byte at fault; nothing
//! here panics on user input. Parsing, encoding and the model are `seqrisk-core`'s, the same
//! code the native trainer uses.

mod backend;
mod json;

use backend::{Chosen, Requested};
use json::{js_err, parse, to_text};
use seqrisk_core::Location;
use seqrisk_core::artifact::Artifact;
use seqrisk_core::schema::{Session, parse_session_json, session_from_json};
use seqrisk_core::scorer::{self, SessionScore};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// Whether this build carries the WebGPU backend.
#[wasm_bindgen(js_name = webgpuCompiled)]
pub fn webgpu_compiled() -> bool {
    backend::WEBGPU_COMPILED
}

/// A loaded model on one backend.
#[wasm_bindgen]
pub struct Scorer {
    inner: Rc<scorer::Scorer>,
    kind: String,
    card: String,
    backend: &'static str,
    fallback_reason: Option<String>,
}

impl Scorer {
    fn load(artifact: &[u8], chosen: Chosen) -> Result<Scorer, JsError> {
        let artifact = Artifact::from_bytes(artifact).map_err(js_err)?;
        let card = artifact.header.card().map_err(js_err)?;
        let kind = card.model.clone();
        let card = to_text(&card)?;
        let inner = scorer::Scorer::from_artifact(&artifact, chosen.device).map_err(js_err)?;
        Ok(Scorer {
            inner: Rc::new(inner),
            kind,
            card,
            backend: chosen.name,
            fallback_reason: chosen.fallback_reason,
        })
    }

    fn require_cpu(&self, call: &str) -> Result<(), JsError> {
        if self.backend == "cpu" {
            Ok(())
        } else {
            Err(JsError::new(&format!(
                "{call} reads results back synchronously, which the {} backend cannot do; use the async form",
                self.backend
            )))
        }
    }
}

/// One session's JSON text, read by the same core function as the CLI's data files, so both
/// name a fault alike (`session: field `events[0].ts`: …`).
fn parse_one(scorer: &scorer::Scorer, session: &str) -> Result<Vec<Session>, JsError> {
    let location = Location::new("session", 0);
    let s = parse_session_json(session, &scorer.encoder.schema, &location).map_err(js_err)?;
    Ok(vec![s])
}

fn parse_many(scorer: &scorer::Scorer, sessions: &str) -> Result<Vec<Session>, JsError> {
    let json = parse(sessions, "sessions")?;
    let items = json
        .as_array()
        .ok_or_else(|| JsError::new("sessions: expected an array of sessions"))?;
    let schema = &scorer.encoder.schema;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| session_from_json(v, schema, &Location::new(format!("sessions[{i}]"), 0)))
        .collect::<Result<_, _>>()
        .map_err(js_err)
}

fn first(mut scored: Vec<SessionScore>) -> Result<String, JsError> {
    match scored.pop() {
        Some(r) => to_text(&r),
        None => Err(JsError::new("internal: no score returned")),
    }
}

/// Run `parse` then score asynchronously: a Promise of the result's JSON text that rejects
/// with a JS `Error`.
fn score_promise(
    inner: Rc<scorer::Scorer>,
    input: String,
    parse: fn(&scorer::Scorer, &str) -> Result<Vec<Session>, JsError>,
    single: bool,
) -> js_sys::Promise {
    future_to_promise(async move {
        let sessions = parse(&inner, &input)?;
        let scored = inner.score_async(&sessions).await.map_err(js_err)?;
        let text = if single {
            first(scored)?
        } else {
            to_text(&scored)?
        };
        Ok(JsValue::from_str(&text))
    })
}

#[wasm_bindgen]
impl Scorer {
    /// Load an artifact (the bytes of a `.seqrisk` file) on the CPU backend, synchronously.
    #[wasm_bindgen(constructor)]
    pub fn new(artifact: &[u8]) -> Result<Scorer, JsError> {
        Self::load(artifact, backend::cpu(None))
    }

    /// Load an artifact on `backend` (`"auto"`, the default, `"webgpu"` or `"cpu"`).
    pub async fn create(artifact: Vec<u8>, backend: Option<String>) -> Result<Scorer, JsError> {
        let requested = Requested::parse(backend.as_deref()).map_err(js_err)?;
        let chosen = backend::choose(requested).await.map_err(js_err)?;
        Self::load(&artifact, chosen)
    }

    /// The model and variant (`"nhfm"`, `"difm"`, `"difm-same"`, …).
    #[wasm_bindgen(getter)]
    pub fn model(&self) -> String {
        self.kind.clone()
    }

    /// The model card as JSON text: metrics, ROC curve, training summary with the decision
    /// threshold, schema.
    #[wasm_bindgen(getter)]
    pub fn card(&self) -> String {
        self.card.clone()
    }

    /// The backend in use: `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.into()
    }

    /// Why `"auto"` ended on the CPU; `undefined` when it did not fall back.
    #[wasm_bindgen(getter, js_name = fallbackReason)]
    pub fn fallback_reason(&self) -> Option<String> {
        self.fallback_reason.clone()
    }

    /// Score one session (JSON text); resolves to the JSON text of `{ id, score, explanation }`.
    pub fn score(&self, session: String) -> js_sys::Promise {
        score_promise(self.inner.clone(), session, parse_one, true)
    }

    /// Score several sessions (a JSON array as text); resolves to the JSON text of an array.
    #[wasm_bindgen(js_name = scoreBatch)]
    pub fn score_batch(&self, sessions: String) -> js_sys::Promise {
        score_promise(self.inner.clone(), sessions, parse_many, false)
    }

    /// [`Scorer::score`] without a Promise; CPU backend only.
    #[wasm_bindgen(js_name = scoreSync)]
    pub fn score_sync(&self, session: &str) -> Result<String, JsError> {
        self.require_cpu("scoreSync")?;
        let sessions = parse_one(&self.inner, session)?;
        first(self.inner.score(&sessions).map_err(js_err)?)
    }

    /// [`Scorer::score_batch`] without a Promise; CPU backend only.
    #[wasm_bindgen(js_name = scoreBatchSync)]
    pub fn score_batch_sync(&self, sessions: &str) -> Result<String, JsError> {
        self.require_cpu("scoreBatchSync")?;
        let sessions = parse_many(&self.inner, sessions)?;
        to_text(&self.inner.score(&sessions).map_err(js_err)?)
    }
}

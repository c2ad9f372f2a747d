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
//! comes back as a JavaScript `Error` whose message names the field or byte at fault and whose
//! `code` says what kind of fault it is (`json::Code`); nothing here panics on user input, and
//! should a bug panic, the hook in `panic` keeps its message for the JS side to throw. Sessions
//! are read within the scorer's [`Limits`], before anything proportional to them is allocated. Parsing, encoding and the model are `seqrisk-core`'s, the same
//! code the native trainer uses.

mod backend;
mod json;
mod panic;

use backend::{Chosen, Requested};
use json::{Code, artifact_err, core_err, js_error, to_text};
use seqrisk_core::Location;
use seqrisk_core::artifact::Artifact;
use seqrisk_core::monitor::{Counts, DriftLimits};
use seqrisk_core::policy::Bands;
use seqrisk_core::schema::{Limits, Session, parse_session_json, parse_sessions_json};
use seqrisk_core::scorer::{self, SessionScore};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

pub use panic::take_panic_message;

/// Whether this build carries the WebGPU backend.
#[wasm_bindgen(js_name = webgpuCompiled)]
pub fn webgpu_compiled() -> bool {
    backend::WEBGPU_COMPILED
}

/// A loaded model on one backend.
#[wasm_bindgen]
pub struct Scorer {
    inner: Rc<Scoring>,
    kind: String,
    card: String,
    backend: &'static str,
    fallback_reason: Option<String>,
    bands: Bands,
}

/// The model, the limits every read of a session is held to, and the drift counts of every
/// session scored.
struct Scoring {
    scorer: scorer::Scorer,
    limits: Limits,
    stats: RefCell<Option<Counts>>,
}

impl Scoring {
    /// Count scored sessions into the drift counts, passing the scores on.
    fn counted(&self, sessions: &[Session], scored: Vec<SessionScore>) -> Vec<SessionScore> {
        if let Some(counts) = self.stats.borrow_mut().as_mut() {
            self.scorer.count(counts, sessions, &scored);
        }
        scored
    }
}

/// `limits` as the JS package passes them: JSON text of [`Limits`] (absent: the defaults).
fn read_limits(limits: Option<&str>) -> Result<Limits, JsValue> {
    let limits = match limits {
        None => Limits::default(),
        Some(text) => serde_json::from_str::<Limits>(text)
            .map_err(|e| js_error(Code::BadOptions, &format!("options.limits: {e}")))?,
    };
    limits
        .validate()
        .map_err(|e| js_error(Code::BadOptions, &format!("options.limits: {e}")))?;
    Ok(limits)
}

impl Scorer {
    fn load(artifact: &[u8], chosen: Chosen, limits: Limits) -> Result<Scorer, JsValue> {
        let artifact = Artifact::from_bytes(artifact).map_err(artifact_err)?;
        let card = artifact.header.card().map_err(artifact_err)?;
        let kind = card.model.clone();
        let card = to_text(&card)?;
        let scorer =
            scorer::Scorer::from_artifact(&artifact, chosen.device).map_err(artifact_err)?;
        Ok(Scorer {
            bands: scorer.default_bands(),
            inner: Rc::new(Scoring {
                stats: RefCell::new(scorer.new_counts()),
                scorer,
                limits,
            }),
            kind,
            card,
            backend: chosen.name,
            fallback_reason: chosen.fallback_reason,
        })
    }

    fn require_cpu(&self, call: &str) -> Result<(), JsValue> {
        if self.backend == "cpu" {
            Ok(())
        } else {
            Err(js_error(
                Code::BadOptions,
                &format!(
                    "{call} reads results back synchronously, which the {} backend cannot do; use the async form",
                    self.backend
                ),
            ))
        }
    }
}

/// One session's JSON text, read by the same core function as the CLI's data files (so both
/// name a fault alike: `session: field `events[0].ts`: …`), within the scorer's limits.
fn parse_one(s: &Scoring, session: &str) -> Result<Vec<Session>, JsValue> {
    let location = Location::new("session", 0);
    let schema = &s.scorer.encoder.schema;
    let session = parse_session_json(session, schema, &location, &s.limits).map_err(core_err)?;
    // a build for the panic hook's test only (`--features panic-probe`): a known panic
    #[cfg(feature = "panic-probe")]
    if session.id == "seqrisk-panic-probe" {
        panic!("panic probe: session {}", session.id);
    }
    Ok(vec![session])
}

/// A JSON array of sessions, at most `max_batch` of them.
fn parse_many(s: &Scoring, sessions: &str) -> Result<Vec<Session>, JsValue> {
    let location = Location::new("sessions", 0);
    let schema = &s.scorer.encoder.schema;
    parse_sessions_json(sessions, schema, &location, &s.limits).map_err(core_err)
}

fn first(mut scored: Vec<SessionScore>) -> Result<String, JsValue> {
    match scored.pop() {
        Some(r) => to_text(&r),
        None => Err(js_error(Code::Internal, "internal: no score returned")),
    }
}

/// The JSON text of one result (`single`) or of all.
fn render(scored: Vec<SessionScore>, single: bool) -> Result<String, JsValue> {
    if single {
        first(scored)
    } else {
        to_text(&scored)
    }
}

/// A Promise of the JSON text of `input`'s scores, rejecting with a JS `Error`. On the CPU the
/// work runs within this call, so that a panic (a bug), should one happen, traps in the
/// caller's frame, where the JS package catches it; on WebGPU the read-back is awaited, and a
/// panic meanwhile rejects the Promise through [`panic::promise`].
fn score_promise(
    inner: &Rc<Scoring>,
    cpu: bool,
    input: String,
    parse: fn(&Scoring, &str) -> Result<Vec<Session>, JsValue>,
    single: bool,
) -> js_sys::Promise {
    let sessions = match parse(inner, &input) {
        Ok(sessions) => sessions,
        Err(e) => return js_sys::Promise::reject(&e),
    };
    drop(input);
    if cpu {
        let text = inner
            .scorer
            .score(&sessions)
            .map_err(core_err)
            .and_then(|scored| render(inner.counted(&sessions, scored), single));
        return match text {
            Ok(text) => js_sys::Promise::resolve(&JsValue::from_str(&text)),
            Err(e) => js_sys::Promise::reject(&e),
        };
    }
    let inner = inner.clone();
    panic::promise(async move {
        let scored = inner
            .scorer
            .score_async(&sessions)
            .await
            .map_err(core_err)?;
        Ok(JsValue::from_str(&render(
            inner.counted(&sessions, scored),
            single,
        )?))
    })
}

#[wasm_bindgen]
impl Scorer {
    /// Load an artifact (the bytes of a `.seqrisk` file) on the CPU backend, synchronously,
    /// with the default limits.
    #[wasm_bindgen(constructor)]
    pub fn new(artifact: &[u8]) -> Result<Scorer, JsValue> {
        Self::load(artifact, backend::cpu(None), Limits::default())
    }

    /// Load an artifact on `backend` (`"auto"`, the default, `"webgpu"` or `"cpu"`); `limits`
    /// is the JSON text of the limits every session read is held to (absent: the defaults);
    /// `webgpu_unavailable`, why the caller knows WebGPU is out of reach here (then `"auto"`
    /// falls back with that reason and `"webgpu"` fails with it).
    pub async fn create(
        artifact: Vec<u8>,
        backend: Option<String>,
        limits: Option<String>,
        webgpu_unavailable: Option<String>,
    ) -> Result<Scorer, JsValue> {
        let limits = read_limits(limits.as_deref())?;
        let requested =
            Requested::parse(backend.as_deref()).map_err(|e| js_error(Code::BadOptions, &e))?;
        let chosen = backend::choose(requested, webgpu_unavailable)
            .await
            .map_err(|e| js_error(Code::BadOptions, &e))?;
        Self::load(&artifact, chosen, limits)
    }

    /// The limits in force, as JSON text (`max_input_bytes`, `max_events`,
    /// `max_string_bytes`, `max_batch`).
    #[wasm_bindgen(getter)]
    pub fn limits(&self) -> Result<String, JsValue> {
        to_text(&self.inner.limits)
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
        score_promise(&self.inner, self.backend == "cpu", session, parse_one, true)
    }

    /// Score several sessions (a JSON array as text); resolves to the JSON text of an array.
    #[wasm_bindgen(js_name = scoreBatch)]
    pub fn score_batch(&self, sessions: String) -> js_sys::Promise {
        score_promise(
            &self.inner,
            self.backend == "cpu",
            sessions,
            parse_many,
            false,
        )
    }

    /// [`Scorer::score`] without a Promise; CPU backend only.
    #[wasm_bindgen(js_name = scoreSync)]
    pub fn score_sync(&self, session: &str) -> Result<String, JsValue> {
        self.require_cpu("scoreSync")?;
        let sessions = parse_one(&self.inner, session)?;
        let scored = self.inner.scorer.score(&sessions).map_err(core_err)?;
        first(self.inner.counted(&sessions, scored))
    }

    /// Map scores to bands with a policy file's TOML text (its `from` targets resolved against
    /// the model card); until then, `allow` / `review` at the card's threshold.
    #[wasm_bindgen(js_name = setPolicy)]
    pub fn set_policy(&mut self, policy: &str) -> Result<(), JsValue> {
        self.bands = self
            .inner
            .scorer
            .bands(policy)
            .map_err(|e| js_error(Code::BadOptions, &format!("options.policy: {e}")))?;
        Ok(())
    }

    /// Drift of every session this scorer has scored from the training data, as the JSON text
    /// of a drift report (PSI per field and for the score, with `watch` and `act` limits as
    /// given, else 0.1 and 0.25) and the counts behind it: aggregates only, no event.
    pub fn stats(&self, watch: Option<f64>, act: Option<f64>) -> Result<String, JsValue> {
        let defaults = DriftLimits::default();
        let limits = DriftLimits {
            watch: watch.unwrap_or(defaults.watch),
            act: act.unwrap_or(defaults.act),
        };
        if !(limits.watch > 0.0 && limits.watch <= limits.act && limits.act.is_finite()) {
            return Err(js_error(
                Code::BadOptions,
                "stats: the limits must be positive, with watch ≤ act",
            ));
        }
        let stats = self.inner.stats.borrow();
        let Some(counts) = stats.as_ref() else {
            return Err(js_error(
                Code::BadOptions,
                "stats: this artifact holds no monitoring reference (the cluster model's does not)",
            ));
        };
        let report = self.inner.scorer.drift(counts, limits);
        to_text(&serde_json::json!({ "report": report, "counts": counts }))
    }

    /// Forget the drift counts (start a new monitoring period).
    #[wasm_bindgen(js_name = resetStats)]
    pub fn reset_stats(&self) {
        *self.inner.stats.borrow_mut() = self.inner.scorer.new_counts();
    }

    /// The band of a (calibrated) score.
    pub fn decide(&self, score: f64) -> String {
        self.bands.decide(score).to_string()
    }

    /// [`Scorer::score_batch`] without a Promise; CPU backend only.
    #[wasm_bindgen(js_name = scoreBatchSync)]
    pub fn score_batch_sync(&self, sessions: &str) -> Result<String, JsValue> {
        self.require_cpu("scoreBatchSync")?;
        let sessions = parse_many(&self.inner, sessions)?;
        let scored = self.inner.scorer.score(&sessions).map_err(core_err)?;
        to_text(&self.inner.counted(&sessions, scored))
    }
}

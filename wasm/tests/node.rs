//! wasm-bindgen tests of the JS boundary, run under Node by `wasm-bindgen-test-runner`.

use burn::prelude::Device;
use seqrisk_core::artifact::{Artifact, Header, TrainingSummary};
use seqrisk_core::encode::Encoder;
use seqrisk_core::models::{ModelConfig, ModelSpec};
use seqrisk_core::schema::Schema;
use seqrisk_core::synth::{SynthConfig, generate};
use seqrisk_wasm::Scorer;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn artifact_bytes() -> (Vec<u8>, Vec<String>) {
    let schema = Schema::synthetic_default();
    let data = generate(SynthConfig {
        sessions: 60,
        ..Default::default()
    });
    let sessions: Vec<_> = data.iter().map(|d| &d.session).collect();
    let encoder = Encoder::fit(&schema, &sessions).unwrap();
    let config = ModelConfig::default_for(ModelSpec::default(), &encoder);
    let device = Device::flex();
    device.seed(3);
    let model = config.init(&device);
    let header = Header {
        seqrisk_version: "test".into(),
        created_unix: 0,
        model_config_json: serde_json::to_string(&config).unwrap(),
        encoder,
        test_metrics: None,
        test_roc: vec![],
        data_fingerprint: "wasm test".into(),
        training: TrainingSummary::default(),
        calibration: None,
        policy_points: Vec::new(),
        monitoring: None,
    };
    let bytes = Artifact::new(header, model).unwrap().to_bytes().unwrap();
    let lines = data
        .iter()
        .take(5)
        .map(|d| d.to_json_line(&schema))
        .collect();
    (bytes, lines)
}

/// The text of a JS `Error` (its debug form carries the message).
fn message(e: JsValue) -> String {
    format!("{e:?}")
}

#[wasm_bindgen_test]
fn scores_sessions_with_explanations() {
    let (bytes, lines) = artifact_bytes();
    let scorer = Scorer::new(&bytes).unwrap();
    assert_eq!(scorer.model(), "nhfm");
    let r = scorer.score_sync(&lines[0]).unwrap();
    let r: serde_json::Value = serde_json::from_str(&r).unwrap();
    let score = r["score"].as_f64().unwrap();
    assert!(score > 0.0 && score < 1.0, "{r}");
    assert!(r["explanation"]["weights"]["alpha"].is_array(), "{r}");
    assert!(r["explanation"]["weights"]["beta"].is_array(), "{r}");
    let batch = format!("[{}]", lines.join(","));
    let rs = scorer.score_batch_sync(&batch).unwrap();
    let rs: Vec<serde_json::Value> = serde_json::from_str(&rs).unwrap();
    assert_eq!(rs.len(), 5);
    assert_eq!(rs[0]["score"], r["score"], "batch and single scoring agree");
}

#[wasm_bindgen_test]
fn bad_input_is_a_js_error_not_a_trap() {
    let (bytes, _) = artifact_bytes();
    let scorer = Scorer::new(&bytes).unwrap();
    let e = scorer
        .score_sync(r#"{"id":"x","events":[{"ts":1,"amount":"lots"}]}"#)
        .unwrap_err();
    assert!(message(e).contains("events[0].amount"));
    let e = scorer.score_sync("{not json").unwrap_err();
    assert!(message(e).contains("session: field `<session>`: malformed input"));

    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    let e = Scorer::new(&flipped).map(|_| ()).unwrap_err();
    assert!(message(e).contains("checksum mismatch"));
    let e = Scorer::new(&bytes[..10]).map(|_| ()).unwrap_err();
    assert!(message(e).contains("truncated"));
}

async fn create(bytes: &[u8], backend: &str) -> Result<Scorer, String> {
    Scorer::create(bytes.to_vec(), Some(backend.into()), None, None)
        .await
        .map_err(message)
}

#[wasm_bindgen_test]
async fn auto_on_the_cpu_build_falls_back_and_says_why() {
    let (bytes, lines) = artifact_bytes();
    let scorer = create(&bytes, "auto").await.unwrap();
    assert_eq!(scorer.backend(), "cpu");
    let reason = scorer.fallback_reason().unwrap_or_default();
    assert!(reason.contains("CPU build"), "{reason}");
    assert!(
        create(&bytes, "cpu")
            .await
            .unwrap()
            .fallback_reason()
            .is_none()
    );
    let e = create(&bytes, "webgpu").await.map(|_| ()).unwrap_err();
    assert!(e.contains("WebGPU unavailable"), "{e}");
    let e = create(&bytes, "tpu").await.map(|_| ()).unwrap_err();
    assert!(e.contains("options.backend") && e.contains("tpu"), "{e}");
    // a reason the caller already has (the JS package's navigator.gpu check) is the one given
    let why = Some("navigator.gpu is undefined".to_string());
    let known = Scorer::create(bytes.clone(), Some("auto".into()), None, why.clone())
        .await
        .map_err(message)
        .unwrap();
    assert_eq!(known.fallback_reason(), why);
    let e = Scorer::create(bytes.clone(), Some("webgpu".into()), None, why)
        .await
        .map(|_| ())
        .map_err(message)
        .unwrap_err();
    assert!(
        e.contains("WebGPU unavailable: navigator.gpu is undefined"),
        "{e}"
    );

    // the Promise form resolves to what the synchronous one returns, and rejects on bad input
    let async_score = JsFuture::from(scorer.score(lines[0].clone()))
        .await
        .unwrap();
    let sync_score = scorer.score_sync(&lines[0]).unwrap();
    let a: serde_json::Value = serde_json::from_str(&async_score.as_string().unwrap()).unwrap();
    let b: serde_json::Value = serde_json::from_str(&sync_score).unwrap();
    assert_eq!(a, b);
    let e = JsFuture::from(scorer.score("{not json".into()))
        .await
        .unwrap_err();
    assert!(message(e).contains("session: field `<session>`: malformed input"));
}

/// The `code` a JS `Error` from the scorer carries.
fn code(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"code".into())
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

fn session_of(events: usize, event_type: &str) -> String {
    let events: Vec<String> = (0..events)
        .map(|i| format!(r#"{{"ts":{i},"event_type":"{event_type}"}}"#))
        .collect();
    format!(r#"{{"id":"s","events":[{}]}}"#, events.join(","))
}

#[wasm_bindgen_test]
async fn limits_are_held_and_every_error_carries_its_code() {
    let (bytes, _) = artifact_bytes();
    let limits = r#"{"max_events": 3, "max_string_bytes": 12, "max_batch": 2}"#;
    let scorer = Scorer::create(bytes.clone(), Some("cpu".into()), Some(limits.into()), None)
        .await
        .unwrap();
    let held: serde_json::Value = serde_json::from_str(&scorer.limits().unwrap()).unwrap();
    assert_eq!(held["max_events"], 3);
    assert_eq!(
        held["max_input_bytes"],
        256 << 20,
        "unset limits keep their default"
    );

    assert!(scorer.score_sync(&session_of(3, "login")).is_ok());
    let over = |text: &str| scorer.score_sync(text).unwrap_err();
    let e = over(&session_of(4, "login"));
    assert_eq!(code(&e), "SEQRISK_OVER_LIMIT");
    assert!(message(e).contains("field `events`: over the limit: more than 3 events"));
    let e = over(&session_of(1, "a-long-event-type"));
    assert_eq!(code(&e), "SEQRISK_OVER_LIMIT");
    assert!(message(e).contains("field `events[0].event_type`"));
    let batch = format!("[{0},{0},{0}]", session_of(1, "login"));
    let e = scorer.score_batch_sync(&batch).unwrap_err();
    assert_eq!(code(&e), "SEQRISK_OVER_LIMIT");
    assert!(message(e).contains("more than 2 sessions"));

    let e = over("{not json");
    assert_eq!(code(&e), "SEQRISK_MALFORMED_JSON");
    let e = over(r#"{"id":"x","events":[{"ts":1,"amount":"lots"}]}"#);
    assert_eq!(code(&e), "SEQRISK_BAD_SESSION");
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    let e = Scorer::new(&flipped).map(|_| ()).unwrap_err();
    assert_eq!(code(&e), "SEQRISK_BAD_ARTIFACT");
    for bad in [r#"{"max_events": 0}"#, r#"{"max_event": 5}"#] {
        let e = Scorer::create(bytes.clone(), None, Some(bad.into()), None)
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(code(&e), "SEQRISK_BAD_OPTIONS", "{bad}");
    }
}

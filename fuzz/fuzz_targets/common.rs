//! What the fuzz targets share: the synthetic schema and a scorer of a freshly initialised NHFM
//! fitted to a few synthetic sessions (built once per process), and the check every parsed
//! session must pass (`tests/support/invariants.rs`, shared with the property tests): it encodes
//! to finite features and scores in (0, 1).

use burn::prelude::Device;
use seqrisk_core::artifact::{Artifact, Header, TrainingSummary};
use seqrisk_core::encode::Encoder;
use seqrisk_core::models::{ModelConfig, ModelSpec};
use seqrisk_core::schema::{Schema, Session};
use seqrisk_core::scorer::Scorer;
use seqrisk_core::synth::{SynthConfig, generate};
use std::sync::OnceLock;

pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(Schema::synthetic_default)
}

pub fn scorer() -> &'static Scorer {
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    SCORER.get_or_init(|| {
        let data = generate(SynthConfig {
            sessions: 60,
            ..Default::default()
        });
        let sessions: Vec<_> = data.iter().map(|d| &d.session).collect();
        let encoder = Encoder::fit(schema(), &sessions).expect("synthetic sessions fit");
        let config = ModelConfig::default_for(ModelSpec::default(), &encoder);
        let device = Device::flex();
        device.seed(7);
        let model = config.init(&device);
        let header = Header {
            seqrisk_version: "fuzz".into(),
            created_unix: 0,
            model_config_json: serde_json::to_string(&config).expect("config serialises"),
            encoder,
            test_metrics: None,
            test_roc: vec![],
            data_fingerprint: "fuzz".into(),
            training: TrainingSummary::default(),
        };
        let artifact = Artifact::new(header, model).expect("artifact builds");
        Scorer::from_artifact(&artifact, device).expect("scorer loads")
    })
}

#[path = "../../tests/support/invariants.rs"]
mod invariants;

/// A parsed session must check, encode to finite features and score in (0, 1) — or be refused
/// with an error; anything else (a panic, a non-finite feature, a score outside (0, 1)) aborts.
pub fn holds_up(session: &Session) {
    invariants::holds_up(scorer(), session, "the fuzzed input");
}

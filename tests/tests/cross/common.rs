//! Shared helpers: small models trained once per test binary.

use seqrisk_core::artifact::Artifact;
use seqrisk_core::models::ModelSpec;
use seqrisk_core::schema::{Schema, Session};
use seqrisk_core::synth::{SynthConfig, SyntheticSession, generate};
use seqrisk_native::train::{TrainOptions, TrainOutcome, train};
use std::sync::OnceLock;

pub struct Trained {
    pub data: Vec<SyntheticSession>,
    pub outcome: TrainOutcome,
    pub bytes: Vec<u8>,
}

pub fn schema() -> Schema {
    Schema::synthetic_default()
}

/// The models the cross-crate tests train: NHFM (index 0), DIFM (1) and the GBDT baseline (2,
/// whose trees live in the artifact header rather than in the weights).
pub const MODELS: [&str; 3] = ["nhfm", "difm", "gbdt"];

/// The shared NHFM.
pub fn trained() -> &'static Trained {
    trained_model(0)
}

/// [`MODELS`]`[i]` on 1,500 synthetic sessions, two epochs: small, but a real training run.
pub fn trained_model(i: usize) -> &'static Trained {
    static CELLS: [OnceLock<Trained>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    CELLS[i].get_or_init(|| {
        let data = generate(SynthConfig {
            sessions: 1500,
            fraud_rate: 0.05,
            seed: 7,
            ..Default::default()
        });
        let sessions: Vec<Session> = data.iter().map(|d| d.session.clone()).collect();
        let opts = TrainOptions {
            model: MODELS[i].parse::<ModelSpec>().expect("a known model"),
            epochs: 2,
            progress: false,
            ..Default::default()
        };
        let outcome = train(&sessions, &schema(), &opts, "tests").expect("training runs");
        let bytes = outcome.artifact.to_bytes().expect("artifact serialises");
        Trained {
            data,
            outcome,
            bytes,
        }
    })
}

pub fn reload(bytes: &[u8]) -> Artifact {
    Artifact::from_bytes(bytes).expect("artifact loads")
}

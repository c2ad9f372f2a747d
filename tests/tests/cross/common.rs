//! Shared helpers: small models trained once per test binary.

use seqrisk_core::artifact::Artifact;
use seqrisk_core::cluster::Hdbscan;
use seqrisk_core::models::ModelSpec;
use seqrisk_core::models::behavior_cluster::Representation;
use seqrisk_core::schema::{NumericEncoding, Schema, Session};
use seqrisk_core::synth::credit::{CreditConfig, generate_credit};
use seqrisk_core::synth::payments::{PaymentsConfig, generate_payments};
use seqrisk_core::synth::{SynthConfig, generate};
use seqrisk_native::cluster::{ClusterOptions, cluster};
use seqrisk_native::rules::RuleOptions;
use seqrisk_native::train::{TrainOptions, TrainOutcome, train};
use std::sync::{Arc, OnceLock};

pub struct Trained {
    /// The schema the model was trained with.
    pub schema: Schema,
    /// Its training data.
    pub sessions: Vec<Session>,
    pub outcome: TrainOutcome,
    pub bytes: Vec<u8>,
}

pub fn schema() -> Schema {
    Schema::synthetic_default()
}

/// The models the cross-crate tests train: NHFM (index 0), DIFM (1), the GBDT baseline (2,
/// whose trees live in the artifact header rather than in the weights), HUIHEN (3, on the
/// credit scenario, pretrained on its older population) and LBSF (4, on the payments
/// scenario). Each numeric encoding is under every parity test through one of them
/// ([`encoding`]): NHFM reads the numbers scaled (the papers' `x·v`), DIFM quantile-encoded,
/// the GBDT and HUIHEN piecewise-linear (PLE).
pub const MODELS: [&str; 5] = ["nhfm", "difm", "gbdt", "huihen", "lbsf"];

/// The numeric encoding [`MODELS`]`[i]` is trained with.
pub fn encoding(model: &str) -> NumericEncoding {
    match model {
        "difm" => NumericEncoding::Quantile,
        "gbdt" | "huihen" => NumericEncoding::Ple,
        _ => NumericEncoding::Scale,
    }
}

/// Whether [`MODELS`]`[i]` also reads the amount's derived deviation from the session's
/// history (`deviation = true`): DIFM (quantile-encoded, so the deviation is too) and the GBDT
/// (PLE), so parity covers the derived field under two encodings.
pub fn deviations(model: &str) -> bool {
    matches!(model, "difm" | "gbdt")
}

/// Whether [`MODELS`]`[i]`'s wide part also reads the session's aggregates (`aggregates =
/// true`): DIFM, so parity covers the aggregates' term and its batch-normalisation statistics
/// travelling in the artifact.
pub fn aggregates(model: &str) -> bool {
    model == "difm"
}

/// The shared NHFM.
pub fn trained() -> &'static Trained {
    trained_model(0)
}

/// [`MODELS`]`[i]` on 1,500 synthetic sessions (HUIHEN: 600 credit applicants and 3,000 older
/// ones; LBSF: 300 users with about 150 payments each), two epochs: small, but a real training
/// run.
pub fn trained_model(i: usize) -> &'static Trained {
    static CELLS: [OnceLock<Trained>; MODELS.len()] = [const { OnceLock::new() }; MODELS.len()];
    CELLS[i].get_or_init(|| {
        let model = MODELS[i].parse::<ModelSpec>().expect("a known model");
        let (schema, sessions, old) = if model.needs_session_view() {
            let data = generate_credit(CreditConfig {
                users: 600,
                old_users: 3000,
                seed: 7,
                ..Default::default()
            });
            let mut schema = Schema::credit_default();
            schema.numeric_encoding = Some(encoding(MODELS[i]));
            (schema, data.users, Some(Arc::new(data.old_users)))
        } else if model.payment_view().is_some() {
            let users = generate_payments(PaymentsConfig {
                users: 300,
                median_payments: 150.0,
                seed: 7,
                ..Default::default()
            });
            (Schema::payments_default(), users, None)
        } else {
            let data = generate(SynthConfig {
                sessions: 1500,
                fraud_rate: 0.05,
                seed: 7,
                ..Default::default()
            });
            let mut schema = schema();
            schema.numeric_encoding = Some(encoding(MODELS[i]));
            if deviations(MODELS[i]) {
                schema.event.numeric[0].deviation = true;
            }
            (schema, data.into_iter().map(|d| d.session).collect(), None)
        };
        let mut opts = TrainOptions {
            model,
            epochs: 2,
            progress: false,
            old_sessions: old,
            ..Default::default()
        };
        opts.overrides.aggregates = aggregates(MODELS[i]).then_some(true);
        let outcome = train(&sessions, &schema, &opts, "tests").expect("training runs");
        let bytes = outcome.artifact.to_bytes().expect("artifact serialises");
        Trained {
            schema,
            sessions,
            outcome,
            bytes,
        }
    })
}

pub fn reload(bytes: &[u8]) -> Artifact {
    Artifact::from_bytes(bytes).expect("artifact loads")
}

/// A cluster model (FinDeepBehaviorCluster) and its training sessions.
pub struct Clustered {
    /// The schema.
    pub schema: Schema,
    /// The sessions clustered.
    pub sessions: Vec<Session>,
    /// The artifact.
    pub bytes: Vec<u8>,
}

/// The cluster model on 1,500 synthetic sessions with 20% fraud (the planted groups are dense
/// enough to form risky clusters), two epochs of the sequence network.
pub fn clustered() -> &'static Clustered {
    static CELL: OnceLock<Clustered> = OnceLock::new();
    CELL.get_or_init(|| {
        let sessions: Vec<Session> = generate(SynthConfig {
            sessions: 1500,
            fraud_rate: 0.2,
            seed: 7,
            ..Default::default()
        })
        .into_iter()
        .map(|d| d.session)
        .collect();
        let opts = ClusterOptions {
            page: "page".into(),
            dwell: "dwell_ms".into(),
            representation: Representation::Hybrid,
            epochs: 2,
            batch_size: 256,
            learning_rate: 1e-3,
            hdbscan: Hdbscan {
                min_cluster_size: 10,
                min_samples: Some(5),
                ..Default::default()
            },
            neighbours: 20,
            risky_density: 0.5,
            risky_min_size: 10,
            exemplars: 64,
            rules: RuleOptions::default(),
            seed: 7,
            progress: false,
            ..ClusterOptions::default()
        };
        let fitted = cluster(&sessions, &schema(), &opts).expect("clustering runs");
        let bytes = fitted
            .artifact(&sessions, &[], &[], "tests", 7)
            .and_then(|a| Ok(a.to_bytes()?))
            .expect("artifact serialises");
        Clustered {
            schema: schema(),
            sessions,
            bytes,
        }
    })
}

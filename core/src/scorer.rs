//! Scoring sessions with a trained model: the one path used by `native score`, evaluation
//! after training, and the wasm `Scorer`.

use crate::artifact::Artifact;
use crate::calibration::Calibrator;
use crate::encode::{Batch, EncodedSession, Encoder};
use crate::error::{Error, Result};
use crate::explain::Explanation;
use crate::models::Model;
use crate::models::behavior_cluster::Fingerprints;
use crate::monitor::{Counts, DriftLimits, DriftReport, Reference};
use crate::policy::{Bands, Policy, PolicyPoint};
use crate::schema::Session;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Sessions scored per forward pass.
pub const SCORE_BATCH: usize = 256;

/// The score of one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionScore {
    /// Session id.
    pub id: String,
    /// Risk score in [0, 1]: the calibrated probability when the artifact has a calibrator,
    /// else `raw_score`.
    pub score: f64,
    /// The model's own score, the sigmoid of its logit (what rankings and AUC read).
    pub raw_score: f64,
    /// Why.
    pub explanation: Explanation,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// What a block of the packed model output explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Axis {
    /// History event slots, `[B, T−1]`.
    Event,
    /// Event field slots, `[B, F]`.
    Field,
    /// Behavior sessions of the session view, `[B, S]`.
    Session,
    /// Merchants of the fold view, `[B, M]`.
    Merchant,
    /// Payments of the fold view, `[B, M·P]`.
    Payment,
    /// Risky clusters of the cluster model, `[B, C]`.
    Cluster,
}

/// One forward pass over `chunk`, packed for a single read-back: `[B, 1 + Σ widths]` holding
/// the logit, then each named explanation's `[B, width]` block, in `layout` order.
struct Packed<'a> {
    chunk: &'a [&'a EncodedSession],
    tensor: Tensor<2>,
    layout: Vec<(&'static str, Axis, usize)>,
}

/// The forward passes of `encoded`, [`SCORE_BATCH`] sessions at a time, each still to be read
/// back (synchronously or not) and [`unpack`]ed.
fn forward_chunks<'a>(
    model: &'a Model,
    encoded: &'a [&'a EncodedSession],
    device: &'a Device,
) -> impl Iterator<Item = Packed<'a>> {
    encoded
        .chunks(SCORE_BATCH)
        .map(move |chunk| forward_packed(model, chunk, device))
}

fn forward_packed<'a>(
    model: &Model,
    chunk: &'a [&'a EncodedSession],
    device: &Device,
) -> Packed<'a> {
    let output = model.forward(&Batch::new(chunk, device));
    let mut parts = vec![output.logits.unsqueeze_dim::<2>(1)];
    let mut layout = Vec::new();
    let named = (output.event_weights.into_iter().map(|w| (Axis::Event, w)))
        .chain(output.field_weights.into_iter().map(|w| (Axis::Field, w)))
        .chain(
            output
                .session_weights
                .into_iter()
                .map(|w| (Axis::Session, w)),
        )
        .chain(
            output
                .merchant_weights
                .into_iter()
                .map(|w| (Axis::Merchant, w)),
        )
        .chain(
            output
                .payment_weights
                .into_iter()
                .map(|w| (Axis::Payment, w)),
        )
        .chain(
            output
                .cluster_weights
                .into_iter()
                .map(|w| (Axis::Cluster, w)),
        );
    for (axis, w) in named {
        layout.push((w.name, axis, w.weights.dims()[1]));
        parts.push(w.weights);
    }
    Packed {
        chunk,
        tensor: Tensor::cat(parts, 1),
        layout,
    }
}

fn unpack(
    chunk: &[&EncodedSession],
    field_names: &[String],
    fingerprints: Option<&Fingerprints>,
    layout: &[(&'static str, Axis, usize)],
    data: std::result::Result<TensorData, impl std::fmt::Debug>,
    out: &mut Vec<(f64, Explanation)>,
) -> Result<()> {
    let data = data
        .map_err(|e| Error::Model(format!("cannot read model output back: {e:?}")))?
        .try_into_vec::<f32>()
        .map_err(|e| Error::Model(format!("model output is not f32: {e:?}")))?;
    let width = 1 + layout.iter().map(|(_, _, w)| w).sum::<usize>();
    if data.len() != width * chunk.len() {
        return Err(Error::Model(format!(
            "model output has {} values, expected {} × {width}",
            data.len(),
            chunk.len()
        )));
    }
    for (enc, row) in chunk.iter().zip(data.chunks_exact(width)) {
        let mut at = 1;
        let [
            mut events,
            mut fields,
            mut sessions,
            mut merchants,
            mut payments,
            mut clusters,
        ] = std::array::from_fn::<_, 6, _>(|_| Vec::new());
        for &(name, axis, w) in layout {
            let rows = match axis {
                Axis::Event => &mut events,
                Axis::Field => &mut fields,
                Axis::Session => &mut sessions,
                Axis::Merchant => &mut merchants,
                Axis::Payment => &mut payments,
                Axis::Cluster => &mut clusters,
            };
            rows.push((name, &row[at..at + w]));
            at += w;
        }
        let explanation = Explanation::from_slots(enc, &events)
            .with_fields(field_names, &fields)
            .with_sessions(enc, &sessions)
            .with_merchants(enc, &merchants, &payments)
            .with_cluster(enc, fingerprints, &clusters);
        if row[0].is_nan() {
            return Err(Error::Model(
                "the model's output for a session is not a number (NaN): its weights overflow on this input"
                    .into(),
            ));
        }
        out.push((sigmoid(row[0] as f64), explanation));
    }
    Ok(())
}

/// Score encoded sessions; returns `(score, explanation)` per session, in order. `field_names`
/// are the encoder's event field slot names ([`Encoder::event_field_names`]), for field-level
/// explanations. Needs a device that can read back synchronously (CPU, native wgpu); in a
/// browser use [`score_encoded_async`].
pub fn score_encoded(
    model: &Model,
    field_names: &[String],
    encoded: &[&EncodedSession],
    device: &Device,
) -> Result<Vec<(f64, Explanation)>> {
    let mut out = Vec::with_capacity(encoded.len());
    for Packed {
        chunk,
        tensor,
        layout,
    } in forward_chunks(model, encoded, device)
    {
        unpack(
            chunk,
            field_names,
            model.fingerprints(),
            &layout,
            tensor.try_into_data(),
            &mut out,
        )?;
    }
    Ok(out)
}

/// [`score_encoded`] with an asynchronous read-back, as WebGPU in a browser requires.
pub async fn score_encoded_async(
    model: &Model,
    field_names: &[String],
    encoded: &[&EncodedSession],
    device: &Device,
) -> Result<Vec<(f64, Explanation)>> {
    let mut out = Vec::with_capacity(encoded.len());
    for Packed {
        chunk,
        tensor,
        layout,
    } in forward_chunks(model, encoded, device)
    {
        unpack(
            chunk,
            field_names,
            model.fingerprints(),
            &layout,
            tensor.into_data_async().await,
            &mut out,
        )?;
    }
    Ok(out)
}

/// A model ready to score raw sessions.
#[derive(Debug)]
pub struct Scorer {
    /// Schema, vocabularies and statistics.
    pub encoder: Encoder,
    /// The model.
    pub model: Model,
    /// Where it runs.
    pub device: Device,
    /// The encoder's event field slot names, for field-level explanations.
    field_names: Vec<String>,
    /// The artifact's calibrator.
    pub calibrator: Option<Calibrator>,
    /// The card's thresholds at its targets, which a policy's bands refer to.
    pub policy_points: Vec<PolicyPoint>,
    /// The card's decision threshold.
    pub threshold: f64,
    /// The training data's distributions, for drift monitoring.
    pub monitoring: Option<Reference>,
}

impl Scorer {
    /// Instantiate an artifact's model on `device`.
    pub fn from_artifact(artifact: &Artifact, device: Device) -> Result<Self> {
        let encoder = artifact.header.encoder.clone();
        Ok(Self {
            field_names: encoder.event_field_names(),
            encoder,
            model: artifact.model(&device)?,
            device,
            calibrator: artifact
                .header
                .calibration
                .as_ref()
                .map(|c| c.calibrator.clone()),
            policy_points: artifact.header.policy_points.clone(),
            threshold: artifact.header.training.threshold,
            monitoring: artifact.header.monitoring.clone(),
        })
    }

    /// A policy file's bands (its TOML text) resolved against this model's card, for
    /// [`Bands::decide`] on the `score` of each result.
    pub fn bands(&self, policy: &str) -> Result<Bands> {
        Policy::parse(policy)?.resolve(&self.policy_points)
    }

    /// Empty drift counts for this model's monitoring reference (`None` without one).
    pub fn new_counts(&self) -> Option<Counts> {
        self.monitoring.as_ref().map(Counts::new)
    }

    /// Count scored sessions (and their `raw_score`s) into drift counts made by
    /// [`Scorer::new_counts`].
    pub fn count(&self, counts: &mut Counts, sessions: &[Session], scored: &[SessionScore]) {
        if let Some(reference) = &self.monitoring {
            for s in sessions {
                counts.add_session(reference, &self.encoder, s);
            }
            for s in scored {
                counts.add_score(reference, s.raw_score);
            }
        }
    }

    /// The drift of `counts` against the training reference.
    pub fn drift(&self, counts: &Counts, limits: DriftLimits) -> Option<DriftReport> {
        self.monitoring
            .as_ref()
            .map(|r| DriftReport::compute(r, counts, limits))
    }

    /// The bands without a policy file: `allow` / `review` at the card's threshold.
    pub fn default_bands(&self) -> Bands {
        Bands::from_threshold(self.threshold)
    }

    /// Score sessions read with this scorer's schema.
    pub fn score(&self, sessions: &[Session]) -> Result<Vec<SessionScore>> {
        let encoded = self.encode(sessions)?;
        let refs: Vec<&EncodedSession> = encoded.iter().collect();
        let scored = score_encoded(&self.model, &self.field_names, &refs, &self.device)?;
        Ok(self.name(scored, sessions))
    }

    /// [`Scorer::score`] on up to `threads` threads, each scoring a run of whole
    /// [`SCORE_BATCH`]es: every forward pass sees the batch one thread would form (its padded
    /// length, and with it the shapes the f32 sums run over, depends on its members), so the
    /// scores are [`Scorer::score`]'s to the bit. The threads share the model (burn's modules
    /// are `Sync`). Fewer than two batches, or one thread, score here.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn score_parallel(
        &self,
        sessions: &[Session],
        threads: usize,
    ) -> Result<Vec<SessionScore>> {
        let batches = sessions.len().div_ceil(SCORE_BATCH);
        let threads = threads.min(batches);
        if threads <= 1 {
            return self.score(sessions);
        }
        let per_thread = batches.div_ceil(threads) * SCORE_BATCH;
        let parts: Vec<Result<Vec<SessionScore>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = sessions
                .chunks(per_thread)
                .map(|part| scope.spawn(move || self.score(part)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut out = Vec::with_capacity(sessions.len());
        for part in parts {
            out.extend(part?);
        }
        Ok(out)
    }

    /// [`Scorer::score`] with an asynchronous read-back (WebGPU in a browser).
    pub async fn score_async(&self, sessions: &[Session]) -> Result<Vec<SessionScore>> {
        let encoded = self.encode(sessions)?;
        let refs: Vec<&EncodedSession> = encoded.iter().collect();
        let scored =
            score_encoded_async(&self.model, &self.field_names, &refs, &self.device).await?;
        Ok(self.name(scored, sessions))
    }

    fn encode(&self, sessions: &[Session]) -> Result<Vec<EncodedSession>> {
        sessions
            .iter()
            .map(|s| {
                self.encoder.check_session(s)?;
                Ok(self.encoder.encode(s))
            })
            .collect()
    }

    /// The scores named by session, each calibrated when the artifact says so.
    fn name(&self, scored: Vec<(f64, Explanation)>, sessions: &[Session]) -> Vec<SessionScore> {
        scored
            .into_iter()
            .zip(sessions)
            .map(|((raw_score, explanation), s)| SessionScore {
                id: s.id.clone(),
                score: self
                    .calibrator
                    .as_ref()
                    .map_or(raw_score, |c| c.calibrate(raw_score)),
                raw_score,
                explanation,
            })
            .collect()
    }
}

//! Scoring sessions with a trained model: the one path used by `native score`, evaluation
//! after training, and the wasm `Scorer`.

use crate::artifact::Artifact;
use crate::encode::{Batch, EncodedSession, Encoder};
use crate::error::{Error, Result};
use crate::explain::Explanation;
use crate::models::Model;
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
    /// Risk score in (0, 1).
    pub score: f64,
    /// Why.
    pub explanation: Explanation,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn read_back<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Model(format!("cannot read model output back: {e:?}")))
}

/// Score encoded sessions; returns `(score, explanation)` per session, in order.
pub fn score_encoded(
    model: &Model,
    encoded: &[&EncodedSession],
    device: &Device,
) -> Result<Vec<(f64, Explanation)>> {
    let mut out = Vec::with_capacity(encoded.len());
    for chunk in encoded.chunks(SCORE_BATCH) {
        let batch = Batch::new(chunk, device);
        let output = model.forward(&batch);
        let logits = read_back(output.logits)?;
        let named: Vec<(&str, Vec<f32>, usize)> = output
            .event_weights
            .into_iter()
            .map(|w| {
                let cols = w.weights.dims()[1];
                Ok((w.name, read_back(w.weights)?, cols))
            })
            .collect::<Result<_>>()?;
        for (b, enc) in chunk.iter().enumerate() {
            let rows: Vec<(&str, &[f32])> = named
                .iter()
                .map(|(name, data, cols)| (*name, &data[b * cols..(b + 1) * cols]))
                .collect();
            out.push((
                sigmoid(logits[b] as f64),
                Explanation::from_slots(enc, &rows),
            ));
        }
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
}

impl Scorer {
    /// Instantiate an artifact's model on `device`.
    pub fn from_artifact(artifact: &Artifact, device: Device) -> Result<Self> {
        Ok(Self {
            encoder: artifact.header.encoder.clone(),
            model: artifact.model(&device)?,
            device,
        })
    }

    /// Score sessions read with this scorer's schema.
    pub fn score(&self, sessions: &[Session]) -> Result<Vec<SessionScore>> {
        for s in sessions {
            self.encoder.check_session(s)?;
        }
        let encoded: Vec<EncodedSession> =
            sessions.iter().map(|s| self.encoder.encode(s)).collect();
        let refs: Vec<&EncodedSession> = encoded.iter().collect();
        Ok(score_encoded(&self.model, &refs, &self.device)?
            .into_iter()
            .zip(sessions)
            .map(|((score, explanation), s)| SessionScore {
                id: s.id.clone(),
                score,
                explanation,
            })
            .collect())
    }
}

//! The model registry: the one place the trainer, the artifact, the CLI and the wasm scorer
//! dispatch on. A new paper adds a module, a [`ModelKind`] variant, a [`ModelConfig`] variant
//! and a [`Model`] variant here, and nothing elsewhere.

pub mod nhfm;

use crate::encode::{Batch, Encoder};
use crate::error::{Error, Result};
use burn::prelude::*;
use nhfm::{Nhfm, NhfmConfig};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The kinds of model seqrisk can train and score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ModelKind {
    /// Neural Hierarchical Factorization Machines.
    Nhfm,
}

impl ModelKind {
    /// Every kind, in display order.
    pub const ALL: [ModelKind; 1] = [ModelKind::Nhfm];

    /// Lower-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Nhfm => "nhfm",
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.name()).collect();
                Error::Model(format!("unknown model `{s}`; known: {}", names.join(", ")))
            })
    }
}

/// A model's configuration, tagged with its kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ModelConfig {
    /// NHFM.
    Nhfm(NhfmConfig),
}

impl ModelConfig {
    /// The paper defaults of `kind`, sized for `encoder`'s inputs.
    pub fn default_for(kind: ModelKind, encoder: &Encoder) -> Self {
        match kind {
            ModelKind::Nhfm => ModelConfig::Nhfm(NhfmConfig::new(encoder.num_features())),
        }
    }

    /// The kind.
    pub fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::Nhfm(_) => ModelKind::Nhfm,
        }
    }

    /// Check the configuration fits the encoder (dictionary size).
    pub fn check(&self, encoder: &Encoder) -> Result<()> {
        let n = match self {
            ModelConfig::Nhfm(c) => c.num_features,
        };
        if n != encoder.num_features() {
            return Err(Error::Model(format!(
                "model expects {n} features but the encoder has {}",
                encoder.num_features()
            )));
        }
        Ok(())
    }

    /// Build a freshly initialised model.
    pub fn init(&self, device: &Device) -> Model {
        match self {
            ModelConfig::Nhfm(c) => Model::Nhfm(c.init(device)),
        }
    }
}

/// A model of any kind.
#[derive(Module, Debug)]
pub enum Model {
    /// NHFM.
    Nhfm(Nhfm),
}

/// A per-event explanation: `weights` is `[B, T−1]` over the history slots `0..T−1`.
#[derive(Debug, Clone)]
pub struct EventWeights {
    /// Name from the paper (`alpha`, `beta`, …).
    pub name: &'static str,
    /// `[B, T−1]`, 0 on padding.
    pub weights: Tensor<2>,
}

/// The model-independent view of a forward pass.
#[derive(Debug, Clone)]
pub struct ModelOutput {
    /// `[B]` logits; scores are their sigmoid.
    pub logits: Tensor<1>,
    /// Named per-event weights.
    pub event_weights: Vec<EventWeights>,
}

impl Model {
    /// Forward pass of whichever model this is.
    pub fn forward(&self, batch: &Batch) -> ModelOutput {
        match self {
            Model::Nhfm(m) => {
                let out = m.forward(batch);
                let named = [("alpha", out.alpha), ("beta", out.beta)];
                ModelOutput {
                    logits: out.logits,
                    event_weights: named
                        .into_iter()
                        .filter_map(|(name, w)| w.map(|weights| EventWeights { name, weights }))
                        .collect(),
                }
            }
        }
    }
}

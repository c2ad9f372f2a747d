//! DIFM — Dual Importance-aware Factorization Machines (Xi et al., `papers/difm.txt`).
//!
//! Two perspectives on the fields of a session's events (Figure 2):
//! 1. **field value variations** (§3.3): for each field `n`, an FM over that field's values in
//!    all `T` events gives `f_n` (Eq. 6); the field importance-aware module weighs the fields
//!    and pools them into `f` (Eq. 7);
//! 2. **field interactions** (§3.4): for each event, an FM over its fields gives `e_t` (Eq. 8);
//!    the event importance-aware module weighs the history events and pools them into `e_his`
//!    (Eq. 9);
//!
//! then `ŷ = sigmoid(MLP([f; e_his; e_T]) + f(x))` with the wide part `f(x)` (Eqs. 10–12), trained
//! on cross entropy (Eq. 13). With `aggregates` set, `f(x)` also reads the session's aggregates
//! ([`SessionAggregates`](super::layers::SessionAggregates), a departure the paper preset
//! leaves off). The importance-aware modules (Eqs. 3–5) each have their own
//! feed-forward networks `F1`, `F2`, `F3`; defaults are §4.3's (`k = 64`, `T = 20`, one hidden
//! layer of 64, dropout 0.2).

use super::layers::{
    FieldEmbedding, FieldEmbeddingConfig, FieldPools, ImportanceAware, ImportanceAwareConfig, Mlp,
    MlpConfig, Wide, WideConfig,
};
use crate::encode::Batch;
use crate::models::baselines::Aggregates;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Which perspectives are used (the paper's ablations, §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DifmVariant {
    /// DIFM: both perspectives, separate `F1`, `F2`, `F3` in each importance-aware module.
    #[default]
    Full,
    /// DIFM-α: the field value variations perspective only (`s = [f; e_T]`).
    Alpha,
    /// DIFM-β: the field interactions perspective only (`s = [e_his; e_T]`).
    Beta,
    /// DIFM-same: both perspectives, one feed-forward network for `F1 = F2 = F3`.
    Same,
}

/// Configuration of [`Difm`].
#[derive(Config, Debug)]
pub struct DifmConfig {
    /// `|V|`: size of the feature dictionary (from the encoder).
    pub num_features: usize,
    /// `k`: embedding dimension.
    #[config(default = 64)]
    pub embedding_dim: usize,
    /// MLP hidden size.
    #[config(default = 64)]
    pub mlp_hidden: usize,
    /// Dropout probability in the MLP.
    #[config(default = 0.2)]
    pub dropout: f64,
    /// Ablation switch.
    #[config(default = "DifmVariant::Full")]
    pub variant: DifmVariant,
    /// The session's aggregates the wide part also reads (a departure from the paper, see
    /// [`SessionAggregates`](super::layers::SessionAggregates); `None` under the paper preset).
    #[config(default = "None")]
    pub aggregates: Option<Aggregates>,
}

impl DifmConfig {
    /// Build the model.
    pub fn init(&self, device: &Device) -> Difm {
        let k = self.embedding_dim;
        let importance =
            ImportanceAwareConfig::new(k).with_shared_projection(self.variant == DifmVariant::Same);
        let value_variations = self.variant != DifmVariant::Beta;
        let interactions = self.variant != DifmVariant::Alpha;
        let d = k * (1 + value_variations as usize + interactions as usize);
        Difm {
            embedding: FieldEmbeddingConfig::new(self.num_features, k).init(device),
            field_importance: value_variations.then(|| importance.init(device)),
            event_importance: interactions.then(|| importance.init(device)),
            mlp: MlpConfig::new(d, self.mlp_hidden, self.dropout).init(device),
            wide: WideConfig::new(self.num_features)
                .with_aggregates(self.aggregates.clone())
                .init(device),
        }
    }
}

/// The DIFM model.
#[derive(Module, Debug)]
pub struct Difm {
    /// The field value embeddings `v_i`, rescaled as `x_i v_i` (§3.2.1).
    pub embedding: FieldEmbedding,
    /// The field importance-aware module, Eq. (7) (absent in DIFM-β).
    pub field_importance: Option<ImportanceAware>,
    /// The event importance-aware module, Eq. (9) (absent in DIFM-α).
    pub event_importance: Option<ImportanceAware>,
    /// The MLP of Eq. (11).
    pub mlp: Mlp,
    /// `f(x)` of Eq. (12).
    pub wide: Wide,
}

/// What [`Difm::forward`] returns: the logit and the dual importance weights.
#[derive(Debug, Clone)]
pub struct DifmOutput {
    /// `MLP(s) + f(x)`, `[B]`; the score is its sigmoid.
    pub logits: Tensor<1>,
    /// `a_n`: each field's importance (Eq. 7), `[B, F]` over the encoder's event field slots
    /// (`None` for DIFM-β).
    pub field_importance: Option<Tensor<2>>,
    /// `a_t`: each history event's importance (Eq. 9), `[B, T−1]`, 0 on padding (`None` for
    /// DIFM-α).
    pub event_importance: Option<Tensor<2>>,
}

impl Difm {
    /// Score a batch. Slots `0..T−1` are the history, slot `T−1` the current event.
    pub fn forward(&self, batch: &Batch) -> DifmOutput {
        let [b, t, f] = batch.event_index.dims();
        // Eq. (8) field interactions `e_t` and, for the field importance module, Eq. (6) field
        // value variations `f_n`: the embeddings' FM over each event's fields and over each
        // field's events
        let FieldPools {
            over_fields: events,
            over_events: field_value_variations,
        } = self.embedding.pools(
            batch.event_index.clone(),
            batch.event_value.clone(),
            self.field_importance.is_some(),
        );
        let k = events.dims()[2];
        let current = events.clone().narrow(1, t - 1, 1).reshape([b, k]);

        let mut parts = Vec::with_capacity(3);
        let mut field_importance = None;
        if let (Some(module), Some(fields)) = (&self.field_importance, field_value_variations) {
            let out = module.forward(fields, Tensor::ones([b, f], &batch.event_value.device()));
            parts.push(out.pooled);
            field_importance = Some(out.weights);
        }
        let mut event_importance = None;
        if let Some(module) = &self.event_importance {
            let history = events.narrow(1, 0, t - 1);
            let q = batch.event_mask.clone().narrow(1, 0, t - 1);
            let out = module.forward(history, q);
            parts.push(out.pooled);
            event_importance = Some(out.weights);
        }
        parts.push(current);
        DifmOutput {
            logits: self.mlp.forward(Tensor::cat(parts, 1)) + self.wide.forward_batch(batch),
            field_importance,
            event_importance,
        }
    }
}

#[cfg(test)]
mod tests;

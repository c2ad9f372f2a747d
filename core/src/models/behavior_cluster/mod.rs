//! FinDeepBehaviorCluster's sequence network (§3.3, Figure 3): the unsupervised embedding of a
//! click-stream session that the clustering reads.
//!
//! A session is its page-event sequence `x` and its dwell-time sequence `y`. Each goes through
//! a Bi-LSTM (`page_lstm`, `dwell_lstm`), giving `h_j` and `s_t` per slot; the time attention
//! relates them,
//!
//! ```text
//! e_tj = s_t · h_j                        (a = dot product)
//! α_tj = exp(e_tj) / Σ_k exp(e_tk)        (Eq. 1, over the real slots)
//! c_t  = Σ_j α_tj h_j                     (Eq. 2)
//! ```
//!
//! and the mean over the real slots of `[s_t; c_t]` goes through the bottleneck layer, whose
//! output (80-D by default, `tanh`) is the embedding. Trained without labels to predict the
//! next event — the page of the session's current (last) event from the history before it —
//! by the cross-entropy of Eq. (3).

pub mod fingerprint;
pub mod handcrafted;
#[cfg(test)]
mod tests;

pub use fingerprint::{
    BehaviorCluster, BehaviorClusterConfig, BehaviorClusterOutput, ClusterMap, ClusterMatch,
    Fingerprints, MapPoint, Representation, RiskyCluster,
};
pub use handcrafted::Handcrafted;

use crate::encode::{Batch, Encoder};
use crate::models::layers::{MaskedBiLstm, MaskedBiLstmConfig};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::softmax;

/// Configuration of [`SequenceEmbedding`].
#[derive(Config, Debug)]
pub struct SequenceEmbeddingConfig {
    /// Size of the feature dictionary.
    pub num_features: usize,
    /// The event field slot holding the page event.
    pub page_slot: usize,
    /// The page field's dictionary ids start here.
    pub page_offset: usize,
    /// How many ids the page field has (its vocabulary, `<pad>` and `<oov>` included): the
    /// classes of the next-event prediction.
    pub page_values: usize,
    /// The event field slot holding the (normalised) dwell time.
    pub dwell_slot: usize,
    /// Embedding width of pages and dwell times.
    #[config(default = 32)]
    pub embedding_dim: usize,
    /// Hidden size of each LSTM direction.
    #[config(default = 64)]
    pub lstm_hidden: usize,
    /// Width of the bottleneck layer: the embedding (the issue's default, 80).
    #[config(default = 80)]
    pub bottleneck: usize,
}

impl SequenceEmbeddingConfig {
    /// For `encoder`'s sessions, reading the event categorical field `page` and the event
    /// numeric field `dwell`.
    pub fn for_encoder(encoder: &Encoder, page: &str, dwell: &str) -> crate::Result<Self> {
        let names = encoder.event_field_names();
        let cats = encoder.event_categorical_fields();
        let page_slot = names[..cats]
            .iter()
            .position(|n| n == page)
            .ok_or_else(|| {
                crate::Error::Model(format!("`{page}` is not an event categorical field"))
            })?;
        let dwell_slot = names[cats..]
            .iter()
            .position(|n| n == dwell)
            .map(|j| cats + j)
            .ok_or_else(|| {
                let ple = format!("{dwell}:ple1");
                crate::Error::Model(if names.contains(&ple) {
                    format!("`{dwell}` is PLE-encoded; the sequence network reads it as one value: give it `encoding = \"scale\"` or `\"quantile\"`")
                } else {
                    format!("`{dwell}` is not an event numeric field")
                })
            })?;
        let ids = encoder.event_categorical_ids(page_slot);
        Ok(Self::new(
            encoder.num_features(),
            page_slot,
            ids.start,
            ids.len(),
            dwell_slot,
        ))
    }

    /// For `encoder`'s sessions with the default fields: the event categorical field `page`
    /// (else the first) and the event numeric field `dwell_ms` (else the first, which with time
    /// features on is at least the inter-event gap). [`BehaviorClusterConfig::check`] refuses
    /// an encoder without a numeric event field.
    pub fn for_encoder_defaults(encoder: &Encoder) -> Self {
        let names = encoder.event_field_names();
        let cats = encoder.event_categorical_fields();
        let page = names[..cats].iter().position(|n| n == "page").unwrap_or(0);
        let dwell = names[cats..]
            .iter()
            .position(|n| n == "dwell_ms")
            .map_or(cats, |j| cats + j);
        let ids = if cats == 0 {
            0..0
        } else {
            encoder.event_categorical_ids(page)
        };
        Self::new(encoder.num_features(), page, ids.start, ids.len(), dwell)
    }

    /// Build the module.
    pub fn init(&self, device: &Device) -> SequenceEmbedding {
        let (k, h) = (self.embedding_dim, self.lstm_hidden);
        SequenceEmbedding {
            page_embedding: EmbeddingConfig::new(self.num_features, k).init(device),
            dwell_embedding: LinearConfig::new(1, k).init(device),
            page_lstm: MaskedBiLstmConfig::new(k, h).init(device),
            dwell_lstm: MaskedBiLstmConfig::new(k, h).init(device),
            bottleneck: LinearConfig::new(4 * h, self.bottleneck).init(device),
            next_event: LinearConfig::new(self.bottleneck, self.page_values).init(device),
            page_slot: self.page_slot,
            page_offset: self.page_offset,
            dwell_slot: self.dwell_slot,
        }
    }
}

/// See the module documentation.
#[derive(Module, Debug)]
pub struct SequenceEmbedding {
    /// Page events (their dictionary ids) → `k`.
    pub page_embedding: Embedding,
    /// Dwell time → `k`.
    pub dwell_embedding: Linear,
    /// Bi-LSTM over the pages: `h_j`.
    pub page_lstm: MaskedBiLstm,
    /// Bi-LSTM over the dwell times: `s_t`.
    pub dwell_lstm: MaskedBiLstm,
    /// `mean_t [s_t; c_t]` → the embedding.
    pub bottleneck: Linear,
    /// The embedding → next-page logits.
    pub next_event: Linear,
    /// The page field's slot.
    #[module(skip)]
    pub page_slot: usize,
    /// The page field's first dictionary id.
    #[module(skip)]
    pub page_offset: usize,
    /// The dwell field's slot.
    #[module(skip)]
    pub dwell_slot: usize,
}

/// The sequence network's outputs.
#[derive(Debug, Clone)]
pub struct SequenceEmbeddingOutput {
    /// `[B, bottleneck]` the embeddings.
    pub embedding: Tensor<2>,
    /// `[B, V]` logits of the next (current) event's page.
    pub next_event_logits: Tensor<2>,
    /// `[B, T − 1]` the attention each history slot's page receives, averaged over the real
    /// dwell-time slots (sums to 1 over the real history, 0 on padding).
    pub time_attention: Tensor<2>,
}

impl SequenceEmbedding {
    /// The history's (slots `0..T − 1`) Bi-LSTM states `[B, T − 1, 2h]`, `h_j` over the pages
    /// and `s_t` over the dwell times, and its mask `[B, T − 1]`: what the time attention reads.
    pub fn states(&self, batch: &Batch) -> (Tensor<3>, Tensor<3>, Tensor<2>) {
        let [b, t, _] = batch.event_index.dims();
        let l = t - 1;
        let pages = batch
            .event_index
            .clone()
            .narrow(1, 0, l)
            .narrow(2, self.page_slot, 1)
            .reshape([b, l]);
        let dwell = batch
            .event_value
            .clone()
            .narrow(1, 0, l)
            .narrow(2, self.dwell_slot, 1);
        let mask = batch.event_mask.clone().narrow(1, 0, l);
        let padding = batch.padding.narrow(l);
        let h = self
            .page_lstm
            .states(self.page_embedding.forward(pages), mask.clone(), padding);
        let s = self
            .dwell_lstm
            .states(self.dwell_embedding.forward(dwell), mask.clone(), padding);
        (h, s, mask)
    }

    /// Forward pass over the history (slots `0..T − 1`; the current event is the target).
    pub fn forward(&self, batch: &Batch) -> SequenceEmbeddingOutput {
        let (h, s, mask) = self.states(batch);
        // Eqs. (1)–(2): e_tj = s_t · h_j over the real slots j
        let scores = s
            .clone()
            .matmul(h.clone().swap_dims(1, 2))
            .mask_fill(mask.clone().equal_elem(0.0).unsqueeze_dim::<3>(1), -1e9);
        let alpha = softmax(scores, 2);
        let c = alpha.clone().matmul(h);
        let count = mask.clone().sum_dim(1).clamp_min(1.0);
        let real = mask.clone().unsqueeze_dim::<3>(2);
        let pooled = (Tensor::cat(vec![s, c], 2) * real.clone())
            .sum_dim(1)
            .squeeze_dim::<2>(1)
            / count.clone();
        let embedding = self.bottleneck.forward(pooled).tanh();
        let time_attention = (alpha * real).sum_dim(1).squeeze_dim::<2>(1) / count;
        SequenceEmbeddingOutput {
            next_event_logits: self.next_event.forward(embedding.clone()),
            embedding,
            time_attention,
        }
    }

    /// `[B]` the class of each session's current (last) page: its id within the page field's
    /// vocabulary (0 when missing).
    pub fn next_event_targets(&self, batch: &Batch) -> Tensor<1, Int> {
        let [b, t, _] = batch.event_index.dims();
        let ids = batch
            .event_index
            .clone()
            .narrow(1, t - 1, 1)
            .narrow(2, self.page_slot, 1)
            .reshape([b]);
        let present = ids.clone().greater_elem(0).int();
        (ids - self.page_offset as i64) * present
    }
}

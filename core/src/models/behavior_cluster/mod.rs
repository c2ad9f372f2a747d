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
//! output `z` (80-D by default, `tanh`) is the embedding. The embedding reads the session's
//! history (every event but the last), so the last event is always one to predict.
//!
//! Trained without labels to predict the next event by the cross-entropy of Eq. (3),
//! `L_s = −Σ_t Σ_k α_k^(t) log y_k^(t)` (`α_k^(t)` 1 for the true page `k` of step `t`), in one
//! of two ways ([`NextEvent`]):
//!
//! - **every step** (the paper's): a decoder started from the embedding, `s'_0 = tanh(W_0 z)`,
//!   runs over the dwell times with the attention context fed back into its recurrence,
//!
//!   ```text
//!   e'_tj = s'_{t−1} · h→_j,  j ≤ t               (Eq. 1 against the decoder's state)
//!   c'_t  = Σ_{j ≤ t} α'_tj h→_j                   (Eq. 2)
//!   s'_t  = LSTM([φ(y_t); c'_t], s'_{t−1})         (s_t = f(s_{t−1}, y_{t−1}, c_t))
//!   ŷ^(t) = softmax(W_o [s'_t; c'_t])              the page of event t + 1
//!   ```
//!
//!   and the loss sums over every step whose next event is real. The decoder attends to the
//!   page Bi-LSTM's *forward* states up to `t` only: a backward state, or a forward one past
//!   `t`, has read the page it is to predict. What it cannot read there it must take from `z`,
//!   which has seen the whole history — the embedding is what the decoder unrolls.
//! - **last** (seqrisk's first network, and the default): the last event's page from the
//!   embedding alone, `softmax(W_o z)`, one step. On the generated fraud data its embeddings
//!   cluster the planted patterns better than the decoder's (`docs/benchmarks/
//!   cluster-representations.md`): the decoder reads the pages seen so far through its attention,
//!   so predicting the next one leans less on the embedding.

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
use crate::models::layers::{MaskedBiLstm, MaskedBiLstmConfig, MaskedLstm, MaskedLstmConfig};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softmax};
use serde::{Deserialize, Serialize};

/// What the sequence network learns to predict (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NextEvent {
    /// The page of every next event, by a decoder with the attention fed back (the paper's).
    EveryStep,
    /// The page of the last event, from the embedding alone (the default: it measured better,
    /// `docs/benchmarks/cluster-representations.md`).
    #[default]
    Last,
}

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
    /// What the network learns to predict.
    #[config(default = "NextEvent::Last")]
    pub next_event: NextEvent,
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
        let decoder = (self.next_event == NextEvent::EveryStep).then(|| Decoder {
            initial: LinearConfig::new(self.bottleneck, h).init(device),
            cell: MaskedLstmConfig::new(k + h, h).init(device),
        });
        let predicted_from = if decoder.is_some() {
            2 * h
        } else {
            self.bottleneck
        };
        SequenceEmbedding {
            page_embedding: EmbeddingConfig::new(self.num_features, k).init(device),
            dwell_embedding: LinearConfig::new(1, k).init(device),
            page_lstm: MaskedBiLstmConfig::new(k, h).init(device),
            dwell_lstm: MaskedBiLstmConfig::new(k, h).init(device),
            bottleneck: LinearConfig::new(4 * h, self.bottleneck).init(device),
            decoder,
            next_event: LinearConfig::new(predicted_from, self.page_values).init(device),
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
    /// The decoder of [`NextEvent::EveryStep`] (`None` for [`NextEvent::Last`]).
    pub decoder: Option<Decoder>,
    /// `W_o`: `[s'_t; c'_t]` (every step) or the embedding (last) → next-page logits.
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

/// The decoder of [`NextEvent::EveryStep`]: `s'_0 = tanh(W_0 z)`, then one LSTM step a slot
/// over `[φ(y_t); c'_t]` (see the module documentation).
#[derive(Module, Debug)]
pub struct Decoder {
    /// `W_0`: the embedding → the decoder's first state.
    pub initial: Linear,
    /// The recurrence `s'_t = LSTM([φ(y_t); c'_t], s'_{t−1})`.
    pub cell: MaskedLstm,
}

/// The sequence network's outputs.
#[derive(Debug, Clone)]
pub struct SequenceEmbeddingOutput {
    /// `[B, bottleneck]` the embeddings.
    pub embedding: Tensor<2>,
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
        let mask = batch.event_mask.clone().narrow(1, 0, l);
        let padding = batch.padding.narrow(l);
        let h = self
            .page_lstm
            .states(self.page_embedding.forward(pages), mask.clone(), padding);
        let s = self
            .dwell_lstm
            .states(self.dwell_inputs(batch, l), mask.clone(), padding);
        (h, s, mask)
    }

    /// `φ(y)`: the embedded dwell times of the first `l` slots, `[B, l, k]`.
    fn dwell_inputs(&self, batch: &Batch, l: usize) -> Tensor<3> {
        let dwell = batch
            .event_value
            .clone()
            .narrow(1, 0, l)
            .narrow(2, self.dwell_slot, 1);
        self.dwell_embedding.forward(dwell)
    }

    /// Forward pass over the history (slots `0..T − 1`): the embedding and the time attention.
    pub fn forward(&self, batch: &Batch) -> SequenceEmbeddingOutput {
        let (h, s, mask) = self.states(batch);
        Self::embed(&self.bottleneck, h, s, mask)
    }

    /// Eqs. (1)–(2) and the bottleneck over the Bi-LSTMs' states.
    fn embed(
        bottleneck: &Linear,
        h: Tensor<3>,
        s: Tensor<3>,
        mask: Tensor<2>,
    ) -> SequenceEmbeddingOutput {
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
        let embedding = bottleneck.forward(pooled).tanh();
        let time_attention = (alpha * real).sum_dim(1).squeeze_dim::<2>(1) / count;
        SequenceEmbeddingOutput {
            embedding,
            time_attention,
        }
    }

    /// What training reads: the forward pass and the next-event predictions of Eq. (3), `[B,
    /// S, V]` logits with their targets and weights `[B, S]` (every step: `S = T − 1`, step `t`
    /// predicting slot `t + 1`, weighted 1 where both are real; last: `S = 1`, the last slot).
    pub fn predict_next(&self, batch: &Batch) -> NextEventPrediction {
        let (h, s, mask) = self.states(batch);
        let l = mask.dims()[1];
        let out = Self::embed(&self.bottleneck, h.clone(), s, mask.clone());
        let pages = self.page_classes(batch);
        match &self.decoder {
            None => NextEventPrediction {
                logits: self
                    .next_event
                    .forward(out.embedding.clone())
                    .unsqueeze_dim::<3>(1),
                targets: pages.narrow(1, l, 1),
                weights: batch.event_mask.clone().narrow(1, l, 1),
                output: out,
            },
            Some(decoder) => {
                // the forward direction's half of the page states: h→_j read slots ..= j only
                let hd = self.page_lstm.forward.d_hidden;
                let (states, contexts) = decoder.unroll(
                    out.embedding.clone(),
                    h.narrow(2, 0, hd),
                    self.dwell_inputs(batch, l),
                    mask.clone(),
                );
                let logits = self
                    .next_event
                    .forward(Tensor::cat(vec![states, contexts], 2));
                let next = batch.event_mask.clone().narrow(1, 1, l);
                NextEventPrediction {
                    logits,
                    targets: pages.narrow(1, 1, l),
                    weights: mask * next,
                    output: out,
                }
            }
        }
    }

    /// `[B, T]` each slot's page as a class of the page vocabulary (0 when missing).
    fn page_classes(&self, batch: &Batch) -> Tensor<2, Int> {
        let [b, t, _] = batch.event_index.dims();
        let ids = batch
            .event_index
            .clone()
            .narrow(2, self.page_slot, 1)
            .reshape([b, t]);
        let present = ids.clone().greater_elem(0).int();
        (ids - self.page_offset as i64) * present
    }
}

/// The next-event predictions of one batch (see [`SequenceEmbedding::predict_next`]).
#[derive(Debug, Clone)]
pub struct NextEventPrediction {
    /// `[B, S, V]` logits of the page of each step's next event.
    pub logits: Tensor<3>,
    /// `[B, S]` the true pages, as classes of the page vocabulary.
    pub targets: Tensor<2, Int>,
    /// `[B, S]` 1 for a step whose next event is real, 0 otherwise.
    pub weights: Tensor<2>,
    /// The forward pass the predictions start from.
    pub output: SequenceEmbeddingOutput,
}

impl NextEventPrediction {
    /// Eq. (3) averaged over the batch's predicted events: `−Σ w_bt log ŷ_b^(t)[k_bt] / Σ w_bt`
    /// (a scalar).
    pub fn loss(&self) -> Tensor<1> {
        let log_p = log_softmax(self.logits.clone(), 2)
            .gather(2, self.targets.clone().unsqueeze_dim::<3>(2))
            .squeeze_dim::<2>(2);
        let count = self.weights.clone().sum().clamp_min(1.0);
        (log_p * self.weights.clone()).sum().neg() / count
    }
}

impl Decoder {
    /// Unroll the decoder over `L` slots from the embedding `z` `[B, bottleneck]`, attending to
    /// the page LSTM's forward states `h→` `[B, L, h]` and reading the dwell inputs `φ(y)` `[B,
    /// L, k]`; `mask` `[B, L]`. Returns the states `s'_t` and contexts `c'_t`, `[B, L, h]`
    /// each. A padded slot leaves the state as it was (its outputs are never scored).
    pub fn unroll(
        &self,
        z: Tensor<2>,
        forward_states: Tensor<3>,
        dwell: Tensor<3>,
        mask: Tensor<2>,
    ) -> (Tensor<3>, Tensor<3>) {
        let [b, l, hd] = forward_states.dims();
        let device = z.device();
        let mut state = self.initial.forward(z).tanh();
        let mut cell = Tensor::<2>::zeros([b, hd], &device);
        // slot j may be read at step t when j ≤ t and j is real
        let hidden = mask.clone().equal_elem(0.0);
        let mut states = Vec::with_capacity(l);
        let mut contexts = Vec::with_capacity(l);
        for t in 0..l {
            let seen = forward_states.clone().narrow(1, 0, t + 1);
            // Eq. (1) against the decoder's last state; Eq. (2)
            let scores = state
                .clone()
                .unsqueeze_dim::<3>(1)
                .matmul(seen.clone().swap_dims(1, 2))
                .mask_fill(
                    hidden.clone().narrow(1, 0, t + 1).unsqueeze_dim::<3>(1),
                    -1e9,
                );
            let context = softmax(scores, 2).matmul(seen).squeeze_dim::<2>(1);
            let input = Tensor::cat(
                vec![
                    dwell.clone().narrow(1, t, 1).squeeze_dim::<2>(1),
                    context.clone(),
                ],
                1,
            );
            let m = mask.clone().narrow(1, t, 1);
            (state, cell) = self.cell.step(input, state, cell, m);
            states.push(state.clone());
            contexts.push(context);
        }
        (Tensor::stack(states, 1), Tensor::stack(contexts, 1))
    }
}

//! NHFM — Neural Hierarchical Factorization Machines (Xi et al., `papers/nhfm.txt`).
//!
//! Two levels (Figure 2):
//! 1. the event extractor ([`FieldEmbedding`]) turns each event's fields into `e_t` with a
//!    Hadamard-product FM (Eq. 1);
//! 2. over the history `E_his = [e_1 … e_{T−1}]`, the [`event_interactions`] FM gives `s_α`
//!    (Eq. 2, NHFM-α) and the self-importance attention ([`ImportanceAware`]) plus the
//!    Bi-LSTM ([`MaskedBiLstm`]) give `s_β = [s_self; s_RNN]` (Eqs. 3–4, NHFM-β);
//!
//! then `y = sigmoid(MLP([s_α; s_β; e_T]) + f(x))` with the [`Wide`] part `f` (Eq. 5), trained on
//! the negative log-likelihood. With `aggregates` set, `f` also reads the session's aggregates
//! ([`SessionAggregates`](super::layers::SessionAggregates), a departure the paper preset
//! leaves off). Defaults follow the authors' setup (DIFM §4.3, same group and
//! baselines): `k = 64`, `T = 20`, one hidden layer of 64, dropout 0.2; Bi-LSTM size 64.

pub mod event_interactions;

use super::layers::{
    FieldEmbedding, FieldEmbeddingConfig, ImportanceAware, ImportanceAwareConfig, MaskedBiLstm,
    MaskedBiLstmConfig, Mlp, MlpConfig, Wide, WideConfig,
};
use crate::encode::Batch;
use crate::models::baselines::Aggregates;
use burn::prelude::*;
use event_interactions::event_interactions;
use serde::{Deserialize, Serialize};

/// Which second-level modules are used (the paper's ablations, §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum NhfmVariant {
    /// NHFM: event interactions and the self-importance-aware sequence module.
    #[default]
    Full,
    /// NHFM-α: event interactions only.
    Alpha,
    /// NHFM-β: the self-importance-aware sequence module only.
    Beta,
}

/// Configuration of [`Nhfm`].
#[derive(Config, Debug)]
pub struct NhfmConfig {
    /// `n`: size of the feature dictionary (from the encoder).
    pub num_features: usize,
    /// `k`: embedding dimension.
    #[config(default = 64)]
    pub embedding_dim: usize,
    /// Bi-LSTM hidden size `h`.
    #[config(default = 64)]
    pub lstm_hidden: usize,
    /// MLP hidden size.
    #[config(default = 64)]
    pub mlp_hidden: usize,
    /// Dropout probability in the MLP.
    #[config(default = 0.2)]
    pub dropout: f64,
    /// Ablation switch.
    #[config(default = "NhfmVariant::Full")]
    pub variant: NhfmVariant,
    /// The session's aggregates the wide part also reads (a departure from the paper, see
    /// [`SessionAggregates`](super::layers::SessionAggregates); `None` under the paper preset).
    #[config(default = "None")]
    pub aggregates: Option<Aggregates>,
}

impl NhfmConfig {
    fn uses_alpha(&self) -> bool {
        self.variant != NhfmVariant::Beta
    }
    fn uses_beta(&self) -> bool {
        self.variant != NhfmVariant::Alpha
    }

    /// Build the model.
    pub fn init(&self, device: &Device) -> Nhfm {
        let k = self.embedding_dim;
        let mut d = k; // e_T
        if self.uses_alpha() {
            d += k;
        }
        if self.uses_beta() {
            d += k + self.lstm_hidden;
        }
        Nhfm {
            event_extractor: FieldEmbeddingConfig::new(self.num_features, k).init(device),
            self_importance: self
                .uses_beta()
                .then(|| ImportanceAwareConfig::new(k).init(device)),
            bi_lstm: self
                .uses_beta()
                .then(|| MaskedBiLstmConfig::new(k, self.lstm_hidden).init(device)),
            use_alpha: self.uses_alpha(),
            mlp: MlpConfig::new(d, self.mlp_hidden, self.dropout).init(device),
            wide: WideConfig::new(self.num_features)
                .with_aggregates(self.aggregates.clone())
                .init(device),
        }
    }
}

/// The NHFM model.
#[derive(Module, Debug)]
pub struct Nhfm {
    /// The event extractor, Eq. (1).
    pub event_extractor: FieldEmbedding,
    /// The self-importance attention, Eq. (3) (absent in NHFM-α).
    pub self_importance: Option<ImportanceAware>,
    /// `s_RNN` (absent in NHFM-α).
    pub bi_lstm: Option<MaskedBiLstm>,
    /// Whether Eq. (2) is used (not in NHFM-β).
    pub use_alpha: bool,
    /// The MLP of Eq. (5).
    pub mlp: Mlp,
    /// `f(x)` of Eq. (5).
    pub wide: Wide,
}

/// What [`Nhfm::forward`] returns: the logit and the per-event explanations.
#[derive(Debug, Clone)]
pub struct NhfmOutput {
    /// `MLP(s) + f(x)`, `[B]`; the score is its sigmoid.
    pub logits: Tensor<1>,
    /// `α`: each history event's share of the event-interaction FM `s_α`, `[B, T−1]`
    /// (`None` for NHFM-β).
    pub alpha: Option<Tensor<2>>,
    /// `β`: the self-importance attention weights of Eq. (3), `[B, T−1]` (`None` for NHFM-α).
    pub beta: Option<Tensor<2>>,
}

impl Nhfm {
    /// Score a batch. Slots `0..T−1` are the history, slot `T−1` the current event.
    pub fn forward(&self, batch: &Batch) -> NhfmOutput {
        let [b, t, _] = batch.event_index.dims();
        let events = self
            .event_extractor
            .forward(batch.event_index.clone(), batch.event_value.clone());
        let k = events.dims()[2];
        let history = events.clone().narrow(1, 0, t - 1);
        let q = batch.event_mask.clone().narrow(1, 0, t - 1);
        let current = events.narrow(1, t - 1, 1).reshape([b, k]);

        let mut parts = Vec::with_capacity(4);
        let mut alpha = None;
        if self.use_alpha {
            let out = event_interactions(history.clone(), q.clone());
            parts.push(out.s_alpha);
            alpha = Some(out.alpha);
        }
        let mut beta = None;
        if let (Some(attention), Some(bi_lstm)) = (&self.self_importance, &self.bi_lstm) {
            let out = attention.forward(history.clone(), q.clone());
            parts.push(out.pooled);
            parts.push(bi_lstm.forward(history, q, batch.padding));
            beta = Some(out.weights);
        }
        parts.push(current);
        let deep = self.mlp.forward(Tensor::cat(parts, 1));

        NhfmOutput {
            logits: deep + self.wide.forward_batch(batch),
            alpha,
            beta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::Encoder;
    use crate::models::test_sessions::{
        assert_block_sums, batch, current_event_fm, encoder, mlp_reading,
    };
    use burn::module::Param;

    fn run(
        model: &Nhfm,
        enc: &Encoder,
        sessions: &[crate::schema::Session],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let out = model.forward(&batch(enc, sessions));
        let v = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
        let logits = out.logits.into_data().try_to_vec::<f32>().unwrap();
        (logits, v(out.alpha.unwrap()), v(out.beta.unwrap()))
    }

    /// The same sessions behind more left padding (T = 60 instead of 40, longer than any
    /// session) give the same logits and the same α, β on their real events.
    #[test]
    fn appending_padding_does_not_change_the_score() {
        let (enc40, sessions) = encoder(40);
        let (enc60, _) = encoder(60);
        assert!(sessions.iter().all(|s| s.events.len() <= 40));
        let device = Device::flex();
        device.seed(11);
        let model = NhfmConfig::new(enc40.num_features()).init(&device);
        let (l40, a40, b40) = run(&model, &enc40, &sessions);
        let (l60, a60, b60) = run(&model, &enc60, &sessions);
        for (x, y) in l40.iter().zip(&l60) {
            assert!((x - y).abs() < 1e-5, "logit {x} vs {y}");
        }
        // history slots: 39 vs 59 per session; compare the last 39 of each row
        for (row40, row60) in a40
            .chunks(39)
            .zip(a60.chunks(59))
            .chain(b40.chunks(39).zip(b60.chunks(59)))
        {
            assert!(row60[..20].iter().all(|&w| w == 0.0), "padding has weight");
            for (x, y) in row40.iter().zip(&row60[20..]) {
                assert!((x - y).abs() < 1e-5, "weight {x} vs {y}");
            }
        }
    }

    /// Eq. (5) put together: `y = σ(MLP([s_α; s_β; e_T]) + f(x))` with `s_β = [s_self; s_RNN]`,
    /// and the ablations' `[s_α; e_T]` (NHFM-α) and `[s_β; e_T]` (NHFM-β). The MLP is set to read
    /// `u · s` exactly and the wide part to its bias −0.5 alone; with `u` selecting one block at
    /// a time the logit is that block's sum minus 0.5. `e_T` is worked out by hand from the
    /// embedding table (Eq. 1 on the current event's slot); `s_α` (Eq. 2), `s_self` (Eq. 3) and
    /// `s_RNN` are their modules applied to the history's `e_t` alone.
    #[test]
    fn eq5_reads_s_alpha_then_s_beta_then_the_current_event() {
        let (enc, sessions) = encoder(8);
        let b = batch(&enc, &sessions);
        let t = b.event_index.dims()[1];
        let k = 2;
        let v = |x: Tensor<2>| x.into_data().try_to_vec::<f32>().unwrap();
        for (variant, blocks) in [
            (NhfmVariant::Full, 4),
            (NhfmVariant::Alpha, 2),
            (NhfmVariant::Beta, 3),
        ] {
            let device = Device::flex();
            device.seed(5);
            let mut model = NhfmConfig::new(enc.num_features())
                .with_embedding_dim(k)
                .with_lstm_hidden(k)
                .with_mlp_hidden(2 * blocks * k)
                .with_dropout(0.0)
                .with_variant(variant)
                .init(&device);
            model.wide.bias = Param::from_tensor(Tensor::from_data([-0.5], &device));
            let history = model
                .event_extractor
                .forward(b.event_index.clone(), b.event_value.clone())
                .narrow(1, 0, t - 1);
            let q = b.event_mask.clone().narrow(1, 0, t - 1);
            let mut expected = Vec::new();
            if variant != NhfmVariant::Beta {
                expected.push(v(event_interactions(history.clone(), q.clone()).s_alpha));
            }
            if let (Some(attention), Some(bi_lstm)) = (&model.self_importance, &model.bi_lstm) {
                expected.push(v(attention.forward(history.clone(), q.clone()).pooled));
                expected.push(v(bi_lstm.forward(history, q, b.padding)));
            }
            expected.push(current_event_fm(&model.event_extractor, &b));
            assert_eq!(expected.len(), blocks, "{variant:?}");
            for (block, want) in expected.iter().enumerate() {
                mlp_reading(&mut model.mlp, blocks * k, block * k..(block + 1) * k);
                let logits = model
                    .forward(&b)
                    .logits
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap();
                assert_block_sums(&logits, want, k, -0.5, block);
            }
        }
    }

    #[test]
    fn ablations_drop_their_outputs() {
        let (enc, sessions) = encoder(20);
        let device = Device::flex();
        let batch = batch(&enc, &sessions);
        let alpha_only = NhfmConfig::new(enc.num_features())
            .with_variant(NhfmVariant::Alpha)
            .init(&device)
            .forward(&batch);
        assert!(alpha_only.alpha.is_some() && alpha_only.beta.is_none());
        let beta_only = NhfmConfig::new(enc.num_features())
            .with_variant(NhfmVariant::Beta)
            .init(&device)
            .forward(&batch);
        assert!(beta_only.alpha.is_none() && beta_only.beta.is_some());
        assert_eq!(beta_only.logits.dims(), [sessions.len()]);
    }
}

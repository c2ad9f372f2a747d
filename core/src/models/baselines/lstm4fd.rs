//! LSTM4FD (Wang et al. 2017; Zhang et al. 2018): an LSTM over the session's events for fraud
//! detection, the papers' sequence baseline. Each event enters as the concatenation of its
//! field embeddings `[x_1 v_1; …; x_F v_F]`; the final state of the padding-aware LSTM, after
//! the current event, goes through the MLP: `ŷ = σ(MLP(LSTM(E)_T))`.

use crate::encode::Batch;
use crate::models::layers::{
    FieldEmbedding, FieldEmbeddingConfig, MaskedLstm, MaskedLstmConfig, Mlp, MlpConfig,
};
use burn::prelude::*;

/// Configuration of [`Lstm4Fd`].
#[derive(Config, Debug)]
pub struct Lstm4FdConfig {
    /// Size of the feature dictionary.
    pub num_features: usize,
    /// `F`: field slots per event.
    pub event_fields: usize,
    /// `k`: embedding dimension.
    #[config(default = 64)]
    pub embedding_dim: usize,
    /// LSTM hidden size.
    #[config(default = 64)]
    pub lstm_hidden: usize,
    /// MLP hidden size.
    #[config(default = 64)]
    pub mlp_hidden: usize,
    /// Dropout probability in the MLP.
    #[config(default = 0.2)]
    pub dropout: f64,
}

impl Lstm4FdConfig {
    /// Build the model.
    pub fn init(&self, device: &Device) -> Lstm4Fd {
        let k = self.embedding_dim;
        Lstm4Fd {
            embedding: FieldEmbeddingConfig::new(self.num_features, k).init(device),
            lstm: MaskedLstmConfig::new(self.event_fields * k, self.lstm_hidden).init(device),
            mlp: MlpConfig::new(self.lstm_hidden, self.mlp_hidden, self.dropout).init(device),
        }
    }
}

/// The LSTM sequence baseline.
#[derive(Module, Debug)]
pub struct Lstm4Fd {
    /// `v_i`.
    pub embedding: FieldEmbedding,
    /// The LSTM over events (padded steps leave its state unchanged).
    pub lstm: MaskedLstm,
    /// The MLP on its final state.
    pub mlp: Mlp,
}

impl Lstm4Fd {
    /// Logits `[B]`.
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        let vectors = self
            .embedding
            .field_vectors(batch.event_index.clone(), batch.event_value.clone());
        let [b, t, f, k] = vectors.dims();
        let events = vectors.reshape([b, t, f * k]);
        let state = self
            .lstm
            .forward(events, batch.event_mask.clone(), batch.padding);
        self.mlp.forward(state)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;
    use burn::module::Param;

    /// One hidden unit, `U = 0`, input weights reading only the first coordinate of each
    /// event's concatenation `[x_1 v_1; x_2 v_2]`: event 1 gives `(1, 0, 0, 2)`, event 2
    /// `(1, 1, 0, 0)`, so every gate sees 1 at both steps. With `W = (1, 1, 1, 1)` on that
    /// coordinate and no bias: `c_1 = σ(1)·tanh(1)`, `c_2 = σ(1)·c_1 + σ(1)·tanh(1)`,
    /// `h_2 = σ(1)·tanh(c_2)`; the one-unit MLP gives `2·ReLU(h_2) − 1`.
    #[test]
    fn lstm_over_event_concatenations_by_hand() {
        let device = Device::flex();
        let mut m = Lstm4FdConfig::new(fixture::NUM_FEATURES, 2)
            .with_embedding_dim(2)
            .with_lstm_hidden(1)
            .with_mlp_hidden(1)
            .init(&device);
        fixture::set_embedding(&mut m.embedding);
        fixture::set_mlp(&mut m.mlp);
        let mut w = [[0.0f32; 4]; 4];
        w[0] = [1.0; 4];
        m.lstm.input.weight = Param::from_tensor(Tensor::from_data(w, &device));
        m.lstm.input.bias = Some(Param::from_tensor(Tensor::zeros([4], &device)));
        m.lstm.hidden.weight = Param::from_tensor(Tensor::zeros([1, 4], &device));
        let s = |x: f32| 1.0 / (1.0 + (-x).exp());
        let c1 = s(1.0) * 1f32.tanh();
        let c2 = s(1.0) * c1 + s(1.0) * 1f32.tanh();
        let expected = 2.0 * s(1.0) * c2.tanh() - 1.0;
        let got = fixture::logit(m.forward(&fixture::batch(&device)));
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    }
}

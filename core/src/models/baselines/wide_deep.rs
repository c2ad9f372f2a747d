//! Wide & Deep (Cheng et al. 2016): a linear "wide" part over the raw features plus the deep
//! MLP over their concatenated embeddings, `ŷ = σ(w_0 + Σ w_i x_i + MLP([x_1 v_1; …; x_N v_N]))`.

use super::dnn::deep_part;
use crate::encode::Batch;
use crate::models::layers::{
    FieldEmbedding, FieldEmbeddingConfig, Mlp, MlpConfig, Wide, WideConfig,
};
use burn::prelude::*;

/// Configuration of [`WideDeep`].
#[derive(Config, Debug)]
pub struct WideDeepConfig {
    /// Size of the feature dictionary.
    pub num_features: usize,
    /// `N = T·F + P`: feature slots per session.
    pub num_slots: usize,
    /// `k`: embedding dimension.
    #[config(default = 64)]
    pub embedding_dim: usize,
    /// MLP hidden size.
    #[config(default = 64)]
    pub mlp_hidden: usize,
    /// Dropout probability in the MLP.
    #[config(default = 0.2)]
    pub dropout: f64,
}

impl WideDeepConfig {
    /// Build the model.
    pub fn init(&self, device: &Device) -> WideDeep {
        let k = self.embedding_dim;
        WideDeep {
            wide: WideConfig::new(self.num_features).init(device),
            embedding: FieldEmbeddingConfig::new(self.num_features, k).init(device),
            deep: MlpConfig::new(self.num_slots * k, self.mlp_hidden, self.dropout).init(device),
        }
    }
}

/// Wide & Deep.
#[derive(Module, Debug)]
pub struct WideDeep {
    /// The wide (linear) part.
    pub wide: Wide,
    /// `v_i` of the deep part.
    pub embedding: FieldEmbedding,
    /// The deep MLP.
    pub deep: Mlp,
}

impl WideDeep {
    /// Logits `[B]`.
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        self.wide.forward_batch(batch) + deep_part(&self.embedding, &self.deep, batch)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    /// wide 0.75 + deep 9 (see the DNN test).
    #[test]
    fn wide_plus_deep_by_hand() {
        let device = Device::flex();
        let mut m = WideDeepConfig::new(fixture::NUM_FEATURES, fixture::SLOTS)
            .with_embedding_dim(2)
            .with_mlp_hidden(1)
            .init(&device);
        fixture::set_linear(&mut m.wide);
        fixture::set_embedding(&mut m.embedding);
        fixture::set_mlp(&mut m.deep);
        assert_eq!(fixture::logit(m.forward(&fixture::batch(&device))), 9.75);
    }
}

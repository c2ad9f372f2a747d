//! DeepFM (Guo et al. 2017): an FM and a deep MLP on shared embeddings, side by side:
//! `ŷ = σ(w_0 + Σ w_i x_i + Σ_{i<j} ⟨v_i, v_j⟩ x_i x_j + MLP([x_1 v_1; …; x_N v_N]))`.

use super::dnn::deep_part;
use crate::encode::Batch;
use crate::models::layers::{
    FieldEmbedding, FieldEmbeddingConfig, Mlp, MlpConfig, Wide, WideConfig, bi_interaction,
};
use burn::prelude::*;

/// Configuration of [`DeepFm`].
#[derive(Config, Debug)]
pub struct DeepFmConfig {
    /// Size of the feature dictionary.
    pub num_features: usize,
    /// `N = T·F + P`: feature slots per session.
    pub num_slots: usize,
    /// `k`: embedding dimension.
    #[config(default = 64)]
    pub embedding_dim: usize,
    /// Standard deviation of the initial embeddings: small, because the pairwise terms sum
    /// over every pair of a few hundred feature slots (0.1 saturates the initial scores).
    #[config(default = 0.01)]
    pub embedding_init_std: f64,
    /// MLP hidden size.
    #[config(default = 64)]
    pub mlp_hidden: usize,
    /// Dropout probability in the MLP.
    #[config(default = 0.2)]
    pub dropout: f64,
}

impl DeepFmConfig {
    /// Build the model.
    pub fn init(&self, device: &Device) -> DeepFm {
        let k = self.embedding_dim;
        DeepFm {
            linear: WideConfig::new(self.num_features).init(device),
            embedding: FieldEmbeddingConfig::new(self.num_features, k)
                .with_init_std(self.embedding_init_std)
                .init(device),
            deep: MlpConfig::new(self.num_slots * k, self.mlp_hidden, self.dropout).init(device),
        }
    }
}

/// DeepFM.
#[derive(Module, Debug)]
pub struct DeepFm {
    /// The FM's first-order part `w_0`, `w_i`.
    pub linear: Wide,
    /// `v_i`, shared by the FM and the deep part.
    pub embedding: FieldEmbedding,
    /// The deep MLP.
    pub deep: Mlp,
}

impl DeepFm {
    /// Logits `[B]`.
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        let (index, value) = batch.flat_features();
        let fm = bi_interaction(self.embedding.flat_vectors(index, value))
            .sum_dim(1)
            .squeeze_dim::<1>(1);
        self.linear.forward_batch(batch) + fm + deep_part(&self.embedding, &self.deep, batch)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    /// linear 0.75 + FM 2 + deep 9 (see the DNN test).
    #[test]
    fn fm_plus_deep_by_hand() {
        let device = Device::flex();
        let mut m = DeepFmConfig::new(fixture::NUM_FEATURES, fixture::SLOTS)
            .with_embedding_dim(2)
            .with_mlp_hidden(1)
            .init(&device);
        fixture::set_linear(&mut m.linear);
        fixture::set_embedding(&mut m.embedding);
        fixture::set_mlp(&mut m.deep);
        assert_eq!(fixture::logit(m.forward(&fixture::batch(&device))), 11.75);
    }
}

//! NFM (He & Chua 2017): the bi-interaction pooling `Σ_{i<j} x_i v_i ⊙ x_j v_j` fed to an MLP
//! for higher-order interactions, plus the linear part:
//! `ŷ = σ(w_0 + Σ w_i x_i + MLP(Σ_{i<j} x_i v_i ⊙ x_j v_j))`.

use crate::encode::Batch;
use crate::models::layers::{
    FieldEmbedding, FieldEmbeddingConfig, Mlp, MlpConfig, Wide, WideConfig, bi_interaction,
};
use burn::prelude::*;

/// Configuration of [`Nfm`].
#[derive(Config, Debug)]
pub struct NfmConfig {
    /// Size of the feature dictionary.
    pub num_features: usize,
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

impl NfmConfig {
    /// Build the model.
    pub fn init(&self, device: &Device) -> Nfm {
        let k = self.embedding_dim;
        Nfm {
            linear: WideConfig::new(self.num_features).init(device),
            embedding: FieldEmbeddingConfig::new(self.num_features, k)
                .with_init_std(self.embedding_init_std)
                .init(device),
            mlp: MlpConfig::new(k, self.mlp_hidden, self.dropout).init(device),
        }
    }
}

/// Neural Factorization Machines.
#[derive(Module, Debug)]
pub struct Nfm {
    /// `w_0`, `w_i`.
    pub linear: Wide,
    /// `v_i`.
    pub embedding: FieldEmbedding,
    /// The MLP over the bi-interaction pooling.
    pub mlp: Mlp,
}

impl Nfm {
    /// Logits `[B]`.
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        let (index, value) = batch.flat_features();
        let pooled = bi_interaction(self.embedding.flat_vectors(index, value));
        self.linear.forward_batch(batch) + self.mlp.forward(pooled)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    /// Bi-interaction `(3, −1)` sums to 2 in the one-unit MLP: `2·ReLU(2) − 1 = 3`; plus the
    /// linear 0.75.
    #[test]
    fn bi_interaction_mlp_by_hand() {
        let device = Device::flex();
        let mut m = NfmConfig::new(fixture::NUM_FEATURES)
            .with_embedding_dim(2)
            .with_mlp_hidden(1)
            .init(&device);
        fixture::set_linear(&mut m.linear);
        fixture::set_embedding(&mut m.embedding);
        fixture::set_mlp(&mut m.mlp);
        assert_eq!(fixture::logit(m.forward(&fixture::batch(&device))), 3.75);
    }
}

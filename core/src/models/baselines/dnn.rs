//! DNN: an MLP over the concatenated embeddings `[x_1 v_1; …; x_N v_N]` of every feature slot
//! of the session (the "deep" part of Wide & Deep and DeepFM, on its own).

use crate::encode::Batch;
use crate::models::layers::{FieldEmbedding, FieldEmbeddingConfig, Mlp, MlpConfig};
use burn::prelude::*;

/// Configuration of [`Dnn`].
#[derive(Config, Debug)]
pub struct DnnConfig {
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

impl DnnConfig {
    /// Build the model.
    pub fn init(&self, device: &Device) -> Dnn {
        let k = self.embedding_dim;
        Dnn {
            embedding: FieldEmbeddingConfig::new(self.num_features, k).init(device),
            deep: MlpConfig::new(self.num_slots * k, self.mlp_hidden, self.dropout).init(device),
        }
    }
}

/// `ŷ = σ(MLP([x_1 v_1; …; x_N v_N]))`.
#[derive(Module, Debug)]
pub struct Dnn {
    /// `v_i`.
    pub embedding: FieldEmbedding,
    /// The MLP.
    pub deep: Mlp,
}

/// `MLP([x_1 v_1; …; x_N v_N])` of a batch: the deep part shared by [`Dnn`], Wide & Deep and
/// DeepFM.
pub fn deep_part(embedding: &FieldEmbedding, deep: &Mlp, batch: &Batch) -> Tensor<1> {
    let (index, value) = batch.flat_features();
    let vectors = embedding.flat_vectors(index, value);
    let [b, n, k] = vectors.dims();
    deep.forward(vectors.reshape([b, n * k]))
}

impl Dnn {
    /// Logits `[B]`.
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        deep_part(&self.embedding, &self.deep, batch)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    /// The concatenation `(1, 0, 0, 2, 1, 1, 0, 0, 1, −1)` sums to 5 in the one-unit MLP:
    /// `2·ReLU(5) − 1 = 9`.
    #[test]
    fn mlp_over_concatenated_embeddings_by_hand() {
        let device = Device::flex();
        let mut m = DnnConfig::new(fixture::NUM_FEATURES, fixture::SLOTS)
            .with_embedding_dim(2)
            .with_mlp_hidden(1)
            .init(&device);
        fixture::set_embedding(&mut m.embedding);
        fixture::set_mlp(&mut m.deep);
        assert_eq!(fixture::logit(m.forward(&fixture::batch(&device))), 9.0);
    }
}

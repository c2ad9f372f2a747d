//! AFM (Xiao et al. 2017): the FM's pairwise interactions weighed by an attention network,
//! `ŷ = σ(w_0 + Σ w_i x_i + pᵀ Σ_{i<j} a_ij (v_i ⊙ v_j) x_i x_j)` with
//! `a'_ij = hᵀ ReLU(W (v_i ⊙ v_j) x_i x_j + b)` and `a_ij = softmax(a'_ij)` over the pairs of
//! features present in the session (pairs with padding or a missing value are masked; the
//! original has no padding). All `N(N−1)/2` pairs are materialised, which over the full
//! `T·F + P` slots (≈ 25,000 pairs here) makes an epoch take minutes, so the pairwise part reads
//! the most recent `pair_events` events and the profile (default 5 events: ≈ 1,800 pairs),
//! the linear part every slot; and the embedding is smaller than the other models' (k = 16).

use crate::encode::Batch;
use crate::models::layers::{FieldEmbedding, FieldEmbeddingConfig, Wide, WideConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;
use burn::tensor::activation::softmax;

/// Configuration of [`Afm`].
#[derive(Config, Debug)]
pub struct AfmConfig {
    /// Size of the feature dictionary.
    pub num_features: usize,
    /// `k`: embedding dimension.
    #[config(default = 16)]
    pub embedding_dim: usize,
    /// Standard deviation of the initial embeddings: small, because the pairwise terms sum
    /// over every pair of a few hundred feature slots (0.1 saturates the initial scores).
    #[config(default = 0.01)]
    pub embedding_init_std: f64,
    /// `t`: attention network size.
    #[config(default = 16)]
    pub attention_dim: usize,
    /// Events (most recent first) whose features enter the pairwise part.
    #[config(default = 5)]
    pub pair_events: usize,
}

impl AfmConfig {
    /// Build the model.
    pub fn init(&self, device: &Device) -> Afm {
        let (k, t) = (self.embedding_dim, self.attention_dim);
        Afm {
            linear: WideConfig::new(self.num_features).init(device),
            embedding: FieldEmbeddingConfig::new(self.num_features, k)
                .with_init_std(self.embedding_init_std)
                .init(device),
            attention: LinearConfig::new(k, t).init(device),
            activation: Relu::new(),
            h: LinearConfig::new(t, 1).with_bias(false).init(device),
            p: LinearConfig::new(k, 1).with_bias(false).init(device),
            pair_events: self.pair_events,
        }
    }
}

/// Attentional Factorization Machines.
#[derive(Module, Debug)]
pub struct Afm {
    /// `w_0`, `w_i`.
    pub linear: Wide,
    /// `v_i`.
    pub embedding: FieldEmbedding,
    /// `W`, `b` of the attention network.
    pub attention: Linear,
    /// ReLU.
    pub activation: Relu,
    /// `h`.
    pub h: Linear,
    /// `p`.
    pub p: Linear,
    /// Events whose features enter the pairwise part.
    pub pair_events: usize,
}

/// Left and right members of every pair `i < j` of `n` slots.
fn pairs(n: usize, device: &Device) -> (Tensor<1, Int>, Tensor<1, Int>) {
    let (left, right): (Vec<i64>, Vec<i64>) = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i as i64, j as i64)))
        .unzip();
    let len = left.len();
    (
        Tensor::from_data(TensorData::new(left, [len]), device),
        Tensor::from_data(TensorData::new(right, [len]), device),
    )
}

impl Afm {
    /// Logits `[B]`.
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        let (index, value) = batch.recent_flat_features(self.pair_events);
        let device = value.device();
        let present = index.clone().not_equal_elem(0).float(); // [B, N]
        let vectors = self.embedding.flat_vectors(index, value); // [B, N, k]
        let (left, right) = pairs(vectors.dims()[1], &device);
        let interactions =
            vectors.clone().select(1, left.clone()) * vectors.select(1, right.clone()); // [B, P, k]
        let mask = present.clone().select(1, left) * present.select(1, right); // [B, P]
        let scores = self
            .h
            .forward(
                self.activation
                    .forward(self.attention.forward(interactions.clone())),
            )
            .squeeze_dim::<2>(2);
        let masked = scores + (mask.clone() - 1.0).mul_scalar(1e9);
        let weights = softmax(masked, 1) * mask;
        let pooled = (interactions * weights.unsqueeze_dim::<3>(2))
            .sum_dim(1)
            .squeeze_dim::<2>(1); // [B, k]
        self.linear.forward_batch(batch) + self.p.forward(pooled).squeeze_dim::<1>(1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;
    use burn::module::Param;

    /// The six pairs of the four present features are `a⊙b = (0, 0)`, `a⊙c = (1, 0)`,
    /// `a⊙e = (1, 0)`, `b⊙c = (0, 2)`, `b⊙e = (0, −2)`, `c⊙e = (1, −1)` (pairs with the missing
    /// slot are masked). With `W = I`, `b = 0`, `h = (1, 0)` the scores are each pair's
    /// positive first component, 1 for three pairs and 0 for three, so
    /// `Σ a_ij pair = e/(3e + 3)·(3, −1)`, and `p = (1, 1)` gives `2e/(3e + 3)`; plus 0.75.
    #[test]
    fn attention_over_present_pairs_by_hand() {
        let device = Device::flex();
        let mut m = AfmConfig::new(fixture::NUM_FEATURES)
            .with_embedding_dim(2)
            .with_attention_dim(2)
            .init(&device);
        fixture::set_linear(&mut m.linear);
        fixture::set_embedding(&mut m.embedding);
        m.attention.weight =
            Param::from_tensor(Tensor::from_data([[1.0, 0.0], [0.0, 1.0]], &device));
        m.attention.bias = Some(Param::from_tensor(Tensor::zeros([2], &device)));
        m.h.weight = Param::from_tensor(Tensor::from_data([[1.0], [0.0]], &device));
        m.p.weight = Param::from_tensor(Tensor::from_data([[1.0], [1.0]], &device));
        let e = std::f32::consts::E;
        let expected = 0.75 + 2.0 * e / (3.0 * e + 3.0);
        let got = fixture::logit(m.forward(&fixture::batch(&device)));
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    }
}

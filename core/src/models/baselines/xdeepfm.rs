//! xDeepFM (Lian et al. 2018): a linear part, the Compressed Interaction Network (explicit,
//! vector-wise interactions of bounded degree) and a deep MLP on shared embeddings:
//! `ŷ = σ(w_0 + Σ w_i x_i + w_cinᵀ p⁺ + MLP([x_1 v_1; …; x_N v_N]))`.
//!
//! CIN layer `k` (Eq. 6 of the xDeepFM paper), with `X⁰ = [x_1 v_1; …; x_N v_N]` (`m = N` rows
//! of `D = k` columns): `X^k_{h,*} = Σ_i Σ_j W^{k,h}_{ij} (X^{k−1}_{i,*} ⊙ X⁰_{j,*})`, and
//! `p⁺ = [p¹; …; p^L]` with `p^k_h = Σ_d X^k_{h,d}` (sum pooling). Computed as
//! `Σ_i X^{k−1}_{i,d} (Σ_j W_{h,i,j} X⁰_{j,d})`, which never forms the `H_{k−1}·m·D` outer
//! product. Layer sizes default to 16, 16 and the embedding to k = 16 (N is a few hundred
//! slots here).

use super::dnn::deep_part;
use crate::encode::Batch;
use crate::models::layers::{
    FieldEmbedding, FieldEmbeddingConfig, Mlp, MlpConfig, Wide, WideConfig,
};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

/// Configuration of [`XDeepFm`].
#[derive(Config, Debug)]
pub struct XDeepFmConfig {
    /// Size of the feature dictionary.
    pub num_features: usize,
    /// `N = T·F + P`: feature slots per session (`m`).
    pub num_slots: usize,
    /// `D`: embedding dimension.
    #[config(default = 16)]
    pub embedding_dim: usize,
    /// Standard deviation of the initial embeddings: small, because the pairwise terms sum
    /// over every pair of a few hundred feature slots (0.1 saturates the initial scores).
    #[config(default = 0.01)]
    pub embedding_init_std: f64,
    /// `H_1, …, H_L`: feature maps per CIN layer.
    #[config(default = "vec![16, 16]")]
    pub cin_layers: Vec<usize>,
    /// MLP hidden size.
    #[config(default = 64)]
    pub mlp_hidden: usize,
    /// Dropout probability in the MLP.
    #[config(default = 0.2)]
    pub dropout: f64,
}

impl XDeepFmConfig {
    /// Build the model.
    pub fn init(&self, device: &Device) -> XDeepFm {
        let (m, d) = (self.num_slots, self.embedding_dim);
        let mut previous = m;
        let cin = self
            .cin_layers
            .iter()
            .map(|&h| {
                // W^k as a map from the m rows of X⁰ to the H_k·H_{k−1} pairs (h, i)
                let layer = LinearConfig::new(m, h * previous)
                    .with_bias(false)
                    .init(device);
                previous = h;
                layer
            })
            .collect();
        XDeepFm {
            linear: WideConfig::new(self.num_features).init(device),
            embedding: FieldEmbeddingConfig::new(self.num_features, d)
                .with_init_std(self.embedding_init_std)
                .init(device),
            cin,
            cin_output: LinearConfig::new(self.cin_layers.iter().sum(), 1)
                .with_bias(false)
                .init(device),
            deep: MlpConfig::new(m * d, self.mlp_hidden, self.dropout).init(device),
        }
    }
}

/// xDeepFM.
#[derive(Module, Debug)]
pub struct XDeepFm {
    /// `w_0`, `w_i`.
    pub linear: Wide,
    /// `v_i`, shared by the CIN and the deep part.
    pub embedding: FieldEmbedding,
    /// `W^k` of each CIN layer, `[m, H_k·H_{k−1}]`.
    pub cin: Vec<Linear>,
    /// `w_cin`.
    pub cin_output: Linear,
    /// The deep MLP.
    pub deep: Mlp,
}

impl XDeepFm {
    /// `p⁺` of the CIN, `[B, Σ H_k]`.
    fn compressed_interactions(&self, x0: Tensor<3>) -> Tensor<2> {
        let [b, _, d] = x0.dims();
        let x0t = x0.swap_dims(1, 2); // [B, D, m]
        let mut previous = x0t.clone(); // X^{k−1} as [B, D, H_{k−1}]
        let mut pooled = Vec::with_capacity(self.cin.len());
        for layer in &self.cin {
            let h_prev = previous.dims()[2];
            let h = layer.weight.dims()[1] / h_prev;
            let mixed = layer.forward(x0t.clone()).reshape([b, d, h, h_prev]); // Σ_j W_hij X⁰_jd
            let next = (mixed * previous.unsqueeze_dim::<4>(2))
                .sum_dim(3)
                .reshape([b, d, h]);
            pooled.push(next.clone().sum_dim(1).reshape([b, h]));
            previous = next;
        }
        Tensor::cat(pooled, 1)
    }

    /// Logits `[B]`.
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        let (index, value) = batch.flat_features();
        let x0 = self.embedding.flat_vectors(index, value);
        let cin = self
            .cin_output
            .forward(self.compressed_interactions(x0))
            .squeeze_dim::<1>(1);
        self.linear.forward_batch(batch) + cin + deep_part(&self.embedding, &self.deep, batch)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;
    use burn::module::Param;

    /// One CIN layer of one map with `W_{0,i,j} = δ_ij`: `X¹_d = Σ_i (X⁰_{i,d})²`, the column
    /// sums of squares of `a, b, c, 0, e`: `(3, 6)`, pooled to 9; `w_cin = 1`. Plus linear 0.75
    /// and deep 9 (see the DNN test).
    #[test]
    fn cin_plus_deep_by_hand() {
        let device = Device::flex();
        let mut m = XDeepFmConfig::new(fixture::NUM_FEATURES, fixture::SLOTS)
            .with_embedding_dim(2)
            .with_cin_layers(vec![1])
            .with_mlp_hidden(1)
            .init(&device);
        fixture::set_linear(&mut m.linear);
        fixture::set_embedding(&mut m.embedding);
        fixture::set_mlp(&mut m.deep);
        m.cin[0].weight = Param::from_tensor(Tensor::eye(fixture::SLOTS, &device));
        m.cin_output.weight = Param::from_tensor(Tensor::ones([1, 1], &device));
        assert_eq!(fixture::logit(m.forward(&fixture::batch(&device))), 18.75);
    }

    /// Two layers against the definition, summed term by term on random weights.
    #[test]
    fn two_layers_match_the_definition() {
        let device = Device::flex();
        device.seed(5);
        let m = XDeepFmConfig::new(fixture::NUM_FEATURES, 3)
            .with_embedding_dim(2)
            .with_cin_layers(vec![2, 2])
            .init(&device);
        let x0 = Tensor::<3>::random([1, 3, 2], burn::tensor::Distribution::Default, &device);
        let got = m
            .compressed_interactions(x0.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let x0v = x0.into_data().try_to_vec::<f32>().unwrap(); // [m=3][d=2]
        let w = |l: usize| {
            m.cin[l]
                .weight
                .val()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        };
        // Linear weight [m, H·H'] holds W_{h,i,j} at row j, column h·H' + i
        let layer = |prev: &Vec<f32>, h_prev: usize, wv: &[f32], h: usize| {
            let mut out = vec![0f32; h * 2];
            for hh in 0..h {
                for d in 0..2 {
                    for i in 0..h_prev {
                        for j in 0..3 {
                            out[hh * 2 + d] += wv[j * h * h_prev + hh * h_prev + i]
                                * prev[i * 2 + d]
                                * x0v[j * 2 + d];
                        }
                    }
                }
            }
            out
        };
        let x1 = layer(&x0v, 3, &w(0), 2);
        let x2 = layer(&x1, 2, &w(1), 2);
        let pool = |x: &Vec<f32>| (0..2).map(|h| x[h * 2] + x[h * 2 + 1]).collect::<Vec<_>>();
        let expected: Vec<f32> = pool(&x1).into_iter().chain(pool(&x2)).collect();
        for (a, b) in got.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-5, "{got:?} vs {expected:?}");
        }
    }
}

//! Feature embeddings and the Hadamard-product FM over them: NHFM's event extractor (§3.2,
//! Eq. 1), DIFM's field interactions module (Eq. 8) and field value variations module (Eq. 6),
//! and the FM parts of the baselines.

use super::fm_kernel::{fused_field_fm, fused_hadamard_fm};
use burn::nn::{Embedding, EmbeddingConfig, Initializer};
use burn::prelude::*;

/// Configuration of [`FieldEmbedding`].
#[derive(Config, Debug)]
pub struct FieldEmbeddingConfig {
    /// `n`: size of the feature dictionary.
    pub num_features: usize,
    /// `k`: embedding dimension.
    pub embedding_dim: usize,
    /// Standard deviation of the initial embeddings.
    #[config(default = 0.1)]
    pub init_std: f64,
}

impl FieldEmbeddingConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> FieldEmbedding {
        FieldEmbedding {
            embedding: EmbeddingConfig::new(self.num_features, self.embedding_dim)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: self.init_std,
                })
                .init(device),
        }
    }
}

/// Embeds every feature (`v_i ∈ R^k`, DIFM §3.2.1: rescaled as `x_i v_i`) and combines the
/// fields of an event with NHFM Eq. (1) = DIFM Eq. (8):
///
/// `e_t = Σ_{i<j} x_i v_i ⊙ x_j v_j = ½[(Σ_i x_i v_i)² − Σ_i (x_i v_i)²]` (element-wise,
/// DIFM Eq. 2), the usual O(F·k) rewrite of the pairwise sum. Padding and missing values have
/// `x_i = 0` and drop out.
#[derive(Module, Debug)]
pub struct FieldEmbedding {
    /// The feature embeddings `v_i`.
    pub embedding: Embedding,
}

impl FieldEmbedding {
    /// Scaled field embeddings `x_i v_i`: `[B, T, F]` indices and values → `[B, T, F, k]`.
    pub fn field_vectors(&self, index: Tensor<3, Int>, value: Tensor<3>) -> Tensor<4> {
        let [b, t, f] = index.dims();
        let v = self.embedding.forward(index.reshape([b, t * f]));
        let k = v.dims()[2];
        v.reshape([b, t, f, k]) * value.unsqueeze_dim::<4>(3)
    }

    /// Scaled embeddings of a flat feature set: `[B, N]` indices and values → `[B, N, k]`.
    pub fn flat_vectors(&self, index: Tensor<2, Int>, value: Tensor<2>) -> Tensor<3> {
        self.embedding.forward(index) * value.unsqueeze_dim::<3>(2)
    }

    /// Event representations `e_t` (NHFM Eq. 1, DIFM Eq. 8): `[B, T, F]` → `[B, T, k]`.
    pub fn forward(&self, index: Tensor<3, Int>, value: Tensor<3>) -> Tensor<3> {
        self.pools(index, value, false).over_fields
    }

    /// The pairwise-product poolings of `[B, T, F]` indices and values: over each event's
    /// fields, and over each field's events when `over_events`. On the CPU each is the look-up
    /// fused into the pooling (no `[B, T, F, k]` field vectors; the pooling over the events
    /// reads the indices field by field); elsewhere the field vectors are gathered once and
    /// pooled along both dimensions.
    pub fn pools(&self, index: Tensor<3, Int>, value: Tensor<3>, over_events: bool) -> FieldPools {
        let weight = self.embedding.weight.val();
        match fused_field_fm(&weight, &index, &value) {
            Some(over_fields) => FieldPools {
                over_fields,
                over_events: over_events.then(|| {
                    let by_field = (index.clone().swap_dims(1, 2), value.clone().swap_dims(1, 2));
                    fused_field_fm(&weight, &by_field.0, &by_field.1)
                        .unwrap_or_else(|| hadamard_fm(self.field_vectors(index, value), 1))
                }),
            },
            None => {
                let vectors = self.field_vectors(index, value);
                FieldPools {
                    over_events: over_events.then(|| hadamard_fm(vectors.clone(), 1)),
                    over_fields: hadamard_fm(vectors, 2),
                }
            }
        }
    }
}

/// What [`FieldEmbedding::pools`] returns.
#[derive(Debug, Clone)]
pub struct FieldPools {
    /// Over each event's fields, `[B, T, k]`: NHFM's event extractor (Eq. 1), DIFM's field
    /// interactions `e_t` (Eq. 8).
    pub over_fields: Tensor<3>,
    /// Over each field's events, `[B, F, k]`: DIFM's field value variations `f_n` (Eq. 6);
    /// `None` unless asked for.
    pub over_events: Option<Tensor<3>>,
}

/// `½[(Σ_d x)² − Σ_d x²]` along dimension `dim` of a rank-4 tensor, which is removed:
/// the sum of the element-wise products of all pairs along `dim`. On the CPU backend one fused
/// pass ([`fused_hadamard_fm`]); elsewhere [`hadamard_fm_by_ops`].
pub fn hadamard_fm(x: Tensor<4>, dim: usize) -> Tensor<3> {
    fused_hadamard_fm(&x, dim).unwrap_or_else(|| hadamard_fm_by_ops(x, dim))
}

/// [`hadamard_fm`] as tensor operations (the path of wgpu and WebGPU).
pub fn hadamard_fm_by_ops(x: Tensor<4>, dim: usize) -> Tensor<3> {
    let sum = x.clone().sum_dim(dim);
    let sum_sq = x.square().sum_dim(dim);
    (sum.square() - sum_sq).mul_scalar(0.5).squeeze_dim(dim)
}

/// The bi-interaction pooling of a flat feature set (NFM, He & Chua 2017; DIFM Eq. 2):
/// `Σ_{i<j} x_i v_i ⊙ x_j v_j`, `[B, N, k]` → `[B, k]`.
pub fn bi_interaction(vectors: Tensor<3>) -> Tensor<2> {
    let [b, _, k] = vectors.dims();
    hadamard_fm(vectors.unsqueeze_dim::<4>(1), 2).reshape([b, k])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;

    #[test]
    fn eq1_matches_pairwise_products() {
        let device = Device::flex();
        let mut ex = FieldEmbeddingConfig::new(4, 2).init(&device);
        // v_0 = pad, v_1 = (1, 2), v_2 = (3, -1), v_3 = (0.5, 4)
        ex.embedding.weight = Param::from_tensor(Tensor::from_data(
            [[0.0, 0.0], [1.0, 2.0], [3.0, -1.0], [0.5, 4.0]],
            &device,
        ));
        // one event with features 1 (x=1), 2 (x=2), 3 (x=0.5); one padded event
        let index = Tensor::<3, Int>::from_data([[[1, 2, 3], [0, 0, 0]]], &device);
        let value = Tensor::<3>::from_data([[[1.0, 2.0, 0.5], [0.0, 0.0, 0.0]]], &device);
        let e = ex
            .forward(index, value)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        // x v: a=(1,2) b=(6,-2) c=(0.25,2)
        // a⊙b + a⊙c + b⊙c = (6,-4) + (0.25,4) + (1.5,-4) = (7.75, -4)
        assert_eq!(e, vec![7.75, -4.0, 0.0, 0.0]);
    }
}

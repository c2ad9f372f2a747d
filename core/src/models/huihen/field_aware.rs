//! The EN and FAN layers of HUIHEN (§3.2–3.3): behavior embeddings and the field-aware mapping
//! of Eq. (1).

use crate::models::layers::{FieldEmbedding, FieldEmbeddingConfig};
use burn::module::Param;
use burn::nn::{Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

/// Configuration of [`FieldAware`].
#[derive(Config, Debug)]
pub struct FieldAwareConfig {
    /// `n`: size of the feature dictionary.
    pub num_features: usize,
    /// `F`: feature slots per behavior (each a field with its own `w_i`).
    pub num_fields: usize,
    /// Embedding dimension (the paper: 10).
    #[config(default = 10)]
    pub embedding_dim: usize,
    /// Standard deviation of the initial behavior embeddings (the paper does not say; Burn's
    /// embedding default).
    #[config(default = 1.0)]
    pub init_std: f64,
    /// One `w` for every behavior field (Table 5's "Field-aware-without-category") instead of
    /// a `w_i` per field.
    #[config(default = false)]
    pub shared: bool,
}

impl FieldAwareConfig {
    /// Build the layer.
    pub fn init(&self, device: &Device) -> FieldAware {
        let d = self.embedding_dim;
        let bound = 1.0 / (d as f64).sqrt();
        FieldAware {
            embedding: FieldEmbeddingConfig::new(self.num_features, d)
                .with_init_std(self.init_std)
                .init(device),
            field_weights: Initializer::Uniform {
                min: -bound,
                max: bound,
            }
            .init(
                [if self.shared { 1 } else { self.num_fields }, d, d],
                device,
            ),
            week: EmbeddingConfig::new(8, d).init(device),
            month: EmbeddingConfig::new(32, d).init(device),
            time_period: LinearConfig::new(d, d).with_bias(false).init(device),
        }
    }
}

/// `FieldAware_i(e_j) = ReLU(w_i e_j)`, Eq. (1).
///
/// A behavior's embedding `e` comes from the dictionary row of its value in the field it
/// belongs to, times the slot's value: 1 for an item click or a function widget, the log of
/// the amount for a transform operation (`scale_by` in the schema, §3.2), the normalised
/// value for a numeric field. A behavior fills one field and leaves the others missing (index
/// 0, value 0, so `ReLU(w_i · 0) = 0`): the field-wise vector is the sum over the fields,
/// which is `ReLU(w_i e_j)` of the one field filled. The time period (weekday and day of the
/// month, one embedding each) is one more field with its own `w`.
#[derive(Module, Debug)]
pub struct FieldAware {
    /// Behavior embeddings (item click, transform operation, function widget, …).
    pub embedding: FieldEmbedding,
    /// `w_i` of each behavior field, `[F, d, d]`; `[1, d, d]` when one `w` is shared.
    pub field_weights: Param<Tensor<3>>,
    /// Weekday embeddings (row 0: padding).
    pub week: Embedding,
    /// Day-of-month embeddings (row 0: padding).
    pub month: Embedding,
    /// `w` of the time-period field.
    pub time_period: Linear,
}

impl FieldAware {
    /// `index`, `value`: `[N, F]` → the behaviors' field-wise vectors `f_j`, `[N, d]`.
    pub fn behaviors(&self, index: Tensor<2, Int>, value: Tensor<2>) -> Tensor<2> {
        let e = self.embedding.flat_vectors(index, value); // [N, F, d]
        let fields = e.dims()[1];
        let w = self.field_weights.val();
        // a shared `w` serves every field
        let w = if w.dims()[0] == 1 && fields > 1 {
            w.repeat_dim(0, fields)
        } else {
            w
        };
        let per_field = e.swap_dims(0, 1).matmul(w); // [F, N, d]
        relu(per_field).sum_dim(0).squeeze_dim::<2>(0)
    }

    /// `week`, `month`: `[N]` ids → `[x_week; x_month]`, `[N, 2d]`.
    pub fn period(&self, week: Tensor<1, Int>, month: Tensor<1, Int>) -> Tensor<2> {
        let map = |e: &Embedding, ids: Tensor<1, Int>| {
            relu(
                self.time_period
                    .forward(e.forward(ids.unsqueeze_dim::<2>(1)).squeeze_dim::<2>(1)),
            )
        };
        Tensor::cat(vec![map(&self.week, week), map(&self.month, month)], 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two fields, `d = 2`: a behavior filling field 0 with value 2 (a scaled transform
    /// operation) gets `ReLU(w_0 · 2 e)`; the missing field adds nothing.
    #[test]
    fn field_wise_vector_by_hand() {
        let device = Device::flex();
        let mut fan = FieldAwareConfig::new(3, 2)
            .with_embedding_dim(2)
            .init(&device);
        fan.embedding.embedding.weight = Param::from_tensor(Tensor::from_data(
            [[0.0, 0.0], [1.0, -1.0], [0.5, 2.0]],
            &device,
        ));
        // w_0 = [[1, 2], [3, 4]] (row: input unit), w_1 = identity
        fan.field_weights = Param::from_tensor(Tensor::from_data(
            [[[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]],
            &device,
        ));
        let index = Tensor::<2, Int>::from_data([[1, 0], [0, 2]], &device);
        let value = Tensor::<2>::from_data([[2.0, 0.0], [0.0, 1.0]], &device);
        let vectors = |layer: &FieldAware| {
            layer
                .behaviors(index.clone(), value.clone())
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        };
        let f = vectors(&fan);
        // row 0: 2·(1, −1) · w_0 = (2·1 − 2·3, 2·2 − 2·4) = (−4, −4) → ReLU (0, 0)
        // row 1: (0.5, 2) · I = (0.5, 2)
        assert_eq!(f, [0.0, 0.0, 0.5, 2.0]);

        // one shared w = w_0 for both fields (Table 5's "without category"): row 1 is now
        // (0.5, 2) · w_0 = (0.5 + 6, 1 + 8) = (6.5, 9); row 0 is unchanged
        let mut shared = FieldAwareConfig::new(3, 2)
            .with_embedding_dim(2)
            .with_shared(true)
            .init(&device);
        assert_eq!(shared.field_weights.val().dims(), [1, 2, 2]);
        shared.embedding = fan.embedding.clone();
        shared.field_weights =
            Param::from_tensor(Tensor::from_data([[[1.0, 2.0], [3.0, 4.0]]], &device));
        assert_eq!(vectors(&shared), [0.0, 0.0, 6.5, 9.0]);
    }
}

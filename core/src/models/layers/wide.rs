//! The "wide" part of NHFM Eq. (5) and DIFM Eq. (12): a linear model over every feature of every
//! event and of the session profile.

use crate::encode::Batch;
use burn::module::Param;
use burn::nn::{Embedding, EmbeddingConfig, Initializer};
use burn::prelude::*;

/// Configuration of [`Wide`].
#[derive(Config, Debug)]
pub struct WideConfig {
    /// `n`: size of the feature dictionary.
    pub num_features: usize,
}

impl WideConfig {
    /// Build the module (all weights start at 0).
    pub fn init(&self, device: &Device) -> Wide {
        Wide {
            weights: EmbeddingConfig::new(self.num_features, 1)
                .with_initializer(Initializer::Zeros)
                .init(device),
            bias: Param::from_tensor(Tensor::zeros([1], device)),
        }
    }
}

/// `f(x) = Σ_t Σ_i w_i x_i^t + Σ_j w_j x_j^profile + w_0`.
#[derive(Module, Debug)]
pub struct Wide {
    /// `w_i`, one per feature of the dictionary.
    pub weights: Embedding,
    /// `w_0`.
    pub bias: Param<Tensor<1>>,
}

impl Wide {
    /// `index`/`value`: `[B, N]` flattened feature slots → `[B]`.
    pub fn forward(&self, index: Tensor<2, Int>, value: Tensor<2>) -> Tensor<1> {
        let w = self.weights.forward(index).squeeze_dim::<2>(2);
        (w * value).sum_dim(1).squeeze_dim::<1>(1) + self.bias.val()
    }

    /// `f(x)` of a batch: every event slot and every profile slot, `[B]`.
    pub fn forward_batch(&self, batch: &Batch) -> Tensor<1> {
        let (index, value) = batch.flat_features();
        self.forward(index, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_sum_by_hand() {
        let device = Device::flex();
        let mut wide = WideConfig::new(3).init(&device);
        wide.weights.weight =
            Param::from_tensor(Tensor::from_data([[0.0], [2.0], [-1.0]], &device));
        wide.bias = Param::from_tensor(Tensor::from_data([0.5], &device));
        let idx = Tensor::<2, Int>::from_data([[1, 2, 0], [2, 2, 1]], &device);
        let val = Tensor::<2>::from_data([[1.0, 3.0, 0.0], [1.0, 1.0, 0.25]], &device);
        let out = wide
            .forward(idx, val)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(out, vec![2.0 - 3.0 + 0.5, -2.0 + 0.5 + 0.5]);
    }
}

//! LR: logistic regression over every feature of the session, `ŷ = σ(w_0 + Σ_i w_i x_i)`.

use crate::encode::Batch;
use crate::models::layers::{Wide, WideConfig};
use burn::prelude::*;

/// Configuration of [`Lr`].
#[derive(Config, Debug)]
pub struct LrConfig {
    /// Size of the feature dictionary.
    pub num_features: usize,
}

impl LrConfig {
    /// Build the model.
    pub fn init(&self, device: &Device) -> Lr {
        Lr {
            linear: WideConfig::new(self.num_features).init(device),
        }
    }
}

/// Logistic regression.
#[derive(Module, Debug)]
pub struct Lr {
    /// `w_0`, `w_i`.
    pub linear: Wide,
}

impl Lr {
    /// Logits `[B]`.
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        self.linear.forward_batch(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn linear_logit_by_hand() {
        let device = Device::flex();
        let mut m = LrConfig::new(fixture::NUM_FEATURES).init(&device);
        fixture::set_linear(&mut m.linear);
        assert_eq!(fixture::logit(m.forward(&fixture::batch(&device))), 0.75);
    }
}

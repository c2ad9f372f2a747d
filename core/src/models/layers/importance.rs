//! The importance-aware module: DIFM §3.2.2, Eqs. (3)–(5), which NHFM §3.3.2 uses as its event
//! self-importance-aware attention (Eq. 3). DIFM applies it over fields (Eq. 7) and over
//! historical events (Eq. 9).

use super::per_vector;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::softmax;

/// Configuration of [`ImportanceAware`].
#[derive(Config, Debug)]
pub struct ImportanceAwareConfig {
    /// `k`: dimension of the vectors weighed.
    pub embedding_dim: usize,
    /// One feed-forward network for `F1 = F2 = F3` (DIFM-same) instead of three.
    #[config(default = false)]
    pub shared_projection: bool,
}

impl ImportanceAwareConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> ImportanceAware {
        let k = self.embedding_dim;
        let own = || (!self.shared_projection).then(|| LinearConfig::new(k, k).init(device));
        ImportanceAware {
            f1: LinearConfig::new(k, k).init(device),
            f2: own(),
            f3: own(),
        }
    }
}

/// `â_m = ⟨F1(x_m), F2(x_m)⟩ / √k` (Eq. 3), `a_m = softmax_m(â_m)` over the real members
/// (Eq. 4), `IM(x) = Σ_m a_m F3(x_m)` (Eq. 5); `F1`, `F2`, `F3` are feed-forward (linear)
/// projections, all three `F1` when the projection is shared (DIFM-same).
#[derive(Module, Debug)]
pub struct ImportanceAware {
    /// `F1`.
    pub f1: Linear,
    /// `F2` (`None`: `F1` is used).
    pub f2: Option<Linear>,
    /// `F3` (`None`: `F1` is used).
    pub f3: Option<Linear>,
}

/// Output of [`ImportanceAware::forward`].
#[derive(Debug, Clone)]
pub struct ImportanceOutput {
    /// `IM(x)` of Eq. (5), `[B, k]`.
    pub pooled: Tensor<2>,
    /// The importance weights `a_m` of Eq. (4), `[B, M]`; 0 on padding.
    pub weights: Tensor<2>,
}

impl ImportanceAware {
    /// `x`: `[B, M, k]` vectors to weigh, `mask`: `[B, M]`, 1 for a real member.
    pub fn forward(&self, x: Tensor<3>, mask: Tensor<2>) -> ImportanceOutput {
        let k = x.dims()[2] as f64;
        let f2 = self.f2.as_ref().unwrap_or(&self.f1);
        let f3 = self.f3.as_ref().unwrap_or(&self.f1);
        let scores = (per_vector(&self.f1, x.clone()) * per_vector(f2, x.clone()))
            .sum_dim(2)
            .squeeze_dim::<2>(2)
            .div_scalar(k.sqrt());
        // Padding gets −1e9 before the softmax (exp underflows to exactly 0) and is zeroed
        // after it, so a set with no real member gets weights 0 rather than NaN.
        let masked = scores + (mask.clone() - 1.0).mul_scalar(1e9);
        let weights = softmax(masked, 1) * mask;
        let pooled = (per_vector(f3, x) * weights.clone().unsqueeze_dim::<3>(2))
            .sum_dim(1)
            .squeeze_dim::<2>(1);
        ImportanceOutput { pooled, weights }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;

    fn set(l: &mut Linear, w: [[f32; 2]; 2], device: &Device) {
        l.weight = Param::from_tensor(Tensor::from_data(w, device));
        l.bias = Some(Param::from_tensor(Tensor::zeros([2], device)));
    }

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn eqs_3_to_5_by_hand() {
        let device = Device::flex();
        let mut m = ImportanceAwareConfig::new(2).init(&device);
        let id = [[1.0, 0.0], [0.0, 1.0]];
        set(&mut m.f1, id, &device);
        set(m.f2.as_mut().unwrap(), id, &device);
        set(m.f3.as_mut().unwrap(), [[2.0, 0.0], [0.0, 2.0]], &device);
        // x_1 = (1, 1): â = 2/√2 = √2 ; x_2 = (0, 1): â = 1/√2 ; slot 0 is padding
        let e = Tensor::<3>::from_data([[[5.0, 5.0], [1.0, 1.0], [0.0, 1.0]]], &device);
        let q = Tensor::<2>::from_data([[0.0, 1.0, 1.0]], &device);
        let out = m.forward(e, q);
        let (a1, a2) = (2f32.sqrt(), 1.0 / 2f32.sqrt());
        let w1 = a1.exp() / (a1.exp() + a2.exp());
        let weights = values(out.weights);
        assert_eq!(weights[0], 0.0);
        assert!((weights[1] - w1).abs() < 1e-6 && (weights[2] - (1.0 - w1)).abs() < 1e-6);
        // IM = w1·(2,2) + w2·(0,2)
        let s = values(out.pooled);
        assert!(
            (s[0] - 2.0 * w1).abs() < 1e-5 && (s[1] - 2.0).abs() < 1e-5,
            "{s:?}"
        );
    }

    /// DIFM-same: one projection `F` for all three roles. With `F = 2·I`:
    /// `â = ⟨2x, 2x⟩/√2`, and the pooled vector is `Σ a_m 2 x_m`.
    #[test]
    fn shared_projection_uses_f1_three_times() {
        let device = Device::flex();
        let mut m = ImportanceAwareConfig::new(2)
            .with_shared_projection(true)
            .init(&device);
        assert!(m.f2.is_none() && m.f3.is_none());
        set(&mut m.f1, [[2.0, 0.0], [0.0, 2.0]], &device);
        let e = Tensor::<3>::from_data([[[1.0, 0.0], [0.0, 0.5]]], &device);
        let out = m.forward(e, Tensor::ones([1, 2], &device));
        let (a1, a2) = (4.0 / 2f32.sqrt(), 1.0 / 2f32.sqrt());
        let w1 = a1.exp() / (a1.exp() + a2.exp());
        let weights = values(out.weights);
        assert!((weights[0] - w1).abs() < 1e-6, "{weights:?}");
        let s = values(out.pooled);
        assert!((s[0] - 2.0 * w1).abs() < 1e-5 && (s[1] - (1.0 - w1)).abs() < 1e-5);
    }

    #[test]
    fn no_member_gives_zero_weights() {
        let device = Device::flex();
        let m = ImportanceAwareConfig::new(2).init(&device);
        let out = m.forward(
            Tensor::<3>::zeros([1, 3, 2], &device),
            Tensor::<2>::zeros([1, 3], &device),
        );
        assert!(values(out.weights).iter().all(|b| *b == 0.0));
    }
}

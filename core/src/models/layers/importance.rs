//! The importance-aware module: DIFM §3.2.2, Eqs. (3)–(5), which NHFM §3.3.2 uses as its event
//! self-importance-aware attention (Eq. 3). DIFM applies it over fields (Eq. 7) and over
//! historical events (Eq. 9).

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
/// projections `F_i(x) = x W_i + b_i`, all three `F1` when the projection is shared
/// (DIFM-same).
///
/// [`Self::forward`] computes the same values in fewer products, by the linearity of the
/// `F_i` (issue 11's profile had the three `[B·M, k] × [k, k]` projections as most of the
/// module's time):
/// - Eq. (3) as a quadratic form: `⟨x W1 + b1, x W2 + b2⟩ = ⟨x A + c, x⟩ + ⟨b1, b2⟩` with
///   `A = W1 W2ᵀ` and `c = W1 b2 + W2 b1`, one `[B·M, k] × [k, k]` product instead of two;
/// - Eq. (5) pooled before it is projected: `Σ_m a_m (x_m W3 + b3) =
///   (Σ_m a_m x_m) W3 + (Σ_m a_m) b3`, a `[B, k] × [k, k]` product instead of a
///   `[B·M, k] × [k, k]` one.
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

/// `W` `[k_in, k_out]` and `b` `[k_out]` of `F(x) = x W + b` (`b = 0` without a bias).
fn weight_and_bias(f: &Linear) -> (Tensor<2>, Tensor<1>) {
    let w = f.weight.val();
    let b = match &f.bias {
        Some(b) => b.val(),
        None => Tensor::zeros([w.dims()[1]], &w.device()),
    };
    (w, b)
}

impl ImportanceAware {
    /// `x`: `[B, M, k]` vectors to weigh, `mask`: `[B, M]`, 1 for a real member.
    pub fn forward(&self, x: Tensor<3>, mask: Tensor<2>) -> ImportanceOutput {
        let [b, m, k] = x.dims();
        let (w1, b1) = weight_and_bias(&self.f1);
        let (w2, b2) = weight_and_bias(self.f2.as_ref().unwrap_or(&self.f1));
        let (w3, b3) = weight_and_bias(self.f3.as_ref().unwrap_or(&self.f1));
        // Eq. (3): ⟨x A + c, x⟩ + ⟨b1, b2⟩
        let a = w1.clone().matmul(w2.clone().transpose());
        let c = w1.matmul(b2.clone().unsqueeze_dim(1)) + w2.matmul(b1.clone().unsqueeze_dim(1));
        let bias_product = (b1 * b2).sum().unsqueeze_dim::<2>(0);
        let xa = (x.clone().reshape([b * m, k]).matmul(a) + c.reshape([1, k])).reshape([b, m, k]);
        let scores = ((xa * x.clone()).sum_dim(2).squeeze_dim::<2>(2) + bias_product)
            .div_scalar((k as f64).sqrt());
        // Padding gets −1e9 before the softmax (exp underflows to exactly 0) and is zeroed
        // after it, so a set with no real member gets weights 0 rather than NaN.
        let masked = scores + (mask.clone() - 1.0).mul_scalar(1e9);
        let weights = softmax(masked, 1) * mask;
        // Eq. (5): (Σ_m a_m x_m) W3 + (Σ_m a_m) b3
        let pooled_x = (x * weights.clone().unsqueeze_dim::<3>(2))
            .sum_dim(1)
            .squeeze_dim::<2>(1);
        let pooled = pooled_x.matmul(w3) + weights.clone().sum_dim(1) * b3.unsqueeze_dim(0);
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

//! The event self-importance-aware attention of NHFM §3.3.2, Eq. (3).

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::softmax;

/// Configuration of [`SelfImportanceAttention`].
#[derive(Config, Debug)]
pub struct SelfImportanceAttentionConfig {
    /// `k`: event vector dimension.
    pub embedding_dim: usize,
}

impl SelfImportanceAttentionConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> SelfImportanceAttention {
        let k = self.embedding_dim;
        SelfImportanceAttention {
            f1: LinearConfig::new(k, k).init(device),
            f2: LinearConfig::new(k, k).init(device),
            f3: LinearConfig::new(k, k).init(device),
        }
    }
}

/// `a_t = ⟨F1(e_t), F2(e_t)⟩ / √k`, `β_t = softmax_t(a_t)` over real history events,
/// `s_self = Σ_t β_t F3(e_t)`; `F1`, `F2`, `F3` are feed-forward (linear) projections.
#[derive(Module, Debug)]
pub struct SelfImportanceAttention {
    /// `F1`.
    pub f1: Linear,
    /// `F2`.
    pub f2: Linear,
    /// `F3`.
    pub f3: Linear,
}

/// Output of [`SelfImportanceAttention::forward`].
#[derive(Debug, Clone)]
pub struct SelfImportanceOutput {
    /// `s_self`, `[B, k]`.
    pub s_self: Tensor<2>,
    /// `β`: the self-importance weights of Eq. (3), `[B, T−1]`; 0 on padding.
    pub beta: Tensor<2>,
}

impl SelfImportanceAttention {
    /// `events`: `[B, H, k]`, `mask`: `[B, H]`.
    pub fn forward(&self, events: Tensor<3>, mask: Tensor<2>) -> SelfImportanceOutput {
        let k = events.dims()[2] as f64;
        let scores = (self.f1.forward(events.clone()) * self.f2.forward(events.clone()))
            .sum_dim(2)
            .squeeze_dim::<2>(2)
            .div_scalar(k.sqrt());
        // Padding gets −1e9 before the softmax (exp underflows to exactly 0) and is zeroed
        // after it, so a session without history gets β = 0 rather than NaN.
        let masked = scores + (mask.clone() - 1.0).mul_scalar(1e9);
        let beta = softmax(masked, 1) * mask;
        let s_self = (self.f3.forward(events) * beta.clone().unsqueeze_dim::<3>(2))
            .sum_dim(1)
            .squeeze_dim::<2>(1);
        SelfImportanceOutput { s_self, beta }
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

    #[test]
    fn eq3_by_hand() {
        let device = Device::flex();
        let mut m = SelfImportanceAttentionConfig::new(2).init(&device);
        let id = [[1.0, 0.0], [0.0, 1.0]];
        set(&mut m.f1, id, &device);
        set(&mut m.f2, id, &device);
        set(&mut m.f3, [[2.0, 0.0], [0.0, 2.0]], &device);
        // e_1 = (1, 1): a = 2/√2 = √2 ; e_2 = (0, 1): a = 1/√2 ; slot 0 is padding
        let e = Tensor::<3>::from_data([[[5.0, 5.0], [1.0, 1.0], [0.0, 1.0]]], &device);
        let q = Tensor::<2>::from_data([[0.0, 1.0, 1.0]], &device);
        let out = m.forward(e, q);
        let (a1, a2) = (2f32.sqrt(), 1.0 / 2f32.sqrt());
        let w1 = a1.exp() / (a1.exp() + a2.exp());
        let beta = out.beta.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(beta[0], 0.0);
        assert!((beta[1] - w1).abs() < 1e-6 && (beta[2] - (1.0 - w1)).abs() < 1e-6);
        // s_self = w1·(2,2) + w2·(0,2)
        let s = out.s_self.into_data().try_to_vec::<f32>().unwrap();
        assert!(
            (s[0] - 2.0 * w1).abs() < 1e-5 && (s[1] - 2.0).abs() < 1e-5,
            "{s:?}"
        );
    }

    #[test]
    fn no_history_gives_zero_weights() {
        let device = Device::flex();
        let m = SelfImportanceAttentionConfig::new(2).init(&device);
        let out = m.forward(
            Tensor::<3>::zeros([1, 3, 2], &device),
            Tensor::<2>::zeros([1, 3], &device),
        );
        let beta = out.beta.into_data().try_to_vec::<f32>().unwrap();
        assert!(beta.iter().all(|b| *b == 0.0), "{beta:?}");
    }
}

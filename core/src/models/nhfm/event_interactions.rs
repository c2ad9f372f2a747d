//! The event interactions module of NHFM §3.3.1 (the NHFM-α path): a parameter-free FM over
//! the historical events.

use burn::prelude::*;

/// Output of [`event_interactions`].
#[derive(Debug, Clone)]
pub struct EventInteractionsOutput {
    /// `s_α` of Eq. (2), `[B, k]`.
    pub s_alpha: Tensor<2>,
    /// `α`: each historical event's share of `s_α`, `[B, T−1]`, summing to 1 over real events
    /// (0 for padding, all 0 when there is fewer than one history event).
    pub alpha: Tensor<2>,
}

/// Eq. (2): `s_α = Σ_{i<j} q_i e_i ⊙ q_j e_j = ½[(Σ q e)² − Σ (q e)²]`.
///
/// The explanation `α_i` splits `s_α` among events: event `i`'s part is
/// `c_i = ½ q_i e_i ⊙ (S − q_i e_i)` with `S = Σ_j q_j e_j` (so `Σ_i c_i = s_α`), and
/// `α_i = ‖c_i‖₁ / Σ_j ‖c_j‖₁`.
///
/// `events`: `[B, H, k]` historical event vectors, `mask`: `[B, H]` (`q_i`).
pub fn event_interactions(events: Tensor<3>, mask: Tensor<2>) -> EventInteractionsOutput {
    let qe = events * mask.unsqueeze_dim::<3>(2);
    let sum = qe.clone().sum_dim(1); // [B, 1, k]
    let s_alpha = (sum.clone().square() - qe.clone().square().sum_dim(1))
        .mul_scalar(0.5)
        .squeeze_dim::<2>(1);
    let parts = (qe.clone() * (sum - qe))
        .mul_scalar(0.5)
        .abs()
        .sum_dim(2)
        .squeeze_dim::<2>(2);
    let total = parts.clone().sum_dim(1).add_scalar(1e-12);
    EventInteractionsOutput {
        s_alpha,
        alpha: parts / total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq2_and_alpha_shares() {
        let device = Device::flex();
        // three history slots, the first is padding (its vector must not count)
        let e = Tensor::<3>::from_data([[[9.0, 9.0], [1.0, 2.0], [3.0, -1.0]]], &device);
        let q = Tensor::<2>::from_data([[0.0, 1.0, 1.0]], &device);
        let out = event_interactions(e, q);
        // s_α = (1,2)⊙(3,-1) = (3, -2)
        assert_eq!(
            out.s_alpha.into_data().try_to_vec::<f32>().unwrap(),
            vec![3.0, -2.0]
        );
        // each real event holds half of s_α: equal shares
        let a = out.alpha.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(a[0], 0.0);
        assert!(
            (a[1] - 0.5).abs() < 1e-6 && (a[2] - 0.5).abs() < 1e-6,
            "{a:?}"
        );
    }
}

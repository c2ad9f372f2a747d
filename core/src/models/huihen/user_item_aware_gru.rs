//! The user-item-aware GRU of HUIHEN's LHUHE layer, Eqs. (8)–(12).

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

/// Configuration of [`UserItemAwareGru`].
#[derive(Config, Debug)]
pub struct UserItemAwareGruConfig {
    /// Size of a session's intention `T_i` (the time-aware GRU's hidden size).
    pub d_input: usize,
    /// Size of `[x_user; x_item]`.
    pub d_context: usize,
    /// Hidden size (the paper: 30).
    pub d_hidden: usize,
    /// Feed `[x_user; x_item]` into the gates and the candidate; off for an ordinary GRU.
    #[config(default = true)]
    pub user_item: bool,
}

impl UserItemAwareGruConfig {
    /// Build the cell.
    pub fn init(&self, device: &Device) -> UserItemAwareGru {
        let h = self.d_hidden;
        UserItemAwareGru {
            input: LinearConfig::new(self.d_input, 3 * h).init(device),
            context: self.user_item.then(|| {
                LinearConfig::new(self.d_context, 3 * h)
                    .with_bias(false)
                    .init(device)
            }),
            hidden: LinearConfig::new(h, 2 * h).with_bias(false).init(device),
            reset: LinearConfig::new(h, h).with_bias(false).init(device),
            d_hidden: h,
        }
    }
}

/// - `u_t = σ(W_u [x_t; h_{t−1}; x_user; x_item] + b_u)` (8),
/// - `r_t = σ(W_r [x_t; h_{t−1}; x_user; x_item] + b_r)` (9),
/// - `p_t = tanh(W_p [x_t; x_user; x_item; r_t ⊙ h_{t−1}] + b_p)` (10),
/// - `h_t = (1 − u_t) ⊙ h_{t−1} + p_t ⊙ u_t` (11); `H_m` is the last state (12).
///
/// Each `W` is split by what it multiplies: `input` (`x_t`, with the biases), `context`
/// (`[x_user; x_item]`, the same at every step, so projected once), `hidden` (`h_{t−1}` in
/// `u`, `r`) and `reset` (`r_t ⊙ h_{t−1}` in `p`). Padded sessions (mask 0) leave the state
/// unchanged.
#[derive(Module, Debug)]
pub struct UserItemAwareGru {
    /// `x_t` parts of `W_u`, `W_r`, `W_p` and the biases.
    pub input: Linear,
    /// `[x_user; x_item]` parts of `W_u`, `W_r`, `W_p` (absent in an ordinary GRU).
    pub context: Option<Linear>,
    /// `h_{t−1}` parts of `W_u`, `W_r`.
    pub hidden: Linear,
    /// `r_t ⊙ h_{t−1}` part of `W_p`.
    pub reset: Linear,
    /// Hidden size.
    pub d_hidden: usize,
}

/// What [`UserItemAwareGru::forward`] returns.
#[derive(Debug, Clone)]
pub struct UserItemAwareGruOutput {
    /// `[B, h]` the last state, the user's long-term habits `H_m` (Eq. 12).
    pub habits: Tensor<2>,
    /// `[B, S]` the mean update gate `u_t` at each session: how much that session moved the
    /// habits (0 on padded sessions).
    pub update_gate: Tensor<2>,
}

impl UserItemAwareGru {
    /// `intentions`: `[B, S, d]`, `context`: `[B, d_context]`, `mask`: `[B, S]`.
    pub fn forward(
        &self,
        intentions: Tensor<3>,
        context: Tensor<2>,
        mask: Tensor<2>,
    ) -> UserItemAwareGruOutput {
        let [b, s, _] = intentions.dims();
        let h_dim = self.d_hidden;
        let device = intentions.device();
        let mut projected = self.input.forward(intentions); // [B, S, 3h]
        if let Some(c) = &self.context {
            projected = projected + c.forward(context).unsqueeze_dim::<3>(1);
        }
        let mut h = Tensor::<2>::zeros([b, h_dim], &device);
        let mut gates = Vec::with_capacity(s);
        for t in 0..s {
            let step = projected.clone().narrow(1, t, 1).squeeze_dim::<2>(1);
            let ur = sigmoid(step.clone().narrow(1, 0, 2 * h_dim) + self.hidden.forward(h.clone()));
            let u = ur.clone().narrow(1, 0, h_dim);
            let r = ur.narrow(1, h_dim, h_dim);
            let p = (step.narrow(1, 2 * h_dim, h_dim) + self.reset.forward(r * h.clone())).tanh();
            let h_new = (u.clone().neg() + 1.0) * h.clone() + p * u.clone();
            let m = mask.clone().narrow(1, t, 1);
            gates.push(u.mean_dim(1) * m.clone());
            h = h.clone() + (h_new - h) * m;
        }
        UserItemAwareGruOutput {
            habits: h,
            update_gate: Tensor::cat(gates, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;

    fn sig(x: f32) -> f32 {
        1.0 / (1.0 + (-x).exp())
    }

    /// Two steps with `d = 1`, `[x_user; x_item]` of size 2, `h = 1`, the first session padded.
    #[test]
    fn steps_by_hand() {
        let device = Device::flex();
        let mut cell = UserItemAwareGruConfig::new(1, 2, 1).init(&device);
        cell.input.weight = Param::from_tensor(Tensor::from_data([[0.5, -0.4, 0.9]], &device));
        cell.input.bias = Some(Param::from_tensor(Tensor::from_data(
            [0.1, 0.2, -0.1],
            &device,
        )));
        cell.context.as_mut().unwrap().weight = Param::from_tensor(Tensor::from_data(
            [[0.3, 0.2, -0.5], [-0.1, 0.4, 0.6]],
            &device,
        ));
        cell.hidden.weight = Param::from_tensor(Tensor::from_data([[0.8, -0.3]], &device));
        cell.reset.weight = Param::from_tensor(Tensor::from_data([[0.5]], &device));
        let (user, item) = (1.0f32, -2.0f32);
        let xs = [0.7f32, -0.2];
        let mut h = 0.0f32;
        let mut us = vec![];
        for x in xs {
            let u = sig(0.5 * x + 0.3 * user - 0.1 * item + 0.1 + 0.8 * h);
            let r = sig(-0.4 * x + 0.2 * user + 0.4 * item + 0.2 - 0.3 * h);
            let p = (0.9 * x - 0.5 * user + 0.6 * item - 0.1 + 0.5 * r * h).tanh();
            h = (1.0 - u) * h + p * u;
            us.push(u);
        }
        let out = cell.forward(
            Tensor::from_data(TensorData::new(vec![9.0, xs[0], xs[1]], [1, 3, 1]), &device),
            Tensor::from_data([[user, item]], &device),
            Tensor::from_data([[0.0, 1.0, 1.0]], &device),
        );
        let got = out.habits.into_data().try_to_vec::<f32>().unwrap()[0];
        assert!((got - h).abs() < 1e-6, "{got} vs {h}");
        let gates = out.update_gate.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(gates[0], 0.0);
        assert!((gates[1] - us[0]).abs() < 1e-6 && (gates[2] - us[1]).abs() < 1e-6);
    }
}

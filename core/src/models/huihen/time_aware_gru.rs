//! The time-aware GRU of HUIHEN's SUIE layer, Eqs. (2)–(7).

use burn::nn::{Initializer, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

/// Configuration of [`TimeAwareGru`].
#[derive(Config, Debug)]
pub struct TimeAwareGruConfig {
    /// Size of a behavior's field-wise vector `x_t`.
    pub d_input: usize,
    /// Size of each time-period vector (`x_week`, `x_month`).
    pub d_period: usize,
    /// Hidden size (the paper: 30).
    pub d_hidden: usize,
    /// Feed `[x_week; x_month]` into the gates, Eqs. (2)–(4); off for an ordinary GRU.
    #[config(default = true)]
    pub time_period: bool,
    /// Use the time gate `T_m` of Eqs. (5)–(6); off: `T_m = 1`.
    #[config(default = true)]
    pub time_gate: bool,
    /// The candidate reads `h_{t−1}` besides `r_t ⊙ h_{t−1}`, as Eq. (4) writes it; off for an
    /// ordinary GRU.
    #[config(default = true)]
    pub candidate_reads_h: bool,
}

impl TimeAwareGruConfig {
    /// Build the cell.
    pub fn init(&self, device: &Device) -> TimeAwareGru {
        let (d, h) = (self.d_input, self.d_hidden);
        let d_in = d + if self.time_period {
            2 * self.d_period
        } else {
            0
        };
        let h_parts = if self.candidate_reads_h { 3 } else { 2 };
        TimeAwareGru {
            input: LinearConfig::new(d_in, 3 * h).init(device),
            hidden: LinearConfig::new(h, h_parts * h)
                .with_bias(false)
                .init(device),
            reset: LinearConfig::new(h, h).with_bias(false).init(device),
            time_gate: self.time_gate.then(|| TimeGate {
                // Δt is in seconds: initial |Q| ≤ 1/60 keeps σ(Q Δt) off its flat ends for
                // gaps of seconds to minutes
                q: LinearConfig::new(1, d)
                    .with_bias(false)
                    .with_initializer(Initializer::Uniform {
                        min: -1.0 / 60.0,
                        max: 1.0 / 60.0,
                    })
                    .init(device),
                w_m: LinearConfig::new(d, h).init(device),
            }),
            d_hidden: h,
            time_period: self.time_period,
        }
    }
}

/// `T_m = σ(W_m (x_t + σ(Q Δt_m)) + b_m)`, Eq. (5), with `Q` a `d × 1` weight.
#[derive(Module, Debug)]
pub struct TimeGate {
    /// `Q`.
    pub q: Linear,
    /// `W_m`, `b_m`.
    pub w_m: Linear,
}

impl TimeGate {
    /// `x`: `[N, L, d]`, `delta_t`: `[N, L]` seconds → `T_m`, `[N, L, h]` (every step at once:
    /// the gate does not depend on the state).
    pub fn forward(&self, x: Tensor<3>, delta_t: Tensor<2>) -> Tensor<3> {
        let dt = self.q.forward(delta_t.unsqueeze_dim::<3>(2));
        sigmoid(self.w_m.forward(x + sigmoid(dt)))
    }
}

/// With `c_t = [x_t; h_{t−1}; x_week; x_month]`:
///
/// - `u_t = σ(W_u c_t + b_u)` (2), `r_t = σ(W_r c_t + b_r)` (3),
/// - `p_t = tanh(W_p [c_t; r_t ⊙ h_{t−1}] + b_p)` (4), `T_m` of (5) ([`TimeGate`]),
/// - `h_t = (1 − u_t) ⊙ h_{t−1} + p_t ⊙ T_m ⊙ u_t` (6);
///
/// the session's intention `T_i` is the last state (7). Each `W` is split into its input part
/// (`input`, with the biases), its `h_{t−1}` part (`hidden`) and, for `p_t`, its `r_t ⊙ h_{t−1}`
/// part (`reset`). Padded steps (mask 0) leave the state unchanged.
#[derive(Module, Debug)]
pub struct TimeAwareGru {
    /// Input parts of `W_u`, `W_r`, `W_p` and the biases.
    pub input: Linear,
    /// `h_{t−1}` parts of `W_u`, `W_r` (and `W_p` when the candidate reads `h_{t−1}`).
    pub hidden: Linear,
    /// `r_t ⊙ h_{t−1}` part of `W_p`.
    pub reset: Linear,
    /// The time gate (absent: `T_m = 1`).
    pub time_gate: Option<TimeGate>,
    /// Hidden size.
    pub d_hidden: usize,
    /// Whether the gates read the time period.
    pub time_period: bool,
}

/// What [`TimeAwareGru::forward`] returns.
#[derive(Debug, Clone)]
pub struct TimeAwareGruOutput {
    /// `[N, h]` the last state of each sequence (`T_i`, Eq. 7).
    pub intention: Tensor<2>,
    /// `[N]` the mean of `T_m` over the real steps and hidden units (1 without the gate; 0 for
    /// a sequence without real steps).
    pub mean_time_gate: Tensor<1>,
}

impl TimeAwareGru {
    /// `x`: `[N, L, d]`, `period`: `[N, L, 2·d_period]` (`[x_week; x_month]`), `delta_t`:
    /// `[N, L]` seconds, `mask`: `[N, L]`.
    pub fn forward(
        &self,
        x: Tensor<3>,
        period: Tensor<3>,
        delta_t: Tensor<2>,
        mask: Tensor<2>,
    ) -> TimeAwareGruOutput {
        let [n, l, _] = x.dims();
        let h_dim = self.d_hidden;
        let device = x.device();
        let gate = self
            .time_gate
            .as_ref()
            .map(|g| g.forward(x.clone(), delta_t));
        let c = if self.time_period {
            Tensor::cat(vec![x, period], 2)
        } else {
            x
        };
        let projected = self.input.forward(c); // [N, L, 3h]
        let mut h = Tensor::<2>::zeros([n, h_dim], &device);
        for t in 0..l {
            let step = projected.clone().narrow(1, t, 1).squeeze_dim::<2>(1);
            let hidden = self.hidden.forward(h.clone());
            let ur = sigmoid(
                step.clone().narrow(1, 0, 2 * h_dim) + hidden.clone().narrow(1, 0, 2 * h_dim),
            );
            let u = ur.clone().narrow(1, 0, h_dim);
            let r = ur.narrow(1, h_dim, h_dim);
            let mut p = step.narrow(1, 2 * h_dim, h_dim) + self.reset.forward(r * h.clone());
            if hidden.dims()[1] == 3 * h_dim {
                p = p + hidden.narrow(1, 2 * h_dim, h_dim);
            }
            let mut update = p.tanh() * u.clone();
            if let Some(g) = &gate {
                update = update * g.clone().narrow(1, t, 1).squeeze_dim::<2>(1);
            }
            let h_new = (u.neg() + 1.0) * h.clone() + update;
            let m = mask.clone().narrow(1, t, 1);
            h = h.clone() + (h_new - h) * m;
        }
        let real = mask.clone().sum_dim(1).squeeze_dim::<1>(1);
        let mean_time_gate = match gate {
            Some(g) => {
                let per_step = g.mean_dim(2).squeeze_dim::<2>(2) * mask; // [N, L]
                per_step.sum_dim(1).squeeze_dim::<1>(1) / real.clone().clamp_min(1.0)
            }
            None => real.clamp_max(1.0),
        };
        TimeAwareGruOutput {
            intention: h,
            mean_time_gate,
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

    fn set(l: &mut Linear, w: Tensor<2>, b: Option<Tensor<1>>) {
        l.weight = Param::from_tensor(w);
        l.bias = b.map(Param::from_tensor);
    }

    /// One step from `h_0 = 0` and a second from `h_1`, with `d = 1`, `d_period = 1`, `h = 1`:
    /// every weight written out so Eqs. (2)–(6) can be followed by hand.
    #[test]
    fn two_steps_by_hand() {
        let device = Device::flex();
        let mut cell = TimeAwareGruConfig::new(1, 1, 1).init(&device);
        // input part: rows x, week, month; columns u, r, p
        set(
            &mut cell.input,
            Tensor::from_data(
                [[0.5, -0.5, 1.0], [0.2, 0.1, -0.3], [0.1, 0.3, 0.2]],
                &device,
            ),
            Some(Tensor::from_data([0.1, 0.0, -0.1], &device)),
        );
        set(
            &mut cell.hidden,
            Tensor::from_data([[0.4, 0.6, -0.2]], &device),
            None,
        );
        set(&mut cell.reset, Tensor::from_data([[0.7]], &device), None);
        let gate = cell.time_gate.as_mut().unwrap();
        set(&mut gate.q, Tensor::from_data([[0.001]], &device), None);
        set(
            &mut gate.w_m,
            Tensor::from_data([[2.0]], &device),
            Some(Tensor::from_data([-1.0], &device)),
        );
        let (x, wk, mo, dt) = (
            [1.0f32, -1.0],
            [0.5f32, 0.5],
            [0.2f32, -0.4],
            [0.0f32, 600.0],
        );
        let mut h = 0.0f32;
        let mut gates = vec![];
        for t in 0..2 {
            let u = sig(0.5 * x[t] + 0.2 * wk[t] + 0.1 * mo[t] + 0.1 + 0.4 * h);
            let r = sig(-0.5 * x[t] + 0.1 * wk[t] + 0.3 * mo[t] + 0.6 * h);
            let p = (1.0 * x[t] - 0.3 * wk[t] + 0.2 * mo[t] - 0.1 - 0.2 * h + 0.7 * r * h).tanh();
            let tm = sig(2.0 * (x[t] + sig(0.001 * dt[t])) - 1.0);
            h = (1.0 - u) * h + p * tm * u;
            gates.push(tm);
        }
        let period: Vec<f32> = (0..2).flat_map(|t| [wk[t], mo[t]]).collect();
        let out = cell.forward(
            Tensor::from_data(TensorData::new(x.to_vec(), [1, 2, 1]), &device),
            Tensor::from_data(TensorData::new(period, [1, 2, 2]), &device),
            Tensor::from_data(TensorData::new(dt.to_vec(), [1, 2]), &device),
            Tensor::from_data([[1.0, 1.0]], &device),
        );
        let got = out.intention.into_data().try_to_vec::<f32>().unwrap()[0];
        assert!((got - h).abs() < 1e-6, "{got} vs {h}");
        let mean = out.mean_time_gate.into_data().try_to_vec::<f32>().unwrap()[0];
        assert!((mean - (gates[0] + gates[1]) / 2.0).abs() < 1e-6);
    }

    /// Without the time period, the gate and the plain `h_{t−1}` in the candidate, the cell is
    /// an ordinary GRU: `h = (1 − u) h + u tanh(W x + U (r ⊙ h) + b)`.
    #[test]
    fn switches_give_an_ordinary_gru() {
        let device = Device::flex();
        let mut cell = TimeAwareGruConfig::new(1, 1, 1)
            .with_time_period(false)
            .with_time_gate(false)
            .with_candidate_reads_h(false)
            .init(&device);
        set(
            &mut cell.input,
            Tensor::from_data([[0.5, -0.5, 1.0]], &device),
            Some(Tensor::from_data([0.1, 0.0, -0.1], &device)),
        );
        set(
            &mut cell.hidden,
            Tensor::from_data([[0.4, 0.6]], &device),
            None,
        );
        set(&mut cell.reset, Tensor::from_data([[0.7]], &device), None);
        let x = [0.3f32, 0.8];
        let mut h = 0.0f32;
        for xt in x {
            let u = sig(0.5 * xt + 0.1 + 0.4 * h);
            let r = sig(-0.5 * xt + 0.6 * h);
            let p = (xt - 0.1 + 0.7 * r * h).tanh();
            h = (1.0 - u) * h + u * p;
        }
        let out = cell.forward(
            Tensor::from_data(TensorData::new(x.to_vec(), [1, 2, 1]), &device),
            Tensor::zeros([1, 2, 2], &device),
            Tensor::zeros([1, 2], &device),
            Tensor::from_data([[1.0, 1.0]], &device),
        );
        let got = out.intention.into_data().try_to_vec::<f32>().unwrap()[0];
        assert!((got - h).abs() < 1e-6, "{got} vs {h}");
    }

    /// Padded steps at the head of a sequence leave the state at zero.
    #[test]
    fn leading_padding_changes_nothing() {
        let device = Device::flex();
        let cell = TimeAwareGruConfig::new(2, 2, 3).init(&device);
        let x = Tensor::<3>::random([1, 3, 2], burn::tensor::Distribution::Default, &device);
        let period = Tensor::<3>::random([1, 3, 4], burn::tensor::Distribution::Default, &device);
        let dt = Tensor::<2>::from_data([[0.0, 30.0, 5.0]], &device);
        let full = cell.forward(
            x.clone(),
            period.clone(),
            dt.clone(),
            Tensor::ones([1, 3], &device),
        );
        // prepend two padded steps with garbage inputs
        let pad = |t: Tensor<3>| Tensor::cat(vec![t.clone().narrow(1, 0, 2) * 5.0, t], 1);
        let padded = cell.forward(
            pad(x),
            pad(period),
            Tensor::cat(vec![Tensor::from_data([[77.0, 9.0]], &device), dt], 1),
            Tensor::from_data([[0.0, 0.0, 1.0, 1.0, 1.0]], &device),
        );
        let a = full.intention.into_data().try_to_vec::<f32>().unwrap();
        let b = padded.intention.into_data().try_to_vec::<f32>().unwrap();
        for (a, b) in a.iter().zip(&b) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        let (ga, gb) = (
            full.mean_time_gate.into_data().try_to_vec::<f32>().unwrap()[0],
            padded
                .mean_time_gate
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()[0],
        );
        assert!((ga - gb).abs() < 1e-6);
    }
}

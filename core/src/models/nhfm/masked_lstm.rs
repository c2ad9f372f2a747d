//! A padding-aware LSTM and the Bi-LSTM of NHFM §3.3.2.
//!
//! Burn's `Lstm` takes no mask, so padded steps would still move its state. Here a step whose
//! mask is 0 leaves `(h, c)` unchanged, so padding anywhere in the sequence (in particular
//! in front of a right-aligned history, where the backward direction ends) changes nothing.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

/// Configuration of [`MaskedLstm`].
#[derive(Config, Debug)]
pub struct MaskedLstmConfig {
    /// Input size.
    pub d_input: usize,
    /// Hidden size `h`.
    pub d_hidden: usize,
    /// Process the sequence from the last step to the first.
    #[config(default = false)]
    pub reverse: bool,
}

impl MaskedLstmConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> MaskedLstm {
        MaskedLstm {
            input: LinearConfig::new(self.d_input, 4 * self.d_hidden).init(device),
            hidden: LinearConfig::new(self.d_hidden, 4 * self.d_hidden)
                .with_bias(false)
                .init(device),
            d_hidden: self.d_hidden,
            reverse: self.reverse,
        }
    }
}

/// The standard LSTM cell, gates in the order input, forget, cell, output:
///
/// `[i f g o] = W x_t + U h_{t−1} + b`, `c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g)`,
/// `h_t = σ(o)⊙tanh(c_t)`; with mask `m_t`: `(h, c) ← m_t·(h_t, c_t) + (1 − m_t)·(h, c)`.
///
/// `W x_t` is computed for all steps in one matrix product before the loop.
#[derive(Module, Debug)]
pub struct MaskedLstm {
    /// `W`, `b`: input projection to the four gates.
    pub input: Linear,
    /// `U`: recurrent projection.
    pub hidden: Linear,
    /// `h`.
    pub d_hidden: usize,
    /// Direction.
    pub reverse: bool,
}

impl MaskedLstm {
    /// `x`: `[B, L, d]`, `mask`: `[B, L]` → final hidden state `[B, h]`.
    pub fn forward(&self, x: Tensor<3>, mask: Tensor<2>) -> Tensor<2> {
        let [b, l, _] = x.dims();
        let hd = self.d_hidden;
        let device = x.device();
        let projected = self.input.forward(x); // [B, L, 4h]
        let mut h = Tensor::<2>::zeros([b, hd], &device);
        let mut c = Tensor::<2>::zeros([b, hd], &device);
        let steps: Vec<usize> = if self.reverse {
            (0..l).rev().collect()
        } else {
            (0..l).collect()
        };
        for t in steps {
            let gates = projected.clone().narrow(1, t, 1).squeeze_dim::<2>(1)
                + self.hidden.forward(h.clone());
            let i = sigmoid(gates.clone().narrow(1, 0, hd));
            let f = sigmoid(gates.clone().narrow(1, hd, hd));
            let g = gates.clone().narrow(1, 2 * hd, hd).tanh();
            let o = sigmoid(gates.narrow(1, 3 * hd, hd));
            let c_new = f * c.clone() + i * g;
            let h_new = o * c_new.clone().tanh();
            let m = mask.clone().narrow(1, t, 1); // [B, 1]
            c = c.clone() + (c_new - c) * m.clone();
            h = h.clone() + (h_new - h) * m;
        }
        h
    }
}

/// Configuration of [`MaskedBiLstm`].
#[derive(Config, Debug)]
pub struct MaskedBiLstmConfig {
    /// Input size.
    pub d_input: usize,
    /// Hidden size `h`.
    pub d_hidden: usize,
}

impl MaskedBiLstmConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> MaskedBiLstm {
        let cfg = MaskedLstmConfig::new(self.d_input, self.d_hidden);
        MaskedBiLstm {
            forward: cfg.init(device),
            backward: cfg.with_reverse(true).init(device),
        }
    }
}

/// `s_RNN = Bi-LSTM(E_his)`: the final states of the two directions, summed (§3.3.2).
#[derive(Module, Debug)]
pub struct MaskedBiLstm {
    /// Forward direction.
    pub forward: MaskedLstm,
    /// Backward direction.
    pub backward: MaskedLstm,
}

impl MaskedBiLstm {
    /// `x`: `[B, L, d]`, `mask`: `[B, L]` → `s_RNN`, `[B, h]`.
    pub fn forward(&self, x: Tensor<3>, mask: Tensor<2>) -> Tensor<2> {
        self.forward.forward(x.clone(), mask.clone()) + self.backward.forward(x, mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;

    fn sig(x: f32) -> f32 {
        1.0 / (1.0 + (-x).exp())
    }

    /// One step, d = h = 1, weights W = (0.5, −0.5, 1, 2), U = 0, b = (0, 1, 0, 0), x = 1.
    #[test]
    fn one_step_by_hand() {
        let device = Device::flex();
        let mut lstm = MaskedLstmConfig::new(1, 1).init(&device);
        lstm.input.weight = Param::from_tensor(Tensor::from_data([[0.5, -0.5, 1.0, 2.0]], &device));
        lstm.input.bias = Some(Param::from_tensor(Tensor::from_data(
            [0.0, 1.0, 0.0, 0.0],
            &device,
        )));
        lstm.hidden.weight = Param::from_tensor(Tensor::zeros([1, 4], &device));
        let h = lstm.forward(
            Tensor::<3>::from_data([[[1.0]]], &device),
            Tensor::<2>::from_data([[1.0]], &device),
        );
        let c = sig(0.5) * 1f32.tanh();
        let expected = sig(2.0) * c.tanh();
        let got = h.into_data().try_to_vec::<f32>().unwrap()[0];
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    }

    #[test]
    fn padding_does_not_move_either_direction() {
        let device = Device::flex();
        device.seed(7);
        let bi = MaskedBiLstmConfig::new(3, 4).init(&device);
        let x = Tensor::<3>::random([2, 3, 3], burn::tensor::Distribution::Default, &device);
        let full = bi.forward(x.clone(), Tensor::ones([2, 3], &device));
        // the same sequences behind two padding steps holding garbage
        let junk = Tensor::<3>::random([2, 2, 3], burn::tensor::Distribution::Default, &device);
        let padded_x = Tensor::cat(vec![junk, x], 1);
        let mask = Tensor::<2>::from_data(
            [[0.0, 0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0, 1.0]],
            &device,
        );
        let padded = bi.forward(padded_x, mask);
        let a = full.into_data().try_to_vec::<f32>().unwrap();
        let b = padded.into_data().try_to_vec::<f32>().unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-6, "{a:?} vs {b:?}");
        }
    }
}

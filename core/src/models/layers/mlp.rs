//! The MLP of NHFM Eq. (5) and DIFM Eq. (11) (one hidden layer, ReLU, dropout).

use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, Relu};
use burn::prelude::*;

/// Configuration of [`Mlp`].
#[derive(Config, Debug)]
pub struct MlpConfig {
    /// Input size.
    pub d_input: usize,
    /// Hidden size.
    pub d_hidden: usize,
    /// Dropout probability on the hidden layer.
    pub dropout: f64,
}

impl MlpConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> Mlp {
        Mlp {
            hidden: LinearConfig::new(self.d_input, self.d_hidden).init(device),
            activation: Relu::new(),
            dropout: DropoutConfig::new(self.dropout).init(),
            output: LinearConfig::new(self.d_hidden, 1).init(device),
        }
    }
}

/// `MLP(s) = W_2 · dropout(ReLU(W_1 s + b_1)) + b_2`, a scalar per row.
#[derive(Module, Debug)]
pub struct Mlp {
    /// `W_1`, `b_1`.
    pub hidden: Linear,
    /// ReLU.
    pub activation: Relu,
    /// Dropout (active only while training).
    pub dropout: Dropout,
    /// `W_2`, `b_2`.
    pub output: Linear,
}

impl Mlp {
    /// `[B, d]` → `[B]`.
    pub fn forward(&self, s: Tensor<2>) -> Tensor<1> {
        let h = self
            .dropout
            .forward(self.activation.forward(self.hidden.forward(s)));
        self.output.forward(h).squeeze_dim::<1>(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;

    #[test]
    fn relu_mlp_by_hand() {
        let device = Device::flex();
        let mut mlp = MlpConfig::new(2, 2, 0.5).init(&device);
        mlp.hidden.weight =
            Param::from_tensor(Tensor::from_data([[1.0, -1.0], [2.0, 1.0]], &device));
        mlp.hidden.bias = Some(Param::from_tensor(Tensor::from_data([0.0, -1.0], &device)));
        mlp.output.weight = Param::from_tensor(Tensor::from_data([[3.0], [0.5]], &device));
        mlp.output.bias = Some(Param::from_tensor(Tensor::from_data([0.25], &device)));
        // s = (1, 2): hidden pre-activation (1·1 + 2·2 + 0, 1·(−1) + 2·1 − 1) = (5, 0)
        // ReLU (5, 0); no dropout outside training; output 3·5 + 0.5·0 + 0.25
        let out = mlp.forward(Tensor::from_data([[1.0, 2.0]], &device));
        assert_eq!(out.into_data().try_to_vec::<f32>().unwrap(), vec![15.25]);
    }
}

//! HUIHEN's UPI layer (§3.6): an MLP with PReLU over `[T(m); H(m); profile]`, Eqs. (13)–(14),
//! of three fully connected layers of 50, 25 and 2 neurons (§5.2).
//!
//! The two output neurons are read as the two classes' scores: `P_output` is the softmax's
//! share of "overdue", `softmax(PReLU(z))_1 = sigmoid(PReLU(z_1) − PReLU(z_0))`, so the layer
//! returns that difference as its logit and the loss of Eq. (15) is the binary cross-entropy
//! of its sigmoid. (Eq. (13)'s `sigmoid` over a 2-vector says no more; the softmax is how a
//! 2-neuron output is trained against one label in the TensorFlow of the paper's time.)

use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, PRelu, PReluConfig};
use burn::prelude::*;

/// Configuration of [`Upi`].
#[derive(Config, Debug)]
pub struct UpiConfig {
    /// Input size.
    pub d_input: usize,
    /// Hidden sizes (the paper: 50, 25).
    #[config(default = "vec![50, 25]")]
    pub hidden: Vec<usize>,
    /// Dropout after each hidden layer (the paper: 0.6).
    #[config(default = 0.6)]
    pub dropout: f64,
    /// Initial PReLU slope α of Eq. (14) (the paper: 0.5, trained).
    #[config(default = 0.5)]
    pub prelu_alpha: f64,
}

impl UpiConfig {
    /// Build the layer.
    pub fn init(&self, device: &Device) -> Upi {
        let prelu = || PReluConfig::new().with_alpha(self.prelu_alpha).init(device);
        let mut d = self.d_input;
        let mut layers = Vec::with_capacity(self.hidden.len());
        let mut activations = Vec::with_capacity(self.hidden.len());
        for &h in &self.hidden {
            layers.push(LinearConfig::new(d, h).init(device));
            activations.push(prelu());
            d = h;
        }
        Upi {
            layers,
            activations,
            dropout: DropoutConfig::new(self.dropout).init(),
            output: LinearConfig::new(d, 2).init(device),
            output_activation: prelu(),
        }
    }
}

/// `P_output = sigmoid(PReLU(MLP(x)))` (13) with `PReLU(x) = max(0, x) + α·min(0, x)` (14)
/// after every layer, the output one included; with the two output neurons `z = (z_0, z_1)`
/// this returns the logit `PReLU(z_1) − PReLU(z_0)` (see the module's doc).
#[derive(Module, Debug)]
pub struct Upi {
    /// Hidden layers.
    pub layers: Vec<Linear>,
    /// Their PReLUs.
    pub activations: Vec<PRelu>,
    /// Dropout (only while training).
    pub dropout: Dropout,
    /// Output layer: the two classes' neurons.
    pub output: Linear,
    /// PReLU of the output, Eq. (13).
    pub output_activation: PRelu,
}

impl Upi {
    /// `[B, d]` → `[B]` logits.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<1> {
        let mut h = x;
        for (layer, act) in self.layers.iter().zip(&self.activations) {
            h = self.dropout.forward(act.forward(layer.forward(h)));
        }
        let z = self.output_activation.forward(self.output.forward(h));
        (z.clone().narrow(1, 1, 1) - z.narrow(1, 0, 1)).squeeze_dim::<1>(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;

    /// One hidden unit: `x = (1, −2)`, `W_1 = (1, 1)ᵀ`: pre-activation −1 → PReLU 0.5·(−1);
    /// outputs `z_0 = 1·(−0.5) + 0.75 = 0.25` → PReLU 0.25 and `z_1 = 2·(−0.5) + 0.25 = −0.75`
    /// → PReLU −0.375; logit `−0.375 − 0.25 = −0.625`.
    #[test]
    fn prelu_after_every_layer_by_hand() {
        let device = Device::flex();
        let mut upi = UpiConfig::new(2).with_hidden(vec![1]).init(&device);
        upi.layers[0].weight = Param::from_tensor(Tensor::from_data([[1.0], [1.0]], &device));
        upi.layers[0].bias = Some(Param::from_tensor(Tensor::zeros([1], &device)));
        upi.output.weight = Param::from_tensor(Tensor::from_data([[1.0, 2.0]], &device));
        upi.output.bias = Some(Param::from_tensor(Tensor::from_data([0.75, 0.25], &device)));
        let out = upi.forward(Tensor::from_data([[1.0, -2.0]], &device));
        assert_eq!(out.into_data().try_to_vec::<f32>().unwrap(), [-0.625]);
    }
}

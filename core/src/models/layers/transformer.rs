//! One Transformer encoder layer (Vaswani et al. 2017, the block LBSF stacks at both levels),
//! written out so that its attention weights are an output: LBSF explains a score by them
//! (§VI-C). Post-norm, as in the original and in PyTorch's `TransformerEncoderLayer`:
//!
//! ```text
//! a = MultiHead(x, x, x)                      (padding keys masked)
//! y = LayerNorm(x + Dropout(a))
//! z = LayerNorm(y + Dropout(W₂·Dropout(ReLU(W₁·y + b₁)) + b₂))
//! ```

use burn::nn::attention::{MhaInput, MultiHeadAttention, MultiHeadAttentionConfig};
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig, Relu};
use burn::prelude::*;

/// Configuration of [`TransformerBlock`].
#[derive(Config, Debug)]
pub struct TransformerBlockConfig {
    /// `d`: model width.
    pub d_model: usize,
    /// Attention heads (`d` must be a multiple).
    pub n_heads: usize,
    /// Hidden width of the feed-forward part.
    pub d_ff: usize,
    /// Dropout on the attention weights and on both residual branches.
    #[config(default = 0.1)]
    pub dropout: f64,
}

impl TransformerBlockConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> TransformerBlock {
        TransformerBlock {
            attention: MultiHeadAttentionConfig::new(self.d_model, self.n_heads)
                .with_dropout(self.dropout)
                .init(device),
            attention_norm: LayerNormConfig::new(self.d_model).init(device),
            hidden: LinearConfig::new(self.d_model, self.d_ff).init(device),
            activation: Relu::new(),
            output: LinearConfig::new(self.d_ff, self.d_model).init(device),
            output_norm: LayerNormConfig::new(self.d_model).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
        }
    }
}

/// A Transformer encoder layer.
#[derive(Module, Debug)]
pub struct TransformerBlock {
    /// Multi-head self-attention.
    pub attention: MultiHeadAttention,
    /// LayerNorm after the attention's residual.
    pub attention_norm: LayerNorm,
    /// `W₁`, `b₁`.
    pub hidden: Linear,
    /// ReLU.
    pub activation: Relu,
    /// `W₂`, `b₂`.
    pub output: Linear,
    /// LayerNorm after the feed-forward residual.
    pub output_norm: LayerNorm,
    /// Dropout (active only while training).
    pub dropout: Dropout,
}

/// What [`TransformerBlock::forward`] gives.
#[derive(Debug, Clone)]
pub struct TransformerBlockOutput {
    /// `[B, L, d]` the layer's output.
    pub output: Tensor<3>,
    /// `[B, heads, L, L]` attention weights: row `i` is how position `i` attends to each key;
    /// padding keys get exactly 0.
    pub attention: Tensor<4>,
}

impl TransformerBlock {
    /// `x`: `[B, L, d]`; `padding`: `[B, L]`, true where the position is padding (it is never
    /// attended to; its own output row is meaningless and must be masked by the caller).
    pub fn forward(&self, x: Tensor<3>, padding: Tensor<2, Bool>) -> TransformerBlockOutput {
        let a = self
            .attention
            .forward(MhaInput::self_attn(x.clone()).mask_pad(padding));
        let y = self
            .attention_norm
            .forward(x + self.dropout.forward(a.context));
        let f = self.output.forward(
            self.dropout
                .forward(self.activation.forward(self.hidden.forward(y.clone()))),
        );
        TransformerBlockOutput {
            output: self.output_norm.forward(y + self.dropout.forward(f)),
            attention: a.weights,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;

    fn identity_block(device: &Device) -> TransformerBlock {
        let mut block = TransformerBlockConfig::new(2, 1, 2).init(device);
        let eye = || Param::from_tensor(Tensor::from_data([[1.0, 0.0], [0.0, 1.0]], device));
        let zero = || Some(Param::from_tensor(Tensor::zeros([2], device)));
        for l in [
            &mut block.attention.query,
            &mut block.attention.key,
            &mut block.attention.value,
            &mut block.attention.output,
        ] {
            l.weight = eye();
            l.bias = zero();
        }
        block.output.weight = Param::from_tensor(Tensor::zeros([2, 2], device));
        block.output.bias = zero();
        block
    }

    fn run(block: &TransformerBlock, x: [[f32; 2]; 3], pad: [bool; 3]) -> (Vec<f32>, Vec<f32>) {
        let device = Device::flex();
        let out = block.forward(
            Tensor::<2>::from_data(x, &device).unsqueeze_dim(0),
            Tensor::<1, Bool>::from_data(pad, &device).unsqueeze_dim(0),
        );
        (
            out.output.into_data().try_to_vec::<f32>().unwrap(),
            out.attention.into_data().try_to_vec::<f32>().unwrap(),
        )
    }

    #[test]
    fn attention_and_output_by_hand() {
        let device = Device::flex();
        let block = identity_block(&device);
        // x = (1,0), (0,1), (0,0); identity projections, one head of width 2:
        // scores s_ij = x_i·x_j/√2; row 0 = (1/√2, 0, 0)
        let (out, att) = run(&block, [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [false; 3]);
        let e = (1.0f64 / 2f64.sqrt()).exp();
        let w0 = [e / (e + 2.0), 1.0 / (e + 2.0), 1.0 / (e + 2.0)];
        for (a, b) in att[..3].iter().zip(w0) {
            assert!((*a as f64 - b).abs() < 1e-6, "{att:?}");
        }
        // context row 0 = (w00, w01); residual (1 + w00, w01); LayerNorm of two values a > b
        // is (1, −1) up to ε; the feed-forward branch is 0, so the second norm keeps it
        assert!(
            (out[0] - 1.0).abs() < 1e-3 && (out[1] + 1.0).abs() < 1e-3,
            "{out:?}"
        );
        // the third key is padding: row 0 now attends (e, 1)/(e + 1) over the first two
        let (_, att) = run(
            &block,
            [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]],
            [false, false, true],
        );
        assert!((att[0] as f64 - e / (e + 1.0)).abs() < 1e-6);
        assert_eq!(att[2], 0.0);
    }

    #[test]
    fn padding_content_does_not_reach_real_positions() {
        let device = Device::flex();
        let block = TransformerBlockConfig::new(4, 2, 8).init(&device);
        let run = |pad_row: [f32; 4]| -> Vec<f32> {
            let x = Tensor::<2>::from_data(
                [[0.5, -1.0, 0.25, 2.0], [1.0, 0.0, -0.5, 0.75], pad_row],
                &device,
            );
            let pad = Tensor::<1, Bool>::from_data([false, false, true], &device);
            let out = block
                .forward(x.unsqueeze_dim(0), pad.unsqueeze_dim(0))
                .output;
            out.narrow(1, 0, 2).into_data().try_to_vec::<f32>().unwrap()
        };
        assert_eq!(run([0.0; 4]), run([9.0, -7.0, 3.0, 100.0]));
    }
}

//! The text embedding of merchant names and payment descriptions (LBSF §IV-C, and the flat
//! Transformer baseline beside it): the mean of the
//! embeddings of a text's hashed word and trigram tokens ([`crate::encode::text_token_ids`]),
//! trained with the model. Token 0 is padding and the empty text embeds to 0.

use burn::nn::{Embedding, EmbeddingConfig};
use burn::prelude::*;

/// Configuration of [`TextEncoder`].
#[derive(Config, Debug)]
pub struct TextEncoderConfig {
    /// Hash buckets (token ids `1..=buckets`).
    pub buckets: usize,
    /// `d`: embedding width.
    pub d_model: usize,
}

impl TextEncoderConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> TextEncoder {
        TextEncoder {
            tokens: EmbeddingConfig::new(self.buckets + 1, self.d_model).init(device),
        }
    }
}

/// `e(text) = Σ_k E[t_k] / |{k : t_k ≠ 0}|` over the text's tokens `t_k`.
#[derive(Module, Debug)]
pub struct TextEncoder {
    /// `E`: one row per hash bucket, row 0 unused.
    pub tokens: Embedding,
}

impl TextEncoder {
    /// `[U, G]` token ids → `[U, d]`.
    pub fn forward(&self, texts: Tensor<2, Int>) -> Tensor<2> {
        let real = texts.clone().not_equal_elem(0).float();
        let count = real.clone().sum_dim(1).clamp_min(1.0);
        let sum = (self.tokens.forward(texts) * real.unsqueeze_dim(2))
            .sum_dim(1)
            .squeeze_dim::<2>(1);
        sum / count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;

    #[test]
    fn mean_of_token_embeddings_by_hand() {
        let device = Device::flex();
        let mut enc = TextEncoderConfig::new(3, 2).init(&device);
        enc.tokens.weight = Param::from_tensor(Tensor::from_data(
            [[9.0, 9.0], [1.0, 2.0], [3.0, -4.0], [0.5, 0.5]],
            &device,
        ));
        // texts: (1, 2, pad) → mean of rows 1 and 2; (3, pad, pad) → row 3; empty → 0
        let texts = Tensor::<2, Int>::from_data([[1, 2, 0], [3, 0, 0], [0, 0, 0]], &device);
        let out: Vec<f32> = enc.forward(texts).into_data().try_to_vec().unwrap();
        assert_eq!(out, vec![2.0, -1.0, 0.5, 0.5, 0.0, 0.0]);
    }
}

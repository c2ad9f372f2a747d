//! A sequence of payments encoded, read by one Transformer layer and average-pooled: LBSF's
//! multi-field behavior encoding (§IV-C) with melding within a merchant (Eq. 3), and the whole
//! sequence part of the flat Transformer baseline.
//!
//! ```text
//! e_j = W_b·[text(description_j); φ(time_j); amount_j] + b_b + P[position_j]
//! h   = AveragePooling(Transformer(e_1 … e_L))      over the real payments
//! ```
//!
//! Positions count back from the most recent payment (0), so left padding shifts nothing.

use super::{TransformerBlock, TransformerBlockConfig};
use crate::encode::{FoldBatch, MerchantGroup, PAYMENT_NUMERIC};
use burn::module::Initializer;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::prelude::*;

/// Configuration of [`PaymentSequence`].
#[derive(Config, Debug)]
pub struct PaymentSequenceConfig {
    /// Most payments in one sequence (positions known).
    pub max_payments: usize,
    /// `d`.
    pub d_model: usize,
    /// Attention heads.
    pub n_heads: usize,
    /// Feed-forward width of the Transformer layer.
    pub d_ff: usize,
    /// Dropout of the Transformer layer.
    pub dropout: f64,
}

impl PaymentSequenceConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> PaymentSequence {
        let d = self.d_model;
        PaymentSequence {
            behavior_encoding: LinearConfig::new(d + PAYMENT_NUMERIC, d).init(device),
            payment_position: EmbeddingConfig::new(self.max_payments, d)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: 0.02,
                })
                .init(device),
            transformer: TransformerBlockConfig::new(d, self.n_heads, self.d_ff)
                .with_dropout(self.dropout)
                .init(device),
        }
    }
}

/// See the module documentation.
#[derive(Module, Debug)]
pub struct PaymentSequence {
    /// `W_b`, `b_b`: `[description; time; amount]` → `d`.
    pub behavior_encoding: Linear,
    /// `P`: position of a payment, 0 for the most recent.
    pub payment_position: Embedding,
    /// The Transformer layer over the payments.
    pub transformer: TransformerBlock,
}

/// What [`PaymentSequence::forward`] gives for a group of `n` sequences.
#[derive(Debug, Clone)]
pub struct PaymentSequenceOutput {
    /// `[n, d]` the pooled representations.
    pub pooled: Tensor<2>,
    /// `[n, P]` the attention each payment receives, averaged over heads and over the real
    /// payments as queries (sums to 1 over a sequence's real payments, 0 on padding).
    pub payment_attention: Tensor<2>,
}

impl PaymentSequence {
    /// Read one group of the fold view's sequences (merchants), on its live slots only;
    /// `texts` are the batch's text embeddings (`[U, d]`).
    pub fn forward(
        &self,
        folds: &FoldBatch,
        texts: Tensor<2>,
        group: &MerchantGroup,
    ) -> PaymentSequenceOutput {
        let [b, m, p] = folds.payment_mask.dims();
        let (n, l, d) = (group.count, group.len, texts.dims()[1]);
        let device = texts.device();
        let rows = group.rows.clone();
        // the group's payments sit in the last `l` slots
        let live = |t: Tensor<2, Int>| t.select(0, rows.clone()).narrow(1, p - l, l);
        let description = texts
            .select(
                0,
                live(folds.payment_text.clone().reshape([b * m, p])).reshape([n * l]),
            )
            .reshape([n, l, d]);
        let numeric = folds
            .payment_numeric
            .clone()
            .reshape([b * m, p, PAYMENT_NUMERIC])
            .select(0, rows.clone())
            .narrow(1, p - l, l);
        // slot j of the live ones holds the (l − 1 − j)-th most recent payment
        let positions: Vec<i64> = (0..l as i64).rev().collect();
        let positions = self.payment_position.forward(Tensor::<2, Int>::from_data(
            TensorData::new(positions, [1, l]),
            &device,
        ));
        let behaviors = self
            .behavior_encoding
            .forward(Tensor::cat(vec![description, numeric], 2))
            + positions;
        let mask = folds
            .payment_mask
            .clone()
            .reshape([b * m, p])
            .select(0, rows)
            .narrow(1, p - l, l);
        let out = self
            .transformer
            .forward(behaviors, mask.clone().equal_elem(0.0));
        // Eq. (3): average pooling over the real payments
        let count = mask.clone().sum_dim(1).clamp_min(1.0);
        let pooled = (out.output * mask.clone().unsqueeze_dim(2))
            .sum_dim(1)
            .squeeze_dim::<2>(1)
            / count.clone();
        let received = (out.attention.mean_dim(1).squeeze_dim::<3>(1) * mask.unsqueeze_dim(2))
            .sum_dim(1)
            .squeeze_dim::<2>(1)
            / count;
        PaymentSequenceOutput {
            pooled,
            payment_attention: Tensor::cat(vec![Tensor::zeros([n, p - l], &device), received], 1),
        }
    }
}

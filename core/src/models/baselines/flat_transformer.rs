//! The flat Transformer baseline of LBSF's experiments (§V-B2): the most recent `N` payments
//! unfolded, as one sequence, with LBSF's own payment encoding so that only the folding differs
//! — each payment's text is its merchant's name and its description together (the encoder's
//! flat [`PaymentView`](crate::encode::PaymentView)), one Transformer layer, average pooling,
//! the MLP head: `ŷ = σ(MLP(AveragePooling(Transformer(e_1 … e_N))))`. Its attention costs
//! `O(N²)` per user where LBSF's costs `O(M·P² + M²)`.

use crate::encode::{Batch, Encoder};
use crate::models::layers::{
    Mlp, MlpConfig, PaymentSequence, PaymentSequenceConfig, TextEncoder, TextEncoderConfig,
};
use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;

/// Configuration of [`FlatTransformer`].
#[derive(Config, Debug)]
pub struct FlatTransformerConfig {
    /// `N`: payments read (the schema's `max_events`).
    pub max_payments: usize,
    /// Hash buckets of the text encoder (the schema's `[merchants] text_buckets`).
    pub text_buckets: usize,
    /// `d`, as LBSF's.
    #[config(default = 128)]
    pub d_model: usize,
    /// Attention heads, as LBSF's.
    #[config(default = 4)]
    pub n_heads: usize,
    /// Feed-forward width, as LBSF's.
    #[config(default = 512)]
    pub d_ff: usize,
    /// Dropout, as LBSF's.
    #[config(default = 0.1)]
    pub dropout: f64,
}

impl FlatTransformerConfig {
    /// LBSF's sizes for `encoder`'s flat payments view.
    pub fn for_encoder(encoder: &Encoder) -> Self {
        Self::new(
            encoder.schema.max_events,
            encoder.schema.merchants.text_buckets,
        )
    }

    /// Build the model.
    pub fn init(&self, device: &Device) -> FlatTransformer {
        let d = self.d_model;
        FlatTransformer {
            text_encoder: TextEncoderConfig::new(self.text_buckets, d).init(device),
            sequence: PaymentSequenceConfig::new(
                self.max_payments,
                d,
                self.n_heads,
                self.d_ff,
                self.dropout,
            )
            .init(device),
            head: MlpConfig::new(d, d, self.dropout).init(device),
        }
    }
}

/// See the module documentation.
#[derive(Module, Debug)]
pub struct FlatTransformer {
    /// Embeds each payment's merchant name and description.
    pub text_encoder: TextEncoder,
    /// The payments encoded, one Transformer layer, average pooling.
    pub sequence: PaymentSequence,
    /// The classifier.
    pub head: Mlp,
}

impl FlatTransformer {
    /// `[B]` logits. The batch must carry the flat payments view (checked with the model's
    /// configuration when an artifact loads).
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        let folds = batch
            .folds
            .as_ref()
            .expect("the flat Transformer reads the payments view; ModelConfig::check makes the encoder build it");
        // one sequence (at most) per user: the flat view has no merchants
        let [b, m] = folds.merchant_mask.dims();
        let texts = self.text_encoder.forward(folds.texts.clone());
        let d = texts.dims()[1];
        let mut users = Tensor::<2>::zeros([b * m, d], &texts.device());
        for group in &folds.groups {
            let out = self.sequence.forward(folds, texts.clone(), group);
            users = users.select_assign(0, group.rows.clone(), out.pooled, IndexingUpdateOp::Add);
        }
        self.head
            .forward(users.reshape([b, m, d]).sum_dim(1).squeeze_dim::<2>(1))
    }
}

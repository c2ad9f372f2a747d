//! LBSF — Long-term Payment Behavior Sequence Folding (`papers/lbsf.txt`).
//!
//! Figure 2, on the encoder's fold view ([`crate::encode::FoldView`], §IV-B):
//! 1. multi-field behavior encoding (§IV-C): each payment's description embedding
//!    ([`TextEncoder`]), periodic time (Eq. 2) and amount, concatenated and reduced by a fully
//!    connected layer (`behavior_encoding`), plus a learned position counted from the
//!    merchant's most recent payment;
//! 2. melding within a merchant (Eq. 3): `h_nj = AveragePooling(Transformer(s_nj))` over the
//!    real payments (`intra_merchant`), fused with the merchant name's embedding by a fully
//!    connected layer (`fusion`);
//! 3. melding across merchants (Eq. 4): `h' = Transformer(h)` (`across_merchant`);
//! 4. across-merchant relational learning (§IV-E): a learnable `[CLS]` token joins the merchant
//!    embeddings in a ViT-like encoder layer (`relational`); its output is the user
//!    representation, and `ŷ = MLP(h'_n)` (Eq. 5) with the BCE loss of Eq. (6).
//!
//! Merchants are a set: no position is given across them, so their slot order (the fold's
//! ranking) cannot change a score. Padding payments and padding merchants are masked out of
//! every attention and pooling; only real merchants go through the within-merchant layer, in
//! groups by how many payment slots they fill (4, 8, 16, … up to `P`), each on those slots only.
//! Paper defaults (§V-C): `d` = 128, 4 heads, one layer per Transformer, AdamW 2e-4, batch 256,
//! 10 epochs, `M` = 74. The paper does not give the feed-forward width; seqrisk uses `4d`, the
//! original Transformer's ratio.

#[cfg(test)]
mod tests;

use crate::encode::{Batch, Encoder};
use crate::models::layers::{
    Mlp, MlpConfig, PaymentSequence, PaymentSequenceConfig, TextEncoder, TextEncoderConfig,
    TransformerBlock, TransformerBlockConfig,
};
use burn::module::{Initializer, Param};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;

/// Configuration of [`Lbsf`].
#[derive(Config, Debug)]
pub struct LbsfConfig {
    /// Most recent payments kept per merchant (the fitted schema's `[merchants] max_payments`):
    /// the size of the payment position table.
    pub max_payments: usize,
    /// Hash buckets of the text encoder (the schema's `[merchants] text_buckets`).
    pub text_buckets: usize,
    /// `d`: width of every embedding and Transformer (the paper: 128).
    #[config(default = 128)]
    pub d_model: usize,
    /// Attention heads (the paper: 4).
    #[config(default = 4)]
    pub n_heads: usize,
    /// Feed-forward width of the Transformer layers (`4d`).
    #[config(default = 512)]
    pub d_ff: usize,
    /// Dropout in the Transformer layers and the MLP head.
    #[config(default = 0.1)]
    pub dropout: f64,
    /// `[rows, width]` of the pretrained merchant vectors the team supplied (rows: merchants
    /// plus the empty row 0), when it did.
    #[config(default = "None")]
    pub merchant_vectors: Option<[usize; 2]>,
}

impl LbsfConfig {
    /// The paper's defaults for `encoder`'s fold view.
    pub fn for_encoder(encoder: &Encoder) -> Self {
        let fold = &encoder.schema.merchants;
        Self::new(fold.payments(), fold.text_buckets)
    }

    /// Build the module.
    pub fn init(&self, device: &Device) -> Lbsf {
        let d = self.d_model;
        let block = || {
            TransformerBlockConfig::new(d, self.n_heads, self.d_ff)
                .with_dropout(self.dropout)
                .init(device)
        };
        Lbsf {
            text_encoder: TextEncoderConfig::new(self.text_buckets, d).init(device),
            intra_merchant: PaymentSequenceConfig::new(
                self.max_payments,
                d,
                self.n_heads,
                self.d_ff,
                self.dropout,
            )
            .init(device),
            fusion: LinearConfig::new(2 * d, d).init(device),
            merchant_vectors: self
                .merchant_vectors
                .map(|[rows, width]| MerchantVectorTable {
                    table: Param::from_tensor(Tensor::zeros([rows, width], device))
                        .set_require_grad(false),
                    projection: LinearConfig::new(width, d).with_bias(false).init(device),
                }),
            across_merchant: block(),
            cls: Initializer::Normal {
                mean: 0.0,
                std: 0.02,
            }
            .init([d], device),
            relational: block(),
            head: MlpConfig::new(d, d, self.dropout).init(device),
            d_model: d,
        }
    }
}

/// LBSF (see the module documentation).
#[derive(Module, Debug)]
pub struct Lbsf {
    /// Embeds merchant names and payment descriptions.
    pub text_encoder: TextEncoder,
    /// §IV-C and Eq. (3): payments encoded, the Transformer within a merchant, average pooling.
    pub intra_merchant: PaymentSequence,
    /// §IV-D1: `[h_nj; m'_nj]` → `d`.
    pub fusion: Linear,
    /// The team's pretrained merchant vectors, when supplied: `m'_nj` gains their projection.
    pub merchant_vectors: Option<MerchantVectorTable>,
    /// Eq. (4): the Transformer across merchants.
    pub across_merchant: TransformerBlock,
    /// §IV-E: the `[CLS]` token.
    pub cls: Param<Tensor<1>>,
    /// §IV-E: the ViT-like encoder layer over `[CLS]` and the merchants.
    pub relational: TransformerBlock,
    /// Eq. (5): the classifier.
    pub head: Mlp,
    /// `d`.
    #[module(skip)]
    pub d_model: usize,
}

/// Pretrained merchant vectors: a fixed table (not trained, row 0 zeros for merchants without a
/// vector) and a trained projection to `d`, `m'_nj = text(name_nj) + W_v·v(name_nj)`.
#[derive(Module, Debug)]
pub struct MerchantVectorTable {
    /// `[rows, width]` the vectors (frozen).
    pub table: Param<Tensor<2>>,
    /// `W_v`: width → `d`, no bias, so a merchant without a vector adds 0.
    pub projection: Linear,
}

impl Lbsf {
    /// The model with `vectors` (`[rows, width]`, as its configuration says) in its table.
    pub fn with_merchant_vectors(mut self, vectors: Tensor<2>) -> Self {
        if let Some(v) = self.merchant_vectors.as_mut() {
            v.table = Param::from_tensor(vectors).set_require_grad(false);
        }
        self
    }
}

/// LBSF's forward pass with its explanations.
#[derive(Debug, Clone)]
pub struct LbsfOutput {
    /// `[B]` logits.
    pub logits: Tensor<1>,
    /// `[B, M]` the `[CLS]` token's attention over the merchants, averaged over heads and
    /// renormalised over the merchants (its weight on itself left out): sums to 1 over each
    /// user's real merchants, 0 on padding (§VI-C's merchant weights).
    pub merchant_attention: Tensor<2>,
    /// `[B, M·P]` within each merchant, the attention each payment receives, averaged over
    /// heads and over the merchant's real payments as queries: sums to 1 over a real
    /// merchant's real payments, 0 on padding.
    pub payment_attention: Tensor<2>,
}

impl Lbsf {
    /// Forward pass. The batch must carry the fold view (the encoder's `payment_view`, which
    /// [`crate::models::ModelConfig::check`] requires of an LBSF model).
    pub fn forward(&self, batch: &Batch) -> LbsfOutput {
        let folds = batch
            .folds
            .as_ref()
            .expect("LBSF reads the fold view; ModelConfig::check makes the encoder build it");
        let [b, m] = folds.merchant_mask.dims();
        let p = folds.payment_mask.dims()[2];
        let d = self.d_model;
        let device = folds.merchant_mask.device();
        let texts = self.text_encoder.forward(folds.texts.clone());
        let mut merchants = Tensor::<2>::zeros([b * m, d], &device);
        let mut payment_attention = Tensor::<2>::zeros([b * m, p], &device);
        for group in &folds.groups {
            let within = self.intra_merchant.forward(folds, texts.clone(), group);
            // §IV-D1: fused with the merchant's name
            let mut name = texts.clone().select(
                0,
                folds
                    .merchant_text
                    .clone()
                    .reshape([b * m])
                    .select(0, group.rows.clone()),
            );
            if let Some(v) = &self.merchant_vectors {
                let rows = folds
                    .merchant_vector
                    .clone()
                    .reshape([b * m])
                    .select(0, group.rows.clone());
                name = name + v.projection.forward(v.table.val().select(0, rows));
            }
            let fused = self
                .fusion
                .forward(Tensor::cat(vec![within.pooled, name], 1));
            merchants =
                merchants.select_assign(0, group.rows.clone(), fused, IndexingUpdateOp::Add);
            payment_attention = payment_attention.select_assign(
                0,
                group.rows.clone(),
                within.payment_attention,
                IndexingUpdateOp::Add,
            );
        }
        let merchants = merchants.reshape([b, m, d]);
        let payment_attention = payment_attention.reshape([b, m * p]);
        let merchant_padding = folds.merchant_mask.clone().equal_elem(0.0);
        // Eq. (4)
        let across = self
            .across_merchant
            .forward(merchants, merchant_padding.clone())
            .output;
        // §IV-E: [CLS] first, never padding
        let cls = self.cls.val().reshape([1, 1, d]).repeat_dim(0, b);
        let padding = Tensor::cat(
            vec![
                Tensor::<2>::zeros([b, 1], &device).equal_elem(1.0),
                merchant_padding,
            ],
            1,
        );
        let relational = self
            .relational
            .forward(Tensor::cat(vec![cls, across], 1), padding);
        let user = relational.output.narrow(1, 0, 1).reshape([b, d]);
        let to_merchants = relational
            .attention
            .narrow(2, 0, 1)
            .mean_dim(1)
            .reshape([b, 1 + m])
            .narrow(1, 1, m);
        let total = to_merchants.clone().sum_dim(1).clamp_min(1e-12);
        LbsfOutput {
            logits: self.head.forward(user),
            merchant_attention: to_merchants / total,
            payment_attention,
        }
    }
}

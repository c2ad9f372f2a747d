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

pub mod text_encoder;

#[cfg(test)]
mod tests;

use crate::encode::{Batch, Encoder, FoldBatch, MerchantGroup, PAYMENT_NUMERIC};
use crate::models::layers::{Mlp, MlpConfig, TransformerBlock, TransformerBlockConfig};
use burn::module::{Initializer, Param};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;
use text_encoder::{TextEncoder, TextEncoderConfig};

/// Configuration of [`Lbsf`].
#[derive(Config, Debug)]
pub struct LbsfConfig {
    /// Most recent payments kept per merchant (the schema's `[merchants] max_payments`).
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
}

impl LbsfConfig {
    /// The paper's defaults for `encoder`'s fold view.
    pub fn for_encoder(encoder: &Encoder) -> Self {
        let fold = &encoder.schema.merchants;
        Self::new(fold.max_payments, fold.text_buckets)
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
            behavior_encoding: LinearConfig::new(d + PAYMENT_NUMERIC, d).init(device),
            payment_position: EmbeddingConfig::new(self.max_payments, d)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: 0.02,
                })
                .init(device),
            intra_merchant: block(),
            fusion: LinearConfig::new(2 * d, d).init(device),
            across_merchant: block(),
            cls: Initializer::Normal {
                mean: 0.0,
                std: 0.02,
            }
            .init([d], device),
            relational: block(),
            head: MlpConfig::new(d, d, self.dropout).init(device),
            d_model: d,
            max_payments: self.max_payments,
        }
    }
}

/// LBSF (see the module documentation).
#[derive(Module, Debug)]
pub struct Lbsf {
    /// Embeds merchant names and payment descriptions.
    pub text_encoder: TextEncoder,
    /// §IV-C: `[description; time; amount]` → `d`.
    pub behavior_encoding: Linear,
    /// Position of a payment inside its merchant, 0 for the most recent.
    pub payment_position: Embedding,
    /// Eq. (3): the Transformer within a merchant.
    pub intra_merchant: TransformerBlock,
    /// §IV-D1: `[h_nj; m'_nj]` → `d`.
    pub fusion: Linear,
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
    /// Positions known to `payment_position`.
    #[module(skip)]
    pub max_payments: usize,
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
    /// Forward pass. The batch must carry the fold view (the encoder's `fold_view`, which
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
            let within = self.within_merchants(folds, texts.clone(), group, [b, m, p]);
            merchants = merchants.select_assign(
                0,
                group.rows.clone(),
                within.merchants,
                IndexingUpdateOp::Add,
            );
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

    /// §IV-C and Eq. (3) on one group of real merchants, on its live payment slots only.
    fn within_merchants(
        &self,
        folds: &FoldBatch,
        texts: Tensor<2>,
        group: &MerchantGroup,
        [b, m, p]: [usize; 3],
    ) -> Within {
        let (n, l, d) = (group.count, group.len, self.d_model);
        let device = texts.device();
        let rows = group.rows.clone();
        // the group's payments sit in the last `l` slots
        let live = |t: Tensor<2, Int>| t.select(0, rows.clone()).narrow(1, p - l, l);
        let description = texts
            .clone()
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
            .select(0, rows.clone())
            .narrow(1, p - l, l);
        let intra = self
            .intra_merchant
            .forward(behaviors, mask.clone().equal_elem(0.0));
        // Eq. (3): average pooling over the real payments
        let count = mask.clone().sum_dim(1).clamp_min(1.0);
        let pooled = (intra.output * mask.clone().unsqueeze_dim(2))
            .sum_dim(1)
            .squeeze_dim::<2>(1)
            / count.clone();
        let name = texts.select(
            0,
            folds.merchant_text.clone().reshape([b * m]).select(0, rows),
        );
        // attention received per key, averaged over heads and real queries
        let received = (intra.attention.mean_dim(1).squeeze_dim::<3>(1) * mask.unsqueeze_dim(2))
            .sum_dim(1)
            .squeeze_dim::<2>(1)
            / count;
        Within {
            merchants: self.fusion.forward(Tensor::cat(vec![pooled, name], 1)),
            payment_attention: Tensor::cat(vec![Tensor::zeros([n, p - l], &device), received], 1),
        }
    }
}

/// One merchant group's share of the forward pass.
struct Within {
    /// `[n, d]` the merchants' fused embeddings.
    merchants: Tensor<2>,
    /// `[n, P]` their payments' attention, 0 on padding.
    payment_attention: Tensor<2>,
}

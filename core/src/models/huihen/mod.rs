//! HUIHEN — Hierarchical User Intention-Habit Extract Network (`papers/huihen.txt`).
//!
//! Five layers (Figure 1):
//! 1. EN and FAN ([`FieldAware`]): behavior embeddings, Eq. (1) per field, the time period and
//!    the profile mapped to field-wise vectors `x_user`, `x_item`;
//! 2. SUIE ([`TimeAwareGru`], Eqs. 2–7): each session of the encoder's session view (1 h gaps,
//!    §3.4) read into an intention `T_i`;
//! 3. LHUHE ([`UserItemAwareGru`], Eqs. 8–12): the intention sequence read into the habits
//!    `H_m`;
//! 4. UPI ([`Upi`], Eqs. 13–14): `sigmoid(PReLU(MLP([T(m); H(m); x_user; x_item])))`, with
//!    the cross-entropy of Eq. (15).
//!
//! Without a session view (profile-only "old data", §4.2) the sequence parts are zero, which
//! is what pretraining the UPI layer reads. Paper defaults (§5.2): embeddings 10, both GRUs 30,
//! UPI 50-25-2, dropout 0.6, Adam 1e-3.

pub mod field_aware;
pub mod time_aware_gru;
pub mod upi;
pub mod user_item_aware_gru;

#[cfg(test)]
mod tests;

use crate::encode::{Batch, Encoder};
use crate::models::layers::{FieldEmbedding, FieldEmbeddingConfig};
use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;
use burn::tensor::activation::relu;
use field_aware::{FieldAware, FieldAwareConfig};
use serde::{Deserialize, Serialize};
use time_aware_gru::{TimeAwareGru, TimeAwareGruConfig};
use upi::{Upi, UpiConfig};
use user_item_aware_gru::{UserItemAwareGru, UserItemAwareGruConfig};

/// HUIHEN and the variants of the paper's Table 2 that change the model or its training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum HuihenVariant {
    /// HUIHEN, with the UPI layer pretrained under a GBDT teacher (§4).
    #[default]
    Full,
    /// HUIHEN-withoutAuxNet: trained on the new data only.
    NoPretrain,
    /// HUIHEN without the time gate of Eq. (5) (`T_m = 1`).
    NoTimeGate,
    /// HUIHEN-withoutTUGRU: both GRUs ordinary (no time period, time gate, user or item).
    Gru,
    /// Table 5's "Field-aware-without-category": one `w` shared by every behavior field in
    /// Eq. (1), `ReLU(w e_j)`, instead of a `w_i` per field.
    SharedFieldAware,
}

/// Configuration of [`Huihen`].
#[derive(Config, Debug)]
pub struct HuihenConfig {
    /// `n`: size of the feature dictionary.
    pub num_features: usize,
    /// `F`: feature slots per behavior.
    pub event_fields: usize,
    /// For each profile slot, whether it describes the applied product (`x_item`) rather than
    /// the user (`x_user`).
    pub item_slots: Vec<bool>,
    /// For each behavior slot, whether it holds an amount that only scales a transform
    /// operation (`scale_by`, [`Encoder::scale_slots`]): the field-aware layer leaves it out,
    /// as the paper's behaviors read the amount only as `E·log(amount)` (§3.2). Empty: every
    /// slot is a behavior field.
    #[config(default = "Vec::new()")]
    pub scale_slots: Vec<bool>,
    /// Embedding dimension of behaviors, time periods and the profile (the paper: 10).
    #[config(default = 10)]
    pub embedding_dim: usize,
    /// Hidden size of both GRUs (the paper: 30).
    #[config(default = 30)]
    pub gru_hidden: usize,
    /// UPI hidden sizes.
    #[config(default = "vec![50, 25]")]
    pub upi_hidden: Vec<usize>,
    /// Dropout in the UPI layer.
    #[config(default = 0.6)]
    pub dropout: f64,
    /// The variant.
    #[config(default = "HuihenVariant::Full")]
    pub variant: HuihenVariant,
}

impl HuihenConfig {
    /// The paper's defaults for `encoder`'s inputs (`x_item` from the schema's
    /// `[sessions] item_fields`).
    pub fn for_encoder(encoder: &Encoder) -> Self {
        let items = &encoder.schema.sessions.item_fields;
        let mut item_slots: Vec<bool> = encoder
            .profile_field_names()
            .iter()
            .map(|n| items.contains(n))
            .collect();
        item_slots.resize(encoder.profile_fields(), false);
        Self::new(encoder.num_features(), encoder.event_fields(), item_slots)
            .with_scale_slots(encoder.scale_slots())
    }

    /// The behavior slots the field-aware layer reads: every slot but the amounts that only
    /// scale an operation.
    pub fn behavior_slots(&self) -> Vec<usize> {
        (0..self.event_fields)
            .filter(|&j| !self.scale_slots.get(j).copied().unwrap_or(false))
            .collect()
    }

    /// Whether training pretrains the UPI layer first (§4).
    pub fn pretrains(&self) -> bool {
        self.variant != HuihenVariant::NoPretrain
    }

    /// Build the model.
    pub fn init(&self, device: &Device) -> Huihen {
        let (d, h) = (self.embedding_dim, self.gru_hidden);
        let kept = self.behavior_slots();
        let ordinary = self.variant == HuihenVariant::Gru;
        let profile = || FieldEmbeddingConfig::new(self.num_features, d).init(device);
        Huihen {
            field_aware: FieldAwareConfig::new(self.num_features, kept.len())
                .with_embedding_dim(d)
                .with_shared(self.variant == HuihenVariant::SharedFieldAware)
                .init(device),
            user_profile: profile(),
            item_profile: profile(),
            time_aware_gru: TimeAwareGruConfig::new(d, d, h)
                .with_time_period(!ordinary)
                .with_time_gate(!ordinary && self.variant != HuihenVariant::NoTimeGate)
                .with_candidate_reads_h(!ordinary)
                .init(device),
            user_item_aware_gru: UserItemAwareGruConfig::new(h, 2 * d, h)
                .with_user_item(!ordinary)
                .init(device),
            upi: UpiConfig::new(2 * h + 2 * d)
                .with_hidden(self.upi_hidden.clone())
                .with_dropout(self.dropout)
                .init(device),
            item_slots: self.item_slots.clone(),
            behavior_slots: (kept.len() < self.event_fields).then_some(kept),
        }
    }
}

/// The HUIHEN model.
#[derive(Module, Debug)]
pub struct Huihen {
    /// EN + FAN for behaviors and time periods.
    pub field_aware: FieldAware,
    /// The user profile's field-wise mapping (`x_user`).
    pub user_profile: FieldEmbedding,
    /// The applied product's field-wise mapping (`x_item`).
    pub item_profile: FieldEmbedding,
    /// SUIE, Eqs. (2)–(7).
    pub time_aware_gru: TimeAwareGru,
    /// LHUHE, Eqs. (8)–(12).
    pub user_item_aware_gru: UserItemAwareGru,
    /// UPI, Eqs. (13)–(14).
    pub upi: Upi,
    /// Profile slots of `x_item`.
    #[module(skip)]
    pub item_slots: Vec<bool>,
    /// The behavior slots the field-aware layer reads, when some are left out
    /// ([`HuihenConfig::behavior_slots`]).
    #[module(skip)]
    pub behavior_slots: Option<Vec<usize>>,
}

/// What [`Huihen::forward`] returns: the logit and per-session explanations (`[B, S]`, 0 on
/// padded sessions and without a session view).
#[derive(Debug, Clone)]
pub struct HuihenOutput {
    /// `[B]` logits.
    pub logits: Tensor<1>,
    /// `‖T_i‖`: the size of each session's intention state.
    pub session_intention: Option<Tensor<2>>,
    /// The mean time gate `T_m` of each session's behaviors (Eq. 5).
    pub session_time_gate: Option<Tensor<2>>,
    /// The mean update gate of the user-item-aware GRU at each session (Eq. 8): how much the
    /// session moved the habits.
    pub session_update_gate: Option<Tensor<2>>,
}

impl Huihen {
    /// `[x_user; x_item]`, `[B, 2d]`: `ReLU(w · p)` of each profile group, where `w · p` over a
    /// one-hot and normalised profile vector `p` is the sum of the embedding rows of its slots
    /// times their values (§3.3).
    pub fn profile(&self, batch: &Batch) -> Tensor<2> {
        let device = batch.profile_value.device();
        let p = self.item_slots.len();
        let is_item: Vec<f32> = self
            .item_slots
            .iter()
            .map(|&i| if i { 1.0 } else { 0.0 })
            .collect();
        let item =
            Tensor::<1>::from_data(TensorData::new(is_item, [p]), &device).unsqueeze_dim::<2>(0);
        let map = |e: &FieldEmbedding, keep: Tensor<2>| {
            let v = e.flat_vectors(
                batch.profile_index.clone(),
                batch.profile_value.clone() * keep,
            );
            relu(v.sum_dim(1).squeeze_dim::<2>(1))
        };
        Tensor::cat(
            vec![
                map(&self.user_profile, item.clone().neg() + 1.0),
                map(&self.item_profile, item),
            ],
            1,
        )
    }

    /// Step two of the training strategy (§4.1): this (freshly initialised) model with the UPI
    /// layer and the profile's field-wise mappings of `pretrained`, a model pretrained on
    /// profile-only data.
    pub fn with_pretrained_upi(self, pretrained: Huihen) -> Self {
        Self {
            upi: pretrained.upi,
            user_profile: pretrained.user_profile,
            item_profile: pretrained.item_profile,
            ..self
        }
    }

    /// Forward pass: with the batch's session view, the whole network; without it, the UPI
    /// layer on the profile with zero sequence parts (pretraining, §4.2).
    pub fn forward(&self, batch: &Batch) -> HuihenOutput {
        let context = self.profile(batch);
        let [b, _] = context.dims();
        let h = self.time_aware_gru.d_hidden;
        let device = context.device();
        let Some(sb) = &batch.sessions else {
            let zeros = Tensor::zeros([b, 2 * h], &device);
            return HuihenOutput {
                logits: self.upi.forward(Tensor::cat(vec![zeros, context], 1)),
                session_intention: None,
                session_time_gate: None,
                session_update_gate: None,
            };
        };
        let [_, s, l, f] = sb.behavior_index.dims();
        let d = context.dims()[1] / 2;
        // the within-session layers run on the real sessions' live behavior slots only
        let (n, lead) = (sb.num_real, sb.lead_behaviors);
        let live = l - lead;
        let sessions_of = |t: Tensor<4, Int>| -> Tensor<2, Int> {
            t.narrow(2, lead, live)
                .reshape([b * s, live * f])
                .select(0, sb.real_sessions.clone())
        };
        let steps_of = |t: Tensor<3>| -> Tensor<2> {
            t.narrow(2, lead, live)
                .reshape([b * s, live])
                .select(0, sb.real_sessions.clone())
        };
        let ids_of = |t: Tensor<3, Int>| -> Tensor<1, Int> {
            t.narrow(2, lead, live)
                .reshape([b * s, live])
                .select(0, sb.real_sessions.clone())
                .reshape([n * live])
        };
        let (mut intentions, mut time_gate) = (
            Tensor::<2>::zeros([b * s, h], &device),
            Tensor::<1>::zeros([b * s], &device),
        );
        if n > 0 && live > 0 {
            let index = sessions_of(sb.behavior_index.clone()).reshape([n * live, f]);
            let value = sb
                .behavior_value
                .clone()
                .narrow(2, lead, live)
                .reshape([b * s, live * f])
                .select(0, sb.real_sessions.clone())
                .reshape([n * live, f]);
            let (index, value) = match &self.behavior_slots {
                Some(kept) => {
                    let kept = Tensor::<1, Int>::from_data(
                        TensorData::new(kept.iter().map(|&j| j as i64).collect(), [kept.len()]),
                        &device,
                    );
                    (index.select(1, kept.clone()), value.select(1, kept))
                }
                None => (index, value),
            };
            let x = self
                .field_aware
                .behaviors(index, value)
                .reshape([n, live, d]);
            let period = self
                .field_aware
                .period(ids_of(sb.week.clone()), ids_of(sb.month.clone()))
                .reshape([n, live, 2 * d]);
            let suie = self.time_aware_gru.forward(
                x,
                period,
                steps_of(sb.delta_t.clone()),
                steps_of(sb.behavior_mask.clone()),
            );
            intentions = intentions.select_assign(
                0,
                sb.real_sessions.clone(),
                suie.intention,
                IndexingUpdateOp::Add,
            );
            time_gate = time_gate.select_assign(
                0,
                sb.real_sessions.clone(),
                suie.mean_time_gate,
                IndexingUpdateOp::Add,
            );
        }
        let intentions = intentions.reshape([b, s, h]);
        let lead_s = sb.lead_sessions.min(s - 1);
        let lhuhe = self.user_item_aware_gru.forward(
            intentions.clone().narrow(1, lead_s, s - lead_s),
            context.clone(),
            sb.session_mask.clone().narrow(1, lead_s, s - lead_s),
        );
        let update_gate = Tensor::cat(
            vec![Tensor::zeros([b, lead_s], &device), lhuhe.update_gate],
            1,
        );
        // T(m): the most recent session's intention (slot S − 1; zero when there is none)
        let last = intentions.clone().narrow(1, s - 1, 1).squeeze_dim::<2>(1);
        let logits = self
            .upi
            .forward(Tensor::cat(vec![last, lhuhe.habits, context], 1));
        HuihenOutput {
            logits,
            session_intention: Some(
                intentions
                    .powi_scalar(2)
                    .sum_dim(2)
                    .sqrt()
                    .squeeze_dim::<2>(2),
            ),
            session_time_gate: Some(time_gate.reshape([b, s])),
            session_update_gate: Some(update_gate),
        }
    }
}

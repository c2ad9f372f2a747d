//! Stacking encoded sessions into tensors on a device.

use super::{EncodedSession, FeatureId, FoldView, PAYMENT_NUMERIC, SessionView};
use burn::prelude::*;
use std::collections::HashMap;

/// Where the padding of a right-aligned batch lies, known on the host so that recurrent layers
/// can skip work that the mask would undo: slots `0..all_padding` are padding in every session,
/// slots `all_real..T` are real in every session, and only `all_padding..all_real` is mixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Padding {
    /// Leading slots that are padding in every session.
    pub all_padding: usize,
    /// First slot from which every session's slots are real.
    pub all_real: usize,
}

impl Padding {
    /// No knowledge: every slot may be mixed (what a layer must assume without a batch).
    pub fn mixed(len: usize) -> Self {
        Self {
            all_padding: 0,
            all_real: len,
        }
    }

    /// From right-aligned `[T]` masks (padding first, then real events).
    pub fn of_masks<'a>(masks: impl Iterator<Item = &'a [f32]>, len: usize) -> Self {
        let (mut all_padding, mut all_real) = (len, 0);
        for m in masks {
            let first_real = m.iter().position(|&v| v != 0.0).unwrap_or(len);
            all_padding = all_padding.min(first_real);
            all_real = all_real.max(first_real);
        }
        Self {
            all_padding: all_padding.min(all_real),
            all_real,
        }
    }

    /// The same for the first `len` slots.
    pub fn narrow(self, len: usize) -> Self {
        Self {
            all_padding: self.all_padding.min(len),
            all_real: self.all_real.min(len),
        }
    }
}

/// Model inputs for `B` sessions of `T` events with `F` feature slots each.
#[derive(Debug, Clone)]
pub struct Batch {
    /// `[B, T, F]` global feature indices.
    pub event_index: Tensor<3, Int>,
    /// `[B, T, F]` feature values (`x_i` in the papers).
    pub event_value: Tensor<3>,
    /// `[B, T]` 1 for a real event, 0 for padding (`q_i` in NHFM Eq. 2).
    pub event_mask: Tensor<2>,
    /// `[B, P]` profile feature indices.
    pub profile_index: Tensor<2, Int>,
    /// `[B, P]` profile feature values.
    pub profile_value: Tensor<2>,
    /// `[B]` labels (0 where unknown).
    pub labels: Tensor<1>,
    /// Where `event_mask` is 0 for every session, 1 for every session, or mixed.
    pub padding: Padding,
    /// The sessions as given, for models that read them on the host (the GBDT baseline).
    pub host: Vec<EncodedSession>,
    /// The session view (HUIHEN), when the encoder made it.
    pub sessions: Option<SessionBatch>,
    /// The fold view (LBSF), when the encoder made it.
    pub folds: Option<FoldBatch>,
}

/// The fold views of `B` users: `M` merchants of up to `P` payments each, as many as the
/// batch's fullest user has (at least 1). Merchants fill slots `0..k` in rank order; payments
/// are right-aligned in their merchant (slot `P − 1` holds the most recent).
#[derive(Debug, Clone)]
pub struct FoldBatch {
    /// `[U, G]` the batch's distinct texts (merchant names and descriptions) as token ids,
    /// 0-padded; row 0 is the empty text.
    pub texts: Tensor<2, Int>,
    /// `[B, M]` each merchant's name, a row of `texts`.
    pub merchant_text: Tensor<2, Int>,
    /// `[B, M]` 1 for a real merchant.
    pub merchant_mask: Tensor<2>,
    /// `[B, M]` each merchant's row in the pretrained merchant vectors (0: none).
    pub merchant_vector: Tensor<2, Int>,
    /// `[B, M, P]` each payment's description, a row of `texts`.
    pub payment_text: Tensor<3, Int>,
    /// `[B, M, P, PAYMENT_NUMERIC]` amount and periodic time of each payment.
    pub payment_numeric: Tensor<4>,
    /// `[B, M, P]` 1 for a real payment.
    pub payment_mask: Tensor<3>,
    /// The real merchants grouped by how many payment slots they need (known on the host), so
    /// that the within-merchant layers run on each group's live slots only.
    pub groups: Vec<MerchantGroup>,
}

/// Real merchants whose payments all fit in the last `len` payment slots.
#[derive(Debug, Clone)]
pub struct MerchantGroup {
    /// `[n]` the merchants, as indices `b·M + m` into the `B·M` merchant rows.
    pub rows: Tensor<1, Int>,
    /// `n`.
    pub count: usize,
    /// Payment slots `P − len .. P` hold every payment of these merchants.
    pub len: usize,
}

/// Slot counts of the merchant groups: powers of two from 4, and `P` itself.
fn group_len(payments: usize, p: usize) -> usize {
    payments.max(4).next_power_of_two().min(p)
}

/// The distinct texts of a batch: row 0 is the empty text.
struct TextTable<'a> {
    rows: HashMap<&'a [i64], i64>,
    texts: Vec<&'a [i64]>,
}

impl Default for TextTable<'_> {
    fn default() -> Self {
        Self {
            rows: HashMap::new(),
            texts: vec![&[]],
        }
    }
}

impl<'a> TextTable<'a> {
    /// The row of `tokens`, added when new.
    fn row(&mut self, tokens: &'a [i64]) -> i64 {
        if tokens.is_empty() {
            return 0;
        }
        *self.rows.entry(tokens).or_insert_with(|| {
            self.texts.push(tokens);
            self.texts.len() as i64 - 1
        })
    }
}

impl FoldBatch {
    fn new(views: &[&FoldView], device: &Device) -> Self {
        let b = views.len();
        let m = views
            .iter()
            .map(|v| v.merchants.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let p = views
            .iter()
            .flat_map(|v| v.merchants.iter().map(|x| x.events.len()))
            .max()
            .unwrap_or(0)
            .max(1);
        // the batch's text table: row 0 empty, then each distinct token list once
        let mut table = TextTable::default();
        let mut merchant_text = vec![0i64; b * m];
        let mut merchant_mask = vec![0f32; b * m];
        let mut merchant_vector = vec![0i64; b * m];
        let mut payment_text = vec![0i64; b * m * p];
        let mut payment_numeric = vec![0f32; b * m * p * PAYMENT_NUMERIC];
        let mut payment_mask = vec![0f32; b * m * p];
        let mut groups: std::collections::BTreeMap<usize, Vec<i64>> = Default::default();
        for (u, v) in views.iter().enumerate() {
            for (k, merchant) in v.merchants.iter().enumerate() {
                let row = u * m + k;
                groups
                    .entry(group_len(merchant.events.len(), p))
                    .or_default()
                    .push(row as i64);
                merchant_mask[row] = 1.0;
                merchant_vector[row] = i64::from(merchant.vector_row);
                merchant_text[row] = table.row(&merchant.name_tokens);
                let first = p - merchant.events.len();
                for (j, (x, d)) in merchant
                    .numeric
                    .iter()
                    .zip(&merchant.description)
                    .enumerate()
                {
                    let slot = row * p + first + j;
                    payment_mask[slot] = 1.0;
                    payment_numeric[slot * PAYMENT_NUMERIC..(slot + 1) * PAYMENT_NUMERIC]
                        .copy_from_slice(x);
                    if *d > 0 {
                        payment_text[slot] = table.row(&v.texts[*d as usize - 1]);
                    }
                }
            }
        }
        let table = table.texts;
        let g = table.iter().map(|t| t.len()).max().unwrap_or(0).max(1);
        let mut texts = vec![0i64; table.len() * g];
        for (r, tokens) in table.iter().enumerate() {
            texts[r * g..r * g + tokens.len()].copy_from_slice(tokens);
        }
        let u = table.len();
        Self {
            texts: Tensor::from_data(TensorData::new(texts, [u, g]), device),
            merchant_text: Tensor::from_data(TensorData::new(merchant_text, [b, m]), device),
            merchant_mask: Tensor::from_data(TensorData::new(merchant_mask, [b, m]), device),
            merchant_vector: Tensor::from_data(TensorData::new(merchant_vector, [b, m]), device),
            payment_text: Tensor::from_data(TensorData::new(payment_text, [b, m, p]), device),
            payment_numeric: Tensor::from_data(
                TensorData::new(payment_numeric, [b, m, p, PAYMENT_NUMERIC]),
                device,
            ),
            payment_mask: Tensor::from_data(TensorData::new(payment_mask, [b, m, p]), device),
            groups: groups
                .into_iter()
                .map(|(len, rows)| {
                    let count = rows.len();
                    MerchantGroup {
                        rows: Tensor::from_data(TensorData::new(rows, [count]), device),
                        count,
                        len,
                    }
                })
                .collect(),
        }
    }
}

/// The session views of `B` users: `S` sessions of `L` behaviors with `F` slots each.
#[derive(Debug, Clone)]
pub struct SessionBatch {
    /// `[B, S, L, F]` feature indices.
    pub behavior_index: Tensor<4, Int>,
    /// `[B, S, L, F]` feature values.
    pub behavior_value: Tensor<4>,
    /// `[B, S, L]` 1 for a real behavior.
    pub behavior_mask: Tensor<3>,
    /// `[B, S, L]` seconds since the previous behavior of the session.
    pub delta_t: Tensor<3>,
    /// `[B, S, L]` weekday ids (0 padding, 1 Monday … 7).
    pub week: Tensor<3, Int>,
    /// `[B, S, L]` day-of-month ids (0 padding, 1 … 31).
    pub month: Tensor<3, Int>,
    /// `[B, S]` 1 for a real session.
    pub session_mask: Tensor<2>,
    /// `[N]` the real sessions, as indices `b·S + s` into the `B·S` session rows (known on the
    /// host, so models can run the within-session layers on real sessions only).
    pub real_sessions: Tensor<1, Int>,
    /// `N`: how many sessions are real.
    pub num_real: usize,
    /// Leading behavior slots that are padding in every real session (behaviors are
    /// right-aligned, so slots `lead_behaviors..L` hold them all).
    pub lead_behaviors: usize,
    /// Leading session slots that are padding for every user.
    pub lead_sessions: usize,
}

impl SessionBatch {
    fn new(views: &[&SessionView], device: &Device) -> Self {
        let b = views.len();
        let s = views[0].session_mask.len();
        let l = views[0].behavior_mask.len() / s.max(1);
        let f = views[0].behavior_index.len() / (s * l).max(1);
        let ints = |get: fn(&SessionView) -> &Vec<i64>| -> Vec<i64> {
            views.iter().flat_map(|v| get(v).iter().copied()).collect()
        };
        let ids: Vec<i64> = views
            .iter()
            .flat_map(|v| v.behavior_index.iter().map(|&i| i64::from(i)))
            .collect();
        let floats = |get: fn(&SessionView) -> &Vec<f32>| -> Vec<f32> {
            views.iter().flat_map(|v| get(v).iter().copied()).collect()
        };
        let mut real = Vec::new();
        let (mut lead_behaviors, mut lead_sessions) = (l, s);
        for (u, v) in views.iter().enumerate() {
            for (k, &m) in v.session_mask.iter().enumerate() {
                if m != 0.0 {
                    real.push((u * s + k) as i64);
                    lead_sessions = lead_sessions.min(k);
                    let first = v.behavior_mask[k * l..(k + 1) * l]
                        .iter()
                        .position(|&x| x != 0.0)
                        .unwrap_or(l);
                    lead_behaviors = lead_behaviors.min(first);
                }
            }
        }
        let num_real = real.len();
        Self {
            real_sessions: Tensor::from_data(TensorData::new(real, [num_real]), device),
            num_real,
            lead_behaviors,
            lead_sessions,
            behavior_index: Tensor::from_data(TensorData::new(ids, [b, s, l, f]), device),
            behavior_value: Tensor::from_data(
                TensorData::new(floats(|v| &v.behavior_value), [b, s, l, f]),
                device,
            ),
            behavior_mask: Tensor::from_data(
                TensorData::new(floats(|v| &v.behavior_mask), [b, s, l]),
                device,
            ),
            delta_t: Tensor::from_data(TensorData::new(floats(|v| &v.delta_t), [b, s, l]), device),
            week: Tensor::from_data(TensorData::new(ints(|v| &v.week), [b, s, l]), device),
            month: Tensor::from_data(TensorData::new(ints(|v| &v.month), [b, s, l]), device),
            session_mask: Tensor::from_data(
                TensorData::new(floats(|v| &v.session_mask), [b, s]),
                device,
            ),
        }
    }
}

impl Batch {
    /// Stack sessions encoded by the same encoder. `items` must not be empty.
    pub fn new(items: &[&EncodedSession], device: &Device) -> Self {
        let b = items.len();
        let t = items[0].event_mask.len();
        let f = items[0].event_index.len() / t.max(1);
        let p = items[0].profile_index.len();
        // widened to the tensors' integers
        let cat_i = |get: fn(&EncodedSession) -> &Vec<FeatureId>| -> Vec<i64> {
            items
                .iter()
                .flat_map(|s| get(s).iter().map(|&i| i64::from(i)))
                .collect()
        };
        let cat_f = |get: fn(&EncodedSession) -> &Vec<f32>| -> Vec<f32> {
            items.iter().flat_map(|s| get(s).iter().copied()).collect()
        };
        let labels: Vec<f32> = items
            .iter()
            .map(|s| if s.label == Some(true) { 1.0 } else { 0.0 })
            .collect();
        Self {
            event_index: Tensor::from_data(
                TensorData::new(cat_i(|s| &s.event_index), [b, t, f]),
                device,
            ),
            event_value: Tensor::from_data(
                TensorData::new(cat_f(|s| &s.event_value), [b, t, f]),
                device,
            ),
            event_mask: Tensor::from_data(
                TensorData::new(cat_f(|s| &s.event_mask), [b, t]),
                device,
            ),
            profile_index: Tensor::from_data(
                TensorData::new(cat_i(|s| &s.profile_index), [b, p]),
                device,
            ),
            profile_value: Tensor::from_data(
                TensorData::new(cat_f(|s| &s.profile_value), [b, p]),
                device,
            ),
            labels: Tensor::from_data(TensorData::new(labels, [b]), device),
            padding: Padding::of_masks(items.iter().map(|s| s.event_mask.as_slice()), t),
            host: items.iter().map(|s| (*s).clone()).collect(),
            sessions: items
                .iter()
                .map(|s| s.sessions.as_ref())
                .collect::<Option<Vec<_>>>()
                .map(|views| SessionBatch::new(&views, device)),
            folds: items
                .iter()
                .map(|s| s.folds.as_ref())
                .collect::<Option<Vec<_>>>()
                .map(|views| FoldBatch::new(&views, device)),
        }
    }

    /// Every feature of each session as one flat set, `([B, N], [B, N])` indices and values
    /// with `N = T·F + P`: the event slots in time order, then the profile slots. What the wide
    /// part and the feature-interaction baselines read ("all the features of the user's
    /// events", DIFM §4.2).
    pub fn flat_features(&self) -> (Tensor<2, Int>, Tensor<2>) {
        self.recent_flat_features(self.event_index.dims()[1])
    }

    /// [`Batch::flat_features`] of the most recent `events` events (all when there are fewer)
    /// and the profile: `N = min(events, T)·F + P` slots.
    pub fn recent_flat_features(&self, events: usize) -> (Tensor<2, Int>, Tensor<2>) {
        let [b, t_all, f] = self.event_index.dims();
        let t = events.min(t_all);
        let index = Tensor::cat(
            vec![
                self.event_index
                    .clone()
                    .narrow(1, t_all - t, t)
                    .reshape([b, t * f]),
                self.profile_index.clone(),
            ],
            1,
        );
        let value = Tensor::cat(
            vec![
                self.event_value
                    .clone()
                    .narrow(1, t_all - t, t)
                    .reshape([b, t * f]),
                self.profile_value.clone(),
            ],
            1,
        );
        (index, value)
    }
}

#[cfg(test)]
mod tests {
    use super::Padding;

    #[test]
    fn padding_of_right_aligned_masks() {
        let masks: [&[f32]; 3] = [&[0., 0., 1., 1.], &[0., 1., 1., 1.], &[0., 0., 0., 1.]];
        let p = Padding::of_masks(masks.into_iter(), 4);
        assert_eq!(
            p,
            Padding {
                all_padding: 1,
                all_real: 3
            }
        );
        assert_eq!(
            p.narrow(2),
            Padding {
                all_padding: 1,
                all_real: 2
            }
        );
        let full: [&[f32]; 1] = [&[1., 1.]];
        assert_eq!(
            Padding::of_masks(full.into_iter(), 2),
            Padding {
                all_padding: 0,
                all_real: 0
            }
        );
        let empty: [&[f32]; 1] = [&[0., 0.]];
        assert_eq!(
            Padding::of_masks(empty.into_iter(), 2),
            Padding {
                all_padding: 2,
                all_real: 2
            }
        );
    }
}

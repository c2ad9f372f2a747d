//! Stacking encoded sessions into tensors on a device.

use super::EncodedSession;
use burn::prelude::*;

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
}

impl Batch {
    /// Stack sessions encoded by the same encoder. `items` must not be empty.
    pub fn new(items: &[&EncodedSession], device: &Device) -> Self {
        let b = items.len();
        let t = items[0].event_mask.len();
        let f = items[0].event_index.len() / t.max(1);
        let p = items[0].profile_index.len();
        let cat_i = |get: fn(&EncodedSession) -> &Vec<i64>| -> Vec<i64> {
            items.iter().flat_map(|s| get(s).iter().copied()).collect()
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
        }
    }
}

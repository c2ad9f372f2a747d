//! The "wide" part of NHFM Eq. (5) and DIFM Eq. (12): a linear model over every feature of every
//! event and of the session profile, and optionally over the session's aggregates
//! ([`SessionAggregates`], a departure from the papers).

use super::{SessionAggregates, SessionAggregatesConfig};
use crate::encode::Batch;
use crate::models::baselines::Aggregates;
use burn::module::Param;
use burn::nn::{Embedding, EmbeddingConfig, Initializer};
use burn::prelude::*;

/// Configuration of [`Wide`].
#[derive(Config, Debug)]
pub struct WideConfig {
    /// `n`: size of the feature dictionary.
    pub num_features: usize,
    /// The session's aggregates also weighed (`None`: the papers' wide part).
    #[config(default = "None")]
    pub aggregates: Option<Aggregates>,
}

impl WideConfig {
    /// Build the module (all weights start at 0).
    pub fn init(&self, device: &Device) -> Wide {
        Wide {
            weights: EmbeddingConfig::new(self.num_features, 1)
                .with_initializer(Initializer::Zeros)
                .init(device),
            bias: Param::from_tensor(Tensor::zeros([1], device)),
            aggregates: self
                .aggregates
                .as_ref()
                .map(|a| SessionAggregatesConfig::new(a.clone()).init(device)),
        }
    }
}

/// `f(x) = Σ_t Σ_i w_i x_i^t + Σ_j w_j x_j^profile + w_0`, plus `uᵀ BN(g(a)) + u_0` of the
/// session's aggregates `a` when configured.
#[derive(Module, Debug)]
pub struct Wide {
    /// `w_i`, one per feature of the dictionary.
    pub weights: Embedding,
    /// `w_0`.
    pub bias: Param<Tensor<1>>,
    /// The aggregates' term (absent in the papers' form).
    pub aggregates: Option<SessionAggregates>,
}

impl Wide {
    /// `index`/`value`: `[B, N]` flattened feature slots → `[B]`.
    pub fn forward(&self, index: Tensor<2, Int>, value: Tensor<2>) -> Tensor<1> {
        let w = self.weights.forward(index).squeeze_dim::<2>(2);
        (w * value).sum_dim(1).squeeze_dim::<1>(1) + self.bias.val()
    }

    /// `f(x)` of a batch: every event slot and every profile slot (and the aggregates' term),
    /// `[B]`.
    pub fn forward_batch(&self, batch: &Batch) -> Tensor<1> {
        let (index, value) = batch.flat_features();
        let linear = self.forward(index, value);
        match &self.aggregates {
            Some(term) => linear + term.forward(batch),
            None => linear,
        }
    }

    /// The wide part read as NHFM's and DIFM's Table 3 reads it: the `k` features with the
    /// largest weights `w_i` (high risk: each raises the logit whenever it is present) and the
    /// `k` with the smallest (low risk), each named from `names` (the encoder's
    /// [`feature_names`](crate::encode::Encoder::feature_names)). Features that training never
    /// moved from 0 (padding, values never seen) are left out.
    pub fn extremes(&self, names: &[String], k: usize) -> WideExtremes {
        WideExtremes::of(
            self.named(names).map(|(_, n, w)| (n.clone(), w)).collect(),
            k,
        )
    }

    /// [`Wide::extremes`] within each field, fields in dictionary order: DIFM's Table 3 reads
    /// the four highest and four lowest weights of each of four fields. `fields` is each
    /// entry's field ([`crate::encode::Encoder::feature_fields`]); entries of no field are
    /// left out.
    pub fn extremes_by_field(
        &self,
        names: &[String],
        fields: &[Option<String>],
        k: usize,
    ) -> Vec<(String, WideExtremes)> {
        let mut grouped: Vec<(String, Vec<(String, f32)>)> = Vec::new();
        for (i, name, w) in self.named(names) {
            let Some(Some(field)) = fields.get(i) else {
                continue;
            };
            match grouped.last_mut() {
                Some((f, values)) if f == field => values.push((name.clone(), w)),
                _ => grouped.push((field.clone(), vec![(name.clone(), w)])),
            }
        }
        grouped
            .into_iter()
            .map(|(f, values)| (f, WideExtremes::of(values, k)))
            .collect()
    }

    /// Each dictionary entry's index, name and weight `w_i`, in order, leaving out the entries
    /// training never moved from 0 (padding) and any that is not finite.
    fn named<'a>(&self, names: &'a [String]) -> impl Iterator<Item = (usize, &'a String, f32)> {
        let weights = self
            .weights
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        names
            .iter()
            .zip(weights)
            .enumerate()
            .filter(|(_, (_, w))| *w != 0.0 && w.is_finite())
            .map(|(i, (n, w))| (i, n, w))
    }
}

/// The features a wide part weighs most for and against risk ([`Wide::extremes`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WideExtremes {
    /// The largest weights, largest first.
    pub high: Vec<(String, f32)>,
    /// The smallest weights, smallest first.
    pub low: Vec<(String, f32)>,
}

impl WideExtremes {
    /// The `k` largest and `k` smallest of `named` (ties by name).
    fn of(mut named: Vec<(String, f32)>, k: usize) -> Self {
        named.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let low = named.iter().rev().take(k).cloned().collect();
        named.truncate(k);
        Self { high: named, low }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_sum_by_hand() {
        let device = Device::flex();
        let mut wide = WideConfig::new(3).init(&device);
        wide.weights.weight =
            Param::from_tensor(Tensor::from_data([[0.0], [2.0], [-1.0]], &device));
        wide.bias = Param::from_tensor(Tensor::from_data([0.5], &device));
        let idx = Tensor::<2, Int>::from_data([[1, 2, 0], [2, 2, 1]], &device);
        let val = Tensor::<2>::from_data([[1.0, 3.0, 0.0], [1.0, 1.0, 0.25]], &device);
        let out = wide
            .forward(idx, val)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(out, vec![2.0 - 3.0 + 0.5, -2.0 + 0.5 + 0.5]);
    }

    /// Weights 0 (padding), 2, −1, 0.5, 0 (never trained), 3: the two highest are 3 and 2,
    /// the two lowest −1 and 0.5; the untrained ones are in neither list.
    #[test]
    fn extremes_name_the_highest_and_lowest_weights() {
        let device = Device::flex();
        let mut wide = WideConfig::new(6).init(&device);
        wide.weights.weight = Param::from_tensor(Tensor::from_data(
            [[0.0], [2.0], [-1.0], [0.5], [0.0], [3.0]],
            &device,
        ));
        let names: Vec<String> = ["<pad>", "a=x", "a=y", "b", "a=<pad>", "c=z"]
            .map(String::from)
            .to_vec();
        let e = wide.extremes(&names, 2);
        fn pairs(v: &[(String, f32)]) -> Vec<(&str, f32)> {
            v.iter().map(|(n, w)| (n.as_str(), *w)).collect()
        }
        assert_eq!(pairs(&e.high), [("c=z", 3.0), ("a=x", 2.0)]);
        assert_eq!(pairs(&e.low), [("a=y", -1.0), ("b", 0.5)]);
        assert_eq!(wide.extremes(&names, 9).high.len(), 4);
        // within each field: a's two values, b alone, c's one; <pad>'s entry has no field
        let fields = [None, Some("a"), Some("a"), Some("b"), Some("a"), Some("c")]
            .map(|f| f.map(String::from));
        let by = wide.extremes_by_field(&names, &fields, 1);
        type Row<'a> = (&'a str, Vec<(&'a str, f32)>, Vec<(&'a str, f32)>);
        let shown: Vec<Row> = by
            .iter()
            .map(|(f, e)| (f.as_str(), pairs(&e.high), pairs(&e.low)))
            .collect();
        assert_eq!(
            shown,
            [
                ("a", vec![("a=x", 2.0)], vec![("a=y", -1.0)]),
                ("b", vec![("b", 0.5)], vec![("b", 0.5)]),
                ("c", vec![("c=z", 3.0)], vec![("c=z", 3.0)]),
            ]
        );
    }
}

//! The session's aggregates — the GBDT baseline's features ([`Aggregates`]: event count, the
//! most frequent values' counts, the current value's rank and recurrence, each numeric field's
//! mean, minimum, maximum and current value) — as one more term of NHFM's and DIFM's wide part.
//!
//! This is a departure from both papers, whose wide part `f(x) = Σ_t Σ_i w_i x_i^t + w_0`
//! (NHFM Eq. 5, DIFM Eq. 12) weighs a feature the same in every event, so it cannot tell "the
//! user's average rating" or "how often this card paid here before" from the features
//! themselves. Wide & Deep (Cheng et al. 2016), whose wide part both papers cite, feeds it
//! hand-made features; risk teams feed their models such aggregates as a matter of course.
//! Here they come from the encoding every runtime shares, so scores stay the same natively and
//! in wasm. Off under the paper preset (`aggregates = false`). Measured against a term in the
//! MLP's input instead (`docs/benchmarks/movielens-tuned.md`), the linear term generalised
//! better.
//!
//! The term is `uᵀ BN(g(a)) + u_0`: each aggregate `a` enters as `g(a) = sign(a)·ln(1 + |a|)`
//! (counts and frequency ranks span orders of magnitude), 0 where the session lacks it (NaN in
//! [`Aggregates::features`]), batch-normalised (Ioffe & Szegedy 2015: batch statistics while
//! training, the running ones — stored in the artifact — when scoring), then weighed by `u`.

use crate::encode::Batch;
use crate::models::baselines::Aggregates;
use burn::module::RunningState;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::prelude::*;

/// The fixed ids of the batch normalisation's running mean and variance (see
/// [`SessionAggregatesConfig::init`]).
const RUNNING_MEAN_ID: u64 = 0x5e55_a66e_0000_0001;
const RUNNING_VAR_ID: u64 = 0x5e55_a66e_0000_0002;

/// Configuration of [`SessionAggregates`].
#[derive(Config, Debug)]
pub struct SessionAggregatesConfig {
    /// Which aggregates are read (fixed by the encoder).
    pub aggregates: Aggregates,
}

impl SessionAggregatesConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> SessionAggregates {
        let width = self.aggregates.len();
        let mut norm = BatchNormConfig::new(width).init(device);
        // records store each tensor's id, and burn 0.22.1 keeps the id a running state got at
        // `init` when it loads a record (`RunningState::map`): with random ids, a reloaded
        // model would re-export other bytes than it was loaded from
        norm.running_mean =
            RunningState::with_id(RUNNING_MEAN_ID.into(), Tensor::zeros([width], device));
        norm.running_var =
            RunningState::with_id(RUNNING_VAR_ID.into(), Tensor::ones([width], device));
        SessionAggregates {
            norm,
            weights: LinearConfig::new(width, 1).init(device),
            aggregates: self.aggregates.clone(),
        }
    }
}

/// `uᵀ BN(g(a)) + u_0` of each session's aggregates `a`, `[B]`.
#[derive(Module, Debug)]
pub struct SessionAggregates {
    /// Which aggregates are read.
    #[module(skip)]
    pub aggregates: Aggregates,
    /// The batch normalisation of `g(a)`.
    pub norm: BatchNorm,
    /// `u` and `u_0`.
    pub weights: Linear,
}

/// `g(a) = sign(a)·ln(1 + |a|)`, 0 for a missing (NaN) aggregate.
pub fn squash(a: f64) -> f32 {
    if a.is_nan() {
        0.0
    } else {
        (a.signum() * a.abs().ln_1p()) as f32
    }
}

impl SessionAggregates {
    /// `g(a)` of each session of the batch, `[B, A]`.
    pub fn squashed(&self, batch: &Batch) -> Tensor<2> {
        let values: Vec<f32> = batch
            .host
            .iter()
            .flat_map(|s| self.aggregates.features(s))
            .map(squash)
            .collect();
        let shape = [batch.host.len(), self.aggregates.len()];
        Tensor::from_data(TensorData::new(values, shape), &batch.labels.device())
    }

    /// `uᵀ BN(g(a)) + u_0`, `[B]`.
    pub fn forward(&self, batch: &Batch) -> Tensor<1> {
        let normalised = self.norm.forward(self.squashed(batch));
        self.weights.forward(normalised).squeeze_dim::<1>(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::test_sessions::{batch, encoder};
    use burn::module::Param;

    #[test]
    fn squash_by_hand() {
        let e1 = std::f64::consts::E - 1.0;
        assert_eq!(squash(0.0), 0.0);
        assert_eq!(squash(f64::NAN), 0.0);
        assert!((squash(e1) - 1.0).abs() < 1e-6);
        assert!((squash(-e1) + 1.0).abs() < 1e-6);
    }

    /// The term reads the GBDT's aggregates of the same sessions: with `u` = 1 on aggregate
    /// `j` only, `u_0` = 0.5 and untrained, scoring-mode batch normalisation (running mean 0,
    /// variance 1, γ 1, β 0), it is `g(a_j)/sqrt(1 + ε) + 0.5` for every session.
    #[test]
    fn weighs_the_gbdt_aggregates_of_each_session() {
        let (enc, sessions) = encoder(8);
        let aggregates = Aggregates::of(&enc);
        let device = Device::flex();
        let mut module = SessionAggregatesConfig::new(aggregates.clone()).init(&device);
        let b = batch(&enc, &sessions);
        // the event count: different across the sessions
        let j = 0;
        let mut u = vec![0.0f32; aggregates.len()];
        u[j] = 1.0;
        module.weights.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(u, [aggregates.len(), 1]),
            &device,
        ));
        module.weights.bias = Some(Param::from_tensor(Tensor::from_data([0.5], &device)));
        let out = module.forward(&b).into_data().try_to_vec::<f32>().unwrap();
        let scale = (1.0 + 1e-5f32).sqrt().recip();
        let expected: Vec<f32> = b
            .host
            .iter()
            .map(|s| squash(aggregates.features(s)[j]) * scale + 0.5)
            .collect();
        assert_eq!(out.len(), sessions.len());
        assert!(expected.windows(2).any(|w| w[0] != w[1]), "{expected:?}");
        for (x, y) in out.iter().zip(&expected) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }
}

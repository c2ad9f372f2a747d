//! What folding buys in cost (LBSF §I): the time and peak memory of one batch as a user's
//! history grows, LBSF (folded by merchant, `M` merchants × up to `P` payments) next to the flat
//! Transformer over the whole history unfolded (`N` = the history's length), both with LBSF's
//! payment encoding and sizes. Per history length and model: the median time of a training
//! step (forward, loss, backward) and of a forward pass, and the peak heap memory of a training
//! step (counted by the binary's allocator, [`crate::allocator::CountingAlloc`]).
//!
//! The flat Transformer's attention grows as `N²`; a run whose attention weights alone would
//! pass `memory_budget` is not started and reported as skipped, with the estimate.

use crate::allocator::CountingAlloc;
use anyhow::{Result, bail};
use burn::prelude::*;
use seqrisk_core::encode::{Batch, EncodedSession, Encoder};
use seqrisk_core::models::{ModelConfig, ModelSpec};
use seqrisk_core::schema::{Schema, Session};
use seqrisk_core::synth::payments::{PaymentsConfig, generate_payments};
use seqrisk_native::train::bce_with_logits;
use serde::Serialize;
use std::time::Instant;

/// Most events a schema reads (`max_events`), so the longest history the flat model can take.
const MAX_FLAT: usize = 4096;

/// Settings of the scaling benchmark.
#[derive(Debug, Clone)]
pub struct FoldingOptions {
    /// History lengths (payments per user).
    pub lengths: Vec<usize>,
    /// Users per batch.
    pub batch: usize,
    /// Timed repetitions per point (after one warm-up).
    pub reps: usize,
    /// Skip a flat run whose attention weights alone would need more bytes than this.
    pub memory_budget: u64,
    /// Seed of the generated users and the models.
    pub seed: u64,
}

/// One model at one history length.
#[derive(Debug, Clone, Serialize)]
pub struct FoldingPoint {
    /// `lbsf` or `flat-transformer`.
    pub model: String,
    /// Payments per user.
    pub payments: usize,
    /// Payment slots the model reads per user (LBSF: merchants × their kept payments; flat:
    /// the history).
    pub slots_per_user: f64,
    /// Median milliseconds of a training step on one batch.
    pub train_ms: Option<f64>,
    /// Median milliseconds of a forward pass on one batch (no gradients).
    pub infer_ms: Option<f64>,
    /// Peak heap bytes above the starting point during a training step (None when the binary
    /// does not count allocations).
    pub peak_bytes: Option<u64>,
    /// Why the point was not measured.
    pub skipped: Option<String>,
}

/// `batch` users of exactly `length` payments each (their most recent ones).
fn users(length: usize, batch: usize, seed: u64) -> Vec<Session> {
    let mut users = generate_payments(PaymentsConfig {
        users: batch,
        seed,
        // the generator clamps to 100 … 5,000 payments; ask for more than needed and cut
        median_payments: (length * 4) as f64,
        ..Default::default()
    });
    for u in &mut users {
        let cut = u.events.len().saturating_sub(length);
        u.events.drain(..cut);
    }
    users
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// One untimed call of `f`, then `reps` timed ones: the median milliseconds, and the peak heap
/// growth over the timed calls when the binary's counting allocator ([`CountingAlloc`]) is
/// installed (`None` otherwise).
pub fn timed(reps: usize, f: impl Fn()) -> (f64, Option<u64>) {
    f();
    let counted = CountingAlloc.current_usage() > 0;
    let base = CountingAlloc.current_usage();
    CountingAlloc.reset_peak_usage();
    let ms: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let peak = CountingAlloc.peak_usage().saturating_sub(base) as u64;
    (median(ms), counted.then_some(peak))
}

/// Run the benchmark.
pub fn folding_cost(opts: &FoldingOptions) -> Result<Vec<FoldingPoint>> {
    if opts.lengths.is_empty() || opts.batch == 0 || opts.reps == 0 {
        bail!("the scaling benchmark needs history lengths, a batch and repetitions");
    }
    if let Some(&l) = opts.lengths.iter().find(|&&l| !(1..=5000).contains(&l)) {
        bail!("history lengths must be between 1 and 5,000 payments, got {l}");
    }
    let mut out = Vec::new();
    for &length in &opts.lengths {
        let sessions = users(length, opts.batch, opts.seed);
        for spec in [ModelSpec::Lbsf, ModelSpec::FlatTransformer] {
            let flat = spec == ModelSpec::FlatTransformer;
            let mut point = FoldingPoint {
                model: spec.name().into(),
                payments: length,
                slots_per_user: 0.0,
                train_ms: None,
                infer_ms: None,
                peak_bytes: None,
                skipped: None,
            };
            // attention weights of the flat model: B × heads × N² floats
            let attention = (opts.batch * 4 * length * length * 4) as u64;
            if flat && attention > opts.memory_budget {
                point.skipped = Some(format!(
                    "attention weights alone {:.1} GiB > budget {:.1} GiB",
                    attention as f64 / (1u64 << 30) as f64,
                    opts.memory_budget as f64 / (1u64 << 30) as f64
                ));
            } else if flat && length > MAX_FLAT {
                point.skipped = Some(format!("a schema reads at most {MAX_FLAT} events"));
            }
            if point.skipped.is_some() {
                eprintln!("{:>16} {length:>5} payments: skipped", spec.name());
                out.push(point);
                continue;
            }
            let mut schema = Schema::payments_default();
            if flat {
                // the flat model reads the whole history
                schema.max_events = length.max(2);
            }
            let refs: Vec<&Session> = sessions.iter().collect();
            let mut encoder = Encoder::fit(&schema, &refs)?;
            encoder.payment_view = spec.payment_view();
            let config = ModelConfig::default_for(spec, &encoder);
            let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
            let slots: usize = encoded
                .iter()
                .flat_map(|e| e.folds.iter().flat_map(|v| v.merchants.iter()))
                .map(|m| m.events.len())
                .sum();
            point.slots_per_user = slots as f64 / opts.batch as f64;
            let items: Vec<&EncodedSession> = encoded.iter().collect();
            let device = Device::flex();
            device.seed(opts.seed);
            let train_device = device.clone().autodiff();
            let model = config.init(&train_device);
            let train_batch = Batch::new(&items, &train_device);
            let step = || {
                let out = model.forward(&train_batch);
                let loss = bce_with_logits(out.logits, train_batch.labels.clone());
                std::hint::black_box(loss.backward());
            };
            let (train_ms, peak) = timed(opts.reps, step);
            let inference = model.valid();
            let infer_batch = Batch::new(&items, &device);
            let (infer_ms, _) = timed(opts.reps, || {
                std::hint::black_box(
                    inference
                        .forward(&infer_batch)
                        .logits
                        .into_data()
                        .try_to_vec::<f32>()
                        .ok(),
                );
            });
            point.train_ms = Some(train_ms);
            point.infer_ms = Some(infer_ms);
            point.peak_bytes = peak;
            eprintln!(
                "{:>16} {length:>5} payments: train {:.0} ms, infer {:.0} ms, peak {}",
                spec.name(),
                point.train_ms.unwrap_or_default(),
                point.infer_ms.unwrap_or_default(),
                point.peak_bytes.map_or("not counted".into(), |b| format!(
                    "{:.0} MiB",
                    b as f64 / (1u64 << 20) as f64
                ))
            );
            out.push(point);
        }
    }
    Ok(out)
}

/// The points as a Markdown table.
pub fn table(points: &[FoldingPoint], batch: usize) -> String {
    let mut s = format!(
        "Cost of one batch of {batch} users as the history grows (medians; peak heap memory of a training step)\n\n| payments | model | slots/user | train step (ms) | forward (ms) | peak memory (MiB) |\n|---:|---|---:|---:|---:|---:|\n"
    );
    for p in points {
        let ms = |x: Option<f64>| x.map_or("—".into(), |v| format!("{v:.0}"));
        let mem = p.peak_bytes.map_or("—".into(), |b| {
            format!("{:.0}", b as f64 / (1u64 << 20) as f64)
        });
        let note = p
            .skipped
            .as_deref()
            .map(|w| format!(" (skipped: {w})"))
            .unwrap_or_default();
        s.push_str(&format!(
            "| {} | {}{note} | {:.0} | {} | {} | {} |\n",
            p.payments,
            p.model,
            p.slots_per_user,
            ms(p.train_ms),
            ms(p.infer_ms),
            mem
        ));
    }
    s
}

//! `seqrisk-bench models`: how fast seqrisk trains and scores NHFM and DIFM, side by side with
//! PyTorch CPU eager (`bench/reference/models.py`) in the same run, on the same encoded
//! sessions and — for the parity check — the same weights.
//!
//! For each model: one initial model (seeded) is trained from scratch at every batch size
//! (Adam with L2, the model's learning rate, as `seqrisk train` does), timing `train_steps`
//! steps after one warm-up step; the model of the last run is then timed scoring at every batch
//! size (`eval` mode, from the encoded sessions to the scores on the host), and its weights are
//! written as safetensors in PyTorch's layout (burn-store's `BurnToPyTorchAdapter`). The
//! PyTorch reference loads those weights, checks its outputs — logits and every explanation
//! weight — against seqrisk's on the same sessions (within [`PARITY_TOLERANCE`]), and runs the
//! same timings from the same initial weights. Both read the sessions cyclically in the same
//! order, so every step of either sees the same batches.
//!
//! The machine's speed drifts (a shared host): figures taken minutes apart differ by 30–50%.
//! So the timings run in rounds, seqrisk at every batch size then PyTorch at every batch size,
//! alternating `rounds` times, and the report gives each figure's median over the rounds next
//! to the range of the per-round ratios.

use crate::folding::timed;
use crate::latency::Latency;
use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::store::{BurnToPyTorchAdapter, ModuleSnapshot, SafetensorsStore};
use seqrisk_core::encode::{Batch, EncodedSession, Encoder, FeatureId};
use seqrisk_core::models::{Model, ModelConfig, ModelSpec};
use seqrisk_core::schema::{Schema, Session};
use seqrisk_core::synth::{SynthConfig, generate_sessions};
use seqrisk_native::files::write_atomic;
use seqrisk_native::train::bce_with_logits;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Largest difference allowed between seqrisk's and PyTorch's outputs on the same weights.
pub const PARITY_TOLERANCE: f64 = 1e-4;

/// L2 penalty of the Adam runs (`seqrisk train`'s default).
const WEIGHT_DECAY: f32 = 1e-6;

/// Sessions whose outputs the parity check compares.
const PARITY_SESSIONS: usize = 256;

/// Settings of the benchmark.
#[derive(Debug, Clone)]
pub struct ModelBenchOptions {
    /// Models to time (NHFM and DIFM have PyTorch references).
    pub models: Vec<ModelSpec>,
    /// Synthetic sessions generated; every run reads them cyclically.
    pub sessions: usize,
    /// Events per session (`T`, the schema's `max_events`).
    pub events: usize,
    /// Batch sizes.
    pub batches: Vec<usize>,
    /// Sessions trained per timed training run (at least `min_steps` steps).
    pub train_sessions: usize,
    /// Sessions scored per timed inference run (at least `min_steps` calls).
    pub infer_sessions: usize,
    /// Fewest timed steps or calls of a run.
    pub min_steps: usize,
    /// The Python with PyTorch and safetensors (`scripts/bench-models.sh` sets one up).
    pub python: Option<PathBuf>,
    /// Folder for the exchanged weights and sessions.
    pub work_dir: PathBuf,
    /// Seed of the sessions and the initial weights.
    pub seed: u64,
    /// Rounds of timings (seqrisk, then PyTorch), whose medians are reported.
    pub rounds: usize,
}

/// Settings of [`model_scaling`].
#[derive(Debug, Clone)]
pub struct ModelScalingOptions {
    /// Models to measure.
    pub models: Vec<ModelSpec>,
    /// Events per session, at batch `batch`.
    pub lengths: Vec<usize>,
    /// Sessions per batch of the length runs.
    pub batch: usize,
    /// Sessions per batch, at `events` events.
    pub batches: Vec<usize>,
    /// Events per session of the batch runs.
    pub events: usize,
    /// Timed repetitions per point (after one warm-up); medians are reported.
    pub reps: usize,
    /// Seed of the sessions and the models.
    pub seed: u64,
}

/// What a scaling sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sweep {
    /// Events per session, at a fixed batch size.
    Length,
    /// Sessions per batch, at a fixed length.
    Batch,
}

/// One model at one sequence length and batch size.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingPoint {
    /// The model timed.
    pub model: String,
    /// Which sweep the point belongs to.
    pub sweep: Sweep,
    /// Events per session (every session has this many).
    pub events: usize,
    /// Sessions per batch.
    pub batch: usize,
    /// Median time of a training step (forward, loss, backward), milliseconds.
    pub train_ms: f64,
    /// Median time of an inference call (to the scores on the host), milliseconds.
    pub infer_ms: f64,
    /// Peak heap growth during the training steps, bytes (`None`: not counted, see
    /// [`model_scaling`]).
    pub train_peak_bytes: Option<u64>,
    /// Peak heap growth during the inference calls, bytes.
    pub infer_peak_bytes: Option<u64>,
}

impl ModelBenchOptions {
    /// Timed training steps at batch size `b`.
    pub fn train_steps(&self, b: usize) -> usize {
        (self.train_sessions / b).max(self.min_steps)
    }

    /// Timed inference calls at batch size `b`.
    pub fn infer_calls(&self, b: usize) -> usize {
        (self.infer_sessions / b).max(self.min_steps)
    }
}

/// One implementation's figures for one model at one batch size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpeedPoint {
    /// Sessions per batch.
    pub batch: usize,
    /// Training throughput, sessions per second.
    pub train_sessions_per_s: f64,
    /// Inference throughput, sessions per second.
    pub infer_sessions_per_s: f64,
    /// Median time of one inference call, milliseconds.
    pub infer_p50_ms: f64,
    /// 99th percentile of one inference call, milliseconds.
    pub infer_p99_ms: f64,
}

/// What the PyTorch reference reports (`bench/reference/models.py`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferenceReport {
    /// `torch.__version__`.
    pub torch: String,
    /// `torch.get_num_threads()`.
    pub threads: usize,
    /// Largest |PyTorch − seqrisk| per output (logits and each explanation weight).
    pub parity: std::collections::BTreeMap<String, f64>,
    /// Timings per batch size.
    pub points: Vec<SpeedPoint>,
}

/// One round's timings of one model.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// seqrisk's, per batch size.
    pub seqrisk: Vec<SpeedPoint>,
    /// PyTorch's, when a reference was run.
    pub pytorch: Option<Vec<SpeedPoint>>,
}

/// One model's results.
#[derive(Debug, Clone, Serialize)]
pub struct ModelRun {
    /// The model's name (`nhfm`, `difm`).
    pub model: String,
    /// Trainable parameters.
    pub parameters: usize,
    /// seqrisk's timings: each figure's median over the rounds.
    pub seqrisk: Vec<SpeedPoint>,
    /// PyTorch's, when a reference was run: its first round's report (version, threads,
    /// parity) with each figure's median over the rounds.
    pub pytorch: Option<ReferenceReport>,
    /// Every round's timings, in order.
    pub rounds: Vec<Round>,
}

/// Each figure's median over `rounds` (each a list of points, one per batch size, in the same
/// order); for an even count, the mean of the two middle values.
pub fn median_points(rounds: &[Vec<SpeedPoint>]) -> Vec<SpeedPoint> {
    let median = |figure: &dyn Fn(&SpeedPoint) -> f64, i: usize| {
        let mut v: Vec<f64> = rounds.iter().map(|r| figure(&r[i])).collect();
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        if v.len() % 2 == 1 {
            v[m]
        } else {
            (v[m - 1] + v[m]) / 2.0
        }
    };
    let first = rounds.first().map_or(&[][..], Vec::as_slice);
    first
        .iter()
        .enumerate()
        .map(|(i, p)| SpeedPoint {
            batch: p.batch,
            train_sessions_per_s: median(&|p| p.train_sessions_per_s, i),
            infer_sessions_per_s: median(&|p| p.infer_sessions_per_s, i),
            infer_p50_ms: median(&|p| p.infer_p50_ms, i),
            infer_p99_ms: median(&|p| p.infer_p99_ms, i),
        })
        .collect()
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct ModelBenchReport {
    /// Sessions in the data.
    pub sessions: usize,
    /// Events per session.
    pub events: usize,
    /// Feature slots per event.
    pub fields: usize,
    /// Threads of the CPU (`available_parallelism`).
    pub cpu_threads: usize,
    /// Each model's timings.
    pub runs: Vec<ModelRun>,
}

/// What the reference is told (written as JSON next to the safetensors files).
#[derive(Debug, Serialize)]
struct ReferenceJob<'a> {
    model: &'a str,
    config: &'a ModelConfig,
    data: &'a Path,
    initial_weights: &'a Path,
    trained_weights: &'a Path,
    native_outputs: &'a Path,
    parity_sessions: usize,
    learning_rate: f64,
    weight_decay: f32,
    batches: Vec<(usize, usize, usize)>,
    seed: u64,
}

/// Run the benchmark.
pub fn model_bench(opts: &ModelBenchOptions) -> Result<ModelBenchReport> {
    if opts.rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    if let Some(b) = opts.batches.iter().find(|&&b| b == 0 || b > opts.sessions) {
        bail!(
            "batch size {b} must be between 1 and the number of sessions ({})",
            opts.sessions
        );
    }
    let mut schema = Schema::synthetic_default();
    schema.max_events = opts.events;
    let sessions: Vec<_> = generate_sessions(SynthConfig {
        sessions: opts.sessions,
        seed: opts.seed,
        ..SynthConfig::default()
    });
    let refs: Vec<_> = sessions.iter().collect();
    let encoder = Encoder::fit(&schema, &refs)?;
    let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    std::fs::create_dir_all(&opts.work_dir)
        .with_context(|| format!("cannot create {}", opts.work_dir.display()))?;
    let data_path = opts.work_dir.join("sessions.safetensors");
    write_atomic(&data_path, &sessions_safetensors(&encoded)?)?;
    let fields = encoded[0].event_index.len() / opts.events;

    let mut runs = Vec::new();
    for &spec in &opts.models {
        if !matches!(spec, ModelSpec::Nhfm(_) | ModelSpec::Difm(_)) {
            bail!(
                "bench models times NHFM and DIFM (the models with a PyTorch reference), not {spec}"
            );
        }
        let name = spec.name();
        let config = ModelConfig::default_for(spec, &encoder);
        let device = Device::flex().autodiff();
        device.seed(opts.seed);
        let initial = config.init(&device);
        let initial_path = opts.work_dir.join(format!("{name}-initial.safetensors"));
        write_atomic(&initial_path, &weights_safetensors(&initial)?)?;

        let trained_path = opts.work_dir.join(format!("{name}-trained.safetensors"));
        let outputs_path = opts.work_dir.join(format!("{name}-outputs.safetensors"));
        // the same job every round (the trained weights are those of round 1)
        let job = ReferenceJob {
            model: name,
            config: &config,
            data: &data_path,
            initial_weights: &initial_path,
            trained_weights: &trained_path,
            native_outputs: &outputs_path,
            parity_sessions: PARITY_SESSIONS.min(encoded.len()),
            learning_rate: spec.learning_rate(),
            weight_decay: WEIGHT_DECAY,
            batches: opts
                .batches
                .iter()
                .map(|&b| (b, opts.train_steps(b), opts.infer_calls(b)))
                .collect(),
            seed: opts.seed,
        };
        let mut rounds = Vec::with_capacity(opts.rounds);
        // the first round's report: PyTorch's version, threads and parity
        let mut first_report: Option<ReferenceReport> = None;
        let mut parameters = 0;
        for round in 1..=opts.rounds {
            let mut points = Vec::new();
            let mut trained = initial.clone();
            for &b in &opts.batches {
                eprintln!(
                    "round {round}/{}: seqrisk {name}: training at batch {b}",
                    opts.rounds
                );
                let (rate, model) = train_speed(&initial, spec, &encoded, b, opts.train_steps(b));
                trained = model;
                points.push((b, rate));
            }
            let trained = trained.valid();
            parameters = trained.num_params();
            if round == 1 {
                // the parity check reads the first round's model
                write_atomic(&trained_path, &weights_safetensors(&trained)?)?;
                let parity_sessions = &encoded[..PARITY_SESSIONS.min(encoded.len())];
                write_atomic(
                    &outputs_path,
                    &outputs_safetensors(&trained, parity_sessions)?,
                )?;
            }
            let seqrisk: Vec<SpeedPoint> = points
                .into_iter()
                .map(|(b, train_rate)| {
                    eprintln!(
                        "round {round}/{}: seqrisk {name}: scoring at batch {b}",
                        opts.rounds
                    );
                    let latency = infer_speed(&trained, &encoded, b, opts.infer_calls(b));
                    SpeedPoint {
                        batch: b,
                        train_sessions_per_s: train_rate,
                        infer_sessions_per_s: b as f64 / (latency.mean_ms / 1e3),
                        infer_p50_ms: latency.p50_ms,
                        infer_p99_ms: latency.p99_ms,
                    }
                })
                .collect();
            let pytorch = match &opts.python {
                Some(python) => {
                    eprintln!("round {round}/{}: PyTorch {name}", opts.rounds);
                    let report = run_reference(python, &job, &opts.work_dir)?;
                    let points = report.points.clone();
                    first_report.get_or_insert(report);
                    Some(points)
                }
                None => None,
            };
            rounds.push(Round { seqrisk, pytorch });
        }
        let seqrisk_rounds: Vec<Vec<SpeedPoint>> =
            rounds.iter().map(|r| r.seqrisk.clone()).collect();
        let pytorch_rounds: Vec<Vec<SpeedPoint>> =
            rounds.iter().filter_map(|r| r.pytorch.clone()).collect();
        let pytorch = first_report.map(|first| ReferenceReport {
            points: median_points(&pytorch_rounds),
            ..first
        });
        runs.push(ModelRun {
            model: name.to_string(),
            parameters,
            seqrisk: median_points(&seqrisk_rounds),
            pytorch,
            rounds,
        });
    }
    Ok(ModelBenchReport {
        sessions: opts.sessions,
        events: opts.events,
        fields,
        cpu_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        runs,
    })
}

/// How training time, inference time and memory grow with the sequence length (every session
/// exactly `length` events: consecutive synthetic sessions of one seed joined end to end, each
/// a minute after the last) and with the batch size. Memory is the growth of the heap over its
/// size before the timed repetitions, as the binary's counting allocator
/// ([`crate::allocator::CountingAlloc`]) sees it; without that allocator (a library user's
/// binary) it is `None`.
pub fn model_scaling(opts: &ModelScalingOptions) -> Result<Vec<ScalingPoint>> {
    let base: Vec<Session> = generate_sessions(SynthConfig {
        sessions: 4096,
        seed: opts.seed,
        ..SynthConfig::default()
    });
    let mut runs: Vec<(Sweep, usize, usize)> = opts
        .lengths
        .iter()
        .map(|&l| (Sweep::Length, l, opts.batch))
        .collect();
    runs.extend(opts.batches.iter().map(|&b| (Sweep::Batch, opts.events, b)));
    let mut points = Vec::new();
    for &spec in &opts.models {
        for &(sweep, events, batch) in &runs {
            if events < 2 || batch == 0 {
                bail!(
                    "a scaling run needs at least 2 events and 1 session, not {events} and {batch}"
                );
            }
            let sessions = joined_sessions(&base, events, batch);
            eprintln!("{}: {events} events, batch {batch}", spec.name());
            points.push(measure(
                spec,
                sweep,
                &sessions,
                events,
                opts.reps.max(1),
                opts.seed,
            )?);
        }
    }
    Ok(points)
}

/// The scaling points as a Markdown table.
pub fn scaling_markdown(points: &[ScalingPoint]) -> String {
    let mib = |b: Option<u64>| b.map_or("–".into(), |b| format!("{:.1}", b as f64 / 1048576.0));
    let mut md = String::from(
        "| model | events | batch | training step ms | inference ms | training peak MiB | inference peak MiB |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for p in points {
        md.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.2} | {} | {} |\n",
            p.model.to_uppercase(),
            p.events,
            p.batch,
            p.train_ms,
            p.infer_ms,
            mib(p.train_peak_bytes),
            mib(p.infer_peak_bytes)
        ));
    }
    md
}

/// `count` sessions of exactly `length` events, each joining consecutive sessions of `base`.
fn joined_sessions(base: &[Session], length: usize, count: usize) -> Vec<Session> {
    let mut next = 0;
    (0..count)
        .map(|i| {
            let mut joined = base[next % base.len()].clone();
            joined.id = format!("joined-{i}");
            joined.events.clear();
            while joined.events.len() < length {
                let part = &base[next % base.len()];
                next += 1;
                let shift = match (joined.events.last(), part.events.first()) {
                    (Some(last), Some(first)) => last.ts + 60.0 - first.ts,
                    _ => 0.0,
                };
                joined.events.extend(part.events.iter().map(|e| {
                    let mut e = e.clone();
                    e.ts += shift;
                    e
                }));
            }
            joined.events.truncate(length);
            joined
        })
        .collect()
}

/// One scaling point: the batch of all `sessions`.
fn measure(
    spec: ModelSpec,
    sweep: Sweep,
    sessions: &[Session],
    events: usize,
    reps: usize,
    seed: u64,
) -> Result<ScalingPoint> {
    let mut schema = Schema::synthetic_default();
    schema.max_events = events;
    let refs: Vec<&Session> = sessions.iter().collect();
    let encoder = Encoder::fit(&schema, &refs)?;
    let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    let items: Vec<&EncodedSession> = encoded.iter().collect();
    let device = Device::flex();
    device.seed(seed);
    let train_device = device.clone().autodiff();
    let model = ModelConfig::default_for(spec, &encoder).init(&train_device);
    let step = || {
        let batch = Batch::new(&items, &train_device);
        let loss = bce_with_logits(model.forward(&batch).logits, batch.labels);
        std::hint::black_box(loss.backward());
    };
    let train = timed(reps, step);
    let inference = model.valid();
    let call = || {
        let batch = Batch::new(&items, &device);
        std::hint::black_box(
            burn::tensor::activation::sigmoid(inference.forward(&batch).logits).into_data(),
        );
    };
    let infer = timed(reps, call);
    Ok(ScalingPoint {
        model: spec.name().to_string(),
        sweep,
        events,
        batch: sessions.len(),
        train_ms: train.0,
        infer_ms: infer.0,
        train_peak_bytes: train.1,
        infer_peak_bytes: infer.1,
    })
}

/// The `i`-th batch of `b` sessions, reading `encoded` cyclically.
fn cyclic(encoded: &[EncodedSession], b: usize, i: usize) -> Vec<&EncodedSession> {
    (0..b)
        .map(|j| &encoded[(i * b + j) % encoded.len()])
        .collect()
}

/// Train a copy of `initial` for one warm-up step and `steps` timed steps of `b` sessions:
/// sessions per second, and the trained model.
fn train_speed(
    initial: &Model,
    spec: ModelSpec,
    encoded: &[EncodedSession],
    b: usize,
    steps: usize,
) -> (f64, Model) {
    let device = Device::flex().autodiff();
    let mut model = initial.clone();
    let mut optim = AdamConfig::new()
        .with_weight_decay(Some(WeightDecayConfig::new(WEIGHT_DECAY)))
        .init();
    let lr = spec.learning_rate();
    let mut started = Instant::now();
    for step in 0..=steps {
        if step == 1 {
            started = Instant::now();
        }
        let batch = Batch::new(&cyclic(encoded, b, step), &device);
        let loss = bce_with_logits(model.forward(&batch).logits, batch.labels);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr, model, grads);
    }
    let seconds = started.elapsed().as_secs_f64();
    ((steps * b) as f64 / seconds, model)
}

/// The latency of `calls` inference calls of `b` sessions (after 3 untimed ones), each from the
/// encoded sessions to the scores on the host.
fn infer_speed(model: &Model, encoded: &[EncodedSession], b: usize, calls: usize) -> Latency {
    let device = Device::flex();
    let mut samples = Vec::with_capacity(calls);
    for call in 0..calls + 3 {
        let started = Instant::now();
        let batch = Batch::new(&cyclic(encoded, b, call), &device);
        let scores = burn::tensor::activation::sigmoid(model.forward(&batch).logits).into_data();
        let ms = started.elapsed().as_secs_f64() * 1e3;
        debug_assert_eq!(scores.num_elements(), b);
        if call >= 3 {
            samples.push(ms);
        }
    }
    Latency::of(samples)
}

/// A model's weights as safetensors in PyTorch's layout (linear weights `[out, in]`), named by
/// their paths in the model (`mlp.hidden.weight`, …).
fn weights_safetensors(model: &Model) -> Result<Vec<u8>> {
    let mut store = SafetensorsStore::from_bytes(None).with_to_adapter(BurnToPyTorchAdapter);
    let saved = match model {
        Model::Nhfm(m) => m.save_into(&mut store),
        Model::Difm(m) => m.save_into(&mut store),
        _ => bail!("only NHFM and DIFM weights are exported for the reference"),
    };
    saved.map_err(|e| anyhow::anyhow!("cannot write the weights as safetensors: {e}"))?;
    store
        .get_bytes()
        .map_err(|e| anyhow::anyhow!("cannot write the weights as safetensors: {e}"))
}

/// Owned tensor bytes for `safetensors::serialize`.
struct Raw {
    dtype: safetensors::Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl safetensors::View for &Raw {
    fn dtype(&self) -> safetensors::Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn f32s(shape: Vec<usize>, values: impl IntoIterator<Item = f32>) -> Raw {
    let bytes = values.into_iter().flat_map(f32::to_le_bytes).collect();
    Raw {
        dtype: safetensors::Dtype::F32,
        shape,
        bytes,
    }
}

fn i64s(shape: Vec<usize>, values: impl IntoIterator<Item = i64>) -> Raw {
    let bytes = values.into_iter().flat_map(i64::to_le_bytes).collect();
    Raw {
        dtype: safetensors::Dtype::I64,
        shape,
        bytes,
    }
}

fn serialize(tensors: Vec<(String, Raw)>) -> Result<Vec<u8>> {
    safetensors::serialize(tensors.iter().map(|(n, r)| (n.as_str(), r)), None)
        .context("cannot write safetensors")
}

/// The encoded sessions as the model inputs of [`Batch`], stacked: `event_index` `[N, T, F]`,
/// `event_value`, `event_mask` `[N, T]`, `profile_index` `[N, P]`, `profile_value`, `labels`.
fn sessions_safetensors(encoded: &[EncodedSession]) -> Result<Vec<u8>> {
    let n = encoded.len();
    let t = encoded[0].event_mask.len();
    let f = encoded[0].event_index.len() / t.max(1);
    let p = encoded[0].profile_index.len();
    let cat_i = |get: fn(&EncodedSession) -> &Vec<FeatureId>| {
        encoded
            .iter()
            .flat_map(move |s| get(s).iter().map(|&i| i64::from(i)))
    };
    let cat_f = |get: fn(&EncodedSession) -> &Vec<f32>| {
        encoded.iter().flat_map(move |s| get(s).iter().copied())
    };
    serialize(vec![
        (
            "event_index".into(),
            i64s(vec![n, t, f], cat_i(|s| &s.event_index)),
        ),
        (
            "event_value".into(),
            f32s(vec![n, t, f], cat_f(|s| &s.event_value)),
        ),
        (
            "event_mask".into(),
            f32s(vec![n, t], cat_f(|s| &s.event_mask)),
        ),
        (
            "profile_index".into(),
            i64s(vec![n, p], cat_i(|s| &s.profile_index)),
        ),
        (
            "profile_value".into(),
            f32s(vec![n, p], cat_f(|s| &s.profile_value)),
        ),
        (
            "labels".into(),
            f32s(
                vec![n],
                encoded
                    .iter()
                    .map(|s| f32::from(u8::from(s.label == Some(true)))),
            ),
        ),
    ])
}

/// seqrisk's outputs on `encoded` in one batch: `logits` and every named explanation weight.
fn outputs_safetensors(model: &Model, encoded: &[EncodedSession]) -> Result<Vec<u8>> {
    let items: Vec<&EncodedSession> = encoded.iter().collect();
    let out = model.forward(&Batch::new(&items, &Device::flex()));
    let n = encoded.len();
    let mut tensors = vec![(
        "logits".to_string(),
        f32s(vec![n], host(out.logits.into_data())?),
    )];
    for w in out.event_weights.into_iter().chain(out.field_weights) {
        let shape = w.weights.dims().to_vec();
        tensors.push((
            w.name.to_string(),
            f32s(shape, host(w.weights.into_data())?),
        ));
    }
    serialize(tensors)
}

fn host(data: TensorData) -> Result<Vec<f32>> {
    data.try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("cannot read an output: {e:?}"))
}

/// Run `bench/reference/models.py` on `job` and read its report.
fn run_reference(python: &Path, job: &ReferenceJob, work_dir: &Path) -> Result<ReferenceReport> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/reference/models.py");
    let job_path = work_dir.join(format!("{}-job.json", job.model));
    write_atomic(&job_path, serde_json::to_string_pretty(job)?.as_bytes())?;
    eprintln!("PyTorch {}: parity check and timings", job.model);
    let out = Command::new(python)
        .arg(&script)
        .arg(&job_path)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {} {}", python.display(), script.display()))?;
    if !out.status.success() {
        bail!("the PyTorch reference failed ({})", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let report: ReferenceReport = serde_json::from_str(text.trim())
        .with_context(|| format!("the PyTorch reference printed {text:?}, not its report"))?;
    if let Some((output, diff)) = report
        .parity
        .iter()
        .find(|(_, d)| d.is_nan() || **d > PARITY_TOLERANCE)
    {
        bail!(
            "{}: PyTorch's {output} differs from seqrisk's by {diff:e} on the same weights \
             (tolerance {PARITY_TOLERANCE:e})",
            job.model
        );
    }
    Ok(report)
}

/// The report as Markdown: per model and batch size, both implementations' figures and
/// seqrisk's ratio (× > 1: seqrisk is faster).
pub fn markdown(report: &ModelBenchReport) -> String {
    let mut md = format!(
        "Sessions of {} events ({} feature slots each), {} sessions read cyclically; {} CPU threads. \
         Each figure is the median of {} rounds, seqrisk's and PyTorch's timings alternating; \
         the last two columns give the range of the rounds' own ratios.\n\n",
        report.events,
        report.fields,
        report.sessions,
        report.cpu_threads,
        report.runs.first().map_or(0, |r| r.rounds.len()),
    );
    md.push_str(
        "| model | batch | train sessions/s seqrisk | PyTorch | × | infer sessions/s seqrisk | PyTorch | × | p50 ms seqrisk | PyTorch | p99 ms seqrisk | PyTorch | train × rounds | infer × rounds |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for run in &report.runs {
        // the lowest and highest ratio of one figure over the rounds
        let range = |i: usize, figure: fn(&SpeedPoint) -> f64| {
            let ratios: Vec<f64> = run
                .rounds
                .iter()
                .filter_map(|r| Some(figure(&r.seqrisk[i]) / figure(r.pytorch.as_ref()?.get(i)?)))
                .collect();
            let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if ratios.is_empty() {
                "–".to_string()
            } else {
                format!("{lo:.2}–{hi:.2}")
            }
        };
        for (i, s) in run.seqrisk.iter().enumerate() {
            let p = run.pytorch.as_ref().and_then(|r| r.points.get(i));
            let num = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.0}"));
            let ms = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.3}"));
            let ratio =
                |a: f64, b: Option<f64>| b.map_or("–".into(), |b| format!("{:.2}", a / b));
            md.push_str(&format!(
                "| {} | {} | {:.0} | {} | {} | {:.0} | {} | {} | {:.3} | {} | {:.3} | {} | {} | {} |\n",
                run.model.to_uppercase(),
                s.batch,
                s.train_sessions_per_s,
                num(p.map(|p| p.train_sessions_per_s)),
                ratio(s.train_sessions_per_s, p.map(|p| p.train_sessions_per_s)),
                s.infer_sessions_per_s,
                num(p.map(|p| p.infer_sessions_per_s)),
                ratio(s.infer_sessions_per_s, p.map(|p| p.infer_sessions_per_s)),
                s.infer_p50_ms,
                ms(p.map(|p| p.infer_p50_ms)),
                s.infer_p99_ms,
                ms(p.map(|p| p.infer_p99_ms)),
                range(i, |p| p.train_sessions_per_s),
                range(i, |p| p.infer_sessions_per_s),
            ));
        }
    }
    md.push('\n');
    for run in &report.runs {
        match &run.pytorch {
            Some(r) => {
                let worst = r.parity.values().fold(0f64, |a, &b| a.max(b));
                md.push_str(&format!(
                    "{}: {} parameters; PyTorch {} ({} threads) on seqrisk's weights: largest difference {worst:.1e} over {}.\n",
                    run.model.to_uppercase(),
                    run.parameters,
                    r.torch,
                    r.threads,
                    r.parity.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            None => md.push_str(&format!(
                "{}: {} parameters; no PyTorch reference run (`--python`).\n",
                run.model.to_uppercase(),
                run.parameters
            )),
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::store::PyTorchToBurnAdapter;
    use seqrisk_core::models::difm::DifmConfig;
    use seqrisk_core::models::nhfm::NhfmConfig;

    fn logits(model: &Model, encoded: &[EncodedSession]) -> Vec<f32> {
        let items: Vec<&EncodedSession> = encoded.iter().collect();
        host(
            model
                .forward(&Batch::new(&items, &Device::flex()))
                .logits
                .into_data(),
        )
        .unwrap()
    }

    /// Joined sessions have exactly the asked length, in time order, each part a minute after
    /// the last, so a scaling point's sequences are all real events.
    #[test]
    fn joined_sessions_are_exactly_as_long_as_asked_and_in_time_order() {
        let base = generate_sessions(SynthConfig {
            sessions: 50,
            seed: 5,
            ..SynthConfig::default()
        });
        let longest = base.iter().map(|s| s.events.len()).max().unwrap();
        for length in [2, longest + 1, 5 * longest] {
            let joined = joined_sessions(&base, length, 3);
            assert_eq!(joined.len(), 3);
            for s in &joined {
                assert_eq!(s.events.len(), length);
                assert!(s.events.windows(2).all(|w| w[0].ts <= w[1].ts));
            }
        }
    }

    /// The exported weights are in PyTorch's layout (a linear layer's weight `[out, in]`), and
    /// Each figure's median over three rounds, and over two (the mean of the middle pair), by
    /// hand.
    #[test]
    fn median_of_rounds_takes_each_figure_s_median() {
        let point = |train: f64, infer: f64, p50: f64| SpeedPoint {
            batch: 64,
            train_sessions_per_s: train,
            infer_sessions_per_s: infer,
            infer_p50_ms: p50,
            infer_p99_ms: 2.0 * p50,
        };
        let rounds = vec![
            vec![point(100.0, 9.0, 3.0)],
            vec![point(300.0, 7.0, 1.0)],
            vec![point(200.0, 8.0, 5.0)],
        ];
        let m = median_points(&rounds);
        assert_eq!(m.len(), 1);
        assert_eq!(
            (
                m[0].batch,
                m[0].train_sessions_per_s,
                m[0].infer_sessions_per_s
            ),
            (64, 200.0, 8.0)
        );
        assert_eq!((m[0].infer_p50_ms, m[0].infer_p99_ms), (3.0, 6.0));
        let m = median_points(&rounds[..2]);
        assert_eq!((m[0].train_sessions_per_s, m[0].infer_p50_ms), (200.0, 2.0));
        assert!(median_points(&[]).is_empty());
    }

    /// read back through burn-store's PyTorch adapter into a differently initialised model they
    /// give the same logits: every tensor made the round trip under its own name.
    #[test]
    fn exported_weights_load_back_in_pytorch_layout() {
        let sessions: Vec<_> = generate_sessions(SynthConfig {
            sessions: 64,
            seed: 3,
            ..SynthConfig::default()
        });
        let refs: Vec<_> = sessions.iter().collect();
        let encoder = Encoder::fit(&Schema::synthetic_default(), &refs).unwrap();
        let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
        let n = encoder.num_features();
        let configs = [
            ModelConfig::Nhfm(
                NhfmConfig::new(n)
                    .with_embedding_dim(8)
                    .with_lstm_hidden(6)
                    .with_mlp_hidden(5),
            ),
            ModelConfig::Difm(DifmConfig::new(n).with_embedding_dim(8).with_mlp_hidden(5)),
        ];
        let device = Device::flex();
        for config in configs {
            device.seed(1);
            let exported = config.init(&device);
            device.seed(2);
            let mut fresh = config.init(&device);
            assert_ne!(logits(&exported, &encoded), logits(&fresh, &encoded));

            let bytes = weights_safetensors(&exported).unwrap();
            let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
            let d_mlp = if matches!(config, ModelConfig::Nhfm(_)) {
                8 * 3 + 6
            } else {
                8 * 3
            };
            assert_eq!(
                file.tensor("mlp.hidden.weight").unwrap().shape(),
                [5, d_mlp]
            );

            let mut store =
                SafetensorsStore::from_bytes(Some(bytes)).with_from_adapter(PyTorchToBurnAdapter);
            let applied = match &mut fresh {
                Model::Nhfm(m) => m.load_from(&mut store),
                Model::Difm(m) => m.load_from(&mut store),
                _ => unreachable!(),
            }
            .unwrap();
            assert!(
                applied.errors.is_empty()
                    && applied.missing.is_empty()
                    && applied.unused.is_empty(),
                "{applied:?}"
            );
            assert_eq!(logits(&exported, &encoded), logits(&fresh, &encoded));
        }
    }
}

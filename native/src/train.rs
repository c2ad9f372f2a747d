//! The training loop: split, fit the encoder, train with Adam and early stopping on validation
//! AUC, evaluate on the test split, and package the artifact.

mod early_stopping;
mod weight_average;

use crate::files::write_atomic;
use crate::gbdt::{self, GbdtOptions};
use crate::settings::Settings;
use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use burn::tensor::activation::{log_sigmoid, sigmoid};
use early_stopping::{EarlyStopping, Verdict};
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use seqrisk_core::artifact::{Artifact, Header, TrainingSummary};
use seqrisk_core::calibration::{self, CalibrationMethod, CalibrationSummary, logit};
use seqrisk_core::encode::{
    Batch, EncodedSession, Encoder, MerchantVectors, PaymentView, ValueDropout,
};
use seqrisk_core::explain::{Explanation, PlantedHitRate, TOP_EVENTS, planted_hit_rate};
use seqrisk_core::metrics::{
    CalibrationMetrics, CardPrecision, CardScore, Metrics, RocPoint, SingleFeature, auc,
    best_single_feature, card_precision_at_k, roc_curve,
};
use seqrisk_core::models::baselines::{Aggregates, GbdtConfig, TreeEnsemble};
use seqrisk_core::models::huihen::HuihenVariant;
use seqrisk_core::models::{Model, ModelConfig, ModelOverrides, ModelSpec};
use seqrisk_core::monitor::Reference;
use seqrisk_core::policy::{Target, policy_points, threshold_for};
use seqrisk_core::schema::{Schema, Session};
use seqrisk_core::scorer::score_encoded;
use serde::Serialize;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use weight_average::WeightAverage;

/// Where training runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Backend {
    /// Burn's Flex CPU backend.
    #[default]
    Cpu,
    /// Burn's wgpu backend (build with `--features wgpu`).
    Wgpu,
}

impl Backend {
    /// The inference device of this backend.
    pub fn device(self) -> Result<Device> {
        match self {
            Backend::Cpu => Ok(Device::flex()),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Ok(Device::wgpu(DeviceKind::DefaultDevice)),
            #[cfg(not(feature = "wgpu"))]
            Backend::Wgpu => bail!("this build has no GPU backend; rebuild with `--features wgpu`"),
        }
    }
}

/// How sessions are split into train / validation / test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum SplitMode {
    /// Stratified by label, shuffled with the seed.
    #[default]
    Random,
    /// By time: the sessions whose last event is most recent are the test split, the next most
    /// recent the validation split (the same for every seed).
    Time,
}

/// Decoupled weight decay of the models trained with AdamW (LBSF): PyTorch's default, as the
/// paper gives none.
pub const ADAMW_WEIGHT_DECAY: f32 = 0.01;

/// Training settings; defaults are the papers'.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Which model.
    pub model: ModelSpec,
    /// Maximum epochs.
    pub epochs: usize,
    /// Stop after this many epochs without a better validation AUC.
    pub patience: usize,
    /// A validation AUC must beat the best by more than this to count as better.
    pub min_delta: f64,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Learning rate (None: the model's default, [`ModelSpec::learning_rate`]).
    pub learning_rate: Option<f64>,
    /// L2 penalty of the models trained with Adam (those with AdamW use
    /// [`ADAMW_WEIGHT_DECAY`]).
    pub weight_decay: f32,
    /// Probability of replacing a categorical value by its field's OOV id while training
    /// ([`ValueDropout`]); 0 turns it off.
    pub value_dropout: f64,
    /// `β` of the weights' exponential moving average ([`WeightAverage`]), which validation,
    /// early stopping and the artifact read; 0 turns it off.
    pub ema_decay: f64,
    /// Seed for the split, shuffling and initialisation.
    pub seed: u64,
    /// How to split.
    pub split: SplitMode,
    /// Shares of sessions in validation and test.
    pub valid_share: f64,
    /// Share of sessions in test.
    pub test_share: f64,
    /// Folder for per-epoch checkpoints.
    pub checkpoint_dir: Option<PathBuf>,
    /// Show a progress bar.
    pub progress: bool,
    /// Where to train.
    pub backend: Backend,
    /// Boosting settings of the GBDT baseline and of HUIHEN's teacher (seeded with `seed`).
    pub gbdt: GbdtOptions,
    /// Also grow the GBDT on aggregates on the same split and report its test metrics beside
    /// the model's (`seqrisk-bench quality` trains it as a model of its own instead).
    pub gbdt_baseline: bool,
    /// HUIHEN's older, profile-only labelled sessions for pretraining the UPI layer (§4).
    pub old_sessions: Option<Arc<Vec<Session>>>,
    /// `α` of HUIHEN's Eq. (16), the weight of the teacher term.
    pub teacher_alpha: f64,
    /// HUIHEN: the teacher's probabilities for the old sessions, by session id, from a model
    /// trained elsewhere (XGBoost, LightGBM); without them a GBDT teacher is grown here.
    pub teacher_probs: Option<Arc<HashMap<String, f64>>>,
    /// Go on from the progress checkpoint in `checkpoint_dir` (and, for HUIHEN, reuse a
    /// finished pretraining step).
    pub resume: bool,
    /// LBSF: the team's pretrained merchant vectors, added (projected) to the merchant name
    /// embeddings.
    pub merchant_vectors: Option<Arc<MerchantVectors>>,
    /// Embedding size and dropout in place of the paper's (`seqrisk tune`, `train --config`).
    pub overrides: ModelOverrides,
    /// Stop after the epoch that ends past this instant, keeping the best epoch so far (the
    /// time budget of `seqrisk tune`).
    pub deadline: Option<Instant>,
    /// The calibrator fitted on the validation split and stored in the artifact.
    pub calibration: CalibrationMethod,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            model: ModelSpec::default(),
            epochs: 20,
            patience: 3,
            min_delta: 1e-4,
            batch_size: 256,
            learning_rate: None,
            weight_decay: 1e-6,
            value_dropout: 0.0,
            ema_decay: 0.0,
            seed: 42,
            split: SplitMode::Random,
            valid_share: 0.15,
            test_share: 0.15,
            checkpoint_dir: None,
            progress: true,
            backend: Backend::Cpu,
            gbdt: GbdtOptions {
                iterations: 500,
                learning_rate: 0.1,
                max_depth: 6,
                early_stopping_rounds: 20,
            },
            gbdt_baseline: true,
            old_sessions: None,
            teacher_alpha: 1.0,
            teacher_probs: None,
            resume: false,
            merchant_vectors: None,
            overrides: ModelOverrides::default(),
            deadline: None,
            calibration: CalibrationMethod::Auto,
        }
    }
}

/// One epoch's log line.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochLog {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Validation AUC.
    pub valid_auc: f64,
    /// Seconds the epoch took.
    pub seconds: f64,
}

/// A true-positive test session and its explanation.
pub struct TruePositive {
    /// Index into the sessions given to [`train`].
    pub session: usize,
    /// The explanation of its score.
    pub explanation: Explanation,
}

/// Cards alerted per day by the fraud handbook's card precision@k ([`card_precision_at_k`]).
pub const CARD_PRECISION_K: usize = 100;

/// The fraud handbook's card precision@[`CARD_PRECISION_K`] per day on the test split, for the
/// model and the baselines beside it (when the schema names each session's card, `entity`).
#[derive(Debug, Clone, Serialize)]
pub struct CardPrecisions {
    /// The model's.
    pub model: CardPrecision,
    /// The best single feature's.
    pub single_feature: Option<CardPrecision>,
    /// The GBDT on aggregates'.
    pub gbdt: Option<CardPrecision>,
}

/// Card precision@[`CARD_PRECISION_K`] of `scores` (in the order of `idx`), over the sessions
/// that name their card and carry a label; a session's day is its last event's.
fn card_precision(sessions: &[Session], idx: &[usize], scores: &[f64]) -> Option<CardPrecision> {
    let rows: Vec<CardScore> = idx
        .iter()
        .zip(scores)
        .filter_map(|(&i, &score)| {
            let s = &sessions[i];
            Some(CardScore {
                card: s.entity.as_deref()?,
                ts: s.events.last()?.ts,
                score,
                fraud: s.label?,
            })
        })
        .collect();
    card_precision_at_k(&rows, CARD_PRECISION_K)
}

/// What training produced.
pub struct TrainOutcome {
    /// The packaged model.
    pub artifact: Artifact,
    /// Test metrics.
    pub metrics: Metrics,
    /// Explanations against planted events on true-positive test sessions.
    pub planted: Option<PlantedHitRate>,
    /// The same on the positive test sessions among the top 10% of scores (the sessions that
    /// Recall@10% counts), a larger set than the true positives at FPR 1%.
    pub planted_top_decile: Option<PlantedHitRate>,
    /// Test positives flagged at the threshold of a 1% false-positive rate, with explanations.
    pub true_positives: Vec<TruePositive>,
    /// Per-epoch log.
    pub history: Vec<EpochLog>,
    /// The best single feature (chosen on validation) on the same test split.
    pub single_feature: Option<SingleFeature>,
    /// The GBDT on aggregates' test metrics on the same split (unless the model is the GBDT
    /// or `gbdt_baseline` is off).
    pub gbdt: Option<Metrics>,
    /// Card precision@100 per day of the model and its baselines, when the schema names an
    /// `entity`.
    pub card_precision: Option<CardPrecisions>,
}

/// Now, in Unix seconds (0 if the clock is before 1970): an artifact's creation time.
pub fn created_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Split indices into train / validation / test, stratified by label, seeded.
pub fn split(sessions: &[Session], valid: f64, test: f64, seed: u64) -> [Vec<usize>; 3] {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out: [Vec<usize>; 3] = Default::default();
    for class in [false, true] {
        let mut idx: Vec<usize> = (0..sessions.len())
            .filter(|&i| sessions[i].label.unwrap_or(false) == class)
            .collect();
        idx.shuffle(&mut rng);
        let n = idx.len();
        let n_test = (n as f64 * test).round() as usize;
        let n_valid = (n as f64 * valid).round() as usize;
        out[2].extend_from_slice(&idx[..n_test]);
        out[1].extend_from_slice(&idx[n_test..n_test + n_valid]);
        out[0].extend_from_slice(&idx[n_test + n_valid..]);
    }
    for part in &mut out {
        part.sort_unstable();
    }
    out
}

/// Split indices by time: ordered by each session's last timestamp (then index), the last
/// `test` share is the test split, the `valid` share before it the validation split.
pub fn split_by_time(sessions: &[Session], valid: f64, test: f64) -> [Vec<usize>; 3] {
    let idx = time_order(sessions);
    let n = idx.len();
    let n_test = (n as f64 * test).round() as usize;
    let n_valid = (n as f64 * valid).round() as usize;
    let mut out = [
        idx[..n - n_test - n_valid].to_vec(),
        idx[n - n_test - n_valid..n - n_test].to_vec(),
        idx[n - n_test..].to_vec(),
    ];
    for part in &mut out {
        part.sort_unstable();
    }
    out
}

/// Binary cross-entropy on logits (the negative log-likelihood of NHFM Eq. 5), mean over the batch.
pub fn bce_with_logits(logits: Tensor<1>, labels: Tensor<1>) -> Tensor<1> {
    let pos = log_sigmoid(logits.clone()) * labels.clone();
    let neg = log_sigmoid(logits.neg()) * labels.neg().add_scalar(1.0);
    (pos + neg).mean().neg()
}

/// HUIHEN's pretraining loss, Eq. (16): `L_CE + α/2·(KL(p‖q) + KL(q‖p))` with the model's
/// `p = σ(z)` and the teacher's `q`, mean over the batch. For Bernoulli distributions the
/// symmetric KL is `(p − q)·(logit p − logit q)`, so with the logit `z` at hand it is
/// `(σ(z) − q)·(z − logit q)` (`q` clamped to `[1e-6, 1 − 1e-6]`). The paper also trains `α`;
/// the loss falls without bound as `α` falls, so here `α` is a fixed setting (`--teacher-alpha`).
pub fn teacher_loss(
    logits: Tensor<1>,
    labels: Tensor<1>,
    teacher: Tensor<1>,
    alpha: f64,
) -> Tensor<1> {
    let q = teacher.clamp(1e-6, 1.0 - 1e-6);
    let logit_q = (q.clone() / (q.clone().neg() + 1.0)).log();
    let symmetric_kl = (sigmoid(logits.clone()) - q) * (logits.clone() - logit_q);
    bce_with_logits(logits, labels) + symmetric_kl.mean().mul_scalar(alpha / 2.0)
}

/// Check every session has a label and every named part of a split has both classes.
fn check_labels(sessions: &[Session], what: &str, parts: &[(&str, &[usize])]) -> Result<()> {
    let unlabeled = sessions.iter().filter(|s| s.label.is_none()).count();
    if unlabeled > 0 {
        bail!("{unlabeled} {what} sessions have no label; training needs a label on every session");
    }
    for (name, idx) in parts {
        let l = labels(sessions, idx);
        if !l.iter().any(|&x| x) || l.iter().all(|&x| x) {
            bail!(
                "the {what} data's {name} split needs both positive and negative sessions; provide more data"
            );
        }
    }
    Ok(())
}

/// The scores of encoded sessions, without their explanations (validation AUC, thresholds,
/// baselines).
fn scores_of(
    model: &Model,
    field_names: &[String],
    items: &[&EncodedSession],
    device: &Device,
) -> Result<Vec<f64>> {
    Ok(score_encoded(model, field_names, items, device)?
        .into_iter()
        .map(|x| x.0)
        .collect())
}

fn labels(sessions: &[Session], idx: &[usize]) -> Vec<bool> {
    idx.iter()
        .map(|&i| sessions[i].label.unwrap_or(false))
        .collect()
}

/// The training and validation sessions, encoded, with their labels.
struct Split<'a> {
    train: Vec<&'a EncodedSession>,
    train_labels: Vec<bool>,
    valid: Vec<&'a EncodedSession>,
    valid_labels: Vec<bool>,
}

/// The encodings of `sessions[i]` for each index, in that order.
fn encode_each<'i>(
    encoder: &Encoder,
    sessions: &[Session],
    idx: impl Iterator<Item = &'i usize>,
) -> Vec<EncodedSession> {
    idx.map(|&i| encoder.encode(&sessions[i])).collect()
}

impl<'a> Split<'a> {
    /// The `train` and `valid` sessions with their labels; `encoded` holds their encodings,
    /// the training sessions' first ([`encode_each`] of both index lists, chained).
    fn of(
        encoded: &'a [EncodedSession],
        sessions: &[Session],
        [train, valid]: [&[usize]; 2],
    ) -> Self {
        let (train_encoded, valid_encoded) = encoded.split_at(train.len());
        Split {
            train: train_encoded.iter().collect(),
            train_labels: labels(sessions, train),
            valid: valid_encoded.iter().collect(),
            valid_labels: labels(sessions, valid),
        }
    }
}

impl Split<'_> {
    /// Trees on the aggregates of the training sessions, early-stopped on the validation ones
    /// (the GBDT baseline beside a model, HUIHEN's teacher).
    fn grow_gbdt(
        &self,
        encoder: &Encoder,
        opts: &TrainOptions,
    ) -> Result<(Aggregates, TreeEnsemble)> {
        grow_gbdt(
            encoder,
            (self.train.iter().copied(), &self.train_labels),
            (self.valid.iter().copied(), &self.valid_labels),
            opts,
        )
    }
}

/// A trained model and how its training went.
struct Fitted {
    config: ModelConfig,
    model: Model,
    valid_auc: f64,
    best_epoch: usize,
    history: Vec<EpochLog>,
}

/// The soft labels of a teacher for the training sessions of a [`Split`] (HUIHEN §4.2).
struct Teacher {
    /// `q` per training session, in `Split::train` order.
    probs: Vec<f32>,
    /// `α` of Eq. (16).
    alpha: f64,
}

/// One neural training run: what it is called, where it starts, and its teacher.
struct Step<'a> {
    /// Progress-bar prefix.
    name: String,
    /// Checkpoint file stem (`<stem>-progress.bin`).
    checkpoint: String,
    /// Start from this model (on the inference device) instead of a fresh one.
    init: Option<Model>,
    /// Soft labels for the loss of Eq. (16) instead of plain cross-entropy.
    teacher: Option<&'a Teacher>,
    /// Categorical values dropped to their field's OOV id while training.
    value_dropout: Option<&'a ValueDropout>,
}

/// The neural models: Adam with L2 (AdamW for LBSF), mini-batches, early stopping on validation AUC, a
/// checkpoint per epoch.
fn fit_neural(
    config: ModelConfig,
    field_names: &[String],
    split: &Split,
    opts: &TrainOptions,
    infer_device: &Device,
    mut step: Step,
) -> Result<Fitted> {
    let learning_rate = opts
        .learning_rate
        .unwrap_or_else(|| opts.model.learning_rate());
    let device = infer_device.clone().autodiff();
    device.seed(opts.seed);
    let progress_path = opts
        .checkpoint_dir
        .as_ref()
        .map(|dir| dir.join(format!("{}-progress.bin", step.checkpoint)));
    let run = run_fingerprint(&config, &step, split, opts, learning_rate)?;
    let model = match step.init.take() {
        Some(m) => m.fork(&device).train(),
        None => config.init(&device),
    };
    let mut state = RunState::new(model, optimizer(opts), opts);
    let batches_per_epoch = split.train.len().div_ceil(opts.batch_size);
    let report = Reporter::new(opts, &step.name, opts.epochs * batches_per_epoch)?;
    if let Some(path) = progress_path.as_ref().filter(|p| opts.resume && p.exists()) {
        state = state.resume(path, &run, &config, [&device, infer_device], opts)?;
        let done = state.history.len();
        report.say(format!(
            "resumed after epoch {done} from {}",
            path.display()
        ));
        report.bar.inc((done * batches_per_epoch) as u64);
    }
    let pass = EpochPass {
        split,
        step: &step,
        opts,
        device: &device,
        learning_rate,
        bar: &report.bar,
    };
    for epoch in state.history.len() + 1..=opts.epochs {
        if state.stopped {
            break;
        }
        let started = Instant::now();
        let loss_sum;
        (state.model, loss_sum) =
            pass.run(state.model, &mut state.optim, &mut state.average, epoch)?;
        let snapshot = state.weights();
        let scores = scores_of(&snapshot, field_names, &split.valid, infer_device)?;
        let log = EpochLog {
            epoch,
            loss: loss_sum / split.train.len() as f64,
            valid_auc: auc(&scores, &split.valid_labels).unwrap_or(f64::NAN),
            seconds: started.elapsed().as_secs_f64(),
        };
        report.epoch(&log);
        if let Some(why) = state.record(log, snapshot, opts) {
            report.say(why);
        }
        if let Some(path) = &progress_path {
            state.save(path, &run)?;
        }
    }
    report.bar.finish_and_clear();
    state.finish(config)
}

/// Where a neural run stands between epochs: what its checkpoint ([`Progress`]) keeps.
struct RunState {
    model: Model,
    optim: ModuleOptimizer,
    history: Vec<EpochLog>,
    stopping: EarlyStopping,
    /// The best epoch's model (on the inference device).
    best: Option<Model>,
    /// The weights' moving average, when `ema_decay` asks for one (on the inference device).
    average: Option<WeightAverage<Model>>,
    stopped: bool,
}

impl RunState {
    fn new(model: Model, optim: ModuleOptimizer, opts: &TrainOptions) -> Self {
        Self {
            model,
            optim,
            history: Vec::new(),
            stopping: EarlyStopping::new(opts.patience, opts.min_delta),
            best: None,
            average: (opts.ema_decay > 0.0).then(|| WeightAverage::new(opts.ema_decay)),
            stopped: false,
        }
    }

    /// The weights an epoch is judged and kept by: the moving average when there is one, else
    /// the model as trained (both on the inference device).
    fn weights(&self) -> Model {
        match self.average.as_ref().and_then(WeightAverage::average) {
            Some(average) => average.clone(),
            None => self.model.valid(),
        }
    }

    /// Go on from the progress file at `path` (refused if another run wrote it); the model
    /// and optimiser on the training device, the best model on the inference device.
    fn resume(
        self,
        path: &Path,
        run: &str,
        config: &ModelConfig,
        [device, infer_device]: [&Device; 2],
        opts: &TrainOptions,
    ) -> Result<Self> {
        let p = Progress::read(path, run)?;
        let optim = self
            .optim
            .from_bytes(Bytes::from_bytes_vec(p.optimizer))
            .map_err(|e| {
                anyhow::anyhow!("{}: optimiser state does not decode: {e}", path.display())
            })?;
        Ok(Self {
            model: load_weights(config, p.model, device, path)?,
            optim,
            history: p.history,
            stopping: EarlyStopping::resumed(
                opts.patience,
                opts.min_delta,
                p.best_auc,
                p.best_epoch,
            ),
            best: Some(load_weights(config, p.best, infer_device, path)?),
            average: match p.average {
                Some((steps, weights)) => Some(WeightAverage::resumed(
                    opts.ema_decay,
                    steps,
                    load_weights(config, weights, infer_device, path)?,
                )),
                None => self.average,
            },
            stopped: p.stopped,
        })
    }

    /// Log an epoch, keep `snapshot` if it is the best so far, and stop on patience or the
    /// deadline; why it stops, if it does.
    fn record(&mut self, log: EpochLog, snapshot: Model, opts: &TrainOptions) -> Option<String> {
        let (epoch, valid_auc) = (log.epoch, log.valid_auc);
        self.history.push(log);
        let mut why = None;
        match self.stopping.observe(epoch, valid_auc) {
            Verdict::Improved => self.best = Some(snapshot),
            Verdict::Wait => {}
            Verdict::Stop => {
                why = Some(format!(
                    "early stopping: no better validation AUC for {} epochs",
                    opts.patience
                ));
            }
        }
        if why.is_none() && opts.deadline.is_some_and(|d| Instant::now() >= d) {
            why = Some(format!(
                "time budget spent after epoch {epoch}: keeping the best epoch so far"
            ));
        }
        self.stopped = why.is_some();
        why
    }

    /// Write the progress file (atomically), once there is a best epoch.
    fn save(&self, path: &Path, run: &str) -> Result<()> {
        let (Some((best_auc, best_epoch)), Some(best)) = (self.stopping.best(), &self.best) else {
            return Ok(());
        };
        Progress {
            run: run.to_string(),
            history: self.history.clone(),
            best_auc,
            best_epoch,
            stopped: self.stopped,
            model: record_bytes(self.model.valid())?,
            best: record_bytes(best.clone())?,
            average: match self
                .average
                .as_ref()
                .and_then(|a| Some((a.steps(), a.average()?)))
            {
                Some((steps, m)) => Some((steps, record_bytes(m.clone())?)),
                None => None,
            },
            optimizer: self
                .optim
                .into_bytes()
                .map_err(|e| anyhow::anyhow!("optimiser state: {e}"))?
                .to_vec(),
        }
        .write(path)
    }

    /// The best epoch's model and how training went.
    fn finish(self, config: ModelConfig) -> Result<Fitted> {
        let (Some((valid_auc, best_epoch)), Some(model)) = (self.stopping.best(), self.best) else {
            bail!("no epoch was run (epochs = 0)");
        };
        Ok(Fitted {
            config,
            model,
            valid_auc,
            best_epoch,
            history: self.history,
        })
    }
}

/// Adam with the L2 penalty, or AdamW for the models whose papers decouple weight decay.
fn optimizer(opts: &TrainOptions) -> ModuleOptimizer {
    if opts.model.decoupled_weight_decay() {
        AdamWConfig::new()
            .with_weight_decay(ADAMW_WEIGHT_DECAY)
            .init()
    } else {
        AdamConfig::new()
            .with_weight_decay(Some(WeightDecayConfig::new(opts.weight_decay)))
            .init()
    }
}

/// A step's progress bar over every batch of every epoch, and its lines.
struct Reporter<'a> {
    bar: ProgressBar,
    name: &'a str,
    progress: bool,
}

impl<'a> Reporter<'a> {
    /// A bar of `batches` (hidden without `--progress`) prefixed with the step's name.
    fn new(opts: &TrainOptions, name: &'a str, batches: usize) -> Result<Self> {
        let bar = crate::progress::bar(
            batches,
            name,
            "{spinner} {prefix} [{bar:30}] {pos}/{len} batches, {elapsed} (eta {eta}) {msg}",
            opts.progress,
        )?;
        Ok(Self {
            bar,
            name,
            progress: opts.progress,
        })
    }

    /// Print a line above the bar; a hidden bar (no terminal) prints nothing, so then to
    /// standard error, to keep the epoch lines in logs.
    fn say(&self, line: String) {
        if self.bar.is_hidden() && self.progress {
            eprintln!("{}: {line}", self.name);
        } else {
            self.bar.println(line);
        }
    }

    /// An epoch's loss and validation AUC, on the bar and as a line.
    fn epoch(&self, log: &EpochLog) {
        self.bar.set_message(format!(
            "epoch {}: loss {:.4}, valid AUC {:.4}",
            log.epoch, log.loss, log.valid_auc
        ));
        self.say(format!(
            "epoch {:>2}: loss {:.4}  valid AUC {:.4}  ({:.1}s)",
            log.epoch, log.loss, log.valid_auc, log.seconds
        ));
    }
}

/// One pass over the training split: what it reads.
struct EpochPass<'a, 's> {
    split: &'a Split<'s>,
    step: &'a Step<'a>,
    opts: &'a TrainOptions,
    device: &'a Device,
    learning_rate: f64,
    bar: &'a ProgressBar,
}

impl EpochPass<'_, '_> {
    /// Train `model` on every training session once, in mini-batches; the model after the
    /// pass and the summed loss. Every epoch draws its order and dropout from the seed and its
    /// number, so a resumed run goes on exactly as an uninterrupted one would.
    fn run(
        &self,
        mut model: Model,
        optim: &mut ModuleOptimizer,
        average: &mut Option<WeightAverage<Model>>,
        epoch: usize,
    ) -> Result<(Model, f64)> {
        let (split, step, opts, device) = (self.split, self.step, self.opts, self.device);
        device.seed(epoch_seed(opts.seed, epoch));
        let mut order: Vec<usize> = (0..split.train.len()).collect();
        order.shuffle(&mut SmallRng::seed_from_u64(epoch_seed(
            opts.seed ^ 0x5eed,
            epoch,
        )));
        let mut loss_sum = 0.0;
        let mut drop_rng = SmallRng::seed_from_u64(epoch_seed(opts.seed ^ 0xd509, epoch));
        for chunk in order.chunks(opts.batch_size) {
            let items: Vec<&EncodedSession> = chunk.iter().map(|&i| split.train[i]).collect();
            let batch = match step.value_dropout {
                Some(d) => {
                    let dropped: Vec<EncodedSession> =
                        items.iter().map(|s| d.apply(s, &mut drop_rng)).collect();
                    Batch::new(&dropped.iter().collect::<Vec<_>>(), device)
                }
                None => Batch::new(&items, device),
            };
            let out = model.forward(&batch);
            let loss = match step.teacher {
                Some(t) => {
                    let q: Vec<f32> = chunk.iter().map(|&i| t.probs[i]).collect();
                    let q = Tensor::from_data(TensorData::new(q, [chunk.len()]), device);
                    teacher_loss(out.logits, batch.labels, q, t.alpha)
                }
                None => bce_with_logits(out.logits, batch.labels),
            };
            let loss_value = f64::from(loss.clone().into_scalar::<f32>());
            if !loss_value.is_finite() {
                bail!(
                    "training diverged at epoch {epoch} (loss {loss_value}); try a lower --learning-rate"
                );
            }
            loss_sum += loss_value * chunk.len() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(self.learning_rate, model, grads);
            if let Some(average) = average.as_mut() {
                average.update(model.valid());
            }
            self.bar.inc(1);
        }
        Ok((model, loss_sum))
    }
}

/// What a neural training run has done, saved after every epoch as
/// `<checkpoints>/<stem>-progress.bin` (atomically, so a crash leaves the previous epoch's): the
/// epochs' logs, the best validation AUC so far with its model, the current model and the
/// optimiser's state. `--resume` goes on from it, and as every epoch draws its shuffle and
/// dropout from the seed and the epoch's number, the run ends as an uninterrupted one would.
#[derive(serde::Serialize, serde::Deserialize)]
struct Progress {
    /// The run it belongs to ([`run_fingerprint`]); resuming another run is refused.
    run: String,
    /// One log per finished epoch.
    history: Vec<EpochLog>,
    /// Best validation AUC so far...
    best_auc: f64,
    /// ...its epoch...
    best_epoch: usize,
    /// Early stopping ended the run.
    stopped: bool,
    /// Burnpack weights after the last finished epoch.
    model: Vec<u8>,
    /// ...and of the best epoch's model...
    best: Vec<u8>,
    /// ...and of the weights' moving average with the steps it has taken in, when the run
    /// keeps one.
    average: Option<(u64, Vec<u8>)>,
    /// The optimiser's state (burnpack).
    optimizer: Vec<u8>,
}

impl Progress {
    fn write(&self, path: &Path) -> Result<()> {
        let bytes = bincode::serde::encode_to_vec(self, bincode::config::standard())
            .context("cannot encode the training progress")?;
        write_atomic(path, &bytes)
    }

    fn read(path: &Path, run: &str) -> Result<Self> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let (p, _): (Progress, usize) =
            // held to 2 GiB (a checkpoint is a few MB), so that a damaged length field is
            // refused before that much is allocated
            bincode::serde::decode_from_slice(
                &bytes,
                bincode::config::standard().with_limit::<{ 1 << 31 }>(),
            )
            .with_context(|| format!("{} is not a training progress file", path.display()))?;
        if p.run != run {
            bail!(
                "{} is the progress of another run (other data, model or settings): delete it or drop --resume",
                path.display()
            );
        }
        Ok(p)
    }
}

/// `weights` (burnpack bytes read from `path`) in a model built by `config` on `device`.
fn load_weights(
    config: &ModelConfig,
    weights: Vec<u8>,
    device: &Device,
    path: &Path,
) -> Result<Model> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights))
        .map_err(|e| anyhow::anyhow!("{}: weights do not decode: {e}", path.display()))?;
    config
        .init(device)
        .try_load_record(record)
        .map_err(|e| anyhow::anyhow!("{}: weights do not fit: {e}", path.display()))
}

/// Burnpack bytes of a model's weights.
fn record_bytes(model: Model) -> Result<Vec<u8>> {
    Ok(model
        .into_record()
        .into_bytes()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_vec())
}

/// A run's identity for [`Progress`]: the step, the model configuration, the optimiser
/// settings, the seed and a checksum of the training and validation data (epochs may differ:
/// `--resume --epochs N` goes on to more).
fn run_fingerprint(
    config: &ModelConfig,
    step: &Step,
    split: &Split,
    opts: &TrainOptions,
    learning_rate: f64,
) -> Result<String> {
    let mut crc = crc32fast::Hasher::new();
    for s in split.train.iter().chain(&split.valid) {
        for i in &s.event_index {
            crc.update(&i.to_le_bytes());
        }
        for v in s.event_value.iter().chain(&s.profile_value) {
            crc.update(&v.to_le_bytes());
        }
        crc.update(&[u8::from(s.label == Some(true))]);
    }
    Ok(serde_json::json!({
        "step": step.name,
        "config": config,
        "learning_rate": learning_rate,
        "batch_size": opts.batch_size,
        "weight_decay": opts.weight_decay,
        "value_dropout": step.value_dropout.map(|d| d.rate),
        "ema_decay": opts.ema_decay,
        "patience": opts.patience,
        "min_delta": opts.min_delta,
        "seed": opts.seed,
        "teacher": step.teacher.map(|t| t.alpha),
        "train": split.train.len(),
        "valid": split.valid.len(),
        "data_crc32": crc.finalize(),
    })
    .to_string())
}

/// The seed of epoch `epoch`'s shuffle or dropout.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(epoch as u64)
}

/// The card's decision threshold: the lowest score that flags at most 1% of the negatives
/// (`score ≥ t`; tied scores, an isotonic calibration's steps, are flagged together), the
/// operating point of the artifact's `threshold` and of the explained true positives. Where
/// even the highest score's tie flags more, that score; 0.5 without negatives.
fn flag_threshold(scores: &[f64], labels: &[bool]) -> f64 {
    if labels.iter().all(|&l| l) {
        return 0.5;
    }
    threshold_for(Target::Fpr(0.01), scores, labels)
        .or_else(|| scores.iter().copied().max_by(f64::total_cmp))
        .unwrap_or(0.5)
}

/// Session indices oldest first by their last event (a session without events first; ties
/// in input order): the order every split by time cuts.
pub fn time_order(sessions: &[Session]) -> Vec<usize> {
    let last = |i: usize| {
        sessions[i]
            .events
            .last()
            .map_or(f64::NEG_INFINITY, |e| e.ts)
    };
    let mut idx: Vec<usize> = (0..sessions.len()).collect();
    idx.sort_by(|&a, &b| last(a).total_cmp(&last(b)).then(a.cmp(&b)));
    idx
}

/// Trees grown on the aggregates, and when their growing started.
struct GrownGbdt {
    aggregates: Aggregates,
    ensemble: TreeEnsemble,
    started: Instant,
}

/// The GBDT baseline: forust grows trees on the training sessions' aggregates, stopping early
/// on the validation AUC; the validation AUC is reported as for the neural models.
fn fit_gbdt(
    encoder: &Encoder,
    split: &Split,
    opts: &TrainOptions,
    infer_device: &Device,
) -> Result<Fitted> {
    let started = Instant::now();
    if opts.progress {
        eprintln!("training gbdt (forust) on {} sessions", split.train.len());
    }
    let (aggregates, ensemble) = split.grow_gbdt(encoder, opts)?;
    let grown = GrownGbdt {
        aggregates,
        ensemble,
        started,
    };
    fitted_gbdt(grown, encoder, split, opts, infer_device)
}

/// The GBDT model's trees (`None` for every other model), grown from the training and
/// validation sessions encoded one at a time: the trees read the aggregates alone, so the
/// fit's peak memory holds no encodings (issue 27: 100,000 sessions within 1 GB).
fn grow_gbdt_model(
    encoder: &Encoder,
    sessions: &[Session],
    [train, valid]: [&[usize]; 2],
    opts: &TrainOptions,
) -> Result<Option<GrownGbdt>> {
    if opts.model != ModelSpec::Gbdt {
        return Ok(None);
    }
    let started = Instant::now();
    if opts.progress {
        eprintln!("training gbdt (forust) on {} sessions", train.len());
    }
    let (aggregates, ensemble) = grow_gbdt(
        encoder,
        (
            train.iter().map(|&i| encoder.encode(&sessions[i])),
            &labels(sessions, train),
        ),
        (
            valid.iter().map(|&i| encoder.encode(&sessions[i])),
            &labels(sessions, valid),
        ),
        opts,
    )?;
    Ok(Some(GrownGbdt {
        aggregates,
        ensemble,
        started,
    }))
}

/// A [`Fitted`] of grown trees: the model, its training log-loss and validation AUC.
fn fitted_gbdt(
    grown: GrownGbdt,
    encoder: &Encoder,
    split: &Split,
    opts: &TrainOptions,
    infer_device: &Device,
) -> Result<Fitted> {
    let GrownGbdt {
        aggregates,
        ensemble,
        started,
    } = grown;
    let trees = ensemble.trees.len();
    let config = ModelConfig::Gbdt(GbdtConfig::new(aggregates).with_ensemble(ensemble));
    let model = config.init(infer_device);
    let field_names = encoder.event_field_names();
    let score = |items: &[&EncodedSession]| scores_of(&model, &field_names, items, infer_device);
    let train_scores = score(&split.train)?;
    let loss = train_scores
        .iter()
        .zip(&split.train_labels)
        .map(|(&p, &l)| -(if l { p } else { 1.0 - p }).max(1e-15).ln())
        .sum::<f64>()
        / split.train.len() as f64;
    let valid_auc = auc(&score(&split.valid)?, &split.valid_labels).unwrap_or(f64::NAN);
    let log = EpochLog {
        epoch: 1,
        loss,
        valid_auc,
        seconds: started.elapsed().as_secs_f64(),
    };
    if opts.progress {
        eprintln!(
            "gbdt: {} trees, train log-loss {:.4}, valid AUC {:.4} ({:.1}s)",
            trees, log.loss, valid_auc, log.seconds
        );
    }
    Ok(Fitted {
        config,
        model,
        valid_auc,
        best_epoch: 1,
        history: vec![log],
    })
}

/// The old sessions HUIHEN pretrains on, when the model pretrains (an error when it should
/// and there are none).
fn pretraining_sessions(opts: &TrainOptions) -> Result<Option<Arc<Vec<Session>>>> {
    let pretrains = match opts.model {
        ModelSpec::Huihen(v) => v != HuihenVariant::NoPretrain,
        _ => false,
    };
    if !pretrains {
        return Ok(None);
    }
    match &opts.old_sessions {
        Some(old) if !old.is_empty() => Ok(Some(Arc::clone(old))),
        _ => bail!(
            "{} pretrains its UPI layer on older, profile-only labelled sessions (HUIHEN §4): give them with --pretrain-data, or train huihen-no-pretrain",
            opts.model
        ),
    }
}

/// Teacher probabilities by session id from a CSV with the columns `id` and `probability`
/// (what a model trained elsewhere predicts for the pretraining sessions). Errors name the line.
pub fn read_teacher_probs(text: &[u8], name: &str) -> Result<HashMap<String, f64>> {
    let mut reader = csv::Reader::from_reader(text);
    let header = reader
        .headers()
        .with_context(|| format!("{name}: cannot read the header"))?
        .clone();
    let col = |c: &str| {
        header
            .iter()
            .position(|h| h.trim() == c)
            .with_context(|| format!("{name}: no column `{c}` in the header"))
    };
    let (id, p) = (col("id")?, col("probability")?);
    let mut out = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.with_context(|| format!("{name}:{line}: not a CSV row"))?;
        let cell = |c: usize| row.get(c).unwrap_or("").trim();
        let prob: f64 = cell(p)
            .parse()
            .ok()
            .filter(|x: &f64| (0.0..=1.0).contains(x))
            .with_context(|| {
                format!(
                    "{name}:{line}: probability `{}` is not a number in [0, 1]",
                    cell(p)
                )
            })?;
        out.insert(cell(id).to_string(), prob);
    }
    Ok(out)
}

/// Trees on the aggregates of `encoder`'s sessions, grown on the training sessions with early
/// stopping on the validation sessions (the GBDT model and baseline and HUIHEN's teacher
/// alike); each side is its sessions' encodings, borrowed or made one at a time, and labels.
fn grow_gbdt<S: Borrow<EncodedSession>, V: Borrow<EncodedSession>>(
    encoder: &Encoder,
    train: (impl ExactSizeIterator<Item = S>, &[bool]),
    valid: (impl ExactSizeIterator<Item = V>, &[bool]),
    opts: &TrainOptions,
) -> Result<(Aggregates, TreeEnsemble)> {
    let aggregates = Aggregates::of(encoder);
    let ensemble = gbdt::fit(&aggregates, train, valid, opts.gbdt, opts.seed)?;
    Ok((aggregates, ensemble))
}

/// A GBDT teacher (forust, on the aggregates of `encoder`'s sessions, which for profile-only
/// sessions are the profile) grown on the split's training sessions with early stopping on its
/// validation sessions; returns its soft labels for the training sessions and the ensemble.
fn gbdt_teacher(
    encoder: &Encoder,
    split: &Split,
    opts: &TrainOptions,
    log_prefix: &str,
) -> Result<(Teacher, GbdtConfig)> {
    let started = Instant::now();
    let (aggregates, ensemble) = split.grow_gbdt(encoder, opts)?;
    let q = |items: &[&EncodedSession]| -> Vec<f64> {
        items
            .iter()
            .map(|s| 1.0 / (1.0 + (-ensemble.predict(&aggregates.features(s))).exp()))
            .collect()
    };
    let teacher = Teacher {
        probs: q(&split.train).into_iter().map(|p| p as f32).collect(),
        alpha: opts.teacher_alpha,
    };
    if opts.progress {
        eprintln!(
            "{log_prefix}GBDT teacher (forust, {} trees) on {} profile-only sessions: valid AUC {:.4} ({:.1}s)",
            ensemble.trees.len(),
            split.train.len(),
            auc(&q(&split.valid), &split.valid_labels).unwrap_or(f64::NAN),
            started.elapsed().as_secs_f64()
        );
    }
    Ok((teacher, GbdtConfig::new(aggregates).with_ensemble(ensemble)))
}

/// The test results of one model of [`teacher_experiment`].
pub struct TeacherResult {
    /// `gbdt-teacher`, `mlp` or `mlp-guide`.
    pub name: &'static str,
    /// Test metrics.
    pub metrics: Metrics,
    /// Test ROC curve.
    pub roc: Vec<RocPoint>,
    /// Seconds its training took (the teacher's, for `mlp-guide`, not included).
    pub seconds: f64,
    /// Epochs run (1 for the teacher).
    pub epochs: usize,
}

/// HUIHEN's Table 6 (§5.3.5) on profile-only labelled sessions: the UPI layer as an MLP trained
/// on the labels alone (`mlp`) and under the GBDT teacher with the loss of Eq. (16)
/// (`mlp-guide`), with the teacher itself for reference, all on the same stratified 70/15/15
/// split of `opts.seed` (early stopping on the validation part), evaluated on the test part.
pub fn teacher_experiment(
    sessions: &[Session],
    schema: &Schema,
    opts: &TrainOptions,
) -> Result<Vec<TeacherResult>> {
    let [train_idx, valid_idx, test_idx] =
        split(sessions, opts.valid_share, opts.test_share, opts.seed);
    check_labels(
        sessions,
        "labelled",
        &[
            ("train", &train_idx),
            ("validation", &valid_idx),
            ("test", &test_idx),
        ],
    )?;
    let train_sessions: Vec<&Session> = train_idx.iter().map(|&i| &sessions[i]).collect();
    let encoder = Encoder::fit(schema, &train_sessions)?;
    let encoded = encode_each(&encoder, sessions, train_idx.iter().chain(&valid_idx));
    let split = Split::of(&encoded, sessions, [&train_idx, &valid_idx]);
    let test_encoded = encode_each(&encoder, sessions, test_idx.iter());
    let (test, test_labels) = (
        test_encoded.iter().collect::<Vec<_>>(),
        labels(sessions, &test_idx),
    );
    let device = opts.backend.device()?;
    let field_names = encoder.event_field_names();
    let started = Instant::now();
    let (teacher, gbdt) = gbdt_teacher(&encoder, &split, opts, "")?;
    let teacher_seconds = started.elapsed().as_secs_f64();
    let opts = TrainOptions {
        model: ModelSpec::Huihen(HuihenVariant::NoPretrain),
        ..opts.clone()
    };
    let config = ModelConfig::default_for(opts.model, &encoder);
    let mut out = Vec::with_capacity(3);
    let mut evaluate =
        |name: &'static str, model: &Model, seconds: f64, epochs: usize| -> Result<()> {
            let scores = scores_of(model, &field_names, &test, &device)?;
            out.push(TeacherResult {
                name,
                metrics: Metrics::compute(&scores, &test_labels),
                roc: roc_curve(&scores, &test_labels).unwrap_or_default(),
                seconds,
                epochs,
            });
            Ok(())
        };
    evaluate(
        "gbdt-teacher",
        &ModelConfig::Gbdt(gbdt).init(&device),
        teacher_seconds,
        1,
    )?;
    for (name, teacher) in [("mlp", None), ("mlp-guide", Some(&teacher))] {
        let step = Step {
            name: format!("training {name}"),
            checkpoint: name.to_string(),
            init: None,
            teacher,
            value_dropout: None,
        };
        let started = Instant::now();
        let fitted = fit_neural(config.clone(), &field_names, &split, &opts, &device, step)?;
        evaluate(
            name,
            &fitted.model,
            started.elapsed().as_secs_f64(),
            fitted.history.len(),
        )?;
    }
    Ok(out)
}

/// Step one of HUIHEN's training, or with `--resume` its result from an earlier run: the
/// pretrained model is kept as `<checkpoints>/<model>-pretrained.bpk`, with a note of what it
/// was trained on (`.json`) that must match for it to be reused.
fn pretrained_upi(
    encoder: &Encoder,
    old: &[Session],
    config: &ModelConfig,
    opts: &TrainOptions,
    infer_device: &Device,
    data_fingerprint: &str,
) -> Result<Model> {
    let Some(dir) = &opts.checkpoint_dir else {
        return pretrain_upi(encoder, old, config, opts, infer_device);
    };
    let weights = dir.join(format!("{}-pretrained.bpk", opts.model));
    let note_path = weights.with_extension("json");
    let note = serde_json::json!({
        "data": data_fingerprint,
        "pretraining_sessions": old.len(),
        "features": encoder.num_features(),
        "seed": opts.seed,
        "teacher_alpha": opts.teacher_alpha,
        "teacher_probs": opts.teacher_probs.is_some(),
    });
    if opts.resume && weights.exists() {
        let earlier: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&note_path)
                .with_context(|| format!("cannot read {}", note_path.display()))?,
        )
        .with_context(|| format!("{} is not a pretraining note", note_path.display()))?;
        if earlier != note {
            bail!(
                "{} was pretrained on other data or settings ({earlier} vs now {note}); delete it or drop --resume",
                weights.display()
            );
        }
        let bytes = std::fs::read(&weights)
            .with_context(|| format!("cannot read {}", weights.display()))?;
        let model = load_weights(config, bytes, infer_device, &weights)?;
        if opts.progress {
            eprintln!("step 1/2: resumed from {}", weights.display());
        }
        return Ok(model);
    }
    let model = pretrain_upi(encoder, old, config, opts, infer_device)?;
    write_atomic(&weights, &record_bytes(model.clone())?)?;
    write_atomic(&note_path, serde_json::to_string_pretty(&note)?.as_bytes())?;
    Ok(model)
}

/// Step one of HUIHEN's training (§4.2): a GBDT teacher on the old sessions' profiles, then
/// the model on the same sessions without a session view (sequence parts zero) under the loss
/// of Eq. (16), so that its UPI layer learns the profile. Early stopping on a validation part
/// of the old sessions.
fn pretrain_upi(
    encoder: &Encoder,
    old: &[Session],
    config: &ModelConfig,
    opts: &TrainOptions,
    infer_device: &Device,
) -> Result<Model> {
    let mut profile_only = encoder.clone();
    profile_only.session_view = false;
    let [train_idx, valid_idx, _] = split(old, opts.valid_share, 0.0, opts.seed);
    check_labels(
        old,
        "pretraining",
        &[("train", &train_idx), ("validation", &valid_idx)],
    )?;
    let encoded = encode_each(&profile_only, old, train_idx.iter().chain(&valid_idx));
    let split = Split::of(&encoded, old, [&train_idx, &valid_idx]);
    let teacher = match &opts.teacher_probs {
        Some(probs) => {
            if let Some(s) = old.iter().find(|s| !probs.contains_key(&s.id)) {
                bail!("no teacher probability for pretraining session `{}`", s.id);
            }
            Teacher {
                probs: train_idx
                    .iter()
                    .map(|&i| probs[&old[i].id] as f32)
                    .collect(),
                alpha: opts.teacher_alpha,
            }
        }
        None => gbdt_teacher(&profile_only, &split, opts, "step 1/2: ")?.0,
    };
    let step = Step {
        name: format!("pretraining {} UPI (step 1/2)", opts.model),
        checkpoint: format!("{}-pretrain", opts.model),
        init: None,
        teacher: Some(&teacher),
        value_dropout: None,
    };
    let fitted = fit_neural(
        config.clone(),
        &profile_only.event_field_names(),
        &split,
        opts,
        infer_device,
        step,
    )?;
    Ok(fitted.model)
}

/// Refuse options no run can use, naming the setting.
fn check_options(schema: &Schema, opts: &TrainOptions) -> Result<()> {
    if !opts.model.supervised() {
        bail!(
            "`{}` is built without labels by `seqrisk cluster`, not by `seqrisk train`",
            opts.model
        );
    }
    if opts.epochs == 0 {
        bail!("epochs must be at least 1");
    }
    // the same ranges a settings file or the flags are held to, one check for both
    Settings {
        learning_rate: opts.learning_rate,
        batch_size: Some(opts.batch_size),
        weight_decay: Some(f64::from(opts.weight_decay)),
        value_dropout: Some(opts.value_dropout),
        ema_decay: Some(opts.ema_decay),
        embedding_dim: opts.overrides.embedding_dim,
        dropout: opts.overrides.dropout,
        ..Settings::default()
    }
    .validate()?;
    if opts.model == ModelSpec::Gbdt && opts.overrides != ModelOverrides::default() {
        bail!("the GBDT has no embedding size, dropout or wide part to set");
    }
    if opts.model.payment_view().is_some() && schema.merchants.merchant.is_none() {
        bail!(
            "{} folds payments by merchant: the schema needs `[merchants] merchant = \"<event field>\"` naming the merchant field (as `seqrisk gen --scenario payments` writes it)",
            opts.model
        );
    }
    Ok(())
}

/// The encoder, fitted on the training sessions (and HUIHEN's older ones), with the views the
/// model reads and LBSF's merchant vectors joined.
fn fit_encoder(
    schema: &Schema,
    opts: &TrainOptions,
    train_sessions: &[&Session],
    old: Option<&Arc<Vec<Session>>>,
) -> Result<Encoder> {
    let fit_on: Vec<&Session> = train_sessions
        .iter()
        .copied()
        .chain(old.iter().flat_map(|o| o.iter()))
        .collect();
    let mut encoder = Encoder::fit(schema, &fit_on)?;
    encoder.session_view = opts.model.needs_session_view();
    encoder.payment_view = opts.model.payment_view();
    if opts.progress
        && encoder.payment_view == Some(PaymentView::Folded)
        && schema.merchants.max_payments.is_none()
    {
        // the within-merchant attention's cost grows with the square of this length
        // (docs/benchmarks/scaling-lbsf.md): say what the unset cap became, and how to set one
        eprintln!(
            "lbsf: every payment of a merchant kept, up to {} (the longest merchant history in the training sessions; `[merchants] max_payments` in the schema caps it)",
            encoder.schema.merchants.payments()
        );
    }
    if let Some(v) = &opts.merchant_vectors {
        if opts.model != ModelSpec::Lbsf {
            bail!(
                "merchant vectors join LBSF's merchant name embeddings; {} does not read them",
                opts.model
            );
        }
        encoder.merchant_vector_keys = v.names().to_vec();
        let payments: Vec<bool> = train_sessions
            .iter()
            .flat_map(|s| encoder.encode(s).folds.into_iter())
            .flat_map(|f| f.merchants.into_iter())
            .flat_map(|m| std::iter::repeat_n(m.vector_row > 0, m.events.len()))
            .collect();
        eprintln!(
            "merchant vectors: {} merchants of width {}; {:.1}% of the kept training payments are at a merchant with one",
            v.names().len(),
            v.dim(),
            100.0 * payments.iter().filter(|&&x| x).count() as f64 / payments.len().max(1) as f64
        );
    }
    Ok(encoder)
}

/// What a model is trained with besides its split: the encoder, HUIHEN's older sessions, the
/// device, value dropout and the event field names (for explanations).
struct FitInputs<'a> {
    encoder: &'a Encoder,
    old: Option<&'a Arc<Vec<Session>>>,
    device: &'a Device,
    value_dropout: Option<&'a ValueDropout>,
    field_names: &'a [String],
    data_fingerprint: &'a str,
}

/// The GBDT's trees, or a neural model (after HUIHEN's pretraining step, with LBSF's merchant
/// vectors) trained with early stopping.
fn fit_model(split: &Split, opts: &TrainOptions, inputs: &FitInputs) -> Result<Fitted> {
    let FitInputs {
        encoder,
        old,
        device,
        value_dropout,
        field_names,
        data_fingerprint,
    } = *inputs;
    let mut config =
        ModelConfig::default_for(opts.model, encoder).with_overrides(&opts.overrides, encoder)?;
    if let (ModelConfig::Lbsf(c), Some(v)) = (&mut config, &opts.merchant_vectors) {
        c.merchant_vectors = Some([v.names().len() + 1, v.dim()]);
    }
    let (init, steps) = match old {
        Some(old) => {
            let pretrained = pretrained_upi(encoder, old, &config, opts, device, data_fingerprint)?;
            device.seed(opts.seed);
            let fresh = config.init(device);
            (Some(fresh.with_pretrained_upi(pretrained)), " (step 2/2)")
        }
        None => (
            opts.merchant_vectors.as_ref().map(|v| {
                device.seed(opts.seed);
                config.init(device).with_merchant_vectors(v)
            }),
            "",
        ),
    };
    let step = Step {
        name: format!("training {}{steps}", opts.model),
        checkpoint: opts.model.to_string(),
        init,
        teacher: None,
        value_dropout,
    };
    fit_neural(config, field_names, split, opts, device, step)
}

/// The test split's results: the model's metrics and explanations, and the baselines' on the
/// same sessions.
struct Tested {
    /// The model's test scores (uncalibrated) and the test labels.
    scores: Vec<f64>,
    labels: Vec<bool>,
    metrics: Metrics,
    roc: Vec<RocPoint>,
    planted: Option<PlantedHitRate>,
    planted_top_decile: Option<PlantedHitRate>,
    true_positives: Vec<TruePositive>,
    single_feature: Option<SingleFeature>,
    gbdt: Option<Metrics>,
    card_precision: Option<CardPrecisions>,
}

/// The test positives flagged at a 1% false-positive rate (scored above the 99th percentile
/// of negatives) with their explanations, and how often an explanation's top events hold a
/// planted one: on those, and on the positives among the top 10% of scores.
fn explanations_checked(
    sessions: &[Session],
    test_idx: &[usize],
    scored: &[(f64, Explanation)],
    test_labels: &[bool],
) -> (
    Vec<TruePositive>,
    Option<PlantedHitRate>,
    Option<PlantedHitRate>,
) {
    let scores: Vec<f64> = scored.iter().map(|x| x.0).collect();
    // the positive test sessions whose score passes `keep`
    let positives = |keep: &dyn Fn(f64) -> bool| {
        test_idx
            .iter()
            .zip(scored)
            .filter(|(i, (s, _))| sessions[**i].label == Some(true) && keep(*s))
            .collect::<Vec<_>>()
    };
    let threshold = flag_threshold(&scores, test_labels);
    let true_positives: Vec<TruePositive> = positives(&|s| s > threshold)
        .into_iter()
        .map(|(&session, (_, explanation))| TruePositive {
            session,
            explanation: explanation.clone(),
        })
        .collect();
    let planted = planted_hit_rate(
        true_positives
            .iter()
            .map(|tp| (&sessions[tp.session], &tp.explanation)),
        TOP_EVENTS,
    );
    let mut ranked = scores;
    ranked.sort_by(|a, b| b.total_cmp(a));
    let decile = ranked[(ranked.len() / 10).min(ranked.len() - 1)];
    let planted_top_decile = planted_hit_rate(
        positives(&|s| s >= decile)
            .into_iter()
            .map(|(&i, (_, explanation))| (&sessions[i], explanation)),
        TOP_EVENTS,
    );
    (true_positives, planted, planted_top_decile)
}

/// Score the test sessions (`test_idx`, encoded as `test`) with `model`, check its
/// explanations against planted events, and put the baselines beside it: the best single
/// feature chosen on the validation sessions, the GBDT grown on `split` (when
/// `gbdt_baseline`), and card precision@100 per day where sessions name their card.
fn test_model(
    model: &Model,
    sessions: &[Session],
    [valid_idx, test_idx]: [&[usize]; 2],
    test: &[&EncodedSession],
    split: &Split,
    opts: &TrainOptions,
    inputs: &FitInputs,
) -> Result<Tested> {
    let (encoder, device, field_names) = (inputs.encoder, inputs.device, inputs.field_names);
    let of = |idx: &[usize]| -> Vec<&Session> { idx.iter().map(|&i| &sessions[i]).collect() };
    let test_labels = labels(sessions, test_idx);
    let scored = score_encoded(model, field_names, test, device)?;
    let scores: Vec<f64> = scored.iter().map(|x| x.0).collect();
    let metrics = Metrics::compute(&scores, &test_labels);
    let gbdt_scores = if opts.gbdt_baseline && opts.model != ModelSpec::Gbdt {
        // a baseline that cannot be grown (data too small for the trees, say) is reported,
        // never the end of the model's training
        let grown = fit_gbdt(encoder, split, opts, device)
            .and_then(|baseline| scores_of(&baseline.model, field_names, test, device));
        match grown {
            Ok(scores) => Some(scores),
            Err(e) => {
                eprintln!("warning: the GBDT baseline could not be grown: {e:#}");
                None
            }
        }
    } else {
        None
    };
    let (true_positives, planted, planted_top_decile) =
        explanations_checked(sessions, test_idx, &scored, &test_labels);
    let test_sessions = of(test_idx);
    let single_feature = best_single_feature(encoder, &of(valid_idx), &test_sessions);
    let card_precision = card_precision(sessions, test_idx, &scores).map(|model| {
        let baseline = |scores: &[f64]| card_precision(sessions, test_idx, scores);
        CardPrecisions {
            model,
            single_feature: single_feature
                .as_ref()
                .and_then(|f| baseline(&f.scores(encoder, &test_sessions))),
            gbdt: gbdt_scores.as_deref().and_then(baseline),
        }
    });
    Ok(Tested {
        metrics,
        roc: roc_curve(&scores, &test_labels).unwrap_or_default(),
        planted,
        planted_top_decile,
        true_positives,
        single_feature,
        gbdt: gbdt_scores.map(|scores| Metrics::compute(&scores, &test_labels)),
        card_precision,
        scores,
        labels: test_labels,
    })
}

/// The train, validation and test indices of `sessions` as `opts.split` says, each part
/// checked to hold both labels.
fn split_checked(sessions: &[Session], opts: &TrainOptions) -> Result<[Vec<usize>; 3]> {
    let parts = match opts.split {
        SplitMode::Random => split(sessions, opts.valid_share, opts.test_share, opts.seed),
        SplitMode::Time => split_by_time(sessions, opts.valid_share, opts.test_share),
    };
    let [train, valid, test] = &parts;
    check_labels(
        sessions,
        "training",
        &[("train", train), ("validation", valid), ("test", test)],
    )?;
    Ok(parts)
}

/// Train a model on labelled sessions.
pub fn train(
    sessions: &[Session],
    schema: &Schema,
    opts: &TrainOptions,
    data_fingerprint: &str,
) -> Result<TrainOutcome> {
    check_options(schema, opts)?;
    let [train_idx, valid_idx, test_idx] = split_checked(sessions, opts)?;
    let train_sessions: Vec<&Session> = train_idx.iter().map(|&i| &sessions[i]).collect();
    let old = pretraining_sessions(opts)?;
    let encoder = fit_encoder(schema, opts, &train_sessions, old.as_ref())?;
    let grown = grow_gbdt_model(&encoder, sessions, [&train_idx, &valid_idx], opts)?;
    let encoded = encode_each(&encoder, sessions, train_idx.iter().chain(&valid_idx));
    let split = Split::of(&encoded, sessions, [&train_idx, &valid_idx]);
    let field_names = encoder.event_field_names();
    let infer_device = opts.backend.device()?;
    let value_dropout =
        (opts.value_dropout > 0.0).then(|| ValueDropout::new(&encoder, opts.value_dropout));
    let inputs = FitInputs {
        encoder: &encoder,
        old: old.as_ref(),
        device: &infer_device,
        value_dropout: value_dropout.as_ref(),
        field_names: &field_names,
        data_fingerprint,
    };
    let Fitted {
        config,
        model: best_model,
        valid_auc,
        best_epoch,
        history,
    } = match grown {
        Some(grown) => fitted_gbdt(grown, &encoder, &split, opts, &infer_device)?,
        None => fit_model(&split, opts, &inputs)?,
    };
    let valid_scores = scores_of(&best_model, &field_names, &split.valid, &infer_device)?;
    let calibrated = calibration::fit(
        opts.calibration,
        &valid_scores.iter().map(|&p| logit(p)).collect::<Vec<_>>(),
        &split.valid_labels,
    );
    let calibrate = |scores: &[f64]| -> Vec<f64> {
        match &calibrated {
            Some(c) => scores.iter().map(|&p| c.calibrator.calibrate(p)).collect(),
            None => scores.to_vec(),
        }
    };
    // the thresholds are on the score users see, the calibrated one
    let valid_calibrated = calibrate(&valid_scores);
    let threshold = flag_threshold(&valid_calibrated, &split.valid_labels);
    let policy_points = policy_points(&valid_calibrated, &split.valid_labels);
    let monitoring = Reference::fit(&encoder, &train_sessions, &valid_scores);
    let tested = test_model(
        &best_model,
        sessions,
        [&valid_idx, &test_idx],
        // encoded once the model is grown, so that the fit's peak memory holds no test
        // encodings (the GBDT's at 100,000 sessions: issue 27)
        &encode_each(&encoder, sessions, test_idx.iter())
            .iter()
            .collect::<Vec<_>>(),
        &split,
        opts,
        &inputs,
    )?;
    let count = |idx: &[usize]| labels(sessions, idx).iter().filter(|&&l| l).count();
    let training = TrainingSummary {
        split_sessions: [train_idx.len(), valid_idx.len(), test_idx.len()],
        split_positives: [count(&train_idx), count(&valid_idx), count(&test_idx)],
        epochs: history.len(),
        best_epoch,
        seed: opts.seed,
        valid_auc,
        threshold,
        planted_top3: tested.planted.as_ref().map(|p| (p.hit_rate, p.random_rate)),
    };
    let test_calibrated = calibrate(&tested.scores);
    let calibration = calibrated.map(|c| CalibrationSummary {
        test_raw: CalibrationMetrics::compute(&tested.scores, &tested.labels),
        test_calibrated: CalibrationMetrics::compute(&test_calibrated, &tested.labels),
        calibrator: c.calibrator,
        log_loss: c.log_loss,
    });
    let header = Header {
        seqrisk_version: env!("CARGO_PKG_VERSION").to_string(),
        created_unix: created_unix(),
        model_config_json: serde_json::to_string(&config)?,
        encoder,
        test_metrics: Some(tested.metrics),
        test_roc: tested.roc,
        data_fingerprint: data_fingerprint.to_string(),
        training,
        calibration,
        policy_points,
        monitoring: Some(monitoring),
    };
    Ok(TrainOutcome {
        artifact: Artifact::new(header, best_model)?,
        metrics: tested.metrics,
        planted: tested.planted,
        planted_top_decile: tested.planted_top_decile,
        true_positives: tested.true_positives,
        history,
        single_feature: tested.single_feature,
        gbdt: tested.gbdt,
        card_precision: tested.card_precision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Negatives scoring 0.00, 0.01, …, 0.99: 1% of them (one) lies above the 99th.
    #[test]
    fn flag_threshold_lets_one_percent_of_negatives_above() {
        let mut scores: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
        let mut labels = vec![false; 100];
        scores.extend([0.5, 0.995]);
        labels.extend([true, true]);
        let t = flag_threshold(&scores, &labels);
        assert_eq!(t, 0.99);
        let above = (0..100).filter(|&i| scores[i] >= t).count();
        assert_eq!(above, 1);
        assert_eq!(flag_threshold(&[0.3], &[true]), 0.5, "no negatives");
        // calibrated scores tie: 97 negatives at 0, 3 at 0.2; positives at 0.2 and 0.9. The
        // 99th percentile (0.2) ties below it and flags 3%; 0.9 flags no negative
        let mut scores = vec![0.0; 97];
        scores.extend([0.2, 0.2, 0.2, 0.2, 0.9]);
        let labels: Vec<bool> = (0..102).map(|i| i >= 100).collect();
        assert_eq!(flag_threshold(&scores, &labels), 0.9);
        // every negative at 0 and nothing above: 0 stays (there is no better threshold)
        assert_eq!(flag_threshold(&[0.0; 4], &[false, false, false, true]), 0.0);
    }

    /// Eq. (16) on two sessions against the definitions: cross-entropy plus α/2 times the two
    /// Bernoulli KL divergences written out.
    #[test]
    fn teacher_loss_by_hand() {
        let device = Device::flex();
        let (z, y, q, alpha) = ([0.5f64, -1.2], [1.0f64, 0.0], [0.8f64, 0.3], 0.7);
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        let kl = |a: f64, b: f64| a * (a / b).ln() + (1.0 - a) * ((1.0 - a) / (1.0 - b)).ln();
        let expected = (0..2)
            .map(|i| {
                let p = sig(z[i]);
                let ce = -(y[i] * p.ln() + (1.0 - y[i]) * (1.0 - p).ln());
                ce + alpha / 2.0 * (kl(p, q[i]) + kl(q[i], p))
            })
            .sum::<f64>()
            / 2.0;
        let t = |v: [f64; 2]| Tensor::<1>::from_data([v[0] as f32, v[1] as f32], &device);
        let got = teacher_loss(t(z), t(y), t(q), alpha).into_scalar::<f32>();
        assert!(
            (f64::from(got) - expected).abs() < 1e-6,
            "{got} vs {expected}"
        );
        // a teacher that agrees with the model adds nothing
        let agree = teacher_loss(t(z), t(y), t([sig(z[0]), sig(z[1])]), alpha).into_scalar::<f32>();
        let plain = bce_with_logits(t(z), t(y)).into_scalar::<f32>();
        assert!((agree - plain).abs() < 1e-6);
    }
}

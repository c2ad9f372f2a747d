//! `seqrisk tune`: model selection within a wall-clock budget.
//!
//! Random search with successive halving (Jamieson & Talwalkar 2016, the brackets of
//! Hyperband, Li et al. 2018) on validation AUC. A *bracket* draws `η^(rungs−1)` settings from
//! the [`SearchSpace`] and trains each for `min_epochs`; the best `1/η` of a rung go on to the
//! next with `η×` the epochs, until one is left. Brackets follow one another until the budget
//! is spent. Every trial trains from scratch with the same split and seed, so trials differ by
//! their settings alone; early stopping keeps each trial's best epoch.
//!
//! The draws come from the search seed and the bracket's number, so a search is reproducible,
//! and a resumed search replays the trials it finds in the trials file instead of rerunning
//! them. Test metrics are never looked at: selection is on validation only.

use anyhow::{Result, bail};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use seqrisk_core::error::InvalidParam;
use seqrisk_core::models::ModelSpec;
use seqrisk_core::schema::{Binning, NumericEncoding, Schema, Session};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

use crate::settings::Settings;
use crate::train::{TrainOptions, train};

/// Where each setting is drawn from; a range that is `None` or a list that is empty is a
/// setting the model has no place for, left unset (and no random number is drawn for it, so a
/// model's draws do not change when settings of other models are added).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchSpace {
    /// Learning rate, log-uniform between the two.
    pub learning_rate: Option<(f64, f64)>,
    /// Mini-batch sizes.
    pub batch_size: Vec<usize>,
    /// L2 penalty, log-uniform between the two.
    pub weight_decay: Option<(f64, f64)>,
    /// Value-dropout rates.
    pub value_dropout: Vec<f64>,
    /// Embedding sizes (empty: the model has none to set).
    pub embedding_dim: Vec<usize>,
    /// Dropout rates (empty: the model has none to set).
    pub dropout: Vec<f64>,
    /// Whether the wide part reads the session's aggregates (empty: the model has no place for them).
    pub aggregates: Vec<bool>,
    /// Numeric encodings (empty: the data has no numeric field).
    pub numeric_encoding: Vec<NumericEncoding>,
    /// Quantile buckets or PLE bins, drawn when the encoding is `quantile` or `ple`.
    pub bins: Vec<usize>,
    /// Where their edges fall, drawn with `bins`.
    pub binning: Vec<Binning>,
    /// Frequency thresholds of categorical values.
    pub min_count: Vec<usize>,
    /// Whether the derived time features are read (empty: the schema has none to drop).
    pub time_features: Vec<bool>,
    /// The GBDT's shrinkage, log-uniform between the two.
    pub shrinkage: Option<(f64, f64)>,
    /// The GBDT's deepest tree.
    pub max_depth: Vec<usize>,
}

impl SearchSpace {
    /// The space for `model` on data of `schema`: around the papers' defaults, wide enough to
    /// reach the settings that held up on realistic data (buckets, value dropout, smaller
    /// embeddings), over what the model has a place for. The GBDT's are its trees' shrinkage
    /// and depth around XGBoost's defaults, and the encodings its aggregates read.
    pub fn for_model(model: ModelSpec, schema: &Schema) -> Self {
        let numeric = schema
            .event
            .numeric
            .iter()
            .chain(&schema.profile.numeric)
            .any(|f| f.encoding.is_none())
            || schema.time_features;
        let encodings = Self {
            learning_rate: None,
            batch_size: vec![],
            weight_decay: None,
            value_dropout: vec![],
            embedding_dim: vec![],
            dropout: vec![],
            aggregates: vec![],
            numeric_encoding: if numeric {
                NumericEncoding::ALL.to_vec()
            } else {
                vec![]
            },
            bins: vec![8, 16, 32, 64],
            binning: Binning::ALL.to_vec(),
            min_count: vec![1, 2, 5, 10, 20],
            time_features: if schema.time_features {
                vec![true, false]
            } else {
                vec![]
            },
            shrinkage: None,
            max_depth: vec![],
        };
        if model == ModelSpec::Gbdt {
            return Self {
                shrinkage: Some((0.02, 0.3)),
                max_depth: vec![3, 4, 5, 6, 8],
                ..encodings
            };
        }
        let can = model.overridable();
        Self {
            learning_rate: Some((1e-4, 3e-3)),
            batch_size: vec![64, 128, 256, 512],
            weight_decay: Some((1e-8, 1e-3)),
            value_dropout: vec![0.0, 0.1, 0.2, 0.3, 0.5],
            embedding_dim: if can.embedding_dim {
                vec![8, 16, 32, 64]
            } else {
                vec![]
            },
            dropout: if can.dropout {
                vec![0.0, 0.1, 0.2, 0.3, 0.5]
            } else {
                vec![]
            },
            aggregates: if can.aggregates {
                vec![false, true]
            } else {
                vec![]
            },
            ..encodings
        }
    }

    /// One draw.
    pub fn sample(&self, rng: &mut impl Rng) -> Settings {
        let log_uniform = |rng: &mut dyn rand::RngCore, (lo, hi): (f64, f64)| {
            let u: f64 = rng.random();
            (lo.ln() + u * (hi.ln() - lo.ln())).exp()
        };
        let learning_rate = self
            .learning_rate
            .map(|range| round3(log_uniform(rng, range)));
        let weight_decay = self
            .weight_decay
            .map(|range| round3(log_uniform(rng, range)));
        let numeric_encoding = self.numeric_encoding.choose(rng).copied();
        let binned = matches!(
            numeric_encoding,
            Some(NumericEncoding::Quantile | NumericEncoding::Ple)
        );
        Settings {
            preset: None,
            learning_rate,
            batch_size: self.batch_size.choose(rng).copied(),
            weight_decay,
            value_dropout: self.value_dropout.choose(rng).copied(),
            embedding_dim: self.embedding_dim.choose(rng).copied(),
            dropout: self.dropout.choose(rng).copied(),
            aggregates: self.aggregates.choose(rng).copied(),
            numeric_encoding,
            bins: binned.then(|| self.bins.choose(rng).copied()).flatten(),
            binning: binned.then(|| self.binning.choose(rng).copied()).flatten(),
            min_count: self.min_count.choose(rng).copied(),
            shrinkage: self.shrinkage.map(|range| round3(log_uniform(rng, range))),
            max_depth: self.max_depth.choose(rng).copied(),
            // drawn last, so the other settings' draws are those of a space without it
            time_features: self.time_features.choose(rng).copied(),
        }
    }
}

/// `x` to three significant digits, so the settings file reads like one a person wrote.
fn round3(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(2 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// How the search runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneOptions {
    /// Wall-clock budget of the whole search.
    pub budget: Duration,
    /// Seed of the draws.
    pub seed: u64,
    /// η: the share `1/η` of a rung goes on, with `η×` the epochs.
    pub eta: usize,
    /// Epochs of a bracket's first rung.
    pub min_epochs: usize,
    /// Rungs per bracket (the last trains for `min_epochs · η^(rungs−1)` epochs).
    pub rungs: usize,
    /// Stop after this many trials (replayed ones included), whatever the budget left.
    pub max_trials: Option<usize>,
}

impl Default for TuneOptions {
    fn default() -> Self {
        Self {
            budget: Duration::from_secs(30 * 60),
            seed: 1,
            eta: 3,
            min_epochs: 2,
            rungs: 3,
            max_trials: None,
        }
    }
}

impl TuneOptions {
    /// These options as `model` runs them: boosting has no epochs to halve, so every GBDT draw
    /// is grown once, to its early stop (one rung of one epoch: a plain random search).
    pub fn for_model(self, model: ModelSpec) -> Self {
        if model == ModelSpec::Gbdt {
            Self {
                min_epochs: 1,
                rungs: 1,
                ..self
            }
        } else {
            self
        }
    }

    /// How a search of `model` runs, in words.
    pub fn plan(&self, model: ModelSpec) -> String {
        if model == ModelSpec::Gbdt {
            return "random search, each draw grown to its early stop".to_string();
        }
        format!(
            "brackets of {} draws, epochs {}",
            self.bracket_size(),
            (0..self.rungs)
                .map(|r| self.epochs(r).to_string())
                .collect::<Vec<_>>()
                .join(" → ")
        )
    }

    /// Check the search can run, naming the setting.
    pub fn validate(&self) -> seqrisk_core::Result<()> {
        let bad = |name, expected: &str, got: &dyn std::fmt::Display| {
            Err(InvalidParam::new(name, expected, got).into())
        };
        if self.budget.is_zero() {
            return bad("budget", "longer than 0 s", &"0 s");
        }
        if self.eta < 2 {
            return bad("eta", "at least 2", &self.eta);
        }
        if self.min_epochs == 0 {
            return bad("min_epochs", "at least 1", &0);
        }
        // η^(rungs−1) settings per bracket
        if !(1..=6).contains(&self.rungs) {
            return bad("rungs", "between 1 and 6", &self.rungs);
        }
        Ok(())
    }

    /// Settings drawn per bracket: `η^(rungs−1)`.
    pub fn bracket_size(&self) -> usize {
        self.eta.pow(self.rungs as u32 - 1)
    }

    /// Maximum epochs of rung `r`.
    pub fn epochs(&self, rung: usize) -> usize {
        self.min_epochs * self.eta.pow(rung as u32)
    }
}

/// One training run of the search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Bracket, from 0.
    pub bracket: usize,
    /// The settings' draw within the bracket, from 0.
    pub draw: usize,
    /// Rung, from 0.
    pub rung: usize,
    /// Maximum epochs it was given.
    pub max_epochs: usize,
    /// The settings.
    pub settings: Settings,
    /// What it reached.
    pub result: TrialResult,
}

/// What one training run reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    /// Best validation AUC over its epochs (NaN when training failed).
    pub valid_auc: f64,
    /// The epoch it came from.
    pub best_epoch: usize,
    /// Epochs run (fewer than the maximum after early stopping or at the deadline).
    pub epochs_run: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Stopped by the end of the budget.
    pub cut: bool,
}

/// The trials file: what a resumed search must match, and every trial so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneState {
    /// The model.
    pub model: String,
    /// The data's fingerprint.
    pub data: String,
    /// Seed of the draws.
    pub seed: u64,
    /// η, first rung's epochs and rungs, which fix what each trial is.
    pub eta: usize,
    /// Epochs of the first rung.
    pub min_epochs: usize,
    /// Rungs per bracket.
    pub rungs: usize,
    /// Every trial, in the order run.
    pub trials: Vec<Trial>,
}

impl TuneState {
    /// A search of `model` on data `data` with `opts`, no trial run yet.
    pub fn new(model: &str, data: &str, opts: &TuneOptions) -> Self {
        Self {
            model: model.to_string(),
            data: data.to_string(),
            seed: opts.seed,
            eta: opts.eta,
            min_epochs: opts.min_epochs,
            rungs: opts.rungs,
            trials: vec![],
        }
    }

    /// The best trial on validation AUC (ties: the earlier), if any finished.
    pub fn best(&self) -> Option<&Trial> {
        self.trials
            .iter()
            .filter(|t| t.result.valid_auc.is_finite())
            .fold(None, |best: Option<&Trial>, t| match best {
                Some(b) if b.result.valid_auc >= t.result.valid_auc => Some(b),
                _ => Some(t),
            })
    }

    /// Wall-clock seconds of all trials.
    pub fn seconds(&self) -> f64 {
        self.trials.iter().map(|t| t.result.seconds).sum()
    }

    /// The trials as a Markdown table, best validation AUC first.
    pub fn markdown(&self) -> String {
        let mut trials: Vec<&Trial> = self.trials.iter().collect();
        trials.sort_by(|a, b| b.result.valid_auc.total_cmp(&a.result.valid_auc));
        let opt = |v: Option<String>| v.unwrap_or_else(|| "–".into());
        let header = [
            "valid AUC",
            "bracket.draw",
            "rung",
            "epochs (best / run / max)",
            "learning rate",
            "batch",
            "L2",
            "value dropout",
            "k",
            "dropout",
            "aggregates",
            "numeric",
            "min count",
            "time features",
            "shrinkage",
            "depth",
            "seconds",
        ];
        let rows: Vec<[String; 17]> = trials
            .iter()
            .map(|t| {
                let c = &t.settings;
                let r = &t.result;
                [
                    format!("{:.4}", r.valid_auc),
                    format!("{}.{}", t.bracket, t.draw),
                    t.rung.to_string(),
                    format!(
                        "{} / {} / {}{}",
                        r.best_epoch,
                        r.epochs_run,
                        t.max_epochs,
                        if r.cut { " (cut)" } else { "" }
                    ),
                    opt(c.learning_rate.map(|v| format!("{v:.2e}"))),
                    opt(c.batch_size.map(|v| v.to_string())),
                    opt(c.weight_decay.map(|v| format!("{v:.1e}"))),
                    opt(c.value_dropout.map(|v| v.to_string())),
                    opt(c.embedding_dim.map(|v| v.to_string())),
                    opt(c.dropout.map(|v| v.to_string())),
                    opt(c
                        .aggregates
                        .map(|v| if v { "yes" } else { "no" }.to_string())),
                    opt(c.numeric_encoding.map(|e| match (c.bins, c.binning) {
                        (Some(b), Some(by)) => format!("{e} {b} ({by})"),
                        (Some(b), None) => format!("{e} {b}"),
                        _ => e.to_string(),
                    })),
                    opt(c.min_count.map(|v| v.to_string())),
                    opt(c
                        .time_features
                        .map(|v| if v { "yes" } else { "no" }.to_string())),
                    opt(c.shrinkage.map(|v| v.to_string())),
                    opt(c.max_depth.map(|v| v.to_string())),
                    format!("{:.0}", r.seconds),
                ]
            })
            .collect();
        // a setting no trial sets (the trees' for a neural model, the network's for the GBDT)
        // gets no column
        let shown: Vec<usize> = (0..header.len())
            .filter(|&j| rows.is_empty() || rows.iter().any(|row| row[j] != "–"))
            .collect();
        let line = |cells: Vec<&str>| format!("| {} |\n", cells.join(" | "));
        let mut s = line(shown.iter().map(|&j| header[j]).collect());
        s.push_str(&line(shown.iter().map(|_| "---").collect()));
        for row in &rows {
            s.push_str(&line(shown.iter().map(|&j| row[j].as_str()).collect()));
        }
        s
    }
}

/// Who goes on from a rung: its draws ranked by validation AUC (failed trials last, ties to
/// the earlier draw), the best `max(1, ⌊n/η⌋)` kept, in draw order.
pub fn promote(rung: &[(usize, f64)], eta: usize) -> Vec<usize> {
    let mut ranked: Vec<(usize, f64)> = rung.to_vec();
    ranked.sort_by(|a, b| {
        let key = |v: f64| if v.is_finite() { v } else { f64::NEG_INFINITY };
        key(b.1).total_cmp(&key(a.1)).then(a.0.cmp(&b.0))
    });
    let keep = (rung.len() / eta).max(1);
    let mut kept: Vec<usize> = ranked.into_iter().take(keep).map(|(d, _)| d).collect();
    kept.sort_unstable();
    kept
}

/// Run the search. `run(settings, max_epochs, deadline)` trains one trial; `state.trials`
/// already holding a trial (a resumed search) replays it instead. `saved` is called with the
/// state after every trial, to write the trials file. Stops when the budget is spent (a trial
/// whose expected time no longer fits is not started; one under way stops at the deadline).
pub fn search(
    space: &SearchSpace,
    opts: &TuneOptions,
    state: &mut TuneState,
    mut run: impl FnMut(&Settings, usize, Instant) -> Result<TrialResult>,
    mut saved: impl FnMut(&TuneState) -> Result<()>,
) -> Result<()> {
    opts.validate()?;
    let done = std::mem::take(&mut state.trials);
    let mut replayed = 0;
    let budget = opts.budget.as_secs_f64();
    let started = Instant::now();
    let spent_before: f64 = done.iter().map(|t| t.result.seconds).sum();
    for bracket in 0.. {
        let mut rng =
            SmallRng::seed_from_u64(opts.seed ^ (bracket as u64).wrapping_mul(0x9e37_79b9));
        let draws: Vec<Settings> = (0..opts.bracket_size())
            .map(|_| space.sample(&mut rng))
            .collect();
        let mut alive: Vec<usize> = (0..draws.len()).collect();
        for rung in 0..opts.rungs {
            let max_epochs = opts.epochs(rung);
            let mut results = Vec::with_capacity(alive.len());
            for &draw in &alive {
                let key = (bracket, draw, rung);
                let (result, fresh) = match done.get(replayed) {
                    Some(t) if (t.bracket, t.draw, t.rung) == key => {
                        if t.settings != draws[draw] || t.max_epochs != max_epochs {
                            bail!(
                                "the trials file's trial {bracket}.{draw} (rung {rung}) has other settings than this search draws: another seed, search space or version wrote it; start without --resume"
                            );
                        }
                        replayed += 1;
                        (t.result, false)
                    }
                    Some(_) => bail!(
                        "the trials file does not follow this search's order at its trial {}; start without --resume",
                        replayed + 1
                    ),
                    None => {
                        // the trials' own seconds, or the wall clock where it ran longer
                        let spent = state
                            .seconds()
                            .max(spent_before + started.elapsed().as_secs_f64());
                        let enough = opts.max_trials.is_some_and(|n| state.trials.len() >= n);
                        if enough || !fits(state, max_epochs, spent, budget) {
                            return Ok(());
                        }
                        let deadline = Instant::now() + Duration::from_secs_f64(budget - spent);
                        (run(&draws[draw], max_epochs, deadline)?, true)
                    }
                };
                state.trials.push(Trial {
                    bracket,
                    draw,
                    rung,
                    max_epochs,
                    settings: draws[draw].clone(),
                    result,
                });
                if fresh {
                    saved(state)?;
                }
                if result.cut {
                    return Ok(());
                }
                results.push((draw, result.valid_auc));
            }
            alive = promote(&results, opts.eta);
        }
    }
    Ok(())
}

/// Whether a trial of `max_epochs` is expected to end within the budget, at the seconds per
/// epoch seen so far (the first trial always starts: there is nothing to go by).
fn fits(state: &TuneState, max_epochs: usize, spent: f64, budget: f64) -> bool {
    let (seconds, epochs) = state.trials.iter().fold((0.0, 0usize), |(s, e), t| {
        (s + t.result.seconds, e + t.result.epochs_run)
    });
    if spent >= budget {
        return false;
    }
    if epochs == 0 {
        return true;
    }
    // early stopping often ends a trial before its maximum; expect at least half of it
    let expected = seconds / epochs as f64 * (max_epochs as f64 / 2.0).ceil();
    spent + expected <= budget
}

/// One trial through [`train`]: `base`'s options with `settings` applied and `max_epochs`,
/// the validation AUC and epoch of the weights early stopping kept.
pub fn train_trial(
    sessions: &[Session],
    schema: &Schema,
    base: &TrainOptions,
    data_fingerprint: &str,
    settings: &Settings,
    max_epochs: usize,
    deadline: Instant,
) -> Result<TrialResult> {
    let mut opts = TrainOptions {
        epochs: max_epochs,
        deadline: Some(deadline),
        progress: false,
        checkpoint_dir: None,
        resume: false,
        gbdt_baseline: false,
        ..base.clone()
    };
    let mut schema = schema.clone();
    settings
        .resolve(opts.model, &schema)
        .apply(&mut opts, &mut schema)?;
    let started = Instant::now();
    let outcome = match train(sessions, &schema, &opts, data_fingerprint) {
        Ok(o) => o,
        // a diverged run is a bad draw, not a failed search
        Err(e) if e.to_string().contains("training diverged") => {
            return Ok(TrialResult {
                valid_auc: f64::NAN,
                best_epoch: 0,
                epochs_run: 0,
                seconds: started.elapsed().as_secs_f64(),
                cut: false,
            });
        }
        Err(e) => return Err(e),
    };
    let seconds = started.elapsed().as_secs_f64();
    // the epoch whose weights early stopping kept, as the artifact records it (a later epoch
    // within `min_delta` of it is not "better", so the maximum over the log can differ)
    let kept = &outcome.artifact.header.training;
    let epochs_run = outcome.history.len();
    Ok(TrialResult {
        valid_auc: kept.valid_auc,
        best_epoch: kept.best_epoch,
        epochs_run,
        seconds,
        cut: epochs_run < max_epochs && Instant::now() >= deadline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> SearchSpace {
        SearchSpace::for_model(
            ModelSpec::Nhfm(Default::default()),
            &Schema::synthetic_default(),
        )
    }

    fn state() -> TuneState {
        TuneState {
            model: "nhfm".into(),
            data: "d".into(),
            seed: 7,
            eta: 3,
            min_epochs: 2,
            rungs: 3,
            trials: vec![],
        }
    }

    /// A made-up objective: better with a learning rate near 1e-3 and with more epochs, one
    /// second per epoch.
    fn objective(s: &Settings, epochs: usize) -> TrialResult {
        let lr = s.learning_rate.unwrap();
        TrialResult {
            valid_auc: 0.9 - (lr.log10() + 3.0).abs() * 0.1 + epochs as f64 * 1e-3,
            best_epoch: epochs,
            epochs_run: epochs,
            seconds: epochs as f64,
            cut: false,
        }
    }

    #[test]
    fn draws_are_seeded_and_inside_the_space() {
        let sp = space();
        let mut rng = SmallRng::seed_from_u64(3);
        let a: Vec<Settings> = (0..50).map(|_| sp.sample(&mut rng)).collect();
        let mut rng = SmallRng::seed_from_u64(3);
        assert_eq!(a[0], space().sample(&mut rng));
        for s in &a {
            let lr = s.learning_rate.unwrap();
            assert!((1e-4..=3e-3).contains(&lr), "{lr}");
            assert!(sp.embedding_dim.contains(&s.embedding_dim.unwrap()));
            let binned = s.numeric_encoding != Some(NumericEncoding::Scale);
            assert_eq!((s.bins.is_some(), s.binning.is_some()), (binned, binned));
            s.validate().unwrap();
        }
        // both binnings are drawn, and NHFM's wide part with and without the aggregates
        for b in Binning::ALL {
            assert!(a.iter().any(|s| s.binning == Some(b)), "{b}");
        }
        for on in [false, true] {
            assert!(a.iter().any(|s| s.aggregates == Some(on)), "{on}");
            assert!(a.iter().any(|s| s.time_features == Some(on)), "{on}");
        }
        // a schema without time features has none to drop
        let mut untimed = Schema::synthetic_default();
        untimed.time_features = false;
        let sp = SearchSpace::for_model(ModelSpec::Nhfm(Default::default()), &untimed);
        assert!(sp.sample(&mut rng).time_features.is_none());
        // the GBDT-free logistic regression has neither an embedding size, a dropout nor a
        // wide part to weigh aggregates
        let lr = SearchSpace::for_model(ModelSpec::Lr, &Schema::synthetic_default());
        let s = lr.sample(&mut rng);
        assert_eq!(
            (s.embedding_dim, s.dropout, s.aggregates),
            (None, None, None)
        );
        assert_eq!((s.shrinkage, s.max_depth), (None, None));
    }

    #[test]
    fn the_gbdt_draws_its_trees_and_encodings_only() {
        let sp = SearchSpace::for_model(ModelSpec::Gbdt, &Schema::synthetic_default());
        let mut rng = SmallRng::seed_from_u64(5);
        let draws: Vec<Settings> = (0..40).map(|_| sp.sample(&mut rng)).collect();
        for s in &draws {
            let shrinkage = s.shrinkage.unwrap();
            assert!((0.02..=0.3).contains(&shrinkage), "{shrinkage}");
            assert!(sp.max_depth.contains(&s.max_depth.unwrap()));
            assert!(s.numeric_encoding.is_some() && s.min_count.is_some());
            // nothing a tree has no place for
            assert_eq!(
                (
                    s.learning_rate,
                    s.batch_size,
                    s.weight_decay,
                    s.value_dropout
                ),
                (None, None, None, None)
            );
            assert_eq!(
                (s.embedding_dim, s.dropout, s.aggregates),
                (None, None, None)
            );
            s.validate().unwrap();
        }
        // the draws reach the trees: applied, they replace the boosting defaults
        let mut opts = TrainOptions {
            model: ModelSpec::Gbdt,
            ..TrainOptions::default()
        };
        let mut schema = Schema::synthetic_default();
        draws[0]
            .resolve(ModelSpec::Gbdt, &schema.clone())
            .apply(&mut opts, &mut schema)
            .unwrap();
        assert_eq!(opts.gbdt.learning_rate, draws[0].shrinkage.unwrap() as f32);
        assert_eq!(opts.gbdt.max_depth, draws[0].max_depth.unwrap());
        // one rung of one epoch: each draw is grown once
        let gbdt = TuneOptions::default().for_model(ModelSpec::Gbdt);
        assert_eq!((gbdt.bracket_size(), gbdt.epochs(0)), (1, 1));
        assert_eq!(
            TuneOptions::default().for_model(ModelSpec::Lstm4Fd),
            TuneOptions::default()
        );
        // its trial table shows what it searched, not the network's settings
        let mut st = state();
        st.trials.push(Trial {
            bracket: 0,
            draw: 0,
            rung: 0,
            max_epochs: 1,
            settings: draws[0].clone(),
            result: TrialResult {
                valid_auc: 0.7,
                best_epoch: 1,
                epochs_run: 1,
                seconds: 4.0,
                cut: false,
            },
        });
        let table = st.markdown();
        let header = table.lines().next().unwrap();
        assert!(header.contains("| shrinkage | depth |"), "{header}");
        assert!(
            !header.contains("learning rate") && !header.contains("| k |"),
            "{header}"
        );
        assert_eq!(table.lines().count(), 3, "{table}");
    }

    #[test]
    fn promotion_keeps_the_best_third_and_puts_failures_last() {
        let rung = [
            (0, 0.7),
            (1, f64::NAN),
            (2, 0.9),
            (3, 0.8),
            (4, 0.6),
            (5, 0.9),
        ];
        assert_eq!(promote(&rung, 3), vec![2, 5]);
        assert_eq!(promote(&[(0, f64::NAN), (1, 0.5)], 3), vec![1]);
        assert_eq!(round3(0.000_123_456), 0.000_123);
        assert_eq!(round3(1234.5), 1230.0);
    }

    #[test]
    fn successive_halving_spends_the_budget_and_promotes_the_best() {
        let opts = TuneOptions {
            budget: Duration::from_secs(100),
            seed: 7,
            ..TuneOptions::default()
        };
        let mut st = state();
        let mut runs = 0;
        search(
            &space(),
            &opts,
            &mut st,
            |s, e, _| {
                runs += 1;
                Ok(objective(s, e))
            },
            |_| Ok(()),
        )
        .unwrap();
        // bracket 0: 9 × 2 epochs, then 3 × 6, then 1 × 18 (54 made-up seconds); bracket 1
        // starts, and no trial starts once the seconds spent reach the budget
        let rungs: Vec<usize> = st.trials.iter().map(|t| t.rung).collect();
        assert_eq!(&rungs[..13], &[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2]);
        assert_eq!(runs, st.trials.len());
        let first: Vec<(usize, f64)> = st.trials[..9]
            .iter()
            .map(|t| (t.draw, t.result.valid_auc))
            .collect();
        let promoted: Vec<usize> = st.trials[9..12].iter().map(|t| t.draw).collect();
        assert_eq!(promoted, promote(&first, 3));
        assert!(st.trials.iter().any(|t| t.bracket == 1));
        let last = st.trials.last().unwrap().result.seconds;
        assert!(
            st.seconds() - last < 100.0 && st.seconds() >= 90.0,
            "{}",
            st.seconds()
        );
        let best = st.best().unwrap();
        assert!(
            st.trials
                .iter()
                .all(|t| t.result.valid_auc <= best.result.valid_auc)
        );
    }

    #[test]
    fn max_trials_stops_the_search() {
        let opts = TuneOptions {
            budget: Duration::from_secs(3600),
            max_trials: Some(5),
            ..TuneOptions::default()
        };
        let mut st = state();
        search(
            &space(),
            &opts,
            &mut st,
            |s, e, _| Ok(objective(s, e)),
            |_| Ok(()),
        )
        .unwrap();
        assert_eq!(st.trials.len(), 5);
    }

    #[test]
    fn a_resumed_search_replays_its_trials_and_goes_on_alike() {
        let opts = TuneOptions {
            budget: Duration::from_secs(3600),
            seed: 7,
            ..TuneOptions::default()
        };
        // an uninterrupted search, stopped by its runner after 20 trials
        let run_to = |limit: usize, st: &mut TuneState| {
            let mut n = 0;
            let r = search(
                &space(),
                &opts,
                st,
                |s, e, _| {
                    n += 1;
                    if n > limit {
                        bail!("interrupted")
                    }
                    Ok(objective(s, e))
                },
                |_| Ok(()),
            );
            (r, n)
        };
        let mut whole = state();
        assert!(run_to(20, &mut whole).0.is_err());
        let mut part = state();
        assert!(run_to(11, &mut part).0.is_err());
        assert_eq!(part.trials.len(), 11);
        let (r, n) = run_to(9, &mut part);
        assert!(r.is_err());
        // replayed 11 without running them, ran 9 more (the 10th was refused)
        assert_eq!(n, 10);
        assert_eq!(part.trials, whole.trials);
        // another seed draws other settings: the file is refused, not mixed in
        let other = TuneOptions { seed: 8, ..opts };
        let e = search(
            &space(),
            &other,
            &mut part,
            |s, e, _| Ok(objective(s, e)),
            |_| Ok(()),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("start without --resume"), "{e}");
    }
}

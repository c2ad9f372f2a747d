//! `seqrisk tune`: model selection within a wall-clock budget.
//!
//! Random search with successive halving (Jamieson & Talwalkar 2016, the brackets of
//! Hyperband, Li et al. 2018) on validation AUC. A *bracket* draws `η^(rungs−1)` settings from
//! the [`SearchSpace`] and trains each for `min_epochs`; the best `1/η` of a rung go on to the
//! next with `η×` the epochs, until one is left. Brackets follow one another until the budget
//! is spent. Every trial trains from scratch with the same split and seed, so trials differ by
//! their settings alone; early stopping keeps each trial's best epoch.
//!
//! One seed's validation AUC is a noisy judge: on MovieLens-100K two settings a hair apart on
//! validation differed by 0.008 on the later test period. So the search stops at
//! `1 − final_share` of the budget, and the *finals* train its best `finalists` distinct
//! settings again with `final_seeds − 1` other training seeds (round `r` uses seed + `r`), at
//! the last rung's epochs; the pick is the best mean validation AUC over the search's trial and
//! every round all finalists finished. The GBDT, which grows the same trees from every seed,
//! has no finals.
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
    /// Decays of the weights' moving average (0: none).
    pub ema_decay: Vec<f64>,
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
            ema_decay: vec![],
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
            // none, or a step's weight halving after 69, 138 or 346 steps
            ema_decay: vec![0.0, 0.99, 0.995, 0.998],
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
            // drawn last, so the other settings' draws are those of a space without them
            time_features: self.time_features.choose(rng).copied(),
            ema_decay: self.ema_decay.choose(rng).copied(),
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
    /// Stop the search after this many trials (replayed ones included), whatever the budget
    /// left; the finals still run.
    pub max_trials: Option<usize>,
    /// Distinct settings the finals train again (0: no finals).
    pub finalists: usize,
    /// Seeds each finalist is judged on, the search's own included (1: no finals).
    pub final_seeds: usize,
    /// Share of the budget kept for the finals.
    pub final_share: f64,
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
            finalists: 4,
            final_seeds: 3,
            final_share: 0.2,
        }
    }
}

impl TuneOptions {
    /// These options as `model` runs them: boosting has no epochs to halve, so every GBDT draw
    /// is grown once, to its early stop (one rung of one epoch: a plain random search), and no
    /// finals (its trees do not depend on the training seed).
    pub fn for_model(self, model: ModelSpec) -> Self {
        if model == ModelSpec::Gbdt {
            Self {
                min_epochs: 1,
                rungs: 1,
                final_seeds: 1,
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
        let finals = if self.has_finals() {
            format!(
                "; then the best {} settings with {} more seeds ({:.0}% of the budget)",
                self.finalists,
                self.final_seeds - 1,
                self.final_share * 100.0
            )
        } else {
            String::new()
        };
        format!(
            "brackets of {} draws, epochs {}{finals}",
            self.bracket_size(),
            (0..self.rungs)
                .map(|r| self.epochs(r).to_string())
                .collect::<Vec<_>>()
                .join(" → ")
        )
    }

    /// Whether finalists are trained again with other seeds.
    pub fn has_finals(&self) -> bool {
        self.finalists > 0 && self.final_seeds > 1
    }

    /// Seconds of the budget the search itself may spend.
    fn search_budget(&self) -> f64 {
        let budget = self.budget.as_secs_f64();
        if self.has_finals() {
            budget * (1.0 - self.final_share)
        } else {
            budget
        }
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
        if self.final_seeds == 0 {
            return bad("final_seeds", "at least 1 (1: no finals)", &0);
        }
        if !(0.0..=0.9).contains(&self.final_share) {
            return bad("final_share", "between 0 and 0.9", &self.final_share);
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

impl Trial {
    /// The progress line of the search's `n`-th trial.
    pub fn line(&self, n: usize) -> String {
        format!(
            "trial {n:>3} ({}.{} rung {}, ≤{} epochs): valid AUC {:.4} in {:.0} s{}  {}",
            self.bracket,
            self.draw,
            self.rung,
            self.max_epochs,
            self.result.valid_auc,
            self.result.seconds,
            self.result.cut_note(),
            self.settings.summary()
        )
    }
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

impl TrialResult {
    /// What a progress line says of a run the budget stopped.
    fn cut_note(&self) -> &'static str {
        if self.cut { " (cut by the budget)" } else { "" }
    }
}

/// A finalist trained again under another seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalTrial {
    /// Round, from 1: the run trains with the training seed + `round`.
    pub round: usize,
    /// The finalist, from 0 (the search's best first).
    pub finalist: usize,
    /// Maximum epochs it was given (the last rung's).
    pub max_epochs: usize,
    /// The finalist's settings.
    pub settings: Settings,
    /// What it reached.
    pub result: TrialResult,
}

impl FinalTrial {
    /// Its progress line.
    pub fn line(&self) -> String {
        format!(
            "final: finalist {} with seed +{} (≤{} epochs): valid AUC {:.4} in {:.0} s{}",
            self.finalist + 1,
            self.round,
            self.max_epochs,
            self.result.valid_auc,
            self.result.seconds,
            self.result.cut_note()
        )
    }
}

/// The settings a search picks: its trial, and the validation AUCs it is judged on.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick<'a> {
    /// The search's best trial of these settings.
    pub trial: &'a Trial,
    /// Validation AUC of that trial, then of each round of the finals all finalists finished.
    pub aucs: Vec<f64>,
}

impl Pick<'_> {
    /// Mean validation AUC over the seeds it was judged on.
    pub fn mean(&self) -> f64 {
        self.aucs.iter().sum::<f64>() / self.aucs.len() as f64
    }
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
    /// Finalists trained again.
    #[serde(default)]
    pub finalists: usize,
    /// Seeds each finalist is judged on.
    #[serde(default)]
    pub final_seeds: usize,
    /// Every trial of the search, in the order run.
    pub trials: Vec<Trial>,
    /// Every run of the finals, in the order run.
    #[serde(default)]
    pub finals: Vec<FinalTrial>,
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
            finalists: opts.finalists,
            final_seeds: opts.final_seeds,
            trials: vec![],
            finals: vec![],
        }
    }

    /// The best trial on validation AUC (ties: the earlier), if any finished.
    fn best_trial(&self) -> Option<&Trial> {
        self.trials
            .iter()
            .filter(|t| t.result.valid_auc.is_finite())
            .fold(None, |best: Option<&Trial>, t| match best {
                Some(b) if b.result.valid_auc >= t.result.valid_auc => Some(b),
                _ => Some(t),
            })
    }

    /// The search's `n` best distinct settings, best first, each as its best trial (ties: the
    /// earlier).
    pub fn finalists(&self, n: usize) -> Vec<&Trial> {
        let mut ranked: Vec<&Trial> = self
            .trials
            .iter()
            .filter(|t| t.result.valid_auc.is_finite())
            .collect();
        // stable: among equal AUCs the earlier trial stays first
        ranked.sort_by(|a, b| b.result.valid_auc.total_cmp(&a.result.valid_auc));
        let mut out: Vec<&Trial> = Vec::with_capacity(n);
        for t in ranked {
            if out.len() == n {
                break;
            }
            if !out.iter().any(|o| o.settings == t.settings) {
                out.push(t);
            }
        }
        out
    }

    /// The finals' runs of finalist `i` in round `round`, if it finished.
    fn final_run(&self, finalist: usize, round: usize) -> Option<&FinalTrial> {
        self.finals
            .iter()
            .find(|f| f.finalist == finalist && f.round == round && !f.result.cut)
    }

    /// Rounds of the finals that every finalist finished, from round 1 on.
    pub fn complete_rounds(&self) -> usize {
        let n = self.finalists(self.finalists).len();
        (1..)
            .take_while(|&r| n > 0 && (0..n).all(|i| self.final_run(i, r).is_some()))
            .count()
    }

    /// The pick: without finals, the best trial; with them, the finalist with the best mean
    /// validation AUC over its search trial and the complete rounds (a failed run counts as
    /// the worst; ties: the better search trial).
    pub fn best(&self) -> Option<Pick<'_>> {
        let rounds = self.complete_rounds();
        if rounds == 0 {
            return self.best_trial().map(|trial| Pick {
                trial,
                aucs: vec![trial.result.valid_auc],
            });
        }
        let key = |p: &Pick| {
            let m = p.mean();
            if m.is_finite() { m } else { f64::NEG_INFINITY }
        };
        self.picks(rounds)
            .into_iter()
            .fold(None, |best: Option<Pick>, p| match best {
                Some(b) if key(&b) >= key(&p) => Some(b),
                _ => Some(p),
            })
    }

    /// Wall-clock seconds of all trials and finals.
    pub fn seconds(&self) -> f64 {
        self.trials
            .iter()
            .map(|t| t.result.seconds)
            .chain(self.finals.iter().map(|f| f.result.seconds))
            .sum()
    }

    /// Each finalist, best search trial first, with its validation AUCs: its search trial's,
    /// then each of the first `rounds` of the finals.
    fn picks(&self, rounds: usize) -> Vec<Pick<'_>> {
        self.finalists(self.finalists)
            .into_iter()
            .enumerate()
            .map(|(i, trial)| Pick {
                trial,
                aucs: std::iter::once(trial.result.valid_auc)
                    .chain(
                        (1..=rounds)
                            .filter_map(|r| self.final_run(i, r).map(|f| f.result.valid_auc)),
                    )
                    .collect(),
            })
            .collect()
    }

    /// The finals as a Markdown table (empty without finals): each finalist's validation AUC
    /// per seed and their mean, the pick marked.
    pub fn finals_markdown(&self) -> String {
        if self.finals.is_empty() {
            return String::new();
        }
        let rounds = self.complete_rounds();
        let picks = self.picks(rounds);
        let pick = self.best().map(|p| p.trial.settings.clone());
        let mut header = vec![
            "finalist".to_string(),
            "bracket.draw".into(),
            "search".into(),
        ];
        header.extend((1..=rounds).map(|r| format!("seed +{r}")));
        header.extend(["mean".into(), "settings".into()]);
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let mut s = format!(
            "Finals: the search's {} best settings trained again with other training seeds ({} of {} rounds finished by every finalist); the pick has the best mean validation AUC.\n\n",
            picks.len(),
            rounds,
            self.final_seeds.saturating_sub(1)
        );
        s.push_str(&line(&header));
        s.push_str(&line(&vec!["---".to_string(); header.len()]));
        for (i, p) in picks.iter().enumerate() {
            let t = p.trial;
            let mut row = vec![
                format!(
                    "{}{}",
                    i + 1,
                    if pick.as_ref() == Some(&t.settings) {
                        " (pick)"
                    } else {
                        ""
                    }
                ),
                format!("{}.{}", t.bracket, t.draw),
            ];
            row.extend(p.aucs.iter().map(|v| format!("{v:.4}")));
            row.push(format!("{:.4}", p.mean()));
            row.push(t.settings.summary());
            s.push_str(&line(&row));
        }
        s
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
            "EMA",
            "shrinkage",
            "depth",
            "seconds",
        ];
        let rows: Vec<[String; 18]> = trials
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
                    opt(c.ema_decay.map(|v| v.to_string())),
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

/// Run the search, then the finals. `run(settings, max_epochs, seed_offset, deadline)` trains
/// one trial with the training seed + `seed_offset` (0 in the search, the round in the
/// finals); a trial or final already in `state` (a resumed search) is replayed instead.
/// `saved` is called with the state and a line saying what ran after every trial, to write
/// the trials file. The search stops when its share of the budget is spent (a trial whose
/// expected time no longer fits is not started; one under way stops at the deadline), the
/// finals when the whole budget is.
pub fn search(
    space: &SearchSpace,
    opts: &TuneOptions,
    state: &mut TuneState,
    mut run: impl FnMut(&Settings, usize, u64, Instant) -> Result<TrialResult>,
    mut saved: impl FnMut(&TuneState, String) -> Result<()>,
) -> Result<()> {
    opts.validate()?;
    let clock = Clock {
        started: Instant::now(),
        spent_before: state.seconds(),
    };
    let done = std::mem::take(&mut state.trials);
    let done_finals = std::mem::take(&mut state.finals);
    brackets(space, opts, state, &done, &clock, &mut run, &mut saved)?;
    if opts.has_finals() {
        finals(opts, state, &done_finals, &clock, &mut run, &mut saved)?;
    }
    Ok(())
}

/// Seconds spent on a search, resumed ones included.
struct Clock {
    started: Instant,
    /// Seconds of the replayed trials and finals.
    spent_before: f64,
}

impl Clock {
    /// The trials' own seconds, or the wall clock where it ran longer.
    fn spent(&self, state: &TuneState) -> f64 {
        state
            .seconds()
            .max(self.spent_before + self.started.elapsed().as_secs_f64())
    }
}

/// The search: brackets of successive halving until its share of the budget is spent.
fn brackets(
    space: &SearchSpace,
    opts: &TuneOptions,
    state: &mut TuneState,
    done: &[Trial],
    clock: &Clock,
    run: &mut impl FnMut(&Settings, usize, u64, Instant) -> Result<TrialResult>,
    saved: &mut impl FnMut(&TuneState, String) -> Result<()>,
) -> Result<()> {
    let mut replayed = 0;
    let budget = opts.search_budget();
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
                        let spent = clock.spent(state);
                        let enough = opts.max_trials.is_some_and(|n| state.trials.len() >= n);
                        if enough || !fits(state, max_epochs, spent, budget) {
                            return Ok(());
                        }
                        let deadline = Instant::now() + Duration::from_secs_f64(budget - spent);
                        (run(&draws[draw], max_epochs, 0, deadline)?, true)
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
                    let line = state.trials[state.trials.len() - 1].line(state.trials.len());
                    saved(state, line)?;
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

/// The finals: round by round, each finalist trained again with the training seed + round at
/// the last rung's epochs, until the rounds are done or the budget is spent.
fn finals(
    opts: &TuneOptions,
    state: &mut TuneState,
    done: &[FinalTrial],
    clock: &Clock,
    run: &mut impl FnMut(&Settings, usize, u64, Instant) -> Result<TrialResult>,
    saved: &mut impl FnMut(&TuneState, String) -> Result<()>,
) -> Result<()> {
    let budget = opts.budget.as_secs_f64();
    let max_epochs = opts.epochs(opts.rungs - 1);
    let finalists: Vec<Settings> = state
        .finalists(opts.finalists)
        .into_iter()
        .map(|t| t.settings.clone())
        .collect();
    for round in 1..opts.final_seeds {
        for (finalist, settings) in finalists.iter().enumerate() {
            // a resumed search replays a final of the same finalist, round and settings (a
            // longer budget can change the finalists: those are run afresh)
            let replay = done.iter().find(|f| {
                (f.round, f.finalist, f.max_epochs) == (round, finalist, max_epochs)
                    && &f.settings == settings
            });
            let (result, fresh) = match replay {
                Some(f) => (f.result, false),
                None => {
                    let spent = clock.spent(state);
                    if !fits(state, max_epochs, spent, budget) {
                        return Ok(());
                    }
                    let deadline = Instant::now() + Duration::from_secs_f64(budget - spent);
                    (run(settings, max_epochs, round as u64, deadline)?, true)
                }
            };
            state.finals.push(FinalTrial {
                round,
                finalist,
                max_epochs,
                settings: settings.clone(),
                result,
            });
            if fresh {
                let line = state.finals[state.finals.len() - 1].line();
                saved(state, line)?;
            }
            if result.cut {
                return Ok(());
            }
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

/// What every trial of a search trains on: the sessions, their schema and fingerprint, and
/// the training options the settings are applied to.
pub struct TrialData<'a> {
    /// Labelled sessions.
    pub sessions: &'a [Session],
    /// Their schema.
    pub schema: &'a Schema,
    /// The data's fingerprint.
    pub fingerprint: &'a str,
    /// Training options before the settings.
    pub base: &'a TrainOptions,
}

/// One trial through [`train`]: `data.base`'s options with `settings` applied, `max_epochs`
/// and the seed `base.seed + seed_offset`, the validation AUC and epoch of the weights early
/// stopping kept.
pub fn train_trial(
    data: &TrialData,
    settings: &Settings,
    max_epochs: usize,
    seed_offset: u64,
    deadline: Instant,
) -> Result<TrialResult> {
    let TrialData {
        sessions,
        schema,
        fingerprint: data_fingerprint,
        base,
    } = *data;
    let mut opts = TrainOptions {
        seed: base.seed.wrapping_add(seed_offset),
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
            finalists: 4,
            final_seeds: 3,
            trials: vec![],
            finals: vec![],
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

    /// A fresh search with `opts` on the made-up objective.
    fn searched(opts: &TuneOptions) -> TuneState {
        let mut st = state();
        search(
            &space(),
            opts,
            &mut st,
            |s, e, _, _| Ok(objective(s, e)),
            |_, _| Ok(()),
        )
        .unwrap();
        st
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
                    s.value_dropout,
                    s.ema_decay
                ),
                (None, None, None, None, None)
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
            final_seeds: 1,
            ..TuneOptions::default()
        };
        let mut st = state();
        let mut runs = 0;
        search(
            &space(),
            &opts,
            &mut st,
            |s, e, seed, _| {
                assert_eq!(seed, 0);
                runs += 1;
                Ok(objective(s, e))
            },
            |_, _| Ok(()),
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
        assert_eq!(best.aucs, [best.trial.result.valid_auc]);
        assert!(
            st.trials
                .iter()
                .all(|t| t.result.valid_auc <= best.trial.result.valid_auc)
        );
    }

    /// The finals judge the search's best distinct settings on more seeds: a setting that was
    /// best on the search's seed alone loses to one better on average, each finalist trains
    /// once per round at the last rung's epochs with seed + round, and an interrupted finals
    /// phase resumes where it stopped.
    #[test]
    fn finals_pick_the_best_mean_over_seeds_and_resume() {
        let opts = TuneOptions {
            budget: Duration::from_secs(3600),
            seed: 7,
            max_trials: Some(13),
            ..TuneOptions::default()
        };
        // the search alone: one bracket, its finalists known in advance
        let alone = searched(&TuneOptions {
            final_seeds: 1,
            ..opts.clone()
        });
        let finalists: Vec<Settings> = alone
            .finalists(4)
            .iter()
            .map(|t| t.settings.clone())
            .collect();
        assert_eq!(finalists.len(), 4);
        // distinct settings, best first: a setting's trials at two rungs count once
        assert_eq!(
            alone.finalists(4)[0].settings,
            alone.best().unwrap().trial.settings
        );
        // the other seeds favour the search's third best
        let runner = |limit: usize, st: &mut TuneState, seen: &mut Vec<(usize, u64)>| {
            search(
                &space(),
                &opts,
                st,
                |s, e, seed, _| {
                    if seed == 0 {
                        return Ok(objective(s, e));
                    }
                    seen.push((e, seed));
                    if seen.len() > limit {
                        bail!("interrupted")
                    }
                    let third = *s == finalists[2];
                    Ok(TrialResult {
                        valid_auc: if third { 0.99 } else { 0.5 },
                        ..objective(s, e)
                    })
                },
                |_, _| Ok(()),
            )
        };
        let mut whole = state();
        let mut seen = vec![];
        runner(usize::MAX, &mut whole, &mut seen).unwrap();
        assert_eq!(whole.trials, alone.trials);
        // two more seeds for each of 4 finalists, in rounds, at 18 epochs
        assert_eq!(whole.finals.len(), 8);
        assert_eq!(
            seen,
            [
                (18, 1),
                (18, 1),
                (18, 1),
                (18, 1),
                (18, 2),
                (18, 2),
                (18, 2),
                (18, 2)
            ]
        );
        assert_eq!(whole.complete_rounds(), 2);
        let pick = whole.best().unwrap();
        assert_eq!(pick.trial.settings, finalists[2]);
        assert_eq!(pick.aucs.len(), 3);
        assert_eq!(&pick.aucs[1..], [0.99, 0.99]);
        let md = whole.finals_markdown();
        assert!(md.contains("| 3 (pick) |"), "{md}");
        assert_eq!(
            md.lines().filter(|l| l.starts_with("| ")).count(),
            6,
            "{md}"
        );

        // interrupted after 5 finals, then resumed: the same trials and finals, and only the
        // 3 missing finals run
        let mut part = state();
        assert!(runner(5, &mut part, &mut vec![]).is_err());
        assert_eq!(part.finals.len(), 5);
        assert_eq!(part.complete_rounds(), 1);
        let mut ran = vec![];
        runner(usize::MAX, &mut part, &mut ran).unwrap();
        assert_eq!(ran.len(), 3);
        assert_eq!(
            (part.trials.clone(), part.finals.clone()),
            (whole.trials.clone(), whole.finals.clone())
        );
    }

    /// The search stops at its share of the budget, the finals at the whole, and a round the
    /// budget cut short does not count.
    #[test]
    fn the_finals_have_their_share_of_the_budget() {
        let opts = TuneOptions {
            budget: Duration::from_secs(200),
            seed: 7,
            final_share: 0.5,
            ..TuneOptions::default()
        };
        let st = searched(&opts);
        let search: f64 = st.trials.iter().map(|t| t.result.seconds).sum();
        let last = st.trials.last().unwrap().result.seconds;
        assert!(search - last < 100.0 && search >= 90.0, "{search}");
        // 18 made-up seconds a final: a round of 4 fits, the next one does not
        assert!(
            st.finals.len() > 4 && st.finals.len() < 8,
            "{}",
            st.finals.len()
        );
        assert_eq!(st.complete_rounds(), 1);
        assert_eq!(st.best().unwrap().aucs.len(), 2);
        assert!(st.seconds() - 18.0 < 200.0);
        // the GBDT has none
        assert!(
            !TuneOptions::default()
                .for_model(ModelSpec::Gbdt)
                .has_finals()
        );
        let e = TuneOptions {
            final_share: 0.95,
            ..TuneOptions::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(e.contains("final_share"), "{e}");
    }

    #[test]
    fn max_trials_stops_the_search() {
        let opts = TuneOptions {
            budget: Duration::from_secs(3600),
            max_trials: Some(5),
            final_seeds: 1,
            ..TuneOptions::default()
        };
        assert_eq!(searched(&opts).trials.len(), 5);
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
                |s, e, _, _| {
                    n += 1;
                    if n > limit {
                        bail!("interrupted")
                    }
                    Ok(objective(s, e))
                },
                |_, _| Ok(()),
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
            |s, e, _, _| Ok(objective(s, e)),
            |_, _| Ok(()),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("start without --resume"), "{e}");
    }
}

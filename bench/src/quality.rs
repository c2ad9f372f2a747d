//! `seqrisk-bench quality`: train several models over several seeds on one data set and report
//! the test metrics as mean ± 95% confidence interval over the seeds (Student's t with n − 1
//! degrees of freedom, as the papers report "95% confidence intervals on five runs"), with an
//! overlaid ROC plot. Each seed re-draws the shuffling and the initialisation, and the split
//! when it is random.

use anyhow::{Result, bail};
use seqrisk_core::explain::PlantedHitRate;
use seqrisk_core::metrics::{Metrics, RocPoint};
use seqrisk_core::models::ModelSpec;
use seqrisk_core::schema::{Schema, Session};
use seqrisk_native::settings::Settings;
use seqrisk_native::train::{SplitMode, TrainOptions, teacher_experiment, train};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::fmt::Write as _;
use std::time::Instant;

/// Mean and the half-width of its 95% confidence interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Interval {
    /// Mean over the runs.
    pub mean: f64,
    /// Half-width of the 95% confidence interval of the mean (NaN for one run).
    pub ci95: f64,
}

impl Interval {
    /// A metric a report written before it existed does not hold: the interval of no runs.
    fn not_measured() -> Self {
        Self::of(&[])
    }

    /// From per-run values (NaN runs are dropped).
    pub fn of(values: &[f64]) -> Self {
        let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let n = v.len() as f64;
        if v.is_empty() {
            return Self {
                mean: f64::NAN,
                ci95: f64::NAN,
            };
        }
        let mean = v.iter().sum::<f64>() / n;
        let ci95 = if v.len() < 2 {
            f64::NAN
        } else {
            let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            StudentsT::new(0.0, 1.0, n - 1.0)
                .map(|t| t.inverse_cdf(0.975) * sd / n.sqrt())
                .unwrap_or(f64::NAN)
        };
        Self { mean, ci95 }
    }
}

/// One training run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    /// Seed of split, shuffling and initialisation.
    pub seed: u64,
    /// Test metrics.
    pub test: Metrics,
    /// Epochs run (1 for the GBDT).
    pub epochs: usize,
    /// Wall time of the run.
    pub seconds: f64,
    /// How often the explanation's top 3 hold a planted event (merchant) in true-positive test
    /// sessions, when the data carries planted ground truth.
    #[serde(default)]
    pub planted: Option<PlantedHitRate>,
    /// The same on the positive sessions among the top 10% of test scores.
    #[serde(default)]
    pub planted_top_decile: Option<PlantedHitRate>,
    /// The fraud handbook's card precision@100 per day, when the data names each session's
    /// card.
    #[serde(default)]
    pub card_precision: Option<f64>,
}

/// The explanation check over the seeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExplanationQuality {
    /// `event` or `merchant`.
    pub level: String,
    /// Share of true-positive test sessions with a planted one among the top 3.
    pub hit_rate: Interval,
    /// The same for 3 drawn at random, mean over the seeds.
    pub random_rate: f64,
    /// True-positive sessions evaluated, mean over the seeds.
    pub sessions: f64,
}

/// One model over all seeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelQuality {
    /// Model name.
    pub model: String,
    /// AUC.
    pub auc: Interval,
    /// Standardised partial AUC at FPR ≤ 1%.
    pub pauc_1pct: Interval,
    /// KS.
    pub ks: Interval,
    /// Recall in the top 10% of scores.
    pub recall_at_10pct: Interval,
    /// Average precision (NaN in reports written before it was measured).
    #[serde(default = "Interval::not_measured")]
    pub average_precision: Interval,
    /// Mean seconds per run.
    pub seconds_per_run: f64,
    /// The runs.
    pub runs: Vec<Run>,
    /// ROC curve of the first seed's test split (for the overlaid plot).
    pub roc: Vec<RocPoint>,
    /// The explanation check, when every run had one.
    #[serde(default)]
    pub explanations: Option<ExplanationQuality>,
    /// The same on the positives among the top 10% of scores.
    #[serde(default)]
    pub explanations_top_decile: Option<ExplanationQuality>,
    /// Card precision@100 per day, when every run has it.
    #[serde(default)]
    pub card_precision: Option<Interval>,
}

impl ExplanationQuality {
    /// Over the runs, when every run has a check.
    fn of(checks: Option<Vec<&PlantedHitRate>>) -> Option<Self> {
        checks.filter(|p| !p.is_empty()).map(|p| {
            let n = p.len() as f64;
            ExplanationQuality {
                level: p[0].level.clone(),
                hit_rate: Interval::of(&p.iter().map(|x| x.hit_rate).collect::<Vec<_>>()),
                random_rate: p.iter().map(|x| x.random_rate).sum::<f64>() / n,
                sessions: p.iter().map(|x| x.sessions as f64).sum::<f64>() / n,
            }
        })
    }
}

impl ModelQuality {
    fn of(model: String, runs: Vec<Run>, roc: Vec<RocPoint>) -> Self {
        let roc = thin(roc, ROC_POINTS);
        let col = |f: fn(&Metrics) -> f64| {
            Interval::of(&runs.iter().map(|r| f(&r.test)).collect::<Vec<_>>())
        };
        let explanations =
            ExplanationQuality::of(runs.iter().map(|r| r.planted.as_ref()).collect());
        let explanations_top_decile =
            ExplanationQuality::of(runs.iter().map(|r| r.planted_top_decile.as_ref()).collect());
        let card_precision = runs
            .iter()
            .map(|r| r.card_precision)
            .collect::<Option<Vec<f64>>>()
            .filter(|c| !c.is_empty())
            .map(|c| Interval::of(&c));
        Self {
            explanations,
            explanations_top_decile,
            card_precision,
            model,
            auc: col(|m| m.auc),
            pauc_1pct: col(|m| m.pauc_1pct),
            ks: col(|m| m.ks),
            recall_at_10pct: col(|m| m.recall_at_10pct),
            average_precision: col(|m| m.average_precision),
            seconds_per_run: runs.iter().map(|r| r.seconds).sum::<f64>() / runs.len().max(1) as f64,
            runs,
            roc,
        }
    }
}

/// Most ROC points kept per model in a report (a test split of thousands of sessions has a
/// point per distinct score; a few hundred draw the same curve).
const ROC_POINTS: usize = 200;

/// Every `⌈len / max⌉`-th point of a curve and its last one.
fn thin(points: Vec<RocPoint>, max: usize) -> Vec<RocPoint> {
    if points.len() <= max {
        return points;
    }
    let step = points.len().div_ceil(max);
    let last = points.len() - 1;
    points
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i == last)
        .map(|(_, p)| p)
        .collect()
}

/// What `seqrisk-bench quality` writes as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QualityReport {
    /// Data set name.
    pub dataset: String,
    /// Fingerprint of the data.
    pub fingerprint: String,
    /// Sessions in the data set.
    pub sessions: usize,
    /// Positive sessions.
    pub positives: usize,
    /// Seeds run per model.
    pub seeds: Vec<u64>,
    /// How the data was split.
    pub split: String,
    /// Epoch cap and early-stopping patience of the neural models.
    pub max_epochs: usize,
    /// Early-stopping patience.
    pub patience: usize,
    /// Per model, in the order asked.
    pub models: Vec<ModelQuality>,
    /// The best single feature on each seed's split (each numeric field of the last event in
    /// its better direction, chosen on validation), the rule every model must beat.
    #[serde(default)]
    pub best_single_feature: Option<ModelQuality>,
    /// Wall time of the whole benchmark (summed over resumed parts).
    pub wall_seconds: f64,
}

impl QualityReport {
    /// Named ROC curves, one per model, for the overlaid plot.
    pub fn rocs(&self) -> Vec<(String, Vec<RocPoint>)> {
        self.models
            .iter()
            .map(|m| (m.model.clone(), m.roc.clone()))
            .collect()
    }

    /// Why an earlier report cannot be resumed under this one's plan (None when it can).
    fn mismatch(&self, earlier: &QualityReport) -> Option<String> {
        let differs = |what: &str, a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| {
            Some(format!("{what}: {b:?} then, {a:?} now"))
        };
        if self.dataset != earlier.dataset {
            differs("data set", &self.dataset, &earlier.dataset)
        } else if self.fingerprint != earlier.fingerprint {
            differs("data fingerprint", &self.fingerprint, &earlier.fingerprint)
        } else if self.seeds != earlier.seeds {
            differs("seeds", &self.seeds, &earlier.seeds)
        } else if self.split != earlier.split {
            differs("split", &self.split, &earlier.split)
        } else if (self.max_epochs, self.patience) != (earlier.max_epochs, earlier.patience) {
            differs(
                "(epochs, patience)",
                &(self.max_epochs, self.patience),
                &(earlier.max_epochs, earlier.patience),
            )
        } else {
            None
        }
    }
}

/// A report column: header and how to read it off a model's results.
type Column = (&'static str, fn(&ModelQuality) -> Interval);

/// What to benchmark.
pub struct QualityPlan<'a> {
    /// Data set name for the report.
    pub dataset: &'a str,
    /// Labelled sessions.
    pub sessions: &'a [Session],
    /// Their schema.
    pub schema: &'a Schema,
    /// Fingerprint of the data (goes into the artifacts).
    pub fingerprint: &'a str,
    /// Models, in report order.
    pub models: &'a [ModelSpec],
    /// Seeds per model.
    pub seeds: &'a [u64],
    /// Training settings other than model and seed.
    pub template: &'a TrainOptions,
    /// Settings given (flags, `--config`), resolved per model over its preset's defaults.
    pub settings: &'a Settings,
    /// Show a progress bar.
    pub progress: bool,
    /// An earlier, interrupted run of the same plan: its finished models are kept, not re-run.
    pub resume: Option<QualityReport>,
}

/// Train every model on every seed and return the report. `on_model` sees the report so far
/// after each model (to save partial results of a long run, which `resume` can continue).
pub fn run(
    plan: &QualityPlan,
    mut on_model: impl FnMut(&QualityReport) -> Result<()>,
) -> Result<QualityReport> {
    let QualityPlan {
        dataset,
        sessions,
        schema,
        fingerprint,
        models,
        seeds,
        template,
        settings,
        progress,
        ref resume,
    } = *plan;
    let started = Instant::now();
    let bar = seqrisk_native::progress::bar(
        models.len() * seeds.len(),
        "quality",
        "{spinner} {prefix} [{bar:30}] {pos}/{len} runs, {elapsed} (eta {eta}) {msg}",
        progress,
    )?;
    let mut report = QualityReport {
        dataset: dataset.to_string(),
        fingerprint: fingerprint.to_string(),
        sessions: sessions.len(),
        positives: sessions.iter().filter(|s| s.label == Some(true)).count(),
        seeds: seeds.to_vec(),
        split: match template.split {
            SplitMode::Random => "stratified 70/15/15, re-drawn per seed".into(),
            SplitMode::Time => {
                "by time 70/15/15 (most recent sessions for test), the same for every seed".into()
            }
        },
        max_epochs: template.epochs,
        patience: template.patience,
        models: Vec::with_capacity(models.len()),
        best_single_feature: resume.as_ref().and_then(|r| r.best_single_feature.clone()),
        wall_seconds: 0.0,
    };
    let mut rule_runs: Vec<Run> = Vec::with_capacity(seeds.len());
    let mut rule_fields: Vec<String> = Vec::new();
    // a hidden bar (no terminal, or --quiet) prints nothing: keep the log lines without a terminal
    let log = |line: String| {
        if bar.is_hidden() && progress {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    let earlier_wall = match resume {
        Some(earlier) => {
            if let Some(why) = report.mismatch(earlier) {
                bail!(
                    "cannot resume the earlier benchmark: {why}; delete its JSON or drop --resume"
                );
            }
            earlier.wall_seconds
        }
        None => 0.0,
    };
    for &model in models {
        let name = model.to_string();
        if let Some(done) = resume
            .iter()
            .flat_map(|r| &r.models)
            .find(|m| m.model == name)
        {
            log(format!("{name:>11}: kept from the earlier run"));
            bar.inc(seeds.len() as u64);
            report.models.push(done.clone());
            report.wall_seconds = earlier_wall + started.elapsed().as_secs_f64();
            bar.suspend(|| on_model(&report))?;
            continue;
        }
        let mut runs = Vec::with_capacity(seeds.len());
        let mut roc = Vec::new();
        let (mut base, mut model_schema) = (template.clone(), schema.clone());
        let resolved = settings.resolve(model, schema);
        resolved.apply(&mut base, &mut model_schema)?;
        log(format!("{name:>11}: {}", resolved.summary()));
        for &seed in seeds {
            bar.set_message(format!("{model}, seed {seed}"));
            let run_started = Instant::now();
            let opts = TrainOptions {
                model,
                seed,
                progress: false,
                checkpoint_dir: None,
                // tuned sizes go to the models that have them (the GBDT row keeps its own)
                overrides: base.overrides.for_model(model),
                ..base.clone()
            };
            let outcome = train(sessions, &model_schema, &opts, fingerprint)?;
            if runs.is_empty() {
                roc = outcome.artifact.header.test_roc.clone();
            }
            // every model of a seed has the same split: the rule is read off the first
            if report.best_single_feature.is_none()
                && rule_runs.len() < seeds.len()
                && let Some(f) = &outcome.single_feature
            {
                rule_runs.push(Run {
                    seed,
                    test: f.test,
                    epochs: 0,
                    seconds: 0.0,
                    planted: None,
                    planted_top_decile: None,
                    card_precision: outcome
                        .card_precision
                        .as_ref()
                        .and_then(|c| c.single_feature.as_ref())
                        .map(|c| c.mean),
                });
                if !rule_fields.contains(&f.label()) {
                    rule_fields.push(f.label());
                }
            }
            let run = Run {
                seed,
                test: outcome.metrics,
                epochs: outcome.history.len(),
                seconds: run_started.elapsed().as_secs_f64(),
                planted: outcome.planted,
                planted_top_decile: outcome.planted_top_decile,
                card_precision: outcome.card_precision.as_ref().map(|c| c.model.mean),
            };
            let line = format!(
                "{model:>11} seed {seed}: AUC {:.4}  pAUC {:.4}  ({} epochs, {:.0}s)",
                run.test.auc, run.test.pauc_1pct, run.epochs, run.seconds
            );
            log(line);
            runs.push(run);
            bar.inc(1);
        }
        report.models.push(ModelQuality::of(name, runs, roc));
        if report.best_single_feature.is_none() && rule_runs.len() == seeds.len() {
            report.best_single_feature = Some(ModelQuality::of(
                format!("best single feature: {}", rule_fields.join(" / ")),
                std::mem::take(&mut rule_runs),
                vec![],
            ));
        }
        report.wall_seconds = earlier_wall + started.elapsed().as_secs_f64();
        bar.suspend(|| on_model(&report))?;
    }
    bar.finish_and_clear();
    Ok(report)
}

/// `seqrisk-bench teacher`: HUIHEN's Table 6 experiment ([`teacher_experiment`]) over several
/// seeds, as a report with the rows `gbdt-teacher`, `mlp` and `mlp-guide`.
pub fn run_teacher(
    dataset: &str,
    sessions: &[Session],
    schema: &Schema,
    fingerprint: &str,
    seeds: &[u64],
    template: &TrainOptions,
    progress: bool,
) -> Result<QualityReport> {
    let started = Instant::now();
    let bar = seqrisk_native::progress::bar(
        seeds.len(),
        "teacher",
        "{spinner} {prefix} [{bar:30}] {pos}/{len} seeds, {elapsed} {msg}",
        progress,
    )?;
    let mut rows: Vec<(&'static str, Vec<Run>, Vec<RocPoint>)> = Vec::new();
    for &seed in seeds {
        bar.set_message(format!("seed {seed}"));
        let opts = TrainOptions {
            seed,
            progress: false,
            checkpoint_dir: None,
            ..template.clone()
        };
        for r in teacher_experiment(sessions, schema, &opts)? {
            let run = Run {
                seed,
                test: r.metrics,
                epochs: r.epochs,
                seconds: r.seconds,
                planted: None,
                planted_top_decile: None,
                card_precision: None,
            };
            match rows.iter_mut().find(|(n, _, _)| *n == r.name) {
                Some((_, runs, _)) => runs.push(run),
                None => rows.push((r.name, vec![run], r.roc)),
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(QualityReport {
        dataset: dataset.to_string(),
        fingerprint: fingerprint.to_string(),
        sessions: sessions.len(),
        positives: sessions.iter().filter(|s| s.label == Some(true)).count(),
        seeds: seeds.to_vec(),
        split: "stratified 70/15/15, re-drawn per seed; the three models share each split".into(),
        max_epochs: template.epochs,
        patience: template.patience,
        models: rows
            .into_iter()
            .map(|(name, runs, roc)| ModelQuality::of(name.to_string(), runs, roc))
            .collect(),
        // profile-only data: there is no event field to rank by
        best_single_feature: None,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

fn cell(i: Interval) -> String {
    if i.ci95.is_finite() {
        format!("{:.4} ± {:.4}", i.mean, i.ci95)
    } else {
        format!("{:.4}", i.mean)
    }
}

/// The report as a Markdown table (the best mean of each column in bold).
pub fn markdown(r: &QualityReport) -> String {
    let cols: [Column; 5] = [
        ("AUC", |m| m.auc),
        ("pAUC (FPR ≤ 1%)", |m| m.pauc_1pct),
        ("KS", |m| m.ks),
        ("Recall@10%", |m| m.recall_at_10pct),
        ("AP", |m| m.average_precision),
    ];
    let best: Vec<f64> = cols
        .iter()
        .map(|(_, f)| {
            r.models
                .iter()
                .map(|m| f(m).mean)
                .filter(|x| x.is_finite())
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Quality on {}: {} sessions ({} positive), mean ± 95% CI over {} seeds {:?} (shuffling and initialisation per seed; split {}); neural models up to {} epochs with early stopping after {} without a better validation AUC. Wall time {:.0} s.\n",
        r.dataset,
        r.sessions,
        r.positives,
        r.seeds.len(),
        r.seeds,
        r.split,
        r.max_epochs,
        r.patience,
        r.wall_seconds
    );
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let _ = writeln!(s, "| model | {} | s/run |", names.join(" | "));
    let _ = writeln!(s, "|---|{}---:|", "---:|".repeat(cols.len()));
    for m in &r.models {
        let cells: Vec<String> = cols
            .iter()
            .zip(&best)
            .map(|((_, f), &b)| {
                let i = f(m);
                if i.mean == b {
                    format!("**{}**", cell(i))
                } else {
                    cell(i)
                }
            })
            .collect();
        let secs = m.seconds_per_run;
        let secs = if secs < 10.0 {
            format!("{secs:.1}")
        } else {
            format!("{secs:.0}")
        };
        let _ = writeln!(s, "| {} | {} | {secs} |", m.model, cells.join(" | "));
    }
    if let Some(rule) = &r.best_single_feature {
        let cells: Vec<String> = cols.iter().map(|(_, f)| cell(f(rule))).collect();
        let _ = writeln!(s, "| *{}* | {} | – |", rule.model, cells.join(" | "));
    }
    let card_precision: Vec<String> = r
        .models
        .iter()
        .chain(&r.best_single_feature)
        .filter_map(|m| Some(format!("{} {}", m.model, cell(m.card_precision?))))
        .collect();
    if !card_precision.is_empty() {
        let _ = writeln!(
            s,
            "\nCard precision@100 per day (the fraud handbook's metric; mean ± 95% CI over the seeds): {}.",
            card_precision.join(", ")
        );
    }
    let explained: Vec<&ModelQuality> = r
        .models
        .iter()
        .filter(|m| m.explanations.is_some())
        .collect();
    if !explained.is_empty() {
        let _ = writeln!(
            s,
            "\nExplanations against planted ground truth (share of positive test sessions with a planted one among the top 3 weighted, mean ± 95% CI over the seeds):\n"
        );
        for m in explained {
            for (set, e) in [
                ("true positives at FPR 1%", &m.explanations),
                (
                    "positives in the top 10% of scores",
                    &m.explanations_top_decile,
                ),
            ] {
                if let Some(e) = e {
                    let _ = writeln!(
                        s,
                        "- {} ({set}): a planted {} in the top 3 in {:.1}% ± {:.1}% of {:.0} sessions per seed (3 at random: {:.1}%)",
                        m.model,
                        e.level,
                        100.0 * e.hit_rate.mean,
                        100.0 * e.hit_rate.ci95,
                        e.sessions,
                        100.0 * e.random_rate
                    );
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_every_kth_point_and_the_last() {
        let curve: Vec<RocPoint> = (0..10)
            .map(|i| RocPoint {
                fpr: i as f64 / 9.0,
                tpr: i as f64 / 9.0,
            })
            .collect();
        let kept: Vec<f64> = thin(curve.clone(), 4).iter().map(|p| p.fpr * 9.0).collect();
        assert_eq!(
            kept.iter().map(|x| x.round() as i32).collect::<Vec<_>>(),
            [0, 3, 6, 9]
        );
        assert_eq!(thin(curve.clone(), 10), curve);
    }

    /// Five values 1..5: mean 3, sd √2.5, t(0.975, 4) = 2.776445: half-width 1.963 (to 1e-4).
    #[test]
    fn t_interval_by_hand() {
        let i = Interval::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(i.mean, 3.0);
        let expected = 2.776445 * 2.5f64.sqrt() / 5f64.sqrt();
        assert!((i.ci95 - expected).abs() < 1e-4, "{}", i.ci95);
        assert!(Interval::of(&[0.7]).ci95.is_nan());
        assert_eq!(Interval::of(&[f64::NAN, 0.5, 0.5]).mean, 0.5);
    }
}

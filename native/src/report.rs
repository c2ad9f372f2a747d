//! Text reports: the metric table and the model card.

use crate::train::{CardPrecisions, TruePositive};
use anyhow::Result;
use burn::prelude::Device;
use seqrisk_core::artifact::{Artifact, Header};
use seqrisk_core::calibration::{CalibrationSummary, Calibrator, FOLDS};
use seqrisk_core::encode::Encoder;
use seqrisk_core::explain::{Explanation, PlantedHitRate, TOP_EVENTS, planted_hit_rate};
use seqrisk_core::metrics::{Comparison, Metrics, SingleFeature};
use seqrisk_core::models::baselines::GbdtConfig;
use seqrisk_core::models::behavior_cluster::BehaviorClusterConfig;
use seqrisk_core::models::{ModelConfig, ModelSpec};
use seqrisk_core::monitor::{DriftReport, DriftStatus, Scope};
use seqrisk_core::policy::PolicyPoint;
use seqrisk_core::schema::Session;
use seqrisk_core::scorer::SessionScore;
use seqrisk_core::synth::{Pattern, SyntheticSession};
use serde::Serialize;
use std::fmt::Write;

/// The fraud handbook's card precision@k per day of the model and its baselines, one line.
pub fn card_precision_line(model: &str, cp: &CardPrecisions) -> String {
    let mut parts = vec![format!("{model} {:.3}", cp.model.mean)];
    if let Some(c) = &cp.single_feature {
        parts.push(format!("best single feature {:.3}", c.mean));
    }
    if let Some(c) = &cp.gbdt {
        parts.push(format!("GBDT on aggregates {:.3}", c.mean));
    }
    format!(
        "card precision@{} per day (the fraud handbook's metric, over {} test days; a perfect ranking: {:.3}): {}",
        cp.model.k,
        cp.model.days,
        cp.model.best_possible,
        parts.join(", ")
    )
}

/// A Markdown table of test metrics.
pub fn metrics_table(model: &str, m: &Metrics) -> String {
    format!(
        "| model | sessions | positives | AUC | pAUC (FPR ≤ 1%) | KS | Recall@10% | AP |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n\
         | {model} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |\n",
        m.sessions, m.positives, m.auc, m.pauc_1pct, m.ks, m.recall_at_10pct, m.average_precision
    )
}

/// How far below the GBDT's test AUC a model may be before `train` warns (the margin issue 27
/// holds models to).
pub const GBDT_MARGIN: f64 = 0.005;

/// The model's test metrics beside the baselines' on the same test split: the best single
/// feature (field and direction chosen on validation) and the GBDT on aggregates, with a
/// warning for each the model does not beat (the GBDT: by more than [`GBDT_MARGIN`] AUC).
pub fn baseline_table(
    model: &str,
    m: &Metrics,
    single: Option<&SingleFeature>,
    gbdt: Option<&Metrics>,
) -> String {
    let row = |name: &str, m: &Metrics| {
        format!(
            "| {name} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |\n",
            m.auc, m.pauc_1pct, m.ks, m.recall_at_10pct, m.average_precision
        )
    };
    let mut out = format!(
        "| on the test split | AUC | pAUC (FPR ≤ 1%) | KS | Recall@10% | AP |\n|---|---:|---:|---:|---:|---:|\n{}",
        row(model, m)
    );
    if let Some(b) = single {
        out.push_str(&row(
            &format!(
                "best single feature: {} of the last event (validation AUC {:.4})",
                b.label(),
                b.valid_auc
            ),
            &b.test,
        ));
    }
    if let Some(g) = gbdt {
        out.push_str(&row("GBDT on aggregates", g));
    }
    // a NaN AUC (a split without a class) beats nothing
    let above = |bar: f64| m.auc.partial_cmp(&bar) == Some(std::cmp::Ordering::Greater);
    if let Some(b) = single.filter(|b| !above(b.test.auc)) {
        out.push_str(&format!(
            "\nwarning: {model} (test AUC {:.4}) does not beat ranking sessions by {} of the last event alone ({:.4}); see docs/quality.md, \"Reading the baseline comparison\"\n",
            m.auc,
            b.label(),
            b.test.auc
        ));
    }
    if let Some(g) = gbdt.filter(|g| !above(g.auc - GBDT_MARGIN)) {
        out.push_str(&format!(
            "\nwarning: {model} (test AUC {:.4}) loses to the GBDT on aggregates ({:.4}) by more than {GBDT_MARGIN}; see docs/quality.md, \"Reading the baseline comparison\"\n",
            m.auc, g.auc
        ));
    }
    if single.is_none() && gbdt.is_none() {
        out.push_str(
            "\nNo baseline: the events have no numeric field and the model is the GBDT.\n",
        );
    }
    out
}

/// The calibration in words: which calibrator, why (the candidates' cross-fitted validation
/// log-loss), and the test split's Brier score and ECE before and after.
pub fn calibration_lines(c: &CalibrationSummary) -> String {
    let loss = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.4}"));
    let what = match &c.calibrator {
        Calibrator::Platt(p) => {
            format!("Platt scaling, σ({:.4}·logit {:+.4})", p.slope, p.intercept)
        }
        Calibrator::Isotonic(i) => format!("isotonic regression over {} points", i.x.len()),
    };
    format!(
        "calibration: {what}; validation log-loss, cross-fitted over {FOLDS} folds: Platt {}, \
         isotonic {}, uncalibrated {:.4}\n\
         test split, uncalibrated → calibrated: Brier {:.4} → {:.4}, ECE {:.4} → {:.4}\n",
        loss(c.log_loss.platt),
        loss(c.log_loss.isotonic),
        c.log_loss.uncalibrated,
        c.test_raw.brier,
        c.test_calibrated.brier,
        c.test_raw.ece,
        c.test_calibrated.ece
    )
}

/// The card's thresholds at its targets with their validation figures, as a table a policy
/// file's `from = "fpr:1%"` refers to; empty without points.
pub fn policy_table(points: &[PolicyPoint]) -> String {
    if points.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "thresholds on validation (a policy's `from`):\n\n| target | threshold | alert rate | FPR | recall | precision |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for p in points {
        let o = &p.point;
        let _ = writeln!(
            s,
            "| {} | {:.4} | {:.2}% | {:.2}% | {:.4} | {} |",
            p.target,
            o.threshold,
            100.0 * o.alert_rate,
            100.0 * o.fpr,
            o.recall,
            o.precision.map_or("–".into(), |x| format!("{x:.4}"))
        );
    }
    s.push('\n');
    s
}

/// `seqrisk monitor`'s report: a table of every field's PSI and status, the unseen and
/// missing shares before and after, then the bins of each field past the watch limit.
pub fn drift_markdown(data: &str, d: &DriftReport) -> String {
    let status = |s: DriftStatus| match s {
        DriftStatus::Stable => "stable",
        DriftStatus::Watch => "**watch**",
        DriftStatus::Act => "**act**",
        DriftStatus::Empty => "no values",
    };
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let mut s = format!(
        "# Drift of {data} against the training data\n\n{} sessions; PSI from {} watch, from {} act.\n\n| field | scope | PSI | status | unseen: train → new | missing: train → new | values |\n|---|---|---:|---|---:|---:|---:|\n",
        d.sessions, d.limits.watch, d.limits.act
    );
    for f in d.fields.iter().chain(&d.score) {
        let scope = match f.scope {
            Scope::Event => "event",
            Scope::Profile => "profile",
            Scope::Score => "score",
        };
        let _ = writeln!(
            s,
            "| {} | {scope} | {} | {} | {} | {} → {} | {} |",
            f.name,
            f.psi.map_or("–".into(), |p| format!("{p:.4}")),
            status(f.status),
            f.unseen
                .map_or("–".into(), |[a, b]| format!("{} → {}", pct(a), pct(b))),
            pct(f.missing[0]),
            pct(f.missing[1]),
            f.count
        );
    }
    let flagged = d.flagged();
    if flagged.is_empty() {
        s.push_str("\nNo field past the watch limit.\n");
    }
    for f in flagged {
        let _ = write!(
            s,
            "\n## {} (PSI {:.4})\n\n| bin | training | new |\n|---|---:|---:|\n",
            f.name,
            f.psi.unwrap_or(f64::NAN)
        );
        for (label, e, a) in &f.bins {
            let _ = writeln!(s, "| {label} | {} | {} |", pct(*e), pct(*a));
        }
    }
    s
}

/// One side of `seqrisk compare`.
#[derive(Debug, Clone, Serialize)]
pub struct ComparedArtifact {
    /// The artifact's path.
    pub artifact: String,
    /// Its model, as `--model` names it.
    pub model: String,
}

/// `seqrisk compare`'s report: both models' metrics and operating points, DeLong's test and
/// the bootstrap interval of the AUC difference, the scores' correlation and the sessions
/// ranked most differently.
pub fn comparison(data: &str, sides: [&ComparedArtifact; 2], c: &Comparison) -> String {
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let opt = |x: Option<f64>, f: &dyn Fn(f64) -> String| x.map_or("–".into(), f);
    let mut s = format!(
        "# A: {} ({}) against B: {} ({})

{} labelled sessions of {data}, {} positive.

",
        sides[0].model,
        sides[0].artifact,
        sides[1].model,
        sides[1].artifact,
        c.sessions,
        c.positives
    );
    let fprs: Vec<String> = c
        .fprs
        .iter()
        .map(|&f| format!("recall @ FPR {}", pct(f)))
        .collect();
    let _ = writeln!(
        s,
        "| model | AUC | pAUC (FPR ≤ 1%) | AP | {} | own threshold | alert rate | FPR | recall | precision |",
        fprs.join(" | ")
    );
    let _ = writeln!(
        s,
        "|---|---:|---:|---:|{}---:|---:|---:|---:|---:|",
        "---:|".repeat(fprs.len())
    );
    for (name, side, m) in [("A", sides[0], &c.a), ("B", sides[1], &c.b)] {
        let recalls: Vec<String> = m.recall_at_fpr.iter().map(|&r| format!("{r:.4}")).collect();
        let point = m.at_threshold.map_or("– | – | – | – | –".into(), |p| {
            format!(
                "{:.4} | {} | {} | {:.4} | {}",
                p.threshold,
                pct(p.alert_rate),
                pct(p.fpr),
                p.recall,
                opt(p.precision, &|x| format!("{x:.4}"))
            )
        });
        let _ = writeln!(
            s,
            "| {name}: {} | {:.4} | {:.4} | {:.4} | {} | {point} |",
            side.model,
            m.metrics.auc,
            m.metrics.pauc_1pct,
            m.metrics.average_precision,
            recalls.join(" | ")
        );
    }
    s.push('\n');
    match &c.delong {
        Some(d) => {
            let _ = writeln!(
                s,
                "AUC A − B: {:+.4}; DeLong's test: z = {:.3}, p {}, 95% CI [{:+.4}, {:+.4}].",
                d.difference,
                d.z,
                if d.p_value < 1e-4 {
                    "< 0.0001".to_string()
                } else {
                    format!("= {:.4}", d.p_value)
                },
                d.ci95[0],
                d.ci95[1]
            );
            if let Some(ci) = c.bootstrap_ci95 {
                let _ = writeln!(
                    s,
                    "Paired bootstrap ({} rounds, stratified by label): 95% CI [{:+.4}, {:+.4}].",
                    c.bootstrap_rounds, ci[0], ci[1]
                );
            }
            let verdict = if d.p_value < 0.05 {
                let (hi, lo) = if d.difference > 0.0 {
                    ("A", "B")
                } else {
                    ("B", "A")
                };
                format!("{hi}'s AUC is higher than {lo}'s (p < 0.05).")
            } else {
                "The AUCs do not differ at the 5% level.".to_string()
            };
            let _ = writeln!(s, "{verdict}");
        }
        None => s.push_str("AUC A − B: not tested (needs 2 positive and 2 negative sessions).\n"),
    }
    let _ = writeln!(
        s,
        "Score correlation: Pearson {}, Spearman {}.",
        opt(c.pearson, &|x| format!("{x:.4}")),
        opt(c.spearman, &|x| format!("{x:.4}"))
    );
    if !c.disagreements.is_empty() {
        s.push_str(
            "\n## Ranked most differently\n\nRaw scores (the models' own); percentile rank: 100% is the riskiest session.\n\n| session | label | A's score | A's rank | B's score | B's rank |\n|---|---:|---:|---:|---:|---:|\n",
        );
        for d in &c.disagreements {
            let _ = writeln!(
                s,
                "| {} | {} | {:.4} | {} | {:.4} | {} |",
                d.id,
                u8::from(d.label),
                d.score_a,
                pct(d.rank_a),
                d.score_b,
                pct(d.rank_b)
            );
        }
    }
    s
}

/// A session's score and explanation in one line of words: the top merchants (with the
/// `[CLS]` attention and payment count), sessions, fields or events, whichever the model gives,
/// and the risky cluster it landed in with the rules it matched (the cluster model).
pub fn explain_line(s: &SessionScore) -> String {
    let x = &s.explanation;
    let mut line = format!("{}: score {:.4}", s.id, s.score);
    if !x.top_merchants.is_empty() {
        let parts: Vec<String> = x
            .top_merchants
            .iter()
            .map(|&k| {
                let m = &x.merchants[k];
                let w = m.weights.values().sum::<f32>() / m.weights.len().max(1) as f32;
                format!(
                    "{} ({:.3}, {} payments)",
                    m.name.as_deref().unwrap_or("<no merchant>"),
                    w,
                    m.events.len()
                )
            })
            .collect();
        line.push_str(&format!("; top merchants: {}", parts.join(", ")));
    }
    if !x.sessions.is_empty() {
        let mut ranked: Vec<(usize, f32)> = x
            .sessions
            .iter()
            .enumerate()
            .map(|(i, w)| {
                (
                    i,
                    w.weights.values().sum::<f32>() / w.weights.len().max(1) as f32,
                )
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let parts: Vec<String> = ranked
            .iter()
            .take(TOP_EVENTS)
            .map(|&(i, w)| {
                let w_ = &x.sessions[i];
                format!("events {}–{} ({w:.3})", w_.first_event, w_.last_event)
            })
            .collect();
        line.push_str(&format!("; top sessions: {}", parts.join(", ")));
    }
    if !x.top_fields.is_empty() {
        line.push_str(&format!("; top fields: {}", x.top_fields.join(", ")));
    }
    if !x.top_events.is_empty() {
        let events: Vec<String> = x.top_events.iter().map(|e| e.to_string()).collect();
        line.push_str(&format!("; top events: {}", events.join(", ")));
    }
    if let Some(c) = &x.cluster {
        line.push_str(&format!(
            "; looks like risky cluster {} (fraud density {:.3}, ρ {:.3})",
            c.label, c.fraud_density, c.reach
        ));
        if !c.rules.is_empty() {
            line.push_str(&format!("; matched rules: {}", c.rules.join(" | ")));
        }
    }
    line
}

/// One line on explanations vs planted events, over `set` (which test sessions).
pub fn planted_line(p: &Option<PlantedHitRate>, set: &str) -> String {
    match p {
        Some(p) => format!(
            "explanations: a planted {} is among the top-3 weighted {}s in {:.1}% of {} {set} (random choice: {:.1}%)",
            p.level,
            p.level,
            100.0 * p.hit_rate,
            p.sessions,
            100.0 * p.random_rate
        ),
        None => "explanations: nothing to hold against planted events (the model gives no per-event weights, or no true-positive test session has planted events)".into(),
    }
}

/// The model card printed by `inspect`.
pub fn model_card(h: &Header, file_bytes: usize) -> String {
    let mut s = String::new();
    let e = &h.encoder;
    let _ = writeln!(
        s,
        "seqrisk artifact ({file_bytes} bytes), written by seqrisk {}",
        h.seqrisk_version
    );
    let _ = writeln!(s, "created (unix seconds): {}", h.created_unix);
    match h.model_config() {
        Ok(ModelConfig::BehaviorCluster(c)) => cluster_card(&mut s, &c),
        Ok(ModelConfig::Gbdt(g)) => {
            // its configuration holds every tree: hundreds of kilobytes of JSON
            let _ = writeln!(s, "model: gbdt");
            let _ = writeln!(
                s,
                "config: {} trees ({} nodes, base score {:.4}) over {} aggregates",
                g.ensemble.trees.len(),
                g.ensemble.trees.iter().map(Vec::len).sum::<usize>(),
                g.ensemble.base_score,
                g.aggregates.len()
            );
        }
        Ok(c) => {
            let _ = writeln!(s, "model: {}", c.spec());
            let _ = writeln!(s, "config: {}", h.model_config_json);
        }
        Err(err) => {
            let _ = writeln!(s, "model: configuration unreadable ({err})");
        }
    }
    inputs_card(&mut s, e);
    let _ = writeln!(s, "training data: {}", h.data_fingerprint);
    let t = &h.training;
    let valid = if t.valid_auc.is_finite() {
        format!(" (valid AUC {:.4})", t.valid_auc)
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        "split (train/valid/test): {:?} sessions, {:?} positives; seed {}; {} epochs, best {}{valid}",
        t.split_sessions, t.split_positives, t.seed, t.epochs, t.best_epoch
    );
    let _ = writeln!(s, "threshold: flag sessions scoring ≥ {:.4}", t.threshold);
    match &h.calibration {
        Some(c) => s.push_str(&calibration_lines(c)),
        None => s.push_str("calibration: none (score = the model's sigmoid)\n"),
    }
    s.push_str(&policy_table(&h.policy_points));
    if let Some(m) = &h.test_metrics {
        s.push_str(&metrics_table(
            &h.model_config()
                .map(|c| c.spec().to_string())
                .unwrap_or_default(),
            m,
        ));
    }
    if let Some((hit, random)) = t.planted_top3 {
        let level = match h.model_config().map(|c| c.spec()) {
            Ok(ModelSpec::Lbsf) => "merchant",
            _ => "event",
        };
        let _ = writeln!(
            s,
            "planted {level} in top-3 explanation: {:.1}% (random {:.1}%)",
            100.0 * hit,
            100.0 * random
        );
    }
    if let Ok(ModelConfig::Gbdt(c)) = h.model_config() {
        gbdt_splits(&mut s, &c, e);
    }
    s
}

/// For NHFM and DIFM, their wide part read as their Table 3 reads it: the `k` features it
/// weighs most for risk and the `k` most against, with their weights `w_i`; with labelled
/// `sessions`, also field by field as DIFM's Table 3 reads it — each field's
/// [`FIELD_EXTREMES`] highest- and lowest-weighted values, each with its weight and
/// `positives/total` among the sessions that carry it ([`Encoder::feature_counts`]). Empty
/// for the other models.
pub fn wide_card(artifact: &Artifact, k: usize, sessions: Option<&[Session]>) -> Result<String> {
    let model = artifact.model(&Device::flex())?;
    let Some(wide) = model.wide() else {
        if sessions.is_some() {
            anyhow::bail!(
                "--data reads the wide part field by field, and {} has none (NHFM's and DIFM's have one)",
                artifact.header.model_config()?.spec()
            );
        }
        return Ok(String::new());
    };
    let encoder = &artifact.header.encoder;
    let names = encoder.feature_names();
    let e = wide.extremes(&names, k);
    let list = |v: &[(String, f32)]| {
        v.iter()
            .map(|(n, w)| format!("{n} ({w:+.3})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!(
        "wide part, highest-risk features: {}\nwide part, lowest-risk features: {}\n",
        list(&e.high),
        list(&e.low)
    );
    let Some(sessions) = sessions else {
        return Ok(s);
    };
    let counts = encoder.feature_counts(sessions);
    let index: std::collections::HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let counted = |v: &[(String, f32)]| {
        v.iter()
            .map(|(n, w)| {
                let (pos, total) = index.get(n.as_str()).map_or((0, 0), |&i| counts[i]);
                format!("{n} ({w:+.3}, {pos}/{total})")
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let labelled = sessions.iter().filter(|s| s.label.is_some()).count();
    let _ = write!(
        s,
        "wide part by field (weight, positives/total among the {labelled} labelled sessions that carry the value):\n| field | highest risk | lowest risk |\n| --- | --- | --- |\n"
    );
    for (field, e) in wide.extremes_by_field(&names, &encoder.feature_fields(), FIELD_EXTREMES) {
        let _ = writeln!(
            s,
            "| {field} | {} | {} |",
            counted(&e.high),
            counted(&e.low)
        );
    }
    Ok(s)
}

/// Values per field and side in [`wide_card`]'s per-field reading: DIFM's Table 3 lists four.
pub const FIELD_EXTREMES: usize = 4;

/// The encoder's inputs: the slots, and each event vocabulary's size with its first values.
fn inputs_card(s: &mut String, e: &Encoder) {
    let _ = writeln!(
        s,
        "inputs: T = {} events x {} fields ({}), {} profile slots, {} features in the dictionary",
        e.max_events(),
        e.event_fields(),
        e.event_field_names().join(", "),
        e.profile_fields(),
        e.num_features()
    );
    let names = e.event_field_names();
    for (name, vocab) in names.iter().zip(&e.event_vocabs) {
        let shown: Vec<&str> = (2..vocab.len().min(7) as u32)
            .map(|id| vocab.token(id))
            .collect();
        let more = if vocab.len() > 7 { ", …" } else { "" };
        let _ = writeln!(
            s,
            "  {name}: {} values ({}{more}) + <pad>, <oov>",
            vocab.len() - 2,
            shown.join(", ")
        );
    }
}

/// The GBDT's trees and the aggregates they split on most.
fn gbdt_splits(s: &mut String, c: &GbdtConfig, e: &Encoder) {
    let names = c.aggregates.names(e);
    let mut splits = vec![0usize; names.len()];
    for node in c.ensemble.trees.iter().flatten().filter(|n| !n.leaf) {
        if let Some(x) = splits.get_mut(node.feature) {
            *x += 1;
        }
    }
    let mut used: Vec<(usize, usize)> = splits
        .into_iter()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .collect();
    used.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top: Vec<String> = used
        .iter()
        .take(8)
        .map(|&(f, n)| format!("{} ({n})", names[f]))
        .collect();
    let _ = writeln!(
        s,
        "trees: {}; features most split on: {}",
        c.ensemble.trees.len(),
        top.join(", ")
    );
}

/// A FinDeepBehaviorCluster model's summary: its exemplars would fill the screen.
fn cluster_card(s: &mut String, c: &BehaviorClusterConfig) {
    let f = &c.fingerprints;
    let (names, integer) = f.handcrafted.describe_columns();
    let _ = writeln!(s, "model: {}", ModelSpec::BehaviorCluster);
    let _ = writeln!(
        s,
        "sequence network: {}",
        serde_json::to_string(&c.network).unwrap_or_default()
    );
    let _ = writeln!(
        s,
        "fingerprints: {:?} vectors of {} columns, {} risky clusters, background fraud density {:.4}",
        f.representation,
        f.center.len(),
        f.clusters.len(),
        f.background_density
    );
    for k in &f.clusters {
        let _ = writeln!(
            s,
            "  risky cluster {}: {} sessions, fraud density {:.3}, {} exemplars",
            k.label,
            k.size,
            k.fraud_density,
            k.core_distances.len()
        );
        for rule in &k.rules {
            let _ = writeln!(
                s,
                "    rule: {} (precision {:.3}, recall {:.3})",
                rule.describe(&names, &integer),
                rule.precision,
                rule.recall
            );
        }
    }
}

/// A Markdown table: per planted pattern, how often a planted event is among the top-3 events
/// by mean weight and by each named weight alone, next to random choice. `tps` index into `data`.
pub fn planted_by_pattern(data: &[SyntheticSession], tps: &[TruePositive]) -> String {
    let names: Vec<String> = tps
        .first()
        .map(|tp| tp.explanation.weights.keys().cloned().collect())
        .unwrap_or_default();
    let mut s = String::from("| pattern | sessions | top-3 by mean weight |");
    for n in &names {
        let _ = write!(s, " top-3 by {n} |");
    }
    s.push_str(" random top-3 |\n|---|---:|---:|");
    s.push_str(&"---:|".repeat(names.len() + 1));
    s.push('\n');
    for p in [
        Pattern::AccountTakeover,
        Pattern::CardTesting,
        Pattern::ScriptedBot,
    ] {
        let group: Vec<&TruePositive> = tps
            .iter()
            .filter(|tp| data.get(tp.session).map(|d| d.pattern) == Some(p))
            .collect();
        // ranked by the mean of all weights (`None`) or by one of them
        let rate = |by: Option<&str>| {
            let ranked: Vec<Explanation> = group
                .iter()
                .map(|tp| match by {
                    Some(name) => tp.explanation.ranked_by(name),
                    None => tp.explanation.clone(),
                })
                .collect();
            planted_hit_rate(
                group
                    .iter()
                    .zip(&ranked)
                    .map(|(tp, e)| (&data[tp.session].session, e)),
                TOP_EVENTS,
            )
        };
        let Some(mean) = rate(None) else {
            let _ = writeln!(
                s,
                "| {} | 0 | – |{} – |",
                p.name(),
                " – |".repeat(names.len())
            );
            continue;
        };
        let _ = write!(
            s,
            "| {} | {} | {:.1}% |",
            p.name(),
            mean.sessions,
            100.0 * mean.hit_rate
        );
        for n in &names {
            let by = rate(Some(n))
                .map(|r| 100.0 * r.hit_rate)
                .unwrap_or(f64::NAN);
            let _ = write!(s, " {by:.1}% |");
        }
        let _ = writeln!(s, " {:.1}% |", 100.0 * mean.random_rate);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(auc: f64) -> Metrics {
        Metrics {
            sessions: 100,
            positives: 10,
            auc,
            pauc_1pct: 0.5,
            ks: 0.1,
            recall_at_10pct: 0.2,
            average_precision: 0.3,
        }
    }

    fn single(auc: f64) -> SingleFeature {
        SingleFeature {
            field: "amount".into(),
            higher_is_riskier: false,
            valid_auc: 0.6,
            test: metrics(auc),
        }
    }

    /// A warning for each baseline the model does not beat: the rule at all, the GBDT by more
    /// than the margin; rows for both either way.
    #[test]
    fn warns_for_each_baseline_the_model_does_not_beat() {
        let (rule, gbdt) = (single(0.70), metrics(0.80));
        let ahead = baseline_table("nhfm", &metrics(0.797), Some(&rule), Some(&gbdt));
        assert!(!ahead.contains("warning"), "{ahead}");
        assert!(ahead.contains(
            "| best single feature: −amount of the last event (validation AUC 0.6000) | 0.7000 |"
        ));
        assert!(ahead.contains("| GBDT on aggregates | 0.8000 |"));
        let behind = baseline_table("nhfm", &metrics(0.70), Some(&rule), Some(&gbdt));
        assert!(
            behind.contains("does not beat ranking sessions by −amount"),
            "{behind}"
        );
        assert!(
            behind.contains("loses to the GBDT on aggregates (0.8000)"),
            "{behind}"
        );
        let nan = baseline_table("nhfm", &metrics(f64::NAN), Some(&rule), None);
        assert!(nan.contains("does not beat"), "{nan}");
        let none = baseline_table("gbdt", &metrics(0.8), None, None);
        assert!(none.contains("No baseline"), "{none}");
    }

    #[test]
    fn card_precision_line_names_each_ranking() {
        let cp = |mean| seqrisk_core::metrics::CardPrecision {
            k: 100,
            mean,
            best_possible: 0.09,
            days: 27,
        };
        let line = card_precision_line(
            "nhfm",
            &CardPrecisions {
                model: cp(0.031),
                single_feature: Some(cp(0.052)),
                gbdt: None,
            },
        );
        assert_eq!(
            line,
            "card precision@100 per day (the fraud handbook's metric, over 27 test days; a perfect ranking: 0.090): nhfm 0.031, best single feature 0.052"
        );
    }
}

//! The paper's induction set-up (FinDeepBehaviorCluster §4, Figure 8): cluster the earlier
//! sessions, then assign each later session to a cluster and flag it when it lands in a risky
//! one. Precision, recall, F-score and return rate (loss saved ÷ profit hurt: the amounts of
//! the flagged fraudulent sessions over those of the flagged legitimate ones) for
//!
//! - the artifact's fingerprints, through the same scoring path as `native score` and wasm;
//! - HDBSCAN's approximate predict against every training point;
//! - the paper's assignment baseline for clusterings without a predict: a distance-weighted
//!   5-nearest-neighbour vote over the training labels (scikit-learn's `KNeighborsClassifier`,
//!   `weights='distance'`);
//! - a supervised GBDT on the aggregates of the same earlier sessions, flagging as many later
//!   sessions as the fingerprints do (equal alert volume).

use crate::cluster::Fitted;
use crate::gbdt::{self, GbdtOptions};
use anyhow::Result;
use burn::prelude::*;
use seqrisk_core::cluster::knn;
use seqrisk_core::encode::EncodedSession;
use seqrisk_core::models::Model;
use seqrisk_core::models::baselines::Aggregates;
use seqrisk_core::schema::Session;
use seqrisk_core::scorer::score_encoded;
use serde::Serialize;
use std::collections::BTreeMap;

/// One way of flagging the later sessions.
#[derive(Debug, Clone, Serialize)]
pub struct Flagging {
    /// What flagged them.
    pub method: String,
    /// Sessions flagged.
    pub flagged: usize,
    /// Share of the flagged that are fraudulent.
    pub precision: f64,
    /// Share of the fraudulent that are flagged.
    pub recall: f64,
    /// Harmonic mean of the two.
    pub f_score: f64,
    /// Amounts of the flagged fraudulent sessions (their current event's).
    pub loss_saved: f64,
    /// Amounts of the flagged legitimate sessions.
    pub profit_hurt: f64,
    /// `loss_saved / profit_hurt` (`None` without an amount field or without flagged
    /// legitimate sessions).
    pub return_rate: Option<f64>,
}

/// The induction evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Induction {
    /// Sessions clustered (the earlier ones).
    pub train_sessions: usize,
    /// Later sessions assigned.
    pub test_sessions: usize,
    /// Fraudulent later sessions.
    pub test_positives: usize,
    /// The amount field read for the return rate.
    pub amount_field: Option<String>,
    /// Each method's figures, the fingerprints first.
    pub methods: Vec<Flagging>,
    /// Share of the later sessions the fingerprints and the approximate predict flag alike.
    pub fingerprint_agreement: f64,
    /// Per test session, the fingerprints' score (for the artifact's ROC curve).
    #[serde(skip)]
    pub scores: Vec<f64>,
}

/// The amount of a session's current (last) event.
fn amount(s: &Session, field: Option<usize>) -> f64 {
    field
        .and_then(|j| s.events.last().and_then(|e| e.values.numeric[j]))
        .unwrap_or(0.0)
}

fn flagging(
    method: &str,
    flags: &[bool],
    test: &[Session],
    amount_field: Option<usize>,
) -> Flagging {
    let (mut tp, mut fp, mut positives) = (0usize, 0usize, 0usize);
    let (mut saved, mut hurt) = (0.0, 0.0);
    for (s, &f) in test.iter().zip(flags) {
        let fraud = s.label == Some(true);
        positives += usize::from(fraud);
        if f && fraud {
            tp += 1;
            saved += amount(s, amount_field);
        } else if f {
            fp += 1;
            hurt += amount(s, amount_field);
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / positives.max(1) as f64;
    Flagging {
        method: method.to_string(),
        flagged: tp + fp,
        precision,
        recall,
        f_score: if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        },
        loss_saved: saved,
        profit_hurt: hurt,
        return_rate: (amount_field.is_some() && hurt > 0.0).then(|| saved / hurt),
    }
}

/// Evaluate `fitted` (clustered on `train`) on the later sessions `test`; `amount` names the
/// event numeric field of transaction amounts.
pub fn evaluate(
    fitted: &Fitted,
    train: &[Session],
    test: &[Session],
    amount: Option<&str>,
    batch_size: usize,
    seed: u64,
) -> Result<Induction> {
    let device = Device::flex();
    let schema = &fitted.encoder.schema;
    let amount_field = amount.and_then(|a| schema.event.numeric.iter().position(|f| f.name == a));
    let risky: Vec<bool> = fitted.report.clusters.iter().map(|c| c.risky).collect();
    let is_risky = |label: i32| label >= 0 && risky.get(label as usize).copied().unwrap_or(false);
    let encoded: Vec<EncodedSession> = test
        .iter()
        .map(|s| {
            fitted.encoder.check_session(s)?;
            Ok(fitted.encoder.encode(s))
        })
        .collect::<seqrisk_core::Result<_>>()?;
    let refs: Vec<&EncodedSession> = encoded.iter().collect();

    // the artifact's way: the fingerprints through the scorer
    let model = Model::BehaviorCluster(fitted.model.clone());
    let scored = score_encoded(&model, &fitted.encoder.event_field_names(), &refs, &device)?;
    let fingerprint: Vec<bool> = scored.iter().map(|(_, e)| e.cluster.is_some()).collect();
    let scores: Vec<f64> = scored.iter().map(|(s, _)| *s).collect();

    // against every training point
    let queries = fitted.vectors(&encoded, batch_size)?;
    let predicted: Vec<bool> = fitted
        .clustering
        .predict(&fitted.points, &queries, &device)?
        .iter()
        .map(|p| is_risky(p.label))
        .collect();
    let nn = knn(&fitted.points, &queries, 5, &device, 1 << 22)?;
    let voted: Vec<bool> = (0..test.len())
        .map(|q| vote(fitted, nn.of(q)).is_some_and(is_risky))
        .collect();

    // supervised, at the fingerprints' alert volume
    let volume = fingerprint.iter().filter(|&&f| f).count().max(1);
    let supervised = gbdt_at_volume(fitted, train, &encoded, volume, seed)?;

    let agree = fingerprint
        .iter()
        .zip(&predicted)
        .filter(|(a, b)| a == b)
        .count();
    Ok(Induction {
        train_sessions: train.len(),
        test_sessions: test.len(),
        test_positives: test.iter().filter(|s| s.label == Some(true)).count(),
        amount_field: amount_field.map(|j| schema.event.numeric[j].name.clone()),
        methods: vec![
            flagging("fingerprints (artifact)", &fingerprint, test, amount_field),
            flagging("approximate predict", &predicted, test, amount_field),
            flagging("kNN vote (k = 5, distance)", &voted, test, amount_field),
            flagging("GBDT, same alert volume", &supervised, test, amount_field),
        ],
        fingerprint_agreement: agree as f64 / test.len().max(1) as f64,
        scores,
    })
}

/// The training cluster that a query's neighbours `(point, distance)` vote for, weighted by
/// inverse distance as scikit-learn's `KNeighborsClassifier(weights="distance")`; ties go to
/// the lower label.
fn vote(fitted: &Fitted, neighbours: impl Iterator<Item = (usize, f64)>) -> Option<i32> {
    let mut votes: BTreeMap<i32, f64> = BTreeMap::new();
    for (j, d) in neighbours {
        // scikit-learn: an exact match outvotes everything else
        let w = if d > 0.0 { 1.0 / d } else { 1e12 };
        *votes.entry(fitted.clustering.labels[j]).or_default() += w;
    }
    votes
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(label, _)| label)
}

/// A GBDT on aggregates grown on the labelled training sessions (the last fifth for early
/// stopping), flagging the `volume` test sessions it scores highest: the supervised
/// comparison at the fingerprints' alert volume.
fn gbdt_at_volume(
    fitted: &Fitted,
    train: &[Session],
    encoded: &[EncodedSession],
    volume: usize,
    seed: u64,
) -> Result<Vec<bool>> {
    let aggregates = Aggregates::of(&fitted.encoder);
    let cut = train.len() * 4 / 5;
    let encoder = &fitted.encoder;
    let labels: Vec<bool> = train.iter().map(|s| s.label == Some(true)).collect();
    let ensemble = gbdt::fit(
        &aggregates,
        (
            train[..cut].iter().map(|s| encoder.encode(s)),
            &labels[..cut],
        ),
        (
            train[cut..].iter().map(|s| encoder.encode(s)),
            &labels[cut..],
        ),
        GbdtOptions {
            iterations: 500,
            learning_rate: 0.1,
            max_depth: 6,
            early_stopping_rounds: 20,
        },
        seed,
    )?;
    let gbdt_scores: Vec<f64> = encoded
        .iter()
        .map(|s| ensemble.predict(&aggregates.features(s)))
        .collect();
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    order.sort_by(|&a, &b| gbdt_scores[b].total_cmp(&gbdt_scores[a]).then(a.cmp(&b)));
    let mut supervised = vec![false; encoded.len()];
    for &i in order.iter().take(volume) {
        supervised[i] = true;
    }
    Ok(supervised)
}

/// The evaluation as Markdown.
pub fn markdown(r: &Induction) -> String {
    let mut s = format!(
        "\nInduction (§4): clustered on the {} earlier sessions, {} later sessions assigned ({} fraudulent); return rate = loss saved ÷ profit hurt over {}.\n\n| method | flagged | precision | recall | F-score | loss saved | profit hurt | return rate |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
        r.train_sessions,
        r.test_sessions,
        r.test_positives,
        r.amount_field
            .as_deref()
            .map_or("no amount field".to_string(), |a| format!("`{a}`"))
    );
    for m in &r.methods {
        s.push_str(&format!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.0} | {:.0} | {} |\n",
            m.method,
            m.flagged,
            m.precision,
            m.recall,
            m.f_score,
            m.loss_saved,
            m.profit_hurt,
            m.return_rate.map_or("–".into(), |x| format!("{x:.2}"))
        ));
    }
    s.push_str(&format!(
        "\nThe fingerprints and the approximate predict against every training point flag alike on {:.1}% of the later sessions.\n",
        100.0 * r.fingerprint_agreement
    ));
    s
}

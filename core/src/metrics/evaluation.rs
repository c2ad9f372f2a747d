//! Everything an evaluation report shows, computed once for every front end: the ranking
//! metrics and curves (ROC, precision-recall, gains), the calibration, the score distribution
//! of each class, what each of the card's thresholds gives on these sessions, and the metrics
//! of each segment of a profile field.

use super::{
    CalibrationMetrics, Metrics, OperatingPoint, RocPoint, confusion, flagged_from_the_top,
    recall_at, roc_curve,
};
use crate::policy::{PolicyPoint, Target};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Bins of [`score_histogram`].
pub const HISTOGRAM_BINS: usize = 20;
/// Segments of a profile field reported by name; the rest are one.
pub const TOP_SEGMENTS: usize = 10;

/// The precision-recall curve, one point per distinct score from the highest (tied scores
/// enter together): `(recall, precision)`. `None` without positives.
pub fn pr_curve(scores: &[f64], labels: &[bool]) -> Option<Vec<(f64, f64)>> {
    let pos = labels.iter().filter(|&&l| l).count();
    if pos == 0 || scores.len() != labels.len() {
        return None;
    }
    Some(
        flagged_from_the_top(scores, labels)
            .into_iter()
            .map(|(_, tp, fp)| (tp as f64 / pos as f64, tp as f64 / (tp + fp) as f64))
            .collect(),
    )
}

/// One bin of [`score_histogram`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HistogramBin {
    /// Lower edge (the bin holds `[lower, upper)`, the last one also 1).
    pub lower: f64,
    /// Upper edge.
    pub upper: f64,
    /// Negative sessions in it.
    pub negatives: usize,
    /// Positive sessions in it.
    pub positives: usize,
}

/// Scores in [0, 1] counted into `bins` equal-width bins, per class.
pub fn score_histogram(scores: &[f64], labels: &[bool], bins: usize) -> Vec<HistogramBin> {
    let width = 1.0 / bins as f64;
    let mut out: Vec<HistogramBin> = (0..bins)
        .map(|k| HistogramBin {
            lower: k as f64 * width,
            upper: (k + 1) as f64 * width,
            negatives: 0,
            positives: 0,
        })
        .collect();
    for (&s, &l) in scores.iter().zip(labels) {
        let k = ((s.clamp(0.0, 1.0) / width) as usize).min(bins - 1);
        if l {
            out[k].positives += 1;
        } else {
            out[k].negatives += 1;
        }
    }
    out
}

/// One point of the cumulative gains chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GainsPoint {
    /// Share of sessions flagged, highest scores first.
    pub flagged: f64,
    /// Share of all positives among them.
    pub caught: f64,
    /// `caught / flagged`: how many times better than flagging at random.
    pub lift: f64,
}

/// Cumulative gains at each tenth of the ranking: [`recall_at`] each tenth (ties broken by
/// input order). Empty without positives.
pub fn gains(scores: &[f64], labels: &[bool]) -> Vec<GainsPoint> {
    (1..=10)
        .map_while(|d| {
            let flagged = d as f64 / 10.0;
            let caught = recall_at(scores, labels, flagged)?;
            Some(GainsPoint {
                flagged,
                caught,
                lift: caught / flagged,
            })
        })
        .collect()
}

/// One of the card's thresholds applied to these sessions, beside what it gave on validation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdCheck {
    /// The card's target.
    pub target: Target,
    /// What the threshold gave on the validation split.
    pub validation: OperatingPoint,
    /// What it gives here.
    pub here: Option<OperatingPoint>,
    /// Confusion counts here: true positives, false positives, false negatives, true negatives.
    pub confusion: [usize; 4],
}

/// The metrics of one segment of a profile field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// The value (`(missing)` or `(other values)` for those groups).
    pub value: String,
    /// Its ranking metrics (NaN where a class is missing).
    pub metrics: Metrics,
    /// The mean calibrated score against the share positive.
    pub mean_score: f64,
}

/// A whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Ranking metrics of the model's own scores.
    pub metrics: Metrics,
    /// ROC curve.
    pub roc: Vec<RocPoint>,
    /// Precision-recall curve, `(recall, precision)`.
    pub pr: Vec<(f64, f64)>,
    /// Cumulative gains and lift per tenth of the ranking.
    pub gains: Vec<GainsPoint>,
    /// Calibration of the model's own scores …
    pub calibration_raw: CalibrationMetrics,
    /// … and of the scores users see (equal without a calibrator).
    pub calibration: CalibrationMetrics,
    /// The scores users see, per class.
    pub histogram: Vec<HistogramBin>,
    /// The card's thresholds on these sessions.
    pub thresholds: Vec<ThresholdCheck>,
    /// The segments of the chosen profile field, largest first, and its name.
    pub segments: Option<(String, Vec<Segment>)>,
}

impl Evaluation {
    /// Evaluate `raw` (the model's own scores, which rankings read) and `score` (calibrated,
    /// which thresholds read) of sessions with `labels`, at the card's `points`; with
    /// `segments`, each session's value of a profile field (named), per segment.
    pub fn compute(
        raw: &[f64],
        score: &[f64],
        labels: &[bool],
        points: &[PolicyPoint],
        segments: Option<(&str, &[Option<String>])>,
    ) -> Self {
        let thresholds = points
            .iter()
            .map(|p| {
                let confusion = confusion(score, labels, p.point.threshold);
                ThresholdCheck {
                    target: p.target,
                    validation: p.point,
                    here: OperatingPoint::of(p.point.threshold, confusion),
                    confusion,
                }
            })
            .collect();
        Self {
            metrics: Metrics::compute(raw, labels),
            roc: roc_curve(raw, labels).unwrap_or_default(),
            pr: pr_curve(raw, labels).unwrap_or_default(),
            gains: gains(raw, labels),
            calibration_raw: CalibrationMetrics::compute(raw, labels),
            calibration: CalibrationMetrics::compute(score, labels),
            histogram: score_histogram(score, labels, HISTOGRAM_BINS),
            thresholds,
            segments: segments.map(|(name, values)| {
                (
                    name.to_string(),
                    segment_metrics(values, raw, score, labels),
                )
            }),
        }
    }
}

/// Metrics per value of a field: the [`TOP_SEGMENTS`] most common values by name (ties by
/// value), the others together, and missing.
fn segment_metrics(
    values: &[Option<String>],
    raw: &[f64],
    score: &[f64],
    labels: &[bool],
) -> Vec<Segment> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in values.iter().flatten() {
        *counts.entry(v.as_str()).or_default() += 1;
    }
    let mut top: Vec<(&str, usize)> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    top.truncate(TOP_SEGMENTS);
    let group = |v: &Option<String>| -> String {
        match v {
            None => "(missing)".into(),
            Some(v) if top.iter().any(|(t, _)| t == v) => v.clone(),
            Some(_) => "(other values)".into(),
        }
    };
    let mut members: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, v) in values.iter().enumerate() {
        members.entry(group(v)).or_default().push(i);
    }
    let mut out: Vec<Segment> = members
        .into_iter()
        .map(|(value, idx)| {
            let r: Vec<f64> = idx.iter().map(|&i| raw[i]).collect();
            let l: Vec<bool> = idx.iter().map(|&i| labels[i]).collect();
            Segment {
                value,
                metrics: Metrics::compute(&r, &l),
                mean_score: idx.iter().map(|&i| score[i]).sum::<f64>() / idx.len() as f64,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.metrics
            .sessions
            .cmp(&a.metrics.sessions)
            .then_with(|| a.value.cmp(&b.value))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pr_curve_by_hand() {
        // 0.9 (+), 0.8 (−), 0.7 (+) and a tie at 0.5 (+, −)
        let s = [0.9, 0.8, 0.7, 0.5, 0.5];
        let l = [true, false, true, true, false];
        let pr = pr_curve(&s, &l).unwrap();
        assert_eq!(
            pr,
            [
                (1.0 / 3.0, 1.0),
                (1.0 / 3.0, 0.5),
                (2.0 / 3.0, 2.0 / 3.0),
                (1.0, 0.6)
            ]
        );
        assert!(pr_curve(&s, &[false; 5]).is_none());
    }

    #[test]
    fn histogram_and_gains_by_hand() {
        let s = [0.05, 0.12, 0.95, 1.0, 0.5];
        let l = [false, true, true, true, false];
        let h = score_histogram(&s, &l, 10);
        assert_eq!((h[0].negatives, h[1].positives, h[5].negatives), (1, 1, 1));
        assert_eq!(h[9].positives, 2, "1.0 goes to the last bin");
        assert_eq!(
            h.iter().map(|b| b.positives + b.negatives).sum::<usize>(),
            5
        );
        // ten sessions, the two positives ranked first and sixth
        let s: Vec<f64> = (0..10).map(|i| 1.0 - f64::from(i) / 10.0).collect();
        let l: Vec<bool> = (0..10).map(|i| i == 0 || i == 5).collect();
        let g = gains(&s, &l);
        assert_eq!(g.len(), 10);
        assert_eq!((g[0].caught, g[0].lift), (0.5, 5.0));
        assert_eq!((g[4].caught, g[5].caught, g[9].caught), (0.5, 1.0, 1.0));
    }

    #[test]
    fn thresholds_and_segments() {
        let raw = [0.9, 0.8, 0.3, 0.2];
        let score = [0.8, 0.6, 0.2, 0.1];
        let labels = [true, false, true, false];
        let point = PolicyPoint {
            target: Target::Fpr(0.01),
            point: OperatingPoint::at(&[0.9, 0.1], &[true, false], 0.5).unwrap(),
        };
        let seg = [
            Some("fr".to_string()),
            Some("fr".into()),
            None,
            Some("de".into()),
        ];
        let e = Evaluation::compute(&raw, &score, &labels, &[point], Some(("country", &seg)));
        let t = &e.thresholds[0];
        // score ≥ 0.5: 0.8 (+) and 0.6 (−)
        assert_eq!(t.confusion, [1, 1, 1, 1]);
        assert_eq!(t.here.unwrap().recall, 0.5);
        let (name, segments) = e.segments.unwrap();
        assert_eq!(name, "country");
        let values: Vec<&str> = segments.iter().map(|s| s.value.as_str()).collect();
        assert_eq!(values, ["fr", "(missing)", "de"]);
        assert_eq!(segments[0].metrics.auc, 1.0);
        assert!((segments[0].mean_score - 0.7).abs() < 1e-12);
        assert_eq!(e.metrics.auc, 0.75);
    }
}

//! Ranking metrics for risk scores: AUC, standardized partial AUC, KS, recall at the top k%,
//! average precision, the fraud handbook's card precision@k per day, and two models compared
//! on the same sessions ([`Comparison`]: DeLong's test, a bootstrap interval, correlations).
//!
//! Every function takes scores and labels of equal length and returns `None` when the metric
//! is undefined (no positives or no negatives).

mod calibration;
mod card_precision;
mod compare;
mod evaluation;
mod single_feature;

pub use calibration::{
    CALIBRATION_BINS, CalibrationMetrics, ReliabilityBin, brier, expected_calibration_error,
    reliability,
};
pub use card_precision::{CardPrecision, CardScore, card_precision_at_k};
pub use compare::{
    COMPARED_FPRS, CompareOptions, ComparedModel, Comparison, DeLong, Disagreement, ModelScores,
    OperatingPoint, bootstrap_auc_difference, confusion, delong, disagreements, pearson,
    recall_at_fpr, spearman,
};
pub use evaluation::{
    Evaluation, GainsPoint, HISTOGRAM_BINS, HistogramBin, Segment, TOP_SEGMENTS, ThresholdCheck,
    gains, pr_curve, score_histogram,
};
pub use single_feature::{SingleFeature, best_single_feature};

use serde::{Deserialize, Serialize};

/// One point of a ROC curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// False positive rate.
    pub fpr: f64,
    /// True positive rate.
    pub tpr: f64,
}

/// What flagging gives as the threshold falls through each distinct score, highest first:
/// `(score, true positives, false positives)` of the sessions scored at or above it, tied scores
/// entering together. The walk ROC, PR and AP curves and the card's thresholds are read from.
pub(crate) fn flagged_from_the_top(scores: &[f64], labels: &[bool]) -> Vec<(f64, usize, usize)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp, mut i) = (0usize, 0usize, 0usize);
    let mut out = Vec::new();
    while i < order.len() {
        let s = scores[order[i]];
        // a tie group takes at least its first session, so the walk always moves on
        loop {
            if labels[order[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
            if i == order.len() || scores[order[i]] != s {
                break;
            }
        }
        out.push((s, tp, fp));
    }
    out
}

/// The ROC curve with one point per distinct score threshold (ties move together),
/// from (0, 0) to (1, 1).
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Option<Vec<RocPoint>> {
    let pos = labels.iter().filter(|&&l| l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 || scores.len() != labels.len() {
        return None;
    }
    let mut points = vec![RocPoint { fpr: 0.0, tpr: 0.0 }];
    points.extend(
        flagged_from_the_top(scores, labels)
            .into_iter()
            .map(|(_, tp, fp)| RocPoint {
                fpr: fp as f64 / neg as f64,
                tpr: tp as f64 / pos as f64,
            }),
    );
    Some(points)
}

/// Area under the ROC curve, ties counted as one half (the Mann–Whitney statistic).
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    partial_area(&roc_curve(scores, labels)?, 1.0)
}

/// Trapezoidal area under `points` for FPR in `[0, max_fpr]`, interpolating at `max_fpr`.
fn partial_area(points: &[RocPoint], max_fpr: f64) -> Option<f64> {
    let mut area = 0.0;
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a.fpr >= max_fpr {
            break;
        }
        let (x1, y1) = if b.fpr > max_fpr {
            let t = (max_fpr - a.fpr) / (b.fpr - a.fpr);
            (max_fpr, a.tpr + t * (b.tpr - a.tpr))
        } else {
            (b.fpr, b.tpr)
        };
        area += (x1 - a.fpr) * (a.tpr + y1) / 2.0;
    }
    Some(area)
}

/// Standardized partial AUC over FPR ≤ `max_fpr` (McClish 1989), as scikit-learn's
/// `roc_auc_score(max_fpr=...)`: `½(1 + (A − A_min)/(A_max − A_min))` with
/// `A_min = max_fpr²/2` (the chance diagonal) and `A_max = max_fpr`.
pub fn partial_auc(scores: &[f64], labels: &[bool], max_fpr: f64) -> Option<f64> {
    if !(max_fpr > 0.0 && max_fpr <= 1.0) {
        return None;
    }
    let area = partial_area(&roc_curve(scores, labels)?, max_fpr)?;
    let min_area = 0.5 * max_fpr * max_fpr;
    Some(0.5 * (1.0 + (area - min_area) / (max_fpr - min_area)))
}

/// Kolmogorov–Smirnov statistic: `max(TPR − FPR)` over thresholds.
pub fn ks(scores: &[f64], labels: &[bool]) -> Option<f64> {
    roc_curve(scores, labels)?
        .iter()
        .map(|p| p.tpr - p.fpr)
        .max_by(f64::total_cmp)
}

/// Average precision, `Σ_k (R_k − R_{k−1})·P_k` over the distinct scores taken as thresholds
/// from the highest (precision and recall at each; tied scores enter together): the area under
/// the precision-recall curve without interpolation, as scikit-learn's
/// `average_precision_score` and the fraud handbook (Le Borgne et al. 2022, §4.2) report it.
/// `None` without positives.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let pos = labels.iter().filter(|&&l| l).count();
    if pos == 0 || scores.len() != labels.len() {
        return None;
    }
    let mut before = 0usize;
    let mut ap = 0.0;
    for (_, tp, fp) in flagged_from_the_top(scores, labels) {
        ap += (tp - before) as f64 / pos as f64 * (tp as f64 / (tp + fp) as f64);
        before = tp;
    }
    Some(ap)
}

/// Share of all positives among the `ceil(fraction·n)` highest scores (ties broken by input
/// order, the first scored sessions first).
pub fn recall_at(scores: &[f64], labels: &[bool], fraction: f64) -> Option<f64> {
    let pos = labels.iter().filter(|&&l| l).count();
    if pos == 0 || scores.len() != labels.len() || !(0.0..=1.0).contains(&fraction) {
        return None;
    }
    let k = (fraction * scores.len() as f64).ceil() as usize;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let hit = order[..k].iter().filter(|&&i| labels[i]).count();
    Some(hit as f64 / pos as f64)
}

/// The metric table reported after training and stored in the artifact.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Number of sessions scored.
    pub sessions: usize,
    /// Number of positive sessions.
    pub positives: usize,
    /// ROC AUC.
    pub auc: f64,
    /// Standardized partial AUC, FPR ≤ 1%.
    pub pauc_1pct: f64,
    /// KS statistic.
    pub ks: f64,
    /// Recall in the top 10% of scores.
    pub recall_at_10pct: f64,
    /// Average precision (the area under the precision-recall curve).
    #[serde(default = "not_measured")]
    pub average_precision: f64,
}

/// A metric that reports written before it existed do not hold.
fn not_measured() -> f64 {
    f64::NAN
}

impl Metrics {
    /// Compute all metrics (NaN where undefined).
    pub fn compute(scores: &[f64], labels: &[bool]) -> Self {
        let nan = f64::NAN;
        Self {
            sessions: scores.len(),
            positives: labels.iter().filter(|&&l| l).count(),
            auc: auc(scores, labels).unwrap_or(nan),
            pauc_1pct: partial_auc(scores, labels, 0.01).unwrap_or(nan),
            ks: ks(scores, labels).unwrap_or(nan),
            recall_at_10pct: recall_at(scores, labels, 0.10).unwrap_or(nan),
            average_precision: average_precision(scores, labels).unwrap_or(nan),
        }
    }
}

/// Adjusted Rand index of two labelings of the same items (Hubert & Arabie 1985): the Rand
/// index corrected for chance, 1 for identical partitions (up to renaming), about 0 for
/// independent ones. Every label is a group, noise (`−1`) included, as scikit-learn's
/// `adjusted_rand_score` counts it. `None` when the lengths differ.
pub fn adjusted_rand_index(a: &[i32], b: &[i32]) -> Option<f64> {
    if a.len() != b.len() {
        return None;
    }
    let pairs = |x: u64| (x * x.saturating_sub(1) / 2) as f64;
    let mut cells: std::collections::HashMap<(i32, i32), u64> = Default::default();
    let mut rows: std::collections::HashMap<i32, u64> = Default::default();
    let mut cols: std::collections::HashMap<i32, u64> = Default::default();
    for (&x, &y) in a.iter().zip(b) {
        *cells.entry((x, y)).or_default() += 1;
        *rows.entry(x).or_default() += 1;
        *cols.entry(y).or_default() += 1;
    }
    let index: f64 = cells.values().map(|&c| pairs(c)).sum();
    let sum_rows: f64 = rows.values().map(|&c| pairs(c)).sum();
    let sum_cols: f64 = cols.values().map(|&c| pairs(c)).sum();
    let total = pairs(a.len() as u64);
    let expected = if total > 0.0 {
        sum_rows * sum_cols / total
    } else {
        0.0
    };
    let max = (sum_rows + sum_cols) / 2.0;
    // one group on both sides (or fewer than two items): identical partitions
    if max == expected {
        return Some(1.0);
    }
    Some((index - expected) / (max - expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }

    #[test]
    fn hand_computed_values() {
        // positives 0.9, 0.4 ; negatives 0.8, 0.4, 0.1
        let s = [0.9, 0.8, 0.4, 0.4, 0.1];
        let l = [true, false, true, false, false];
        // pairs (pos > neg): 0.9 beats all 3; 0.4 beats 0.1, ties 0.4 -> 3 + 1 + 0.5 = 4.5 of 6
        close(auc(&s, &l).unwrap(), 0.75);
        // ROC: (0,0) (0,.5) (1/3,.5) (2/3,1) (1,1) -> KS = max(tpr - fpr) = 0.5
        close(ks(&s, &l).unwrap(), 0.5);
        // top 10% of 5 = 1 session (0.9, positive) -> 1 of 2 positives
        close(recall_at(&s, &l, 0.1).unwrap(), 0.5);
        close(recall_at(&s, &l, 0.6).unwrap(), 1.0);
        // thresholds 0.9 (P 1, R .5), 0.8 (P .5, R .5), 0.4 (both: P .5, R 1), 0.1 (P .4, R 1)
        close(average_precision(&s, &l).unwrap(), 0.5 * 1.0 + 0.5 * 0.5);
        close(average_precision(&[0.3, 0.2], &[true, true]).unwrap(), 1.0);
        assert!(average_precision(&s, &[false; 5]).is_none());
        // partial area up to FPR 0.5: 0.5·(1/3) + trapezoid (1/3→0.5) from 0.5 to 0.75
        let area = 0.5 / 3.0 + (0.5 - 1.0 / 3.0) * (0.5 + 0.75) / 2.0;
        let expected = 0.5 * (1.0 + (area - 0.125) / (0.5 - 0.125));
        close(partial_auc(&s, &l, 0.5).unwrap(), expected);
        close(partial_auc(&s, &l, 1.0).unwrap(), 0.75);
    }

    #[test]
    fn undefined_without_both_classes() {
        assert_eq!(auc(&[0.1, 0.2], &[true, true]), None);
        assert_eq!(recall_at(&[0.1], &[false], 0.1), None);
        assert!(Metrics::compute(&[0.3], &[false]).auc.is_nan());
    }

    /// Figures produced once with scikit-learn 1.9.1 (`roc_auc_score`, `roc_auc_score(max_fpr=)`,
    /// `roc_curve`) on seeded random data with ties; the fixture holds the inputs and outputs.
    #[test]
    fn matches_scikit_learn() {
        #[derive(Deserialize)]
        struct Case {
            scores: Vec<f64>,
            labels: Vec<u8>,
            auc: f64,
            pauc_001: f64,
            pauc_01: f64,
            pauc_05: f64,
            ks: f64,
        }
        let cases: Vec<Case> = serde_json::from_str(include_str!("sklearn_fixture.json")).unwrap();
        assert!(cases.len() >= 3);
        for c in cases {
            let l: Vec<bool> = c.labels.iter().map(|&x| x == 1).collect();
            let tol = |a: f64, b: f64| assert!((a - b).abs() < 1e-9, "{a} vs sklearn {b}");
            tol(auc(&c.scores, &l).unwrap(), c.auc);
            tol(partial_auc(&c.scores, &l, 0.01).unwrap(), c.pauc_001);
            tol(partial_auc(&c.scores, &l, 0.1).unwrap(), c.pauc_01);
            tol(partial_auc(&c.scores, &l, 0.5).unwrap(), c.pauc_05);
            tol(ks(&c.scores, &l).unwrap(), c.ks);
        }
    }

    #[test]
    fn adjusted_rand_index_known_values() {
        // scikit-learn: adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285715
        let ari = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]).unwrap();
        assert!((ari - 0.571_428_571_428_571_5).abs() < 1e-12, "{ari}");
        // renaming changes nothing; noise is a group like any other
        assert_eq!(
            adjusted_rand_index(&[0, 0, 1, -1], &[5, 5, -1, 2]),
            Some(1.0)
        );
        // adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) = -0.5
        let ari = adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]).unwrap();
        assert!((ari + 0.5).abs() < 1e-12, "{ari}");
        assert_eq!(adjusted_rand_index(&[1, 1], &[2, 2]), Some(1.0));
        assert_eq!(adjusted_rand_index(&[1], &[2, 2]), None);
    }
}

//! Two models on the same labelled sessions: is one's AUC really higher, and where do they
//! disagree? DeLong's test for correlated ROC curves (DeLong, DeLong & Clarke-Pearson 1988,
//! in the midrank form of Sun & Xu 2014), a paired, stratified bootstrap interval for the
//! difference, the scores' correlation, each model's recall at its own operating points, and
//! the sessions ranked most differently.

use super::{Metrics, roc_curve};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// The 97.5th percentile of the standard normal distribution (two-sided 95% intervals).
const Z_975: f64 = 1.959_963_984_540_054;

/// Midranks (1-based; tied values share the mean of their ranks).
fn midranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]].total_cmp(&x[order[i]]).is_eq() {
            j += 1;
        }
        // positions i..=j (0-based) hold ranks i+1..=j+1
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// DeLong's structural components of one model's AUC: for each positive `i`,
/// `V10_i = (1/n) Σ_j ψ(X_i, Y_j)`, and for each negative `j`, `V01_j = (1/m) Σ_i ψ(X_i, Y_j)`,
/// with `ψ(x, y) = 1` if `x > y`, ½ if equal, 0 otherwise (`X` the positives' scores, `Y` the
/// negatives', `m` and `n` their counts). Sun & Xu's midrank form:
/// `V10_i = (T_Z(i) − T_X(i))/n`, `V01_j = 1 − (T_Z(m+j) − T_Y(j))/m`, where `T_Z` ranks all
/// scores together and `T_X`, `T_Y` each group alone. The AUC is the mean of either.
fn placements(scores: &[f64], labels: &[bool]) -> (Vec<f64>, Vec<f64>) {
    let pos: Vec<f64> = (0..scores.len())
        .filter(|&i| labels[i])
        .map(|i| scores[i])
        .collect();
    let neg: Vec<f64> = (0..scores.len())
        .filter(|&i| !labels[i])
        .map(|i| scores[i])
        .collect();
    let (m, n) = (pos.len() as f64, neg.len() as f64);
    let all: Vec<f64> = pos.iter().chain(&neg).copied().collect();
    let (tz, tx, ty) = (midranks(&all), midranks(&pos), midranks(&neg));
    let v10 = (0..pos.len()).map(|i| (tz[i] - tx[i]) / n).collect();
    let v01 = (0..neg.len())
        .map(|j| 1.0 - (tz[pos.len() + j] - ty[j]) / m)
        .collect();
    (v10, v01)
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample covariance (denominator `len − 1`).
fn covariance(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    x.iter()
        .zip(y)
        .map(|(a, b)| (a - mx) * (b - my))
        .sum::<f64>()
        / (x.len() as f64 - 1.0)
}

/// Standard normal CDF.
fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// DeLong's test of `AUC_A = AUC_B` for two models scored on the same sessions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeLong {
    /// AUC of model A.
    pub auc_a: f64,
    /// AUC of model B.
    pub auc_b: f64,
    /// `AUC_A − AUC_B`.
    pub difference: f64,
    /// Variance of `AUC_A` (DeLong's estimate).
    pub variance_a: f64,
    /// Variance of `AUC_B`.
    pub variance_b: f64,
    /// Covariance of the two AUCs (the sessions are shared).
    pub covariance: f64,
    /// Standard error of the difference, `√(var_A + var_B − 2·cov)`.
    pub std_error: f64,
    /// `difference / std_error` (0 when both are 0).
    pub z: f64,
    /// Two-sided p-value, `2·(1 − Φ(|z|))`.
    pub p_value: f64,
    /// 95% confidence interval of the difference, `difference ± 1.96·std_error`.
    pub ci95: [f64; 2],
}

/// Whether two models' scores of the same sessions can be compared: equal lengths and at least
/// 2 positives and 2 negatives (what DeLong's variances and the bootstrap need).
fn comparable(a: &[f64], b: &[f64], labels: &[bool]) -> bool {
    let m = labels.iter().filter(|&&l| l).count();
    a.len() == labels.len() && b.len() == labels.len() && m >= 2 && labels.len() - m >= 2
}

/// DeLong's test for two correlated ROC curves: the AUCs' variances and covariance from the
/// structural components (see [`placements`]), `S = S10/m + S01/n` with `S10`, `S01` the
/// sample covariance matrices of the components over the positives and the negatives.
/// `None` unless there are at least 2 positives and 2 negatives and the lengths agree.
pub fn delong(a: &[f64], b: &[f64], labels: &[bool]) -> Option<DeLong> {
    if !comparable(a, b, labels) {
        return None;
    }
    let m = labels.iter().filter(|&&l| l).count();
    let n = labels.len() - m;
    let (a10, a01) = placements(a, labels);
    let (b10, b01) = placements(b, labels);
    let (m, n) = (m as f64, n as f64);
    let (auc_a, auc_b) = (mean(&a10), mean(&b10));
    let variance_a = covariance(&a10, &a10) / m + covariance(&a01, &a01) / n;
    let variance_b = covariance(&b10, &b10) / m + covariance(&b01, &b01) / n;
    let cov = covariance(&a10, &b10) / m + covariance(&a01, &b01) / n;
    let difference = auc_a - auc_b;
    // rounding can leave a tiny negative variance for (nearly) identical models
    let std_error = (variance_a + variance_b - 2.0 * cov).max(0.0).sqrt();
    let z = if difference == 0.0 {
        0.0
    } else {
        difference / std_error
    };
    Some(DeLong {
        auc_a,
        auc_b,
        difference,
        variance_a,
        variance_b,
        covariance: cov,
        std_error,
        z,
        p_value: 2.0 * (1.0 - normal_cdf(z.abs())),
        ci95: [
            difference - Z_975 * std_error,
            difference + Z_975 * std_error,
        ],
    })
}

/// The `q`-quantile of sorted values, interpolating linearly between order statistics (numpy's
/// default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// A 95% percentile interval of `AUC_A − AUC_B` over `rounds` paired bootstrap resamples:
/// each round draws the positives and the negatives with replacement, each group keeping its
/// size (stratified, so every resample has an AUC, as pROC's default), and scores both models
/// on the same draw. Seeded; `None` where [`delong`] is, or for no rounds.
pub fn bootstrap_auc_difference(
    a: &[f64],
    b: &[f64],
    labels: &[bool],
    rounds: usize,
    seed: u64,
) -> Option<[f64; 2]> {
    if rounds == 0 || !comparable(a, b, labels) {
        return None;
    }
    let pos: Vec<usize> = (0..labels.len()).filter(|&i| labels[i]).collect();
    let neg: Vec<usize> = (0..labels.len()).filter(|&i| !labels[i]).collect();
    let mut rng = SmallRng::seed_from_u64(seed);
    let resampled_labels: Vec<bool> = pos
        .iter()
        .map(|_| true)
        .chain(neg.iter().map(|_| false))
        .collect();
    let (mut ra, mut rb) = (
        Vec::with_capacity(labels.len()),
        Vec::with_capacity(labels.len()),
    );
    let mut differences: Vec<f64> = (0..rounds)
        .map(|_| {
            ra.clear();
            rb.clear();
            for group in [&pos, &neg] {
                for _ in 0..group.len() {
                    let i = group[rng.random_range(0..group.len())];
                    ra.push(a[i]);
                    rb.push(b[i]);
                }
            }
            let (x, _) = placements(&ra, &resampled_labels);
            let (y, _) = placements(&rb, &resampled_labels);
            mean(&x) - mean(&y)
        })
        .collect();
    differences.sort_by(f64::total_cmp);
    Some([quantile(&differences, 0.025), quantile(&differences, 0.975)])
}

/// Pearson's correlation; `None` for fewer than 2 values or a constant input.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let (vx, vy) = (covariance(x, x), covariance(y, y));
    (vx > 0.0 && vy > 0.0).then(|| covariance(x, y) / (vx * vy).sqrt())
}

/// Spearman's rank correlation: Pearson's on the midranks.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    pearson(&midranks(x), &midranks(y))
}

/// What flagging the sessions scored at or above a threshold gives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    /// The score from which a session is flagged.
    pub threshold: f64,
    /// Share of all sessions flagged.
    pub alert_rate: f64,
    /// Share of the negatives flagged.
    pub fpr: f64,
    /// Share of the positives flagged.
    pub recall: f64,
    /// Share of the flagged that are positive (`None` when nothing is flagged).
    pub precision: Option<f64>,
}

/// Flagging `score ≥ threshold`: true positives, false positives, false negatives, true
/// negatives.
pub fn confusion(scores: &[f64], labels: &[bool], threshold: f64) -> [usize; 4] {
    let mut counts = [0usize; 4];
    for (&s, &l) in scores.iter().zip(labels) {
        counts[match (s >= threshold, l) {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (false, false) => 3,
        }] += 1;
    }
    counts
}

impl OperatingPoint {
    /// Flag `score ≥ threshold`; `None` without positives or negatives.
    pub fn at(scores: &[f64], labels: &[bool], threshold: f64) -> Option<Self> {
        if scores.len() != labels.len() {
            return None;
        }
        Self::of(threshold, confusion(scores, labels, threshold))
    }

    /// The rates of confusion counts `[TP, FP, FN, TN]` at `threshold`; `None` without
    /// positives or negatives.
    pub fn of(threshold: f64, [tp, fp, fn_, tn]: [usize; 4]) -> Option<Self> {
        let (pos, neg) = (tp + fn_, fp + tn);
        if pos == 0 || neg == 0 {
            return None;
        }
        Some(Self {
            threshold,
            alert_rate: (tp + fp) as f64 / (pos + neg) as f64,
            fpr: fp as f64 / neg as f64,
            recall: tp as f64 / pos as f64,
            precision: (tp + fp > 0).then(|| tp as f64 / (tp + fp) as f64),
        })
    }
}

/// Recall at a false-positive rate: the highest TPR among the thresholds whose FPR is at most
/// `max_fpr` (tied scores are flagged together, so no threshold splits them).
pub fn recall_at_fpr(scores: &[f64], labels: &[bool], max_fpr: f64) -> Option<f64> {
    roc_curve(scores, labels)?
        .iter()
        .filter(|p| p.fpr <= max_fpr)
        .map(|p| p.tpr)
        .max_by(f64::total_cmp)
}

/// The false-positive rates at which [`Comparison`] reads both models' recall.
pub const COMPARED_FPRS: [f64; 3] = [0.001, 0.01, 0.05];

/// One model's side of a [`Comparison`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparedModel {
    /// The ranking metrics.
    pub metrics: Metrics,
    /// Recall at each of [`COMPARED_FPRS`].
    pub recall_at_fpr: Vec<f64>,
    /// The model's own decision threshold (its card's), applied to these sessions.
    pub at_threshold: Option<OperatingPoint>,
}

/// One model's scores of the compared sessions.
#[derive(Debug, Clone, Copy)]
pub struct ModelScores<'a> {
    /// The model's own scores (its sigmoid), which every ranking figure reads.
    pub raw: &'a [f64],
    /// The scores users see (calibrated, when the model is), which its threshold applies to.
    pub score: &'a [f64],
    /// The model's decision threshold, on `score`.
    pub threshold: Option<f64>,
}

impl ComparedModel {
    fn new(s: ModelScores, labels: &[bool]) -> Self {
        Self {
            metrics: Metrics::compute(s.raw, labels),
            recall_at_fpr: COMPARED_FPRS
                .iter()
                .map(|&f| recall_at_fpr(s.raw, labels, f).unwrap_or(f64::NAN))
                .collect(),
            at_threshold: s
                .threshold
                .and_then(|t| OperatingPoint::at(s.score, labels, t)),
        }
    }
}

/// A session the two models rank far apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    /// Its position in the compared sessions.
    pub index: usize,
    /// Its id.
    pub id: String,
    /// Its label.
    pub label: bool,
    /// Model A's raw score.
    pub score_a: f64,
    /// Model B's raw score.
    pub score_b: f64,
    /// Its percentile rank under A (midrank / sessions; 1 is the riskiest).
    pub rank_a: f64,
    /// Its percentile rank under B.
    pub rank_b: f64,
}

/// The `k` sessions whose percentile ranks under A and B differ most (ties by position);
/// `ids` name them.
pub fn disagreements(
    ids: &[String],
    a: &[f64],
    b: &[f64],
    labels: &[bool],
    k: usize,
) -> Vec<Disagreement> {
    let n = a.len() as f64;
    let (ra, rb) = (midranks(a), midranks(b));
    let len = ids.len().min(a.len()).min(b.len()).min(labels.len());
    let mut order: Vec<usize> = (0..len).collect();
    let gap = |i: usize| (ra[i] - rb[i]).abs();
    order.sort_by(|&i, &j| gap(j).total_cmp(&gap(i)).then(i.cmp(&j)));
    order
        .into_iter()
        .take(k)
        .map(|i| Disagreement {
            index: i,
            id: ids[i].clone(),
            label: labels[i],
            score_a: a[i],
            score_b: b[i],
            rank_a: ra[i] / n,
            rank_b: rb[i] / n,
        })
        .collect()
}

/// How [`Comparison::compute`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareOptions {
    /// Bootstrap rounds for the interval of the AUC difference (0: none).
    pub bootstrap_rounds: usize,
    /// The bootstrap's seed.
    pub seed: u64,
    /// How many of the most disagreeing sessions to list.
    pub disagreements: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            bootstrap_rounds: 2000,
            seed: 1,
            disagreements: 10,
        }
    }
}

/// Models A and B on the same labelled sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Sessions compared.
    pub sessions: usize,
    /// Positive sessions among them.
    pub positives: usize,
    /// The false-positive rates of each model's `recall_at_fpr`.
    pub fprs: Vec<f64>,
    /// Model A.
    pub a: ComparedModel,
    /// Model B.
    pub b: ComparedModel,
    /// DeLong's test of the AUC difference (`None` with fewer than 2 positives or negatives).
    pub delong: Option<DeLong>,
    /// The paired bootstrap's 95% interval of `AUC_A − AUC_B`, and its rounds.
    pub bootstrap_ci95: Option<[f64; 2]>,
    /// Bootstrap rounds run.
    pub bootstrap_rounds: usize,
    /// Pearson's correlation of the scores.
    pub pearson: Option<f64>,
    /// Spearman's correlation of the scores.
    pub spearman: Option<f64>,
    /// The sessions ranked most differently, most different first.
    pub disagreements: Vec<Disagreement>,
}

impl Comparison {
    /// Compare models A and B on the same sessions (`ids`, `labels`): every ranking figure on
    /// their raw scores, each model's threshold on the scores it applies to.
    pub fn compute(
        ids: &[String],
        scores: [ModelScores; 2],
        labels: &[bool],
        options: CompareOptions,
    ) -> Self {
        let (a, b) = (scores[0].raw, scores[1].raw);
        Self {
            sessions: labels.len(),
            positives: labels.iter().filter(|&&l| l).count(),
            fprs: COMPARED_FPRS.to_vec(),
            a: ComparedModel::new(scores[0], labels),
            b: ComparedModel::new(scores[1], labels),
            delong: delong(a, b, labels),
            bootstrap_ci95: bootstrap_auc_difference(
                a,
                b,
                labels,
                options.bootstrap_rounds,
                options.seed,
            ),
            bootstrap_rounds: options.bootstrap_rounds,
            pearson: pearson(a, b),
            spearman: spearman(a, b),
            disagreements: disagreements(ids, a, b, labels, options.disagreements),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auc;

    #[test]
    fn midranks_share_tied_ranks() {
        assert_eq!(
            midranks(&[0.3, 0.1, 0.3, 0.2, 0.3]),
            [4.0, 1.0, 4.0, 2.0, 4.0]
        );
    }

    /// Two positives (0.9, 0.4) and two negatives (0.4, 0.1): ψ gives V10 = (1, ¾) (0.4 ties
    /// one negative) and V01 = (¾, 1) (the negative 0.4 is below 0.9 and tied with 0.4), both
    /// with mean ⅞ = the AUC.
    #[test]
    fn placements_by_hand() {
        let (v10, v01) = placements(&[0.9, 0.4, 0.4, 0.1], &[true, true, false, false]);
        assert_eq!(v10, [1.0, 0.75]);
        assert_eq!(v01, [0.75, 1.0]);
    }

    #[derive(Deserialize)]
    struct Case {
        a: Vec<f64>,
        b: Vec<f64>,
        labels: Vec<u8>,
        auc_a: f64,
        auc_b: f64,
        var_a: f64,
        var_b: f64,
        cov: f64,
        z: f64,
        p_value: f64,
    }

    /// pROC 1.18.0's `roc.test(method = "delong", paired = TRUE)`, `var()` and `cov()` on fixed
    /// inputs (`scripts/delong-fixtures.R` writes `delong_fixture.json`).
    #[test]
    fn delong_matches_proc() {
        let cases: Vec<Case> = serde_json::from_str(include_str!("delong_fixture.json")).unwrap();
        assert!(cases.len() >= 3);
        for c in cases {
            let l: Vec<bool> = c.labels.iter().map(|&x| x == 1).collect();
            let d = delong(&c.a, &c.b, &l).unwrap();
            let close = |x: f64, y: f64, what: &str| {
                assert!(
                    (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                    "{what}: {x} vs pROC {y}"
                )
            };
            close(d.auc_a, c.auc_a, "AUC A");
            close(d.auc_b, c.auc_b, "AUC B");
            close(d.auc_a, auc(&c.a, &l).unwrap(), "AUC A vs the ROC's area");
            close(d.variance_a, c.var_a, "var A");
            close(d.variance_b, c.var_b, "var B");
            close(d.covariance, c.cov, "cov");
            close(d.z, c.z, "z");
            close(d.p_value, c.p_value, "p");
        }
    }

    #[test]
    fn identical_models_do_not_differ() {
        let s = [0.9, 0.8, 0.3, 0.5, 0.1, 0.7];
        let l = [true, true, false, true, false, false];
        let d = delong(&s, &s, &l).unwrap();
        assert_eq!((d.difference, d.z, d.p_value), (0.0, 0.0, 1.0));
        assert_eq!(
            bootstrap_auc_difference(&s, &s, &l, 50, 3),
            Some([0.0, 0.0])
        );
        assert!(delong(&s, &s, &[true, false, false, false, false, false]).is_none());
    }

    /// A model that separates the classes perfectly against one that ranks at random: the
    /// bootstrap interval excludes 0 and is seeded.
    #[test]
    fn bootstrap_interval_is_seeded_and_covers_the_difference() {
        let n = 200;
        let labels: Vec<bool> = (0..n).map(|i| i % 4 == 0).collect();
        let a: Vec<f64> = labels.iter().map(|&l| f64::from(u8::from(l))).collect();
        let b: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64).collect();
        let ci = bootstrap_auc_difference(&a, &b, &labels, 300, 7).unwrap();
        let d = delong(&a, &b, &labels).unwrap();
        assert!(
            ci[0] > 0.0 && ci[0] <= d.difference && d.difference <= ci[1],
            "{ci:?}"
        );
        assert_eq!(bootstrap_auc_difference(&a, &b, &labels, 300, 7), Some(ci));
        assert_ne!(bootstrap_auc_difference(&a, &b, &labels, 300, 8), Some(ci));
    }

    #[test]
    fn correlations_by_hand() {
        // y = 2x + 1: both 1; a reversed order: Spearman −1
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!((pearson(&x, &[3.0, 5.0, 7.0, 9.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((spearman(&x, &[40.0, 30.0, 20.0, 10.0]).unwrap() + 1.0).abs() < 1e-12);
        // x = (1, 2, 3), y = (1, 3, 2): cov 0.5, var 1 each
        assert!((pearson(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(pearson(&x, &[1.0; 4]), None);
    }

    #[test]
    fn operating_points_by_hand() {
        let s = [0.9, 0.8, 0.7, 0.6, 0.2];
        let l = [true, false, true, false, false];
        let p = OperatingPoint::at(&s, &l, 0.7).unwrap();
        assert_eq!(
            (p.alert_rate, p.fpr, p.recall, p.precision),
            (0.6, 1.0 / 3.0, 1.0, Some(2.0 / 3.0))
        );
        assert_eq!(OperatingPoint::at(&s, &l, 1.0).unwrap().precision, None);
        // FPR ≤ 0: only 0.9 is flagged → recall ½; FPR ≤ ⅓ allows down to 0.7 → 1
        assert_eq!(recall_at_fpr(&s, &l, 0.0), Some(0.5));
        assert_eq!(recall_at_fpr(&s, &l, 0.34), Some(1.0));
    }

    #[test]
    fn disagreements_put_the_largest_rank_gap_first() {
        let a = [0.1, 0.2, 0.3, 0.4];
        let b = [0.4, 0.2, 0.3, 0.1];
        let l = [false, true, false, true];
        let ids: Vec<String> = ["w", "x", "y", "z"].map(String::from).into();
        let d = disagreements(&ids, &a, &b, &l, 3);
        // sessions 0 and 3 swap ends (gap ¾ each, by position); 1 and 2 keep their ranks
        assert_eq!(d.iter().map(|x| x.index).collect::<Vec<_>>(), [0, 3, 1]);
        assert_eq!((d[0].rank_a, d[0].rank_b, d[0].label), (0.25, 1.0, false));
        assert_eq!((d[0].id.as_str(), d[1].id.as_str()), ("w", "z"));
    }
}

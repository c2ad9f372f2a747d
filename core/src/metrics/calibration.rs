//! How far scores read as probabilities are from observed frequencies: the Brier score, the
//! expected calibration error and the reliability diagram's bins.

use serde::{Deserialize, Serialize};

/// Bins of the reliability diagram and the expected calibration error.
pub const CALIBRATION_BINS: usize = 10;

/// One bin of a reliability diagram: the sessions whose probability falls in `(lower, upper]`
/// (the first bin also takes 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge.
    pub lower: f64,
    /// Upper edge.
    pub upper: f64,
    /// Sessions in the bin.
    pub count: usize,
    /// Their mean probability.
    pub mean_predicted: f64,
    /// The share of them that are positive.
    pub observed: f64,
}

/// The non-empty bins of `bins` equal-width bins over [0, 1], as scikit-learn's
/// `calibration_curve(strategy="uniform")` assigns them (edge `k` is `k·(1/bins)`; a
/// probability on an inner edge goes to the bin below it).
pub fn reliability(p: &[f64], labels: &[bool], bins: usize) -> Vec<ReliabilityBin> {
    let width = 1.0 / bins as f64;
    let mut sums = vec![(0usize, 0.0, 0usize); bins];
    for (&p, &l) in p.iter().zip(labels) {
        // the number of inner edges strictly below p
        let bin = (1..bins).filter(|&k| k as f64 * width < p).count();
        sums[bin].0 += 1;
        sums[bin].1 += p;
        sums[bin].2 += usize::from(l);
    }
    sums.iter()
        .enumerate()
        .filter(|(_, s)| s.0 > 0)
        .map(|(k, &(count, sum, positives))| ReliabilityBin {
            lower: k as f64 * width,
            upper: if k + 1 == bins {
                1.0
            } else {
                (k + 1) as f64 * width
            },
            count,
            mean_predicted: sum / count as f64,
            observed: positives as f64 / count as f64,
        })
        .collect()
}

/// Brier score, the mean of `(p − y)²`; `None` for no sessions.
pub fn brier(p: &[f64], labels: &[bool]) -> Option<f64> {
    (!p.is_empty() && p.len() == labels.len()).then(|| {
        p.iter()
            .zip(labels)
            .map(|(&p, &l)| (p - f64::from(u8::from(l))).powi(2))
            .sum::<f64>()
            / p.len() as f64
    })
}

/// Expected calibration error over [`reliability`]'s bins: `Σ_b (n_b/N)·|p̄_b − ȳ_b|`.
pub fn expected_calibration_error(p: &[f64], labels: &[bool], bins: usize) -> Option<f64> {
    (!p.is_empty() && p.len() == labels.len()).then(|| {
        reliability(p, labels, bins)
            .iter()
            .map(|b| b.count as f64 * (b.mean_predicted - b.observed).abs())
            .sum::<f64>()
            / p.len() as f64
    })
}

/// The calibration of a set of probabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationMetrics {
    /// Brier score.
    pub brier: f64,
    /// Expected calibration error over [`CALIBRATION_BINS`] bins.
    pub ece: f64,
    /// The reliability diagram's non-empty bins.
    pub bins: Vec<ReliabilityBin>,
}

impl CalibrationMetrics {
    /// Compute them (NaN for no sessions).
    pub fn compute(p: &[f64], labels: &[bool]) -> Self {
        Self {
            brier: brier(p, labels).unwrap_or(f64::NAN),
            ece: expected_calibration_error(p, labels, CALIBRATION_BINS).unwrap_or(f64::NAN),
            bins: reliability(p, labels, CALIBRATION_BINS),
        }
    }
}

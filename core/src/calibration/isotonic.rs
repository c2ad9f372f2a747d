//! Isotonic regression (Zadrozny & Elkan 2002): the non-decreasing step function of the logit
//! closest to the labels, read between its steps by linear interpolation.

use serde::{Deserialize, Serialize};

/// The fitted function: `p(f)` interpolates linearly between the points `(x[i], y[i])`
/// (strictly increasing `x`, non-decreasing `y` in [0, 1]) and is clipped to `y[0]` and
/// `y[last]` outside them, as scikit-learn's `IsotonicRegression(out_of_bounds="clip")`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Isotonic {
    /// Logits at the points.
    pub x: Vec<f64>,
    /// Probabilities at the points.
    pub y: Vec<f64>,
}

impl Isotonic {
    /// The calibrated probability of logit `f`.
    pub fn apply(&self, f: f64) -> f64 {
        let (x, y) = (&self.x, &self.y);
        let last = x.len() - 1;
        if f <= x[0] {
            return y[0];
        }
        if f >= x[last] {
            return y[last];
        }
        // the first point right of f: x[i − 1] < f ≤ x[i]
        let i = x.partition_point(|&v| v < f);
        if x[i] == f {
            return y[i];
        }
        y[i - 1] + (f - x[i - 1]) / (x[i] - x[i - 1]) * (y[i] - y[i - 1])
    }

    /// What is wrong with the points, if anything (an artifact's are checked before use).
    pub fn check(&self) -> Result<(), String> {
        if self.x.is_empty() || self.x.len() != self.y.len() {
            return Err(format!(
                "isotonic calibration has {} logits and {} probabilities",
                self.x.len(),
                self.y.len()
            ));
        }
        if self.x.iter().chain(&self.y).any(|v| !v.is_finite()) {
            return Err("isotonic calibration holds a non-finite value".into());
        }
        if self.x.windows(2).any(|w| w[0] >= w[1]) {
            return Err("isotonic calibration's logits are not strictly increasing".into());
        }
        if self.y.windows(2).any(|w| w[0] > w[1])
            || self.y[0] < 0.0
            || self.y[self.y.len() - 1] > 1.0
        {
            return Err("isotonic calibration's probabilities do not rise within [0, 1]".into());
        }
        Ok(())
    }

    /// Fit on logits `f` and labels as scikit-learn's `IsotonicRegression().fit`: equal logits
    /// are merged first (their labels averaged, weighted by count), then the pool-adjacent-
    /// violators algorithm makes the means non-decreasing, and the points inside a flat run
    /// are dropped (the first and last of each run stay, so the interpolation is unchanged).
    /// `None` without logits or with a non-finite one.
    pub fn fit(f: &[f64], labels: &[bool]) -> Option<Self> {
        if f.is_empty() || f.len() != labels.len() || f.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let mut order: Vec<usize> = (0..f.len()).collect();
        order.sort_by(|&a, &b| f[a].total_cmp(&f[b]));
        // blocks of (logit, label sum, count), equal logits merged
        let mut xs: Vec<f64> = Vec::new();
        let mut sums: Vec<f64> = Vec::new();
        let mut counts: Vec<f64> = Vec::new();
        for i in order {
            let label = f64::from(u8::from(labels[i]));
            if xs.last() == Some(&f[i]) {
                *sums.last_mut()? += label;
                *counts.last_mut()? += 1.0;
            } else {
                xs.push(f[i]);
                sums.push(label);
                counts.push(1.0);
            }
        }
        // pool adjacent violators over the merged points: each pool is (sum, count, points)
        let mut pools: Vec<(f64, f64, usize)> = Vec::with_capacity(xs.len());
        for (&s, &c) in sums.iter().zip(&counts) {
            pools.push((s, c, 1));
            while pools.len() > 1 {
                let (s2, c2, n2) = pools[pools.len() - 1];
                let (s1, c1, n1) = pools[pools.len() - 2];
                if s1 / c1 <= s2 / c2 {
                    break;
                }
                pools.pop();
                let last = pools.len() - 1;
                pools[last] = (s1 + s2, c1 + c2, n1 + n2);
            }
        }
        let ys: Vec<f64> = pools
            .iter()
            .flat_map(|&(s, c, n)| std::iter::repeat_n(s / c, n))
            .collect();
        // keep the ends and every point whose value differs from a neighbour's
        let keep =
            |i: usize| i == 0 || i + 1 == ys.len() || ys[i] != ys[i - 1] || ys[i] != ys[i + 1];
        let kept: Vec<usize> = (0..ys.len()).filter(|&i| keep(i)).collect();
        Some(Self {
            x: kept.iter().map(|&i| xs[i]).collect(),
            y: kept.iter().map(|&i| ys[i]).collect(),
        })
    }
}

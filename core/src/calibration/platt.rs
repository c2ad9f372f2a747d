//! Platt scaling (Platt 1999): a logistic regression on the model's logit.

use serde::{Deserialize, Serialize};

/// `p = σ(slope · f + intercept)` of the model's logit `f`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    /// Weight of the logit (scikit-learn's `−a`).
    pub slope: f64,
    /// Intercept (scikit-learn's `−b`).
    pub intercept: f64,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `log(1 + eˣ)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

impl Platt {
    /// The calibrated probability of logit `f`.
    pub fn apply(&self, f: f64) -> f64 {
        sigmoid(self.slope * f + self.intercept)
    }

    /// Fit on logits `f` and labels as Platt (1999) and scikit-learn's `_sigmoid_calibration`
    /// do: the targets are smoothed to `(N₊ + 1)/(N₊ + 2)` for positives and `1/(N₋ + 2)` for
    /// negatives (an out-of-sample correction that keeps a separable set finite), and the
    /// cross-entropy `Σ softplus(z) − t·z`, `z = slope·f + intercept`, is minimised by Newton's
    /// method with a backtracking line search (Lin, Lin & Weng 2007) from scikit-learn's start
    /// `(0, log((N₊ + 1)/(N₋ + 1)))`. The objective is convex, so this is its minimum.
    /// `None` without logits or with a non-finite one.
    pub fn fit(f: &[f64], labels: &[bool]) -> Option<Self> {
        if f.is_empty() || f.len() != labels.len() || f.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let pos = labels.iter().filter(|&&l| l).count() as f64;
        let neg = labels.len() as f64 - pos;
        let (hi, lo) = ((pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0));
        let t: Vec<f64> = labels.iter().map(|&l| if l { hi } else { lo }).collect();
        let loss = |a: f64, b: f64| -> f64 {
            f.iter()
                .zip(&t)
                .map(|(&x, &t)| {
                    let z = a * x + b;
                    softplus(z) - t * z
                })
                .sum()
        };
        let (mut a, mut b) = (0.0, ((pos + 1.0) / (neg + 1.0)).ln());
        let mut current = loss(a, b);
        for _ in 0..100 {
            // gradient and Hessian of the loss in (a, b)
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (&x, &t) in f.iter().zip(&t) {
                let p = sigmoid(a * x + b);
                let (d, w) = (p - t, p * (1.0 - p));
                ga += d * x;
                gb += d;
                haa += w * x * x;
                hab += w * x;
                hbb += w;
            }
            if ga.abs().max(gb.abs()) < 1e-10 {
                break;
            }
            // a tiny ridge keeps the step defined when every logit is equal
            let (haa, hbb) = (haa + 1e-12, hbb + 1e-12);
            let det = haa * hbb - hab * hab;
            let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
            let mut step = 1.0;
            loop {
                let (na, nb) = (a - step * da, b - step * db);
                let next = loss(na, nb);
                if next <= current + 1e-4 * step * -(ga * da + gb * db) || step < 1e-10 {
                    (a, b, current) = (na, nb, next);
                    break;
                }
                step /= 2.0;
            }
            if step < 1e-10 {
                break;
            }
        }
        Some(Self {
            slope: a,
            intercept: b,
        })
    }
}

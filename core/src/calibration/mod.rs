//! Calibration: from a model's logit to a probability a risk team can act on. A model trained
//! on the log-loss ranks well but its scores drift from observed frequencies (class weights,
//! early stopping, a later period), so `train` fits a calibrator on the validation split,
//! stores it in the artifact, and every runtime applies it through [`Calibrator::apply`].
//!
//! Two calibrators, as scikit-learn's `CalibratedClassifierCV` offers: [`Platt`] scaling and
//! [`Isotonic`] regression, both read on the model's logit. [`fit`] chooses between them by
//! their cross-fitted log-loss on the validation split, or takes the one asked for.

mod isotonic;
mod platt;

pub use isotonic::Isotonic;
pub use platt::Platt;

use crate::metrics::CalibrationMetrics;
use serde::{Deserialize, Serialize};

/// The logit of a model's score `p = σ(f)`: `ln p − ln(1 − p)` (±∞ at 0 and 1, where the
/// calibrators clip).
pub fn logit(p: f64) -> f64 {
    p.ln() - (-p).ln_1p()
}

/// A fitted calibrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Calibrator {
    /// Platt scaling.
    Platt(Platt),
    /// Isotonic regression.
    Isotonic(Isotonic),
}

impl Calibrator {
    /// The calibrated probability of logit `f`.
    pub fn apply(&self, f: f64) -> f64 {
        match self {
            Self::Platt(p) => p.apply(f),
            Self::Isotonic(i) => i.apply(f),
        }
    }

    /// The calibrated probability of a model's score `p` (read through its [`logit`]): how
    /// every runtime turns `raw_score` into `score`.
    pub fn calibrate(&self, p: f64) -> f64 {
        let f = logit(p);
        match self {
            // σ(±∞·slope) is 0 or 1 already; a NaN from ∞·0 is not
            Self::Platt(c) if f.is_infinite() && c.slope == 0.0 => c.apply(0.0),
            _ => self.apply(f),
        }
    }

    /// The method's name, as `--calibration` takes it.
    pub fn method(&self) -> CalibrationMethod {
        match self {
            Self::Platt(_) => CalibrationMethod::Platt,
            Self::Isotonic(_) => CalibrationMethod::Isotonic,
        }
    }

    /// What is wrong with the fitted values, if anything (an artifact's are checked on load).
    pub fn check(&self) -> Result<(), String> {
        match self {
            Self::Platt(p) if !(p.slope.is_finite() && p.intercept.is_finite()) => {
                Err("Platt calibration holds a non-finite value".into())
            }
            Self::Platt(_) => Ok(()),
            Self::Isotonic(i) => i.check(),
        }
    }
}

/// Which calibrator `train` fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CalibrationMethod {
    /// The one with the lower cross-fitted log-loss on the validation split.
    #[default]
    Auto,
    /// Platt scaling.
    Platt,
    /// Isotonic regression.
    Isotonic,
    /// None: the score is the model's own sigmoid.
    None,
}

impl CalibrationMethod {
    /// The name `--calibration` takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Platt => "platt",
            Self::Isotonic => "isotonic",
            Self::None => "none",
        }
    }
}

impl std::str::FromStr for CalibrationMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Auto, Self::Platt, Self::Isotonic, Self::None]
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("`{s}` is not a calibration: auto, platt, isotonic or none"))
    }
}

/// Folds of the cross-fitting in [`fit`].
pub const FOLDS: usize = 5;

/// Mean log-loss of probabilities `p` (clipped to `[1e-15, 1 − 1e-15]`, as a probability of 0
/// for an event that happens would be an infinite loss).
pub fn log_loss(p: &[f64], labels: &[bool]) -> f64 {
    let eps = 1e-15;
    p.iter()
        .zip(labels)
        .map(|(&p, &l)| {
            let p = p.clamp(eps, 1.0 - eps);
            if l { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum::<f64>()
        / p.len() as f64
}

fn fit_one(method: CalibrationMethod, f: &[f64], labels: &[bool]) -> Option<Calibrator> {
    match method {
        CalibrationMethod::Platt => Platt::fit(f, labels).map(Calibrator::Platt),
        CalibrationMethod::Isotonic => Isotonic::fit(f, labels).map(Calibrator::Isotonic),
        CalibrationMethod::Auto | CalibrationMethod::None => None,
    }
}

/// Each session's probability from a calibrator fitted without its fold: session `i` is in
/// fold `i mod FOLDS`.
fn cross_fitted(method: CalibrationMethod, f: &[f64], labels: &[bool]) -> Option<Vec<f64>> {
    let mut out = vec![0.0; f.len()];
    for fold in 0..FOLDS {
        let rest: Vec<usize> = (0..f.len()).filter(|i| i % FOLDS != fold).collect();
        let rf: Vec<f64> = rest.iter().map(|&i| f[i]).collect();
        let rl: Vec<bool> = rest.iter().map(|&i| labels[i]).collect();
        let c = fit_one(method, &rf, &rl)?;
        for i in (fold..f.len()).step_by(FOLDS) {
            out[i] = c.apply(f[i]);
        }
    }
    Some(out)
}

/// A calibrator fitted by [`fit`], with how it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fitted {
    /// The calibrator, fitted on every validation session.
    pub calibrator: Calibrator,
    /// Each candidate's cross-fitted validation log-loss (`None` where it was not compared),
    /// and the uncalibrated score's.
    pub log_loss: CandidateLosses,
}

/// The validation log-loss of each candidate, cross-fitted over [`FOLDS`] folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CandidateLosses {
    /// The model's own sigmoid.
    pub uncalibrated: f64,
    /// Platt scaling.
    pub platt: Option<f64>,
    /// Isotonic regression.
    pub isotonic: Option<f64>,
}

/// Fit a calibrator on validation logits `f` and labels. `Auto` cross-fits both over
/// [`FOLDS`] folds and keeps the one with the lower log-loss (a calibrator scored on the
/// sessions it was fitted on would favour the more flexible isotonic regression); `Platt` and
/// `Isotonic` fit that one. `None` for `CalibrationMethod::None`, or when the split lacks a
/// class, has fewer than `2·FOLDS` sessions (`Auto`) or a non-finite logit.
pub fn fit(method: CalibrationMethod, f: &[f64], labels: &[bool]) -> Option<Fitted> {
    use CalibrationMethod::{Auto, Isotonic, Platt};
    let pos = labels.iter().filter(|&&l| l).count();
    if method == CalibrationMethod::None || pos == 0 || pos == labels.len() {
        return None;
    }
    let uncalibrated = log_loss(
        &f.iter()
            .map(|&x| 1.0 / (1.0 + (-x).exp()))
            .collect::<Vec<_>>(),
        labels,
    );
    let cross = f.len() >= 2 * FOLDS;
    let loss = |m| {
        cross
            .then(|| cross_fitted(m, f, labels))
            .flatten()
            .map(|p| log_loss(&p, labels))
    };
    let compared = |m| (method == Auto || method == m).then(|| loss(m)).flatten();
    let (platt, isotonic) = (compared(Platt), compared(Isotonic));
    let chosen = match (method, platt, isotonic) {
        (Auto, _, _) if !cross => return None,
        (Auto, Some(p), Some(i)) if i < p => Isotonic,
        (Auto, _, _) => Platt,
        (m, _, _) => m,
    };
    Some(Fitted {
        calibrator: fit_one(chosen, f, labels)?,
        log_loss: CandidateLosses {
            uncalibrated,
            platt,
            isotonic,
        },
    })
}

/// What an artifact keeps of its calibration: the calibrator every runtime applies, how it was
/// chosen, and what it did on the test split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationSummary {
    /// The calibrator, fitted on the validation split.
    pub calibrator: Calibrator,
    /// The candidates' cross-fitted validation log-loss.
    pub log_loss: CandidateLosses,
    /// The test split's calibration before (the model's sigmoid) …
    pub test_raw: CalibrationMetrics,
    /// … and after.
    pub test_calibrated: CalibrationMetrics,
}

#[cfg(test)]
mod tests;

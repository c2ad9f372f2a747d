use super::*;
use crate::metrics::{CALIBRATION_BINS, brier, expected_calibration_error, reliability};

#[derive(serde::Deserialize)]
struct Case {
    f: Vec<f64>,
    labels: Vec<u8>,
    platt_a: f64,
    platt_b: f64,
    isotonic_x: Vec<f64>,
    isotonic_y: Vec<f64>,
    grid: Vec<f64>,
    isotonic_grid: Vec<f64>,
    brier: f64,
    curve_true: Vec<f64>,
    curve_pred: Vec<f64>,
}

fn cases() -> Vec<(Case, Vec<bool>)> {
    let cases: Vec<Case> = serde_json::from_str(include_str!("sklearn_fixture.json")).unwrap();
    assert!(cases.len() >= 3);
    cases
        .into_iter()
        .map(|c| {
            let l = c.labels.iter().map(|&x| x == 1).collect();
            (c, l)
        })
        .collect()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// scikit-learn 1.9.1's `_sigmoid_calibration` (L-BFGS to a gradient of 1e-6) on fixed logits
/// (`scripts/calibration-fixtures.py`); Newton's method reaches the same minimum.
#[test]
fn platt_matches_sklearn() {
    for (c, l) in cases() {
        let p = Platt::fit(&c.f, &l).unwrap();
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-4 * y.abs().max(1.0);
        assert!(
            close(p.slope, -c.platt_a) && close(p.intercept, -c.platt_b),
            "{p:?} vs scikit-learn a = {}, b = {}",
            c.platt_a,
            c.platt_b
        );
        // and the probabilities it gives agree closer still
        for &f in &c.f {
            let want = 1.0 / (1.0 + (c.platt_a * f + c.platt_b).exp());
            assert!((p.apply(f) - want).abs() < 1e-5, "{f}");
        }
    }
}

/// One positive at logit 1 and one negative at −1: the smoothed targets are ⅔ and ⅓, met
/// exactly by `σ(ln 2 · f)`.
#[test]
fn platt_by_hand() {
    let p = Platt::fit(&[-1.0, 1.0], &[false, true]).unwrap();
    assert!(
        (p.slope - 2f64.ln()).abs() < 1e-9 && p.intercept.abs() < 1e-9,
        "{p:?}"
    );
    assert!((p.apply(1.0) - 2.0 / 3.0).abs() < 1e-9);
    // every logit equal: the probability there is the mean smoothed target, (⅔ + 3·⅕)/4
    let p = Platt::fit(&[0.5; 4], &[true, false, false, false]).unwrap();
    let t = (2.0 / 3.0 + 3.0 / 5.0) / 4.0;
    assert!((p.apply(0.5) - t).abs() < 1e-6, "{p:?}");
    assert!(Platt::fit(&[f64::NAN], &[true]).is_none());
}

/// scikit-learn's `IsotonicRegression(out_of_bounds="clip")`: the same points and the same
/// predictions on a grid past both ends and at the fitted logits themselves.
#[test]
fn isotonic_matches_sklearn() {
    for (c, l) in cases() {
        let iso = Isotonic::fit(&c.f, &l).unwrap();
        iso.check().unwrap();
        assert_eq!(iso.x, c.isotonic_x);
        for (a, b) in iso.y.iter().zip(&c.isotonic_y) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert_eq!(iso.y.len(), c.isotonic_y.len());
        for (&g, &want) in c.grid.iter().zip(&c.isotonic_grid) {
            assert!(
                (iso.apply(g) - want).abs() < 1e-12,
                "at {g}: {} vs {want}",
                iso.apply(g)
            );
        }
    }
}

#[test]
fn isotonic_by_hand() {
    // 0, then a violation pooled to ½ ½, then 1; the flat run keeps both its points
    let iso = Isotonic::fit(&[3.0, 1.0, 4.0, 2.0], &[false, false, true, true]).unwrap();
    assert_eq!(iso.x, [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(iso.y, [0.0, 0.5, 0.5, 1.0]);
    let iso = Isotonic::fit(&[1.0, 2.0, 3.0, 4.0], &[false, true, false, true]).unwrap();
    assert_eq!(iso.y, [0.0, 0.5, 0.5, 1.0]);
    assert_eq!(
        [-5.0, 1.5, 2.5, 3.5, 9.0].map(|f| iso.apply(f)),
        [0.0, 0.25, 0.5, 0.75, 1.0]
    );
    // equal logits are merged first; the inner points of a flat run are dropped
    let iso = Isotonic::fit(&[1.0, 1.0, 2.0], &[true, false, true]).unwrap();
    assert_eq!(
        (iso.x.as_slice(), iso.y.as_slice()),
        ([1.0, 2.0].as_slice(), [0.5, 1.0].as_slice())
    );
    let iso = Isotonic::fit(&[1.0, 2.0, 3.0, 4.0], &[false; 4]).unwrap();
    assert_eq!(iso.x, [1.0, 4.0]);
}

#[test]
fn corrupt_calibrators_are_refused() {
    let bad = [
        Isotonic {
            x: vec![],
            y: vec![],
        },
        Isotonic {
            x: vec![1.0, 1.0],
            y: vec![0.0, 1.0],
        },
        Isotonic {
            x: vec![1.0, 2.0],
            y: vec![0.6, 0.5],
        },
        Isotonic {
            x: vec![1.0, 2.0],
            y: vec![0.5, 1.5],
        },
        Isotonic {
            x: vec![1.0, f64::NAN],
            y: vec![0.5, 0.6],
        },
        Isotonic {
            x: vec![1.0],
            y: vec![0.5, 0.6],
        },
    ];
    for i in bad {
        assert!(Calibrator::Isotonic(i.clone()).check().is_err(), "{i:?}");
    }
    let nan = Calibrator::Platt(Platt {
        slope: f64::NAN,
        intercept: 0.0,
    });
    assert!(nan.check().is_err());
}

/// `Auto` keeps the candidate with the lower cross-fitted log-loss, fitted on every session;
/// asking for one fits that one; nothing is fitted without both classes or for `None`.
#[test]
fn auto_keeps_the_lower_cross_fitted_log_loss() {
    for (c, l) in cases().into_iter().take(2) {
        let fitted = fit(CalibrationMethod::Auto, &c.f, &l).unwrap();
        let (p, i) = (
            fitted.log_loss.platt.unwrap(),
            fitted.log_loss.isotonic.unwrap(),
        );
        let want = if i < p {
            CalibrationMethod::Isotonic
        } else {
            CalibrationMethod::Platt
        };
        assert_eq!(fitted.calibrator.method(), want, "{:?}", fitted.log_loss);
        // the over-confident model of case 1 is better calibrated than it was
        assert!(
            p.min(i) < fitted.log_loss.uncalibrated,
            "{:?}",
            fitted.log_loss
        );
        let platt = fit(CalibrationMethod::Platt, &c.f, &l).unwrap();
        assert_eq!(
            platt.calibrator,
            Calibrator::Platt(Platt::fit(&c.f, &l).unwrap())
        );
        assert_eq!(platt.log_loss.platt, Some(p));
        let iso = fit(CalibrationMethod::Isotonic, &c.f, &l).unwrap();
        assert_eq!(
            iso.calibrator,
            Calibrator::Isotonic(Isotonic::fit(&c.f, &l).unwrap())
        );
    }
    let f = [0.1, 0.2, 0.3];
    assert!(fit(CalibrationMethod::None, &f, &[true, false, true]).is_none());
    assert!(fit(CalibrationMethod::Platt, &f, &[false; 3]).is_none());
    assert!(
        fit(CalibrationMethod::Auto, &f, &[true, false, true]).is_none(),
        "too few to cross-fit"
    );
}

#[test]
fn log_loss_by_hand() {
    let l = log_loss(&[0.8, 0.4], &[true, false]);
    assert!((l - (-(0.8f64.ln()) - 0.6f64.ln()) / 2.0).abs() < 1e-12);
    // a certain wrong answer costs −ln(1e−15), not infinity
    assert!((log_loss(&[0.0], &[true]) - 1e15f64.ln()).abs() < 1e-9);
}

/// scikit-learn's `brier_score_loss` and `calibration_curve(n_bins=10)` on the sigmoid of the
/// fixture's logits.
#[test]
fn calibration_metrics_match_sklearn() {
    for (c, l) in cases() {
        let p: Vec<f64> = c.f.iter().map(|&f| sigmoid(f)).collect();
        assert!((brier(&p, &l).unwrap() - c.brier).abs() < 1e-12);
        let bins = reliability(&p, &l, CALIBRATION_BINS);
        assert_eq!(bins.len(), c.curve_true.len());
        for (b, (t, m)) in bins.iter().zip(c.curve_true.iter().zip(&c.curve_pred)) {
            assert!((b.observed - t).abs() < 1e-12 && (b.mean_predicted - m).abs() < 1e-12);
        }
        assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), p.len());
    }
}

/// Two bins: (0.1, 0.3 | 0 positives) and (0.9 | 1 positive):
/// ECE = ⅔·|0.2 − 0| + ⅓·|0.9 − 1| = 0.1666….
#[test]
fn expected_calibration_error_by_hand() {
    let e = expected_calibration_error(&[0.1, 0.3, 0.9], &[false, false, true], 2).unwrap();
    assert!(
        (e - (2.0 / 3.0 * 0.2 + 1.0 / 3.0 * 0.1)).abs() < 1e-12,
        "{e}"
    );
    // a probability on an inner edge goes to the bin below it, as scikit-learn's
    let bins = reliability(&[0.5, 0.5000001], &[false, true], 2);
    assert_eq!(bins.iter().map(|b| b.count).collect::<Vec<_>>(), [1, 1]);
    assert_eq!(bins[0].upper, 0.5);
}

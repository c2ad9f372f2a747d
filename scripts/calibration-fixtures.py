#!/usr/bin/env python3
"""Reference figures for seqrisk's calibrators and calibration metrics (core/src/calibration,
core/src/metrics/calibration.rs), from scikit-learn (run once; the JSON is committed as
core/src/calibration/sklearn_fixture.json and scikit-learn is not a CI dependency).

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn
    /tmp/skl/bin/python scripts/calibration-fixtures.py

Per case: logits `f` and labels; `_sigmoid_calibration(f, y)` (what
`CalibratedClassifierCV(method="sigmoid")` fits: P = 1/(1 + exp(a·f + b))); an
`IsotonicRegression(out_of_bounds="clip")` fitted on (f, y), its thresholds and its
predictions on a grid reaching past both ends; and, on the sigmoid of the logits,
`brier_score_loss` and `calibration_curve(n_bins=10)`. Inputs are rounded (logits to 4
decimals, so some repeat) so the stored values are exactly what scikit-learn read."""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.calibration import _sigmoid_calibration, calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss

rng = np.random.default_rng(20261207)


def case(f, y):
    f = np.round(np.asarray(f, dtype=np.float64), 4)
    y = np.asarray(y, dtype=np.int64)
    a, b = _sigmoid_calibration(f, y)
    iso = IsotonicRegression(out_of_bounds="clip").fit(f, y)
    grid = np.round(np.linspace(f.min() - 1.0, f.max() + 1.0, 41), 6)
    grid = np.concatenate([grid, f[:10]])
    p = 1.0 / (1.0 + np.exp(-f))
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    return {
        "f": f.tolist(),
        "labels": y.tolist(),
        "platt_a": float(a),
        "platt_b": float(b),
        "isotonic_x": iso.X_thresholds_.tolist(),
        "isotonic_y": iso.y_thresholds_.tolist(),
        "grid": grid.tolist(),
        "isotonic_grid": iso.predict(grid).tolist(),
        "brier": float(brier_score_loss(y, p)),
        "curve_true": prob_true.tolist(),
        "curve_pred": prob_pred.tolist(),
    }


cases = []
# 1. an over-confident model: logits twice what they should be
n = 400
true_logit = rng.normal(-1.5, 1.5, n)
y = rng.random(n) < 1.0 / (1.0 + np.exp(-true_logit))
cases.append(case(2.0 * true_logit, y))
# 2. a rare class (3%) with a shifted, under-confident model and many tied logits
n = 600
true_logit = rng.normal(-4.0, 1.2, n)
y = rng.random(n) < 1.0 / (1.0 + np.exp(-true_logit))
cases.append(case(np.round(0.5 * true_logit + 1.0, 1), y))
# 3. small: 30 sessions, logits beyond scikit-learn's rescaling threshold (|f| ≥ 30)
n = 30
true_logit = rng.normal(0.0, 2.0, n)
y = rng.random(n) < 1.0 / (1.0 + np.exp(-true_logit))
cases.append(case(20.0 * true_logit, y))

out = pathlib.Path(__file__).resolve().parent.parent / "core/src/calibration/sklearn_fixture.json"
out.write_text(json.dumps(cases) + "\n")
print(f"wrote {out} (scikit-learn {sklearn.__version__}, {len(cases)} cases)")

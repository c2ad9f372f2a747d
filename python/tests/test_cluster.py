"""seqrisk.cluster.HDBSCAN against scikit-learn's own results (the fixtures in tests/data/hdbscan/,
written by scripts/hdbscan-fixtures.py from scikit-learn 1.9.1, and scikit-learn 1.9.1 itself on
10,000 points in 80 dimensions), and its estimator protocol."""

import json
import pathlib

import numpy as np
import pytest

from seqrisk.cluster import HDBSCAN

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "hdbscan"


def fixture(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.mark.parametrize("name", ["blobs", "moons", "iris", "breast-cancer", "small"])
def test_matches_scikit_learn(name):
    doc = fixture(name)
    X = np.array(doc["points"], dtype=np.float64)
    for run in doc["runs"]:
        est = HDBSCAN(**run["params"]).fit(X)
        # scikit-learn's pipeline with tied edges in a stable order (as the core's tests hold)
        assert est.labels_.tolist() == run["stable_labels"], run["params"]
        assert est.labels_.dtype == np.int32 and est.labels_.shape == (len(X),)
        np.testing.assert_allclose(est.probabilities_, run["stable_probabilities"], atol=1e-9)
        tree = est.condensed_tree_
        theirs = sorted((int(p), int(c), float(l), int(s)) for p, c, l, s in run["condensed_tree"])
        mine = sorted(
            zip(
                tree["parent"].tolist(),
                tree["child"].tolist(),
                tree["lambda_val"].tolist(),
                tree["child_size"].tolist(),
            )
        )
        assert len(mine) == len(theirs), run["params"]
        if name == "small":
            for a, b in zip(mine, theirs):
                assert a[0] == b[0] and a[1] == b[1] and a[3] == b[3]
                assert a[2] == pytest.approx(b[2], rel=1e-9)
        scores = est.outlier_scores_
        assert ((scores >= 0) & (scores <= 1)).all()


def test_fit_predict_and_approximate_predict():
    doc = fixture("blobs")
    X = np.array(doc["points"])
    est = HDBSCAN(min_cluster_size=15, min_samples=5)
    labels = est.fit_predict(X)
    assert labels.tolist() == est.labels_.tolist()
    # a fitted point queried again lands in its own cluster
    members = np.flatnonzero(labels >= 0)[:20]
    placed, strength = est.approximate_predict(X[members])
    assert placed.tolist() == labels[members].tolist()
    assert ((strength > 0) & (strength <= 1)).all()
    # a point far from everything is noise
    far, far_strength = est.approximate_predict(np.full((1, X.shape[1]), 1e6))
    assert far.tolist() == [-1] and far_strength.tolist() == [0.0]
    with pytest.raises(ValueError, match="fitted with 2"):
        est.approximate_predict(np.zeros((1, 3)))


def test_ten_thousand_points_in_80_dimensions_cluster_as_scikit_learn_s():
    """12 blobs of unequal spread, 10,000 × 80: the exact and the inverted-file neighbours both
    give scikit-learn's clusters (ARI ≥ 0.98), and every clustered point queried again through
    `approximate_predict` lands in its own cluster."""
    from sklearn.cluster import HDBSCAN as Reference
    from sklearn.datasets import make_blobs
    from sklearn.metrics import adjusted_rand_score

    spreads = np.linspace(1.0, 4.0, 12)
    X, _ = make_blobs(n_samples=10_000, n_features=80, centers=12, cluster_std=spreads, random_state=0)
    theirs = Reference(min_cluster_size=25, copy=True).fit_predict(X)
    assert len(set(theirs.tolist()) - {-1}) == 12
    exact = HDBSCAN(min_cluster_size=25).fit(X)
    assert adjusted_rand_score(theirs, exact.labels_) >= 0.98
    ivf = HDBSCAN(min_cluster_size=25, neighbours="ivf").fit(X)
    assert adjusted_rand_score(theirs, ivf.labels_) >= 0.98
    # "auto" at 10,000 points is every distance: the exact result, label for label
    auto = HDBSCAN(min_cluster_size=25, neighbours="auto").fit(X)
    assert auto.labels_.tolist() == exact.labels_.tolist()
    members = np.flatnonzero(exact.labels_ >= 0)
    placed, _ = exact.approximate_predict(X[members])
    assert placed.tolist() == exact.labels_[members].tolist()


def test_the_inverted_file_finds_the_exact_clusters():
    doc = fixture("blobs")
    X = np.array(doc["points"])
    exact = HDBSCAN(min_cluster_size=15, min_samples=5).fit_predict(X)
    ivf = HDBSCAN(min_cluster_size=15, min_samples=5, neighbours="ivf", n_neighbors=20, probes=8)
    approx = ivf.fit_predict(X)
    # the same clusters, one to one, among the points both put in a cluster
    both = (exact >= 0) & (approx >= 0)
    pairs = set(zip(exact[both].tolist(), approx[both].tolist()))
    assert len(pairs) == len(set(exact[exact >= 0].tolist())) == len(set(approx[approx >= 0].tolist()))
    # and nearly every point alike: only a few border points differ, noise in one, member in the other
    mapping = dict(pairs)
    alike = [a == mapping.get(e, -1) if e >= 0 else a == -1 for e, a in zip(exact.tolist(), approx.tolist())]
    assert np.mean(alike) >= 0.95, np.mean(alike)


def test_estimator_protocol():
    est = HDBSCAN(min_cluster_size=7, cluster_selection_method="leaf")
    params = est.get_params()
    assert params["min_cluster_size"] == 7 and params["neighbours"] == "exact"
    clone = HDBSCAN(**params)
    assert clone.get_params() == params
    assert est.set_params(min_samples=3) is est and est.min_samples == 3
    with pytest.raises(ValueError, match="Invalid parameter 'k'"):
        est.set_params(k=3)
    assert repr(est) == "HDBSCAN(min_cluster_size=7, min_samples=3, cluster_selection_method='leaf')"


@pytest.mark.parametrize(
    "X, params, says",
    [
        ([[0.0, float("nan")], [1.0, 1.0]], {}, "NaN or infinity"),
        ([1.0, 2.0, 3.0], {}, "Expected 2D array"),
        (np.zeros((0, 2)), {}, "at least one sample"),
        (np.zeros((10, 2)), {"min_cluster_size": 1}, "min_cluster_size must be an int of at least 2"),
        (np.zeros((10, 2)), {"min_samples": 0}, "min_samples must be an int of at least 1"),
        (np.zeros((10, 2)), {"cluster_selection_method": "best"}, 'must be "eom" or "leaf"'),
        (np.zeros((10, 2)), {"neighbours": "annoy"}, 'neighbours must be "exact", "ivf" or "auto"'),
        (np.zeros((3, 2)), {"min_cluster_size": 5}, "3 points are fewer than min_samples = 5"),
        (np.zeros((10, 2)), {"cluster_selection_epsilon": -1.0}, "cluster_selection_epsilon must be"),
    ],
)
def test_bad_input_is_a_value_error(X, params, says):
    with pytest.raises(ValueError, match=says):
        HDBSCAN(**params).fit(X)

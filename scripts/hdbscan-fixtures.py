#!/usr/bin/env python3
"""Reference labels for seqrisk's HDBSCAN, from scikit-learn's `HDBSCAN` (run once; the JSON
files are committed in tests/data/hdbscan/ and scikit-learn is not a CI dependency).

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn
    /tmp/skl/bin/python scripts/hdbscan-fixtures.py

Each file holds the points (rounded to 6 decimals before clustering, so the stored values are
exactly what was clustered) and, per parameter set, scikit-learn's labels and probabilities,
its condensed tree and the stability (excess of mass) of every cluster, computed from that
tree with the formula of scikit-learn's `_compute_stability`.

scikit-learn orders the MST edges with numpy's default (unstable) argsort, so among edges of
equal mutual-reachability distance — common, since a core distance often decides an edge — the
merge order, and with it the labels, depend on the sort. Each run therefore also holds
scikit-learn's own pipeline (its MST, single linkage, condensing and selection) with the edges
sorted stably: `stable_labels`, its condensed tree and stabilities, and the ARI between the
two scikit-learn results. (scikit-learn 1.9.1 raises a
TypeError in `traverse_upwards` for some `cluster_selection_epsilon` runs, so none is here.)"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.cluster import HDBSCAN
from sklearn.cluster._hdbscan._linkage import make_single_linkage, mst_from_data_matrix
from sklearn.cluster._hdbscan._tree import _condense_tree, tree_to_labels
from sklearn.datasets import load_breast_cancer, load_iris, make_blobs, make_moons
from sklearn.metrics import DistanceMetric, adjusted_rand_score
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "hdbscan"


def stabilities(tree):
    parents = tree["parent"]
    smallest = parents.min()
    births = {int(r["child"]): float(r["value"]) for r in tree}
    births[int(smallest)] = 0.0
    out = {int(c): 0.0 for c in range(smallest, parents.max() + 1)}
    for r in tree:
        p = int(r["parent"])
        out[p] += (float(r["value"]) - births[p]) * int(r["cluster_size"])
    return out


def case(name, X, params):
    X = np.round(np.asarray(X, dtype=np.float64), 6)
    runs = []
    for p in params:
        h = HDBSCAN(copy=True, **p).fit(X)
        mcs = p["min_cluster_size"]
        ms = p.get("min_samples") or mcs
        dist, _ = NearestNeighbors(n_neighbors=ms).fit(X).kneighbors(X, ms)
        core = np.ascontiguousarray(dist[:, -1])
        mst = mst_from_data_matrix(X, core, DistanceMetric.get_metric("euclidean"), 1.0)
        linkage = make_single_linkage(mst[np.argsort(mst["distance"], kind="stable")])
        stable_labels, stable_probabilities = tree_to_labels(
            linkage,
            mcs,
            p.get("cluster_selection_method", "eom"),
            p.get("allow_single_cluster", False),
            0.0,
            None,
        )
        tree = _condense_tree(linkage, mcs)
        runs.append(
            {
                "params": p,
                "labels": h.labels_.tolist(),
                "probabilities": h.probabilities_.tolist(),
                "stable_labels": stable_labels.tolist(),
                "stable_probabilities": stable_probabilities.tolist(),
                "sklearn_ari_stable_vs_default": adjusted_rand_score(h.labels_, stable_labels),
                "condensed_tree": [
                    [int(r["parent"]), int(r["child"]), float(r["value"]), int(r["cluster_size"])]
                    for r in tree
                ],
                "stabilities": {str(k): v for k, v in stabilities(tree).items()},
            }
        )
    doc = {
        "source": f"scikit-learn {sklearn.__version__} HDBSCAN (algorithm auto, euclidean)",
        "points": X.tolist(),
        "runs": runs,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(name, X.shape, [(len(set(r["labels"]) - {-1}), round(r["sklearn_ari_stable_vs_default"], 4)) for r in runs])


blobs, _ = make_blobs(n_samples=400, centers=4, cluster_std=[0.5, 1.0, 1.5, 0.8], random_state=0)
case(
    "blobs",
    blobs,
    [
        {"min_cluster_size": 5},
        {"min_cluster_size": 15, "min_samples": 5},
        {"min_cluster_size": 10, "cluster_selection_method": "leaf"},
    ],
)
moons, _ = make_moons(n_samples=300, noise=0.07, random_state=0)
case(
    "moons",
    moons,
    [
        {"min_cluster_size": 10},
        {"min_cluster_size": 5, "min_samples": 3, "cluster_selection_method": "leaf"},
    ],
)
case(
    "iris",
    load_iris().data,
    [
        {"min_cluster_size": 5},
        {"min_cluster_size": 10, "allow_single_cluster": True},
    ],
)
case(
    "breast-cancer",
    StandardScaler().fit_transform(load_breast_cancer().data),
    [{"min_cluster_size": 10, "min_samples": 5}, {"min_cluster_size": 5}],
)
small, _ = make_blobs(n_samples=24, centers=2, cluster_std=0.6, random_state=3)
case("small", small, [{"min_cluster_size": 4}, {"min_cluster_size": 3, "min_samples": 2}])

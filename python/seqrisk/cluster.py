"""HDBSCAN over seqrisk's core (FinDeepBehaviorCluster's clustering), as a scikit-learn estimator.

>>> from seqrisk.cluster import HDBSCAN
>>> labels = HDBSCAN(min_cluster_size=10).fit_predict(X)

Parameters and fitted attributes carry scikit-learn's names and conventions
(`sklearn.cluster.HDBSCAN`): `min_samples` counts the point itself, `labels_` marks noise −1,
`probabilities_` are membership strengths. `neighbours="exact"` computes every pairwise
distance and matches scikit-learn's result (the fixtures in `tests/data/hdbscan/` hold its
labels, probabilities and condensed trees); `neighbours="ivf"` finds each point's
`n_neighbors` nearest through an inverted file (the paper's pHDBSCAN), for data too large for
`O(n²)`; `neighbours="auto"` is `"exact"` up to 20,000 points and `"ivf"` above.

Needs NumPy (`pip install numpy`); scikit-learn is not needed, but `sklearn.base.clone`,
`GridSearchCV` and pipelines work with it, as `get_params`/`set_params` follow its protocol.
"""

from __future__ import annotations

from typing import Any, Optional

from . import _seqrisk

__all__ = ["HDBSCAN"]


def _numpy():
    try:
        import numpy
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("seqrisk.cluster needs NumPy: pip install numpy") from e
    return numpy


def _rows(X: Any):
    """`X` as C-ordered float64 rows, refused with scikit-learn's messages when it is not a 2-D
    array of finite numbers."""
    np = _numpy()
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"Expected 2D array, got {X.ndim}D array instead")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"Found array with shape {X.shape}; HDBSCAN needs at least one sample and feature")
    if not np.isfinite(X).all():
        raise ValueError("Input X contains NaN or infinity")
    return X


class HDBSCAN:
    """Hierarchical density-based clustering (Campello, Moulavi & Sander 2013).

    Parameters
    ----------
    min_cluster_size : int, default 5
        Smallest group of points that counts as a cluster (at least 2).
    min_samples : int or None, default None
        Neighbours, the point itself included, whose distance is its core distance; `None`:
        `min_cluster_size`.
    cluster_selection_epsilon : float, default 0.0
        Clusters split below this distance are merged back.
    cluster_selection_method : {"eom", "leaf"}, default "eom"
        Excess of mass (the most stable clusters) or the leaves of the cluster tree.
    allow_single_cluster : bool, default False
        Allow every point in one cluster.
    max_cluster_size : int or None, default None
        Excess of mass selects no cluster larger than this.
    neighbours : {"exact", "ivf", "auto"}, default "exact"
        Every pairwise distance, an inverted file of about `4·√n` k-means cells, or the first
        up to 20,000 points and the second above.
    n_neighbors : int, default 20
        Neighbours per point the `"ivf"` graph is built from (at least `min_samples`).
    probes : int, default 8
        Cells each point searches with `"ivf"`.
    random_state : int, default 0
        Seed of the `"ivf"` k-means.

    Attributes
    ----------
    labels_ : ndarray of int32, shape (n_samples,)
        Cluster of each point, −1 for noise.
    probabilities_ : ndarray of float64
        Strength of each point's membership, 0 for noise.
    outlier_scores_ : ndarray of float64
        GLOSH outlier score of each point.
    condensed_tree_ : dict of ndarrays
        `parent`, `child`, `lambda_val`, `child_size`: one row per point or cluster leaving a
        cluster (clusters are numbered from `n_samples`).
    """

    def __init__(
        self,
        min_cluster_size: int = 5,
        min_samples: Optional[int] = None,
        cluster_selection_epsilon: float = 0.0,
        cluster_selection_method: str = "eom",
        allow_single_cluster: bool = False,
        max_cluster_size: Optional[int] = None,
        neighbours: str = "exact",
        n_neighbors: int = 20,
        probes: int = 8,
        random_state: int = 0,
    ) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.cluster_selection_method = cluster_selection_method
        self.allow_single_cluster = allow_single_cluster
        self.max_cluster_size = max_cluster_size
        self.neighbours = neighbours
        self.n_neighbors = n_neighbors
        self.probes = probes
        self.random_state = random_state

    _PARAMS = (
        "min_cluster_size",
        "min_samples",
        "cluster_selection_epsilon",
        "cluster_selection_method",
        "allow_single_cluster",
        "max_cluster_size",
        "neighbours",
        "n_neighbors",
        "probes",
        "random_state",
    )

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters (scikit-learn's estimator protocol)."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> "HDBSCAN":
        """Set constructor parameters by name; an unknown name is a `ValueError`."""
        for name, value in params.items():
            if name not in self._PARAMS:
                raise ValueError(f"Invalid parameter {name!r} for estimator HDBSCAN")
            setattr(self, name, value)
        return self

    def _check_params(self) -> None:
        def whole(name: str, low: int, value: Any) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an int of at least {low}, got {value!r}")

        whole("min_cluster_size", 2, self.min_cluster_size)
        if self.min_samples is not None:
            whole("min_samples", 1, self.min_samples)
        if self.max_cluster_size is not None:
            whole("max_cluster_size", 1, self.max_cluster_size)
        whole("n_neighbors", 1, self.n_neighbors)
        whole("probes", 1, self.probes)
        whole("random_state", 0, self.random_state)

    def fit(self, X: Any, y: Any = None) -> "HDBSCAN":
        """Cluster the rows of `X` (n_samples × n_features); `y` is ignored."""
        np = _numpy()
        self._check_params()
        X = _rows(X)
        self._fit = _seqrisk.HdbscanFit.fit(
            X.tobytes(),
            X.shape[1],
            self.min_cluster_size,
            self.min_samples,
            float(self.cluster_selection_epsilon),
            self.cluster_selection_method,
            bool(self.allow_single_cluster),
            self.max_cluster_size,
            self.neighbours,
            self.n_neighbors,
            self.probes,
            self.random_state,
        )
        self.n_features_in_ = X.shape[1]
        self.labels_ = np.frombuffer(self._fit.labels, dtype="<i4").copy()
        self.probabilities_ = np.frombuffer(self._fit.probabilities, dtype="<f8").copy()
        self.outlier_scores_ = np.frombuffer(self._fit.outlier_scores, dtype="<f8").copy()
        parent, child, lambda_val, child_size = self._fit.condensed_tree
        self.condensed_tree_ = {
            "parent": np.frombuffer(parent, dtype="<i8").copy(),
            "child": np.frombuffer(child, dtype="<i8").copy(),
            "lambda_val": np.frombuffer(lambda_val, dtype="<f8").copy(),
            "child_size": np.frombuffer(child_size, dtype="<i8").copy(),
        }
        return self

    def fit_predict(self, X: Any, y: Any = None):
        """Fit and return `labels_`."""
        return self.fit(X).labels_

    def approximate_predict(self, X: Any):
        """Place new points without refitting (the `hdbscan` package's `approximate_predict`):
        each attaches to its nearest fitted point in mutual reachability. Returns
        `(labels, probabilities)`."""
        np = _numpy()
        if not hasattr(self, "_fit"):
            raise AttributeError("this HDBSCAN is not fitted yet; call fit first")
        X = _rows(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but HDBSCAN was fitted with {self.n_features_in_}"
            )
        labels, probabilities = self._fit.approximate_predict(X.tobytes())
        return (
            np.frombuffer(labels, dtype="<i4").copy(),
            np.frombuffer(probabilities, dtype="<f8").copy(),
        )

    def __repr__(self) -> str:
        changed = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in self._PARAMS
            if getattr(self, name) != HDBSCAN().__dict__[name]
        )
        return f"HDBSCAN({changed})"

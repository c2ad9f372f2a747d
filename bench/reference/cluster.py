"""One reference HDBSCAN run for `seqrisk-bench cluster` (never run by CI).

Usage: cluster.py sklearn|fast_hdbscan POINTS.f64 N D MIN_CLUSTER_SIZE MIN_SAMPLES LABELS_OUT

Reads N x D little-endian float64 points, fits the named implementation with the same
parameters seqrisk uses, writes the labels as little-endian int64 and prints
{"seconds": wall seconds of the fit, "peak_bytes": peak resident set during the fit minus the
resident set before it}.
"""

import json
import resource
import sys
import time

import numpy as np


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    impl, path, n, d, mcs, ms, out = sys.argv[1:8]
    n, d, mcs, ms = int(n), int(d), int(mcs), int(ms)
    x = np.fromfile(path, dtype="<f8").reshape(n, d)
    if impl == "sklearn":
        from sklearn.cluster import HDBSCAN

        model = HDBSCAN(min_cluster_size=mcs, min_samples=ms)
        fit = lambda: model.fit(x).labels_
    elif impl == "fast_hdbscan":
        import fast_hdbscan

        model = fast_hdbscan.HDBSCAN(min_cluster_size=mcs, min_samples=ms)
        # numba compiles on the first call: warm it up on a small sample, outside the timing
        fast_hdbscan.HDBSCAN(min_cluster_size=mcs, min_samples=ms).fit(x[: min(n, 2000)])
        fit = lambda: model.fit(x).labels_
    else:
        sys.exit(f"unknown implementation {impl}")
    base = rss_bytes()
    started = time.perf_counter()
    labels = fit()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    np.asarray(labels, dtype="<i8").tofile(out)
    print(json.dumps({"seconds": seconds, "peak_bytes": max(peak - base, 0)}))


if __name__ == "__main__":
    main()

"""Benchmarks of the Python package (issue 28; never run by CI): `scripts/bench-python.sh` sets
up the environment and runs `bench.py all OUT_DIR SEQRISK_BIN`, which writes
`OUT_DIR/python.json` and `OUT_DIR/python.md`.

1. HDBSCAN from Python at 10,000 and 100,000 points × 80 dimensions (12 Gaussian blobs of
   spreads 1 to 4, the test's data): `seqrisk.cluster.HDBSCAN` with exact and inverted-file
   neighbours beside scikit-learn's `HDBSCAN` and fast_hdbscan, each fit in a fresh process:
   wall seconds, peak resident memory above the process's before the fit, and the ARI against
   scikit-learn's labels and against the blobs. fast_hdbscan compiles with numba on its first
   fit: its first (cold) and second (warm) fits are both timed.
2. Scoring throughput: `Scorer.score` from JSON lines, from parsed dicts and from a DataFrame,
   next to `seqrisk score` on the same file, pinned to one core (`taskset -c 0`) and on two.
3. Spark in local mode: `seqrisk.spark.score` over a Parquet data set written back as Parquet,
   with one and with two executor cores (`local[1]`, `local[2]`), the session started before
   the clock.
"""

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

# the resident-set reading of seqrisk-bench's reference runner
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
from cluster import rss_bytes  # noqa: E402

SIZES = (10_000, 100_000)
DIMS = 80
MIN_CLUSTER_SIZE = 25
# exact neighbours compute every pairwise distance: O(n²), left out at 100,000
IMPLS = {10_000: ("seqrisk-exact", "seqrisk-ivf", "sklearn", "fast_hdbscan"),
         100_000: ("seqrisk-ivf", "sklearn", "fast_hdbscan")}
FIT_TIMEOUT_S = 1800
SCORED_SESSIONS = 20_000
SPARK_SESSIONS = 50_000


def blobs(n):
    import numpy as np
    from sklearn.datasets import make_blobs

    return make_blobs(n_samples=n, n_features=DIMS, centers=12,
                      cluster_std=np.linspace(1.0, 4.0, 12), random_state=0)


def peak_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def hdbscan_one(impl, n, labels_out):
    """One fit in this process; prints its figures as JSON."""
    import numpy as np

    X, _ = blobs(n)
    if impl.startswith("seqrisk"):
        from seqrisk.cluster import HDBSCAN

        neighbours = impl.split("-")[1]
        make = lambda: HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE, neighbours=neighbours)
    elif impl == "sklearn":
        from sklearn.cluster import HDBSCAN

        make = lambda: HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE, copy=True)
    else:
        import fast_hdbscan

        make = lambda: fast_hdbscan.HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE)
    base = rss_bytes()
    started = time.perf_counter()
    labels = make().fit(X).labels_
    seconds = time.perf_counter() - started
    figures = {"impl": impl, "n": n, "seconds": seconds}
    if impl == "fast_hdbscan":
        # the first fit included numba's compilation
        started = time.perf_counter()
        labels = make().fit(X).labels_
        figures.update(cold_seconds=seconds, seconds=time.perf_counter() - started)
    figures["peak_bytes_above_data"] = max(peak_bytes() - base, 0)
    np.save(labels_out, np.asarray(labels, dtype=np.int64))
    print(json.dumps(figures))


def hdbscan_all(work):
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    rows = []
    for n in SIZES:
        _, truth = blobs(n)
        labels = {}
        for impl in IMPLS[n]:
            out = work / f"labels-{impl}-{n}.npy"
            try:
                done = subprocess.run([sys.executable, __file__, "hdbscan-one", impl, str(n), str(out)],
                                      capture_output=True, text=True, timeout=FIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                rows.append({"impl": impl, "n": n, "timed_out_after_s": FIT_TIMEOUT_S})
                continue
            if done.returncode != 0:
                rows.append({"impl": impl, "n": n, "failed": done.stderr.strip().splitlines()[-1]})
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            labels[impl] = np.load(out)
            row["ari_vs_blobs"] = adjusted_rand_score(truth, labels[impl])
            row["clusters"] = int(len(set(labels[impl].tolist()) - {-1}))
            row["noise"] = int((labels[impl] == -1).sum())
            rows.append(row)
            print(f"hdbscan {n} {impl}: {row}", file=sys.stderr)
        for row in rows:
            if row["n"] == n and "sklearn" in labels and row["impl"] in labels:
                row["ari_vs_sklearn"] = adjusted_rand_score(labels["sklearn"], labels[row["impl"]])
    return rows


def timed(command, env=None):
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def score_one(how, artifact, data):
    """Score the data once in this process (after one warm-up call on a few sessions); prints
    the seconds."""
    import pandas
    import seqrisk

    scorer = seqrisk.Scorer.from_file(artifact)
    if how == "json-lines":
        arg = (data / "d.jsonl").read_text()
    elif how == "dicts":
        arg = [json.loads(line) for line in (data / "d.jsonl").read_text().splitlines()]
    else:
        arg = pandas.read_csv(data / "d.csv", float_precision="round_trip")
    scorer.score((data / "d.jsonl").read_text().splitlines()[:8])
    started = time.perf_counter()
    out = scorer.score(arg)
    seconds = time.perf_counter() - started
    assert len(out) == SCORED_SESSIONS
    print(json.dumps({"seconds": seconds}))


def scoring_all(work, seqrisk_bin):
    data = work / "scoring"
    data.mkdir(exist_ok=True)
    for f in ("d.jsonl", "d.csv"):
        subprocess.run([seqrisk_bin, "gen", "--sessions", str(SCORED_SESSIONS), "--seed", "3", "-o", f],
                       cwd=data, check=True, capture_output=True)
    subprocess.run([seqrisk_bin, "gen", "--sessions", "4000", "--seed", "4", "-o", "train.jsonl"],
                   cwd=data, check=True, capture_output=True)
    subprocess.run([seqrisk_bin, "train", "--data", "train.jsonl", "--epochs", "2", "--quiet", "--out", "out"],
                   cwd=data, check=True, capture_output=True)
    artifact = data / "out" / "nhfm.seqrisk"
    rows = []
    for cores, pin in ((1, ["taskset", "-c", "0"]), (2, [])):
        cli = timed([*pin, seqrisk_bin, "score", "--artifact", str(artifact), "--input", str(data / "d.jsonl"),
                     "--output", str(data / "cli.jsonl")])
        rows.append({"how": "seqrisk score (CLI, JSON lines file)", "cores": cores, "seconds": cli,
                     "sessions_per_s": SCORED_SESSIONS / cli})
        for how in ("json-lines", "dicts", "dataframe"):
            done = subprocess.run([*pin, sys.executable, __file__, "score-one", how, str(artifact), str(data)],
                                  check=True, capture_output=True, text=True)
            seconds = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
            rows.append({"how": f"Scorer.score ({how})", "cores": cores, "seconds": seconds,
                         "sessions_per_s": SCORED_SESSIONS / seconds})
        print(f"scoring: {rows[-4:]}", file=sys.stderr)
    return rows, artifact


def spark_one(cores, artifact, events, out):
    from pyspark.sql import SparkSession
    from seqrisk.spark import score

    spark = (SparkSession.builder.master(f"local[{cores}]").appName("seqrisk-bench")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", str(2 * cores))
             .getOrCreate())
    spark.range(1).count()
    started = time.perf_counter()
    score(spark.read.parquet(events), artifact).drop("explanation").write.mode("overwrite").parquet(out)
    seconds = time.perf_counter() - started
    spark.stop()
    print(json.dumps({"seconds": seconds}))


def spark_all(work, seqrisk_bin, artifact):
    data = work / "spark"
    data.mkdir(exist_ok=True)
    subprocess.run([seqrisk_bin, "gen", "--sessions", str(SPARK_SESSIONS), "--seed", "11", "-o", "events.parquet"],
                   cwd=data, check=True, capture_output=True)
    rows = []
    for cores in (1, 2):
        done = subprocess.run([sys.executable, __file__, "spark-one", str(cores), str(artifact),
                               str(data / "events.parquet"), str(data / f"scores-{cores}")],
                              check=True, capture_output=True, text=True)
        seconds = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
        rows.append({"executor_cores": cores, "sessions": SPARK_SESSIONS, "seconds": seconds,
                     "sessions_per_s": SPARK_SESSIONS / seconds})
        print(f"spark: {rows[-1]}", file=sys.stderr)
    return rows


def versions():
    from importlib.metadata import version

    return {p: version(p) for p in ("seqrisk", "scikit-learn", "fast_hdbscan", "numpy", "pandas", "pyarrow", "pyspark")}


def markdown(doc):
    mib = lambda b: f"{b / 2**20:,.0f}"
    lines = [
        "# The Python package: HDBSCAN, scoring and Spark (issue 28)",
        "",
        f"`scripts/bench-python.sh` on {doc['machine']['cpus']} cores ({doc['machine']['cpu']}), "
        f"{doc['date']}; versions: " + ", ".join(f"{k} {v}" for k, v in doc["versions"].items()) + ".",
        "",
        f"## HDBSCAN, {DIMS} dimensions, 12 blobs, `min_cluster_size` {MIN_CLUSTER_SIZE}",
        "",
        "| points | implementation | seconds | peak MiB above the data | ARI vs scikit-learn | ARI vs blobs | clusters | noise |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in doc["hdbscan"]:
        if "timed_out_after_s" in r:
            lines.append(f"| {r['n']:,} | {r['impl']} | > {r['timed_out_after_s']} (stopped) | | | | | |")
            continue
        if "failed" in r:
            lines.append(f"| {r['n']:,} | {r['impl']} | failed: {r['failed']} | | | | | |")
            continue
        secs = f"{r['seconds']:.1f}" + (f" (first fit {r['cold_seconds']:.1f})" if "cold_seconds" in r else "")
        vs = f"{r['ari_vs_sklearn']:.4f}" if "ari_vs_sklearn" in r else "–"
        lines.append(f"| {r['n']:,} | {r['impl']} | {secs} | {mib(r['peak_bytes_above_data'])} | {vs} | "
                     f"{r['ari_vs_blobs']:.4f} | {r['clusters']} | {r['noise']} |")
    lines += ["", f"## Scoring {SCORED_SESSIONS:,} sessions (NHFM)", "",
              "| how | cores | seconds | sessions/s | sessions/s per core |", "|---|---:|---:|---:|---:|"]
    for r in doc["scoring"]:
        lines.append(f"| {r['how']} | {r['cores']} | {r['seconds']:.2f} | {r['sessions_per_s']:,.0f} | "
                     f"{r['sessions_per_s'] / r['cores']:,.0f} |")
    lines += ["", f"## Spark local mode, {SPARK_SESSIONS:,} sessions from Parquet to Parquet", "",
              "| executor cores | seconds | sessions/s |", "|---:|---:|---:|"]
    for r in doc["spark"]:
        lines.append(f"| {r['executor_cores']} | {r['seconds']:.1f} | {r['sessions_per_s']:,.0f} |")
    return "\n".join(lines) + "\n"


def main():
    mode = sys.argv[1]
    if mode == "hdbscan-one":
        return hdbscan_one(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    if mode == "score-one":
        return score_one(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    if mode == "spark-one":
        return spark_one(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    out, seqrisk_bin = Path(sys.argv[2]), sys.argv[3]
    work = Path(os.environ.get("BENCH_WORK", "seqrisk-out/bench-python"))
    work.mkdir(parents=True, exist_ok=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    doc = {"machine": {"cpus": os.cpu_count(), "cpu": cpu}, "date": time.strftime("%Y-%m-%d"), "versions": versions()}
    doc["scoring"], artifact = scoring_all(work, seqrisk_bin)
    doc["spark"] = spark_all(work, seqrisk_bin, artifact)
    doc["hdbscan"] = hdbscan_all(work)
    (out / "python.json").write_text(json.dumps(doc, indent=1) + "\n")
    (out / "python.md").write_text(markdown(doc))


if __name__ == "__main__":
    main()

"""The `seqrisk` binary the tests compare the package with: $SEQRISK_BIN, default
target/debug/seqrisk (which scripts/test-python.sh builds)."""

import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("SEQRISK_BIN", str(ROOT / "target" / "debug" / "seqrisk"))


def run(*args, cwd):
    """Run `seqrisk ARGS` in `cwd`; it must succeed."""
    done = subprocess.run([BIN, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


# Every model kind the package scores: the fraud scenario's, then HUIHEN on the credit scenario
# (pretrained on its older, profile-only population), LBSF on the payments scenario, and the
# cluster model (FinDeepBehaviorCluster) on enough fraud sessions for risky clusters to form.
KINDS = ["nhfm", "difm", "lstm4fd", "gbdt", "huihen", "lbsf", "cluster"]
SCENARIOS = {
    "huihen": ("--scenario", "credit", "--sessions", "300", "--old-sessions", "600"),
    "lbsf": ("--scenario", "payments", "--sessions", "150"),
    "cluster": ("--sessions", "3000"),
}


def train_kind(kind, d, formats=("jsonl",), seed="7"):
    """Write the data a model kind reads as `d/d.<format>` for each format (with its schema next
    to it), train a small model of that kind on the JSON lines, and return the artifact's path."""
    data = SCENARIOS.get(kind, ("--sessions", "600", "--fraud-rate", "0.1"))
    for f in formats:
        run("gen", *data, "--seed", seed, "-o", f"d.{f}", cwd=d)
    schema = str(next(d.glob("*.toml")))
    if kind == "cluster":
        run("cluster", "--data", "d.jsonl", "--schema", schema, "--epochs", "1", "--min-cluster-size", "10", "--quiet", "--out", "out", cwd=d)
        return d / "out" / "cluster.seqrisk"
    pretrain = ("--pretrain-data", "d-old.jsonl") if kind == "huihen" else ()
    run("train", "--data", "d.jsonl", "--schema", schema, "--model", kind, "--epochs", "1", "--quiet", "--out", "out", *pretrain, cwd=d)
    return d / "out" / f"{kind}.seqrisk"

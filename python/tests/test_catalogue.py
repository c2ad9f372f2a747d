"""The bad-input catalogue (tests/data/bad-inputs.json) through the Python package: every case
the JS package takes, from the files `catalogue-inputs` writes ($SEQRISK_CATALOGUE_INPUTS,
default target/debug/examples/catalogue-inputs, which scripts/test-python.sh builds). An error
case must raise the catalogue's exception class for its kind, with a message of that kind naming
the field, line or byte at fault; a valid one must score."""

import json
import os
import subprocess

import pytest

import seqrisk

from seqrisk_cli import ROOT, run

INPUTS = os.environ.get(
    "SEQRISK_CATALOGUE_INPUTS", str(ROOT / "target" / "debug" / "examples" / "catalogue-inputs")
)

# the catalogue's `kinds`: the exception class, and what a message of the kind holds
KINDS = {
    "data": (seqrisk.DataError, lambda m: ": field `" in m),
    "limit": (seqrisk.OverLimitError, lambda m: ": field `" in m and ": over the limit: " in m),
    "artifact": (seqrisk.ArtifactError, lambda m: "artifact: " in m),
    "model": (seqrisk.ModelError, lambda m: "model: " in m),
}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """The good NHFM artifact (the catalogue's sessions are in the synthetic schema it reads),
    and every case with its input file."""
    d = tmp_path_factory.mktemp("catalogue")
    run("gen", "--sessions", "600", "--fraud-rate", "0.1", "--seed", "5", "-o", "d.jsonl", cwd=d)
    run("train", "--data", "d.jsonl", "--epochs", "1", "--quiet", "--out", "out", cwd=d)
    good = d / "out" / "nhfm.seqrisk"
    done = subprocess.run([INPUTS, str(good), str(d / "inputs")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    cases = json.loads((d / "inputs" / "cases.json").read_text())
    return good, d / "inputs", cases


def attempt(good, inputs, case):
    """Load the case's artifact, or score its session with its limits."""
    if "artifact_file" in case:
        return seqrisk.Scorer.from_file(inputs / case["artifact_file"])
    scorer = seqrisk.Scorer.from_file(good, limits=case.get("limits"))
    return scorer.score((inputs / case["session_file"]).read_text())


def test_every_case_raises_its_exception_naming_the_fault_or_scores(catalogue):
    good, inputs, cases = catalogue
    assert len(cases) >= 25, len(cases)
    for case in cases:
        name = case["name"]
        if case["expect"] == "ok":
            scored = attempt(good, inputs, case)
            if "session_file" in case:
                assert len(scored) == 1 and 0.0 < scored[0]["score"] < 1.0, (name, scored)
            continue
        cls, of_kind = KINDS[case["kind"]]
        with pytest.raises(cls) as e:
            attempt(good, inputs, case)
        message = str(e.value)
        assert isinstance(e.value, seqrisk.SeqriskError), name
        assert of_kind(message), f"{name}: not a {case['kind']} error: {message}"
        for part in case["names"]:
            assert part in message, f"{name}: the message does not name {part!r}: {message}"

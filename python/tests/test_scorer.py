"""The Python package against the CLI on the same artifact and sessions.

A small model is trained once per run by the `seqrisk` binary ($SEQRISK_BIN, default
target/debug/seqrisk, which scripts/test-python.sh builds), and its `seqrisk score` output is
the reference every Python score is compared with.
"""

import json

import pytest

import seqrisk

from seqrisk_cli import KINDS, run, train_kind


@pytest.fixture(scope="session", params=KINDS)
def trained(request, tmp_path_factory):
    """A small model of each kind (`seqrisk train`, or `seqrisk cluster`) and `seqrisk score` of
    its sessions: the artifact, the first 200 sessions (as JSON lines) and the CLI's scores."""
    d = tmp_path_factory.mktemp(request.param)
    artifact = train_kind(request.param, d)
    run("score", "--artifact", str(artifact), "--input", "d.jsonl", "--output", "cli.jsonl", cwd=d)
    lines = (d / "d.jsonl").read_text().splitlines()[:200]
    cli = [json.loads(l) for l in (d / "cli.jsonl").read_text().splitlines()[:200]]
    return request.param, artifact, lines, cli


def close(python, cli):
    assert [p["id"] for p in python] == [c["id"] for c in cli]
    delta = max(
        abs(p[key] - c[key]) for p, c in zip(python, cli) for key in ("score", "raw_score")
    )
    assert delta <= 1e-6, delta
    assert [sorted(p["explanation"]) for p in python] == [sorted(c["explanation"]) for c in cli]


def test_scores_equal_the_cli_from_dicts_and_json_lines(trained):
    kind, artifact, lines, cli = trained
    scorer = seqrisk.Scorer.from_file(artifact)
    model = "behavior-cluster" if kind == "cluster" else kind
    assert scorer.model == model
    assert scorer.card["model"] == model
    close(scorer.score([json.loads(l) for l in lines]), cli)
    close(scorer.score("\n".join(lines)), cli)
    close(scorer.score(lines), cli)


def test_bad_sessions_raise_data_errors_naming_the_field(trained):
    _, artifact, lines, _ = trained
    scorer = seqrisk.Scorer.from_file(artifact)
    bad = json.loads(lines[0])
    bad["events"][0]["ts"] = "soon"
    with pytest.raises(seqrisk.DataError) as e:
        scorer.score([json.loads(lines[1]), bad])
    assert "session:2" in str(e.value) and "events[0].ts" in str(e.value), str(e.value)
    with pytest.raises(seqrisk.DataError, match="<json lines>:1"):
        scorer.score("{not json")
    assert issubclass(seqrisk.DataError, seqrisk.SeqriskError)


def test_limits_bound_every_session_read(trained):
    _, artifact, lines, _ = trained
    session = max((json.loads(l) for l in lines), key=lambda s: len(s["events"]))
    scorer = seqrisk.Scorer.from_file(artifact, limits={"max_events": 1})
    with pytest.raises(seqrisk.OverLimitError, match="max_events"):
        scorer.score([session])
    assert issubclass(seqrisk.OverLimitError, seqrisk.DataError)
    with pytest.raises(ValueError, match="limits"):
        seqrisk.Scorer.from_file(artifact, limits={"max_events": 0})


def test_not_an_artifact_is_an_artifact_error(trained):
    _, artifact, _, _ = trained
    with pytest.raises(seqrisk.ArtifactError):
        seqrisk.Scorer.from_bytes(b"not an artifact")
    cut = artifact.read_bytes()[:100]
    with pytest.raises(seqrisk.ArtifactError):
        seqrisk.Scorer.from_bytes(cut)


def test_read_sessions_reads_the_cli_s_files_in_every_format(tmp_path):
    """JSONL, CSV and Parquet written by `seqrisk gen` read back as the same sessions, which score
    as the JSONL lines do."""
    for out in ("d.jsonl", "d.csv", "d.parquet"):
        run("gen", "--sessions", "500", "--fraud-rate", "0.1", "--seed", "3", "-o", out, cwd=tmp_path)
    schema = tmp_path / "schema.toml"
    jsonl = seqrisk.read_sessions(tmp_path / "d.jsonl", schema)
    assert len(jsonl) == 500 and set(jsonl[0]) >= {"id", "events"}
    lines = [json.loads(l) for l in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert [s["id"] for s in jsonl] == [l["id"] for l in lines]
    for other in ("d.csv", "d.parquet"):
        assert seqrisk.read_sessions(tmp_path / other, str(schema)) == jsonl, other
    run("train", "--data", "d.jsonl", "--epochs", "1", "--quiet", "--out", "out", cwd=tmp_path)
    scorer = seqrisk.Scorer.from_file(tmp_path / "out" / "nhfm.seqrisk")
    close(scorer.score(jsonl), scorer.score((tmp_path / "d.jsonl").read_text()))


def test_read_sessions_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id":"a","events":[{"ts":1}]}\n{"id":"b","events":[{"ts":"soon"}]}\n')
    with pytest.raises(seqrisk.DataError, match=r"bad.jsonl:2: field `events\[0\].ts`"):
        seqrisk.read_sessions(bad)
    with pytest.raises(seqrisk.SeqriskError, match="unknown data format"):
        seqrisk.read_sessions(tmp_path / "data.xlsx")
    with pytest.raises(seqrisk.SeqriskError, match="missing.jsonl"):
        seqrisk.read_sessions(tmp_path / "missing.jsonl")

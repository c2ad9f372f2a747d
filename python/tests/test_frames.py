"""DataFrames and Arrow tables in the long event format for every model kind, Spark in local
mode (200,000 sessions from a partitioned Parquet data set), and training and evaluation, against
the CLI on the same artifacts and sessions."""

import json
import pathlib

import pyarrow
import pyarrow.parquet
import pandas
import pytest

import seqrisk

from seqrisk_cli import KINDS, run, train_kind


@pytest.fixture(scope="module", params=KINDS)
def tables(request, tmp_path_factory):
    """A model of each kind, its sessions as JSON lines, CSV and Parquet (one event per row),
    and the CLI's scores of them."""
    d = tmp_path_factory.mktemp(request.param)
    artifact = train_kind(request.param, d, formats=("jsonl", "csv", "parquet"))
    run("score", "--artifact", str(artifact), "--input", "d.jsonl", "--output", "cli.jsonl", cwd=d)
    cli = [json.loads(l) for l in (d / "cli.jsonl").read_text().splitlines()]
    return d, artifact, cli


def on_cluster_edge(*explanations):
    """Whether the cluster model puts a session on a risky cluster's edge (`reach` within 1e-4
    of 1) in any of these explanations (dicts or JSON text): f32 rounding, which differs with
    how many sessions are scored together, may then put it inside or outside, and its score is
    that cluster's density or the background's. The Rust parity tests skip such sessions too."""
    for x in explanations:
        cluster = (json.loads(x) if isinstance(x, str) else x).get("cluster")
        if cluster is not None and abs(cluster["reach"] - 1.0) <= 1e-4:
            return True
    return False


def same(ids, scores, raw, cli, explanations=None):
    """The scores equal the CLI's within 1e-6, session by session; given the explanations, a
    session on a risky cluster's edge in either is not compared (at most two)."""
    assert list(ids) == [c["id"] for c in cli]
    keep = [True] * len(cli)
    if explanations is not None:
        keep = [not on_cluster_edge(x, c["explanation"]) for x, c in zip(explanations, cli)]
        assert keep.count(False) <= 2, keep.count(False)
    for got, want in ((scores, "score"), (raw, "raw_score")):
        delta = max(abs(g - c[want]) for g, c, k in zip(got, cli, keep) if k)
        assert delta <= 1e-6, (want, delta)


def test_a_dataframe_scores_as_the_cli_does(tables):
    d, artifact, cli = tables
    scorer = seqrisk.Scorer.from_file(artifact)
    frame = pandas.read_csv(d / "d.csv", float_precision="round_trip")
    out = scorer.score(frame)
    assert isinstance(out, pandas.DataFrame)
    assert list(out.columns) == ["id", "score", "raw_score", "explanation"]
    same(out["id"], out["score"], out["raw_score"], cli)
    assert sorted(out["explanation"][0]) == sorted(cli[0]["explanation"])
    # pandas' nullable types: missing values as its NA, not as NaN or None
    nullable = scorer.score(frame.convert_dtypes())
    same(nullable["id"], nullable["score"], nullable["raw_score"], cli)
    # the rows in any order: the sessions in the order of their first rows, the same scores
    shuffled = frame.sample(frac=1.0, random_state=3)
    again = scorer.score(shuffled).set_index("id").loc[out["id"]]
    assert max(abs(again["score"].values - out["score"].values)) <= 1e-12


def test_an_arrow_table_scores_as_the_cli_does(tables):
    d, artifact, cli = tables
    table = pyarrow.parquet.read_table(d / "d.parquet")
    out = seqrisk.Scorer.from_file(artifact).score(table)
    assert isinstance(out, pyarrow.Table)
    assert out.column_names == ["id", "score", "raw_score", "explanation"]
    same(out.column("id").to_pylist(), out.column("score").to_pylist(), out.column("raw_score").to_pylist(), cli)
    # the explanation as a struct column: a row's fields are the CLI's (a field other rows
    # have and this one lacks is null)
    first = out.column("explanation")[0].as_py()
    assert {k for k, v in first.items() if v is not None} == {
        k for k, v in cli[0]["explanation"].items() if v is not None
    }


def test_columns_named_otherwise_are_mapped_to_the_schema(tables):
    d, artifact, cli = tables
    frame = pandas.read_csv(d / "d.csv", float_precision="round_trip")
    renamed = frame.rename(columns={"id": "session", "ts": "event_time"})
    scorer = seqrisk.Scorer.from_file(artifact)
    out = scorer.score(renamed, columns={"id": "session", "ts": "event_time"})
    same(out["id"], out["score"], out["raw_score"], cli)
    table = pyarrow.Table.from_pandas(renamed, preserve_index=False)
    out = scorer.score(table, columns={"id": "session", "ts": "event_time"})
    same(out.column("id").to_pylist(), out.column("score").to_pylist(), out.column("raw_score").to_pylist(), cli)
    with pytest.raises(ValueError, match="`ts` to `when`, which the table does not have"):
        scorer.score(renamed, columns={"id": "session", "ts": "when"})
    with pytest.raises(ValueError, match="also has a column `ts`"):
        scorer.score(frame, columns={"ts": "amount"})


def test_a_bad_cell_raises_a_data_error_naming_the_row_and_field(tables):
    d, artifact, _ = tables
    frame = pandas.read_csv(d / "d.csv", float_precision="round_trip")
    frame["amount"] = frame["amount"].astype(object)
    frame.loc[4, "amount"] = "lots"
    with pytest.raises(seqrisk.DataError, match=r"row:5: field `amount`"):
        seqrisk.Scorer.from_file(artifact).score(frame)


def test_timestamps_as_datetimes_read_as_their_seconds(tables):
    d, artifact, cli = tables
    frame = pandas.read_csv(d / "d.csv", float_precision="round_trip")
    as_time = frame.copy()
    as_time["ts"] = pandas.to_datetime(frame["ts"], unit="s", utc=True)
    scorer = seqrisk.Scorer.from_file(artifact)
    out = scorer.score(as_time)
    same(out["id"], out["score"], out["raw_score"], cli)


SPARK_SESSIONS = 200_000


def local_spark(conf):
    """A local Spark session on two cores, without its web UI, with `conf` set."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName("seqrisk-test")
    for key, value in {"spark.ui.enabled": "false", **conf}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def test_spark_scores_a_partitioned_parquet_data_set_as_the_cli_does(tmp_path):
    """200,000 sessions (about 4 million events) written by Spark as a partitioned Parquet data
    set, scored by `seqrisk.spark.score` in local mode, equal to `seqrisk score` on the same
    events."""
    from seqrisk.spark import score

    d = tmp_path
    run("gen", "--sessions", "600", "--fraud-rate", "0.1", "--seed", "7", "-o", "d.jsonl", cwd=d)
    run("train", "--data", "d.jsonl", "--model", "nhfm", "--epochs", "1", "--quiet", "--out", "out", cwd=d)
    artifact = d / "out" / "nhfm.seqrisk"
    n = str(SPARK_SESSIONS)
    run("gen", "--sessions", n, "--seed", "11", "-o", "big.parquet", cwd=d)
    run("score", "--artifact", str(artifact), "--input", "big.parquet", "--output", "cli.parquet", cwd=d)
    cli = pyarrow.parquet.read_table(d / "cli.parquet", columns=["id", "score", "raw_score"]).to_pandas().set_index("id")
    assert len(cli) == SPARK_SESSIONS
    spark = local_spark({"spark.sql.shuffle.partitions": "4"})
    try:
        # a partitioned data set, as a warehouse writes one: four files, sessions' rows spread
        spark.read.parquet(str(d / "big.parquet")).repartition(4).write.parquet(str(d / "events"))
        assert len(list((d / "events").glob("*.parquet"))) == 4
        scores = score(spark.read.parquet(str(d / "events")), artifact)
        assert scores.columns == ["id", "score", "raw_score", "explanation"]
        scores.drop("explanation").write.parquet(str(d / "scores"))
        got = pyarrow.parquet.read_table(d / "scores", columns=["id", "score", "raw_score"]).to_pandas().set_index("id")
        assert len(got) == SPARK_SESSIONS and got.index.is_unique
        got = got.loc[cli.index]
        for column in ("score", "raw_score"):
            delta = (got[column] - cli[column]).abs().max()
            assert delta <= 1e-6, (column, delta)
        (d / "bad.seqrisk").write_bytes(b"not an artifact")
        with pytest.raises(seqrisk.ArtifactError):
            score(spark.read.parquet(str(d / "events")), d / "bad.seqrisk")
    finally:
        spark.stop()


def test_spark_carries_sessions_across_arrow_batches(tables):
    """Arrow batches of 50 rows cut sessions; every session is scored once, whole, from columns
    named otherwise than the schema's (`schema_columns`)."""
    from seqrisk.spark import score

    d, artifact, cli = tables
    spark = local_spark(
        {"spark.sql.shuffle.partitions": "3", "spark.sql.execution.arrow.maxRecordsPerBatch": "50"}
    )
    try:
        # the warehouse's own column names, mapped to the schema's
        events = spark.read.parquet(str(d / "d.parquet")).withColumnRenamed("id", "session")
        events = events.withColumnRenamed("ts", "event_time")
        mapped = {"id": "session", "ts": "event_time"}
        out = score(events, artifact, schema_columns=mapped).toPandas().set_index("session")
        assert len(out) == len(cli) and out.index.is_unique
        got = out.loc[[c["id"] for c in cli]]
        # Spark's Arrow batches score a few sessions at a time, the CLI many
        same(got.index, got["score"], got["raw_score"], cli, got["explanation"])
    finally:
        spark.stop()


def test_train_and_evaluate_run_the_cli_s_jobs(tmp_path):
    run("gen", "--sessions", "600", "--fraud-rate", "0.1", "--seed", "9", "-o", "d.jsonl", cwd=tmp_path)
    data = tmp_path / "d.jsonl"
    done = seqrisk.train(data, model="difm", out=tmp_path / "py", epochs=1, quiet=True, train_seed=3)
    assert pathlib.Path(done["artifact"]).exists()
    assert done["metrics"]["model"] == "difm" and 0.0 <= done["metrics"]["test"]["auc"] <= 1.0
    # the CLI with the same flags writes the same report (training on several threads is not
    # bit-for-bit repeatable, so the figures agree closely rather than exactly)
    run("train", "--data", "d.jsonl", "--model", "difm", "--out", "cli", "--epochs", "1", "--quiet", "--train-seed", "3", cwd=tmp_path)
    cli = json.loads((tmp_path / "cli" / "difm-metrics.json").read_text())
    assert sorted(cli) == sorted(done["metrics"])
    assert cli["test"]["auc"] == pytest.approx(done["metrics"]["test"]["auc"], abs=0.02)
    evaluated = seqrisk.evaluate(done["artifact"], data)
    assert evaluated["model"] == "difm" and evaluated["sessions"] == 600
    assert set(evaluated["calibration"]) == {"uncalibrated", "calibrated"}
    with pytest.raises(ValueError, match="--no-such-option"):
        seqrisk.train(data, out=tmp_path / "bad", no_such_option=1)
    (tmp_path / "bad.jsonl").write_text('{"id": "x", "label": 1, "events": [{"ts": 1, "amount": "lots"}]}\n')
    with pytest.raises(seqrisk.DataError, match=r"bad.jsonl:1: field `events\[0\]\.amount`"):
        seqrisk.evaluate(done["artifact"], tmp_path / "bad.jsonl")


def test_train_draws_its_progress_on_python_s_stderr(tmp_path, capsys):
    """Without `quiet`, the CLI's progress bar draws on `sys.stderr` (which a notebook shows),
    each redraw over the last."""
    run("gen", "--sessions", "600", "--seed", "9", "-o", "d.jsonl", cwd=tmp_path)
    seqrisk.train(tmp_path / "d.jsonl", model="difm", out=tmp_path / "o", epochs=1)
    err = capsys.readouterr().err
    assert "batches" in err and "\r" in err, err[-500:]

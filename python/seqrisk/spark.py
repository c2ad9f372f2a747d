"""Score a Spark DataFrame of events with a seqrisk artifact, on Spark's executors.

>>> from seqrisk.spark import score
>>> events = spark.read.parquet("events/")            # the long format: one event per row
>>> scores = score(events, "out/nhfm.seqrisk")
>>> scores.write.parquet("scores/")

The artifact is read once on the driver (and refused there if it is not one), shipped to the
executors once as a broadcast variable, and loaded once per Python worker. Events are
partitioned by session id and sorted by it within each partition, so every session's rows
arrive together; `mapInArrow` hands each partition's rows over in Arrow batches, a session cut
by a batch boundary is carried into the next batch, and each session is scored by the same
core as the CLI (`Scorer.score` on a pyarrow Table). Needs `pyspark` (3.3 or later) and
`pyarrow` where the job runs.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterator, Optional, Union

from . import Scorer

__all__ = ["score", "output_schema"]

# one scorer per Python worker process, by the artifact's bytes and the limits
_loaded: dict[tuple[bytes, str], Scorer] = {}


def _scorer(artifact: bytes, limits: Optional[dict]) -> Scorer:
    key = (artifact, json.dumps(limits, sort_keys=True))
    if key not in _loaded:
        _loaded[key] = Scorer.from_bytes(artifact, limits)
    return _loaded[key]


def output_schema(session_id: str) -> str:
    """The schema of the scores (Spark DDL): the session id, `score` and `raw_score` as
    doubles, the explanation as JSON text."""
    return f"`{session_id}` string, score double, raw_score double, explanation string"


def score(
    df: Any,
    artifact_path: Union[str, os.PathLike],
    *,
    schema_columns: Optional[dict] = None,
    limits: Optional[dict] = None,
) -> Any:
    """Score the sessions of `df`, a Spark DataFrame in the long event format (one event per
    row, columns named as in the artifact's schema or mapped to it by `schema_columns`, as
    `{"id": "session", "ts": "event_time"}`: schema field → column; other columns are ignored).

    Returns a DataFrame with one row per session: its id (named as `df`'s session id column,
    as text), `score` (calibrated when the artifact holds a calibrator), `raw_score` and
    `explanation` (JSON text, as `seqrisk score` writes it). A bad event fails the job with the
    `DataError` naming the field, as the CLI does; a `schema_columns` mapping that does not fit
    `df` is a `ValueError` here, on the driver; `limits` as for `Scorer.from_bytes`.
    """
    import pyarrow
    import pyarrow.compute as pc

    from . import _arrow_scores, _schema_names

    with open(artifact_path, "rb") as f:
        artifact = f.read()
    # refused here, on the driver, when it is not an artifact
    session_field = Scorer.from_bytes(artifact, limits).card["schema"]["session_id"]
    columns = dict(schema_columns or {})
    _schema_names(list(df.columns), columns)
    session_id = columns.get(session_field, session_field)
    shipped = df.sparkSession.sparkContext.broadcast(artifact)
    schema = output_schema(session_id)

    def scored(table: Any, scorer: Scorer) -> Any:
        out = scorer._score_table(table, columns)
        return _arrow_scores(out, session_id, explanation_as_text=True).to_batches()

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        scorer = _scorer(shipped.value, limits)
        carry = None
        for batch in batches:
            table = pyarrow.Table.from_batches([batch])
            if carry is not None:
                table = pyarrow.concat_tables([carry, table])
            if table.num_rows == 0:
                continue
            ids = table.column(session_id)
            # rows are sorted by session id: the last session may go on in the next batch
            last = pc.index(ids, ids[table.num_rows - 1]).as_py()
            done, carry = table.slice(0, last), table.slice(last)
            if done.num_rows:
                yield from scored(done, scorer)
        if carry is not None and carry.num_rows:
            yield from scored(carry, scorer)

    ordered = df.repartition(session_id).sortWithinPartitions(session_id)
    return ordered.mapInArrow(run, schema)

"""seqrisk: behaviour-sequence risk models, scored from Python with the same core as the
`seqrisk` CLI, the browser and edge workers.

>>> import seqrisk
>>> scorer = seqrisk.Scorer.from_file("out/nhfm.seqrisk")
>>> scorer.score([{"id": "s1", "events": [{"ts": 1788221000, "event_type": "login"}]}])
[{'id': 's1', 'score': 0.03, 'raw_score': 0.05, 'explanation': {...}}]

Sessions are read against the artifact's schema by the same reader as the CLI's data files and
the JS package's, so a bad session raises the same message, naming the session and the field.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import tempfile
from typing import Any, Iterable, Optional, Union

from . import _seqrisk
from ._seqrisk import (
    ArtifactError,
    DataError,
    ModelError,
    OverLimitError,
    SchemaError,
    SeqriskError,
)

__all__ = [
    "Scorer",
    "read_sessions",
    "train",
    "evaluate",
    "SeqriskError",
    "DataError",
    "OverLimitError",
    "ArtifactError",
    "SchemaError",
    "ModelError",
]

Sessions = Union[str, Iterable[Union[dict, str]]]


def _cell(value: Any) -> str:
    """One value of a long-format table as the CLI's CSV reader takes it: empty for a missing
    value, `1`/`0` for a flag, RFC 3339 for a timestamp (UTC when it has no zone), ISO 8601 for
    a date, a whole number as an integer, any other the shortest text that reads back as the
    same number."""
    if _is_missing(value):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # a whole number as an integer: pandas turns a column of integers with a missing value
        # into floats, and the category "3" must not come back as "3.0"
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        return text if value.tzinfo is not None else text + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _is_missing(value: Any) -> bool:
    """None, NaN, and pandas' NA and NaT (neither a number nor a time; NA does not even
    compare with itself)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and math.isnan(value)


def _is_arrow(table: Any) -> bool:
    return type(table).__module__.startswith("pyarrow") and hasattr(table, "column_names")


def _is_pandas(frame: Any) -> bool:
    return type(frame).__module__.startswith("pandas") and hasattr(frame, "columns")


def _long_rows(
    table: Any, columns: Optional[dict] = None
) -> tuple[list[str], list[list[str]]]:
    """A pandas DataFrame or a pyarrow Table (or RecordBatch) as column names and rows of
    string cells; `columns` maps schema field names to the table's column names that hold
    them (`{"ts": "event_time"}`), so the names returned are the schema's."""
    names = list(table.column_names) if _is_arrow(table) else [str(c) for c in table.columns]
    header = _schema_names(names, columns or {})
    if _is_arrow(table):
        cells = [[_cell(v) for v in table.column(n).to_pylist()] for n in names]
    else:
        cells = [[_cell(v) for v in table[c].tolist()] for c in table.columns]
    return header, [list(row) for row in zip(*cells)]


def _schema_names(names: list[str], columns: dict) -> list[str]:
    """The table's column names with those `columns` maps renamed to their schema fields;
    a `ValueError` for a mapped column the table lacks, or for a field both mapped and
    present under its own name (which of the two holds it would be a guess)."""
    renamed = {}
    for field, column in columns.items():
        if column not in names:
            raise ValueError(f"columns maps `{field}` to `{column}`, which the table does not have")
        if field in names and field != column:
            raise ValueError(
                f"columns maps `{field}` to `{column}`, but the table also has a column `{field}`"
            )
        renamed[column] = field
    return [renamed.get(n, n) for n in names]


def _arrow_scores(scored: list, id_column: str = "id", explanation_as_text: bool = False) -> Any:
    """Scores (as `Scorer.score` returns them for dicts) as a pyarrow Table: `id_column`,
    `score`, `raw_score` and the explanation as a struct column, or as JSON text."""
    import pyarrow

    explanations = [s["explanation"] for s in scored]
    return pyarrow.table(
        {
            id_column: [s["id"] for s in scored],
            "score": pyarrow.array([s["score"] for s in scored], pyarrow.float64()),
            "raw_score": pyarrow.array([s["raw_score"] for s in scored], pyarrow.float64()),
            "explanation": [json.dumps(x) for x in explanations]
            if explanation_as_text
            else pyarrow.array(explanations),
        }
    )


def read_sessions(
    path: Union[str, os.PathLike], schema: Optional[Union[str, os.PathLike]] = None
) -> list[dict[str, Any]]:
    """Read a data file as `seqrisk train` reads it: JSONL, or CSV and Parquet in the long event
    format (one event per row), against the schema file `schema` (TOML or JSON; default: the
    synthetic data's schema). Returns one session dict per session in the JSONL format
    (`id`, `label`, `profile`, `events`), which `Scorer.score` takes.

    Raises `DataError` naming the file, line and field of a bad value, `SchemaError` for a bad
    schema, and `SeqriskError` for a file that cannot be read or of an unknown format.
    """
    text = _seqrisk.read_sessions_json(
        os.fspath(path), None if schema is None else os.fspath(schema)
    )
    return json.loads(text)


def _flags(options: dict[str, Any]) -> list[str]:
    """Keyword arguments as the CLI's flags: `learning_rate=1e-3` → `--learning-rate 0.001`,
    `quiet=True` → `--quiet` (False or None: left out)."""
    flags: list[str] = []
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        flags += [flag] if value is True else [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return flags


def train(
    data: Union[str, os.PathLike, None] = None,
    *,
    schema: Union[str, os.PathLike, None] = None,
    model: str = "nhfm",
    out: Union[str, os.PathLike] = "seqrisk-out",
    **options: Any,
) -> dict[str, Any]:
    """Train a model as `seqrisk train` does — the same code, defaults and checks — on the data
    file `data` (JSONL, or CSV and Parquet in the long event format; None: the model's
    synthetic data) read with the schema file `schema`.

    `options` are `seqrisk train`'s flags with underscores: `epochs=20`, `split="time"`,
    `learning_rate=1e-3`, `config="tuned/difm-tuned.toml"`, `calibration="platt"`,
    `quiet=True`, … (`seqrisk train --help` lists them all). The summary is printed as the CLI
    prints it. Returns `{"artifact": path, "metrics": {...}}`, the metrics being those of
    `<out>/<model>-metrics.json` (test metrics, baselines, calibration, epochs).

    Raises `ValueError` for an unknown option or a bad value (the CLI's message), `DataError`
    naming the file, line and field of a bad value, `SeqriskError` otherwise.
    """
    args = ["seqrisk", "train", "--model", model, "--out", os.fspath(out)]
    if data is not None:
        args += ["--data", os.fspath(data)]
    if schema is not None:
        args += ["--schema", os.fspath(schema)]
    _seqrisk.run_cli(args + _flags(options))
    with open(os.path.join(out, f"{model}-metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    return {"artifact": os.path.join(os.fspath(out), f"{model}.seqrisk"), "metrics": metrics}


def evaluate(
    artifact: Union[str, os.PathLike],
    data: Union[str, os.PathLike],
    **options: Any,
) -> dict[str, Any]:
    """Evaluate an artifact on labelled data as `seqrisk eval` does (options: its flags with
    underscores, e.g. `report="report.html"`). Returns `{"model", "sessions", "metrics",
    "calibration"}`: AUC, pAUC, KS, recall, average precision…, and Brier score and expected
    calibration error before and after the artifact's calibrator.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "metrics.json")
        args = ["seqrisk", "eval", "--artifact", os.fspath(artifact), "--data", os.fspath(data)]
        _seqrisk.run_cli(args + _flags({**options, "json": path}))
        with open(path, encoding="utf-8") as f:
            return json.load(f)


class Scorer:
    """A trained model (a `.seqrisk` artifact) loaded for scoring on the CPU."""

    def __init__(self, inner: _seqrisk.Scorer) -> None:
        self._inner = inner
        self._card: dict | None = None

    @classmethod
    def from_bytes(cls, artifact: bytes, limits: Optional[dict] = None) -> "Scorer":
        """Load an artifact's bytes; raises `ArtifactError` when they are not one, and
        `ModelError` when they hold a model configuration that cannot be built.

        `limits` bounds every session read, as the CLI's flags and the JS package's
        `options.limits` do: `max_input_bytes`, `max_events`, `max_string_bytes`, `max_batch`
        (each a whole number of at least 1; the rest keep their defaults).
        """
        text = None if limits is None else json.dumps(limits)
        return cls(_seqrisk.Scorer.from_bytes(bytes(artifact), text))

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike], limits: Optional[dict] = None) -> "Scorer":
        """Load the artifact at `path` (`seqrisk train` writes `<out>/<model>.seqrisk`)."""
        with open(path, "rb") as f:
            return cls.from_bytes(f.read(), limits)

    @property
    def model(self) -> str:
        """The model and variant: `"nhfm"`, `"difm"`, `"gbdt"`, …"""
        return self._inner.model

    @property
    def card(self) -> dict:
        """The model card: metrics, ROC curve, training summary and decision threshold, schema."""
        if self._card is None:
            self._card = json.loads(self._inner.card_json)
        return self._card

    def score(self, sessions: Union[Sessions, Any], columns: Optional[dict] = None) -> Any:
        """Score sessions: a list of session dicts (the JSONL format's objects), of JSON texts,
        or one string of JSON lines — or a pandas DataFrame or pyarrow Table in the long event
        format that `seqrisk score` reads from CSV and Parquet (one event per row, columns named
        as in the artifact's schema, or mapped to it by `columns`: `{"ts": "event_time"}` reads
        the schema's `ts` from the column `event_time`; a session's rows need not be together).

        Returns, for sessions, one `{"id", "score", "raw_score", "explanation"}` dict per
        session, in order, as `seqrisk score` writes them (`score` is calibrated when the
        artifact holds a calibrator, `raw_score` is the model's own); for a DataFrame, a
        DataFrame of those columns (the explanation as dicts); for a pyarrow Table, a Table of
        those columns (the explanation as a struct column), one row per session in the order of
        their first rows.

        Raises `DataError` (or `OverLimitError`) naming the session's position (a table's row)
        and the field; `ValueError` for a `columns` mapping that does not fit the table.
        """
        if _is_arrow(sessions) or _is_pandas(sessions):
            scored = self._score_table(sessions, columns)
            if _is_pandas(sessions):
                import pandas

                return pandas.DataFrame(scored, columns=["id", "score", "raw_score", "explanation"])
            return _arrow_scores(scored)
        if columns is not None:
            raise ValueError("columns maps a table's columns; sessions as dicts or JSON are read by name")
        if isinstance(sessions, str):
            texts = [line for line in sessions.splitlines() if line.strip()]
            source = "<json lines>"
        else:
            texts = [s if isinstance(s, str) else json.dumps(s) for s in sessions]
            source = "session"
        return json.loads(self._inner.score_json(texts, source))

    def _score_table(self, table: Any, columns: Optional[dict]) -> list:
        """The scores of a DataFrame's or an Arrow table's sessions, as `score` returns them
        for dicts."""
        names, rows = _long_rows(table, columns)
        return json.loads(self._inner.score_rows(names, rows, "row"))

    def __repr__(self) -> str:
        return f"seqrisk.Scorer(model={self.model!r})"

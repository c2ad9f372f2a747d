//! `seqrisk._seqrisk`: the core's scorer for Python. The `seqrisk` package (`seqrisk/`) wraps it
//! in Python types; this layer converts and calls core, with no logic of its own: sessions are
//! read by core's JSON reader (the CLI's and the JS package's), scored by core's [`Scorer`],
//! and every core error becomes the Python exception of its kind, named as the CLI and JS name
//! it.

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use seqrisk_core::artifact::Artifact;
use seqrisk_core::error::{DataProblem, Error, Location};
use seqrisk_core::schema::{
    Limits, Schema, Session, parse_session_json, read_rows, session_to_json,
};
use seqrisk_core::scorer::Scorer as CoreScorer;

mod cluster;
mod progress;

pyo3::create_exception!(
    _seqrisk,
    SeqriskError,
    PyException,
    "Every seqrisk error; its subclasses say which kind."
);
pyo3::create_exception!(
    _seqrisk,
    DataError,
    SeqriskError,
    "A session that cannot be read: malformed JSON, a wrong type, a missing field, a bad value (the message names the field)."
);
pyo3::create_exception!(
    _seqrisk,
    OverLimitError,
    DataError,
    "A session over one of the scorer's limits (events, string length, input size)."
);
pyo3::create_exception!(
    _seqrisk,
    ArtifactError,
    SeqriskError,
    "Not a loadable artifact: corrupt, foreign, or of another format version."
);
pyo3::create_exception!(_seqrisk, SchemaError, SeqriskError, "An invalid schema.");
pyo3::create_exception!(
    _seqrisk,
    ModelError,
    SeqriskError,
    "A model that cannot be built or run with the given configuration."
);

/// The Python exception of a core error: its kind, and core's message.
pub(crate) fn py_err(e: Error) -> PyErr {
    let message = e.to_string();
    match e {
        Error::Data(d) if matches!(d.problem, DataProblem::OverLimit(_)) => {
            OverLimitError::new_err(message)
        }
        Error::Data(_) => DataError::new_err(message),
        Error::Artifact(_) => ArtifactError::new_err(message),
        Error::Schema(_) => SchemaError::new_err(message),
        Error::Model(_) => ModelError::new_err(message),
        // a setting out of range, or points that cannot be clustered (a non-finite value, too
        // few points): scikit-learn's ValueError
        Error::Param(_) | Error::Cluster(_) => PyValueError::new_err(message),
        Error::Io { .. } => SeqriskError::new_err(message),
    }
}

/// A loaded artifact on the CPU: [`CoreScorer`] with its model card and limits.
#[pyclass(module = "seqrisk._seqrisk", name = "Scorer")]
struct Scorer {
    // boxed, as the scorer holds 64-byte-aligned parts and Python allocates objects only
    // 16-byte aligned; shared by concurrent calls (burn's modules are Sync)
    inner: Box<CoreScorer>,
    model: String,
    card: String,
    limits: Limits,
}

#[pymethods]
impl Scorer {
    /// Load the bytes of a `.seqrisk` file: an `ArtifactError` when they are not one, a
    /// `ModelError` when they hold a model configuration that cannot be built (a crafted file),
    /// as the messages say (`artifact: …`, `model: …`). `limits`: JSON text of the limits every
    /// session read is held to (`max_input_bytes`, `max_events`, `max_string_bytes`,
    /// `max_batch`; absent: the defaults), refused with a `ValueError` naming the fault.
    #[staticmethod]
    #[pyo3(signature = (artifact, limits=None))]
    fn from_bytes(artifact: &[u8], limits: Option<&str>) -> PyResult<Self> {
        let limits = match limits {
            None => Limits::default(),
            Some(text) => serde_json::from_str::<Limits>(text)
                .map_err(|e| PyValueError::new_err(format!("limits: {e}")))?,
        };
        limits
            .validate()
            .map_err(|e| PyValueError::new_err(format!("limits: {e}")))?;
        let artifact = Artifact::from_bytes(artifact).map_err(py_err)?;
        let card = artifact.header.card().map_err(py_err)?;
        let model = card.model.clone();
        let card =
            serde_json::to_string(&card).map_err(|e| SeqriskError::new_err(e.to_string()))?;
        let scorer =
            CoreScorer::from_artifact(&artifact, burn::prelude::Device::flex()).map_err(py_err)?;
        Ok(Self {
            inner: Box::new(scorer),
            model,
            card,
            limits,
        })
    }

    /// The model and variant (`"nhfm"`, `"difm-same"`, …).
    #[getter]
    fn model(&self) -> &str {
        &self.model
    }

    /// The model card as JSON text (the JS `Scorer.card` and `seqrisk inspect --json`).
    #[getter]
    fn card_json(&self) -> &str {
        &self.card
    }

    /// Score sessions given as JSON texts, each read by core's session reader with `source`
    /// and its 1-based position naming it in errors; returns JSON text: an array of
    /// `{id, score, explanation}`, as `seqrisk score` writes them. The GIL is released while
    /// sessions are read and scored.
    fn score_json(&self, py: Python<'_>, sessions: Vec<String>, source: &str) -> PyResult<String> {
        self.score_read(py, |schema| {
            sessions
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    parse_session_json(text, schema, &Location::new(source, i + 1), &self.limits)
                })
                .collect()
        })
    }

    /// Score the sessions of a long-format table (one event per row, columns named as in the
    /// schema), given as its column names and rows of string cells (empty for a missing
    /// value), read by core's long-format reader — the CLI's CSV and Parquet reader — with
    /// `source` and the row's 1-based position naming it in errors; sessions come in the order
    /// of their first row. Returns JSON text as `score_json`.
    fn score_rows(
        &self,
        py: Python<'_>,
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
        source: &str,
    ) -> PyResult<String> {
        self.score_read(py, |schema| {
            let rows = rows.into_iter().enumerate().map(|(i, r)| Ok((i + 1, r)));
            read_rows(&headers, rows, source, schema)
        })
    }
}

impl Scorer {
    /// Sessions read by `read` against the artifact's schema, scored in batches spread over the
    /// machine's cores, as JSON text; the GIL released meanwhile.
    fn score_read(
        &self,
        py: Python<'_>,
        read: impl FnOnce(&Schema) -> Result<Vec<Session>, Error> + Send,
    ) -> PyResult<String> {
        py.detach(|| -> Result<String, Error> {
            let sessions = read(&self.inner.encoder.schema)?;
            let threads = std::thread::available_parallelism().map_or(1, usize::from);
            let scored = self.inner.score_parallel(&sessions, threads)?;
            serde_json::to_string(&scored).map_err(|e| Error::Model(e.to_string()))
        })
        .map_err(py_err)
    }
}

/// Read a data file (`.jsonl`, `.csv` or `.parquet`, the long format for CSV and Parquet) against
/// the schema file at `schema` (TOML or JSON; `None`: the synthetic data's), with the CLI's
/// readers, as JSON text: an array of sessions in the JSONL format. The GIL is released while it
/// reads.
#[pyfunction]
#[pyo3(signature = (path, schema=None))]
fn read_sessions_json(py: Python<'_>, path: &str, schema: Option<&str>) -> PyResult<String> {
    py.detach(|| -> anyhow::Result<String> {
        let schema = seqrisk_native::data::read_schema(schema.map(std::path::Path::new))?;
        let loaded = seqrisk_native::data::read_sessions(
            std::path::Path::new(path),
            &schema,
            &Limits::default(),
        )?;
        let sessions: Vec<serde_json::Value> = loaded
            .sessions
            .iter()
            .map(|s| session_to_json(s, &schema))
            .collect();
        Ok(serde_json::to_string(&sessions)?)
    })
    .map_err(|e| match e.downcast::<Error>() {
        Ok(core) => py_err(core),
        // a file that cannot be opened, an unknown format: the message names the file
        Err(other) => SeqriskError::new_err(format!("{other:#}")),
    })
}

/// Run the `seqrisk` command line with `args` (the program name first): what `seqrisk.train`
/// and `seqrisk.evaluate` call, so they run the CLI's own code with its defaults and checks.
/// The GIL is released while it runs; a bad flag is a `ValueError` with the CLI's message, a
/// core error the exception of its kind.
/// The command's progress bars (unless `--quiet`) draw on Python's `sys.stderr`, which a
/// notebook shows under the cell.
#[pyfunction]
fn run_cli(py: Python<'_>, args: Vec<String>) -> PyResult<()> {
    let _bars = progress::OnPythonStderr::install();
    py.detach(|| seqrisk_native::cli::run_from(args))
        .map_err(|e| match e.downcast::<Error>() {
            Ok(core) => py_err(core),
            Err(other) if other.is::<clap::Error>() => PyValueError::new_err(other.to_string()),
            Err(other) => SeqriskError::new_err(format!("{other:#}")),
        })
}

/// The extension module.
#[pymodule]
fn _seqrisk(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Scorer>()?;
    m.add_class::<cluster::HdbscanFit>()?;
    m.add_function(wrap_pyfunction!(read_sessions_json, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add("SeqriskError", py.get_type::<SeqriskError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("OverLimitError", py.get_type::<OverLimitError>())?;
    m.add("ArtifactError", py.get_type::<ArtifactError>())?;
    m.add("SchemaError", py.get_type::<SchemaError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    Ok(())
}

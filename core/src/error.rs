//! Error types. Every data error names where it happened (source, line) and which field.

use std::fmt;

/// Where a piece of input came from: a file name (or `<input>`) and a 1-based line number
/// (0 when the input has no lines, e.g. a single JSON document handed over by JavaScript).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// File name or another label for the input.
    pub source: String,
    /// 1-based line number; 0 when unknown.
    pub line: usize,
}

impl Location {
    /// A location in a named source.
    pub fn new(source: impl Into<String>, line: usize) -> Self {
        Self {
            source: source.into(),
            line,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.source)
        } else {
            write!(f, "{}:{}", self.source, self.line)
        }
    }
}

/// What is wrong with one value of the input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataProblem {
    /// The text is not valid JSON / CSV.
    #[error("malformed input: {0}")]
    Malformed(String),
    /// A required field is absent.
    #[error("required field is missing")]
    Missing,
    /// The field has the wrong type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the schema expects.
        expected: &'static str,
        /// What the input holds.
        found: String,
    },
    /// A number is NaN or infinite.
    #[error("value is not a finite number: {0}")]
    NotFinite(String),
    /// A value is outside what the schema allows.
    #[error("{0}")]
    Invalid(String),
    /// The input holds more than a [`Limits`](crate::schema::Limits) bound admits; refused
    /// before it was stored.
    #[error("over the limit: {0}")]
    OverLimit(String),
}

/// A data error: location, field path (e.g. `events[3].amount`) and problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{location}: field `{field}`: {problem}")]
pub struct DataError {
    /// Where in the input.
    pub location: Location,
    /// Field path inside the record.
    pub field: String,
    /// What is wrong.
    pub problem: DataProblem,
}

/// A setting outside the range it must be in, named as the options type spells it (linfa's
/// `ParamGuard` style): the library checks every setting before it runs, and its caller says
/// where the value came from — the CLI names the flag (`--learning-rate`), a settings file its
/// key (`learning_rate`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{name} must be {expected}, got {got}")]
pub struct InvalidParam {
    /// The setting, as its options struct names it (`learning_rate`, `min_cluster_size`).
    pub name: &'static str,
    /// What it must be, in words (`a positive number`, `at least 2`).
    pub expected: String,
    /// The value given.
    pub got: String,
}

impl InvalidParam {
    /// `name` must be `expected`; `got` was given.
    pub fn new(name: &'static str, expected: impl Into<String>, got: impl fmt::Display) -> Self {
        Self {
            name,
            expected: expected.into(),
            got: got.to_string(),
        }
    }
}

/// All errors of the core crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input data (sessions, events).
    #[error(transparent)]
    Data(#[from] DataError),
    /// An invalid schema file.
    #[error("schema: {0}")]
    Schema(String),
    /// A corrupt, foreign or incompatible artifact.
    #[error("artifact: {0}")]
    Artifact(String),
    /// A model that cannot be built or run with the given configuration.
    #[error("model: {0}")]
    Model(String),
    /// A setting out of its range.
    #[error(transparent)]
    Param(#[from] InvalidParam),
    /// Points that cannot be clustered.
    #[error("clustering: {0}")]
    Cluster(String),
    /// A read error from an underlying reader.
    #[error("{location}: {message}")]
    Io {
        /// Where.
        location: Location,
        /// The reader's message.
        message: String,
    },
}

/// Result alias for the core crate.
pub type Result<T> = std::result::Result<T, Error>;

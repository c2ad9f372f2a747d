//! # seqrisk-core
//!
//! Everything that must behave identically wherever a session is scored: the event
//! [`schema`], the [`encode`]r that turns sessions into tensors, the [`models`], the
//! [`metrics`], the [`explain`]ation reports, the [`artifact`] format, and the seeded
//! [`synth`]etic data generator with planted fraud patterns.
//!
//! Native training (`native`) and browser / edge scoring (`seqrisk-wasm`) both call this crate,
//! so a session encodes and scores the same way everywhere.
// user data never reaches an `unwrap()`: errors are typed (`Error`); tests may unwrap
#![warn(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod artifact;
pub mod calibration;
pub mod cluster;
pub mod encode;
pub mod error;
pub mod explain;
pub mod metrics;
pub mod models;
pub mod monitor;
pub mod policy;
pub mod schema;
pub mod scorer;
pub mod synth;

pub use error::{DataError, DataProblem, Error, Location, Result};

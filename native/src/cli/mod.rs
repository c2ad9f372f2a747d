//! One module per command, each with its clap `Args` and a `run` that converts the flags into
//! the library's options and calls it; `main.rs` only dispatches.

pub(crate) mod cluster;
pub(crate) mod compare;
pub(crate) mod demo;
pub(crate) mod eval;
pub(crate) mod generate;
pub(crate) mod german;
pub(crate) mod inspect;
pub(crate) mod monitor;
pub(crate) mod movielens;
pub(crate) mod score;
pub(crate) mod train;
pub(crate) mod tune;
pub(crate) mod web_demo;

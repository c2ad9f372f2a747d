//! seqrisk native: reading data files, the training loop, plots and atomic file output.
//! The `seqrisk` binary (`cargo run -p native`) is a thin command-line shell over this library.

pub mod batch;
pub mod cli;
pub mod cluster;
pub mod cpu;
pub mod data;
pub mod files;
pub mod flags;
pub mod gbdt;
pub mod german;
pub mod html_report;
pub mod induction;
pub mod movielens;
pub mod plot;
pub mod progress;
pub mod reference;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod settings;
pub mod train;
pub mod tune;
pub mod web_demo;

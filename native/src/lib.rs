//! seqrisk native: reading data files, the training loop, plots and atomic file output.
//! The `seqrisk` binary (`cargo run -p native`) is a thin command-line shell over this library.

pub mod allocator;
pub mod bench;
pub mod cluster;
pub mod cluster_bench;
pub mod data;
pub mod files;
pub mod gbdt;
pub mod german;
pub mod induction;
pub mod model_bench;
pub mod movielens;
pub mod plot;
pub mod progress;
pub mod quality;
pub mod report;
pub mod rules;
pub mod scaling;
pub mod scenario;
pub mod settings;
pub mod train;
pub mod tune;
pub mod web_demo;

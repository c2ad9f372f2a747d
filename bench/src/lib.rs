//! seqrisk's benchmarks, in a crate of their own so the shipped `seqrisk` binary carries none of
//! them (nor the counting allocator they measure memory with): `cargo run --release -p
//! seqrisk-bench -- <name>`, or `target/release/seqrisk-bench <name>` after a release build.
//! Each writes JSON (and Markdown and plots where a table or a curve says more).

pub mod allocator;
pub mod cluster;
pub mod folding;
pub mod latency;
pub mod models;
pub mod quality;

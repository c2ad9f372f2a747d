//! `seqrisk-bench` — seqrisk's benchmarks, each writing JSON (and Markdown and plots): quality
//! over seeds, scoring latency, model speed and scaling, LBSF's folding cost, HDBSCAN at scale.
//!
//! A binary of its own, so the shipped `seqrisk` carries neither the benchmarks nor the
//! counting allocator they read peak memory from.

mod cli;

use anyhow::Result;
use clap::Parser;

/// mimalloc (as the `seqrisk` binary), counting heap bytes for the peak memory that `scaling`,
/// `cluster` and `model-scaling` report.
#[global_allocator]
static ALLOCATOR: seqrisk_bench::allocator::CountingAlloc = seqrisk_bench::allocator::CountingAlloc;

#[derive(Parser)]
#[command(
    name = "seqrisk-bench",
    version,
    about = "seqrisk's benchmarks: each writes JSON (and Markdown and plots)."
)]
struct Cli {
    #[command(subcommand)]
    command: cli::Command,
}

fn main() -> Result<()> {
    seqrisk_native::cpu::flush_denormals_everywhere();
    cli::run(&Cli::parse().command)
}

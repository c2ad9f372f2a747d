//! `seqrisk` — train, evaluate, score and inspect behaviour-sequence risk models.
//!
//! `cargo run -p native` with no arguments runs the default job: generate the synthetic data
//! set, train NHFM, print the test metrics and write the artifact and a ROC plot.

use anyhow::Result;

/// mimalloc: glibc's `malloc` hands large freed blocks (a batch's tensors, megabytes each)
/// back to the kernel and takes them again on the next call, each page a fault to zero; at a
/// batch of 1,024 NHFM inference spent about a third of its time there (perf, issue 11).
/// mimalloc keeps them for the next call.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<()> {
    seqrisk_native::cpu::flush_denormals_everywhere();
    seqrisk_native::cli::main()
}

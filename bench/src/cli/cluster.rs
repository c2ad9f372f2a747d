//! `seqrisk-bench cluster`: HDBSCAN at scale.

use anyhow::{Result, bail};
use clap::Args;
use seqrisk_bench::cluster::{self as cluster_bench, ClusterBenchOptions};

use super::counts;
use seqrisk_native::files::write_md_json;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ClusterBenchArgs {
    /// Numbers of points, comma-separated.
    #[arg(long, default_value = "10000,100000,1000000")]
    pub(crate) sizes: String,
    /// Dimensions (the paper's embeddings are 80-D).
    #[arg(long, default_value_t = 80)]
    pub(crate) dim: usize,
    /// Planted blobs.
    #[arg(long, default_value_t = 20)]
    pub(crate) centers: usize,
    /// HDBSCAN's min_cluster_size.
    #[arg(long, default_value_t = 50)]
    pub(crate) min_cluster_size: usize,
    /// HDBSCAN's min_samples.
    #[arg(long, default_value_t = 10)]
    pub(crate) min_samples: usize,
    /// Neighbours per point in seqrisk's graph.
    #[arg(long, default_value_t = 16)]
    pub(crate) neighbours: usize,
    /// Cells the inverted file probes per query.
    #[arg(long, default_value_t = 8)]
    pub(crate) probes: usize,
    /// Largest size seqrisk's exact neighbour search runs at.
    #[arg(long, default_value_t = 200_000)]
    pub(crate) exact_limit: usize,
    /// A Python with scikit-learn and fast_hdbscan (the references are skipped without one).
    #[arg(long)]
    pub(crate) python: Option<PathBuf>,
    /// Time limit of each reference run, minutes.
    #[arg(long, default_value_t = 30.0)]
    pub(crate) timeout_min: f64,
    /// Seed of the points.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Folder for `cluster-scaling.{md,json}` (the points are exchanged under it, then removed).
    #[arg(long, default_value = "seqrisk-out/bench")]
    pub(crate) out: PathBuf,
}

pub(crate) fn run(a: &ClusterBenchArgs) -> Result<()> {
    let sizes = counts(&a.sizes, "--sizes", "points")?;
    if !(a.timeout_min.is_finite() && a.timeout_min > 0.0) {
        bail!("--timeout-min must be a positive number of minutes");
    }
    let opts = ClusterBenchOptions {
        sizes,
        dim: a.dim,
        centers: a.centers,
        min_cluster_size: a.min_cluster_size,
        min_samples: a.min_samples,
        neighbours: a.neighbours,
        probes: a.probes,
        exact_limit: a.exact_limit,
        python: a.python.clone(),
        timeout: std::time::Duration::from_secs_f64(a.timeout_min * 60.0),
        work_dir: a.out.join("cluster-points"),
        seed: a.seed,
    };
    let started = std::time::Instant::now();
    let runs = cluster_bench::cluster_bench(&opts)?;
    let md = format!(
        "{}\nWall time of the whole benchmark: {:.0} s.\n",
        cluster_bench::markdown(&runs, &opts),
        started.elapsed().as_secs_f64()
    );
    std::fs::remove_dir_all(&opts.work_dir).ok();
    let base = a.out.join("cluster-scaling");
    write_md_json(&base, &md, &runs)?;
    print!("{md}");
    eprintln!("wrote {}.{{md,json}}", base.display());
    Ok(())
}

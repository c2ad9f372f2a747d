//! `seqrisk-bench scaling`: LBSF's folding against history length.

use anyhow::{Context, Result, bail};
use clap::Args;
use seqrisk_bench::folding::{self, FoldingOptions};
use seqrisk_native::plot;

use super::counts;
use seqrisk_native::files::write_md_json;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ScalingArgs {
    /// History lengths in payments, comma-separated (at most 5,000).
    #[arg(long, default_value = "100,250,500,1000,2500,5000")]
    pub(crate) lengths: String,
    /// Users per batch.
    #[arg(long, default_value_t = 16)]
    pub(crate) batch: usize,
    /// Timed repetitions per point (medians are reported).
    #[arg(long, default_value_t = 3)]
    pub(crate) reps: usize,
    /// Skip flat runs whose attention weights alone would need more than this many GiB.
    #[arg(long, default_value_t = 4.0)]
    pub(crate) memory_budget_gib: f64,
    /// Seed of the generated users and the models.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Folder for `scaling-lbsf.{md,json,png}`.
    #[arg(long, default_value = "seqrisk-out/bench")]
    pub(crate) out: PathBuf,
}

pub(crate) fn run(a: &ScalingArgs) -> Result<()> {
    let lengths = counts(&a.lengths, "--lengths", "payments")?;
    if !(a.memory_budget_gib.is_finite() && a.memory_budget_gib > 0.0) {
        bail!("--memory-budget-gib must be a positive number");
    }
    let started = std::time::Instant::now();
    let points = folding::folding_cost(&FoldingOptions {
        lengths,
        batch: a.batch,
        reps: a.reps,
        memory_budget: (a.memory_budget_gib * (1u64 << 30) as f64) as u64,
        seed: a.seed,
    })?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let base = a.out.join("scaling-lbsf");
    let table = folding::table(&points, a.batch);
    let json = serde_json::json!({
        "batch": a.batch,
        "reps": a.reps,
        "seed": a.seed,
        "wall_seconds": started.elapsed().as_secs_f64(),
        "points": points,
    });
    write_md_json(&base, &table, &json)?;
    let series = |value: fn(&folding::FoldingPoint) -> Option<f64>| -> Vec<plot::Series> {
        ["lbsf", "flat-transformer"]
            .iter()
            .map(|m| {
                let pts = points
                    .iter()
                    .filter(|p| p.model == *m)
                    .filter_map(|p| value(p).map(|v| (p.payments as f64, v)))
                    .collect();
                (m.to_string(), pts)
            })
            .collect()
    };
    let png = a.out.join("scaling-lbsf.png");
    plot::loglog_panels_png(
        &png,
        "payments per user",
        &[
            (
                "training step per batch",
                "milliseconds",
                series(|p| p.train_ms),
            ),
            (
                "forward pass per batch",
                "milliseconds",
                series(|p| p.infer_ms),
            ),
            (
                "peak memory of a training step",
                "MiB",
                series(|p| p.peak_bytes.map(|b| b as f64 / (1u64 << 20) as f64)),
            ),
        ],
    )?;
    print!("{table}");
    eprintln!(
        "wrote {}, {} and {}",
        base.with_extension("md").display(),
        base.with_extension("json").display(),
        png.display()
    );
    Ok(())
}

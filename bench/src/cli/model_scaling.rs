//! `seqrisk-bench model-scaling`.

use anyhow::Result;
use clap::Args;
use seqrisk_bench::models::{self as model_bench, ModelScalingOptions};
use seqrisk_core::models::ModelSpec;
use seqrisk_native::plot;

use super::counts;
use seqrisk_native::files::write_md_json;
use seqrisk_native::settings::parse_model;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ModelScalingArgs {
    /// Models to measure.
    #[arg(long, default_value = "nhfm,difm", value_delimiter = ',', value_parser = parse_model)]
    pub(crate) models: Vec<ModelSpec>,
    /// Events per session, comma-separated (every session has exactly this many).
    #[arg(long, default_value = "10,20,50,100,250,500,1000")]
    pub(crate) lengths: String,
    /// Sessions per batch of the length runs.
    #[arg(long, default_value_t = 64)]
    pub(crate) batch: usize,
    /// Sessions per batch, comma-separated, at `--events` events.
    #[arg(long, default_value = "1,4,16,64,256,1024")]
    pub(crate) batches: String,
    /// Events per session of the batch-size runs.
    #[arg(long, default_value_t = 20)]
    pub(crate) events: usize,
    /// Timed repetitions per point (medians are reported).
    #[arg(long, default_value_t = 3)]
    pub(crate) reps: usize,
    /// Seed of the sessions and the models.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Folder for `model-scaling.{md,json}` and the plots.
    #[arg(long, default_value = "seqrisk-out/bench")]
    pub(crate) out: PathBuf,
}

pub(crate) fn run(a: &ModelScalingArgs) -> Result<()> {
    let points = model_bench::model_scaling(&ModelScalingOptions {
        models: a.models.clone(),
        lengths: counts(&a.lengths, "--lengths", "events")?,
        batch: a.batch,
        batches: counts(&a.batches, "--batches", "sessions")?,
        events: a.events,
        reps: a.reps,
        seed: a.seed,
    })?;
    let md = model_bench::scaling_markdown(&points);
    let base = a.out.join("model-scaling");
    write_md_json(&base, &md, &points)?;
    let series = |by_length: bool,
                  value: fn(&model_bench::ScalingPoint) -> Option<f64>|
     -> Vec<plot::Series> {
        a.models
            .iter()
            .map(|m| {
                let pts = points
                    .iter()
                    .filter(|p| p.model == m.name())
                    .filter(|p| (p.sweep == model_bench::Sweep::Length) == by_length)
                    .filter_map(|p| {
                        let x = if by_length { p.events } else { p.batch };
                        value(p).map(|v| (x as f64, v))
                    })
                    .collect();
                (m.name().to_uppercase(), pts)
            })
            .collect()
    };
    let mut pngs = Vec::new();
    for (by_length, name, x_label) in [
        (true, "model-scaling-length.png", "events per session"),
        (false, "model-scaling-batch.png", "sessions per batch"),
    ] {
        let png = a.out.join(name);
        plot::loglog_panels_png(
            &png,
            x_label,
            &[
                (
                    "training step (forward, loss, backward)",
                    "milliseconds",
                    series(by_length, |p| Some(p.train_ms)),
                ),
                (
                    "inference call",
                    "milliseconds",
                    series(by_length, |p| Some(p.infer_ms)),
                ),
                (
                    "peak heap growth of a training step",
                    "MiB",
                    series(by_length, |p| {
                        p.train_peak_bytes.map(|b| b as f64 / 1048576.0)
                    }),
                ),
            ],
        )?;
        pngs.push(png.display().to_string());
    }
    print!("{md}");
    eprintln!("wrote {}.{{md,json}}, {}", base.display(), pngs.join(", "));
    Ok(())
}

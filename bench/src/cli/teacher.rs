//! `seqrisk-bench teacher`: HUIHEN's Table 6.

use anyhow::{Result, bail};
use clap::Args;
use seqrisk_bench::quality::{self};
use seqrisk_core::schema::Limits;
use seqrisk_native::data::{read_schema, read_sessions};
use seqrisk_native::train::TrainOptions;

use super::save_report;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct TeacherArgs {
    /// Labelled profile-only sessions (e.g. `seqrisk german`'s output).
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// Their schema.
    #[arg(long)]
    pub(crate) schema: PathBuf,
    /// Seeds (seeds 1, 2, …).
    #[arg(long, default_value_t = 5)]
    pub(crate) seeds: u64,
    /// Maximum epochs of the MLPs (a thousand rows make a few batches an epoch).
    #[arg(long, default_value_t = 200)]
    pub(crate) epochs: usize,
    /// Early-stopping patience in epochs.
    #[arg(long, default_value_t = 20)]
    pub(crate) patience: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    pub(crate) batch_size: usize,
    /// Weight α of the teacher term, Eq. (16).
    #[arg(long, default_value_t = TrainOptions::default().teacher_alpha)]
    pub(crate) teacher_alpha: f64,
    /// Data set name in the report and file names; default: the data file's stem.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Output folder: `teacher-<name>.{md,json}` and `teacher-<name>-roc.png`.
    #[arg(long, short, default_value = "seqrisk-out/bench")]
    pub(crate) out: PathBuf,
    /// Hide the progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
}

pub(crate) fn run(a: &TeacherArgs) -> Result<()> {
    if a.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    let schema = read_schema(Some(&a.schema))?;
    let loaded = read_sessions(&a.data, &schema, &Limits::default())?;
    let name = a.name.clone().unwrap_or_else(|| {
        a.data
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "data".into())
    });
    let seeds: Vec<u64> = (1..=a.seeds).collect();
    let template = TrainOptions {
        epochs: a.epochs,
        patience: a.patience,
        batch_size: a.batch_size,
        teacher_alpha: a.teacher_alpha,
        ..Default::default()
    };
    eprintln!(
        "teacher experiment on {name}: {} sessions, MLP and MLP-guide × {} seeds",
        loaded.sessions.len(),
        seeds.len()
    );
    let report = quality::run_teacher(
        &name,
        &loaded.sessions,
        &schema,
        &loaded.fingerprint,
        &seeds,
        &template,
        !a.quiet,
    )?;
    save_report(&report, &a.out, "teacher")?;
    println!("{}", quality::markdown(&report));
    eprintln!(
        "wrote {}",
        a.out.join(format!("teacher-{name}.{{md,json}}")).display()
    );
    Ok(())
}

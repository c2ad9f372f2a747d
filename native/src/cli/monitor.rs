//! `seqrisk monitor`: how far new sessions have drifted from the training data.

use crate::data::{load_scorer, read_sessions};
use crate::files::write_md_json;
use crate::{plot, report};
use anyhow::{Context, Result, bail};
use clap::Args;
use seqrisk_core::monitor::{DriftLimits, DriftStatus};
use seqrisk_core::schema::Limits;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct MonitorArgs {
    /// The artifact (its training-time distributions are the reference).
    #[arg(long)]
    pub(crate) artifact: PathBuf,
    /// New sessions (`.jsonl`, `.csv` or `.parquet`, labels not needed), read with the
    /// artifact's schema.
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// PSI from which a field is marked `watch`.
    #[arg(long, default_value_t = DriftLimits::default().watch)]
    pub(crate) watch: f64,
    /// PSI from which a field is marked `act`.
    #[arg(long, default_value_t = DriftLimits::default().act)]
    pub(crate) act: f64,
    /// Also write the report as `<OUT>.md`, `<OUT>.json` and the PSI per field as `<OUT>.png`.
    #[arg(long, short)]
    pub(crate) out: Option<PathBuf>,
}

pub(crate) fn run(a: &MonitorArgs) -> Result<()> {
    if !(a.watch.is_finite() && a.act.is_finite() && 0.0 < a.watch && a.watch <= a.act) {
        bail!(
            "--watch {} and --act {}: the limits must be positive, with watch ≤ act",
            a.watch,
            a.act
        );
    }
    let scorer = load_scorer(&a.artifact)?;
    let mut counts = scorer.new_counts().with_context(|| {
        format!(
            "{} holds no monitoring reference (the cluster model's does not)",
            a.artifact.display()
        )
    })?;
    let loaded = read_sessions(&a.data, &scorer.encoder.schema, &Limits::default())?;
    let scored = scorer.score(&loaded.sessions)?;
    scorer.count(&mut counts, &loaded.sessions, &scored);
    let limits = DriftLimits {
        watch: a.watch,
        act: a.act,
    };
    let drift = scorer
        .drift(&counts, limits)
        .context("the artifact's monitoring reference is missing")?;
    let data = a.data.display().to_string();
    let md = report::drift_markdown(&data, &drift);
    print!("{md}");
    if let Some(out) = &a.out {
        write_md_json(out, &md, &drift)?;
        let png = out.with_extension("png");
        plot::psi_png(&png, &format!("PSI against training: {data}"), &drift)?;
        eprintln!(
            "wrote {}, {} and {}",
            out.with_extension("md").display(),
            out.with_extension("json").display(),
            png.display()
        );
    }
    let acting = drift
        .fields
        .iter()
        .chain(&drift.score)
        .filter(|f| f.status == DriftStatus::Act)
        .count();
    if acting > 0 {
        eprintln!("{acting} past the act limit (PSI ≥ {})", a.act);
    }
    Ok(())
}

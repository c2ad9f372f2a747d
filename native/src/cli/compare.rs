//! `seqrisk compare`: two artifacts on the same labelled sessions.

use crate::data::{load_artifact, read_sessions};
use crate::files::write_md_json;
use crate::report::{self, ComparedArtifact};
use anyhow::{Context, Result, bail};
use clap::Args;
use seqrisk_core::metrics::{CompareOptions, Comparison, ModelScores};
use seqrisk_core::schema::Limits;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub(crate) struct CompareArgs {
    /// Model A's artifact.
    pub(crate) a: PathBuf,
    /// Model B's artifact.
    pub(crate) b: PathBuf,
    /// Labelled sessions neither model trained on (`.jsonl`, `.csv` or `.parquet`), read with
    /// each artifact's own schema.
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// Paired bootstrap rounds for the interval of the AUC difference (0: DeLong's alone).
    #[arg(long, default_value_t = CompareOptions::default().bootstrap_rounds)]
    pub(crate) bootstrap: usize,
    /// The bootstrap's seed.
    #[arg(long, default_value_t = CompareOptions::default().seed)]
    pub(crate) seed: u64,
    /// How many of the sessions the two rank most differently to list.
    #[arg(long, default_value_t = CompareOptions::default().disagreements)]
    pub(crate) top: usize,
    /// Also write the report as `<OUT>.md` and `<OUT>.json`.
    #[arg(long, short)]
    pub(crate) out: Option<PathBuf>,
}

/// One artifact's scores of the data, by session id, with the labels its schema reads.
struct Scored {
    side: ComparedArtifact,
    threshold: f64,
    /// `(raw score, score, label)` by session id.
    scores: HashMap<String, (f64, f64, bool)>,
    order: Vec<String>,
}

fn score(artifact_path: &Path, data: &Path) -> Result<Scored> {
    let artifact = load_artifact(artifact_path)?;
    let scorer =
        seqrisk_core::scorer::Scorer::from_artifact(&artifact, burn::prelude::Device::flex())?;
    let loaded = read_sessions(data, &scorer.encoder.schema, &Limits::default())
        .with_context(|| format!("reading {} for {}", data.display(), artifact_path.display()))?;
    let labels: Vec<bool> = loaded
        .sessions
        .iter()
        .map(|s| s.label.context(format!("session `{}` has no label", s.id)))
        .collect::<Result<_>>()?;
    let mut scores = HashMap::with_capacity(labels.len());
    let mut order = Vec::with_capacity(labels.len());
    for (s, label) in scorer.score(&loaded.sessions)?.into_iter().zip(labels) {
        if scores
            .insert(s.id.clone(), (s.raw_score, s.score, label))
            .is_some()
        {
            bail!("session id `{}` appears twice in {}", s.id, data.display());
        }
        order.push(s.id);
    }
    Ok(Scored {
        side: ComparedArtifact {
            artifact: artifact_path.display().to_string(),
            model: artifact.header.model_config()?.spec().to_string(),
        },
        threshold: artifact.header.training.threshold,
        scores,
        order,
    })
}

pub(crate) fn run(a: &CompareArgs) -> Result<()> {
    let (sa, sb) = (score(&a.a, &a.data)?, score(&a.b, &a.data)?);
    let (mut ids, mut labels) = (Vec::new(), Vec::new());
    let (mut raw, mut calibrated) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for id in &sa.order {
        let (x, cx, label) = sa.scores[id];
        let Some(&(y, cy, label_b)) = sb.scores.get(id) else {
            bail!(
                "session `{id}` is read under {}'s schema but not under {}'s",
                a.a.display(),
                a.b.display()
            );
        };
        if label != label_b {
            bail!(
                "session `{id}` is labelled {label} under {}'s schema and {label_b} under {}'s",
                a.a.display(),
                a.b.display()
            );
        }
        ids.push(id.clone());
        labels.push(label);
        raw[0].push(x);
        raw[1].push(y);
        calibrated[0].push(cx);
        calibrated[1].push(cy);
    }
    if let Some(id) = sb.order.iter().find(|id| !sa.scores.contains_key(*id)) {
        bail!(
            "session `{id}` is read under {}'s schema but not under {}'s",
            a.b.display(),
            a.a.display()
        );
    }
    let options = CompareOptions {
        bootstrap_rounds: a.bootstrap,
        seed: a.seed,
        disagreements: a.top,
    };
    let side = |i: usize, threshold: f64| ModelScores {
        raw: &raw[i],
        score: &calibrated[i],
        threshold: Some(threshold),
    };
    let comparison = Comparison::compute(
        &ids,
        [side(0, sa.threshold), side(1, sb.threshold)],
        &labels,
        options,
    );
    let data = a.data.display().to_string();
    let md = report::comparison(&data, [&sa.side, &sb.side], &comparison);
    print!("{md}");
    if comparison.delong.is_none() {
        eprintln!("note: DeLong's test needs at least 2 positive and 2 negative sessions");
    }
    if let Some(out) = &a.out {
        let json = serde_json::json!({
            "data": data,
            "a": sa.side,
            "b": sb.side,
            "comparison": comparison,
        });
        write_md_json(out, &md, &json)?;
        eprintln!(
            "wrote {} and {}",
            out.with_extension("md").display(),
            out.with_extension("json").display()
        );
    }
    Ok(())
}

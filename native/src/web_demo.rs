//! The web demo's assets (`seqrisk web-demo`): the artifacts of models trained on the synthetic
//! data (the supervised ones by `train`, the cluster model by `cluster`), the index the demo's
//! model picker reads (`index.json`), and one recorded session per planted pattern for its
//! replay buttons (`replays.json`), drawn from fresh sessions the models never saw.
//!
//! Each replay is the session of its pattern with the median score under the first model, so
//! the demo shows a typical case, not the easiest one.

use crate::cluster::{ClusterOptions, cluster};
use crate::files::write_atomic;
use crate::train::{TrainOptions, train};
use anyhow::{Result, bail};
use seqrisk_core::artifact::Artifact;
use seqrisk_core::models::ModelSpec;
use seqrisk_core::schema::{Schema, session_to_json};
use seqrisk_core::scorer::Scorer;
use seqrisk_core::synth::{Pattern, SynthConfig, SyntheticSession, generate, generate_sessions};
use serde::Serialize;
use std::path::PathBuf;

/// What [`build`] trains and where it writes.
#[derive(Debug, Clone)]
pub struct WebDemoOptions {
    /// Models, in the picker's order (the first picks the replays).
    pub models: Vec<ModelSpec>,
    /// Synthetic sessions to train on.
    pub sessions: usize,
    /// Maximum epochs of each model.
    pub epochs: usize,
    /// Seed of the training data; the replays come from the next seed's sessions.
    pub seed: u64,
    /// Folder for the artifacts, `index.json` and `replays.json`.
    pub out: PathBuf,
    /// Show training progress.
    pub progress: bool,
}

/// Train the models on the synthetic fraud data and write the demo's assets.
pub fn build(opts: &WebDemoOptions) -> Result<Vec<Replay>> {
    if opts.models.is_empty() {
        bail!("name at least one model");
    }
    let schema = Schema::synthetic_default();
    let data: Vec<_> = generate_sessions(SynthConfig {
        sessions: opts.sessions,
        seed: opts.seed,
        ..SynthConfig::default()
    });
    let fingerprint = format!("synthetic:{}:{}", opts.sessions, opts.seed);
    let mut artifacts = Vec::new();
    let mut index = Vec::new();
    for &model in &opts.models {
        let (title, artifact) = if model.supervised() {
            let outcome = train(
                &data,
                &schema,
                &TrainOptions {
                    model,
                    epochs: opts.epochs,
                    seed: opts.seed,
                    progress: opts.progress,
                    ..TrainOptions::default()
                },
                &fingerprint,
            )?;
            (model.name().to_uppercase(), outcome.artifact)
        } else {
            ("FinDeepBehaviorCluster".to_string(), cluster_model(opts)?)
        };
        let file = format!("{}.seqrisk", model.name());
        write_atomic(&opts.out.join(&file), &artifact.to_bytes()?)?;
        index.push(DemoModel {
            title,
            file: file.clone(),
            model: model.to_string(),
        });
        artifacts.push((file, artifact));
    }
    let held_out = generate(SynthConfig {
        sessions: 2000,
        seed: opts.seed.wrapping_add(1),
        ..SynthConfig::default()
    });
    let replays = replays(&held_out, &artifacts, &schema)?;
    write_atomic(
        &opts.out.join("index.json"),
        serde_json::to_string_pretty(&index)?.as_bytes(),
    )?;
    write_atomic(
        &opts.out.join("replays.json"),
        serde_json::to_string_pretty(&replays)?.as_bytes(),
    )?;
    Ok(replays)
}

/// Sessions the demo's cluster model clusters.
const CLUSTER_SESSIONS: usize = 2_100;

/// The cluster model (FinDeepBehaviorCluster) as `seqrisk cluster`'s default job builds it —
/// its default options on about 2,100 sessions, a fifth of them fraudulent (what the job's
/// stratified sample of 20,000 holds) — without the later sessions it assigns for its report.
fn cluster_model(opts: &WebDemoOptions) -> Result<Artifact> {
    let sessions: Vec<_> = generate_sessions(SynthConfig {
        sessions: CLUSTER_SESSIONS,
        fraud_rate: 0.2,
        seed: opts.seed,
        ..SynthConfig::default()
    });
    let fitted = cluster(
        &sessions,
        &Schema::synthetic_default(),
        &ClusterOptions {
            seed: opts.seed,
            progress: opts.progress,
            ..ClusterOptions::default()
        },
    )?;
    let fingerprint = format!("synthetic:{CLUSTER_SESSIONS}:{}:fraud-0.2", opts.seed);
    fitted.artifact(&sessions, &[], &[], &fingerprint, opts.seed)
}

/// One entry of the model picker.
#[derive(Debug, Clone, Serialize)]
pub struct DemoModel {
    /// Shown in the picker.
    pub title: String,
    /// The artifact's file name, next to `index.json`.
    pub file: String,
    /// The model (`nhfm`, `difm`, …).
    pub model: String,
}

/// A recorded session the demo replays event by event.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    /// The planted pattern (`account_takeover`, …; `legit` for an ordinary session).
    pub pattern: String,
    /// Its label in the demo.
    pub title: String,
    /// What the pattern is.
    pub about: String,
    /// The session in the schema's JSON form, each event with its `planted` flag.
    pub session: serde_json::Value,
    /// Its final score under each model, by file name (what the demo should end on).
    pub scores: Vec<(String, f64)>,
}

fn describe(p: Pattern) -> (&'static str, &'static str) {
    match p {
        Pattern::Legit => (
            "Ordinary visit",
            "A customer logs in on a known device, browses, maybe buys at a favourite shop.",
        ),
        Pattern::AccountTakeover => (
            "Account takeover",
            "A login at night, often from abroad on a new device, then a password change, a new payee and a large transfer to it.",
        ),
        Pattern::CardTesting => (
            "Card testing",
            "A burst of tiny payments at digital-goods merchants seconds apart, half of them failing.",
        ),
        Pattern::ScriptedBot => (
            "Scripted bot",
            "The same three steps repeated at a fixed period with near-constant dwell times.",
        ),
    }
}

/// The replays: for each pattern, the session of `held_out` with the median score under the
/// first of `artifacts` (`(file name, artifact)`), scored by all of them.
pub fn replays(
    held_out: &[SyntheticSession],
    artifacts: &[(String, Artifact)],
    schema: &Schema,
) -> Result<Vec<Replay>> {
    if artifacts.is_empty() {
        bail!("no model to pick the replays with");
    }
    let scorers = artifacts
        .iter()
        .map(|(file, a)| {
            Ok((
                file,
                Scorer::from_artifact(a, burn::prelude::Device::flex())?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for pattern in [
        Pattern::Legit,
        Pattern::AccountTakeover,
        Pattern::CardTesting,
        Pattern::ScriptedBot,
    ] {
        let of_pattern: Vec<&SyntheticSession> =
            held_out.iter().filter(|s| s.pattern == pattern).collect();
        let sessions: Vec<_> = of_pattern.iter().map(|s| s.session.clone()).collect();
        if sessions.is_empty() {
            bail!(
                "the held-out sessions hold no {} session; generate more",
                pattern.name()
            );
        }
        let scores = scorers[0].1.score(&sessions)?;
        let mut order: Vec<usize> = (0..sessions.len()).collect();
        order.sort_by(|&a, &b| scores[a].score.total_cmp(&scores[b].score));
        let chosen = &sessions[order[order.len() / 2]];
        let mut by_model = Vec::new();
        for (file, scorer) in &scorers {
            let score = scorer.score(std::slice::from_ref(chosen))?;
            by_model.push(((*file).clone(), score.first().map_or(f64::NAN, |x| x.score)));
        }
        let (title, about) = describe(pattern);
        out.push(Replay {
            pattern: pattern.name().into(),
            title: title.into(),
            about: about.into(),
            session: session_to_json(chosen, schema),
            scores: by_model,
        });
    }
    Ok(out)
}

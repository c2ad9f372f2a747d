//! `seqrisk web-demo`: the web demo's models, index and replays.

use crate::train::TrainOptions;
use crate::web_demo::{self, DemoSizes, WebDemoOptions};
use anyhow::Result;
use clap::Args;
use seqrisk_core::models::ModelSpec;
use seqrisk_core::synth::SynthConfig;

use crate::settings::parse_model;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct WebDemoArgs {
    /// Models, in the picker's order (the first of each scenario picks its replays): supervised
    /// ones are trained on the synthetic data of their scenario (credit for HUIHEN, payments for
    /// LBSF, fraud for the others), `behavior-cluster` clusters the fraud data as `seqrisk
    /// cluster` does.
    #[arg(long, default_value = "nhfm,difm,behavior-cluster,huihen,lbsf", value_delimiter = ',', value_parser = parse_model)]
    pub(crate) models: Vec<ModelSpec>,
    /// Fraud scenario: sessions to train on.
    #[arg(long, default_value_t = DemoSizes::default().fraud_sessions)]
    pub(crate) sessions: usize,
    /// Credit scenario (HUIHEN): applicants with behaviors to train on.
    #[arg(long, default_value_t = DemoSizes::default().applicants)]
    pub(crate) applicants: usize,
    /// Credit scenario: older, profile-only applicants HUIHEN pretrains on.
    #[arg(long, default_value_t = DemoSizes::default().old_applicants)]
    pub(crate) old_applicants: usize,
    /// Payments scenario (LBSF): users to train on.
    #[arg(long, default_value_t = DemoSizes::default().payment_users)]
    pub(crate) payment_users: usize,
    /// Maximum epochs of each model.
    #[arg(long, default_value_t = TrainOptions::default().epochs)]
    pub(crate) epochs: usize,
    /// Seed of the synthetic data (the replays come from fresh sessions of the next seed).
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    pub(crate) seed: u64,
    /// Folder the demo serves its models from: `<model>.seqrisk`, `index.json`, `replays.json`.
    #[arg(long, short, default_value = "web-demo/models")]
    pub(crate) out: PathBuf,
    /// Hide the progress bars.
    #[arg(long)]
    pub(crate) quiet: bool,
}

pub(crate) fn run(a: &WebDemoArgs) -> Result<()> {
    let replays = web_demo::build(&WebDemoOptions {
        models: a.models.clone(),
        sizes: DemoSizes {
            fraud_sessions: a.sessions,
            applicants: a.applicants,
            old_applicants: a.old_applicants,
            payment_users: a.payment_users,
            ..DemoSizes::default()
        },
        epochs: a.epochs,
        seed: a.seed,
        out: a.out.clone(),
        progress: !a.quiet,
    })?;
    for r in &replays {
        let scores: Vec<String> = r
            .scores
            .iter()
            .map(|(file, s)| format!("{file} {s:.3}"))
            .collect();
        eprintln!("replay {:<17} {}", r.pattern, scores.join(", "));
    }
    eprintln!(
        "wrote {} models, index.json and replays.json to {}",
        a.models.len(),
        a.out.display()
    );
    Ok(())
}

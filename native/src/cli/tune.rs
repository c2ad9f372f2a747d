//! `seqrisk tune`: search a model's settings within a time budget (random search with
//! successive halving on validation AUC) and write the best as a file `train --config` reads.

use crate::data::{read_schema, read_sessions};
use crate::files::write_atomic;
use crate::train::{Backend, SplitMode, TrainOptions};
use crate::tune::{self, Pick, SearchSpace, TuneOptions, TuneState};
use anyhow::{Context, Result, bail};
use clap::Args;
use seqrisk_core::models::ModelSpec;
use seqrisk_core::schema::Limits;

use crate::files::write_md_json;
use crate::flags::as_flags;
use crate::settings::parse_model;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
pub(crate) struct TuneArgs {
    /// Training data (`.jsonl`, `.csv` or `.parquet`), labelled.
    #[arg(long)]
    data: PathBuf,
    /// Schema file (TOML or JSON); default: the synthetic data's schema.
    #[arg(long)]
    schema: Option<PathBuf>,
    /// Model to tune (any supervised model; the GBDT's trees stop early on their own, so its
    /// search is a plain random search: one run per draw, `--min-epochs` and `--rungs` unused).
    #[arg(long, default_value = "nhfm", value_parser = parse_model)]
    model: ModelSpec,
    /// Wall-clock budget of the whole search, e.g. `30m`, `1h 30m`, `90s`.
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    budget: Duration,
    /// Split: `random` (stratified, seeded) or `time` (most recent sessions for test); trials
    /// are compared on the validation split only.
    #[arg(long, value_enum, default_value_t = SplitMode::Random)]
    split: SplitMode,
    /// Seed of the settings drawn.
    #[arg(long, default_value_t = TuneOptions::default().seed)]
    seed: u64,
    /// Seed of every trial's split, shuffling and initialisation.
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    train_seed: u64,
    /// Epochs of a bracket's first rung; rung r trains for `min_epochs · 3^r`.
    #[arg(long, default_value_t = TuneOptions::default().min_epochs)]
    min_epochs: usize,
    /// Rungs per bracket: 3^(rungs−1) settings are drawn, a third goes on at each rung.
    #[arg(long, default_value_t = TuneOptions::default().rungs)]
    rungs: usize,
    /// Stop the search after this many trials (those of a resumed search included), whatever
    /// the budget left; the finals still run.
    #[arg(long)]
    max_trials: Option<usize>,
    /// Finals: the search's best N distinct settings are trained again with other training
    /// seeds and the pick is the best mean validation AUC, since one seed's validation AUC is
    /// a noisy judge (0: pick the best trial). The GBDT has no finals: its trees do not depend
    /// on the seed.
    #[arg(long, default_value_t = TuneOptions::default().finalists)]
    finalists: usize,
    /// Seeds each finalist is judged on, the search's own included (1: no finals).
    #[arg(long, default_value_t = TuneOptions::default().final_seeds)]
    final_seeds: usize,
    /// Share of the budget kept for the finals (the search stops at the rest).
    #[arg(long, default_value_t = TuneOptions::default().final_share)]
    final_share: f64,
    /// Early-stopping patience of each trial, in epochs.
    #[arg(long, default_value_t = TrainOptions::default().patience)]
    patience: usize,
    /// Training backend.
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
    /// Go on from the trials file an earlier run of the same search left
    /// (`<out>/tune-<model>.json`): its trials are replayed, not rerun, and their time counts
    /// against the budget.
    #[arg(long)]
    resume: bool,
    /// Hide the per-trial lines.
    #[arg(long)]
    quiet: bool,
    /// Output folder: `tune-<model>.{json,md}` (every trial) and `<model>-tuned.toml` (the best
    /// settings, for `seqrisk train --config`).
    #[arg(long, short, default_value = "seqrisk-out")]
    out: PathBuf,
}

impl TuneArgs {
    /// The search's options and every trial's training options.
    fn options(&self) -> Result<(TuneOptions, TrainOptions)> {
        let opts = TuneOptions {
            budget: self.budget,
            seed: self.seed,
            min_epochs: self.min_epochs,
            rungs: self.rungs,
            max_trials: self.max_trials,
            finalists: self.finalists,
            final_seeds: self.final_seeds,
            final_share: self.final_share,
            ..TuneOptions::default()
        }
        .for_model(self.model);
        opts.validate().map_err(|e| as_flags(e, &[]))?;
        let base = TrainOptions {
            model: self.model,
            seed: self.train_seed,
            split: self.split,
            patience: self.patience,
            backend: self.backend,
            ..TrainOptions::default()
        };
        Ok((opts, base))
    }
}

pub(crate) fn run(a: &TuneArgs) -> Result<()> {
    if !a.model.supervised() {
        bail!(
            "`{}` is built without labels by `seqrisk cluster`; tune searches the supervised models (nhfm, difm, lstm4fd, gbdt, …)",
            a.model
        );
    }
    let schema = read_schema(a.schema.as_deref())?;
    let (opts, base) = a.options()?;
    let loaded = read_sessions(&a.data, &schema, &Limits::default())?;
    let name = a.model.name();
    let state_path = a.out.join(format!("tune-{name}.json"));
    let fresh = TuneState::new(name, &loaded.fingerprint, &opts);
    let mut state = if a.resume && state_path.exists() {
        resumed(&state_path, fresh)?
    } else {
        fresh
    };
    let space = SearchSpace::for_model(a.model, &schema);
    eprintln!(
        "tuning {name} on {} sessions from {} for {}: {}",
        loaded.sessions.len(),
        a.data.display(),
        humantime::format_duration(a.budget),
        opts.plan(a.model)
    );
    let quiet = a.quiet;
    let data = tune::TrialData {
        sessions: &loaded.sessions,
        schema: &schema,
        fingerprint: &loaded.fingerprint,
        base: &base,
    };
    tune::search(
        &space,
        &opts,
        &mut state,
        |settings, epochs, seed_offset, deadline| {
            tune::train_trial(&data, settings, epochs, seed_offset, deadline)
        },
        |state, line| {
            if !quiet {
                eprintln!("{line}");
            }
            save(&state_path, state)
        },
    )?;
    let Some(best) = state.best() else {
        bail!(
            "no trial finished within {}; give a longer --budget",
            humantime::format_duration(a.budget)
        );
    };
    let config_path = a.out.join(format!("{name}-tuned.toml"));
    write_best(&config_path, name, state.trials.len(), &best)?;
    save(&state_path, &state)?;
    let table = state.markdown();
    println!("{}", table.lines().take(12).collect::<Vec<_>>().join("\n"));
    let finals = state.finals_markdown();
    if !finals.is_empty() {
        println!("\n{finals}");
    }
    println!(
        "best: valid AUC {} with {}",
        judged(&best),
        best.trial.settings.summary()
    );
    println!("trials:   {}", state_path.display());
    println!("settings: {}", config_path.display());
    Ok(())
}

/// The trials file of an interrupted search, checked to be `fresh`'s search.
fn resumed(path: &std::path::Path, fresh: TuneState) -> Result<TuneState> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let old: TuneState = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a trials file", path.display()))?;
    let TuneState { trials, finals, .. } = old.clone();
    if (TuneState {
        trials,
        finals,
        ..fresh
    }) != old
    {
        bail!(
            "{} was written by another search (model, data, seed, --min-epochs, --rungs, --finalists or --final-seeds differ); start without --resume",
            path.display()
        );
    }
    eprintln!(
        "resuming: {} trials and {} finals ({:.0} s of the budget) in {}",
        old.trials.len(),
        old.finals.len(),
        old.seconds(),
        path.display()
    );
    Ok(old)
}

/// Write the trials as JSON to `path` (what `--resume` reads) and as Markdown beside it.
fn save(path: &std::path::Path, state: &TuneState) -> Result<()> {
    let finals = state.finals_markdown();
    let md = if finals.is_empty() {
        state.markdown()
    } else {
        format!("{}\n{finals}", state.markdown())
    };
    write_md_json(&path.with_extension(""), &md, state)
}

/// The pick's validation AUC, and the seeds' when the finals judged it.
fn judged(pick: &Pick) -> String {
    match pick.aucs.len() {
        1 => format!("{:.4}", pick.mean()),
        n => format!(
            "{:.4}, the mean of {n} seeds: {}",
            pick.mean(),
            pick.aucs
                .iter()
                .map(|v| format!("{v:.4}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Write the best trial's settings to `path` as TOML, under a comment saying where they
/// come from.
fn write_best(path: &std::path::Path, name: &str, trials: usize, pick: &Pick) -> Result<()> {
    let best = pick.trial;
    // a GBDT's trial is one draw grown once: no rung or epoch to name
    let which = if best.max_epochs == 1 && best.rung == 0 {
        format!("draw {}", best.bracket)
    } else {
        format!(
            "trial {}.{} at rung {}, best epoch {} of {}",
            best.bracket, best.draw, best.rung, best.result.best_epoch, best.max_epochs
        )
    };
    let header = format!(
        "# seqrisk tune --model {name}: the best of {trials} trials on validation AUC ({}; {which}).\n# seqrisk train --config {} reuses these settings.\n",
        judged(pick),
        path.display()
    );
    write_atomic(
        path,
        format!("{header}{}", best.settings.to_toml()?).as_bytes(),
    )
}

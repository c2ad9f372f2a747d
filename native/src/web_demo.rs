//! The web demo's assets (`seqrisk web-demo`): the artifacts of models trained on the synthetic
//! data of the scenario each is made for (the supervised ones by `train`, the cluster model by
//! `cluster`), the index the demo's model picker reads (`index.json`), and recorded sessions for
//! its replay buttons (`replays.json`), drawn from fresh sessions the models never saw.
//!
//! The fraud scenario's models (NHFM, DIFM, the cluster model …) score the visitor's own visit
//! and one replay per planted pattern; HUIHEN reads a loan applicant's months of app behaviors
//! (the credit scenario) and LBSF a user's six months of payments (the payments scenario),
//! which a visit cannot hold, so they score recorded applicants and users: one who went on to
//! default and one who repaid.
//!
//! Each replay is the session of its kind with the median score under its scenario's first
//! model, so the demo shows a typical case, not the easiest one.

use crate::cluster::{ClusterOptions, cluster};
use crate::files::write_atomic;
use crate::scenario::{Generators, Scenario, ScenarioData};
use crate::settings::Settings;
use crate::train::{TrainOptions, train};
use anyhow::{Result, bail};
use seqrisk_core::artifact::Artifact;
use seqrisk_core::models::{ModelSpec, Preset};
use seqrisk_core::schema::{Schema, Session, session_to_json};
use seqrisk_core::scorer::Scorer;
use seqrisk_core::synth::credit::{CreditConfig, generate_credit};
use seqrisk_core::synth::payments::{PaymentsConfig, generate_payments};
use seqrisk_core::synth::{Pattern, SynthConfig, generate, generate_sessions};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What [`build`] trains and where it writes.
#[derive(Debug, Clone)]
pub struct WebDemoOptions {
    /// Models, in the picker's order (the first of each scenario picks its replays).
    pub models: Vec<ModelSpec>,
    /// How much synthetic data each scenario trains on.
    pub sizes: DemoSizes,
    /// Maximum epochs of each model.
    pub epochs: usize,
    /// Seed of the training data; the replays come from the next seed's sessions.
    pub seed: u64,
    /// Folder for the artifacts, `index.json` and `replays.json`.
    pub out: PathBuf,
    /// Show training progress.
    pub progress: bool,
}

/// How much synthetic data each scenario's models train on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoSizes {
    /// Fraud scenario: sessions.
    pub fraud_sessions: usize,
    /// Credit scenario: applicants with behaviors.
    pub applicants: usize,
    /// Credit scenario: older, profile-only applicants (HUIHEN's pretraining population).
    pub old_applicants: usize,
    /// Payments scenario: users.
    pub payment_users: usize,
    /// Payments scenario: median payments per user.
    pub median_payments: f64,
}

impl Default for DemoSizes {
    /// The generators' defaults, except fewer payment users (LBSF trains for minutes per
    /// thousand users on two cores).
    fn default() -> Self {
        Self {
            fraud_sessions: SynthConfig::default().sessions,
            applicants: CreditConfig::default().users,
            old_applicants: CreditConfig::default().old_users,
            payment_users: 1_500,
            median_payments: PaymentsConfig::default().median_payments,
        }
    }
}

impl DemoSizes {
    /// The generators' settings for these sizes, with `seed`.
    fn generators(&self, seed: u64) -> Generators {
        Generators {
            fraud: SynthConfig {
                sessions: self.fraud_sessions,
                seed,
                ..SynthConfig::default()
            },
            credit: CreditConfig {
                users: self.applicants,
                old_users: self.old_applicants,
                seed,
                ..CreditConfig::default()
            },
            payments: PaymentsConfig {
                users: self.payment_users,
                median_payments: self.median_payments,
                seed,
                ..PaymentsConfig::default()
            },
            // no demo model trains on the transactions scenario
            transactions: Default::default(),
        }
    }
}

/// Train the models on the synthetic data of their scenarios and write the demo's assets.
pub fn build(opts: &WebDemoOptions) -> Result<Vec<Replay>> {
    if opts.models.is_empty() {
        bail!("name at least one model");
    }
    let generators = opts.sizes.generators(opts.seed);
    let mut data: BTreeMap<Scenario, ScenarioData> = BTreeMap::new();
    let mut artifacts: Vec<(Scenario, String, Artifact)> = Vec::new();
    let mut index = Vec::new();
    for &model in &opts.models {
        let scenario = Scenario::of(model);
        let (title, artifact) = if model.supervised() {
            let d = data
                .entry(scenario)
                .or_insert_with(|| scenario.generate(&generators));
            let mut train_opts = TrainOptions {
                model,
                epochs: opts.epochs,
                seed: opts.seed,
                progress: opts.progress,
                old_sessions: d.old.clone(),
                ..TrainOptions::default()
            };
            // the papers' settings: the demo's replays and explanations are read against the
            // planted patterns of the synthetic scenarios, where those settings hold up
            let mut schema = scenario.schema();
            Settings {
                preset: Some(Preset::Paper),
                ..Settings::default()
            }
            .resolve(model, &schema)
            .apply(&mut train_opts, &mut schema)?;
            let outcome = train(&d.sessions, &schema, &train_opts, &d.fingerprint)?;
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
            scenario,
        });
        artifacts.push((scenario, file, artifact));
    }
    let mut replays = Vec::new();
    for scenario in [Scenario::Fraud, Scenario::Credit, Scenario::Payments] {
        let of_scenario: Vec<(&str, &Artifact)> = artifacts
            .iter()
            .filter(|(s, _, _)| *s == scenario)
            .map(|(_, file, a)| (file.as_str(), a))
            .collect();
        if !of_scenario.is_empty() {
            let kinds = held_out(scenario, opts.seed.wrapping_add(1));
            replays.extend(pick_replays(scenario, &kinds, &of_scenario)?);
        }
    }
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
    /// The scenario it is made for, whose replays it scores (`fraud`: the visitor's own visit
    /// too).
    pub scenario: Scenario,
}

/// A recorded session the demo replays.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    /// What kind of session it is: a planted fraud pattern (`account_takeover`, …; `legit` for
    /// an ordinary session), or `applicant_overdue`, `applicant_repaid`, `user_defaulted`,
    /// `user_repaid`.
    pub pattern: String,
    /// The scenario it comes from; the models of that scenario score it.
    pub scenario: Scenario,
    /// Whether it is a risky kind (fraud, overdue, defaulted).
    pub risky: bool,
    /// Its label in the demo.
    pub title: String,
    /// What the kind is.
    pub about: String,
    /// The session in the schema's JSON form (fraud and payments events with their `planted`
    /// flag).
    pub session: serde_json::Value,
    /// Its final score under each model of the scenario, by file name (what the demo should end
    /// on).
    pub scores: Vec<(String, f64)>,
}

/// One kind of replay and the held-out sessions of that kind to pick from.
struct Kind {
    pattern: &'static str,
    risky: bool,
    title: &'static str,
    about: &'static str,
    sessions: Vec<Session>,
}

fn fraud_kind(p: Pattern) -> (&'static str, &'static str) {
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

/// Fresh sessions of the scenario (seed `seed`), grouped by the kinds the demo replays.
fn held_out(scenario: Scenario, seed: u64) -> Vec<Kind> {
    match scenario {
        Scenario::Fraud => fraud_kinds(seed),
        Scenario::Credit => credit_kinds(seed),
        // no demo model trains on it (Scenario::of never picks it): nothing to replay
        Scenario::Transactions => Vec::new(),
        Scenario::Payments => payments_kinds(seed),
    }
}

/// The sessions with `label`.
fn by_label(sessions: &[Session], label: bool) -> Vec<Session> {
    sessions
        .iter()
        .filter(|s| s.label == Some(label))
        .cloned()
        .collect()
}

/// The fraud scenario's kinds: legitimate sessions and each planted pattern.
fn fraud_kinds(seed: u64) -> Vec<Kind> {
    let sessions = generate(SynthConfig {
        sessions: 2000,
        seed,
        ..SynthConfig::default()
    });
    [
        Pattern::Legit,
        Pattern::AccountTakeover,
        Pattern::CardTesting,
        Pattern::ScriptedBot,
    ]
    .into_iter()
    .map(|p| {
        let (title, about) = fraud_kind(p);
        Kind {
            pattern: p.name(),
            risky: p != Pattern::Legit,
            title,
            about,
            sessions: sessions
                .iter()
                .filter(|s| s.pattern == p)
                .map(|s| s.session.clone())
                .collect(),
        }
    })
    .collect()
}

/// The credit scenario's kinds: applicants who went overdue and who repaid.
fn credit_kinds(seed: u64) -> Vec<Kind> {
    let users = generate_credit(CreditConfig {
        users: 400,
        old_users: 0,
        seed,
        ..CreditConfig::default()
    })
    .users;
    vec![
        Kind {
            pattern: "applicant_overdue",
            risky: true,
            title: "Applicant who went overdue",
            about: "A loan applicant's app behaviors over the 120 days before applying; this one went overdue. Some habits raise the risk: a rushed last session, loan pages at month end, cash out right after reading a loan page, long pauses before confirming.",
            sessions: by_label(&users, true),
        },
        Kind {
            pattern: "applicant_repaid",
            risky: false,
            title: "Applicant who repaid",
            about: "A loan applicant's app behaviors over the 120 days before applying; this one repaid on time.",
            sessions: by_label(&users, false),
        },
    ]
}

/// The payments scenario's kinds: users who defaulted (with a planted strain) and who repaid.
fn payments_kinds(seed: u64) -> Vec<Kind> {
    let users = generate_payments(PaymentsConfig {
        users: 300,
        seed,
        ..PaymentsConfig::default()
    });
    let planted: Vec<Session> = users
        .iter()
        .filter(|s| s.label == Some(true) && s.events.iter().any(|e| e.planted))
        .cloned()
        .collect();
    vec![
        Kind {
            pattern: "user_defaulted",
            risky: true,
            title: "User who defaulted",
            about: "Six months of payments before a consumer loan; this user defaulted, and a planted strain (⚑) runs through the payments: gambling that grows, a payday-loan app taken up late, tips to streamers that surge, or fine dining given up for buy-now-pay-later.",
            sessions: planted,
        },
        Kind {
            pattern: "user_repaid",
            risky: false,
            title: "User who repaid",
            about: "Six months of payments before a consumer loan; this user repaid.",
            sessions: by_label(&users, false),
        },
    ]
}

/// The replays of one scenario: for each kind, its session with the median score under the
/// first of `artifacts` (`(file name, artifact)`, the scenario's models), scored by all of them.
fn pick_replays(
    scenario: Scenario,
    kinds: &[Kind],
    artifacts: &[(&str, &Artifact)],
) -> Result<Vec<Replay>> {
    let schema = scenario.schema();
    let scorers = artifacts
        .iter()
        .map(|(file, a)| {
            Ok((
                *file,
                Scorer::from_artifact(a, burn::prelude::Device::flex())?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let Some((_, first)) = scorers.first() else {
        bail!("no model to pick the replays with");
    };
    let mut out = Vec::new();
    for kind in kinds {
        if kind.sessions.is_empty() {
            bail!(
                "the held-out sessions hold no {} session; generate more",
                kind.pattern
            );
        }
        let scores = first.score(&kind.sessions)?;
        let mut order: Vec<usize> = (0..kind.sessions.len()).collect();
        order.sort_by(|&a, &b| scores[a].score.total_cmp(&scores[b].score));
        let chosen = &kind.sessions[order[order.len() / 2]];
        let mut by_model = Vec::new();
        for (file, scorer) in &scorers {
            let score = scorer.score(std::slice::from_ref(chosen))?;
            by_model.push((
                file.to_string(),
                score.first().map_or(f64::NAN, |x| x.score),
            ));
        }
        out.push(Replay {
            pattern: kind.pattern.into(),
            scenario,
            risky: kind.risky,
            title: kind.title.into(),
            about: kind.about.into(),
            session: session_to_json(chosen, &schema),
            scores: by_model,
        });
    }
    Ok(out)
}

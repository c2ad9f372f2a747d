//! The synthetic scenarios the generators write, which model each is made for, and generating
//! one with its settings.

use anyhow::{Result, bail};
use seqrisk_core::models::ModelSpec;
use seqrisk_core::schema::{Schema, Session};
use seqrisk_core::synth::credit::{CreditConfig, generate_credit};
use seqrisk_core::synth::payments::{PaymentsConfig, generate_payments};
use seqrisk_core::synth::transactions::{TransactionsConfig, generate_transactions};
use seqrisk_core::synth::{SynthConfig, generate_sessions};
use serde::Serialize;
use std::sync::Arc;

/// Which synthetic data to generate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, clap::ValueEnum, Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// Shopping / banking sessions with planted fraud (the default job's data).
    #[default]
    Fraud,
    /// Loan applicants' mobile-banking behaviors before applying, labelled overdue or not, and
    /// an older profile-only population (HUIHEN's data).
    Credit,
    /// Six months of payments per user across many named merchants, labelled defaulted or not
    /// (LBSF's data).
    Payments,
    /// Card payments from the fraud handbook's simulator (Le Borgne et al. 2022): thousands of
    /// terminals, the handbook's three fraud scenarios, one session per payment to score with
    /// the card's last 14 days, RFC 3339 timestamps. Not any model's default: the realistic
    /// test every model and baseline is compared on.
    Transactions,
}

impl Scenario {
    /// The scenario a model is made for: credit for HUIHEN, payments for LBSF, fraud for the
    /// others.
    pub fn of(model: ModelSpec) -> Self {
        if model.needs_session_view() {
            Scenario::Credit
        } else if model.payment_view().is_some() {
            Scenario::Payments
        } else {
            Scenario::Fraud
        }
    }

    /// The embedded schema of the scenario's data.
    pub fn schema(self) -> Schema {
        Schema::from_toml(self.schema_text()).expect("embedded schemas are valid")
    }

    /// The embedded schema's text (written beside generated data).
    pub fn schema_text(self) -> &'static str {
        use seqrisk_core::schema as s;
        match self {
            Scenario::Fraud => s::SYNTHETIC_SCHEMA_TOML,
            Scenario::Credit => s::CREDIT_SCHEMA_TOML,
            Scenario::Payments => s::PAYMENTS_SCHEMA_TOML,
            Scenario::Transactions => s::TRANSACTIONS_SCHEMA_TOML,
        }
    }

    /// The stem of its data file and benchmark names (`synthetic`, `credit`, …).
    pub fn stem(self) -> &'static str {
        match self {
            Scenario::Fraud => "synthetic",
            Scenario::Credit => "credit",
            Scenario::Payments => "payments",
            Scenario::Transactions => "transactions",
        }
    }
}

/// The generators' settings, one per scenario; [`Scenario::generate`] reads its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct Generators {
    /// The fraud scenario's.
    pub fraud: SynthConfig,
    /// The credit scenario's.
    pub credit: CreditConfig,
    /// The payments scenario's.
    pub payments: PaymentsConfig,
    /// The transactions scenario's.
    pub transactions: TransactionsConfig,
}

/// A scenario's generated data.
pub struct ScenarioData {
    /// The labelled sessions.
    pub sessions: Vec<Session>,
    /// Credit: the older, profile-only population HUIHEN pretrains on.
    pub old: Option<Arc<Vec<Session>>>,
    /// The generator's settings, for the model card.
    pub fingerprint: String,
}

impl Scenario {
    /// Generate the scenario's sessions with its settings in `g`.
    pub fn generate(self, g: &Generators) -> ScenarioData {
        match self {
            Scenario::Fraud => {
                let c = g.fraud;
                ScenarioData {
                    sessions: generate_sessions(c),
                    old: None,
                    fingerprint: format!("synthetic:{}:{}:{}", c.sessions, c.fraud_rate, c.seed),
                }
            }
            Scenario::Credit => {
                let c = g.credit;
                let data = generate_credit(c);
                ScenarioData {
                    sessions: data.users,
                    old: Some(Arc::new(data.old_users)),
                    fingerprint: format!("credit:{}:{}:{}", c.users, c.old_users, c.seed),
                }
            }
            Scenario::Payments => {
                let c = g.payments;
                ScenarioData {
                    sessions: generate_payments(c),
                    old: None,
                    fingerprint: format!("payments:{}:{}", c.users, c.seed),
                }
            }
            Scenario::Transactions => {
                let c = g.transactions;
                ScenarioData {
                    sessions: generate_transactions(c),
                    old: None,
                    fingerprint: format!(
                        "transactions:{}:{}:{}:{}:{}:{}",
                        c.customers, c.terminals, c.days, c.sessions, c.fraud_rate, c.seed
                    ),
                }
            }
        }
    }
}

/// The command-line options that pick and size a synthetic scenario (`seqrisk gen`, `demo`,
/// `train` without `--data`, `seqrisk-bench quality`).
#[derive(clap::Args, Clone, Debug)]
pub struct ScenarioArgs {
    /// Scenario: `fraud` (planted fraud patterns), `credit` (HUIHEN's loan applicants),
    /// `payments` (LBSF's long payment histories) or `transactions` (card payments from the
    /// fraud handbook's simulator, thousands of terminals).
    #[arg(long, value_enum)]
    pub scenario: Option<Scenario>,
    /// Number of sessions (credit: applicants with behaviors; payments: users); default 20,000
    /// (fraud), 8,000 (credit), 4,000 (payments) or 60,000 (transactions, about).
    #[arg(long)]
    pub sessions: Option<usize>,
    /// Credit: applicants in the older, profile-only population.
    #[arg(long, default_value_t = CreditConfig::default().old_users)]
    pub old_sessions: usize,
    /// Fraud and transactions: share of fraudulent sessions.
    #[arg(long, default_value_t = SynthConfig::default().fraud_rate)]
    pub fraud_rate: f64,
    /// Seed.
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    pub seed: u64,
}

impl ScenarioArgs {
    /// The fraud scenario's settings (`--fraud-rate` checked).
    pub fn config(&self) -> Result<SynthConfig> {
        if !(0.0..=0.5).contains(&self.fraud_rate) {
            bail!(
                "--fraud-rate must be between 0 and 0.5, got {}",
                self.fraud_rate
            );
        }
        Ok(SynthConfig {
            sessions: self.sessions.unwrap_or(SynthConfig::default().sessions),
            fraud_rate: self.fraud_rate,
            seed: self.seed,
            ..Default::default()
        })
    }

    /// The credit scenario's settings.
    pub fn credit(&self) -> CreditConfig {
        CreditConfig {
            users: self.sessions.unwrap_or(CreditConfig::default().users),
            old_users: self.old_sessions,
            seed: self.seed,
            ..Default::default()
        }
    }

    /// The payments scenario's settings.
    pub fn payments(&self) -> PaymentsConfig {
        PaymentsConfig {
            users: self.sessions.unwrap_or(PaymentsConfig::default().users),
            seed: self.seed,
            ..Default::default()
        }
    }

    /// The transactions scenario's settings.
    pub fn transactions(&self) -> TransactionsConfig {
        TransactionsConfig {
            sessions: self
                .sessions
                .unwrap_or(TransactionsConfig::default().sessions),
            fraud_rate: self.fraud_rate,
            seed: self.seed,
            ..Default::default()
        }
    }
}

//! The synthetic scenarios the generators write, and which model each is made for.

use seqrisk_core::models::ModelSpec;
use seqrisk_core::schema::Schema;
use serde::Serialize;

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
        match self {
            Scenario::Fraud => Schema::synthetic_default(),
            Scenario::Credit => Schema::credit_default(),
            Scenario::Payments => Schema::payments_default(),
        }
    }
}

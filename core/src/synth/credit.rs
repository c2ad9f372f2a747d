//! The synthetic credit scenario (HUIHEN's setting, §4.1 and §5.1): loan applicants of a
//! mobile-banking app with their behaviors over the months before the application, the label
//! "overdue", and an older, larger population from before the app recorded behaviors (profile
//! only) for pretraining.
//!
//! The overdue risk is a logistic function of the profile (income, age, tenure, product,
//! amount) and of four habits planted in the behaviors, chosen so that only a model of the
//! sequence sees them — each leaves the counts of behaviors per type unchanged:
//!
//! - **impulsive application**: the last session before applying is short and rushed (a few
//!   behaviors seconds apart), where others read the loan pages for minutes (HUIHEN §1);
//! - **month-end shortage**: sessions crowd into the last days of the month, with loan pages
//!   clicked then (the "use up their salary every month" habit of §3.4);
//! - **loan-then-cash**: in the same session a loan page is read and cash is withdrawn or sent
//!   out right after, where others do these in separate sessions (order, not count);
//! - **hesitation**: long pauses before confirming on loan pages (the time intervals of §3.4).
//!
//! Field order follows `schema/credit.toml`. Timestamps are UTC.

use super::weighted;
use crate::schema::{Category, Event, FieldValues, Session};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal};

/// Settings of the credit scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CreditConfig {
    /// Applicants with behaviors (the "new data").
    pub users: usize,
    /// Applicants with a profile only (the "old data", before the app update).
    pub old_users: usize,
    /// Seed.
    pub seed: u64,
    /// Unix time of the first application day; applications spread over the next 60 days,
    /// behaviors over the 120 days before each.
    pub start_unix: f64,
}

impl Default for CreditConfig {
    fn default() -> Self {
        Self {
            users: 8_000,
            old_users: 40_000,
            seed: 42,
            start_unix: 1_788_220_800.0, // 2026-09-01T00:00:00Z
        }
    }
}

/// The scenario: applicants with behaviors, and the older profile-only population.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditData {
    /// New data: behaviors, profile, label.
    pub users: Vec<Session>,
    /// Old data: profile and label, no events.
    pub old_users: Vec<Session>,
}

const ITEMS: &[&str] = &[
    "credit_loan",
    "deposit",
    "fund",
    "wealth",
    "insurance",
    "credit_card",
];
const WIDGETS: &[&str] = &["confirm", "return", "search", "settings", "home", "help"];

/// The applicant's hidden habits (see the module documentation).
struct Habits {
    impulsive: bool,
    month_end: bool,
    loan_then_cash: bool,
    hesitant: bool,
}

struct Gen {
    rng: SmallRng,
}

/// One behavior: exactly one of item click, operation (with amount) and widget.
enum Behavior {
    Item(&'static str),
    Operation(&'static str, f64),
    Widget(&'static str),
}

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        LogNormal::new(median.ln(), sigma)
            .map(|d| d.sample(&mut self.rng))
            .unwrap_or(median)
    }

    /// Profile values (schema order) and the profile's share of the risk logit.
    fn profile(&mut self) -> (FieldValues, f64) {
        let age = *weighted(
            &mut self.rng,
            &[
                ("18-25", 0.2),
                ("26-35", 0.35),
                ("36-45", 0.25),
                ("46-60", 0.15),
                ("60+", 0.05),
            ],
        );
        let income = *weighted(
            &mut self.rng,
            &[("low", 0.35), ("mid", 0.45), ("high", 0.2)],
        );
        let os = *weighted(&mut self.rng, &[("android", 0.6), ("ios", 0.4)]);
        let product = *weighted(
            &mut self.rng,
            &[
                ("cash_loan", 0.4),
                ("consumer_loan", 0.45),
                ("car_loan", 0.15),
            ],
        );
        let tenure = self.lognormal(30.0, 0.9).clamp(1.0, 360.0).round();
        let median_amount = match product {
            "cash_loan" => 3_000.0,
            "consumer_loan" => 6_000.0,
            _ => 20_000.0,
        };
        let amount = (self.lognormal(median_amount, 0.5) / 100.0).round() * 100.0;
        let mut risk = match income {
            "low" => 0.6,
            "mid" => 0.0,
            _ => -0.6,
        };
        risk += match age {
            "18-25" => 0.5,
            "60+" => 0.2,
            _ => 0.0,
        };
        risk += if product == "cash_loan" { 0.4 } else { 0.0 };
        risk -= 0.25 * (tenure / 30.0).ln();
        risk += 0.3 * (amount / median_amount).ln();
        let values = FieldValues {
            categorical: Box::new([
                Some(age.into()),
                Some(income.into()),
                Some(os.into()),
                Some(product.into()),
            ]),
            numeric: Box::new([Some(tenure), Some(amount)]),
            text: Box::default(),
        };
        (values, risk)
    }

    fn habits(&mut self) -> Habits {
        Habits {
            impulsive: self.chance(0.2),
            month_end: self.chance(0.2),
            loan_then_cash: self.chance(0.2),
            hesitant: self.chance(0.2),
        }
    }

    /// Risk logit of the habits.
    fn habit_risk(h: &Habits) -> f64 {
        [
            (h.impulsive, 2.75),
            (h.month_end, 2.25),
            (h.loan_then_cash, 2.5),
            (h.hesitant, 2.0),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, w)| w)
        .sum()
    }

    fn label(&mut self, logit: f64) -> bool {
        let noise = Normal::new(0.0, 0.3)
            .map(|d| d.sample(&mut self.rng))
            .unwrap_or(0.0);
        self.chance(1.0 / (1.0 + (-(logit + noise)).exp()))
    }

    fn operation(&mut self, name: &'static str) -> Behavior {
        let median = match name {
            "buy_fund" => 800.0,
            "transfer_out" => 300.0,
            "transfer_in" => 1_200.0,
            "repay_card" => 400.0,
            _ => 200.0, // cash_withdraw
        };
        Behavior::Operation(name, (self.lognormal(median, 0.6) * 100.0).round() / 100.0)
    }

    /// An everyday session of `n` behaviors: browsing items, some operations, widgets.
    fn everyday(&mut self, n: usize) -> Vec<Behavior> {
        (0..n)
            .map(|_| match self.rng.random_range(0..10) {
                0..=3 => Behavior::Item(ITEMS[self.rng.random_range(1..ITEMS.len())]),
                4..=5 => {
                    let op = *weighted(
                        &mut self.rng,
                        &[("buy_fund", 0.3), ("transfer_in", 0.3), ("repay_card", 0.4)],
                    );
                    self.operation(op)
                }
                _ => Behavior::Widget(WIDGETS[self.rng.random_range(0..WIDGETS.len())]),
            })
            .collect()
    }

    /// Cash leaving the account: a withdrawal or a transfer out.
    fn cash_out(&mut self) -> Behavior {
        let op = if self.chance(0.5) {
            "cash_withdraw"
        } else {
            "transfer_out"
        };
        self.operation(op)
    }

    /// Seconds between behaviors: a median of 20 s, a few seconds when rushed, long pauses
    /// before confirming on a loan page when hesitant.
    fn gaps(&mut self, behaviors: &[Behavior], rushed: bool, hesitant: bool) -> Vec<f64> {
        let mut after_loan = false;
        behaviors
            .iter()
            .map(|b| {
                let pause = if rushed {
                    self.lognormal(3.0, 0.4)
                } else if hesitant && after_loan && matches!(b, Behavior::Widget("confirm")) {
                    self.lognormal(400.0, 0.3)
                } else {
                    self.lognormal(20.0, 0.8)
                };
                after_loan = matches!(b, Behavior::Item("credit_loan"));
                pause.min(1_800.0)
            })
            .collect()
    }

    /// A session start `days_before` the application, at a daytime hour.
    fn session_start(&mut self, application: f64, days_before: f64) -> f64 {
        let day = (application / 86_400.0).floor() - days_before.floor();
        let hour = self.rng.random_range(7..23) as f64;
        day * 86_400.0 + hour * 3_600.0 + self.rng.random_range(0.0..3_000.0)
    }

    /// Days before `application` that fall in the last days of a month (25th or later).
    fn month_end_day(&mut self, application: f64) -> f64 {
        loop {
            let d = self.rng.random_range(1.0..120.0);
            let ts = application - d * 86_400.0;
            if crate::encode::week_and_month_day(ts).1 >= 25 {
                return d;
            }
        }
    }

    /// The behaviors of one applicant, in time order.
    fn behaviors(&mut self, h: &Habits, application: f64) -> Vec<Event> {
        let sessions = self.rng.random_range(12..40);
        // the same number of loan clicks and cash operations for everyone
        let (loan_sessions, cash_sessions) = (3, 3);
        let mut plan: Vec<(f64, Vec<Behavior>, bool, bool)> = Vec::with_capacity(sessions + 1);
        for k in 0..sessions {
            let days = if h.month_end && k < loan_sessions + 2 {
                self.month_end_day(application)
            } else {
                self.rng.random_range(1.0..120.0)
            };
            let n = self.rng.random_range(2..9);
            let (loans, cash) = if h.loan_then_cash {
                (
                    usize::from(k < loan_sessions),
                    usize::from(k < cash_sessions),
                )
            } else {
                (
                    usize::from(k < loan_sessions),
                    usize::from((loan_sessions..loan_sessions + cash_sessions).contains(&k)),
                )
            };
            let mut b = self.everyday(n);
            if loans == 1 {
                let at = self.rng.random_range(0..=b.len());
                b.insert(at, Behavior::Item("credit_loan"));
                b.insert(at + 1, Behavior::Widget("confirm"));
                if cash == 1 {
                    let o = self.cash_out();
                    b.insert(at + 2, o);
                }
            } else if cash == 1 {
                let at = self.rng.random_range(0..=b.len());
                let o = self.cash_out();
                b.insert(at, o);
            }
            plan.push((self.session_start(application, days), b, false, h.hesitant));
        }
        // the last session, just before the application
        let last = if h.impulsive {
            // three or four behaviors: still a session (HUIHEN drops shorter ones)
            let mut b = vec![
                Behavior::Widget("home"),
                Behavior::Item("credit_loan"),
                Behavior::Widget("confirm"),
            ];
            if self.chance(0.5) {
                b.insert(2, Behavior::Item("credit_loan"));
            }
            b
        } else {
            let n = self.rng.random_range(3..8);
            let mut b = self.everyday(n);
            b.push(Behavior::Item("credit_loan"));
            b.push(Behavior::Widget("confirm"));
            b
        };
        plan.push((application - 600.0, last, h.impulsive, h.hesitant));
        plan.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut events = Vec::new();
        let mut earliest_next = f64::NEG_INFINITY;
        for (start, behaviors, rushed, hesitant) in plan {
            let gaps = self.gaps(&behaviors, rushed, hesitant);
            // sessions never run into each other: at least 2 h apart
            let mut ts = start.max(earliest_next);
            for (b, gap) in behaviors.into_iter().zip(gaps) {
                ts += gap;
                events.push(event(ts.round(), b));
            }
            earliest_next = ts + 7_200.0;
        }
        events
    }
}

fn event(ts: f64, b: Behavior) -> Event {
    let (item, op, widget, amount) = match b {
        Behavior::Item(i) => (Some(i), None, None, None),
        Behavior::Operation(o, a) => (None, Some(o), None, Some(a)),
        Behavior::Widget(w) => (None, None, Some(w), None),
    };
    Event {
        ts,
        values: FieldValues {
            categorical: Box::new([
                item.map(Category::from),
                op.map(Category::from),
                widget.map(Category::from),
            ]),
            numeric: Box::new([amount]),
            text: Box::default(),
        },
        planted: false,
    }
}

/// Intercept of the risk logit, for an overdue rate near 9% in both populations.
const BASE_RISK: f64 = -5.5;

/// Generate the scenario.
pub fn generate_credit(cfg: CreditConfig) -> CreditData {
    let mut g = Gen {
        rng: SmallRng::seed_from_u64(cfg.seed),
    };
    let users = (0..cfg.users)
        .map(|i| {
            let (profile, profile_risk) = g.profile();
            let habits = g.habits();
            let application = cfg.start_unix + g.rng.random_range(0.0..60.0 * 86_400.0);
            let events = g.behaviors(&habits, application);
            let label = g.label(BASE_RISK + profile_risk + Gen::habit_risk(&habits));
            Session {
                entity: None,
                id: format!("u{i:06}"),
                label: Some(label),
                profile,
                events,
            }
        })
        .collect();
    let old_users = (0..cfg.old_users)
        .map(|i| {
            let (profile, profile_risk) = g.profile();
            let habits = g.habits();
            let label = g.label(BASE_RISK + profile_risk + Gen::habit_risk(&habits));
            Session {
                entity: None,
                id: format!("old{i:06}"),
                label: Some(label),
                profile,
                events: vec![],
            }
        })
        .collect();
    CreditData { users, old_users }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::split_sessions;
    use crate::schema::Schema;

    #[test]
    fn scenario_is_seeded_valid_and_sessionizes() {
        let cfg = CreditConfig {
            users: 300,
            old_users: 600,
            ..Default::default()
        };
        let data = generate_credit(cfg);
        assert_eq!(data, generate_credit(cfg));
        let schema = Schema::credit_default();
        let rate = |s: &[Session]| {
            s.iter().filter(|s| s.label == Some(true)).count() as f64 / s.len() as f64
        };
        let (new_rate, old_rate) = (rate(&data.users), rate(&data.old_users));
        assert!((0.04..0.2).contains(&new_rate), "{new_rate}");
        assert!((0.04..0.2).contains(&old_rate), "{old_rate}");
        crate::synth::assert_round_trips(&schema, data.users.iter().take(50));
        for s in data.users.iter().take(50) {
            let ts: Vec<f64> = s.events.iter().map(|e| e.ts).collect();
            let sessions = split_sessions(&ts, &schema.sessions);
            assert!(sessions.len() >= 8, "{}", sessions.len());
            for e in &s.events {
                let filled = e.values.categorical.iter().filter(|v| v.is_some()).count();
                assert_eq!(filled, 1, "one behavior field per event");
            }
        }
        assert!(data.old_users.iter().all(|s| s.events.is_empty()));
    }
}

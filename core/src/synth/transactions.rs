//! The card-transactions scenario: the simulator of the "Machine Learning for Credit Card Fraud
//! Detection – Practical Handbook" (Le Borgne, Siblini, Lebichot, Bontempi, 2022; chapter 3,
//! "Transaction data simulator"), written from its published description, then cut into
//! sessions: each session is one card's payment to score (the current event) with the card's
//! payments of the days before it as history; the label is whether that payment is fraud.
//!
//! The simulator, as the handbook describes it:
//!
//! - **customers** at a uniform location on a 100 × 100 grid, each with a mean amount
//!   `U(5, 100)`, an amount standard deviation of half of it, and a mean number of payments a
//!   day `U(0, 4)`;
//! - **terminals** at uniform locations on the same grid; a customer pays only at the
//!   terminals within radius `r` = 5 of home;
//! - **payments**: each day a customer makes `Poisson(mean per day)` of them, at a time of day
//!   `N(12 h, 20,000 s)` (outside the day: dropped), for an amount `N(mean, std)` (a negative
//!   draw is redrawn as `U(0, 2·mean)`), rounded to cents, at a terminal drawn uniformly among
//!   the customer's;
//! - **fraud**, three scenarios: (1) every payment above 220 is fraud; (2) every day 2
//!   terminals are compromised, and every payment at them in the next 28 days is fraud; (3)
//!   every day the card details of 3 customers leak, and in the next 14 days a third of their
//!   payments have their amount multiplied by 5 and are fraud.
//!
//! What seqrisk adds so the data reads like a card processor's export: the terminal's city
//! (its cell of a 32 × 32 grid, about 1,000 values), the card's type (from its spending), the
//! customer's home city, RFC 3339 timestamps. Sessions start after a burn-in of
//! [`TransactionsConfig::history_days`] so every card has its history; payments are sampled
//! into sessions with every fraud kept and genuine ones at the rate that gives
//! [`TransactionsConfig::sessions`]. Fraudulent payments are marked `planted`. Field order
//! follows `schema/transactions.toml`.

use crate::schema::{Category, Event, FieldValues, Session};
use compact_str::format_compact;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Poisson};

/// Settings of the transactions scenario (the handbook's defaults where it gives one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransactionsConfig {
    /// Customers (cards); the handbook: 5,000.
    pub customers: usize,
    /// Terminals; the handbook: 10,000.
    pub terminals: usize,
    /// Days simulated; the handbook: 183.
    pub days: usize,
    /// Radius around home within which a customer's terminals lie; the handbook: 5.
    pub radius: f64,
    /// Days of history each session carries (and the burn-in before the first session).
    pub history_days: usize,
    /// Sessions to sample (about).
    pub sessions: usize,
    /// Share of the sampled sessions that are fraud (at most all the frauds there are; the
    /// simulator's own rate is under 1%).
    pub fraud_rate: f64,
    /// Seed.
    pub seed: u64,
    /// Unix time of the first day's midnight (UTC).
    pub start_unix: f64,
}

impl Default for TransactionsConfig {
    fn default() -> Self {
        Self {
            customers: 5_000,
            terminals: 10_000,
            days: 183,
            radius: 5.0,
            history_days: 14,
            sessions: 60_000,
            fraud_rate: 0.03,
            seed: 42,
            start_unix: 1_775_001_600.0, // 2026-04-01T00:00:00Z
        }
    }
}

/// The fraud scenario that made a payment fraudulent (for counts and reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FraudScenario {
    /// Amount above 220.
    LargeAmount,
    /// A compromised terminal.
    CompromisedTerminal,
    /// Leaked card details, amount × 5.
    LeakedCard,
}

/// Amounts above this are fraud (scenario 1).
const LARGE_AMOUNT: f64 = 220.0;
/// Side of the grid of cities, in cells.
const CITY_GRID: f64 = 32.0;
const DAY: f64 = 86_400.0;

/// One simulated payment.
#[derive(Debug, Clone, Copy)]
struct Payment {
    /// Seconds since the start.
    t: f64,
    terminal: usize,
    amount: f64,
    fraud: Option<FraudScenario>,
}

struct Customer {
    x: f64,
    y: f64,
    mean_amount: f64,
    per_day: f64,
    terminals: Vec<usize>,
}

/// The whole simulation: every customer's payments in time order.
pub struct Simulation {
    customers: Vec<Customer>,
    terminals: Vec<(f64, f64)>,
    payments: Vec<Vec<Payment>>,
}

fn city(x: f64, y: f64) -> Category {
    let cell = |v: f64| ((v / 100.0 * CITY_GRID) as i64).clamp(0, CITY_GRID as i64 - 1);
    format_compact!("city-{:02}-{:02}", cell(x), cell(y))
}

/// Simulate customers, terminals and payments with the three fraud scenarios.
pub fn simulate(cfg: TransactionsConfig) -> Simulation {
    let mut rng = SmallRng::seed_from_u64(cfg.seed);
    let terminals: Vec<(f64, f64)> = (0..cfg.terminals)
        .map(|_| (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0)))
        .collect();
    // terminals by grid cell of side `radius`, so a customer's terminals are found among the
    // 3 × 3 cells around home instead of all of them
    let side = cfg.radius.max(1e-9);
    let cells = (100.0 / side).ceil() as usize + 1;
    let mut grid: Vec<Vec<usize>> = vec![Vec::new(); cells * cells];
    let cell = |v: f64| ((v / side) as usize).min(cells - 1);
    for (i, &(x, y)) in terminals.iter().enumerate() {
        grid[cell(x) * cells + cell(y)].push(i);
    }
    let customers: Vec<Customer> = (0..cfg.customers)
        .map(|_| {
            let (x, y) = (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0));
            let (cx, cy) = (cell(x), cell(y));
            let mut near = Vec::new();
            for gx in cx.saturating_sub(1)..=(cx + 1).min(cells - 1) {
                for gy in cy.saturating_sub(1)..=(cy + 1).min(cells - 1) {
                    near.extend(grid[gx * cells + gy].iter().copied().filter(|&t| {
                        let (tx, ty) = terminals[t];
                        (tx - x).hypot(ty - y) < cfg.radius
                    }));
                }
            }
            near.sort_unstable();
            Customer {
                x,
                y,
                mean_amount: rng.random_range(5.0..100.0),
                per_day: rng.random_range(0.0..4.0),
                terminals: near,
            }
        })
        .collect();
    let time_of_day = Normal::new(DAY / 2.0, 20_000.0).expect("valid normal");
    let mut payments: Vec<Vec<Payment>> = customers
        .iter()
        .map(|c| {
            let mut out = Vec::new();
            if c.terminals.is_empty() || c.per_day <= 0.0 {
                return out;
            }
            let count = Poisson::new(c.per_day).expect("positive rate");
            let amount = Normal::new(c.mean_amount, c.mean_amount / 2.0).expect("valid normal");
            for day in 0..cfg.days {
                let n = count.sample(&mut rng) as usize;
                let mut today: Vec<Payment> = Vec::with_capacity(n);
                for _ in 0..n {
                    let s = time_of_day.sample(&mut rng);
                    if !(0.0..DAY).contains(&s) {
                        continue;
                    }
                    let mut a = amount.sample(&mut rng);
                    if a < 0.0 {
                        a = rng.random_range(0.0..2.0 * c.mean_amount);
                    }
                    today.push(Payment {
                        t: day as f64 * DAY + s.floor(),
                        terminal: c.terminals[rng.random_range(0..c.terminals.len())],
                        amount: (a * 100.0).round() / 100.0,
                        fraud: None,
                    });
                }
                today.sort_by(|a, b| a.t.total_cmp(&b.t));
                out.extend(today);
            }
            out
        })
        .collect();
    // scenario 1: large amounts
    for p in payments.iter_mut().flatten() {
        if p.amount > LARGE_AMOUNT {
            p.fraud = Some(FraudScenario::LargeAmount);
        }
    }
    // scenario 2: two terminals a day, compromised for 28 days
    let mut compromised: Vec<Vec<(f64, f64)>> = vec![Vec::new(); cfg.terminals];
    for day in 0..cfg.days {
        for _ in 0..2 {
            if cfg.terminals > 0 {
                let t = rng.random_range(0..cfg.terminals);
                compromised[t].push((day as f64 * DAY, (day + 28) as f64 * DAY));
            }
        }
    }
    for p in payments.iter_mut().flatten() {
        if p.fraud.is_none()
            && compromised[p.terminal]
                .iter()
                .any(|&(a, b)| (a..b).contains(&p.t))
        {
            p.fraud = Some(FraudScenario::CompromisedTerminal);
        }
    }
    // scenario 3: three customers a day, for 14 days a third of their payments × 5
    for day in 0..cfg.days {
        for _ in 0..3 {
            if cfg.customers == 0 {
                break;
            }
            let c = rng.random_range(0..cfg.customers);
            let (from, to) = (day as f64 * DAY, (day + 14) as f64 * DAY);
            for p in payments[c].iter_mut() {
                if (from..to).contains(&p.t) && p.fraud.is_none() && rng.random_bool(1.0 / 3.0) {
                    p.amount = (p.amount * 5.0 * 100.0).round() / 100.0;
                    p.fraud = Some(FraudScenario::LeakedCard);
                }
            }
        }
    }
    Simulation {
        customers,
        terminals,
        payments,
    }
}

impl Simulation {
    /// Every simulated payment's fraud scenario (`None`: genuine), for counts.
    pub fn frauds(&self) -> impl Iterator<Item = Option<FraudScenario>> + '_ {
        self.payments.iter().flatten().map(|p| p.fraud)
    }

    /// Cut the payments into sessions (see the module documentation).
    pub fn sessions(&self, cfg: TransactionsConfig) -> Vec<Session> {
        let mut rng = SmallRng::seed_from_u64(cfg.seed ^ 0x5e55_10f5);
        let burn_in = cfg.history_days as f64 * DAY;
        let eligible = |p: &&Payment| p.t >= burn_in;
        let (frauds, genuine) =
            self.payments
                .iter()
                .flatten()
                .filter(eligible)
                .fold((0usize, 0usize), |(f, g), p| {
                    if p.fraud.is_some() {
                        (f + 1, g)
                    } else {
                        (f, g + 1)
                    }
                });
        let want_frauds = (cfg.sessions as f64 * cfg.fraud_rate.clamp(0.0, 1.0)).min(frauds as f64);
        let keep_fraud = want_frauds / frauds.max(1) as f64;
        let keep_genuine =
            ((cfg.sessions as f64 - want_frauds) / genuine.max(1) as f64).clamp(0.0, 1.0);
        let mut sessions = Vec::new();
        for (c, (customer, payments)) in self.customers.iter().zip(&self.payments).enumerate() {
            let card = if customer.mean_amount > 70.0 {
                "gold"
            } else if customer.per_day > 3.0 {
                "debit"
            } else {
                "classic"
            };
            let mut first = 0;
            for (i, p) in payments.iter().enumerate() {
                while payments[first].t < p.t - burn_in {
                    first += 1;
                }
                let keep = if p.fraud.is_some() {
                    keep_fraud
                } else {
                    keep_genuine
                };
                if p.t < burn_in || !rng.random_bool(keep) {
                    continue;
                }
                let events = payments[first..=i]
                    .iter()
                    .map(|q| {
                        let (tx, ty) = self.terminals[q.terminal];
                        Event {
                            ts: cfg.start_unix + q.t,
                            values: FieldValues {
                                categorical: Box::new([
                                    Some(format_compact!("T{:05}", q.terminal)),
                                    Some(city(tx, ty)),
                                ]),
                                numeric: Box::new([Some(q.amount)]),
                                text: Box::default(),
                            },
                            planted: q.fraud.is_some(),
                        }
                    })
                    .collect();
                sessions.push(Session {
                    entity: Some(format!("c{c:05}")),
                    id: format!("c{c:05}-{i:05}"),
                    label: Some(p.fraud.is_some()),
                    profile: FieldValues {
                        categorical: Box::new([
                            Some(card.into()),
                            Some(city(customer.x, customer.y)),
                        ]),
                        numeric: Box::default(),
                        text: Box::default(),
                    },
                    events,
                });
            }
        }
        // in time order, as a processor's export would list them
        sessions.sort_by(|a, b| {
            let last = |s: &Session| s.events.last().map_or(0.0, |e| e.ts);
            last(a).total_cmp(&last(b)).then_with(|| a.id.cmp(&b.id))
        });
        sessions
    }
}

/// Simulate and cut into sessions.
pub fn generate_transactions(cfg: TransactionsConfig) -> Vec<Session> {
    simulate(cfg).sessions(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> TransactionsConfig {
        TransactionsConfig {
            customers: 300,
            terminals: 600,
            days: 60,
            history_days: 10,
            sessions: 3_000,
            ..TransactionsConfig::default()
        }
    }

    /// The three scenarios as the handbook defines them: every payment above 220 is fraud and
    /// every fraud is one of the three; leaked cards' payments are five times an amount.
    #[test]
    fn fraud_follows_the_handbook_s_scenarios() {
        let sim = simulate(small());
        let all: Vec<&Payment> = sim.payments.iter().flatten().collect();
        assert!(all.len() > 5_000, "{}", all.len());
        for p in &all {
            if p.amount > LARGE_AMOUNT {
                assert!(p.fraud.is_some(), "{p:?}");
            }
            assert!(
                p.amount >= 0.0 && (p.amount * 100.0 - (p.amount * 100.0).round()).abs() < 1e-6
            );
        }
        let count = |s: FraudScenario| sim.frauds().filter(|&f| f == Some(s)).count();
        assert!(count(FraudScenario::LargeAmount) > 0);
        assert!(count(FraudScenario::CompromisedTerminal) > 0);
        assert!(count(FraudScenario::LeakedCard) > 0);
        // every customer pays only within the radius of home
        for (c, ps) in sim.customers.iter().zip(&sim.payments) {
            for p in ps {
                let (x, y) = sim.terminals[p.terminal];
                assert!((x - c.x).hypot(y - c.y) < 5.0);
            }
        }
    }

    /// Sessions: the label is the current payment's, the history is the card's last
    /// `history_days`, ids are unique, and the same seed gives the same data.
    #[test]
    fn sessions_are_cards_histories_before_a_payment() {
        let cfg = small();
        let a = generate_transactions(cfg);
        assert_eq!(a, generate_transactions(cfg));
        assert!(a.len() > 1_000, "{}", a.len());
        let mut ids: Vec<&str> = a.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), a.len());
        let schema =
            crate::schema::Schema::from_toml(crate::schema::TRANSACTIONS_SCHEMA_TOML).unwrap();
        crate::synth::assert_round_trips(&schema, a.iter().take(200));
        for s in &a {
            let last = s.events.last().unwrap();
            assert_eq!(s.label, Some(last.planted));
            assert!(last.ts - s.events[0].ts <= cfg.history_days as f64 * DAY);
            assert!(last.ts >= cfg.start_unix + cfg.history_days as f64 * DAY);
        }
        let frauds = a.iter().filter(|s| s.label == Some(true)).count();
        assert!(
            frauds > 0 && frauds < a.len() / 2,
            "{frauds} of {}",
            a.len()
        );
    }
}

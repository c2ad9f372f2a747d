//! The synthetic payments scenario (LBSF's setting, §III): each user's payments over the six
//! months before a consumer loan, hundreds to thousands of them across dozens of merchants with
//! names and descriptions; the label says whether the user defaulted.
//!
//! Users spend at merchants of their favourite kinds (groceries, transport, restaurants, online
//! shops, bills, …) at their own pace. Four strains are planted, each tied to a merchant kind
//! and a change over time, as in the paper's case studies (§VI-C); their payments carry
//! `planted = true`:
//!
//! - **gambling rise**: payments at a betting merchant, ever more frequent towards the end;
//! - **cash-advance spiral**: a payday-loan app, first used in the last two months, then often;
//! - **tipping surge** (the paper's Bob): tips to live streamers, from none to many a week;
//! - **downgrade** (the paper's Alice): fine dining stops half-way; a buy-now-pay-later app and
//!   convenience stores take over.
//!
//! The same merchant kinds also appear in users without a strain, at a steady pace and with as
//! many payments, so the kind alone does not give a strain away: its change over time does.
//! Field order follows `schema/payments.toml`. Timestamps are UTC.

use super::weighted;
use crate::schema::{Event, FieldValues, Session};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal};

/// Settings of the payments scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaymentsConfig {
    /// Users.
    pub users: usize,
    /// Seed.
    pub seed: u64,
    /// Median payments per user (log-normal, clamped to 100 … 5,000).
    pub median_payments: f64,
    /// Unix time of the end of every user's history (the loan application).
    pub end_unix: f64,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        Self {
            users: 4_000,
            seed: 42,
            median_payments: 300.0,
            end_unix: 1_795_478_400.0, // 2026-11-24T00:00:00Z
        }
    }
}

/// Days of history per user.
const DAYS: f64 = 180.0;

/// A kind of merchant: brand names, branch suffixes, descriptions, median amount, and the
/// hours its payments happen in.
struct Kind {
    name: &'static str,
    brands: &'static [&'static str],
    branches: &'static [&'static str],
    descriptions: &'static [&'static str],
    median_amount: f64,
    hours: (u32, u32),
}

const BRANCHES: &[&str] = &["Central", "North", "East", "Riverside", "Plaza", "Station"];
const ONLINE: &[&str] = &[""];

const KINDS: &[Kind] = &[
    Kind {
        name: "grocery",
        brands: &[
            "FreshMart",
            "Green Basket",
            "DailyFoods",
            "Harvest Market",
            "ValueMart",
        ],
        branches: BRANCHES,
        descriptions: &["groceries", "weekly shop", "fresh produce"],
        median_amount: 45.0,
        hours: (8, 21),
    },
    Kind {
        name: "transport",
        brands: &["Metro Transit", "CityBus", "RideNow", "Rail Express"],
        branches: ONLINE,
        descriptions: &["fare", "monthly pass", "ride"],
        median_amount: 4.0,
        hours: (6, 23),
    },
    Kind {
        name: "restaurant",
        brands: &[
            "Noodle House",
            "Burger Barn",
            "Taco Town",
            "Pho Corner",
            "Pizza Planet",
        ],
        branches: BRANCHES,
        descriptions: &["lunch", "dinner", "takeaway"],
        median_amount: 18.0,
        hours: (11, 22),
    },
    Kind {
        name: "online_shop",
        brands: &["ShopOnline", "MegaMall Online", "BuyNow", "DealZone"],
        branches: ONLINE,
        descriptions: &["order", "electronics", "clothing", "home goods"],
        median_amount: 60.0,
        hours: (0, 24),
    },
    Kind {
        name: "bills",
        brands: &[
            "PowerGrid Energy",
            "AquaCity Water",
            "FiberNet",
            "MobileOne Telecom",
        ],
        branches: ONLINE,
        descriptions: &["monthly bill", "top-up"],
        median_amount: 50.0,
        hours: (0, 24),
    },
    Kind {
        name: "food_delivery",
        brands: &["FoodDash", "EatsExpress", "MealGo"],
        branches: ONLINE,
        descriptions: &["delivery order", "late-night snack"],
        median_amount: 22.0,
        hours: (11, 24),
    },
    Kind {
        name: "coffee",
        brands: &["Bean There", "Daily Grind", "Brew Lab"],
        branches: BRANCHES,
        descriptions: &["coffee", "pastry"],
        median_amount: 5.0,
        hours: (7, 17),
    },
    Kind {
        name: "travel",
        brands: &["SkyWays Airlines", "TrainTix", "StayInn Hotels"],
        branches: ONLINE,
        descriptions: &["flight ticket", "train ticket", "hotel booking"],
        median_amount: 180.0,
        hours: (0, 24),
    },
    Kind {
        name: "fine_dining",
        brands: &[
            "Le Jardin",
            "The Golden Fork",
            "Maison Blanc",
            "Sakura Omakase",
        ],
        branches: ONLINE,
        descriptions: &["dinner", "tasting menu"],
        median_amount: 160.0,
        hours: (18, 23),
    },
    Kind {
        name: "convenience",
        brands: &["QuickStop", "EasyShop", "Kwik Corner"],
        branches: BRANCHES,
        descriptions: &["snacks", "essentials", "quick meal"],
        median_amount: 9.0,
        hours: (0, 24),
    },
    Kind {
        name: "gambling",
        brands: &[
            "Lucky Star Casino",
            "BetKing",
            "Jackpot Palace",
            "Royal Spins",
        ],
        branches: ONLINE,
        descriptions: &["bet", "casino chips", "spin credits"],
        median_amount: 40.0,
        hours: (18, 24),
    },
    Kind {
        name: "cash_advance",
        brands: &["QuickCash Advance", "PayDay Now", "CashFast Loans"],
        branches: ONLINE,
        descriptions: &["cash advance", "advance fee", "repayment"],
        median_amount: 120.0,
        hours: (8, 22),
    },
    Kind {
        name: "live_tipping",
        brands: &["StreamStar Tips", "LiveGlow", "TipJar Live"],
        branches: ONLINE,
        descriptions: &["tip", "gift to streamer"],
        median_amount: 15.0,
        hours: (19, 24),
    },
    Kind {
        name: "bnpl",
        brands: &["EasyCredit Pay", "BuyLater", "FlexiPay"],
        branches: ONLINE,
        descriptions: &["instalment", "pay later purchase"],
        median_amount: 70.0,
        hours: (0, 24),
    },
];

/// Indices into [`KINDS`] of the everyday kinds every user draws favourites from.
const EVERYDAY: std::ops::Range<usize> = 0..10;
const FINE_DINING: usize = 8;
const CONVENIENCE: usize = 9;
const GAMBLING: usize = 10;
const CASH_ADVANCE: usize = 11;
const LIVE_TIPPING: usize = 12;
const BNPL: usize = 13;

/// The planted strains (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strain {
    GamblingRise,
    CashAdvance,
    TippingSurge,
    Downgrade,
}

const STRAINS: [(Strain, f64); 4] = [
    (Strain::GamblingRise, 0.06),
    (Strain::CashAdvance, 0.06),
    (Strain::TippingSurge, 0.05),
    (Strain::Downgrade, 0.05),
];

/// Risk logit: intercept, weight of each strain, noise.
const BASE_RISK: f64 = -4.0;
const STRAIN_RISK: f64 = 3.5;
const RISK_NOISE: f64 = 0.5;

struct Gen {
    rng: SmallRng,
    cfg: PaymentsConfig,
}

impl Gen {
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        LogNormal::new(median.ln(), sigma)
            .map(|d| d.sample(&mut self.rng))
            .unwrap_or(median)
    }

    /// A merchant name of `kind`.
    fn merchant(&mut self, kind: usize) -> String {
        let k = &KINDS[kind];
        let brand = k.brands.choose(&mut self.rng).copied().unwrap_or(k.name);
        match k.branches.choose(&mut self.rng).copied() {
            Some(b) if !b.is_empty() => format!("{brand} {b}"),
            _ => brand.to_string(),
        }
    }

    /// A payment at `merchant` of `kind` on day `day` (0 = first day of the history).
    fn payment(&mut self, kind: usize, merchant: &str, day: f64, planted: bool) -> Event {
        let k = &KINDS[kind];
        let (from, to) = k.hours;
        let hour = self.rng.random_range(from..to) as f64;
        let day_start = self.cfg.end_unix - DAYS * 86_400.0 + day.floor() * 86_400.0;
        let ts = day_start + hour * 3600.0 + self.rng.random_range(0.0..3600.0f64).floor();
        let amount = (self.lognormal(k.median_amount, 0.6) * 100.0).round() / 100.0;
        let description = k
            .descriptions
            .choose(&mut self.rng)
            .copied()
            .unwrap_or("payment");
        Event {
            ts,
            values: FieldValues {
                categorical: Box::new([Some(merchant.into()), Some(description.into())]),
                numeric: Box::new([Some(amount)]),
                text: Box::default(),
            },
            planted,
        }
    }

    /// `n` days in `[from, to)` whose density grows like `x^power` towards `to` (power 0:
    /// uniform).
    fn days(&mut self, n: usize, from: f64, to: f64, power: f64) -> Vec<f64> {
        (0..n)
            .map(|_| {
                let u: f64 = self.rng.random();
                from + (to - from) * u.powf(1.0 / (power + 1.0))
            })
            .collect()
    }

    fn user(&mut self, i: usize) -> Session {
        let strains: Vec<Strain> = STRAINS
            .iter()
            .filter(|(_, p)| self.rng.random::<f64>() < *p)
            .map(|(s, _)| *s)
            .collect();
        let total = self
            .lognormal(self.cfg.median_payments, 0.7)
            .clamp(100.0, 5_000.0) as usize;
        let mut events = Vec::with_capacity(total + 200);
        // everyday kinds: 4–8 favourites with their own weights, 1–4 merchants each
        let mut everyday: Vec<usize> = EVERYDAY
            .filter(|&k| k != FINE_DINING || !strains.contains(&Strain::Downgrade))
            .collect();
        everyday.sort_by_key(|_| self.rng.random::<u32>());
        everyday.truncate(self.rng.random_range(4..=8));
        let mut merchants: Vec<(usize, String, f64)> = Vec::new();
        for &k in &everyday {
            let weight = self.lognormal(1.0, 0.8);
            for _ in 0..self.rng.random_range(1..=4) {
                let name = self.merchant(k);
                merchants.push((k, name, weight * self.lognormal(1.0, 0.5)));
            }
        }
        let table: Vec<(usize, f64)> = merchants
            .iter()
            .enumerate()
            .map(|(j, m)| (j, m.2))
            .collect();
        for day in self.days(total, 0.0, DAYS, 0.0) {
            let j = *weighted(&mut self.rng, &table);
            let (k, name) = (merchants[j].0, merchants[j].1.clone());
            events.push(self.payment(k, &name, day, false));
        }
        // risky kinds: a steady habit for some users without the strain, a change over time
        // for those with it; both with the same number of payments
        let habits = [
            (GAMBLING, Strain::GamblingRise, 0.10),
            (CASH_ADVANCE, Strain::CashAdvance, 0.08),
            (LIVE_TIPPING, Strain::TippingSurge, 0.08),
        ];
        for (kind, strain, steady_share) in habits {
            let planted = strains.contains(&strain);
            if !planted && self.rng.random::<f64>() >= steady_share {
                continue;
            }
            let n = self.rng.random_range(15..=60);
            let name = self.merchant(kind);
            let days = if planted {
                match strain {
                    Strain::GamblingRise => self.days(n, 0.0, DAYS, 4.0),
                    _ => self.days(n, DAYS - 60.0, DAYS, 2.0),
                }
            } else {
                self.days(n, 0.0, DAYS, 0.0)
            };
            for day in days {
                events.push(self.payment(kind, &name, day, planted));
            }
        }
        // fine dining: the downgrade stops it half-way and turns to BNPL and convenience
        let dining = strains.contains(&Strain::Downgrade);
        if dining || self.rng.random::<f64>() < 0.15 {
            let name = self.merchant(FINE_DINING);
            let n = self.rng.random_range(8..=20);
            let until = if dining { DAYS / 2.0 } else { DAYS };
            for day in self.days(n, 0.0, until, 0.0) {
                events.push(self.payment(FINE_DINING, &name, day, dining));
            }
        }
        if dining || self.rng.random::<f64>() < 0.10 {
            let (bnpl, shop) = (self.merchant(BNPL), self.merchant(CONVENIENCE));
            let n = self.rng.random_range(15..=40);
            let (from, power) = if dining {
                (DAYS / 2.0, 1.0)
            } else {
                (0.0, 0.0)
            };
            for day in self.days(n, from, DAYS, power) {
                let (kind, name) = if self.rng.random::<bool>() {
                    (BNPL, &bnpl)
                } else {
                    (CONVENIENCE, &shop)
                };
                events.push(self.payment(kind, name, day, dining));
            }
        }
        Event::sort_chronologically(&mut events);
        let noise = Normal::new(0.0, RISK_NOISE)
            .map(|d| d.sample(&mut self.rng))
            .unwrap_or(0.0);
        let logit = BASE_RISK + STRAIN_RISK * strains.len() as f64 + noise;
        let label = self.rng.random::<f64>() < 1.0 / (1.0 + (-logit).exp());
        Session {
            entity: None,
            id: format!("p{i:06}"),
            label: Some(label),
            profile: FieldValues::default(),
            events,
        }
    }
}

/// Generate the scenario.
pub fn generate_payments(cfg: PaymentsConfig) -> Vec<Session> {
    let mut g = Gen {
        rng: SmallRng::seed_from_u64(cfg.seed),
        cfg,
    };
    (0..cfg.users).map(|i| g.user(i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;

    #[test]
    fn scenario_is_seeded_long_and_valid() {
        let cfg = PaymentsConfig {
            users: 400,
            ..Default::default()
        };
        let users = generate_payments(cfg);
        assert_eq!(users, generate_payments(cfg));
        let rate = users.iter().filter(|s| s.label == Some(true)).count() as f64 / 400.0;
        assert!((0.04..0.2).contains(&rate), "{rate}");
        let schema = Schema::payments_default();
        let lengths: Vec<usize> = users.iter().map(|u| u.events.len()).collect();
        assert!(lengths.iter().all(|&n| n >= 100), "{lengths:?}");
        assert!(lengths.iter().any(|&n| n >= 1000), "{lengths:?}");
        crate::synth::assert_round_trips(&schema, users.iter().take(20));
        for s in users.iter().take(20) {
            assert!(s.events.iter().all(|e| e.ts < cfg.end_unix));
        }
        // planted payments sit at merchants of the risky kinds, and defaulters have more
        let planted: Vec<&Session> = users
            .iter()
            .filter(|u| u.events.iter().any(|e| e.planted))
            .collect();
        assert!(!planted.is_empty());
        let positive_share = |group: &[&Session]| {
            group.iter().filter(|u| u.label == Some(true)).count() as f64 / group.len() as f64
        };
        let clean: Vec<&Session> = users.iter().filter(|u| !planted.contains(u)).collect();
        assert!(positive_share(&planted) > 3.0 * positive_share(&clean));
    }
}

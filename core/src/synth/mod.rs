//! Seeded synthetic sessions of a shopping / banking app with planted fraud patterns.
//!
//! Legitimate users log in (almost always from a known device), browse, search, fill carts and
//! pay at a few favourite merchants; some change passwords, add payees, switch phones or buy
//! something expensive, so no single event gives fraud away. Three fraud patterns are planted
//! (their events carry `planted = true`):
//!
//! - **account takeover**: login from a new device (often abroad, often at night) → password
//!   change → new payee → a large payment, all within minutes;
//! - **card testing**: a burst of tiny payments across many merchants, seconds apart, many
//!   declined;
//! - **scripted bot**: a session whose events come at near-constant gaps with near-constant
//!   dwell times, cycling through the same pages.
//!
//! Field order follows `schema/synthetic.toml`.

pub mod credit;
pub mod payments;
pub mod transactions;

use crate::schema::{Category, Event, FieldValues, Schema, Session, session_to_json};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

/// Which pattern a session was generated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// A legitimate session.
    Legit,
    /// Account takeover.
    AccountTakeover,
    /// Card testing.
    CardTesting,
    /// Scripted bot.
    ScriptedBot,
}

impl Pattern {
    /// Every pattern, legitimate first.
    pub const ALL: [Pattern; 4] = [
        Pattern::Legit,
        Pattern::AccountTakeover,
        Pattern::CardTesting,
        Pattern::ScriptedBot,
    ];

    /// Name as written in the data (`pattern` key).
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Legit => "legit",
            Pattern::AccountTakeover => "account_takeover",
            Pattern::CardTesting => "card_testing",
            Pattern::ScriptedBot => "scripted_bot",
        }
    }
}

/// Generator settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthConfig {
    /// Number of sessions.
    pub sessions: usize,
    /// Share of fraudulent sessions (split 40/30/30 between takeover, card testing and bots).
    pub fraud_rate: f64,
    /// Seed.
    pub seed: u64,
    /// Unix time of the start of the 30-day window the sessions fall in.
    pub start_unix: f64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self {
            sessions: 20_000,
            fraud_rate: 0.03,
            seed: 42,
            start_unix: 1_788_220_800.0, // 2026-09-01T00:00:00Z
        }
    }
}

/// A generated session with its pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticSession {
    /// The session (label set).
    pub session: Session,
    /// The pattern it was generated from.
    pub pattern: Pattern,
}

impl SyntheticSession {
    /// One JSONL line: the session plus a `pattern` key (ignored by the schema).
    pub fn to_json_line(&self, schema: &Schema) -> String {
        let mut v = session_to_json(&self.session, schema);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("pattern".into(), self.pattern.name().into());
        }
        v.to_string()
    }
}

/// (name, category, median amount)
const MERCHANTS: &[(&str, &str, f64)] = &[
    ("Fresh Grocer", "grocery", 45.0),
    ("Green Basket Market", "grocery", 60.0),
    ("Corner Foods", "grocery", 18.0),
    ("Blue Bottle Cafe", "restaurants", 9.0),
    ("Noodle House", "restaurants", 24.0),
    ("Pizza Piazza", "restaurants", 31.0),
    ("Urban Threads", "fashion", 70.0),
    ("Shoe Palace", "fashion", 95.0),
    ("MegaTech Store", "electronics", 240.0),
    ("Gadget Hub", "electronics", 120.0),
    ("GameCoins Online", "digital_goods", 15.0),
    ("Gift Card Express", "digital_goods", 50.0),
    ("AppStore Credits", "digital_goods", 10.0),
    ("SkyJet Airlines", "travel", 320.0),
    ("City Rides", "travel", 16.0),
    ("PowerGrid Energy", "utilities", 85.0),
    ("Telco Mobile", "utilities", 40.0),
    ("StreamFlix", "subscriptions", 13.0),
    ("MusicBox", "subscriptions", 10.0),
    ("Lucky Star Casino", "gambling", 60.0),
    ("BetNow Sports", "gambling", 30.0),
    ("QuickCash Advance", "cash_advance", 200.0),
];
const CARD_TEST_MERCHANTS: &[usize] = &[10, 11, 12, 17, 18, 14, 3];
const COUNTRIES: &[(&str, f64)] = &[
    ("US", 0.4),
    ("GB", 0.2),
    ("DE", 0.15),
    ("FR", 0.1),
    ("NL", 0.08),
    ("ES", 0.07),
];
const FOREIGN: &[&str] = &["RU", "NG", "BR", "VN", "CN", "RO"];
const BROWSE_PAGES: &[&str] = &[
    "home", "catalog", "product", "product", "product", "search", "deals",
];

/// Event under construction, in schema order.
struct Ev {
    ts: f64,
    event_type: &'static str,
    page: &'static str,
    device_status: &'static str,
    ip_country: String,
    merchant: Option<usize>,
    result: Option<&'static str>,
    amount: Option<f64>,
    dwell_ms: f64,
    description: Option<String>,
    planted: bool,
}

impl Ev {
    fn into_event(self) -> Event {
        let (merchant, category) = match self.merchant {
            Some(m) => (
                Some(MERCHANTS[m].0.to_string()),
                Some(MERCHANTS[m].1.to_string()),
            ),
            None => (None, None),
        };
        Event {
            ts: self.ts,
            values: FieldValues {
                categorical: Box::new([
                    Some(self.event_type.into()),
                    Some(self.page.into()),
                    Some(self.device_status.into()),
                    Some(self.ip_country.into()),
                    merchant.map(Category::from),
                    category.map(Category::from),
                    self.result.map(Category::from),
                ]),
                numeric: Box::new([
                    self.amount.map(|a| (a * 100.0).round() / 100.0),
                    Some(self.dwell_ms.round()),
                ]),
                text: Box::new([self.description]),
            },
            planted: self.planted,
        }
    }
}

struct User {
    country: &'static str,
    favourites: Vec<usize>,
    profile: FieldValues,
}

struct Gen {
    rng: SmallRng,
    cfg: SynthConfig,
}

fn weighted<'a, T>(rng: &mut SmallRng, items: &'a [(T, f64)]) -> &'a T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

impl Gen {
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        LogNormal::new(median.ln(), sigma)
            .map(|d| d.sample(&mut self.rng))
            .unwrap_or(median)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    fn user(&mut self) -> User {
        let country = *weighted(&mut self.rng, COUNTRIES);
        let kyc = *weighted(
            &mut self.rng,
            &[("basic", 0.3), ("verified", 0.55), ("premium", 0.15)],
        );
        let channel = *weighted(
            &mut self.rng,
            &[
                ("organic", 0.5),
                ("referral", 0.2),
                ("ads", 0.25),
                ("partner", 0.05),
            ],
        );
        let age_days = (self.lognormal(420.0, 1.1)).min(4000.0).round();
        let limit_median = match kyc {
            "basic" => 800.0,
            "verified" => 2500.0,
            _ => 8000.0,
        };
        let limit = (self.lognormal(limit_median, 0.4) / 100.0).round() * 100.0;
        let n_fav = self.rng.random_range(3..7);
        let everyday: Vec<usize> = (0..19).collect();
        let favourites = everyday
            .choose_multiple(&mut self.rng, n_fav)
            .copied()
            .collect();
        User {
            country,
            favourites,
            profile: FieldValues {
                categorical: Box::new([
                    Some(kyc.into()),
                    Some(country.into()),
                    Some(channel.into()),
                ]),
                numeric: Box::new([Some(age_days), Some(limit)]),
                text: Box::default(),
            },
        }
    }

    /// Session start: a day in the window, an hour from a daytime-heavy (or night-heavy) profile.
    fn start(&mut self, night: bool) -> f64 {
        let day = self.rng.random_range(0..30) as f64;
        let hour = if night && self.chance(0.6) {
            self.rng.random_range(0..6) as f64
        } else {
            *weighted(
                &mut self.rng,
                &[
                    (7.0, 1.0),
                    (9.0, 2.0),
                    (12.0, 3.0),
                    (15.0, 2.0),
                    (18.0, 3.0),
                    (20.0, 4.0),
                    (22.0, 2.0),
                    (1.0, 0.4),
                ],
            ) + self.rng.random::<f64>() * 2.0
        };
        self.cfg.start_unix + day * 86_400.0 + hour * 3600.0 + self.rng.random::<f64>() * 3600.0
    }
}

impl Ev {
    fn new(
        ts: f64,
        event_type: &'static str,
        page: &'static str,
        country: &str,
        dwell_ms: f64,
    ) -> Ev {
        Ev {
            ts,
            event_type,
            page,
            device_status: "known",
            ip_country: country.to_string(),
            merchant: None,
            result: None,
            amount: None,
            dwell_ms,
            description: None,
            planted: false,
        }
    }
}

impl Gen {
    fn payment(
        &mut self,
        ts: f64,
        merchant: usize,
        amount: f64,
        country: &str,
        dwell_ms: f64,
    ) -> Ev {
        let mut e = Ev::new(ts, "payment", "checkout", country, dwell_ms);
        e.merchant = Some(merchant);
        e.amount = Some(amount);
        e.result = Some(if self.chance(0.03) {
            "failure"
        } else {
            "success"
        });
        let order = self.rng.random_range(10_000..99_999);
        e.description = Some(format!("{} order #{order}", MERCHANTS[merchant].0));
        e
    }

    /// A stretch of ordinary activity: browsing, searching, carts and payments at favourites.
    fn browse(&mut self, user: &User, mut ts: f64, steps: usize, events: &mut Vec<Ev>) -> f64 {
        for _ in 0..steps {
            let dwell = self.lognormal(7000.0, 0.9);
            let r = self.rng.random::<f64>();
            let e = if r < 0.12 {
                let m = *user.favourites.choose(&mut self.rng).unwrap_or(&0);
                let big = self.chance(0.05);
                let amount = self.lognormal(MERCHANTS[m].2, 0.5) * if big { 8.0 } else { 1.0 };
                let dwell = self.lognormal(20_000.0, 0.5);
                self.payment(ts, m, amount, user.country, dwell)
            } else if r < 0.22 {
                Ev::new(ts, "add_to_cart", "product", user.country, dwell)
            } else if r < 0.30 {
                Ev::new(ts, "search", "search", user.country, dwell)
            } else if r < 0.305 {
                Ev::new(ts, "profile_update", "account", user.country, dwell)
            } else if r < 0.31 {
                Ev::new(ts, "card_add", "wallet", user.country, dwell)
            } else {
                let page = *BROWSE_PAGES.choose(&mut self.rng).unwrap_or(&"home");
                Ev::new(ts, "page_view", page, user.country, dwell)
            };
            events.push(e);
            ts += dwell / 1000.0 + self.lognormal(1.5, 0.8);
        }
        ts
    }

    fn login(&mut self, ts: f64, new_device: bool, country: &str) -> Ev {
        let dwell = self.lognormal(4000.0, 0.5);
        let mut e = Ev::new(ts, "login", "login", country, dwell);
        e.device_status = if new_device { "new" } else { "known" };
        e.result = Some("success");
        e
    }

    fn legit(&mut self, user: &User) -> Vec<Ev> {
        let mut ts = self.start(false);
        let mut events = Vec::new();
        let new_phone = self.chance(0.04);
        if self.chance(0.03) {
            let mut fail = self.login(ts, new_phone, user.country);
            fail.result = Some("failure");
            events.push(fail);
            ts += self.lognormal(15.0, 0.5);
        }
        events.push(self.login(ts, new_phone, user.country));
        ts += self.lognormal(5.0, 0.5);
        // the risky-looking things real users also do
        if self.chance(if new_phone { 0.3 } else { 0.015 }) {
            let dwell = self.lognormal(25_000.0, 0.4);
            events.push(Ev::new(
                ts,
                "password_change",
                "security",
                user.country,
                dwell,
            ));
            ts += self.lognormal(30.0, 0.6);
        }
        let steps = self.rng.random_range(2..35);
        ts = self.browse(user, ts, steps, &mut events);
        if self.chance(0.03) {
            let dwell = self.lognormal(40_000.0, 0.4);
            events.push(Ev::new(ts, "add_payee", "payees", user.country, dwell));
            ts += self.lognormal(60.0, 0.6);
            let m = *user.favourites.choose(&mut self.rng).unwrap_or(&0);
            let amount = self.lognormal(150.0, 0.8);
            events.push(self.payment(ts, m, amount, user.country, 25_000.0));
            ts += 30.0;
        }
        if self.chance(0.005) {
            // a real user who moved phones, reset the password and paid a new landlord
            let dwell = self.lognormal(30_000.0, 0.4);
            events.push(Ev::new(ts, "add_payee", "payees", user.country, dwell));
            ts += self.lognormal(90.0, 0.6);
            let amount = self.rng.random_range(400.0..2500.0);
            let mut p = self.payment(ts, 8, amount, user.country, 30_000.0);
            p.description = Some("Rent transfer".into());
            events.push(p);
            ts += 40.0;
        }
        if self.chance(0.02) {
            // a few small in-app purchases in a row
            for _ in 0..self.rng.random_range(1..6) {
                let amount = self.lognormal(2.0, 0.4);
                let dwell = self.lognormal(5000.0, 0.5);
                let m = *[10usize, 12].choose(&mut self.rng).unwrap_or(&12);
                events.push(self.payment(ts, m, amount, user.country, dwell));
                ts += self.lognormal(25.0, 0.7);
            }
        }
        if self.chance(0.6) {
            events.push(Ev::new(ts, "logout", "home", user.country, 500.0));
        }
        events
    }

    fn account_takeover(&mut self, user: &User) -> Vec<Ev> {
        let mut ts = self.start(true);
        let country = if self.chance(0.6) {
            (*FOREIGN.choose(&mut self.rng).unwrap_or(&"RU")).to_string()
        } else {
            user.country.to_string()
        };
        let mut events = Vec::new();
        // a spoofed device fingerprint passes as known one time in five
        let spoofed = self.chance(0.2);
        let mut login = self.login(ts, !spoofed, &country);
        login.planted = true;
        events.push(login);
        ts += self.lognormal(8.0, 0.5);
        // the intruder looks around the account between the steps of the takeover
        let step = |g: &mut Gen, ts: &mut f64, events: &mut Vec<Ev>| {
            for _ in 0..g.rng.random_range(1..6) {
                let page = *[
                    "account", "security", "home", "payees", "catalog", "product", "wallet",
                ]
                .choose(&mut g.rng)
                .unwrap_or(&"home");
                let dwell = g.lognormal(2500.0, 0.6);
                events.push(Ev::new(*ts, "page_view", page, &country, dwell));
                *ts += dwell / 1000.0 + g.lognormal(1.0, 0.5);
            }
        };
        for (kind, page, dwell_median, gap_median) in [
            ("password_change", "security", 9000.0, 20.0),
            ("add_payee", "payees", 12_000.0, 25.0),
        ] {
            step(self, &mut ts, &mut events);
            let dwell = self.lognormal(dwell_median, 0.4);
            let mut e = Ev::new(ts, kind, page, &country, dwell);
            e.planted = true;
            events.push(e);
            ts += self.lognormal(gap_median, 0.6);
        }
        step(self, &mut ts, &mut events);
        let m = *[8usize, 9, 11, 21].choose(&mut self.rng).unwrap_or(&8);
        let amount = self.rng.random_range(300.0..5000.0);
        let dwell = self.lognormal(9000.0, 0.4);
        let mut pay = self.payment(ts, m, amount, &country, dwell);
        pay.description = Some("Transfer to new payee".into());
        pay.planted = true;
        events.push(pay);
        ts += self.lognormal(10.0, 0.5);
        if self.chance(0.3) {
            events.push(Ev::new(ts, "logout", "home", &country, 300.0));
        }
        events
    }

    fn card_testing(&mut self, user: &User) -> Vec<Ev> {
        let mut ts = self.start(true);
        let new_device = self.chance(0.5);
        let mut events = vec![self.login(ts, new_device, user.country)];
        ts += self.lognormal(5.0, 0.5);
        let pre = self.rng.random_range(2..16);
        ts = self.browse(user, ts, pre, &mut events);
        for _ in 0..self.rng.random_range(4..12) {
            let m = *CARD_TEST_MERCHANTS.choose(&mut self.rng).unwrap_or(&10);
            let amount = self.rng.random_range(0.5..3.0);
            let dwell = self.rng.random_range(300.0..1500.0);
            let mut p = self.payment(ts, m, amount, user.country, dwell);
            p.result = Some(if self.chance(0.5) {
                "failure"
            } else {
                "success"
            });
            p.planted = true;
            events.push(p);
            ts += self.rng.random_range(2.0..15.0);
        }
        events
    }

    fn scripted_bot(&mut self, user: &User) -> Vec<Ev> {
        let mut ts = self.start(true);
        let period = self.rng.random_range(1.5..4.0);
        let dwell = period * 1000.0 * 0.8;
        let cycle: &[(&str, &str)] = if self.chance(0.5) {
            &[
                ("page_view", "catalog"),
                ("page_view", "product"),
                ("add_to_cart", "product"),
            ]
        } else {
            &[
                ("search", "search"),
                ("page_view", "product"),
                ("page_view", "deals"),
            ]
        };
        let new_device = self.chance(0.3);
        let mut events = vec![self.login(ts, new_device, user.country)];
        ts += self.lognormal(5.0, 0.5);
        let human = self.rng.random_range(0..12);
        ts = self.browse(user, ts, human, &mut events);
        for i in 0..self.rng.random_range(8..30) {
            ts += period * (1.0 + self.rng.random_range(-0.02..0.02));
            let (t, page) = cycle[i % cycle.len()];
            let mut e = Ev::new(
                ts,
                t,
                page,
                user.country,
                dwell * (1.0 + self.rng.random_range(-0.02..0.02)),
            );
            e.planted = true;
            events.push(e);
        }
        if self.chance(0.5) {
            ts += period;
            let amount = 50.0 * self.rng.random_range(1..5) as f64;
            let mut p = self.payment(ts, 11, amount, user.country, dwell);
            p.planted = true;
            events.push(p);
        }
        events
    }
}

/// [`generate`]'s sessions alone, without their patterns.
pub fn generate_sessions(cfg: SynthConfig) -> Vec<Session> {
    generate(cfg).into_iter().map(|s| s.session).collect()
}

/// Generate sessions.
pub fn generate(cfg: SynthConfig) -> Vec<SyntheticSession> {
    let mut g = Gen {
        rng: SmallRng::seed_from_u64(cfg.seed),
        cfg,
    };
    (0..cfg.sessions)
        .map(|i| {
            let user = g.user();
            let r = g.rng.random::<f64>();
            let f = cfg.fraud_rate;
            let pattern = if r < 0.4 * f {
                Pattern::AccountTakeover
            } else if r < 0.7 * f {
                Pattern::CardTesting
            } else if r < f {
                Pattern::ScriptedBot
            } else {
                Pattern::Legit
            };
            let events = match pattern {
                Pattern::Legit => g.legit(&user),
                Pattern::AccountTakeover => g.account_takeover(&user),
                Pattern::CardTesting => g.card_testing(&user),
                Pattern::ScriptedBot => g.scripted_bot(&user),
            };
            let mut events: Vec<Event> = events.into_iter().map(Ev::into_event).collect();
            Event::sort_chronologically(&mut events);
            SyntheticSession {
                session: Session {
                    entity: None,
                    id: format!("s{i:07}"),
                    label: Some(pattern != Pattern::Legit),
                    profile: user.profile,
                    events,
                },
                pattern,
            }
        })
        .collect()
}

/// What every scenario's sessions must do (the scenarios' tests share it): read back equal from
/// the schema's JSON, and keep their events in time order.
#[cfg(test)]
pub(crate) fn assert_round_trips<'a>(
    schema: &Schema,
    sessions: impl IntoIterator<Item = &'a Session>,
) {
    use crate::schema::session_from_json;
    for s in sessions {
        let back = session_from_json(
            &session_to_json(s, schema),
            schema,
            &crate::Location::new("t", 1),
        )
        .unwrap();
        assert_eq!(&back, s);
        assert!(s.events.windows(2).all(|w| w[0].ts <= w[1].ts), "{}", s.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;
    use crate::schema::{Limits, parse_session_json};

    #[test]
    fn seeded_realistic_rate_and_valid_against_schema() {
        let cfg = SynthConfig {
            sessions: 3000,
            ..Default::default()
        };
        let a = generate(cfg);
        assert_eq!(a, generate(cfg), "same seed, same data");
        let pos = a.iter().filter(|s| s.session.label == Some(true)).count();
        let rate = pos as f64 / a.len() as f64;
        assert!((0.01..=0.05).contains(&rate), "positive rate {rate}");
        let schema = Schema::synthetic_default();
        assert_round_trips(&schema, a.iter().take(200).map(|s| &s.session));
        for s in a.iter().take(200) {
            let line = s.to_json_line(&schema);
            let back = parse_session_json(
                &line,
                &schema,
                &Location::new("synth", 1),
                &Limits::default(),
            )
            .unwrap();
            assert_eq!(back.events.len(), s.session.events.len());
            let fraud = s.pattern != Pattern::Legit;
            assert_eq!(fraud, s.session.events.iter().any(|e| e.planted), "{line}");
        }
        for p in [
            Pattern::AccountTakeover,
            Pattern::CardTesting,
            Pattern::ScriptedBot,
        ] {
            assert!(a.iter().any(|s| s.pattern == p), "{p:?} missing");
        }
    }
}

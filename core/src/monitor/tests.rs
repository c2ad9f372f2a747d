use super::*;
use crate::error::Location;
use crate::schema::{Limits, Schema, parse_session_json};

const SCHEMA: &str = r#"
min_count = 2
[timestamp]
field = "ts"
[[event.categorical]]
name = "page"
[[event.numeric]]
name = "amount"
[[profile.categorical]]
name = "country"
"#;

fn schema() -> Schema {
    Schema::from_toml(SCHEMA).unwrap()
}

/// `n` sessions of two events: pages `home` (every session) and `p{i mod 3}`, amounts `i` and
/// `i + 100`, countries alternating, one in five without a country.
fn sessions(n: usize, amount_scale: f64, page: &str) -> Vec<Session> {
    let schema = schema();
    (0..n)
        .map(|i| {
            let country = if i % 5 == 0 {
                String::new()
            } else {
                format!(r#","profile":{{"country":"{}"}}"#, if i % 2 == 0 { "fr" } else { "de" })
            };
            let text = format!(
                r#"{{"id":"s{i}","events":[{{"ts":1,"page":"home","amount":{}}},{{"ts":2,"page":"{page}{}","amount":{}}}]{country}}}"#,
                i as f64 * amount_scale,
                i % 3,
                (i as f64 + 100.0) * amount_scale
            );
            parse_session_json(&text, &schema, &Location::new("t", i + 1), &Limits::default())
                .unwrap()
        })
        .collect()
}

fn fitted(train: &[Session]) -> (Encoder, Reference) {
    let refs: Vec<&Session> = train.iter().collect();
    let encoder = Encoder::fit(&schema(), &refs).unwrap();
    let scores: Vec<f64> = (0..train.len())
        .map(|i| i as f64 / train.len() as f64)
        .collect();
    let reference = Reference::fit(&encoder, &refs, &scores);
    (encoder, reference)
}

fn counted(encoder: &Encoder, reference: &Reference, new: &[Session], scores: &[f64]) -> Counts {
    let mut c = Counts::new(reference);
    for s in new {
        c.add_session(reference, encoder, s);
    }
    for &x in scores {
        c.add_score(reference, x);
    }
    c
}

/// `Σ (a − e)·ln(a/e)`: (0.25 − 0.5)·ln 0.5 + (0.75 − 0.5)·ln 1.5.
#[test]
fn psi_by_hand() {
    let want = -0.25 * 0.5f64.ln() + 0.25 * 1.5f64.ln();
    assert!((psi(&[0.5, 0.5], &[0.25, 0.75]) - want).abs() < 1e-12);
    assert_eq!(psi(&[0.3, 0.7], &[0.3, 0.7]), 0.0);
    // an empty bin counts at the floor: (1e-4 − 0.5)·ln(1e-4/0.5) + (1 − 0.5)·ln(1/0.5)
    let floor = (PSI_FLOOR - 0.5) * (PSI_FLOOR / 0.5).ln() + 0.5 * 2f64.ln();
    assert!((psi(&[0.5, 0.5], &[0.0, 1.0]) - floor).abs() < 1e-12);
}

#[test]
fn deciles_split_the_values_and_drop_repeats() {
    let v: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(
        deciles(v),
        [11.0, 21.0, 31.0, 41.0, 51.0, 61.0, 71.0, 81.0, 91.0]
    );
    // a value held by most: one edge, and none at the minimum
    let mut v = vec![0.0; 90];
    v.extend((1..=10).map(f64::from));
    assert_eq!(deciles(v), [1.0]);
}

/// The reference of 30 training sessions, by hand: 60 page values — `home` 30, `p0`, `p1`, `p2`
/// 10 each, all in the vocabulary (`min_count` 2); 30 profiles, 6 without a country.
#[test]
fn the_reference_holds_the_training_shares() {
    let train = sessions(30, 1.0, "p");
    let (_, r) = fitted(&train);
    let page = &r.fields[0];
    assert_eq!((page.name.as_str(), page.scope), ("page", Scope::Event));
    let Bins::Categorical { values, .. } = &page.bins else {
        panic!("{page:?}")
    };
    assert_eq!(values, &["home", "p0", "p1", "p2"]);
    // home, p0, p1, p2, other known, unseen, missing
    let third = 10.0 / 60.0;
    assert_eq!(page.expected, [0.5, third, third, third, 0.0, 0.0, 0.0]);
    let amount = &r.fields[1];
    assert_eq!(amount.bins.len(), 11, "9 edges, 10 bins and missing");
    assert!((amount.expected.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let country = &r.fields[2];
    assert_eq!(country.scope, Scope::Profile);
    assert_eq!(*country.expected.last().unwrap(), 6.0 / 30.0, "missing");
    assert_eq!(r.score.as_ref().unwrap().bins.len(), 11);
    r.check().unwrap();
}

#[test]
fn the_training_data_itself_is_stable() {
    let train = sessions(60, 1.0, "p");
    let (enc, r) = fitted(&train);
    let scores: Vec<f64> = (0..60).map(|i| f64::from(i) / 60.0).collect();
    let report = DriftReport::compute(
        &r,
        &counted(&enc, &r, &train, &scores),
        DriftLimits::default(),
    );
    assert_eq!(report.sessions, 60);
    for f in report.fields.iter().chain(&report.score) {
        assert_eq!(f.status, DriftStatus::Stable, "{f:?}");
        assert!(f.psi.unwrap() < 1e-12, "{f:?}");
    }
    assert!(report.flagged().is_empty());
}

/// Amounts ten times larger, pages never seen, no country at all: each field crosses the act
/// limit, and the report says how (unseen share 0 → ½, missing 20% → 100%).
#[test]
fn shifted_sessions_are_flagged() {
    let train = sessions(60, 1.0, "p");
    let (enc, r) = fitted(&train);
    let mut new = sessions(40, 10.0, "q");
    for s in &mut new {
        s.profile.categorical = vec![None].into_boxed_slice();
    }
    let report = DriftReport::compute(&r, &counted(&enc, &r, &new, &[]), DriftLimits::default());
    let by = |name: &str| report.fields.iter().find(|f| f.name == name).unwrap();
    assert_eq!(by("amount").status, DriftStatus::Act, "{:?}", by("amount"));
    let page = by("page");
    assert_eq!(page.status, DriftStatus::Act);
    assert_eq!(page.unseen, Some([0.0, 0.5]));
    assert_eq!(by("country").missing, [0.2, 1.0]);
    assert_eq!(by("country").status, DriftStatus::Act);
    // no score counted: nothing to compare
    assert_eq!(report.score.as_ref().unwrap().status, DriftStatus::Empty);
    let flagged: Vec<&str> = report.flagged().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(flagged.len(), 3, "{flagged:?}");
    // a milder limit pair: the same PSI, judged by it
    let lenient = DriftLimits {
        watch: 50.0,
        act: 100.0,
    };
    let report = DriftReport::compute(&r, &counted(&enc, &r, &new, &[]), lenient);
    assert!(report.flagged().is_empty());
}

#[test]
fn counts_merge_as_one() {
    let train = sessions(60, 1.0, "p");
    let (enc, r) = fitted(&train);
    let new = sessions(40, 2.0, "p");
    let scores = [0.1, 0.5, 0.9, 0.95];
    let mut halves = counted(&enc, &r, &new[..15], &scores[..1]);
    halves.merge(&counted(&enc, &r, &new[15..], &scores[1..]));
    assert_eq!(halves, counted(&enc, &r, &new, &scores));
    assert_eq!(halves.sessions, 40);
}

#[test]
fn a_corrupt_reference_is_refused() {
    let (_, mut r) = fitted(&sessions(30, 1.0, "p"));
    r.fields[0].expected.pop();
    assert!(r.check().unwrap_err().contains("`page`"));
    let (_, mut r) = fitted(&sessions(30, 1.0, "p"));
    if let Bins::Numeric { edges, .. } = &mut r.fields[1].bins {
        edges.swap(0, 1);
    }
    assert!(r.check().unwrap_err().contains("do not rise"));
}

//! The fold view of LBSF §IV-B: a user's payments (the events of a seqrisk session) grouped by
//! merchant, chronological inside each merchant; the top `max_merchants` merchants kept (by
//! payment count, then the most recent payment, then name, see [`MerchantFold`]), each with
//! its most recent `max_payments` payments.
//!
//! Per payment (§IV-C): the amount, normalised like the encoder's numeric field; the periodic
//! time embedding of Eq. (2) ([`periodic_time`]); the description's text tokens. Per merchant:
//! its name's text tokens. Payments without a merchant value are folded together under a
//! merchant with no name, so nothing is dropped silently. Building the view is one pass over
//! the payments plus a sort of the distinct merchants.
//!
//! The paper keeps every payment. So does an unset `max_payments`: the fitted encoder's is the
//! longest merchant history of the training sessions ([`longest_merchant_history`]).

use super::merchant_vectors::vector_row;
use super::text::text_token_ids;
use super::time::{TIME_FEATURES, periodic_time};
use super::{Encoder, NumericStats};
use crate::schema::{MAX_PAYMENTS, MerchantFold, Schema, Session};
use std::collections::HashMap;

/// Numeric inputs per payment: the normalised amount, then [`TIME_FEATURES`].
pub const PAYMENT_NUMERIC: usize = 1 + TIME_FEATURES;

/// How the payments view is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PaymentView {
    /// Folded by merchant (LBSF).
    Folded,
    /// Unfolded: the most recent `max_events` payments as one sequence under no merchant, each
    /// payment's text its merchant's name and its description together (the flat baselines
    /// that show what folding buys).
    Flat,
}

/// One kept merchant of a user.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldedMerchant {
    /// The merchant's name as given (`None` for payments without one).
    pub name: Option<String>,
    /// Text tokens of the name.
    pub name_tokens: Vec<i64>,
    /// Row of the name in the pretrained merchant vectors, 0 when it has none.
    pub vector_row: u32,
    /// The kept payments as indices into the session's events, oldest first.
    pub events: Vec<usize>,
    /// Per kept payment, [`PAYMENT_NUMERIC`] values.
    pub numeric: Vec<[f32; PAYMENT_NUMERIC]>,
    /// Per kept payment, its description as an index into [`FoldView::texts`] plus one (0: no
    /// description).
    pub description: Vec<u32>,
}

/// One user's payments folded by merchant, host side.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FoldView {
    /// The kept merchants, highest ranked first.
    pub merchants: Vec<FoldedMerchant>,
    /// The distinct description token lists of the kept payments.
    pub texts: Vec<Vec<i64>>,
}

/// Where a words field lives in an event.
#[derive(Debug, Clone, Copy)]
enum Words {
    Categorical(usize),
    Text(usize),
}

fn words_field(schema: &Schema, name: Option<&str>) -> Option<Words> {
    let name = name?;
    let e = &schema.event;
    e.categorical
        .iter()
        .position(|f| f.name == name)
        .map(Words::Categorical)
        .or_else(|| e.text.iter().position(|f| f.name == name).map(Words::Text))
}

fn words(session: &Session, i: usize, field: Option<Words>) -> Option<&str> {
    let v = &session.events[i].values;
    match field? {
        Words::Categorical(j) => v.categorical[j].as_deref(),
        Words::Text(j) => v.text[j].as_deref(),
    }
}

/// The most payments one merchant (payments without one counted together, as the view folds
/// them) has in one of `sessions`: what an unset `[merchants] max_payments` becomes when the
/// encoder is fitted, between 1 and [`MAX_PAYMENTS`].
pub(crate) fn longest_merchant_history(schema: &Schema, sessions: &[&Session]) -> usize {
    let merchant = words_field(schema, schema.merchants.merchant.as_deref());
    sessions
        .iter()
        .map(|s| {
            let mut counts: HashMap<Option<&str>, usize> = HashMap::new();
            for i in 0..s.events.len() {
                *counts.entry(words(s, i, merchant)).or_default() += 1;
            }
            counts.into_values().max().unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
        .clamp(1, MAX_PAYMENTS)
}

impl FoldView {
    /// The view of `session` (events in time order, as the readers leave them).
    pub(crate) fn of(session: &Session, encoder: &Encoder, layout: PaymentView) -> Self {
        let schema = &encoder.schema;
        let fold: &MerchantFold = &schema.merchants;
        let merchant = words_field(schema, fold.merchant.as_deref());
        let description = words_field(schema, fold.description.as_deref());
        let amount: Option<(usize, &NumericStats)> = fold.amount.as_deref().and_then(|name| {
            let j = schema.event.numeric.iter().position(|f| f.name == name)?;
            Some((j, &encoder.event_stats[j]))
        });
        let n = session.events.len();
        // one pass: the payments of each merchant, oldest first (flat: all under no merchant)
        let mut by_merchant: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        let (first, max_payments) = match layout {
            PaymentView::Folded => (0, fold.payments()),
            PaymentView::Flat => (n.saturating_sub(schema.max_events), schema.max_events),
        };
        for i in first..n {
            let key = match layout {
                PaymentView::Folded => words(session, i, merchant),
                PaymentView::Flat => None,
            };
            by_merchant.entry(key).or_default().push(i);
        }
        let mut ranked: Vec<(Option<&str>, Vec<usize>)> = by_merchant.into_iter().collect();
        let last_ts = |p: &[usize]| p.last().map_or(f64::MIN, |&i| session.events[i].ts);
        ranked.sort_by(|(na, a), (nb, b)| {
            b.len()
                .cmp(&a.len())
                .then(last_ts(b).total_cmp(&last_ts(a)))
                .then(na.cmp(nb))
        });
        ranked.truncate(fold.max_merchants);
        let mut view = FoldView::default();
        let mut text_ids: HashMap<String, u32> = HashMap::new();
        for (name, payments) in ranked {
            let kept = &payments[payments.len().saturating_sub(max_payments)..];
            let mut m = FoldedMerchant {
                name: name.map(str::to_string),
                name_tokens: name.map_or_else(Vec::new, |n| {
                    text_token_ids(n, fold.text_buckets, fold.text_tokens)
                }),
                vector_row: name.map_or(0, |n| vector_row(&encoder.merchant_vector_keys, n)),
                events: kept.to_vec(),
                numeric: Vec::with_capacity(kept.len()),
                description: Vec::with_capacity(kept.len()),
            };
            for &i in kept {
                let ev = &session.events[i];
                let mut x = [0.0f32; PAYMENT_NUMERIC];
                if let Some((j, stats)) = amount
                    && let Some(a) = ev.values.numeric[j]
                {
                    x[0] = stats.normalise(schema.event.numeric[j].transform.apply(a));
                }
                x[1..].copy_from_slice(&periodic_time(ev.ts));
                m.numeric.push(x);
                let described = words(session, i, description);
                let text = match layout {
                    PaymentView::Folded => described.map(str::to_string),
                    PaymentView::Flat => {
                        let both: Vec<&str> = [words(session, i, merchant), described]
                            .into_iter()
                            .flatten()
                            .collect();
                        (!both.is_empty()).then(|| both.join(" "))
                    }
                };
                let id = text.filter(|t| !t.is_empty()).map_or(0, |t| {
                    let next = view.texts.len() as u32 + 1;
                    *text_ids.entry(t).or_insert_with_key(|t| {
                        view.texts
                            .push(text_token_ids(t, fold.text_buckets, fold.text_tokens));
                        next
                    })
                });
                m.description.push(id);
            }
            view.merchants.push(m);
        }
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;
    use crate::schema::{Limits, parse_session_json};

    fn encoder(max_merchants: usize, max_payments: usize) -> Encoder {
        let mut schema = Schema::payments_default();
        schema.merchants.max_merchants = max_merchants;
        schema.merchants.max_payments = Some(max_payments);
        let train = session(
            &schema,
            r#"[{"ts":0,"merchant":"A","amount":0},{"ts":1,"merchant":"A","amount":1.718281828459045}]"#,
        );
        let mut enc = Encoder::fit(&schema, &[&train]).unwrap();
        enc.payment_view = Some(PaymentView::Folded);
        enc
    }

    fn session(schema: &Schema, events: &str) -> Session {
        let json = format!(r#"{{"id":"u","events":{events}}}"#);
        parse_session_json(&json, schema, &Location::new("t", 1), &Limits::default()).unwrap()
    }

    fn fold(enc: &Encoder, events: &str) -> (Session, FoldView) {
        let s = session(&enc.schema, events);
        let view = enc.encode(&s).folds.unwrap();
        (s, view)
    }

    fn names(view: &FoldView) -> Vec<Option<&str>> {
        view.merchants.iter().map(|m| m.name.as_deref()).collect()
    }

    #[test]
    fn ranks_by_count_then_recency_then_name() {
        let enc = encoder(10, 10);
        let (_, view) = fold(
            &enc,
            r#"[{"ts":1,"merchant":"Cafe"},{"ts":2,"merchant":"Bank"},{"ts":3,"merchant":"Zoo"},
                {"ts":4,"merchant":"Bank"},{"ts":5,"merchant":"Cafe"},{"ts":6,"merchant":"Mall"},
                {"ts":6,"merchant":"Deli"},{"ts":7,"merchant":"Bank"}]"#,
        );
        // Bank 3; Cafe 2; then one payment each: Mall and Deli both last at 6 (name order),
        // Zoo last at 3
        assert_eq!(
            names(&view),
            [
                Some("Bank"),
                Some("Cafe"),
                Some("Deli"),
                Some("Mall"),
                Some("Zoo")
            ]
        );
        // payments chronological inside a merchant, as event indices
        assert_eq!(view.merchants[0].events, [1, 3, 7]);
        assert_eq!(view.merchants[1].events, [0, 4]);
    }

    #[test]
    fn keeps_top_merchants_and_their_most_recent_payments() {
        let enc = encoder(2, 2);
        let (_, view) = fold(
            &enc,
            r#"[{"ts":1,"merchant":"A"},{"ts":2,"merchant":"A"},{"ts":3,"merchant":"B"},
                {"ts":4,"merchant":"A"},{"ts":5,"merchant":"C"},{"ts":6,"merchant":"B"}]"#,
        );
        assert_eq!(names(&view), [Some("A"), Some("B")]);
        assert_eq!(view.merchants[0].events, [1, 3]);
        assert_eq!(view.merchants[1].events, [2, 5]);
        assert!(
            view.merchants
                .iter()
                .all(|m| m.numeric.len() == m.events.len())
        );
    }

    #[test]
    fn an_unset_cap_keeps_the_longest_training_history_and_no_more() {
        let schema = Schema::payments_default();
        assert_eq!(schema.merchants.max_payments, None);
        // training: A has 3 payments in the first session, B 2; the payments without a
        // merchant (4 in the second) are one folded history too
        let a = session(
            &schema,
            r#"[{"ts":1,"merchant":"A"},{"ts":2,"merchant":"B"},{"ts":3,"merchant":"A"},
                {"ts":4,"merchant":"B"},{"ts":5,"merchant":"A"}]"#,
        );
        let b = session(
            &schema,
            r#"[{"ts":1},{"ts":2},{"ts":3,"merchant":"A"},{"ts":4},{"ts":5}]"#,
        );
        let enc = Encoder::fit(&schema, &[&a]).unwrap();
        assert_eq!(enc.schema.merchants.max_payments, Some(3));
        let mut enc = Encoder::fit(&schema, &[&a, &b]).unwrap();
        assert_eq!(enc.schema.merchants.max_payments, Some(4));
        // what the paper does within it: every payment kept; a longer history when scoring
        // keeps its most recent 4
        enc.payment_view = Some(PaymentView::Folded);
        let (_, view) = fold(
            &enc,
            r#"[{"ts":1,"merchant":"A"},{"ts":2,"merchant":"A"},{"ts":3,"merchant":"A"},
                {"ts":4,"merchant":"A"},{"ts":5,"merchant":"A"},{"ts":6,"merchant":"B"}]"#,
        );
        assert_eq!(view.merchants[0].events, [1, 2, 3, 4]);
        // a schema that sets a cap keeps it
        let mut capped = schema.clone();
        capped.merchants.max_payments = Some(2);
        let enc = Encoder::fit(&capped, &[&a, &b]).unwrap();
        assert_eq!(enc.schema.merchants.max_payments, Some(2));
        // no events at all: still one position
        let empty = session(&schema, "[]");
        let enc = Encoder::fit(&schema, &[&empty]).unwrap();
        assert_eq!(enc.schema.merchants.max_payments, Some(1));
    }

    #[test]
    fn empty_and_nameless_payments_and_unknown_merchants() {
        let enc = encoder(10, 10);
        // no payments: no merchants
        let (_, view) = fold(&enc, "[]");
        assert!(view.merchants.is_empty() && view.texts.is_empty());
        // payments without a merchant are folded together, with no name tokens
        let (_, view) = fold(
            &enc,
            r#"[{"ts":1},{"ts":2,"merchant":"Never Seen Before Ltd"},{"ts":3}]"#,
        );
        assert_eq!(names(&view), [None, Some("Never Seen Before Ltd")]);
        assert_eq!(view.merchants[0].events, [0, 2]);
        assert!(view.merchants[0].name_tokens.is_empty());
        // a merchant never seen in training is read by its text, not mapped to one OOV id
        let fold = &enc.schema.merchants;
        assert_eq!(
            view.merchants[1].name_tokens,
            text_token_ids("Never Seen Before Ltd", fold.text_buckets, fold.text_tokens)
        );
    }

    #[test]
    fn flat_view_keeps_the_last_payments_with_merchant_and_description_as_text() {
        let mut enc = encoder(10, 10);
        enc.schema.max_events = 3;
        enc.payment_view = Some(PaymentView::Flat);
        let (_, view) = fold(
            &enc,
            r#"[{"ts":1,"merchant":"A"},{"ts":2,"merchant":"B","description":"fee"},
                {"ts":3},{"ts":4,"merchant":"A","description":"fee"}]"#,
        );
        assert_eq!(names(&view), [None]);
        assert_eq!(view.merchants[0].events, [1, 2, 3]);
        assert_eq!(view.merchants[0].description, [1, 0, 2]);
        let fold = &enc.schema.merchants;
        let tokens = |t| text_token_ids(t, fold.text_buckets, fold.text_tokens);
        assert_eq!(view.texts, [tokens("B fee"), tokens("A fee")]);
    }

    #[test]
    fn payment_inputs_amount_time_and_shared_descriptions() {
        let enc = encoder(10, 10);
        // 2026-11-24T18:00:00Z; training amounts log1p → 0 and 1: mean 0.5, std 0.5
        let (_, view) = fold(
            &enc,
            r#"[{"ts":1795543200,"merchant":"A","amount":1.718281828459045,"description":"Weekly shop"},
                {"ts":1795543260,"merchant":"A","description":"Weekly shop"},
                {"ts":1795543320,"merchant":"A","description":"fuel"}]"#,
        );
        let m = &view.merchants[0];
        assert!((m.numeric[0][0] - 1.0).abs() < 1e-6);
        // a missing amount reads as the mean
        assert_eq!(m.numeric[1][0], 0.0);
        assert_eq!(m.numeric[0][1..], periodic_time(1_795_543_200.0));
        // equal descriptions share one text
        assert_eq!(m.description, [1, 1, 2]);
        assert_eq!(view.texts.len(), 2);
    }
}

//! Explanations as reported to users: the model's named per-event weights mapped back to the
//! events of the session, and a check of explanations against planted ground truth.

use crate::encode::EncodedSession;
pub use crate::models::behavior_cluster::ClusterMatch;
use crate::models::behavior_cluster::Fingerprints;
use crate::schema::Session;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many events [`Explanation::top_events`] lists.
pub const TOP_EVENTS: usize = 3;

/// How many fields [`Explanation::top_fields`] lists.
pub const TOP_FIELDS: usize = 3;

/// How many merchants [`Explanation::top_merchants`] lists.
pub const TOP_MERCHANTS: usize = 3;

/// A session's explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Explanation {
    /// Index (in the session's time-ordered events) of the current event, the one being scored.
    pub current_event: Option<usize>,
    /// Indices of the history events that carry weights, oldest first.
    pub events: Vec<usize>,
    /// Named weights (`alpha`, `beta`, …), aligned with `events`.
    pub weights: BTreeMap<String, Vec<f32>>,
    /// Up to [`TOP_EVENTS`] history events with the highest mean weight, highest first.
    pub top_events: Vec<usize>,
    /// Named per-field weights (`field_importance`, …) of the models that have them: field name
    /// → weight.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_weights: BTreeMap<String, BTreeMap<String, f32>>,
    /// Up to [`TOP_FIELDS`] fields with the highest mean weight, highest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_fields: Vec<String>,
    /// Named per-session weights of the models that read the session view (HUIHEN): one entry
    /// per kept behavior session, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<SessionWeights>,
    /// Named per-merchant weights of the models that read the fold view (LBSF): one entry per
    /// kept merchant, in the fold's rank order (most payments first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merchants: Vec<MerchantWeights>,
    /// Up to [`TOP_MERCHANTS`] merchants (indices into `merchants`) with the highest mean
    /// weight, highest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_merchants: Vec<usize>,
    /// The risky cluster the session landed in and the cluster's rules it matches (the
    /// cluster model; `None` elsewhere or outside every risky cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterMatch>,
    /// Where the session falls on the cluster model's 2-D map of its clustering (the model
    /// card's `cluster_map`); `None` for the other models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_point: Option<[f32; 2]>,
}

/// One merchant's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MerchantWeights {
    /// The merchant's name (`None` for the payments that had none).
    pub name: Option<String>,
    /// Its kept payments (indices into the session's time-ordered events), oldest first.
    pub events: Vec<usize>,
    /// Named weights of the merchant (`cls_attention`).
    pub weights: BTreeMap<String, f32>,
    /// Named weights of its payments (`payment_attention`), aligned with `events`.
    pub payment_weights: BTreeMap<String, Vec<f32>>,
}

/// One behavior session's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionWeights {
    /// Index of its first kept event (in the session's time-ordered events).
    pub first_event: usize,
    /// Index of its last event.
    pub last_event: usize,
    /// Named weights (`intention`, `time_gate`, `update_gate`, …).
    pub weights: BTreeMap<String, f32>,
}

impl Explanation {
    /// The same explanation with `top_events` ranked by one named weight alone.
    pub fn ranked_by(&self, name: &str) -> Explanation {
        let mut out = self.clone();
        if let Some(w) = self.weights.get(name) {
            out.top_events = top(self.events.iter().copied().zip(w.iter().copied()).collect());
        }
        out
    }

    /// Build from one session's row of each named `[B, T−1]` weight matrix; without any, no
    /// event carries a weight and `events` stays empty.
    pub fn from_slots(encoded: &EncodedSession, named_rows: &[(&str, &[f32])]) -> Self {
        let t = encoded.event_mask.len();
        let history: Vec<(usize, usize)> = if named_rows.is_empty() {
            Vec::new()
        } else {
            (0..t.saturating_sub(1))
                .filter_map(|slot| encoded.slot_event(slot).map(|e| (slot, e)))
                .collect()
        };
        let weights: BTreeMap<String, Vec<f32>> = named_rows
            .iter()
            .map(|(name, row)| {
                (
                    name.to_string(),
                    history.iter().map(|&(s, _)| row[s]).collect(),
                )
            })
            .collect();
        let combined: Vec<(usize, f32)> = history
            .iter()
            .enumerate()
            .map(|(i, &(_, ev))| {
                let sum: f32 = weights.values().map(|w| w[i]).sum();
                (ev, sum / weights.len().max(1) as f32)
            })
            .collect();
        Self {
            current_event: t.checked_sub(1).and_then(|slot| encoded.slot_event(slot)),
            events: history.iter().map(|&(_, e)| e).collect(),
            weights,
            top_events: top(combined),
            ..Default::default()
        }
    }

    /// Add one session's row of each named `[B, F]` field weight matrix; `names` are the
    /// encoder's event field slot names.
    pub fn with_fields(mut self, names: &[String], named_rows: &[(&str, &[f32])]) -> Self {
        if named_rows.is_empty() {
            return self;
        }
        let mut mean = vec![0.0f32; names.len()];
        for (name, row) in named_rows {
            for (m, w) in mean.iter_mut().zip(row.iter()) {
                *m += w / named_rows.len() as f32;
            }
            self.field_weights.insert(
                name.to_string(),
                names.iter().cloned().zip(row.iter().copied()).collect(),
            );
        }
        let mut order: Vec<usize> = (0..names.len()).collect();
        // highest first; among equal weights the earlier slot
        order.sort_by(|&a, &b| mean[b].total_cmp(&mean[a]).then(a.cmp(&b)));
        self.top_fields = order
            .into_iter()
            .take(TOP_FIELDS)
            .map(|i| names[i].clone())
            .collect();
        self
    }
}

impl Explanation {
    /// Add one user's row of each named `[B, S]` session weight matrix (the slots of its
    /// session view; padded slots are skipped).
    pub fn with_sessions(
        mut self,
        encoded: &EncodedSession,
        named_rows: &[(&str, &[f32])],
    ) -> Self {
        let Some(view) = &encoded.sessions else {
            return self;
        };
        self.sessions = view
            .slot_events
            .iter()
            .enumerate()
            .filter_map(|(slot, events)| {
                let events = events.as_ref()?;
                Some(SessionWeights {
                    first_event: events.start,
                    last_event: events.end.saturating_sub(1),
                    weights: named_rows
                        .iter()
                        .map(|(name, row)| (name.to_string(), row[slot]))
                        .collect(),
                })
            })
            .collect();
        self
    }
}

impl Explanation {
    /// Add where the session stands to the risky clusters and on the clustering's map (its
    /// row of the cluster model's `cluster_reach` and `cluster_map`, when there are those).
    pub fn with_cluster(
        mut self,
        session: &EncodedSession,
        fingerprints: Option<&Fingerprints>,
        rows: &[(&'static str, &[f32])],
    ) -> Self {
        let Some(f) = fingerprints else { return self };
        for &(name, row) in rows {
            match (name, row) {
                ("cluster_reach", reach) => self.cluster = f.explain(session, reach),
                ("cluster_map", &[x, y]) => self.map_point = Some([x, y]),
                _ => {}
            }
        }
        self
    }

    /// Add one user's row of each named `[B, M]` merchant weight matrix and of each named
    /// `[B, M·P]` payment weight matrix (the slots of its fold view; padded slots are skipped).
    pub fn with_merchants(
        mut self,
        encoded: &EncodedSession,
        merchant_rows: &[(&str, &[f32])],
        payment_rows: &[(&str, &[f32])],
    ) -> Self {
        let (Some(view), Some((_, first))) = (&encoded.folds, merchant_rows.first()) else {
            return self;
        };
        let m = first.len();
        self.merchants = view
            .merchants
            .iter()
            .enumerate()
            .map(|(k, merchant)| {
                let kept = merchant.events.len();
                MerchantWeights {
                    name: merchant.name.clone(),
                    events: merchant.events.clone(),
                    weights: merchant_rows
                        .iter()
                        .map(|(name, row)| (name.to_string(), row[k]))
                        .collect(),
                    payment_weights: payment_rows
                        .iter()
                        .map(|(name, row)| {
                            // payments are right-aligned in their merchant's `P` slots
                            let p = row.len() / m.max(1);
                            let slots = &row[k * p..(k + 1) * p];
                            (name.to_string(), slots[p.saturating_sub(kept)..].to_vec())
                        })
                        .collect(),
                }
            })
            .collect();
        let mut order: Vec<(usize, f32)> = self
            .merchants
            .iter()
            .enumerate()
            .map(|(k, w)| (k, w.weights.values().sum::<f32>() / w.weights.len() as f32))
            .collect();
        // highest first; among equal weights the higher-ranked merchant
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        self.top_merchants = order
            .into_iter()
            .take(TOP_MERCHANTS)
            .map(|(k, _)| k)
            .collect();
        self
    }
}

/// The [`TOP_EVENTS`] events of highest weight; among equal weights the most recent first.
fn top(mut weighted: Vec<(usize, f32)>) -> Vec<usize> {
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    weighted.iter().take(TOP_EVENTS).map(|&(e, _)| e).collect()
}

/// How often explanations point at planted events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlantedHitRate {
    /// Sessions evaluated (with at least one planted event among their weighted events, or
    /// one planted merchant among their merchants).
    pub sessions: usize,
    /// Share whose top-k events (merchants) include a planted one.
    pub hit_rate: f64,
    /// Expected share for k events drawn at random from the same weighted events.
    pub random_rate: f64,
    /// What was ranked: `event` or `merchant`.
    pub level: String,
}

/// `C(n, k)` as a float.
fn choose(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// Compare explanations with planted ground truth over the given sessions: for models with
/// merchant weights, whether a planted merchant (one with a planted payment) is among the top
/// `k` merchants; otherwise whether a planted event is among the top `k` events. Sessions
/// without weights or without anything planted are skipped (`None` when none is left).
pub fn planted_hit_rate<'a>(
    items: impl IntoIterator<Item = (&'a Session, &'a Explanation)>,
    k: usize,
) -> Option<PlantedHitRate> {
    let (mut n, mut hits, mut random) = (0usize, 0usize, 0.0f64);
    let mut level = "event";
    let mut count = |h: usize, p: usize, hit: bool| {
        if p > 0 {
            n += 1;
            hits += hit as usize;
            let draw = k.min(h);
            random += 1.0 - choose(h - p, draw) / choose(h, draw);
        }
    };
    for (session, exp) in items {
        if !exp.merchants.is_empty() {
            // a merchant is planted when one of its kept payments is
            let planted: Vec<bool> = exp
                .merchants
                .iter()
                .map(|m| m.events.iter().any(|&e| session.events[e].planted))
                .collect();
            let hit = exp.top_merchants.iter().take(k).any(|&m| planted[m]);
            level = "merchant";
            count(planted.len(), planted.iter().filter(|&&p| p).count(), hit);
            continue;
        }
        if exp.weights.is_empty() {
            continue;
        }
        let h = exp.events.len();
        let p = exp
            .events
            .iter()
            .filter(|&&e| session.events[e].planted)
            .count();
        let hit = exp
            .top_events
            .iter()
            .take(k)
            .any(|&e| session.events[e].planted);
        count(h, p, hit);
    }
    (n > 0).then(|| PlantedHitRate {
        sessions: n,
        hit_rate: hits as f64 / n as f64,
        random_rate: random / n as f64,
        level: level.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Event, FieldValues};

    /// A session whose `T` slots hold `slots`' events: padding, then consecutive events.
    fn encoded(slots: Vec<Option<usize>>) -> EncodedSession {
        EncodedSession {
            event_index: vec![],
            event_value: vec![],
            event_mask: slots
                .iter()
                .map(|s| f32::from(u8::from(s.is_some())))
                .collect(),
            profile_index: vec![],
            profile_value: vec![],
            label: None,
            events_before: slots.iter().flatten().next().copied().unwrap_or(0),
            sessions: None,
            folds: None,
        }
    }

    #[test]
    fn maps_slots_to_events_and_ranks() {
        let e = encoded(vec![None, Some(0), Some(1), Some(2), Some(3)]);
        let alpha = [0.0, 0.2, 0.5, 0.3, 9.0];
        let beta = [0.0, 0.6, 0.1, 0.3, 9.0];
        let x = Explanation::from_slots(&e, &[("alpha", &alpha), ("beta", &beta)]);
        assert_eq!(x.current_event, Some(3));
        assert_eq!(x.events, [0, 1, 2]);
        assert_eq!(x.weights["beta"], [0.6, 0.1, 0.3]);
        // means: 0.4, 0.3, 0.3 -> event 0, then the tie 1/2 broken towards the recent one
        assert_eq!(x.top_events, [0, 2, 1]);
        assert_eq!(x.ranked_by("alpha").top_events, [1, 2, 0]);
        assert_eq!(x.ranked_by("beta").top_events, [0, 2, 1]);
        assert!(x.field_weights.is_empty() && x.top_fields.is_empty());
    }

    #[test]
    fn names_fields_and_ranks_them() {
        let e = encoded(vec![Some(0), Some(1)]);
        let names: Vec<String> = ["ip", "device", "amount", "hour"].map(String::from).into();
        let a = [0.25, 0.5, 0.125, 0.125];
        let b = [0.25, 0.0, 0.125, 0.625];
        let x = Explanation::from_slots(&e, &[])
            .with_fields(&names, &[("field_importance", &a), ("other", &b)]);
        assert_eq!(x.field_weights["field_importance"]["device"], 0.5);
        assert_eq!(x.field_weights["other"]["hour"], 0.625);
        // means: ip 0.25, device 0.25, amount 0.125, hour 0.375 -> hour, then the tie in slot order
        assert_eq!(x.top_fields, ["hour", "ip", "device"]);
    }

    #[test]
    fn hit_rate_and_random_baseline() {
        let ev = |planted| Event {
            ts: 0.0,
            values: FieldValues::default(),
            planted,
        };
        let s = Session {
            entity: None,
            id: "a".into(),
            label: Some(true),
            profile: FieldValues::default(),
            events: vec![ev(false), ev(true), ev(false), ev(false), ev(false)],
        };
        let hit = Explanation {
            events: vec![0, 1, 2, 3],
            weights: BTreeMap::from([("w".to_string(), vec![0.0; 4])]),
            top_events: vec![1, 0],
            ..Default::default()
        };
        let miss = Explanation {
            top_events: vec![0, 2],
            ..hit.clone()
        };
        let unexplained = Explanation {
            events: vec![0, 1, 2, 3],
            ..Default::default()
        };
        let r = planted_hit_rate([(&s, &hit), (&s, &miss), (&s, &unexplained)], 2).unwrap();
        assert_eq!(r.sessions, 2);
        assert_eq!(r.hit_rate, 0.5);
        // 1 planted of 4, draw 2: 1 - C(3,2)/C(4,2) = 1 - 3/6
        assert!((r.random_rate - 0.5).abs() < 1e-12);
    }
}

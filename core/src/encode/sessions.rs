//! The session view of HUIHEN §3.4 and §5.2: a user's behaviors (the events of a seqrisk
//! session, in time order) split into sessions wherever two behaviors are more than
//! `gap_seconds` apart; sessions with fewer than `min_behaviors` behaviors dropped as noise; the
//! most recent `max_sessions` sessions kept, each with its most recent `max_behaviors`
//! behaviors. Sessions are right-aligned (slot `S − 1` holds the most recent one) and so are
//! the behaviors inside each (the head is padded, as in the paper).
//!
//! Per behavior: its `F` feature slots (the same as [`super::Encoder::encode`] writes for an
//! event), `Δt` in seconds since the previous behavior of the same session (0 for a session's
//! first), and the time period of HUIHEN's Eq. (2)–(4): the weekday (1 = Monday … 7) and the
//! day of the month (1 … 31), in UTC; 0 marks padding.

use super::time::Civil;
use super::{EventSlots, FeatureId};
use crate::schema::{Session, SessionSplit};
use std::ops::Range;

/// One user's behaviors as sessions, host side.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionView {
    /// `[S·L·F]` feature indices of each behavior slot.
    pub behavior_index: Vec<FeatureId>,
    /// `[S·L·F]` feature values.
    pub behavior_value: Vec<f32>,
    /// `[S·L]` 1 for a real behavior, 0 for padding.
    pub behavior_mask: Vec<f32>,
    /// `[S·L]` seconds since the previous behavior of the same session.
    pub delta_t: Vec<f32>,
    /// `[S·L]` weekday, 1 (Monday) to 7, 0 for padding.
    pub week: Vec<i64>,
    /// `[S·L]` day of the month, 1 to 31, 0 for padding.
    pub month: Vec<i64>,
    /// `[S]` 1 for a real session, 0 for padding.
    pub session_mask: Vec<f32>,
    /// `[S]` for each slot, the events (indices into the seqrisk session's events) of the kept
    /// behaviors of the session it holds.
    pub slot_events: Vec<Option<Range<usize>>>,
}

/// The sessions of time-ordered timestamps `ts` under `split`: ranges of event indices, oldest
/// first, after dropping short sessions and keeping the most recent `max_sessions` (each range
/// is the whole session; truncation to `max_behaviors` happens in the view).
pub fn split_sessions(ts: &[f64], split: &SessionSplit) -> Vec<Range<usize>> {
    let mut sessions = Vec::new();
    let mut start = 0;
    for i in 1..=ts.len() {
        if i == ts.len() || ts[i] - ts[i - 1] > split.gap_seconds {
            if i - start >= split.min_behaviors {
                sessions.push(start..i);
            }
            start = i;
        }
    }
    let drop = sessions.len().saturating_sub(split.max_sessions);
    sessions.split_off(drop)
}

/// Weekday (1 = Monday … 7) and day of the month (1 … 31) of Unix time `ts` (seconds, UTC).
pub(crate) fn week_and_month_day(ts: f64) -> (i64, i64) {
    let c = Civil::of(ts);
    (c.weekday, c.day)
}

impl SessionView {
    /// The view of `session` (events in time order, as the readers leave them).
    pub(crate) fn of(session: &Session, split: &SessionSplit, slots: &EventSlots) -> Self {
        let (s_max, l_max, f) = (split.max_sessions, split.max_behaviors, slots.width());
        let ts: Vec<f64> = session.events.iter().map(|e| e.ts).collect();
        let sessions = split_sessions(&ts, split);
        let mut view = SessionView {
            behavior_index: vec![0; s_max * l_max * f],
            behavior_value: vec![0.0; s_max * l_max * f],
            behavior_mask: vec![0.0; s_max * l_max],
            delta_t: vec![0.0; s_max * l_max],
            week: vec![0; s_max * l_max],
            month: vec![0; s_max * l_max],
            session_mask: vec![0.0; s_max],
            slot_events: vec![None; s_max],
        };
        let first_slot = s_max - sessions.len();
        for (k, whole) in sessions.into_iter().enumerate() {
            let slot = first_slot + k;
            let kept = whole.end - whole.len().min(l_max)..whole.end;
            view.session_mask[slot] = 1.0;
            let first_behavior = l_max - kept.len();
            for (j, ev_i) in kept.clone().enumerate() {
                let b = slot * l_max + first_behavior + j;
                view.behavior_mask[b] = 1.0;
                if ev_i > whole.start {
                    view.delta_t[b] = (ts[ev_i] - ts[ev_i - 1]) as f32;
                }
                (view.week[b], view.month[b]) = week_and_month_day(ts[ev_i]);
                slots.write(
                    session,
                    ev_i,
                    &mut view.behavior_index[b * f..(b + 1) * f],
                    &mut view.behavior_value[b * f..(b + 1) * f],
                );
            }
            view.slot_events[slot] = Some(kept);
        }
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;
    use crate::encode::Encoder;
    use crate::schema::{Limits, Schema, parse_session_json};

    fn split(min: usize, max_sessions: usize) -> SessionSplit {
        SessionSplit {
            min_behaviors: min,
            max_sessions,
            ..Default::default()
        }
    }

    #[test]
    fn a_gap_of_exactly_an_hour_stays_in_the_session() {
        let ts = [0.0, 3600.0, 7200.0, 10_800.5, 10_801.0];
        assert_eq!(split_sessions(&ts, &split(1, 50)), [0..3, 3..5]);
    }

    #[test]
    fn short_sessions_are_dropped_and_only_the_most_recent_are_kept() {
        // sessions of 3, 2, 3 and 4 behaviors
        let mut ts = vec![];
        for (start, n) in [(0.0, 3), (1e5, 2), (2e5, 3), (3e5, 4)] {
            ts.extend((0..n).map(|i| start + 60.0 * i as f64));
        }
        assert_eq!(split_sessions(&ts, &split(3, 50)), [0..3, 5..8, 8..12]);
        assert_eq!(split_sessions(&ts, &split(3, 2)), [5..8, 8..12]);
        assert!(split_sessions(&[], &split(3, 2)).is_empty());
        assert!(split_sessions(&[5.0, 6.0], &split(3, 2)).is_empty());
    }

    #[test]
    fn weekday_and_day_of_month_by_hand() {
        // 1970-01-01 Thursday; 2000-02-29 Tuesday; 2024-03-31 Sunday 23:59:59; 1969-12-31
        // Wednesday
        assert_eq!(week_and_month_day(0.0), (4, 1));
        assert_eq!(week_and_month_day(951_782_400.0), (2, 29));
        assert_eq!(week_and_month_day(1_711_929_599.0), (7, 31));
        assert_eq!(week_and_month_day(-1.0), (3, 31));
    }

    #[test]
    fn the_view_right_aligns_sessions_and_behaviors() {
        let schema = Schema::from_toml(
            r#"
            time_features = false
            [timestamp]
            field = "ts"
            [[event.categorical]]
            name = "op"
            scale_by = "amount"
            [[event.numeric]]
            name = "amount"
            transform = "log1p"
            [sessions]
            min_behaviors = 2
            max_sessions = 3
            max_behaviors = 2
            "#,
        )
        .unwrap();
        // sessions: [0, 10, 30] (Δt 10, 20), [7230] (dropped: 1 behavior), [20000, 20005]
        let json = r#"{"id":"u","events":[{"ts":30,"op":"buy","amount":6.38905609893065},
            {"ts":0,"op":"view"},{"ts":10,"op":"view"},{"ts":7230,"op":"view"},
            {"ts":20000,"op":"buy"},{"ts":20005,"op":"view"}]}"#;
        let session =
            parse_session_json(json, &schema, &Location::new("t", 1), &Limits::default()).unwrap();
        let mut enc = Encoder::fit(&schema, &[&session]).unwrap();
        enc.session_view = true;
        let v = enc.encode(&session).sessions.unwrap();
        assert_eq!(v.session_mask, [0.0, 1.0, 1.0]);
        assert_eq!(v.slot_events, [None, Some(1..3), Some(4..6)]);
        // slot 1 keeps the last two behaviors of [0, 10, 30]: Δt 10 and 20
        assert_eq!(v.behavior_mask, [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
        assert_eq!(v.delta_t, [0.0, 0.0, 10.0, 20.0, 0.0, 5.0]);
        assert_eq!(v.week[2..], [4, 4, 4, 4]);
        assert_eq!(v.month[..2], [0, 0]);
        // F = 2 (op, amount); "buy" at ts 30 is scaled by log1p(e² − 1) = 2, "buy" without an
        // amount by 1, "view" by 1
        let f = 2;
        let op = |b: usize| (v.behavior_index[b * f], v.behavior_value[b * f]);
        assert_eq!(op(0), (0, 0.0));
        assert!((op(3).1 - 2.0).abs() < 1e-6);
        assert_eq!(op(4).1, 1.0);
        assert_ne!(op(3).0, op(2).0);
        assert_eq!(op(3).0, op(4).0);
    }
}

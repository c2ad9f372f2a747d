//! The simplest baseline a model must beat: one numeric field of the session's current (last)
//! event used as the score, in the direction that ranks better. A risk team's first rule is
//! often exactly this ("flag payments above X"); a model that loses to it adds nothing.
//!
//! The field and its direction are chosen on the validation split, then judged on the test
//! split, as a model is. An event without the field ranks lowest in either direction.

use super::{Metrics, auc};
use crate::schema::Session;
use serde::{Deserialize, Serialize};

/// The best single feature on one split, and its test metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SingleFeature {
    /// The event numeric field.
    pub field: String,
    /// Whether higher values are riskier (else lower ones are).
    pub higher_is_riskier: bool,
    /// Its validation AUC (in the chosen direction), by which it was chosen.
    pub valid_auc: f64,
    /// Its metrics on the test split.
    pub test: Metrics,
}

impl SingleFeature {
    /// Its scores of `sessions` (the field's value in the last event, negated when lower is
    /// riskier); `names` are the event numeric fields as given to [`best_single_feature`].
    pub fn scores(&self, names: &[String], sessions: &[&Session]) -> Vec<f64> {
        let sign = if self.higher_is_riskier { 1.0 } else { -1.0 };
        match names.iter().position(|n| *n == self.field) {
            Some(j) => scores(sessions, j, sign),
            None => vec![f64::NEG_INFINITY; sessions.len()],
        }
    }

    /// `field` (descending) or `−field` (ascending), e.g. `amount` or `−log_gap`.
    pub fn label(&self) -> String {
        let sign = if self.higher_is_riskier { "" } else { "−" };
        format!("{sign}{}", self.field)
    }
}

/// Scores of `sessions` by event numeric field `j` of their last event, times `sign`; a
/// missing value (or no event) scores lowest.
fn scores(sessions: &[&Session], j: usize, sign: f64) -> Vec<f64> {
    sessions
        .iter()
        .map(|s| {
            s.events
                .last()
                .and_then(|e| e.values.numeric[j])
                .map_or(f64::NEG_INFINITY, |x| sign * x)
        })
        .collect()
}

fn labels(sessions: &[&Session]) -> Vec<bool> {
    sessions.iter().map(|s| s.label == Some(true)).collect()
}

/// The event numeric field (of `names`, in the sessions' field order) and direction with the
/// best validation AUC, and its test metrics; `None` when there is no numeric field or the
/// validation split lacks a class.
pub fn best_single_feature(
    names: &[String],
    valid: &[&Session],
    test: &[&Session],
) -> Option<SingleFeature> {
    let valid_labels = labels(valid);
    let mut best: Option<(usize, f64, f64)> = None;
    for j in 0..names.len() {
        for sign in [1.0, -1.0] {
            let a = auc(&scores(valid, j, sign), &valid_labels)?;
            if best.is_none_or(|(_, _, b)| a > b) {
                best = Some((j, sign, a));
            }
        }
    }
    let (j, sign, valid_auc) = best?;
    Some(SingleFeature {
        field: names[j].clone(),
        higher_is_riskier: sign > 0.0,
        valid_auc,
        test: Metrics::compute(&scores(test, j, sign), &labels(test)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Event, FieldValues};

    fn session(label: bool, last: [Option<f64>; 2]) -> Session {
        Session {
            entity: None,
            id: String::new(),
            label: Some(label),
            profile: FieldValues::default(),
            events: vec![Event {
                ts: 0.0,
                values: FieldValues {
                    categorical: Box::default(),
                    numeric: last.into(),
                    text: Box::default(),
                },
                planted: false,
            }],
        }
    }

    /// Field `a` separates validation perfectly when read descending, `b` ascending but with one
    /// pair out of order (AUC 3/4): `a` descending wins, and its test AUC is computed on the
    /// test split by hand (positives 5 and 1 against negatives 2 and missing: 3 of 4 pairs).
    #[test]
    fn picks_field_and_direction_on_validation_and_scores_test() {
        let valid = [
            session(true, [Some(9.0), Some(1.0)]),
            session(true, [Some(8.0), Some(3.0)]),
            session(false, [Some(1.0), Some(2.0)]),
            session(false, [Some(2.0), Some(4.0)]),
        ];
        let test = [
            session(true, [Some(5.0), None]),
            session(true, [Some(1.0), None]),
            session(false, [Some(2.0), None]),
            session(false, [None, None]),
        ];
        let names = ["a".to_string(), "b".to_string()];
        let v: Vec<&Session> = valid.iter().collect();
        let t: Vec<&Session> = test.iter().collect();
        let best = best_single_feature(&names, &v, &t).unwrap();
        assert_eq!((best.label(), best.valid_auc), ("a".to_string(), 1.0));
        assert_eq!(best.test.auc, 0.75);
        // with only `b`, the ascending direction wins (3 of 4 pairs)
        let only_b: Vec<Session> = valid
            .iter()
            .map(|s| session(s.label == Some(true), [s.events[0].values.numeric[1], None]))
            .collect();
        let v: Vec<&Session> = only_b.iter().collect();
        let best = best_single_feature(&names[1..2], &v, &t);
        // names[1..2] reads field 0 of these sessions, which now holds `b`
        let best = best.unwrap();
        assert_eq!((best.label(), best.valid_auc), ("−b".to_string(), 0.75));
        assert!(best_single_feature(&[], &v, &t).is_none());
    }
}

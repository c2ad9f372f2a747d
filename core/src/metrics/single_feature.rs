//! The simplest baseline a model must beat: one numeric field of the session's current (last)
//! event used as the score, in the direction that ranks better. A risk team's first rule is
//! often exactly this ("flag payments above X", or with `deviation = true` "flag payments far
//! above the card's usual": [`Encoder::rule_fields`]); a model that loses to it adds nothing.
//!
//! The field and its direction are chosen on the validation split, then judged on the test
//! split, as a model is. An event without the field ranks lowest in either direction.

use super::{Metrics, auc};
use crate::encode::Encoder;
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
    /// riskier), read through `encoder` as [`best_single_feature`] read them.
    pub fn scores(&self, encoder: &Encoder, sessions: &[&Session]) -> Vec<f64> {
        let sign = if self.higher_is_riskier { 1.0 } else { -1.0 };
        match encoder.rule_fields().iter().position(|n| *n == self.field) {
            Some(j) => scores(encoder, sessions, j, sign),
            None => vec![f64::NEG_INFINITY; sessions.len()],
        }
    }

    /// `field` (descending) or `−field` (ascending), e.g. `amount` or `−log_gap`.
    pub fn label(&self) -> String {
        let sign = if self.higher_is_riskier { "" } else { "−" };
        format!("{sign}{}", self.field)
    }
}

/// Scores of `sessions` by rule field `j` ([`Encoder::rule_fields`]) of their last event,
/// times `sign`; a missing value (or no event) scores lowest.
fn scores(encoder: &Encoder, sessions: &[&Session], j: usize, sign: f64) -> Vec<f64> {
    sessions
        .iter()
        .map(|s| {
            encoder
                .rule_value(s, j)
                .map_or(f64::NEG_INFINITY, |x| sign * x)
        })
        .collect()
}

fn labels(sessions: &[&Session]) -> Vec<bool> {
    sessions.iter().map(|s| s.label == Some(true)).collect()
}

/// The rule field ([`Encoder::rule_fields`]: the event numeric fields, then their deviations)
/// and direction with the best validation AUC, and its test metrics; `None` when there is no
/// numeric field or the validation split lacks a class.
pub fn best_single_feature(
    encoder: &Encoder,
    valid: &[&Session],
    test: &[&Session],
) -> Option<SingleFeature> {
    let names = encoder.rule_fields();
    let valid_labels = labels(valid);
    let mut best: Option<(usize, f64, f64)> = None;
    for j in 0..names.len() {
        for sign in [1.0, -1.0] {
            let a = auc(&scores(encoder, valid, j, sign), &valid_labels)?;
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
        test: Metrics::compute(&scores(encoder, test, j, sign), &labels(test)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Event, FieldValues, Schema};

    fn session(label: bool, values: &[[Option<f64>; 2]]) -> Session {
        Session {
            entity: None,
            id: String::new(),
            label: Some(label),
            profile: FieldValues::default(),
            events: values
                .iter()
                .map(|v| Event {
                    ts: 0.0,
                    values: FieldValues {
                        categorical: Box::default(),
                        numeric: (*v).into(),
                        text: Box::default(),
                    },
                    planted: false,
                })
                .collect(),
        }
    }

    /// An encoder over event numeric fields `a` and `b` (`a` with `deviation = true` when
    /// asked), fitted on `sessions`.
    fn encoder(deviation: bool, sessions: &[&Session]) -> Encoder {
        let schema = Schema::from_toml(&format!(
            "time_features = false\n[timestamp]\nfield = \"ts\"\n[[event.numeric]]\nname = \"a\"\ndeviation = {deviation}\n[[event.numeric]]\nname = \"b\"\n"
        ))
        .unwrap();
        Encoder::fit(&schema, sessions).unwrap()
    }

    /// Field `a` separates validation perfectly when read descending, `b` ascending but with one
    /// pair out of order (AUC 3/4): `a` descending wins, and its test AUC is computed on the
    /// test split by hand (positives 5 and 1 against negatives 2 and missing: 3 of 4 pairs).
    #[test]
    fn picks_field_and_direction_on_validation_and_scores_test() {
        let valid = [
            session(true, &[[Some(9.0), Some(1.0)]]),
            session(true, &[[Some(8.0), Some(3.0)]]),
            session(false, &[[Some(1.0), Some(2.0)]]),
            session(false, &[[Some(2.0), Some(4.0)]]),
        ];
        let test = [
            session(true, &[[Some(5.0), None]]),
            session(true, &[[Some(1.0), None]]),
            session(false, &[[Some(2.0), None]]),
            session(false, &[[None, None]]),
        ];
        let v: Vec<&Session> = valid.iter().collect();
        let t: Vec<&Session> = test.iter().collect();
        let enc = encoder(false, &v);
        let best = best_single_feature(&enc, &v, &t).unwrap();
        assert_eq!((best.label(), best.valid_auc), ("a".to_string(), 1.0));
        assert_eq!(best.test.auc, 0.75);
        assert_eq!(best.scores(&enc, &t), [5.0, 1.0, 2.0, f64::NEG_INFINITY]);
        // with `a` missing everywhere, `b` in the ascending direction wins (3 of 4 pairs)
        let only_b: Vec<Session> = valid
            .iter()
            .map(|s| {
                session(
                    s.label == Some(true),
                    &[[None, s.events[0].values.numeric[1]]],
                )
            })
            .collect();
        let v: Vec<&Session> = only_b.iter().collect();
        let best = best_single_feature(&enc, &v, &t).unwrap();
        assert_eq!((best.label(), best.valid_auc), ("−b".to_string(), 0.75));
    }

    /// With `deviation = true` the rule may read the last amount against the session's
    /// earlier ones: here the positives pay three times their usual, the negatives about their
    /// usual, so `a` alone ranks half the pairs right and `a_deviation` all of them.
    #[test]
    fn reads_a_deviation_from_the_session_history() {
        let pair = |x: f64| [Some(x), Some(0.0)];
        let valid = [
            session(true, &[pair(1.0), pair(3.0)]),
            session(true, &[pair(3.0), pair(9.0)]),
            session(false, &[pair(7.0), pair(7.0)]),
            session(false, &[pair(9.0), pair(8.0)]),
        ];
        let v: Vec<&Session> = valid.iter().collect();
        let enc = encoder(true, &v);
        assert_eq!(enc.rule_fields(), ["a", "b", "a_deviation"]);
        assert_eq!(enc.rule_value(&valid[1], 2), Some(6.0));
        assert_eq!(enc.rule_value(&valid[3], 2), Some(-1.0));
        let best = best_single_feature(&enc, &v, &v).unwrap();
        assert_eq!(
            (best.label(), best.valid_auc),
            ("a_deviation".to_string(), 1.0)
        );
        assert_eq!(best.scores(&enc, &v), [2.0, 6.0, 0.0, -1.0]);
        assert!(
            best_single_feature(&enc, &v[..2], &v).is_none(),
            "one class only"
        );
    }
}

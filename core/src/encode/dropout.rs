//! Value dropout: a regulariser of high-cardinality categorical fields that works through the
//! encoding, so it serves every model that reads the event slots (NHFM, DIFM, the flat
//! baselines) with one code path.
//!
//! While training, each categorical value of an event or of the profile is replaced by its
//! field's out-of-vocabulary id with probability `rate`, independently. A field of thousands of
//! values (terminals, merchants) can then no longer be memorised row by row: the model must
//! score well when a value is unknown, and its OOV rows learn what an unseen value means, which
//! is what a later session with a new terminal looks like. The same idea as word dropout in
//! language models (Gal & Ghahramani 2016, "A Theoretically Grounded Application of Dropout in
//! Recurrent Neural Networks", §4: dropping word types). Scoring never drops anything.

use super::{EncodedSession, Encoder, FeatureId, OOV};
use rand::Rng;

/// The dictionary ids value dropout may replace, and by what.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueDropout {
    /// Probability of replacing a value.
    pub rate: f64,
    /// Per event slot, the first id of its field when it is categorical.
    event: Vec<Option<(usize, usize)>>,
    /// Per profile slot, the same.
    profile: Vec<Option<(usize, usize)>>,
}

/// The OOV id of the field with ids `first..first + len` for `index`, when `index` is one of
/// its values (neither padding nor OOV already).
fn oov(index: FeatureId, (first, len): (usize, usize)) -> Option<FeatureId> {
    let i = usize::try_from(index).ok()?;
    (first + OOV as usize + 1..first + len)
        .contains(&i)
        .then_some((first + OOV as usize) as FeatureId)
}

impl ValueDropout {
    /// Value dropout at `rate` over `encoder`'s categorical fields (event and profile; numeric
    /// fields, bucketed or not, and the derived `hour_of_day` are never dropped: an hour is
    /// never unseen).
    pub fn new(encoder: &Encoder, rate: f64) -> Self {
        let cats = encoder.schema.event.categorical.len();
        let event = (0..encoder.event_fields())
            .map(|j| {
                (j < cats).then(|| {
                    let ids = encoder.event_categorical_ids(j);
                    (ids.start, ids.len())
                })
            })
            .collect();
        let profile_cats = encoder.profile_vocabs.len();
        let profile = encoder
            .profile_slot_ids()
            .into_iter()
            .enumerate()
            .map(|(j, ids)| (j < profile_cats).then_some((ids.start, ids.len())))
            .collect();
        Self {
            rate,
            event,
            profile,
        }
    }

    /// A copy of `s` with values dropped (each with probability `rate`, drawn from `rng`).
    pub fn apply(&self, s: &EncodedSession, rng: &mut impl Rng) -> EncodedSession {
        let mut out = s.clone();
        let f = self.event.len();
        for (k, index) in out.event_index.iter_mut().enumerate() {
            if let Some(o) = self.event[k % f].and_then(|field| oov(*index, field))
                && rng.random_bool(self.rate)
            {
                *index = o;
            }
        }
        for (index, field) in out.profile_index.iter_mut().zip(&self.profile) {
            if let Some(o) = field.and_then(|field| oov(*index, field))
                && rng.random_bool(self.rate)
            {
                *index = o;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;
    use crate::schema::{Limits, Schema, parse_session_json};
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    /// Rate 1 sends every known categorical value (event and profile) to its field's OOV id
    /// and leaves padding, OOV, hours and numbers alone; rate 0 changes nothing; a rate in
    /// between drops about that share.
    #[test]
    fn drops_categorical_values_to_their_field_s_oov_id() {
        let schema = Schema::from_toml(
            "max_events = 3\n[timestamp]\nfield = 'ts'\n[[event.categorical]]\nname = 'kind'\n[[event.numeric]]\nname = 'amount'\n[[profile.categorical]]\nname = 'tier'\n",
        )
        .unwrap();
        let s = parse_session_json(
            r#"{"id":"a","profile":{"tier":"gold"},"events":[{"ts":1,"kind":"pay","amount":3},{"ts":2,"kind":"login","amount":4}]}"#,
            &schema,
            &Location::new("t", 1),
            &Limits::default(),
        )
        .unwrap();
        let enc = Encoder::fit(&schema, &[&s]).unwrap();
        let e = enc.encode(&s);
        let mut rng = SmallRng::seed_from_u64(1);
        let all = ValueDropout::new(&enc, 1.0).apply(&e, &mut rng);
        // fields: kind, hour_of_day, amount, log_gap; kind's ids start at 1 (OOV id 2)
        let kind_oov = enc.event_categorical_ids(0).start as FeatureId + 1;
        for t in 1..3 {
            assert_eq!(all.event_index[t * 4], kind_oov, "slot {t}");
            assert_eq!(
                all.event_index[t * 4 + 1..t * 4 + 4],
                e.event_index[t * 4 + 1..t * 4 + 4]
            );
        }
        assert_eq!(all.event_index[..4], [0; 4], "padding stays");
        assert_eq!(all.event_value, e.event_value);
        let tier_oov = enc.profile_slot_ids()[0].start as FeatureId + 1;
        assert_eq!(all.profile_index, [tier_oov]);
        assert_eq!(ValueDropout::new(&enc, 0.0).apply(&e, &mut rng), e);
        // half of 2,000 draws, within 5 standard deviations (±112)
        let half = ValueDropout::new(&enc, 0.5);
        let dropped: usize = (0..1000)
            .map(|_| {
                let d = half.apply(&e, &mut rng);
                (1..3).filter(|t| d.event_index[t * 4] == kind_oov).count()
            })
            .sum();
        assert!((888..=1112).contains(&dropped), "{dropped}");
    }
}

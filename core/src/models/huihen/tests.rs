use super::*;
use crate::encode::{EncodedSession, Encoder, split_sessions};
use crate::models::test_sessions;
use crate::schema::Session;

/// The synthetic test sessions with their events spread over several behavior sessions: a
/// two-hour gap after every fourth event.
fn spread_sessions() -> (Encoder, Vec<Session>) {
    let (mut encoder, mut sessions) = test_sessions::encoder(20);
    for s in &mut sessions {
        for (i, e) in s.events.iter_mut().enumerate() {
            e.ts += 7200.0 * (i / 4) as f64;
        }
    }
    encoder.session_view = true;
    (encoder, sessions)
}

fn logits(model: &Huihen, encoder: &Encoder, sessions: &[Session]) -> Vec<f32> {
    let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    let refs: Vec<&EncodedSession> = encoded.iter().collect();
    let batch = crate::encode::Batch::new(&refs, &Device::flex());
    model
        .forward(&batch)
        .logits
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
}

/// More session slots and more behavior slots (all padding) change no score.
#[test]
fn padding_sessions_and_behaviors_changes_nothing() {
    let (encoder, sessions) = spread_sessions();
    let model = HuihenConfig::for_encoder(&encoder).init(&Device::flex());
    // exactly as many session slots as the user with the most sessions needs
    let most = sessions
        .iter()
        .map(|s| {
            let ts: Vec<f64> = s.events.iter().map(|e| e.ts).collect();
            split_sessions(&ts, &encoder.schema.sessions).len()
        })
        .max()
        .unwrap();
    assert!(most >= 3, "{most}");
    let mut small = encoder.clone();
    small.schema.sessions.max_sessions = most;
    small.schema.sessions.max_behaviors = 4;
    let mut large = small.clone();
    large.schema.sessions.max_sessions = most + 5;
    large.schema.sessions.max_behaviors = 9;
    let (a, b) = (
        logits(&model, &small, &sessions),
        logits(&model, &large, &sessions),
    );
    for (a, b) in a.iter().zip(&b) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

/// Without a session view the model is the UPI layer on `[0; 0; x_user; x_item]`; a user
/// with no session of at least `min_behaviors` behaviors scores the same.
#[test]
fn profile_only_is_zero_sequence_parts() {
    let (mut encoder, mut sessions) = spread_sessions();
    let model = HuihenConfig::for_encoder(&encoder).init(&Device::flex());
    encoder.schema.sessions.min_behaviors = 1000;
    encoder.schema.sessions.max_behaviors = 1000;
    sessions.truncate(5);
    let with_empty_view = logits(&model, &encoder, &sessions);
    encoder.session_view = false;
    let profile_only = logits(&model, &encoder, &sessions);
    for (a, b) in with_empty_view.iter().zip(&profile_only) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

/// The per-session explanations are `[B, S]`, zero on padded sessions, and the ordinary-GRU
/// variant has no time gate (reported as 1 on real sessions).
#[test]
fn session_explanations_follow_the_view() {
    let (mut encoder, sessions) = spread_sessions();
    encoder.schema.sessions.max_sessions = 10;
    let device = Device::flex();
    let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    let refs: Vec<&EncodedSession> = encoded.iter().collect();
    let batch = crate::encode::Batch::new(&refs, &device);
    let masks: Vec<f32> = encoded
        .iter()
        .flat_map(|e| e.sessions.as_ref().unwrap().session_mask.clone())
        .collect();
    for variant in [HuihenVariant::Full, HuihenVariant::Gru] {
        let model = HuihenConfig::for_encoder(&encoder)
            .with_variant(variant)
            .init(&device);
        let out = model.forward(&batch);
        for w in [
            out.session_intention,
            out.session_time_gate,
            out.session_update_gate,
        ] {
            let w = w.unwrap();
            assert_eq!(w.dims(), [sessions.len(), 10]);
            let w = w.into_data().try_to_vec::<f32>().unwrap();
            for (w, m) in w.iter().zip(&masks) {
                assert!(*m == 1.0 || *w == 0.0, "padded session weighed {w}");
            }
        }
    }
}

/// A session too short to keep (fewer than `min_behaviors`) before the others changes no score:
/// the view drops it. (Without the derived `log_gap`, which would see the new gap before the
/// first kept behavior.)
#[test]
fn dropped_short_sessions_change_nothing() {
    let (_, sessions) = spread_sessions();
    let mut schema = crate::schema::Schema::synthetic_default();
    schema.time_features = false;
    let refs: Vec<&Session> = sessions.iter().collect();
    let mut encoder = Encoder::fit(&schema, &refs).unwrap();
    encoder.session_view = true;
    let model = HuihenConfig::for_encoder(&encoder).init(&Device::flex());
    let with_noise: Vec<Session> = sessions
        .iter()
        .map(|s| {
            let mut s = s.clone();
            let first = s.events[0].ts;
            let mut early = s.events[..2].to_vec();
            for (k, e) in early.iter_mut().enumerate() {
                e.ts = first - 36_000.0 + k as f64;
            }
            s.events.splice(0..0, early);
            s
        })
        .collect();
    let (a, b) = (
        logits(&model, &encoder, &sessions),
        logits(&model, &encoder, &with_noise),
    );
    for (a, b) in a.iter().zip(&b) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

/// On the credit scenario's schema, the amount (`scale_by` of `operation`) is the one slot the
/// field-aware layer leaves out; every other slot, categorical or numeric, is a behavior field.
#[test]
fn the_amount_is_read_only_through_the_operation_it_scales() {
    let data = crate::synth::credit::generate_credit(crate::synth::credit::CreditConfig {
        users: 60,
        old_users: 0,
        ..Default::default()
    });
    let refs: Vec<&Session> = data.users.iter().collect();
    let encoder = Encoder::fit(&crate::schema::Schema::credit_default(), &refs).unwrap();
    let names = encoder.event_field_names();
    let config = HuihenConfig::for_encoder(&encoder);
    let left_out: Vec<&str> = (0..names.len())
        .filter(|j| !config.behavior_slots().contains(j))
        .map(|j| names[j].as_str())
        .collect();
    assert_eq!(left_out, ["amount"], "{names:?}");
    assert_eq!(
        config
            .init(&Device::flex())
            .field_aware
            .field_weights
            .dims()[0],
        names.len() - 1
    );
}

/// A slot marked as an amount (`scale_slots`) reaches no score: changing its values in every
/// behavior leaves the logits as they were, while the same change moves them when the slot is
/// a behavior field (the paper-exact form is not a no-op).
#[test]
fn a_scale_slot_changes_no_score() {
    let (encoder, sessions) = spread_sessions();
    let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    let refs: Vec<&EncodedSession> = encoded.iter().collect();
    let batch = crate::encode::Batch::new(&refs, &Device::flex());
    let k = encoder.event_fields() - 1;
    let mut altered = batch.clone();
    let sb = altered.sessions.as_mut().unwrap();
    let [b, s, l, _] = sb.behavior_value.dims();
    sb.behavior_value = sb.behavior_value.clone().slice_assign(
        [0..b, 0..s, 0..l, k..k + 1],
        Tensor::ones([b, s, l, 1], &Device::flex()) * 3.0,
    );
    let logits = |model: &Huihen, batch: &crate::encode::Batch| {
        model
            .forward(batch)
            .logits
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    };
    let mut slots = vec![false; encoder.event_fields()];
    slots[k] = true;
    let config = HuihenConfig::for_encoder(&encoder).with_scale_slots(slots);
    let left_out = config.init(&Device::flex());
    assert_eq!(logits(&left_out, &batch), logits(&left_out, &altered));
    let read = HuihenConfig::for_encoder(&encoder).init(&Device::flex());
    assert_ne!(logits(&read, &batch), logits(&read, &altered));
}

//! Test support shared by the models' tests: a fitted encoder and its synthetic sessions.

use crate::encode::{Batch, EncodedSession, Encoder};
use crate::schema::{Schema, Session};
use crate::synth::{SynthConfig, generate_sessions};
use burn::prelude::*;

/// 40 synthetic sessions (30% fraudulent) and an encoder fitted on them with `T = max_events`.
pub fn encoder(max_events: usize) -> (Encoder, Vec<Session>) {
    let mut schema = Schema::synthetic_default();
    schema.max_events = max_events;
    let sessions: Vec<_> = generate_sessions(SynthConfig {
        sessions: 40,
        fraud_rate: 0.3,
        ..Default::default()
    });
    let refs: Vec<&Session> = sessions.iter().collect();
    (Encoder::fit(&schema, &refs).unwrap(), sessions)
}

/// `sessions` encoded by `encoder` as one batch on the Flex CPU device.
pub fn batch(encoder: &Encoder, sessions: &[Session]) -> Batch {
    let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    let refs: Vec<&EncodedSession> = encoded.iter().collect();
    Batch::new(&refs, &Device::flex())
}

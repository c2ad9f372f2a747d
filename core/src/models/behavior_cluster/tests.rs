use super::*;
use crate::encode::EncodedSession;
use crate::models::test_sessions;
use crate::schema::Session;

fn model(encoder: &Encoder) -> SequenceEmbedding {
    SequenceEmbeddingConfig::for_encoder(encoder, "page", "dwell_ms")
        .unwrap()
        .with_embedding_dim(8)
        .with_lstm_hidden(6)
        .with_bottleneck(5)
        .init(&Device::flex())
}

fn run(m: &SequenceEmbedding, encoder: &Encoder, sessions: &[&Session]) -> SequenceEmbeddingOutput {
    let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    let refs: Vec<&EncodedSession> = encoded.iter().collect();
    m.forward(&Batch::new(&refs, &Device::flex()))
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// A short session alone and beside longer ones (more padding in front of it): the same
/// embedding; the time attention sums to one over the real history and is 0 on padding.
#[test]
fn padding_changes_nothing_and_attention_sums_to_one() {
    let (encoder, sessions) = test_sessions::encoder(12);
    let m = model(&encoder);
    let mut short = sessions[0].clone();
    short.events.truncate(4);
    let alone = values(run(&m, &encoder, &[&short]).embedding);
    let out = run(&m, &encoder, &[&short, &sessions[1], &sessions[2]]);
    let together = values(out.embedding.clone());
    for (a, b) in alone.iter().zip(&together[..5]) {
        assert!((a - b).abs() < 1e-5, "{alone:?} vs {together:?}");
    }
    assert_eq!(out.embedding.dims(), [3, 5]);
    let att = values(out.time_attention);
    // the short session's history is its first 3 events, right-aligned in 11 slots
    let row = &att[..11];
    assert!(row[..8].iter().all(|&w| w == 0.0), "{row:?}");
    assert!((row[8..].iter().sum::<f32>() - 1.0).abs() < 1e-5, "{row:?}");
    for r in att.chunks(11).skip(1) {
        assert!((r.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{r:?}");
    }
}

/// The next-event target is the current event's page as a class of the page vocabulary.
#[test]
fn targets_are_the_current_pages() {
    let (encoder, sessions) = test_sessions::encoder(12);
    let m = model(&encoder);
    let encoded: Vec<EncodedSession> = sessions[..4].iter().map(|s| encoder.encode(s)).collect();
    let refs: Vec<&EncodedSession> = encoded.iter().collect();
    let batch = Batch::new(&refs, &Device::flex());
    let targets: Vec<i64> = m
        .next_event_targets(&batch)
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .unwrap();
    let page = encoder
        .event_field_names()
        .iter()
        .position(|n| n == "page")
        .unwrap();
    for (s, t) in sessions[..4].iter().zip(targets) {
        let last = s.events.last().unwrap().values.categorical[page].as_deref();
        assert_eq!(
            t,
            i64::from(encoder.event_vocabs[page].id(last)),
            "{}",
            s.id
        );
    }
    assert_eq!(
        run(&m, &encoder, &[&sessions[0]]).next_event_logits.dims(),
        [1, encoder.event_vocabs[page].len()]
    );
}

#[test]
fn fields_must_exist() {
    let (encoder, _) = test_sessions::encoder(12);
    let err = SequenceEmbeddingConfig::for_encoder(&encoder, "pages", "dwell_ms")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`pages` is not an event categorical field"),
        "{err}"
    );
    let err = SequenceEmbeddingConfig::for_encoder(&encoder, "page", "page")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`page` is not an event numeric field"),
        "{err}"
    );
}

use super::*;
use crate::encode::Encoder;
use crate::models::test_sessions::{
    assert_block_sums, batch, current_event_fm, encoder, mlp_reading,
};
use crate::schema::Session;
use burn::module::Param;

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// Eq. (6) by hand. Two fields over three events, the first event padding:
/// field 0 has x v = a = (1, 2) then b = (3, −1); field 1 has c = (0.5, 4) then d = (2, 2).
/// `f_0 = a ⊙ b = (3, −2)`, `f_1 = c ⊙ d = (1, 8)`; Eq. (8) gives `e_t = a ⊙ c`, `b ⊙ d`.
#[test]
fn eq6_and_eq8_by_hand() {
    let device = Device::flex();
    let mut embedding = FieldEmbeddingConfig::new(5, 2).init(&device);
    // v_0 = pad, v_1 = (1, 2), v_2 = (1.5, −0.5), v_3 = (0.5, 4), v_4 = (1, 1)
    embedding.embedding.weight = Param::from_tensor(Tensor::from_data(
        [[0.0, 0.0], [1.0, 2.0], [1.5, -0.5], [0.5, 4.0], [1.0, 1.0]],
        &device,
    ));
    let index = Tensor::<3, Int>::from_data([[[0, 0], [1, 3], [2, 4]]], &device);
    let value = Tensor::<3>::from_data([[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]], &device);
    let pools = embedding.pools(index, value, true);
    assert_eq!(
        values(pools.over_events.expect("asked for")),
        vec![3.0, -2.0, 1.0, 8.0]
    );
    // a ⊙ c = (0.5, 8), b ⊙ d = (6, −2)
    assert_eq!(
        values(pools.over_fields),
        vec![0.0, 0.0, 0.5, 8.0, 6.0, -2.0]
    );
}

fn run(model: &Difm, enc: &Encoder, sessions: &[Session]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let out = model.forward(&batch(enc, sessions));
    (
        values(out.logits),
        values(out.field_importance.unwrap()),
        values(out.event_importance.unwrap()),
    )
}

/// The same sessions behind more left padding (T = 60 instead of 40, longer than any session)
/// give the same logits, the same field importance and the same event importance on their real
/// events, and no weight on padding.
#[test]
fn appending_padding_does_not_change_the_score() {
    let (enc40, sessions) = encoder(40);
    let (enc60, _) = encoder(60);
    assert!(sessions.iter().all(|s| s.events.len() <= 40));
    let device = Device::flex();
    device.seed(7);
    let model = DifmConfig::new(enc40.num_features()).init(&device);
    let (l40, f40, e40) = run(&model, &enc40, &sessions);
    let (l60, f60, e60) = run(&model, &enc60, &sessions);
    let close = |a: &[f32], b: &[f32], what: &str| {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-5, "{what} {x} vs {y}");
        }
    };
    close(&l40, &l60, "logit");
    close(&f40, &f60, "field importance");
    for (row40, row60) in e40.chunks(39).zip(e60.chunks(59)) {
        assert!(row60[..20].iter().all(|&w| w == 0.0), "padding has weight");
        close(row40, &row60[20..], "event importance");
    }
    // every field weight row is a distribution over the F fields
    let f = enc40.event_fields();
    for row in f40.chunks(f) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{row:?}");
    }
}

#[test]
fn ablations_drop_their_outputs_and_same_shares_one_projection() {
    let (enc, sessions) = encoder(20);
    let device = Device::flex();
    let batch = batch(&enc, &sessions);
    let build = |v| {
        DifmConfig::new(enc.num_features())
            .with_variant(v)
            .init(&device)
    };
    let alpha = build(DifmVariant::Alpha).forward(&batch);
    assert!(alpha.field_importance.is_some() && alpha.event_importance.is_none());
    let beta = build(DifmVariant::Beta).forward(&batch);
    assert!(beta.field_importance.is_none() && beta.event_importance.is_some());
    assert_eq!(beta.logits.dims(), [sessions.len()]);
    let same = build(DifmVariant::Same);
    for m in [&same.field_importance, &same.event_importance] {
        let m = m.as_ref().unwrap();
        assert!(m.f2.is_none() && m.f3.is_none());
    }
    let out = same.forward(&batch);
    assert!(out.field_importance.is_some() && out.event_importance.is_some());
}

/// Eq. (11) put together: `ŷ = σ(MLP([f; e_his; e_T]) + f(x))`, and the ablations' `[f; e_T]`
/// (DIFM-α), `[e_his; e_T]` (DIFM-β) and DIFM-same's shared projection. The MLP is set to read
/// `u · s` exactly ([`mlp_reading`]) and the wide part to its bias 0.25 alone; with `u`
/// selecting one block at a time the logit is that block's sum plus 0.25. `e_T` is worked out
/// by hand from the embedding table ([`current_event_fm`], Eq. 8 on the current event's slot);
/// `f` (Eq. 7) and `e_his` (Eq. 9) are the importance modules applied to the FM pools of Eqs.
/// (6) and (8), over the fields and over the history alone.
#[test]
fn eq11_reads_f_then_e_his_then_the_current_event() {
    let (enc, sessions) = encoder(8);
    let b = batch(&enc, &sessions);
    let [rows, t, fields] = b.event_index.dims();
    let k = 2;
    for (variant, blocks) in [
        (DifmVariant::Full, 3),
        (DifmVariant::Alpha, 2),
        (DifmVariant::Beta, 2),
        (DifmVariant::Same, 3),
    ] {
        let device = Device::flex();
        device.seed(3);
        let mut model = DifmConfig::new(enc.num_features())
            .with_embedding_dim(k)
            .with_mlp_hidden(2 * blocks * k)
            .with_dropout(0.0)
            .with_variant(variant)
            .init(&device);
        model.wide.bias = Param::from_tensor(Tensor::from_data([0.25], &device));
        let pools = model
            .embedding
            .pools(b.event_index.clone(), b.event_value.clone(), true);
        let mut expected = Vec::new();
        if let (Some(m), Some(over_events)) = (&model.field_importance, pools.over_events) {
            let all = Tensor::ones([rows, fields], &device);
            expected.push(values(m.forward(over_events, all).pooled));
        }
        if let Some(m) = &model.event_importance {
            let history = pools.over_fields.narrow(1, 0, t - 1);
            let q = b.event_mask.clone().narrow(1, 0, t - 1);
            expected.push(values(m.forward(history, q).pooled));
        }
        expected.push(current_event_fm(&model.embedding, &b));
        assert_eq!(expected.len(), blocks, "{variant:?}");
        for (block, want) in expected.iter().enumerate() {
            mlp_reading(&mut model.mlp, blocks * k, block * k..(block + 1) * k);
            let logits = values(model.forward(&b).logits);
            assert_block_sums(&logits, want, k, 0.25, block);
        }
    }
}

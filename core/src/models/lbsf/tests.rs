use super::*;
use crate::encode::{EncodedSession, Encoder, PAYMENT_NUMERIC};
use crate::schema::{Schema, Session};
use crate::synth::payments::{PaymentsConfig, generate_payments};

/// 12 synthetic users with long payment histories and an encoder with a small fold.
fn users() -> (Encoder, Vec<Session>) {
    let mut schema = Schema::payments_default();
    schema.merchants.max_merchants = 12;
    schema.merchants.max_payments = Some(6);
    let users = generate_payments(PaymentsConfig {
        users: 12,
        median_payments: 120.0,
        ..Default::default()
    });
    let refs: Vec<&Session> = users.iter().collect();
    let mut encoder = Encoder::fit(&schema, &refs).unwrap();
    encoder.payment_view = Some(crate::encode::PaymentView::Folded);
    (encoder, users)
}

fn small_model(encoder: &Encoder) -> Lbsf {
    LbsfConfig::for_encoder(encoder)
        .with_d_model(16)
        .with_n_heads(4)
        .with_d_ff(32)
        .init(&Device::flex())
}

fn forward(model: &Lbsf, encoder: &Encoder, users: &[&Session]) -> LbsfOutput {
    let encoded: Vec<EncodedSession> = users.iter().map(|s| encoder.encode(s)).collect();
    let refs: Vec<&EncodedSession> = encoded.iter().collect();
    model.forward(&crate::encode::Batch::new(&refs, &Device::flex()))
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// A user alone, and the same user in a batch whose other users need more merchant slots and
/// more payment slots: the padding changes nothing.
#[test]
fn padded_merchants_and_payments_change_no_score() {
    let (encoder, users) = users();
    let model = small_model(&encoder);
    // a user with few merchants, cut to 2 payments each, next to full users
    let mut few = users[0].clone();
    let keep: Vec<String> = {
        let view = encoder.encode(&few).folds.unwrap();
        view.merchants
            .iter()
            .take(3)
            .filter_map(|m| m.name.clone())
            .collect()
    };
    few.events.retain(|e| {
        e.values.categorical[0]
            .as_ref()
            .is_some_and(|m| keep.iter().any(|k| k == m))
    });
    let mut seen = std::collections::HashMap::<String, usize>::new();
    few.events.retain(|e| {
        let n = seen
            .entry(
                e.values.categorical[0]
                    .as_deref()
                    .unwrap_or_default()
                    .to_string(),
            )
            .or_default();
        *n += 1;
        *n <= 2
    });
    let alone = values(forward(&model, &encoder, &[&few]).logits);
    let batch: Vec<&Session> = std::iter::once(&few).chain(users.iter().skip(1)).collect();
    let out = forward(&model, &encoder, &batch);
    let together = values(out.logits);
    assert!(
        (alone[0] - together[0]).abs() < 1e-5,
        "{alone:?} vs {}",
        together[0]
    );
    // the batch really is padded for this user: 12 merchant slots of 6 payments
    assert_eq!(out.merchant_attention.dims(), [batch.len(), 12]);
    assert_eq!(out.payment_attention.dims(), [batch.len(), 12 * 6]);
}

/// The [CLS] attention sums to one over each user's real merchants and is 0 on padding; each
/// real merchant's payment attention sums to one over its real payments.
#[test]
fn attention_sums_to_one_over_real_merchants_and_payments() {
    let (encoder, users) = users();
    let model = small_model(&encoder);
    let mut short = users[3].clone();
    short.events.truncate(4);
    let batch: Vec<&Session> = vec![&users[0], &short, &users[1]];
    let out = forward(&model, &encoder, &batch);
    let (m, p) = (12, 6);
    let cls = values(out.merchant_attention);
    let pay = values(out.payment_attention);
    for (u, user) in batch.iter().enumerate() {
        let view = encoder.encode(user).folds.unwrap();
        let row = &cls[u * m..(u + 1) * m];
        let real = view.merchants.len();
        let sum: f32 = row[..real].iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "user {u}: {sum}");
        assert!(row[real..].iter().all(|&w| w == 0.0), "{row:?}");
        for (k, merchant) in view.merchants.iter().enumerate() {
            let slots = &pay[(u * m + k) * p..(u * m + k + 1) * p];
            let kept = merchant.events.len();
            let sum: f32 = slots[p - kept..].iter().sum();
            assert!((sum - 1.0).abs() < 1e-5, "user {u} merchant {k}: {slots:?}");
            assert!(slots[..p - kept].iter().all(|&w| w == 0.0), "{slots:?}");
        }
    }
}

/// Merchants are a set: the order of their slots does not change the score.
#[test]
fn merchant_order_does_not_matter() {
    let (encoder, users) = users();
    let model = small_model(&encoder);
    let encoded = encoder.encode(&users[2]);
    let mut reversed = encoded.clone();
    if let Some(view) = reversed.folds.as_mut() {
        view.merchants.reverse();
    }
    assert!(encoded.folds.as_ref().unwrap().merchants.len() >= 3);
    let logit = |e: &EncodedSession| {
        values(
            model
                .forward(&crate::encode::Batch::new(&[e], &Device::flex()))
                .logits,
        )[0]
    };
    assert!((logit(&encoded) - logit(&reversed)).abs() < 1e-5);
}

/// A user without payments still scores (the [CLS] token alone), with no merchant weights.
#[test]
fn user_without_payments_scores() {
    let (encoder, users) = users();
    let model = small_model(&encoder);
    let mut empty = users[0].clone();
    empty.events.clear();
    let alone = forward(&model, &encoder, &[&empty]);
    let logit = values(alone.logits)[0];
    assert!(logit.is_finite());
    assert!(values(alone.merchant_attention).iter().all(|&w| w == 0.0));
    let with_others = values(forward(&model, &encoder, &[&empty, &users[1]]).logits);
    assert!((with_others[0] - logit).abs() < 1e-5);
}

/// Pretrained merchant vectors move the scores of users with those merchants only, and a
/// merchant without a vector adds nothing (the projection has no bias).
#[test]
fn merchant_vectors_reach_only_their_merchants() {
    use crate::encode::MerchantVectors;
    let (mut encoder, users) = users();
    let target = encoder.encode(&users[0]).folds.unwrap().merchants[0]
        .name
        .clone()
        .unwrap();
    let without: Vec<&Session> = users
        .iter()
        .filter(|u| {
            !u.events
                .iter()
                .any(|e| e.values.categorical[0].as_deref() == Some(target.as_str()))
        })
        .collect();
    assert!(!without.is_empty());
    let vectors = MerchantVectors::new(vec![(target.clone(), vec![0.0, 0.0, 0.0])], "t").unwrap();
    encoder.merchant_vector_keys = vectors.names().to_vec();
    let config = LbsfConfig::for_encoder(&encoder)
        .with_d_model(16)
        .with_d_ff(32)
        .with_merchant_vectors(Some([2, 3]));
    let zeros = config.init(&Device::flex());
    let ones = config
        .init(&Device::flex())
        .with_merchant_vectors(Tensor::from_data(
            [[0.0; 3], [1.0, -2.0, 3.0]],
            &Device::flex(),
        ));
    // the same weights but for the table: copy them over
    let ones = Lbsf {
        merchant_vectors: ones.merchant_vectors,
        ..zeros.clone()
    };
    let with_target = [&users[0]];
    let (a, b) = (
        values(forward(&zeros, &encoder, &with_target).logits),
        values(forward(&ones, &encoder, &with_target).logits),
    );
    assert!((a[0] - b[0]).abs() > 1e-6, "{a:?} vs {b:?}");
    let (a, b) = (
        values(forward(&zeros, &encoder, &without).logits),
        values(forward(&ones, &encoder, &without).logits),
    );
    assert_eq!(a, b);
}

/// A batch's fold view read back on the host, to rebuild its sequences one at a time.
struct Unbatched<'a> {
    folds: &'a crate::encode::FoldBatch,
    /// `[U, d]` the batch's text embeddings.
    texts: Tensor<2>,
    merchant_mask: Vec<f32>,
    payment_mask: Vec<f32>,
    payment_text: Vec<i64>,
    merchant_text: Vec<i64>,
}

impl<'a> Unbatched<'a> {
    fn new(folds: &'a crate::encode::FoldBatch, text_encoder: &TextEncoder) -> Self {
        let [b, m, p] = folds.payment_mask.dims();
        let ints = |t: Tensor<2, Int>| t.into_data().iter::<i64>().collect::<Vec<_>>();
        Self {
            folds,
            texts: text_encoder.forward(folds.texts.clone()),
            merchant_mask: values(folds.merchant_mask.clone()),
            payment_mask: values(folds.payment_mask.clone()),
            payment_text: ints(folds.payment_text.clone().reshape([b * m, p])),
            merchant_text: ints(folds.merchant_text.clone()),
        }
    }

    /// User `u`'s real merchant slots.
    fn merchants(&self, u: usize) -> Vec<usize> {
        let m = self.folds.merchant_mask.dims()[1];
        (0..m)
            .filter(|&j| self.merchant_mask[u * m + j] == 1.0)
            .collect()
    }

    /// `[n, d]` the text embeddings of rows `ids`.
    fn texts(&self, ids: Vec<i64>) -> Tensor<2> {
        let n = ids.len();
        let ids = Tensor::<1, Int>::from_data(TensorData::new(ids, [n]), &self.texts.device());
        self.texts.clone().select(0, ids)
    }

    /// `[1, d]` user `u`'s merchant slot `j` through `sequence` by hand, with no padding: its
    /// real payments (oldest first, position 0 the most recent) through the behaviour
    /// encoding and the Transformer, averaged (LBSF's Eq. 3); and how many they are.
    fn sequence(&self, sequence: &PaymentSequence, u: usize, j: usize) -> (Tensor<2>, usize) {
        let [_, m, p] = self.folds.payment_mask.dims();
        let row = u * m + j;
        let slots: Vec<usize> = (0..p)
            .filter(|&k| self.payment_mask[row * p + k] == 1.0)
            .collect();
        let l = slots.len();
        // the real payments fill the last slots, the most recent last
        assert_eq!(slots, (p - l..p).collect::<Vec<_>>(), "user {u}, slot {j}");
        let description = self.texts(
            slots
                .iter()
                .map(|&k| self.payment_text[row * p + k])
                .collect(),
        );
        let numeric = self
            .folds
            .payment_numeric
            .clone()
            .slice([u..u + 1, j..j + 1, p - l..p])
            .reshape([l, PAYMENT_NUMERIC]);
        let positions: Vec<i64> = slots.iter().map(|&k| (p - 1 - k) as i64).collect();
        let device = self.texts.device();
        let positions = sequence
            .payment_position
            .forward(Tensor::<2, Int>::from_data(
                TensorData::new(positions, [1, l]),
                &device,
            ));
        let d = self.texts.dims()[1];
        let behaviors = sequence.behavior_encoding.forward(
            Tensor::cat(vec![description, numeric], 1).reshape([1, l, d + PAYMENT_NUMERIC]),
        ) + positions;
        let pooled = sequence
            .transformer
            .forward(behaviors, no_padding(l))
            .output
            .mean_dim(1)
            .reshape([1, d]);
        (pooled, l)
    }
}

/// `[1, n]` all false: no padding.
fn no_padding(n: usize) -> Tensor<2, Bool> {
    Tensor::<2>::zeros([1, n], &Device::flex()).equal_elem(1.0)
}

/// The batch of `users` encoded by `encoder`.
fn batch_of(encoder: &Encoder, users: &[&Session]) -> crate::encode::Batch {
    let encoded: Vec<EncodedSession> = users.iter().map(|s| encoder.encode(s)).collect();
    let refs: Vec<&EncodedSession> = encoded.iter().collect();
    crate::encode::Batch::new(&refs, &Device::flex())
}

/// Eqs. (3)–(5) composed from the model's own layers one user and one merchant at a time, with
/// no padding anywhere: each real merchant's payments through the behaviour encoding, the
/// within-merchant Transformer and average pooling (Eq. 3), fused with the merchant's name
/// (§IV-D1); the user's merchants through the across-merchant Transformer (Eq. 4); `[CLS]`
/// before them through the relational layer (§IV-E); the MLP on `[CLS]` (Eq. 5). The batched
/// forward pass — merchants grouped by how many payment slots they need, users padded to the
/// batch's widest — gives the same logits.
#[test]
fn eqs_3_to_5_compose_as_written() {
    let (encoder, users) = users();
    let model = small_model(&encoder);
    let batch = batch_of(&encoder, &users.iter().take(5).collect::<Vec<_>>());
    let batched = values(model.forward(&batch).logits);
    let folds = batch.folds.as_ref().unwrap();
    let [_, m, p] = folds.payment_mask.dims();
    let view = Unbatched::new(folds, &model.text_encoder);
    let d = model.d_model;
    let mut padded_somewhere = false;
    for (u, &logit) in batched.iter().enumerate() {
        let mut merchants = Vec::new();
        for j in view.merchants(u) {
            // Eq. (3)
            let (h, l) = view.sequence(&model.intra_merchant, u, j);
            padded_somewhere |= l < p;
            let name = view.texts(vec![view.merchant_text[u * m + j]]);
            merchants.push(model.fusion.forward(Tensor::cat(vec![h, name], 1)));
        }
        let k = merchants.len();
        padded_somewhere |= k < m;
        // Eq. (4)
        let across = model
            .across_merchant
            .forward(Tensor::cat(merchants, 0).reshape([1, k, d]), no_padding(k))
            .output;
        let cls = model.cls.val().reshape([1, 1, d]);
        let user = model
            .relational
            .forward(Tensor::cat(vec![cls, across], 1), no_padding(k + 1))
            .output
            .narrow(1, 0, 1)
            .reshape([1, d]);
        // Eq. (5)
        let by_hand = values(model.head.forward(user))[0];
        assert!(
            (by_hand - logit).abs() <= 1e-5,
            "user {u}: by hand {by_hand}, batched {logit}"
        );
    }
    assert!(padded_somewhere, "the batch pads some merchant or user");
}

/// The flat Transformer baseline composed the same way: each user's most recent `max_events`
/// payments as one unpadded sequence through the payment encoding, the Transformer and average
/// pooling, then the MLP, equal to the batched forward pass (a user of 7 payments padded to
/// the 40 of the others: padding changes no score).
#[test]
fn flat_transformer_composes_as_written() {
    use crate::encode::PaymentView;
    use crate::models::baselines::FlatTransformerConfig;
    let (mut encoder, users) = users();
    encoder.schema.max_events = 40;
    encoder.payment_view = Some(PaymentView::Flat);
    let model = FlatTransformerConfig::for_encoder(&encoder)
        .with_d_model(16)
        .with_d_ff(32)
        .init(&Device::flex());
    let mut short = users[0].clone();
    short.events.truncate(7);
    let batch = batch_of(&encoder, &[&short, &users[1], &users[2]]);
    let batched = values(model.forward(&batch));
    let view = Unbatched::new(batch.folds.as_ref().unwrap(), &model.text_encoder);
    let mut lengths = Vec::new();
    for (u, &logit) in batched.iter().enumerate() {
        assert_eq!(view.merchants(u), [0], "one sequence per user");
        let (pooled, l) = view.sequence(&model.sequence, u, 0);
        lengths.push(l);
        let by_hand = values(model.head.forward(pooled))[0];
        assert!(
            (by_hand - logit).abs() <= 1e-5,
            "user {u}: by hand {by_hand}, batched {logit}"
        );
    }
    assert_eq!(lengths, [7, 40, 40]);
}

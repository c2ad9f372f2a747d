use super::*;
use crate::encode::EncodedSession;
use crate::models::test_sessions;
use crate::schema::Session;

/// A small network with the paper's decoder.
fn config(encoder: &Encoder) -> SequenceEmbeddingConfig {
    SequenceEmbeddingConfig::for_encoder(encoder, "page", "dwell_ms")
        .unwrap()
        .with_embedding_dim(8)
        .with_lstm_hidden(6)
        .with_bottleneck(5)
        .with_next_event(NextEvent::EveryStep)
}

fn model(encoder: &Encoder) -> SequenceEmbedding {
    config(encoder).init(&Device::flex())
}

fn batch_of(encoder: &Encoder, sessions: &[&Session]) -> Batch {
    let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    let refs: Vec<&EncodedSession> = encoded.iter().collect();
    Batch::new(&refs, &Device::flex())
}

fn run(m: &SequenceEmbedding, encoder: &Encoder, sessions: &[&Session]) -> SequenceEmbeddingOutput {
    m.forward(&batch_of(encoder, sessions))
}

/// The encoder and model of the test sessions, with a short session (4 events) and two longer
/// ones to pad it beside.
fn short_beside_longer() -> (Encoder, SequenceEmbedding, [Session; 3]) {
    let (encoder, sessions) = test_sessions::encoder(12);
    let m = model(&encoder);
    let mut short = sessions[0].clone();
    short.events.truncate(4);
    (
        encoder,
        m,
        [short, sessions[1].clone(), sessions[2].clone()],
    )
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// A short session alone and beside longer ones (more padding in front of it): the same
/// embedding; the time attention sums to one over the real history and is 0 on padding.
#[test]
fn padding_changes_nothing_and_attention_sums_to_one() {
    let (encoder, m, [short, longer, longest]) = short_beside_longer();
    let alone = values(run(&m, &encoder, &[&short]).embedding);
    let out = run(&m, &encoder, &[&short, &longer, &longest]);
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
    // the decoder's predictions of the short session's 3 next events, alone and padded
    let last_three = |sessions: &[&Session]| {
        let logits = m.predict_next(&batch_of(&encoder, sessions)).logits;
        let l = logits.dims()[1];
        values(logits.narrow(0, 0, 1).narrow(1, l - 3, 3))
    };
    let alone = last_three(&[&short]);
    let together = last_three(&[&short, &longer, &longest]);
    for (a, b) in alone.iter().zip(&together) {
        assert!((a - b).abs() < 1e-5, "{alone:?} vs {together:?}");
    }
}

/// The targets are the pages as classes of the page vocabulary: every step's next page (the
/// paper's objective), weighted where both the step and its next event are real; or the last
/// page alone.
#[test]
fn targets_are_the_next_pages() {
    let (encoder, m, sessions) = short_beside_longer();
    let refs: Vec<&Session> = sessions.iter().collect();
    let batch = batch_of(&encoder, &refs);
    let page = encoder
        .event_field_names()
        .iter()
        .position(|n| n == "page")
        .unwrap();
    let classes = |s: &Session| -> Vec<i64> {
        s.events
            .iter()
            .map(|e| {
                i64::from(encoder.event_vocabs[page].id(e.values.categorical[page].as_deref()))
            })
            .collect()
    };
    let ints = |t: Tensor<2, Int>| t.into_data().convert::<i64>().try_to_vec::<i64>().unwrap();
    let v = encoder.event_vocabs[page].len();
    // every step: steps 0..T − 1 predict slots 1..T; the short session (4 events,
    // right-aligned) has 3 predicted events, in its last 3 steps
    let l = batch.event_index.dims()[1] - 1;
    let every = m.predict_next(&batch);
    assert_eq!(every.logits.dims(), [3, l, v]);
    let (targets, weights) = (ints(every.targets), values(every.weights));
    for (i, s) in sessions.iter().enumerate() {
        let n = s.events.len().min(l + 1);
        let row = &weights[i * l..(i + 1) * l];
        let real = l - (n - 1);
        assert!(row[..real].iter().all(|&w| w == 0.0), "{row:?}");
        assert!(row[real..].iter().all(|&w| w == 1.0), "{row:?}");
        let want = classes(s);
        assert_eq!(
            targets[i * l + real..(i + 1) * l],
            want[want.len() - (n - 1)..]
        );
    }
    // last: one step, the last page
    let last = config(&encoder)
        .with_next_event(NextEvent::Last)
        .init(&Device::flex());
    let one = last.predict_next(&batch);
    assert_eq!(one.logits.dims(), [3, 1, v]);
    assert_eq!(values(one.weights), [1.0; 3]);
    let want: Vec<i64> = sessions
        .iter()
        .map(|s| *classes(s).last().unwrap())
        .collect();
    assert_eq!(ints(one.targets), want);
}

/// Eq. (3) by hand: `−Σ w log softmax(logits)[target] / Σ w`, a step of weight 0 left out.
#[test]
fn eq_3_loss_by_hand() {
    let device = Device::flex();
    let logits = Tensor::<3>::from_data([[[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]]], &device);
    let prediction = NextEventPrediction {
        logits,
        targets: Tensor::from_data([[2, 1]], &device),
        weights: Tensor::from_data([[1.0, 1.0]], &device),
        output: SequenceEmbeddingOutput {
            embedding: Tensor::zeros([1, 1], &device),
            time_attention: Tensor::zeros([1, 1], &device),
        },
    };
    let lse = |x: [f32; 3]| x.iter().map(|v| v.exp()).sum::<f32>().ln();
    let first = lse([0.0, 1.0, 2.0]) - 2.0;
    let second = lse([3.0, 0.0, 0.0]) - 0.0;
    let got = values(prediction.loss().unsqueeze::<2>())[0];
    assert!((got - (first + second) / 2.0).abs() < 1e-5, "{got}");
    let only_first = NextEventPrediction {
        weights: Tensor::from_data([[1.0, 0.0]], &device),
        ..prediction
    };
    let got = values(only_first.loss().unsqueeze::<2>())[0];
    assert!((got - first).abs() < 1e-5, "{got}");
}

/// The decoder worked out on the host from its weights: `s'_0 = tanh(W_0 z + b_0)`; at each
/// step `e'_tj = s'_{t−1} · h→_j` over the real slots `j ≤ t`, `α'` their softmax, `c'_t =
/// Σ α'_tj h→_j`, then the LSTM step on `[φ(y_t); c'_t]`, a padded step keeping the state. And
/// a step reads no later slot: changing `h→_j` for `j > t` leaves steps `..=t` as they were.
#[test]
fn the_decoder_by_hand_and_causal() {
    use burn::tensor::Distribution;
    let device = Device::flex();
    device.seed(7);
    let (b, l, k, hd, zd) = (2, 4, 3, 2, 5);
    let decoder = Decoder {
        initial: LinearConfig::new(zd, hd).init(&device),
        cell: MaskedLstmConfig::new(k + hd, hd).init(&device),
    };
    let normal =
        |shape: [usize; 3]| Tensor::<3>::random(shape, Distribution::Normal(0.0, 1.0), &device);
    let z = Tensor::<2>::random([b, zd], Distribution::Normal(0.0, 1.0), &device);
    let states = normal([b, l, hd]);
    let dwell = normal([b, l, k]);
    // the second session's first slot is padding
    let mask = Tensor::<2>::from_data([[1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 1.0]], &device);
    let (s_out, c_out) = decoder.unroll(z.clone(), states.clone(), dwell.clone(), mask.clone());
    let (s_got, c_got) = (values(s_out.clone()), values(c_out.clone()));
    let (zv, hv, yv, mv) = (
        values(z.clone()),
        values(states.clone()),
        values(dwell.clone()),
        values(mask.clone()),
    );
    let w0 = values(decoder.initial.weight.val());
    let b0 = values(decoder.initial.bias.as_ref().unwrap().val());
    let wi = values(decoder.cell.input.weight.val());
    let bi = values(decoder.cell.input.bias.as_ref().unwrap().val());
    let wh = values(decoder.cell.hidden.weight.val());
    let sig = |x: f32| 1.0 / (1.0 + (-x).exp());
    for i in 0..b {
        let mut s: Vec<f32> = (0..hd)
            .map(|o| {
                ((0..zd)
                    .map(|q| zv[i * zd + q] * w0[q * hd + o])
                    .sum::<f32>()
                    + b0[o])
                    .tanh()
            })
            .collect();
        let mut c = vec![0f32; hd];
        let h = |j: usize| &hv[(i * l + j) * hd..(i * l + j + 1) * hd];
        for t in 0..l {
            let real: Vec<usize> = (0..=t).filter(|&j| mv[i * l + j] == 1.0).collect();
            let mut context = vec![0f32; hd];
            if !real.is_empty() {
                let e: Vec<f32> = real
                    .iter()
                    .map(|&j| s.iter().zip(h(j)).map(|(a, b)| a * b).sum())
                    .collect();
                let top = e.iter().copied().fold(f32::MIN, f32::max);
                let total: f32 = e.iter().map(|x| (x - top).exp()).sum();
                for (x, &j) in e.iter().zip(&real) {
                    for (cq, hq) in context.iter_mut().zip(h(j)) {
                        *cq += (x - top).exp() / total * hq;
                    }
                }
            }
            if mv[i * l + t] == 1.0 {
                let input: Vec<f32> = yv[(i * l + t) * k..(i * l + t + 1) * k]
                    .iter()
                    .chain(&context)
                    .copied()
                    .collect();
                let gate = |g: usize, o: usize| {
                    let col = g * hd + o;
                    input
                        .iter()
                        .enumerate()
                        .map(|(q, x)| x * wi[q * 4 * hd + col])
                        .sum::<f32>()
                        + bi[col]
                        + s.iter()
                            .enumerate()
                            .map(|(q, x)| x * wh[q * 4 * hd + col])
                            .sum::<f32>()
                };
                let c_next: Vec<f32> = (0..hd)
                    .map(|o| sig(gate(1, o)) * c[o] + sig(gate(0, o)) * gate(2, o).tanh())
                    .collect();
                s = (0..hd)
                    .map(|o| sig(gate(3, o)) * c_next[o].tanh())
                    .collect();
                c = c_next;
                // a padded step's context is never scored, so only real steps' are compared
                let at = (i * l + t) * hd;
                for o in 0..hd {
                    assert!((c_got[at + o] - context[o]).abs() < 1e-5, "context {i} {t}");
                }
            }
            let at = (i * l + t) * hd;
            for o in 0..hd {
                assert!(
                    (s_got[at + o] - s[o]).abs() < 1e-5,
                    "state {i} {t}: {} vs {}",
                    s_got[at + o],
                    s[o]
                );
            }
        }
    }
    // causal: replacing the page states of slots 2 and 3 changes nothing up to step 1
    let changed = Tensor::cat(vec![states.narrow(1, 0, 2), normal([b, 2, hd])], 1);
    let (s2, c2) = decoder.unroll(z, changed, dwell, mask);
    let first_two = |x: Tensor<3>| values(x.narrow(1, 0, 2));
    assert_eq!(first_two(s2.clone()), first_two(s_out.clone()));
    assert_eq!(first_two(c2), first_two(c_out));
    assert_ne!(values(s2.narrow(1, 3, 1)), values(s_out.narrow(1, 3, 1)));
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

/// The handcrafted values are in the data's units: the event count, counts per page, the
/// geometric mean and maximum of the dwell times (a `log1p` field) by hand.
#[test]
fn handcrafted_values_are_in_the_data_units() {
    let (encoder, sessions) = test_sessions::encoder(50);
    let h = Handcrafted::for_encoder(&encoder);
    let s = &sessions[0];
    let v = h.values(&encoder.encode(s));
    let names = h.names();
    let at = |n: &str| {
        names
            .iter()
            .position(|x| x == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert_eq!(v[at("events")], s.events.len() as f64);
    let fields = encoder.event_field_names();
    let page = fields.iter().position(|n| n == "page").unwrap();
    let checkout = s
        .events
        .iter()
        .filter(|e| e.values.categorical[page].as_deref() == Some("checkout"))
        .count();
    assert_eq!(v[at("count(page=checkout)")], checkout as f64);
    let dwell = encoder
        .schema
        .event
        .numeric
        .iter()
        .position(|f| f.name == "dwell_ms")
        .unwrap();
    let d: Vec<f64> = s
        .events
        .iter()
        .filter_map(|e| e.values.numeric[dwell])
        .collect();
    let geomean = (d.iter().map(|x| x.ln_1p()).sum::<f64>() / d.len() as f64).exp_m1();
    let max = d.iter().copied().fold(f64::MIN, f64::max);
    // f32 feature values: relative error of a few 1e-7 through the normalisation
    assert!(
        (v[at("geomean(dwell_ms)")] / geomean - 1.0).abs() < 1e-4,
        "{} vs {geomean}",
        v[at("geomean(dwell_ms)")]
    );
    assert!(
        (v[at("max(dwell_ms)")] / max - 1.0).abs() < 1e-4,
        "{} vs {max}",
        v[at("max(dwell_ms)")]
    );
    assert!(names.iter().any(|n| n == "geomean(gap_s)"));
    // merchants have more than 16 values: not counted one by one
    assert!(!names.iter().any(|n| n.starts_with("count(merchant=")));
}

/// The fingerprints by hand on the handcrafted representation: one risky cluster whose single
/// exemplar is session A's standardised vector with core distance `c`; `ρ = max(d, c)·λ_birth`.
/// A lands inside (`ρ = c·λ`) and scores the cluster's density, a far session scores the
/// background; the explanation lists the cluster's rules that A matches.
#[test]
fn fingerprints_assign_by_mutual_reachability() {
    use crate::cluster::rules::{Condition, Rule};
    let (encoder, sessions) = test_sessions::encoder(12);
    let handcrafted = Handcrafted::for_encoder(&encoder);
    let d = handcrafted.len();
    let enc: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    let a = handcrafted.values(&enc[0]);
    // a session at a different length than A, so their vectors differ
    let b_index = (1..enc.len())
        .find(|&i| handcrafted.values(&enc[i])[0] != a[0])
        .unwrap();
    let scale: Vec<f64> = (0..d).map(|j| 1.0 + j as f64 * 0.5).collect();
    let center = vec![0.5; d];
    let z = |x: &[f64]| -> Vec<f64> { (0..d).map(|j| (x[j] - center[j]) / scale[j]).collect() };
    let events = handcrafted
        .names()
        .iter()
        .position(|n| n == "events")
        .unwrap();
    let rule = |threshold: f64| Rule {
        conditions: vec![Condition {
            feature: events,
            below: false,
            threshold,
        }],
        precision: 1.0,
        recall: 1.0,
        support: 1,
    };
    let (core, birth) = (0.25f64, 2.0f64);
    let fingerprints = Fingerprints {
        representation: Representation::Handcrafted,
        handcrafted,
        center: center.clone(),
        scale: scale.clone(),
        clusters: vec![RiskyCluster {
            label: 7,
            size: 30,
            fraud_density: 0.9,
            birth,
            exemplars: z(&a).iter().map(|&x| x as f32).collect(),
            core_distances: vec![core as f32],
            // A matches the first (events ≥ its length), not the second
            rules: vec![rule(a[0]), rule(a[0] + 1.0)],
        }],
        background_density: 0.02,
        // the map's axes: the first column, and the second and third in equal parts
        map: ClusterMap {
            axes: (0..2 * a.len())
                .map(|i| match i {
                    0 => 1.0,
                    i if i == a.len() + 1 || i == a.len() + 2 => std::f32::consts::FRAC_1_SQRT_2,
                    _ => 0.0,
                })
                .collect(),
            explained_variance: [0.5, 0.2],
            points: vec![],
        },
    };
    let network = SequenceEmbeddingConfig::for_encoder(&encoder, "page", "dwell_ms")
        .unwrap()
        .with_bottleneck(4);
    let config = BehaviorClusterConfig::new(network).with_fingerprints(fingerprints);
    config.check(&encoder).unwrap();
    let model = config.init(&Device::flex());
    let refs = vec![&enc[0], &enc[b_index]];
    let out = model.forward(&Batch::new(&refs, &Device::flex()));
    let reach = values(out.cluster_reach.unwrap());
    let zb = z(&model.fingerprints.handcrafted.values(&enc[b_index]));
    let za = z(&a);
    // on the map: (z₀, (z₁ + z₂)/√2) of each session
    let map = values(out.cluster_map.unwrap());
    for (i, zs) in [&za, &zb].into_iter().enumerate() {
        let want = [zs[0], (zs[1] + zs[2]) / std::f64::consts::SQRT_2];
        for k in 0..2 {
            assert!(
                (f64::from(map[2 * i + k]) - want[k]).abs() < 1e-4,
                "{map:?} vs {want:?}"
            );
        }
    }
    let dist = zb
        .iter()
        .zip(&za)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(
        (f64::from(reach[0]) - core * birth).abs() < 1e-5,
        "{reach:?}"
    );
    assert!(
        (f64::from(reach[1]) - dist.max(core) * birth).abs() < 1e-3 * dist,
        "{reach:?} vs {}",
        dist * birth
    );
    assert!(reach[1] > 1.0, "{reach:?}");
    let logits = values(out.logits);
    let logit = |p: f64| (p / (1.0 - p)).ln() as f32;
    assert!((logits[0] - logit(0.9)).abs() < 1e-5, "{logits:?}");
    assert!((logits[1] - logit(0.02)).abs() < 1e-5, "{logits:?}");
    let m = model.fingerprints.explain(&enc[0], &reach[..1]).unwrap();
    assert_eq!((m.label, m.fraud_density), (7, 0.9));
    assert_eq!(m.rules, vec![format!("events ≥ {}", a[0])]);
    assert!(
        model
            .fingerprints
            .explain(&enc[b_index], &reach[1..])
            .is_none()
    );
}

/// Fingerprints that do not fit the network or the encoder are refused.
#[test]
fn mismatched_fingerprints_are_refused() {
    let (encoder, _) = test_sessions::encoder(12);
    let network = SequenceEmbeddingConfig::for_encoder(&encoder, "page", "dwell_ms").unwrap();
    let err = BehaviorClusterConfig::new(network.clone())
        .check(&encoder)
        .unwrap_err()
        .to_string();
    assert!(err.contains("another encoder"), "{err}");
    let fingerprints = Fingerprints {
        handcrafted: Handcrafted::for_encoder(&encoder),
        center: vec![0.0; 3],
        scale: vec![1.0; 3],
        ..Fingerprints::default()
    };
    let config = BehaviorClusterConfig::new(network).with_fingerprints(fingerprints);
    let err = config.check(&encoder).unwrap_err().to_string();
    assert!(err.contains("standardise 3 / 3 columns"), "{err}");
    let d = config.width();
    let mut fingerprints = config.fingerprints.clone();
    fingerprints.center = vec![0.0; d];
    fingerprints.scale = vec![1.0; d];
    fingerprints.map.axes = vec![1.0; 2 * d - 1];
    let err = config
        .clone()
        .with_fingerprints(fingerprints)
        .check(&encoder)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "{} axis values for a hybrid vector of width {d}",
            2 * d - 1
        )),
        "{err}"
    );
}

/// Eqs. (1)–(2) and the pooling worked out on the host from the two Bi-LSTMs' states: for each
/// session and each real dwell slot `t`, `e_tj = s_t · h_j` over the real page slots `j`,
/// `α_tj` their softmax (Eq. 1), `c_t = Σ_j α_tj h_j` (Eq. 2); the embedding is
/// `tanh(W · mean_t [s_t; c_t] + b)` and the time attention `mean_t α_tj`. The batched tensors
/// (a short session padded beside longer ones) give the same numbers.
#[test]
fn eqs_1_and_2_by_hand() {
    let (encoder, m, [short, longer, longest]) = short_beside_longer();
    let batch = batch_of(&encoder, &[&short, &longer, &longest]);
    let out = m.forward(&batch);
    // the Bi-LSTMs' states, as the forward pass reads them
    let (h, s, mask) = m.states(&batch);
    let [b, l] = mask.dims();
    let w = h.dims()[2];
    let (h, s, mask) = (values(h), values(s), values(mask));
    let weight = values(m.bottleneck.weight.val());
    let bias = values(m.bottleneck.bias.as_ref().unwrap().val());
    let width = bias.len();
    let embedding = values(out.embedding);
    let attention = values(out.time_attention);
    for i in 0..b {
        let real: Vec<usize> = (0..l).filter(|&j| mask[i * l + j] == 1.0).collect();
        let at = |x: &[f32], j: usize| x[(i * l + j) * w..(i * l + j + 1) * w].to_vec();
        let mut pooled = vec![0f32; 2 * w];
        let mut received = vec![0f32; l];
        for &t in &real {
            let st = at(&s, t);
            // Eq. (1)
            let e: Vec<f32> = real
                .iter()
                .map(|&j| st.iter().zip(at(&h, j)).map(|(a, b)| a * b).sum())
                .collect();
            let top = e.iter().copied().fold(f32::MIN, f32::max);
            let z: f32 = e.iter().map(|x| (x - top).exp()).sum();
            let alpha: Vec<f32> = e.iter().map(|x| (x - top).exp() / z).collect();
            // Eq. (2)
            let mut c = vec![0f32; w];
            for (a, &j) in alpha.iter().zip(&real) {
                for (ck, hk) in c.iter_mut().zip(at(&h, j)) {
                    *ck += a * hk;
                }
                received[j] += a / real.len() as f32;
            }
            for (p, x) in pooled.iter_mut().zip(st.iter().chain(&c)) {
                *p += x / real.len() as f32;
            }
        }
        for o in 0..width {
            let y = (0..2 * w)
                .map(|k| pooled[k] * weight[k * width + o])
                .sum::<f32>()
                + bias[o];
            let got = embedding[i * width + o];
            assert!(
                (y.tanh() - got).abs() < 1e-5,
                "session {i}, {o}: {} vs {got}",
                y.tanh()
            );
        }
        for j in 0..l {
            let got = attention[i * l + j];
            assert!(
                (received[j] - got).abs() < 1e-5,
                "session {i}, slot {j}: {} vs {got}",
                received[j]
            );
        }
    }
}

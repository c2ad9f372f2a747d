//! Test support shared by the models' tests: a fitted encoder and its synthetic sessions.

use crate::encode::{Batch, EncodedSession, Encoder};
use crate::models::layers::{FieldEmbedding, Mlp};
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

/// Set `mlp` (input `d`, hidden `2d`, no dropout) to compute `Σ_{i ∈ read} s_i` exactly: hidden
/// units `s_i` and `−s_i` (the ReLU passes one of each pair), output weights 1 and −1 on the
/// units of `read`, biases 0. What a test of a model's composition reads the MLP's input
/// through.
pub fn mlp_reading(mlp: &mut Mlp, d: usize, read: std::ops::Range<usize>) {
    use burn::module::Param;
    let device = mlp.hidden.weight.val().device();
    let mut w = vec![0.0f32; d * 2 * d];
    for i in 0..d {
        w[i * 2 * d + i] = 1.0;
        w[i * 2 * d + d + i] = -1.0;
    }
    mlp.hidden.weight =
        Param::from_tensor(Tensor::from_data(TensorData::new(w, [d, 2 * d]), &device));
    mlp.hidden.bias = Some(Param::from_tensor(Tensor::zeros([2 * d], &device)));
    let mut u = vec![0.0f32; 2 * d];
    for i in read {
        u[i] = 1.0;
        u[d + i] = -1.0;
    }
    mlp.output.weight =
        Param::from_tensor(Tensor::from_data(TensorData::new(u, [2 * d, 1]), &device));
    mlp.output.bias = Some(Param::from_tensor(Tensor::zeros([1], &device)));
}

/// The current event's Hadamard FM (NHFM Eq. 1, DIFM Eq. 8) worked out by hand from the
/// embedding table: `½[(Σ_i x_i v_i)² − Σ_i (x_i v_i)²]` over the fields of slot `T − 1`,
/// `[B·k]` row by row.
pub fn current_event_fm(embedding: &FieldEmbedding, batch: &Batch) -> Vec<f32> {
    let table = embedding
        .embedding
        .weight
        .val()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let k = embedding.embedding.weight.dims()[1];
    let [rows, t, fields] = batch.event_index.dims();
    let index = batch
        .event_index
        .clone()
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .unwrap();
    let value = batch
        .event_value
        .clone()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let mut out = Vec::with_capacity(rows * k);
    for r in 0..rows {
        let (mut sum, mut squares) = (vec![0.0f32; k], vec![0.0f32; k]);
        for j in 0..fields {
            let slot = (r * t + t - 1) * fields + j;
            let id = index[slot] as usize;
            for c in 0..k {
                let xv = value[slot] * table[id * k + c];
                sum[c] += xv;
                squares[c] += xv * xv;
            }
        }
        out.extend((0..k).map(|c| 0.5 * (sum[c] * sum[c] - squares[c])));
    }
    out
}

/// Each logit equals its row's sum of `expected` (rows of `k`) plus `bias`, within 1e-4
/// relative.
pub fn assert_block_sums(logits: &[f32], expected: &[f32], k: usize, bias: f32, block: usize) {
    assert_eq!(logits.len() * k, expected.len());
    for (r, (&got, row)) in logits.iter().zip(expected.chunks(k)).enumerate() {
        let want = row.iter().sum::<f32>() + bias;
        assert!(
            (got - want).abs() < 1e-4 * (1.0 + want.abs()),
            "block {block}, session {r}: {got} vs {want}"
        );
    }
}

//! The Hadamard-product FM pooling `½[(Σ_m x)² − Σ_m x²]` over the middle dimension of
//! `[P, M, Q]` (NHFM Eq. 1; DIFM Eqs. 2, 6, 8) and its gradient, as one pass each over `f32`
//! slices; seqrisk-core's `fm_kernel` runs them on burn's CPU backend. Each `p` is pooled on
//! its own, so a row gives the same bits alone as in a batch.

/// The forward pass on `x` `[P, M, Q]`: one pass accumulating `Σ x` and `Σ x²` per `(p, q)`.
pub fn forward(x: &[f32], [p, m, q]: [usize; 3]) -> Vec<f32> {
    let mut out = vec![0.0f32; p * q];
    let mut sum = vec![0.0f32; q];
    for (block, out) in x
        .chunks_exact((m * q).max(1))
        .zip(out.chunks_exact_mut(q.max(1)))
    {
        sum.fill(0.0);
        // `out` holds Σ x² until the last line
        for row in block.chunks_exact(q.max(1)) {
            for ((s, o), &v) in sum.iter_mut().zip(out.iter_mut()).zip(row) {
                *s += v;
                *o += v * v;
            }
        }
        for (o, &s) in out.iter_mut().zip(&sum) {
            *o = 0.5 * (s * s - *o);
        }
    }
    out
}

/// The backward pass: `∂L/∂x[p, m, q] = g[p, q]·(Σ_m' x[p, m', q] − x[p, m, q])`.
pub fn backward(x: &[f32], grad: &[f32], [p, m, q]: [usize; 3]) -> Vec<f32> {
    let mut dx = vec![0.0f32; p * m * q];
    let mut sum = vec![0.0f32; q];
    let rows = (m * q).max(1);
    for ((block, dblock), g) in x
        .chunks_exact(rows)
        .zip(dx.chunks_exact_mut(rows))
        .zip(grad.chunks_exact(q.max(1)))
    {
        sum.fill(0.0);
        for row in block.chunks_exact(q.max(1)) {
            for (s, &v) in sum.iter_mut().zip(row) {
                *s += v;
            }
        }
        for (row, drow) in block
            .chunks_exact(q.max(1))
            .zip(dblock.chunks_exact_mut(q.max(1)))
        {
            for (((d, &v), &s), &g) in drow.iter_mut().zip(row).zip(&sum).zip(g) {
                *d = g * (s - v);
            }
        }
    }
    dx
}

/// The pooling of gathered, scaled embeddings without the `[P, M, k]` field vectors:
/// `out[p] = ½[(Σ_m x_pm)² − Σ_m x_pm²]` with `x_pm = value[p, m]·weight[index[p, m]]`, for
/// `index` and `value` `[P, M]` and `weight` `[n, k]` (row-major), `out` `[P, k]` — NHFM's
/// event extractor (Eq. 1) and DIFM's poolings (Eqs. 6, 8) in one pass. Each `x_pm` is the
/// product the unfused path materialises, summed in the same order, so the two give the same
/// bits. Columns go in blocks held in registers across the `M` rows (32, then 8, then 1 wide).
///
/// # Panics
/// If an index is not below `n`, naming it (as the embedding look-up it replaces would).
pub fn embedded_forward(
    weight: &[f32],
    k: usize,
    index: &[usize],
    value: &[f32],
    m: usize,
) -> Vec<f32> {
    check_indices(index, weight.len() / k.max(1));
    let mut out = vec![0.0f32; index.len() / m.max(1) * k];
    for ((idx, val), out) in index
        .chunks_exact(m.max(1))
        .zip(value.chunks_exact(m.max(1)))
        .zip(out.chunks_exact_mut(k.max(1)))
    {
        let mut start = 0;
        while start + 32 <= k {
            pool_columns::<32>(weight, k, idx, val, start, &mut out[start..start + 32]);
            start += 32;
        }
        while start + 8 <= k {
            pool_columns::<8>(weight, k, idx, val, start, &mut out[start..start + 8]);
            start += 8;
        }
        while start < k {
            pool_columns::<1>(weight, k, idx, val, start, &mut out[start..start + 1]);
            start += 1;
        }
    }
    out
}

/// Columns `start..start + W` of one row of [`embedded_forward`], summed in registers.
#[inline(always)]
fn pool_columns<const W: usize>(
    weight: &[f32],
    k: usize,
    index: &[usize],
    value: &[f32],
    start: usize,
    out: &mut [f32],
) {
    let mut sum = [0.0f32; W];
    let mut squares = [0.0f32; W];
    for (&i, &v) in index.iter().zip(value) {
        let e: &[f32; W] = weight[i * k + start..i * k + start + W]
            .try_into()
            .expect("a block of W columns");
        for j in 0..W {
            let x = e[j] * v;
            sum[j] += x;
            squares[j] += x * x;
        }
    }
    for (j, o) in out.iter_mut().enumerate().take(W) {
        *o = 0.5 * (sum[j] * sum[j] - squares[j]);
    }
}

/// Refuses an index not below `rows`, naming it.
fn check_indices(index: &[usize], rows: usize) {
    if let Some(&i) = index.iter().find(|&&i| i >= rows) {
        panic!("feature index {i} outside the embedding's {rows} rows");
    }
}

/// The gradient of [`embedded_forward`] with respect to `weight`, `[n, k]`:
/// `∂L/∂weight[i] = Σ_{(p, m): index[p, m] = i} value[p, m]·g[p]⊙(Σ_m' x_pm' − x_pm)`.
/// `value` is a constant (it gets no gradient).
///
/// # Panics
/// As [`embedded_forward`].
pub fn embedded_backward(
    weight: &[f32],
    k: usize,
    index: &[usize],
    value: &[f32],
    m: usize,
    grad: &[f32],
) -> Vec<f32> {
    check_indices(index, weight.len() / k.max(1));
    let mut d_weight = vec![0.0f32; weight.len()];
    let mut sum = vec![0.0f32; k];
    for ((idx, val), g) in index
        .chunks_exact(m.max(1))
        .zip(value.chunks_exact(m.max(1)))
        .zip(grad.chunks_exact(k.max(1)))
    {
        sum.fill(0.0);
        for (&i, &v) in idx.iter().zip(val) {
            let e = embedding_row(weight, i, k);
            for (s, &w) in sum.iter_mut().zip(e) {
                *s += w * v;
            }
        }
        for (&i, &v) in idx.iter().zip(val) {
            let e = embedding_row(weight, i, k);
            let d = &mut d_weight[i * k..(i + 1) * k];
            for (((d, &w), &s), &g) in d.iter_mut().zip(e).zip(&sum).zip(g) {
                *d += v * g * (s - w * v);
            }
        }
    }
    d_weight
}

/// Row `i` of `weight` `[rows, k]`.
#[inline(always)]
fn embedding_row(weight: &[f32], i: usize, k: usize) -> &[f32] {
    &weight[i * k..(i + 1) * k]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `x = (1, 2, 3)` pooled over its three entries: `1·2 + 1·3 + 2·3 = 11`; the gradient of
    /// entry `m` is the sum of the others, `(5, 4, 3)`.
    #[test]
    fn three_values_by_hand() {
        let x = [1.0f32, 2.0, 3.0];
        assert_eq!(forward(&x, [1, 3, 1]), vec![11.0]);
        assert_eq!(backward(&x, &[1.0], [1, 3, 1]), vec![5.0, 4.0, 3.0]);
        // two (p, q) cells side by side, the gradient scaled by each one's upstream gradient
        let x = [1.0f32, -1.0, 2.0, 0.5, 3.0, 4.0];
        assert_eq!(
            forward(&x, [1, 3, 2]),
            // (−1)(0.5) + (−1)(4) + (0.5)(4)
            vec![11.0, -2.5]
        );
        assert_eq!(
            backward(&x, &[2.0, 1.0], [1, 3, 2]),
            vec![10.0, 4.5, 8.0, 3.0, 6.0, -0.5]
        );
    }

    /// Two embeddings `(1, 2)` and `(3, −1)`, scaled by 2 and 1, pooled: `2·(1, 2) ⊙ (3, −1)`
    /// = `(6, −4)`; the gradient of row 0 under `g = (1, 1)` is `2·(3, −1)`, of row 1
    /// `1·(2, 4)`; an index repeated in two rows adds both gradients.
    #[test]
    fn embedded_pooling_by_hand() {
        let weight = [1.0f32, 2.0, 3.0, -1.0];
        assert_eq!(
            embedded_forward(&weight, 2, &[0, 1], &[2.0, 1.0], 2),
            vec![6.0, -4.0]
        );
        assert_eq!(
            embedded_backward(&weight, 2, &[0, 1], &[2.0, 1.0], 2, &[1.0, 1.0]),
            vec![6.0, -2.0, 2.0, 4.0]
        );
        assert_eq!(
            embedded_backward(
                &weight,
                2,
                &[0, 1, 0, 1],
                &[2.0, 1.0, 2.0, 1.0],
                2,
                &[1.0; 4]
            ),
            vec![12.0, -4.0, 4.0, 8.0]
        );
    }

    /// The fused look-up gives the bits of gathering, scaling and then pooling, for embedding
    /// sizes that fill the column blocks wholly and partly.
    #[test]
    fn embedded_pooling_equals_gathering_then_pooling() {
        for k in [5, 8, 45, 64] {
            embedded_pooling_matches(k);
        }
    }

    fn embedded_pooling_matches(k: usize) {
        let (n, p, m) = (7usize, 4usize, 3usize);
        let weight: Vec<f32> = (0..n * k)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0)
            .collect();
        let index: Vec<usize> = (0..p * m).map(|i| i * 5 % n).collect();
        let value: Vec<f32> = (0..p * m).map(|i| 0.25 * (i % 4) as f32 + 0.5).collect();
        let gathered: Vec<f32> = index
            .iter()
            .zip(&value)
            .flat_map(|(&i, &v)| weight[i * k..(i + 1) * k].iter().map(move |w| w * v))
            .collect();
        assert_eq!(
            embedded_forward(&weight, k, &index, &value, m),
            forward(&gathered, [p, m, k])
        );
    }

    #[test]
    #[should_panic(expected = "feature index 4 outside the embedding's 2 rows")]
    fn an_index_outside_the_embedding_is_named() {
        embedded_forward(&[0.0; 4], 2, &[4], &[1.0], 1);
    }
}

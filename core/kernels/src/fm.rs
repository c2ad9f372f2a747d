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
}

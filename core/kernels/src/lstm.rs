//! The LSTM recurrence and its backward pass (back-propagation through time) as plain loops
//! over `f32` slices: one pass per step over each direction's `[B, 4h]` gate block, with no
//! allocation inside the loop, and the input projection `x·W + b` before it as one product
//! ([`project`]). seqrisk-core's `lstm_kernel` runs these on burn's CPU backend in place of
//! the ~15 tensor operations a step costs there. Directions are independent: with the `rayon`
//! feature they run on separate threads.
//!
//! Layouts (row-major, time in natural order): `projected` `[B, n, D·4h]` (`W x_t + b`,
//! direction `d`'s gates `i f g o` at columns `d·4h..(d+1)·4h`), `u` `[D, h, 4h]`, `mask`
//! `[B, n]`, states `[B, n, D·h]` (slot `t` holds every direction's state after reading it).
//! Directions `d ≥ reversed_from` read the slots from last to first.

/// The sizes of one recurrence and which directions read backwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Directions `D`.
    pub d: usize,
    /// Batch `B`.
    pub b: usize,
    /// Steps (slots) `n`.
    pub n: usize,
    /// Hidden size `h`.
    pub h: usize,
    /// Directions from this index on read the sequence from its last slot to its first.
    pub reversed_from: usize,
}

impl Dims {
    /// The slot direction `dir` reads at its step `s`.
    pub fn slot(&self, dir: usize, s: usize) -> usize {
        if dir >= self.reversed_from {
            self.n - 1 - s
        } else {
            s
        }
    }
}

/// What the backward pass needs from one direction's forward pass, indexed by row and slot.
#[derive(Clone, Debug)]
pub struct Saved {
    /// `σ(i), σ(f), tanh(g), σ(o)`, `[B, n, 4h]`.
    pub gates: Vec<f32>,
    /// The (mask-blended) cell state after the slot, `[B, n, h]`.
    pub cells: Vec<f32>,
    /// `tanh(c_new)` of the unblended new cell state, `[B, n, h]`.
    pub tanh_cells: Vec<f32>,
}

/// The gradients of the recurrence's two differentiable inputs.
#[derive(Clone, Debug)]
pub struct Gradients {
    /// `∂L/∂projected`, `[B, n, D·4h]`.
    pub projected: Vec<f32>,
    /// `∂L/∂U`, `[D, h, 4h]`.
    pub u: Vec<f32>,
}

/// `e^x` in single precision without a library call, so that loops over it vectorise:
/// `x = k·ln 2 + r` with `|r| ≤ ln 2 / 2`, `e^r` by Cephes' degree-6 polynomial, `2^k` built in
/// the exponent bits. Relative error below 3·10⁻⁷ (test); `x` is clamped to
/// `[−87.3, 88.3]`, the range whose result is a normal `f32`; NaN stays NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // adding 1.5·2²³ rounds to an integer, which then sits in the low mantissa bits
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.3);
    let t = x * LOG2E + ROUND;
    let k = t - ROUND;
    let k_bits = t.to_bits().wrapping_sub(ROUND.to_bits());
    let r = x - k * LN2_HI - k * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e_r = p * r * r + r + 1.0;
    e_r * f32::from_bits(k_bits.wrapping_add(127) << 23)
}

/// `σ(x) = 1 / (1 + e^{−x})`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh(x) = 2σ(2x) − 1` (absolute error about 10⁻⁷ near 0, where a relative bound would need
/// another formula; the recurrence only adds and multiplies it).
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    2.0 * sigmoid(2.0 * x) - 1.0
}

/// A row-major or strided view of a matrix for [`add_product`].
#[derive(Clone, Copy)]
struct Matrix<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    /// Distance between consecutive rows and columns, in elements.
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Matrix<'a> {
    /// `data` read as `rows × cols`, row-major.
    fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose of this view (no copy).
    fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Whether every element the view addresses lies inside `data`.
    fn in_bounds(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// `out[r, :] += a[r, :] · m` for `a` `[rows, k]` and `m` `[k, cols]` (row-major), each row
/// as `k` scaled rows of `m` added in order. Unlike a blocked matrix product, a row's result
/// does not depend on how many rows there are, so a session scores the same alone as in a
/// batch; inlined into [`ForwardDirection`]'s SIMD copies, the inner loop vectorises.
///
/// `R` rows go at a time, so each block of `m` read from memory serves all of them (`m` is the
/// recurrent weight matrix, 64 KiB at `h = 64`, more than a core's L1 cache), and blocks of
/// `C` columns of those rows are summed over all of `k` in registers; the remaining rows and
/// columns go one row at a time. Every element is the same sum in the same order whatever
/// `R` and `C` are.
#[inline(always)]
fn add_rows_times<const R: usize, const C: usize>(
    out: &mut [f32],
    a: &[f32],
    m: &[f32],
    k: usize,
    cols: usize,
) {
    let rows = out.len() / cols.max(1);
    let grouped = rows - rows % R;
    let (out_grouped, out_rest) = out.split_at_mut(grouped * cols);
    let (a_grouped, a_rest) = a.split_at(grouped * k);
    for (out_rows, a_rows) in out_grouped
        .chunks_exact_mut((R * cols).max(1))
        .zip(a_grouped.chunks_exact((R * k).max(1)))
    {
        add_row_group::<R, C>(out_rows, a_rows, m, k, cols);
    }
    for (out_row, a_row) in out_rest
        .chunks_exact_mut(cols.max(1))
        .zip(a_rest.chunks_exact(k.max(1)))
    {
        add_row_group::<1, C>(out_row, a_row, m, k, cols);
    }
}

/// [`add_rows_times`] on one group of `R` rows.
#[inline(always)]
fn add_row_group<const R: usize, const C: usize>(
    out: &mut [f32],
    a: &[f32],
    m: &[f32],
    k: usize,
    cols: usize,
) {
    let blocked = cols - cols % C;
    for start in (0..blocked).step_by(C) {
        let mut acc: [[f32; C]; R] = std::array::from_fn(|r| {
            out[r * cols + start..r * cols + start + C]
                .try_into()
                .expect("a block of C columns")
        });
        for kk in 0..k {
            let m_block: &[f32; C] = m[kk * cols + start..kk * cols + start + C]
                .try_into()
                .expect("a block of C columns");
            let a_k: [f32; R] = std::array::from_fn(|r| a[r * k + kk]);
            for r in 0..R {
                for c in 0..C {
                    acc[r][c] += a_k[r] * m_block[c];
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            out[r * cols + start..r * cols + start + C].copy_from_slice(acc);
        }
    }
    for (out_row, a_row) in out
        .chunks_exact_mut(cols.max(1))
        .zip(a.chunks_exact(k.max(1)))
    {
        for (&a_rk, m_row) in a_row.iter().zip(m.chunks_exact(cols)) {
            for (o, &w) in out_row[blocked..].iter_mut().zip(&m_row[blocked..]) {
                *o += a_rk * w;
            }
        }
    }
}

/// Whether [`add_product`] may use several threads (with the `rayon` feature).
#[derive(Clone, Copy)]
enum Threads {
    One,
    All,
}

/// `out += a · b`, `out` row-major `a.rows × b.cols`, by the `gemm` crate (the matrix product
/// burn's CPU backend uses, with its run-time choice of SIMD kernel).
fn add_product(out: &mut [f32], a: Matrix, b: Matrix, threads: Threads) {
    assert!(a.cols == b.rows && a.in_bounds() && b.in_bounds());
    assert!(out.len() >= a.rows * b.cols);
    // SAFETY: the asserts keep every element gemm reads within `a.data` and `b.data` and every
    // element it writes (`a.rows × b.cols`, row-major) within `out`; `out` is borrowed
    // mutably, so it aliases neither input.
    unsafe {
        gemm::gemm(
            a.rows,
            b.cols,
            a.cols,
            out.as_mut_ptr(),
            1,
            b.cols as isize,
            true,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            match threads {
                #[cfg(feature = "rayon")]
                Threads::All => gemm::Parallelism::Rayon(0),
                _ => gemm::Parallelism::None,
            },
        );
    }
}

/// The gate inputs of every slot and direction, `x·W + b` for `x` `[rows, k]`, `W`
/// `[k, cols]` and `b` `[cols]` (row-major), as one product: `[rows, cols]`.
pub fn project(x: &[f32], w: &[f32], bias: &[f32], rows: usize, k: usize) -> Vec<f32> {
    let cols = bias.len();
    let mut out = Vec::with_capacity(rows * cols);
    for _ in 0..rows {
        out.extend_from_slice(bias);
    }
    add_product(
        &mut out,
        Matrix::rows(x, rows, k),
        Matrix::rows(w, k, cols),
        Threads::All,
    );
    out
}

/// The gradients of [`project`]'s inputs.
#[derive(Clone, Debug)]
pub struct ProjectionGradients {
    /// `∂L/∂x = g·Wᵀ`, `[rows, k]`.
    pub x: Vec<f32>,
    /// `∂L/∂W = xᵀ·g`, `[k, cols]`.
    pub w: Vec<f32>,
    /// `∂L/∂b = Σ_rows g`, `[cols]`.
    pub bias: Vec<f32>,
}

/// The backward pass of [`project`] from `g = ∂L/∂(x·W + b)`, `[rows, cols]`.
pub fn project_backward(
    x: &[f32],
    w: &[f32],
    g: &[f32],
    rows: usize,
    k: usize,
    cols: usize,
) -> ProjectionGradients {
    let mut dx = vec![0.0f32; rows * k];
    add_product(
        &mut dx,
        Matrix::rows(g, rows, cols),
        Matrix::rows(w, k, cols).t(),
        Threads::All,
    );
    let mut dw = vec![0.0f32; k * cols];
    add_product(
        &mut dw,
        Matrix::rows(x, rows, k).t(),
        Matrix::rows(g, rows, cols),
        Threads::All,
    );
    let mut bias = vec![0.0f32; cols];
    for row in g.chunks_exact(cols.max(1)) {
        for (b, &v) in bias.iter_mut().zip(row) {
            *b += v;
        }
    }
    ProjectionGradients { x: dx, w: dw, bias }
}

/// `f(dir)` for every direction, on separate threads with the `rayon` feature.
fn per_direction<T: Send>(d: usize, f: impl Fn(usize) -> T + Send + Sync) -> Vec<T> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        (0..d).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        (0..d).map(f).collect()
    }
}

/// Per-direction blocks `[rows, width]` side by side: `[rows, D·width]`.
fn interleave(parts: &[Vec<f32>], rows: usize, width: usize) -> Vec<f32> {
    let d = parts.len();
    let mut out = vec![0.0f32; rows * d * width];
    for (dir, part) in parts.iter().enumerate() {
        for (out_row, part_row) in out
            .chunks_exact_mut(d * width)
            .zip(part.chunks_exact(width))
        {
            out_row[dir * width..(dir + 1) * width].copy_from_slice(part_row);
        }
    }
    out
}

/// The forward recurrence: each direction, from `h = c = 0`, at each slot it reads,
/// `[i f g o] = projected_t + h U`, `c_new = σ(f)⊙c + σ(i)⊙tanh(g)`,
/// `h_new = σ(o)⊙tanh(c_new)`, `(h, c) ← m_t·(h_new, c_new) + (1 − m_t)·(h, c)`. Returns
/// the states `[B, n, D·h]`, and when `save`, what [`backward`] needs, per direction.
pub fn forward(
    dims: Dims,
    projected: &[f32],
    u: &[f32],
    mask: &[f32],
    save: bool,
) -> (Vec<f32>, Vec<Saved>) {
    let runs = per_direction(dims.d, |dir| {
        pulp::Arch::new().dispatch(ForwardDirection {
            dims,
            dir,
            projected,
            u,
            mask,
            save,
        })
    });
    let (states, saved): (Vec<_>, Vec<_>) = runs.into_iter().unzip();
    let states = interleave(&states, dims.b * dims.n, dims.h);
    (states, saved.into_iter().flatten().collect())
}

/// One direction of [`forward`], run by pulp's `Arch::dispatch`: `with_simd` is inlined into
/// a copy per instruction set (AVX2, AVX-512, …) chosen at run time, so the element-wise loops
/// vectorise with the widest the CPU has. (Given a closure instead, pulp would call it as a
/// separate, baseline-compiled function.)
struct ForwardDirection<'a> {
    dims: Dims,
    dir: usize,
    projected: &'a [f32],
    u: &'a [f32],
    mask: &'a [f32],
    save: bool,
}

impl pulp::WithSimd for ForwardDirection<'_> {
    /// The direction's states `[B, n, h]`, and its [`Saved`] when `save`.
    type Output = (Vec<f32>, Option<Saved>);

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> Self::Output {
        let Self {
            dims,
            dir,
            projected,
            u,
            mask,
            save,
        } = self;
        let Dims { d, b, n, h, .. } = dims;
        let g4 = 4 * h;
        let u_dir = &u[dir * h * g4..(dir + 1) * h * g4];
        let mut states = vec![0.0f32; b * n * h];
        let mut saved = save.then(|| Saved {
            gates: vec![0.0; b * n * g4],
            cells: vec![0.0; b * n * h],
            tanh_cells: vec![0.0; b * n * h],
        });
        let mut hs = vec![0.0f32; b * h];
        let mut cs = vec![0.0f32; b * h];
        let mut gates = vec![0.0f32; b * g4];
        let mut tc = vec![0.0f32; h];
        for s in 0..n {
            let t = dims.slot(dir, s);
            for (row, gate_row) in gates.chunks_exact_mut(g4).enumerate() {
                let at = (row * n + t) * d * g4 + dir * g4;
                gate_row.copy_from_slice(&projected[at..at + g4]);
            }
            // register blocks by vector width (measured on AVX-512: 2 rows × 128 columns
            // took a batch of 64 from 2.4 to 1.8 ms, one thread; narrower ones spill or stall)
            match S::F32_LANES {
                16 => add_rows_times::<2, 128>(&mut gates, &hs, u_dir, h, g4),
                _ => add_rows_times::<1, 64>(&mut gates, &hs, u_dir, h, g4),
            }
            for row in 0..b {
                let gate_row = &mut gates[row * g4..(row + 1) * g4];
                let (ifg, o) = gate_row.split_at_mut(3 * h);
                let (i_f, g) = ifg.split_at_mut(2 * h);
                i_f.iter_mut().for_each(|x| *x = sigmoid(*x));
                g.iter_mut().for_each(|x| *x = tanh(*x));
                o.iter_mut().for_each(|x| *x = sigmoid(*x));
                let (i, f) = i_f.split_at(h);
                let m = mask[row * n + t];
                let c = &mut cs[row * h..(row + 1) * h];
                let hr = &mut hs[row * h..(row + 1) * h];
                // equal lengths, so the loops below carry no bounds checks and vectorise
                let (i, f, g, o, tc) = (&i[..h], &f[..h], &g[..h], &o[..h], &mut tc[..h]);
                for j in 0..h {
                    let c_new = f[j] * c[j] + i[j] * g[j];
                    tc[j] = c_new;
                    c[j] = m * c_new + (1.0 - m) * c[j];
                }
                tc.iter_mut().for_each(|x| *x = tanh(*x));
                for j in 0..h {
                    hr[j] = m * (o[j] * tc[j]) + (1.0 - m) * hr[j];
                }
                let at = (row * n + t) * h;
                states[at..at + h].copy_from_slice(hr);
                if let Some(saved) = saved.as_mut() {
                    saved.cells[at..at + h].copy_from_slice(c);
                    saved.tanh_cells[at..at + h].copy_from_slice(tc);
                    let g_at = (row * n + t) * g4;
                    saved.gates[g_at..g_at + g4].copy_from_slice(gate_row);
                }
            }
        }
        (states, saved)
    }
}

/// Back-propagation through time: from `∂L/∂states` `[B, n, D·h]`, the gradients of
/// `projected` and `U`, walking each direction's steps backwards with the carried `∂L/∂h`,
/// `∂L/∂c`:
///
/// - blend: `∂h_new = m·∂h`, `∂c_new = m·∂c + ∂h_new·o·(1 − tanh²c_new)`, and `(1 − m)` of
///   `∂h`, `∂c` passes to the previous step unchanged;
/// - `∂o = ∂h_new·tanh c_new`, `∂i = ∂c_new·g`, `∂f = ∂c_new·c_{t−1}`, `∂g = ∂c_new·i`,
///   `∂c_{t−1} += ∂c_new·f`;
/// - through the activations, `∂a = ∂σ·σ(1 − σ)` (`∂tanh·(1 − tanh²)` for `g`), which is
///   `∂projected_t`; `∂h_{t−1} += ∂a·Uᵀ`; and `∂U = Σ_t h_{t−1}ᵀ·∂a_t`, one product at the end.
pub fn backward(
    dims: Dims,
    grad_states: &[f32],
    states: &[f32],
    u: &[f32],
    mask: &[f32],
    saved: &[Saved],
) -> Gradients {
    let runs = per_direction(dims.d, |dir| {
        pulp::Arch::new().dispatch(BackwardDirection {
            dims,
            dir,
            grad_states,
            states,
            u,
            mask,
            saved: &saved[dir],
        })
    });
    let (projected, u): (Vec<_>, Vec<_>) = runs.into_iter().unzip();
    Gradients {
        projected: interleave(&projected, dims.b * dims.n, 4 * dims.h),
        u: u.concat(),
    }
}

/// One direction of [`backward`], run like [`ForwardDirection`].
struct BackwardDirection<'a> {
    dims: Dims,
    dir: usize,
    grad_states: &'a [f32],
    states: &'a [f32],
    u: &'a [f32],
    mask: &'a [f32],
    saved: &'a Saved,
}

impl pulp::WithSimd for BackwardDirection<'_> {
    /// The direction's `∂projected` `[B, n, 4h]` and `∂U` `[h, 4h]`.
    type Output = (Vec<f32>, Vec<f32>);

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> Self::Output {
        let Self {
            dims,
            dir,
            grad_states,
            states,
            u,
            mask,
            saved,
        } = self;
        let Dims { d, b, n, h, .. } = dims;
        let g4 = 4 * h;
        let u_dir = &u[dir * h * g4..(dir + 1) * h * g4];
        let mut grad_projected = vec![0.0f32; b * n * g4];
        let mut dh = vec![0.0f32; b * h];
        let mut dc = vec![0.0f32; b * h];
        let mut da = vec![0.0f32; b * g4];
        // h_{t−1} for every (row, slot), matching ∂a_t's rows in grad_projected: [B·n, h]
        let mut previous = vec![0.0f32; b * n * h];
        let zeros = vec![0.0f32; h];
        for s in (0..n).rev() {
            let t = dims.slot(dir, s);
            let t_prev = (s > 0).then(|| dims.slot(dir, s - 1));
            for row in 0..b {
                let at = (row * n + t) * h;
                let g_at = (row * n + t) * g4;
                let m = mask[row * n + t];
                let gates = &saved.gates[g_at..g_at + g4];
                let (i, rest) = gates.split_at(h);
                let (f, rest) = rest.split_at(h);
                let (g, o) = rest.split_at(h);
                let tc = &saved.tanh_cells[at..at + h];
                let c_prev = match t_prev {
                    Some(tp) => &saved.cells[(row * n + tp) * h..(row * n + tp + 1) * h],
                    None => &zeros[..],
                };
                let out_at = (row * n + t) * d * h + dir * h;
                let grad_out = &grad_states[out_at..out_at + h];
                let dh_r = &mut dh[row * h..(row + 1) * h];
                let dc_r = &mut dc[row * h..(row + 1) * h];
                let (da_i, rest) = da[row * g4..(row + 1) * g4].split_at_mut(h);
                let (da_f, rest) = rest.split_at_mut(h);
                let (da_g, da_o) = rest.split_at_mut(h);
                // equal lengths, so the loop carries no bounds checks and vectorises
                let (i, f, g, o, tc, c_prev) =
                    (&i[..h], &f[..h], &g[..h], &o[..h], &tc[..h], &c_prev[..h]);
                let (da_i, da_f, da_g, da_o) = (
                    &mut da_i[..h],
                    &mut da_f[..h],
                    &mut da_g[..h],
                    &mut da_o[..h],
                );
                for j in 0..h {
                    let dh_total = dh_r[j] + grad_out[j];
                    let dh_new = m * dh_total;
                    let dc_new = m * dc_r[j] + dh_new * o[j] * (1.0 - tc[j] * tc[j]);
                    let (di, df, dg, d_o) = (
                        dc_new * g[j],
                        dc_new * c_prev[j],
                        dc_new * i[j],
                        dh_new * tc[j],
                    );
                    da_i[j] = di * i[j] * (1.0 - i[j]);
                    da_f[j] = df * f[j] * (1.0 - f[j]);
                    da_g[j] = dg * (1.0 - g[j] * g[j]);
                    da_o[j] = d_o * o[j] * (1.0 - o[j]);
                    dc_r[j] = dc_new * f[j] + (1.0 - m) * dc_r[j];
                    dh_r[j] = (1.0 - m) * dh_total;
                }
                grad_projected[g_at..g_at + g4].copy_from_slice(&da[row * g4..(row + 1) * g4]);
                if let Some(tp) = t_prev {
                    let prev_at = (row * n + tp) * d * h + dir * h;
                    previous[at..at + h].copy_from_slice(&states[prev_at..prev_at + h]);
                }
            }
            add_product(
                &mut dh,
                Matrix::rows(&da, b, g4),
                Matrix::rows(u_dir, h, g4).t(),
                Threads::One,
            );
        }
        // ∂U = Σ over rows and slots of h_{t−1}ᵀ ∂a_t: [h, B·n] · [B·n, 4h]
        let mut grad_u = vec![0.0f32; h * g4];
        add_product(
            &mut grad_u,
            Matrix::rows(&previous, b * n, h).t(),
            Matrix::rows(&grad_projected, b * n, g4),
            Threads::One,
        );
        (grad_projected, grad_u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The polynomial `exp` stays within 3·10⁻⁷ relative error of libm's over the range the
    /// gates see, and `σ`, `tanh` within 2·10⁻⁷ absolute; saturation and NaN behave.
    #[test]
    fn exp_sigmoid_and_tanh_match_libm() {
        let mut worst = 0.0f64;
        for k in -80_000..=80_000 {
            let x = k as f32 * 1e-3;
            let (got, want) = (exp(x) as f64, (x as f64).exp());
            worst = worst.max(((got - want) / want).abs());
            assert!(
                (sigmoid(x) as f64 - 1.0 / (1.0 + (-x as f64).exp())).abs() < 2e-7,
                "σ({x})"
            );
            assert!(
                (tanh(x) as f64 - (x as f64).tanh()).abs() < 2e-7,
                "tanh({x})"
            );
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert!((0.0..1e-38).contains(&sigmoid(-1e4)));
        assert_eq!((sigmoid(1e4), tanh(1e4), tanh(-1e4)), (1.0, 1.0, -1.0));
        assert!(exp(f32::INFINITY).is_finite() && exp(f32::NEG_INFINITY) > 0.0);
        assert!(exp(f32::NAN).is_nan() && sigmoid(f32::NAN).is_nan());
    }

    /// One step by hand, `h = 1`, `U = 0`: gates (0, 1, 0.5, 2) give `c = σ(0)·tanh(0.5)`,
    /// `h = σ(2)·tanh(c)`; a masked step copies the state; the backward pass of `L = h`
    /// gives `∂L/∂o = tanh(c)·σ'(2)`.
    #[test]
    fn one_step_by_hand_forward_and_backward() {
        let s = |x: f32| 1.0 / (1.0 + (-x).exp());
        let dims = Dims {
            d: 1,
            b: 1,
            n: 2,
            h: 1,
            reversed_from: 1,
        };
        let projected = [0.0, 1.0, 0.5, 2.0, 9.0, 9.0, 9.0, 9.0];
        let (states, saved) = forward(dims, &projected, &[0.0; 4], &[1.0, 0.0], true);
        let c = s(0.0) * 0.5f32.tanh();
        let h = s(2.0) * c.tanh();
        assert!(
            (states[0] - h).abs() < 1e-6 && states[1] == states[0],
            "{states:?}"
        );
        let grads = backward(dims, &[0.0, 1.0], &states, &[0.0; 4], &[1.0, 0.0], &saved);
        let d_o = c.tanh() * s(2.0) * (1.0 - s(2.0));
        assert!(
            (grads.projected[3] - d_o).abs() < 1e-6,
            "{:?}",
            grads.projected
        );
        assert!(grads.projected[4..].iter().all(|g| *g == 0.0));
        assert_eq!(grads.u, vec![0.0; 4]);
    }

    /// Every register blocking of the recurrent product gives each element the same bits as
    /// the plain sum `out + Σ_k a·m` in order of `k`: whole and partial row groups, whole and
    /// partial column blocks.
    #[test]
    fn register_blocks_give_the_plain_sum_bit_for_bit() {
        let (rows, k, cols) = (5usize, 40usize, 160usize);
        let mut seed = 7u32;
        let mut random = |len: usize| -> Vec<f32> {
            (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 8) as f32 / 16_777_216.0 - 0.5
                })
                .collect()
        };
        let (a, m, start) = (random(rows * k), random(k * cols), random(rows * cols));
        let mut plain = start.clone();
        for r in 0..rows {
            for c in 0..cols {
                for kk in 0..k {
                    plain[r * cols + c] += a[r * k + kk] * m[kk * cols + c];
                }
            }
        }
        type AddRowsTimes = fn(&mut [f32], &[f32], &[f32], usize, usize);
        let blocked: [AddRowsTimes; 4] = [
            add_rows_times::<1, 64>,
            add_rows_times::<2, 128>,
            add_rows_times::<2, 64>,
            add_rows_times::<3, 32>,
        ];
        for (i, add) in blocked.into_iter().enumerate() {
            let mut out = start.clone();
            add(&mut out, &a, &m, k, cols);
            assert_eq!(out, plain, "blocking {i}");
        }
    }

    /// Each row's states are bit-for-bit those of the row alone (a session scores the same
    /// whatever batch it is in), with a batch that is not a whole number of row groups and a
    /// hidden size whose `4h` is not a whole number of column blocks.
    #[test]
    fn a_row_alone_gives_the_same_bits_as_in_a_batch() {
        let (b, n, h) = (5usize, 7usize, 40usize);
        let mut seed = 1u32;
        let mut random = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / 16_777_216.0 - 0.5
        };
        let projected: Vec<f32> = (0..b * n * 8 * h).map(|_| 4.0 * random()).collect();
        let u: Vec<f32> = (0..2 * h * 4 * h).map(|_| random()).collect();
        let mask: Vec<f32> = (0..b * n).map(|i| f32::from(i % n >= i / n)).collect();
        let dims = Dims {
            d: 2,
            b,
            n,
            h,
            reversed_from: 1,
        };
        let (all, _) = forward(dims, &projected, &u, &mask, false);
        for row in 0..b {
            let p = &projected[row * n * 8 * h..(row + 1) * n * 8 * h];
            let m = &mask[row * n..(row + 1) * n];
            let (alone, _) = forward(Dims { b: 1, ..dims }, p, &u, m, false);
            assert_eq!(
                alone[..],
                all[row * n * 2 * h..(row + 1) * n * 2 * h],
                "row {row}"
            );
        }
    }

    /// `x·W + b` and its gradients by hand: `x = [[1, 2]]`, `W = [[1, 0, 2], [0, 1, −1]]`,
    /// `b = (0.5, 0, 0)`; under `g = (1, 2, 3)`: `∂x = g·Wᵀ = (7, −1)`, `∂W = xᵀg`, `∂b = g`.
    #[test]
    fn projection_and_its_gradients_by_hand() {
        let (x, w) = ([1.0f32, 2.0], [1.0f32, 0.0, 2.0, 0.0, 1.0, -1.0]);
        assert_eq!(project(&x, &w, &[0.5, 0.0, 0.0], 1, 2), vec![1.5, 2.0, 0.0]);
        let g = project_backward(&x, &w, &[1.0, 2.0, 3.0], 1, 2, 3);
        assert_eq!(g.x, vec![7.0, -1.0]);
        assert_eq!(g.w, vec![1.0, 2.0, 3.0, 2.0, 4.0, 6.0]);
        assert_eq!(g.bias, vec![1.0, 2.0, 3.0]);
    }
}

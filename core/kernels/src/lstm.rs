//! The LSTM recurrence and its backward pass (back-propagation through time) as plain loops
//! over `f32` slices: one pass per step over each direction's `[B, 4h]` gate block, with no
//! allocation inside the loop. Where the CPU has fused multiply-adds on 8 or 16 lanes (AVX2,
//! AVX-512), the input projection `x_t W + b` is summed into the gates inside each step by the
//! same register-blocked product as `h U`, so the projected inputs of every slot (`[n, B,
//! D·4h]`, 42 MB at a batch of 1,024) are never written out and read back; elsewhere (wasm's
//! 4-lane SIMD, no fused multiply-add) they are one `gemm` product before the loop, which there
//! is faster than the step-by-step one for the single sessions a browser scores.
//! seqrisk-core's `lstm_kernel` runs these on burn's CPU backend in place of the ~15 tensor
//! operations a step costs there. Directions are independent: with the `rayon` feature they
//! run on separate threads.
//!
//! Layouts (row-major, time in natural order): `x` `[B, n, k]`, `w` `[k, D·4h]` and `bias`
//! `[D·4h]` (direction `d`'s gates `i f g o` at columns `d·4h..(d+1)·4h`), `u` `[D, h, 4h]`,
//! `mask` `[B, n]`, states `[B, n, D·h]` (slot `t` holds every direction's state after
//! reading it). Directions `d ≥ reversed_from` read the slots from last to first.

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

/// The recurrence's input and its projection.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// `x`, `[B, n, k]`.
    pub x: &'a [f32],
    /// `k`, the input size.
    pub k: usize,
    /// `W`, `[k, D·4h]`.
    pub w: &'a [f32],
    /// `b`, `[D·4h]`.
    pub bias: &'a [f32],
}

/// The gradients of the recurrence's two differentiable inputs.
#[derive(Clone, Debug)]
pub struct Gradients {
    /// `∂L/∂(x_t W + b)` of every slot, `[B, n, D·4h]`.
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

/// `acc + a·b`, as one fused multiply-add when `FMA` (one rounding instead of two).
#[inline(always)]
fn mul_add<const FMA: bool>(a: f32, b: f32, acc: f32) -> f32 {
    if FMA { a.mul_add(b, acc) } else { acc + a * b }
}

/// The left operand of [`add_rows_times`], read in place: row `r` is `parts[0]`'s row `r`
/// followed by `parts[1]`'s, a part's row `r` being `data[r·stride..r·stride + len]` for
/// `(data, stride, len)` (the recurrence's `[x_t, h]`, from `x` and the state).
#[derive(Clone, Copy)]
struct Rows<'a> {
    parts: [(&'a [f32], usize, usize); 2],
}

/// `out[r, :] = init_r + a_r · m` for `m` `[k, cols]` (row-major) and `init_r` the row
/// `data[r·stride..][..cols]` of `init = (data, stride)` (stride 0: one row for all): `init_r`,
/// then `k` scaled rows of `m` added in order (fused multiply-adds when `FMA`). Unlike a
/// blocked matrix product, a row's result does not depend on how many rows there are, so a
/// session scores the same alone as in a batch; inlined into [`ForwardDirection`]'s SIMD
/// copies, the inner loop vectorises.
///
/// The columns go in blocks of `C`, and for each block the rows `R` at a time: the block of
/// `m` (`k × C`, 32 KiB for `k = 128` and `C = 64`) stays in the L1 cache while every row
/// reads it, and each group's `R × C` sums stay in registers over all of `k`. The remaining
/// rows of a block go two at a time, then one, the remaining columns one by one. Every element
/// is the same sum in the same order whatever `R` and `C` are.
#[inline(always)]
fn add_rows_times<const R: usize, const C: usize, const FMA: bool>(
    out: &mut [f32],
    init: (&[f32], usize),
    a: Rows,
    m: &[f32],
    cols: usize,
) {
    let rows = out.len() / cols.max(1);
    let grouped = rows - rows % R;
    let blocked = cols - cols % C;
    for start in (0..blocked).step_by(C) {
        for first in (0..grouped).step_by(R) {
            add_block::<R, C, FMA>(out, init, a, m, cols, [first, start]);
        }
        // the rest in pairs, then alone
        let paired = grouped + (rows - grouped) / 2 * 2;
        for first in (grouped..paired).step_by(2) {
            add_block::<2, C, FMA>(out, init, a, m, cols, [first, start]);
        }
        for row in paired..rows {
            add_block::<1, C, FMA>(out, init, a, m, cols, [row, start]);
        }
    }
    if blocked == cols {
        return;
    }
    for (r, out_row) in out.chunks_exact_mut(cols.max(1)).enumerate() {
        let (init, stride) = init;
        out_row[blocked..].copy_from_slice(&init[r * stride + blocked..r * stride + cols]);
        let a_row = a
            .parts
            .iter()
            .flat_map(|&(data, stride, len)| &data[r * stride..r * stride + len]);
        for (&a_rk, m_row) in a_row.zip(m.chunks_exact(cols)) {
            for (o, &w) in out_row[blocked..].iter_mut().zip(&m_row[blocked..]) {
                *o = mul_add::<FMA>(a_rk, w, *o);
            }
        }
    }
}

/// [`add_rows_times`] on rows `first..first + R` and columns `start..start + C`.
#[inline(always)]
fn add_block<const R: usize, const C: usize, const FMA: bool>(
    out: &mut [f32],
    (init, stride): (&[f32], usize),
    a: Rows,
    m: &[f32],
    cols: usize,
    [first, start]: [usize; 2],
) {
    let from = |r: usize| (first + r) * stride + start;
    let acc: [[f32; C]; R] = std::array::from_fn(|r| {
        init[from(r)..from(r) + C]
            .try_into()
            .expect("a block of C columns")
    });
    let [head, tail] = a.parts;
    let (m_head, m_tail) = m.split_at(head.2 * cols);
    // the sums go from one part to the next by value, so they stay in registers (a loop over
    // the parts left them on the stack)
    let acc = accumulate::<R, C, FMA>(acc, head, m_head, cols, [first, start]);
    let acc = accumulate::<R, C, FMA>(acc, tail, m_tail, cols, [first, start]);
    for (r, acc) in acc.iter().enumerate() {
        let at = (first + r) * cols + start;
        out[at..at + C].copy_from_slice(acc);
    }
}

/// `acc[r] += part_r · m` over one part of [`Rows`] (`m`: that part's rows of the weights).
#[inline(always)]
fn accumulate<const R: usize, const C: usize, const FMA: bool>(
    mut acc: [[f32; C]; R],
    (data, stride, len): (&[f32], usize, usize),
    m: &[f32],
    cols: usize,
    [first, start]: [usize; 2],
) -> [[f32; C]; R] {
    for kk in 0..len {
        let m_block: &[f32; C] = m[kk * cols + start..kk * cols + start + C]
            .try_into()
            .expect("a block of C columns");
        let a_k: [f32; R] = std::array::from_fn(|r| data[(first + r) * stride + kk]);
        for r in 0..R {
            for c in 0..C {
                acc[r][c] = mul_add::<FMA>(a_k[r], m_block[c], acc[r][c]);
            }
        }
    }
    acc
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

/// The gate inputs of every row, `x·W + b` for `x` `[rows, k]`, `W` `[k, cols]` and `b`
/// `[cols]` (row-major), as one product: `[rows, cols]`.
fn project(x: &[f32], w: &[f32], bias: &[f32], rows: usize, k: usize) -> Vec<f32> {
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

/// Whether the CPU's SIMD has fused multiply-adds on 8 or more lanes (pulp's choice at run
/// time), where [`forward`] projects the input inside each step.
struct FusesProjection;

impl pulp::WithSimd for FusesProjection {
    type Output = bool;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> bool {
        S::F32_LANES >= 8
    }
}

/// The gradients of the input projection `x W + b` over all rows (every sample and slot).
#[derive(Clone, Debug)]
pub struct ProjectionGradients {
    /// `∂L/∂x = g·Wᵀ`, `[rows, k]`.
    pub x: Vec<f32>,
    /// `∂L/∂W = xᵀ·g`, `[k, cols]`.
    pub w: Vec<f32>,
    /// `∂L/∂b = Σ_rows g`, `[cols]`.
    pub bias: Vec<f32>,
}

/// The backward pass of the input projection from `g = ∂L/∂(x·W + b)`, `[rows, cols]`
/// ([`Gradients::projected`]), for `x` `[rows, k]` and `W` `[k, cols]`.
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
/// `[i f g o] = b + x_t W + h U`, `c_new = σ(f)⊙c + σ(i)⊙tanh(g)`,
/// `h_new = σ(o)⊙tanh(c_new)`, `(h, c) ← m_t·(h_new, c_new) + (1 − m_t)·(h, c)`. Returns
/// the states `[B, n, D·h]`, and when `save`, what [`backward`] needs, per direction.
pub fn forward(
    dims: Dims,
    input: Input,
    u: &[f32],
    mask: &[f32],
    save: bool,
) -> (Vec<f32>, Vec<Saved>) {
    let fuse_projection = pulp::Arch::new().dispatch(FusesProjection);
    forward_with(dims, input, u, mask, save, fuse_projection)
}

/// [`forward`], the input projected inside each step or (`!fuse_projection`) before the loop.
fn forward_with(
    dims: Dims,
    input: Input,
    u: &[f32],
    mask: &[f32],
    save: bool,
    fuse_projection: bool,
) -> (Vec<f32>, Vec<Saved>) {
    let Dims { d, b, n, h, .. } = dims;
    let k = input.k;
    // x time-major, [n, B, k]: each step reads one block
    let mut x_by_slot = Vec::with_capacity(input.x.len());
    for t in 0..n {
        for row in 0..b {
            x_by_slot.extend_from_slice(&input.x[(row * n + t) * k..(row * n + t + 1) * k]);
        }
    }
    let input = Input {
        x: &x_by_slot,
        ..input
    };
    // [n, B, D·4h], when not projected inside the steps
    let projected = (!fuse_projection).then(|| project(&x_by_slot, input.w, input.bias, n * b, k));
    let runs = per_direction(d, |dir| {
        pulp::Arch::new().dispatch(ForwardDirection {
            dims,
            dir,
            input,
            projected: projected.as_deref(),
            u,
            mask,
            save,
        })
    });
    let (states, saved): (Vec<_>, Vec<_>) = runs.into_iter().unzip();
    let mut out = vec![0.0f32; b * n * d * h];
    for (dir, by_step) in states.iter().enumerate() {
        for (sr, state) in by_step.chunks_exact(h.max(1)).enumerate() {
            let (t, row) = (dims.slot(dir, sr / b), sr % b);
            let at = (row * n + t) * d * h + dir * h;
            out[at..at + h].copy_from_slice(state);
        }
    }
    (out, saved.into_iter().flatten().collect())
}

/// One direction of [`forward`], run by pulp's `Arch::dispatch`: `with_simd` is inlined into
/// a copy per instruction set (AVX2, AVX-512, …) chosen at run time, so the element-wise loops
/// vectorise with the widest the CPU has. (Given a closure instead, pulp would call it as a
/// separate, baseline-compiled function.)
struct ForwardDirection<'a> {
    dims: Dims,
    dir: usize,
    /// The input, its `x` time-major here: `[n, B, k]`.
    input: Input<'a>,
    /// `x W + b` of every slot, `[n, B, D·4h]`; `None`: projected inside each step.
    projected: Option<&'a [f32]>,
    u: &'a [f32],
    mask: &'a [f32],
    save: bool,
}

impl pulp::WithSimd for ForwardDirection<'_> {
    /// The direction's states in the order it reads the slots, `[n, B, h]`, and its
    /// [`Saved`] when `save`.
    type Output = (Vec<f32>, Option<Saved>);

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> Self::Output {
        let Self {
            dims,
            dir,
            input: Input { x, k, w, bias },
            projected,
            u,
            mask,
            save,
        } = self;
        let Dims { d, b, n, h, .. } = dims;
        let g4 = 4 * h;
        let u_dir = &u[dir * h * g4..(dir + 1) * h * g4];
        // the product's right operand: [W; U] of this direction, contiguous, [k + h, 4h]; or
        // U alone after the projection
        let mut weights = Vec::new();
        if projected.is_none() {
            weights.reserve((k + h) * g4);
            for row in w.chunks_exact((d * g4).max(1)) {
                weights.extend_from_slice(&row[dir * g4..(dir + 1) * g4]);
            }
            weights.extend_from_slice(u_dir);
        }
        let bias_dir = &bias[dir * g4..(dir + 1) * g4];
        // [n, B, h] in the order of the steps: each step appends a block
        let mut states = Vec::with_capacity(n * b * h);
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
            // each row's [x_t, h], read in place: the step's product is b + [x_t, h]·[W; U];
            // or (x_t W + b) + h·U
            let (init, xh, m) = match projected {
                Some(p) => (
                    (p.get((t * b * d + dir) * g4..).unwrap_or_default(), d * g4),
                    Rows {
                        parts: [(&hs, h, h), (&[], 0, 0)],
                    },
                    u_dir,
                ),
                None => (
                    (bias_dir, 0),
                    Rows {
                        parts: [(x.get(t * b * k..).unwrap_or_default(), k, k), (&hs, h, h)],
                    },
                    &weights[..],
                ),
            };
            // register blocks by vector width, fused multiply-adds where the instruction set
            // has them (AVX2, AVX-512). On AVX-512, 6 rows × 64 columns run a batch of 1,020
            // at 76 GFLOP/s for k = 64 and 123 for k = 128 against 45 and 47 for the
            // 2 × 128 rows-first blocks with separate multiplies and adds, one thread
            match S::F32_LANES {
                16 => add_rows_times::<6, 64, true>(&mut gates, init, xh, m, g4),
                8 => add_rows_times::<1, 64, true>(&mut gates, init, xh, m, g4),
                _ => add_rows_times::<1, 64, false>(&mut gates, init, xh, m, g4),
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
                if let Some(saved) = saved.as_mut() {
                    saved.cells[at..at + h].copy_from_slice(c);
                    saved.tanh_cells[at..at + h].copy_from_slice(tc);
                    let g_at = (row * n + t) * g4;
                    saved.gates[g_at..g_at + g4].copy_from_slice(gate_row);
                }
            }
            states.extend_from_slice(&hs);
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

    /// One step by hand, `h = 1`, `U = 0`: `x = 1`, `W = (0, 0.5, 0.5, 1)`,
    /// `b = (0, 0.5, 0, 1)` give the gates (0, 1, 0.5, 2), so `c = σ(0)·tanh(0.5)`,
    /// `h = σ(2)·tanh(c)`; a masked step (`x = 9`) copies the state; the backward pass of
    /// `L = h` gives `∂L/∂o = tanh(c)·σ'(2)`.
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
        let input = Input {
            x: &[1.0, 9.0],
            k: 1,
            w: &[0.0, 0.5, 0.5, 1.0],
            bias: &[0.0, 0.5, 0.0, 1.0],
        };
        let (states, saved) = forward(dims, input, &[0.0; 4], &[1.0, 0.0], true);
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

    /// Every register blocking of the product gives each element the same bits as the plain
    /// sum `init + Σ_k a·m` in order of `k`: whole and partial row groups, whole and partial
    /// column blocks, each row of `a` read from two parts with rows further apart than their
    /// length (as `[x_t, h]` is).
    #[test]
    fn register_blocks_give_the_plain_sum_bit_for_bit() {
        let (rows, k, cols, stride) = (5usize, 40usize, 160usize, 43usize);
        let (k1, stride2) = (25usize, 17usize);
        let mut seed = 7u32;
        let mut random = |len: usize| -> Vec<f32> {
            (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 8) as f32 / 16_777_216.0 - 0.5
                })
                .collect()
        };
        let (a, m, init) = (random(rows * stride), random(k * cols), random(rows * cols));
        // the same rows in two parts: columns ..k1 as they are, the rest every stride2
        let mut second = vec![f32::NAN; rows * stride2];
        for r in 0..rows {
            second[r * stride2..r * stride2 + k - k1]
                .copy_from_slice(&a[r * stride + k1..r * stride + k]);
        }
        let parts = Rows {
            parts: [(&a, stride, k1), (&second, stride2, k - k1)],
        };
        // init: one row for all (stride 0), or a row each (stride cols)
        let plain = |fma: bool, init_stride: usize| {
            let mut out: Vec<f32> = (0..rows)
                .flat_map(|r| &init[r * init_stride..r * init_stride + cols])
                .copied()
                .collect();
            for r in 0..rows {
                for c in 0..cols {
                    for kk in 0..k {
                        let (x, w, o) = (a[r * stride + kk], m[kk * cols + c], out[r * cols + c]);
                        out[r * cols + c] = if fma { x.mul_add(w, o) } else { o + x * w };
                    }
                }
            }
            out
        };
        type AddRowsTimes = fn(&mut [f32], (&[f32], usize), Rows, &[f32], usize);
        let blocked: [(AddRowsTimes, bool); 6] = [
            (add_rows_times::<1, 64, false>, false),
            (add_rows_times::<2, 128, false>, false),
            (add_rows_times::<3, 32, false>, false),
            (add_rows_times::<1, 64, true>, true),
            (add_rows_times::<6, 64, true>, true),
            (add_rows_times::<2, 48, true>, true),
        ];
        for (i, (add, fma)) in blocked.into_iter().enumerate() {
            for init_stride in [0, cols] {
                let mut out = vec![f32::NAN; rows * cols];
                add(&mut out, (&init, init_stride), parts, &m, cols);
                assert_eq!(
                    out,
                    plain(fma, init_stride),
                    "blocking {i}, init stride {init_stride}"
                );
            }
        }
    }

    /// Each row's states are bit-for-bit those of the row alone (a session scores the same
    /// whatever batch it is in), with a batch that is not a whole number of row groups and a
    /// hidden size whose `4h` is not a whole number of column blocks, whichever way the input
    /// is projected; and both ways give the same states up to rounding.
    #[test]
    fn a_row_alone_gives_the_same_bits_as_in_a_batch() {
        let (b, n, h, k) = (8usize, 7usize, 40usize, 24usize);
        let mut seed = 1u32;
        let mut random = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / 16_777_216.0 - 0.5
        };
        let x: Vec<f32> = (0..b * n * k).map(|_| 4.0 * random()).collect();
        let w: Vec<f32> = (0..k * 8 * h).map(|_| 0.5 * random()).collect();
        let bias: Vec<f32> = (0..8 * h).map(|_| random()).collect();
        let u: Vec<f32> = (0..2 * h * 4 * h).map(|_| random()).collect();
        let mask: Vec<f32> = (0..b * n).map(|i| f32::from(i % n >= i / n)).collect();
        let dims = Dims {
            d: 2,
            b,
            n,
            h,
            reversed_from: 1,
        };
        let input = Input {
            x: &x,
            k,
            w: &w,
            bias: &bias,
        };
        // both ways of projecting the input: inside the steps (AVX2, AVX-512) and before them
        let mut both = Vec::new();
        for fuse in [true, false] {
            let (all, _) = forward_with(dims, input, &u, &mask, false, fuse);
            for row in 0..b {
                let x_row = &x[row * n * k..(row + 1) * n * k];
                let m = &mask[row * n..(row + 1) * n];
                let alone_input = Input { x: x_row, ..input };
                let one = Dims { b: 1, ..dims };
                let (alone, _) = forward_with(one, alone_input, &u, m, false, fuse);
                assert_eq!(
                    alone[..],
                    all[row * n * 2 * h..(row + 1) * n * 2 * h],
                    "row {row}, projection inside the steps: {fuse}"
                );
            }
            both.push(all);
        }
        // the same states, up to rounding (the sums run in another order)
        for (a, b) in both[0].iter().zip(&both[1]) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    /// The gradients of `x·W + b` by hand: `x = [[1, 2]]`, `W = [[1, 0, 2], [0, 1, −1]]`;
    /// under `g = (1, 2, 3)`: `∂x = g·Wᵀ = (7, −1)`, `∂W = xᵀg`, `∂b = g`.
    #[test]
    fn projection_gradients_by_hand() {
        let (x, w) = ([1.0f32, 2.0], [1.0f32, 0.0, 2.0, 0.0, 1.0, -1.0]);
        let g = project_backward(&x, &w, &[1.0, 2.0, 3.0], 1, 2, 3);
        assert_eq!(g.x, vec![7.0, -1.0]);
        assert_eq!(g.w, vec![1.0, 2.0, 3.0, 2.0, 4.0, 6.0]);
        assert_eq!(g.bias, vec![1.0, 2.0, 3.0]);
    }
}

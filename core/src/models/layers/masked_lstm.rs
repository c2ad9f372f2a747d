//! A padding-aware LSTM (the LSTM4FD baseline's) and the Bi-LSTM of NHFM §3.3.2.
//!
//! Burn's `Lstm` takes no mask, so padded steps would still move its state. Here a step whose
//! mask is 0 leaves `(h, c)` unchanged, so padding anywhere in the sequence (in particular
//! in front of a right-aligned history, where the backward direction ends) changes nothing.

use super::lstm_kernel::fused_recurrence;
use crate::encode::Padding;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

/// Configuration of [`MaskedLstm`].
#[derive(Config, Debug)]
pub struct MaskedLstmConfig {
    /// Input size.
    pub d_input: usize,
    /// Hidden size `h`.
    pub d_hidden: usize,
    /// Process the sequence from the last step to the first.
    #[config(default = false)]
    pub reverse: bool,
}

impl MaskedLstmConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> MaskedLstm {
        MaskedLstm {
            input: LinearConfig::new(self.d_input, 4 * self.d_hidden).init(device),
            hidden: LinearConfig::new(self.d_hidden, 4 * self.d_hidden)
                .with_bias(false)
                .init(device),
            d_hidden: self.d_hidden,
            reverse: self.reverse,
        }
    }
}

/// The standard LSTM cell, gates in the order input, forget, cell, output:
///
/// `[i f g o] = W x_t + U h_{t−1} + b`, `c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g)`,
/// `h_t = σ(o)⊙tanh(c_t)`; with mask `m_t`: `(h, c) ← m_t·(h_t, c_t) + (1 − m_t)·(h, c)`.
///
/// [`MaskedLstm::forward`] runs one direction; [`MaskedBiLstm`] runs two together.
#[derive(Module, Debug)]
pub struct MaskedLstm {
    /// `W`, `b`: input projection to the four gates.
    pub input: Linear,
    /// `U`: recurrent projection.
    pub hidden: Linear,
    /// `h`.
    pub d_hidden: usize,
    /// Read the sequence from the last step to the first.
    pub reverse: bool,
}

/// Configuration of [`MaskedBiLstm`].
#[derive(Config, Debug)]
pub struct MaskedBiLstmConfig {
    /// Input size.
    pub d_input: usize,
    /// Hidden size `h`.
    pub d_hidden: usize,
}

impl MaskedBiLstmConfig {
    /// Build the module.
    pub fn init(&self, device: &Device) -> MaskedBiLstm {
        let cfg = MaskedLstmConfig::new(self.d_input, self.d_hidden);
        MaskedBiLstm {
            forward: cfg.init(device),
            backward: cfg.with_reverse(true).init(device),
        }
    }
}

/// `s_RNN = Bi-LSTM(E_his)`: the final states of the two directions, summed (§3.3.2).
#[derive(Module, Debug)]
pub struct MaskedBiLstm {
    /// Forward direction.
    pub forward: MaskedLstm,
    /// Backward direction.
    pub backward: MaskedLstm,
}

impl MaskedBiLstm {
    /// `x`: `[B, L, d]`, `mask`: `[B, L]`, `padding`: the batch's layout (of its first `L` slots, or
    /// more) → `s_RNN`, `[B, h]`.
    ///
    /// Both directions run as one recurrence ([`recurrence`]), and slots that are padding in
    /// every sequence are skipped (they would leave the zero state unchanged; see [`Padding`]).
    pub fn forward(&self, x: Tensor<3>, mask: Tensor<2>, padding: Padding) -> Tensor<2> {
        let (b, device) = (x.dims()[0], x.device());
        let hd = self.forward.d_hidden;
        match self.run(x, mask, padding, false) {
            Some((run, _)) => run.last.clone().narrow(1, 0, hd) + run.last.narrow(1, hd, hd),
            None => Tensor::zeros([b, hd], &device),
        }
    }

    /// Both directions over the live slots as one recurrence (see [`Self::forward`]), and the
    /// narrowed layout; `None` when every slot is padding.
    fn run(
        &self,
        x: Tensor<3>,
        mask: Tensor<2>,
        padding: Padding,
        keep: bool,
    ) -> Option<(Run, Padding)> {
        let l = x.dims()[1];
        let padding = padding.narrow(l);
        if l == padding.all_padding {
            return None;
        }
        let n = l - padding.all_padding;
        let directions = [&self.forward, &self.backward];
        // [W→ W←] and [b→ b←]: both directions' gates from one product
        let weights = Weights {
            w: Tensor::cat(directions.map(|d| d.input.weight.val()).to_vec(), 1),
            bias: Tensor::cat(directions.map(MaskedLstm::input_bias).to_vec(), 0),
            u: Tensor::stack::<3>(directions.map(|d| d.hidden.weight.val()).to_vec(), 0),
        };
        let run = recurrence(
            x.narrow(1, padding.all_padding, n),
            weights,
            mask.narrow(1, padding.all_padding, n),
            1,
            |s| directions.iter().any(|d| d.mixed(s, l, padding)),
            keep,
        );
        Some((run, padding))
    }

    /// The state after every slot, both directions side by side: `[B, L, 2h]`, slot `t`
    /// holding `[→h_t; ←h_t]` (the forward direction after reading slots `..=t`, the backward
    /// one after reading `t..`), as attention over the sequence reads them (FinDeepBehaviorCluster
    /// §3.3). A padded slot holds the state carried over it (its mask left it unchanged), and
    /// slots that are padding in every sequence hold 0; attention must mask them.
    pub fn states(&self, x: Tensor<3>, mask: Tensor<2>, padding: Padding) -> Tensor<3> {
        let [b, l, _] = x.dims();
        let hd = self.forward.d_hidden;
        let device = x.device();
        let Some((
            Run {
                all: Some(live), ..
            },
            padding,
        )) = self.run(x, mask, padding, true)
        else {
            return Tensor::zeros([b, l, 2 * hd], &device);
        };
        if padding.all_padding == 0 {
            live
        } else {
            Tensor::cat(
                vec![
                    Tensor::zeros([b, padding.all_padding, 2 * hd], &live.device()),
                    live,
                ],
                1,
            )
        }
    }
}

impl MaskedLstm {
    /// `b` of the input projection (zeros when the layer has none), `[4h]`.
    fn input_bias(&self) -> Tensor<1> {
        match &self.input.bias {
            Some(bias) => bias.val(),
            None => Tensor::zeros([4 * self.d_hidden], &self.input.weight.device()),
        }
    }

    /// Whether step `s` of this direction reads a slot where some sequence is padded.
    fn mixed(&self, s: usize, l: usize, padding: Padding) -> bool {
        let slot = if self.reverse {
            l - 1 - s
        } else {
            padding.all_padding + s
        };
        slot < padding.all_real
    }

    /// `x`: `[B, L, d]`, `mask`: `[B, L]`, `padding`: the batch's layout → the final state `h`,
    /// `[B, h]`, after reading the sequence in this direction (padding skipped as in
    /// [`MaskedBiLstm::forward`]).
    pub fn forward(&self, x: Tensor<3>, mask: Tensor<2>, padding: Padding) -> Tensor<2> {
        let [b, l, _] = x.dims();
        let padding = padding.narrow(l);
        if l == padding.all_padding {
            return Tensor::zeros([b, self.d_hidden], &x.device());
        }
        let n = l - padding.all_padding;
        let weights = Weights {
            w: self.input.weight.val(),
            bias: self.input_bias(),
            u: self.hidden.weight.val().unsqueeze_dim::<3>(0),
        };
        recurrence(
            x.narrow(1, padding.all_padding, n),
            weights,
            mask.narrow(1, padding.all_padding, n),
            usize::from(!self.reverse),
            |s| self.mixed(s, l, padding),
            false,
        )
        .last
    }

    /// One step of the cell, `x_t` `[B, d]` and the state `(h, c)` `[B, h]` each → the next
    /// state; rows whose `mask` `[B, 1]` is 0 keep theirs. For a recurrence whose input at `t`
    /// depends on its state at `t − 1` (an attention decoder), which cannot be projected for
    /// every step at once as [`MaskedLstm::forward`] does.
    pub fn step(
        &self,
        x: Tensor<2>,
        h: Tensor<2>,
        c: Tensor<2>,
        mask: Tensor<2>,
    ) -> (Tensor<2>, Tensor<2>) {
        let hd = self.d_hidden;
        let gates = self.input.forward(x) + self.hidden.forward(h.clone());
        let gate = |i: usize| gates.clone().narrow(1, i * hd, hd);
        let c_next = sigmoid(gate(1)) * c.clone() + sigmoid(gate(0)) * gate(2).tanh();
        let h_next = sigmoid(gate(3)) * c_next.clone().tanh();
        let keep = mask.clone().neg().add_scalar(1.0);
        (
            h_next * mask.clone() + h * keep.clone(),
            c_next * mask + c * keep,
        )
    }
}

/// The outcome of [`recurrence`].
struct Run {
    /// Every direction's final state, side by side: `[B, D·h]`.
    last: Tensor<2>,
    /// The states after every slot, `[B, n, D·h]` (slot `t` holding each direction's state
    /// after reading it), when asked for (or free).
    all: Option<Tensor<3>>,
}

/// The weights of `D` directions side by side.
struct Weights {
    /// `W` of the input projection, `[k, D·4h]` (direction `d`'s gates in columns
    /// `d·4h..(d+1)·4h`).
    w: Tensor<2>,
    /// `b` of the input projection, `[D·4h]`.
    bias: Tensor<1>,
    /// `U`, the recurrent weights, `[D, h, 4h]`.
    u: Tensor<3>,
}

/// The LSTM for `D` directions at once over `x` `[B, n, k]` in time order, `mask` `[B, n]`;
/// directions `d ≥ reversed_from` read the slots from last to first. On the Flex CPU backend
/// this is one fused operation, the input projection included ([`fused_recurrence`]);
/// elsewhere `W x_t + b` of every slot as one product, then [`recurrence_by_ops`], which
/// blends the mask in only at steps where `mixed(s)`.
fn recurrence(
    x: Tensor<3>,
    weights: Weights,
    mask: Tensor<2>,
    reversed_from: usize,
    mixed: impl Fn(usize) -> bool,
    keep: bool,
) -> Run {
    let [b, n, k] = x.dims();
    let Weights { w, bias, u } = weights;
    let [d, hd, _] = u.dims();
    let fused = fused_recurrence(
        x.clone(),
        w.clone(),
        bias.clone(),
        u.clone(),
        mask.clone(),
        reversed_from,
    );
    match fused {
        Some(all) => {
            // a direction's final state: after the last slot it reads
            let last = (0..d)
                .map(|dir| {
                    let slot = if dir >= reversed_from { 0 } else { n - 1 };
                    all.clone()
                        .narrow(1, slot, 1)
                        .narrow(2, dir * hd, hd)
                        .reshape([b, hd])
                })
                .collect();
            Run {
                last: Tensor::cat(last, 1),
                all: Some(all),
            }
        }
        None => {
            let projected = (x.reshape([b * n, k]).matmul(w) + bias.unsqueeze_dim(0)).reshape([
                b,
                n,
                d * 4 * hd,
            ]);
            recurrence_by_ops(projected, u, mask, reversed_from, mixed, keep)
        }
    }
}

/// [`recurrence`] as tensor operations: the directions stacked as blocks, each in its reading
/// order, one batched matrix product and an element-wise cell per step.
///
/// Two rewrites make a step cheaper without changing its value: the inputs are laid out
/// step-major once, so a step's gates are one contiguous block; and the cell gate uses
/// `tanh(x) = 2σ(2x) − 1`, its columns of `W x + b` and `U` doubled once before the loop, so
/// one sigmoid over all four gates (in place) replaces a sigmoid and a tanh over slices.
fn recurrence_by_ops(
    projected: Tensor<3>,
    u: Tensor<3>,
    mask: Tensor<2>,
    reversed_from: usize,
    mixed: impl Fn(usize) -> bool,
    keep: bool,
) -> Run {
    let [b, n, _] = projected.dims();
    let [d, hd, _] = u.dims();
    let device = projected.device();
    let read_order = |t: Tensor<3>, dir: usize| {
        if dir >= reversed_from { t.flip([1]) } else { t }
    };
    // [D, B, n, 4h] and [D, B, n], each direction in its reading order
    let inputs = (0..d)
        .map(|dir| read_order(projected.clone().narrow(2, dir * 4 * hd, 4 * hd), dir))
        .collect();
    let masks = (0..d)
        .map(|dir| read_order(mask.clone().unsqueeze_dim::<3>(2), dir).squeeze_dim::<2>(2))
        .collect();
    let (projected, masks) = (Tensor::stack::<4>(inputs, 0), Tensor::stack::<3>(masks, 0));
    // 1 for the input, forget and output gates, 2 for the cell gate
    let doubled = Tensor::<1>::from_data(
        TensorData::new(
            (0..4 * hd)
                .map(|j| if j / hd == 2 { 2.0f32 } else { 1.0 })
                .collect::<Vec<_>>(),
            [4 * hd],
        ),
        &device,
    );
    let steps_first = projected.permute([2, 0, 1, 3]) * doubled.clone().reshape([1, 1, 1, 4 * hd]);
    let u = u * doubled.reshape([1, 1, 4 * hd]);
    let mut h = Tensor::<3>::zeros([d, b, hd], &device);
    let mut c = Tensor::<3>::zeros([d, b, hd], &device);
    let mut states = Vec::with_capacity(if keep { n } else { 0 });
    for (s, input) in steps(steps_first).into_iter().enumerate() {
        let gates = input + h.clone().matmul(u.clone());
        let act = sigmoid(gates); // [D, B, 4h]: σ(i), σ(f), σ(2g), σ(o)
        let i = act.clone().narrow(2, 0, hd);
        let f = act.clone().narrow(2, hd, hd);
        let g = act
            .clone()
            .narrow(2, 2 * hd, hd)
            .mul_scalar(2.0)
            .sub_scalar(1.0);
        let o = act.narrow(2, 3 * hd, hd);
        let c_new = f * c.clone() + i * g;
        let h_new = o * c_new.clone().tanh();
        if mixed(s) {
            let m = masks.clone().narrow(2, s, 1); // [D, B, 1]
            c = c.clone() + (c_new - c) * m.clone();
            h = h.clone() + (h_new - h) * m;
        } else {
            (c, h) = (c_new, h_new);
        }
        if keep {
            states.push(h.clone());
        }
    }
    // [D, B, n, h] in reading order → [B, n, D·h] in time order
    let all = keep.then(|| {
        let all = Tensor::stack::<4>(states, 2);
        let per_direction = (0..d)
            .map(|dir| {
                let block = all.clone().narrow(0, dir, 1).squeeze_dim::<3>(0);
                read_order(block, dir)
            })
            .collect();
        Tensor::cat(per_direction, 2)
    });
    Run {
        last: h.swap_dims(0, 1).reshape([b, d * hd]),
        all,
    }
}

/// The steps of a step-major `[n, D, B, 4h]` tensor, `[D, B, 4h]` each, cut in two stages:
/// into about `√n` blocks of steps, then each block into its steps.
///
/// In training this keeps the backward pass linear-ish in `n`: autodiff's gradient of a slice
/// is the whole sliced tensor (zeros around the slice's gradient), so `n` slices of the whole
/// sequence cost `O(n²)` (NHFM at 1,000 events, batch 64: 45.6 s a training step); slicing
/// `√n` blocks of the whole and `n` steps of a block costs `O(n^1.5)`. Without autodiff a
/// slice is a view and both ways cost the same.
fn steps(steps_first: Tensor<4>) -> Vec<Tensor<3>> {
    let [n, d, b, g] = steps_first.dims();
    let block = (n as f64).sqrt().ceil() as usize;
    let mut out = Vec::with_capacity(n);
    for start in (0..n).step_by(block.max(1)) {
        let len = block.min(n - start);
        let part = steps_first.clone().narrow(0, start, len);
        out.extend((0..len).map(|s| part.clone().narrow(0, s, 1).reshape([d, b, g])));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;
    use burn::tensor::Distribution;

    fn sig(x: f32) -> f32 {
        1.0 / (1.0 + (-x).exp())
    }

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    fn assert_close(a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < tol, "{a:?} vs {b:?}");
        }
    }

    /// The textbook loop for one direction, one [`MaskedLstm::step`] at a time with the mask
    /// blend at every step: the reference the fused [`MaskedBiLstm::forward`] is held against.
    fn reference(lstm: &MaskedLstm, x: Tensor<3>, mask: Tensor<2>) -> Tensor<2> {
        let [b, l, _] = x.dims();
        let hd = lstm.d_hidden;
        let mut h = Tensor::<2>::zeros([b, hd], &x.device());
        let mut c = Tensor::<2>::zeros([b, hd], &x.device());
        let steps: Vec<usize> = if lstm.reverse {
            (0..l).rev().collect()
        } else {
            (0..l).collect()
        };
        for t in steps {
            let x_t = x.clone().narrow(1, t, 1).squeeze_dim::<2>(1);
            (h, c) = lstm.step(x_t, h, c, mask.clone().narrow(1, t, 1));
        }
        h
    }

    /// One step, d = h = 1, both directions W = (0.5, −0.5, 1, 2), U = 0, b = (0, 1, 0, 0),
    /// x = 1: each direction gives σ(2)·tanh(σ(0.5)·tanh(1)), `s_RNN` their sum.
    #[test]
    fn one_step_by_hand() {
        let device = Device::flex();
        let mut bi = MaskedBiLstmConfig::new(1, 1).init(&device);
        for lstm in [&mut bi.forward, &mut bi.backward] {
            lstm.input.weight =
                Param::from_tensor(Tensor::from_data([[0.5, -0.5, 1.0, 2.0]], &device));
            lstm.input.bias = Some(Param::from_tensor(Tensor::from_data(
                [0.0, 1.0, 0.0, 0.0],
                &device,
            )));
            lstm.hidden.weight = Param::from_tensor(Tensor::zeros([1, 4], &device));
        }
        let c = sig(0.5) * 1f32.tanh();
        let expected = 2.0 * sig(2.0) * c.tanh();
        // the blended step (layout unknown) and the unblended one (known all real) agree
        for padding in [
            Padding::mixed(1),
            Padding::of_masks([&[1.0f32][..]].into_iter(), 1),
        ] {
            let h = bi.forward(
                Tensor::<3>::from_data([[[1.0]]], &device),
                Tensor::<2>::from_data([[1.0]], &device),
                padding,
            );
            let got = values(h)[0];
            assert!(
                (got - expected).abs() < 1e-6,
                "{got} vs {expected} ({padding:?})"
            );
        }
        // one direction's single step from the zero state; a masked row keeps its state
        let zero = || Tensor::<2>::zeros([2, 1], &device);
        let (h, c_next) = bi.forward.step(
            Tensor::from_data([[1.0], [1.0]], &device),
            zero(),
            Tensor::from_data([[0.0], [0.25]], &device),
            Tensor::from_data([[1.0], [0.0]], &device),
        );
        assert_close(&values(h), &[sig(2.0) * c.tanh(), 0.0], 1e-6);
        assert_close(&values(c_next), &[c, 0.25], 1e-6);
    }

    /// The fused two-direction recurrence equals the two textbook loops summed, for a batch
    /// of differently padded sequences, with and without the padding layout.
    #[test]
    fn fused_bi_lstm_matches_two_reference_loops() {
        let device = Device::flex();
        device.seed(5);
        let bi = MaskedBiLstmConfig::new(3, 4).init(&device);
        let x = Tensor::<3>::random([3, 5, 3], Distribution::Default, &device);
        let rows = [
            [0.0f32, 0.0, 1.0, 1.0, 1.0],
            [1.0, 1.0, 1.0, 1.0, 1.0],
            [0.0, 0.0, 0.0, 1.0, 1.0],
        ];
        let mask = Tensor::<2>::from_data(rows, &device);
        let expected = values(
            reference(&bi.forward, x.clone(), mask.clone())
                + reference(&bi.backward, x.clone(), mask.clone()),
        );
        let known = Padding::of_masks(rows.iter().map(|r| &r[..]), 5);
        assert_eq!(
            known,
            Padding {
                all_padding: 0,
                all_real: 3
            }
        );
        for padding in [known, Padding::mixed(5)] {
            let got = values(bi.forward(x.clone(), mask.clone(), padding));
            assert_close(&expected, &got, 1e-5);
        }
    }

    /// One direction, either way, equals the textbook loop on differently padded sequences.
    #[test]
    fn one_direction_matches_the_reference_loop() {
        let device = Device::flex();
        device.seed(9);
        let x = Tensor::<3>::random([3, 5, 3], Distribution::Default, &device);
        let rows = [
            [0.0f32, 0.0, 1.0, 1.0, 1.0],
            [0.0, 1.0, 1.0, 1.0, 1.0],
            [0.0, 0.0, 0.0, 1.0, 1.0],
        ];
        let mask = Tensor::<2>::from_data(rows, &device);
        let known = Padding::of_masks(rows.iter().map(|r| &r[..]), 5);
        for reverse in [false, true] {
            let lstm = MaskedLstmConfig::new(3, 4)
                .with_reverse(reverse)
                .init(&device);
            let expected = values(reference(&lstm, x.clone(), mask.clone()));
            for padding in [known, Padding::mixed(5)] {
                let got = values(lstm.forward(x.clone(), mask.clone(), padding));
                assert_close(&expected, &got, 1e-5);
            }
        }
    }

    /// Padding in front of a sequence (holding garbage) leaves both directions' final states
    /// as without it, whether the layer skips the padded steps (layout known) or masks them.
    #[test]
    fn padding_does_not_move_either_direction() {
        let device = Device::flex();
        device.seed(7);
        let bi = MaskedBiLstmConfig::new(3, 4).init(&device);
        let x = Tensor::<3>::random([2, 3, 3], Distribution::Default, &device);
        let full = values(bi.forward(x.clone(), Tensor::ones([2, 3], &device), Padding::mixed(3)));
        let junk = Tensor::<3>::random([2, 2, 3], Distribution::Default, &device);
        let padded_x = Tensor::cat(vec![junk, x], 1);
        let rows = [[0.0f32, 0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0, 1.0]];
        let mask = Tensor::<2>::from_data(rows, &device);
        let known = Padding::of_masks(rows.iter().map(|r| &r[..]), 5);
        assert_eq!(
            known,
            Padding {
                all_padding: 2,
                all_real: 2
            }
        );
        for padding in [Padding::mixed(5), known] {
            let padded = bi.forward(padded_x.clone(), mask.clone(), padding);
            assert_close(&full, &values(padded), 1e-6);
        }
    }

    /// In a batch whose sessions are padded differently, each row equals that session alone.
    #[test]
    fn mixed_padding_rows_match_their_sessions_alone() {
        let device = Device::flex();
        device.seed(11);
        let bi = MaskedBiLstmConfig::new(2, 3).init(&device);
        let x = Tensor::<3>::random([2, 4, 2], Distribution::Default, &device);
        let rows = [[0.0f32, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 1.0]];
        let padding = Padding::of_masks(rows.iter().map(|r| &r[..]), 4);
        let both = values(bi.forward(x.clone(), Tensor::from_data(rows, &device), padding));
        for (i, row) in rows.iter().enumerate() {
            let alone = x.clone().narrow(0, i, 1);
            let m = Tensor::<2>::from_data([*row], &device);
            let p = Padding::of_masks([&row[..]].into_iter(), 4);
            let got = values(bi.forward(alone, m, p));
            assert_close(&both[i * 3..(i + 1) * 3], &got, 1e-6);
        }
    }

    /// The per-slot states: the last slot's forward half and the first live slot's backward
    /// half are the directions' final states; a session's states do not depend on padding put
    /// in front of it.
    #[test]
    fn states_per_slot_end_in_the_final_states() {
        let device = Device::flex();
        device.seed(13);
        let bi = MaskedBiLstmConfig::new(2, 3).init(&device);
        let x = Tensor::<3>::random([2, 4, 2], Distribution::Default, &device);
        let rows = [[0.0f32, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 1.0]];
        let mask = Tensor::<2>::from_data(rows, &device);
        let padding = Padding::of_masks(rows.iter().map(|r| &r[..]), 4);
        let states = bi.states(x.clone(), mask.clone(), padding);
        assert_eq!(states.dims(), [2, 4, 6]);
        let fwd = values(reference(&bi.forward, x.clone(), mask.clone()));
        let bwd = values(reference(&bi.backward, x.clone(), mask.clone()));
        let s = states.clone().into_data().try_to_vec::<f32>().unwrap();
        let at = |b: usize, t: usize| &s[(b * 4 + t) * 6..(b * 4 + t + 1) * 6];
        for (b, first_real) in [(0, 2), (1, 1)] {
            assert_close(&at(b, 3)[..3], &fwd[b * 3..(b + 1) * 3], 1e-5);
            assert_close(&at(b, first_real)[3..], &bwd[b * 3..(b + 1) * 3], 1e-5);
        }
        // session 0 alone without its padding: the same states on its real slots
        let alone = bi.states(
            x.narrow(0, 0, 1).narrow(1, 2, 2),
            Tensor::ones([1, 2], &device),
            Padding::mixed(2),
        );
        let alone = alone.into_data().try_to_vec::<f32>().unwrap();
        assert_close(&alone, &[at(0, 2), at(0, 3)].concat(), 1e-5);
    }

    /// Random LSTM inputs for two directions: `x` `[3, 6, k]`, `W` `[k, 2·4h]`, `b`, `U`
    /// `[2, h, 4h]` and a mask with front padding of different lengths, on `device`.
    fn random_inputs(device: &Device, k: usize, h: usize) -> (Tensor<3>, Weights, Tensor<2>) {
        let x = Tensor::<3>::random([3, 6, k], Distribution::Normal(0.0, 1.0), device);
        let weights = Weights {
            w: Tensor::random([k, 8 * h], Distribution::Normal(0.0, 0.8), device),
            bias: Tensor::random([8 * h], Distribution::Normal(0.0, 0.5), device),
            u: Tensor::random([2, h, 4 * h], Distribution::Normal(0.0, 0.8), device),
        };
        let row = |pad: usize| (0..6).map(move |s| if s < pad { 0.0f32 } else { 1.0 });
        let mask: Vec<f32> = [0, 2, 5].into_iter().flat_map(row).collect();
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [3, 6]), device);
        (x, weights, mask)
    }

    /// `W x_t + b` of every slot as tensor operations: what [`recurrence`] hands
    /// [`recurrence_by_ops`] off the CPU.
    fn projected(x: &Tensor<3>, weights: &Weights) -> Tensor<3> {
        let [b, n, k] = x.dims();
        let cols = weights.bias.dims()[0];
        (x.clone().reshape([b * n, k]).matmul(weights.w.clone())
            + weights.bias.clone().unsqueeze_dim(0))
        .reshape([b, n, cols])
    }

    fn copy(weights: &Weights) -> Weights {
        Weights {
            w: weights.w.clone(),
            bias: weights.bias.clone(),
            u: weights.u.clone(),
        }
    }

    /// The fused CPU layer (projection and recurrence) and the tensor-operation one (the path
    /// wgpu and WebGPU take) give the same state after every slot and the same final states,
    /// on sequences padded differently, with values large enough to saturate the gates,
    /// whichever directions read backwards.
    #[test]
    fn fused_recurrence_equals_the_tensor_operations() {
        let device = Device::flex();
        device.seed(17);
        let (x, weights, mask) = random_inputs(&device, 7, 5);
        let v = |t: Tensor<3>| t.into_data().try_to_vec::<f32>().unwrap();
        for reversed_from in 0..=2 {
            let Weights { w, bias, u } = copy(&weights);
            let fused =
                fused_recurrence(x.clone(), w, bias, u.clone(), mask.clone(), reversed_from)
                    .expect("Flex runs the fused recurrence");
            let run = recurrence(
                x.clone(),
                copy(&weights),
                mask.clone(),
                reversed_from,
                |_| false,
                true,
            );
            let by_ops = recurrence_by_ops(
                projected(&x, &weights),
                u,
                mask.clone(),
                reversed_from,
                |_| true,
                true,
            );
            assert_close(&v(fused.clone()), &v(by_ops.all.expect("kept")), 2e-6);
            assert_eq!(v(run.all.expect("fused")), v(fused));
            assert_close(&values(run.last), &values(by_ops.last), 2e-6);
        }
    }

    /// Back-propagation through the fused layer (its hand-written backward pass) gives the
    /// gradients autodiff derives from the tensor operations, for `x`, `W`, `b` and `U`,
    /// under a loss weighting every step's state differently.
    #[cfg(feature = "autodiff")]
    #[test]
    fn fused_backward_pass_equals_autodiff_of_the_tensor_operations() {
        let device = Device::flex().autodiff();
        device.seed(19);
        let k = 5;
        let (x, weights, mask) = random_inputs(&device, k, 4);
        let loss_weights = Tensor::<3>::random([3, 6, 8], Distribution::Normal(0.0, 1.0), &device);
        let gradients = |fused: bool| {
            let leaf = |t: Tensor<3>| Tensor::<3>::from_data(t.to_data(), &device).require_grad();
            let x = leaf(x.clone());
            let tracked = Weights {
                w: Tensor::from_data(weights.w.to_data(), &device).require_grad(),
                bias: Tensor::from_data(weights.bias.to_data(), &device).require_grad(),
                u: leaf(weights.u.clone()),
            };
            let states = if fused {
                let Weights { w, bias, u } = copy(&tracked);
                fused_recurrence(x.clone(), w, bias, u, mask.clone(), 1).expect("Flex")
            } else {
                let p = projected(&x, &tracked);
                recurrence_by_ops(p, tracked.u.clone(), mask.clone(), 1, |_| true, true)
                    .all
                    .expect("kept")
            };
            let grads = (states * loss_weights.clone()).sum().backward();
            let flat = |t: TensorData| t.try_to_vec::<f32>().unwrap();
            [
                flat(x.grad(&grads).expect("x has a gradient").into_data()),
                flat(tracked.w.grad(&grads).expect("W has one").into_data()),
                flat(tracked.bias.grad(&grads).expect("b has one").into_data()),
                flat(tracked.u.grad(&grads).expect("U has one").into_data()),
            ]
        };
        let (fused, by_ops) = (gradients(true), gradients(false));
        for (fused, by_ops) in fused.iter().zip(&by_ops) {
            assert_close(fused, by_ops, 1e-5);
        }
        // row 1's first two slots are padding: their inputs get no gradient
        let padded = 6 * k..(6 + 2) * k;
        assert!(fused[0][padded.clone()].iter().all(|g| *g == 0.0));
        assert!(fused[0][padded.end..].iter().filter(|g| **g != 0.0).count() >= 20);
        assert!(fused[3].iter().all(|g| *g != 0.0));
    }

    /// A batch that is all padding yields the zero state.
    #[test]
    fn all_padding_is_the_zero_state() {
        let device = Device::flex();
        let bi = MaskedBiLstmConfig::new(2, 3).init(&device);
        let x = Tensor::<3>::ones([1, 2, 2], &device);
        let rows = [[0.0f32, 0.0]];
        let p = Padding::of_masks(rows.iter().map(|r| &r[..]), 2);
        let got = values(bi.forward(x, Tensor::from_data(rows, &device), p));
        assert_eq!(got, vec![0.0; 3]);
    }
}

//! The LSTM layer as one fused operation on the CPU backend (a burn backend extension).
//!
//! Written as tensor operations, a recurrence step costs about fifteen of them, each
//! allocating its output and computing `exp`/`tanh` through libm one element at a time; on the
//! CPU that was most of NHFM's time (issue 11's profile). On burn's Flex CPU backend,
//! [`fused_recurrence`] runs the whole recurrence, the input projection `x_t W + b`
//! summed into each step's gates, as plain loops ([`seqrisk_kernels::lstm`]), and in training
//! back-propagates through time and the projection in one hand-written backward pass. Other
//! devices (wgpu, WebGPU) keep the tensor-operation path in [`super::masked_lstm`]; tests hold
//! the two to the same values and gradients.

use super::flex_values::{contiguous, runs_fused_kernels, slice, tensor};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Flex, backend_extension, flex::FlexTensor};
use burn::prelude::*;
use burn::tensor::DType;
use seqrisk_kernels::lstm::{self, Dims};

/// The LSTM layer as a backend operation.
#[backend_extension(Flex, Autodiff: cfg(feature = "autodiff"))]
pub trait LstmBackend: burn::backend::Backend {
    /// `x` `[B, n, k]`, `w` `[k, D·4h]` and `bias` `[D·4h]` (direction `d`'s gates `i f g o`
    /// in columns `d·4h..(d+1)·4h`), `u` `[D, h, 4h]`, `mask` `[B, n]` → the state of every
    /// direction after reading each slot, `[B, n, D·h]`. Directions `d ≥ reversed_from` read
    /// the slots from last to first. Each direction, from `h = c = 0`, at each slot it reads:
    ///
    /// `[i f g o] = x_t W + b + h U`, `c_new = σ(f)⊙c + σ(i)⊙tanh(g)`,
    /// `h_new = σ(o)⊙tanh(c_new)`, `(h, c) ← m_t·(h_new, c_new) + (1 − m_t)·(h, c)`.
    ///
    /// `mask` is a constant: it gets no gradient.
    fn lstm_recurrence(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        u: FloatTensor<Self>,
        mask: FloatTensor<Self>,
        reversed_from: usize,
    ) -> FloatTensor<Self>;
}

/// What the forward pass reads, contiguous, and the recurrence's dimensions.
#[derive(Clone, Debug)]
struct Inputs {
    x: FlexTensor,
    w: FlexTensor,
    bias: FlexTensor,
    u: FlexTensor,
    mask: FlexTensor,
    dims: Dims,
}

impl Inputs {
    fn new([x, w, bias, u, mask]: [FlexTensor; 5], reversed_from: usize) -> Self {
        let (xs, us) = (x.layout().shape(), u.layout().shape());
        let dims = Dims {
            d: us[0],
            b: xs[0],
            n: xs[1],
            h: us[1],
            reversed_from,
        };
        Self {
            x: contiguous(x),
            w: contiguous(w),
            bias: contiguous(bias),
            u: contiguous(u),
            mask: contiguous(mask),
            dims,
        }
    }

    /// `k`, the input size.
    fn k(&self) -> usize {
        self.x.layout().shape()[2]
    }

    /// The states `[B, n, D·h]`, and what the backward pass needs when `save`.
    fn forward(&self, save: bool) -> (FlexTensor, Vec<lstm::Saved>) {
        let Dims { b, n, d, h, .. } = self.dims;
        let input = lstm::Input {
            x: slice(&self.x),
            k: self.k(),
            w: slice(&self.w),
            bias: slice(&self.bias),
        };
        let (states, saved) =
            lstm::forward(self.dims, input, slice(&self.u), slice(&self.mask), save);
        (tensor(states, [b, n, d * h]), saved)
    }
}

impl LstmBackend for Flex {
    fn lstm_recurrence(
        x: FlexTensor,
        w: FlexTensor,
        bias: FlexTensor,
        u: FlexTensor,
        mask: FlexTensor,
        reversed_from: usize,
    ) -> FlexTensor {
        Inputs::new([x, w, bias, u, mask], reversed_from)
            .forward(false)
            .0
    }
}

#[cfg(feature = "autodiff")]
mod autodiff {
    use super::{Inputs, LstmBackend, contiguous, lstm, slice, tensor};
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::tensor::FloatTensor;
    use burn::backend::{Autodiff, Flex, flex::FlexTensor};
    use std::sync::Arc;

    /// The backward step of [`LstmBackend::lstm_recurrence`]: parents `x`, `W`, `b` and `U`.
    #[derive(Debug)]
    struct Recurrence;

    /// What the backward step keeps: the inputs, the states, and the forward pass's gate
    /// activations and cells.
    #[derive(Clone, Debug)]
    struct State {
        inputs: Arc<Inputs>,
        states: FlexTensor,
        saved: Arc<Vec<lstm::Saved>>,
    }

    impl Backward<Flex, 4> for Recurrence {
        type State = State;

        fn backward(self, ops: Ops<State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
            let grad_states = contiguous(grads.consume::<Flex>(&ops.node));
            let State {
                inputs,
                states,
                saved,
            } = ops.state;
            let dims = inputs.dims;
            let grads_in = lstm::backward(
                dims,
                slice(&grad_states),
                slice(&states),
                slice(&inputs.u),
                slice(&inputs.mask),
                &saved,
            );
            let [x, w, bias, u] = ops.parents;
            if x.is_some() || w.is_some() || bias.is_some() {
                let (rows, k, cols) = (dims.b * dims.n, inputs.k(), dims.d * 4 * dims.h);
                let projection = lstm::project_backward(
                    slice(&inputs.x),
                    slice(&inputs.w),
                    &grads_in.projected,
                    rows,
                    k,
                    cols,
                );
                if let Some(node) = x {
                    let shape = [dims.b, dims.n, k];
                    grads.register::<Flex>(node.id, tensor(projection.x, shape));
                }
                if let Some(node) = w {
                    grads.register::<Flex>(node.id, tensor(projection.w, [k, cols]));
                }
                if let Some(node) = bias {
                    grads.register::<Flex>(node.id, tensor(projection.bias, [cols]));
                }
            }
            if let Some(node) = u {
                let shape = [dims.d, dims.h, 4 * dims.h];
                grads.register::<Flex>(node.id, tensor(grads_in.u, shape));
            }
        }
    }

    impl<C: CheckpointStrategy> LstmBackend for Autodiff<Flex, C> {
        fn lstm_recurrence(
            x: FloatTensor<Self>,
            w: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            u: FloatTensor<Self>,
            mask: FloatTensor<Self>,
            reversed_from: usize,
        ) -> FloatTensor<Self> {
            let prep = Recurrence
                .prepare::<C>([x.node(), w.node(), bias.node(), u.node()])
                .compute_bound()
                .stateful();
            let inputs = Inputs::new(
                [
                    x.into_primitive(),
                    w.into_primitive(),
                    bias.into_primitive(),
                    u.into_primitive(),
                    mask.into_primitive(),
                ],
                reversed_from,
            );
            match prep {
                OpsKind::Tracked(prep) => {
                    let (states, saved) = inputs.forward(true);
                    let state = State {
                        inputs: Arc::new(inputs),
                        states: states.clone(),
                        saved: Arc::new(saved),
                    };
                    prep.finish(state, states)
                }
                OpsKind::UnTracked(prep) => prep.finish(inputs.forward(false).0),
            }
        }
    }
}

/// The LSTM layer through [`LstmBackend`] when the inputs live on the Flex CPU backend (with
/// or without autodiff, `f32`): the states `[B, n, D·h]` of `x` `[B, n, k]` under `w`
/// `[k, D·4h]`, `bias` `[D·4h]`, `u` `[D, h, 4h]` and `mask` `[B, n]`; `None` on any other
/// device, whose caller runs the tensor-operation recurrence instead.
pub fn fused_recurrence(
    x: Tensor<3>,
    w: Tensor<2>,
    bias: Tensor<1>,
    u: Tensor<3>,
    mask: Tensor<2>,
    reversed_from: usize,
) -> Option<Tensor<3>> {
    if !(runs_fused_kernels(&x.device()) && x.dtype() == DType::F32) {
        return None;
    }
    let out = <burn::backend::Dispatch as LstmBackend>::lstm_recurrence(
        x.into_dispatch(),
        w.into_dispatch(),
        bias.into_dispatch(),
        u.into_dispatch(),
        mask.into_dispatch(),
        reversed_from,
    );
    Some(Tensor::from_dispatch(out))
}

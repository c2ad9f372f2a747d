//! The LSTM recurrence as one fused operation on the CPU backend (a burn backend extension).
//!
//! Written as tensor operations, a recurrence step costs about fifteen of them, each
//! allocating its output and computing `exp`/`tanh` through libm one element at a time; on the
//! CPU that was most of NHFM's time (issue 11's profile). On burn's Flex CPU backend,
//! [`fused_recurrence`] runs the whole recurrence as plain loops ([`seqrisk_kernels::lstm`]),
//! and in training back-propagates through time in one hand-written backward pass. Other devices (wgpu,
//! WebGPU) keep the tensor-operation path in [`super::masked_lstm`]; tests hold the two to the
//! same values and gradients.

use super::flex_values::{contiguous, runs_fused_kernels, slice, tensor};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Flex, backend_extension, flex::FlexTensor};
use burn::prelude::*;
use burn::tensor::DType;
use seqrisk_kernels::lstm::{self, Dims};

/// The LSTM recurrence as a backend operation.
#[backend_extension(Flex, Autodiff: cfg(feature = "autodiff"))]
pub trait LstmBackend: burn::backend::Backend {
    /// `projected` `[B, n, D·4h]` (`W x_t + b` of every slot, direction `d`'s gates `i f g o`
    /// in columns `d·4h..(d+1)·4h`), `u` `[D, h, 4h]`, `mask` `[B, n]` → the state of every
    /// direction after reading each slot, `[B, n, D·h]`. Directions `d ≥ reversed_from` read
    /// the slots from last to first. Each direction, from `h = c = 0`, at each slot it reads:
    ///
    /// `[i f g o] = projected_t + h U`, `c_new = σ(f)⊙c + σ(i)⊙tanh(g)`,
    /// `h_new = σ(o)⊙tanh(c_new)`, `(h, c) ← m_t·(h_new, c_new) + (1 − m_t)·(h, c)`.
    ///
    /// `mask` is a constant: it gets no gradient.
    fn lstm_recurrence(
        projected: FloatTensor<Self>,
        u: FloatTensor<Self>,
        mask: FloatTensor<Self>,
        reversed_from: usize,
    ) -> FloatTensor<Self>;
}

/// The dimensions of a recurrence from its inputs' shapes.
fn dims_of(projected: &FlexTensor, u: &FlexTensor, reversed_from: usize) -> Dims {
    let (p, u) = (projected.layout().shape(), u.layout().shape());
    Dims {
        d: u[0],
        b: p[0],
        n: p[1],
        h: u[1],
        reversed_from,
    }
}

/// The forward pass on Flex tensors: the states, and what the backward pass needs when
/// `save`.
fn forward(
    projected: FlexTensor,
    u: FlexTensor,
    mask: FlexTensor,
    reversed_from: usize,
    save: bool,
) -> (FlexTensor, Vec<lstm::Saved>) {
    let dims = dims_of(&projected, &u, reversed_from);
    let (projected, u, mask) = (contiguous(projected), contiguous(u), contiguous(mask));
    let (states, saved) = lstm::forward(dims, slice(&projected), slice(&u), slice(&mask), save);
    (tensor(states, [dims.b, dims.n, dims.d * dims.h]), saved)
}

impl LstmBackend for Flex {
    fn lstm_recurrence(
        projected: FlexTensor,
        u: FlexTensor,
        mask: FlexTensor,
        reversed_from: usize,
    ) -> FlexTensor {
        forward(projected, u, mask, reversed_from, false).0
    }
}

#[cfg(feature = "autodiff")]
mod autodiff {
    use super::{LstmBackend, contiguous, dims_of, forward, lstm, slice, tensor};
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::tensor::FloatTensor;
    use burn::backend::{Autodiff, Flex, flex::FlexTensor};
    use std::sync::Arc;

    /// The backward step of [`LstmBackend::lstm_recurrence`]: parents `projected` and `U`.
    #[derive(Debug)]
    struct Recurrence;

    /// What the backward step keeps: the inputs it reads, the states, and the forward pass's
    /// gate activations and cells.
    #[derive(Clone, Debug)]
    struct State {
        u: FlexTensor,
        mask: FlexTensor,
        states: FlexTensor,
        reversed_from: usize,
        saved: Arc<Vec<lstm::Saved>>,
    }

    impl Backward<Flex, 2> for Recurrence {
        type State = State;

        fn backward(self, ops: Ops<State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
            let grad_states = contiguous(grads.consume::<Flex>(&ops.node));
            let State {
                u,
                mask,
                states,
                reversed_from,
                saved,
            } = ops.state;
            let dims = dims_of(&states, &u, reversed_from);
            let (states, u, mask) = (contiguous(states), contiguous(u), contiguous(mask));
            let grads_in = lstm::backward(
                dims,
                slice(&grad_states),
                slice(&states),
                slice(&u),
                slice(&mask),
                &saved,
            );
            let [projected, u] = ops.parents;
            if let Some(node) = projected {
                let shape = [dims.b, dims.n, dims.d * 4 * dims.h];
                grads.register::<Flex>(node.id, tensor(grads_in.projected, shape));
            }
            if let Some(node) = u {
                let shape = [dims.d, dims.h, 4 * dims.h];
                grads.register::<Flex>(node.id, tensor(grads_in.u, shape));
            }
        }
    }

    impl<C: CheckpointStrategy> LstmBackend for Autodiff<Flex, C> {
        fn lstm_recurrence(
            projected: FloatTensor<Self>,
            u: FloatTensor<Self>,
            mask: FloatTensor<Self>,
            reversed_from: usize,
        ) -> FloatTensor<Self> {
            let prep = Recurrence
                .prepare::<C>([projected.node(), u.node()])
                .compute_bound()
                .stateful();
            let (projected, u, mask) = (
                projected.into_primitive(),
                u.into_primitive(),
                mask.into_primitive(),
            );
            match prep {
                OpsKind::Tracked(prep) => {
                    // kept for the backward pass already contiguous, so it copies nothing
                    let (u, mask) = (contiguous(u), contiguous(mask));
                    let (states, saved) =
                        forward(projected, u.clone(), mask.clone(), reversed_from, true);
                    let state = State {
                        u,
                        mask,
                        states: states.clone(),
                        reversed_from,
                        saved: Arc::new(saved),
                    };
                    prep.finish(state, states)
                }
                OpsKind::UnTracked(prep) => {
                    prep.finish(forward(projected, u, mask, reversed_from, false).0)
                }
            }
        }
    }
}

/// The recurrence through [`LstmBackend`] when the inputs live on the Flex CPU backend (with
/// or without autodiff, `f32`): the states `[B, n, D·h]`; `None` on any other device, whose
/// caller runs the tensor-operation recurrence instead.
pub fn fused_recurrence(
    projected: Tensor<3>,
    u: Tensor<3>,
    mask: Tensor<2>,
    reversed_from: usize,
) -> Option<Tensor<3>> {
    if !(runs_fused_kernels(&projected.device()) && projected.dtype() == DType::F32) {
        return None;
    }
    let out = <burn::backend::Dispatch as LstmBackend>::lstm_recurrence(
        projected.into_dispatch(),
        u.into_dispatch(),
        mask.into_dispatch(),
        reversed_from,
    );
    Some(Tensor::from_dispatch(out))
}

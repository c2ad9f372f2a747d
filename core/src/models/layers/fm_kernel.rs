//! The Hadamard-product FM pooling as one fused operation on the CPU backend (a burn backend
//! extension), like [`super::lstm_kernel`].
//!
//! As tensor operations, `½[(Σ_m x)² − Σ_m x²]` over a middle dimension costs a squared copy
//! of the input, two strided reductions and three element-wise passes, each allocating; on the
//! CPU that was 45% of DIFM's inference (issue 11's profile). On burn's Flex CPU backend
//! [`fused_hadamard_fm`] runs it as one pass over the input, and in training its gradient
//! `∂out/∂x_m = Σ_m' x_m' − x_m` as one more (the loops: [`seqrisk_kernels::fm`]); other
//! devices keep the tensor operations in [`super::hadamard_fm`]. Tests hold the two to the
//! same values and gradients.
//!
//! When the pooled vectors are embeddings scaled by their values, as in NHFM's event
//! extractor (Eq. 1) and DIFM's poolings over the fields and over the events (Eqs. 8, 6),
//! [`fused_field_fm`] also fuses the look-up: it reads each embedding row
//! where the pooling needs it instead of gathering the `[B, T, F, k]` field vectors first, and
//! in training adds the gradient straight into the embedding's rows.

use super::flex_values::{contiguous, indices, runs_fused_kernels, slice, tensor};
use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::backend::{Flex, backend_extension, flex::FlexTensor};
use burn::prelude::*;
use burn::tensor::DType;
use seqrisk_kernels::fm::{embedded_forward, forward};

/// The pairwise-product pooling as a backend operation.
#[backend_extension(Flex, Autodiff: cfg(feature = "autodiff"))]
pub trait FmBackend: burn::backend::Backend {
    /// `x` `[P, M, Q]` → `[P, Q]`: `out[p, q] = ½[(Σ_m x[p, m, q])² − Σ_m x[p, m, q]²]`, the
    /// sum of the products of all pairs `m < m'`.
    fn pairwise_products(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// `weight` `[n, k]`, `index` and `value` `[P, M]` → `[P, k]`: the pairwise products of
    /// `x_pm = value[p, m]·weight[index[p, m]]` over `m`, without gathering the `x` first.
    /// `value` is a constant: it gets no gradient. Panics on an index not below `n`, as the
    /// look-up it replaces does.
    fn embedded_pairwise_products(
        weight: FloatTensor<Self>,
        index: IntTensor<Self>,
        value: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// `[P, M, Q]` of a rank-3 tensor.
fn dims(x: &FlexTensor) -> [usize; 3] {
    let s = x.layout().shape();
    [s[0], s[1], s[2]]
}

fn forward_flex(x: FlexTensor) -> FlexTensor {
    let x = contiguous(x);
    let [p, m, q] = dims(&x);
    tensor(forward(slice(&x), [p, m, q]), [p, q])
}

/// What the embedded pooling reads: the embedding `[n, k]` (contiguous), the indices and the
/// values, `P` and `M`.
struct Embedded {
    weight: FlexTensor,
    index: Vec<usize>,
    value: FlexTensor,
    p: usize,
    m: usize,
}

impl Embedded {
    fn new(weight: FlexTensor, index: FlexTensor, value: FlexTensor) -> Self {
        let shape = index.layout().shape();
        let (p, m) = (shape[0], shape[1]);
        Self {
            weight: contiguous(weight),
            index: indices(index),
            value: contiguous(value),
            p,
            m,
        }
    }

    /// `k`, the embedding size.
    fn k(&self) -> usize {
        self.weight.layout().shape()[1]
    }

    fn forward(&self) -> FlexTensor {
        let k = self.k();
        let out = embedded_forward(
            slice(&self.weight),
            k,
            &self.index,
            slice(&self.value),
            self.m,
        );
        tensor(out, [self.p, k])
    }
}

impl FmBackend for Flex {
    fn pairwise_products(x: FlexTensor) -> FlexTensor {
        forward_flex(x)
    }

    fn embedded_pairwise_products(
        weight: FlexTensor,
        index: FlexTensor,
        value: FlexTensor,
    ) -> FlexTensor {
        Embedded::new(weight, index, value).forward()
    }
}

#[cfg(feature = "autodiff")]
mod autodiff {
    use super::{Embedded, FmBackend, contiguous, dims, forward_flex, slice, tensor};
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::tensor::{FloatTensor, IntTensor};
    use burn::backend::{Autodiff, Flex, flex::FlexTensor};
    use seqrisk_kernels::fm::{backward, embedded_backward};
    use std::sync::Arc;

    /// The backward step of [`FmBackend::pairwise_products`]; it keeps the (contiguous) input.
    #[derive(Debug)]
    struct PairwiseProducts;

    impl Backward<Flex, 1> for PairwiseProducts {
        type State = FlexTensor;

        fn backward(self, ops: Ops<FlexTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            let grad = contiguous(grads.consume::<Flex>(&ops.node));
            let x = ops.state;
            let [p, m, q] = dims(&x);
            let [parent] = ops.parents;
            if let Some(node) = parent {
                let dx = backward(slice(&x), slice(&grad), [p, m, q]);
                grads.register::<Flex>(node.id, tensor(dx, [p, m, q]));
            }
        }
    }

    /// The backward step of [`FmBackend::embedded_pairwise_products`]: its one parent is the
    /// embedding; it keeps what the forward pass read.
    #[derive(Debug)]
    struct EmbeddedPairwiseProducts;

    impl std::fmt::Debug for Embedded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Embedded")
                .field("p", &self.p)
                .field("m", &self.m)
                .finish_non_exhaustive()
        }
    }

    impl Backward<Flex, 1> for EmbeddedPairwiseProducts {
        type State = Arc<Embedded>;

        fn backward(self, ops: Ops<Arc<Embedded>, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            let grad = contiguous(grads.consume::<Flex>(&ops.node));
            let read = ops.state;
            let [parent] = ops.parents;
            if let Some(node) = parent {
                let k = read.k();
                let d_weight = embedded_backward(
                    slice(&read.weight),
                    k,
                    &read.index,
                    slice(&read.value),
                    read.m,
                    slice(&grad),
                );
                let n = read.weight.layout().shape()[0];
                grads.register::<Flex>(node.id, tensor(d_weight, [n, k]));
            }
        }
    }

    impl<C: CheckpointStrategy> FmBackend for Autodiff<Flex, C> {
        fn pairwise_products(x: FloatTensor<Self>) -> FloatTensor<Self> {
            let prep = PairwiseProducts
                .prepare::<C>([x.node()])
                .compute_bound()
                .stateful();
            let x = x.into_primitive();
            match prep {
                OpsKind::Tracked(prep) => {
                    let x = contiguous(x);
                    let out = forward_flex(x.clone());
                    prep.finish(x, out)
                }
                OpsKind::UnTracked(prep) => prep.finish(forward_flex(x)),
            }
        }

        fn embedded_pairwise_products(
            weight: FloatTensor<Self>,
            index: IntTensor<Self>,
            value: FloatTensor<Self>,
        ) -> FloatTensor<Self> {
            let prep = EmbeddedPairwiseProducts
                .prepare::<C>([weight.node()])
                .compute_bound()
                .stateful();
            let read = Embedded::new(weight.into_primitive(), index, value.into_primitive());
            let out = read.forward();
            match prep {
                OpsKind::Tracked(prep) => prep.finish(Arc::new(read), out),
                OpsKind::UnTracked(prep) => prep.finish(out),
            }
        }
    }
}

/// `½[(Σ_d x)² − Σ_d x²]` along dimension `dim` of `x` through [`FmBackend`] when `x` lives on
/// the Flex CPU backend (with or without autodiff, `f32`); `None` on any other device, whose
/// caller runs the tensor operations instead.
pub fn fused_hadamard_fm(x: &Tensor<4>, dim: usize) -> Option<Tensor<3>> {
    if !(runs_fused_kernels(&x.device()) && x.dtype() == DType::F32 && dim < 4) {
        return None;
    }
    let shape = x.dims();
    let p: usize = shape[..dim].iter().product();
    let q: usize = shape[dim + 1..].iter().product();
    let flat: Tensor<3> = x.clone().reshape([p, shape[dim], q]);
    let out = <burn::backend::Dispatch as FmBackend>::pairwise_products(flat.into_dispatch());
    let kept: Vec<usize> = (0..4).filter(|&d| d != dim).map(|d| shape[d]).collect();
    Some(Tensor::<2>::from_dispatch(out).reshape([kept[0], kept[1], kept[2]]))
}

/// `½[(Σ_m x_m)² − Σ_m x_m²]` over the fields of `x = value·weight[index]`, `index` and
/// `value` `[B, T, F]`, `weight` `[n, k]` → `[B, T, k]`, through [`FmBackend`] when the inputs
/// live on the Flex CPU backend (with or without autodiff, `f32`); `None` on any other device,
/// whose caller gathers the field vectors and pools them instead.
pub fn fused_field_fm(
    weight: &Tensor<2>,
    index: &Tensor<3, Int>,
    value: &Tensor<3>,
) -> Option<Tensor<3>> {
    if !(runs_fused_kernels(&weight.device())
        && weight.dtype() == DType::F32
        && value.dtype() == DType::F32)
    {
        return None;
    }
    let [b, t, f] = index.dims();
    let k = weight.dims()[1];
    let out = <burn::backend::Dispatch as FmBackend>::embedded_pairwise_products(
        weight.clone().into_dispatch(),
        index.clone().reshape([b * t, f]).into_dispatch(),
        value.clone().reshape([b * t, f]).into_dispatch(),
    );
    Some(Tensor::<2>::from_dispatch(out).reshape([b, t, k]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::layers::field_embedding::hadamard_fm_by_ops;
    use crate::models::layers::{FieldEmbedding, FieldEmbeddingConfig, hadamard_fm};
    use burn::module::Param;
    use burn::tensor::Distribution;

    fn values<const N: usize>(t: Tensor<N>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    fn assert_close(a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{i}: {x} vs {y}");
        }
    }

    /// The fused pooling and the tensor operations (the path wgpu and WebGPU take) give the
    /// same values along every dimension of a rank-4 input, on a strided (permuted) one too.
    #[test]
    fn fused_pooling_equals_the_tensor_operations() {
        let device = Device::flex();
        device.seed(23);
        let x = Tensor::<4>::random([3, 5, 4, 6], Distribution::Normal(0.0, 1.0), &device);
        for dim in 0..4 {
            let fused = fused_hadamard_fm(&x, dim).expect("Flex runs the fused pooling");
            let by_ops = hadamard_fm_by_ops(x.clone(), dim);
            assert_eq!(fused.dims(), by_ops.dims());
            assert_close(&values(fused), &values(by_ops), 1e-5);
        }
        let strided = x.clone().swap_dims(1, 2);
        let fused = fused_hadamard_fm(&strided, 2).expect("Flex");
        assert_close(
            &values(fused),
            &values(hadamard_fm_by_ops(strided, 2)),
            1e-5,
        );
    }

    /// A row pooled alone gives the same bits as in a batch.
    #[test]
    fn a_row_alone_gives_the_same_bits_as_in_a_batch() {
        let device = Device::flex();
        device.seed(29);
        let x = Tensor::<4>::random([5, 7, 3, 4], Distribution::Normal(0.0, 1.0), &device);
        for dim in [1, 2] {
            let all = values(fused_hadamard_fm(&x, dim).expect("Flex"));
            let one = values(fused_hadamard_fm(&x.clone().narrow(0, 2, 1), dim).expect("Flex"));
            let per_row = all.len() / 5;
            assert_eq!(one, all[2 * per_row..3 * per_row]);
        }
    }

    /// An embedding whose rows are all distinct, and indices that repeat rows within and
    /// across sessions; values scale each field.
    fn embedded_inputs(device: &Device) -> (FieldEmbedding, Tensor<3, Int>, Tensor<3>) {
        device.seed(37);
        let (n, k, b, t, f) = (9usize, 6usize, 3usize, 4usize, 5usize);
        let mut embedding = FieldEmbeddingConfig::new(n, k).init(device);
        embedding.embedding.weight = Param::from_tensor(Tensor::random(
            [n, k],
            Distribution::Normal(0.0, 1.0),
            device,
        ));
        let index: Vec<i64> = (0..b * t * f).map(|i| (i * 7 % n) as i64).collect();
        let index = Tensor::<1, Int>::from_data(index.as_slice(), device).reshape([b, t, f]);
        let value = Tensor::<3>::random([b, t, f], Distribution::Uniform(0.0, 2.0), device);
        (embedding, index, value)
    }

    /// The fused look-up and pooling give the bits of gathering the field vectors and then
    /// pooling them (what NHFM's event extractor did before it).
    #[test]
    fn fused_look_up_gives_the_bits_of_gathering_then_pooling() {
        let device = Device::flex();
        let (embedding, index, value) = embedded_inputs(&device);
        let fused = fused_field_fm(&embedding.embedding.weight.val(), &index, &value)
            .expect("Flex runs the fused look-up");
        let gathered = hadamard_fm(embedding.field_vectors(index.clone(), value.clone()), 2);
        assert_eq!(fused.dims(), gathered.dims());
        let gathered = values(gathered);
        assert_eq!(values(fused), gathered);
        assert_eq!(
            values(embedding.forward(index.clone(), value.clone())),
            gathered
        );
        // pooled over the events too (DIFM Eq. 6): the indices read field by field
        let over_events = hadamard_fm(embedding.field_vectors(index.clone(), value.clone()), 1);
        let pools = embedding.pools(index, value, true);
        assert_eq!(values(pools.over_fields), gathered);
        assert_eq!(
            values(pools.over_events.expect("asked for")),
            values(over_events)
        );
    }

    /// The fused look-up's backward pass, pooled over the fields and over the events, gives
    /// the embedding the gradient autodiff derives from gathering and the tensor operations,
    /// rows used several times included.
    #[cfg(feature = "autodiff")]
    #[test]
    fn fused_look_up_backward_pass_equals_autodiff_of_gathering() {
        let device = Device::flex().autodiff();
        let (embedding, index, value) = embedded_inputs(&device);
        let weights = Tensor::<3>::random([3, 4, 6], Distribution::Normal(0.0, 1.0), &device);
        let over_events = Tensor::<3>::random([3, 5, 6], Distribution::Normal(0.0, 1.0), &device);
        let gradient = |fused: bool| {
            let (index, value) = (index.clone(), value.clone());
            let (out, pooled) = if fused {
                (
                    fused_field_fm(&embedding.embedding.weight.val(), &index, &value)
                        .expect("Flex"),
                    embedding
                        .pools(index, value, true)
                        .over_events
                        .expect("asked for"),
                )
            } else {
                let vectors = embedding.field_vectors(index, value);
                (
                    hadamard_fm_by_ops(vectors.clone(), 2),
                    hadamard_fm_by_ops(vectors, 1),
                )
            };
            let loss = (out * weights.clone()).sum() + (pooled * over_events.clone()).sum();
            let grads = loss.backward();
            values(
                embedding
                    .embedding
                    .weight
                    .grad(&grads)
                    .expect("the embedding has a gradient"),
            )
        };
        assert_close(&gradient(true), &gradient(false), 1e-5);
    }

    /// The fused pooling's backward pass gives the gradient autodiff derives from the tensor
    /// operations, under a loss weighting every output differently.
    #[cfg(feature = "autodiff")]
    #[test]
    fn fused_backward_pass_equals_autodiff_of_the_tensor_operations() {
        let device = Device::flex().autodiff();
        device.seed(31);
        let x = Tensor::<4>::random([2, 6, 5, 3], Distribution::Normal(0.0, 1.0), &device);
        for dim in [1, 2] {
            let mut shape = x.dims().to_vec();
            shape.remove(dim);
            let weights = Tensor::<3>::random(
                [shape[0], shape[1], shape[2]],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            let gradient = |fused: bool| {
                let leaf = Tensor::<4>::from_data(x.to_data(), &device).require_grad();
                let out = if fused {
                    fused_hadamard_fm(&leaf, dim).expect("Flex")
                } else {
                    hadamard_fm_by_ops(leaf.clone(), dim)
                };
                let grads = (out * weights.clone()).sum().backward();
                values(leaf.grad(&grads).expect("x has a gradient"))
            };
            assert_close(&gradient(true), &gradient(false), 1e-5);
        }
    }
}

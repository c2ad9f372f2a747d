//! Borrowing a Flex tensor's values as an `f32` slice (or reading an integer one's as indices)
//! and wrapping a vector back into one: what the fused CPU kernels ([`super::lstm_kernel`],
//! [`super::fm_kernel`]) read and write.

use burn::backend::DispatchDevice;
use burn::backend::flex::FlexTensor;
use burn::prelude::Device;
use burn::tensor::{DType, TensorData};

/// Whether tensors on `device` take the fused kernels: it is burn's Flex CPU backend, without
/// autodiff or with this crate's `autodiff` feature (which supplies their backward passes).
pub fn runs_fused_kernels(device: &Device) -> bool {
    let on_flex = matches!(
        device.clone().inner().as_dispatch(),
        DispatchDevice::Flex(_)
    );
    on_flex && (cfg!(feature = "autodiff") || !device.is_autodiff())
}

/// `t` as a contiguous `f32` tensor, so that [`slice()`] can borrow its values (no copy when it
/// already is one).
pub fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.dtype() == DType::F32 {
        t.to_contiguous()
    } else {
        FlexTensor::from_data(t.into_data().convert::<f32>())
    }
}

/// The values of a tensor made by [`contiguous`].
pub fn slice(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("contiguous() makes a contiguous f32 tensor")
}

/// A Flex tensor of `values` shaped `shape` (takes the vector, no copy).
pub fn tensor<const N: usize>(values: Vec<f32>, shape: [usize; N]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// The values of an integer tensor as indices (row-major); a negative one becomes `usize::MAX`,
/// which the kernels' bound checks refuse.
pub fn indices(t: FlexTensor) -> Vec<usize> {
    let index = |i: i64| usize::try_from(i).unwrap_or(usize::MAX);
    let t = t.to_contiguous();
    match t.dtype() {
        DType::I64 => t
            .as_slice::<i64>()
            .map(|v| v.iter().map(|&i| index(i)).collect()),
        DType::I32 => t
            .as_slice::<i32>()
            .map(|v| v.iter().map(|&i| index(i.into())).collect()),
        _ => None,
    }
    .unwrap_or_else(|| t.into_data().iter::<i64>().map(index).collect())
}

//! seqrisk's fused CPU kernels: the hot loops of the models, over plain `f32` slices, with no
//! tensor library — the LSTM layer ([`lstm`]: input projection, recurrence, back-propagation
//! through time) and the Hadamard FM pooling ([`fm`], with the embedding look-up fused in).
//! seqrisk-core wraps each as a burn backend operation on the Flex CPU backend
//! (`models::layers::lstm_kernel`, `models::layers::fm_kernel`) and keeps the tensor
//! operations on other devices.
//!
//! They are a crate of their own for one reason: the wasm build is optimised for size
//! (`opt-level = "z"`), which neither vectorises loops nor inlines iterator adapters, and a
//! per-package profile override (`[profile.wasm.package.seqrisk-kernels]`) compiles these
//! loops for speed without doing the same to the rest of seqrisk-core. Measured in Node on
//! NHFM at 50 events (README, JS benchmarks): p50 1.48 ms with these loops at `"z"`, 0.70 ms at
//! `opt-level = 3`, for 1.4 KB more gzip.

pub mod fm;
pub mod lstm;

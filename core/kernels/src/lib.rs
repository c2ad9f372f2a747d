//! seqrisk's fused CPU kernels: the hot loops of the models, over plain `f32` slices, with no
//! tensor library. seqrisk-core wraps each as a burn backend operation on the Flex CPU backend
//! (`models::layers::lstm_kernel`, `models::layers::fm_kernel`) and keeps the tensor
//! operations on other devices.
//!
//! They are a crate of their own for one reason: the wasm build is optimised for size
//! (`opt-level = "z"`), which neither vectorises loops nor inlines iterator adapters, and a
//! per-package profile override (`[profile.wasm.package.seqrisk-kernels]`) compiles these
//! loops for speed without doing the same to the rest of seqrisk-core (issue 11's figures are
//! in the workspace `Cargo.toml`).

pub mod fm;
pub mod lstm;

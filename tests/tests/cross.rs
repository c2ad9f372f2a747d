//! Cross-crate tests in one binary, so the model they share is trained once.

mod cross {
    pub mod artifact;
    pub mod common;
    pub mod parity;
}

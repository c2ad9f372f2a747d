//! Cross-crate tests in one binary, so the model they share is trained once.

mod cross {
    pub mod artifact;
    pub mod browser;
    pub mod catalogue;
    pub mod common;
    pub mod demo;
    pub mod edge;
    pub mod js;
    pub mod parity;
    pub mod properties;
    pub mod report;
    pub mod serve;
    pub mod typescript;
}

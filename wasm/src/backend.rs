//! Which Burn device scores: WebGPU when this build has it and the browser gives an adapter,
//! Flex CPU otherwise or when asked. Every fallback carries the reason, for the JS caller.
//!
//! The one place that decides: what the backend names mean, when `"auto"` falls back and every
//! message. The JS package only picks which build to load (the WebGPU build where the runtime
//! offers an adapter) and hands over why WebGPU is out of reach when it loads the CPU build.

use burn::prelude::Device;

/// What the caller asked for (`ScorerOptions.backend` in JS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// WebGPU if it works here, CPU otherwise.
    Auto,
    /// WebGPU or an error.
    WebGpu,
    /// CPU, never touching the GPU.
    Cpu,
}

impl Requested {
    /// Parse `"auto"`, `"webgpu"` or `"cpu"` (absent = auto).
    pub fn parse(name: Option<&str>) -> Result<Self, String> {
        match name.unwrap_or("auto") {
            "auto" => Ok(Self::Auto),
            "webgpu" => Ok(Self::WebGpu),
            "cpu" => Ok(Self::Cpu),
            other => Err(format!(
                "options.backend: expected \"auto\", \"webgpu\" or \"cpu\", got {other:?}"
            )),
        }
    }
}

/// The device chosen, its name for JS, and why it is not the one asked for (if it is not).
pub struct Chosen {
    pub device: Device,
    pub name: &'static str,
    pub fallback_reason: Option<String>,
}

/// The Flex CPU backend, with why it was chosen over WebGPU (if it was).
pub fn cpu(fallback_reason: Option<String>) -> Chosen {
    Chosen {
        device: Device::flex(),
        name: "cpu",
        fallback_reason,
    }
}

/// Whether this build carries the WebGPU backend.
pub const WEBGPU_COMPILED: bool = cfg!(feature = "webgpu");

/// Pick the device for `requested`; `Err` only when WebGPU was required and cannot be had.
/// `unavailable` is why the caller already knows WebGPU is out of reach (the JS package's
/// check of `navigator.gpu`, or its WebGPU build failing to load): then it is not tried.
pub async fn choose(requested: Requested, unavailable: Option<String>) -> Result<Chosen, String> {
    let gpu = || async {
        match unavailable {
            Some(reason) => Err(reason),
            None => webgpu().await,
        }
    };
    match requested {
        Requested::Cpu => Ok(cpu(None)),
        Requested::WebGpu => gpu().await.map_err(|e| format!("WebGPU unavailable: {e}")),
        Requested::Auto => Ok(match gpu().await {
            Ok(chosen) => chosen,
            Err(reason) => cpu(Some(reason)),
        }),
    }
}

#[cfg(not(feature = "webgpu"))]
async fn webgpu() -> Result<Chosen, String> {
    Err("this is the CPU build of seqrisk's wasm; load the WebGPU build to use the GPU".into())
}

#[cfg(feature = "webgpu")]
async fn webgpu() -> Result<Chosen, String> {
    use std::cell::RefCell;
    // Burn registers one wgpu runtime per page; later scorers share it.
    thread_local! {
        static GPU: RefCell<Option<Device>> = const { RefCell::new(None) };
    }
    if let Some(device) = GPU.with(|g| g.borrow().clone()) {
        return Ok(gpu(device));
    }
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| format!("no usable WebGPU adapter ({e})"))?;
    GPU.with(|g| *g.borrow_mut() = Some(device.clone()));
    Ok(gpu(device))
}

#[cfg(feature = "webgpu")]
fn gpu(device: Device) -> Chosen {
    Chosen {
        device,
        name: "webgpu",
        fallback_reason: None,
    }
}

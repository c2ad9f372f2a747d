//! Set-up of the CPU the models run on, shared by the `seqrisk` and `seqrisk-bench` binaries.

/// Flush denormal floats to zero (x86-64's FTZ and DAZ bits) on this thread. Gradients that
/// vanish through a long recurrence reach the denormal range, where every multiply-add is
/// microcoded, many times slower: NHFM's training step at batch 64 grew about 3× between 145
/// and 170 events for that alone (a bare 400-step matmul chain backpropagates in 673 ms with
/// denormals, 59 ms without). Values below 1.2e-38 become 0, as in most training frameworks'
/// fast paths.
#[cfg(target_arch = "x86_64")]
#[allow(deprecated)] // _mm_setcsr: the documented way to set MXCSR until inline asm is preferred
fn flush_denormals() {
    use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
    const FTZ_DAZ: u32 = 0x8040;
    // SAFETY: sets two MXCSR mode bits of the calling thread; no memory is touched.
    unsafe { _mm_setcsr(_mm_getcsr() | FTZ_DAZ) }
}

#[cfg(not(target_arch = "x86_64"))]
fn flush_denormals() {}

/// [`flush_denormals`] on this thread and on every thread of the global rayon pool, which the
/// CPU backend's matrix products run on.
pub fn flush_denormals_everywhere() {
    flush_denormals();
    // the pool is built here, before any tensor work; an error means it already exists
    let _ = rayon::ThreadPoolBuilder::new()
        .start_handler(|_| flush_denormals())
        .build_global();
}

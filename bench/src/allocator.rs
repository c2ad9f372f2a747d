//! The `seqrisk` binary's allocator: [mimalloc], counting the bytes in use and their peak.
//!
//! - **mimalloc**: glibc's `malloc` hands large freed blocks (a batch's tensors, megabytes
//!   each) back to the kernel and takes them again on the next call, each page a fault to
//!   zero; at a batch of 1,024 NHFM inference spent about a third of its time there (perf,
//!   issue 11). mimalloc keeps them for the next call.
//! - **counting**: the peak memory that `seqrisk-bench scaling` and `bench clusters` report
//!   ([`CountingAlloc::peak_usage`]). In a binary that does not install it (a library user's,
//!   the tests) the counts stay 0, and the benchmarks report no memory.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// mimalloc with byte counts (install with `#[global_allocator]`).
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

impl CountingAlloc {
    /// Bytes allocated and not yet freed.
    pub fn current_usage(&self) -> usize {
        CURRENT.load(Ordering::Relaxed)
    }

    /// The most bytes in use at once since the last [`Self::reset_peak_usage`].
    pub fn peak_usage(&self) -> usize {
        PEAK.load(Ordering::Relaxed)
    }

    /// Start a new peak from the bytes in use now.
    pub fn reset_peak_usage(&self) {
        PEAK.store(CURRENT.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    fn add(size: usize) {
        let now = CURRENT.fetch_add(size, Ordering::Relaxed) + size;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }

    fn sub(size: usize) {
        CURRENT.fetch_sub(size, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to mimalloc with the same arguments, so its guarantees are
// mimalloc's; the counts only read the layouts.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on unchanged
        let ptr = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            Self::add(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc_zeroed`, passed on unchanged
        let ptr = unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Self::add(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on unchanged
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        Self::sub(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`, passed on unchanged
        let moved = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            Self::sub(layout.size());
            Self::add(new_size);
        }
        moved
    }
}

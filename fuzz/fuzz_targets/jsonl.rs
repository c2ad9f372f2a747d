//! Any bytes as a JSONL data file (one session a line), within limits tighter than the defaults
//! (so that the fuzzer meets them) but wide enough for real sessions.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use seqrisk_core::schema::{Limits, read_jsonl};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_input_bytes: 1 << 16,
        max_events: 64,
        max_string_bytes: 256,
        max_batch: 4,
    };
    if let Ok(sessions) = read_jsonl(data, "fuzz.jsonl", common::schema(), &limits) {
        for s in &sessions {
            assert!(s.events.len() <= 64);
            common::holds_up(s);
        }
    }
});

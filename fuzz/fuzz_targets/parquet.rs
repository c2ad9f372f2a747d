//! Any bytes as a long-format Parquet data file (the `parquet` crate's decoder included).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use seqrisk_native::data::read_parquet;

fuzz_target!(|data: &[u8]| {
    if let Ok(sessions) = read_parquet(data.to_vec(), "fuzz.parquet", common::schema()) {
        for s in &sessions {
            common::holds_up(s);
        }
    }
});

//! Any bytes as a long-format CSV data file (one event a row).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use seqrisk_core::schema::read_csv;

fuzz_target!(|data: &[u8]| {
    if let Ok(sessions) = read_csv(data, "fuzz.csv", common::schema()) {
        for s in &sessions {
            common::holds_up(s);
        }
    }
});

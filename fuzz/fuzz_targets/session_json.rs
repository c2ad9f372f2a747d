//! Any bytes as one session's JSON text (what the JS package and the edge worker receive).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use seqrisk_core::Location;
use seqrisk_core::schema::{Limits, parse_session_json};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let location = Location::new("fuzz", 1);
    if let Ok(session) = parse_session_json(text, common::schema(), &location, &Limits::default()) {
        common::holds_up(&session);
    }
});

//! Any bytes as a long-format Parquet data file (the `parquet` crate's decoder included).
//!
//! The `parquet` crate panics on some corrupt files, which `read_parquet` catches and refuses
//! as unreadable; libFuzzer's panic hook would abort on them first, so panics raised inside
//! the `parquet` crate pass through a hook that leaves them to that guard, and any other panic
//! aborts as before.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use seqrisk_native::data::read_parquet;
use std::sync::Once;

fn leave_parquet_panics_to_read_parquet() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_parquet = info
                .location()
                .is_some_and(|l| l.file().contains("/parquet-"));
            if !in_parquet {
                abort(info);
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    leave_parquet_panics_to_read_parquet();
    if let Ok(sessions) = read_parquet(data.to_vec(), "fuzz.parquet", common::schema()) {
        for s in &sessions {
            common::holds_up(s);
        }
    }
});

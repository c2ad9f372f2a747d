//! Any bytes as a schema file (TOML).
#![no_main]

use libfuzzer_sys::fuzz_target;
use seqrisk_core::schema::Schema;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(schema) = Schema::from_toml(text) {
        let _ = schema.validate();
    }
});

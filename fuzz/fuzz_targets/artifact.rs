//! Any bytes as an artifact, with the CRC-32 mended (bytes 28..32 over everything from byte 32
//! on) so that the fuzzer reaches the header, encoder, configuration and weights a crafted file
//! could hold; what loads must instantiate and score a session in [0, 1] or err.
#![no_main]

use burn::prelude::Device;
use libfuzzer_sys::fuzz_target;
use seqrisk_core::artifact::Artifact;
use seqrisk_core::schema::Session;
use seqrisk_core::scorer::Scorer;
use seqrisk_core::synth::{SynthConfig, generate};
use std::sync::OnceLock;

fn sessions() -> &'static [Session] {
    static SESSIONS: OnceLock<Vec<Session>> = OnceLock::new();
    SESSIONS.get_or_init(|| {
        generate(SynthConfig {
            sessions: 2,
            ..Default::default()
        })
        .into_iter()
        .map(|d| d.session)
        .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    if bytes.len() >= 32 {
        let crc = crc32fast::hash(&bytes[32..]);
        bytes[28..32].copy_from_slice(&crc.to_le_bytes());
    }
    let Ok(artifact) = Artifact::from_bytes(&bytes) else {
        return;
    };
    let Ok(scorer) = Scorer::from_artifact(&artifact, Device::flex()) else {
        return;
    };
    if let Ok(scores) = scorer.score(sessions()) {
        assert!(
            scores.iter().all(|s| (0.0..=1.0).contains(&s.score)),
            "{scores:?}"
        );
    }
});

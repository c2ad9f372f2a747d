//! Artifact round trip (bitwise-equal weights) and corruption handling on a trained model.

use super::common;

use burn::module::Module;
use burn::prelude::Device;
use seqrisk_core::Error;
use seqrisk_core::artifact::{Artifact, FORMAT_VERSION, Header, OLDEST_FORMAT_VERSION};
use seqrisk_core::calibration::{Calibrator, Isotonic, Platt};
use seqrisk_core::encode::NumericRead;
use seqrisk_core::models::{ModelConfig, ModelSpec};
use seqrisk_core::schema::NumericEncoding;
use seqrisk_core::scorer::Scorer;

fn load_err(bytes: &[u8]) -> String {
    match Artifact::from_bytes(bytes) {
        Err(Error::Artifact(m)) => m,
        Err(other) => panic!("expected an artifact error, got {other}"),
        Ok(_) => panic!("corrupt artifact was accepted"),
    }
}

#[test]
fn round_trip_keeps_weights_bitwise_and_scores_identical() {
    for i in 0..common::MODELS.len() {
        round_trip(i);
    }
}

fn round_trip(i: usize) {
    let t = common::trained_model(i);
    let a = common::reload(&t.bytes);
    // the fixture really is encoded as `common::encoding` says: each encoding is round-tripped
    // (and, through the same fixtures, scored by wasm against native)
    let encoder = &a.header.encoder;
    let reads = encoder.event_numeric_reads();
    let want = common::encoding(common::MODELS[i]);
    assert_eq!(encoder.schema.numeric_encoding(), want);
    let has = |f: fn(&NumericRead) -> bool| reads.iter().any(f);
    match want {
        NumericEncoding::Scale => assert!(has(|r| *r == NumericRead::Value)),
        NumericEncoding::Quantile => assert!(has(|r| matches!(r, NumericRead::Bucket { .. }))),
        NumericEncoding::Ple => assert!(has(
            |r| matches!(r, NumericRead::Ple { width } if *width > 1)
        )),
    }
    // and reads the amount's deviation from the session's history where `common::deviations`
    // says (stats after the schema's fields, named in the slots)
    let derived = encoder
        .event_field_names()
        .iter()
        .any(|n| n.starts_with("amount_deviation"));
    assert_eq!(derived, common::deviations(common::MODELS[i]), "{i}");
    assert_eq!(
        a.header.model_config().unwrap().spec().name(),
        common::MODELS[i]
    );
    assert_eq!(a.header, t.outcome.artifact.header);
    assert_eq!(a.weights, t.outcome.artifact.weights);
    // weights survive instantiation: re-exporting the loaded model gives the same bytes
    let model = a.model(&Device::flex()).unwrap();
    let again = model.into_record().into_bytes().unwrap().to_vec();
    assert_eq!(again, a.weights, "reloaded weights are not bitwise equal");
    assert_eq!(Artifact { ..a.clone() }.to_bytes().unwrap(), t.bytes);
    let sessions: Vec<_> = t.sessions.iter().take(20).cloned().collect();
    let s1 = Scorer::from_artifact(&a, Device::flex())
        .unwrap()
        .score(&sessions)
        .unwrap();
    let s2 = Scorer::from_artifact(&t.outcome.artifact, Device::flex())
        .unwrap()
        .score(&sessions)
        .unwrap();
    assert_eq!(s1, s2);
}

/// Every model and variant, freshly initialised, is exported and reloaded with bitwise-equal
/// weights and scores identically: what the scorers (native and wasm) load is what was built.
/// Scoring on several threads (`seqrisk score`, the Python package) gives every session once,
/// in order, with the bits scoring on one thread gives, for every model kind.
#[test]
fn scoring_on_threads_gives_the_bits_of_one_thread() {
    let kinds = (0..common::MODELS.len()).map(|i| {
        let t = common::trained_model(i);
        (common::MODELS[i], t.bytes.clone(), t.sessions.clone())
    });
    let c = common::clustered();
    let all = kinds.chain(std::iter::once((
        "cluster",
        c.bytes.clone(),
        c.sessions.clone(),
    )));
    for (name, bytes, sessions) in all {
        let scorer = Scorer::from_artifact(&common::reload(&bytes), Device::flex()).unwrap();
        // a part batch at the end, and more batches than threads
        let n = sessions
            .len()
            .min(5 * seqrisk_core::scorer::SCORE_BATCH + 17);
        let one = scorer.score(&sessions[..n]).unwrap();
        for threads in [2, 3, 8] {
            let many = scorer.score_parallel(&sessions[..n], threads).unwrap();
            assert_eq!(many.len(), n, "{name}");
            for (a, b) in one.iter().zip(&many) {
                assert_eq!(a.id, b.id, "{name}");
                assert_eq!(
                    a.raw_score.to_bits(),
                    b.raw_score.to_bits(),
                    "{name} {}",
                    a.id
                );
                assert_eq!(a.score.to_bits(), b.score.to_bits(), "{name} {}", a.id);
            }
        }
    }
}

#[test]
fn every_model_exports_and_reloads() {
    let device = Device::flex();
    for spec in ModelSpec::ALL {
        // LBSF needs payments with merchants: the payments scenario's encoder and users
        let t = if spec.payment_view().is_some() {
            common::trained_model(4)
        } else {
            common::trained()
        };
        let sessions: Vec<_> = t.sessions.iter().take(8).cloned().collect();
        device.seed(1);
        let mut encoder = t.outcome.artifact.header.encoder.clone();
        encoder.session_view = spec.needs_session_view();
        encoder.payment_view = spec.payment_view();
        let config = ModelConfig::default_for(spec, &encoder);
        let header = Header {
            model_config_json: serde_json::to_string(&config).unwrap(),
            encoder,
            // the trained model's calibrator belongs to its weights, not to fresh ones
            calibration: None,
            ..t.outcome.artifact.header.clone()
        };
        let a = Artifact::new(header, config.init(&device)).unwrap();
        let bytes = a.to_bytes().unwrap();
        let b = Artifact::from_bytes(&bytes).unwrap();
        assert_eq!(b.weights, a.weights, "{spec}");
        assert_eq!(b.header.model_config().unwrap().spec(), spec);
        let score = |x: &Artifact| {
            Scorer::from_artifact(x, Device::flex())
                .unwrap()
                .score(&sessions)
                .unwrap()
        };
        let (s1, s2) = (score(&a), score(&b));
        assert_eq!(s1, s2, "{spec}");
        assert!(s1.iter().all(|s| s.score > 0.0 && s.score < 1.0), "{spec}");
    }
}

#[test]
fn corrupt_artifacts_are_rejected_with_clear_errors() {
    let good = &common::trained().bytes;
    assert!(load_err(&good[..good.len() - 1]).contains("length mismatch"));
    assert!(load_err(&good[..20]).contains("shorter than"));
    assert!(load_err(&[]).contains("0 bytes"));
    for pos in [40, good.len() / 2, good.len() - 1] {
        let mut flipped = good.clone();
        flipped[pos] ^= 0x01;
        assert!(
            load_err(&flipped).contains("checksum mismatch"),
            "flip at {pos}"
        );
    }
    let mut magic = good.clone();
    magic[0] = b'P';
    assert!(load_err(&magic).contains("not a seqrisk artifact"));
    let mut newer = good.clone();
    newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let m = load_err(&newer);
    assert!(
        m.contains(&format!("format version {}", FORMAT_VERSION + 1)) && m.contains("upgrade"),
        "{m}"
    );
    let mut older = good.clone();
    older[8..12].copy_from_slice(&(OLDEST_FORMAT_VERSION - 1).to_le_bytes());
    let m = load_err(&older);
    assert!(m.contains("older") && m.contains("retrain"), "{m}");
    assert!(
        load_err(b"PK\x03\x04 a zip file, not a model at all....")
            .contains("not a seqrisk artifact")
    );
}

/// Regressions from the crafted-configuration property (`properties.rs`): a well-formed,
/// checksummed artifact whose configuration sets dropout to 1 or a size to 2^64 − 1 is refused
/// with an error naming the setting (both panicked while building the model).
#[test]
fn crafted_model_configurations_are_refused() {
    let t = common::trained();
    let crafted = |key: &str, value: serde_json::Value| {
        let mut config: serde_json::Value =
            serde_json::from_str(&t.outcome.artifact.header.model_config_json).unwrap();
        let inner = config.as_object_mut().unwrap().values_mut().next().unwrap();
        assert!(inner.get(key).is_some(), "no `{key}` in {inner}");
        inner[key] = value;
        let mut header = t.outcome.artifact.header.clone();
        header.model_config_json = config.to_string();
        let bytes = Artifact {
            header,
            weights: t.outcome.artifact.weights.clone(),
        }
        .to_bytes()
        .unwrap();
        match Scorer::from_artifact(&Artifact::from_bytes(&bytes).unwrap(), Device::flex()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("crafted `{key}` accepted"),
        }
    };
    let m = crafted("dropout", 1.0.into());
    assert!(m.contains("dropout probability 1 is outside [0, 1)"), "{m}");
    let m = crafted("lstm_hidden", u64::MAX.into());
    assert!(
        m.contains("`/Nhfm/lstm_hidden` = 18446744073709551615, larger than any model"),
        "{m}"
    );
}

/// Regressions from the crafted-encoder property (`properties.rs`, which found a crafted encoder
/// that made scoring ask for 96 TB, and one whose field lists no longer matched the model): a
/// checksummed artifact whose encoder lost a field's statistics, or whose schema asks for 2^40
/// events a session, is refused as it loads, naming what is wrong.
#[test]
fn crafted_encoders_are_refused() {
    let t = common::trained();
    let refused = |edit: &dyn Fn(&mut Header)| {
        let mut header = t.outcome.artifact.header.clone();
        edit(&mut header);
        let bytes = Artifact {
            header,
            weights: t.outcome.artifact.weights.clone(),
        }
        .to_bytes()
        .unwrap();
        load_err(&bytes)
    };
    let m = refused(&|h| {
        h.encoder.event_stats.pop();
    });
    assert!(
        m.contains("encoder does not hold together") && m.contains("event statistics"),
        "{m}"
    );
    let m = refused(&|h| h.encoder.schema.max_events = 1 << 40);
    assert!(m.contains("max_events must be at most 4096"), "{m}");
    // a calibrator that is not a non-decreasing function into [0, 1] is refused too
    assert!(
        t.outcome.artifact.header.calibration.is_some(),
        "the fixture is calibrated"
    );
    let set = |c: Calibrator| {
        move |h: &mut Header| {
            if let Some(s) = h.calibration.as_mut() {
                s.calibrator = c.clone();
            }
        }
    };
    let m = refused(&set(Calibrator::Isotonic(Isotonic {
        x: vec![0.0, 1.0],
        y: vec![0.9, 0.1],
    })));
    assert!(
        m.contains("isotonic calibration's probabilities do not rise"),
        "{m}"
    );
    let m = refused(&set(Calibrator::Platt(Platt {
        slope: f64::INFINITY,
        intercept: 0.0,
    })));
    assert!(
        m.contains("Platt calibration holds a non-finite value"),
        "{m}"
    );
    // and a monitoring reference whose shares do not match its bins
    let m = refused(&|h: &mut Header| {
        if let Some(r) = h.monitoring.as_mut() {
            r.fields[0].expected.push(0.5);
        }
    });
    assert!(
        m.contains("monitoring reference of `") && m.contains("does not hold together"),
        "{m}"
    );
}

/// Regression from `artifact_bytes_are_checked` at 100,000 cases: checksummed weights whose
/// tensor table gives a tensor another dtype (Burn panicked "Expected float dtype, got U32") are
/// refused before Burn reads them, naming the tensor. (A shape that does not match its data —
/// one asked for 7.2·10^18 bytes — cannot be written by burn-pack's writer; the property holds
/// it, at 100,000 cases.)
#[test]
fn crafted_weight_tables_are_refused() {
    // the model's own weights, one tensor's dtype relabelled U32 (same 4 bytes an element)
    let mut first = None;
    let a = rewritten(|name, dtype, _| {
        if first.is_none() {
            first = Some(name.to_string());
            *dtype = burn_pack::DType::U32;
        }
    });
    let m = match a.model(&Device::flex()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("crafted weights accepted"),
    };
    let name = first.unwrap();
    assert!(
        m.contains(&format!("weights: tensor `{name}` is U32, not f32")),
        "{m}"
    );
}

/// The shared model's artifact with its weights rewritten: `edit(name, dtype, values)` may
/// change each tensor's dtype label and f32 values.
fn rewritten(mut edit: impl FnMut(&str, &mut burn_pack::DType, &mut [f32])) -> Artifact {
    use burn_pack::{Reader, Tensor, Writer};
    let t = common::trained();
    let weights = burn::tensor::Bytes::from_bytes_vec(t.outcome.artifact.weights.clone());
    let tensors: Vec<Tensor> = Reader::from_bytes(weights)
        .unwrap()
        .into_tensors()
        .unwrap()
        .into_iter()
        .map(|x| {
            let (name, mut dtype, shape, id, data) = x.into_parts().unwrap();
            let mut values: Vec<f32> = data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            edit(&name, &mut dtype, &mut values);
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            Tensor::new(
                name,
                dtype,
                shape,
                id,
                burn::tensor::Bytes::from_bytes_vec(bytes),
            )
        })
        .collect();
    Artifact {
        header: t.outcome.artifact.header.clone(),
        weights: Writer::new(tensors).into_bytes().unwrap().to_vec(),
    }
}

/// Weights a crafted or damaged file could hold that no training writes: a NaN is refused at
/// load, naming the tensor and element; finite weights so large that the forward pass
/// overflows give an error, not a NaN score (which every threshold comparison would pass:
/// `cargo fuzz run artifact` found one within 23 runs, an exponent byte changed).
#[test]
fn non_finite_weights_and_overflowing_scores_are_errors() {
    let t = common::trained();
    let first = std::sync::OnceLock::new();
    let nan = rewritten(|name, _, values| {
        if first.set(name.to_string()).is_ok() {
            values[1] = f32::NAN;
        }
    });
    let e = match nan.model(&Device::flex()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("NaN weights accepted"),
    };
    let name = first.get().unwrap();
    assert!(
        e.contains(&format!("tensor `{name}` holds NaN at element 1")),
        "{e}"
    );
    let huge = rewritten(|_, _, values| values.iter_mut().for_each(|v| *v *= 1e30));
    let scorer = Scorer::from_artifact(&huge, Device::flex()).unwrap();
    // (without the check these 8 sessions score NaN)
    let e = match scorer.score(&t.sessions[..8]) {
        Err(e) => e.to_string(),
        Ok(scores) => panic!(
            "scored {:?}",
            scores.iter().map(|s| s.score).collect::<Vec<_>>()
        ),
    };
    assert!(
        e.contains("model: the model's output for a session is not a number (NaN)"),
        "{e}"
    );
}

/// A header whose first string (the seqrisk version) claims 0x0aaaaaaaaaaaaaaa bytes, its
/// checksum mended: refused as a header that does not decode, not a "capacity overflow" panic
/// in bincode, which reserved the claimed length before reading it (`cargo fuzz run artifact`
/// found it at 95,173 runs).
#[test]
fn a_header_claiming_a_huge_string_is_refused() {
    let good = &common::trained().bytes;
    let hl = u64::from_le_bytes(good[12..20].try_into().unwrap()) as usize;
    assert!(
        good[32] < 251,
        "the version string's length is one varint byte"
    );
    let mut header = vec![0xfd];
    header.extend(0x0aaa_aaaa_aaaa_aaaa_u64.to_le_bytes());
    header.extend(&good[33..32 + hl]);
    let mut bad = good[..32].to_vec();
    bad[12..20].copy_from_slice(&(header.len() as u64).to_le_bytes());
    bad.extend(&header);
    bad.extend(&good[32 + hl..]);
    let crc = crc32fast::hash(&bad[32..]);
    bad[28..32].copy_from_slice(&crc.to_le_bytes());
    let e = match Artifact::from_bytes(&bad) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted"),
    };
    assert!(e.contains("artifact: header does not decode"), "{e}");
}

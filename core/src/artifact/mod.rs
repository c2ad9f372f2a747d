//! The model artifact: one self-describing file holding everything needed to score.
//!
//! ```text
//! offset  size  field
//! 0       8     magic  "SQRKART\0"
//! 8       4     format version (u32 LE)
//! 12      8     header length H (u64 LE)
//! 20      8     weights length W (u64 LE)
//! 28      4     CRC-32 of bytes 32.. (u32 LE)
//! 32      H     header: bincode (standard config) of [`Header`], H ≤ 64 MiB
//! 32+H    W     weights: Burn burnpack bytes of the model record
//! ```
//!
//! Readers reject a wrong magic, a newer format version, lengths that do not add up and a
//! checksum mismatch before decoding anything.

use crate::calibration::CalibrationSummary;
use crate::encode::Encoder;
use crate::error::{Error, Result};
use crate::metrics::{Metrics, RocPoint};
use crate::models::behavior_cluster::ClusterMap;
use crate::models::{Model, ModelConfig};
use crate::monitor::Reference;
use crate::policy::PolicyPoint;
use crate::schema::Schema;
use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

/// File magic.
pub const MAGIC: [u8; 8] = *b"SQRKART\0";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 12;
/// The oldest format version this build reads (version 2 added the encoder's session view,
/// version 3 its fold view and the schema's `[merchants]`, version 4 the training summary's
/// `threshold`, version 5 the schema's numeric encodings and the encoder's bucket edges,
/// version 6 PLE and the GBDT's per-field numeric reads, version 7 the schema's optional
/// `numeric_encoding`, `bins` and `min_count` (left to the training preset when absent),
/// version 8 the schema's and each numeric field's `binning`, version 9 a numeric field's
/// `deviation`, version 10 the `calibration`, `policy_points` and `monitoring`, version 11
/// HUIHEN's two UPI output neurons and `scale_slots`, version 12 the `[merchants]` section's
/// optional `max_payments` and the cluster model's `next_event` and decoder; an older header does not decode as one).
pub const OLDEST_FORMAT_VERSION: u32 = 12;
const PREFIX: usize = 32;

/// What was measured when the model was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainingSummary {
    /// Sessions in the train / validation / test splits.
    pub split_sessions: [usize; 3],
    /// Positive sessions in the train / validation / test splits.
    pub split_positives: [usize; 3],
    /// Epochs run, and the epoch whose weights were kept (1-based).
    pub epochs: usize,
    /// Epoch with the best validation AUC (1-based).
    pub best_epoch: usize,
    /// Seed of the run.
    pub seed: u64,
    /// Validation AUC of the kept weights.
    pub valid_auc: f64,
    /// Score from which a session is flagged: for the supervised models the 99th percentile
    /// of the validation negatives' (calibrated, when calibrated) scores (a 1% false-positive rate), for the cluster model
    /// the fraud density that makes a cluster risky.
    pub threshold: f64,
    /// Share of true-positive test sessions with a planted event among the top-3 explained
    /// events, and the same for a random choice of 3 (when the data carries ground truth).
    pub planted_top3: Option<(f64, f64)>,
}

/// Everything but the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Version of seqrisk that wrote the file.
    pub seqrisk_version: String,
    /// Unix time of creation, seconds.
    pub created_unix: u64,
    /// The model configuration as JSON (Burn `Config`).
    pub model_config_json: String,
    /// Schema, vocabularies and statistics.
    pub encoder: Encoder,
    /// Metrics on the held-out test split.
    pub test_metrics: Option<Metrics>,
    /// ROC curve on the test split (for model cards and plots).
    pub test_roc: Vec<RocPoint>,
    /// Fingerprint of the training data (source names, sizes and checksums).
    pub data_fingerprint: String,
    /// The training run.
    pub training: TrainingSummary,
    /// The calibrator turning the model's score into a probability (`None`: the score is the
    /// model's own sigmoid, as for the cluster model or `--calibration none`).
    pub calibration: Option<CalibrationSummary>,
    /// Thresholds at the card's targets (FPR 0.1%, 1%, 5%, alert rate 1%, precision 50%) on
    /// the validation split's (calibrated) scores, with the validation figures at each: what a
    /// policy file's bands refer to.
    pub policy_points: Vec<PolicyPoint>,
    /// What the training data looked like, for drift monitoring (`None` for the cluster
    /// model).
    pub monitoring: Option<Reference>,
}

impl Header {
    /// The model configuration. Every integer in it (sizes, dimensions, counts) must be at most
    /// [`MAX_CONFIG_INTEGER`], so that a crafted file cannot make sizes whose arithmetic
    /// overflows; shapes that do not match the stored weights are refused when they load.
    pub fn model_config(&self) -> Result<ModelConfig> {
        let bad = |m: String| Error::Artifact(format!("model configuration {m}"));
        let json: serde_json::Value = serde_json::from_str(&self.model_config_json)
            .map_err(|e| bad(format!("does not parse: {e}")))?;
        if let Some((path, n)) = oversized_integer(&json, String::new()) {
            return Err(bad(format!(
                "has `{path}` = {n}, larger than any model seqrisk builds (at most {MAX_CONFIG_INTEGER})"
            )));
        }
        serde_json::from_value(json).map_err(|e| bad(format!("does not parse: {e}")))
    }

    /// The model card.
    pub fn card(&self) -> Result<ModelCard<'_>> {
        let config = self.model_config()?;
        Ok(ModelCard {
            model: config.spec().to_string(),
            cluster_map: match config {
                ModelConfig::BehaviorCluster(c) if !c.fingerprints.map.axes.is_empty() => {
                    Some(c.fingerprints.map)
                }
                _ => None,
            },
            format_version: FORMAT_VERSION,
            seqrisk_version: &self.seqrisk_version,
            created_unix: self.created_unix,
            data_fingerprint: &self.data_fingerprint,
            schema: &self.encoder.schema,
            test_metrics: self.test_metrics,
            test_roc: &self.test_roc,
            training: &self.training,
            calibration: self.calibration.as_ref(),
            policy_points: &self.policy_points,
        })
    }
}

/// The weights' tensor table, held to what the models store before Burn reads it: `f32`
/// tensors whose data is exactly their shape's size, every value finite. A crafted file (its checksum mended) could
/// otherwise give a tensor another dtype, on which Burn panics, or a shape whose size overflows
/// or asks for exabytes; shapes that differ from the model's are refused by the load itself.
fn check_weights(weights: &[u8]) -> Result<()> {
    let bad = |m: String| Error::Artifact(format!("weights: {m}"));
    let tensors = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(weights.to_vec()))
        .and_then(burn_pack::Reader::into_tensors)
        .map_err(|e| bad(format!("do not decode: {e}")))?;
    for t in tensors {
        let (name, dtype, shape, _, data) = t
            .into_parts()
            .map_err(|e| bad(format!("do not decode: {e}")))?;
        if dtype != burn_pack::DType::F32 {
            return Err(bad(format!("tensor `{name}` is {dtype:?}, not f32")));
        }
        let bytes = shape.iter().try_fold(4usize, |n, &d| n.checked_mul(d));
        if bytes != Some(data.len()) {
            return Err(bad(format!(
                "tensor `{name}` of shape {:?} does not match its {} bytes of data",
                shape.as_slice(),
                data.len()
            )));
        }
        let non_finite = data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .enumerate()
            .find(|(_, x)| !x.is_finite());
        if let Some((i, x)) = non_finite {
            return Err(bad(format!(
                "tensor `{name}` holds {x} at element {i}; trained weights are finite"
            )));
        }
    }
    Ok(())
}

/// The largest integer a model configuration may hold (2^24).
pub const MAX_CONFIG_INTEGER: u64 = 1 << 24;

/// The JSON pointer and value of the first integer in `v` above [`MAX_CONFIG_INTEGER`] (or
/// below its negative).
fn oversized_integer(v: &serde_json::Value, at: String) -> Option<(String, String)> {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            let too_big = n
                .as_u64()
                .map(|x| x > MAX_CONFIG_INTEGER)
                .or_else(|| n.as_i64().map(|x| x.unsigned_abs() > MAX_CONFIG_INTEGER));
            too_big.unwrap_or(false).then(|| (at, n.to_string()))
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| oversized_integer(x, format!("{at}/{i}"))),
        Value::Object(m) => m
            .iter()
            .find_map(|(k, x)| oversized_integer(x, format!("{at}/{k}"))),
        _ => None,
    }
}

/// What a model card shows (the JS `Scorer.card`, `seqrisk inspect --json`): the header without
/// the encoder's vocabularies and statistics. Serialised as JSON, non-finite numbers (the
/// cluster model's validation AUC) become `null`.
#[derive(Debug, Clone, Serialize)]
pub struct ModelCard<'a> {
    /// The model and variant, e.g. `"nhfm"`, `"difm-same"`.
    pub model: String,
    /// The artifact format version.
    pub format_version: u32,
    /// Version of seqrisk that wrote the artifact.
    pub seqrisk_version: &'a str,
    /// Unix time of creation, seconds.
    pub created_unix: u64,
    /// Fingerprint of the training data.
    pub data_fingerprint: &'a str,
    /// The schema sessions are read with.
    pub schema: &'a Schema,
    /// Metrics on the held-out test split.
    pub test_metrics: Option<Metrics>,
    /// ROC curve on the test split.
    pub test_roc: &'a [RocPoint],
    /// The training run, with the decision `threshold` (on the calibrated score when there is
    /// a calibration).
    pub training: &'a TrainingSummary,
    /// The calibration, when the scores are calibrated.
    pub calibration: Option<&'a CalibrationSummary>,
    /// The thresholds at the card's targets, with their validation figures.
    pub policy_points: &'a [PolicyPoint],
    /// The cluster model's 2-D map of its clustering (its axes and a sample of the training
    /// sessions); absent for the other models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_map: Option<ClusterMap>,
}

/// A loaded (not yet instantiated) artifact.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The header.
    pub header: Header,
    /// Burnpack weights.
    pub weights: Vec<u8>,
}

fn bincode_config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Largest header an artifact may hold (vocabularies, statistics, configuration: a few MB at
/// most in practice).
pub const MAX_HEADER_BYTES: usize = 64 << 20;

/// The header's decoding: [`bincode_config`] held to [`MAX_HEADER_BYTES`], so that a length a
/// crafted header claims is refused before anything of that length is allocated (bincode
/// 2.0.1 otherwise reserves it first: `cargo fuzz run artifact` found a string length of
/// 0x0aaaaaaaaaaaaaaa that panicked with "capacity overflow").
fn bincode_decode_config() -> bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<MAX_HEADER_BYTES>,
> {
    bincode_config().with_limit::<MAX_HEADER_BYTES>()
}

impl Artifact {
    /// Package a trained model.
    pub fn new(header: Header, model: Model) -> Result<Self> {
        let weights = model
            .into_record()
            .into_bytes()
            .map_err(|e| Error::Artifact(format!("cannot serialise weights: {e}")))?
            .to_vec();
        Ok(Self { header, weights })
    }

    /// Serialise to the file layout above.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let header = bincode::serde::encode_to_vec(&self.header, bincode_config())
            .map_err(|e| Error::Artifact(format!("cannot encode header: {e}")))?;
        if header.len() > MAX_HEADER_BYTES {
            return Err(Error::Artifact(format!(
                "the header takes {} bytes; an artifact header holds at most {MAX_HEADER_BYTES} (vocabularies too large?)",
                header.len()
            )));
        }
        let mut out = Vec::with_capacity(PREFIX + header.len() + self.weights.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.weights.len() as u64).to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.weights);
        let crc = crc32fast::hash(&out[PREFIX..]);
        out[28..32].copy_from_slice(&crc.to_le_bytes());
        Ok(out)
    }

    /// Parse and verify an artifact.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |m: String| Error::Artifact(m);
        if bytes.len() < PREFIX {
            return Err(bad(format!(
                "file is {} bytes, shorter than the {PREFIX}-byte artifact prefix (truncated or not an artifact)",
                bytes.len()
            )));
        }
        if bytes[..8] != MAGIC {
            return Err(bad(format!(
                "bytes 0..8 are {:?}, not the seqrisk artifact magic {:?}: not a seqrisk artifact",
                String::from_utf8_lossy(&bytes[..8]),
                String::from_utf8_lossy(&MAGIC)
            )));
        }
        let u32_at =
            |o: usize| u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
        let u64_at = |o: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[o..o + 8]);
            u64::from_le_bytes(b)
        };
        let version = u32_at(8);
        if version > FORMAT_VERSION {
            return Err(bad(format!(
                "format version {version} (byte 8) is not supported: this build reads versions {OLDEST_FORMAT_VERSION}..={FORMAT_VERSION}; upgrade seqrisk"
            )));
        }
        if version < OLDEST_FORMAT_VERSION {
            return Err(bad(format!(
                "format version {version} (byte 8) is older than this build reads ({OLDEST_FORMAT_VERSION}..={FORMAT_VERSION}); retrain the model with this seqrisk"
            )));
        }
        let (hl, wl) = (u64_at(12), u64_at(20));
        let expected = (PREFIX as u128) + hl as u128 + wl as u128;
        if expected != bytes.len() as u128 {
            return Err(bad(format!(
                "length mismatch: the prefix announces {expected} bytes (header {hl}, weights {wl}) but the file has {} (truncated or appended to)",
                bytes.len()
            )));
        }
        let stored = u32_at(28);
        let actual = crc32fast::hash(&bytes[PREFIX..]);
        if stored != actual {
            return Err(bad(format!(
                "checksum mismatch: stored CRC-32 {stored:08x} (bytes 28..32), computed {actual:08x}: the file is corrupt"
            )));
        }
        let hl = hl as usize;
        if hl > MAX_HEADER_BYTES {
            return Err(bad(format!(
                "header of {hl} bytes (bytes 12..20); an artifact header holds at most {MAX_HEADER_BYTES}"
            )));
        }
        let (header, used): (Header, usize) =
            bincode::serde::decode_from_slice(&bytes[PREFIX..PREFIX + hl], bincode_decode_config())
                .map_err(|e| bad(format!("header does not decode: {e}")))?;
        if used != hl {
            return Err(bad(format!("header has {} trailing bytes", hl - used)));
        }
        header
            .encoder
            .validate()
            .map_err(|e| bad(format!("the header's encoder does not hold together: {e}")))?;
        if let Some(c) = &header.calibration {
            c.calibrator
                .check()
                .map_err(|e| bad(format!("the header's {e}")))?;
        }
        if let Some(m) = &header.monitoring {
            m.check().map_err(|e| bad(format!("the header's {e}")))?;
        }
        Ok(Self {
            header,
            weights: bytes[PREFIX + hl..].to_vec(),
        })
    }

    /// Instantiate the model on `device` with the stored weights.
    pub fn model(&self, device: &Device) -> Result<Model> {
        let config = self.header.model_config()?;
        config.check(&self.header.encoder)?;
        check_weights(&self.weights)?;
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(self.weights.clone()))
            .map_err(|e| Error::Artifact(format!("weights do not decode: {e}")))?;
        config
            .init(device)
            .try_load_record(record)
            .map_err(|e| Error::Artifact(format!("weights do not fit the model: {e}")))
    }
}

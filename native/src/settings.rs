//! The training settings that decide quality on real data, as one type: the flags of `seqrisk
//! train`, the TOML file `train --config` reads and `seqrisk tune` writes, and a point of
//! `tune`'s search. Every field is optional: [`Settings::resolve`] fills what is unset from the
//! preset's defaults for the model ([`Preset`]: `realistic` unless `--preset paper`), leaving a
//! numeric encoding to the schema where the schema sets one.

use anyhow::{Context, Result};
use clap::Args;
use seqrisk_core::error::InvalidParam;
use seqrisk_core::models::{ModelOverrides, ModelSpec, Preset};
use seqrisk_core::schema::{Binning, MAX_BINS, NumericEncoding, Schema};
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::train::TrainOptions;

/// Deepest boosted tree a setting may ask for: a tree of depth `d` has up to `2^d` leaves, and
/// past 16 a typo would grow trees no data set of seqrisk's sizes can fill.
pub const MAX_TREE_DEPTH: usize = 16;

/// Learning rate, batch, regularisation, model size and encodings over the defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where unset values come from: `realistic` (the default: for NHFM, DIFM and LSTM4FD the
    /// settings `seqrisk tune` found on realistic transaction data; the paper's for the other
    /// models) or `paper` (each paper's exact settings, scaled numeric embeddings included).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// Learning rate; paper preset: the model's paper's (1e-3 for HUIHEN, 2e-4 for LBSF with
    /// AdamW, 5e-4 for the others).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
    /// Mini-batch size [paper preset: 256].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// L2 penalty on the weights (Adam's weight decay) [paper preset: 1e-6].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f64>,
    /// Probability of replacing each categorical value by its field's out-of-vocabulary id
    /// while training (value dropout: fields of thousands of values are not memorised)
    /// [paper preset: 0].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_dropout: Option<f64>,
    /// `β` of the weights' exponential moving average, `θ̄ ← β_t·θ̄ + (1 − β_t)·θ` after
    /// step `t` with `β_t = min(β, t/(t+9))`, which validation, early stopping and the
    /// artifact read (0: the weights as trained) [default: 0].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ema_decay: Option<f64>,
    /// Embedding size k of NHFM, DIFM, HUIHEN and the flat baselines [paper preset: 64].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedding_dim: Option<usize>,
    /// Dropout of the model's MLP or Transformer layers [paper preset: the paper's, 0.2 for
    /// NHFM and DIFM].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropout: Option<f64>,
    /// Whether NHFM's and DIFM's wide part also weighs the session's aggregates (the GBDT
    /// baseline's features: counts, ranks, each numeric field's mean, min, max and current
    /// value), a departure from the papers [paper preset: false].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregates: Option<bool>,
    /// Numeric encoding of the fields that do not set their own, in place of the schema's
    /// `numeric_encoding`: `scale` (the papers' x·v), `quantile` (buckets) or `ple`
    /// (piecewise linear over bins).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numeric_encoding: Option<NumericEncoding>,
    /// Buckets (quantile) or bins (PLE) of the fields that do not set their own, in place of
    /// the schema's `bins`.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bins: Option<usize>,
    /// Where the bin edges of those fields fall, in place of the schema's `binning`:
    /// `quantile` (equal-frequency) or `target` (where the label changes: a one-field decision
    /// tree on the training split).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binning: Option<Binning>,
    /// Values seen fewer times than this in training map to their field's out-of-vocabulary
    /// id, in place of the schema's `min_count`.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_count: Option<usize>,
    /// Whether the derived time features (hour of day, log seconds since the previous event)
    /// are read, in place of the schema's `time_features`: on MovieLens-100K they helped NHFM
    /// on validation and cost it 0.01 AUC on the later test period, so `tune` decides.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_features: Option<bool>,
    /// Shrinkage of each boosted tree, of the GBDT model, the GBDT baseline and HUIHEN's
    /// teacher [default: 0.1].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shrinkage: Option<f64>,
    /// Deepest boosted tree, of the GBDT model, the GBDT baseline and HUIHEN's teacher
    /// [default: 6].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<usize>,
}

impl Settings {
    /// Read a settings file (TOML, as `seqrisk tune` writes it).
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let settings: Settings =
            toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
        settings
            .validate()
            .with_context(|| format!("{}", path.display()))?;
        Ok(settings)
    }

    /// The TOML text of these settings.
    pub fn to_toml(&self) -> Result<String> {
        Ok(toml::to_string(self)?)
    }

    /// Each value set here, or else `fallback`'s.
    pub fn or(&self, fallback: &Settings) -> Settings {
        Settings {
            preset: self.preset.or(fallback.preset),
            learning_rate: self.learning_rate.or(fallback.learning_rate),
            batch_size: self.batch_size.or(fallback.batch_size),
            weight_decay: self.weight_decay.or(fallback.weight_decay),
            value_dropout: self.value_dropout.or(fallback.value_dropout),
            ema_decay: self.ema_decay.or(fallback.ema_decay),
            embedding_dim: self.embedding_dim.or(fallback.embedding_dim),
            dropout: self.dropout.or(fallback.dropout),
            aggregates: self.aggregates.or(fallback.aggregates),
            numeric_encoding: self.numeric_encoding.or(fallback.numeric_encoding),
            bins: self.bins.or(fallback.bins),
            binning: self.binning.or(fallback.binning),
            min_count: self.min_count.or(fallback.min_count),
            time_features: self.time_features.or(fallback.time_features),
            shrinkage: self.shrinkage.or(fallback.shrinkage),
            max_depth: self.max_depth.or(fallback.max_depth),
        }
    }

    /// Check every value set is in range, naming the setting as the file and this struct
    /// spell it (the CLI names the flag: [`crate::flags`]).
    pub fn validate(&self) -> seqrisk_core::Result<()> {
        let bad = |name, expected: &str, got: &dyn std::fmt::Display| {
            Err(InvalidParam::new(name, expected, got).into())
        };
        if let Some(v) = self.learning_rate.filter(|v| !(v.is_finite() && *v > 0.0)) {
            return bad("learning_rate", "a positive number", &v);
        }
        if self.batch_size == Some(0) {
            return bad("batch_size", "at least 1", &0);
        }
        if let Some(v) = self.weight_decay.filter(|v| !(v.is_finite() && *v >= 0.0)) {
            return bad("weight_decay", "a finite number at least 0", &v);
        }
        if let Some(v) = self.value_dropout.filter(|p| !(0.0..1.0).contains(p)) {
            return bad("value_dropout", "at least 0 and below 1", &v);
        }
        if let Some(v) = self.ema_decay.filter(|b| !(0.0..1.0).contains(b)) {
            return bad("ema_decay", "at least 0 and below 1", &v);
        }
        ModelOverrides {
            embedding_dim: self.embedding_dim,
            dropout: self.dropout,
            aggregates: self.aggregates,
        }
        .validate()?;
        if let Some(v) = self.bins.filter(|b| !(2..=MAX_BINS).contains(b)) {
            return bad("bins", &format!("between 2 and {MAX_BINS}"), &v);
        }
        if self.min_count == Some(0) {
            return bad("min_count", "at least 1", &0);
        }
        if let Some(v) = self.shrinkage.filter(|v| !(*v > 0.0 && *v <= 1.0)) {
            return bad("shrinkage", "above 0 and at most 1", &v);
        }
        if let Some(v) = self.max_depth.filter(|d| !(1..=MAX_TREE_DEPTH).contains(d)) {
            return bad("max_depth", &format!("between 1 and {MAX_TREE_DEPTH}"), &v);
        }
        Ok(())
    }

    /// The settings a run of `model` uses: each value set here, else the preset's default for
    /// `model` ([`ModelSpec::defaults`]). The preset's numeric encoding, bins and binning
    /// apply only where `schema` sets none of them, its `min_count` only where `schema` sets
    /// none: a schema that states them is the user's choice.
    pub fn resolve(&self, model: ModelSpec, schema: &Schema) -> Settings {
        let d = model.defaults(self.preset.unwrap_or_default());
        let encoding_free =
            schema.numeric_encoding.is_none() && schema.bins.is_none() && schema.binning.is_none();
        self.or(&Settings {
            preset: Some(self.preset.unwrap_or_default()),
            learning_rate: Some(d.learning_rate),
            batch_size: Some(d.batch_size),
            weight_decay: Some(d.weight_decay),
            value_dropout: Some(d.value_dropout),
            // the weights as trained unless set: no preset averages them
            ema_decay: None,
            embedding_dim: d.overrides.embedding_dim,
            dropout: d.overrides.dropout,
            aggregates: d.overrides.aggregates,
            numeric_encoding: d.numeric_encoding.filter(|_| encoding_free),
            bins: d.bins.filter(|_| encoding_free),
            binning: d.binning.filter(|_| encoding_free),
            min_count: d.min_count.filter(|_| schema.min_count.is_none()),
            // the schema's choice unless set: no preset turns them off
            time_features: None,
            // the boosting's defaults live with its options (`TrainOptions::gbdt`)
            shrinkage: None,
            max_depth: None,
        })
    }

    /// Put these settings into `opts` and `schema` (what is unset stays as it is).
    pub fn apply(&self, opts: &mut TrainOptions, schema: &mut Schema) -> Result<()> {
        self.validate()?;
        if let Some(v) = self.learning_rate {
            opts.learning_rate = Some(v);
        }
        if let Some(v) = self.batch_size {
            opts.batch_size = v;
        }
        if let Some(v) = self.weight_decay {
            opts.weight_decay = v as f32;
        }
        if let Some(v) = self.value_dropout {
            opts.value_dropout = v;
        }
        if let Some(v) = self.ema_decay {
            opts.ema_decay = v;
        }
        opts.overrides = ModelOverrides {
            embedding_dim: self.embedding_dim.or(opts.overrides.embedding_dim),
            dropout: self.dropout.or(opts.overrides.dropout),
            aggregates: self.aggregates.or(opts.overrides.aggregates),
        };
        if let Some(v) = self.numeric_encoding {
            schema.numeric_encoding = Some(v);
        }
        if let Some(v) = self.bins {
            schema.bins = Some(v);
        }
        if let Some(v) = self.binning {
            schema.binning = Some(v);
        }
        if let Some(v) = self.min_count {
            schema.min_count = Some(v);
        }
        if let Some(v) = self.time_features {
            schema.time_features = v;
            // turned on, the derived fields may clash with the schema's own
            schema.validate()?;
        }
        if let Some(v) = self.shrinkage {
            opts.gbdt.learning_rate = v as f32;
        }
        if let Some(v) = self.max_depth {
            opts.gbdt.max_depth = v;
        }
        Ok(())
    }

    /// One line of what is set, `name=value` in the file's order.
    pub fn summary(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or_default();
        let Some(map) = value.as_object() else {
            return String::new();
        };
        map.iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                v => format!("{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A model's name read as clap's `value_parser` wants it: the model, or the error's text.
pub fn parse_model(s: &str) -> std::result::Result<ModelSpec, String> {
    s.parse().map_err(|e: seqrisk_core::Error| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_toml_and_explicit_values_win() {
        let tuned = Settings {
            preset: None,
            learning_rate: Some(1.5e-3),
            batch_size: Some(128),
            weight_decay: Some(1e-5),
            value_dropout: Some(0.3),
            ema_decay: Some(0.99),
            embedding_dim: Some(16),
            dropout: Some(0.1),
            aggregates: Some(true),
            numeric_encoding: Some(NumericEncoding::Quantile),
            bins: Some(32),
            binning: Some(Binning::Target),
            min_count: Some(5),
            time_features: Some(false),
            shrinkage: Some(0.05),
            max_depth: Some(4),
        };
        let text = tuned.to_toml().unwrap();
        assert!(text.contains("numeric_encoding = \"quantile\""), "{text}");
        assert!(text.contains("binning = \"target\""), "{text}");
        let back: Settings = toml::from_str(&text).unwrap();
        assert_eq!(back, tuned);
        let flags = Settings {
            batch_size: Some(512),
            ..Settings::default()
        };
        let merged = flags.or(&back);
        assert_eq!(merged.batch_size, Some(512));
        assert_eq!(merged.learning_rate, Some(1.5e-3));

        let mut opts = TrainOptions::default();
        let mut schema = Schema::synthetic_default();
        merged.apply(&mut opts, &mut schema).unwrap();
        assert_eq!(
            (opts.batch_size, opts.learning_rate, opts.value_dropout),
            (512, Some(1.5e-3), 0.3)
        );
        assert_eq!(opts.weight_decay, 1e-5);
        assert_eq!(opts.ema_decay, 0.99);
        assert_eq!(opts.overrides.embedding_dim, Some(16));
        assert_eq!(opts.overrides.aggregates, Some(true));
        assert_eq!(
            (schema.numeric_encoding, schema.bins, schema.min_count),
            (Some(NumericEncoding::Quantile), Some(32), Some(5))
        );
        assert_eq!(schema.binning, Some(Binning::Target));
        assert!(!schema.time_features);
        assert_eq!((opts.gbdt.learning_rate, opts.gbdt.max_depth), (0.05, 4));
    }

    #[test]
    fn time_features_turned_on_must_not_clash_with_the_schemas_fields() {
        let mut schema = Schema::from_toml(
            "time_features = false\n[timestamp]\nfield = \"ts\"\n[[event.categorical]]\nname = \"hour_of_day\"\n",
        )
        .unwrap();
        let on = Settings {
            time_features: Some(true),
            ..Settings::default()
        };
        let e = on
            .apply(&mut TrainOptions::default(), &mut schema)
            .unwrap_err();
        assert!(
            format!("{e:#}").contains("`hour_of_day` clashes with a derived time feature"),
            "{e:#}"
        );
        // unset, the schema's choice stands, under any preset
        let nhfm = ModelSpec::Nhfm(Default::default());
        let resolved = Settings::default().resolve(nhfm, &Schema::synthetic_default());
        assert_eq!(resolved.time_features, None);
    }

    #[test]
    fn resolve_fills_the_presets_defaults_under_explicit_values_and_the_schemas() {
        let nhfm = ModelSpec::Nhfm(Default::default());
        let schema = Schema::synthetic_default();
        assert_eq!(schema.numeric_encoding, None);
        let realistic = Settings::default().resolve(nhfm, &schema);
        assert_eq!(realistic.preset, Some(Preset::Realistic));
        assert_eq!(realistic.numeric_encoding, Some(NumericEncoding::Quantile));
        assert_eq!(
            (realistic.embedding_dim, realistic.batch_size),
            (Some(32), Some(128))
        );
        // a value set explicitly wins over the preset
        let flags = Settings {
            batch_size: Some(64),
            ..Settings::default()
        };
        assert_eq!(flags.resolve(nhfm, &schema).batch_size, Some(64));
        // the paper's form: its learning rate, L2 and the schema's (scaled) numeric encoding
        let paper = Settings {
            preset: Some(Preset::Paper),
            ..Settings::default()
        }
        .resolve(nhfm, &schema);
        assert_eq!(
            (paper.learning_rate, paper.weight_decay, paper.batch_size),
            (Some(5e-4), Some(1e-6), Some(256))
        );
        assert_eq!((paper.numeric_encoding, paper.embedding_dim), (None, None));
        let mut opts = TrainOptions::default();
        let mut applied = schema.clone();
        paper.apply(&mut opts, &mut applied).unwrap();
        assert_eq!(applied.numeric_encoding(), NumericEncoding::Scale);
        // a schema that states its encoding keeps it under the realistic preset
        let mut stated = schema.clone();
        stated.numeric_encoding = Some(NumericEncoding::Ple);
        let kept = Settings::default().resolve(nhfm, &stated);
        assert_eq!((kept.numeric_encoding, kept.bins), (None, None));
        assert_eq!(kept.min_count, Some(2));
    }

    #[test]
    fn bad_settings_name_the_setting() {
        for (text, says) in [
            (
                "learning_rate = -1.0",
                "learning_rate must be a positive number, got -1",
            ),
            ("bins = 1", "bins must be between 2"),
            ("value_dropout = 1.0", "value_dropout must be"),
            (
                "ema_decay = 1.0",
                "ema_decay must be at least 0 and below 1, got 1",
            ),
            ("embedding_dim = 0", "embedding_dim must be"),
            ("min_count = 0", "min_count must be at least 1"),
            ("shrinkage = 0.0", "shrinkage must be above 0"),
            ("max_depth = 40", "max_depth must be between 1 and 16"),
            ("numeric_encoding = \"log\"", "unknown variant `log`"),
            ("epochs = 3", "unknown field `epochs`"),
            ("preset = \"tuned\"", "unknown variant `tuned`"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("s.toml");
            std::fs::write(&p, text).unwrap();
            let e = format!("{:#}", Settings::read(&p).unwrap_err());
            assert!(e.contains("s.toml") && e.contains(says), "{text}: {e}");
        }
    }
}

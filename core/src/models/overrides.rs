//! Size and regularisation set over a paper's defaults: what `seqrisk tune` searches and
//! `seqrisk train --config` applies. The papers' own values stay the defaults; an override is
//! validated (linfa's parameter-guard style) before any model is built from it.

use super::baselines::Aggregates;
use super::{ModelConfig, ModelSpec};
use crate::encode::Encoder;
use crate::error::{Error, InvalidParam, Result};
use serde::{Deserialize, Serialize};

/// Largest embedding dimension an override may set: far above what the papers use (k = 64),
/// low enough that a typo cannot ask for gigabytes of embedding rows.
pub const MAX_EMBEDDING_DIM: usize = 1024;

/// Values that replace a model's defaults; `None` keeps the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelOverrides {
    /// `k`, the dimension of the field embeddings (NHFM, DIFM, HUIHEN and the flat baselines).
    pub embedding_dim: Option<usize>,
    /// Dropout probability of the model's MLP or Transformer layers.
    pub dropout: Option<f64>,
    /// Whether NHFM's and DIFM's wide part also reads the session's aggregates
    /// ([`SessionAggregates`](super::layers::SessionAggregates)).
    pub aggregates: Option<bool>,
}

impl ModelOverrides {
    /// Check each value is in range.
    pub fn validate(&self) -> Result<()> {
        if let Some(k) = self.embedding_dim
            && !(1..=MAX_EMBEDDING_DIM).contains(&k)
        {
            let expected = format!("between 1 and {MAX_EMBEDDING_DIM}");
            return Err(InvalidParam::new("embedding_dim", expected, k).into());
        }
        if let Some(p) = self.dropout
            && !(0.0..1.0).contains(&p)
        {
            return Err(InvalidParam::new("dropout", "at least 0 and below 1", p).into());
        }
        Ok(())
    }

    /// These overrides less what `spec` has no place for ([`ModelSpec::overridable`]), for
    /// settings shared by several models.
    pub fn for_model(self, spec: ModelSpec) -> Self {
        let can = spec.overridable();
        Self {
            embedding_dim: self.embedding_dim.filter(|_| can.embedding_dim),
            dropout: self.dropout.filter(|_| can.dropout),
            aggregates: self.aggregates.filter(|_| can.aggregates),
        }
    }
}

/// Which [`ModelOverrides`] a model has a place for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overridable {
    /// It has field embeddings whose size can be set.
    pub embedding_dim: bool,
    /// It has a dropout probability to set.
    pub dropout: bool,
    /// Its wide part can read the session's aggregates (NHFM, DIFM).
    pub aggregates: bool,
}

impl ModelSpec {
    /// What [`ModelConfig::with_overrides`] can set on this model.
    pub fn overridable(self) -> Overridable {
        let (embedding_dim, dropout) = match self {
            ModelSpec::Nhfm(_)
            | ModelSpec::Difm(_)
            | ModelSpec::Huihen(_)
            | ModelSpec::Lstm4Fd
            | ModelSpec::Dnn
            | ModelSpec::WideDeep
            | ModelSpec::Nfm
            | ModelSpec::DeepFm
            | ModelSpec::XDeepFm => (true, true),
            ModelSpec::Afm => (true, false),
            ModelSpec::Lbsf | ModelSpec::FlatTransformer => (false, true),
            ModelSpec::Lr | ModelSpec::Gbdt | ModelSpec::BehaviorCluster => (false, false),
        };
        Overridable {
            embedding_dim,
            dropout,
            aggregates: matches!(self, ModelSpec::Nhfm(_) | ModelSpec::Difm(_)),
        }
    }
}

impl ModelConfig {
    /// This configuration with `o`'s values in place of its defaults. A value the model has no
    /// place for (an embedding size for LBSF, whose width is `d_model`; anything for the GBDT
    /// and the logistic regression) is an error rather than silently ignored. The aggregates a
    /// wide part reads are `encoder`'s.
    pub fn with_overrides(mut self, o: &ModelOverrides, encoder: &Encoder) -> Result<Self> {
        o.validate()?;
        let spec = self.spec();
        let (k, p): (Option<&mut usize>, Option<&mut f64>) = match &mut self {
            ModelConfig::Nhfm(c) => (Some(&mut c.embedding_dim), Some(&mut c.dropout)),
            ModelConfig::Difm(c) => (Some(&mut c.embedding_dim), Some(&mut c.dropout)),
            ModelConfig::Huihen(c) => (Some(&mut c.embedding_dim), Some(&mut c.dropout)),
            ModelConfig::Lstm4Fd(c) => (Some(&mut c.embedding_dim), Some(&mut c.dropout)),
            ModelConfig::Dnn(c) => (Some(&mut c.embedding_dim), Some(&mut c.dropout)),
            ModelConfig::WideDeep(c) => (Some(&mut c.embedding_dim), Some(&mut c.dropout)),
            ModelConfig::Nfm(c) => (Some(&mut c.embedding_dim), Some(&mut c.dropout)),
            ModelConfig::DeepFm(c) => (Some(&mut c.embedding_dim), Some(&mut c.dropout)),
            ModelConfig::XDeepFm(c) => (Some(&mut c.embedding_dim), Some(&mut c.dropout)),
            ModelConfig::Afm(c) => (Some(&mut c.embedding_dim), None),
            ModelConfig::Lbsf(c) => (None, Some(&mut c.dropout)),
            ModelConfig::FlatTransformer(c) => (None, Some(&mut c.dropout)),
            ModelConfig::Lr(_) | ModelConfig::Gbdt(_) | ModelConfig::BehaviorCluster(_) => {
                (None, None)
            }
        };
        match (o.embedding_dim, k) {
            (Some(v), Some(slot)) => *slot = v,
            (Some(_), None) => {
                return Err(Error::Model(format!(
                    "{spec} has no embedding size to set (embedding_dim)"
                )));
            }
            (None, _) => {}
        }
        match (o.dropout, p) {
            (Some(v), Some(slot)) => *slot = v,
            (Some(_), None) => {
                return Err(Error::Model(format!("{spec} has no dropout to set")));
            }
            (None, _) => {}
        }
        let aggregates = match &mut self {
            ModelConfig::Nhfm(c) => Some(&mut c.aggregates),
            ModelConfig::Difm(c) => Some(&mut c.aggregates),
            _ => None,
        };
        match (o.aggregates, aggregates) {
            (Some(on), Some(slot)) => *slot = on.then(|| Aggregates::of(encoder)),
            (Some(true), None) => {
                return Err(Error::Model(format!(
                    "{spec} has no wide part to read the session's aggregates"
                )));
            }
            _ => {}
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::baselines::{AfmConfig, LrConfig};
    use crate::models::difm::DifmConfig;
    use crate::models::nhfm::NhfmConfig;

    #[test]
    fn overrides_replace_only_what_they_set() {
        let (enc, _) = crate::models::test_sessions::encoder(6);
        let base = ModelConfig::Nhfm(NhfmConfig::new(50));
        let ModelConfig::Nhfm(c) = base
            .clone()
            .with_overrides(
                &ModelOverrides {
                    embedding_dim: Some(16),
                    dropout: None,
                    aggregates: None,
                },
                &enc,
            )
            .unwrap()
        else {
            panic!("the model changed")
        };
        assert_eq!((c.embedding_dim, c.dropout, c.lstm_hidden), (16, 0.2, 64));
        let ModelConfig::Difm(c) = ModelConfig::Difm(DifmConfig::new(50))
            .with_overrides(
                &ModelOverrides {
                    embedding_dim: None,
                    dropout: Some(0.5),
                    aggregates: None,
                },
                &enc,
            )
            .unwrap()
        else {
            panic!("the model changed")
        };
        assert_eq!((c.embedding_dim, c.dropout), (64, 0.5));
        assert_eq!(c.aggregates, None);
        // the aggregates a wide part reads are the encoder's, and `false` takes them away again
        let on = ModelOverrides {
            aggregates: Some(true),
            ..ModelOverrides::default()
        };
        let ModelConfig::Difm(c) = ModelConfig::Difm(DifmConfig::new(50))
            .with_overrides(&on, &enc)
            .unwrap()
        else {
            panic!("the model changed")
        };
        assert_eq!(c.aggregates, Some(Aggregates::of(&enc)));
        let off = ModelOverrides {
            aggregates: Some(false),
            ..ModelOverrides::default()
        };
        let ModelConfig::Difm(c) = ModelConfig::Difm(c).with_overrides(&off, &enc).unwrap() else {
            panic!("the model changed")
        };
        assert_eq!(c.aggregates, None);
    }

    #[test]
    fn out_of_range_or_unplaceable_values_are_refused() {
        let (enc, _) = crate::models::test_sessions::encoder(6);
        let nhfm = ModelConfig::Nhfm(NhfmConfig::new(50));
        for (o, says) in [
            (
                ModelOverrides {
                    embedding_dim: Some(0),
                    dropout: None,
                    aggregates: None,
                },
                "embedding_dim must be between 1",
            ),
            (
                ModelOverrides {
                    embedding_dim: None,
                    dropout: Some(1.0),
                    aggregates: None,
                },
                "dropout must be at least 0 and below 1",
            ),
            (
                ModelOverrides {
                    embedding_dim: None,
                    dropout: Some(f64::NAN),
                    aggregates: None,
                },
                "dropout must be",
            ),
        ] {
            let e = nhfm
                .clone()
                .with_overrides(&o, &enc)
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{e}");
        }
        let e = ModelConfig::Lr(LrConfig::new(5))
            .with_overrides(
                &ModelOverrides {
                    embedding_dim: Some(8),
                    dropout: None,
                    aggregates: None,
                },
                &enc,
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("lr has no embedding size"), "{e}");
        let e = ModelConfig::Afm(AfmConfig::new(5))
            .with_overrides(
                &ModelOverrides {
                    embedding_dim: Some(8),
                    dropout: Some(0.1),
                    aggregates: None,
                },
                &enc,
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("afm has no dropout"), "{e}");
    }

    /// `overridable` says exactly what `with_overrides` accepts, for every model.
    #[test]
    fn overridable_agrees_with_with_overrides() {
        let (enc, _) = crate::models::test_sessions::encoder(6);
        for spec in ModelSpec::ALL {
            let config = ModelConfig::default_for(spec, &enc);
            let can = spec.overridable();
            let k = ModelOverrides {
                embedding_dim: Some(8),
                dropout: None,
                aggregates: None,
            };
            let p = ModelOverrides {
                embedding_dim: None,
                dropout: Some(0.1),
                aggregates: None,
            };
            assert_eq!(
                config.clone().with_overrides(&k, &enc).is_ok(),
                can.embedding_dim,
                "{spec}"
            );
            assert_eq!(
                config.clone().with_overrides(&p, &enc).is_ok(),
                can.dropout,
                "{spec}"
            );
            let a = ModelOverrides {
                aggregates: Some(true),
                ..ModelOverrides::default()
            };
            assert_eq!(
                config.clone().with_overrides(&a, &enc).is_ok(),
                can.aggregates,
                "{spec}"
            );
            // what for_model keeps, the model takes
            let all = ModelOverrides {
                embedding_dim: Some(8),
                dropout: Some(0.1),
                aggregates: Some(true),
            };
            let kept = all.for_model(spec);
            assert_eq!(
                (
                    kept.embedding_dim.is_some(),
                    kept.dropout.is_some(),
                    kept.aggregates.is_some()
                ),
                (can.embedding_dim, can.dropout, can.aggregates)
            );
            assert!(config.with_overrides(&kept, &enc).is_ok(), "{spec}");
        }
    }

    /// A configuration whose wide part reads aggregates of another encoder (a crafted or
    /// mismatched artifact) is refused before a model is built from it.
    #[test]
    fn aggregates_must_be_the_encoders() {
        let (enc, _) = crate::models::test_sessions::encoder(6);
        let on = ModelOverrides {
            aggregates: Some(true),
            ..ModelOverrides::default()
        };
        let config = ModelConfig::Nhfm(NhfmConfig::new(enc.num_features()))
            .with_overrides(&on, &enc)
            .unwrap();
        config.check(&enc).unwrap();
        let ModelConfig::Nhfm(mut c) = config else {
            panic!("the model changed")
        };
        if let Some(a) = c.aggregates.as_mut() {
            a.num_features += 1;
        }
        let e = ModelConfig::Nhfm(c).check(&enc).unwrap_err().to_string();
        assert!(e.contains("the wide part reads the aggregates"), "{e}");
    }

    /// A configuration written before the aggregates term (no `aggregates` key, as in every
    /// artifact of format 9 made before it) still reads, as the papers' wide part.
    #[test]
    fn configurations_without_the_aggregates_key_still_read() {
        for config in [
            ModelConfig::Nhfm(NhfmConfig::new(50)),
            ModelConfig::Difm(DifmConfig::new(50)),
        ] {
            let mut json = serde_json::to_value(&config).unwrap();
            let inner = json
                .as_object_mut()
                .and_then(|o| o.values_mut().next())
                .and_then(|v| v.as_object_mut())
                .unwrap();
            assert!(inner.remove("aggregates").is_some(), "{inner:?}");
            let back: ModelConfig = serde_json::from_value(json).unwrap();
            assert_eq!(
                serde_json::to_string(&back).unwrap(),
                serde_json::to_string(&config).unwrap()
            );
        }
    }
}

//! The model registry: the one place the trainer, the artifact, the CLI and the wasm scorer
//! dispatch on. A new model adds a module, a [`ModelSpec`] variant, a [`ModelConfig`] variant
//! and a [`Model`] variant here, and nothing elsewhere.

pub mod baselines;
pub mod behavior_cluster;
mod defaults;
pub mod difm;
pub mod huihen;
pub mod layers;
pub mod lbsf;
pub mod nhfm;
mod overrides;
#[cfg(test)]
mod test_sessions;

use crate::encode::{Batch, Encoder, PaymentView};
use crate::error::{Error, Result};
use baselines::{
    Afm, AfmConfig, Aggregates, DeepFm, DeepFmConfig, Dnn, DnnConfig, FlatTransformer,
    FlatTransformerConfig, Gbdt, GbdtConfig, Lr, LrConfig, Lstm4Fd, Lstm4FdConfig, Nfm, NfmConfig,
    WideDeep, WideDeepConfig, XDeepFm, XDeepFmConfig,
};
use behavior_cluster::{
    BehaviorCluster, BehaviorClusterConfig, Fingerprints, Handcrafted, SequenceEmbeddingConfig,
};
use burn::prelude::*;
pub use defaults::{Preset, TrainingDefaults};
use difm::{Difm, DifmConfig, DifmVariant};
use huihen::{Huihen, HuihenConfig, HuihenVariant};
use layers::Wide;
use lbsf::{Lbsf, LbsfConfig};
use nhfm::{Nhfm, NhfmConfig, NhfmVariant};
pub use overrides::{MAX_EMBEDDING_DIM, ModelOverrides, Overridable};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A model seqrisk can train and score, with its variant where the paper has ablations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelSpec {
    /// NHFM or one of its ablations.
    Nhfm(NhfmVariant),
    /// DIFM or one of its ablations.
    Difm(DifmVariant),
    /// HUIHEN or one of its ablations.
    Huihen(HuihenVariant),
    /// LBSF.
    Lbsf,
    /// Baseline: logistic regression.
    Lr,
    /// Baseline: MLP over concatenated embeddings.
    Dnn,
    /// Baseline: Wide & Deep.
    WideDeep,
    /// Baseline: Neural Factorization Machines.
    Nfm,
    /// Baseline: DeepFM.
    DeepFm,
    /// Baseline: Attentional Factorization Machines.
    Afm,
    /// Baseline: xDeepFM.
    XDeepFm,
    /// Baseline: an LSTM over the events (LSTM4FD).
    Lstm4Fd,
    /// Baseline: gradient-boosted trees on aggregated session features.
    Gbdt,
    /// Baseline: a Transformer over the most recent payments, unfolded (LBSF's).
    FlatTransformer,
    /// FinDeepBehaviorCluster's risky-cluster fingerprints (trained by `seqrisk cluster`).
    BehaviorCluster,
}

impl ModelSpec {
    /// Every model and variant, in display order.
    pub const ALL: [ModelSpec; 24] = [
        ModelSpec::Nhfm(NhfmVariant::Full),
        ModelSpec::Nhfm(NhfmVariant::Alpha),
        ModelSpec::Nhfm(NhfmVariant::Beta),
        ModelSpec::Difm(DifmVariant::Full),
        ModelSpec::Difm(DifmVariant::Alpha),
        ModelSpec::Difm(DifmVariant::Beta),
        ModelSpec::Difm(DifmVariant::Same),
        ModelSpec::Huihen(HuihenVariant::Full),
        ModelSpec::Huihen(HuihenVariant::NoPretrain),
        ModelSpec::Huihen(HuihenVariant::NoTimeGate),
        ModelSpec::Huihen(HuihenVariant::Gru),
        ModelSpec::Huihen(HuihenVariant::SharedFieldAware),
        ModelSpec::Lbsf,
        ModelSpec::Lr,
        ModelSpec::Dnn,
        ModelSpec::WideDeep,
        ModelSpec::Nfm,
        ModelSpec::DeepFm,
        ModelSpec::Afm,
        ModelSpec::XDeepFm,
        ModelSpec::Lstm4Fd,
        ModelSpec::Gbdt,
        ModelSpec::FlatTransformer,
        ModelSpec::BehaviorCluster,
    ];

    /// Lower-case name used on the command line, in file names and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ModelSpec::Nhfm(NhfmVariant::Full) => "nhfm",
            ModelSpec::Nhfm(NhfmVariant::Alpha) => "nhfm-alpha",
            ModelSpec::Nhfm(NhfmVariant::Beta) => "nhfm-beta",
            ModelSpec::Difm(DifmVariant::Full) => "difm",
            ModelSpec::Difm(DifmVariant::Alpha) => "difm-alpha",
            ModelSpec::Difm(DifmVariant::Beta) => "difm-beta",
            ModelSpec::Difm(DifmVariant::Same) => "difm-same",
            ModelSpec::Huihen(HuihenVariant::Full) => "huihen",
            ModelSpec::Huihen(HuihenVariant::NoPretrain) => "huihen-no-pretrain",
            ModelSpec::Huihen(HuihenVariant::NoTimeGate) => "huihen-no-time-gate",
            ModelSpec::Huihen(HuihenVariant::Gru) => "huihen-gru",
            ModelSpec::Huihen(HuihenVariant::SharedFieldAware) => "huihen-shared-fan",
            ModelSpec::Lbsf => "lbsf",
            ModelSpec::Lr => "lr",
            ModelSpec::Dnn => "dnn",
            ModelSpec::WideDeep => "wide-deep",
            ModelSpec::Nfm => "nfm",
            ModelSpec::DeepFm => "deepfm",
            ModelSpec::Afm => "afm",
            ModelSpec::XDeepFm => "xdeepfm",
            ModelSpec::Lstm4Fd => "lstm4fd",
            ModelSpec::Gbdt => "gbdt",
            ModelSpec::FlatTransformer => "flat-transformer",
            ModelSpec::BehaviorCluster => "behavior-cluster",
        }
    }

    /// The paper's learning rate: 1e-3 for HUIHEN (§5.2), 2e-4 for LBSF (§V-C), 5e-4 for NHFM,
    /// DIFM and the baselines trained alongside them (DIFM §4.3).
    pub fn learning_rate(self) -> f64 {
        match self {
            ModelSpec::Huihen(_) => 1e-3,
            ModelSpec::Lbsf | ModelSpec::FlatTransformer => 2e-4,
            _ => 5e-4,
        }
    }

    /// Whether the paper trains with AdamW (decoupled weight decay, LBSF §V-C, and its flat
    /// Transformer baseline alike) rather than Adam with L2.
    pub fn decoupled_weight_decay(self) -> bool {
        matches!(self, ModelSpec::Lbsf | ModelSpec::FlatTransformer)
    }

    /// Whether `seqrisk train` trains it from labels (every model but the clustering, which
    /// `seqrisk cluster` builds without them).
    pub fn supervised(self) -> bool {
        self != ModelSpec::BehaviorCluster
    }

    /// Whether the model reads the encoder's session view (HUIHEN).
    pub fn needs_session_view(self) -> bool {
        matches!(self, ModelSpec::Huihen(_))
    }

    /// The payments view the model reads: folded by merchant (LBSF) or flat (its flat
    /// Transformer baseline).
    pub fn payment_view(self) -> Option<PaymentView> {
        match self {
            ModelSpec::Lbsf => Some(PaymentView::Folded),
            ModelSpec::FlatTransformer => Some(PaymentView::Flat),
            _ => None,
        }
    }
}

impl Default for ModelSpec {
    /// NHFM, the default job's model.
    fn default() -> Self {
        ModelSpec::Nhfm(NhfmVariant::Full)
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.name()).collect();
                Error::Model(format!("unknown model `{s}`; known: {}", names.join(", ")))
            })
    }
}

/// A model's configuration, tagged with its model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ModelConfig {
    /// NHFM.
    Nhfm(NhfmConfig),
    /// DIFM.
    Difm(DifmConfig),
    /// HUIHEN.
    Huihen(HuihenConfig),
    /// LBSF.
    Lbsf(LbsfConfig),
    /// Logistic regression.
    Lr(LrConfig),
    /// DNN.
    Dnn(DnnConfig),
    /// Wide & Deep.
    WideDeep(WideDeepConfig),
    /// NFM.
    Nfm(NfmConfig),
    /// DeepFM.
    DeepFm(DeepFmConfig),
    /// AFM.
    Afm(AfmConfig),
    /// xDeepFM.
    XDeepFm(XDeepFmConfig),
    /// LSTM4FD.
    Lstm4Fd(Lstm4FdConfig),
    /// GBDT.
    Gbdt(GbdtConfig),
    /// Flat Transformer.
    FlatTransformer(FlatTransformerConfig),
    /// FinDeepBehaviorCluster.
    BehaviorCluster(BehaviorClusterConfig),
}

impl ModelConfig {
    /// The paper defaults of `spec`, sized for `encoder`'s inputs (for the GBDT: no trees yet).
    pub fn default_for(spec: ModelSpec, encoder: &Encoder) -> Self {
        let n = encoder.num_features();
        let slots = encoder.flat_slots();
        match spec {
            ModelSpec::Nhfm(v) => ModelConfig::Nhfm(NhfmConfig::new(n).with_variant(v)),
            ModelSpec::Difm(v) => ModelConfig::Difm(DifmConfig::new(n).with_variant(v)),
            ModelSpec::Huihen(v) => {
                ModelConfig::Huihen(HuihenConfig::for_encoder(encoder).with_variant(v))
            }
            ModelSpec::Lbsf => ModelConfig::Lbsf(LbsfConfig::for_encoder(encoder)),
            ModelSpec::Lr => ModelConfig::Lr(LrConfig::new(n)),
            ModelSpec::Dnn => ModelConfig::Dnn(DnnConfig::new(n, slots)),
            ModelSpec::WideDeep => ModelConfig::WideDeep(WideDeepConfig::new(n, slots)),
            ModelSpec::Nfm => ModelConfig::Nfm(NfmConfig::new(n)),
            ModelSpec::DeepFm => ModelConfig::DeepFm(DeepFmConfig::new(n, slots)),
            ModelSpec::Afm => ModelConfig::Afm(AfmConfig::new(n)),
            ModelSpec::XDeepFm => ModelConfig::XDeepFm(XDeepFmConfig::new(n, slots)),
            ModelSpec::Lstm4Fd => {
                ModelConfig::Lstm4Fd(Lstm4FdConfig::new(n, encoder.event_fields()))
            }
            ModelSpec::Gbdt => ModelConfig::Gbdt(GbdtConfig::new(Aggregates::of(encoder))),
            ModelSpec::FlatTransformer => {
                ModelConfig::FlatTransformer(FlatTransformerConfig::for_encoder(encoder))
            }
            ModelSpec::BehaviorCluster => {
                // no risky clusters: every session scores the background density (0)
                let network = SequenceEmbeddingConfig::for_encoder_defaults(encoder);
                let handcrafted = Handcrafted::for_encoder(encoder);
                let d = network.bottleneck + handcrafted.len();
                ModelConfig::BehaviorCluster(BehaviorClusterConfig::new(network).with_fingerprints(
                    Fingerprints {
                        handcrafted,
                        center: vec![0.0; d],
                        scale: vec![1.0; d],
                        ..Fingerprints::default()
                    },
                ))
            }
        }
    }

    /// The model and variant.
    pub fn spec(&self) -> ModelSpec {
        match self {
            ModelConfig::Nhfm(c) => ModelSpec::Nhfm(c.variant),
            ModelConfig::Difm(c) => ModelSpec::Difm(c.variant),
            ModelConfig::Huihen(c) => ModelSpec::Huihen(c.variant),
            ModelConfig::Lbsf(_) => ModelSpec::Lbsf,
            ModelConfig::Lr(_) => ModelSpec::Lr,
            ModelConfig::Dnn(_) => ModelSpec::Dnn,
            ModelConfig::WideDeep(_) => ModelSpec::WideDeep,
            ModelConfig::Nfm(_) => ModelSpec::Nfm,
            ModelConfig::DeepFm(_) => ModelSpec::DeepFm,
            ModelConfig::Afm(_) => ModelSpec::Afm,
            ModelConfig::XDeepFm(_) => ModelSpec::XDeepFm,
            ModelConfig::Lstm4Fd(_) => ModelSpec::Lstm4Fd,
            ModelConfig::Gbdt(_) => ModelSpec::Gbdt,
            ModelConfig::FlatTransformer(_) => ModelSpec::FlatTransformer,
            ModelConfig::BehaviorCluster(_) => ModelSpec::BehaviorCluster,
        }
    }

    /// Check the configuration fits the encoder (dictionary size, feature slots), its dropout is
    /// a probability and, for the GBDT, that its trees are well formed: what a crafted artifact
    /// could set that would otherwise stop the model being built.
    pub fn check(&self, encoder: &Encoder) -> Result<()> {
        // the session aggregates a part of the model reads must be the encoder's
        let aggregates = match self {
            ModelConfig::Gbdt(c) => Some(("the GBDT", &c.aggregates)),
            ModelConfig::Nhfm(c) => c.aggregates.as_ref().map(|a| ("the wide part", a)),
            ModelConfig::Difm(c) => c.aggregates.as_ref().map(|a| ("the wide part", a)),
            _ => None,
        };
        if let Some((reader, a)) = aggregates
            && *a != Aggregates::of(encoder)
        {
            return Err(Error::Model(format!(
                "{reader} reads the aggregates {a:?} but the encoder gives {:?}",
                Aggregates::of(encoder)
            )));
        }
        if let ModelConfig::Gbdt(c) = self {
            c.ensemble.check(c.aggregates.len())?;
        }
        if let ModelConfig::Lstm4Fd(c) = self
            && c.event_fields != encoder.event_fields()
        {
            return Err(Error::Model(format!(
                "model expects {} fields per event but the encoder gives {}",
                c.event_fields,
                encoder.event_fields()
            )));
        }
        if let ModelConfig::Huihen(c) = self {
            let expected = HuihenConfig::for_encoder(encoder);
            if !encoder.session_view
                || (c.event_fields, &c.item_slots, &c.scale_slots)
                    != (
                        expected.event_fields,
                        &expected.item_slots,
                        &expected.scale_slots,
                    )
            {
                return Err(Error::Model(format!(
                    "HUIHEN expects the session view with {} fields per behavior (amount slots {:?}) and profile item slots {:?}, but the encoder gives {}session view, {} fields ({:?}) and {:?}",
                    c.event_fields,
                    c.scale_slots,
                    c.item_slots,
                    if encoder.session_view { "a " } else { "no " },
                    expected.event_fields,
                    expected.scale_slots,
                    expected.item_slots
                )));
            }
        }
        let payments = match self {
            ModelConfig::Lbsf(c) => Some((
                PaymentView::Folded,
                c.max_payments,
                c.text_buckets,
                encoder.schema.merchants.payments(),
            )),
            ModelConfig::FlatTransformer(c) => Some((
                PaymentView::Flat,
                c.max_payments,
                c.text_buckets,
                encoder.schema.max_events,
            )),
            _ => None,
        };
        if let ModelConfig::Lbsf(c) = self {
            let rows = c.merchant_vectors.map_or(0, |[rows, _]| rows);
            let keys = encoder.merchant_vector_keys.len();
            if rows != if keys == 0 { 0 } else { keys + 1 } {
                return Err(Error::Model(format!(
                    "LBSF has {rows} merchant vector rows but the encoder knows {keys} merchants with vectors"
                )));
            }
        }
        if let Some((view, max_payments, buckets, encoder_payments)) = payments {
            let fold = &encoder.schema.merchants;
            if encoder.payment_view != Some(view)
                || fold.merchant.is_none()
                || (max_payments, buckets) != (encoder_payments, fold.text_buckets)
            {
                return Err(Error::Model(format!(
                    "{} expects the {view:?} payments view by a merchant field with {max_payments} payments per sequence and {buckets} text buckets, but the encoder gives {:?}, merchant field {:?}, {encoder_payments} payments and {} buckets (set [merchants] merchant = \"<field>\" in the schema)",
                    self.spec(),
                    encoder.payment_view,
                    fold.merchant,
                    fold.text_buckets
                )));
            }
        }
        if let Some(p) = self.dropout().filter(|p| !(0.0..1.0).contains(p)) {
            return Err(Error::Model(format!(
                "{}'s dropout probability {p} is outside [0, 1)",
                self.spec()
            )));
        }
        let (n, slots) = match self {
            ModelConfig::Nhfm(c) => (c.num_features, None),
            ModelConfig::Difm(c) => (c.num_features, None),
            ModelConfig::Huihen(c) => (c.num_features, None),
            // read the payments view only, checked above
            ModelConfig::Lbsf(_) | ModelConfig::FlatTransformer(_) => return Ok(()),
            ModelConfig::BehaviorCluster(c) => return c.check(encoder),
            ModelConfig::Lr(c) => (c.num_features, None),
            ModelConfig::Dnn(c) => (c.num_features, Some(c.num_slots)),
            ModelConfig::WideDeep(c) => (c.num_features, Some(c.num_slots)),
            ModelConfig::Nfm(c) => (c.num_features, None),
            ModelConfig::DeepFm(c) => (c.num_features, Some(c.num_slots)),
            ModelConfig::Afm(c) => (c.num_features, None),
            ModelConfig::XDeepFm(c) => (c.num_features, Some(c.num_slots)),
            ModelConfig::Lstm4Fd(c) => (c.num_features, None),
            ModelConfig::Gbdt(c) => (c.aggregates.num_features, None),
        };
        if n != encoder.num_features() {
            return Err(Error::Model(format!(
                "model expects {n} features but the encoder has {}",
                encoder.num_features()
            )));
        }
        if let Some(slots) = slots.filter(|&s| s != encoder.flat_slots()) {
            return Err(Error::Model(format!(
                "model expects {slots} feature slots per session but the encoder gives {}",
                encoder.flat_slots()
            )));
        }
        Ok(())
    }

    /// The dropout probability, for the models that have one.
    fn dropout(&self) -> Option<f64> {
        match self {
            ModelConfig::Nhfm(c) => Some(c.dropout),
            ModelConfig::Difm(c) => Some(c.dropout),
            ModelConfig::Huihen(c) => Some(c.dropout),
            ModelConfig::Lbsf(c) => Some(c.dropout),
            ModelConfig::Dnn(c) => Some(c.dropout),
            ModelConfig::WideDeep(c) => Some(c.dropout),
            ModelConfig::Nfm(c) => Some(c.dropout),
            ModelConfig::DeepFm(c) => Some(c.dropout),
            ModelConfig::XDeepFm(c) => Some(c.dropout),
            ModelConfig::Lstm4Fd(c) => Some(c.dropout),
            ModelConfig::FlatTransformer(c) => Some(c.dropout),
            ModelConfig::Lr(_)
            | ModelConfig::Afm(_)
            | ModelConfig::Gbdt(_)
            | ModelConfig::BehaviorCluster(_) => None,
        }
    }

    /// Build a freshly initialised model.
    pub fn init(&self, device: &Device) -> Model {
        match self {
            ModelConfig::Nhfm(c) => Model::Nhfm(c.init(device)),
            ModelConfig::Difm(c) => Model::Difm(c.init(device)),
            ModelConfig::Huihen(c) => Model::Huihen(c.init(device)),
            ModelConfig::Lbsf(c) => Model::Lbsf(c.init(device)),
            ModelConfig::Lr(c) => Model::Lr(c.init(device)),
            ModelConfig::Dnn(c) => Model::Dnn(c.init(device)),
            ModelConfig::WideDeep(c) => Model::WideDeep(c.init(device)),
            ModelConfig::Nfm(c) => Model::Nfm(c.init(device)),
            ModelConfig::DeepFm(c) => Model::DeepFm(c.init(device)),
            ModelConfig::Afm(c) => Model::Afm(c.init(device)),
            ModelConfig::XDeepFm(c) => Model::XDeepFm(c.init(device)),
            ModelConfig::Lstm4Fd(c) => Model::Lstm4Fd(c.init(device)),
            ModelConfig::Gbdt(c) => Model::Gbdt(c.init()),
            ModelConfig::FlatTransformer(c) => Model::FlatTransformer(c.init(device)),
            ModelConfig::BehaviorCluster(c) => Model::BehaviorCluster(c.init(device)),
        }
    }
}

/// A model of any kind.
// one value per scorer or training run, so the variants' sizes do not matter, and Burn's
// `Module` derive has no `Box` to even them out with
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Model {
    /// NHFM.
    Nhfm(Nhfm),
    /// DIFM.
    Difm(Difm),
    /// HUIHEN.
    Huihen(Huihen),
    /// LBSF.
    Lbsf(Lbsf),
    /// Logistic regression.
    Lr(Lr),
    /// DNN.
    Dnn(Dnn),
    /// Wide & Deep.
    WideDeep(WideDeep),
    /// NFM.
    Nfm(Nfm),
    /// DeepFM.
    DeepFm(DeepFm),
    /// AFM.
    Afm(Afm),
    /// xDeepFM.
    XDeepFm(XDeepFm),
    /// LSTM4FD.
    Lstm4Fd(Lstm4Fd),
    /// GBDT.
    Gbdt(Gbdt),
    /// Flat Transformer.
    FlatTransformer(FlatTransformer),
    /// FinDeepBehaviorCluster.
    BehaviorCluster(BehaviorCluster),
}

impl Model {
    /// For LBSF configured with merchant vectors, `self` with `vectors` in its table; other
    /// models are returned unchanged.
    pub fn with_merchant_vectors(self, vectors: &crate::encode::MerchantVectors) -> Model {
        match self {
            Model::Lbsf(m) => {
                let device = m.cls.val().device();
                let rows = vectors.names().len() + 1;
                let table = Tensor::from_data(
                    TensorData::new(vectors.table(), [rows, vectors.dim()]),
                    &device,
                );
                Model::Lbsf(m.with_merchant_vectors(table))
            }
            other => other,
        }
    }

    /// For HUIHEN, `self` (freshly initialised) with the UPI layer of `pretrained` (see
    /// [`Huihen::with_pretrained_upi`]); other models are returned unchanged.
    pub fn with_pretrained_upi(self, pretrained: Model) -> Model {
        match (self, pretrained) {
            (Model::Huihen(fresh), Model::Huihen(pre)) => {
                Model::Huihen(fresh.with_pretrained_upi(pre))
            }
            (other, _) => other,
        }
    }
}

/// Named explanation weights: per history event (`[B, T−1]` over the slots `0..T−1`, 0 on
/// padding), per event field (`[B, F]` over the encoder's event field slots), per behavior
/// session (`[B, S]` over the session view's slots), per merchant (`[B, M]` over the fold
/// view's merchant slots) or per folded payment (`[B, M·P]`).
#[derive(Debug, Clone)]
pub struct NamedWeights {
    /// Name from the paper (`alpha`, `beta`, `field_importance`, …).
    pub name: &'static str,
    /// `[B, T−1]`, `[B, F]` or `[B, S]`.
    pub weights: Tensor<2>,
}

fn named(items: impl IntoIterator<Item = (&'static str, Option<Tensor<2>>)>) -> Vec<NamedWeights> {
    items
        .into_iter()
        .filter_map(|(name, w)| w.map(|weights| NamedWeights { name, weights }))
        .collect()
}

/// The model-independent view of a forward pass.
#[derive(Debug, Clone)]
pub struct ModelOutput {
    /// `[B]` logits; scores are their sigmoid.
    pub logits: Tensor<1>,
    /// Named per-event weights, `[B, T−1]` each.
    pub event_weights: Vec<NamedWeights>,
    /// Named per-field weights, `[B, F]` each.
    pub field_weights: Vec<NamedWeights>,
    /// Named per-session weights, `[B, S]` each.
    pub session_weights: Vec<NamedWeights>,
    /// Named per-merchant weights, `[B, M]` each.
    pub merchant_weights: Vec<NamedWeights>,
    /// Named per-payment weights of the fold view, `[B, M·P]` each.
    pub payment_weights: Vec<NamedWeights>,
    /// The cluster model's `cluster_reach` (`[B, C]`: where the session stands to each risky
    /// cluster, `ρ`) and `cluster_map` (`[B, 2]`: its point on the clustering's 2-D map).
    pub cluster_weights: Vec<NamedWeights>,
}

impl ModelOutput {
    /// The output of a model without explanation weights (the baselines).
    fn logits_only(logits: Tensor<1>) -> Self {
        Self {
            logits,
            event_weights: vec![],
            field_weights: vec![],
            session_weights: vec![],
            merchant_weights: vec![],
            payment_weights: vec![],
            cluster_weights: vec![],
        }
    }
}

impl Model {
    /// The wide part `f(x)` of NHFM (Eq. 5) and DIFM (Eq. 12), whose weights their Table 3
    /// reads as high- and low-risk features ([`Wide::extremes`]).
    pub fn wide(&self) -> Option<&Wide> {
        match self {
            Model::Nhfm(m) => Some(&m.wide),
            Model::Difm(m) => Some(&m.wide),
            _ => None,
        }
    }

    /// The cluster model's fingerprints.
    pub fn fingerprints(&self) -> Option<&Fingerprints> {
        match self {
            Model::BehaviorCluster(m) => Some(&m.fingerprints),
            _ => None,
        }
    }

    /// Forward pass of whichever model this is.
    pub fn forward(&self, batch: &Batch) -> ModelOutput {
        match self {
            Model::Nhfm(m) => {
                let out = m.forward(batch);
                ModelOutput {
                    logits: out.logits,
                    event_weights: named([("alpha", out.alpha), ("beta", out.beta)]),
                    field_weights: vec![],
                    session_weights: vec![],
                    merchant_weights: vec![],
                    payment_weights: vec![],
                    cluster_weights: vec![],
                }
            }
            Model::Difm(m) => {
                let out = m.forward(batch);
                ModelOutput {
                    logits: out.logits,
                    event_weights: named([("event_importance", out.event_importance)]),
                    field_weights: named([("field_importance", out.field_importance)]),
                    session_weights: vec![],
                    merchant_weights: vec![],
                    payment_weights: vec![],
                    cluster_weights: vec![],
                }
            }
            Model::Huihen(m) => {
                let out = m.forward(batch);
                ModelOutput {
                    logits: out.logits,
                    event_weights: vec![],
                    field_weights: vec![],
                    session_weights: named([
                        ("intention", out.session_intention),
                        ("time_gate", out.session_time_gate),
                        ("update_gate", out.session_update_gate),
                    ]),
                    merchant_weights: vec![],
                    payment_weights: vec![],
                    cluster_weights: vec![],
                }
            }
            Model::Lbsf(m) => {
                let out = m.forward(batch);
                ModelOutput {
                    merchant_weights: named([("cls_attention", Some(out.merchant_attention))]),
                    payment_weights: named([("payment_attention", Some(out.payment_attention))]),
                    ..ModelOutput::logits_only(out.logits)
                }
            }
            Model::Lr(m) => ModelOutput::logits_only(m.forward(batch)),
            Model::Dnn(m) => ModelOutput::logits_only(m.forward(batch)),
            Model::WideDeep(m) => ModelOutput::logits_only(m.forward(batch)),
            Model::Nfm(m) => ModelOutput::logits_only(m.forward(batch)),
            Model::DeepFm(m) => ModelOutput::logits_only(m.forward(batch)),
            Model::Afm(m) => ModelOutput::logits_only(m.forward(batch)),
            Model::XDeepFm(m) => ModelOutput::logits_only(m.forward(batch)),
            Model::Lstm4Fd(m) => ModelOutput::logits_only(m.forward(batch)),
            Model::Gbdt(m) => ModelOutput::logits_only(m.forward(batch)),
            Model::FlatTransformer(m) => ModelOutput::logits_only(m.forward(batch)),
            Model::BehaviorCluster(m) => {
                let out = m.forward(batch);
                ModelOutput {
                    event_weights: named([("time_attention", Some(out.time_attention))]),
                    cluster_weights: named([
                        ("cluster_reach", out.cluster_reach),
                        ("cluster_map", out.cluster_map),
                    ]),
                    ..ModelOutput::logits_only(out.logits)
                }
            }
        }
    }
}

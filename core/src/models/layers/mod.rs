//! Building blocks shared by the models: the feature embedding with its Hadamard-product FM (fused on the CPU),
//! the importance-aware attention, the padding-aware LSTMs, the MLP head, the hashed-token text encoder, the Transformer encoder layer, the wide part and the session aggregates input. Each paper's module
//! documents which of its equations a block implements.

pub mod field_embedding;
pub mod flex_values;
pub mod fm_kernel;
pub mod importance;
pub mod lstm_kernel;
pub mod masked_lstm;
pub mod mlp;
pub mod payment_sequence;
pub mod session_aggregates;
pub mod text_encoder;
pub mod transformer;
pub mod wide;

pub use field_embedding::{
    FieldEmbedding, FieldEmbeddingConfig, FieldPools, bi_interaction, hadamard_fm,
};
pub use importance::{ImportanceAware, ImportanceAwareConfig, ImportanceOutput};
pub use masked_lstm::{MaskedBiLstm, MaskedBiLstmConfig, MaskedLstm, MaskedLstmConfig};
pub use mlp::{Mlp, MlpConfig};
pub use payment_sequence::{PaymentSequence, PaymentSequenceConfig, PaymentSequenceOutput};
pub use session_aggregates::{SessionAggregates, SessionAggregatesConfig};
pub use text_encoder::{TextEncoder, TextEncoderConfig};
pub use transformer::{TransformerBlock, TransformerBlockConfig, TransformerBlockOutput};
pub use wide::{Wide, WideConfig, WideExtremes};

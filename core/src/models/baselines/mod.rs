//! The baselines the NHFM, DIFM and LBSF papers compare against (NHFM §4.1, DIFM §4.2, LBSF
//! §V-B), on the same
//! encoder, training loop, artifact and scorers as the papers' models. The feature-interaction
//! baselines read "all the features of the user's events" as one flat set
//! ([`Batch::flat_features`](crate::encode::Batch::flat_features): the `T·F` event slots and
//! the `P` profile slots); defaults match the papers' models (k = 64, one hidden layer of 64,
//! dropout 0.2).

pub mod afm;
pub mod deepfm;
pub mod dnn;
pub mod flat_transformer;
pub mod gbdt;
pub mod lr;
pub mod lstm4fd;
pub mod nfm;
pub mod wide_deep;
pub mod xdeepfm;

pub use afm::{Afm, AfmConfig};
pub use deepfm::{DeepFm, DeepFmConfig};
pub use dnn::{Dnn, DnnConfig};
pub use flat_transformer::{FlatTransformer, FlatTransformerConfig};
pub use gbdt::{Aggregates, Gbdt, GbdtConfig, TreeEnsemble, TreeNode};
pub use lr::{Lr, LrConfig};
pub use lstm4fd::{Lstm4Fd, Lstm4FdConfig};
pub use nfm::{Nfm, NfmConfig};
pub use wide_deep::{WideDeep, WideDeepConfig};
pub use xdeepfm::{XDeepFm, XDeepFmConfig};

#[cfg(test)]
pub(crate) mod fixture {
    //! A one-session batch small enough to score by hand, and setters for weights.
    //!
    //! Two events of two fields and one profile slot; flat features (index, x):
    //! `(1, 1) (2, 2) (3, 0.5) (0, 0) (4, 1)` — the second event misses its second field.
    //! Embeddings `v_0 = 0, v_1 = (1, 0), v_2 = (0, 1), v_3 = (2, 2), v_4 = (1, −1)` give
    //! `x v`: `a = (1, 0), b = (0, 2), c = (1, 1), 0, e = (1, −1)`, so
    //! `Σ_{i<j} x_i v_i ⊙ x_j v_j = (3, −1)` and the FM's `Σ_{i<j} ⟨x_i v_i, x_j v_j⟩ = 2`.
    //! Linear weights `w = (0, 1, −1, 2, 0.5)`, `w_0 = 0.25`: `w_0 + Σ w_i x_i = 0.75`.

    use crate::encode::{Batch, EncodedSession};
    use crate::models::layers::{FieldEmbedding, Mlp, Wide};
    use burn::module::Param;
    use burn::nn::Linear;
    use burn::prelude::*;

    pub const NUM_FEATURES: usize = 5;
    /// `N = T·F + P`.
    pub const SLOTS: usize = 5;

    pub fn batch(device: &Device) -> Batch {
        let s = EncodedSession {
            event_index: vec![1, 2, 3, 0],
            event_value: vec![1.0, 2.0, 0.5, 0.0],
            event_mask: vec![1.0, 1.0],
            profile_index: vec![4],
            profile_value: vec![1.0],
            label: None,
            events_before: 0,
            sessions: None,
            folds: None,
        };
        Batch::new(&[&s], device)
    }

    pub fn set_embedding(e: &mut FieldEmbedding) {
        let device = e.embedding.weight.device();
        e.embedding.weight = Param::from_tensor(Tensor::from_data(
            [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [1.0, -1.0]],
            &device,
        ));
    }

    pub fn set_linear(w: &mut Wide) {
        let device = w.bias.device();
        w.weights.weight = Param::from_tensor(Tensor::from_data(
            [[0.0], [1.0], [-1.0], [2.0], [0.5]],
            &device,
        ));
        w.bias = Param::from_tensor(Tensor::from_data([0.25], &device));
    }

    fn set(l: &mut Linear, weight: Tensor<2>, bias: f32) {
        let device = weight.device();
        l.weight = Param::from_tensor(weight);
        l.bias = Some(Param::from_tensor(Tensor::from_data([bias], &device)));
    }

    /// A one-unit MLP: all-ones hidden weights, bias 0, ReLU, then `2h − 1`.
    pub fn set_mlp(m: &mut Mlp) {
        let device = m.output.weight.device();
        let d = m.hidden.weight.dims()[0];
        set(&mut m.hidden, Tensor::ones([d, 1], &device), 0.0);
        set(&mut m.output, Tensor::from_data([[2.0]], &device), -1.0);
    }

    pub fn logit(t: Tensor<1>) -> f32 {
        t.into_data().try_to_vec::<f32>().unwrap()[0]
    }
}

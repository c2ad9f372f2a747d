//! Growing the GBDT baseline's trees with `forust-ml` (an XGBoost-style GBDT in Rust: LogLoss,
//! depth-wise trees, early stopping on the validation AUC) on the aggregates of [`Aggregates`],
//! and converting them to seqrisk's portable [`TreeEnsemble`], which is checked against
//! forust's own predictions on every training row before it is used.

use anyhow::{Result, bail};
use forust_ml::metric::Metric;
use forust_ml::{GradientBooster, Matrix};
use seqrisk_core::encode::EncodedSession;
use seqrisk_core::models::baselines::{Aggregates, TreeEnsemble, TreeNode};
use std::borrow::Borrow;

/// Largest |Δ log-odds| allowed between perpetual and the converted ensemble.
const PARITY: f64 = 1e-9;

/// Boosting settings (XGBoost's usual defaults, early stopping on the validation AUC).
#[derive(Debug, Clone, Copy)]
pub struct GbdtOptions {
    /// Most boosting rounds.
    pub iterations: usize,
    /// Shrinkage per tree.
    pub learning_rate: f32,
    /// Deepest tree.
    pub max_depth: usize,
    /// Stop after this many rounds without a better validation AUC.
    pub early_stopping_rounds: usize,
}

/// Aggregates of `sessions` as a column-major matrix (forust's layout). The sessions may be
/// encoded as they are read, so that none is kept once its row is written.
fn columns<S: Borrow<EncodedSession>>(
    aggregates: &Aggregates,
    sessions: impl ExactSizeIterator<Item = S>,
) -> Vec<f64> {
    let (rows, cols) = (sessions.len(), aggregates.len());
    let mut data = vec![0.0; rows * cols];
    for (r, s) in sessions.enumerate() {
        for (c, x) in aggregates.features(s.borrow()).into_iter().enumerate() {
            data[c * rows + r] = x;
        }
    }
    data
}

fn targets(labels: &[bool]) -> Vec<f64> {
    labels.iter().map(|&l| f64::from(u8::from(l))).collect()
}

/// Fit trees on the training sessions, stopping early on the validation sessions, and convert
/// them. Each side is its sessions' encodings (borrowed, or made one at a time) and their
/// labels.
pub fn fit<S: Borrow<EncodedSession>, V: Borrow<EncodedSession>>(
    aggregates: &Aggregates,
    train: (impl ExactSizeIterator<Item = S>, &[bool]),
    valid: (impl ExactSizeIterator<Item = V>, &[bool]),
    opts: GbdtOptions,
    seed: u64,
) -> Result<TreeEnsemble> {
    let cols = aggregates.len();
    let (rows, valid_rows) = (train.0.len(), valid.0.len());
    let data = columns(aggregates, train.0);
    let valid_data = columns(aggregates, valid.0);
    let matrix = Matrix::new(&data, rows, cols);
    let (y, valid_y) = (targets(train.1), targets(valid.1));
    let (weights, valid_weights) = (vec![1.0; rows], vec![1.0; valid_rows]);
    let mut booster = GradientBooster::default()
        .set_iterations(opts.iterations)
        .set_learning_rate(opts.learning_rate)
        .set_max_depth(opts.max_depth)
        .set_seed(seed)
        .set_evaluation_metric(Some(Metric::AUC))
        .set_early_stopping_rounds(Some(opts.early_stopping_rounds));
    booster
        .fit(
            &matrix,
            &y,
            &weights,
            Some(vec![(
                Matrix::new(&valid_data, valid_rows, cols),
                &valid_y,
                &valid_weights,
            )]),
        )
        .map_err(|e| anyhow::anyhow!("GBDT training failed: {e}"))?;
    let ensemble = convert(&booster)?;
    ensemble.check(cols)?;
    let theirs = booster.predict(&matrix, true);
    let mut row = vec![0.0; cols];
    for (r, expected) in theirs.iter().enumerate() {
        for (c, x) in row.iter_mut().enumerate() {
            *x = data[c * rows + r];
        }
        let ours = ensemble.predict(&row);
        if (ours - expected).abs() > PARITY {
            bail!("converted GBDT disagrees with forust on training row {r}: {ours} vs {expected}");
        }
    }
    Ok(ensemble)
}

/// forust's trees up to the best iteration as seqrisk's ensemble: forust walks a tree by
/// node position (children after their parent), and so does [`TreeEnsemble::predict`].
fn convert(booster: &GradientBooster) -> Result<TreeEnsemble> {
    let used = booster.prediction_iteration.unwrap_or(booster.trees.len());
    let trees = booster.trees[..used.min(booster.trees.len())]
        .iter()
        .enumerate()
        .map(|(t, tree)| {
            tree.nodes
                .iter()
                .enumerate()
                .map(|(i, node)| {
                    if node.num != i {
                        bail!("GBDT tree {t}: node {i} is numbered {}", node.num);
                    }
                    Ok(if node.is_leaf {
                        TreeNode {
                            leaf: true,
                            value: f64::from(node.weight_value),
                            feature: 0,
                            threshold: 0.0,
                            left: 0,
                            right: 0,
                            missing: 0,
                        }
                    } else {
                        TreeNode {
                            leaf: false,
                            value: 0.0,
                            feature: node.split_feature,
                            threshold: node.split_value,
                            left: node.left_child,
                            right: node.right_child,
                            missing: node.missing_node,
                        }
                    })
                })
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(TreeEnsemble {
        base_score: booster.base_score,
        trees,
    })
}

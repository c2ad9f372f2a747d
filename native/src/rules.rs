//! Candidate rules for a cluster's explanation (FinDeepBehaviorCluster §3.5, Figure 4): shallow
//! trees grown by `forust-ml` on bags of the cluster's sessions (a bootstrap sample) against a
//! fresh sample of other sessions each time; every path from a root to a node is a candidate,
//! scored on the rows its bag left out. Selecting among them is
//! [`seqrisk_core::cluster::select_rules`].

use anyhow::{Result, anyhow};
use forust_ml::{GradientBooster, Matrix};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use seqrisk_core::cluster::{Candidate, Condition, Rule, RuleSettings, select_rules};

/// How rules are searched for.
#[derive(Debug, Clone, Copy)]
pub struct RuleOptions {
    /// Bags (one tree each).
    pub bags: usize,
    /// Deepest tree; bags cycle through depths `1..=max_depth`.
    pub max_depth: usize,
    /// Other sessions sampled per cluster session in each bag...
    pub negatives_per_positive: usize,
    /// ...and at least this many (or all of them).
    pub min_negatives: usize,
    /// Which candidates are kept.
    pub settings: RuleSettings,
    /// Seed of the bags.
    pub seed: u64,
}

impl Default for RuleOptions {
    fn default() -> Self {
        Self {
            bags: 20,
            max_depth: 3,
            negatives_per_positive: 20,
            min_negatives: 2000,
            settings: RuleSettings::default(),
            seed: 7,
        }
    }
}

/// Every root-to-node path of a grown tree (`x < t` to the left, `x ≥ t` to the right).
fn paths(booster: &GradientBooster) -> Vec<Vec<Condition>> {
    let mut out = vec![];
    for tree in &booster.trees {
        let mut stack = vec![(0usize, Vec::<Condition>::new())];
        while let Some((i, conditions)) = stack.pop() {
            let Some(node) = tree.nodes.get(i) else {
                continue;
            };
            if !conditions.is_empty() {
                out.push(conditions.clone());
            }
            if node.is_leaf {
                continue;
            }
            for (child, below) in [(node.left_child, true), (node.right_child, false)] {
                // children come after their parent: a malformed tree cannot loop
                if child > i {
                    let mut next = conditions.clone();
                    next.push(Condition {
                        feature: node.split_feature,
                        below,
                        threshold: node.split_value,
                    });
                    stack.push((child, next));
                }
            }
        }
    }
    out
}

/// Rules telling the rows where `target` holds from the others, best first (empty when there
/// are no targets or no non-targets).
pub fn extract(data: &[Vec<f64>], target: &[bool], opts: &RuleOptions) -> Result<Vec<Rule>> {
    let positives: Vec<usize> = (0..data.len()).filter(|&i| target[i]).collect();
    let negatives: Vec<usize> = (0..data.len()).filter(|&i| !target[i]).collect();
    if positives.is_empty() || negatives.is_empty() {
        return Ok(vec![]);
    }
    let cols = data[0].len();
    let mut rng = SmallRng::seed_from_u64(opts.seed);
    let mut candidates = vec![];
    for bag in 0..opts.bags {
        // the cluster's sessions bootstrapped, other sessions sampled afresh
        let mut rows: Vec<usize> = (0..positives.len())
            .map(|_| positives[rng.random_range(0..positives.len())])
            .collect();
        let wanted = (positives.len() * opts.negatives_per_positive)
            .max(opts.min_negatives)
            .min(negatives.len());
        rows.extend(negatives.choose_multiple(&mut rng, wanted).copied());
        let mut in_bag = vec![false; data.len()];
        for &r in &rows {
            in_bag[r] = true;
        }
        let mut matrix = vec![0.0; rows.len() * cols];
        for (k, &r) in rows.iter().enumerate() {
            for c in 0..cols {
                matrix[c * rows.len() + k] = data[r][c];
            }
        }
        let y: Vec<f64> = rows
            .iter()
            .map(|&r| f64::from(u8::from(target[r])))
            .collect();
        let mut booster = GradientBooster::default()
            .set_iterations(1)
            .set_learning_rate(1.0)
            // the trees only propose splits: no hessian floor on leaves (a rare cluster's
            // hessians are tiny) and no shrinkage of the gain
            .set_min_leaf_weight(0.0)
            .set_l2(0.0)
            .set_max_depth(1 + bag % opts.max_depth.max(1))
            .set_seed(opts.seed.wrapping_add(bag as u64));
        booster
            .fit(
                &Matrix::new(&matrix, rows.len(), cols),
                &y,
                &vec![1.0; rows.len()],
                None,
            )
            .map_err(|e| anyhow!("rule tree {bag} failed to grow: {e}"))?;
        let oob: Vec<usize> = (0..data.len()).filter(|&i| !in_bag[i]).collect();
        candidates.extend(paths(&booster).into_iter().map(|conditions| Candidate {
            conditions,
            rows: oob.clone(),
        }));
    }
    Ok(select_rules(&candidates, data, target, &opts.settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Targets are exactly `x0 ≥ 5 AND x1 < 2` among noise columns: the best rule found is that
    /// conjunction, exact on every row.
    #[test]
    fn a_planted_conjunction_is_recovered() {
        let mut rng = SmallRng::seed_from_u64(1);
        let data: Vec<Vec<f64>> = (0..600)
            .map(|_| {
                (0..4)
                    .map(|_| f64::from(rng.random_range(0..10u8)))
                    .collect()
            })
            .collect();
        let target: Vec<bool> = data.iter().map(|x| x[0] >= 5.0 && x[1] < 2.0).collect();
        let rules = extract(&data, &target, &RuleOptions::default()).unwrap();
        let best = &rules[0];
        assert_eq!((best.precision, best.recall), (1.0, 1.0), "{rules:?}");
        let names: Vec<String> = (0..4).map(|i| format!("x{i}")).collect();
        assert_eq!(best.describe(&names, &[true; 4]), "x0 ≥ 5 AND x1 ≤ 1");
    }
}

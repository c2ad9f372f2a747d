//! Target-aware bin edges (Gorishniy et al. 2022, "On Embeddings for Numerical Features in
//! Tabular Deep Learning", §3.2, "target-aware bins"): the leaves of a one-feature decision
//! tree grown on the training labels, so an edge falls where the risk changes ("amounts above
//! 220 are fraud") instead of where the training values are dense. Equal-frequency buckets
//! spend their edges where most values lie and leave a rare, risky tail in one bucket with
//! the merely large values below it; a tree puts its first edge at the step.
//!
//! The tree is grown best first: each round splits the leaf whose best split lowers the
//! summed Gini impurity `Σ_leaf 2·pos·(n − pos)/n` the most, until there are `bins` leaves or
//! no split lowers it. A leaf keeps at least [`min_leaf`] values, so a bin is never one
//! outlier.

/// Fewest training values a leaf holds: 0.01% of them, and never under 10.
pub fn min_leaf(n: usize) -> usize {
    (n / 10_000).max(10)
}

/// Values sharing one transformed value, with how many of them are labelled positive.
#[derive(Debug, Clone, Copy)]
struct Group {
    value: f64,
    n: usize,
    pos: usize,
}

/// A leaf: groups `lo..hi`, and its best split (the first group of its right part, and the
/// impurity it removes), if any split keeps [`min_leaf`] values on both sides.
#[derive(Debug, Clone, Copy)]
struct Leaf {
    lo: usize,
    hi: usize,
    split: Option<(usize, f64)>,
}

/// `n` times the Gini impurity of a part with `pos` positives among `n`: `2·pos·(n − pos)/n`.
fn impurity(n: usize, pos: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    2.0 * pos as f64 * (n - pos) as f64 / n as f64
}

/// The best split of groups `lo..hi` given prefix sums of counts and positives.
fn best_split(
    lo: usize,
    hi: usize,
    count: &[usize],
    pos: &[usize],
    min_leaf: usize,
) -> Option<(usize, f64)> {
    let (n, p) = (count[hi] - count[lo], pos[hi] - pos[lo]);
    let parent = impurity(n, p);
    ((lo + 1)..hi)
        .filter_map(|k| {
            let (nl, pl) = (count[k] - count[lo], pos[k] - pos[lo]);
            if nl < min_leaf || n - nl < min_leaf {
                return None;
            }
            let gain = parent - impurity(nl, pl) - impurity(n - nl, p - pl);
            // a gain of rounding error is no split
            (gain > 1e-9 * n as f64).then_some((k, gain))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// Edges of at most `bins` target-aware buckets of transformed training `values` with their
/// labels: the largest value of each leaf but the last, ascending, so bucket `i` holds
/// `(edges[i−2], edges[i−1]]` as [`super::quantile_edges`]' do. No labels of both kinds, or
/// no split worth making, give no edges (one bucket).
pub fn target_edges(mut values: Vec<(f64, bool)>, bins: usize) -> Vec<f64> {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let min_leaf = min_leaf(values.len());
    let mut groups: Vec<Group> = Vec::new();
    for (v, y) in values {
        match groups.last_mut() {
            Some(g) if g.value == v => {
                g.n += 1;
                g.pos += usize::from(y);
            }
            _ => groups.push(Group {
                value: v,
                n: 1,
                pos: usize::from(y),
            }),
        }
    }
    let mut count = vec![0; groups.len() + 1];
    let mut pos = vec![0; groups.len() + 1];
    for (i, g) in groups.iter().enumerate() {
        count[i + 1] = count[i] + g.n;
        pos[i + 1] = pos[i] + g.pos;
    }
    let leaf = |lo, hi| Leaf {
        lo,
        hi,
        split: best_split(lo, hi, &count, &pos, min_leaf),
    };
    let mut leaves = vec![leaf(0, groups.len())];
    while leaves.len() < bins {
        let best = leaves
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.split.map(|(_, gain)| (i, gain)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((i, _)) = best else { break };
        let Leaf { lo, hi, split } = leaves[i];
        let Some((k, _)) = split else { break };
        leaves[i] = leaf(lo, k);
        leaves.push(leaf(k, hi));
    }
    let mut edges: Vec<f64> = leaves
        .iter()
        .filter(|l| l.hi < groups.len())
        .map(|l| groups[l.hi - 1].value)
        .collect();
    edges.sort_by(f64::total_cmp);
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Impurities and the first split by hand: 40 values 0..40, positive from 30 on.
    /// Parent: 2·10·30/40 = 15. Splitting after 29 leaves two pure parts (gain 15), which no
    /// other split matches, so the one edge is 29 whatever `bins` allows. With the step at 35
    /// the pure split would leave 5 values, under `min_leaf` (10): the best allowed split is
    /// after 29, its right part 10 values with 5 positives (gain 2·5·35/40 − 2·5·5/10 = 3.75).
    #[test]
    fn one_step_gives_one_edge_at_the_step() {
        assert_eq!(impurity(40, 10), 15.0);
        assert_eq!(impurity(4, 0), 0.0);
        let v: Vec<(f64, bool)> = (0..40).map(|i| (f64::from(i), i >= 30)).collect();
        assert_eq!(target_edges(v.clone(), 8), [29.0]);
        assert_eq!(target_edges(v, 2), [29.0]);
        let late: Vec<(f64, bool)> = (0..40).map(|i| (f64::from(i), i >= 35)).collect();
        assert_eq!(target_edges(late, 2), [29.0]);
    }

    /// A rare risky tail above the dense values: 10,000 values, the top 60 (from 9,940 on)
    /// positive. Equal-frequency buckets of 64 put the tail in one bucket with 97 genuine
    /// values; the tree's edge is at the step.
    #[test]
    fn a_rare_tail_gets_its_own_bucket() {
        let v: Vec<(f64, bool)> = (0..10_000).map(|i| (f64::from(i), i >= 9_940)).collect();
        let q = super::super::quantile_edges(v.iter().map(|p| p.0).collect(), 64);
        assert!(q.last().copied().unwrap() < 9_900.0, "{q:?}");
        assert_eq!(target_edges(v, 64), [9_939.0]);
    }

    /// Best first: with two steps of different sizes and room for two leaves, the split that
    /// removes more impurity wins; with three, both are made.
    #[test]
    fn the_bigger_gain_is_split_first() {
        // 0..100: positives in 40..60 (a block of 20) and 90..92 (tiny, under min_leaf 10)
        let v: Vec<(f64, bool)> = (0..100)
            .map(|i| (f64::from(i), (40..60).contains(&i) || (90..92).contains(&i)))
            .collect();
        // parent 2·22·78/100 = 34.32; after 39: 0 + 2·22·38/60 = 27.87 (gain 6.45); after
        // 59: 2·20·40/60 + 2·2·38/40 = 30.47 (gain 3.85)
        assert_eq!(target_edges(v.clone(), 2), [39.0]);
        assert_eq!(target_edges(v, 3), [39.0, 59.0]);
    }

    /// Repeated values stay in one bucket; no positives (or no negatives) give no edges; fewer
    /// than twice `min_leaf` values cannot split.
    #[test]
    fn degenerate_inputs() {
        let mass: Vec<(f64, bool)> = (0..40)
            .map(|i| (if i < 20 { 0.0 } else { 1.0 }, i >= 20))
            .collect();
        assert_eq!(target_edges(mass, 8), [0.0]);
        let pure: Vec<(f64, bool)> = (0..100).map(|i| (f64::from(i), false)).collect();
        assert!(target_edges(pure, 8).is_empty());
        let few: Vec<(f64, bool)> = (0..19).map(|i| (f64::from(i), i >= 9)).collect();
        assert!(target_edges(few, 8).is_empty());
        assert!(target_edges(Vec::new(), 8).is_empty());
        assert_eq!(min_leaf(5), 10);
        assert_eq!(min_leaf(840_000), 84);
    }
}

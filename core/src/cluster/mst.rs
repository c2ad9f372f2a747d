//! Step 1 and 2: core distances and the minimum spanning tree of the mutual-reachability graph,
//! exact (every pair), by Prim's algorithm on the implicit complete graph: `O(n²·d)` time and
//! `O(n)` memory, no distance matrix kept.

use super::hdbscan::{Points, euclidean};

/// An MST edge: two points and their mutual-reachability distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// One end.
    pub a: usize,
    /// The other end.
    pub b: usize,
    /// `d_mreach(a, b)`.
    pub distance: f64,
}

/// Euclidean distance of points `i` and `j`.
fn distance(points: &Points, i: usize, j: usize) -> f64 {
    euclidean(points.row(i), points.row(j))
}

/// Core distance of every point: the distance to its `min_samples`-th nearest neighbour,
/// counting the point itself as the first (so `min_samples = 1` gives 0), as scikit-learn does.
/// `min_samples` is at most `n`.
pub fn core_distances(points: &Points, min_samples: usize) -> Vec<f64> {
    let n = points.len();
    let k = min_samples.clamp(1, n.max(1));
    let mut row = vec![0.0; n];
    (0..n)
        .map(|i| {
            for (j, r) in row.iter_mut().enumerate() {
                *r = distance(points, i, j);
            }
            let (_, kth, _) = row.select_nth_unstable_by(k - 1, f64::total_cmp);
            *kth
        })
        .collect()
}

/// The minimum spanning tree of the mutual-reachability graph, `n − 1` edges in the order
/// Prim's algorithm adds them (from point 0; among equal distances the lowest index).
pub fn mutual_reachability_mst(points: &Points, core: &[f64]) -> Vec<Edge> {
    let n = points.len();
    let mut in_tree = vec![false; n];
    let mut best = vec![f64::INFINITY; n];
    let mut from = vec![0usize; n];
    let mut edges = Vec::with_capacity(n.saturating_sub(1));
    let mut current = 0;
    for _ in 1..n {
        in_tree[current] = true;
        let mut next = usize::MAX;
        let mut next_distance = f64::INFINITY;
        for j in 0..n {
            if in_tree[j] {
                continue;
            }
            let d = distance(points, current, j).max(core[current]).max(core[j]);
            if d < best[j] {
                best[j] = d;
                from[j] = current;
            }
            if best[j] < next_distance || next == usize::MAX {
                next_distance = best[j];
                next = j;
            }
        }
        edges.push(Edge {
            a: from[next],
            b: next,
            distance: next_distance,
        });
        current = next;
    }
    edges
}

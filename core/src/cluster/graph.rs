//! Steps 1–2 for large `N` (the paper's Optimizations 1–3): core distances and the spanning
//! tree from k-nearest-neighbour lists instead of every pair. The candidate edges are each
//! point's `k` nearest under mutual reachability; Kruskal's algorithm (a sort of the `N·k`
//! edges, then union-find) gives their minimum spanning forest; components still apart are
//! then joined by Borůvka rounds over all pairs between them (exact, and rare when `k` is a
//! few times `min_samples`). With `k = N` the tree is an exact minimum spanning tree.

use super::hdbscan::{Points, euclidean};
use super::knn::Neighbours;
use super::mst::Edge;

/// Core distances from neighbour lists that hold each point itself first: the distance to the
/// `min_samples`-th entry.
pub fn core_from_neighbours(nn: &Neighbours, min_samples: usize) -> Vec<f64> {
    let n = nn.indices.len() / nn.k.max(1);
    (0..n)
        .map(|i| nn.distances[i * nn.k + (min_samples - 1).min(nn.k - 1)])
        .collect()
}

struct Components {
    parent: Vec<usize>,
}

impl Components {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Join the components of `a` and `b`; false when they were one already.
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        self.parent[ra.max(rb)] = ra.min(rb);
        true
    }
}

/// A spanning tree of the mutual-reachability graph of `points` from their neighbour lists
/// (see the module documentation): `n − 1` edges.
pub fn spanning_tree(points: &Points, nn: &Neighbours, core: &[f64]) -> Vec<Edge> {
    let n = points.len();
    let reach = |a: usize, b: usize, d: f64| d.max(core[a]).max(core[b]);
    let mut edges: Vec<Edge> = (0..n)
        .flat_map(|a| {
            nn.of(a)
                .filter(move |&(b, _)| b != a && b != usize::MAX)
                .map(move |(b, d)| Edge {
                    a: a.min(b),
                    b: a.max(b),
                    distance: reach(a, b, d),
                })
        })
        .collect();
    edges.sort_unstable_by(|x, y| {
        x.distance
            .total_cmp(&y.distance)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    edges.dedup_by(|x, y| x.a == y.a && x.b == y.b);
    let mut comps = Components {
        parent: (0..n).collect(),
    };
    let mut tree: Vec<Edge> = edges
        .into_iter()
        .filter(|e| comps.union(e.a, e.b))
        .collect();
    // Borůvka over the components left: each one's cheapest edge to another, all pairs
    while tree.len() + 1 < n {
        let roots: Vec<usize> = (0..n).map(|i| comps.find(i)).collect();
        let mut best: std::collections::HashMap<usize, Edge> = Default::default();
        for a in 0..n {
            for b in a + 1..n {
                if roots[a] == roots[b] {
                    continue;
                }
                let e = Edge {
                    a,
                    b,
                    distance: reach(a, b, euclidean(points.row(a), points.row(b))),
                };
                for r in [roots[a], roots[b]] {
                    let better = best.get(&r).is_none_or(|x| e.distance < x.distance);
                    if better {
                        best.insert(r, e);
                    }
                }
            }
        }
        let mut cheapest: Vec<Edge> = best.into_values().collect();
        cheapest.sort_by(|x, y| x.distance.total_cmp(&y.distance).then(x.a.cmp(&y.a)));
        for e in cheapest {
            if comps.union(e.a, e.b) {
                tree.push(e);
            }
        }
    }
    tree
}

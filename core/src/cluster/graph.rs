//! Steps 1–2 for large `N` (the paper's Optimizations 1–3): core distances and the spanning
//! tree from k-nearest-neighbour lists instead of every pair. The candidate edges are each
//! point's `k` nearest under mutual reachability; Kruskal's algorithm (a sort of the `N·k`
//! edges, then union-find) gives their minimum spanning forest; components still apart (as
//! well-separated clusters are in a k-nearest-neighbour graph) are then joined by Borůvka
//! rounds: every component but the largest finds, for each of its points, the nearest point
//! outside it (by the tiled device search; the components under 32 points all in one search of
//! their members' 32 nearest, which must reach outside; a component over 256 points from an
//! even sample of 256 of them) and takes the cheapest of those edges in mutual reachability.
//! With `k = N` the tree is an exact minimum spanning tree.

use super::hdbscan::Points;
use super::knn::{Neighbours, knn};
use super::mst::Edge;
use crate::error::Result;
use burn::prelude::Device;

/// Core distances from neighbour lists that hold each point itself first: the distance to the
/// `min_samples`-th entry.
pub fn core_from_neighbours(nn: &Neighbours, min_samples: usize) -> Vec<f64> {
    let n = nn.indices.len() / nn.k.max(1);
    (0..n)
        .map(|i| nn.distances[i * nn.k + (min_samples - 1).min(nn.k - 1)])
        .collect()
}

/// Components smaller than this look for their nearest outside point together.
const SMALL_COMPONENT: usize = 32;

/// Points of a larger component that look for the nearest point outside it.
const JOIN_SAMPLE: usize = 256;

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
pub fn spanning_tree(
    points: &Points,
    nn: &Neighbours,
    core: &[f64],
    device: &Device,
) -> Result<Vec<Edge>> {
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
    // Borůvka over the components left
    while tree.len() + 1 < n {
        let roots: Vec<usize> = (0..n).map(|i| comps.find(i)).collect();
        let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for (i, &r) in roots.iter().enumerate() {
            members.entry(r).or_default().push(i);
        }
        let largest = members
            .iter()
            .max_by_key(|(r, m)| (m.len(), std::cmp::Reverse(**r)))
            .map(|(r, _)| *r);
        let mut cheapest: Vec<Edge> = Vec::new();
        let better = |x: &Edge, y: &Edge| x.distance.total_cmp(&y.distance).then(x.a.cmp(&y.a));
        // small components (noise points, tiny groups) together in one search: a component of
        // s points finds a point outside it among each member's s + 1 nearest
        let small: Vec<usize> = members
            .iter()
            .filter(|(r, m)| Some(**r) != largest && m.len() < SMALL_COMPONENT)
            .flat_map(|(_, m)| m.iter().copied())
            .collect();
        if !small.is_empty() {
            let near = knn(
                points,
                &points.subset(&small)?,
                SMALL_COMPONENT.min(n),
                device,
                1 << 22,
            )?;
            let mut best: std::collections::BTreeMap<usize, Edge> = Default::default();
            for (q, &a) in small.iter().enumerate() {
                if let Some((b, d)) = near.of(q).find(|&(b, _)| roots[b] != roots[a]) {
                    let e = Edge {
                        a: a.min(b),
                        b: a.max(b),
                        distance: reach(a, b, d),
                    };
                    let slot = best.entry(roots[a]).or_insert(e);
                    if better(&e, slot).is_lt() {
                        *slot = e;
                    }
                }
            }
            cheapest.extend(best.into_values());
        }
        for (&r, inside) in members
            .iter()
            .filter(|(r, m)| Some(**r) != largest && m.len() >= SMALL_COMPONENT)
        {
            let outside: Vec<usize> = (0..n).filter(|&i| roots[i] != r).collect();
            // a large component searches from an even sample of its points: the joining edge
            // is then the best of the sample's, near the top of the hierarchy where it only
            // orders the merges of clusters already apart
            let queries: Vec<usize> = if inside.len() > JOIN_SAMPLE {
                (0..JOIN_SAMPLE)
                    .map(|k| inside[k * inside.len() / JOIN_SAMPLE])
                    .collect()
            } else {
                inside.clone()
            };
            let near = knn(
                &points.subset(&outside)?,
                &points.subset(&queries)?,
                1,
                device,
                1 << 22,
            )?;
            let best = queries
                .iter()
                .enumerate()
                .map(|(q, &a)| {
                    let (j, d) = near.of(q).next().unwrap_or((0, f64::INFINITY));
                    let b = outside[j];
                    Edge {
                        a: a.min(b),
                        b: a.max(b),
                        distance: reach(a, b, d),
                    }
                })
                .min_by(better);
            cheapest.extend(best);
        }
        cheapest.sort_by(|x, y| x.distance.total_cmp(&y.distance).then(x.a.cmp(&y.a)));
        for e in cheapest {
            if comps.union(e.a, e.b) {
                tree.push(e);
            }
        }
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::mst::{core_distances, mutual_reachability_mst};

    /// Three groups far apart: the 3-nearest-neighbour graph falls in three pieces, which the
    /// Borůvka rounds join by their closest pairs, giving the exact MST's weight here.
    #[test]
    fn separate_components_are_joined() {
        let mut values = Vec::new();
        for (g, centre) in [0.0, 100.0, 250.0].into_iter().enumerate() {
            for i in 0..7 {
                values.extend([centre + i as f64 * 0.5, (g * i) as f64 * 0.25]);
            }
        }
        let points = Points::new(values, 2).unwrap();
        let device = Device::flex();
        let nn = knn(&points, &points, 3, &device, 1 << 20).unwrap();
        let core = core_from_neighbours(&nn, 3);
        assert_eq!(core, core_distances(&points, 3));
        let tree = spanning_tree(&points, &nn, &core, &device).unwrap();
        assert_eq!(tree.len(), points.len() - 1);
        let weight = |t: &[Edge]| t.iter().map(|e| e.distance).sum::<f64>();
        let exact = mutual_reachability_mst(&points, &core);
        assert!((weight(&tree) - weight(&exact)).abs() < 1e-9);
        // the two joining edges span the gaps
        assert_eq!(tree.iter().filter(|e| e.distance > 50.0).count(), 2);
    }
}

//! Exact k nearest neighbours by tiles of the distance matrix on a Burn device (the paper's
//! Optimization 1 without the GPU index): for each tile of queries,
//! `‖q − p‖² = ‖q‖² + ‖p‖² − 2·q·pᵀ` is one matrix product against all points, and the `k`
//! smallest of each row are kept. The same code runs batched on the CPU backend or a GPU.
//! The products run in `f32`, which only picks the candidates: their distances are then
//! computed again exactly on the host (`k·d` per query), so near-zero distances keep their
//! precision and only neighbours tied within `f32` rounding can swap.

use super::Points;
use super::hdbscan::euclidean;
use crate::error::{Error, Result};
use burn::prelude::*;

/// The neighbours of each query, nearest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbours {
    /// Neighbours per query.
    pub k: usize,
    /// `[queries × k]` indices into the points.
    pub indices: Vec<usize>,
    /// `[queries × k]` Euclidean distances (exact, in `f64`), ascending per query.
    pub distances: Vec<f64>,
}

impl Neighbours {
    /// Query `i`'s neighbours as `(index, distance)`, nearest first.
    pub fn of(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = i * self.k..(i + 1) * self.k;
        self.indices[r.clone()]
            .iter()
            .copied()
            .zip(self.distances[r].iter().copied())
    }
}

fn tensor(points: &Points, rows: std::ops::Range<usize>, device: &Device) -> Tensor<2> {
    let values: Vec<f32> = rows
        .clone()
        .flat_map(|i| points.row(i).iter().map(|&v| v as f32))
        .collect();
    Tensor::from_data(TensorData::new(values, [rows.len(), points.dim()]), device)
}

/// An `f32` ordered by `total_cmp`, for the selection heap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderedF32(f32);

impl Eq for OrderedF32 {}

impl PartialOrd for OrderedF32 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedF32 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The `k` nearest of `points` to each of `queries` (a query that is itself one of the points
/// finds itself first, at distance 0). Tiles of queries hold about `tile_elements` distances.
pub fn knn(
    points: &Points,
    queries: &Points,
    k: usize,
    device: &Device,
    tile_elements: usize,
) -> Result<Neighbours> {
    let n = points.len();
    if points.dim() != queries.dim() {
        return Err(Error::Cluster(format!(
            "queries have {} dimensions but the points {}",
            queries.dim(),
            points.dim()
        )));
    }
    if k == 0 || k > n {
        return Err(Error::Cluster(format!(
            "k must be between 1 and the {n} points, got {k}"
        )));
    }
    let all = tensor(points, 0..n, device);
    let all_norms = all.clone().powi_scalar(2).sum_dim(1).reshape([1, n]);
    let tile = (tile_elements / n.max(1)).max(1);
    let mut indices = Vec::with_capacity(queries.len() * k);
    let mut distances = Vec::with_capacity(queries.len() * k);
    let mut start = 0;
    while start < queries.len() {
        let rows = start..(start + tile).min(queries.len());
        let q = tensor(queries, rows.clone(), device);
        let q_norms = q.clone().powi_scalar(2).sum_dim(1);
        let squared = (q_norms + all_norms.clone()
            - q.matmul(all.clone().transpose()).mul_scalar(2.0))
        .clamp_min(0.0);
        // the k smallest of each row, selected on the host in one pass (a bounded max-heap:
        // O(n log k) a row, where the backend's top-k sorts the whole row)
        let squared: Vec<f32> = squared
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| Error::Cluster(format!("cannot read distances back: {e:?}")))?;
        let mut i: Vec<usize> = Vec::with_capacity(rows.len() * k);
        let mut heap: std::collections::BinaryHeap<(OrderedF32, usize)> =
            std::collections::BinaryHeap::with_capacity(k + 1);
        for row in squared.chunks_exact(n) {
            heap.clear();
            for (j, &d) in row.iter().enumerate() {
                if heap.len() < k {
                    heap.push((OrderedF32(d), j));
                } else if heap.peek().is_some_and(|top| d < top.0.0) {
                    heap.pop();
                    heap.push((OrderedF32(d), j));
                }
            }
            i.extend(heap.iter().map(|&(_, j)| j));
        }
        // the expansion loses precision near 0: the k distances again, exactly, and in order
        for (qi, found) in rows.clone().zip(i.chunks_exact(k)) {
            let mut exact: Vec<(usize, f64)> = found
                .iter()
                .map(|&j| (j, euclidean(queries.row(qi), points.row(j))))
                .collect();
            exact.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            for (j, d) in exact {
                indices.push(j);
                distances.push(d);
            }
        }
        start = rows.end;
    }
    Ok(Neighbours {
        k,
        indices,
        distances,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force in f64, sorted by (distance, index).
    fn brute(points: &Points, q: &[f64], k: usize) -> Vec<(usize, f64)> {
        let mut all: Vec<(usize, f64)> = (0..points.len())
            .map(|i| {
                let d = points
                    .row(i)
                    .iter()
                    .zip(q)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt();
                (i, d)
            })
            .collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    #[test]
    fn tiles_give_the_brute_force_neighbours() {
        // 97 points in 5 dimensions on a skewed grid: distinct distances
        let values: Vec<f64> = (0..97 * 5)
            .map(|i| ((i * 37 % 101) as f64 * 0.173).sin() * 3.0 + (i % 7) as f64)
            .collect();
        let points = Points::new(values, 5).unwrap();
        let device = Device::flex();
        for tile in [1, 500, 1 << 20] {
            let nn = knn(&points, &points, 6, &device, tile).unwrap();
            for qi in 0..points.len() {
                let expected = brute(&points, points.row(qi), 6);
                let got: Vec<(usize, f64)> = nn.of(qi).collect();
                assert_eq!(got[0], (qi, 0.0), "a point finds itself first");
                for ((gi, gd), (ei, ed)) in got.iter().zip(&expected) {
                    assert!(
                        (gd - ed).abs() < 1e-12,
                        "query {qi}: {got:?} vs {expected:?}"
                    );
                    // same neighbour unless two distances tie within f32 precision
                    if gi != ei {
                        let other = expected.iter().find(|e| e.0 == *gi).map(|e| e.1);
                        assert!(other.is_some_and(|o| (o - ed).abs() < 1e-6), "query {qi}");
                    }
                }
            }
        }
    }

    #[test]
    fn bad_requests_are_refused() {
        let p = Points::new(vec![0.0, 1.0, 2.0], 1).unwrap();
        let q = Points::new(vec![0.0, 1.0], 2).unwrap();
        let device = Device::flex();
        assert!(
            knn(&p, &q, 1, &device, 100)
                .unwrap_err()
                .to_string()
                .contains("dimensions")
        );
        assert!(
            knn(&p, &p, 4, &device, 100)
                .unwrap_err()
                .to_string()
                .contains("between 1 and the 3")
        );
        assert!(knn(&p, &p, 0, &device, 100).is_err());
    }
}

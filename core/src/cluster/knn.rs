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

/// The rows `rows` of `points` as an `f32` tensor `[rows, d]`.
pub(crate) fn tensor(
    points: &Points,
    rows: impl ExactSizeIterator<Item = usize>,
    device: &Device,
) -> Tensor<2> {
    let shape = [rows.len(), points.dim()];
    let values: Vec<f32> = rows
        .flat_map(|i| points.row(i).iter().map(|&v| v as f32))
        .collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// `‖p‖²` of each row of `p` `[n, d]`, as `[1, n]`.
pub(crate) fn squared_norms(p: &Tensor<2>) -> Tensor<2> {
    let n = p.dims()[0];
    p.clone().powi_scalar(2).sum_dim(1).reshape([1, n])
}

/// `‖q − p‖² = ‖q‖² + ‖p‖² − 2·q·pᵀ` between the rows of `q` `[a, d]` and `p` `[b, d]` (whose
/// [`squared_norms`] are `p_norms`), one matrix product, read back row-major `[a × b]`.
pub(crate) fn squared_distances(
    q: Tensor<2>,
    p: Tensor<2>,
    p_norms: Tensor<2>,
) -> Result<Vec<f32>> {
    let q_norms = q.clone().powi_scalar(2).sum_dim(1);
    (q_norms + p_norms - q.matmul(p.transpose()).mul_scalar(2.0))
        .clamp_min(0.0)
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Cluster(format!("cannot read distances back: {e:?}")))
}

/// The `k` smallest `(squared distance, index)` offered so far to each query, selected on the
/// host in one pass over the candidates (the backend's top-k sorts whole rows): `k` unordered
/// slots a query with its largest tracked, so a candidate costs one comparison unless it
/// enters. Ties go to the smaller index, so the result does not depend on the order of offers.
pub(crate) struct Nearest {
    k: usize,
    /// `[queries × k]`; an empty slot holds `(∞, usize::MAX)`.
    slots: Vec<(f32, usize)>,
    /// The slot of each query's largest.
    worst: Vec<usize>,
}

/// `(distance, index)` order.
fn before(a: (f32, usize), b: (f32, usize)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

impl Nearest {
    /// Empty slots for `queries` queries.
    pub(crate) fn new(queries: usize, k: usize) -> Self {
        Self {
            k,
            slots: vec![(f32::INFINITY, usize::MAX); queries * k],
            worst: vec![0; queries],
        }
    }

    /// Offer point `j` at squared distance `d` to query `q`.
    #[inline]
    pub(crate) fn offer(&mut self, q: usize, d: f32, j: usize) {
        let slots = &mut self.slots[q * self.k..(q + 1) * self.k];
        let worst = &mut self.worst[q];
        if before((d, j), slots[*worst]).is_lt() {
            slots[*worst] = (d, j);
            *worst = (0..slots.len())
                .max_by(|&x, &y| before(slots[x], slots[y]))
                .unwrap_or(0);
        }
    }

    /// The neighbours, their distances computed again exactly on the host (the expansion in
    /// `f32` loses precision near 0) and sorted by (distance, index); a query offered fewer
    /// than `k` points gets the rest as unfound (`usize::MAX`, infinite distance).
    pub(crate) fn finish(self, points: &Points, queries: &Points) -> Neighbours {
        let k = self.k;
        let mut indices = Vec::with_capacity(self.slots.len());
        let mut distances = Vec::with_capacity(self.slots.len());
        let mut exact: Vec<(usize, f64)> = Vec::with_capacity(k);
        for (q, found) in self.slots.chunks_exact(k).enumerate() {
            exact.clear();
            exact.extend(
                found
                    .iter()
                    .filter(|s| s.1 != usize::MAX)
                    .map(|&(_, j)| (j, euclidean(queries.row(q), points.row(j)))),
            );
            exact.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            for slot in 0..k {
                let (j, d) = exact
                    .get(slot)
                    .copied()
                    .unwrap_or((usize::MAX, f64::INFINITY));
                indices.push(j);
                distances.push(d);
            }
        }
        Neighbours {
            k,
            indices,
            distances,
        }
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
    let all_norms = squared_norms(&all);
    let tile = (tile_elements / n.max(1)).max(1);
    let mut nearest = Nearest::new(queries.len(), k);
    let mut start = 0;
    while start < queries.len() {
        let rows = start..(start + tile).min(queries.len());
        let q = tensor(queries, rows.clone(), device);
        let squared = squared_distances(q, all.clone(), all_norms.clone())?;
        for (qi, row) in rows.clone().zip(squared.chunks_exact(n)) {
            for (j, &d) in row.iter().enumerate() {
                nearest.offer(qi, d, j);
            }
        }
        start = rows.end;
    }
    Ok(nearest.finish(points, queries))
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

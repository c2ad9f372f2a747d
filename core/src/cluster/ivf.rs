//! Approximate k nearest neighbours by an inverted file, as FAISS's `IndexIVFFlat` (the
//! paper's Optimization 1 for large `N`): a k-means coarse partition of the points into
//! `cells`, and a query searches only the points of its `probes` nearest cells. With
//! `probes = cells` the search is exact. The k-means steps, the cell ranking and the distances
//! from a cell's points to the queries probing it are matrix products on a Burn device, as the
//! tiles of the exact search in [`super::knn`]; the neighbours kept are measured again exactly
//! on the host.

use super::Points;
use super::knn::{Nearest, Neighbours, knn, squared_distances, squared_norms, tensor};
use crate::error::{Error, Result};
use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::index::sample;

/// Tile size of the device searches (distances per tile).
const TILE: usize = 1 << 22;

/// Points per cell the k-means is trained on (FAISS warns below 39): a larger file trains on
/// an even sample, then assigns every point.
const TRAIN_PER_CELL: usize = 64;

/// The coarse partition.
#[derive(Debug, Clone, PartialEq)]
pub struct InvertedFile {
    /// `cells` centroids.
    pub centroids: Points,
    /// The points of each cell.
    pub lists: Vec<Vec<usize>>,
}

impl InvertedFile {
    /// Partition `points` into `cells` by `iterations` rounds of Lloyd's k-means from `cells`
    /// distinct points drawn with `seed` (a cell left empty keeps its centroid), trained on at
    /// most [`TRAIN_PER_CELL`] points a cell drawn with the same seed.
    pub fn build(
        points: &Points,
        cells: usize,
        iterations: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self> {
        let (n, d) = (points.len(), points.dim());
        if cells == 0 || cells > n {
            return Err(Error::Cluster(format!(
                "cells must be between 1 and the {n} points, got {cells}"
            )));
        }
        let mut rng = SmallRng::seed_from_u64(seed);
        let sampled;
        let train = if n > TRAIN_PER_CELL * cells {
            let mut rows = sample(&mut rng, n, TRAIN_PER_CELL * cells).into_vec();
            rows.sort_unstable();
            sampled = points.subset(&rows)?;
            &sampled
        } else {
            points
        };
        let mut centroids: Vec<f64> = sample(&mut rng, train.len(), cells)
            .into_iter()
            .flat_map(|i| train.row(i).to_vec())
            .collect();
        for _ in 0..iterations {
            let c = Points::new(centroids.clone(), d)?;
            let nearest = knn(&c, train, 1, device, TILE)?;
            let mut sums = vec![0.0; cells * d];
            let mut counts = vec![0usize; cells];
            for (i, &a) in nearest.indices.iter().enumerate() {
                counts[a] += 1;
                for (s, v) in sums[a * d..(a + 1) * d].iter_mut().zip(train.row(i)) {
                    *s += v;
                }
            }
            for (a, &count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
                for j in 0..d {
                    centroids[a * d + j] = sums[a * d + j] / count as f64;
                }
            }
        }
        let centroids = Points::new(centroids, d)?;
        let assignment = knn(&centroids, points, 1, device, TILE)?.indices;
        let mut lists = vec![Vec::new(); cells];
        for (i, &a) in assignment.iter().enumerate() {
            lists[a].push(i);
        }
        Ok(Self { centroids, lists })
    }

    /// The `k` nearest of `points` (the ones the file was built on) to each query, searching
    /// the `probes` cells with the nearest centroids; a query whose cells hold fewer than `k`
    /// points gets its nearest among them and the rest as unfound (`usize::MAX`, infinite
    /// distance).
    ///
    /// The search runs cell by cell: the queries probing a cell meet its points in one matrix
    /// product on the device (as the tiles of [`knn`]), and each query keeps the `k` nearest
    /// it has met; their distances are then computed again exactly.
    pub fn search(
        &self,
        points: &Points,
        queries: &Points,
        k: usize,
        probes: usize,
        device: &Device,
    ) -> Result<Neighbours> {
        let cells = self.lists.len();
        if probes == 0 || probes > cells {
            return Err(Error::Cluster(format!(
                "probes must be between 1 and the {cells} cells, got {probes}"
            )));
        }
        if k == 0 {
            return Err(Error::Cluster("k must be at least 1".into()));
        }
        let nearest_cells = knn(&self.centroids, queries, probes, device, TILE)?;
        let mut probing: Vec<Vec<usize>> = vec![Vec::new(); cells];
        for q in 0..queries.len() {
            for (cell, _) in nearest_cells.of(q) {
                probing[cell].push(q);
            }
        }
        let mut nearest = Nearest::new(queries.len(), k);
        for (members, asking) in self.lists.iter().zip(&probing) {
            if members.is_empty() || asking.is_empty() {
                continue;
            }
            let p = tensor(points, members.iter().copied(), device);
            let p_norms = squared_norms(&p);
            // queries in slices of about TILE distances
            for asking in asking.chunks((TILE / members.len()).max(1)) {
                let q = tensor(queries, asking.iter().copied(), device);
                let squared = squared_distances(q, p.clone(), p_norms.clone())?;
                for (&qi, row) in asking.iter().zip(squared.chunks_exact(members.len())) {
                    for (&j, &d) in members.iter().zip(row) {
                        nearest.offer(qi, d, j);
                    }
                }
            }
        }
        Ok(nearest.finish(points, queries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> Points {
        // 600 points around 6 centres in 8 dimensions, seeded Gaussian noise
        use rand::Rng;
        let mut rng = SmallRng::seed_from_u64(3);
        let mut values = Vec::new();
        for i in 0..600usize {
            let centre = (i % 6) as f64 * 10.0;
            for j in 0..8usize {
                let noise: f64 = (0..4).map(|_| rng.random::<f64>() - 0.5).sum();
                values.push(centre * if j % 2 == 0 { 1.0 } else { -0.5 } + noise * 2.0);
            }
        }
        Points::new(values, 8).unwrap()
    }

    #[test]
    fn all_cells_is_exact_and_few_cells_recall_most() {
        let points = blobs();
        let device = Device::flex();
        let ivf = InvertedFile::build(&points, 12, 10, 7, &device).unwrap();
        assert_eq!(ivf.lists.iter().map(Vec::len).sum::<usize>(), 600);
        let exact = knn(&points, &points, 5, &device, TILE).unwrap();
        let all = ivf.search(&points, &points, 5, 12, &device).unwrap();
        // the same neighbours (the device search may swap ties within f32 rounding)
        for (a, b) in all.distances.iter().zip(&exact.distances) {
            assert!((a - b).abs() <= 1e-6 * b.max(1.0), "{a} vs {b}");
        }
        // a few probes: most true neighbours are found
        let some = ivf.search(&points, &points, 5, 3, &device).unwrap();
        let hits = (0..600)
            .map(|q| {
                let truth: Vec<usize> = exact.of(q).map(|x| x.0).collect();
                some.of(q).filter(|(j, _)| truth.contains(j)).count()
            })
            .sum::<usize>();
        let recall = hits as f64 / (600.0 * 5.0);
        assert!(recall > 0.95, "recall {recall}");
        // the build is seeded
        assert_eq!(
            ivf,
            InvertedFile::build(&points, 12, 10, 7, &device).unwrap()
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        let points = blobs();
        let device = Device::flex();
        assert!(InvertedFile::build(&points, 0, 5, 1, &device).is_err());
        assert!(InvertedFile::build(&points, 601, 5, 1, &device).is_err());
        let ivf = InvertedFile::build(&points, 4, 2, 1, &device).unwrap();
        let err = ivf
            .search(&points, &points, 3, 5, &device)
            .unwrap_err()
            .to_string();
        assert!(err.contains("between 1 and the 4 cells"), "{err}");
    }
}

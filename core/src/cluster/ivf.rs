//! Approximate k nearest neighbours by an inverted file, as FAISS's `IndexIVFFlat` (the
//! paper's Optimization 1 for large `N`): a k-means coarse partition of the points into
//! `cells`, and a query searches only the points of its `probes` nearest cells. With
//! `probes = cells` the search is exact. The k-means assignment steps and the cell ranking
//! reuse the tiled exact search of [`super::knn`], so they run on a Burn device; the distances
//! to the candidates are computed exactly on the host.

use super::Points;
use super::hdbscan::euclidean;
use super::knn::{Neighbours, knn};
use crate::error::{Error, Result};
use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::index::sample;

/// Tile size of the device searches (distances per tile).
const TILE: usize = 1 << 22;

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
    /// distinct points drawn with `seed` (a cell left empty keeps its centroid).
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
        let mut centroids: Vec<f64> = sample(&mut rng, n, cells)
            .into_iter()
            .flat_map(|i| points.row(i).to_vec())
            .collect();
        let mut assignment = vec![0usize; n];
        for round in 0..=iterations {
            let c = Points::new(centroids.clone(), d)?;
            let nearest = knn(&c, points, 1, device, TILE)?;
            assignment.copy_from_slice(&nearest.indices);
            if round == iterations {
                break;
            }
            let mut sums = vec![0.0; cells * d];
            let mut counts = vec![0usize; cells];
            for (i, &a) in assignment.iter().enumerate() {
                counts[a] += 1;
                for (s, v) in sums[a * d..(a + 1) * d].iter_mut().zip(points.row(i)) {
                    *s += v;
                }
            }
            for (a, &count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
                for j in 0..d {
                    centroids[a * d + j] = sums[a * d + j] / count as f64;
                }
            }
        }
        let mut lists = vec![Vec::new(); cells];
        for (i, &a) in assignment.iter().enumerate() {
            lists[a].push(i);
        }
        Ok(Self {
            centroids: Points::new(centroids, d)?,
            lists,
        })
    }

    /// The `k` nearest of `points` (the ones the file was built on) to each query, searching
    /// the `probes` cells with the nearest centroids; a query whose cells hold fewer than `k`
    /// points gets its nearest among them and the rest as unfound (`usize::MAX`, infinite
    /// distance).
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
        let mut indices = Vec::with_capacity(queries.len() * k);
        let mut distances = Vec::with_capacity(queries.len() * k);
        let mut found: Vec<(usize, f64)> = Vec::new();
        for q in 0..queries.len() {
            found.clear();
            for (cell, _) in nearest_cells.of(q) {
                found.extend(
                    self.lists[cell]
                        .iter()
                        .map(|&j| (j, euclidean(queries.row(q), points.row(j)))),
                );
            }
            let keep = k.min(found.len());
            if keep > 0 && keep < found.len() {
                found.select_nth_unstable_by(keep - 1, |a, b| {
                    a.1.total_cmp(&b.1).then(a.0.cmp(&b.0))
                });
            }
            found.truncate(keep);
            found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            for slot in 0..k {
                let (j, dist) = found
                    .get(slot)
                    .copied()
                    .unwrap_or((usize::MAX, f64::INFINITY));
                indices.push(j);
                distances.push(dist);
            }
        }
        Ok(Neighbours {
            k,
            indices,
            distances,
        })
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

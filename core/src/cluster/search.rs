//! How the neighbour lists that HDBSCAN's graph is built from are found: every distance
//! ([`super::knn`]) or an inverted file ([`InvertedFile`], the paper's pHDBSCAN Optimization 1),
//! one choice for every caller (the CLI's pipeline, the benchmark, the Python estimator).

use super::hdbscan::{Clustering, Hdbscan, Points};
use super::ivf::InvertedFile;
use super::knn::{Neighbours, knn};
use crate::error::{InvalidParam, Result};
use burn::prelude::Device;

/// Distances per tile of an exact search (about 64 MiB of `f32`).
const EXACT_TILE: usize = 1 << 24;

/// Lloyd rounds of the inverted file's k-means: its cells only steer the search; the rounds
/// `seqrisk-bench cluster`'s figures were measured with (`docs/models.md`).
const KMEANS_ROUNDS: usize = 10;

/// Up to this many points [`NeighbourSearch::Auto`] computes every distance: at 10,000 80-D
/// points the exact search took 1.8 s and the inverted file 1.0 s (ARI 0.998 between their
/// clusterings), at 100,000 169 s and 20 s (`docs/benchmarks/cluster-scaling.md`); below this
/// the exact lists cost seconds and are exact.
pub const AUTO_EXACT_MAX: usize = 20_000;

/// Where each point's nearest neighbours come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NeighbourSearch {
    /// Every distance, in tiles of matrix products: exact, `O(n²·d)`.
    Exact,
    /// An inverted file of `cells` k-means cells (`None`: about `4·√n`, as FAISS suggests for
    /// `IndexIVFFlat`), trained for `iterations` rounds from `seed`; each point searches its
    /// `probes` nearest cells. Approximate unless `probes` reaches `cells`.
    InvertedFile {
        /// Cells of the coarse partition.
        cells: Option<usize>,
        /// Cells searched per point.
        probes: usize,
        /// Lloyd rounds of the k-means.
        iterations: usize,
        /// Seed of the k-means' start and sample.
        seed: u64,
    },
    /// [`NeighbourSearch::Exact`] up to [`AUTO_EXACT_MAX`] points, the inverted file with
    /// FAISS's cell count ([`NeighbourSearch::inverted_file`]) above.
    Auto {
        /// Cells searched per point by the inverted file.
        probes: usize,
        /// Seed of its k-means.
        seed: u64,
    },
}

impl NeighbourSearch {
    /// The inverted file with FAISS's cell count (about `4·√n`), `probes` cells searched per
    /// point, and its k-means started from `seed`.
    pub fn inverted_file(probes: usize, seed: u64) -> Self {
        Self::InvertedFile {
            cells: None,
            probes,
            iterations: KMEANS_ROUNDS,
            seed,
        }
    }

    /// The search used for `n` points: [`NeighbourSearch::Auto`] made exact or an inverted
    /// file, any other as it is.
    pub fn for_points(self, n: usize) -> Self {
        match self {
            Self::Auto { .. } if n <= AUTO_EXACT_MAX => Self::Exact,
            Self::Auto { probes, seed } => Self::inverted_file(probes, seed),
            other => other,
        }
    }

    /// Check the inverted file's settings are at least 1, naming the one that is not (the
    /// cells' upper bound, the number of points, is checked when the file is built).
    pub fn validate(&self) -> Result<()> {
        if let Self::Auto { probes: 0, .. } = *self {
            return Err(InvalidParam::new("probes", "at least 1", 0).into());
        }
        if let Self::InvertedFile {
            cells,
            probes,
            iterations,
            ..
        } = *self
        {
            for (name, value) in [
                ("cells", cells.unwrap_or(1)),
                ("probes", probes),
                ("iterations", iterations),
            ] {
                if value == 0 {
                    return Err(InvalidParam::new(name, "at least 1", 0).into());
                }
            }
        }
        Ok(())
    }

    /// The `k` nearest of `points` to each of them (each point itself first).
    pub fn neighbours(&self, points: &Points, k: usize, device: &Device) -> Result<Neighbours> {
        self.validate()?;
        let n = points.len();
        match self.for_points(n) {
            // `for_points` leaves no `Auto`
            Self::Exact | Self::Auto { .. } => knn(points, points, k, device, EXACT_TILE),
            Self::InvertedFile {
                cells,
                probes,
                iterations,
                seed,
            } => {
                let cells =
                    cells.unwrap_or_else(|| ((4.0 * (n as f64).sqrt()) as usize).clamp(1, n));
                let file = InvertedFile::build(points, cells, iterations, seed, device)?;
                file.search(points, points, k, probes.min(cells), device)
            }
        }
    }
}

impl Hdbscan {
    /// Cluster `points` from neighbour lists of `k` (at least `min_samples`) found by `search`.
    pub fn fit_search(
        &self,
        points: &Points,
        search: NeighbourSearch,
        k: usize,
        device: &Device,
    ) -> Result<Clustering> {
        let k = k.max(self.effective_min_samples()).min(points.len());
        let nn = search.neighbours(points, k, device)?;
        self.fit_neighbours(points, &nn, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tight groups of 30 points far apart, and the search that finds them alike.
    #[test]
    fn both_searches_find_two_separate_groups() {
        let mut values = Vec::new();
        for i in 0..60 {
            let centre = if i < 30 { 0.0 } else { 100.0 };
            let t = i as f64 * 0.37;
            values.extend([centre + t.sin(), centre + t.cos() * 0.5]);
        }
        let points = Points::new(values, 2).unwrap();
        let device = Device::flex();
        let hdbscan = Hdbscan {
            min_cluster_size: 10,
            ..Default::default()
        };
        let exact = hdbscan.fit(&points).unwrap().labels;
        for search in [NeighbourSearch::Exact, NeighbourSearch::inverted_file(8, 3)] {
            let labels = hdbscan
                .fit_search(&points, search, 15, &device)
                .unwrap()
                .labels;
            assert_eq!(labels, exact, "{search:?}");
        }
        assert_ne!(exact[0], exact[59]);
        assert!(exact.iter().all(|&l| l >= 0));
        // the inverted file's own settings are checked
        let bad = NeighbourSearch::InvertedFile {
            cells: Some(100),
            probes: 1,
            iterations: 10,
            seed: 1,
        };
        let e = hdbscan.fit_search(&points, bad, 15, &device).unwrap_err();
        assert!(
            e.to_string()
                .contains("cells must be between 1 and the 60 points"),
            "{e}"
        );
        let none = NeighbourSearch::InvertedFile {
            cells: None,
            probes: 0,
            iterations: 10,
            seed: 1,
        };
        let e = hdbscan.fit_search(&points, none, 15, &device).unwrap_err();
        assert_eq!(e.to_string(), "probes must be at least 1, got 0");
    }

    /// `Auto` is the exact search up to [`AUTO_EXACT_MAX`] points and the inverted file above;
    /// the other searches stay as they are; its probes are checked like the file's.
    #[test]
    fn auto_is_exact_up_to_its_bound_and_an_inverted_file_above() {
        let auto = NeighbourSearch::Auto { probes: 8, seed: 3 };
        assert_eq!(auto.for_points(AUTO_EXACT_MAX), NeighbourSearch::Exact);
        assert_eq!(
            auto.for_points(AUTO_EXACT_MAX + 1),
            NeighbourSearch::inverted_file(8, 3)
        );
        let ivf = NeighbourSearch::inverted_file(4, 1);
        assert_eq!(ivf.for_points(10), ivf);
        assert_eq!(
            NeighbourSearch::Exact.for_points(10_000_000),
            NeighbourSearch::Exact
        );
        let e = NeighbourSearch::Auto { probes: 0, seed: 3 }
            .validate()
            .unwrap_err();
        assert_eq!(e.to_string(), "probes must be at least 1, got 0");
    }
}

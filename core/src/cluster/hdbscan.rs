//! HDBSCAN's settings, its input points and its result.

use super::graph::{core_from_neighbours, spanning_tree};
use super::knn::Neighbours;
use super::mst::{Edge, core_distances, mutual_reachability_mst};
use super::tree::{
    ClusterSelection, CondensedTree, Selection, condense, label_points, select_clusters,
    single_linkage,
};
use crate::error::{Error, InvalidParam, Result};

/// Euclidean distance.
pub(crate) fn euclidean(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// `n` points of `d` dimensions, row-major, every value finite.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    values: Vec<f64>,
    dim: usize,
}

impl Points {
    /// Points from row-major `values` of width `dim`; NaN and ±∞ are refused naming the point
    /// and dimension.
    pub fn new(values: Vec<f64>, dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::Cluster("points need at least one dimension".into()));
        }
        if !values.len().is_multiple_of(dim) {
            return Err(Error::Cluster(format!(
                "{} values do not make rows of {dim}",
                values.len()
            )));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::Cluster(format!(
                "point {}, dimension {} is {} (every value must be finite)",
                i / dim,
                i % dim,
                values[i]
            )));
        }
        Ok(Self { values, dim })
    }

    /// `n`.
    pub fn len(&self) -> usize {
        self.values.len() / self.dim
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `d`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Point `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// The points at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Result<Points> {
        Points::new(
            indices.iter().flat_map(|&i| self.row(i).to_vec()).collect(),
            self.dim,
        )
    }
}

/// HDBSCAN's settings (scikit-learn's names and defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hdbscan {
    /// Smallest group of points that counts as a cluster (at least 2).
    pub min_cluster_size: usize,
    /// Neighbours (the point itself included) whose distance is a point's core distance;
    /// `None`: `min_cluster_size`.
    pub min_samples: Option<usize>,
    /// Clusters split below this distance are merged back (0: off).
    pub cluster_selection_epsilon: f64,
    /// Excess of mass or leaves.
    pub selection: ClusterSelection,
    /// Allow all points in one cluster.
    pub allow_single_cluster: bool,
    /// Excess of mass selects no cluster larger than this (None: no limit).
    pub max_cluster_size: Option<usize>,
}

impl Default for Hdbscan {
    fn default() -> Self {
        Self {
            min_cluster_size: 5,
            min_samples: None,
            cluster_selection_epsilon: 0.0,
            selection: ClusterSelection::ExcessOfMass,
            allow_single_cluster: false,
            max_cluster_size: None,
        }
    }
}

/// What HDBSCAN finds.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Per point: its cluster (`0..k`) or `−1` for noise.
    pub labels: Vec<i32>,
    /// Per point: how strongly it belongs to its cluster, in `[0, 1]` (0 for noise).
    pub probabilities: Vec<f64>,
    /// Per point: its GLOSH outlier score in `[0, 1]` (higher: more of an outlier).
    pub outlier_scores: Vec<f64>,
    /// The condensed tree.
    pub tree: CondensedTree,
    /// Stability (excess of mass) of every cluster of the tree, indexed by `id − n`.
    pub stabilities: Vec<f64>,
    /// The condensed-tree ids of the selected clusters: label `i` is `clusters[i]`.
    pub clusters: Vec<usize>,
    /// Core distance of every point.
    pub core_distances: Vec<f64>,
    /// The `min_samples` the core distances were taken with.
    pub min_samples: usize,
}

/// Where a new point lands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Its cluster (`0..k`) or `−1` for noise.
    pub label: i32,
    /// Membership strength in `[0, 1]` (0 for noise).
    pub probability: f64,
    /// The training point it attached to (its nearest in mutual reachability).
    pub neighbour: usize,
}

impl Hdbscan {
    /// Check every setting is in range, naming it.
    pub fn validate(&self) -> Result<()> {
        if self.min_cluster_size < 2 {
            return Err(
                InvalidParam::new("min_cluster_size", "at least 2", self.min_cluster_size).into(),
            );
        }
        if self.min_samples == Some(0) {
            return Err(InvalidParam::new("min_samples", "at least 1", 0).into());
        }
        let epsilon = self.cluster_selection_epsilon;
        if !(epsilon.is_finite() && epsilon >= 0.0) {
            let expected = "a finite number at least 0";
            return Err(InvalidParam::new("cluster_selection_epsilon", expected, epsilon).into());
        }
        if self.max_cluster_size == Some(0) {
            return Err(InvalidParam::new("max_cluster_size", "at least 1", 0).into());
        }
        Ok(())
    }

    /// The neighbours a core distance is taken over: `min_samples`, or `min_cluster_size` when
    /// it is unset (scikit-learn's convention).
    pub fn effective_min_samples(&self) -> usize {
        self.min_samples.unwrap_or(self.min_cluster_size)
    }

    /// The settings checked, and the `min_samples` a run on `n` points takes.
    fn check(&self, n: usize) -> Result<usize> {
        self.validate()?;
        let min_samples = self.effective_min_samples();
        if n < min_samples {
            return Err(Error::Cluster(format!(
                "{n} points are fewer than min_samples = {min_samples}"
            )));
        }
        Ok(min_samples)
    }

    /// Cluster `points` exactly (every pair's distance; `O(n²·d)` time, `O(n)` memory).
    pub fn fit(&self, points: &Points) -> Result<Clustering> {
        let n = points.len();
        let min_samples = self.check(n)?;
        let core = core_distances(points, min_samples);
        let mst = mutual_reachability_mst(points, &core);
        Ok(self.finish(n, min_samples, core, mst))
    }

    /// Cluster `points` from their neighbour lists (each point itself first, at least
    /// `min_samples` long; exact from [`super::knn`] or approximate from an
    /// [`super::InvertedFile`]): the large-`N` path of [`super::graph`], whose joining of
    /// separate components searches on `device`.
    pub fn fit_neighbours(
        &self,
        points: &Points,
        nn: &Neighbours,
        device: &burn::prelude::Device,
    ) -> Result<Clustering> {
        let n = points.len();
        let min_samples = self.check(n)?;
        if nn.indices.len() != n * nn.k || nn.k < min_samples {
            return Err(Error::Cluster(format!(
                "neighbour lists must hold at least min_samples = {min_samples} neighbours for each of the {n} points"
            )));
        }
        let core = core_from_neighbours(nn, min_samples);
        let mst = spanning_tree(points, nn, &core, device)?;
        Ok(self.finish(n, min_samples, core, mst))
    }

    /// Steps 3–5 from the spanning tree.
    fn finish(&self, n: usize, min_samples: usize, core: Vec<f64>, mst: Vec<Edge>) -> Clustering {
        let hierarchy = single_linkage(mst, n);
        let tree = condense(&hierarchy, n, self.min_cluster_size);
        let selection = Selection {
            method: self.selection,
            epsilon: self.cluster_selection_epsilon,
            allow_single_cluster: self.allow_single_cluster,
            max_cluster_size: self.max_cluster_size,
        };
        let clusters = select_clusters(&tree, &selection);
        let (labels, probabilities, outlier_scores) = label_points(&tree, &clusters, &selection);
        Clustering {
            labels,
            probabilities,
            outlier_scores,
            stabilities: tree.stabilities(),
            tree,
            clusters,
            core_distances: core,
            min_samples,
        }
    }
}

impl Clustering {
    /// Place new points without refitting (HDBSCAN's approximate predict, what scoring a new
    /// session uses): a query's core distance is the distance to its `min_samples`-th nearest
    /// training point (so a training point queried again keeps its own); among its
    /// `2·min_samples` nearest training points it attaches to the nearest in mutual
    /// reachability, `m`, at density `λ = 1 / d_mreach`; it joins `m`'s cluster at the lower of
    /// `λ` and `m`'s own density, or the ancestor cluster alive at `λ`; its label is that of the
    /// selected cluster holding it, or noise. `points` must be the points this clustering was
    /// fitted on.
    pub fn predict(
        &self,
        points: &Points,
        queries: &Points,
        device: &burn::prelude::Device,
    ) -> Result<Vec<Placement>> {
        if points.len() != self.labels.len() {
            return Err(Error::Cluster(format!(
                "the clustering was fitted on {} points, not {}",
                self.labels.len(),
                points.len()
            )));
        }
        let k = (2 * self.min_samples).min(points.len());
        let nn = super::knn::knn(points, queries, k, device, 1 << 22)?;
        Ok((0..queries.len())
            .map(|q| {
                let found: Vec<(usize, f64)> = nn.of(q).collect();
                let core = found[(self.min_samples - 1).min(found.len() - 1)].1;
                let (neighbour, reach) = found
                    .iter()
                    .map(|&(j, d)| (j, d.max(core).max(self.core_distances[j])))
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .unwrap_or((0, f64::INFINITY));
                let lambda = if reach > 0.0 {
                    1.0 / reach
                } else {
                    f64::INFINITY
                };
                let (label, probability) = self.tree.place(neighbour, lambda, &self.clusters);
                Placement {
                    label,
                    probability,
                    neighbour,
                }
            })
            .collect())
    }
}

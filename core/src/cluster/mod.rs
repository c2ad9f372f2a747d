//! Density-based clustering of behavior embeddings (FinDeepBehaviorCluster §3.4): HDBSCAN
//! (Campello, Moulavi & Sander 2013; McInnes, Healy & Astels 2017) in the paper's five steps —
//!
//! 1. transform the space: core distances from the `min_samples` nearest neighbours and the
//!    mutual reachability `d_mreach(a, b) = max(core(a), core(b), d(a, b))`;
//! 2. the minimum spanning tree of the mutual-reachability graph ([`mst`]);
//! 3. the single-linkage hierarchy of connected components, by union-find ([`tree`]);
//! 4. the hierarchy condensed by `min_cluster_size`, by an explicit stack rather than recursion;
//! 5. stable clusters extracted by excess of mass (or the leaves), with membership
//!    probabilities and GLOSH outlier scores.
//!
//! Hand-written because it is the product; checked against scikit-learn's `HDBSCAN` on
//! standard data sets (fixtures in `tests/data/hdbscan/`).

pub mod graph;
pub mod hdbscan;
pub mod ivf;
pub mod knn;
pub mod mst;
pub mod rules;
pub mod search;
pub mod tree;

pub use hdbscan::{Clustering, Hdbscan, Placement, Points};
pub use ivf::InvertedFile;
pub use knn::{Neighbours, knn};
pub use rules::{Candidate, Condition, Rule, RuleSettings, select_rules};
pub use search::NeighbourSearch;
pub use tree::{ClusterSelection, CondensedRow, CondensedTree};

#[cfg(test)]
mod tests;

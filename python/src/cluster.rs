//! `seqrisk.cluster`'s engine: core's HDBSCAN over arrays handed across as raw little-endian
//! bytes (`numpy.ndarray.tobytes()` of C-ordered float64 rows), so no Python object is built per
//! value and the layer needs no NumPy headers. The estimator (`seqrisk/cluster.py`) checks and
//! converts the arrays; this layer converts bytes and calls core.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use seqrisk_core::cluster::{ClusterSelection, Clustering, Hdbscan, NeighbourSearch, Points};
use seqrisk_core::error::Error;

use crate::py_err;

/// Row-major `rows × dim` float64 values from their bytes.
fn points(values: &[u8], dim: usize) -> PyResult<Points> {
    if !values.len().is_multiple_of(8) {
        return Err(PyValueError::new_err(format!(
            "{} bytes are not float64 values",
            values.len()
        )));
    }
    let values = values
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default()))
        .collect();
    Points::new(values, dim).map_err(py_err)
}

/// Little-endian bytes of `values`.
fn bytes<'py, T: Copy, const N: usize>(
    py: Python<'py>,
    values: impl IntoIterator<Item = T>,
    to_le: impl Fn(T) -> [u8; N],
) -> Bound<'py, PyBytes> {
    let out: Vec<u8> = values.into_iter().flat_map(to_le).collect();
    PyBytes::new(py, &out)
}

/// A fitted HDBSCAN: the points it was fitted on (for placing new ones) and what it found.
#[pyclass(module = "seqrisk._seqrisk", name = "HdbscanFit", frozen)]
pub(crate) struct HdbscanFit {
    points: Points,
    clustering: Clustering,
}

#[pymethods]
impl HdbscanFit {
    /// Fit on `rows × dim` float64 values (`X.tobytes()`). `method`: `"eom"` or `"leaf"`;
    /// `neighbours`: `"exact"` (every pairwise distance, scikit-learn's result) or `"ivf"` (an
    /// inverted file: `n_neighbors` per point from `probes` of about `4·√n` cells). The GIL is
    /// released while it runs.
    #[staticmethod]
    #[pyo3(signature = (values, dim, min_cluster_size, min_samples, cluster_selection_epsilon, method, allow_single_cluster, max_cluster_size, neighbours, n_neighbors, probes, seed))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        values: &[u8],
        dim: usize,
        min_cluster_size: usize,
        min_samples: Option<usize>,
        cluster_selection_epsilon: f64,
        method: &str,
        allow_single_cluster: bool,
        max_cluster_size: Option<usize>,
        neighbours: &str,
        n_neighbors: usize,
        probes: usize,
        seed: u64,
    ) -> PyResult<Self> {
        let selection = match method {
            "eom" => ClusterSelection::ExcessOfMass,
            "leaf" => ClusterSelection::Leaf,
            other => {
                return Err(PyValueError::new_err(format!(
                    "cluster_selection_method must be \"eom\" or \"leaf\", got {other:?}"
                )));
            }
        };
        let search = match neighbours {
            "exact" => None,
            "ivf" => Some(NeighbourSearch::inverted_file(probes, seed)),
            "auto" => Some(NeighbourSearch::Auto { probes, seed }),
            other => {
                return Err(PyValueError::new_err(format!(
                    "neighbours must be \"exact\", \"ivf\" or \"auto\", got {other:?}"
                )));
            }
        };
        let hdbscan = Hdbscan {
            min_cluster_size,
            min_samples,
            cluster_selection_epsilon,
            selection,
            allow_single_cluster,
            max_cluster_size,
        };
        let points = points(values, dim)?;
        let clustering = py
            .detach(|| -> Result<Clustering, Error> {
                // "auto" below its bound is "exact": every distance, scikit-learn's result
                match search.map(|s| s.for_points(points.len())) {
                    None | Some(NeighbourSearch::Exact) => hdbscan.fit(&points),
                    Some(search) => hdbscan.fit_search(
                        &points,
                        search,
                        n_neighbors,
                        &burn::prelude::Device::flex(),
                    ),
                }
            })
            .map_err(py_err)?;
        Ok(Self { points, clustering })
    }

    /// Per point: its cluster or −1, as int32 bytes.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        bytes(py, self.clustering.labels.iter().copied(), i32::to_le_bytes)
    }

    /// Per point: its membership strength, as float64 bytes.
    #[getter]
    fn probabilities<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        bytes(
            py,
            self.clustering.probabilities.iter().copied(),
            f64::to_le_bytes,
        )
    }

    /// Per point: its GLOSH outlier score, as float64 bytes.
    #[getter]
    fn outlier_scores<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        bytes(
            py,
            self.clustering.outlier_scores.iter().copied(),
            f64::to_le_bytes,
        )
    }

    /// The condensed tree's columns: `parent`, `child` and `child_size` as int64 bytes,
    /// `lambda_val` as float64 bytes (scikit-learn's names).
    #[getter]
    fn condensed_tree<'py>(
        &self,
        py: Python<'py>,
    ) -> (
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
    ) {
        let rows = &self.clustering.tree.rows;
        let int = |v: usize| (v as i64).to_le_bytes();
        (
            bytes(py, rows.iter().map(|r| r.parent), int),
            bytes(py, rows.iter().map(|r| r.child), int),
            bytes(py, rows.iter().map(|r| r.lambda), f64::to_le_bytes),
            bytes(py, rows.iter().map(|r| r.size), int),
        )
    }

    /// Place new points (`rows × dim` float64 bytes) without refitting: (labels as int32
    /// bytes, probabilities as float64 bytes).
    fn approximate_predict<'py>(
        &self,
        py: Python<'py>,
        values: &[u8],
    ) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        let queries = points(values, self.points.dim())?;
        let placed = py
            .detach(|| {
                self.clustering
                    .predict(&self.points, &queries, &burn::prelude::Device::flex())
            })
            .map_err(py_err)?;
        Ok((
            bytes(py, placed.iter().map(|p| p.label), i32::to_le_bytes),
            bytes(py, placed.iter().map(|p| p.probability), f64::to_le_bytes),
        ))
    }
}

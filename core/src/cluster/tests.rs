//! HDBSCAN against scikit-learn's labels and condensed trees (tests/data/hdbscan/, written by
//! scripts/hdbscan-fixtures.py), and on degenerate inputs.

use super::*;
use crate::metrics::adjusted_rand_index;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/hdbscan")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn points(doc: &Value) -> Points {
    let rows = doc["points"].as_array().unwrap();
    let dim = rows[0].as_array().unwrap().len();
    let values = rows
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
        .collect();
    Points::new(values, dim).unwrap()
}

fn settings(p: &Value) -> Hdbscan {
    Hdbscan {
        min_cluster_size: p["min_cluster_size"].as_u64().unwrap() as usize,
        min_samples: p["min_samples"].as_u64().map(|m| m as usize),
        cluster_selection_epsilon: p["cluster_selection_epsilon"].as_f64().unwrap_or(0.0),
        selection: match p["cluster_selection_method"].as_str() {
            Some("leaf") => ClusterSelection::Leaf,
            _ => ClusterSelection::ExcessOfMass,
        },
        allow_single_cluster: p["allow_single_cluster"].as_bool().unwrap_or(false),
        max_cluster_size: None,
    }
}

fn ints(v: &Value) -> Vec<i32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap() as i32)
        .collect()
}

/// On every data set and parameter set: the labels, probabilities and cluster stabilities are
/// scikit-learn's own pipeline's (its MST, linkage, condensing and selection) with tied MST
/// edges in a stable order — labels identical, stabilities within 1e-6 relative; and against
/// `HDBSCAN().fit` as is (numpy's unstable sort of the tied edges) the ARI is ≥ 0.99 wherever
/// scikit-learn's two orderings agree with each other to 0.99, and exactly theirs elsewhere.
#[test]
fn matches_scikit_learn_on_standard_data_sets() {
    for name in ["blobs", "moons", "iris", "breast-cancer", "small"] {
        let doc = fixture(name);
        let pts = points(&doc);
        for run in doc["runs"].as_array().unwrap() {
            let params = &run["params"];
            let ours = settings(params).fit(&pts).unwrap();
            assert_eq!(ours.labels, ints(&run["stable_labels"]), "{name} {params}");
            for (a, b) in ours
                .probabilities
                .iter()
                .zip(run["stable_probabilities"].as_array().unwrap())
            {
                assert!((a - b.as_f64().unwrap()).abs() < 1e-9, "{name} {params}");
            }
            let rows = run["condensed_tree"].as_array().unwrap();
            assert_eq!(ours.tree.rows.len(), rows.len(), "{name} {params}");
            for (k, v) in run["stabilities"].as_object().unwrap() {
                let id: usize = k.parse().unwrap();
                let (a, b) = (ours.stabilities[id - pts.len()], v.as_f64().unwrap());
                assert!(
                    (a - b).abs() <= 1e-6 * b.abs().max(1e-12),
                    "{name} {params}: cluster {id} stability {a} vs {b}"
                );
            }
            let ari = adjusted_rand_index(&ours.labels, &ints(&run["labels"])).unwrap();
            let sklearn_self = run["sklearn_ari_stable_vs_default"].as_f64().unwrap();
            eprintln!(
                "{name} {params}: ARI vs HDBSCAN().fit {ari:.4} (scikit-learn stable vs its default order: {sklearn_self:.4})"
            );
            if sklearn_self >= 0.99 {
                assert!(ari >= 0.99, "{name} {params}: ARI {ari}");
            } else {
                assert!((ari - sklearn_self).abs() < 1e-12, "{name} {params}");
            }
        }
    }
}

/// The small fixture's condensed tree row by row.
#[test]
fn condensed_tree_rows_match_on_a_small_input() {
    let doc = fixture("small");
    let pts = points(&doc);
    let run = &doc["runs"][0];
    let ours = settings(&run["params"]).fit(&pts).unwrap();
    let mut theirs: Vec<(usize, usize, f64, usize)> = run["condensed_tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_u64().unwrap() as usize,
                r[1].as_u64().unwrap() as usize,
                r[2].as_f64().unwrap(),
                r[3].as_u64().unwrap() as usize,
            )
        })
        .collect();
    let mut mine: Vec<(usize, usize, f64, usize)> = ours
        .tree
        .rows
        .iter()
        .map(|r| (r.parent, r.child, r.lambda, r.size))
        .collect();
    let key = |r: &(usize, usize, f64, usize)| (r.0, r.1);
    theirs.sort_by_key(key);
    mine.sort_by_key(key);
    for (a, b) in mine.iter().zip(&theirs) {
        assert_eq!((a.0, a.1, a.3), (b.0, b.1, b.3));
        assert!((a.2 - b.2).abs() <= 1e-9 * b.2.abs(), "{a:?} vs {b:?}");
    }
}

#[test]
fn duplicate_and_identical_points() {
    // two tight groups of exact duplicates and a far point
    let mut values = Vec::new();
    for _ in 0..6 {
        values.extend([0.0, 0.0]);
    }
    for _ in 0..6 {
        values.extend([10.0, 10.0]);
    }
    values.extend([50.0, -50.0]);
    let pts = Points::new(values, 2).unwrap();
    let c = Hdbscan {
        min_cluster_size: 3,
        ..Default::default()
    }
    .fit(&pts)
    .unwrap();
    assert_eq!(c.labels[..6], [0; 6]);
    assert_eq!(c.labels[6..12], [1; 6]);
    assert_eq!(c.labels[12], -1);
    // duplicates sit at infinite density: full membership
    assert!(c.probabilities[..12].iter().all(|&p| p == 1.0));
    assert!(c.outlier_scores[12] > c.outlier_scores[0]);
    // all points identical: no split, so no cluster unless a single cluster is allowed
    let same = Points::new(vec![1.5; 20], 2).unwrap();
    let c = Hdbscan::default().fit(&same).unwrap();
    assert!(c.labels.iter().all(|&l| l == -1));
    let c = Hdbscan {
        allow_single_cluster: true,
        ..Default::default()
    }
    .fit(&same)
    .unwrap();
    assert!(c.labels.iter().all(|&l| l == 0), "{:?}", c.labels);
}

#[test]
fn bad_inputs_are_refused() {
    let err = Points::new(vec![0.0, 1.0, f64::NAN, 2.0], 2)
        .unwrap_err()
        .to_string();
    assert!(err.contains("point 1, dimension 0 is NaN"), "{err}");
    let err = Points::new(vec![0.0, f64::INFINITY], 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("point 1, dimension 0 is inf"), "{err}");
    assert!(Points::new(vec![0.0; 3], 2).is_err());
    let few = Points::new(vec![0.0, 1.0, 2.0], 1).unwrap();
    let err = Hdbscan::default().fit(&few).unwrap_err().to_string();
    assert!(
        err.contains("3 points are fewer than min_samples = 5"),
        "{err}"
    );
    let err = Hdbscan {
        min_cluster_size: 1,
        ..Default::default()
    }
    .fit(&few)
    .unwrap_err()
    .to_string();
    assert!(err.contains("min_cluster_size must be at least 2"), "{err}");
}

/// Predicting the training points gives their labels back; a point near a cluster's middle
/// joins it with a high membership; a far point is noise.
#[test]
fn predict_places_points_like_fitting() {
    let doc = fixture("blobs");
    let pts = points(&doc);
    let hdb = settings(&doc["runs"][1]["params"]);
    let fitted = hdb.fit(&pts).unwrap();
    let device = burn::prelude::Device::flex();
    let again = fitted.predict(&pts, &pts, &device).unwrap();
    let labels: Vec<i32> = again.iter().map(|p| p.label).collect();
    assert_eq!(labels, fitted.labels);
    // the mean of each cluster's points, and a point far from everything
    let k = fitted.clusters.len();
    let mut queries = Vec::new();
    for c in 0..k as i32 {
        let members: Vec<usize> = (0..pts.len()).filter(|&i| fitted.labels[i] == c).collect();
        for d in 0..pts.dim() {
            let mean = members.iter().map(|&i| pts.row(i)[d]).sum::<f64>() / members.len() as f64;
            queries.push(mean);
        }
    }
    queries.extend(vec![1e3; pts.dim()]);
    let queries = Points::new(queries, pts.dim()).unwrap();
    let placed = fitted.predict(&pts, &queries, &device).unwrap();
    for (c, p) in placed.iter().take(k).enumerate() {
        assert_eq!(p.label, c as i32, "{placed:?}");
        assert!(p.probability > 0.5, "{placed:?}");
    }
    assert_eq!((placed[k].label, placed[k].probability), (-1, 0.0));
    let err = fitted
        .predict(&queries, &queries, &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("fitted on 400 points"), "{err}");
}

/// The neighbour-list path: with every point as a neighbour its tree weighs what the exact
/// MST weighs and the labels agree up to tied edges; with `2·min_samples` exact neighbours, and with the
/// inverted file's approximate ones, the labels stay close to the exact clustering's.
#[test]
fn neighbour_lists_give_the_exact_clustering_or_close() {
    let device = burn::prelude::Device::flex();
    // blobs' second run: its labels do not hang on the order of tied edges (see above)
    for (name, run) in [("blobs", 1), ("moons", 0), ("iris", 0)] {
        let doc = fixture(name);
        let pts = points(&doc);
        let hdb = settings(&doc["runs"][run]["params"]);
        let exact = hdb.fit(&pts).unwrap();
        let all = knn(&pts, &pts, pts.len(), &device, 1 << 20).unwrap();
        // a minimum spanning tree either way: the same total weight
        let weight = |edges: Vec<mst::Edge>| edges.iter().map(|e| e.distance).sum::<f64>();
        let (w_prim, w_kruskal) = (
            weight(mst::mutual_reachability_mst(&pts, &exact.core_distances)),
            weight(graph::spanning_tree(&pts, &all, &exact.core_distances, &device).unwrap()),
        );
        assert!(
            (w_prim - w_kruskal).abs() < 1e-9 * w_prim,
            "{name}: {w_prim} vs {w_kruskal}"
        );
        let full = hdb.fit_neighbours(&pts, &all, &device).unwrap();
        let ari = adjusted_rand_index(&full.labels, &exact.labels).unwrap();
        // equal-weight edges allow several minimum spanning trees; only those ties differ
        assert!(ari >= 0.98, "{name}: all neighbours ARI {ari}");
        let ms = exact.min_samples;
        let few = knn(&pts, &pts, 2 * ms, &device, 1 << 20).unwrap();
        let from_few = hdb.fit_neighbours(&pts, &few, &device).unwrap();
        let ari_few = adjusted_rand_index(&from_few.labels, &exact.labels).unwrap();
        let ivf = InvertedFile::build(&pts, 8, 10, 1, &device).unwrap();
        let approx = ivf.search(&pts, &pts, 2 * ms, 3, &device).unwrap();
        let from_ivf = hdb.fit_neighbours(&pts, &approx, &device).unwrap();
        let ari_ivf = adjusted_rand_index(&from_ivf.labels, &from_few.labels).unwrap();
        eprintln!(
            "{name}: ARI all {ari:.4}, {}-NN vs exact {ari_few:.4}, IVF vs exact kNN {ari_ivf:.4}",
            2 * ms
        );
        assert!(ari_few >= 0.95, "{name}: {ari_few}");
        assert!(ari_ivf >= 0.95, "{name}: {ari_ivf}");
    }
    let doc = fixture("small");
    let pts = points(&doc);
    let short = knn(&pts, &pts, 2, &device, 1 << 20).unwrap();
    let err = Hdbscan {
        min_cluster_size: 4,
        ..Default::default()
    }
    .fit_neighbours(&pts, &short, &device)
    .unwrap_err()
    .to_string();
    assert!(err.contains("at least min_samples = 4 neighbours"), "{err}");
}

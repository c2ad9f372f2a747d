//! `seqrisk-bench cluster`: HDBSCAN at scale, side by side on the same points — seqrisk from
//! exact neighbour lists (the tiled device search), seqrisk from inverted-file neighbour lists
//! (the paper's pHDBSCAN, Optimisation 3), and, when a Python with them is given, scikit-learn's
//! `HDBSCAN` and `fast_hdbscan` run as subprocesses under a time limit
//! (`bench/reference/cluster.py`). Time, peak memory of the fit, clusters found and the
//! adjusted Rand index against the planted blobs and against seqrisk's exact result.
//!
//! The points are Gaussian blobs as scikit-learn's `make_blobs` draws them (centres uniform in
//! `[−10, 10]^d`, unit standard deviation) with 1% uniform noise in the same box.

use crate::allocator::CountingAlloc;
use anyhow::{Context, Result, bail};
use burn::prelude::Device;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use seqrisk_core::cluster::{Hdbscan, NeighbourSearch, Points};
use seqrisk_core::metrics::adjusted_rand_index;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Settings of the benchmark.
#[derive(Debug, Clone)]
pub struct ClusterBenchOptions {
    /// Numbers of points.
    pub sizes: Vec<usize>,
    /// Dimensions.
    pub dim: usize,
    /// Planted blobs.
    pub centers: usize,
    /// HDBSCAN's `min_cluster_size`.
    pub min_cluster_size: usize,
    /// HDBSCAN's `min_samples`.
    pub min_samples: usize,
    /// Neighbours per point in seqrisk's graph.
    pub neighbours: usize,
    /// Cells probed per query by the inverted file.
    pub probes: usize,
    /// Largest size seqrisk's exact search runs at (`O(N²·d)`).
    pub exact_limit: usize,
    /// A Python with scikit-learn and fast_hdbscan, for the references.
    pub python: Option<PathBuf>,
    /// Time limit of each reference run.
    pub timeout: Duration,
    /// Where the points and the references' labels are exchanged.
    pub work_dir: PathBuf,
    /// Seed of the points.
    pub seed: u64,
}

/// One implementation on one data set.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterRun {
    /// Points.
    pub points: usize,
    /// Which implementation.
    pub implementation: String,
    /// Wall seconds of the fit (neighbours included), when it finished.
    pub seconds: Option<f64>,
    /// Of which the neighbour search (seqrisk).
    pub neighbour_seconds: Option<f64>,
    /// Peak memory the fit added (seqrisk: heap, counted by the allocator; Python: peak
    /// resident set over the resident set before the fit).
    pub peak_bytes: Option<u64>,
    /// Clusters found.
    pub clusters: Option<usize>,
    /// Share of the points left as noise.
    pub noise: Option<f64>,
    /// ARI against the planted blobs (noise points as one more group).
    pub ari_truth: Option<f64>,
    /// ARI against seqrisk's exact result on the same points.
    pub ari_exact: Option<f64>,
    /// Why there is no result (skipped, timed out, failed).
    pub note: Option<String>,
}

impl ClusterRun {
    /// A run of `implementation` on `points` points with nothing measured yet.
    fn pending(points: usize, implementation: &str) -> Self {
        Self {
            points,
            implementation: implementation.into(),
            seconds: None,
            neighbour_seconds: None,
            peak_bytes: None,
            clusters: None,
            noise: None,
            ari_truth: None,
            ari_exact: None,
            note: None,
        }
    }
}

/// The planted points, row-major, and their blob (−1 for the uniform noise).
fn blobs(n: usize, d: usize, centers: usize, seed: u64) -> (Vec<f64>, Vec<i32>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let c: Vec<f64> = (0..centers * d)
        .map(|_| rng.random_range(-10.0..10.0))
        .collect();
    let mut values = Vec::with_capacity(n * d);
    let mut truth = Vec::with_capacity(n);
    for i in 0..n {
        if i % 100 == 99 {
            values.extend((0..d).map(|_| rng.random_range(-10.0..10.0)));
            truth.push(-1);
        } else {
            let b = rng.random_range(0..centers);
            values.extend((0..d).map(|j| {
                let z: f64 = StandardNormal.sample(&mut rng);
                c[b * d + j] + z
            }));
            truth.push(b as i32);
        }
    }
    (values, truth)
}

fn summary(labels: &[i32]) -> (usize, f64) {
    let clusters = labels.iter().copied().max().map_or(0, |m| (m + 1).max(0)) as usize;
    let noise = labels.iter().filter(|&&l| l < 0).count() as f64 / labels.len().max(1) as f64;
    (clusters, noise)
}

/// Run seqrisk's HDBSCAN from neighbour lists made by `neighbours`, timing and metering it.
fn seqrisk_run(
    points: &Points,
    hdbscan: &Hdbscan,
    name: &str,
    neighbours: impl FnOnce(&Points) -> seqrisk_core::Result<seqrisk_core::cluster::Neighbours>,
) -> Result<(ClusterRun, Vec<i32>)> {
    let device = Device::flex();
    let base = CountingAlloc.current_usage();
    CountingAlloc.reset_peak_usage();
    let started = Instant::now();
    let nn = neighbours(points)?;
    let neighbour_seconds = started.elapsed().as_secs_f64();
    let clustering = hdbscan.fit_neighbours(points, &nn, &device)?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = CountingAlloc.peak_usage().saturating_sub(base) as u64;
    let (clusters, noise) = summary(&clustering.labels);
    Ok((
        ClusterRun {
            points: points.len(),
            implementation: name.into(),
            seconds: Some(seconds),
            neighbour_seconds: Some(neighbour_seconds),
            peak_bytes: (CountingAlloc.current_usage() > 0).then_some(peak),
            clusters: Some(clusters),
            noise: Some(noise),
            ari_truth: None,
            ari_exact: None,
            note: None,
        },
        clustering.labels,
    ))
}

/// Run one reference implementation in a subprocess under the time limit.
fn reference_run(
    python: &Path,
    implementation: &str,
    data: &Path,
    n: usize,
    opts: &ClusterBenchOptions,
) -> Result<(ClusterRun, Option<Vec<i32>>)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/reference/cluster.py");
    let labels_path = opts.work_dir.join(format!("{implementation}-{n}.labels"));
    let mut child = Command::new(python)
        .arg(&script)
        .arg(implementation)
        .arg(data)
        .arg(n.to_string())
        .arg(opts.dim.to_string())
        .arg(opts.min_cluster_size.to_string())
        .arg(opts.min_samples.to_string())
        .arg(&labels_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot run {} {}", python.display(), script.display()))?;
    let deadline = Instant::now() + opts.timeout;
    let mut run = ClusterRun::pending(n, implementation);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            child.kill()?;
            child.wait()?;
            run.note = Some(format!(
                "did not finish within {:.0} min",
                opts.timeout.as_secs_f64() / 60.0
            ));
            return Ok((run, None));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        use std::io::Read;
        stdout.read_to_string(&mut out)?;
    }
    if !status.success() {
        run.note = Some(format!("failed ({status})"));
        return Ok((run, None));
    }
    let report: serde_json::Value = serde_json::from_str(out.trim())
        .with_context(|| format!("{implementation} printed {out:?}, not its JSON report"))?;
    run.seconds = report["seconds"].as_f64();
    run.peak_bytes = report["peak_bytes"].as_u64();
    let bytes = std::fs::read(&labels_path)
        .with_context(|| format!("cannot read {}", labels_path.display()))?;
    if bytes.len() != n * 8 {
        bail!(
            "{implementation} wrote {} bytes of labels for {n} points",
            bytes.len()
        );
    }
    let labels: Vec<i32> = bytes
        .chunks_exact(8)
        .map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            i64::from_le_bytes(a) as i32
        })
        .collect();
    let (clusters, noise) = summary(&labels);
    run.clusters = Some(clusters);
    run.noise = Some(noise);
    Ok((run, Some(labels)))
}

/// Run the benchmark.
pub fn cluster_bench(opts: &ClusterBenchOptions) -> Result<Vec<ClusterRun>> {
    if opts.sizes.is_empty() || opts.dim == 0 || opts.centers == 0 {
        bail!("the cluster benchmark needs sizes, dimensions and blobs");
    }
    std::fs::create_dir_all(&opts.work_dir)
        .with_context(|| format!("cannot create {}", opts.work_dir.display()))?;
    let hdbscan = Hdbscan {
        min_cluster_size: opts.min_cluster_size,
        min_samples: Some(opts.min_samples),
        ..Default::default()
    };
    let device = Device::flex();
    let k = opts.neighbours.max(opts.min_samples);
    let mut out = Vec::new();
    for &n in &opts.sizes {
        let (values, truth) = blobs(n, opts.dim, opts.centers, opts.seed ^ n as u64);
        let data = opts.work_dir.join(format!("points-{n}x{}.f64", opts.dim));
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&data, bytes).with_context(|| format!("cannot write {}", data.display()))?;
        let points = Points::new(values, opts.dim)?;
        let mut runs: Vec<(ClusterRun, Option<Vec<i32>>)> = Vec::new();
        if n <= opts.exact_limit {
            let (run, labels) = seqrisk_run(&points, &hdbscan, "seqrisk (exact kNN)", |p| {
                NeighbourSearch::Exact.neighbours(p, k, &device)
            })?;
            runs.push((run, Some(labels)));
        } else {
            runs.push((
                ClusterRun {
                    note: Some(format!(
                        "skipped above {} points (O(N²·d))",
                        opts.exact_limit
                    )),
                    ..ClusterRun::pending(n, "seqrisk (exact kNN)")
                },
                None,
            ));
        }
        let (run, labels) = seqrisk_run(&points, &hdbscan, "seqrisk (IVF kNN)", |p| {
            // about 4·√N cells, as FAISS suggests for IndexIVFFlat
            NeighbourSearch::inverted_file(opts.probes, opts.seed).neighbours(p, k, &device)
        })?;
        runs.push((run, Some(labels)));
        if let Some(python) = &opts.python {
            for implementation in ["sklearn", "fast_hdbscan"] {
                eprintln!("{n} points: {implementation} …");
                runs.push(reference_run(python, implementation, &data, n, opts)?);
            }
        }
        let exact = runs[0].1.clone();
        for (mut run, labels) in runs {
            if let Some(labels) = &labels {
                run.ari_truth = adjusted_rand_index(labels, &truth);
                run.ari_exact = exact.as_ref().and_then(|e| adjusted_rand_index(labels, e));
            }
            eprintln!(
                "{n:>8} points: {:<22} {}",
                run.implementation,
                run.seconds
                    .map_or(run.note.clone().unwrap_or_default(), |s| format!(
                        "{s:.1} s, ARI vs planted {:.3}",
                        run.ari_truth.unwrap_or(f64::NAN)
                    ))
            );
            out.push(run);
        }
        std::fs::remove_file(&data).ok();
    }
    Ok(out)
}

/// The runs as a Markdown table.
pub fn markdown(runs: &[ClusterRun], opts: &ClusterBenchOptions) -> String {
    let mut s = format!(
        "HDBSCAN on {}-D Gaussian blobs ({} centres, 1% uniform noise), min_cluster_size {}, min_samples {}; seqrisk's graph from {} neighbours per point, the inverted file probing {} cells; references under a {:.0}-minute limit.\n\n| points | implementation | seconds (of which neighbours) | peak memory (MiB) | clusters | noise | ARI vs planted | ARI vs seqrisk exact | note |\n|---:|---|---:|---:|---:|---:|---:|---:|---|\n",
        opts.dim,
        opts.centers,
        opts.min_cluster_size,
        opts.min_samples,
        opts.neighbours.max(opts.min_samples),
        opts.probes,
        opts.timeout.as_secs_f64() / 60.0
    );
    let f =
        |x: Option<f64>, digits: usize| x.map_or("–".to_string(), |v| format!("{v:.digits$}"));
    for r in runs {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.points,
            r.implementation,
            match (r.seconds, r.neighbour_seconds) {
                (Some(s), Some(k)) => format!("{s:.2} ({k:.2})"),
                (s, _) => f(s, 2),
            },
            f(r.peak_bytes.map(|b| b as f64 / (1u64 << 20) as f64), 0),
            r.clusters.map_or("–".into(), |c| c.to_string()),
            r.noise.map_or("–".into(), |x| format!("{:.1}%", 100.0 * x)),
            f(r.ari_truth, 4),
            f(r.ari_exact, 4),
            r.note.clone().unwrap_or_default()
        ));
    }
    s
}

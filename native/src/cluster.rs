//! `seqrisk cluster` (FinDeepBehaviorCluster, Figure 2): train the sequence network without
//! labels, embed every session, join the embedding with readable handcrafted features (the
//! hybrid representation, §3.3), cluster with HDBSCAN from exact k-nearest-neighbour lists,
//! and mark the risky clusters by their fraud density (§4, "heuristic rules").

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use seqrisk_core::cluster::{Clustering, Hdbscan, Points, knn};
use seqrisk_core::encode::{Batch, EncodedSession, Encoder};
use seqrisk_core::models::baselines::Aggregates;
use seqrisk_core::models::behavior_cluster::{SequenceEmbedding, SequenceEmbeddingConfig};
use seqrisk_core::schema::{Schema, Session};
use serde::Serialize;
use std::time::Instant;

/// What the sessions are clustered on (the paper's Table 4 compares them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Representation {
    /// The sequence embedding and the handcrafted features (§3.3).
    Hybrid,
    /// The sequence embedding alone.
    Embedding,
    /// The handcrafted features alone.
    Handcrafted,
}

/// Settings of `seqrisk cluster`.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The event categorical field of page events.
    pub page: String,
    /// The event numeric field of dwell times.
    pub dwell: String,
    /// What to cluster on.
    pub representation: Representation,
    /// Epochs of the sequence network.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// HDBSCAN's settings.
    pub hdbscan: Hdbscan,
    /// Neighbours per point for the clustering (at least `min_samples`).
    pub neighbours: usize,
    /// A cluster is risky when at least this share of its labelled sessions is positive...
    pub risky_density: f64,
    /// ...and it has at least this many sessions.
    pub risky_min_size: usize,
    /// Seed of shuffling and initialisation.
    pub seed: u64,
    /// Show progress bars.
    pub progress: bool,
}

/// One cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterSummary {
    /// Label (`0..k`).
    pub label: i32,
    /// Sessions in it.
    pub size: usize,
    /// Labelled positive sessions in it.
    pub positives: usize,
    /// `positives / size`.
    pub fraud_density: f64,
    /// Stability (excess of mass) of the cluster.
    pub stability: f64,
    /// Whether it is risky.
    pub risky: bool,
    /// Mean of each handcrafted feature over the cluster's sessions (raw, not standardised),
    /// in `hybrid_features` order after the embedding.
    pub feature_means: Vec<f64>,
}

/// What `seqrisk cluster` found.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    /// Sessions clustered.
    pub sessions: usize,
    /// Labelled positive sessions among them.
    pub positives: usize,
    /// What was clustered.
    pub representation: Representation,
    /// Width of the embedding.
    pub embedding_dim: usize,
    /// Names of the handcrafted features joined to the embedding.
    pub handcrafted: Vec<String>,
    /// Mean next-event cross-entropy per training epoch.
    pub epoch_losses: Vec<f64>,
    /// The clusters.
    pub clusters: Vec<ClusterSummary>,
    /// Sessions left as noise.
    pub noise: usize,
    /// Seconds of each step: training, embedding, neighbours, clustering.
    pub seconds: [f64; 4],
}

fn bar(len: usize, prefix: &str, progress: bool) -> Result<ProgressBar> {
    let bar = if progress {
        ProgressBar::new(len as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos}/{len} {msg}")
            .context("progress template")?
            .progress_chars("=> "),
    );
    bar.set_prefix(prefix.to_string());
    Ok(bar)
}

/// The handcrafted columns: the event count, the count of each value of every event
/// categorical field with at most 16 values, and the mean and maximum of every numeric field.
fn handcrafted(encoder: &Encoder) -> (Aggregates, Vec<usize>, Vec<String>) {
    let aggregates = Aggregates::of(encoder);
    let names = aggregates.names(encoder);
    let small: Vec<String> = encoder
        .event_field_names()
        .iter()
        .zip(&encoder.event_vocabs)
        .filter(|(_, v)| v.len() <= 18)
        .map(|(f, _)| format!("count({f}="))
        .collect();
    let keep: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            *n == "events"
                || (small.iter().any(|p| n.starts_with(p)) && !n.ends_with("=<pad>)"))
                || n.starts_with("mean(")
                || n.starts_with("max(")
        })
        .map(|(i, _)| i)
        .collect();
    let kept = keep.iter().map(|&i| names[i].clone()).collect();
    (aggregates, keep, kept)
}

/// Train the sequence network on `encoded` (next-event cross-entropy, Adam).
fn train_network(
    config: &SequenceEmbeddingConfig,
    encoded: &[EncodedSession],
    opts: &ClusterOptions,
) -> Result<(SequenceEmbedding, Vec<f64>)> {
    let device = Device::flex().autodiff();
    device.seed(opts.seed);
    let mut model = config.init(&device);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    let mut rng = SmallRng::seed_from_u64(opts.seed ^ 0xc1u64);
    let batches = encoded.len().div_ceil(opts.batch_size);
    let progress = bar(opts.epochs * batches, "sequence network", opts.progress)?;
    let mut losses = Vec::with_capacity(opts.epochs);
    for epoch in 1..=opts.epochs {
        order.shuffle(&mut rng);
        let mut sum = 0.0;
        for chunk in order.chunks(opts.batch_size) {
            let items: Vec<&EncodedSession> = chunk.iter().map(|&i| &encoded[i]).collect();
            let batch = Batch::new(&items, &device);
            let out = model.forward(&batch);
            let loss = loss_fn.forward(out.next_event_logits, model.next_event_targets(&batch));
            let value = f64::from(loss.clone().into_scalar::<f32>());
            if !value.is_finite() {
                bail!("the sequence network diverged at epoch {epoch} (loss {value})");
            }
            sum += value * chunk.len() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(opts.learning_rate, model, grads);
            progress.inc(1);
        }
        let mean = sum / encoded.len() as f64;
        progress.set_message(format!("epoch {epoch}: loss {mean:.4}"));
        if progress.is_hidden() {
            eprintln!("sequence network: epoch {epoch:>2}: next-event loss {mean:.4}");
        }
        losses.push(mean);
    }
    progress.finish_and_clear();
    Ok((model.valid(), losses))
}

/// Run the whole pipeline on labelled (or unlabelled) sessions.
pub fn cluster(
    sessions: &[Session],
    schema: &Schema,
    opts: &ClusterOptions,
) -> Result<(ClusterReport, Clustering)> {
    if sessions.is_empty() {
        bail!("no sessions to cluster");
    }
    if opts.epochs == 0 || opts.batch_size == 0 {
        bail!("--epochs and --batch-size must be at least 1");
    }
    let refs: Vec<&Session> = sessions.iter().collect();
    let encoder = Encoder::fit(schema, &refs)?;
    let config = SequenceEmbeddingConfig::for_encoder(&encoder, &opts.page, &opts.dwell)?;
    let encoded: Vec<EncodedSession> = sessions.iter().map(|s| encoder.encode(s)).collect();
    let mut seconds = [0.0; 4];
    let started = Instant::now();
    let (network, epoch_losses) = train_network(&config, &encoded, opts)?;
    seconds[0] = started.elapsed().as_secs_f64();

    // the hybrid representation: embedding ⊕ standardised handcrafted features
    let started = Instant::now();
    let device = Device::flex();
    let (aggregates, keep, handcrafted_names) = handcrafted(&encoder);
    let dim = config.bottleneck;
    let (use_embedding, use_handcrafted) = match opts.representation {
        Representation::Hybrid => (true, true),
        Representation::Embedding => (true, false),
        Representation::Handcrafted => (false, true),
    };
    let width = dim + keep.len();
    let mut rows = vec![0.0f64; sessions.len() * width];
    let mut raw = vec![0.0f64; sessions.len() * keep.len()];
    for (start, chunk) in encoded
        .chunks(opts.batch_size)
        .enumerate()
        .map(|(i, c)| (i * opts.batch_size, c))
    {
        let items: Vec<&EncodedSession> = chunk.iter().collect();
        let emb: Vec<f32> = network
            .forward(&Batch::new(&items, &device))
            .embedding
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("cannot read the embeddings back: {e:?}"))?;
        for (k, s) in chunk.iter().enumerate() {
            let r = start + k;
            for (j, v) in emb[k * dim..(k + 1) * dim].iter().enumerate() {
                rows[r * width + j] = f64::from(*v);
            }
            let f = aggregates.features(s);
            for (j, &col) in keep.iter().enumerate() {
                raw[r * keep.len() + j] = f[col];
            }
        }
    }
    let n = sessions.len();
    // the handcrafted values next to the embedding, then every column standardised, so
    // neither block outweighs the other by its scale
    for r in 0..n {
        for j in 0..keep.len() {
            rows[r * width + dim + j] = raw[r * keep.len() + j];
        }
    }
    for c in 0..width {
        let col = (0..n).map(|r| rows[r * width + c]);
        let mean = col.clone().sum::<f64>() / n as f64;
        let sd = (col.map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64)
            .sqrt()
            .max(1e-9);
        for r in 0..n {
            rows[r * width + c] = (rows[r * width + c] - mean) / sd;
        }
    }
    seconds[1] = started.elapsed().as_secs_f64();

    let columns: Vec<usize> = (0..width)
        .filter(|&c| {
            if c < dim {
                use_embedding
            } else {
                use_handcrafted
            }
        })
        .collect();
    let picked: Vec<f64> = (0..n)
        .flat_map(|r| columns.iter().map(move |&c| (r, c)))
        .map(|(r, c)| rows[r * width + c])
        .collect();
    let points = Points::new(picked, columns.len())?;
    let started = Instant::now();
    let k = opts.neighbours.min(n);
    let nn = knn(&points, &points, k, &device, 1 << 24)?;
    seconds[2] = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let clustering = opts.hdbscan.fit_neighbours(&points, &nn, &device)?;
    seconds[3] = started.elapsed().as_secs_f64();

    let clusters = (0..clustering.clusters.len() as i32)
        .map(|label| {
            let members: Vec<usize> = (0..n).filter(|&i| clustering.labels[i] == label).collect();
            let positives = members
                .iter()
                .filter(|&&i| sessions[i].label == Some(true))
                .count();
            let size = members.len();
            let fraud_density = positives as f64 / size.max(1) as f64;
            let id = clustering.clusters[label as usize];
            ClusterSummary {
                label,
                size,
                positives,
                fraud_density,
                stability: clustering.stabilities[id - n],
                risky: size >= opts.risky_min_size && fraud_density >= opts.risky_density,
                feature_means: (0..keep.len())
                    .map(|j| {
                        members
                            .iter()
                            .map(|&i| raw[i * keep.len() + j])
                            .sum::<f64>()
                            / size.max(1) as f64
                    })
                    .collect(),
            }
        })
        .collect();
    let report = ClusterReport {
        sessions: n,
        positives: sessions.iter().filter(|s| s.label == Some(true)).count(),
        representation: opts.representation,
        embedding_dim: dim,
        handcrafted: handcrafted_names,
        epoch_losses,
        clusters,
        noise: clustering.labels.iter().filter(|&&l| l < 0).count(),
        seconds,
    };
    Ok((report, clustering))
}

/// The report as Markdown: the clusters, risky ones marked, each with its most distinctive
/// handcrafted features (largest standardised difference of its mean from everyone's).
pub fn report_markdown(r: &ClusterReport) -> String {
    let mut s = format!(
        "{} sessions ({} positive), {} clusters, {} noise; clustered on {:?} (embedding {}-D, {} handcrafted features); training {:.0} s, embedding {:.0} s, neighbours {:.0} s, HDBSCAN {:.1} s\n\n| cluster | sessions | positives | fraud density | stability | risky |\n|---:|---:|---:|---:|---:|---|\n",
        r.sessions,
        r.positives,
        r.clusters.len(),
        r.noise,
        r.representation,
        r.embedding_dim,
        r.handcrafted.len(),
        r.seconds[0],
        r.seconds[1],
        r.seconds[2],
        r.seconds[3]
    );
    for c in &r.clusters {
        s.push_str(&format!(
            "| {} | {} | {} | {:.3} | {:.2} | {} |\n",
            c.label,
            c.size,
            c.positives,
            c.fraud_density,
            c.stability,
            if c.risky { "**yes**" } else { "" }
        ));
    }
    s
}

//! Scoring latency and throughput of an artifact on the native Flex CPU backend, measured the way
//! the JS benchmark (tests/js/bench.mjs) measures the wasm builds: each call starts from a
//! session's JSON text and ends with its score and explanation, so the figures sit side by side.

use anyhow::{Context, Result, bail};
use seqrisk_core::Location;
use seqrisk_core::schema::{Session, session_from_json};
use seqrisk_core::scorer::Scorer;
use serde::Serialize;
use std::time::Instant;

/// Per-call latency percentiles, in milliseconds.
#[derive(Debug, Serialize)]
pub struct Latency {
    /// Calls timed.
    pub calls: usize,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

impl Latency {
    /// Percentiles of `samples` (milliseconds; sorted here).
    pub fn of(mut samples: Vec<f64>) -> Self {
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Self {
            calls: samples.len(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            mean_ms: samples.iter().sum::<f64>() / samples.len() as f64,
        }
    }
}

/// Batched throughput.
#[derive(Debug, Serialize)]
pub struct Throughput {
    /// Sessions per call.
    pub batch: usize,
    /// Calls timed.
    pub batches: usize,
    /// Sessions scored per second.
    pub sessions_per_s: f64,
}

/// What `seqrisk-bench latency` writes.
#[derive(Debug, Serialize)]
pub struct LatencyReport {
    /// What scored them (`native`).
    pub runtime: &'static str,
    /// Sessions in the input.
    pub sessions: usize,
    /// Their mean number of events.
    pub mean_events: f64,
    /// One session per call.
    pub single: Latency,
    /// Sessions in batches.
    pub batched: Throughput,
}

fn parse(scorer: &Scorer, text: &str, line: usize) -> Result<Session> {
    let json: serde_json::Value =
        serde_json::from_str(text).with_context(|| format!("line {line}: malformed JSON"))?;
    Ok(session_from_json(
        &json,
        &scorer.encoder.schema,
        &Location::new("sessions", line),
    )?)
}

/// Score each of `lines` (one session's JSON text each) `calls` times in turn after a warm-up,
/// then batches of `batch` sessions for at least `batches` rounds.
pub fn latency(
    scorer: &Scorer,
    lines: &[String],
    calls: usize,
    batch: usize,
    batches: usize,
) -> Result<LatencyReport> {
    if lines.is_empty() || calls == 0 || batch == 0 || batches == 0 {
        bail!("benchmark needs sessions and non-zero calls, batch and batches");
    }
    let one = |i: usize| -> Result<f64> {
        let text = &lines[i % lines.len()];
        let start = Instant::now();
        let s = parse(scorer, text, i % lines.len() + 1)?;
        std::hint::black_box(scorer.score(std::slice::from_ref(&s))?);
        Ok(start.elapsed().as_secs_f64() * 1e3)
    };
    for i in 0..calls.min(100) {
        one(i)?;
    }
    let single = Latency::of((0..calls).map(one).collect::<Result<_>>()?);
    let texts: Vec<&String> = lines.iter().cycle().take(batch).collect();
    let start = Instant::now();
    for _ in 0..batches {
        let sessions: Vec<Session> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| parse(scorer, t, i + 1))
            .collect::<Result<_>>()?;
        std::hint::black_box(scorer.score(&sessions)?);
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut events = 0usize;
    for (i, t) in lines.iter().enumerate() {
        events += parse(scorer, t, i + 1)?.events.len();
    }
    Ok(LatencyReport {
        runtime: "native-flex",
        sessions: lines.len(),
        mean_events: events as f64 / lines.len() as f64,
        single,
        batched: Throughput {
            batch,
            batches,
            sessions_per_s: (batch * batches) as f64 / seconds,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_samples() {
        let l = Latency::of((1..=100).rev().map(f64::from).collect());
        assert_eq!(l.calls, 100);
        assert_eq!(l.p50_ms, 51.0); // index round(99 × 0.5) = 50 of 1..=100
        assert_eq!(l.p99_ms, 99.0);
        assert_eq!(l.mean_ms, 50.5);
    }
}

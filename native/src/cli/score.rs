//! `seqrisk score`: score sessions into JSON lines.

use crate::batch::{
    BatchOptions, OnError, OutputFormat, csv_header, format_line, score_file, scores_to_parquet,
    with_suffix,
};
use crate::data::read_sessions;
use crate::files::write_atomic;
use crate::report;
use anyhow::{Context, Result, bail};
use clap::Args;
use seqrisk_core::schema::{Limits, read_jsonl};

use crate::data::load_scorer;
use std::io::{BufReader, Write};
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ScoreArgs {
    /// The artifact.
    #[arg(long)]
    pub(crate) artifact: PathBuf,
    /// Sessions to score (`.jsonl`, `.csv`, `.parquet`, or `-` for JSONL on standard input).
    /// With `--output`, a file is streamed in chunks; a CSV or Parquet table must hold each
    /// session's rows together (sorted or grouped by session id).
    #[arg(long, short)]
    pub(crate) input: PathBuf,
    /// Output file: JSON lines, CSV (`.csv`: id, score, raw_score, [decision,] explanation
    /// as JSON) or Parquet (`.parquet`: the same columns, typed); standard output (JSON lines)
    /// when absent.
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
    /// Also print each session's explanation in words on standard error: its top merchants
    /// (LBSF), sessions (HUIHEN), fields (DIFM) or events (NHFM, DIFM).
    #[arg(long)]
    pub(crate) explain: bool,
    /// A policy file (TOML: `[[band]]` tables with a `name` and, above the first, a `from`
    /// score or card target such as "fpr:1%"): each line also gets its band as `decision`.
    #[arg(long)]
    pub(crate) policy: Option<PathBuf>,
    /// A session that cannot be read or scored: `fail` stops at the first, naming it; `skip`
    /// writes it to the rejects file with its line (or first row) and reason and scores the
    /// others (an input file and an `--output` file).
    #[arg(long, value_enum, default_value_t = OnError::Fail)]
    pub(crate) on_error: OnError,
    /// Where `--on-error skip` writes the rejected sessions [default: <OUTPUT>.rejects.jsonl].
    #[arg(long)]
    pub(crate) rejects: Option<PathBuf>,
    /// Sessions scored per chunk: an input file is streamed chunk by chunk, in memory that does
    /// not grow with its size, and the progress is recorded after each.
    #[arg(long, default_value_t = 4096)]
    pub(crate) chunk: usize,
    /// Go on after the last chunk an interrupted run wrote (`<OUTPUT>.progress`), ending with
    /// the output an uninterrupted run gives.
    #[arg(long)]
    pub(crate) resume: bool,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
}

/// What one session read from untrusted input may hold; each is refused as it is read.
#[derive(Args)]
pub(crate) struct LimitArgs {
    /// Most bytes of one JSONL line (one session).
    #[arg(long, default_value_t = Limits::default().max_input_bytes)]
    pub(crate) max_input_bytes: usize,
    /// Most events in one session.
    #[arg(long, default_value_t = Limits::default().max_events)]
    pub(crate) max_events: usize,
    /// Longest string value or key, in bytes.
    #[arg(long, default_value_t = Limits::default().max_string_bytes)]
    pub(crate) max_string_bytes: usize,
}

impl LimitArgs {
    pub(crate) fn limits(&self) -> Result<Limits> {
        let limits = Limits {
            max_input_bytes: self.max_input_bytes,
            max_events: self.max_events,
            max_string_bytes: self.max_string_bytes,
            ..Limits::default()
        };
        limits.validate()?;
        Ok(limits)
    }
}

pub(crate) fn run(a: &ScoreArgs) -> Result<()> {
    let scorer = load_scorer(&a.artifact)?;
    let schema = &scorer.encoder.schema;
    let limits = a.limits.limits()?;
    let bands = match &a.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                scorer
                    .bands(&text)
                    .with_context(|| path.display().to_string())?,
            )
        }
        None => None,
    };
    if let (false, Some(output)) = (a.input.as_os_str() == "-", &a.output) {
        let summary = score_file(
            &scorer,
            &a.input,
            output,
            &BatchOptions {
                chunk: a.chunk,
                on_error: a.on_error,
                rejects: a.rejects.clone(),
                resume: a.resume,
                bands,
                limits,
                explain: a.explain,
            },
        )?;
        eprintln!(
            "{} {} sessions into {} ({} lines read{})",
            if summary.resumed {
                "resumed: scored"
            } else {
                "scored"
            },
            summary.scored,
            output.display(),
            summary.lines,
            match &summary.rejects {
                Some(p) => format!("; {} rejected, in {}", summary.rejected, p.display()),
                None => String::new(),
            }
        );
        return Ok(());
    }
    if a.on_error == OnError::Skip || a.resume || a.rejects.is_some() {
        bail!(
            "--on-error skip, --rejects and --resume stream an input file into an --output file; standard input and output are read whole and scored fail-fast"
        );
    }
    let sessions = if a.input.as_os_str() == "-" {
        let stdin = std::io::stdin();
        read_jsonl(BufReader::new(stdin.lock()), "<stdin>", schema, &limits)?
    } else {
        read_sessions(&a.input, schema, &limits)?.sessions
    };
    let format = a
        .output
        .as_deref()
        .map_or(OutputFormat::Jsonl, OutputFormat::of);
    let csv_out = format == OutputFormat::Csv;
    let mut out = String::new();
    if csv_out {
        out.push_str(&csv_header(bands.is_some())?);
        out.push('\n');
    }
    for s in scorer.score(&sessions)? {
        if a.explain {
            eprintln!("{}", report::explain_line(&s));
        }
        let decision = bands.as_ref().map(|b| b.decide(s.score));
        out.push_str(&format_line(&s, decision, csv_out)?);
        out.push('\n');
    }
    match &a.output {
        Some(p) if format == OutputFormat::Parquet => {
            let lines = with_suffix(p, ".partial");
            write_atomic(&lines, out.as_bytes())?;
            scores_to_parquet(&lines, p, bands.is_some())?;
            std::fs::remove_file(&lines)?;
            eprintln!("scored {} sessions into {}", sessions.len(), p.display());
        }
        Some(p) => {
            write_atomic(p, out.as_bytes())?;
            eprintln!("scored {} sessions into {}", sessions.len(), p.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(out.as_bytes()) {
                // a reader that stopped early (`| head`) is not an error of ours
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                written => written?,
            }
        }
    }
    Ok(())
}

//! `seqrisk score`: score sessions into JSON lines.

use anyhow::Result;
use clap::Args;
use seqrisk_core::schema::{Limits, read_jsonl};
use seqrisk_native::data::read_sessions;
use seqrisk_native::files::write_atomic;
use seqrisk_native::report;

use seqrisk_native::data::load_scorer;
use std::io::{BufReader, Write};
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ScoreArgs {
    /// The artifact.
    #[arg(long)]
    pub(crate) artifact: PathBuf,
    /// Sessions to score (`.jsonl`, `.csv`, or `-` for JSONL on standard input).
    #[arg(long, short)]
    pub(crate) input: PathBuf,
    /// Output JSONL file; standard output when absent.
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
    /// Also print each session's explanation in words on standard error: its top merchants
    /// (LBSF), sessions (HUIHEN), fields (DIFM) or events (NHFM, DIFM).
    #[arg(long)]
    pub(crate) explain: bool,
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
    let sessions = if a.input.as_os_str() == "-" {
        let stdin = std::io::stdin();
        read_jsonl(BufReader::new(stdin.lock()), "<stdin>", schema, &limits)?
    } else {
        read_sessions(&a.input, schema, &limits)?.sessions
    };
    let mut out = String::new();
    for s in scorer.score(&sessions)? {
        if a.explain {
            eprintln!("{}", report::explain_line(&s));
        }
        out.push_str(&serde_json::to_string(&s)?);
        out.push('\n');
    }
    match &a.output {
        Some(p) => {
            write_atomic(p, out.as_bytes())?;
            eprintln!("scored {} sessions into {}", sessions.len(), p.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(out.as_bytes())?;
        }
    }
    Ok(())
}

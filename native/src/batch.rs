//! Batch scoring that loses nothing: JSON lines, CSV or Parquet in (a long-format table's
//! sessions with their rows together), JSON lines, CSV or Parquet out (by the output's
//! extension), in chunks, in memory bounded by the chunk size whatever the input's size.
//!
//! The output is written as `<out>.partial` and renamed to `<out>` only when the whole input is
//! scored, so a run killed midway leaves no file that looks complete. After every chunk the
//! output is flushed to disk and `<out>.progress` records how far the input and the outputs
//! got; `resume` truncates the outputs to that point and goes on after the last chunk written,
//! giving what an uninterrupted run gives. With [`OnError::Skip`] a session that cannot be read
//! or scored goes to the rejects file with its line and the reason, and the others are scored;
//! the default stops at the first, naming it. A Parquet output is written as JSON lines like
//! the others while the run goes on (so it resumes alike) and converted, a row group at a time,
//! at the end.

use crate::data::{Format, stream_sessions};
use crate::files::write_atomic;
use anyhow::{Context, Result, bail};
use seqrisk_core::policy::Bands;
use seqrisk_core::schema::{Limits, Session};
use seqrisk_core::scorer::{Scorer, SessionScore};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What to do with a session that cannot be read or scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnError {
    /// Stop at the first, naming its line and field (nothing is renamed into place).
    #[default]
    Fail,
    /// Write it to the rejects file with its line and reason, and go on.
    Skip,
}

/// How [`score_file`] runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Sessions scored per chunk (and between two progress records).
    pub chunk: usize,
    /// Fail fast or skip and record.
    pub on_error: OnError,
    /// Where rejected sessions go (with [`OnError::Skip`]; default `<out>.rejects.jsonl`).
    pub rejects: Option<PathBuf>,
    /// Go on from `<out>.progress` after an interrupted run.
    pub resume: bool,
    /// Bands to add each session's `decision` from.
    pub bands: Option<Bands>,
    /// What one input line may hold.
    pub limits: Limits,
    /// Also print each session's explanation in words on standard error.
    pub explain: bool,
}

/// Where a run got to: `<out>.progress`, rewritten atomically after every chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The input file, as given.
    pub input: String,
    /// Input lines consumed.
    pub lines: usize,
    /// Bytes of the output written.
    pub output_bytes: u64,
    /// Bytes of the rejects file written.
    pub rejects_bytes: u64,
    /// Sessions scored.
    pub scored: usize,
    /// Sessions rejected.
    pub rejected: usize,
}

/// One rejected session.
#[derive(Debug, Clone, Serialize)]
struct Reject<'a> {
    line: usize,
    id: Option<&'a str>,
    reason: String,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchSummary {
    /// Input lines read.
    pub lines: usize,
    /// Sessions scored (lines in the output).
    pub scored: usize,
    /// Sessions rejected (lines in the rejects file).
    pub rejected: usize,
    /// The rejects file, when sessions were skipped.
    pub rejects: Option<PathBuf>,
    /// Whether the run went on from an interrupted one.
    pub resumed: bool,
}

/// `path` with `suffix` appended to its file name.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// An output written as `<path>.partial` and renamed into place at the end.
struct Partial {
    path: PathBuf,
    partial: PathBuf,
    out: BufWriter<File>,
    bytes: u64,
}

impl Partial {
    /// Open `<path>.partial`: new, or (resuming) cut back to `bytes`.
    fn open(path: &Path, resume_at: Option<u64>) -> Result<Self> {
        let partial = with_suffix(path, ".partial");
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(resume_at.is_none())
            .open(&partial)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        let bytes = resume_at.unwrap_or(0);
        if let Some(at) = resume_at {
            let len = file.metadata()?.len();
            if len < at {
                bail!(
                    "{} holds {len} bytes but the progress record says {at} were written: it was changed since; score again without --resume",
                    partial.display()
                );
            }
            file.set_len(at)?;
        }
        let mut out = BufWriter::new(file);
        out.seek(SeekFrom::Start(bytes))?;
        Ok(Self {
            path: path.to_path_buf(),
            partial,
            out,
            bytes,
        })
    }

    fn line(&mut self, text: &str) -> Result<()> {
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.bytes += text.len() as u64 + 1;
        Ok(())
    }

    /// Flush to disk (before the progress record that counts these bytes).
    fn sync(&mut self) -> Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()?;
        Ok(())
    }

    /// Convert the scores written so far (JSON lines) into the Parquet table at `path`, then
    /// drop them: the table appears whole or not at all, and resuming works on the lines.
    fn finish_as_parquet(mut self, with_decision: bool) -> Result<()> {
        self.sync()?;
        scores_to_parquet(&self.partial, &self.path, with_decision)?;
        std::fs::remove_file(&self.partial)
            .with_context(|| format!("cannot remove {}", self.partial.display()))
    }

    fn finish(mut self) -> Result<()> {
        self.sync()?;
        std::fs::rename(&self.partial, &self.path).with_context(|| {
            format!(
                "cannot move {} into place at {}",
                self.partial.display(),
                self.path.display()
            )
        })
    }
}

/// A chunk read from the input: the sessions to score with their lines, those rejected while
/// reading, the last line consumed, and whether the input ends after it.
#[derive(Default)]
struct Chunk {
    sessions: Vec<Session>,
    lines: Vec<usize>,
    rejected: Vec<(usize, Option<String>, String)>,
    last_line: usize,
    exhausted: bool,
}

/// Score the JSON lines of `input` into `output` (see the module documentation).
pub fn score_file(
    scorer: &Scorer,
    input: &Path,
    output: &Path,
    opts: &BatchOptions,
) -> Result<BatchSummary> {
    if opts.chunk == 0 {
        bail!("--chunk must be at least 1");
    }
    let progress_path = with_suffix(output, ".progress");
    let rejects_path = (opts.on_error == OnError::Skip).then(|| {
        opts.rejects
            .clone()
            .unwrap_or_else(|| with_suffix(output, ".rejects.jsonl"))
    });
    let input_name = input.display().to_string();
    let start = if opts.resume {
        let text = std::fs::read_to_string(&progress_path).with_context(|| {
            format!(
                "--resume: no progress record at {} (nothing to resume; score without --resume)",
                progress_path.display()
            )
        })?;
        let p: Progress = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a progress record", progress_path.display()))?;
        if p.input != input_name {
            bail!(
                "--resume: {} records a run over {}, not {input_name}",
                progress_path.display(),
                p.input
            );
        }
        p
    } else {
        Progress {
            input: input_name.clone(),
            ..Progress::default()
        }
    };
    let out_format = OutputFormat::of(output);
    let mut out = Partial::open(output, opts.resume.then_some(start.output_bytes))?;
    let csv_out = out_format == OutputFormat::Csv;
    if csv_out && out.bytes == 0 {
        out.line(&csv_header(opts.bands.is_some())?)?;
    }
    let mut rejects = match &rejects_path {
        Some(p) => Some(Partial::open(
            p,
            opts.resume.then_some(start.rejects_bytes),
        )?),
        None => None,
    };
    let encoder = &scorer.encoder;
    let mut progress = start.clone();
    // one thread reads, parses and checks the next chunks while this one scores and writes
    std::thread::scope(|scope| -> Result<()> {
        let (send, chunks) = std::sync::mpsc::sync_channel::<Result<Chunk>>(2);
        let reader_opts = (opts.chunk, opts.on_error, &opts.limits);
        scope.spawn(move || {
            let (size, on_error, limits) = reader_opts;
            let stream = match stream_sessions(input, &input_name, &encoder.schema, limits) {
                Ok(stream) => stream,
                Err(e) => {
                    let _ = send.send(Err(e));
                    return;
                }
            };
            let mut sessions = stream
                .skip_while(|(line, _)| *line <= start.lines)
                .peekable();
            loop {
                let mut chunk = Chunk {
                    last_line: start.lines,
                    ..Chunk::default()
                };
                while chunk.sessions.len() < size {
                    let Some((line, read)) = sessions.next() else {
                        break;
                    };
                    chunk.last_line = line;
                    let checked = read.and_then(|s| encoder.check_session(&s).map(|()| s));
                    match (checked, on_error) {
                        (Ok(s), _) => {
                            chunk.sessions.push(s);
                            chunk.lines.push(line);
                        }
                        (Err(e), OnError::Fail) => {
                            let _ = send.send(Err(e.into()));
                            return;
                        }
                        (Err(e), OnError::Skip) => chunk.rejected.push((line, None, e.to_string())),
                    }
                }
                chunk.exhausted = sessions.peek().is_none();
                let last = chunk.exhausted;
                // the scoring side stopped (an error): nothing more to read for
                if send.send(Ok(chunk)).is_err() || last {
                    return;
                }
            }
        });
        for chunk in chunks {
            let mut chunk = chunk?;
            let mut rejected = std::mem::take(&mut chunk.rejected);
            let scored = score_chunk(scorer, &chunk, opts.on_error, &mut rejected)?;
            for s in &scored {
                if opts.explain {
                    eprintln!("{}", crate::report::explain_line(s));
                }
                let decision = opts.bands.as_ref().map(|b| b.decide(s.score));
                out.line(&format_line(s, decision, csv_out)?)?;
            }
            if let Some(r) = rejects.as_mut() {
                rejected.sort_by_key(|x| x.0);
                for (line, id, reason) in &rejected {
                    let record = Reject {
                        line: *line,
                        id: id.as_deref(),
                        reason: reason.clone(),
                    };
                    r.line(&serde_json::to_string(&record)?)?;
                }
            }
            progress.lines = chunk.last_line.max(progress.lines);
            progress.scored += scored.len();
            progress.rejected += rejected.len();
            out.sync()?;
            if let Some(r) = rejects.as_mut() {
                r.sync()?;
            }
            progress.output_bytes = out.bytes;
            progress.rejects_bytes = rejects.as_ref().map_or(0, |r| r.bytes);
            write_atomic(&progress_path, serde_json::to_string(&progress)?.as_bytes())?;
            if chunk.exhausted {
                break;
            }
        }
        Ok(())
    })?;
    match out_format {
        OutputFormat::Parquet => out.finish_as_parquet(opts.bands.is_some())?,
        _ => out.finish()?,
    }
    if let Some(r) = rejects {
        r.finish()?;
    }
    std::fs::remove_file(&progress_path).ok();
    Ok(BatchSummary {
        lines: progress.lines,
        scored: progress.scored,
        rejected: progress.rejected,
        rejects: rejects_path.filter(|_| progress.rejected > 0),
        resumed: opts.resume,
    })
}

/// What a file of scores is written as, by its extension: CSV (`.csv`), Parquet (`.parquet`,
/// `.pq`), else JSON lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// One JSON object per line.
    Jsonl,
    /// `id, score, raw_score, [decision,] explanation` records.
    Csv,
    /// The CSV's columns as a typed table.
    Parquet,
}

impl OutputFormat {
    /// The format of scores written to `path`.
    pub fn of(path: &Path) -> Self {
        match Format::from_path(path) {
            Ok(Format::Csv) => Self::Csv,
            Ok(Format::Parquet) => Self::Parquet,
            _ => Self::Jsonl,
        }
    }
}

/// Rows per Parquet row group of a file of scores: what the conversion holds in memory.
const PARQUET_GROUP_ROWS: usize = 65_536;

/// Write the JSON lines of scores in `from` as a Parquet table at `to` (atomically), a row
/// group at a time: `id` (text), `score`, `raw_score` (doubles), `decision` (text, with a
/// policy) and `explanation` (JSON text).
pub fn scores_to_parquet(from: &Path, to: &Path, with_decision: bool) -> Result<()> {
    use parquet::basic::{LogicalType, Repetition, Type as PhysicalType};
    use parquet::data_type::{ByteArray, ByteArrayType, DoubleType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::types::Type;
    use std::sync::Arc;

    let text = |name: &str| {
        Type::primitive_type_builder(name, PhysicalType::BYTE_ARRAY)
            .with_logical_type(Some(LogicalType::String))
            .with_repetition(Repetition::REQUIRED)
            .build()
    };
    let double = |name: &str| {
        Type::primitive_type_builder(name, PhysicalType::DOUBLE)
            .with_repetition(Repetition::REQUIRED)
            .build()
    };
    let mut fields = vec![text("id")?, double("score")?, double("raw_score")?];
    if with_decision {
        fields.push(text("decision")?);
    }
    fields.push(text("explanation")?);
    let message = Arc::new(
        Type::group_type_builder("scores")
            .with_fields(fields.into_iter().map(Arc::new).collect())
            .build()?,
    );
    let tmp = with_suffix(to, ".parquet-partial");
    let file = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let mut writer = SerializedFileWriter::new(
        BufWriter::new(file),
        message,
        Arc::new(WriterProperties::builder().build()),
    )?;
    let reader = BufReader::new(
        File::open(from).with_context(|| format!("cannot read {}", from.display()))?,
    );
    let mut lines = reader.lines();
    loop {
        // one row group: the columns of up to PARQUET_GROUP_ROWS scores
        let (mut ids, mut scores, mut raws, mut decisions, mut explanations) =
            (vec![], vec![], vec![], vec![], vec![]);
        for line in lines.by_ref().take(PARQUET_GROUP_ROWS) {
            let mut v: serde_json::Value = serde_json::from_str(&line?)?;
            let text_of = |v: &serde_json::Value| ByteArray::from(v.as_str().unwrap_or_default());
            ids.push(text_of(&v["id"]));
            scores.push(v["score"].as_f64().unwrap_or(f64::NAN));
            raws.push(v["raw_score"].as_f64().unwrap_or(f64::NAN));
            decisions.push(text_of(&v["decision"]));
            explanations.push(ByteArray::from(
                v["explanation"].take().to_string().as_str(),
            ));
        }
        if ids.is_empty() {
            break;
        }
        let mut group = writer.next_row_group()?;
        let mut texts = vec![ids];
        if with_decision {
            texts.push(decisions);
        }
        texts.push(explanations);
        let mut texts = texts.into_iter();
        let mut doubles = [scores, raws].into_iter();
        while let Some(mut column) = group.next_column()? {
            match column.untyped() {
                parquet::column::writer::ColumnWriter::DoubleColumnWriter(_) => {
                    let values = doubles.next().unwrap_or_default();
                    column
                        .typed::<DoubleType>()
                        .write_batch(&values, None, None)?;
                }
                _ => {
                    let values = texts.next().unwrap_or_default();
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&values, None, None)?;
                }
            }
            column.close()?;
        }
        group.close()?;
    }
    let file = writer
        .into_inner()?
        .into_inner()
        .map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&tmp, to).with_context(|| {
        format!(
            "cannot move {} into place at {}",
            tmp.display(),
            to.display()
        )
    })?;
    Ok(())
}

/// One CSV record (quoted as the csv crate quotes), without its line end.
fn csv_record(fields: &[&str]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields)?;
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(String::from_utf8(bytes)?
        .trim_end_matches(['\r', '\n'])
        .to_string())
}

/// The header of a CSV of scores.
pub fn csv_header(with_decision: bool) -> Result<String> {
    let mut header = vec!["id", "score", "raw_score"];
    if with_decision {
        header.push("decision");
    }
    header.push("explanation");
    csv_record(&header)
}

/// A scored session as an output line: a JSON object (with `decision` under a policy), or a
/// CSV record of `id, score, raw_score, [decision,] explanation` (the explanation as JSON).
pub fn format_line(s: &SessionScore, decision: Option<&str>, csv_out: bool) -> Result<String> {
    if csv_out {
        let (score, raw) = (s.score.to_string(), s.raw_score.to_string());
        let explanation = serde_json::to_string(&s.explanation)?;
        let mut fields = vec![s.id.as_str(), &score, &raw];
        fields.extend(decision);
        fields.push(&explanation);
        return csv_record(&fields);
    }
    let mut line = serde_json::to_value(s)?;
    if let (Some(d), Some(fields)) = (decision, line.as_object_mut()) {
        fields.insert("decision".into(), d.into());
    }
    Ok(line.to_string())
}

/// Score a chunk; when skipping, a chunk that fails (a model output that is not a number) is
/// scored session by session, so only the sessions at fault are rejected.
fn score_chunk(
    scorer: &Scorer,
    chunk: &Chunk,
    on_error: OnError,
    rejected: &mut Vec<(usize, Option<String>, String)>,
) -> Result<Vec<SessionScore>> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    match (scorer.score_parallel(&chunk.sessions, threads), on_error) {
        (Ok(scored), _) => Ok(scored),
        (Err(e), OnError::Fail) => Err(e.into()),
        (Err(_), OnError::Skip) => {
            let mut out = Vec::with_capacity(chunk.sessions.len());
            for (s, &line) in chunk.sessions.iter().zip(&chunk.lines) {
                match scorer.score(std::slice::from_ref(s)) {
                    Ok(mut one) => out.append(&mut one),
                    Err(e) => rejected.push((line, Some(s.id.clone()), e.to_string())),
                }
            }
            Ok(out)
        }
    }
}

//! Reading session files (JSONL, or long format — one event per row — as CSV or Parquet) with
//! the schema.

use anyhow::{Context, Result, bail};
use parquet::basic::{LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::types::Type;
use seqrisk_core::encode::MerchantVectors;
use seqrisk_core::schema::{
    ColumnKind, GroupedRows, JsonlReader, Limits, Schema, Session, csv_rows, long_rows, read_csv,
    read_jsonl, read_rows,
};
use seqrisk_core::{DataError, DataProblem, Error, Location};
use std::io::{BufReader, Read};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON session per line.
    Jsonl,
    /// One event per row.
    Csv,
    /// One event per row, as a Parquet table (a warehouse export).
    Parquet,
}

impl Format {
    /// Guess from the file extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl") | Some("ndjson") | Some("json") => Ok(Format::Jsonl),
            Some("csv") => Ok(Format::Csv),
            Some("parquet") | Some("pq") => Ok(Format::Parquet),
            _ => bail!(
                "{}: unknown data format; use a .jsonl (one session per line), .csv or .parquet (one event per row) file",
                path.display()
            ),
        }
    }
}

/// A data file's sessions and a fingerprint of its bytes.
pub struct Loaded {
    /// The sessions.
    pub sessions: Vec<Session>,
    /// `name:bytes:crc32` of the file.
    pub fingerprint: String,
}

/// A reader that hashes what passes through it: the data fingerprint of a file read once,
/// without holding its bytes beside the sessions parsed from them.
struct Fingerprinting<R> {
    inner: R,
    crc: crc32fast::Hasher,
    len: u64,
}

impl<R: Read> Read for Fingerprinting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

impl Fingerprinting<std::fs::File> {
    /// What `read` makes of the file at `path`, with the file's length and crc32 (over all of
    /// it: what `read` leaves unread is read through too).
    fn read_file<T>(
        path: &Path,
        read: impl FnOnce(BufReader<&mut Self>) -> seqrisk_core::Result<T>,
    ) -> Result<(T, u64, u32)> {
        let cannot = || format!("cannot read {}", path.display());
        let mut reader = Self {
            inner: std::fs::File::open(path).with_context(cannot)?,
            crc: crc32fast::Hasher::new(),
            len: 0,
        };
        let made = read(BufReader::new(&mut reader))?;
        std::io::copy(&mut reader, &mut std::io::sink()).with_context(cannot)?;
        Ok((made, reader.len, reader.crc.finalize()))
    }
}

/// Read a data file; a JSONL file's lines are held to `limits` (see [`Limits`]). JSONL and CSV
/// are parsed as they are read (a 570 MB file no longer sits in memory beside its sessions);
/// Parquet, whose footer comes last, is read whole.
pub fn read_sessions(path: &Path, schema: &Schema, limits: &Limits) -> Result<Loaded> {
    let format = Format::from_path(path)?;
    let name = path.display().to_string();
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.clone());
    let (sessions, len, crc) = match format {
        Format::Jsonl => Fingerprinting::read_file(path, |r| read_jsonl(r, &name, schema, limits))?,
        Format::Csv => Fingerprinting::read_file(path, |r| read_csv(r, &name, schema))?,
        Format::Parquet => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let (len, crc) = (bytes.len() as u64, crc32fast::hash(&bytes));
            (read_parquet(bytes, &name, schema)?, len, crc)
        }
    };
    Ok(Loaded {
        fingerprint: format!("{file_name}:{len}:{crc:08x}"),
        sessions,
    })
}

/// One Parquet value as the long format's string cell: numbers and booleans as text,
/// timestamps as RFC 3339 text in UTC and dates as ISO 8601 dates (the timestamp reader takes
/// both whatever the schema's unit), null as empty.
fn parquet_cell(field: &Field) -> Option<String> {
    let instant = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    };
    Some(match field {
        Field::Null => String::new(),
        Field::Bool(b) => b.to_string(),
        Field::Byte(x) => x.to_string(),
        Field::Short(x) => x.to_string(),
        Field::Int(x) => x.to_string(),
        Field::Long(x) => x.to_string(),
        Field::UByte(x) => x.to_string(),
        Field::UShort(x) => x.to_string(),
        Field::UInt(x) => x.to_string(),
        Field::ULong(x) => x.to_string(),
        Field::Float16(x) => x.to_string(),
        Field::Float(x) => x.to_string(),
        Field::Double(x) => x.to_string(),
        Field::Str(x) => x.clone(),
        Field::Date(days) => chrono::NaiveDate::from_epoch_days(*days)?.to_string(),
        Field::TimestampMillis(x) => instant(chrono::DateTime::from_timestamp_millis(*x))?,
        Field::TimestampMicros(x) => instant(chrono::DateTime::from_timestamp_micros(*x))?,
        Field::TimeMillis(x) => x.to_string(),
        Field::TimeMicros(x) => x.to_string(),
        _ => return None,
    })
}

/// Read sessions from the bytes of a long-format Parquet file (one event per row, flat columns).
///
/// The `parquet` crate (60.1, the newest) asserts on some corrupt pages instead of returning an
/// error — the property test `parquet_reads_or_errs` found `bit_util`'s "size <= src.len()" —
/// so its decoding runs under `catch_unwind`, and such a file is refused with the assertion's
/// message like any other unreadable file.
pub fn read_parquet(bytes: Vec<u8>, source: &str, schema: &Schema) -> Result<Vec<Session>> {
    let decoded = guarded(source, || {
        let file_len = bytes.len() as u64;
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes))
            .with_context(|| format!("{source}: not a readable Parquet file"))?;
        let (headers, rows) = parquet_table(reader, file_len, source)?;
        Ok(read_rows(&headers, rows, source, schema)?)
    });
    decoded?
}

/// `f` under `catch_unwind`: a panic of the Parquet decoder as an error naming `source`.
fn guarded<T>(source: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        anyhow::anyhow!(
            "{source}: not a readable Parquet file: the Parquet decoder failed: {message}"
        )
    })
}

/// The column names of a Parquet file and its rows as long-format string cells (1-based row
/// numbers), decoded a row group at a time.
fn parquet_table<R: parquet::file::reader::ChunkReader + 'static>(
    reader: SerializedFileReader<R>,
    file_len: u64,
    source: &str,
) -> Result<(Vec<String>, ParquetRows)> {
    check_column_chunks(reader.metadata(), file_len, source)?;
    let headers: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let rows = parquet::record::reader::RowIter::from_file_into(Box::new(reader));
    Ok((
        headers,
        ParquetRows {
            rows,
            source: source.to_string(),
            row: 0,
        },
    ))
}

/// The rows of a Parquet file as long-format string cells, each read under the decoder's
/// panic guard (a panic ends the rows with an error naming the row).
pub struct ParquetRows {
    rows: parquet::record::reader::RowIter<'static>,
    source: String,
    row: usize,
}

impl Iterator for ParquetRows {
    type Item = seqrisk_core::Result<(usize, Vec<String>)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.row += 1;
        let loc = Location::new(self.source.as_str(), self.row);
        let io = |message: String| Error::Io {
            location: loc.clone(),
            message,
        };
        let row = match guarded(&self.source, || self.rows.next()) {
            Ok(row) => row?,
            Err(panic) => return Some(Err(io(panic.to_string()))),
        };
        let row = match row {
            Ok(row) => row,
            Err(e) => return Some(Err(io(e.to_string()))),
        };
        let cells = row
            .get_column_iter()
            .map(|(name, field)| {
                parquet_cell(field).ok_or_else(|| {
                    Error::Data(DataError {
                        location: loc.clone(),
                        field: name.clone(),
                        problem: DataProblem::Malformed(format!(
                            "nested Parquet value {field} (flat columns only)"
                        )),
                    })
                })
            })
            .collect::<seqrisk_core::Result<Vec<String>>>();
        Some(cells.map(|c| (self.row, c)))
    }
}

/// The sessions of a data file one at a time, each with its line (JSONL) or first row (CSV,
/// Parquet), in memory bounded by one session: what batch scoring streams. CSV and Parquet
/// tables must hold each session's rows together ([`GroupedRows`]).
pub fn stream_sessions<'a>(
    path: &Path,
    source: &'a str,
    schema: &'a Schema,
    limits: &'a Limits,
) -> Result<SessionStream<'a>> {
    let cannot = || format!("cannot read {}", path.display());
    let file = std::fs::File::open(path).with_context(cannot)?;
    Ok(match Format::from_path(path)? {
        Format::Jsonl => Box::new(JsonlReader::new(
            BufReader::new(file),
            source,
            schema,
            limits,
        )),
        Format::Csv => {
            let (headers, rows) = csv_rows(BufReader::new(file), source)?;
            Box::new(GroupedRows::new(&headers, rows, source, schema, limits)?)
        }
        Format::Parquet => {
            let file_len = file.metadata().with_context(cannot)?.len();
            let (headers, rows) = guarded(source, || {
                let reader = SerializedFileReader::new(file)
                    .with_context(|| format!("{source}: not a readable Parquet file"))?;
                parquet_table(reader, file_len, source)
            })??;
            Box::new(GroupedRows::new(&headers, rows, source, schema, limits)?)
        }
    })
}

/// Sessions streamed from a file, with their lines or first rows ([`stream_sessions`]).
pub type SessionStream<'a> = Box<dyn Iterator<Item = (usize, seqrisk_core::Result<Session>)> + 'a>;

/// Every column chunk the footer lists must lie inside the file: the `parquet` crate panics on
/// a negative offset or size (`ColumnChunkMetaData::byte_range`), which a corrupt or crafted
/// footer can hold.
fn check_column_chunks(metadata: &ParquetMetaData, file_len: u64, source: &str) -> Result<()> {
    for (g, group) in metadata.row_groups().iter().enumerate() {
        for column in group.columns() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            let len = column.compressed_size();
            let inside = u64::try_from(start)
                .ok()
                .zip(u64::try_from(len).ok())
                .and_then(|(s, l)| s.checked_add(l))
                .is_some_and(|end| end <= file_len);
            if !inside {
                bail!(
                    "{source}: not a readable Parquet file: row group {g}, column `{}` claims bytes {start}..{start}+{len} of a {file_len}-byte file",
                    column.column_path()
                );
            }
        }
    }
    Ok(())
}

/// The long table's leading columns that always have a value: the session id alone (a session
/// without events is a row without a timestamp).
const REQUIRED_COLUMNS: usize = 1;

/// Sessions per row group of [`parquet_bytes`]: the long rows (one string a cell) are built a
/// group at a time. Built whole, 200,000 generated sessions (4 million rows) took 7.2 GB.
const PARQUET_GROUP_SESSIONS: usize = 8192;

/// Sessions as a long-format Parquet table: one row per event, typed columns (text as UTF-8,
/// the timestamp and numeric fields as doubles, label and planted marker as booleans), all
/// optional except the session id, a row group per [`PARQUET_GROUP_SESSIONS`] sessions; what
/// [`read_sessions`] reads back.
pub fn parquet_bytes(sessions: &[Session], schema: &Schema) -> Result<Vec<u8>> {
    parquet_in_groups(sessions, schema, PARQUET_GROUP_SESSIONS)
}

/// [`parquet_bytes`] with `group` sessions per row group (a session's rows never span two).
fn parquet_in_groups(sessions: &[Session], schema: &Schema, group: usize) -> Result<Vec<u8>> {
    let (columns, _) = long_rows(&[], schema)?;
    let fields = columns
        .iter()
        .enumerate()
        .map(|(i, (name, kind))| {
            let (physical, logical) = match kind {
                ColumnKind::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
                ColumnKind::Number => (PhysicalType::DOUBLE, None),
                ColumnKind::Flag => (PhysicalType::BOOLEAN, None),
            };
            let repetition = if i < REQUIRED_COLUMNS {
                Repetition::REQUIRED
            } else {
                Repetition::OPTIONAL
            };
            Ok(Arc::new(
                Type::primitive_type_builder(name, physical)
                    .with_logical_type(logical)
                    .with_repetition(repetition)
                    .build()?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let message = Arc::new(
        Type::group_type_builder("session_events")
            .with_fields(fields)
            .build()?,
    );
    let mut out = Vec::new();
    let mut writer = SerializedFileWriter::new(
        &mut out,
        message,
        Arc::new(WriterProperties::builder().build()),
    )?;
    // an empty table is still one (empty) row group
    let chunks: Vec<&[Session]> = if sessions.is_empty() {
        vec![sessions]
    } else {
        sessions.chunks(group.max(1)).collect()
    };
    for chunk in chunks {
        let (_, rows) = long_rows(chunk, schema)?;
        write_row_group(&mut writer, &columns, &rows)?;
    }
    writer.close()?;
    Ok(out)
}

/// One row group of long rows (`columns` as [`long_rows`] names them).
fn write_row_group<W: std::io::Write + Send>(
    writer: &mut SerializedFileWriter<W>,
    columns: &[(String, ColumnKind)],
    rows: &[Vec<String>],
) -> Result<()> {
    let mut group = writer.next_row_group()?;
    let mut c = 0;
    while let Some(mut column) = group.next_column()? {
        let cells: Vec<&str> = rows.iter().map(|r| r[c].as_str()).collect();
        let levels: Vec<i16> = cells.iter().map(|v| i16::from(!v.is_empty())).collect();
        let present = cells.iter().filter(|v| !v.is_empty());
        let levels = (c >= REQUIRED_COLUMNS).then_some(levels.as_slice());
        match columns[c].1 {
            ColumnKind::Text => {
                let values: Vec<ByteArray> = present.map(|v| ByteArray::from(*v)).collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, levels, None)?;
            }
            ColumnKind::Number => {
                let values = present
                    .map(|v| v.parse::<f64>())
                    .collect::<Result<Vec<_>, _>>()?;
                column
                    .typed::<DoubleType>()
                    .write_batch(&values, levels, None)?;
            }
            ColumnKind::Flag => {
                let values: Vec<bool> = present.map(|v| *v == "1").collect();
                column
                    .typed::<BoolType>()
                    .write_batch(&values, levels, None)?;
            }
        }
        column.close()?;
        c += 1;
    }
    group.close()?;
    Ok(())
}

/// Read a schema file, or the synthetic default when `path` is `None`.
pub fn read_schema(path: Option<&Path>) -> Result<Schema> {
    match path {
        None => Ok(Schema::synthetic_default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Ok(Schema::from_file_text(&p.display().to_string(), &text)?)
        }
    }
}

/// Pretrained merchant vectors (LBSF's `--merchant-vectors`) from `path`: `.safetensors` with
/// one 1-D float tensor per merchant, named by the merchant; or CSV whose first column is the
/// merchant's name and whose other columns are the vector (a header row first).
pub fn read_merchant_vectors(path: &Path) -> Result<MerchantVectors> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let rows = if name.ends_with(".safetensors") {
        merchant_vectors_safetensors(&bytes, &name)?
    } else if name.ends_with(".csv") {
        merchant_vectors_csv(&bytes, &name)?
    } else {
        bail!("{name}: merchant vectors must be a .safetensors or .csv file");
    };
    Ok(MerchantVectors::new(rows, &name)?)
}

fn merchant_vectors_csv(bytes: &[u8], name: &str) -> Result<Vec<(String, Vec<f32>)>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let width = reader
        .headers()
        .with_context(|| format!("{name}: cannot read the header"))?
        .len();
    if width < 2 {
        bail!("{name}: the header needs a merchant column and at least one vector column");
    }
    let mut rows = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.with_context(|| format!("{name}:{line}: not a CSV row of {width} cells"))?;
        let merchant = row.get(0).unwrap_or("").to_string();
        let vector = row
            .iter()
            .enumerate()
            .skip(1)
            .map(|(c, cell)| {
                cell.trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .with_context(|| {
                        format!(
                            "{name}:{line}: column {} is `{cell}`, not a finite number",
                            c + 1
                        )
                    })
            })
            .collect::<Result<Vec<f32>>>()?;
        rows.push((merchant, vector));
    }
    Ok(rows)
}

fn merchant_vectors_safetensors(bytes: &[u8], name: &str) -> Result<Vec<(String, Vec<f32>)>> {
    use safetensors::{Dtype, SafeTensors};
    let tensors = SafeTensors::deserialize(bytes)
        .map_err(|e| anyhow::anyhow!("{name}: not a safetensors file: {e}"))?;
    tensors
        .tensors()
        .into_iter()
        .map(|(merchant, view)| {
            let data = view.data();
            let vector: Vec<f32> = match (view.dtype(), view.shape()) {
                (Dtype::F32, [_]) => data
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
                (Dtype::F64, [_]) => data
                    .chunks_exact(8)
                    .map(|b| {
                        f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
                    })
                    .collect(),
                (dtype, shape) => bail!(
                    "{name}: tensor `{merchant}` is {dtype:?} of shape {shape:?}; merchant vectors must be 1-D F32 or F64"
                ),
            };
            Ok((merchant, vector))
        })
        .collect()
}

/// The artifact at `path`, read and checked.
pub fn load_artifact(path: &Path) -> Result<seqrisk_core::artifact::Artifact> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    seqrisk_core::artifact::Artifact::from_bytes(&bytes).with_context(|| path.display().to_string())
}

/// The artifact at `path`, ready to score on the CPU.
pub fn load_scorer(path: &Path) -> Result<seqrisk_core::scorer::Scorer> {
    Ok(seqrisk_core::scorer::Scorer::from_artifact(
        &load_artifact(path)?,
        burn::prelude::Device::flex(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use seqrisk_core::synth::{SynthConfig, generate, generate_sessions};

    /// Synthetic sessions (profile, planted markers, labels, missing values) survive Parquet:
    /// typed columns out, the long-format reader in.
    #[test]
    fn parquet_round_trip_of_synthetic_sessions() {
        let schema = Schema::synthetic_default();
        let sessions: Vec<Session> = generate_sessions(SynthConfig {
            sessions: 60,
            fraud_rate: 0.2,
            ..Default::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.parquet");
        std::fs::write(&path, parquet_bytes(&sessions, &schema).unwrap()).unwrap();
        let back = read_sessions(&path, &schema, &Limits::default()).unwrap();
        assert_eq!(back.sessions, sessions);
        // written a few sessions a row group: 60 sessions in groups of 7 are 9 groups
        let bytes = parquet_in_groups(&sessions, &schema, 7).unwrap();
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes.clone())).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 9);
        std::fs::write(&path, bytes).unwrap();
        let back = read_sessions(&path, &schema, &Limits::default()).unwrap();
        assert_eq!(back.sessions, sessions);
    }

    /// HUIHEN's older, profile-only population (sessions without events) survives Parquet as
    /// one row each with no timestamp, next to applicants with events.
    #[test]
    fn parquet_round_trip_of_sessions_without_events() {
        use seqrisk_core::synth::credit::{CreditConfig, generate_credit};
        let schema = Schema::credit_default();
        let data = generate_credit(CreditConfig {
            users: 15,
            old_users: 25,
            seed: 4,
            ..Default::default()
        });
        let sessions: Vec<Session> = data.users.into_iter().chain(data.old_users).collect();
        assert!(sessions.iter().filter(|s| s.events.is_empty()).count() == 25);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credit.parquet");
        std::fs::write(&path, parquet_bytes(&sessions, &schema).unwrap()).unwrap();
        let back = read_sessions(&path, &schema, &Limits::default()).unwrap();
        assert_eq!(back.sessions, sessions);
    }

    /// A column the schema needs is named in the error.
    #[test]
    fn parquet_missing_column_is_named() {
        let schema = Schema::synthetic_default();
        let mut other = schema.clone();
        other.event.numeric.retain(|f| f.name != "amount");
        let sessions: Vec<Session> = generate(SynthConfig {
            sessions: 5,
            ..Default::default()
        })
        .into_iter()
        .map(|s| {
            let mut s = s.session;
            for e in &mut s.events {
                e.values.numeric = e.values.numeric[1..].into();
            }
            s
        })
        .collect();
        assert_eq!(schema.event.numeric[0].name, "amount");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.parquet");
        std::fs::write(&path, parquet_bytes(&sessions, &other).unwrap()).unwrap();
        let err = read_sessions(&path, &schema, &Limits::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("amount") && err.contains("missing"), "{err}");
    }

    /// Every single-byte change (xor 0x10) of a small Parquet file is read or refused with an
    /// error, never a panic: byte 12 made the `parquet` crate assert "size <= src.len()" and
    /// byte 941 "Decoder for dict should have been set" before `read_parquet` guarded it.
    #[test]
    fn corrupt_parquet_is_refused_not_panicked() {
        let schema = Schema::synthetic_default();
        let sessions: Vec<Session> = generate_sessions(SynthConfig {
            sessions: 3,
            ..Default::default()
        });
        let good = parquet_bytes(&sessions, &schema).unwrap();
        let mut refused = 0;
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x10;
            if let Err(e) = read_parquet(bad, "bad.parquet", &schema) {
                assert!(e.to_string().starts_with("bad.parquet"), "{e}");
                refused += 1;
            }
        }
        assert!(refused > 0);
    }
}

//! Reading session files (JSONL or CSV long format) with the schema.

use anyhow::{Context, Result, bail};
use seqrisk_core::schema::{Schema, Session, read_csv, read_jsonl};
use std::io::BufReader;
use std::path::Path;

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON session per line.
    Jsonl,
    /// One event per row.
    Csv,
}

impl Format {
    /// Guess from the file extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl") | Some("ndjson") | Some("json") => Ok(Format::Jsonl),
            Some("csv") => Ok(Format::Csv),
            _ => bail!(
                "{}: unknown data format; use a .jsonl (one session per line) or .csv (one event per row) file",
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

/// Read a data file.
pub fn read_sessions(path: &Path, schema: &Schema) -> Result<Loaded> {
    let format = Format::from_path(path)?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.display().to_string();
    let sessions = match format {
        Format::Jsonl => read_jsonl(BufReader::new(bytes.as_slice()), &name, schema)?,
        Format::Csv => read_csv(bytes.as_slice(), &name, schema)?,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(name);
    Ok(Loaded {
        fingerprint: format!(
            "{file_name}:{}:{:08x}",
            bytes.len(),
            crc32fast::hash(&bytes)
        ),
        sessions,
    })
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

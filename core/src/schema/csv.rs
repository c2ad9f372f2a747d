//! Long format: one event per row, sessions grouped by the session id column. [`read_csv`]
//! reads it from CSV; [`read_rows`] from any table given as header names and string cells
//! (native's Parquet reader uses it), so every tabular source groups and validates alike.
//!
//! Columns: the session id, the timestamp, the label (optional), the planted flag (optional),
//! every event field and every profile field. Profile values and the label repeat on each row
//! of a session (the first non-empty value wins; a conflicting one is an error); a row with
//! no timestamp and no event value adds none (a session without events is one such row). Rows of a
//! session need not be contiguous for [`read_rows`]; sessions keep the order of their first
//! row. [`GroupedRows`] streams a table whose sessions' rows are contiguous.

use super::Limits;
use super::Schema;
use super::session::{
    Category, Event, FieldValues, Session, collect_exact, data_err, field_number_from_str,
    label_from_str, timestamp_from_text,
};
use crate::error::{DataProblem, Error, Location, Result};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::Read;

struct Columns {
    id: usize,
    ts: usize,
    label: Option<usize>,
    entity: Option<usize>,
    planted: Option<usize>,
    event: [Vec<usize>; 3],
    profile: [Vec<Option<usize>>; 3],
}

fn find(headers: &[String], name: &str) -> Option<usize> {
    headers.iter().position(|h| h.trim() == name)
}

fn columns(headers: &[String], schema: &Schema, source: &str) -> Result<Columns> {
    let loc = Location::new(source, 1);
    let need =
        |name: &str| find(headers, name).ok_or_else(|| data_err(&loc, name, DataProblem::Missing));
    let ev = &schema.event;
    let pr = &schema.profile;
    let opt = |names: Vec<&String>| names.into_iter().map(|n| find(headers, n)).collect();
    Ok(Columns {
        id: need(&schema.session_id)?,
        ts: need(&schema.timestamp.field)?,
        label: schema.label.as_deref().and_then(|l| find(headers, l)),
        entity: schema.entity.as_deref().and_then(|e| find(headers, e)),
        planted: schema.planted.as_deref().and_then(|p| find(headers, p)),
        event: [
            ev.categorical
                .iter()
                .map(|f| need(&f.name))
                .collect::<Result<_>>()?,
            ev.numeric
                .iter()
                .map(|f| need(&f.name))
                .collect::<Result<_>>()?,
            ev.text
                .iter()
                .map(|f| need(&f.name))
                .collect::<Result<_>>()?,
        ],
        profile: [
            opt(pr.categorical.iter().map(|f| &f.name).collect()),
            opt(pr.numeric.iter().map(|f| &f.name).collect()),
            opt(pr.text.iter().map(|f| &f.name).collect()),
        ],
    })
}

fn cell(row: &[String], col: usize) -> Option<&str> {
    row.get(col).map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// The row's cells of `cols` as values (a column the file lacks, or an empty cell: `None`):
/// categorical values and text alike.
fn cells<T: for<'a> From<&'a str>>(row: &[String], cols: &[Option<usize>]) -> Vec<Option<T>> {
    cols.iter()
        .map(|c| c.and_then(|c| cell(row, c)).map(T::from))
        .collect()
}

/// Keep the first non-empty value of a session-level cell; a different later value is an error.
fn merge<T: PartialEq + std::fmt::Debug>(
    slot: &mut Option<T>,
    value: Option<T>,
    loc: &Location,
    field: &str,
) -> Result<()> {
    match (slot.as_ref(), value) {
        (_, None) => Ok(()),
        (None, Some(v)) => {
            *slot = Some(v);
            Ok(())
        }
        (Some(old), Some(v)) if *old == v => Ok(()),
        (Some(old), Some(v)) => Err(data_err(
            loc,
            field,
            DataProblem::Invalid(format!(
                "session-level value changes within the session ({old:?} before, {v:?} here)"
            )),
        )),
    }
}

/// [`merge`] a row's values into a session's slots, field by field.
fn merge_all<T: PartialEq + std::fmt::Debug>(
    slots: &mut [Option<T>],
    values: Vec<Option<T>>,
    names: &[&str],
    loc: &Location,
) -> Result<()> {
    for ((slot, value), name) in slots.iter_mut().zip(values).zip(names) {
        merge(slot, value, loc, name)?;
    }
    Ok(())
}

/// The header and the rows of a CSV text, each row with its 1-based line number (the header
/// being line 1) and its cells.
pub fn csv_rows<R: Read>(reader: R, source: &str) -> Result<(Vec<String>, CsvRows<R>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| {
            data_err(
                &Location::new(source, 1),
                "<header>",
                DataProblem::Malformed(e.to_string()),
            )
        })?
        .iter()
        .map(String::from)
        .collect();
    let rows = CsvRows {
        records: rdr.into_records(),
        source: source.to_string(),
        line: 1,
    };
    Ok((headers, rows))
}

/// The rows of [`csv_rows`].
pub struct CsvRows<R> {
    records: csv::StringRecordsIntoIter<R>,
    source: String,
    line: usize,
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<(usize, Vec<String>)>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.records.next()?;
        self.line += 1;
        let loc = Location::new(self.source.as_str(), self.line);
        Some(match row {
            Ok(row) => Ok((self.line, row.iter().map(String::from).collect())),
            Err(e) => Err(match e.kind() {
                csv::ErrorKind::Io(io) => Error::Io {
                    location: loc,
                    message: io.to_string(),
                },
                _ => data_err(&loc, "<row>", DataProblem::Malformed(e.to_string())),
            }),
        })
    }
}

/// Read sessions from CSV long format.
pub fn read_csv<R: Read>(reader: R, source: &str, schema: &Schema) -> Result<Vec<Session>> {
    let (headers, rows) = csv_rows(reader, source)?;
    read_rows(&headers, rows, source, schema)
}

/// How the rows of one long-format table become sessions: its columns, found once by name.
struct LongFormat<'a> {
    cols: Columns,
    schema: &'a Schema,
    profile_names: [Vec<&'a str>; 3],
    source: String,
}

impl<'a> LongFormat<'a> {
    fn new(headers: &[String], source: &str, schema: &'a Schema) -> Result<Self> {
        let pr = &schema.profile;
        Ok(Self {
            cols: columns(headers, schema, source)?,
            schema,
            profile_names: [
                pr.categorical.iter().map(|f| f.name.as_str()).collect(),
                pr.numeric.iter().map(|f| f.name.as_str()).collect(),
                pr.text.iter().map(|f| f.name.as_str()).collect(),
            ],
            source: source.to_string(),
        })
    }

    fn location(&self, line: usize) -> Location {
        Location::new(self.source.as_str(), line)
    }

    /// The session id a row belongs to.
    fn id_of<'r>(&self, row: &'r [String], loc: &Location) -> Result<&'r str> {
        cell(row, self.cols.id)
            .ok_or_else(|| data_err(loc, &self.schema.session_id, DataProblem::Missing))
    }

    /// A session with no events yet.
    fn session(&self, id: String) -> Session {
        let pr = &self.schema.profile;
        Session {
            entity: None,
            id,
            label: None,
            profile: FieldValues {
                categorical: vec![None; pr.categorical.len()].into(),
                numeric: vec![None; pr.numeric.len()].into(),
                text: vec![None; pr.text.len()].into(),
            },
            events: Vec::new(),
        }
    }

    /// Add a row's event to `s`, and merge its session-level values into `s`'s. A row with no
    /// timestamp and no event value is a session's row without an event: how a session with
    /// no events (HUIHEN's profile-only population) travels in long format.
    fn add_row(&self, s: &mut Session, row: &[String], loc: &Location) -> Result<()> {
        let (schema, cols) = (self.schema, &self.cols);
        let event_cells = || {
            let fields = cols.event.iter().flatten().copied();
            std::iter::once(cols.ts).chain(fields).chain(cols.planted)
        };
        let no_event = event_cells().all(|c| cell(row, c).is_none());
        let ts = if no_event {
            None
        } else {
            Some(timestamp_from_text(
                cell(row, cols.ts).unwrap_or(""),
                schema.timestamp.unit,
                loc,
                &schema.timestamp.field,
            )?)
        };
        let ev = &schema.event;
        let values = FieldValues {
            categorical: cols.event[0]
                .iter()
                .map(|&c| cell(row, c).map(Category::from))
                .collect(),
            numeric: collect_exact(
                cols.event[1]
                    .iter()
                    .zip(&ev.numeric)
                    .map(|(&c, f)| field_number_from_str(cell(row, c).unwrap_or(""), f, loc)),
            )?,
            text: cols.event[2]
                .iter()
                .map(|&c| cell(row, c).map(String::from))
                .collect(),
        };
        let planted = match (cols.planted, &schema.planted) {
            (Some(c), Some(name)) => {
                label_from_str(cell(row, c).unwrap_or(""), loc, name)?.unwrap_or(false)
            }
            _ => false,
        };
        let label = match (cols.label, &schema.label) {
            (Some(c), Some(name)) => label_from_str(cell(row, c).unwrap_or(""), loc, name)?,
            _ => None,
        };
        merge(
            &mut s.label,
            label,
            loc,
            schema.label.as_deref().unwrap_or("label"),
        )?;
        if let (Some(c), Some(name)) = (cols.entity, &schema.entity) {
            merge(&mut s.entity, cell(row, c).map(String::from), loc, name)?;
        }
        let names = &self.profile_names;
        let numbers = cols.profile[1]
            .iter()
            .zip(&schema.profile.numeric)
            .map(|(c, f)| field_number_from_str(c.and_then(|c| cell(row, c)).unwrap_or(""), f, loc))
            .collect::<Result<Vec<_>>>()?;
        let p = &mut s.profile;
        merge_all(
            &mut p.categorical,
            cells(row, &cols.profile[0]),
            &names[0],
            loc,
        )?;
        merge_all(&mut p.numeric, numbers, &names[1], loc)?;
        merge_all(&mut p.text, cells(row, &cols.profile[2]), &names[2], loc)?;
        if let Some(ts) = ts {
            s.events.push(Event {
                ts,
                values,
                planted,
            });
        }
        Ok(())
    }
}

/// A session's events in time order (equal times by value, so the rows' order does not
/// matter), without spare capacity (rows were pushed one by one).
fn finish(s: &mut Session) {
    Event::sort_chronologically(&mut s.events);
    s.events.shrink_to_fit();
}

/// Read sessions from long-format rows: `headers` name the columns, each row is its line (or
/// row) number and one string per column (empty for a missing value).
pub fn read_rows(
    headers: &[String],
    rows: impl Iterator<Item = Result<(usize, Vec<String>)>>,
    source: &str,
    schema: &Schema,
) -> Result<Vec<Session>> {
    let format = LongFormat::new(headers, source, schema)?;
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut sessions: Vec<Session> = Vec::new();
    for row in rows {
        let (line, row) = row?;
        let loc = format.location(line);
        let id = format.id_of(&row, &loc)?;
        let k = match index.get(id) {
            Some(&k) => k,
            None => {
                index.insert(id.to_string(), sessions.len());
                sessions.push(format.session(id.to_string()));
                sessions.len() - 1
            }
        };
        format.add_row(&mut sessions[k], &row, &loc)?;
    }
    sessions.iter_mut().for_each(finish);
    Ok(sessions)
}

/// The sessions of long-format rows one at a time, in memory bounded by one session, for a
/// table whose sessions' rows are contiguous (grouped or sorted by session id, as exports and
/// Spark's `groupBy` write them); each comes with the line (row) of its first row. What
/// [`read_rows`] collects from a table in any order, streamed: what batch scoring reads from
/// CSV and Parquet.
///
/// A session is an error item when one of its rows cannot be read (or has a value the schema
/// refuses), when it has more than `max_events` rows or a cell longer than `max_string_bytes`,
/// or when its id appeared earlier in the table (its rows are not contiguous, so it cannot be
/// streamed whole: every such later group is refused, naming its first row). A row that cannot
/// be parsed at all fails the session being read. A row without a session id is an error item
/// of its own. A read error of the stream itself is the last item. Ids already read are
/// remembered by a 64-bit hash (8 bytes a session).
pub struct GroupedRows<'a, I> {
    format: LongFormat<'a>,
    rows: I,
    limits: Limits,
    // the first row of the next session, read ahead
    pending: Option<(usize, Vec<String>)>,
    seen: HashSet<u64>,
    done: bool,
}

impl<'a, I: Iterator<Item = Result<(usize, Vec<String>)>>> GroupedRows<'a, I> {
    /// Group `rows`, whose columns `headers` name, read from `source` with `schema`.
    pub fn new(
        headers: &[String],
        rows: I,
        source: &str,
        schema: &'a Schema,
        limits: &Limits,
    ) -> Result<Self> {
        Ok(Self {
            format: LongFormat::new(headers, source, schema)?,
            rows,
            limits: *limits,
            pending: None,
            seen: HashSet::new(),
            done: false,
        })
    }

    /// Whether a row holds a cell over `max_string_bytes` (named by its column).
    fn long_cell(&self, row: &[String], loc: &Location) -> Result<()> {
        let max = self.limits.max_string_bytes;
        match row.iter().position(|c| c.len() > max) {
            Some(i) => Err(data_err(
                loc,
                format!("<column {}>", i + 1),
                DataProblem::OverLimit(format!(
                    "a cell of {} bytes; at most {max} (max_string_bytes)",
                    row[i].len()
                )),
            )),
            None => Ok(()),
        }
    }

    /// Read `row` into the session being built, unless it failed already.
    fn add(&self, state: &mut Result<Session>, row: &[String], loc: &Location) {
        let Ok(s) = state else { return };
        let added = if s.events.len() >= self.limits.max_events {
            Err(data_err(
                loc,
                "events",
                DataProblem::OverLimit(format!(
                    "more than {} events (max_events)",
                    self.limits.max_events
                )),
            ))
        } else {
            self.long_cell(row, loc)
                .and_then(|()| self.format.add_row(s, row, loc))
        };
        if let Err(e) = added {
            // its later rows are read through, not stored
            *state = Err(e);
        }
    }
}

fn id_hash(id: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl<I: Iterator<Item = Result<(usize, Vec<String>)>>> Iterator for GroupedRows<'_, I> {
    type Item = (usize, Result<Session>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (first, row) = match self.pending.take() {
            Some(p) => p,
            None => match self.rows.next()? {
                Ok(r) => r,
                Err(e) => {
                    let line = match &e {
                        Error::Data(d) => d.location.line,
                        Error::Io { location, .. } => location.line,
                        _ => 0,
                    };
                    self.done = matches!(e, Error::Io { .. });
                    return Some((line, Err(e)));
                }
            },
        };
        let loc = self.format.location(first);
        let id = match self.format.id_of(&row, &loc) {
            Ok(id) => id.to_string(),
            Err(e) => return Some((first, Err(e))),
        };
        let mut state = if self.seen.insert(id_hash(&id)) {
            Ok(self.format.session(id.clone()))
        } else {
            Err(data_err(
                &loc,
                &self.format.schema.session_id,
                DataProblem::Invalid(format!(
                    "session `{id}` appeared earlier: a streamed table needs each session's rows together (sort it by session id, or read it whole)"
                )),
            ))
        };
        self.add(&mut state, &row, &loc);
        loop {
            match self.rows.next() {
                None => break,
                Some(Ok((line, row))) => {
                    let loc = self.format.location(line);
                    if self.format.id_of(&row, &loc).is_ok_and(|next| next == id) {
                        self.add(&mut state, &row, &loc);
                    } else {
                        // another session's first row, or a row without an id (an item of its own)
                        self.pending = Some((line, row));
                        break;
                    }
                }
                Some(Err(e)) => {
                    let io = matches!(e, Error::Io { .. });
                    if state.is_ok() {
                        state = Err(e);
                    }
                    if io {
                        self.done = true;
                        break;
                    }
                }
            }
        }
        Some((
            first,
            state.map(|mut s| {
                finish(&mut s);
                s
            }),
        ))
    }
}

/// The type of a long-format column, for writers of typed tables (Parquet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text (the session id, categorical and text fields).
    Text,
    /// A number (the timestamp, numeric fields).
    Number,
    /// A 0/1 flag (the label, the planted marker).
    Flag,
}

/// Named, typed columns and one row of string cells per event (empty for a missing value).
pub type LongTable = (Vec<(String, ColumnKind)>, Vec<Vec<String>>);

/// Sessions in long format (the inverse of [`read_rows`]): one row per event, session-level
/// values repeated on every row. A session without events cannot be represented and is
/// reported as an error.
pub fn long_rows(sessions: &[Session], schema: &Schema) -> Result<LongTable> {
    let (ev, pr) = (&schema.event, &schema.profile);
    let mut columns: Vec<(String, ColumnKind)> = vec![
        (schema.session_id.clone(), ColumnKind::Text),
        (
            schema.timestamp.field.clone(),
            match schema.timestamp.unit {
                super::TimeUnit::Rfc3339 => ColumnKind::Text,
                _ => ColumnKind::Number,
            },
        ),
    ];
    columns.extend(schema.label.iter().map(|l| (l.clone(), ColumnKind::Flag)));
    columns.extend(schema.entity.iter().map(|e| (e.clone(), ColumnKind::Text)));
    columns.extend(schema.planted.iter().map(|p| (p.clone(), ColumnKind::Flag)));
    for g in [ev, pr] {
        columns.extend(
            g.categorical
                .iter()
                .map(|f| (f.name.clone(), ColumnKind::Text)),
        );
        columns.extend(
            g.numeric
                .iter()
                .map(|f| (f.name.clone(), ColumnKind::Number)),
        );
        columns.extend(g.text.iter().map(|f| (f.name.clone(), ColumnKind::Text)));
    }
    let num = |v: &Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let txt = |v: &Option<String>| v.clone().unwrap_or_default();
    let cat = |v: &Option<Category>| v.as_deref().unwrap_or_default().to_string();
    let mut rows = Vec::new();
    // a session without events is one row of its session-level values (see `add_row`)
    let no_event = Event {
        ts: 0.0,
        values: FieldValues {
            categorical: vec![None; schema.event.categorical.len()].into(),
            numeric: vec![None; schema.event.numeric.len()].into(),
            text: vec![None; schema.event.text.len()].into(),
        },
        planted: false,
    };
    for s in sessions {
        let without_events = s.events.is_empty().then_some(None);
        for event in s.events.iter().map(Some).chain(without_events) {
            let e = event.unwrap_or(&no_event);
            let ts = event.map_or_else(String::new, |e| match schema.timestamp.unit.write(e.ts) {
                super::TimeText::Number(x) => x.to_string(),
                super::TimeText::Text(t) => t,
            });
            let mut row: Vec<String> = vec![s.id.clone(), ts];
            if schema.label.is_some() {
                row.push(s.label.map(|l| u8::from(l).to_string()).unwrap_or_default());
            }
            if schema.entity.is_some() {
                row.push(txt(&s.entity));
            }
            if schema.planted.is_some() {
                row.push(if e.planted { "1" } else { "" }.to_string());
            }
            for v in [&e.values, &s.profile] {
                row.extend(v.categorical.iter().map(cat));
                row.extend(v.numeric.iter().map(num));
                row.extend(v.text.iter().map(txt));
            }
            rows.push(row);
        }
    }
    Ok((columns, rows))
}

/// Write sessions in CSV long format (the inverse of [`read_csv`]), see [`long_rows`].
pub fn write_csv<W: std::io::Write>(
    sessions: &[Session],
    schema: &Schema,
    writer: W,
) -> Result<()> {
    let io = |e: csv::Error| Error::Io {
        location: Location::new("<csv output>", 0),
        message: e.to_string(),
    };
    let (columns, rows) = long_rows(sessions, schema)?;
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(columns.iter().map(|c| &c.0)).map_err(io)?;
    for row in rows {
        w.write_record(&row).map_err(io)?;
    }
    w.flush().map_err(|e| Error::Io {
        location: Location::new("<csv output>", 0),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DataError;

    fn schema() -> Schema {
        Schema::from_toml(
            r#"
            label = "label"
            [timestamp]
            field = "ts"
            unit = "milliseconds"
            [[event.categorical]]
            name = "kind"
            [[event.numeric]]
            name = "amount"
            [[profile.categorical]]
            name = "tier"
            "#,
        )
        .unwrap()
    }

    #[test]
    fn groups_rows_by_session() {
        let text = "id,ts,kind,amount,tier,label\nb,3000,pay,2.5,gold,1\na,1000,login,,,0\nb,1000,login,,gold,\n";
        let s = read_csv(text.as_bytes(), "e.csv", &schema()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].id, "b");
        assert_eq!(s[0].label, Some(true));
        assert_eq!(s[0].events.len(), 2);
        assert_eq!(s[0].events[0].ts, 1.0);
        assert_eq!(s[0].events[1].values.numeric[0], Some(2.5));
        assert_eq!(s[0].profile.categorical[0].as_deref(), Some("gold"));
        assert_eq!(s[1].label, Some(false));
    }

    fn error_of(text: &str) -> DataError {
        match read_csv(text.as_bytes(), "e.csv", &schema()) {
            Err(Error::Data(e)) => e,
            other => panic!("expected a data error, got {other:?}"),
        }
    }

    /// `n` synthetic sessions, their schema and their CSV.
    fn synthetic_csv(n: usize) -> (Schema, Vec<Session>, Vec<u8>) {
        let schema = Schema::synthetic_default();
        let sessions: Vec<Session> = crate::synth::generate(crate::synth::SynthConfig {
            sessions: n,
            ..Default::default()
        })
        .into_iter()
        .map(|s| s.session)
        .collect();
        let mut buf = Vec::new();
        write_csv(&sessions, &schema, &mut buf).unwrap();
        (schema, sessions, buf)
    }

    #[test]
    fn csv_round_trip_of_synthetic_sessions() {
        let (schema, sessions, buf) = synthetic_csv(50);
        let back = read_csv(buf.as_slice(), "rt.csv", &schema).unwrap();
        assert_eq!(back, sessions);
        // no spare capacity is kept per session
        for s in &back {
            assert_eq!(s.events.capacity(), s.events.len());
        }
    }

    /// HUIHEN's older population has profiles and no events: each such session is one row
    /// with no timestamp and no event value, read back as a session without events; a row
    /// with an event value but no timestamp is still an error naming the timestamp.
    #[test]
    fn sessions_without_events_survive_long_format() {
        use crate::synth::credit::{CreditConfig, generate_credit};
        let schema = Schema::credit_default();
        let data = generate_credit(CreditConfig {
            users: 20,
            old_users: 30,
            seed: 3,
            ..Default::default()
        });
        assert!(data.old_users.iter().all(|s| s.events.is_empty()));
        let both: Vec<Session> = data.users.into_iter().chain(data.old_users).collect();
        let mut buf = Vec::new();
        write_csv(&both, &schema, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let rows = both.iter().map(|s| s.events.len().max(1)).sum::<usize>();
        assert_eq!(text.lines().count(), 1 + rows);
        assert_eq!(read_csv(text.as_bytes(), "c.csv", &schema).unwrap(), both);
        // the same row with an event value and no timestamp
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let last = reader.records().last().unwrap().unwrap();
        let mut cells: Vec<String> = last.iter().map(String::from).collect();
        assert_eq!(cells[1], "", "{last:?}");
        let field = &schema.event.numeric[0].name;
        cells[header.iter().position(|c| c == field).unwrap()] = "5".into();
        let mut bad = csv::Writer::from_writer(Vec::new());
        bad.write_record(&header).unwrap();
        bad.write_record(&cells).unwrap();
        let bad = bad.into_inner().unwrap();
        let e = match read_csv(bad.as_slice(), "c.csv", &schema) {
            Err(Error::Data(e)) => e,
            other => panic!("expected a data error, got {other:?}"),
        };
        assert_eq!(e.location.line, 2, "{e}");
        assert_eq!(e.field, schema.timestamp.field, "{e}");
    }

    /// The transactions scenario names each session's card (`entity`): it survives CSV and
    /// JSON, and a session whose rows disagree on it is refused naming the line.
    #[test]
    fn the_entity_survives_csv_and_json_and_must_not_change_within_a_session() {
        use crate::synth::transactions::{TransactionsConfig, generate_transactions};
        let schema = Schema::from_toml(crate::schema::TRANSACTIONS_SCHEMA_TOML).unwrap();
        let sessions = generate_transactions(TransactionsConfig {
            customers: 40,
            terminals: 200,
            days: 20,
            sessions: 30,
            ..Default::default()
        });
        assert!(
            sessions
                .iter()
                .all(|s| s.entity.as_deref() == s.id.split('-').next())
        );
        let mut buf = Vec::new();
        write_csv(&sessions, &schema, &mut buf).unwrap();
        let back = read_csv(buf.as_slice(), "rt.csv", &schema).unwrap();
        assert_eq!(back, sessions);
        for s in &sessions {
            let json = crate::schema::session_to_json(s, &schema);
            assert_eq!(json["card"].as_str(), s.entity.as_deref());
            let loc = Location::new("rt.jsonl", 1);
            assert_eq!(
                &crate::schema::session_from_json(&json, &schema, &loc).unwrap(),
                s
            );
        }
        let text = String::from_utf8(buf).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let card = header.split(',').position(|h| h == "card").unwrap();
        let second: Vec<&str> = lines.nth(1).unwrap().split(',').collect();
        let mut changed = second.clone();
        changed[card] = "c99999";
        let edited = format!(
            "{header}\n{}\n{}\n",
            text.lines().nth(1).unwrap(),
            changed.join(",")
        );
        let e = read_csv(edited.as_bytes(), "e.csv", &schema)
            .unwrap_err()
            .to_string();
        assert!(e.contains("e.csv:3") && e.contains("card"), "{e}");
    }

    /// A streamed item as the tests see it: its first line, and the session's id and event
    /// count or the error's line and field.
    type Item = (usize, std::result::Result<(String, usize), (usize, String)>);

    /// Stream `text` (a CSV) as [`GroupedRows`] does.
    fn stream(text: &str, limits: &Limits) -> Vec<Item> {
        let schema = schema();
        let (headers, rows) = csv_rows(text.as_bytes(), "e.csv").unwrap();
        GroupedRows::new(&headers, rows, "e.csv", &schema, limits)
            .unwrap()
            .map(|(line, s)| {
                let s = s.map(|s| (s.id, s.events.len())).map_err(|e| match e {
                    Error::Data(d) => (d.location.line, d.field),
                    other => panic!("{other}"),
                });
                (line, s)
            })
            .collect()
    }

    #[test]
    fn streamed_rows_give_what_reading_them_whole_gives() {
        let (schema, _, buf) = synthetic_csv(60);
        let (headers, rows) = csv_rows(buf.as_slice(), "rt.csv").unwrap();
        let streamed: Vec<(usize, Session)> =
            GroupedRows::new(&headers, rows, "rt.csv", &schema, &Limits::default())
                .unwrap()
                .map(|(line, s)| (line, s.unwrap()))
                .collect();
        let whole = read_csv(buf.as_slice(), "rt.csv", &schema).unwrap();
        assert_eq!(
            streamed.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>(),
            whole
        );
        // each session's line is its first row's: the header, then the rows before it
        let mut line = 2;
        for (first, s) in &streamed {
            assert_eq!(*first, line, "{}", s.id);
            line += s.events.len();
        }
    }

    #[test]
    fn streamed_rows_reject_a_session_not_the_stream() {
        let limits = Limits::default();
        let text = "id,ts,kind,amount\na,1,x,1\na,2,y,abc\na,3,y,2\nb,1,x,1\n,2,x,1\nc,1,x,1\nc,2,x\nd,1,x,1\nb,5,x,1\nb,6,x,1\ne,1,x,1\n";
        assert_eq!(
            stream(text, &limits),
            vec![
                // the bad amount fails `a` (its third row is read through)
                (2, Err((3, "amount".to_string()))),
                (5, Ok(("b".to_string(), 1))),
                // a row without an id is an item of its own
                (6, Err((6, "id".to_string()))),
                // a row of the wrong width fails the session being read
                (7, Err((8, "<row>".to_string()))),
                (9, Ok(("d".to_string(), 1))),
                // `b` again: refused whole, naming its first row
                (10, Err((10, "id".to_string()))),
                (12, Ok(("e".to_string(), 1))),
            ]
        );
    }

    #[test]
    fn streamed_rows_hold_a_session_to_the_limits() {
        let limits = Limits {
            max_events: 2,
            max_string_bytes: 4,
            ..Limits::default()
        };
        let text = "id,ts,kind,amount\na,1,x,1\na,2,x,1\na,3,x,1\nb,1,toolong,1\nc,1,x,1\n";
        let got = stream(text, &limits);
        assert_eq!(got[0], (2, Err((4, "events".to_string()))));
        assert_eq!(got[1], (5, Err((5, "<column 3>".to_string()))));
        assert_eq!(got[2], (6, Ok(("c".to_string(), 1))));
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = error_of("id,ts,kind,amount\na,1,x,1\na,2,y,abc\n");
        assert_eq!((e.location.line, e.field.as_str()), (3, "amount"));
        let e = error_of("id,ts,amount\n");
        assert_eq!((e.location.line, e.field.as_str()), (1, "kind"));
        let e = error_of("id,ts,kind,amount,tier\na,1,x,1,gold\na,2,y,1,silver\n");
        assert_eq!((e.location.line, e.field.as_str()), (3, "tier"));
        let e = error_of("id,ts,kind,amount\na,1,x\n");
        assert_eq!(e.location.line, 2);
        assert!(matches!(e.problem, DataProblem::Malformed(_)));
        let e = error_of("id,ts,kind,amount\n,1,x,2\n");
        assert_eq!((e.field.as_str(), e.problem), ("id", DataProblem::Missing));
    }

    /// A `log` field's value at or below 0 is refused on the row that holds it, event and
    /// profile fields alike; above 0 it is read.
    #[test]
    fn log_fields_refuse_values_at_or_below_zero() {
        let schema = Schema::from_toml(
            "[timestamp]\nfield = \"ts\"\n[[event.numeric]]\nname = \"amount\"\ntransform = \"log\"\n[[profile.numeric]]\nname = \"income\"\ntransform = \"log\"\n",
        )
        .unwrap();
        let read = |text: &str| read_csv(text.as_bytes(), "e.csv", &schema);
        assert!(read("id,ts,amount,income\na,1,0.5,10\n").is_ok());
        for (text, line, field, got) in [
            (
                "id,ts,amount,income\na,1,2,10\na,2,0,10\n",
                3,
                "amount",
                "0",
            ),
            ("id,ts,amount,income\na,1,2,-4\n", 2, "income", "-4"),
        ] {
            match read(text) {
                Err(Error::Data(e)) => {
                    assert_eq!((e.location.line, e.field.as_str()), (line, field));
                    assert_eq!(
                        e.problem,
                        DataProblem::Invalid(format!(
                            "transform = \"log\" takes values above 0, got {got}"
                        ))
                    );
                }
                other => panic!("{text}: expected a data error, got {other:?}"),
            }
        }
    }
}

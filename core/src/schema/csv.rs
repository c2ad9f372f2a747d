//! Long format: one event per row, sessions grouped by the session id column. [`read_csv`]
//! reads it from CSV; [`read_rows`] from any table given as header names and string cells
//! (native's Parquet reader uses it), so every tabular source groups and validates alike.
//!
//! Columns: the session id, the timestamp, the label (optional), the planted flag (optional),
//! every event field and every profile field. Profile values and the label repeat on each row
//! of a session (the first non-empty value wins; a conflicting one is an error). Rows of a
//! session need not be contiguous; sessions keep the order of their first row.

use super::Schema;
use super::session::{
    Category, Event, FieldValues, Session, collect_exact, data_err, label_from_str,
    number_from_str, timestamp_from_text,
};
use crate::error::{DataProblem, Error, Location, Result};
use std::collections::HashMap;
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

/// Read sessions from CSV long format.
pub fn read_csv<R: Read>(reader: R, source: &str, schema: &Schema) -> Result<Vec<Session>> {
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
    let rows = rdr.records().enumerate().map(|(i, row)| {
        let line = i + 2;
        let loc = Location::new(source, line);
        let row = row.map_err(|e| match e.kind() {
            csv::ErrorKind::Io(io) => Error::Io {
                location: loc.clone(),
                message: io.to_string(),
            },
            _ => data_err(&loc, "<row>", DataProblem::Malformed(e.to_string())),
        })?;
        Ok((line, row.iter().map(String::from).collect()))
    });
    read_rows(&headers, rows, source, schema)
}

/// Read sessions from long-format rows: `headers` name the columns, each row is its line (or
/// row) number and one string per column (empty for a missing value).
pub fn read_rows(
    headers: &[String],
    rows: impl Iterator<Item = Result<(usize, Vec<String>)>>,
    source: &str,
    schema: &Schema,
) -> Result<Vec<Session>> {
    let cols = columns(headers, schema, source)?;
    let pr = &schema.profile;
    let profile_names: [Vec<&str>; 3] = [
        pr.categorical.iter().map(|f| f.name.as_str()).collect(),
        pr.numeric.iter().map(|f| f.name.as_str()).collect(),
        pr.text.iter().map(|f| f.name.as_str()).collect(),
    ];
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut sessions: Vec<Session> = Vec::new();
    for row in rows {
        let (line, row) = row?;
        let loc = Location::new(source, line);
        let id = cell(&row, cols.id)
            .ok_or_else(|| data_err(&loc, &schema.session_id, DataProblem::Missing))?
            .to_string();
        let ts_name = &schema.timestamp.field;
        let ts = timestamp_from_text(
            cell(&row, cols.ts).unwrap_or(""),
            schema.timestamp.unit,
            &loc,
            ts_name,
        )?;
        let ev = &schema.event;
        let values = FieldValues {
            categorical: cols.event[0]
                .iter()
                .map(|&c| cell(&row, c).map(Category::from))
                .collect(),
            numeric: collect_exact(
                cols.event[1]
                    .iter()
                    .zip(&ev.numeric)
                    .map(|(&c, f)| number_from_str(cell(&row, c).unwrap_or(""), &loc, &f.name)),
            )?,
            text: cols.event[2]
                .iter()
                .map(|&c| cell(&row, c).map(String::from))
                .collect(),
        };
        let planted = match (cols.planted, &schema.planted) {
            (Some(c), Some(name)) => {
                label_from_str(cell(&row, c).unwrap_or(""), &loc, name)?.unwrap_or(false)
            }
            _ => false,
        };
        let label = match (cols.label, &schema.label) {
            (Some(c), Some(name)) => label_from_str(cell(&row, c).unwrap_or(""), &loc, name)?,
            _ => None,
        };
        let k = *index.entry(id.clone()).or_insert_with(|| {
            sessions.push(Session {
                entity: None,
                id,
                label: None,
                profile: FieldValues {
                    categorical: vec![None; pr.categorical.len()].into(),
                    numeric: vec![None; pr.numeric.len()].into(),
                    text: vec![None; pr.text.len()].into(),
                },
                events: Vec::new(),
            });
            sessions.len() - 1
        });
        let s = &mut sessions[k];
        merge(
            &mut s.label,
            label,
            &loc,
            schema.label.as_deref().unwrap_or("label"),
        )?;
        if let (Some(c), Some(name)) = (cols.entity, &schema.entity) {
            merge(&mut s.entity, cell(&row, c).map(String::from), &loc, name)?;
        }
        let numbers = cols.profile[1]
            .iter()
            .zip(&profile_names[1])
            .map(|(c, name)| {
                number_from_str(c.and_then(|c| cell(&row, c)).unwrap_or(""), &loc, name)
            })
            .collect::<Result<Vec<_>>>()?;
        let p = &mut s.profile;
        merge_all(
            &mut p.categorical,
            cells(&row, &cols.profile[0]),
            &profile_names[0],
            &loc,
        )?;
        merge_all(&mut p.numeric, numbers, &profile_names[1], &loc)?;
        merge_all(
            &mut p.text,
            cells(&row, &cols.profile[2]),
            &profile_names[2],
            &loc,
        )?;
        s.events.push(Event {
            ts,
            values,
            planted,
        });
    }
    for s in &mut sessions {
        s.events.sort_by(|a, b| a.ts.total_cmp(&b.ts));
        // rows were pushed one by one: give back the list's spare capacity
        s.events.shrink_to_fit();
    }
    Ok(sessions)
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
    for s in sessions {
        if s.events.is_empty() {
            return Err(Error::Model(format!(
                "session `{}` has no events and cannot be written in long format",
                s.id
            )));
        }
        for e in &s.events {
            let ts = match schema.timestamp.unit.write(e.ts) {
                super::TimeText::Number(x) => x.to_string(),
                super::TimeText::Text(t) => t,
            };
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

    #[test]
    fn csv_round_trip_of_synthetic_sessions() {
        let schema = Schema::synthetic_default();
        let sessions: Vec<Session> = crate::synth::generate(crate::synth::SynthConfig {
            sessions: 50,
            ..Default::default()
        })
        .into_iter()
        .map(|s| s.session)
        .collect();
        let mut buf = Vec::new();
        write_csv(&sessions, &schema, &mut buf).unwrap();
        let back = read_csv(buf.as_slice(), "rt.csv", &schema).unwrap();
        assert_eq!(back, sessions);
        // no spare capacity is kept per session
        for s in &back {
            assert_eq!(s.events.capacity(), s.events.len());
        }
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
}

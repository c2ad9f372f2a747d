//! Vocabularies for categorical fields: id 0 is padding / missing, id 1 the out-of-vocabulary
//! bucket, ids 2.. the values seen in training (most frequent first).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Id of padding and missing values.
pub const PAD: u32 = 0;
/// Id of values not seen (often enough) in training.
pub const OOV: u32 = 1;

/// A categorical field's vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct Vocab {
    tokens: Vec<String>,
    index: HashMap<String, u32>,
}

impl From<Vec<String>> for Vocab {
    fn from(tokens: Vec<String>) -> Self {
        let index = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32 + 2))
            .collect();
        Self { tokens, index }
    }
}

impl From<Vocab> for Vec<String> {
    fn from(v: Vocab) -> Self {
        v.tokens
    }
}

impl Vocab {
    /// Build from value counts: keep values seen at least `min_count` times, at most `max_size`
    /// of them, most frequent first (ties by value, so the result is deterministic).
    pub fn fit(counts: HashMap<String, usize>, min_count: usize, max_size: Option<usize>) -> Self {
        let mut items: Vec<(String, usize)> = counts
            .into_iter()
            .filter(|(_, c)| *c >= min_count)
            .collect();
        items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if let Some(max) = max_size {
            items.truncate(max);
        }
        items.into_iter().map(|(t, _)| t).collect::<Vec<_>>().into()
    }

    /// Id of a value: [`PAD`] for missing, [`OOV`] for unseen values.
    pub fn id(&self, value: Option<&str>) -> u32 {
        match value {
            None => PAD,
            Some(v) => self.index.get(v).copied().unwrap_or(OOV),
        }
    }

    /// Number of ids including padding and OOV.
    pub fn len(&self) -> usize {
        self.tokens.len() + 2
    }

    /// Whether no value was kept (only padding and OOV exist).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The value of an id (`<pad>` and `<oov>` for the reserved ones).
    pub fn token(&self, id: u32) -> &str {
        match id {
            PAD => "<pad>",
            OOV => "<oov>",
            _ => self
                .tokens
                .get(id as usize - 2)
                .map(String::as_str)
                .unwrap_or("<oov>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_reserved_and_ordered_by_frequency() {
        let counts = [("a", 1), ("b", 5), ("c", 5), ("d", 3)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let v = Vocab::fit(counts, 2, Some(2));
        assert_eq!(v.len(), 4);
        assert_eq!(v.id(Some("b")), 2);
        assert_eq!(v.id(Some("c")), 3);
        assert_eq!(v.id(Some("d")), OOV, "cut by max_size");
        assert_eq!(v.id(Some("a")), OOV, "below min_count");
        assert_eq!(v.id(None), PAD);
        assert_eq!(v.token(3), "c");
        let bytes = serde_json::to_string(&v).unwrap();
        assert_eq!(bytes, r#"["b","c"]"#);
        let back: Vocab = serde_json::from_str(&bytes).unwrap();
        assert_eq!(back, v);
    }
}

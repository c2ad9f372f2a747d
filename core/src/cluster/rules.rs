//! Rule explanations of clusters (FinDeepBehaviorCluster §3.5, Figure 4), in the manner of
//! Skope-rules: shallow trees grown on bootstrap bags of the cluster's sessions against
//! sampled other sessions give candidate rules (every path from a root to a node); each is
//! scored out of bag, kept when its precision and recall clear thresholds, reduced to one
//! condition per feature and direction, and de-duplicated semantically — of the rules over the
//! same features in the same directions only the best (by F1) stays. What is left reads
//! `geomean(dwell_ms) < 310 AND count(page=checkout) ≥ 2`.
//!
//! The trees themselves are grown by a GBDT crate in `native`; selecting, simplifying and
//! matching rules is here so every runtime shares it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `x[feature] < threshold` (`below`) or `x[feature] ≥ threshold`: the trees' split convention.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// Feature column.
    pub feature: usize,
    /// `<` when true, `≥` when false.
    pub below: bool,
    /// The split value.
    pub threshold: f64,
}

impl Condition {
    /// Whether `x` satisfies it (a missing column does not).
    pub fn holds(&self, x: &[f64]) -> bool {
        x.get(self.feature).is_some_and(|&v| {
            if self.below {
                v < self.threshold
            } else {
                v >= self.threshold
            }
        })
    }
}

/// A conjunction of conditions, with how well it picked its target where it was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// The conditions, by feature then direction.
    pub conditions: Vec<Condition>,
    /// Share of the matched rows that are targets.
    pub precision: f64,
    /// Share of the targets matched.
    pub recall: f64,
    /// Rows matched.
    pub support: usize,
}

/// Which candidate rules are kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleSettings {
    /// Smallest out-of-bag precision.
    pub min_precision: f64,
    /// Smallest out-of-bag recall.
    pub min_recall: f64,
    /// Most rules kept (the best by F1).
    pub max_rules: usize,
}

impl Default for RuleSettings {
    fn default() -> Self {
        Self {
            min_precision: 0.6,
            min_recall: 0.1,
            max_rules: 5,
        }
    }
}

/// A candidate rule and the rows it is scored on (those its tree did not see).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The path's conditions.
    pub conditions: Vec<Condition>,
    /// Out-of-bag rows.
    pub rows: Vec<usize>,
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    }
}

/// One condition per feature and direction, the tightest (the largest `≥`, the smallest `<`),
/// sorted by feature then direction.
pub fn simplify(conditions: &[Condition]) -> Vec<Condition> {
    let mut tightest: BTreeMap<(usize, bool), f64> = BTreeMap::new();
    for c in conditions {
        tightest
            .entry((c.feature, c.below))
            .and_modify(|t| {
                *t = if c.below {
                    t.min(c.threshold)
                } else {
                    t.max(c.threshold)
                }
            })
            .or_insert(c.threshold);
    }
    tightest
        .into_iter()
        .map(|((feature, below), threshold)| Condition {
            feature,
            below,
            threshold,
        })
        .collect()
}

impl Rule {
    /// Whether row `x` satisfies every condition.
    pub fn matches(&self, x: &[f64]) -> bool {
        self.conditions.iter().all(|c| c.holds(x))
    }

    /// The rule's conditions measured against `target` on `rows` (indices into `data`).
    pub fn measured(
        conditions: Vec<Condition>,
        data: &[Vec<f64>],
        target: &[bool],
        rows: impl Iterator<Item = usize>,
    ) -> Rule {
        let (mut matched, mut hits, mut targets) = (0usize, 0usize, 0usize);
        let rule = Rule {
            conditions,
            precision: 0.0,
            recall: 0.0,
            support: 0,
        };
        for r in rows {
            let m = rule.matches(&data[r]);
            matched += usize::from(m);
            hits += usize::from(m && target[r]);
            targets += usize::from(target[r]);
        }
        Rule {
            precision: hits as f64 / matched.max(1) as f64,
            recall: hits as f64 / targets.max(1) as f64,
            support: matched,
            ..rule
        }
    }

    /// F1 of precision and recall.
    pub fn f1(&self) -> f64 {
        f1(self.precision, self.recall)
    }

    /// The rule in words: `name < value AND …`, with `≤ k` / `≥ k` for integer columns.
    pub fn describe(&self, names: &[String], integer: &[bool]) -> String {
        self.conditions
            .iter()
            .map(|c| {
                let name = names.get(c.feature).map_or("?", String::as_str);
                if integer.get(c.feature).copied().unwrap_or(false) {
                    // on integers `x < t` is `x ≤ ⌈t⌉ − 1` and `x ≥ t` is `x ≥ ⌈t⌉`
                    let k = c.threshold.ceil();
                    if c.below {
                        format!("{name} ≤ {}", k - 1.0)
                    } else {
                        format!("{name} ≥ {k}")
                    }
                } else {
                    let op = if c.below { "<" } else { "≥" };
                    format!("{name} {op} {}", readable(c.threshold))
                }
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

/// Three significant digits, no exponent for everyday magnitudes.
fn readable(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (2 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Skope-rules' selection: score every candidate on its out-of-bag rows, keep those with
/// precision ≥ `min_precision` and recall ≥ `min_recall`, simplify them, keep the best (by
/// out-of-bag F1) of each group over the same features and directions, and return up to
/// `max_rules` of them that clear the thresholds again on every row, best first.
pub fn select_rules(
    candidates: &[Candidate],
    data: &[Vec<f64>],
    target: &[bool],
    settings: &RuleSettings,
) -> Vec<Rule> {
    // the features and directions a rule reads → the best F1 among such rules, and its conditions
    type Group = Vec<(usize, bool)>;
    let mut best: BTreeMap<Group, (f64, Vec<Condition>)> = BTreeMap::new();
    for c in candidates {
        let conditions = simplify(&c.conditions);
        if conditions.is_empty() {
            continue;
        }
        let oob = Rule::measured(conditions, data, target, c.rows.iter().copied());
        if oob.precision < settings.min_precision || oob.recall < settings.min_recall {
            continue;
        }
        let key = oob
            .conditions
            .iter()
            .map(|c| (c.feature, c.below))
            .collect();
        let score = oob.f1();
        if best.get(&key).is_none_or(|(s, _)| score > *s) {
            best.insert(key, (score, oob.conditions));
        }
    }
    // measured again on every row, and held to the same thresholds there
    let mut rules: Vec<Rule> = best
        .into_values()
        .map(|(_, conditions)| Rule::measured(conditions, data, target, 0..data.len()))
        .filter(|r| r.precision >= settings.min_precision && r.recall >= settings.min_recall)
        .collect();
    rules.sort_by(|a, b| {
        b.f1()
            .total_cmp(&a.f1())
            .then(b.precision.total_cmp(&a.precision))
            .then(a.conditions.len().cmp(&b.conditions.len()))
    });
    rules.truncate(settings.max_rules);
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(feature: usize, below: bool, threshold: f64) -> Condition {
        Condition {
            feature,
            below,
            threshold,
        }
    }

    #[test]
    fn simplify_keeps_the_tightest_condition_per_feature_and_direction() {
        let got = simplify(&[
            c(2, true, 5.0),
            c(0, false, 1.0),
            c(2, true, 3.0),
            c(0, false, 2.5),
        ]);
        assert_eq!(got, vec![c(0, false, 2.5), c(2, true, 3.0)]);
    }

    #[test]
    fn rules_read_in_words() {
        let rule = Rule {
            conditions: vec![c(0, false, 1.5), c(1, true, 3.2449), c(1, false, 1234.5)],
            precision: 1.0,
            recall: 1.0,
            support: 1,
        };
        let names = vec![
            "count(page=checkout)".to_string(),
            "geomean(dwell_ms)".into(),
        ];
        assert_eq!(
            rule.describe(&names, &[true, false]),
            "count(page=checkout) ≥ 2 AND geomean(dwell_ms) < 3.24 AND geomean(dwell_ms) ≥ 1234"
        );
        assert_eq!(
            Rule {
                conditions: vec![c(0, true, 2.0)],
                ..rule.clone()
            }
            .describe(&names, &[true, false]),
            "count(page=checkout) ≤ 1"
        );
        let rule = Rule {
            conditions: rule.conditions[..2].to_vec(),
            ..rule
        };
        assert!(rule.matches(&[2.0, 3.0]) && !rule.matches(&[1.0, 3.0]));
        assert!(!rule.matches(&[2.0, 3.3]) && !rule.matches(&[2.0]));
    }

    /// Rows 0..10: target when x0 ≥ 5. Candidates: the exact rule, the same rule with a looser
    /// redundant condition (same features and directions after simplification: one group, and
    /// it ties, so the first stays), a rule below the precision threshold, and one below the
    /// recall threshold. Precision and recall are counted by hand.
    #[test]
    fn selection_thresholds_and_deduplicates() {
        let data: Vec<Vec<f64>> = (0..10).map(|i| vec![i as f64, (i % 2) as f64]).collect();
        let target: Vec<bool> = (0..10).map(|i| i >= 5).collect();
        let all: Vec<usize> = (0..10).collect();
        let cand = |conditions: Vec<Condition>| Candidate {
            conditions,
            rows: all.clone(),
        };
        let rules = select_rules(
            &[
                cand(vec![c(0, false, 5.0)]),
                cand(vec![c(0, false, 4.0), c(0, false, 5.0)]),
                // x0 ≥ 2: precision 5/8
                cand(vec![c(0, false, 2.0), c(1, false, 0.0)]),
                // x0 ≥ 9: recall 1/5
                cand(vec![c(0, false, 9.0), c(1, true, 5.0)]),
            ],
            &data,
            &target,
            &RuleSettings {
                min_precision: 0.7,
                min_recall: 0.3,
                max_rules: 5,
            },
        );
        assert_eq!(rules.len(), 1, "{rules:?}");
        assert_eq!(rules[0].conditions, vec![c(0, false, 5.0)]);
        assert_eq!(
            (rules[0].precision, rules[0].recall, rules[0].support),
            (1.0, 1.0, 5)
        );
        let loose = select_rules(
            &[cand(vec![c(0, false, 2.0), c(1, false, 0.0)])],
            &data,
            &target,
            &RuleSettings {
                min_precision: 0.6,
                min_recall: 0.3,
                max_rules: 5,
            },
        );
        assert_eq!(loose[0].precision, 5.0 / 8.0);
    }
}

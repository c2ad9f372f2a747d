//! Thresholds as policy: the card's operating points (thresholds at target false-positive
//! rates, alert rate and precision, with the validation figures at each) and a small policy
//! file that maps a score to bands such as allow / review / block, the same in every runtime.
//!
//! ```toml
//! # seqrisk policy: bands from the lowest; a session is in the highest band whose `from` its
//! # score reaches.
//! [[band]]
//! name = "allow"
//! [[band]]
//! name = "review"
//! from = "fpr:5%"          # the card's threshold at a 5% false-positive rate
//! [[band]]
//! name = "block"
//! from = "fpr:0.1%"        # or "alert_rate:1%", "precision:50%", or a score such as 0.8
//! ```

use crate::error::{Error, Result};
use crate::metrics::{OperatingPoint, flagged_from_the_top};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What an operating point aims at.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// At most this share of negatives flagged.
    Fpr(f64),
    /// At most this share of all sessions flagged.
    AlertRate(f64),
    /// At least this share of the flagged positive (the lowest such threshold: the most recall).
    Precision(f64),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, x) = match self {
            Self::Fpr(x) => ("fpr", x),
            Self::AlertRate(x) => ("alert_rate", x),
            Self::Precision(x) => ("precision", x),
        };
        // 0.001 → "0.1%": at most 4 decimals, trailing zeros dropped
        let pct = format!("{:.4}", 100.0 * x);
        let pct = pct.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{name}:{pct}%")
    }
}

impl std::str::FromStr for Target {
    type Err = String;

    /// `fpr:1%`, `alert_rate:0.5%`, `precision:50%`, or the share as a fraction (`fpr:0.01`).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || {
            format!(
                "`{s}` is not a target: write fpr:<rate>, alert_rate:<rate> or precision:<rate>, the rate as 1% or 0.01"
            )
        };
        let (name, rate) = s.split_once(':').ok_or_else(bad)?;
        let rate = rate.trim();
        let x: f64 = match rate.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
            None => rate.parse().map_err(|_| bad())?,
        };
        if !(x > 0.0 && x <= 1.0) {
            return Err(format!("`{s}`: the rate must be in (0, 100%]"));
        }
        match name.trim() {
            "fpr" => Ok(Self::Fpr(x)),
            "alert_rate" => Ok(Self::AlertRate(x)),
            "precision" => Ok(Self::Precision(x)),
            _ => Err(bad()),
        }
    }
}

/// The targets every card holds: FPR 0.1%, 1% and 5%, an alert rate of 1%, a precision of 50%.
pub const CARD_TARGETS: [Target; 5] = [
    Target::Fpr(0.001),
    Target::Fpr(0.01),
    Target::Fpr(0.05),
    Target::AlertRate(0.01),
    Target::Precision(0.5),
];

/// A target and the threshold that meets it, with what flagging at it gave on validation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PolicyPoint {
    /// What the threshold aims at.
    pub target: Target,
    /// The threshold and its validation figures.
    pub point: OperatingPoint,
}

/// The lowest threshold (a score some session has, flagging `score ≥ t`) that meets `target`
/// on `scores` and `labels`: the most recall the target allows. Sessions with equal scores are
/// flagged together, so the rate reached may be below the target. `None` when no threshold
/// meets it or a class is missing.
pub fn threshold_for(target: Target, scores: &[f64], labels: &[bool]) -> Option<f64> {
    let pos = labels.iter().filter(|&&l| l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 || scores.len() != labels.len() {
        return None;
    }
    let mut best = None;
    for (t, tp, fp) in flagged_from_the_top(scores, labels) {
        let meets = match target {
            Target::Fpr(f) => fp as f64 <= f * neg as f64,
            Target::AlertRate(a) => (tp + fp) as f64 <= a * scores.len() as f64,
            Target::Precision(p) => tp as f64 >= p * (tp + fp) as f64,
        };
        match (target, meets) {
            (_, true) => best = Some(t),
            // FPR and alert rate only grow as the threshold falls: past the target, stop
            (Target::Fpr(_) | Target::AlertRate(_), false) => break,
            // precision is not monotone: a lower threshold may meet it again
            (Target::Precision(_), false) => {}
        }
    }
    best
}

/// The card's [`PolicyPoint`]s at [`CARD_TARGETS`] on validation scores (those the model
/// applies its threshold to: calibrated, when it is); targets no threshold meets are left out.
pub fn policy_points(scores: &[f64], labels: &[bool]) -> Vec<PolicyPoint> {
    CARD_TARGETS
        .iter()
        .filter_map(|&target| {
            let t = threshold_for(target, scores, labels)?;
            Some(PolicyPoint {
                target,
                point: OperatingPoint::at(scores, labels, t)?,
            })
        })
        .collect()
}

/// Where a band starts: a score, or one of the card's targets.
#[derive(Debug, Clone, PartialEq)]
pub enum BandStart {
    /// A score.
    Score(f64),
    /// The card's threshold for this target.
    Target(Target),
}

/// One band of a [`Policy`].
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Its name, the decision.
    pub name: String,
    /// Where it starts (`None` for the first band, which starts at 0).
    pub from: Option<BandStart>,
}

/// A policy file: bands from the lowest score up.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The bands, lowest first.
    pub bands: Vec<Band>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    band: Vec<BandFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandFile {
    name: String,
    from: Option<toml::Value>,
}

impl Policy {
    /// Read a policy file's TOML text; the error names the band and what is wrong.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |m: String| Error::Schema(format!("policy: {m}"));
        let file: PolicyFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if file.band.len() < 2 {
            return Err(bad("a policy needs at least two [[band]] tables".into()));
        }
        let mut bands = Vec::with_capacity(file.band.len());
        for (i, b) in file.band.into_iter().enumerate() {
            let name = b.name.trim().to_string();
            if name.is_empty() {
                return Err(bad(format!("band {} has an empty name", i + 1)));
            }
            if bands.iter().any(|x: &Band| x.name == name) {
                return Err(bad(format!("two bands are named `{name}`")));
            }
            let from = match (i, b.from) {
                (0, None) => None,
                (0, Some(_)) => {
                    return Err(bad(format!(
                        "the first band, `{name}`, starts at 0 and takes no `from`"
                    )));
                }
                (_, None) => return Err(bad(format!("band `{name}` needs a `from`"))),
                (_, Some(toml::Value::String(s))) => Some(BandStart::Target(
                    s.parse().map_err(|e| bad(format!("band `{name}`: {e}")))?,
                )),
                (_, Some(v)) => {
                    let x = v.as_float().or_else(|| v.as_integer().map(|n| n as f64));
                    match x {
                        Some(x) if (0.0..=1.0).contains(&x) => Some(BandStart::Score(x)),
                        _ => {
                            return Err(bad(format!(
                                "band `{name}`: `from` must be a score in [0, 1] or a target such as \"fpr:1%\", not {v}"
                            )));
                        }
                    }
                }
            };
            bands.push(Band { name, from });
        }
        Ok(Self { bands })
    }

    /// The bands' starting scores from the card's points; an error names a target the card
    /// does not hold, or bands whose starts do not rise.
    pub fn resolve(&self, points: &[PolicyPoint]) -> Result<Bands> {
        let bad = |m: String| Error::Schema(format!("policy: {m}"));
        let mut from = Vec::with_capacity(self.bands.len());
        for b in &self.bands {
            let start = match &b.from {
                None => f64::NEG_INFINITY,
                Some(BandStart::Score(x)) => *x,
                Some(BandStart::Target(t)) => match points.iter().find(|p| p.target == *t) {
                    Some(p) => p.point.threshold,
                    None => {
                        let held: Vec<String> =
                            points.iter().map(|p| p.target.to_string()).collect();
                        return Err(bad(format!(
                            "band `{}` starts at {t}, which the model card does not hold (it holds {})",
                            b.name,
                            if held.is_empty() {
                                "none".into()
                            } else {
                                held.join(", ")
                            }
                        )));
                    }
                },
            };
            if let Some(&previous) = from.last()
                && start <= previous
            {
                return Err(bad(format!(
                    "band `{}` starts at {start:.6}, not above the band below it ({previous:.6}): list the bands from the lowest score up",
                    b.name
                )));
            }
            from.push(start);
        }
        Ok(Bands {
            names: self.bands.iter().map(|b| b.name.clone()).collect(),
            from,
        })
    }
}

/// A policy resolved against a model card: each band's name and starting score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bands {
    /// The bands' names, lowest first.
    pub names: Vec<String>,
    /// Each band's starting score (−∞ for the first).
    pub from: Vec<f64>,
}

impl Bands {
    /// The bands without a policy file: `allow` below the card's decision threshold and
    /// `review` from it on.
    pub fn from_threshold(threshold: f64) -> Self {
        Self {
            names: vec!["allow".into(), "review".into()],
            from: vec![f64::NEG_INFINITY, threshold],
        }
    }

    /// The band of `score`: the highest whose start it reaches.
    pub fn decide(&self, score: f64) -> &str {
        let i = self.from.partition_point(|&f| f <= score).max(1) - 1;
        &self.names[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_and_print() {
        assert_eq!("fpr:1%".parse::<Target>(), Ok(Target::Fpr(0.01)));
        assert_eq!(
            "alert_rate:0.02".parse::<Target>(),
            Ok(Target::AlertRate(0.02))
        );
        assert_eq!(
            " precision : 50 %".parse::<Target>(),
            Ok(Target::Precision(0.5))
        );
        assert!("fpr:0%".parse::<Target>().is_err());
        assert!(
            "recall:5%"
                .parse::<Target>()
                .unwrap_err()
                .contains("fpr:<rate>")
        );
        assert_eq!(Target::Fpr(0.001).to_string(), "fpr:0.1%");
        assert_eq!(Target::Precision(0.5).to_string(), "precision:50%");
    }

    /// Ten negatives (0.0 … 0.9) and three positives (0.55, 0.95, 0.95).
    fn scored() -> (Vec<f64>, Vec<bool>) {
        let mut s: Vec<f64> = (0..10).map(|i| f64::from(i) / 10.0).collect();
        s.extend([0.55, 0.95, 0.95]);
        let l = (0..13).map(|i| i >= 10).collect();
        (s, l)
    }

    #[test]
    fn thresholds_by_hand() {
        let (s, l) = scored();
        // FPR ≤ 10%: one negative (0.9) may be flagged → 0.9; FPR ≤ 5%: none → 0.95
        assert_eq!(threshold_for(Target::Fpr(0.1), &s, &l), Some(0.9));
        assert_eq!(threshold_for(Target::Fpr(0.05), &s, &l), Some(0.95));
        // alert rate ≤ 25% (3.25 sessions): 0.95 ×2 and 0.9 → 0.9; ≤ 1/13: the tie at 0.95 is
        // two → none
        assert_eq!(threshold_for(Target::AlertRate(0.25), &s, &l), Some(0.9));
        assert_eq!(threshold_for(Target::AlertRate(1.0 / 13.0), &s, &l), None);
        // precision ≥ 50%: down to 0.55 the flagged are 0.95, 0.95, 0.9, 0.8, 0.7, 0.6, 0.55:
        // 3 of 7 (43%); at 0.8 it is 2 of 4 (50%) — the lowest threshold meeting it
        assert_eq!(threshold_for(Target::Precision(0.5), &s, &l), Some(0.8));
        let points = policy_points(&s, &l);
        let fpr1 = points
            .iter()
            .find(|p| p.target == Target::Fpr(0.01))
            .unwrap();
        assert_eq!((fpr1.point.threshold, fpr1.point.recall), (0.95, 2.0 / 3.0));
        assert!(points.iter().all(|p| p.target != Target::AlertRate(0.01)));
    }

    const POLICY: &str = r#"
[[band]]
name = "allow"
[[band]]
name = "review"
from = "precision:50%"
[[band]]
name = "block"
from = 0.95
"#;

    #[test]
    fn a_policy_maps_scores_to_bands() {
        let (s, l) = scored();
        let bands = Policy::parse(POLICY)
            .unwrap()
            .resolve(&policy_points(&s, &l))
            .unwrap();
        assert_eq!(bands.from[1..], [0.8, 0.95]);
        let decide = |x| bands.decide(x).to_string();
        assert_eq!(
            [0.0, 0.79, 0.8, 0.9, 0.95, 1.0].map(decide),
            ["allow", "allow", "review", "review", "block", "block"]
        );
    }

    #[test]
    fn without_a_policy_the_card_threshold_splits_allow_from_review() {
        let bands = Bands::from_threshold(0.3);
        assert_eq!(
            [0.0, 0.29, 0.3, 1.0].map(|x| bands.decide(x)),
            ["allow", "allow", "review", "review"]
        );
    }

    #[test]
    fn bad_policies_name_the_band() {
        let err = |text: &str| {
            let (s, l) = scored();
            match Policy::parse(text).and_then(|p| p.resolve(&policy_points(&s, &l))) {
                Err(Error::Schema(m)) => m,
                other => panic!("{other:?}"),
            }
        };
        let two =
            |second: &str| format!("[[band]]\nname = \"allow\"\n[[band]]\nname = \"b\"\n{second}");
        assert!(err(&two("")).contains("band `b` needs a `from`"));
        assert!(err(&two("from = 1.5")).contains("band `b`: `from` must be a score"));
        assert!(err(&two("from = \"recall:5%\"")).contains("band `b`"));
        assert!(err(&two("from = \"alert_rate:1%\"")).contains("does not hold (it holds fpr:0.1%"));
        assert!(err("[[band]]\nname = \"only\"").contains("at least two"));
        assert!(
            err("[[band]]\nname = \"a\"\nfrom = 0.1\n[[band]]\nname = \"b\"\nfrom = 0.2")
                .contains("takes no `from`")
        );
        assert!(
            err("[[band]]\nname = \"a\"\n[[band]]\nname = \"a\"\nfrom = 0.2")
                .contains("two bands are named `a`")
        );
        let falling = "[[band]]\nname = \"a\"\n[[band]]\nname = \"b\"\nfrom = 0.96\n[[band]]\nname = \"c\"\nfrom = \"fpr:5%\"";
        assert!(
            err(falling)
                .contains("band `c` starts at 0.950000, not above the band below it (0.960000)")
        );
        assert!(err("[[band]]\nname = \"a\"\nwhat = 1").contains("unknown field"));
    }
}
